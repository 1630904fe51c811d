//! Bulk decisions for scripted pipelines: approve every pending proposal as it stands, as one
//! transaction recorded in the audit log as one bulk decision (who, why, what).

use rusqlite::params;
use serde::Serialize;

use super::audit::append_audit;
use super::time::now_rfc3339;
use super::{Project, ProjectError};

#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct BulkApproval {
    /// Text reviews approved with their proposed boxes.
    pub text_reviews: usize,
    /// Boxes they carry (filled on export).
    pub boxes: usize,
    /// Defacing proposals approved.
    pub defacing: usize,
}

impl Project {
    /// Approves every pending text proposal (flagged ones stay for a person) with its boxes as they
    /// stand. The reason is mandatory.
    pub fn approve_all_pending(&mut self, reviewer: &str, reason: &str) -> Result<BulkApproval, ProjectError> {
        if reviewer.trim().is_empty() || reason.trim().is_empty() {
            return Err(ProjectError::Invalid {
                path: self.path.clone(),
                reason: "bulk approval needs a reviewer name and a reason".into(),
            });
        }
        let path = self.path.clone();
        let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(wrap)?;
        let pending: Vec<(i64, String, String)> = {
            let mut stmt = tx
                .prepare(
                    "SELECT r.id, i.sop_instance_uid, r.boxes_json FROM text_reviews r
                     JOIN instances i ON i.id = r.instance_ref WHERE r.status = 'pending' ORDER BY r.id",
                )
                .map_err(wrap)?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(wrap)?;
            rows.collect::<Result<_, _>>().map_err(wrap)?
        };
        let now = now_rfc3339();
        let mut summary = BulkApproval::default();
        let comment = format!("bulk approval: {reason}");
        for (id, _, boxes) in &pending {
            tx.execute(
                "UPDATE text_reviews SET status = 'approved', reviewer = ?2, decided_at = ?3, comment = ?4 WHERE id = ?1",
                params![id, reviewer, now, comment],
            )
            .map_err(wrap)?;
            summary.boxes += serde_json::from_str::<Vec<serde_json::Value>>(boxes).map(|b| b.len()).unwrap_or(0);
        }
        summary.text_reviews = pending.len();
        let details = serde_json::json!({
            "reason": reason,
            "text_reviews": pending.iter().map(|(_, uid, _)| uid).collect::<Vec<_>>(),
            "boxes": summary.boxes,
        });
        append_audit(&tx, reviewer, "bulk-approve", None, &details).map_err(wrap)?;
        tx.commit().map_err(wrap)?;
        Ok(summary)
    }
}
