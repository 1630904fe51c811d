//! Slice interpolation: the slices between annotated ("key") slices of one label along a voxel
//! axis are filled from the key slices' signed distance fields (mm, anisotropic spacing), blended
//! linearly between the two nearest key slices after moving both to their interpolated centroid;
//! a voxel is inside where the blend is negative. Shapes that move, grow or shrink between key
//! slices follow smoothly (a plain copy or a nearest-slice rule cannot). Key slices are never changed, and the fill only takes background
//! voxels (another label, locked or not, is never overwritten). Cost follows the structure: the
//! work is done on the label's bounding box in the plane, not the whole slice.

use crate::volume::distance::edt_sq;

use super::contour::plane_axes;
use super::edit::Recorder;
use super::labelmap::LabelMap;

/// Where `label` occurs: which positions along `axis` hold it, and its bounding box.
struct Extent {
    present: Vec<bool>,
    lo: [usize; 3],
    hi: [usize; 3],
}

fn extent(map: &LabelMap, label: u8, axis: usize) -> Option<Extent> {
    let [w, _, _] = map.dims();
    let mut e = Extent { present: vec![false; map.dims()[axis]], lo: [usize::MAX; 3], hi: [0; 3] };
    let zs: Vec<usize> = map.labelled_slices().collect();
    for z in zs {
        let slice = map.slice(z).expect("labelled");
        for (i, _) in slice.iter().enumerate().filter(|(_, v)| **v == label) {
            let p = [i % w, i / w, z];
            e.present[p[axis]] = true;
            for (a, &c) in p.iter().enumerate() {
                e.lo[a] = e.lo[a].min(c);
                e.hi[a] = e.hi[a].max(c);
            }
        }
    }
    (e.lo[0] != usize::MAX).then_some(e)
}

/// The in-plane box the work is done on: the label's bounding box with one voxel of background
/// around it (which makes the distances inside the shape exact), possibly reaching past the grid.
struct PlaneBox {
    axis: usize,
    /// Index of the box's first cell along the two in-plane axes (may be -1).
    origin: [i64; 2],
    size: [usize; 2],
    /// Spacing along the two in-plane axes, mm.
    spacing: [f64; 2],
}

/// A key slice: its signed distance field over the box and the centroid of the label in it.
struct KeyPlane {
    sd: Vec<f32>,
    /// In box cells.
    centroid: [f64; 2],
}

impl PlaneBox {
    /// The voxel at box cell (`u`, `v`) of the plane at `depth`, if it lies in the grid.
    fn voxel_at(&self, u: i64, v: i64, depth: usize, dims: [usize; 3]) -> Option<[usize; 3]> {
        let (ua, va) = plane_axes(self.axis);
        let (u, v) = (self.origin[0] + u, self.origin[1] + v);
        if u < 0 || v < 0 || u as usize >= dims[ua] || v as usize >= dims[va] {
            return None;
        }
        let mut p = [0usize; 3];
        (p[ua], p[va], p[self.axis]) = (u as usize, v as usize, depth);
        Some(p)
    }

    /// Signed distance (mm, negative inside) to the boundary of `label` in the plane at `depth`
    /// (taken half a voxel of the finer in-plane spacing from the voxel centres), and the centroid.
    fn key_plane(&self, map: &LabelMap, label: u8, depth: usize) -> KeyPlane {
        let dims = map.dims();
        let nu = self.size[0];
        let n = nu * self.size[1];
        let inside: Vec<bool> = (0..n)
            .map(|c| {
                self.voxel_at((c % nu) as i64, (c / nu) as i64, depth, dims)
                    .is_some_and(|p| map.get(p[0], p[1], p[2]) == label)
            })
            .collect();
        let (mut count, mut sum) = (0usize, [0.0, 0.0]);
        for c in (0..n).filter(|&c| inside[c]) {
            count += 1;
            sum = [sum[0] + (c % nu) as f64, sum[1] + (c / nu) as f64];
        }
        let outside: Vec<bool> = inside.iter().map(|b| !b).collect();
        let grid = [self.size[0], self.size[1], 1];
        let spacing = [self.spacing[0], self.spacing[1], 1.0];
        let to_inside = edt_sq(&inside, grid, spacing);
        let to_outside = edt_sq(&outside, grid, spacing);
        // Distances run between voxel centres, so the boundary lies half a voxel from either
        // side: without the shift the inside would count one voxel more than the outside.
        let half = (0.5 * self.spacing[0].min(self.spacing[1])) as f32;
        let sd =
            (0..n).map(|c| if inside[c] { half - to_outside[c].sqrt() } else { to_inside[c].sqrt() - half }).collect();
        KeyPlane { sd, centroid: [sum[0] / count.max(1) as f64, sum[1] / count.max(1) as f64] }
    }

    /// `sd` at a point in box cells: bilinear inside the box; beyond it, the nearest edge value
    /// (background there) plus the distance to the edge.
    fn sample(&self, sd: &[f32], q: [f64; 2]) -> f32 {
        let [nu, nv] = self.size;
        let (cu, cv) = (q[0].clamp(0.0, (nu - 1) as f64), q[1].clamp(0.0, (nv - 1) as f64));
        let beyond = ((q[0] - cu) * self.spacing[0]).hypot((q[1] - cv) * self.spacing[1]) as f32;
        let (u0, v0) = ((cu.floor() as usize).min(nu - 2), (cv.floor() as usize).min(nv - 2));
        let (fu, fv) = ((cu - u0 as f64) as f32, (cv - v0 as f64) as f32);
        let at = |u: usize, v: usize| sd[v * nu + u];
        let top = at(u0, v0) * (1.0 - fu) + at(u0 + 1, v0) * fu;
        let bottom = at(u0, v0 + 1) * (1.0 - fu) + at(u0 + 1, v0 + 1) * fu;
        top * (1.0 - fv) + bottom * fv + beyond
    }
}

/// Fills the slices along voxel `axis` that lie between two slices holding `label` and hold none
/// of it themselves. `spacing` is the voxel size in mm. Nothing happens when `label` is 0 or
/// locked. Returns how many voxels changed.
///
/// Between key slices A and B, at fraction t, both shapes are first moved to the centroid
/// interpolated between theirs, then their signed distances are blended: a shape that only moves
/// is carried along unchanged (a plain blend would shrink it at A and grow it at B once the shift
/// exceeds its size), one that only changes size blends its outline linearly.
pub fn interpolate_slices(
    map: &mut LabelMap,
    rec: &mut Recorder,
    label: u8,
    axis: usize,
    spacing: [f64; 3],
    locked: &[u8],
) -> usize {
    if label == 0 || axis > 2 || locked.contains(&label) {
        return 0;
    }
    let Some(e) = extent(map, label, axis) else { return 0 };
    let keys: Vec<usize> = (0..e.present.len()).filter(|&k| e.present[k]).collect();
    let (ua, va) = plane_axes(axis);
    let pb = PlaneBox {
        axis,
        origin: [e.lo[ua] as i64 - 1, e.lo[va] as i64 - 1],
        size: [e.hi[ua] - e.lo[ua] + 3, e.hi[va] - e.lo[va] + 3],
        spacing: [spacing[ua], spacing[va]],
    };
    let dims = map.dims();
    let mut fill: Vec<[u32; 3]> = Vec::new();
    let mut cached: Option<(usize, KeyPlane)> = None;
    for pair in keys.windows(2) {
        let (k0, k1) = (pair[0], pair[1]);
        if k1 - k0 < 2 {
            continue;
        }
        let a = match cached.take() {
            Some((k, d)) if k == k0 => d,
            _ => pb.key_plane(map, label, k0),
        };
        let b = pb.key_plane(map, label, k1);
        let shift = [b.centroid[0] - a.centroid[0], b.centroid[1] - a.centroid[1]];
        // A moved shape can leave the box by up to the shift.
        let reach = shift.map(|s| s.abs().ceil() as i64);
        for k in k0 + 1..k1 {
            let t = (k - k0) as f64 / (k1 - k0) as f64;
            for v in -reach[1]..pb.size[1] as i64 + reach[1] {
                for u in -reach[0]..pb.size[0] as i64 + reach[0] {
                    let (x, y) = (u as f64, v as f64);
                    let da = pb.sample(&a.sd, [x - t * shift[0], y - t * shift[1]]);
                    let db = pb.sample(&b.sd, [x + (1.0 - t) * shift[0], y + (1.0 - t) * shift[1]]);
                    if (1.0 - t as f32) * da + t as f32 * db < 0.0
                        && let Some(p) = pb.voxel_at(u, v, k, dims)
                        && map.get(p[0], p[1], p[2]) == 0
                    {
                        fill.push(p.map(|c| c as u32));
                    }
                }
            }
        }
        cached = Some((k1, b));
    }
    super::morph::write_voxels(map, rec, fill, label)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A disc of radius `r` voxels around `c` (in-plane index coordinates) in the plane across
    /// `axis` at `depth`.
    fn disc(map: &mut LabelMap, axis: usize, depth: usize, c: [f64; 2], r: f64, v: u8) {
        let dims = map.dims();
        let (ua, va) = plane_axes(axis);
        for u in 0..dims[ua] {
            for w in 0..dims[va] {
                if (u as f64 - c[0]).powi(2) + (w as f64 - c[1]).powi(2) <= r * r {
                    let mut p = [0; 3];
                    (p[ua], p[va], p[axis]) = (u, w, depth);
                    let width = dims[0];
                    map.slice_mut(p[2])[p[1] * width + p[0]] = v;
                }
            }
        }
    }

    /// (voxel count, centroid) of `label` in the plane across `axis` at `depth`.
    fn plane_stats(map: &LabelMap, axis: usize, depth: usize, label: u8) -> (usize, [f64; 2]) {
        let dims = map.dims();
        let (ua, va) = plane_axes(axis);
        let (mut n, mut s) = (0, [0.0, 0.0]);
        for u in 0..dims[ua] {
            for w in 0..dims[va] {
                let mut p = [0; 3];
                (p[ua], p[va], p[axis]) = (u, w, depth);
                if map.get(p[0], p[1], p[2]) == label {
                    n += 1;
                    s = [s[0] + u as f64, s[1] + w as f64];
                }
            }
        }
        (n, [s[0] / n.max(1) as f64, s[1] / n.max(1) as f64])
    }

    #[test]
    fn a_shrinking_disc_gets_monotone_radii_close_to_the_linear_blend() {
        let mut map = LabelMap::new([50, 50, 12]);
        disc(&mut map, 2, 0, [25.0, 25.0], 10.0, 1);
        disc(&mut map, 2, 10, [25.0, 25.0], 4.0, 1);
        let keys = (plane_stats(&map, 2, 0, 1).0, plane_stats(&map, 2, 10, 1).0);
        let mut rec = Recorder::default();
        let n = interpolate_slices(&mut map, &mut rec, 1, 2, [0.8, 0.8, 2.5], &[]);
        let mut last = f64::INFINITY;
        for z in 1..10 {
            let (count, c) = plane_stats(&map, 2, z, 1);
            let r = (count as f64 / std::f64::consts::PI).sqrt();
            let want = 10.0 + (4.0 - 10.0) * z as f64 / 10.0;
            assert!((r - want).abs() < 0.6, "slice {z}: radius {r:.2}, linear blend {want:.1}");
            assert!(r < last, "slice {z}: radius {r:.2} after {last:.2}");
            assert!((c[0] - 25.0).abs() < 0.3 && (c[1] - 25.0).abs() < 0.3, "centred: {c:?}");
            last = r;
        }
        assert_eq!((plane_stats(&map, 2, 0, 1).0, plane_stats(&map, 2, 10, 1).0), keys, "key slices untouched");
        assert_eq!(plane_stats(&map, 2, 11, 1).0, 0, "nothing past the last key slice");
        assert_eq!(n as u64 + keys.0 as u64 + keys.1 as u64, map.histogram()[1]);
        rec.finish(&map).revert(&mut map).unwrap();
        assert_eq!(map.histogram()[1], (keys.0 + keys.1) as u64);
    }

    #[test]
    fn a_shifted_disc_follows_the_shift_across_a_sagittal_axis() {
        // Key planes across voxel axis 0 (x = 2 and x = 10), the disc moving along z.
        let mut map = LabelMap::new([14, 40, 48]);
        disc(&mut map, 0, 2, [20.0, 14.0], 6.0, 3);
        disc(&mut map, 0, 10, [20.0, 30.0], 6.0, 3);
        let area = plane_stats(&map, 0, 2, 3).0 as f64;
        let mut rec = Recorder::default();
        interpolate_slices(&mut map, &mut rec, 3, 0, [1.0, 1.0, 1.0], &[]);
        for x in 3..10 {
            let (n, c) = plane_stats(&map, 0, x, 3);
            let want = 14.0 + 16.0 * (x - 2) as f64 / 8.0;
            assert!((c[1] - want).abs() < 0.5 && (c[0] - 20.0).abs() < 0.5, "x = {x}: centroid {c:?}, want z {want}");
            assert!((n as f64 - area).abs() < 0.1 * area, "x = {x}: {n} voxels, key {area}");
        }
        let delta = rec.finish(&map);
        assert!(delta.slice_indices().all(|z| (8..=36).contains(&z)), "only slices the discs' path crosses");
    }

    #[test]
    fn a_disc_that_moves_and_grows_does_both_in_step() {
        let mut map = LabelMap::new([60, 60, 9]);
        disc(&mut map, 2, 0, [15.0, 20.0], 4.0, 1);
        disc(&mut map, 2, 8, [40.0, 30.0], 12.0, 1);
        let radius = |n: usize| (n as f64 / std::f64::consts::PI).sqrt();
        let (r0, r1) = (radius(plane_stats(&map, 2, 0, 1).0), radius(plane_stats(&map, 2, 8, 1).0));
        interpolate_slices(&mut map, &mut Recorder::default(), 1, 2, [1.0; 3], &[]);
        for z in 1..8 {
            let t = z as f64 / 8.0;
            let (n, c) = plane_stats(&map, 2, z, 1);
            let want = [15.0 + 25.0 * t, 20.0 + 10.0 * t];
            assert!((c[0] - want[0]).hypot(c[1] - want[1]) < 0.5, "slice {z}: centroid {c:?}, want {want:?}");
            let r = radius(n);
            assert!((r - (r0 + (r1 - r0) * t)).abs() < 0.6, "slice {z}: radius {r:.2}");
        }
    }

    #[test]
    fn other_labels_and_locked_labels_are_left_alone() {
        let mut map = LabelMap::new([30, 30, 6]);
        disc(&mut map, 2, 0, [15.0, 15.0], 8.0, 1);
        disc(&mut map, 2, 4, [15.0, 15.0], 8.0, 1);
        map.slice_mut(2)[15 * 30 + 15] = 5;
        map.slice_mut(2)[15 * 30 + 16] = 2;
        let mut rec = Recorder::default();
        assert_eq!(interpolate_slices(&mut map, &mut rec, 1, 2, [1.0; 3], &[1]), 0, "a locked label stays as it is");
        let n = interpolate_slices(&mut map, &mut rec, 1, 2, [1.0; 3], &[5]);
        assert_eq!((map.get(15, 15, 2), map.get(16, 15, 2), map.get(14, 15, 2)), (5, 2, 1));
        assert_eq!(n, 3 * plane_stats(&map, 2, 0, 1).0 - 2);
        assert_eq!(interpolate_slices(&mut map, &mut rec, 1, 2, [1.0; 3], &[]), 0, "no gaps left");
        assert_eq!(interpolate_slices(&mut map, &mut rec, 9, 2, [1.0; 3], &[]), 0, "no such label");
    }
}
