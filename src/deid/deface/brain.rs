//! The intracranial region, estimated on the coarse grid, and the protected region around it.
//!
//! CT: bone (> 250 HU) is closed over small gaps, and each axial slice's bone rings are filled;
//! the soft tissue inside them, as one 3D component, is the cranial cavity (the largest such
//! enclosed region: the face's cavities are open to the front or full of air).
//! MR: tissue brighter than 0.8 × the Otsu threshold inside the head is eroded by 7 mm, which
//! cuts the thin bridges between brain and scalp/face through the dark skull and CSF; the
//! largest component centred above the middle of the head is the brain. In a blurred or
//! averaged head (muscle as bright as cortex) the bridges through the skull base survive that
//! erosion and the component spreads over the whole lower head, so the erosion is deepened
//! 1 mm at a time (up to 12 mm) while it keeps detaching inferior pieces from the brain (a
//! leak); it stops as soon as the brain itself would break into comparable pieces (a thin
//! tissue mask, e.g. white matter only). The chosen component is dilated back by the erosion
//! plus 3 mm (CSF and cortex that fell below the threshold), kept inside the head, and its
//! holes (ventricles) are filled per slice. Nothing below the nasal floor (15 mm under the nose
//! tip) is kept, as the posterior fossa ends about there and only the cord continues.

use super::grid::Coarse;
use super::morph;
use super::surface::{Modality, otsu};

const BONE_HU: f32 = 250.0;
const MR_ERODE_MM: f64 = 7.0;
const MR_ERODE_MAX_MM: f64 = 12.0;
/// How far past the erosion the brain is grown back.
const MR_REGROW_EXTRA_MM: f64 = 3.0;
/// A piece detached by deeper erosion is a leak when it holds at least this share of the
/// brain and lies below its centroid.
const LEAK_SHARE: f64 = 0.05;
/// The deeper erosion is refused when the brain keeps less than this share of its pieces.
const BRAIN_KEPT_SHARE: f64 = 0.6;

/// Anatomical limits from the face landmarks, in canonical (fine) voxels.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// Nothing intracranial below this z (the nasal floor).
    pub floor_z: Option<f64>,
    /// Below `z`, nothing intracranial anterior to `y` (behind the eyeballs: the temporal
    /// poles and the middle fossa lie behind the orbits).
    pub behind_eyes: Option<(f64, f64)>,
}

pub fn intracranial(modality: Modality, coarse: &Coarse, head_filled: &[bool], limits: Limits) -> Vec<bool> {
    let mut m = match modality {
        Modality::Ct => ct(coarse, head_filled),
        Modality::Mr => mr(coarse, head_filled),
    };
    let [nx, ny, _] = coarse.dims;
    let plane = nx * ny;
    let to_coarse = |v: f64, axis: usize| (v / coarse.factor[axis] as f64).floor().max(0.0) as usize;
    if let Some(z) = limits.floor_z {
        let below = to_coarse(z, 2).min(coarse.dims[2]);
        m[..below * plane].iter_mut().for_each(|b| *b = false);
    }
    if let Some((z, y)) = limits.behind_eyes {
        let (below, front) = (to_coarse(z, 2).min(coarse.dims[2]), to_coarse(y, 1).min(ny));
        for slab in m[..below * plane].chunks_mut(plane) {
            slab[..front * nx].iter_mut().for_each(|b| *b = false);
        }
    }
    trim_below_foramen(m, coarse)
}

/// Below the foramen magnum the estimate can only be the cord or a leak into the neck and
/// tongue (MR): walking down from the widest axial section, everything under the first
/// section smaller than a tenth of it is dropped.
fn trim_below_foramen(mut m: Vec<bool>, c: &Coarse) -> Vec<bool> {
    let plane = c.dims[0] * c.dims[1];
    let area: Vec<usize> = m.chunks(plane).map(|s| s.iter().filter(|&&b| b).count()).collect();
    let Some((widest, &max)) = area.iter().enumerate().max_by_key(|(_, a)| **a) else { return m };
    if let Some(cut) = (0..widest).rev().find(|&z| area[z] * 10 < max) {
        m[..=cut * plane + plane - 1].iter_mut().for_each(|b| *b = false);
    }
    m
}

fn ct(c: &Coarse, head: &[bool]) -> Vec<bool> {
    let (d, s) = (c.dims, c.spacing);
    let bone: Vec<bool> = c.values.iter().zip(head).map(|(&v, &h)| h && v > BONE_HU).collect();
    let closed = morph::erode(&morph::dilate(&bone, d, s, 3.0), d, s, 3.0);
    let rings = morph::fill_holes_per_slice(&closed, d);
    let inside: Vec<bool> =
        (0..bone.len()).map(|i| rings[i] && !closed[i] && c.values[i] > -200.0 && c.values[i] < BONE_HU).collect();
    let chosen = pick(&inside, c, |_| true);
    morph::fill_holes_per_slice(&chosen, d)
}

fn mr(c: &Coarse, head: &[bool]) -> Vec<bool> {
    let (d, s) = (c.dims, c.spacing);
    let inside: Vec<f32> = c.values.iter().zip(head).filter(|(_, h)| **h).map(|(&v, _)| v).collect();
    if inside.is_empty() {
        return vec![false; c.values.len()];
    }
    let t = otsu(&inside, 256);
    let tissue: Vec<bool> = c.values.iter().zip(head).map(|(&v, &h)| h && v > t * 0.8).collect();
    let outside: Vec<bool> = tissue.iter().map(|&m| !m).collect();
    let depth = crate::volume::distance::edt_sq(&outside, d, s);
    let core = |r: f64| -> Vec<bool> { depth.iter().map(|&q| q > (r * r) as f32).collect() };
    let head_z = centroid_z(head, c);
    // `current` follows the deepening erosion; `brain` is it as of the last detached leak.
    let mut current = pick(&core(MR_ERODE_MM), c, |z| z >= head_z);
    let mut brain = current.clone();
    let mut erosion = MR_ERODE_MM;
    let mut r = MR_ERODE_MM + 1.0;
    while r <= MR_ERODE_MAX_MM {
        let inner: Vec<bool> = core(r).iter().zip(&current).map(|(&k, &b)| k && b).collect();
        match split(&inner, c) {
            Split::Broken => break,
            Split::Whole(b) => current = b,
            Split::Leak(b) => {
                current = b;
                brain.clone_from(&current);
                erosion = r;
            }
        }
        r += 1.0;
    }
    let grown = morph::dilate(&brain, d, s, erosion + MR_REGROW_EXTRA_MM);
    let kept: Vec<bool> = grown.iter().zip(head).map(|(&g, &h)| g && h).collect();
    morph::fill_holes_per_slice(&kept, d)
}

enum Split {
    /// The deeper erosion left one main piece and detached nothing that counts.
    Whole(Vec<bool>),
    /// It detached an inferior piece (a leak into the face or neck): the main piece.
    Leak(Vec<bool>),
    /// It broke the brain itself into comparable pieces (or erased it).
    Broken,
}

/// How the pieces of an eroded brain estimate relate (see the module doc).
fn split(inner: &[bool], c: &Coarse) -> Split {
    let (labels, sizes) = morph::components(inner, c.dims);
    let total: usize = sizes.iter().sum();
    let Some(main) = (1..sizes.len()).max_by_key(|&l| sizes[l]) else { return Split::Broken };
    if (sizes[main] as f64) < BRAIN_KEPT_SHARE * total as f64 {
        return Split::Broken;
    }
    let plane = c.dims[0] * c.dims[1];
    let mut zsum = vec![0f64; sizes.len()];
    for (i, &l) in labels.iter().enumerate() {
        zsum[l as usize] += (i / plane) as f64;
    }
    let z_of = |l: usize| zsum[l] / sizes[l] as f64;
    let big = |l: usize| l != main && sizes[l] as f64 >= LEAK_SHARE * sizes[main] as f64;
    if (1..sizes.len()).any(|l| big(l) && z_of(l) >= z_of(main)) {
        return Split::Broken;
    }
    let leak = (1..sizes.len()).any(|l| big(l) && z_of(l) < z_of(main));
    let kept: Vec<bool> = labels.iter().map(|&l| l as usize == main).collect();
    if leak { Split::Leak(kept) } else { Split::Whole(kept) }
}

fn centroid_z(mask: &[bool], c: &Coarse) -> f64 {
    let plane = c.dims[0] * c.dims[1];
    let (sum, n) = mask
        .iter()
        .enumerate()
        .filter(|(_, m)| **m)
        .fold((0f64, 0usize), |(s, n), (i, _)| (s + (i / plane) as f64, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

/// The largest component whose centroid z passes `accept` (falling back to the largest).
fn pick(mask: &[bool], c: &Coarse, accept: impl Fn(f64) -> bool) -> Vec<bool> {
    let (labels, sizes) = morph::components(mask, c.dims);
    let plane = c.dims[0] * c.dims[1];
    let mut zsum = vec![0f64; sizes.len()];
    for (i, &l) in labels.iter().enumerate() {
        if l != 0 {
            zsum[l as usize] += (i / plane) as f64;
        }
    }
    let by_size = |l: &usize| sizes[*l];
    let ok = (1..sizes.len()).filter(|&l| accept(zsum[l] / sizes[l] as f64)).max_by_key(by_size);
    let best = ok.or_else(|| (1..sizes.len()).max_by_key(by_size)).unwrap_or(0) as u32;
    labels.iter().map(|&l| best != 0 && l == best).collect()
}

/// Coarse voxels within `margin_mm` of the intracranial estimate (plus the coarse rounding).
pub fn protected(coarse: &Coarse, intracranial: &[bool], margin_mm: f64) -> Vec<bool> {
    morph::dilate(intracranial, coarse.dims, coarse.spacing, margin_mm + coarse.half_diagonal_mm())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(n: usize, inside: impl Fn(usize, usize, usize) -> bool) -> (Coarse, Vec<bool>) {
        let dims = [n, n, n];
        let m: Vec<bool> = (0..n * n * n).map(|i| inside(i % n, (i / n) % n, i / (n * n))).collect();
        let c = Coarse { dims, factor: [1; 3], spacing: [2.0; 3], values: vec![0.0; n * n * n] };
        (c, m)
    }

    fn ball(p: (usize, usize, usize), c: (f64, f64, f64), r: f64) -> bool {
        let d = |a: usize, b: f64| (a as f64 - b).powi(2);
        d(p.0, c.0) + d(p.1, c.1) + d(p.2, c.2) <= r * r
    }

    #[test]
    fn a_piece_below_the_brain_is_a_leak_and_side_by_side_halves_are_not() {
        let (c, below) =
            grid(40, |x, y, z| ball((x, y, z), (20.0, 20.0, 26.0), 10.0) || ball((x, y, z), (20.0, 20.0, 8.0), 5.0));
        assert!(
            matches!(split(&below, &c), Split::Leak(m) if m[20 + 40 * (20 + 40 * 26)] && !m[20 + 40 * (20 + 40 * 8)])
        );
        let (c, halves) =
            grid(40, |x, y, z| ball((x, y, z), (10.0, 20.0, 20.0), 8.0) || ball((x, y, z), (30.0, 20.0, 20.0), 8.0));
        assert!(matches!(split(&halves, &c), Split::Broken));
        let (c, one) = grid(40, |x, y, z| ball((x, y, z), (20.0, 20.0, 20.0), 10.0));
        assert!(matches!(split(&one, &c), Split::Whole(_)));
    }
}
