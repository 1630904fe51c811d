//! The egui application: series browser, viewports, tag browser and problem list. UI state
//! changes only on the UI thread; scanning and decoding run in `jobs`.

pub mod annotate;
mod app;
mod browser;
mod capture;
pub mod deface_overlay;
pub mod deface_panel;
pub mod deid_panel;
pub mod export_panel;
pub mod fonts;
mod frame_times;
pub mod i18n;
mod jobs;
pub mod overlay3d;
mod problems;
pub mod review;
mod review_boxes;
pub mod spotcheck;
mod tags;
mod toolbar;
mod view3d;
mod viewer;
mod viewport;
pub mod welcome;

pub use app::{Layout, SumiApp};
pub use i18n::{Lang, tr};

use std::path::PathBuf;

use eframe::egui;

/// How the GUI starts (from the command line).
#[derive(Default)]
pub struct RunOptions {
    /// The user settings (`UserSettings::load()`); `None`: loaded here.
    pub settings: Option<(crate::user_settings::Loaded, PathBuf)>,
    /// The log file in use (shown in the settings window).
    pub log_file: Option<PathBuf>,
    /// Save the window as PNG once loaded, after at least this many frames, then close.
    pub screenshot: Option<(PathBuf, u32)>,
    /// Print time-to-first-image as JSON and close once loaded (`sumi bench gui`).
    pub bench_exit: bool,
    /// Problems found before the window opened (e.g. the log file could not be opened).
    pub problems: Vec<String>,
}

/// Opens the main window on `paths`, or on the bundled demo study when none are given; on the
/// first run (no user settings file) the welcome screen comes first.
pub fn run(paths: Vec<PathBuf>) -> Result<(), String> {
    run_opts(paths, RunOptions::default())
}

/// `bench_exit`: print time-to-first-image as JSON and close once loaded (`sumi bench gui`).
pub fn run_with(paths: Vec<PathBuf>, bench_exit: bool) -> Result<(), String> {
    run_opts(paths, RunOptions { bench_exit, ..Default::default() })
}

pub fn run_opts(paths: Vec<PathBuf>, opts: RunOptions) -> Result<(), String> {
    let RunOptions { settings, log_file, screenshot, bench_exit, problems } = opts;
    let (loaded, settings_path) = settings.unwrap_or_else(|| {
        let path = crate::user_settings::settings_path();
        (crate::user_settings::UserSettings::load_from(&path), path)
    });
    let mut options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1560.0, 960.0])
            .with_min_inner_size([800.0, 500.0])
            .with_title("sumi")
            .with_drag_and_drop(true),
        renderer: eframe::Renderer::Wgpu,
        ..Default::default()
    };
    options.wgpu_options.wgpu_setup = crate::render::wgpu_setup();
    eframe::run_native(
        "sumi",
        options,
        Box::new(move |cc| {
            let mut app = SumiApp::new(cc);
            app.bench_exit = bench_exit;
            if bench_exit {
                // Timing runs measure loading, not the first-run screen.
                app.apply_user_settings(crate::user_settings::Loaded::Found(loaded.settings().clone()), settings_path);
            } else {
                app.apply_user_settings(loaded, settings_path);
            }
            app.user.log_file = log_file;
            for p in problems {
                app.problems.push(p);
            }
            app.capture = screenshot.map(|(path, frames)| capture::Capture::new(path, frames));
            app.start(paths);
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| e.to_string())
}

/// Where sumi keeps its own data (the demo study, logs) by default: the platform data dir, or
/// $SUMI_DATA_DIR (the user settings may choose another folder).
pub fn data_dir() -> PathBuf {
    crate::user_settings::default_data_dir()
}

/// The independent verification's findings for the files of an export, one line each, for the
/// spot check (verify runs once per export; the project supplies the values to look for).
pub fn spot_findings(
    export_dir: &std::path::Path,
    project: Option<&std::path::Path>,
) -> std::collections::HashMap<String, Vec<String>> {
    let sources = project
        .and_then(|p| crate::project::Project::open(p).ok())
        .and_then(|p| crate::verify::Sources::from_project(&p).ok())
        .unwrap_or_default();
    let mut out: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    match crate::verify::verify_export(export_dir, &sources) {
        Ok(report) => {
            for f in report.findings {
                let kind =
                    serde_json::to_value(f.kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
                let line = format!("{kind} {} {}", f.tag.unwrap_or_default(), f.detail);
                out.entry(f.file).or_default().push(line);
            }
        }
        Err(e) => {
            out.entry(String::new()).or_default().push(e);
        }
    }
    out
}
