//! The browser tree from the project index (patient → study → series with counts), read with one
//! grouped query instead of rescanning the files: what a browser needs to list a large project.

use rusqlite::params;
use serde::Serialize;

use super::{Project, ProjectError};

/// One series row of the tree, with its patient and study.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TreeSeries {
    pub patient_id: String,
    pub patient_name: String,
    pub study_uid: String,
    pub study_date: Option<String>,
    pub study_description: Option<String>,
    pub series_uid: String,
    pub modality: Option<String>,
    pub number: Option<i64>,
    pub description: Option<String>,
    pub instances: i64,
    pub frames: i64,
}

impl Project {
    /// Every series that holds an instance, ordered by patient, study date and series number.
    pub fn series_tree(&self) -> Result<Vec<TreeSeries>, ProjectError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT p.patient_id, p.patient_name, st.study_uid, st.study_date, st.description,
                        se.series_uid, se.modality, se.number, se.description,
                        count(i.id), coalesce(sum(coalesce(i.frames, 1)), 0)
                 FROM series se
                 JOIN studies st ON st.id = se.study_ref
                 JOIN patients p ON p.id = st.patient_ref
                 JOIN instances i ON i.series_ref = se.id
                 GROUP BY se.id
                 ORDER BY p.patient_name, p.patient_id, st.study_date, st.study_uid, se.number, se.series_uid",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![], |r| {
                Ok(TreeSeries {
                    patient_id: r.get(0)?,
                    patient_name: r.get(1)?,
                    study_uid: r.get(2)?,
                    study_date: r.get(3)?,
                    study_description: r.get(4)?,
                    series_uid: r.get(5)?,
                    modality: r.get(6)?,
                    number: r.get(7)?,
                    description: r.get(8)?,
                    instances: r.get(9)?,
                    frames: r.get(10)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
}
