//! The ray-casting shader against the CPU reference (volume::raycast): a small oblique volume
//! rendered headless on whatever adapter wgpu finds (lavapipe in CI), with empty-space skipping on.
//! Tolerances: GPUs may filter with reduced-precision weights and march in f32, so grey levels may
//! differ by a few steps and pixels on a silhouette may flip between hit and miss (3/255 for MIP,
//! 6/255 for shading, 3 % of pixels beyond that). Lavapipe (Mesa 22.3) matches exactly.
#![cfg(feature = "gui")]

use nalgebra::{Matrix3, Point3, Vector3};
use sumi::render::gpu_volume::GpuVolume;
use sumi::render::mpr::MprResources;
use sumi::render::raycast::{RaycastParams, RaycastStyle, SlicePlane, default_label_palette};
use sumi::render::wgpu;
use sumi::volume::camera::{ClipBox, OrbitCamera, RayFrame, StandardView, plane_in_tex};
use sumi::volume::raycast::{BrickGrid, CpuRender, RenderMode, render_cpu};
use sumi::volume::transfer::TfPreset;
use sumi::volume::{DisplayHints, Geometry, SeriesKind, Volume, VoxelType, Voxels};

const SIZE: u32 = 48;

fn device() -> (wgpu::Device, wgpu::Queue) {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default()))
        .expect("a wgpu adapter (lavapipe: install mesa-vulkan-drivers)");
    pollster::block_on(adapter.request_device(&sumi::render::device_descriptor(&adapter))).expect("device")
}

/// A 28×24×18 sheared, anisotropic grid: a soft ball (up to 1000) with a small bright blob
/// (1800) off-centre, in air (−1000), so that bricks far from both are empty.
fn test_volume() -> Volume {
    let dims = [28, 24, 18];
    let rot = nalgebra::Rotation3::from_axis_angle(&Vector3::z_axis(), 0.3);
    let axes = rot.matrix() * Matrix3::from_diagonal(&Vector3::new(1.0, 1.2, 1.5));
    let geometry = Geometry { dims, origin: Point3::new(-10.0, 5.0, 20.0), axes };
    let c = geometry.center();
    let blob = c + Vector3::new(4.0, -3.0, 5.0);
    let mut data = Vec::new();
    for k in 0..dims[2] {
        for j in 0..dims[1] {
            for i in 0..dims[0] {
                let p = geometry.index_to_patient(Vector3::new(i as f64, j as f64, k as f64));
                let ball = 1000.0 * (1.0 - (p - c).norm() / 11.0) * 3.0;
                let bright = 1800.0 * (1.0 - (p - blob).norm() / 3.5) * 2.0;
                let v = ball.clamp(-1000.0, 1000.0).max(bright.min(1800.0));
                data.push(v.round() as i16);
            }
        }
    }
    Volume {
        geometry,
        voxels: Voxels::I16(data),
        kind: SeriesKind::Volume,
        display: DisplayHints { modality: "CT".into(), window: None, invert: false },
        value_range: (-1000.0, 1800.0),
        problems: vec![],
    }
}

struct Scene {
    device: wgpu::Device,
    queue: wgpu::Queue,
    res: MprResources,
    volume: Volume,
}

fn scene() -> Scene {
    scene_with(test_volume())
}

fn scene_with(volume: Volume) -> Scene {
    let (device, queue) = device();
    let mut res = MprResources::new(&device, wgpu::TextureFormat::Rgba8Unorm);
    let gv = GpuVolume::new(&device, volume.geometry.dims, VoxelType::I16).unwrap();
    for k in 0..volume.geometry.dims[2] {
        gv.upload_slice(&queue, k, volume.voxels.slice(k, volume.per_slice()));
    }
    res.set_volume(1, gv);
    res.raycast_mut(&device, &queue).set_bricks(&device, &queue, 1, &BrickGrid::build(&volume));
    Scene { device, queue, res, volume }
}

fn camera(g: &Geometry) -> OrbitCamera {
    let mut cam = OrbitCamera::fit(g);
    cam.set_view(StandardView::Anterior);
    cam.rotate(25.0, -15.0, 0.01);
    cam.zoom_by(1.4);
    cam
}

fn style(mode: RenderMode) -> RaycastStyle {
    RaycastStyle {
        mode,
        window: (400.0, 2800.0),
        iso: 300.0,
        iso_rgb: [0.9, 0.8, 0.7],
        tf: TfPreset::CtBone.points((0.0, 0.0)),
        mask_opacity: 0.0,
        labels: default_label_palette(),
        skip_empty: true,
        plane: None,
    }
}

/// MinIP through air is black: look only inside the ball (a clip box, tested on the way).
fn clip_for(mode: RenderMode) -> ClipBox {
    match mode {
        RenderMode::MinIp => ClipBox { lo: [0.35; 3], hi: [0.65; 3] },
        _ => ClipBox::default(),
    }
}

fn gpu(s: &mut Scene, frame: &RayFrame, style: &RaycastStyle) -> Vec<u8> {
    let params = RaycastParams::new(frame, s.res.volume(1).unwrap(), style);
    let mut encoder = s.device.create_command_encoder(&Default::default());
    s.res.render_3d(&s.device, &s.queue, &mut encoder, 0, 1, &params, [SIZE, SIZE]);
    s.queue.submit([encoder.finish()]);
    s.res.raycast().unwrap().target(0).unwrap().read(&s.device, &s.queue)
}

/// Per-pixel largest channel difference (0–255) between the GPU image and the CPU reference.
fn differences(gpu: &[u8], cpu: &[[f64; 3]]) -> Vec<i32> {
    cpu.iter()
        .enumerate()
        .map(|(i, c)| {
            (0..3).map(|ch| (i32::from(gpu[i * 4 + ch]) - (c[ch] * 255.0).round() as i32).abs()).max().unwrap()
        })
        .collect()
}

fn check(name: &str, diffs: &[i32], close: i32, far_fraction: f64) {
    let far = diffs.iter().filter(|&&d| d > close).count();
    let worst = diffs.iter().max().unwrap();
    eprintln!("{name}: {far}/{} pixels differ by more than {close}/255 (worst {worst})", diffs.len());
    assert!(
        (far as f64) <= far_fraction * diffs.len() as f64,
        "{name}: {far} of {} pixels differ by more than {close}/255 (worst {worst})",
        diffs.len()
    );
}

#[test]
fn mip_and_minip_shaders_match_the_cpu_reference() {
    let mut s = scene();
    let cam = camera(&s.volume.geometry);
    for mode in [RenderMode::Mip, RenderMode::MinIp] {
        let frame = RayFrame::new(&cam, &s.volume.geometry, [f64::from(SIZE); 2], clip_for(mode), 0.5).unwrap();
        let st = style(mode);
        let lo = st.window.0 - st.window.1 / 2.0;
        let cpu = render_cpu(
            &s.volume,
            &frame,
            [SIZE as usize; 2],
            &CpuRender { mode, window: (lo, st.window.1), iso: st.iso, iso_rgb: st.iso_rgb },
        );
        let img = gpu(&mut s, &frame, &st);
        let lit = cpu.iter().filter(|c| c[0] > 0.0).count();
        assert!(lit > 150, "{mode:?}: the volume must cover the view ({lit} pixels)");
        // Grey within 3/255 everywhere but silhouette pixels (≤ 3 %).
        check(&format!("{mode:?}"), &differences(&img, &cpu), 3, 0.03);
    }
}

#[test]
fn iso_surface_shader_matches_the_cpu_reference_with_a_clip_box() {
    let mut s = scene();
    let cam = camera(&s.volume.geometry);
    for clip in [ClipBox::default(), ClipBox { lo: [0.0, 0.0, 0.0], hi: [1.0, 1.0, 0.55] }] {
        let frame = RayFrame::new(&cam, &s.volume.geometry, [f64::from(SIZE); 2], clip, 0.5).unwrap();
        let st = style(RenderMode::Iso);
        let cpu = render_cpu(
            &s.volume,
            &frame,
            [SIZE as usize; 2],
            &CpuRender { mode: RenderMode::Iso, window: (0.0, 1.0), iso: st.iso, iso_rgb: st.iso_rgb },
        );
        let img = gpu(&mut s, &frame, &st);
        let hits = cpu.iter().filter(|c| c[0] > 0.0).count();
        assert!(hits > 200, "the surface must cover the view ({hits} pixels)");
        // Shading within 6/255 except silhouette pixels and grazing normals (≤ 3 %).
        check(&format!("iso {clip:?}"), &differences(&img, &cpu), 6, 0.03);
    }
}

#[test]
fn empty_space_skipping_does_not_change_the_image() {
    let mut s = scene();
    let cam = camera(&s.volume.geometry);
    for mode in RenderMode::ALL {
        let frame = RayFrame::new(&cam, &s.volume.geometry, [f64::from(SIZE); 2], clip_for(mode), 0.5).unwrap();
        let on = gpu(&mut s, &frame, &style(mode));
        let off = gpu(&mut s, &frame, &RaycastStyle { skip_empty: false, ..style(mode) });
        let diff = on.iter().zip(&off).filter(|(a, b)| a != b).count();
        assert_eq!(diff, 0, "{mode:?}: {diff} bytes differ with skipping on");
        assert!(on.chunks(4).any(|p| p[0] > 20), "{mode:?}: the image is not empty");
    }
}

#[test]
fn label_mask_tints_the_surface_where_it_is_set() {
    let mut s = scene();
    let cam = OrbitCamera::fit(&s.volume.geometry);
    let frame = RayFrame::new(&cam, &s.volume.geometry, [f64::from(SIZE); 2], ClipBox::default(), 0.5).unwrap();
    let [nx, ny, nz] = s.volume.geometry.dims;
    // Label 1 (the defacing mask colour, red) on the voxels with i < nx / 2.
    let mask: Vec<u8> = (0..nx * ny * nz).map(|n| u8::from(n % nx < nx / 2)).collect();
    let (device, queue) = (s.device.clone(), s.queue.clone());
    s.res.raycast_mut(&device, &queue).set_mask(&device, &queue, 1, Some(([nx, ny, nz], &mask)));
    let img = gpu(&mut s, &frame, &RaycastStyle { mask_opacity: 0.6, ..style(RenderMode::Iso) });
    let px = |x: u32, y: u32| &img[((y * SIZE + x) * 4) as usize..][..3];
    let row = SIZE / 2;
    // The grid's i axis runs to screen right (patient left) in the anterior view, rotated 0.3 rad.
    let (left, right) = (px(SIZE / 2 - 6, row), px(SIZE / 2 + 6, row));
    assert!(left[0] > left[1] + 40, "masked half is red: {left:?}");
    assert!(right[0] < right[1] + 40, "unmasked half keeps the surface colour: {right:?}");
}

#[test]
fn a_labelled_voxel_block_is_tinted_at_its_projected_place_and_clears_with_a_slice_update() {
    let mut s = scene();
    let g = s.volume.geometry.clone();
    let mut cam = OrbitCamera::fit(&g);
    cam.set_view(StandardView::Anterior);
    let frame = RayFrame::new(&cam, &g, [f64::from(SIZE); 2], ClipBox::default(), 0.5).unwrap();
    // Label 7 on the voxels of a 6 mm wide block at the front of the ball (where the iso-surface
    // at 300 lies, ~9.9 mm from the centre).
    let c = g.center();
    let [nx, ny, nz] = g.dims;
    let mut mask = vec![0u8; nx * ny * nz];
    for k in 0..nz {
        for j in 0..ny {
            for i in 0..nx {
                let d = g.index_to_patient(Vector3::new(i as f64, j as f64, k as f64)) - c;
                if d.x.abs() < 3.0 && d.z.abs() < 3.0 && d.y < -4.0 {
                    mask[(k * ny + j) * nx + i] = 7;
                }
            }
        }
    }
    let mut labels = [[0.0f32; 4]; 256];
    labels[7] = [0.1, 1.0, 0.2, 1.0];
    let (device, queue) = (s.device.clone(), s.queue.clone());
    s.res.raycast_mut(&device, &queue).set_mask(&device, &queue, 1, Some(([nx, ny, nz], &mask)));
    let st = RaycastStyle { mask_opacity: 0.8, labels, ..style(RenderMode::Iso) };
    let img = gpu(&mut s, &frame, &st);
    let px = |p: nalgebra::Point3<f64>| {
        let uv = cam.screen_uv(&g, [f64::from(SIZE); 2], p);
        let (x, y) = ((uv[0] * f64::from(SIZE)) as u32, (uv[1] * f64::from(SIZE)) as u32);
        img[((y * SIZE + x) * 4) as usize..][..3].to_vec()
    };
    let green = |p: &[u8]| i32::from(p[1]) > i32::from(p[0]) + 40;
    let on_block = px(c + Vector3::new(0.0, -9.9, 0.0));
    let beside = px(c + Vector3::new(7.0, -7.0, 0.0));
    assert!(green(&on_block) && i32::from(on_block[1]) > i32::from(on_block[2]) + 40, "block is green: {on_block:?}");
    assert!(
        i32::from(beside[1]) < i32::from(beside[0]) + 20,
        "beside the block the surface keeps its colour: {beside:?}"
    );
    let greens = img.chunks(4).filter(|p| green(p)).count();
    assert!(greens > 4 && greens < (SIZE * SIZE / 4) as usize, "{greens} green pixels");

    // Clearing the block's slices in place (no new texture) removes the tint.
    let per = nx * ny;
    let zs: Vec<usize> = (0..nz).filter(|&k| mask[k * per..(k + 1) * per].iter().any(|&v| v != 0)).collect();
    let (z0, z1) = (zs[0], *zs.last().unwrap());
    let rc = s.res.raycast().unwrap();
    assert!(rc.update_mask_slices(&queue, 1, z0, &vec![0u8; (z1 + 1 - z0) * per]));
    let cleared = gpu(&mut s, &frame, &st);
    assert_eq!(cleared.chunks(4).filter(|p| green(p)).count(), 0, "no tint after the update");
    assert!(cleared.chunks(4).any(|p| p[0] > 20), "the surface is still drawn");
}

// --- The oblique slice plane drawn inside the ray cast ---------------------------------------

const PLANE_SIZE: u32 = 64;

/// A 32×40×17 axis-aligned 1 mm grid whose axial slices hold distinct values (−800 + 40·k, below
/// the bone transfer function and the iso threshold, so transparent), with two bone blocks
/// (1500) through all slices: one at the front (j < 6, i 4–11), one at the back (j ≥ 34, i 20–27).
fn sliced_volume() -> Volume {
    let dims = [32, 40, 17];
    let geometry = Geometry { dims, origin: Point3::origin(), axes: Matrix3::identity() };
    let mut data = Vec::new();
    for k in 0..dims[2] {
        for j in 0..dims[1] {
            for i in 0..dims[0] {
                let front = j < 6 && (4..12).contains(&i);
                let back = j >= 34 && (20..28).contains(&i);
                data.push(if front || back { 1500 } else { -800 + 40 * k as i16 });
            }
        }
    }
    Volume {
        geometry,
        voxels: Voxels::I16(data),
        kind: SeriesKind::Volume,
        display: DisplayHints { modality: "CT".into(), window: None, invert: false },
        value_range: (-800.0, 1500.0),
        problems: vec![],
    }
}

/// Plane window (centre −500, width 800): slice k shows grey (100 + 40·k) / 800.
const PLANE_WINDOW: (f64, f64) = (-500.0, 800.0);

fn slice_grey(k: usize) -> f64 {
    ((-800.0 + 40.0 * k as f64 + 900.0) / 800.0 * 255.0).round()
}

/// From the front, tilted 0.3 rad so that we look slightly down on axial planes.
fn front_camera(g: &Geometry) -> OrbitCamera {
    let mut cam = OrbitCamera::fit(g);
    cam.set_view(StandardView::Anterior);
    cam.rotate(0.0, 30.0, 0.01);
    cam.zoom_by(1.2);
    cam
}

fn axial_plane(g: &Geometry, k: usize) -> SlicePlane {
    let point = g.index_to_patient(Vector3::new(0.0, 0.0, k as f64));
    let equation = plane_in_tex(g, point, Vector3::z()).unwrap();
    SlicePlane { equation, window: PLANE_WINDOW, invert: false, opacity: 1.0 }
}

fn render_plane(s: &mut Scene, cam: &OrbitCamera, st: &RaycastStyle) -> Vec<u8> {
    let frame = RayFrame::new(cam, &s.volume.geometry, [f64::from(PLANE_SIZE); 2], ClipBox::default(), 0.5).unwrap();
    let params = RaycastParams::new(&frame, s.res.volume(1).unwrap(), st);
    let mut encoder = s.device.create_command_encoder(&Default::default());
    s.res.render_3d(&s.device, &s.queue, &mut encoder, 0, 1, &params, [PLANE_SIZE, PLANE_SIZE]);
    s.queue.submit([encoder.finish()]);
    s.res.raycast().unwrap().target(0).unwrap().read(&s.device, &s.queue)
}

/// The pixel (RGB) where patient point `p` projects.
fn pixel_at(img: &[u8], cam: &OrbitCamera, g: &Geometry, p: Point3<f64>) -> [i32; 3] {
    let uv = cam.screen_uv(g, [f64::from(PLANE_SIZE); 2], p);
    let (x, y) = ((uv[0] * f64::from(PLANE_SIZE)) as u32, (uv[1] * f64::from(PLANE_SIZE)) as u32);
    let i = ((y * PLANE_SIZE + x) * 4) as usize;
    [0, 1, 2].map(|c| i32::from(img[i + c]))
}

fn is_grey(px: [i32; 3], grey: f64) -> bool {
    px.iter().all(|&c| (f64::from(c) - grey).abs() <= 3.0)
}

#[test]
fn an_axial_plane_shows_its_slice_values_in_a_band_at_its_projected_height() {
    let mut s = scene_with(sliced_volume());
    let g = s.volume.geometry.clone();
    let cam = front_camera(&g);
    for mode in [RenderMode::Dvr, RenderMode::Mip] {
        for k in [8, 4] {
            let st = RaycastStyle { plane: Some(axial_plane(&g, k)), ..style(mode) };
            let img = render_plane(&mut s, &cam, &st);
            let z = k as f64;
            // Along the plane's middle (x between the blocks, y from 8 to 32 mm) every pixel shows
            // slice k's value; one voxel above or below the plane's projection it does not.
            let mut band = 0;
            for y in (8..=32).step_by(4) {
                for x in [14.0, 16.0, 18.0] {
                    let on = pixel_at(&img, &cam, &g, Point3::new(x, f64::from(y), z));
                    assert!(is_grey(on, slice_grey(k)), "{mode:?} k={k}: ({x}, {y}) shows {on:?}, not the slice");
                    band += 1;
                }
            }
            assert_eq!(band, 21);
            // Above the far edge and below the near edge the plane is not drawn.
            let above = pixel_at(&img, &cam, &g, Point3::new(16.0, 39.5, z + 4.0));
            let below = pixel_at(&img, &cam, &g, Point3::new(16.0, 0.0, z - 4.0));
            for (name, px) in [("above", above), ("below", below)] {
                assert!(!is_grey(px, slice_grey(k)), "{mode:?} k={k}: {name} the band shows the slice {px:?}");
            }
        }
    }
    // Neighbouring slices are told apart (the test volume's values are distinct).
    assert!(slice_grey(5) - slice_grey(4) > 10.0);
}

#[test]
fn voxels_in_front_of_an_opaque_plane_hide_it_and_the_plane_hides_what_lies_behind() {
    let mut s = scene_with(sliced_volume());
    let g = s.volume.geometry.clone();
    let cam = front_camera(&g);
    let k = 8;
    for mode in [RenderMode::Dvr, RenderMode::Iso] {
        let off = render_plane(&mut s, &cam, &style(mode));
        let on = render_plane(&mut s, &cam, &RaycastStyle { plane: Some(axial_plane(&g, k)), ..style(mode) });
        // Behind the front block (x 4–11): the rays meet the block before the plane.
        let front = Point3::new(8.0, 20.0, k as f64);
        let (a, b) = (pixel_at(&off, &cam, &g, front), pixel_at(&on, &cam, &g, front));
        assert!(a[0] > 60, "{mode:?}: the front block is drawn there {a:?}");
        assert!((0..3).all(|c| (a[c] - b[c]).abs() <= 2), "{mode:?}: the block stays in front {a:?} → {b:?}");
        // In front of the back block (x 20–27): the plane hides the block behind it.
        let back = Point3::new(24.0, 20.0, k as f64);
        let (a, b) = (pixel_at(&off, &cam, &g, back), pixel_at(&on, &cam, &g, back));
        assert!(a[0] > 60, "{mode:?}: the back block is seen through the slices {a:?}");
        assert!(is_grey(b, slice_grey(k)), "{mode:?}: the plane hides the back block {b:?}");
    }
    // Half opacity: the back block shows through the plane.
    let half = SlicePlane { opacity: 0.5, ..axial_plane(&g, k) };
    let img = render_plane(&mut s, &cam, &RaycastStyle { plane: Some(half), ..style(RenderMode::Iso) });
    let b = pixel_at(&img, &cam, &g, Point3::new(24.0, 20.0, k as f64));
    assert!(!is_grey(b, slice_grey(k)) && b[0] > 60, "a translucent plane lets the block through {b:?}");
}

#[test]
fn the_plane_off_or_at_zero_opacity_leaves_the_image_unchanged() {
    let mut s = scene_with(sliced_volume());
    let g = s.volume.geometry.clone();
    let cam = front_camera(&g);
    for mode in RenderMode::ALL {
        let off = render_plane(&mut s, &cam, &style(mode));
        let zero = SlicePlane { opacity: 0.0, ..axial_plane(&g, 8) };
        let faded = render_plane(&mut s, &cam, &RaycastStyle { plane: Some(zero), ..style(mode) });
        assert!(off == faded, "{mode:?}: opacity 0 changes the image");
    }
}
