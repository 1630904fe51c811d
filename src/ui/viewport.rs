//! One viewport: the GPU slice, radiology mouse conventions, crosshair, orientation letters and
//! corner overlays.

use eframe::egui::{self, Align2, Color32, FontId, PointerButton, Pos2, Rect, Sense, Stroke};
use eframe::egui_wgpu;

use crate::render::mpr::{MprCallback, MprParams};
use crate::volume::{Plane, SeriesKind, direction_letter};

use super::i18n::{Lang, tr};
use super::viewer::Viewer;

const CROSSHAIR: [Color32; 4] = [
    Color32::from_rgb(80, 160, 255),
    Color32::from_rgb(90, 220, 110),
    Color32::from_rgb(255, 170, 60),
    Color32::from_rgb(200, 120, 255),
];

/// Draws one viewport and handles its mouse input; returns its response (the review overlay uses
/// the primary button, which the viewport leaves alone in review mode).
pub fn viewport(ui: &mut egui::Ui, v: &mut Viewer, vp: usize, rect: Rect, lang: Lang) -> Option<egui::Response> {
    let Some(loaded) = &v.loaded else { return None };
    let g = loaded.plan.geometry.clone();
    let spatial = matches!(loaded.plan.kind, SeriesKind::Volume);
    let gpu_id = loaded.gpu_id;
    let size = [f64::from(rect.width()), f64::from(rect.height())];
    if v.fit_pending || v.views[vp].zoom <= 0.0 {
        v.manual_zoom[vp] = false;
        v.views[vp].pan = nalgebra::Vector2::zeros();
    }
    if !v.manual_zoom[vp] {
        v.views[vp].zoom = v.views[vp].fit_zoom(&g, size);
    }
    let response = ui.interact(rect, ui.scope_id().with(("viewport", vp)), Sense::click_and_drag());
    let to_uv = |p: Pos2| [f64::from((p.x - rect.min.x) / rect.width()), f64::from((p.y - rect.min.y) / rect.height())];

    // Mouse: wheel = slice, ctrl+wheel = zoom, right-drag = W/L, middle-drag = pan,
    // left click/drag = move the crosshair, double-click = maximise.
    if response.hovered() {
        let (scroll, zoom, ctrl) = ui.input(|i| {
            let wheel: f32 = i
                .events
                .iter()
                .filter_map(|e| match e {
                    egui::Event::MouseWheel { delta, modifiers, .. } if !modifiers.ctrl && !modifiers.command => {
                        Some(delta.y)
                    }
                    _ => None,
                })
                .sum();
            (wheel, i.zoom_delta(), i.modifiers.ctrl || i.modifiers.command)
        });
        if (zoom - 1.0).abs() > 1e-3 {
            v.views[vp].zoom *= f64::from(zoom);
            v.manual_zoom[vp] = true;
        } else if scroll.abs() > 0.0 && !ctrl {
            let (_, _, n) = v.views[vp].plane.axes(&g);
            let step = v.views[vp].slice_step(&g) * f64::from(scroll.signum());
            let (depth, lo, hi) = v.views[vp].depth_range(&g, v.focus + n * step);
            if depth >= lo - 1e-6 && depth <= hi + 1e-6 {
                v.focus += n * step;
            }
        }
        v.active = vp;
    }
    if response.dragged_by(PointerButton::Secondary) {
        let d = response.drag_delta();
        let scale = (v.window.1 / 400.0).max(0.05);
        v.window.1 = (v.window.1 + f64::from(d.x) * 2.0 * scale).max(1.0);
        v.window.0 += f64::from(d.y) * scale;
        v.window_set_by_user = true;
    }
    if response.dragged_by(PointerButton::Middle) {
        let d = response.drag_delta();
        let view = &mut v.views[vp];
        view.pan -= nalgebra::Vector2::new(f64::from(d.x), f64::from(d.y)) / view.zoom;
        v.manual_zoom[vp] = true;
    }
    // Ctrl/Alt-drag on the oblique plane rotates it about the focus point.
    let rotate = ui.input(|i| i.modifiers.ctrl || i.modifiers.alt || i.modifiers.command);
    let oblique_drag = rotate && response.dragged_by(PointerButton::Primary);
    if oblique_drag && let Plane::Oblique(o) = &mut v.views[vp].plane {
        let d = response.drag_delta();
        o.spin(f64::from(d.x) * 0.01);
        o.tilt(f64::from(-d.y) * 0.01);
    }
    if response.double_clicked() && !v.double_click_taken {
        v.maximized = if v.maximized.is_some() { None } else { Some(vp) };
        v.fit_pending = true;
    } else if spatial
        && !oblique_drag
        && !v.primary_taken
        && !v.review_mode
        && !v.annotate_mode
        && (response.clicked_by(PointerButton::Primary) || response.dragged_by(PointerButton::Primary))
        && let Some(p) = response.interact_pointer_pos()
    {
        let (_, _, n) = v.views[vp].plane.axes(&g);
        let hit = v.views[vp].patient_at(&g, v.focus, size, to_uv(p));
        // Keep this viewport's own slice; move only within its plane.
        v.focus = hit - n * (hit - v.focus).dot(&n);
    }

    let view = &v.views[vp];
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, Color32::BLACK);
    if let Some(m) = view.uv_to_texcoord(&g, v.focus, size)
        && let Some(params) = viewport_params(&m, v, gpu_id)
    {
        painter
            .add(egui_wgpu::Callback::new_paint_callback(rect, MprCallback { viewport: vp, volume: gpu_id, params }));
    }

    // Crosshair: the other planes through the focus point.
    if spatial && v.visible().len() > 1 {
        let c = view.uv_of(&g, v.focus, size, v.focus);
        let cp = Pos2::new(rect.min.x + c[0] as f32 * rect.width(), rect.min.y + c[1] as f32 * rect.height());
        let (r, d, _) = view.plane.axes(&g);
        let others: Vec<usize> = v.visible().into_iter().filter(|&o| o != vp && !v.is_3d(o)).collect();
        for o in others {
            let (_, _, on) = v.views[o].plane.axes(&g);
            // Screen direction of the other plane's trace: perpendicular to its normal within this plane.
            let (a, b) = (on.dot(&r), on.dot(&d));
            let dir = egui::vec2(-b as f32, a as f32);
            if dir.length() < 1e-3 {
                continue;
            }
            let dir = dir.normalized() * (rect.width() + rect.height());
            painter.line_segment([cp - dir, cp + dir], Stroke::new(1.0, CROSSHAIR[o].gamma_multiply(0.8)));
        }
    }

    // Orientation letters at the edges.
    let (r, d, _) = view.plane.axes(&g);
    let letter_font = FontId::proportional(15.0);
    let yellow = Color32::from_rgb(230, 210, 90);
    let letters = [
        (rect.right_center() + egui::vec2(-6.0, 0.0), Align2::RIGHT_CENTER, direction_letter(r)),
        (rect.left_center() + egui::vec2(6.0, 0.0), Align2::LEFT_CENTER, direction_letter(-r)),
        (rect.center_bottom() + egui::vec2(0.0, -6.0), Align2::CENTER_BOTTOM, direction_letter(d)),
        (rect.center_top() + egui::vec2(0.0, 6.0), Align2::CENTER_TOP, direction_letter(-d)),
    ];
    if view.plane != Plane::Native || spatial {
        for (pos, align, l) in letters {
            painter.text(pos, align, l.to_string(), letter_font.clone(), yellow);
        }
    }

    corner_overlays(&painter, rect, v, vp, lang);
    let border = if v.active == vp { CROSSHAIR[vp] } else { Color32::from_gray(60) };
    painter.rect_stroke(rect, 0.0, Stroke::new(1.0, border), egui::StrokeKind::Inside);
    Some(response)
}

fn viewport_params(m: &nalgebra::Matrix4<f64>, v: &Viewer, gpu_id: u64) -> Option<MprParams> {
    let rs = v.render_state()?;
    let renderer = rs.renderer.read();
    let res = renderer.callback_resources.get::<crate::render::mpr::MprResources>()?;
    let gv = res.volume(gpu_id)?;
    Some(MprParams::new(m, gv, v.window, v.invert, res.srgb_target).with_colour_map(v.colour_map))
}

fn corner_overlays(painter: &egui::Painter, rect: Rect, v: &Viewer, vp: usize, lang: Lang) {
    let Some(l) = &v.loaded else { return };
    let font = FontId::proportional(13.0);
    let color = Color32::from_gray(225);
    let m = l.metas.first();
    let text = |o: Option<&String>| o.cloned().unwrap_or_default();
    // Blind mode: what identifies the patient or the examination stays off the screen.
    let identity = |o: Option<&String>| if v.blind { String::new() } else { text(o) };
    let g = &l.plan.geometry;
    let view = &v.views[vp];
    let plane = match view.plane {
        Plane::Axial => tr(lang, "viewer.axial"),
        Plane::Coronal => tr(lang, "viewer.coronal"),
        Plane::Sagittal => tr(lang, "viewer.sagittal"),
        Plane::Native => tr(lang, "viewer.native"),
        Plane::Oblique(_) => tr(lang, "viewer.oblique"),
    };
    let (depth, lo, hi) = view.depth_range(g, v.focus);
    let step = view.slice_step(g);
    let index = ((depth - lo) / step).round() as i64 + 1;
    let count = ((hi - lo) / step).round() as i64 + 1;
    let position = if matches!(l.plan.kind, SeriesKind::Volume) {
        format!("{} {index}/{count}  {} {depth:.1} mm", tr(lang, "viewer.slice"), tr(lang, "overlay.position"))
    } else {
        format!("{} {}/{}", tr(lang, "viewer.frame"), v.current_k().unwrap_or(0) + 1, g.dims[2])
    };
    let tl = format!(
        "{}\n{}\n{} {}",
        identity(m.and_then(|m| m.patient_name.as_ref())),
        identity(m.and_then(|m| m.patient_id.as_ref())),
        text(m.and_then(|m| m.patient_sex.as_ref())),
        identity(m.and_then(|m| m.patient_birth_date.as_ref())),
    );
    let tr_text = format!(
        "{}\n{}\n{}",
        text(m.and_then(|m| m.study_description.as_ref())),
        text(m.and_then(|m| m.study_date.as_ref())),
        identity(m.and_then(|m| m.accession_number.as_ref())),
    );
    let bl = format!(
        "{} {}\n{}\n{}",
        text(m.and_then(|m| m.modality.as_ref())),
        text(m.and_then(|m| m.series_description.as_ref())),
        plane,
        position
    );
    let br = format!(
        "{} {:.0}/{:.0}\n{} {:.0}%",
        tr(lang, "overlay.wl"),
        v.window.1,
        v.window.0,
        tr(lang, "viewer.zoom"),
        view.zoom * g.spacing()[0] * 100.0
    );
    let pad = egui::vec2(6.0, 4.0);
    let max_w = rect.width() * 0.48 - pad.x;
    corner_text(painter, rect.left_top() + pad, Align2::LEFT_TOP, &tl, &font, color, max_w);
    corner_text(
        painter,
        rect.right_top() + egui::vec2(-pad.x, pad.y),
        Align2::RIGHT_TOP,
        &tr_text,
        &font,
        color,
        max_w,
    );
    corner_text(painter, rect.left_bottom() + egui::vec2(pad.x, -pad.y), Align2::LEFT_BOTTOM, &bl, &font, color, max_w);
    corner_text(painter, rect.right_bottom() - pad, Align2::RIGHT_BOTTOM, &br, &font, color, max_w);
}

/// Draws multi-line corner text, each line elided to `max_width` so corners never overlap.
fn corner_text(
    painter: &egui::Painter,
    pos: Pos2,
    align: Align2,
    text: &str,
    font: &FontId,
    color: Color32,
    max_width: f32,
) {
    let galleys: Vec<_> = text
        .lines()
        .map(|line| {
            let mut job =
                egui::text::LayoutJob::single_section(line.to_string(), egui::TextFormat::simple(font.clone(), color));
            job.wrap = egui::text::TextWrapping {
                max_width,
                max_rows: 1,
                break_anywhere: true,
                overflow_character: Some('…'),
            };
            painter.layout_job(job)
        })
        .collect();
    let height: f32 = galleys.iter().map(|g| g.size().y).sum();
    let width = galleys.iter().map(|g| g.size().x).fold(0.0, f32::max);
    let block = align.anchor_size(pos, egui::vec2(width, height));
    let mut y = block.min.y;
    for g in galleys {
        let x = match align.x() {
            egui::Align::Max => block.max.x - g.size().x,
            _ => block.min.x,
        };
        let h = g.size().y;
        // A dark shadow keeps the text legible over bright pixels (burned-in text, bone).
        painter.galley_with_override_text_color(Pos2::new(x + 1.0, y + 1.0), g.clone(), Color32::from_black_alpha(220));
        painter.galley(Pos2::new(x, y), g, color);
        y += h;
    }
}
