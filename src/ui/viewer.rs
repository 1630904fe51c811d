//! The viewer: one loaded series shown in 1, 3 or 4 viewports with a shared focus point
//! (the crosshair). Slices reach the GPU as they decode, so the first image appears early.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui;
use eframe::egui_wgpu::RenderState;
use nalgebra::Point3;

use crate::dicom::InstanceMeta;
use crate::render::gpu_volume::GpuVolume;
use crate::render::mpr::MprResources;
use crate::volume::stats::initial_window;
use crate::volume::{Oblique, Plane, SeriesKind, SeriesPlan, SliceView, Volume};

use super::app::Layout;
use super::i18n::{Lang, tr};
use super::jobs::{LoadJob, LoadMsg, start_load};

/// How long one frame may spend uploading streamed slices to the GPU.
const UPLOAD_BUDGET: Duration = Duration::from_millis(12);

pub struct Loaded {
    pub series_uid: String,
    pub metas: Vec<InstanceMeta>,
    pub plan: SeriesPlan,
    pub volume: Option<Arc<Volume>>,
    pub gpu_id: u64,
    pub slices_uploaded: usize,
    pub first_image: Option<Duration>,
    pub load_time: Option<Duration>,
}

pub struct Cine {
    pub playing: bool,
    pub fps: f64,
    last_step: Instant,
}

pub struct Viewer {
    pub ctx: egui::Context,
    render: Option<RenderState>,
    pub loaded: Option<Loaded>,
    job: Option<LoadJob>,
    pub focus: Point3<f64>,
    pub views: [SliceView; 4],
    pub layout: Layout,
    pub maximized: Option<usize>,
    pub active: usize,
    /// (centre, width) in modality units.
    pub window: (f64, f64),
    pub window_set_by_user: bool,
    pub invert: bool,
    pub colour_map: crate::render::mpr::ColourMap,
    pub cine: Cine,
    next_gpu_id: u64,
    /// Requested fit on the next frame (after load or reset).
    pub fit_pending: bool,
    /// Review mode: one viewport on the acquired plane; the primary button belongs to the box tools.
    pub review_mode: bool,
    /// Annotate mode with a painting tool: the primary button belongs to the tool.
    pub annotate_mode: bool,
    /// The annotate mode uses double clicks (polygon tool): they do not maximise a viewport.
    pub double_click_taken: bool,
    /// Blind mode: the patient's identity is hidden in the viewport corners and the browser.
    pub blind: bool,
    /// Views the user zoomed or panned keep their zoom; the others re-fit when their size changes.
    pub manual_zoom: [bool; 4],
    /// Where each visible viewport was drawn last frame (for tests and tools).
    pub viewport_rects: Vec<(usize, egui::Rect)>,
    /// The 3D view's camera and style.
    pub view3d: super::view3d::View3d,
    /// The fourth viewport shows the oblique plane (`views[3]`) instead of the 3D view.
    pub fourth_oblique: bool,
    /// A tool outside the viewer (the defacing cut drag) owns the primary button this drag.
    pub primary_taken: bool,
}

impl Viewer {
    pub fn new(ctx: egui::Context, render: Option<RenderState>) -> Viewer {
        Viewer {
            ctx,
            render,
            loaded: None,
            job: None,
            focus: Point3::origin(),
            views: [Plane::Axial, Plane::Coronal, Plane::Sagittal, Plane::Native].map(SliceView::new),
            layout: Layout::OneByThree,
            maximized: None,
            active: 0,
            window: (40.0, 400.0),
            window_set_by_user: false,
            invert: false,
            colour_map: crate::render::mpr::ColourMap::Grey,
            cine: Cine { playing: false, fps: 20.0, last_step: Instant::now() },
            next_gpu_id: 1,
            fit_pending: true,
            viewport_rects: Vec::new(),
            manual_zoom: [false; 4],
            review_mode: false,
            annotate_mode: false,
            double_click_taken: false,
            blind: false,
            view3d: Default::default(),
            fourth_oblique: false,
            primary_taken: false,
        }
    }

    /// Switches the fourth viewport between the 3D view and the oblique plane (which keeps its
    /// orientation across switches).
    pub fn set_fourth_oblique(&mut self, on: bool) {
        self.fourth_oblique = on;
        if on && !matches!(self.views[3].plane, Plane::Oblique(_)) {
            self.views[3] = SliceView::new(Plane::Oblique(Oblique::default()));
            self.manual_zoom[3] = false;
        }
        self.fit_pending = true;
    }

    /// The oblique plane's orientation, when viewport 4 has one.
    pub fn oblique(&self) -> Option<Oblique> {
        match self.views[3].plane {
            Plane::Oblique(o) => Some(o),
            _ => None,
        }
    }

    pub fn open(&mut self, series_uid: String, metas: Vec<InstanceMeta>) {
        if let Some(job) = &self.job {
            job.progress.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        if let (Some(old), Some(rs)) = (&self.loaded, &self.render)
            && let Some(res) = rs.renderer.write().callback_resources.get_mut::<MprResources>()
        {
            res.remove_volume(old.gpu_id);
        }
        self.loaded = None;
        self.job = Some(start_load(series_uid, metas, self.ctx.clone()));
    }

    pub fn set_layout(&mut self, layout: Layout) {
        self.layout = layout;
        self.maximized = None;
        self.fit_pending = true;
    }

    pub fn render_state(&self) -> Option<&RenderState> {
        self.render.as_ref()
    }

    pub fn is_loading(&self) -> bool {
        self.job.is_some()
    }

    pub fn load_fraction(&self) -> f32 {
        self.job.as_ref().map_or(1.0, |j| j.progress.fraction())
    }

    pub fn loading_series(&self) -> Option<&str> {
        self.job.as_ref().map(|j| j.series_uid.as_str())
    }

    /// Drains the load channel: creates the texture, uploads slices, stores the volume.
    /// Returns problems to show.
    pub fn poll(&mut self, ctx: &egui::Context) -> Vec<String> {
        self.ctx = ctx.clone();
        let mut problems = Vec::new();
        let Some(job) = &self.job else {
            self.step_cine(ctx);
            return problems;
        };
        let mut finished = false;
        // Uploads stop after a frame's budget: the loader refills the channel as fast as the UI
        // drains it, so an unbounded drain would hold this frame until the whole series is in.
        let budget_end = Instant::now() + UPLOAD_BUDGET;
        while Instant::now() < budget_end
            && let Ok(msg) = job.rx.try_recv()
        {
            match msg {
                LoadMsg::Planned(plan) => {
                    problems.extend(plan.problems.iter().cloned());
                    let gpu_id = self.next_gpu_id;
                    self.next_gpu_id += 1;
                    if let Some(rs) = &self.render {
                        match GpuVolume::new(&rs.device, plan.geometry.dims, plan.voxel_type) {
                            Ok(gv) => {
                                if let Some(res) = rs.renderer.write().callback_resources.get_mut::<MprResources>() {
                                    res.set_volume(gpu_id, gv);
                                }
                            }
                            Err(e) => problems.push(e),
                        }
                    }
                    self.focus = plan.geometry.center();
                    let native = self.review_mode || !matches!(plan.kind, SeriesKind::Volume);
                    if native {
                        self.layout = Layout::One;
                        self.active = 0;
                        self.maximized = None;
                        self.views[0] = SliceView::new(Plane::Native);
                        self.focus = plan.geometry.index_to_patient(nalgebra::Vector3::new(
                            (plan.geometry.dims[0] as f64 - 1.0) / 2.0,
                            (plan.geometry.dims[1] as f64 - 1.0) / 2.0,
                            0.0,
                        ));
                    } else {
                        self.views[0] = SliceView::new(Plane::Axial);
                        self.views[3] = SliceView::new(Plane::Oblique(Oblique::default()));
                        if self.layout == Layout::One && self.loaded.is_none() {
                            self.layout = Layout::OneByThree;
                        }
                    }
                    self.cine.playing = matches!(plan.kind, SeriesKind::Cine { .. });
                    if let SeriesKind::Cine { frame_time_ms } = plan.kind {
                        self.cine.fps = (1000.0 / frame_time_ms).clamp(1.0, 120.0);
                    }
                    self.invert = plan.monochrome1;
                    self.view3d.reset_for(&plan.modality, (0.0, 1000.0));
                    self.window = plan.window.unwrap_or(default_window(&plan));
                    self.window_set_by_user = false;
                    self.fit_pending = true;
                    self.manual_zoom = [false; 4];
                    self.loaded = Some(Loaded {
                        series_uid: job.series_uid.clone(),
                        metas: job.metas.clone(),
                        plan: *plan,
                        volume: None,
                        gpu_id,
                        slices_uploaded: 0,
                        first_image: None,
                        load_time: None,
                    });
                }
                LoadMsg::Slice { k, data } => {
                    if let (Some(l), Some(rs)) = (&mut self.loaded, &self.render) {
                        let mut renderer = rs.renderer.write();
                        if let Some(res) = renderer.callback_resources.get_mut::<MprResources>() {
                            // The loader falls back from i16 to f32 when a value does not fit:
                            // the texture follows the data type.
                            if data.voxel_type() != l.plan.voxel_type {
                                l.plan.voxel_type = data.voxel_type();
                                match GpuVolume::new(&rs.device, l.plan.geometry.dims, l.plan.voxel_type) {
                                    Ok(gv) => res.set_volume(l.gpu_id, gv),
                                    Err(e) => problems.push(e),
                                }
                            }
                            if let Some(gv) = res.volume(l.gpu_id) {
                                gv.upload_slice(&rs.queue, k, data.as_ref());
                            }
                        }
                        l.slices_uploaded += 1;
                        l.first_image.get_or_insert(job.started.elapsed());
                    }
                }
                LoadMsg::Done(volume, grid) => {
                    if let Some(l) = &mut self.loaded {
                        if l.plan.window.is_none() && !self.window_set_by_user {
                            self.window = initial_window(&volume);
                        }
                        l.load_time = Some(job.started.elapsed());
                        self.view3d.reset_for(&l.plan.modality, volume.value_range);
                        if let Some(rs) = &self.render {
                            // Empty-space skipping for the 3D view: brick min/max once the volume is whole.
                            if let Some(res) = rs.renderer.write().callback_resources.get_mut::<MprResources>() {
                                res.raycast_mut(&rs.device, &rs.queue)
                                    .set_bricks(&rs.device, &rs.queue, l.gpu_id, &grid);
                            }
                        }
                        l.first_image.get_or_insert(job.started.elapsed());
                        l.volume = Some(volume);
                    }
                    finished = true;
                }
                LoadMsg::Failed(e) => {
                    if !job.progress.cancel.load(std::sync::atomic::Ordering::Relaxed) {
                        problems.push(e);
                    }
                    finished = true;
                }
            }
        }
        if !finished && Instant::now() >= budget_end {
            ctx.request_repaint(); // more slices may be waiting
        }
        if finished {
            if let (Some(l), Some(job)) = (&mut self.loaded, &self.job) {
                l.series_uid = job.series_uid.clone();
            }
            self.job = None;
        }
        problems
    }

    fn step_cine(&mut self, ctx: &egui::Context) {
        let Some(l) = &self.loaded else { return };
        if !self.cine.playing || l.plan.geometry.dims[2] < 2 {
            return;
        }
        let period = Duration::from_secs_f64(1.0 / self.cine.fps.max(1.0));
        if self.cine.last_step.elapsed() >= period {
            self.cine.last_step = Instant::now();
            let g = &l.plan.geometry;
            let k = self.current_k().unwrap_or(0);
            let next = (k + 1) % g.dims[2];
            let mut idx = g.patient_to_index(self.focus).unwrap_or_default();
            idx.z = next as f64;
            self.focus = g.index_to_patient(idx);
        }
        ctx.request_repaint_after(period);
    }

    /// The k index of the focus point in the loaded grid.
    pub fn current_k(&self) -> Option<usize> {
        let l = self.loaded.as_ref()?;
        let idx = l.plan.geometry.patient_to_index(self.focus)?;
        Some(idx.z.round().clamp(0.0, (l.plan.geometry.dims[2] - 1) as f64) as usize)
    }

    /// The file behind the focus slice (for the tag browser).
    pub fn current_instance_path(&self) -> Option<PathBuf> {
        let l = self.loaded.as_ref()?;
        let k = self.current_k()?;
        let f = l.plan.slices.get(k)?.as_ref()?;
        l.plan.paths.get(f.instance).cloned()
    }

    /// The viewports visible in the current layout: (viewport index, plane).
    pub fn visible(&self) -> Vec<usize> {
        if let Some(m) = self.maximized {
            return vec![m];
        }
        match self.layout {
            Layout::One => vec![self.active.min(3)],
            Layout::OneByThree => vec![0, 1, 2],
            Layout::TwoByTwo => vec![0, 1, 2, 3],
            Layout::ThreeD => vec![3],
        }
    }

    /// The fourth viewport shows the 3D view for volumes (2×2 and 3D layouts), unless it was
    /// switched to the oblique plane.
    pub fn is_3d(&self, vp: usize) -> bool {
        vp == 3
            && !self.fourth_oblique
            && self.loaded.as_ref().is_some_and(|l| matches!(l.plan.kind, SeriesKind::Volume))
    }

    /// Draws the visible viewports; returns (viewport, rect, response) for each.
    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) -> Vec<(usize, egui::Rect, egui::Response)> {
        let rect = ui.available_rect_before_wrap();
        ui.allocate_rect(rect, egui::Sense::hover());
        if self.loaded.is_none() {
            let text = if self.is_loading() { tr(lang, "viewer.loading") } else { tr(lang, "viewer.no_series") };
            ui.painter().text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                text,
                egui::FontId::proportional(18.0),
                egui::Color32::GRAY,
            );
            return Vec::new();
        }
        let visible = self.visible();
        let rects = split(rect, visible.len(), self.layout);
        self.viewport_rects = visible.iter().copied().zip(rects.iter().copied()).collect();
        let mut out = Vec::new();
        for (&vp, r) in visible.iter().zip(rects) {
            let resp = if self.is_3d(vp) {
                super::view3d::viewport_3d(ui, self, vp, r, lang)
            } else {
                super::viewport::viewport(ui, self, vp, r, lang)
            };
            if let Some(resp) = resp {
                out.push((vp, r, resp));
            }
        }
        self.fit_pending = false;
        out
    }

    pub fn status_line(&self, ui: &mut egui::Ui, lang: Lang) {
        ui.horizontal(|ui| {
            if let Some(job) = &self.job {
                ui.add(egui::ProgressBar::new(job.progress.fraction()).desired_width(200.0).show_percentage());
                ui.label(tr(lang, "viewer.loading"));
            }
            if let Some(l) = &self.loaded {
                let g = &l.plan.geometry;
                let s = g.spacing();
                ui.label(format!("{}×{}×{}  {:.2}×{:.2}×{:.2} mm", g.dims[0], g.dims[1], g.dims[2], s[0], s[1], s[2]));
                if let Some(t) = l.first_image {
                    ui.label(format!("{} {:.0} ms", tr(lang, "viewer.first_image"), t.as_secs_f64() * 1000.0));
                }
                if let Some(t) = l.load_time {
                    ui.label(format!("{} {:.2} s", tr(lang, "viewer.loaded_in"), t.as_secs_f64()));
                }
            }
            if let Some(rs) = &self.render {
                let info = rs.adapter.get_info();
                ui.weak(format!("{}: {} ({:?})", tr(lang, "status.gpu"), info.name, info.backend));
            }
        });
    }
}

fn default_window(plan: &SeriesPlan) -> (f64, f64) {
    match plan.modality.as_str() {
        "CT" => (40.0, 400.0),
        _ if plan.voxel_type == crate::volume::VoxelType::Rgba8 => (127.5, 255.0),
        _ => (500.0, 1000.0),
    }
}

/// Splits the central area for the layout (1: whole; 3: side by side; 4: 2×2).
fn split(rect: egui::Rect, n: usize, layout: Layout) -> Vec<egui::Rect> {
    let gap = 2.0;
    match (n, layout) {
        (1, _) => vec![rect],
        (3, _) => {
            let w = (rect.width() - 2.0 * gap) / 3.0;
            (0..3)
                .map(|i| {
                    egui::Rect::from_min_size(
                        rect.min + egui::vec2(i as f32 * (w + gap), 0.0),
                        egui::vec2(w, rect.height()),
                    )
                })
                .collect()
        }
        _ => {
            let (w, h) = ((rect.width() - gap) / 2.0, (rect.height() - gap) / 2.0);
            (0..n)
                .map(|i| {
                    let (c, r) = ((i % 2) as f32, (i / 2) as f32);
                    egui::Rect::from_min_size(rect.min + egui::vec2(c * (w + gap), r * (h + gap)), egui::vec2(w, h))
                })
                .collect()
        }
    }
}
