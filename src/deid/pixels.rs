//! PS3.15 Clean Pixel Data: blanks reviewer-approved boxes in the stored pixel values (an overlay
//! would leave the text in the data). Native data is changed in place; encapsulated data is decoded
//! and rewritten as native Explicit VR Little Endian, never recompressed, so that nothing outside
//! the boxes changes.

use std::fmt;
use std::path::PathBuf;

use dicom_core::value::{DicomValueType, PrimitiveValue, Value};
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;
use dicom_object::DefaultDicomObject;
use dicom_transfer_syntax_registry::entries::EXPLICIT_VR_LITTLE_ENDIAN;

use crate::dicom::decode::mark_jpeg_rgb;
use crate::dicom::palette::Palette;
use crate::dicom::{DicomFile, ImageMeta};

const BIG_ENDIAN: &str = "1.2.840.10008.1.2.2";
const RLE_LOSSLESS: &str = "1.2.840.10008.1.2.5";
/// Always lossy: JPEG baseline / extended.
const ALWAYS_LOSSY: &[&str] = &["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"];
/// Lossy unless (0028,2110) says otherwise (JPEG-LS near-lossless, JPEG 2000, HTJ2K).
const MAYBE_LOSSY: &[&str] =
    &["1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.93", "1.2.840.10008.1.2.4.203"];

/// A rectangle to blank on frames first..=last (0-based), in pixel coordinates of the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelBox {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    pub first_frame: u32,
    pub last_frame: u32,
}

impl fmt::Display for PixelBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let PixelBox { x, y, w, h, first_frame, last_frame } = self;
        write!(f, "({x}, {y}) {w}×{h} on frames {first_frame}..={last_frame}")
    }
}

/// What `clean_pixels` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanReport {
    /// Frames with at least one box.
    pub frames: u32,
    /// Pixels inside the boxes, overlaps counted once (YBR_FULL_422 boxes widened to pixel pairs).
    pub pixels_filled: u64,
    /// Of those, the pixels whose stored value was not already the fill value.
    pub pixels_changed: u64,
    /// Encapsulated data was decoded and rewritten as native Explicit VR Little Endian.
    pub reencoded: bool,
    /// The transfer syntax and photometric interpretation of the cleaned object.
    pub transfer_syntax: String,
    pub photometric: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CleanError {
    #[error("{file}: no Pixel Data to clean")]
    NoPixelData { file: String },
    #[error("{file}: {attribute}: {reason}")]
    BadAttribute { file: String, attribute: &'static str, reason: String },
    #[error("{file}: cannot clean pixels: {what} is not supported")]
    Unsupported { file: String, what: String },
    #[error("{file}: box {index} {pixel_box} lies outside the {cols}×{rows} image of {frames} frame(s)")]
    BoxOutside { file: String, index: usize, pixel_box: PixelBox, cols: u32, rows: u32, frames: u32 },
    #[error("{file}: decoding pixel data failed: {reason}")]
    Decode { file: String, reason: String },
}

/// Fills `boxes` in the stored pixel values of `obj` (a whole object incl. Pixel Data, as read by
/// sumi::dicom::open_dicom(path, false)). Native data is changed in place; encapsulated
/// (compressed) data is decoded and rewritten as Explicit VR Little Endian (never lossy);
/// sets Burned In Annotation (0028,0301) = NO. Returns what it did (frames/pixels changed, whether re-encoded).
pub fn clean_pixels(obj: &mut DefaultDicomObject, boxes: &[PixelBox]) -> Result<CleanReport, CleanError> {
    let file = instance_name(obj);
    let pixel_data = obj.get(tags::PIXEL_DATA).ok_or_else(|| CleanError::NoPixelData { file: file.clone() })?;
    let encapsulated = matches!(pixel_data.value(), Value::PixelSequence(_));
    let image = ImageMeta::from_obj(obj).ok_or_else(|| bad(&file, "Rows/Columns", "missing".into()))?;
    if image.bits_stored == 0 || image.bits_stored > image.bits_allocated {
        let reason = format!("{} with Bits Allocated {}", image.bits_stored, image.bits_allocated);
        return Err(bad(&file, "Bits Stored", reason));
    }
    // Samples are written whole, assuming the stored bits are the low ones (as the decoder does).
    if let Some(high_bit) = obj.get(tags::HIGH_BIT).and_then(|e| e.to_int::<u16>().ok())
        && high_bit + 1 != image.bits_stored
    {
        let what = format!("High Bit {high_bit} with Bits Stored {}", image.bits_stored);
        return Err(CleanError::Unsupported { file, what });
    }
    let regions = clip(boxes, (image.cols, image.rows, image.frames), &file)?;
    let target = Target::Boxes(&regions);
    let report = if encapsulated {
        clean_encapsulated(obj, &image, &target, Fill::Black, &file)?
    } else {
        clean_native(obj, &image, &target, Fill::Black, &file)?
    };
    obj.put(DataElement::new(tags::BURNED_IN_ANNOTATION, VR::CS, "NO"));
    Ok(report)
}

/// What to overwrite: reviewed boxes, or per-frame pixel masks (defacing: 1 = remove).
enum Target<'a> {
    Boxes(&'a [Region]),
    Masks(&'a [(usize, Vec<u8>)]),
}

/// The value written: black as the photometric interpretation reads it, or a stored value.
#[derive(Clone, Copy)]
enum Fill {
    Black,
    Stored(i64),
}

/// PS3.15 Clean Recognizable Visual Features for one stored image: sets the pixels under each
/// frame's mask (frame index, rows×cols bytes, 1 = remove) to `air` in modality units (CT −1000
/// HU, MR 0), stored through the inverse rescale and clamped to the stored range. Greyscale only.
pub fn deface_pixels(
    obj: &mut DefaultDicomObject,
    frame_masks: &[(usize, Vec<u8>)],
    air: f64,
) -> Result<CleanReport, CleanError> {
    let file = instance_name(obj);
    let pixel_data = obj.get(tags::PIXEL_DATA).ok_or_else(|| CleanError::NoPixelData { file: file.clone() })?;
    let encapsulated = matches!(pixel_data.value(), Value::PixelSequence(_));
    let image = ImageMeta::from_obj(obj).ok_or_else(|| bad(&file, "Rows/Columns", "missing".into()))?;
    if image.samples_per_pixel != 1 || image.bits_stored == 0 || image.bits_stored > image.bits_allocated {
        let what = format!("defacing {} sample(s) of {} bits", image.samples_per_pixel, image.bits_stored);
        return Err(CleanError::Unsupported { file, what });
    }
    let pixels = (image.rows * image.cols) as usize;
    if let Some((k, m)) = frame_masks.iter().find(|(k, m)| *k >= image.frames as usize || m.len() != pixels) {
        return Err(bad(
            &file,
            "Rows/Columns",
            format!("mask for frame {k} has {} pixels, the image {pixels}", m.len()),
        ));
    }
    let slope = if image.rescale_slope == 0.0 { 1.0 } else { image.rescale_slope };
    let bits = u32::from(image.bits_stored.clamp(1, 32));
    let (lo, hi) =
        if image.pixel_signed { (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1) } else { (0, (1i64 << bits) - 1) };
    let stored = (((air - image.rescale_intercept) / slope).round() as i64).clamp(lo, hi);
    let target = Target::Masks(frame_masks);
    if encapsulated {
        clean_encapsulated(obj, &image, &target, Fill::Stored(stored), &file)
    } else {
        clean_native(obj, &image, &target, Fill::Stored(stored), &file)
    }
}

fn clean_native(
    obj: &mut DefaultDicomObject,
    image: &ImageMeta,
    target: &Target<'_>,
    fill_with: Fill,
    file: &str,
) -> Result<CleanReport, CleanError> {
    let element = obj.get(tags::PIXEL_DATA).ok_or_else(|| CleanError::NoPixelData { file: file.into() })?;
    let vr = element.vr();
    let Value::Primitive(value) = element.value() else {
        return Err(bad(file, "Pixel Data", "is a sequence".into()));
    };
    let mut data = value.to_bytes().into_owned();
    let planar = obj.get(tags::PLANAR_CONFIGURATION).and_then(|e| e.to_int::<u16>().ok()) == Some(1);
    let format = (image.samples_per_pixel, image.bits_allocated);
    let layout = Layout::new(image, &image.photometric, format, planar, data.len(), file)?;
    let big_endian = obj.meta().transfer_syntax().trim_end_matches('\0') == BIG_ENDIAN;
    if big_endian {
        swap_big_endian(value, layout.bytes, &mut data);
    }
    let black = fill_value(obj, &image.photometric, image, layout.spp, fill_with, file)?;
    let counts = fill(&mut data, &layout, target, black);
    if big_endian {
        // The swap is its own inverse: puts the samples back in the element's order.
        swap_big_endian(value, layout.bytes, &mut data);
    }
    let value = same_kind(value, data).ok_or_else(|| CleanError::Unsupported {
        file: file.into(),
        what: format!("Pixel Data held as {:?}", value.value_type()),
    })?;
    obj.put(DataElement::new(tags::PIXEL_DATA, vr, value));
    let transfer_syntax = obj.meta().transfer_syntax().trim_end_matches('\0').to_string();
    Ok(counts.report(false, transfer_syntax, image.photometric.clone()))
}

fn clean_encapsulated(
    obj: &mut DefaultDicomObject,
    image: &ImageMeta,
    target: &Target<'_>,
    value: Fill,
    file: &str,
) -> Result<CleanReport, CleanError> {
    let ts = obj.meta().transfer_syntax().trim_end_matches('\0').to_string();
    // Borrow the object as a DicomFile for the decoder's JPEG fix-up without copying its pixels.
    let placeholder = DefaultDicomObject::new_empty_with_meta(obj.meta().clone());
    let source = DicomFile { path: PathBuf::new(), obj: std::mem::replace(obj, placeholder), had_file_meta: true };
    let decoded = (|| {
        let marked = mark_jpeg_rgb(&source, &ts, image);
        let decoded = crate::dicom::decode::decode_guarded(marked.as_ref().unwrap_or(&source.obj))?;
        let pi = decoded.photometric_interpretation().as_str().to_string();
        Ok((pi, decoded.samples_per_pixel(), decoded.bits_allocated(), decoded.into_data()))
    })();
    *obj = source.obj;
    let (decoded_pi, spp, bits_allocated, mut data) =
        decoded.map_err(|reason: String| CleanError::Decode { file: file.into(), reason })?;
    // dicom-pixeldata labels every 3-sample result RGB, but RLE never converts colour.
    let photometric = if ts == RLE_LOSSLESS { image.photometric.clone() } else { decoded_pi };
    let layout = Layout::new(image, &photometric, (spp, bits_allocated), false, data.len(), file)?;
    let black = fill_value(obj, &photometric, image, layout.spp, value, file)?;
    let counts = fill(&mut data, &layout, target, black);

    let was_lossy = match obj.get(tags::LOSSY_IMAGE_COMPRESSION).and_then(|e| e.to_str().ok()) {
        Some(flag) => flag.trim() == "01" || ALWAYS_LOSSY.contains(&ts.as_str()),
        None => ALWAYS_LOSSY.contains(&ts.as_str()) || MAYBE_LOSSY.contains(&ts.as_str()),
    };
    // Exactly the frames (codecs may pad), then an even length as every value must have.
    data.truncate(layout.frame_len() * layout.frames);
    if data.len() % 2 == 1 {
        data.push(0);
    }
    let (vr, value) = if bits_allocated <= 8 {
        (VR::OB, PrimitiveValue::from(data))
    } else {
        (VR::OW, PrimitiveValue::U16(data.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect()))
    };
    obj.put(DataElement::new(tags::PIXEL_DATA, vr, value));
    // Offset tables only describe encapsulated fragments.
    obj.remove_element(tags::EXTENDED_OFFSET_TABLE);
    obj.remove_element(tags::EXTENDED_OFFSET_TABLE_LENGTHS);
    obj.put(DataElement::new(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, photometric.as_str()));
    if spp > 1 {
        obj.put(DataElement::new(tags::PLANAR_CONFIGURATION, VR::US, PrimitiveValue::from(0u16)));
    }
    if was_lossy {
        // Decoding does not undo the loss: the history must stay true.
        obj.put(DataElement::new(tags::LOSSY_IMAGE_COMPRESSION, VR::CS, "01"));
    }
    obj.update_meta(|m| m.set_transfer_syntax(&EXPLICIT_VR_LITTLE_ENDIAN));
    Ok(counts.report(true, EXPLICIT_VR_LITTLE_ENDIAN.uid().to_string(), photometric))
}

/// A box clipped to the image, as half-open pixel ranges and an inclusive frame range.
pub(crate) struct Region {
    pub x: (usize, usize),
    pub y: (usize, usize),
    pub frames: (usize, usize),
}

/// Clips `boxes` to an image of `(cols, rows, frames)`; a box that misses it is an error (a
/// reviewer's box that fills nothing is a mistake to report, not to skip).
pub(crate) fn clip(
    boxes: &[PixelBox],
    (cols, rows, frames): (u32, u32, u32),
    file: &str,
) -> Result<Vec<Region>, CleanError> {
    let mut regions = Vec::with_capacity(boxes.len());
    for (index, b) in boxes.iter().enumerate() {
        let overlaps =
            b.w > 0 && b.h > 0 && b.x < cols && b.y < rows && b.first_frame <= b.last_frame && b.first_frame < frames;
        if !overlaps {
            return Err(CleanError::BoxOutside { file: file.into(), index, pixel_box: *b, cols, rows, frames });
        }
        regions.push(Region {
            x: (b.x as usize, b.x.saturating_add(b.w).min(cols) as usize),
            y: (b.y as usize, b.y.saturating_add(b.h).min(rows) as usize),
            frames: (b.first_frame as usize, b.last_frame.min(frames - 1) as usize),
        });
    }
    Ok(regions)
}

/// Where samples lie in little-endian pixel bytes.
struct Layout {
    rows: usize,
    cols: usize,
    frames: usize,
    spp: usize,
    bytes: usize,
    planar: bool,
    /// Native YBR_FULL_422: per pixel pair Y0 Y1 Cb Cr.
    ybr422: bool,
}

impl Layout {
    /// The layout of `len` bytes of samples; YBR_FULL_422 data as long as three full samples per
    /// pixel is read as such (mislabelled YBR_FULL), like the decoder does.
    fn new(
        image: &ImageMeta,
        pi: &str,
        (spp, bits): (u16, u16),
        planar: bool,
        len: usize,
        file: &str,
    ) -> Result<Layout, CleanError> {
        let unsupported = |what: String| CleanError::Unsupported { file: file.into(), what };
        let bytes = match bits {
            8 => 1,
            16 => 2,
            32 => 4,
            other => return Err(unsupported(format!("Bits Allocated {other}"))),
        };
        if spp != 1 && spp != 3 {
            return Err(unsupported(format!("Samples per Pixel {spp}")));
        }
        let (rows, cols, frames) = (image.rows as usize, image.cols as usize, image.frames as usize);
        let ybr422 = pi == "YBR_FULL_422" && spp == 3 && len < rows * cols * 3 * frames;
        if ybr422 && (bytes != 1 || cols % 2 == 1) {
            return Err(unsupported(format!("YBR_FULL_422 with Bits Allocated {bits} and {cols} columns")));
        }
        let layout = Layout { rows, cols, frames, spp: spp as usize, bytes, planar: planar && spp > 1, ybr422 };
        let expected = layout.frame_len() * frames;
        if len < expected {
            let reason = format!("holds {len} bytes, {expected} expected for {frames} frame(s) of {cols}×{rows}×{spp}");
            return Err(bad(file, "Pixel Data", reason));
        }
        Ok(layout)
    }

    fn frame_len(&self) -> usize {
        if self.ybr422 { self.rows * self.cols * 2 } else { self.rows * self.cols * self.spp * self.bytes }
    }
}

#[derive(Default)]
struct Counts {
    frames: u32,
    filled: u64,
    changed: u64,
}

impl Counts {
    fn report(self, reencoded: bool, transfer_syntax: String, photometric: String) -> CleanReport {
        let Counts { frames, filled: pixels_filled, changed: pixels_changed } = self;
        CleanReport { frames, pixels_filled, pixels_changed, reencoded, transfer_syntax, photometric }
    }
}

/// Writes `black` (one value per sample) into every pixel the target covers.
fn fill(data: &mut [u8], layout: &Layout, target: &Target<'_>, black: [u32; 3]) -> Counts {
    let (cols, pixels, frame_len) = (layout.cols, layout.rows * layout.cols, layout.frame_len());
    let mut counts = Counts::default();
    let mut mask = vec![false; pixels];
    for k in 0..layout.frames {
        mask.fill(false);
        match target {
            Target::Boxes(regions) => {
                let here: Vec<&Region> = regions.iter().filter(|r| (r.frames.0..=r.frames.1).contains(&k)).collect();
                if here.is_empty() {
                    continue;
                }
                for r in here {
                    // A YBR_FULL_422 pair shares its chroma: blank whole pairs.
                    let (x0, x1) = if layout.ybr422 { (r.x.0 & !1, (r.x.1 + 1) & !1) } else { r.x };
                    for y in r.y.0..r.y.1 {
                        mask[y * cols + x0..y * cols + x1].fill(true);
                    }
                }
            }
            Target::Masks(masks) => {
                let Some((_, m)) = masks.iter().find(|(f, _)| *f == k) else { continue };
                for (dst, &src) in mask.iter_mut().zip(m.iter()) {
                    *dst = src != 0;
                }
            }
        }
        let frame = &mut data[k * frame_len..(k + 1) * frame_len];
        for p in (0..pixels).filter(|&p| mask[p]) {
            counts.filled += 1;
            counts.changed += u64::from(write_pixel(frame, layout, p, black));
        }
        counts.frames += 1;
    }
    counts
}

/// Writes one pixel; true when its stored value changed.
fn write_pixel(frame: &mut [u8], layout: &Layout, p: usize, black: [u32; 3]) -> bool {
    if layout.ybr422 {
        let pair = p / 2 * 4;
        return put(frame, pair + p % 2, 1, black[0])
            | put(frame, pair + 2, 1, black[1])
            | put(frame, pair + 3, 1, black[2]);
    }
    let pixels = layout.rows * layout.cols;
    let mut changed = false;
    for (c, &value) in black.iter().enumerate().take(layout.spp) {
        let index = if layout.planar { c * pixels + p } else { p * layout.spp + c };
        changed |= put(frame, index * layout.bytes, layout.bytes, value);
    }
    changed
}

fn put(buf: &mut [u8], at: usize, bytes: usize, value: u32) -> bool {
    let new = &value.to_le_bytes()[..bytes];
    let old = &mut buf[at..at + bytes];
    let changed = old != new;
    old.copy_from_slice(new);
    changed
}

/// The stored sample values that read as black for `photometric`.
fn fill_value(
    obj: &DefaultDicomObject,
    photometric: &str,
    image: &ImageMeta,
    spp: usize,
    fill: Fill,
    file: &str,
) -> Result<[u32; 3], CleanError> {
    if let Fill::Stored(v) = fill {
        // Two's complement, truncated to the sample width when written.
        return Ok([v as u32; 3]);
    }
    let bits = i64::from(image.bits_stored.clamp(1, 32));
    let signed = image.pixel_signed;
    // Two's complement, truncated to the sample width when written.
    let value = |v: i64| v as u32;
    Ok(match (spp, photometric) {
        (1, "MONOCHROME2") => [value(if signed { -(1 << (bits - 1)) } else { 0 }); 3],
        (1, "MONOCHROME1") => [value(if signed { (1 << (bits - 1)) - 1 } else { (1 << bits) - 1 }); 3],
        (1, "PALETTE COLOR") => {
            let palette = Palette::from_obj(obj).map_err(|reason| bad(file, "Palette Color Lookup Table", reason))?;
            let index = palette.darkest_index();
            if !(0..1 << bits).contains(&index) {
                return Err(bad(file, "Palette Color Lookup Table", format!("darkest entry {index} is not storable")));
            }
            [value(index); 3]
        }
        (3, "RGB") => [0; 3],
        (3, "YBR_FULL" | "YBR_FULL_422") => [0, value(1 << (bits - 1)), value(1 << (bits - 1))],
        _ => {
            let what = format!("Photometric Interpretation {photometric} with {spp} sample(s) per pixel");
            return Err(CleanError::Unsupported { file: file.into(), what });
        }
    })
}

/// Big Endian native data is held as words (OW) or bytes (OB): puts each sample into little-endian
/// byte order, as the decoder reads it. Applying it twice restores the original order.
fn swap_big_endian(value: &PrimitiveValue, bytes: usize, data: &mut [u8]) {
    match value {
        PrimitiveValue::U16(_) | PrimitiveValue::I16(_) if bytes == 4 => {
            data.chunks_exact_mut(4).for_each(|c| c.rotate_left(2));
        }
        PrimitiveValue::U8(_) if bytes > 1 => data.chunks_exact_mut(bytes).for_each(<[u8]>::reverse),
        _ => {}
    }
}

/// `data` (little-endian bytes) held in the same kind of value as `like`, so that the element is
/// written back byte for byte as read outside the boxes.
fn same_kind(like: &PrimitiveValue, data: Vec<u8>) -> Option<PrimitiveValue> {
    let pairs = || data.chunks_exact(2).map(|c| [c[0], c[1]]);
    let quads = || data.chunks_exact(4).map(|c| [c[0], c[1], c[2], c[3]]);
    Some(match like {
        PrimitiveValue::U8(_) => PrimitiveValue::from(data),
        PrimitiveValue::U16(_) => PrimitiveValue::U16(pairs().map(u16::from_le_bytes).collect()),
        PrimitiveValue::I16(_) => PrimitiveValue::I16(pairs().map(i16::from_le_bytes).collect()),
        PrimitiveValue::U32(_) => PrimitiveValue::U32(quads().map(u32::from_le_bytes).collect()),
        PrimitiveValue::I32(_) => PrimitiveValue::I32(quads().map(i32::from_le_bytes).collect()),
        _ => return None,
    })
}

fn bad(file: &str, attribute: &'static str, reason: String) -> CleanError {
    CleanError::BadAttribute { file: file.into(), attribute, reason }
}

/// Names the object in errors by its SOP Instance UID (the path is the caller's).
fn instance_name(obj: &DefaultDicomObject) -> String {
    let uid = obj
        .get(tags::SOP_INSTANCE_UID)
        .and_then(|e| e.to_str().ok())
        .map(|s| s.trim_end_matches(['\0', ' ']).to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| obj.meta().media_storage_sop_instance_uid().trim_end_matches('\0').to_string());
    format!("instance {uid}")
}
