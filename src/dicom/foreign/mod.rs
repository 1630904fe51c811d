//! Non-DICOM images ("foreign images": PNG, JPEG and TIFF photos, screenshots, scanned slide
//! labels) read into the same types as DICOM instances, so that the scan, the project, the viewer,
//! the text detector and the review queue handle them alike.
//!
//! - Recognised by magic bytes, only after `open_dicom` found no DICOM (a DICOM file whose
//!   preamble holds a TIFF header stays DICOM).
//! - Identity is synthetic and deterministic (see `meta.rs`), so re-importing changes nothing.
//! - Pixels are the stored grid: EXIF orientation is not applied, so the boxes a reviewer draws
//!   are where cleaning fills, and a cleaned file (which carries no orientation tag) looks as
//!   reviewed. Alpha is dropped (transparent pixels still hold colours; the reviewer sees them).
//!   Multi-page TIFF: the first page only; the others are counted and never exported.

pub mod inventory;
pub mod jpeg;
mod meta;
mod pixels;

use std::io::Read;
use std::path::Path;

use serde::Serialize;

pub use meta::read_foreign_header;
pub use pixels::{ForeignPixels, decode_foreign, decode_foreign_bytes, load_foreign_pixels};

use super::error::DicomError;

/// The container of a foreign image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ForeignKind {
    Png,
    Jpeg,
    Tiff,
}

impl ForeignKind {
    /// The kind whose signature starts `head` (at least 8 bytes for a sure answer).
    pub fn sniff(head: &[u8]) -> Option<ForeignKind> {
        const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
        match head {
            h if h.starts_with(PNG) => Some(ForeignKind::Png),
            [0xFF, 0xD8, 0xFF, ..] => Some(ForeignKind::Jpeg),
            // Classic TIFF (42) and BigTIFF (43), either byte order.
            [b'I', b'I', 42 | 43, 0, ..] | [b'M', b'M', 0, 42 | 43, ..] => Some(ForeignKind::Tiff),
            _ => None,
        }
    }

    /// The kind of the file at `path` by its first bytes; `None` when unreadable or not an image.
    pub fn of_file(path: &Path) -> Option<ForeignKind> {
        let mut head = [0u8; 8];
        let mut f = std::fs::File::open(path).ok()?;
        let mut n = 0;
        while n < head.len() {
            match f.read(&mut head[n..]) {
                Ok(0) | Err(_) => break,
                Ok(k) => n += k,
            }
        }
        ForeignKind::sniff(&head[..n])
    }

    /// The media type, kept in `InstanceMeta::transfer_syntax` to mark the container.
    pub fn mime(self) -> &'static str {
        match self {
            ForeignKind::Png => "image/png",
            ForeignKind::Jpeg => "image/jpeg",
            ForeignKind::Tiff => "image/tiff",
        }
    }

    pub fn from_mime(mime: &str) -> Option<ForeignKind> {
        [ForeignKind::Png, ForeignKind::Jpeg, ForeignKind::Tiff].into_iter().find(|k| k.mime() == mime)
    }

    pub fn name(self) -> &'static str {
        match self {
            ForeignKind::Png => "PNG",
            ForeignKind::Jpeg => "JPEG",
            ForeignKind::Tiff => "TIFF",
        }
    }

    /// JPEG and TIFF come from cameras and scanners: XC (external-camera photography). PNG is
    /// lossless graphics, nearly always a screenshot or an export: OT. Both are on the
    /// always-review list, so the choice only labels the series.
    pub fn modality(self) -> &'static str {
        match self {
            ForeignKind::Png => "OT",
            ForeignKind::Jpeg | ForeignKind::Tiff => "XC",
        }
    }

    pub(crate) fn image_format(self) -> image::ImageFormat {
        match self {
            ForeignKind::Png => image::ImageFormat::Png,
            ForeignKind::Jpeg => image::ImageFormat::Jpeg,
            ForeignKind::Tiff => image::ImageFormat::Tiff,
        }
    }
}

/// After `open_dicom` reported `not_dicom`: the file's foreign kind, or that error back.
pub fn recognise(path: &Path, not_dicom: DicomError) -> Result<ForeignKind, DicomError> {
    match not_dicom {
        DicomError::NotDicom { .. } => ForeignKind::of_file(path).ok_or(not_dicom),
        other => Err(other),
    }
}

/// The error for a foreign image that cannot be read.
pub fn bad_image(path: &Path, kind: ForeignKind, reason: impl Into<String>) -> DicomError {
    DicomError::BadImage { path: path.into(), format: kind.name(), reason: reason.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_name_their_container_and_others_are_not_images() {
        assert_eq!(ForeignKind::sniff(b"\x89PNG\r\n\x1a\n\0\0"), Some(ForeignKind::Png));
        assert_eq!(ForeignKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(ForeignKind::Jpeg));
        assert_eq!(ForeignKind::sniff(b"II*\0\x08\0\0\0"), Some(ForeignKind::Tiff));
        assert_eq!(ForeignKind::sniff(b"MM\0*\0\0\0\x08"), Some(ForeignKind::Tiff));
        assert_eq!(ForeignKind::sniff(b"II+\0\x08\0\0\0"), Some(ForeignKind::Tiff), "BigTIFF");
        assert_eq!(ForeignKind::sniff(b"\x89PNG"), None, "too short to be sure");
        assert_eq!(ForeignKind::sniff(b"DICM\0\0\0\0"), None);
        assert_eq!(ForeignKind::sniff(&[0xFF, 0xD8, 0x00]), None);
    }

    #[test]
    fn mime_types_round_trip() {
        for k in [ForeignKind::Png, ForeignKind::Jpeg, ForeignKind::Tiff] {
            assert_eq!(ForeignKind::from_mime(k.mime()), Some(k));
        }
        assert_eq!(ForeignKind::from_mime("1.2.840.10008.1.2.1"), None);
    }
}
