//! Grouping instances into Patient → Study → Series for the browser and the database.

use std::collections::BTreeMap;

use serde::Serialize;

use super::meta::InstanceMeta;

#[derive(Debug, Serialize)]
pub struct PatientNode {
    pub patient_id: String,
    pub patient_name: String,
    pub studies: Vec<StudyNode>,
}

#[derive(Debug, Serialize)]
pub struct StudyNode {
    pub study_uid: String,
    pub date: String,
    pub description: String,
    pub accession: String,
    pub series: Vec<SeriesNode>,
}

#[derive(Debug, Serialize)]
pub struct SeriesNode {
    pub series_uid: String,
    pub number: Option<i64>,
    pub modality: String,
    pub description: String,
    /// Indices into the instance list that was grouped.
    pub instances: Vec<usize>,
    pub frames: u64,
}

/// Groups by Patient ID (then name), Study Instance UID and Series Instance UID.
/// Series are ordered by Series Number, studies by date.
pub fn group_instances(instances: &[InstanceMeta]) -> Vec<PatientNode> {
    type Key = (String, String);
    let mut tree: BTreeMap<Key, BTreeMap<String, BTreeMap<String, Vec<usize>>>> = BTreeMap::new();
    for (i, m) in instances.iter().enumerate() {
        let pkey = (m.patient_id.clone().unwrap_or_default(), m.patient_name.clone().unwrap_or_default());
        tree.entry(pkey)
            .or_default()
            .entry(m.study_uid.clone())
            .or_default()
            .entry(m.series_uid.clone())
            .or_default()
            .push(i);
    }
    tree.into_iter()
        .map(|((patient_id, patient_name), studies)| {
            let mut studies: Vec<StudyNode> = studies
                .into_iter()
                .map(|(study_uid, series)| {
                    let first = &instances[*series.values().next().and_then(|v| v.first()).unwrap_or(&0)];
                    let mut series: Vec<SeriesNode> =
                        series.into_iter().map(|(series_uid, idx)| series_node(instances, series_uid, idx)).collect();
                    series.sort_by_key(|s| (s.number.unwrap_or(i64::MAX), s.series_uid.clone()));
                    StudyNode {
                        study_uid,
                        date: first.study_date.clone().unwrap_or_default(),
                        description: first.study_description.clone().unwrap_or_default(),
                        accession: first.accession_number.clone().unwrap_or_default(),
                        series,
                    }
                })
                .collect();
            studies.sort_by(|a, b| (&a.date, &a.study_uid).cmp(&(&b.date, &b.study_uid)));
            PatientNode { patient_id, patient_name, studies }
        })
        .collect()
}

fn series_node(instances: &[InstanceMeta], series_uid: String, idx: Vec<usize>) -> SeriesNode {
    let first = &instances[idx[0]];
    SeriesNode {
        series_uid,
        number: first.series_number,
        modality: first.modality.clone().unwrap_or_default(),
        description: first.series_description.clone().unwrap_or_default(),
        frames: idx.iter().map(|&i| u64::from(instances[i].frames())).sum(),
        instances: idx,
    }
}
