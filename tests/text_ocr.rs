//! OCR of proposed burned-in text boxes and the match of what it reads against the header's PHI:
//! strings built from a real header drawn onto a real ultrasound frame, Japanese text, the
//! hand-drawn truth boxes of the real ultrasound samples, the CLI and the review queue.
//!
//! Needs the tesseract command with English and Japanese data (Debian: tesseract-ocr
//! tesseract-ocr-eng tesseract-ocr-jpn) and the sample-data cache (`scripts/fetch-sample-data.sh`,
//! or `$SUMI_SAMPLE_DATA`). Without either the tests fail: they do not skip.

mod sample_data;

use std::path::Path;

use dicom_dictionary_std::tags;
use sumi::deid::text::eval::{TruthBox, coverage};
use sumi::deid::text::ocr::{Lang, Region, check, read_boxes, read_regions};
use sumi::deid::text::phi_match::parse_da;
use sumi::deid::text::{
    DetectOptions, LumaFrames, PatientPhi, TextBox, TextClass, detect_file_with, detect_frames, header_hints, to_luma,
};
use sumi::deid::text_queue::{ProposeOptions, propose_for_project};
use sumi::demo::glyphs::Canvas;
use sumi::dicom::{decode_file, open_dicom, scan_paths};
use sumi::project::text_review::risk;
use sumi::project::{Project, import_scan};

fn tesseract() {
    check(Lang::EnglishJapanese).unwrap_or_else(|e| panic!("{e}"));
}

const US: &str = "deid-data/deid_data/data/ultrasounds";
const PD: &str = "pydicom-data/data_store/data";

/// One file per truth image (the transfer-syntax variants of `tests/text_detection.rs` show the
/// same pixels).
const REAL: &[(&str, &str, &str)] = &[
    (US, "GREYSCALE_IMAGE.dcm", "GREYSCALE_IMAGE"),
    (US, "RGB_IMAGE.dcm", "RGB_IMAGE"),
    (US, "ultrasound-multiframe.dcm", "ultrasound-multiframe"),
    (PD, "US1_UNCR.dcm", "US1"),
    (PD, "OBXXXX1A.dcm", "OBXXXX1A"),
    (PD, "OBXXXX1A_2frame.dcm", "OBXXXX1A_2frame"),
    (PD, "gdcm-US-ALOKA-16.dcm", "gdcm-US-ALOKA-16"),
];

fn truth(name: &str) -> Vec<TruthBox> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/burned-in-truth").join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn phi_of(path: &Path) -> PatientPhi {
    PatientPhi::from_header(&open_dicom(path, true).unwrap_or_else(|e| panic!("{e}")).obj)
}

fn header_text(path: &Path, tag: dicom_core::Tag) -> String {
    let file = open_dicom(path, true).unwrap_or_else(|e| panic!("{e}"));
    let v = file.obj.element(tag).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    v.to_str().unwrap().trim().to_string()
}

fn luma_of(path: &Path) -> LumaFrames {
    to_luma(&decode_file(path).unwrap_or_else(|e| panic!("{e}")))
}

/// Proposals in frame `k` that cover at least 90 % of `t`.
fn over(boxes: &[TextBox], t: [u32; 4], k: u32) -> Vec<&TextBox> {
    boxes.iter().filter(|b| b.frames.0 <= k && k <= b.frames.1 && coverage(t, &[[b.x, b.y, b.w, b.h]]) >= 0.9).collect()
}

#[test]
fn header_phi_drawn_on_a_real_ultrasound_frame_is_read_and_marked_and_settings_are_technical() {
    tesseract();
    let path = sample_data::root().join(US).join("RGB_IMAGE.dcm");
    let phi = phi_of(&path);
    // The strings as a screen would show them, from this file's own header.
    let name =
        header_text(&path, tags::PATIENT_NAME).split('^').filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ");
    let id = header_text(&path, tags::PATIENT_ID);
    let born = parse_da(&header_text(&path, tags::PATIENT_BIRTH_DATE)).expect("the sample has a birth date");
    let cases = [
        (name, TextClass::Phi { field: "Patient's Name" }),
        (format!("ID {id}"), TextClass::Phi { field: "Patient ID" }),
        (format!("DOB {:02}/{:02}/{}", born.m, born.d, born.y), TextClass::Phi { field: "Patient's Birth Date" }),
        ("12.5 MHz".to_string(), TextClass::Technical),
        ("Depth 16 cm".to_string(), TextClass::Technical),
        ("LIVER LONG".to_string(), TextClass::Text),
    ];
    let mut luma = luma_of(&path);
    let regions = header_hints(&open_dicom(&path, true).unwrap().obj).regions;
    // Inside the ultrasound region, over the anatomy.
    let (x0, y0) = regions.first().map_or((200, 150), |r| (r[0] + 60, r[1] + 60));
    let (w, h) = (luma.width as u32, luma.height as u32);
    let drawn: Vec<[u32; 4]> = cases
        .iter()
        .enumerate()
        .map(|(i, (text, _))| {
            let mut c = Canvas { data: &mut luma.pixels[..(w * h) as usize], width: w, height: h, channels: 1 };
            c.draw_text(x0, y0 + 40 * i as u32, text, 2, &[255])
        })
        .collect();

    // The exact boxes, read directly.
    let exact: Vec<Region> = drawn.iter().map(|&rect| Region { frame: 0, rect }).collect();
    let texts = read_regions(&luma, &exact, Lang::English).unwrap();
    for ((text, want), read) in cases.iter().zip(&texts) {
        println!("drawn {text:?} read {read:?} → {:?}", phi.classify(read));
        assert_eq!(phi.classify(read), *want, "drawn {text:?}, read {read:?}");
    }

    // The detector's boxes, read through the same path as `detect-text --ocr`. Their crops differ
    // from the exact ones by a pixel or two, and the 5×7 font's "p" reads as "r" or not (Depth,
    // Derth, Perth): what must hold is that PHI is marked with its field and nothing else is.
    let mut boxes = detect_frames(&luma, &regions);
    read_boxes(&luma, &mut boxes, &phi).unwrap();
    for ((text, want), &rect) in cases.iter().zip(&drawn) {
        let found = over(&boxes, rect, 0);
        assert!(!found.is_empty(), "no proposal over {text:?}");
        println!("proposal over {text:?} read {:?}", found.iter().map(|b| &b.ocr_text).collect::<Vec<_>>());
        match want {
            TextClass::Phi { field } => {
                let b = found.iter().find(|b| b.class == Some(*want)).unwrap_or_else(|| panic!("{text:?}: {found:#?}"));
                assert!(b.reason.starts_with(&format!("PHI: matches {field}")), "{}", b.reason);
            }
            _ => assert!(found.iter().all(|b| b.class.is_some_and(|c| c.phi_field().is_none())), "{found:#?}"),
        }
    }
}

/// Pastes a white-on-black PNG into frame 0 at (x, y), keeping the lighter pixel (screen text is
/// drawn over the image).
fn paste(luma: &mut LumaFrames, png: &Path, x: u32, y: u32) -> [u32; 4] {
    let img = image::open(png).unwrap_or_else(|e| panic!("{}: {e}", png.display())).to_luma8();
    for (dx, dy, p) in img.enumerate_pixels() {
        let i = ((y + dy) as usize) * luma.width + (x + dx) as usize;
        luma.pixels[i] = luma.pixels[i].max(p.0[0]);
    }
    [x, y, img.width(), img.height()]
}

/// The top-left corner of the `w`×`h` window of frame 0 whose brightest pixel is darkest.
fn dark_spot(luma: &LumaFrames, w: usize, h: usize) -> (u32, u32) {
    let brightest = |x: usize, y: usize| (y..y + h).flat_map(|yy| luma.pixels[yy * luma.width + x..][..w].iter()).max();
    let spots = (0..luma.height - h).step_by(8).flat_map(|y| (0..luma.width - w).step_by(8).map(move |x| (x, y)));
    let (x, y) = spots.min_by_key(|&(x, y)| brightest(x, y)).unwrap();
    (x as u32, y as u32)
}

#[test]
fn japanese_names_and_era_dates_are_read_with_japanese_data_and_matched() {
    tesseract();
    let mut phi = PatientPhi::default();
    phi.add_name("Patient's Name", "Yamada^Tarou=山田^太郎=やまだ^たろう");
    phi.add_date("Patient's Birth Date", "19510829");
    assert_eq!(Lang::for_patient(&phi), Lang::EnglishJapanese);
    let mut luma = luma_of(&sample_data::root().join(PD).join("US1_UNCR.dcm"));
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ocr");
    // Where devices write: on the screen's dark background.
    let (x, y) = dark_spot(&luma, 200, 70);
    let name = paste(&mut luma, &data.join("ja-name.png"), x + 20, y + 5);
    let born = paste(&mut luma, &data.join("ja-birth-date.png"), x + 20, y + 40);
    let regions = [Region { frame: 0, rect: name }, Region { frame: 0, rect: born }];
    let texts = read_regions(&luma, &regions, Lang::EnglishJapanese).unwrap();
    println!("read {texts:?}");
    assert_eq!(phi.classify(&texts[0]), TextClass::Phi { field: "Patient's Name" }, "{texts:?}");
    assert_eq!(phi.classify(&texts[1]), TextClass::Phi { field: "Patient's Birth Date" }, "{texts:?}");
}

/// Lower-case letters and digits only, for comparing what was read with what is there.
fn letters(s: &str) -> Vec<char> {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = (diag + usize::from(ca != cb)).min(up + 1).min(row[j] + 1);
            diag = up;
        }
    }
    row[b.len()]
}

#[test]
fn truth_boxes_of_the_real_samples_whose_text_is_a_header_value_are_marked_phi_and_no_other_is() {
    tesseract();
    let cache = sample_data::root();
    let (mut chars, mut errors, mut header_phi, mut marked, mut false_phi) = (0, 0, 0, 0, Vec::new());
    for (dir, file, name) in REAL {
        let path = cache.join(dir).join(file);
        let phi = phi_of(&path);
        let luma = luma_of(&path);
        let truth = truth(name);
        let regions: Vec<Region> =
            truth.iter().map(|t| Region { frame: t.frames.map_or(0, |f| f[0] as usize), rect: t.bbox }).collect();
        let texts = read_regions(&luma, &regions, Lang::for_patient(&phi)).unwrap();
        println!("{file}:");
        for (t, read) in truth.iter().zip(&texts) {
            let class = phi.classify(read);
            let expected = phi.find(&t.text);
            let (a, b) = (letters(&t.text), letters(read));
            chars += a.len();
            errors += edit_distance(&a, &b);
            println!(
                "  {:<26} {:<5} header: {:<26} read {:<26} → {}",
                format!("{:?}", t.text),
                if t.phi { "PHI" } else { "" },
                expected.unwrap_or("-"),
                format!("{read:?}"),
                class.label()
            );
            // What the header holds, read off the screen, is marked with the field it matches.
            if let Some(field) = expected {
                header_phi += 1;
                assert_eq!(class, TextClass::Phi { field }, "{file}: {:?} read as {read:?}", t.text);
                marked += 1;
            }
            if !t.phi && class.phi_field().is_some() {
                false_phi.push(format!("{file}: {:?} read {read:?} → {}", t.text, class.label()));
            }
        }
    }
    println!(
        "character error rate {:.3} ({errors}/{chars}); truth boxes showing a header value: {header_phi}, marked PHI: {marked}",
        errors as f64 / chars as f64
    );
    assert!(false_phi.is_empty(), "text that is not PHI marked as PHI: {false_phi:#?}");
    assert!(header_phi >= 10, "the samples show header values in {header_phi} boxes only");
}

#[test]
fn detect_with_ocr_marks_proposals_over_header_phi_and_reports_ocr_time_apart() {
    tesseract();
    let cache = sample_data::root();
    let (mut boxes_read, mut ocr_ms, mut images) = (0, 0.0, 0);
    for (dir, file, name) in REAL {
        let path = cache.join(dir).join(file);
        let phi = phi_of(&path);
        let d = detect_file_with(&path, DetectOptions { ocr: true }).unwrap();
        assert_eq!(d.ocr_error, None);
        let ms = d.ocr_millis.expect("OCR ran");
        assert!(d.boxes.iter().all(|b| b.ocr_text.is_some() && b.class.is_some()));
        println!(
            "{file}: {} boxes, detection {:.0} ms/frame, OCR {ms:.0} ms ({:.1} ms/box)",
            d.boxes.len(),
            d.detect_millis / f64::from(d.frames),
            ms / d.boxes.len().max(1) as f64
        );
        (boxes_read, ocr_ms, images) = (boxes_read + d.boxes.len(), ocr_ms + ms, images + 1);
        let truth = truth(name);
        for t in truth.iter().filter(|t| phi.find(&t.text).is_some()) {
            let k = t.frames.map_or(0, |f| f[0]);
            let found = over(&d.boxes, t.bbox, k);
            assert!(
                found.iter().any(|b| b.class.is_some_and(|c| c.phi_field().is_some())),
                "{file}: {:?} not marked PHI: {found:#?}",
                t.text
            );
        }
        // A proposal marked PHI lies over text the truth calls PHI.
        for b in d.boxes.iter().filter(|b| b.class.is_some_and(|c| c.phi_field().is_some())) {
            let on_phi = truth.iter().filter(|t| t.phi).any(|t| coverage(t.bbox, &[[b.x, b.y, b.w, b.h]]) > 0.5);
            assert!(on_phi, "{file}: {b:#?} is marked PHI over no PHI text");
        }
    }
    println!(
        "OCR over {images} images: {:.0} ms per image, {:.1} ms per box",
        ocr_ms / images as f64,
        ocr_ms / boxes_read as f64
    );
}

fn sumi(args: &[&str], paths: &[&Path], tesseract: Option<&str>) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_sumi"));
    cmd.args(args).args(paths).env("SUMI_LOG", "error");
    if let Some(t) = tesseract {
        cmd.env("SUMI_TESSERACT", t);
    }
    cmd.output().unwrap()
}

#[test]
fn cli_ocr_reports_text_class_and_time_and_a_missing_tesseract_is_one_line_with_boxes_still_reported() {
    tesseract();
    let rgb = sample_data::root().join(US).join("RGB_IMAGE.dcm");
    let out = sumi(&["detect-text", "--ocr", "--json"], &[&rgb], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let file = &report[0];
    assert!(file["ocr_millis"].as_f64().unwrap() > 0.0 && file["ocr_millis_per_box"].is_f64());
    let boxes = file["boxes"].as_array().unwrap();
    assert!(boxes.iter().all(|b| b["ocr_text"].is_string() && b["class"].is_string()));
    let name = boxes.iter().find(|b| b["phi_field"] == "Patient's Name").expect("a box shows the patient's name");
    assert_eq!(name["class"], "phi");
    assert!(name["reason"].as_str().unwrap().starts_with("PHI: matches Patient's Name"));

    let missing = sumi(&["detect-text", "--ocr", "--json"], &[&rgb, &rgb], Some("/nonexistent/tesseract"));
    assert!(!missing.status.success());
    let stderr = String::from_utf8(missing.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("OCR needs the tesseract command (Debian: tesseract-ocr"), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&missing.stdout).unwrap();
    assert_eq!(report[0]["boxes"].as_array().unwrap().len(), boxes.len(), "detection still reports its boxes");
    assert!(report[0]["boxes"][0].get("ocr_text").is_none());
}

#[test]
fn review_queue_with_ocr_puts_instances_showing_header_phi_first() {
    tesseract();
    let dir = tempfile::tempdir().unwrap();
    let us = sample_data::root().join(US);
    let scan = scan_paths(&[us.join("GREYSCALE_IMAGE.dcm"), us.join("ultrasound-multiframe.dcm")], &|_, _| {});
    let mut project = Project::open(&dir.path().join("p.sumi")).unwrap();
    import_scan(&mut project, &scan, "importer", &[]).unwrap();
    let summary = propose_for_project(&mut project, &scan.instances, ProposeOptions { ocr: true }).unwrap();
    assert!(summary.ocr_errors.is_empty(), "{:?}", summary.ocr_errors);
    let queue = project.text_review_queue().unwrap();
    let risks: Vec<(i64, &str)> =
        queue.iter().map(|q| (q.risk, Path::new(&q.path).file_name().unwrap().to_str().unwrap())).collect();
    // The truth marks no PHI on the cine's screen; the greyscale image shows name, birth date,
    // institution and study date.
    assert_eq!(risks, vec![(risk::PHI_MATCH, "GREYSCALE_IMAGE.dcm"), (risk::TEXT, "ultrasound-multiframe.dcm")]);
    assert_eq!(summary.phi_matches, 1);
    let first = &queue[0].proposed;
    assert!(first.iter().any(|b| b.is_phi() && b.phi_field.as_deref() == Some("Patient's Name")), "{first:#?}");
    assert!(first.iter().all(|b| b.ocr_text.is_some()));
}
