//! Background work for the UI: scanning, series loading (slices streamed as they decode) and
//! thumbnails. Workers talk to the UI thread through channels only; the UI never blocks on I/O.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use eframe::egui;

use crate::dicom::{InstanceMeta, ScanReport, decode_file, scan_paths_chunked};
use crate::project::{ImportSummary, Project, default_actor, import_scan};
use crate::volume::{SeriesPlan, SliceRef, Volume, load_volume_cancellable, plan_series};

/// Progress of a job, readable from the UI thread.
#[derive(Default)]
pub struct Progress {
    pub done: AtomicUsize,
    pub total: AtomicUsize,
    pub cancel: AtomicBool,
}

impl Progress {
    /// Records `done` of `total` (from a worker).
    pub fn set(&self, done: usize, total: usize) {
        self.done.store(done, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }

    pub fn fraction(&self) -> f32 {
        let t = self.total.load(Ordering::Relaxed);
        if t == 0 { 0.0 } else { self.done.load(Ordering::Relaxed) as f32 / t as f32 }
    }
}

pub struct ScanJob {
    pub progress: Arc<Progress>,
    pub rx: Receiver<ScanResult>,
}

pub struct ScanResult {
    pub report: ScanReport,
    /// Set when a project was open: the outcome of indexing the scan into it.
    pub import: Option<Result<ImportSummary, String>>,
    /// The browser tree, grouped here (tens of thousands of instances take long on the UI thread).
    pub tree: Vec<crate::dicom::PatientNode>,
    /// The user stopped the scan: `report` holds the files read until then, nothing was imported.
    pub cancelled: bool,
}

/// Files read between two looks at the Cancel button.
const SCAN_CHUNK: usize = 256;

/// Scans `paths`; with a project, also indexes the result into it (on this worker thread).
pub fn start_scan(paths: Vec<PathBuf>, project: Option<PathBuf>, ctx: egui::Context) -> ScanJob {
    let progress = Arc::new(Progress::default());
    let (tx, rx) = sync_channel(1);
    let p = progress.clone();
    std::thread::spawn(move || {
        let started = std::time::Instant::now();
        tracing::info!(paths = ?paths, "job scan: started");
        // Chunks of files, so that Cancel stops the scan within one chunk's reading.
        let mut report = ScanReport::default();
        let progress = |done, total| {
            p.set(done, total);
            if done % 32 == 0 {
                ctx.request_repaint();
            }
        };
        let finished = scan_paths_chunked(&paths, SCAN_CHUNK, &progress, &mut |chunk| {
            report.files_seen = chunk.files_seen;
            report.instances.extend(chunk.instances);
            report.unreadable.extend(chunk.unreadable);
            report.skipped.extend(chunk.skipped);
            if p.cancel.load(Ordering::Relaxed) { Err(()) } else { Ok(()) }
        });
        let cancelled = finished.is_err();
        // A cancelled scan is shown as far as it got, but not indexed: the project stays as it was.
        let import = project.filter(|_| !cancelled).map(|file| {
            let roots: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            Project::open(&file)
                .and_then(|mut project| import_scan(&mut project, &report, &default_actor(), &roots))
                .map_err(|e| e.to_string())
        });
        tracing::info!(
            instances = report.instances.len(),
            unreadable = report.unreadable.len(),
            seconds = started.elapsed().as_secs_f64(),
            "job scan: finished"
        );
        if let Some(Err(e)) = &import {
            tracing::error!("job import: {e}");
        }
        let tree = crate::dicom::group_instances(&report.instances);
        let _ = tx.send(ScanResult { report, import, tree, cancelled });
        ctx.request_repaint();
    });
    ScanJob { progress, rx }
}

/// Shows what a project indexes from its stored header summaries: each file is only checked
/// (a changed one is read again, a missing one reported), not parsed again, and nothing is
/// imported. Same progress, Cancel and result as a scan.
pub fn start_project_open(file: PathBuf, ctx: egui::Context) -> ScanJob {
    let progress = Arc::new(Progress::default());
    let (tx, rx) = sync_channel(1);
    let p = progress.clone();
    std::thread::spawn(move || {
        let started = std::time::Instant::now();
        let report_progress = |done, total| {
            p.set(done, total);
            ctx.request_repaint();
        };
        let read = Project::open(&file).and_then(|project| project.indexed_instances(&report_progress, &p.cancel));
        let (report, import, cancelled) = match read {
            Ok(Some(report)) => (report, None, false),
            Ok(None) => (ScanReport::default(), None, true),
            Err(e) => (ScanReport::default(), Some(Err(e.to_string())), false),
        };
        tracing::info!(
            project = %file.display(),
            instances = report.instances.len(),
            unreadable = report.unreadable.len(),
            seconds = started.elapsed().as_secs_f64(),
            "job project open: finished"
        );
        let tree = crate::dicom::group_instances(&report.instances);
        let _ = tx.send(ScanResult { report, import, tree, cancelled });
        ctx.request_repaint();
    });
    ScanJob { progress, rx }
}

/// An owned k-slice on its way to the GPU.
pub enum SliceData {
    I16(Vec<i16>),
    U16(Vec<u16>),
    F32(Vec<f32>),
    Rgba8(Vec<u8>),
}

impl SliceData {
    pub fn voxel_type(&self) -> crate::volume::VoxelType {
        use crate::volume::VoxelType;
        match self {
            SliceData::I16(_) => VoxelType::I16,
            SliceData::U16(_) => VoxelType::U16,
            SliceData::F32(_) => VoxelType::F32,
            SliceData::Rgba8(_) => VoxelType::Rgba8,
        }
    }

    fn from_ref(s: SliceRef<'_>) -> SliceData {
        match s {
            SliceRef::I16(v) => SliceData::I16(v.to_vec()),
            SliceRef::U16(v) => SliceData::U16(v.to_vec()),
            SliceRef::F32(v) => SliceData::F32(v.to_vec()),
            SliceRef::Rgba8(v) => SliceData::Rgba8(v.to_vec()),
        }
    }

    pub fn as_ref(&self) -> SliceRef<'_> {
        match self {
            SliceData::I16(v) => SliceRef::I16(v),
            SliceData::U16(v) => SliceRef::U16(v),
            SliceData::F32(v) => SliceRef::F32(v),
            SliceData::Rgba8(v) => SliceRef::Rgba8(v),
        }
    }
}

pub enum LoadMsg {
    Planned(Box<SeriesPlan>),
    Slice {
        k: usize,
        data: SliceData,
    },
    /// The whole volume, with its brick min/max grid for the 3D view (built here, off the UI thread).
    Done(Arc<Volume>, Box<crate::volume::raycast::BrickGrid>),
    Failed(String),
}

pub struct LoadJob {
    pub series_uid: String,
    pub metas: Vec<InstanceMeta>,
    pub progress: Arc<Progress>,
    pub rx: Receiver<LoadMsg>,
    pub started: std::time::Instant,
}

/// Plans and loads a series; each decoded slice is sent as soon as it is ready.
pub fn start_load(series_uid: String, metas: Vec<InstanceMeta>, ctx: egui::Context) -> LoadJob {
    let progress = Arc::new(Progress::default());
    // Bounded: if the UI falls behind, decoding waits instead of piling slices up in memory.
    let (tx, rx): (SyncSender<LoadMsg>, _) = sync_channel(64);
    let p = progress.clone();
    let kept = metas.clone();
    let series_uid_log = series_uid.clone();
    std::thread::spawn(move || {
        let started = std::time::Instant::now();
        tracing::info!(series = %series_uid_log, files = metas.len(), "job load: started");
        let refs: Vec<&InstanceMeta> = metas.iter().collect();
        let plan = match plan_series(&refs) {
            Ok(plan) => plan,
            Err(e) => {
                tracing::error!(series = %series_uid_log, "job load: {e}");
                let _ = tx.send(LoadMsg::Failed(e.to_string()));
                ctx.request_repaint();
                return;
            }
        };
        p.total.store(plan.geometry.dims[2], Ordering::Relaxed);
        if tx.send(LoadMsg::Planned(Box::new(plan.clone()))).is_err() {
            return;
        }
        let sink = |k: usize, s: SliceRef<'_>, done: usize, _total: usize| {
            p.done.store(done, Ordering::Relaxed);
            if !p.cancel.load(Ordering::Relaxed) {
                let _ = tx.send(LoadMsg::Slice { k, data: SliceData::from_ref(s) });
            }
            ctx.request_repaint();
        };
        let msg = match load_volume_cancellable(&plan, Some(&sink), &p.cancel) {
            Ok(v) => {
                let seconds = started.elapsed().as_secs_f64();
                tracing::info!(series = %series_uid_log, dims = ?plan.geometry.dims, seconds, "job load: finished");
                let grid = crate::volume::raycast::BrickGrid::build(&v);
                LoadMsg::Done(Arc::new(v), Box::new(grid))
            }
            Err(e) => {
                tracing::error!(series = %series_uid_log, "job load: {e}");
                LoadMsg::Failed(e.to_string())
            }
        };
        let _ = tx.send(msg);
        ctx.request_repaint();
    });
    LoadJob { series_uid, metas: kept, progress, rx, started: std::time::Instant::now() }
}

/// A 64×64 greyscale/colour preview of the middle image of each series, computed in the background.
pub fn start_thumbnails(series: Vec<(String, PathBuf)>, ctx: egui::Context) -> Receiver<(String, egui::ColorImage)> {
    let (tx, rx) = sync_channel(16);
    std::thread::spawn(move || {
        for (uid, path) in series {
            if let Some(img) = preview(&path, 64) {
                if tx.send((uid, img)).is_err() {
                    return;
                }
                ctx.request_repaint();
            }
        }
    });
    rx
}

/// The middle frame of the image at `path`, scaled to fit `size` pixels (greyscale 1st–99th
/// percentile window, MONOCHROME1 inverted, colour as stored).
pub(super) fn preview(path: &std::path::Path, size: usize) -> Option<egui::ColorImage> {
    let d = decode_file(path).ok()?;
    let (w, h) = (d.cols, d.rows);
    let frame = d.frames / 2;
    let scale = (w.max(h) as f64 / size as f64).max(1.0);
    let (tw, th) = (((w as f64 / scale) as usize).max(1), ((h as f64 / scale) as usize).max(1));
    let mut pixels = vec![egui::Color32::BLACK; tw * th];
    if let Some(rgb) = d.rgb_frame(frame) {
        for (n, px) in pixels.iter_mut().enumerate() {
            let (x, y) = (((n % tw) as f64 * scale) as usize, ((n / tw) as f64 * scale) as usize);
            let i = (y.min(h - 1) * w + x.min(w - 1)) * 3;
            *px = egui::Color32::from_rgb(rgb[i], rgb[i + 1], rgb[i + 2]);
        }
    } else {
        let mut values = vec![0f32; w * h];
        d.grey_frame_into(frame, &mut values, |v| v as f32);
        let mut sorted: Vec<f32> = values.iter().step_by(7).copied().collect();
        sorted.sort_by(f32::total_cmp);
        let lo = sorted[sorted.len() / 100];
        let hi = sorted[sorted.len() * 99 / 100].max(lo + 1.0);
        let invert = d.photometric == crate::dicom::Photometric::Monochrome1;
        for (n, px) in pixels.iter_mut().enumerate() {
            let (x, y) = (((n % tw) as f64 * scale) as usize, ((n / tw) as f64 * scale) as usize);
            let v = values[y.min(h - 1) * w + x.min(w - 1)];
            let g = (((v - lo) / (hi - lo)).clamp(0.0, 1.0) * 255.0) as u8;
            *px = egui::Color32::from_gray(if invert { 255 - g } else { g });
        }
    }
    Some(egui::ColorImage::new([tw, th], pixels))
}
