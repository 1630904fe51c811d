//! Cleaning foreign images (PNG, JPEG, TIFF) for export: approved boxes filled black in the stored
//! pixel grid (the one the reviewer drew on), no metadata carried over, written either in the
//! image's own format (`native.rs`) or wrapped as a DICOM Secondary Capture (`sc.rs`).
//!
//! - PNG and TIFF are re-encoded losslessly from the decoded pixels: the output holds only the
//!   chunks/tags that describe the pixels (no EXIF, GPS, XMP, ICC, text, time, private tags;
//!   colours are not converted, so an ICC-tagged image may render slightly differently).
//! - JPEG without boxes: metadata segments are cut out and every image byte is kept
//!   (`dicom::foreign::jpeg::strip_metadata`), so the pixels are exactly the source's.
//! - JPEG with boxes: decoded, filled and re-encoded at [`JPEG_QUALITY`] (a generation of loss
//!   outside the boxes too); the report says so.
//! - Alpha is dropped (the reviewer saw the stored colours); of a multi-page TIFF only the first
//!   page is written, and the report counts the pages left out.
//!
//! The project chooses between the two (`Project::foreign_image_output`, see
//! `ForeignOutput::for_project`). Outputs go to a temporary file in the output's folder and are
//! renamed into place; the source is only read.

mod native;
mod sc;

use std::path::{Path, PathBuf};

use image::DynamicImage;
use serde::Serialize;

use super::pixels::{CleanError, PixelBox, Region, clip};
use crate::dicom::DicomError;
use crate::dicom::foreign::inventory::inventory;
use crate::dicom::foreign::{ForeignKind, bad_image, decode_foreign_bytes};
use crate::project::ForeignImageOutput;

pub use sc::ScOptions;

/// JPEG quality when a JPEG with boxes must be re-encoded (image crate encoder, 4:2:2 chroma).
pub const JPEG_QUALITY: u8 = 95;

/// How the cleaned image is written.
#[derive(Debug, Clone)]
pub enum ForeignOutput {
    /// PNG stays PNG, JPEG stays JPEG, TIFF stays TIFF.
    Native,
    /// A DICOM Secondary Capture image (Explicit VR Little Endian, native pixels).
    SecondaryCapture(ScOptions),
}

impl ForeignOutput {
    /// The output the project's `foreign_image_output` setting asks for; `sc` is used for
    /// `dicom-sc` only.
    pub fn for_project(choice: ForeignImageOutput, sc: ScOptions) -> ForeignOutput {
        match choice {
            ForeignImageOutput::Native => ForeignOutput::Native,
            ForeignImageOutput::DicomSc => ForeignOutput::SecondaryCapture(sc),
        }
    }
}

/// What `write_clean_foreign` did.
#[derive(Debug, Clone, Serialize)]
pub struct ForeignCleanReport {
    pub source: PathBuf,
    pub output: PathBuf,
    /// "PNG", "JPEG", "TIFF" or "DICOM".
    pub format: &'static str,
    pub boxes: usize,
    /// Pixels inside the boxes, overlaps counted once.
    pub pixels_filled: u64,
    /// The pixels were decoded and encoded again (false only for a JPEG without boxes).
    pub reencoded: bool,
    /// The quality of a re-encoded JPEG.
    pub jpeg_quality: Option<u8>,
    pub alpha_dropped: bool,
    /// TIFF pages after the first, not written.
    pub pages_dropped: u32,
    /// The metadata in the source that the output does not carry.
    pub removed: Vec<String>,
    /// SOP Instance UID of a Secondary Capture output.
    pub sop_instance_uid: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ForeignCleanError {
    #[error(transparent)]
    Read(#[from] DicomError),
    #[error("{path}: not a PNG, JPEG or TIFF image")]
    NotForeign { path: PathBuf },
    #[error(transparent)]
    Box(#[from] CleanError),
    #[error("{path}: {message}")]
    Write { path: PathBuf, message: String },
}

/// Cleans the foreign image `src` into `out` (a file path; its folder is created).
pub fn write_clean_foreign(
    src: &Path,
    boxes: &[PixelBox],
    out: &Path,
    output: &ForeignOutput,
) -> Result<ForeignCleanReport, ForeignCleanError> {
    let bytes = std::fs::read(src).map_err(|source| DicomError::Io { path: src.into(), source })?;
    let is_dicom = bytes.get(128..132) == Some(b"DICM");
    let kind = ForeignKind::sniff(&bytes)
        .filter(|_| !is_dicom)
        .ok_or_else(|| ForeignCleanError::NotForeign { path: src.into() })?;
    let write_err = |message: String| ForeignCleanError::Write { path: out.into(), message };
    if same_file(src, out) {
        return Err(write_err("is the source file: sources are never overwritten".into()));
    }
    let removed = inventory(kind, &bytes).map_err(|reason| bad_image(src, kind, reason))?;
    let mut report = ForeignCleanReport {
        source: src.into(),
        output: out.into(),
        format: kind.name(),
        boxes: boxes.len(),
        pixels_filled: 0,
        reencoded: true,
        jpeg_quality: None,
        alpha_dropped: false,
        pages_dropped: 0,
        removed,
        sop_instance_uid: None,
    };
    let data = if matches!(output, ForeignOutput::Native) && kind == ForeignKind::Jpeg && boxes.is_empty() {
        report.reencoded = false;
        native::strip_jpeg(src, &bytes)?
    } else {
        let mut pixels = decode_foreign_bytes(src, kind, &bytes)?;
        let file = src.display().to_string();
        let regions = clip(boxes, (pixels.width(), pixels.height(), 1), &file)?;
        report.pixels_filled = fill_black(&mut pixels.image, &regions)
            .ok_or_else(|| write_err(format!("cannot fill {:?} pixels", pixels.image.color())))?;
        report.alpha_dropped = pixels.alpha_dropped;
        report.pages_dropped = pixels.pages.saturating_sub(1);
        match output {
            ForeignOutput::Native => {
                report.jpeg_quality = (kind == ForeignKind::Jpeg).then_some(JPEG_QUALITY);
                native::encode(&pixels, JPEG_QUALITY).map_err(|e| write_err(format!("cannot encode: {e}")))?
            }
            ForeignOutput::SecondaryCapture(options) => {
                report.format = "DICOM";
                let (data, uid) = sc::secondary_capture(&pixels, options).map_err(write_err)?;
                report.sop_instance_uid = Some(uid);
                data
            }
        }
    };
    write_atomically(out, &data).map_err(write_err)?;
    Ok(report)
}

/// Whether `a` and `b` name one existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Sets every sample of the pixels in `regions` to 0 (black for grey and RGB alike); returns
/// the number of pixels filled, `None` for a layout decoding never produces (never silently
/// nothing).
fn fill_black(image: &mut DynamicImage, regions: &[Region]) -> Option<u64> {
    fn fill<T: Copy + Default>(data: &mut [T], width: usize, channels: usize, regions: &[Region]) -> u64 {
        let mut filled = 0;
        let mut row_mask = vec![false; width];
        let rows = data.len() / (width * channels);
        for y in 0..rows {
            row_mask.fill(false);
            for r in regions.iter().filter(|r| (r.y.0..r.y.1).contains(&y)) {
                row_mask[r.x.0..r.x.1].fill(true);
            }
            let row = &mut data[y * width * channels..(y + 1) * width * channels];
            for (px, _) in row.chunks_exact_mut(channels).zip(&row_mask).filter(|(_, m)| **m) {
                px.fill(T::default());
                filled += 1;
            }
        }
        filled
    }
    let width = image.width() as usize;
    Some(match image {
        DynamicImage::ImageLuma8(b) => fill(b, width, 1, regions),
        DynamicImage::ImageLuma16(b) => fill(b, width, 1, regions),
        DynamicImage::ImageRgb8(b) => fill(b, width, 3, regions),
        DynamicImage::ImageRgb16(b) => fill(b, width, 3, regions),
        _ => return None,
    })
}

/// Writes `data` to a temporary name beside `out`, then renames it into place.
fn write_atomically(out: &Path, data: &[u8]) -> Result<(), String> {
    let dir = out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let name = out.file_name().ok_or("no file name")?.to_string_lossy();
    let tmp = dir.join(format!(".{name}.part"));
    std::fs::write(&tmp, data).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, out).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot rename {} into place: {e}", tmp.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_project_setting_picks_native_or_secondary_capture() {
        let sc = ScOptions { patient_id: "P1".into(), ..Default::default() };
        assert!(matches!(ForeignOutput::for_project(ForeignImageOutput::Native, sc.clone()), ForeignOutput::Native));
        let out = ForeignOutput::for_project(ForeignImageOutput::DicomSc, sc);
        assert!(matches!(out, ForeignOutput::SecondaryCapture(o) if o.patient_id == "P1"));
    }

    #[test]
    fn boxes_fill_black_and_overlaps_count_once() {
        let mut img = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(4, 3, image::Rgb([9, 9, 9])));
        let regions =
            [Region { x: (0, 2), y: (0, 2), frames: (0, 0) }, Region { x: (1, 3), y: (1, 2), frames: (0, 0) }];
        assert_eq!(fill_black(&mut img, &regions), Some(5));
        let rgb = img.as_rgb8().unwrap();
        assert_eq!(rgb.get_pixel(1, 1).0, [0, 0, 0]);
        assert_eq!(rgb.get_pixel(2, 1).0, [0, 0, 0]);
        assert_eq!(rgb.get_pixel(3, 1).0, [9, 9, 9]);
        assert_eq!(rgb.get_pixel(0, 2).0, [9, 9, 9]);
        let mut grey = DynamicImage::ImageLuma16(image::ImageBuffer::from_pixel(2, 2, image::Luma([500u16])));
        assert_eq!(fill_black(&mut grey, &regions[..1]), Some(4));
        assert!(grey.as_luma16().unwrap().as_raw().iter().all(|&v| v == 0));
    }
}
