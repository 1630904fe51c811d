//! Annotation layers of the exported series: their state for the pre-flight (approved before they
//! leave) and, when included, their files in the export.

use std::collections::HashMap;

use crate::annotate::io::{ReferenceSeries, SegOptions, write_label_nifti, write_label_table, write_seg};
use crate::project::{Project, ProjectError};

use super::layout::Slot;
use super::manifest::{Decision, ManifestFile, sha256_file};
use super::select::Item;
use super::write::{Writer, relative};

/// (layer id, project series id, status) of every label layer on a selected series.
pub fn layer_states(project: &Project, items: &[Item]) -> Result<Vec<(i64, i64, String)>, ProjectError> {
    let series: HashMap<&str, i64> = items.iter().map(|i| (i.meta.series_uid.as_str(), i.series_id)).collect();
    let mut stmt = project
        .conn
        .prepare("SELECT id, series_uid, status FROM label_layers ORDER BY id")
        .map_err(|e| project.err(e))?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))
        .map_err(|e| project.err(e))?;
    let mut out = Vec::new();
    for row in rows {
        let (id, uid, status) = row.map_err(|e| project.err(e))?;
        if let Some(&s) = series.get(uid.as_str()) {
            out.push((id, s, status));
        }
    }
    Ok(out)
}

/// Writes the approved label layers of the exported series: a DICOM SEG (de-identified with the
/// same profile and vault, so its references point at the exported instances), the label map as
/// NIfTI and the label table as JSON, beside the series. Returns their manifest entries.
pub fn write_layers(
    project: &Project,
    items: &[Item],
    slots: &HashMap<i64, Slot>,
    writer: &Writer<'_>,
) -> Result<Vec<ManifestFile>, String> {
    let mut out = Vec::new();
    let labels = project.labels().map_err(|e| e.to_string())?;
    for (layer, series_id, status) in layer_states(project, items).map_err(|e| e.to_string())? {
        if status != "approved" {
            continue;
        }
        let series: Vec<&Item> = items.iter().filter(|i| i.series_id == series_id).collect();
        let metas: Vec<&crate::dicom::InstanceMeta> = series.iter().map(|i| &i.meta).collect();
        let first = series[0];
        let reference = ReferenceSeries::from_instances(&first.meta.path, &metas)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("label layer {layer}: its series has no slice geometry"))?;
        let map = project.load_label_layer(layer).map_err(|e| e.to_string())?;
        let approval = project
            .label_layer_reviews(layer)
            .map_err(|e| e.to_string())?
            .into_iter()
            .rev()
            .find(|r| r.status == "approved");
        let decision = Decision {
            status,
            reviewer: approval.as_ref().map(|a| a.actor.clone()),
            decided_at: approval.as_ref().map(|a| a.at.clone()),
            count: map.histogram()[1..].iter().sum(),
        };
        let staging = writer.root.join(format!(".layer-{layer}.seg.part"));
        let options = SegOptions {
            content_label: format!("LAYER_{layer}"),
            content_description: "approved annotation set".into(),
            content_creator: approval.as_ref().map(|a| a.actor.clone()).unwrap_or_default(),
            series_description: "sumi segmentation".into(),
        };
        write_seg(&staging, &reference, &map, &labels, &options).map_err(|e| e.to_string())?;
        let slot = slots[&first.instance_id];
        let place = |obj: &dicom_object::InMemDicomObject| {
            let pseudonym = obj
                .get(dicom_dictionary_std::tags::PATIENT_ID)
                .and_then(|e| e.to_str().ok())
                .map(|s| s.trim_end_matches(['\0', ' ']).to_string())
                .unwrap_or_default();
            writer.root.join(slot.path(&pseudonym, "dcm")).with_file_name(format!("seg-{layer}.dcm"))
        };
        let seg = crate::deid::deidentify_file_to(&staging, writer.deid, crate::deid::FileEdits::default(), &place)
            .map_err(|e| e.to_string());
        let _ = std::fs::remove_file(&staging);
        let seg = seg?.output;
        let dir = seg.parent().expect("placed in a folder").to_path_buf();
        let nifti = dir.join(format!("labels-{layer}.nii.gz"));
        write_label_nifti(&nifti, &reference.geometry, &map).map_err(|e| e.to_string())?;
        let table = dir.join(format!("labels-{layer}.json"));
        write_label_table(&table, &labels).map_err(|e| e.to_string())?;
        for (path, kind) in [(seg, "seg"), (nifti, "nifti"), (table, "json")] {
            let (sha256, bytes) = sha256_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            out.push(ManifestFile {
                path: relative(writer.root, &path),
                sha256,
                bytes,
                kind: kind.into(),
                source_instance: None,
                source_series: Some(series_id),
                source_study: Some(first.study_id),
                pixels: String::new(),
                text_review: None,
                defacing: None,
                annotation: Some(decision.clone()),
            });
        }
    }
    Ok(out)
}
