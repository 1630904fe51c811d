//! The working grids of defacing. `Canon` re-indexes a volume (no interpolation) so that x runs
//! to the patient's left, y posterior and z superior (LPS); "anterior" is then simply −y.
//! `Coarse` block-averages it to about 2 mm for the morphology (head and brain masks), which
//! the safety margin covers.

use rayon::prelude::*;

use crate::volume::{Geometry, Voxels};

use super::DefaceError;

/// A volume's values re-indexed to LPS-aligned axes.
pub struct Canon {
    pub dims: [usize; 3],
    pub spacing: [f64; 3],
    /// Largest angle between a grid axis and the patient axis it was mapped to.
    pub obliquity_deg: f64,
    base: isize,
    stride: [isize; 3],
    pub values: Vec<f32>,
}

impl Canon {
    pub fn new(g: &Geometry, voxels: &Voxels) -> Result<Canon, DefaceError> {
        let [nx, ny, _] = g.dims;
        let ostride = [1isize, nx as isize, (nx * ny) as isize];
        let mut patient_of = [usize::MAX; 3];
        let mut dims = [0; 3];
        let mut spacing = [0.0; 3];
        let mut stride = [0isize; 3];
        let mut base = 0isize;
        let mut obliquity: f64 = 0.0;
        for a in 0..3 {
            let d = g.direction(a);
            let p = (0..3).max_by(|&i, &j| d[i].abs().total_cmp(&d[j].abs())).unwrap_or(a);
            if patient_of.contains(&p) {
                return Err(DefaceError::Geometry("two grid axes point along the same patient axis".into()));
            }
            patient_of[a] = p;
            obliquity = obliquity.max(d[p].abs().clamp(0.0, 1.0).acos().to_degrees());
            dims[p] = g.dims[a];
            spacing[p] = g.spacing()[a];
            if d[p] >= 0.0 {
                stride[p] = ostride[a];
            } else {
                stride[p] = -ostride[a];
                base += (g.dims[a] as isize - 1) * ostride[a];
            }
        }
        if spacing.iter().any(|&s| !(s.is_finite() && s > 0.0)) {
            return Err(DefaceError::Geometry(format!("voxel spacing {spacing:?} is not positive")));
        }
        let mut c = Canon { dims, spacing, obliquity_deg: obliquity, base, stride, values: Vec::new() };
        c.values = match voxels {
            Voxels::I16(v) => c.gather(|i| f32::from(v[i])),
            Voxels::U16(v) => c.gather(|i| f32::from(v[i])),
            Voxels::F32(v) => c.gather(|i| v[i]),
            Voxels::Rgba8(_) => return Err(DefaceError::Input("colour volumes cannot be defaced".into())),
        };
        Ok(c)
    }

    fn gather(&self, get: impl Fn(usize) -> f32 + Sync) -> Vec<f32> {
        let [nx, ny, nz] = self.dims;
        let mut out = vec![0f32; nx * ny * nz];
        out.par_chunks_mut(nx * ny).enumerate().for_each(|(z, slab)| {
            for y in 0..ny {
                for x in 0..nx {
                    slab[x + nx * y] = get(self.orig_index(x, y, z));
                }
            }
        });
        out
    }

    /// Flat index in the original volume of canonical voxel (x, y, z).
    pub fn orig_index(&self, x: usize, y: usize, z: usize) -> usize {
        (self.base + x as isize * self.stride[0] + y as isize * self.stride[1] + z as isize * self.stride[2]) as usize
    }

    pub fn idx(&self, x: usize, y: usize, z: usize) -> usize {
        x + self.dims[0] * (y + self.dims[1] * z)
    }
}

/// A block-averaged copy of a canonical grid.
pub struct Coarse {
    pub dims: [usize; 3],
    pub factor: [usize; 3],
    pub spacing: [f64; 3],
    pub values: Vec<f32>,
}

impl Coarse {
    /// Blocks of about `target_mm` per side (at least one voxel).
    pub fn new(c: &Canon, target_mm: f64) -> Coarse {
        let factor: [usize; 3] = std::array::from_fn(|a| ((target_mm / c.spacing[a]).round() as usize).max(1));
        let dims: [usize; 3] = std::array::from_fn(|a| c.dims[a].div_ceil(factor[a]));
        let spacing = std::array::from_fn(|a| c.spacing[a] * factor[a] as f64);
        let [cx, cy, _] = dims;
        let mut values = vec![0f32; dims.iter().product()];
        values.par_chunks_mut(cx * cy).enumerate().for_each(|(bz, slab)| {
            let zr = bz * factor[2]..((bz + 1) * factor[2]).min(c.dims[2]);
            for by in 0..cy {
                let yr = by * factor[1]..((by + 1) * factor[1]).min(c.dims[1]);
                for bx in 0..cx {
                    let xr = bx * factor[0]..((bx + 1) * factor[0]).min(c.dims[0]);
                    let (mut sum, mut n) = (0f64, 0usize);
                    for z in zr.clone() {
                        for y in yr.clone() {
                            for x in xr.clone() {
                                sum += f64::from(c.values[c.idx(x, y, z)]);
                                n += 1;
                            }
                        }
                    }
                    slab[bx + cx * by] = (sum / n.max(1) as f64) as f32;
                }
            }
        });
        Coarse { dims, factor, spacing, values }
    }

    pub fn idx(&self, x: usize, y: usize, z: usize) -> usize {
        x + self.dims[0] * (y + self.dims[1] * z)
    }

    /// The coarse voxel holding canonical voxel (x, y, z).
    pub fn of_fine(&self, x: usize, y: usize, z: usize) -> usize {
        self.idx(x / self.factor[0], y / self.factor[1], z / self.factor[2])
    }

    /// Half the block diagonal: how far a fine voxel can be from its block's centre.
    pub fn half_diagonal_mm(&self) -> f64 {
        0.5 * self.spacing.iter().map(|s| s * s).sum::<f64>().sqrt()
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix3, Point3};

    use super::*;

    #[test]
    fn canonical_grid_puts_anterior_at_low_y_whatever_the_stored_order() {
        // Sagittal-like storage: i runs posterior → anterior (−Y), j runs inferior (−Z), k runs left.
        let g = Geometry {
            dims: [3, 4, 2],
            origin: Point3::origin(),
            axes: Matrix3::new(0.0, 0.0, 1.0, -1.0, 0.0, 0.0, 0.0, -2.0, 0.0),
        };
        let data: Vec<i16> = (0..24).collect();
        let c = Canon::new(&g, &Voxels::I16(data)).unwrap();
        assert_eq!(c.dims, [2, 3, 4]);
        assert_eq!(c.spacing, [1.0, 1.0, 2.0]);
        // Canonical (x=0 right, y=0 anterior, z=0 inferior) = original (i=2, j=3, k=0).
        assert_eq!(c.values[c.idx(0, 0, 0)], (2 + 3 * 3) as f32);
        assert_eq!(c.orig_index(1, 2, 0), 3 * 3 + 12); // i = 0, j = 3, k = 1
    }
}
