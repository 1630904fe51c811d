//! The image at the scales the cascade is run on: bilinear resampling with pixel centres aligned,
//! as OpenCV's `resize(INTER_LINEAR_EXACT)` does for its detector, so the trained thresholds see the
//! kind of image they were trained against.

/// The scale factors (original ÷ scaled size) from 1 up to where the training window still fits,
/// each `step` times the last (OpenCV's `scaleFactor`).
pub fn scales(width: usize, height: usize, window: (u32, u32), step: f32, min_face: u32) -> Vec<f32> {
    let mut out = Vec::new();
    // Accumulated in f64 as OpenCV does, so the levels match its own over 40-odd steps.
    let mut f = 1.0f64;
    let (ww, wh) = (f64::from(window.0), f64::from(window.1));
    while (ww * f).round() <= width as f64 && (wh * f).round() <= height as f64 {
        if (ww * f).round() >= f64::from(min_face) {
            out.push(f as f32);
        }
        f *= f64::from(step);
    }
    out
}

/// The image resized by 1/`factor` (each side rounded), with its width and height.
pub fn downscale(pixels: &[u8], width: usize, height: usize, factor: f32) -> (Vec<u8>, usize, usize) {
    let dw = ((width as f64 / f64::from(factor)).round() as usize).max(1);
    let dh = ((height as f64 / f64::from(factor)).round() as usize).max(1);
    if dw == width && dh == height {
        return (pixels[..width * height].to_vec(), width, height);
    }
    let xs = taps(width, dw);
    let ys = taps(height, dh);
    let mut out = vec![0u8; dw * dh];
    let mut r0 = vec![0u32; dw];
    let mut r1 = vec![0u32; dw];
    for (row, &(y0, fy)) in out.chunks_exact_mut(dw).zip(&ys) {
        let y1 = (y0 + 1).min(height - 1);
        horizontal(&pixels[y0 * width..(y0 + 1) * width], &xs, &mut r0);
        horizontal(&pixels[y1 * width..(y1 + 1) * width], &xs, &mut r1);
        for ((o, &a), &b) in row.iter_mut().zip(&r0).zip(&r1) {
            *o = ((a * (ONE - fy) + b * fy + (1 << (2 * BITS - 1))) >> (2 * BITS)) as u8;
        }
    }
    (out, dw, dh)
}

/// One source row resampled to the destination width, with `BITS` fractional bits.
fn horizontal(src: &[u8], xs: &[(usize, u32)], out: &mut [u32]) {
    let last = src.len() - 1;
    for (o, &(x0, fx)) in out.iter_mut().zip(xs) {
        *o = u32::from(src[x0]) * (ONE - fx) + u32::from(src[(x0 + 1).min(last)]) * fx;
    }
}

/// Fixed-point weights with 8 fractional bits per axis, as OpenCV's bit-exact INTER_LINEAR for
/// 8-bit images (the detector's own resize): the same levels give the same hits.
const BITS: u32 = 8;
const ONE: u32 = 1 << BITS;

/// For each destination index: the left source index and the weight of its right neighbour.
/// Centres are aligned; outside the source the edge pixel is repeated.
fn taps(src: usize, dst: usize) -> Vec<(usize, u32)> {
    let scale = 1.0 / (dst as f64 / src as f64);
    (0..dst)
        .map(|d| {
            let s = scale * (d as f64 + 0.5) - 0.5;
            let i = s.floor();
            if i < 0.0 {
                (0, 0)
            } else if (i as usize) < src - 1 {
                (i as usize, ((s - i) * f64::from(ONE)).round_ties_even() as u32)
            } else {
                (src - 1, 0)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_run_from_one_until_the_window_no_longer_fits() {
        let s = scales(100, 60, (20, 20), 1.1, 0);
        assert_eq!(s[0], 1.0);
        let last = *s.last().unwrap();
        assert!((20.0 * last).round() <= 60.0 && (20.0 * last * 1.1).round() > 60.0, "{last}");
        let min_40 = scales(100, 60, (20, 20), 1.1, 40);
        assert!(min_40.iter().all(|f| (20.0 * f).round() >= 40.0) && min_40.len() < s.len());
    }

    #[test]
    fn halving_a_ramp_averages_neighbour_pairs() {
        let (w, h) = (8, 2);
        let pixels: Vec<u8> = (0..h).flat_map(|_| (0..w).map(|x| (x * 10) as u8)).collect();
        let (out, dw, dh) = downscale(&pixels, w, h, 2.0);
        assert_eq!((dw, dh), (4, 1));
        // Centres of destination pixels fall between source pixels 2k and 2k+1.
        assert_eq!(out, vec![5, 25, 45, 65]);
    }
}
