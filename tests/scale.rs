//! Bounded memory at scale (issue 8), at a size CI runs in seconds: the full-size figures (50,000
//! instances, a 2,000-slice series, a 1 GB cine) come from scripts/bench-scale.sh. Memory bounds
//! only; times are printed, never asserted (the build machine is shared).

use std::path::Path;
use std::process::{Command, Stdio};

use sumi::demo::scale::{write_cine, write_studies};

/// Runs `sumi args…` and returns its own peak resident size in KiB (wait4 on the child alone,
/// so tests running in parallel in this binary do not mix their children).
#[allow(clippy::zombie_processes)] // reaped by wait4 below, which std's Child does not know about
fn peak_rss_kib(args: &[&str], home: &Path) -> i64 {
    let child = Command::new(env!("CARGO_BIN_EXE_sumi"))
        .args(args)
        .env("SUMI_LOG", "error")
        .env("SUMI_DATA_DIR", home)
        .env("SUMI_CONFIG_DIR", home)
        .stdout(Stdio::null())
        .spawn()
        .expect("run sumi");
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills; the pid is our own unwaited child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t, "wait4 failed");
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "sumi {args:?} failed: status {status}");
    usage.ru_maxrss
}

#[test]
fn import_memory_does_not_grow_with_the_number_of_instances() {
    let work = tempfile::tempdir().unwrap();
    let (small, large) = (work.path().join("small"), work.path().join("large"));
    write_studies(&small, 10, 1_000, 64).unwrap();
    let written = write_studies(&large, 50, 10_000, 64).unwrap();
    assert_eq!((written.studies, written.series, written.instances), (50, 200, 10_000));
    let project = |name: &str| work.path().join(name).display().to_string();
    let rss_small = peak_rss_kib(&["import", small.to_str().unwrap(), "--project", &project("s.sumi")], work.path());
    let rss_large = peak_rss_kib(&["import", large.to_str().unwrap(), "--project", &project("l.sumi")], work.path());
    eprintln!("import peak RSS: 1,000 instances {rss_small} KiB, 10,000 instances {rss_large} KiB");
    // Headers were all held until the transaction (~2.3 KiB each: +20 MiB for 9,000 more); the
    // chunked import holds one chunk, so the growth is the chunk and SQLite's bounded cache.
    let growth = rss_large - rss_small;
    assert!(growth < 10 * 1024, "peak RSS grew by {growth} KiB for 9,000 more instances");
    assert!(rss_large < 96 * 1024, "import of 10,000 instances peaked at {rss_large} KiB");

    // The browser tree from the index: every series, with its instance count.
    let p = sumi::project::Project::open(Path::new(&project("l.sumi"))).unwrap();
    let started = std::time::Instant::now();
    let tree = p.series_tree().unwrap();
    eprintln!("series tree of 200 series: {:?}", started.elapsed());
    assert_eq!(tree.len(), 200);
    assert_eq!(tree.iter().map(|s| s.instances).sum::<i64>(), 10_000);
    assert!(tree.iter().all(|s| s.instances == 50 && s.frames == 50));
    let studies: std::collections::HashSet<_> = tree.iter().map(|s| &s.study_uid).collect();
    assert_eq!(studies.len(), 50);
}

#[test]
fn a_native_rgb_cine_loads_without_decoding_all_frames_at_once() {
    let work = tempfile::tempdir().unwrap();
    // 120 frames of 800×600 RGB: 173 MB in the file, 230 MB as the RGBA volume.
    let written = write_cine(work.path(), 120, 800, 600).unwrap();
    assert_eq!(written.pixel_bytes, 120 * 800 * 600 * 3);
    let out = Command::new(env!("CARGO_BIN_EXE_sumi"))
        .args(["bench", "load", work.path().to_str().unwrap(), "--json"])
        .env("SUMI_LOG", "error")
        .env("SUMI_DATA_DIR", work.path())
        .env("SUMI_CONFIG_DIR", work.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["dims"], serde_json::json!([800, 600, 120]));
    let voxels = report["voxel_bytes"].as_f64().unwrap();
    let peak = report["peak_rss_bytes"].as_f64().unwrap();
    eprintln!("cine load: peak RSS {:.0} MiB for {:.0} MiB of voxels", peak / 1048576.0, voxels / 1048576.0);
    // Decoding the whole cine first held the RGB frames (0.75 × voxels) next to the volume.
    assert!(peak < 1.3 * voxels, "peak RSS {peak} bytes for {voxels} bytes of voxels");
}

#[test]
fn a_cine_read_frame_by_frame_holds_the_same_pixels_as_the_whole_decode() {
    let work = tempfile::tempdir().unwrap();
    write_cine(work.path(), 7, 40, 30).unwrap();
    let path = work.path().join("cine.dcm");
    let scan = sumi::dicom::scan_paths(&[work.path().to_path_buf()], &|_, _| {});
    let metas: Vec<_> = scan.instances.iter().collect();
    let plan = sumi::volume::plan_series(&metas).unwrap();
    assert!(sumi::dicom::frames::NativeRgbFrames::probe(&path).unwrap().is_some(), "streamed path not taken");
    let volume = sumi::volume::load_volume(&plan, None).unwrap();
    let sumi::volume::Voxels::Rgba8(rgba) = &volume.voxels else { panic!("not RGBA: {:?}", plan.voxel_type) };
    let decoded = sumi::dicom::decode_file(&path).unwrap();
    let per_slice = 40 * 30 * 4;
    for k in 0..7 {
        let expect: Vec<u8> =
            decoded.rgb_frame(k).unwrap().chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect();
        assert_eq!(&rgba[k * per_slice..(k + 1) * per_slice], &expect[..], "frame {k}");
    }
}
