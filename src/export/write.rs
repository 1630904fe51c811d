//! Writing one source instance into the export: the profile, the reviewed boxes filled, defaced
//! voxels set to air, and Burned In Annotation set once a reviewer has looked; DICOM through the
//! de-identification engine, PNG/JPEG/TIFF through the image cleaner.

use std::path::Path;

use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, InMemDicomObject};

use crate::deid::foreign::{ForeignOutput, ScOptions, write_clean_foreign};
use crate::deid::pixels::{PixelBox, clean_pixels};
use crate::deid::profile::PatientIdMode;
use crate::deid::{Deidentifier, FileEdits, deidentify_file_to};
use crate::dicom::foreign::ForeignKind;
use crate::project::ForeignImageOutput;
use crate::project::text_review::ReviewStatus;

use super::layout::Slot;
use super::manifest::{Decision, ManifestFile, sha256_file};
use super::select::Item;

/// What every instance's writer shares.
pub struct Writer<'a> {
    pub root: &'a Path,
    pub deid: &'a Deidentifier<'a>,
    pub foreign: ForeignImageOutput,
    /// Approved defacing per instance (see `deface::approved_masks`).
    pub deface: &'a super::deface::DefaceMasks,
}

fn pixel_boxes(item: &Item) -> Vec<PixelBox> {
    item.text
        .boxes
        .iter()
        .map(|b| PixelBox { x: b.x, y: b.y, w: b.w, h: b.h, first_frame: b.first_frame, last_frame: b.last_frame })
        .collect()
}

fn text_decision(item: &Item) -> Option<Decision> {
    let status = item.text.status?;
    Some(Decision {
        status: serde_json::to_value(status).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
        reviewer: item.text.reviewer.clone(),
        decided_at: item.text.decided_at.clone(),
        count: item.text.boxes.len() as u64,
    })
}

pub(super) fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

impl Writer<'_> {
    /// Writes `item` at `slot` and returns its manifest entry. Errors name the source file.
    pub fn write(&self, item: &Item, slot: Slot) -> Result<ManifestFile, String> {
        // Pending or flagged proposals that a supervisor let through are still filled: masking
        // what the detector found is the safe side.
        let boxes = pixel_boxes(item);
        let reviewed = item.text.status == Some(ReviewStatus::Approved);
        // Foreign images are indexed with their MIME type as "transfer syntax" (a DICOM file's
        // preamble may itself look like a TIFF header, so its first bytes do not decide).
        let (output, kind, pixels) = match ForeignKind::from_mime(&item.meta.transfer_syntax) {
            Some(kind) => self.write_foreign(item, slot, kind, &boxes, reviewed)?,
            None => self.write_dicom(item, slot, &boxes, reviewed)?,
        };
        let (sha256, bytes) = sha256_file(&output).map_err(|e| format!("{}: cannot hash: {e}", output.display()))?;
        Ok(ManifestFile {
            path: relative(self.root, &output),
            sha256,
            bytes,
            kind,
            source_instance: Some(item.instance_id),
            source_series: Some(item.series_id),
            source_study: Some(item.study_id),
            pixels,
            text_review: text_decision(item),
            defacing: self.deface.get(&item.instance_id).map(|d| d.decision.clone()),
            annotation: None,
        })
    }

    fn write_dicom(
        &self,
        item: &Item,
        slot: Slot,
        boxes: &[PixelBox],
        reviewed: bool,
    ) -> Result<(std::path::PathBuf, String, String), String> {
        let deface = self.deface.get(&item.instance_id);
        let fill = |obj: &mut DefaultDicomObject| {
            if !boxes.is_empty() {
                clean_pixels(obj, boxes).map_err(|e| e.to_string())?;
            }
            if let Some(d) = deface {
                crate::deid::pixels::deface_pixels(obj, &d.frames, d.air).map_err(|e| e.to_string())?;
                obj.put(DataElement::new(tags::RECOGNIZABLE_VISUAL_FEATURES, VR::CS, PrimitiveValue::from("NO")));
            }
            Ok(())
        };
        let mark_reviewed = |obj: &mut InMemDicomObject| {
            obj.put(DataElement::new(tags::BURNED_IN_ANNOTATION, VR::CS, PrimitiveValue::from("NO")));
        };
        let edits = FileEdits {
            pixels: if boxes.is_empty() && deface.is_none() { None } else { Some(&fill) },
            header: if reviewed { Some(&mark_reviewed) } else { None },
        };
        let place = |obj: &InMemDicomObject| {
            let pseudonym = obj
                .get(tags::PATIENT_ID)
                .and_then(|e| e.to_str().ok())
                .map(|s| s.trim_end_matches(['\0', ' ']).to_string())
                .unwrap_or_default();
            self.root.join(slot.path(&pseudonym, "dcm"))
        };
        let r = deidentify_file_to(&item.meta.path, self.deid, edits, &place).map_err(|e| e.to_string())?;
        let pixels = match (boxes.is_empty(), deface.is_some()) {
            (_, true) => "defaced",
            (false, false) => "boxes filled",
            (true, false) => "copied",
        };
        Ok((r.output, "dicom".into(), pixels.into()))
    }

    fn write_foreign(
        &self,
        item: &Item,
        slot: Slot,
        kind: ForeignKind,
        boxes: &[PixelBox],
        reviewed: bool,
    ) -> Result<(std::path::PathBuf, String, String), String> {
        let vault = self.deid.vault;
        let profile = self.deid.profile;
        let pseudonym = match profile.patient_id {
            PatientIdMode::Table => String::new(),
            _ => {
                let original = item.meta.patient_id.clone().unwrap_or_else(|| "(no patient id)".into());
                vault.patient(&original).map_err(|e| e.to_string())?.pseudonym
            }
        };
        let uid = |u: &str| vault.map_uid(u).map_err(|e| e.to_string());
        let sc = ScOptions {
            patient_name: pseudonym.clone(),
            patient_id: pseudonym.clone(),
            reviewed,
            study_uid: Some(uid(&item.meta.study_uid)?),
            series_uid: Some(uid(&item.meta.series_uid)?),
        };
        let output = ForeignOutput::for_project(self.foreign, sc);
        let (ext, file_kind) = match output {
            ForeignOutput::Native => (native_extension(kind), "image"),
            ForeignOutput::SecondaryCapture(_) => ("dcm", "dicom"),
        };
        let out = self.root.join(slot.path(&pseudonym, ext));
        let report = write_clean_foreign(&item.meta.path, boxes, &out, &output).map_err(|e| e.to_string())?;
        let pixels = match (report.boxes, report.reencoded) {
            (0, false) => "copied",
            (0, true) => "re-encoded",
            _ => "boxes filled",
        };
        Ok((out, file_kind.into(), pixels.into()))
    }
}

fn native_extension(kind: ForeignKind) -> &'static str {
    match kind {
        ForeignKind::Png => "png",
        ForeignKind::Jpeg => "jpg",
        ForeignKind::Tiff => "tif",
    }
}
