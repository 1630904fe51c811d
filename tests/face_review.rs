//! Non-text identifiers in the burned-in review queue: photographs of faces written as DICOM
//! (native RGB and JPEG baseline, from the sample photos) or added as plain JPEG files get an eye
//! band or a whole-face box per the project setting, at identifier risk; whole-slide label and overview images get a full
//! mask, volume images do not.
//!
//! The photos come from `scripts/fetch-sample-data.sh` (`$SUMI_SAMPLE_DATA` overrides the cache's
//! place); missing data fails the tests.

mod sample_data;

use std::path::{Path, PathBuf};

use dicom_core::value::{PixelFragmentSequence, Value};
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::InMemDicomObject;
use dicom_object::meta::FileMetaTableBuilder;
use sumi::deid::nontext::{EYE_BAND_REASON, SLIDE_LABEL_REASON, VL_PHOTO_SOP_CLASS, WHOLE_FACE_REASON, WSI_SOP_CLASS};
use sumi::deid::text_queue::{ProposeOptions, propose_for_project};
use sumi::dicom::scan_paths;
use sumi::project::text_review::{QueueItem, ReviewBox, risk};
use sumi::project::{FaceMask, Project, ProjectError, audit_events, import_scan};

fn sample(rel: &str) -> PathBuf {
    let dir = sample_data::root();
    let path = dir.join(rel);
    assert!(path.is_file(), "sample photo missing: {} (rerun scripts/fetch-sample-data.sh)", path.display());
    path
}

/// The eye and face boxes drawn for a photo in `tests/data/face-truth/<name>.json` (first face).
fn truth(name: &str) -> ([u32; 4], [u32; 4]) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/face-truth").join(format!("{name}.json"));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let four = |k: &str| -> [u32; 4] { serde_json::from_value(v["faces"][0][k].clone()).unwrap() };
    (four("eyes"), four("face"))
}

fn covered(b: &ReviewBox, t: [u32; 4]) -> f64 {
    let w = (b.x + b.w).min(t[0] + t[2]).saturating_sub(b.x.max(t[0]));
    let h = (b.y + b.h).min(t[1] + t[3]).saturating_sub(b.y.max(t[1]));
    f64::from(w * h) / f64::from(t[2] * t[3])
}

fn text(tag: Tag, vr: VR, v: &str) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, vr, PrimitiveValue::from(v))
}

fn us(tag: Tag, v: u16) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, VR::US, PrimitiveValue::from(v))
}

/// An 8-bit colour image's header: identity, the given SOP class and modality, Image Type.
fn header(
    sop_class: &str,
    uid: &str,
    modality: &str,
    image_type: &[&str],
    rows: u16,
    cols: u16,
) -> Vec<DataElement<InMemDicomObject>> {
    let mut e = vec![
        text(tags::SOP_CLASS_UID, VR::UI, sop_class),
        text(tags::SOP_INSTANCE_UID, VR::UI, uid),
        text(tags::STUDY_INSTANCE_UID, VR::UI, "2.25.5150.1"),
        text(tags::SERIES_INSTANCE_UID, VR::UI, &format!("{uid}.0")),
        text(tags::MODALITY, VR::CS, modality),
        text(tags::PATIENT_NAME, VR::PN, "Doe^Jane"),
        text(tags::PATIENT_ID, VR::LO, "FACE-1"),
        us(tags::SAMPLES_PER_PIXEL, 3),
        us(tags::PLANAR_CONFIGURATION, 0),
        us(tags::ROWS, rows),
        us(tags::COLUMNS, cols),
        us(tags::BITS_ALLOCATED, 8),
        us(tags::BITS_STORED, 8),
        us(tags::HIGH_BIT, 7),
        us(tags::PIXEL_REPRESENTATION, 0),
    ];
    if !image_type.is_empty() {
        let values = image_type.iter().map(|s| s.to_string()).collect();
        e.push(DataElement::new(tags::IMAGE_TYPE, VR::CS, PrimitiveValue::Strs(values)));
    }
    e
}

fn write(path: &Path, elements: Vec<DataElement<InMemDicomObject>>, transfer_syntax: &str) {
    let obj = InMemDicomObject::from_element_iter(elements);
    let file = obj.with_meta(FileMetaTableBuilder::new().transfer_syntax(transfer_syntax)).expect("file meta");
    file.write_to_file(path).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// A VL Photographic image (modality XC) with the PNG's pixels, native RGB.
fn write_png_photo(path: &Path, png: &Path, uid: &str) {
    let img = image::open(png).unwrap_or_else(|e| panic!("{}: {e}", png.display())).to_rgb8();
    let (cols, rows) = (img.width() as u16, img.height() as u16);
    let mut e = header(VL_PHOTO_SOP_CLASS, uid, "XC", &["ORIGINAL", "PRIMARY"], rows, cols);
    e.push(text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "RGB"));
    e.push(DataElement::new(tags::PIXEL_DATA, VR::OB, PrimitiveValue::from(img.into_raw())));
    write(path, e, uids::EXPLICIT_VR_LITTLE_ENDIAN);
}

/// A VL Photographic image holding the JPEG file itself (JPEG Baseline, as cameras store it).
fn write_jpeg_photo(path: &Path, jpeg: &Path, uid: &str) {
    let bytes = std::fs::read(jpeg).unwrap();
    let (cols, rows) = image::ImageReader::with_format(std::io::Cursor::new(&bytes), image::ImageFormat::Jpeg)
        .into_dimensions()
        .unwrap_or_else(|e| panic!("{}: {e}", jpeg.display()));
    let mut e = header(VL_PHOTO_SOP_CLASS, uid, "XC", &["ORIGINAL", "PRIMARY"], rows as u16, cols as u16);
    e.push(text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "YBR_FULL_422"));
    let mut fragment = bytes;
    fragment.resize(fragment.len().next_multiple_of(2), 0);
    let pixels = PixelFragmentSequence::new(Vec::<u32>::new(), vec![fragment]);
    e.push(DataElement::new(tags::PIXEL_DATA, VR::OB, Value::PixelSequence(pixels)));
    write(path, e, uids::JPEG_BASELINE8_BIT);
}

/// A whole-slide image of `rows` × `cols` grey-blue pixels with the given Image Type.
fn write_slide(path: &Path, uid: &str, image_type: &[&str], rows: u16, cols: u16) {
    let mut e = header(WSI_SOP_CLASS, uid, "SM", image_type, rows, cols);
    e.push(text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "RGB"));
    let pixels: Vec<u8> = (0..usize::from(rows) * usize::from(cols)).flat_map(|_| [180u8, 190, 210]).collect();
    e.push(DataElement::new(tags::PIXEL_DATA, VR::OB, PrimitiveValue::from(pixels)));
    write(path, e, uids::EXPLICIT_VR_LITTLE_ENDIAN);
}

/// Imports `dir` into a new project, optionally sets the face mask, and fills the queue.
fn queue(dir: &Path, mask: Option<FaceMask>) -> (Project, Vec<QueueItem>) {
    let scan = scan_paths(&[dir.to_path_buf()], &|_, _| {});
    assert!(scan.unreadable.is_empty(), "{:?}", scan.unreadable);
    let mut project = Project::open(&dir.join("p.sumi")).unwrap();
    import_scan(&mut project, &scan, "importer", &[]).unwrap();
    if let Some(mask) = mask {
        project.set_face_mask(mask, "lead").unwrap();
    }
    let summary = propose_for_project(&mut project, &scan.instances, ProposeOptions::default()).unwrap();
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    let items = project.text_review_queue().unwrap();
    (project, items)
}

fn item<'a>(items: &'a [QueueItem], uid: &str) -> &'a QueueItem {
    items.iter().find(|q| q.sop_instance_uid == uid).unwrap_or_else(|| panic!("{uid} not queued"))
}

fn only_reason<'a>(q: &'a QueueItem, reason: &str) -> Vec<&'a ReviewBox> {
    q.proposed.iter().filter(|b| b.reason == reason).collect()
}

#[test]
fn a_vl_photo_of_a_face_gets_an_eye_band_over_its_eyes_at_identifier_risk() {
    let dir = tempfile::tempdir().unwrap();
    write_png_photo(
        &dir.path().join("astronaut.dcm"),
        &sample("scikit-image/skimage/data/astronaut.png"),
        "2.25.5150.2",
    );
    write_jpeg_photo(
        &dir.path().join("obama.dcm"),
        &sample("face-recognition/tests/test_images/obama.jpg"),
        "2.25.5150.3",
    );
    let (project, items) = queue(dir.path(), None);
    assert_eq!(project.face_mask().unwrap(), FaceMask::EyeBand, "the eye band is the default");
    for (uid, name) in [("2.25.5150.2", "astronaut"), ("2.25.5150.3", "obama")] {
        let q = item(&items, uid);
        let bands = only_reason(q, EYE_BAND_REASON);
        assert_eq!(bands.len(), 1, "{name}: one face, one band: {:?}", q.proposed);
        let (eyes, _) = truth(name);
        let b = bands[0];
        assert!(covered(b, eyes) >= 0.9, "{name}: band {b:?} misses the eyes {eyes:?}");
        assert!(b.score > 0.0 && b.score <= 1.0 && (b.first_frame, b.last_frame) == (0, 0), "{b:?}");
        assert_eq!(q.risk, risk::PHI_MATCH, "{name}: a face is an identifier");
        assert_eq!(q.boxes, q.proposed, "the reviewer starts from the proposal");
    }
}

#[test]
fn a_jpeg_photo_added_as_it_is_gets_an_eye_band_too() {
    // PNG/JPEG/TIFF files join projects as OT/XC instances: photographs like any other.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(sample("face-recognition/tests/test_images/obama2.jpg"), dir.path().join("visit.jpg")).unwrap();
    let (_, items) = queue(dir.path(), None);
    assert_eq!(items.len(), 1, "{items:?}");
    let bands = only_reason(&items[0], EYE_BAND_REASON);
    assert_eq!(bands.len(), 1, "{:?}", items[0].proposed);
    let (eyes, _) = truth("obama2");
    assert!(covered(bands[0], eyes) >= 0.9, "band {:?} misses the eyes {eyes:?}", bands[0]);
    assert_eq!(items[0].risk, risk::PHI_MATCH);
}

#[test]
fn the_whole_face_setting_proposes_the_face_with_forehead_and_chin() {
    let dir = tempfile::tempdir().unwrap();
    write_png_photo(
        &dir.path().join("astronaut.dcm"),
        &sample("scikit-image/skimage/data/astronaut.png"),
        "2.25.5150.4",
    );
    let (project, items) = queue(dir.path(), Some(FaceMask::WholeFace));
    let q = item(&items, "2.25.5150.4");
    assert!(only_reason(q, EYE_BAND_REASON).is_empty());
    let faces = only_reason(q, WHOLE_FACE_REASON);
    assert_eq!(faces.len(), 1, "{:?}", q.proposed);
    let (eyes, face) = truth("astronaut");
    assert!(covered(faces[0], face) >= 0.9 && covered(faces[0], eyes) == 1.0, "{:?} vs face {face:?}", faces[0]);
    let event = audit_events(&project.conn).unwrap().into_iter().find(|e| e.action == "set-setting").unwrap();
    assert_eq!((event.actor.as_str(), event.object.as_deref()), ("lead", Some(FaceMask::KEY)));
    assert_eq!(event.details["new"], "whole-face");
}

#[test]
fn an_unknown_face_mask_setting_is_an_error_naming_the_project_key_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = Project::open(&dir.path().join("p.sumi")).unwrap();
    project.set_setting(FaceMask::KEY, "blur", "lead").unwrap();
    let err = project.face_mask().unwrap_err();
    assert!(matches!(err, ProjectError::BadSetting { .. }));
    let msg = err.to_string();
    assert!(msg.contains("p.sumi") && msg.contains(FaceMask::KEY) && msg.contains("blur"), "{msg}");
    assert!(
        propose_for_project(&mut project, &[], ProposeOptions::default()).is_err(),
        "no proposals under an unreadable setting"
    );
}

#[test]
fn whole_slide_labels_and_overviews_get_a_full_mask_and_volumes_do_not() {
    let dir = tempfile::tempdir().unwrap();
    write_slide(&dir.path().join("label.dcm"), "2.25.5150.10", &["ORIGINAL", "PRIMARY", "LABEL", "NONE"], 40, 96);
    write_slide(
        &dir.path().join("overview.dcm"),
        "2.25.5150.11",
        &["ORIGINAL", "PRIMARY", "OVERVIEW", "NONE"],
        64,
        160,
    );
    write_slide(&dir.path().join("volume.dcm"), "2.25.5150.12", &["ORIGINAL", "PRIMARY", "VOLUME", "NONE"], 64, 64);
    let (_, items) = queue(dir.path(), None);
    for (uid, rows, cols) in [("2.25.5150.10", 40, 96), ("2.25.5150.11", 64, 160)] {
        let q = item(&items, uid);
        let full = only_reason(q, SLIDE_LABEL_REASON);
        assert_eq!(full.len(), 1, "{uid}: {:?}", q.proposed);
        assert_eq!((full[0].x, full[0].y, full[0].w, full[0].h), (0, 0, cols, rows), "{uid}: the whole frame");
        assert_eq!(q.risk, risk::PHI_MATCH);
    }
    let volume = item(&items, "2.25.5150.12");
    assert!(only_reason(volume, SLIDE_LABEL_REASON).is_empty(), "{:?}", volume.proposed);
    assert!(volume.risk < risk::PHI_MATCH);
    assert_eq!(items.first().map(|q| q.risk), Some(risk::PHI_MATCH), "labels sort first");
}
