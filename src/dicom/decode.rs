//! Decoding pixel data (every transfer syntax dicom-pixeldata's native, charls and openjpeg
//! codecs handle) into either modality values (grey) or 8-bit RGB (colour, palette, YBR).

use std::path::Path;

use dicom_core::value::{PixelFragmentSequence, PrimitiveValue, Value};
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;
use dicom_encoding::TransferSyntaxIndex;
use dicom_object::InMemDicomObject;
use dicom_pixeldata::PixelDecoder;
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

use super::error::{DicomError, error_chain};
use super::meta::ImageMeta;
use super::open::{DicomFile, open_dicom};
use super::palette::Palette;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Photometric {
    /// Grey, low values are bright.
    Monochrome1,
    /// Grey, low values are dark.
    Monochrome2,
    /// 8-bit RGB after any YBR/palette conversion.
    Rgb,
}

/// How stored grey samples are laid out in the decoded bytes.
#[derive(Debug, Clone, Copy)]
struct StoredFormat {
    bytes: usize,
    bits_stored: u16,
    signed: bool,
}

enum Samples {
    Grey { raw: Vec<u8>, format: StoredFormat },
    Rgb8(Vec<u8>),
}

/// Decoded frames of one instance.
pub struct DecodedFrames {
    pub rows: usize,
    pub cols: usize,
    pub frames: usize,
    pub photometric: Photometric,
    pub slope: f64,
    pub intercept: f64,
    samples: Samples,
}

impl DecodedFrames {
    /// One frame of unsigned grey samples (little-endian, `bytes` each), no rescale.
    pub(crate) fn grey(rows: usize, cols: usize, raw: Vec<u8>, bytes: usize, bits_stored: u16) -> DecodedFrames {
        let format = StoredFormat { bytes, bits_stored, signed: false };
        let samples = Samples::Grey { raw, format };
        DecodedFrames {
            rows,
            cols,
            frames: 1,
            photometric: Photometric::Monochrome2,
            slope: 1.0,
            intercept: 0.0,
            samples,
        }
    }

    /// One frame of interleaved 8-bit RGB.
    pub(crate) fn rgb8(rows: usize, cols: usize, rgb: Vec<u8>) -> DecodedFrames {
        let samples = Samples::Rgb8(rgb);
        DecodedFrames { rows, cols, frames: 1, photometric: Photometric::Rgb, slope: 1.0, intercept: 0.0, samples }
    }

    pub fn pixels_per_frame(&self) -> usize {
        self.rows * self.cols
    }

    /// Writes frame `frame` as modality values (stored × slope + intercept) through `to_t`.
    /// Panics if the image is colour or `out` has the wrong length (caller bugs, not input).
    pub fn grey_frame_into<T>(&self, frame: usize, out: &mut [T], to_t: impl Fn(f64) -> T) {
        let Samples::Grey { raw, format } = &self.samples else {
            panic!("grey_frame_into called on a colour image");
        };
        let n = self.pixels_per_frame();
        assert_eq!(out.len(), n);
        let bytes = &raw[frame * n * format.bytes..(frame + 1) * n * format.bytes];
        let (slope, intercept) = (self.slope, self.intercept);
        let sb = u32::from(format.bits_stored);
        let mask: u32 = if sb >= 32 { u32::MAX } else { (1u32 << sb) - 1 };
        let sign_shift = 32 - sb.clamp(1, 32);
        let signed = format.signed;
        let stored = |v: u32| -> f64 {
            let v = v & mask;
            if signed { f64::from(((v << sign_shift) as i32) >> sign_shift) } else { f64::from(v) }
        };
        match format.bytes {
            1 => {
                for (o, &b) in out.iter_mut().zip(bytes) {
                    *o = to_t(stored(u32::from(b)) * slope + intercept);
                }
            }
            2 => {
                for (o, c) in out.iter_mut().zip(bytes.chunks_exact(2)) {
                    *o = to_t(stored(u32::from(u16::from_le_bytes([c[0], c[1]]))) * slope + intercept);
                }
            }
            _ => {
                for (o, c) in out.iter_mut().zip(bytes.chunks_exact(4)) {
                    *o = to_t(stored(u32::from_le_bytes([c[0], c[1], c[2], c[3]])) * slope + intercept);
                }
            }
        }
    }

    /// Visits every stored grey sample (before rescale) of every frame; `false` for colour images.
    pub fn for_each_stored(&self, mut f: impl FnMut(i64)) -> bool {
        let Samples::Grey { .. } = &self.samples else { return false };
        let mut frame = vec![0f64; self.pixels_per_frame()];
        let inverse = |v: f64| ((v - self.intercept) / self.slope).round() as i64;
        for k in 0..self.frames {
            self.grey_frame_into(k, &mut frame, |v| v);
            frame.iter().for_each(|&v| f(inverse(v)));
        }
        true
    }

    /// The RGB bytes of frame `frame` (3 per pixel). `None` for grey images.
    pub fn rgb_frame(&self, frame: usize) -> Option<&[u8]> {
        let Samples::Rgb8(rgb) = &self.samples else { return None };
        let n = self.pixels_per_frame() * 3;
        rgb.get(frame * n..(frame + 1) * n)
    }

    /// Range of possible modality values from the stored bit depth (not the data).
    pub fn modality_range(&self) -> (f64, f64) {
        match &self.samples {
            Samples::Grey { format, .. } => stored_range(format.bits_stored, format.signed, self.slope, self.intercept),
            Samples::Rgb8(_) => (0.0, 255.0),
        }
    }
}

/// The range of modality values a grey image with these attributes can hold.
pub fn stored_range(bits_stored: u16, signed: bool, slope: f64, intercept: f64) -> (f64, f64) {
    let bits = i32::from(bits_stored.clamp(1, 32));
    let (lo, hi) =
        if signed { (-(2f64.powi(bits - 1)), 2f64.powi(bits - 1) - 1.0) } else { (0.0, 2f64.powi(bits) - 1.0) };
    let (a, b) = (lo * slope + intercept, hi * slope + intercept);
    (a.min(b), a.max(b))
}

/// Opens and decodes all frames of `path`.
///
/// Native little-endian pixel data that provably ends the file is read straight from its bytes
/// after a header-only parse (no parse of the pixel values into a DICOM value and back);
/// everything else goes through dicom-pixeldata.
///
/// A PNG, JPEG or TIFF file is decoded by [`super::foreign::decode_foreign`].
pub fn decode_file(path: &Path) -> Result<DecodedFrames, DicomError> {
    let header = match open_dicom(path, true) {
        Ok(h) => h,
        Err(e) => return super::foreign::recognise(path, e).and_then(|k| super::foreign::decode_foreign(path, k)),
    };
    if let Some(fast) = decode_native_tail(&header)? {
        return Ok(fast);
    }
    if header.obj.get(tags::PIXEL_DATA).is_some() {
        return decode_opened(&header); // a raw data set without meta is read whole anyway
    }
    let file = open_dicom(path, false)?;
    decode_opened(&file)
}

/// The fast path of `decode_file`, when it applies.
fn decode_native_tail(header: &DicomFile) -> Result<Option<DecodedFrames>, DicomError> {
    let ts = header.obj.meta().transfer_syntax().trim_end_matches('\0');
    let native_le = ts == "1.2.840.10008.1.2" || ts == "1.2.840.10008.1.2.1";
    let Some(image) = ImageMeta::from_obj(&header.obj) else { return Ok(None) };
    let simple_pi = matches!(image.photometric.as_str(), "MONOCHROME1" | "MONOCHROME2" | "RGB" | "PALETTE COLOR");
    if !header.had_file_meta || !native_le || !simple_pi || !matches!(image.bits_allocated, 8 | 16 | 32) {
        return Ok(None);
    }
    let expected = image.native_pixel_bytes() as usize;
    let Some(tail) = super::tail::native_pixel_tail(&header.path, expected as u64) else { return Ok(None) };
    let io = |source| DicomError::Io { path: header.path.clone(), source };
    let mut data = vec![0u8; expected];
    {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = std::fs::File::open(&header.path).map_err(io)?;
        f.seek(SeekFrom::Start(tail.value_offset)).map_err(io)?;
        f.read_exact(&mut data).map_err(io)?;
    }
    let planar = image.samples_per_pixel > 1 && super::attrs::int(&header.obj, tags::PLANAR_CONFIGURATION) == Some(1);
    let layout = Layout {
        rows: image.rows as usize,
        cols: image.cols as usize,
        frames: image.frames as usize,
        spp: usize::from(image.samples_per_pixel),
        bits_allocated: image.bits_allocated,
        pi: image.photometric.clone(),
        planar,
    };
    assemble(&header.path, &header.obj, &image, &layout, data).map(Some)
}

pub fn decode_opened(file: &DicomFile) -> Result<DecodedFrames, DicomError> {
    let path = file.path.as_path();
    let ts_uid = file.obj.meta().transfer_syntax().trim_end_matches('\0').to_string();
    match TransferSyntaxRegistry.get(&ts_uid) {
        Some(ts) if ts.can_decode_all() => {}
        Some(ts) => {
            return Err(DicomError::UnsupportedTransferSyntax {
                path: path.into(),
                uid: ts_uid.clone(),
                name: ts.name().into(),
            });
        }
        None => {
            return Err(DicomError::UnsupportedTransferSyntax {
                path: path.into(),
                uid: ts_uid,
                name: "unknown".into(),
            });
        }
    }
    if file.obj.get(tags::PIXEL_DATA).is_none() {
        return Err(DicomError::NoPixelData { path: path.into() });
    }
    let image = ImageMeta::from_obj(&file.obj).ok_or_else(|| DicomError::BadAttribute {
        path: path.into(),
        attribute: "Rows/Columns",
        reason: "missing".into(),
    })?;
    let marked = mark_jpeg_rgb(file, &ts_uid, &image);
    let decoded = decode_guarded(marked.as_ref().unwrap_or(&file.obj))
        .map_err(|reason| DicomError::Decode { path: path.into(), reason })?;
    let layout = Layout {
        rows: decoded.rows() as usize,
        cols: decoded.columns() as usize,
        frames: decoded.number_of_frames().max(1) as usize,
        spp: decoded.samples_per_pixel() as usize,
        bits_allocated: decoded.bits_allocated(),
        pi: decoded.photometric_interpretation().as_str().to_string(),
        planar: image.samples_per_pixel > 1 && decoded.planar_configuration() as u16 == 1,
    };
    let mut data = decoded.into_data();
    if ts_uid == BIG_ENDIAN {
        fix_big_endian_samples(file, &mut data, sample_bytes(path, layout.bits_allocated)?);
    }
    assemble(path, &file.obj, &image, &layout, data)
}

/// The native layout of decoded pixel data.
struct Layout {
    rows: usize,
    cols: usize,
    frames: usize,
    spp: usize,
    bits_allocated: u16,
    pi: String,
    planar: bool,
}

fn sample_bytes(path: &Path, bits_allocated: u16) -> Result<usize, DicomError> {
    match bits_allocated {
        1 | 8 => Ok(1),
        16 => Ok(2),
        32 => Ok(4),
        other => Err(DicomError::BadAttribute {
            path: path.into(),
            attribute: "Bits Allocated",
            reason: format!("{other} is not supported"),
        }),
    }
}

/// Turns native little-endian samples into grey stored values or 8-bit RGB.
fn assemble(
    path: &Path,
    obj: &InMemDicomObject,
    image: &ImageMeta,
    layout: &Layout,
    data: Vec<u8>,
) -> Result<DecodedFrames, DicomError> {
    let Layout { rows, cols, frames, spp, bits_allocated, ref pi, planar } = *layout;
    if image.bits_stored > image.bits_allocated {
        return Err(DicomError::BadAttribute {
            path: path.into(),
            attribute: "Bits Stored",
            reason: format!("{} exceeds Bits Allocated {}", image.bits_stored, image.bits_allocated),
        });
    }
    let bytes = sample_bytes(path, bits_allocated)?;
    let file_obj = obj;
    let pixels = rows * cols;
    let bad_len = |expected: usize| DicomError::Decode {
        path: path.into(),
        reason: format!(
            "pixel data holds {} bytes, {expected} expected for {frames} frame(s) of {cols}×{rows}×{spp} (truncated?)",
            data.len()
        ),
    };
    let (samples, photometric) = if spp == 1 {
        let expected = pixels * frames * bytes;
        if data.len() < expected {
            return Err(bad_len(expected));
        }
        if pi == "PALETTE COLOR" {
            let palette = Palette::from_obj(file_obj).map_err(|reason| DicomError::BadAttribute {
                path: path.into(),
                attribute: "Palette Color Lookup Table",
                reason,
            })?;
            let format = StoredFormat { bytes, bits_stored: decoded_bits(image, bits_allocated), signed: false };
            (Samples::Rgb8(apply_palette(&data[..expected], format, &palette)), Photometric::Rgb)
        } else {
            let format =
                StoredFormat { bytes, bits_stored: decoded_bits(image, bits_allocated), signed: image.pixel_signed };
            let photometric = if pi == "MONOCHROME1" { Photometric::Monochrome1 } else { Photometric::Monochrome2 };
            let mut raw = data;
            raw.truncate(expected);
            (Samples::Grey { raw, format }, photometric)
        }
    } else if spp == 3 {
        let bits = decoded_bits(image, bits_allocated);
        let rgb = to_rgb8(&data, pi, pixels, frames, bytes, bits, planar)
            .ok_or_else(|| bad_len(pixels * frames * 3 * bytes))?;
        (Samples::Rgb8(rgb), Photometric::Rgb)
    } else {
        return Err(DicomError::BadAttribute {
            path: path.into(),
            attribute: "Samples per Pixel",
            reason: format!("{spp} is not supported"),
        });
    };
    Ok(DecodedFrames {
        rows,
        cols,
        frames,
        photometric,
        slope: image.rescale_slope,
        intercept: image.rescale_intercept,
        samples,
    })
}

/// Decodes the pixel data, turning a decoder panic on malformed data (the codecs index their
/// buffers by what the file declares; fuzzing found an RLE segment that overruns) into an error.
pub(crate) fn decode_guarded(
    obj: &dicom_object::DefaultDicomObject,
) -> Result<dicom_pixeldata::DecodedPixelData<'_>, String> {
    super::rle_check::check_rle(obj, obj.meta().transfer_syntax())?;
    super::jpeg_check::check_jpeg(obj, obj.meta().transfer_syntax())?;
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| obj.decode_pixel_data())) {
        Ok(r) => r.map_err(|e| error_chain(&e)),
        Err(panic) => {
            let why = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("unknown");
            Err(format!("the decoder failed on malformed pixel data ({why})"))
        }
    }
}

/// Stored bits per decoded sample. 1-bit data is unpacked to one byte per sample (0 or 255 from
/// dicom-pixeldata): masking it to 1 bit gives the stored values 0 and 1.
fn decoded_bits(image: &ImageMeta, bits_allocated: u16) -> u16 {
    if bits_allocated == 1 { 1 } else { image.bits_stored.clamp(1, bits_allocated) }
}

const BIG_ENDIAN: &str = "1.2.840.10008.1.2.2";

/// dicom-pixeldata hands native pixel data over as the element's little-endian bytes. In Explicit
/// VR Big Endian an OW value is read as 16-bit words, so 32-bit samples come out with their halves
/// swapped; an OB value is not swapped at all. Puts every sample into little-endian order.
fn fix_big_endian_samples(file: &DicomFile, data: &mut [u8], bytes: usize) {
    let Some(Value::Primitive(value)) = file.obj.get(tags::PIXEL_DATA).map(|e| e.value()) else { return };
    match value {
        PrimitiveValue::U16(_) | PrimitiveValue::I16(_) if bytes == 4 => {
            data.chunks_exact_mut(4).for_each(|c| c.rotate_left(2));
        }
        PrimitiveValue::U8(_) if bytes > 1 => data.chunks_exact_mut(bytes).for_each(<[u8]>::reverse),
        _ => {}
    }
}

/// JPEG processes 1, 2 and 4 (8-bit lossy).
const JPEG_LOSSY_8BIT: [&str; 2] = ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"];
/// An Adobe APP14 segment saying "no colour transform" (transform flag 0).
const ADOBE_NO_TRANSFORM: [u8; 16] = [0xFF, 0xEE, 0, 14, b'A', b'd', b'o', b'b', b'e', 0, 100, 0, 0, 0, 0, 0];

/// For Photometric Interpretation RGB the JPEG components are R, G, B with no colour transform
/// (PS3.5 8.2.1). jpeg-decoder reads a 3-component stream without a colour-space signal
/// (component ids other than 1,2,3 / 'R','G','B', no JFIF or Adobe marker) as YCbCr, which
/// garbles the colours. Returns a copy whose frames start with an Adobe "no transform" marker:
/// streams with their own JFIF marker, known component ids or Adobe marker (a later Adobe marker
/// overrides this one) decode as before. `None` when not an RGB 8-bit lossy JPEG.
pub(crate) fn mark_jpeg_rgb(
    file: &DicomFile,
    ts_uid: &str,
    image: &ImageMeta,
) -> Option<dicom_object::DefaultDicomObject> {
    if !JPEG_LOSSY_8BIT.contains(&ts_uid) || image.samples_per_pixel != 3 || image.photometric != "RGB" {
        return None;
    }
    let Value::PixelSequence(seq) = file.obj.get(tags::PIXEL_DATA)?.value() else { return None };
    let mut fragments = Vec::with_capacity(seq.fragments().len());
    // (old start, bytes inserted before it) of each fragment, for the basic offset table.
    let mut shifts = Vec::with_capacity(seq.fragments().len());
    let (mut old_pos, mut inserted) = (0u32, 0u32);
    for fragment in seq.fragments() {
        shifts.push((old_pos, inserted));
        old_pos = old_pos.saturating_add(8).saturating_add(fragment.len() as u32);
        if fragment.starts_with(&[0xFF, 0xD8]) {
            let mut marked = Vec::with_capacity(fragment.len() + ADOBE_NO_TRANSFORM.len());
            marked.extend_from_slice(&fragment[..2]);
            marked.extend_from_slice(&ADOBE_NO_TRANSFORM);
            marked.extend_from_slice(&fragment[2..]);
            fragments.push(marked);
            inserted += ADOBE_NO_TRANSFORM.len() as u32;
        } else {
            fragments.push(fragment.clone());
        }
    }
    let offsets: Vec<u32> = seq
        .offset_table()
        .iter()
        .map(|&o| o + shifts.iter().take_while(|(start, _)| *start <= o).last().map_or(0, |(_, shift)| *shift))
        .collect();
    let mut obj = file.obj.clone();
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OB,
        Value::PixelSequence(PixelFragmentSequence::new(offsets, fragments)),
    ));
    Some(obj)
}

fn apply_palette(raw: &[u8], format: StoredFormat, palette: &Palette) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() / format.bytes * 3);
    if format.bytes == 1 {
        raw.iter().for_each(|&v| out.extend_from_slice(&palette.lookup(i64::from(v))));
    } else {
        raw.chunks_exact(2)
            .for_each(|c| out.extend_from_slice(&palette.lookup(i64::from(u16::from_le_bytes([c[0], c[1]])))));
    }
    out
}

/// Converts 3-sample data (RGB or YBR_FULL / YBR_FULL_422, interleaved or planar, 8, 16 or 32 bit)
/// to interleaved 8-bit RGB, keeping the top 8 of the `bits` stored bits. Returns `None` if the
/// buffer is too short.
fn to_rgb8(
    data: &[u8],
    pi: &str,
    pixels: usize,
    frames: usize,
    bytes: usize,
    bits: u16,
    planar: bool,
) -> Option<Vec<u8>> {
    let full = pixels * 3 * bytes;
    // Uncompressed YBR_FULL_422 stores two luma samples per chroma pair.
    if pi == "YBR_FULL_422" && bytes == 1 && data.len() < full * frames && data.len() >= pixels * 2 * frames {
        let mut out = Vec::with_capacity(pixels * 3 * frames);
        for quad in data[..pixels * 2 * frames].chunks_exact(4) {
            let (y0, y1, cb, cr) = (quad[0], quad[1], quad[2], quad[3]);
            out.extend_from_slice(&ybr_to_rgb(y0, cb, cr));
            out.extend_from_slice(&ybr_to_rgb(y1, cb, cr));
        }
        return Some(out);
    }
    if data.len() < full * frames {
        return None;
    }
    let sample = |frame: &[u8], p: usize, c: usize| -> u8 {
        let idx = if planar { c * pixels + p } else { p * 3 + c };
        if bytes == 1 {
            return frame[idx];
        }
        let mut le = [0u8; 4];
        le[..bytes].copy_from_slice(&frame[idx * bytes..(idx + 1) * bytes]);
        let shift = u32::from(bits.clamp(8, 32)) - 8;
        (u32::from_le_bytes(le) >> shift).min(255) as u8
    };
    let ybr = pi.starts_with("YBR_FULL");
    let mut out = Vec::with_capacity(pixels * 3 * frames);
    for frame in data[..full * frames].chunks_exact(full) {
        for p in 0..pixels {
            let (a, b, c) = (sample(frame, p, 0), sample(frame, p, 1), sample(frame, p, 2));
            if ybr {
                out.extend_from_slice(&ybr_to_rgb(a, b, c));
            } else {
                out.extend_from_slice(&[a, b, c]);
            }
        }
    }
    Some(out)
}

/// YBR_FULL → RGB (PS3.3 C.7.6.3.1.2, ITU-R BT.601 full range).
#[inline]
fn ybr_to_rgb(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    let (y, cb, cr) = (f32::from(y), f32::from(cb) - 128.0, f32::from(cr) - 128.0);
    let clamp = |v: f32| v.round().clamp(0.0, 255.0) as u8;
    [clamp(y + 1.402 * cr), clamp(y - 0.344136 * cb - 0.714136 * cr), clamp(y + 1.772 * cb)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_range_applies_sign_and_rescale() {
        assert_eq!(stored_range(12, false, 1.0, -1024.0), (-1024.0, 3071.0));
        assert_eq!(stored_range(16, true, 1.0, 0.0), (-32768.0, 32767.0));
        assert_eq!(stored_range(8, false, -2.0, 0.0), (-510.0, 0.0));
    }

    #[test]
    fn ybr_full_grey_maps_to_equal_rgb() {
        assert_eq!(ybr_to_rgb(100, 128, 128), [100, 100, 100]);
    }

    #[test]
    fn planar_rgb_is_interleaved() {
        // two pixels, planar: RR GG BB
        let data = [1, 2, 3, 4, 5, 6];
        assert_eq!(to_rgb8(&data, "RGB", 2, 1, 1, 8, true).unwrap(), vec![1, 3, 5, 2, 4, 6]);
    }

    #[test]
    fn wide_rgb_samples_keep_their_top_eight_stored_bits() {
        // one pixel of 32-bit samples (little endian), then one of 12 bits stored in 16.
        let wide = [0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F];
        assert_eq!(to_rgb8(&wide, "RGB", 1, 1, 4, 32, false).unwrap(), vec![0x12, 0xFF, 0x7F]);
        let twelve = [0xFF, 0x0F, 0x00, 0x08, 0x10, 0x00];
        assert_eq!(to_rgb8(&twelve, "RGB", 1, 1, 2, 12, false).unwrap(), vec![0xFF, 0x80, 0x01]);
    }
}
