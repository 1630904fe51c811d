//! Recording an edit as a delta of the region it changed: before a tool writes a rectangle of a
//! slice, it `touch`es it; the recorder keeps the old values of the union of touched rectangles
//! per slice, and `finish` turns them into run-length encoded before/after pairs. Undo memory is
//! therefore proportional to what changed, never to the volume (3D Slicer keeps full copies).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::labelmap::LabelMap;
use super::rle;

/// `[x0, y0, x1, y1)` in voxels.
pub type Rect = [usize; 4];

fn union(a: Rect, b: Rect) -> Rect {
    [a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])]
}

fn copy_rect(slice: Option<&[u8]>, width: usize, r: Rect, out: &mut Vec<u8>) {
    out.clear();
    for y in r[1]..r[3] {
        match slice {
            Some(s) => out.extend_from_slice(&s[y * width + r[0]..y * width + r[2]]),
            None => out.resize(out.len() + r[2] - r[0], 0),
        }
    }
}

/// Old values of one slice's touched rectangle.
struct Snapshot {
    rect: Rect,
    before: Vec<u8>,
}

#[derive(Default)]
pub struct Recorder {
    touched: BTreeMap<usize, Snapshot>,
    scratch: Vec<u8>,
}

impl Recorder {
    /// Call before writing inside `rect` of slice `z` (clipped to the map).
    pub fn touch(&mut self, map: &LabelMap, z: usize, rect: Rect) {
        let [w, h, _] = map.dims();
        let rect = [rect[0].min(w), rect[1].min(h), rect[2].min(w), rect[3].min(h)];
        if rect[0] >= rect[2] || rect[1] >= rect[3] {
            return;
        }
        match self.touched.get_mut(&z) {
            Some(s) if union(s.rect, rect) == s.rect => {}
            Some(s) => {
                // Grow: the old area keeps its snapshot (it may have been written since), the
                // new area is still untouched, so the map holds its old values.
                let grown = union(s.rect, rect);
                copy_rect(map.slice(z), w, grown, &mut self.scratch);
                let (gw, sw) = (grown[2] - grown[0], s.rect[2] - s.rect[0]);
                for y in s.rect[1]..s.rect[3] {
                    let dst = (y - grown[1]) * gw + (s.rect[0] - grown[0]);
                    let src = (y - s.rect[1]) * sw;
                    self.scratch[dst..dst + sw].copy_from_slice(&s.before[src..src + sw]);
                }
                std::mem::swap(&mut s.before, &mut self.scratch);
                s.rect = grown;
            }
            None => {
                let mut before = Vec::new();
                copy_rect(map.slice(z), w, rect, &mut before);
                self.touched.insert(z, Snapshot { rect, before });
            }
        }
    }

    /// The delta from the snapshots to the map as it is now; unchanged slices are left out.
    pub fn finish(self, map: &LabelMap) -> Delta {
        let w = map.dims()[0];
        let mut after = Vec::new();
        let slices = self
            .touched
            .into_iter()
            .filter_map(|(z, s)| {
                copy_rect(map.slice(z), w, s.rect, &mut after);
                (after != s.before).then(|| SliceDelta {
                    z,
                    rect: s.rect,
                    before: rle::encode(&s.before),
                    after: rle::encode(&after),
                })
            })
            .collect();
        Delta { slices }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SliceDelta {
    pub z: usize,
    pub rect: Rect,
    pub before: Vec<u8>,
    pub after: Vec<u8>,
}

/// One edit (one stroke, fill or operation) as run-length encoded before/after rectangles.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    pub slices: Vec<SliceDelta>,
}

impl Delta {
    pub fn is_empty(&self) -> bool {
        self.slices.is_empty()
    }

    /// Encoded size, for the undo memory budget.
    pub fn bytes(&self) -> usize {
        self.slices.iter().map(|s| s.before.len() + s.after.len() + 48).sum()
    }

    /// Slices the delta changes.
    pub fn slice_indices(&self) -> impl Iterator<Item = usize> + '_ {
        self.slices.iter().map(|s| s.z)
    }

    fn write(&self, map: &mut LabelMap, forward: bool) -> Result<(), rle::RleError> {
        let w = map.dims()[0];
        let mut buf = Vec::new();
        for s in &self.slices {
            let (rw, rh) = (s.rect[2] - s.rect[0], s.rect[3] - s.rect[1]);
            buf.resize(rw * rh, 0);
            rle::decode_into(if forward { &s.after } else { &s.before }, &mut buf)?;
            let slice = map.slice_mut(s.z);
            for (row, y) in (s.rect[1]..s.rect[3]).enumerate() {
                slice[y * w + s.rect[0]..y * w + s.rect[2]].copy_from_slice(&buf[row * rw..(row + 1) * rw]);
            }
        }
        map.compact();
        Ok(())
    }

    /// Compact binary form for the database: per slice z, rect, and the two RLE blobs, all
    /// lengths as little-endian u32.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.bytes());
        let put = |v: usize, out: &mut Vec<u8>| out.extend_from_slice(&(v as u32).to_le_bytes());
        put(self.slices.len(), &mut out);
        for s in &self.slices {
            for v in [s.z, s.rect[0], s.rect[1], s.rect[2], s.rect[3], s.before.len()] {
                put(v, &mut out);
            }
            out.extend_from_slice(&s.before);
            put(s.after.len(), &mut out);
            out.extend_from_slice(&s.after);
        }
        out
    }

    /// Reads [`Delta::to_bytes`]; `None` when the bytes are cut or malformed.
    pub fn from_bytes(mut b: &[u8]) -> Option<Delta> {
        fn take<'a>(b: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
            let (head, rest) = b.split_at_checked(n)?;
            *b = rest;
            Some(head)
        }
        fn num(b: &mut &[u8]) -> Option<usize> {
            Some(u32::from_le_bytes(take(b, 4)?.try_into().ok()?) as usize)
        }
        let n = num(&mut b)?;
        let mut slices = Vec::with_capacity(n.min(4096));
        for _ in 0..n {
            let (z, x0, y0, x1, y1) = (num(&mut b)?, num(&mut b)?, num(&mut b)?, num(&mut b)?, num(&mut b)?);
            if x0 > x1 || y0 > y1 {
                return None;
            }
            let len = num(&mut b)?;
            let before = take(&mut b, len)?.to_vec();
            let len = num(&mut b)?;
            let after = take(&mut b, len)?.to_vec();
            slices.push(SliceDelta { z, rect: [x0, y0, x1, y1], before, after });
        }
        b.is_empty().then_some(Delta { slices })
    }

    /// Whether every slice and rectangle lies inside a map of `dims`.
    pub fn fits(&self, dims: [usize; 3]) -> bool {
        self.slices.iter().all(|s| s.z < dims[2] && s.rect[2] <= dims[0] && s.rect[3] <= dims[1])
    }

    /// Undoes the edit on `map`.
    pub fn revert(&self, map: &mut LabelMap) -> Result<(), rle::RleError> {
        self.write(map, false)
    }

    /// Applies (redoes) the edit on `map`.
    pub fn apply(&self, map: &mut LabelMap) -> Result<(), rle::RleError> {
        self.write(map, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paint(map: &mut LabelMap, rec: &mut Recorder, z: usize, r: Rect, v: u8) {
        rec.touch(map, z, r);
        let w = map.dims()[0];
        let s = map.slice_mut(z);
        for y in r[1]..r[3] {
            s[y * w + r[0]..y * w + r[2]].fill(v);
        }
    }

    #[test]
    fn a_stroke_of_overlapping_dabs_reverts_exactly_and_reapplies() {
        let mut map = LabelMap::new([100, 80, 10]);
        let mut first = Recorder::default();
        paint(&mut map, &mut first, 3, [10, 10, 30, 30], 1);
        first.finish(&map);
        let before: Vec<u8> = map.slice(3).unwrap().to_vec();

        let mut rec = Recorder::default();
        paint(&mut map, &mut rec, 3, [20, 20, 40, 40], 2);
        paint(&mut map, &mut rec, 3, [5, 35, 60, 50], 3); // grows the rect after writing
        paint(&mut map, &mut rec, 4, [0, 0, 5, 5], 2);
        let delta = rec.finish(&map);
        let after: Vec<u8> = map.slice(3).unwrap().to_vec();
        assert_eq!(delta.slices.len(), 2);

        delta.revert(&mut map).unwrap();
        assert_eq!(map.slice(3).unwrap(), &before[..]);
        assert!(map.slice(4).is_none(), "undo frees a slice it emptied");
        delta.apply(&mut map).unwrap();
        assert_eq!(map.slice(3).unwrap(), &after[..]);
        assert_eq!(map.get(0, 0, 4), 2);
    }

    #[test]
    fn deltas_survive_their_binary_form_and_cut_bytes_are_refused() {
        let mut map = LabelMap::new([50, 50, 5]);
        let mut rec = Recorder::default();
        paint(&mut map, &mut rec, 2, [1, 2, 30, 40], 9);
        paint(&mut map, &mut rec, 4, [0, 0, 50, 50], 1);
        let delta = rec.finish(&map);
        let bytes = delta.to_bytes();
        assert_eq!(Delta::from_bytes(&bytes), Some(delta.clone()));
        assert!(delta.fits([50, 50, 5]) && !delta.fits([50, 50, 4]));
        for cut in [0, 3, 10, bytes.len() - 1] {
            assert_eq!(Delta::from_bytes(&bytes[..cut]), None, "cut at {cut}");
        }
    }

    #[test]
    fn undo_memory_is_proportional_to_the_change_not_the_volume() {
        let mut map = LabelMap::new([512, 512, 200]);
        let mut rec = Recorder::default();
        paint(&mut map, &mut rec, 100, [200, 200, 230, 230], 1);
        let delta = rec.finish(&map);
        assert!(delta.bytes() < 400, "{} bytes for a 30×30 dab", delta.bytes());
        let mut none = Recorder::default();
        paint(&mut map, &mut none, 100, [200, 200, 230, 230], 1);
        assert!(none.finish(&map).is_empty(), "painting what is there changes nothing");
    }
}
