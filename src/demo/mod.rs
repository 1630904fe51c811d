//! The bundled demo study: generated on first run from the recipe in assets/.
//!
//! One study, one fake patient, three series: a head CT phantom (200 axial slices), a
//! single-frame RGB ultrasound image and an ultrasound cine, both with burned-in text.
//! Every header carries fake PHI (Japanese person names, private tags, nested sequences)
//! for de-identification testing; `burned-in-truth.json` records where the burned-in
//! text is. The output is byte-for-byte deterministic.

pub mod glyphs;
pub mod phantom;
pub mod recipe;
pub mod scale;
mod ultrasound;
mod write;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use phantom::CtLandmarks;
use recipe::Recipe;
use write::SeriesInfo;

/// Burned-in text ground truth, in a hidden folder so that scans of the study skip it.
pub const TRUTH_FILE: &str = ".sumi-demo/burned-in-truth.json";
/// Written last; its presence (with all listed files) marks a complete study.
pub const MANIFEST_FILE: &str = ".sumi-demo/demo-study.json";

/// What [`write_demo_study`] produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    pub dir: PathBuf,
    /// Number of DICOM files written.
    pub files: usize,
    /// Series descriptions, in series-number order.
    pub series: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot parse the demo recipe: {0}")]
    RecipeParse(#[from] toml::de::Error),
    #[error("invalid demo recipe: {0}")]
    RecipeInvalid(String),
    #[error("I/O error on {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("cannot build the file meta group for {path}: {source}")]
    Meta { path: PathBuf, source: Box<dicom_object::WithMetaError> },
    #[error("cannot write DICOM file {path}: {source}")]
    Dicom { path: PathBuf, source: Box<dicom_object::WriteError> },
    #[error("cannot write JSON file {path}: {source}")]
    Json { path: PathBuf, source: serde_json::Error },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> DemoError + '_ {
    move |source| DemoError::Io { path: path.to_owned(), source }
}

/// One burned-in string in one ultrasound file (an entry of `burned-in-truth.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BurnedInText {
    /// Series description.
    pub series: String,
    pub series_instance_uid: String,
    pub sop_instance_uid: String,
    /// File name relative to the study folder.
    pub file: String,
    /// First and last frame showing the text, inclusive and 0-based.
    pub frames: [u32; 2],
    /// What the text is: `patient_name`, `patient_id`, `study_datetime`, `institution`,
    /// `technical`, `depth_scale` or `frame_counter`.
    pub field: String,
    pub text: String,
    /// Whether the text identifies the patient or the visit.
    pub phi: bool,
    /// `[x, y, w, h]` in pixels: the glyph cells of the string.
    #[serde(rename = "box")]
    pub bbox: [u32; 4],
    /// Pixel value of the text (one sample for MONOCHROME2, three for RGB).
    pub color: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BurnedInTruth {
    pub version: u32,
    pub entries: Vec<BurnedInText>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    version: u32,
    series: Vec<String>,
    files: Vec<String>,
}

fn load_recipe() -> Result<Recipe, DemoError> {
    let r = Recipe::embedded()?;
    r.validate().map_err(DemoError::RecipeInvalid)?;
    Ok(r)
}

/// Landmark voxels of the CT phantom as written by [`write_demo_study`].
pub fn ct_landmarks() -> Result<CtLandmarks, DemoError> {
    Ok(phantom::landmarks(&load_recipe()?.ct))
}

/// File name for an instance: a bijective scramble of (series, instance) so that name
/// order is unrelated to slice order and loaders must sort by geometry.
fn file_name(series: u32, instance: u32) -> String {
    let key = (series << 16) | instance;
    format!("IM_{:08X}.dcm", key.wrapping_mul(0x9E37_79B1) ^ 0x5BD1_E995)
}

/// Writes the whole demo study into `out_dir` (created if missing). Deterministic: same
/// bytes each run (fixed UIDs derived from a fixed root under 2.25, no clock, seeded noise).
pub fn write_demo_study(out_dir: &Path) -> Result<DemoSummary, DemoError> {
    let r = load_recipe()?;
    fs::create_dir_all(out_dir).map_err(io_err(out_dir))?;
    let (ct, us) = rayon::join(|| write_ct(&r, out_dir), || write_us(&r, out_dir));
    let mut files = ct?;
    let (us_files, truth) = us?;
    files.extend(us_files);

    let truth_path = out_dir.join(TRUTH_FILE);
    let truth = BurnedInTruth { version: r.version, entries: truth };
    write_json(&truth_path, &truth)?;

    let series = vec![r.ct.description.clone(), r.us.description.clone(), r.cine.description.clone()];
    let manifest = Manifest { version: r.version, series: series.clone(), files };
    write_json(&out_dir.join(MANIFEST_FILE), &manifest)?;
    Ok(DemoSummary { dir: out_dir.to_owned(), files: manifest.files.len(), series })
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), DemoError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io_err(parent))?;
    }
    let mut bytes =
        serde_json::to_vec_pretty(value).map_err(|source| DemoError::Json { path: path.to_owned(), source })?;
    bytes.push(b'\n');
    fs::write(path, bytes).map_err(io_err(path))
}

fn write_ct(r: &Recipe, dir: &Path) -> Result<Vec<String>, DemoError> {
    let ct = &r.ct;
    let grid = phantom::Grid::new(ct);
    let info = SeriesInfo {
        number: ct.series_number,
        description: &ct.description,
        modality: "CT",
        sop_class: dicom_dictionary_std::uids::CT_IMAGE_STORAGE,
        time: &ct.series_time,
        station: &ct.station,
        model: &ct.model,
        serial: &ct.serial,
        body_part: "HEAD",
    };
    (0..grid.slices)
        .into_par_iter()
        .map(|k| {
            let instance = k as u32 + 1;
            let name = file_name(ct.series_number, instance);
            let mut elements = write::common(r, &info, instance);
            elements.extend(write::ct_slice(r, &grid, k, phantom::slice_bytes(&grid, ct, k)));
            write::write_file(elements, &dir.join(&name))?;
            Ok(name)
        })
        .collect()
}

fn write_us(r: &Recipe, dir: &Path) -> Result<(Vec<String>, Vec<BurnedInText>), DemoError> {
    let uids = write::Uids(&r.uid_root);
    let mut names = Vec::new();
    let mut truth = Vec::new();
    let still = ultrasound::us_image(r);
    let cine = ultrasound::cine(r);
    let series = [
        (&r.us.description, r.us.series_number, &r.us.series_time, still, (r.us.rows, r.us.columns), 1),
        (
            &r.cine.description,
            r.cine.series_number,
            &r.cine.series_time,
            cine,
            (r.cine.rows, r.cine.columns),
            r.cine.frames,
        ),
    ];
    for (description, number, time, img, size, frames) in series {
        let info = SeriesInfo {
            number,
            description,
            modality: "US",
            sop_class: if frames > 1 {
                dicom_dictionary_std::uids::ULTRASOUND_MULTI_FRAME_IMAGE_STORAGE
            } else {
                dicom_dictionary_std::uids::ULTRASOUND_IMAGE_STORAGE
            },
            time,
            station: &r.us.station,
            model: &r.us.model,
            serial: &r.us.serial,
            body_part: "ABDOMEN",
        };
        let name = file_name(number, 1);
        truth.extend(img.texts.iter().map(|t| BurnedInText {
            series: description.clone(),
            series_instance_uid: uids.series(number),
            sop_instance_uid: uids.instance(number, 1),
            file: name.clone(),
            frames: t.frames,
            field: t.field.to_owned(),
            text: t.text.clone(),
            phi: t.phi,
            bbox: t.bbox,
            color: t.color.clone(),
        }));
        let mut elements = write::common(r, &info, 1);
        elements.extend(write::us_image(r, &img.fan, size, frames == 1, frames, img.pixels));
        write::write_file(elements, &dir.join(&name))?;
        names.push(name);
    }
    Ok((names, truth))
}

fn is_complete(dir: &Path, version: u32) -> bool {
    let Ok(bytes) = fs::read(dir.join(MANIFEST_FILE)) else { return false };
    let Ok(m) = serde_json::from_slice::<Manifest>(&bytes) else { return false };
    m.version == version && dir.join(TRUTH_FILE).is_file() && m.files.iter().all(|f| dir.join(f).is_file())
}

/// Removes temp dirs left by crashed generations (older than an hour, so a concurrent
/// generator in another process is not disturbed). Best effort.
fn remove_stale_temps(data_dir: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(data_dir) else { return };
    let cutoff = SystemTime::now() - Duration::from_secs(3600);
    for e in entries.flatten() {
        let stale = e.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < cutoff);
        if e.file_name().to_string_lossy().starts_with(prefix) && stale {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// `<data_dir>/demo-study-v<recipe version>`; generates it if missing or incomplete
/// (into a temp sibling dir that is then renamed, so a crash never leaves a half study
/// looking complete). Returns the study folder.
pub fn ensure_demo_study(data_dir: &Path) -> Result<PathBuf, DemoError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let version = load_recipe()?.version;
    let name = format!("demo-study-v{version}");
    let dir = data_dir.join(&name);
    if is_complete(&dir, version) {
        return Ok(dir);
    }
    fs::create_dir_all(data_dir).map_err(io_err(data_dir))?;
    let prefix = format!(".{name}.tmp-");
    remove_stale_temps(data_dir, &prefix);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = data_dir.join(format!("{prefix}{}-{n}", std::process::id()));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(io_err(&tmp))?;
    }
    let result = write_demo_study(&tmp).and_then(|_| {
        // Another process may have finished first; otherwise clear an incomplete leftover.
        if is_complete(&dir, version) {
            return Ok(());
        }
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(io_err(&dir))?;
        }
        match fs::rename(&tmp, &dir) {
            Err(_) if is_complete(&dir, version) => Ok(()),
            other => other.map_err(io_err(&dir)),
        }
    });
    if tmp.exists() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result.map(|()| dir)
}
