//! Annotate mode driven like a user would: paint a stroke on the demo CT, undo and redo it with
//! the keyboard, and find the layer again in a new session on the same project.
#![cfg(feature = "gui")]

mod ui_support;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sumi::project::Project;
use sumi::ui::SumiApp;
use ui_support::*;

#[test]
fn a_brush_stroke_is_one_stored_edit_undo_takes_it_back_and_a_new_session_restores_the_layer() {
    let data = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(data.path()).unwrap();
    let project = data.path().join("annotate.sumi");
    let mut harness = open(&project, Some(&demo));
    harness.get_by_label("Add label").click();
    harness.run_steps(2);
    assert_eq!(harness.state().annotate.labels.len(), 1, "one label in the table");

    // A horizontal 2D stroke of 80 screen points through the axial viewport's centre.
    let (_, axial) = harness.state().viewer.viewport_rects[0];
    let (from, to) = (axial.center() - egui::vec2(40.0, 0.0), axial.center() + egui::vec2(40.0, 0.0));
    drag(&mut harness, from, to, 8);
    let app = harness.state();
    let voxels = painted(app);
    let g = &app.viewer.loaded.as_ref().unwrap().plan.geometry;
    let (s, r) = (g.spacing(), app.annotate.radius_mm);
    let length = 80.0 / app.viewer.views[0].zoom;
    let expected = (std::f64::consts::PI * r * r + 2.0 * r * length) / (s[0] * s[1]);
    let ratio = voxels as f64 / expected;
    eprintln!("stroke: {voxels} voxels, expected ~{expected:.0} ({r} mm brush, {length:.1} mm path, {s:?} mm voxels)");
    assert!((0.8..1.2).contains(&ratio), "{voxels} voxels painted, a {r} mm brush over {length:.1} mm: ~{expected:.0}");
    let k = app.viewer.current_k().unwrap();
    let map = &app.annotate.layer.as_ref().unwrap().map;
    assert_eq!(map.labelled_slices().collect::<Vec<_>>(), vec![k], "a 2D brush stays in the shown slice");

    let db = Project::open(&project).unwrap();
    assert_eq!(db.count("annotation_edits").unwrap(), 1, "one stroke, one edit");
    let layer = db.label_layers(&app.viewer.loaded.as_ref().unwrap().series_uid).unwrap();
    assert_eq!(layer.len(), 1, "the layer is created on the first stroke");
    assert_eq!(layer[0].annotator, sumi::project::default_actor());
    assert_eq!(db.load_label_layer(layer[0].id).unwrap().histogram()[1], voxels, "the stored layer is what is shown");
    drop(db);

    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.run_steps(3);
    assert_eq!(painted(harness.state()), 0, "Ctrl+Z takes the stroke back");
    let db = Project::open(&project).unwrap();
    let edits = db.label_edits(layer[0].id).unwrap();
    assert!(edits.len() == 1 && edits[0].undone, "the edit is marked undone");
    assert_eq!(db.load_label_layer(layer[0].id).unwrap().bytes_in_memory(), 0);
    drop(db);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Y);
    harness.run_steps(3);
    assert_eq!(painted(harness.state()), voxels, "Ctrl+Y redoes it");
    drop(harness);

    // A new session on the same project: the layer and its undo history come back.
    let mut harness = open(&project, None);
    let app = harness.state();
    assert_eq!(painted(app), voxels, "the layer is restored");
    assert!(app.annotate.layer.as_ref().unwrap().history.can_undo(), "with its undo history");
    assert_eq!(app.annotate.labels.len(), 1);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.run_steps(3);
    assert_eq!(painted(harness.state()), 0, "the restored stroke can be undone");
}

#[test]
fn blind_mode_hides_the_patient_in_the_viewports_and_is_a_project_setting() {
    let data = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(data.path()).unwrap();
    let project = data.path().join("blind.sumi");
    let mut harness = open(&project, Some(&demo));
    let name = harness.state().viewer.loaded.as_ref().unwrap().metas[0].patient_name.clone().unwrap();
    assert!(harness.query_all_by_label_contains(&name).next().is_some(), "{name} shown before");
    harness.get_by_label("View").click();
    harness.run_steps(2);
    harness.get_by_label("Blind mode (hide patient identity)").click();
    harness.run_steps(3);
    harness.key_press(egui::Key::Escape);
    harness.run_steps(3);
    assert!(harness.query_all_by_label_contains(&name).next().is_none(), "{name} hidden in blind mode");
    let db = Project::open(&project).unwrap();
    assert_eq!(db.setting("annotate.blind").unwrap().as_deref(), Some("yes"));
}

#[test]
fn painted_labels_show_over_all_three_planes_in_the_2x2_layout() {
    let data = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(data.path()).unwrap();
    let project = data.path().join("shots.sumi");
    let mut harness = open(&project, Some(&demo));
    harness.get_by_label("2×2").click();
    harness.run_steps(3);
    for _ in 0..2 {
        harness.get_by_label("Add label").click();
        harness.run_steps(2);
    }
    // Label 1: a 3D brush stroke (a 10 mm ball dragged across the axial view).
    harness.state_mut().annotate.active = 1;
    harness.state_mut().annotate.radius_mm = 10.0;
    harness.state_mut().annotate.sphere = true;
    let (_, axial) = harness.state().viewer.viewport_rects[0];
    let c = axial.center();
    drag(&mut harness, c + egui::vec2(-60.0, -50.0), c + egui::vec2(-10.0, -40.0), 6);
    // Label 2: region grow in 2D from a seed in soft tissue within 0–80 HU.
    {
        let a = &mut harness.state_mut().annotate;
        (a.active, a.tool, a.range, a.grow_3d) = (2, sumi::ui::annotate::Tool::Grow, Some((0.0, 80.0)), false);
    }
    let seed = c + egui::vec2(20.0, 20.0);
    harness.event(egui::Event::PointerMoved(seed));
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton {
            pos: seed,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
        harness.step();
    }
    harness.run_steps(3);
    harness.state_mut().annotate.styles[1] = sumi::ui::annotate::Style::Outline;
    harness.state_mut().annotate.tool = sumi::ui::annotate::Tool::Brush;
    // Move the crosshair into the ball so the coronal and sagittal views cut through it.
    {
        let app = harness.state_mut();
        let g = app.viewer.loaded.as_ref().unwrap().plan.geometry.clone();
        let p = c + egui::vec2(-35.0, -45.0);
        let uv = [f64::from((p.x - axial.min.x) / axial.width()), f64::from((p.y - axial.min.y) / axial.height())];
        let size = [f64::from(axial.width()), f64::from(axial.height())];
        app.viewer.focus = app.viewer.views[0].patient_at(&g, app.viewer.focus, size, uv);
    }
    harness.hover_at(c + egui::vec2(60.0, -60.0));
    harness.run_steps(3);
    let app = harness.state();
    let stats = app.annotate.stats.clone();
    eprintln!("stats: {stats:?}");
    assert_eq!(stats.len(), 2, "both labels hold voxels: {stats:?}");
    assert!(stats[0].voxels > 1000 && stats[0].volume_ml > 1.0, "{:?}", stats[0]);
    assert!(stats[1].min >= 0.0 && stats[1].max <= 80.0, "grown within the range: {:?}", stats[1]);
    let db = Project::open(&project).unwrap();
    assert_eq!(db.count("annotation_edits").unwrap(), 2, "a stroke and a fill");
    drop(db);
    // Fill holes on label 2: one more edit exactly when it filled something, never fewer voxels.
    harness.get_by_label("Fill holes").click();
    harness.run_steps(3);
    let filled = harness.state().annotate.stats[1].voxels;
    eprintln!("fill holes: label 2 {} → {filled} voxels", stats[1].voxels);
    assert!(filled >= stats[1].voxels);
    let db = Project::open(&project).unwrap();
    assert_eq!(db.count("annotation_edits").unwrap(), 2 + i64::from(filled > stats[1].voxels));
    drop(db);
    let img = harness.render().expect("render");
    let _ = std::fs::create_dir_all("target/screens");
    img.save("target/screens/annotate-2x2.png").unwrap();
    // The ball's centre (now the focus, in each slice view's middle) is drawn in label 1's
    // colour (red, blended) in the axial and sagittal views (the coronal one shows outlines).
    for vp in [0, 2] {
        let (_, r) = harness.state().viewer.viewport_rects[vp];
        let p = r.center() + egui::vec2(4.0, -4.0);
        let px = img.get_pixel(p.x as u32, p.y as u32).0;
        assert!(
            u16::from(px[0]) > u16::from(px[1]) + 40 && u16::from(px[0]) > u16::from(px[2]) + 40,
            "label colour over viewport {vp}: {px:?}"
        );
    }
}

#[test]
fn a_polygon_clicked_in_the_axial_view_fills_its_area_and_shift_erases_inside_another() {
    let data = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(data.path()).unwrap();
    let project = data.path().join("polygon.sumi");
    let mut harness = open(&project, Some(&demo));
    harness.get_by_label("Add label").click();
    harness.run_steps(2);
    let (_, axial) = harness.state().viewer.viewport_rects[0];
    let c = axial.center();
    harness.hover_at(c);
    harness.run_steps(1);
    harness.key_press(egui::Key::P);
    harness.run_steps(2);
    assert_eq!(harness.state().annotate.tool, sumi::ui::annotate::Tool::Polygon, "P picks the polygon tool");

    // An 80 × 60 point rectangle, closed by a click on its first point.
    let corners = [egui::vec2(-40.0, -30.0), egui::vec2(40.0, -30.0), egui::vec2(40.0, 30.0), egui::vec2(-40.0, 30.0)];
    for d in corners {
        click(&mut harness, c + d, egui::Modifiers::NONE);
    }
    assert_eq!(label_voxels(harness.state(), 1), 0, "nothing is filled before the polygon closes");
    click(&mut harness, c + corners[0], egui::Modifiers::NONE);
    harness.run_steps(3);
    let app = harness.state();
    let filled = label_voxels(app, 1);
    let s = app.viewer.loaded.as_ref().unwrap().plan.geometry.spacing();
    let zoom = app.viewer.views[0].zoom;
    let expected = (80.0 / zoom) * (60.0 / zoom) / (s[0] * s[1]);
    eprintln!("polygon: {filled} voxels, expected ~{expected:.0} ({zoom:.3} px/mm, {s:?} mm voxels)");
    assert!((filled as f64 / expected - 1.0).abs() < 0.05, "{filled} voxels for ~{expected:.0}");
    let k = app.viewer.current_k().unwrap();
    let map = &app.annotate.layer.as_ref().unwrap().map;
    assert_eq!(map.labelled_slices().collect::<Vec<_>>(), vec![k], "the polygon lies in the shown slice");
    assert!(app.annotate.layer.as_ref().unwrap().history.can_undo());
    let db = Project::open(&project).unwrap();
    assert_eq!(db.count("annotation_edits").unwrap(), 1, "one polygon, one edit");
    drop(db);

    // A triangle inside it with Shift held, closed by a double click: erases its area.
    let tri = [egui::vec2(-20.0, -20.0), egui::vec2(20.0, -20.0), egui::vec2(0.0, 20.0)];
    click(&mut harness, c + tri[0], egui::Modifiers::SHIFT);
    click(&mut harness, c + tri[1], egui::Modifiers::SHIFT);
    clicks(&mut harness, c + tri[2], egui::Modifiers::SHIFT, 2);
    harness.run_steps(3);
    assert!(harness.state().viewer.maximized.is_none(), "the double click closed the polygon, not maximised the view");
    let erased = filled - label_voxels(harness.state(), 1);
    let tri_expected = 0.5 * (40.0 / zoom) * (40.0 / zoom) / (s[0] * s[1]);
    eprintln!("erase triangle: {erased} voxels, expected ~{tri_expected:.0}");
    assert!((erased as f64 / tri_expected - 1.0).abs() < 0.1, "{erased} voxels erased for ~{tri_expected:.0}");

    // Esc throws a polygon in progress away.
    for d in [egui::vec2(60.0, 50.0), egui::vec2(90.0, 50.0), egui::vec2(90.0, 80.0)] {
        click(&mut harness, c + d, egui::Modifiers::NONE);
    }
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    harness.key_press(egui::Key::Enter);
    harness.run_steps(2);
    assert_eq!(filled - label_voxels(harness.state(), 1), erased, "a cancelled polygon fills nothing");
    let db = Project::open(&project).unwrap();
    assert_eq!(db.count("annotation_edits").unwrap(), 2);
    drop(db);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.run_steps(3);
    assert_eq!(label_voxels(harness.state(), 1), filled, "undo brings the erased triangle back");
}

#[test]
fn two_painted_slices_are_interpolated_and_the_result_is_one_undo_step() {
    let data = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(data.path()).unwrap();
    let project = data.path().join("interp.sumi");
    let mut harness = open(&project, Some(&demo));
    harness.get_by_label("2×2").click();
    harness.run_steps(3);
    harness.get_by_label("Add label").click();
    harness.run_steps(2);
    let (_, axial) = harness.state().viewer.viewport_rects[0];
    let c = axial.center();
    let k0 = harness.state().viewer.current_k().unwrap();
    // A 12 mm disc (one brush click) on this slice, a 6 mm one 8 slices up and a little aside.
    harness.state_mut().annotate.radius_mm = 12.0;
    click(&mut harness, c, egui::Modifiers::NONE);
    let move_slices = |harness: &mut Harness<'_, SumiApp>, n: f64| {
        let app = harness.state_mut();
        let g = app.viewer.loaded.as_ref().unwrap().plan.geometry.clone();
        let (_, _, normal) = app.viewer.views[0].plane.axes(&g);
        let step = app.viewer.views[0].slice_step(&g);
        app.viewer.focus += normal * step * n;
    };
    move_slices(&mut harness, 8.0);
    harness.run_steps(2);
    let k1 = harness.state().viewer.current_k().unwrap();
    assert_eq!(k1.abs_diff(k0), 8, "moved 8 slices");
    harness.state_mut().annotate.radius_mm = 6.0;
    click(&mut harness, c + egui::vec2(12.0, 0.0), egui::Modifiers::NONE);
    harness.hover_at(c);
    harness.run_steps(2);
    let before = per_slice(harness.state(), 1);
    let (lo, hi) = (k0.min(k1), k0.max(k1));
    assert!(before[lo] > 0 && before[hi] > 0 && before[lo + 1..hi].iter().all(|&n| n == 0), "two key slices");

    harness.get_by_label("Interpolate slices").click();
    harness.run_steps(3);
    let after = per_slice(harness.state(), 1);
    eprintln!("interpolation: slices {lo}..={hi}: {:?}", &after[lo..=hi]);
    assert_eq!((after[lo], after[hi]), (before[lo], before[hi]), "key slices untouched");
    let (big, small) = (before[k0], before[k1]);
    let along: Vec<usize> =
        if k0 < k1 { after[lo..=hi].to_vec() } else { after[lo..=hi].iter().rev().copied().collect() };
    for (i, w) in along.windows(2).enumerate() {
        assert!(w[1] <= w[0], "the disc shrinks monotonically from {big} to {small} voxels: {along:?} at {i}");
    }
    assert!(along[1..8].iter().all(|&n| n > small && n < big), "{along:?}");
    assert!(after.iter().enumerate().all(|(z, &n)| (lo..=hi).contains(&z) || n == 0), "nothing outside");
    let db = Project::open(&project).unwrap();
    assert_eq!(db.count("annotation_edits").unwrap(), 3, "two clicks and one interpolation");
    drop(db);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.run_steps(3);
    assert_eq!(per_slice(harness.state(), 1), before, "one undo step takes the interpolation back");
}

#[test]
fn a_freehand_outline_in_the_coronal_view_fills_across_slices_and_a_polygon_draws_as_it_grows() {
    let data = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(data.path()).unwrap();
    let project = data.path().join("contours.sumi");
    let mut harness = open(&project, Some(&demo));
    harness.get_by_label("2×2").click();
    harness.run_steps(3);
    for _ in 0..2 {
        harness.get_by_label("Add label").click();
        harness.run_steps(2);
    }
    // Label 2, freehand: a 60 × 40 point rectangle traced as one drag in the coronal view.
    harness.state_mut().annotate.active = 2;
    let (_, coronal) = harness.state().viewer.viewport_rects[1];
    let c = coronal.center();
    harness.hover_at(c);
    harness.run_steps(1);
    harness.key_press(egui::Key::F);
    harness.run_steps(2);
    let path =
        [(-30.0, -20.0), (30.0, -20.0), (30.0, 20.0), (-30.0, 20.0), (-30.0, -20.0)].map(|(x, y)| c + egui::vec2(x, y));
    let button = |pos, pressed| egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::NONE,
    };
    harness.event(egui::Event::PointerMoved(path[0]));
    harness.event(button(path[0], true));
    harness.step();
    for w in path.windows(2) {
        for i in 1..=6 {
            harness.event(egui::Event::PointerMoved(w[0] + (w[1] - w[0]) * (i as f32 / 6.0)));
            harness.step();
        }
    }
    harness.event(button(path[4], false));
    harness.run_steps(3);
    let app = harness.state();
    let s = app.viewer.loaded.as_ref().unwrap().plan.geometry.spacing();
    let zoom = app.viewer.views[1].zoom;
    let expected = (60.0 / zoom) * (40.0 / zoom) / (s[0] * s[2]);
    let got = label_voxels(app, 2);
    eprintln!("freehand (coronal): {got} voxels, expected ~{expected:.0}");
    assert!((got as f64 / expected - 1.0).abs() < 0.08, "{got} voxels for ~{expected:.0}");
    let slices = per_slice(app, 2).iter().filter(|&&n| n > 0).count() as f64;
    assert!((slices - 40.0 / zoom / s[2]).abs() <= 2.0, "a coronal contour spans {slices} axial slices");

    // Label 1: a polygon in the axial view, closed with Enter; then a second one left open.
    harness.state_mut().annotate.active = 1;
    let (_, axial) = harness.state().viewer.viewport_rects[0];
    let a = axial.center();
    harness.hover_at(a);
    harness.run_steps(1);
    harness.key_press(egui::Key::P);
    harness.run_steps(1);
    for d in [(-50.0, -10.0), (-10.0, -45.0), (25.0, -20.0), (15.0, 25.0), (-35.0, 30.0)] {
        click(&mut harness, a + egui::vec2(d.0, d.1), egui::Modifiers::NONE);
    }
    harness.key_press(egui::Key::Enter);
    harness.run_steps(2);
    assert!(label_voxels(harness.state(), 1) > 1000, "Enter closes and fills the polygon");
    for d in [(30.0, 40.0), (70.0, 35.0), (80.0, 75.0)] {
        click(&mut harness, a + egui::vec2(d.0, d.1), egui::Modifiers::NONE);
    }
    harness.hover_at(a + egui::vec2(35.0, 70.0));
    harness.run_steps(2);
    let db = Project::open(&project).unwrap();
    assert_eq!(db.count("annotation_edits").unwrap(), 2, "a freehand fill and a polygon; the open one is not stored");
    drop(db);
    let img = harness.render().expect("render");
    let _ = std::fs::create_dir_all("target/screens");
    img.save("target/screens/annotate-tools.png").unwrap();
    // The open polygon's first point is drawn in label 1's colour (red).
    let p = a + egui::vec2(30.0, 40.0);
    let px = img.get_pixel(p.x as u32, p.y as u32).0;
    assert!(u16::from(px[0]) > u16::from(px[1]) + 60, "polygon point drawn: {px:?}");
}
