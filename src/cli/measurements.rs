//! `sumi labels measurements`: every markup of a series (or of every series that has markups or
//! label layers) with its measurement, and per layer the statistics of each label, as JSON or
//! CSV on standard output.

use std::path::Path;
use std::process::ExitCode;

use sumi::annotate::markup::measure;
use sumi::annotate::measure::label_stats;
use sumi::project::Project;

use super::CliResult;
use super::labels::{open, series_volume};

/// The series to report: the one asked for, else those with markups or label layers.
fn series_list(p: &Project, only: Option<&str>) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    if let Some(uid) = only {
        return Ok(vec![uid.to_string()]);
    }
    let mut stmt = p.conn.prepare(
        "SELECT series_uid FROM markups WHERE deleted = 0 UNION SELECT series_uid FROM label_layers ORDER BY 1",
    )?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn csv_text(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn num(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.4}")).unwrap_or_default()
}

pub fn labels_measurements(project: &Path, series: Option<&str>, csv: bool) -> CliResult {
    let p = open(project)?;
    let names = p.labels()?;
    let name_of = |v: Option<u8>| names.iter().find(|l| Some(l.value) == v).map(|l| l.name.clone());
    let mut out = Vec::new();
    let mut rows = String::from(
        "series_uid,source,id,kind,label,name,note,author,length_mm,angle_deg,size_i_mm,size_j_mm,size_k_mm,\
         area_mm2,volume_ml,voxels,mean,sd,min,max\n",
    );
    for uid in series_list(&p, series)? {
        let (_, volume) = series_volume(&p, &uid)?;
        let mut markups = Vec::new();
        for m in p.markups(&uid)? {
            let r = measure(&volume.geometry, &m.kind, Some(&volume));
            let size = r.size_mm.map(|s| s.map(Some)).unwrap_or_default();
            let st = r.stats;
            let name = match &m.kind {
                sumi::annotate::MarkupKind::Point { name, .. } => Some(name.clone()),
                _ => name_of(m.label),
            };
            rows.push_str(&format!(
                "{uid},markup,{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                m.id,
                m.kind.name(),
                m.label.map(|l| l.to_string()).unwrap_or_default(),
                csv_text(&name.unwrap_or_default()),
                csv_text(&m.note),
                csv_text(&m.author),
                num(r.length_mm),
                num(r.angle_deg),
                num(size[0]),
                num(size[1]),
                num(size[2]),
                num(r.area_mm2),
                num(r.volume_ml),
                st.map(|s| s.voxels.to_string()).unwrap_or_default(),
                num(st.map(|s| s.mean)),
                num(st.map(|s| s.sd)),
                num(st.map(|s| s.min)),
                num(st.map(|s| s.max)),
            ));
            markups.push(serde_json::json!({ "markup": m, "measurement": r }));
        }
        let mut layers = Vec::new();
        for layer in p.label_layers(&uid)? {
            let map = p.load_label_layer(layer.id)?;
            if map.dims() != volume.geometry.dims {
                return Err(format!(
                    "label layer {}: grid {:?} differs from its series {:?}",
                    layer.id,
                    map.dims(),
                    volume.geometry.dims
                )
                .into());
            }
            let stats = label_stats(&volume, &map);
            for s in &stats {
                rows.push_str(&format!(
                    "{uid},layer {},{},label,{},{},,{},,,,,,,{:.4},{},{:.4},{:.4},{},{}\n",
                    layer.id,
                    layer.id,
                    s.label,
                    csv_text(&name_of(Some(s.label)).unwrap_or_default()),
                    csv_text(&layer.annotator),
                    s.volume_ml,
                    s.voxels,
                    s.mean,
                    s.sd,
                    s.min,
                    s.max
                ));
            }
            layers.push(serde_json::json!({
                "layer": layer.id, "annotator": layer.annotator, "status": layer.status,
                "labels": stats.iter().map(|s| serde_json::json!({ "name": name_of(Some(s.label)), "stats": s }))
                    .collect::<Vec<_>>(),
            }));
        }
        out.push(serde_json::json!({ "series_uid": uid, "markups": markups, "layers": layers }));
    }
    if csv {
        print!("{rows}");
    } else {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "series": out }))?);
    }
    Ok(ExitCode::SUCCESS)
}
