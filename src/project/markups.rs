//! Measurement markups and the undo log of non-voxel edits. Every change (add, update or delete
//! a markup; add, change or delete a label row) is one transaction with its audit event and one
//! `annotation_undo` row holding the state before and after, in the history of the annotator on
//! the series where it was made. Undo and redo write the stored state back (audited too), so the
//! undone state and the history survive a restart.
//!
//! A markup is never removed from the table: deleting sets its `deleted` flag, so undo can bring
//! it back. Deleting a label removes its row only; voxels holding its value stay in the layers
//! (drawn again once the row comes back).

use rusqlite::{OptionalExtension, Transaction, params};

use crate::annotate::{Label, Markup, MarkupKind, Step};

use super::annotations::upsert_label;
use super::audit::append_audit;
use super::time::now_rfc3339;
use super::{Project, ProjectError};

/// The one place a markup row is read: id, series, kind JSON, label, note, author, created, deleted.
const COLUMNS: &str = "id, series_uid, geometry, label, note, author, created_at, deleted";

fn row_to_markup(r: &rusqlite::Row) -> rusqlite::Result<(Markup, bool)> {
    let geometry: String = r.get(2)?;
    let kind: MarkupKind = serde_json::from_str(&geometry)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e)))?;
    Ok((
        Markup {
            id: r.get(0)?,
            series_uid: r.get(1)?,
            kind,
            label: r.get(3)?,
            note: r.get(4)?,
            author: r.get(5)?,
            created: r.get(6)?,
        },
        r.get(7)?,
    ))
}

fn kind_json(m: &Markup) -> String {
    serde_json::to_string(&m.kind).expect("markup geometry serialises")
}

/// Drops the redo part of the history of `actor` on `series` (undone voxel edits of the actor's
/// layer and undone label/markup steps): a new step was made.
fn drop_redo(tx: &Transaction, series: &str, actor: &str) -> rusqlite::Result<()> {
    tx.execute(
        "DELETE FROM annotation_edits WHERE undone = 1 AND layer_ref IN
             (SELECT id FROM label_layers WHERE series_uid = ?1 AND annotator = ?2)",
        [series, actor],
    )?;
    tx.execute("DELETE FROM annotation_undo WHERE undone = 1 AND series_uid = ?1 AND actor = ?2", [series, actor])?;
    Ok(())
}

/// Records a step (after its change was written in the same transaction); returns its id.
fn record_step(
    tx: &Transaction,
    series: &str,
    actor: &str,
    kind: &str,
    before: &serde_json::Value,
    after: &serde_json::Value,
) -> rusqlite::Result<i64> {
    let last_edit: i64 = tx.query_row(
        "SELECT coalesce(max(e.id), 0) FROM annotation_edits e JOIN label_layers l ON l.id = e.layer_ref
         WHERE l.series_uid = ?1 AND l.annotator = ?2",
        [series, actor],
        |r| r.get(0),
    )?;
    let json = |v: &serde_json::Value| (!v.is_null()).then(|| v.to_string());
    tx.execute(
        "INSERT INTO annotation_undo (series_uid, actor, at, kind, before_json, after_json, after_edit)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![series, actor, now_rfc3339(), kind, json(before), json(after), last_edit],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Writes a markup's state: `Some` replaces its geometry, label and note (and undeletes it),
/// `None` flags it deleted.
fn write_markup_state(tx: &Transaction, id: i64, state: Option<&Markup>) -> rusqlite::Result<()> {
    match state {
        Some(m) => tx.execute(
            "UPDATE markups SET kind = ?2, geometry = ?3, label = ?4, note = ?5, deleted = 0 WHERE id = ?1",
            params![id, m.kind.name(), kind_json(m), m.label, m.note],
        )?,
        None => tx.execute("UPDATE markups SET deleted = 1 WHERE id = ?1", [id])?,
    };
    Ok(())
}

fn write_label_state(tx: &Transaction, value: u8, state: Option<&Label>) -> rusqlite::Result<()> {
    match state {
        Some(l) => upsert_label(tx, l),
        None => tx.execute("DELETE FROM labels WHERE value = ?1", [value]).map(|_| ()),
    }
}

impl Project {
    fn bad_markup(&self, what: &str) -> ProjectError {
        ProjectError::Invalid { path: self.path.clone(), reason: what.to_string() }
    }

    /// The markups of a series that are not deleted, oldest first.
    pub fn markups(&self, series_uid: &str) -> Result<Vec<Markup>, ProjectError> {
        let sql = format!("SELECT {COLUMNS} FROM markups WHERE series_uid = ?1 AND deleted = 0 ORDER BY id");
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt.query_map([series_uid], row_to_markup).map_err(|e| self.err(e))?;
        rows.map(|r| r.map(|(m, _)| m)).collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// One markup (deleted ones too) and whether it is deleted.
    pub fn markup(&self, id: i64) -> Result<Option<(Markup, bool)>, ProjectError> {
        let sql = format!("SELECT {COLUMNS} FROM markups WHERE id = ?1");
        self.conn.query_row(&sql, [id], row_to_markup).optional().map_err(|e| self.err(e))
    }

    /// Stores a new markup (its `id` and `created` are set here, `author` is `actor`); returns it
    /// and its undo step.
    pub fn add_markup(&mut self, markup: &Markup, actor: &str) -> Result<(Markup, i64), ProjectError> {
        if !markup.kind.is_finite() {
            return Err(self.bad_markup("a markup point is not a finite voxel position"));
        }
        let path = self.path.clone();
        let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
        let mut m = Markup { id: 0, author: actor.to_string(), created: now_rfc3339(), ..markup.clone() };
        let tx = self.conn.transaction().map_err(wrap)?;
        drop_redo(&tx, &m.series_uid, actor).map_err(wrap)?;
        tx.execute(
            "INSERT INTO markups (series_uid, kind, geometry, label, note, author, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![m.series_uid, m.kind.name(), kind_json(&m), m.label, m.note, m.author, m.created],
        )
        .map_err(wrap)?;
        m.id = tx.last_insert_rowid();
        let after = serde_json::to_value(&m).expect("markup");
        let step = record_step(&tx, &m.series_uid, actor, "markup", &serde_json::Value::Null, &after).map_err(wrap)?;
        append_audit(&tx, actor, "add-markup", Some(&m.id.to_string()), &serde_json::json!({ "after": m }))
            .map_err(wrap)?;
        tx.commit().map_err(wrap)?;
        Ok((m, step))
    }

    /// Changes a stored markup's geometry, label or note (moving it is a change of geometry);
    /// returns the undo step.
    pub fn update_markup(&mut self, markup: &Markup, actor: &str) -> Result<i64, ProjectError> {
        if !markup.kind.is_finite() {
            return Err(self.bad_markup("a markup point is not a finite voxel position"));
        }
        let before = match self.markup(markup.id)? {
            Some((m, false)) => m,
            _ => return Err(self.bad_markup(&format!("markup {}: no such markup", markup.id))),
        };
        let after = Markup { series_uid: before.series_uid.clone(), author: before.author.clone(), ..markup.clone() };
        self.markup_step(Some(before), Some(after), "update-markup", actor)
    }

    /// Flags a markup deleted; returns the undo step.
    pub fn delete_markup(&mut self, id: i64, actor: &str) -> Result<i64, ProjectError> {
        let before = match self.markup(id)? {
            Some((m, false)) => m,
            _ => return Err(self.bad_markup(&format!("markup {id}: no such markup"))),
        };
        self.markup_step(Some(before), None, "delete-markup", actor)
    }

    fn markup_step(
        &mut self,
        before: Option<Markup>,
        after: Option<Markup>,
        action: &str,
        actor: &str,
    ) -> Result<i64, ProjectError> {
        let m = before.as_ref().or(after.as_ref()).expect("a markup on one side");
        let (id, series) = (m.id, m.series_uid.clone());
        let path = self.path.clone();
        let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(wrap)?;
        drop_redo(&tx, &series, actor).map_err(wrap)?;
        write_markup_state(&tx, id, after.as_ref()).map_err(wrap)?;
        let (b, a) = (serde_json::to_value(&before).expect("json"), serde_json::to_value(&after).expect("json"));
        let step = record_step(&tx, &series, actor, "markup", &b, &a).map_err(wrap)?;
        let details = serde_json::json!({ "before": b, "after": a });
        append_audit(&tx, actor, action, Some(&id.to_string()), &details).map_err(wrap)?;
        tx.commit().map_err(wrap)?;
        Ok(step)
    }

    /// Adds or changes a label row (name, colour, code, visibility, lock) as a step of `actor`'s
    /// history on `series_uid`; audited with the old row. Returns the undo step.
    pub fn edit_label(&mut self, label: &Label, series_uid: &str, actor: &str) -> Result<i64, ProjectError> {
        let before = self.labels()?.into_iter().find(|l| l.value == label.value);
        self.label_step(label.value, before, Some(label.clone()), series_uid, actor)
    }

    /// Removes a label row (its voxels stay in the layers) as a step; returns the undo step.
    pub fn delete_label(&mut self, value: u8, series_uid: &str, actor: &str) -> Result<i64, ProjectError> {
        let Some(before) = self.labels()?.into_iter().find(|l| l.value == value) else {
            return Err(self.bad_markup(&format!("label {value}: no such label")));
        };
        self.label_step(value, Some(before), None, series_uid, actor)
    }

    fn label_step(
        &mut self,
        value: u8,
        before: Option<Label>,
        after: Option<Label>,
        series: &str,
        actor: &str,
    ) -> Result<i64, ProjectError> {
        let path = self.path.clone();
        let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(wrap)?;
        drop_redo(&tx, series, actor).map_err(wrap)?;
        write_label_state(&tx, value, after.as_ref()).map_err(wrap)?;
        let (b, a) = (serde_json::to_value(&before).expect("json"), serde_json::to_value(&after).expect("json"));
        let step = record_step(&tx, series, actor, "label", &b, &a).map_err(wrap)?;
        let action = if after.is_some() { "label" } else { "delete-label" };
        append_audit(&tx, actor, action, Some(&value.to_string()), &serde_json::json!({ "before": b, "after": a }))
            .map_err(wrap)?;
        tx.commit().map_err(wrap)?;
        Ok(step)
    }

    /// Undoes (`undone` = true: writes the state before) or redoes (the state after) a label or
    /// markup step, audited, in one transaction. Returns the step as stored.
    pub fn commit_step_undo(&mut self, step: i64, undone: bool, actor: &str) -> Result<Step, ProjectError> {
        let s = self.stored_step(step)?;
        let path = self.path.clone();
        let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(wrap)?;
        let object = match &s {
            Step::Label { before, after } => {
                let state = if undone { before } else { after };
                let value = before.as_ref().or(after.as_ref()).map_or(0, |l| l.value);
                write_label_state(&tx, value, state.as_ref()).map_err(wrap)?;
                format!("label {value}")
            }
            Step::Markup { before, after } => {
                let state = if undone { before } else { after };
                let id = before.as_ref().or(after.as_ref()).map_or(0, |m| m.id);
                write_markup_state(&tx, id, state.as_ref()).map_err(wrap)?;
                format!("markup {id}")
            }
            Step::Voxels(_) => unreachable!("annotation_undo holds label and markup steps only"),
        };
        tx.execute("UPDATE annotation_undo SET undone = ?2 WHERE id = ?1", params![step, undone]).map_err(wrap)?;
        let action = if undone { "undo" } else { "redo" };
        append_audit(&tx, actor, action, Some(&object), &serde_json::json!({ "step": step })).map_err(wrap)?;
        tx.commit().map_err(wrap)?;
        Ok(s)
    }

    fn stored_step(&self, step: i64) -> Result<Step, ProjectError> {
        let row: Option<(String, Option<String>, Option<String>)> = self
            .conn
            .query_row("SELECT kind, before_json, after_json FROM annotation_undo WHERE id = ?1", [step], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()
            .map_err(|e| self.err(e))?;
        let bad = || self.bad_markup(&format!("undo step {step}: missing or unreadable"));
        let (kind, before, after) = row.ok_or_else(bad)?;
        fn parse<T: serde::de::DeserializeOwned>(s: Option<String>) -> Result<Option<T>, serde_json::Error> {
            s.map(|s| serde_json::from_str(&s)).transpose()
        }
        match kind.as_str() {
            "label" => {
                Ok(Step::Label { before: parse(before).map_err(|_| bad())?, after: parse(after).map_err(|_| bad())? })
            }
            "markup" => {
                Ok(Step::Markup { before: parse(before).map_err(|_| bad())?, after: parse(after).map_err(|_| bad())? })
            }
            _ => Err(bad()),
        }
    }

    /// The whole undo history of `actor` on `series_uid`, oldest first: the voxel edits of
    /// `layer` (the actor's layer, if any) and the label and markup steps, each with its id and
    /// whether it is undone (the undone ones are the redo stack). Feed it to `History::restore`.
    pub fn undo_history(
        &self,
        series_uid: &str,
        actor: &str,
        layer: Option<i64>,
    ) -> Result<Vec<(i64, Step, bool)>, ProjectError> {
        let edits = match layer {
            Some(l) => self.label_edits(l)?,
            None => Vec::new(),
        };
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, after_edit, undone FROM annotation_undo WHERE series_uid = ?1 AND actor = ?2 ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([series_uid, actor], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, bool>(2)?)))
            .map_err(|e| self.err(e))?;
        let steps: Vec<(i64, i64, bool)> = rows.collect::<Result<_, _>>().map_err(|e| self.err(e))?;
        let mut out = Vec::with_capacity(edits.len() + steps.len());
        let mut steps = steps.into_iter().peekable();
        for e in edits {
            while let Some((id, _, undone)) = steps.next_if(|s| s.1 < e.id) {
                out.push((id, self.stored_step(id)?, undone));
            }
            out.push((e.id, Step::Voxels(e.delta), e.undone));
        }
        for (id, _, undone) in steps {
            out.push((id, self.stored_step(id)?, undone));
        }
        Ok(out)
    }
}
