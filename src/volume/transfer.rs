//! Transfer functions for direct volume rendering: piecewise-linear colour and opacity over
//! modality values, as data, and the lookup table the shader samples.

/// One control point: value in modality units (CT: HU), colour (display RGB 0–1) and opacity per
/// millimetre of ray.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TfPoint {
    pub value: f64,
    pub rgb: [f64; 3],
    pub opacity: f64,
}

const fn p(value: f64, rgb: [f64; 3], opacity: f64) -> TfPoint {
    TfPoint { value, rgb, opacity }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TfPreset {
    CtSkin,
    CtBone,
    CtSoftTissue,
    CtAngio,
    /// MR has no absolute scale: the points are fractions of the volume's value range.
    Mr,
}

pub const SKIN: [f64; 3] = [0.93, 0.75, 0.63];
const BONE: [f64; 3] = [0.95, 0.91, 0.82];

const CT_SKIN: &[TfPoint] = &[
    p(-600.0, SKIN, 0.0),
    p(-350.0, SKIN, 0.0),
    p(-150.0, SKIN, 0.6),
    p(100.0, [0.85, 0.55, 0.45], 0.6),
    p(300.0, BONE, 0.8),
    p(2000.0, [1.0, 1.0, 1.0], 0.9),
];
const CT_BONE: &[TfPoint] = &[
    p(120.0, [0.6, 0.35, 0.25], 0.0),
    p(250.0, [0.85, 0.7, 0.55], 0.08),
    p(500.0, BONE, 0.5),
    p(1200.0, [1.0, 1.0, 0.97], 0.9),
    p(3000.0, [1.0, 1.0, 1.0], 0.9),
];
const CT_SOFT: &[TfPoint] = &[
    p(-200.0, [0.5, 0.3, 0.2], 0.0),
    p(-60.0, [0.9, 0.75, 0.4], 0.02),
    p(20.0, [0.8, 0.3, 0.25], 0.03),
    p(80.0, [0.95, 0.55, 0.45], 0.08),
    p(300.0, BONE, 0.3),
    p(2000.0, [1.0, 1.0, 1.0], 0.6),
];
const CT_ANGIO: &[TfPoint] = &[
    p(120.0, [0.6, 0.05, 0.05], 0.0),
    p(200.0, [0.85, 0.15, 0.1], 0.3),
    p(400.0, [1.0, 0.5, 0.4], 0.6),
    p(700.0, BONE, 0.7),
    p(3000.0, [1.0, 1.0, 1.0], 0.9),
];
const MR: &[TfPoint] = &[
    p(0.0, [0.0, 0.0, 0.0], 0.0),
    p(0.12, [0.5, 0.4, 0.35], 0.0),
    p(0.3, [0.85, 0.7, 0.6], 0.1),
    p(0.7, [1.0, 0.95, 0.9], 0.4),
    p(1.0, [1.0, 1.0, 1.0], 0.6),
];

impl TfPreset {
    pub const ALL: [TfPreset; 5] =
        [TfPreset::CtSkin, TfPreset::CtBone, TfPreset::CtSoftTissue, TfPreset::CtAngio, TfPreset::Mr];

    /// The i18n key of the preset's name.
    pub fn key(self) -> &'static str {
        match self {
            TfPreset::CtSkin => "tf.ct_skin",
            TfPreset::CtBone => "tf.ct_bone",
            TfPreset::CtSoftTissue => "tf.ct_soft",
            TfPreset::CtAngio => "tf.ct_angio",
            TfPreset::Mr => "tf.mr",
        }
    }

    /// The points in modality units; `range` (low, high) scales the MR preset.
    pub fn points(self, range: (f64, f64)) -> TransferFunction {
        let pts = match self {
            TfPreset::CtSkin => CT_SKIN,
            TfPreset::CtBone => CT_BONE,
            TfPreset::CtSoftTissue => CT_SOFT,
            TfPreset::CtAngio => CT_ANGIO,
            TfPreset::Mr => MR,
        };
        let mut tf = TransferFunction { points: [p(0.0, [0.0; 3], 0.0); MAX_POINTS], len: pts.len() };
        for (dst, src) in tf.points.iter_mut().zip(pts) {
            *dst = *src;
            if self == TfPreset::Mr {
                dst.value = range.0 + src.value * (range.1 - range.0).max(1e-6);
            }
        }
        tf
    }

    /// The iso-surface threshold that goes with the preset (CT skin −300 HU, bone 250 HU …).
    pub fn iso_threshold(self, range: (f64, f64)) -> f64 {
        match self {
            TfPreset::CtSkin | TfPreset::CtSoftTissue => -300.0,
            TfPreset::CtBone => 250.0,
            TfPreset::CtAngio => 200.0,
            TfPreset::Mr => range.0 + 0.15 * (range.1 - range.0),
        }
    }
}

pub const MAX_POINTS: usize = 8;
/// Entries of the shader's lookup table.
pub const LUT_SIZE: usize = 256;

/// Up to `MAX_POINTS` points sorted by value (fixed size: no allocation per frame).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransferFunction {
    points: [TfPoint; MAX_POINTS],
    len: usize,
}

impl TransferFunction {
    pub fn points(&self) -> &[TfPoint] {
        &self.points[..self.len]
    }

    /// Value range the table covers; outside it the end points hold.
    pub fn range(&self) -> (f64, f64) {
        let pts = self.points();
        (pts[0].value, pts[pts.len() - 1].value.max(pts[0].value + 1e-6))
    }

    /// Colour and opacity (per mm) at `value`, linear between points, constant beyond the ends.
    pub fn eval(&self, value: f64) -> ([f64; 3], f64) {
        let pts = self.points();
        let first = pts[0];
        if value <= first.value {
            return (first.rgb, first.opacity);
        }
        for w in pts.windows(2) {
            let (a, b) = (w[0], w[1]);
            if value <= b.value {
                let f = (value - a.value) / (b.value - a.value).max(1e-12);
                let rgb = std::array::from_fn(|c| a.rgb[c] + (b.rgb[c] - a.rgb[c]) * f);
                return (rgb, a.opacity + (b.opacity - a.opacity) * f);
            }
        }
        let last = pts[pts.len() - 1];
        (last.rgb, last.opacity)
    }

    /// The values where opacity is non-zero: (lowest, highest). Bricks entirely outside are skipped.
    pub fn visible_range(&self) -> (f64, f64) {
        let pts = self.points();
        let (Some(first), Some(last)) =
            (pts.iter().position(|q| q.opacity > 0.0), pts.iter().rposition(|q| q.opacity > 0.0))
        else {
            return (f64::INFINITY, f64::NEG_INFINITY);
        };
        let lo = if first == 0 { f64::NEG_INFINITY } else { pts[first - 1].value };
        let hi = if last == pts.len() - 1 { f64::INFINITY } else { pts[last + 1].value };
        (lo, hi)
    }

    /// The shader's table over `range()`: display RGB and the opacity of one step of `step_mm`
    /// (1 − (1 − α)^step, so the image does not depend on the sampling rate).
    pub fn lut(&self, step_mm: f64, out: &mut [[f32; 4]; LUT_SIZE]) {
        let (lo, hi) = self.range();
        for (i, e) in out.iter_mut().enumerate() {
            let v = lo + (hi - lo) * i as f64 / (LUT_SIZE - 1) as f64;
            let (rgb, a) = self.eval(v);
            let a = 1.0 - (1.0 - a.clamp(0.0, 0.999_999)).powf(step_mm);
            *e = [rgb[0] as f32, rgb[1] as f32, rgb[2] as f32, a as f32];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_sorted_with_a_transparent_start() {
        for preset in TfPreset::ALL {
            let tf = preset.points((0.0, 1000.0));
            let pts = tf.points();
            assert!(pts.len() >= 2 && pts.len() <= MAX_POINTS, "{preset:?}");
            assert!(pts.windows(2).all(|w| w[0].value < w[1].value), "{preset:?} is not sorted");
            assert_eq!(pts[0].opacity, 0.0, "{preset:?}: air/background must be transparent");
        }
    }

    #[test]
    fn bone_preset_hides_soft_tissue_and_shows_bone() {
        let tf = TfPreset::CtBone.points((0.0, 0.0));
        assert_eq!(tf.eval(40.0).1, 0.0, "soft tissue (40 HU) is transparent");
        assert!(tf.eval(1000.0).1 > 0.5, "cortical bone is opaque");
        let (lo, hi) = tf.visible_range();
        assert!(lo == 120.0 && hi == f64::INFINITY, "{lo} {hi}");
    }

    #[test]
    fn eval_interpolates_linearly_and_clamps_at_the_ends() {
        let tf = TfPreset::CtSkin.points((0.0, 0.0));
        let (_, a) = tf.eval(-250.0);
        assert!((a - 0.3).abs() < 1e-12);
        assert_eq!(tf.eval(-5000.0).1, 0.0);
        assert_eq!(tf.eval(5000.0).1, 0.9);
    }

    #[test]
    fn mr_preset_scales_to_the_volume_range() {
        let tf = TfPreset::Mr.points((100.0, 1100.0));
        assert_eq!(tf.range(), (100.0, 1100.0));
        assert!((tf.eval(400.0).1 - 0.1).abs() < 1e-12);
    }

    #[test]
    fn lut_opacity_is_corrected_for_the_step() {
        let tf = TfPreset::CtBone.points((0.0, 0.0));
        let (mut one, mut half) = ([[0.0; 4]; LUT_SIZE], [[0.0; 4]; LUT_SIZE]);
        tf.lut(1.0, &mut one);
        tf.lut(0.5, &mut half);
        for (a, b) in one.iter().zip(&half) {
            // Two half steps transmit as much as one full step.
            let two_halves = 1.0 - (1.0 - f64::from(b[3])).powi(2);
            assert!((two_halves - f64::from(a[3])).abs() < 1e-5);
        }
        assert_eq!(one[0][3], 0.0);
        assert!(one[LUT_SIZE - 1][3] > 0.8);
    }
}
