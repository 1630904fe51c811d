//! Defacing review records: per CT/MR series, the proposal (`deid::deface::propose`) and the
//! reviewer's decision. Every decision is one transaction with its audit event (who, when,
//! status and parameters before and after).
//!
//! The removal mask is stored as one run-length stream (`annotate::rle`) over the whole volume
//! in the volume's own voxel order (x fastest, then y, then z), `dims` long in total; a proposal
//! that removes nothing stores no mask. The proposal's JSON keeps its evidence (reasons,
//! landmarks, zone, counts) without the per-column cut, which the mask already carries.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::audit::append_audit;
use super::time::now_rfc3339;
use super::{Project, ProjectError};
use crate::annotate::rle::{self, RleError};
use crate::deid::deface::{DefaceParams, Proposal};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DefaceStatus {
    /// Proposed, waiting for a reviewer (also a head with no face found: a reviewer confirms).
    Pending,
    Approved,
    Rejected,
    /// Checked and not a head: nothing to deface.
    NotHead,
}

impl DefaceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DefaceStatus::Pending => "pending",
            DefaceStatus::Approved => "approved",
            DefaceStatus::Rejected => "rejected",
            DefaceStatus::NotHead => "not-head",
        }
    }

    fn parse(s: &str) -> DefaceStatus {
        match s {
            "approved" => DefaceStatus::Approved,
            "rejected" => DefaceStatus::Rejected,
            "not-head" => DefaceStatus::NotHead,
            _ => DefaceStatus::Pending,
        }
    }

    /// The status a fresh proposal is stored with.
    pub fn of_proposal(p: &Proposal) -> DefaceStatus {
        if p.is_head { DefaceStatus::Pending } else { DefaceStatus::NotHead }
    }
}

/// One series' stored review.
#[derive(Debug, Clone)]
pub struct DefaceReview {
    pub series_uid: String,
    pub status: DefaceStatus,
    pub is_head: Option<bool>,
    pub reason: Option<String>,
    pub params: DefaceParams,
    /// The stored proposal: evidence and counts; its `mask`, `intracranial` and `cut` are empty
    /// (see `mask()`).
    pub proposal: Proposal,
    pub dims: [usize; 3],
    /// The removal mask, run-length encoded (see the module doc); `None`: nothing to remove.
    pub mask_rle: Option<Vec<u8>>,
    pub removed_voxels: Option<i64>,
    pub reviewer: Option<String>,
    pub decided_at: Option<String>,
    pub comment: Option<String>,
}

impl DefaceReview {
    /// The removal mask in the volume's voxel order (1 = remove); all zeros when the proposal
    /// removes nothing.
    pub fn mask(&self) -> Result<Vec<u8>, RleError> {
        let mut out = vec![0u8; self.dims.iter().product()];
        if let Some(data) = &self.mask_rle {
            rle::decode_into(data, &mut out)?;
        }
        Ok(out)
    }

    /// Whether the approved proposal removes anything.
    pub fn removes_anything(&self) -> bool {
        self.mask_rle.is_some() && self.removed_voxels.unwrap_or(0) > 0
    }
}

/// What a proposal is stored as: (params, proposal JSON, dims text, mask).
fn encode(p: &Proposal) -> (String, String, String, Option<Vec<u8>>) {
    let params = serde_json::to_string(&p.params).expect("params serialise");
    let mut light = p.clone();
    light.cut = Vec::new();
    light.mask = Vec::new();
    light.intracranial = Vec::new();
    let json = serde_json::to_string(&light).expect("proposal serialises");
    let dims = serde_json::to_string(&p.dims).expect("dims serialise");
    let mask = p.mask.iter().any(|&m| m != 0).then(|| rle::encode(&p.mask));
    (params, json, dims, mask)
}

const COLUMNS: &str = "series_uid, status, is_head, reason, params_json, proposal_json, dims, mask, removed_voxels, \
                       reviewer, decided_at, comment";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DefaceReview> {
    let bad = |i: usize, e: serde_json::Error| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
    };
    let params: String = r.get(4)?;
    let proposal: String = r.get(5)?;
    let dims: String = r.get(6)?;
    Ok(DefaceReview {
        series_uid: r.get(0)?,
        status: DefaceStatus::parse(&r.get::<_, String>(1)?),
        is_head: r.get(2)?,
        reason: r.get(3)?,
        params: serde_json::from_str(&params).map_err(|e| bad(4, e))?,
        proposal: serde_json::from_str(&proposal).map_err(|e| bad(5, e))?,
        dims: serde_json::from_str(&dims).map_err(|e| bad(6, e))?,
        mask_rle: r.get(7)?,
        removed_voxels: r.get(8)?,
        reviewer: r.get(9)?,
        decided_at: r.get(10)?,
        comment: r.get(11)?,
    })
}

impl Project {
    /// Stores the proposal for a series: 'pending' for a head, 'not-head' otherwise (with the
    /// reason). Replaces an earlier proposal that is still pending or not-head; a decided
    /// review is kept. Returns whether the proposal was stored.
    pub fn propose_deface(&mut self, series_uid: &str, p: &Proposal) -> Result<bool, ProjectError> {
        let (params, json, dims, mask) = encode(p);
        let n = self
            .conn
            .execute(
                "INSERT INTO deface_reviews (series_uid, status, is_head, reason, params_json, proposal_json, dims,
                     mask, removed_voxels)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT(series_uid) DO UPDATE SET status = excluded.status, is_head = excluded.is_head,
                     reason = excluded.reason, params_json = excluded.params_json,
                     proposal_json = excluded.proposal_json, dims = excluded.dims, mask = excluded.mask,
                     removed_voxels = excluded.removed_voxels
                 WHERE deface_reviews.status IN ('pending', 'not-head')",
                params![
                    series_uid,
                    DefaceStatus::of_proposal(p).as_str(),
                    p.is_head,
                    p.reason(),
                    params,
                    json,
                    dims,
                    mask,
                    p.removed_voxels as i64
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(n > 0)
    }

    pub fn deface_review(&self, series_uid: &str) -> Result<Option<DefaceReview>, ProjectError> {
        self.conn
            .query_row(&format!("SELECT {COLUMNS} FROM deface_reviews WHERE series_uid = ?1"), [series_uid], from_row)
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Every stored review: pending first, then by series UID.
    pub fn deface_reviews(&self) -> Result<Vec<DefaceReview>, ProjectError> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM deface_reviews ORDER BY status != 'pending', series_uid"))
            .map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], from_row).map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Records a reviewer's decision. With `params_changed`, the reviewer re-ran the proposal
    /// (other margin or depth) and that proposal, mask included, is what is decided. One
    /// transaction with an audit event: who, the decision, status and parameters before and
    /// after, removed voxels before and after, the comment.
    pub fn decide_deface(
        &mut self,
        series_uid: &str,
        approve: bool,
        reviewer: &str,
        comment: Option<&str>,
        params_changed: Option<&Proposal>,
    ) -> Result<(), ProjectError> {
        let path = self.path.clone();
        let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(wrap)?;
        let old = tx
            .query_row(&format!("SELECT {COLUMNS} FROM deface_reviews WHERE series_uid = ?1"), [series_uid], from_row)
            .optional()
            .map_err(wrap)?
            .ok_or_else(|| ProjectError::Invalid {
                path: path.clone(),
                reason: format!("series {series_uid} has no defacing proposal to decide on"),
            })?;
        let status = if approve { DefaceStatus::Approved } else { DefaceStatus::Rejected };
        let (mut new_params, mut new_removed) = (old.params.clone(), old.removed_voxels);
        if let Some(p) = params_changed {
            if p.dims != old.dims {
                return Err(ProjectError::Invalid {
                    path: path.clone(),
                    reason: format!(
                        "series {series_uid}: the new proposal is for a {:?} grid, the stored one for {:?}",
                        p.dims, old.dims
                    ),
                });
            }
            let (params, json, dims, mask) = encode(p);
            tx.execute(
                "UPDATE deface_reviews SET is_head = ?2, reason = ?3, params_json = ?4, proposal_json = ?5, dims = ?6,
                     mask = ?7, removed_voxels = ?8 WHERE series_uid = ?1",
                params![series_uid, p.is_head, p.reason(), params, json, dims, mask, p.removed_voxels as i64],
            )
            .map_err(wrap)?;
            (new_params, new_removed) = (p.params.clone(), Some(p.removed_voxels as i64));
        }
        tx.execute(
            "UPDATE deface_reviews SET status = ?2, reviewer = ?3, decided_at = ?4, comment = ?5 WHERE series_uid = ?1",
            params![series_uid, status.as_str(), reviewer, now_rfc3339(), comment],
        )
        .map_err(wrap)?;
        let details = serde_json::json!({
            "decision": status.as_str(),
            "status_before": old.status.as_str(),
            "params_before": old.params,
            "params_after": new_params,
            "params_changed": params_changed.is_some(),
            "removed_voxels_before": old.removed_voxels,
            "removed_voxels_after": new_removed,
            "comment": comment,
        });
        append_audit(&tx, reviewer, "deface-review", Some(series_uid), &details).map_err(wrap)?;
        tx.commit().map_err(wrap)
    }
}
