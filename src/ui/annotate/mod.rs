//! Annotate mode: the current label layer drawn over every MPR viewport, painting tools bound to
//! the primary button (brush, eraser, region grow), the label table with live statistics, undo
//! and redo. One drag is one stroke is one committed edit; the layer and its undo history come
//! back when the project and series are opened again. Blind mode hides the patient's identity.

mod compare;
mod layer;
mod overlay;
mod paint;
mod panel;
pub mod review;
pub mod strings;
pub mod strings_review;

use std::path::{Path, PathBuf};

use eframe::egui;

use crate::annotate::measure::LabelStats;
use crate::project::annotations::Label;
use crate::project::{Project, ProjectError, default_actor};

use super::app::SumiApp;
use super::i18n::tr;

pub use layer::Layer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// The primary button moves the crosshair as outside the mode.
    Navigate,
    Brush,
    Eraser,
    Grow,
}

/// How a viewport draws the layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    Fill,
    Outline,
}

pub struct Annotate {
    pub open: bool,
    pub tool: Tool,
    pub radius_mm: f64,
    pub sphere: bool,
    /// Paint only where the image value is in `range`.
    pub threshold: bool,
    /// Value range for threshold painting and region growing (modality units); set from the
    /// window when first needed.
    pub range: Option<(f64, f64)>,
    pub grow_3d: bool,
    /// The label the brush and region grow write.
    pub active: u8,
    pub labels: Vec<Label>,
    pub layer: Option<Layer>,
    pub styles: [Style; 4],
    pub opacity: f32,
    /// Per-label statistics of the layer (recomputed after each edit).
    pub stats: Vec<LabelStats>,
    stats_revision: Option<u64>,
    /// Hide patient name, ID, birth date and accession (project setting `annotate.blind`).
    pub blind: bool,
    pub message: Option<String>,
    stroke: Option<paint::Stroke>,
    overlays: [overlay::Cached; 4],
    /// The project connection the mode writes through, and the project whose settings were read.
    db: Option<Project>,
    project_seen: Option<PathBuf>,
    /// Layer choice and sign-off (review section) and agreement with a second layer.
    pub review: review::ReviewState,
    pub compare: compare::Compare,
}

impl Default for Annotate {
    fn default() -> Annotate {
        Annotate {
            open: false,
            tool: Tool::Brush,
            radius_mm: 5.0,
            sphere: false,
            threshold: false,
            range: None,
            grow_3d: false,
            active: 1,
            labels: Vec::new(),
            layer: None,
            styles: [Style::Fill; 4],
            opacity: 0.45,
            stats: Vec::new(),
            stats_revision: None,
            blind: false,
            message: None,
            stroke: None,
            overlays: Default::default(),
            db: None,
            project_seen: None,
            review: Default::default(),
            compare: Default::default(),
        }
    }
}

impl Annotate {
    /// The open project's connection (kept while the project stays the same).
    fn db(&mut self, file: Option<&Path>) -> Option<Result<&mut Project, ProjectError>> {
        let file = file?;
        if self.db.as_ref().is_none_or(|p| Path::new(&p.path) != file) {
            match Project::open(file) {
                Ok(p) => self.db = Some(p),
                Err(e) => return Some(Err(e)),
            }
        }
        self.db.as_mut().map(Ok)
    }

    /// Labels the tools must not overwrite.
    pub fn locked(&self) -> Vec<u8> {
        self.labels.iter().filter(|l| l.locked).map(|l| l.value).collect()
    }

    /// Default colours for new labels (distinct on a grey image).
    pub fn next_label(&self) -> Label {
        const COLOURS: [&str; 8] =
            ["#ff4040", "#40d040", "#4080ff", "#ffd030", "#d040ff", "#30e0e0", "#ff9030", "#ff70b0"];
        let value = (1..=255u8).find(|v| self.labels.iter().all(|l| l.value != *v)).unwrap_or(255);
        Label {
            value,
            name: format!("Label {value}"),
            colour: COLOURS[usize::from(value - 1) % COLOURS.len()].into(),
            code: None,
            visible: true,
            locked: false,
        }
    }
}

/// View menu entries: the mode and blind mode.
pub fn menu_items(ui: &mut egui::Ui, app: &mut SumiApp) {
    let lang = app.lang;
    let mut open = app.annotate.open;
    if ui.checkbox(&mut open, tr(lang, "menu.annotate")).changed() {
        set_open(app, open);
    }
    let mut blind = app.annotate.blind;
    if ui.checkbox(&mut blind, tr(lang, "menu.blind")).changed() {
        set_blind(app, blind);
    }
}

/// Enters or leaves annotate mode.
pub fn set_open(app: &mut SumiApp, open: bool) {
    app.annotate.open = open;
    app.annotate.stroke = None;
    if open && app.review.open {
        app.set_review(false);
    }
}

/// Turns blind mode on or off and stores it in the project.
pub fn set_blind(app: &mut SumiApp, blind: bool) {
    app.annotate.blind = blind;
    app.viewer.blind = blind;
    let project = app.project.clone();
    if let Some(Err(e)) = app
        .annotate
        .db(project.as_deref())
        .map(|r| r.and_then(|p| p.set_setting("annotate.blind", if blind { "yes" } else { "no" }, &default_actor())))
    {
        app.problems.push(e.to_string());
    }
}

/// Per frame, before the central panel: project settings, the layer of the open series, keys
/// and the side panel.
pub fn frame(ui: &mut egui::Ui, app: &mut SumiApp) {
    if app.project != app.annotate.project_seen {
        project_changed(app);
    }
    app.viewer.annotate_mode = app.annotate.open && app.annotate.tool != Tool::Navigate;
    if !app.annotate.open {
        return;
    }
    layer::sync(app);
    panel::keys(ui.ctx(), app);
    panel::refresh_stats(app);
    egui::Panel::right("annotate").resizable(true).default_size(340.0).show(ui, |ui| panel::panel(ui, app));
}

/// Inside the central panel, after the viewports: overlays, cursor and the tools.
pub fn viewports(ui: &mut egui::Ui, app: &mut SumiApp, viewports: &[(usize, egui::Rect, egui::Response)]) {
    if !app.annotate.open {
        return;
    }
    paint::input(ui, app, viewports);
    if !compare::draw(ui, app, viewports) {
        overlay::draw(ui, app, viewports);
    }
    paint::cursor(ui, app, viewports);
}

/// A new (or no) project: blind mode and the label table are read from it; the layer reloads.
fn project_changed(app: &mut SumiApp) {
    let a = &mut app.annotate;
    a.project_seen = app.project.clone();
    a.db = None;
    a.layer = None;
    a.labels.clear();
    a.review = Default::default();
    a.compare = Default::default();
    let Some(Ok(db)) = a.db(app.project.as_deref()) else { return };
    let blind = db.setting("annotate.blind").ok().flatten().is_some_and(|v| v == "yes");
    let labels = db.labels();
    match labels {
        Ok(labels) => a.labels = labels,
        Err(e) => app.problems.push(e.to_string()),
    }
    a.blind = blind;
    app.viewer.blind = blind;
    if let Some(l) = a.labels.first()
        && a.labels.iter().all(|x| x.value != a.active)
    {
        a.active = l.value;
    }
}

/// Stores a changed label row (audited by the project).
pub(super) fn save_label(app: &mut SumiApp, label: Label) {
    if let Some(i) = app.annotate.labels.iter().position(|l| l.value == label.value) {
        app.annotate.labels[i] = label.clone();
    } else {
        app.annotate.labels.push(label.clone());
        app.annotate.labels.sort_by_key(|l| l.value);
    }
    let project = app.project.clone();
    if let Some(Err(e)) =
        app.annotate.db(project.as_deref()).map(|r| r.and_then(|p| p.save_label(&label, &default_actor())))
    {
        app.problems.push(e.to_string());
    }
}

/// `#rrggbb` → colour (grey when malformed).
pub(super) fn parse_colour(s: &str) -> egui::Color32 {
    let hex = s.trim_start_matches('#');
    let byte = |i: usize| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok());
    match (byte(0), byte(2), byte(4)) {
        (Some(r), Some(g), Some(b)) if hex.len() == 6 => egui::Color32::from_rgb(r, g, b),
        _ => egui::Color32::GRAY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_colours_parse_from_hex_and_bad_ones_fall_back_to_grey() {
        assert_eq!(parse_colour("#ff4010"), egui::Color32::from_rgb(255, 64, 16));
        assert_eq!(parse_colour("#ff40"), egui::Color32::GRAY);
        assert_eq!(parse_colour("#gg0000"), egui::Color32::GRAY);
    }

    #[test]
    fn new_labels_take_the_first_free_value() {
        let mut a = Annotate::default();
        assert_eq!(a.next_label().value, 1);
        a.labels = vec![a.next_label()];
        a.labels.push(Label { value: 3, ..a.next_label() });
        assert_eq!(a.next_label().value, 2);
    }
}
