//! Face detection speed on real photos: a 1280×886 group photo (1.13 MP, 6 people) and the
//! 512×512 astronaut portrait. Run on one core with `RAYON_NUM_THREADS=1` (the pyramid levels
//! and the mirror pass otherwise spread over all cores). Needs the sample-data cache
//! (`scripts/fetch-sample-data.sh`).

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use sumi::deid::face::detect_faces;
use sumi::deid::text::Luma;

fn sample(rel: &str) -> PathBuf {
    let dir = std::env::var_os("SUMI_SAMPLE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache/sample-data"));
    let path = dir.join(rel);
    assert!(path.is_file(), "{} missing: run scripts/fetch-sample-data.sh", path.display());
    path
}

fn rec601(rgb: &[u8]) -> Vec<u8> {
    rgb.chunks_exact(3)
        .map(|p| ((77 * u32::from(p[0]) + 150 * u32::from(p[1]) + 29 * u32::from(p[2]) + 128) >> 8) as u8)
        .collect()
}

fn luma(rel: &str) -> (usize, usize, Vec<u8>) {
    let img = image::open(sample(rel)).unwrap().to_rgb8();
    (img.width() as usize, img.height() as usize, rec601(img.as_raw()))
}

fn bench(c: &mut Criterion) {
    let photos = [
        ("group_photo_1280x886", luma("insightface/insightface/data/images/t1.jpg")),
        ("portrait_512x512", luma("scikit-image/skimage/data/astronaut.png")),
    ];
    for (name, (width, height, pixels)) in &photos {
        let img = Luma { width: *width, height: *height, pixels };
        assert!(!detect_faces(&img).is_empty(), "{name}: no face found");
        c.bench_function(name, |b| b.iter(|| detect_faces(black_box(&img))));
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
