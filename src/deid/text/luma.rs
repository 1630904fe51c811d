//! Decoded frames to the 8-bit luminance the detector works on.

use crate::dicom::{DecodedFrames, Photometric};

/// All frames of an image as 8-bit luminance, frame after frame.
pub struct LumaFrames {
    pub width: usize,
    pub height: usize,
    pub frames: usize,
    pub pixels: Vec<u8>,
}

impl LumaFrames {
    pub fn frame(&self, k: usize) -> &[u8] {
        let n = self.width * self.height;
        &self.pixels[k * n..(k + 1) * n]
    }
}

/// Converts every frame. Colour: Rec. 601 luma. Grey up to 8 stored bits: the full stored range
/// (burned-in text is drawn at fixed device values, so no data-dependent window can hide it).
/// Deeper grey: the 1st–99th percentile of all frames, so that a few saturated text pixels or a
/// mostly-empty field of view do not squeeze the anatomy (and text drawn on it) into a few levels.
/// MONOCHROME1 is inverted so that bright means bright on every image.
pub fn to_luma(d: &DecodedFrames) -> LumaFrames {
    let n = d.pixels_per_frame();
    let mut pixels = vec![0u8; n * d.frames];
    if d.photometric == Photometric::Rgb {
        for (k, out) in pixels.chunks_exact_mut(n).enumerate() {
            let rgb = d.rgb_frame(k).expect("colour image has RGB frames");
            for (o, p) in out.iter_mut().zip(rgb.chunks_exact(3)) {
                let y = 77 * u32::from(p[0]) + 150 * u32::from(p[1]) + 29 * u32::from(p[2]);
                *o = ((y + 128) >> 8) as u8;
            }
        }
    } else {
        let (lo, hi) = grey_window(d);
        let scale = 255.0 / (hi - lo).max(f64::EPSILON);
        let invert = d.photometric == Photometric::Monochrome1;
        for (k, out) in pixels.chunks_exact_mut(n).enumerate() {
            d.grey_frame_into(k, out, |v| {
                let g = ((v - lo) * scale).clamp(0.0, 255.0).round() as u8;
                if invert { 255 - g } else { g }
            });
        }
    }
    LumaFrames { width: d.cols, height: d.rows, frames: d.frames, pixels }
}

/// The grey window `(lo, hi)` in modality values.
fn grey_window(d: &DecodedFrames) -> (f64, f64) {
    let (min, max) = d.modality_range();
    if max - min <= 255.0 * d.slope.abs().max(f64::EPSILON) {
        return (min, max);
    }
    let mut values = Vec::with_capacity(d.pixels_per_frame().min(1 << 20));
    let mut frame = vec![0f64; d.pixels_per_frame()];
    // A strided sample keeps the percentile cheap on long cines; it only sets a display window.
    let stride = (d.frames * d.pixels_per_frame() / (1 << 20)).max(1);
    let mut i = 0usize;
    for k in 0..d.frames {
        d.grey_frame_into(k, &mut frame, |v| v);
        for &v in &frame {
            if i.is_multiple_of(stride) {
                values.push(v);
            }
            i += 1;
        }
    }
    let lo = percentile(&mut values, 0.01);
    let hi = percentile(&mut values, 0.99);
    if hi - lo > f64::EPSILON {
        return (lo, hi);
    }
    // A mostly flat image (e.g. a secondary capture on black): use the data's own extent.
    let (dmin, dmax) = values.iter().fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    if dmax > dmin { (dmin, dmax) } else { (min, max) }
}

fn percentile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let k = ((values.len() - 1) as f64 * q).round() as usize;
    *values.select_nth_unstable_by(k, f64::total_cmp).1
}
