//! Inputs the fuzzers (scripts/fuzz.sh) found crashing or exhausting memory, minimised and kept
//! in tests/data/fuzz-regressions/ (name: `<target>-<what>.<ext>`). Each is replayed through the
//! headless commands: a clean exit (an uncaught panic exits 101; a decoder panic caught and
//! reported as an error naming the file is fine), and a peak resident size far below what the input
//! merely declares (a memory limit would hide the fault: the parser's allocation would just fail).

use std::path::Path;
use std::process::Command;

#[test]
fn every_fuzz_regression_input_is_handled_cleanly_under_a_memory_limit() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz-regressions");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(!files.is_empty(), "no regression inputs in {}", dir.display());
    let mut failures = Vec::new();
    for f in &files {
        let work = tempfile::tempdir().unwrap();
        std::fs::copy(f, work.path().join(f.file_name().unwrap())).unwrap();
        let d = work.path().to_str().unwrap();
        for args in [vec!["info", d, "--json"], vec!["bench", "load", d, "--json"]] {
            let out = Command::new(env!("CARGO_BIN_EXE_sumi"))
                .args(&args)
                .env("SUMI_LOG", "error")
                .output()
                .expect("run sumi");
            let text = String::from_utf8_lossy(&out.stderr);
            if !matches!(out.status.code(), Some(0 | 1)) {
                failures.push(format!("{} / {}: exit {:?}: {text}", f.display(), args[0], out.status.code()));
            }
        }
    }
    // The largest resident size of any child this test waited for (this binary runs only this test).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the struct it is given.
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) }, 0);
    let peak_mib = usage.ru_maxrss / 1024;
    assert!(peak_mib < 512, "a child peaked at {peak_mib} MiB");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Inputs that are slow inside a third-party codec (docs/FUZZING.md, "Open, outside sumi"): they
/// still end in an error naming the file, in bounded memory.
#[test]
fn inputs_slow_inside_a_codec_end_in_an_error_naming_the_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz-slow");
    for f in std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()) {
        let work = tempfile::tempdir().unwrap();
        let copy = work.path().join(f.file_name().unwrap());
        std::fs::copy(&f, &copy).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_sumi"))
            .args(["bench", "load", work.path().to_str().unwrap(), "--json"])
            .env("SUMI_LOG", "error")
            .output()
            .expect("run sumi");
        let text = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}: {text}", f.display());
        assert!(text.contains(&copy.display().to_string()) && text.contains("JPEG-LS"), "{text}");
    }
}
