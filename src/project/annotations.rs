//! Annotation storage: the project's label table, label layers, their slices (run-length
//! encoded) and the edit history. Each finished stroke is one transaction (WAL), so a crash
//! loses at most the stroke in progress, and reopening restores the layer and its undo history.

use rusqlite::{OptionalExtension, params};

pub use crate::annotate::label_table::Label;
use crate::annotate::{Delta, LabelMap};

use super::audit::append_audit;
use super::time::now_rfc3339;
use super::{Project, ProjectError};

/// A label layer of a series (one per annotator, or a consensus).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerInfo {
    pub id: i64,
    pub name: String,
    pub annotator: String,
    /// draft, submitted, approved or changes-requested.
    pub status: String,
    pub dims: [usize; 3],
}

/// One stored edit of a layer, for restoring the undo history.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEdit {
    pub id: i64,
    pub kind: String,
    pub delta: Delta,
    pub undone: bool,
}

impl Project {
    fn invalid_layer(&self, layer: i64, reason: &str) -> ProjectError {
        ProjectError::Invalid { path: self.path.clone(), reason: format!("label layer {layer}: {reason}") }
    }

    pub fn labels(&self) -> Result<Vec<Label>, ProjectError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT value, name, colour, code_value, code_scheme, code_meaning, visible, locked
                 FROM labels ORDER BY value",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                let code = match (r.get::<_, Option<String>>(3)?, r.get(4)?, r.get(5)?) {
                    (Some(v), Some(s), Some(m)) => Some((v, s, m)),
                    _ => None,
                };
                Ok(Label {
                    value: r.get(0)?,
                    name: r.get(1)?,
                    colour: r.get(2)?,
                    code,
                    visible: r.get(6)?,
                    locked: r.get(7)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Adds or changes a label (name, colour, code, visibility, lock), audited with the old row.
    pub fn save_label(&mut self, label: &Label, actor: &str) -> Result<(), ProjectError> {
        let before = self.labels()?.into_iter().find(|l| l.value == label.value);
        let path = self.path.clone();
        let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(wrap)?;
        upsert_label(&tx, label).map_err(wrap)?;
        let details = serde_json::json!({ "before": before, "after": label });
        append_audit(&tx, actor, "label", Some(&label.value.to_string()), &details).map_err(wrap)?;
        tx.commit().map_err(wrap)
    }

    /// A new, empty label layer on a series grid; returns its id.
    pub fn create_label_layer(
        &mut self,
        series_uid: &str,
        name: &str,
        annotator: &str,
        dims: [usize; 3],
    ) -> Result<i64, ProjectError> {
        let path = self.path.clone();
        let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(wrap)?;
        tx.execute(
            "INSERT INTO label_layers (series_uid, name, annotator, dims, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![series_uid, name, annotator, serde_json::to_string(&dims).expect("dims"), now_rfc3339()],
        )
        .map_err(wrap)?;
        let id = tx.last_insert_rowid();
        let details = serde_json::json!({ "series": series_uid, "name": name, "dims": dims });
        append_audit(&tx, annotator, "create-label-layer", Some(&id.to_string()), &details).map_err(wrap)?;
        tx.commit().map_err(wrap)?;
        Ok(id)
    }

    /// The label layers of a series, oldest first.
    pub fn label_layers(&self, series_uid: &str) -> Result<Vec<LayerInfo>, ProjectError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, name, annotator, status, dims FROM label_layers WHERE series_uid = ?1 ORDER BY id")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([series_uid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?)))
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, annotator, status, dims) = row.map_err(|e| self.err(e))?;
            let dims =
                serde_json::from_str(&dims).map_err(|_| self.invalid_layer(id, "its grid size is unreadable"))?;
            out.push(LayerInfo { id, name, annotator, status, dims });
        }
        Ok(out)
    }

    /// The layer's voxels as last committed.
    pub fn load_label_layer(&self, layer: i64) -> Result<LabelMap, ProjectError> {
        let dims: Option<String> = self
            .conn
            .query_row("SELECT dims FROM label_layers WHERE id = ?1", [layer], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?;
        let dims: [usize; 3] = dims
            .and_then(|d| serde_json::from_str(&d).ok())
            .ok_or_else(|| self.invalid_layer(layer, "no such layer, or its grid size is unreadable"))?;
        let mut map = LabelMap::new(dims);
        let mut stmt =
            self.conn.prepare("SELECT z, rle FROM label_slices WHERE layer_ref = ?1").map_err(|e| self.err(e))?;
        let rows =
            stmt.query_map([layer], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))).map_err(|e| self.err(e))?;
        for row in rows {
            let (z, rle) = row.map_err(|e| self.err(e))?;
            let z = usize::try_from(z).ok().filter(|&z| z < dims[2]);
            let z = z.ok_or_else(|| self.invalid_layer(layer, "a slice lies outside the grid"))?;
            map.decode_slice(z, &rle).map_err(|e| self.invalid_layer(layer, &format!("slice {z}: {e}")))?;
        }
        Ok(map)
    }

    /// Commits one finished edit: the slices it touched as they are now in `map`, and the
    /// delta for undo, in one transaction. Returns the edit's id.
    pub fn commit_label_edit(
        &mut self,
        layer: i64,
        map: &LabelMap,
        delta: &Delta,
        kind: &str,
        actor: &str,
    ) -> Result<i64, ProjectError> {
        self.check_layer_editable(layer)?;
        let path = self.path.clone();
        let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(wrap)?;
        // Redo beyond this point is gone once a new edit is made (label and markup steps of the
        // same history too).
        tx.execute("DELETE FROM annotation_edits WHERE layer_ref = ?1 AND undone = 1", [layer]).map_err(wrap)?;
        tx.execute(
            "DELETE FROM annotation_undo WHERE undone = 1 AND EXISTS (SELECT 1 FROM label_layers l
                 WHERE l.id = ?1 AND l.series_uid = annotation_undo.series_uid AND l.annotator = annotation_undo.actor)",
            [layer],
        )
        .map_err(wrap)?;
        write_slices(&tx, layer, map, delta).map_err(wrap)?;
        tx.execute(
            "INSERT INTO annotation_edits (layer_ref, at, actor, kind, delta) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![layer, now_rfc3339(), actor, kind, delta.to_bytes()],
        )
        .map_err(wrap)?;
        let id = tx.last_insert_rowid();
        tx.commit().map_err(wrap)?;
        Ok(id)
    }

    /// Records an undo (`undone` = true) or redo of edit `id` after it was applied to `map`.
    pub fn commit_label_undo(&mut self, layer: i64, map: &LabelMap, id: i64, undone: bool) -> Result<(), ProjectError> {
        self.check_layer_editable(layer)?;
        let path = self.path.clone();
        let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(wrap)?;
        let bytes: Vec<u8> = tx
            .query_row("SELECT delta FROM annotation_edits WHERE id = ?1 AND layer_ref = ?2", [id, layer], |r| r.get(0))
            .map_err(wrap)?;
        let reason = format!("label layer {layer}: edit {id} is unreadable");
        let delta = Delta::from_bytes(&bytes).ok_or(ProjectError::Invalid { path: path.clone(), reason })?;
        write_slices(&tx, layer, map, &delta).map_err(wrap)?;
        tx.execute("UPDATE annotation_edits SET undone = ?2 WHERE id = ?1", params![id, undone]).map_err(wrap)?;
        tx.commit().map_err(wrap)
    }

    /// The layer's edits, oldest first (undone ones are the redo stack).
    pub fn label_edits(&self, layer: i64) -> Result<Vec<StoredEdit>, ProjectError> {
        let dims = self.load_label_layer(layer)?.dims();
        let mut stmt = self
            .conn
            .prepare("SELECT id, kind, delta, undone FROM annotation_edits WHERE layer_ref = ?1 ORDER BY id")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([layer], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, Vec<u8>>(2)?, r.get(3)?)))
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, kind, bytes, undone) = row.map_err(|e| self.err(e))?;
            let delta = Delta::from_bytes(&bytes)
                .filter(|d| d.fits(dims))
                .ok_or_else(|| self.invalid_layer(layer, &format!("edit {id} is unreadable")))?;
            out.push(StoredEdit { id, kind, delta, undone });
        }
        Ok(out)
    }
}

fn write_slices(tx: &rusqlite::Transaction, layer: i64, map: &LabelMap, delta: &Delta) -> rusqlite::Result<()> {
    for z in delta.slice_indices() {
        if map.slice(z).is_some() {
            tx.execute(
                "INSERT INTO label_slices (layer_ref, z, rle) VALUES (?1, ?2, ?3)
                 ON CONFLICT(layer_ref, z) DO UPDATE SET rle = excluded.rle",
                params![layer, z as i64, map.encode_slice(z)],
            )?;
        } else {
            tx.execute("DELETE FROM label_slices WHERE layer_ref = ?1 AND z = ?2", params![layer, z as i64])?;
        }
    }
    Ok(())
}

/// Writes a label row (new, or replacing the row of its value).
pub(super) fn upsert_label(tx: &rusqlite::Transaction, label: &Label) -> rusqlite::Result<()> {
    let (cv, cs, cm) = label.code.clone().map_or((None, None, None), |(v, s, m)| (Some(v), Some(s), Some(m)));
    tx.execute(
        "INSERT INTO labels (value, name, colour, code_value, code_scheme, code_meaning, visible, locked)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT(value) DO UPDATE SET name = excluded.name, colour = excluded.colour,
             code_value = excluded.code_value, code_scheme = excluded.code_scheme,
             code_meaning = excluded.code_meaning, visible = excluded.visible, locked = excluded.locked",
        params![label.value, label.name, label.colour, cv, cs, cm, label.visible, label.locked],
    )?;
    Ok(())
}
