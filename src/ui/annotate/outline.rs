//! The contour tools on the viewports' primary button: polygon (click points; double-click,
//! Enter or a click on the first point closes and fills; Esc cancels; Backspace drops the last
//! point) and freehand (a drag outlines the contour, the release fills it). Shift held when the
//! contour closes, or the panel's "erase inside" box, erases unlocked labels instead. The contour
//! is drawn as it grows; one closed contour is one committed edit.

use eframe::egui::{self, Color32, Key, Modifiers, PointerButton, Pos2, Rect, Stroke as Line};

use crate::annotate::Recorder;
use crate::annotate::contour::{Contour, fill_polygon};
use crate::volume::Volume;

use super::super::app::SumiApp;
use super::paint::Mapper;
use super::{Tool, layer, parse_colour};

/// A click this close (screen points) to the first point closes the polygon.
const CLOSE_RADIUS: f32 = 8.0;
/// A freehand path takes a new point after the pointer moved this far (screen points).
const FREEHAND_STEP: f32 = 2.0;

/// A contour being drawn in one viewport.
pub(super) struct Draft {
    vp: usize,
    /// Voxel index coordinates (all in the viewport's plane).
    points: Vec<[f64; 3]>,
    /// Where the last point was taken, on screen.
    last: Pos2,
    /// The flat axis of the viewport the contour lies in.
    flat: usize,
}

impl Draft {
    pub(super) fn len(&self) -> usize {
        self.points.len()
    }
}

/// Mouse input of the polygon and freehand tools over one viewport.
pub(super) fn input(ui: &egui::Ui, app: &mut SumiApp, m: &Mapper, vp: usize, resp: &egui::Response, volume: &Volume) {
    let pointer = resp.interact_pointer_pos();
    let flat = m.flat_axis();
    if app.annotate.draft.as_ref().is_some_and(|d| d.vp != vp) && (resp.clicked() || resp.drag_started()) {
        app.annotate.draft = None;
    }
    match app.annotate.tool {
        Tool::Polygon => {
            if !resp.clicked_by(PointerButton::Primary) {
                return;
            }
            let Some(p) = pointer else { return };
            let close = match &app.annotate.draft {
                Some(d) if d.len() >= 3 => {
                    resp.double_clicked() || m.screen_of(d.points[0]).is_some_and(|f| f.distance(p) <= CLOSE_RADIUS)
                }
                _ => false,
            };
            if close {
                close_draft(ui, app, volume, "polygon");
            } else if let Some(at) = m.index_at(p) {
                let d = app.annotate.draft.get_or_insert(Draft { vp, points: Vec::new(), last: p, flat });
                // The second click of a double click on a short polygon adds nothing new.
                if d.points.last().is_none_or(|q| d.last.distance(p) > 1.0 || *q != at) {
                    d.points.push(at);
                    d.last = p;
                }
            }
        }
        Tool::Freehand => {
            if resp.drag_started_by(PointerButton::Primary) {
                let origin = ui.input(|i| i.pointer.press_origin()).or(pointer);
                if let Some(o) = origin
                    && let Some(at) = m.index_at(o)
                {
                    app.annotate.draft = Some(Draft { vp, points: vec![at], last: o, flat });
                }
            }
            if resp.dragged_by(PointerButton::Primary)
                && let Some(p) = pointer
                && let Some(d) = app.annotate.draft.as_mut().filter(|d| d.vp == vp)
                && d.last.distance(p) >= FREEHAND_STEP
                && let Some(at) = m.index_at(p)
            {
                d.points.push(at);
                d.last = p;
            }
            if resp.drag_stopped() && app.annotate.draft.as_ref().is_some_and(|d| d.vp == vp) {
                close_draft(ui, app, volume, "freehand");
            }
        }
        _ => {}
    }
}

/// Enter closes the polygon, Esc cancels the contour, Backspace drops its last point. Only
/// consumed while a contour is being drawn.
pub(super) fn keys(ctx: &egui::Context, app: &mut SumiApp, volume: Option<&Volume>) {
    if app.annotate.draft.is_none() {
        return;
    }
    let (enter, esc, back) = ctx.input_mut(|i| {
        (
            i.consume_key(Modifiers::NONE, Key::Enter) || i.consume_key(Modifiers::SHIFT, Key::Enter),
            i.consume_key(Modifiers::NONE, Key::Escape),
            i.consume_key(Modifiers::NONE, Key::Backspace),
        )
    });
    if esc {
        app.annotate.draft = None;
    } else if enter && let Some(v) = volume {
        close_draft_with(app, v, "polygon", ctx.input(|i| i.modifiers.shift));
    } else if back && let Some(d) = app.annotate.draft.as_mut() {
        d.points.pop();
        if d.points.is_empty() {
            app.annotate.draft = None;
        }
    }
}

fn close_draft(ui: &egui::Ui, app: &mut SumiApp, volume: &Volume, kind: &str) {
    let shift = ui.input(|i| i.modifiers.shift);
    close_draft_with(app, volume, kind, shift);
}

/// Fills (or erases) the drafted contour as one edit.
fn close_draft_with(app: &mut SumiApp, volume: &Volume, kind: &str, shift: bool) {
    let Some(d) = app.annotate.draft.take() else { return };
    let a = &app.annotate;
    let erase = a.contour_erase || shift;
    let contour = Contour {
        label: if erase { 0 } else { a.active },
        erase,
        range: if a.threshold { a.range } else { None },
        locked: a.locked(),
    };
    let Some(layer) = app.annotate.layer.as_mut() else { return };
    if layer.map.dims() != volume.geometry.dims {
        return;
    }
    let mut rec = Recorder::default();
    fill_polygon(&mut layer.map, &mut rec, &d.points, d.flat, &contour, Some(volume));
    let delta = rec.finish(&layer.map);
    layer::commit(app, delta, if erase { "erase-contour" } else { kind });
}

/// The contour being drawn: its path, its points, the rubber band to the pointer (polygon) and a
/// ring around the first point once a click there would close it.
pub(super) fn draw(ui: &egui::Ui, app: &SumiApp, viewports: &[(usize, Rect, egui::Response)]) {
    let Some(d) = &app.annotate.draft else { return };
    let Some((_, rect, _)) = viewports.iter().find(|(vp, _, _)| *vp == d.vp) else { return };
    let Some(m) = Mapper::new(app, d.vp, *rect) else { return };
    let erase = app.annotate.contour_erase || ui.input(|i| i.modifiers.shift);
    let colour = if erase {
        Color32::WHITE
    } else {
        app.annotate
            .labels
            .iter()
            .find(|l| l.value == app.annotate.active)
            .map_or(Color32::YELLOW, |l| parse_colour(&l.colour))
    };
    let pts: Vec<Pos2> = d.points.iter().filter_map(|p| m.screen_of(*p)).collect();
    let painter = ui.painter_at(*rect);
    painter.add(egui::Shape::line(pts.clone(), Line::new(1.5, colour)));
    if app.annotate.tool == Tool::Polygon {
        for p in &pts {
            painter.circle_filled(*p, 2.5, colour);
        }
        if let (Some(last), Some(hover)) = (pts.last(), ui.input(|i| i.pointer.hover_pos()))
            && rect.contains(hover)
        {
            painter.line_segment([*last, hover], Line::new(1.0, colour.gamma_multiply(0.6)));
            if pts.len() >= 3 && pts[0].distance(hover) <= CLOSE_RADIUS {
                painter.circle_stroke(pts[0], CLOSE_RADIUS, Line::new(1.5, colour));
            }
        }
    } else if pts.len() > 2 {
        painter.line_segment([pts[pts.len() - 1], pts[0]], Line::new(1.0, colour.gamma_multiply(0.5)));
    }
}
