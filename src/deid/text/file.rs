//! Whole files: decode every frame, find static text once in the frames' extremes, find
//! changing or moving text per frame, and join per-frame boxes into tracks over the frames.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use super::detect::{Polarity, detect_frame, detect_polarity, merge_overlapping};
use super::header::{HeaderHints, header_hints};
use super::luma::{LumaFrames, to_luma};
use super::modality::filter_for_modality;
use super::phi_match::PatientPhi;
use super::{Luma, TextBox};
use crate::dicom::decode::decode_opened;
use crate::dicom::foreign::{decode_foreign, recognise};
use crate::dicom::{DicomError, open_dicom};

/// What [`detect_file`] found in one file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileDetection {
    pub path: PathBuf,
    pub width: usize,
    pub height: usize,
    pub frames: u32,
    pub hints: HeaderHints,
    pub boxes: Vec<TextBox>,
    /// Wall time for the file: reading, decoding, conversion and detection (OCR apart).
    pub millis: f64,
    /// Detection alone.
    pub detect_millis: f64,
    /// OCR of all boxes, when it ran.
    pub ocr_millis: Option<f64>,
    /// Why OCR was asked for but did not run (tesseract missing, a build without OCR).
    pub ocr_error: Option<String>,
}

/// What to do besides detection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DetectOptions {
    /// Read each box with OCR and match its text against the header's PHI.
    pub ocr: bool,
}

/// Decodes all frames of `path` and proposes text boxes, each with the frames it is in.
pub fn detect_file(path: &Path) -> Result<FileDetection, DicomError> {
    detect_file_with(path, DetectOptions::default())
}

/// [`detect_file`], then OCR when asked. An OCR failure leaves the boxes unread and says why in
/// [`FileDetection::ocr_error`]: the file itself was read.
pub fn detect_file_with(path: &Path, options: DetectOptions) -> Result<FileDetection, DicomError> {
    detect_file_and_pixels(path, options).map(|(detection, _)| detection)
}

/// [`detect_file_with`], also handing back the 8-bit frames, for other detectors (faces) to run
/// without decoding the file again.
pub fn detect_file_and_pixels(path: &Path, options: DetectOptions) -> Result<(FileDetection, LumaFrames), DicomError> {
    let start = Instant::now();
    let (hints, phi, decoded) = match open_dicom(path, false) {
        Ok(file) => {
            let phi = options.ocr.then(|| PatientPhi::from_header(&file.obj));
            (header_hints(&file.obj), phi, decode_opened(&file)?)
        }
        // A PNG, JPEG or TIFF image: no header hints and no header PHI (OCR still reads it).
        Err(e) => {
            let decoded = recognise(path, e).and_then(|kind| decode_foreign(path, kind))?;
            (HeaderHints::default(), options.ocr.then(PatientPhi::default), decoded)
        }
    };
    let luma = to_luma(&decoded);
    drop(decoded);
    let detect_start = Instant::now();
    let mut boxes = detect_frames(&luma, &hints.regions);
    filter_for_modality(&mut boxes, hints.modality.as_deref(), luma.width, luma.height);
    let detect_millis = detect_start.elapsed().as_secs_f64() * 1e3;
    let millis = start.elapsed().as_secs_f64() * 1e3;
    let (mut ocr_millis, mut ocr_error) = (None, None);
    if let Some(phi) = phi {
        let ocr_start = Instant::now();
        match read_boxes(&luma, &mut boxes, &phi) {
            Ok(()) => ocr_millis = Some(ocr_start.elapsed().as_secs_f64() * 1e3),
            Err(e) => ocr_error = Some(format!("{}: {e}", path.display())),
        }
    }
    let detection = FileDetection {
        path: path.to_owned(),
        width: luma.width,
        height: luma.height,
        frames: luma.frames as u32,
        hints,
        boxes,
        millis,
        detect_millis,
        ocr_millis,
        ocr_error,
    };
    Ok((detection, luma))
}

#[cfg(feature = "ocr")]
fn read_boxes(luma: &LumaFrames, boxes: &mut [TextBox], phi: &PatientPhi) -> Result<(), String> {
    super::ocr::read_boxes(luma, boxes, phi).map_err(|e| e.to_string())
}

#[cfg(not(feature = "ocr"))]
fn read_boxes(_: &LumaFrames, _: &mut [TextBox], _: &PatientPhi) -> Result<(), String> {
    Err(super::NO_OCR_BUILD.into())
}

/// Detection over all frames of a converted image.
pub fn detect_frames(luma: &LumaFrames, regions: &[[u32; 4]]) -> Vec<TextBox> {
    let frame = |k: usize| Luma { width: luma.width, height: luma.height, pixels: luma.frame(k) };
    if luma.frames <= 1 {
        return detect_frame(&frame(0), regions);
    }
    let last = luma.frames as u32 - 1;
    // Static overlays keep their value in every frame while the anatomy under and around them
    // changes: light text survives in the per-pixel minimum, dark text in the maximum, both with
    // far less clutter than in any single frame.
    let (lo, hi) = extremes(luma);
    let lo = Luma { width: luma.width, height: luma.height, pixels: &lo };
    let hi = Luma { width: luma.width, height: luma.height, pixels: &hi };
    let mut fixed = detect_polarity(&lo, regions, Polarity::Bright);
    fixed.extend(detect_polarity(&hi, regions, Polarity::Dark));
    for b in &mut fixed {
        b.frames = (0, last);
        b.reason.push_str(", static in all frames");
    }
    let fixed = merge_overlapping(fixed);
    let per_frame: Vec<Vec<TextBox>> = (0..luma.frames)
        .into_par_iter()
        .map(|k| {
            let mut boxes = detect_frame(&frame(k), regions);
            // What the static pass already covers needs no per-frame box.
            boxes.retain(|b| !fixed.iter().any(|f| 2 * f.overlap(b) >= b.area()));
            boxes.iter_mut().for_each(|b| b.frames = (k as u32, k as u32));
            boxes
        })
        .collect();
    let mut out = fixed;
    out.extend(tracks(per_frame));
    out.sort_by_key(|b| (b.frames.0, b.y, b.x));
    out
}

fn extremes(luma: &LumaFrames) -> (Vec<u8>, Vec<u8>) {
    let mut lo = luma.frame(0).to_vec();
    let mut hi = lo.clone();
    for k in 1..luma.frames {
        for ((l, h), &v) in lo.iter_mut().zip(hi.iter_mut()).zip(luma.frame(k)) {
            *l = (*l).min(v);
            *h = (*h).max(v);
        }
    }
    (lo, hi)
}

/// Frames a track may miss (a flicker of the detector) and still continue.
const MAX_GAP_FRAMES: u32 = 2;
/// A box seen in one frame of a cine only, neither static nor moving along, is more often a
/// chance alignment of speckle than text: it needs this score to be reported.
const LONE_FRAME_SCORE: f32 = 0.75;

/// Whether `b` continues the track that last showed `m`: the same place (IoU ≥ 0.5), or the same
/// size a short way off (text moving with a cursor or a scrolling trace).
fn continues(m: &TextBox, b: &TextBox) -> bool {
    let i = m.overlap(b);
    if 2 * i >= m.area() + b.area() - i {
        return true;
    }
    let similar = |p: u32, q: u32| 4 * p.abs_diff(q) <= p.max(q);
    let (dx, dy) = ((2 * m.x + m.w).abs_diff(2 * b.x + b.w) / 2, (2 * m.y + m.h).abs_diff(2 * b.y + b.h) / 2);
    similar(m.w, b.w) && similar(m.h, b.h) && dx.max(dy) <= m.w.max(4 * m.h)
}

/// Joins boxes of consecutive frames into tracks. A track that stays in place (a changing
/// counter, text the static pass missed) is reported once over its frame range; one that moves
/// (its union grows well beyond its members) frame by frame; a lone weak box not at all.
fn tracks(per_frame: Vec<Vec<TextBox>>) -> Vec<TextBox> {
    struct Track {
        union: TextBox,
        members: Vec<TextBox>,
    }
    let mut tracks: Vec<Track> = Vec::new();
    for boxes in per_frame {
        for b in boxes {
            let k = b.frames.0;
            let mut live =
                tracks.iter_mut().filter(|t| t.union.frames.1 < k && t.union.frames.1 + 1 + MAX_GAP_FRAMES >= k);
            match live.find(|t| continues(t.members.last().expect("tracks have members"), &b)) {
                Some(t) => {
                    let u = &mut t.union;
                    let (x1, y1) = ((u.x + u.w).max(b.x + b.w), (u.y + u.h).max(b.y + b.h));
                    (u.x, u.y) = (u.x.min(b.x), u.y.min(b.y));
                    (u.w, u.h) = (x1 - u.x, y1 - u.y);
                    u.frames.1 = k;
                    if b.score > u.score {
                        (u.score, u.reason) = (b.score, b.reason.clone());
                    }
                    t.members.push(b);
                }
                None => tracks.push(Track { union: b.clone(), members: vec![b] }),
            }
        }
    }
    let mut out = Vec::new();
    for t in tracks {
        let largest = t.members.iter().map(TextBox::area).max().unwrap_or(0);
        if t.members.len() == 1 {
            out.extend(t.members.into_iter().filter(|b| b.score >= LONE_FRAME_SCORE));
        } else if 2 * t.union.area() <= 3 * largest {
            let mut u = t.union;
            u.reason.push_str(&format!(", in frames {}–{}", u.frames.0, u.frames.1));
            out.push(u);
        } else {
            let n = t.members.len();
            out.extend(t.members.into_iter().map(|mut b| {
                b.reason.push_str(&format!(", moving over {n} frames"));
                b
            }));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(x: u32, y: u32, w: u32, k: u32, score: f32) -> TextBox {
        TextBox { x, y, w, h: 10, score, reason: "r".into(), frames: (k, k), ocr_text: None, class: None }
    }

    #[test]
    fn boxes_in_place_become_one_box_over_their_frames_despite_a_missed_frame() {
        let frames =
            vec![vec![b(10, 10, 60, 0, 0.6)], vec![b(11, 10, 58, 1, 0.9)], vec![], vec![b(10, 10, 60, 3, 0.6)]];
        let out = tracks(frames);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].x, out[0].w, out[0].frames, out[0].score), (10, 60, (0, 3), 0.9));
    }

    #[test]
    fn moving_boxes_stay_one_per_frame_and_lone_weak_ones_are_dropped() {
        let frames = vec![
            vec![b(10, 100, 40, 0, 0.6), b(300, 10, 20, 0, 0.6), b(300, 50, 20, 0, 0.8)],
            vec![b(45, 100, 40, 1, 0.6)],
            vec![b(80, 102, 40, 2, 0.6)],
        ];
        let mut out = tracks(frames);
        out.sort_by_key(|b| (b.frames, b.x));
        let got: Vec<_> = out.iter().map(|b| (b.x, b.y, b.frames)).collect();
        assert_eq!(got, vec![(10, 100, (0, 0)), (300, 50, (0, 0)), (45, 100, (1, 1)), (80, 102, (2, 2))]);
        assert!(out[0].reason.ends_with("moving over 3 frames"));
    }
}
