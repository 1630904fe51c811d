//! Burned-in text detection speed on 512×512 frames, one core, no OCR: a real CT slice with text
//! drawn on it, and a crop of a real ultrasound screen (speckle, overlay text, graphics).
//! Target: ≤ 20 ms per frame. Needs the sample-data cache (`scripts/fetch-sample-data.sh`).

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use sumi::deid::text::{Luma, detect_frame, to_luma};
use sumi::demo::glyphs::Canvas;
use sumi::dicom::decode_file;

const SIZE: usize = 512;

fn sample(rel: &str) -> PathBuf {
    let dir = std::env::var_os("SUMI_SAMPLE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache/sample-data"));
    let path = dir.join(rel);
    assert!(path.is_file(), "{} missing: run scripts/fetch-sample-data.sh", path.display());
    path
}

/// The top-left 512×512 of frame 0 of `rel`, as 8-bit luma.
fn frame(rel: &str) -> Vec<u8> {
    let luma = to_luma(&decode_file(&sample(rel)).unwrap());
    assert!(luma.width >= SIZE && luma.height >= SIZE);
    (0..SIZE).flat_map(|y| luma.frame(0)[y * luma.width..y * luma.width + SIZE].to_vec()).collect()
}

fn bench(c: &mut Criterion) {
    let mut ct = frame("pydicom-data/data_store/data/693_UNCR.dcm");
    let mut canvas = Canvas { data: &mut ct, width: SIZE as u32, height: SIZE as u32, channels: 1 };
    canvas.draw_text(6, 6, "DOE^JANE 1970-03-15 ID 0042-7731", 1, &[255]);
    canvas.draw_text(6, 490, "ST MARY HOSPITAL  KV 120", 2, &[220]);
    canvas.draw_text(180, 230, "AXIAL 5MM", 3, &[250]);
    let us = frame("deid-data/deid_data/data/ultrasounds/GREYSCALE_IMAGE.dcm");
    // One core: the detector itself is single-threaded; only detect_file spreads frames.
    for (name, pixels, regions) in [("ct_512_with_text", &ct, vec![]), ("us_512_crop", &us, vec![[14, 38, 511, 511]])] {
        let img = Luma { width: SIZE, height: SIZE, pixels };
        assert!(!detect_frame(&img, &regions).is_empty(), "{name}: nothing detected");
        c.bench_function(name, |b| b.iter(|| detect_frame(black_box(&img), black_box(&regions))));
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
