//! Exported DICOM stays valid: every real sample file, exported through the full pipeline (text
//! detection, bulk approval with the boxes filled, jp-pseudonymized profile), gets no error from
//! dciodvfy (Debian dicom3tools) that its source did not already have, and pydicom reads it back.

mod sample_data;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;

use sumi::deid::Vault;
use sumi::deid::text_queue::{ProposeOptions, propose_for_project};
use sumi::dicom::scan_paths;
use sumi::export::{ExportOptions, MANIFEST_JSON, Selection, export};
use sumi::project::{Project, import_scan};

const PYDICOM_FILES: &[&str] = &[
    "CT_small.dcm",
    "MR_small.dcm",
    "JPEG2000.dcm",
    "SC_rgb_rle.dcm",
    "examples_palette.dcm",
    "examples_ybr_color.dcm",
    "liver_1frame.dcm",
];
const DEID_FILES: &[&str] = &["GREYSCALE_IMAGE.dcm", "RGB_IMAGE.dcm", "ultrasound-multiframe.dcm"];

/// dciodvfy's error lines for a file (warnings left out), without values that the export changes.
fn dciodvfy_errors(bin: &Path, file: &Path) -> BTreeSet<String> {
    let out = Command::new(bin.join("dciodvfy")).arg(file).output().expect("run dciodvfy");
    let text = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    // dciodvfy names the IOD it checked against (e.g. "CTImage"): proof that it ran on the file.
    assert!(text.lines().any(|l| !l.contains(" - ") && !l.trim().is_empty()), "dciodvfy {}: {text}", file.display());
    text.lines().filter(|l| l.contains("Error")).map(|l| l.trim().to_string()).collect()
}

fn copy_inputs(dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for (key, names) in [("PYDICOM_TEST_FILES", PYDICOM_FILES), ("DEID_DATA_US", DEID_FILES)] {
        for name in names {
            let src = sample_data::in_set(key, name);
            let dst = dir.join(name);
            std::fs::copy(&src, &dst).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
            v.push(dst);
        }
    }
    v
}

#[test]
fn exported_real_files_gain_no_dciodvfy_errors_and_pydicom_reads_them_back() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    let inputs = copy_inputs(&input);
    let scan = scan_paths(std::slice::from_ref(&input), &|_, _| {});
    assert_eq!(scan.instances.len(), inputs.len(), "unreadable: {:?}", scan.unreadable);
    let mut project = Project::open(&dir.path().join("p.sumi")).unwrap();
    import_scan(&mut project, &scan, "importer", &[]).unwrap();
    project.set_setting("deid.profile", "jp-pseudonymized", "admin").unwrap();
    propose_for_project(&mut project, &scan.instances, ProposeOptions::default()).unwrap();
    let approved = project.approve_all_pending("qa", "conformance test").unwrap();
    assert!(approved.boxes > 0, "the deid-data ultrasounds carry burned-in text");
    let vault = Vault::in_memory();
    let opts = ExportOptions {
        selection: Selection::default(),
        vault: &vault,
        actor: "op".into(),
        include_labels: false,
        jobs: 2,
    };
    let out = dir.path().join("out");
    export(&mut project, &out, &opts, &|_, _| {}, &AtomicBool::new(false)).unwrap();

    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join(MANIFEST_JSON)).unwrap()).unwrap();
    let bin = sample_data::sets().remove("DICOM3TOOLS_BIN").expect("PATHS.txt has DICOM3TOOLS_BIN");
    let mut new_errors = Vec::new();
    let mut cleaned = 0;
    for f in manifest["files"].as_array().unwrap().iter().filter(|f| f["kind"] == "dicom") {
        let id = f["source_instance"].as_i64().unwrap();
        let src: String =
            project.conn.query_row("SELECT path FROM instances WHERE id = ?1", [id], |r| r.get(0)).unwrap();
        let exported = out.join(f["path"].as_str().unwrap());
        let before = dciodvfy_errors(&bin, Path::new(&src));
        let after = dciodvfy_errors(&bin, &exported);
        for e in after.difference(&before) {
            new_errors.push(format!("{}: {e}", Path::new(&src).file_name().unwrap().to_string_lossy()));
        }
        cleaned += usize::from(f["pixels"] == "boxes filled");
    }
    assert!(cleaned >= 2, "boxes were filled in the ultrasounds");
    assert!(new_errors.is_empty(), "errors introduced by the export:\n{}", new_errors.join("\n"));

    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache/venv/bin/python");
    let script = r#"
import json, pathlib, sys, pydicom
root = pathlib.Path(sys.argv[1])
m = json.loads((root / "manifest.json").read_text())
n = 0
for f in m["files"]:
    if f["kind"] != "dicom":
        continue
    ds = pydicom.dcmread(root / f["path"])
    assert ds.PatientIdentityRemoved == "YES", f["path"]
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID, f["path"]
    if not ds.file_meta.TransferSyntaxUID.is_compressed:
        ds.pixel_array
    n += 1
print(n)
"#;
    let r = Command::new(&python).arg("-c").arg(script).arg(&out).output().expect("run the venv python");
    assert!(r.status.success(), "pydicom: {}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(String::from_utf8_lossy(&r.stdout).trim(), inputs.len().to_string());
}
