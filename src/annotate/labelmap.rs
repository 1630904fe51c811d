//! A label map on a series' voxel grid: one byte per voxel at most, and only for slices that
//! hold a label (an empty slice costs nothing). Slices are the unit of storage (RLE in the
//! project database) and of GPU upload.

use super::rle::{self, RleError};

#[derive(Clone)]
pub struct LabelMap {
    dims: [usize; 3],
    slices: Vec<Option<Box<[u8]>>>,
}

impl std::fmt::Debug for LabelMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let labelled = self.slices.iter().filter(|s| s.is_some()).count();
        write!(f, "LabelMap {:?}, {labelled} labelled slice(s)", self.dims)
    }
}

impl LabelMap {
    pub fn new(dims: [usize; 3]) -> LabelMap {
        LabelMap { dims, slices: (0..dims[2]).map(|_| None).collect() }
    }

    pub fn dims(&self) -> [usize; 3] {
        self.dims
    }

    fn per_slice(&self) -> usize {
        self.dims[0] * self.dims[1]
    }

    pub fn contains(&self, x: i64, y: i64, z: i64) -> bool {
        let d = self.dims;
        x >= 0 && y >= 0 && z >= 0 && (x as usize) < d[0] && (y as usize) < d[1] && (z as usize) < d[2]
    }

    pub fn get(&self, x: usize, y: usize, z: usize) -> u8 {
        self.slices[z].as_ref().map_or(0, |s| s[y * self.dims[0] + x])
    }

    /// The voxels of slice `z`, or `None` when it holds no label.
    pub fn slice(&self, z: usize) -> Option<&[u8]> {
        self.slices[z].as_deref()
    }

    /// Writable voxels of slice `z`, allocated (zeroed) on the first write.
    pub fn slice_mut(&mut self, z: usize) -> &mut [u8] {
        let n = self.per_slice();
        self.slices[z].get_or_insert_with(|| vec![0u8; n].into_boxed_slice())
    }

    /// Frees slices that hold no label any more (after erasing or undo).
    pub fn compact(&mut self) {
        for s in &mut self.slices {
            if s.as_ref().is_some_and(|v| v.iter().all(|&x| x == 0)) {
                *s = None;
            }
        }
    }

    /// Bytes held for voxels.
    pub fn bytes_in_memory(&self) -> usize {
        self.slices.iter().flatten().map(|s| s.len()).sum()
    }

    /// Voxels per label value.
    pub fn histogram(&self) -> [u64; 256] {
        let mut h = [0u64; 256];
        for s in self.slices.iter().flatten() {
            for &v in s.iter() {
                h[usize::from(v)] += 1;
            }
        }
        h[0] += (self.slices.iter().filter(|s| s.is_none()).count() * self.per_slice()) as u64;
        h
    }

    /// Slice `z` run-length encoded (an empty slice is one run of zeros).
    pub fn encode_slice(&self, z: usize) -> Vec<u8> {
        match &self.slices[z] {
            Some(s) => rle::encode(s),
            None => rle::encode(&vec![0u8; self.per_slice()]),
        }
    }

    /// Replaces slice `z` with run-length encoded voxels.
    pub fn decode_slice(&mut self, z: usize, data: &[u8]) -> Result<(), RleError> {
        let mut buf = vec![0u8; self.per_slice()];
        rle::decode_into(data, &mut buf)?;
        self.slices[z] = buf.iter().any(|&v| v != 0).then(|| buf.into_boxed_slice());
        Ok(())
    }

    /// Slices that hold a label.
    pub fn labelled_slices(&self) -> impl Iterator<Item = usize> + '_ {
        self.slices.iter().enumerate().filter(|(_, s)| s.is_some()).map(|(z, _)| z)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_spent_only_on_slices_that_hold_labels() {
        let mut m = LabelMap::new([512, 512, 300]);
        assert_eq!(m.bytes_in_memory(), 0);
        m.slice_mut(10)[5] = 2;
        assert_eq!(m.bytes_in_memory(), 512 * 512);
        assert_eq!(m.get(5, 0, 10), 2);
        assert_eq!(m.histogram()[2], 1);
        assert_eq!(m.histogram()[0], 512 * 512 * 300 - 1);
        m.slice_mut(10)[5] = 0;
        m.compact();
        assert_eq!(m.bytes_in_memory(), 0);
    }

    #[test]
    fn slices_round_trip_through_their_run_length_encoding() {
        let mut m = LabelMap::new([64, 32, 3]);
        m.slice_mut(1)[100..400].fill(4);
        let e = m.encode_slice(1);
        let mut other = LabelMap::new([64, 32, 3]);
        other.decode_slice(1, &e).unwrap();
        assert_eq!(other.slice(1), m.slice(1));
        other.decode_slice(1, &m.encode_slice(0)).unwrap();
        assert!(other.slice(1).is_none(), "an all-zero slice frees its memory");
        assert!(other.decode_slice(2, &e[..e.len() - 2]).is_err());
    }
}
