//! A corpus of malformed inputs run through the headless commands that read headers (`info`),
//! decode and assemble a volume (`bench load`) and rewrite whole objects (`deid`), each under a
//! 2 GiB address-space limit: every case ends with a clear error naming the file (or is read),
//! never a panic, a hang or an allocation of what the file merely declares.

mod sample_data;
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use support::{SliceSpec, axial_series};

const AS_LIMIT: &str = "--as=2147483648";

fn sumi_limited(args: &[&str]) -> Output {
    Command::new("prlimit")
        .arg(AS_LIMIT)
        .arg(env!("CARGO_BIN_EXE_sumi"))
        .args(args)
        .env("SUMI_LOG", "error")
        .output()
        .expect("run sumi under prlimit (util-linux)")
}

fn ct(dir: &Path, name: &str, edit: impl Fn(&mut dicom_object::InMemDicomObject)) -> PathBuf {
    let spec: SliceSpec = axial_series("1.2.3.4.5", 1, [0.0, 0.0, 0.0], 1.0).remove(0);
    let mut obj = spec.to_object();
    edit(&mut obj);
    let path = dir.join(name);
    let meta = dicom_object::FileMetaTableBuilder::new().transfer_syntax("1.2.840.10008.1.2.1");
    obj.with_meta(meta).unwrap().write_to_file(&path).unwrap();
    path
}

/// Splits a Part 10 file into (preamble + meta group, data set).
fn split_meta(bytes: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let glen = u32::from_le_bytes(bytes[140..144].try_into().unwrap()) as usize;
    (bytes[..144 + glen].to_vec(), bytes[144 + glen..].to_vec())
}

fn with_meta_ts(meta: &[u8], ts: &str) -> Vec<u8> {
    // Rebuild the meta group with another transfer syntax (the group length follows).
    let mut obj_meta = dicom_object::FileMetaTableBuilder::new()
        .transfer_syntax(ts)
        .media_storage_sop_class_uid(support::CT_IMAGE_STORAGE)
        .media_storage_sop_instance_uid("1.2.3.4.5.6")
        .build()
        .unwrap();
    let _ = meta;
    let mut out = vec![0u8; 128];
    out.extend_from_slice(b"DICM");
    obj_meta.update_information_group_length();
    obj_meta.write(&mut out).unwrap();
    out
}

/// A deflated data set that expands to `gib` GiB of zeros inside one OB value: built from one
/// sync-flushed compressed chunk repeated, so the test writes ~1 MB instead of compressing GiBs.
fn deflate_bomb(gib: u64) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    let mut head = Vec::new();
    head.extend_from_slice(&[0x08, 0x00, 0x05, 0x00, b'C', b'S', 10, 0]);
    head.extend_from_slice(b"ISO_IR 100");
    head.extend_from_slice(&[0x09, 0x00, 0x10, 0x00, b'O', b'B', 0, 0]);
    let total = gib << 30;
    head.extend_from_slice(&(total as u32).to_le_bytes());
    let mut c = Compress::new(Compression::fast(), false);
    let mut first = Vec::with_capacity(1 << 20);
    c.compress_vec(&head, &mut first, FlushCompress::Sync).unwrap();
    let chunk_plain = vec![0u8; 1 << 20];
    let mut c2 = Compress::new(Compression::fast(), false);
    let mut chunk = Vec::with_capacity(1 << 20);
    c2.compress_vec(&chunk_plain, &mut chunk, FlushCompress::Sync).unwrap();
    let mut out = first;
    for _ in 0..(total >> 20) {
        out.extend_from_slice(&chunk);
    }
    out.extend_from_slice(&[0x01, 0x00, 0x00, 0xFF, 0xFF]);
    out
}

struct Case {
    name: &'static str,
    dir: PathBuf,
    /// The file the error must name; None when the input may be read successfully.
    expect_error_about: Option<String>,
}

fn corpus(root: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut add = |name: &'static str, write: &dyn Fn(&Path) -> Option<String>| {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let expect = write(&dir);
        cases.push(Case { name, dir, expect_error_about: expect });
    };
    add("truncated-pixel-data", &|d| {
        let p = ct(d, "cut.dcm", |_| {});
        support::write_truncated(&p, |len| len - 300);
        Some("cut.dcm".into())
    });
    add("huge-declared-length", &|d| {
        let p = ct(d, "huge.dcm", |_| {});
        let (meta, ds) = split_meta(&std::fs::read(&p).unwrap());
        let mut bytes = meta;
        bytes.extend_from_slice(&[0x08, 0x00, 0x05, 0x00, b'C', b'S', 10, 0]);
        bytes.extend_from_slice(b"ISO_IR 100");
        bytes.extend_from_slice(&[0x09, 0x00, 0x10, 0x00, b'O', b'B', 0, 0]);
        bytes.extend_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        bytes.extend_from_slice(&ds[..64]);
        std::fs::write(&p, bytes).unwrap();
        Some("huge.dcm".into())
    });
    add("deflate-bomb", &|d| {
        let p = d.join("bomb.dcm");
        let p10 = ct(d, "tmp.dcm", |_| {});
        let (meta, _) = split_meta(&std::fs::read(&p10).unwrap());
        std::fs::remove_file(&p10).unwrap();
        let mut bytes = with_meta_ts(&meta, "1.2.840.10008.1.2.1.99");
        bytes.extend_from_slice(&deflate_bomb(3));
        std::fs::write(&p, bytes).unwrap();
        Some("bomb.dcm".into())
    });
    add("wrong-number-of-frames", &|d| {
        ct(d, "frames.dcm", |o| {
            o.put(DataElement::new(tags::NUMBER_OF_FRAMES, VR::IS, PrimitiveValue::from("5")));
        });
        Some("frames.dcm".into())
    });
    add("bits-stored-above-allocated", &|d| {
        ct(d, "bits.dcm", |o| {
            o.put(DataElement::new(tags::BITS_STORED, VR::US, PrimitiveValue::from(20u16)));
        });
        Some("bits.dcm".into())
    });
    add("bad-vr", &|d| {
        std::fs::copy(sample_data::in_set("PYDICOM_TEST_FILES", "badVR.dcm"), d.join("badVR.dcm")).unwrap();
        None
    });
    add("missing-meta", &|d| {
        let src = sample_data::in_set("PYDICOM_TEST_FILES", "ExplVR_LitEndNoMeta.dcm");
        std::fs::copy(src, d.join("nometa.dcm")).unwrap();
        None
    });
    add("un-sequence", &|d| {
        std::fs::copy(sample_data::in_set("PYDICOM_TEST_FILES", "UN_sequence.dcm"), d.join("un.dcm")).unwrap();
        None
    });
    add("not-dicom", &|d| {
        std::fs::write(d.join("notes.dcm"), "patient notes, not an image\n".repeat(20)).unwrap();
        Some("notes.dcm".into())
    });
    add("empty-file", &|d| {
        std::fs::write(d.join("empty.dcm"), b"").unwrap();
        Some("empty.dcm".into())
    });
    add("symlink-loop", &|d| {
        std::os::unix::fs::symlink(d.join("b"), d.join("a")).unwrap();
        std::os::unix::fs::symlink(d.join("a"), d.join("b")).unwrap();
        ct(d, "ok.dcm", |_| {});
        None
    });
    add("directory-named-like-a-file", &|d| {
        std::fs::create_dir_all(d.join("image.dcm")).unwrap();
        ct(d, "ok.dcm", |_| {});
        None
    });
    cases
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

#[test]
fn every_malformed_input_ends_in_a_clear_error_naming_the_file_without_panic_or_unbounded_memory() {
    let root = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for case in corpus(root.path()) {
        let d = case.dir.to_str().unwrap();
        let out_dir = root.path().join(format!("{}-out", case.name));
        let runs = [
            ("info", sumi_limited(&["info", d, "--json"])),
            ("bench load", sumi_limited(&["bench", "load", d, "--json"])),
            ("deid", sumi_limited(&["deid", d, out_dir.to_str().unwrap(), "--json"])),
        ];
        let mut named = false;
        for (what, out) in &runs {
            let t = text(out);
            if !matches!(out.status.code(), Some(0 | 1)) {
                failures.push(format!("{} / {what}: exit {:?}\n{t}", case.name, out.status.code()));
            }
            if let Some(file) = &case.expect_error_about {
                named |= t.contains(file.as_str());
            }
        }
        if case.expect_error_about.is_some() && !named {
            failures.push(format!("{}: no message names the file:\n{}", case.name, text(&runs[0].1)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
}

#[test]
fn the_declared_length_and_deflate_guards_give_their_own_reasons() {
    let root = tempfile::tempdir().unwrap();
    let cases = corpus(root.path());
    for (name, reason) in [("huge-declared-length", "declares 4294967280 bytes"), ("deflate-bomb", "deflate bomb")] {
        let case = cases.iter().find(|c| c.name == name).unwrap();
        let out = sumi_limited(&["info", case.dir.to_str().unwrap(), "--json"]);
        let t = text(&out);
        assert!(t.contains(reason), "{name}: {t}");
    }
}
