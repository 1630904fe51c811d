//! The export run: pre-flight, then every instance written into a hidden temporary folder beside
//! the destination, the conformance statement and the manifest last, and one rename into place.
//! A crash, a failure or a cancel leaves either nothing at the destination or a complete export.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::deid::{Deidentifier, Vault};
use crate::project::{ExportStatus, Project, ProjectError, audit_head_hash, now_rfc3339};

use super::conformance::conformance_statement;
use super::layout::assign_slots;
use super::manifest::{MANIFEST_FORMAT, Manifest, ManifestFile, ProfileInfo, sha256_bytes, sha256_file};
use super::preflight::{Preflight, preflight, project_profile};
use super::select::{Selection, selected_items};
use super::write::Writer;

pub struct ExportOptions<'a> {
    pub selection: Selection,
    /// Pseudonyms, date offsets and the UID map: the project's key vault.
    pub vault: &'a Vault,
    pub actor: String,
    /// Include annotation layers (their approval is then checked).
    pub include_labels: bool,
    pub jobs: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportSummary {
    pub export_id: i64,
    pub out_dir: PathBuf,
    pub profile: String,
    pub instances: usize,
    /// Every file written, the manifest files included.
    pub files: usize,
    pub bytes: u64,
    pub seconds: f64,
    pub files_per_s: f64,
    pub manifest_sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error("export refused: {} blocker(s) without an override ({})", .0.standing().count(), summary(.0))]
    Blocked(Box<Preflight>),
    #[error("{path}: {reason}")]
    Output { path: PathBuf, reason: String },
    #[error("profile: {0}")]
    Profile(String),
    #[error("export stopped: {} file(s) could not be written, nothing was exported; first: {}", .0.len(), .0[0])]
    Files(Vec<String>),
    #[error("export cancelled; nothing was exported")]
    Cancelled,
}

fn summary(p: &Preflight) -> String {
    p.counts().iter().map(|(k, n)| format!("{k}: {n}")).collect::<Vec<_>>().join(", ")
}

pub const MANIFEST_JSON: &str = "manifest.json";
pub const MANIFEST_CSV: &str = "manifest.csv";
pub const CONFORMANCE_TXT: &str = "conformance-statement.txt";

/// The destination must be absent or an empty folder; returns the temporary folder to fill.
fn prepare(out: &Path) -> Result<PathBuf, ExportError> {
    let bad = |reason: String| ExportError::Output { path: out.into(), reason };
    if out.exists() {
        let empty = std::fs::read_dir(out).map(|mut d| d.next().is_none()).unwrap_or(false);
        if !out.is_dir() || !empty {
            return Err(bad("exists and is not an empty folder; choose a new one".into()));
        }
    }
    let name = out.file_name().ok_or_else(|| bad("has no folder name".into()))?.to_string_lossy().into_owned();
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| bad(format!("cannot create the parent folder: {e}")))?;
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let tmp = parent.join(format!(".{name}.sumi-partial-{}-{nanos}", std::process::id()));
    std::fs::create_dir(&tmp).map_err(|e| bad(format!("cannot create {}: {e}", tmp.display())))?;
    Ok(tmp)
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Exports the selection into `out` (created; must not exist or be empty). `progress(done, total)`
/// is called per instance; setting `cancel` stops the run and removes what it wrote.
pub fn export(
    project: &mut Project,
    out: &Path,
    opts: &ExportOptions<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
    cancel: &AtomicBool,
) -> Result<ExportSummary, ExportError> {
    let start = Instant::now();
    let check = preflight(project, &opts.selection, opts.include_labels)?;
    if !check.ready() {
        return Err(ExportError::Blocked(Box::new(check)));
    }
    let profile = project_profile(project)?.map_err(ExportError::Profile)?;
    let deid = Deidentifier::new(&profile, opts.vault).map_err(ExportError::Profile)?;
    let items = selected_items(project, &opts.selection)?;
    let tmp = prepare(out)?;
    let details = serde_json::json!({
        "out": out.display().to_string(), "profile": profile.name, "instances": items.len(),
        "studies": opts.selection.studies, "series": opts.selection.series, "overrides": check.blockers.len(),
    });
    let export_id = project.begin_export(&out.display().to_string(), &opts.actor, &details)?;
    let result = (|| {
        let slots = assign_slots(&items);
        let deface = super::deface::approved_masks(project, &items).map_err(|e| ExportError::Files(vec![e]))?;
        let writer = Writer { root: &tmp, deid: &deid, foreign: project.foreign_image_output()?, deface: &deface };
        let done = AtomicUsize::new(0);
        // The first failure stops the rest: a full disk or a lost folder fails every later file
        // too, and nothing of a failed export is kept anyway.
        let failed = AtomicBool::new(false);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(opts.jobs.max(1)).build().expect("thread pool");
        let written: Vec<Result<ManifestFile, String>> = pool.install(|| {
            items
                .par_iter()
                .map(|item| {
                    if cancel.load(Ordering::Relaxed) || failed.load(Ordering::Relaxed) {
                        return Err(String::new());
                    }
                    let r = writer.write(item, slots[&item.instance_id]);
                    if r.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    progress(done.fetch_add(1, Ordering::Relaxed) + 1, items.len());
                    r
                })
                .collect()
        });
        if cancel.load(Ordering::Relaxed) {
            return Err(ExportError::Cancelled);
        }
        let failures: Vec<String> =
            written.iter().filter_map(|r| r.as_ref().err()).filter(|e| !e.is_empty()).cloned().collect();
        if !failures.is_empty() {
            return Err(ExportError::Files(failures));
        }
        let mut files: Vec<ManifestFile> = written.into_iter().map(|r| r.expect("failures checked")).collect();
        if opts.include_labels {
            files.extend(
                super::labels::write_layers(project, &items, &slots, &writer)
                    .map_err(|e| ExportError::Files(vec![e]))?,
            );
        }
        let software = format!("sumi {}", env!("CARGO_PKG_VERSION"));
        let notes = pixel_notes(&files);
        let statement = conformance_statement(&profile, &software, &notes).map_err(ExportError::Profile)?;
        let statement_path = tmp.join(CONFORMANCE_TXT);
        write_synced(&statement_path, statement.as_bytes())
            .map_err(|e| ExportError::Output { path: statement_path.clone(), reason: e.to_string() })?;
        files.push(ManifestFile {
            path: CONFORMANCE_TXT.into(),
            sha256: sha256_bytes(statement.as_bytes()),
            bytes: statement.len() as u64,
            kind: "text".into(),
            source_instance: None,
            source_series: None,
            source_study: None,
            pixels: String::new(),
            text_review: None,
            defacing: None,
            annotation: None,
        });
        let mut studies: Vec<i64> = items.iter().map(|i| i.study_id).collect();
        studies.sort_unstable();
        studies.dedup();
        let manifest = Manifest {
            format: MANIFEST_FORMAT,
            software,
            export_id,
            created_at: now_rfc3339(),
            operator: opts.actor.clone(),
            profile: ProfileInfo {
                name: profile.name.clone(),
                version: profile.version.clone(),
                options: profile.options.iter().map(kebab).collect(),
                requires: profile.requires.iter().map(kebab).collect(),
            },
            studies,
            files,
            overrides: check.blockers.iter().filter_map(|b| b.overridden.clone()).collect(),
            audit_head: audit_head_hash(&project.conn).map_err(|e| project.err(e))?,
            conformance_statement: CONFORMANCE_TXT.into(),
        };
        let json = manifest.to_json();
        for (name, text) in [(MANIFEST_CSV, manifest.to_csv()), (MANIFEST_JSON, json.clone())] {
            let p = tmp.join(name);
            write_synced(&p, text.as_bytes()).map_err(|e| ExportError::Output { path: p, reason: e.to_string() })?;
        }
        let bytes = manifest.files.iter().map(|f| f.bytes).sum::<u64>() + json.len() as u64;
        if out.exists() {
            std::fs::remove_dir(out).map_err(|e| ExportError::Output { path: out.into(), reason: e.to_string() })?;
        }
        std::fs::rename(&tmp, out).map_err(|e| ExportError::Output {
            path: out.into(),
            reason: format!("cannot move the export into place: {e}"),
        })?;
        Ok((manifest.files.len() + 2, bytes, sha256_bytes(json.as_bytes())))
    })();
    match result {
        Ok((files, bytes, manifest_sha256)) => {
            project.finish_export(export_id, &opts.actor, ExportStatus::Complete, files, Some(&manifest_sha256), "")?;
            let seconds = start.elapsed().as_secs_f64();
            Ok(ExportSummary {
                export_id,
                out_dir: out.into(),
                profile: format!("{} v{}", profile.name, profile.version),
                instances: items.len(),
                files,
                bytes,
                seconds,
                files_per_s: items.len() as f64 / seconds.max(1e-9),
                manifest_sha256,
            })
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            let status =
                if matches!(e, ExportError::Cancelled) { ExportStatus::Cancelled } else { ExportStatus::Failed };
            project.finish_export(export_id, &opts.actor, status, 0, None, &e.to_string())?;
            Err(e)
        }
    }
}

fn kebab<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

/// What the statement says about pixels, from what this export did.
fn pixel_notes(files: &[ManifestFile]) -> Vec<String> {
    let count = |p: &str| files.iter().filter(|f| f.pixels == p).count();
    vec![
        format!(
            "Burned-in text: {} image(s) had reviewer-approved boxes filled in the stored pixel values (PS3.15 Clean Pixel Data); encapsulated data so cleaned is written as native Explicit VR Little Endian, never recompressed lossily.",
            count("boxes filled")
        ),
        format!("{} image(s) carried no text to mask; their pixel data is copied unchanged.", count("copied")),
        format!("{} PNG/JPEG/TIFF image(s) were re-encoded without their metadata.", count("re-encoded")),
        format!(
            "Defacing (PS3.15 Clean Recognizable Visual Features): {} image(s) had the reviewer-approved face region set to air (CT −1000 HU, MR 0) in the stored values; Recognizable Visual Features (0028,0302) is NO on them.",
            count("defaced")
        ),
        "Burned In Annotation (0028,0301) is NO on every image whose text review was approved.".into(),
    ]
}

/// Hashes every source file of the selection (for before/after comparisons: sources are never touched).
pub fn source_hashes(project: &Project, selection: &Selection) -> Result<Vec<(PathBuf, String)>, ExportError> {
    let items = selected_items(project, selection)?;
    items
        .par_iter()
        .map(|i| {
            sha256_file(&i.meta.path)
                .map(|(h, _)| (i.meta.path.clone(), h))
                .map_err(|e| ExportError::Output { path: i.meta.path.clone(), reason: e.to_string() })
        })
        .collect()
}
