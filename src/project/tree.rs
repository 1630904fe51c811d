//! The browser tree from the project index (patient → study → series with counts), read with one
//! grouped query instead of rescanning the files: what a browser needs to list a large project.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rayon::prelude::*;
use rusqlite::params;
use serde::Serialize;

use super::{Project, ProjectError};
use crate::dicom::scan::{mtime_secs, read_header};
use crate::dicom::{InstanceMeta, ScanReport, Unreadable};

/// One series row of the tree, with its patient and study.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TreeSeries {
    pub patient_id: String,
    pub patient_name: String,
    pub study_uid: String,
    pub study_date: Option<String>,
    pub study_description: Option<String>,
    pub series_uid: String,
    pub modality: Option<String>,
    pub number: Option<i64>,
    pub description: Option<String>,
    pub instances: i64,
    pub frames: i64,
}

impl Project {
    /// Every series that holds an instance, ordered by patient, study date and series number.
    pub fn series_tree(&self) -> Result<Vec<TreeSeries>, ProjectError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT p.patient_id, p.patient_name, st.study_uid, st.study_date, st.description,
                        se.series_uid, se.modality, se.number, se.description,
                        count(i.id), coalesce(sum(coalesce(i.frames, 1)), 0)
                 FROM series se
                 JOIN studies st ON st.id = se.study_ref
                 JOIN patients p ON p.id = st.patient_ref
                 JOIN instances i ON i.series_ref = se.id
                 GROUP BY se.id
                 ORDER BY p.patient_name, p.patient_id, st.study_date, st.study_uid, se.number, se.series_uid",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![], |r| {
                Ok(TreeSeries {
                    patient_id: r.get(0)?,
                    patient_name: r.get(1)?,
                    study_uid: r.get(2)?,
                    study_date: r.get(3)?,
                    study_description: r.get(4)?,
                    series_uid: r.get(5)?,
                    modality: r.get(6)?,
                    number: r.get(7)?,
                    description: r.get(8)?,
                    instances: r.get(9)?,
                    frames: r.get(10)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
}

impl Project {
    /// The instances the project indexes, from the header summaries stored at import (no file is
    /// parsed), ordered by path, as a `ScanReport` the browser can show. Each source file is
    /// checked: one that is gone is reported unreadable, one whose size or time changed since the
    /// import is read again, so that nothing shown is stale. `progress(checked, total)` is called
    /// per file; setting `cancel` stops the check (`None`).
    pub fn indexed_instances(
        &self,
        progress: &(dyn Fn(usize, usize) + Sync),
        cancel: &AtomicBool,
    ) -> Result<Option<ScanReport>, ProjectError> {
        let mut stmt = self
            .conn
            .prepare("SELECT path, size, mtime, meta_json FROM instances ORDER BY path")
            .map_err(|e| self.err(e))?;
        let rows: Vec<(String, i64, i64, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .map_err(|e| self.err(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))?;
        let total = rows.len();
        let done = AtomicUsize::new(0);
        let checked: Vec<Option<Result<InstanceMeta, Unreadable>>> = rows
            .into_par_iter()
            .map(|(path, size, mtime, json)| {
                if cancel.load(Ordering::Relaxed) {
                    return None;
                }
                let r = current_meta(Path::new(&path), size, mtime, &json);
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if n.is_multiple_of(64) || n == total {
                    progress(n, total);
                }
                Some(r)
            })
            .collect();
        if cancel.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let mut report = ScanReport { files_seen: total, ..Default::default() };
        for r in checked.into_iter().flatten() {
            match r {
                Ok(m) => report.instances.push(m),
                Err(u) => report.unreadable.push(u),
            }
        }
        Ok(Some(report))
    }
}

/// The stored header summary of the file at `path` when the file is as it was at import (same
/// size and modification time), else its header read again.
fn current_meta(path: &Path, size: i64, mtime: i64, json: &str) -> Result<InstanceMeta, Unreadable> {
    let unreadable = |kind: &str, reason: String| Unreadable { path: PathBuf::from(path), kind: kind.into(), reason };
    let fs = std::fs::metadata(path).map_err(|e| {
        unreadable("io", format!("{}: indexed in the project but cannot be read now: {e}", path.display()))
    })?;
    if fs.len() as i64 == size
        && mtime_secs(&fs) == mtime
        && let Ok(m) = serde_json::from_str::<InstanceMeta>(json)
    {
        return Ok(m);
    }
    read_header(path).map_err(Unreadable::from)
}
