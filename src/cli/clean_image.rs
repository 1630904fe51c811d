//! `sumi clean-image`: cleans one PNG, JPEG or TIFF image (see `sumi::deid::foreign`) and prints
//! the report as JSON.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Deserialize;
use sumi::deid::foreign::{ForeignOutput, ScOptions, write_clean_foreign};
use sumi::deid::pixels::PixelBox;

use super::CliResult;

pub struct CleanImageArgs {
    pub input: PathBuf,
    pub boxes: Option<PathBuf>,
    pub out: PathBuf,
    pub as_dicom: bool,
    pub patient_name: String,
    pub patient_id: String,
    pub reviewed: bool,
}

/// A box as given in the JSON file; review-queue boxes (with score and reason) read as they are.
#[derive(Deserialize)]
struct BoxArg {
    x: u32,
    y: u32,
    w: u32,
    h: u32,
    #[serde(default)]
    first_frame: u32,
    #[serde(default)]
    last_frame: u32,
}

fn read_boxes(path: &Path) -> Result<Vec<PixelBox>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let boxes: Vec<BoxArg> = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a JSON list of boxes {{x, y, w, h}}: {e}", path.display()))?;
    Ok(boxes
        .into_iter()
        .map(|b| PixelBox { x: b.x, y: b.y, w: b.w, h: b.h, first_frame: b.first_frame, last_frame: b.last_frame })
        .collect())
}

pub fn clean_image(args: CleanImageArgs) -> CliResult {
    let boxes = match &args.boxes {
        Some(p) => read_boxes(p)?,
        None => Vec::new(),
    };
    let output = if args.as_dicom {
        ForeignOutput::SecondaryCapture(ScOptions {
            patient_name: args.patient_name,
            patient_id: args.patient_id,
            reviewed: args.reviewed,
            study_uid: None,
            series_uid: None,
        })
    } else {
        ForeignOutput::Native
    };
    let report = write_clean_foreign(&args.input, &boxes, &args.out, &output)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(ExitCode::SUCCESS)
}
