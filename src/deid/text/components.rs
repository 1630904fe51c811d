//! Low-level image operations of the detector: a 7×7 grey opening (for the top-hat that isolates
//! thin strokes), a summed-area table, and run-based connected-component labelling with the
//! per-component statistics the line grouping needs.

/// Half size of the square structuring element. Strokes up to `2 × RADIUS` pixels wide vanish in
/// the opening and so stand out in the top-hat; that covers overlay fonts up to about 40 px tall.
pub const RADIUS: usize = 3;

/// `out[i] = op(src[i - RADIUS ..= i + RADIUS])` along rows, clamped at the borders.
fn filter_rows(src: &[u8], w: usize, out: &mut [u8], op: impl Fn(u8, u8) -> u8 + Copy) {
    for (s, o) in src.chunks_exact(w).zip(out.chunks_exact_mut(w)) {
        o.copy_from_slice(s);
        for d in 1..=RADIUS.min(w - 1) {
            // Elementwise over shifted slices so that the compiler vectorises each pass.
            for (o, &v) in o[d..].iter_mut().zip(&s[..w - d]) {
                *o = op(*o, v);
            }
            for (o, &v) in o[..w - d].iter_mut().zip(&s[d..]) {
                *o = op(*o, v);
            }
        }
    }
}

/// The same along columns, one whole row at a time.
fn filter_cols(src: &[u8], w: usize, h: usize, out: &mut [u8], op: impl Fn(u8, u8) -> u8 + Copy) {
    for y in 0..h {
        let o = &mut out[y * w..(y + 1) * w];
        o.copy_from_slice(&src[y * w..(y + 1) * w]);
        for yy in y.saturating_sub(RADIUS)..(y + RADIUS + 1).min(h) {
            if yy != y {
                for (o, &v) in o.iter_mut().zip(&src[yy * w..(yy + 1) * w]) {
                    *o = op(*o, v);
                }
            }
        }
    }
}

/// White top-hat `src − opening(src)`: bright structures narrower than the structuring element.
/// `a` and `b` are scratch buffers of the image's size.
pub fn top_hat(src: &[u8], w: usize, h: usize, a: &mut [u8], b: &mut [u8], out: &mut [u8]) {
    filter_rows(src, w, a, u8::min);
    filter_cols(a, w, h, b, u8::min);
    filter_rows(b, w, a, u8::max);
    filter_cols(a, w, h, b, u8::max);
    for ((o, &s), &opened) in out.iter_mut().zip(src).zip(b.iter()) {
        *o = s - opened.min(s);
    }
}

/// Summed-area table of a 0/1 mask, `(w + 1) × (h + 1)` entries.
pub struct Integral {
    w: usize,
    sums: Vec<u32>,
}

impl Integral {
    pub fn new(mask: &[u8], w: usize, h: usize) -> Integral {
        let stride = w + 1;
        let mut sums = vec![0u32; stride * (h + 1)];
        for y in 0..h {
            let mut row = 0u32;
            for x in 0..w {
                row += u32::from(mask[y * w + x]);
                sums[(y + 1) * stride + x + 1] = sums[y * stride + x + 1] + row;
            }
        }
        Integral { w, sums }
    }

    /// Set pixels in the inclusive box `[x0, x1] × [y0, y1]`.
    pub fn count(&self, x0: usize, y0: usize, x1: usize, y1: usize) -> u32 {
        let s = self.w + 1;
        let at = |x: usize, y: usize| self.sums[y * s + x];
        at(x1 + 1, y1 + 1) + at(x0, y0) - at(x0, y1 + 1) - at(x1 + 1, y0)
    }
}

/// One 8-connected component of the stroke mask.
#[derive(Debug, Clone, Copy)]
pub struct Component {
    /// Inclusive bounds.
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
    pub area: u32,
    /// Highest top-hat value (stroke contrast).
    pub peak: u8,
    /// Highest source value: the ink colour, the same for every glyph of a line.
    pub ink: u8,
    /// Pixels within 60 % of `peak`: glyphs are flat-topped strokes, speckle grains are peaked.
    pub flat: u32,
    /// Runs crossing the middle row: about two per glyph, so touching glyphs still count apart
    /// while a bar or a band of texture counts as one.
    pub mid_runs: u32,
    /// Horizontal runs: `area / runs` is the mean stroke width across, small for letters and
    /// large for solid blobs (markers, arrows, dots).
    pub runs: u32,
    /// The tile's noise-based seed level, before the floor (0 on a flat background).
    pub noise: u8,
}

impl Component {
    pub fn w(&self) -> u32 {
        self.x1 - self.x0 + 1
    }
    pub fn h(&self) -> u32 {
        self.y1 - self.y0 + 1
    }
}

struct Run {
    y: u32,
    x0: u32,
    /// Exclusive.
    x1: u32,
}

fn find(parent: &mut [u32], mut i: u32) -> u32 {
    while parent[i as usize] != i {
        let p = parent[parent[i as usize] as usize];
        parent[i as usize] = p;
        i = p;
    }
    i
}

/// Labels the 8-connected components of `mask` (non-zero = set). Components larger than
/// `max_extent` in height are dropped early: no glyph is that tall, and long lines or region
/// borders would otherwise cost time downstream.
pub fn components(mask: &[u8], w: usize, h: usize, top_hat: &[u8], src: &[u8], max_extent: u32) -> Vec<Component> {
    let mut runs: Vec<Run> = Vec::new();
    let mut parent: Vec<u32> = Vec::new();
    let mut prev = 0..0;
    for y in 0..h {
        let row = &mask[y * w..(y + 1) * w];
        let start = runs.len();
        let mut x = 0;
        while x < w {
            if row[x] == 0 {
                x += 1;
                continue;
            }
            let x0 = x;
            while x < w && row[x] != 0 {
                x += 1;
            }
            let id = runs.len() as u32;
            runs.push(Run { y: y as u32, x0: x0 as u32, x1: x as u32 });
            parent.push(id);
        }
        // Join with runs of the previous row that touch, diagonals included.
        let mut j = prev.start;
        for i in start..runs.len() {
            let (a0, a1) = (runs[i].x0, runs[i].x1);
            while j < prev.end && runs[j].x1 < a0 {
                j += 1;
            }
            let mut k = j;
            while k < prev.end && runs[k].x0 <= a1 {
                let (ri, rk) = (find(&mut parent, i as u32), find(&mut parent, k as u32));
                if ri != rk {
                    parent[ri.max(rk) as usize] = ri.min(rk);
                }
                k += 1;
            }
        }
        prev = start..runs.len();
    }
    let mut index = vec![u32::MAX; runs.len()];
    let mut out: Vec<Component> = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        let root = find(&mut parent, i as u32) as usize;
        let at = r.y as usize * w;
        let span = at + r.x0 as usize..at + r.x1 as usize;
        let peak = top_hat[span.clone()].iter().copied().max().unwrap_or(0);
        let ink = src[span].iter().copied().max().unwrap_or(0);
        if index[root] == u32::MAX {
            index[root] = out.len() as u32;
            out.push(Component {
                x0: r.x0,
                y0: r.y,
                x1: r.x1 - 1,
                y1: r.y,
                area: 0,
                peak,
                ink,
                flat: 0,
                mid_runs: 0,
                runs: 0,
                noise: 0,
            });
        }
        let c = &mut out[index[root] as usize];
        c.x0 = c.x0.min(r.x0);
        c.x1 = c.x1.max(r.x1 - 1);
        c.y1 = r.y;
        c.area += r.x1 - r.x0;
        c.runs += 1;
        c.peak = c.peak.max(peak);
        c.ink = c.ink.max(ink);
    }
    for (i, r) in runs.iter().enumerate() {
        let c = &mut out[index[find(&mut parent, i as u32) as usize] as usize];
        let at = r.y as usize * w;
        let level = (u32::from(c.peak) * 3).div_ceil(5) as u8;
        c.flat += top_hat[at + r.x0 as usize..at + r.x1 as usize].iter().filter(|&&v| v >= level).count() as u32;
        c.mid_runs += u32::from(r.y == (c.y0 + c.y1) / 2);
    }
    out.retain(|c| c.h() <= max_extent);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_hat_keeps_thin_strokes_and_removes_wide_plateaus() {
        let (w, h) = (40, 20);
        let mut img = vec![10u8; w * h];
        for y in 2..18 {
            img[y * w + 5] = 200; // 1 px stroke
            for x in 20..35 {
                img[y * w + x] = 200; // 15 px plateau
            }
        }
        let (mut a, mut b, mut out) = (vec![0; w * h], vec![0; w * h], vec![0; w * h]);
        top_hat(&img, w, h, &mut a, &mut b, &mut out);
        assert_eq!(out[10 * w + 5], 190);
        assert_eq!(out[10 * w + 27], 0);
        assert_eq!(out[10 * w + 12], 0);
    }

    #[test]
    fn components_join_diagonal_neighbours_and_count_area() {
        let (w, h) = (8, 5);
        #[rustfmt::skip]
        let mask: Vec<u8> = vec![
            1, 0, 0, 0, 0, 0, 1, 1,
            0, 1, 0, 0, 0, 0, 0, 1,
            0, 0, 1, 1, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0,
            1, 1, 0, 0, 0, 0, 0, 1,
        ];
        let src: Vec<u8> = (0..w * h).map(|i| i as u8).collect();
        let mut c = components(&mask, w, h, &src, &src, 100);
        c.sort_by_key(|c| (c.y0, c.x0));
        let boxes: Vec<_> = c.iter().map(|c| (c.x0, c.y0, c.x1, c.y1, c.area)).collect();
        assert_eq!(boxes, vec![(0, 0, 3, 2, 4), (6, 0, 7, 1, 3), (0, 4, 1, 4, 2), (7, 4, 7, 4, 1)]);
        assert_eq!(c[0].ink, (2 * w + 3) as u8);
    }

    #[test]
    fn integral_counts_set_pixels_in_a_box() {
        let (w, h) = (5, 4);
        let mask: Vec<u8> = (0..w * h).map(|i| u8::from(i % 2 == 0)).collect();
        let s = Integral::new(&mask, w, h);
        let brute = |x0, y0, x1, y1| {
            (y0..=y1).flat_map(|y| (x0..=x1).map(move |x| (x, y))).filter(|&(x, y)| mask[y * w + x] == 1).count()
        };
        assert_eq!(s.count(1, 1, 3, 2) as usize, brute(1, 1, 3, 2));
        assert_eq!(s.count(0, 0, 4, 3) as usize, brute(0, 0, 4, 3));
    }
}
