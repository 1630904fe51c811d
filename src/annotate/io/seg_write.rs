//! Writing a label map as a DICOM Segmentation object (PS3.3 A.51): BINARY, Explicit VR Little
//! Endian, one frame per (segment, slice) that holds at least one voxel of the segment (empty
//! frames are left out, as highdicom does by default). Segment numbers run 1…N in label-value
//! order; the label value itself is kept in a private element of the segment item.

use std::path::{Path, PathBuf};

use dicom_core::VR;
use dicom_core::header::Header as _;
use dicom_dictionary_std::{tags, uids};
use dicom_object::mem::InMemElement;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use serde::Serialize;

use super::colour::{parse_hex, rgb_to_dicom_lab};
use super::reference::ReferenceSeries;
use super::seg_attrs::*;
use super::{LabelIoError, bits};
use crate::annotate::LabelMap;
use crate::deid::vault::random_uid;
use crate::project::annotations::Label;

/// What the caller chooses for the SEG object.
#[derive(Debug, Clone)]
pub struct SegOptions {
    /// Content Label (CS: upper case, digits, underscore, space; at most 16 characters).
    pub content_label: String,
    pub content_description: String,
    /// Content Creator's Name (PN), e.g. the annotator.
    pub content_creator: String,
    pub series_description: String,
}

impl Default for SegOptions {
    fn default() -> Self {
        SegOptions {
            content_label: "SEGMENTATION".into(),
            content_description: "sumi label map".into(),
            content_creator: String::new(),
            series_description: "Segmentation".into(),
        }
    }
}

/// One segment as written.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentSummary {
    pub number: u16,
    pub value: u8,
    pub label: String,
    pub voxels: u64,
    pub frames: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct SegWritten {
    pub path: PathBuf,
    pub sop_instance_uid: String,
    pub series_instance_uid: String,
    pub frames: usize,
    pub segments: Vec<SegmentSummary>,
    /// Label values found in the map without a row in the table (written with a default name).
    pub unlisted_values: Vec<u8>,
}

/// The label table completed for the map: every listed label plus a default row for each value
/// the map holds without one, sorted by value.
pub fn complete_table(map: &LabelMap, labels: &[Label]) -> Result<(Vec<Label>, Vec<u8>), String> {
    let mut table = labels.to_vec();
    table.sort_by_key(|l| l.value);
    if table.first().is_some_and(|l| l.value == 0) {
        return Err("label value 0 is the background and cannot be a segment".into());
    }
    if let Some(w) = table.windows(2).find(|w| w[0].value == w[1].value) {
        return Err(format!("label value {} is listed twice", w[0].value));
    }
    let histogram = map.histogram();
    let mut unlisted = Vec::new();
    for v in 1..=255u8 {
        if histogram[usize::from(v)] > 0 && table.binary_search_by_key(&v, |l| l.value).is_err() {
            unlisted.push(v);
            table.push(Label {
                value: v,
                name: format!("Label {v}"),
                colour: "#808080".into(),
                code: None,
                visible: true,
                locked: false,
            });
        }
    }
    table.sort_by_key(|l| l.value);
    Ok((table, unlisted))
}

/// Writes `map` (on `reference`'s grid) with `labels` as a SEG file at `path` (through a
/// temporary name: a failed write leaves nothing).
pub fn write_seg(
    path: &Path,
    reference: &ReferenceSeries,
    map: &LabelMap,
    labels: &[Label],
    options: &SegOptions,
) -> Result<SegWritten, LabelIoError> {
    let invalid = |reason: String| LabelIoError::invalid(path, reason);
    let g = &reference.geometry;
    if map.dims() != g.dims {
        return Err(LabelIoError::Mismatch {
            path: path.to_path_buf(),
            reference: reference.path.clone(),
            reason: format!("label map is {:?}, the series {:?}", map.dims(), g.dims),
        });
    }
    let (rows, cols) = match (u16::try_from(g.dims[1]), u16::try_from(g.dims[0])) {
        (Ok(r), Ok(c)) => (r, c),
        _ => return Err(invalid(format!("{:?} exceeds DICOM's 65535 rows or columns", g.dims))),
    };
    let (table, unlisted_values) = complete_table(map, labels).map_err(invalid)?;
    let per_frame_bits = g.dims[0] * g.dims[1];

    // Voxels per (slice, value) in one pass over the labelled slices.
    let labelled: Vec<usize> = map.labelled_slices().collect();
    let per_slice: Vec<[u32; 256]> = labelled
        .iter()
        .map(|&z| {
            let mut h = [0u32; 256];
            map.slice(z).expect("labelled").iter().for_each(|&v| h[usize::from(v)] += 1);
            h
        })
        .collect();
    // Frames: segment-major, slices in k order within a segment; `frame_of[slice][value]`.
    let mut frames: Vec<(u16, usize)> = Vec::new();
    let mut frame_of = vec![[u32::MAX; 256]; labelled.len()];
    let mut summaries = Vec::with_capacity(table.len());
    for (n, label) in table.iter().enumerate() {
        let number = (n + 1) as u16;
        let v = usize::from(label.value);
        let mut s = SegmentSummary { number, value: label.value, label: label.name.clone(), voxels: 0, frames: 0 };
        for (l, &z) in labelled.iter().enumerate().filter(|(l, _)| per_slice[*l][v] > 0) {
            frame_of[l][v] = frames.len() as u32;
            frames.push((number, z));
            s.voxels += u64::from(per_slice[l][v]);
            s.frames += 1;
        }
        summaries.push(s);
    }
    if frames.is_empty() {
        return Err(invalid("the label map is empty: a SEG needs at least one frame".into()));
    }
    let mut pixels = vec![0u8; (frames.len() * per_frame_bits).div_ceil(8).next_multiple_of(2)];
    for (l, &z) in labelled.iter().enumerate() {
        for (i, &v) in map.slice(z).expect("labelled").iter().enumerate().filter(|(_, v)| **v != 0) {
            bits::set(&mut pixels, frame_of[l][usize::from(v)] as usize * per_frame_bits + i);
        }
    }

    let sop_uid = random_uid();
    let series_uid = random_uid();
    let mut elements = header_elements(reference, options, &sop_uid, &series_uid);
    elements.extend([
        ushort(tags::ROWS, rows),
        ushort(tags::COLUMNS, cols),
        text(tags::NUMBER_OF_FRAMES, VR::IS, &frames.len().to_string()),
        seq(tags::SEGMENT_SEQUENCE, table.iter().enumerate().map(|(n, l)| segment_item(n + 1, l)).collect()),
        seq(tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE, vec![shared_groups(reference)]),
        seq(
            tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE,
            frames.iter().map(|&(number, z)| frame_item(reference, number, z)).collect(),
        ),
        referenced_series(reference),
        dicom_core::DataElement::new(tags::PIXEL_DATA, VR::OB, dicom_core::PrimitiveValue::from(pixels)),
    ]);
    let meta = FileMetaTableBuilder::new()
        .transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN)
        .media_storage_sop_class_uid(SEGMENTATION_STORAGE)
        .media_storage_sop_instance_uid(sop_uid.clone())
        .implementation_class_uid(crate::IMPLEMENTATION_CLASS_UID)
        .implementation_version_name(crate::IMPLEMENTATION_VERSION_NAME)
        .build()
        .map_err(|e| invalid(crate::dicom::error_chain(&e)))?;
    let obj = InMemDicomObject::from_element_iter(elements).with_exact_meta(meta);
    let mut bytes = Vec::new();
    obj.write_all(&mut bytes).map_err(|e| invalid(crate::dicom::error_chain(&e)))?;
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, &bytes).and_then(|()| std::fs::rename(&tmp, path)).map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        LabelIoError::Io { path: path.to_path_buf(), source }
    })?;
    Ok(SegWritten {
        path: path.to_path_buf(),
        sop_instance_uid: sop_uid,
        series_instance_uid: series_uid,
        frames: frames.len(),
        segments: summaries,
        unlisted_values,
    })
}

/// Patient, study, series, equipment, frame of reference and image-level elements.
fn header_elements(r: &ReferenceSeries, o: &SegOptions, sop_uid: &str, series_uid: &str) -> Vec<InMemElement> {
    let now = crate::project::now_rfc3339();
    let date: String = now[..10].replace('-', "");
    let time: String = now[11..23].replace(':', "");
    let mut e: Vec<InMemElement> = r.copied.clone();
    // Type 2 elements of the copied modules are present even when the source lacks them.
    for (tag, vr) in [
        (tags::PATIENT_NAME, VR::PN),
        (tags::PATIENT_ID, VR::LO),
        (tags::PATIENT_BIRTH_DATE, VR::DA),
        (tags::PATIENT_SEX, VR::CS),
        (tags::STUDY_DATE, VR::DA),
        (tags::STUDY_TIME, VR::TM),
        (tags::REFERRING_PHYSICIAN_NAME, VR::PN),
        (tags::STUDY_ID, VR::SH),
        (tags::ACCESSION_NUMBER, VR::SH),
        (tags::POSITION_REFERENCE_INDICATOR, VR::LO),
    ] {
        if !e.iter().any(|x| x.tag() == tag) {
            e.push(text(tag, vr, ""));
        }
    }
    if !e.iter().any(|x| x.tag() == tags::STUDY_INSTANCE_UID) {
        e.push(text(tags::STUDY_INSTANCE_UID, VR::UI, &r.study_uid));
    }
    let series_number = r.series_number.map_or(1000, |n| n + 1000);
    e.extend([
        text(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 192"),
        text(tags::SOP_CLASS_UID, VR::UI, SEGMENTATION_STORAGE),
        text(tags::SOP_INSTANCE_UID, VR::UI, sop_uid),
        text(tags::IMAGE_TYPE, VR::CS, "DERIVED\\PRIMARY"),
        text(tags::MODALITY, VR::CS, "SEG"),
        text(tags::SERIES_INSTANCE_UID, VR::UI, series_uid),
        text(tags::SERIES_NUMBER, VR::IS, &series_number.to_string()),
        text(tags::SERIES_DESCRIPTION, VR::LO, &o.series_description),
        text(tags::INSTANCE_NUMBER, VR::IS, "1"),
        text(tags::CONTENT_DATE, VR::DA, &date),
        text(tags::CONTENT_TIME, VR::TM, &time),
        text(tags::MANUFACTURER, VR::LO, "sumi"),
        text(tags::MANUFACTURER_MODEL_NAME, VR::LO, "sumi"),
        text(tags::DEVICE_SERIAL_NUMBER, VR::LO, "0"),
        text(tags::SOFTWARE_VERSIONS, VR::LO, env!("CARGO_PKG_VERSION")),
        text(tags::CONTENT_LABEL, VR::CS, &content_label(&o.content_label)),
        text(tags::CONTENT_DESCRIPTION, VR::LO, &o.content_description),
        text(tags::CONTENT_CREATOR_NAME, VR::PN, &o.content_creator),
        ushort(tags::SAMPLES_PER_PIXEL, 1),
        text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2"),
        ushort(tags::BITS_ALLOCATED, 1),
        ushort(tags::BITS_STORED, 1),
        ushort(tags::HIGH_BIT, 0),
        ushort(tags::PIXEL_REPRESENTATION, 0),
        text(tags::LOSSY_IMAGE_COMPRESSION, VR::CS, "00"),
        text(tags::SEGMENTATION_TYPE, VR::CS, "BINARY"),
        text(tags::SEGMENTS_OVERLAP, VR::CS, "NO"),
    ]);
    if r.frame_of_reference_uid.is_some() && !e.iter().any(|x| x.tag() == tags::FRAME_OF_REFERENCE_UID) {
        e.push(text(tags::FRAME_OF_REFERENCE_UID, VR::UI, r.frame_of_reference_uid.as_deref().unwrap_or("")));
    }
    let dim_org = random_uid();
    e.push(seq(
        tags::DIMENSION_ORGANIZATION_SEQUENCE,
        vec![item(vec![text(tags::DIMENSION_ORGANIZATION_UID, VR::UI, &dim_org)])],
    ));
    let index = |pointer, group, description: &str| {
        item(vec![
            tag_value(tags::DIMENSION_INDEX_POINTER, pointer),
            tag_value(tags::FUNCTIONAL_GROUP_POINTER, group),
            text(tags::DIMENSION_ORGANIZATION_UID, VR::UI, &dim_org),
            text(tags::DIMENSION_DESCRIPTION_LABEL, VR::LO, description),
        ])
    };
    e.push(seq(
        tags::DIMENSION_INDEX_SEQUENCE,
        vec![
            index(tags::REFERENCED_SEGMENT_NUMBER, tags::SEGMENT_IDENTIFICATION_SEQUENCE, "ReferencedSegmentNumber"),
            index(tags::IMAGE_POSITION_PATIENT, tags::PLANE_POSITION_SEQUENCE, "ImagePositionPatient"),
        ],
    ));
    e
}

/// CS allows A–Z, 0–9, underscore and space, 16 characters.
fn content_label(s: &str) -> String {
    let cleaned: String = s
        .to_ascii_uppercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == ' ' { c } else { '_' })
        .take(16)
        .collect();
    if cleaned.trim().is_empty() { "SEGMENTATION".into() } else { cleaned }
}

fn segment_item(number: usize, l: &Label) -> InMemDicomObject {
    let (tv, ts, tm) = l
        .code
        .clone()
        .unwrap_or_else(|| (FALLBACK_TYPE.0.to_string(), FALLBACK_TYPE.1.to_string(), FALLBACK_TYPE.2.to_string()));
    let lab = rgb_to_dicom_lab(parse_hex(&l.colour).unwrap_or([128, 128, 128]));
    item(vec![
        ushort(tags::SEGMENT_NUMBER, number as u16),
        text(tags::SEGMENT_LABEL, VR::LO, &l.name),
        text(tags::SEGMENT_ALGORITHM_TYPE, VR::CS, "MANUAL"),
        seq(
            tags::SEGMENTED_PROPERTY_CATEGORY_CODE_SEQUENCE,
            vec![code(FALLBACK_CATEGORY.0, FALLBACK_CATEGORY.1, FALLBACK_CATEGORY.2)],
        ),
        seq(tags::SEGMENTED_PROPERTY_TYPE_CODE_SEQUENCE, vec![code(&tv, &ts, &tm)]),
        ushorts(tags::RECOMMENDED_DISPLAY_CIE_LAB_VALUE, &lab),
        text(PRIVATE_CREATOR_TAG, VR::LO, PRIVATE_CREATOR),
        ushort(LABEL_VALUE_TAG, u16::from(l.value)),
    ])
}

fn shared_groups(r: &ReferenceSeries) -> InMemDicomObject {
    let g = &r.geometry;
    let sp = g.spacing();
    let (row, col) = (g.direction(0), g.direction(1));
    let step = r.slice_step();
    item(vec![
        seq(
            tags::PIXEL_MEASURES_SEQUENCE,
            vec![item(vec![
                decimals(tags::PIXEL_SPACING, &[sp[1], sp[0]]),
                decimals(tags::SLICE_THICKNESS, &[r.slice_thickness.filter(|t| *t > 0.0).unwrap_or(step)]),
                decimals(tags::SPACING_BETWEEN_SLICES, &[step]),
            ])],
        ),
        seq(
            tags::PLANE_ORIENTATION_SEQUENCE,
            vec![item(vec![decimals(tags::IMAGE_ORIENTATION_PATIENT, &[row.x, row.y, row.z, col.x, col.y, col.z])])],
        ),
    ])
}

fn frame_item(r: &ReferenceSeries, number: u16, z: usize) -> InMemDicomObject {
    let p = r.geometry.index_to_patient(nalgebra::Vector3::new(0.0, 0.0, z as f64));
    let mut e = vec![
        seq(
            tags::FRAME_CONTENT_SEQUENCE,
            vec![item(vec![uints(tags::DIMENSION_INDEX_VALUES, &[u32::from(number), z as u32 + 1])])],
        ),
        seq(tags::PLANE_POSITION_SEQUENCE, vec![item(vec![decimals(tags::IMAGE_POSITION_PATIENT, &[p.x, p.y, p.z])])]),
        seq(tags::SEGMENT_IDENTIFICATION_SEQUENCE, vec![item(vec![ushort(tags::REFERENCED_SEGMENT_NUMBER, number)])]),
    ];
    if let Some(src) = &r.slices[z] {
        let mut source = vec![
            text(tags::REFERENCED_SOP_CLASS_UID, VR::UI, &src.sop_class_uid),
            text(tags::REFERENCED_SOP_INSTANCE_UID, VR::UI, &src.sop_instance_uid),
            seq(
                tags::PURPOSE_OF_REFERENCE_CODE_SEQUENCE,
                vec![code("121322", "DCM", "Source image for image processing operation")],
            ),
        ];
        if let Some(f) = src.frame {
            source.push(text(tags::REFERENCED_FRAME_NUMBER, VR::IS, &f.to_string()));
        }
        e.push(seq(
            tags::DERIVATION_IMAGE_SEQUENCE,
            vec![item(vec![
                seq(tags::DERIVATION_CODE_SEQUENCE, vec![code("113076", "DCM", "Segmentation")]),
                seq(tags::SOURCE_IMAGE_SEQUENCE, vec![item(source)]),
            ])],
        ));
    }
    item(e)
}

/// Common Instance Reference: every source instance of the series.
fn referenced_series(r: &ReferenceSeries) -> InMemElement {
    let mut seen = std::collections::HashSet::new();
    let instances: Vec<InMemDicomObject> = r
        .slices
        .iter()
        .flatten()
        .filter(|s| seen.insert(s.sop_instance_uid.clone()))
        .map(|s| {
            item(vec![
                text(tags::REFERENCED_SOP_CLASS_UID, VR::UI, &s.sop_class_uid),
                text(tags::REFERENCED_SOP_INSTANCE_UID, VR::UI, &s.sop_instance_uid),
            ])
        })
        .collect();
    seq(
        tags::REFERENCED_SERIES_SEQUENCE,
        vec![item(vec![
            text(tags::SERIES_INSTANCE_UID, VR::UI, &r.series_uid),
            seq(tags::REFERENCED_INSTANCE_SEQUENCE, instances),
        ])],
    )
}
