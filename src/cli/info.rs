//! `sumi info`: per series, what a loader would build, without decoding pixels.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;
use sumi::dicom::{group_instances, scan_paths};
use sumi::volume::{direction_letter, plan_series};

use super::CliResult;

pub fn info(paths: &[PathBuf], json_out: bool) -> CliResult {
    let scan = scan_paths(paths, &|_, _| {});
    let tree = group_instances(&scan.instances);
    let mut series_out = Vec::new();
    for patient in &tree {
        for study in &patient.studies {
            for s in &study.series {
                let metas: Vec<_> = s.instances.iter().map(|&i| &scan.instances[i]).collect();
                let syntaxes: BTreeSet<&str> = metas.iter().map(|m| m.transfer_syntax.as_str()).collect();
                let mut entry = json!({
                    "patient_id": patient.patient_id,
                    "study_uid": study.study_uid,
                    "series_uid": s.series_uid,
                    "series_number": s.number,
                    "modality": s.modality,
                    "description": s.description,
                    "instances": metas.len(),
                    "frames": s.frames,
                    "transfer_syntaxes": syntaxes,
                });
                match plan_series(&metas) {
                    Ok(plan) => {
                        let g = &plan.geometry;
                        let letters: String = (0..3).map(|a| direction_letter(g.direction(a))).collect();
                        entry["kind"] = json!(plan.kind);
                        entry["dims"] = json!(g.dims);
                        entry["spacing"] = json!(g.spacing());
                        entry["origin"] = json!([g.origin.x, g.origin.y, g.origin.z]);
                        entry["orientation"] = json!(letters);
                        entry["direction_cosines"] = json!(
                            (0..3)
                                .map(|a| {
                                    let d = g.direction(a);
                                    [d.x, d.y, d.z]
                                })
                                .collect::<Vec<_>>()
                        );
                        entry["voxel_type"] = json!(plan.voxel_type);
                        entry["problems"] = json!(plan.problems);
                    }
                    Err(e) => entry["problems"] = json!([e.to_string()]),
                }
                series_out.push(entry);
            }
        }
    }
    let report = json!({
        "files": scan.files_seen,
        "instances": scan.instances.len(),
        "series": series_out,
        "unreadable": scan.unreadable,
    });
    if json_out {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for s in &series_out {
            println!(
                "{} {} {:?} {} dims={} spacing={} {}",
                s["modality"].as_str().unwrap_or(""),
                s["series_number"],
                s["description"].as_str().unwrap_or(""),
                s["kind"],
                s["dims"],
                s["spacing"],
                s["orientation"].as_str().unwrap_or("")
            );
            for p in s["problems"].as_array().into_iter().flatten() {
                println!("  problem: {}", p.as_str().unwrap_or(""));
            }
        }
        for u in &scan.unreadable {
            println!("unreadable: {}", u.reason);
        }
    }
    Ok(if scan.instances.is_empty() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
