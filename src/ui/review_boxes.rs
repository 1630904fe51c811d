//! Box editing over the review viewport: draw the boxes of the shown frame, select with a click,
//! move by dragging inside, resize by dragging any corner handle, draw a new box by dragging on
//! the image. Coordinates are stored pixel rectangles of the acquired plane.

use eframe::egui::{self, Color32, PointerButton, Pos2, Rect, Stroke};
use nalgebra::Vector3;

use crate::project::text_review::ReviewBox;

use super::app::SumiApp;

/// Screen distance (points) within which a press grabs a corner handle.
const HANDLE_GRAB: f32 = 8.0;

#[derive(Clone)]
pub(super) enum Drag {
    Move {
        index: usize,
        grab: (f64, f64),
        orig: ReviewBox,
    },
    /// Resizing by a corner: the opposite corner stays where it was (image coordinates).
    Resize {
        index: usize,
        anchor: (f64, f64),
    },
    Create {
        start: (f64, f64),
    },
}

/// Image pixel coordinates ↔ screen for the review viewport (the acquired plane).
struct ViewMap {
    g: crate::volume::Geometry,
    view: crate::volume::SliceView,
    focus: nalgebra::Point3<f64>,
    rect: Rect,
    k: usize,
}

impl ViewMap {
    fn new(app: &SumiApp, rect: Rect) -> Option<ViewMap> {
        let l = app.viewer.loaded.as_ref()?;
        Some(ViewMap {
            g: l.plan.geometry.clone(),
            view: app.viewer.views[0].clone(),
            focus: app.viewer.focus,
            rect,
            k: app.viewer.current_k().unwrap_or(0),
        })
    }

    fn size(&self) -> [f64; 2] {
        [f64::from(self.rect.width()), f64::from(self.rect.height())]
    }

    /// Screen position of the image point (x, y) (pixel corners at integers).
    fn to_screen(&self, x: f64, y: f64) -> Pos2 {
        let p = self.g.index_to_patient(Vector3::new(x - 0.5, y - 0.5, self.k as f64));
        let uv = self.view.uv_of(&self.g, self.focus, self.size(), p);
        Pos2::new(
            self.rect.min.x + uv[0] as f32 * self.rect.width(),
            self.rect.min.y + uv[1] as f32 * self.rect.height(),
        )
    }

    fn to_image(&self, p: Pos2) -> (f64, f64) {
        let uv = [
            f64::from((p.x - self.rect.min.x) / self.rect.width()),
            f64::from((p.y - self.rect.min.y) / self.rect.height()),
        ];
        let idx =
            self.g.patient_to_index(self.view.patient_at(&self.g, self.focus, self.size(), uv)).unwrap_or_default();
        (idx.x + 0.5, idx.y + 0.5)
    }

    fn screen_of(&self, b: &ReviewBox) -> Rect {
        Rect::from_two_pos(
            self.to_screen(f64::from(b.x), f64::from(b.y)),
            self.to_screen(f64::from(b.x + b.w), f64::from(b.y + b.h)),
        )
    }
}

/// The four corners of a box in image coordinates, each with the corner opposite it.
fn corners(b: &ReviewBox) -> [((f64, f64), (f64, f64)); 4] {
    let (x0, y0) = (f64::from(b.x), f64::from(b.y));
    let (x1, y1) = (f64::from(b.x + b.w), f64::from(b.y + b.h));
    [((x0, y0), (x1, y1)), ((x1, y0), (x0, y1)), ((x0, y1), (x1, y0)), ((x1, y1), (x0, y0))]
}

/// The box spanned by two image points, at least 2 px each way and never left of/above 0.
fn spanned(a: (f64, f64), b: (f64, f64)) -> (u32, u32, u32, u32) {
    let (x0, x1) = (a.0.min(b.0).max(0.0), a.0.max(b.0).max(0.0));
    let (y0, y1) = (a.1.min(b.1).max(0.0), a.1.max(b.1).max(0.0));
    let (x, y) = (x0.round() as u32, y0.round() as u32);
    (x, y, ((x1 - x0).round() as u32).max(2), ((y1 - y0).round() as u32).max(2))
}

fn colour(b: &ReviewBox) -> Color32 {
    if b.is_phi() || b.reason.starts_with("face") {
        Color32::from_rgb(255, 80, 80)
    } else {
        Color32::from_rgb(255, 200, 40)
    }
}

/// Draws the boxes over the review viewport and handles the box tools with the primary button.
pub fn overlay(ui: &mut egui::Ui, app: &mut SumiApp, viewports: &[(usize, Rect, egui::Response)]) {
    let Some((_, rect, response)) = viewports.first() else { return };
    let Some(map) = ViewMap::new(app, *rect) else { return };
    let frame = map.k as u32;
    let painter = ui.painter_at(*rect);
    let r = &mut app.review;
    let shown = |b: &ReviewBox| b.first_frame <= frame && frame <= b.last_frame;
    // Gestures: press on a corner handle resizes, inside a box moves, elsewhere draws a new box.
    if response.drag_started_by(PointerButton::Primary)
        && let Some(p) = response.interact_pointer_pos()
    {
        let grab = map.to_image(p);
        let handle = r.boxes.iter().enumerate().rev().filter(|(_, b)| shown(b)).find_map(|(i, b)| {
            corners(b)
                .into_iter()
                .find(|(c, _)| map.to_screen(c.0, c.1).distance(p) < HANDLE_GRAB)
                .map(|(_, anchor)| (i, anchor))
        });
        let inside = r.boxes.iter().rposition(|b| shown(b) && map.screen_of(b).contains(p));
        r.drag = match (handle, inside) {
            (Some((index, anchor)), _) => Some(Drag::Resize { index, anchor }),
            (None, Some(index)) => Some(Drag::Move { index, grab, orig: r.boxes[index].clone() }),
            (None, None) => Some(Drag::Create { start: grab }),
        };
        r.selected = handle.map(|h| h.0).or(inside);
    }
    if response.clicked_by(PointerButton::Primary)
        && let Some(p) = response.interact_pointer_pos()
    {
        r.selected = r.boxes.iter().rposition(|b| shown(b) && map.screen_of(b).expand(2.0).contains(p));
    }
    if let (Some(drag), Some(p)) = (r.drag.clone(), response.interact_pointer_pos()) {
        let (ix, iy) = map.to_image(p);
        match drag {
            Drag::Move { index, grab, orig } => {
                r.boxes[index].x = (f64::from(orig.x) + ix - grab.0).max(0.0).round() as u32;
                r.boxes[index].y = (f64::from(orig.y) + iy - grab.1).max(0.0).round() as u32;
            }
            Drag::Resize { index, anchor } => {
                let b = &mut r.boxes[index];
                (b.x, b.y, b.w, b.h) = spanned(anchor, (ix, iy));
            }
            Drag::Create { start } => {
                if response.drag_stopped() && (ix - start.0).abs() >= 2.0 && (iy - start.1).abs() >= 2.0 {
                    let (x, y, w, h) = spanned(start, (ix, iy));
                    let (first_frame, last_frame) = (frame, frame);
                    let reason = "reviewer".into();
                    r.boxes.push(ReviewBox {
                        x,
                        y,
                        w,
                        h,
                        first_frame,
                        last_frame,
                        score: 1.0,
                        reason,
                        ..Default::default()
                    });
                    r.selected = Some(r.boxes.len() - 1);
                } else if !response.drag_stopped() {
                    let outline = Rect::from_two_pos(map.to_screen(start.0, start.1), p);
                    painter.rect_stroke(outline, 0.0, Stroke::new(1.5, Color32::YELLOW), egui::StrokeKind::Middle);
                }
            }
        }
        if response.drag_stopped() {
            r.drag = None;
        }
    }
    for (i, b) in r.boxes.iter().enumerate().filter(|(_, b)| shown(b)) {
        let s = map.screen_of(b);
        if r.preview_clean {
            painter.rect_filled(s, 0.0, Color32::BLACK);
        } else if !r.hide_boxes {
            let selected = r.selected == Some(i);
            painter.rect_stroke(
                s,
                0.0,
                Stroke::new(if selected { 2.5 } else { 1.5 }, colour(b)),
                egui::StrokeKind::Outside,
            );
            let handle = if selected { 8.0 } else { 5.0 };
            for c in [s.left_top(), s.right_top(), s.left_bottom(), s.right_bottom()] {
                painter.rect_filled(Rect::from_center_size(c, egui::vec2(handle, handle)), 1.0, colour(b));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dragging_a_corner_past_its_anchor_flips_the_box_instead_of_collapsing_it() {
        assert_eq!(spanned((100.0, 50.0), (80.0, 70.0)), (80, 50, 20, 20));
        assert_eq!(spanned((100.0, 50.0), (100.2, 50.4)), (100, 50, 2, 2), "never thinner than 2 px");
        assert_eq!(spanned((3.0, 3.0), (-9.0, -9.0)), (0, 0, 3, 3), "clipped at the image's top-left");
    }

    #[test]
    fn every_corner_is_paired_with_its_opposite() {
        let b = ReviewBox { x: 10, y: 20, w: 30, h: 40, ..Default::default() };
        for (corner, anchor) in corners(&b) {
            assert_eq!((corner.0 + anchor.0, corner.1 + anchor.1), (50.0, 80.0));
        }
    }
}
