//! Binary morphology on small (coarse) grids: exact Euclidean distance transform in mm (so
//! dilation and erosion by a ball are thresholds), 6-connected components, hole filling.

use rayon::prelude::*;

const FAR: f32 = 1e20;

/// Squared distance (mm²) from each voxel to the nearest set voxel (Felzenszwalb–Huttenlocher,
/// one separable pass per axis; anisotropic spacing allowed).
pub fn edt_sq(mask: &[bool], dims: [usize; 3], spacing: [f64; 3]) -> Vec<f32> {
    let [nx, ny, nz] = dims;
    let mut d: Vec<f32> = mask.iter().map(|&m| if m { 0.0 } else { FAR }).collect();
    let s = spacing.map(|v| v as f32);
    // x: contiguous lines.
    d.par_chunks_mut(nx).for_each_init(|| Scratch::new(nx), |sc, line| sc.transform(line, s[0]));
    // y: lines inside one z slab.
    d.par_chunks_mut(nx * ny).for_each_init(
        || (Scratch::new(ny), vec![0f32; ny]),
        |(sc, buf), slab| {
            for x in 0..nx {
                for y in 0..ny {
                    buf[y] = slab[x + nx * y];
                }
                sc.transform(buf, s[1]);
                for y in 0..ny {
                    slab[x + nx * y] = buf[y];
                }
            }
        },
    );
    // z: through a transposed buffer so every line is contiguous and owned by one task.
    let mut t = vec![0f32; d.len()];
    t.par_chunks_mut(nz).enumerate().for_each_init(
        || Scratch::new(nz),
        |sc, (xy, line)| {
            for (z, v) in line.iter_mut().enumerate() {
                *v = d[xy + nx * ny * z];
            }
            sc.transform(line, s[2]);
        },
    );
    d.par_chunks_mut(nx * ny).enumerate().for_each(|(z, slab)| {
        for (xy, v) in slab.iter_mut().enumerate() {
            *v = t[xy * nz + z];
        }
    });
    d
}

/// Reusable buffers for the 1D lower-envelope transform.
struct Scratch {
    v: Vec<usize>,
    z: Vec<f32>,
    out: Vec<f32>,
}

impl Scratch {
    fn new(n: usize) -> Scratch {
        Scratch { v: vec![0; n], z: vec![0.0; n + 1], out: vec![0.0; n] }
    }

    /// In place: f[q] ← min_p f[p] + (s (q − p))², over the finite f[p] only.
    fn transform(&mut self, f: &mut [f32], s: f32) {
        let n = f.len();
        let pos = |i: usize| i as f32 * s;
        let (v, z) = (&mut self.v, &mut self.z);
        let mut k: isize = -1;
        for q in 0..n {
            if f[q] >= FAR {
                continue;
            }
            loop {
                if k < 0 {
                    k = 0;
                    v[0] = q;
                    z[0] = f32::NEG_INFINITY;
                    z[1] = f32::INFINITY;
                    break;
                }
                let p = v[k as usize];
                let sq = ((f[q] + pos(q) * pos(q)) - (f[p] + pos(p) * pos(p))) / (2.0 * (pos(q) - pos(p)));
                if sq <= z[k as usize] {
                    k -= 1; // z[0] is −∞, so this never empties the envelope
                    continue;
                }
                k += 1;
                v[k as usize] = q;
                z[k as usize] = sq;
                z[k as usize + 1] = f32::INFINITY;
                break;
            }
        }
        if k < 0 {
            return; // nothing set on this line
        }
        let mut k = 0;
        for q in 0..n {
            while z[k + 1] < pos(q) {
                k += 1;
            }
            let dq = pos(q) - pos(v[k]);
            self.out[q] = dq * dq + f[v[k]];
        }
        f.copy_from_slice(&self.out[..n]);
    }
}

/// Voxels within `r` mm of the mask.
pub fn dilate(mask: &[bool], dims: [usize; 3], spacing: [f64; 3], r: f64) -> Vec<bool> {
    let r2 = (r * r) as f32;
    edt_sq(mask, dims, spacing).into_iter().map(|d| d <= r2).collect()
}

/// Voxels farther than `r` mm from anything outside the mask.
pub fn erode(mask: &[bool], dims: [usize; 3], spacing: [f64; 3], r: f64) -> Vec<bool> {
    let inv: Vec<bool> = mask.iter().map(|&m| !m).collect();
    let r2 = (r * r) as f32;
    edt_sq(&inv, dims, spacing).into_iter().map(|d| d > r2).collect()
}

/// 6-connected components: (label per voxel, 0 = background; size per label, index 0 unused).
pub fn components(mask: &[bool], dims: [usize; 3]) -> (Vec<u32>, Vec<usize>) {
    let mut labels = vec![0u32; mask.len()];
    let mut sizes = vec![0usize];
    let mut stack = Vec::new();
    for start in 0..mask.len() {
        if !mask[start] || labels[start] != 0 {
            continue;
        }
        let label = sizes.len() as u32;
        labels[start] = label;
        stack.push(start);
        let mut n = 0;
        while let Some(i) = stack.pop() {
            n += 1;
            for j in neighbours(i, dims).into_iter().flatten() {
                if mask[j] && labels[j] == 0 {
                    labels[j] = label;
                    stack.push(j);
                }
            }
        }
        sizes.push(n);
    }
    (labels, sizes)
}

fn neighbours(i: usize, [nx, ny, nz]: [usize; 3]) -> [Option<usize>; 6] {
    let (x, y, z) = (i % nx, (i / nx) % ny, i / (nx * ny));
    [
        (x > 0).then(|| i - 1),
        (x + 1 < nx).then(|| i + 1),
        (y > 0).then(|| i - nx),
        (y + 1 < ny).then(|| i + nx),
        (z > 0).then(|| i - nx * ny),
        (z + 1 < nz).then(|| i + nx * ny),
    ]
}

/// The mask plus every cavity that cannot be reached from the grid border without crossing it.
pub fn fill_from_border(mask: &[bool], dims: [usize; 3]) -> Vec<bool> {
    let [nx, ny, nz] = dims;
    let mut outside = vec![false; mask.len()];
    let mut stack = Vec::new();
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                // A single slice (nz = 1) is filled in 2D: its z faces are not a border.
                let zb = nz > 1 && (z == 0 || z + 1 == nz);
                let border = x == 0 || y == 0 || x + 1 == nx || y + 1 == ny || zb;
                let i = x + nx * (y + ny * z);
                if border && !mask[i] && !outside[i] {
                    outside[i] = true;
                    stack.push(i);
                }
            }
        }
    }
    while let Some(i) = stack.pop() {
        for j in neighbours(i, dims).into_iter().flatten() {
            if !mask[j] && !outside[j] {
                outside[j] = true;
                stack.push(j);
            }
        }
    }
    outside.into_iter().map(|o| !o).collect()
}

/// `fill_from_border` on each axial (z) slice on its own.
pub fn fill_holes_per_slice(mask: &[bool], dims: [usize; 3]) -> Vec<bool> {
    let [nx, ny, _] = dims;
    let mut out = vec![false; mask.len()];
    out.par_chunks_mut(nx * ny).zip(mask.par_chunks(nx * ny)).for_each(|(o, m)| {
        o.copy_from_slice(&fill_from_border(m, [nx, ny, 1]));
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_transform_matches_brute_force_on_anisotropic_grid() {
        let dims = [7, 6, 5];
        let spacing = [1.0, 0.5, 2.0];
        let mut mask = vec![false; 210];
        for &i in &[3usize, 50, 133, 199] {
            mask[i] = true;
        }
        let d = edt_sq(&mask, dims, spacing);
        let pos = |i: usize| [(i % 7) as f64, ((i / 7) % 6) as f64 * 0.5, (i / 42) as f64 * 2.0];
        for (i, &got) in d.iter().enumerate() {
            let want = (0..210)
                .filter(|&j| mask[j])
                .map(|j| (0..3).map(|a| (pos(i)[a] - pos(j)[a]).powi(2)).sum::<f64>())
                .fold(f64::INFINITY, f64::min);
            assert!((f64::from(got) - want).abs() < 1e-3, "voxel {i}: {got} vs {want}");
        }
    }

    #[test]
    fn hollow_box_is_filled_but_open_box_is_not() {
        let dims = [5, 5, 5];
        let shell: Vec<bool> = (0..125)
            .map(|i| {
                let (x, y, z) = (i % 5, (i / 5) % 5, i / 25);
                [x, y, z].iter().all(|&c| (1..=3).contains(&c)) && !(x == 2 && y == 2 && z == 2)
            })
            .collect();
        assert!(fill_from_border(&shell, dims)[62]);
        let mut open = shell.clone();
        open[2 + 5 * 2 + 25] = false; // a hole in the bottom face
        assert!(!fill_from_border(&open, dims)[62]);
        let ring: Vec<bool> = (0..25)
            .map(|i| {
                (i % 5 == 1 || i % 5 == 3 || i / 5 == 1 || i / 5 == 3)
                    && i % 5 >= 1
                    && i % 5 <= 3
                    && i / 5 >= 1
                    && i / 5 <= 3
            })
            .collect();
        assert!(fill_holes_per_slice(&ring, [5, 5, 1])[12], "a ring in one slice encloses its centre");
        let (_, sizes) = components(&shell, dims);
        assert_eq!(sizes[1..], [26]);
    }
}
