//! `sumi detect-text`: proposes burned-in text boxes per file and frame (see `sumi::deid::text`),
//! with `--ocr` the text read in each box and whether it shows the header's PHI.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rayon::prelude::*;
use serde_json::json;
use sumi::deid::text::{DetectOptions, FileDetection, detect_file_with, ocr_ready};

use super::CliResult;

/// Files named directly, and every file under the folders named (sorted, hidden ones skipped).
fn expand(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = walkdir::WalkDir::new(p)
                .into_iter()
                .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
                .map(|e| e.into_path())
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    out
}

fn to_json(d: &FileDetection) -> serde_json::Value {
    let boxes: Vec<_> = d
        .boxes
        .iter()
        .map(|b| {
            let mut j = json!({"box": [b.x, b.y, b.w, b.h], "frames": [b.frames.0, b.frames.1], "score": b.score, "reason": b.reason});
            if let Some(class) = b.class {
                j["ocr_text"] = json!(b.ocr_text);
                j["class"] = json!(class.kind());
                j["phi_field"] = json!(class.phi_field());
            }
            j
        })
        .collect();
    let mut j = json!({
        "path": d.path,
        "width": d.width,
        "height": d.height,
        "frames": d.frames,
        "ultrasound_regions": d.hints.regions,
        "burned_in_annotation": d.hints.burned_in_annotation,
        "boxes": boxes,
        "millis": d.millis,
        "detect_millis_per_frame": d.detect_millis / f64::from(d.frames.max(1)),
    });
    if let Some(ms) = d.ocr_millis {
        j["ocr_millis"] = json!(ms);
        j["ocr_millis_per_box"] = json!(ms / d.boxes.len().max(1) as f64);
    }
    j
}

fn print_text(d: &FileDetection) {
    let hint = match d.hints.burned_in_annotation {
        Some(true) => ", header says burned-in annotation: YES",
        Some(false) => ", header says burned-in annotation: NO",
        None => "",
    };
    let ocr = d.ocr_millis.map(|ms| format!(", OCR {ms:.0} ms")).unwrap_or_default();
    println!(
        "{}: {}×{}, {} frame(s), {} box(es), {:.1} ms ({:.1} ms/frame detection){ocr}{hint}",
        d.path.display(),
        d.width,
        d.height,
        d.frames,
        d.boxes.len(),
        d.millis,
        d.detect_millis / f64::from(d.frames.max(1))
    );
    for b in &d.boxes {
        let frames = if b.frames.0 == b.frames.1 {
            format!("{}", b.frames.0)
        } else {
            format!("{}–{}", b.frames.0, b.frames.1)
        };
        let read = b.ocr_text.as_ref().map(|t| format!(" — read {t:?}")).unwrap_or_default();
        println!("  frames {frames:<7} [{}, {}, {}, {}] score {:.2}: {}{read}", b.x, b.y, b.w, b.h, b.score, b.reason);
    }
}

pub fn detect_text(paths: &[PathBuf], json_out: bool, ocr: bool) -> CliResult {
    let files = expand(paths);
    let mut ok = true;
    // One line when OCR cannot run at all, not one per file; detection goes on without it.
    let ocr = ocr
        && match ocr_ready() {
            Ok(()) => true,
            Err(e) => {
                eprintln!("sumi: {e}; boxes are reported without OCR");
                ok = false;
                false
            }
        };
    let options = DetectOptions { ocr };
    let results: Vec<(&Path, Result<FileDetection, String>)> =
        files.par_iter().map(|f| (f.as_path(), detect_file_with(f, options).map_err(|e| e.to_string()))).collect();
    let mut found = Vec::new();
    for (path, r) in results {
        match r {
            Ok(d) => {
                if let Some(e) = &d.ocr_error {
                    eprintln!("sumi: OCR failed for {e}");
                    ok = false;
                }
                found.push(d);
            }
            Err(e) if e.contains(&path.display().to_string()) => eprintln!("sumi: skipped {e}"),
            Err(e) => eprintln!("sumi: skipped {}: {e}", path.display()),
        }
    }
    if json_out {
        println!("{}", serde_json::to_string_pretty(&found.iter().map(to_json).collect::<Vec<_>>())?);
    } else {
        found.iter().for_each(print_text);
    }
    Ok(if found.is_empty() || !ok { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
