//! `#rrggbb` (sRGB) ↔ DICOM's Recommended Display CIELab Value (PS3.3 C.10.7.1.1): L* 0–100 and
//! a*, b* −128–127 scaled to 0–65535, D65 white point.

const WHITE: [f64; 3] = [0.950_47, 1.0, 1.088_83];

/// Parses `#rrggbb` (the `#` optional).
pub fn parse_hex(colour: &str) -> Option<[u8; 3]> {
    let h = colour.trim().trim_start_matches('#');
    if h.len() != 6 || !h.is_ascii() {
        return None;
    }
    let c = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).ok();
    Some([c(0)?, c(2)?, c(4)?])
}

pub fn to_hex(rgb: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2])
}

fn to_linear(c: f64) -> f64 {
    if c <= 0.040_45 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
}

fn from_linear(c: f64) -> f64 {
    if c <= 0.003_130_8 { c * 12.92 } else { 1.055 * c.powf(1.0 / 2.4) - 0.055 }
}

fn f(t: f64) -> f64 {
    let d: f64 = 6.0 / 29.0;
    if t > d.powi(3) { t.cbrt() } else { t / (3.0 * d * d) + 4.0 / 29.0 }
}

fn f_inv(t: f64) -> f64 {
    let d: f64 = 6.0 / 29.0;
    if t > d { t.powi(3) } else { 3.0 * d * d * (t - 4.0 / 29.0) }
}

/// sRGB → DICOM-scaled CIELab.
pub fn rgb_to_dicom_lab(rgb: [u8; 3]) -> [u16; 3] {
    let [r, g, b] = rgb.map(|c| to_linear(f64::from(c) / 255.0));
    let xyz = [
        0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b,
        0.212_672_9 * r + 0.715_152_2 * g + 0.072_175_0 * b,
        0.019_333_9 * r + 0.119_192_0 * g + 0.950_304_1 * b,
    ];
    let [fx, fy, fz] = [0, 1, 2].map(|i| f(xyz[i] / WHITE[i]));
    let (l, a, bb) = (116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz));
    let scale = |v: f64, lo: f64, hi: f64| ((v - lo) / (hi - lo) * 65535.0).round().clamp(0.0, 65535.0) as u16;
    [scale(l, 0.0, 100.0), scale(a, -128.0, 127.0), scale(bb, -128.0, 127.0)]
}

/// DICOM-scaled CIELab → sRGB (out-of-gamut values clipped).
pub fn dicom_lab_to_rgb(lab: [u16; 3]) -> [u8; 3] {
    let unscale = |v: u16, lo: f64, hi: f64| f64::from(v) / 65535.0 * (hi - lo) + lo;
    let (l, a, b) = (unscale(lab[0], 0.0, 100.0), unscale(lab[1], -128.0, 127.0), unscale(lab[2], -128.0, 127.0));
    let fy = (l + 16.0) / 116.0;
    let (fx, fz) = (fy + a / 500.0, fy - b / 200.0);
    let [x, y, z] = [f_inv(fx) * WHITE[0], f_inv(fy) * WHITE[1], f_inv(fz) * WHITE[2]];
    let lin = [
        3.240_454_2 * x - 1.537_138_5 * y - 0.498_531_4 * z,
        -0.969_266_0 * x + 1.876_010_8 * y + 0.041_556_0 * z,
        0.055_643_4 * x - 0.204_025_9 * y + 1.057_225_2 * z,
    ];
    lin.map(|c| (from_linear(c.clamp(0.0, 1.0)) * 255.0).round().clamp(0.0, 255.0) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_grey_and_a_spread_of_colours_round_trip_through_cielab() {
        for v in 0..=255u8 {
            assert_eq!(dicom_lab_to_rgb(rgb_to_dicom_lab([v, v, v])), [v, v, v]);
        }
        for r in (0..=255u8).step_by(15) {
            for g in (0..=255u8).step_by(17) {
                for b in (0..=255u8).step_by(51) {
                    assert_eq!(dicom_lab_to_rgb(rgb_to_dicom_lab([r, g, b])), [r, g, b]);
                }
            }
        }
    }

    #[test]
    fn white_is_l100_and_neutral() {
        let [l, a, b] = rgb_to_dicom_lab([255, 255, 255]);
        assert_eq!(l, 65535);
        assert!((i32::from(a) - 32896).abs() <= 2 && (i32::from(b) - 32896).abs() <= 2, "{a} {b}");
        assert_eq!(parse_hex("#FF8000"), Some([255, 128, 0]));
        assert_eq!(to_hex([255, 128, 0]), "#ff8000");
        assert_eq!(parse_hex("#ff80"), None);
    }
}
