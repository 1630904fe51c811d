//! Small CPU pictures of the result, before | after side by side, one pixel per mm, superior
//! up. Front: the skin surface seen from the front (orthographic along +y, the patient's right
//! on the left as when facing them), shaded from its depth map. Side: the sagittal slice through
//! the face's midline (anterior on the left), the removed part tinted red and sumi's
//! intracranial estimate outlined in green before, the removed part as air after. Headless: no
//! GPU.

use image::{Rgb, RgbImage};

use crate::volume::Volume;

use super::grid::{Canon, Coarse};
use super::surface::{self, DepthMap};
use super::{DefaceError, Proposal};

/// Before (left) and after (right) front views of the proposal's skin surface.
pub fn render_front(v: &Volume, p: &Proposal) -> Result<RgbImage, DefaceError> {
    let canon = Canon::new(&v.geometry, &v.voxels)?;
    let coarse = Coarse::new(&canon, p.params.coarse_mm);
    let t = p.skin_threshold;
    let body = surface::body(&coarse, t);
    let before = surface::depth_map(&canon, &coarse, &body.mask, t, None);
    let after = if p.mask.is_empty() {
        None
    } else {
        let removed: Vec<bool> = {
            let [nx, ny, nz] = canon.dims;
            let mut r = vec![false; nx * ny * nz];
            for z in 0..nz {
                for y in 0..ny {
                    for x in 0..nx {
                        r[canon.idx(x, y, z)] = p.mask[canon.orig_index(x, y, z)] != 0;
                    }
                }
            }
            r
        };
        Some(surface::depth_map(&canon, &coarse, &body.mask, t, Some(&removed)))
    };
    let [sx, sy, sz] = canon.spacing;
    let (w, h) =
        (((canon.dims[0] as f64 * sx).round() as u32).max(1), ((canon.dims[2] as f64 * sz).round() as u32).max(1));
    let mut img = RgbImage::from_pixel(2 * w + 4, h, Rgb([255, 255, 255]));
    for (panel, depth) in [Some(&before), after.as_ref()].into_iter().enumerate() {
        let Some(depth) = depth else { continue };
        for py in 0..h {
            for px in 0..w {
                let (x, z) =
                    ((px as f64 / sx) as usize, canon.dims[2] - 1 - ((py as f64 / sz) as usize).min(canon.dims[2] - 1));
                let c = shade(depth, x.min(canon.dims[0] - 1), z, [sx, sy, sz]);
                img.put_pixel(px + panel as u32 * (w + 4), py, c);
            }
        }
    }
    Ok(img)
}

/// Lambert shading of the depth map's surface normal, light from the viewer, up and to the left.
fn shade(d: &DepthMap, x: usize, z: usize, s: [f64; 3]) -> Rgb<u8> {
    let Some(y) = d.at(x, z) else { return Rgb([24, 24, 32]) };
    let y_at = |xx: usize, zz: usize| d.at(xx, zz).map_or(f64::from(y), f64::from) * s[1];
    let (xl, xr) = (x.saturating_sub(1), (x + 1).min(d.nx - 1));
    let (zd, zu) = (z.saturating_sub(1), (z + 1).min(d.nz - 1));
    let gx = (y_at(xr, z) - y_at(xl, z)) / (((xr - xl).max(1)) as f64 * s[0]);
    let gz = (y_at(x, zu) - y_at(x, zd)) / (((zu - zd).max(1)) as f64 * s[2]);
    // Surface y = f(x, z): normal towards the viewer (−y) is (gx, −1, gz) normalised.
    let n = [gx, -1.0, gz];
    let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
    let l = [-0.35, -0.85, 0.4];
    let ll: f64 = l[0] * l[0] + l[1] * l[1] + l[2] * l[2];
    let lambert = ((n[0] * l[0] + n[1] * l[1] + n[2] * l[2]) / (len * ll.sqrt())).max(0.0);
    let k = 0.15 + 0.85 * lambert;
    Rgb([(235.0 * k) as u8, (200.0 * k) as u8, (175.0 * k) as u8])
}

/// Before (left) and after (right) of the sagittal slice through the face's midline.
pub fn render_side(v: &Volume, p: &Proposal) -> Result<RgbImage, DefaceError> {
    let canon = Canon::new(&v.geometry, &v.voxels)?;
    let [nx, ny, nz] = canon.dims;
    let [_, sy, sz] = canon.spacing;
    let x = p.zone.map_or(nx / 2, |z| z.x_mid).min(nx - 1);
    let at = |m: &[u8], y: usize, z: usize| !m.is_empty() && m[canon.orig_index(x, y, z)] != 0;
    let mut values: Vec<f32> =
        (0..nz).flat_map(|z| (0..ny).map(move |y| (y, z))).map(|(y, z)| canon.values[canon.idx(x, y, z)]).collect();
    let (lo, hi) = {
        values.sort_by(f32::total_cmp);
        let q = |f: f64| values[((values.len() - 1) as f64 * f) as usize];
        (q(0.01), q(0.995).max(q(0.01) + 1.0))
    };
    let grey = |y: usize, z: usize| ((canon.values[canon.idx(x, y, z)] - lo) / (hi - lo)).clamp(0.0, 1.0) * 255.0;
    let (w, h) = (((ny as f64 * sy).round() as u32).max(1), ((nz as f64 * sz).round() as u32).max(1));
    let mut img = RgbImage::from_pixel(2 * w + 4, h, Rgb([255, 255, 255]));
    for py in 0..h {
        let z = nz - 1 - ((py as f64 / sz) as usize).min(nz - 1);
        for px in 0..w {
            let y = ((px as f64 / sy) as usize).min(ny - 1);
            let g = grey(y, z);
            let removed = at(&p.mask, y, z);
            let brain = at(&p.intracranial, y, z);
            let edge = brain
                && [(y.wrapping_sub(1), z), (y + 1, z), (y, z.wrapping_sub(1)), (y, z + 1)]
                    .iter()
                    .any(|&(yy, zz)| yy >= ny || zz >= nz || !at(&p.intracranial, yy, zz));
            let before = if edge {
                Rgb([40, 220, 60])
            } else if removed {
                Rgb([(0.5 * g + 120.0) as u8, (0.5 * g) as u8, (0.5 * g) as u8])
            } else {
                Rgb([g as u8; 3])
            };
            img.put_pixel(px, py, before);
            img.put_pixel(px + w + 4, py, if removed { Rgb([0, 0, 0]) } else { Rgb([g as u8; 3]) });
        }
    }
    Ok(img)
}
