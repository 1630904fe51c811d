//! What an export covers: the project's instances in the chosen studies, with everything the
//! pre-flight and the writer need to know about each (its review state, its place in the layout).

use crate::dicom::InstanceMeta;
use crate::project::text_review::{ReviewBox, ReviewStatus};
use crate::project::{Project, ProjectError};

/// What to export: every study of the project, or the studies and series named (by Study /
/// Series Instance UID or by project id). A series named alone brings only itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub studies: Vec<String>,
    pub series: Vec<String>,
}

impl Selection {
    pub fn is_all(&self) -> bool {
        self.studies.is_empty() && self.series.is_empty()
    }
}

fn names(list: &[String], uid: &str, id: i64) -> bool {
    list.iter().any(|s| s == uid || s.parse::<i64>().ok() == Some(id))
}

/// The burned-in text review of an instance, as the export sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct TextState {
    /// The detector has looked at the pixels (`text_scans`).
    pub examined: bool,
    pub status: Option<ReviewStatus>,
    pub boxes: Vec<ReviewBox>,
    pub reviewer: Option<String>,
    pub decided_at: Option<String>,
}

/// One source instance to export.
#[derive(Debug, Clone)]
pub struct Item {
    /// Project ids: used in the manifest instead of anything identifying.
    pub instance_id: i64,
    pub series_id: i64,
    pub study_id: i64,
    pub patient_id: i64,
    pub meta: InstanceMeta,
    pub text: TextState,
}

impl Item {
    pub fn is_image(&self) -> bool {
        self.meta.image.is_some()
    }
}

const QUERY: &str = "
    SELECT i.id, s.id, st.id, st.patient_ref, i.meta_json,
           ts.instance_ref IS NOT NULL, r.status, r.boxes_json, r.reviewer, r.decided_at, st.study_uid
    FROM instances i
    JOIN series s ON s.id = i.series_ref
    JOIN studies st ON st.id = s.study_ref
    LEFT JOIN text_scans ts ON ts.instance_ref = i.id
    LEFT JOIN text_reviews r ON r.instance_ref = i.id
    ORDER BY st.patient_ref, st.study_date, st.id, s.number, s.id, i.instance_number, i.id";

/// The selected instances in export order (patient, study date, series number, instance number).
pub fn selected_items(project: &Project, selection: &Selection) -> Result<Vec<Item>, ProjectError> {
    let mut stmt = project.conn.prepare(QUERY).map_err(|e| project.err(e))?;
    let rows = stmt
        .query_map([], |r| {
            let meta_json: String = r.get(4)?;
            let status: Option<String> = r.get(6)?;
            let boxes: Option<String> = r.get(7)?;
            Ok((
                Item {
                    instance_id: r.get(0)?,
                    series_id: r.get(1)?,
                    study_id: r.get(2)?,
                    patient_id: r.get(3)?,
                    meta: serde_json::from_str(&meta_json).map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, Box::new(e))
                    })?,
                    text: TextState {
                        examined: r.get(5)?,
                        status: status.as_deref().map(parse_status),
                        boxes: boxes.and_then(|b| serde_json::from_str(&b).ok()).unwrap_or_default(),
                        reviewer: r.get(8)?,
                        decided_at: r.get(9)?,
                    },
                },
                r.get::<_, String>(10)?,
            ))
        })
        .map_err(|e| project.err(e))?;
    let mut items = Vec::new();
    for row in rows {
        let (item, study_uid) = row.map_err(|e| project.err(e))?;
        let chosen = selection.is_all()
            || names(&selection.studies, &study_uid, item.study_id)
            || names(&selection.series, &item.meta.series_uid, item.series_id);
        if chosen {
            items.push(item);
        }
    }
    let missing = selection
        .studies
        .iter()
        .find(|s| !items.iter().any(|i| names(std::slice::from_ref(s), &i.meta.study_uid, i.study_id)))
        .map(|s| format!("study {s}"))
        .or_else(|| {
            selection
                .series
                .iter()
                .find(|s| !items.iter().any(|i| names(std::slice::from_ref(s), &i.meta.series_uid, i.series_id)))
                .map(|s| format!("series {s}"))
        });
    if let Some(m) = missing {
        return Err(ProjectError::Invalid { path: project.path.clone(), reason: format!("{m} is not in the project") });
    }
    Ok(items)
}

fn parse_status(s: &str) -> ReviewStatus {
    match s {
        "approved" => ReviewStatus::Approved,
        "flagged" => ReviewStatus::Flagged,
        _ => ReviewStatus::Pending,
    }
}
