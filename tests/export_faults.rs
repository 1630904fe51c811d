//! Export onto a disk that fills up and into a read-only folder. The output goes to a real tmpfs
//! of a chosen size mounted in a private mount namespace (`unshare`: as root a plain mount
//! namespace, otherwise a user namespace as well), so the failures are the kernel's own ENOSPC
//! and EROFS, not simulated ones. Each case must end in a clear error naming a file and the
//! reason, leave nothing at the destination, no hidden partial folder beside it, and an
//! `exports` row that says failed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sumi::project::Project;

fn sumi(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sumi"));
    c.args(args).env("SUMI_LOG", "error").stdout(Stdio::null()).stderr(Stdio::null());
    c
}

/// A project of the demo study, pre-flight satisfied (text proposals approved).
fn ready_project(dir: &Path) -> PathBuf {
    let demo = sumi::demo::ensure_demo_study(&dir.join("demo")).unwrap();
    let p = dir.join("p.sumi");
    let ps = p.to_str().unwrap();
    assert!(sumi(&["import", demo.to_str().unwrap(), "--project", ps]).status().unwrap().success());
    assert!(sumi(&["settings", "--project", ps, "deid.profile", "ps315-basic"]).status().unwrap().success());
    assert!(sumi(&["review", "propose", "--project", ps]).status().unwrap().success());
    let approve = ["review", "approve", "--project", ps, "--all", "--reviewer", "qa", "--reason", "fault test"];
    assert!(sumi(&approve).status().unwrap().success());
    p
}

struct Outcome {
    /// Exit status of `sumi export`.
    rc: i32,
    stderr: String,
    /// Everything left on the small file system after the export, relative paths.
    left: Vec<String>,
}

/// Mounts a `size_kib` tmpfs at a fresh folder (read-only when `read_only`), runs `sumi export`
/// with `--out <mount>/export`, and lists what is left on it, all inside a private mount namespace.
fn export_onto_tmpfs(dir: &Path, project: &Path, size_kib: u64, read_only: bool) -> Outcome {
    let mnt = dir.join(format!("mnt-{size_kib}-{read_only}"));
    std::fs::create_dir_all(&mnt).unwrap();
    let err = dir.join("stderr.txt");
    let script = format!(
        r#"set -e
mount -t tmpfs -o size={size_kib}k sumi-fault "$MNT"
{remount}
set +e
"$SUMI" export --project "$PROJECT" --out "$MNT/export" --jobs 2 2> "$ERR" > /dev/null
echo "rc=$?"
cd "$MNT" && find . -mindepth 1 | sed 's|^\./|left=|'
"#,
        remount = if read_only { r#"mount -o remount,ro "$MNT""# } else { "" },
    );
    let root = unsafe { libc::geteuid() } == 0;
    let mut cmd = Command::new("unshare");
    if !root {
        cmd.args(["--user", "--map-root-user"]);
    }
    let out = cmd
        .args(["--mount", "sh", "-c", &script])
        .env("MNT", &mnt)
        .env("SUMI", env!("CARGO_BIN_EXE_sumi"))
        .env("PROJECT", project)
        .env("ERR", &err)
        .env("SUMI_LOG", "error")
        .output()
        .expect("unshare (util-linux) runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let rc = stdout.lines().find_map(|l| l.strip_prefix("rc=")).and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        panic!(
            "could not mount a tmpfs in a private namespace (needed for the disk-full test): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let left = stdout.lines().filter_map(|l| l.strip_prefix("left=")).map(String::from).collect();
    Outcome { rc, stderr: std::fs::read_to_string(&err).unwrap_or_default(), left }
}

/// The most recent `exports` row: (status, error).
fn last_export(project: &Path) -> (String, String) {
    let p = Project::open(project).unwrap();
    p.conn
        .query_row("SELECT status, COALESCE(detail, '') FROM exports ORDER BY id DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap()
}

/// Bytes a complete export of the project takes on a tmpfs: each file rounded up to whole pages,
/// (folders take no pages there).
fn tmpfs_footprint(project: &Path, dir: &Path) -> u64 {
    let out = dir.join("complete");
    assert!(
        sumi(&["export", "--project", project.to_str().unwrap(), "--out", out.to_str().unwrap()])
            .status()
            .unwrap()
            .success()
    );
    fn walk(p: &Path) -> u64 {
        std::fs::read_dir(p)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let m = e.metadata().unwrap();
                if m.is_dir() { walk(&e.path()) } else { m.len().div_ceil(4096) * 4096 }
            })
            .sum()
    }
    walk(&out)
}

fn assert_clean_failure(o: &Outcome, project: &Path, reason: &str) {
    assert_ne!(o.rc, 0, "the export must fail; stderr: {}", o.stderr);
    assert!(o.left.is_empty(), "nothing may be left on the output disk, found {:?}", o.left);
    assert!(o.stderr.contains(reason), "the error must give the reason {reason:?}: {}", o.stderr);
    assert!(o.stderr.contains('/'), "the error must name a path: {}", o.stderr);
    assert!(!o.stderr.contains("panicked"), "{}", o.stderr);
    let (status, error) = last_export(project);
    assert_eq!(status, "failed");
    assert!(error.contains(reason), "the exports row keeps the reason: {error}");
    let p = Project::open(project).unwrap();
    assert_eq!(p.integrity_check().unwrap(), "ok");
}

#[test]
fn a_disk_that_fills_up_early_or_at_the_very_end_fails_cleanly_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let project = ready_project(dir.path());
    let full = tmpfs_footprint(&project, dir.path());
    assert!(full > 4 << 20, "the demo export is larger than the small disk ({full} bytes)");
    // Room for a few files only; then room for all but the last ~two pages (the manifest and the
    // conformance statement are written last, so the failure lands in the final steps).
    for size in [1024, (full - 8192) / 1024] {
        let o = export_onto_tmpfs(dir.path(), &project, size, false);
        eprintln!("tmpfs of {size} KiB (complete export: {full} bytes): {}", o.stderr.trim());
        assert_clean_failure(&o, &project, "No space left on device");
    }
    // The same export onto a disk with room succeeds: the failures came from the space alone.
    let o = export_onto_tmpfs(dir.path(), &project, full / 1024 + 1024, false);
    assert_eq!(o.rc, 0, "{}", o.stderr);
    assert!(o.left.iter().any(|l| l == "export/manifest.json"), "{:?}", o.left);
    assert!(o.left.iter().all(|l| !l.contains("sumi-partial")), "{:?}", o.left);
    assert_eq!(last_export(&project).0, "complete");
}

#[test]
fn a_read_only_output_folder_is_refused_with_the_reason_and_nothing_is_recorded_as_exported() {
    let dir = tempfile::tempdir().unwrap();
    let project = ready_project(dir.path());
    let o = export_onto_tmpfs(dir.path(), &project, 1024, true);
    assert_ne!(o.rc, 0);
    assert!(o.stderr.contains("Read-only file system"), "{}", o.stderr);
    assert!(o.stderr.contains("/export"), "the error names the destination: {}", o.stderr);
    assert!(o.left.is_empty(), "{:?}", o.left);
    // Refused before it began: no export is recorded as complete.
    let p = Project::open(&project).unwrap();
    let complete: i64 =
        p.conn.query_row("SELECT count(*) FROM exports WHERE status = 'complete'", [], |r| r.get(0)).unwrap();
    assert_eq!(complete, 0);
}
