//! Header de-identification: PS3.15 Annex E profiles (and the Japanese/Korean guideline
//! profiles) as data, the key vault, and the engine that applies them to data sets and files;
//! burned-in text review and pixel cleaning, for DICOM and for PNG/JPEG/TIFF images (`foreign`).

pub mod action;
pub mod deface;
pub mod deface_queue;
pub mod engine;
pub mod face;
pub mod files;
pub mod foreign;
pub mod iod;
pub mod nontext;
pub mod options;
pub mod pixels;
pub mod profile;
pub mod residuals;
pub mod table;
pub mod text;
pub mod text_queue;
pub mod values;
pub mod vault;

pub use action::{Action, AttrType};
pub use engine::{Change, Deidentifier};
pub use files::{DeidSummary, FileEdits, deidentify_file, deidentify_file_to, deidentify_tree};
pub use options::ProfileOption;
pub use profile::Profile;
pub use vault::Vault;
