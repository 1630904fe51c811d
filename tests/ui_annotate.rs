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

/// A `w`×`h`×`d` block of `label` with its lower corner at `lo`, recorded as one edit.
fn block(
    map: &mut sumi::annotate::LabelMap,
    rec: &mut sumi::annotate::Recorder,
    lo: [usize; 3],
    n: [usize; 3],
    label: u8,
) {
    let width = map.dims()[0];
    for z in lo[2]..lo[2] + n[2] {
        rec.touch(map, z, [lo[0], lo[1], lo[0] + n[0], lo[1] + n[1]]);
        let s = map.slice_mut(z);
        for y in lo[1]..lo[1] + n[1] {
            s[y * width + lo[0]..y * width + lo[0] + n[0]].fill(label);
        }
    }
}

#[test]
fn compare_shows_the_dice_of_agreement_on_the_two_stored_layers_and_draws_the_difference() {
    let data = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(data.path()).unwrap();
    let project = data.path().join("agree.sumi");
    let mut harness = open(&project, Some(&demo));
    for _ in 0..2 {
        harness.get_by_label("Add label").click();
        harness.run_steps(2);
    }
    harness.state_mut().annotate.active = 1;
    let app = harness.state();
    let loaded = app.viewer.loaded.as_ref().unwrap();
    let (uid, g) = (loaded.series_uid.clone(), loaded.plan.geometry.clone());
    let c = g.patient_to_index(app.viewer.focus).unwrap().map(|v| v.round() as usize);

    // Layer B by another annotator: a block of label 1 through the centre of the shown slice and a
    // block of label 2 that the shown layer lacks.
    let mut db = Project::open(&project).unwrap();
    let b = db.create_label_layer(&uid, "dr-b", "dr-b", g.dims).unwrap();
    let mut map_b = sumi::annotate::LabelMap::new(g.dims);
    let mut rec = sumi::annotate::Recorder::default();
    block(&mut map_b, &mut rec, [c.x - 25, c.y - 6, c.z], [35, 12, 1], 1);
    block(&mut map_b, &mut rec, [c.x - 10, c.y + 30, c.z - 2], [20, 10, 5], 2);
    let delta = rec.finish(&map_b);
    db.commit_label_edit(b, &map_b, &delta, "brush", "dr-b").unwrap();
    drop(db);

    // Layer A (mine): a 2D stroke through the axial viewport's centre.
    let (_, axial) = harness.state().viewer.viewport_rects[0];
    drag(&mut harness, axial.center() - egui::vec2(40.0, 0.0), axial.center() + egui::vec2(40.0, 0.0), 8);
    assert!(painted(harness.state()) > 0);
    harness.get_by_value("(none)").click();
    harness.run_steps(2);
    harness.get_by_label("#1 dr-b (dr-b)").click();
    harness.run_steps(2);
    assert_eq!(harness.state().annotate.compare.other, Some(b), "layer B chosen in the panel");
    step_until(&mut harness, "the agreement table", |app| app.annotate.compare.result.is_some());

    let db = Project::open(&project).unwrap();
    let mine = db.label_layers(&uid).unwrap().into_iter().find(|l| l.annotator != "dr-b").unwrap();
    let map_a = db.load_label_layer(mine.id).unwrap();
    let expected = sumi::annotate::agreement::agreement(&map_a, &db.load_label_layer(b).unwrap(), g.spacing());
    eprintln!("agreement: {expected:?}");
    assert_eq!(expected.len(), 2);
    assert!(expected[0].dice > 0.1 && expected[0].dice < 0.95, "partial overlap: {:?}", expected[0]);
    assert_eq!(harness.state().annotate.compare.result.as_ref().unwrap().1, expected, "the worker's table");
    for r in &expected {
        let shown = format!("{:.3}", r.dice);
        assert!(harness.query_by_label(&shown).is_some(), "Dice {shown} of label {} shown", r.label);
    }
    assert!(harness.query_by_label(&format!("{:.2}", expected[0].hausdorff95_mm.unwrap())).is_some(), "HD95 shown");

    harness.get_by_label("Difference overlay").click();
    harness.run_steps(3);
    harness.hover_at(axial.center() + egui::vec2(0.0, 200.0));
    harness.run_steps(2);
    let img = harness.render().expect("render");
    let _ = std::fs::create_dir_all("target/screens");
    img.save("target/screens/annotate-agreement.png").unwrap();
    // The axial centre lies in both layers' label 1 (green); left of B's block only A painted (orange).
    let px = |p: egui::Pos2| img.get_pixel(p.x as u32, p.y as u32).0;
    let both = px(axial.center());
    assert!(u16::from(both[1]) > u16::from(both[0]) + 40 && u16::from(both[1]) > u16::from(both[2]) + 20, "{both:?}");
    let zoom = harness.state().viewer.views[0].zoom as f32;
    let a_only = px(axial.center() - egui::vec2(((25.0 + 4.0) * g.spacing()[0]) as f32 * zoom, 0.0));
    assert!(u16::from(a_only[0]) > u16::from(a_only[2]) + 60, "A only is orange: {a_only:?}");
}

#[test]
fn a_submitted_layer_refuses_edits_with_a_message_until_a_reviewer_requests_changes() {
    let data = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(data.path()).unwrap();
    let project = data.path().join("review.sumi");
    let mut harness = open(&project, Some(&demo));
    harness.get_by_label("Add label").click();
    harness.run_steps(2);
    let (_, axial) = harness.state().viewer.viewport_rects[0];
    drag(&mut harness, axial.center() - egui::vec2(30.0, 0.0), axial.center() + egui::vec2(30.0, 0.0), 6);
    let voxels = painted(harness.state());
    assert!(voxels > 0);
    harness.get_by_label("Submit for review").click();
    harness.run_steps(3);
    let id = harness.state().annotate.layer.as_ref().unwrap().id.unwrap();
    let db = Project::open(&project).unwrap();
    assert_eq!(db.label_layer_status(id).unwrap(), "submitted");
    drop(db);
    assert!(harness.query_by_label("Submitted").is_some(), "the status is shown");

    // A second stroke and Ctrl+Z are refused: nothing changes, and the panel says why.
    drag(&mut harness, axial.center() + egui::vec2(-30.0, 30.0), axial.center() + egui::vec2(30.0, 30.0), 6);
    assert_eq!(painted(harness.state()), voxels, "a submitted layer is not painted on");
    let message = harness.state().annotate.message.clone().expect("a message");
    assert!(message.contains("cannot be edited"), "{message}");
    assert!(harness.query_by_label_contains("cannot be edited").is_some(), "the message is in the panel");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.run_steps(3);
    assert_eq!(painted(harness.state()), voxels, "nor undone");
    let db = Project::open(&project).unwrap();
    assert_eq!(db.count("annotation_edits").unwrap(), 1);
    drop(db);

    // The reviewer asks for changes (a comment is required); the layer is editable again.
    harness.get_by_label("Request changes").click();
    harness.run_steps(3);
    assert!(harness.state().annotate.message.as_deref().is_some_and(|m| m.contains("comment")), "refused without one");
    harness.get_by_role_and_label(egui::accesskit::Role::TextInput, "Comment").click();
    harness.run_steps(1);
    harness.get_by_role_and_label(egui::accesskit::Role::TextInput, "Comment").type_text("extend to the edge");
    harness.run_steps(2);
    harness.get_by_label("Request changes").click();
    harness.run_steps(3);
    let db = Project::open(&project).unwrap();
    assert_eq!(db.label_layer_status(id).unwrap(), "changes-requested");
    let reviews = db.label_layer_reviews(id).unwrap();
    assert_eq!(reviews.last().unwrap().comment.as_deref(), Some("extend to the edge"));
    drop(db);
    assert!(harness.query_by_label_contains("extend to the edge").is_some(), "the comment is in the history");
    drag(&mut harness, axial.center() + egui::vec2(-30.0, 30.0), axial.center() + egui::vec2(30.0, 30.0), 6);
    assert!(painted(harness.state()) > voxels, "editable again after changes were requested");
}
