//! Burned-in text review records: the boxes proposed for an instance (detector, template),
//! the reviewer's decision, and device templates learnt from approvals. Every decision is one
//! transaction with its audit event (who, when, boxes before and after).

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::audit::append_audit;
use super::time::now_rfc3339;
use super::{Project, ProjectError};

/// A box as stored: pixel rectangle, frames, why it was proposed, and what OCR read in it.
/// The OCR fields default when absent, so boxes stored before OCR existed still load.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReviewBox {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    pub first_frame: u32,
    pub last_frame: u32,
    pub score: f32,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr_text: Option<String>,
    /// "phi", "technical" or "text" (see `deid::text::TextClass`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// The header field the text matched, for class "phi".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phi_field: Option<String>,
}

impl ReviewBox {
    pub fn is_phi(&self) -> bool {
        self.class.as_deref() == Some("phi")
    }
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

fn parse_boxes(json: &str) -> Vec<ReviewBox> {
    serde_json::from_str(json).unwrap_or_default()
}

impl Project {
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
                    proposed: parse_boxes(&r.get::<_, String>(4)?),
                    boxes: parse_boxes(&r.get::<_, String>(5)?),
                    reviewer: r.get(6)?,
                    comment: r.get(7)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Adds `boxes` to every other instance of the same series and image size that is not yet
    /// approved, queueing those not in the queue, so that a reviewer marks an overlay the device
    /// burns into every image once. Frames are clipped to each instance's frame count. One
    /// transaction with one audit event; returns how many instances changed.
    pub fn apply_boxes_to_series(
        &mut self,
        sop_instance_uid: &str,
        boxes: &[ReviewBox],
        actor: &str,
    ) -> Result<usize, ProjectError> {
        let path = self.path.clone();
        let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(wrap)?;
        // (instance id, SOP Instance UID, frames, review status, boxes) of the other images.
        type Target = (i64, String, u32, Option<String>, Option<String>);
        let targets: Vec<Target> = {
            let mut stmt = tx
                .prepare(
                    "SELECT o.id, o.sop_instance_uid, coalesce(o.frames, 1), r.status, r.boxes_json
                     FROM instances s JOIN instances o ON o.series_ref = s.series_ref AND o.id != s.id
                         AND o.rows IS s.rows AND o.cols IS s.cols
                     LEFT JOIN text_reviews r ON r.instance_ref = o.id
                     WHERE s.sop_instance_uid = ?1 ORDER BY o.path",
                )
                .map_err(wrap)?;
            let rows = stmt
                .query_map([sop_instance_uid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
                .map_err(wrap)?;
            rows.collect::<Result<_, _>>().map_err(wrap)?
        };
        let mut changed = Vec::new();
        for (id, uid, frames, status, current) in targets {
            if status.as_deref() == Some("approved") {
                continue;
            }
            let mut merged = current.as_deref().map(parse_boxes).unwrap_or_default();
            let before = merged.len();
            for b in boxes {
                let last = frames.max(1) - 1;
                let b =
                    ReviewBox { first_frame: b.first_frame.min(last), last_frame: b.last_frame.min(last), ..b.clone() };
                let same = |m: &ReviewBox| {
                    (m.x, m.y, m.w, m.h, m.first_frame, m.last_frame)
                        == (b.x, b.y, b.w, b.h, b.first_frame, b.last_frame)
                };
                if !merged.iter().any(same) {
                    merged.push(b);
                }
            }
            if merged.len() == before && status.is_some() {
                continue;
            }
            let json = serde_json::to_string(&merged).expect("boxes serialise");
            tx.execute(
                "INSERT INTO text_reviews (instance_ref, status, risk, proposed_json, boxes_json)
                 VALUES (?1, 'pending', ?2, '[]', ?3)
                 ON CONFLICT(instance_ref) DO UPDATE SET boxes_json = excluded.boxes_json,
                     risk = max(text_reviews.risk, excluded.risk)",
                params![id, risk::TEXT, json],
            )
            .map_err(wrap)?;
            changed.push(uid);
        }
        let details = serde_json::json!({ "boxes": boxes, "instances": changed });
        append_audit(&tx, actor, "text-review-apply-series", Some(sop_instance_uid), &details).map_err(wrap)?;
        tx.commit().map_err(wrap)?;
        Ok(changed.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_stored_before_ocr_existed_load_without_ocr_fields_and_new_ones_round_trip() {
        let old = r#"[{"x":1,"y":2,"w":3,"h":4,"first_frame":0,"last_frame":5,"score":0.5,"reason":"text"}]"#;
        let loaded = parse_boxes(old);
        assert_eq!(loaded.len(), 1);
        assert_eq!((loaded[0].last_frame, loaded[0].ocr_text.as_deref(), loaded[0].class.as_deref()), (5, None, None));
        let read = ReviewBox {
            ocr_text: Some("DOE^JANE".into()),
            class: Some("phi".into()),
            phi_field: Some("Patient's Name".into()),
            ..loaded[0].clone()
        };
        assert_eq!(parse_boxes(&serde_json::to_string(&[&read]).unwrap()), vec![read.clone()]);
        assert!(read.is_phi() && !loaded[0].is_phi());
    }
}
