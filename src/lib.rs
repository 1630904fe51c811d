//! sumi: a medical-image workstation. The core (everything but `render` and `ui`) has no GUI or
//! GPU dependency and builds with `--no-default-features`.

pub mod annotate;
pub mod deid;
pub mod demo;
pub mod dicom;
pub mod export;
pub mod logging;
pub mod project;
pub mod spotcheck;
pub mod user_settings;
pub mod verify;
pub mod volume;

#[cfg(feature = "gui")]
pub mod render;
#[cfg(feature = "gui")]
pub mod ui;

/// Implementation Class UID written into file meta groups sumi creates (2.25 UUID-derived root).
pub const IMPLEMENTATION_CLASS_UID: &str = "2.25.190341946152716213316367185428744381793";
pub const IMPLEMENTATION_VERSION_NAME: &str = concat!("SUMI_", env!("CARGO_PKG_VERSION"));
