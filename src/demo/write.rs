//! DICOM data sets for the demo series: the shared patient/study header (full of fake PHI,
//! including a private block and a two-level nested sequence) and the per-modality modules.

use std::path::Path;

use dicom_core::value::{DataSetSequence, PrimitiveValue};
use dicom_core::{DataElement, Tag, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::mem::InMemElement;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};

use super::DemoError;
use super::phantom::Grid;
use super::recipe::Recipe;
use super::ultrasound::Fan;

pub(super) type El = InMemElement;

/// Deterministic UIDs: fixed suffixes under the recipe's 2.25 root.
pub struct Uids<'a>(pub &'a str);

impl Uids<'_> {
    pub fn study(&self) -> String {
        format!("{}.1", self.0)
    }
    pub fn series(&self, n: u32) -> String {
        format!("{}.2.{n}", self.0)
    }
    /// `n` is the series number, `i` the 1-based instance number.
    pub fn instance(&self, n: u32, i: u32) -> String {
        format!("{}.3.{n}.{i}", self.0)
    }
    pub fn frame_of_reference(&self) -> String {
        format!("{}.4.1", self.0)
    }
    /// The (fictional) order the request refers to.
    pub fn referenced_study(&self) -> String {
        format!("{}.5.1", self.0)
    }
}

/// Per-series header values.
pub struct SeriesInfo<'a> {
    pub number: u32,
    pub description: &'a str,
    pub modality: &'a str,
    pub sop_class: &'a str,
    pub time: &'a str,
    pub station: &'a str,
    pub model: &'a str,
    pub serial: &'a str,
    pub body_part: &'a str,
}

pub(super) fn text(tag: Tag, vr: VR, v: &str) -> El {
    DataElement::new(tag, vr, PrimitiveValue::from(v))
}

pub(super) fn multi(tag: Tag, vr: VR, vals: &[String]) -> El {
    DataElement::new(tag, vr, PrimitiveValue::Strs(vals.iter().cloned().collect()))
}

pub(super) fn ushort(tag: Tag, v: u16) -> El {
    DataElement::new(tag, VR::US, PrimitiveValue::from(v))
}

fn ulong(tag: Tag, v: u32) -> El {
    DataElement::new(tag, VR::UL, PrimitiveValue::from(v))
}

fn double(tag: Tag, v: f64) -> El {
    DataElement::new(tag, VR::FD, PrimitiveValue::from(v))
}

fn seq(tag: Tag, items: Vec<InMemDicomObject>) -> El {
    DataElement::new(tag, VR::SQ, DataSetSequence::from(items))
}

/// Formats a decimal string (DS) compactly and reproducibly.
pub fn ds(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// Patient, study, series, equipment and request attributes shared by every instance.
pub fn common(r: &Recipe, s: &SeriesInfo, instance: u32) -> Vec<El> {
    let (p, st, uid) = (&r.patient, &r.study, Uids(&r.uid_root));
    let series_uid = uid.series(s.number);
    let referenced_study = InMemDicomObject::from_element_iter([
        text(tags::REFERENCED_SOP_CLASS_UID, VR::UI, "1.2.840.10008.3.1.2.3.1"),
        text(tags::REFERENCED_SOP_INSTANCE_UID, VR::UI, &uid.referenced_study()),
    ]);
    let request = InMemDicomObject::from_element_iter([
        text(tags::ACCESSION_NUMBER, VR::SH, &st.accession),
        seq(tags::REFERENCED_STUDY_SEQUENCE, vec![referenced_study]),
        text(tags::REQUESTED_PROCEDURE_DESCRIPTION, VR::LO, &st.requested_procedure_description),
        text(tags::SCHEDULED_PROCEDURE_STEP_ID, VR::SH, &st.scheduled_step_id),
        text(tags::REQUESTED_PROCEDURE_ID, VR::SH, &st.requested_procedure_id),
    ]);
    let other_id = InMemDicomObject::from_element_iter([
        text(tags::PATIENT_ID, VR::LO, &p.other_ids),
        text(tags::ISSUER_OF_PATIENT_ID, VR::LO, &p.other_id_issuer),
        text(tags::TYPE_OF_PATIENT_ID, VR::CS, "TEXT"),
    ]);
    let pc = &r.private;
    vec![
        text(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 192"),
        text(tags::INSTANCE_CREATION_DATE, VR::DA, &st.date),
        text(tags::INSTANCE_CREATION_TIME, VR::TM, s.time),
        text(tags::SOP_CLASS_UID, VR::UI, s.sop_class),
        text(tags::SOP_INSTANCE_UID, VR::UI, &uid.instance(s.number, instance)),
        text(tags::STUDY_DATE, VR::DA, &st.date),
        text(tags::SERIES_DATE, VR::DA, &st.date),
        text(tags::ACQUISITION_DATE, VR::DA, &st.date),
        text(tags::CONTENT_DATE, VR::DA, &st.date),
        text(tags::STUDY_TIME, VR::TM, &st.time),
        text(tags::SERIES_TIME, VR::TM, s.time),
        text(tags::ACQUISITION_TIME, VR::TM, s.time),
        text(tags::CONTENT_TIME, VR::TM, s.time),
        text(tags::ACCESSION_NUMBER, VR::SH, &st.accession),
        text(tags::MODALITY, VR::CS, s.modality),
        text(tags::MANUFACTURER, VR::LO, &st.manufacturer),
        text(tags::INSTITUTION_NAME, VR::LO, &st.institution),
        text(tags::INSTITUTION_ADDRESS, VR::ST, &st.institution_address),
        text(tags::REFERRING_PHYSICIAN_NAME, VR::PN, &st.referring_physician),
        text(tags::STATION_NAME, VR::SH, s.station),
        text(tags::STUDY_DESCRIPTION, VR::LO, &st.description),
        text(tags::SERIES_DESCRIPTION, VR::LO, s.description),
        text(tags::PERFORMING_PHYSICIAN_NAME, VR::PN, &st.performing_physician),
        text(tags::OPERATORS_NAME, VR::PN, &st.operator),
        text(tags::MANUFACTURER_MODEL_NAME, VR::LO, s.model),
        // Private block: creator at (0009,0010) reserves elements (0009,10xx).
        text(Tag(0x0009, 0x0010), VR::LO, &pc.creator),
        text(Tag(0x0009, 0x1001), VR::LO, &pc.name_copy),
        text(Tag(0x0009, 0x1002), VR::DA, &pc.date),
        text(Tag(0x0009, 0x1003), VR::LT, &pc.note),
        text(tags::PATIENT_NAME, VR::PN, &p.name),
        text(tags::PATIENT_ID, VR::LO, &p.id),
        text(tags::PATIENT_BIRTH_DATE, VR::DA, &p.birth_date),
        text(tags::PATIENT_SEX, VR::CS, &p.sex),
        // Other Patient IDs (retired, still common in the wild).
        text(Tag(0x0010, 0x1000), VR::LO, &p.other_ids),
        seq(tags::OTHER_PATIENT_I_DS_SEQUENCE, vec![other_id]),
        text(tags::PATIENT_AGE, VR::AS, &p.age),
        text(tags::PATIENT_ADDRESS, VR::LO, &p.address),
        text(tags::PATIENT_TELEPHONE_NUMBERS, VR::SH, &p.telephone),
        text(tags::BODY_PART_EXAMINED, VR::CS, s.body_part),
        text(tags::DEVICE_SERIAL_NUMBER, VR::LO, s.serial),
        text(tags::SOFTWARE_VERSIONS, VR::LO, &r.software_versions),
        text(tags::STUDY_INSTANCE_UID, VR::UI, &uid.study()),
        text(tags::SERIES_INSTANCE_UID, VR::UI, &series_uid),
        text(tags::STUDY_ID, VR::SH, &st.id),
        DataElement::new(tags::SERIES_NUMBER, VR::IS, s.number.to_string()),
        DataElement::new(tags::INSTANCE_NUMBER, VR::IS, instance.to_string()),
        seq(tags::REQUEST_ATTRIBUTES_SEQUENCE, vec![request]),
    ]
}

/// CT image, General/Image Plane/Image Pixel/CT Image modules for one slice.
pub fn ct_slice(r: &Recipe, grid: &Grid, slice: usize, pixels: Vec<u8>) -> Vec<El> {
    let ct = &r.ct;
    let pos = grid.position(0, 0, slice);
    let spacing = ds(ct.pixel_spacing);
    vec![
        multi(tags::IMAGE_TYPE, VR::CS, &["ORIGINAL".into(), "PRIMARY".into(), "AXIAL".into()]),
        text(tags::SCAN_OPTIONS, VR::CS, "HELICAL"),
        text(tags::SLICE_THICKNESS, VR::DS, &ds(ct.slice_spacing)),
        text(tags::KVP, VR::DS, &ct.kvp.to_string()),
        text(tags::SPACING_BETWEEN_SLICES, VR::DS, &ds(ct.slice_spacing)),
        text(tags::DATA_COLLECTION_DIAMETER, VR::DS, "500"),
        text(tags::PROTOCOL_NAME, VR::LO, &ct.protocol),
        text(tags::RECONSTRUCTION_DIAMETER, VR::DS, &ds(grid.cols as f64 * ct.pixel_spacing)),
        text(tags::EXPOSURE_TIME, VR::IS, &ct.exposure_time.to_string()),
        text(tags::X_RAY_TUBE_CURRENT, VR::IS, &ct.tube_current.to_string()),
        text(tags::CONVOLUTION_KERNEL, VR::SH, &ct.kernel),
        text(tags::PATIENT_POSITION, VR::CS, "HFS"),
        text(tags::ACQUISITION_NUMBER, VR::IS, "1"),
        multi(tags::IMAGE_POSITION_PATIENT, VR::DS, &pos.map(ds)),
        multi(tags::IMAGE_ORIENTATION_PATIENT, VR::DS, &["1", "0", "0", "0", "1", "0"].map(String::from)),
        text(tags::FRAME_OF_REFERENCE_UID, VR::UI, &Uids(&r.uid_root).frame_of_reference()),
        text(tags::POSITION_REFERENCE_INDICATOR, VR::LO, ""),
        text(tags::SLICE_LOCATION, VR::DS, &ds(pos[2])),
        ushort(tags::SAMPLES_PER_PIXEL, 1),
        text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2"),
        ushort(tags::ROWS, ct.rows),
        ushort(tags::COLUMNS, ct.columns),
        multi(tags::PIXEL_SPACING, VR::DS, &[spacing.clone(), spacing]),
        ushort(tags::BITS_ALLOCATED, 16),
        ushort(tags::BITS_STORED, 16),
        ushort(tags::HIGH_BIT, 15),
        ushort(tags::PIXEL_REPRESENTATION, 1),
        text(tags::BURNED_IN_ANNOTATION, VR::CS, "NO"),
        text(tags::WINDOW_CENTER, VR::DS, "40"),
        text(tags::WINDOW_WIDTH, VR::DS, "80"),
        text(tags::RESCALE_INTERCEPT, VR::DS, "-1024"),
        text(tags::RESCALE_SLOPE, VR::DS, "1"),
        text(tags::RESCALE_TYPE, VR::LO, "HU"),
        DataElement::new(tags::PIXEL_DATA, VR::OW, PrimitiveValue::from(pixels)),
    ]
}

/// Ultrasound image modules; `frames` > 1 adds the multi-frame cine attributes.
pub fn us_image(r: &Recipe, fan: &Fan, size: (u16, u16), rgb: bool, frames: u32, pixels: Vec<u8>) -> Vec<El> {
    let (rows, cols) = size;
    let depth_cm = if frames > 1 { r.cine.depth_cm } else { r.us.depth_cm };
    let [x0, y0, x1, y1] = fan.region();
    let delta = f64::from(fan.cm_per_px);
    let region = InMemDicomObject::from_element_iter([
        ushort(tags::REGION_SPATIAL_FORMAT, 1),
        ushort(tags::REGION_DATA_TYPE, 1),
        ulong(tags::REGION_FLAGS, 0),
        ulong(tags::REGION_LOCATION_MIN_X0, x0),
        ulong(tags::REGION_LOCATION_MIN_Y0, y0),
        ulong(tags::REGION_LOCATION_MAX_X1, x1),
        ulong(tags::REGION_LOCATION_MAX_Y1, y1),
        // The reference pixel is the centre of the probe face (0 cm lateral, 0 cm depth).
        DataElement::new(tags::REFERENCE_PIXEL_X0, VR::SL, PrimitiveValue::from(fan.apex_x as i32 - x0 as i32)),
        DataElement::new(tags::REFERENCE_PIXEL_Y0, VR::SL, PrimitiveValue::from(0i32)),
        ushort(tags::PHYSICAL_UNITS_X_DIRECTION, 3),
        ushort(tags::PHYSICAL_UNITS_Y_DIRECTION, 3),
        double(tags::REFERENCE_PIXEL_PHYSICAL_VALUE_X, 0.0),
        double(tags::REFERENCE_PIXEL_PHYSICAL_VALUE_Y, 0.0),
        double(tags::PHYSICAL_DELTA_X, delta),
        double(tags::PHYSICAL_DELTA_Y, delta),
        ulong(tags::TRANSDUCER_FREQUENCY, r.us.frequency_khz),
    ]);
    let photometric = if rgb { "RGB" } else { "MONOCHROME2" };
    let mut out = vec![
        multi(tags::IMAGE_TYPE, VR::CS, &["ORIGINAL".into(), "PRIMARY".into(), "ABDOMINAL".into()]),
        text(tags::TRANSDUCER_DATA, VR::LO, &r.us.transducer),
        text(tags::PROCESSING_FUNCTION, VR::LO, "ABDOMEN"),
        text(tags::DEPTH_OF_SCAN_FIELD, VR::IS, &format!("{:.0}", depth_cm * 10.0)),
        seq(tags::SEQUENCE_OF_ULTRASOUND_REGIONS, vec![region]),
        text(tags::TRANSDUCER_TYPE, VR::CS, "CURVED LINEAR"),
        text(tags::PATIENT_ORIENTATION, VR::CS, ""),
        ushort(tags::SAMPLES_PER_PIXEL, if rgb { 3 } else { 1 }),
        text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, photometric),
        ushort(tags::ROWS, rows),
        ushort(tags::COLUMNS, cols),
        ushort(tags::BITS_ALLOCATED, 8),
        ushort(tags::BITS_STORED, 8),
        ushort(tags::HIGH_BIT, 7),
        ushort(tags::PIXEL_REPRESENTATION, 0),
        text(tags::BURNED_IN_ANNOTATION, VR::CS, "YES"),
        text(tags::LOSSY_IMAGE_COMPRESSION, VR::CS, "00"),
        DataElement::new(tags::PIXEL_DATA, VR::OB, PrimitiveValue::from(pixels)),
    ];
    if rgb {
        out.push(ushort(tags::PLANAR_CONFIGURATION, 0));
    }
    if frames > 1 {
        let rate = (1000.0 / r.cine.frame_time_ms).round().to_string();
        out.extend([
            text(tags::CINE_RATE, VR::IS, &rate),
            text(tags::FRAME_TIME, VR::DS, &ds(r.cine.frame_time_ms)),
            text(tags::RECOMMENDED_DISPLAY_FRAME_RATE, VR::IS, &rate),
            text(tags::NUMBER_OF_FRAMES, VR::IS, &frames.to_string()),
            DataElement::new(tags::FRAME_INCREMENT_POINTER, VR::AT, PrimitiveValue::from(tags::FRAME_TIME)),
        ]);
    }
    out
}

/// Assembles the elements with a proper file meta group and writes the file.
pub fn write_file(elements: Vec<El>, path: &Path) -> Result<(), DemoError> {
    let meta = FileMetaTableBuilder::new()
        .transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN)
        .implementation_class_uid(crate::IMPLEMENTATION_CLASS_UID)
        .implementation_version_name(crate::IMPLEMENTATION_VERSION_NAME);
    let obj = InMemDicomObject::from_element_iter(elements)
        .with_meta(meta)
        .map_err(|source| DemoError::Meta { path: path.to_owned(), source: Box::new(source) })?;
    obj.write_to_file(path).map_err(|source| DemoError::Dicom { path: path.to_owned(), source: Box::new(source) })
}
