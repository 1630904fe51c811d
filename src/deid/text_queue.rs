//! Filling the burned-in text review queue: which instances need a look, and what to propose
//! for them (detector boxes, faces on photographs, full masks for slide labels, plus the boxes of
//! a device template learnt from earlier approvals).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::dicom::InstanceMeta;
use crate::project::text_review::{ReviewBox, risk};
use crate::project::{FaceMask, Project, ProjectError};

use super::nontext::{face_boxes, is_photo, slide_label_mask};
use super::text::{DetectOptions, FileDetection, TextBox, detect_file_and_pixels, ocr_ready};

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
        ocr_text: b.ocr_text.clone(),
        class: b.class.map(|c| c.kind().to_string()),
        phi_field: b.class.and_then(|c| c.phi_field()).map(str::to_string),
    }
}

/// How to fill the queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProposeOptions {
    /// Read the boxes with OCR and put instances whose text shows header PHI first. Asked for
    /// where OCR cannot run, detection goes on without it and the summary says why.
    pub ocr: bool,
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
    /// Instances with a box whose OCR text matched header PHI.
    pub phi_matches: usize,
    pub failed: Vec<String>,
    /// Why OCR did not run (once for all files), or failed on a file.
    pub ocr_errors: Vec<String>,
    /// The user stopped the run before every image was examined: nothing was written.
    pub cancelled: bool,
}

/// What the pixels of one instance gave: the text detection, and face boxes on photographs.
struct Examined {
    detection: FileDetection,
    faces: Vec<ReviewBox>,
}

/// Decodes an instance once for the text detector (every frame) and, on photographs, the face
/// detector (frame 0).
fn examine(m: &InstanceMeta, options: DetectOptions, mask: FaceMask) -> Result<Examined, String> {
    let (detection, luma) = detect_file_and_pixels(&m.path, options).map_err(|e| e.to_string())?;
    let faces = if is_photo(m) { face_boxes(&luma, mask) } else { Vec::new() };
    Ok(Examined { detection, faces })
}

/// Runs the detectors on every image instance (in parallel) and queues those that need review or
/// where something was found. Faces and slide labels are identifiers on their own (the
/// guideline puts a face photograph beside the name), so they rank with PHI matches at the top.
/// Decisions already taken are never overwritten.
pub fn propose_for_project(
    project: &mut Project,
    metas: &[InstanceMeta],
    options: ProposeOptions,
) -> Result<ProposalSummary, ProjectError> {
    propose_for_project_with(project, metas, options, &|_, _| {}, &AtomicBool::new(false))
}

/// As `propose_for_project`, calling `progress(examined, images)` per image. Setting `cancel`
/// stops the detectors at the next image and writes nothing (`cancelled` in the summary): a
/// half-filled queue would look like a finished one to the reviewer.
pub fn propose_for_project_with(
    project: &mut Project,
    metas: &[InstanceMeta],
    options: ProposeOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
    cancel: &AtomicBool,
) -> Result<ProposalSummary, ProjectError> {
    let mask = project.face_mask()?;
    let mut summary = ProposalSummary::default();
    let ocr = options.ocr
        && match ocr_ready() {
            Ok(()) => true,
            Err(e) => {
                summary.ocr_errors.push(e);
                false
            }
        };
    let images: Vec<&InstanceMeta> = metas.iter().filter(|m| m.image.is_some()).collect();
    let done = AtomicUsize::new(0);
    let detections: Vec<(&InstanceMeta, Result<Examined, String>)> = images
        .par_iter()
        .filter_map(|m| {
            if cancel.load(Ordering::Relaxed) {
                return None;
            }
            let found = examine(m, DetectOptions { ocr }, mask);
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, images.len());
            Some((*m, found))
        })
        .collect();
    if detections.len() < images.len() {
        summary.cancelled = true;
        summary.examined = detections.len();
        return Ok(summary);
    }
    summary.examined = images.len();
    let mut examined = Vec::new();
    for (m, found) in detections {
        // A slide label is masked from its header alone, even when its pixels cannot be decoded.
        let full_mask = slide_label_mask(m);
        let (found, faces) = match found {
            Ok(Examined { detection, faces }) => {
                summary.ocr_errors.extend(detection.ocr_error);
                (detection.boxes, faces)
            }
            Err(e) if full_mask.is_some() => {
                summary.failed.push(e);
                (Vec::new(), Vec::new())
            }
            Err(e) => {
                summary.failed.push(e);
                continue;
            }
        };
        let mut boxes: Vec<ReviewBox> = found.iter().map(to_review_box).collect();
        examined.push((m.sop_instance_uid.clone(), found.len() + faces.len()));
        let identifiers = !faces.is_empty() || full_mask.is_some();
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
            // Another instance's OCR text says nothing about this one.
            boxes.extend(t.into_iter().map(|b| ReviewBox {
                reason: "template".into(),
                ocr_text: None,
                class: None,
                phi_field: None,
                ..b
            }));
            true
        });
        if !needs_text_review(m) && boxes.is_empty() {
            continue;
        }
        let must = needs_text_review(m);
        let phi = found.iter().any(|b| b.class.is_some_and(|c| c.phi_field().is_some()));
        let level = if phi || identifiers {
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
        summary.phi_matches += usize::from(phi);
    }
    project.mark_text_examined(&examined)?;
    Ok(summary)
}
