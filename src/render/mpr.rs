//! The slice/MPR pipeline and its egui paint callback. Each viewport has its own uniform buffer
//! and bind group; the volume texture is shared by all viewports.

use std::collections::HashMap;

use eframe::egui_wgpu::{self, CallbackResources, CallbackTrait};
use eframe::wgpu;
use nalgebra::Matrix4;

use super::gpu_volume::GpuVolume;
use super::layout;
use super::raycast::{RaycastParams, RaycastResources};

/// Uniforms, laid out as in shaders/mpr.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct MprParams {
    pub uv_to_tex: [[f32; 4]; 4],
    pub value_map: [f32; 4],
    pub window: [f32; 4],
    pub flags: [f32; 4],
}

/// Colour maps applied to grey volumes after window/level (shaders/mpr.wgsl `colour_map`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColourMap {
    #[default]
    Grey,
    HotIron,
    Rainbow,
}

impl MprParams {
    pub fn with_colour_map(mut self, map: ColourMap) -> MprParams {
        self.flags[2] = match map {
            ColourMap::Grey => 0.0,
            ColourMap::HotIron => 1.0,
            ColourMap::Rainbow => 2.0,
        };
        self
    }

    /// `window` = (centre, width) in modality units (0–255 for colour).
    pub fn new(
        uv_to_tex: &Matrix4<f64>,
        volume: &GpuVolume,
        window: (f64, f64),
        invert: bool,
        srgb_target: bool,
    ) -> MprParams {
        let m = uv_to_tex.cast::<f32>();
        let uv_to_tex = std::array::from_fn(|c| std::array::from_fn(|r| m[(r, c)]));
        let width = window.1.max(1e-6);
        MprParams {
            uv_to_tex,
            value_map: [volume.value_scale, volume.value_offset, 0.0, 0.0],
            window: [
                (window.0 - width / 2.0) as f32,
                width as f32,
                f32::from(u8::from(invert)),
                f32::from(u8::from(volume.color)),
            ],
            flags: [f32::from(u8::from(srgb_target)), f32::from(u8::from(!volume.filterable)), 0.0, 0.0],
        }
    }
}

struct ViewportGpu {
    uniform: wgpu::Buffer,
    bind_group: Option<(u64, wgpu::BindGroup)>,
}

/// Pipelines and per-viewport state, kept in egui-wgpu's callback resources.
pub struct MprResources {
    /// [filterable, non-filterable]
    layouts: [wgpu::BindGroupLayout; 2],
    pipelines: [wgpu::RenderPipeline; 2],
    samplers: [wgpu::Sampler; 2],
    volumes: HashMap<u64, GpuVolume>,
    viewports: HashMap<usize, ViewportGpu>,
    pub srgb_target: bool,
    target_format: wgpu::TextureFormat,
    /// The 3D view's ray caster, made on first use (it shares the volume textures).
    raycast: Option<RaycastResources>,
}

impl MprResources {
    pub fn new(device: &wgpu::Device, target_format: wgpu::TextureFormat) -> MprResources {
        let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("sumi mpr"),
            source: wgpu::ShaderSource::Wgsl(include_str!("../../shaders/mpr.wgsl").into()),
        });
        let layout = |filterable: bool| {
            device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("sumi mpr layout"),
                entries: &[
                    layout::uniform(0),
                    layout::texture_3d(1, wgpu::TextureSampleType::Float { filterable }),
                    layout::volume_sampler(2, filterable),
                ],
            })
        };
        let layouts = [layout(true), layout(false)];
        let pipeline = |bgl: &wgpu::BindGroupLayout| {
            let pl = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("sumi mpr pipeline layout"),
                bind_group_layouts: &[Some(bgl)],
                immediate_size: 0,
            });
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some("sumi mpr pipeline"),
                layout: Some(&pl),
                vertex: wgpu::VertexState {
                    module: &shader,
                    entry_point: Some("vs_main"),
                    compilation_options: Default::default(),
                    buffers: &[],
                },
                primitive: wgpu::PrimitiveState {
                    topology: wgpu::PrimitiveTopology::TriangleStrip,
                    ..Default::default()
                },
                depth_stencil: None,
                multisample: wgpu::MultisampleState::default(),
                fragment: Some(wgpu::FragmentState {
                    module: &shader,
                    entry_point: Some("fs_main"),
                    compilation_options: Default::default(),
                    targets: &[Some(wgpu::ColorTargetState {
                        format: target_format,
                        blend: None,
                        write_mask: wgpu::ColorWrites::ALL,
                    })],
                }),
                multiview_mask: None,
                cache: None,
            })
        };
        let pipelines = [pipeline(&layouts[0]), pipeline(&layouts[1])];
        let sampler = |filter: wgpu::FilterMode| {
            device.create_sampler(&wgpu::SamplerDescriptor {
                label: Some("sumi volume sampler"),
                address_mode_u: wgpu::AddressMode::ClampToEdge,
                address_mode_v: wgpu::AddressMode::ClampToEdge,
                address_mode_w: wgpu::AddressMode::ClampToEdge,
                mag_filter: filter,
                min_filter: filter,
                ..Default::default()
            })
        };
        MprResources {
            layouts,
            pipelines,
            samplers: [sampler(wgpu::FilterMode::Linear), sampler(wgpu::FilterMode::Nearest)],
            volumes: HashMap::new(),
            viewports: HashMap::new(),
            srgb_target: target_format.is_srgb(),
            target_format,
            raycast: None,
        }
    }

    /// Installs the resources into an egui-wgpu renderer (once, at start-up).
    pub fn install(render_state: &egui_wgpu::RenderState) {
        let res = MprResources::new(&render_state.device, render_state.target_format);
        render_state.renderer.write().callback_resources.insert(res);
    }

    /// Adds or replaces the volume `id`; viewports rebind on their next frame.
    pub fn set_volume(&mut self, id: u64, volume: GpuVolume) {
        self.volumes.insert(id, volume);
        for vp in self.viewports.values_mut() {
            vp.bind_group = None;
        }
        if let Some(rc) = &mut self.raycast {
            rc.forget_volume(id);
        }
    }

    pub fn remove_volume(&mut self, id: u64) {
        self.volumes.remove(&id);
        self.viewports.values_mut().for_each(|vp| vp.bind_group = None);
        if let Some(rc) = &mut self.raycast {
            rc.forget_volume(id);
        }
    }

    /// The ray caster, created on first use.
    pub fn raycast_mut(&mut self, device: &wgpu::Device, queue: &wgpu::Queue) -> &mut RaycastResources {
        let format = self.target_format;
        self.raycast.get_or_insert_with(|| RaycastResources::new(device, queue, format))
    }

    pub fn raycast(&self) -> Option<&RaycastResources> {
        self.raycast.as_ref()
    }

    /// Renders 3D viewport `viewport` of volume `volume_id` into its offscreen target.
    #[allow(clippy::too_many_arguments)]
    pub fn render_3d(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        viewport: usize,
        volume_id: u64,
        params: &RaycastParams,
        size: [u32; 2],
    ) {
        let format = self.target_format;
        let Some(volume) = self.volumes.get(&volume_id) else { return };
        let rc = self.raycast.get_or_insert_with(|| RaycastResources::new(device, queue, format));
        rc.render(device, queue, encoder, viewport, volume_id, volume, params, size);
    }

    pub fn volume(&self, id: u64) -> Option<&GpuVolume> {
        self.volumes.get(&id)
    }

    fn prepare_viewport(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        viewport: usize,
        volume_id: u64,
        params: &MprParams,
    ) {
        let Some(volume) = self.volumes.get(&volume_id) else { return };
        let vp = self.viewports.entry(viewport).or_insert_with(|| ViewportGpu {
            uniform: device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("sumi mpr uniforms"),
                size: std::mem::size_of::<MprParams>() as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
            bind_group: None,
        });
        queue.write_buffer(&vp.uniform, 0, bytemuck::bytes_of(params));
        if vp.bind_group.as_ref().map(|b| b.0) != Some(volume_id) {
            let which = usize::from(!volume.filterable);
            let bg = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("sumi mpr bind group"),
                layout: &self.layouts[which],
                entries: &[
                    wgpu::BindGroupEntry { binding: 0, resource: vp.uniform.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::TextureView(&volume.view) },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: wgpu::BindingResource::Sampler(&self.samplers[which]),
                    },
                ],
            });
            vp.bind_group = Some((volume_id, bg));
        }
    }

    /// Records the draw for one viewport into `pass` (the viewport/scissor are already set).
    pub fn draw(&self, pass: &mut wgpu::RenderPass<'_>, viewport: usize, volume_id: u64) {
        let (Some(volume), Some(vp)) = (self.volumes.get(&volume_id), self.viewports.get(&viewport)) else { return };
        let Some((_, bg)) = &vp.bind_group else { return };
        pass.set_pipeline(&self.pipelines[usize::from(!volume.filterable)]);
        pass.set_bind_group(0, bg, &[]);
        pass.draw(0..4, 0..1);
    }

    /// Headless use (tests, thumbnails): prepare without egui.
    pub fn prepare(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        viewport: usize,
        volume_id: u64,
        params: &MprParams,
    ) {
        self.prepare_viewport(device, queue, viewport, volume_id, params);
    }
}

/// The paint callback of one viewport.
pub struct MprCallback {
    pub viewport: usize,
    pub volume: u64,
    pub params: MprParams,
}

impl CallbackTrait for MprCallback {
    fn prepare(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        _screen: &egui_wgpu::ScreenDescriptor,
        _encoder: &mut wgpu::CommandEncoder,
        resources: &mut CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        if let Some(res) = resources.get_mut::<MprResources>() {
            res.prepare_viewport(device, queue, self.viewport, self.volume, &self.params);
        }
        Vec::new()
    }

    fn paint(
        &self,
        _info: egui::PaintCallbackInfo,
        pass: &mut wgpu::RenderPass<'static>,
        resources: &CallbackResources,
    ) {
        if let Some(res) = resources.get::<MprResources>() {
            res.draw(pass, self.viewport, self.volume);
        }
    }
}

use eframe::egui;
