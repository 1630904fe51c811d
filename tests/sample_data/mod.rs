//! The public sample-data cache that `scripts/fetch-sample-data.sh` fills (`$SUMI_SAMPLE_DATA`
//! overrides its place). Tests that use it fail, not skip, when it is missing.

// Each test crate uses a different part of this module.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The cache folder; panics when it has not been fetched.
pub fn root() -> PathBuf {
    let dir = std::env::var_os("SUMI_SAMPLE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache/sample-data"));
    assert!(
        dir.join("PATHS.txt").is_file(),
        "sample data missing at {}: run scripts/fetch-sample-data.sh (or set SUMI_SAMPLE_DATA)",
        dir.display()
    );
    dir
}

/// The sample sets by key, as `PATHS.txt` lists them.
pub fn sets() -> HashMap<String, PathBuf> {
    let paths = root().join("PATHS.txt");
    let text = std::fs::read_to_string(&paths).unwrap_or_else(|e| panic!("{}: {e}", paths.display()));
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), PathBuf::from(v.trim())))
        .collect()
}

/// `name` inside the sample set `key`.
pub fn in_set(key: &str, name: &str) -> PathBuf {
    let dir =
        sets().remove(key).unwrap_or_else(|| panic!("PATHS.txt has no {key}: rerun scripts/fetch-sample-data.sh"));
    dir.join(name)
}
