//! GPU side of brush latency: after each of the 20 dabs of `benches/brush.rs` (10 mm radius 3D
//! ball, 512×512×200 and 512×512×1000 label maps side by side), the box the dab touched is
//! copied out of the label map and written into a 3D R8Uint texture with `write_texture`, then
//! the queue is submitted and waited for. Compared with uploading the whole touched slices.
//! Needs a wgpu adapter (lavapipe works headless):
//!
//! `XDG_RUNTIME_DIR=/tmp/xdg WGPU_BACKEND=vulkan cargo bench --bench brush_gpu`

use std::time::{Duration, Instant};

use sumi::annotate::tools::{Brush, dab};
use sumi::annotate::{LabelMap, Recorder};
use sumi::render::wgpu;

const SPACING: [f64; 3] = [0.8, 0.8, 1.0];
const RADIUS_MM: f64 = 10.0;
const POSITIONS: usize = 20;
const STROKES: usize = 15;

fn device() -> (wgpu::Device, wgpu::Queue, String) {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default()))
        .expect("a wgpu adapter (lavapipe: install mesa-vulkan-drivers)");
    let name = adapter.get_info().name;
    let (d, q) =
        pollster::block_on(adapter.request_device(&sumi::render::device_descriptor(&adapter))).expect("device");
    (d, q, name)
}

/// Inclusive voxel box a dab at `c` touches.
fn dirty_box(dims: [usize; 3], c: [f64; 3]) -> ([usize; 3], [usize; 3]) {
    let mut lo = [0; 3];
    let mut n = [0; 3];
    for a in 0..3 {
        let reach = (RADIUS_MM / SPACING[a]).floor() as i64;
        let c = c[a].round() as i64;
        let (l, h) = ((c - reach).max(0), (c + reach).min(dims[a] as i64 - 1));
        lo[a] = l as usize;
        n[a] = (h - l + 1) as usize;
    }
    (lo, n)
}

fn upload(queue: &wgpu::Queue, tex: &wgpu::Texture, map: &LabelMap, lo: [usize; 3], n: [usize; 3], buf: &mut Vec<u8>) {
    let w = map.dims()[0];
    buf.clear();
    for z in lo[2]..lo[2] + n[2] {
        for y in lo[1]..lo[1] + n[1] {
            match map.slice(z) {
                Some(s) => buf.extend_from_slice(&s[y * w + lo[0]..y * w + lo[0] + n[0]]),
                None => buf.resize(buf.len() + n[0], 0),
            }
        }
    }
    queue.write_texture(
        wgpu::TexelCopyTextureInfo {
            texture: tex,
            mip_level: 0,
            origin: wgpu::Origin3d { x: lo[0] as u32, y: lo[1] as u32, z: lo[2] as u32 },
            aspect: wgpu::TextureAspect::All,
        },
        buf,
        wgpu::TexelCopyBufferLayout { offset: 0, bytes_per_row: Some(n[0] as u32), rows_per_image: Some(n[1] as u32) },
        wgpu::Extent3d { width: n[0] as u32, height: n[1] as u32, depth_or_array_layers: n[2] as u32 },
    );
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e3
}

fn main() {
    let (device, queue, adapter) = device();
    println!("brush GPU upload on {adapter}: {RADIUS_MM} mm radius ball, {POSITIONS} positions × {STROKES} strokes");
    println!(
        "{:>14} | {:>12} | {:>16} | {:>12} | {:>18} | {:>16}",
        "grid", "dirty B/pos", "sub-region ms", "dab+upload ms", "whole slices B/pos", "whole slices ms"
    );
    for depth in [200usize, 1000] {
        let dims = [512, 512, depth];
        let tex = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("labels"),
            size: wgpu::Extent3d { width: 512, height: 512, depth_or_array_layers: depth as u32 },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D3,
            format: wgpu::TextureFormat::R8Uint,
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        });
        let mut map = LabelMap::new(dims);
        let (mut sub, mut total, mut whole) = (Vec::new(), Vec::new(), Vec::new());
        let (mut bytes, mut whole_bytes) = (0usize, 0usize);
        let mut buf = Vec::new();
        for k in 0..STROKES {
            let b = Brush {
                radius_mm: RADIUS_MM,
                sphere: true,
                label: (k % 20) as u8 + 1,
                erase: false,
                range: None,
                locked: vec![],
            };
            let mut rec = Recorder::default();
            for i in 0..POSITIONS {
                let step = RADIUS_MM * 0.25 / SPACING[0];
                let c = [
                    150.0 + (k % 7) as f64 * 20.0 + i as f64 * step,
                    200.0 + i as f64 * step * 0.3,
                    (depth / 2) as f64,
                ];
                let t0 = Instant::now();
                dab(&mut map, &mut rec, SPACING, c, &b, None);
                let (lo, n) = dirty_box(dims, c);
                let t1 = Instant::now();
                upload(&queue, &tex, &map, lo, n, &mut buf);
                queue.submit([]);
                device.poll(wgpu::PollType::wait_indefinitely()).expect("poll");
                let t2 = Instant::now();
                sub.push(t2 - t1);
                total.push(t2 - t0);
                bytes = n.iter().product();
                // The same position uploading the touched slices whole.
                let t3 = Instant::now();
                upload(&queue, &tex, &map, [0, 0, lo[2]], [512, 512, n[2]], &mut buf);
                queue.submit([]);
                device.poll(wgpu::PollType::wait_indefinitely()).expect("poll");
                whole.push(t3.elapsed());
                whole_bytes = 512 * 512 * n[2];
            }
            drop(rec.finish(&map));
        }
        println!(
            "{:>14} | {:>12} | {:>16.3} | {:>12.3} | {:>18} | {:>16.3}",
            format!("512x512x{depth}"),
            bytes,
            median(sub),
            median(total),
            whole_bytes,
            median(whole)
        );
    }
}
