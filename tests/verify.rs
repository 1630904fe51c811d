//! Export then verify, end to end, on the demo study and real sample files with synthetic PHI
//! injected into their headers: the clean export verifies clean; a deliberately leaky copy (a
//! name re-inserted in a nested sequence, the ID in a private tag, a reviewed box left unmasked,
//! a date put back, a source UID, Patient Identity Removed dropped) has every leak found.

mod sample_data;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;

use dicom_core::value::DataSetSequence;
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::{InMemDicomObject, OpenFileOptions};
use sumi::deid::Vault;
use sumi::deid::text_queue::{ProposeOptions, propose_for_project};
use sumi::dicom::scan_paths;
use sumi::export::{ExportOptions, Selection, export};
use sumi::project::{Project, import_scan};
use sumi::verify::{Kind, Report, Sources, verify_export};

const NAME: &str = "Kobayashi^Hanako=小林^花子";
const PID: &str = "KH-5550123";
const PHONE: &str = "+81 3-5550-1234";
const ADDRESS: &str = "1-2-3 Sakura-cho, Minato-ku, Tokyo";

/// Real files with this patient's PHI written into their headers (top level, a nested sequence,
/// a private block).
fn inject_phi(src: &Path, dst: &Path) {
    let mut obj = OpenFileOptions::new().open_file(src).unwrap();
    let put = |o: &mut InMemDicomObject, tag, vr, v: &str| {
        o.put(DataElement::new(tag, vr, PrimitiveValue::from(v)));
    };
    put(&mut obj, tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 192");
    put(&mut obj, tags::PATIENT_NAME, VR::PN, NAME);
    put(&mut obj, tags::PATIENT_ID, VR::LO, PID);
    put(&mut obj, tags::PATIENT_BIRTH_DATE, VR::DA, "19720309");
    put(&mut obj, tags::PATIENT_TELEPHONE_NUMBERS, VR::SH, PHONE);
    put(&mut obj, tags::PATIENT_ADDRESS, VR::LO, ADDRESS);
    put(&mut obj, tags::INSTITUTION_NAME, VR::LO, "Sakura Memorial Hospital");
    put(&mut obj, tags::STUDY_DATE, VR::DA, "20240611");
    let mut item = InMemDicomObject::new_empty();
    put(&mut item, tags::PATIENT_NAME, VR::PN, NAME);
    obj.put(DataElement::new(tags::REFERENCED_PATIENT_SEQUENCE, VR::SQ, DataSetSequence::from(vec![item])));
    put(&mut obj, Tag(0x0029, 0x0010), VR::LO, "ACME HOSPITAL IDS");
    put(&mut obj, Tag(0x0029, 0x1001), VR::LO, PID);
    obj.write_to_file(dst).unwrap();
}

struct Exported {
    _dir: tempfile::TempDir,
    project: PathBuf,
    out: PathBuf,
}

fn export_fixture() -> Exported {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    sumi::demo::ensure_demo_study(&input.join("demo")).unwrap();
    for (key, name) in [
        ("DEID_DATA_US", "GREYSCALE_IMAGE.dcm"),
        ("DEID_DATA_US", "RGB_IMAGE.dcm"),
        ("PYDICOM_TEST_FILES", "CT_small.dcm"),
        ("PYDICOM_TEST_FILES", "MR_small.dcm"),
    ] {
        inject_phi(&sample_data::in_set(key, name), &input.join(name));
    }
    let scan = scan_paths(&[input], &|_, _| {});
    let project = dir.path().join("p.sumi");
    let mut p = Project::open(&project).unwrap();
    import_scan(&mut p, &scan, "importer", &[]).unwrap();
    p.set_setting("deid.profile", "jp-pseudonymized", "admin").unwrap();
    propose_for_project(&mut p, &scan.instances, ProposeOptions::default()).unwrap();
    p.approve_all_pending("qa", "verify test").unwrap();
    let vault = Vault::open(&dir.path().join("p.vault"), None).unwrap();
    let opts = ExportOptions {
        selection: Selection::default(),
        vault: &vault,
        actor: "op".into(),
        include_labels: false,
        jobs: 2,
    };
    let out = dir.path().join("out");
    export(&mut p, &out, &opts, &|_, _| {}, &AtomicBool::new(false)).unwrap();
    Exported { _dir: dir, project, out }
}

fn verify(project: &Path, dir: &Path) -> Report {
    let p = Project::open(project).unwrap();
    verify_export(dir, &Sources::from_project(&p).unwrap()).unwrap()
}

fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from).into_iter().filter_map(Result::ok) {
        let rel = e.path().strip_prefix(from).unwrap();
        if e.file_type().is_dir() {
            std::fs::create_dir_all(to.join(rel)).unwrap();
        } else {
            std::fs::copy(e.path(), to.join(rel)).unwrap();
        }
    }
}

/// The exported file of a source file name, and the source's path.
fn exported_of(f: &Exported, source_name: &str) -> (String, PathBuf) {
    let p = Project::open(&f.project).unwrap();
    let (id, path): (i64, String) = p
        .conn
        .query_row("SELECT id, path FROM instances WHERE path LIKE ?1", [format!("%/{source_name}")], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(f.out.join("manifest.json")).unwrap()).unwrap();
    let rel = manifest["files"].as_array().unwrap().iter().find(|e| e["source_instance"] == id).unwrap()["path"]
        .as_str()
        .unwrap()
        .to_string();
    (rel, PathBuf::from(path))
}

fn edit(path: &Path, change: impl FnOnce(&mut dicom_object::DefaultDicomObject)) {
    let mut obj = OpenFileOptions::new().open_file(path).unwrap();
    change(&mut obj);
    obj.write_to_file(path).unwrap();
}

#[test]
fn a_clean_export_verifies_clean_and_every_deliberate_leak_is_found() {
    let f = export_fixture();
    let clean = verify(&f.project, &f.out);
    assert!(clean.clean, "findings on the clean export: {:#?}", clean.findings);
    assert!(clean.needles > 20, "{} identifying values known", clean.needles);

    let leaky = f.out.with_file_name("leaky");
    copy_tree(&f.out, &leaky);
    let (ct, ct_src) = exported_of(&f, "CT_small.dcm");
    let (mr, _) = exported_of(&f, "MR_small.dcm");
    let (us, us_src) = exported_of(&f, "GREYSCALE_IMAGE.dcm");
    edit(&leaky.join(&ct), |o| {
        let mut item = InMemDicomObject::new_empty();
        item.put(DataElement::new(tags::PATIENT_NAME, VR::PN, PrimitiveValue::from(NAME)));
        let mut outer = InMemDicomObject::new_empty();
        outer.put(DataElement::new(tags::REFERENCED_PATIENT_SEQUENCE, VR::SQ, DataSetSequence::from(vec![item])));
        o.put(DataElement::new(tags::REFERENCED_STUDY_SEQUENCE, VR::SQ, DataSetSequence::from(vec![outer])));
        o.put(DataElement::new(tags::STUDY_DATE, VR::DA, PrimitiveValue::from("20240611")));
    });
    let src_ct = OpenFileOptions::new().read_until(tags::PIXEL_DATA).open_file(&ct_src).unwrap();
    let src_uid = src_ct.element(tags::STUDY_INSTANCE_UID).unwrap().to_str().unwrap().to_string();
    edit(&leaky.join(&mr), |o| {
        o.put(DataElement::new(Tag(0x0033, 0x0010), VR::LO, PrimitiveValue::from("SITE")));
        o.put(DataElement::new(Tag(0x0033, 0x1002), VR::LO, PrimitiveValue::from(PID)));
        o.put(DataElement::new(tags::STUDY_INSTANCE_UID, VR::UI, PrimitiveValue::from(src_uid.as_str())));
        o.remove_element(tags::PATIENT_IDENTITY_REMOVED);
    });
    // The ultrasound with its reviewed boxes gets the source's pixels back (boxes unmasked).
    let src_us = OpenFileOptions::new().open_file(&us_src).unwrap();
    let pixels = src_us.element(tags::PIXEL_DATA).unwrap().clone();
    edit(&leaky.join(&us), |o| {
        o.put(pixels);
    });

    let report = verify(&f.project, &leaky);
    let has = |file: &str, kind: Kind| report.findings.iter().any(|x| x.file == file && x.kind == kind);
    assert!(
        report
            .findings
            .iter()
            .any(|x| x.file == ct && x.kind == Kind::PhiValue && x.tag.as_deref().unwrap_or("").contains("]>")),
        "name in a nested sequence: {:#?}",
        report.findings
    );
    assert!(has(&ct, Kind::DateNotShifted), "the source's study date");
    assert!(has(&mr, Kind::PrivateTag) && has(&mr, Kind::PhiValue), "the patient ID in a private tag");
    assert!(has(&mr, Kind::SourceUid), "a source UID");
    assert!(has(&mr, Kind::IdentityRemovedMissing));
    assert!(has(&us, Kind::UnmaskedBox), "the burned-in text boxes left unmasked");
    for file in [&ct, &mr, &us] {
        assert!(has(file, Kind::HashMismatch), "{file} changed after export");
    }
    // Values are masked in the report: it must not leak them itself.
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains("Kobayashi") && !json.contains(PID), "the report repeats PHI");

    // The CLI: exit 2 with findings, JSON and HTML reports; 0 on the clean export.
    let html = f.out.with_file_name("verify.html");
    let out = Command::new(env!("CARGO_BIN_EXE_sumi"))
        .args(["verify", leaky.to_str().unwrap(), "--project", f.project.to_str().unwrap(), "--json", "--html"])
        .arg(&html)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(parsed["clean"], false);
    assert!(std::fs::read_to_string(&html).unwrap().contains("unmasked-box"));
    let ok = Command::new(env!("CARGO_BIN_EXE_sumi"))
        .args(["verify", f.out.to_str().unwrap(), "--project", f.project.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stdout));
}

#[test]
fn files_missing_or_added_after_export_are_reported() {
    let f = export_fixture();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(f.out.join("manifest.json")).unwrap()).unwrap();
    let first = manifest["files"][0]["path"].as_str().unwrap().to_string();
    std::fs::remove_file(f.out.join(&first)).unwrap();
    std::fs::write(f.out.join("notes.txt"), format!("patient {PID}")).unwrap();
    let report = verify(&f.project, &f.out);
    let kinds: Vec<(String, Kind)> = report.findings.iter().map(|x| (x.file.clone(), x.kind)).collect();
    assert!(kinds.contains(&(first, Kind::MissingFile)), "{kinds:?}");
    assert!(kinds.contains(&("notes.txt".into(), Kind::UnlistedFile)), "{kinds:?}");
    assert!(kinds.contains(&("notes.txt".into(), Kind::PhiValue)), "{kinds:?}");
}
