//! Ground-truth annotation: label maps on a series' grid (one byte per voxel at most, stored
//! run-length encoded per slice), painting tools, and edits recorded as deltas of the region
//! they changed so that undo memory follows the size of the change.

pub mod agreement;
pub mod contour;
pub mod edit;
pub mod history;
pub mod interpolate;
pub mod io;
pub mod label_table;
pub mod labelmap;
pub mod markup;
pub mod measure;
pub mod morph;
pub mod morph_smooth;
pub mod rle;
pub mod tools;

pub use edit::{Delta, Recorder};
pub use history::{History, Step};
pub use label_table::Label;
pub use labelmap::LabelMap;
pub use markup::{Markup, MarkupKind, Measurement};
