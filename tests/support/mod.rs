//! Fixture writer for the integration tests: small single-frame CT/MR-like DICOM files whose every
//! attribute is stated by the test that writes them. By default each pixel encodes the slice's
//! Image Position and its own (i, j), so a test can tell which file landed at which k and whether
//! rows and columns kept their places.

// Each test crate uses a different part of this module.
#![allow(dead_code)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, Tag, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::mem::InMemElement;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};

/// Row direction then column direction of an axial slice (LPS).
pub const AXIAL: [f64; 6] = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
/// Coronal: rows run to the patient's left, columns to the feet; the normal points posterior.
pub const CORONAL: [f64; 6] = [1.0, 0.0, 0.0, 0.0, 0.0, -1.0];
/// Sagittal: rows run posterior, columns to the feet.
pub const SAGITTAL: [f64; 6] = [0.0, 1.0, 0.0, 0.0, 0.0, -1.0];

pub const CT_IMAGE_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.2";
pub const MR_IMAGE_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.4";

/// Every attribute of one single-frame image. Pixels are stored values (before rescale), one per
/// pixel in row-major order, written as 16-bit little endian (two's complement when signed).
#[derive(Debug, Clone)]
pub struct SliceSpec {
    pub patient_id: String,
    pub patient_name: String,
    pub study_uid: String,
    pub series_uid: String,
    pub series_number: i32,
    pub sop_uid: String,
    pub modality: String,
    pub instance_number: Option<i32>,
    pub ipp: [f64; 3],
    pub iop: [f64; 6],
    pub rows: u16,
    pub cols: u16,
    /// Row spacing (between rows, along the column direction), column spacing, as in Pixel Spacing.
    pub pixel_spacing: [f64; 2],
    pub slice_thickness: f64,
    pub bits_stored: u16,
    pub signed: bool,
    pub slope: f64,
    pub intercept: f64,
    pub photometric: String,
    pub pixels: Vec<i32>,
}

/// The identity code of a slice at `ipp`: tenths of a millimetre of x + y + z.
pub fn position_code(ipp: [f64; 3]) -> i32 {
    (10.0 * (ipp[0] + ipp[1] + ipp[2])).round() as i32
}

/// The stored value the default pixels hold at column `i`, row `j` of a slice with `code`.
pub fn coded_pixel(code: i32, i: usize, j: usize, cols: usize) -> i32 {
    code * 16 + (j * cols + i) as i32
}

/// Pixels for a `rows` × `cols` slice whose values encode `code` and each pixel's (i, j).
pub fn coded_pixels(code: i32, rows: u16, cols: u16) -> Vec<i32> {
    assert!(usize::from(rows) * usize::from(cols) <= 16, "coded pixels need at most 16 pixels per slice");
    (0..usize::from(rows))
        .flat_map(|j| (0..usize::from(cols)).map(move |i| coded_pixel(code, i, j, usize::from(cols))))
        .collect()
}

impl SliceSpec {
    /// A 4 × 3 axial CT slice, signed 16 bit, no rescale, pixel spacing 0.5 (rows) × 0.8 (columns),
    /// Instance Number `n + 1`, pixels coded from `ipp`.
    pub fn ct(series_uid: &str, n: usize, ipp: [f64; 3]) -> SliceSpec {
        let (rows, cols) = (3, 4);
        SliceSpec {
            patient_id: "P1".into(),
            patient_name: "Test^Alpha".into(),
            study_uid: "2.25.7001".into(),
            series_uid: series_uid.into(),
            series_number: 1,
            sop_uid: format!("{series_uid}.{}", n + 1),
            modality: "CT".into(),
            instance_number: Some(n as i32 + 1),
            ipp,
            iop: AXIAL,
            rows,
            cols,
            pixel_spacing: [0.5, 0.8],
            slice_thickness: 1.0,
            bits_stored: 16,
            signed: true,
            slope: 1.0,
            intercept: 0.0,
            photometric: "MONOCHROME2".into(),
            pixels: coded_pixels(position_code(ipp), rows, cols),
        }
    }

    /// Same size as `ct` with the MR storage class and modality.
    pub fn mr(series_uid: &str, n: usize, ipp: [f64; 3]) -> SliceSpec {
        SliceSpec { modality: "MR".into(), ..SliceSpec::ct(series_uid, n, ipp) }
    }

    /// The stored value at column `i`, row `j`.
    pub fn stored(&self, i: usize, j: usize) -> i32 {
        self.pixels[j * usize::from(self.cols) + i]
    }

    /// The modality value at column `i`, row `j` (stored × slope + intercept).
    pub fn modality_value(&self, i: usize, j: usize) -> f64 {
        f64::from(self.stored(i, j)) * self.slope + self.intercept
    }

    fn sop_class(&self) -> &'static str {
        if self.modality == "MR" { MR_IMAGE_STORAGE } else { CT_IMAGE_STORAGE }
    }

    fn pixel_bytes(&self) -> Vec<u8> {
        assert_eq!(self.pixels.len(), usize::from(self.rows) * usize::from(self.cols), "pixel count");
        let bits = u32::from(self.bits_stored);
        let (lo, hi) =
            if self.signed { (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1) } else { (0, (1i64 << bits) - 1) };
        self.pixels
            .iter()
            .flat_map(|&v| {
                assert!((lo..=hi).contains(&i64::from(v)), "{v} does not fit {bits} bits (signed: {})", self.signed);
                (v as u16).to_le_bytes()
            })
            .collect()
    }

    /// The data set this spec describes.
    pub fn to_object(&self) -> InMemDicomObject {
        let mut elements = vec![
            text(tags::SOP_CLASS_UID, VR::UI, self.sop_class()),
            text(tags::SOP_INSTANCE_UID, VR::UI, &self.sop_uid),
            text(tags::STUDY_DATE, VR::DA, "20240102"),
            text(tags::MODALITY, VR::CS, &self.modality),
            text(tags::SERIES_DESCRIPTION, VR::LO, "fixture"),
            text(tags::PATIENT_NAME, VR::PN, &self.patient_name),
            text(tags::PATIENT_ID, VR::LO, &self.patient_id),
            text(tags::SLICE_THICKNESS, VR::DS, &ds(self.slice_thickness)),
            text(tags::STUDY_INSTANCE_UID, VR::UI, &self.study_uid),
            text(tags::SERIES_INSTANCE_UID, VR::UI, &self.series_uid),
            text(tags::SERIES_NUMBER, VR::IS, &self.series_number.to_string()),
            multi(tags::IMAGE_POSITION_PATIENT, &self.ipp),
            multi(tags::IMAGE_ORIENTATION_PATIENT, &self.iop),
            text(tags::FRAME_OF_REFERENCE_UID, VR::UI, &format!("{}.9", self.study_uid)),
            DataElement::new(tags::SAMPLES_PER_PIXEL, VR::US, PrimitiveValue::from(1u16)),
            text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, &self.photometric),
            DataElement::new(tags::ROWS, VR::US, PrimitiveValue::from(self.rows)),
            DataElement::new(tags::COLUMNS, VR::US, PrimitiveValue::from(self.cols)),
            multi(tags::PIXEL_SPACING, &self.pixel_spacing),
            DataElement::new(tags::BITS_ALLOCATED, VR::US, PrimitiveValue::from(16u16)),
            DataElement::new(tags::BITS_STORED, VR::US, PrimitiveValue::from(self.bits_stored)),
            DataElement::new(tags::HIGH_BIT, VR::US, PrimitiveValue::from(self.bits_stored - 1)),
            DataElement::new(tags::PIXEL_REPRESENTATION, VR::US, PrimitiveValue::from(u16::from(self.signed))),
            text(tags::RESCALE_INTERCEPT, VR::DS, &ds(self.intercept)),
            text(tags::RESCALE_SLOPE, VR::DS, &ds(self.slope)),
            DataElement::new(tags::PIXEL_DATA, VR::OW, PrimitiveValue::from(self.pixel_bytes())),
        ];
        if let Some(n) = self.instance_number {
            elements.push(text(tags::INSTANCE_NUMBER, VR::IS, &n.to_string()));
        }
        InMemDicomObject::from_element_iter(elements)
    }

    /// Writes the spec as a Part 10 file (explicit VR little endian) and returns its path.
    pub fn write(&self, path: &Path) -> PathBuf {
        let meta = FileMetaTableBuilder::new().transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN);
        let file = self.to_object().with_meta(meta).expect("file meta");
        file.write_to_file(path).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        path.to_path_buf()
    }
}

/// Writes `specs` into `dir` under the given file names. Panics if two slices of one series carry
/// the same position code (the fixture could not tell them apart).
pub fn write_all(dir: &Path, files: &[(&str, &SliceSpec)]) -> Vec<PathBuf> {
    let mut codes = HashSet::new();
    for (_, s) in files {
        let small = usize::from(s.rows) * usize::from(s.cols) <= 16;
        let coded = small && s.pixels == coded_pixels(position_code(s.ipp), s.rows, s.cols);
        assert!(!coded || codes.insert((s.series_uid.clone(), position_code(s.ipp))), "ambiguous fixture: {s:?}");
    }
    files.iter().map(|(name, s)| s.write(&dir.join(name))).collect()
}

/// A series of `n` axial CT slices `spacing` mm apart starting at `first`, named `slice_NN.dcm` in
/// slice order.
pub fn axial_series(series_uid: &str, n: usize, first: [f64; 3], spacing: f64) -> Vec<SliceSpec> {
    (0..n).map(|k| SliceSpec::ct(series_uid, k, [first[0], first[1], first[2] + spacing * k as f64])).collect()
}

pub fn write_series(dir: &Path, specs: &[SliceSpec]) -> Vec<PathBuf> {
    let names: Vec<String> = (0..specs.len()).map(|k| format!("slice_{k:02}.dcm")).collect();
    let files: Vec<(&str, &SliceSpec)> = names.iter().map(String::as_str).zip(specs).collect();
    write_all(dir, &files)
}

/// A small multi-patient fixture for import tests: patient P1 with one study of two series
/// (3 CT slices, 2 MR slices) and patient P2 with one study of one series (2 CT slices).
pub struct StudyFixture {
    pub files: Vec<PathBuf>,
    pub patients: usize,
    pub studies: usize,
    pub series: usize,
    pub instances: usize,
}

pub fn write_study_fixture(dir: &Path) -> StudyFixture {
    let mut specs = axial_series("2.25.7001.1", 3, [0.0, 0.0, 0.0], 2.0);
    specs.extend(
        (0..2).map(|k| SliceSpec { series_number: 2, ..SliceSpec::mr("2.25.7001.2", k, [0.0, 0.0, 5.0 * k as f64]) }),
    );
    specs.extend(axial_series("2.25.8001.1", 2, [0.0, 0.0, 0.0], 3.0).into_iter().map(|s| SliceSpec {
        patient_id: "P2".into(),
        patient_name: "Test^Beta".into(),
        study_uid: "2.25.8001".into(),
        ..s
    }));
    std::fs::create_dir_all(dir.join("p2")).expect("mkdir");
    let names: Vec<String> = specs
        .iter()
        .enumerate()
        .map(|(n, s)| if s.patient_id == "P2" { format!("p2/im{n}.dcm") } else { format!("im{n}.dcm") })
        .collect();
    let files: Vec<(&str, &SliceSpec)> = names.iter().map(String::as_str).zip(&specs).collect();
    StudyFixture { files: write_all(dir, &files), patients: 2, studies: 2, series: 3, instances: specs.len() }
}

/// Writes a file that is not DICOM, an empty file and a DICOM file cut off inside its header.
/// Returns their paths in that order.
pub fn write_unreadable_files(dir: &Path) -> [PathBuf; 3] {
    let text_file = dir.join("notes.txt");
    std::fs::write(&text_file, "this is a text file, not an image\n").expect("write text");
    let empty = dir.join("empty.dcm");
    std::fs::write(&empty, b"").expect("write empty");
    let truncated = dir.join("truncated.dcm");
    write_truncated(&truncated, |len| len.min(300));
    [text_file, empty, truncated]
}

/// Writes a valid slice to `path`, then keeps only its first `keep(len)` bytes.
pub fn write_truncated(path: &Path, keep: impl Fn(usize) -> usize) {
    SliceSpec::ct("2.25.9999", 0, [0.0, 0.0, 0.0]).write(path);
    let bytes = std::fs::read(path).expect("read back");
    std::fs::write(path, &bytes[..keep(bytes.len())]).expect("truncate");
}

fn text(tag: Tag, vr: VR, v: &str) -> InMemElement {
    DataElement::new(tag, vr, PrimitiveValue::from(v))
}

fn multi(tag: Tag, values: &[f64]) -> InMemElement {
    DataElement::new(tag, VR::DS, PrimitiveValue::Strs(values.iter().map(|v| ds(*v)).collect()))
}

/// A decimal string of at most 16 characters, exact for the values the tests use.
pub fn ds(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    assert!(s.len() <= 16, "DS too long: {s}");
    if s == "-0" { "0".into() } else { s.into() }
}
