//! Non-DICOM images (PNG, JPEG, TIFF) in projects: scanning gives stable synthetic identities and
//! names corrupt files; the detector and review queue take them; `write_clean_foreign` fills
//! boxes black and carries no metadata over. Outputs are checked on their bytes with walkers
//! written here (PNG chunk types, JPEG markers, TIFF tags), independent of sumi's own parsers:
//! no EXIF/GPS/XMP/ICC/IPTC/text chunks/TIFF text tags remain; pixels outside the boxes equal the
//! decoded source (a JPEG without boxes keeps its image segments byte for byte); Secondary
//! Capture outputs read back in sumi and in pydicom; sources never change.
//!
//! Real files: Pillow 11.3.0's test images from the sample-data cache (scripts/fetch-sample-data.sh;
//! `$SUMI_SAMPLE_DATA` overrides its place) and, for pydicom, the venv from scripts/setup-python.sh.
//! The tests fail when either is missing.

mod sample_data;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use dicom_dictionary_std::tags;
use image::DynamicImage;
use sha2::{Digest, Sha256};
use sumi::deid::foreign::{ForeignOutput, JPEG_QUALITY, ScOptions, write_clean_foreign};
use sumi::deid::pixels::PixelBox;
use sumi::dicom::foreign::{ForeignKind, load_foreign_pixels};
use sumi::dicom::{decode_file, open_dicom, scan_paths};

const PILLOW: &str = "pillow/Tests/images";

fn sample(name: &str) -> PathBuf {
    let root = sample_data::root();
    let path = root.join(PILLOW).join(name);
    assert!(path.is_file(), "sample file missing: {} (run scripts/fetch-sample-data.sh)", path.display());
    path
}

fn sha(path: &Path) -> Vec<u8> {
    Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}

fn bx(x: u32, y: u32, w: u32, h: u32) -> PixelBox {
    PixelBox { x, y, w, h, first_frame: 0, last_frame: 0 }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Cleans `src` into `dir/name` and checks that the source did not change.
fn clean(
    src: &Path,
    boxes: &[PixelBox],
    dir: &Path,
    name: &str,
    output: &ForeignOutput,
) -> (PathBuf, serde_json::Value) {
    let before = sha(src);
    let out = dir.join(name);
    let report = write_clean_foreign(src, boxes, &out, output).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
    assert_eq!(sha(src), before, "{}: the source changed", src.display());
    (out, serde_json::to_value(report).unwrap())
}

/// Every sample of a decoded image (16-bit widened), with its channel count.
fn samples(image: &DynamicImage) -> (usize, Vec<u16>) {
    match image {
        DynamicImage::ImageLuma8(b) => (1, b.as_raw().iter().map(|&v| u16::from(v)).collect()),
        DynamicImage::ImageRgb8(b) => (3, b.as_raw().iter().map(|&v| u16::from(v)).collect()),
        DynamicImage::ImageLuma16(b) => (1, b.as_raw().clone()),
        DynamicImage::ImageRgb16(b) => (3, b.as_raw().clone()),
        other => panic!("unexpected layout {:?}", other.color()),
    }
}

fn in_boxes(boxes: &[PixelBox], x: u32, y: u32) -> bool {
    boxes.iter().any(|b| x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h)
}

/// The cleaned image `out` (decoded as `kind`) is black inside `boxes` and equals the decoded
/// source elsewhere, at full bit depth.
fn assert_pixels(src: &Path, out: &Path, kind: ForeignKind, boxes: &[PixelBox]) {
    let a = load_foreign_pixels(src, kind).unwrap();
    let b = load_foreign_pixels(out, kind).unwrap();
    assert_eq!((a.width(), a.height(), a.image.color()), (b.width(), b.height(), b.image.color()), "{}", src.display());
    let (n, sa) = samples(&a.image);
    let (_, sb) = samples(&b.image);
    let w = a.width() as usize;
    let mut black = 0;
    for (i, (pa, pb)) in sa.chunks_exact(n).zip(sb.chunks_exact(n)).enumerate() {
        let (x, y) = ((i % w) as u32, (i / w) as u32);
        if in_boxes(boxes, x, y) {
            assert!(pb.iter().all(|&v| v == 0), "{}: ({x}, {y}) in a box is {pb:?}", out.display());
            black += 1;
        } else {
            assert_eq!(pa, pb, "{}: ({x}, {y}) outside the boxes changed", out.display());
        }
    }
    assert!(black > 0, "the boxes cover pixels");
}

/// PNG chunk types in file order.
fn png_chunk_types(bytes: &[u8]) -> Vec<String> {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    let (mut pos, mut out) = (8, Vec::new());
    while pos + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        out.push(String::from_utf8_lossy(&bytes[pos + 4..pos + 8]).into_owned());
        pos += 12 + len;
    }
    out
}

/// The tags of every IFD of a classic TIFF.
fn tiff_ifds(bytes: &[u8]) -> Vec<Vec<u16>> {
    let le = &bytes[..2] == b"II";
    let u16_at = |at: usize| {
        let b = [bytes[at], bytes[at + 1]];
        if le { u16::from_le_bytes(b) } else { u16::from_be_bytes(b) }
    };
    let u32_at = |at: usize| {
        let b = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
        if le { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) }
    };
    assert_eq!(u16_at(2), 42, "classic TIFF");
    let (mut ifd, mut out) = (u32_at(4) as usize, Vec::new());
    while ifd != 0 && out.len() < 100 {
        let n = usize::from(u16_at(ifd));
        out.push((0..n).map(|k| u16_at(ifd + 2 + 12 * k)).collect());
        ifd = u32_at(ifd + 2 + 12 * n) as usize;
    }
    out
}

/// JPEG segments as (marker, bytes) from SOI to EOI; a scan includes its entropy-coded data.
fn jpeg_segments(bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    assert!(bytes.starts_with(&[0xFF, 0xD8]));
    let (mut i, mut out) = (2, Vec::new());
    loop {
        assert_eq!(bytes[i], 0xFF, "marker expected at {i}");
        let m = bytes[i + 1];
        if m == 0xD9 {
            out.push((m, bytes[i..i + 2].to_vec()));
            return out;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        let mut end = i + 2 + len;
        if m == 0xDA {
            while !(bytes[end] == 0xFF && bytes[end + 1] != 0 && !(0xD0..=0xD7).contains(&bytes[end + 1])) {
                end += 1;
            }
        }
        out.push((m, bytes[i..end].to_vec()));
        i = end;
    }
}

/// Byte patterns of metadata that no output may hold.
const METADATA_SIGNATURES: [&[u8]; 6] =
    [b"Exif\0\0", b"http://ns.adobe.com", b"ICC_PROFILE", b"Photoshop 3.0", b"MPF\0", b"XML:com.adobe.xmp"];

fn assert_no_metadata_signatures(out: &Path) {
    let bytes = std::fs::read(out).unwrap();
    for sig in METADATA_SIGNATURES {
        assert!(!contains(&bytes, sig), "{} holds {:?}", out.display(), String::from_utf8_lossy(sig));
    }
}

#[test]
fn png_outputs_keep_only_image_chunks_and_the_pixels_outside_the_boxes() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("exif.png", vec!["eXIf", "tEXt", "tIME"]),
        ("xmp_tags_orientation.png", vec!["iTXt", "iCCP"]),
        ("copyleft.png", vec!["tEXt", "tIME"]),
        ("itxt_chunks.png", vec!["iTXt", "tIME"]),
        ("hopper_idat_after_image_end.png", vec!["zTXt", "tEXt"]),
        ("i_trns.png", vec!["tRNS"]),
    ];
    let boxes = [bx(4, 5, 40, 12), bx(30, 10, 20, 30)];
    for (name, source_chunks) in cases {
        let src = sample(name);
        let before = png_chunk_types(&std::fs::read(&src).unwrap());
        for c in &source_chunks {
            assert!(before.iter().any(|t| t == c), "{name}: the sample should carry {c}: {before:?}");
        }
        let (out, report) = clean(&src, &boxes, dir.path(), name, &ForeignOutput::Native);
        let after: BTreeSet<String> = png_chunk_types(&std::fs::read(&out).unwrap()).into_iter().collect();
        let allowed: BTreeSet<String> = ["IHDR", "IDAT", "IEND"].map(String::from).into();
        assert!(after.is_subset(&allowed), "{name}: output chunks {after:?}");
        assert_no_metadata_signatures(&out);
        assert_pixels(&src, &out, ForeignKind::Png, &boxes);
        assert_eq!(report["reencoded"], true);
        assert_eq!(report["format"], "PNG");
    }
}

#[test]
fn png_exif_with_gps_and_text_is_reported_as_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (_, report) = clean(&sample("exif.png"), &[], dir.path(), "exif.png", &ForeignOutput::Native);
    let removed: Vec<&str> = report["removed"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    assert!(removed.iter().any(|r| r.starts_with("PNG eXIf")), "{removed:?}");
    assert!(removed.iter().any(|r| r.starts_with("PNG tEXt")), "{removed:?}");
    assert!(removed.iter().any(|r| r.starts_with("PNG tIME")), "{removed:?}");
}

/// TIFF tags that only describe the pixels (what the TIFF writer may put in).
const TIFF_LAYOUT: [u16; 14] = [256, 257, 258, 259, 262, 273, 277, 278, 279, 282, 283, 296, 317, 339];

#[test]
fn tiff_outputs_have_one_page_and_layout_tags_only() {
    let dir = tempfile::tempdir().unwrap();
    // (file, metadata tags it carries): EXIF IFD 34665, GPS IFD 34853 (0x8825), XMP 700,
    // Photoshop 34377, ICC 34675, ImageDescription 270, DocumentName 269, Software 305.
    let cases: [(&str, &[u16]); 4] = [
        ("ifd_tag_type.tiff", &[34665, 34853, 700, 305]),
        ("tiff_adobe_deflate.tif", &[34665, 34377, 34675, 700]),
        ("tiff_16bit_RGBa.tiff", &[34665, 34675, 700, 274]),
        ("hopper.tif", &[270, 269, 274]),
    ];
    let boxes = [bx(0, 0, 25, 7), bx(60, 20, 30, 15)];
    for (name, carried) in cases {
        let src = sample(name);
        let source_tags = &tiff_ifds(&std::fs::read(&src).unwrap())[0];
        for t in carried {
            assert!(source_tags.contains(t), "{name}: the sample should carry tag {t}: {source_tags:?}");
        }
        let (out, report) = clean(&src, &boxes, dir.path(), name, &ForeignOutput::Native);
        let ifds = tiff_ifds(&std::fs::read(&out).unwrap());
        assert_eq!(ifds.len(), 1, "{name}: one page");
        let extra: Vec<u16> = ifds[0].iter().copied().filter(|t| !TIFF_LAYOUT.contains(t)).collect();
        assert!(extra.is_empty(), "{name}: tags beyond the layout: {extra:?}");
        assert_no_metadata_signatures(&out);
        assert_pixels(&src, &out, ForeignKind::Tiff, &boxes);
        assert_eq!(report["pages_dropped"], 0);
    }
}

#[test]
fn only_the_first_page_of_a_multi_page_tiff_is_written_and_the_rest_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let src = sample("g4-multi.tiff");
    assert_eq!(tiff_ifds(&std::fs::read(&src).unwrap()).len(), 3);
    let boxes = [bx(100, 100, 400, 80)];
    let (out, report) = clean(&src, &boxes, dir.path(), "g4.tiff", &ForeignOutput::Native);
    assert_eq!(tiff_ifds(&std::fs::read(&out).unwrap()).len(), 1);
    assert_eq!(report["pages_dropped"], 2);
    assert!(report["removed"].as_array().unwrap().iter().any(|r| r == "2 more page(s) after the first"), "{report}");
    assert_pixels(&src, &out, ForeignKind::Tiff, &boxes);
}

#[test]
fn jpeg_without_boxes_keeps_its_image_segments_byte_for_byte_and_drops_every_metadata_segment() {
    let dir = tempfile::tempdir().unwrap();
    for name in
        ["exif_gps.jpg", "xmp_test.jpg", "pil_sample_cmyk.jpg", "hopper_gray.jpg", "sugarshack_bad_mpo_header.jpg"]
    {
        let src = sample(name);
        let source = std::fs::read(&src).unwrap();
        let (out, report) = clean(&src, &[], dir.path(), name, &ForeignOutput::Native);
        let output = std::fs::read(&out).unwrap();
        let is_meta = |m: u8| (0xE0..=0xEF).contains(&m) || m == 0xFE;
        let image_segments =
            |b: &[u8]| -> Vec<(u8, Vec<u8>)> { jpeg_segments(b).into_iter().filter(|(m, _)| !is_meta(*m)).collect() };
        assert_eq!(image_segments(&source), image_segments(&output), "{name}: tables, frame and scans unchanged");
        assert!(output.ends_with(&[0xFF, 0xD9]), "{name}: nothing after EOI");
        for (m, seg) in jpeg_segments(&output).into_iter().filter(|(m, _)| is_meta(*m)) {
            let jfif_without_thumbnail = m == 0xE0 && seg.len() == 18 && &seg[4..9] == b"JFIF\0" && seg[16..] == [0, 0];
            let adobe = m == 0xEE && &seg[4..9] == b"Adobe";
            assert!(jfif_without_thumbnail || adobe, "{name}: kept segment {m:#04X} {:?}", &seg[..seg.len().min(16)]);
        }
        assert_no_metadata_signatures(&out);
        assert_eq!(report["reencoded"], false);
        assert_eq!(report["jpeg_quality"], serde_json::Value::Null);
        let (a, b) = (decode_file(&src).unwrap(), decode_file(&out).unwrap());
        assert_eq!(a.rgb_frame(0).map(<[u8]>::to_vec), b.rgb_frame(0).map(<[u8]>::to_vec), "{name}: same pixels");
    }
    // The samples did carry what was dropped: GPS in EXIF, XMP, IPTC, a second image after EOI.
    let gps = std::fs::read(sample("exif_gps.jpg")).unwrap();
    let exif = &gps[gps.windows(6).position(|w| w == b"Exif\0\0").expect("EXIF") + 6..];
    let big_endian_tag = [0x88, 0x25];
    assert!(contains(&exif[..200], &big_endian_tag), "the sample's IFD0 points to a GPS IFD");
    assert!(contains(&std::fs::read(sample("xmp_test.jpg")).unwrap(), b"Photoshop 3.0"));
    let mpo = std::fs::read(sample("sugarshack_bad_mpo_header.jpg")).unwrap();
    let first_image: usize = 2 + jpeg_segments(&mpo).iter().map(|s| s.1.len()).sum::<usize>();
    assert!(first_image < mpo.len(), "the MPO sample holds a second image after its first EOI");
}

#[test]
fn jpeg_with_boxes_is_reencoded_at_the_stated_quality_with_black_boxes_and_no_metadata() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["xmp_test.jpg", "hopper_gray.jpg", "pil_sample_cmyk.jpg"] {
        let src = sample(name);
        // On the 16-pixel MCU grid, so that the box's inside does not share a block with the outside.
        let b = bx(16, 16, 48, 32);
        let (out, report) = clean(&src, &[b], dir.path(), name, &ForeignOutput::Native);
        assert_eq!(report["reencoded"], true);
        assert_eq!(report["jpeg_quality"], JPEG_QUALITY);
        assert_eq!(JPEG_QUALITY, 95);
        assert_no_metadata_signatures(&out);
        let decoded = load_foreign_pixels(&out, ForeignKind::Jpeg).unwrap();
        let (n, s) = samples(&decoded.image);
        let w = decoded.width() as usize;
        for y in b.y as usize..(b.y + b.h) as usize {
            for x in b.x as usize..(b.x + b.w) as usize {
                let px = &s[(y * w + x) * n..(y * w + x + 1) * n];
                assert!(px.iter().all(|&v| v <= 4), "{name}: ({x}, {y}) in the box reads {px:?} after re-encoding");
            }
        }
    }
}

#[test]
fn secondary_capture_outputs_read_back_in_sumi_and_pydicom_with_the_pseudonym_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let boxes = [bx(2, 3, 40, 20)];
    let cases = [
        ("exif.png", "RGB", 8, false),
        ("ifd_tag_type.tiff", "MONOCHROME2", 16, false),
        ("hopper_gray.jpg", "MONOCHROME2", 8, true),
    ];
    let mut outputs = Vec::new();
    for (k, (name, photometric, bits, lossy)) in cases.into_iter().enumerate() {
        let src = sample(name);
        let reviewed = k != 1;
        let options = ScOptions {
            patient_name: "ANON^0042".into(),
            patient_id: "P0042".into(),
            reviewed,
            study_uid: Some("2.25.42".into()),
            series_uid: None,
        };
        let (out, report) =
            clean(&src, &boxes, dir.path(), &format!("{k}.dcm"), &ForeignOutput::SecondaryCapture(options));
        assert_eq!(report["format"], "DICOM");
        let file = open_dicom(&out, false).unwrap();
        let text = |tag| {
            file.obj
                .element(tag)
                .ok()
                .and_then(|e| e.to_str().ok())
                .map(|s| s.trim_end_matches(['\0', ' ']).to_string())
        };
        assert_eq!(file.obj.meta().transfer_syntax().trim_end_matches('\0'), "1.2.840.10008.1.2.1");
        assert_eq!(text(tags::SOP_CLASS_UID).as_deref(), Some("1.2.840.10008.5.1.4.1.1.7"));
        assert_eq!(text(tags::SOP_INSTANCE_UID), report["sop_instance_uid"].as_str().map(String::from));
        assert_eq!(text(tags::STUDY_INSTANCE_UID).as_deref(), Some("2.25.42"));
        assert_eq!(text(tags::PATIENT_NAME).as_deref(), Some("ANON^0042"));
        assert_eq!(text(tags::PATIENT_ID).as_deref(), Some("P0042"));
        assert_eq!(text(tags::CONVERSION_TYPE).as_deref(), Some("WSD"));
        assert_eq!(text(tags::PATIENT_IDENTITY_REMOVED).as_deref(), Some("YES"));
        assert_eq!(text(tags::BURNED_IN_ANNOTATION).as_deref(), Some(if reviewed { "NO" } else { "YES" }));
        assert_eq!(text(tags::PHOTOMETRIC_INTERPRETATION).as_deref(), Some(photometric));
        assert_eq!(text(tags::LOSSY_IMAGE_COMPRESSION).as_deref(), lossy.then_some("01"));
        assert_eq!(file.obj.element(tags::BITS_ALLOCATED).unwrap().to_int::<u16>().unwrap(), bits);
        // Nothing of the source's name or metadata went in.
        let bytes = std::fs::read(&out).unwrap();
        assert!(!contains(&bytes, name.as_bytes()) && !contains(&bytes, b"pillow"), "{name}: source name in output");
        assert_no_metadata_signatures(&out);
        // sumi decodes the cleaned pixels: black boxes, the source elsewhere.
        let src_pixels = load_foreign_pixels(&src, ForeignKind::sniff(&std::fs::read(&src).unwrap()).unwrap()).unwrap();
        let (n, expected) = samples(&src_pixels.image);
        let decoded = decode_file(&out).unwrap();
        let w = decoded.cols;
        let got: Vec<u16> = match decoded.rgb_frame(0) {
            Some(rgb) => rgb.iter().map(|&v| u16::from(v)).collect(),
            None => {
                let mut v = Vec::new();
                decoded.for_each_stored(|s| v.push(s as u16));
                v
            }
        };
        let mut sum = 0u64;
        for (i, (e, g)) in expected.chunks_exact(n).zip(got.chunks_exact(n)).enumerate() {
            let (x, y) = ((i % w) as u32, (i / w) as u32);
            let want: Vec<u16> = if in_boxes(&boxes, x, y) { vec![0; n] } else { e.to_vec() };
            assert_eq!(g, &want[..], "{name}: ({x}, {y})");
            sum += want.iter().map(|&v| u64::from(v)).sum::<u64>();
        }
        outputs.push((out, photometric, sum, src_pixels.height(), src_pixels.width()));
    }
    // pydicom reads the same pixels (sum of all samples) and the same attributes.
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache/venv/bin/python");
    assert!(python.is_file(), "{} missing: run scripts/setup-python.sh", python.display());
    let script = "import sys, pydicom\nfor p in sys.argv[1:]:\n    ds = pydicom.dcmread(p)\n    a = ds.pixel_array\n    print(ds.SOPClassUID, ds.PhotometricInterpretation, ds.PatientName, ds.PatientIdentityRemoved, a.shape[0], a.shape[1], int(a.astype('int64').sum()))\n";
    let run = Command::new(&python).arg("-c").arg(script).args(outputs.iter().map(|o| &o.0)).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "pydicom failed:\n{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), outputs.len(), "{stdout}");
    for (line, (out, photometric, sum, rows, cols)) in lines.iter().zip(&outputs) {
        let want = format!("1.2.840.10008.5.1.4.1.1.7 {photometric} ANON^0042 YES {rows} {cols} {sum}");
        assert_eq!(*line, want, "{}", out.display());
    }
}

#[test]
fn scanning_a_folder_of_images_twice_gives_the_same_identities_and_names_corrupt_files() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    for name in
        ["exif.png", "exif_gps.jpg", "hopper.tif", "copyleft.png", "broken_data_stream.png", "truncated_image.png"]
    {
        std::fs::copy(sample(name), photos.join(name)).unwrap();
    }
    // A copy under another name is the same image: one instance.
    std::fs::copy(sample("exif.png"), photos.join("exif copy.png")).unwrap();
    let first = scan_paths(std::slice::from_ref(&photos), &|_, _| {});
    let second = scan_paths(&[dir.path().join("photos/../photos")], &|_, _| {});
    let ids = |r: &sumi::dicom::ScanReport| -> BTreeSet<(String, String, String, String)> {
        r.instances
            .iter()
            .map(|m| {
                (
                    m.path.file_name().unwrap().to_string_lossy().into_owned(),
                    m.sop_instance_uid.clone(),
                    m.study_uid.clone(),
                    m.series_uid.clone(),
                )
            })
            .collect()
    };
    assert_eq!(first.instances.len(), 4, "{:?}", first.unreadable);
    assert_eq!(ids(&first), ids(&second), "stable synthetic UIDs, also through another spelling of the folder");
    assert_eq!(first.skipped, vec![photos.join("exif.png")], "the second copy (in name order) is skipped");
    let by_name = |n: &str| first.instances.iter().find(|m| m.path.ends_with(n)).unwrap();
    for m in &first.instances {
        assert!(m.sop_instance_uid.starts_with("2.25.") && m.sop_instance_uid.len() <= 64);
        assert_eq!(m.sop_class_uid, "1.2.840.10008.5.1.4.1.1.7");
        assert_eq!(m.study_uid, first.instances[0].study_uid, "one study per folder");
        assert!(m.patient_id.is_none() && m.patient_name.is_none(), "no invented patient");
        assert!(sumi::deid::text_queue::needs_text_review(m), "{}: always reviewed", m.path.display());
        let image = m.image.as_ref().unwrap();
        assert_eq!(image.frames, 1);
    }
    let (png, jpg, tif) = (by_name("exif copy.png"), by_name("exif_gps.jpg"), by_name("hopper.tif"));
    assert_eq!((png.modality.as_deref(), png.transfer_syntax.as_str()), (Some("OT"), "image/png"));
    assert_eq!((jpg.modality.as_deref(), jpg.transfer_syntax.as_str()), (Some("XC"), "image/jpeg"));
    assert_eq!((tif.modality.as_deref(), tif.transfer_syntax.as_str()), (Some("XC"), "image/tiff"));
    let img = png.image.as_ref().unwrap();
    assert_eq!((img.cols, img.rows, img.samples_per_pixel, img.photometric.as_str()), (512, 512, 3, "RGB"));
    let grey = by_name("copyleft.png").image.as_ref().unwrap();
    assert_eq!((grey.samples_per_pixel, grey.photometric.as_str()), (1, "MONOCHROME2"));
    assert_ne!(png.series_uid, jpg.series_uid, "one series per size and colour");
    // Corrupt PNGs are unreadable with a reason naming the file and the format.
    assert_eq!(first.unreadable.len(), 2, "{:?}", first.unreadable);
    for u in &first.unreadable {
        assert_eq!(u.kind, "bad_image");
        assert!(u.reason.contains(&u.path.display().to_string()) && u.reason.contains("PNG"), "{}", u.reason);
    }
    let e =
        decode_file(&photos.join("truncated_image.png")).err().expect("a truncated PNG does not decode").to_string();
    assert!(e.contains("truncated_image.png") && e.contains("unreadable PNG image"), "{e}");
    // Importing twice changes nothing.
    let mut project = sumi::project::Project::open(&dir.path().join("p.sumi")).unwrap();
    let a = sumi::project::import_scan(&mut project, &first, "tester", &[]).unwrap();
    let again = scan_paths(std::slice::from_ref(&photos), &|_, _| {});
    let b = sumi::project::import_scan(&mut project, &again, "tester", &[]).unwrap();
    assert_eq!((a.new_instances, b.new_instances, b.updated_instances), (4, 0, 0));
}

#[test]
fn the_detector_and_the_review_queue_take_foreign_images() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    for name in ["itxt_chunks.png", "hopper.tif", "xmp_test.jpg"] {
        std::fs::copy(sample(name), photos.join(name)).unwrap();
    }
    let d = sumi::deid::text::detect_file(&photos.join("itxt_chunks.png")).unwrap();
    assert_eq!((d.width, d.height, d.frames), (2400, 2000, 1));
    let scan = scan_paths(std::slice::from_ref(&photos), &|_, _| {});
    assert_eq!(scan.instances.len(), 3, "{:?}", scan.unreadable);
    let mut project = sumi::project::Project::open(&dir.path().join("p.sumi")).unwrap();
    sumi::project::import_scan(&mut project, &scan, "tester", &[]).unwrap();
    let summary =
        sumi::deid::text_queue::propose_for_project(&mut project, &scan.instances, Default::default()).unwrap();
    assert_eq!((summary.examined, summary.queued), (3, 3), "{:?}", summary.failed);
    assert_eq!(project.text_review_queue().unwrap().len(), 3);
}

#[test]
fn boxes_outside_the_image_and_writing_over_the_source_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("shot.png");
    std::fs::copy(sample("copyleft.png"), &src).unwrap();
    let before = sha(&src);
    let e = write_clean_foreign(&src, &[bx(500, 0, 10, 10)], &dir.path().join("o.png"), &ForeignOutput::Native)
        .unwrap_err()
        .to_string();
    assert!(e.contains("shot.png") && e.contains("outside"), "{e}");
    let e = write_clean_foreign(&src, &[], &src, &ForeignOutput::Native).unwrap_err().to_string();
    assert!(e.contains("shot.png") && e.contains("source"), "{e}");
    assert_eq!(sha(&src), before);
    assert!(!dir.path().join("o.png").exists(), "no output after an error");
    let dicom = dir.path().join("x.dcm");
    std::fs::write(&dicom, b"not an image at all").unwrap();
    let e =
        write_clean_foreign(&dicom, &[], &dir.path().join("o2.png"), &ForeignOutput::Native).unwrap_err().to_string();
    assert!(e.contains("x.dcm") && e.contains("not a PNG, JPEG or TIFF"), "{e}");
}

#[test]
fn cli_clean_image_writes_the_output_and_prints_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let boxes = dir.path().join("boxes.json");
    std::fs::write(&boxes, r#"[{"x": 1, "y": 1, "w": 4, "h": 4, "score": 0.9, "reason": "reviewer"}]"#).unwrap();
    let out = dir.path().join("clean.dcm");
    let run = Command::new(env!("CARGO_BIN_EXE_sumi"))
        .arg("clean-image")
        .arg(sample("exif_gps.jpg"))
        .arg("--boxes")
        .arg(&boxes)
        .arg("--out")
        .arg(&out)
        .args(["--as-dicom", "--patient-id", "P1", "--reviewed"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["format"], "DICOM");
    assert_eq!(report["pixels_filled"], 16);
    assert!(
        report["removed"].as_array().unwrap().iter().any(|r| r.as_str().unwrap().starts_with("EXIF with GPS")),
        "{report}"
    );
    assert_eq!(decode_file(&out).unwrap().rows, 8);
}
