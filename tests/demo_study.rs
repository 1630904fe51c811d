//! The bundled demo study: written into a temp dir and re-read with dicom-object.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use dicom_dictionary_std::{tags, uids};
use dicom_object::{DefaultDicomObject, open_file};
use sumi::demo::{self, BurnedInTruth, TRUTH_FILE, ensure_demo_study, write_demo_study};
use tempfile::TempDir;

const PATIENT_NAME: &str = "Yamada^Taro=山田^太郎=やまだ^たろう";

fn generate() -> (TempDir, Vec<(PathBuf, DefaultDicomObject)>) {
    let tmp = TempDir::new().unwrap();
    let summary = write_demo_study(tmp.path()).unwrap();
    assert_eq!(summary.dir, tmp.path());
    let objs = dicom_files(tmp.path()).into_iter().map(|p| (p.clone(), open_file(&p).unwrap())).collect();
    (tmp, objs)
}

fn dicom_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "dcm"))
        .collect();
    v.sort();
    v
}

fn string(obj: &DefaultDicomObject, tag: dicom_object::Tag) -> String {
    obj.element(tag).unwrap().to_str().unwrap().trim_end_matches(['\0', ' ']).to_string()
}

fn int(obj: &DefaultDicomObject, tag: dicom_object::Tag) -> u32 {
    obj.element(tag).unwrap().to_int().unwrap()
}

fn modality(obj: &DefaultDicomObject) -> String {
    string(obj, tags::MODALITY)
}

#[test]
fn study_has_200_ct_slices_one_us_image_and_one_cine() {
    let tmp = TempDir::new().unwrap();
    let summary = write_demo_study(&tmp.path().join("new/sub")).unwrap();
    assert_eq!(summary.files, 202);
    assert_eq!(summary.series.len(), 3);
    assert_eq!(dicom_files(&summary.dir).len(), 202);
    assert!(summary.dir.join(TRUTH_FILE).is_file());
}

#[test]
fn every_instance_has_unique_uids_proper_meta_and_the_same_study_and_patient() {
    let (_tmp, objs) = generate();
    let mut sop_uids = HashSet::new();
    let mut studies = HashSet::new();
    let mut classes = BTreeMap::new();
    for (path, obj) in &objs {
        let meta = obj.meta();
        let sop = string(obj, tags::SOP_INSTANCE_UID);
        let class = string(obj, tags::SOP_CLASS_UID);
        assert_eq!(meta.transfer_syntax().trim_end_matches('\0'), uids::EXPLICIT_VR_LITTLE_ENDIAN);
        assert_eq!(meta.media_storage_sop_instance_uid().trim_end_matches('\0'), sop);
        assert_eq!(meta.media_storage_sop_class_uid().trim_end_matches('\0'), class);
        assert!(!meta.implementation_class_uid().is_empty());
        assert!(sop.starts_with("2.25.") && sop.len() <= 64, "{sop}");
        assert!(sop_uids.insert(sop), "duplicate SOP Instance UID in {path:?}");
        studies.insert(string(obj, tags::STUDY_INSTANCE_UID));
        *classes.entry(class).or_insert(0) += 1;
        assert_eq!(string(obj, tags::SPECIFIC_CHARACTER_SET), "ISO_IR 192");
        assert_eq!(string(obj, tags::PATIENT_NAME), PATIENT_NAME);
        assert_eq!(string(obj, tags::PATIENT_ID), "SUMI-000123");
        assert_eq!(string(obj, tags::MANUFACTURER), "SUMI Phantom Works");
    }
    assert_eq!(studies.len(), 1);
    assert_eq!(classes[uids::CT_IMAGE_STORAGE], 200);
    assert_eq!(classes[uids::ULTRASOUND_IMAGE_STORAGE], 1);
    assert_eq!(classes[uids::ULTRASOUND_MULTI_FRAME_IMAGE_STORAGE], 1);
}

#[test]
fn headers_carry_phi_in_private_tags_and_two_level_nested_sequences() {
    let (_tmp, objs) = generate();
    for (_, obj) in &objs {
        assert_eq!(string(obj, dicom_object::Tag(0x0009, 0x0010)), "SUMI DEMO");
        assert!(string(obj, dicom_object::Tag(0x0009, 0x1001)).contains("山田太郎"));
        let request = &obj.element(tags::REQUEST_ATTRIBUTES_SEQUENCE).unwrap().items().unwrap()[0];
        let accession = request.element(tags::ACCESSION_NUMBER).unwrap().to_str().unwrap();
        assert_eq!(accession.trim(), string(obj, tags::ACCESSION_NUMBER));
        let study_ref = &request.element(tags::REFERENCED_STUDY_SEQUENCE).unwrap().items().unwrap()[0];
        let uid = study_ref.element(tags::REFERENCED_SOP_INSTANCE_UID).unwrap().to_str().unwrap();
        assert!(uid.starts_with("2.25."));
        for tag in [
            tags::PATIENT_BIRTH_DATE,
            tags::PATIENT_ADDRESS,
            tags::PATIENT_TELEPHONE_NUMBERS,
            tags::INSTITUTION_NAME,
            tags::REFERRING_PHYSICIAN_NAME,
            tags::OPERATORS_NAME,
            tags::STATION_NAME,
            tags::DEVICE_SERIAL_NUMBER,
        ] {
            assert!(!string(obj, tag).is_empty(), "{tag} empty");
        }
    }
}

#[test]
fn ct_slice_positions_cover_200_distinct_z_values_spaced_1mm() {
    let (_tmp, objs) = generate();
    let ct: Vec<_> = objs.iter().filter(|(_, o)| modality(o) == "CT").collect();
    let frame = HashSet::<String>::from_iter(ct.iter().map(|(_, o)| string(o, tags::FRAME_OF_REFERENCE_UID)));
    assert_eq!(frame.len(), 1);
    let mut z: Vec<f64> = ct
        .iter()
        .map(|(_, o)| {
            let ipp = o.element(tags::IMAGE_POSITION_PATIENT).unwrap().to_multi_float64().unwrap();
            let iop = o.element(tags::IMAGE_ORIENTATION_PATIENT).unwrap().to_multi_float64().unwrap();
            assert_eq!(iop, vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
            let loc = o.element(tags::SLICE_LOCATION).unwrap().to_float64().unwrap();
            assert!((loc - ipp[2]).abs() < 1e-9);
            ipp[2]
        })
        .collect();
    z.sort_by(f64::total_cmp);
    assert_eq!(z.len(), 200);
    for w in z.windows(2) {
        assert!((w[1] - w[0] - 1.0).abs() < 1e-6, "{w:?}");
    }
    // Names must not follow slice order, so loaders have to sort by geometry.
    let by_name: Vec<u32> = ct.iter().map(|(_, o)| int(o, tags::INSTANCE_NUMBER)).collect();
    assert!(by_name.windows(2).any(|w| w[0] > w[1]));
}

#[test]
fn pixel_data_length_is_rows_times_cols_times_frames_times_samples_times_bytes() {
    let (_tmp, objs) = generate();
    for (path, obj) in &objs {
        let frames = obj.element(tags::NUMBER_OF_FRAMES).map_or(1, |e| e.to_int::<u32>().unwrap());
        let expected = int(obj, tags::ROWS)
            * int(obj, tags::COLUMNS)
            * frames
            * int(obj, tags::SAMPLES_PER_PIXEL)
            * int(obj, tags::BITS_ALLOCATED)
            / 8;
        let len = obj.element(tags::PIXEL_DATA).unwrap().to_bytes().unwrap().len();
        assert_eq!(len as u32, expected, "{path:?}");
        if modality(obj) == "US" {
            assert_eq!(string(obj, tags::BURNED_IN_ANNOTATION), "YES");
            let region = &obj.element(tags::SEQUENCE_OF_ULTRASOUND_REGIONS).unwrap().items().unwrap()[0];
            let x1: u32 = region.element(tags::REGION_LOCATION_MAX_X1).unwrap().to_int().unwrap();
            assert!(x1 < int(obj, tags::COLUMNS));
        }
    }
}

/// HU volume indexed by [col, row, slice], slices sorted by z.
fn ct_volume(objs: &[(PathBuf, DefaultDicomObject)]) -> (Vec<f32>, usize, usize) {
    let mut slices: Vec<(f64, Vec<f32>)> = Vec::new();
    let (mut rows, mut cols) = (0, 0);
    for (_, o) in objs.iter().filter(|(_, o)| modality(o) == "CT") {
        rows = int(o, tags::ROWS) as usize;
        cols = int(o, tags::COLUMNS) as usize;
        assert_eq!(int(o, tags::PIXEL_REPRESENTATION), 1);
        let slope = o.element(tags::RESCALE_SLOPE).unwrap().to_float64().unwrap() as f32;
        let intercept = o.element(tags::RESCALE_INTERCEPT).unwrap().to_float64().unwrap() as f32;
        assert_eq!((slope, intercept), (1.0, -1024.0));
        let bytes = o.element(tags::PIXEL_DATA).unwrap().to_bytes().unwrap();
        let hu = bytes.chunks_exact(2).map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) * slope + intercept);
        let z = o.element(tags::IMAGE_POSITION_PATIENT).unwrap().to_multi_float64().unwrap()[2];
        slices.push((z, hu.collect()));
    }
    slices.sort_by(|a, b| a.0.total_cmp(&b.0));
    (slices.into_iter().flat_map(|s| s.1).collect(), rows, cols)
}

#[test]
fn ct_hu_values_at_phantom_landmarks() {
    let (_tmp, objs) = generate();
    let (vol, rows, cols) = ct_volume(&objs);
    let at = |[c, r, k]: [usize; 3]| vol[(k * rows + r) * cols + c];
    let lm = demo::ct_landmarks().unwrap();
    let brain = at(lm.brain_centre);
    assert!((15.0..=45.0).contains(&brain), "brain centre {brain}");
    assert!(at(lm.skull) > 700.0, "skull {}", at(lm.skull));
    assert!(at(lm.air) < -900.0);
    for eye in [lm.left_eye, lm.right_eye] {
        assert!((-20.0..=40.0).contains(&at(eye)), "eye {}", at(eye));
    }
    assert!(lm.right_eye[0] < lm.left_eye[0], "patient right is -x (low column)");
    // Nose tip: soft tissue, the most anterior tissue in its column, in front of the eyes.
    let nose = at(lm.nose_tip);
    assert!((-100.0..=100.0).contains(&nose), "nose tip {nose}");
    let [c, r, k] = lm.nose_tip;
    assert!((0..r).all(|rr| at([c, rr, k]) < -900.0));
    assert!(r + 20 < lm.left_eye[1] && lm.left_eye[1] < lm.brain_centre[1]);
    assert!(k < lm.left_eye[2] && lm.left_eye[2] < lm.brain_centre[2], "nose below eyes below brain centre");
}

#[test]
fn burned_in_truth_boxes_lie_inside_the_image_and_contain_text_pixels() {
    let (tmp, _) = generate();
    let truth: BurnedInTruth = serde_json::from_slice(&fs::read(tmp.path().join(TRUTH_FILE)).unwrap()).unwrap();
    let mut fields = HashSet::new();
    for e in &truth.entries {
        let obj = open_file(tmp.path().join(&e.file)).unwrap();
        assert_eq!(string(&obj, tags::SERIES_DESCRIPTION), e.series);
        assert_eq!(string(&obj, tags::SOP_INSTANCE_UID), e.sop_instance_uid);
        let (rows, cols) = (int(&obj, tags::ROWS), int(&obj, tags::COLUMNS));
        let spp = int(&obj, tags::SAMPLES_PER_PIXEL) as usize;
        let frames = obj.element(tags::NUMBER_OF_FRAMES).map_or(1, |e| e.to_int::<u32>().unwrap());
        let [x, y, w, h] = e.bbox;
        assert!(w > 0 && h > 0 && x + w <= cols && y + h <= rows, "{e:?}");
        assert!(e.frames[0] <= e.frames[1] && e.frames[1] < frames);
        assert_eq!(e.color.len(), spp);
        let px = obj.element(tags::PIXEL_DATA).unwrap().to_bytes().unwrap();
        let frame_len = (rows * cols) as usize * spp;
        for f in e.frames[0]..=e.frames[1] {
            let frame = &px[f as usize * frame_len..][..frame_len];
            let text_px = (y..y + h)
                .flat_map(|yy| (x..x + w).map(move |xx| (yy * cols + xx) as usize * spp))
                .filter(|&i| frame[i..i + spp] == e.color[..])
                .count();
            // Every glyph lights at least a few pixels; a box of only background fails.
            assert!(text_px >= e.text.trim().len(), "{e:?} frame {f}: {text_px} text pixels");
        }
        fields.insert((e.series.clone(), e.field.clone(), e.phi));
    }
    for series in ["ABDOMEN US 2D", "ABDOMEN US CINE"] {
        for field in ["patient_name", "patient_id", "study_datetime", "institution"] {
            assert!(fields.contains(&(series.to_string(), field.to_string(), true)), "{series} {field}");
        }
    }
    let counters = truth.entries.iter().filter(|e| e.field == "frame_counter").count();
    assert_eq!(counters, 30);
    assert!(truth.entries.iter().any(|e| e.text == "YAMADA TARO" && e.frames == [0, 29]));
}

fn walk(d: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(d).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

#[test]
fn two_runs_write_identical_bytes() {
    let a = TempDir::new().unwrap();
    let b = TempDir::new().unwrap();
    write_demo_study(a.path()).unwrap();
    write_demo_study(b.path()).unwrap();
    // Every file, the hidden sidecar folder included, relative to the study root.
    let names = |d: &Path| {
        let mut v: Vec<std::path::PathBuf> =
            walk(d).into_iter().map(|p| p.strip_prefix(d).unwrap().to_path_buf()).collect();
        v.sort();
        v
    };
    assert_eq!(names(a.path()), names(b.path()));
    for n in names(a.path()) {
        assert!(fs::read(a.path().join(&n)).unwrap() == fs::read(b.path().join(&n)).unwrap(), "{n:?} differs");
    }
}

#[test]
fn ensure_demo_study_is_idempotent_repairs_incomplete_studies_and_leaves_no_temp_dir() {
    let data = TempDir::new().unwrap();
    let dir = ensure_demo_study(data.path()).unwrap();
    assert!(dir.file_name().unwrap().to_str().unwrap().starts_with("demo-study-v"));
    let listing = || {
        let mut v: Vec<_> = fs::read_dir(data.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        v.sort();
        v
    };
    assert_eq!(listing(), vec![dir.file_name().unwrap().to_owned()]);
    let manifest = dir.join(demo::MANIFEST_FILE);
    let stamp = fs::metadata(&manifest).unwrap().modified().unwrap();
    assert_eq!(ensure_demo_study(data.path()).unwrap(), dir);
    assert_eq!(fs::metadata(&manifest).unwrap().modified().unwrap(), stamp, "second call regenerated");

    // A study missing a file is incomplete and gets regenerated in place.
    let victim = dicom_files(&dir).remove(7);
    fs::remove_file(&victim).unwrap();
    assert_eq!(ensure_demo_study(data.path()).unwrap(), dir);
    assert!(victim.is_file());
    assert_eq!(dicom_files(&dir).len(), 202);
    assert_eq!(listing(), vec![dir.file_name().unwrap().to_owned()]);
}
