//! The toolbar: layout, W/L presets, invert, cine playback, reset.

use eframe::egui;

use crate::volume::SeriesKind;
use crate::volume::stats::{auto_window, presets_for};

use super::app::Layout;
use super::i18n::{Lang, tr};
use super::viewer::Viewer;

/// Layouts with their i18n keys (toolbar and View menu).
pub const LAYOUTS: [(Layout, &str); 4] = [
    (Layout::One, "layout.1x1"),
    (Layout::OneByThree, "layout.1x3"),
    (Layout::TwoByTwo, "layout.2x2"),
    (Layout::ThreeD, "layout.3d"),
];

pub fn toolbar(ui: &mut egui::Ui, v: &mut Viewer, lang: Lang) {
    ui.horizontal(|ui| {
        for (layout, key) in LAYOUTS {
            if ui.selectable_label(v.layout == layout && v.maximized.is_none(), tr(lang, key)).clicked() {
                v.set_layout(layout);
            }
        }
        ui.separator();
        ui.label(tr(lang, "toolbar.window"));
        let modality = v.loaded.as_ref().map(|l| l.plan.modality.clone()).unwrap_or_default();
        for p in presets_for(&modality) {
            if ui.small_button(tr(lang, p.key)).on_hover_text(format!("W {} / L {}", p.width, p.center)).clicked() {
                v.window = (p.center, p.width);
                v.window_set_by_user = true;
            }
        }
        let header = v.loaded.as_ref().and_then(|l| l.plan.window);
        if let Some(w) = header
            && ui.small_button(tr(lang, "toolbar.header")).clicked()
        {
            v.window = w;
        }
        let volume = v.loaded.as_ref().and_then(|l| l.volume.clone());
        if let Some(vol) = volume
            && ui.small_button(tr(lang, "toolbar.auto")).clicked()
        {
            v.window = auto_window(&vol);
            v.window_set_by_user = true;
        }
        ui.checkbox(&mut v.invert, tr(lang, "toolbar.invert"));
        use crate::render::mpr::ColourMap;
        let name = |m: ColourMap| match m {
            ColourMap::Grey => tr(lang, "colourmap.grey"),
            ColourMap::HotIron => tr(lang, "colourmap.hot"),
            ColourMap::Rainbow => tr(lang, "colourmap.rainbow"),
        };
        egui::ComboBox::from_label(tr(lang, "toolbar.colourmap")).selected_text(name(v.colour_map)).show_ui(ui, |ui| {
            for m in [ColourMap::Grey, ColourMap::HotIron, ColourMap::Rainbow] {
                ui.selectable_value(&mut v.colour_map, m, name(m));
            }
        });
        ui.separator();
        let frames = v.loaded.as_ref().map_or(0, |l| l.plan.geometry.dims[2]);
        let cine = v.loaded.as_ref().is_some_and(|l| !matches!(l.plan.kind, SeriesKind::Volume)) && frames > 1;
        if cine {
            let key = if v.cine.playing { "toolbar.pause" } else { "toolbar.play" };
            if ui.button(tr(lang, key)).clicked() {
                v.cine.playing = !v.cine.playing;
            }
            ui.add(
                egui::DragValue::new(&mut v.cine.fps)
                    .range(1.0..=120.0)
                    .speed(0.5)
                    .suffix(format!(" {}", tr(lang, "toolbar.fps"))),
            );
            ui.separator();
        }
        if ui.button(tr(lang, "toolbar.reset")).clicked() {
            v.fit_pending = true;
            if let Some(l) = &v.loaded {
                v.focus = l.plan.geometry.center();
            }
        }
    });
    // Second row (the first keeps its buttons in place in every layout): what viewport 4 shows,
    // and the 3D view's controls while it shows.
    let volume = v.loaded.as_ref().is_some_and(|l| matches!(l.plan.kind, SeriesKind::Volume));
    let fourth = volume && matches!(v.layout, Layout::TwoByTwo | Layout::ThreeD);
    let shows_3d = v.visible().into_iter().any(|vp| v.is_3d(vp));
    if fourth || shows_3d {
        ui.horizontal(|ui| {
            if fourth {
                ui.label(tr(lang, "view3d.fourth"));
                let mut oblique = v.fourth_oblique;
                ui.selectable_value(&mut oblique, false, tr(lang, "view3d.fourth_3d"));
                ui.selectable_value(&mut oblique, true, tr(lang, "view3d.fourth_oblique"))
                    .on_hover_text(tr(lang, "view3d.oblique_hint"));
                if oblique != v.fourth_oblique {
                    v.set_fourth_oblique(oblique);
                }
                ui.separator();
            }
            if shows_3d {
                super::view3d::controls(ui, v, lang);
            }
        });
    }
}
