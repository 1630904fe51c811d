//! Integral and squared-integral images of an 8-bit image, for constant-time rectangle sums.
//!
//! Both are kept in wrapping `u32`: a rectangle sum is a difference of four corners, and modular
//! arithmetic gives it exactly whenever the true sum fits in 32 bits. The detector only asks for
//! rectangles inside a 20 × 20 window (at most 400 × 255² < 2³²), so any image size works.

pub struct Integral {
    /// Row length of the tables: image width + 1 (a zero first column).
    pub stride: usize,
    pub sum: Vec<u32>,
    pub sq: Vec<u32>,
}

impl Integral {
    pub fn new(pixels: &[u8], width: usize, height: usize) -> Integral {
        let stride = width + 1;
        let mut sum = vec![0u32; stride * (height + 1)];
        let mut sq = vec![0u32; stride * (height + 1)];
        for y in 0..height {
            let (mut row_sum, mut row_sq) = (0u32, 0u32);
            let src = &pixels[y * width..(y + 1) * width];
            let (above, below) = sum.split_at_mut((y + 1) * stride);
            let (above_sq, below_sq) = sq.split_at_mut((y + 1) * stride);
            let prev = &above[y * stride..];
            let prev_sq = &above_sq[y * stride..];
            for (x, &p) in src.iter().enumerate() {
                let p = u32::from(p);
                row_sum = row_sum.wrapping_add(p);
                row_sq = row_sq.wrapping_add(p * p);
                below[x + 1] = prev[x + 1].wrapping_add(row_sum);
                below_sq[x + 1] = prev_sq[x + 1].wrapping_add(row_sq);
            }
        }
        Integral { stride, sum, sq }
    }
}

/// Sum over a rectangle given its four corner offsets (top-left, top-right, bottom-left,
/// bottom-right) relative to `base`.
#[inline]
pub fn rect_sum(table: &[u32], base: usize, corners: &[usize; 4]) -> u32 {
    table[base + corners[0]]
        .wrapping_sub(table[base + corners[1]])
        .wrapping_sub(table[base + corners[2]])
        .wrapping_add(table[base + corners[3]])
}

/// Corner offsets of rectangle (x, y, w, h) in a table with row length `stride`.
pub fn corners(x: usize, y: usize, w: usize, h: usize, stride: usize) -> [usize; 4] {
    [y * stride + x, y * stride + x + w, (y + h) * stride + x, (y + h) * stride + x + w]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rectangle_sums_equal_direct_sums_even_where_the_running_total_wraps() {
        // 300 × 300 of 255: the squared table's total (5.85e9) wraps past 2^32.
        let (w, h) = (300usize, 300usize);
        let pixels: Vec<u8> = (0..w * h).map(|i| if i % 7 == 0 { 200 } else { 255 }).collect();
        let ii = Integral::new(&pixels, w, h);
        for &(x, y, rw, rh) in &[(0, 0, 20, 20), (280, 280, 20, 20), (123, 45, 7, 19), (299, 299, 1, 1)] {
            let c = corners(x, y, rw, rh, ii.stride);
            let (mut s, mut q) = (0u64, 0u64);
            for yy in y..y + rh {
                for xx in x..x + rw {
                    let p = u64::from(pixels[yy * w + xx]);
                    s += p;
                    q += p * p;
                }
            }
            assert_eq!(u64::from(rect_sum(&ii.sum, 0, &c)), s);
            assert_eq!(u64::from(rect_sum(&ii.sq, 0, &c)), q);
        }
    }
}
