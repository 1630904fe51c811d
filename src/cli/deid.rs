//! `sumi deid`: de-identify a folder of DICOM files with a profile, printing a JSON summary.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use sumi::deid::profile::PatientIdMode;
use sumi::deid::{Deidentifier, Profile, ProfileOption, Vault, deidentify_tree};

use super::CliResult;

pub struct DeidArgs {
    pub inputs: Vec<PathBuf>,
    pub out: PathBuf,
    pub profile: String,
    pub options: Vec<ProfileOption>,
    pub vault: Option<PathBuf>,
    pub jobs: Option<usize>,
    pub json: bool,
}

/// The passphrase for an encrypted vault: $SUMI_VAULT_PASSPHRASE (scripts), else none.
pub fn passphrase_from_env() -> Option<String> {
    std::env::var("SUMI_VAULT_PASSPHRASE").ok().filter(|s| !s.is_empty())
}

/// `sumi vault lookup`: the original patient ID behind a pseudonym, for a regulator's inquiry.
/// Asks for the passphrase on the terminal when the vault is encrypted (or takes
/// $SUMI_VAULT_PASSPHRASE), and records the lookup in the vault's access log and, when a
/// project is given, in its audit log.
pub fn vault_lookup(
    vault_path: &Path,
    pseudonym: &str,
    project: Option<&Path>,
    user: Option<String>,
    reason: &str,
) -> CliResult {
    if !vault_path.is_file() {
        return Err(format!("{}: no such vault", vault_path.display()).into());
    }
    let actor = user.unwrap_or_else(sumi::project::default_actor);
    let vault = match Vault::open(vault_path, passphrase_from_env().as_deref()) {
        Err(sumi::deid::vault::VaultError::NeedsPassphrase { .. }) => {
            let pass = rpassword::prompt_password(format!("Passphrase for {}: ", vault_path.display()))?;
            Vault::open(vault_path, Some(&pass))?
        }
        other => other?,
    };
    let found = vault.lookup_pseudonym(pseudonym)?;
    let details = serde_json::json!({ "pseudonym": pseudonym, "found": found.is_some(), "reason": reason, "vault": vault_path.display().to_string() });
    vault.record_access(&actor, "reidentify", &details)?;
    if let Some(p) = project {
        let db = sumi::project::Project::open(p)?;
        sumi::project::append_audit(&db.conn, &actor, "vault-lookup", Some(pseudonym), &details)?;
    }
    match found {
        Some(original) => {
            println!("{}", serde_json::json!({ "pseudonym": pseudonym, "patient_id": original }));
            Ok(ExitCode::SUCCESS)
        }
        None => Err(format!("{pseudonym}: not in {}", vault_path.display()).into()),
    }
}

pub fn deid(args: DeidArgs) -> CliResult {
    let profile = Profile::load(&args.profile)?.with_options(&args.options);
    let vault = open_vault(&profile, args.vault.as_deref())?;
    let deid = Deidentifier::new(&profile, &vault)?;
    if args.out.exists() && std::fs::read_dir(&args.out)?.next().is_some() {
        return Err(format!("{}: output folder is not empty", args.out.display()).into());
    }
    for input in &args.inputs {
        if args.out.starts_with(input) {
            return Err(
                format!("{}: output must not be inside the input {}", args.out.display(), input.display()).into()
            );
        }
    }
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let summary = deidentify_tree(&args.inputs, &args.out, &deid, jobs, &|_, _| {});
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!("{} written, {} failed, {:.1} files/s", summary.written, summary.failed.len(), summary.files_per_s);
    }
    for f in &summary.failed {
        eprintln!("sumi: {}", f.reason);
    }
    Ok(if summary.written == 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// Pseudonymising profiles need a vault file (kept apart from exports); anonymising ones must not
/// keep a key, so they get a vault that lives only for this run.
fn open_vault(profile: &Profile, path: Option<&Path>) -> Result<Vault, Box<dyn std::error::Error>> {
    let needs_persistence = profile.patient_id == PatientIdMode::Pseudonym;
    match (path, profile.patient_id) {
        (Some(_), PatientIdMode::Random) => {
            Err(format!("profile {} keeps no key: do not give --vault", profile.name).into())
        }
        (Some(p), _) => Ok(Vault::open(p, passphrase_from_env().as_deref())?),
        (None, _)
            if needs_persistence
                || profile.has(ProfileOption::RetainLongModifiedDates)
                    && profile.patient_id != PatientIdMode::Random =>
        {
            Err(format!(
                "profile {} keeps pseudonyms and date offsets: give --vault <file> (kept apart from exports)",
                profile.name
            )
            .into())
        }
        (None, _) => Ok(Vault::in_memory()),
    }
}
