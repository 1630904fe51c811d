//! Device templates: boxes of burned-in text learnt from a reviewer's approval, keyed on the
//! device and image layout (Manufacturer, Model Name, Rows, Columns, SOP Class), like RSNA CTP's
//! DicomPixelAnonymizer signatures. They can be exported to a file and imported into another
//! project, so a site's reviewed layouts travel with it.

use std::path::Path;

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::audit::append_audit;
use super::text_review::ReviewBox;
use super::time::now_rfc3339;
use super::{Project, ProjectError};

/// The `format` field of a template file, checked on import.
pub const TEMPLATE_FILE_FORMAT: &str = "sumi-device-templates";
pub const TEMPLATE_FILE_VERSION: u32 = 1;

/// One template as stored and as written to a template file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceTemplate {
    pub manufacturer: String,
    pub model: String,
    pub rows: u32,
    pub cols: u32,
    pub sop_class: String,
    pub boxes: Vec<ReviewBox>,
    pub created_by: String,
    pub created_at: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct TemplateFile {
    format: String,
    version: u32,
    exported_at: String,
    templates: Vec<DeviceTemplate>,
}

fn key_of(t: &DeviceTemplate) -> String {
    format!("{}|{}|{}x{}|{}", t.manufacturer, t.model, t.rows, t.cols, t.sop_class)
}

fn invalid(path: &Path, reason: impl Into<String>) -> ProjectError {
    ProjectError::Invalid { path: path.display().to_string(), reason: reason.into() }
}

impl Project {
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
        let t = DeviceTemplate {
            manufacturer: manufacturer.into(),
            model: model.into(),
            rows,
            cols,
            sop_class: sop_class.into(),
            boxes: template.to_vec(),
            created_by: actor.into(),
            created_at: now_rfc3339(),
        };
        let path = self.path.clone();
        let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(wrap)?;
        upsert(&tx, &t).map_err(wrap)?;
        append_audit(&tx, actor, "save-device-template", Some(&key_of(&t)), &serde_json::json!({ "boxes": template }))
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
            .map(|o| o.map(|j| serde_json::from_str(&j).unwrap_or_default()))
            .map_err(|e| self.err(e))
    }

    /// Every template, ordered by device.
    pub fn device_templates(&self) -> Result<Vec<DeviceTemplate>, ProjectError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT manufacturer, model, rows, cols, sop_class, boxes_json, created_by, created_at
                 FROM device_templates ORDER BY manufacturer, model, rows, cols, sop_class",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(DeviceTemplate {
                    manufacturer: r.get(0)?,
                    model: r.get(1)?,
                    rows: r.get(2)?,
                    cols: r.get(3)?,
                    sop_class: r.get(4)?,
                    boxes: serde_json::from_str(&r.get::<_, String>(5)?).unwrap_or_default(),
                    created_by: r.get(6)?,
                    created_at: r.get(7)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Writes every template to `path` (JSON; written to a temporary file, then renamed) and
    /// audits the export. Returns how many were written.
    pub fn export_device_templates(&mut self, path: &Path, actor: &str) -> Result<usize, ProjectError> {
        let templates = self.device_templates()?;
        let n = templates.len();
        let file = TemplateFile {
            format: TEMPLATE_FILE_FORMAT.into(),
            version: TEMPLATE_FILE_VERSION,
            exported_at: now_rfc3339(),
            templates,
        };
        let json = serde_json::to_vec_pretty(&file).expect("templates serialise");
        let tmp = path.with_extension("json.partial");
        std::fs::write(&tmp, json)
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| invalid(path, format!("cannot write: {e}")))?;
        let path_s = path.display().to_string();
        let path = self.path.clone();
        let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(wrap)?;
        append_audit(&tx, actor, "export-device-templates", Some(&path_s), &serde_json::json!({ "count": n }))
            .map_err(wrap)?;
        tx.commit().map_err(wrap)?;
        Ok(n)
    }

    /// Reads a template file and adds its templates, replacing those with the same key; all or
    /// nothing, in one transaction with its audit event. Returns how many were imported.
    pub fn import_device_templates(&mut self, path: &Path, actor: &str) -> Result<usize, ProjectError> {
        let bytes = std::fs::read(path).map_err(|e| invalid(path, format!("cannot read: {e}")))?;
        let file: TemplateFile = serde_json::from_slice(&bytes)
            .map_err(|e| invalid(path, format!("not a sumi device template file: {e}")))?;
        if file.format != TEMPLATE_FILE_FORMAT {
            return Err(invalid(path, format!("format is {:?}, expected {TEMPLATE_FILE_FORMAT:?}", file.format)));
        }
        if file.version > TEMPLATE_FILE_VERSION {
            return Err(invalid(path, format!("version {} is newer than this sumi reads", file.version)));
        }
        for t in &file.templates {
            if let Some(b) = t.boxes.iter().find(|b| b.w == 0 || b.h == 0 || b.x + b.w > t.cols || b.y + b.h > t.rows) {
                let (x, y, w, h) = (b.x, b.y, b.w, b.h);
                return Err(invalid(
                    path,
                    format!("template {}: box [{x}, {y}, {w}, {h}] is outside the image", key_of(t)),
                ));
            }
        }
        let project_path = self.path.clone();
        let wrap = |source| ProjectError::Sqlite { path: project_path.clone(), source };
        let tx = self.conn.transaction().map_err(wrap)?;
        for t in &file.templates {
            upsert(&tx, t).map_err(wrap)?;
        }
        let keys: Vec<String> = file.templates.iter().map(key_of).collect();
        let details = serde_json::json!({ "file": path.display().to_string(), "templates": keys });
        append_audit(&tx, actor, "import-device-templates", None, &details).map_err(wrap)?;
        tx.commit().map_err(wrap)?;
        Ok(file.templates.len())
    }
}

fn upsert(tx: &rusqlite::Transaction, t: &DeviceTemplate) -> rusqlite::Result<usize> {
    let json = serde_json::to_string(&t.boxes).expect("boxes serialise");
    tx.execute(
        "INSERT INTO device_templates (manufacturer, model, rows, cols, sop_class, boxes_json, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT(manufacturer, model, rows, cols, sop_class) DO UPDATE SET boxes_json = excluded.boxes_json,
             created_by = excluded.created_by, created_at = excluded.created_at",
        params![t.manufacturer, t.model, t.rows, t.cols, t.sop_class, json, t.created_by, t.created_at],
    )
}
