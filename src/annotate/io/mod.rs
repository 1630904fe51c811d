//! Label maps in and out of sumi: DICOM Segmentation objects (BINARY, one frame per segment and
//! slice that holds a voxel) and NIfTI label maps with a JSON label table, both on the grid of a
//! reference DICOM series.
//!
//! - `reference`: the reference series (geometry, the source instance of every slice, the patient
//!   and study elements a derived object copies).
//! - `seg_write` / `seg_read`: DICOM SEG; `seg_attrs` holds the element helpers both use and
//!   `colour` the `#rrggbb` ↔ CIELab conversion of Recommended Display CIELab Value.
//! - `nifti`: uint8 NIfTI label maps and the label table JSON, resampled by index permutation
//!   when the file's grid is the reference grid with its axes reordered or flipped.

mod bits;
pub mod colour;
pub mod nifti;
pub mod reference;
mod seg_attrs;
pub mod seg_read;
pub mod seg_write;

use std::path::PathBuf;

pub use nifti::{read_label_nifti, read_label_table, write_label_nifti, write_label_table};
pub use reference::ReferenceSeries;
pub use seg_read::{SegRead, read_seg};
pub use seg_write::{SegOptions, SegWritten, write_seg};

/// What went wrong reading or writing a label map, with the file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum LabelIoError {
    #[error(transparent)]
    Dicom(#[from] crate::dicom::DicomError),
    #[error(transparent)]
    Nifti(#[from] crate::volume::NiftiError),
    #[error("{path}: cannot read or write: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is readable but not what was asked for (wrong SOP class, bad values).
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
    /// The file does not lie on the reference series' grid.
    #[error("{path}: does not match the reference series {reference}: {reason}")]
    Mismatch { path: PathBuf, reference: PathBuf, reason: String },
}

impl LabelIoError {
    pub(crate) fn invalid(path: &std::path::Path, reason: impl Into<String>) -> LabelIoError {
        LabelIoError::Invalid { path: path.to_path_buf(), reason: reason.into() }
    }
}
