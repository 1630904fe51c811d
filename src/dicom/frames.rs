//! Frame-by-frame reading of native interleaved 8-bit RGB multi-frame files (ultrasound cines),
//! so that loading one never holds the whole decoded pixel data next to the volume it fills.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use dicom_dictionary_std::tags;

use super::error::DicomError;
use super::meta::ImageMeta;
use super::open::open_dicom;

/// Where each frame's bytes are in the file.
#[derive(Debug, Clone)]
pub struct NativeRgbFrames {
    pub path: PathBuf,
    pub rows: usize,
    pub cols: usize,
    pub frames: usize,
    value_offset: u64,
}

impl NativeRgbFrames {
    /// `Some` when the file is Part 10, native little endian, RGB with 3 samples of 8 bits,
    /// interleaved (Planar Configuration 0), and Pixel Data provably ends the file.
    pub fn probe(path: &Path) -> Result<Option<NativeRgbFrames>, DicomError> {
        let header = open_dicom(path, true)?;
        let ts = header.obj.meta().transfer_syntax().trim_end_matches('\0');
        let native_le = ts == "1.2.840.10008.1.2" || ts == "1.2.840.10008.1.2.1";
        let Some(image) = ImageMeta::from_obj(&header.obj) else { return Ok(None) };
        let planar = super::attrs::int(&header.obj, tags::PLANAR_CONFIGURATION).unwrap_or(0);
        if !header.had_file_meta
            || !native_le
            || image.photometric != "RGB"
            || image.samples_per_pixel != 3
            || image.bits_allocated != 8
            || image.bits_stored != 8
            || planar != 0
        {
            return Ok(None);
        }
        let Some(tail) = super::tail::native_pixel_tail(path, image.native_pixel_bytes()) else { return Ok(None) };
        Ok(Some(NativeRgbFrames {
            path: path.to_owned(),
            rows: image.rows as usize,
            cols: image.cols as usize,
            frames: image.frames as usize,
            value_offset: tail.value_offset,
        }))
    }

    pub fn frame_bytes(&self) -> usize {
        self.rows * self.cols * 3
    }

    /// Reads frame `frame` (0-based) into `rgb` (`frame_bytes()` long) through `file`.
    pub fn read_frame(&self, file: &mut std::fs::File, frame: usize, rgb: &mut [u8]) -> Result<(), DicomError> {
        let io = |source| DicomError::Io { path: self.path.clone(), source };
        if frame >= self.frames || rgb.len() != self.frame_bytes() {
            return Err(DicomError::Decode {
                path: self.path.clone(),
                reason: format!("frame {} requested but the file has {}", frame + 1, self.frames),
            });
        }
        file.seek(SeekFrom::Start(self.value_offset + (frame * self.frame_bytes()) as u64)).map_err(io)?;
        file.read_exact(rgb).map_err(io)
    }
}
