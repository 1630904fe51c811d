//! Export end to end on the demo study: the pre-flight refuses until every image's text is
//! reviewed, the export writes `<pseudonym>/<study>/<series>/<n>.dcm` with a manifest whose
//! hashes hold, sources are untouched, and a cancel or a failure leaves nothing behind.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use dicom_dictionary_std::tags;
use sumi::deid::Vault;
use sumi::deid::text_queue::{ProposeOptions, propose_for_project};
use sumi::dicom::{InstanceMeta, scan_paths};
use sumi::export::{
    BlockerKind, ExportError, ExportOptions, MANIFEST_CSV, MANIFEST_JSON, Selection, export, preflight, sha256_file,
    source_hashes,
};
use sumi::project::{ExportStatus, Project, audit_events, import_scan, verify_audit_chain};

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    project: Project,
    metas: Vec<InstanceMeta>,
    vault: Vault,
}

fn demo_project(profile: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let demo = sumi::demo::ensure_demo_study(&root.join("data")).unwrap();
    let scan = scan_paths(&[demo], &|_, _| {});
    let mut project = Project::open(&root.join("p.sumi")).unwrap();
    import_scan(&mut project, &scan, "importer", &[]).unwrap();
    project.set_setting("deid.profile", profile, "admin").unwrap();
    let vault = Vault::open(&root.join("p.vault"), None).unwrap();
    Fixture { _dir: dir, root, project, metas: scan.instances, vault }
}

fn options(vault: &Vault) -> ExportOptions<'_> {
    ExportOptions { selection: Selection::default(), vault, actor: "operator".into(), include_labels: false, jobs: 2 }
}

fn quiet(_: usize, _: usize) {}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    v.sort();
    v
}

fn leftovers(parent: &Path) -> Vec<String> {
    std::fs::read_dir(parent)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("sumi-partial"))
        .collect()
}

#[test]
fn preflight_blocks_unexamined_and_unreviewed_images_and_export_refuses_without_writing() {
    let mut f = demo_project("jp-pseudonymized");
    let out = f.root.join("out");
    let p = preflight(&f.project, &Selection::default(), false).unwrap();
    let images = f.metas.iter().filter(|m| m.image.is_some()).count();
    assert_eq!(p.images, images);
    assert_eq!(p.blockers.iter().filter(|b| b.kind == BlockerKind::TextNotExamined).count(), images);
    let err = export(&mut f.project, &out, &options(&f.vault), &quiet, &AtomicBool::new(false)).unwrap_err();
    assert!(matches!(err, ExportError::Blocked(_)), "{err}");
    assert!(!out.exists() && leftovers(&f.root).is_empty());

    propose_for_project(&mut f.project, &f.metas, ProposeOptions::default()).unwrap();
    let p = preflight(&f.project, &Selection::default(), false).unwrap();
    assert_eq!(p.blockers.iter().filter(|b| b.kind == BlockerKind::TextNotExamined).count(), 0);
    let pending = p.blockers.iter().filter(|b| b.kind == BlockerKind::TextNotReviewed).count();
    assert!(pending > 0, "the demo ultrasound carries burned-in text");
    assert!(!p.ready());
}

#[test]
fn a_project_without_a_profile_is_blocked_and_kr_3d_head_requires_defacing_of_the_ct() {
    let f = demo_project("kr-3d-head");
    let p = preflight(&f.project, &Selection::default(), false).unwrap();
    let deface: Vec<_> = p.blockers.iter().filter(|b| b.kind == BlockerKind::DefacingNotApproved).collect();
    assert_eq!(deface.len(), 1, "the demo CT series: {deface:?}");
    assert!(deface[0].item.starts_with("deface/series/"));

    let dir = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(dir.path()).unwrap();
    let mut bare = Project::open(&dir.path().join("bare.sumi")).unwrap();
    import_scan(&mut bare, &scan_paths(&[demo], &|_, _| {}), "importer", &[]).unwrap();
    let p = preflight(&bare, &Selection::default(), false).unwrap();
    assert!(p.blockers.iter().any(|b| b.kind == BlockerKind::NoProfile && b.item == "profile"));
}

#[test]
fn export_writes_the_layout_a_manifest_whose_hashes_hold_and_leaves_sources_untouched() {
    let mut f = demo_project("jp-pseudonymized");
    propose_for_project(&mut f.project, &f.metas, ProposeOptions::default()).unwrap();
    let approved = f.project.approve_all_pending("qa-reviewer", "pipeline test").unwrap();
    assert!(approved.text_reviews > 0 && approved.boxes > 0);
    let before = source_hashes(&f.project, &Selection::default()).unwrap();
    let out = f.root.join("exports").join("batch-1");

    let summary = export(&mut f.project, &out, &options(&f.vault), &quiet, &AtomicBool::new(false)).unwrap();
    assert_eq!(summary.instances, f.metas.len());
    assert_eq!(before, source_hashes(&f.project, &Selection::default()).unwrap(), "sources changed");
    assert!(leftovers(out.parent().unwrap()).is_empty());

    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join(MANIFEST_JSON)).unwrap()).unwrap();
    assert_eq!(manifest["format"], "sumi-export-manifest/1");
    assert_eq!(manifest["profile"]["name"], "jp-pseudonymized");
    let listed = manifest["files"].as_array().unwrap();
    assert_eq!(listed.len(), f.metas.len() + 1, "every instance plus the conformance statement");
    for entry in listed {
        let path = out.join(entry["path"].as_str().unwrap());
        let (sha, bytes) = sha256_file(&path).unwrap();
        assert_eq!(entry["sha256"], sha.as_str(), "{}", path.display());
        assert_eq!(entry["bytes"], bytes);
    }
    let on_disk = files_under(&out);
    assert_eq!(on_disk.len(), listed.len() + 2, "manifest.json and manifest.csv besides the listed files");
    let csv = std::fs::read_to_string(out.join(MANIFEST_CSV)).unwrap();
    assert_eq!(csv.lines().count(), listed.len() + 1);

    // <pseudonym>/<study>/<series>/<n>.dcm, one pseudonym for the demo patient, nothing from the header in paths.
    let patient = f.metas[0].patient_name.clone().unwrap();
    let mut per_series: HashMap<String, usize> = HashMap::new();
    for entry in listed.iter().filter(|e| e["kind"] == "dicom") {
        let parts: Vec<&str> = entry["path"].as_str().unwrap().split('/').collect();
        assert_eq!(parts.len(), 4, "{parts:?}");
        assert!(parts[3].trim_end_matches(".dcm").parse::<usize>().is_ok());
        assert!(!parts[0].is_empty() && !patient.contains(parts[0]));
        *per_series.entry(format!("{}/{}/{}", parts[0], parts[1], parts[2])).or_default() += 1;
    }
    assert_eq!(per_series.len(), 3, "CT, ultrasound and cine series: {per_series:?}");

    // Approved images say Burned In Annotation NO; the patient's name appears in no output file.
    for entry in listed.iter().filter(|e| e["kind"] == "dicom") {
        let path = out.join(entry["path"].as_str().unwrap());
        let obj = sumi::dicom::open_dicom(&path, true).unwrap().obj;
        if entry["text_review"]["status"] == "approved" {
            assert_eq!(obj.element(tags::BURNED_IN_ANNOTATION).unwrap().to_str().unwrap().trim(), "NO");
        }
        let bytes = std::fs::read(&path).unwrap();
        let name = patient.split('^').next().unwrap();
        assert!(!bytes.windows(name.len()).any(|w| w == name.as_bytes()), "{name} in {}", path.display());
    }
    assert!(listed.iter().any(|e| e["pixels"] == "boxes filled"));
    let statement = std::fs::read_to_string(out.join("conformance-statement.txt")).unwrap();
    assert!(statement.contains("jp-pseudonymized") && statement.contains("(0010,0010) Patient's Name"), "{statement}");

    assert_eq!(f.project.export_status(summary.export_id).unwrap(), Some(ExportStatus::Complete));
    assert_eq!(verify_audit_chain(&f.project.conn).unwrap().first_broken, None);
    let events = audit_events(&f.project.conn).unwrap();
    let finish = events.iter().rev().find(|e| e.action == "export-finish").unwrap();
    assert_eq!(finish.details["manifest_sha256"], summary.manifest_sha256.as_str());
    assert!(events.iter().any(|e| e.action == "bulk-approve" && e.actor == "qa-reviewer"));

    let again = export(&mut f.project, &out, &options(&f.vault), &quiet, &AtomicBool::new(false)).unwrap_err();
    assert!(
        matches!(again, ExportError::Output { .. }) && again.to_string().contains("not an empty folder"),
        "{again}"
    );
}

#[test]
fn a_cancelled_or_failed_export_leaves_nothing_at_the_destination() {
    let mut f = demo_project("ps315-basic");
    propose_for_project(&mut f.project, &f.metas, ProposeOptions::default()).unwrap();
    f.project.approve_all_pending("qa", "test").unwrap();
    let out = f.root.join("cancelled");
    let cancel = AtomicBool::new(false);
    let stop_early = |done: usize, _: usize| {
        if done >= 3 {
            cancel.store(true, Ordering::Relaxed);
        }
    };
    let err = export(&mut f.project, &out, &options(&f.vault), &stop_early, &cancel).unwrap_err();
    assert!(matches!(err, ExportError::Cancelled), "{err}");
    assert!(!out.exists() && leftovers(&f.root).is_empty());

    // A source that vanished after import: the export fails naming it, and nothing is left.
    let victim = f.metas.iter().find(|m| m.modality.as_deref() == Some("CT")).unwrap().path.clone();
    std::fs::remove_file(&victim).unwrap();
    let out = f.root.join("failed");
    let err = export(&mut f.project, &out, &options(&f.vault), &quiet, &AtomicBool::new(false)).unwrap_err();
    assert!(err.to_string().contains(victim.file_name().unwrap().to_str().unwrap()), "{err}");
    assert!(!out.exists() && leftovers(&f.root).is_empty());
    let statuses: Vec<String> = f
        .project
        .conn
        .prepare("SELECT status FROM exports ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(statuses, ["cancelled", "failed"]);
}

#[test]
fn a_supervisor_override_needs_a_reason_and_is_listed_in_the_manifest() {
    let mut f = demo_project("ps315-basic");
    propose_for_project(&mut f.project, &f.metas, ProposeOptions::default()).unwrap();
    let p = preflight(&f.project, &Selection::default(), false).unwrap();
    let items: Vec<String> = p.standing().map(|b| b.item.clone()).collect();
    assert!(!items.is_empty());
    assert!(f.project.override_export_blocker(&items[0], "chief", "  ").is_err(), "empty reason accepted");
    for item in &items {
        f.project.override_export_blocker(item, "chief", "urgent release agreed with the DPO").unwrap();
    }
    assert!(preflight(&f.project, &Selection::default(), false).unwrap().ready());
    let out = f.root.join("overridden");
    export(&mut f.project, &out, &options(&f.vault), &quiet, &AtomicBool::new(false)).unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join(MANIFEST_JSON)).unwrap()).unwrap();
    assert_eq!(manifest["overrides"].as_array().unwrap().len(), items.len());
    let events = audit_events(&f.project.conn).unwrap();
    assert_eq!(events.iter().filter(|e| e.action == "export-override").count(), items.len());
}

#[test]
fn kr_3d_head_exports_the_demo_ct_defaced_after_approval_and_verify_checks_the_face_is_air() {
    let mut f = demo_project("kr-3d-head");
    propose_for_project(&mut f.project, &f.metas, ProposeOptions::default()).unwrap();
    f.project.approve_all_pending("qa", "test").unwrap();
    let p = preflight(&f.project, &Selection::default(), false).unwrap();
    assert!(p.standing().any(|b| b.kind == BlockerKind::DefacingNotApproved));
    let params = sumi::deid::deface::DefaceParams::default();
    sumi::deid::deface_queue::propose_deface_for_project(&mut f.project, &params).unwrap();
    let ct_series = f.metas.iter().find(|m| m.modality.as_deref() == Some("CT")).unwrap().series_uid.clone();
    let review = f.project.deface_review(&ct_series).unwrap().expect("the CT head was proposed");
    assert!(review.removed_voxels.unwrap_or(0) > 0, "{:?}", review.reason);
    f.project.decide_deface(&ct_series, true, "dr-qa", Some("face removed, brain intact"), None).unwrap();
    assert!(preflight(&f.project, &Selection::default(), false).unwrap().ready());

    let out = f.root.join("defaced");
    export(&mut f.project, &out, &options(&f.vault), &quiet, &AtomicBool::new(false)).unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join(MANIFEST_JSON)).unwrap()).unwrap();
    let defaced: Vec<&serde_json::Value> =
        manifest["files"].as_array().unwrap().iter().filter(|e| e["pixels"] == "defaced").collect();
    assert!(!defaced.is_empty());
    assert_eq!(defaced[0]["defacing"]["reviewer"], "dr-qa");
    let obj = sumi::dicom::open_dicom(&out.join(defaced[0]["path"].as_str().unwrap()), true).unwrap().obj;
    assert_eq!(obj.element(tags::RECOGNIZABLE_VISUAL_FEATURES).unwrap().to_str().unwrap().trim(), "NO");

    let sources = sumi::verify::Sources::from_project(&f.project).unwrap();
    let report = sumi::verify::verify_export(&out, &sources).unwrap();
    assert!(report.clean, "{:#?}", report.findings);
    // A copy where one defaced slice gets its source pixels back: the face is no longer air.
    let leaky = f.root.join("face-back");
    std::fs::create_dir_all(&leaky).unwrap();
    for e in walkdir::WalkDir::new(&out).into_iter().filter_map(Result::ok) {
        let rel = e.path().strip_prefix(&out).unwrap();
        if e.file_type().is_dir() {
            std::fs::create_dir_all(leaky.join(rel)).unwrap();
        } else {
            std::fs::copy(e.path(), leaky.join(rel)).unwrap();
        }
    }
    let id = defaced[0]["source_instance"].as_i64().unwrap();
    let src: String = f.project.conn.query_row("SELECT path FROM instances WHERE id = ?1", [id], |r| r.get(0)).unwrap();
    let pixels =
        dicom_object::OpenFileOptions::new().open_file(&src).unwrap().element(tags::PIXEL_DATA).unwrap().clone();
    let target = leaky.join(defaced[0]["path"].as_str().unwrap());
    let mut obj = dicom_object::OpenFileOptions::new().open_file(&target).unwrap();
    obj.put(pixels);
    obj.write_to_file(&target).unwrap();
    let report = sumi::verify::verify_export(&leaky, &sources).unwrap();
    assert!(report.findings.iter().any(|x| x.kind == sumi::verify::Kind::DefacedFaceNotAir), "{:#?}", report.findings);
}

#[test]
fn a_selection_of_series_exports_only_those_and_an_unknown_one_is_refused() {
    let mut f = demo_project("ps315-basic");
    propose_for_project(&mut f.project, &f.metas, ProposeOptions::default()).unwrap();
    f.project.approve_all_pending("qa", "test").unwrap();
    let us: Vec<&InstanceMeta> = f.metas.iter().filter(|m| m.modality.as_deref() == Some("US")).collect();
    let series: Vec<String> = {
        let mut s: Vec<String> = us.iter().map(|m| m.series_uid.clone()).collect();
        s.sort();
        s.dedup();
        s
    };
    let mut opts = options(&f.vault);
    opts.selection = Selection { studies: vec![], series: series.clone() };
    let out = f.root.join("us-only");
    let summary = export(&mut f.project, &out, &opts, &quiet, &AtomicBool::new(false)).unwrap();
    assert_eq!(summary.instances, us.len());
    opts.selection = Selection { studies: vec![], series: vec!["1.2.3.999".into()] };
    let err = export(&mut f.project, &f.root.join("none"), &opts, &quiet, &AtomicBool::new(false)).unwrap_err();
    assert!(err.to_string().contains("series 1.2.3.999 is not in the project"), "{err}");
}
