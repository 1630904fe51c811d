//! DICOM SEG import: a SEG file read onto a small reference CT series (8 slices of 16×16) —
//! segment sequences, frame placement by source instance or position, bit unpacking.
//! `SUMI_FUZZ_SEED_DIR=<dir>` writes seed SEGs for that reference there and exits.
#![no_main]

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sumi::annotate::LabelMap;
use sumi::annotate::io::{ReferenceSeries, SegOptions, read_seg, write_seg};
use sumi::project::annotations::Label;

fn reference() -> &'static ReferenceSeries {
    static R: OnceLock<ReferenceSeries> = OnceLock::new();
    R.get_or_init(|| {
        let dir = PathBuf::from(format!("/dev/shm/sumi-fuzz-seg-ref-{}", std::process::id()));
        sumi::demo::scale::write_series(&dir, 8, 16).expect("write the reference series");
        let r = ReferenceSeries::load(&dir).expect("load the reference series");
        if let Ok(seeds) = std::env::var("SUMI_FUZZ_SEED_DIR") {
            write_seeds(&r, Path::new(&seeds));
            let _ = std::fs::remove_dir_all(&dir);
            std::process::exit(0);
        }
        r
    })
}

fn write_seeds(r: &ReferenceSeries, dir: &Path) {
    std::fs::create_dir_all(dir).expect("seed dir");
    let label = |value: u8, name: &str, colour: &str| Label {
        value,
        name: name.into(),
        colour: colour.into(),
        code: None,
        visible: true,
        locked: false,
    };
    let mut map = LabelMap::new(r.geometry.dims);
    for z in 2..6 {
        let s = map.slice_mut(z);
        for (i, v) in s.iter_mut().enumerate() {
            let (x, y) = (i % 16, i / 16);
            *v = if (4..10).contains(&x) && (5..12).contains(&y) { 1 } else if x > 12 && y < 3 { 2 } else { 0 };
        }
    }
    let labels = [label(1, "lesion", "#ff0000"), label(2, "organ", "#00ff00")];
    write_seg(&dir.join("two-segments.dcm"), r, &map, &labels, &SegOptions::default()).expect("seed SEG");
    let mut one = LabelMap::new(r.geometry.dims);
    one.slice_mut(4).iter_mut().step_by(3).for_each(|v| *v = 1);
    write_seg(&dir.join("one-segment.dcm"), r, &one, &labels[..1], &SegOptions::default()).expect("seed SEG");
}

fuzz_target!(|data: &[u8]| {
    let reference = reference();
    let path = common::input_file(data, "seg.dcm");
    let _ = read_seg(&path, reference);
});
