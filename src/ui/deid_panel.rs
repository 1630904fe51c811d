//! De-identification review: pick the project's profile and options, and see for the current
//! instance every header decision (before → after, action, the rule behind it), with filters and
//! the list of suspicious residuals. The preview uses a throw-away vault: pseudonyms and date
//! offsets shown here are samples, not the ones an export will use.

use std::path::{Path, PathBuf};

use eframe::egui;

use crate::deid::residuals::{Residual, find_residuals, phi_needles};
use crate::deid::{Change, Deidentifier, Profile, ProfileOption, Vault};
use crate::dicom::{ForeignKind, open_dicom};

use super::i18n::{Lang, tr};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum DiffFilter {
    All,
    Changed,
    Kept,
    Removed,
    Private,
}

/// A small grid cell, elided to `max` characters with the full text on hover.
fn cell(ui: &mut egui::Ui, text: &str, max: usize, mono: bool, colour: Option<egui::Color32>) {
    let short: String = if text.chars().count() > max {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    } else {
        text.to_string()
    };
    let mut rt = egui::RichText::new(short).small();
    if mono {
        rt = rt.monospace();
    }
    if let Some(c) = colour {
        rt = rt.color(c);
    }
    let r = ui.label(rt);
    if text.chars().count() > max {
        r.on_hover_text(text);
    }
}

impl DiffFilter {
    pub fn accepts(self, c: &Change) -> bool {
        match self {
            DiffFilter::All => true,
            DiffFilter::Changed => c.changed() && c.new.is_some(),
            DiffFilter::Kept => !c.changed(),
            DiffFilter::Removed => c.new.is_none(),
            DiffFilter::Private => c.private,
        }
    }
}

pub struct DeidPanel {
    pub profile_name: String,
    pub extra_options: Vec<ProfileOption>,
    pub filter: DiffFilter,
    pub search: String,
    /// Text of the "profile file" field (a user TOML profile).
    pub profile_file: String,
    key: Option<(PathBuf, String, Vec<ProfileOption>)>,
    /// The chosen profile's own options, parsed once per profile (not every frame).
    base_options: Option<(String, Vec<ProfileOption>)>,
    pub changes: Vec<Change>,
    pub residuals: Vec<Residual>,
    error: Option<String>,
    /// The current file is a PNG/JPEG/TIFF image: no header to de-identify.
    pub foreign: Option<ForeignKind>,
}

impl Default for DeidPanel {
    fn default() -> Self {
        DeidPanel {
            profile_name: "ps315-basic".into(),
            extra_options: Vec::new(),
            filter: DiffFilter::Changed,
            search: String::new(),
            profile_file: String::new(),
            key: None,
            base_options: None,
            changes: Vec::new(),
            residuals: Vec::new(),
            error: None,
            foreign: None,
        }
    }
}

fn option_key(o: ProfileOption) -> &'static str {
    match o {
        ProfileOption::CleanPixelData => "option.clean_pixel_data",
        ProfileOption::CleanRecognizableVisualFeatures => "option.clean_visual_features",
        ProfileOption::CleanGraphics => "option.clean_graphics",
        ProfileOption::CleanStructuredContent => "option.clean_structured_content",
        ProfileOption::CleanDescriptors => "option.clean_descriptors",
        ProfileOption::RetainLongFullDates => "option.retain_full_dates",
        ProfileOption::RetainLongModifiedDates => "option.retain_modified_dates",
        ProfileOption::RetainPatientCharacteristics => "option.retain_patient_characteristics",
        ProfileOption::RetainDeviceIdentity => "option.retain_device_identity",
        ProfileOption::RetainUids => "option.retain_uids",
        ProfileOption::RetainSafePrivate => "option.retain_safe_private",
        ProfileOption::RetainInstitutionIdentity => "option.retain_institution_identity",
    }
}

impl DeidPanel {
    /// Recomputes the preview for `path` under the current profile (cached per file and profile).
    pub fn refresh(&mut self, path: &Path) {
        let key = (path.to_path_buf(), self.profile_name.clone(), self.extra_options.clone());
        if self.key.as_ref() == Some(&key) {
            return;
        }
        self.key = Some(key);
        self.changes.clear();
        self.residuals.clear();
        self.error = None;
        self.foreign = ForeignKind::of_file(path).filter(|_| open_dicom(path, true).is_err());
        if self.foreign.is_some() {
            return;
        }
        let result = (|| -> Result<(Vec<Change>, Vec<Residual>), String> {
            let profile =
                Profile::load(&self.profile_name).map_err(|e| e.to_string())?.with_options(&self.extra_options);
            let vault = Vault::in_memory();
            let deid = Deidentifier::new(&profile, &vault)?;
            let original = open_dicom(path, true).map_err(|e| e.to_string())?.obj.into_inner();
            let mut output = original.clone();
            let changes = deid.apply(&mut output).map_err(|e| e.to_string())?;
            Ok((changes, find_residuals(&phi_needles(&original), &output)))
        })();
        match result {
            Ok((c, r)) => (self.changes, self.residuals) = (c, r),
            Err(e) => self.error = Some(e),
        }
    }

    fn visible(&self, c: &Change) -> bool {
        let pass = self.filter.accepts(c);
        let q = self.search.to_lowercase();
        pass && (q.is_empty()
            || [&c.path, &c.name, &c.original, &c.reason].iter().any(|s| s.to_lowercase().contains(&q)))
    }

    /// Draws the panel; returns the newly chosen profile name when the user changes it.
    pub fn ui(&mut self, ui: &mut egui::Ui, path: Option<&Path>, lang: Lang) -> Option<String> {
        ui.heading(tr(lang, "deid.title"));
        let mut chosen = None;
        ui.horizontal(|ui| {
            egui::ComboBox::from_label(tr(lang, "deid.profile")).selected_text(&self.profile_name).show_ui(ui, |ui| {
                for name in Profile::builtin_names() {
                    if ui.selectable_label(self.profile_name == name, name).clicked() && self.profile_name != name {
                        self.profile_name = name.to_string();
                        chosen = Some(name.to_string());
                    }
                }
            });
        });
        ui.horizontal(|ui| {
            let label = ui.label(tr(lang, "deid.profile_file"));
            ui.add(
                egui::TextEdit::singleline(&mut self.profile_file).desired_width(280.0).hint_text("/path/profile.toml"),
            )
            .labelled_by(label.id);
            if ui.button(tr(lang, "dialog.open")).clicked() && !self.profile_file.trim().is_empty() {
                let file = self.profile_file.trim().to_string();
                match Profile::load(&file) {
                    Ok(_) => {
                        self.profile_name = file.clone();
                        chosen = Some(file);
                    }
                    Err(e) => self.error = Some(e.to_string()),
                }
            }
        });
        egui::CollapsingHeader::new(tr(lang, "deid.options")).show(ui, |ui| {
            if self.base_options.as_ref().map(|(n, _)| n) != Some(&self.profile_name) {
                let options = Profile::load(&self.profile_name).map(|p| p.options).unwrap_or_default();
                self.base_options = Some((self.profile_name.clone(), options));
            }
            let base = self.base_options.as_ref().map(|(_, o)| o.clone()).unwrap_or_default();
            for o in ProfileOption::ALL {
                let mut on = base.contains(&o) || self.extra_options.contains(&o);
                let locked = base.contains(&o);
                if ui.add_enabled(!locked, egui::Checkbox::new(&mut on, tr(lang, option_key(o)))).changed() {
                    if on {
                        self.extra_options.push(o)
                    } else {
                        self.extra_options.retain(|x| *x != o)
                    }
                    self.extra_options.sort();
                }
            }
        });
        let Some(path) = path else {
            ui.weak(tr(lang, "tags.none"));
            return chosen;
        };
        self.refresh(path);
        ui.label(egui::RichText::new(tr(lang, "deid.preview_note")).small().weak());
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if let Some(kind) = self.foreign {
            ui.label(format!("{} {}", kind.name(), tr(lang, "deid.foreign")));
            return chosen;
        }
        if self.residuals.is_empty() {
            ui.label(egui::RichText::new(tr(lang, "deid.no_residuals")).small());
        } else {
            egui::CollapsingHeader::new(
                egui::RichText::new(format!("! {} ({})", tr(lang, "deid.residuals"), self.residuals.len()))
                    .color(ui.visuals().warn_fg_color),
            )
            .default_open(true)
            .show(ui, |ui| {
                for r in &self.residuals {
                    ui.label(
                        egui::RichText::new(format!(
                            "{} {}: \"{}\" ← {} \"{}\"",
                            r.path, r.name, r.value, r.kind, r.matched
                        ))
                        .small(),
                    );
                }
            });
        }
        ui.horizontal(|ui| {
            for (f, key) in [
                (DiffFilter::Changed, "deid.filter_changed"),
                (DiffFilter::Removed, "deid.filter_removed"),
                (DiffFilter::Kept, "deid.filter_kept"),
                (DiffFilter::Private, "deid.filter_private"),
                (DiffFilter::All, "deid.filter_all"),
            ] {
                let n = self.changes.iter().filter(|c| f.accepts(c)).count();
                ui.selectable_value(&mut self.filter, f, format!("{} {n}", tr(lang, key)));
            }
        });
        ui.horizontal(|ui| {
            let label = ui.label(tr(lang, "tags.filter"));
            ui.text_edit_singleline(&mut self.search).labelled_by(label.id);
        });
        let rows: Vec<&Change> = self.changes.iter().filter(|c| self.visible(c)).collect();
        let row_h = egui::TextStyle::Body.resolve(ui.style()).size + 6.0;
        let empty = tr(lang, "deid.empty");
        let removed = tr(lang, "deid.removed");
        let header = [
            tr(lang, "tags.tag"),
            tr(lang, "tags.name"),
            tr(lang, "deid.col_original"),
            tr(lang, "deid.col_new"),
            tr(lang, "deid.col_action"),
            tr(lang, "deid.col_reason"),
        ];
        egui::ScrollArea::both().auto_shrink([false, false]).show_rows(ui, row_h, rows.len() + 1, |ui, range| {
            egui::Grid::new("deid-diff").striped(true).num_columns(6).show(ui, |ui| {
                if range.start == 0 {
                    for h in header {
                        ui.label(egui::RichText::new(h).small().strong());
                    }
                    ui.end_row();
                }
                for c in &rows[range.start.saturating_sub(1)..range.end.saturating_sub(1).min(rows.len())] {
                    let colour = if c.new.is_none() {
                        ui.visuals().error_fg_color
                    } else if c.changed() {
                        ui.visuals().warn_fg_color
                    } else {
                        ui.visuals().weak_text_color()
                    };
                    let new = match c.new.as_deref() {
                        None => removed,
                        Some("") => empty,
                        Some(v) => v,
                    };
                    cell(ui, &c.path, 30, true, None);
                    cell(ui, &c.name, 28, false, None);
                    cell(ui, if c.original.is_empty() { empty } else { &c.original }, 26, false, None);
                    cell(ui, new, 26, false, Some(colour));
                    cell(ui, &c.action, 12, false, Some(colour));
                    cell(ui, &c.reason, 56, false, None);
                    ui.end_row();
                }
            });
        });
        chosen
    }
}
