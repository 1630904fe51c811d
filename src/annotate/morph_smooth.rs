//! Smoothing one label: a morphological opening (removes specks, spikes and bridges thinner than
//! the ball) followed by a closing (fills notches, pinholes and gaps narrower than it), with a
//! ball whose radius is in millimetres, so it is round on anisotropic voxels too.
//!
//! Why opening/closing and not a 3×3×3 median: the median's kernel is counted in voxels, so on
//! typical CT/MR grids (0.5 mm pixels, 3–5 mm slices) it mixes slices far apart and its strength
//! cannot be chosen; opening/closing with an mm ball acts at a size the annotator sets, treats the
//! three axes by their real spacing (a ball thinner than a slice never reaches into the next one),
//! leaves shapes larger than the ball untouched, and each of the four passes is one exact
//! Euclidean distance transform (`volume::distance::edt_sq`: erosion and dilation by a ball are
//! thresholds of a distance), linear in the box it runs on. That box is the label's bounding box
//! plus the radius, so the cost follows the structure, not the volume.
//!
//! The closing only takes background voxels (another label in a notch stays), and a locked label
//! is not changed at all. At the grid's edge the outside counts as neither label nor background:
//! a label touching the edge is not eroded from there.

use crate::volume::distance::edt_sq;

use super::edit::Recorder;
use super::labelmap::LabelMap;

/// Opening then closing of `label` with a ball of `radius_mm` (`spacing` = voxel size in mm).
/// One call is one undo step through `rec`. Returns how many voxels changed.
pub fn smooth_label(
    map: &mut LabelMap,
    rec: &mut Recorder,
    label: u8,
    radius_mm: f64,
    spacing: [f64; 3],
    locked: &[u8],
) -> usize {
    if label == 0 || locked.contains(&label) || radius_mm.is_nan() || radius_mm <= 0.0 {
        return 0;
    }
    let dims = map.dims();
    let w = dims[0];
    let (mut lo, mut hi) = ([usize::MAX; 3], [0usize; 3]);
    let zs: Vec<usize> = map.labelled_slices().collect();
    for &z in &zs {
        let slice = map.slice(z).expect("labelled");
        for (i, _) in slice.iter().enumerate().filter(|(_, v)| **v == label) {
            let p = [i % w, i / w, z];
            for (a, &c) in p.iter().enumerate() {
                (lo[a], hi[a]) = (lo[a].min(c), hi[a].max(c));
            }
        }
    }
    if lo[0] == usize::MAX {
        return 0;
    }
    // The box: bounding box + reach of the ball + one voxel of background, within the grid.
    for a in 0..3 {
        let reach = (radius_mm / spacing[a].max(1e-6)).ceil() as usize + 1;
        lo[a] = lo[a].saturating_sub(reach);
        hi[a] = (hi[a] + reach).min(dims[a] - 1);
    }
    let size = [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1];
    let at = |c: usize| [lo[0] + c % size[0], lo[1] + (c / size[0]) % size[1], lo[2] + c / (size[0] * size[1])];
    let n = size[0] * size[1] * size[2];
    let original: Vec<bool> = (0..n)
        .map(|c| {
            let p = at(c);
            map.get(p[0], p[1], p[2]) == label
        })
        .collect();
    // Within a hair of the radius counts as inside the ball (as the brush does).
    let r2 = (radius_mm * radius_mm) as f32 * (1.0 + 1e-5);
    let within = |set: &[bool]| -> Vec<bool> { edt_sq(set, size, spacing).into_iter().map(|d| d <= r2).collect() };
    let not = |set: &[bool]| -> Vec<bool> { set.iter().map(|b| !b).collect() };
    let dilate = |set: &[bool]| within(set);
    let erode = |set: &[bool]| not(&within(&not(set)));
    let opened = dilate(&erode(&original));
    let smoothed = erode(&dilate(&opened));

    let (mut add, mut remove) = (Vec::new(), Vec::new());
    for c in 0..n {
        if original[c] == smoothed[c] {
            continue;
        }
        let p = at(c);
        if original[c] {
            remove.push(p.map(|v| v as u32));
        } else if map.get(p[0], p[1], p[2]) == 0 {
            add.push(p.map(|v| v as u32));
        }
    }
    let changed = super::morph::write_voxels(map, rec, remove, 0) + super::morph::write_voxels(map, rec, add, label);
    map.compact();
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ball of `r` mm around `c` (voxel indices) on `spacing`; returns the voxels set.
    fn ball(map: &mut LabelMap, c: [f64; 3], r: f64, spacing: [f64; 3], v: u8) -> usize {
        let [w, h, d] = map.dims();
        let mut n = 0;
        for z in 0..d {
            for y in 0..h {
                for x in 0..w {
                    let q = [x as f64, y as f64, z as f64];
                    if (0..3).map(|a| ((q[a] - c[a]) * spacing[a]).powi(2)).sum::<f64>() <= r * r {
                        map.slice_mut(z)[y * w + x] = v;
                        n += 1;
                    }
                }
            }
        }
        n
    }

    #[test]
    fn specks_spikes_and_pinholes_go_while_the_ball_keeps_its_volume() {
        let spacing = [0.8, 0.8, 3.0];
        let mut map = LabelMap::new([60, 60, 14]);
        let n = ball(&mut map, [25.0, 25.0, 7.0], 12.0, spacing, 1);
        let expected = 4.0 / 3.0 * std::f64::consts::PI * 12f64.powi(3) / (0.8 * 0.8 * 3.0);
        assert!((n as f64 - expected).abs() < 0.05 * expected, "{n} voxels vs {expected:.0} for the ball");
        map.slice_mut(7)[25 * 60 + 25] = 0; // a pinhole
        map.slice_mut(7)[25 * 60 + 22] = 2; // another label in the ball: stays
        map.slice_mut(2)[50 * 60 + 50] = 1; // a speck
        for x in 41..47 {
            map.slice_mut(7)[25 * 60 + x] = 1; // a spike one voxel thin
        }
        map.slice_mut(1)[5 * 60 + 5] = 4; // an unrelated label far away
        let mut rec = Recorder::default();
        let changed = smooth_label(&mut map, &mut rec, 1, 2.0, spacing, &[4]);
        assert_eq!((map.get(25, 25, 7), map.get(50, 50, 2), map.get(44, 25, 7)), (1, 0, 0));
        assert_eq!((map.get(22, 25, 7), map.get(5, 5, 1)), (2, 4));
        let after = map.histogram()[1] as f64;
        assert!((after - n as f64).abs() < 0.03 * n as f64, "{after} voxels after smoothing, {n} before");
        assert!(changed >= 8, "pinhole, speck and spike: {changed}");
        let delta = rec.finish(&map);
        assert!(
            delta.slice_indices().all(|z| z == 2 || (3..=11).contains(&z)),
            "only the ball's slices and the speck's"
        );
        delta.revert(&mut map).unwrap();
        assert_eq!((map.get(44, 25, 7), map.get(50, 50, 2), map.get(25, 25, 7)), (1, 1, 0), "one undo step");
    }

    #[test]
    fn the_ball_is_in_millimetres_so_thick_slices_are_smoothed_one_by_one() {
        // 1 mm pixels, 5 mm slices, a 2 mm ball: a gap of one slice in a column is not bridged
        // (the ball does not reach the next slice), but a 1-pixel gap in the plane is.
        let mut map = LabelMap::new([30, 30, 7]);
        for z in [1, 2, 4, 5] {
            for y in 5..25 {
                for x in 5..25 {
                    if x != 15 {
                        map.slice_mut(z)[y * 30 + x] = 1;
                    }
                }
            }
        }
        let mut rec = Recorder::default();
        smooth_label(&mut map, &mut rec, 1, 2.0, [1.0, 1.0, 5.0], &[]);
        assert_eq!(map.get(15, 15, 2), 1, "the in-plane slit is closed");
        assert_eq!(map.get(15, 15, 3), 0, "the empty slice stays empty");
        assert_eq!(map.get(6, 6, 1), 1, "the square is kept but for its sharpest corner voxels");
    }

    #[test]
    fn locked_missing_or_zero_labels_change_nothing() {
        let mut map = LabelMap::new([20, 20, 3]);
        map.slice_mut(1)[10 * 20 + 10] = 1;
        let mut rec = Recorder::default();
        assert_eq!(smooth_label(&mut map, &mut rec, 1, 2.0, [1.0; 3], &[1]), 0);
        assert_eq!(smooth_label(&mut map, &mut rec, 3, 2.0, [1.0; 3], &[]), 0);
        assert_eq!(smooth_label(&mut map, &mut rec, 0, 2.0, [1.0; 3], &[]), 0);
        assert_eq!(smooth_label(&mut map, &mut rec, 1, 0.0, [1.0; 3], &[]), 0);
        assert_eq!(map.get(10, 10, 1), 1);
        assert!(rec.finish(&map).is_empty());
    }
}
