//! Indexing a scan into the project: one transaction, upserts keyed on UIDs so that importing
//! the same folder twice changes nothing.

use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

use crate::dicom::{InstanceMeta, ScanReport};

use super::audit::append_audit;
use super::time::now_rfc3339;
use super::{Project, ProjectError};

#[derive(Debug, Default, Serialize, PartialEq)]
pub struct ImportSummary {
    pub files: usize,
    pub instances: usize,
    pub new_instances: usize,
    pub updated_instances: usize,
    pub patients: usize,
    pub studies: usize,
    pub series: usize,
    pub unreadable: Vec<crate::dicom::Unreadable>,
    pub skipped: usize,
}

/// Writes the scan into the project and records an `import` audit event.
pub fn import_scan(
    project: &mut Project,
    scan: &ScanReport,
    actor: &str,
    roots: &[String],
) -> Result<ImportSummary, ProjectError> {
    let path = project.path.clone();
    let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
    let tx = project.conn.transaction().map_err(wrap)?;
    let mut summary = ImportSummary::default();
    add_chunk(&tx, scan, &mut summary).map_err(wrap)?;
    finish(tx, &mut summary, actor, roots).map_err(wrap)?;
    Ok(summary)
}

/// Headers read per chunk by [`import_paths`]: memory follows this, not the size of the import.
pub const IMPORT_CHUNK: usize = 2048;

/// Scans `paths` and indexes them chunk by chunk in one transaction (the same result as
/// `scan_paths` + `import_scan`), so that the headers of a 50,000-file import are never all in
/// memory at once. `progress(done, total)` as for `scan_paths`.
pub fn import_paths(
    project: &mut Project,
    paths: &[std::path::PathBuf],
    actor: &str,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<ImportSummary, ProjectError> {
    let path = project.path.clone();
    let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
    let tx = project.conn.transaction().map_err(wrap)?;
    let mut summary = ImportSummary::default();
    crate::dicom::scan_paths_chunked(paths, IMPORT_CHUNK, progress, &mut |chunk| add_chunk(&tx, &chunk, &mut summary))
        .map_err(wrap)?;
    let roots: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    finish(tx, &mut summary, actor, &roots).map_err(wrap)?;
    Ok(summary)
}

fn add_chunk(tx: &Transaction, scan: &ScanReport, summary: &mut ImportSummary) -> rusqlite::Result<()> {
    summary.files = scan.files_seen;
    summary.instances += scan.instances.len();
    summary.unreadable.extend(scan.unreadable.iter().cloned());
    summary.skipped += scan.skipped.len();
    for m in &scan.instances {
        match upsert_instance(tx, m)? {
            Upsert::New => summary.new_instances += 1,
            Upsert::Updated => summary.updated_instances += 1,
            Upsert::Same => {}
        }
    }
    let now = now_rfc3339();
    for u in &scan.unreadable {
        tx.execute(
            "INSERT INTO unreadable_files (path, kind, reason, seen_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(path) DO UPDATE SET kind = excluded.kind, reason = excluded.reason, seen_at = excluded.seen_at",
            params![u.path.display().to_string(), u.kind, u.reason, now],
        )?;
    }
    Ok(())
}

/// Counts, the audit event, commit.
fn finish(tx: Transaction, summary: &mut ImportSummary, actor: &str, roots: &[String]) -> rusqlite::Result<()> {
    let count = |t: &Transaction, table: &str| -> rusqlite::Result<usize> {
        t.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get::<_, i64>(0)).map(|n| n as usize)
    };
    summary.patients = count(&tx, "patients")?;
    summary.studies = count(&tx, "studies")?;
    summary.series = count(&tx, "series")?;
    let details = serde_json::json!({
        "roots": roots,
        "files": summary.files,
        "instances": summary.instances,
        "new_instances": summary.new_instances,
        "updated_instances": summary.updated_instances,
        "unreadable": summary.unreadable.len(),
    });
    append_audit(&tx, actor, "import", None, &details)?;
    tx.commit()
}

enum Upsert {
    New,
    Updated,
    Same,
}

fn upsert_instance(tx: &Transaction, m: &InstanceMeta) -> rusqlite::Result<Upsert> {
    let patient_id = m.patient_id.clone().unwrap_or_default();
    let patient_name = m.patient_name.clone().unwrap_or_default();
    tx.execute(
        "INSERT INTO patients (patient_id, patient_name, birth_date, sex) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(patient_id, patient_name) DO NOTHING",
        params![patient_id, patient_name, m.patient_birth_date, m.patient_sex],
    )?;
    let patient_ref: i64 = tx.query_row(
        "SELECT id FROM patients WHERE patient_id = ?1 AND patient_name = ?2",
        params![patient_id, patient_name],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO studies (patient_ref, study_uid, study_date, study_time, description, accession)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(study_uid) DO NOTHING",
        params![patient_ref, m.study_uid, m.study_date, m.study_time, m.study_description, m.accession_number],
    )?;
    let study_ref: i64 = tx.query_row("SELECT id FROM studies WHERE study_uid = ?1", [&m.study_uid], |r| r.get(0))?;
    tx.execute(
        "INSERT INTO series (study_ref, series_uid, modality, number, description, body_part)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(series_uid) DO NOTHING",
        params![study_ref, m.series_uid, m.modality, m.series_number, m.series_description, m.body_part],
    )?;
    let series_ref: i64 = tx.query_row("SELECT id FROM series WHERE series_uid = ?1", [&m.series_uid], |r| r.get(0))?;
    let path = m.path.display().to_string();
    let existing: Option<(String, i64, i64)> = tx
        .query_row("SELECT path, size, mtime FROM instances WHERE sop_instance_uid = ?1", [&m.sop_instance_uid], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    if existing.as_ref() == Some(&(path.clone(), m.size as i64, m.mtime)) {
        return Ok(Upsert::Same);
    }
    let image = m.image.as_ref();
    let meta_json = serde_json::to_string(m).unwrap_or_else(|_| "{}".into());
    tx.execute(
        "INSERT INTO instances (series_ref, sop_instance_uid, sop_class_uid, path, size, mtime, transfer_syntax,
             instance_number, rows, cols, frames, modality, manufacturer, model_name, meta_json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         ON CONFLICT(sop_instance_uid) DO UPDATE SET path = excluded.path, size = excluded.size,
             mtime = excluded.mtime, transfer_syntax = excluded.transfer_syntax, meta_json = excluded.meta_json",
        params![
            series_ref,
            m.sop_instance_uid,
            m.sop_class_uid,
            path,
            m.size as i64,
            m.mtime,
            m.transfer_syntax,
            m.instance_number,
            image.map(|i| i.rows),
            image.map(|i| i.cols),
            image.map(|i| i.frames),
            m.modality,
            m.manufacturer,
            m.model_name,
            meta_json,
        ],
    )?;
    Ok(if existing.is_some() { Upsert::Updated } else { Upsert::New })
}
