//! Value statistics for display: percentile-based auto window and the radiology W/L presets.

use rayon::prelude::*;

use super::voxels::{Volume, Voxels};

/// A named window (centre, width) in modality units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowPreset {
    /// Translation key of the preset name.
    pub key: &'static str,
    pub center: f64,
    pub width: f64,
}

/// CT presets as commonly used on reading stations (HU).
pub const CT_PRESETS: [WindowPreset; 7] = [
    WindowPreset { key: "preset.brain", center: 40.0, width: 80.0 },
    WindowPreset { key: "preset.subdural", center: 75.0, width: 215.0 },
    WindowPreset { key: "preset.stroke", center: 40.0, width: 40.0 },
    WindowPreset { key: "preset.bone", center: 600.0, width: 2800.0 },
    WindowPreset { key: "preset.lung", center: -600.0, width: 1500.0 },
    WindowPreset { key: "preset.abdomen", center: 50.0, width: 400.0 },
    WindowPreset { key: "preset.mediastinum", center: 50.0, width: 350.0 },
];

/// Presets offered for a modality: CT gets the table; others only the automatic window.
pub fn presets_for(modality: &str) -> &'static [WindowPreset] {
    if modality == "CT" { &CT_PRESETS } else { &[] }
}

/// Window spanning the 1st–99th percentile of the data (MR and anything without a good header
/// window). Colour volumes get the full 0–255 range.
pub fn auto_window(v: &Volume) -> (f64, f64) {
    let (lo, hi) = v.value_range;
    if matches!(v.voxels, Voxels::Rgba8(_)) || hi <= lo {
        return (127.5, 255.0);
    }
    const BINS: usize = 4096;
    let scale = (BINS - 1) as f64 / (hi - lo);
    let n = v.geometry.voxel_count();
    // Sampling every few voxels is plenty for percentiles and keeps this under a millisecond.
    let stride = (n / 2_000_000).max(1);
    let hist = (0..n.div_ceil(stride))
        .into_par_iter()
        .fold(
            || vec![0u64; BINS],
            |mut h, s| {
                let x = v.voxels.value(s * stride);
                h[((x - lo) * scale) as usize] += 1;
                h
            },
        )
        .reduce(
            || vec![0u64; BINS],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
        );
    let total: u64 = hist.iter().sum();
    let at = |q: f64| {
        let target = (total as f64 * q) as u64;
        let mut acc = 0;
        for (i, c) in hist.iter().enumerate() {
            acc += c;
            if acc > target {
                return lo + i as f64 / scale;
            }
        }
        hi
    };
    let (p1, p99) = (at(0.01), at(0.99));
    let width = (p99 - p1).max(1.0);
    ((p1 + p99) / 2.0, width)
}

/// The window to open a series with: the header's, else automatic.
pub fn initial_window(v: &Volume) -> (f64, f64) {
    v.display.window.unwrap_or_else(|| auto_window(v))
}
