//! A foreign image as an `InstanceMeta` with a synthetic, deterministic identity:
//! - SOP Instance UID `2.25.<first 128 bits of SHA-256 of the file bytes>`: the same file is the
//!   same instance wherever it lies (moved or imported twice: no new row; two identical copies:
//!   one instance);
//! - one study per folder, and in it one series per image size and colour (a series view stacks
//!   images of one size), UIDs from the canonical folder path;
//! - no patient (name and ID absent: nothing is invented), the folder name as study description,
//!   SOP class Secondary Capture, modality by container (`ForeignKind::modality`), and the media
//!   type in `transfer_syntax`.
//!
//! The whole file is decoded during the scan, so a corrupt image is reported as unreadable there,
//! like a bad DICOM header.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::ForeignKind;
use super::pixels::decode_foreign_bytes;
use crate::dicom::error::DicomError;
use crate::dicom::meta::{ImageMeta, InstanceMeta};

/// Secondary Capture Image Storage.
pub const SECONDARY_CAPTURE: &str = "1.2.840.10008.5.1.4.1.1.7";

/// A UID under the 2.25 root from the first 128 bits of SHA-256 over `parts` (at most 44 chars).
fn hash_uid(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes()); // length-prefixed: no two part lists collide
        h.update(p);
    }
    uid_of(&h.finalize())
}

/// The SOP Instance UID of a foreign image with these bytes.
pub fn content_uid(bytes: &[u8]) -> String {
    uid_of(&Sha256::digest(bytes))
}

/// `2.25.` and the first 128 bits of a digest in decimal (no leading zeros, as UIDs require).
fn uid_of(digest: &[u8]) -> String {
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    format!("2.25.{}", u128::from_be_bytes(first))
}

/// Reads, hashes and decodes `path` into an instance.
pub fn read_foreign_header(path: &Path, kind: ForeignKind) -> Result<InstanceMeta, DicomError> {
    let io = |source| DicomError::Io { path: path.into(), source };
    let fs_meta = std::fs::metadata(path).map_err(io)?;
    let mtime = crate::dicom::scan::mtime_secs(&fs_meta);
    let bytes = std::fs::read(path).map_err(io)?;
    let pixels = decode_foreign_bytes(path, kind, &bytes)?;
    let folder = path.parent().unwrap_or(Path::new("."));
    // Canonical, so that "photos" and "/home/u/photos" are one study.
    let folder = std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf());
    let folder_bytes = folder.as_os_str().as_encoded_bytes();
    let (cols, rows, grey) = (pixels.width(), pixels.height(), pixels.is_grey());
    let series_key = format!("{cols}x{rows}-{}", if grey { "grey" } else { "colour" });
    let bits = pixels.bits();
    Ok(InstanceMeta {
        path: path.to_path_buf(),
        size: fs_meta.len(),
        mtime,
        transfer_syntax: kind.mime().into(),
        sop_class_uid: SECONDARY_CAPTURE.into(),
        sop_instance_uid: content_uid(&bytes),
        study_uid: hash_uid(&[b"sumi foreign-image study", folder_bytes]),
        series_uid: hash_uid(&[b"sumi foreign-image series", folder_bytes, series_key.as_bytes()]),
        frame_of_reference_uid: None,
        patient_id: None,
        patient_name: None,
        patient_birth_date: None,
        patient_sex: None,
        study_date: None,
        study_time: None,
        study_description: folder.file_name().map(|n| n.to_string_lossy().into_owned()),
        accession_number: None,
        modality: Some(kind.modality().into()),
        series_description: Some(format!("{cols}×{rows} {} images", if grey { "grey" } else { "colour" })),
        series_number: None,
        instance_number: None,
        body_part: None,
        manufacturer: None,
        model_name: None,
        burned_in_annotation: None,
        image_type: Vec::new(),
        image: Some(ImageMeta {
            rows,
            cols,
            frames: 1,
            samples_per_pixel: pixels.samples_per_pixel(),
            bits_allocated: bits,
            bits_stored: bits,
            pixel_signed: false,
            photometric: pixels.photometric().into(),
            pixel_spacing: None,
            slice_thickness: None,
            spacing_between_slices: None,
            rescale_slope: 1.0,
            rescale_intercept: 0.0,
            window: None,
            orientation: None,
            positions: Vec::new(),
            frame_time_ms: None,
            gantry_tilt_deg: None,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_uids_are_valid_and_depend_only_on_the_bytes() {
        let a = content_uid(b"one image");
        assert_eq!(a, content_uid(b"one image"));
        assert_ne!(a, content_uid(b"another image"));
        assert!(a.starts_with("2.25.") && a.len() <= 64, "{a}");
        let digits = &a[5..];
        assert!(digits.chars().all(|c| c.is_ascii_digit()) && (digits == "0" || !digits.starts_with('0')));
    }

    #[test]
    fn hashed_uids_keep_their_parts_apart() {
        assert_ne!(hash_uid(&[b"ab", b"c"]), hash_uid(&[b"a", b"bc"]));
        assert!(hash_uid(&[b"x"]).len() <= 64);
    }
}
