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
