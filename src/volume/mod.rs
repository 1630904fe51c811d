//! Volumes: voxels in modality units plus one `Geometry` mapping index ↔ patient LPS mm.

pub mod camera;
pub mod distance;
pub mod geometry;
pub mod load;
pub mod mpr;
pub mod nifti;
pub mod plan;
pub mod raycast;
pub mod stats;
pub mod transfer;
mod voxels;

pub use geometry::{Geometry, direction_letter};
pub use load::{load_volume, load_volume_cancellable};
pub use mpr::{Oblique, Plane, SliceView};
pub use nifti::{NiftiError, NiftiVoxels, is_nifti_path, read_nifti, write_nifti};
pub use plan::{FrameRef, PlanError, SeriesKind, SeriesPlan, VoxelType, plan_series};
pub use voxels::{DisplayHints, SliceRef, Volume, Voxels};
