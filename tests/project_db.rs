//! The project database: idempotent import, counts, integrity, schema version, the append-only
//! audit log, recorded unreadable files, and the promise that source files are never written.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use sumi::dicom::{InstanceMeta, ScanReport, decode_file, group_instances, scan_paths};
use sumi::project::{ImportSummary, Project, audit_events, import_scan};
use sumi::volume::{load_volume, plan_series};
use support::StudyFixture;

struct Setup {
    _dirs: (tempfile::TempDir, tempfile::TempDir),
    source: PathBuf,
    db: PathBuf,
    fixture: StudyFixture,
    unreadable: [PathBuf; 3],
}

/// Source files in one folder, the project file in another.
fn setup() -> Setup {
    let source_dir = tempfile::tempdir().unwrap();
    let db_dir = tempfile::tempdir().unwrap();
    let fixture = support::write_study_fixture(source_dir.path());
    let unreadable = support::write_unreadable_files(source_dir.path());
    Setup {
        source: source_dir.path().to_path_buf(),
        db: db_dir.path().join("project.sumi"),
        _dirs: (source_dir, db_dir),
        fixture,
        unreadable,
    }
}

fn scan(dir: &Path) -> ScanReport {
    scan_paths(&[dir.to_path_buf()], &|_, _| {})
}

fn import(project: &mut Project, dir: &Path, actor: &str) -> ImportSummary {
    let report = scan(dir);
    import_scan(project, &report, actor, &[dir.display().to_string()]).expect("import")
}

fn counts(project: &Project) -> [i64; 5] {
    ["patients", "studies", "series", "instances", "unreadable_files"].map(|t| project.count(t).expect("count"))
}

#[test]
fn import_counts_patients_studies_series_and_instances() {
    let s = setup();
    let mut project = Project::open(&s.db).unwrap();
    let summary = import(&mut project, &s.source, "alice");
    let f = &s.fixture;
    assert_eq!(summary.files, f.instances + 3);
    assert_eq!(summary.instances, f.instances);
    assert_eq!(summary.new_instances, f.instances);
    assert_eq!(summary.updated_instances, 0);
    assert_eq!((summary.patients, summary.studies, summary.series), (f.patients, f.studies, f.series));
    assert_eq!(counts(&project), [f.patients, f.studies, f.series, f.instances, 3].map(|n| n as i64));
    assert_eq!(project.integrity_check().unwrap(), "ok");
    assert_eq!(project.schema_version().unwrap(), 8);
}

#[test]
fn importing_the_same_folder_twice_adds_no_rows() {
    let s = setup();
    let mut project = Project::open(&s.db).unwrap();
    import(&mut project, &s.source, "alice");
    let before = counts(&project);
    let second = import(&mut project, &s.source, "alice");
    assert_eq!(second.instances, s.fixture.instances, "the second scan reads every file again");
    assert_eq!(second.new_instances, 0);
    assert_eq!(second.updated_instances, 0);
    assert_eq!(counts(&project), before);
    assert_eq!(project.integrity_check().unwrap(), "ok");
}

#[test]
fn reopening_the_project_keeps_rows_and_schema_version() {
    let s = setup();
    let mut project = Project::open(&s.db).unwrap();
    import(&mut project, &s.source, "alice");
    let before = counts(&project);
    drop(project);
    let mut project = Project::open(&s.db).unwrap();
    assert_eq!(project.schema_version().unwrap(), 8);
    assert_eq!(counts(&project), before);
    assert_eq!(import(&mut project, &s.source, "bob").new_instances, 0);
}

#[test]
fn moved_files_update_their_paths_without_new_rows() {
    let s = setup();
    let mut project = Project::open(&s.db).unwrap();
    import(&mut project, &s.source, "alice");
    let before = counts(&project);
    let moved = tempfile::tempdir().unwrap();
    for (n, f) in s.fixture.files.iter().enumerate() {
        std::fs::copy(f, moved.path().join(format!("copy{n}.dcm"))).unwrap();
    }
    let summary = import(&mut project, moved.path(), "alice");
    assert_eq!((summary.new_instances, summary.updated_instances), (0, s.fixture.instances));
    assert_eq!(counts(&project), before);
    let paths: Vec<String> = project
        .conn
        .prepare("SELECT path FROM instances")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let root = moved.path().display().to_string();
    assert!(paths.iter().all(|p| p.starts_with(&root)), "paths point at the new copies: {paths:?}");
}

#[test]
fn each_import_appends_one_audit_event_with_actor_and_details() {
    let s = setup();
    let mut project = Project::open(&s.db).unwrap();
    import(&mut project, &s.source, "alice");
    import(&mut project, &s.source, "bob");
    let events = audit_events(&project.conn).unwrap();
    assert_eq!(events.len(), 2);
    let root = s.source.display().to_string();
    for (e, (actor, new)) in events.iter().zip([("alice", s.fixture.instances), ("bob", 0)]) {
        assert_eq!(e.action, "import");
        assert_eq!(e.actor, actor);
        assert!(e.at.ends_with('Z') && e.at.len() == 24, "UTC timestamp: {}", e.at);
        assert_eq!(e.details["roots"], serde_json::json!([root]));
        assert_eq!(e.details["instances"], s.fixture.instances);
        assert_eq!(e.details["new_instances"], new);
        assert_eq!(e.details["unreadable"], 3);
    }
    assert!(events[0].id < events[1].id);
}

#[test]
fn audit_log_refuses_update_and_delete() {
    let s = setup();
    let mut project = Project::open(&s.db).unwrap();
    import(&mut project, &s.source, "alice");
    let before = audit_events(&project.conn).unwrap();

    let update = project.conn.execute("UPDATE audit_log SET actor = 'mallory'", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = project.conn.execute("DELETE FROM audit_log", []);
    assert!(delete.unwrap_err().to_string().contains("append-only"));

    assert_eq!(audit_events(&project.conn).unwrap(), before, "the log is unchanged");
    assert_eq!(project.count("audit_log").unwrap(), 1);
}

#[test]
fn unreadable_files_are_recorded_with_kind_and_reason() {
    let s = setup();
    let mut project = Project::open(&s.db).unwrap();
    let summary = import(&mut project, &s.source, "alice");
    assert_eq!(summary.unreadable.len(), 3);
    let rows: BTreeMap<String, (String, String)> = project
        .conn
        .prepare("SELECT path, kind, reason FROM unreadable_files")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (path, kind) in s.unreadable.iter().zip(["not_dicom", "not_dicom", "malformed"]) {
        let key = path.display().to_string();
        let (k, reason) = rows.get(&key).unwrap_or_else(|| panic!("{key} not recorded: {rows:?}"));
        assert_eq!(k, kind);
        assert!(reason.contains(&key), "reason names the file: {reason}");
    }
    // Seen again: still one row per file.
    import(&mut project, &s.source, "alice");
    assert_eq!(project.count("unreadable_files").unwrap(), 3);
}

/// Content hash, size and modification time of every file below `dir`.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, ([u8; 32], u64, SystemTime)> {
    walk(dir)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            let meta = std::fs::metadata(&p).unwrap();
            let hash: [u8; 32] = Sha256::digest(&bytes).into();
            (p, (hash, meta.len(), meta.modified().unwrap()))
        })
        .collect()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

#[test]
fn source_files_are_never_modified_by_import_scan_or_load() {
    let s = setup();
    let before = snapshot(&s.source);
    assert_eq!(before.len(), s.fixture.instances + 3);

    let mut project = Project::open(&s.db).unwrap();
    import(&mut project, &s.source, "alice");
    import(&mut project, &s.source, "alice");
    let report = scan(&s.source);
    for series in group_instances(&report.instances).iter().flat_map(|p| &p.studies).flat_map(|s| &s.series) {
        let metas: Vec<&InstanceMeta> = series.instances.iter().map(|&i| &report.instances[i]).collect();
        load_volume(&plan_series(&metas).unwrap(), None).unwrap();
    }
    for f in &s.fixture.files {
        decode_file(f).unwrap();
    }
    for u in &report.unreadable {
        assert!(decode_file(&u.path).is_err());
    }
    drop(project);

    let after = snapshot(&s.source);
    assert_eq!(after.keys().collect::<Vec<_>>(), before.keys().collect::<Vec<_>>(), "no file added or removed");
    for (path, b) in &before {
        assert_eq!(&after[path], b, "{} changed (hash, size, mtime)", path.display());
    }
}

#[test]
fn a_setting_change_is_stored_and_audited_with_old_and_new_values() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = Project::open(&dir.path().join("p.sumi")).unwrap();
    assert_eq!(project.setting("deid.profile").unwrap(), None);
    project.set_setting("deid.profile", "jp-pseudonymized", "alice").unwrap();
    project.set_setting("deid.profile", "kr-3d-head", "bob").unwrap();
    assert_eq!(project.setting("deid.profile").unwrap().as_deref(), Some("kr-3d-head"));
    let events = sumi::project::audit_events(&project.conn).unwrap();
    let last = events.last().unwrap();
    assert_eq!(
        (last.actor.as_str(), last.action.as_str(), last.object.as_deref()),
        ("bob", "set-setting", Some("deid.profile"))
    );
    assert_eq!(last.details["old"], "jp-pseudonymized");
    assert_eq!(last.details["new"], "kr-3d-head");
}

mod audit_chain {
    use sumi::project::{Project, append_audit, verify_audit_chain};

    fn project_with_events(dir: &std::path::Path) -> Project {
        let mut p = Project::open(&dir.join("a.sumi")).unwrap();
        for k in 0..5 {
            let tx = p.conn.transaction().unwrap();
            append_audit(&tx, "rev", "text-review", Some(&format!("1.2.{k}")), &serde_json::json!({ "k": k })).unwrap();
            tx.commit().unwrap();
        }
        p
    }

    fn without_triggers(p: &Project, sql: &str) {
        p.conn
            .execute_batch(&format!("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; {sql}"))
            .unwrap();
    }

    #[test]
    fn an_untouched_audit_log_verifies_and_its_head_changes_with_each_row() {
        let dir = tempfile::tempdir().unwrap();
        let p = project_with_events(dir.path());
        let r = verify_audit_chain(&p.conn).unwrap();
        assert_eq!((r.rows, r.first_broken), (5, None));
        let tx = p.conn.unchecked_transaction().unwrap();
        append_audit(&tx, "rev", "x", None, &serde_json::json!({})).unwrap();
        tx.commit().unwrap();
        assert_ne!(verify_audit_chain(&p.conn).unwrap().head, r.head);
    }

    #[test]
    fn hashes_cannot_be_rewritten_through_sql() {
        let dir = tempfile::tempdir().unwrap();
        let p = project_with_events(dir.path());
        assert!(p.conn.execute("UPDATE audit_log SET hash = 'x' WHERE id = 2", []).is_err());
        assert!(p.conn.execute("UPDATE audit_log SET hash = NULL WHERE id = 2", []).is_err());
        assert!(p.conn.execute("DELETE FROM audit_log WHERE id = 2", []).is_err());
    }

    #[test]
    fn an_edited_row_is_reported_as_the_first_broken_one() {
        let dir = tempfile::tempdir().unwrap();
        let p = project_with_events(dir.path());
        without_triggers(&p, "UPDATE audit_log SET actor = 'someone-else' WHERE id = 3;");
        let r = verify_audit_chain(&p.conn).unwrap();
        assert_eq!(r.first_broken, Some(3), "{r:?}");
    }

    #[test]
    fn a_deleted_row_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let p = project_with_events(dir.path());
        without_triggers(&p, "DELETE FROM audit_log WHERE id = 4;");
        let r = verify_audit_chain(&p.conn).unwrap();
        assert_eq!(r.first_broken, Some(5));
        assert!(r.reason.unwrap().contains("row 4 is missing"));
    }

    #[test]
    fn rows_from_before_the_chain_are_sealed_in_order_when_the_project_opens() {
        let dir = tempfile::tempdir().unwrap();
        let p = project_with_events(dir.path());
        // As a project written by an older sumi: no hashes.
        without_triggers(&p, "UPDATE audit_log SET hash = NULL;");
        drop(p);
        let p = Project::open(&dir.path().join("a.sumi")).unwrap();
        let r = verify_audit_chain(&p.conn).unwrap();
        assert_eq!((r.rows, r.first_broken), (5, None));
    }
}

#[test]
fn opening_a_project_shows_its_stored_headers_rereads_changed_files_and_reports_missing_ones() {
    use std::sync::atomic::AtomicBool;
    let s = setup();
    let mut project = Project::open(&s.db).unwrap();
    import(&mut project, &s.source, "alice");
    let mut scanned = scan(&s.source).instances;
    scanned.sort_by(|a, b| a.path.cmp(&b.path));

    // Unchanged files: exactly what a scan reads, without parsing them again.
    let never = AtomicBool::new(false);
    let shown = project.indexed_instances(&|_, _| {}, &never).unwrap().expect("not cancelled");
    assert_eq!(shown.instances, scanned);
    assert!(shown.unreadable.is_empty());

    // One file deleted, one rewritten with another series description (its size changes).
    let (gone, changed) = (scanned[0].path.clone(), scanned[1].path.clone());
    std::fs::remove_file(&gone).unwrap();
    let mut obj = dicom_object::OpenFileOptions::new().open_file(&changed).unwrap();
    obj.put(dicom_core::DataElement::new(
        dicom_dictionary_std::tags::SERIES_DESCRIPTION,
        dicom_core::VR::LO,
        dicom_core::PrimitiveValue::from("RENAMED ON THE SCANNER AFTERWARDS"),
    ));
    obj.write_to_file(&changed).unwrap();
    let seen = std::sync::Mutex::new(Vec::new());
    let shown = project.indexed_instances(&|d, t| seen.lock().unwrap().push((d, t)), &never).unwrap().unwrap();
    assert_eq!(shown.instances.len(), scanned.len() - 1);
    assert_eq!(shown.unreadable.len(), 1);
    assert_eq!(shown.unreadable[0].path, gone);
    assert!(shown.unreadable[0].reason.contains(&gone.display().to_string()), "{}", shown.unreadable[0].reason);
    let now = shown.instances.iter().find(|m| m.path == changed).unwrap();
    assert_eq!(now.series_description.as_deref(), Some("RENAMED ON THE SCANNER AFTERWARDS"));
    let total = scanned.len();
    assert!(seen.into_inner().unwrap().contains(&(total, total)), "progress ends at the total");

    // Cancelled before it starts: nothing.
    assert!(project.indexed_instances(&|_, _| {}, &AtomicBool::new(true)).unwrap().is_none());
}
