//! The egui paint callback of a 3D viewport: ray cast into the offscreen target in `prepare`, blit
//! it into the viewport in `paint`.

use eframe::egui;
use eframe::egui_wgpu::{self, CallbackResources, CallbackTrait};
use eframe::wgpu;

use super::mpr::MprResources;
use super::raycast::RaycastParams;

pub struct View3dCallback {
    pub viewport: usize,
    pub volume: u64,
    pub params: RaycastParams,
    /// Render resolution in pixels (reduced while the user drags).
    pub size: [u32; 2],
}

impl CallbackTrait for View3dCallback {
    fn prepare(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        _screen: &egui_wgpu::ScreenDescriptor,
        encoder: &mut wgpu::CommandEncoder,
        resources: &mut CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        if let Some(res) = resources.get_mut::<MprResources>() {
            res.render_3d(device, queue, encoder, self.viewport, self.volume, &self.params, self.size);
        }
        Vec::new()
    }

    fn paint(
        &self,
        _info: egui::PaintCallbackInfo,
        pass: &mut wgpu::RenderPass<'static>,
        resources: &CallbackResources,
    ) {
        if let Some(rc) = resources.get::<MprResources>().and_then(|r| r.raycast()) {
            rc.draw(pass, self.viewport);
        }
    }
}
