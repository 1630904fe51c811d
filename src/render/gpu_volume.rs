//! A volume as one 3D texture: 16-bit normalised where the device has it (value mapping in a
//! uniform), else 32-bit float; colour as RGBA8. Slices are uploaded one at a time as they decode.

use eframe::wgpu;

use crate::volume::{SliceRef, VoxelType};

pub struct GpuVolume {
    pub texture: wgpu::Texture,
    pub view: wgpu::TextureView,
    pub dims: [u32; 3],
    pub format: wgpu::TextureFormat,
    /// modality = sample * scale + offset
    pub value_scale: f32,
    pub value_offset: f32,
    pub filterable: bool,
    pub color: bool,
}

impl GpuVolume {
    pub fn new(device: &wgpu::Device, dims: [usize; 3], voxel_type: VoxelType) -> Result<GpuVolume, String> {
        let max = device.limits().max_texture_dimension_3d as usize;
        if dims.iter().any(|&d| d > max || d == 0) {
            return Err(format!(
                "volume {}×{}×{} exceeds this GPU's 3D texture limit of {max}",
                dims[0], dims[1], dims[2]
            ));
        }
        let features = device.features();
        let norm16 = features.contains(wgpu::Features::TEXTURE_FORMAT_16BIT_NORM);
        let float_filter = features.contains(wgpu::Features::FLOAT32_FILTERABLE);
        let (format, scale, filterable) = match voxel_type {
            VoxelType::I16 if norm16 => (wgpu::TextureFormat::R16Snorm, 32767.0, true),
            VoxelType::U16 if norm16 => (wgpu::TextureFormat::R16Unorm, 65535.0, true),
            VoxelType::Rgba8 => (wgpu::TextureFormat::Rgba8Unorm, 1.0, true),
            _ => (wgpu::TextureFormat::R32Float, 1.0, float_filter),
        };
        let size =
            wgpu::Extent3d { width: dims[0] as u32, height: dims[1] as u32, depth_or_array_layers: dims[2] as u32 };
        let texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("sumi volume"),
            size,
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D3,
            format,
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        });
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        Ok(GpuVolume {
            texture,
            view,
            dims: [size.width, size.height, size.depth_or_array_layers],
            format,
            value_scale: scale,
            value_offset: 0.0,
            filterable,
            color: voxel_type == VoxelType::Rgba8,
        })
    }

    /// Uploads k-slice `k`. Converts to f32 only when the device lacks 16-bit norm formats.
    /// A slice of the wrong size or type for this texture is ignored (logged), never uploaded.
    pub fn upload_slice(&self, queue: &wgpu::Queue, k: usize, slice: SliceRef<'_>) {
        let per_slice = (self.dims[0] * self.dims[1]) as usize;
        let (len, fits) = match slice {
            SliceRef::I16(s) => (s.len(), !self.color && self.format != wgpu::TextureFormat::R16Unorm),
            SliceRef::U16(s) => (s.len(), !self.color && self.format != wgpu::TextureFormat::R16Snorm),
            SliceRef::F32(s) => (s.len(), self.format == wgpu::TextureFormat::R32Float),
            SliceRef::Rgba8(s) => (s.len() / 4, self.color),
        };
        if len != per_slice || !fits || k >= self.dims[2] as usize {
            tracing::error!("slice {k} ({len} voxels) does not fit the {:?} volume texture", self.format);
            return;
        }
        let owned: Vec<f32>;
        let bytes: &[u8] = match (slice, self.format) {
            (SliceRef::I16(s), wgpu::TextureFormat::R16Snorm) => bytemuck::cast_slice(s),
            (SliceRef::U16(s), wgpu::TextureFormat::R16Unorm) => bytemuck::cast_slice(s),
            (SliceRef::F32(s), _) => bytemuck::cast_slice(s),
            (SliceRef::Rgba8(s), _) => s,
            (SliceRef::I16(s), _) => {
                owned = s.iter().map(|&v| f32::from(v)).collect();
                bytemuck::cast_slice(&owned)
            }
            (SliceRef::U16(s), _) => {
                owned = s.iter().map(|&v| f32::from(v)).collect();
                bytemuck::cast_slice(&owned)
            }
        };
        let texel = self.format.block_copy_size(None).unwrap_or(4);
        queue.write_texture(
            wgpu::TexelCopyTextureInfo {
                texture: &self.texture,
                mip_level: 0,
                origin: wgpu::Origin3d { x: 0, y: 0, z: k as u32 },
                aspect: wgpu::TextureAspect::All,
            },
            bytes,
            wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(self.dims[0] * texel),
                rows_per_image: Some(self.dims[1]),
            },
            wgpu::Extent3d { width: self.dims[0], height: self.dims[1], depth_or_array_layers: 1 },
        );
    }

    pub fn bytes(&self) -> u64 {
        let texel = u64::from(self.format.block_copy_size(None).unwrap_or(4));
        self.dims.iter().map(|&d| u64::from(d)).product::<u64>() * texel
    }
}
