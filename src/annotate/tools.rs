//! Painting tools on a label map: brush and eraser (2D disc or 3D ball, size in mm, optionally
//! only where the image value is in a range), and region growing (2D or 3D) within a range.
//! Every write goes through a [`Recorder`] so the edit becomes one undo step.

use crate::volume::Volume;

use super::edit::{Recorder, Rect};
use super::labelmap::LabelMap;

/// Image values a tool may change (inclusive, modality units).
pub type Range = (f64, f64);

#[derive(Debug, Clone)]
pub struct Brush {
    pub radius_mm: f64,
    /// A ball through neighbouring slices instead of a disc in one slice.
    pub sphere: bool,
    pub label: u8,
    /// Erase `label` (or any label when `label` is 0) instead of painting.
    pub erase: bool,
    /// Only voxels whose image value is in this range.
    pub range: Option<Range>,
    /// Labels that must not be overwritten.
    pub locked: Vec<u8>,
}

fn in_range(volume: Option<&Volume>, range: Option<Range>, idx: usize) -> bool {
    match (volume, range) {
        (Some(v), Some((lo, hi))) => {
            let x = v.voxels.value(idx);
            lo <= x && x <= hi
        }
        _ => true,
    }
}

/// One dab of the brush centred on `center` (voxel index coordinates; `spacing` in mm); a 2D
/// brush paints a disc in the slice. Returns how many voxels changed.
pub fn dab(
    map: &mut LabelMap,
    rec: &mut Recorder,
    spacing: [f64; 3],
    center: [f64; 3],
    brush: &Brush,
    volume: Option<&Volume>,
) -> usize {
    dab_across(map, rec, spacing, center, brush, volume, 2)
}

/// [`dab`] with the 2D disc lying across voxel axis `flat_axis` (2: in the slice, as seen in an
/// axial view; 1 and 0: the coronal and sagittal planes of an axial acquisition). A 3D brush
/// ignores the axis.
pub fn dab_across(
    map: &mut LabelMap,
    rec: &mut Recorder,
    spacing: [f64; 3],
    center: [f64; 3],
    brush: &Brush,
    volume: Option<&Volume>,
    flat_axis: usize,
) -> usize {
    let [w, h, d] = map.dims();
    let r = brush.radius_mm.max(0.0);
    let reach = |axis: usize| {
        if !brush.sphere && axis == flat_axis { 0 } else { (r / spacing[axis].max(1e-6)).floor() as i64 }
    };
    let c: [i64; 3] = [center[0].round() as i64, center[1].round() as i64, center[2].round() as i64];
    let (rx, ry, rz) = (reach(0), reach(1), reach(2));
    let clamp = |v: i64, n: usize| v.clamp(0, n as i64 - 1) as usize;
    if c[2] + rz < 0
        || c[2] - rz >= d as i64
        || c[0] + rx < 0
        || c[0] - rx >= w as i64
        || c[1] + ry < 0
        || c[1] - ry >= h as i64
    {
        return 0;
    }
    let (x0, x1) = (clamp(c[0] - rx, w), clamp(c[0] + rx, w));
    let (y0, y1) = (clamp(c[1] - ry, h), clamp(c[1] + ry, h));
    let (z0, z1) = (clamp(c[2] - rz, d), clamp(c[2] + rz, d));
    let rect: Rect = [x0, y0, x1 + 1, y1 + 1];
    let mut changed = 0;
    for z in z0..=z1 {
        let dz = (z as f64 - c[2] as f64) * spacing[2];
        if dz * dz > r * r {
            continue;
        }
        rec.touch(map, z, rect);
        if brush.erase && map.slice(z).is_none() {
            continue;
        }
        let base = z * w * h;
        let slice = map.slice_mut(z);
        for y in y0..=y1 {
            let dy = (y as f64 - c[1] as f64) * spacing[1];
            for x in x0..=x1 {
                let dx = (x as f64 - c[0] as f64) * spacing[0];
                if dx * dx + dy * dy + dz * dz > r * r {
                    continue;
                }
                let i = y * w + x;
                let old = slice[i];
                let new = if brush.erase {
                    if brush.label == 0 || old == brush.label { 0 } else { old }
                } else {
                    brush.label
                };
                if new != old && !brush.locked.contains(&old) && in_range(volume, brush.range, base + i) {
                    slice[i] = new;
                    changed += 1;
                }
            }
        }
    }
    changed
}

/// Region growing from a seed voxel.
#[derive(Debug, Clone)]
pub struct Grow {
    pub seed: [usize; 3],
    pub range: Range,
    /// Stay in the seed's slice (4-connected) instead of growing in 3D (6-connected).
    pub in_slice: bool,
    pub label: u8,
    pub locked: Vec<u8>,
}

/// Fills the connected region around the seed whose image values are in range, leaving locked
/// labels alone. Returns how many voxels changed.
pub fn region_grow(map: &mut LabelMap, rec: &mut Recorder, volume: &Volume, grow: &Grow) -> usize {
    let Grow { seed, range, in_slice, label, ref locked } = *grow;
    let [w, h, d] = map.dims();
    if seed[0] >= w || seed[1] >= h || seed[2] >= d || volume.geometry.dims != [w, h, d] {
        return 0;
    }
    let idx = |x: usize, y: usize, z: usize| (z * h + y) * w + x;
    let ok = |x: usize, y: usize, z: usize, map: &LabelMap| {
        in_range(Some(volume), Some(range), idx(x, y, z)) && !locked.contains(&map.get(x, y, z))
    };
    if !ok(seed[0], seed[1], seed[2], map) {
        return 0;
    }
    let (zlo, zhi) = if in_slice { (seed[2], seed[2]) } else { (0, d - 1) };
    let mut visited = super::morph::Visited::new([w, h, d], zlo, zhi);
    visited.mark(seed);
    let filled = super::morph::flood6([w, h, d], (zlo, zhi), seed, &mut visited, |x, y, z| ok(x, y, z, map));
    super::morph::write_voxels(map, rec, filled, label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::volume::{DisplayHints, Geometry, SeriesKind, Voxels};

    fn volume(dims: [usize; 3], f: impl Fn(usize, usize, usize) -> i16) -> Volume {
        let mut v = Vec::with_capacity(dims.iter().product());
        for z in 0..dims[2] {
            for y in 0..dims[1] {
                for x in 0..dims[0] {
                    v.push(f(x, y, z));
                }
            }
        }
        Volume {
            geometry: Geometry::axis_aligned(dims, [1.0, 1.0, 1.0]),
            voxels: Voxels::I16(v),
            kind: SeriesKind::Volume,
            display: DisplayHints { modality: "CT".into(), window: None, invert: false },
            value_range: (-500.0, 300.0),
            problems: vec![],
        }
    }

    fn brush(radius_mm: f64, sphere: bool) -> Brush {
        Brush { radius_mm, sphere, label: 1, erase: false, range: None, locked: vec![] }
    }

    #[test]
    fn brush_size_is_in_millimetres_on_anisotropic_voxels() {
        let mut map = LabelMap::new([64, 64, 20]);
        let mut rec = Recorder::default();
        // 0.5 mm pixels, 3 mm slices: a 5 mm ball spans 21 pixels and 3 slices.
        let n = dab(&mut map, &mut rec, [0.5, 0.5, 3.0], [32.0, 32.0, 10.0], &brush(5.0, true), None);
        assert!(n > 0);
        assert_eq!(map.get(22, 32, 10), 1);
        assert_eq!(map.get(21, 32, 10), 0);
        assert_eq!(map.get(32, 32, 9), 1);
        assert_eq!(map.get(32, 32, 8), 0);
        let delta = rec.finish(&map);
        assert_eq!(delta.slices.len(), 3);
    }

    #[test]
    fn a_flat_brush_across_another_axis_paints_a_disc_in_that_plane() {
        let mut map = LabelMap::new([40, 40, 20]);
        let mut rec = Recorder::default();
        // A coronal disc (across y) of 4 mm on 1 mm pixels and 2 mm slices.
        let n = dab_across(&mut map, &mut rec, [1.0, 1.0, 2.0], [20.0, 20.0, 10.0], &brush(4.0, false), None, 1);
        assert_eq!(map.get(20, 20, 12), 1, "two slices up is 4 mm");
        assert_eq!(map.get(24, 20, 10), 1);
        assert_eq!((map.get(20, 21, 10), map.get(20, 20, 13)), (0, 0), "one voxel thick, within radius");
        assert_eq!(n, map.histogram()[1] as usize);
        assert_eq!(rec.finish(&map).slices.len(), 5, "slices 8..=12");
    }

    #[test]
    fn threshold_painting_only_changes_voxels_in_range_and_respects_locked_labels() {
        let vol = volume([40, 40, 1], |x, _, _| if x < 20 { 100 } else { -500 });
        let mut map = LabelMap::new([40, 40, 1]);
        map.slice_mut(0)[20 * 40 + 15] = 7;
        let mut rec = Recorder::default();
        let b = Brush { range: Some((0.0, 200.0)), locked: vec![7], ..brush(10.0, false) };
        dab(&mut map, &mut rec, [1.0; 3], [20.0, 20.0, 0.0], &b, Some(&vol));
        assert_eq!(map.get(19, 20, 0), 1, "in range");
        assert_eq!(map.get(20, 20, 0), 0, "out of range");
        assert_eq!(map.get(15, 20, 0), 7, "locked label kept");
        let erase = Brush { erase: true, ..brush(30.0, false) };
        dab(&mut map, &mut rec, [1.0; 3], [20.0, 20.0, 0.0], &erase, None);
        assert_eq!(map.get(19, 20, 0), 0);
        assert_eq!(map.get(15, 20, 0), 7, "the eraser removes only its own label");
    }

    #[test]
    fn region_growing_stays_inside_the_range_and_connected_component() {
        // Two bright blobs separated by a dark wall at x = 10; 3D grows through slices.
        let vol = volume([20, 10, 4], |x, _, z| if x == 10 || z == 3 { 0 } else { 300 });
        let mut map = LabelMap::new([20, 10, 4]);
        let mut rec = Recorder::default();
        let mut grow = Grow { seed: [2, 2, 0], range: (200.0, 400.0), in_slice: false, label: 3, locked: vec![] };
        let n = region_grow(&mut map, &mut rec, &vol, &grow);
        assert_eq!(n, 10 * 10 * 3);
        assert_eq!((map.get(9, 9, 2), map.get(11, 0, 0), map.get(2, 2, 3)), (3, 0, 0));
        let delta = rec.finish(&map);
        delta.revert(&mut map).unwrap();
        assert_eq!(map.bytes_in_memory(), 0);
        let mut rec = Recorder::default();
        (grow.seed, grow.in_slice) = ([2, 2, 1], true);
        assert_eq!(region_grow(&mut map, &mut rec, &vol, &grow), 100);
        assert_eq!(map.get(2, 2, 0), 0, "2D stays in its slice");
    }
}
