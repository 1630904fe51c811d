//! Agreement between the shown layer (A) and a second layer of the series (B): a per-label table
//! of Dice and HD95 in mm computed on a worker thread (the UI shows a spinner meanwhile and never
//! waits), and a difference overlay in the slice viewports: voxels labelled only in A, only in B,
//! and with the same label in both, in three colours. Like the layer overlay, the difference
//! image is cached per viewport and rebuilt only when a layer, the view or the size changes.

use std::hash::{Hash, Hasher};
use std::sync::mpsc::{Receiver, TryRecvError, sync_channel};

use eframe::egui::{self, Color32, ColorImage, Rect, TextureOptions};

use crate::annotate::LabelMap;
use crate::annotate::agreement::{LabelAgreement, agreement};
use crate::project::Project;

use super::super::app::SumiApp;
use super::super::i18n::tr;
use super::paint::Mapper;

/// Difference colours: A only, B only, both (same label).
pub const A_ONLY: Color32 = Color32::from_rgb(255, 140, 0);
pub const B_ONLY: Color32 = Color32::from_rgb(0, 150, 255);
pub const BOTH: Color32 = Color32::from_rgb(60, 220, 90);

/// Most pixels a difference image has (as the layer overlay).
const MAX_PIXELS: usize = 400_000;

/// What a result belongs to: layer A (id, revision) and layer B.
type Key = (Option<i64>, u64, i64);
type Outcome = Result<(LabelMap, Vec<LabelAgreement>), String>;

#[derive(Default)]
struct Cached {
    key: u64,
    texture: Option<egui::TextureHandle>,
}

#[derive(Default)]
pub struct Compare {
    /// Layer B, chosen in the panel.
    pub other: Option<i64>,
    /// Draw the difference instead of the layer.
    pub diff: bool,
    /// The finished table and the layer B it was computed against.
    pub result: Option<(Key, Vec<LabelAgreement>)>,
    other_map: Option<LabelMap>,
    job: Option<(Key, Receiver<Outcome>)>,
    overlays: [Cached; 4],
}

impl Compare {
    /// Whether a computation is under way.
    pub fn busy(&self) -> bool {
        self.job.is_some()
    }
}

fn compute(project: std::path::PathBuf, a: LabelMap, b: i64, spacing: [f64; 3]) -> Outcome {
    let db = Project::open(&project).map_err(|e| e.to_string())?;
    let map = db.load_label_layer(b).map_err(|e| e.to_string())?;
    if map.dims() != a.dims() {
        return Err(format!("{}: label layer {b} is {:?}, the shown layer {:?}", db.path, map.dims(), a.dims()));
    }
    let rows = agreement(&a, &map, spacing);
    Ok((map, rows))
}

/// Starts the worker when A or B changed, and takes its answer when it came.
pub(super) fn update(ctx: &egui::Context, app: &mut SumiApp) {
    let c = &mut app.annotate.compare;
    if let Some((key, rx)) = &c.job {
        match rx.try_recv() {
            Ok(Ok((map, rows))) => {
                c.result = Some((*key, rows));
                c.other_map = Some(map);
                c.overlays = Default::default();
                c.job = None;
            }
            Ok(Err(e)) => {
                app.problems.push(e);
                c.job = None;
                c.other = None;
            }
            Err(TryRecvError::Disconnected) => c.job = None,
            Err(TryRecvError::Empty) => {}
        }
    }
    let (Some(b), Some(layer), Some(project)) = (c.other, &app.annotate.layer, &app.project) else {
        c.result = None;
        c.other_map = None;
        return;
    };
    let key = (layer.id, layer.revision, b);
    let known = c.result.as_ref().is_some_and(|(k, _)| *k == key) || c.job.as_ref().is_some_and(|(k, _)| *k == key);
    let Some(volume) = app.viewer.loaded.as_ref().and_then(|l| l.volume.as_ref()) else { return };
    if known || app.annotate.stroke.is_some() || volume.geometry.dims != layer.map.dims() {
        return;
    }
    let (a, spacing, project, ctx) = (layer.map.clone(), volume.geometry.spacing(), project.clone(), ctx.clone());
    let (tx, rx) = sync_channel(1);
    std::thread::spawn(move || {
        let _ = tx.send(compute(project, a, b, spacing));
        ctx.request_repaint();
    });
    c.job = Some((key, rx));
}

/// The panel section: layer B, the table (or a spinner), the overlay switch and its legend.
pub(super) fn section(ui: &mut egui::Ui, app: &mut SumiApp) {
    let lang = app.lang;
    update(ui.ctx(), app);
    ui.label(tr(lang, "agree.title"));
    let shown = app.annotate.layer.as_ref().and_then(|l| l.id);
    let layers = app.annotate.review.layers.clone();
    let c = &mut app.annotate.compare;
    let text = |id: Option<i64>| match layers.iter().find(|l| Some(l.id) == id) {
        Some(l) => format!("#{} {} ({})", l.id, l.name, l.annotator),
        None => tr(lang, "agree.none").to_string(),
    };
    ui.horizontal(|ui| {
        ui.label(tr(lang, "agree.compare_with"));
        egui::ComboBox::from_id_salt("annot-compare").selected_text(text(c.other)).width(200.0).show_ui(ui, |ui| {
            ui.selectable_value(&mut c.other, None, tr(lang, "agree.none"));
            for l in layers.iter().filter(|l| Some(l.id) != shown) {
                ui.selectable_value(&mut c.other, Some(l.id), text(Some(l.id)));
            }
        });
    });
    if c.other.is_none() {
        return;
    }
    if c.busy() {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(tr(lang, "agree.computing"));
        });
    }
    if let Some((_, rows)) = &c.result {
        if rows.is_empty() {
            ui.weak(tr(lang, "agree.no_labels"));
        }
        let names = &app.annotate.labels;
        egui::Grid::new("annot-agreement").num_columns(5).striped(true).show(ui, |ui| {
            for key in ["agree.label", "agree.dice", "agree.hd95", "agree.voxels_a", "agree.voxels_b"] {
                ui.strong(tr(lang, key));
            }
            ui.end_row();
            for r in rows {
                let name = names
                    .iter()
                    .find(|l| l.value == r.label)
                    .map_or_else(|| r.label.to_string(), |l| format!("{} {}", l.value, l.name));
                ui.label(name);
                ui.label(format!("{:.3}", r.dice));
                ui.label(r.hausdorff95_mm.map_or_else(|| "–".to_string(), |d| format!("{d:.2}")));
                ui.label(r.voxels_a.to_string());
                ui.label(r.voxels_b.to_string());
                ui.end_row();
            }
        });
    }
    ui.checkbox(&mut c.diff, tr(lang, "agree.diff")).on_hover_text(tr(lang, "agree.diff_tip"));
    if c.diff {
        ui.horizontal_wrapped(|ui| {
            for (colour, key) in [(A_ONLY, "agree.a_only"), (B_ONLY, "agree.b_only"), (BOTH, "agree.both")] {
                let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
                ui.painter().rect_filled(rect, 2.0, colour);
                ui.label(tr(lang, key));
            }
        });
    }
}

/// Labels of `map` at the `w`×`h` pixel centres of the viewport (0 outside the grid).
fn sample(map: &LabelMap, m: &Mapper, w: usize, h: usize) -> Option<Vec<u8>> {
    let o = m.index_at_uv([0.0, 0.0])?;
    let du = m.index_at_uv([1.0, 0.0])? - o;
    let dv = m.index_at_uv([0.0, 1.0])? - o;
    let d = map.dims();
    let mut out = vec![0u8; w * h];
    for j in 0..h {
        let row = o + dv * ((j as f64 + 0.5) / h as f64);
        for i in 0..w {
            let p = row + du * ((i as f64 + 0.5) / w as f64);
            let (x, y, z) = (p.x.round(), p.y.round(), p.z.round());
            if x >= 0.0 && y >= 0.0 && z >= 0.0 && (x as usize) < d[0] && (y as usize) < d[1] && (z as usize) < d[2] {
                out[j * w + i] = map.get(x as usize, y as usize, z as usize);
            }
        }
    }
    Some(out)
}

/// The difference image: A only, B only and both in their colours at `opacity`; `None` when the
/// plane cuts no label of either layer.
pub(super) fn render(a: &LabelMap, b: &LabelMap, m: &Mapper, w: usize, h: usize, opacity: f32) -> Option<ColorImage> {
    if a.labelled_slices().next().is_none() && b.labelled_slices().next().is_none() {
        return None;
    }
    let (la, lb) = (sample(a, m, w, h)?, sample(b, m, w, h)?);
    let mut any = false;
    let pixels = la
        .iter()
        .zip(&lb)
        .map(|(&x, &y)| {
            let c = match (x, y) {
                (0, 0) => return Color32::TRANSPARENT,
                (x, y) if x == y => BOTH,
                (0, _) => B_ONLY,
                _ => A_ONLY,
            };
            any = true;
            c.gamma_multiply(opacity)
        })
        .collect();
    any.then(|| ColorImage::new([w, h], pixels))
}

/// Draws the difference over the slice viewports instead of the layer; false when the mode is
/// off or layer B is not there yet (the caller then draws the layer).
pub(super) fn draw(ui: &egui::Ui, app: &mut SumiApp, viewports: &[(usize, Rect, egui::Response)]) -> bool {
    let c = &app.annotate.compare;
    let (Some(layer), Some(_), true) = (&app.annotate.layer, &c.other_map, c.diff && c.other.is_some()) else {
        return false;
    };
    let revision = layer.revision;
    let b_key = c.result.as_ref().map(|(k, _)| *k);
    for (vp, rect, _) in viewports {
        let vp = *vp;
        if app.viewer.is_3d(vp) || vp >= 4 {
            continue;
        }
        let Some(m) = Mapper::new(app, vp, *rect) else { continue };
        let mut hsh = std::collections::hash_map::DefaultHasher::new();
        (revision, b_key, vp, app.annotate.opacity.to_bits(), format!("{:?}", m.view.plane)).hash(&mut hsh);
        for f in [m.view.zoom, m.view.pan.x, m.view.pan.y, m.focus.x, m.focus.y, m.focus.z] {
            f.to_bits().hash(&mut hsh);
        }
        for f in [m.rect.min.x, m.rect.min.y, m.rect.width(), m.rect.height()] {
            f.to_bits().hash(&mut hsh);
        }
        let key = hsh.finish();
        if app.annotate.compare.overlays[vp].key != key {
            let scale = ui.ctx().pixels_per_point();
            let (mut w, mut h) = ((rect.width() * scale) as usize, (rect.height() * scale) as usize);
            let step = ((w * h) as f64 / MAX_PIXELS as f64).sqrt().max(2.0);
            (w, h) = (((w as f64 / step) as usize).max(1), ((h as f64 / step) as usize).max(1));
            let a = &app.annotate.layer.as_ref().expect("checked").map;
            let b = app.annotate.compare.other_map.as_ref().expect("checked");
            let img = render(a, b, &m, w, h, app.annotate.opacity.max(0.6));
            let cached = &mut app.annotate.compare.overlays[vp];
            cached.key = key;
            match (img, &mut cached.texture) {
                (None, t) => *t = None,
                (Some(img), Some(t)) => t.set(img, TextureOptions::NEAREST),
                (Some(img), t) => {
                    *t = Some(ui.ctx().load_texture(format!("label-diff-{vp}"), img, TextureOptions::NEAREST))
                }
            }
        }
        if let Some(t) = &app.annotate.compare.overlays[vp].texture {
            let uv = Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
            ui.painter_at(*rect).image(t.id(), *rect, uv, Color32::WHITE);
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::volume::{Geometry, Plane, SliceView};

    #[test]
    fn the_difference_image_colours_a_only_b_only_and_shared_voxels_apart() {
        let g = Geometry::axis_aligned([40, 40, 40], [1.0; 3]);
        let (mut a, mut b) = (LabelMap::new([40, 40, 40]), LabelMap::new([40, 40, 40]));
        // Row y = 10 of the centre slice: A x 0..20, B x 10..30, both label 1; B labels 30..35 with 2
        // where A has 3 (a disagreement counts as A only).
        a.slice_mut(20)[10 * 40..10 * 40 + 20].fill(1);
        b.slice_mut(20)[10 * 40 + 10..10 * 40 + 30].fill(1);
        a.slice_mut(20)[10 * 40 + 30..10 * 40 + 35].fill(3);
        b.slice_mut(20)[10 * 40 + 30..10 * 40 + 35].fill(2);
        let mut view = SliceView::new(Plane::Axial);
        view.zoom = view.fit_zoom(&g, [40.0; 2]);
        let rect = Rect::from_min_size(egui::pos2(0.0, 0.0), egui::vec2(40.0, 40.0));
        let m = Mapper { g: g.clone(), view, focus: g.center(), rect };
        let img = render(&a, &b, &m, 40, 40, 1.0).unwrap();
        let count = |c: Color32| img.pixels.iter().filter(|p| **p == c).count();
        assert_eq!((count(A_ONLY), count(B_ONLY), count(BOTH)), (15, 10, 10));
        let empty = LabelMap::new([40, 40, 40]);
        assert!(render(&empty, &empty, &m, 40, 40, 1.0).is_none());
    }
}
