//! What the modality says about where text can be. Cross-sectional images (CT, MR, PET, NM)
//! rarely carry burned-in text, and where they do (a screen capture re-labelled, a scanner's
//! annotation) it sits on the air near the image's edges. Inside the image, the texture of
//! trabecular bone, vessels and lung mimics short lines of glyphs, so a box there needs a
//! stronger score. Projection and photo-like modalities keep the detector's own threshold.

use super::TextBox;

/// Score a box inside a cross-sectional image needs.
pub const INTERIOR_ACCEPT: f32 = 0.7;
/// Width of the edge band, as a fraction of the image size, where text is expected.
const EDGE_BAND: f32 = 0.1;

/// Modalities whose pixels are a reconstructed cross-section of the body.
pub fn is_cross_sectional(modality: Option<&str>) -> bool {
    matches!(modality.map(str::trim), Some("CT" | "MR" | "PT" | "NM"))
}

/// Whether any part of the box lies in the band along the image's edges.
fn touches_edge_band(b: &TextBox, width: usize, height: usize) -> bool {
    let (bw, bh) = (EDGE_BAND * width as f32, EDGE_BAND * height as f32);
    (b.x as f32) < bw
        || ((b.x + b.w) as f32) > width as f32 - bw
        || (b.y as f32) < bh
        || ((b.y + b.h) as f32) > height as f32 - bh
}

/// Drops boxes that are implausible for the modality (see the module comment).
pub fn filter_for_modality(boxes: &mut Vec<TextBox>, modality: Option<&str>, width: usize, height: usize) {
    if is_cross_sectional(modality) {
        boxes.retain(|b| b.score >= INTERIOR_ACCEPT || touches_edge_band(b, width, height));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(x: u32, y: u32, score: f32) -> TextBox {
        TextBox {
            x,
            y,
            w: 20,
            h: 10,
            score,
            reason: String::new(),
            frames: (0, 0),
            ocr_text: None,
            class: Default::default(),
        }
    }

    #[test]
    fn a_weak_box_inside_a_ct_is_dropped_but_kept_near_the_edge_and_in_ultrasound() {
        let boxes = vec![b(250, 250, 0.6), b(250, 250, 0.8), b(10, 250, 0.55), b(250, 480, 0.55)];
        let mut ct = boxes.clone();
        filter_for_modality(&mut ct, Some("CT"), 512, 512);
        assert_eq!(ct, boxes[1..].to_vec());
        let mut us = boxes.clone();
        filter_for_modality(&mut us, Some("US"), 512, 512);
        assert_eq!(us, boxes);
        let mut unknown = boxes.clone();
        filter_for_modality(&mut unknown, None, 512, 512);
        assert_eq!(unknown, boxes, "without a modality nothing is assumed");
    }
}
