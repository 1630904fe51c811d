//! Burned-in text review records: the boxes proposed for an instance (detector, template),
//! the reviewer's decision, and device templates learnt from approvals. Every decision is one
//! transaction with its audit event (who, when, boxes before and after).

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::audit::append_audit;
use super::time::now_rfc3339;
use super::{Project, ProjectError};

/// A box as stored: pixel rectangle, frames, and why it was proposed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewBox {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    pub first_frame: u32,
    pub last_frame: u32,
    pub score: f32,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReviewStatus {
    Pending,
    Approved,
    Flagged,
}

impl ReviewStatus {
    fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Pending => "pending",
            ReviewStatus::Approved => "approved",
            ReviewStatus::Flagged => "flagged",
        }
    }

    fn parse(s: &str) -> ReviewStatus {
        match s {
            "approved" => ReviewStatus::Approved,
            "flagged" => ReviewStatus::Flagged,
            _ => ReviewStatus::Pending,
        }
    }
}

/// Risk order of the queue: an identifier first (text matching the header's PHI, a face on a
/// photograph, a whole-slide label or overview), then text where text is expected (ultrasound,
/// captures), then text found where images rarely carry any (CT, MR), then template-only, then
/// nothing found.
pub mod risk {
    pub const PHI_MATCH: i64 = 4;
    pub const TEXT: i64 = 3;
    pub const TEXT_UNEXPECTED: i64 = 2;
    pub const TEMPLATE: i64 = 1;
    pub const NONE: i64 = 0;
}

/// What a face on a photograph is proposed for masking: the eye band (the Japanese guideline's
/// minimum) or the whole face. Project setting [`FaceMask::KEY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaceMask {
    #[default]
    EyeBand,
    WholeFace,
}

impl FaceMask {
    pub const KEY: &'static str = "deid.face_mask";
    const ALLOWED: &'static str = "eye-band, whole-face";

    pub fn as_str(self) -> &'static str {
        match self {
            FaceMask::EyeBand => "eye-band",
            FaceMask::WholeFace => "whole-face",
        }
    }

    pub fn parse(s: &str) -> Option<FaceMask> {
        match s {
            "eye-band" => Some(FaceMask::EyeBand),
            "whole-face" => Some(FaceMask::WholeFace),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QueueItem {
    pub sop_instance_uid: String,
    pub path: String,
    pub status: ReviewStatus,
    pub risk: i64,
    pub proposed: Vec<ReviewBox>,
    pub boxes: Vec<ReviewBox>,
    pub reviewer: Option<String>,
    pub comment: Option<String>,
}

fn boxes(json: &str) -> Vec<ReviewBox> {
    serde_json::from_str(json).unwrap_or_default()
}

impl Project {
    /// How faces are proposed for masking in this project (the eye band when never set).
    pub fn face_mask(&self) -> Result<FaceMask, ProjectError> {
        match self.setting(FaceMask::KEY)? {
            None => Ok(FaceMask::default()),
            Some(v) => FaceMask::parse(&v).ok_or_else(|| ProjectError::BadSetting {
                path: self.path.clone(),
                key: FaceMask::KEY,
                value: v,
                allowed: FaceMask::ALLOWED,
            }),
        }
    }

    /// Chooses how faces are proposed for masking; audited like every setting.
    pub fn set_face_mask(&mut self, mask: FaceMask, actor: &str) -> Result<(), ProjectError> {
        self.set_setting(FaceMask::KEY, mask.as_str(), actor)
    }

    /// Stores (or replaces, while still pending) the proposals for an instance.
    pub fn propose_text_boxes(
        &mut self,
        sop_instance_uid: &str,
        proposed: &[ReviewBox],
        risk: i64,
    ) -> Result<(), ProjectError> {
        let json = serde_json::to_string(proposed).expect("boxes serialise");
        let n = self
            .conn
            .execute(
                "INSERT INTO text_reviews (instance_ref, status, risk, proposed_json, boxes_json)
                 SELECT id, 'pending', ?2, ?3, ?3 FROM instances WHERE sop_instance_uid = ?1
                 ON CONFLICT(instance_ref) DO UPDATE SET risk = excluded.risk, proposed_json = excluded.proposed_json,
                     boxes_json = excluded.boxes_json WHERE text_reviews.status = 'pending'",
                params![sop_instance_uid, risk, json],
            )
            .map_err(|e| self.err(e))?;
        if n == 0 && !self.has_instance(sop_instance_uid)? {
            return Err(self.err(rusqlite::Error::QueryReturnedNoRows));
        }
        Ok(())
    }

    fn has_instance(&self, uid: &str) -> Result<bool, ProjectError> {
        self.conn
            .query_row("SELECT 1 FROM instances WHERE sop_instance_uid = ?1", [uid], |_| Ok(()))
            .optional()
            .map(|r| r.is_some())
            .map_err(|e| self.err(e))
    }

    /// Records a reviewer's decision with the final boxes, and audits boxes before and after.
    pub fn decide_text_review(
        &mut self,
        sop_instance_uid: &str,
        status: ReviewStatus,
        final_boxes: &[ReviewBox],
        reviewer: &str,
        comment: Option<&str>,
    ) -> Result<(), ProjectError> {
        let path = self.path.clone();
        let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(wrap)?;
        let before: String = tx
            .query_row(
                "SELECT r.boxes_json FROM text_reviews r JOIN instances i ON i.id = r.instance_ref WHERE i.sop_instance_uid = ?1",
                [sop_instance_uid],
                |r| r.get(0),
            )
            .map_err(wrap)?;
        let after = serde_json::to_string(final_boxes).expect("boxes serialise");
        tx.execute(
            "UPDATE text_reviews SET status = ?2, boxes_json = ?3, reviewer = ?4, decided_at = ?5, comment = ?6
             WHERE instance_ref = (SELECT id FROM instances WHERE sop_instance_uid = ?1)",
            params![sop_instance_uid, status.as_str(), after, reviewer, now_rfc3339(), comment],
        )
        .map_err(wrap)?;
        let details = serde_json::json!({
            "status": status.as_str(),
            "boxes_before": serde_json::from_str::<serde_json::Value>(&before).unwrap_or_default(),
            "boxes_after": final_boxes,
            "comment": comment,
        });
        append_audit(&tx, reviewer, "text-review", Some(sop_instance_uid), &details).map_err(wrap)?;
        tx.commit().map_err(wrap)
    }

    /// The review queue: pending and flagged items first, riskiest first, then approved ones.
    pub fn text_review_queue(&self) -> Result<Vec<QueueItem>, ProjectError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT i.sop_instance_uid, i.path, r.status, r.risk, r.proposed_json, r.boxes_json, r.reviewer, r.comment
                 FROM text_reviews r JOIN instances i ON i.id = r.instance_ref
                 ORDER BY r.status = 'approved', r.risk DESC, i.path",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(QueueItem {
                    sop_instance_uid: r.get(0)?,
                    path: r.get(1)?,
                    status: ReviewStatus::parse(&r.get::<_, String>(2)?),
                    risk: r.get(3)?,
                    proposed: boxes(&r.get::<_, String>(4)?),
                    boxes: boxes(&r.get::<_, String>(5)?),
                    reviewer: r.get(6)?,
                    comment: r.get(7)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Saves boxes as the template for a device and image layout (replacing an older one).
    #[allow(clippy::too_many_arguments)]
    pub fn save_device_template(
        &mut self,
        manufacturer: &str,
        model: &str,
        rows: u32,
        cols: u32,
        sop_class: &str,
        template: &[ReviewBox],
        actor: &str,
    ) -> Result<(), ProjectError> {
        let path = self.path.clone();
        let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(wrap)?;
        let json = serde_json::to_string(template).expect("boxes serialise");
        tx.execute(
            "INSERT INTO device_templates (manufacturer, model, rows, cols, sop_class, boxes_json, created_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(manufacturer, model, rows, cols, sop_class) DO UPDATE SET boxes_json = excluded.boxes_json,
                 created_by = excluded.created_by, created_at = excluded.created_at",
            params![manufacturer, model, rows, cols, sop_class, json, actor, now_rfc3339()],
        )
        .map_err(wrap)?;
        let key = format!("{manufacturer}|{model}|{rows}x{cols}|{sop_class}");
        append_audit(&tx, actor, "save-device-template", Some(&key), &serde_json::json!({ "boxes": template }))
            .map_err(wrap)?;
        tx.commit().map_err(wrap)
    }

    /// The template for a device and layout, if one was saved.
    pub fn device_template(
        &self,
        manufacturer: &str,
        model: &str,
        rows: u32,
        cols: u32,
        sop_class: &str,
    ) -> Result<Option<Vec<ReviewBox>>, ProjectError> {
        self.conn
            .query_row(
                "SELECT boxes_json FROM device_templates WHERE manufacturer = ?1 AND model = ?2 AND rows = ?3 AND cols = ?4 AND sop_class = ?5",
                params![manufacturer, model, rows, cols, sop_class],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .map(|o| o.map(|j| boxes(&j)))
            .map_err(|e| self.err(e))
    }
}
