//! The egui application: series browser, viewports, tag browser and problem list. UI state
//! changes only on the UI thread; scanning and decoding run in `jobs`.

pub mod annotate;
mod app;
mod browser;
pub mod deface_overlay;
pub mod deface_panel;
pub mod deid_panel;
pub mod export_panel;
pub mod fonts;
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

pub use app::{Layout, SumiApp};
pub use i18n::{Lang, tr};

use std::path::PathBuf;

use eframe::egui;

/// Opens the main window on `paths`, or on the bundled demo study when none are given.
pub fn run(paths: Vec<PathBuf>) -> Result<(), String> {
    run_with(paths, false)
}

/// `bench_exit`: print time-to-first-image as JSON and close once loaded (`sumi bench gui`).
pub fn run_with(paths: Vec<PathBuf>, bench_exit: bool) -> Result<(), String> {
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
            if paths.is_empty() {
                app.open_demo();
            } else {
                app.open_paths(paths);
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| e.to_string())
}

/// Where sumi keeps its own data (the demo study, logs): the platform data dir, or $SUMI_DATA_DIR.
pub fn data_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("SUMI_DATA_DIR") {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("org", "sumi", "sumi")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| std::env::temp_dir().join("sumi"))
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
