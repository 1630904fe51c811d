//! What defacing reads: a NIfTI file, or the largest series of a DICOM folder (or file) with
//! the header words that tell whether it is a head.

use std::path::Path;

use crate::dicom::{InstanceMeta, group_instances, scan_paths};
use crate::volume::{Volume, is_nifti_path, load_volume, plan_series, read_nifti};

use super::HeadHints;

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    Nifti(#[from] crate::volume::NiftiError),
    #[error(transparent)]
    Dicom(#[from] crate::dicom::DicomError),
    #[error("{path}: {reason}")]
    Series { path: String, reason: String },
}

/// Loads `path` for defacing.
pub fn load_input(path: &Path) -> Result<(Volume, HeadHints), InputError> {
    if path.is_file() && is_nifti_path(path) {
        return Ok((read_nifti(path)?, HeadHints::default()));
    }
    let fail = |reason: String| InputError::Series { path: path.display().to_string(), reason };
    let scan = scan_paths(&[path.to_path_buf()], &|_, _| {});
    let tree = group_instances(&scan.instances);
    let series = tree
        .iter()
        .flat_map(|p| &p.studies)
        .flat_map(|s| &s.series)
        .max_by_key(|s| s.frames)
        .ok_or_else(|| fail("no readable DICOM series".into()))?;
    let metas: Vec<_> = series.instances.iter().map(|&i| &scan.instances[i]).collect();
    load_series(&metas).map_err(fail)
}

/// Loads one series (its instances' metadata, as scanned or as stored in a project) for
/// defacing, with the header words that tell whether it is a head.
pub fn load_series(metas: &[&InstanceMeta]) -> Result<(Volume, HeadHints), String> {
    let first = metas.first().ok_or("the series has no instances")?;
    let plan = plan_series(metas).map_err(|e| e.to_string())?;
    let volume = load_volume(&plan, None).map_err(|e| e.to_string())?;
    let hints = head_hints(first);
    Ok((volume, hints))
}

/// The header words of a series (its first instance) that tell whether it is a head.
pub fn head_hints(first: &InstanceMeta) -> HeadHints {
    let descriptions =
        [&first.study_description, &first.series_description].into_iter().flatten().cloned().collect::<Vec<_>>();
    HeadHints { modality: first.modality.clone().unwrap_or_default(), body_part: first.body_part.clone(), descriptions }
}
