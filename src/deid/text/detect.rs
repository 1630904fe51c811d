//! Per-frame detection: top-hat stroke contrast for bright and for dark ink, noise-adaptive
//! thresholds, connected components, text lines, header-based boost, boxes.

use super::components::{Component, Integral, RADIUS, components, top_hat};
use super::lines::{Line, MAX_GLYPH_H, Plane, lines};
use super::{Luma, TextBox};

/// Which ink the pass looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polarity {
    /// Light text on a darker background (almost all overlays).
    Bright,
    /// Dark text on a lighter background (labels, photos, MONOCHROME1 captures).
    Dark,
}

/// Noise tiles, in pixels.
const TILE: usize = 32;
/// Weakest stroke contrast (grey levels) that can seed a glyph on a flat background: faint
/// overlays can be a few levels above black (frame 2 of the OBXXXX1A sample: 4 levels).
const MIN_SEED: u8 = 4;
/// Seeds must stand this many times above the typical top-hat around (speckle, tissue texture).
const NOISE_FACTOR: f32 = 8.0;
/// Lines at or above this score are reported.
pub const ACCEPT: f32 = 0.5;
/// Outside every ultrasound image region the doubt `1 − score` is raised to this power: a clean
/// lone glyph there (a depth label, a marker letter) passes, junk stays junk.
const OUTSIDE_BOOST: f32 = 1.6;

/// Proposes text boxes in one frame. `regions` are the image-data rectangles `[x0, y0, x1, y1]`
/// (inclusive) from the Sequence of Ultrasound Regions; text outside all of them is annotation.
pub fn detect_frame(img: &Luma, regions: &[[u32; 4]]) -> Vec<TextBox> {
    let mut boxes = detect_polarity(img, regions, Polarity::Bright);
    boxes.extend(detect_polarity(img, regions, Polarity::Dark));
    merge_overlapping(boxes)
}

/// One polarity. Public for multi-frame use, where static bright text is sought in the frames'
/// minimum and static dark text in their maximum.
pub fn detect_polarity(img: &Luma, regions: &[[u32; 4]], polarity: Polarity) -> Vec<TextBox> {
    let (w, h) = (img.width, img.height);
    if w <= 2 * RADIUS || h <= 2 * RADIUS || img.pixels.len() < w * h {
        return Vec::new();
    }
    let inverted: Vec<u8>;
    let src = match polarity {
        Polarity::Bright => &img.pixels[..w * h],
        Polarity::Dark => {
            inverted = img.pixels[..w * h].iter().map(|&v| 255 - v).collect();
            &inverted
        }
    };
    let n = w * h;
    let (mut a, mut b, mut th) = (vec![0u8; n], vec![0u8; n], vec![0u8; n]);
    top_hat(src, w, h, &mut a, &mut b, &mut th);
    let Levels { noise, quarter_max } = levels(&th, w, h);
    let seeds: Vec<u8> = noise.iter().map(|&n| n.max(MIN_SEED)).collect();
    let low: Vec<u8> = seeds.iter().zip(&quarter_max).map(|(&s, &q)| s.div_ceil(2).max(q)).collect();
    let tiles_x = w.div_ceil(TILE);
    // Hysteresis: components grow down to the low level, and must reach the seed level somewhere.
    let mask = &mut a;
    for y in 0..h {
        let row_t = &low[(y / TILE) * tiles_x..];
        for x in 0..w {
            mask[y * w + x] = u8::from(th[y * w + x] >= row_t[x / TILE]);
        }
    }
    let integral = Integral::new(mask, w, h);
    let mut comps = components(mask, w, h, &th, src, 2 * MAX_GLYPH_H);
    let tile = |c: &Component| ((c.y0 + c.y1) as usize / 2 / TILE) * tiles_x + (c.x0 + c.x1) as usize / 2 / TILE;
    comps.retain(|c| c.peak >= seeds[tile(c)]);
    comps.iter_mut().for_each(|c| c.noise = noise[tile(c)]);
    let plane = Plane { src, w, h, mask: &integral };
    lines(&comps, &plane).into_iter().filter_map(|l| to_box(&l, regions, polarity, w, h)).collect()
}

/// Per-tile levels of one pass.
struct Levels {
    /// `NOISE_FACTOR` × the median of the median top-hats of the tile and its eight neighbours.
    /// Text covers less than half of a tile, so a tile's median is its background; the median of
    /// nine follows the texture around (a dark pool inside speckle counts as speckle) without
    /// letting one textured neighbour raise the level for text beside it. 0 on a flat background.
    noise: Vec<u8>,
    /// A quarter of the tile's strongest top-hat: the mask level that keeps a glyph's anti-aliased
    /// edge without joining it to faint halos and compression ringing around strong text.
    quarter_max: Vec<u8>,
}

fn levels(th: &[u8], w: usize, h: usize) -> Levels {
    let (tx, ty) = (w.div_ceil(TILE), h.div_ceil(TILE));
    let mut medians = vec![0u8; tx * ty];
    let mut quarter_max = vec![0u8; tx * ty];
    let mut hist = [0u32; 256];
    for j in 0..ty {
        for i in 0..tx {
            hist.fill(0);
            let (x0, x1) = (i * TILE, ((i + 1) * TILE).min(w));
            let (y0, y1) = (j * TILE, ((j + 1) * TILE).min(h));
            for y in y0..y1 {
                th[y * w + x0..y * w + x1].iter().for_each(|&v| hist[v as usize] += 1);
            }
            let half = ((x1 - x0) * (y1 - y0) / 2) as u32;
            let mut acc = 0;
            let median = hist.iter().position(|&c| {
                acc += c;
                acc > half
            });
            medians[j * tx + i] = median.unwrap_or(255) as u8;
            quarter_max[j * tx + i] = (hist.iter().rposition(|&c| c > 0).unwrap_or(0) / 4) as u8;
        }
    }
    let mut noise = vec![0u8; tx * ty];
    for j in 0..ty {
        for i in 0..tx {
            let mut around: Vec<u8> = Vec::with_capacity(9);
            for jj in j.saturating_sub(1)..(j + 2).min(ty) {
                for ii in i.saturating_sub(1)..(i + 2).min(tx) {
                    around.push(medians[jj * tx + ii]);
                }
            }
            around.sort_unstable();
            let m = around[around.len() / 2];
            noise[j * tx + i] = (f32::from(m) * NOISE_FACTOR).min(255.0) as u8;
        }
    }
    Levels { noise, quarter_max }
}

fn outside_regions(l: &Line, regions: &[[u32; 4]]) -> bool {
    !regions.is_empty() && regions.iter().all(|r| l.x1 < r[0] || l.x0 > r[2] || l.y1 < r[1] || l.y0 > r[3])
}

fn to_box(l: &Line, regions: &[[u32; 4]], polarity: Polarity, w: usize, h: usize) -> Option<TextBox> {
    let outside = outside_regions(l, regions);
    let score = if outside { 1.0 - (1.0 - l.score).powf(OUTSIDE_BOOST) } else { l.score };
    if score < ACCEPT {
        return None;
    }
    let ink = match polarity {
        Polarity::Bright => "light",
        Polarity::Dark => "dark",
    };
    let glyphs = if l.glyphs == 1 { "1 glyph".to_string() } else { format!("{} glyphs in a line", l.glyphs) };
    let mut reason = format!("{glyphs}, {ink} ink, contrast {}", l.contrast);
    if outside {
        reason.push_str(", outside ultrasound region");
    }
    // One pixel of margin: anti-aliased edges below the threshold still belong to the text.
    let (x0, y0) = (l.x0.saturating_sub(1), l.y0.saturating_sub(1));
    let (x1, y1) = ((l.x1 + 1).min(w as u32 - 1), (l.y1 + 1).min(h as u32 - 1));
    Some(TextBox {
        x: x0,
        y: y0,
        w: x1 - x0 + 1,
        h: y1 - y0 + 1,
        score,
        reason,
        frames: (0, 0),
        ocr_text: None,
        class: None,
    })
}

/// Merges boxes of which at least half of the smaller lies in the larger (the two polarities
/// often find the same line: glyphs light, counters and gaps dark). Keeps the better reason.
pub fn merge_overlapping(mut boxes: Vec<TextBox>) -> Vec<TextBox> {
    boxes.sort_by(|a, b| b.score.total_cmp(&a.score).then((a.y, a.x, a.w, a.h).cmp(&(b.y, b.x, b.w, b.h))));
    let mut out: Vec<TextBox> = Vec::new();
    for b in boxes {
        match out.iter_mut().find(|o| 2 * o.overlap(&b) >= o.area().min(b.area())) {
            Some(o) => {
                let (x1, y1) = ((o.x + o.w).max(b.x + b.w), (o.y + o.h).max(b.y + b.h));
                (o.x, o.y) = (o.x.min(b.x), o.y.min(b.y));
                (o.w, o.h) = (x1 - o.x, y1 - o.y);
                o.frames = (o.frames.0.min(b.frames.0), o.frames.1.max(b.frames.1));
            }
            None => out.push(b),
        }
    }
    out.sort_by_key(|b| (b.y, b.x));
    out
}
