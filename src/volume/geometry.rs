//! One type for the grid ↔ patient mapping: voxel index (i = column, j = row, k = slice) to
//! LPS millimetres. The three axes need not be orthogonal (gantry tilt gives a sheared grid).

use nalgebra::{Matrix3, Matrix4, Point3, Vector3};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Geometry {
    pub dims: [usize; 3],
    /// Patient position of voxel (0, 0, 0), mm LPS.
    pub origin: Point3<f64>,
    /// Columns: the patient-space step (mm) for +1 in i, j and k.
    pub axes: Matrix3<f64>,
}

impl Geometry {
    /// An axis-aligned grid (used for synthetic data and images without geometry).
    pub fn axis_aligned(dims: [usize; 3], spacing: [f64; 3]) -> Geometry {
        Geometry {
            dims,
            origin: Point3::origin(),
            axes: Matrix3::from_diagonal(&Vector3::new(spacing[0], spacing[1], spacing[2])),
        }
    }

    pub fn voxel_count(&self) -> usize {
        self.dims.iter().product()
    }

    /// Length of each axis step in mm.
    pub fn spacing(&self) -> [f64; 3] {
        [0, 1, 2].map(|c| self.axes.column(c).norm())
    }

    /// Unit direction of each grid axis in LPS.
    pub fn direction(&self, axis: usize) -> Vector3<f64> {
        self.axes.column(axis).normalize()
    }

    pub fn index_to_patient(&self, ijk: Vector3<f64>) -> Point3<f64> {
        self.origin + self.axes * ijk
    }

    /// Inverse of `index_to_patient`; `None` only for a degenerate grid.
    pub fn patient_to_index(&self, p: Point3<f64>) -> Option<Vector3<f64>> {
        Some(self.axes.try_inverse()? * (p - self.origin))
    }

    /// The 4×4 homogeneous index → LPS affine.
    pub fn affine(&self) -> Matrix4<f64> {
        let mut m = Matrix4::identity();
        m.fixed_view_mut::<3, 3>(0, 0).copy_from(&self.axes);
        m.fixed_view_mut::<3, 1>(0, 3).copy_from(&self.origin.coords);
        m
    }

    /// Patient-space centre of the grid.
    pub fn center(&self) -> Point3<f64> {
        let half = Vector3::new(
            (self.dims[0] as f64 - 1.0) / 2.0,
            (self.dims[1] as f64 - 1.0) / 2.0,
            (self.dims[2] as f64 - 1.0) / 2.0,
        );
        self.index_to_patient(half)
    }

    /// The 8 corner points of the grid in patient space.
    pub fn corners(&self) -> [Point3<f64>; 8] {
        let d = self.dims.map(|n| n.saturating_sub(1) as f64);
        std::array::from_fn(|c| {
            let ijk = Vector3::new(
                if c & 1 == 0 { 0.0 } else { d[0] },
                if c & 2 == 0 { 0.0 } else { d[1] },
                if c & 4 == 0 { 0.0 } else { d[2] },
            );
            self.index_to_patient(ijk)
        })
    }
}

/// The patient-axis letter a direction points towards most (L/R, P/A, S/I), for orientation labels.
pub fn direction_letter(v: Vector3<f64>) -> char {
    let (ax, val) = (0..3).map(|i| (i, v[i])).max_by(|a, b| a.1.abs().total_cmp(&b.1.abs())).unwrap_or((0, 0.0));
    match (ax, val >= 0.0) {
        (0, true) => 'L',
        (0, false) => 'R',
        (1, true) => 'P',
        (1, false) => 'A',
        (_, true) => 'S',
        (_, false) => 'I',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_patient_round_trip_on_sheared_grid() {
        let g = Geometry {
            dims: [4, 5, 6],
            origin: Point3::new(-10.0, 20.0, 30.0),
            axes: Matrix3::new(0.5, 0.0, 0.0, 0.0, 0.5, 0.3, 0.0, 0.0, 2.0),
        };
        let ijk = Vector3::new(1.0, 2.0, 3.0);
        let p = g.index_to_patient(ijk);
        let back = g.patient_to_index(p).unwrap();
        assert!((back - ijk).norm() < 1e-9);
        let h = g.affine() * nalgebra::Vector4::new(1.0, 2.0, 3.0, 1.0);
        assert!((h.xyz() - p.coords).norm() < 1e-9);
    }

    #[test]
    fn direction_letters_follow_lps() {
        assert_eq!(direction_letter(Vector3::new(1.0, 0.0, 0.0)), 'L');
        assert_eq!(direction_letter(Vector3::new(0.0, -1.0, 0.1)), 'A');
        assert_eq!(direction_letter(Vector3::new(0.0, 0.2, -1.0)), 'I');
    }
}
