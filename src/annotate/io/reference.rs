//! The reference series a label map lies on: its grid, the source instance of each slice (for
//! SEG references and frame matching) and the patient/study elements a derived object copies.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::mem::InMemElement;
use nalgebra::Vector3;

use super::LabelIoError;
use crate::dicom::{InstanceMeta, group_instances, open_dicom, scan_paths};
use crate::volume::{Geometry, SeriesKind, plan_series};

/// The source of one slice of the reference grid.
#[derive(Debug, Clone, PartialEq)]
pub struct SliceSource {
    pub sop_class_uid: String,
    pub sop_instance_uid: String,
    /// 1-based frame number inside a multi-frame source; `None` for single-frame instances.
    pub frame: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct ReferenceSeries {
    /// The folder (or file) the series was read from, for messages.
    pub path: PathBuf,
    pub geometry: Geometry,
    /// One entry per slice along k; `None` where the series has a gap.
    pub slices: Vec<Option<SliceSource>>,
    pub study_uid: String,
    pub series_uid: String,
    pub series_number: Option<i64>,
    pub frame_of_reference_uid: Option<String>,
    pub slice_thickness: Option<f64>,
    /// Patient, study and frame-of-reference elements of the first instance, as stored.
    pub copied: Vec<InMemElement>,
}

/// Elements a derived object (SEG) carries over from its source: Patient, General Study,
/// Patient Study, Frame of Reference and the de-identification record (the caller de-identifies
/// the output later, so these are the source's values).
const COPIED: [Tag; 20] = [
    tags::PATIENT_NAME,
    tags::PATIENT_ID,
    tags::ISSUER_OF_PATIENT_ID,
    tags::PATIENT_BIRTH_DATE,
    tags::PATIENT_SEX,
    tags::PATIENT_AGE,
    tags::PATIENT_SIZE,
    tags::PATIENT_WEIGHT,
    tags::PATIENT_IDENTITY_REMOVED,
    tags::DEIDENTIFICATION_METHOD,
    tags::STUDY_INSTANCE_UID,
    tags::STUDY_DATE,
    tags::STUDY_TIME,
    tags::REFERRING_PHYSICIAN_NAME,
    tags::STUDY_ID,
    tags::ACCESSION_NUMBER,
    tags::STUDY_DESCRIPTION,
    tags::FRAME_OF_REFERENCE_UID,
    tags::POSITION_REFERENCE_INDICATOR,
    tags::BODY_PART_EXAMINED,
];

impl ReferenceSeries {
    /// The largest spatial series (most frames) under `path`, a folder or a file.
    pub fn load(path: &Path) -> Result<ReferenceSeries, LabelIoError> {
        let fail = |reason: String| LabelIoError::invalid(path, reason);
        if !path.exists() {
            return Err(fail("no such folder or file".into()));
        }
        let scan = scan_paths(&[path.to_path_buf()], &|_, _| {});
        let tree = group_instances(&scan.instances);
        let mut series: Vec<_> = tree.iter().flat_map(|p| &p.studies).flat_map(|s| &s.series).collect();
        series.sort_by_key(|s| std::cmp::Reverse(s.frames));
        for s in series {
            let metas: Vec<&InstanceMeta> = s.instances.iter().map(|&i| &scan.instances[i]).collect();
            if let Some(r) = ReferenceSeries::from_instances(path, &metas)? {
                return Ok(r);
            }
        }
        Err(fail("no DICOM series with a slice geometry (Image Position and Orientation)".into()))
    }

    /// The reference made of one series' instances (as scanned or indexed in a project); None
    /// when they hold no slice geometry. `path` names the source in errors.
    pub fn from_instances(path: &Path, instances: &[&InstanceMeta]) -> Result<Option<ReferenceSeries>, LabelIoError> {
        // A SEG (or other derived multi-frame object) stored beside its source is not a reference.
        let metas: Vec<&InstanceMeta> =
            instances.iter().copied().filter(|m| m.sop_class_uid != super::seg_attrs::SEGMENTATION_STORAGE).collect();
        if metas.is_empty() {
            return Ok(None);
        }
        let Ok(plan) = plan_series(&metas) else { return Ok(None) };
        if plan.kind != SeriesKind::Volume {
            return Ok(None);
        }
        let by_path: HashMap<&Path, &InstanceMeta> = metas.iter().map(|m| (m.path.as_path(), *m)).collect();
        let kept: Vec<&InstanceMeta> = plan.paths.iter().map(|p| by_path[p.as_path()]).collect();
        let slices = plan
            .slices
            .iter()
            .map(|f| {
                f.map(|f| {
                    let m = kept[f.instance];
                    let frames = m.image.as_ref().map_or(1, |i| i.frames);
                    SliceSource {
                        sop_class_uid: m.sop_class_uid.clone(),
                        sop_instance_uid: m.sop_instance_uid.clone(),
                        frame: (frames > 1).then_some(f.frame + 1),
                    }
                })
            })
            .collect();
        let first = kept[0];
        let header = open_dicom(&first.path, true)?;
        let copied = COPIED.iter().filter_map(|&t| header.obj.get(t).cloned()).collect();
        Ok(Some(ReferenceSeries {
            path: path.to_path_buf(),
            geometry: plan.geometry,
            slices,
            study_uid: first.study_uid.clone(),
            series_uid: first.series_uid.clone(),
            series_number: first.series_number,
            frame_of_reference_uid: first.frame_of_reference_uid.clone(),
            slice_thickness: first.image.as_ref().and_then(|i| i.slice_thickness),
            copied,
        }))
    }

    /// Unit normal of the slices (row × column direction).
    pub fn normal(&self) -> Vector3<f64> {
        self.geometry.direction(0).cross(&self.geometry.direction(1)).normalize()
    }

    /// Distance between slice planes along the normal, mm.
    pub fn slice_step(&self) -> f64 {
        self.geometry.axes.column(2).dot(&self.normal()).abs()
    }

    /// Slice index of each (SOP Instance UID, frame) the series holds.
    pub fn slice_by_instance(&self) -> HashMap<(&str, Option<u32>), usize> {
        self.slices
            .iter()
            .enumerate()
            .filter_map(|(k, s)| s.as_ref().map(|s| ((s.sop_instance_uid.as_str(), s.frame), k)))
            .collect()
    }
}
