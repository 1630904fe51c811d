//! What the 3D view tints: the defacing proposal's removal mask while the defacing review is
//! open, else the annotation layer's labels (when "Labels in 3D" is on). The mask is one R8 3D
//! texture on the volume's grid (`RaycastResources::set_mask`); after a stroke only the k-slices
//! that changed are rewritten (`update_mask_slices`), found by comparing with the copy last sent.

use crate::annotate::LabelMap;
use crate::render::mpr::MprResources;
use crate::render::raycast::{LabelPalette, default_label_palette};

use super::app::SumiApp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The defacing proposal with this panel revision.
    Deface(u64),
    /// The annotation layer at this revision.
    Labels(u64),
}

/// What was last uploaded for the 3D view.
#[derive(Default)]
pub struct Mask3d {
    /// (GPU volume id, source) of the texture now bound.
    uploaded: Option<(u64, Source)>,
    /// The label voxels last sent (labels only), for finding the changed slices.
    copy: Vec<u8>,
    /// K-slices rewritten by the last update (tests and the frame-time report read it).
    pub last_update_slices: usize,
}

/// Colours of the label table (hidden labels are not tinted).
pub fn label_palette(labels: &[crate::project::annotations::Label]) -> LabelPalette {
    if labels.is_empty() {
        return default_label_palette();
    }
    let mut p = [[0.0; 4]; 256];
    for l in labels.iter().filter(|l| l.visible) {
        let hex = l.colour.trim_start_matches('#');
        let byte = |i: usize| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()).unwrap_or(160);
        let c = |i: usize| f32::from(byte(i)) / 255.0;
        p[usize::from(l.value)] = [c(0), c(2), c(4), 1.0];
    }
    p
}

/// The defacing mask's palette: label 1 red, nothing else.
fn deface_palette() -> LabelPalette {
    let mut p = [[0.0; 4]; 256];
    p[1] = [1.0, 0.25, 0.2, 1.0];
    p
}

/// All voxels of `map` in the volume's order.
fn flatten(map: &LabelMap) -> Vec<u8> {
    let [nx, ny, nz] = map.dims();
    let mut out = vec![0u8; nx * ny * nz];
    for z in map.labelled_slices() {
        if let Some(s) = map.slice(z) {
            out[z * nx * ny..(z + 1) * nx * ny].copy_from_slice(s);
        }
    }
    out
}

/// The k-range whose voxels differ between `copy` and `map` (and brings `copy` up to date).
fn changed_slices(copy: &mut [u8], map: &LabelMap) -> Option<(usize, usize)> {
    let [nx, ny, nz] = map.dims();
    let n = nx * ny;
    let mut range: Option<(usize, usize)> = None;
    for z in 0..nz {
        let old = &mut copy[z * n..(z + 1) * n];
        let same = match map.slice(z) {
            Some(s) => old == s,
            None => old.iter().all(|&v| v == 0),
        };
        if !same {
            match map.slice(z) {
                Some(s) => old.copy_from_slice(s),
                None => old.fill(0),
            }
            range = Some(range.map_or((z, z), |(a, _)| (a, z)));
        }
    }
    range
}

/// Brings the 3D view's mask up to date (call once per frame before the viewports draw).
pub fn sync(app: &mut SumiApp) {
    let Some(l) = app.viewer.loaded.as_ref() else { return };
    let gpu_id = l.gpu_id;
    let dims = l.plan.geometry.dims;
    let count = dims.iter().product::<usize>();
    let deface = app
        .deface
        .open
        .then_some(app.deface.proposal.as_ref())
        .flatten()
        .filter(|p| p.mask.len() == count && app.deface.series_uid.as_deref() == Some(l.series_uid.as_str()));
    let layer =
        app.annotate.layer.as_ref().filter(|layer| {
            app.viewer.view3d.show_labels && layer.series_uid == l.series_uid && layer.map.dims() == dims
        });
    let want = match (deface, layer) {
        (Some(_), _) => Some(Source::Deface(app.deface.revision)),
        (None, Some(layer)) => Some(Source::Labels(layer.revision)),
        (None, None) => None,
    };
    // Only while a 3D view shows (switching to one catches up).
    if !app.viewer.visible().into_iter().any(|vp| app.viewer.is_3d(vp)) {
        return;
    }
    let Some(rs) = app.viewer.render_state().cloned() else { return };
    let mut renderer = rs.renderer.write();
    let Some(res) = renderer.callback_resources.get_mut::<MprResources>() else { return };
    if res.volume(gpu_id).is_none() {
        return;
    }
    let rc = res.raycast_mut(&rs.device, &rs.queue);
    let state = &mut app.viewer.view3d.mask3d;
    // A replaced volume texture (same id) drops its mask: upload again.
    if state.uploaded.is_some_and(|u| u.0 == gpu_id) && !rc.has_mask(gpu_id) {
        state.uploaded = None;
    }
    let current = state.uploaded.filter(|u| u.0 == gpu_id).map(|u| u.1);
    if current == want && (want.is_some() || state.uploaded.is_none()) {
        return;
    }
    state.last_update_slices = 0;
    match (want, deface, layer) {
        (Some(src @ Source::Deface(_)), Some(p), _) => {
            rc.set_mask(&rs.device, &rs.queue, gpu_id, Some((dims, &p.mask)));
            state.copy = Vec::new();
            state.uploaded = Some((gpu_id, src));
            state.last_update_slices = dims[2];
            app.viewer.view3d.palette = deface_palette();
        }
        (Some(src @ Source::Labels(_)), _, Some(layer)) => {
            let incremental =
                matches!(state.uploaded, Some((id, Source::Labels(_))) if id == gpu_id) && state.copy.len() == count;
            if incremental {
                if let Some((z0, z1)) = changed_slices(&mut state.copy, &layer.map) {
                    let n = dims[0] * dims[1];
                    if !rc.update_mask_slices(&rs.queue, gpu_id, z0, &state.copy[z0 * n..(z1 + 1) * n]) {
                        rc.set_mask(&rs.device, &rs.queue, gpu_id, Some((dims, &state.copy)));
                    }
                    state.last_update_slices = z1 + 1 - z0;
                }
            } else {
                state.copy = flatten(&layer.map);
                rc.set_mask(&rs.device, &rs.queue, gpu_id, Some((dims, &state.copy)));
                state.last_update_slices = dims[2];
            }
            state.uploaded = Some((gpu_id, src));
            app.viewer.view3d.palette = label_palette(&app.annotate.labels);
        }
        _ => {
            rc.set_mask(&rs.device, &rs.queue, gpu_id, None);
            state.copy = Vec::new();
            state.uploaded = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_slices_finds_the_edited_range_and_updates_the_copy() {
        let mut map = LabelMap::new([4, 3, 6]);
        let mut copy = flatten(&map);
        assert_eq!(changed_slices(&mut copy, &map), None);
        map.slice_mut(2)[5] = 3;
        map.slice_mut(4)[0] = 1;
        assert_eq!(changed_slices(&mut copy, &map), Some((2, 4)));
        assert_eq!(copy, flatten(&map));
        assert_eq!(changed_slices(&mut copy, &map), None);
    }

    #[test]
    fn hidden_labels_are_not_tinted() {
        let label = |value: u8, colour: &str, visible: bool| crate::project::annotations::Label {
            value,
            name: String::new(),
            colour: colour.into(),
            code: None,
            visible,
            locked: false,
        };
        let p = label_palette(&[label(2, "#ff8000", true), label(3, "#00ff00", false)]);
        assert_eq!(p[2], [1.0, 128.0 / 255.0, 0.0, 1.0]);
        assert_eq!(p[3][3], 0.0);
        assert_eq!(p[1][3], 0.0);
    }
}
