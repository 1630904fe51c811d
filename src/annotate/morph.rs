//! Clean-up operations on one label: keep its largest connected island (3D, 6-connected) and
//! fill holes (per slice: unlabelled pixels the slice's border cannot reach). Each writes through
//! a [`Recorder`], so one operation is one undo step.

use super::edit::{Recorder, Rect};
use super::labelmap::LabelMap;

/// Writes `value` at the given voxels, touching each slice's bounding rectangle first (so the
/// recorder keeps exactly the changed region). Returns how many voxels changed.
pub(super) fn write_voxels(map: &mut LabelMap, rec: &mut Recorder, mut voxels: Vec<[u32; 3]>, value: u8) -> usize {
    let w = map.dims()[0];
    voxels.sort_unstable_by_key(|p| p[2]);
    let mut changed = 0;
    for group in voxels.chunk_by(|a, b| a[2] == b[2]) {
        let z = group[0][2] as usize;
        let mut r: Rect = [usize::MAX, usize::MAX, 0, 0];
        for p in group {
            let (x, y) = (p[0] as usize, p[1] as usize);
            r = [r[0].min(x), r[1].min(y), r[2].max(x + 1), r[3].max(y + 1)];
        }
        rec.touch(map, z, r);
        let slice = map.slice_mut(z);
        for p in group {
            let i = p[1] as usize * w + p[0] as usize;
            if slice[i] != value {
                slice[i] = value;
                changed += 1;
            }
        }
    }
    changed
}

/// `write_voxels`, then frees slices left empty.
fn write(map: &mut LabelMap, rec: &mut Recorder, voxels: Vec<[u32; 3]>, value: u8) -> usize {
    let changed = write_voxels(map, rec, voxels, value);
    map.compact();
    changed
}

/// Voxels of a block of slices `z0..=z1`, one bit each: what a flood fill has already visited.
pub(super) struct Visited {
    bits: Vec<u64>,
    w: usize,
    h: usize,
    z0: usize,
}

impl Visited {
    pub(super) fn new([w, h, _]: [usize; 3], z0: usize, z1: usize) -> Visited {
        Visited { bits: vec![0; ((z1 - z0 + 1) * w * h).div_ceil(64)], w, h, z0 }
    }

    /// Marks `[x, y, z]`; false when it was marked before.
    pub(super) fn mark(&mut self, [x, y, z]: [usize; 3]) -> bool {
        let b = ((z - self.z0) * self.h + y) * self.w + x;
        let (word, bit) = (b / 64, 1u64 << (b % 64));
        let fresh = self.bits[word] & bit == 0;
        self.bits[word] |= bit;
        fresh
    }
}

/// The 6-connected region around `seed` (marked by the caller) within slices `z0..=z1`: every
/// neighbour not yet visited is marked, and kept and grown from when `accept` takes it.
pub(super) fn flood6(
    dims: [usize; 3],
    (z0, z1): (usize, usize),
    seed: [usize; 3],
    visited: &mut Visited,
    mut accept: impl FnMut(usize, usize, usize) -> bool,
) -> Vec<[u32; 3]> {
    let [w, h, _] = dims;
    let mut region = Vec::new();
    let mut stack = vec![seed];
    while let Some([x, y, z]) = stack.pop() {
        region.push([x as u32, y as u32, z as u32]);
        let neighbours = [
            (x > 0).then(|| [x - 1, y, z]),
            (x + 1 < w).then(|| [x + 1, y, z]),
            (y > 0).then(|| [x, y - 1, z]),
            (y + 1 < h).then(|| [x, y + 1, z]),
            (z > z0).then(|| [x, y, z - 1]),
            (z < z1).then(|| [x, y, z + 1]),
        ];
        for n in neighbours.into_iter().flatten() {
            if visited.mark(n) && accept(n[0], n[1], n[2]) {
                stack.push(n);
            }
        }
    }
    region
}

/// Removes every island of `label` but the largest (6-connected in 3D). Returns the voxels removed.
pub fn keep_largest_island(map: &mut LabelMap, rec: &mut Recorder, label: u8) -> usize {
    let dims = map.dims();
    let [w, h, d] = dims;
    if d == 0 {
        return 0;
    }
    let mut visited = Visited::new(dims, 0, d - 1);
    let mut islands: Vec<Vec<[u32; 3]>> = Vec::new();
    let zs: Vec<usize> = map.labelled_slices().collect();
    for &z in &zs {
        for y in 0..h {
            for x in 0..w {
                if map.get(x, y, z) != label || !visited.mark([x, y, z]) {
                    continue;
                }
                islands.push(flood6(dims, (0, d - 1), [x, y, z], &mut visited, |x, y, z| map.get(x, y, z) == label));
            }
        }
    }
    let Some(largest) = (0..islands.len()).max_by_key(|&i| islands[i].len()) else { return 0 };
    let removed: Vec<[u32; 3]> =
        islands.into_iter().enumerate().filter(|(i, _)| *i != largest).flat_map(|(_, v)| v).collect();
    write(map, rec, removed, 0)
}

/// Fills the holes of `label` in every slice it appears in: unlabelled pixels that no path of
/// pixels other than `label` connects to the slice's border (4-connected). Other labels are kept.
/// Returns the voxels filled.
pub fn fill_holes(map: &mut LabelMap, rec: &mut Recorder, label: u8) -> usize {
    let [w, h, _] = map.dims();
    let mut fill = Vec::new();
    let zs: Vec<usize> = map.labelled_slices().collect();
    for z in zs {
        let slice = map.slice(z).expect("labelled");
        if !slice.contains(&label) {
            continue;
        }
        let mut outside = vec![false; w * h];
        let mut stack: Vec<usize> = (0..w).flat_map(|x| [x, (h - 1) * w + x]).collect();
        stack.extend((0..h).flat_map(|y| [y * w, y * w + w - 1]));
        while let Some(i) = stack.pop() {
            if outside[i] || slice[i] == label {
                continue;
            }
            outside[i] = true;
            let (x, y) = (i % w, i / w);
            if x > 0 {
                stack.push(i - 1);
            }
            if x + 1 < w {
                stack.push(i + 1);
            }
            if y > 0 {
                stack.push(i - w);
            }
            if y + 1 < h {
                stack.push(i + w);
            }
        }
        for (i, &v) in slice.iter().enumerate() {
            if v == 0 && !outside[i] {
                fill.push([(i % w) as u32, (i / w) as u32, z as u32]);
            }
        }
    }
    write(map, rec, fill, label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(map: &mut LabelMap, z: usize, [x0, y0, x1, y1]: [usize; 4], v: u8) {
        let w = map.dims()[0];
        let s = map.slice_mut(z);
        for y in y0..y1 {
            s[y * w + x0..y * w + x1].fill(v);
        }
    }

    #[test]
    fn only_the_largest_island_survives_and_undo_brings_the_others_back() {
        let mut map = LabelMap::new([30, 30, 4]);
        square(&mut map, 1, [2, 2, 12, 12], 1); // 100 voxels, joined to the next slice
        square(&mut map, 2, [2, 2, 6, 6], 1); // +16
        square(&mut map, 1, [20, 20, 25, 25], 1); // 25, separate
        square(&mut map, 3, [20, 20, 22, 22], 1); // 4, separate (slice 2 is empty there)
        square(&mut map, 3, [0, 0, 3, 3], 2); // another label is left alone
        let before: Vec<Option<Vec<u8>>> = (0..4).map(|z| map.slice(z).map(<[u8]>::to_vec)).collect();
        let mut rec = Recorder::default();
        assert_eq!(keep_largest_island(&mut map, &mut rec, 1), 29);
        assert_eq!(map.histogram()[1], 116);
        assert_eq!(map.histogram()[2], 9);
        rec.finish(&map).revert(&mut map).unwrap();
        let after: Vec<Option<Vec<u8>>> = (0..4).map(|z| map.slice(z).map(<[u8]>::to_vec)).collect();
        assert_eq!(after, before);
    }

    #[test]
    fn holes_inside_a_ring_are_filled_but_open_bays_and_other_labels_are_not() {
        let mut map = LabelMap::new([20, 20, 2]);
        square(&mut map, 0, [2, 2, 12, 12], 1);
        square(&mut map, 0, [4, 4, 8, 8], 0); // a 16-pixel hole
        square(&mut map, 0, [9, 9, 10, 10], 3); // another label inside the ring stays
        square(&mut map, 0, [10, 5, 12, 7], 0); // a bay open to the outside stays open
        let mut rec = Recorder::default();
        assert_eq!(fill_holes(&mut map, &mut rec, 1), 16);
        assert_eq!((map.get(5, 5, 0), map.get(9, 9, 0), map.get(11, 6, 0)), (1, 3, 0));
        assert_eq!(rec.finish(&map).slices.len(), 1);
        let mut none = Recorder::default();
        assert_eq!(fill_holes(&mut map, &mut none, 1), 0, "nothing left to fill");
    }
}
