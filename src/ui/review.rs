//! The burned-in text review queue: riskiest first, the instance in the viewer with its boxes,
//! box editing (select, move, resize by the corner handle, draw, delete, nudge), a preview of
//! the cleaned result, and keyboard decisions (Enter approve, Space/→ next, ← previous, F flag).
//! Every decision is written to the project with its audit event.

use std::sync::mpsc::{Receiver, sync_channel};

use eframe::egui::{self, Color32, Key, PointerButton, Pos2, Rect, Stroke};
use nalgebra::Vector3;

use crate::deid::text::ocr_ready;
use crate::deid::text_queue::{ProposalSummary, ProposeOptions, propose_for_project};
use crate::dicom::scan::read_header;
use crate::project::text_review::{QueueItem, ReviewBox, ReviewStatus};
use crate::project::{Project, default_actor};

use super::app::SumiApp;
use super::i18n::tr;

#[derive(Clone)]
enum Drag {
    Move { index: usize, grab: (f64, f64), orig: ReviewBox },
    Resize { index: usize },
    Create { start: (f64, f64) },
}

#[derive(Default)]
pub struct Review {
    pub open: bool,
    pub queue: Vec<QueueItem>,
    pub index: usize,
    /// The current item's boxes as edited.
    pub boxes: Vec<ReviewBox>,
    pub selected: Option<usize>,
    drag: Option<Drag>,
    pub hide_boxes: bool,
    pub preview_clean: bool,
    pub comment: String,
    pub message: Option<String>,
    job: Option<Receiver<Result<ProposalSummary, String>>>,
}

impl Review {
    pub fn current(&self) -> Option<&QueueItem> {
        self.queue.get(self.index)
    }

    pub fn remaining(&self) -> usize {
        self.queue.iter().filter(|q| q.status != ReviewStatus::Approved).count()
    }
}

/// Reloads the queue from the project and shows item `index`.
pub fn reload(app: &mut SumiApp, index: usize) {
    let Some(file) = app.project.clone() else {
        app.review.message = Some(tr(app.lang, "review.need_project").into());
        return;
    };
    match Project::open(&file).and_then(|p| p.text_review_queue()) {
        Ok(q) => {
            app.review.queue = q;
            show(app, index.min(app.review.queue.len().saturating_sub(1)));
        }
        Err(e) => app.problems.push(e.to_string()),
    }
}

fn show(app: &mut SumiApp, index: usize) {
    app.review.index = index;
    app.review.selected = None;
    app.review.drag = None;
    app.review.comment.clear();
    let Some(item) = app.review.queue.get(index) else { return };
    app.review.boxes = item.boxes.clone();
    match read_header(std::path::Path::new(&item.path)) {
        Ok(meta) => app.viewer.open(meta.series_uid.clone(), vec![meta]),
        Err(e) => app.problems.push(e.to_string()),
    }
}

/// Runs the detector over the open scan and fills the project's queue (on a worker thread).
pub fn start_detection(app: &mut SumiApp) {
    let (Some(file), Some(scan)) = (app.project.clone(), app.scan.as_ref()) else {
        app.review.message = Some(tr(app.lang, "review.need_project").into());
        return;
    };
    let metas = scan.instances.clone();
    let (tx, rx) = sync_channel(1);
    let ctx = app.viewer.ctx.clone();
    std::thread::spawn(move || {
        // OCR when this build has it and tesseract answers; otherwise detection alone.
        let options = ProposeOptions { ocr: ocr_ready().is_ok() };
        let r = Project::open(&file)
            .and_then(|mut p| propose_for_project(&mut p, &metas, options))
            .map_err(|e| e.to_string());
        let _ = tx.send(r);
        ctx.request_repaint();
    });
    app.review.job = Some(rx);
}

fn decide(app: &mut SumiApp, status: ReviewStatus) {
    let (Some(file), Some(item)) = (app.project.clone(), app.review.current().cloned()) else { return };
    let comment = (!app.review.comment.trim().is_empty()).then(|| app.review.comment.trim().to_string());
    let saved = Project::open(&file).and_then(|mut p| {
        p.decide_text_review(&item.sop_instance_uid, status, &app.review.boxes, &default_actor(), comment.as_deref())
    });
    match saved {
        Ok(()) => {
            let next = (app.review.index + 1).min(app.review.queue.len().saturating_sub(1));
            reload(app, next);
        }
        Err(e) => app.problems.push(e.to_string()),
    }
}

fn save_template(app: &mut SumiApp) {
    let (Some(file), Some(item)) = (app.project.clone(), app.review.current()) else { return };
    let saved = read_header(std::path::Path::new(&item.path)).map_err(|e| e.to_string()).and_then(|m| {
        let image = m.image.as_ref().ok_or("not an image")?;
        Project::open(&file)
            .and_then(|mut p| {
                p.save_device_template(
                    m.manufacturer.as_deref().unwrap_or(""),
                    m.model_name.as_deref().unwrap_or(""),
                    image.rows,
                    image.cols,
                    &m.sop_class_uid,
                    &app.review.boxes,
                    &default_actor(),
                )
            })
            .map_err(|e| e.to_string())
    });
    app.review.message = Some(match saved {
        Ok(()) => tr(app.lang, "review.template_saved").into(),
        Err(e) => e,
    });
}

/// The left panel in review mode: actions, progress and the queue.
pub fn queue_panel(ui: &mut egui::Ui, app: &mut SumiApp) {
    let lang = app.lang;
    if let Some(rx) = &app.review.job
        && let Ok(r) = rx.try_recv()
    {
        app.review.job = None;
        match r {
            Ok(s) => {
                let mut m = format!("{}: {} / {}", tr(lang, "review.queued"), s.queued, s.examined);
                if s.phi_matches > 0 {
                    m.push_str(&format!(", {}: {}", tr(lang, "review.phi_matches"), s.phi_matches));
                }
                app.review.message = Some(m);
                s.ocr_errors.into_iter().for_each(|e| app.problems.push(e));
            }
            Err(e) => app.problems.push(e),
        }
        reload(app, 0);
    }
    ui.heading(tr(lang, "review.title"));
    ui.horizontal(|ui| {
        let busy = app.review.job.is_some();
        if ui.add_enabled(!busy, egui::Button::new(tr(lang, "review.detect"))).clicked() {
            start_detection(app);
        }
        if busy {
            ui.spinner();
        }
    });
    if let Some(m) = &app.review.message {
        ui.label(egui::RichText::new(m).small());
    }
    let total = app.review.queue.len();
    if total > 0 {
        ui.label(format!(
            "{} {} / {} · {} {}",
            tr(lang, "review.item"),
            app.review.index + 1,
            total,
            app.review.remaining(),
            tr(lang, "review.remaining")
        ));
    }
    let mut goto = None;
    egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
        for (i, q) in app.review.queue.iter().enumerate() {
            let mark = match q.status {
                ReviewStatus::Approved => "[OK]",
                ReviewStatus::Flagged => "[!]",
                ReviewStatus::Pending => "[ ]",
            };
            let name =
                std::path::Path::new(&q.path).file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let label = format!("{mark} [{}] {name} ({})", q.risk, q.boxes.len());
            if ui.selectable_label(i == app.review.index, label).clicked() {
                goto = Some(i);
            }
        }
    });
    if let Some(i) = goto {
        show(app, i);
    }
}

/// The review toolbar: decisions and box tools (also bound to keys).
pub fn toolbar(ui: &mut egui::Ui, app: &mut SumiApp) {
    let lang = app.lang;
    ui.horizontal(|ui| {
        let r = &mut app.review;
        let mut act = None;
        if ui.button(tr(lang, "review.approve")).on_hover_text("Enter").clicked() {
            act = Some("approve");
        }
        if ui.button(tr(lang, "review.previous")).on_hover_text("←").clicked() {
            act = Some("prev");
        }
        if ui.button(tr(lang, "review.next")).on_hover_text("Space / →").clicked() {
            act = Some("next");
        }
        if ui.button(tr(lang, "review.flag")).on_hover_text("F").clicked() {
            act = Some("flag");
        }
        ui.add(egui::TextEdit::singleline(&mut r.comment).desired_width(180.0).hint_text(tr(lang, "review.comment")));
        ui.separator();
        ui.checkbox(&mut r.preview_clean, tr(lang, "review.preview_clean"));
        ui.checkbox(&mut r.hide_boxes, tr(lang, "review.hide_boxes"));
        if ui.button(tr(lang, "review.delete_box")).on_hover_text("Delete").clicked() {
            act = Some("delete");
        }
        if ui.button(tr(lang, "review.all_frames")).clicked() {
            act = Some("all_frames");
        }
        if ui.button(tr(lang, "review.save_template")).clicked() {
            act = Some("template");
        }
        ui.weak("?").on_hover_text(tr(lang, "review.keys"));
        let _ = r;
        if let Some(a) = act {
            apply(app, a);
        }
    });
}

fn apply(app: &mut SumiApp, action: &str) {
    match action {
        "approve" => decide(app, ReviewStatus::Approved),
        "flag" => decide(app, ReviewStatus::Flagged),
        "next" => show(app, (app.review.index + 1).min(app.review.queue.len().saturating_sub(1))),
        "prev" => show(app, app.review.index.saturating_sub(1)),
        "delete" => {
            if let Some(i) = app.review.selected.take() {
                app.review.boxes.remove(i);
            }
        }
        "all_frames" => {
            let last = app.viewer.loaded.as_ref().map_or(0, |l| l.plan.geometry.dims[2].saturating_sub(1) as u32);
            let r = &mut app.review;
            let targets: Vec<usize> = r.selected.map_or_else(|| (0..r.boxes.len()).collect(), |i| vec![i]);
            for i in targets {
                r.boxes[i].first_frame = 0;
                r.boxes[i].last_frame = last;
            }
        }
        "template" => save_template(app),
        _ => {}
    }
}

/// Keys: Enter approve, Space/→ next, ← previous, F flag, Delete, Esc deselect; with a box
/// selected the arrows nudge it (Shift: 10 px).
pub fn keys(ctx: &egui::Context, app: &mut SumiApp) {
    if ctx.memory(|m| m.focused().is_some()) {
        return; // typing in a text field
    }
    let (enter, space, left, right, up, down, f, del, esc, shift) = ctx.input(|i| {
        (
            i.key_pressed(Key::Enter),
            i.key_pressed(Key::Space),
            i.key_pressed(Key::ArrowLeft),
            i.key_pressed(Key::ArrowRight),
            i.key_pressed(Key::ArrowUp),
            i.key_pressed(Key::ArrowDown),
            i.key_pressed(Key::F),
            i.key_pressed(Key::Delete) || i.key_pressed(Key::Backspace),
            i.key_pressed(Key::Escape),
            i.modifiers.shift,
        )
    });
    if let Some(sel) = app.review.selected {
        let step = if shift { 10 } else { 1 };
        let b = &mut app.review.boxes[sel];
        if left {
            b.x = b.x.saturating_sub(step)
        }
        if right {
            b.x += step
        }
        if up {
            b.y = b.y.saturating_sub(step)
        }
        if down {
            b.y += step
        }
        if esc {
            app.review.selected = None
        }
        if del {
            apply(app, "delete")
        }
    } else if left {
        apply(app, "prev");
    } else if right || space {
        apply(app, "next");
    }
    if enter {
        apply(app, "approve");
    } else if f {
        apply(app, "flag");
    }
}

/// Image pixel coordinates ↔ screen for the review viewport (the acquired plane).
struct ViewMap {
    g: crate::volume::Geometry,
    view: crate::volume::SliceView,
    focus: nalgebra::Point3<f64>,
    rect: Rect,
    k: usize,
}

impl ViewMap {
    fn new(app: &SumiApp, rect: Rect) -> Option<ViewMap> {
        let l = app.viewer.loaded.as_ref()?;
        Some(ViewMap {
            g: l.plan.geometry.clone(),
            view: app.viewer.views[0].clone(),
            focus: app.viewer.focus,
            rect,
            k: app.viewer.current_k().unwrap_or(0),
        })
    }

    fn size(&self) -> [f64; 2] {
        [f64::from(self.rect.width()), f64::from(self.rect.height())]
    }

    /// Screen position of the image point (x, y) (pixel corners at integers).
    fn to_screen(&self, x: f64, y: f64) -> Pos2 {
        let p = self.g.index_to_patient(Vector3::new(x - 0.5, y - 0.5, self.k as f64));
        let uv = self.view.uv_of(&self.g, self.focus, self.size(), p);
        Pos2::new(
            self.rect.min.x + uv[0] as f32 * self.rect.width(),
            self.rect.min.y + uv[1] as f32 * self.rect.height(),
        )
    }

    fn to_image(&self, p: Pos2) -> (f64, f64) {
        let uv = [
            f64::from((p.x - self.rect.min.x) / self.rect.width()),
            f64::from((p.y - self.rect.min.y) / self.rect.height()),
        ];
        let idx =
            self.g.patient_to_index(self.view.patient_at(&self.g, self.focus, self.size(), uv)).unwrap_or_default();
        (idx.x + 0.5, idx.y + 0.5)
    }

    fn screen_of(&self, b: &ReviewBox) -> Rect {
        Rect::from_two_pos(
            self.to_screen(f64::from(b.x), f64::from(b.y)),
            self.to_screen(f64::from(b.x + b.w), f64::from(b.y + b.h)),
        )
    }
}

/// Draws the boxes over the review viewport and handles the box tools with the primary button.
pub fn overlay(ui: &mut egui::Ui, app: &mut SumiApp, viewports: &[(usize, Rect, egui::Response)]) {
    let Some((_, rect, response)) = viewports.first() else { return };
    let Some(map) = ViewMap::new(app, *rect) else { return };
    let frame = map.k as u32;
    let to_screen = |x, y| map.to_screen(x, y);
    let to_image = |p| map.to_image(p);
    let screen_of = |b: &ReviewBox| map.screen_of(b);
    let painter = ui.painter_at(*rect);
    let r = &mut app.review;
    // Gestures: press on a handle resizes, on a box moves, elsewhere draws a new box.
    if response.drag_started_by(PointerButton::Primary)
        && let Some(p) = response.interact_pointer_pos()
    {
        let (ix, iy) = to_image(p);
        let hit = r
            .boxes
            .iter()
            .rposition(|b| b.first_frame <= frame && frame <= b.last_frame && screen_of(b).expand(4.0).contains(p));
        r.drag = match hit {
            Some(i) if screen_of(&r.boxes[i]).max.distance(p) < 10.0 => Some(Drag::Resize { index: i }),
            Some(i) => Some(Drag::Move { index: i, grab: (ix, iy), orig: r.boxes[i].clone() }),
            None => Some(Drag::Create { start: (ix, iy) }),
        };
        r.selected = hit;
    }
    if response.clicked_by(PointerButton::Primary)
        && let Some(p) = response.interact_pointer_pos()
    {
        r.selected =
            r.boxes.iter().rposition(|b| b.first_frame <= frame && frame <= b.last_frame && screen_of(b).contains(p));
    }
    if let (Some(drag), Some(p)) = (r.drag.clone(), response.interact_pointer_pos()) {
        let (ix, iy) = to_image(p);
        match drag {
            Drag::Move { index, grab, orig } => {
                r.boxes[index].x = (f64::from(orig.x) + ix - grab.0).max(0.0).round() as u32;
                r.boxes[index].y = (f64::from(orig.y) + iy - grab.1).max(0.0).round() as u32;
            }
            Drag::Resize { index } => {
                let b = &mut r.boxes[index];
                b.w = (ix - f64::from(b.x)).max(2.0).round() as u32;
                b.h = (iy - f64::from(b.y)).max(2.0).round() as u32;
            }
            Drag::Create { start } => {
                if response.drag_stopped() && (ix - start.0).abs() >= 2.0 && (iy - start.1).abs() >= 2.0 {
                    r.boxes.push(ReviewBox {
                        x: start.0.min(ix).max(0.0).round() as u32,
                        y: start.1.min(iy).max(0.0).round() as u32,
                        w: (ix - start.0).abs().round() as u32,
                        h: (iy - start.1).abs().round() as u32,
                        first_frame: frame,
                        last_frame: frame,
                        score: 1.0,
                        reason: "reviewer".into(),
                        ..Default::default()
                    });
                    r.selected = Some(r.boxes.len() - 1);
                } else if !response.drag_stopped() {
                    painter.rect_stroke(
                        Rect::from_two_pos(to_screen(start.0, start.1), p),
                        0.0,
                        Stroke::new(1.5, Color32::YELLOW),
                        egui::StrokeKind::Middle,
                    );
                }
            }
        }
        if response.drag_stopped() {
            r.drag = None;
        }
    }
    for (i, b) in r.boxes.iter().enumerate() {
        if b.first_frame > frame || frame > b.last_frame {
            continue;
        }
        let s = screen_of(b);
        if r.preview_clean {
            painter.rect_filled(s, 0.0, Color32::BLACK);
        } else if !r.hide_boxes {
            let colour = if b.is_phi() { Color32::from_rgb(255, 80, 80) } else { Color32::from_rgb(255, 200, 40) };
            let width = if r.selected == Some(i) { 2.5 } else { 1.5 };
            painter.rect_stroke(s, 0.0, Stroke::new(width, colour), egui::StrokeKind::Outside);
            painter.rect_filled(Rect::from_center_size(s.max, egui::vec2(7.0, 7.0)), 1.0, colour);
        }
    }
}
