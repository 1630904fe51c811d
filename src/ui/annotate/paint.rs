//! The painting tools on the viewports' primary button: a brush or eraser drag is one stroke
//! (dabs along the pointer path, recorded into one delta, committed when the button is released);
//! a click with the grow tool fills the connected region in range around the seed. The contour
//! tools live in `outline.rs`.

use eframe::egui::{self, PointerButton, Pos2, Rect, Stroke as Line};
use nalgebra::Vector3;

use crate::annotate::Recorder;
use crate::annotate::tools::{Brush, Grow, dab_across, region_grow};
use crate::volume::{Geometry, SliceView, Volume};

use super::super::app::SumiApp;
use super::{Tool, layer};

/// A stroke in progress.
pub(super) struct Stroke {
    vp: usize,
    rec: Recorder,
    /// Last dab centre, voxel index coordinates.
    last: [f64; 3],
}

/// Screen ↔ voxel index for one viewport.
pub(super) struct Mapper {
    pub g: Geometry,
    pub view: SliceView,
    pub focus: nalgebra::Point3<f64>,
    pub rect: Rect,
}

impl Mapper {
    pub fn new(app: &SumiApp, vp: usize, rect: Rect) -> Option<Mapper> {
        let l = app.viewer.loaded.as_ref()?;
        Some(Mapper { g: l.plan.geometry.clone(), view: app.viewer.views[vp].clone(), focus: app.viewer.focus, rect })
    }

    fn size(&self) -> [f64; 2] {
        [f64::from(self.rect.width()), f64::from(self.rect.height())]
    }

    /// Continuous voxel index under a uv point of the viewport (voxel centres at integers).
    pub fn index_at_uv(&self, uv: [f64; 2]) -> Option<Vector3<f64>> {
        self.g.patient_to_index(self.view.patient_at(&self.g, self.focus, self.size(), uv))
    }

    pub fn index_at(&self, p: Pos2) -> Option<[f64; 3]> {
        let uv = [
            f64::from((p.x - self.rect.min.x) / self.rect.width()),
            f64::from((p.y - self.rect.min.y) / self.rect.height()),
        ];
        self.index_at_uv(uv).map(|v| [v.x, v.y, v.z])
    }

    /// Screen position of a voxel index point (its projection onto the viewport's plane).
    pub fn screen_of(&self, idx: [f64; 3]) -> Option<Pos2> {
        let p = self.g.index_to_patient(Vector3::new(idx[0], idx[1], idx[2]));
        let uv = self.view.uv_of(&self.g, self.focus, self.size(), p);
        uv.iter().all(|v| v.is_finite()).then(|| {
            Pos2::new(
                self.rect.min.x + uv[0] as f32 * self.rect.width(),
                self.rect.min.y + uv[1] as f32 * self.rect.height(),
            )
        })
    }

    /// The voxel axis most nearly along the view's normal (a 2D brush lies across it).
    pub fn flat_axis(&self) -> usize {
        let (_, _, n) = self.view.plane.axes(&self.g);
        (0..3)
            .max_by(|&a, &b| n.dot(&self.g.direction(a)).abs().total_cmp(&n.dot(&self.g.direction(b)).abs()))
            .unwrap_or(2)
    }
}

fn brush(app: &SumiApp) -> Brush {
    let a = &app.annotate;
    Brush {
        radius_mm: a.radius_mm,
        sphere: a.sphere,
        label: if a.tool == Tool::Eraser { 0 } else { a.active },
        erase: a.tool == Tool::Eraser,
        range: if a.threshold { a.range } else { None },
        locked: a.locked(),
    }
}

/// Dabs from `from` to `to` (voxel indices) at steps of a quarter of the brush radius.
fn dab_line(app: &mut SumiApp, rec: &mut Recorder, volume: &Volume, from: [f64; 3], to: [f64; 3], flat: usize) {
    let b = brush(app);
    let spacing = volume.geometry.spacing();
    let mm = ((0..3).map(|i| ((to[i] - from[i]) * spacing[i]).powi(2)).sum::<f64>()).sqrt();
    let step = (b.radius_mm * 0.25).max(spacing.iter().copied().fold(f64::INFINITY, f64::min) * 0.5);
    let n = (mm / step).ceil().max(1.0) as usize;
    let Some(layer) = app.annotate.layer.as_mut() else { return };
    for k in 1..=n {
        let t = k as f64 / n as f64;
        let c = [0, 1, 2].map(|i| from[i] + (to[i] - from[i]) * t);
        dab_across(&mut layer.map, rec, spacing, c, &b, Some(volume), flat);
    }
    layer.revision += 1;
}

/// Handles the tools' mouse input over the viewports (3D viewports are left alone).
pub(super) fn input(ui: &egui::Ui, app: &mut SumiApp, viewports: &[(usize, Rect, egui::Response)]) {
    let tool = app.annotate.tool;
    if tool == Tool::Navigate {
        return;
    }
    let Some(volume) = app.viewer.loaded.as_ref().and_then(|l| l.volume.clone()) else { return };
    if app.annotate.layer.as_ref().is_none_or(|l| l.map.dims() != volume.geometry.dims) {
        return;
    }
    // A submitted or approved layer is not painted on: say why when the user tries.
    if app.annotate.layer.as_ref().is_some_and(|l| !l.editable()) {
        let pressed =
            |r: &egui::Response| r.drag_started_by(PointerButton::Primary) || r.clicked_by(PointerButton::Primary);
        if viewports.iter().any(|(vp, _, r)| !app.viewer.is_3d(*vp) && pressed(r)) {
            layer::may_edit(app);
        }
        return;
    }
    for (vp, rect, resp) in viewports {
        let vp = *vp;
        if app.viewer.is_3d(vp) {
            continue;
        }
        let Some(m) = Mapper::new(app, vp, *rect) else { continue };
        let flat = m.flat_axis();
        let pointer = resp.interact_pointer_pos();
        match tool {
            Tool::Brush | Tool::Eraser => {
                if resp.drag_started_by(PointerButton::Primary) && app.annotate.stroke.is_none() {
                    let origin = ui.input(|i| i.pointer.press_origin()).or(pointer);
                    if let Some(start) = origin.and_then(|p| m.index_at(p)) {
                        let mut rec = Recorder::default();
                        dab_line(app, &mut rec, &volume, start, start, flat);
                        app.annotate.stroke = Some(Stroke { vp, rec, last: start });
                    }
                }
                if resp.dragged_by(PointerButton::Primary)
                    && let Some(to) = pointer.and_then(|p| m.index_at(p))
                    && let Some(mut s) = app.annotate.stroke.take_if(|s| s.vp == vp)
                {
                    dab_line(app, &mut s.rec, &volume, s.last, to, flat);
                    s.last = to;
                    app.annotate.stroke = Some(s);
                }
                if resp.drag_stopped()
                    && let Some(s) = app.annotate.stroke.take_if(|s| s.vp == vp)
                {
                    finish(app, s.rec, if tool == Tool::Eraser { "erase" } else { "brush" });
                }
                if resp.clicked_by(PointerButton::Primary)
                    && let Some(at) = pointer.and_then(|p| m.index_at(p))
                {
                    let mut rec = Recorder::default();
                    dab_line(app, &mut rec, &volume, at, at, flat);
                    finish(app, rec, if tool == Tool::Eraser { "erase" } else { "brush" });
                }
            }
            Tool::Grow => {
                if resp.clicked_by(PointerButton::Primary)
                    && let Some(at) = pointer.and_then(|p| m.index_at(p))
                {
                    grow(app, &volume, at);
                }
            }
            Tool::Polygon | Tool::Freehand => super::outline::input(ui, app, &m, vp, resp, &volume),
            _ => {}
        }
    }
}

fn finish(app: &mut SumiApp, rec: Recorder, kind: &str) {
    let Some(layer) = &app.annotate.layer else { return };
    let delta = rec.finish(&layer.map);
    layer::commit(app, delta, kind);
}

fn grow(app: &mut SumiApp, volume: &Volume, at: [f64; 3]) {
    let dims = volume.geometry.dims;
    let seed = [0, 1, 2].map(|i| at[i].round());
    if (0..3).any(|i| seed[i] < 0.0 || seed[i] >= dims[i] as f64) {
        return;
    }
    let range = app.annotate.range.unwrap_or_else(|| window_range(app));
    app.annotate.range = Some(range);
    let g = Grow {
        seed: seed.map(|v| v as usize),
        range,
        in_slice: !app.annotate.grow_3d,
        label: app.annotate.active,
        locked: app.annotate.locked(),
    };
    let Some(layer) = app.annotate.layer.as_mut() else { return };
    let mut rec = Recorder::default();
    region_grow(&mut layer.map, &mut rec, volume, &g);
    finish(app, rec, "grow");
}

/// The displayed window as a value range.
pub(super) fn window_range(app: &SumiApp) -> (f64, f64) {
    let (c, w) = app.viewer.window;
    (c - w / 2.0, c + w / 2.0)
}

/// The brush outline under the pointer (its size in mm at the viewport's zoom).
pub(super) fn cursor(ui: &egui::Ui, app: &SumiApp, viewports: &[(usize, Rect, egui::Response)]) {
    if !matches!(app.annotate.tool, Tool::Brush | Tool::Eraser) {
        return;
    }
    let Some(p) = ui.input(|i| i.pointer.hover_pos()) else { return };
    for (vp, rect, _) in viewports {
        if rect.contains(p) && !app.viewer.is_3d(*vp) {
            let r = (app.annotate.radius_mm * app.viewer.views[*vp].zoom) as f32;
            let colour = if app.annotate.tool == Tool::Eraser { egui::Color32::WHITE } else { egui::Color32::YELLOW };
            ui.painter_at(*rect).circle_stroke(p, r.max(1.0), Line::new(1.0, colour));
        }
    }
}
