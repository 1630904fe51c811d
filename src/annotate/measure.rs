//! Measurements in patient units: label statistics in modality units (mean, SD, min, max),
//! volume in mL and area per slice in mm², line lengths and angles between points given as
//! voxel indices (converted through the series geometry, so oblique and anisotropic grids
//! measure correctly).

use nalgebra::Vector3;

use crate::volume::{Geometry, Volume};

use super::labelmap::LabelMap;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LabelStats {
    pub label: u8,
    pub voxels: u64,
    pub volume_ml: f64,
    pub mean: f64,
    pub sd: f64,
    pub min: f64,
    pub max: f64,
}

/// Volume of one voxel in mm³ (the parallelepiped of the grid's axes).
pub fn voxel_volume_mm3(g: &Geometry) -> f64 {
    g.axes.determinant().abs()
}

/// Statistics of the image under each label of `map` (labels with no voxel are left out).
pub fn label_stats(volume: &Volume, map: &LabelMap) -> Vec<LabelStats> {
    let per = volume.per_slice();
    // Welford's running mean and variance per label, without storing the values.
    let mut acc = vec![(0u64, 0.0f64, 0.0f64, f64::INFINITY, f64::NEG_INFINITY); 256];
    for z in map.labelled_slices() {
        let slice = map.slice(z).expect("labelled");
        for (i, &l) in slice.iter().enumerate().filter(|(_, l)| **l != 0) {
            let x = volume.voxels.value(z * per + i);
            let a = &mut acc[usize::from(l)];
            a.0 += 1;
            let d = x - a.1;
            a.1 += d / a.0 as f64;
            a.2 += d * (x - a.1);
            a.3 = a.3.min(x);
            a.4 = a.4.max(x);
        }
    }
    let ml = voxel_volume_mm3(&volume.geometry) / 1000.0;
    acc.iter()
        .enumerate()
        .filter(|(_, a)| a.0 > 0)
        .map(|(l, a)| LabelStats {
            label: l as u8,
            voxels: a.0,
            volume_ml: a.0 as f64 * ml,
            mean: a.1,
            sd: if a.0 > 1 { (a.2 / (a.0 - 1) as f64).sqrt() } else { 0.0 },
            min: a.3,
            max: a.4,
        })
        .collect()
}

/// Area of `label` in slice `z`, mm² (the in-plane pixel parallelogram).
pub fn slice_area_mm2(g: &Geometry, map: &LabelMap, z: usize, label: u8) -> f64 {
    let pixel = g.axes.column(0).cross(&g.axes.column(1)).norm();
    map.slice(z).map_or(0, |s| s.iter().filter(|&&v| v == label).count()) as f64 * pixel
}

/// Distance in mm between two voxel-index points.
pub fn length_mm(g: &Geometry, a: [f64; 3], b: [f64; 3]) -> f64 {
    let p = |v: [f64; 3]| g.index_to_patient(Vector3::new(v[0], v[1], v[2]));
    (p(a) - p(b)).norm()
}

/// Angle at `vertex` between the rays to `a` and `b`, degrees (0 when a ray has no length).
pub fn angle_deg(g: &Geometry, a: [f64; 3], vertex: [f64; 3], b: [f64; 3]) -> f64 {
    let p = |v: [f64; 3]| g.index_to_patient(Vector3::new(v[0], v[1], v[2]));
    let (u, w) = (p(a) - p(vertex), p(b) - p(vertex));
    if u.norm() == 0.0 || w.norm() == 0.0 {
        return 0.0;
    }
    u.angle(&w).to_degrees()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::volume::{DisplayHints, SeriesKind, Voxels};

    fn ct(dims: [usize; 3], spacing: [f64; 3], f: impl Fn(usize) -> i16) -> Volume {
        Volume {
            geometry: Geometry::axis_aligned(dims, spacing),
            voxels: Voxels::I16((0..dims.iter().product()).map(f).collect()),
            kind: SeriesKind::Volume,
            display: DisplayHints { modality: "CT".into(), window: None, invert: false },
            value_range: (0.0, 0.0),
            problems: vec![],
        }
    }

    #[test]
    fn label_statistics_are_in_modality_units_and_millilitres() {
        let vol = ct([10, 10, 4], [0.5, 0.5, 2.0], |i| (i % 10) as i16 * 10);
        let mut map = LabelMap::new([10, 10, 4]);
        map.slice_mut(1)[..10].fill(1); // one row: values 0, 10, …, 90
        map.slice_mut(2)[5] = 2;
        let s = label_stats(&vol, &map);
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].voxels, s[0].mean, s[0].min, s[0].max), (10, 45.0, 0.0, 90.0));
        assert!((s[0].sd - 30.276503540974915).abs() < 1e-9, "sample SD");
        assert!((s[0].volume_ml - 10.0 * 0.5 / 1000.0).abs() < 1e-12);
        assert_eq!((s[1].label, s[1].sd), (2, 0.0));
        assert_eq!(slice_area_mm2(&vol.geometry, &map, 1, 1), 2.5);
    }

    #[test]
    fn lengths_and_angles_use_the_voxel_spacing() {
        let g = Geometry::axis_aligned([10, 10, 10], [0.5, 0.5, 3.0]);
        assert!((length_mm(&g, [0.0, 0.0, 0.0], [6.0, 0.0, 1.0]) - 18f64.sqrt()).abs() < 1e-12);
        // 6 px of 0.5 mm along x and 1 slice of 3 mm along z: 45°.
        assert!((angle_deg(&g, [6.0, 0.0, 0.0], [0.0; 3], [6.0, 0.0, 1.0]) - 45.0).abs() < 1e-9);
        assert_eq!(angle_deg(&g, [0.0; 3], [0.0; 3], [1.0, 0.0, 0.0]), 0.0);
    }
}
