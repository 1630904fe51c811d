//! Facial landmarks on the skin depth map (anterior = low y): the nose tip is the most
//! anterior column near the midline in the lower two thirds of the head; the orbits are the
//! deepest columns either side above it; the chin is the most anterior midline column below
//! the mouth. Each is kept only when it stands out from its surroundings by a few millimetres.

use serde::{Deserialize, Serialize};

use super::surface::DepthMap;

/// Canonical grid positions in voxels (x, y, z); `None` when not found.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FaceLandmarks {
    pub nose_tip: Option<[f64; 3]>,
    pub right_orbit: Option<[f64; 3]>,
    pub left_orbit: Option<[f64; 3]>,
    pub chin: Option<[f64; 3]>,
    /// The face reaches the anterior edge of the grid (cropped field of view).
    pub face_cropped: bool,
}

const NOSE_PROMINENCE_MM: f64 = 10.0;
const ORBIT_DEPTH_MM: f64 = 4.0;
const CHIN_PROMINENCE_MM: f64 = 8.0;

struct Ctx<'a> {
    d: &'a DepthMap,
    s: [f64; 3],
}

impl Ctx<'_> {
    /// Anteriority (mm; larger = more anterior) of a column.
    fn a(&self, x: usize, z: usize) -> Option<f64> {
        self.d.at(x, z).map(|y| -(f64::from(y)) * self.s[1])
    }

    fn vox(&self, mm: f64, axis: usize) -> isize {
        (mm / self.s[axis]).round() as isize
    }

    /// Columns in x ∈ [x0, x1], z ∈ [z0, z1] (voxels, clamped) with their anteriority.
    fn window(&self, x0: isize, x1: isize, z0: isize, z1: isize) -> impl Iterator<Item = (usize, usize, f64)> + '_ {
        let cx = |v: isize| v.clamp(0, self.d.nx as isize - 1) as usize;
        let cz = |v: isize| v.clamp(0, self.d.nz as isize - 1) as usize;
        let (xa, xb, za, zb) = (cx(x0), cx(x1), cz(z0), cz(z1));
        (za..=zb).flat_map(move |z| (xa..=xb).filter_map(move |x| self.a(x, z).map(|a| (x, z, a))))
    }
}

fn best(it: impl Iterator<Item = (usize, usize, f64)>, most_anterior: bool) -> Option<(usize, usize, f64)> {
    let key = |t: &(usize, usize, f64)| if most_anterior { t.2 } else { -t.2 };
    it.max_by(|a, b| key(a).total_cmp(&key(b)))
}

/// Finds the landmarks (the nose must stand 10 mm in front of the skin 20 mm either side:
/// a smooth curved front like a cylinder's stays within ~4 mm there); `x_mid` is the head's left-right centre and `z_range` its extent (voxels).
pub fn find(d: &DepthMap, spacing: [f64; 3], x_mid: usize, z_range: (usize, usize)) -> FaceLandmarks {
    let c = Ctx { d, s: spacing };
    let mut out = FaceLandmarks { face_cropped: d.y.contains(&Some(0)), ..Default::default() };
    let (zlo, zhi) = (z_range.0 as isize, z_range.1 as isize);
    let xm = x_mid as isize;
    let top = zhi - (zhi - zlo) * 3 / 10;
    let Some((nx, nz, na)) = best(c.window(xm - c.vox(20.0, 0), xm + c.vox(20.0, 0), zlo, top), true) else {
        return out;
    };
    let (nxi, nzi) = (nx as isize, nz as isize);
    let cheeks: Vec<f64> = [-20.0, 20.0]
        .iter()
        .filter_map(|&dx| c.a((nxi + c.vox(dx, 0)).clamp(0, d.nx as isize - 1) as usize, nz))
        .collect();
    let cheek = if cheeks.is_empty() { f64::NEG_INFINITY } else { cheeks.iter().sum::<f64>() / cheeks.len() as f64 };
    if na - cheek < NOSE_PROMINENCE_MM {
        return out;
    }
    let pos = |x: usize, z: usize| [x as f64, f64::from(d.at(x, z).unwrap_or(0)), z as f64];
    out.nose_tip = Some(pos(nx, nz));
    for side in [-1.0, 1.0] {
        let (xa, xb) = (nxi + c.vox(side * 18.0, 0), nxi + c.vox(side * 48.0, 0));
        let win = c.window(xa.min(xb), xa.max(xb), nzi + c.vox(15.0, 2), nzi + c.vox(55.0, 2));
        let Some((ox, oz, oa)) = best(win, false) else { continue };
        let brow =
            best(c.window(ox as isize - 2, ox as isize + 2, oz as isize + 1, oz as isize + c.vox(30.0, 2)), true);
        if brow.is_some_and(|b| b.2 - oa >= ORBIT_DEPTH_MM) {
            // Patient right is −x (low index).
            if side < 0.0 {
                out.right_orbit = Some(pos(ox, oz));
            } else {
                out.left_orbit = Some(pos(ox, oz));
            }
        }
    }
    let band = |z0: isize, z1: isize| c.window(nxi - 2, nxi + 2, z0, z1);
    // Below the lips; the chin must stand out from the neck below it.
    if let Some((cx, cz, ca)) = best(band(nzi - c.vox(100.0, 2), nzi - c.vox(45.0, 2)), true) {
        let below = best(band(cz as isize - c.vox(40.0, 2), cz as isize - 1), false);
        if below.is_some_and(|b| ca - b.2 >= CHIN_PROMINENCE_MM) {
            out.chin = Some(pos(cx, cz));
        }
    }
    out
}
