//! The label layer over each MPR viewport, drawn as a CPU image at up to half the viewport's
//! resolution: per pixel, screen → voxel index (an affine map, so three corner points give it) →
//! label → colour. The image is cached per viewport and rebuilt only when the layer, the view,
//! the focus, the size or the display style changes.

use std::hash::{Hash, Hasher};

use eframe::egui::{self, Color32, ColorImage, Rect, TextureOptions};

use crate::annotate::LabelMap;

use super::super::app::SumiApp;
use super::paint::Mapper;
use super::{Style, parse_colour};

/// Most pixels an overlay image has (its resolution follows the viewport up to this).
const MAX_PIXELS: usize = 400_000;

#[derive(Default)]
pub(super) struct Cached {
    key: u64,
    texture: Option<egui::TextureHandle>,
}

/// Colour per label value (transparent for 0 and hidden labels).
fn palette(app: &SumiApp) -> [Color32; 256] {
    let mut p = [Color32::TRANSPARENT; 256];
    for l in app.annotate.labels.iter().filter(|l| l.visible) {
        p[usize::from(l.value)] = parse_colour(&l.colour);
    }
    // Values painted before their label row exists still show.
    if app.annotate.labels.is_empty() {
        for (v, c) in p.iter_mut().enumerate().skip(1) {
            *c = Color32::from_rgb(255, (v * 67 % 200) as u8 + 40, 40);
        }
    }
    p
}

/// The overlay image: `w`×`h` pixels sampled at pixel centres of the viewport.
pub(super) fn render(
    map: &LabelMap,
    m: &Mapper,
    w: usize,
    h: usize,
    palette: &[Color32; 256],
    style: Style,
    opacity: f32,
) -> Option<ColorImage> {
    map.labelled_slices().next()?;
    let o = m.index_at_uv([0.0, 0.0])?;
    let du = m.index_at_uv([1.0, 0.0])? - o;
    let dv = m.index_at_uv([0.0, 1.0])? - o;
    let dims = map.dims();
    let mut labels = vec![0u8; w * h];
    for j in 0..h {
        let v = (j as f64 + 0.5) / h as f64;
        let row = o + dv * v;
        for i in 0..w {
            let p = row + du * ((i as f64 + 0.5) / w as f64);
            let (x, y, z) = (p.x.round(), p.y.round(), p.z.round());
            if x >= 0.0 && y >= 0.0 && z >= 0.0 {
                let (x, y, z) = (x as usize, y as usize, z as usize);
                if x < dims[0] && y < dims[1] && z < dims[2] {
                    labels[j * w + i] = map.get(x, y, z);
                }
            }
        }
    }
    if labels.iter().all(|&l| palette[usize::from(l)] == Color32::TRANSPARENT) {
        return None;
    }
    let mut img = ColorImage::filled([w, h], Color32::TRANSPARENT);
    for j in 0..h {
        for i in 0..w {
            let l = labels[j * w + i];
            let c = palette[usize::from(l)];
            if c == Color32::TRANSPARENT {
                continue;
            }
            img.pixels[j * w + i] = match style {
                Style::Fill => c.gamma_multiply(opacity),
                Style::Outline => {
                    let edge = |di: isize, dj: isize| {
                        let (ni, nj) = (i as isize + di, j as isize + dj);
                        ni < 0
                            || nj < 0
                            || ni >= w as isize
                            || nj >= h as isize
                            || labels[nj as usize * w + ni as usize] != l
                    };
                    if edge(-1, 0) || edge(1, 0) || edge(0, -1) || edge(0, 1) { c } else { Color32::TRANSPARENT }
                }
            };
        }
    }
    Some(img)
}

fn cache_key(app: &SumiApp, vp: usize, m: &Mapper, revision: u64) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    revision.hash(&mut h);
    vp.hash(&mut h);
    app.annotate.styles[vp].hash(&mut h);
    app.annotate.opacity.to_bits().hash(&mut h);
    for l in &app.annotate.labels {
        (l.value, &l.colour, l.visible).hash(&mut h);
    }
    format!("{:?}", m.view.plane).hash(&mut h);
    for f in [m.view.zoom, m.view.pan.x, m.view.pan.y, m.focus.x, m.focus.y, m.focus.z] {
        f.to_bits().hash(&mut h);
    }
    for f in [m.rect.min.x, m.rect.min.y, m.rect.width(), m.rect.height()] {
        f.to_bits().hash(&mut h);
    }
    h.finish()
}

/// Draws the layer over every visible slice viewport.
pub(super) fn draw(ui: &egui::Ui, app: &mut SumiApp, viewports: &[(usize, Rect, egui::Response)]) {
    let Some(revision) = app.annotate.layer.as_ref().map(|l| l.revision) else { return };
    let palette = palette(app);
    for (vp, rect, _) in viewports {
        let vp = *vp;
        if app.viewer.is_3d(vp) || vp >= 4 {
            continue;
        }
        let Some(m) = Mapper::new(app, vp, *rect) else { continue };
        let key = cache_key(app, vp, &m, revision);
        if app.annotate.overlays[vp].key != key {
            let scale = ui.ctx().pixels_per_point();
            let (mut w, mut h) = ((rect.width() * scale) as usize, (rect.height() * scale) as usize);
            // Half resolution at most, fewer pixels on big screens.
            let step = ((w * h) as f64 / MAX_PIXELS as f64).sqrt().max(2.0);
            (w, h) = (((w as f64 / step) as usize).max(1), ((h as f64 / step) as usize).max(1));
            let layer = app.annotate.layer.as_ref().expect("checked above");
            let img = render(&layer.map, &m, w, h, &palette, app.annotate.styles[vp], app.annotate.opacity);
            let c = &mut app.annotate.overlays[vp];
            c.key = key;
            match (img, &mut c.texture) {
                (None, t) => *t = None,
                (Some(img), Some(t)) => t.set(img, TextureOptions::NEAREST),
                (Some(img), t) => {
                    *t = Some(ui.ctx().load_texture(format!("label-overlay-{vp}"), img, TextureOptions::NEAREST))
                }
            }
        }
        if let Some(t) = &app.annotate.overlays[vp].texture {
            let uv = Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
            ui.painter_at(*rect).image(t.id(), *rect, uv, Color32::WHITE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::volume::{Geometry, Plane, SliceView};

    fn mapper(plane: Plane, g: &Geometry, size: f32) -> Mapper {
        let mut view = SliceView::new(plane);
        view.zoom = view.fit_zoom(g, [f64::from(size); 2]);
        let rect = Rect::from_min_size(egui::pos2(0.0, 0.0), egui::vec2(size, size));
        Mapper { g: g.clone(), view, focus: g.center(), rect }
    }

    #[test]
    fn a_painted_block_shows_where_it_lies_in_each_plane_and_outline_keeps_only_its_edge() {
        let g = Geometry::axis_aligned([40, 40, 40], [1.0; 3]);
        let mut map = LabelMap::new([40, 40, 40]);
        for z in 15..25 {
            let s = map.slice_mut(z);
            for y in 10..20 {
                s[y * 40 + 20..y * 40 + 30].fill(2);
            }
        }
        let mut pal = [Color32::TRANSPARENT; 256];
        pal[2] = Color32::RED;
        let m = mapper(Plane::Axial, &g, 40.0);
        let img = render(&map, &m, 40, 40, &pal, Style::Fill, 1.0).unwrap();
        let filled = img.pixels.iter().filter(|p| **p == Color32::RED).count();
        assert_eq!(filled, 100, "10×10 voxels at one pixel per voxel");
        let outline = render(&map, &m, 40, 40, &pal, Style::Outline, 1.0).unwrap();
        assert_eq!(outline.pixels.iter().filter(|p| **p == Color32::RED).count(), 36, "the ring of a 10×10 square");
        // The coronal plane through the centre (y = 20) misses the block (y 10..20).
        assert!(render(&map, &mapper(Plane::Coronal, &g, 40.0), 40, 40, &pal, Style::Fill, 1.0).is_none());
        let sag = render(&map, &mapper(Plane::Sagittal, &g, 40.0), 40, 40, &pal, Style::Fill, 1.0).unwrap();
        assert_eq!(sag.pixels.iter().filter(|p| **p == Color32::RED).count(), 100);
        pal[2] = Color32::TRANSPARENT;
        assert!(render(&map, &m, 40, 40, &pal, Style::Fill, 1.0).is_none(), "a hidden label draws nothing");
    }
}
