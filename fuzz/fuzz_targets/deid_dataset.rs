//! Header de-identification of an arbitrary data set, then writing it back out.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn profile() -> &'static sumi::deid::Profile {
    static P: OnceLock<sumi::deid::Profile> = OnceLock::new();
    P.get_or_init(|| sumi::deid::Profile::load("jp-pseudonymized").expect("built-in profile"))
}

fuzz_target!(|data: &[u8]| {
    let path = common::input_file(data, "dcm");
    let Ok(file) = sumi::dicom::open_dicom(&path, true) else { return };
    let vault = sumi::deid::Vault::in_memory();
    let deid = sumi::deid::Deidentifier::new(profile(), &vault).expect("profile compiles");
    let mut obj = file.obj.into_inner();
    if deid.apply(&mut obj).is_ok() {
        let mut out = Vec::new();
        let ts = dicom_transfer_syntax_registry::entries::EXPLICIT_VR_LITTLE_ENDIAN.erased();
        let _ = obj.write_dataset_with_ts(&mut out, &ts);
    }
});
