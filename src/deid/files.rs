//! De-identifying files: read the whole object, apply the profile, rebuild the file meta group,
//! and write atomically (temp file, then rename). Sources are only ever read. Outputs are named
//! by their new UIDs so that no identifying text reaches a path.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use dicom_dictionary_std::tags;
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::{DefaultDicomObject, InMemDicomObject};
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

/// A change to a whole object's stored pixels; the error says why it failed.
pub type PixelEdit<'a> = dyn Fn(&mut DefaultDicomObject) -> Result<(), String> + Sync + 'a;

/// What an export changes besides the profile.
#[derive(Clone, Copy, Default)]
pub struct FileEdits<'a> {
    /// Changes to the stored pixels (reviewed text boxes, defacing), made on the whole object
    /// before the profile runs; the Pixel Data copy-through is then not used.
    pub pixels: Option<&'a PixelEdit<'a>>,
    /// Header changes after the profile (e.g. Burned In Annotation after a review).
    pub header: Option<&'a (dyn Fn(&mut InMemDicomObject) + Sync)>,
}

/// De-identifies one file into `out_dir/<new series UID>/<new SOP Instance UID>.dcm`.
pub fn deidentify_file(source: &Path, out_dir: &Path, deid: &Deidentifier<'_>) -> Result<FileResult, DeidFileError> {
    let place = |obj: &InMemDicomObject| {
        let series = uid_of(obj, tags::SERIES_INSTANCE_UID);
        let sop_instance = uid_of(obj, tags::SOP_INSTANCE_UID);
        out_dir.join(if series.is_empty() { "series" } else { series.as_str() }).join(format!("{sop_instance}.dcm"))
    };
    deidentify_file_to(source, deid, FileEdits::default(), &place)
}

fn uid_of(obj: &InMemDicomObject, tag: dicom_core::Tag) -> String {
    obj.get(tag).and_then(|e| e.to_str().ok()).map(|s| s.trim_end_matches(['\0', ' ']).to_string()).unwrap_or_default()
}

/// De-identifies one file with `edits` and writes it where `place` says (given the de-identified
/// object; the folder is created), atomically: a temporary file renamed into place.
///
/// Fast path: when there are no pixel edits and the root Pixel Data element is verifiably the
/// file's last element (little endian, not deflated), only the header is parsed and the Pixel
/// Data bytes are copied verbatim from the source; otherwise the whole object is read and rewritten.
pub fn deidentify_file_to(
    source: &Path,
    deid: &Deidentifier<'_>,
    edits: FileEdits<'_>,
    place: &dyn Fn(&InMemDicomObject) -> PathBuf,
) -> Result<FileResult, DeidFileError> {
    let mut file = open_dicom(source, edits.pixels.is_none())?;
    // One handle on the source serves the tail check and the Pixel Data copy.
    let mut src = std::fs::File::open(source).map_err(|e| DicomError::Io { path: source.into(), source: e })?;
    let tail =
        if edits.pixels.is_none() && file.had_file_meta && is_plain_little_endian(file.obj.meta().transfer_syntax()) {
            locate_tail(&file, &mut src)
        } else {
            None
        };
    if edits.pixels.is_none() && tail.is_none() && file.obj.get(tags::PIXEL_DATA).is_none() {
        file = open_dicom(source, false)?;
    }
    if let Some(edit) = edits.pixels {
        edit(&mut file.obj).map_err(|message| DeidFileError::Write { path: source.into(), message })?;
    }
    let ts = file.obj.meta().transfer_syntax().trim_end_matches('\0').to_string();
    let mut obj = file.obj.into_inner();
    let changes =
        deid.apply(&mut obj).map_err(|source_err| DeidFileError::Vault { path: source.into(), source: source_err })?;
    if let Some(edit) = edits.header {
        edit(&mut obj);
    }
    let (sop_class, sop_instance) = (uid_of(&obj, tags::SOP_CLASS_UID), uid_of(&obj, tags::SOP_INSTANCE_UID));
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
    let output = place(&obj);
    let dir = output.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| write_err(format!("cannot create {}: {e}", dir.display())))?;
    let tmp = dir.join(format!(".{sop_instance}.dcm.part"));
    let mut out =
        std::fs::File::create(&tmp).map_err(|e| write_err(format!("cannot create {}: {e}", tmp.display())))?;
    obj.with_exact_meta(meta)
        .write_all(&mut out)
        .map_err(|e| write_err(format!("cannot write {}: {}", tmp.display(), error_chain(&e))))?;
    if let Some(offset) = tail {
        // Kernel-side copy (copy_file_range) of the untouched Pixel Data element.
        use std::io::{Seek, SeekFrom};
        src.seek(SeekFrom::Start(offset))
            .and_then(|_| std::io::copy(&mut src, &mut out))
            .map_err(|e| write_err(format!("cannot copy Pixel Data into {}: {e}", tmp.display())))?;
    }
    drop(out);
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

/// The Pixel Data offset for the copy-through path: O(1) for native data from the header's
/// geometry, a bounded scan for encapsulated data.
fn locate_tail(file: &crate::dicom::DicomFile, src: &mut std::fs::File) -> Option<u64> {
    let ts = file.obj.meta().transfer_syntax().trim_end_matches('\0');
    if ts == "1.2.840.10008.1.2" || ts == "1.2.840.10008.1.2.1" {
        let image = crate::dicom::ImageMeta::from_obj(&file.obj)?;
        crate::dicom::tail::native_pixel_tail_in(src, image.native_pixel_bytes()).map(|t| t.element_offset)
    } else {
        crate::dicom::tail::pixel_data_tail(&file.path)
    }
}

fn is_plain_little_endian(ts: &str) -> bool {
    // Explicit/implicit VR little endian and every encapsulated (compressed) syntax; not big
    // endian (retired) and not deflate, whose data set is compressed as a whole.
    let ts = ts.trim_end_matches('\0');
    ts != "1.2.840.10008.1.2.2" && ts != "1.2.840.10008.1.2.1.99"
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
