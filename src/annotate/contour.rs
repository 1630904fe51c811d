//! Contour fill: a closed polygon (clicked points, or the densely sampled path of a freehand
//! outline) lying in one plane across a voxel axis, filled by an even-odd scanline at voxel
//! centres. Works on any of the three MPR planes; optionally only where the image value is in a
//! range (as the brush); locked labels are never overwritten. One call is one undo step.

use crate::volume::Volume;

use super::edit::Recorder;
use super::labelmap::LabelMap;
use super::tools::Range;

#[derive(Debug, Clone)]
pub struct Contour {
    pub label: u8,
    /// Erase `label` (or any label when `label` is 0) inside the contour instead of painting.
    pub erase: bool,
    /// Only voxels whose image value is in this range.
    pub range: Option<Range>,
    /// Labels that must not be overwritten (nor erased).
    pub locked: Vec<u8>,
}

/// The two in-plane voxel axes of a plane lying across `flat_axis` (in increasing order).
pub fn plane_axes(flat_axis: usize) -> (usize, usize) {
    match flat_axis {
        0 => (1, 2),
        1 => (0, 2),
        _ => (0, 1),
    }
}

/// In-plane voxels (`[u, v]` along [`plane_axes`]) whose centres lie inside the polygon by the
/// even-odd rule; `points` are `[u, v]` in voxel index coordinates (voxel centres at integers),
/// the polygon closes from the last point back to the first. Clipped to `size`.
pub fn scanline(points: &[[f64; 2]], size: [usize; 2]) -> Vec<[usize; 2]> {
    let mut out = Vec::new();
    if points.len() < 3 || size[0] == 0 || size[1] == 0 {
        return out;
    }
    let lo = points.iter().map(|p| p[1]).fold(f64::INFINITY, f64::min).ceil().max(0.0);
    let hi = points.iter().map(|p| p[1]).fold(f64::NEG_INFINITY, f64::max).floor().min(size[1] as f64 - 1.0);
    if lo.is_nan() || hi.is_nan() || lo > hi {
        return out;
    }
    let mut xs = Vec::new();
    for v in lo as usize..=hi as usize {
        let y = v as f64;
        xs.clear();
        for (i, p) in points.iter().enumerate() {
            let q = points[(i + 1) % points.len()];
            // Half-open in y, so a vertex on the scanline is counted once.
            if (p[1] <= y) != (q[1] <= y) {
                xs.push(p[0] + (y - p[1]) / (q[1] - p[1]) * (q[0] - p[0]));
            }
        }
        xs.sort_by(f64::total_cmp);
        for pair in xs.chunks_exact(2) {
            // Centres u with pair[0] <= u < pair[1].
            let a = pair[0].ceil().max(0.0);
            let b = (pair[1].ceil() - 1.0).min(size[0] as f64 - 1.0);
            if a <= b {
                out.extend((a as usize..=b as usize).map(|u| [u, v]));
            }
        }
    }
    out
}

/// Fills (or erases) the polygon through `points` (voxel index coordinates, all in the plane
/// across `flat_axis`; the plane is the rounded mean of their `flat_axis` coordinate). Returns how
/// many voxels changed.
pub fn fill_polygon(
    map: &mut LabelMap,
    rec: &mut Recorder,
    points: &[[f64; 3]],
    flat_axis: usize,
    contour: &Contour,
    volume: Option<&Volume>,
) -> usize {
    let dims = map.dims();
    if points.len() < 3 || flat_axis > 2 {
        return 0;
    }
    let depth = (points.iter().map(|p| p[flat_axis]).sum::<f64>() / points.len() as f64).round();
    if depth < 0.0 || depth >= dims[flat_axis] as f64 {
        return 0;
    }
    let (ua, va) = plane_axes(flat_axis);
    let flat: Vec<[f64; 2]> = points.iter().map(|p| [p[ua], p[va]]).collect();
    let inside = scanline(&flat, [dims[ua], dims[va]]);
    let values = volume.filter(|v| v.geometry.dims == dims && contour.range.is_some());
    let mut chosen = Vec::with_capacity(inside.len());
    for [u, v] in inside {
        let mut p = [0usize; 3];
        (p[ua], p[va], p[flat_axis]) = (u, v, depth as usize);
        let old = map.get(p[0], p[1], p[2]);
        let wanted =
            if contour.erase { old != 0 && (contour.label == 0 || old == contour.label) } else { old != contour.label };
        if !wanted || contour.locked.contains(&old) {
            continue;
        }
        if let (Some(vol), Some((lo, hi))) = (values, contour.range) {
            let x = vol.voxels.value((p[2] * dims[1] + p[1]) * dims[0] + p[0]);
            if !(lo <= x && x <= hi) {
                continue;
            }
        }
        chosen.push(p.map(|c| c as u32));
    }
    let changed = super::morph::write_voxels(map, rec, chosen, if contour.erase { 0 } else { contour.label });
    if contour.erase {
        map.compact();
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::volume::{DisplayHints, Geometry, SeriesKind, Voxels};

    fn paint(label: u8) -> Contour {
        Contour { label, erase: false, range: None, locked: vec![] }
    }

    /// A regular `n`-gon of radius `r` around (cx, cy) in the plane across `axis` at `depth`.
    fn ngon(n: usize, r: f64, c: [f64; 2], axis: usize, depth: f64) -> Vec<[f64; 3]> {
        let (ua, va) = plane_axes(axis);
        (0..n)
            .map(|i| {
                let a = i as f64 * std::f64::consts::TAU / n as f64;
                let mut p = [0.0; 3];
                (p[ua], p[va], p[axis]) = (c[0] + r * a.cos(), c[1] + r * a.sin(), depth);
                p
            })
            .collect()
    }

    #[test]
    fn a_square_fills_exactly_the_voxel_centres_inside_it() {
        // Corners between voxel centres: centres 3..=7 on both axes are inside.
        let sq = [[2.5, 2.5], [7.5, 2.5], [7.5, 7.5], [2.5, 7.5]];
        let got = scanline(&sq, [20, 20]);
        assert_eq!(got.len(), 25);
        assert!(got.iter().all(|p| (3..=7).contains(&p[0]) && (3..=7).contains(&p[1])));
        // Clipped at the grid's edge.
        assert_eq!(scanline(&[[-5.5, -5.5], [2.5, -5.5], [2.5, 2.5], [-5.5, 2.5]], [20, 20]).len(), 9);
    }

    #[test]
    fn a_self_crossing_outline_fills_by_the_even_odd_rule() {
        // Two overlapping squares traced as one path: the overlap is outside (even crossings).
        let path = [[0.5, 0.5], [6.5, 0.5], [6.5, 6.5], [3.5, 6.5], [3.5, 3.5], [9.5, 3.5], [9.5, 9.5], [0.5, 9.5]];
        let got = scanline(&path, [12, 12]);
        let a: std::collections::HashSet<[usize; 2]> = got.iter().copied().collect();
        assert!(a.contains(&[1, 1]) && a.contains(&[8, 8]));
        assert!(!a.contains(&[5, 5]), "the overlap of the two loops is outside");
    }

    #[test]
    fn a_polygon_disc_covers_pi_r_squared_on_each_of_the_three_planes() {
        let r: f64 = 12.0;
        for axis in 0..3 {
            let mut map = LabelMap::new([40, 36, 32]);
            let mut rec = Recorder::default();
            let n = fill_polygon(&mut map, &mut rec, &ngon(64, r, [16.0, 15.0], axis, 10.2), axis, &paint(2), None);
            let exact = 64.0 / 2.0 * r * r * (std::f64::consts::TAU / 64.0).sin(); // area of the 64-gon
            let area = std::f64::consts::PI * r * r;
            assert!((n as f64 - exact).abs() < 0.04 * exact, "axis {axis}: {n} voxels for a 64-gon of {exact:.0}");
            assert!((n as f64 - area).abs() < 0.05 * area, "axis {axis}: {n} voxels vs πr² = {area:.0}");
            assert_eq!(map.histogram()[2], n as u64);
            // All in the plane at index 10 across `axis`.
            let mut at = [0usize; 3];
            let (ua, va) = plane_axes(axis);
            (at[ua], at[va], at[axis]) = (16, 15, 10);
            assert_eq!(map.get(at[0], at[1], at[2]), 2);
            at[axis] = 11;
            assert_eq!(map.get(at[0], at[1], at[2]), 0, "one voxel thick");
            let delta = rec.finish(&map);
            delta.revert(&mut map).unwrap();
            assert_eq!(map.bytes_in_memory(), 0, "one undo step takes it all back");
        }
    }

    #[test]
    fn threshold_locked_labels_and_erase_are_respected() {
        let dims = [30, 30, 2];
        let vals: Vec<i16> =
            (0..dims.iter().product::<usize>()).map(|i| if i % 30 < 15 { 100 } else { -400 }).collect();
        let vol = Volume {
            geometry: Geometry::axis_aligned(dims, [1.0; 3]),
            voxels: Voxels::I16(vals),
            kind: SeriesKind::Volume,
            display: DisplayHints { modality: "CT".into(), window: None, invert: false },
            value_range: (-400.0, 100.0),
            problems: vec![],
        };
        let mut map = LabelMap::new(dims);
        map.slice_mut(1)[10 * 30 + 10] = 7;
        let square = [[4.5, 4.5, 1.0], [24.5, 4.5, 1.0], [24.5, 24.5, 1.0], [4.5, 24.5, 1.0]];
        let c = Contour { range: Some((0.0, 200.0)), locked: vec![7], ..paint(1) };
        let mut rec = Recorder::default();
        let n = fill_polygon(&mut map, &mut rec, &square, 2, &c, Some(&vol));
        assert_eq!(n, 10 * 20 - 1, "x 5..=14 in range, minus the locked voxel");
        assert_eq!((map.get(14, 5, 1), map.get(15, 5, 1), map.get(10, 10, 1)), (1, 0, 7));
        let erase = Contour { erase: true, ..paint(0) };
        let small = [[4.5, 4.5, 1.0], [9.5, 4.5, 1.0], [9.5, 24.5, 1.0], [4.5, 24.5, 1.0]];
        assert_eq!(
            fill_polygon(&mut map, &mut rec, &small, 2, &Contour { locked: vec![7], ..erase.clone() }, None),
            100
        );
        assert_eq!((map.get(7, 7, 1), map.get(12, 7, 1)), (0, 1));
        assert_eq!(fill_polygon(&mut map, &mut rec, &square, 2, &Contour { label: 3, ..erase }, None), 0, "no label 3");
        let delta = rec.finish(&map);
        delta.revert(&mut map).unwrap();
        assert_eq!(map.histogram()[1], 0);
        assert_eq!(map.get(10, 10, 1), 7);
    }

    #[test]
    fn degenerate_and_out_of_grid_polygons_change_nothing() {
        let mut map = LabelMap::new([10, 10, 3]);
        let mut rec = Recorder::default();
        assert_eq!(fill_polygon(&mut map, &mut rec, &[[1.0, 1.0, 0.0], [5.0, 5.0, 0.0]], 2, &paint(1), None), 0);
        assert_eq!(fill_polygon(&mut map, &mut rec, &ngon(8, 3.0, [5.0, 5.0], 2, 7.0), 2, &paint(1), None), 0);
        assert_eq!(fill_polygon(&mut map, &mut rec, &ngon(8, 3.0, [50.0, 50.0], 2, 1.0), 2, &paint(1), None), 0);
        assert!(rec.finish(&map).is_empty());
    }
}
