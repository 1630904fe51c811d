//! The first-run welcome screen and the user settings, driven like a user would (headless on
//! wgpu, lavapipe in CI): no settings file → welcome; choose 日本語 and the annotator role, type a
//! name, Continue → the settings file is written and what the command line asked for opens.
#![cfg(feature = "gui")]

mod ui_support;

use std::time::{Duration, Instant};

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sumi::ui::{Lang, SumiApp};
use sumi::user_settings::{Language, Loaded, Role, UserSettings};
use ui_support::wgpu_setup;

/// The app as `main` starts it: the settings file as loaded from `path`, then the study at `demo`.
fn started(loaded: Loaded, path: &std::path::Path, demo: &std::path::Path) -> Harness<'static, SumiApp> {
    let (p, d) = (path.to_path_buf(), demo.to_path_buf());
    let mut harness =
        Harness::builder().with_size(egui::vec2(1400.0, 860.0)).wgpu_setup(wgpu_setup()).build_eframe(move |cc| {
            let mut app = SumiApp::new(cc);
            app.apply_user_settings(loaded, p);
            app.start(vec![d]);
            app
        });
    harness.run_steps(3);
    harness
}

#[test]
fn first_run_welcome_in_japanese_as_annotator_continue_writes_settings_and_opens_the_study() {
    let data = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(data.path()).unwrap();
    let config = tempfile::tempdir().unwrap();
    let path = config.path().join(sumi::user_settings::FILE_NAME);
    let loaded = UserSettings::load_from(&path);
    assert!(matches!(loaded, Loaded::FirstRun(_)), "no settings file is a first run: {loaded:?}");

    let mut harness = started(loaded, &path, &demo);
    assert!(harness.state().user.welcome, "the welcome screen shows on the first run");
    assert!(harness.state().scan_job.is_none(), "nothing opens before the welcome screen is left");
    harness.get_by_label("Welcome to sumi (墨)");
    harness.get_by_label("QA reviewer");

    // The language switch at the top applies at once.
    harness.get_by_label("日本語").click();
    harness.run_steps(2);
    assert_eq!(harness.state().lang, Lang::Ja);
    harness.get_by_label("sumi（墨）へようこそ");
    harness.get_by_label("アノテーター").click();
    harness.run_steps(2);
    assert_eq!(harness.state().user.settings.role, Role::Annotator);
    harness.get_all_by_role(egui::accesskit::Role::TextInput).next().unwrap().click();
    harness.run_steps(2);
    harness.get_all_by_role(egui::accesskit::Role::TextInput).next().unwrap().type_text("山田 花子");
    harness.run_steps(2);
    std::fs::create_dir_all("target/screens").unwrap();
    if let Ok(img) = harness.render() {
        let _ = img.save("target/screens/welcome.png");
    }
    assert!(!path.exists(), "nothing is written before Continue");

    harness.get_by_label("続ける").click();
    harness.run_steps(2);
    assert!(!harness.state().user.welcome, "Continue leaves the welcome screen");
    let saved = match UserSettings::load_from(&path) {
        Loaded::Found(s) => s,
        other => panic!("Continue writes {}: {other:?}", path.display()),
    };
    assert_eq!(saved.language, Language::Ja);
    assert_eq!(saved.role, Role::Annotator);
    assert_eq!(saved.user_name, "山田 花子");
    assert!(harness.state().annotate.open, "the annotator starts in Annotate mode");
    assert!(!harness.state().export.open && !harness.state().show_deid, "and nowhere else");

    // The folder from the command line opens after the welcome screen.
    let start = Instant::now();
    while harness.state().tree.is_empty() {
        assert!(start.elapsed() < Duration::from_secs(120), "timed out waiting for the scan");
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(harness.state().tree.iter().flat_map(|p| &p.studies).flat_map(|s| &s.series).count(), 3);

    // A later start with the file finds it: no welcome screen.
    assert!(matches!(UserSettings::load_from(&path), Loaded::Found(_)), "not a first run any more");
}

#[test]
fn bad_settings_file_is_reported_in_the_problems_panel_and_kept() {
    let config = tempfile::tempdir().unwrap();
    let path = config.path().join(sumi::user_settings::FILE_NAME);
    std::fs::write(&path, "language = [\n").unwrap();
    let loaded = UserSettings::load_from(&path);
    let p = path.clone();
    let mut harness =
        Harness::builder().with_size(egui::vec2(1200.0, 700.0)).wgpu_setup(wgpu_setup()).build_eframe(move |cc| {
            let mut app = SumiApp::new(cc);
            app.apply_user_settings(loaded, p);
            app
        });
    harness.run_steps(2);
    let app = harness.state();
    assert!(!app.user.welcome, "a bad file is not a first run");
    let shown = app.problems.items.iter().find(|m| m.contains(&path.display().to_string()));
    assert!(
        shown.is_some_and(|m| m.contains(".bak")),
        "the problem names the file and backup: {:?}",
        app.problems.items
    );
    assert!(app.problems.open, "the problems panel opens");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "language = [\n", "the bad file is not overwritten");
}

#[test]
fn settings_window_applies_the_language_at_once_shows_the_log_file_and_saves() {
    let config = tempfile::tempdir().unwrap();
    let path = config.path().join(sumi::user_settings::FILE_NAME);
    UserSettings { user_name: "before".into(), ..Default::default() }.save_to(&path).unwrap();
    let loaded = UserSettings::load_from(&path);
    let log = config.path().join("logs").join("sumi.log");
    let (p, l) = (path.clone(), log.clone());
    let mut harness =
        Harness::builder().with_size(egui::vec2(1400.0, 860.0)).wgpu_setup(wgpu_setup()).build_eframe(move |cc| {
            let mut app = SumiApp::new(cc);
            app.apply_user_settings(loaded, p);
            app.user.log_file = Some(l);
            app
        });
    harness.run_steps(2);
    assert!(!harness.state().user.welcome, "a settings file exists: no welcome screen");
    harness.get_by_label("File").click();
    harness.run_steps(2);
    harness.get_by_label("Settings…").click();
    harness.run_steps(2);
    harness.get_by_label(&log.display().to_string());
    harness.get_by_label("日本語").click();
    harness.run_steps(2);
    assert_eq!(harness.state().lang, Lang::Ja, "the language applies before saving");
    harness.get_by_label("オペレーター").click();
    harness.run_steps(1);
    harness.get_by_label("保存").click();
    harness.run_steps(2);
    assert!(harness.state().user.draft.is_none(), "Save closes the window");
    let s = UserSettings::load_from(&path).settings().clone();
    assert_eq!((s.language, s.role, s.user_name.as_str()), (Language::Ja, Role::Operator, "before"));
}

#[test]
fn the_operator_role_starts_in_the_export_window_and_the_qa_reviewer_in_the_deid_review() {
    let data = tempfile::tempdir().unwrap();
    let demo = sumi::demo::ensure_demo_study(data.path()).unwrap();
    for (role, label) in [(Role::Operator, "Operator"), (Role::QaReviewer, "QA reviewer")] {
        let config = tempfile::tempdir().unwrap();
        let path = config.path().join(sumi::user_settings::FILE_NAME);
        let mut harness = started(UserSettings::load_from(&path), &path, &demo);
        harness.get_by_label(label).click();
        harness.run_steps(2);
        assert_eq!(harness.state().user.settings.role, role);
        harness.get_by_label("Continue").click();
        harness.run_steps(3);
        let app = harness.state();
        assert!(!app.user.welcome);
        assert_eq!(app.export.open, role == Role::Operator, "{label}: export window");
        assert_eq!(app.show_deid, role == Role::QaReviewer, "{label}: de-identification review");
        assert!(!app.annotate.open, "{label}: not Annotate mode");
    }
}
