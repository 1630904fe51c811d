// Slice / MPR rendering: one quad per viewport. Screen uv → 3D texture coordinates through an
// affine from the CPU (volume/mpr.rs), then value mapping, window/level, invert, in the shader.

struct Params {
    // Columns of the uv → texcoord affine (u, v, unused, translation).
    uv_to_tex: mat4x4<f32>,
    // x: scale, y: offset: modality = sample * scale + offset.
    value_map: vec4<f32>,
    // x: window low, y: window width, z: invert (0/1), w: colour volume (0/1).
    window: vec4<f32>,
    // x: target is sRGB (0/1), y: nearest sampling (0/1), z: colour map (0 grey, 1 hot iron,
    // 2 rainbow), w: unused.
    flags: vec4<f32>,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var volume: texture_3d<f32>;
@group(0) @binding(2) var volume_sampler: sampler;

struct VsOut {
    @builtin(position) position: vec4<f32>,
    @location(0) uv: vec2<f32>,
};

@vertex
fn vs_main(@builtin(vertex_index) i: u32) -> VsOut {
    // Triangle strip covering the viewport: (0,0) (1,0) (0,1) (1,1) in uv.
    let uv = vec2<f32>(f32(i & 1u), f32((i >> 1u) & 1u));
    var out: VsOut;
    out.position = vec4<f32>(uv.x * 2.0 - 1.0, 1.0 - uv.y * 2.0, 0.0, 1.0);
    out.uv = uv;
    return out;
}

// Colour maps over g in [0, 1]; grey is the identity.
fn colour_map(g: f32, map: f32) -> vec3<f32> {
    if map > 1.5 {
        // Rainbow: blue → cyan → green → yellow → red.
        let h = (1.0 - g) * 4.0;
        return clamp(vec3<f32>(2.0 - h, 2.0 - abs(h - 2.0), h - 2.0), vec3<f32>(0.0), vec3<f32>(1.0));
    }
    if map > 0.5 {
        // Hot iron: black → red → yellow → white.
        return clamp(vec3<f32>(g * 3.0, g * 3.0 - 1.0, g * 3.0 - 2.0), vec3<f32>(0.0), vec3<f32>(1.0));
    }
    return vec3<f32>(g);
}

fn srgb_to_linear(c: vec3<f32>) -> vec3<f32> {
    let lo = c / 12.92;
    let hi = pow((c + 0.055) / 1.055, vec3<f32>(2.4));
    return select(hi, lo, c <= vec3<f32>(0.04045));
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    let t = (params.uv_to_tex * vec4<f32>(in.uv, 0.0, 1.0)).xyz;
    if any(t < vec3<f32>(0.0)) || any(t >= vec3<f32>(1.0)) {
        return vec4<f32>(0.0, 0.0, 0.0, 1.0);
    }
    var coord = t;
    if params.flags.y > 0.5 {
        // Nearest: snap to texel centres (for formats that cannot be filtered).
        let dims = vec3<f32>(textureDimensions(volume));
        coord = (floor(t * dims) + 0.5) / dims;
    }
    let s = textureSampleLevel(volume, volume_sampler, coord, 0.0);
    var rgb: vec3<f32>;
    if params.window.w > 0.5 {
        rgb = clamp((s.rgb * 255.0 - params.window.x) / params.window.y, vec3<f32>(0.0), vec3<f32>(1.0));
    } else {
        let value = s.r * params.value_map.x + params.value_map.y;
        let g = clamp((value - params.window.x) / params.window.y, 0.0, 1.0);
        rgb = vec3<f32>(g);
    }
    if params.window.z > 0.5 {
        rgb = vec3<f32>(1.0) - rgb;
    }
    if params.window.w < 0.5 {
        rgb = colour_map(rgb.r, params.flags.z);
    }
    if params.flags.x > 0.5 {
        rgb = srgb_to_linear(rgb);
    }
    return vec4<f32>(rgb, 1.0);
}
