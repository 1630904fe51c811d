//! Viola–Jones evaluation: the cascade's training-size window slides over every pyramid level
//! (levels in parallel); a window is a hit when it passes every stage. A second pass checks the
//! mirror image, only around the first pass's hits.

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

/// Search settings; scale step, stride and variance gate are OpenCV's `detectMultiScale` ones.
#[derive(Debug, Clone, Copy)]
pub struct ScanParams {
    /// Ratio between pyramid levels.
    pub scale_step: f32,
    /// Smallest face side searched, pixels (the window itself when smaller).
    pub min_face: u32,
    /// Bounds the work on large photos: faces narrower than window × longer side / `max_side`
    /// (1 % of the longer side for the 20 px window and 2000) are not searched, so a 24 MP
    /// camera photo costs about what a 2000 px one does.
    pub max_side: u32,
    /// Also look for each hit in the left-right mirror image. A face is near symmetric, so it
    /// passes the cascade in both and its hits double; clutter that happens to pass in one
    /// rarely passes in the other. On the test photos this halves the false faces at equal
    /// recall. Only windows near first-pass hits are tried, so it costs little.
    pub mirror: bool,
}

impl Default for ScanParams {
    fn default() -> Self {
        ScanParams { scale_step: 1.1, min_face: 0, max_side: 2000, mirror: true }
    }
}

/// Every hit at every scale of an 8-bit image, then the mirror image's hits near them (mapped
/// back into the image).
pub fn scan(pixels: &[u8], width: usize, height: usize, cascade: &Cascade, params: ScanParams) -> Vec<Hit> {
    if width == 0 || pixels.len() < width * height {
        return Vec::new();
    }
    let pixels = &pixels[..width * height];
    let min_face = smallest_face(width, height, cascade.width, params);
    let levels = scales(width, height, (cascade.width, cascade.height), params.scale_step, min_face);
    let scanned: Vec<(Level, Vec<Hit>)> = levels
        .into_par_iter()
        .filter_map(|f| Level::new(pixels, width, height, cascade, f))
        .map(|level| {
            let hits = level.scan_all(cascade);
            (level, hits)
        })
        .collect();
    let mut hits: Vec<Hit> = scanned.iter().flat_map(|(_, h)| h.iter().copied()).collect();
    if params.mirror && !hits.is_empty() {
        let mirrored: Vec<Hit> =
            scanned.par_iter().flat_map_iter(|(level, _)| level.scan_mirror_near(cascade, &hits)).collect();
        hits.extend(mirrored);
    }
    hits
}

/// The smallest face side searched in a `width` × `height` image: the caller's minimum, raised
/// on photos longer than `max_side` in proportion to their size.
fn smallest_face(width: usize, height: usize, window: u32, params: ScanParams) -> u32 {
    let longest = width.max(height) as f32;
    let bounded = (window as f32 * longest / params.max_side.max(1) as f32).ceil() as u32;
    params.min_face.max(bounded)
}

/// One pyramid level: the image resized by 1/`factor`.
struct Level {
    factor: f32,
    small: Vec<u8>,
    w: usize,
    h: usize,
    /// The original image's size.
    width: usize,
    height: usize,
    /// The window's size in original pixels.
    size: (u32, u32),
}

impl Level {
    fn new(pixels: &[u8], width: usize, height: usize, cascade: &Cascade, factor: f32) -> Option<Level> {
        let (small, w, h) = downscale(pixels, width, height, factor);
        if w < cascade.width as usize || h < cascade.height as usize {
            return None;
        }
        let size = ((cascade.width as f32 * factor).round() as u32, (cascade.height as f32 * factor).round() as u32);
        Some(Level { factor, small, w, h, width, height, size })
    }

    /// OpenCV's stride: every other window position on the finer levels, every one on the coarse.
    fn step(&self) -> usize {
        if self.factor >= 2.0 { 1 } else { 2 }
    }

    /// The window at level position (x, y) in original pixels.
    fn hit(&self, x: usize, y: usize) -> Hit {
        let (sw, sh) = self.size;
        let px = ((x as f32 * self.factor).round() as u32).min(self.width as u32 - sw.min(self.width as u32));
        let py = ((y as f32 * self.factor).round() as u32).min(self.height as u32 - sh.min(self.height as u32));
        Hit { x: px, y: py, w: sw, h: sh }
    }

    fn scan_all(&self, cascade: &Cascade) -> Vec<Hit> {
        let table = Integral::new(&self.small, self.w, self.h);
        let eval = Evaluator::new(cascade, table.stride);
        let (ww, wh) = (cascade.width as usize, cascade.height as usize);
        let step = self.step();
        let mut hits = Vec::new();
        for y in (0..=self.h - wh).step_by(step) {
            let mut x = 0;
            while x <= self.w - ww {
                match eval.run(&table, y * table.stride + x) {
                    Outcome::Face => hits.push(self.hit(x, y)),
                    // OpenCV skips the next position after a first-stage rejection: its
                    // neighbour overlaps 90 % and almost never passes either.
                    Outcome::FirstStage => x += step,
                    Outcome::Flat | Outcome::Later => {}
                }
                x += step;
            }
        }
        hits
    }

    /// Hits in the mirror image of this level at the positions that fall near one of `near`
    /// (a hit of similar size, corners within a quarter of the size), mapped back.
    fn scan_mirror_near(&self, cascade: &Cascade, near: &[Hit]) -> Vec<Hit> {
        let (ww, wh) = (cascade.width as usize, cascade.height as usize);
        let (nx, ny) = (self.w - ww + 1, self.h - wh + 1);
        let step = self.step();
        let s = self.size.0 as f32;
        let mut wanted = vec![false; nx * ny];
        let mut any = false;
        for h in near.iter().filter(|h| (h.w as f32) < 1.5 * s && s < 1.5 * h.w as f32) {
            let d = 0.25 * s.max(h.w as f32);
            // A mirrored window at level x shows original x = width − x·factor − size.
            let right = self.width as f32 - s;
            let x0 = ((right - (h.x as f32 + d)) / self.factor).floor().max(0.0) as usize;
            let x1 = (((right - (h.x as f32 - d)) / self.factor).ceil().max(0.0) as usize).min(nx - 1);
            let y0 = ((h.y as f32 - d) / self.factor).floor().max(0.0) as usize;
            let y1 = (((h.y as f32 + d) / self.factor).ceil().max(0.0) as usize).min(ny - 1);
            for y in (y0.div_ceil(step) * step..=y1).step_by(step) {
                for x in (x0.div_ceil(step) * step..=x1).step_by(step) {
                    wanted[y * nx + x] = true;
                    any = true;
                }
            }
        }
        if !any {
            return Vec::new();
        }
        let mirrored: Vec<u8> = self.small.chunks_exact(self.w).flat_map(|row| row.iter().rev().copied()).collect();
        let table = Integral::new(&mirrored, self.w, self.h);
        let eval = Evaluator::new(cascade, table.stride);
        let mut hits = Vec::new();
        for (i, _) in wanted.iter().enumerate().filter(|(_, w)| **w) {
            let (x, y) = (i % nx, i / nx);
            if let Outcome::Face = eval.run(&table, y * table.stride + x) {
                let h = self.hit(x, y);
                hits.push(Hit { x: self.width as u32 - h.x - h.w, ..h });
            }
        }
        hits
    }
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

/// A tree node with its feature's rectangles resolved for one table stride, so the hot loop
/// reads one record per node; a missing third rectangle has weight 0.
#[derive(Clone, Copy)]
struct FlatNode {
    corners: [[u32; 4]; 3],
    weights: [f32; 3],
    threshold: f32,
    left: i32,
    right: i32,
}

/// The cascade laid out flat for one pyramid level: nodes, trees and stages in plain arrays.
struct Evaluator {
    nodes: Vec<FlatNode>,
    /// Per tree: its first node and first leaf.
    trees: Vec<(u32, u32)>,
    leaves: Vec<f32>,
    /// Per stage: threshold and its range of trees.
    stages: Vec<(f32, std::ops::Range<usize>)>,
    /// The variance window: the training window less a one-pixel border, as OpenCV's `normrect`.
    norm: [usize; 4],
    norm_area: f64,
}

impl Evaluator {
    fn new(cascade: &Cascade, stride: usize) -> Evaluator {
        let resolve = |feature: u32| {
            let mut c = [[0u32; 4]; 3];
            let mut w = [0f32; 3];
            for (k, r) in cascade.features[feature as usize].rects.iter().take(3).enumerate() {
                let full = corners(r.x as usize, r.y as usize, r.w as usize, r.h as usize, stride);
                c[k] = full.map(|o| o as u32);
                w[k] = r.weight;
            }
            (c, w)
        };
        let (mut nodes, mut trees, mut leaves, mut stages) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for stage in &cascade.stages {
            let first = trees.len();
            for tree in &stage.trees {
                trees.push((nodes.len() as u32, leaves.len() as u32));
                for n in &tree.nodes {
                    let (corners, weights) = resolve(n.feature);
                    nodes.push(FlatNode { corners, weights, threshold: n.threshold, left: n.left, right: n.right });
                }
                leaves.extend_from_slice(&tree.leaves);
            }
            stages.push((stage.threshold, first..trees.len()));
        }
        let (nw, nh) =
            (cascade.width.saturating_sub(2).max(1) as usize, cascade.height.saturating_sub(2).max(1) as usize);
        Evaluator { nodes, trees, leaves, stages, norm: corners(1, 1, nw, nh, stride), norm_area: (nw * nh) as f64 }
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
        let window = &t.sum[base..];
        let sum = |c: &[u32; 4]| -> f32 {
            window[c[0] as usize]
                .wrapping_sub(window[c[1] as usize])
                .wrapping_sub(window[c[2] as usize])
                .wrapping_add(window[c[3] as usize]) as f32
        };
        for (k, (threshold, trees)) in self.stages.iter().enumerate() {
            let mut total = 0.0f32;
            for &(first_node, first_leaf) in &self.trees[trees.clone()] {
                let mut idx = 0i32;
                loop {
                    let n = &self.nodes[first_node as usize + idx as usize];
                    let mut v = n.weights[0] * sum(&n.corners[0]) + n.weights[1] * sum(&n.corners[1]);
                    if n.weights[2] != 0.0 {
                        v += n.weights[2] * sum(&n.corners[2]);
                    }
                    idx = if v * inv < n.threshold { n.left } else { n.right };
                    if idx <= 0 {
                        break;
                    }
                }
                total += self.leaves[first_leaf as usize + (-idx) as usize];
            }
            if total < *threshold {
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
    fn large_photos_are_searched_from_a_face_of_one_percent_of_their_longer_side() {
        let p = ScanParams::default();
        assert_eq!(smallest_face(1280, 886, 20, p), 13, "below the window: every level is searched");
        assert_eq!(smallest_face(6000, 4000, 20, p), 60);
        assert_eq!(smallest_face(6000, 4000, 20, ScanParams { min_face: 100, ..p }), 100);
    }

    #[test]
    fn too_few_pixels_for_the_stated_size_give_no_hits_instead_of_a_panic() {
        assert!(scan(&[0u8; 10], 100, 100, Cascade::frontal_face(), ScanParams::default()).is_empty());
    }
}
