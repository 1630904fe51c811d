//! Label maps as DICOM SEG and NIfTI (issue 6): NIfTI → SEG → NIfTI round trips are voxel-identical
//! on the demo CT phantom and on the AAL atlas (116 labels) over a DICOM copy of the Colin27
//! template it was drawn on; highdicom and pydicom read sumi's SEG with the same segments and voxel
//! counts sumi reports; nibabel reads the written NIfTI with the series' affine; bad inputs give
//! one clear error naming the file.
//! Needs the sample data (scripts/fetch-sample-data.sh) and the venv (scripts/setup-python.sh).

mod sample_data;

use std::path::{Path, PathBuf};
use std::process::Command;

use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, Tag, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::mem::InMemElement;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use nalgebra::{Matrix4, Vector3, Vector4};
use serde_json::Value;
use sumi::annotate::LabelMap;
use sumi::annotate::io::{
    LabelIoError, ReferenceSeries, SegOptions, read_label_nifti, read_seg, write_label_table, write_seg,
};
use sumi::project::annotations::Label;
use sumi::volume::{Geometry, NiftiVoxels, Voxels, read_nifti, write_nifti};

fn sumi(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Result<Value, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_sumi"))
        .args(args.iter().map(|a| a.as_ref()))
        .env("SUMI_LOG", "error")
        .output()
        .expect("run sumi");
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).expect("JSON summary"))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn python() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache/venv/bin/python");
    assert!(p.is_file(), "{} missing: run scripts/setup-python.sh", p.display());
    p
}

fn run_python(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Value {
    let out = Command::new(python()).args(args.iter().map(|a| a.as_ref())).output().expect("run python");
    assert!(out.status.success(), "python failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON from python")
}

/// highdicom's and pydicom's reading of a SEG (scripts/check-seg.py), and highdicom's volume
/// placed on `grid` (segment number per voxel, x fastest).
fn third_party_view(seg: &Path, grid: &Geometry) -> (Value, Vec<u8>) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/check-seg.py");
    let raw = seg.with_extension("highdicom.raw");
    let affine: Vec<Vec<f64>> = (0..4).map(|r| (0..4).map(|c| grid.affine()[(r, c)]).collect()).collect();
    let grid_json = serde_json::json!({"dims": grid.dims, "affine": affine}).to_string();
    let view = run_python(&[&script, &seg, &raw, &grid_json]);
    (view, std::fs::read(&raw).unwrap())
}

/// nibabel's index → RAS affine of a NIfTI file.
fn nibabel_affine(file: &Path) -> Matrix4<f64> {
    let script = "import sys, json, nibabel as nb\nprint(json.dumps(nb.load(sys.argv[1]).affine.tolist()))";
    let v = run_python(&[&"-c", &script, &file]);
    let a: Vec<Vec<f64>> = serde_json::from_value(v).unwrap();
    Matrix4::from_fn(|r, c| a[r][c])
}

fn ras_affine(g: &Geometry) -> Matrix4<f64> {
    Matrix4::from_diagonal(&Vector4::new(-1.0, -1.0, 1.0, 1.0)) * g.affine()
}

fn label_voxels(v: &Voxels) -> Vec<u8> {
    match v {
        Voxels::U16(d) => d.iter().map(|&x| u8::try_from(x).expect("label fits u8")).collect(),
        _ => panic!("a uint8 NIfTI reads as u16"),
    }
}

fn counts(dense: &[u8]) -> [u64; 256] {
    let mut h = [0u64; 256];
    dense.iter().for_each(|&v| h[usize::from(v)] += 1);
    h
}

fn label(value: u8, name: &str, colour: &str, code: Option<(&str, &str, &str)>) -> Label {
    Label {
        value,
        name: name.into(),
        colour: colour.into(),
        code: code.map(|(a, b, c)| (a.into(), b.into(), c.into())),
        visible: true,
        locked: false,
    }
}

fn text(tag: Tag, vr: VR, v: &str) -> InMemElement {
    DataElement::new(tag, vr, PrimitiveValue::from(v))
}

fn ds(values: &[f64]) -> String {
    values.iter().map(|v| format!("{v:.6}")).collect::<Vec<_>>().join("\\")
}

/// Writes `voxels` on `g` as an MR series, one file per slice, with the given Frame of Reference;
/// the series' UIDs are `series_uid` and `series_uid.N`.
fn write_mr_series(dir: &Path, g: &Geometry, voxels: &[u16], frame_of_reference: &str, series_uid: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let (study, series) = ("2.25.1001", series_uid);
    let (row, col) = (g.direction(0), g.direction(1));
    let sp = g.spacing();
    let per_slice = g.dims[0] * g.dims[1];
    for k in 0..g.dims[2] {
        let uid = format!("{series}.{}", k + 1);
        let ipp = g.index_to_patient(Vector3::new(0.0, 0.0, k as f64));
        let pixels: Vec<u16> = voxels[k * per_slice..(k + 1) * per_slice].to_vec();
        let obj = InMemDicomObject::from_element_iter([
            text(tags::SOP_CLASS_UID, VR::UI, uids::MR_IMAGE_STORAGE),
            text(tags::SOP_INSTANCE_UID, VR::UI, &uid),
            text(tags::STUDY_DATE, VR::DA, "20240102"),
            text(tags::MODALITY, VR::CS, "MR"),
            text(tags::PATIENT_NAME, VR::PN, "Colin^Twentyseven"),
            text(tags::PATIENT_ID, VR::LO, "COLIN27"),
            text(tags::PATIENT_BIRTH_DATE, VR::DA, ""),
            text(tags::PATIENT_SEX, VR::CS, ""),
            text(tags::STUDY_TIME, VR::TM, "101500"),
            text(tags::REFERRING_PHYSICIAN_NAME, VR::PN, ""),
            text(tags::STUDY_ID, VR::SH, "1"),
            text(tags::ACCESSION_NUMBER, VR::SH, ""),
            text(tags::STUDY_INSTANCE_UID, VR::UI, study),
            text(tags::SERIES_INSTANCE_UID, VR::UI, series),
            text(tags::SERIES_NUMBER, VR::IS, "3"),
            text(tags::INSTANCE_NUMBER, VR::IS, &(k + 1).to_string()),
            text(tags::FRAME_OF_REFERENCE_UID, VR::UI, frame_of_reference),
            text(tags::IMAGE_POSITION_PATIENT, VR::DS, &ds(&[ipp.x, ipp.y, ipp.z])),
            text(tags::IMAGE_ORIENTATION_PATIENT, VR::DS, &ds(&[row.x, row.y, row.z, col.x, col.y, col.z])),
            text(tags::PIXEL_SPACING, VR::DS, &ds(&[sp[1], sp[0]])),
            text(tags::SLICE_THICKNESS, VR::DS, &ds(&[sp[2]])),
            DataElement::new(tags::SAMPLES_PER_PIXEL, VR::US, PrimitiveValue::from(1u16)),
            text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2"),
            DataElement::new(tags::ROWS, VR::US, PrimitiveValue::from(g.dims[1] as u16)),
            DataElement::new(tags::COLUMNS, VR::US, PrimitiveValue::from(g.dims[0] as u16)),
            DataElement::new(tags::BITS_ALLOCATED, VR::US, PrimitiveValue::from(16u16)),
            DataElement::new(tags::BITS_STORED, VR::US, PrimitiveValue::from(16u16)),
            DataElement::new(tags::HIGH_BIT, VR::US, PrimitiveValue::from(15u16)),
            DataElement::new(tags::PIXEL_REPRESENTATION, VR::US, PrimitiveValue::from(0u16)),
            DataElement::new(tags::PIXEL_DATA, VR::OW, PrimitiveValue::U16(pixels.into())),
        ]);
        let meta = FileMetaTableBuilder::new()
            .transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN)
            .media_storage_sop_class_uid(uids::MR_IMAGE_STORAGE)
            .media_storage_sop_instance_uid(uid)
            .build()
            .unwrap();
        obj.with_exact_meta(meta).write_to_file(dir.join(format!("slice{k:04}.dcm"))).unwrap();
    }
}

/// NIfTI → SEG → NIfTI through the CLI; checks the summaries, the voxels, the label table, the
/// affine (nibabel) and the third-party readings. Returns the SEG path.
fn round_trip(dir: &Path, reference: &Path, labels_nii: &Path, table: &[Label], want: &[u8]) -> PathBuf {
    let geometry = ReferenceSeries::load(reference).unwrap().geometry;
    let table_path = dir.join("labels.json");
    write_label_table(&table_path, table).unwrap();
    let seg = dir.join("labels.seg.dcm");
    let written = sumi(&[
        &"seg",
        &"from-nifti",
        &labels_nii,
        &"--reference",
        &reference,
        &"--labels",
        &table_path,
        &"--out",
        &seg,
    ])
    .unwrap_or_else(|e| panic!("from-nifti failed: {e}"));
    let back = dir.join("back.nii.gz");
    let back_table = dir.join("back.json");
    let read =
        sumi(&[&"seg", &"to-nifti", &seg, &"--reference", &reference, &"--out", &back, &"--labels-out", &back_table])
            .unwrap_or_else(|e| panic!("to-nifti failed: {e}"));

    // Voxel-identical, and the label table comes back whole.
    let got = label_voxels(&read_nifti(&back).unwrap().voxels);
    assert_eq!(got.len(), want.len());
    let differing = got.iter().zip(want).filter(|(a, b)| a != b).count();
    assert_eq!(differing, 0, "{differing} voxels differ after NIfTI → SEG → NIfTI");
    let mut sorted = table.to_vec();
    sorted.sort_by_key(|l| l.value);
    let back_labels: Vec<Label> = serde_json::from_str(&std::fs::read_to_string(&back_table).unwrap()).unwrap();
    assert_eq!(back_labels, sorted);

    // Both summaries count the voxels of every label as the NIfTI holds them.
    let h = counts(want);
    for summary in [&written, &read] {
        let segments = summary["segments"].as_array().unwrap();
        assert_eq!(segments.len(), table.len());
        for s in segments {
            let value = s["value"].as_u64().unwrap() as usize;
            assert_eq!(s["voxels"].as_u64().unwrap(), h[value], "label {value}: {s}");
        }
    }
    assert_eq!(written["frames"], read["frames"]);
    eprintln!(
        "{}: {} segments, {} frames, {} bytes; from-nifti {:.3} s, to-nifti {:.3} s",
        labels_nii.display(),
        table.len(),
        written["frames"],
        std::fs::metadata(&seg).unwrap().len(),
        written["seconds"].as_f64().unwrap(),
        read["seconds"].as_f64().unwrap()
    );
    assert!(written["seconds"].as_f64().unwrap() > 0.0);

    // highdicom and pydicom see the same segments and voxel counts as sumi, and highdicom puts
    // every voxel where the NIfTI has it (bit order, frame positions, geometry).
    let (third, placed) = third_party_view(&seg, &geometry);
    assert_eq!(third["frames"], written["frames"]);
    assert_eq!(third["highdicom_off_grid_voxels"], 0);
    let segments = written["segments"].as_array().unwrap();
    let hd_segments = third["segments"].as_array().unwrap();
    assert_eq!(hd_segments.len(), segments.len());
    let mut number_of = [0u8; 256];
    for (mine, theirs) in segments.iter().zip(hd_segments) {
        let number = mine["number"].as_u64().unwrap().to_string();
        assert_eq!(theirs["number"].as_u64().unwrap().to_string(), number);
        assert_eq!(theirs["label"], mine["label"]);
        assert_eq!(third["highdicom_voxels"][&number], mine["voxels"], "highdicom, segment {number}");
        assert_eq!(third["pydicom_voxels"][&number], mine["voxels"], "pydicom, segment {number}");
        number_of[mine["value"].as_u64().unwrap() as usize] = mine["number"].as_u64().unwrap() as u8;
    }
    assert_eq!(placed.len(), want.len());
    let misplaced = placed.iter().zip(want).filter(|(p, w)| **p != number_of[usize::from(**w)]).count();
    assert_eq!(misplaced, 0, "{misplaced} voxels differ between highdicom's volume and the NIfTI");
    seg
}

#[test]
fn demo_phantom_labels_round_trip_nifti_seg_nifti_voxel_identical_and_read_alike_by_highdicom() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = tmp.path().join("demo");
    sumi::demo::write_demo_study(&demo).unwrap();
    let reference = ReferenceSeries::load(&demo).unwrap();
    let (ct, _) = sumi::deid::deface::load_input(&demo).unwrap();
    assert_eq!(ct.geometry.dims, reference.geometry.dims, "the SEG reference is the CT phantom");
    assert!((ct.geometry.affine() - reference.geometry.affine()).abs().max() < 1e-9);
    // Thresholds of the phantom: bone, soft tissue, and air only in ten slices (value 7: segment
    // numbers 1, 2, 3 keep label values 1, 2, 7).
    let g = &ct.geometry;
    let per_slice = g.dims[0] * g.dims[1];
    let dense: Vec<u8> = (0..g.voxel_count())
        .map(|i| {
            let v = ct.voxels.value(i);
            let k = i / per_slice;
            if v > 300.0 {
                1
            } else if (0.0..=80.0).contains(&v) {
                2
            } else if v < -900.0 && (90..100).contains(&k) {
                7
            } else {
                0
            }
        })
        .collect();
    let h = counts(&dense);
    assert!(h[1] > 1000 && h[2] > 1000 && h[7] > 100, "thresholds find the phantom: {} {} {}", h[1], h[2], h[7]);
    let nii = tmp.path().join("labels.nii.gz");
    write_nifti(&nii, g, NiftiVoxels::U8(&dense)).unwrap();
    let table = [
        label(1, "Bone", "#e3dac9", Some(("272673000", "SCT", "Bone"))),
        label(2, "Soft tissue", "#c86450", Some(("85756007", "SCT", "Tissue"))),
        label(7, "空気 (air)", "#1e90ff", None),
    ];
    let seg = round_trip(tmp.path(), &demo, &nii, &table, &dense);

    // The SEG keeps the source's patient and study, and its frames name their source slices.
    let obj = dicom_object::open_file(&seg).unwrap();
    let src = dicom_object::open_file(reference_file(&demo, &reference)).unwrap();
    for t in [tags::PATIENT_NAME, tags::PATIENT_ID, tags::STUDY_INSTANCE_UID, tags::FRAME_OF_REFERENCE_UID] {
        assert_eq!(obj.element(t).unwrap().to_str().unwrap(), src.element(t).unwrap().to_str().unwrap(), "{t}");
    }
    assert_ne!(obj.element(tags::SERIES_INSTANCE_UID).unwrap().to_str().unwrap(), reference.series_uid);
    let read = read_seg(&seg, &reference).unwrap();
    assert_eq!(read.frames_by_position, 0, "every frame references its source instance");

    // nibabel reads the written label map with the series' LPS → RAS affine.
    let back = tmp.path().join("back.nii.gz");
    let diff = (nibabel_affine(&back) - ras_affine(&reference.geometry)).abs().max();
    assert!(diff < 1e-4, "nibabel's affine differs from the series' by {diff}");
}

/// A file of the reference series (the first slice's instance).
fn reference_file(dir: &Path, r: &ReferenceSeries) -> PathBuf {
    let uid = &r.slices.iter().flatten().next().unwrap().sop_instance_uid;
    walk(dir)
        .into_iter()
        .find(|p| {
            dicom_object::OpenFileOptions::new().read_until(tags::PIXEL_DATA).open_file(p).is_ok_and(|o| {
                o.element(tags::SOP_INSTANCE_UID).is_ok_and(|e| e.to_str().unwrap().trim_end_matches('\0') == uid)
            })
        })
        .expect("the reference's first instance")
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out.sort();
    out
}

#[test]
fn aal_atlas_116_labels_round_trip_on_a_dicom_copy_of_colin27_with_nibabels_affine() {
    let ch2_path = sample_data::in_set("MRICRON_TEMPLATES", "ch2.nii.gz");
    let aal_path = sample_data::in_set("MRICRON_TEMPLATES", "aal.nii.gz");
    let ch2 = read_nifti(&ch2_path).unwrap();
    let aal = read_nifti(&aal_path).unwrap();
    // AAL is drawn on Colin27's grid: same size and affine, so no resampling is needed.
    assert_eq!(aal.geometry.dims, ch2.geometry.dims);
    assert!((aal.geometry.affine() - ch2.geometry.affine()).abs().max() < 1e-5, "aal and ch2 share a grid");
    let tmp = tempfile::tempdir().unwrap();
    let series = tmp.path().join("ch2-dicom");
    let Voxels::U16(grey) = &ch2.voxels else { panic!("ch2 is uint8") };
    write_mr_series(&series, &ch2.geometry, grey, "2.25.777", "2.25.2777");
    let reference = ReferenceSeries::load(&series).unwrap();
    assert_eq!(reference.geometry.dims, ch2.geometry.dims);
    assert!((reference.geometry.affine() - ch2.geometry.affine()).abs().max() < 1e-4);

    let dense = label_voxels(&aal.voxels);
    let names = std::fs::read_to_string(aal_path.with_file_name("aal.nii.txt")).unwrap();
    let table: Vec<Label> = names
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let value: u8 = w.next()?.parse().ok()?;
            let name = w.next()?;
            let colour = format!("#{:02x}{:02x}{:02x}", value.wrapping_mul(37), value.wrapping_mul(91), 255 - value);
            Some(label(value, name, &colour, None))
        })
        .collect();
    assert_eq!(table.len(), 116);
    assert_eq!(counts(&dense)[1..].iter().filter(|&&n| n > 0).count(), 116, "AAL holds 116 labels");
    round_trip(tmp.path(), &series, &aal_path, &table, &dense);

    // nibabel reads sumi's label map with the same affine as the template it came from.
    let diff = (nibabel_affine(&tmp.path().join("back.nii.gz")) - nibabel_affine(&ch2_path)).abs().max();
    assert!(diff < 1e-4, "written affine differs from ch2.nii.gz's by {diff}");
}

/// A small series (6 × 5 × 4, 2 mm slices) with the given Frame of Reference and size.
fn small_series(dir: &Path, dims: [usize; 3], frame_of_reference: &str) -> ReferenceSeries {
    let g = Geometry::axis_aligned(dims, [0.8, 0.8, 2.0]);
    write_mr_series(
        dir,
        &g,
        &vec![100; g.voxel_count()],
        frame_of_reference,
        &format!("{frame_of_reference}.{}", dims[0]),
    );
    ReferenceSeries::load(dir).unwrap()
}

fn small_seg(dir: &Path, r: &ReferenceSeries) -> PathBuf {
    let mut map = LabelMap::new(r.geometry.dims);
    map.slice_mut(1)[3..9].fill(4);
    let seg = dir.join("small.seg.dcm");
    write_seg(&seg, r, &map, &[label(4, "lesion", "#ff0000", None)], &SegOptions::default()).unwrap();
    seg
}

#[test]
fn seg_read_on_another_series_is_an_error_naming_the_file_and_the_frame_of_reference() {
    let tmp = tempfile::tempdir().unwrap();
    let a = small_series(&tmp.path().join("a"), [6, 5, 4], "2.25.11");
    let b = small_series(&tmp.path().join("b"), [6, 5, 4], "2.25.22");
    let c = small_series(&tmp.path().join("c"), [7, 5, 4], "2.25.11");
    let seg = small_seg(tmp.path(), &a);
    assert_eq!(read_seg(&seg, &a).unwrap().map.histogram()[4], 6);
    let e = read_seg(&seg, &b).unwrap_err();
    assert!(matches!(e, LabelIoError::Mismatch { .. }), "{e}");
    let e = e.to_string();
    assert!(e.contains("small.seg.dcm") && e.contains("Frame of Reference UID 2.25.11"), "{e}");
    let e = read_seg(&seg, &c).unwrap_err().to_string();
    assert!(e.contains("small.seg.dcm") && e.contains("6×5") && e.contains("7×5"), "{e}");
    // The CLI says so in one line and exits non-zero.
    let out = tmp.path().join("x.nii.gz");
    let err = sumi(&[&"seg", &"to-nifti", &seg, &"--reference", &tmp.path().join("b"), &"--out", &out]).unwrap_err();
    assert!(err.starts_with("sumi: ") && err.contains("small.seg.dcm") && err.contains("Frame of Reference"), "{err}");
    assert!(!out.exists());
}

#[test]
fn truncated_seg_and_non_seg_files_are_errors_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let r = small_series(&tmp.path().join("a"), [6, 5, 4], "2.25.11");
    let seg = small_seg(tmp.path(), &r);
    let bytes = std::fs::read(&seg).unwrap();
    for keep in [bytes.len() - 3, bytes.len() / 2, 200] {
        let cut = tmp.path().join(format!("cut{keep}.dcm"));
        std::fs::write(&cut, &bytes[..keep]).unwrap();
        let e = read_seg(&cut, &r).unwrap_err().to_string();
        assert!(e.contains(&format!("cut{keep}.dcm")), "{e}");
    }
    let mr = walk(&tmp.path().join("a")).remove(0);
    let e = read_seg(&mr, &r).unwrap_err().to_string();
    assert!(e.contains(&mr.display().to_string()) && e.contains("not a DICOM Segmentation"), "{e}");
    let text = tmp.path().join("notes.txt");
    std::fs::write(&text, "not DICOM at all").unwrap();
    let e = read_seg(&text, &r).unwrap_err().to_string();
    assert!(e.contains("notes.txt"), "{e}");
}

#[test]
fn nifti_on_another_grid_is_refused_and_a_flipped_copy_of_the_grid_is_reordered() {
    let tmp = tempfile::tempdir().unwrap();
    let r = small_series(&tmp.path().join("a"), [6, 5, 4], "2.25.11");
    let g = &r.geometry;
    let dense: Vec<u8> = (0..g.voxel_count()).map(|i| (i % 7) as u8).collect();
    // The same labels stored with x reversed and y, z swapped (as another tool might).
    let d = g.dims;
    let flipped_axes =
        nalgebra::Matrix3::from_columns(&[-g.axes.column(0), g.axes.column(2).into(), g.axes.column(1).into()]);
    let flipped = Geometry {
        dims: [d[0], d[2], d[1]],
        origin: g.index_to_patient(Vector3::new(d[0] as f64 - 1.0, 0.0, 0.0)),
        axes: flipped_axes,
    };
    let mut other = vec![0u8; dense.len()];
    for z in 0..d[2] {
        for y in 0..d[1] {
            for x in 0..d[0] {
                other[(d[0] - 1 - x) + d[0] * (z + d[2] * y)] = dense[x + d[0] * (y + d[1] * z)];
            }
        }
    }
    let nii = tmp.path().join("flipped.nii");
    write_nifti(&nii, &flipped, NiftiVoxels::U8(&other)).unwrap();
    let (map, mapping) = read_label_nifti(&nii, g, &r.path).unwrap();
    assert!(!mapping.is_identity());
    let per_slice = d[0] * d[1];
    for (i, &v) in dense.iter().enumerate() {
        assert_eq!(map.get(i % d[0], i / d[0] % d[1], i / per_slice), v, "voxel {i}");
    }
    let shifted = Geometry { origin: g.origin + Vector3::new(0.4, 0.0, 0.0), ..g.clone() };
    let nii = tmp.path().join("shifted.nii");
    write_nifti(&nii, &shifted, NiftiVoxels::U8(&dense)).unwrap();
    let e = read_label_nifti(&nii, g, &r.path).unwrap_err().to_string();
    assert!(e.contains("shifted.nii") && e.contains("does not match the reference series"), "{e}");
}

#[test]
fn third_party_binary_and_fractional_segs_written_by_highdicom_read_onto_the_series() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("series");
    let mut g = Geometry::axis_aligned([12, 10, 6], [0.7, 0.7, 2.5]);
    g.origin = nalgebra::Point3::new(-20.0, 30.0, 5.0);
    let voxels: Vec<u16> = (0..g.voxel_count()).map(|i| (i * 7919 % 1000) as u16).collect();
    write_mr_series(&dir, &g, &voxels, "2.25.33", "2.25.3301");
    let r = ReferenceSeries::load(&dir).unwrap();
    // A copy of the series with other instance UIDs: frames are placed by Image Position there.
    let copy = tmp.path().join("copy");
    write_mr_series(&copy, &g, &voxels, "2.25.33", "2.25.3302");
    let r_copy = ReferenceSeries::load(&copy).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/make-seg.py");
    for kind in ["BINARY", "FRACTIONAL"] {
        let seg = tmp.path().join(format!("{kind}.seg.dcm"));
        let made = run_python(&[&script, &dir, &seg, &kind]);
        let read = read_seg(&seg, &r).unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(read.frames_by_position, 0, "{kind}: highdicom names the source instances");
        let by_position = read_seg(&seg, &r_copy).unwrap();
        assert_eq!(by_position.frames_by_position, by_position.frames);
        assert_eq!(by_position.map.histogram(), read.map.histogram());
        assert!((0..g.dims[2]).all(|z| by_position.map.slice(z) == read.map.slice(z)), "{kind}: same slices");
        let want = |v: u16| match (v % 3, v % 5) {
            (0, _) => 1,
            (1, 0) => 2,
            _ => 0,
        };
        let d = g.dims;
        let wrong = (0..g.voxel_count())
            .filter(|&i| read.map.get(i % d[0], i / d[0] % d[1], i / (d[0] * d[1])) != want(voxels[i]))
            .count();
        assert_eq!(wrong, 0, "{kind}: {wrong} voxels differ from the threshold highdicom was given");
        assert_eq!(read.overlapping_voxels, 0);
        let h = read.map.histogram();
        assert_eq!(h[1], made["voxels"]["1"].as_u64().unwrap(), "{kind}");
        assert_eq!(h[2], made["voxels"]["2"].as_u64().unwrap(), "{kind}");
        let names: Vec<&str> = read.labels.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["threes", "fives"]);
        assert!(read.labels.iter().all(|l| l.code.as_ref().is_some_and(|c| c.1 == "SCT")), "{:?}", read.labels);
    }
}
