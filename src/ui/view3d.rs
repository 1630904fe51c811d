//! The 3D viewport (the fourth viewport of the 2×2 layout, or the 3D layout): ray-cast rendering,
//! orbit-camera mouse handling, orientation letters, and its row of controls.

use std::time::{Duration, Instant};

use eframe::egui::{self, Align2, Color32, FontId, PointerButton, Rect, Sense, Stroke};
use eframe::egui_wgpu;

use crate::render::mpr::MprResources;
use crate::render::raycast::{LabelPalette, RaycastParams, RaycastStyle, SlicePlane, default_label_palette};
use crate::render::view3d::View3dCallback;
use crate::volume::camera::{ClipBox, OrbitCamera, RayFrame, StandardView, plane_in_tex};
use crate::volume::direction_letter;
use crate::volume::raycast::RenderMode;
use crate::volume::transfer::{SKIN, TfPreset};

use super::i18n::{Lang, tr};
use super::viewer::Viewer;

/// Sample distance (fraction of the smallest voxel spacing) when still and while dragging.
const STEP_STILL: f64 = 0.6;
const STEP_DRAG: f64 = 1.2;
/// Render scale while dragging: fewer rays keep rotation interactive on a software rasteriser.
const DRAG_SCALE: f32 = 0.5;
/// How long after the last drag the view stays at reduced quality.
const SETTLE: Duration = Duration::from_millis(150);

pub struct View3d {
    pub camera: Option<OrbitCamera>,
    pub mode: RenderMode,
    pub preset: TfPreset,
    pub iso: f64,
    pub clip: ClipBox,
    pub mask_opacity: f64,
    /// Tint the ray cast with the annotation layer's labels.
    pub show_labels: bool,
    /// Draw the oblique plane (viewport 4's) in the volume, textured with its slice.
    pub show_oblique: bool,
    /// The plane's opacity (1: hides what lies behind it).
    pub oblique_opacity: f64,
    /// Colours of the mask now uploaded (set by `ui::overlay3d`).
    pub palette: LabelPalette,
    /// What the mask texture now holds.
    pub mask3d: super::overlay3d::Mask3d,
    /// When the user last rotated, panned or zoomed.
    pub last_interaction: Option<Instant>,
}

impl Default for View3d {
    fn default() -> Self {
        View3d {
            camera: None,
            mode: RenderMode::Iso,
            preset: TfPreset::CtSkin,
            iso: -300.0,
            clip: ClipBox::default(),
            mask_opacity: 0.5,
            show_labels: true,
            show_oblique: true,
            oblique_opacity: 1.0,
            palette: default_label_palette(),
            mask3d: Default::default(),
            last_interaction: None,
        }
    }
}

impl View3d {
    /// Presets and threshold for a newly loaded series (the overlay toggles stay).
    pub fn reset_for(&mut self, modality: &str, range: (f64, f64)) {
        let old = std::mem::take(self);
        *self = View3d {
            show_labels: old.show_labels,
            show_oblique: old.show_oblique,
            oblique_opacity: old.oblique_opacity,
            palette: old.palette,
            mask3d: old.mask3d,
            ..View3d::default()
        };
        if modality != "CT" {
            self.preset = TfPreset::Mr;
        }
        self.iso = self.preset.iso_threshold(range);
    }

    fn interacting(&self) -> bool {
        self.last_interaction.is_some_and(|t| t.elapsed() < SETTLE)
    }
}

/// Draws the 3D viewport `vp` and handles its mouse input.
pub fn viewport_3d(ui: &mut egui::Ui, v: &mut Viewer, vp: usize, rect: Rect, lang: Lang) -> Option<egui::Response> {
    let loaded = v.loaded.as_ref()?;
    let g = loaded.plan.geometry.clone();
    let gpu_id = loaded.gpu_id;
    let size = [f64::from(rect.width()), f64::from(rect.height())];
    let response = ui.interact(rect, ui.scope_id().with(("viewport3d", vp)), Sense::click_and_drag());
    let cam = v.view3d.camera.get_or_insert_with(|| OrbitCamera::fit(&g));
    let px_per_mm = cam.px_per_mm(&g, size);

    // Mouse: left-drag rotates, middle- or shift-drag pans, wheel zooms, double-click maximises.
    let mut moved = false;
    let shift = ui.input(|i| i.modifiers.shift);
    let d = response.drag_delta();
    if response.dragged_by(PointerButton::Middle) || (shift && response.dragged_by(PointerButton::Primary)) {
        cam.pan_by(f64::from(d.x), f64::from(d.y), px_per_mm);
        moved = true;
    } else if response.dragged_by(PointerButton::Primary) && d != egui::Vec2::ZERO {
        cam.rotate(f64::from(d.x), f64::from(d.y), 0.01);
        moved = true;
    }
    if response.hovered() {
        let (scroll, zoom) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
        let factor = f64::from(zoom) * (f64::from(scroll) * 0.002).exp();
        if (factor - 1.0).abs() > 1e-4 {
            cam.zoom_by(factor);
            moved = true;
        }
        v.active = vp;
    }
    if response.double_clicked() {
        v.maximized = if v.maximized.is_some() { None } else { Some(vp) };
        v.fit_pending = true;
    }
    if moved {
        v.view3d.last_interaction = Some(Instant::now());
    }
    let interacting = v.view3d.interacting();
    if interacting {
        // Come back for the full-quality frame once the user stops.
        ui.ctx().request_repaint_after(SETTLE);
    }

    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, Color32::BLACK);
    let step = if interacting { STEP_DRAG } else { STEP_STILL };
    let cam = v.view3d.camera.as_ref()?;
    if let Some(frame) = RayFrame::new(cam, &g, size, v.view3d.clip, step)
        && let Some(params) = params_for(v, gpu_id, &frame)
    {
        let scale = ui.ctx().pixels_per_point() * if interacting { DRAG_SCALE } else { 1.0 };
        let px = [(rect.width() * scale).round() as u32, (rect.height() * scale).round() as u32];
        painter.add(egui_wgpu::Callback::new_paint_callback(
            rect,
            View3dCallback { viewport: vp, volume: gpu_id, params, size: px },
        ));
    }

    if v.view3d.show_oblique
        && let Some(o) = v.oblique()
    {
        oblique_outline(&painter, rect, cam, &g, v.focus, o);
    }

    // Orientation letters: the patient direction at each screen edge.
    let (r, u) = (cam.right(), cam.up());
    let font = FontId::proportional(15.0);
    let yellow = Color32::from_rgb(230, 210, 90);
    for (pos, align, dir) in [
        (rect.right_center() + egui::vec2(-6.0, 0.0), Align2::RIGHT_CENTER, r),
        (rect.left_center() + egui::vec2(6.0, 0.0), Align2::LEFT_CENTER, -r),
        (rect.center_top() + egui::vec2(0.0, 6.0), Align2::CENTER_TOP, u),
        (rect.center_bottom() + egui::vec2(0.0, -6.0), Align2::CENTER_BOTTOM, -u),
    ] {
        painter.text(pos, align, direction_letter(dir).to_string(), font.clone(), yellow);
    }
    let label = match v.view3d.mode {
        RenderMode::Dvr => format!("3D  {}  {}", tr(lang, v.view3d.mode.key()), tr(lang, v.view3d.preset.key())),
        RenderMode::Iso => format!("3D  {}  {:.0}", tr(lang, v.view3d.mode.key()), v.view3d.iso),
        m => format!("3D  {}", tr(lang, m.key())),
    };
    painter.text(
        rect.left_bottom() + egui::vec2(6.0, -4.0),
        Align2::LEFT_BOTTOM,
        label,
        FontId::proportional(13.0),
        Color32::from_gray(225),
    );
    let border = if v.active == vp { Color32::from_rgb(200, 120, 255) } else { Color32::from_gray(60) };
    painter.rect_stroke(rect, 0.0, Stroke::new(1.0, border), egui::StrokeKind::Inside);
    Some(response)
}

/// The outline of the oblique plane where it cuts the volume, drawn over the rendering (not
/// depth-tested: it shows where the plane is when the volume hides it). The plane itself is drawn
/// by the ray caster (`SlicePlane`).
fn oblique_outline(
    painter: &egui::Painter,
    rect: Rect,
    cam: &OrbitCamera,
    g: &crate::volume::Geometry,
    focus: nalgebra::Point3<f64>,
    o: crate::volume::Oblique,
) {
    let size = [f64::from(rect.width()), f64::from(rect.height())];
    let points: Vec<egui::Pos2> = crate::volume::mpr::section_polygon(g, focus, o.normal())
        .into_iter()
        .map(|p| {
            let uv = cam.screen_uv(g, size, p);
            rect.min + egui::vec2(uv[0] as f32 * rect.width(), uv[1] as f32 * rect.height())
        })
        .collect();
    if points.len() < 3 {
        return;
    }
    let colour = Color32::from_rgb(200, 120, 255);
    painter.add(egui::Shape::closed_line(points, Stroke::new(1.5, colour)));
}

fn params_for(v: &Viewer, gpu_id: u64, frame: &RayFrame) -> Option<RaycastParams> {
    let rs = v.render_state()?;
    let renderer = rs.renderer.read();
    let gv = renderer.callback_resources.get::<MprResources>()?.volume(gpu_id)?;
    if gv.color {
        return None;
    }
    let range = v.loaded.as_ref()?.volume.as_ref().map_or((0.0, 1000.0), |vol| vol.value_range);
    let s = &v.view3d;
    let style = RaycastStyle {
        mode: s.mode,
        window: v.window,
        iso: s.iso,
        iso_rgb: if s.iso > 150.0 { [0.95, 0.92, 0.85] } else { SKIN },
        tf: s.preset.points(range),
        mask_opacity: s.mask_opacity,
        labels: s.palette,
        skip_empty: true,
        plane: slice_plane(v),
    };
    Some(RaycastParams::new(frame, gv, &style))
}

/// Viewport 4's oblique plane through the focus with the viewer's window/level, when it is shown.
fn slice_plane(v: &Viewer) -> Option<SlicePlane> {
    let s = &v.view3d;
    if !s.show_oblique || s.oblique_opacity <= 0.0 {
        return None;
    }
    let g = &v.loaded.as_ref()?.plan.geometry;
    let equation = plane_in_tex(g, v.focus, v.oblique()?.normal())?;
    Some(SlicePlane { equation, window: v.window, invert: v.invert, opacity: s.oblique_opacity })
}

/// The 3D view's controls: mode, preset, threshold, standard views, reset, clip box.
pub fn controls(ui: &mut egui::Ui, v: &mut Viewer, lang: Lang) {
    let range = v.loaded.as_ref().and_then(|l| l.volume.as_ref()).map_or((-1000.0, 3000.0), |vol| vol.value_range);
    let v_has_oblique = v.oblique().is_some();
    let s = &mut v.view3d;
    ui.horizontal(|ui| {
        ui.label(tr(lang, "view3d.title"));
        egui::ComboBox::from_id_salt("view3d.mode").selected_text(tr(lang, s.mode.key())).show_ui(ui, |ui| {
            for m in RenderMode::ALL {
                ui.selectable_value(&mut s.mode, m, tr(lang, m.key()));
            }
        });
        let before = s.preset;
        egui::ComboBox::from_id_salt("view3d.preset").selected_text(tr(lang, s.preset.key())).show_ui(ui, |ui| {
            for p in TfPreset::ALL {
                ui.selectable_value(&mut s.preset, p, tr(lang, p.key()));
            }
        });
        if s.preset != before {
            s.iso = s.preset.iso_threshold(range);
        }
        if s.mode == RenderMode::Iso {
            ui.label(tr(lang, "view3d.threshold"));
            ui.add(egui::Slider::new(&mut s.iso, range.0..=range.1).step_by(1.0));
        }
        ui.separator();
        for (view, key) in [
            (StandardView::Anterior, "view3d.anterior"),
            (StandardView::Left, "view3d.left"),
            (StandardView::Right, "view3d.right"),
            (StandardView::Superior, "view3d.superior"),
        ] {
            if ui.small_button(tr(lang, key)).clicked()
                && let Some(cam) = &mut s.camera
            {
                cam.set_view(view);
            }
        }
        if ui.small_button(tr(lang, "view3d.reset")).clicked() {
            s.camera = None;
            s.clip = ClipBox::default();
        }
        ui.checkbox(&mut s.show_labels, tr(lang, "view3d.labels"));
        ui.checkbox(&mut s.show_oblique, tr(lang, "view3d.oblique_plane"));
        if s.show_oblique && v_has_oblique {
            ui.add(
                egui::Slider::new(&mut s.oblique_opacity, 0.0..=1.0)
                    .max_decimals(2)
                    .text(tr(lang, "view3d.oblique_opacity")),
            );
        }
        ui.menu_button(tr(lang, "view3d.clip"), |ui| {
            for (a, key) in [(0, "view3d.clip_x"), (1, "view3d.clip_y"), (2, "view3d.clip_z")] {
                ui.horizontal(|ui| {
                    ui.label(tr(lang, key));
                    let hi = s.clip.hi[a];
                    ui.add(egui::Slider::new(&mut s.clip.lo[a], 0.0..=hi).max_decimals(2));
                    let lo = s.clip.lo[a];
                    ui.add(egui::Slider::new(&mut s.clip.hi[a], lo..=1.0).max_decimals(2));
                });
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mode_and_preset_name_is_translated() {
        let keys = RenderMode::ALL.map(RenderMode::key).into_iter().chain(TfPreset::ALL.map(TfPreset::key));
        for key in keys {
            assert!(super::super::i18n::TABLE.iter().any(|(k, _, _)| *k == key), "{key} is not in the table");
        }
    }
}
