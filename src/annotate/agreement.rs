//! Agreement between two annotators' layers, per label: Dice overlap and the 95th-percentile
//! Hausdorff distance between their surfaces in mm (the maximum of the two directed 95th
//! percentiles, as MONAI and the BraTS challenge compute it). Distances come from the exact
//! Euclidean distance transform of `volume::distance`, over the two labels' joint bounding box
//! only, so memory follows the structures, not the scan.

use super::labelmap::LabelMap;
use crate::volume::distance::edt_sq;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LabelAgreement {
    pub label: u8,
    pub voxels_a: u64,
    pub voxels_b: u64,
    pub dice: f64,
    /// `None` when either layer lacks the label.
    pub hausdorff95_mm: Option<f64>,
}

/// Dice and HD95 for every label present in either layer.
pub fn agreement(a: &LabelMap, b: &LabelMap, spacing: [f64; 3]) -> Vec<LabelAgreement> {
    assert_eq!(a.dims(), b.dims(), "layers of one series share its grid");
    let (ha, hb) = (a.histogram(), b.histogram());
    (1..=255u8)
        .filter(|&l| ha[usize::from(l)] + hb[usize::from(l)] > 0)
        .map(|label| {
            let mut both = 0u64;
            for z in a.labelled_slices() {
                if let (Some(sa), Some(sb)) = (a.slice(z), b.slice(z)) {
                    both += sa.iter().zip(sb).filter(|(x, y)| **x == label && **y == label).count() as u64;
                }
            }
            let (na, nb) = (ha[usize::from(label)], hb[usize::from(label)]);
            let dice = 2.0 * both as f64 / (na + nb) as f64;
            let hausdorff95_mm = (na > 0 && nb > 0).then(|| hausdorff95(a, b, label, spacing));
            LabelAgreement { label, voxels_a: na, voxels_b: nb, dice, hausdorff95_mm }
        })
        .collect()
}

/// Inclusive bounding box `[min; max]` of `label` in either layer, grown by `pad` voxels.
fn bounds(a: &LabelMap, b: &LabelMap, label: u8, pad: usize) -> ([usize; 3], [usize; 3]) {
    let d = a.dims();
    let (mut lo, mut hi) = ([usize::MAX; 3], [0usize; 3]);
    for m in [a, b] {
        for z in m.labelled_slices() {
            let s = m.slice(z).expect("labelled");
            for (i, _) in s.iter().enumerate().filter(|(_, v)| **v == label) {
                let p = [i % d[0], i / d[0], z];
                for k in 0..3 {
                    lo[k] = lo[k].min(p[k]);
                    hi[k] = hi[k].max(p[k]);
                }
            }
        }
    }
    for k in 0..3 {
        lo[k] = lo[k].saturating_sub(pad);
        hi[k] = (hi[k] + pad).min(d[k] - 1);
    }
    (lo, hi)
}

/// Surface voxels of `label` in the box: labelled voxels with a 6-neighbour that is not.
fn surface(m: &LabelMap, label: u8, lo: [usize; 3], n: [usize; 3]) -> Vec<bool> {
    let inside = |x: i64, y: i64, z: i64| m.contains(x, y, z) && m.get(x as usize, y as usize, z as usize) == label;
    let mut out = vec![false; n[0] * n[1] * n[2]];
    for k in 0..n[2] {
        for j in 0..n[1] {
            for i in 0..n[0] {
                let (x, y, z) = ((lo[0] + i) as i64, (lo[1] + j) as i64, (lo[2] + k) as i64);
                if inside(x, y, z) {
                    let edge = [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)]
                        .iter()
                        .any(|(dx, dy, dz)| !inside(x + dx, y + dy, z + dz));
                    out[(k * n[1] + j) * n[0] + i] = edge;
                }
            }
        }
    }
    out
}

fn percentile95(mut d: Vec<f64>) -> f64 {
    if d.is_empty() {
        return 0.0;
    }
    d.sort_by(f64::total_cmp);
    let rank = (0.95 * (d.len() - 1) as f64).round() as usize;
    d[rank]
}

fn hausdorff95(a: &LabelMap, b: &LabelMap, label: u8, spacing: [f64; 3]) -> f64 {
    let (lo, hi) = bounds(a, b, label, 1);
    let n = [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1];
    let (sa, sb) = (surface(a, label, lo, n), surface(b, label, lo, n));
    // `edt_sq` indexes x fastest, then y, then z: the layout `surface` writes.
    let (da, db) = (edt_sq(&sa, n, spacing), edt_sq(&sb, n, spacing));
    let directed = |from: &[bool], to: &[f32]| {
        percentile95(from.iter().zip(to).filter(|(s, _)| **s).map(|(_, d)| f64::from(d.sqrt())).collect())
    };
    directed(&sa, &db).max(directed(&sb, &da))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cube(map: &mut LabelMap, label: u8, lo: [usize; 3], hi: [usize; 3]) {
        let w = map.dims()[0];
        for z in lo[2]..hi[2] {
            let s = map.slice_mut(z);
            for y in lo[1]..hi[1] {
                s[y * w + lo[0]..y * w + hi[0]].fill(label);
            }
        }
    }

    #[test]
    fn identical_layers_agree_perfectly() {
        let mut a = LabelMap::new([40, 40, 20]);
        cube(&mut a, 1, [5, 5, 5], [15, 15, 15]);
        let mut b = LabelMap::new([40, 40, 20]);
        cube(&mut b, 1, [5, 5, 5], [15, 15, 15]);
        let r = agreement(&a, &b, [1.0, 1.0, 1.0]);
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].dice, r[0].hausdorff95_mm), (1.0, Some(0.0)));
    }

    #[test]
    fn a_shifted_cube_gives_the_expected_dice_and_surface_distance_in_mm() {
        let mut a = LabelMap::new([60, 40, 20]);
        cube(&mut a, 2, [10, 10, 5], [20, 20, 15]);
        let mut b = LabelMap::new([60, 40, 20]);
        cube(&mut b, 2, [13, 10, 5], [23, 20, 15]);
        // Shift 3 voxels of 0.5 mm along x: overlap 7/10, surfaces 1.5 mm apart at most.
        let r = &agreement(&a, &b, [0.5, 1.0, 2.0])[0];
        assert!((r.dice - 0.7).abs() < 1e-12, "{r:?}");
        let hd = r.hausdorff95_mm.unwrap();
        assert!(hd > 0.0 && hd <= 1.5 + 1e-9, "{r:?}");
        // A label only one annotator drew: Dice 0, no distance.
        cube(&mut b, 5, [40, 30, 1], [45, 35, 3]);
        let r = agreement(&a, &b, [0.5, 1.0, 2.0]);
        assert_eq!((r[1].label, r[1].dice, r[1].hausdorff95_mm), (5, 0.0, None));
    }
}
