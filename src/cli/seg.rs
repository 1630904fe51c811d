//! `sumi seg from-nifti` / `sumi seg to-nifti`: label maps between NIfTI (+ a JSON label table)
//! and DICOM SEG on the grid of a reference DICOM series; a JSON summary on stdout.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use serde_json::json;
use sumi::annotate::io::{
    ReferenceSeries, SegOptions, read_label_nifti, read_label_table, read_seg, write_label_nifti, write_label_table,
    write_seg,
};

use super::CliResult;

pub struct FromNiftiArgs {
    pub labels_nifti: PathBuf,
    pub reference: PathBuf,
    pub labels: Option<PathBuf>,
    pub out: PathBuf,
    pub creator: Option<String>,
}

pub fn seg_from_nifti(a: FromNiftiArgs) -> CliResult {
    let start = Instant::now();
    let reference = ReferenceSeries::load(&a.reference)?;
    let labels = a.labels.as_deref().map(read_label_table).transpose()?.unwrap_or_default();
    let (map, mapping) = read_label_nifti(&a.labels_nifti, &reference.geometry, &a.reference)?;
    let mut options = SegOptions::default();
    if let Some(c) = a.creator {
        options.content_creator = c;
    }
    let written = write_seg(&a.out, &reference, &map, &labels, &options)?;
    let report = json!({
        "input": a.labels_nifti,
        "reference": a.reference,
        "out": written.path,
        "dims": reference.geometry.dims,
        "reordered_axes": !mapping.is_identity(),
        "frames": written.frames,
        "segments": written.segments,
        "unlisted_values": written.unlisted_values,
        "sop_instance_uid": written.sop_instance_uid,
        "seconds": start.elapsed().as_secs_f64(),
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(ExitCode::SUCCESS)
}

pub fn seg_to_nifti(seg: PathBuf, reference_dir: PathBuf, out: PathBuf, labels_out: Option<PathBuf>) -> CliResult {
    let start = Instant::now();
    let reference = ReferenceSeries::load(&reference_dir)?;
    let read = read_seg(&seg, &reference)?;
    write_label_nifti(&out, &reference.geometry, &read.map)?;
    if let Some(l) = &labels_out {
        write_label_table(l, &read.labels)?;
    }
    let report = json!({
        "input": seg,
        "reference": reference_dir,
        "out": out,
        "labels_out": labels_out,
        "dims": reference.geometry.dims,
        "frames": read.frames,
        "frames_by_position": read.frames_by_position,
        "overlapping_voxels": read.overlapping_voxels,
        "segments": read.segments,
        "seconds": start.elapsed().as_secs_f64(),
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(ExitCode::SUCCESS)
}
