//! Face detection on photographs (external camera, visible light, gross microscopy, other), so
//! that the review queue can propose masking the eyes or the face, as the Japanese guideline
//! asks of any image that contains a face photograph.
//!
//! Method: Viola–Jones. OpenCV's frontal-face Haar cascade (embedded, see `cascade.rs`) is run
//! over an image pyramid (scale step 1.1, levels in parallel) on integral and squared-integral
//! images, every window normalised by its standard deviation; this pass gives exactly OpenCV 4's
//! raw hits for the same grey image. Around those hits the mirror image is scanned too (a face
//! passes in both, clutter rarely does). The hits are grouped as OpenCV's `groupRectangles`
//! does (more than 7 neighbours over both passes), and the number of hits behind a face gives
//! its confidence. Frontal and near-frontal faces only: profiles, rolled heads and faces cut by
//! the edge are left to the reviewer, who sees every photograph in the queue anyway.

mod band;
mod cascade;
mod group;
mod integral;
mod pyramid;
mod scan;

pub use band::{BAND_BOTTOM, BAND_MARGIN, BAND_TOP, Region, eye_band, whole_face};
pub use cascade::{Cascade, CascadeError};
pub use scan::ScanParams;

use crate::deid::text::Luma;

/// Raw hits a face needs beyond the first, over the image and its mirror: 7, as OpenCV's
/// default of 3 per pass. Measured on the test photos: true faces of 22 px or more gave 8 or more
/// hits, and every false face on the 13 photos without people gave 7 or fewer.
pub const MIN_NEIGHBOURS: u32 = 7;

/// A detected face: the cascade's box (brows to lower lip, cheek to cheek), in pixels.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Face {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    /// Raw cascade hits grouped into this face.
    pub neighbours: u32,
    /// 0..1, rising with `neighbours`: 0.33 at the minimum of 8 hits, 0.86 at 40.
    pub confidence: f32,
}

/// Frontal faces in an 8-bit luminance image, most confident first.
pub fn detect_faces(img: &Luma) -> Vec<Face> {
    detect_faces_with(img, Cascade::frontal_face(), ScanParams::default())
}

/// [`detect_faces`] with another cascade or search settings.
pub fn detect_faces_with(img: &Luma, cascade: &Cascade, params: ScanParams) -> Vec<Face> {
    let hits = scan::scan(img.pixels, img.width, img.height, cascade, params);
    let mut faces: Vec<Face> = group::group(&hits, MIN_NEIGHBOURS)
        .into_iter()
        .map(|g| Face {
            x: g.x,
            y: g.y,
            w: g.w,
            h: g.h,
            neighbours: g.neighbours,
            confidence: 1.0 - (-(g.neighbours as f32) / 20.0).exp(),
        })
        .collect();
    faces.sort_by(|a, b| b.neighbours.cmp(&a.neighbours).then(a.y.cmp(&b.y)).then(a.x.cmp(&b.x)));
    faces
}
