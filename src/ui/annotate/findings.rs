//! The panel's Findings section: free-text diagnoses, pathology results and other findings of the
//! open study, for the whole study or this series, with an optional code (e.g. SNOMED CT). Each
//! one is recorded and audited by `Project::add_finding`; findings are a record, not a draft, so
//! they are never edited or undone (a correction is a new finding).

use eframe::egui;

use crate::project::annotation_review::Finding;
use crate::project::default_actor;

use super::super::app::SumiApp;
use super::super::i18n::tr;

const KINDS: [&str; 3] = ["diagnosis", "pathology", "finding"];

#[derive(Default)]
pub struct FindingsUi {
    kind: usize,
    whole_study: bool,
    text: String,
    code: [String; 3],
    /// The study's findings as last read, and for which (project, study).
    list: Vec<Finding>,
    read_for: Option<(String, String)>,
}

fn open_ids(app: &SumiApp) -> Option<(String, String)> {
    let loaded = app.viewer.loaded.as_ref()?;
    let study = loaded.metas.first()?.study_uid.clone();
    Some((study, loaded.series_uid.clone()))
}

/// Re-reads the study's findings when the project or the study changed.
fn refresh(app: &mut SumiApp, study: &str) {
    let project = app.project.clone();
    let key = (project.as_deref().map(|p| p.display().to_string()).unwrap_or_default(), study.to_string());
    if app.annotate.findings.read_for.as_ref() == Some(&key) {
        return;
    }
    let read = match app.annotate.db(project.as_deref()) {
        Some(Ok(db)) => db.findings(Some(study)).map_err(|e| e.to_string()),
        Some(Err(e)) => Err(e.to_string()),
        None => Ok(Vec::new()),
    };
    match read {
        Ok(list) => app.annotate.findings.list = list,
        Err(e) => app.problems.push(e),
    }
    app.annotate.findings.read_for = Some(key);
}

fn kind_name(lang: super::super::i18n::Lang, kind: &str) -> &'static str {
    match kind {
        "diagnosis" => tr(lang, "find.diagnosis"),
        "pathology" => tr(lang, "find.pathology"),
        _ => tr(lang, "find.finding"),
    }
}

pub(super) fn section(ui: &mut egui::Ui, app: &mut SumiApp) {
    let lang = app.lang;
    ui.label(tr(lang, "find.title"));
    let Some((study, series)) = open_ids(app) else { return };
    if app.project.is_none() {
        ui.weak(tr(lang, "annot.need_project"));
        return;
    }
    refresh(app, &study);
    let f = &app.annotate.findings;
    if f.list.is_empty() {
        ui.weak(tr(lang, "find.none"));
    }
    for item in &f.list {
        let scope = if item.series_uid.as_deref() == Some(series.as_str()) {
            tr(lang, "find.this_series")
        } else if item.series_uid.is_some() {
            tr(lang, "find.other_series")
        } else {
            tr(lang, "find.study")
        };
        let code = item.code.as_ref().map(|(v, s, m)| format!(" [{s} {v} {m}]")).unwrap_or_default();
        ui.label(format!("{} ({scope}, {}): {}{code}", kind_name(lang, &item.kind), item.author, item.text));
    }
    let f = &mut app.annotate.findings;
    ui.horizontal(|ui| {
        egui::ComboBox::from_id_salt("finding-kind").selected_text(kind_name(lang, KINDS[f.kind])).show_ui(ui, |ui| {
            for (i, k) in KINDS.iter().enumerate() {
                ui.selectable_value(&mut f.kind, i, kind_name(lang, k));
            }
        });
        ui.checkbox(&mut f.whole_study, tr(lang, "find.whole_study"));
    });
    ui.label(tr(lang, "find.text"));
    let edit = ui.add(egui::TextEdit::multiline(&mut f.text).desired_rows(2).desired_width(f32::INFINITY));
    edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, tr(lang, "find.text")));
    ui.collapsing(tr(lang, "find.code"), |ui| {
        for (i, key) in ["find.code_value", "find.code_scheme", "find.code_meaning"].into_iter().enumerate() {
            ui.horizontal(|ui| {
                ui.label(tr(lang, key));
                let edit = ui.add(egui::TextEdit::singleline(&mut f.code[i]).desired_width(160.0));
                edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, tr(lang, key)));
            });
        }
    });
    let ready = !f.text.trim().is_empty();
    if ui.add_enabled(ready, egui::Button::new(tr(lang, "find.add"))).clicked() {
        let code = match f.code.iter().map(|c| c.trim()).collect::<Vec<_>>()[..] {
            [v, s, m] if !v.is_empty() && !s.is_empty() => Some((v.to_string(), s.to_string(), m.to_string())),
            _ => None,
        };
        let finding = Finding {
            study_uid: study.clone(),
            series_uid: (!f.whole_study).then(|| series.clone()),
            kind: KINDS[f.kind].to_string(),
            text: f.text.trim().to_string(),
            code,
            author: default_actor(),
        };
        let project = app.project.clone();
        let added = match app.annotate.db(project.as_deref()) {
            Some(Ok(db)) => db.add_finding(&finding).map_err(|e| e.to_string()),
            Some(Err(e)) => Err(e.to_string()),
            None => Err(tr(lang, "annot.need_project").to_string()),
        };
        match added {
            Ok(_) => {
                let f = &mut app.annotate.findings;
                f.text.clear();
                f.code = Default::default();
                f.list.push(finding);
            }
            Err(e) => app.annotate.message = Some(e),
        }
    }
}

impl FindingsUi {
    /// The text being typed (tests).
    pub fn text_for_test(&self) -> &str {
        &self.text
    }
}
