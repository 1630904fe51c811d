//! NIfTI import (.nii and .nii.gz): header, data types, scaling, orientation.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ext = if data.starts_with(&[0x1f, 0x8b]) { "nii.gz" } else { "nii" };
    let path = common::input_file(data, ext);
    let _ = sumi::volume::nifti::read_nifti(&path);
});
