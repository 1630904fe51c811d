//! `sumi demo-scale` (synthetic data sets for load tests at scale) and `sumi bench tree`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use sumi::project::Project;

use super::CliResult;

/// `sumi demo-scale …`: which data set, and its size.
#[derive(clap::Subcommand)]
pub enum DemoScaleCommand {
    /// Many small studies: STUDIES studies (4 series each) with INSTANCES CT slices in all.
    Studies {
        dir: PathBuf,
        #[arg(long, default_value_t = 100)]
        studies: u32,
        #[arg(long, default_value_t = 50_000)]
        instances: u32,
        #[arg(long, default_value_t = 64)]
        size: u16,
    },
    /// One long CT series of SLICES slices of SIZE×SIZE int16.
    Series {
        dir: PathBuf,
        #[arg(long, default_value_t = 2000)]
        slices: u32,
        #[arg(long, default_value_t = 512)]
        size: u16,
    },
    /// One uncompressed RGB multi-frame ultrasound cine (DIR/cine.dcm).
    Cine {
        dir: PathBuf,
        #[arg(long, default_value_t = 720)]
        frames: u32,
        #[arg(long, default_value_t = 800)]
        width: u16,
        #[arg(long, default_value_t = 600)]
        height: u16,
    },
}

pub fn demo_scale(what: DemoScaleCommand) -> CliResult {
    use sumi::demo::scale::{write_cine, write_series, write_studies};
    let start = Instant::now();
    let summary = match what {
        DemoScaleCommand::Studies { dir, studies, instances, size } => write_studies(&dir, studies, instances, size)?,
        DemoScaleCommand::Series { dir, slices, size } => write_series(&dir, slices, size)?,
        DemoScaleCommand::Cine { dir, frames, width, height } => write_cine(&dir, frames, width, height)?,
    };
    let mut out = serde_json::to_value(&summary)?;
    out["seconds"] = serde_json::json!(start.elapsed().as_secs_f64());
    println!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// Times listing the browser tree of a project from its index (one grouped query).
pub fn bench_tree(project: &Path, rescan: bool) -> CliResult {
    if !project.is_file() {
        return Err(format!("{}: no such project file", project.display()).into());
    }
    let p = Project::open(project)?;
    let start = Instant::now();
    let tree = p.series_tree()?;
    let seconds = start.elapsed().as_secs_f64();
    // Opening in the GUI: the instances from their stored headers, grouped for the browser.
    let start = Instant::now();
    let shown = p.indexed_instances(&|_, _| {}, &AtomicBool::new(false))?.expect("never cancelled");
    let grouped = sumi::dicom::group_instances(&shown.instances).len();
    let open_seconds = start.elapsed().as_secs_f64();
    let rescan_seconds = rescan.then(|| {
        let paths: Vec<PathBuf> = shown.instances.iter().map(|m| m.path.clone()).collect();
        let start = Instant::now();
        let report = sumi::dicom::scan_paths(&paths, &|_, _| {});
        std::hint::black_box(sumi::dicom::group_instances(&report.instances));
        start.elapsed().as_secs_f64()
    });
    let studies: std::collections::HashSet<&str> = tree.iter().map(|s| s.study_uid.as_str()).collect();
    let patients: std::collections::HashSet<(&str, &str)> =
        tree.iter().map(|s| (s.patient_id.as_str(), s.patient_name.as_str())).collect();
    println!(
        "{}",
        serde_json::json!({
            "patients": patients.len(),
            "studies": studies.len(),
            "series": tree.len(),
            "instances": tree.iter().map(|s| s.instances).sum::<i64>(),
            "seconds": seconds,
            "open_instances": shown.instances.len(),
            "open_patients": grouped,
            "open_seconds": open_seconds,
            "rescan_seconds": rescan_seconds,
            "peak_rss_bytes": super::peak_rss_bytes(),
        })
    );
    Ok(ExitCode::SUCCESS)
}
