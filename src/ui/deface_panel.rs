//! The defacing review panel: for the series in the viewer, the proposal's evidence, before |
//! after renders from the front and of the midline (CPU, `deid::deface::render`), margin and
//! depth sliders that re-run the proposal on a worker thread, and Approve / Reject with a
//! comment, written to the project with its audit event (`Project::decide_deface`).

use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};

use eframe::egui;

use crate::deid::deface::{DefaceParams, Proposal, head_hints, propose, render_front, render_side};
use crate::project::deface_review::{DefaceReview, DefaceStatus};
use crate::project::{Project, default_actor};
use crate::volume::Volume;

use super::app::SumiApp;
use super::i18n::{Lang, tr};

/// A finished proposal with its renders.
struct Computed {
    proposal: Proposal,
    front: egui::ColorImage,
    side: egui::ColorImage,
}

#[derive(Default)]
pub struct DefacePanel {
    pub open: bool,
    /// The series the panel shows (the viewer's).
    pub series_uid: Option<String>,
    pub params: DefaceParams,
    /// The latest finished proposal for `series_uid` with `params`.
    pub proposal: Option<Proposal>,
    /// The stored review, when the project has one.
    pub stored: Option<DefaceReview>,
    pub comment: String,
    pub message: Option<String>,
    front: Option<egui::TextureHandle>,
    side: Option<egui::TextureHandle>,
    job: Option<Receiver<Result<Computed, String>>>,
    /// Bumped when a new proposal arrives (the MPR tint and the 3D mask follow it).
    pub revision: u64,
    /// The cut being dragged in a sagittal viewport.
    pub drag: Option<super::deface_overlay::CutDrag>,
    pub(super) tints: [super::deface_overlay::Cached; 4],
}

impl DefacePanel {
    pub fn busy(&self) -> bool {
        self.job.is_some()
    }
}

fn colour_image(img: &image::RgbImage) -> egui::ColorImage {
    egui::ColorImage::from_rgb([img.width() as usize, img.height() as usize], img.as_raw())
}

/// Runs the proposal and its renders on a worker thread (a newer run replaces an older one).
fn start(app: &mut SumiApp, volume: Arc<Volume>, hints: crate::deid::deface::HeadHints) {
    let params = app.deface.params.clone();
    let (tx, rx) = sync_channel(1);
    let ctx = app.viewer.ctx.clone();
    std::thread::spawn(move || {
        let r = propose(&volume, &hints, &params).and_then(|p| {
            let front = colour_image(&render_front(&volume, &p)?);
            let side = colour_image(&render_side(&volume, &p)?);
            Ok(Computed { proposal: p, front, side })
        });
        match &r {
            Ok(c) => tracing::info!(head = ?c.proposal.is_head, "job defacing proposal: finished"),
            Err(e) => tracing::error!("job defacing proposal: {e}"),
        }
        let _ = tx.send(r.map_err(|e| e.to_string()));
        ctx.request_repaint();
    });
    app.deface.job = Some(rx);
}

/// Re-runs the proposal for the viewer's series with the panel's parameters.
pub(super) fn recompute(app: &mut SumiApp) {
    let Some(l) = app.viewer.loaded.as_ref() else { return };
    let (Some(volume), Some(first)) = (l.volume.clone(), l.metas.first()) else { return };
    let hints = head_hints(first);
    start(app, volume, hints);
}

fn load_stored(app: &mut SumiApp, uid: &str) {
    app.deface.stored = None;
    let Some(file) = app.project.clone() else { return };
    match Project::open(&file).and_then(|p| p.deface_review(uid)) {
        Ok(r) => app.deface.stored = r,
        Err(e) => app.problems.push(e.to_string()),
    }
}

/// Follows the viewer: a newly loaded series gets its stored review and a fresh proposal
/// (with the stored parameters, if any).
fn follow_viewer(app: &mut SumiApp) {
    let Some(l) = app.viewer.loaded.as_ref() else { return };
    if l.volume.is_none() || app.deface.series_uid.as_deref() == Some(l.series_uid.as_str()) {
        return;
    }
    let uid = l.series_uid.clone();
    app.deface.series_uid = Some(uid.clone());
    app.deface.proposal = None;
    app.deface.front = None;
    app.deface.side = None;
    app.deface.message = None;
    app.deface.comment.clear();
    load_stored(app, &uid);
    app.deface.params = app.deface.stored.as_ref().map(|r| r.params.clone()).unwrap_or_default();
    recompute(app);
}

fn poll(app: &mut SumiApp, ctx: &egui::Context) {
    let Some(rx) = &app.deface.job else { return };
    let Ok(r) = rx.try_recv() else { return };
    app.deface.job = None;
    match r {
        Ok(c) => {
            app.deface.front = Some(ctx.load_texture("deface-front", c.front, egui::TextureOptions::LINEAR));
            app.deface.side = Some(ctx.load_texture("deface-side", c.side, egui::TextureOptions::LINEAR));
            app.deface.proposal = Some(c.proposal);
            app.deface.revision += 1;
        }
        Err(e) => app.deface.message = Some(e),
    }
}

/// Writes the decision: the shown proposal is stored first when the project has none for the
/// series, and passed as changed when its parameters differ from the stored ones.
pub fn decide(app: &mut SumiApp, approve: bool) {
    let lang = app.lang;
    let (Some(file), Some(uid), Some(p)) =
        (app.project.clone(), app.deface.series_uid.clone(), app.deface.proposal.clone())
    else {
        app.deface.message = Some(tr(lang, "deface.need_project").into());
        return;
    };
    let comment = (!app.deface.comment.trim().is_empty()).then(|| app.deface.comment.trim().to_string());
    let saved = Project::open(&file).and_then(|mut project| {
        let changed = match project.deface_review(&uid)? {
            None => {
                project.propose_deface(&uid, &p)?;
                false
            }
            Some(r) => r.params != p.params || r.proposal.removed_voxels != p.removed_voxels,
        };
        project.decide_deface(&uid, approve, &default_actor(), comment.as_deref(), changed.then_some(&p))
    });
    match saved {
        Ok(()) => {
            app.deface.message = Some(tr(lang, "deface.saved").into());
            load_stored(app, &uid);
        }
        Err(e) => app.problems.push(e.to_string()),
    }
}

fn status_text(lang: Lang, s: Option<DefaceStatus>) -> &'static str {
    tr(
        lang,
        match s {
            None => "deface.status_none",
            Some(DefaceStatus::Pending) => "deface.status_pending",
            Some(DefaceStatus::Approved) => "deface.status_approved",
            Some(DefaceStatus::Rejected) => "deface.status_rejected",
            Some(DefaceStatus::NotHead) => "deface.status_not_head",
        },
    )
}

fn picture(ui: &mut egui::Ui, tex: &Option<egui::TextureHandle>, caption: &str) {
    ui.label(egui::RichText::new(caption).strong());
    if let Some(t) = tex {
        let size = t.size_vec2();
        let scale = (ui.available_width() / size.x).min(1.6);
        ui.image((t.id(), size * scale));
    }
}

/// The right-hand panel.
pub fn panel(ui: &mut egui::Ui, app: &mut SumiApp) {
    let ctx = ui.ctx().clone();
    follow_viewer(app);
    poll(app, &ctx);
    let lang = app.lang;
    ui.heading(tr(lang, "deface.title"));
    let Some(uid) = app.deface.series_uid.clone() else {
        ui.label(tr(lang, "deface.no_series"));
        return;
    };
    ui.label(egui::RichText::new(&uid).small().weak());
    if app.project.is_none() {
        ui.colored_label(egui::Color32::YELLOW, tr(lang, "deface.need_project"));
    }
    let stored = app.deface.stored.as_ref();
    let mut status = format!("{}: {}", tr(lang, "deface.status"), status_text(lang, stored.map(|r| r.status)));
    if let Some(r) = stored.filter(|r| r.reviewer.is_some()) {
        status.push_str(&format!(" — {}", r.reviewer.as_deref().unwrap_or("")));
    }
    ui.label(status);
    // A slider re-runs the proposal when it is let go (or changed by a click or the keyboard).
    let settled = |r: egui::Response| r.drag_stopped() || (r.changed() && !r.dragged());
    let mut changed = false;
    let p = &mut app.deface.params;
    changed |=
        settled(ui.add(egui::Slider::new(&mut p.margin_mm, 5.0..=30.0).step_by(1.0).text(tr(lang, "deface.margin"))));
    let (lo, hi) = super::deface_overlay::DEPTH_RANGE;
    changed |= settled(ui.add(egui::Slider::new(&mut p.depth_mm, lo..=hi).step_by(1.0).text(tr(lang, "deface.depth"))));
    ui.label(egui::RichText::new(tr(lang, "deface.drag_hint")).small().weak());
    ui.horizontal(|ui| {
        if ui.button(tr(lang, "deface.rerun")).clicked() {
            changed = true;
        }
        if app.deface.busy() {
            ui.spinner();
            ui.label(tr(lang, "deface.computing"));
        }
    });
    if changed {
        recompute(app);
    }
    if let Some(p) = &app.deface.proposal {
        let verdict = if !p.is_head {
            tr(lang, "deface.not_head")
        } else if p.removed_voxels == 0 {
            tr(lang, "deface.no_face")
        } else {
            tr(lang, "deface.face_found")
        };
        ui.label(egui::RichText::new(verdict).strong());
        ui.label(format!("{}: {}", tr(lang, "deface.removed"), p.removed_voxels));
        egui::CollapsingHeader::new(tr(lang, "deface.reasons")).default_open(true).show(ui, |ui| {
            for r in &p.reasons {
                ui.label(egui::RichText::new(format!("• {r}")).small());
            }
        });
    }
    ui.horizontal(|ui| {
        let ready = app.deface.proposal.is_some() && !app.deface.busy() && app.project.is_some();
        if ui.add_enabled(ready, egui::Button::new(tr(lang, "deface.approve"))).clicked() {
            decide(app, true);
        }
        if ui.add_enabled(ready, egui::Button::new(tr(lang, "deface.reject"))).clicked() {
            decide(app, false);
        }
        ui.add(
            egui::TextEdit::singleline(&mut app.deface.comment)
                .desired_width(ui.available_width())
                .hint_text(tr(lang, "deface.comment")),
        )
        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, tr(lang, "deface.comment")));
    });
    if let Some(m) = &app.deface.message {
        ui.label(egui::RichText::new(m).small());
    }
    egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
        picture(ui, &app.deface.front, tr(lang, "deface.front"));
        picture(ui, &app.deface.side, tr(lang, "deface.side"));
    });
}
