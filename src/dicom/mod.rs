//! Reading DICOM: open files (header only or whole), scan folders in parallel, group into
//! patients/studies/series, and decode pixel data into modality values. PNG, JPEG and TIFF
//! images found alongside are read into the same types (`foreign`).

pub(crate) mod attrs;
pub mod decode;
mod error;
pub mod foreign;
pub mod frames;
pub mod group;
mod jpeg_check;
mod lengths;
pub mod meta;
mod open;
pub(crate) mod palette;
mod rle_check;
pub mod scan;
pub mod tail;

pub use decode::{DecodedFrames, Photometric, decode_file};
pub use error::{DicomError, error_chain};
pub use foreign::ForeignKind;
pub use group::{PatientNode, SeriesNode, StudyNode, group_instances};
pub use meta::{ImageMeta, InstanceMeta};
pub use open::{DicomFile, open_dicom};
pub use scan::{ScanReport, Unreadable, scan_paths, scan_paths_chunked};
