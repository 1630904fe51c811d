//! `sumi export`, `sumi review …` and `sumi settings`: the export pipeline headless, for scripted
//! pipelines and tests.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use sumi::deid::Vault;
use sumi::deid::text_queue::{ProposeOptions, propose_for_project};
use sumi::dicom::InstanceMeta;
use sumi::export::{ExportError, ExportOptions, Selection, default_vault_path, export, preflight};
use sumi::project::{Project, default_actor};

use super::CliResult;
use super::deid::passphrase_from_env;

pub struct ExportArgs {
    pub project: PathBuf,
    pub out: Option<PathBuf>,
    pub studies: Vec<String>,
    pub series: Vec<String>,
    pub vault: Option<PathBuf>,
    pub user: Option<String>,
    pub labels: bool,
    pub jobs: Option<usize>,
    pub check: bool,
    pub json: bool,
}

fn open_project(path: &Path) -> Result<Project, Box<dyn std::error::Error>> {
    if !path.is_file() {
        return Err(format!("{}: no such project", path.display()).into());
    }
    Ok(Project::open(path)?)
}

pub fn export_cmd(args: ExportArgs) -> CliResult {
    let mut project = open_project(&args.project)?;
    let selection = Selection { studies: args.studies.clone(), series: args.series.clone() };
    if args.check {
        let p = preflight(&project, &selection, args.labels)?;
        println!("{}", serde_json::to_string_pretty(&p)?);
        return Ok(if p.ready() { ExitCode::SUCCESS } else { ExitCode::from(2) });
    }
    let out = args.out.ok_or("--out is required (or --check for the pre-flight only)")?;
    let vault_path = args.vault.unwrap_or_else(|| default_vault_path(&args.project));
    let vault = Vault::open(&vault_path, passphrase_from_env().as_deref())?;
    let opts = ExportOptions {
        selection,
        vault: &vault,
        actor: args.user.unwrap_or_else(default_actor),
        include_labels: args.labels,
        jobs: args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)),
    };
    let cancel = AtomicBool::new(false);
    let quiet = |_: usize, _: usize| {};
    match export(&mut project, &out, &opts, &quiet, &cancel) {
        Ok(summary) => {
            if args.json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                println!(
                    "exported {} instance(s) into {} ({:.1} files/s); manifest sha256 {}",
                    summary.instances,
                    summary.out_dir.display(),
                    summary.files_per_s,
                    summary.manifest_sha256
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(ExportError::Blocked(p)) => {
            if args.json {
                println!("{}", serde_json::to_string_pretty(&p)?);
            }
            Err(ExportError::Blocked(p).into())
        }
        Err(e) => Err(e.into()),
    }
}

/// The instances of the project as indexed (their stored headers).
fn project_metas(project: &Project) -> Result<Vec<InstanceMeta>, Box<dyn std::error::Error>> {
    let mut stmt = project.conn.prepare("SELECT path, meta_json FROM instances ORDER BY id")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut metas = Vec::new();
    for row in rows {
        let (path, json) = row?;
        metas.push(
            serde_json::from_str(&json).map_err(|e| format!("{}: {path}: bad stored header: {e}", project.path))?,
        );
    }
    Ok(metas)
}

pub fn review_propose(project_path: &Path, ocr: bool) -> CliResult {
    let mut project = open_project(project_path)?;
    let metas = project_metas(&project)?;
    let summary = propose_for_project(&mut project, &metas, ProposeOptions { ocr })?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(ExitCode::SUCCESS)
}

pub fn review_approve_all(project_path: &Path, reviewer: &str, reason: &str) -> CliResult {
    let mut project = open_project(project_path)?;
    let summary = project.approve_all_pending(reviewer, reason)?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(ExitCode::SUCCESS)
}

pub fn review_override(project_path: &Path, item: &str, supervisor: &str, reason: &str) -> CliResult {
    let mut project = open_project(project_path)?;
    project.override_export_blocker(item, supervisor, reason)?;
    println!("{}", serde_json::json!({ "item": item, "supervisor": supervisor, "reason": reason }));
    Ok(ExitCode::SUCCESS)
}

/// Known settings and the values they accept (checked before storing).
fn check_setting(key: &str, value: &str) -> Result<(), String> {
    match key {
        "deid.profile" => sumi::deid::Profile::load(value).map(|_| ()).map_err(|e| e.to_string()),
        "deface.required" if matches!(value, "yes" | "no") => Ok(()),
        "face_mask" if sumi::project::FaceMask::parse(value).is_some() => Ok(()),
        "foreign_image_output" if sumi::project::ForeignImageOutput::parse(value).is_some() => Ok(()),
        "deface.required" | "face_mask" | "foreign_image_output" => Err(format!("{key}: {value:?} is not allowed")),
        _ => Err(format!(
            "unknown setting {key:?} (known: deid.profile, deface.required, face_mask, foreign_image_output)"
        )),
    }
}

pub fn settings(project_path: &Path, key: Option<&str>, value: Option<&str>, user: Option<String>) -> CliResult {
    let mut project = open_project(project_path)?;
    match (key, value) {
        (Some(k), Some(v)) => {
            check_setting(k, v)?;
            project.set_setting(k, v, &user.unwrap_or_else(default_actor))?;
            println!("{}", serde_json::json!({ k: v }));
        }
        (Some(k), None) => println!("{}", serde_json::json!({ k: project.setting(k)? })),
        _ => {
            let mut stmt = project.conn.prepare("SELECT key, value FROM settings ORDER BY key")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            let mut m = serde_json::Map::new();
            for row in rows {
                let (k, v) = row?;
                m.insert(k, v.into());
            }
            println!("{}", serde_json::Value::Object(m));
        }
    }
    Ok(ExitCode::SUCCESS)
}
