//! Verification of an export, the second line of defence. It looks at the files as written and
//! decides on its own what is a leak: it shares the DICOM reader with the rest of sumi, never
//! the de-identification engine, its profiles or its tables. Checks per DICOM file: every text
//! value at every level (and binary values read as text) against the sources' identifying
//! values; private elements left; UIDs equal to source UIDs; dates equal to the source's;
//! Patient Identity Removed and the method code; reviewed boxes still showing; text in images not
//! declared free of it. Per export: the manifest's hashes, missing and unlisted files.

mod needles;
mod pixels;
mod report;
mod sources;
mod walk;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use dicom_core::VR;
use rayon::prelude::*;
use serde::Serialize;

pub use needles::{Needle, NeedleKind, NeedleSet, date_spellings};
pub use sources::{SourceInstance, Sources};

use crate::dicom::open_dicom;

/// What kind of problem a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    PhiValue,
    PrivateTag,
    SourceUid,
    DateNotShifted,
    IdentityRemovedMissing,
    MethodCodeMissing,
    UnmaskedBox,
    BurnedInText,
    ImageMetadata,
    DefacedFaceNotAir,
    HashMismatch,
    UnlistedFile,
    MissingFile,
    Unreadable,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    /// Relative to the export root.
    pub file: String,
    pub kind: Kind,
    /// Element path, e.g. `(0008,1110)[0]>(0010,0010)`, when the finding is about an element.
    pub tag: Option<String>,
    /// The offending value with its middle masked, so the report does not leak it again.
    pub excerpt: Option<String>,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub export_dir: PathBuf,
    pub files_scanned: usize,
    pub dicom_files: usize,
    pub needles: usize,
    pub findings: Vec<Finding>,
    pub clean: bool,
    pub seconds: f64,
}

/// Masks all but the first and last character.
pub fn mask(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    match chars.len() {
        0 => String::new(),
        1 | 2 => "*".repeat(chars.len()),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

/// The manifest as far as the verifier needs it (read without sumi's export types).
#[derive(Debug, Default)]
struct ManifestView {
    /// Relative path → (sha256, source instance).
    files: HashMap<String, (String, Option<i64>)>,
    retain_dates: bool,
}

fn read_manifest(dir: &Path) -> Result<Option<ManifestView>, String> {
    let path = dir.join("manifest.json");
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
    let mut m = ManifestView::default();
    for f in v["files"].as_array().into_iter().flatten() {
        if let (Some(p), Some(h)) = (f["path"].as_str(), f["sha256"].as_str()) {
            m.files.insert(p.to_string(), (h.to_string(), f["source_instance"].as_i64()));
        }
    }
    m.retain_dates = v["profile"]["options"]
        .as_array()
        .is_some_and(|o| o.iter().any(|x| x.as_str() == Some("retain-long-full-dates")));
    Ok(Some(m))
}

/// Files the verifier does not treat as export content.
fn is_bookkeeping(rel: &str) -> bool {
    matches!(rel, "manifest.json" | "manifest.csv")
}

const TEXT_VRS: &[VR] =
    &[VR::AE, VR::AS, VR::CS, VR::LO, VR::LT, VR::PN, VR::SH, VR::ST, VR::UC, VR::UR, VR::UT, VR::UN, VR::OB, VR::OW];

/// Checks one DICOM output.
fn check_dicom(
    rel: &str,
    path: &Path,
    sources: &Sources,
    source: Option<&SourceInstance>,
    retain_dates: bool,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut find = |kind, tag: Option<String>, excerpt: Option<String>, detail: String| {
        out.push(Finding { file: rel.to_string(), kind, tag, excerpt, detail });
    };
    let file = match open_dicom(path, false) {
        Ok(f) => f,
        Err(e) => {
            find(Kind::Unreadable, None, None, e.to_string());
            return out;
        }
    };
    let seen = walk::elements(&file.obj);
    for s in &seen {
        let Some(text) = &s.text else { continue };
        if s.tag.group() % 2 == 1 && s.tag.element() >= 0x1000 {
            let creator = s.creator.clone().unwrap_or_else(|| "unknown creator".into());
            find(Kind::PrivateTag, Some(s.path.clone()), None, format!("private element left ({creator})"));
        }
        if s.vr == VR::UI {
            for uid in text.split('\\').map(|u| u.trim_end_matches(['\0', ' '])) {
                if sources.uids.contains(uid) {
                    find(Kind::SourceUid, Some(s.path.clone()), Some(mask(uid)), "UID equal to a source UID".into());
                }
            }
            continue;
        }
        let vr_name = s.vr.to_string();
        if TEXT_VRS.contains(&s.vr) || matches!(s.vr, VR::DA | VR::DT) {
            for n in sources.needles.find_in(text, vr_name) {
                find(
                    Kind::PhiValue,
                    Some(s.path.clone()),
                    Some(mask(&n.value)),
                    format!("contains the source's {}", n.field),
                );
            }
        }
    }
    let top = |tag| seen.iter().find(|s| s.depth == 0 && s.tag == tag);
    use dicom_dictionary_std::tags;
    if top(tags::PATIENT_IDENTITY_REMOVED).and_then(|s| s.text.as_deref()).map(str::trim) != Some("YES") {
        find(
            Kind::IdentityRemovedMissing,
            Some("(0012,0062)".into()),
            None,
            "Patient Identity Removed is not YES".into(),
        );
    }
    let has_code = file
        .obj
        .get(tags::DEIDENTIFICATION_METHOD_CODE_SEQUENCE)
        .and_then(|e| e.items().map(|i| !i.is_empty()))
        .unwrap_or(false);
    if !has_code {
        find(
            Kind::MethodCodeMissing,
            Some("(0012,0064)".into()),
            None,
            "De-identification Method Code Sequence missing".into(),
        );
    }
    if let Some(src) = source {
        if !retain_dates && let Ok(orig) = open_dicom(&src.path, true) {
            for s in seen.iter().filter(|s| s.depth == 0 && matches!(s.vr, VR::DA | VR::DT)) {
                let out_v = s.text.as_deref().unwrap_or("").trim();
                let src_v = orig.obj.get(s.tag).and_then(|e| e.to_str().ok()).map(|v| v.trim().to_string());
                if !out_v.is_empty() && src_v.as_deref() == Some(out_v) {
                    find(
                        Kind::DateNotShifted,
                        Some(s.path.clone()),
                        Some(mask(out_v)),
                        "date equal to the source's".into(),
                    );
                }
            }
        }
        let has_pixels = file.obj.get(tags::PIXEL_DATA).is_some();
        if has_pixels && !src.boxes.is_empty() {
            match pixels::unfilled_boxes(path, &src.boxes, false) {
                Ok(bad) => {
                    for (i, frame) in bad {
                        let b = &src.boxes[i];
                        find(
                            Kind::UnmaskedBox,
                            None,
                            None,
                            format!("reviewed box {}×{} at ({}, {}) not filled on frame {frame}", b.w, b.h, b.x, b.y),
                        );
                    }
                }
                Err(e) => find(Kind::Unreadable, None, None, format!("pixels: {e}")),
            }
        }
    }
    if let Some((masks, air)) = source.and_then(|s| s.deface.as_ref()) {
        match pixels::not_air(path, masks, *air) {
            Ok(bad) => {
                for (frame, n) in bad {
                    find(
                        Kind::DefacedFaceNotAir,
                        None,
                        None,
                        format!("{n} voxel(s) of the approved face region are not air on frame {frame}"),
                    );
                }
            }
            Err(e) => find(Kind::Unreadable, None, None, format!("pixels: {e}")),
        }
    }
    let declared_clean = top(tags::BURNED_IN_ANNOTATION).and_then(|s| s.text.as_deref()).map(str::trim) == Some("NO");
    if file.obj.get(tags::PIXEL_DATA).is_some() && !declared_clean {
        match pixels::text_found(path) {
            Ok(boxes) if !boxes.is_empty() => find(
                Kind::BurnedInText,
                Some("(0028,0301)".into()),
                None,
                format!("Burned In Annotation is not NO and the detector finds {} text region(s)", boxes.len()),
            ),
            _ => {}
        }
    }
    out
}

/// Checks a PNG/JPEG/TIFF output: no metadata, boxes filled.
fn check_image(rel: &str, path: &Path, source: Option<&SourceInstance>) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(kind) = crate::dicom::foreign::ForeignKind::of_file(path) else { return out };
    match std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|b| crate::dicom::foreign::inventory::inventory(kind, &b))
    {
        Ok(items) if !items.is_empty() => out.push(Finding {
            file: rel.into(),
            kind: Kind::ImageMetadata,
            tag: None,
            excerpt: None,
            detail: format!("metadata left: {}", items.join("; ")),
        }),
        Ok(_) => {}
        Err(e) => out.push(Finding { file: rel.into(), kind: Kind::Unreadable, tag: None, excerpt: None, detail: e }),
    }
    if let Some(src) = source.filter(|s| !s.boxes.is_empty())
        && let Ok(bad) = pixels::unfilled_boxes(path, &src.boxes, kind == crate::dicom::foreign::ForeignKind::Jpeg)
    {
        for (i, frame) in bad {
            let b = &src.boxes[i];
            out.push(Finding {
                file: rel.into(),
                kind: Kind::UnmaskedBox,
                tag: None,
                excerpt: None,
                detail: format!("reviewed box {}×{} at ({}, {}) not filled on frame {frame}", b.w, b.h, b.x, b.y),
            });
        }
    }
    out
}

/// Free text files (CSV, JSON, text) are searched for the identifying values too.
fn check_text(rel: &str, path: &Path, sources: &Sources) -> Vec<Finding> {
    let Ok(bytes) = std::fs::read(path) else { return Vec::new() };
    let text = String::from_utf8_lossy(&bytes);
    sources
        .needles
        .find_in(&text, "UT")
        .into_iter()
        .map(|n| Finding {
            file: rel.into(),
            kind: Kind::PhiValue,
            tag: None,
            excerpt: Some(mask(&n.value)),
            detail: format!("contains the source's {}", n.field),
        })
        .collect()
}

fn relative(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Verifies the export at `dir` against what `sources` knows.
pub fn verify_export(dir: &Path, sources: &Sources) -> Result<Report, String> {
    let start = Instant::now();
    if !dir.is_dir() {
        return Err(format!("{}: not a folder", dir.display()));
    }
    let manifest = read_manifest(dir)?;
    let files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    let mut findings: Vec<Finding> = files
        .par_iter()
        .flat_map(|path| {
            let rel = relative(dir, path);
            if is_bookkeeping(&rel) {
                return Vec::new();
            }
            let mut out = Vec::new();
            let listed = manifest.as_ref().and_then(|m| m.files.get(&rel));
            if let Some(m) = &manifest {
                match listed {
                    None => out.push(Finding {
                        file: rel.clone(),
                        kind: Kind::UnlistedFile,
                        tag: None,
                        excerpt: None,
                        detail: "not in the manifest".into(),
                    }),
                    Some((sha, _)) => match crate::export::sha256_file(path) {
                        Ok((h, _)) if &h == sha => {}
                        Ok(_) => out.push(Finding {
                            file: rel.clone(),
                            kind: Kind::HashMismatch,
                            tag: None,
                            excerpt: None,
                            detail: "SHA-256 differs from the manifest".into(),
                        }),
                        Err(e) => out.push(Finding {
                            file: rel.clone(),
                            kind: Kind::Unreadable,
                            tag: None,
                            excerpt: None,
                            detail: e.to_string(),
                        }),
                    },
                }
                let _ = m;
            }
            let source = listed.and_then(|(_, id)| *id).and_then(|id| sources.instances.get(&id));
            let retain = manifest.as_ref().is_some_and(|m| m.retain_dates);
            let is_dicom = std::fs::File::open(path)
                .and_then(|mut f| {
                    use std::io::Read;
                    let mut head = [0u8; 132];
                    f.read_exact(&mut head).map(|_| &head[128..132] == b"DICM")
                })
                .unwrap_or(false);
            let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
            if is_dicom || ext == "dcm" {
                out.extend(check_dicom(&rel, path, sources, source, retain));
            } else if matches!(ext.as_str(), "png" | "jpg" | "jpeg" | "tif" | "tiff") {
                out.extend(check_image(&rel, path, source));
            } else if matches!(ext.as_str(), "json" | "csv" | "txt" | "html") {
                out.extend(check_text(&rel, path, sources));
            }
            out
        })
        .collect();
    if let Some(m) = &manifest {
        for rel in m.files.keys() {
            if !dir.join(rel).is_file() {
                findings.push(Finding {
                    file: rel.clone(),
                    kind: Kind::MissingFile,
                    tag: None,
                    excerpt: None,
                    detail: "listed in the manifest but absent".into(),
                });
            }
        }
    }
    findings.sort_by(|a, b| (&a.file, a.kind, &a.tag).cmp(&(&b.file, b.kind, &b.tag)));
    let dicom_files = files.iter().filter(|p| p.extension().is_some_and(|e| e == "dcm")).count();
    Ok(Report {
        export_dir: dir.to_path_buf(),
        files_scanned: files.len(),
        dicom_files,
        needles: sources.needles.needles.len(),
        clean: findings.is_empty(),
        findings,
        seconds: start.elapsed().as_secs_f64(),
    })
}

pub use report::to_html;
