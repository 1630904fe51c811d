// 3D view: one full-screen pass marching parallel rays through the volume texture. The ray setup
// comes from the CPU (volume/camera.rs RayFrame); the CPU reference is volume/raycast.rs and
// tests/gpu_raycast.rs compares the two. Output is display RGB in an offscreen Rgba8 target.

struct Params {
    // Columns: texture-coordinate change per unit u and v, unused, ray point at uv (0, 0).
    uv_to_tex: mat4x4<f32>,
    // Upper 3×3: index-space gradient → patient-space gradient.
    grad_to_patient: mat4x4<f32>,
    // xyz: texture coordinates per mm along the ray; w: step in mm.
    dir_tex: vec4<f32>,
    // xyz: ray direction in patient space; w: maximum number of steps.
    view_dir: vec4<f32>,
    // xyz: clip box low corner (texture coordinates); w: mask tint opacity (0–1).
    clip_lo: vec4<f32>,
    // xyz: clip box high corner; w: brick edge in voxels (0: no empty-space skipping).
    clip_hi: vec4<f32>,
    // x, y: modality = sample * x + y; z: LUT low value; w: LUT entries per modality unit.
    value_map: vec4<f32>,
    // x: mode (0 MIP, 1 MinIP, 2 DVR, 3 iso); y: iso threshold; z: window low; w: window width.
    mode: vec4<f32>,
    // rgb: iso-surface colour; w: nearest sampling (0/1).
    iso_rgb: vec4<f32>,
    // x, y: values where the transfer function has any opacity (DVR skips bricks outside).
    visible: vec4<f32>,
    // The slice plane in texture coordinates: dot(xyz, tex) + w = signed distance in mm.
    plane: vec4<f32>,
    // x: plane opacity (0: no plane); y: window low; z: window width; w: invert (0/1).
    plane_style: vec4<f32>,
    // Transfer function: display RGB and opacity per step.
    lut: array<vec4<f32>, 256>,
    // Label tint per label value: rgb colour, a strength (0: not tinted).
    labels: array<vec4<f32>, 256>,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var volume: texture_3d<f32>;
@group(0) @binding(2) var volume_sampler: sampler;
// Brick (min, max) in modality units; one texel per brick.
@group(0) @binding(3) var bricks: texture_3d<f32>;
// Label per voxel (defacing mask, annotation); 1×1×1 of zero when there is none.
@group(0) @binding(4) var mask: texture_3d<u32>;

struct VsOut {
    @builtin(position) position: vec4<f32>,
    @location(0) uv: vec2<f32>,
};

@vertex
fn vs_main(@builtin(vertex_index) i: u32) -> VsOut {
    let uv = vec2<f32>(f32(i & 1u), f32((i >> 1u) & 1u));
    var out: VsOut;
    out.position = vec4<f32>(uv.x * 2.0 - 1.0, 1.0 - uv.y * 2.0, 0.0, 1.0);
    out.uv = uv;
    return out;
}

fn value_at(t: vec3<f32>) -> f32 {
    var c = t;
    if p.iso_rgb.w > 0.5 {
        let dims = vec3<f32>(textureDimensions(volume));
        c = (floor(t * dims) + 0.5) / dims;
    }
    return textureSampleLevel(volume, volume_sampler, c, 0.0).r * p.value_map.x + p.value_map.y;
}

// Slab test; components of d near zero are nudged so the division stays finite.
fn slab(o: vec3<f32>, d: vec3<f32>, lo: vec3<f32>, hi: vec3<f32>) -> vec2<f32> {
    let dd = select(d, vec3<f32>(1e-9), abs(d) < vec3<f32>(1e-9));
    let ta = (lo - o) / dd;
    let tb = (hi - o) / dd;
    let tmin = min(ta, tb);
    let tmax = max(ta, tb);
    return vec2<f32>(max(max(tmin.x, tmin.y), tmin.z), min(min(tmax.x, tmax.y), tmax.z));
}

// Central differences over ±1.5 voxels (volume/raycast.rs GRADIENT_REACH).
fn gradient(t: vec3<f32>) -> vec3<f32> {
    let e = 1.5 / vec3<f32>(textureDimensions(volume));
    let g = vec3<f32>(
        value_at(t + vec3<f32>(e.x, 0.0, 0.0)) - value_at(t - vec3<f32>(e.x, 0.0, 0.0)),
        value_at(t + vec3<f32>(0.0, e.y, 0.0)) - value_at(t - vec3<f32>(0.0, e.y, 0.0)),
        value_at(t + vec3<f32>(0.0, 0.0, e.z)) - value_at(t - vec3<f32>(0.0, 0.0, e.z)),
    ) / 3.0;
    return (p.grad_to_patient * vec4<f32>(g, 0.0)).xyz;
}

// Headlight: ambient + two-sided diffuse + specular (volume/raycast.rs `shade`).
fn shade(rgb: vec3<f32>, grad: vec3<f32>) -> vec3<f32> {
    let len = length(grad);
    var n = -p.view_dir.xyz;
    if len > 1e-12 {
        n = grad / len;
    }
    let ndl = abs(dot(n, p.view_dir.xyz));
    let spec = 0.25 * pow(ndl, 24.0);
    return clamp(rgb * (0.2 + 0.75 * ndl) + vec3<f32>(spec), vec3<f32>(0.0), vec3<f32>(1.0));
}

fn tint(rgb: vec3<f32>, t: vec3<f32>) -> vec3<f32> {
    let dims = textureDimensions(mask);
    if p.clip_lo.w <= 0.0 || all(dims == vec3<u32>(1u)) {
        return rgb;
    }
    let i = min(vec3<u32>(max(t, vec3<f32>(0.0)) * vec3<f32>(dims)), dims - 1u);
    let label = textureLoad(mask, i, 0).r;
    let c = p.labels[min(label, 255u)];
    if label == 0u || c.a <= 0.0 {
        return rgb;
    }
    return mix(rgb, c.rgb * (0.35 + 0.65 * max(max(rgb.r, rgb.g), rgb.b)), p.clip_lo.w * c.a);
}

fn lut(v: f32) -> vec4<f32> {
    let x = clamp((v - p.value_map.z) * p.value_map.w, 0.0, 255.0);
    let i = u32(floor(x));
    let j = min(i + 1u, 255u);
    return mix(p.lut[i], p.lut[j], x - f32(i));
}

// Can the whole brick with value range mm be skipped, given the running MIP/MinIP value?
fn skippable(mm: vec2<f32>, mode: f32, acc: f32) -> bool {
    if mode < 0.5 {
        return mm.y <= acc;
    }
    if mode < 1.5 {
        return mm.x >= acc;
    }
    if mode < 2.5 {
        return mm.y < p.visible.x || mm.x > p.visible.y;
    }
    return mm.y < p.mode.y;
}

const BIG: f32 = 1e30;

// Ray parameter where the slice plane is met inside the clip range, or BIG (no plane, edge-on, or
// outside the box).
fn plane_t(o: vec3<f32>, d: vec3<f32>, range: vec2<f32>) -> f32 {
    if p.plane_style.x <= 0.0 {
        return BIG;
    }
    let nd = dot(p.plane.xyz, d);
    if abs(nd) < 1e-6 {
        return BIG;
    }
    let t = -(dot(p.plane.xyz, o) + p.plane.w) / nd;
    if t < range.x || t > range.y {
        return BIG;
    }
    return t;
}

// The slice image at a point of the plane: grey with the viewer's window/level.
fn plane_grey(pos: vec3<f32>) -> vec3<f32> {
    let g = clamp((value_at(pos) - p.plane_style.y) / p.plane_style.z, 0.0, 1.0);
    return vec3<f32>(select(g, 1.0 - g, p.plane_style.w > 0.5));
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    let o = (p.uv_to_tex * vec4<f32>(in.uv, 0.0, 1.0)).xyz;
    let d = p.dir_tex.xyz;
    let step = p.dir_tex.w;
    let range = slab(o, d, p.clip_lo.xyz, p.clip_hi.xyz);
    let first = ceil(range.x / step) * step;
    if first > range.y {
        return vec4<f32>(0.0, 0.0, 0.0, 1.0);
    }
    let mode = p.mode.x;
    // The slice plane: met once per ray at tp (BIG: not on this ray). DVR composites it as a sample
    // at tp; iso puts it over a surface behind it; MIP/MinIP blend it over the projection.
    let tp = plane_t(o, d, range);
    var plane_rgb = vec3<f32>(0.0);
    let plane_a = p.plane_style.x;
    if tp < BIG {
        plane_rgb = plane_grey(o + d * tp);
    }
    var pending = tp < BIG && mode > 1.5;
    let vdims = vec3<f32>(textureDimensions(volume));
    let bdims = vec3<i32>(textureDimensions(bricks));
    let brick = p.clip_hi.w;
    var acc = select(-BIG, BIG, mode > 0.5 && mode < 1.5);
    var rgb = vec3<f32>(0.0);
    var alpha = 0.0;
    var sampled = false;
    var last_brick = vec3<i32>(-1);
    var t = first;
    let max_steps = u32(p.view_dir.w);
    for (var n = 0u; n < max_steps && t <= range.y; n++) {
        if pending && t > tp {
            if mode < 2.5 {
                rgb += (1.0 - alpha) * plane_a * plane_rgb;
                alpha += (1.0 - alpha) * plane_a;
                pending = false;
                if alpha >= 0.98 {
                    break;
                }
            } else if plane_a >= 0.98 && t - step > tp {
                // Iso: every crossing from here on lies behind an opaque plane.
                break;
            }
        }
        let pos = o + d * t;
        if brick > 0.0 {
            let b = clamp(vec3<i32>(floor(pos * vdims / brick)), vec3<i32>(0), bdims - 1);
            if any(b != last_brick) {
                last_brick = b;
                if skippable(textureLoad(bricks, b, 0).xy, mode, acc) {
                    // Jump to the first sample plane past the brick's far side.
                    let exit = slab(o, d, vec3<f32>(b) * brick / vdims, vec3<f32>(b + 1) * brick / vdims).y;
                    t = max(ceil(exit / step) * step, t + step);
                    last_brick = vec3<i32>(-1);
                    continue;
                }
            }
        }
        let s = value_at(pos);
        if mode < 0.5 {
            acc = max(acc, s);
            sampled = true;
        } else if mode < 1.5 {
            acc = min(acc, s);
            sampled = true;
        } else if mode < 2.5 {
            let c = lut(s);
            if c.a > 0.002 {
                let lit = tint(shade(c.rgb, gradient(pos)), pos);
                rgb += (1.0 - alpha) * c.a * lit;
                alpha += (1.0 - alpha) * c.a;
                if alpha >= 0.98 {
                    break;
                }
            }
        } else if s >= p.mode.y {
            // Refine the crossing between the previous sample plane and this one.
            var lo = t - step;
            var hi = t;
            for (var k = 0; k < 6; k++) {
                let mid = 0.5 * (lo + hi);
                if value_at(o + d * mid) >= p.mode.y {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            let th = 0.5 * (lo + hi);
            let hit = o + d * th;
            let surface = tint(shade(p.iso_rgb.rgb, gradient(hit)), hit);
            if pending && tp < th {
                return vec4<f32>(mix(surface, plane_rgb, plane_a), 1.0);
            }
            return vec4<f32>(surface, 1.0);
        }
        t += step;
    }
    if mode < 1.5 {
        var g = 0.0;
        if sampled {
            g = clamp((acc - p.mode.z) / p.mode.w, 0.0, 1.0);
        }
        if tp < BIG {
            return vec4<f32>(mix(vec3<f32>(g), plane_rgb, plane_a), 1.0);
        }
        return vec4<f32>(vec3<f32>(g), 1.0);
    }
    if pending {
        // Behind every composited sample (DVR), or over the background where no surface was met.
        rgb += (1.0 - alpha) * plane_a * plane_rgb;
    }
    return vec4<f32>(rgb, 1.0);
}
