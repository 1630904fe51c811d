//! Filling the burned-in text review queue: which instances need a look, and what to propose
//! for them (detector boxes, faces on photographs, full masks for slide labels, plus the boxes of
//! a device template learnt from earlier approvals).

use rayon::prelude::*;

use crate::dicom::decode::decode_opened;
use crate::dicom::{InstanceMeta, open_dicom};
use crate::project::text_review::{FaceMask, ReviewBox, risk};
use crate::project::{Project, ProjectError};

use super::nontext::{face_boxes, is_photo, slide_label_mask};
use super::text::{TextBox, detect_frames, header_hints, to_luma};

/// Image kinds that must be reviewed whatever the detector says (the list): ultrasound,
/// secondary capture, other, external camera, endoscopy, general microscopy / visible light,
/// whole-slide label and overview images, and anything declaring Burned In Annotation = YES.
pub fn needs_text_review(m: &InstanceMeta) -> bool {
    let modality = m.modality.as_deref().unwrap_or("");
    matches!(modality, "US" | "SC" | "OT" | "XC" | "ES" | "GM" | "VL" | "IVUS")
        || m.burned_in_annotation.as_deref() == Some("YES")
        || m.sop_class_uid.starts_with("1.2.840.10008.5.1.4.1.1.7") // secondary capture family
        || m.sop_class_uid.starts_with("1.2.840.10008.5.1.4.1.1.77.1") // VL family, incl. WSI
}

pub fn to_review_box(b: &TextBox) -> ReviewBox {
    ReviewBox {
        x: b.x,
        y: b.y,
        w: b.w,
        h: b.h,
        first_frame: b.frames.0,
        last_frame: b.frames.1,
        score: b.score,
        reason: b.reason.clone(),
    }
}

#[derive(Debug, Default, serde::Serialize)]
pub struct ProposalSummary {
    pub examined: usize,
    pub queued: usize,
    pub with_text: usize,
    /// Photographs with at least one face proposed.
    pub with_faces: usize,
    /// Whole-slide labels and overviews proposed for a full mask.
    pub full_masks: usize,
    pub from_template: usize,
    pub failed: Vec<String>,
}

/// What the pixels of one instance gave: text boxes, and face boxes on photographs.
struct Found {
    text: Vec<TextBox>,
    faces: Vec<ReviewBox>,
}

/// Decodes an instance once and runs the text detector on every frame and, on photographs, the
/// face detector on frame 0.
fn examine(m: &InstanceMeta, mask: FaceMask) -> Result<Found, String> {
    let file = open_dicom(&m.path, false).map_err(|e| e.to_string())?;
    let hints = header_hints(&file.obj);
    let decoded = decode_opened(&file).map_err(|e| e.to_string())?;
    drop(file);
    let luma = to_luma(&decoded);
    drop(decoded);
    let faces = if is_photo(m) { face_boxes(&luma, mask) } else { Vec::new() };
    Ok(Found { text: detect_frames(&luma, &hints.regions), faces })
}

/// Runs the detectors on every image instance (in parallel) and queues those that need review or
/// where something was found. Faces and slide labels are identifiers (the guideline's words: a
/// face photograph identifies on its own), so they rank with PHI matches at the top. Decisions
/// already taken are never overwritten.
pub fn propose_for_project(project: &mut Project, metas: &[InstanceMeta]) -> Result<ProposalSummary, ProjectError> {
    let mask = project.face_mask()?;
    let images: Vec<&InstanceMeta> = metas.iter().filter(|m| m.image.is_some()).collect();
    let detections: Vec<(&InstanceMeta, Result<Found, String>)> =
        images.par_iter().map(|m| (*m, examine(m, mask))).collect();
    let mut summary = ProposalSummary { examined: images.len(), ..Default::default() };
    for (m, found) in detections {
        // A slide label is masked from its header alone, even when its pixels cannot be decoded.
        let full_mask = slide_label_mask(m);
        let Found { text: found, faces } = match found {
            Ok(f) => f,
            Err(e) if full_mask.is_some() => {
                summary.failed.push(e);
                Found { text: Vec::new(), faces: Vec::new() }
            }
            Err(e) => {
                summary.failed.push(e);
                continue;
            }
        };
        let mut boxes: Vec<ReviewBox> = found.iter().map(to_review_box).collect();
        let identifiers = faces.len() + usize::from(full_mask.is_some());
        summary.with_faces += usize::from(!faces.is_empty());
        summary.full_masks += usize::from(full_mask.is_some());
        boxes.extend(faces);
        boxes.extend(full_mask);
        let image = m.image.as_ref().expect("filtered on images");
        let template = project.device_template(
            m.manufacturer.as_deref().unwrap_or(""),
            m.model_name.as_deref().unwrap_or(""),
            image.rows,
            image.cols,
            &m.sop_class_uid,
        )?;
        let from_template = template.is_some_and(|t| {
            boxes.extend(t.into_iter().map(|b| ReviewBox { reason: "template".into(), ..b }));
            true
        });
        if !needs_text_review(m) && boxes.is_empty() {
            continue;
        }
        let must = needs_text_review(m);
        let level = if identifiers > 0 {
            risk::PHI_MATCH
        } else if !found.is_empty() && must {
            risk::TEXT
        } else if !found.is_empty() {
            risk::TEXT_UNEXPECTED
        } else if from_template {
            risk::TEMPLATE
        } else {
            risk::NONE
        };
        project.propose_text_boxes(&m.sop_instance_uid, &boxes, level)?;
        summary.queued += 1;
        summary.with_text += usize::from(!found.is_empty());
        summary.from_template += usize::from(from_template);
    }
    Ok(summary)
}
