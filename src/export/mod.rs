//! Export: what leaves the building. A pre-flight check of every decision the profile and the
//! project require, then the de-identified instances (header profile, reviewed boxes filled,
//! defaced voxels), a manifest with SHA-256 per file and a conformance statement, written
//! atomically into `<pseudonym>/<study>/<series>/<n>.dcm`. Sources are only ever read.

mod conformance;
mod deface;
mod labels;
mod layout;
mod manifest;
mod preflight;
mod run;
mod select;
mod write;

pub use conformance::conformance_statement;
pub use deface::{DefaceState, InstanceDeface, approved_masks as approved_deface_masks};
pub use layout::folder_name;
pub use manifest::{Decision, MANIFEST_FORMAT, Manifest, ManifestFile, sha256_file};
pub use preflight::{
    Blocker, BlockerKind, DEFACE_REQUIRED_SETTING, PROFILE_SETTING, Preflight, defacing_required, preflight,
    project_profile,
};
pub use run::{
    CONFORMANCE_TXT, ExportError, ExportOptions, ExportSummary, MANIFEST_CSV, MANIFEST_JSON, export, source_hashes,
};
pub use select::{Item, Selection, TextState, selected_items};

/// The project's key vault when none is named: beside the project file, `<project>.vault`.
pub fn default_vault_path(project: &std::path::Path) -> std::path::PathBuf {
    let mut name = project.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".vault");
    project.with_file_name(name)
}
