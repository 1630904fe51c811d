//! Scanning: find every file under the given paths and read its header in parallel.
//! A bad file is recorded with its reason; it never stops the scan.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::UNIX_EPOCH;

use rayon::prelude::*;
use serde::Serialize;

use super::error::DicomError;
use super::foreign::{read_foreign_header, recognise};
use super::meta::InstanceMeta;
use super::open::open_dicom;

const MEDIA_STORAGE_DIRECTORY: &str = "1.2.840.10008.1.3.10";

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Unreadable {
    pub path: PathBuf,
    pub kind: String,
    pub reason: String,
}

impl From<DicomError> for Unreadable {
    fn from(e: DicomError) -> Self {
        Unreadable { path: e.path().to_path_buf(), kind: e.kind().into(), reason: e.to_string() }
    }
}

#[derive(Debug, Default, Serialize)]
pub struct ScanReport {
    pub files_seen: usize,
    pub instances: Vec<InstanceMeta>,
    pub unreadable: Vec<Unreadable>,
    /// Valid files that are not instances: DICOMDIR, and further copies of a PNG/JPEG/TIFF image
    /// already found (same bytes, same instance; the first path in name order is kept).
    pub skipped: Vec<PathBuf>,
}

/// Lists regular files below `roots` (files given directly are kept), following symlinks
/// with loop detection. Walk errors (permissions, loops) become `Unreadable` entries.
pub fn list_files(roots: &[PathBuf]) -> (Vec<PathBuf>, Vec<Unreadable>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for root in roots {
        // Hidden files and folders (".DS_Store", "._x", ".sumi-demo/") are never images.
        let visible = |e: &walkdir::DirEntry| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.');
        for entry in
            walkdir::WalkDir::new(root).follow_links(true).sort_by_file_name().into_iter().filter_entry(visible)
        {
            match entry {
                Ok(e) if e.file_type().is_file() => files.push(e.into_path()),
                Ok(_) => {}
                Err(err) => problems.push(Unreadable {
                    path: err.path().map(Path::to_path_buf).unwrap_or_else(|| root.clone()),
                    kind: if err.loop_ancestor().is_some() { "symlink_loop" } else { "io" }.into(),
                    reason: err.to_string(),
                }),
            }
        }
    }
    (files, problems)
}

/// Reads the header of every file below `roots` in parallel. `progress(done, total)` is called
/// from worker threads as files finish.
pub fn scan_paths(roots: &[PathBuf], progress: &(dyn Fn(usize, usize) + Sync)) -> ScanReport {
    let mut report = ScanReport::default();
    let _ = scan_paths_chunked::<std::convert::Infallible>(roots, usize::MAX, progress, &mut |chunk| {
        report.files_seen = chunk.files_seen;
        report.instances.extend(chunk.instances);
        report.unreadable.extend(chunk.unreadable);
        report.skipped.extend(chunk.skipped);
        Ok(())
    });
    report
}

/// As `scan_paths`, handing the results to `sink` `chunk` files at a time (in name order), so
/// that a caller that stores them (the import) holds one chunk of headers, not the whole scan.
/// Every chunk's `files_seen` is the total file count; walk problems come with the first chunk.
pub fn scan_paths_chunked<E>(
    roots: &[PathBuf],
    chunk: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
    sink: &mut dyn FnMut(ScanReport) -> Result<(), E>,
) -> Result<(), E> {
    let (files, mut walk_problems) = list_files(roots);
    let total = files.len();
    let done = AtomicUsize::new(0);
    let mut foreign_uids = HashSet::new();
    let mut chunks = files.chunks(chunk.max(1)).peekable();
    if chunks.peek().is_none() {
        let unreadable = std::mem::take(&mut walk_problems);
        return sink(ScanReport { files_seen: 0, unreadable, ..Default::default() });
    }
    for files in chunks {
        let results: Vec<Result<InstanceMeta, Unreadable>> = files
            .par_iter()
            .map(|path| {
                let r = read_header(path);
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                r.map_err(Unreadable::from)
            })
            .collect();
        let mut report = ScanReport { files_seen: total, ..Default::default() };
        report.unreadable = std::mem::take(&mut walk_problems);
        for r in results {
            match r {
                Ok(m) if m.sop_class_uid == MEDIA_STORAGE_DIRECTORY => report.skipped.push(m.path),
                // A foreign image's UID is its content hash: a second copy is the same instance.
                Ok(m) if m.foreign_kind().is_some() && !foreign_uids.insert(m.sop_instance_uid.clone()) => {
                    report.skipped.push(m.path)
                }
                Ok(m) => report.instances.push(m),
                Err(u) => report.unreadable.push(u),
            }
        }
        sink(report)?;
    }
    Ok(())
}

/// A file's modification time in whole seconds since the Unix epoch (0 when unknown), as stored
/// with each instance and compared when a project is opened.
pub(crate) fn mtime_secs(fs_meta: &std::fs::Metadata) -> i64 {
    fs_meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_secs() as i64)
}

/// Reads one file's header into an `InstanceMeta`; a PNG, JPEG or TIFF image becomes a foreign
/// instance (`foreign::read_foreign_header`).
pub fn read_header(path: &Path) -> Result<InstanceMeta, DicomError> {
    let fs_meta = std::fs::metadata(path).map_err(|source| DicomError::Io { path: path.into(), source })?;
    let mtime = mtime_secs(&fs_meta);
    let file = match open_dicom(path, true) {
        Ok(f) => f,
        Err(e) => return recognise(path, e).and_then(|kind| read_foreign_header(path, kind)),
    };
    let meta = InstanceMeta::from_file(&file, fs_meta.len(), mtime);
    if meta.sop_instance_uid.is_empty() && meta.sop_class_uid != MEDIA_STORAGE_DIRECTORY {
        return Err(DicomError::BadAttribute {
            path: path.into(),
            attribute: "SOP Instance UID",
            reason: "absent in both the data set and the file meta".into(),
        });
    }
    Ok(meta)
}
