//! Annotation layers of the exported series, for the pre-flight (approved before they leave).

use std::collections::HashMap;

use crate::project::{Project, ProjectError};

use super::select::Item;

/// (layer id, project series id, status) of every label layer on a selected series.
pub fn layer_states(project: &Project, items: &[Item]) -> Result<Vec<(i64, i64, String)>, ProjectError> {
    let series: HashMap<&str, i64> = items.iter().map(|i| (i.meta.series_uid.as_str(), i.series_id)).collect();
    let mut stmt = project
        .conn
        .prepare("SELECT id, series_uid, status FROM label_layers ORDER BY id")
        .map_err(|e| project.err(e))?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))
        .map_err(|e| project.err(e))?;
    let mut out = Vec::new();
    for row in rows {
        let (id, uid, status) = row.map_err(|e| project.err(e))?;
        if let Some(&s) = series.get(uid.as_str()) {
            out.push((id, s, status));
        }
    }
    Ok(out)
}
