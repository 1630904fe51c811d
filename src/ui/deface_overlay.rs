//! The defacing proposal over the MPR viewports while the review is open: the removed region
//! tinted red with its boundary (the cut) drawn solid, as a CPU image per viewport at up to half
//! its resolution, cached until the proposal, the view or the focus changes. In a sagittal view
//! the reviewer drags the red region forwards or backwards: the drag previews the shifted cut and,
//! on release, sets the proposal's cut depth and re-runs it off the UI thread (as the slider does).

use std::hash::{Hash, Hasher};

use eframe::egui::{self, Color32, ColorImage, Pos2, Rect, TextureOptions};
use nalgebra::{Point3, Vector3};

use crate::volume::{Geometry, Plane, SliceView};

use super::app::SumiApp;
use super::i18n::tr;

/// Most pixels a tint image has.
const MAX_PIXELS: usize = 250_000;
/// How close (screen pixels, along the anterior–posterior direction) a press must be to the
/// removed region to grab the cut.
const GRAB_PX: f64 = 12.0;
/// The cut depth's range (the panel's slider).
pub const DEPTH_RANGE: (f64, f64) = (10.0, 50.0);

#[derive(Default)]
pub struct Cached {
    key: u64,
    texture: Option<egui::TextureHandle>,
}

/// A drag of the cut in a sagittal viewport.
#[derive(Debug, Clone, Copy)]
pub struct CutDrag {
    pub viewport: usize,
    pub start: Pos2,
    pub depth_before: f64,
    pub depth: f64,
}

/// Is voxel (rounded index `p`) of `mask` set?
fn masked(mask: &[u8], dims: [usize; 3], p: Vector3<f64>) -> bool {
    let (x, y, z) = (p.x.round(), p.y.round(), p.z.round());
    if x < 0.0 || y < 0.0 || z < 0.0 {
        return false;
    }
    let (x, y, z) = (x as usize, y as usize, z as usize);
    x < dims[0] && y < dims[1] && z < dims[2] && mask[(z * dims[1] + y) * dims[0] + x] != 0
}

/// The tint of `mask` over a viewport of `size` pixels showing `view` through `focus`, sampled
/// at the centres of a `w`×`h` grid. `None` when the plane does not meet the mask.
pub fn tint_image(
    mask: &[u8],
    g: &Geometry,
    view: &SliceView,
    focus: Point3<f64>,
    size: [f64; 2],
    [w, h]: [usize; 2],
) -> Option<ColorImage> {
    let index = |uv: [f64; 2]| g.patient_to_index(view.patient_at(g, focus, size, uv));
    let o = index([0.0, 0.0])?;
    let (du, dv) = (index([1.0, 0.0])? - o, index([0.0, 1.0])? - o);
    let mut hit = vec![false; w * h];
    for j in 0..h {
        let row = o + dv * ((j as f64 + 0.5) / h as f64);
        for i in 0..w {
            hit[j * w + i] = masked(mask, g.dims, row + du * ((i as f64 + 0.5) / w as f64));
        }
    }
    if !hit.contains(&true) {
        return None;
    }
    let fill = Color32::from_rgba_unmultiplied(255, 60, 50, 90);
    let edge = Color32::from_rgb(255, 70, 60);
    let mut img = ColorImage::filled([w, h], Color32::TRANSPARENT);
    for j in 0..h {
        for i in 0..w {
            if !hit[j * w + i] {
                continue;
            }
            let out = |di: isize, dj: isize| {
                let (ni, nj) = (i as isize + di, j as isize + dj);
                ni >= 0 && nj >= 0 && (ni as usize) < w && (nj as usize) < h && !hit[nj as usize * w + ni as usize]
            };
            let boundary = out(-1, 0) || out(1, 0) || out(0, -1) || out(0, 1);
            img.pixels[j * w + i] = if boundary { edge } else { fill };
        }
    }
    Some(img)
}

/// Screen shift (pixels) of a viewport's tint for a cut moved `delta_mm` posteriorly.
fn preview_shift(view: &SliceView, g: &Geometry, delta_mm: f64) -> egui::Vec2 {
    let (r, d, _) = view.plane.axes(g);
    let y = Vector3::y() * delta_mm * view.zoom;
    egui::vec2(y.dot(&r) as f32, y.dot(&d) as f32)
}

/// Starts, follows and ends a cut drag (call before the viewer draws, so that the viewport
/// leaves the primary button alone for the whole drag).
pub fn before_viewports(ctx: &egui::Context, app: &mut SumiApp) {
    let (down, pressed, pos, origin) = ctx.input(|i| {
        (i.pointer.primary_down(), i.pointer.primary_pressed(), i.pointer.latest_pos(), i.pointer.press_origin())
    });
    if let Some(mut drag) = app.deface.drag {
        let zoom = app.viewer.views[drag.viewport].zoom.max(1e-6);
        if let Some(p) = pos {
            // Sagittal: screen right is posterior, so dragging right cuts deeper.
            let delta = f64::from(p.x - drag.start.x) / zoom;
            drag.depth = (drag.depth_before + delta).round().clamp(DEPTH_RANGE.0, DEPTH_RANGE.1);
        }
        if down {
            app.deface.drag = Some(drag);
        } else {
            app.deface.drag = None;
            app.viewer.primary_taken = false;
            if (drag.depth - drag.depth_before).abs() >= 0.5 {
                app.deface.params.depth_mm = drag.depth;
                super::deface_panel::recompute(app);
            }
        }
        return;
    }
    app.viewer.primary_taken = false;
    if !app.deface.open || app.deface.busy() || !pressed {
        return;
    }
    let (Some(origin), Some(l), Some(p)) = (origin, app.viewer.loaded.as_ref(), app.deface.proposal.as_ref()) else {
        return;
    };
    let g = &l.plan.geometry;
    if p.mask.len() != g.voxel_count() {
        return;
    }
    let hit =
        app.viewer.viewport_rects.iter().find(|(vp, r)| {
            r.contains(origin) && !app.viewer.is_3d(*vp) && app.viewer.views[*vp].plane == Plane::Sagittal
        });
    let Some(&(vp, rect)) = hit else { return };
    let view = &app.viewer.views[vp];
    let size = [f64::from(rect.width()), f64::from(rect.height())];
    let near = (-GRAB_PX as i32..=GRAB_PX as i32).step_by(3).any(|dx| {
        let x = origin.x + dx as f32;
        let uv = [f64::from((x - rect.min.x) / rect.width()), f64::from((origin.y - rect.min.y) / rect.height())];
        g.patient_to_index(view.patient_at(g, app.viewer.focus, size, uv)).is_some_and(|i| masked(&p.mask, g.dims, i))
    });
    if near {
        let depth = app.deface.params.depth_mm;
        app.deface.drag = Some(CutDrag { viewport: vp, start: origin, depth_before: depth, depth });
        app.viewer.primary_taken = true;
    }
}

fn cache_key(revision: u64, vp: usize, view: &SliceView, focus: Point3<f64>, rect: Rect, px: [usize; 2]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (revision, vp, px).hash(&mut h);
    format!("{:?}", view.plane).hash(&mut h);
    for f in [view.zoom, view.pan.x, view.pan.y, focus.x, focus.y, focus.z] {
        f.to_bits().hash(&mut h);
    }
    for f in [rect.min.x, rect.min.y, rect.width(), rect.height()] {
        f.to_bits().hash(&mut h);
    }
    h.finish()
}

/// Draws the proposal's tint over every visible slice viewport (and the drag's depth label).
pub fn draw(ui: &egui::Ui, app: &mut SumiApp, viewports: &[(usize, Rect, egui::Response)]) {
    if !app.deface.open {
        return;
    }
    let Some(l) = app.viewer.loaded.as_ref() else { return };
    let Some(p) = app.deface.proposal.as_ref() else { return };
    let g = &l.plan.geometry;
    if p.mask.len() != g.voxel_count() || app.deface.series_uid.as_deref() != Some(l.series_uid.as_str()) {
        return;
    }
    let drag = app.deface.drag;
    for &(vp, rect, _) in viewports {
        if vp >= 4 || app.viewer.is_3d(vp) {
            continue;
        }
        let view = &app.viewer.views[vp];
        let scale = ((MAX_PIXELS as f32) / (rect.width() * rect.height()).max(1.0)).sqrt().min(0.5);
        let px = [((rect.width() * scale) as usize).max(1), ((rect.height() * scale) as usize).max(1)];
        let key = cache_key(app.deface.revision, vp, view, app.viewer.focus, rect, px);
        let cached = &mut app.deface.tints[vp];
        if cached.key != key {
            cached.key = key;
            let size = [f64::from(rect.width()), f64::from(rect.height())];
            cached.texture = tint_image(&p.mask, g, view, app.viewer.focus, size, px)
                .map(|img| ui.ctx().load_texture(format!("deface-tint-{vp}"), img, TextureOptions::NEAREST));
        }
        let Some(tex) = &cached.texture else { continue };
        let shift = drag.map_or(egui::Vec2::ZERO, |d| preview_shift(view, g, d.depth - d.depth_before));
        let uv = Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0));
        ui.painter_at(rect).image(tex.id(), rect.translate(shift), uv, Color32::WHITE);
    }
    if let (Some(d), Some(pos)) = (drag, ui.ctx().pointer_latest_pos()) {
        let text = format!("{} {:.0} mm", tr(app.lang, "deface.depth"), d.depth);
        ui.painter().text(
            pos + egui::vec2(14.0, -14.0),
            egui::Align2::LEFT_BOTTOM,
            text,
            egui::FontId::proportional(14.0),
            Color32::from_rgb(255, 120, 100),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tint_marks_the_masked_voxels_and_outlines_the_cut() {
        let g =
            Geometry { dims: [20, 20, 10], origin: Point3::new(0.0, 0.0, 0.0), axes: nalgebra::Matrix3::identity() };
        // Remove everything anterior of y = 6 (small y is anterior).
        let mask: Vec<u8> = (0..g.voxel_count()).map(|n| u8::from((n / 20) % 20 < 6)).collect();
        let view = SliceView { zoom: 2.0, ..SliceView::new(Plane::Sagittal) };
        let img = tint_image(&mask, &g, &view, g.center(), [40.0, 20.0], [40, 20]).unwrap();
        // Sagittal: anterior (small y) on screen left.
        let at = |x: usize, y: usize| img.pixels[y * 40 + x];
        assert_ne!(at(2, 10), Color32::TRANSPARENT, "anterior is tinted");
        assert_eq!(at(35, 10), Color32::TRANSPARENT, "posterior is not");
        let edge = (0..40).find(|&x| at(x, 10) == Color32::TRANSPARENT).unwrap();
        assert_eq!(at(edge - 1, 10), Color32::from_rgb(255, 70, 60), "the cut is drawn solid");
        let axial = SliceView { zoom: 2.0, ..SliceView::new(Plane::Axial) };
        let far = Point3::new(10.0, 15.0, 4.0);
        assert!(tint_image(&vec![0; g.voxel_count()], &g, &axial, far, [40.0, 40.0], [40, 40]).is_none());
    }
}
