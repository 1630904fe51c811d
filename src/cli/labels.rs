//! `sumi labels …`: annotation sign-off and the measurements/findings report, headless.

use std::path::Path;
use std::process::ExitCode;

use sumi::annotate::measure::label_stats;
use sumi::dicom::InstanceMeta;
use sumi::project::Project;
use sumi::project::annotation_review::{LayerDecision, Physician};
use sumi::volume::{Volume, load_volume, plan_series};

use super::CliResult;

pub(super) fn open(path: &Path) -> Result<Project, Box<dyn std::error::Error>> {
    if !path.is_file() {
        return Err(format!("{}: no such project", path.display()).into());
    }
    Ok(Project::open(path)?)
}

pub fn labels_submit(project: &Path, layer: i64, annotator: &str, comment: Option<&str>) -> CliResult {
    let mut p = open(project)?;
    p.submit_label_layer(layer, annotator, comment)?;
    println!("{}", serde_json::json!({ "layer": layer, "status": p.label_layer_status(layer)? }));
    Ok(ExitCode::SUCCESS)
}

pub fn labels_review(
    project: &Path,
    layer: i64,
    approve: bool,
    physician: Physician,
    comment: Option<&str>,
) -> CliResult {
    let mut p = open(project)?;
    let decision = if approve { LayerDecision::Approve } else { LayerDecision::RequestChanges };
    p.review_label_layer(layer, decision, &physician, comment)?;
    println!("{}", serde_json::json!({ "layer": layer, "status": p.label_layer_status(layer)? }));
    Ok(ExitCode::SUCCESS)
}

/// The instances of a series in the project and its volume, loaded from the source files.
pub(super) fn series_volume(
    p: &Project,
    series_uid: &str,
) -> Result<(Vec<InstanceMeta>, Volume), Box<dyn std::error::Error>> {
    let metas: Vec<InstanceMeta> = {
        let mut stmt = p.conn.prepare(
            "SELECT i.meta_json FROM instances i JOIN series s ON s.id = i.series_ref WHERE s.series_uid = ?1",
        )?;
        let rows = stmt.query_map([series_uid], |r| r.get::<_, String>(0))?;
        rows.map(|r| Ok(serde_json::from_str(&r?)?)).collect::<Result<_, Box<dyn std::error::Error>>>()?
    };
    if metas.is_empty() {
        return Err(format!("{}: series {series_uid} has no instances in the project", p.path).into());
    }
    let refs: Vec<&InstanceMeta> = metas.iter().collect();
    let plan = plan_series(&refs)?;
    let volume = load_volume(&plan, None)?;
    Ok((metas, volume))
}

/// Label statistics (voxels, mL, mean/SD/min/max in modality units) of a layer on its series,
/// with the label names and codes, the sign-off history and the study's findings; JSON, or CSV
/// (one row per label) when `out` ends in .csv.
pub fn labels_report(project: &Path, layer: i64, out: &Path) -> CliResult {
    let p = open(project)?;
    let series_uid: String =
        p.conn.query_row("SELECT series_uid FROM label_layers WHERE id = ?1", [layer], |r| r.get(0))?;
    let (metas, volume) = series_volume(&p, &series_uid)?;
    let map = p.load_label_layer(layer)?;
    if map.dims() != volume.geometry.dims {
        return Err(format!(
            "label layer {layer}: grid {:?} differs from its series {:?}",
            map.dims(),
            volume.geometry.dims
        )
        .into());
    }
    let names = p.labels()?;
    let stats = label_stats(&volume, &map);
    let study_uid = metas.first().map(|m| m.study_uid.clone()).unwrap_or_default();
    let rows: Vec<serde_json::Value> = stats
        .iter()
        .map(|s| {
            let label = names.iter().find(|l| l.value == s.label);
            serde_json::json!({
                "value": s.label,
                "name": label.map(|l| l.name.clone()),
                "code": label.and_then(|l| l.code.clone()),
                "voxels": s.voxels, "volume_ml": s.volume_ml,
                "mean": s.mean, "sd": s.sd, "min": s.min, "max": s.max,
            })
        })
        .collect();
    let text = if out.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
        let mut csv = String::from("layer,value,name,code_value,code_scheme,voxels,volume_ml,mean,sd,min,max\n");
        for (s, r) in stats.iter().zip(&rows) {
            let q = |v: &serde_json::Value| {
                v.as_str().map(|s| format!("\"{}\"", s.replace('"', "\"\""))).unwrap_or_default()
            };
            csv.push_str(&format!(
                "{layer},{},{},{},{},{},{:.4},{:.3},{:.3},{},{}\n",
                s.label,
                q(&r["name"]),
                q(&r["code"][0]),
                q(&r["code"][1]),
                s.voxels,
                s.volume_ml,
                s.mean,
                s.sd,
                s.min,
                s.max
            ));
        }
        csv
    } else {
        serde_json::to_string_pretty(&serde_json::json!({
            "layer": layer,
            "series_uid": series_uid,
            "status": p.label_layer_status(layer)?,
            "sign_off": p.label_layer_reviews(layer)?,
            "labels": rows,
            "findings": p.findings(Some(&study_uid))?,
        }))?
    };
    std::fs::write(out, text).map_err(|e| format!("{}: {e}", out.display()))?;
    println!("{}", serde_json::json!({ "layer": layer, "labels": stats.len(), "out": out.display().to_string() }));
    Ok(ExitCode::SUCCESS)
}
