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

/// Welford's running mean and variance, with min and max, without storing the values.
#[derive(Debug, Clone, Copy)]
pub struct Welford {
    pub n: u64,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
}

impl Default for Welford {
    fn default() -> Welford {
        Welford { n: 0, mean: 0.0, m2: 0.0, min: f64::INFINITY, max: f64::NEG_INFINITY }
    }
}

impl Welford {
    pub fn add(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
        self.min = self.min.min(x);
        self.max = self.max.max(x);
    }

    /// Mean, sample SD (0 for one value), min, max; `None` without values.
    pub fn finish(&self) -> Option<RoiStats> {
        (self.n > 0).then(|| RoiStats {
            voxels: self.n,
            mean: self.mean,
            sd: if self.n > 1 { (self.m2 / (self.n - 1) as f64).sqrt() } else { 0.0 },
            min: self.min,
            max: self.max,
        })
    }
}

/// Statistics of the image inside a region, modality units.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RoiStats {
    pub voxels: u64,
    pub mean: f64,
    pub sd: f64,
    pub min: f64,
    pub max: f64,
}

/// Statistics of the image under each label of `map` (labels with no voxel are left out).
pub fn label_stats(volume: &Volume, map: &LabelMap) -> Vec<LabelStats> {
    let per = volume.per_slice();
    let mut acc = vec![Welford::default(); 256];
    for z in map.labelled_slices() {
        let slice = map.slice(z).expect("labelled");
        for (i, &l) in slice.iter().enumerate().filter(|(_, l)| **l != 0) {
            acc[usize::from(l)].add(volume.voxels.value(z * per + i));
        }
    }
    let ml = voxel_volume_mm3(&volume.geometry) / 1000.0;
    acc.iter()
        .enumerate()
        .filter_map(|(l, a)| a.finish().map(|s| (l, s)))
        .map(|(l, s)| LabelStats {
            label: l as u8,
            voxels: s.voxels,
            volume_ml: s.voxels as f64 * ml,
            mean: s.mean,
            sd: s.sd,
            min: s.min,
            max: s.max,
        })
        .collect()
}

/// A label's area and image statistics on one slice.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SliceStats {
    pub label: u8,
    pub z: usize,
    pub area_mm2: f64,
    pub stats: RoiStats,
}

/// Area (mm²) and statistics of the image under `label` on slice `z`; `None` when the label has
/// no voxel there.
pub fn label_slice_stats(volume: &Volume, map: &LabelMap, z: usize, label: u8) -> Option<SliceStats> {
    let slice = map.slice(z)?;
    let per = volume.per_slice();
    let mut acc = Welford::default();
    for (i, _) in slice.iter().enumerate().filter(|(_, l)| **l == label && label != 0) {
        acc.add(volume.voxels.value(z * per + i));
    }
    let stats = acc.finish()?;
    Some(SliceStats { label, z, area_mm2: slice_area_mm2(&volume.geometry, map, z, label), stats })
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
        let one = label_slice_stats(&vol, &map, 1, 1).unwrap();
        assert_eq!((one.area_mm2, one.stats.voxels, one.stats.mean, one.stats.max), (2.5, 10, 45.0, 90.0));
        assert!((one.stats.sd - s[0].sd).abs() < 1e-12);
        assert!(label_slice_stats(&vol, &map, 2, 1).is_none(), "label 1 has no voxel on slice 2");
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
