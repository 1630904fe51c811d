//! A spot-check session over an export and its signed report: the sample drawn by the plan, the
//! operator's pass/fail and comment per instance, the verification findings shown, and the batch
//! decision; JSON (signed) and HTML, written beside the export (never inside it: the export's
//! manifest must stay complete) and stored in the project.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::plan::SamplingPlan;
use super::sign;

pub const REPORT_FORMAT: &str = "sumi-spot-check/1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Relative to the export root, as in the manifest.
    pub path: String,
    pub sha256: String,
    pub source_instance: Option<i64>,
    /// What the independent verification found in this file (one line each).
    pub findings: Vec<String>,
    pub verdict: Option<Verdict>,
    pub comment: String,
}

/// An open spot check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpotCheck {
    pub export_dir: PathBuf,
    pub manifest_sha256: String,
    pub plan: SamplingPlan,
    /// Instances in the export (DICOM and images; not the manifest or the statement).
    pub population: usize,
    pub samples: Vec<Sample>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub format: String,
    pub software: String,
    pub export_dir: String,
    pub manifest_sha256: String,
    pub operator: String,
    pub signed_at: String,
    pub plan: SamplingPlan,
    pub population: usize,
    pub samples: Vec<Sample>,
    pub decision: Verdict,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedReport {
    pub report: Report,
    pub algorithm: String,
    pub public_key: String,
    pub signature: String,
}

fn canonical(report: &Report) -> Vec<u8> {
    serde_json::to_vec(report).expect("report serialises")
}

/// Opens an export's manifest and draws the sample.
pub fn start(export_dir: &Path, plan: SamplingPlan) -> Result<SpotCheck, String> {
    plan.validate()?;
    let path = export_dir.join("manifest.json");
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e} (not a finished sumi export?)", path.display()))?;
    let manifest: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: not a manifest: {e}", path.display()))?;
    let files = manifest["files"].as_array().ok_or_else(|| format!("{}: no file list", path.display()))?;
    let population: Vec<&serde_json::Value> =
        files.iter().filter(|f| matches!(f["kind"].as_str(), Some("dicom" | "image"))).collect();
    let samples = plan
        .draw(population.len())
        .into_iter()
        .map(|i| Sample {
            path: population[i]["path"].as_str().unwrap_or_default().to_string(),
            sha256: population[i]["sha256"].as_str().unwrap_or_default().to_string(),
            source_instance: population[i]["source_instance"].as_i64(),
            findings: Vec::new(),
            verdict: None,
            comment: String::new(),
        })
        .collect();
    Ok(SpotCheck {
        export_dir: export_dir.to_path_buf(),
        manifest_sha256: crate::export::sha256_file(&path).map_err(|e| e.to_string())?.0,
        plan,
        population: population.len(),
        samples,
    })
}

impl SpotCheck {
    pub fn decided(&self) -> usize {
        self.samples.iter().filter(|s| s.verdict.is_some()).count()
    }

    /// Signs the finished check. Every sampled instance needs a verdict, and a fail needs a comment.
    pub fn sign(&self, operator: &str, key_dir: &Path) -> Result<SignedReport, String> {
        if operator.trim().is_empty() {
            return Err("the report needs the operator's name".into());
        }
        if let Some(s) = self.samples.iter().find(|s| s.verdict.is_none()) {
            return Err(format!("{}: no pass/fail yet", s.path));
        }
        if let Some(s) = self.samples.iter().find(|s| s.verdict == Some(Verdict::Fail) && s.comment.trim().is_empty()) {
            return Err(format!("{}: a fail needs a comment", s.path));
        }
        let decision =
            if self.samples.iter().all(|s| s.verdict == Some(Verdict::Pass)) { Verdict::Pass } else { Verdict::Fail };
        let report = Report {
            format: REPORT_FORMAT.into(),
            software: format!("sumi {}", env!("CARGO_PKG_VERSION")),
            export_dir: self.export_dir.display().to_string(),
            manifest_sha256: self.manifest_sha256.clone(),
            operator: operator.trim().to_string(),
            signed_at: crate::project::now_rfc3339(),
            plan: self.plan,
            population: self.population,
            samples: self.samples.clone(),
            decision,
        };
        let key = sign::operator_key(key_dir, operator)?;
        let (public_key, signature) = sign::sign(&key, &canonical(&report));
        Ok(SignedReport { report, algorithm: "ed25519".into(), public_key, signature })
    }
}

impl SignedReport {
    /// The signature holds over the report as it stands.
    pub fn verify(&self) -> bool {
        self.algorithm == "ed25519" && sign::verify(&self.public_key, &self.signature, &canonical(&self.report))
    }

    /// Writes `<export>.spot-check-<n>.json` and `.html` beside the export folder.
    pub fn write_beside(&self, export_dir: &Path) -> Result<(PathBuf, PathBuf), String> {
        let name = export_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "export".into());
        let parent = export_dir.parent().unwrap_or(Path::new("."));
        let stamp = self.report.signed_at.replace([':', '-'], "").replace('+', "Z");
        let json = parent.join(format!("{name}.spot-check-{stamp}.json"));
        let html = parent.join(format!("{name}.spot-check-{stamp}.html"));
        let text = serde_json::to_string_pretty(self).expect("report serialises");
        std::fs::write(&json, text).map_err(|e| format!("{}: {e}", json.display()))?;
        std::fs::write(&html, self.to_html()).map_err(|e| format!("{}: {e}", html.display()))?;
        Ok((json, html))
    }

    pub fn to_html(&self) -> String {
        let r = &self.report;
        let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
        let mut rows = String::new();
        for s in &r.samples {
            let verdict = match s.verdict {
                Some(Verdict::Pass) => "<td class=pass>pass</td>",
                Some(Verdict::Fail) => "<td class=fail>FAIL</td>",
                None => "<td>—</td>",
            };
            rows.push_str(&format!(
                "<tr><td>{}</td><td>{}</td>{verdict}<td>{}</td><td>{}</td></tr>\n",
                esc(&s.path),
                s.source_instance.map(|i| i.to_string()).unwrap_or_default(),
                esc(&s.comment),
                if s.findings.is_empty() { "none".into() } else { esc(&s.findings.join("; ")) }
            ));
        }
        format!(
            "<!doctype html><html><head><meta charset=utf-8><title>sumi spot check</title><style>\
             body{{font-family:sans-serif;margin:2em}}td,th{{border:1px solid #ccc;padding:4px 8px}}table{{border-collapse:collapse}}\
             .pass{{color:#060}}.fail{{color:#b00;font-weight:bold}}</style></head><body>\
             <h1>Spot check: {decision}</h1>\
             <p>Export <code>{dir}</code>, manifest SHA-256 <code>{manifest}</code></p>\
             <p>Operator {operator}, signed {at} ({software})</p>\
             <p>Plan: {conf:.0} % confidence that the defect rate is below {rate} %; {n} of {pop} instances drawn (seed {seed}).</p>\
             <table><tr><th>file</th><th>source instance</th><th>verdict</th><th>comment</th><th>verification findings</th></tr>\n{rows}</table>\
             <p>Ed25519 public key <code>{pk}</code><br>signature <code>{sig}</code></p></body></html>\n",
            decision = if r.decision == Verdict::Pass { "PASS" } else { "FAIL" },
            dir = esc(&r.export_dir),
            manifest = r.manifest_sha256,
            operator = esc(&r.operator),
            at = r.signed_at,
            software = esc(&r.software),
            conf = r.plan.confidence * 100.0,
            rate = r.plan.max_defect_rate * 100.0,
            n = r.samples.len(),
            pop = r.population,
            seed = r.plan.seed,
            pk = self.public_key,
            sig = self.signature,
        )
    }
}
