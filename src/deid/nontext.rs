//! Burned-in identifiers that are not text, as review boxes (the Japanese guideline's pixel
//! rules): a face on a photograph gets an eye band (or a whole-face box, per project), and a
//! whole-slide label or overview image is masked whole, since it shows the slide's paper label.

use crate::dicom::InstanceMeta;
use crate::project::FaceMask;
use crate::project::text_review::ReviewBox;

use super::face::{Face, Region, detect_faces, eye_band, whole_face};
use super::text::{Luma, LumaFrames};

/// VL Whole Slide Microscopy Image Storage.
pub const WSI_SOP_CLASS: &str = "1.2.840.10008.5.1.4.1.1.77.1.6";
/// VL Photographic Image Storage.
pub const VL_PHOTO_SOP_CLASS: &str = "1.2.840.10008.5.1.4.1.1.77.1.4";

pub const EYE_BAND_REASON: &str = "face: eye band";
pub const WHOLE_FACE_REASON: &str = "face: whole face";
pub const SLIDE_LABEL_REASON: &str = "whole-slide label/overview: full mask";

/// Images that are photographs of people or things: external camera, visible light, gross
/// microscopy, other, VL Photographic objects, and colour secondary captures (a scanned or
/// captured photo; grey captures are screens and documents).
pub fn is_photo(m: &InstanceMeta) -> bool {
    let colour = m.image.as_ref().is_some_and(|i| i.photometric == "RGB" || i.photometric.starts_with("YBR"));
    match m.modality.as_deref().unwrap_or("") {
        "XC" | "VL" | "GM" | "OT" => true,
        "SC" => colour,
        _ => m.sop_class_uid == VL_PHOTO_SOP_CLASS,
    }
}

/// A whole-slide image whose Image Type says LABEL or OVERVIEW (value 3 by the standard; any
/// value is accepted, as some writers misplace it).
pub fn is_slide_label_or_overview(m: &InstanceMeta) -> bool {
    m.sop_class_uid == WSI_SOP_CLASS && m.image_type.iter().any(|v| v == "LABEL" || v == "OVERVIEW")
}

/// The full-frame box for a slide label or overview (every frame), from the header alone, so
/// it is proposed even when the pixels cannot be decoded.
pub fn slide_label_mask(m: &InstanceMeta) -> Option<ReviewBox> {
    let image = m.image.as_ref().filter(|_| is_slide_label_or_overview(m))?;
    Some(ReviewBox {
        x: 0,
        y: 0,
        w: image.cols,
        h: image.rows,
        first_frame: 0,
        last_frame: image.frames.saturating_sub(1),
        score: 1.0,
        reason: SLIDE_LABEL_REASON.into(),
        ..ReviewBox::default()
    })
}

/// One box per frontal face found in frame 0, shaped by `mask`; the score is the detector's
/// confidence. Only frame 0 is searched, so the boxes cover frame 0 only.
pub fn face_boxes(luma: &LumaFrames, mask: FaceMask) -> Vec<ReviewBox> {
    if luma.frames == 0 {
        return Vec::new();
    }
    let frame = Luma { width: luma.width, height: luma.height, pixels: luma.frame(0) };
    detect_faces(&frame).iter().map(|f| face_box(f, mask, luma.width as u32, luma.height as u32)).collect()
}

fn face_box(face: &Face, mask: FaceMask, width: u32, height: u32) -> ReviewBox {
    let (Region { x, y, w, h }, reason) = match mask {
        FaceMask::EyeBand => (eye_band(face, width, height), EYE_BAND_REASON),
        FaceMask::WholeFace => (whole_face(face, width, height), WHOLE_FACE_REASON),
    };
    ReviewBox {
        x,
        y,
        w,
        h,
        first_frame: 0,
        last_frame: 0,
        score: face.confidence,
        reason: reason.into(),
        ..ReviewBox::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dicom::ImageMeta;

    fn meta(modality: &str, sop_class: &str, photometric: &str, image_type: &[&str]) -> InstanceMeta {
        let mut m: InstanceMeta = serde_json::from_value(serde_json::json!({
            "path": "x.dcm", "size": 0, "mtime": 0, "transfer_syntax": "1.2.840.10008.1.2.1",
            "sop_class_uid": sop_class, "sop_instance_uid": "2.25.1", "study_uid": "2.25.2", "series_uid": "2.25.3",
            "frame_of_reference_uid": null, "patient_id": null, "patient_name": null, "patient_birth_date": null,
            "patient_sex": null, "study_date": null, "study_time": null, "study_description": null,
            "accession_number": null, "modality": modality, "series_description": null, "series_number": null,
            "instance_number": null, "body_part": null, "manufacturer": null, "model_name": null,
            "burned_in_annotation": null, "image": null
        }))
        .expect("meta json");
        m.image_type = image_type.iter().map(|s| s.to_string()).collect();
        m.image = Some(ImageMeta {
            rows: 300,
            cols: 800,
            frames: 1,
            samples_per_pixel: 3,
            bits_allocated: 8,
            bits_stored: 8,
            pixel_signed: false,
            photometric: photometric.into(),
            pixel_spacing: None,
            slice_thickness: None,
            spacing_between_slices: None,
            rescale_slope: 1.0,
            rescale_intercept: 0.0,
            window: None,
            orientation: None,
            positions: vec![],
            frame_time_ms: None,
            gantry_tilt_deg: None,
        });
        m
    }

    const SC: &str = "1.2.840.10008.5.1.4.1.1.7";

    #[test]
    fn photos_are_camera_visible_light_gross_other_and_colour_captures_only() {
        for modality in ["XC", "VL", "GM", "OT"] {
            assert!(is_photo(&meta(modality, SC, "MONOCHROME2", &[])), "{modality}");
        }
        assert!(is_photo(&meta("SC", SC, "RGB", &[])));
        assert!(is_photo(&meta("SC", SC, "YBR_FULL_422", &[])));
        assert!(!is_photo(&meta("SC", SC, "MONOCHROME2", &[])), "a grey capture is a screen or a document");
        assert!(!is_photo(&meta("US", "1.2.840.10008.5.1.4.1.1.6.1", "RGB", &[])));
        assert!(is_photo(&meta("", VL_PHOTO_SOP_CLASS, "RGB", &[])), "VL Photographic without a modality");
    }

    #[test]
    fn slide_labels_and_overviews_get_one_full_frame_box_and_volumes_none() {
        let label = meta("SM", WSI_SOP_CLASS, "RGB", &["ORIGINAL", "PRIMARY", "LABEL", "NONE"]);
        let b = slide_label_mask(&label).expect("label is masked");
        assert_eq!((b.x, b.y, b.w, b.h, b.first_frame, b.last_frame), (0, 0, 800, 300, 0, 0));
        assert_eq!(b.reason, SLIDE_LABEL_REASON);
        assert!(slide_label_mask(&meta("SM", WSI_SOP_CLASS, "RGB", &["DERIVED", "PRIMARY", "OVERVIEW"])).is_some());
        assert!(
            slide_label_mask(&meta("SM", WSI_SOP_CLASS, "RGB", &["ORIGINAL", "PRIMARY", "VOLUME", "NONE"])).is_none()
        );
        assert!(slide_label_mask(&meta("XC", SC, "RGB", &["ORIGINAL", "PRIMARY", "LABEL"])).is_none(), "not a WSI");
    }
}
