//! Burned-in text detection on arbitrary pixel buffers: the first two bytes give the width and
//! height (1–256 each), the rest are the pixels (repeated to fill the frame).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (w, h) = (usize::from(data[0]) + 1, usize::from(data[1]) + 1);
    let body = &data[2..];
    let pixels: Vec<u8> = (0..w * h).map(|i| body[i % body.len()]).collect();
    let img = sumi::deid::text::Luma { width: w, height: h, pixels: &pixels };
    let boxes = sumi::deid::text::detect_frame(&img, &[]);
    for b in boxes {
        assert!(b.x as usize + b.w as usize <= w && b.y as usize + b.h as usize <= h, "box outside the image: {b:?}");
    }
});
