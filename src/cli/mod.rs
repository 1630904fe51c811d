//! Subcommand implementations. Each prints its result to stdout (JSON where asked) and returns
//! the exit code; errors are one line each.

mod clean_image;
mod deface;
mod deid;
mod detect_text;
mod export;
mod info;
mod labels;
mod measurements;
mod scale;
mod seg;
mod verify;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use sumi::dicom::{group_instances, scan_paths};
use sumi::project::{Project, default_actor, import_paths};
use sumi::volume::{load_volume, plan_series};

pub type CliResult = Result<ExitCode, Box<dyn std::error::Error>>;

pub use clean_image::{CleanImageArgs, clean_image};
pub use deface::{DefaceArgs, bench_deface, deface};
pub use deid::{DeidArgs, deid, vault_lookup};
pub use detect_text::detect_text;
pub use export::{ExportArgs, export_cmd, review_approve_all, review_override, review_propose, settings};
pub use info::info;
pub use labels::{labels_report, labels_review, labels_submit};
pub use measurements::labels_measurements;
pub use scale::{DemoScaleCommand, bench_tree, demo_scale};
pub use seg::{FromNiftiArgs, seg_from_nifti, seg_to_nifti};
pub use verify::{VerifyArgs, verify};

/// How the GUI starts: the loaded user settings and their file, the log file, `--screenshot`.
#[cfg_attr(not(feature = "gui"), allow(dead_code))]
pub struct GuiArgs {
    pub settings: (sumi::user_settings::Loaded, PathBuf),
    pub log_file: Option<PathBuf>,
    pub log_error: Option<String>,
    pub screenshot: Option<(PathBuf, u32)>,
}

pub fn gui(paths: Vec<PathBuf>, args: GuiArgs) -> CliResult {
    #[cfg(feature = "gui")]
    {
        let opts = sumi::ui::RunOptions {
            settings: Some(args.settings),
            log_file: args.log_file,
            screenshot: args.screenshot,
            bench_exit: false,
            problems: args.log_error.into_iter().collect(),
        };
        sumi::ui::run_opts(paths, opts)?;
        Ok(ExitCode::SUCCESS)
    }
    #[cfg(not(feature = "gui"))]
    {
        let _ = (paths, args);
        Err("this sumi was built without the GUI (feature `gui`)".into())
    }
}

pub fn bench_gui(dir: PathBuf) -> CliResult {
    #[cfg(feature = "gui")]
    {
        sumi::ui::run_with(vec![dir], true)?;
        Ok(ExitCode::SUCCESS)
    }
    #[cfg(not(feature = "gui"))]
    {
        let _ = dir;
        Err("this sumi was built without the GUI (feature `gui`)".into())
    }
}

pub fn import(paths: &[PathBuf], project_path: &Path, user: Option<String>) -> CliResult {
    let mut project = Project::open(project_path)?;
    // Chunked: memory stays bounded however many files the folders hold.
    let summary = import_paths(&mut project, paths, &user.unwrap_or_else(default_actor), &|_, _| {})?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    for u in &summary.unreadable {
        eprintln!("sumi: skipped {}", u.reason);
    }
    Ok(if summary.instances == 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

pub fn audit_verify(project: &Path) -> CliResult {
    if !project.is_file() {
        return Err(format!("{}: no such project file", project.display()).into());
    }
    let p = Project::open(project)?;
    let report = sumi::project::verify_audit_chain(&p.conn).map_err(|e| p.err(e))?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    if let (Some(id), Some(reason)) = (report.first_broken, &report.reason) {
        eprintln!("sumi: {}: audit log broken at row {id}: {reason}", project.display());
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn templates_export(project: &Path, out: &Path, user: Option<String>) -> CliResult {
    let n = Project::open(project)?.export_device_templates(out, &user.unwrap_or_else(default_actor))?;
    println!("{}", serde_json::json!({"templates": n, "file": out}));
    Ok(ExitCode::SUCCESS)
}

pub fn templates_import(project: &Path, file: &Path, user: Option<String>) -> CliResult {
    let n = Project::open(project)?.import_device_templates(file, &user.unwrap_or_else(default_actor))?;
    println!("{}", serde_json::json!({"templates": n, "file": file}));
    Ok(ExitCode::SUCCESS)
}

pub fn demo(out: &Path) -> CliResult {
    let summary = sumi::demo::write_demo_study(out)?;
    println!("{}", serde_json::json!({"dir": summary.dir, "files": summary.files, "series": summary.series}));
    Ok(ExitCode::SUCCESS)
}

/// Peak resident set size of this process (Linux: VmHWM), in bytes.
pub(crate) fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

pub fn bench_gui3d(dir: &Path, size: [u32; 2], frames: usize, overlay_only: bool, plane_only: bool) -> CliResult {
    #[cfg(feature = "gui")]
    {
        let scan = scan_paths(&[dir.to_path_buf()], &|_, _| {});
        let tree = group_instances(&scan.instances);
        let largest = tree
            .iter()
            .flat_map(|p| &p.studies)
            .flat_map(|s| &s.series)
            .max_by_key(|s| s.frames)
            .ok_or_else(|| format!("{}: no readable DICOM series", dir.display()))?;
        let metas: Vec<_> = largest.instances.iter().map(|&i| &scan.instances[i]).collect();
        let volume = load_volume(&plan_series(&metas)?, None)?;
        use sumi::render::bench3d::Rows;
        let rows = match (overlay_only, plane_only) {
            (true, _) => Rows::Overlay,
            (false, true) => Rows::Plane,
            (false, false) => Rows::All,
        };
        let report = sumi::render::bench3d::run(&volume, size, frames.max(1), rows)?;
        println!("{}", serde_json::to_string_pretty(&report)?);
        Ok(ExitCode::SUCCESS)
    }
    #[cfg(not(feature = "gui"))]
    {
        let _ = (dir, size, frames, overlay_only, plane_only);
        Err("this sumi was built without the GUI (feature `gui`)".into())
    }
}

pub fn bench_load(dir: &Path, json: bool) -> CliResult {
    let start = Instant::now();
    let scan = scan_paths(&[dir.to_path_buf()], &|_, _| {});
    let scanned = start.elapsed().as_secs_f64();
    let tree = group_instances(&scan.instances);
    let largest = tree
        .iter()
        .flat_map(|p| &p.studies)
        .flat_map(|s| &s.series)
        .max_by_key(|s| s.frames)
        .ok_or_else(|| format!("{}: no readable DICOM series", dir.display()))?;
    let metas: Vec<_> = largest.instances.iter().map(|&i| &scan.instances[i]).collect();
    let plan = plan_series(&metas)?;
    let volume = load_volume(&plan, None)?;
    let seconds = start.elapsed().as_secs_f64();
    let report = serde_json::json!({
        "files": metas.len(),
        "dims": volume.geometry.dims,
        "spacing": volume.geometry.spacing(),
        "voxel_type": plan.voxel_type,
        "voxel_bytes": volume.voxels.byte_len(),
        "seconds": seconds,
        "scan_seconds": scanned,
        "peak_rss_bytes": peak_rss_bytes(),
        "problems": volume.problems,
    });
    if json {
        println!("{report}");
    } else {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(ExitCode::SUCCESS)
}
