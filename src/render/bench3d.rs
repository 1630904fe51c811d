//! `sumi bench gui3d`: 3D frame times, headless (no window), on the adapter wgpu picks. Each
//! configuration renders a few frames into an offscreen target and waits for the GPU after each.

use std::time::Instant;

use eframe::wgpu;
use serde::Serialize;

use super::gpu_volume::GpuVolume;
use super::mpr::MprResources;
use super::raycast::{RaycastParams, RaycastStyle, default_label_palette};
use crate::volume::camera::{ClipBox, OrbitCamera, RayFrame};
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

/// Renders `volume` from the front at `size` in every mode (and a few variants), `frames` timed
/// frames each after one warm-up frame.
pub fn run(volume: &Volume, size: [u32; 2], frames: usize) -> Result<BenchReport, String> {
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
    for (name, st, px, step) in configs {
        let frame =
            RayFrame::new(&cam, &volume.geometry, [f64::from(size[0]), f64::from(size[1])], ClipBox::default(), step)
                .ok_or("degenerate volume geometry")?;
        let params = RaycastParams::new(&frame, res.volume(1).ok_or("no volume")?, &st);
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
    }
    Ok(BenchReport { adapter: info.name, backend: format!("{:?}", info.backend), dims, rows })
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
