//! The panel's Measurements list: every markup of the series with its measurement; selecting one
//! moves the crosshair to it and shows its note, label and (for a box) depth through the slices.

use eframe::egui;
use nalgebra::Vector3;

use crate::annotate::markup::{Markup, MarkupKind};

use super::super::app::SumiApp;
use super::super::i18n::tr;
use super::markups::{caption, delete, unit, update};

/// The panel's Measurements section.
pub(super) fn section(ui: &mut egui::Ui, app: &mut SumiApp) {
    let lang = app.lang;
    let unit = unit(app);
    ui.label(tr(lang, "annot.measurements"));
    if app.annotate.markups.list.is_empty() {
        ui.weak(tr(lang, "annot.no_markups"));
    }
    let mut delete_id = None;
    let mut changed = None;
    for (m, r) in app.annotate.markups.list.clone() {
        let kind = match m.kind {
            MarkupKind::Box { .. } => tr(lang, "annot.box"),
            MarkupKind::Point { .. } => tr(lang, "annot.point"),
            MarkupKind::Line { .. } => tr(lang, "annot.line"),
            MarkupKind::Angle { .. } => tr(lang, "annot.angle"),
        };
        let selected = app.annotate.markups.selected == Some(m.id);
        ui.horizontal(|ui| {
            let text = format!("{kind} {}", caption(&m.kind, &r, lang, unit));
            if ui.selectable_label(selected, text).clicked() {
                app.annotate.markups.selected = Some(m.id);
                // Show it: the crosshair moves to its first point.
                if let Some(g) = app.viewer.loaded.as_ref().map(|l| &l.plan.geometry) {
                    app.viewer.focus = g.index_to_patient(Vector3::from(m.kind.points()[0]));
                }
            }
            if ui.small_button(tr(lang, "annot.delete")).on_hover_text(tr(lang, "annot.delete_markup")).clicked() {
                delete_id = Some(m.id);
            }
        });
        if !selected {
            continue;
        }
        ui.horizontal(|ui| {
            ui.label(tr(lang, "annot.note"));
            if let Some(note) = super::panel::draft_field(ui, ("note", m.id), &m.note, 180.0, tr(lang, "annot.note"))
                && note.trim() != m.note
            {
                changed = Some(Markup { note: note.trim().to_string(), ..m.clone() });
            }
        });
        let label_name = |v: Option<u8>| match v.and_then(|v| app.annotate.labels.iter().find(|l| l.value == v)) {
            Some(l) => format!("{} {}", l.value, l.name),
            None => tr(lang, "annot.no_label").to_string(),
        };
        let mut label = m.label;
        ui.horizontal(|ui| {
            ui.label(tr(lang, "annot.label_n"));
            egui::ComboBox::from_id_salt(("markup-label", m.id)).selected_text(label_name(label)).show_ui(ui, |ui| {
                ui.selectable_value(&mut label, None, label_name(None));
                for l in &app.annotate.labels {
                    ui.selectable_value(&mut label, Some(l.value), label_name(Some(l.value)));
                }
            });
        });
        if label != m.label {
            changed = Some(Markup { label, ..m.clone() });
        }
        if let MarkupKind::Box { min, max } = &m.kind {
            // Depth along the slices: 0 is a 2D box on its slice.
            let (lo, hi) = (min[2].min(max[2]), min[2].max(max[2]));
            let centre = ((lo + hi) / 2.0).round();
            let half = if hi - lo < 1e-6 { 0 } else { ((hi - lo - 1.0) / 2.0).round().max(0.0) as i64 };
            ui.horizontal(|ui| {
                ui.label(format!("{} ±{half}", tr(lang, "annot.box_depth")));
                let minus = ui.add_enabled(half > 0, egui::Button::new("-").small()).clicked();
                let plus = ui.small_button("+").clicked();
                if minus || plus {
                    let half = if plus { half + 1 } else { half - 1 };
                    let (mut a, mut b) = (*min, *max);
                    if half == 0 {
                        (a[2], b[2]) = (centre, centre);
                    } else {
                        (a[2], b[2]) = (centre - half as f64 - 0.5, centre + half as f64 + 0.5);
                    }
                    changed = Some(Markup { kind: MarkupKind::Box { min: a, max: b }, ..m.clone() });
                }
            });
        }
    }
    if let Some(m) = changed {
        update(app, m);
    }
    if let Some(id) = delete_id {
        delete(app, id);
    }
}
