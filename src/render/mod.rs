//! GPU rendering with wgpu (through eframe's re-export, so versions cannot drift). The math lives
//! in the core (`volume::mpr`); this module only uploads and draws.

pub mod bench3d;
pub mod gpu_volume;
pub mod mpr;
pub mod raycast;
pub mod target;
pub mod view3d;

pub use eframe::egui_wgpu;
pub use eframe::wgpu;

/// Device request for sumi: the adapter's own limits (3D textures up to 4096 on lavapipe instead
/// of the default 2048) and the optional features the volume textures use when present.
pub fn device_descriptor(adapter: &wgpu::Adapter) -> wgpu::DeviceDescriptor<'static> {
    let wanted = wgpu::Features::FLOAT32_FILTERABLE | wgpu::Features::TEXTURE_FORMAT_16BIT_NORM;
    let mut limits = adapter.limits();
    // Keep egui's own minimum for large windows.
    limits.max_texture_dimension_2d =
        limits.max_texture_dimension_2d.max(8192).min(adapter.limits().max_texture_dimension_2d);
    wgpu::DeviceDescriptor {
        label: Some("sumi device"),
        required_features: adapter.features() & wanted,
        required_limits: limits,
        ..Default::default()
    }
}

/// The wgpu setup used by the app and the UI tests.
pub fn wgpu_setup() -> egui_wgpu::WgpuSetup {
    let mut setup = egui_wgpu::WgpuSetupCreateNew::without_display_handle();
    setup.device_descriptor = std::sync::Arc::new(device_descriptor);
    egui_wgpu::WgpuSetup::CreateNew(setup)
}

/// Bind-group layout entries shared by the slice (MPR) and 3D pipelines, which bind the same
/// volume the same way: a uniform block, 3D textures, and the volume's sampler.
pub(crate) mod layout {
    use super::wgpu;

    pub fn uniform(binding: u32) -> wgpu::BindGroupLayoutEntry {
        wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::FRAGMENT,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        }
    }

    pub fn texture_3d(binding: u32, sample_type: wgpu::TextureSampleType) -> wgpu::BindGroupLayoutEntry {
        wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::FRAGMENT,
            ty: wgpu::BindingType::Texture {
                sample_type,
                view_dimension: wgpu::TextureViewDimension::D3,
                multisampled: false,
            },
            count: None,
        }
    }

    /// Filtering where the volume's texture format can be filtered, else nearest.
    pub fn volume_sampler(binding: u32, filterable: bool) -> wgpu::BindGroupLayoutEntry {
        wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::FRAGMENT,
            ty: wgpu::BindingType::Sampler(if filterable {
                wgpu::SamplerBindingType::Filtering
            } else {
                wgpu::SamplerBindingType::NonFiltering
            }),
            count: None,
        }
    }
}
