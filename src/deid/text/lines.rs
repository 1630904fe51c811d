//! Grouping stroke components into text lines and scoring each line.
//!
//! A glyph is a component of glyph size and shape; marks (dots, hyphens, underlines) only ever
//! extend a line. Glyphs join when they sit side by side on a shared band with similar heights
//! and at most a word space apart. A line scores high when it has several glyphs of one ink
//! colour, one height and one baseline, on a clean background (no other strokes inside its box):
//! what distinguishes overlay text from speckle, tissue edges and icons.

use super::components::{Component, Integral};

/// Glyph heights the detector looks for; 5 px lets the x-height of 7 px fonts through.
pub const MIN_GLYPH_H: u32 = 5;
pub const MAX_GLYPH_H: u32 = 48;
/// Largest gap between glyphs of a line, in glyph heights: one word space in wide monospaced
/// fonts; two spaces or more separate fields.
const MAX_GAP: f32 = 1.5;
/// Height ratio of neighbouring glyphs (capitals next to lower case, descenders).
const MAX_HEIGHT_RATIO: f32 = 2.2;

/// What a component can be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Glyph,
    Mark,
    Other,
}

fn kind(c: &Component) -> Kind {
    let (w, h, area) = (c.w(), c.h(), c.area);
    let fill = area as f32 / (w * h) as f32;
    if (MIN_GLYPH_H..=MAX_GLYPH_H).contains(&h) {
        // Bars thinner than a third of their height may be full ('l', '1', 'I'); wider solid
        // blocks (bars, buttons) and sparse outlines (frames, circles) are not glyphs.
        let solid_ok = fill <= 0.88 || w * 3 <= h;
        // Wider than a letter: only touching glyphs, which cross several strokes mid-height.
        let strokes_ok = 2 * w <= 3 * h || c.mid_runs >= 2;
        // Wide components are touching glyphs, which are dense; brackets and scale bars are not.
        let min_fill = if w > 2 * h { 0.2 } else { 0.12 };
        if w <= 16 * h && solid_ok && strokes_ok && fill >= min_fill {
            return Kind::Glyph;
        }
        // Small solid dots and commas of larger fonts are punctuation.
        return if h < MIN_GLYPH_H + 3 && w < MIN_GLYPH_H + 3 { Kind::Mark } else { Kind::Other };
    }
    if h < MIN_GLYPH_H && w <= 40 { Kind::Mark } else { Kind::Other }
}

/// One candidate text line.
#[derive(Debug, Clone)]
pub struct Line {
    /// Inclusive bounds.
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
    /// Estimated number of characters.
    pub glyphs: u32,
    pub contrast: u8,
    /// 0..1 before any header-based boost.
    pub score: f32,
    /// Median glyph height.
    h: u32,
}

/// Largest vertical extent of a line, in heights of its tallest glyph: capitals, descenders and
/// accents fit; a chain of glyph pairs drifting up or down through speckle or anatomy does not.
const MAX_BAND: f32 = 1.6;

/// Union-find over components, with the vertical extent of each set's glyphs at its root.
struct Sets {
    parent: Vec<u32>,
    /// `(top, bottom, shortest glyph, tallest glyph)` per root.
    band: Vec<(u32, u32, u32, u32)>,
    /// Whether a root's set has more than one member.
    joined: Vec<bool>,
}

impl Sets {
    fn new(comps: &[Component]) -> Sets {
        let band = comps.iter().map(|c| (c.y0, c.y1, c.h(), c.h())).collect();
        Sets { parent: (0..comps.len() as u32).collect(), band, joined: vec![false; comps.len()] }
    }
    fn find(&mut self, mut i: u32) -> u32 {
        while self.parent[i as usize] != i {
            let p = self.parent[self.parent[i as usize] as usize];
            self.parent[i as usize] = p;
            i = p;
        }
        i
    }
    fn union(&mut self, a: u32, b: u32) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.parent[a.max(b) as usize] = a.min(b);
        }
    }
    /// Puts mark (or small glyph) `m`, if still on its own, into the set of `g`, which keeps its
    /// band: a mark belongs to one line and never joins two.
    fn attach(&mut self, g: u32, m: u32) {
        let (rg, rm) = (self.find(g), self.find(m));
        if rg != rm && rm == m && !self.joined[m as usize] {
            self.parent[rm as usize] = rg;
            self.joined[m as usize] = true;
            self.joined[rg as usize] = true;
        }
    }
    /// Joins the sets of glyphs `a` and `b` unless the joined line would be too tall for its glyphs
    /// or mix heights that no neighbouring pair may (pairs of pairs drifting apart).
    fn union_in_band(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        let ((t1, b1, s1, h1), (t2, b2, s2, h2)) = (self.band[ra as usize], self.band[rb as usize]);
        let band = (t1.min(t2), b1.max(b2), s1.min(s2), h1.max(h2));
        let heights_ok = band.3 as f32 <= MAX_HEIGHT_RATIO * band.2 as f32;
        if ra != rb && heights_ok && (band.1 - band.0 + 1) as f32 <= MAX_BAND * band.3 as f32 {
            self.union(ra, rb);
            self.band[ra.min(rb) as usize] = band;
            self.joined[ra.min(rb) as usize] = true;
        }
    }
}

/// How two glyphs, `a` left of `b`, relate.
enum Pair {
    Apart,
    /// Neighbours in one line.
    Line,
    /// One is much smaller and belongs to the other as punctuation does; `true`: `a` is the small one.
    Mark(bool),
}

fn pair(a: &Component, b: &Component) -> Pair {
    let (ha, hb) = (a.h() as f32, b.h() as f32);
    let (hmin, hmax) = (ha.min(hb), ha.max(hb));
    if hmax > MAX_HEIGHT_RATIO * hmin {
        // A small glyph beside a letter is punctuation or a superscript ('*', '°'); anything
        // taller is an icon or a cursor next to the text, not part of it.
        let (big, small) = if ha > hb { (a, b) } else { (b, a) };
        let joins = small.h() < MIN_GLYPH_H + 3 && mark_joins(big, small);
        return if joins { Pair::Mark(ha < hb) } else { Pair::Apart };
    }
    let overlap = a.y1.min(b.y1) as f32 - a.y0.max(b.y0) as f32 + 1.0;
    let gap = b.x0 as f32 - a.x1 as f32 - 1.0;
    let line = overlap >= 0.6 * hmin && gap <= MAX_GAP * hmax && gap >= -0.5 * hmin;
    if line { Pair::Line } else { Pair::Apart }
}

/// Whether mark `m` belongs to glyph `g`: beside it or under it (underline, comma) on its band.
fn mark_joins(g: &Component, m: &Component) -> bool {
    let h = g.h() as f32;
    let cy = (m.y0 + m.y1) as f32 / 2.0;
    // Underlines sit a little lower than commas; a dot that low belongs to the next line.
    let underline = m.w() >= 3 * m.h() && 2 * m.w() >= g.h();
    let below = if underline { 0.45 } else { 0.3 };
    let band = cy >= g.y0 as f32 - 0.2 * h && cy <= g.y1 as f32 + below * h;
    let gap = (m.x0 as f32 - g.x1 as f32).max(g.x0 as f32 - m.x1 as f32) - 1.0;
    band && gap <= 0.8 * h && m.w() as f32 <= 4.0 * h
}

fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

fn median(v: &mut [u32]) -> u32 {
    v.sort_unstable();
    v[v.len() / 2]
}

/// The image a pass works on: the polarity-adjusted source (ink is bright) and its stroke mask.
pub struct Plane<'a> {
    pub src: &'a [u8],
    pub w: usize,
    pub h: usize,
    pub mask: &'a Integral,
}

impl Plane<'_> {
    /// Fraction of the pixels on the rectangle `margin` px outside the inclusive box that are
    /// darker than `level` (clipped to the image; 1 if nothing of it is inside).
    fn ring_below(&self, b: [u32; 4], margin: u32, level: u32) -> f32 {
        let [x0, y0, x1, y1] = b.map(|v| v as i64);
        let (m, w, h) = (i64::from(margin), self.w as i64, self.h as i64);
        let (rx0, ry0, rx1, ry1) = (x0 - m, y0 - m, x1 + m, y1 + m);
        let (mut n, mut below) = (0u32, 0u32);
        let mut visit = |x: i64, y: i64| {
            if x >= 0 && y >= 0 && x < w && y < h {
                n += 1;
                below += u32::from(u32::from(self.src[(y * w + x) as usize]) < level);
            }
        };
        for x in rx0..=rx1 {
            visit(x, ry0);
            visit(x, ry1);
        }
        for y in ry0 + 1..ry1 {
            visit(rx0, y);
            visit(rx1, y);
        }
        if n == 0 { 1.0 } else { below as f32 / n as f32 }
    }
}

/// Groups `comps` into lines and scores them.
pub fn lines(comps: &[Component], plane: &Plane) -> Vec<Line> {
    let kinds: Vec<Kind> = comps.iter().map(kind).collect();
    let mut glyphs: Vec<u32> = (0..comps.len() as u32).filter(|&i| kinds[i as usize] == Kind::Glyph).collect();
    glyphs.sort_by_key(|&i| comps[i as usize].x0);
    let mut sets = Sets::new(comps);
    for (k, &i) in glyphs.iter().enumerate() {
        let a = &comps[i as usize];
        // A partner is at most MAX_HEIGHT_RATIO times taller, so this bounds its start.
        let reach = a.x1 as f32 + 1.0 + MAX_GAP * MAX_HEIGHT_RATIO * a.h() as f32;
        for &j in &glyphs[k + 1..] {
            let b = &comps[j as usize];
            if b.x0 as f32 > reach {
                break;
            }
            match pair(a, b) {
                Pair::Line => sets.union_in_band(i, j),
                Pair::Mark(true) => sets.attach(j, i),
                Pair::Mark(false) => sets.attach(i, j),
                Pair::Apart => {}
            }
        }
    }
    attach_marks(comps, &kinds, &glyphs, &mut sets);
    // The members of each set that holds a glyph, in a fixed order so equal inputs give equal output.
    let mut members: std::collections::BTreeMap<u32, Vec<u32>> = std::collections::BTreeMap::new();
    for i in 0..comps.len() as u32 {
        if kinds[i as usize] != Kind::Other {
            members.entry(sets.find(i)).or_default().push(i);
        }
    }
    let members: Vec<Vec<u32>> =
        members.into_values().filter(|m| m.iter().any(|&i| kinds[i as usize] == Kind::Glyph)).collect();
    let mut lines: Vec<Line> = members
        .iter()
        .map(|m| {
            let g: Vec<&Component> =
                m.iter().filter(|&&i| kinds[i as usize] == Kind::Glyph).map(|&i| &comps[i as usize]).collect();
            score_line(&g, m.iter().map(|&i| &comps[i as usize]), plane)
        })
        .collect();
    penalise_clutter(&mut lines, &members, comps, &kinds);
    lines
}

/// Lines that look like text so far; their glyphs do not count as clutter around other lines.
const PLAUSIBLE: f32 = 0.3;
/// Score divisor per stray component per glyph: a line with as many strays around as glyphs
/// keeps 80 % of its score, one in speckle with four per glyph half.
const CLUTTER_WEIGHT: f32 = 0.25;

/// Text is surrounded by background or by more text; a few speckle grains that happen to line up
/// are surrounded by more speckle. Scales each plausible line's score down by the number of small
/// components (glyph-sized or marks, in no plausible line) within one glyph height of its box,
/// per glyph of the line. Large structures (bars, borders) do not count: text often sits by them.
fn penalise_clutter(lines: &mut [Line], members: &[Vec<u32>], comps: &[Component], kinds: &[Kind]) {
    let mut in_line = vec![false; comps.len()];
    for (l, m) in lines.iter().zip(members) {
        if l.score >= PLAUSIBLE {
            m.iter().for_each(|&i| in_line[i as usize] = true);
        }
    }
    let strays: Vec<&Component> = comps
        .iter()
        .zip(kinds)
        .zip(&in_line)
        .filter(|((_, k), used)| **k != Kind::Other && !**used)
        .map(|((c, _), _)| c)
        .collect();
    for l in lines.iter_mut().filter(|l| l.score >= PLAUSIBLE) {
        let (x0, y0, x1, y1) = (l.x0.saturating_sub(l.h), l.y0.saturating_sub(l.h), l.x1 + l.h, l.y1 + l.h);
        let n = strays
            .iter()
            .filter(|c| {
                let (cx, cy) = ((c.x0 + c.x1) / 2, (c.y0 + c.y1) / 2);
                cx >= x0 && cx <= x1 && cy >= y0 && cy <= y1
            })
            .count();
        let clutter = n as f32 / l.glyphs.max(1) as f32;
        l.score /= 1.0 + CLUTTER_WEIGHT * clutter;
    }
}

/// Joins each mark to a glyph it belongs to, found through a coarse grid of glyph boxes.
fn attach_marks(comps: &[Component], kinds: &[Kind], glyphs: &[u32], sets: &mut Sets) {
    const CELL: u32 = 16;
    let (gw, gh) = comps.iter().fold((0, 0), |(w, h), c| (w.max(c.x1 / CELL + 2), h.max(c.y1 / CELL + 2)));
    let mut grid: Vec<Vec<u32>> = vec![Vec::new(); (gw * gh) as usize];
    for &i in glyphs {
        let c = &comps[i as usize];
        let h = c.h();
        let (x0, x1) = (c.x0.saturating_sub(h) / CELL, (c.x1 + h) / CELL);
        let (y0, y1) = (c.y0.saturating_sub(h / 2) / CELL, (c.y1 + h / 2) / CELL);
        for cy in y0..=y1.min(gh - 1) {
            for cx in x0..=x1.min(gw - 1) {
                grid[(cy * gw + cx) as usize].push(i);
            }
        }
    }
    for (i, c) in comps.iter().enumerate() {
        if kinds[i] != Kind::Mark {
            continue;
        }
        let cell = ((c.y0 + c.y1) / 2 / CELL * gw + (c.x0 + c.x1) / 2 / CELL) as usize;
        if let Some(&g) = grid[cell].iter().find(|&&g| mark_joins(&comps[g as usize], c)) {
            sets.attach(g, i as u32);
        }
    }
}

fn score_line<'a>(glyphs: &[&Component], all: impl Iterator<Item = &'a Component>, plane: &Plane) -> Line {
    let (mut x0, mut y0, mut x1, mut y1, mut area) = (u32::MAX, u32::MAX, 0, 0, 0);
    for c in all {
        (x0, y0, x1, y1) = (x0.min(c.x0), y0.min(c.y0), x1.max(c.x1), y1.max(c.y1));
        area += c.area;
    }
    let h = median(&mut glyphs.iter().map(|c| c.h()).collect::<Vec<_>>());
    let ink = median(&mut glyphs.iter().map(|c| u32::from(c.ink)).collect::<Vec<_>>());
    let contrast = median(&mut glyphs.iter().map(|c| u32::from(c.peak)).collect::<Vec<_>>()) as u8;
    let top = median(&mut glyphs.iter().map(|c| c.y0).collect::<Vec<_>>());
    let bottom = median(&mut glyphs.iter().map(|c| c.y1).collect::<Vec<_>>());
    let n = glyphs.len() as f32;
    let frac = |f: &dyn Fn(&Component) -> bool| glyphs.iter().filter(|c| f(c)).count() as f32 / n;
    // One ink: glyphs of a string share a colour; speckle grains and tissue edges do not.
    let ink_tol = 12 + ink / 10;
    let same_ink = frac(&|c| u32::from(c.ink).abs_diff(ink) <= ink_tol);
    let tol = (h / 5).max(1);
    let aligned = frac(&|c| c.y1.abs_diff(bottom) <= tol || c.y0.abs_diff(top) <= tol);
    let same_height = frac(&|c| c.h() * 10 >= h * 6 && c.h() * 10 <= h * 15);
    // Strokes inside the box that belong to something else: speckle, anatomy, graphics.
    let inside = plane.mask.count(x0 as usize, y0 as usize, x1 as usize, y1 as usize);
    let intrusion = inside.saturating_sub(area) as f32 / area.max(1) as f32;
    let chars: f32 = glyphs
        .iter()
        .map(|c| (c.w() as f32 / (0.8 * h as f32)).round().min(c.mid_runs.div_ceil(2) as f32).max(1.0))
        .sum();
    let count = 1.0 - 0.6f32.powf(chars);
    let clean = 1.0 / (1.0 + 2.0 * intrusion);
    // Flat-topped strokes: drawn ink rather than speckle grains or tissue edges.
    let flat = glyphs.iter().map(|c| c.flat).sum::<u32>() as f32 / glyphs.iter().map(|c| c.area).sum::<u32>() as f32;
    let flat_ok = smoothstep(0.4, 0.6, flat);
    // Contrast well above the texture around: a faint line on a busy background is texture.
    let noise = median(&mut glyphs.iter().map(|c| u32::from(c.noise)).collect::<Vec<_>>());
    let above_noise = if noise == 0 { 1.0 } else { smoothstep(1.0, 1.8, f32::from(contrast) / noise as f32) };
    // Text sits on background: just outside its box there is no ink. A "line" cut out of a larger
    // bright structure (gaps between lines seen as dark ink, pieces of graphics) has some there.
    let ring = plane.ring_below([x0, y0, x1, y1], 2, ink.saturating_sub(u32::from(contrast) / 2));
    let ring_ok = smoothstep(0.35, 0.65, ring);
    let score = count * same_ink * aligned * same_height * clean * flat_ok * above_noise * ring_ok;
    Line { x0, y0, x1, y1, glyphs: chars as u32, contrast, score, h }
}
