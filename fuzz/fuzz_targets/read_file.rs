//! Reading a file: open (length guard, parse), header facts, decode, and volume assembly.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = common::input_file(data, "dcm");
    let Ok(file) = sumi::dicom::open_dicom(&path, true) else { return };
    let meta = sumi::dicom::InstanceMeta::from_file(&file, data.len() as u64, 0);
    drop(file);
    if let Some(image) = &meta.image {
        // Keep each run small: libFuzzer's RSS limit would otherwise flag honest big images.
        if u64::from(image.rows) * u64::from(image.cols) * u64::from(image.frames) > 1 << 22 {
            return;
        }
    }
    let _ = sumi::dicom::decode::decode_file(&path);
    if let Ok(plan) = sumi::volume::plan_series(&[&meta]) {
        let _ = sumi::volume::load_volume(&plan, None);
    }
});
