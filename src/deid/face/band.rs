//! The region to mask for a detected face: an eye band (what the Japanese guideline asks as a
//! minimum: "mask the eye region (or more)") or the whole face.
//!
//! The band is placed by geometry, not by an eye detector: the frontal cascade's box is tied to
//! the eyes it was trained on (eyes sit at about 35–45 % of the box height, across its middle),
//! so a band from 20 % to 55 % of the height, as wide as the box plus a margin each side, holds
//! both eyes and brows with room for the box's own jitter. An eye cascade would fail exactly where
//! masking matters most (glasses, closed or small eyes), and the reviewer adjusts the band anyway.

use super::Face;

/// Band top and bottom, as fractions of the face box height from its top.
pub const BAND_TOP: f32 = 0.20;
pub const BAND_BOTTOM: f32 = 0.55;
/// Extra width each side, as a fraction of the face box width (eyes reach the box edge on faces
/// turned a little).
pub const BAND_MARGIN: f32 = 0.05;
/// The whole-face box grows by this fraction each side: the cascade's box stops at the brows and
/// the lower lip, and forehead and chin identify too.
pub const FACE_MARGIN: f32 = 0.15;

/// A pixel rectangle clipped to the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

fn clipped(x0: f32, y0: f32, x1: f32, y1: f32, width: u32, height: u32) -> Region {
    let cx = |v: f32| (v.max(0.0) as u32).min(width);
    let cy = |v: f32| (v.max(0.0) as u32).min(height);
    let (x0, y0) = (cx(x0.floor()), cy(y0.floor()));
    let (x1, y1) = (cx(x1.ceil()), cy(y1.ceil()));
    Region { x: x0, y: y0, w: x1.saturating_sub(x0), h: y1.saturating_sub(y0) }
}

/// The eye band of `face` in an image of `width` × `height`.
pub fn eye_band(face: &Face, width: u32, height: u32) -> Region {
    let (x, y, w, h) = (face.x as f32, face.y as f32, face.w as f32, face.h as f32);
    clipped(x - BAND_MARGIN * w, y + BAND_TOP * h, x + (1.0 + BAND_MARGIN) * w, y + BAND_BOTTOM * h, width, height)
}

/// The whole face (with forehead and chin) of `face` in an image of `width` × `height`.
pub fn whole_face(face: &Face, width: u32, height: u32) -> Region {
    let (x, y, w, h) = (face.x as f32, face.y as f32, face.w as f32, face.h as f32);
    let (mx, my) = (FACE_MARGIN * w, FACE_MARGIN * h);
    clipped(x - mx, y - my, x + w + mx, y + h + my, width, height)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(x: u32, y: u32, s: u32) -> Face {
        Face { x, y, w: s, h: s, neighbours: 10, confidence: 0.5 }
    }

    #[test]
    fn eye_band_spans_the_face_width_plus_margins_between_a_fifth_and_over_half_its_height() {
        let b = eye_band(&face(100, 200, 100), 1000, 1000);
        assert_eq!(b, Region { x: 95, y: 220, w: 110, h: 35 });
    }

    #[test]
    fn regions_are_clipped_to_the_image() {
        let b = eye_band(&face(0, 0, 100), 90, 40);
        assert_eq!((b.x, b.y, b.x + b.w, b.y + b.h), (0, 20, 90, 40));
        let f = whole_face(&face(10, 10, 100), 100, 100);
        assert_eq!((f.x, f.y, f.x + f.w, f.y + f.h), (0, 0, 100, 100));
    }
}
