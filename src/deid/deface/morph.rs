//! Binary morphology on small (coarse) grids: exact Euclidean distance transform in mm (so
//! dilation and erosion by a ball are thresholds), 6-connected components, hole filling.

use rayon::prelude::*;

use crate::volume::distance::edt_sq;

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
