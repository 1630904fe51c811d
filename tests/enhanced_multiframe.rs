//! Enhanced multi-frame objects keep their geometry in functional groups: per-frame Plane
//! Position, shared Plane Orientation, Pixel Measures and Pixel Value Transformation.

use dicom_core::value::DataSetSequence;
use dicom_core::{DataElement, PrimitiveValue, VR, dicom_value};
use dicom_dictionary_std::{tags, uids};
use dicom_object::InMemDicomObject;
use dicom_object::meta::FileMetaTableBuilder;
use sumi::dicom::scan_paths;
use sumi::volume::{SeriesKind, load_volume, plan_series};

fn item(elements: Vec<DataElement<InMemDicomObject>>) -> InMemDicomObject {
    InMemDicomObject::from_element_iter(elements)
}

fn seq(tag: dicom_core::Tag, items: Vec<InMemDicomObject>) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, VR::SQ, DataSetSequence::from(items))
}

/// Frame z positions written out of order; stored value = 1024 + z, intercept −1024.
const Z: [f64; 5] = [4.0, 0.0, 8.0, 2.0, 6.0];

fn write_enhanced_ct(path: &std::path::Path) {
    let (rows, cols) = (3u16, 4u16);
    let shared = item(vec![
        seq(
            tags::PIXEL_MEASURES_SEQUENCE,
            vec![item(vec![
                DataElement::new(
                    tags::PIXEL_SPACING,
                    VR::DS,
                    dicom_value!(Strs, ["0.5".to_string(), "0.75".to_string()]),
                ),
                DataElement::new(tags::SLICE_THICKNESS, VR::DS, PrimitiveValue::from("2")),
            ])],
        ),
        seq(
            tags::PLANE_ORIENTATION_SEQUENCE,
            vec![item(vec![DataElement::new(
                tags::IMAGE_ORIENTATION_PATIENT,
                VR::DS,
                PrimitiveValue::Strs(["1", "0", "0", "0", "1", "0"].map(String::from).into_iter().collect()),
            )])],
        ),
        seq(
            tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE,
            vec![item(vec![
                DataElement::new(tags::RESCALE_INTERCEPT, VR::DS, PrimitiveValue::from("-1024")),
                DataElement::new(tags::RESCALE_SLOPE, VR::DS, PrimitiveValue::from("1")),
            ])],
        ),
    ]);
    let per_frame: Vec<InMemDicomObject> = Z
        .iter()
        .map(|z| {
            item(vec![seq(
                tags::PLANE_POSITION_SEQUENCE,
                vec![item(vec![DataElement::new(
                    tags::IMAGE_POSITION_PATIENT,
                    VR::DS,
                    dicom_value!(Strs, ["-10".to_string(), "20".to_string(), format!("{z}")]),
                )])],
            )])
        })
        .collect();
    let pixels: Vec<u16> =
        Z.iter().flat_map(|z| std::iter::repeat_n(1024 + *z as u16, usize::from(rows * cols))).collect();
    let sop = "2.25.1001";
    let obj = InMemDicomObject::from_element_iter([
        DataElement::new(tags::SOP_CLASS_UID, VR::UI, PrimitiveValue::from(uids::ENHANCED_CT_IMAGE_STORAGE)),
        DataElement::new(tags::SOP_INSTANCE_UID, VR::UI, PrimitiveValue::from(sop)),
        DataElement::new(tags::STUDY_INSTANCE_UID, VR::UI, PrimitiveValue::from("2.25.1002")),
        DataElement::new(tags::SERIES_INSTANCE_UID, VR::UI, PrimitiveValue::from("2.25.1003")),
        DataElement::new(tags::MODALITY, VR::CS, PrimitiveValue::from("CT")),
        DataElement::new(tags::NUMBER_OF_FRAMES, VR::IS, PrimitiveValue::from(Z.len().to_string())),
        DataElement::new(tags::ROWS, VR::US, PrimitiveValue::from(rows)),
        DataElement::new(tags::COLUMNS, VR::US, PrimitiveValue::from(cols)),
        DataElement::new(tags::SAMPLES_PER_PIXEL, VR::US, PrimitiveValue::from(1u16)),
        DataElement::new(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, PrimitiveValue::from("MONOCHROME2")),
        DataElement::new(tags::BITS_ALLOCATED, VR::US, PrimitiveValue::from(16u16)),
        DataElement::new(tags::BITS_STORED, VR::US, PrimitiveValue::from(12u16)),
        DataElement::new(tags::HIGH_BIT, VR::US, PrimitiveValue::from(11u16)),
        DataElement::new(tags::PIXEL_REPRESENTATION, VR::US, PrimitiveValue::from(0u16)),
        seq(tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE, vec![shared]),
        seq(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE, per_frame),
        DataElement::new(tags::PIXEL_DATA, VR::OW, PrimitiveValue::U16(pixels.into())),
    ]);
    obj.with_meta(FileMetaTableBuilder::new().transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN))
        .unwrap()
        .write_to_file(path)
        .unwrap();
}

#[test]
fn enhanced_multiframe_frames_are_sorted_by_per_frame_plane_position() {
    let dir = tempfile::tempdir().unwrap();
    write_enhanced_ct(&dir.path().join("enhanced.dcm"));
    let scan = scan_paths(&[dir.path().to_path_buf()], &|_, _| {});
    assert_eq!(scan.instances.len(), 1, "{:?}", scan.unreadable);
    let image = scan.instances[0].image.as_ref().unwrap();
    assert_eq!(image.positions.len(), Z.len(), "one Image Position per frame from the per-frame groups");
    assert_eq!(image.pixel_spacing, Some([0.5, 0.75]), "Pixel Measures from the shared groups");
    assert_eq!(image.rescale_intercept, -1024.0, "Pixel Value Transformation from the shared groups");

    let plan = plan_series(&[&scan.instances[0]]).unwrap();
    assert_eq!(plan.kind, SeriesKind::Volume);
    assert_eq!(plan.geometry.dims, [4, 3, 5]);
    let s = plan.geometry.spacing();
    assert!((s[0] - 0.75).abs() < 1e-9 && (s[1] - 0.5).abs() < 1e-9 && (s[2] - 2.0).abs() < 1e-9, "{s:?}");
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    let volume = load_volume(&plan, None).unwrap();
    for k in 0..5 {
        let z = volume.geometry.index_to_patient(nalgebra::Vector3::new(0.0, 0.0, k as f64)).z;
        assert_eq!(z, 2.0 * k as f64, "slice {k} sits at its frame's position");
        assert_eq!(volume.at(0, 0, k), z, "slice {k} holds the frame written for z = {z}");
    }
}
