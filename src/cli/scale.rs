//! `sumi demo-scale` (synthetic data sets for load tests at scale) and `sumi bench tree`.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use sumi::project::Project;

use super::CliResult;

/// Which data set `demo-scale` writes.
pub enum ScaleSet {
    Studies { studies: u32, instances: u32, size: u16 },
    Series { slices: u32, size: u16 },
    Cine { frames: u32, width: u16, height: u16 },
}

pub fn demo_scale(dir: &Path, set: ScaleSet) -> CliResult {
    let start = Instant::now();
    let summary = match set {
        ScaleSet::Studies { studies, instances, size } => {
            sumi::demo::scale::write_studies(dir, studies, instances, size)?
        }
        ScaleSet::Series { slices, size } => sumi::demo::scale::write_series(dir, slices, size)?,
        ScaleSet::Cine { frames, width, height } => sumi::demo::scale::write_cine(dir, frames, width, height)?,
    };
    let mut out = serde_json::to_value(&summary)?;
    out["seconds"] = serde_json::json!(start.elapsed().as_secs_f64());
    println!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// Times listing the browser tree of a project from its index (one grouped query).
pub fn bench_tree(project: &Path) -> CliResult {
    if !project.is_file() {
        return Err(format!("{}: no such project file", project.display()).into());
    }
    let p = Project::open(project)?;
    let start = Instant::now();
    let tree = p.series_tree()?;
    let seconds = start.elapsed().as_secs_f64();
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
            "peak_rss_bytes": super::peak_rss_bytes(),
        })
    );
    Ok(ExitCode::SUCCESS)
}
