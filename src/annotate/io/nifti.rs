//! NIfTI label maps (uint8, `.nii` or `.nii.gz`) on a reference grid, and the label table as JSON
//! (a list of `Label`). A NIfTI whose grid is the reference grid with its axes reordered or
//! flipped (e.g. written by a tool that stores RAS-ordered voxels) is brought onto the reference
//! order by index permutation; any other grid is a mismatch, reported with both grids.

use std::path::Path;

use nalgebra::{Matrix3, Vector3};

use super::LabelIoError;
use super::colour::parse_hex;
use crate::annotate::LabelMap;
use crate::project::annotations::Label;
use crate::volume::{Geometry, NiftiVoxels, read_nifti, write_nifti};

/// Entries of the index mapping must be this close to −1, 0 or 1, and offsets to whole voxels.
const GRID_TOLERANCE: f64 = 1e-3;
const OFFSET_TOLERANCE: f64 = 1e-2;

/// Writes `map` as a uint8 NIfTI with `geometry`'s affine (LPS → RAS as NIfTI wants).
pub fn write_label_nifti(path: &Path, geometry: &Geometry, map: &LabelMap) -> Result<(), LabelIoError> {
    let per_slice = map.dims()[0] * map.dims()[1];
    let mut dense = vec![0u8; per_slice * map.dims()[2]];
    for z in map.labelled_slices() {
        dense[z * per_slice..(z + 1) * per_slice].copy_from_slice(map.slice(z).expect("labelled"));
    }
    Ok(write_nifti(path, geometry, NiftiVoxels::U8(&dense))?)
}

/// How a NIfTI's voxel order relates to the reference's.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexMapping {
    /// reference index = `permutation` × file index + `offset`.
    pub permutation: Matrix3<i64>,
    pub offset: Vector3<i64>,
}

impl IndexMapping {
    pub fn is_identity(&self) -> bool {
        self.permutation == Matrix3::identity() && self.offset == Vector3::zeros()
    }
}

/// Reads a label NIfTI onto `reference` (read from `reference_path`, for messages).
pub fn read_label_nifti(
    path: &Path,
    reference: &Geometry,
    reference_path: &Path,
) -> Result<(LabelMap, IndexMapping), LabelIoError> {
    let v = read_nifti(path)?;
    let mapping = index_mapping(&v.geometry, reference).map_err(|reason| LabelIoError::Mismatch {
        path: path.to_path_buf(),
        reference: reference_path.to_path_buf(),
        reason,
    })?;
    let d = v.geometry.dims;
    let r = reference.dims;
    let mut map = LabelMap::new(r);
    for idx in 0..v.geometry.voxel_count() {
        let value = v.voxels.value(idx);
        if value == 0.0 {
            continue;
        }
        let (x, y, z) = (idx % d[0], idx / d[0] % d[1], idx / (d[0] * d[1]));
        if !(value.fract() == 0.0 && (1.0..=255.0).contains(&value)) {
            return Err(LabelIoError::invalid(
                path,
                format!("voxel ({x}, {y}, {z}) holds {value}: a label map holds whole numbers 0–255"),
            ));
        }
        let t = mapping.permutation * Vector3::new(x as i64, y as i64, z as i64) + mapping.offset;
        map.slice_mut(t.z as usize)[t.y as usize * r[0] + t.x as usize] = value as u8;
    }
    Ok((map, mapping))
}

/// The index mapping from `file`'s grid onto `reference`'s, when one is a reordering/flip of the
/// other; else why not.
pub fn index_mapping(file: &Geometry, reference: &Geometry) -> Result<IndexMapping, String> {
    let describe = |g: &Geometry| {
        let s = g.spacing();
        format!(
            "{:?} voxels of {:.4}×{:.4}×{:.4} mm at LPS ({:.3}, {:.3}, {:.3})",
            g.dims, s[0], s[1], s[2], g.origin.x, g.origin.y, g.origin.z
        )
    };
    let differ = || format!("the file's grid is {}, the series' {}", describe(file), describe(reference));
    let inv = reference.axes.try_inverse().ok_or("the series' grid is degenerate")?;
    let m = inv * file.axes;
    let t = inv * (file.origin - reference.origin);
    let p = m.map(|v| v.round());
    let signed_permutation = (m - p).amax() < GRID_TOLERANCE
        && (0..3).all(|i| p.row(i).abs().sum() == 1.0 && p.column(i).abs().sum() == 1.0);
    let offset = t.map(|v| v.round());
    if !signed_permutation || (t - offset).amax() > OFFSET_TOLERANCE {
        return Err(differ());
    }
    let permutation = p.map(|v| v as i64);
    let offset = offset.map(|v| v as i64);
    // Every corner of the file's grid must land inside the reference, and the sizes must agree.
    let fd = Vector3::new(file.dims[0] as i64, file.dims[1] as i64, file.dims[2] as i64);
    let size = (permutation.map(|v| v.abs()) * fd).map(|v| v as usize);
    if [size.x, size.y, size.z] != reference.dims {
        return Err(differ());
    }
    for c in 0..8 {
        let corner = Vector3::new(
            if c & 1 == 0 { 0 } else { fd.x - 1 },
            if c & 2 == 0 { 0 } else { fd.y - 1 },
            if c & 4 == 0 { 0 } else { fd.z - 1 },
        );
        let t = permutation * corner + offset;
        if (0..3).any(|i| t[i] < 0 || t[i] >= reference.dims[i] as i64) {
            return Err(differ());
        }
    }
    Ok(IndexMapping { permutation, offset })
}

/// Writes the label table as pretty JSON.
pub fn write_label_table(path: &Path, labels: &[Label]) -> Result<(), LabelIoError> {
    let json = serde_json::to_string_pretty(labels).expect("labels serialise");
    std::fs::write(path, json + "\n").map_err(|source| LabelIoError::Io { path: path.to_path_buf(), source })
}

/// Reads and checks a label table: values 1–255, each once, colours `#rrggbb`.
pub fn read_label_table(path: &Path) -> Result<Vec<Label>, LabelIoError> {
    let text = std::fs::read_to_string(path).map_err(|source| LabelIoError::Io { path: path.to_path_buf(), source })?;
    let labels: Vec<Label> = serde_json::from_str(&text)
        .map_err(|e| LabelIoError::invalid(path, format!("not a label table (a JSON list of labels): {e}")))?;
    let mut seen = [false; 256];
    for l in &labels {
        if l.value == 0 {
            return Err(LabelIoError::invalid(path, format!("label {:?}: value 0 is the background", l.name)));
        }
        if std::mem::replace(&mut seen[usize::from(l.value)], true) {
            return Err(LabelIoError::invalid(path, format!("label value {} is listed twice", l.value)));
        }
        if parse_hex(&l.colour).is_none() {
            return Err(LabelIoError::invalid(
                path,
                format!("label {:?}: colour {:?} is not #rrggbb", l.name, l.colour),
            ));
        }
    }
    Ok(labels)
}

#[cfg(test)]
mod tests {
    use nalgebra::Point3;

    use super::*;

    fn grid() -> Geometry {
        Geometry {
            dims: [4, 3, 2],
            origin: Point3::new(10.0, -20.0, 5.0),
            axes: Matrix3::new(0.0, 0.0, 2.0, -1.5, 0.0, 0.0, 0.0, 1.25, 0.0),
        }
    }

    #[test]
    fn same_grid_with_axes_swapped_and_flipped_maps_by_index_permutation() {
        let r = grid();
        // File axis 0 = reference axis 1 flipped, file axis 1 = reference axis 0, axis 2 the same.
        let ax = Matrix3::from_columns(&[-r.axes.column(1), r.axes.column(0).into(), r.axes.column(2).into()]);
        let file = Geometry { dims: [3, 4, 2], origin: r.origin + r.axes.column(1) * 2.0, axes: ax };
        let m = index_mapping(&file, &r).unwrap();
        assert!(!m.is_identity());
        // File voxel (0, 0, 0) is reference voxel (0, 2, 0); file (2, 3, 1) is reference (3, 0, 1).
        assert_eq!(m.permutation * Vector3::new(0, 0, 0) + m.offset, Vector3::new(0, 2, 0));
        assert_eq!(m.permutation * Vector3::new(2, 3, 1) + m.offset, Vector3::new(3, 0, 1));
        assert!(index_mapping(&r, &r).unwrap().is_identity());
    }

    #[test]
    fn shifted_or_rescaled_grid_is_a_mismatch_naming_both_grids() {
        let r = grid();
        let mut shifted = r.clone();
        shifted.origin.x += 0.3;
        assert!(index_mapping(&shifted, &r).unwrap_err().contains("[4, 3, 2] voxels"));
        let mut bigger = r.clone();
        bigger.dims[2] = 3;
        assert!(index_mapping(&bigger, &r).is_err());
        let mut finer = r.clone();
        finer.axes *= 0.5;
        assert!(index_mapping(&finer, &r).is_err());
    }
}
