//! The export window: the pre-flight check (what blocks, grouped by kind, with a supervisor's
//! override and its mandatory reason), then the export itself on a worker thread with a
//! progress bar, counts and cancel. Everything goes through `crate::export` and is audited there.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};

use eframe::egui;

use crate::deid::Vault;
use crate::export::{
    BlockerKind, ExportOptions, ExportSummary, Preflight, Selection, default_vault_path, export, preflight,
};
use crate::project::{Project, default_actor};

use super::i18n::{Lang, tr};

struct Running {
    done: Arc<AtomicUsize>,
    total: Arc<AtomicUsize>,
    cancel: Arc<AtomicBool>,
    rx: Receiver<Result<ExportSummary, String>>,
}

/// A study of the project and its series, with the user's choice (all chosen at first).
#[derive(Debug, Clone)]
pub struct StudyChoice {
    pub id: i64,
    pub label: String,
    pub series: Vec<(i64, String, bool)>,
}

/// The project's studies and series, labelled by project id, date, modality and count.
fn list_studies(db: &Project) -> Result<Vec<StudyChoice>, crate::project::ProjectError> {
    let mut stmt = db
        .conn
        .prepare(
            "SELECT st.id, coalesce(st.study_date, ''), s.id, coalesce(s.modality, '?'), coalesce(s.number, 0),
                    (SELECT count(*) FROM instances i WHERE i.series_ref = s.id)
             FROM series s JOIN studies st ON st.id = s.study_ref ORDER BY st.id, s.number, s.id",
        )
        .map_err(|e| db.err(e))?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })
        .map_err(|e| db.err(e))?;
    let mut out: Vec<StudyChoice> = Vec::new();
    for row in rows {
        let (study, date, series, modality, number, n) = row.map_err(|e| db.err(e))?;
        if out.last().is_none_or(|s| s.id != study) {
            out.push(StudyChoice { id: study, label: format!("#{study} {date}"), series: Vec::new() });
        }
        let last = out.last_mut().expect("pushed");
        last.series.push((series, format!("#{series} {modality} {number} ({n})"), true));
    }
    Ok(out)
}

#[derive(Default)]
pub struct ExportPanel {
    pub open: bool,
    pub studies: Vec<StudyChoice>,
    pub out_dir: String,
    pub check: Option<Preflight>,
    /// The blocker being overridden: (item key, supervisor, reason).
    override_form: Option<(String, String, String)>,
    running: Option<Running>,
    pub result: Option<Result<ExportSummary, String>>,
    pub error: Option<String>,
}

fn kind_key(kind: BlockerKind) -> &'static str {
    match kind {
        BlockerKind::NoProfile => "export.blocker.no_profile",
        BlockerKind::TextNotExamined => "export.blocker.text_not_examined",
        BlockerKind::TextNotReviewed => "export.blocker.text_not_reviewed",
        BlockerKind::DefacingNotApproved => "export.blocker.deface",
        BlockerKind::AnnotationNotApproved => "export.blocker.labels",
    }
}

const KINDS: [BlockerKind; 5] = [
    BlockerKind::NoProfile,
    BlockerKind::TextNotExamined,
    BlockerKind::TextNotReviewed,
    BlockerKind::DefacingNotApproved,
    BlockerKind::AnnotationNotApproved,
];

impl ExportPanel {
    /// The chosen series (everything when every box is ticked).
    pub fn selection(&self) -> Selection {
        let all = self.studies.iter().all(|s| s.series.iter().all(|x| x.2));
        if all {
            return Selection::default();
        }
        let series =
            self.studies.iter().flat_map(|s| s.series.iter().filter(|x| x.2).map(|x| x.0.to_string())).collect();
        Selection { studies: Vec::new(), series }
    }

    /// Runs the pre-flight check against the project (and lists its studies the first time).
    pub fn refresh(&mut self, project: Option<&PathBuf>) {
        self.error = None;
        self.check = None;
        match project {
            None => self.error = Some("export.need_project".into()),
            Some(p) => match Project::open(p) {
                Ok(db) => {
                    if self.studies.is_empty() {
                        self.studies = list_studies(&db).unwrap_or_default();
                    }
                    let none = !self.studies.is_empty() && self.studies.iter().all(|s| s.series.iter().all(|x| !x.2));
                    if none {
                        self.error = Some("export.nothing_selected".into());
                        return;
                    }
                    match preflight(&db, &self.selection(), false) {
                        Ok(c) => self.check = Some(c),
                        Err(e) => self.error = Some(e.to_string()),
                    }
                }
                Err(e) => self.error = Some(e.to_string()),
            },
        }
    }

    fn start(&mut self, project: PathBuf, ctx: egui::Context) {
        let out = PathBuf::from(self.out_dir.trim());
        let selection = self.selection();
        let (done, total, cancel) =
            (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
        let (tx, rx) = sync_channel(1);
        let (d, t, c) = (done.clone(), total.clone(), cancel.clone());
        std::thread::spawn(move || {
            let run = || -> Result<ExportSummary, String> {
                let mut db = Project::open(&project).map_err(|e| e.to_string())?;
                let vault = Vault::open(&default_vault_path(&project), None).map_err(|e| e.to_string())?;
                let opts = ExportOptions {
                    selection,
                    vault: &vault,
                    actor: default_actor(),
                    include_labels: false,
                    jobs: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
                };
                let progress = |n: usize, of: usize| {
                    d.store(n, Ordering::Relaxed);
                    t.store(of, Ordering::Relaxed);
                    ctx.request_repaint();
                };
                export(&mut db, &out, &opts, &progress, &c).map_err(|e| e.to_string())
            };
            tracing::info!(out = %out.display(), "job export: started");
            let result = run();
            match &result {
                Ok(s) => {
                    tracing::info!(out = %out.display(), files = s.files, seconds = s.seconds, "job export: finished")
                }
                Err(e) => tracing::error!(out = %out.display(), "job export: {e}"),
            }
            let _ = tx.send(result);
            ctx.request_repaint();
        });
        self.result = None;
        self.running = Some(Running { done, total, cancel, rx });
    }

    fn poll(&mut self, project: Option<&PathBuf>) {
        let finished = self.running.as_ref().and_then(|r| r.rx.try_recv().ok());
        if let Some(r) = finished {
            self.running = None;
            self.result = Some(r);
            self.refresh(project);
        }
    }

    pub fn window(&mut self, ctx: &egui::Context, project: Option<&PathBuf>, lang: Lang) {
        self.poll(project);
        let mut open = self.open;
        egui::Window::new(tr(lang, "export.title"))
            .open(&mut open)
            .default_size([720.0, 560.0])
            .resizable(true)
            .show(ctx, |ui| self.ui(ui, project, lang));
        self.open = open;
    }

    fn ui(&mut self, ui: &mut egui::Ui, project: Option<&PathBuf>, lang: Lang) {
        ui.horizontal(|ui| {
            let label = ui.label(tr(lang, "export.folder"));
            ui.add(egui::TextEdit::singleline(&mut self.out_dir).desired_width(420.0)).labelled_by(label.id);
            if ui.button(tr(lang, "export.choose")).clicked()
                && let Some(dir) = rfd::FileDialog::new().pick_folder()
            {
                self.out_dir = dir.join("export").display().to_string();
            }
        });
        self.study_list(ui, lang);
        ui.horizontal(|ui| {
            if ui.button(tr(lang, "export.check")).clicked() {
                self.refresh(project);
            }
            let ready = self.check.as_ref().is_some_and(|c| c.ready()) && !self.out_dir.trim().is_empty();
            let button = ui.add_enabled(ready && self.running.is_none(), egui::Button::new(tr(lang, "export.start")));
            if button.clicked()
                && let Some(p) = project
            {
                self.start(p.clone(), ui.ctx().clone());
            }
        });
        if let Some(e) = &self.error {
            let text = if e.starts_with("export.") { tr(lang, e).to_string() } else { e.clone() };
            ui.colored_label(egui::Color32::LIGHT_RED, text);
        }
        if let Some(r) = &self.running {
            let (done, total) = (r.done.load(Ordering::Relaxed), r.total.load(Ordering::Relaxed).max(1));
            ui.horizontal(|ui| {
                ui.add(
                    egui::ProgressBar::new(done as f32 / total as f32)
                        .text(format!("{done} / {total}"))
                        .desired_width(480.0),
                );
                if ui.button(tr(lang, "export.cancel")).clicked() {
                    r.cancel.store(true, Ordering::Relaxed);
                }
            });
        }
        match &self.result {
            Some(Ok(s)) => {
                ui.colored_label(
                    egui::Color32::LIGHT_GREEN,
                    format!(
                        "{} {} → {} ({:.0} {})",
                        s.instances,
                        tr(lang, "browser.instances"),
                        s.out_dir.display(),
                        s.files_per_s,
                        tr(lang, "export.files_per_s")
                    ),
                );
                ui.label(format!("manifest SHA-256 {}", s.manifest_sha256))
                    .on_hover_text(tr(lang, "export.manifest_hint"));
            }
            Some(Err(e)) => {
                ui.colored_label(egui::Color32::LIGHT_RED, e);
            }
            None => {}
        }
        ui.separator();
        self.checklist(ui, project, lang);
    }

    /// Studies and series to export, ticked by default.
    fn study_list(&mut self, ui: &mut egui::Ui, lang: Lang) {
        if self.studies.is_empty() {
            return;
        }
        let mut changed = false;
        egui::CollapsingHeader::new(tr(lang, "export.selection")).id_salt("export-selection").default_open(false).show(
            ui,
            |ui| {
                egui::ScrollArea::vertical().max_height(160.0).id_salt("export-studies").show(ui, |ui| {
                    for study in &mut self.studies {
                        let mut all = study.series.iter().all(|x| x.2);
                        if ui.checkbox(&mut all, format!("{} {}", tr(lang, "export.study"), study.label)).changed() {
                            study.series.iter_mut().for_each(|x| x.2 = all);
                            changed = true;
                        }
                        ui.indent(study.id, |ui| {
                            for (_, label, on) in &mut study.series {
                                changed |= ui.checkbox(on, format!("{} {label}", tr(lang, "export.series"))).changed();
                            }
                        });
                    }
                });
            },
        );
        if changed {
            // The pre-flight must be run again for the new selection.
            self.check = None;
        }
    }

    fn checklist(&mut self, ui: &mut egui::Ui, project: Option<&PathBuf>, lang: Lang) {
        let Some(check) = &self.check else {
            ui.label(tr(lang, "export.not_checked"));
            return;
        };
        ui.label(format!(
            "{}: {} · {} {} · {} {}",
            tr(lang, "export.profile"),
            check.profile.as_deref().unwrap_or("—"),
            check.instances,
            tr(lang, "browser.instances"),
            check.standing().count(),
            tr(lang, "export.blockers")
        ));
        if check.ready() {
            ui.colored_label(egui::Color32::LIGHT_GREEN, tr(lang, "export.ready"));
        }
        let mut start_override = None;
        egui::ScrollArea::vertical().max_height(300.0).show(ui, |ui| {
            for kind in KINDS {
                let of_kind: Vec<_> = check.blockers.iter().filter(|b| b.kind == kind).collect();
                if of_kind.is_empty() {
                    continue;
                }
                let standing = of_kind.iter().filter(|b| b.overridden.is_none()).count();
                let title = format!("{} — {standing} / {}", tr(lang, kind_key(kind)), of_kind.len());
                egui::CollapsingHeader::new(title).id_salt(kind_key(kind)).default_open(standing > 0).show(ui, |ui| {
                    for b in of_kind {
                        ui.horizontal(|ui| {
                            match &b.overridden {
                                Some(o) => ui.label(format!(
                                    "○ {} — {} ({}: {})",
                                    b.object,
                                    tr(lang, "export.overridden"),
                                    o.supervisor,
                                    o.reason
                                )),
                                None => ui.colored_label(
                                    egui::Color32::from_rgb(240, 170, 60),
                                    format!("× {} — {}", b.object, b.detail),
                                ),
                            };
                            if b.overridden.is_none() && ui.small_button(tr(lang, "export.override")).clicked() {
                                start_override = Some(b.item.clone());
                            }
                        });
                    }
                });
            }
        });
        if let Some(item) = start_override {
            self.override_form = Some((item, default_actor(), String::new()));
        }
        self.override_form_ui(ui, project, lang);
    }

    fn override_form_ui(&mut self, ui: &mut egui::Ui, project: Option<&PathBuf>, lang: Lang) {
        let Some((item, supervisor, reason)) = &mut self.override_form else { return };
        ui.separator();
        ui.label(format!("{}: {item}", tr(lang, "export.override")));
        ui.horizontal(|ui| {
            let l = ui.label(tr(lang, "export.supervisor"));
            ui.text_edit_singleline(supervisor).labelled_by(l.id);
        });
        ui.horizontal(|ui| {
            let l = ui.label(tr(lang, "export.reason"));
            ui.text_edit_singleline(reason).labelled_by(l.id);
        });
        let (mut done, mut cancelled, mut error) = (false, false, None);
        ui.horizontal(|ui| {
            let ok = !reason.trim().is_empty() && !supervisor.trim().is_empty();
            if ui.add_enabled(ok, egui::Button::new(tr(lang, "export.override_confirm"))).clicked()
                && let Some(p) = project
            {
                match Project::open(p).and_then(|mut db| db.override_export_blocker(item, supervisor, reason)) {
                    Ok(()) => done = true,
                    Err(e) => error = Some(e.to_string()),
                }
            }
            cancelled = ui.button(tr(lang, "export.cancel")).clicked();
        });
        if error.is_some() {
            self.error = error;
        }
        if cancelled {
            self.override_form = None;
        }
        if done {
            self.override_form = None;
            self.refresh(project);
        }
    }
}
