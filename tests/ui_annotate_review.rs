//! Annotate mode, measuring and reviewing: markups drawn and measured through the geometry,
//! undo of label-table edits across sessions, agreement between two annotators' layers with the
//! difference overlay, and a submitted layer refusing edits.
#![cfg(feature = "gui")]

mod ui_support;

use eframe::egui;
use egui_kittest::kittest::Queryable;
use sumi::project::Project;
use ui_support::*;

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
    scroll_panel(&mut harness);
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

    scroll_panel(&mut harness);
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

#[test]
fn a_finding_typed_in_the_panel_is_recorded_for_the_series_with_its_code_and_listed() {
    let data = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(data.path()).unwrap();
    let project = data.path().join("findings.sumi");
    let mut harness = open(&project, Some(&demo));

    let type_into = |harness: &mut egui_kittest::Harness<'_, sumi::ui::SumiApp>, label: &str, text: &str| {
        harness.get_by_role_and_label(egui::accesskit::Role::TextInput, label).click();
        harness.run_steps(2);
        harness.get_by_role_and_label(egui::accesskit::Role::TextInput, label).type_text(text);
        harness.run_steps(2);
    };
    scroll_panel(&mut harness);
    type_into(&mut harness, "Text of the finding", "glioma, left frontal");
    assert_eq!(harness.state().annotate.findings.text_for_test(), "glioma, left frontal", "typed");
    harness.get_by_label("Code (optional)").click();
    harness.run_steps(2);
    scroll_panel(&mut harness);
    type_into(&mut harness, "Code value", "393563007");
    type_into(&mut harness, "Scheme (e.g. SCT)", "SCT");
    type_into(&mut harness, "Meaning", "Glioma");
    scroll_panel(&mut harness);
    harness.get_by_label("Record finding").click();
    harness.run_steps(3);
    let series = harness.state().viewer.loaded.as_ref().unwrap().series_uid.clone();
    let stored = Project::open(&project).unwrap().findings(None).unwrap();
    assert_eq!(
        stored.len(),
        1,
        "{stored:?} {:?} text {:?}",
        harness.state().annotate.message,
        harness.state().annotate.findings.text_for_test()
    );
    let f = &stored[0];
    assert_eq!((f.kind.as_str(), f.text.as_str()), ("diagnosis", "glioma, left frontal"));
    assert_eq!(f.series_uid.as_deref(), Some(series.as_str()), "recorded for the open series");
    assert_eq!(f.code, Some(("393563007".into(), "SCT".into(), "Glioma".into())));
    let audited: i64 = Project::open(&project)
        .unwrap()
        .conn
        .query_row("SELECT count(*) FROM audit_log WHERE action = 'finding'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(audited, 1);
    harness.get_by_label_contains("glioma, left frontal");
    // A new session lists it again.
    drop(harness);
    let harness = open(&project, Some(&demo));
    harness.get_by_label_contains("glioma, left frontal");
}
