//! The 3D view's ray caster: uniforms from the core's `RayFrame` and transfer function, the
//! per-volume brick (empty-space skipping) and label-mask textures, and the pass that renders one
//! viewport into its offscreen target (see `target.rs` for the target and the blit to the screen).

use std::collections::HashMap;

use eframe::wgpu;

use super::gpu_volume::GpuVolume;
use super::layout;
use super::target::Target;
use crate::volume::camera::RayFrame;
use crate::volume::raycast::{BRICK, BrickGrid, RenderMode};
use crate::volume::transfer::{LUT_SIZE, TransferFunction};

/// Uniforms, laid out as in shaders/raycast.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct RaycastParams {
    pub uv_to_tex: [[f32; 4]; 4],
    pub grad_to_patient: [[f32; 4]; 4],
    pub dir_tex: [f32; 4],
    pub view_dir: [f32; 4],
    pub clip_lo: [f32; 4],
    pub clip_hi: [f32; 4],
    pub value_map: [f32; 4],
    pub mode: [f32; 4],
    pub iso_rgb: [f32; 4],
    pub visible: [f32; 4],
    /// The slice plane: n·tex + w = signed mm (`camera::plane_in_tex`).
    pub plane: [f32; 4],
    /// x: plane opacity (0: no plane); y: window low; z: window width; w: invert (0/1).
    pub plane_style: [f32; 4],
    pub lut: [[f32; 4]; LUT_SIZE],
    /// Tint colour (linear-free display RGB) and strength per label value; alpha 0: not tinted.
    pub labels: LabelPalette,
}

/// Colour and opacity per label value (index 0 is never drawn).
pub type LabelPalette = [[f32; 4]; 256];

/// The palette when the caller has no label table: label 1 red (the defacing mask), the others
/// spread over the hue circle.
pub fn default_label_palette() -> LabelPalette {
    let mut p = [[0.0; 4]; 256];
    for (label, c) in p.iter_mut().enumerate().skip(1) {
        let rgb = if label == 1 {
            [1.0, 0.25, 0.2]
        } else {
            let h = (label as f32 * 0.618_034).fract() * 6.0;
            [(h - 3.0).abs() - 1.0, 2.0 - (h - 2.0).abs(), 2.0 - (h - 4.0).abs()].map(|x| x.clamp(0.0, 1.0))
        };
        *c = [rgb[0], rgb[1], rgb[2], 1.0];
    }
    p
}

/// How the 3D view draws, apart from the camera.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RaycastStyle {
    pub mode: RenderMode,
    /// (centre, width) for MIP/MinIP, modality units.
    pub window: (f64, f64),
    pub iso: f64,
    pub iso_rgb: [f64; 3],
    pub tf: TransferFunction,
    /// Opacity of the label-mask tint (0: off).
    pub mask_opacity: f64,
    /// Colour per label value of the mask.
    pub labels: LabelPalette,
    pub skip_empty: bool,
    /// The MPR plane drawn inside the volume (`None`: not drawn).
    pub plane: Option<SlicePlane>,
}

/// A slice plane drawn textured and depth-tested inside the ray cast: grey with the viewer's
/// window/level at its opacity. DVR and iso-surface: a surface met at its depth along each ray
/// (what lies behind an opaque plane is hidden, what lies in front hides it). MIP and MinIP: blended
/// over the projection, which has no depth to test against (the depth of the maximum jumps between
/// neighbouring rays with noise, so a depth test would fray the plane).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlicePlane {
    /// n·tex + w = signed distance in mm, from `volume::camera::plane_in_tex`.
    pub equation: [f64; 4],
    /// (centre, width) in modality units.
    pub window: (f64, f64),
    pub invert: bool,
    /// 0–1; at 1 the plane hides what lies behind it.
    pub opacity: f64,
}

/// Longest ray in samples (a guard; a 512³ volume at half-voxel steps needs under 1800).
const MAX_STEPS: f32 = 4096.0;

fn mat4(m: &nalgebra::Matrix4<f64>) -> [[f32; 4]; 4] {
    std::array::from_fn(|c| std::array::from_fn(|r| m[(r, c)] as f32))
}

impl RaycastParams {
    pub fn new(frame: &RayFrame, volume: &GpuVolume, style: &RaycastStyle) -> RaycastParams {
        let mut g = nalgebra::Matrix4::identity();
        g.fixed_view_mut::<3, 3>(0, 0).copy_from(&frame.grad_to_patient);
        let v = frame.view_dir;
        let (lo, hi) = (frame.clip.lo, frame.clip.hi);
        let (tf_lo, tf_hi) = style.tf.range();
        let (vis_lo, vis_hi) = style.tf.visible_range();
        let mut params = RaycastParams {
            uv_to_tex: mat4(&frame.uv_to_tex),
            grad_to_patient: mat4(&g),
            dir_tex: [frame.dir_tex.x as f32, frame.dir_tex.y as f32, frame.dir_tex.z as f32, frame.step_mm as f32],
            view_dir: [v.x as f32, v.y as f32, v.z as f32, MAX_STEPS],
            clip_lo: [lo[0] as f32, lo[1] as f32, lo[2] as f32, style.mask_opacity as f32],
            clip_hi: [hi[0] as f32, hi[1] as f32, hi[2] as f32, if style.skip_empty { BRICK as f32 } else { 0.0 }],
            value_map: [
                volume.value_scale,
                volume.value_offset,
                tf_lo as f32,
                ((LUT_SIZE - 1) as f64 / (tf_hi - tf_lo)) as f32,
            ],
            mode: [
                style.mode.code(),
                style.iso as f32,
                (style.window.0 - style.window.1 / 2.0) as f32,
                style.window.1.max(1e-6) as f32,
            ],
            iso_rgb: [
                style.iso_rgb[0] as f32,
                style.iso_rgb[1] as f32,
                style.iso_rgb[2] as f32,
                f32::from(u8::from(!volume.filterable)),
            ],
            visible: [vis_lo.clamp(-1e30, 1e30) as f32, vis_hi.clamp(-1e30, 1e30) as f32, 0.0, 0.0],
            plane: style.plane.map_or([0.0; 4], |pl| pl.equation.map(|x| x as f32)),
            plane_style: style.plane.filter(|pl| pl.opacity > 0.0).map_or([0.0; 4], |pl| {
                let width = pl.window.1.max(1e-6);
                [
                    pl.opacity.min(1.0) as f32,
                    (pl.window.0 - width / 2.0) as f32,
                    width as f32,
                    f32::from(u8::from(pl.invert)),
                ]
            }),
            lut: [[0.0; 4]; LUT_SIZE],
            labels: style.labels,
        };
        style.tf.lut(frame.step_mm, &mut params.lut);
        params
    }
}

/// Brick and mask textures of one volume.
struct Extras {
    bricks: wgpu::TextureView,
    mask: wgpu::TextureView,
    /// The mask's texture and its size, for sub-region updates (`None`: no mask).
    mask_texture: Option<(wgpu::Texture, [usize; 3])>,
    generation: u64,
}

struct ViewportGpu {
    uniform: wgpu::Buffer,
    /// (volume id, extras generation) the bind group was made for.
    bind_group: Option<((u64, u64), wgpu::BindGroup)>,
    target: Option<Target>,
}

pub struct RaycastResources {
    /// [filterable, non-filterable]
    layouts: [wgpu::BindGroupLayout; 2],
    pipelines: [wgpu::RenderPipeline; 2],
    samplers: [wgpu::Sampler; 2],
    blit: super::target::Blit,
    no_bricks: wgpu::TextureView,
    no_mask: wgpu::TextureView,
    extras: HashMap<u64, Extras>,
    viewports: HashMap<usize, ViewportGpu>,
    generation: u64,
}

/// A 3D texture with `data` (tightly packed rows of `texel` bytes).
fn texture_3d(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    dims: [usize; 3],
    format: wgpu::TextureFormat,
    data: &[u8],
) -> (wgpu::Texture, wgpu::TextureView) {
    let size = wgpu::Extent3d { width: dims[0] as u32, height: dims[1] as u32, depth_or_array_layers: dims[2] as u32 };
    let texture = device.create_texture(&wgpu::TextureDescriptor {
        label: Some("sumi 3d aux"),
        size,
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D3,
        format,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        view_formats: &[],
    });
    let texel = format.block_copy_size(None).unwrap_or(4);
    queue.write_texture(
        texture.as_image_copy(),
        data,
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(size.width * texel),
            rows_per_image: Some(size.height),
        },
        size,
    );
    let view = texture.create_view(&Default::default());
    (texture, view)
}

impl RaycastResources {
    pub fn new(device: &wgpu::Device, queue: &wgpu::Queue, target_format: wgpu::TextureFormat) -> RaycastResources {
        let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("sumi raycast"),
            source: wgpu::ShaderSource::Wgsl(include_str!("../../shaders/raycast.wgsl").into()),
        });
        let layout = |filterable: bool| {
            device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("sumi raycast layout"),
                entries: &[
                    layout::uniform(0),
                    layout::texture_3d(1, wgpu::TextureSampleType::Float { filterable }),
                    layout::volume_sampler(2, filterable),
                    layout::texture_3d(3, wgpu::TextureSampleType::Float { filterable: false }),
                    layout::texture_3d(4, wgpu::TextureSampleType::Uint),
                ],
            })
        };
        let layouts = [layout(true), layout(false)];
        let pipelines = [0, 1].map(|i| {
            super::target::fullscreen_pipeline(device, &shader, &layouts[i], "fs_main", Target::FORMAT, "sumi raycast")
        });
        let sampler = |filter: wgpu::FilterMode| {
            device.create_sampler(&wgpu::SamplerDescriptor {
                label: Some("sumi raycast sampler"),
                address_mode_u: wgpu::AddressMode::ClampToEdge,
                address_mode_v: wgpu::AddressMode::ClampToEdge,
                address_mode_w: wgpu::AddressMode::ClampToEdge,
                mag_filter: filter,
                min_filter: filter,
                ..Default::default()
            })
        };
        let never_skip: [f32; 2] = [-1e30, 1e30];
        RaycastResources {
            layouts,
            pipelines,
            samplers: [sampler(wgpu::FilterMode::Linear), sampler(wgpu::FilterMode::Nearest)],
            blit: super::target::Blit::new(device, target_format),
            no_bricks: texture_3d(
                device,
                queue,
                [1, 1, 1],
                wgpu::TextureFormat::Rg32Float,
                bytemuck::cast_slice(&never_skip),
            )
            .1,
            no_mask: texture_3d(device, queue, [1, 1, 1], wgpu::TextureFormat::R8Uint, &[0]).1,
            extras: HashMap::new(),
            viewports: HashMap::new(),
            generation: 1,
        }
    }

    fn extras_mut(&mut self, volume_id: u64) -> &mut Extras {
        self.generation += 1;
        let generation = self.generation;
        let e = self.extras.entry(volume_id).or_insert_with(|| Extras {
            bricks: self.no_bricks.clone(),
            mask: self.no_mask.clone(),
            mask_texture: None,
            generation,
        });
        e.generation = generation;
        e
    }

    /// Uploads the empty-space-skipping grid of volume `volume_id` (after it has fully loaded).
    pub fn set_bricks(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, volume_id: u64, grid: &BrickGrid) {
        let (_, view) =
            texture_3d(device, queue, grid.dims, wgpu::TextureFormat::Rg32Float, bytemuck::cast_slice(&grid.min_max));
        self.extras_mut(volume_id).bricks = view;
    }

    /// Sets the label mask tinted over the surface (one u8 label per voxel of the volume's grid);
    /// `None` removes it.
    pub fn set_mask(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        volume_id: u64,
        mask: Option<([usize; 3], &[u8])>,
    ) {
        let (texture, view) = match mask {
            Some((dims, labels)) => {
                let (t, v) = texture_3d(device, queue, dims, wgpu::TextureFormat::R8Uint, labels);
                (Some((t, dims)), v)
            }
            None => (None, self.no_mask.clone()),
        };
        let e = self.extras_mut(volume_id);
        e.mask = view;
        e.mask_texture = texture;
    }

    /// Does volume `volume_id` have a mask?
    pub fn has_mask(&self, volume_id: u64) -> bool {
        self.extras.get(&volume_id).is_some_and(|e| e.mask_texture.is_some())
    }

    /// Rewrites k-slices `z0..` of the mask in place (`labels`: whole slices, tightly packed),
    /// without rebinding. False when the volume has no mask of that size (call `set_mask`).
    pub fn update_mask_slices(&self, queue: &wgpu::Queue, volume_id: u64, z0: usize, labels: &[u8]) -> bool {
        let Some((texture, dims)) = self.extras.get(&volume_id).and_then(|e| e.mask_texture.as_ref()) else {
            return false;
        };
        let per_slice = dims[0] * dims[1];
        let nz = labels.len() / per_slice.max(1);
        if nz == 0 || labels.len() != nz * per_slice || z0 + nz > dims[2] {
            return false;
        }
        queue.write_texture(
            wgpu::TexelCopyTextureInfo {
                texture,
                mip_level: 0,
                origin: wgpu::Origin3d { x: 0, y: 0, z: z0 as u32 },
                aspect: wgpu::TextureAspect::All,
            },
            labels,
            wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(dims[0] as u32),
                rows_per_image: Some(dims[1] as u32),
            },
            wgpu::Extent3d { width: dims[0] as u32, height: dims[1] as u32, depth_or_array_layers: nz as u32 },
        );
        true
    }

    /// The volume `volume_id` was replaced or removed: rebind, and forget its extras.
    pub fn forget_volume(&mut self, volume_id: u64) {
        self.extras.remove(&volume_id);
        self.viewports.values_mut().for_each(|vp| vp.bind_group = None);
    }

    /// Writes the uniforms and records the ray-casting pass of `viewport` into `encoder`, rendering
    /// at `size` pixels (smaller than the viewport while the user drags).
    #[allow(clippy::too_many_arguments)]
    pub fn render(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        viewport: usize,
        volume_id: u64,
        volume: &GpuVolume,
        params: &RaycastParams,
        size: [u32; 2],
    ) {
        let which = usize::from(!volume.filterable);
        let vp = self.viewports.entry(viewport).or_insert_with(|| ViewportGpu {
            uniform: device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("sumi raycast uniforms"),
                size: std::mem::size_of::<RaycastParams>() as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
            bind_group: None,
            target: None,
        });
        queue.write_buffer(&vp.uniform, 0, bytemuck::bytes_of(params));
        let extras = self.extras.get(&volume_id);
        let key = (volume_id, extras.map_or(0, |e| e.generation));
        if vp.bind_group.as_ref().map(|b| b.0) != Some(key) {
            let bg = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("sumi raycast bind group"),
                layout: &self.layouts[which],
                entries: &[
                    wgpu::BindGroupEntry { binding: 0, resource: vp.uniform.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::TextureView(&volume.view) },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: wgpu::BindingResource::Sampler(&self.samplers[which]),
                    },
                    wgpu::BindGroupEntry {
                        binding: 3,
                        resource: wgpu::BindingResource::TextureView(extras.map_or(&self.no_bricks, |e| &e.bricks)),
                    },
                    wgpu::BindGroupEntry {
                        binding: 4,
                        resource: wgpu::BindingResource::TextureView(extras.map_or(&self.no_mask, |e| &e.mask)),
                    },
                ],
            });
            vp.bind_group = Some((key, bg));
        }
        let size = [size[0].max(1), size[1].max(1)];
        if vp.target.as_ref().is_none_or(|t| t.size != size) {
            vp.target = Some(Target::new(device, size, &self.blit));
        }
        let (Some(target), Some((_, bg))) = (&vp.target, &vp.bind_group) else { return };
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("sumi raycast pass"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: &target.view,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations { load: wgpu::LoadOp::Clear(wgpu::Color::BLACK), store: wgpu::StoreOp::Store },
            })],
            depth_stencil_attachment: None,
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
        pass.set_pipeline(&self.pipelines[which]);
        pass.set_bind_group(0, bg, &[]);
        pass.draw(0..4, 0..1);
    }

    /// Draws `viewport`'s last image into `pass` (the viewport rectangle is already set).
    pub fn draw(&self, pass: &mut wgpu::RenderPass<'_>, viewport: usize) {
        if let Some(target) = self.viewports.get(&viewport).and_then(|vp| vp.target.as_ref()) {
            self.blit.draw(pass, target);
        }
    }

    /// The offscreen target of `viewport` (tests and benchmarks read it back).
    pub fn target(&self, viewport: usize) -> Option<&Target> {
        self.viewports.get(&viewport)?.target.as_ref()
    }
}
