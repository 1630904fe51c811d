//! A cleaned foreign image wrapped as a DICOM Secondary Capture Image (PS3.3 A.8.1): Patient,
//! General Study, General Series, SC Equipment (Conversion Type WSD), General Image, Image Pixel,
//! SC Image and SOP Common modules; Explicit VR Little Endian, native pixels, new UIDs. Nothing
//! of the source's metadata (nor its file or folder name) goes in: the patient is the caller's
//! pseudonym, dates are empty.

use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, Tag, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::mem::InMemElement;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use image::DynamicImage;

use crate::dicom::error_chain;
use crate::dicom::foreign::{ForeignKind, ForeignPixels};

/// What the caller decides for a Secondary Capture output.
#[derive(Debug, Clone, Default)]
pub struct ScOptions {
    /// Patient's Name and Patient ID: the project's pseudonym for the image's patient.
    pub patient_name: String,
    pub patient_id: String,
    /// The image went through burned-in text review: Burned In Annotation NO. Otherwise YES
    /// (no one has looked, so text must be assumed).
    pub reviewed: bool,
    /// Study and Series Instance UIDs to group outputs (e.g. one study per source folder);
    /// new random UIDs when absent.
    pub study_uid: Option<String>,
    pub series_uid: Option<String>,
}

fn text(tag: Tag, vr: VR, value: &str) -> InMemElement {
    DataElement::new(tag, vr, PrimitiveValue::from(value))
}

fn ushort(tag: Tag, value: u16) -> InMemElement {
    DataElement::new(tag, VR::US, PrimitiveValue::from(value))
}

/// The file bytes and the new SOP Instance UID.
pub(super) fn secondary_capture(pixels: &ForeignPixels, options: &ScOptions) -> Result<(Vec<u8>, String), String> {
    let uid = crate::deid::vault::random_uid();
    let study = options.study_uid.clone().unwrap_or_else(crate::deid::vault::random_uid);
    let series = options.series_uid.clone().unwrap_or_else(crate::deid::vault::random_uid);
    for (what, u) in [("Study Instance UID", &study), ("Series Instance UID", &series)] {
        if !valid_uid(u) {
            return Err(format!("{what} {u:?} is not a valid UID"));
        }
    }
    let (w, h) = (pixels.width(), pixels.height());
    let (rows, cols) = (u16::try_from(h), u16::try_from(w));
    let (Ok(rows), Ok(cols)) = (rows, cols) else {
        return Err(format!("{w}×{h} pixels exceed the 65535 rows or columns DICOM can hold"));
    };
    let bits = pixels.bits();
    let non_ascii = !(options.patient_name.is_ascii() && options.patient_id.is_ascii());
    let method = format!(
        "sumi: {} converted to Secondary Capture; source metadata not carried over; burned-in text {}",
        pixels.kind.name(),
        if options.reviewed { "reviewed and approved boxes blanked" } else { "not reviewed" }
    );
    let mut elements = vec![
        text(tags::IMAGE_TYPE, VR::CS, "DERIVED\\SECONDARY"),
        text(tags::SOP_CLASS_UID, VR::UI, uids::SECONDARY_CAPTURE_IMAGE_STORAGE),
        text(tags::SOP_INSTANCE_UID, VR::UI, &uid),
        text(tags::STUDY_DATE, VR::DA, ""),
        text(tags::STUDY_TIME, VR::TM, ""),
        text(tags::ACCESSION_NUMBER, VR::SH, ""),
        text(tags::MODALITY, VR::CS, pixels.kind.modality()),
        text(tags::CONVERSION_TYPE, VR::CS, "WSD"),
        text(tags::REFERRING_PHYSICIAN_NAME, VR::PN, ""),
        text(tags::PATIENT_NAME, VR::PN, &options.patient_name),
        text(tags::PATIENT_ID, VR::LO, &options.patient_id),
        text(tags::PATIENT_BIRTH_DATE, VR::DA, ""),
        text(tags::PATIENT_SEX, VR::CS, ""),
        text(tags::PATIENT_IDENTITY_REMOVED, VR::CS, "YES"),
        text(tags::DEIDENTIFICATION_METHOD, VR::LO, &method),
        text(tags::STUDY_INSTANCE_UID, VR::UI, &study),
        text(tags::SERIES_INSTANCE_UID, VR::UI, &series),
        text(tags::STUDY_ID, VR::SH, ""),
        text(tags::SERIES_NUMBER, VR::IS, ""),
        text(tags::INSTANCE_NUMBER, VR::IS, ""),
        text(tags::PATIENT_ORIENTATION, VR::CS, ""),
        ushort(tags::SAMPLES_PER_PIXEL, pixels.samples_per_pixel()),
        text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, pixels.photometric()),
        ushort(tags::ROWS, rows),
        ushort(tags::COLUMNS, cols),
        ushort(tags::BITS_ALLOCATED, bits),
        ushort(tags::BITS_STORED, bits),
        ushort(tags::HIGH_BIT, bits - 1),
        ushort(tags::PIXEL_REPRESENTATION, 0),
        text(tags::BURNED_IN_ANNOTATION, VR::CS, if options.reviewed { "NO" } else { "YES" }),
        pixel_data(&pixels.image),
    ];
    if non_ascii {
        elements.push(text(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 192"));
    }
    if !pixels.is_grey() {
        elements.push(ushort(tags::PLANAR_CONFIGURATION, 0));
    }
    if pixels.kind == ForeignKind::Jpeg {
        // Decoding does not undo JPEG's loss: the history stays true.
        elements.push(text(tags::LOSSY_IMAGE_COMPRESSION, VR::CS, "01"));
        elements.push(text(tags::LOSSY_IMAGE_COMPRESSION_METHOD, VR::CS, "ISO_10918_1"));
    }
    let meta = FileMetaTableBuilder::new()
        .transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN)
        .media_storage_sop_class_uid(uids::SECONDARY_CAPTURE_IMAGE_STORAGE)
        .media_storage_sop_instance_uid(uid.clone())
        .implementation_class_uid(crate::IMPLEMENTATION_CLASS_UID)
        .implementation_version_name(crate::IMPLEMENTATION_VERSION_NAME)
        .build()
        .map_err(|e| error_chain(&e))?;
    let obj = InMemDicomObject::from_element_iter(elements).with_exact_meta(meta);
    let mut out = Vec::new();
    obj.write_all(&mut out).map_err(|e| error_chain(&e))?;
    Ok((out, uid))
}

/// Pixel Data: 8-bit samples as OB (padded to even length), 16-bit as OW.
fn pixel_data(image: &DynamicImage) -> InMemElement {
    match image {
        DynamicImage::ImageLuma16(b) => {
            DataElement::new(tags::PIXEL_DATA, VR::OW, PrimitiveValue::U16(b.as_raw().clone().into()))
        }
        DynamicImage::ImageRgb16(b) => {
            DataElement::new(tags::PIXEL_DATA, VR::OW, PrimitiveValue::U16(b.as_raw().clone().into()))
        }
        other => {
            let mut data = other.as_bytes().to_vec();
            if data.len() % 2 == 1 {
                data.push(0);
            }
            DataElement::new(tags::PIXEL_DATA, VR::OB, PrimitiveValue::from(data))
        }
    }
}

/// PS3.5 9.1: digits and dots, components without leading zeros, at most 64 characters.
fn valid_uid(uid: &str) -> bool {
    uid.len() <= 64
        && !uid.is_empty()
        && uid
            .split('.')
            .all(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()) && (c == "0" || !c.starts_with('0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_with_leading_zeros_letters_or_over_64_characters_are_refused() {
        assert!(valid_uid("2.25.1234"));
        assert!(valid_uid("1.2.0.3"));
        assert!(!valid_uid("1.02.3"));
        assert!(!valid_uid("1..2"));
        assert!(!valid_uid("1.2.a"));
        assert!(!valid_uid(&format!("2.25.{}", "1".repeat(60))));
    }
}
