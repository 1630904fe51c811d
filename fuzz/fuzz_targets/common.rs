//! The targets' shared helper: the library reads files by path, so each input is written to a
//! per-process file in /dev/shm (memory) first.

use std::path::PathBuf;

pub fn input_file(data: &[u8], ext: &str) -> PathBuf {
    let dir = std::path::Path::new("/dev/shm");
    let dir = if dir.is_dir() { dir.to_path_buf() } else { std::env::temp_dir() };
    let path = dir.join(format!("sumi-fuzz-{}.{ext}", std::process::id()));
    std::fs::write(&path, data).expect("write the fuzz input");
    path
}
