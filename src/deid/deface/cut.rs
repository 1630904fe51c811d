//! The cut surface and the removal mask. Per (x, z) column of the face zone (below the brow
//! line, within a face-wide band around the midline), the cut lies `depth_mm` behind the
//! deepest skin point within `envelope_mm` (so the nose, lips and eyelids are behind it, not
//! copied into it), never more than `max_depth_mm` behind the column's own skin nor
//! `face_depth_mm` behind the zone's most anterior skin (the nose tip), and never
//! behind the first protected voxel (intracranial estimate + margin). The surface is smoothed
//! and capped again. Everything anterior to it in the column (skin, bone, air and any ghost
//! of the face in the air) is removed.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::DefaceParams;
use super::grid::{Canon, Coarse};
use super::surface::DepthMap;

/// Which columns may be cut (canonical voxels).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Zone {
    /// Columns at or below this z (the brow line).
    pub brow_z: usize,
    pub x_mid: usize,
    pub half_width_mm: f64,
}

/// Per column, the y index (canonical) of the first protected voxel, or ny.
pub fn protected_front(c: &Canon, coarse: &Coarse, protected: &[bool]) -> Vec<u32> {
    let [nx, ny, nz] = c.dims;
    let [cx, cy, _] = coarse.dims;
    let mut out = vec![ny as u32; nx * nz];
    out.par_chunks_mut(nx).enumerate().for_each(|(z, row)| {
        let bz = z / coarse.factor[2];
        for (x, v) in row.iter_mut().enumerate() {
            let bx = x / coarse.factor[0];
            if let Some(by) = (0..cy).find(|&by| protected[bx + cx * (by + cy * bz)]) {
                *v = (by * coarse.factor[1]).min(ny) as u32;
            }
        }
    });
    out
}

/// Running extremum / mean of `v` over ±`r` samples along x (stride 1) or z (stride nx).
fn filter_1d(v: &[f64], nx: usize, nz: usize, along_x: bool, r: usize, f: fn(&[f64]) -> f64) -> Vec<f64> {
    let mut out = vec![f64::NAN; v.len()];
    out.par_chunks_mut(nx).enumerate().for_each_init(Vec::new, |buf, (z, row)| {
        for (x, o) in row.iter_mut().enumerate() {
            buf.clear();
            if along_x {
                buf.extend((x.saturating_sub(r)..=(x + r).min(nx - 1)).map(|xx| v[xx + nx * z]));
            } else {
                buf.extend((z.saturating_sub(r)..=(z + r).min(nz - 1)).map(|zz| v[x + nx * zz]));
            }
            *o = f(buf);
        }
    });
    out
}

fn max_finite(w: &[f64]) -> f64 {
    w.iter().copied().filter(|v| v.is_finite()).fold(f64::NAN, f64::max)
}

fn mean(w: &[f64]) -> f64 {
    w.iter().sum::<f64>() / w.len().max(1) as f64
}

/// The cut: per column, voxels with y below the value are removed (0 = none).
pub fn cut_surface(c: &Canon, skin: &DepthMap, front: &[u32], zone: &Zone, p: &DefaceParams) -> Vec<u32> {
    let [nx, _, nz] = c.dims;
    let [sx, sy, sz] = c.spacing;
    let skin_mm: Vec<f64> = skin.y.iter().map(|y| y.map_or(f64::NAN, |y| f64::from(y) * sy)).collect();
    let rx = (p.envelope_mm / sx).round() as usize;
    let rz = (p.envelope_mm / sz).round() as usize;
    let env = filter_1d(&filter_1d(&skin_mm, nx, nz, true, rx, max_finite), nx, nz, false, rz, max_finite);
    let in_zone =
        |x: usize, z: usize| z <= zone.brow_z && ((x as f64 - zone.x_mid as f64) * sx).abs() <= zone.half_width_mm;
    let face_front = (0..nx * nz)
        .filter(|&i| in_zone(i % nx, i / nx))
        .map(|i| skin_mm[i])
        .filter(|v| v.is_finite())
        .fold(f64::INFINITY, f64::min);
    let cap = |i: usize| (f64::from(front[i]) * sy).min(face_front + p.face_depth_mm);
    let raw: Vec<f64> = (0..nx * nz)
        .map(|i| {
            let (x, z) = (i % nx, i / nx);
            if !in_zone(x, z) || env[i].is_nan() {
                return 0.0;
            }
            let mut cut = env[i] + p.depth_mm;
            if skin_mm[i].is_finite() {
                cut = cut.min(skin_mm[i] + p.max_depth_mm);
            }
            cut.min(cap(i)).max(0.0)
        })
        .collect();
    let (qx, qz) = ((p.smooth_mm / sx).round() as usize, (p.smooth_mm / sz).round() as usize);
    let smooth = filter_1d(&filter_1d(&raw, nx, nz, true, qx, mean), nx, nz, false, qz, mean);
    // Smoothing may lift the surface past a cap or out of the zone: cap again.
    (0..nx * nz)
        .map(|i| if raw[i] <= 0.0 && !in_zone(i % nx, i / nx) { 0.0 } else { smooth[i].min(cap(i)) })
        .map(|mm| (mm / sy).floor().max(0.0) as u32)
        .collect()
}

/// The removal mask in the original volume's voxel order (1 = remove).
pub fn mask(c: &Canon, cut: &[u32], n_voxels: usize) -> Vec<u8> {
    let [nx, ny, nz] = c.dims;
    let mut m = vec![0u8; n_voxels];
    for z in 0..nz {
        for x in 0..nx {
            for y in 0..(cut[x + nx * z] as usize).min(ny) {
                m[c.orig_index(x, y, z)] = 1;
            }
        }
    }
    m
}
