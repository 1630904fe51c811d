//! Measurement markups on a series: points, lines, angles and boxes, given in continuous voxel
//! index coordinates (voxel centres at integers) and measured through the series geometry, so
//! anisotropic, oblique and sheared grids measure in true millimetres. Markups are kept apart
//! from label layers: any reader may add them to a series.
//!
//! A box is the index-space box between two corners. An axis on which both corners agree is
//! flat: with one flat axis the box is 2D (area in mm²), with none it is 3D (volume in mL). Its
//! statistics cover the voxels whose centres lie inside (on a flat axis, the voxel at the
//! rounded coordinate).

use nalgebra::Vector3;
use serde::{Deserialize, Serialize};

use crate::volume::{Geometry, Volume};

use super::measure::{RoiStats, Welford, angle_deg, length_mm};

/// What a markup is, in voxel index coordinates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum MarkupKind {
    Box { min: [f64; 3], max: [f64; 3] },
    Point { at: [f64; 3], name: String },
    Line { a: [f64; 3], b: [f64; 3] },
    Angle { a: [f64; 3], vertex: [f64; 3], b: [f64; 3] },
}

impl MarkupKind {
    /// The kind's name as stored (`box`, `point`, `line`, `angle`).
    pub fn name(&self) -> &'static str {
        match self {
            MarkupKind::Box { .. } => "box",
            MarkupKind::Point { .. } => "point",
            MarkupKind::Line { .. } => "line",
            MarkupKind::Angle { .. } => "angle",
        }
    }

    /// The defining points (box: its two corners).
    pub fn points(&self) -> Vec<[f64; 3]> {
        match self {
            MarkupKind::Box { min, max } => vec![*min, *max],
            MarkupKind::Point { at, .. } => vec![*at],
            MarkupKind::Line { a, b } => vec![*a, *b],
            MarkupKind::Angle { a, vertex, b } => vec![*a, *vertex, *b],
        }
    }

    /// Every coordinate finite (what is stored must be measurable).
    pub fn is_finite(&self) -> bool {
        self.points().iter().flatten().all(|v| v.is_finite())
    }
}

/// A markup of a series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Markup {
    /// The row id in the project (0 before it is stored).
    pub id: i64,
    pub series_uid: String,
    pub kind: MarkupKind,
    /// The label it refers to, if any.
    pub label: Option<u8>,
    pub note: String,
    pub author: String,
    /// RFC 3339 UTC.
    pub created: String,
}

/// What a markup measures; fields that do not apply to its kind are `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Measurement {
    /// Point position, LPS mm.
    pub position_mm: Option<[f64; 3]>,
    pub length_mm: Option<f64>,
    pub angle_deg: Option<f64>,
    /// Box edge lengths along the grid axes i, j, k, mm (0 on a flat axis).
    pub size_mm: Option<[f64; 3]>,
    /// 2D box: its area.
    pub area_mm2: Option<f64>,
    /// 3D box: its volume.
    pub volume_ml: Option<f64>,
    /// Box: the image inside (`None` without an image or when no voxel centre lies inside).
    pub stats: Option<RoiStats>,
}

/// Corners ordered per axis.
fn ordered(min: [f64; 3], max: [f64; 3]) -> ([f64; 3], [f64; 3]) {
    ([0, 1, 2].map(|i| min[i].min(max[i])), [0, 1, 2].map(|i| min[i].max(max[i])))
}

const FLAT: f64 = 1e-6;

/// Measures a markup on a grid; box statistics need the image (`volume`).
pub fn measure(g: &Geometry, kind: &MarkupKind, volume: Option<&Volume>) -> Measurement {
    match kind {
        MarkupKind::Point { at, .. } => {
            let p = g.index_to_patient(Vector3::from(*at));
            Measurement { position_mm: Some([p.x, p.y, p.z]), ..Default::default() }
        }
        MarkupKind::Line { a, b } => Measurement { length_mm: Some(length_mm(g, *a, *b)), ..Default::default() },
        MarkupKind::Angle { a, vertex, b } => {
            Measurement { angle_deg: Some(angle_deg(g, *a, *vertex, *b)), ..Default::default() }
        }
        MarkupKind::Box { min, max } => {
            let (lo, hi) = ordered(*min, *max);
            let d = [0, 1, 2].map(|i| hi[i] - lo[i]);
            // The box's edges in patient space: grid axis steps times the extents.
            let edges = [0, 1, 2].map(|i| g.axes.column(i) * d[i]);
            let size = [0, 1, 2].map(|i| edges[i].norm());
            let flat: Vec<usize> = (0..3).filter(|&i| d[i] < FLAT).collect();
            let (area, volume_ml) = match flat.as_slice() {
                [] => (None, Some(nalgebra::Matrix3::from_columns(&edges).determinant().abs() / 1000.0)),
                [f] => {
                    let (u, v) = match f {
                        0 => (1, 2),
                        1 => (0, 2),
                        _ => (0, 1),
                    };
                    (Some(edges[u].cross(&edges[v]).norm()), None)
                }
                _ => (None, None),
            };
            Measurement {
                size_mm: Some(size),
                area_mm2: area,
                volume_ml,
                stats: volume.and_then(|v| box_stats(v, lo, hi)),
                ..Default::default()
            }
        }
    }
}

/// Statistics of the image over the voxels whose centres lie in the box (a flat axis takes the
/// voxel at its rounded coordinate).
pub fn box_stats(volume: &Volume, min: [f64; 3], max: [f64; 3]) -> Option<RoiStats> {
    let (lo, hi) = ordered(min, max);
    let dims = volume.geometry.dims;
    let mut range = [(0usize, 0usize); 3];
    for i in 0..3 {
        let (a, b) = if hi[i] - lo[i] < FLAT {
            let r = lo[i].round();
            (r, r)
        } else {
            ((lo[i] - FLAT).ceil(), (hi[i] + FLAT).floor())
        };
        let (a, b) = (a.max(0.0), b.min(dims[i] as f64 - 1.0));
        if a > b {
            return None;
        }
        range[i] = (a as usize, b as usize);
    }
    let mut acc = Welford::default();
    for k in range[2].0..=range[2].1 {
        for j in range[1].0..=range[1].1 {
            for i in range[0].0..=range[0].1 {
                acc.add(volume.at(i, j, k));
            }
        }
    }
    acc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::volume::{DisplayHints, SeriesKind, Voxels};

    fn volume(g: Geometry, f: impl Fn(usize, usize, usize) -> i16) -> Volume {
        let [nx, ny, nz] = g.dims;
        let mut v = Vec::with_capacity(nx * ny * nz);
        for k in 0..nz {
            for j in 0..ny {
                for i in 0..nx {
                    v.push(f(i, j, k));
                }
            }
        }
        Volume {
            geometry: g,
            voxels: Voxels::I16(v),
            kind: SeriesKind::Volume,
            display: DisplayHints { modality: "CT".into(), window: None, invert: false },
            value_range: (0.0, 0.0),
            problems: vec![],
        }
    }

    #[test]
    fn a_2d_box_measures_area_and_the_image_inside_and_a_3d_box_its_volume() {
        let vol =
            volume(Geometry::axis_aligned([20, 20, 10], [0.5, 0.8, 2.0]), |i, j, k| (i + 10 * j + 100 * k) as i16);
        // Corners at voxel edges: voxels 2..=5 in i, 4..=6 in j, slice 3.
        let kind = MarkupKind::Box { min: [5.5, 6.5, 3.0], max: [1.5, 3.5, 3.0] };
        let m = measure(&vol.geometry, &kind, Some(&vol));
        assert_eq!(m.size_mm, Some([2.0, 3.0 * 0.8, 0.0]));
        assert!((m.area_mm2.unwrap() - 2.0 * 2.4).abs() < 1e-12);
        assert_eq!(m.volume_ml, None);
        let s = m.stats.unwrap();
        assert_eq!((s.voxels, s.min, s.max), (12, 342.0, 365.0));
        assert!((s.mean - (3.5 + 50.0 + 300.0)).abs() < 1e-9);
        // Through slices 2..=4 (k edges 1.5 and 4.5): 3 × 2 mm deep.
        let kind = MarkupKind::Box { min: [1.5, 3.5, 1.5], max: [5.5, 6.5, 4.5] };
        let m = measure(&vol.geometry, &kind, Some(&vol));
        assert!((m.volume_ml.unwrap() - 2.0 * 2.4 * 6.0 / 1000.0).abs() < 1e-12);
        assert_eq!((m.area_mm2, m.stats.unwrap().voxels), (None, 36));
        // Outside the grid: no statistics.
        let out = MarkupKind::Box { min: [30.0, 30.0, 3.0], max: [40.0, 40.0, 3.0] };
        assert_eq!(measure(&vol.geometry, &out, Some(&vol)).stats, None);
    }

    #[test]
    fn points_lines_and_angles_measure_in_patient_space() {
        let g = Geometry::axis_aligned([10, 10, 10], [0.5, 0.5, 3.0]);
        let line = MarkupKind::Line { a: [0.0; 3], b: [8.0, 0.0, 1.0] };
        assert!((measure(&g, &line, None).length_mm.unwrap() - 5.0).abs() < 1e-12);
        let angle = MarkupKind::Angle { a: [6.0, 0.0, 0.0], vertex: [0.0; 3], b: [0.0, 0.0, 1.0] };
        assert!((measure(&g, &angle, None).angle_deg.unwrap() - 90.0).abs() < 1e-12);
        let point = MarkupKind::Point { at: [2.0, 4.0, 1.0], name: "tip".into() };
        assert_eq!(measure(&g, &point, None).position_mm, Some([1.0, 2.0, 3.0]));
    }

    #[test]
    fn markups_round_trip_through_json_with_their_kind_tag() {
        let kind = MarkupKind::Angle { a: [1.0, 2.0, 3.0], vertex: [0.0; 3], b: [4.5, 0.0, 1.0] };
        let json = serde_json::to_string(&kind).unwrap();
        assert!(json.starts_with(r#"{"type":"angle""#), "{json}");
        assert_eq!(serde_json::from_str::<MarkupKind>(&json).unwrap(), kind);
        assert!(!MarkupKind::Point { at: [f64::NAN, 0.0, 0.0], name: String::new() }.is_finite());
    }
}
