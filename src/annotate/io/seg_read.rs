//! Reading a DICOM Segmentation (BINARY, or FRACTIONAL thresholded at half the maximum) back onto
//! a reference series' grid. Frames find their slice by the source instance they reference
//! (Derivation Image → Source Image), else by Image Position projected on the slice normal.

use std::path::Path;

use dicom_core::Tag;
use dicom_core::value::Value;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use nalgebra::{Point3, Vector3};

use super::colour::{dicom_lab_to_rgb, to_hex};
use super::reference::ReferenceSeries;
use super::seg_attrs::*;
use super::seg_write::SegmentSummary;
use super::{LabelIoError, bits};
use crate::annotate::LabelMap;
use crate::dicom::attrs::{array, first_item, int, items, text, uint};
use crate::dicom::open_dicom;
use crate::project::annotations::Label;

/// How far (in voxels) a frame's Image Position may sit off the reference grid in-plane, and
/// how far outside the stack along the normal.
const GRID_TOLERANCE: f64 = 0.5;
/// Orientation vectors must agree to this (cosine distance).
const ORIENTATION_TOLERANCE: f64 = 1e-3;

#[derive(Debug)]
pub struct SegRead {
    pub map: LabelMap,
    /// One label per segment; value = the label value sumi wrote, else the segment number.
    pub labels: Vec<Label>,
    pub frames: usize,
    pub segments: Vec<SegmentSummary>,
    /// Voxels claimed by more than one segment (the later segment keeps them).
    pub overlapping_voxels: u64,
    /// Frames placed by Image Position because they name no source instance of the series.
    pub frames_by_position: usize,
}

struct Segment {
    number: u16,
    value: u8,
    label: Label,
}

/// Reads the SEG at `path` onto `reference`'s grid.
pub fn read_seg(path: &Path, reference: &ReferenceSeries) -> Result<SegRead, LabelIoError> {
    let invalid = |reason: String| LabelIoError::invalid(path, reason);
    let mismatch =
        |reason: String| LabelIoError::Mismatch { path: path.to_path_buf(), reference: reference.path.clone(), reason };
    let file = open_dicom(path, false)?;
    let o: &InMemDicomObject = &file.obj;
    let sop_class = text(o, tags::SOP_CLASS_UID).unwrap_or_default();
    if sop_class != SEGMENTATION_STORAGE {
        return Err(invalid(format!(
            "not a DICOM Segmentation (SOP Class UID {:?}, expected {SEGMENTATION_STORAGE})",
            sop_class
        )));
    }
    let seg_type = text(o, tags::SEGMENTATION_TYPE).unwrap_or_default();
    let bits_allocated = uint(o, tags::BITS_ALLOCATED).unwrap_or(0);
    let threshold = match (seg_type.as_str(), bits_allocated) {
        ("BINARY", 1) => None,
        ("FRACTIONAL", 8) => Some(uint(o, tags::MAXIMUM_FRACTIONAL_VALUE).unwrap_or(255) as f64 / 2.0),
        (t, b) => return Err(invalid(format!("Segmentation Type {t:?} with Bits Allocated {b} is not supported"))),
    };
    let g = &reference.geometry;
    let (rows, cols) = (uint(o, tags::ROWS).unwrap_or(0) as usize, uint(o, tags::COLUMNS).unwrap_or(0) as usize);
    if (cols, rows) != (g.dims[0], g.dims[1]) {
        return Err(mismatch(format!("frames are {cols}×{rows}, the series' slices {}×{}", g.dims[0], g.dims[1])));
    }
    match (text(o, tags::FRAME_OF_REFERENCE_UID), &reference.frame_of_reference_uid) {
        (Some(a), Some(b)) if a != *b => {
            return Err(mismatch(format!("Frame of Reference UID {a} differs from the series' {b}")));
        }
        (None, Some(b)) => return Err(mismatch(format!("no Frame of Reference UID (the series has {b})"))),
        _ => {}
    }
    let segments = read_segments(o).map_err(invalid)?;
    let per_frame = items(o, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE);
    let shared = first_item(o, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE);
    let n_frames = int(o, tags::NUMBER_OF_FRAMES).unwrap_or(1).max(0) as usize;
    if per_frame.len() != n_frames {
        return Err(invalid(format!("{n_frames} frames but {} per-frame functional group items", per_frame.len())));
    }
    check_orientation(shared, per_frame, reference).map_err(mismatch)?;

    let pixel = o.get(tags::PIXEL_DATA).ok_or_else(|| invalid("no Pixel Data".into()))?;
    if matches!(pixel.value(), Value::PixelSequence(_)) {
        return Err(invalid(format!(
            "compressed pixel data (transfer syntax {}) is not supported; sumi reads native SEG",
            file.obj.meta().transfer_syntax()
        )));
    }
    let data = pixel.to_bytes().map_err(|e| invalid(format!("Pixel Data: {e}")))?;
    let per_frame_px = rows * cols;
    let need = if threshold.is_some() { n_frames * per_frame_px } else { (n_frames * per_frame_px).div_ceil(8) };
    if data.len() < need {
        return Err(invalid(format!("truncated Pixel Data: {} bytes, {n_frames} frames need {need}", data.len())));
    }

    let by_instance = reference.slice_by_instance();
    let mut map = LabelMap::new(g.dims);
    let mut summaries: Vec<SegmentSummary> = segments
        .iter()
        .map(|s| SegmentSummary { number: s.number, value: s.value, label: s.label.name.clone(), voxels: 0, frames: 0 })
        .collect();
    let (mut overlapping, mut by_position) = (0u64, 0usize);
    for (f, pf) in per_frame.iter().enumerate() {
        let group = |t: Tag| first_item(pf, t).or_else(|| shared.and_then(|s| first_item(s, t)));
        let number = group(tags::SEGMENT_IDENTIFICATION_SEQUENCE)
            .and_then(|s| uint(s, tags::REFERENCED_SEGMENT_NUMBER))
            .ok_or_else(|| invalid(format!("frame {}: no Referenced Segment Number", f + 1)))?;
        let s = segments
            .iter()
            .position(|s| u32::from(s.number) == number)
            .ok_or_else(|| invalid(format!("frame {}: segment {number} is not in the Segment Sequence", f + 1)))?;
        let k = match source_slice(pf, shared, &by_instance) {
            Some(k) => k,
            None => {
                by_position += 1;
                let ipp = group(tags::PLANE_POSITION_SEQUENCE)
                    .and_then(|p| array::<3>(p, tags::IMAGE_POSITION_PATIENT))
                    .ok_or_else(|| {
                        invalid(format!(
                            "frame {}: neither a source instance of the series nor an Image Position",
                            f + 1
                        ))
                    })?;
                slice_at(reference, ipp).map_err(|r| mismatch(format!("frame {}: {r}", f + 1)))?
            }
        };
        let value = segments[s].value;
        let slice = map.slice_mut(k);
        let start = f * per_frame_px;
        let mut count = 0u64;
        for (i, v) in slice.iter_mut().enumerate() {
            let on = match threshold {
                None => {
                    let b = start + i;
                    data[b / 8] != 0 && bits::bit(&data, b)
                }
                Some(t) => f64::from(data[start + i]) > t,
            };
            if on {
                if *v != 0 && *v != value {
                    overlapping += 1;
                }
                *v = value;
                count += 1;
            }
        }
        summaries[s].voxels += count;
        summaries[s].frames += 1;
    }
    map.compact();
    Ok(SegRead {
        map,
        labels: segments.into_iter().map(|s| s.label).collect(),
        frames: n_frames,
        segments: summaries,
        overlapping_voxels: overlapping,
        frames_by_position: by_position,
    })
}

/// The Segment Sequence as labels: value from sumi's private element when every segment has a
/// distinct one, else the segment number.
fn read_segments(o: &InMemDicomObject) -> Result<Vec<Segment>, String> {
    let seq = items(o, tags::SEGMENT_SEQUENCE);
    if seq.is_empty() {
        return Err("empty or missing Segment Sequence".into());
    }
    if seq.len() > 255 {
        return Err(format!("{} segments: a sumi label map holds at most 255", seq.len()));
    }
    let private_value = |s: &InMemDicomObject| {
        (text(s, PRIVATE_CREATOR_TAG).as_deref() == Some(PRIVATE_CREATOR))
            .then(|| uint(s, LABEL_VALUE_TAG))
            .flatten()
            .and_then(|v| u8::try_from(v).ok())
            .filter(|&v| v > 0)
    };
    let privates: Vec<Option<u8>> = seq.iter().map(private_value).collect();
    let mut distinct: Vec<u8> = privates.iter().flatten().copied().collect();
    distinct.sort_unstable();
    distinct.dedup();
    let use_private = distinct.len() == seq.len();
    let mut out = Vec::with_capacity(seq.len());
    for (n, s) in seq.iter().enumerate() {
        let number =
            uint(s, tags::SEGMENT_NUMBER).ok_or_else(|| format!("segment item {} has no Segment Number", n + 1))?;
        let number = u16::try_from(number).map_err(|_| format!("Segment Number {number} out of range"))?;
        let value = if use_private {
            privates[n].expect("all present")
        } else {
            u8::try_from(number)
                .ok()
                .filter(|&v| v > 0)
                .ok_or_else(|| format!("Segment Number {number} does not fit a label value 1–255"))?
        };
        let code = read_code(s, tags::SEGMENTED_PROPERTY_TYPE_CODE_SEQUENCE)
            .filter(|(v, sch, _)| !(v == FALLBACK_TYPE.0 && sch == FALLBACK_TYPE.1));
        let colour = array::<3>(s, tags::RECOMMENDED_DISPLAY_CIE_LAB_VALUE)
            .map(|l| to_hex(dicom_lab_to_rgb(l.map(|x| x.clamp(0.0, 65535.0) as u16))))
            .unwrap_or_else(|| "#808080".into());
        let name = text(s, tags::SEGMENT_LABEL).unwrap_or_else(|| format!("Segment {number}"));
        out.push(Segment { number, value, label: Label { value, name, colour, code, visible: true, locked: false } });
    }
    Ok(out)
}

/// The slice of the source instance (and frame) a frame was derived from, if it is in the series.
fn source_slice(
    pf: &InMemDicomObject,
    shared: Option<&InMemDicomObject>,
    by_instance: &std::collections::HashMap<(&str, Option<u32>), usize>,
) -> Option<usize> {
    let derivations = match items(pf, tags::DERIVATION_IMAGE_SEQUENCE) {
        [] => shared.map(|s| items(s, tags::DERIVATION_IMAGE_SEQUENCE)).unwrap_or(&[]),
        d => d,
    };
    derivations.iter().flat_map(|d| items(d, tags::SOURCE_IMAGE_SEQUENCE)).find_map(|src| {
        let uid = text(src, tags::REFERENCED_SOP_INSTANCE_UID)?;
        let frame = uint(src, tags::REFERENCED_FRAME_NUMBER);
        by_instance.get(&(uid.as_str(), frame)).or_else(|| by_instance.get(&(uid.as_str(), None))).copied()
    })
}

/// The slice whose plane holds `ipp` (within half a slice), with the frame's corner on the grid.
fn slice_at(r: &ReferenceSeries, ipp: [f64; 3]) -> Result<usize, String> {
    let g = &r.geometry;
    let ijk = g.patient_to_index(Point3::from(ipp)).ok_or("the series' grid is degenerate")?;
    let k = ijk.z.round();
    if ijk.x.abs() > GRID_TOLERANCE || ijk.y.abs() > GRID_TOLERANCE {
        return Err(format!(
            "Image Position {ipp:?} is {:.2}, {:.2} voxels off the series' first pixel in-plane",
            ijk.x, ijk.y
        ));
    }
    if k < 0.0 || k >= g.dims[2] as f64 {
        return Err(format!(
            "Image Position {ipp:?} lies at slice {:.2}, outside the series' 0–{}",
            ijk.z,
            g.dims[2] - 1
        ));
    }
    Ok(k as usize)
}

/// Frames must share the series' row and column directions.
fn check_orientation(
    shared: Option<&InMemDicomObject>,
    per_frame: &[InMemDicomObject],
    r: &ReferenceSeries,
) -> Result<(), String> {
    let (row, col) = (r.geometry.direction(0), r.geometry.direction(1));
    let orientations = shared
        .into_iter()
        .chain(per_frame.iter().take(1))
        .filter_map(|s| first_item(s, tags::PLANE_ORIENTATION_SEQUENCE))
        .filter_map(|p| array::<6>(p, tags::IMAGE_ORIENTATION_PATIENT));
    for o in orientations {
        let (a, b) = (Vector3::new(o[0], o[1], o[2]).normalize(), Vector3::new(o[3], o[4], o[5]).normalize());
        if a.dot(&row) < 1.0 - ORIENTATION_TOLERANCE || b.dot(&col) < 1.0 - ORIENTATION_TOLERANCE {
            return Err(format!(
                "Image Orientation {o:?} differs from the series' [{:.4}, {:.4}, {:.4}, {:.4}, {:.4}, {:.4}]",
                row.x, row.y, row.z, col.x, col.y, col.z
            ));
        }
    }
    Ok(())
}
