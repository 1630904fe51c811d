//! Ray casting on the CPU: the reference the GPU shader (shaders/raycast.wgsl) is tested against,
//! with the same sample positions, trilinear sampling, iso-surface refinement and shading; and the
//! brick min/max grid the shader uses to skip empty space.

use nalgebra::Vector3;
use rayon::prelude::*;

use super::camera::RayFrame;
use super::voxels::{Volume, Voxels};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RenderMode {
    /// Maximum intensity projection.
    #[default]
    Mip,
    /// Minimum intensity projection (airways).
    MinIp,
    /// Composite direct volume rendering with a transfer function.
    Dvr,
    /// The first surface above a threshold, shaded with a headlight.
    Iso,
}

impl RenderMode {
    pub const ALL: [RenderMode; 4] = [RenderMode::Mip, RenderMode::MinIp, RenderMode::Dvr, RenderMode::Iso];

    pub fn key(self) -> &'static str {
        match self {
            RenderMode::Mip => "render3d.mip",
            RenderMode::MinIp => "render3d.minip",
            RenderMode::Dvr => "render3d.dvr",
            RenderMode::Iso => "render3d.iso",
        }
    }

    /// The number the shader switches on.
    pub fn code(self) -> f32 {
        match self {
            RenderMode::Mip => 0.0,
            RenderMode::MinIp => 1.0,
            RenderMode::Dvr => 2.0,
            RenderMode::Iso => 3.0,
        }
    }
}

/// Bisection steps that refine an iso-surface hit between two samples.
pub const ISO_REFINE_STEPS: usize = 6;

/// Headlight shading of a surface with patient-space gradient `grad` seen along `view_dir`:
/// ambient + two-sided diffuse + a small specular highlight. Returns the RGB in display units.
pub fn shade(rgb: [f64; 3], grad: Vector3<f64>, view_dir: Vector3<f64>) -> [f64; 3] {
    let n = grad.try_normalize(1e-12).unwrap_or(-view_dir);
    let ndl = n.dot(&view_dir).abs();
    let spec = 0.25 * ndl.powi(24);
    rgb.map(|c| (c * (0.2 + 0.75 * ndl) + spec).clamp(0.0, 1.0))
}

/// Trilinear sample at texture coordinates with clamp-to-edge, as the GPU sampler does.
pub fn sample_linear(v: &Volume, t: Vector3<f64>) -> f64 {
    let d = v.geometry.dims;
    let mut i0 = [0usize; 3];
    let mut i1 = [0usize; 3];
    let mut f = [0.0; 3];
    for a in 0..3 {
        let x = (t[a] * d[a] as f64 - 0.5).clamp(0.0, (d[a] - 1) as f64);
        let lo = x.floor();
        i0[a] = lo as usize;
        i1[a] = (i0[a] + 1).min(d[a] - 1);
        f[a] = x - lo;
    }
    let mut acc = 0.0;
    for c in 0..8 {
        let pick = |a: usize| if c >> a & 1 == 0 { (i0[a], 1.0 - f[a]) } else { (i1[a], f[a]) };
        let ((x, wx), (y, wy), (z, wz)) = (pick(0), pick(1), pick(2));
        acc += v.at(x, y, z) * wx * wy * wz;
    }
    acc
}

/// Half-width of the gradient stencil in voxels: wider than ±1 so that surfaces of data with
/// sharp edges do not show every voxel step in their shading.
pub const GRADIENT_REACH: f64 = 1.5;

/// Central-difference gradient in index units at texture coordinates `t`.
pub fn gradient_index(v: &Volume, t: Vector3<f64>) -> Vector3<f64> {
    let d = v.geometry.dims;
    Vector3::from_fn(|a, _| {
        let mut e = Vector3::zeros();
        e[a] = GRADIENT_REACH / d[a] as f64;
        (sample_linear(v, t + e) - sample_linear(v, t - e)) / (2.0 * GRADIENT_REACH)
    })
}

/// Options of one CPU render.
#[derive(Debug, Clone, Copy)]
pub struct CpuRender {
    pub mode: RenderMode,
    /// (low, width) for MIP/MinIP grey levels.
    pub window: (f64, f64),
    pub iso: f64,
    pub iso_rgb: [f64; 3],
}

/// Renders `size` pixels (row-major, RGB 0–1, black background). MIP, MinIP and iso (DVR is
/// drawn as its iso-surface here: the GPU test covers the other three).
pub fn render_cpu(v: &Volume, frame: &RayFrame, size: [usize; 2], opts: &CpuRender) -> Vec<[f64; 3]> {
    let mut out = vec![[0.0; 3]; size[0] * size[1]];
    out.par_iter_mut().enumerate().for_each(|(i, px)| {
        let uv = [((i % size[0]) as f64 + 0.5) / size[0] as f64, ((i / size[0]) as f64 + 0.5) / size[1] as f64];
        *px = cast_ray(v, frame, uv, opts);
    });
    out
}

fn cast_ray(v: &Volume, frame: &RayFrame, uv: [f64; 2], opts: &CpuRender) -> [f64; 3] {
    let Some((first, end)) = frame.sample_range(uv) else { return [0.0; 3] };
    let (o, d) = frame.ray(uv);
    let at = |t: f64| sample_linear(v, o + d * t);
    let grey = |x: f64| [((x - opts.window.0) / opts.window.1).clamp(0.0, 1.0); 3];
    let mut t = first;
    let mut acc = match opts.mode {
        RenderMode::MinIp => f64::INFINITY,
        _ => f64::NEG_INFINITY,
    };
    while t <= end {
        let s = at(t);
        match opts.mode {
            RenderMode::Mip => acc = acc.max(s),
            RenderMode::MinIp => acc = acc.min(s),
            RenderMode::Iso | RenderMode::Dvr => {
                if s >= opts.iso {
                    let (mut lo, mut hi) = (t - frame.step_mm, t);
                    for _ in 0..ISO_REFINE_STEPS {
                        let mid = 0.5 * (lo + hi);
                        if at(mid) >= opts.iso {
                            hi = mid;
                        } else {
                            lo = mid;
                        }
                    }
                    let p = o + d * (0.5 * (lo + hi));
                    let g = frame.grad_to_patient * gradient_index(v, p);
                    return shade(opts.iso_rgb, g, frame.view_dir);
                }
            }
        }
        t += frame.step_mm;
    }
    if acc.is_finite() { grey(acc) } else { [0.0; 3] }
}

/// Voxels per brick edge in the empty-space-skipping grid.
pub const BRICK: usize = 8;

/// Min and max value of each brick of `BRICK`³ voxels, widened by one voxel on every side so that
/// trilinear samples inside a brick never leave its range. Order: x fastest, then y, then z.
pub struct BrickGrid {
    pub dims: [usize; 3],
    pub min_max: Vec<[f32; 2]>,
}

impl BrickGrid {
    pub fn build(v: &Volume) -> BrickGrid {
        let d = v.geometry.dims;
        let dims = d.map(|n| n.div_ceil(BRICK));
        let mut min_max = vec![[f32::INFINITY, f32::NEG_INFINITY]; dims.iter().product()];
        let per_z = dims[0] * dims[1];
        min_max.par_chunks_mut(per_z).enumerate().for_each(|(bz, plane)| {
            for (n, mm) in plane.iter_mut().enumerate() {
                let b = [n % dims[0], n / dims[0], bz];
                let range = |a: usize| (b[a] * BRICK).saturating_sub(1)..((b[a] + 1) * BRICK + 1).min(d[a]);
                *mm = brick_range(v, [range(0), range(1), range(2)]);
            }
        });
        BrickGrid { dims, min_max }
    }
}

fn brick_range(v: &Volume, r: [std::ops::Range<usize>; 3]) -> [f32; 2] {
    fn scan<T: Copy + Into<f64>>(data: &[T], d: [usize; 3], r: &[std::ops::Range<usize>; 3]) -> [f32; 2] {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for z in r[2].clone() {
            for y in r[1].clone() {
                let row = (z * d[1] + y) * d[0];
                for &x in &data[row + r[0].start..row + r[0].end] {
                    let x: f64 = x.into();
                    lo = lo.min(x);
                    hi = hi.max(x);
                }
            }
        }
        [lo as f32, hi as f32]
    }
    let d = v.geometry.dims;
    match &v.voxels {
        Voxels::I16(data) => scan(data, d, &r),
        Voxels::U16(data) => scan(data, d, &r),
        Voxels::F32(data) => scan(data, d, &r),
        // Colour volumes are not ray cast: never skip.
        Voxels::Rgba8(_) => [f32::NEG_INFINITY, f32::INFINITY],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::volume::camera::{ClipBox, OrbitCamera};
    use crate::volume::{DisplayHints, Geometry, SeriesKind};

    fn ball(dims: [usize; 3], radius: f64) -> Volume {
        let c = dims.map(|n| (n as f64 - 1.0) / 2.0);
        let mut data = Vec::with_capacity(dims.iter().product());
        for z in 0..dims[2] {
            for y in 0..dims[1] {
                for x in 0..dims[0] {
                    let r = ((x as f64 - c[0]).powi(2) + (y as f64 - c[1]).powi(2) + (z as f64 - c[2]).powi(2)).sqrt();
                    data.push(if r <= radius { 1000 } else { -1000 });
                }
            }
        }
        Volume {
            geometry: Geometry::axis_aligned(dims, [1.0; 3]),
            voxels: Voxels::I16(data),
            kind: SeriesKind::Volume,
            display: DisplayHints { modality: "CT".into(), window: None, invert: false },
            value_range: (-1000.0, 1000.0),
            problems: vec![],
        }
    }

    #[test]
    fn trilinear_sampling_hits_voxel_centres_and_clamps_at_edges() {
        let v = ball([9, 9, 9], 3.0);
        let centre = Vector3::new(4.5 / 9.0, 4.5 / 9.0, 4.5 / 9.0);
        assert_eq!(sample_linear(&v, centre), 1000.0);
        assert_eq!(sample_linear(&v, Vector3::new(0.0, 0.0, 0.0)), -1000.0);
        // Half way between a voxel inside (r = 3) and one outside (r = 4): the mean.
        let between = Vector3::new(4.5 / 9.0, 4.5 / 9.0, 8.0 / 9.0);
        assert!((sample_linear(&v, between)).abs() < 1e-9);
    }

    #[test]
    fn mip_of_a_ball_is_bright_inside_its_silhouette_only() {
        let v = ball([16, 16, 16], 5.0);
        let cam = OrbitCamera::fit(&v.geometry);
        let frame = RayFrame::new(&cam, &v.geometry, [32.0, 32.0], ClipBox::default(), 0.5).unwrap();
        let opts = CpuRender { mode: RenderMode::Mip, window: (-1000.0, 2000.0), iso: 0.0, iso_rgb: [1.0; 3] };
        let img = render_cpu(&v, &frame, [32, 32], &opts);
        assert_eq!(img[16 * 32 + 16][0], 1.0, "centre ray through the ball");
        assert_eq!(img[0][0], 0.0, "corner ray misses the volume");
    }

    #[test]
    fn iso_surface_faces_the_viewer_brightest_at_the_centre() {
        let v = ball([16, 16, 16], 5.0);
        let cam = OrbitCamera::fit(&v.geometry);
        let frame = RayFrame::new(&cam, &v.geometry, [32.0, 32.0], ClipBox::default(), 0.5).unwrap();
        let opts = CpuRender { mode: RenderMode::Iso, window: (0.0, 1.0), iso: 0.0, iso_rgb: [1.0; 3] };
        let img = render_cpu(&v, &frame, [32, 32], &opts);
        let centre = img[16 * 32 + 16][0];
        assert!(centre > 0.9, "the surface facing the headlight is lit: {centre}");
        let rim = img[16 * 32 + 16 + 8][0];
        assert!(rim < centre, "the rim is darker than the centre: {rim} vs {centre}");
    }

    #[test]
    fn bricks_bound_every_trilinear_sample_inside_them() {
        let v = ball([20, 17, 11], 6.0);
        let bricks = BrickGrid::build(&v);
        assert_eq!(bricks.dims, [3, 3, 2]);
        // A brick that touches the ball's surface through its apron spans both values.
        for (n, mm) in bricks.min_max.iter().enumerate() {
            let b = [n % 3, n / 3 % 3, n / 9];
            for s in 0..200 {
                let f = |a: usize, k: usize| {
                    let lo = (b[a] * BRICK) as f64;
                    let hi = ((b[a] + 1) * BRICK).min(v.geometry.dims[a]) as f64;
                    (lo + (hi - lo) * ((s * k) % 97) as f64 / 97.0) / v.geometry.dims[a] as f64
                };
                let x = sample_linear(&v, Vector3::new(f(0, 7), f(1, 13), f(2, 29)));
                assert!(x >= f64::from(mm[0]) - 1e-6 && x <= f64::from(mm[1]) + 1e-6, "brick {b:?}: {x} ∉ {mm:?}");
            }
        }
    }
}
