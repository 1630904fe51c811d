//! The slice shader against the CPU reference: a small volume rendered headless (no window) on
//! whatever adapter wgpu finds (lavapipe in CI) must match `volume::mpr::sample_nearest` + W/L.
#![cfg(feature = "gui")]

use nalgebra::{Matrix3, Point3, Vector3, Vector4};
use sumi::render::gpu_volume::GpuVolume;
use sumi::render::mpr::{MprParams, MprResources};
use sumi::render::wgpu;
use sumi::volume::mpr::sample_nearest;
use sumi::volume::{DisplayHints, Geometry, Plane, SeriesKind, SliceView, Volume, VoxelType, Voxels};

const SIZE: u32 = 64;

fn device() -> (wgpu::Device, wgpu::Queue) {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default()))
        .expect("a wgpu adapter (lavapipe: install mesa-vulkan-drivers)");
    pollster::block_on(adapter.request_device(&sumi::render::device_descriptor(&adapter))).expect("device")
}

/// A 9×7×5 oblique volume whose voxels all differ (signed values, some negative).
fn test_volume() -> Volume {
    let dims = [9, 7, 5];
    let data: Vec<i16> = (0..dims.iter().product::<usize>()).map(|n| (n as i16 * 37) % 1000 - 300).collect();
    let rot = nalgebra::Rotation3::from_axis_angle(&Vector3::x_axis(), 0.4);
    let axes = rot.matrix() * Matrix3::from_diagonal(&Vector3::new(1.5, 1.0, 2.5));
    Volume {
        geometry: Geometry { dims, origin: Point3::new(-4.0, 3.0, 10.0), axes },
        voxels: Voxels::I16(data),
        kind: SeriesKind::Volume,
        display: DisplayHints { modality: "CT".into(), window: None, invert: false },
        value_range: (-300.0, 699.0),
        problems: vec![],
    }
}

fn render(device: &wgpu::Device, queue: &wgpu::Queue, res: &mut MprResources, params: &MprParams) -> Vec<u8> {
    let target = device.create_texture(&wgpu::TextureDescriptor {
        label: None,
        size: wgpu::Extent3d { width: SIZE, height: SIZE, depth_or_array_layers: 1 },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::Rgba8Unorm,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    });
    let view = target.create_view(&Default::default());
    res.prepare(device, queue, 0, 1, params);
    let mut encoder = device.create_command_encoder(&Default::default());
    {
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: None,
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: &view,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations { load: wgpu::LoadOp::Clear(wgpu::Color::RED), store: wgpu::StoreOp::Store },
            })],
            depth_stencil_attachment: None,
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
        res.draw(&mut pass, 0, 1);
    }
    let buffer = device.create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size: u64::from(SIZE * SIZE * 4),
        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
        mapped_at_creation: false,
    });
    encoder.copy_texture_to_buffer(
        target.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &buffer,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(SIZE * 4),
                rows_per_image: Some(SIZE),
            },
        },
        wgpu::Extent3d { width: SIZE, height: SIZE, depth_or_array_layers: 1 },
    );
    queue.submit([encoder.finish()]);
    buffer.slice(..).map_async(wgpu::MapMode::Read, |r| r.expect("map"));
    device.poll(wgpu::PollType::wait_indefinitely()).expect("poll");

    buffer.slice(..).get_mapped_range().expect("mapped").to_vec()
}

/// Pipelines plus `volume` uploaded slice by slice as volume id 1.
fn resources_with(device: &wgpu::Device, queue: &wgpu::Queue, volume: &Volume) -> MprResources {
    let mut res = MprResources::new(device, wgpu::TextureFormat::Rgba8Unorm);
    let gv = GpuVolume::new(device, volume.geometry.dims, VoxelType::I16).unwrap();
    for k in 0..volume.geometry.dims[2] {
        gv.upload_slice(queue, k, volume.voxels.slice(k, volume.per_slice()));
    }
    res.set_volume(1, gv);
    res
}

#[test]
fn slice_shader_matches_cpu_nearest_sampling_and_window_level() {
    let (device, queue) = device();
    let volume = test_volume();
    let mut res = resources_with(&device, &queue, &volume);
    let window = (100.0, 900.0);
    for plane in [Plane::Axial, Plane::Coronal, Plane::Sagittal, Plane::Native] {
        let mut view = SliceView::new(plane);
        view.zoom = view.fit_zoom(&volume.geometry, [f64::from(SIZE); 2]);
        let focus = volume.geometry.index_to_patient(Vector3::new(4.2, 3.1, 2.2));
        let m = view.uv_to_texcoord(&volume.geometry, focus, [f64::from(SIZE); 2]).unwrap();
        let mut params = MprParams::new(&m, res.volume(1).unwrap(), window, false, false);
        params.flags[1] = 1.0; // nearest, to compare with the CPU exactly
        let pixels = render(&device, &queue, &mut res, &params);
        let (mut inside, mut bad) = (0, Vec::new());
        for y in 0..SIZE {
            for x in 0..SIZE {
                let uv = [(f64::from(x) + 0.5) / f64::from(SIZE), (f64::from(y) + 0.5) / f64::from(SIZE)];
                let t = m * Vector4::new(uv[0], uv[1], 0.0, 1.0);
                // Skip pixels within float rounding of a texel boundary: either side is right.
                let dims = volume.geometry.dims;
                let near_edge = (0..3).any(|a| {
                    let f = t[a] * dims[a] as f64;
                    (f - f.round()).abs() < 1e-3
                });
                if near_edge {
                    continue;
                }
                let expected = match sample_nearest(&volume, t.xyz()) {
                    Some(v) => {
                        inside += 1;
                        (((v - (window.0 - window.1 / 2.0)) / window.1).clamp(0.0, 1.0) * 255.0).round() as i32
                    }
                    None => 0,
                };
                let got = i32::from(pixels[((y * SIZE + x) * 4) as usize]);
                if (got - expected).abs() > 1 {
                    bad.push((plane, x, y, expected, got));
                }
            }
        }
        assert!(inside > 100, "{plane:?}: the volume must cover the view ({inside} pixels)");
        assert!(bad.is_empty(), "{plane:?}: {} pixels differ, first {:?}", bad.len(), &bad[..bad.len().min(5)]);
    }
}

#[test]
fn hot_iron_colour_map_follows_window_level_in_the_shader() {
    let (device, queue) = device();
    let volume = test_volume();
    let mut res = resources_with(&device, &queue, &volume);
    let window = (200.0, 1000.0);
    let mut view = SliceView::new(Plane::Native);
    view.zoom = view.fit_zoom(&volume.geometry, [f64::from(SIZE); 2]);
    let focus = volume.geometry.index_to_patient(Vector3::new(4.0, 3.0, 2.0));
    let m = view.uv_to_texcoord(&volume.geometry, focus, [f64::from(SIZE); 2]).unwrap();
    let mut params = MprParams::new(&m, res.volume(1).unwrap(), window, false, false)
        .with_colour_map(sumi::render::mpr::ColourMap::HotIron);
    params.flags[1] = 1.0;
    let pixels = render(&device, &queue, &mut res, &params);
    let mut checked = 0;
    for y in 0..SIZE {
        for x in 0..SIZE {
            let uv = [(f64::from(x) + 0.5) / f64::from(SIZE), (f64::from(y) + 0.5) / f64::from(SIZE)];
            let t = m * Vector4::new(uv[0], uv[1], 0.0, 1.0);
            let dims = volume.geometry.dims;
            if (0..3).any(|a| ((t[a] * dims[a] as f64) - (t[a] * dims[a] as f64).round()).abs() < 1e-3) {
                continue;
            }
            let Some(v) = sample_nearest(&volume, t.xyz()) else { continue };
            let g = ((v - (window.0 - window.1 / 2.0)) / window.1).clamp(0.0, 1.0);
            let expected = [3.0 * g, 3.0 * g - 1.0, 3.0 * g - 2.0].map(|c| (c.clamp(0.0, 1.0) * 255.0).round() as i32);
            let i = ((y * SIZE + x) * 4) as usize;
            for c in 0..3 {
                assert!(
                    (i32::from(pixels[i + c]) - expected[c]).abs() <= 1,
                    "pixel {x},{y} channel {c}: {} vs {}",
                    pixels[i + c],
                    expected[c]
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 500, "only {checked} pixels inside the volume");
}

/// The filtered (trilinear) render of `view` through `focus`.
fn render_view(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    res: &mut MprResources,
    volume: &Volume,
    view: &SliceView,
    focus: Point3<f64>,
    window: (f64, f64),
) -> (Vec<u8>, nalgebra::Matrix4<f64>) {
    let m = view.uv_to_texcoord(&volume.geometry, focus, [f64::from(SIZE); 2]).unwrap();
    let params = MprParams::new(&m, res.volume(1).unwrap(), window, false, false);
    (render(device, queue, res, &params), m)
}

/// Largest channel difference per pixel between two RGBA images.
fn max_difference(a: &[u8], b: &[u8]) -> i32 {
    a.iter().zip(b).map(|(x, y)| (i32::from(*x) - i32::from(*y)).abs()).max().unwrap_or(0)
}

#[test]
fn oblique_plane_at_zero_degrees_is_the_axial_slice_and_at_ninety_about_right_the_coronal() {
    let (device, queue) = device();
    let volume = test_volume();
    let mut res = resources_with(&device, &queue, &volume);
    let g = &volume.geometry;
    let focus = g.index_to_patient(Vector3::new(4.2, 3.1, 2.2));
    let window = (100.0, 900.0);
    let fitted = |plane: Plane| {
        let mut v = SliceView::new(plane);
        v.zoom = SliceView::new(Plane::Axial).fit_zoom(g, [f64::from(SIZE); 2]);
        v
    };
    let mut oblique = sumi::volume::Oblique::default();
    let (axial, _) = render_view(&device, &queue, &mut res, &volume, &fitted(Plane::Axial), focus, window);
    let (flat, _) = render_view(&device, &queue, &mut res, &volume, &fitted(Plane::Oblique(oblique)), focus, window);
    assert!(axial.chunks(4).filter(|p| p[0] > 0).count() > 300, "the axial slice covers the view");
    assert!(max_difference(&axial, &flat) <= 1, "0°: {} grey levels apart", max_difference(&axial, &flat));
    // Tilted in steps (as a drag would), a quarter turn about the screen-right axis.
    for _ in 0..9 {
        oblique.tilt(std::f64::consts::FRAC_PI_2 / 9.0);
    }
    let (coronal, _) = render_view(&device, &queue, &mut res, &volume, &fitted(Plane::Coronal), focus, window);
    let (tilted, _) = render_view(&device, &queue, &mut res, &volume, &fitted(Plane::Oblique(oblique)), focus, window);
    assert!(coronal.chunks(4).filter(|p| p[0] > 0).count() > 300, "the coronal slice covers the view");
    let off = coronal.chunks(4).zip(tilted.chunks(4)).filter(|(a, b)| (i32::from(a[0]) - i32::from(b[0])).abs() > 2);
    let off = off.count();
    assert!(off <= (SIZE * SIZE / 100) as usize, "90°: {off} pixels differ from the coronal slice by more than 2");
}

#[test]
fn oblique_plane_is_resampled_trilinearly_like_the_cpu_reference() {
    let (device, queue) = device();
    let volume = test_volume();
    let mut res = resources_with(&device, &queue, &volume);
    let g = &volume.geometry;
    let mut oblique = sumi::volume::Oblique::default();
    oblique.tilt(0.5);
    oblique.spin(-0.35);
    oblique.roll(0.2);
    let mut view = SliceView::new(Plane::Oblique(oblique));
    view.zoom = view.fit_zoom(g, [f64::from(SIZE); 2]);
    let focus = g.index_to_patient(Vector3::new(4.0, 3.3, 2.1));
    let window = (200.0, 1000.0);
    let (pixels, m) = render_view(&device, &queue, &mut res, &volume, &view, focus, window);
    let (mut inside, mut far, mut worst) = (0, 0, 0);
    for y in 0..SIZE {
        for x in 0..SIZE {
            let uv = [(f64::from(x) + 0.5) / f64::from(SIZE), (f64::from(y) + 0.5) / f64::from(SIZE)];
            let t = m * Vector4::new(uv[0], uv[1], 0.0, 1.0);
            let Some(v) = sumi::volume::mpr::sample_trilinear(&volume, t.xyz()) else { continue };
            // Stay clear of the volume's faces (inside/outside may flip there in f32).
            if (0..3).any(|a| t[a] < 0.01 || t[a] > 0.99) {
                continue;
            }
            inside += 1;
            let expected = (((v - (window.0 - window.1 / 2.0)) / window.1).clamp(0.0, 1.0) * 255.0).round() as i32;
            let d = (i32::from(pixels[((y * SIZE + x) * 4) as usize]) - expected).abs();
            worst = worst.max(d);
            far += usize::from(d > 3);
        }
    }
    eprintln!("oblique trilinear: {inside} pixels inside, {far} differ by more than 3 (worst {worst})");
    assert!(inside > 300, "the plane must cut the volume ({inside} pixels)");
    assert!(far * 50 <= inside, "{far} of {inside} pixels differ from trilinear by more than 3/255 (worst {worst})");
}
