//! Burned-in text detection: proposes boxes around text drawn into the pixels (ultrasound
//! screens, secondary captures, photos) so that reviewers can mask identifiers before release,
//! as PS3.15 Clean Pixel Data requires.
//!
//! Method (no OCR): a 7×7 grey top-hat isolates thin strokes of light ink (and, on the inverted
//! image, of dark ink); a noise-adaptive threshold per 32 px tile and 8-connected components give
//! glyph candidates; glyphs side by side on one band with similar heights join into lines; a line
//! scores by its number of glyphs, the sameness of their ink, height and baseline, flat-topped
//! strokes, contrast above the texture around, and how clean its box and surroundings are. Lines
//! outside the Sequence of Ultrasound Regions get a boost. Cines: static text is found once in the
//! frames' per-pixel minimum (maximum for dark ink); the rest per frame, joined over frames into
//! tracks (in place: one box; moving: one box per frame).

mod components;
mod detect;
pub mod eval;
mod file;
pub mod header;
mod lines;
pub mod luma;
pub mod phi_match;
#[cfg(test)]
mod tests;

pub use detect::{ACCEPT, Polarity, detect_frame, detect_polarity};
pub use file::{FileDetection, detect_file, detect_frames};
pub use header::{HeaderHints, header_hints};
pub use luma::{LumaFrames, to_luma};
pub use phi_match::{PatientPhi, TextClass};

/// 8-bit luminance of one frame, row-major.
pub struct Luma<'a> {
    pub width: usize,
    pub height: usize,
    pub pixels: &'a [u8],
}

/// A proposed text region.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TextBox {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    /// 0..1; reported boxes score at least [`ACCEPT`].
    pub score: f32,
    /// Why the box was proposed, for the reviewer.
    pub reason: String,
    /// First and last frame (inclusive, 0-based) showing the text.
    pub frames: (u32, u32),
}

impl TextBox {
    pub fn area(&self) -> u64 {
        u64::from(self.w) * u64::from(self.h)
    }

    /// Pixels shared with `other`.
    pub fn overlap(&self, other: &TextBox) -> u64 {
        let w = (self.x + self.w).min(other.x + other.w).saturating_sub(self.x.max(other.x));
        let h = (self.y + self.h).min(other.y + other.h).saturating_sub(self.y.max(other.y));
        u64::from(w) * u64::from(h)
    }
}
