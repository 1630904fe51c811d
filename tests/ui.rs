//! The viewer driven like a user would, headless on wgpu (lavapipe in CI): open the demo study,
//! scroll slices, change window/level, switch layouts, and compare a snapshot.
#![cfg(feature = "gui")]

mod ui_support;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sumi::project::deface_review::DefaceStatus;
use sumi::ui::{Layout, SumiApp};
use sumi::volume::raycast::RenderMode;
use sumi::volume::transfer::TfPreset;
use ui_support::{step_until, wgpu_setup};

fn wheel(harness: &Harness<'_, SumiApp>, pos: egui::Pos2, notches: f32) {
    harness.hover_at(pos);
    harness.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Line,
        delta: egui::vec2(0.0, notches),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Unknown,
        modifiers: egui::Modifiers::NONE,
    });
}

#[test]
fn demo_study_opens_scrolls_changes_window_and_switches_layout() {
    let data = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(data.path()).unwrap();
    let mut harness =
        Harness::builder().with_size(egui::vec2(1400.0, 860.0)).wgpu_setup(wgpu_setup()).build_eframe(|cc| {
            let mut app = SumiApp::new(cc);
            app.open_paths(vec![demo.clone()]);
            app
        });
    step_until(&mut harness, "the CT to load", |app| app.viewer.loaded.as_ref().is_some_and(|l| l.volume.is_some()));
    let series = harness.state().tree.iter().flat_map(|p| &p.studies).flat_map(|s| &s.series).count();
    assert_eq!(series, 3, "demo: CT, ultrasound image and ultrasound cine");
    step_until(&mut harness, "thumbnails", move |app| app.thumbnails.len() == series);

    let app = harness.state();
    let loaded = app.viewer.loaded.as_ref().unwrap();
    assert_eq!(loaded.plan.modality, "CT", "the largest series (the head CT) opens first");
    assert_eq!(app.viewer.layout, Layout::OneByThree);
    assert_eq!(app.viewer.viewport_rects.len(), 3);

    // Wheel over the axial viewport moves one slice per notch along its normal.
    let (_, axial) = app.viewer.viewport_rects[0];
    let z0 = app.viewer.focus.z;
    let step = app.viewer.views[0].slice_step(&loaded.plan.geometry);
    for _ in 0..5 {
        wheel(&harness, axial.center(), 1.0);
        harness.run_steps(2);
    }
    let dz = harness.state().viewer.focus.z - z0;
    assert!((dz - 5.0 * step).abs() < 1e-6, "5 notches moved {dz} mm, expected {}", 5.0 * step);

    // Window/level: a preset, then a right-drag (wider window, higher level).
    harness.get_by_label("Bone").click();
    harness.run_steps(2);
    assert_eq!(harness.state().viewer.window, (600.0, 2800.0));
    harness.get_by_label("Brain").click();
    harness.run_steps(2);
    let before = harness.state().viewer.window;
    let p = axial.center();
    harness.event(egui::Event::PointerMoved(p));
    harness.event(egui::Event::PointerButton {
        pos: p,
        button: egui::PointerButton::Secondary,
        pressed: true,
        modifiers: egui::Modifiers::NONE,
    });
    harness.step();
    for i in 1..=10 {
        harness.event(egui::Event::PointerMoved(p + egui::vec2(4.0 * i as f32, 2.0 * i as f32)));
        harness.step();
    }
    harness.event(egui::Event::PointerButton {
        pos: p + egui::vec2(40.0, 20.0),
        button: egui::PointerButton::Secondary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    harness.run_steps(2);
    let after = harness.state().viewer.window;
    assert!(after.1 > before.1 && after.0 > before.0, "right-drag changes W/L: {before:?} → {after:?}");

    // Layout 2×2 shows four viewports.
    harness.get_by_label("2×2").click();
    harness.run_steps(3);
    assert_eq!(harness.state().viewer.layout, Layout::TwoByTwo);
    assert_eq!(harness.state().viewer.viewport_rects.len(), 4);
    harness.get_by_label("1×3").click();
    harness.get_by_label("Brain").click();
    harness.run_steps(3);

    // Timings and the adapter name vary between runs (and so do their widths): mask the status
    // bar from the first of them to the right edge.
    let varying: Vec<egui::Rect> = ["first image", "loaded in", "GPU:"]
        .iter()
        .flat_map(|label| harness.query_all_by_label_contains(label).map(|n| n.rect()).collect::<Vec<_>>())
        .collect();
    let mut mask = varying.iter().fold(egui::Rect::NOTHING, |a, r| a.union(*r));
    mask.max.x = 1400.0;
    harness.mask(mask);
    harness.snapshot("viewer_demo_ct");
}

#[test]
fn language_switches_to_japanese_at_run_time() {
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1000.0, 600.0))
        .wgpu_setup(wgpu_setup())
        .build_eframe(|cc| SumiApp::new(cc));
    harness.run_steps(2);
    harness.get_by_label("Language").click();
    harness.run_steps(2);
    harness.get_by_label("日本語").click();
    harness.run_steps(3);
    assert_eq!(harness.state().lang, sumi::ui::Lang::Ja);
    assert!(harness.query_by_label("ファイル").is_some(), "menus are translated");
    assert!(harness.query_by_label("シリーズ").is_some(), "the browser title is translated");
}

#[test]
fn gui_project_indexes_scans_and_reopens_from_the_database() {
    let data = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(data.path()).unwrap();
    let project = data.path().join("study.sumi");
    let mut harness =
        Harness::builder().with_size(egui::vec2(1000.0, 600.0)).wgpu_setup(wgpu_setup()).build_eframe(|cc| {
            let mut app = SumiApp::new(cc);
            app.open_project(project.clone());
            app.open_paths(vec![demo.clone()]);
            app
        });
    step_until(&mut harness, "the import", |app| app.last_import.is_some());
    let imported = harness.state().last_import.as_ref().unwrap().instances;
    assert_eq!(imported, 202, "every demo instance is indexed");
    drop(harness);

    // A new session opening the project lists the same series from the headers stored in the
    // database (the files are only checked, nothing is imported again) and opens the largest.
    let mut harness =
        Harness::builder().with_size(egui::vec2(1000.0, 600.0)).wgpu_setup(wgpu_setup()).build_eframe(|cc| {
            let mut app = SumiApp::new(cc);
            app.open_project(project.clone());
            app
        });
    step_until(&mut harness, "the project's series", |app| app.scan.is_some());
    let app = harness.state();
    assert_eq!(app.tree.iter().flat_map(|p| &p.studies).flat_map(|s| &s.series).count(), 3);
    assert_eq!(app.scan.as_ref().unwrap().instances.len(), 202);
    assert!(app.last_import.is_none(), "opening a project imports nothing");
    assert!(app.problems.items.is_empty(), "{:?}", app.problems.items);
    step_until(&mut harness, "the largest series", |app| {
        app.viewer.loaded.as_ref().is_some_and(|l| l.volume.is_some())
    });
    let db = sumi::project::Project::open(&project).unwrap();
    assert_eq!(db.integrity_check().unwrap(), "ok");
    assert_eq!(db.count("instances").unwrap(), 202);
}

#[test]
fn open_path_window_opens_a_typed_folder_without_a_desktop_file_dialog() {
    let data = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(data.path()).unwrap();
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1000.0, 600.0))
        .wgpu_setup(wgpu_setup())
        .build_eframe(|cc| SumiApp::new(cc));
    harness.get_by_label("File").click();
    harness.run_steps(2);
    harness.get_by_label("Open path…").click();
    harness.run_steps(2);
    harness.get_by_role(egui::accesskit::Role::TextInput).click();
    harness.run_steps(1);
    harness.get_by_role(egui::accesskit::Role::TextInput).type_text(&demo.display().to_string());
    harness.run_steps(1);
    assert_eq!(harness.state().open_path_text.as_deref(), Some(demo.display().to_string().as_str()), "typed");
    harness.get_by_label("Open").click();
    harness.run_steps(2);
    step_until(&mut harness, "the typed folder to load", |app| {
        app.viewer.loaded.as_ref().is_some_and(|l| l.volume.is_some())
    });
    assert!(harness.state().open_path_text.is_none(), "the window closes");
    assert_eq!(harness.state().scan.as_ref().unwrap().instances.len(), 202);
}

#[test]
fn deid_panel_shows_every_decision_for_the_current_instance_and_switches_profiles() {
    let data = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(data.path()).unwrap();
    let mut harness =
        Harness::builder().with_size(egui::vec2(1500.0, 900.0)).wgpu_setup(wgpu_setup()).build_eframe(|cc| {
            let mut app = SumiApp::new(cc);
            app.open_paths(vec![demo.clone()]);
            app
        });
    step_until(&mut harness, "the CT to load", |app| app.viewer.loaded.as_ref().is_some_and(|l| l.volume.is_some()));
    harness.get_by_label("View").click();
    harness.run_steps(2);
    harness.get_by_label("De-identification").click();
    harness.run_steps(3);
    let decision = |app: &SumiApp, tag: &str| app.deid.changes.iter().find(|c| c.path == tag).map(|c| c.action.clone());
    assert_eq!(decision(harness.state(), "(0010,0010)").as_deref(), Some("Z"), "ps315-basic empties Patient's Name");
    assert_eq!(decision(harness.state(), "(0010,0020)").as_deref(), Some("Z"));
    assert!(harness.state().deid.changes.iter().any(|c| c.private && c.new.is_none()), "private block removed");

    harness.get_by_label("Profile").click();
    harness.run_steps(2);
    harness.get_by_label("jp-pseudonymized").click();
    harness.run_steps(3);
    let app = harness.state();
    assert_eq!(app.deid.profile_name, "jp-pseudonymized");
    assert_eq!(decision(app, "(0010,0020)").as_deref(), Some("pseudonym"));
    let study_date = app.deid.changes.iter().find(|c| c.path == "(0008,0020)").unwrap();
    assert_eq!(study_date.action, "C", "dates are shifted under Retain Longitudinal Modified Dates");
    assert_ne!(study_date.new.as_deref(), Some(study_date.original.as_str()));
    assert!(app.deid.residuals.is_empty(), "no kept value holds the patient's identifiers: {:?}", app.deid.residuals);
}

#[test]
fn a_user_toml_profile_can_be_loaded_in_the_deid_panel() {
    let data = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(data.path()).unwrap();
    let profile = data.path().join("site.toml");
    std::fs::write(
        &profile,
        "name = \"site-policy\"\nversion = \"3\"\n[[override]]\ntag = \"(0008,1030)\"\naction = \"K\"\nreason = \"site policy: study descriptions are reviewed\"\n",
    )
    .unwrap();
    let mut harness =
        Harness::builder().with_size(egui::vec2(1500.0, 900.0)).wgpu_setup(wgpu_setup()).build_eframe(|cc| {
            let mut app = SumiApp::new(cc);
            app.show_deid = true;
            app.open_paths(vec![demo.clone()]);
            app
        });
    step_until(&mut harness, "the CT to load", |app| app.viewer.loaded.as_ref().is_some_and(|l| l.volume.is_some()));
    harness.run_steps(2);
    // The panel's first text field is the profile file (the second is the diff filter).
    harness.get_all_by_role(egui::accesskit::Role::TextInput).next().unwrap().click();
    harness.run_steps(1);
    harness.get_all_by_role(egui::accesskit::Role::TextInput).next().unwrap().type_text(&profile.display().to_string());
    harness.run_steps(1);
    harness.get_by_label("Open").click();
    harness.run_steps(3);
    let app = harness.state();
    assert_eq!(app.deid.profile_name, profile.display().to_string());
    let c = app.deid.changes.iter().find(|c| c.path == "(0008,1030)").expect("study description decision");
    assert_eq!(c.action, "K");
    assert!(c.reason.contains("site policy"), "{}", c.reason);
}

#[test]
fn review_queue_detects_text_and_enter_approves_with_an_audit_event() {
    let data = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(data.path()).unwrap();
    let project = data.path().join("review.sumi");
    let mut harness =
        Harness::builder().with_size(egui::vec2(1500.0, 900.0)).wgpu_setup(wgpu_setup()).build_eframe(|cc| {
            let mut app = SumiApp::new(cc);
            app.open_project(project.clone());
            app.open_paths(vec![demo.clone()]);
            app
        });
    step_until(&mut harness, "the import", |app| app.last_import.is_some() && app.scan.is_some());
    harness.state_mut().set_review(true);
    harness.run_steps(2);
    let _ = std::fs::create_dir_all("target/screens");
    if let Ok(img) = harness.render() {
        let _ = img.save("target/screens/review0.png");
    }
    // The detection shows images examined / images with a Cancel button; a cancelled run leaves
    // the queue as it was (empty) and says so.
    harness.get_by_label("Find text in the project").click();
    harness.run_steps(1);
    assert!(harness.query_by_label_contains("images examined").is_some(), "a progress bar with counts");
    if let Ok(img) = harness.render() {
        let _ = img.save("target/screens/review-detecting.png");
    }
    harness.get_by_label("Cancel").click();
    step_until(&mut harness, "the cancelled detection", |app| {
        app.review.message.as_deref().is_some_and(|m| m.starts_with("Detection cancelled"))
    });
    assert!(harness.state().review.queue.is_empty(), "a cancelled detection queued nothing");
    if let Ok(img) = harness.render() {
        let _ = img.save("target/screens/review-cancelled.png");
    }
    harness.get_by_label("Find text in the project").click();
    step_until(&mut harness, "the review queue", |app| !app.review.queue.is_empty());
    step_until(&mut harness, "the first item to load", |app| {
        app.viewer.loaded.as_ref().is_some_and(|l| l.volume.is_some())
    });
    let first = harness.state().review.current().unwrap().clone();
    assert!(first.path.contains("IM_"), "{}", first.path);
    assert!(!first.boxes.is_empty(), "the demo ultrasound has burned-in text: {first:?}");
    let queued = harness.state().review.queue.len();
    let _ = std::fs::create_dir_all("target/screens");
    if let Ok(img) = harness.render() {
        let _ = img.save("target/screens/review.png");
    }
    harness.key_press(egui::Key::Enter);
    harness.run_steps(3);
    let app = harness.state();
    assert_eq!(app.review.remaining(), queued - 1, "one decision taken");
    let db = sumi::project::Project::open(&project).unwrap();
    let decided =
        db.text_review_queue().unwrap().into_iter().find(|q| q.sop_instance_uid == first.sop_instance_uid).unwrap();
    assert_eq!(decided.status, sumi::project::text_review::ReviewStatus::Approved);
    assert!(sumi::project::audit_events(&db.conn).unwrap().iter().any(|e| e.action == "text-review"));
    drop(db);

    // Approving boxes offers to keep them as the device's template; accepting saves it.
    assert!(harness.state().review.template_offer.is_some(), "approving boxes offers a device template");
    harness.get_all_by_label("Save as device template").last().unwrap().click();
    harness.run_steps(2);
    assert!(harness.state().review.template_offer.is_none());
    let m = sumi::dicom::scan::read_header(std::path::Path::new(&first.path)).unwrap();
    let image = m.image.as_ref().unwrap();
    let db = sumi::project::Project::open(&project).unwrap();
    let maker = (m.manufacturer.as_deref().unwrap_or(""), m.model_name.as_deref().unwrap_or(""));
    let template = db.device_template(maker.0, maker.1, image.rows, image.cols, &m.sop_class_uid).unwrap();
    assert_eq!(template.unwrap(), decided.boxes, "the approved boxes became the template");
}

#[test]
fn photos_open_in_the_viewer_the_review_queue_and_the_tags_panel_lists_their_metadata() {
    use image::ImageEncoder;
    use sumi::dicom::ForeignKind;
    let data = tempfile::tempdir().unwrap();
    let photos = data.path().join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    // A camera-like JPEG with an (empty) EXIF block, written by the image crate.
    let rgb = image::RgbImage::from_fn(96, 64, |x, y| image::Rgb([(x * 2) as u8, (y * 3) as u8, 128]));
    let mut jpeg = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90);
    encoder.set_exif_metadata(b"MM\0*\0\0\0\x08\0\0\0\0\0\0".to_vec()).unwrap();
    encoder.write_image(rgb.as_raw(), 96, 64, image::ExtendedColorType::Rgb8).unwrap();
    std::fs::write(photos.join("photo.jpg"), &jpeg).unwrap();
    let project = data.path().join("photos.sumi");
    let mut harness =
        Harness::builder().with_size(egui::vec2(1500.0, 900.0)).wgpu_setup(wgpu_setup()).build_eframe(|cc| {
            let mut app = SumiApp::new(cc);
            app.show_tags = true;
            app.show_deid = true;
            app.open_project(project.clone());
            app.open_paths(vec![photos.clone()]);
            app
        });
    step_until(&mut harness, "the photo to load", |app| app.viewer.loaded.as_ref().is_some_and(|l| l.volume.is_some()));
    harness.run_steps(3);
    let app = harness.state();
    let loaded = app.viewer.loaded.as_ref().unwrap();
    assert_eq!(loaded.plan.modality, "XC");
    assert_eq!(loaded.plan.geometry.dims, [96, 64, 1], "a 2D image without patient geometry");
    let (kind, items) = app.tags.foreign.as_ref().expect("the tags panel shows the image's metadata");
    assert_eq!(*kind, ForeignKind::Jpeg);
    assert!(items.iter().any(|i| i.starts_with("EXIF")), "{items:?}");
    assert_eq!(app.deid.foreign, Some(ForeignKind::Jpeg), "the de-identification panel explains, not errors");
    assert_eq!(app.last_import.as_ref().map(|s| s.instances), Some(1), "indexed into the project");

    // The review queue takes the photo (XC is always reviewed) and opens it in the viewer.
    harness.state_mut().set_review(true);
    harness.run_steps(2);
    harness.get_by_label("Find text in the project").click();
    step_until(&mut harness, "the review queue", |app| !app.review.queue.is_empty());
    step_until(&mut harness, "the queued photo to load", |app| {
        app.viewer.loaded.as_ref().is_some_and(|l| l.volume.is_some())
    });
    let app = harness.state();
    assert_eq!(app.review.queue.len(), 1);
    assert!(app.review.current().unwrap().path.ends_with("photo.jpg"));
    assert!(app.problems.items.is_empty(), "no problem reported: {:?}", app.problems.items);
}

#[test]
fn view3d_shows_the_demo_head_and_a_left_drag_rotates_the_camera() {
    let data = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(data.path()).unwrap();
    let mut harness =
        Harness::builder().with_size(egui::vec2(1200.0, 800.0)).wgpu_setup(wgpu_setup()).build_eframe(|cc| {
            let mut app = SumiApp::new(cc);
            app.open_paths(vec![demo.clone()]);
            app
        });
    step_until(&mut harness, "the CT to load", |app| app.viewer.loaded.as_ref().is_some_and(|l| l.volume.is_some()));
    harness.get_by_label("3D").click();
    harness.run_steps(3);
    let app = harness.state();
    assert_eq!(app.viewer.layout, Layout::ThreeD);
    let (vp, rect) = app.viewer.viewport_rects[0];
    assert!(app.viewer.is_3d(vp), "the 3D layout shows the 3D viewport");
    let before = app.viewer.view3d.camera.clone().expect("the camera is set on the first frame");
    let _ = std::fs::create_dir_all("target/screens");
    let img = harness.render().expect("render");
    let _ = img.save("target/screens/view3d_skin.png");
    // The anterior skin surface: the middle of the face is lit and skin-coloured, the corner is air.
    let px = |p: egui::Pos2| img.get_pixel(p.x as u32, p.y as u32).0;
    let face = px(rect.center());
    assert!(face[0] > 90 && face[0] > face[2], "face at the centre: {face:?}");
    assert_eq!(&px(rect.min + egui::vec2(20.0, 40.0))[..3], &[0, 0, 0], "air in the corner");

    // Left-drag rotates (the object follows the mouse), at reduced quality until still.
    let p = rect.center();
    harness.event(egui::Event::PointerMoved(p));
    harness.event(egui::Event::PointerButton {
        pos: p,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: egui::Modifiers::NONE,
    });
    harness.step();
    for i in 1..=10 {
        harness.event(egui::Event::PointerMoved(p + egui::vec2(8.0 * i as f32, 0.0)));
        harness.step();
    }
    harness.event(egui::Event::PointerButton {
        pos: p + egui::vec2(80.0, 0.0),
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    harness.run_steps(2);
    let after = harness.state().viewer.view3d.camera.clone().unwrap();
    assert!((after.orient.matrix() - before.orient.matrix()).norm() > 0.3, "the drag turned the camera");
    assert!(after.forward().x > 0.3, "dragging right turns the patient's right side to the viewer");

    // Standard view buttons, then bone volume rendering.
    harness.get_by_label("S").click();
    harness.run_steps(2);
    let sup = harness.state().viewer.view3d.camera.clone().unwrap();
    assert!((sup.forward().z + 1.0).abs() < 1e-9, "superior view looks down");
    harness.get_by_label("A").click();
    {
        let s = &mut harness.state_mut().viewer.view3d;
        s.mode = RenderMode::Dvr;
        s.preset = TfPreset::CtBone;
    }
    harness.run_steps(3);
    let s = &harness.state().viewer.view3d;
    assert_eq!((s.mode, s.preset), (RenderMode::Dvr, TfPreset::CtBone));
    std::thread::sleep(std::time::Duration::from_millis(200));
    harness.run_steps(2);
    if let Ok(img) = harness.render() {
        let _ = img.save("target/screens/view3d_bone.png");
    }
}

/// A project on the demo study with the jp-pseudonymized profile and the text proposals queued.
fn demo_project_with_proposals(dir: &std::path::Path, project: &std::path::Path) -> sumi::project::Project {
    let demo = sumi::demo::ensure_demo_study(dir).unwrap();
    let mut db = sumi::project::Project::open(project).unwrap();
    let scan = sumi::dicom::scan_paths(std::slice::from_ref(&demo), &|_, _| {});
    sumi::project::import_scan(&mut db, &scan, "importer", &[]).unwrap();
    db.set_setting("deid.profile", "jp-pseudonymized", "admin").unwrap();
    let options = sumi::deid::text_queue::ProposeOptions::default();
    sumi::deid::text_queue::propose_for_project(&mut db, &scan.instances, options).unwrap();
    db
}

#[test]
fn export_window_lists_preflight_blockers_then_exports_with_progress_after_approval() {
    let data = tempfile::tempdir().unwrap();
    let project = data.path().join("export.sumi");
    drop(demo_project_with_proposals(data.path(), &project));
    let mut harness =
        Harness::builder().with_size(egui::vec2(1500.0, 900.0)).wgpu_setup(wgpu_setup()).build_eframe(|cc| {
            let mut app = SumiApp::new(cc);
            app.open_project(project.clone());
            app
        });
    step_until(&mut harness, "the project scan", |app| app.scan.is_some());
    harness.get_by_label("File").click();
    harness.run_steps(2);
    harness.get_by_label("Export…").click();
    harness.run_steps(3);
    let check = harness.state().export.check.clone().expect("the pre-flight ran on opening");
    assert_eq!(check.standing().count(), 2, "the two demo ultrasound images await review: {:?}", check.blockers);
    assert!(harness.query_by_label_contains("Burned-in text not reviewed").is_some());
    // A supervisor lets one image through with a reason; the checklist shows it as overridden.
    let item = check.blockers[0].item.clone();
    sumi::project::Project::open(&project)
        .unwrap()
        .override_export_blocker(&item, "Dr. Sato (supervisor)", "burned-in text checked on the modality console")
        .unwrap();
    harness.get_by_label("Run pre-flight check").click();
    harness.run_steps(2);
    assert_eq!(harness.state().export.check.as_ref().unwrap().standing().count(), 1);
    let _ = std::fs::create_dir_all("target/screens");
    if let Ok(img) = harness.render() {
        let _ = img.save("target/screens/export_preflight.png");
    }

    sumi::project::Project::open(&project).unwrap().approve_all_pending("qa", "ui test").unwrap();
    harness.get_by_label("Run pre-flight check").click();
    harness.run_steps(2);
    assert!(harness.state().export.check.as_ref().unwrap().ready());
    let out = data.path().join("out");
    harness.state_mut().export.out_dir = out.display().to_string();
    harness.run_steps(1);
    harness.get_by_label("Start export").click();
    step_until(&mut harness, "the export", |app| app.export.result.is_some());
    let result = harness.state().export.result.clone().unwrap();
    let summary = result.expect("export succeeded");
    assert_eq!(summary.instances, 202);
    assert!(out.join("manifest.json").is_file());
    if let Ok(img) = harness.render() {
        let _ = img.save("target/screens/export_done.png");
    }
}

#[test]
fn spot_check_draws_by_plan_shows_export_beside_original_and_signs_a_report() {
    let data = tempfile::tempdir().unwrap();
    let project = data.path().join("spot.sumi");
    let out = data.path().join("batch");
    {
        let mut db = demo_project_with_proposals(data.path(), &project);
        db.approve_all_pending("qa", "ui test").unwrap();
        let vault = sumi::deid::Vault::in_memory();
        let opts = sumi::export::ExportOptions {
            selection: Default::default(),
            vault: &vault,
            actor: "op".into(),
            include_labels: false,
            jobs: 2,
        };
        let quiet = |_: usize, _: usize| {};
        sumi::export::export(&mut db, &out, &opts, &quiet, &Default::default()).unwrap();
    }
    // SAFETY: set before any thread of this test reads it; the key folder is this test's own.
    unsafe { std::env::set_var("SUMI_KEY_DIR", data.path().join("keys")) };
    let mut harness =
        Harness::builder().with_size(egui::vec2(1500.0, 900.0)).wgpu_setup(wgpu_setup()).build_eframe(|cc| {
            let mut app = SumiApp::new(cc);
            app.open_project(project.clone());
            app
        });
    step_until(&mut harness, "the project scan", |app| app.scan.is_some());
    harness.get_by_label("File").click();
    harness.run_steps(2);
    harness.get_by_label("Spot-check an export…").click();
    harness.run_steps(2);
    {
        let s = &mut harness.state_mut().spot_check;
        s.export_dir = out.display().to_string();
        (s.confidence_pct, s.defect_pct) = (90.0, 10.0);
    }
    harness.run_steps(1);
    harness.get_by_label("Draw sample").click();
    step_until(&mut harness, "the verification of the export", |app| {
        app.spot_check.check.is_some() && app.spot_check.verifying.is_none()
    });
    let n = harness.state().spot_check.check.as_ref().unwrap().samples.len();
    let expected =
        sumi::spotcheck::SamplingPlan { confidence: 0.9, max_defect_rate: 0.1, seed: 0x5EED }.sample_size(202);
    assert_eq!(n, expected);
    assert!((5..60).contains(&n), "{n}");
    for _ in 0..n {
        harness.get_by_label("Pass").click();
        harness.run_steps(2);
    }
    let _ = std::fs::create_dir_all("target/screens");
    if let Ok(img) = harness.render() {
        let _ = img.save("target/screens/spot_check.png");
    }
    harness.get_by_label("Sign report").click();
    harness.run_steps(2);
    let msg = harness.state().spot_check.message.clone().unwrap_or_default();
    assert!(msg.starts_with("Pass"), "{msg}");
    let db = sumi::project::Project::open(&project).unwrap();
    let json: String = db.conn.query_row("SELECT report_json FROM spot_checks", [], |r| r.get(0)).unwrap();
    let report: sumi::spotcheck::SignedReport = serde_json::from_str(&json).unwrap();
    assert!(report.verify());
    assert_eq!(report.report.samples.len(), n);
    let beside: Vec<_> = std::fs::read_dir(data.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("batch.spot-check-"))
        .collect();
    assert_eq!(beside.len(), 2, "JSON and HTML beside the export");
}

#[test]
fn deface_panel_proposes_for_the_demo_ct_and_approval_is_audited() {
    let data = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(data.path()).unwrap();
    let project = data.path().join("deface.sumi");
    let mut harness =
        Harness::builder().with_size(egui::vec2(1600.0, 1000.0)).wgpu_setup(wgpu_setup()).build_eframe(|cc| {
            let mut app = SumiApp::new(cc);
            app.open_project(project.clone());
            app.open_paths(vec![demo.clone()]);
            app
        });
    step_until(&mut harness, "the import and the CT", |app| {
        app.last_import.is_some() && app.viewer.loaded.as_ref().is_some_and(|l| l.volume.is_some())
    });
    harness.state_mut().deface.open = true;
    step_until(&mut harness, "the defacing proposal", |app| app.deface.proposal.is_some() && !app.deface.busy());
    let app = harness.state();
    let p = app.deface.proposal.clone().unwrap();
    assert!(p.is_head && p.removed_voxels > 10_000, "{}", p.reason());
    let uid = app.deface.series_uid.clone().unwrap();
    let _ = std::fs::create_dir_all("target/screens");
    if let Ok(img) = harness.render() {
        let _ = img.save("target/screens/deface-review.png");
    }
    harness.get_by_label("Approve").click();
    harness.run_steps(3);
    assert!(harness.state().deface.stored.as_ref().is_some_and(|r| r.status == DefaceStatus::Approved));
    let db = sumi::project::Project::open(&project).unwrap();
    let review = db.deface_review(&uid).unwrap().expect("stored by the decision");
    assert_eq!(review.status, DefaceStatus::Approved);
    assert_eq!(review.removed_voxels, Some(p.removed_voxels as i64));
    assert!(sumi::project::audit_events(&db.conn).unwrap().iter().any(|e| e.action == "deface-review"));
}

#[test]
fn a_scan_shows_its_counts_and_cancel_stops_it_without_touching_the_project() {
    let data = tempfile::tempdir().unwrap();
    let files = data.path().join("many");
    sumi::demo::scale::write_studies(&files, 20, 6_000, 64).unwrap();
    let project = data.path().join("cancel.sumi");
    let (p, f) = (project.clone(), files.clone());
    let mut harness =
        Harness::builder().with_size(egui::vec2(1400.0, 900.0)).wgpu_setup(wgpu_setup()).build_eframe(move |cc| {
            let mut app = SumiApp::new(cc);
            app.open_project(p.clone());
            app.open_paths(vec![f.clone()]);
            app
        });
    step_until(&mut harness, "the scan to count its files", |app| {
        app.scan_job.as_ref().is_some_and(|j| j.progress.total.load(std::sync::atomic::Ordering::Relaxed) == 6_000)
    });
    harness.get_all_by_label("Cancel").next().expect("a Cancel button beside the bar").click();
    step_until(&mut harness, "the scan to stop", |app| app.scan_job.is_none());
    let app = harness.state();
    let read = app.scan.as_ref().map_or(0, |s| s.instances.len());
    assert!(read < 6_000, "cancelled before the end ({read} read)");
    assert!(app.problems.items.iter().any(|p| p.contains("Scan cancelled")), "{:?}", app.problems.items);
    let indexed = sumi::project::Project::open(&project).unwrap().count("instances").unwrap();
    assert_eq!(indexed, 0, "a cancelled scan is not imported");
}
