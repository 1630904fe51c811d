//! What the verifier knows about the sources: identifying values (from the project's index and
//! one source header per series, read here with a fixed list of attributes, not the profile's),
//! every source UID, and per source instance its path and reviewed boxes.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use dicom_core::Tag;
use dicom_dictionary_std::tags;

use crate::deid::Vault;
use crate::dicom::{InstanceMeta, open_dicom};
use crate::project::text_review::ReviewBox;
use crate::project::{Project, ProjectError};

use super::needles::NeedleSet;

/// Identifying attributes read from source headers: (tag, field name, how to match).
#[derive(Clone, Copy)]
enum Form {
    Name,
    Text,
    Address,
    Phone,
    Date,
}

const IDENTIFYING: &[(Tag, &str, Form)] = &[
    (tags::PATIENT_NAME, "Patient's Name", Form::Name),
    (tags::PATIENT_ID, "Patient ID", Form::Text),
    (Tag(0x0010, 0x1000), "Other Patient IDs", Form::Text),
    (tags::OTHER_PATIENT_NAMES, "Other Patient Names", Form::Name),
    (tags::PATIENT_BIRTH_NAME, "Patient's Birth Name", Form::Name),
    (tags::PATIENT_MOTHER_BIRTH_NAME, "Patient's Mother's Birth Name", Form::Name),
    (tags::PATIENT_BIRTH_DATE, "Patient's Birth Date", Form::Date),
    (tags::PATIENT_ADDRESS, "Patient's Address", Form::Address),
    (tags::PATIENT_TELEPHONE_NUMBERS, "Patient's Telephone Numbers", Form::Phone),
    (Tag(0x0010, 0x1090), "Medical Record Locator", Form::Text),
    (tags::ACCESSION_NUMBER, "Accession Number", Form::Text),
    (tags::INSTITUTION_NAME, "Institution Name", Form::Text),
    (tags::INSTITUTION_ADDRESS, "Institution Address", Form::Address),
    (tags::REFERRING_PHYSICIAN_NAME, "Referring Physician's Name", Form::Name),
    (tags::REFERRING_PHYSICIAN_ADDRESS, "Referring Physician's Address", Form::Address),
    (tags::REFERRING_PHYSICIAN_TELEPHONE_NUMBERS, "Referring Physician's Telephone Numbers", Form::Phone),
    (tags::PERFORMING_PHYSICIAN_NAME, "Performing Physician's Name", Form::Name),
    (tags::NAME_OF_PHYSICIANS_READING_STUDY, "Name of Physician(s) Reading Study", Form::Name),
    (tags::PHYSICIANS_OF_RECORD, "Physician(s) of Record", Form::Name),
    (tags::OPERATORS_NAME, "Operators' Name", Form::Name),
    (tags::REQUESTING_PHYSICIAN, "Requesting Physician", Form::Name),
    (tags::ISSUER_OF_PATIENT_ID, "Issuer of Patient ID", Form::Text),
];

fn add(set: &mut NeedleSet, field: &'static str, form: Form, value: &str) {
    match form {
        Form::Name => set.add_name(field, value),
        Form::Text => set.add_text(field, value),
        Form::Address => set.add_address(field, value),
        Form::Phone => set.add_phone(field, value),
        Form::Date => set.add_date(field, value),
    }
}

/// Per frame a rows×cols mask (1 = must be air), and the air value in modality units.
pub type FaceRegion = (Vec<(usize, Vec<u8>)>, f64);

/// One source instance, for the per-file checks.
#[derive(Debug, Clone)]
pub struct SourceInstance {
    pub path: PathBuf,
    pub boxes: Vec<ReviewBox>,
    /// The approved defacing of this instance: per frame a rows×cols mask (1 = must be air), and
    /// the air value in modality units.
    pub deface: Option<FaceRegion>,
}

#[derive(Debug, Default)]
pub struct Sources {
    pub needles: NeedleSet,
    pub uids: HashSet<String>,
    pub instances: HashMap<i64, SourceInstance>,
}

impl Sources {
    /// From the project's index and source headers.
    pub fn from_project(project: &Project) -> Result<Sources, ProjectError> {
        let mut s = Sources::default();
        let mut stmt = project
            .conn
            .prepare(
                "SELECT i.id, i.path, i.meta_json, r.boxes_json, s.id FROM instances i
                 JOIN series s ON s.id = i.series_ref LEFT JOIN text_reviews r ON r.instance_ref = i.id ORDER BY i.id",
            )
            .map_err(|e| project.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .map_err(|e| project.err(e))?;
        let mut first_of_series: HashMap<i64, PathBuf> = HashMap::new();
        for row in rows {
            let (id, path, meta, boxes, series) = row.map_err(|e| project.err(e))?;
            if let Ok(m) = serde_json::from_str::<InstanceMeta>(&meta) {
                s.uids.extend([m.sop_instance_uid.clone(), m.series_uid.clone(), m.study_uid.clone()]);
                s.uids.extend(m.frame_of_reference_uid.clone());
                add_meta(&mut s.needles, &m);
            }
            first_of_series.entry(series).or_insert_with(|| PathBuf::from(&path));
            let boxes = boxes.and_then(|b| serde_json::from_str(&b).ok()).unwrap_or_default();
            s.instances.insert(id, SourceInstance { path: PathBuf::from(path), boxes, deface: None });
        }
        // The reviewer-approved defacing regions (decisions, like the boxes above).
        let items = crate::export::selected_items(project, &crate::export::Selection::default())?;
        let masks = crate::export::approved_deface_masks(project, &items)
            .map_err(|reason| ProjectError::Invalid { path: project.path.clone(), reason })?;
        for (id, d) in masks {
            if let Some(inst) = s.instances.get_mut(&id) {
                inst.deface = Some((d.frames, d.air));
            }
        }
        for path in first_of_series.values() {
            s.add_header(path);
        }
        Ok(s)
    }

    /// The identifying attributes of one source header (unreadable sources are skipped: the
    /// project's index still supplies names, IDs and dates).
    fn add_header(&mut self, path: &std::path::Path) {
        let Ok(file) = open_dicom(path, true) else { return };
        for (tag, field, form) in IDENTIFYING {
            if let Some(v) = file.obj.get(*tag).and_then(|e| e.to_str().ok()) {
                add(&mut self.needles, field, *form, v.trim_end_matches(['\0', ' ']));
            }
        }
    }

    /// Original patient IDs and UIDs held in the key vault.
    pub fn add_vault(&mut self, vault: &Vault) -> Result<(), crate::deid::vault::VaultError> {
        let (ids, uids) = vault.originals()?;
        for id in ids {
            self.needles.add_text("Patient ID (vault)", &id);
        }
        self.uids.extend(uids);
        Ok(())
    }
}

fn add_meta(set: &mut NeedleSet, m: &InstanceMeta) {
    if let Some(v) = &m.patient_name {
        set.add_name("Patient's Name", v);
    }
    if let Some(v) = &m.patient_id {
        set.add_text("Patient ID", v);
    }
    if let Some(v) = &m.patient_birth_date {
        set.add_date("Patient's Birth Date", v);
    }
    if let Some(v) = &m.accession_number {
        set.add_text("Accession Number", v);
    }
}
