//! Sign-off of annotation sets: draft → submitted → approved or changes requested. An approval
//! records the physician's name, qualification and licence country (the Japanese guideline asks
//! who confirmed the ground truth). Each decision is one transaction with its audit event; the
//! layer's edits are refused while it is submitted or approved. Decisions are immutable: they are
//! not steps of the undo history (`annotate::history`), and a later decision supersedes an
//! earlier one. Free-text findings (diagnosis, pathology result) per study or series live here too.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::audit::append_audit;
use super::time::now_rfc3339;
use super::{Project, ProjectError};

/// Who signs: the physician's name, qualification (e.g. "board-certified radiologist") and the
/// country that licensed them (ISO 3166 code, e.g. "JP").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Physician {
    pub name: String,
    pub qualification: String,
    pub licence_country: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LayerDecision {
    Approve,
    RequestChanges,
}

/// One entry of a layer's sign-off history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerReview {
    pub status: String,
    pub actor: String,
    pub qualification: Option<String>,
    pub licence_country: Option<String>,
    pub comment: Option<String>,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub study_uid: String,
    pub series_uid: Option<String>,
    /// "diagnosis", "pathology" or "finding".
    pub kind: String,
    pub text: String,
    pub code: Option<(String, String, String)>,
    pub author: String,
}

impl Project {
    fn refuse(&self, reason: String) -> ProjectError {
        ProjectError::Invalid { path: self.path.clone(), reason }
    }

    /// The layer's sign-off status: draft, submitted, approved or changes-requested.
    pub fn label_layer_status(&self, layer: i64) -> Result<String, ProjectError> {
        self.conn
            .query_row("SELECT status FROM label_layers WHERE id = ?1", [layer], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?
            .ok_or_else(|| self.refuse(format!("label layer {layer}: no such layer")))
    }

    /// Whether the layer may be edited (draft or changes requested); an error saying why not.
    pub fn check_layer_editable(&self, layer: i64) -> Result<(), ProjectError> {
        match self.label_layer_status(layer)?.as_str() {
            "draft" | "changes-requested" => Ok(()),
            s => {
                Err(self.refuse(format!("label layer {layer} is {s}: it cannot be edited until changes are requested")))
            }
        }
    }

    fn set_layer_status(
        &mut self,
        layer: i64,
        from: &[&str],
        to: &str,
        actor: &str,
        physician: Option<&Physician>,
        comment: Option<&str>,
    ) -> Result<(), ProjectError> {
        let current = self.label_layer_status(layer)?;
        if !from.contains(&current.as_str()) {
            return Err(self.refuse(format!("label layer {layer} is {current}; expected {}", from.join(" or "))));
        }
        let path = self.path.clone();
        let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(wrap)?;
        tx.execute("UPDATE label_layers SET status = ?2 WHERE id = ?1", params![layer, to]).map_err(wrap)?;
        tx.execute(
            "INSERT INTO label_reviews (layer_ref, status, actor, qualification, licence_country, comment, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                layer,
                to,
                actor,
                physician.map(|p| p.qualification.as_str()),
                physician.map(|p| p.licence_country.as_str()),
                comment,
                now_rfc3339()
            ],
        )
        .map_err(wrap)?;
        let details = serde_json::json!({ "from": current, "to": to, "physician": physician, "comment": comment });
        append_audit(&tx, actor, "label-layer-review", Some(&format!("layer/{layer}")), &details).map_err(wrap)?;
        tx.commit().map_err(wrap)
    }

    /// The annotator hands the layer in for review.
    pub fn submit_label_layer(
        &mut self,
        layer: i64,
        annotator: &str,
        comment: Option<&str>,
    ) -> Result<(), ProjectError> {
        self.set_layer_status(layer, &["draft", "changes-requested"], "submitted", annotator, None, comment)
    }

    /// A physician approves the submitted layer (name, qualification and licence country
    /// required) or requests changes (a comment required).
    pub fn review_label_layer(
        &mut self,
        layer: i64,
        decision: LayerDecision,
        physician: &Physician,
        comment: Option<&str>,
    ) -> Result<(), ProjectError> {
        let blank = |s: &str| s.trim().is_empty();
        match decision {
            LayerDecision::Approve => {
                if blank(&physician.name) || blank(&physician.qualification) || blank(&physician.licence_country) {
                    return Err(self.refuse(format!(
                        "label layer {layer}: an approval needs the physician's name, qualification and licence country"
                    )));
                }
                self.set_layer_status(layer, &["submitted"], "approved", &physician.name, Some(physician), comment)
            }
            LayerDecision::RequestChanges => {
                if comment.is_none_or(blank) {
                    return Err(
                        self.refuse(format!("label layer {layer}: say what must change (a comment is required)"))
                    );
                }
                self.set_layer_status(
                    layer,
                    &["submitted", "approved"],
                    "changes-requested",
                    &physician.name,
                    Some(physician),
                    comment,
                )
            }
        }
    }

    /// The layer's sign-off history, oldest first.
    pub fn label_layer_reviews(&self, layer: i64) -> Result<Vec<LayerReview>, ProjectError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT status, actor, qualification, licence_country, comment, at FROM label_reviews
                 WHERE layer_ref = ?1 ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([layer], |r| {
                Ok(LayerReview {
                    status: r.get(0)?,
                    actor: r.get(1)?,
                    qualification: r.get(2)?,
                    licence_country: r.get(3)?,
                    comment: r.get(4)?,
                    at: r.get(5)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Records a free-text finding (audited); returns its id.
    pub fn add_finding(&mut self, f: &Finding) -> Result<i64, ProjectError> {
        if !matches!(f.kind.as_str(), "diagnosis" | "pathology" | "finding") || f.text.trim().is_empty() {
            return Err(self.refuse(format!("finding: kind {:?} with empty or unknown text is not allowed", f.kind)));
        }
        let path = self.path.clone();
        let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(wrap)?;
        let code = f.code.as_ref();
        tx.execute(
            "INSERT INTO findings (study_uid, series_uid, kind, text, code_value, code_scheme, code_meaning, author, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                f.study_uid,
                f.series_uid,
                f.kind,
                f.text,
                code.map(|c| &c.0),
                code.map(|c| &c.1),
                code.map(|c| &c.2),
                f.author,
                now_rfc3339()
            ],
        )
        .map_err(wrap)?;
        let id = tx.last_insert_rowid();
        append_audit(
            &tx,
            &f.author,
            "finding",
            Some(&format!("finding/{id}")),
            &serde_json::to_value(f).unwrap_or_default(),
        )
        .map_err(wrap)?;
        tx.commit().map_err(wrap)?;
        Ok(id)
    }

    /// The findings of a study (all studies when None), oldest first.
    pub fn findings(&self, study_uid: Option<&str>) -> Result<Vec<Finding>, ProjectError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT study_uid, series_uid, kind, text, code_value, code_scheme, code_meaning, author FROM findings
                 WHERE ?1 IS NULL OR study_uid = ?1 ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([study_uid], |r| {
                let code = match (r.get::<_, Option<String>>(4)?, r.get(5)?, r.get(6)?) {
                    (Some(v), Some(s), Some(m)) => Some((v, s, m)),
                    _ => None,
                };
                Ok(Finding {
                    study_uid: r.get(0)?,
                    series_uid: r.get(1)?,
                    kind: r.get(2)?,
                    text: r.get(3)?,
                    code,
                    author: r.get(7)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
}
