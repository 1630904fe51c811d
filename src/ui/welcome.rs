//! User settings in the UI: the first-run welcome screen (what sumi is, the three roles, the
//! settings) and the File ▸ Settings… window. Both edit a draft; only Continue / Save write the
//! file. The language applies at once.

use std::path::PathBuf;

use eframe::egui;

use crate::user_settings::{Language, Loaded, Role, UserSettings};

use super::app::SumiApp;
use super::i18n::{Lang, tr};

/// The user settings as the app holds them.
#[derive(Default)]
pub struct UserPrefs {
    pub settings: UserSettings,
    /// Where they are saved (`$SUMI_CONFIG_DIR/settings.toml` or the platform config dir).
    pub path: PathBuf,
    /// The welcome screen is showing (first run).
    pub welcome: bool,
    /// The settings window is open on this draft.
    pub draft: Option<UserSettings>,
    /// What to open once the welcome screen is left (empty: the demo study).
    pub pending_open: Option<Vec<PathBuf>>,
    /// The log file in use, shown in the settings window.
    pub log_file: Option<PathBuf>,
    /// The data folder field's text (an empty field means the platform default).
    data_dir_text: String,
}

pub fn lang_of(l: Language) -> Lang {
    match l {
        Language::En => Lang::En,
        Language::Ja => Lang::Ja,
    }
}

fn language_of(l: Lang) -> Language {
    match l {
        Lang::En => Language::En,
        Lang::Ja => Language::Ja,
    }
}

fn role_key(role: Role) -> (&'static str, &'static str) {
    match role {
        Role::QaReviewer => ("role.qa", "role.qa.start"),
        Role::Annotator => ("role.annotator", "role.annotator.start"),
        Role::Operator => ("role.operator", "role.operator.start"),
    }
}

impl SumiApp {
    /// Takes the loaded user settings: language, audit name and default profile apply; no file
    /// yet shows the welcome screen; a bad file is reported in the problems panel.
    pub fn apply_user_settings(&mut self, loaded: Loaded, path: PathBuf) {
        let (settings, first_run, error) = loaded.into_parts();
        if let Some(e) = error {
            tracing::error!("{e}");
            self.problems.push(e.to_string());
        }
        self.user.path = path;
        self.user.welcome = first_run;
        self.set_user_settings(settings);
        match std::env::var("SUMI_LANG").as_deref() {
            Ok("ja") => self.lang = Lang::Ja,
            Ok("en") => self.lang = Lang::En,
            _ => {}
        }
    }

    fn set_user_settings(&mut self, settings: UserSettings) {
        self.lang = lang_of(settings.language);
        crate::project::set_default_actor(&settings.user_name);
        if self.project.is_none() && !settings.deid_profile.is_empty() {
            self.deid.profile_name = settings.deid_profile.clone();
        }
        self.user.data_dir_text = settings.data_dir.as_ref().map(|d| d.display().to_string()).unwrap_or_default();
        self.user.settings = settings;
    }

    /// Opens `paths` (none: the demo study), after the welcome screen when it is showing.
    pub fn start(&mut self, paths: Vec<PathBuf>) {
        if self.user.welcome {
            self.user.pending_open = Some(paths);
        } else if paths.is_empty() {
            self.open_demo();
        } else {
            self.open_paths(paths);
        }
    }

    fn save_user_settings(&mut self, settings: UserSettings) -> bool {
        let saved = settings.save_to(&self.user.path);
        self.set_user_settings(settings);
        match saved {
            Ok(()) => {
                tracing::info!(path = %self.user.path.display(), "user settings saved");
                true
            }
            Err(e) => {
                tracing::error!("{e}");
                self.problems.push(e.to_string());
                false
            }
        }
    }

    /// Leaves the welcome screen: saves, then opens what was asked for (`Some`) or what the
    /// command line asked for (`None`).
    fn leave_welcome(&mut self, open: Option<Vec<PathBuf>>) {
        let mut s = self.user.settings.clone();
        s.language = language_of(self.lang);
        s.data_dir = Some(PathBuf::from(self.user.data_dir_text.trim())).filter(|d| !d.as_os_str().is_empty());
        self.save_user_settings(s);
        self.user.welcome = false;
        let paths = open.or_else(|| self.user.pending_open.take()).unwrap_or_default();
        self.user.pending_open = None;
        self.start(paths);
        // Where the chosen role starts, as the welcome screen explains it.
        match self.user.settings.role {
            Role::QaReviewer => self.show_deid = true,
            Role::Annotator => super::annotate::set_open(self, true),
            Role::Operator => self.open_export(),
        }
    }

    /// The first-run screen, filling the window.
    pub(super) fn welcome_screen(&mut self, ui: &mut egui::Ui) {
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                ui.set_max_width(1100.0);
                ui.horizontal(|ui| {
                    ui.label(tr(self.lang, "welcome.language"));
                    ui.radio_value(&mut self.lang, Lang::En, "English");
                    ui.radio_value(&mut self.lang, Lang::Ja, "日本語");
                });
                let lang = self.lang;
                ui.add_space(12.0);
                ui.heading(egui::RichText::new(tr(lang, "welcome.title")).size(28.0));
                ui.add_space(6.0);
                ui.label(tr(lang, "welcome.intro"));
                ui.add_space(12.0);
                ui.strong(tr(lang, "welcome.roles"));
                let role = &mut self.user.settings.role;
                ui.columns(3, |cols| {
                    for (ui, r) in cols.iter_mut().zip(Role::ALL) {
                        let (name, start) = role_key(r);
                        egui::Frame::group(ui.style()).inner_margin(10.0).show(ui, |ui| {
                            ui.set_min_height(70.0);
                            ui.radio_value(role, r, egui::RichText::new(tr(lang, name)).strong());
                            ui.label(tr(lang, start));
                        });
                    }
                });
                ui.add_space(12.0);
                ui.strong(tr(lang, "settings.title"));
                egui::Grid::new("welcome-settings").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
                    let (settings, dir) = (&mut self.user.settings, &mut self.user.data_dir_text);
                    common_fields(ui, settings, dir, lang);
                });
                ui.add_space(16.0);
                ui.horizontal(|ui| {
                    if ui.button(tr(lang, "menu.open_demo")).clicked() {
                        self.leave_welcome(Some(Vec::new()));
                    }
                    if ui.button(tr(lang, "menu.open_folder")).clicked()
                        && let Some(dir) = rfd::FileDialog::new().pick_folder()
                    {
                        self.leave_welcome(Some(vec![dir]));
                    }
                    if ui.button(egui::RichText::new(tr(lang, "welcome.continue")).strong()).clicked() {
                        self.leave_welcome(None);
                    }
                });
                ui.add_space(6.0);
                ui.weak(format!("{}: {}", tr(lang, "settings.file"), self.user.path.display()));
            });
        });
    }

    /// Opens File ▸ Settings… on a copy of the current settings.
    pub fn open_settings(&mut self) {
        self.user.data_dir_text =
            self.user.settings.data_dir.as_ref().map(|d| d.display().to_string()).unwrap_or_default();
        self.user.draft = Some(self.user.settings.clone());
    }

    pub(super) fn settings_window(&mut self, ctx: &egui::Context) {
        let Some(mut draft) = self.user.draft.take() else { return };
        let mut open = true;
        let (mut save, mut cancel) = (false, false);
        let before = draft.language;
        let window = egui::Window::new(tr(self.lang, "settings.title")).id(egui::Id::unique("user-settings"));
        window.open(&mut open).collapsible(false).show(ctx, |ui| {
            let lang = self.lang;
            egui::Grid::new("settings-grid").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
                ui.label(tr(lang, "settings.language"));
                ui.horizontal(|ui| {
                    ui.radio_value(&mut draft.language, Language::En, "English");
                    ui.radio_value(&mut draft.language, Language::Ja, "日本語");
                });
                ui.end_row();
                ui.label(tr(lang, "settings.role"));
                ui.horizontal(|ui| {
                    for role in Role::ALL {
                        ui.radio_value(&mut draft.role, role, tr(lang, role_key(role).0));
                    }
                });
                ui.end_row();
                common_fields(ui, &mut draft, &mut self.user.data_dir_text, lang);
                ui.label(tr(lang, "settings.file"));
                ui.monospace(self.user.path.display().to_string());
                ui.end_row();
                ui.label(tr(lang, "settings.log_file"));
                let log = self.user.log_file.as_ref().map(|p| p.display().to_string());
                ui.monospace(log.unwrap_or_else(|| tr(lang, "settings.no_log").to_string()));
                ui.end_row();
            });
            ui.separator();
            ui.horizontal(|ui| {
                save = ui.button(tr(lang, "settings.save")).clicked();
                cancel = ui.button(tr(lang, "export.cancel")).clicked();
            });
        });
        if draft.language != before {
            self.lang = lang_of(draft.language);
        }
        if save {
            draft.data_dir = Some(PathBuf::from(self.user.data_dir_text.trim())).filter(|d| !d.as_os_str().is_empty());
            if !self.save_user_settings(draft.clone()) {
                self.user.draft = Some(draft);
            }
        } else if cancel || !open {
            self.lang = lang_of(self.user.settings.language);
        } else {
            self.user.draft = Some(draft);
        }
    }
}

/// Name, default profile and data folder (grid rows).
fn common_fields(ui: &mut egui::Ui, s: &mut UserSettings, data_dir: &mut String, lang: Lang) {
    ui.label(tr(lang, "settings.user_name"));
    let edit = ui.add(egui::TextEdit::singleline(&mut s.user_name).desired_width(320.0));
    edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, tr(lang, "settings.user_name")));
    ui.end_row();
    ui.label(tr(lang, "settings.profile"));
    let combo =
        egui::ComboBox::from_id_salt("settings-profile").selected_text(s.deid_profile.clone()).show_ui(ui, |ui| {
            for name in crate::deid::Profile::builtin_names() {
                ui.selectable_value(&mut s.deid_profile, name.to_string(), name);
            }
        });
    combo.response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, tr(lang, "settings.profile")));
    ui.end_row();
    ui.label(tr(lang, "settings.data_dir"));
    ui.horizontal(|ui| {
        let hint = crate::user_settings::default_data_dir().display().to_string();
        ui.add(egui::TextEdit::singleline(data_dir).desired_width(320.0).hint_text(hint));
        if ui.button(tr(lang, "export.choose")).clicked()
            && let Some(dir) = rfd::FileDialog::new().pick_folder()
        {
            *data_dir = dir.display().to_string();
        }
    });
    ui.end_row();
}
