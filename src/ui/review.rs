//! The burned-in text review queue: riskiest first, the instance in the viewer with its boxes,
//! box editing (in `review_boxes`; delete and nudge here), a preview of
//! the cleaned result, and keyboard decisions (Enter approve, Space/→ next, ← previous, F flag).
//! Every decision is written to the project with its audit event.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, sync_channel};

use eframe::egui::{self, Key};

use crate::deid::text::ocr_ready;
use crate::deid::text_queue::{ProposalSummary, ProposeOptions, propose_for_project_with};
use crate::dicom::scan::read_header;
use crate::project::text_review::{QueueItem, ReviewBox, ReviewStatus};
use crate::project::{Project, default_actor};

use super::app::SumiApp;
use super::i18n::tr;
use super::jobs::Progress;
use super::review_boxes::Drag;

#[derive(Default)]
pub struct Review {
    pub open: bool,
    pub queue: Vec<QueueItem>,
    pub index: usize,
    /// The current item's boxes as edited.
    pub boxes: Vec<ReviewBox>,
    pub selected: Option<usize>,
    pub(super) drag: Option<Drag>,
    pub hide_boxes: bool,
    pub preview_clean: bool,
    pub comment: String,
    pub message: Option<String>,
    /// After an approval with boxes: the item whose boxes could become a device template.
    pub template_offer: Option<(String, Vec<ReviewBox>)>,
    job: Option<DetectionJob>,
}

/// The text detection running on a worker: its progress (images examined / images) and Cancel.
struct DetectionJob {
    progress: Arc<Progress>,
    rx: Receiver<Result<ProposalSummary, String>>,
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
    let progress = Arc::new(Progress::default());
    // The detector examines the image instances; show their count before the first one is done.
    progress.total.store(metas.iter().filter(|m| m.image.is_some()).count(), Ordering::Relaxed);
    let p = progress.clone();
    std::thread::spawn(move || {
        // OCR when this build has it and tesseract answers; otherwise detection alone.
        let options = ProposeOptions { ocr: ocr_ready().is_ok() };
        tracing::info!(project = %file.display(), instances = metas.len(), "job text detection: started");
        let report = |done, total| {
            p.set(done, total);
            ctx.request_repaint();
        };
        let r = Project::open(&file)
            .and_then(|mut project| propose_for_project_with(&mut project, &metas, options, &report, &p.cancel))
            .map_err(|e| e.to_string());
        match &r {
            Ok(s) if s.cancelled => tracing::info!(project = %file.display(), "job text detection: cancelled"),
            Ok(_) => tracing::info!(project = %file.display(), "job text detection: finished"),
            Err(e) => tracing::error!(project = %file.display(), "job text detection: {e}"),
        }
        let _ = tx.send(r);
        ctx.request_repaint();
    });
    app.review.job = Some(DetectionJob { progress, rx });
}

fn decide(app: &mut SumiApp, status: ReviewStatus) {
    let (Some(file), Some(item)) = (app.project.clone(), app.review.current().cloned()) else { return };
    let comment = (!app.review.comment.trim().is_empty()).then(|| app.review.comment.trim().to_string());
    let saved = Project::open(&file).and_then(|mut p| {
        p.decide_text_review(&item.sop_instance_uid, status, &app.review.boxes, &default_actor(), comment.as_deref())
    });
    match saved {
        Ok(()) => {
            let has_template = status == ReviewStatus::Approved
                && !app.review.boxes.is_empty()
                && template_for(&file, &item.path).is_some_and(|t| t.is_none());
            app.review.template_offer = has_template.then(|| (item.path.clone(), app.review.boxes.clone()));
            let next = (app.review.index + 1).min(app.review.queue.len().saturating_sub(1));
            reload(app, next);
        }
        Err(e) => app.problems.push(e.to_string()),
    }
}

/// The device template already saved for the layout of the image at `path`, if any (`None`
/// when the header cannot be read).
fn template_for(project: &std::path::Path, path: &str) -> Option<Option<Vec<ReviewBox>>> {
    let m = read_header(std::path::Path::new(path)).ok()?;
    let image = m.image.as_ref()?;
    let p = Project::open(project).ok()?;
    let (maker, model) = (m.manufacturer.as_deref().unwrap_or(""), m.model_name.as_deref().unwrap_or(""));
    p.device_template(maker, model, image.rows, image.cols, &m.sop_class_uid).ok()
}

/// Saves `boxes` as the device template for the layout of the image at `path`.
fn save_template(app: &mut SumiApp, path: &str, boxes: &[ReviewBox]) {
    let Some(file) = app.project.clone() else { return };
    let saved = read_header(std::path::Path::new(path)).map_err(|e| e.to_string()).and_then(|m| {
        let image = m.image.as_ref().ok_or("not an image")?;
        Project::open(&file)
            .and_then(|mut p| {
                p.save_device_template(
                    m.manufacturer.as_deref().unwrap_or(""),
                    m.model_name.as_deref().unwrap_or(""),
                    image.rows,
                    image.cols,
                    &m.sop_class_uid,
                    boxes,
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

/// Adds the selected box (or all boxes) to the other images of the series.
fn apply_to_series(app: &mut SumiApp) {
    let (Some(file), Some(item)) = (app.project.clone(), app.review.current().cloned()) else { return };
    let r = &app.review;
    let boxes: Vec<ReviewBox> = r.selected.map_or_else(|| r.boxes.clone(), |i| vec![r.boxes[i].clone()]);
    match Project::open(&file)
        .and_then(|mut p| p.apply_boxes_to_series(&item.sop_instance_uid, &boxes, &default_actor()))
    {
        Ok(n) => {
            let (index, edited, selected) = (app.review.index, app.review.boxes.clone(), app.review.selected);
            reload(app, index);
            // Keep the reviewer's unsaved edits of the shown image.
            (app.review.boxes, app.review.selected) = (edited, selected);
            app.review.message = Some(format!("{}: {n}", tr(app.lang, "review.applied_series")));
        }
        Err(e) => app.problems.push(e.to_string()),
    }
}

fn export_templates(app: &mut SumiApp) {
    let Some(file) = app.project.clone() else { return };
    let Some(out) =
        rfd::FileDialog::new().add_filter("JSON", &["json"]).set_file_name("device-templates.json").save_file()
    else {
        return;
    };
    match Project::open(&file).and_then(|mut p| p.export_device_templates(&out, &default_actor())) {
        Ok(n) => app.review.message = Some(format!("{}: {n}", tr(app.lang, "review.templates_exported"))),
        Err(e) => app.problems.push(e.to_string()),
    }
}

fn import_templates(app: &mut SumiApp) {
    let Some(file) = app.project.clone() else { return };
    let Some(input) = rfd::FileDialog::new().add_filter("JSON", &["json"]).pick_file() else { return };
    match Project::open(&file).and_then(|mut p| p.import_device_templates(&input, &default_actor())) {
        Ok(n) => app.review.message = Some(format!("{}: {n}", tr(app.lang, "review.templates_imported"))),
        Err(e) => app.problems.push(e.to_string()),
    }
}

/// The left panel in review mode: actions, progress and the queue.
pub fn queue_panel(ui: &mut egui::Ui, app: &mut SumiApp) {
    let lang = app.lang;
    if let Some(job) = &app.review.job
        && let Ok(r) = job.rx.try_recv()
    {
        app.review.job = None;
        match r {
            Ok(s) if s.cancelled => {
                app.review.message = Some(format!("{}: {}", tr(lang, "review.detect_cancelled"), s.examined));
            }
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
    });
    if let Some(job) = &app.review.job {
        let (done, total) = (job.progress.done.load(Ordering::Relaxed), job.progress.total.load(Ordering::Relaxed));
        ui.horizontal(|ui| {
            let text = format!("{done} / {total} {}", tr(lang, "review.images_examined"));
            ui.add(egui::ProgressBar::new(job.progress.fraction()).text(text).desired_width(200.0));
            if ui.button(tr(lang, "review.cancel_detect")).clicked() {
                job.progress.cancel.store(true, Ordering::Relaxed);
            }
        });
    }
    if let Some(m) = &app.review.message {
        ui.label(egui::RichText::new(m).small());
    }
    if let Some((path, boxes)) = app.review.template_offer.clone() {
        ui.group(|ui| {
            ui.label(tr(lang, "review.offer_template"));
            ui.horizontal(|ui| {
                if ui.button(tr(lang, "review.save_template")).clicked() {
                    save_template(app, &path, &boxes);
                    app.review.template_offer = None;
                }
                if ui.button(tr(lang, "review.dismiss")).clicked() {
                    app.review.template_offer = None;
                }
            });
        });
    }
    ui.horizontal(|ui| {
        if ui.small_button(tr(lang, "review.templates_export")).clicked() {
            export_templates(app);
        }
        if ui.small_button(tr(lang, "review.templates_import")).clicked() {
            import_templates(app);
        }
    });
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
        ui.add(egui::TextEdit::singleline(&mut r.comment).desired_width(180.0).hint_text(tr(lang, "review.comment")))
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, tr(lang, "review.comment")));
        ui.separator();
        ui.checkbox(&mut r.preview_clean, tr(lang, "review.preview_clean"));
        ui.checkbox(&mut r.hide_boxes, tr(lang, "review.hide_boxes"));
        if ui.button(tr(lang, "review.delete_box")).on_hover_text("Delete").clicked() {
            act = Some("delete");
        }
        if ui.button(tr(lang, "review.all_frames")).clicked() {
            act = Some("all_frames");
        }
        if ui.button(tr(lang, "review.apply_series")).clicked() {
            act = Some("series");
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
        "series" => apply_to_series(app),
        "template" => {
            if let Some(item) = app.review.current().cloned() {
                let boxes = app.review.boxes.clone();
                save_template(app, &item.path, &boxes);
            }
        }
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
