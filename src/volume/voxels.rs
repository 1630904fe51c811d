//! Voxel storage: modality values in the smallest type that holds them, or RGBA for colour.

use serde::Serialize;

use super::geometry::Geometry;
use super::plan::{SeriesKind, VoxelType};

pub enum Voxels {
    I16(Vec<i16>),
    U16(Vec<u16>),
    F32(Vec<f32>),
    /// 4 bytes per voxel (alpha 255): ready for an Rgba8 texture.
    Rgba8(Vec<u8>),
}

/// A borrowed slice of voxels (one k-slice), for streaming to the GPU.
#[derive(Clone, Copy)]
pub enum SliceRef<'a> {
    I16(&'a [i16]),
    U16(&'a [u16]),
    F32(&'a [f32]),
    Rgba8(&'a [u8]),
}

impl Voxels {
    pub fn voxel_type(&self) -> VoxelType {
        match self {
            Voxels::I16(_) => VoxelType::I16,
            Voxels::U16(_) => VoxelType::U16,
            Voxels::F32(_) => VoxelType::F32,
            Voxels::Rgba8(_) => VoxelType::Rgba8,
        }
    }

    pub fn byte_len(&self) -> usize {
        match self {
            Voxels::I16(v) => v.len() * 2,
            Voxels::U16(v) => v.len() * 2,
            Voxels::F32(v) => v.len() * 4,
            Voxels::Rgba8(v) => v.len(),
        }
    }

    /// k-slice `k` of a grid with `per_slice` voxels.
    pub fn slice(&self, k: usize, per_slice: usize) -> SliceRef<'_> {
        let r = k * per_slice..(k + 1) * per_slice;
        match self {
            Voxels::I16(v) => SliceRef::I16(&v[r]),
            Voxels::U16(v) => SliceRef::U16(&v[r]),
            Voxels::F32(v) => SliceRef::F32(&v[r]),
            Voxels::Rgba8(v) => SliceRef::Rgba8(&v[r.start * 4..r.end * 4]),
        }
    }

    /// Grey value at a flat index (colour: luminance).
    pub fn value(&self, idx: usize) -> f64 {
        match self {
            Voxels::I16(v) => f64::from(v[idx]),
            Voxels::U16(v) => f64::from(v[idx]),
            Voxels::F32(v) => f64::from(v[idx]),
            Voxels::Rgba8(v) => {
                let p = &v[idx * 4..idx * 4 + 3];
                0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2])
            }
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DisplayHints {
    pub modality: String,
    /// Window from the header (centre, width), if any.
    pub window: Option<(f64, f64)>,
    /// MONOCHROME1: show inverted by default.
    pub invert: bool,
}

/// A loaded series: voxels plus patient geometry.
pub struct Volume {
    pub geometry: Geometry,
    pub voxels: Voxels,
    pub kind: SeriesKind,
    pub display: DisplayHints,
    /// Actual min/max of the data (modality units; 0–255 for colour).
    pub value_range: (f64, f64),
    pub problems: Vec<String>,
}

impl Volume {
    pub fn per_slice(&self) -> usize {
        self.geometry.dims[0] * self.geometry.dims[1]
    }

    /// Value at voxel (i, j, k).
    pub fn at(&self, i: usize, j: usize, k: usize) -> f64 {
        let [nx, ny, _] = self.geometry.dims;
        self.voxels.value(i + nx * (j + ny * k))
    }
}
