//! The operator's spot check of an export: open the export folder, draw the sample by the stated
//! plan, look at each sampled instance (pixels beside the original when the project is open,
//! the header, the verification findings), mark pass or fail with a comment, and sign the report.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, sync_channel};

use eframe::egui;

use crate::project::{Project, default_actor};
use crate::spotcheck::{SamplingPlan, SpotCheck, Verdict, sign::key_dir, start};

use super::i18n::{Lang, tr};
use super::tags::TagBrowser;

#[derive(Default)]
pub struct SpotCheckPanel {
    pub open: bool,
    pub export_dir: String,
    pub confidence_pct: f64,
    pub defect_pct: f64,
    pub seed: u64,
    pub check: Option<SpotCheck>,
    pub index: usize,
    pub operator: String,
    pub message: Option<String>,
    tags: TagBrowser,
    /// Previews of the current sample: (sample index, exported, original).
    previews: Option<(usize, Option<egui::TextureHandle>, Option<egui::TextureHandle>)>,
    /// The verification running on a worker thread: findings per exported file.
    pub verifying: Option<Receiver<HashMap<String, Vec<String>>>>,
}

/// The source file of an exported instance, by its project id.
fn source_path(project: Option<&PathBuf>, instance: Option<i64>) -> Option<PathBuf> {
    let db = Project::open(project?).ok()?;
    let path: String = db.conn.query_row("SELECT path FROM instances WHERE id = ?1", [instance?], |r| r.get(0)).ok()?;
    Some(PathBuf::from(path))
}

fn texture(ctx: &egui::Context, name: &str, path: &Path) -> Option<egui::TextureHandle> {
    let img = super::jobs::preview(path, 512)?;
    Some(ctx.load_texture(name, img, egui::TextureOptions::LINEAR))
}

impl SpotCheckPanel {
    pub fn show(&mut self) {
        self.open = true;
        if self.confidence_pct == 0.0 {
            let plan = SamplingPlan::default();
            (self.confidence_pct, self.defect_pct, self.seed) =
                (plan.confidence * 100.0, plan.max_defect_rate * 100.0, plan.seed);
        }
        if self.operator.is_empty() {
            self.operator = default_actor();
        }
    }

    /// Draws the sample and starts the verification of the export on a worker thread (it reads
    /// every file; the UI thread must stay free to drain other jobs).
    pub fn draw(&mut self, project: Option<&PathBuf>, ctx: &egui::Context) {
        let plan = SamplingPlan {
            confidence: self.confidence_pct / 100.0,
            max_defect_rate: self.defect_pct / 100.0,
            seed: self.seed,
        };
        let dir = PathBuf::from(self.export_dir.trim());
        match start(&dir, plan) {
            Ok(c) => {
                self.check = Some(c);
                self.index = 0;
                self.previews = None;
                self.message = None;
                let (tx, rx) = sync_channel(1);
                let (project, ctx) = (project.cloned(), ctx.clone());
                std::thread::spawn(move || {
                    let _ = tx.send(super::spot_findings(&dir, project.as_deref()));
                    ctx.request_repaint();
                });
                self.verifying = Some(rx);
            }
            Err(e) => self.message = Some(e),
        }
    }

    fn poll(&mut self) {
        let Some(map) = self.verifying.as_ref().and_then(|rx| rx.try_recv().ok()) else { return };
        self.verifying = None;
        if let Some(c) = &mut self.check {
            for s in &mut c.samples {
                s.findings = map.get(&s.path).cloned().unwrap_or_default();
            }
        }
    }

    pub fn window(&mut self, ctx: &egui::Context, project: Option<&PathBuf>, lang: Lang) {
        self.poll();
        let mut open = self.open;
        egui::Window::new(tr(lang, "spot.title"))
            .open(&mut open)
            .default_size([1180.0, 780.0])
            .resizable(true)
            .show(ctx, |ui| self.ui(ui, project, lang));
        self.open = open;
    }

    fn ui(&mut self, ui: &mut egui::Ui, project: Option<&PathBuf>, lang: Lang) {
        ui.horizontal(|ui| {
            let l = ui.label(tr(lang, "spot.export"));
            ui.add(egui::TextEdit::singleline(&mut self.export_dir).desired_width(380.0)).labelled_by(l.id);
            if ui.button(tr(lang, "export.choose")).clicked()
                && let Some(dir) = rfd::FileDialog::new().pick_folder()
            {
                self.export_dir = dir.display().to_string();
            }
        });
        ui.horizontal(|ui| {
            ui.label(tr(lang, "spot.confidence"));
            ui.add(egui::DragValue::new(&mut self.confidence_pct).range(50.0..=99.9).speed(0.1).suffix(" %"));
            ui.label(tr(lang, "spot.defect_rate"));
            ui.add(egui::DragValue::new(&mut self.defect_pct).range(0.1..=20.0).speed(0.1).suffix(" %"));
            ui.label(tr(lang, "spot.seed"));
            ui.add(egui::DragValue::new(&mut self.seed));
            if ui.button(tr(lang, "spot.draw")).clicked() {
                self.draw(project, ui.ctx());
            }
        });
        if let Some(m) = &self.message {
            ui.label(m);
        }
        let Some(check) = &self.check else { return };
        ui.label(format!(
            "{} {} / {} · {} {} · {} {}",
            tr(lang, "spot.sample"),
            check.samples.len(),
            check.population,
            check.decided(),
            tr(lang, "spot.decided"),
            check.samples.iter().filter(|s| s.verdict == Some(Verdict::Fail)).count(),
            tr(lang, "spot.failed"),
        ));
        ui.separator();
        let mut chosen = None;
        egui::Panel::left("spot-samples").resizable(true).default_size(250.0).show(ui, |ui| {
            ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
            egui::ScrollArea::vertical().show(ui, |ui| {
                for (i, s) in check.samples.iter().enumerate() {
                    let mark = match s.verdict {
                        Some(Verdict::Pass) => "○",
                        Some(Verdict::Fail) => "×",
                        None => "·",
                    };
                    let warn = if s.findings.is_empty() { "" } else { " !" };
                    if ui.selectable_label(i == self.index, format!("{mark} {}{warn}", s.path)).clicked() {
                        chosen = Some(i);
                    }
                }
            });
        });
        if let Some(i) = chosen {
            self.index = i;
        }
        self.sample_view(ui, project, lang);
    }

    fn sample_view(&mut self, ui: &mut egui::Ui, project: Option<&PathBuf>, lang: Lang) {
        let Some(check) = &mut self.check else { return };
        let len = check.samples.len();
        let Some(sample) = check.samples.get_mut(self.index) else { return };
        let exported = check.export_dir.join(&sample.path);
        if self.previews.as_ref().map(|p| p.0) != Some(self.index) {
            let original = source_path(project, sample.source_instance);
            let ctx = ui.ctx().clone();
            self.previews = Some((
                self.index,
                texture(&ctx, "spot-exported", &exported),
                original.and_then(|p| texture(&ctx, "spot-original", &p)),
            ));
        }
        ui.horizontal(|ui| {
            for (title, tex) in [
                (tr(lang, "spot.exported"), self.previews.as_ref().and_then(|p| p.1.clone())),
                (tr(lang, "spot.original"), self.previews.as_ref().and_then(|p| p.2.clone())),
            ] {
                ui.vertical(|ui| {
                    ui.label(title);
                    match tex {
                        Some(t) => {
                            let size = t.size_vec2();
                            let scale = (360.0 / size.x.max(size.y)).min(1.0);
                            ui.image((t.id(), size * scale));
                        }
                        None => {
                            ui.weak(tr(lang, "spot.no_image"));
                        }
                    }
                });
            }
        });
        ui.label(egui::RichText::new(tr(lang, "spot.findings")).strong());
        if self.verifying.is_some() {
            ui.label(tr(lang, "spot.verifying"));
        } else if sample.findings.is_empty() {
            ui.label(tr(lang, "spot.no_findings"));
        }
        for f in &sample.findings {
            ui.colored_label(egui::Color32::from_rgb(240, 120, 90), f);
        }
        ui.horizontal(|ui| {
            let l = ui.label(tr(lang, "spot.comment"));
            ui.text_edit_singleline(&mut sample.comment).labelled_by(l.id);
            if ui.button(tr(lang, "spot.pass")).clicked() {
                sample.verdict = Some(Verdict::Pass);
                self.index = (self.index + 1).min(len - 1);
            } else if ui
                .add_enabled(!sample.comment.trim().is_empty(), egui::Button::new(tr(lang, "spot.fail")))
                .clicked()
            {
                sample.verdict = Some(Verdict::Fail);
                self.index = (self.index + 1).min(len - 1);
            }
        });
        ui.horizontal(|ui| {
            let l = ui.label(tr(lang, "spot.operator"));
            ui.text_edit_singleline(&mut self.operator).labelled_by(l.id);
            let complete = check.decided() == check.samples.len() && self.verifying.is_none();
            if ui.add_enabled(complete, egui::Button::new(tr(lang, "spot.sign"))).clicked() {
                self.message = Some(match sign_and_store(check, &self.operator, project) {
                    Ok(m) => m,
                    Err(e) => e,
                });
            }
        });
        ui.separator();
        egui::CollapsingHeader::new(tr(lang, "spot.header")).default_open(false).show(ui, |ui| {
            ui.push_id("spot-tags", |ui| self.tags.ui(ui, Some(&exported), lang));
        });
    }
}

/// Signs the report, writes it beside the export and stores it in the project (when open).
fn sign_and_store(check: &SpotCheck, operator: &str, project: Option<&PathBuf>) -> Result<String, String> {
    let report = check.sign(operator, &key_dir())?;
    let (json, _) = report.write_beside(&check.export_dir)?;
    if let Some(p) = project {
        Project::open(p).and_then(|mut db| db.record_spot_check(&report)).map_err(|e| e.to_string())?;
    }
    Ok(format!("{:?}: {}", report.report.decision, json.display()))
}
