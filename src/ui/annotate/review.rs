//! The review section of the annotation panel: which layer of the series is shown (switch, create
//! my own, create a consensus layer as a copy of the shown one), its sign-off status with the
//! history of decisions, Submit for the annotator and Approve / Request changes for a reviewer
//! (physician's name, qualification and licence country, remembered as project settings).
//! Every change goes through the project's core functions, which audit it and enforce the rules.

use std::path::PathBuf;

use eframe::egui;

use crate::annotate::{LabelMap, Recorder};
use crate::project::annotation_review::{LayerDecision, LayerReview, Physician};
use crate::project::annotations::LayerInfo;
use crate::project::{Project, ProjectError, default_actor};

use super::super::app::SumiApp;
use super::super::i18n::tr;

/// Name of consensus layers.
pub const CONSENSUS: &str = "consensus";

/// Project settings holding the reviewer's defaults.
const SETTING_NAME: &str = "review.name";
const SETTING_QUALIFICATION: &str = "review.qualification";
const SETTING_COUNTRY: &str = "review.licence_country";

#[derive(Default)]
pub struct ReviewState {
    /// A layer chosen to be shown; the next frame loads it.
    pub switch_to: Option<i64>,
    /// The series' layers and the shown layer's decisions, as last read.
    pub layers: Vec<LayerInfo>,
    pub reviews: Vec<LayerReview>,
    /// (series, layer, status) the lists were read for.
    seen: Option<(String, Option<i64>, String)>,
    pub physician: Physician,
    pub comment: String,
    /// The project the physician defaults were read from.
    defaults_from: Option<PathBuf>,
}

/// Re-reads the layer list and decisions when the shown layer or its status changed.
fn refresh(app: &mut SumiApp) {
    let project = app.project.clone();
    let a = &mut app.annotate;
    let Some(layer) = &a.layer else { return };
    let key = (layer.series_uid.clone(), layer.id, layer.status.clone());
    if a.review.seen.as_ref() == Some(&key) && a.review.defaults_from == project {
        return;
    }
    let (uid, id) = (layer.series_uid.clone(), layer.id);
    let want_defaults = a.review.defaults_from != project;
    let Some(Ok(db)) = a.db(project.as_deref()) else { return };
    let layers = db.label_layers(&uid);
    let reviews = id.map_or(Ok(Vec::new()), |id| db.label_layer_reviews(id));
    let mut defaults = None;
    if want_defaults {
        let get = |k| db.setting(k).ok().flatten().unwrap_or_default();
        defaults = Some(Physician {
            name: Some(get(SETTING_NAME)).filter(|n| !n.is_empty()).unwrap_or_else(default_actor),
            qualification: get(SETTING_QUALIFICATION),
            licence_country: Some(get(SETTING_COUNTRY)).filter(|c| !c.is_empty()).unwrap_or_else(|| "JP".into()),
        });
    }
    let r = &mut a.review;
    r.seen = Some(key);
    if let Some(p) = defaults {
        r.physician = p;
        r.defaults_from = project;
    }
    match (layers, reviews) {
        (Ok(l), Ok(v)) => (r.layers, r.reviews) = (l, v),
        (Err(e), _) | (_, Err(e)) => app.problems.push(e.to_string()),
    }
}

/// Runs a change on the project; a refusal becomes the panel's message. True when it went through.
fn act(app: &mut SumiApp, f: impl FnOnce(&mut Project, &mut super::Annotate) -> Result<(), ProjectError>) -> bool {
    let project = app.project.clone();
    let a = &mut app.annotate;
    let mut db = match a.db(project.as_deref()) {
        Some(Ok(_)) => a.db.take().expect("opened"),
        Some(Err(e)) => {
            a.message = Some(e.to_string());
            return false;
        }
        None => return false,
    };
    let r = f(&mut db, a);
    a.db = Some(db);
    a.review.seen = None;
    match r {
        Ok(()) => {
            a.message = None;
            true
        }
        Err(e) => {
            a.message = Some(e.to_string());
            false
        }
    }
}

/// After a decision: the shown layer takes its stored status.
fn reload_status(db: &mut Project, a: &mut super::Annotate) -> Result<(), ProjectError> {
    if let Some(l) = a.layer.as_mut()
        && let Some(id) = l.id
    {
        l.status = db.label_layer_status(id)?;
    }
    Ok(())
}

/// A new consensus layer holding a copy of `src` (one stored edit, so it can be undone).
fn copy_to_consensus(db: &mut Project, uid: &str, src: &LabelMap, from: i64) -> Result<i64, ProjectError> {
    let me = default_actor();
    let id = db.create_label_layer(uid, CONSENSUS, &me, src.dims())?;
    let mut map = LabelMap::new(src.dims());
    let mut rec = Recorder::default();
    let [w, h, _] = src.dims();
    for z in src.labelled_slices().collect::<Vec<_>>() {
        rec.touch(&map, z, [0, 0, w, h]);
        map.slice_mut(z).copy_from_slice(src.slice(z).expect("labelled"));
    }
    let delta = rec.finish(&map);
    if !delta.is_empty() {
        db.commit_label_edit(id, &map, &delta, &format!("copy-from-layer-{from}"), &me)?;
    }
    Ok(id)
}

fn layer_text(l: &LayerInfo) -> String {
    format!("#{} {} ({}) — {}", l.id, l.name, l.annotator, l.status)
}

pub(super) fn section(ui: &mut egui::Ui, app: &mut SumiApp) {
    let lang = app.lang;
    refresh(app);
    let me = default_actor();
    let Some(layer) = &app.annotate.layer else { return };
    let (uid, id, status, dims) = (layer.series_uid.clone(), layer.id, layer.status.clone(), layer.map.dims());
    let current = match id {
        Some(id) => app.annotate.review.layers.iter().find(|l| l.id == id).map(layer_text),
        None => None,
    }
    .unwrap_or_else(|| format!("{me} ({})", tr(lang, "annot.layer_new")));
    ui.horizontal(|ui| {
        ui.label(format!("{}:", tr(lang, "annot.layer")));
        egui::ComboBox::from_id_salt("annot-layer").selected_text(current).width(230.0).show_ui(ui, |ui| {
            for l in &app.annotate.review.layers {
                if ui.selectable_label(Some(l.id) == id, layer_text(l)).clicked() {
                    app.annotate.review.switch_to = Some(l.id);
                }
            }
        });
    });
    let has_mine = app.annotate.review.layers.iter().any(|l| l.annotator == me && l.name == me);
    ui.horizontal(|ui| {
        if ui
            .add_enabled(!has_mine && app.project.is_some(), egui::Button::new(tr(lang, "review.create_mine")))
            .clicked()
        {
            act(app, |db, a| {
                a.review.switch_to = Some(db.create_label_layer(&uid, &me, &me, dims)?);
                Ok(())
            });
        }
        if ui
            .add_enabled(id.is_some(), egui::Button::new(tr(lang, "review.create_consensus")))
            .on_hover_text(tr(lang, "review.create_consensus_tip"))
            .clicked()
        {
            act(app, |db, a| {
                let src = &a.layer.as_ref().expect("shown").map;
                a.review.switch_to = Some(copy_to_consensus(db, &uid, src, id.expect("stored"))?);
                Ok(())
            });
        }
    });
    let colour = match status.as_str() {
        "approved" => egui::Color32::from_rgb(60, 170, 60),
        "submitted" => egui::Color32::from_rgb(70, 130, 230),
        "changes-requested" => ui.visuals().warn_fg_color,
        _ => ui.visuals().text_color(),
    };
    ui.horizontal(|ui| {
        ui.label(format!("{}:", tr(lang, "review.status")));
        ui.colored_label(colour, status_text(lang, &status));
    });
    if let Some(last) = app.annotate.review.reviews.last() {
        ui.weak(format!("{} {} · {}", tr(lang, "review.by"), who(last), last.at));
    }
    let reviews = app.annotate.review.reviews.clone();
    if !reviews.is_empty() {
        egui::CollapsingHeader::new(format!("{} ({})", tr(lang, "review.history"), reviews.len()))
            .id_salt("annot-review-history")
            .default_open(true)
            .show(ui, |ui| {
                for r in reviews.iter().rev() {
                    ui.label(format!("{} · {} · {}", r.at, status_text(lang, &r.status), who(r)));
                    if let Some(c) = &r.comment {
                        ui.weak(format!("    “{c}”"));
                    }
                }
            });
    }
    if let Some(m) = &app.annotate.message {
        ui.colored_label(ui.visuals().warn_fg_color, m);
    }
    let Some(id) = id else { return };
    ui.horizontal(|ui| {
        ui.label(tr(lang, "layer_review.comment"));
        let edit = ui.add(egui::TextEdit::singleline(&mut app.annotate.review.comment).desired_width(200.0));
        edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, tr(lang, "layer_review.comment")));
    });
    let comment = Some(app.annotate.review.comment.trim().to_string()).filter(|c| !c.is_empty());
    let editable = matches!(status.as_str(), "draft" | "changes-requested");
    if ui
        .add_enabled(editable, egui::Button::new(tr(lang, "review.submit")))
        .on_hover_text(tr(lang, "review.submit_tip"))
        .clicked()
        && act(app, |db, a| {
            db.submit_label_layer(id, &me, comment.as_deref())?;
            reload_status(db, a)
        })
    {
        app.annotate.review.comment.clear();
    }
    if editable {
        return;
    }
    ui.label(tr(lang, "review.reviewer"));
    let p = &mut app.annotate.review.physician;
    egui::Grid::new("annot-reviewer").num_columns(2).show(ui, |ui| {
        for (key, value) in [
            ("review.name", &mut p.name),
            ("review.qualification", &mut p.qualification),
            ("review.country", &mut p.licence_country),
        ] {
            ui.label(tr(lang, key));
            let edit = ui.add(egui::TextEdit::singleline(value).desired_width(180.0));
            edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, tr(lang, key)));
            ui.end_row();
        }
    });
    let physician = app.annotate.review.physician.clone();
    let mut decision = None;
    ui.horizontal(|ui| {
        if ui.add_enabled(status == "submitted", egui::Button::new(tr(lang, "layer_review.approve"))).clicked() {
            decision = Some(LayerDecision::Approve);
        }
        if ui.button(tr(lang, "review.request_changes")).clicked() {
            decision = Some(LayerDecision::RequestChanges);
        }
    });
    if let Some(d) = decision
        && act(app, |db, a| {
            db.review_label_layer(id, d, &physician, comment.as_deref())?;
            let actor = physician.name.clone();
            db.set_setting(SETTING_NAME, &physician.name, &actor)?;
            db.set_setting(SETTING_QUALIFICATION, &physician.qualification, &actor)?;
            db.set_setting(SETTING_COUNTRY, &physician.licence_country, &actor)?;
            reload_status(db, a)
        })
    {
        app.annotate.review.comment.clear();
    }
}

fn who(r: &LayerReview) -> String {
    match (&r.qualification, &r.licence_country) {
        (Some(q), Some(c)) => format!("{} ({q}, {c})", r.actor),
        _ => r.actor.clone(),
    }
}

fn status_text(lang: super::super::i18n::Lang, status: &str) -> &'static str {
    match status {
        "submitted" => tr(lang, "review.submitted"),
        "approved" => tr(lang, "review.approved"),
        "changes-requested" => tr(lang, "review.changes_requested"),
        _ => tr(lang, "review.draft"),
    }
}
