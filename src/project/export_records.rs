//! What the export needs from the project beyond the reviews: which images the text detector has
//! examined, a supervisor's overrides of pre-flight blockers, and a row per export run. Each change
//! is one transaction with its audit event.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::audit::append_audit;
use super::time::now_rfc3339;
use super::{Project, ProjectError};

/// A supervisor's decision to export despite a pre-flight blocker.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportOverride {
    /// The blocker's item key (see `export::Blocker::item`).
    pub item: String,
    pub supervisor: String,
    pub reason: String,
    pub at: String,
}

/// How an export run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportStatus {
    Running,
    Complete,
    Cancelled,
    Failed,
}

impl ExportStatus {
    fn as_str(self) -> &'static str {
        match self {
            ExportStatus::Running => "running",
            ExportStatus::Complete => "complete",
            ExportStatus::Cancelled => "cancelled",
            ExportStatus::Failed => "failed",
        }
    }
}

impl Project {
    /// Records that the text detector examined these instances (by SOP Instance UID) and how many
    /// boxes it proposed, so that the export's pre-flight can tell "nothing found" from "never looked".
    pub fn mark_text_examined(&mut self, examined: &[(String, usize)]) -> Result<(), ProjectError> {
        let path = self.path.clone();
        let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(wrap)?;
        let now = now_rfc3339();
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO text_scans (instance_ref, at, boxes)
                     SELECT id, ?2, ?3 FROM instances WHERE sop_instance_uid = ?1
                     ON CONFLICT(instance_ref) DO UPDATE SET at = excluded.at, boxes = excluded.boxes",
                )
                .map_err(wrap)?;
            for (uid, boxes) in examined {
                stmt.execute(params![uid, now, *boxes as i64]).map_err(wrap)?;
            }
        }
        tx.commit().map_err(wrap)
    }

    /// Lets the export pass `item` despite its blocker. The reason is mandatory; the override is
    /// audited and replaces an earlier one for the same item.
    pub fn override_export_blocker(&mut self, item: &str, supervisor: &str, reason: &str) -> Result<(), ProjectError> {
        if supervisor.trim().is_empty() || reason.trim().is_empty() {
            return Err(ProjectError::Invalid {
                path: self.path.clone(),
                reason: format!("override of {item}: a supervisor name and a reason are required"),
            });
        }
        let path = self.path.clone();
        let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(wrap)?;
        tx.execute(
            "INSERT INTO export_overrides (item, supervisor, reason, at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(item) DO UPDATE SET supervisor = excluded.supervisor, reason = excluded.reason, at = excluded.at",
            params![item, supervisor, reason, now_rfc3339()],
        )
        .map_err(wrap)?;
        append_audit(&tx, supervisor, "export-override", Some(item), &serde_json::json!({ "reason": reason }))
            .map_err(wrap)?;
        tx.commit().map_err(wrap)
    }

    pub fn export_overrides(&self) -> Result<Vec<ExportOverride>, ProjectError> {
        let mut stmt = self
            .conn
            .prepare("SELECT item, supervisor, reason, at FROM export_overrides ORDER BY id")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(ExportOverride { item: r.get(0)?, supervisor: r.get(1)?, reason: r.get(2)?, at: r.get(3)? })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Starts the record of an export run (audited); returns its id.
    pub fn begin_export(
        &mut self,
        out_dir: &str,
        actor: &str,
        details: &serde_json::Value,
    ) -> Result<i64, ProjectError> {
        let path = self.path.clone();
        let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(wrap)?;
        tx.execute(
            "INSERT INTO exports (out_dir, actor, started_at, status) VALUES (?1, ?2, ?3, 'running')",
            params![out_dir, actor, now_rfc3339()],
        )
        .map_err(wrap)?;
        let id = tx.last_insert_rowid();
        append_audit(&tx, actor, "export-start", Some(&format!("export/{id}")), details).map_err(wrap)?;
        tx.commit().map_err(wrap)?;
        Ok(id)
    }

    /// Closes the record of an export run (audited with the manifest's hash when complete).
    pub fn finish_export(
        &mut self,
        id: i64,
        actor: &str,
        status: ExportStatus,
        files: usize,
        manifest_sha256: Option<&str>,
        detail: &str,
    ) -> Result<(), ProjectError> {
        let path = self.path.clone();
        let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(wrap)?;
        tx.execute(
            "UPDATE exports SET finished_at = ?2, status = ?3, files = ?4, manifest_sha256 = ?5, detail = ?6 WHERE id = ?1",
            params![id, now_rfc3339(), status.as_str(), files as i64, manifest_sha256, detail],
        )
        .map_err(wrap)?;
        let details = serde_json::json!({
            "status": status.as_str(), "files": files, "manifest_sha256": manifest_sha256, "detail": detail,
        });
        append_audit(&tx, actor, "export-finish", Some(&format!("export/{id}")), &details).map_err(wrap)?;
        tx.commit().map_err(wrap)
    }

    /// The status of an export run.
    pub fn export_status(&self, id: i64) -> Result<Option<ExportStatus>, ProjectError> {
        let s: Option<String> = self
            .conn
            .query_row("SELECT status FROM exports WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(s.map(|s| match s.as_str() {
            "complete" => ExportStatus::Complete,
            "cancelled" => ExportStatus::Cancelled,
            "failed" => ExportStatus::Failed,
            _ => ExportStatus::Running,
        }))
    }
}

impl Project {
    /// Stores a signed spot-check report and audits it (operator, decision, the report's signature).
    pub fn record_spot_check(&mut self, report: &crate::spotcheck::SignedReport) -> Result<i64, ProjectError> {
        let path = self.path.clone();
        let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
        let r = &report.report;
        let decision = if r.decision == crate::spotcheck::Verdict::Pass { "pass" } else { "fail" };
        let json = serde_json::to_string(report).expect("report serialises");
        let tx = self.conn.transaction().map_err(wrap)?;
        tx.execute(
            "INSERT INTO spot_checks (export_dir, manifest_sha256, operator, at, decision, report_json, signature)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![r.export_dir, r.manifest_sha256, r.operator, r.signed_at, decision, json, report.signature],
        )
        .map_err(wrap)?;
        let id = tx.last_insert_rowid();
        let details = serde_json::json!({
            "export_dir": r.export_dir, "manifest_sha256": r.manifest_sha256, "decision": decision,
            "sample": r.samples.len(), "population": r.population, "signature": report.signature,
            "failed": r.samples.iter().filter(|s| s.verdict == Some(crate::spotcheck::Verdict::Fail)).count(),
        });
        append_audit(&tx, &r.operator, "spot-check", Some(&format!("spot-check/{id}")), &details).map_err(wrap)?;
        tx.commit().map_err(wrap)?;
        Ok(id)
    }
}
