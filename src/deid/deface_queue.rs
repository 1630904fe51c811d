//! Filling the defacing review of a project, and what an export applies. Every CT/MR series is
//! loaded from the files the project indexes, checked (`deface::propose`) and stored: a head as
//! 'pending' with its removal mask (or none when no face was found, for a reviewer to
//! confirm), anything else as 'not-head' with the reason, so an export's pre-flight knows the
//! series was checked. Reviews already decided are left alone.

use rusqlite::params;

use crate::dicom::InstanceMeta;
use crate::project::deface_review::DefaceStatus;
use crate::project::{Project, ProjectError};
use crate::volume::Volume;

use super::deface::{self, DefaceError, DefaceParams, Modality, load_series};

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct DefaceQueueSummary {
    /// CT/MR series looked at.
    pub examined: usize,
    /// Heads with a removal mask proposed (pending).
    pub proposed: usize,
    /// Heads where no face was found (pending, nothing to remove).
    pub no_face: usize,
    pub not_head: usize,
    /// Series whose review was already decided (left as decided).
    pub already_decided: usize,
    /// "series UID: why" for series that could not be loaded or checked (not stored).
    pub failed: Vec<String>,
}

/// (series row id, Series Instance UID) of every CT/MR series, by UID.
fn ct_mr_series(project: &Project) -> Result<Vec<(i64, String)>, ProjectError> {
    let mut stmt = project
        .conn
        .prepare(
            "SELECT s.id, s.series_uid FROM series s
             WHERE upper(coalesce(s.modality,
                 (SELECT i.modality FROM instances i WHERE i.series_ref = s.id LIMIT 1), '')) IN ('CT', 'MR')
             ORDER BY s.series_uid",
        )
        .map_err(|e| project.err(e))?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(|e| project.err(e))?;
    rows.collect::<Result<_, _>>().map_err(|e| project.err(e))
}

/// The stored metadata of a series' instances.
fn series_metas(project: &Project, series_ref: i64) -> Result<Result<Vec<InstanceMeta>, String>, ProjectError> {
    let mut stmt = project
        .conn
        .prepare("SELECT path, meta_json FROM instances WHERE series_ref = ?1 ORDER BY instance_number, path")
        .map_err(|e| project.err(e))?;
    let rows: Vec<(String, String)> = stmt
        .query_map(params![series_ref], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(|e| project.err(e))?
        .collect::<Result<_, _>>()
        .map_err(|e| project.err(e))?;
    Ok(rows
        .into_iter()
        .map(|(path, json)| serde_json::from_str(&json).map_err(|e| format!("{path}: stored metadata unreadable: {e}")))
        .collect())
}

/// Checks every CT/MR series of the project and stores the proposals (see the module doc).
pub fn propose_deface_for_project(
    project: &mut Project,
    params: &DefaceParams,
) -> Result<DefaceQueueSummary, ProjectError> {
    let mut summary = DefaceQueueSummary::default();
    for (series_ref, uid) in ct_mr_series(project)? {
        summary.examined += 1;
        if project
            .deface_review(&uid)?
            .is_some_and(|r| matches!(r.status, DefaceStatus::Approved | DefaceStatus::Rejected))
        {
            summary.already_decided += 1;
            continue;
        }
        let proposal = series_metas(project, series_ref)?.and_then(|metas| {
            let refs: Vec<&InstanceMeta> = metas.iter().collect();
            let (volume, hints) = load_series(&refs)?;
            deface::propose(&volume, &hints, params).map_err(|e| e.to_string())
        });
        let p = match proposal {
            Ok(p) => p,
            Err(e) => {
                summary.failed.push(format!("{uid}: {e}"));
                continue;
            }
        };
        project.propose_deface(&uid, &p)?;
        match (p.is_head, p.removed_voxels > 0) {
            (false, _) => summary.not_head += 1,
            (true, true) => summary.proposed += 1,
            (true, false) => summary.no_face += 1,
        }
    }
    Ok(summary)
}

/// What an export does with one series' voxels.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportDeface {
    /// Set the masked voxels (volume voxel order, 1 = remove) to air (`deface::apply`).
    Apply { mask: Vec<u8>, modality: Modality },
    /// Checked: not a head.
    NotHead,
    /// Approved with nothing to remove (a head with no face in view).
    NothingToRemove,
    /// The series may not be exported yet: never checked, pending, or the proposal was rejected.
    NotReady(String),
}

#[derive(Debug, thiserror::Error)]
pub enum DefaceQueueError {
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error("series {series_uid}: {reason}")]
    NotReady { series_uid: String, reason: String },
    #[error("series {series_uid}: {source}")]
    Deface {
        series_uid: String,
        #[source]
        source: DefaceError,
    },
}

/// What the review of `series_uid` says an export must do to a volume of `dims`.
pub fn deface_for_export(project: &Project, series_uid: &str, dims: [usize; 3]) -> Result<ExportDeface, ProjectError> {
    let Some(review) = project.deface_review(series_uid)? else {
        return Ok(ExportDeface::NotReady("not checked for a face".into()));
    };
    match review.status {
        DefaceStatus::NotHead => return Ok(ExportDeface::NotHead),
        DefaceStatus::Pending => return Ok(ExportDeface::NotReady("defacing proposal not reviewed yet".into())),
        DefaceStatus::Rejected => return Ok(ExportDeface::NotReady("defacing proposal rejected".into())),
        DefaceStatus::Approved => {}
    }
    if !review.removes_anything() {
        return Ok(ExportDeface::NothingToRemove);
    }
    let invalid = |reason: String| ProjectError::Invalid { path: project.path.clone(), reason };
    if review.dims != dims {
        return Err(invalid(format!(
            "series {series_uid}: the approved defacing mask is for a {:?} grid, the volume is {dims:?}",
            review.dims
        )));
    }
    let mask = review.mask().map_err(|e| invalid(format!("series {series_uid}: defacing mask: {e}")))?;
    Ok(ExportDeface::Apply { mask, modality: review.proposal.modality })
}

/// Applies the approved review of `series_uid` to `v` (the series' volume). Returns how many
/// voxels changed; 0 for a series checked and found not to need it. Refuses a series whose
/// review is missing, pending or rejected.
pub fn apply_approved_deface(project: &Project, series_uid: &str, v: &mut Volume) -> Result<usize, DefaceQueueError> {
    match deface_for_export(project, series_uid, v.geometry.dims)? {
        ExportDeface::Apply { mask, modality } => deface::apply(v, &mask, modality)
            .map_err(|source| DefaceQueueError::Deface { series_uid: series_uid.into(), source }),
        ExportDeface::NotHead | ExportDeface::NothingToRemove => Ok(0),
        ExportDeface::NotReady(reason) => Err(DefaceQueueError::NotReady { series_uid: series_uid.into(), reason }),
    }
}
