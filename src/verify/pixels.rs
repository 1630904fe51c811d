//! Pixel checks on an output, decoded with the shared reader: every reviewed box must be filled
//! (one value throughout), and an image that does not declare Burned In Annotation NO must show
//! no text to the detector.

use std::path::Path;

use crate::dicom::decode::decode_file;
use crate::project::text_review::ReviewBox;

/// The boxes (by index) whose region on some frame holds more than one value. JPEG outputs (from
/// PNG/JPEG/TIFF sources re-encoded) get a tolerance and a 2-pixel inset for compression ringing.
pub fn unfilled_boxes(path: &Path, boxes: &[ReviewBox], lossy: bool) -> Result<Vec<(usize, u32)>, String> {
    let d = decode_file(path).map_err(|e| e.to_string())?;
    let (w, h) = (d.cols, d.rows);
    let (inset, tolerance) = if lossy { (2u32, 24.0) } else { (0, 0.0) };
    let mut bad = Vec::new();
    let mut grey = vec![0f64; w * h];
    for (i, b) in boxes.iter().enumerate() {
        let x0 = (b.x + inset).min(w as u32) as usize;
        let y0 = (b.y + inset).min(h as u32) as usize;
        let x1 = (b.x + b.w).saturating_sub(inset).min(w as u32) as usize;
        let y1 = (b.y + b.h).saturating_sub(inset).min(h as u32) as usize;
        if x0 >= x1 || y0 >= y1 {
            continue;
        }
        let last = (b.last_frame as usize).min(d.frames.saturating_sub(1));
        for f in (b.first_frame as usize)..=last {
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            if let Some(rgb) = d.rgb_frame(f) {
                for y in y0..y1 {
                    for x in x0..x1 {
                        let p = (y * w + x) * 3;
                        let v = f64::from(rgb[p]) + 256.0 * f64::from(rgb[p + 1]) + 65536.0 * f64::from(rgb[p + 2]);
                        let luma = f64::from(rgb[p].max(rgb[p + 1]).max(rgb[p + 2]));
                        // Exact for lossless data; brightness range for lossy.
                        let v = if lossy { luma } else { v };
                        lo = lo.min(v);
                        hi = hi.max(v);
                    }
                }
            } else {
                d.grey_frame_into(f, &mut grey, |v| v);
                for y in y0..y1 {
                    for &v in &grey[y * w + x0..y * w + x1] {
                        lo = lo.min(v);
                        hi = hi.max(v);
                    }
                }
            }
            if hi - lo > tolerance {
                bad.push((i, f as u32));
                break;
            }
        }
    }
    Ok(bad)
}

/// Text the detector finds in the output's pixels (boxes as x, y, w, h, frame range).
pub fn text_found(path: &Path) -> Result<Vec<[u32; 6]>, String> {
    let found = crate::deid::text::detect_file(path).map_err(|e| e.to_string())?;
    Ok(found.boxes.iter().map(|b| [b.x, b.y, b.w, b.h, b.frames.0, b.frames.1]).collect())
}

/// Frames whose masked pixels are not all air (modality value above `air` + half a stored step).
pub fn not_air(path: &Path, masks: &[(usize, Vec<u8>)], air: f64) -> Result<Vec<(usize, u64)>, String> {
    let d = decode_file(path).map_err(|e| e.to_string())?;
    let (w, h) = (d.cols, d.rows);
    let step = d.slope.abs().max(1e-9);
    let mut grey = vec![0f64; w * h];
    let mut bad = Vec::new();
    for (frame, mask) in masks {
        if *frame >= d.frames || mask.len() != w * h {
            bad.push((*frame, mask.iter().filter(|&&m| m != 0).count() as u64));
            continue;
        }
        d.grey_frame_into(*frame, &mut grey, |v| v);
        let n = grey.iter().zip(mask).filter(|(v, m)| **m != 0 && **v > air + 0.5 * step).count() as u64;
        if n > 0 {
            bad.push((*frame, n));
        }
    }
    Ok(bad)
}
