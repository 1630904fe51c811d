//! `sumi --screenshot <png> --quit-after-frames N`: once at least N frames are painted and what
//! was opened has loaded (2 minutes at most), save the window as PNG and close. For smoke tests
//! of an installed package under Xvfb, and for documentation screenshots.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eframe::egui;

use super::app::SumiApp;

/// Give up waiting for the load after this long and capture what is on screen.
const MAX_WAIT: Duration = Duration::from_secs(120);

pub struct Capture {
    pub path: PathBuf,
    pub after_frames: u32,
    frames: u32,
    requested: bool,
    started: Instant,
    result: Arc<Mutex<Option<Result<(), String>>>>,
}

impl Capture {
    pub fn new(path: PathBuf, after_frames: u32) -> Capture {
        Capture {
            path,
            after_frames,
            frames: 0,
            requested: false,
            started: Instant::now(),
            result: Arc::new(Mutex::new(None)),
        }
    }
}

impl SumiApp {
    /// Once per frame: counts frames, asks for the screenshot when ready, closes when it is saved.
    pub(super) fn capture_step(&mut self, ctx: &egui::Context) {
        let Some(c) = &mut self.capture else { return };
        c.frames += 1;
        ctx.request_repaint();
        let done = c.result.lock().ok().and_then(|mut r| r.take());
        if let Some(result) = done {
            match result {
                Ok(()) => tracing::info!(path = %c.path.display(), frames = c.frames, "screenshot saved"),
                Err(e) => {
                    tracing::error!("{e}");
                    eprintln!("sumi: {e}");
                }
            }
            self.capture = None;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            return;
        }
        let loading = self.scan_job.is_some() || self.viewer.is_loading();
        let ready = c.frames >= c.after_frames && (!loading || c.started.elapsed() > MAX_WAIT);
        if ready && !c.requested {
            c.requested = true;
            let (path, result) = (c.path.clone(), c.result.clone());
            ctx.request_screenshot(move |image| {
                let saved = save_png(&path, &image);
                if let Ok(mut r) = result.lock() {
                    *r = Some(saved);
                }
            });
        }
    }
}

fn save_png(path: &std::path::Path, image: &egui::ColorImage) -> Result<(), String> {
    let [w, h] = image.size;
    let rgba: Vec<u8> = image.pixels.iter().flat_map(|c| c.to_array()).collect();
    let buf = image::RgbaImage::from_raw(w as u32, h as u32, rgba)
        .ok_or_else(|| format!("{}: screenshot has the wrong size", path.display()))?;
    buf.save(path).map_err(|e| format!("{}: cannot write the screenshot: {e}", path.display()))
}
