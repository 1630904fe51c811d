//! Measurement markups in annotate mode: the Point, Line, Angle and Box tools on the slice
//! viewports (a click places a point; a drag draws a line or a box; an angle is a drag along its
//! first arm, from its end to the vertex, then a click for the second arm's end; dragging a
//! handle of a shown markup moves it) and every markup drawn in each viewport whose slice it lies
//! in (within half a voxel) with its measurement; the panel's list is in `markup_list.rs`. Each
//! add, move, change or delete is one step of the layer's undo history.

use eframe::egui::{self, Align2, Color32, FontId, Key, PointerButton, Pos2, Rect, Stroke};
use nalgebra::Vector3;

use crate::annotate::Step;
use crate::annotate::markup::{Markup, MarkupKind, Measurement, measure};
use crate::project::{default_actor, now_rfc3339};

use super::super::app::SumiApp;
use super::super::i18n::{Lang, tr};
use super::paint::Mapper;
use super::{Tool, parse_colour};

/// Screen distance (points) within which a press grabs a handle.
const GRAB: f32 = 7.0;

/// The markups of the open series with their measurements.
#[derive(Default)]
pub struct Markups {
    pub series_uid: Option<String>,
    pub list: Vec<(Markup, Measurement)>,
    pub selected: Option<i64>,
    draft: Option<Draft>,
    /// The list changed: measurements are recomputed when the volume is there.
    dirty: bool,
}

enum Draft {
    /// A line, box or an angle's first arm being dragged in viewport `vp`.
    New { vp: usize, kind: MarkupKind },
    /// An angle waiting for the click that ends its second arm.
    Arm { a: [f64; 3], vertex: [f64; 3], hover: Option<[f64; 3]> },
    /// Point `point` of a stored markup being dragged.
    Move { vp: usize, markup: Markup, point: usize },
}

pub fn is_markup_tool(tool: Tool) -> bool {
    matches!(tool, Tool::Point | Tool::Line | Tool::Angle | Tool::Box)
}

/// Loads the series' markups when the open series changed.
pub(super) fn sync(app: &mut SumiApp) {
    let uid = app.viewer.loaded.as_ref().map(|l| l.series_uid.clone());
    let tool = app.annotate.tool;
    let s = &mut app.annotate.markups;
    if !is_markup_tool(tool) {
        s.draft = None;
    }
    if s.series_uid == uid {
        if s.dirty {
            remeasure(app);
        }
        return;
    }
    *s = Markups { series_uid: uid.clone(), dirty: true, ..Default::default() };
    let Some(uid) = uid else { return };
    let project = app.project.clone();
    match app.annotate.db(project.as_deref()).map(|r| r.and_then(|db| db.markups(&uid))) {
        Some(Ok(list)) => app.annotate.markups.list = list.into_iter().map(|m| (m, Measurement::default())).collect(),
        Some(Err(e)) => app.problems.push(e.to_string()),
        None => {}
    }
    remeasure(app);
}

fn remeasure(app: &mut SumiApp) {
    let Some(volume) = app.viewer.loaded.as_ref().and_then(|l| l.volume.clone()) else { return };
    let s = &mut app.annotate.markups;
    for (m, r) in &mut s.list {
        *r = measure(&volume.geometry, &m.kind, Some(&volume));
    }
    s.dirty = false;
}

/// Puts a markup's stored state into the list (`None`: removes it), as undo and redo do.
pub(super) fn set_state(app: &mut SumiApp, id: i64, state: Option<&Markup>) {
    let volume = app.viewer.loaded.as_ref().and_then(|l| l.volume.clone());
    let s = &mut app.annotate.markups;
    s.list.retain(|(m, _)| m.id != id);
    if let Some(m) = state.filter(|m| Some(&m.series_uid) == s.series_uid.as_ref()) {
        // Only the changed markup is measured again (a big 3D box takes a while).
        let r = volume.as_ref().map(|v| measure(&v.geometry, &m.kind, Some(v)));
        s.dirty |= r.is_none();
        s.list.push((m.clone(), r.unwrap_or_default()));
        s.list.sort_by_key(|(m, _)| (m.id < 0, m.id.abs()));
    }
}

/// Records a markup change: stored in the project (one transaction, audited) and pushed as an
/// undo step; without a project it lives in memory. `before`/`after` as in `Step::Markup`.
fn record(app: &mut SumiApp, before: Option<Markup>, after: Option<Markup>) {
    let project = app.project.clone();
    let me = default_actor();
    let a = &mut app.annotate;
    let stored = match a.db(project.as_deref()) {
        Some(Err(e)) => Err(e),
        Some(Ok(db)) => match (&before, &after) {
            (None, Some(m)) => db.add_markup(m, &me).map(|(m, step)| (Some(m), step)),
            (Some(_), Some(m)) => db.update_markup(m, &me).map(|step| (Some(m.clone()), step)),
            (Some(m), None) => db.delete_markup(m.id, &me).map(|step| (None, step)),
            (None, None) => return,
        },
        None => {
            let Some(layer) = a.layer.as_mut() else { return };
            let id = layer.next_local_id();
            let after = after.clone().map(|m| if m.id == 0 { Markup { id, author: me.clone(), ..m } } else { m });
            Ok((after, id))
        }
    };
    match stored {
        Ok((after, step)) => {
            let id = before.as_ref().or(after.as_ref()).map_or(0, |m| m.id);
            if let Some(layer) = app.annotate.layer.as_mut() {
                layer.history.push(step, Step::Markup { before, after: after.clone() });
            }
            set_state(app, id, after.as_ref());
            app.annotate.markups.selected = after.map(|m| m.id);
        }
        Err(e) => app.problems.push(e.to_string()),
    }
}

fn add(app: &mut SumiApp, kind: MarkupKind) {
    let Some(series_uid) = app.annotate.markups.series_uid.clone() else { return };
    let m = Markup {
        id: 0,
        series_uid,
        kind,
        label: None,
        note: String::new(),
        author: default_actor(),
        created: now_rfc3339(),
    };
    record(app, None, Some(m));
}

fn find(app: &SumiApp, id: i64) -> Option<Markup> {
    app.annotate.markups.list.iter().find(|(m, _)| m.id == id).map(|(m, _)| m.clone())
}

pub(super) fn update(app: &mut SumiApp, m: Markup) {
    if let Some(before) = find(app, m.id).filter(|b| *b != m) {
        record(app, Some(before), Some(m));
    }
}

pub(super) fn delete(app: &mut SumiApp, id: i64) {
    if let Some(before) = find(app, id) {
        record(app, Some(before), None);
    }
}

/// Delete removes the selected markup; Escape drops a markup being drawn (not while typing).
pub(super) fn keys(ctx: &egui::Context, app: &mut SumiApp) {
    if ctx.egui_wants_keyboard_input() {
        return;
    }
    let (delete_key, escape) =
        ctx.input_mut(|i| (i.consume_key(egui::Modifiers::NONE, Key::Delete), i.key_pressed(Key::Escape)));
    if escape {
        app.annotate.markups.draft = None;
    }
    if delete_key && let Some(id) = app.annotate.markups.selected {
        delete(app, id);
    }
}

/// Viewport geometry for drawing: index → screen, and the slice coordinate along the flat axis.
struct View {
    m: Mapper,
    flat: usize,
    slice: f64,
}

impl View {
    fn new(app: &SumiApp, vp: usize, rect: Rect) -> Option<View> {
        let m = Mapper::new(app, vp, rect)?;
        let flat = m.flat_axis();
        let slice = m.g.patient_to_index(m.focus)?[flat];
        Some(View { m, flat, slice })
    }

    fn screen(&self, v: [f64; 3]) -> Pos2 {
        let p = self.m.g.index_to_patient(Vector3::from(v));
        let size = [f64::from(self.m.rect.width()), f64::from(self.m.rect.height())];
        let uv = self.m.view.uv_of(&self.m.g, self.m.focus, size, p);
        self.m.rect.min + egui::vec2(uv[0] as f32 * self.m.rect.width(), uv[1] as f32 * self.m.rect.height())
    }

    /// Voxel index under a screen point, on the shown slice.
    fn index(&self, p: Pos2) -> Option<[f64; 3]> {
        let mut v = self.m.index_at(p)?;
        v[self.flat] = self.slice.round();
        Some(v)
    }

    fn in_slice(&self, v: [f64; 3]) -> bool {
        (v[self.flat] - self.slice).abs() <= 0.5 + 1e-6
    }

    /// The outline of a markup in this slice (box: its closed section), or `None` when it does
    /// not lie in the slice.
    fn outline(&self, kind: &MarkupKind) -> Option<Vec<[f64; 3]>> {
        match kind {
            MarkupKind::Box { min, max } => {
                let f = self.flat;
                let (lo, hi) = (min[f].min(max[f]), min[f].max(max[f]));
                if self.slice < lo - 0.5 - 1e-6 || self.slice > hi + 0.5 + 1e-6 {
                    return None;
                }
                let (u, v) = match f {
                    0 => (1, 2),
                    1 => (0, 2),
                    _ => (0, 1),
                };
                let corner = |cu: f64, cv: f64| {
                    let mut p = [0.0; 3];
                    (p[f], p[u], p[v]) = (self.slice, cu, cv);
                    p
                };
                Some(vec![
                    corner(min[u], min[v]),
                    corner(max[u], min[v]),
                    corner(max[u], max[v]),
                    corner(min[u], max[v]),
                ])
            }
            k => {
                let pts = k.points();
                pts.iter().all(|p| self.in_slice(*p)).then_some(pts)
            }
        }
    }
}

/// The measurement as shown over the image: "12.3 mm", "87.5°", "20.0 × 15.0 mm, 3.4 cm², Mean 45 HU".
pub fn caption(kind: &MarkupKind, r: &Measurement, lang: Lang, unit: &str) -> String {
    match kind {
        MarkupKind::Point { name, .. } => name.clone(),
        MarkupKind::Line { .. } => format!("{:.1} mm", r.length_mm.unwrap_or(0.0)),
        MarkupKind::Angle { .. } => format!("{:.1}°", r.angle_deg.unwrap_or(0.0)),
        MarkupKind::Box { .. } => {
            let sides: Vec<String> =
                r.size_mm.unwrap_or_default().iter().filter(|s| **s > 1e-9).map(|s| format!("{s:.1}")).collect();
            let mut t = format!("{} mm", sides.join(" × "));
            if let Some(a) = r.area_mm2 {
                t.push_str(&format!(", {:.1} cm²", a / 100.0));
            }
            if let Some(v) = r.volume_ml {
                t.push_str(&format!(", {v:.2} mL"));
            }
            if let Some(s) = r.stats {
                t.push_str(&format!(", {} {:.0} {unit}", tr(lang, "annot.mean").to_lowercase(), s.mean));
            }
            t.trim_end().to_string()
        }
    }
}

pub(super) fn unit(app: &SumiApp) -> &'static str {
    match app.viewer.loaded.as_ref().and_then(|l| l.volume.as_ref()).map(|v| v.display.modality.as_str()) {
        Some("CT") => "HU",
        _ => "",
    }
}

/// Handles the markup tools' mouse input over the slice viewports.
pub(super) fn input(ui: &egui::Ui, app: &mut SumiApp, viewports: &[(usize, Rect, egui::Response)]) {
    let tool = app.annotate.tool;
    if !is_markup_tool(tool) || app.viewer.loaded.as_ref().is_none_or(|l| l.volume.is_none()) {
        return;
    }
    for (vp, rect, resp) in viewports {
        let vp = *vp;
        if app.viewer.is_3d(vp) {
            continue;
        }
        let Some(view) = View::new(app, vp, *rect) else { continue };
        let pointer = resp.interact_pointer_pos().or_else(|| resp.hover_pos());
        if let Some(Draft::Arm { hover, .. }) = &mut app.annotate.markups.draft {
            *hover = resp.hover_pos().and_then(|p| view.index(p)).or(*hover);
        }
        if resp.drag_started_by(PointerButton::Primary) && app.annotate.markups.draft.is_none() {
            let origin = ui.input(|i| i.pointer.press_origin()).or(pointer);
            if let Some(o) = origin {
                app.annotate.markups.draft = grab(app, &view, vp, o).or_else(|| {
                    let at = view.index(o)?;
                    let kind = match tool {
                        Tool::Line => MarkupKind::Line { a: at, b: at },
                        Tool::Box => MarkupKind::Box { min: at, max: at },
                        Tool::Angle => MarkupKind::Angle { a: at, vertex: at, b: at },
                        _ => return None,
                    };
                    Some(Draft::New { vp, kind })
                });
            }
        }
        if resp.dragged_by(PointerButton::Primary)
            && let Some(to) = pointer.and_then(|p| view.index(p))
        {
            match &mut app.annotate.markups.draft {
                Some(Draft::New { vp: v, kind }) if *v == vp => match kind {
                    MarkupKind::Line { b, .. } => *b = to,
                    MarkupKind::Box { max, .. } => *max = to,
                    MarkupKind::Angle { vertex, b, .. } => (*vertex, *b) = (to, to),
                    MarkupKind::Point { .. } => {}
                },
                Some(Draft::Move { vp: v, markup, point }) if *v == vp => {
                    move_point(&mut markup.kind, *point, to, view.flat)
                }
                _ => {}
            }
        }
        if resp.drag_stopped() {
            finish_drag(app, vp);
        }
        if resp.clicked_by(PointerButton::Primary)
            && let Some(p) = pointer
        {
            click(app, &view, vp, p);
        }
    }
}

/// Moves point `point` of a markup to `to`; a box corner moves in the view's plane only (its
/// extent along axis `flat`, the view's normal, is kept).
fn move_point(kind: &mut MarkupKind, point: usize, to: [f64; 3], flat: usize) {
    match kind {
        MarkupKind::Point { at, .. } => *at = to,
        MarkupKind::Line { a, b } => *[a, b][point.min(1)] = to,
        MarkupKind::Angle { a, vertex, b } => *[a, vertex, b][point.min(2)] = to,
        MarkupKind::Box { min, max } => {
            let c = if point == 0 { min } else { max };
            for i in (0..3).filter(|&i| i != flat) {
                c[i] = to[i];
            }
        }
    }
}

/// A handle of a markup shown in this viewport within reach of `p`.
fn grab(app: &SumiApp, view: &View, vp: usize, p: Pos2) -> Option<Draft> {
    let mut best: Option<(f32, Markup, usize)> = None;
    for (m, _) in &app.annotate.markups.list {
        if view.outline(&m.kind).is_none() {
            continue;
        }
        for (i, q) in m.kind.points().iter().enumerate() {
            let d = view.screen(*q).distance(p);
            if d < GRAB && best.as_ref().is_none_or(|b| d < b.0) {
                best = Some((d, m.clone(), i));
            }
        }
    }
    best.map(|(_, markup, point)| Draft::Move { vp, markup, point })
}

fn finish_drag(app: &mut SumiApp, vp: usize) {
    let s = &mut app.annotate.markups;
    let draft = match s.draft.take() {
        Some(Draft::New { vp: v, .. } | Draft::Move { vp: v, .. }) if v != vp => return,
        other => other,
    };
    let Some(g) = app.viewer.loaded.as_ref().map(|l| l.plan.geometry.clone()) else { return };
    match draft {
        Some(Draft::New { kind: MarkupKind::Angle { a, vertex, .. }, .. }) => {
            if crate::annotate::measure::length_mm(&g, a, vertex) > 0.0 {
                app.annotate.markups.draft = Some(Draft::Arm { a, vertex, hover: None });
            }
        }
        Some(Draft::New { kind, .. }) => {
            let r = measure(&g, &kind, None);
            if r.length_mm.is_some_and(|l| l > 0.0) || r.area_mm2.is_some_and(|a| a > 0.0) {
                add(app, kind);
            }
        }
        Some(Draft::Move { markup, .. }) => update(app, markup),
        other => app.annotate.markups.draft = other,
    }
}

fn click(app: &mut SumiApp, view: &View, vp: usize, p: Pos2) {
    if let Some(Draft::Arm { a, vertex, .. }) = app.annotate.markups.draft {
        if let Some(b) = view.index(p) {
            app.annotate.markups.draft = None;
            add(app, MarkupKind::Angle { a, vertex, b });
        }
        return;
    }
    if let Some(Draft::Move { markup, .. }) = grab(app, view, vp, p) {
        app.annotate.markups.selected = Some(markup.id);
        return;
    }
    if app.annotate.tool == Tool::Point
        && let Some(at) = view.index(p)
    {
        let n = app.annotate.markups.list.iter().filter(|(m, _)| matches!(m.kind, MarkupKind::Point { .. })).count();
        add(app, MarkupKind::Point { at, name: format!("P{}", n + 1) });
    }
}

/// Draws every markup (and the one being drawn) in the viewports whose slice it lies in.
pub(super) fn draw(ui: &egui::Ui, app: &SumiApp, viewports: &[(usize, Rect, egui::Response)]) {
    let s = &app.annotate.markups;
    let lang = app.lang;
    let unit = unit(app);
    let g = app.viewer.loaded.as_ref().map(|l| l.plan.geometry.clone());
    let draft: Option<MarkupKind> = match &s.draft {
        Some(Draft::New { kind, .. }) => Some(kind.clone()),
        Some(Draft::Arm { a, vertex, hover }) => {
            Some(MarkupKind::Angle { a: *a, vertex: *vertex, b: hover.unwrap_or(*vertex) })
        }
        _ => None,
    };
    for (vp, rect, _) in viewports {
        if app.viewer.is_3d(*vp) {
            continue;
        }
        let Some(view) = View::new(app, *vp, *rect) else { continue };
        let painter = ui.painter_at(*rect);
        for (m, r) in &s.list {
            let moving = match &s.draft {
                Some(Draft::Move { markup, .. }) if markup.id == m.id => Some(markup),
                _ => None,
            };
            let (kind, r) = match (moving, &g) {
                (Some(x), Some(g)) => (&x.kind, &measure(g, &x.kind, None)),
                _ => (&m.kind, r),
            };
            let colour = if s.selected == Some(m.id) {
                Color32::from_rgb(80, 220, 255)
            } else {
                m.label
                    .and_then(|l| app.annotate.labels.iter().find(|x| x.value == l))
                    .map_or(Color32::from_rgb(255, 210, 40), |l| parse_colour(&l.colour))
            };
            paint(&painter, &view, kind, &caption(kind, r, lang, unit), colour);
        }
        if let (Some(kind), Some(g)) = (&draft, &g) {
            let text = caption(kind, &measure(g, kind, None), lang, unit);
            paint(&painter, &view, kind, &text, Color32::from_rgb(255, 255, 160));
        }
    }
}

fn paint(painter: &egui::Painter, view: &View, kind: &MarkupKind, text: &str, colour: Color32) {
    let Some(outline) = view.outline(kind) else { return };
    let pts: Vec<Pos2> = outline.iter().map(|v| view.screen(*v)).collect();
    let stroke = Stroke::new(1.5, colour);
    match kind {
        MarkupKind::Box { .. } => {
            painter.add(egui::Shape::closed_line(pts.clone(), stroke));
        }
        MarkupKind::Point { .. } => {
            painter.circle_stroke(pts[0], 4.0, stroke);
            painter.line_segment([pts[0] - egui::vec2(7.0, 0.0), pts[0] + egui::vec2(7.0, 0.0)], stroke);
            painter.line_segment([pts[0] - egui::vec2(0.0, 7.0), pts[0] + egui::vec2(0.0, 7.0)], stroke);
        }
        _ => {
            painter.add(egui::Shape::line(pts.clone(), stroke));
        }
    }
    if !matches!(kind, MarkupKind::Box { .. }) {
        for p in &pts {
            painter.circle_filled(*p, 2.5, colour);
        }
    }
    let anchor = match kind {
        MarkupKind::Angle { .. } => pts[1] + egui::vec2(8.0, 8.0),
        MarkupKind::Line { .. } => pts[0].lerp(pts[1], 0.5) + egui::vec2(6.0, -6.0),
        MarkupKind::Box { .. } => {
            let top = pts.iter().fold(Pos2::new(f32::INFINITY, f32::INFINITY), |a, p| a.min(*p));
            top - egui::vec2(0.0, 4.0)
        }
        MarkupKind::Point { .. } => pts[0] + egui::vec2(8.0, -8.0),
    };
    let align = if matches!(kind, MarkupKind::Box { .. }) { Align2::LEFT_BOTTOM } else { Align2::LEFT_CENTER };
    let font = FontId::proportional(13.0);
    let galley = painter.layout_no_wrap(text.to_string(), font, colour);
    let mut r = align.anchor_size(anchor, galley.size()).expand(2.0);
    // Kept inside the viewport so a markup near its edge still shows its measurement.
    let clip = painter.clip_rect();
    r = r.translate(egui::vec2(
        (clip.max.x - r.max.x).min(0.0).max(clip.min.x - r.min.x),
        (clip.max.y - r.max.y).min(0.0).max(clip.min.y - r.min.y),
    ));
    painter.rect_filled(r, 2.0, Color32::from_black_alpha(150));
    painter.galley(r.min + egui::vec2(2.0, 2.0), galley, colour);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::volume::{Geometry, Plane, SliceView};

    fn view(plane: Plane, g: &Geometry, focus_index: [f64; 3]) -> View {
        let mut v = SliceView::new(plane);
        v.zoom = v.fit_zoom(g, [100.0, 100.0]);
        let rect = Rect::from_min_size(egui::pos2(0.0, 0.0), egui::vec2(100.0, 100.0));
        let focus = g.index_to_patient(Vector3::from(focus_index));
        let m = Mapper { g: g.clone(), view: v, focus, rect };
        let flat = m.flat_axis();
        let slice = m.g.patient_to_index(m.focus).unwrap()[flat];
        View { m, flat, slice }
    }

    #[test]
    fn markups_show_only_in_slices_within_half_a_voxel_and_a_box_as_its_section() {
        let g = Geometry::axis_aligned([40, 40, 40], [1.0, 1.0, 2.0]);
        let line = MarkupKind::Line { a: [5.0, 5.0, 10.0], b: [20.0, 8.0, 10.0] };
        assert!(view(Plane::Axial, &g, [20.0, 20.0, 10.0]).outline(&line).is_some());
        assert!(view(Plane::Axial, &g, [20.0, 20.0, 10.4]).outline(&line).is_some(), "within half a voxel");
        assert!(view(Plane::Axial, &g, [20.0, 20.0, 11.0]).outline(&line).is_none(), "the next slice");
        assert!(view(Plane::Coronal, &g, [20.0, 20.0, 10.0]).outline(&line).is_none(), "not along y = 20");
        // A 3D box seen in a coronal slice: the rectangle of its i and k extent at that y.
        let bx = MarkupKind::Box { min: [2.5, 3.5, 4.5], max: [8.5, 9.5, 7.5] };
        let cor = view(Plane::Coronal, &g, [20.0, 6.0, 20.0]);
        let section = cor.outline(&bx).unwrap();
        assert_eq!(section.len(), 4);
        assert!(section.iter().all(|p| p[1] == 6.0), "{section:?}");
        assert_eq!((section[0][0], section[0][2], section[2][0], section[2][2]), (2.5, 4.5, 8.5, 7.5));
        assert!(view(Plane::Coronal, &g, [20.0, 12.0, 20.0]).outline(&bx).is_none());
        // Screen positions invert the viewport's mapping.
        let ax = view(Plane::Axial, &g, [20.0, 20.0, 10.0]);
        let p = ax.screen([12.0, 30.0, 10.0]);
        let back = ax.index(p).unwrap();
        assert!((back[0] - 12.0).abs() < 1e-3 && (back[1] - 30.0).abs() < 1e-3 && back[2] == 10.0, "{back:?}");
    }

    #[test]
    fn moving_a_box_corner_keeps_its_depth_along_the_view_normal() {
        let mut bx = MarkupKind::Box { min: [2.0, 3.0, 4.5], max: [8.0, 9.0, 7.5] };
        move_point(&mut bx, 1, [10.0, 12.0, 5.0], 2);
        assert_eq!(bx, MarkupKind::Box { min: [2.0, 3.0, 4.5], max: [10.0, 12.0, 7.5] });
        let mut line = MarkupKind::Line { a: [0.0; 3], b: [1.0; 3] };
        move_point(&mut line, 0, [3.0, 4.0, 5.0], 2);
        assert_eq!(line, MarkupKind::Line { a: [3.0, 4.0, 5.0], b: [1.0; 3] });
    }

    #[test]
    fn captions_read_as_in_the_viewport() {
        let g = Geometry::axis_aligned([40, 40, 40], [0.5, 0.5, 2.0]);
        let line = MarkupKind::Line { a: [0.0; 3], b: [24.6, 0.0, 0.0] };
        assert_eq!(caption(&line, &measure(&g, &line, None), Lang::En, "HU"), "12.3 mm");
        let bx = MarkupKind::Box { min: [0.0, 0.0, 3.0], max: [40.0, 30.0, 3.0] };
        assert_eq!(caption(&bx, &measure(&g, &bx, None), Lang::En, "HU"), "20.0 × 15.0 mm, 3.0 cm²");
    }
}
