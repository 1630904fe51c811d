//! The 348-byte NIfTI-1 header: the fields sumi reads and writes, and the index → world
//! transforms (sform, qform, pixdim) converted between NIfTI's RAS and sumi's LPS.

use nalgebra::{Matrix3, Point3, Rotation3, UnitQuaternion, Vector3};

use crate::volume::Geometry;

pub const HEADER_LEN: usize = 348;
/// Header + the 4-byte extension flag: where a single-file `.nii` puts its voxels.
pub const DATA_OFFSET: usize = 352;

/// NIfTI datatype codes sumi handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    U8,
    I16,
    I32,
    F32,
    F64,
    U16,
}

impl DataType {
    pub fn from_code(code: i16) -> Option<DataType> {
        Some(match code {
            2 => DataType::U8,
            4 => DataType::I16,
            8 => DataType::I32,
            16 => DataType::F32,
            64 => DataType::F64,
            512 => DataType::U16,
            _ => return None,
        })
    }

    pub fn code(self) -> i16 {
        match self {
            DataType::U8 => 2,
            DataType::I16 => 4,
            DataType::I32 => 8,
            DataType::F32 => 16,
            DataType::F64 => 64,
            DataType::U16 => 512,
        }
    }

    pub fn bytes(self) -> usize {
        match self {
            DataType::U8 => 1,
            DataType::I16 | DataType::U16 => 2,
            DataType::I32 | DataType::F32 => 4,
            DataType::F64 => 8,
        }
    }
}

/// The parsed header fields.
#[derive(Debug, Clone)]
pub struct Header {
    pub little_endian: bool,
    pub dim: [i16; 8],
    pub datatype: i16,
    pub pixdim: [f32; 8],
    pub vox_offset: f32,
    pub scl_slope: f32,
    pub scl_inter: f32,
    pub qform_code: i16,
    pub sform_code: i16,
    pub quatern: [f32; 3],
    pub qoffset: [f32; 3],
    pub srow: [[f32; 4]; 3],
    pub magic: [u8; 4],
}

/// RAS ↔ LPS: flip x and y.
fn flip() -> Matrix3<f64> {
    Matrix3::from_diagonal(&Vector3::new(-1.0, -1.0, 1.0))
}

impl Header {
    /// Parses the first 348 bytes; the byte order is whichever makes sizeof_hdr 348.
    pub fn parse(b: &[u8]) -> Result<Header, String> {
        if b.len() < HEADER_LEN {
            return Err(format!("only {} bytes, a NIfTI-1 header needs {HEADER_LEN}", b.len()));
        }
        let le = match (i32::from_le_bytes(word(b, 0)), i32::from_be_bytes(word(b, 0))) {
            (348, _) => true,
            (_, 348) => false,
            (n, _) => return Err(format!("sizeof_hdr is {n}, not 348: not a NIfTI-1 file")),
        };
        let i16_at =
            |o: usize| if le { i16::from_le_bytes([b[o], b[o + 1]]) } else { i16::from_be_bytes([b[o], b[o + 1]]) };
        let f32_at = |o: usize| if le { f32::from_le_bytes(word(b, o)) } else { f32::from_be_bytes(word(b, o)) };
        let magic = [b[344], b[345], b[346], b[347]];
        if &magic[..3] != b"n+1" && &magic[..3] != b"ni1" {
            return Err("magic is neither \"n+1\" nor \"ni1\"".into());
        }
        Ok(Header {
            little_endian: le,
            dim: std::array::from_fn(|i| i16_at(40 + 2 * i)),
            datatype: i16_at(70),
            pixdim: std::array::from_fn(|i| f32_at(76 + 4 * i)),
            vox_offset: f32_at(108),
            scl_slope: f32_at(112),
            scl_inter: f32_at(116),
            qform_code: i16_at(252),
            sform_code: i16_at(254),
            quatern: std::array::from_fn(|i| f32_at(256 + 4 * i)),
            qoffset: std::array::from_fn(|i| f32_at(268 + 4 * i)),
            srow: std::array::from_fn(|r| std::array::from_fn(|c| f32_at(280 + 16 * r + 4 * c))),
            magic,
        })
    }

    /// The 3D grid size; extra dimensions of size > 1 are reported by the caller.
    pub fn dims3(&self) -> Result<[usize; 3], String> {
        let nd = self.dim[0];
        if !(1..=7).contains(&nd) {
            return Err(format!("dim[0] = {nd} is not 1..7"));
        }
        let d = |i: usize| if i as i16 <= nd { self.dim[i] } else { 1 };
        let dims = [d(1), d(2), d(3)];
        if dims.iter().any(|&n| n < 1) {
            return Err(format!("non-positive dimension in {dims:?}"));
        }
        Ok(dims.map(|n| n as usize))
    }

    /// Index → LPS geometry: sform when its code is set, else qform, else pixdim scaling.
    pub fn geometry(&self, dims: [usize; 3]) -> Geometry {
        if self.sform_code > 0 {
            let m = Matrix3::from_fn(|r, c| f64::from(self.srow[r][c]));
            let t = Vector3::from_fn(|r, _| f64::from(self.srow[r][3]));
            return Geometry { dims, origin: Point3::from(flip() * t), axes: flip() * m };
        }
        let spacing = [1, 2, 3].map(|i| f64::from(self.pixdim[i]).abs()).map(|s| if s > 0.0 { s } else { 1.0 });
        if self.qform_code > 0 {
            let [b, c, d] = self.quatern.map(f64::from);
            let a = (1.0 - (b * b + c * c + d * d)).max(0.0).sqrt();
            let r = UnitQuaternion::from_quaternion(nalgebra::Quaternion::new(a, b, c, d)).to_rotation_matrix();
            let qfac = if self.pixdim[0] < 0.0 { -1.0 } else { 1.0 };
            let scale = Matrix3::from_diagonal(&Vector3::new(spacing[0], spacing[1], spacing[2] * qfac));
            let t = Vector3::from_fn(|r, _| f64::from(self.qoffset[r]));
            return Geometry { dims, origin: Point3::from(flip() * t), axes: flip() * r.matrix() * scale };
        }
        // ANALYZE-style: no orientation; nibabel's default puts +i towards the patient's left,
        // so the image is treated as RAS-ish with spacing on the diagonal.
        let centre = |n: usize, s: f64| -(n as f64 - 1.0) / 2.0 * s;
        let axes = Matrix3::from_diagonal(&Vector3::new(spacing[0], spacing[1], spacing[2]));
        let t = Vector3::new(centre(dims[0], spacing[0]), centre(dims[1], spacing[1]), centre(dims[2], spacing[2]));
        Geometry { dims, origin: Point3::from(flip() * t), axes: flip() * axes }
    }

    /// A header for writing `geometry` with `datatype`: both sform and qform describe it (code 1,
    /// scanner anatomical), single file, no scaling.
    pub fn for_geometry(g: &Geometry, datatype: DataType) -> Header {
        let m = flip() * g.axes;
        let t = flip() * g.origin.coords;
        let spacing = g.spacing();
        // qform holds a rotation only: take the nearest rotation to the (possibly sheared) axes.
        let mut unit = Matrix3::from_fn(|r, c| m[(r, c)] / spacing[c].max(f64::MIN_POSITIVE));
        let qfac = if unit.determinant() < 0.0 { -1.0 } else { 1.0 };
        unit.set_column(2, &(unit.column(2) * qfac));
        let rot = Rotation3::from_matrix_eps(&unit, 1e-12, 100, Rotation3::identity());
        let q = UnitQuaternion::from_rotation_matrix(&rot);
        let q = if q.w < 0.0 { -q.into_inner() } else { q.into_inner() };
        let mut dim = [1i16; 8];
        dim[0] = 3;
        for i in 0..3 {
            dim[i + 1] = g.dims[i] as i16;
        }
        let mut pixdim = [1f32; 8];
        pixdim[0] = qfac as f32;
        for i in 0..3 {
            pixdim[i + 1] = spacing[i] as f32;
        }
        Header {
            little_endian: true,
            dim,
            datatype: datatype.code(),
            pixdim,
            vox_offset: DATA_OFFSET as f32,
            scl_slope: 1.0,
            scl_inter: 0.0,
            qform_code: 1,
            sform_code: 1,
            quatern: [q.i as f32, q.j as f32, q.k as f32],
            qoffset: [t.x as f32, t.y as f32, t.z as f32],
            srow: std::array::from_fn(|r| [m[(r, 0)] as f32, m[(r, 1)] as f32, m[(r, 2)] as f32, t[r] as f32]),
            magic: *b"n+1\0",
        }
    }

    /// The 352 bytes before the voxels (header + empty extension flag), little endian.
    pub fn to_bytes(&self, datatype: DataType) -> Vec<u8> {
        let mut b = vec![0u8; DATA_OFFSET];
        let mut put = |o: usize, bytes: &[u8]| b[o..o + bytes.len()].copy_from_slice(bytes);
        put(0, &348i32.to_le_bytes());
        put(38, b"r"); // "regular", as ANALYZE readers expect
        for (i, d) in self.dim.iter().enumerate() {
            put(40 + 2 * i, &d.to_le_bytes());
        }
        put(70, &datatype.code().to_le_bytes());
        put(72, &((datatype.bytes() * 8) as i16).to_le_bytes());
        for (i, p) in self.pixdim.iter().enumerate() {
            put(76 + 4 * i, &p.to_le_bytes());
        }
        put(108, &self.vox_offset.to_le_bytes());
        put(112, &self.scl_slope.to_le_bytes());
        put(116, &self.scl_inter.to_le_bytes());
        put(123, &[2]); // xyzt_units: mm
        put(148, b"sumi");
        put(252, &self.qform_code.to_le_bytes());
        put(254, &self.sform_code.to_le_bytes());
        for i in 0..3 {
            put(256 + 4 * i, &self.quatern[i].to_le_bytes());
            put(268 + 4 * i, &self.qoffset[i].to_le_bytes());
        }
        for r in 0..3 {
            for c in 0..4 {
                put(280 + 16 * r + 4 * c, &self.srow[r][c].to_le_bytes());
            }
        }
        put(344, &self.magic);
        b
    }
}

fn word(b: &[u8], o: usize) -> [u8; 4] {
    [b[o], b[o + 1], b[o + 2], b[o + 3]]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oblique() -> Geometry {
        let r = Rotation3::from_euler_angles(0.1, -0.2, 0.3);
        let axes = r.matrix() * Matrix3::from_diagonal(&Vector3::new(0.8, 0.9, 2.5));
        Geometry { dims: [5, 6, 7], origin: Point3::new(-12.0, 30.5, 7.25), axes }
    }

    #[test]
    fn sform_and_qform_written_for_an_oblique_grid_both_read_back_as_the_same_geometry() {
        let g = oblique();
        let h = Header::for_geometry(&g, DataType::I16);
        let bytes = h.to_bytes(DataType::I16);
        let mut back = Header::parse(&bytes).unwrap();
        let from_s = back.geometry(g.dims);
        back.sform_code = 0;
        let from_q = back.geometry(g.dims);
        for got in [from_s, from_q] {
            assert!((got.axes - g.axes).norm() < 1e-5, "{:?} vs {:?}", got.axes, g.axes);
            assert!((got.origin - g.origin).norm() < 1e-4);
        }
    }

    #[test]
    fn left_handed_axes_use_qfac_minus_one() {
        let mut g = oblique();
        g.axes.set_column(2, &(-g.axes.column(2)));
        let mut h = Header::parse(&Header::for_geometry(&g, DataType::U8).to_bytes(DataType::U8)).unwrap();
        assert_eq!(h.pixdim[0], -1.0);
        h.sform_code = 0;
        assert!((h.geometry(g.dims).axes - g.axes).norm() < 1e-5);
    }

    #[test]
    fn header_with_wrong_size_field_is_not_nifti() {
        let mut b = Header::for_geometry(&oblique(), DataType::U8).to_bytes(DataType::U8);
        b[0] = 7;
        assert!(Header::parse(&b).unwrap_err().contains("sizeof_hdr"));
    }
}
