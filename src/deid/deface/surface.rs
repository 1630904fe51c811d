//! The head surface: a per-modality skin threshold (CT: −300 HU; MR: half the Otsu threshold
//! between background and tissue), the largest connected body section on the coarse grid, and
//! the skin depth map: for every (x, z) column, the first tissue voxel met walking posterior
//! from the anterior edge of the grid.

use rayon::prelude::*;

use super::grid::{Canon, Coarse};
use super::head::BodyExtent;
use super::morph;

/// Imaging modality as defacing treats it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Modality {
    Ct,
    Mr,
}

/// Otsu's threshold of `values` over `bins` bins between their min and max.
pub fn otsu(values: &[f32], bins: usize) -> f32 {
    let (lo, hi) = values.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
        return lo;
    }
    let scale = (bins - 1) as f32 / (hi - lo);
    let mut hist = vec![0u64; bins];
    for &v in values {
        hist[((v - lo) * scale) as usize] += 1;
    }
    let total: u64 = hist.iter().sum();
    let sum_all: f64 = hist.iter().enumerate().map(|(i, &n)| i as f64 * n as f64).sum();
    let (mut w0, mut sum0, mut best, mut best_i) = (0f64, 0f64, -1f64, 0usize);
    for (i, &n) in hist.iter().enumerate() {
        w0 += n as f64;
        sum0 += i as f64 * n as f64;
        let w1 = total as f64 - w0;
        if w0 == 0.0 || w1 == 0.0 {
            continue;
        }
        let (m0, m1) = (sum0 / w0, (sum_all - sum0) / w1);
        let between = w0 * w1 * (m0 - m1) * (m0 - m1);
        if between > best {
            best = between;
            best_i = i;
        }
    }
    lo + (best_i as f32 + 0.5) / scale
}

/// Value above which a voxel is tissue rather than air.
pub fn skin_threshold(modality: Modality, coarse: &Coarse) -> f32 {
    match modality {
        Modality::Ct => -300.0,
        Modality::Mr => 0.5 * otsu(&coarse.values, 256),
    }
}

/// The largest connected section above the skin threshold (coarse), with its extent.
pub struct Body {
    pub mask: Vec<bool>,
    /// `mask` with enclosed cavities filled.
    pub filled: Vec<bool>,
    pub extent: BodyExtent,
}

pub fn body(coarse: &Coarse, threshold: f32) -> Body {
    let tissue: Vec<bool> = coarse.values.iter().map(|&v| v > threshold).collect();
    let (labels, sizes) = morph::components(&tissue, coarse.dims);
    let best = (1..sizes.len()).max_by_key(|&l| sizes[l]).unwrap_or(0) as u32;
    let mask: Vec<bool> = labels.iter().map(|&l| best != 0 && l == best).collect();
    let filled = morph::fill_from_border(&mask, coarse.dims);
    let [nx, ny, nz] = coarse.dims;
    // Widest axial section: the extent a reader would measure on one slice.
    let (mut lr, mut ap, mut zlo, mut zhi) = (0usize, 0usize, usize::MAX, 0usize);
    for z in 0..nz {
        let (mut x0, mut x1, mut y0, mut y1) = (usize::MAX, 0, usize::MAX, 0);
        for y in 0..ny {
            for x in 0..nx {
                if mask[coarse.idx(x, y, z)] {
                    (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
                }
            }
        }
        if x0 <= x1 {
            lr = lr.max(x1 - x0 + 1);
            ap = ap.max(y1 - y0 + 1);
            (zlo, zhi) = (zlo.min(z), zhi.max(z));
        }
    }
    let s = coarse.spacing;
    let extent = BodyExtent {
        left_right: lr as f64 * s[0],
        anterior_posterior: ap as f64 * s[1],
        inferior_superior: if zlo <= zhi { (zhi - zlo + 1) as f64 * s[2] } else { 0.0 },
    };
    Body { mask, filled, extent }
}

/// Anterior skin position per (x, z) column of the canonical grid, as a y index; `None` where
/// the column misses the body. Tissue must lie in (or next to) the coarse body, so noise and
/// objects in front of the face do not count.
pub struct DepthMap {
    pub nx: usize,
    pub nz: usize,
    pub y: Vec<Option<u32>>,
}

impl DepthMap {
    pub fn at(&self, x: usize, z: usize) -> Option<u32> {
        self.y[x + self.nx * z]
    }
}

pub fn depth_map(c: &Canon, coarse: &Coarse, body: &[bool], threshold: f32, removed: Option<&[bool]>) -> DepthMap {
    let [nx, ny, nz] = c.dims;
    let near_body =
        morph::dilate(body, coarse.dims, coarse.spacing, coarse.spacing.iter().cloned().fold(0.0, f64::max));
    let mut y = vec![None; nx * nz];
    y.par_chunks_mut(nx).enumerate().for_each(|(z, row)| {
        for (x, out) in row.iter_mut().enumerate() {
            *out = (0..ny)
                .find(|&yy| {
                    let i = c.idx(x, yy, z);
                    c.values[i] > threshold && near_body[coarse.of_fine(x, yy, z)] && removed.is_none_or(|r| !r[i])
                })
                .map(|v| v as u32);
        }
    });
    DepthMap { nx, nz, y }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn otsu_splits_two_clusters_between_them() {
        let mut v = vec![10.0f32; 500];
        v.extend(std::iter::repeat_n(200.0f32, 300));
        let t = otsu(&v, 256);
        assert!(t > 10.0 && t < 200.0, "{t}");
    }
}
