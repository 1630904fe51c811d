//! Defacing decisions of the exported series, as the pre-flight and the writer need them.

use std::collections::BTreeMap;

use crate::project::{Project, ProjectError};

use super::select::Item;

/// Where a CT/MR series stands with defacing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaceState {
    NotProposed,
    Pending,
    Rejected,
    Approved,
    /// Checked: not a head with the face in view (the reason).
    NotHead(String),
}

impl DefaceState {
    /// May leave without further defacing decisions.
    pub fn cleared(&self) -> bool {
        matches!(self, DefaceState::Approved | DefaceState::NotHead(_))
    }

    pub fn describe(&self) -> String {
        match self {
            DefaceState::NotProposed => "defacing has not been proposed for this series".into(),
            DefaceState::Pending => "defacing proposal not reviewed".into(),
            DefaceState::Rejected => "defacing proposal rejected: propose again and approve".into(),
            DefaceState::Approved => "defacing approved".into(),
            DefaceState::NotHead(why) => format!("not a head: {why}"),
        }
    }
}

/// (project series id, modality, state) of every selected CT or MR series.
pub fn series_states(project: &Project, items: &[Item]) -> Result<Vec<(i64, String, DefaceState)>, ProjectError> {
    let mut series: BTreeMap<i64, (&str, &str)> = BTreeMap::new();
    for i in items {
        let modality = i.meta.modality.as_deref().unwrap_or("");
        if matches!(modality, "CT" | "MR") {
            series.entry(i.series_id).or_insert((modality, i.meta.series_uid.as_str()));
        }
    }
    let mut out = Vec::new();
    for (id, (modality, uid)) in series {
        out.push((id, modality.to_string(), state_of(project, uid)?));
    }
    Ok(out)
}

fn state_of(project: &Project, series_uid: &str) -> Result<DefaceState, ProjectError> {
    use crate::project::deface_review::DefaceStatus;
    Ok(match project.deface_review(series_uid)? {
        None => DefaceState::NotProposed,
        Some(r) => match r.status {
            DefaceStatus::Pending => DefaceState::Pending,
            DefaceStatus::Rejected => DefaceState::Rejected,
            DefaceStatus::Approved => DefaceState::Approved,
            DefaceStatus::NotHead => DefaceState::NotHead(r.reason.clone().unwrap_or_default()),
        },
    })
}

/// Per exported instance (project id): the frames to deface, each a rows×cols mask (1 = set to
/// air), and the air value; for every approved defacing of a selected series. The volume's voxel
/// order is the series plan's: slice k is frame `plan.slices[k]` of its instance, in-plane rows
/// then columns as stored.
pub type DefaceMasks = std::collections::HashMap<i64, InstanceDeface>;

/// The defacing of one exported instance and the decision behind it.
#[derive(Debug, Clone)]
pub struct InstanceDeface {
    pub frames: Vec<(usize, Vec<u8>)>,
    pub air: f64,
    pub decision: super::manifest::Decision,
}

pub fn approved_masks(project: &Project, items: &[Item]) -> Result<DefaceMasks, String> {
    use crate::deid::deface_queue::{ExportDeface, deface_for_export};
    let mut out = DefaceMasks::new();
    let mut by_series: BTreeMap<i64, Vec<&Item>> = BTreeMap::new();
    for i in items.iter().filter(|i| matches!(i.meta.modality.as_deref(), Some("CT" | "MR"))) {
        by_series.entry(i.series_id).or_default().push(i);
    }
    for (series_id, series) in by_series {
        let metas: Vec<&crate::dicom::InstanceMeta> = series.iter().map(|i| &i.meta).collect();
        let Ok(plan) = crate::volume::plan_series(&metas) else { continue };
        let dims = plan.geometry.dims;
        let decision = deface_for_export(project, &series[0].meta.series_uid, dims).map_err(|e| e.to_string())?;
        let ExportDeface::Apply { mask, modality } = decision else { continue };
        let per = dims[0] * dims[1];
        if mask.len() != per * dims[2] {
            return Err(format!(
                "series {series_id}: the approved defacing mask does not fit the series grid {dims:?}"
            ));
        }
        let by_path: std::collections::HashMap<&std::path::Path, i64> =
            series.iter().map(|i| (i.meta.path.as_path(), i.instance_id)).collect();
        let air = crate::deid::deface::air_value(modality);
        let review = project.deface_review(&series[0].meta.series_uid).map_err(|e| e.to_string())?;
        let decision = super::manifest::Decision {
            status: "approved".into(),
            reviewer: review.as_ref().and_then(|r| r.reviewer.clone()),
            decided_at: review.as_ref().and_then(|r| r.decided_at.clone()),
            count: 0,
        };
        for (k, slot) in plan.slices.iter().enumerate() {
            let Some(f) = slot else { continue };
            let slice = &mask[k * per..(k + 1) * per];
            if !slice.iter().any(|&m| m != 0) {
                continue;
            }
            let Some(&id) = by_path.get(plan.paths[f.instance].as_path()) else { continue };
            let e =
                out.entry(id).or_insert_with(|| InstanceDeface { frames: Vec::new(), air, decision: decision.clone() });
            e.decision.count += slice.iter().filter(|&&m| m != 0).count() as u64;
            e.frames.push((f.frame as usize, slice.to_vec()));
        }
    }
    Ok(out)
}
