//! Annotate mode: the current label layer drawn over every MPR viewport, painting tools bound to
//! the primary button (brush, eraser, region grow), the label table with live statistics, undo
//! and redo. One drag is one stroke is one committed edit; the layer and its undo history come
//! back when the project and series are opened again. Blind mode hides the patient's identity.

mod compare;
mod findings;
mod layer;
mod markup_list;
pub mod markups;
mod outline;
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
    /// Measurement markups (see `markups`): a click places a point.
    Point,
    /// A drag draws a line.
    Line,
    /// A drag along the first arm to the vertex, then a click ends the second arm.
    Angle,
    /// A drag draws a box on the slice (its depth is set in the panel).
    Box,
    /// Click points of a polygon; closing it fills (or erases) the inside.
    Polygon,
    /// A drag outlines a contour; the release fills (or erases) the inside.
    Freehand,
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
    /// The contour tools erase (unlocked labels) instead of filling; Shift does the same.
    pub contour_erase: bool,
    /// Ball radius of "Smooth", mm.
    pub smooth_mm: f64,
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
    /// Measurement markups of the open series.
    pub markups: markups::Markups,
    /// The polygon or freehand contour being drawn.
    draft: Option<outline::Draft>,
    overlays: [overlay::Cached; 4],
    /// The project connection the mode writes through, and the project whose settings were read.
    db: Option<Project>,
    project_seen: Option<PathBuf>,
    /// Layer choice and sign-off (review section) and agreement with a second layer.
    pub review: review::ReviewState,
    pub compare: compare::Compare,
    /// The Findings section's form and the open study's findings.
    pub findings: findings::FindingsUi,
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
            contour_erase: false,
            smooth_mm: 1.5,
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
            markups: Default::default(),
            draft: None,
            overlays: Default::default(),
            db: None,
            project_seen: None,
            review: Default::default(),
            compare: Default::default(),
            findings: Default::default(),
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
    app.annotate.draft = None;
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
    // A double click closes a polygon rather than maximising the viewport.
    app.viewer.double_click_taken = app.viewer.annotate_mode && app.annotate.tool == Tool::Polygon;
    if !app.annotate.open {
        return;
    }
    if !matches!(app.annotate.tool, Tool::Polygon | Tool::Freehand) {
        app.annotate.draft = None;
    }
    layer::sync(app);
    markups::sync(app);
    panel::keys(ui.ctx(), app);
    markups::keys(ui.ctx(), app);
    panel::refresh_stats(app);
    egui::Panel::right("annotate").resizable(true).default_size(340.0).show(ui, |ui| panel::panel(ui, app));
}

/// Inside the central panel, after the viewports: overlays, cursor and the tools.
pub fn viewports(ui: &mut egui::Ui, app: &mut SumiApp, viewports: &[(usize, egui::Rect, egui::Response)]) {
    if !app.annotate.open {
        return;
    }
    paint::input(ui, app, viewports);
    markups::input(ui, app, viewports);
    if !compare::draw(ui, app, viewports) {
        overlay::draw(ui, app, viewports);
    }
    markups::draw(ui, app, viewports);
    paint::cursor(ui, app, viewports);
    outline::draw(ui, app, viewports);
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
    a.findings = Default::default();
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

/// Stores a new or changed label row (audited by the project) as a step of the layer's undo
/// history.
pub(super) fn save_label(app: &mut SumiApp, label: Label) {
    let before = app.annotate.labels.iter().find(|l| l.value == label.value).cloned();
    label_step(app, label.value, before, Some(label));
}

/// Removes a label row (its voxels stay; undo brings the row back).
pub(super) fn delete_label(app: &mut SumiApp, value: u8) {
    let before = app.annotate.labels.iter().find(|l| l.value == value).cloned();
    if before.is_some() {
        label_step(app, value, before, None);
    }
}

/// Puts a label row's state into the table shown (`None`: removes it), as undo and redo do.
pub(super) fn set_label_state(app: &mut SumiApp, value: u8, state: Option<&Label>) {
    let labels = &mut app.annotate.labels;
    labels.retain(|l| l.value != value);
    if let Some(l) = state {
        labels.push(l.clone());
        labels.sort_by_key(|l| l.value);
    }
}

fn label_step(app: &mut SumiApp, value: u8, before: Option<Label>, after: Option<Label>) {
    set_label_state(app, value, after.as_ref());
    let project = app.project.clone();
    let series = app.annotate.layer.as_ref().map(|l| l.series_uid.clone());
    let me = default_actor();
    let a = &mut app.annotate;
    let step = match (a.db(project.as_deref()), &series, &after) {
        (None, _, _) => Ok(a.layer.as_mut().map(|l| l.next_local_id())),
        (Some(Err(e)), _, _) => Err(e),
        (Some(Ok(db)), Some(uid), Some(l)) => db.edit_label(l, uid, &me).map(Some),
        (Some(Ok(db)), Some(uid), None) => db.delete_label(value, uid, &me).map(Some),
        // No series open: the change is stored without an undo step.
        (Some(Ok(db)), None, Some(l)) => db.save_label(l, &me).map(|_| None),
        (Some(Ok(_)), None, None) => Ok(None),
    };
    match step {
        Ok(Some(id)) => {
            if let Some(layer) = app.annotate.layer.as_mut() {
                layer.history.push(id, crate::annotate::Step::Label { before, after });
                layer.revision += 1;
            }
        }
        Ok(None) => {}
        Err(e) => {
            set_label_state(app, value, before.as_ref());
            app.problems.push(e.to_string());
        }
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
