//! Burned-in text review records in the project database: proposals, the risk-ordered queue,
//! audited decisions, and device templates.

use sumi::dicom::scan_paths;
use sumi::project::text_review::{ReviewBox, ReviewStatus, risk};
use sumi::project::{Project, audit_events, import_scan};

fn b(x: u32, reason: &str) -> ReviewBox {
    ReviewBox {
        x,
        y: 4,
        w: 120,
        h: 14,
        first_frame: 0,
        last_frame: 0,
        score: 0.9,
        reason: reason.into(),
        ..Default::default()
    }
}

fn project_with_demo(dir: &std::path::Path) -> (Project, Vec<String>) {
    let demo = sumi::demo::ensure_demo_study(dir).unwrap();
    let scan = scan_paths(&[demo], &|_, _| {});
    let mut project = Project::open(&dir.join("p.sumi")).unwrap();
    import_scan(&mut project, &scan, "importer", &[]).unwrap();
    let mut us: Vec<String> = scan
        .instances
        .iter()
        .filter(|m| m.modality.as_deref() == Some("US"))
        .map(|m| m.sop_instance_uid.clone())
        .collect();
    us.sort();
    (project, us)
}

#[test]
fn queue_is_riskiest_first_and_a_decision_is_audited_with_boxes_before_and_after() {
    let dir = tempfile::tempdir().unwrap();
    let (mut project, us) = project_with_demo(dir.path());
    project.propose_text_boxes(&us[0], &[b(10, "text")], risk::TEXT).unwrap();
    project.propose_text_boxes(&us[1], &[b(10, "PHI: matches Patient's Name")], risk::PHI_MATCH).unwrap();
    let queue = project.text_review_queue().unwrap();
    assert_eq!(queue.len(), 2);
    assert_eq!(queue[0].sop_instance_uid, us[1], "the PHI match comes first");
    assert!(queue.iter().all(|q| q.status == ReviewStatus::Pending));

    let adjusted = [b(8, "text"), b(300, "reviewer")];
    project
        .decide_text_review(&us[1], ReviewStatus::Approved, &adjusted, "reviewer-a", Some("moved and added"))
        .unwrap();
    let queue = project.text_review_queue().unwrap();
    assert_eq!(queue.last().unwrap().sop_instance_uid, us[1], "approved items sort after open ones");
    assert_eq!(queue.last().unwrap().boxes, adjusted);
    assert_eq!(queue.last().unwrap().reviewer.as_deref(), Some("reviewer-a"));

    let event = audit_events(&project.conn).unwrap().into_iter().find(|e| e.action == "text-review").unwrap();
    assert_eq!(event.actor, "reviewer-a");
    assert_eq!(event.object.as_deref(), Some(us[1].as_str()));
    assert_eq!(event.details["boxes_before"][0]["x"], 10);
    assert_eq!(event.details["boxes_after"][1]["x"], 300);

    // New proposals never overwrite a decision.
    project.propose_text_boxes(&us[1], &[b(1, "detector rerun")], risk::TEXT).unwrap();
    let item = project.text_review_queue().unwrap().into_iter().find(|q| q.sop_instance_uid == us[1]).unwrap();
    assert_eq!((item.status, item.boxes), (ReviewStatus::Approved, adjusted.to_vec()));
    assert_eq!(project.integrity_check().unwrap(), "ok");
}

#[test]
fn a_device_template_is_found_again_by_manufacturer_model_size_and_sop_class() {
    let dir = tempfile::tempdir().unwrap();
    let (mut project, _) = project_with_demo(dir.path());
    let us_class = "1.2.840.10008.5.1.4.1.1.6.1";
    project.save_device_template("ACME", "Sono 5", 480, 640, us_class, &[b(0, "template")], "reviewer-a").unwrap();
    assert_eq!(project.device_template("ACME", "Sono 5", 480, 640, us_class).unwrap().unwrap().len(), 1);
    assert!(
        project.device_template("ACME", "Sono 5", 600, 800, us_class).unwrap().is_none(),
        "another layout has no template"
    );
    assert!(audit_events(&project.conn).unwrap().iter().any(|e| e.action == "save-device-template"));
}

#[test]
fn proposing_for_an_unknown_instance_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (mut project, _) = project_with_demo(dir.path());
    assert!(project.propose_text_boxes("1.2.3.nope", &[b(0, "x")], risk::TEXT).is_err());
}

#[test]
fn device_templates_travel_between_projects_through_a_template_file() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, _) = project_with_demo(dir.path());
    let us_class = "1.2.840.10008.5.1.4.1.1.6.1";
    a.save_device_template("ACME", "Sono 5", 480, 640, us_class, &[b(0, "template"), b(200, "template")], "rev-a")
        .unwrap();
    a.save_device_template("ACME", "Sono 7", 600, 800, us_class, &[b(50, "template")], "rev-a").unwrap();
    let file = dir.path().join("site-templates.json");
    assert_eq!(a.export_device_templates(&file, "rev-a").unwrap(), 2);

    let other = tempfile::tempdir().unwrap();
    let mut b_project = Project::open(&other.path().join("b.sumi")).unwrap();
    assert_eq!(b_project.import_device_templates(&file, "rev-b").unwrap(), 2);
    assert_eq!(b_project.device_templates().unwrap(), a.device_templates().unwrap());
    assert_eq!(b_project.device_template("ACME", "Sono 5", 480, 640, us_class).unwrap().unwrap().len(), 2);
    let actions: Vec<String> = audit_events(&b_project.conn).unwrap().into_iter().map(|e| e.action).collect();
    assert!(actions.contains(&"import-device-templates".to_string()));
    assert!(audit_events(&a.conn).unwrap().iter().any(|e| e.action == "export-device-templates"));
}

#[test]
fn a_broken_or_foreign_template_file_is_refused_with_its_name_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut project, _) = project_with_demo(dir.path());
    let junk = dir.path().join("junk.json");
    std::fs::write(
        &junk,
        b"{\"format\": \"something-else\", \"version\": 1, \"exported_at\": \"\", \"templates\": []}",
    )
    .unwrap();
    let e = project.import_device_templates(&junk, "rev").unwrap_err().to_string();
    assert!(e.contains("junk.json") && e.contains("something-else"), "{e}");
    let truncated = dir.path().join("cut.json");
    std::fs::write(&truncated, b"{\"format\": \"sumi-device-templates\", \"vers").unwrap();
    let e = project.import_device_templates(&truncated, "rev").unwrap_err().to_string();
    assert!(e.contains("cut.json"), "{e}");
    // A box outside its image layout: the whole file is refused.
    let outside = dir.path().join("outside.json");
    let json = serde_json::json!({"format": "sumi-device-templates", "version": 1, "exported_at": "", "templates": [
        {"manufacturer": "M", "model": "A", "rows": 100, "cols": 200, "sop_class": "1.2", "created_by": "x",
         "created_at": "", "boxes": [b(0, "t")]},
        {"manufacturer": "M", "model": "B", "rows": 10, "cols": 10, "sop_class": "1.2", "created_by": "x",
         "created_at": "", "boxes": [b(0, "t")]}]});
    std::fs::write(&outside, json.to_string()).unwrap();
    let e = project.import_device_templates(&outside, "rev").unwrap_err().to_string();
    assert!(e.contains("outside the image") && e.contains("M|B|10x10"), "{e}");
    assert!(project.device_templates().unwrap().is_empty(), "nothing imported from a refused file");
}

#[test]
fn applying_boxes_to_the_series_adds_them_to_every_unapproved_image_of_the_same_size() {
    let dir = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(dir.path()).unwrap();
    let scan = scan_paths(&[demo], &|_, _| {});
    let mut project = Project::open(&dir.path().join("p.sumi")).unwrap();
    import_scan(&mut project, &scan, "importer", &[]).unwrap();
    // The largest series of single-frame images of one size (the demo CT).
    let mut by_series = std::collections::BTreeMap::<String, Vec<&sumi::dicom::InstanceMeta>>::new();
    for m in scan.instances.iter().filter(|m| m.image.is_some()) {
        by_series.entry(m.series_uid.clone()).or_default().push(m);
    }
    let series = by_series.into_values().max_by_key(Vec::len).unwrap();
    assert!(series.len() >= 4);
    let uids: Vec<&str> = series.iter().map(|m| m.sop_instance_uid.as_str()).collect();
    project.propose_text_boxes(uids[1], &[b(10, "text")], risk::TEXT).unwrap();
    project.propose_text_boxes(uids[2], &[], risk::NONE).unwrap();
    project.decide_text_review(uids[2], ReviewStatus::Approved, &[], "rev", None).unwrap();

    let overlay = ReviewBox { last_frame: 5, ..b(300, "reviewer") };
    let changed = project.apply_boxes_to_series(uids[0], std::slice::from_ref(&overlay), "rev").unwrap();
    assert_eq!(changed, series.len() - 2, "all but the source and the approved image");
    let queue = project.text_review_queue().unwrap();
    let item = |uid: &str| queue.iter().find(|q| q.sop_instance_uid == uid).unwrap().clone();
    let with_overlay = item(uids[1]);
    assert_eq!(with_overlay.boxes.len(), 2, "kept its own box and gained the overlay");
    assert_eq!(with_overlay.boxes[1].last_frame, 0, "frames clipped to a single-frame image");
    assert!(item(uids[2]).boxes.is_empty(), "an approved decision is never changed");
    assert_eq!(item(uids[3]).status, ReviewStatus::Pending, "images not yet queued are queued");
    assert_eq!(item(uids[3]).boxes.len(), 1);
    // Applying twice adds nothing new.
    assert_eq!(project.apply_boxes_to_series(uids[0], &[overlay], "rev").unwrap(), 0);
    let event = audit_events(&project.conn).unwrap().into_iter().rfind(|e| e.action == "text-review-apply-series");
    assert_eq!(event.unwrap().object.as_deref(), Some(uids[0]));
}

#[test]
fn text_detection_reports_progress_per_image_and_a_cancelled_run_writes_nothing() {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};
    use sumi::deid::text_queue::{ProposeOptions, propose_for_project_with};

    let dir = tempfile::tempdir().unwrap();
    let (mut project, _) = project_with_demo(dir.path());
    let demo = sumi::demo::ensure_demo_study(dir.path()).unwrap();
    let scan = scan_paths(&[demo], &|_, _| {});
    let images = scan.instances.iter().filter(|m| m.image.is_some()).count();
    assert!(images > 2);

    // Cancelled by the first progress report: the run stops early and the queue stays empty.
    let cancel = AtomicBool::new(false);
    let stop = |_, _| cancel.store(true, Ordering::Relaxed);
    let s = propose_for_project_with(&mut project, &scan.instances, ProposeOptions::default(), &stop, &cancel).unwrap();
    assert!(s.cancelled);
    assert!(s.examined < images, "{} of {images} examined after cancel", s.examined);
    assert_eq!(s.queued, 0);
    assert!(project.text_review_queue().unwrap().is_empty(), "a cancelled run queued something");

    // A full run reports every image once, ending at (images, images), and fills the queue.
    let seen = Mutex::new(Vec::new());
    let record = |done, total| seen.lock().unwrap().push((done, total));
    let s = propose_for_project_with(
        &mut project,
        &scan.instances,
        ProposeOptions::default(),
        &record,
        &AtomicBool::new(false),
    )
    .unwrap();
    assert!(!s.cancelled);
    let mut seen = seen.into_inner().unwrap();
    seen.sort();
    assert_eq!(seen, (1..=images).map(|d| (d, images)).collect::<Vec<_>>());
    assert!(!project.text_review_queue().unwrap().is_empty());
}
