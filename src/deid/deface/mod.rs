//! Defacing (PS3.15 Clean Recognizable Visual Features): decide whether a series is a head
//! CT/MR with the face in view, and propose a voxel mask that removes the face but never
//! reaches the brain.
//!
//! Method. The volume is re-indexed to LPS-aligned axes (`grid`), so anterior is −y whatever
//! the acquisition plane, and block-averaged to ~2 mm for the morphology. The head is the
//! largest section above a skin threshold (CT −300 HU, MR half the Otsu threshold; `surface`).
//! The intracranial region is estimated (`brain`: CT, soft tissue enclosed by the skull; MR,
//! eroded bright tissue, largest superior component, grown back) and dilated by a safety
//! margin into the protected region. Landmarks (nose tip, orbits, chin) are read off the
//! anterior skin depth map (`landmarks`); they decide whether the face is in view and place
//! the brow line. The cut (`cut`) is a smooth surface per (x, z) column, `depth_mm` behind the
//! locally deepest skin, below the brow line, capped in front of the protected region; what
//! lies anterior to it is removed. Applying sets removed voxels to air (CT −1000 HU, MR 0).
//! The header and geometry evidence is returned as reasons (`head`).

mod brain;
mod cut;
mod grid;
mod head;
mod input;
mod landmarks;
mod morph;
mod render;
mod surface;

use serde::{Deserialize, Serialize};

use crate::volume::{Volume, Voxels};

pub use cut::Zone;
pub use head::{BodyExtent, HeadHints};
pub use input::{InputError, head_hints, load_input, load_series};
pub use landmarks::FaceLandmarks;
pub use render::{render_front, render_side};
pub use surface::Modality;

#[derive(Debug, thiserror::Error)]
pub enum DefaceError {
    #[error("cannot deface: {0}")]
    Input(String),
    #[error("cannot deface this grid: {0}")]
    Geometry(String),
}

/// The tunable parameters of a proposal (stored with it).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DefaceParams {
    /// Distance kept between the cut and the intracranial estimate.
    pub margin_mm: f64,
    /// How far behind the locally deepest skin the cut lies.
    pub depth_mm: f64,
    /// The most tissue removed behind a column's own skin.
    pub max_depth_mm: f64,
    /// The deepest the cut reaches behind the most anterior skin of the face zone (the nose
    /// tip): the face ends in front of the ears, and the sides of the head stay.
    #[serde(default = "default_face_depth_mm")]
    pub face_depth_mm: f64,
    /// Radius of the window that flattens the nose, lips and eyelids out of the cut surface.
    pub envelope_mm: f64,
    /// Smoothing of the cut surface.
    pub smooth_mm: f64,
    /// Block size of the grid the head and brain masks are computed on.
    pub coarse_mm: f64,
}

impl Default for DefaceParams {
    fn default() -> Self {
        DefaceParams {
            margin_mm: 10.0,
            depth_mm: 30.0,
            max_depth_mm: 80.0,
            face_depth_mm: default_face_depth_mm(),
            envelope_mm: 20.0,
            smooth_mm: 6.0,
            coarse_mm: 2.0,
        }
    }
}

fn default_face_depth_mm() -> f64 {
    75.0
}

/// The decision and, when it is a head with a face in view, the removal mask.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Proposal {
    pub is_head: bool,
    pub face_in_view: bool,
    /// The evidence, in the order it was weighed.
    pub reasons: Vec<String>,
    pub modality: Modality,
    pub params: DefaceParams,
    /// The volume's grid size (x, y, z in its own voxel order): the mask's shape.
    #[serde(default)]
    pub dims: [usize; 3],
    pub skin_threshold: f32,
    pub extent: Option<BodyExtent>,
    /// Canonical-grid landmarks (see `grid`): x to the left, y posterior, z superior.
    pub landmarks: FaceLandmarks,
    pub zone: Option<Zone>,
    /// Per canonical (x, z) column (x fastest): voxels with y below this are removed.
    pub cut: Vec<u32>,
    pub removed_voxels: usize,
    /// Removed voxels that were tissue (above the skin threshold), not air.
    pub removed_tissue_voxels: usize,
    pub intracranial_voxels: usize,
    /// Removed voxels inside sumi's own intracranial estimate: 0 by construction, reported as a check.
    pub intracranial_removed: usize,
    /// 1 = remove, in the volume's voxel order.
    #[serde(skip)]
    pub mask: Vec<u8>,
    /// 1 = inside sumi's intracranial estimate, in the volume's voxel order (for review).
    #[serde(skip)]
    pub intracranial: Vec<u8>,
}

impl Proposal {
    pub fn reason(&self) -> String {
        self.reasons.join("; ")
    }
}

fn modality_of(v: &Volume, hints: &HeadHints, reasons: &mut Vec<String>) -> Result<Modality, DefaceError> {
    let m = if hints.modality.is_empty() { v.display.modality.as_str() } else { hints.modality.as_str() };
    match m.to_ascii_uppercase().as_str() {
        "CT" => Ok(Modality::Ct),
        "MR" => Ok(Modality::Mr),
        "" => {
            let ct = v.value_range.0 < -500.0;
            reasons.push(format!(
                "no modality recorded: values from {:.0} {} (taken as {})",
                v.value_range.0,
                if ct { "look like Hounsfield units" } else { "are not Hounsfield units" },
                if ct { "CT" } else { "MR" }
            ));
            Ok(if ct { Modality::Ct } else { Modality::Mr })
        }
        other => Err(DefaceError::Input(format!("modality {other} is not CT or MR"))),
    }
}

/// Decides and, for a head with the face in view, computes the removal mask.
pub fn propose(v: &Volume, hints: &HeadHints, p: &DefaceParams) -> Result<Proposal, DefaceError> {
    let mut reasons = Vec::new();
    let modality = modality_of(v, hints, &mut reasons)?;
    let header = head::header_verdict(hints, &mut reasons);
    let canon = grid::Canon::new(&v.geometry, &v.voxels)?;
    if canon.obliquity_deg > 20.0 {
        reasons.push(format!("grid is {:.0}° oblique: processed on its nearest patient axes", canon.obliquity_deg));
    }
    let coarse = grid::Coarse::new(&canon, p.coarse_mm);
    let skin_threshold = surface::skin_threshold(modality, &coarse);
    let mut out = Proposal {
        is_head: false,
        face_in_view: false,
        reasons: Vec::new(),
        modality,
        params: p.clone(),
        dims: v.geometry.dims,
        skin_threshold,
        extent: None,
        landmarks: FaceLandmarks::default(),
        zone: None,
        cut: Vec::new(),
        removed_voxels: 0,
        removed_tissue_voxels: 0,
        intracranial_voxels: 0,
        intracranial_removed: 0,
        mask: Vec::new(),
        intracranial: Vec::new(),
    };
    if header == Some(false) {
        out.reasons = reasons;
        return Ok(out);
    }
    let body = surface::body(&coarse, skin_threshold);
    out.extent = Some(body.extent);
    if !head::head_sized(&body.extent, &mut reasons) {
        out.reasons = reasons;
        return Ok(out);
    }
    let skin = surface::depth_map(&canon, &coarse, &body.mask, skin_threshold, None);
    let (x_mid, z_range) = centre_and_height(&skin);
    let lm = landmarks::find(&skin, canon.spacing, x_mid, z_range);
    let intracranial = brain::intracranial(modality, &coarse, &body.filled, limits(&lm, canon.spacing));
    let ic_cm3 = intracranial.iter().filter(|&&b| b).count() as f64 * coarse.spacing.iter().product::<f64>() / 1000.0;
    let found: Vec<&str> = [
        ("nose tip", lm.nose_tip.is_some()),
        ("orbits", lm.right_orbit.is_some() || lm.left_orbit.is_some()),
        ("chin", lm.chin.is_some()),
    ]
    .iter()
    .filter(|(_, f)| *f)
    .map(|(n, _)| *n)
    .collect();
    out.face_in_view = lm.nose_tip.is_some() || !found.is_empty() || lm.face_cropped;
    reasons.push(if found.is_empty() {
        "no facial landmark found on the anterior surface".to_string()
    } else {
        format!("facial landmarks found: {}", found.join(", "))
    });
    if lm.face_cropped {
        reasons.push("the face reaches the anterior edge of the field of view".into());
    }
    reasons.push(format!("intracranial estimate {ic_cm3:.0} cm³"));
    let skull_like = (500.0..=2500.0).contains(&ic_cm3);
    out.is_head = header == Some(true) || !found.is_empty() || skull_like;
    out.landmarks = lm;
    if !out.is_head || !out.face_in_view {
        reasons.push(if out.is_head { "no face in view: nothing to remove" } else { "not a head" }.into());
        out.reasons = reasons;
        return Ok(out);
    }
    let protected = brain::protected(&coarse, &intracranial, p.margin_mm);
    let front = cut::protected_front(&canon, &coarse, &protected);
    let zone = face_zone(&out.landmarks, &canon, x_mid, z_range, &coarse, &intracranial);
    out.cut = cut::cut_surface(&canon, &skin, &front, &zone, p);
    out.zone = Some(zone);
    out.mask = cut::mask(&canon, &out.cut, v.geometry.voxel_count());
    let grey = |i: usize| v.voxels.value(i);
    out.removed_voxels = out.mask.iter().filter(|&&m| m != 0).count();
    out.removed_tissue_voxels =
        out.mask.iter().enumerate().filter(|(i, m)| **m != 0 && grey(*i) > f64::from(skin_threshold)).count();
    out.intracranial = to_fine(&canon, &coarse, &intracranial, v.geometry.voxel_count());
    out.intracranial_voxels = out.intracranial.iter().filter(|&&b| b != 0).count();
    out.intracranial_removed = out.intracranial.iter().zip(&out.mask).filter(|&(&b, &m)| b != 0 && m != 0).count();
    reasons.push(format!("{} voxels removed ({} tissue)", out.removed_voxels, out.removed_tissue_voxels));
    out.reasons = reasons;
    Ok(out)
}

/// The nasal floor 15 mm under the nose tip; the back of the eyeballs 20 mm behind the orbit
/// skin, below the orbit centres.
fn limits(lm: &FaceLandmarks, s: [f64; 3]) -> brain::Limits {
    let orbits: Vec<[f64; 3]> = [lm.right_orbit, lm.left_orbit].into_iter().flatten().collect();
    let behind_eyes = (!orbits.is_empty()).then(|| {
        let z = orbits.iter().map(|o| o[2]).fold(f64::INFINITY, f64::min);
        let y = orbits.iter().map(|o| o[1]).fold(f64::INFINITY, f64::min);
        (z, y + 20.0 / s[1])
    });
    brain::Limits { floor_z: lm.nose_tip.map(|n| n[2] - 15.0 / s[2]), behind_eyes }
}

/// Left-right centre and z range of the columns that meet the head.
fn centre_and_height(skin: &surface::DepthMap) -> (usize, (usize, usize)) {
    let (mut x0, mut x1, mut z0, mut z1) = (usize::MAX, 0, usize::MAX, 0);
    for z in 0..skin.nz {
        for x in 0..skin.nx {
            if skin.at(x, z).is_some() {
                (x0, x1, z0, z1) = (x0.min(x), x1.max(x), z0.min(z), z1.max(z));
            }
        }
    }
    if x0 > x1 { (skin.nx / 2, (0, skin.nz.saturating_sub(1))) } else { ((x0 + x1) / 2, (z0, z1)) }
}

/// The face zone: below the brow line (15 mm above the orbits, else 45 mm above the nose
/// tip, else the lower third of the intracranial estimate), as wide as the orbits allow.
fn face_zone(
    lm: &FaceLandmarks,
    c: &grid::Canon,
    x_mid: usize,
    z_range: (usize, usize),
    coarse: &grid::Coarse,
    ic: &[bool],
) -> Zone {
    let sz = c.spacing[2];
    let orbit_z = [lm.right_orbit, lm.left_orbit].iter().flatten().map(|o| o[2]).fold(f64::NAN, f64::max);
    let brow = if orbit_z.is_finite() {
        orbit_z + 15.0 / sz
    } else if let Some(n) = lm.nose_tip {
        n[2] + 45.0 / sz
    } else {
        let plane = coarse.dims[0] * coarse.dims[1];
        let zs: Vec<usize> = ic.iter().enumerate().filter(|(_, b)| **b).map(|(i, _)| i / plane).collect();
        match (zs.iter().min(), zs.iter().max()) {
            (Some(&lo), Some(&hi)) => (lo as f64 + (hi - lo) as f64 / 3.0) * coarse.factor[2] as f64,
            _ => z_range.0 as f64,
        }
    };
    let x_mid = lm.nose_tip.map_or(x_mid, |n| n[0] as usize);
    let orbit_dx = [lm.right_orbit, lm.left_orbit]
        .iter()
        .flatten()
        .map(|o| (o[0] - x_mid as f64).abs() * c.spacing[0])
        .fold(0.0, f64::max);
    Zone { brow_z: brow.max(0.0) as usize, x_mid, half_width_mm: (orbit_dx * 2.2).clamp(65.0, 85.0) }
}

/// A coarse mask on the volume's own grid (voxel order of the volume).
fn to_fine(c: &grid::Canon, coarse: &grid::Coarse, m: &[bool], n_voxels: usize) -> Vec<u8> {
    let [nx, ny, nz] = c.dims;
    let mut out = vec![0u8; n_voxels];
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                out[c.orig_index(x, y, z)] = u8::from(m[coarse.of_fine(x, y, z)]);
            }
        }
    }
    out
}

/// The value that reads as air: −1000 HU for CT, 0 for MR (clamped to what the type holds).
pub fn air_value(modality: Modality) -> f64 {
    match modality {
        Modality::Ct => -1000.0,
        Modality::Mr => 0.0,
    }
}

/// Sets every masked voxel to air. Returns how many voxels changed.
pub fn apply(v: &mut Volume, mask: &[u8], modality: Modality) -> Result<usize, DefaceError> {
    if mask.len() != v.geometry.voxel_count() {
        return Err(DefaceError::Input(format!(
            "mask has {} voxels, the volume {}",
            mask.len(),
            v.geometry.voxel_count()
        )));
    }
    let air = air_value(modality);
    fn set<T: Copy + PartialEq>(d: &mut [T], mask: &[u8], air: T) -> usize {
        let mut n = 0;
        for (x, &m) in d.iter_mut().zip(mask) {
            if m != 0 && *x != air {
                *x = air;
                n += 1;
            }
        }
        n
    }
    let n = match &mut v.voxels {
        Voxels::I16(d) => set(d, mask, air.max(f64::from(i16::MIN)) as i16),
        Voxels::U16(d) => set(d, mask, air.max(0.0) as u16),
        Voxels::F32(d) => set(d, mask, air as f32),
        Voxels::Rgba8(_) => return Err(DefaceError::Input("colour volumes cannot be defaced".into())),
    };
    v.value_range = crate::volume::load::value_range(&v.voxels);
    Ok(n)
}
