//! Burned-in text detection: proposes boxes around text drawn into the pixels (ultrasound
//! screens, secondary captures, photos) so that reviewers can mask identifiers before release,
//! as PS3.15 Clean Pixel Data requires.
//!
//! Detection (no OCR): a 7×7 grey top-hat isolates thin strokes of light ink (and, on the inverted
//! image, of dark ink); a noise-adaptive threshold per 32 px tile and 8-connected components give
//! glyph candidates; glyphs side by side on one band with similar heights join into lines; a line
//! scores by its number of glyphs, the sameness of their ink, height and baseline, flat-topped
//! strokes, contrast above the texture around, and how clean its box and surroundings are. Lines
//! outside the Sequence of Ultrasound Regions get a boost. Cines: static text is found once in the
//! frames' per-pixel minimum (maximum for dark ink); the rest per frame, joined over frames into
//! tracks (in place: one box; moving: one box per frame).
//!
//! Reading (optional): `ocr` (feature `ocr`) reads the boxes with the tesseract command and
//! `phi_match` says whether the text shows this header's PHI, is technical, or is other text.

mod components;
mod detect;
pub mod eval;
mod file;
pub mod header;
mod lines;
pub mod luma;
pub mod modality;
#[cfg(feature = "ocr")]
pub mod ocr;
pub mod phi_match;
#[cfg(test)]
mod tests;

pub use detect::{ACCEPT, Polarity, detect_frame, detect_polarity};
pub use file::{DetectOptions, FileDetection, detect_file, detect_file_and_pixels, detect_file_with, detect_frames};
pub use header::{HeaderHints, header_hints};
pub use luma::{LumaFrames, to_luma};
pub use phi_match::{PatientPhi, TextClass};

/// Whether OCR can run here: sumi was built with the `ocr` feature and the tesseract command
/// answers with English data. The error says what is missing.
pub fn ocr_ready() -> Result<(), String> {
    #[cfg(feature = "ocr")]
    return ocr::check(ocr::Lang::English).map_err(|e| e.to_string());
    #[cfg(not(feature = "ocr"))]
    Err(NO_OCR_BUILD.into())
}

/// Why OCR cannot run in a build without it.
#[cfg(not(feature = "ocr"))]
const NO_OCR_BUILD: &str = "this sumi was built without OCR (cargo feature `ocr`)";

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
    /// The text OCR read in the box (with `--ocr`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocr_text: Option<String>,
    /// What that text is: PHI of this header, technical, or other text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<TextClass>,
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

    /// Records the text OCR read and its class against `phi`; the reason then leads with the
    /// class ("PHI: matches Patient's Name; 9 glyphs in a line, …").
    pub fn set_ocr_text(&mut self, text: String, phi: &PatientPhi) {
        let class = phi.classify(&text);
        let nothing = if text.trim().is_empty() { " (OCR read nothing)" } else { "" };
        self.reason = format!("{}{nothing}; {}", class.label(), self.reason);
        self.ocr_text = Some(text);
        self.class = Some(class);
    }
}
