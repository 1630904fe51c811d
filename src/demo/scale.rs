//! Synthetic data sets for load tests at scale (`sumi demo-scale`): many small studies, one long
//! CT series, one large multi-frame ultrasound cine. Headers are minimal but valid (patient,
//! study, series, image plane, pixel module); pixels are cheap patterns, not phantoms.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::{tags, uids};
use rayon::prelude::*;
use serde::Serialize;

use super::DemoError;
use super::write::{ds, multi, text, ushort, write_file};

/// The UID root of every scale data set (2.25 + a fixed random number).
const ROOT: &str = "2.25.30311712826711981461";

/// What a `demo-scale` generator wrote.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ScaleSummary {
    pub dir: PathBuf,
    pub files: usize,
    pub studies: usize,
    pub series: usize,
    pub instances: usize,
    /// Pixel data bytes written (all files).
    pub pixel_bytes: u64,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> DemoError + '_ {
    move |source| DemoError::Io { path: path.to_owned(), source }
}

struct Ids {
    patient: u32,
    study: u32,
    series: u32,
    instance: u32,
}

/// Patient/study/series/instance module elements (CT, one slice plane per instance).
fn ct_header(ids: &Ids, size: u16, z: f64) -> Vec<super::write::El> {
    let Ids { patient, study, series, instance } = *ids;
    let (rows, cols) = (size, size);
    let spacing = ds(500.0 / f64::from(size));
    let half = 250.0;
    vec![
        text(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 100"),
        text(tags::SOP_CLASS_UID, VR::UI, uids::CT_IMAGE_STORAGE),
        text(tags::SOP_INSTANCE_UID, VR::UI, &format!("{ROOT}.3.{study}.{series}.{instance}")),
        text(tags::STUDY_DATE, VR::DA, &format!("2024{:02}{:02}", 1 + study % 12, 1 + study % 28)),
        text(tags::STUDY_TIME, VR::TM, "101500"),
        text(tags::MODALITY, VR::CS, "CT"),
        text(tags::STUDY_DESCRIPTION, VR::LO, &format!("SCALE STUDY {study}")),
        text(tags::SERIES_DESCRIPTION, VR::LO, &format!("AXIAL {series}")),
        text(tags::PATIENT_NAME, VR::PN, &format!("SCALE^PATIENT{patient}")),
        text(tags::PATIENT_ID, VR::LO, &format!("SCALE{patient:05}")),
        text(tags::STUDY_INSTANCE_UID, VR::UI, &format!("{ROOT}.1.{study}")),
        text(tags::SERIES_INSTANCE_UID, VR::UI, &format!("{ROOT}.2.{study}.{series}")),
        DataElement::new(tags::SERIES_NUMBER, VR::IS, (series + 1).to_string()),
        DataElement::new(tags::INSTANCE_NUMBER, VR::IS, (instance + 1).to_string()),
        text(tags::SLICE_THICKNESS, VR::DS, "1"),
        multi(tags::IMAGE_POSITION_PATIENT, VR::DS, &[ds(-half), ds(-half), ds(z)]),
        multi(tags::IMAGE_ORIENTATION_PATIENT, VR::DS, &["1", "0", "0", "0", "1", "0"].map(String::from)),
        text(tags::FRAME_OF_REFERENCE_UID, VR::UI, &format!("{ROOT}.4.{study}")),
        ushort(tags::SAMPLES_PER_PIXEL, 1),
        text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2"),
        ushort(tags::ROWS, rows),
        ushort(tags::COLUMNS, cols),
        multi(tags::PIXEL_SPACING, VR::DS, &[spacing.clone(), spacing]),
        ushort(tags::BITS_ALLOCATED, 16),
        ushort(tags::BITS_STORED, 16),
        ushort(tags::HIGH_BIT, 15),
        ushort(tags::PIXEL_REPRESENTATION, 1),
        text(tags::RESCALE_INTERCEPT, VR::DS, "0"),
        text(tags::RESCALE_SLOPE, VR::DS, "1"),
    ]
}

/// A body-like ellipse at 40 HU in air, with a bright square whose value is the slice index.
fn ct_pixels(size: u16, slice: u32) -> Vec<u8> {
    let n = usize::from(size);
    let mut out = Vec::with_capacity(n * n * 2);
    let c = n as f64 / 2.0;
    for y in 0..n {
        for x in 0..n {
            let (dx, dy) = ((x as f64 - c) / (n as f64 * 0.42), (y as f64 - c) / (n as f64 * 0.33));
            let mut v: i16 = if dx * dx + dy * dy < 1.0 { 40 } else { -1000 };
            if x.abs_diff(n / 2) < n / 12 && y.abs_diff(n / 2) < n / 12 {
                v = 700 + (slice % 1000) as i16;
            }
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

fn write_ct(path: &Path, ids: &Ids, size: u16, z: f64) -> Result<(), DemoError> {
    let mut el = ct_header(ids, size, z);
    el.push(DataElement::new(tags::PIXEL_DATA, VR::OW, PrimitiveValue::from(ct_pixels(size, ids.instance))));
    write_file(el, path)
}

/// `studies` studies (two per patient, four series each) holding `instances` single-frame CT
/// slices of `size`×`size` in total, as `<dir>/s<study>/<series>/<n>.dcm`.
pub fn write_studies(dir: &Path, studies: u32, instances: u32, size: u16) -> Result<ScaleSummary, DemoError> {
    const SERIES_PER_STUDY: u32 = 4;
    let studies = studies.max(1);
    let total_series = studies * SERIES_PER_STUDY;
    let jobs: Vec<(u32, u32, u32)> = (0..instances)
        .map(|i| {
            let series_global = i % total_series;
            (series_global / SERIES_PER_STUDY, series_global % SERIES_PER_STUDY, i / total_series)
        })
        .collect();
    for s in 0..studies {
        for se in 0..SERIES_PER_STUDY.min(instances) {
            let d = dir.join(format!("s{s:04}")).join(se.to_string());
            fs::create_dir_all(&d).map_err(io_err(&d))?;
        }
    }
    jobs.par_iter().try_for_each(|&(study, series, instance)| {
        let ids = Ids { patient: study / 2, study, series, instance };
        let path = dir.join(format!("s{study:04}")).join(series.to_string()).join(format!("{instance:05}.dcm"));
        write_ct(&path, &ids, size, f64::from(instance))
    })?;
    Ok(ScaleSummary {
        dir: dir.to_owned(),
        files: jobs.len(),
        studies: studies as usize,
        series: total_series.min(instances) as usize,
        instances: jobs.len(),
        pixel_bytes: jobs.len() as u64 * u64::from(size) * u64::from(size) * 2,
    })
}

/// One CT series of `slices` slices of `size`×`size` int16, files named in scrambled order.
pub fn write_series(dir: &Path, slices: u32, size: u16) -> Result<ScaleSummary, DemoError> {
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    (0..slices).into_par_iter().try_for_each(|k| {
        let ids = Ids { patient: 0, study: 0, series: 0, instance: k };
        let name = format!("IM_{:08X}.dcm", k.wrapping_mul(0x9E37_79B1) ^ 0x5BD1_E995);
        write_ct(&dir.join(name), &ids, size, f64::from(k) * 0.5)
    })?;
    Ok(ScaleSummary {
        dir: dir.to_owned(),
        files: slices as usize,
        studies: 1,
        series: 1,
        instances: slices as usize,
        pixel_bytes: u64::from(slices) * u64::from(size) * u64::from(size) * 2,
    })
}

/// One uncompressed RGB ultrasound cine of `frames` frames of `width`×`height`, written to
/// `<dir>/cine.dcm`. The header is written first; Pixel Data (the last element) is streamed
/// frame by frame, so generating a 1 GB file needs one frame of memory.
pub fn write_cine(dir: &Path, frames: u32, width: u16, height: u16) -> Result<ScaleSummary, DemoError> {
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let path = dir.join("cine.dcm");
    let frame_len = usize::from(width) * usize::from(height) * 3;
    let total = frame_len as u64 * u64::from(frames);
    let len = u32::try_from(total).map_err(|_| {
        DemoError::RecipeInvalid(format!("{}: pixel data of {total} bytes exceeds 4 GiB", path.display()))
    })?;
    let el = vec![
        text(tags::SOP_CLASS_UID, VR::UI, uids::ULTRASOUND_MULTI_FRAME_IMAGE_STORAGE),
        text(tags::SOP_INSTANCE_UID, VR::UI, &format!("{ROOT}.3.9000.0.0")),
        text(tags::STUDY_DATE, VR::DA, "20240301"),
        text(tags::MODALITY, VR::CS, "US"),
        text(tags::SERIES_DESCRIPTION, VR::LO, "SCALE CINE"),
        text(tags::PATIENT_NAME, VR::PN, "SCALE^CINE"),
        text(tags::PATIENT_ID, VR::LO, "SCALECINE"),
        text(tags::STUDY_INSTANCE_UID, VR::UI, &format!("{ROOT}.1.9000")),
        text(tags::SERIES_INSTANCE_UID, VR::UI, &format!("{ROOT}.2.9000.0")),
        DataElement::new(tags::SERIES_NUMBER, VR::IS, "1"),
        DataElement::new(tags::INSTANCE_NUMBER, VR::IS, "1"),
        text(tags::FRAME_TIME, VR::DS, "33.3"),
        text(tags::NUMBER_OF_FRAMES, VR::IS, &frames.to_string()),
        DataElement::new(tags::FRAME_INCREMENT_POINTER, VR::AT, PrimitiveValue::from(tags::FRAME_TIME)),
        ushort(tags::SAMPLES_PER_PIXEL, 3),
        text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "RGB"),
        ushort(tags::PLANAR_CONFIGURATION, 0),
        ushort(tags::ROWS, height),
        ushort(tags::COLUMNS, width),
        ushort(tags::BITS_ALLOCATED, 8),
        ushort(tags::BITS_STORED, 8),
        ushort(tags::HIGH_BIT, 7),
        ushort(tags::PIXEL_REPRESENTATION, 0),
    ];
    write_file(el, &path)?;
    let file = fs::OpenOptions::new().append(true).open(&path).map_err(io_err(&path))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    // (7FE0,0010) OB, reserved 2 bytes, 32-bit length: explicit VR little endian.
    let mut head = vec![0xE0, 0x7F, 0x10, 0x00, b'O', b'B', 0, 0];
    head.extend_from_slice(&len.to_le_bytes());
    out.write_all(&head).map_err(io_err(&path))?;
    let mut frame = vec![0u8; frame_len];
    for f in 0..frames {
        let (w, h) = (usize::from(width), usize::from(height));
        for (i, px) in frame.chunks_exact_mut(3).enumerate() {
            let (x, y) = (i % w, i / w);
            let bar = (x + f as usize * 4) % w < 16;
            px[0] = if bar { 255 } else { (x * 255 / w) as u8 };
            px[1] = (y * 255 / h) as u8;
            px[2] = (f % 256) as u8;
        }
        out.write_all(&frame).map_err(io_err(&path))?;
    }
    out.flush().map_err(io_err(&path))?;
    Ok(ScaleSummary { dir: dir.to_owned(), files: 1, studies: 1, series: 1, instances: 1, pixel_bytes: total })
}
