//! The `sumi` binary's headless subcommands on synthetic fixtures.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use support::{SliceSpec, axial_series, write_series};

fn sumi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sumi")).args(args).env("SUMI_LOG", "error").output().expect("run sumi")
}

fn json_stdout(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!("stdout is not JSON ({e}):\n{text}\nstderr:\n{}", String::from_utf8_lossy(&out.stderr))
    })
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

#[test]
fn version_prints_name_and_crate_version() {
    let out = sumi(&["--version"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("sumi {}", env!("CARGO_PKG_VERSION")));
    assert_eq!(env!("CARGO_PKG_VERSION"), "0.1.0");
}

#[test]
fn import_prints_a_json_summary_with_the_fixture_counts_and_exits_zero() {
    let src = tempfile::tempdir().unwrap();
    let db = tempfile::tempdir().unwrap();
    let fixture = support::write_study_fixture(src.path());
    std::fs::write(src.path().join("readme.txt"), "not an image").unwrap();
    let project = db.path().join("p.sumi");
    let args = ["import", path_str(src.path()), "--project", path_str(&project), "--user", "tester"];

    let out = sumi(&args);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let summary = json_stdout(&out);
    assert_eq!(summary["files"], fixture.instances + 1);
    assert_eq!(summary["instances"], fixture.instances);
    assert_eq!(summary["new_instances"], fixture.instances);
    assert_eq!(summary["patients"], fixture.patients);
    assert_eq!(summary["studies"], fixture.studies);
    assert_eq!(summary["series"], fixture.series);
    let unreadable = summary["unreadable"].as_array().expect("unreadable list");
    assert_eq!(unreadable.len(), 1);
    assert_eq!(unreadable[0]["kind"], "not_dicom");

    // Again: nothing new, and the audit log names the user once per run.
    let again = json_stdout(&sumi(&args));
    assert_eq!(again["new_instances"], 0);
    assert_eq!(again["instances"], fixture.instances);
    let project = sumi::project::Project::open(&project).unwrap();
    let events = sumi::project::audit_events(&project.conn).unwrap();
    assert_eq!(
        events.iter().map(|e| (e.action.as_str(), e.actor.as_str())).collect::<Vec<_>>(),
        [("import", "tester"), ("import", "tester")]
    );
}

#[test]
fn import_exits_non_zero_when_no_file_is_dicom() {
    let src = tempfile::tempdir().unwrap();
    let db = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("a.txt"), "hello").unwrap();
    std::fs::write(src.path().join("b.dcm"), b"").unwrap();
    let project = db.path().join("p.sumi");

    let out = sumi(&["import", path_str(src.path()), "--project", path_str(&project)]);
    assert!(!out.status.success(), "no instance read must fail");
    let summary = json_stdout(&out);
    assert_eq!(summary["instances"], 0);
    assert_eq!(summary["unreadable"].as_array().map(Vec::len), Some(2));
}

#[test]
fn info_json_lists_series_geometry_and_the_gap_problem() {
    let dir = tempfile::tempdir().unwrap();
    // Six positions 2 mm apart with the one at z = 6 missing.
    let mut specs = axial_series("2.25.300", 6, [0.0, 0.0, 0.0], 2.0);
    specs.remove(3);
    write_series(dir.path(), &specs);
    std::fs::write(dir.path().join("junk.bin"), [0u8, 1, 2, 3]).unwrap();

    let out = sumi(&["info", path_str(dir.path()), "--json"]);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let report = json_stdout(&out);
    assert_eq!(report["instances"], 5);
    let series = report["series"].as_array().expect("series list");
    assert_eq!(series.len(), 1);
    let s = &series[0];
    assert_eq!(s["series_uid"], "2.25.300");
    assert_eq!(s["modality"], "CT");
    assert_eq!(s["kind"], "Volume");
    assert_eq!(s["dims"], serde_json::json!([4, 3, 6]));
    let spacing: Vec<f64> = s["spacing"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    for (got, want) in spacing.iter().zip([0.8, 0.5, 2.0]) {
        assert!((got - want).abs() < 1e-9, "spacing {spacing:?}");
    }
    assert_eq!(s["orientation"], "LPS");
    let problems = s["problems"].as_array().expect("problems");
    assert!(problems.iter().any(|p| p.as_str().unwrap().contains("missing slice")), "{problems:?}");
    let unreadable = report["unreadable"].as_array().expect("unreadable");
    assert_eq!(unreadable.len(), 1);
    assert!(unreadable[0]["path"].as_str().unwrap().ends_with("junk.bin"));
}

#[test]
fn info_json_reports_no_problems_for_a_regular_sagittal_stack() {
    let dir = tempfile::tempdir().unwrap();
    let specs: Vec<SliceSpec> = (0..3)
        .map(|k| SliceSpec { iop: support::SAGITTAL, ..SliceSpec::ct("2.25.301", k, [1.5 * k as f64, 0.0, 0.0]) })
        .collect();
    write_series(dir.path(), &specs);

    let report = json_stdout(&sumi(&["info", path_str(dir.path()), "--json"]));
    let s = &report["series"][0];
    // Rows run posterior, columns to the feet; the normal (row × column) points to the patient's
    // right, so k runs right even though the positions were written left-going.
    assert_eq!(s["orientation"], "PIR");
    assert_eq!(s["dims"], serde_json::json!([4, 3, 3]));
    assert_eq!(s["problems"], serde_json::json!([]));
}

#[test]
fn bench_load_json_reports_the_fixture_dims_time_and_memory() {
    let dir = tempfile::tempdir().unwrap();
    write_series(dir.path(), &axial_series("2.25.302", 7, [0.0, 0.0, 0.0], 1.5));
    // A smaller second series: the benchmark loads the largest one.
    let small = dir.path().join("small");
    std::fs::create_dir(&small).unwrap();
    write_series(&small, &axial_series("2.25.303", 2, [0.0, 0.0, 0.0], 1.5));

    let out = sumi(&["bench", "load", path_str(dir.path()), "--json"]);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let r = json_stdout(&out);
    assert_eq!(r["files"], 7);
    assert_eq!(r["dims"], serde_json::json!([4, 3, 7]));
    let spacing = r["spacing"].as_array().unwrap();
    assert!((spacing[2].as_f64().unwrap() - 1.5).abs() < 1e-9);
    assert!(r["seconds"].as_f64().unwrap() > 0.0);
    assert!(r["peak_rss_bytes"].as_u64().unwrap() > 0);
}

#[test]
fn templates_export_and_import_move_device_templates_between_projects() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, file) = (dir.path().join("a.sumi"), dir.path().join("b.sumi"), dir.path().join("t.json"));
    let boxes = [sumi::project::text_review::ReviewBox {
        x: 1,
        y: 2,
        w: 30,
        h: 10,
        first_frame: 0,
        last_frame: 0,
        score: 1.0,
        reason: "template".into(),
        ..Default::default()
    }];
    sumi::project::Project::open(&a)
        .unwrap()
        .save_device_template("ACME", "Sono", 480, 640, "1.2.840.10008.5.1.4.1.1.6.1", &boxes, "rev")
        .unwrap();
    let out = sumi(&["templates", "export", "--project", path_str(&a), "--out", path_str(&file), "--user", "rev"]);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json_stdout(&out)["templates"], 1);
    let out = sumi(&["templates", "import", path_str(&file), "--project", path_str(&b), "--user", "rev"]);
    assert_eq!(json_stdout(&out)["templates"], 1);
    let got = sumi::project::Project::open(&b).unwrap().device_template(
        "ACME",
        "Sono",
        480,
        640,
        "1.2.840.10008.5.1.4.1.1.6.1",
    );
    assert_eq!(got.unwrap().unwrap(), boxes);

    // A file that is not a template file: non-zero exit, one line naming it.
    std::fs::write(dir.path().join("x.json"), "[]").unwrap();
    let out = sumi(&["templates", "import", path_str(&dir.path().join("x.json")), "--project", path_str(&b)]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("x.json") && err.contains("not a sumi device template file"), "{err}");
}

#[test]
fn audit_verify_exits_zero_on_an_intact_log_and_names_the_first_broken_row() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.sumi");
    let mut p = sumi::project::Project::open(&file).unwrap();
    p.set_setting("face_mask", "eye-band", "rev").unwrap();
    p.set_setting("face_mask", "whole-face", "rev").unwrap();
    let out = sumi(&["audit", "verify", "--project", path_str(&file)]);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json_stdout(&out)["rows"], 2);
    p.conn
        .execute_batch("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET details = '{}' WHERE id = 1;")
        .unwrap();
    let out = sumi(&["audit", "verify", "--project", path_str(&file)]);
    assert!(!out.status.success());
    assert_eq!(json_stdout(&out)["first_broken"], 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken at row 1"));
    let missing = sumi(&["audit", "verify", "--project", path_str(&dir.path().join("none.sumi"))]);
    assert!(!missing.status.success(), "a missing project is not created by verify");
}
