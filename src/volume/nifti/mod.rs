//! NIfTI-1 files (`.nii`, `.nii.gz`): read into a `Volume` and write voxels with a `Geometry`.
//!
//! NIfTI's world is RAS; sumi's is LPS, so x and y flip on the way in and out. The reader takes
//! the sform when its code is set, else the qform, else pixdim (as the NIfTI-1 standard ranks
//! them); the writer fills both (the qform with the nearest rotation when the grid is sheared).
//! Scaled data (scl_slope ≠ 0, ≠ 1 or scl_inter ≠ 0) is returned as f32 in real-world units.

mod header;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

use super::plan::SeriesKind;
use super::voxels::{DisplayHints, Volume, Voxels};
use super::{Geometry, load::value_range};
pub use header::DataType;
use header::{DATA_OFFSET, Header};

#[derive(Debug, thiserror::Error)]
pub enum NiftiError {
    #[error("{path}: cannot read file: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a readable NIfTI-1 file: {reason}")]
    Format { path: PathBuf, reason: String },
    #[error("{path}: cannot write NIfTI: {reason}")]
    Write { path: PathBuf, reason: String },
}

/// Voxels to write, borrowed, in one of the NIfTI datatypes sumi writes.
#[derive(Clone, Copy)]
pub enum NiftiVoxels<'a> {
    U8(&'a [u8]),
    I16(&'a [i16]),
    U16(&'a [u16]),
    F32(&'a [f32]),
}

impl<'a> NiftiVoxels<'a> {
    /// The grey voxels of a volume (colour volumes have no NIfTI counterpart here).
    pub fn from_voxels(v: &'a Voxels) -> Option<NiftiVoxels<'a>> {
        match v {
            Voxels::I16(d) => Some(NiftiVoxels::I16(d)),
            Voxels::U16(d) => Some(NiftiVoxels::U16(d)),
            Voxels::F32(d) => Some(NiftiVoxels::F32(d)),
            Voxels::Rgba8(_) => None,
        }
    }

    fn len(&self) -> usize {
        match self {
            NiftiVoxels::U8(d) => d.len(),
            NiftiVoxels::I16(d) => d.len(),
            NiftiVoxels::U16(d) => d.len(),
            NiftiVoxels::F32(d) => d.len(),
        }
    }

    fn datatype(&self) -> DataType {
        match self {
            NiftiVoxels::U8(_) => DataType::U8,
            NiftiVoxels::I16(_) => DataType::I16,
            NiftiVoxels::U16(_) => DataType::U16,
            NiftiVoxels::F32(_) => DataType::F32,
        }
    }

    fn append_le(&self, out: &mut Vec<u8>) {
        match self {
            NiftiVoxels::U8(d) => out.extend_from_slice(d),
            NiftiVoxels::I16(d) => d.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
            NiftiVoxels::U16(d) => d.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
            NiftiVoxels::F32(d) => d.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
        }
    }
}

fn is_gz(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// Whether a path names a NIfTI file by its extension (`.nii`, `.nii.gz`).
pub fn is_nifti_path(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    name.ends_with(".nii") || name.ends_with(".nii.gz")
}

/// Reads a NIfTI-1 file into a volume (modality left empty: NIfTI does not record one).
/// 4D files give their first volume, with a problem saying so.
pub fn read_nifti(path: &Path) -> Result<Volume, NiftiError> {
    let format = |reason: String| NiftiError::Format { path: path.to_path_buf(), reason };
    let raw = std::fs::read(path).map_err(|source| NiftiError::Io { path: path.to_path_buf(), source })?;
    let bytes = if is_gz(path) || raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 4);
        MultiGzDecoder::new(raw.as_slice()).read_to_end(&mut out).map_err(|e| format(format!("gzip: {e}")))?;
        out
    } else {
        raw
    };
    let h = Header::parse(&bytes).map_err(format)?;
    let dims = h.dims3().map_err(format)?;
    let dt = DataType::from_code(h.datatype)
        .ok_or_else(|| format(format!("datatype {} is not one of u8, i16, u16, i32, f32, f64", h.datatype)))?;
    let mut problems = Vec::new();
    let extra: usize = (4..=7).filter(|&i| i as i16 <= h.dim[0]).map(|i| h.dim[i].max(1) as usize).product();
    if extra > 1 {
        problems.push(format!("{extra} volumes in the file: only the first is read"));
    }
    if &h.magic[..3] == b"ni1" {
        return Err(format(".hdr/.img pairs are not supported; convert to .nii".into()));
    }
    // Single-file images have data after the 352-byte header (some writers leave vox_offset 0).
    let offset = (h.vox_offset as usize).max(DATA_OFFSET);
    let n: usize = dims.iter().product();
    let need = n
        .checked_mul(dt.bytes())
        .and_then(|b| b.checked_add(offset))
        .ok_or_else(|| format(format!("dimensions {dims:?} overflow")))?;
    if bytes.len() < need {
        return Err(format(format!("truncated: {} bytes, {dims:?} {dt:?} voxels need {need}", bytes.len())));
    }
    let data = &bytes[offset..need];
    let (slope, inter) = (f64::from(h.scl_slope), f64::from(h.scl_inter));
    let scaled = slope.is_finite() && slope != 0.0 && (slope != 1.0 || (inter.is_finite() && inter != 0.0));
    let voxels =
        decode(data, dt, h.little_endian, scaled.then_some((slope, if inter.is_finite() { inter } else { 0.0 })));
    let value_range = value_range(&voxels);
    Ok(Volume {
        geometry: h.geometry(dims),
        voxels,
        kind: SeriesKind::Volume,
        display: DisplayHints { modality: String::new(), window: None, invert: false },
        value_range,
        problems,
    })
}

/// Stored values → voxels: kept as i16/u16 where they fit, else f32 (real-world when scaled).
fn decode(data: &[u8], dt: DataType, le: bool, scale: Option<(f64, f64)>) -> Voxels {
    let w = dt.bytes();
    let word = |c: &[u8]| -> [u8; 8] {
        let mut b = [0u8; 8];
        b[..w].copy_from_slice(c);
        if !le {
            b[..w].reverse();
        }
        b
    };
    let stored = |c: &[u8]| -> f64 {
        let b = word(c);
        match dt {
            DataType::U8 => f64::from(b[0]),
            DataType::I16 => f64::from(i16::from_le_bytes([b[0], b[1]])),
            DataType::U16 => f64::from(u16::from_le_bytes([b[0], b[1]])),
            DataType::I32 => f64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            DataType::F32 => f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            DataType::F64 => f64::from_le_bytes(b),
        }
    };
    match (dt, scale) {
        (DataType::I16, None) => Voxels::I16(data.chunks_exact(2).map(|c| stored(c) as i16).collect()),
        (DataType::U8 | DataType::U16, None) => Voxels::U16(data.chunks_exact(w).map(|c| stored(c) as u16).collect()),
        (_, None) => Voxels::F32(data.chunks_exact(w).map(|c| stored(c) as f32).collect()),
        (_, Some((s, i))) => Voxels::F32(data.chunks_exact(w).map(|c| (stored(c) * s + i) as f32).collect()),
    }
}

/// Writes voxels on `geometry` as a NIfTI-1 file; gzip-compressed when the name ends in `.gz`.
/// The file is written to a temporary name and renamed, so a failed write leaves no partial file.
pub fn write_nifti(path: &Path, geometry: &Geometry, voxels: NiftiVoxels<'_>) -> Result<(), NiftiError> {
    let fail = |reason: String| NiftiError::Write { path: path.to_path_buf(), reason };
    if voxels.len() != geometry.voxel_count() {
        return Err(fail(format!("{} voxels for a {:?} grid", voxels.len(), geometry.dims)));
    }
    if geometry.dims.iter().any(|&n| n > i16::MAX as usize) {
        return Err(fail(format!("dimensions {:?} exceed NIfTI-1's 32767", geometry.dims)));
    }
    let dt = voxels.datatype();
    let mut bytes = Header::for_geometry(geometry, dt).to_bytes(dt);
    bytes.reserve(voxels.len() * dt.bytes());
    voxels.append_le(&mut bytes);
    let tmp = path.with_extension("partial");
    let write = || -> std::io::Result<()> {
        let file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        if is_gz(path) {
            let mut gz = GzEncoder::new(file, Compression::fast());
            gz.write_all(&bytes)?;
            gz.finish()?.flush()?;
        } else {
            let mut file = file;
            file.write_all(&bytes)?;
            file.flush()?;
        }
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e.to_string())
    })
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix3, Point3};

    use super::*;

    fn grid() -> Geometry {
        Geometry {
            dims: [4, 3, 2],
            origin: Point3::new(10.0, -20.0, 5.0),
            axes: Matrix3::new(0.0, 0.0, 2.0, -1.5, 0.0, 0.0, 0.0, 1.25, 0.0),
        }
    }

    #[test]
    fn i16_volume_round_trips_through_nii_gz_with_its_geometry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.nii.gz");
        let g = grid();
        let data: Vec<i16> = (0..24).map(|i| i * 37 - 400).collect();
        write_nifti(&path, &g, NiftiVoxels::I16(&data)).unwrap();
        let v = read_nifti(&path).unwrap();
        assert_eq!(v.geometry.dims, g.dims);
        assert!((v.geometry.axes - g.axes).norm() < 1e-6);
        assert!((v.geometry.origin - g.origin).norm() < 1e-5);
        match v.voxels {
            Voxels::I16(back) => assert_eq!(back, data),
            _ => panic!("i16 data should stay i16"),
        }
    }

    #[test]
    fn u8_mask_round_trips_through_plain_nii() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.nii");
        let data: Vec<u8> = (0..24).map(|i| (i % 3 == 0) as u8).collect();
        write_nifti(&path, &grid(), NiftiVoxels::U8(&data)).unwrap();
        let Voxels::U16(back) = read_nifti(&path).unwrap().voxels else { panic!("u8 reads as u16") };
        assert_eq!(back, data.iter().map(|&v| u16::from(v)).collect::<Vec<_>>());
    }

    #[test]
    fn scl_slope_and_inter_give_real_world_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.nii");
        write_nifti(&path, &grid(), NiftiVoxels::I16(&[3; 24])).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[112..116].copy_from_slice(&0.5f32.to_le_bytes());
        bytes[116..120].copy_from_slice(&(-10.0f32).to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let Voxels::F32(v) = read_nifti(&path).unwrap().voxels else { panic!("scaled data reads as f32") };
        assert!(v.iter().all(|&x| x == -8.5));
    }

    #[test]
    fn truncated_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.nii");
        write_nifti(&path, &grid(), NiftiVoxels::F32(&[1.0; 24])).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
        let e = read_nifti(&path).err().expect("must fail").to_string();
        assert!(e.contains("cut.nii") && e.contains("truncated"), "{e}");
    }

    #[test]
    fn garbage_gz_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junk.nii.gz");
        std::fs::write(&path, b"\x1f\x8bnot really gzip").unwrap();
        let e = read_nifti(&path).err().expect("must fail").to_string();
        assert!(e.contains("junk.nii.gz"), "{e}");
    }

    #[test]
    fn wrong_voxel_count_is_refused_before_writing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.nii");
        assert!(write_nifti(&path, &grid(), NiftiVoxels::U8(&[0; 5])).is_err());
        assert!(!path.exists());
    }
}
