//! `sumi bench gui3d`: 3D frame times, headless (no window), on the adapter wgpu picks. Each
//! configuration renders a few frames into an offscreen target and waits for the GPU after each.

use std::time::Instant;

use eframe::wgpu;
use serde::Serialize;

use super::gpu_volume::GpuVolume;
use super::mpr::MprResources;
use super::raycast::{RaycastParams, RaycastStyle, SlicePlane, default_label_palette};
use crate::volume::camera::{ClipBox, OrbitCamera, RayFrame, plane_in_tex};
use crate::volume::mpr::Oblique;
use crate::volume::raycast::{BrickGrid, RenderMode};
use crate::volume::transfer::{SKIN, TfPreset};
use crate::volume::{Volume, VoxelType};

#[derive(Debug, Serialize)]
pub struct BenchRow {
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub skip_empty: bool,
    /// Median and fastest frame, milliseconds.
    pub median_ms: f64,
    pub min_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct BenchReport {
    pub adapter: String,
    pub backend: String,
    pub dims: [usize; 3],
    pub rows: Vec<BenchRow>,
}

/// Which rows `run` times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    All,
    /// Each mode without and with a label overlay.
    Overlay,
    /// A few modes without and with the oblique slice plane drawn in the volume.
    Plane,
}

/// Renders `volume` from the front at `size` in every mode (and a few variants), then every mode
/// again with a label overlay, then a few with the slice plane; `frames` timed frames each after
/// one warm-up frame. `rows` picks a part.
pub fn run(volume: &Volume, size: [u32; 2], frames: usize, rows_wanted: Rows) -> Result<BenchReport, String> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapter = pollster_block(instance.request_adapter(&wgpu::RequestAdapterOptions::default()))
        .map_err(|e| format!("no wgpu adapter: {e}"))?;
    let (device, queue) = pollster_block(adapter.request_device(&super::device_descriptor(&adapter)))
        .map_err(|e| format!("no wgpu device: {e}"))?;
    let info = adapter.get_info();
    let dims = volume.geometry.dims;
    let gv = GpuVolume::new(&device, dims, volume.voxels.voxel_type())?;
    if gv.color || volume.voxels.voxel_type() == VoxelType::Rgba8 {
        return Err("colour volumes are not ray cast".into());
    }
    for k in 0..dims[2] {
        gv.upload_slice(&queue, k, volume.voxels.slice(k, volume.per_slice()));
    }
    let mut res = MprResources::new(&device, wgpu::TextureFormat::Rgba8Unorm);
    res.set_volume(1, gv);
    res.raycast_mut(&device, &queue).set_bricks(&device, &queue, 1, &BrickGrid::build(volume));
    let range = volume.value_range;
    let style = |mode, preset: TfPreset, skip_empty| RaycastStyle {
        mode,
        window: (400.0, 2000.0),
        iso: preset.iso_threshold(range),
        iso_rgb: SKIN,
        tf: preset.points(range),
        mask_opacity: 0.0,
        labels: default_label_palette(),
        skip_empty,
        plane: None,
    };
    let half = [size[0] / 2, size[1] / 2];
    let configs = [
        ("MIP", style(RenderMode::Mip, TfPreset::CtBone, true), size, 0.6),
        ("MinIP", style(RenderMode::MinIp, TfPreset::CtBone, true), size, 0.6),
        ("DVR bone", style(RenderMode::Dvr, TfPreset::CtBone, true), size, 0.6),
        ("DVR skin", style(RenderMode::Dvr, TfPreset::CtSkin, true), size, 0.6),
        ("Iso skin", style(RenderMode::Iso, TfPreset::CtSkin, true), size, 0.6),
        ("Iso bone", style(RenderMode::Iso, TfPreset::CtBone, true), size, 0.6),
        ("DVR bone, no skipping", style(RenderMode::Dvr, TfPreset::CtBone, false), size, 0.6),
        ("Iso skin, no skipping", style(RenderMode::Iso, TfPreset::CtSkin, false), size, 0.6),
        ("MIP, dragging (half size, 1.2 voxel steps)", style(RenderMode::Mip, TfPreset::CtBone, true), half, 1.2),
        ("DVR bone, dragging", style(RenderMode::Dvr, TfPreset::CtBone, true), half, 1.2),
    ];
    let cam = OrbitCamera::fit(&volume.geometry);
    let mut rows = Vec::new();
    let mut time = |res: &mut MprResources, name: &str, st: &RaycastStyle, px: [u32; 2], step: f64| {
        let frame =
            RayFrame::new(&cam, &volume.geometry, [f64::from(size[0]), f64::from(size[1])], ClipBox::default(), step)
                .ok_or("degenerate volume geometry")?;
        let params = RaycastParams::new(&frame, res.volume(1).ok_or("no volume")?, st);
        let mut times = Vec::new();
        for i in 0..=frames {
            let start = Instant::now();
            let mut encoder = device.create_command_encoder(&Default::default());
            res.render_3d(&device, &queue, &mut encoder, 0, 1, &params, px);
            queue.submit([encoder.finish()]);
            device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| e.to_string())?;
            if i > 0 {
                times.push(start.elapsed().as_secs_f64() * 1000.0);
            }
        }
        times.sort_by(f64::total_cmp);
        rows.push(BenchRow {
            name: name.to_string(),
            width: px[0],
            height: px[1],
            skip_empty: st.skip_empty,
            median_ms: times[times.len() / 2],
            min_ms: times[0],
        });
        Ok::<(), String>(())
    };
    if rows_wanted == Rows::All {
        for (name, st, px, step) in configs {
            time(&mut res, name, &st, px, step)?;
        }
    }
    if rows_wanted != Rows::Plane {
        overlay_rows(&device, &queue, &mut res, volume, size, &mut time, &style)?;
    }
    if rows_wanted != Rows::Overlay {
        // The oblique plane through the centre, tilted 40° from axial towards the viewer, opaque,
        // with a soft-tissue window; each mode without and then with it.
        let mut oblique = Oblique::default();
        oblique.tilt(40f64.to_radians());
        let g = &volume.geometry;
        let equation = plane_in_tex(g, g.center(), oblique.normal()).ok_or("degenerate volume geometry")?;
        let plane = SlicePlane { equation, window: (40.0, 400.0), invert: false, opacity: 1.0 };
        for (name, st) in [
            ("DVR bone", style(RenderMode::Dvr, TfPreset::CtBone, true)),
            ("Iso skin", style(RenderMode::Iso, TfPreset::CtSkin, true)),
            ("MIP", style(RenderMode::Mip, TfPreset::CtBone, true)),
        ] {
            time(&mut res, &format!("{name}, plane off"), &st, size, 0.6)?;
            time(&mut res, &format!("{name}, plane on"), &RaycastStyle { plane: Some(plane), ..st }, size, 0.6)?;
        }
    }
    Ok(BenchReport { adapter: info.name, backend: format!("{:?}", info.backend), dims, rows })
}

/// Each mode timed without and with a label overlay.
fn overlay_rows(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    res: &mut MprResources,
    volume: &Volume,
    size: [u32; 2],
    time: &mut impl FnMut(&mut MprResources, &str, &RaycastStyle, [u32; 2], f64) -> Result<(), String>,
    style: &impl Fn(RenderMode, TfPreset, bool) -> RaycastStyle,
) -> Result<(), String> {
    // With a label overlay: the anterior third of the grid (a defacing-sized mask) and a ball of
    // label 2 in the middle, tinted at half opacity. Each mode is timed without and with it, one
    // after the other, so that both see the same machine load.
    let (dims, mask) = (volume.geometry.dims, overlay_mask(volume));
    let tinted = |mode, preset| RaycastStyle { mask_opacity: 0.5, ..style(mode, preset, true) };
    for (name, st) in [
        ("MIP", tinted(RenderMode::Mip, TfPreset::CtBone)),
        ("MinIP", tinted(RenderMode::MinIp, TfPreset::CtBone)),
        ("DVR bone", tinted(RenderMode::Dvr, TfPreset::CtBone)),
        ("DVR skin", tinted(RenderMode::Dvr, TfPreset::CtSkin)),
        ("Iso skin", tinted(RenderMode::Iso, TfPreset::CtSkin)),
        ("Iso bone", tinted(RenderMode::Iso, TfPreset::CtBone)),
    ] {
        res.raycast_mut(device, queue).set_mask(device, queue, 1, None);
        time(res, &format!("{name}, labels off"), &st, size, 0.6)?;
        res.raycast_mut(device, queue).set_mask(device, queue, 1, Some((dims, &mask)));
        time(res, &format!("{name}, labels on"), &st, size, 0.6)?;
    }
    res.raycast_mut(device, queue).set_mask(device, queue, 1, None);
    Ok(())
}

/// Label 1 on the anterior third of the grid, label 2 on a ball of a sixth of its width.
fn overlay_mask(volume: &Volume) -> Vec<u8> {
    let [nx, ny, nz] = volume.geometry.dims;
    let mut mask = vec![0u8; nx * ny * nz];
    let r = nx.min(ny).min(nz) as f64 / 6.0;
    for k in 0..nz {
        for j in 0..ny {
            for i in 0..nx {
                let d = [i as f64 - nx as f64 / 2.0, j as f64 - ny as f64 / 2.0, k as f64 - nz as f64 / 2.0];
                let v = if d.iter().map(|x| x * x).sum::<f64>() < r * r { 2 } else { u8::from(j < ny / 3) };
                mask[(k * ny + j) * nx + i] = v;
            }
        }
    }
    mask
}

/// Blocks on a future without an async runtime (wgpu's native futures complete on poll).
fn pollster_block<F: std::future::Future>(f: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};
    struct Thread(std::thread::Thread);
    impl Wake for Thread {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(std::sync::Arc::new(Thread(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}
