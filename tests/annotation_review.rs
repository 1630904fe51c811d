//! Annotation sign-off: draft → submitted → approved / changes requested, with the physician's
//! name, qualification and licence country on approval, every decision audited, edits refused
//! while a layer is under review or approved, and the export's pre-flight blocking unapproved
//! layers when annotations are included. Free-text findings round-trip.

use sumi::annotate::tools::{Brush, dab};
use sumi::annotate::{LabelMap, Recorder};
use sumi::dicom::scan_paths;
use sumi::export::{BlockerKind, Selection, preflight};
use sumi::project::annotation_review::{Finding, LayerDecision, Physician};
use sumi::project::{Project, audit_events, import_scan};

fn dr_sato() -> Physician {
    Physician {
        name: "Dr. Sato".into(),
        qualification: "board-certified radiologist".into(),
        licence_country: "JP".into(),
    }
}

fn paint(project: &mut Project, layer: i64, map: &mut LabelMap) -> Result<i64, sumi::project::ProjectError> {
    let mut rec = Recorder::default();
    let brush = Brush { radius_mm: 3.0, sphere: false, label: 1, erase: false, range: None, locked: vec![] };
    dab(map, &mut rec, [1.0, 1.0, 1.0], [10.0, 10.0, 2.0], &brush, None);
    let delta = rec.finish(map);
    project.commit_label_edit(layer, map, &delta, "brush", "annotator-1")
}

#[test]
fn a_layer_moves_through_submission_and_approval_with_the_physicians_credentials_audited() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Project::open(&dir.path().join("a.sumi")).unwrap();
    let layer = p.create_label_layer("1.2.3", "reader-1", "annotator-1", [32, 32, 4]).unwrap();
    let mut map = LabelMap::new([32, 32, 4]);
    paint(&mut p, layer, &mut map).unwrap();
    assert_eq!(p.label_layer_status(layer).unwrap(), "draft");
    assert!(
        p.review_label_layer(layer, LayerDecision::Approve, &dr_sato(), None).is_err(),
        "a draft cannot be approved"
    );

    p.submit_label_layer(layer, "annotator-1", Some("ready")).unwrap();
    let err = paint(&mut p, layer, &mut map).unwrap_err().to_string();
    assert!(err.contains("submitted"), "{err}");
    let no_licence = Physician { licence_country: " ".into(), ..dr_sato() };
    let err = p.review_label_layer(layer, LayerDecision::Approve, &no_licence, None).unwrap_err().to_string();
    assert!(err.contains("licence country"), "{err}");
    assert!(p.review_label_layer(layer, LayerDecision::RequestChanges, &dr_sato(), Some("")).is_err());
    p.review_label_layer(layer, LayerDecision::RequestChanges, &dr_sato(), Some("include the oedema")).unwrap();
    paint(&mut p, layer, &mut map).expect("changes requested: editable again");
    p.submit_label_layer(layer, "annotator-1", None).unwrap();
    p.review_label_layer(layer, LayerDecision::Approve, &dr_sato(), Some("confirmed")).unwrap();
    assert_eq!(p.label_layer_status(layer).unwrap(), "approved");
    assert!(paint(&mut p, layer, &mut map).is_err(), "an approved layer is frozen");

    let history = p.label_layer_reviews(layer).unwrap();
    let statuses: Vec<&str> = history.iter().map(|h| h.status.as_str()).collect();
    assert_eq!(statuses, ["submitted", "changes-requested", "submitted", "approved"]);
    let last = history.last().unwrap();
    assert_eq!((last.actor.as_str(), last.licence_country.as_deref()), ("Dr. Sato", Some("JP")));
    let audited: Vec<_> =
        audit_events(&p.conn).unwrap().into_iter().filter(|e| e.action == "label-layer-review").collect();
    assert_eq!(audited.len(), 4);
    assert_eq!(audited[3].details["physician"]["qualification"], "board-certified radiologist");
}

#[test]
fn findings_round_trip_and_unapproved_layers_block_an_export_that_includes_annotations() {
    let dir = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(dir.path()).unwrap();
    let scan = scan_paths(&[demo], &|_, _| {});
    let mut p = Project::open(&dir.path().join("b.sumi")).unwrap();
    import_scan(&mut p, &scan, "importer", &[]).unwrap();
    let ct = scan.instances.iter().find(|m| m.modality.as_deref() == Some("CT")).unwrap();
    let finding = Finding {
        study_uid: ct.study_uid.clone(),
        series_uid: Some(ct.series_uid.clone()),
        kind: "diagnosis".into(),
        text: "glioblastoma, right frontal lobe".into(),
        code: Some(("393563007".into(), "SCT".into(), "Glioblastoma".into())),
        author: "Dr. Sato".into(),
    };
    p.add_finding(&finding).unwrap();
    assert_eq!(p.findings(Some(&ct.study_uid)).unwrap(), vec![finding.clone()]);
    assert!(p.add_finding(&Finding { kind: "gossip".into(), ..finding }).is_err());

    let layer = p.create_label_layer(&ct.series_uid, "reader-1", "annotator-1", [256, 256, 200]).unwrap();
    let blockers = |p: &Project| {
        preflight(p, &Selection::default(), true)
            .unwrap()
            .blockers
            .into_iter()
            .filter(|b| b.kind == BlockerKind::AnnotationNotApproved)
            .map(|b| b.item)
            .collect::<Vec<_>>()
    };
    assert_eq!(blockers(&p), [format!("labels/layer/{layer}")]);
    assert!(
        preflight(&p, &Selection::default(), false)
            .unwrap()
            .blockers
            .iter()
            .all(|b| b.kind != BlockerKind::AnnotationNotApproved)
    );
    p.submit_label_layer(layer, "annotator-1", None).unwrap();
    p.review_label_layer(layer, LayerDecision::Approve, &dr_sato(), None).unwrap();
    assert!(blockers(&p).is_empty());
}

#[test]
fn the_cli_signs_off_a_layer_and_reports_label_volumes_as_json_and_csv() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(dir.path()).unwrap();
    let scan = scan_paths(&[demo], &|_, _| {});
    let file = dir.path().join("c.sumi");
    let mut p = Project::open(&file).unwrap();
    import_scan(&mut p, &scan, "importer", &[]).unwrap();
    let ct = scan.instances.iter().find(|m| m.modality.as_deref() == Some("CT")).unwrap();
    let label = sumi::project::annotations::Label {
        value: 1,
        name: "tumour".into(),
        colour: "#ff0000".into(),
        code: Some(("108369006".into(), "SCT".into(), "Neoplasm".into())),
        visible: true,
        locked: false,
    };
    p.save_label(&label, "admin").unwrap();
    let dims = [256, 256, 200];
    let layer = p.create_label_layer(&ct.series_uid, "reader-1", "annotator-1", dims).unwrap();
    let mut map = LabelMap::new(dims);
    let mut rec = Recorder::default();
    let brush = Brush { radius_mm: 8.0, sphere: true, label: 1, erase: false, range: None, locked: vec![] };
    dab(&mut map, &mut rec, [0.9, 0.9, 1.0], [128.0, 128.0, 100.0], &brush, None);
    let delta = rec.finish(&map);
    p.commit_label_edit(layer, &map, &delta, "brush", "annotator-1").unwrap();
    let painted: u64 = map.histogram()[1];
    drop(p);

    let run = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_sumi")).args(args).output().unwrap();
    let sumi = |args: &[&str]| {
        let out = run(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let (f, l) = (file.to_str().unwrap(), layer.to_string());
    sumi(&["labels", "submit", "--project", f, "--layer", &l, "--annotator", "annotator-1"]);
    let refused = run(&["labels", "review", "--project", f, "--layer", &l, "--approve", "--physician", "Dr. Sato"]);
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("licence country"));
    let p = Project::open(&file).unwrap();
    assert_eq!(p.label_layer_status(layer).unwrap(), "submitted", "an approval without credentials is refused");
    drop(p);
    sumi(&[
        "labels",
        "review",
        "--project",
        f,
        "--layer",
        &l,
        "--approve",
        "--physician",
        "Dr. Sato",
        "--qualification",
        "radiologist",
        "--licence-country",
        "JP",
    ]);
    let json = dir.path().join("report.json");
    let csv = dir.path().join("report.csv");
    sumi(&["labels", "report", "--project", f, "--layer", &l, "--out", json.to_str().unwrap()]);
    sumi(&["labels", "report", "--project", f, "--layer", &l, "--out", csv.to_str().unwrap()]);
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["status"], "approved");
    assert_eq!(report["labels"][0]["name"], "tumour");
    assert_eq!(report["labels"][0]["voxels"], painted);
    let ml = report["labels"][0]["volume_ml"].as_f64().unwrap();
    let expected = painted as f64 * 0.9 * 0.9 * 1.0 / 1000.0;
    assert!((ml - expected).abs() < 1e-6 && ml > 1.5, "{ml} mL vs {expected}");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(text.lines().nth(1).unwrap().contains("\"tumour\",\"108369006\",\"SCT\""), "{text}");
}
