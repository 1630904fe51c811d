//! The oblique plane and the 3D/MPR overlays driven like a user would, headless on wgpu
//! (lavapipe in CI): viewport 4 switched to the oblique plane and rotated, the plane drawn textured
//! inside the 3D view's ray cast, and the defacing proposal tinted in the MPR viewports with its cut
//! dragged.
#![cfg(feature = "gui")]

mod ui_support;

use std::time::Duration;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sumi::ui::{Layout, SumiApp};
use sumi::volume::Plane;
use ui_support::{step_until, wgpu_setup};

fn demo_harness(
    size: egui::Vec2,
    setup: impl FnOnce(&mut SumiApp) + 'static,
) -> (tempfile::TempDir, Harness<'static, SumiApp>) {
    let data = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(data.path()).unwrap();
    let mut harness = Harness::builder().with_size(size).wgpu_setup(wgpu_setup()).build_eframe(move |cc| {
        let mut app = SumiApp::new(cc);
        setup(&mut app);
        app.open_paths(vec![demo.clone()]);
        app
    });
    step_until(&mut harness, "the CT to load", |app| app.viewer.loaded.as_ref().is_some_and(|l| l.volume.is_some()));
    (data, harness)
}

/// A primary-button drag from `from` by `by` in `steps` moves, with `modifiers` held.
fn drag(
    harness: &mut Harness<'_, SumiApp>,
    from: egui::Pos2,
    by: egui::Vec2,
    steps: usize,
    modifiers: egui::Modifiers,
) {
    harness.event(egui::Event::ModifiersChanged(modifiers));
    harness.event(egui::Event::PointerMoved(from));
    harness.event(egui::Event::PointerButton {
        pos: from,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers,
    });
    harness.step();
    for i in 1..=steps {
        harness.event(egui::Event::PointerMoved(from + by * (i as f32 / steps as f32)));
        harness.step();
    }
    harness.event(egui::Event::PointerButton {
        pos: from + by,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers,
    });
    harness.event(egui::Event::ModifiersChanged(egui::Modifiers::NONE));
    harness.run_steps(2);
}

fn save(img: &image::RgbaImage, name: &str) {
    let _ = std::fs::create_dir_all("target/screens");
    let _ = img.save(format!("target/screens/{name}"));
}

#[test]
fn fourth_viewport_toggles_to_an_oblique_plane_that_rotates_and_shows_in_the_3d_view() {
    let (_data, mut harness) = demo_harness(egui::vec2(1400.0, 900.0), |_| {});
    harness.get_by_label("2×2").click();
    harness.run_steps(3);
    assert_eq!(harness.state().viewer.layout, Layout::TwoByTwo);
    assert!(harness.state().viewer.is_3d(3), "viewport 4 starts as the 3D view");
    harness.get_by_label("Oblique").click();
    harness.run_steps(3);
    let app = harness.state();
    assert!(app.viewer.fourth_oblique && !app.viewer.is_3d(3), "viewport 4 is a slice view now");
    assert_eq!(app.viewer.oblique(), Some(sumi::volume::Oblique::default()), "it starts axial");
    let (_, rect) = *app.viewer.viewport_rects.iter().find(|(vp, _)| *vp == 3).expect("viewport 4 drawn");
    let focus = app.viewer.focus;

    // Ctrl-drag rotates the plane about the focus point; the crosshair stays.
    drag(&mut harness, rect.center(), egui::vec2(30.0, -60.0), 6, egui::Modifiers::CTRL);
    let app = harness.state();
    let o = app.viewer.oblique().unwrap();
    assert!(o.normal().z < 0.95 && o.normal().z > 0.3, "tilted away from axial: normal {:?}", o.normal());
    assert_eq!(app.viewer.focus, focus, "rotating does not move the crosshair");
    let img = harness.render().expect("render");
    save(&img, "view3d-oblique.png");
    // The oblique image is drawn (the head's grey values, not black) inside viewport 4.
    let px = img.get_pixel(rect.center().x as u32, rect.center().y as u32).0;
    assert!(px[0] > 40, "the oblique slice shows tissue at the focus: {px:?}");

    // Back to 3D: the plane is drawn inside the volume with its slice image, and only while it is
    // asked for.
    // Bone DVR with the top 40 % clipped away, looking down the plane's normal (from above) and
    // tilted a little, so that the slice is seen inside the skull.
    harness.get_by_label("3D view").click();
    harness.run_steps(3);
    assert!(harness.state().viewer.is_3d(3));
    {
        let o = harness.state().viewer.oblique().unwrap();
        let s = &mut harness.state_mut().viewer.view3d;
        s.mode = sumi::volume::raycast::RenderMode::Dvr;
        s.preset = sumi::volume::transfer::TfPreset::CtBone;
        s.clip.hi[2] = 0.6;
        let cam = s.camera.as_mut().expect("the 3D view was drawn");
        let (right, back) = (o.right, o.normal());
        cam.orient =
            nalgebra::Rotation3::from_matrix(&nalgebra::Matrix3::from_columns(&[right, back.cross(&right), back]));
        cam.rotate(0.0, -25.0, 0.01);
    }
    harness.run_steps(3);
    std::thread::sleep(Duration::from_millis(200));
    harness.run_steps(2);
    let with = harness.render().expect("render");
    save(&with, "view3d-oblique-3d.png");
    // At the focus (on the plane, below the clip face, with only transparent soft tissue in
    // front) the 3D view shows the slice: brain grey with the viewer's window.
    let app = harness.state();
    let (_, r3) = *app.viewer.viewport_rects.iter().find(|(vp, _)| *vp == 3).unwrap();
    let g = &app.viewer.loaded.as_ref().unwrap().plan.geometry;
    let size = [f64::from(r3.width()), f64::from(r3.height())];
    let uv = app.viewer.view3d.camera.as_ref().unwrap().screen_uv(g, size, focus);
    let at = r3.min + egui::vec2(uv[0] as f32 * r3.width(), uv[1] as f32 * r3.height());
    let px = with.get_pixel(at.x as u32, at.y as u32).0.map(i32::from);
    assert!(
        px[0] > 40 && (px[0] - px[1]).abs() <= 6 && (px[1] - px[2]).abs() <= 6,
        "the slice is drawn grey at the focus: {px:?}"
    );
    harness.state_mut().viewer.view3d.show_oblique = false;
    harness.run_steps(3);
    let without = harness.render().expect("render");
    let (_, r3) = *harness.state().viewer.viewport_rects.iter().find(|(vp, _)| *vp == 3).unwrap();
    let mut changed = 0;
    for y in (r3.min.y as u32..r3.max.y as u32).step_by(2) {
        for x in (r3.min.x as u32..r3.max.x as u32).step_by(2) {
            changed += usize::from(with.get_pixel(x, y) != without.get_pixel(x, y));
        }
    }
    assert!(changed > 200, "the plane changes the 3D view ({changed} sampled pixels)");
}

#[test]
fn defacing_mask_is_tinted_in_the_mpr_views_and_dragging_the_cut_reruns_the_proposal() {
    let (_data, mut harness) = demo_harness(egui::vec2(1600.0, 1000.0), |app| app.deface.open = true);
    step_until(&mut harness, "the defacing proposal", |app| app.deface.proposal.is_some() && !app.deface.busy());
    harness.get_by_label("2×2").click();
    harness.run_steps(3);
    std::thread::sleep(Duration::from_millis(200));
    harness.run_steps(2);
    let app = harness.state();
    assert_eq!(app.viewer.layout, Layout::TwoByTwo);
    assert!(app.viewer.is_3d(3));
    let p = app.deface.proposal.clone().unwrap();
    let nz = app.viewer.loaded.as_ref().unwrap().plan.geometry.dims[2];
    assert_eq!(app.viewer.view3d.mask3d.last_update_slices, nz, "the mask went to the 3D view whole");
    assert!(p.is_head && p.removed_voxels > 10_000, "{}", p.reason());
    let l = app.viewer.loaded.as_ref().unwrap();
    let g = l.plan.geometry.clone();
    let (vp, rect) = app.viewer.viewport_rects[2];
    let (_, r3) = *app.viewer.viewport_rects.iter().find(|(vp, _)| *vp == 3).unwrap();
    let view = app.viewer.views[vp].clone();
    let focus = app.viewer.focus;
    assert_eq!(view.plane, Plane::Sagittal);
    // A screen point of the sagittal view over the removed region, and its render.
    let size = [f64::from(rect.width()), f64::from(rect.height())];
    let masked_at = |pos: egui::Pos2| {
        let uv = [f64::from((pos.x - rect.min.x) / rect.width()), f64::from((pos.y - rect.min.y) / rect.height())];
        let i = g.patient_to_index(view.patient_at(&g, focus, size, uv)).unwrap();
        let (x, y, z) = (i.x.round() as usize, i.y.round() as usize, i.z.round() as usize);
        x < g.dims[0] && y < g.dims[1] && z < g.dims[2] && p.mask[(z * g.dims[1] + y) * g.dims[0] + x] != 0
    };
    let grab = (0..rect.height() as usize / 4)
        .flat_map(|j| (0..rect.width() as usize / 4).map(move |i| (i, j)))
        .map(|(i, j)| rect.min + egui::vec2(i as f32 * 4.0 + 2.0, j as f32 * 4.0 + 2.0))
        .find(|&q| masked_at(q) && masked_at(q + egui::vec2(-6.0, 0.0)) && masked_at(q + egui::vec2(0.0, 6.0)))
        .expect("the sagittal view shows the removed region");
    let img = harness.render().expect("render");
    save(&img, "deface-review-mpr.png");
    let px = img.get_pixel(grab.x as u32, grab.y as u32).0;
    assert!(px[0] > px[1] + 30 && px[0] > px[2] + 30, "the removed region is tinted red: {px:?}");
    // The 3D view (the face, from the front) is tinted where the mask removes it: closing the
    // review takes the tint away.
    let reds = |img: &image::RgbaImage| {
        let mut n = 0;
        for y in (r3.min.y as u32 + 20..r3.max.y as u32 - 20).step_by(2) {
            for x in (r3.min.x as u32..r3.max.x as u32).step_by(2) {
                let c = img.get_pixel(x, y).0;
                n += usize::from(i32::from(c[0]) > i32::from(c[1]) + 70 && i32::from(c[0]) > i32::from(c[2]) + 70);
            }
        }
        n
    };
    let tinted = reds(&img);
    harness.state_mut().deface.open = false;
    harness.run_steps(3);
    std::thread::sleep(Duration::from_millis(200));
    harness.run_steps(2);
    let plain = reds(&harness.render().expect("render"));
    assert!(tinted > 2 * plain + 100, "3D: {tinted} red pixels with the review open, {plain} without");
    harness.state_mut().deface.open = true;
    harness.run_steps(3);

    // Drag the red region 40 px posteriorly (screen right): deeper cut, re-proposed off the UI thread.
    let depth = harness.state().deface.params.depth_mm;
    let revision = harness.state().deface.revision;
    let zoom = view.zoom;
    drag(&mut harness, grab, egui::vec2(40.0, 0.0), 8, egui::Modifiers::NONE);
    let app = harness.state();
    assert!(!app.viewer.primary_taken && app.deface.drag.is_none(), "the drag ended");
    let expected = (depth + 40.0 / zoom).round().clamp(10.0, 50.0);
    assert_eq!(app.deface.params.depth_mm, expected, "the drag set the cut depth");
    assert_eq!(app.viewer.focus, focus, "the drag does not move the crosshair");
    step_until(&mut harness, "the new proposal", move |app| app.deface.revision > revision && !app.deface.busy());
    let q = harness.state().deface.proposal.clone().unwrap();
    assert_eq!(q.params.depth_mm, expected);
    assert!(
        q.removed_voxels > p.removed_voxels,
        "a deeper cut removes more: {} → {}",
        p.removed_voxels,
        q.removed_voxels
    );
}
