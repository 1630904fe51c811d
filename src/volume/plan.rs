//! Planning a series before decoding: which frames go into which slice, the patient geometry,
//! and every problem worth telling the user (gaps, irregular spacing, tilt, mixed sizes).
//! Slices are ordered by Image Position projected on the slice normal, never by file order.

use std::collections::HashMap;
use std::path::PathBuf;

use nalgebra::{Matrix3, Point3, Vector3};
use serde::Serialize;

use crate::dicom::decode::stored_range;
use crate::dicom::{ImageMeta, InstanceMeta};

use super::geometry::Geometry;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum SeriesKind {
    /// A spatial stack with patient geometry: MPR makes sense.
    Volume,
    /// Frames over time from one multi-frame object (ultrasound, XA cine).
    Cine { frame_time_ms: f64 },
    /// Separate 2D images without a common geometry.
    Images,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum VoxelType {
    I16,
    U16,
    F32,
    Rgba8,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FrameRef {
    /// Index into `SeriesPlan::paths`.
    pub instance: usize,
    pub frame: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct SeriesPlan {
    pub kind: SeriesKind,
    pub geometry: Geometry,
    /// One entry per slice along k; `None` marks a missing slice (filled with background).
    pub slices: Vec<Option<FrameRef>>,
    pub paths: Vec<PathBuf>,
    pub voxel_type: VoxelType,
    /// Lowest possible modality value: the background for missing slices.
    pub background: f64,
    pub modality: String,
    pub window: Option<(f64, f64)>,
    pub monochrome1: bool,
    pub problems: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("series has no image instances")]
    NoImages,
}

const DUPLICATE_MM: f64 = 0.01;
/// Spacing deviations below 2 % (and 0.05 mm) are scanner rounding of Image Position, not gaps.
const IRREGULAR_FRACTION: f64 = 0.02;
const IRREGULAR_MIN_MM: f64 = 0.05;
/// Below this the slice step is taken as perpendicular (rounding in IPP/IOP).
const TILT_MIN_DEG: f64 = 0.2;

/// Plans the volume for one series' instances.
pub fn plan_series(instances: &[&InstanceMeta]) -> Result<SeriesPlan, PlanError> {
    let mut problems = Vec::new();
    let images: Vec<(&InstanceMeta, &ImageMeta)> =
        instances.iter().filter_map(|m| m.image.as_ref().map(|i| (*m, i))).collect();
    if images.is_empty() {
        return Err(PlanError::NoImages);
    }
    // Keep the dominant size/orientation: localizers and odd images are reported, not mixed in.
    let key = |i: &ImageMeta| {
        let o = i.orientation.map(|o| o.map(|v| (v * 100.0).round() as i64));
        (i.rows, i.cols, i.is_color(), o)
    };
    let mut counts: HashMap<_, u64> = HashMap::new();
    for (_, i) in &images {
        *counts.entry(key(i)).or_default() += u64::from(i.frames);
    }
    let best = counts.iter().max_by_key(|(k, n)| (**n, k.0 * k.1)).map(|(k, _)| *k).expect("non-empty");
    let kept: Vec<(&InstanceMeta, &ImageMeta)> = images.iter().copied().filter(|(_, i)| key(i) == best).collect();
    if kept.len() < images.len() {
        problems.push(format!(
            "{} instance(s) with a different size or orientation left out (localizer?)",
            images.len() - kept.len()
        ));
    }
    let paths: Vec<PathBuf> = kept.iter().map(|(m, _)| m.path.clone()).collect();
    let first = kept[0].1;
    let modality = kept[0].0.modality.clone().unwrap_or_default();
    let (voxel_type, background) = choose_voxel_type(&kept);
    let pixel_spacing = first.pixel_spacing.unwrap_or([1.0, 1.0]);

    let spatial = first.orientation.is_some()
        && kept.iter().all(|(_, i)| i.positions.len() == i.frames as usize)
        && !(kept.len() == 1 && first.frames > 1 && first.positions.len() <= 1);
    if spatial && first.pixel_spacing.is_none() {
        problems.push("no Pixel Spacing: in-plane distances are in pixels".into());
    }
    let (kind, geometry, slices) = if spatial {
        spatial_stack(&kept, pixel_spacing, &mut problems)
    } else {
        let mut order: Vec<usize> = (0..kept.len()).collect();
        order.sort_by_key(|&i| (kept[i].0.instance_number.unwrap_or(i64::MAX), kept[i].0.path.clone()));
        let slices: Vec<Option<FrameRef>> = order
            .iter()
            .flat_map(|&i| (0..kept[i].1.frames).map(move |frame| Some(FrameRef { instance: i, frame })))
            .collect();
        let kind = if kept.len() == 1 && first.frames > 1 {
            SeriesKind::Cine { frame_time_ms: first.frame_time_ms.filter(|t| *t > 0.0).unwrap_or(33.3) }
        } else {
            SeriesKind::Images
        };
        let dims = [first.cols as usize, first.rows as usize, slices.len()];
        (kind, Geometry::axis_aligned(dims, [pixel_spacing[1], pixel_spacing[0], 1.0]), slices)
    };
    Ok(SeriesPlan {
        kind,
        geometry,
        slices,
        paths,
        voxel_type,
        background,
        modality,
        window: first.window,
        monochrome1: first.photometric == "MONOCHROME1",
        problems,
    })
}

fn choose_voxel_type(kept: &[(&InstanceMeta, &ImageMeta)]) -> (VoxelType, f64) {
    if kept[0].1.is_color() {
        return (VoxelType::Rgba8, 0.0);
    }
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut integral = true;
    for (_, i) in kept {
        let (a, b) = stored_range(i.bits_stored, i.pixel_signed, i.rescale_slope, i.rescale_intercept);
        lo = lo.min(a);
        hi = hi.max(b);
        integral &= i.rescale_slope.fract() == 0.0 && i.rescale_intercept.fract() == 0.0;
    }
    let t = if !integral {
        VoxelType::F32
    } else if lo >= f64::from(i16::MIN) && hi <= f64::from(i16::MAX) {
        VoxelType::I16
    } else if lo >= 0.0 && hi <= f64::from(u16::MAX) {
        VoxelType::U16
    } else if lo < 0.0 && lo >= f64::from(i16::MIN) {
        // CT stored as 16-bit unsigned with a negative intercept: real data fits i16; the loader
        // checks every value and falls back to f32 if one does not.
        VoxelType::I16
    } else {
        VoxelType::F32
    };
    (t, lo.max(-1e9))
}

fn spatial_stack(
    kept: &[(&InstanceMeta, &ImageMeta)],
    pixel_spacing: [f64; 2],
    problems: &mut Vec<String>,
) -> (SeriesKind, Geometry, Vec<Option<FrameRef>>) {
    let first = kept[0].1;
    let o = first.orientation.expect("spatial stacks have an orientation");
    let row_dir = Vector3::new(o[0], o[1], o[2]).normalize();
    let col_dir = Vector3::new(o[3], o[4], o[5]).normalize();
    let normal = row_dir.cross(&col_dir).normalize();
    let mut frames: Vec<(f64, Point3<f64>, FrameRef)> = kept
        .iter()
        .enumerate()
        .flat_map(|(instance, (_, i))| {
            i.positions.iter().enumerate().map(move |(f, p)| {
                let p = Point3::new(p[0], p[1], p[2]);
                (p.coords.dot(&normal), p, FrameRef { instance, frame: f as u32 })
            })
        })
        .collect();
    frames.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.2.instance.cmp(&b.2.instance)));
    let before = frames.len();
    frames.dedup_by(|b, a| (b.0 - a.0).abs() < DUPLICATE_MM);
    if frames.len() < before {
        problems.push(format!(
            "{} frame(s) at duplicate positions left out (several phases or echoes?)",
            before - frames.len()
        ));
    }
    let diffs: Vec<f64> = frames.windows(2).map(|w| w[1].0 - w[0].0).collect();
    let median = median(&diffs).unwrap_or(0.0);
    let mut slices = Vec::with_capacity(frames.len());
    let mut irregular = (f64::INFINITY, f64::NEG_INFINITY);
    let mut irregular_found = false;
    for (n, f) in frames.iter().enumerate() {
        if n > 0 {
            let d = diffs[n - 1];
            let ratio = d / median;
            let whole = ratio.round();
            if ratio > 1.5 && (ratio - whole).abs() < 0.1 {
                let missing = whole as usize - 1;
                problems.push(format!(
                    "{missing} missing slice(s) between {:.2} and {:.2} mm along the slice normal (filled with background)",
                    frames[n - 1].0, f.0
                ));
                slices.extend(std::iter::repeat_n(None, missing));
            } else if (d - median).abs() > (IRREGULAR_FRACTION * median).max(IRREGULAR_MIN_MM) {
                irregular_found = true;
            }
            irregular = (irregular.0.min(d), irregular.1.max(d));
        }
        slices.push(Some(f.2));
    }
    if irregular_found {
        problems.push(format!(
            "non-uniform slice spacing ({:.3}–{:.3} mm); the grid uses {median:.3} mm, so distances along the normal are approximate",
            irregular.0, irregular.1
        ));
    }
    let origin = frames[0].1;
    let step = if slices.len() > 1 {
        let span = frames.last().expect("non-empty").1 - origin;
        // Irregular: keep the direction the slices actually step in (a tilted stack stays sheared)
        // with the median step measured along the normal.
        if irregular_found { span * (median / span.dot(&normal)) } else { span / (slices.len() - 1) as f64 }
    } else {
        normal * first.spacing_between_slices.or(first.slice_thickness).filter(|t| *t > 0.0).unwrap_or(1.0)
    };
    let tilt_deg = step.normalize().dot(&normal).clamp(-1.0, 1.0).acos().to_degrees();
    if tilt_deg > TILT_MIN_DEG {
        problems.push(format!(
            "gantry tilt of {tilt_deg:.2}°: the grid is sheared so every voxel keeps its true patient position"
        ));
    }
    let axes = Matrix3::from_columns(&[row_dir * pixel_spacing[1], col_dir * pixel_spacing[0], step]);
    let dims = [first.cols as usize, first.rows as usize, slices.len()];
    (SeriesKind::Volume, Geometry { dims, origin, axes }, slices)
}

fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    Some(s[s.len() / 2])
}
