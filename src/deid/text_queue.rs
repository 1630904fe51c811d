//! Filling the burned-in text review queue: which instances need a look, and what to propose
//! for them (detector boxes, plus the boxes of a device template learnt from earlier approvals).

use rayon::prelude::*;

use crate::dicom::InstanceMeta;
use crate::project::text_review::{ReviewBox, risk};
use crate::project::{Project, ProjectError};

use super::text::{TextBox, detect_file};

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
    pub from_template: usize,
    pub failed: Vec<String>,
}

/// Runs the detector on every image instance (in parallel) and queues those that need review or
/// where text was found. Decisions already taken are never overwritten.
pub fn propose_for_project(project: &mut Project, metas: &[InstanceMeta]) -> Result<ProposalSummary, ProjectError> {
    let images: Vec<&InstanceMeta> = metas.iter().filter(|m| m.image.is_some()).collect();
    let detections: Vec<(&InstanceMeta, Result<Vec<TextBox>, String>)> =
        images.par_iter().map(|m| (*m, detect_file(&m.path).map(|d| d.boxes).map_err(|e| e.to_string()))).collect();
    let mut summary = ProposalSummary { examined: images.len(), ..Default::default() };
    for (m, found) in detections {
        let found = match found {
            Ok(b) => b,
            Err(e) => {
                summary.failed.push(e);
                continue;
            }
        };
        let mut boxes: Vec<ReviewBox> = found.iter().map(to_review_box).collect();
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
        let level = if !found.is_empty() && must {
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
