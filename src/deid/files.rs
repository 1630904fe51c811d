//! De-identifying files: read the whole object, apply the profile, rebuild the file meta group,
//! and write atomically (temp file, then rename). Sources are only ever read. Outputs are named
//! by their new UIDs so that no identifying text reaches a path.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use dicom_dictionary_std::tags;
use dicom_object::meta::FileMetaTableBuilder;
use rayon::prelude::*;
use serde::Serialize;

use crate::dicom::{DicomError, error_chain, open_dicom};

use super::engine::{Change, Deidentifier};

#[derive(Debug, thiserror::Error)]
pub enum DeidFileError {
    #[error(transparent)]
    Read(#[from] DicomError),
    #[error("{path}: {message}")]
    Write { path: PathBuf, message: String },
    #[error("{path}: key vault: {source}")]
    Vault {
        path: PathBuf,
        #[source]
        source: super::vault::VaultError,
    },
}

/// The outcome for one file.
#[derive(Debug, Serialize)]
pub struct FileResult {
    pub source: PathBuf,
    pub output: PathBuf,
    pub changes: Vec<Change>,
}

#[derive(Debug, Serialize, Default)]
pub struct Failure {
    pub path: PathBuf,
    pub kind: String,
    pub reason: String,
}

#[derive(Debug, Serialize, Default)]
pub struct DeidSummary {
    pub profile: String,
    pub files: usize,
    pub written: usize,
    pub failed: Vec<Failure>,
    pub skipped: usize,
    pub seconds: f64,
    pub files_per_s: f64,
    pub jobs: usize,
}

/// De-identifies one file into `out_dir/<new series UID>/<new SOP Instance UID>.dcm`.
///
/// Fast path: when the root Pixel Data element is verifiably the file's last element (little
/// endian, not deflated), only the header is parsed and the Pixel Data bytes are copied verbatim
/// from the source; otherwise the whole object is read and rewritten.
pub fn deidentify_file(source: &Path, out_dir: &Path, deid: &Deidentifier<'_>) -> Result<FileResult, DeidFileError> {
    let fast = pixel_data_tail(source);
    let mut file = open_dicom(source, fast.is_some())?;
    let tail = fast.filter(|_| file.had_file_meta && is_plain_little_endian(file.obj.meta().transfer_syntax()));
    if fast.is_some() && tail.is_none() {
        file = open_dicom(source, false)?;
    }
    let ts = file.obj.meta().transfer_syntax().trim_end_matches('\0').to_string();
    let mut obj = file.obj.into_inner();
    let changes =
        deid.apply(&mut obj).map_err(|source_err| DeidFileError::Vault { path: source.into(), source: source_err })?;
    let uid = |tag| {
        obj.get(tag)
            .and_then(|e| e.to_str().ok())
            .map(|s| s.trim_end_matches(['\0', ' ']).to_string())
            .unwrap_or_default()
    };
    let (sop_class, sop_instance, series) =
        (uid(tags::SOP_CLASS_UID), uid(tags::SOP_INSTANCE_UID), uid(tags::SERIES_INSTANCE_UID));
    let write_err = |message: String| DeidFileError::Write { path: source.into(), message };
    if sop_instance.is_empty() {
        return Err(write_err("no SOP Instance UID after de-identification".into()));
    }
    let meta = FileMetaTableBuilder::new()
        .transfer_syntax(ts)
        .media_storage_sop_class_uid(sop_class)
        .media_storage_sop_instance_uid(sop_instance.clone())
        .implementation_class_uid(crate::IMPLEMENTATION_CLASS_UID)
        .implementation_version_name(crate::IMPLEMENTATION_VERSION_NAME)
        .build()
        .map_err(|e| write_err(error_chain(&e)))?;
    let dir = out_dir.join(if series.is_empty() { "series" } else { series.as_str() });
    std::fs::create_dir_all(&dir).map_err(|e| write_err(format!("cannot create {}: {e}", dir.display())))?;
    let output = dir.join(format!("{sop_instance}.dcm"));
    let tmp = dir.join(format!(".{sop_instance}.dcm.part"));
    obj.with_exact_meta(meta)
        .write_to_file(&tmp)
        .map_err(|e| write_err(format!("cannot write {}: {}", tmp.display(), error_chain(&e))))?;
    if let Some(offset) = tail {
        append_from(source, offset, &tmp)
            .map_err(|e| write_err(format!("cannot copy Pixel Data into {}: {e}", tmp.display())))?;
    }
    std::fs::rename(&tmp, &output).map_err(|e| write_err(format!("cannot rename into {}: {e}", output.display())))?;
    Ok(FileResult { source: source.into(), output, changes })
}

/// De-identifies every file below `input` into `out_dir` with `jobs` worker threads.
pub fn deidentify_tree(
    input: &[PathBuf],
    out_dir: &Path,
    deid: &Deidentifier<'_>,
    jobs: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> DeidSummary {
    let start = Instant::now();
    let (files, walk_errors) = crate::dicom::scan::list_files(input);
    let total = files.len();
    let done = AtomicUsize::new(0);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs.max(1)).build().expect("thread pool");
    let results: Vec<Result<Option<FileResult>, Failure>> = pool.install(|| {
        files
            .par_iter()
            .map(|path| {
                let r = match deidentify_file(path, out_dir, deid) {
                    Ok(r) => Ok(Some(r)),
                    // A DICOMDIR or a non-image object without a SOP instance is not an output.
                    Err(DeidFileError::Read(DicomError::NotDicom { .. })) if is_dicomdir(path) => Ok(None),
                    Err(e) => Err(failure(path, &e)),
                };
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                r
            })
            .collect()
    });
    let mut summary =
        DeidSummary { profile: deid.profile.name.clone(), files: total, jobs: jobs.max(1), ..Default::default() };
    for r in results {
        match r {
            Ok(Some(_)) => summary.written += 1,
            Ok(None) => summary.skipped += 1,
            Err(f) => summary.failed.push(f),
        }
    }
    summary.failed.extend(walk_errors.into_iter().map(|u| Failure { path: u.path, kind: u.kind, reason: u.reason }));
    summary.seconds = start.elapsed().as_secs_f64();
    summary.files_per_s = summary.written as f64 / summary.seconds.max(1e-9);
    summary
}

fn is_plain_little_endian(ts: &str) -> bool {
    // Explicit/implicit VR little endian and every encapsulated (compressed) syntax; not big
    // endian (retired) and not deflate, whose data set is compressed as a whole.
    let ts = ts.trim_end_matches('\0');
    ts != "1.2.840.10008.1.2.2" && ts != "1.2.840.10008.1.2.1.99"
}

/// Byte offset of the root Pixel Data element when it provably ends the file: a native element
/// whose declared length reaches exactly the end, or an encapsulated one whose sequence delimiter
/// is the file's last 8 bytes. `None` means "parse everything".
pub fn pixel_data_tail(path: &Path) -> Option<u64> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    // Pixel Data headers sit in the first bytes of the last element; search a bounded window
    // from the end for native data, and the whole file for encapsulated data (small headers).
    let window = len.min(8 << 20);
    let mut buf = vec![0u8; window as usize];
    f.seek(SeekFrom::Start(len - window)).ok()?;
    f.read_exact(&mut buf).ok()?;
    let base = len - window;
    let tag = [0xE0, 0x7F, 0x10, 0x00];
    let encapsulated_end = buf.ends_with(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
    let mut candidates: Vec<usize> = buf.windows(4).enumerate().filter(|(_, w)| *w == tag).map(|(i, _)| i).collect();
    candidates.reverse();
    for i in candidates {
        let at = |o: usize| buf.get(i + o..i + o + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        let explicit =
            matches!(buf.get(i + 4..i + 6), Some(b"OB") | Some(b"OW")) && buf.get(i + 6..i + 8) == Some(&[0, 0]);
        let (header, declared) = if explicit { (12u64, at(8)?) } else { (8u64, at(4)?) };
        let start = base + i as u64;
        let fits = if declared == u32::MAX { encapsulated_end } else { start + header + u64::from(declared) == len };
        if fits && start >= 132 {
            return Some(start);
        }
    }
    None
}

/// Appends `source[offset..]` to `dest`.
fn append_from(source: &Path, offset: u64, dest: &Path) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom};
    let mut src = std::fs::File::open(source)?;
    src.seek(SeekFrom::Start(offset))?;
    let mut out = std::fs::OpenOptions::new().append(true).open(dest)?;
    std::io::copy(&mut src, &mut out)?;
    Ok(())
}

fn is_dicomdir(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n.eq_ignore_ascii_case("DICOMDIR"))
}

fn failure(path: &Path, e: &DeidFileError) -> Failure {
    let kind = match e {
        DeidFileError::Read(d) => d.kind().to_string(),
        DeidFileError::Write { .. } => "write".into(),
        DeidFileError::Vault { .. } => "vault".into(),
    };
    Failure { path: path.into(), kind, reason: e.to_string() }
}
