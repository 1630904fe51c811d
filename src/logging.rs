//! Logging: warnings to stderr (`$SUMI_LOG` sets the filter) and everything from `info` up
//! appended to `<data dir>/logs/sumi.log`. The file is rotated by size at start-up (kept as
//! `sumi.log.1`), so a long-lived installation does not grow it without bound. Panics are logged too.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// A log file larger than this at start-up is moved to `sumi.log.1` (the previous one dropped).
pub const ROTATE_BYTES: u64 = 8 * 1024 * 1024;

/// Target of events already shown to the user another way (the CLI's final error line, a panic
/// message): they go to the log file only.
pub const FILE_ONLY: &str = "sumi::file_only";

fn stderr_filter() -> EnvFilter {
    let filter = EnvFilter::try_from_env("SUMI_LOG").unwrap_or_else(|_| "warn".into());
    filter.add_directive(format!("{FILE_ONLY}=off").parse().expect("a valid directive"))
}

/// Opens (creating the folder) the log file for appending, rotating it first when it is large.
pub fn open_log_file(path: &Path) -> Result<std::fs::File, String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create the log folder: {e}", dir.display()))?;
    }
    if std::fs::metadata(path).is_ok_and(|m| m.len() > ROTATE_BYTES) {
        let mut old = path.as_os_str().to_os_string();
        old.push(".1");
        let _ = std::fs::rename(path, PathBuf::from(old));
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("{}: cannot open the log file: {e}", path.display()))
}

/// Stderr only (when the log file cannot be opened, or is not wanted).
pub fn init_stderr() {
    let _ = tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_filter(stderr_filter()))
        .try_init();
}

/// Stderr plus the log file at `path`. On error, stderr only, and the error is returned (for the
/// problems panel); logging never stops the program.
pub fn init(path: &Path) -> Result<(), String> {
    let file = match open_log_file(path) {
        Ok(f) => f,
        Err(e) => {
            init_stderr();
            return Err(e);
        }
    };
    let file_layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .with_filter(EnvFilter::new("info,wgpu_core=warn,wgpu_hal=warn,naga=warn,eframe=warn,egui_wgpu=warn"));
    let _ = tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_filter(stderr_filter()))
        .with(file_layer)
        .try_init();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        tracing::error!(target: FILE_ONLY, "panic: {info}");
        previous(info);
    }));
    tracing::info!(version = env!("CARGO_PKG_VERSION"), pid = std::process::id(), "sumi started");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_file_is_created_with_its_folder_and_rotated_when_large() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs").join("sumi.log");
        drop(open_log_file(&path).unwrap());
        assert!(path.exists());
        std::fs::write(&path, vec![b'x'; ROTATE_BYTES as usize + 1]).unwrap();
        drop(open_log_file(&path).unwrap());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "a fresh file after rotation");
        assert!(dir.path().join("logs").join("sumi.log.1").exists(), "the old log is kept as .1");
    }

    #[test]
    fn unwritable_log_path_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, b"").unwrap();
        let err = open_log_file(&blocker.join("logs").join("sumi.log")).unwrap_err();
        assert!(err.contains(&blocker.display().to_string()), "{err}");
    }
}
