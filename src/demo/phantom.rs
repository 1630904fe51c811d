//! Analytic head-CT phantom. Coordinates are patient LPS millimetres (+x = patient left,
//! +y = posterior, +z = superior); the head is built from a cranium ellipsoid and a
//! lower-face ellipsoid plus simple shapes for the nose, lips, chin, ears, eyes, sinuses,
//! airway and spine. Values are Hounsfield units before noise.

use super::recipe::CtSeries;

const AIR: f32 = -1000.0;
const SKIN: f32 = 40.0;
const MUSCLE: f32 = 45.0;
const FAT: f32 = -80.0;
const CSF: f32 = 5.0;
const GREY: f32 = 35.0;
const WHITE: f32 = 25.0;
const DEEP_GREY: f32 = 38.0;
const CORTICAL: f32 = 1400.0;
const DIPLOE: f32 = 900.0;
const VITREOUS: f32 = 10.0;
const LENS: f32 = 80.0;
const ENAMEL: f32 = 2000.0;
const TABLE: f32 = 150.0;

/// Cranium ellipsoid (centre, semi-axes).
const CRANIUM: ([f32; 3], [f32; 3]) = ([0.0, 8.0, 8.0], [74.0, 88.0, 85.0]);
/// Lower face / jaw ellipsoid; it makes the face roughly vertical instead of receding.
const FACE: ([f32; 3], [f32; 3]) = ([0.0, -4.0, -35.0], [55.0, 74.0, 50.0]);
const EYE_X: f32 = 31.0;
const EYE_Z: f32 = 2.0;
const EYE_R: f32 = 12.0;
const NOSE_ROOT_Z: f32 = 2.0;
const NOSE_TIP_Z: f32 = -22.0;
const NOSE_BOTTOM_Z: f32 = -28.0;
const NOSE_TIP_PROTRUSION: f32 = 22.0;
/// The brain-centre landmark (in white matter, between the lateral ventricles).
const BRAIN_CENTRE: [f32; 3] = [0.0, 8.0, 20.0];

fn sq(v: f32) -> f32 {
    v * v
}

/// Normalised squared radius of `p` in the ellipsoid (c, r) shrunk inwards by `d` mm.
fn ell(p: [f32; 3], (c, r): ([f32; 3], [f32; 3]), d: f32) -> f32 {
    sq((p[0] - c[0]) / (r[0] - d)) + sq((p[1] - c[1]) / (r[1] - d)) + sq((p[2] - c[2]) / (r[2] - d))
}

fn dist2(p: [f32; 3], c: [f32; 3]) -> f32 {
    sq(p[0] - c[0]) + sq(p[1] - c[1]) + sq(p[2] - c[2])
}

/// Anterior surface y of an ellipsoid at (x, z), if the line hits it.
fn front_y((c, r): ([f32; 3], [f32; 3]), x: f32, z: f32) -> Option<f32> {
    let t = 1.0 - sq((x - c[0]) / r[0]) - sq((z - c[2]) / r[2]);
    (t > 0.0).then(|| c[1] - r[1] * t.sqrt())
}

/// Anterior skin surface of the head (cranium ∪ face) at (x, z).
fn face_y(x: f32, z: f32) -> Option<f32> {
    match (front_y(CRANIUM, x, z), front_y(FACE, x, z)) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn eye_centre(side: f32) -> [f32; 3] {
    let y = front_y(CRANIUM, EYE_X, EYE_Z).unwrap_or(-70.0) + EYE_R;
    [side * EYE_X, y, EYE_Z]
}

fn in_head(p: [f32; 3], d: f32) -> bool {
    ell(p, CRANIUM, d) <= 1.0 || ell(p, FACE, d) <= 1.0
}

fn in_neck(p: [f32; 3], d: f32) -> bool {
    p[2] < -40.0 && sq(p[0] / (50.0 - d)) + sq((p[1] - 30.0) / (52.0 - d)) <= 1.0
}

/// Level of the skull base (cranial floor): higher anteriorly, like the anterior fossa.
fn floor_z(y: f32) -> f32 {
    -12.0 - 0.22 * (y - 8.0)
}

/// Soft-tissue appendages in front of / beside the head: nose, lips, chin, ears.
fn in_appendage(p: [f32; 3]) -> bool {
    let [x, y, z] = p;
    // Ears: flat ellipsoids on both sides.
    if ell([x.abs(), y, z], ([76.0, 14.0, 0.0], [5.0, 12.0, 22.0]), 0.0) <= 1.0 {
        return true;
    }
    let (Some(local), Some(mid)) = (face_y(x, z), face_y(0.0, z)) else {
        return false;
    };
    if y > local {
        return false;
    }
    let dy = (mid - y).max(0.0);
    // Nose: a wedge growing from the root (eye level) to the tip, then a short columella.
    if (NOSE_BOTTOM_Z..=NOSE_ROOT_Z).contains(&z) {
        let t = ((NOSE_ROOT_Z - z) / (NOSE_ROOT_Z - NOSE_TIP_Z)).min(1.0);
        let mut p_len = 5.0 + (NOSE_TIP_PROTRUSION - 5.0) * t;
        if z < NOSE_TIP_Z {
            p_len -= (NOSE_TIP_Z - z) * 2.5;
        }
        let half_w = 6.0 + 10.0 * t;
        if dy <= p_len && x.abs() <= half_w * (1.0 - dy / p_len).powf(0.6) {
            return true;
        }
    }
    // Lips: two bumps either side of the mouth line, and a chin below.
    let bump = |lo: f32, hi: f32, height: f32, half_w: f32| {
        (lo..=hi).contains(&z) && x.abs() < half_w && {
            let s = (std::f32::consts::PI * (z - lo) / (hi - lo)).sin().sqrt();
            dy <= height * (1.0 - sq(x / half_w)) * s
        }
    };
    bump(-43.0, -36.0, 6.0, 22.0) || bump(-50.0, -43.0, 6.0, 22.0) || bump(-72.0, -56.0, 9.0, 18.0)
}

/// Hounsfield value of the noiseless phantom at LPS point `p` (mm).
pub fn hu(p: [f32; 3]) -> f32 {
    let [x, y, z] = p;
    if (103.0..=109.0).contains(&y) && x.abs() < 110.0 {
        return TABLE; // the couch, posterior to the head
    }
    let head = in_head(p, 0.0) || in_neck(p, 0.0);
    if !head {
        return if in_appendage(p) { SKIN } else { AIR };
    }
    // Eyes: a shallow socket in the skin, the eyeball with its lens, orbital fat, bony rim.
    for side in [-1.0, 1.0] {
        let e = eye_centre(side);
        let socket = [e[0], e[1] - EYE_R - 4.0, e[2] + 2.0];
        let d_eye = dist2(p, e);
        if d_eye > sq(EYE_R) && dist2(p, socket) < sq(10.0) {
            return AIR;
        }
        if d_eye <= sq(EYE_R) {
            let lens = [e[0], e[1] - EYE_R + 3.0, e[2]];
            return if dist2(p, lens) < sq(3.5) { LENS } else { VITREOUS };
        }
        let orbit = [e[0], e[1] + 6.0, e[2]];
        let d_orbit = dist2(p, orbit);
        if d_orbit < sq(15.0) {
            return FAT;
        }
        if d_orbit < sq(17.5) && y > e[1] {
            return CORTICAL;
        }
    }
    if let Some(mid) = face_y(0.0, z) {
        // Mouth line and nostrils are thin air gaps at the skin surface.
        if (-43.6..=-42.4).contains(&z) && x.abs() < 20.0 && y < mid + 4.0 {
            return AIR;
        }
        if ell([x.abs(), y, z], ([6.0, mid - 8.0, -26.0], [3.5, 5.0, 3.0]), 0.0) <= 1.0 {
            return AIR;
        }
    }
    if !(in_head(p, 5.0) || in_neck(p, 5.0)) {
        return SKIN; // scalp and facial skin
    }
    let floor = floor_z(y);
    if z > floor && ell(p, CRANIUM, 5.0) <= 1.0 {
        return cranial(p, floor);
    }
    below_floor(p)
}

/// Skull vault, cranial floor, CSF and brain (above the skull base).
fn cranial(p: [f32; 3], floor: f32) -> f32 {
    let [x, y, z] = p;
    if ell(p, CRANIUM, 12.0) > 1.0 {
        // Diploe sits in the middle of the 7 mm vault, cortical tables either side.
        let diploe = ell(p, CRANIUM, 7.0) <= 1.0 && ell(p, CRANIUM, 10.0) > 1.0;
        return if diploe { DIPLOE } else { CORTICAL };
    }
    if z < floor + 5.0 {
        return CORTICAL;
    }
    if ell(p, CRANIUM, 14.0) > 1.0 || z < floor + 7.0 {
        return CSF;
    }
    let ventricles = [
        ([9.0, 2.0, 22.0], [4.5, 24.0, 8.0]),
        ([-9.0, 2.0, 22.0], [4.5, 24.0, 8.0]),
        ([0.0, 14.0, -2.0], [1.8, 9.0, 6.0]),
    ];
    if ventricles.iter().any(|&e| ell(p, e, 0.0) <= 1.0) {
        return CSF;
    }
    if ell([x.abs(), y, z], ([14.0, 12.0, 0.0], [8.0, 12.0, 8.0]), 0.0) <= 1.0 {
        return DEEP_GREY; // basal ganglia / thalamus
    }
    // Grey/white boundary with a gyral wobble.
    let rho = ell(p, CRANIUM, 14.0);
    let gyri = 0.07 * ((y - 8.0).atan2(x) * 9.0).sin() * (z * 0.15).cos();
    if rho < 0.55 + gyri { WHITE } else { GREY }
}

/// Face, skull base, jaw and neck (below the cranial floor).
fn below_floor(p: [f32; 3]) -> f32 {
    let [x, y, z] = p;
    // The nasal cavity opens through the facial bones (piriform aperture).
    if let Some(mid) = face_y(0.0, z)
        && x.abs() < 9.0
        && (mid + 6.0..-30.0).contains(&y)
        && (-30.0..0.0).contains(&z)
    {
        return if x.abs() < 1.0 { SKIN } else { AIR }; // nasal cavity and septum
    }
    let band = in_head(p, 5.0) && !in_head(p, 12.0);
    if band && (z > -45.0 || (z < -48.0 && y < 18.0)) {
        return CORTICAL; // facial bones and skull base above, mandible below
    }
    let teeth = ell(p, FACE, 9.0) <= 1.0 && ell(p, FACE, 16.0) > 1.0;
    if teeth && y < -20.0 && (-49.0..=-39.0).contains(&z) {
        return ENAMEL;
    }
    if ell([x.abs(), y, z], ([26.0, -40.0, -18.0], [12.0, 14.0, 12.0]), 0.0) <= 1.0 {
        return AIR; // maxillary sinuses
    }
    if z < -28.0 && sq(x) + sq(y - 22.0) < sq(7.0) {
        return AIR; // pharynx
    }
    if z < -35.0 {
        let body = sq(x) + sq(y - 42.0);
        if body < sq(10.0) {
            return if body > sq(8.0) { CORTICAL } else { 600.0 };
        }
        let canal = sq(x) + sq(y - 60.0);
        if canal < sq(7.0) {
            return GREY; // spinal cord
        }
        if canal < sq(10.0) {
            return CORTICAL;
        }
    }
    MUSCLE
}

/// Voxel grid of the CT series: index (col, row, slice) ↔ LPS position.
#[derive(Debug, Clone, Copy)]
pub struct Grid {
    pub cols: usize,
    pub rows: usize,
    pub slices: usize,
    pub spacing: f64,
    pub slice_spacing: f64,
    /// LPS position of voxel (0, 0, 0).
    pub origin: [f64; 3],
}

impl Grid {
    pub fn new(ct: &CtSeries) -> Grid {
        let half = |n: u16| -(f64::from(n) - 1.0) / 2.0 * ct.pixel_spacing;
        Grid {
            cols: ct.columns.into(),
            rows: ct.rows.into(),
            slices: ct.slices as usize,
            spacing: ct.pixel_spacing,
            slice_spacing: ct.slice_spacing,
            origin: [half(ct.columns), half(ct.rows), ct.first_z],
        }
    }

    pub fn position(&self, col: usize, row: usize, slice: usize) -> [f64; 3] {
        [
            self.origin[0] + col as f64 * self.spacing,
            self.origin[1] + row as f64 * self.spacing,
            self.origin[2] + slice as f64 * self.slice_spacing,
        ]
    }

    /// Nearest voxel to an LPS point (clamped into the grid).
    pub fn index(&self, p: [f32; 3]) -> [usize; 3] {
        let f = |v: f32, o: f64, s: f64, n: usize| ((f64::from(v) - o) / s).round().clamp(0.0, (n - 1) as f64) as usize;
        [
            f(p[0], self.origin[0], self.spacing, self.cols),
            f(p[1], self.origin[1], self.spacing, self.rows),
            f(p[2], self.origin[2], self.slice_spacing, self.slices),
        ]
    }

    fn hu_at(&self, col: usize, row: usize, slice: usize) -> f32 {
        let p = self.position(col, row, slice);
        hu([p[0] as f32, p[1] as f32, p[2] as f32])
    }
}

/// Stateless per-voxel hash (splitmix64), so parallel slices get reproducible noise.
pub fn hash64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Approximately standard-normal noise from a hash (Irwin–Hall sum of four uniforms).
pub fn gauss(h: u64) -> f32 {
    let s: u32 = (0..4).map(|i| ((h >> (16 * i)) & 0xFFFF) as u32).sum();
    (s as f32 / 65535.0 - 2.0) * 3f32.sqrt()
}

/// Stored pixel values of one slice (HU + 1024, signed 16-bit, little endian bytes).
pub fn slice_bytes(grid: &Grid, ct: &CtSeries, slice: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(grid.rows * grid.cols * 2);
    for row in 0..grid.rows {
        for col in 0..grid.cols {
            let idx = ((slice * grid.rows + row) * grid.cols + col) as u64;
            let noise = gauss(hash64(idx ^ ct.noise_seed.rotate_left(32))) * ct.noise_hu;
            let v = (grid.hu_at(col, row, slice) + noise + 1024.0).round();
            out.extend_from_slice(&(v.clamp(-32768.0, 32767.0) as i16).to_le_bytes());
        }
    }
    out
}

/// Landmark voxels of the phantom, as `[col, row, slice]` indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CtLandmarks {
    /// Most anterior soft-tissue voxel of the nose (midline, at the nose-tip level).
    pub nose_tip: [usize; 3],
    /// Centre of the patient's right eyeball (−x in LPS, so the lower column index).
    pub right_eye: [usize; 3],
    pub left_eye: [usize; 3],
    /// White matter between the lateral ventricles.
    pub brain_centre: [usize; 3],
    /// Middle of the occipital skull vault, posterior to the brain centre.
    pub skull: [usize; 3],
    /// A corner voxel well outside the head.
    pub air: [usize; 3],
}

pub fn landmarks(ct: &CtSeries) -> CtLandmarks {
    let g = Grid::new(ct);
    let centre = g.index(BRAIN_CENTRE);
    let [ncol, _, nslice] = g.index([0.0, 0.0, NOSE_TIP_Z]);
    let nrow = (0..g.rows).find(|&r| g.hu_at(ncol, r, nslice) > -200.0).unwrap_or(0);
    let back = CRANIUM.0[1] + CRANIUM.1[1] - 8.5;
    CtLandmarks {
        nose_tip: [ncol, nrow, nslice],
        right_eye: g.index(eye_centre(-1.0)),
        left_eye: g.index(eye_centre(1.0)),
        brain_centre: centre,
        skull: g.index([BRAIN_CENTRE[0], back, BRAIN_CENTRE[2]]),
        air: [4, 4, g.slices / 2],
    }
}
