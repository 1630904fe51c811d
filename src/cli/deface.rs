//! `sumi deface`: decide whether a series (DICOM folder or NIfTI file) is a head with the face
//! in view, write the removal mask (and optionally the defaced volume and a front render), and
//! print a JSON summary. `sumi bench deface` times the proposal alone.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use serde_json::json;
use sumi::deid::deface::{DefaceParams, apply, load_input, propose, render_front, render_side};
use sumi::volume::{NiftiVoxels, write_nifti};

use super::CliResult;

pub struct DefaceArgs {
    pub input: PathBuf,
    pub out_mask: PathBuf,
    pub out_volume: Option<PathBuf>,
    pub render: Option<PathBuf>,
    pub render_side: Option<PathBuf>,
    pub out_brain: Option<PathBuf>,
    pub margin_mm: Option<f64>,
    pub json: bool,
}

pub fn deface(a: DefaceArgs) -> CliResult {
    let start = Instant::now();
    let (mut volume, hints) = load_input(&a.input)?;
    let loaded = start.elapsed().as_secs_f64();
    let mut params = DefaceParams::default();
    if let Some(m) = a.margin_mm {
        params.margin_mm = m;
    }
    let t = Instant::now();
    let p = propose(&volume, &hints, &params)?;
    let seconds = t.elapsed().as_secs_f64();
    let mask = if p.mask.is_empty() { vec![0u8; volume.geometry.voxel_count()] } else { p.mask.clone() };
    write_nifti(&a.out_mask, &volume.geometry, NiftiVoxels::U8(&mask))?;
    if let Some(b) = a.out_brain.as_ref().filter(|_| !p.intracranial.is_empty()) {
        write_nifti(b, &volume.geometry, NiftiVoxels::U8(&p.intracranial))?;
    }
    if let Some(r) = &a.render {
        render_front(&volume, &p)?.save(r).map_err(|e| format!("{}: {e}", r.display()))?;
    }
    if let Some(r) = &a.render_side {
        render_side(&volume, &p)?.save(r).map_err(|e| format!("{}: {e}", r.display()))?;
    }
    if let Some(out) = &a.out_volume {
        apply(&mut volume, &mask, p.modality)?;
        let voxels = NiftiVoxels::from_voxels(&volume.voxels).ok_or("colour volumes cannot be written as NIfTI")?;
        write_nifti(out, &volume.geometry, voxels)?;
    }
    let report = json!({
        "input": a.input,
        "is_head": p.is_head,
        "face_in_view": p.face_in_view,
        "reason": p.reason(),
        "modality": p.modality,
        "dims": volume.geometry.dims,
        "removed_voxels": p.removed_voxels,
        "removed_tissue_voxels": p.removed_tissue_voxels,
        "brain_voxels_removed": p.intracranial_removed,
        "intracranial_voxels": p.intracranial_voxels,
        "landmarks": p.landmarks,
        "zone": p.zone,
        "params": p.params,
        "seconds": seconds,
        "load_seconds": loaded,
    });
    if a.json {
        println!("{report}");
    } else {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(ExitCode::SUCCESS)
}

/// Times `propose` on one input, `runs` times after one warm-up; prints the median.
pub fn bench_deface(input: &Path, runs: usize) -> CliResult {
    let (volume, hints) = load_input(input)?;
    let params = DefaceParams::default();
    let _ = propose(&volume, &hints, &params)?;
    let mut times: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let t = Instant::now();
            let p = propose(&volume, &hints, &params);
            let s = t.elapsed().as_secs_f64();
            p.map(|_| s)
        })
        .collect::<Result<_, _>>()?;
    times.sort_by(f64::total_cmp);
    let report = json!({
        "input": input,
        "dims": volume.geometry.dims,
        "threads": rayon::current_num_threads(),
        "runs": times.len(),
        "median_seconds": times[times.len() / 2],
        "min_seconds": times[0],
    });
    println!("{report}");
    Ok(ExitCode::SUCCESS)
}
