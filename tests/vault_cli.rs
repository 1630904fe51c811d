//! `sumi deid` with an encrypted key vault, then `sumi vault lookup` re-identifying a pseudonym
//! on a regulator's request: audited in the vault and the project.

use std::process::Command;

fn sumi() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sumi"))
}

#[test]
fn encrypted_vault_reidentifies_a_pseudonym_only_with_the_passphrase_and_logs_the_lookup() {
    let dir = tempfile::tempdir().unwrap();
    let (demo, out, vault, project) =
        (dir.path().join("demo"), dir.path().join("out"), dir.path().join("k.vault"), dir.path().join("p.sumi"));
    assert!(sumi().arg("demo").arg(&demo).status().unwrap().success());
    let run = sumi()
        .args(["deid", "--profile", "jp-pseudonymized", "--json", "--vault"])
        .arg(&vault)
        .arg(&demo)
        .arg(&out)
        .env("SUMI_VAULT_PASSPHRASE", "correct horse battery")
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(summary["written"], 202);

    // The pseudonym as written into an output file.
    let any = walk(&out).into_iter().next().unwrap();
    let obj = dicom_object::open_file(&any).unwrap();
    let pseudonym = obj.element(dicom_dictionary_std::tags::PATIENT_ID).unwrap().to_str().unwrap().trim().to_string();
    assert!(pseudonym.starts_with("SUMI-") && pseudonym != "SUMI-000123");

    let vault_bytes = std::fs::read(&vault).unwrap();
    assert!(!vault_bytes.windows(11).any(|w| w == b"SUMI-000123"), "the original ID is not stored in clear");

    let wrong = sumi()
        .args(["vault", "lookup", "--pseudonym", &pseudonym, "--vault"])
        .arg(&vault)
        .env("SUMI_VAULT_PASSPHRASE", "guess")
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("wrong passphrase"));

    let ok = sumi()
        .args([
            "vault",
            "lookup",
            "--pseudonym",
            &pseudonym,
            "--user",
            "inspector",
            "--reason",
            "MHLW inquiry 2026-17",
            "--vault",
        ])
        .arg(&vault)
        .arg("--project")
        .arg(&project)
        .env("SUMI_VAULT_PASSPHRASE", "correct horse battery")
        .output()
        .unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(answer["patient_id"], "SUMI-000123");

    let db = sumi::project::Project::open(&project).unwrap();
    let events = sumi::project::audit_events(&db.conn).unwrap();
    let e = events.iter().find(|e| e.action == "vault-lookup").expect("audited in the project");
    assert_eq!(e.actor, "inspector");
    assert_eq!(e.details["reason"], "MHLW inquiry 2026-17");
    let v = sumi::deid::Vault::open(&vault, Some("correct horse battery")).unwrap();
    assert_eq!(v.access_count().unwrap(), 1, "and in the vault's own access log");
}

fn walk(d: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(d).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else if p.extension().is_some_and(|x| x == "dcm") {
            out.push(p)
        }
    }
    out
}
