//! `sumi verify`: the independent residual-PHI check of an export (see `sumi::verify`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use sumi::deid::Vault;
use sumi::project::{Project, default_actor};
use sumi::verify::{Sources, to_html, verify_export};

use super::CliResult;
use super::deid::passphrase_from_env;

pub struct VerifyArgs {
    pub export_dir: PathBuf,
    pub project: Option<PathBuf>,
    pub vault: Option<PathBuf>,
    pub json: bool,
    pub html: Option<PathBuf>,
    pub user: Option<String>,
}

fn inside(dir: &Path, file: &Path) -> bool {
    let (Ok(d), Some(parent)) = (dir.canonicalize(), file.parent()) else { return false };
    let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
    parent.canonicalize().is_ok_and(|p| p.starts_with(&d))
}

pub fn verify(args: VerifyArgs) -> CliResult {
    if args.project.is_none() && args.vault.is_none() {
        return Err("give --project and/or --vault: the verifier needs to know the source values to look for".into());
    }
    if let Some(h) = &args.html
        && inside(&args.export_dir, h)
    {
        return Err(format!("{}: write the report outside the export (it would become part of it)", h.display()).into());
    }
    let actor = args.user.unwrap_or_else(default_actor);
    let project = match &args.project {
        Some(p) if !p.is_file() => return Err(format!("{}: no such project", p.display()).into()),
        Some(p) => Some(Project::open(p)?),
        None => None,
    };
    let mut sources = match &project {
        Some(p) => Sources::from_project(p)?,
        None => Sources::default(),
    };
    if let Some(v) = &args.vault {
        if !v.is_file() {
            return Err(format!("{}: no such vault", v.display()).into());
        }
        let vault = Vault::open(v, passphrase_from_env().as_deref())?;
        sources.add_vault(&vault)?;
        let details = serde_json::json!({ "export": args.export_dir.display().to_string() });
        vault.record_access(&actor, "verify-export", &details)?;
    }
    let report = verify_export(&args.export_dir, &sources)?;
    if let Some(p) = &project {
        let details = serde_json::json!({
            "export": args.export_dir.display().to_string(), "files": report.files_scanned,
            "findings": report.findings.len(), "clean": report.clean,
        });
        sumi::project::append_audit(&p.conn, &actor, "verify-export", None, &details)?;
    }
    if let Some(h) = &args.html {
        std::fs::write(h, to_html(&report)).map_err(|e| format!("{}: {e}", h.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{}: {} files, {} finding(s){}",
            args.export_dir.display(),
            report.files_scanned,
            report.findings.len(),
            if report.clean { " — clean" } else { "" }
        );
        for f in report.findings.iter().take(50) {
            println!("  {} {:?} {} {}", f.file, f.kind, f.tag.as_deref().unwrap_or(""), f.detail);
        }
    }
    Ok(if report.clean { ExitCode::SUCCESS } else { ExitCode::from(2) })
}
