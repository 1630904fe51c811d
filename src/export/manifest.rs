//! The export manifest: every output file with its SHA-256, the project ids of its source (never
//! PHI), the profile, the reviewers' decisions, the overrides and the software version; as JSON
//! and as CSV (one row per file).

use std::io::Read;
use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::project::ExportOverride;

pub const MANIFEST_FORMAT: &str = "sumi-export-manifest/1";

/// A reviewer's decision as recorded for an output file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Decision {
    pub status: String,
    pub reviewer: Option<String>,
    pub decided_at: Option<String>,
    /// Boxes filled (text review) or voxels set to air (defacing).
    pub count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ManifestFile {
    /// Relative to the export root, with `/` separators.
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
    /// "dicom", "image" (PNG/JPEG/TIFF), "seg", "nifti", "json", "text".
    pub kind: String,
    pub source_instance: Option<i64>,
    pub source_series: Option<i64>,
    pub source_study: Option<i64>,
    /// What happened to the pixels: "copied", "boxes filled", "re-encoded", "defaced".
    pub pixels: String,
    pub text_review: Option<Decision>,
    pub defacing: Option<Decision>,
    /// For SEG / label maps: the annotation set's sign-off (status approved, the physician).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotation: Option<Decision>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProfileInfo {
    pub name: String,
    pub version: String,
    pub options: Vec<String>,
    pub requires: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub format: &'static str,
    pub software: String,
    pub export_id: i64,
    pub created_at: String,
    pub operator: String,
    pub profile: ProfileInfo,
    /// Project study ids exported.
    pub studies: Vec<i64>,
    pub files: Vec<ManifestFile>,
    pub overrides: Vec<ExportOverride>,
    /// The head of the project's audit chain when the export finished (anchors it outside the DB).
    pub audit_head: String,
    pub conformance_statement: String,
}

/// SHA-256 of a file, streamed.
pub fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((h.finalize().iter().map(|b| format!("{b:02x}")).collect(), n))
}

pub fn sha256_bytes(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

impl Manifest {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("manifest serialises")
    }

    pub fn to_csv(&self) -> String {
        let mut out = String::from(
            "path,sha256,bytes,kind,source_instance,source_series,source_study,pixels,text_status,text_reviewer,text_decided_at,boxes,defacing_status,defacing_reviewer,defacing_decided_at,annotation_status,annotation_reviewer,annotation_decided_at,profile\n",
        );
        let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        let profile = format!("{} v{}", self.profile.name, self.profile.version);
        for f in &self.files {
            let d = |d: &Option<Decision>| match d {
                Some(d) => [
                    d.status.clone(),
                    d.reviewer.clone().unwrap_or_default(),
                    d.decided_at.clone().unwrap_or_default(),
                    d.count.to_string(),
                ],
                None => Default::default(),
            };
            let [ts, tr, tat, boxes] = d(&f.text_review);
            let [ds, dr, dat, _] = d(&f.defacing);
            let [an_s, an_r, an_at, _] = d(&f.annotation);
            let fields = [
                f.path.clone(),
                f.sha256.clone(),
                f.bytes.to_string(),
                f.kind.clone(),
                opt(f.source_instance),
                opt(f.source_series),
                opt(f.source_study),
                f.pixels.clone(),
                ts,
                tr,
                tat,
                boxes,
                ds,
                dr,
                dat,
                an_s,
                an_r,
                an_at,
                profile.clone(),
            ];
            let line: Vec<String> = fields.iter().map(|s| csv_field(s)).collect();
            out.push_str(&line.join(","));
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_fields_with_commas_quotes_and_newlines() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
    }

    #[test]
    fn sha256_matches_the_published_test_vector() {
        assert_eq!(sha256_bytes(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
