//! Viola–Jones evaluation: the cascade's training-size window slides over every pyramid level
//! of the image and of its mirror image (levels in parallel); a window is a hit when it passes
//! every stage.

use rayon::prelude::*;

use super::cascade::Cascade;
use super::integral::{Integral, corners, rect_sum};
use super::pyramid::{downscale, scales};

/// A window that passed the whole cascade, in original image pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// Search settings; the defaults are OpenCV's `detectMultiScale` ones.
#[derive(Debug, Clone, Copy)]
pub struct ScanParams {
    /// Ratio between pyramid levels.
    pub scale_step: f32,
    /// Smallest face side searched, pixels (the window itself when smaller).
    pub min_face: u32,
    /// Also scan the left-right mirror image. A face is near symmetric, so it passes the cascade
    /// in both and its hits double; clutter that happens to pass in one rarely passes in the
    /// other. On the test photos this halves the false faces at equal recall, for twice the time.
    pub mirror: bool,
}

impl Default for ScanParams {
    fn default() -> Self {
        ScanParams { scale_step: 1.1, min_face: 0, mirror: true }
    }
}

/// Every hit at every scale of an 8-bit image (and of its mirror image, mapped back).
pub fn scan(pixels: &[u8], width: usize, height: usize, cascade: &Cascade, params: ScanParams) -> Vec<Hit> {
    if width == 0 || pixels.len() < width * height {
        return Vec::new();
    }
    let pixels = &pixels[..width * height];
    let mirrored: Vec<u8> = if params.mirror {
        pixels.chunks_exact(width).flat_map(|row| row.iter().rev().copied()).collect()
    } else {
        Vec::new()
    };
    let levels = scales(width, height, (cascade.width, cascade.height), params.scale_step, params.min_face);
    let passes: Vec<(f32, bool)> =
        levels.iter().flat_map(|&f| std::iter::once((f, false)).chain(params.mirror.then_some((f, true)))).collect();
    passes
        .into_par_iter()
        .flat_map_iter(|(f, flip)| {
            let src = if flip { &mirrored[..] } else { pixels };
            scan_level(src, width, height, cascade, f)
                .into_iter()
                .map(move |h| if flip { Hit { x: width as u32 - h.x - h.w, ..h } } else { h })
        })
        .collect()
}

fn scan_level(pixels: &[u8], width: usize, height: usize, cascade: &Cascade, factor: f32) -> Vec<Hit> {
    let (small, w, h) = downscale(pixels, width, height, factor);
    let (ww, wh) = (cascade.width as usize, cascade.height as usize);
    if w < ww || h < wh {
        return Vec::new();
    }
    let table = Integral::new(&small, w, h);
    let eval = Evaluator::new(cascade, table.stride);
    // OpenCV's stride: every other window position on the finer levels, every one on the coarse.
    let step = if factor >= 2.0 { 1 } else { 2 };
    let size = (ww as f32 * factor).round() as u32;
    let size_h = (wh as f32 * factor).round() as u32;
    let mut hits = Vec::new();
    for y in (0..=h - wh).step_by(step) {
        let mut x = 0;
        while x <= w - ww {
            match eval.run(&table, y * table.stride + x) {
                Outcome::Face => {
                    let px = ((x as f32 * factor).round() as u32).min(width as u32 - size.min(width as u32));
                    let py = ((y as f32 * factor).round() as u32).min(height as u32 - size_h.min(height as u32));
                    hits.push(Hit { x: px, y: py, w: size, h: size_h });
                }
                // OpenCV skips the next position after a first-stage rejection: its neighbour
                // overlaps 90 % and almost never passes either.
                Outcome::FirstStage => x += step,
                Outcome::Flat | Outcome::Later => {}
            }
            x += step;
        }
    }
    hits
}

/// 1 / the smallest window standard deviation searched (OpenCV: `area * varianceNormFactor < 0.1`).
const MIN_INV_SIGMA: f64 = 0.1;

enum Outcome {
    Face,
    /// Too smooth to be examined.
    Flat,
    FirstStage,
    Later,
}

/// A feature with its rectangles' corners resolved for one table stride; a missing third
/// rectangle has weight 0.
struct Prepared {
    corners: [[usize; 4]; 3],
    weights: [f32; 3],
}

/// The cascade laid out flat for one pyramid level.
struct Evaluator<'a> {
    cascade: &'a Cascade,
    features: Vec<Prepared>,
    /// The variance window: the training window less a one-pixel border, as OpenCV's `normrect`.
    norm: [usize; 4],
    norm_area: f64,
}

impl<'a> Evaluator<'a> {
    fn new(cascade: &'a Cascade, stride: usize) -> Evaluator<'a> {
        let features = cascade
            .features
            .iter()
            .map(|f| {
                let mut p = Prepared { corners: [[0; 4]; 3], weights: [0.0; 3] };
                for (k, r) in f.rects.iter().take(3).enumerate() {
                    p.corners[k] = corners(r.x as usize, r.y as usize, r.w as usize, r.h as usize, stride);
                    p.weights[k] = r.weight;
                }
                p
            })
            .collect();
        let (nw, nh) =
            (cascade.width.saturating_sub(2).max(1) as usize, cascade.height.saturating_sub(2).max(1) as usize);
        Evaluator { cascade, features, norm: corners(1, 1, nw, nh, stride), norm_area: (nw * nh) as f64 }
    }

    /// Runs the stages on the window whose top-left table offset is `base`.
    fn run(&self, t: &Integral, base: usize) -> Outcome {
        let s = f64::from(rect_sum(&t.sum, base, &self.norm));
        let q = f64::from(rect_sum(&t.sq, base, &self.norm));
        // Feature values are divided by area × standard deviation (`nf`), so that contrast and
        // brightness do not matter. Like OpenCV, windows with a standard deviation of 10 grey
        // levels or less are no face: too smooth to tell, and the cause of most false hits.
        let nf = self.norm_area * q - s * s;
        if nf <= 0.0 || self.norm_area / nf.sqrt() >= MIN_INV_SIGMA {
            return Outcome::Flat;
        }
        let inv = (1.0 / nf.sqrt()) as f32;
        for (k, stage) in self.cascade.stages.iter().enumerate() {
            let mut sum = 0.0f32;
            for tree in &stage.trees {
                let mut idx = 0i32;
                loop {
                    let node = &tree.nodes[idx as usize];
                    let f = &self.features[node.feature as usize];
                    let mut v = f.weights[0] * rect_sum(&t.sum, base, &f.corners[0]) as f32
                        + f.weights[1] * rect_sum(&t.sum, base, &f.corners[1]) as f32;
                    if f.weights[2] != 0.0 {
                        v += f.weights[2] * rect_sum(&t.sum, base, &f.corners[2]) as f32;
                    }
                    idx = if v * inv < node.threshold { node.left } else { node.right };
                    if idx <= 0 {
                        break;
                    }
                }
                sum += tree.leaves[(-idx) as usize];
            }
            if sum < stage.threshold {
                return if k == 0 { Outcome::FirstStage } else { Outcome::Later };
            }
        }
        Outcome::Face
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_image_has_no_hits() {
        let (w, h) = (120, 90);
        assert!(scan(&vec![128u8; w * h], w, h, Cascade::frontal_face(), ScanParams::default()).is_empty());
    }

    #[test]
    fn too_few_pixels_for_the_stated_size_give_no_hits_instead_of_a_panic() {
        assert!(scan(&[0u8; 10], 100, 100, Cascade::frontal_face(), ScanParams::default()).is_empty());
    }
}
