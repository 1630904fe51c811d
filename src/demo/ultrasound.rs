//! Synthetic ultrasound pixels: a curved-array fan filled with speckled anatomy, plus
//! burned-in identifying and technical text whose exact boxes are recorded as ground truth.

use std::f32::consts::PI;

use rayon::prelude::*;

use super::glyphs::{Canvas, text_size};
use super::phantom::{gauss, hash64};
use super::recipe::Recipe;

/// Burned-in identifying text colour (white); the fan never reaches it.
pub const PHI_RGB: [u8; 3] = [255, 255, 255];
/// Technical text colour in the RGB image (amber, so it is not grey like the fan).
pub const TECH_RGB: [u8; 3] = [255, 210, 64];
/// The brightest value the fan image may take, kept below the text colours.
pub const FAN_MAX: f32 = 235.0;
const FAN_HALF_ANGLE: f32 = 35.0 * PI / 180.0;

/// One string burned into the pixels.
#[derive(Debug, Clone)]
pub struct Burned {
    pub field: &'static str,
    pub text: String,
    pub phi: bool,
    /// `[x, y, w, h]` in pixels.
    pub bbox: [u32; 4],
    /// First and last frame (inclusive, 0-based) showing the text.
    pub frames: [u32; 2],
    pub color: Vec<u8>,
}

/// Geometry of the sector: a virtual apex above the probe face, radii in pixels.
#[derive(Debug, Clone, Copy)]
pub struct Fan {
    pub apex_x: f32,
    pub apex_y: f32,
    pub r_min: f32,
    pub r_max: f32,
    pub cm_per_px: f32,
}

impl Fan {
    fn new(width: u16, top_y: f32, r_min: f32, depth_px: f32, depth_cm: f64) -> Fan {
        Fan {
            apex_x: f32::from(width) / 2.0,
            apex_y: top_y - r_min,
            r_min,
            r_max: r_min + depth_px,
            cm_per_px: depth_cm as f32 / depth_px,
        }
    }

    /// Bounding box `[min_x, min_y, max_x, max_y]` of the fan (the ultrasound region).
    pub fn region(&self) -> [u32; 4] {
        let half_w = self.r_max * FAN_HALF_ANGLE.sin();
        [
            (self.apex_x - half_w).floor() as u32,
            (self.apex_y + self.r_min) as u32,
            (self.apex_x + half_w).ceil() as u32,
            (self.apex_y + self.r_max).ceil() as u32,
        ]
    }

    /// Pixel row of the given depth on the centre line.
    fn depth_row(&self, cm: f32) -> u32 {
        (self.apex_y + self.r_min + cm / self.cm_per_px).round() as u32
    }
}

/// A rendered single-frame or multi-frame image.
pub struct UsPixels {
    pub pixels: Vec<u8>,
    pub texts: Vec<Burned>,
    pub fan: Fan,
}

#[derive(Clone, Copy)]
enum Scene {
    /// Liver with a cyst, a vessel and the diaphragm.
    Liver,
    /// A pulsating vessel with the tissue moving with the phase (cine).
    Pulsing(f32),
}

fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Mean echo amplitude at lateral position `lat` (cm). Body-wall layers follow the probe
/// curvature (radial depth `d`); organs are placed in Cartesian depth `dc` so they stay round.
fn echo(scene: Scene, lat: f32, d: f32, dc: f32) -> f32 {
    // Body wall common to both scenes: skin, fat with septa, striated muscle, fascia.
    if d < 0.3 {
        return 2.0;
    }
    if d < 1.5 {
        return if (d * 3.0 + lat * 0.2).fract() < 0.08 { 1.6 } else { 0.45 };
    }
    let fascia = 2.6 + 0.25 * (lat * 0.4).sin();
    if d < fascia - 0.15 {
        return 0.8 + 0.3 * (d * 25.0 + lat * 2.0).sin();
    }
    if d < fascia + 0.15 {
        return 2.4;
    }
    let d = dc;
    match scene {
        Scene::Liver => {
            let cyst = (lat - 2.5).powi(2) + (d - 7.0).powi(2);
            if cyst < 1.4f32.powi(2) {
                return 0.03;
            }
            let vessel = ((lat + 3.0) / 1.6).powi(2) + ((d - 9.5) / 0.7).powi(2);
            if vessel < 1.0 {
                return if vessel > 0.75 { 2.2 } else { 0.05 };
            }
            let diaphragm = 14.0 - 0.05 * lat * lat;
            if (d - diaphragm).abs() < 0.2 {
                return 2.8;
            }
            let enhancement = if (lat - 2.5).abs() < 1.3 && d > 7.0 { 1.6 } else { 1.0 };
            if d > diaphragm { 0.5 * enhancement } else { enhancement }
        }
        Scene::Pulsing(phase) => {
            let radius = 1.0 + 0.25 * phase.sin();
            let r = (lat.powi(2) + (d - 6.5).powi(2)).sqrt();
            if r < radius {
                return 0.04;
            }
            if r < radius + 0.2 {
                return 2.5;
            }
            let spine = (lat.powi(2) + (d - 10.0).powi(2)).sqrt();
            if (spine - 1.2).abs() < 0.2 && d < 10.0 {
                return 3.0;
            }
            if d > 10.0 && lat.abs() < 1.4 { 0.1 } else { 1.0 }
        }
    }
}

/// Fills the fan into a canvas. `shift_cm` moves the tissue (and its speckle) axially.
fn render_fan(canvas: &mut Canvas, fan: &Fan, scene: Scene, seed: u64, shift_cm: f32, gain: u32) {
    let lateral_cell = 2.5 / (0.5 * (fan.r_min + fan.r_max)); // speckle width in radians
    let ref_db = 20.0 * 6f32.log10() - (gain as f32 - 50.0) * 0.3;
    let lattice = |u: i64, v: i64| {
        let h = hash64(seed ^ (u as u64).wrapping_mul(0x1_0000_0001) ^ (v as u64) << 20);
        (gauss(h), gauss(hash64(h)))
    };
    for y in 0..canvas.height {
        for x in 0..canvas.width {
            let dx = x as f32 + 0.5 - fan.apex_x;
            let dy = y as f32 + 0.5 - fan.apex_y;
            let r = (dx * dx + dy * dy).sqrt();
            let theta = dx.atan2(dy);
            if r < fan.r_min || r > fan.r_max || theta.abs() > FAN_HALF_ANGLE {
                continue;
            }
            let d = (r - fan.r_min) * fan.cm_per_px;
            let lat = dx * fan.cm_per_px;
            let moving = if d > 2.8 { shift_cm } else { 0.0 };
            let dc = (y as f32 + 0.5 - fan.apex_y - fan.r_min) * fan.cm_per_px;
            let e = echo(scene, lat, d - moving, dc - moving);
            // Correlated complex-Gaussian speckle on a polar lattice that moves with the tissue.
            let u = (r - moving / fan.cm_per_px) / 1.3;
            let v = theta / lateral_cell;
            let (iu, iv) = (u.floor() as i64, v.floor() as i64);
            let (fu, fv) = (u - iu as f32, v - iv as f32);
            let mut re = 0.0;
            let mut im = 0.0;
            for (du, dv, w) in
                [(0, 0, (1.0 - fu) * (1.0 - fv)), (1, 0, fu * (1.0 - fv)), (0, 1, (1.0 - fu) * fv), (1, 1, fu * fv)]
            {
                let (a, b) = lattice(iu + du, iv + dv);
                re += a * w;
                im += b * w;
            }
            let speckle = (re * re + im * im).sqrt() * 1.6;
            let edge = smoothstep(0.0, 0.03, FAN_HALF_ANGLE - theta.abs());
            let amp = e * speckle * edge + 1e-4;
            let level = ((20.0 * amp.log10() - ref_db + 50.0) / 50.0).clamp(0.0, 1.0);
            let g = (level.powf(1.4) * FAN_MAX).round() as u8;
            let n = canvas.channels as usize;
            canvas.put(x, y, &[g; 3][..n]);
        }
    }
}

/// Depth scale: a tick every centimetre on the right of the fan, labelled every 4 cm.
fn draw_scale(c: &mut Canvas, fan: &Fan, depth_cm: f64, scale: u32, color: &[u8]) -> Vec<Burned> {
    let x = fan.region()[2] + 6 * scale;
    let mut out = Vec::new();
    for cm in 0..=depth_cm as u32 {
        let y = fan.depth_row(cm as f32);
        let len = if cm % 4 == 0 { 5 * scale } else { 3 * scale };
        c.fill_rect(x, y, len, scale.max(1), color);
        if cm % 4 == 0 {
            let label = cm.to_string();
            let ty = y.saturating_sub(7 * scale / 2).max(fan.region()[1]);
            let bbox = c.draw_text(x + 7 * scale, ty, &label, scale, color);
            out.push(burned("depth_scale", label, false, bbox, color));
        }
    }
    out
}

fn burned(field: &'static str, text: String, phi: bool, bbox: [u32; 4], color: &[u8]) -> Burned {
    Burned { field, text, phi, bbox, frames: [0, 0], color: color.to_vec() }
}

/// Identifying text: name and ID on the first line, date and institution on the second,
/// left and right aligned like an ultrasound machine's header.
fn draw_header(c: &mut Canvas, r: &Recipe, scale: u32, margin: u32, color: &[u8]) -> Vec<Burned> {
    let line = 10 * scale;
    let id = format!("ID: {}", r.patient.id);
    let right = |t: &str| c.width - margin - text_size(t, scale).0;
    let items = [
        ("patient_name", r.patient.name_burned.clone(), margin, margin),
        ("patient_id", id.clone(), right(&id), margin),
        ("study_datetime", r.study.datetime_burned.clone(), margin, margin + line),
        ("institution", r.study.institution_burned.clone(), right(&r.study.institution_burned), margin + line),
    ];
    items
        .into_iter()
        .map(|(field, text, x, y)| {
            let bbox = c.draw_text(x, y, &text, scale, color);
            burned(field, text, true, bbox, color)
        })
        .collect()
}

fn technical(r: &Recipe, depth_cm: f64) -> [String; 3] {
    let mhz = r.us.frequency_khz as f64 / 1000.0;
    [format!("{mhz:.1}MHz"), format!("DEPTH {depth_cm:.0}cm"), format!("GAIN {}", r.us.gain)]
}

/// The single-frame RGB image.
pub fn us_image(r: &Recipe) -> UsPixels {
    let (w, h) = (r.us.columns, r.us.rows);
    let mut pixels = vec![0u8; usize::from(w) * usize::from(h) * 3];
    let top = f32::from(h) / 8.0;
    let fan = Fan::new(w, top, 40.0, f32::from(h) * 0.79, r.us.depth_cm);
    let mut c = Canvas { data: &mut pixels, width: w.into(), height: h.into(), channels: 3 };
    render_fan(&mut c, &fan, Scene::Liver, r.us.noise_seed, 0.0, r.us.gain);
    let mut texts = draw_header(&mut c, r, 2, 8, &PHI_RGB);
    for (i, t) in technical(r, r.us.depth_cm).into_iter().enumerate() {
        let bbox = c.draw_text(8, top as u32 + 20 + 20 * i as u32, &t, 2, &TECH_RGB);
        texts.push(burned("technical", t, false, bbox, &TECH_RGB));
    }
    texts.extend(draw_scale(&mut c, &fan, r.us.depth_cm, 1, &TECH_RGB));
    UsPixels { pixels, texts, fan }
}

/// The multi-frame MONOCHROME2 cine: frames concatenated.
pub fn cine(r: &Recipe) -> UsPixels {
    let cn = &r.cine;
    let (w, h) = (cn.columns, cn.rows);
    let frame_len = usize::from(w) * usize::from(h);
    let top = f32::from(h) / 8.0;
    let fan = Fan::new(w, top, 20.0, f32::from(h) * 0.81, cn.depth_cm);
    let white = [255u8];
    let mut pixels = vec![0u8; frame_len * cn.frames as usize];
    let per_frame: Vec<Vec<Burned>> = pixels
        .par_chunks_mut(frame_len)
        .enumerate()
        .map(|(f, buf)| {
            let phase = 2.0 * PI * f as f32 / cn.frames as f32;
            let mut c = Canvas { data: buf, width: w.into(), height: h.into(), channels: 1 };
            let scene = Scene::Pulsing(phase);
            render_fan(&mut c, &fan, scene, cn.noise_seed, 0.15 * phase.sin(), r.us.gain);
            let mut texts = draw_header(&mut c, r, 1, 4, &white);
            for (i, t) in technical(r, cn.depth_cm).into_iter().enumerate() {
                let bbox = c.draw_text(4, top as u32 + 10 + 10 * i as u32, &t, 1, &white);
                texts.push(burned("technical", t, false, bbox, &white));
            }
            texts.extend(draw_scale(&mut c, &fan, cn.depth_cm, 1, &white));
            let counter = format!("FRAME {:02}/{:02}", f + 1, cn.frames);
            let bbox = c.draw_text(4, u32::from(h) - 10, &counter, 1, &white);
            texts.push(burned("frame_counter", counter, false, bbox, &white));
            texts
        })
        .collect();
    // Static strings are listed once with the full frame range; the counter once per frame.
    let last = cn.frames - 1;
    let mut texts: Vec<Burned> = per_frame[0]
        .iter()
        .filter(|t| t.field != "frame_counter")
        .map(|t| Burned { frames: [0, last], ..t.clone() })
        .collect();
    for (f, frame_texts) in per_frame.into_iter().enumerate() {
        for t in frame_texts.into_iter().filter(|t| t.field == "frame_counter") {
            texts.push(Burned { frames: [f as u32, f as u32], ..t });
        }
    }
    UsPixels { pixels, texts, fan }
}
