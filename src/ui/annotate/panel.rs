//! The annotation side panel (layer, undo/redo, tools, display, label table with live
//! statistics) and the mode's keyboard shortcuts.

use eframe::egui::{self, Key, Modifiers};

use crate::annotate::measure::label_stats;
use crate::volume::Plane;

use super::super::app::SumiApp;
use super::super::i18n::tr;
use super::{Style, Tool, layer, paint, parse_colour, save_label};

/// Ctrl+Z undo, Ctrl+Shift+Z / Ctrl+Y redo, [ ] brush size, N B E G P F tools; Enter, Esc and
/// Backspace while a contour is drawn (not while typing).
pub(super) fn keys(ctx: &egui::Context, app: &mut SumiApp) {
    if ctx.egui_wants_keyboard_input() {
        return;
    }
    let volume = app.viewer.loaded.as_ref().and_then(|l| l.volume.clone());
    super::outline::keys(ctx, app, volume.as_deref());
    let (redo, undo, smaller, larger, tool) = ctx.input_mut(|i| {
        let redo =
            i.consume_key(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z) || i.consume_key(Modifiers::COMMAND, Key::Y);
        let undo = i.consume_key(Modifiers::COMMAND, Key::Z);
        let tool = [
            (Key::N, Tool::Navigate),
            (Key::B, Tool::Brush),
            (Key::E, Tool::Eraser),
            (Key::G, Tool::Grow),
            (Key::P, Tool::Polygon),
            (Key::F, Tool::Freehand),
        ]
        .into_iter()
        .find(|(k, _)| i.consume_key(Modifiers::NONE, *k))
        .map(|(_, t)| t);
        (redo, undo, i.key_pressed(Key::OpenBracket), i.key_pressed(Key::CloseBracket), tool)
    });
    if redo {
        layer::undo(app, true);
    } else if undo {
        layer::undo(app, false);
    }
    let a = &mut app.annotate;
    if smaller {
        a.radius_mm = (a.radius_mm / 1.25).max(0.5);
    }
    if larger {
        a.radius_mm = (a.radius_mm * 1.25).min(100.0);
    }
    if let Some(t) = tool {
        a.tool = t;
    }
}

/// Recomputes the per-label statistics after an edit (not during a stroke). Cost follows the
/// labelled slices only (`label_stats` skips empty ones).
pub(super) fn refresh_stats(app: &mut SumiApp) {
    let a = &mut app.annotate;
    let Some(layer) = &a.layer else { return };
    if a.stroke.is_some() || a.stats_revision == Some(layer.revision) {
        return;
    }
    let Some(volume) = app.viewer.loaded.as_ref().and_then(|l| l.volume.as_ref()) else { return };
    if volume.geometry.dims != layer.map.dims() {
        return;
    }
    a.stats = label_stats(volume, &layer.map);
    a.stats_revision = Some(layer.revision);
}

pub(super) fn panel(ui: &mut egui::Ui, app: &mut SumiApp) {
    let lang = app.lang;
    ui.heading(tr(lang, "annot.title"));
    if app.project.is_none() {
        ui.colored_label(ui.visuals().warn_fg_color, tr(lang, "annot.need_project"));
    }
    if app.viewer.loaded.as_ref().is_none_or(|l| l.volume.is_none()) {
        ui.label(tr(lang, "annot.need_volume"));
    }
    egui::ScrollArea::vertical().show(ui, |ui| {
        layer_section(ui, app);
        ui.separator();
        tool_section(ui, app);
        ui.separator();
        cleanup_section(ui, app);
        ui.separator();
        display_section(ui, app);
        ui.separator();
        label_section(ui, app);
        ui.separator();
        super::markup_list::section(ui, app);
        ui.separator();
        super::compare::section(ui, app);
        ui.separator();
        super::findings::section(ui, app);
    });
}

fn layer_section(ui: &mut egui::Ui, app: &mut SumiApp) {
    let lang = app.lang;
    let (can_undo, can_redo) = match &app.annotate.layer {
        Some(l) => (l.history.can_undo(), l.history.can_redo()),
        None => (false, false),
    };
    super::review::section(ui, app);
    ui.horizontal(|ui| {
        if ui
            .add_enabled(can_undo, egui::Button::new(tr(lang, "annot.undo")))
            .on_hover_text(tr(lang, "annot.undo_tip"))
            .clicked()
        {
            layer::undo(app, false);
        }
        if ui
            .add_enabled(can_redo, egui::Button::new(tr(lang, "annot.redo")))
            .on_hover_text(tr(lang, "annot.redo_tip"))
            .clicked()
        {
            layer::undo(app, true);
        }
    });
}

fn tool_section(ui: &mut egui::Ui, app: &mut SumiApp) {
    let lang = app.lang;
    let window = paint::window_range(app);
    let a = &mut app.annotate;
    ui.label(tr(lang, "annot.tool"));
    ui.horizontal_wrapped(|ui| {
        for (tool, key, tip) in [
            (Tool::Navigate, "annot.navigate", "annot.navigate_tip"),
            (Tool::Brush, "annot.brush", "annot.brush_tip"),
            (Tool::Eraser, "annot.eraser", "annot.eraser_tip"),
            (Tool::Grow, "annot.grow", "annot.grow_tip"),
            (Tool::Point, "annot.point", "annot.point_tip"),
            (Tool::Line, "annot.line", "annot.line_tip"),
            (Tool::Angle, "annot.angle", "annot.angle_tip"),
            (Tool::Box, "annot.box", "annot.box_tip"),
            (Tool::Polygon, "annot.polygon", "annot.polygon_tip"),
            (Tool::Freehand, "annot.freehand", "annot.freehand_tip"),
        ] {
            if ui.selectable_label(a.tool == tool, tr(lang, key)).on_hover_text(tr(lang, tip)).clicked() {
                a.tool = tool;
            }
        }
    });
    ui.horizontal(|ui| {
        ui.label(tr(lang, "annot.size"));
        ui.add(egui::Slider::new(&mut a.radius_mm, 0.5..=100.0).logarithmic(true).max_decimals(1))
            .on_hover_text(tr(lang, "annot.size_tip"));
    });
    ui.checkbox(&mut a.sphere, tr(lang, "annot.sphere")).on_hover_text(tr(lang, "annot.sphere_tip"));
    ui.checkbox(&mut a.contour_erase, tr(lang, "annot.contour_erase"))
        .on_hover_text(tr(lang, "annot.contour_erase_tip"));
    ui.checkbox(&mut a.threshold, tr(lang, "annot.threshold"));
    ui.checkbox(&mut a.grow_3d, tr(lang, "annot.grow_3d"));
    let range = a.range.get_or_insert(window);
    ui.horizontal(|ui| {
        ui.label(tr(lang, "annot.range"));
        ui.add(egui::DragValue::new(&mut range.0).speed(1.0));
        ui.label("–");
        ui.add(egui::DragValue::new(&mut range.1).speed(1.0));
        if ui.small_button(tr(lang, "annot.from_window")).clicked() {
            *range = window;
        }
    });
}

/// The voxel axis "Interpolate slices" works along: the one across the active slice viewport
/// (the acquisition axis when the active viewport is the 3D one), with the plane's name.
fn interpolation_axis(app: &SumiApp) -> (usize, &'static str) {
    let vp = app.viewer.active;
    let axis = if app.viewer.is_3d(vp) {
        None
    } else {
        app.viewer
            .viewport_rects
            .iter()
            .find(|(v, _)| *v == vp)
            .and_then(|(v, r)| paint::Mapper::new(app, *v, *r))
            .map(|m| m.flat_axis())
    };
    let plane = match app.viewer.views.get(vp).map(|v| v.plane) {
        _ if axis.is_none() => "annot.acquisition",
        Some(Plane::Axial) => "viewer.axial",
        Some(Plane::Coronal) => "viewer.coronal",
        Some(Plane::Sagittal) => "viewer.sagittal",
        _ => "viewer.native",
    };
    (axis.unwrap_or(2), plane)
}

/// Operations on the active label over the whole layer, each one undo step: keep the largest
/// island, fill holes, smooth (ball in mm), interpolate between annotated slices.
fn cleanup_section(ui: &mut egui::Ui, app: &mut SumiApp) {
    let lang = app.lang;
    ui.label(tr(lang, "annot.cleanup"));
    let label = app.annotate.active;
    let locked = app.annotate.locked();
    let spacing = app.viewer.loaded.as_ref().map_or([1.0; 3], |l| l.plan.geometry.spacing());
    let mut done = None;
    ui.horizontal_wrapped(|ui| {
        if ui.button(tr(lang, "annot.keep_largest")).on_hover_text(tr(lang, "annot.keep_largest_tip")).clicked() {
            done = Some((
                "annot.keep_largest",
                layer::operate(app, "keep-largest", |map, rec| {
                    crate::annotate::morph::keep_largest_island(map, rec, label)
                }),
            ));
        }
        if ui.button(tr(lang, "annot.fill_holes")).on_hover_text(tr(lang, "annot.fill_holes_tip")).clicked() {
            done = Some((
                "annot.fill_holes",
                layer::operate(app, "fill-holes", |map, rec| crate::annotate::morph::fill_holes(map, rec, label)),
            ));
        }
    });
    ui.horizontal(|ui| {
        let radius = app.annotate.smooth_mm;
        if ui.button(tr(lang, "annot.smooth")).on_hover_text(tr(lang, "annot.smooth_tip")).clicked() {
            done = Some((
                "annot.smooth",
                layer::operate(app, "smooth", |map, rec| {
                    crate::annotate::morph_smooth::smooth_label(map, rec, label, radius, spacing, &locked)
                }),
            ));
        }
        ui.add(egui::DragValue::new(&mut app.annotate.smooth_mm).range(0.5..=20.0).speed(0.1).suffix(" mm"))
            .on_hover_text(tr(lang, "annot.smooth_radius"));
    });
    let (axis, plane) = interpolation_axis(app);
    ui.horizontal(|ui| {
        let tip = format!("{} ({}: {})", tr(lang, "annot.interpolate_tip"), tr(lang, "annot.across"), tr(lang, plane));
        if ui.button(tr(lang, "annot.interpolate")).on_hover_text(tip).clicked() {
            done = Some((
                "annot.interpolate",
                layer::operate(app, "interpolate", |map, rec| {
                    crate::annotate::interpolate::interpolate_slices(map, rec, label, axis, spacing, &locked)
                }),
            ));
        }
        ui.weak(format!("{}: {}", tr(lang, "annot.across"), tr(lang, plane)));
    });
    if let Some((what, Some(n))) = done {
        let why = if n == 0 && locked.contains(&label) { tr(lang, "annot.label_locked") } else { "" };
        app.annotate.message = Some(format!("{}: {n} {} {why}", tr(lang, what), tr(lang, "annot.voxels_changed")));
    }
    // The result shows with the mode's other messages at the top of the panel.
}

fn display_section(ui: &mut egui::Ui, app: &mut SumiApp) {
    let lang = app.lang;
    ui.label(tr(lang, "annot.display"));
    let planes = ["viewer.axial", "viewer.coronal", "viewer.sagittal", "viewer.native"];
    let a = &mut app.annotate;
    egui::Grid::new("annot-styles").num_columns(3).show(ui, |ui| {
        for (vp, plane) in planes.iter().enumerate() {
            ui.label(tr(lang, plane));
            ui.radio_value(&mut a.styles[vp], Style::Fill, tr(lang, "annot.fill"));
            ui.radio_value(&mut a.styles[vp], Style::Outline, tr(lang, "annot.outline"));
            ui.end_row();
        }
    });
    ui.horizontal(|ui| {
        ui.label(tr(lang, "annot.opacity"));
        ui.add(egui::Slider::new(&mut a.opacity, 0.05..=1.0));
    });
}

fn label_section(ui: &mut egui::Ui, app: &mut SumiApp) {
    let lang = app.lang;
    ui.horizontal(|ui| {
        ui.label(tr(lang, "annot.labels"));
        if ui.button(tr(lang, "annot.add_label")).clicked() {
            let l = app.annotate.next_label();
            app.annotate.active = l.value;
            save_label(app, l);
        }
    });
    let mut changed = Vec::new();
    let mut deleted = None;
    for label in app.annotate.labels.clone() {
        let mut l = label.clone();
        let stats = app.annotate.stats.iter().find(|s| s.label == l.value).cloned();
        ui.horizontal(|ui| {
            ui.radio_value(&mut app.annotate.active, l.value, l.value.to_string())
                .on_hover_text(tr(lang, "annot.active"));
            ui.checkbox(&mut l.visible, tr(lang, "annot.visible"));
            let mut c = parse_colour(&l.colour);
            if ui.color_edit_button_srgba(&mut c).changed() {
                l.colour = format!("#{:02x}{:02x}{:02x}", c.r(), c.g(), c.b());
            }
            if let Some(name) = draft_field(ui, ("name", l.value), &l.name, 110.0, tr(lang, "annot.name"))
                && !name.trim().is_empty()
            {
                l.name = name.trim().to_string();
            }
            ui.checkbox(&mut l.locked, tr(lang, "annot.locked"));
            if ui.small_button(tr(lang, "annot.delete")).on_hover_text(tr(lang, "annot.delete_label")).clicked() {
                deleted = Some(l.value);
            }
        });
        if let Some(s) = &stats {
            ui.weak(format!(
                "    {} {}  {:.2} mL  {} {:.1} {} {:.1} {} {:.0} {} {:.0}",
                s.voxels,
                tr(lang, "annot.voxels"),
                s.volume_ml,
                tr(lang, "annot.mean"),
                s.mean,
                tr(lang, "annot.sd"),
                s.sd,
                tr(lang, "annot.min"),
                s.min,
                tr(lang, "annot.max"),
                s.max
            ));
        }
        egui::CollapsingHeader::new(tr(lang, "annot.code")).id_salt(("code", l.value)).show(ui, |ui| {
            let code = l.code.clone().unwrap_or_default();
            let mut parts = [code.0, code.1, code.2];
            let mut done = false;
            for (i, key) in ["annot.code_value", "annot.code_scheme", "annot.code_meaning"].into_iter().enumerate() {
                ui.horizontal(|ui| {
                    ui.label(tr(lang, key));
                    if let Some(t) = draft_field(ui, (key, l.value), &parts[i], 160.0, tr(lang, key)) {
                        parts[i] = t.trim().to_string();
                        done = true;
                    }
                });
            }
            if done {
                let [v, s, m] = parts;
                l.code = (!v.is_empty() && !s.is_empty() && !m.is_empty()).then_some((v, s, m));
            }
        });
        if l != label {
            changed.push(l);
        }
    }
    for l in changed {
        save_label(app, l);
    }
    if let Some(value) = deleted {
        super::delete_label(app, value);
    }
}

/// A text field whose edits are kept as a draft until it loses focus; returns the text then.
pub(super) fn draft_field(
    ui: &mut egui::Ui,
    salt: impl std::hash::Hash + std::fmt::Debug,
    current: &str,
    width: f32,
    label: &str,
) -> Option<String> {
    let id = ui.make_persistent_id(salt);
    let mut text = ui.data(|d| d.get_temp::<String>(id)).unwrap_or_else(|| current.to_string());
    let edit = ui.add(egui::TextEdit::singleline(&mut text).id(id.with("edit")).desired_width(width));
    edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, label));
    if edit.lost_focus() {
        ui.data_mut(|d| d.remove::<String>(id));
        return Some(text);
    }
    if edit.has_focus() {
        ui.data_mut(|d| d.insert_temp(id, text));
    }
    None
}
