//! Crash safety: the process is killed (SIGKILL) in the middle of an annotation session, a
//! review session, an import and an export, then the project is reopened. The database passes `PRAGMA
//! integrity_check`, every stroke reported committed is there, and a partial export is never
//! mistaken for a finished one. The annotating and reviewing children are this test binary
//! itself, run in a mode selected by an environment variable.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sumi::annotate::tools::{Brush, dab};
use sumi::annotate::{LabelMap, Recorder};
use sumi::project::Project;
use sumi::project::text_review::ReviewStatus;

const CHILD_ENV: &str = "SUMI_CRASH_CHILD_PROJECT";
const REVIEW_CHILD_ENV: &str = "SUMI_CRASH_REVIEW_PROJECT";
const DIMS: [usize; 3] = [256, 256, 120];

/// Child mode: paints strokes forever, printing each committed edit's id.
#[test]
fn child_paints_until_killed() {
    let Ok(file) = std::env::var(CHILD_ENV) else { return };
    let mut project = Project::open(Path::new(&file)).unwrap();
    let layer = project.create_label_layer("1.2.3", "reader", "dr-crash", DIMS).unwrap();
    println!("layer {layer}");
    let mut map = LabelMap::new(DIMS);
    let brush = Brush { radius_mm: 5.0, sphere: true, label: 1, erase: false, range: None, locked: vec![] };
    for k in 0u64.. {
        let mut rec = Recorder::default();
        let z = (k % 100) as f64 + 10.0;
        for step in 0..10 {
            let c = [40.0 + 15.0 * f64::from(step), 60.0 + (k % 7) as f64 * 20.0, z];
            dab(&mut map, &mut rec, [1.0, 1.0, 1.0], c, &brush, None);
        }
        let delta = rec.finish(&map);
        let id = project.commit_label_edit(layer, &map, &delta, "brush", "dr-crash").unwrap();
        println!("committed {id}");
    }
}

/// Child mode: a reviewer going through the text review queue round after round, alternating
/// approve and flag and moving every box by the round number, printing each committed decision.
#[test]
fn child_reviews_until_killed() {
    let Ok(file) = std::env::var(REVIEW_CHILD_ENV) else { return };
    let mut project = Project::open(Path::new(&file)).unwrap();
    let queue = project.text_review_queue().unwrap();
    for round in 0u32.. {
        for item in &queue {
            let status = if round.is_multiple_of(2) { ReviewStatus::Approved } else { ReviewStatus::Flagged };
            let mut boxes = item.proposed.clone();
            for b in &mut boxes {
                b.x += round % 5;
            }
            let comment = format!("round {round}");
            project.decide_text_review(&item.sop_instance_uid, status, &boxes, "qa-crash", Some(&comment)).unwrap();
            println!("decided {} {round}", item.sop_instance_uid);
        }
    }
}

fn kill9(child: &mut Child) {
    let _ = Command::new("kill").arg("-9").arg(child.id().to_string()).status();
    let _ = child.wait();
}

#[test]
fn strokes_committed_before_a_sigkill_are_all_there_and_the_database_is_intact() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("crash.sumi");
    drop(Project::open(&file).unwrap());
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_paints_until_killed", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &file)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut committed = Vec::new();
    let start = Instant::now();
    while committed.len() < 40 {
        assert!(start.elapsed() < Duration::from_secs(120), "the child did not commit 40 strokes");
        let line = lines.next().expect("child output").unwrap();
        if let Some(id) = line.strip_prefix("committed ") {
            committed.push(id.trim().parse::<i64>().unwrap());
        }
    }
    kill9(&mut child);

    let project = Project::open(&file).unwrap();
    assert_eq!(project.integrity_check().unwrap(), "ok");
    let layer: i64 = project.conn.query_row("SELECT id FROM label_layers", [], |r| r.get(0)).unwrap();
    let edits = project.label_edits(layer).unwrap();
    let ids: Vec<i64> = edits.iter().map(|e| e.id).collect();
    for id in &committed {
        assert!(ids.contains(id), "stroke {id} was reported committed but is missing");
    }
    // The stored voxels replay from the stored edits: the map equals the deltas applied in order.
    let map = project.load_label_layer(layer).unwrap();
    let mut replay = LabelMap::new(DIMS);
    for e in &edits {
        e.delta.apply(&mut replay).unwrap();
    }
    for z in 0..DIMS[2] {
        assert_eq!(map.slice(z).map(<[u8]>::to_vec), replay.slice(z).map(<[u8]>::to_vec), "slice {z}");
    }
    assert_eq!(sumi::project::verify_audit_chain(&project.conn).unwrap().first_broken, None);
}

#[test]
fn review_decisions_committed_before_a_sigkill_are_all_there_with_their_boxes() {
    let dir = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(&dir.path().join("demo")).unwrap();
    let p = dir.path().join("p.sumi");
    let ps = p.to_str().unwrap();
    assert!(sumi(&["import", demo.to_str().unwrap(), "--project", ps]).status().unwrap().success());
    assert!(sumi(&["review", "propose", "--project", ps]).status().unwrap().success());
    let proposed: std::collections::HashMap<String, Vec<u32>> = Project::open(&p)
        .unwrap()
        .text_review_queue()
        .unwrap()
        .into_iter()
        .map(|i| (i.sop_instance_uid, i.proposed.iter().map(|b| b.x).collect()))
        .collect();
    assert!(!proposed.is_empty(), "the demo study queues images with text");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_reviews_until_killed", "--nocapture", "--test-threads=1"])
        .env(REVIEW_CHILD_ENV, &p)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut last_round = std::collections::HashMap::new();
    let mut decisions = 0;
    let start = Instant::now();
    // Kill in the middle of a round, after some full rounds.
    while decisions < 40 * proposed.len() + proposed.len() / 2 {
        assert!(start.elapsed() < Duration::from_secs(120), "the child did not decide enough");
        let line = lines.next().expect("child output").unwrap();
        if let Some(rest) = line.strip_prefix("decided ") {
            let (uid, round) = rest.split_once(' ').unwrap();
            last_round.insert(uid.to_string(), round.trim().parse::<u32>().unwrap());
            decisions += 1;
        }
    }
    kill9(&mut child);

    let project = Project::open(&p).unwrap();
    assert_eq!(project.integrity_check().unwrap(), "ok");
    for item in project.text_review_queue().unwrap() {
        let Some(&printed) = last_round.get(&item.sop_instance_uid) else { continue };
        let comment = item.comment.clone().unwrap_or_default();
        let stored: u32 = comment
            .strip_prefix("round ")
            .and_then(|r| r.parse().ok())
            .unwrap_or_else(|| panic!("{}: decision comment {comment:?} lost", item.sop_instance_uid));
        // Every printed decision was committed before its line; the child may have gone on
        // further before the kill landed (its output waits in the pipe).
        assert!(stored >= printed, "{}: printed round {printed}, stored only {stored}", item.sop_instance_uid);
        let expect = if stored.is_multiple_of(2) { ReviewStatus::Approved } else { ReviewStatus::Flagged };
        assert_eq!(item.status, expect, "{}", item.sop_instance_uid);
        let xs: Vec<u32> = item.boxes.iter().map(|b| b.x).collect();
        let want: Vec<u32> = proposed[&item.sop_instance_uid].iter().map(|x| x + stored % 5).collect();
        assert_eq!(xs, want, "{}: the decided boxes are stored with the decision", item.sop_instance_uid);
    }
    let audited: i64 = project
        .conn
        .query_row("SELECT count(*) FROM audit_log WHERE action = 'text-review'", [], |r| r.get(0))
        .unwrap();
    assert!(audited >= decisions as i64, "{audited} audit events for {decisions} printed decisions");
    assert_eq!(sumi::project::verify_audit_chain(&project.conn).unwrap().first_broken, None);
}

fn demo_copies(dir: &Path, copies: usize) -> std::path::PathBuf {
    let demo = sumi::demo::ensure_demo_study(&dir.join("demo")).unwrap();
    let root = dir.join("many");
    for c in 0..copies {
        let to = root.join(format!("copy{c}"));
        std::fs::create_dir_all(&to).unwrap();
        for e in std::fs::read_dir(&demo).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "dcm") {
                std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
            }
        }
    }
    root
}

fn sumi(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sumi"));
    c.args(args).env("SUMI_LOG", "error").stdout(Stdio::null()).stderr(Stdio::null());
    c
}

#[test]
fn an_export_killed_midway_leaves_no_export_and_a_running_record_and_the_next_one_completes() {
    let dir = tempfile::tempdir().unwrap();
    let src = demo_copies(dir.path(), 1);
    let p = dir.path().join("p.sumi");
    let ps = p.to_str().unwrap();
    assert!(sumi(&["import", src.to_str().unwrap(), "--project", ps]).status().unwrap().success());
    assert!(sumi(&["settings", "--project", ps, "deid.profile", "ps315-basic"]).status().unwrap().success());
    assert!(sumi(&["review", "propose", "--project", ps]).status().unwrap().success());
    assert!(
        sumi(&["review", "approve", "--project", ps, "--all", "--reviewer", "qa", "--reason", "t"])
            .status()
            .unwrap()
            .success()
    );
    let out = dir.path().join("out");
    let mut killed_midway = 0;
    for delay_ms in [30u64, 60, 90, 120] {
        let mut child =
            sumi(&["export", "--project", ps, "--out", out.to_str().unwrap(), "--jobs", "1"]).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        kill9(&mut child);
        if out.exists() {
            // It finished before the kill: then it must be complete.
            let manifest: serde_json::Value = serde_json::from_slice(
                &std::fs::read(out.join("manifest.json")).expect("a finished export has its manifest"),
            )
            .unwrap();
            for f in manifest["files"].as_array().unwrap() {
                let (sha, _) = sumi::export::sha256_file(&out.join(f["path"].as_str().unwrap())).unwrap();
                assert_eq!(f["sha256"], sha.as_str());
            }
            std::fs::remove_dir_all(&out).unwrap();
        } else {
            killed_midway += 1;
        }
        let project = Project::open(&p).unwrap();
        assert_eq!(project.integrity_check().unwrap(), "ok");
    }
    assert!(killed_midway > 0, "no kill landed during an export; the timing needs a bigger study");
    let project = Project::open(&p).unwrap();
    let running: i64 =
        project.conn.query_row("SELECT count(*) FROM exports WHERE status = 'running'", [], |r| r.get(0)).unwrap();
    assert!(running >= 1, "a killed export stays recorded as unfinished");
    drop(project);
    assert!(sumi(&["export", "--project", ps, "--out", out.to_str().unwrap()]).status().unwrap().success());
    assert!(out.join("manifest.json").is_file());
}

#[test]
fn an_import_killed_midway_leaves_a_consistent_project_that_a_second_import_completes() {
    let dir = tempfile::tempdir().unwrap();
    let src = demo_copies(dir.path(), 3);
    let p = dir.path().join("p.sumi");
    let ps = p.to_str().unwrap();
    let mut child = sumi(&["import", src.to_str().unwrap(), "--project", ps]).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(150));
    kill9(&mut child);
    if p.exists() {
        let project = Project::open(&p).unwrap();
        assert_eq!(project.integrity_check().unwrap(), "ok");
        // One transaction: all instances or none.
        let n = project.count("instances").unwrap();
        assert!(n == 0 || n == 202, "{n} instances after a killed import");
    }
    assert!(sumi(&["import", src.to_str().unwrap(), "--project", ps]).status().unwrap().success());
    let project = Project::open(&p).unwrap();
    // The copies share their SOP Instance UIDs: one instance each.
    assert_eq!(project.count("instances").unwrap(), 202);
    assert_eq!(project.integrity_check().unwrap(), "ok");
}
