//! Application state and the top-level frame: menus, panels, job polling, drag and drop.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::Receiver;

use eframe::egui;
use eframe::egui_wgpu::RenderState;

use crate::dicom::{PatientNode, ScanReport};
use crate::render::mpr::MprResources;

use super::i18n::{Lang, tr};
use super::jobs::{ScanJob, start_scan, start_thumbnails};
use super::problems::Problems;
use super::tags::TagBrowser;
use super::viewer::Viewer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    One,
    OneByThree,
    TwoByTwo,
    /// The 3D view alone.
    ThreeD,
}

pub struct SumiApp {
    pub lang: Lang,
    pub render: Option<RenderState>,
    pub scan: Option<ScanReport>,
    pub tree: Vec<PatientNode>,
    pub scan_job: Option<ScanJob>,
    pub thumbnails: HashMap<String, egui::TextureHandle>,
    thumb_rx: Option<Receiver<(String, egui::ColorImage)>>,
    pub viewer: Viewer,
    pub problems: Problems,
    pub tags: TagBrowser,
    pub show_tags: bool,
    pub deid: super::deid_panel::DeidPanel,
    pub show_deid: bool,
    pub review: super::review::Review,
    pub export: super::export_panel::ExportPanel,
    pub spot_check: super::spotcheck::SpotCheckPanel,
    pub annotate: super::annotate::Annotate,
    pub deface: super::deface_panel::DefacePanel,
    /// Series to open as soon as the scan finishes (the largest one by default).
    auto_open: bool,
    /// When the user last opened files (start of the time-to-first-image clock).
    opened_at: std::time::Instant,
    first_painted: Option<std::time::Duration>,
    /// Frame times while a scan or load runs (reported by `sumi bench gui`).
    frame_times: super::frame_times::FrameTimes,
    /// `sumi bench gui`: print the timings as JSON and close once the series has loaded.
    pub bench_exit: bool,
    /// The open project file: scans are indexed into it.
    pub project: Option<PathBuf>,
    pub last_import: Option<crate::project::ImportSummary>,
    /// The "Open path" window's text, when it is open (works without a desktop file dialog).
    pub open_path_text: Option<String>,
    /// User settings, the welcome screen and the settings window.
    pub user: super::welcome::UserPrefs,
    /// `--screenshot`: save the window once loaded, then close.
    pub capture: Option<super::capture::Capture>,
}

impl SumiApp {
    pub fn new(cc: &eframe::CreationContext<'_>) -> SumiApp {
        super::fonts::install(&cc.egui_ctx);
        let render = cc.wgpu_render_state.clone();
        if let Some(rs) = &render {
            MprResources::install(rs);
        }
        let lang = match std::env::var("SUMI_LANG").as_deref() {
            Ok("ja") => Lang::Ja,
            _ => Lang::En,
        };
        SumiApp {
            lang,
            viewer: Viewer::new(cc.egui_ctx.clone(), render.clone()),
            render,
            scan: None,
            tree: Vec::new(),
            scan_job: None,
            thumbnails: HashMap::new(),
            thumb_rx: None,
            problems: Problems::default(),
            tags: TagBrowser::default(),
            show_tags: false,
            deid: Default::default(),
            show_deid: false,
            review: Default::default(),
            export: Default::default(),
            spot_check: Default::default(),
            annotate: Default::default(),
            deface: Default::default(),
            auto_open: true,
            opened_at: std::time::Instant::now(),
            first_painted: None,
            frame_times: Default::default(),
            bench_exit: false,
            project: None,
            last_import: None,
            open_path_text: None,
            user: Default::default(),
            capture: None,
        }
    }

    /// Generates the demo study on first run (into the data dir) and opens it.
    pub fn open_demo(&mut self) {
        match crate::demo::ensure_demo_study(&self.user.settings.effective_data_dir()) {
            Ok(dir) => self.open_paths(vec![dir]),
            Err(e) => self.problems.push(e.to_string()),
        }
    }

    pub fn open_paths(&mut self, paths: Vec<PathBuf>) {
        self.auto_open = true;
        self.opened_at = std::time::Instant::now();
        self.first_painted = None;
        self.scan_job = Some(start_scan(paths, self.project.clone(), self.viewer.ctx.clone()));
    }

    /// Creates or opens a project file and shows what it indexes; later scans are imported into it.
    pub fn open_project(&mut self, file: PathBuf) {
        match crate::project::Project::open(&file) {
            Ok(p) => {
                if let Ok(Some(name)) = p.setting("deid.profile") {
                    self.deid.profile_name = name;
                }
                self.project = Some(file.clone());
                self.auto_open = true;
                self.opened_at = std::time::Instant::now();
                self.first_painted = None;
                self.scan_job = Some(super::jobs::start_project_open(file, self.viewer.ctx.clone()));
            }
            Err(e) => self.problems.push(e.to_string()),
        }
    }

    /// Opens the export window with a fresh pre-flight check of the project.
    pub(super) fn open_export(&mut self) {
        self.export.open = true;
        self.export.refresh(self.project.as_ref());
    }

    fn poll_jobs(&mut self, ctx: &egui::Context) {
        if let Some(job) = &self.scan_job
            && let Ok(super::jobs::ScanResult { report, import, tree, cancelled }) = job.rx.try_recv()
        {
            self.scan_job = None;
            if cancelled {
                self.problems.push(format!(
                    "{}: {} / {}",
                    tr(self.lang, "browser.scan_cancelled"),
                    report.instances.len() + report.unreadable.len() + report.skipped.len(),
                    report.files_seen
                ));
            }
            match import {
                Some(Ok(summary)) => self.last_import = Some(summary),
                Some(Err(e)) => self.problems.push(e),
                None => {}
            }
            for u in &report.unreadable {
                self.problems.push(u.reason.clone());
            }
            self.tree = tree;
            let thumbs: Vec<(String, PathBuf)> = self
                .tree
                .iter()
                .flat_map(|p| &p.studies)
                .flat_map(|s| &s.series)
                .map(|s| (s.series_uid.clone(), report.instances[s.instances[s.instances.len() / 2]].path.clone()))
                .collect();
            self.thumb_rx = Some(start_thumbnails(thumbs, ctx.clone()));
            self.scan = Some(report);
            if self.auto_open {
                self.auto_open = false;
                if let Some(uid) = self.largest_series() {
                    self.open_series(&uid);
                }
            }
        }
        if let Some(rx) = &self.thumb_rx {
            while let Ok((uid, img)) = rx.try_recv() {
                let tex = ctx.load_texture(format!("thumb-{uid}"), img, egui::TextureOptions::LINEAR);
                self.thumbnails.insert(uid, tex);
            }
        }
        let problems = self.viewer.poll(ctx);
        for p in problems {
            self.problems.push(p);
        }
    }

    fn largest_series(&self) -> Option<String> {
        self.tree
            .iter()
            .flat_map(|p| &p.studies)
            .flat_map(|s| &s.series)
            .max_by_key(|s| s.frames)
            .map(|s| s.series_uid.clone())
    }

    pub fn open_series(&mut self, series_uid: &str) {
        let Some(scan) = &self.scan else { return };
        let Some(series) =
            self.tree.iter().flat_map(|p| &p.studies).flat_map(|s| &s.series).find(|s| s.series_uid == series_uid)
        else {
            return;
        };
        let metas = series.instances.iter().map(|&i| scan.instances[i].clone()).collect();
        self.viewer.open(series_uid.to_string(), metas);
    }

    fn menu(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang;
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button(tr(lang, "menu.file"), |ui| {
                if ui.button(tr(lang, "menu.open_folder")).clicked() {
                    ui.close();
                    if let Some(dir) = rfd::FileDialog::new().pick_folder() {
                        self.open_paths(vec![dir]);
                    }
                }
                if ui.button(tr(lang, "menu.open_path")).clicked() {
                    ui.close();
                    self.open_path_text = Some(String::new());
                }
                ui.separator();
                if ui.button(tr(lang, "menu.new_project")).clicked() {
                    ui.close();
                    if let Some(file) =
                        rfd::FileDialog::new().add_filter("sumi", &["sumi"]).set_file_name("project.sumi").save_file()
                    {
                        self.open_project(file);
                    }
                }
                if ui.button(tr(lang, "menu.open_project")).clicked() {
                    ui.close();
                    if let Some(file) = rfd::FileDialog::new().add_filter("sumi", &["sumi"]).pick_file() {
                        self.open_project(file);
                    }
                }
                if ui.button(tr(lang, "menu.export")).clicked() {
                    ui.close();
                    self.open_export();
                }
                if ui.button(tr(lang, "menu.spot_check")).clicked() {
                    ui.close();
                    self.spot_check.show();
                }
                ui.separator();
                if ui.button(tr(lang, "menu.open_demo")).clicked() {
                    ui.close();
                    self.open_demo();
                }
                ui.separator();
                if ui.button(tr(lang, "menu.settings")).clicked() {
                    ui.close();
                    self.open_settings();
                }
                ui.separator();
                if ui.button(tr(lang, "menu.quit")).clicked() {
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.menu_button(tr(lang, "menu.view"), |ui| {
                for (layout, key) in super::toolbar::LAYOUTS {
                    if ui.radio(self.viewer.layout == layout, tr(lang, key)).clicked() {
                        self.viewer.set_layout(layout);
                    }
                }
                ui.separator();
                ui.checkbox(&mut self.show_tags, tr(lang, "menu.tags"));
                ui.checkbox(&mut self.show_deid, tr(lang, "menu.deid"));
                ui.checkbox(&mut self.deface.open, tr(lang, "menu.deface"));
                let mut review = self.review.open;
                if ui.checkbox(&mut review, tr(lang, "menu.review")).changed() {
                    self.set_review(review);
                }
                super::annotate::menu_items(ui, self);
                ui.checkbox(&mut self.problems.open, tr(lang, "menu.problems"));
            });
            ui.menu_button(tr(lang, "menu.language"), |ui| {
                ui.radio_value(&mut self.lang, Lang::En, "English");
                ui.radio_value(&mut self.lang, Lang::Ja, "日本語");
            });
        });
    }
}

impl SumiApp {
    /// Enters or leaves the burned-in text review mode.
    pub fn set_review(&mut self, on: bool) {
        self.review.open = on;
        self.viewer.review_mode = on;
        if on {
            super::review::reload(self, 0);
        }
    }

    /// A typed path (folder or file), for machines without a desktop file dialog.
    fn open_path_window(&mut self, ctx: &egui::Context) {
        let lang = self.lang;
        let Some(text) = &mut self.open_path_text else { return };
        let mut open = true;
        let mut submit = false;
        egui::Window::new(tr(lang, "menu.open_path")).open(&mut open).collapsible(false).show(ctx, |ui| {
            let edit = ui.add(egui::TextEdit::singleline(text).desired_width(480.0).hint_text("/path/to/dicom"));
            edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, tr(lang, "menu.open_path")));
            submit = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            submit |= ui.button(tr(lang, "dialog.open")).clicked();
        });
        if submit && !text.trim().is_empty() {
            let path = PathBuf::from(text.trim());
            self.open_path_text = None;
            if path.exists() {
                self.open_paths(vec![path]);
            } else {
                self.problems.push(format!("{}: {}", path.display(), tr(lang, "dialog.not_found")));
            }
        } else if !open {
            self.open_path_text = None;
        }
    }

    /// Records when the first slice was on screen; in bench mode prints timings and closes.
    fn bench_timings(&mut self, ctx: &egui::Context) {
        let Some(l) = &self.viewer.loaded else { return };
        if self.first_painted.is_none() && l.slices_uploaded > 0 {
            self.first_painted = Some(self.opened_at.elapsed());
        }
        if self.bench_exit && l.volume.is_some() {
            let report = serde_json::json!({
                "dims": l.plan.geometry.dims,
                "first_image_seconds": self.first_painted.map(|d| d.as_secs_f64()),
                "loaded_seconds": self.opened_at.elapsed().as_secs_f64(),
                "load_job_first_slice_seconds": l.first_image.map(|d| d.as_secs_f64()),
                "frame_ms_while_loading": self.frame_times.report(),
            });
            println!("{report}");
            self.bench_exit = false;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }
}

impl eframe::App for SumiApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        use super::frame_times::Phase;
        let started = std::time::Instant::now();
        let phase = if self.scan_job.is_some() {
            Some(Phase::Scan)
        } else if self.viewer.loading_series().is_some() {
            Some(Phase::Load)
        } else {
            None
        };
        self.frame(ui);
        if let Some(phase) = phase {
            self.frame_times.record(phase, started.elapsed());
        }
        self.bench_timings(ui.ctx());
    }
}

impl SumiApp {
    /// One frame of the main window (the egui update).
    fn frame(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.poll_jobs(&ctx);
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()).collect()
        });
        if !dropped.is_empty() {
            self.open_paths(dropped);
        }
        self.capture_step(&ctx);
        if self.user.welcome {
            self.welcome_screen(ui);
            return;
        }
        let lang = self.lang;
        egui::Panel::top("menu").show(ui, |ui| self.menu(ui));
        egui::Panel::top("toolbar").show(ui, |ui| super::toolbar::toolbar(ui, &mut self.viewer, lang));
        if self.review.open {
            egui::Panel::top("review-toolbar").show(ui, |ui| super::review::toolbar(ui, self));
            egui::Panel::left("review-queue")
                .resizable(true)
                .default_size(320.0)
                .show(ui, |ui| super::review::queue_panel(ui, self));
            super::review::keys(&ctx, self);
        } else {
            egui::Panel::left("browser")
                .resizable(true)
                .default_size(300.0)
                .show(ui, |ui| super::browser::browser(ui, self));
        }
        if self.show_deid {
            let path = self.viewer.current_instance_path();
            let chosen = egui::Panel::right("deid")
                .resizable(true)
                .default_size(860.0)
                .show(ui, |ui| self.deid.ui(ui, path.as_deref(), lang))
                .inner;
            if let (Some(name), Some(file)) = (chosen, &self.project) {
                let saved = crate::project::Project::open(file)
                    .and_then(|mut p| p.set_setting("deid.profile", &name, &crate::project::default_actor()));
                if let Err(e) = saved {
                    self.problems.push(e.to_string());
                }
            }
        }
        if self.deface.open {
            egui::Panel::right("deface")
                .resizable(true)
                .default_size(560.0)
                .show(ui, |ui| super::deface_panel::panel(ui, self));
        }
        if self.show_tags {
            let path = self.viewer.current_instance_path();
            egui::Panel::right("tags")
                .resizable(true)
                .default_size(460.0)
                .show(ui, |ui| self.tags.ui(ui, path.as_deref(), lang));
        }
        super::annotate::frame(ui, self);
        if self.problems.open {
            egui::Panel::bottom("problems").resizable(true).show(ui, |ui| self.problems.ui(ui, lang));
        }
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.horizontal(|ui| {
                if let Some(p) = &self.project {
                    let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
                    let text = match &self.last_import {
                        Some(s) => format!(
                            "{}: {name} ({} {})",
                            tr(lang, "status.project"),
                            s.instances,
                            tr(lang, "browser.instances")
                        ),
                        None => format!("{}: {name}", tr(lang, "status.project")),
                    };
                    ui.label(text).on_hover_text(p.display().to_string());
                    ui.separator();
                }
                self.viewer.status_line(ui, lang);
            });
        });
        egui::CentralPanel::default().show(ui, |ui| {
            super::deface_overlay::before_viewports(ui.ctx(), self);
            super::overlay3d::sync(self);
            let viewports = self.viewer.ui(ui, lang);
            super::deface_overlay::draw(ui, self, &viewports);
            if self.review.open {
                super::review_boxes::overlay(ui, self, &viewports);
            }
            super::annotate::viewports(ui, self, &viewports);
        });
        self.open_path_window(&ctx);
        self.settings_window(&ctx);
        if self.export.open {
            self.export.window(&ctx, self.project.as_ref(), lang);
        }
        if self.spot_check.open {
            self.spot_check.window(&ctx, self.project.as_ref(), lang);
        }
    }
}
