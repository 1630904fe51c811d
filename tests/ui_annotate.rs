//! Annotate mode driven like a user would: paint a stroke on the demo CT, undo and redo it with
//! the keyboard, and find the layer again in a new session on the same project.
#![cfg(feature = "gui")]

use std::time::{Duration, Instant};

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sumi::project::Project;
use sumi::ui::SumiApp;

fn wgpu_setup() -> sumi::render::egui_wgpu::WgpuSetup {
    let mut setup = egui_kittest::wgpu::default_wgpu_setup();
    if let sumi::render::egui_wgpu::WgpuSetup::CreateNew(new) = &mut setup {
        new.device_descriptor = std::sync::Arc::new(sumi::render::device_descriptor);
    }
    setup
}

fn step_until(harness: &mut Harness<'_, SumiApp>, what: &str, done: impl Fn(&SumiApp) -> bool) {
    let start = Instant::now();
    while !done(harness.state()) {
        assert!(start.elapsed() < Duration::from_secs(120), "timed out waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    harness.run_steps(3);
}

fn open(project: &std::path::Path, demo: Option<&std::path::Path>) -> Harness<'static, SumiApp> {
    let (project, demo) = (project.to_path_buf(), demo.map(|d| d.to_path_buf()));
    let mut harness =
        Harness::builder().with_size(egui::vec2(1500.0, 900.0)).wgpu_setup(wgpu_setup()).build_eframe(move |cc| {
            let mut app = SumiApp::new(cc);
            app.open_project(project.clone());
            if let Some(d) = &demo {
                app.open_paths(vec![d.clone()]);
            }
            app
        });
    step_until(&mut harness, "the CT to load", |app| app.viewer.loaded.as_ref().is_some_and(|l| l.volume.is_some()));
    harness.get_by_label("View").click();
    harness.run_steps(2);
    harness.get_by_label("Annotate").click();
    harness.run_steps(3);
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    assert!(harness.state().annotate.open, "the View menu entry enters annotate mode");
    harness
}

/// A primary-button drag from `a` to `b` in `n` moves.
fn drag(harness: &mut Harness<'_, SumiApp>, a: egui::Pos2, b: egui::Pos2, n: usize) {
    let button = |pos, pressed| egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::NONE,
    };
    harness.event(egui::Event::PointerMoved(a));
    harness.step();
    harness.event(button(a, true));
    harness.step();
    for i in 1..=n {
        harness.event(egui::Event::PointerMoved(a + (b - a) * (i as f32 / n as f32)));
        harness.step();
    }
    harness.event(button(b, false));
    harness.run_steps(3);
}

fn painted(app: &SumiApp) -> u64 {
    let map = &app.annotate.layer.as_ref().expect("a layer for the open series").map;
    map.histogram()[1..].iter().sum()
}

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

/// The voxel index the viewport shows under a screen point (on its slice), as the tools map it.
fn index_under(app: &SumiApp, vp: usize, p: egui::Pos2) -> [f64; 3] {
    let (_, r) = app.viewer.viewport_rects.iter().copied().find(|(v, _)| *v == vp).unwrap();
    let g = &app.viewer.loaded.as_ref().unwrap().plan.geometry;
    let uv = [f64::from((p.x - r.min.x) / r.width()), f64::from((p.y - r.min.y) / r.height())];
    let size = [f64::from(r.width()), f64::from(r.height())];
    let v = g.patient_to_index(app.viewer.views[vp].patient_at(g, app.viewer.focus, size, uv)).unwrap();
    [v.x, v.y, v.z.round()]
}

#[test]
fn a_dragged_line_lists_the_length_of_its_voxel_points_moves_by_its_handle_and_undo_takes_steps_back() {
    use sumi::annotate::MarkupKind;
    use sumi::annotate::measure::length_mm;
    use sumi::ui::annotate::Tool;
    let data = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(data.path()).unwrap();
    let project = data.path().join("measure.sumi");
    let mut harness = open(&project, Some(&demo));
    harness.get_by_label("2×2").click();
    harness.run_steps(3);
    harness.get_by_label("Line").click();
    harness.run_steps(2);
    assert_eq!(harness.state().annotate.tool, Tool::Line);
    let (_, axial) = harness.state().viewer.viewport_rects[0];
    let c = axial.center();
    let (from, to) = (c + egui::vec2(-70.0, 30.0), c + egui::vec2(20.0, 75.0));
    drag(&mut harness, from, to, 8);
    let app = harness.state();
    let (a, b) = (index_under(app, 0, from), index_under(app, 0, to));
    let g = &app.viewer.loaded.as_ref().unwrap().plan.geometry;
    let expected = length_mm(g, a, b);
    let list = &app.annotate.markups.list;
    assert_eq!(list.len(), 1, "one markup");
    let MarkupKind::Line { a: la, b: lb } = list[0].0.kind.clone() else { panic!("a line: {:?}", list[0].0) };
    for i in 0..3 {
        assert!((la[i] - a[i]).abs() < 1e-6 && (lb[i] - b[i]).abs() < 1e-6, "{la:?} {lb:?} vs {a:?} {b:?}");
    }
    let text = format!("{expected:.1} mm");
    eprintln!("line {a:?} → {b:?}: {text}");
    assert!(expected > 20.0, "{text}");
    assert!(harness.query_all_by_label_contains(&text).next().is_some(), "the list shows {text}");
    let uid = app.viewer.loaded.as_ref().unwrap().series_uid.clone();
    assert_eq!(Project::open(&project).unwrap().markups(&uid).unwrap().len(), 1, "stored");

    // An angle (drag the first arm to the vertex, click the second arm's end) and a box.
    harness.get_by_label("Angle").click();
    harness.run_steps(2);
    let vertex = c + egui::vec2(-60.0, -60.0);
    drag(&mut harness, vertex + egui::vec2(70.0, 0.0), vertex, 6);
    let end = vertex + egui::vec2(40.0, -40.0);
    harness.hover_at(end);
    harness.run_steps(1);
    for pressed in [true, false] {
        let e = egui::Event::PointerButton {
            pos: end,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        };
        harness.event(e);
        harness.step();
    }
    harness.run_steps(3);
    let angle = harness.state().annotate.markups.list.last().unwrap().1.angle_deg;
    assert!(angle.is_some_and(|d| (d - 45.0).abs() < 5.0), "about 45° on near-square pixels: {angle:?}");
    harness.get_by_label("Box").click();
    harness.run_steps(2);
    drag(&mut harness, c + egui::vec2(30.0, -15.0), c + egui::vec2(80.0, 25.0), 6);
    let app = harness.state();
    assert_eq!(app.annotate.markups.list.len(), 3);
    let (m, r) = app.annotate.markups.list.last().unwrap();
    let caption = sumi::ui::annotate::markups::caption(&m.kind, r, app.lang, "HU");
    eprintln!("box: {caption}");
    assert!(caption.contains("cm²") && caption.contains("mean") && caption.ends_with("HU"), "{caption}");
    assert!(r.stats.is_some_and(|s| s.voxels > 100));
    harness.hover_at(c + egui::vec2(200.0, 200.0));
    harness.run_steps(3);
    let img = harness.render().expect("render");
    let _ = std::fs::create_dir_all("target/screens");
    img.save("target/screens/annotate-measure.png").unwrap();

    // Three undos take back the box, the angle and the line, in the store too; redo brings one back.
    for _ in 0..3 {
        harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
        harness.run_steps(2);
    }
    assert!(harness.state().annotate.markups.list.is_empty(), "undone");
    assert!(Project::open(&project).unwrap().markups(&uid).unwrap().is_empty(), "undone in the project");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Y);
    harness.run_steps(2);
    assert_eq!(harness.state().annotate.markups.list.len(), 1);
    assert!(harness.query_all_by_label_contains(&text).next().is_some(), "the line is back: {text}");

    // Dragging the line's end handle moves it: one more stored change, undone by one Ctrl+Z.
    let moved_to = to + egui::vec2(30.0, 0.0);
    drag(&mut harness, to, moved_to, 4);
    let app = harness.state();
    let b2 = index_under(app, 0, moved_to);
    let g = &app.viewer.loaded.as_ref().unwrap().plan.geometry;
    let stored = Project::open(&project).unwrap().markups(&uid).unwrap();
    assert_eq!(stored.len(), 1, "moved, not added: {stored:?}");
    let MarkupKind::Line { a: sa, b: sb } = stored[0].kind.clone() else { panic!("{stored:?}") };
    assert!(sa == la && (0..3).all(|i| (sb[i] - b2[i]).abs() < 1e-6), "{sa:?} {sb:?} vs {b2:?}");
    let moved = format!("{:.1} mm", length_mm(g, a, b2));
    assert!(harness.query_all_by_label_contains(&moved).next().is_some(), "the list shows {moved}");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.run_steps(2);
    let MarkupKind::Line { b: back, .. } = Project::open(&project).unwrap().markups(&uid).unwrap()[0].kind.clone()
    else {
        panic!("a line")
    };
    assert_eq!(back, lb, "undo puts the end back");
}

#[test]
fn undo_takes_back_a_label_rename_and_the_undone_rename_survives_a_new_session() {
    let data = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(data.path()).unwrap();
    let project = data.path().join("rename.sumi");
    let mut harness = open(&project, Some(&demo));
    harness.get_by_label("Add label").click();
    harness.run_steps(2);
    assert_eq!(harness.state().annotate.labels[0].name, "Label 1");
    harness.get_by_label("Name").click();
    harness.run_steps(1);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_by_label("Name").type_text("Liver");
    harness.run_steps(1);
    harness.key_press(egui::Key::Enter);
    harness.run_steps(3);
    assert_eq!(harness.state().annotate.labels[0].name, "Liver", "renamed");
    assert_eq!(Project::open(&project).unwrap().labels().unwrap()[0].name, "Liver");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.run_steps(3);
    assert_eq!(harness.state().annotate.labels.len(), 1, "the first undo takes back the rename, not the add");
    assert_eq!(harness.state().annotate.labels[0].name, "Label 1");
    assert_eq!(Project::open(&project).unwrap().labels().unwrap()[0].name, "Label 1", "undone in the project");
    drop(harness);

    let mut harness = open(&project, None);
    assert_eq!(harness.state().annotate.labels[0].name, "Label 1", "still undone");
    assert!(harness.state().annotate.layer.as_ref().unwrap().history.can_redo(), "the rename is the redo step");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Y);
    harness.run_steps(3);
    assert_eq!(harness.state().annotate.labels[0].name, "Liver", "redone");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.run_steps(3);
    assert!(harness.state().annotate.labels.is_empty(), "the add is undone too");
/// Primary-button clicks at `pos` with `modifiers` held, one per frame (frames are 0.25 s apart,
/// so two make a double click).
fn clicks(harness: &mut Harness<'_, SumiApp>, pos: egui::Pos2, modifiers: egui::Modifiers, n: usize) {
    harness.input_mut().events.extend([egui::Event::ModifiersChanged(modifiers), egui::Event::PointerMoved(pos)]);
    for _ in 0..n {
        for pressed in [true, false] {
            let e = egui::Event::PointerButton { pos, button: egui::PointerButton::Primary, pressed, modifiers };
            harness.input_mut().events.push(e);
        }
        harness.step();
    }
    harness.input_mut().events.push(egui::Event::ModifiersChanged(egui::Modifiers::NONE));
    harness.step();
}

fn click(harness: &mut Harness<'_, SumiApp>, pos: egui::Pos2, modifiers: egui::Modifiers) {
    clicks(harness, pos, modifiers, 1);
}

fn label_voxels(app: &SumiApp, label: u8) -> u64 {
    app.annotate.layer.as_ref().expect("a layer").map.histogram()[usize::from(label)]
}

/// Voxels of `label` per k-slice.
fn per_slice(app: &SumiApp, label: u8) -> Vec<usize> {
    let map = &app.annotate.layer.as_ref().expect("a layer").map;
    (0..map.dims()[2]).map(|z| map.slice(z).map_or(0, |s| s.iter().filter(|&&v| v == label).count())).collect()
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
