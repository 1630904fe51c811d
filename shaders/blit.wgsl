// Draws the 3D view's offscreen image (display RGB, possibly at reduced resolution while the user
// drags) into an egui viewport, filtered.

@group(0) @binding(0) var image: texture_2d<f32>;
@group(0) @binding(1) var image_sampler: sampler;

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

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    return vec4<f32>(textureSampleLevel(image, image_sampler, in.uv, 0.0).rgb, 1.0);
}

// For sRGB targets: the image holds display values, the target expects linear ones.
@fragment
fn fs_srgb(in: VsOut) -> @location(0) vec4<f32> {
    let c = textureSampleLevel(image, image_sampler, in.uv, 0.0).rgb;
    let lo = c / 12.92;
    let hi = pow((c + 0.055) / 1.055, vec3<f32>(2.4));
    return vec4<f32>(select(hi, lo, c <= vec3<f32>(0.04045)), 1.0);
}
