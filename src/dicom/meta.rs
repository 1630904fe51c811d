//! The header facts sumi needs about one instance: identity, grouping keys and image geometry.
//! Read once during the scan (header only), kept small, and serialisable for the project DB.

use std::path::PathBuf;

use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use serde::{Deserialize, Serialize};

use super::attrs::{array, first_item, float, floats, int, items, strs, text, uint};
use super::open::DicomFile;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InstanceMeta {
    pub path: PathBuf,
    pub size: u64,
    /// Seconds since the Unix epoch.
    pub mtime: i64,
    pub transfer_syntax: String,
    pub sop_class_uid: String,
    pub sop_instance_uid: String,
    pub study_uid: String,
    pub series_uid: String,
    pub frame_of_reference_uid: Option<String>,
    pub patient_id: Option<String>,
    pub patient_name: Option<String>,
    pub patient_birth_date: Option<String>,
    pub patient_sex: Option<String>,
    pub study_date: Option<String>,
    pub study_time: Option<String>,
    pub study_description: Option<String>,
    pub accession_number: Option<String>,
    pub modality: Option<String>,
    pub series_description: Option<String>,
    pub series_number: Option<i64>,
    pub instance_number: Option<i64>,
    pub body_part: Option<String>,
    pub manufacturer: Option<String>,
    pub model_name: Option<String>,
    pub burned_in_annotation: Option<String>,
    /// Image Type (0008,0008) values, e.g. ["ORIGINAL", "PRIMARY", "LABEL", "NONE"] for a slide
    /// label. Absent in project rows written before it was read.
    #[serde(default)]
    pub image_type: Vec<String>,
    pub image: Option<ImageMeta>,
}

/// Pixel layout and geometry. Geometry fields are per frame for enhanced multi-frame objects.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ImageMeta {
    pub rows: u32,
    pub cols: u32,
    pub frames: u32,
    pub samples_per_pixel: u16,
    pub bits_allocated: u16,
    pub bits_stored: u16,
    pub pixel_signed: bool,
    pub photometric: String,
    /// Row spacing, column spacing (mm), as in Pixel Spacing.
    pub pixel_spacing: Option<[f64; 2]>,
    pub slice_thickness: Option<f64>,
    pub spacing_between_slices: Option<f64>,
    pub rescale_slope: f64,
    pub rescale_intercept: f64,
    pub window: Option<(f64, f64)>,
    /// Image Orientation (Patient): row direction then column direction, LPS.
    pub orientation: Option<[f64; 6]>,
    /// Image Position (Patient) of each frame (one entry for a single-frame image).
    pub positions: Vec<[f64; 3]>,
    pub frame_time_ms: Option<f64>,
    pub gantry_tilt_deg: Option<f64>,
}

impl InstanceMeta {
    pub fn from_file(file: &DicomFile, size: u64, mtime: i64) -> InstanceMeta {
        let o: &InMemDicomObject = &file.obj;
        let meta = file.obj.meta();
        let sop_instance_uid = text(o, tags::SOP_INSTANCE_UID)
            .unwrap_or_else(|| meta.media_storage_sop_instance_uid().trim_end_matches('\0').into());
        let sop_class_uid = text(o, tags::SOP_CLASS_UID)
            .unwrap_or_else(|| meta.media_storage_sop_class_uid().trim_end_matches('\0').into());
        InstanceMeta {
            path: file.path.clone(),
            size,
            mtime,
            transfer_syntax: meta.transfer_syntax().trim_end_matches('\0').to_string(),
            sop_class_uid,
            sop_instance_uid,
            study_uid: text(o, tags::STUDY_INSTANCE_UID).unwrap_or_default(),
            series_uid: text(o, tags::SERIES_INSTANCE_UID).unwrap_or_default(),
            frame_of_reference_uid: text(o, tags::FRAME_OF_REFERENCE_UID),
            patient_id: text(o, tags::PATIENT_ID),
            patient_name: text(o, tags::PATIENT_NAME),
            patient_birth_date: text(o, tags::PATIENT_BIRTH_DATE),
            patient_sex: text(o, tags::PATIENT_SEX),
            study_date: text(o, tags::STUDY_DATE),
            study_time: text(o, tags::STUDY_TIME),
            study_description: text(o, tags::STUDY_DESCRIPTION),
            accession_number: text(o, tags::ACCESSION_NUMBER),
            modality: text(o, tags::MODALITY),
            series_description: text(o, tags::SERIES_DESCRIPTION),
            series_number: int(o, tags::SERIES_NUMBER),
            instance_number: int(o, tags::INSTANCE_NUMBER),
            body_part: text(o, tags::BODY_PART_EXAMINED),
            manufacturer: text(o, tags::MANUFACTURER),
            model_name: text(o, tags::MANUFACTURER_MODEL_NAME),
            burned_in_annotation: text(o, tags::BURNED_IN_ANNOTATION),
            image_type: strs(o, tags::IMAGE_TYPE),
            image: ImageMeta::from_obj(o),
        }
    }

    pub fn frames(&self) -> u32 {
        self.image.as_ref().map_or(0, |i| i.frames)
    }

    /// The container of a PNG, JPEG or TIFF instance (its media type is kept in
    /// `transfer_syntax`); `None` for DICOM.
    pub fn foreign_kind(&self) -> Option<super::foreign::ForeignKind> {
        super::foreign::ForeignKind::from_mime(&self.transfer_syntax)
    }
}

impl ImageMeta {
    /// `None` when the object has no image (no Rows/Columns), e.g. SR or RT plans.
    pub fn from_obj(o: &InMemDicomObject) -> Option<ImageMeta> {
        let rows = uint(o, tags::ROWS)?;
        let cols = uint(o, tags::COLUMNS)?;
        let frames = uint(o, tags::NUMBER_OF_FRAMES).unwrap_or(1).max(1);
        let bits_allocated = uint(o, tags::BITS_ALLOCATED).unwrap_or(16) as u16;
        let shared = first_item(o, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE);
        let per_frame = items(o, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE);
        // Enhanced objects keep geometry in functional groups: per frame first, then shared.
        let group_attr = |frame: Option<&InMemDicomObject>, seq, tag| {
            frame
                .and_then(|f| first_item(f, seq))
                .and_then(|i| floats(i, tag))
                .or_else(|| shared.and_then(|s| first_item(s, seq)).and_then(|i| floats(i, tag)))
        };
        let first_frame = per_frame.first();
        let pixel_measures = |tag| group_attr(first_frame, tags::PIXEL_MEASURES_SEQUENCE, tag);
        let orientation = array::<6>(o, tags::IMAGE_ORIENTATION_PATIENT).or_else(|| {
            group_attr(first_frame, tags::PLANE_ORIENTATION_SEQUENCE, tags::IMAGE_ORIENTATION_PATIENT)
                .filter(|v| v.len() >= 6)
                .map(|v| std::array::from_fn(|i| v[i]))
        });
        let mut positions: Vec<[f64; 3]> = per_frame
            .iter()
            .filter_map(|f| {
                group_attr(Some(f), tags::PLANE_POSITION_SEQUENCE, tags::IMAGE_POSITION_PATIENT)
                    .filter(|v| v.len() >= 3)
                    .map(|v| [v[0], v[1], v[2]])
            })
            .collect();
        if positions.len() != frames as usize {
            positions = array::<3>(o, tags::IMAGE_POSITION_PATIENT).into_iter().collect();
        }
        let rescale = |tag| {
            float(o, tag)
                .or_else(|| group_attr(first_frame, tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE, tag).map(|v| v[0]))
        };
        let window = match (
            floats(o, tags::WINDOW_CENTER)
                .or_else(|| group_attr(first_frame, tags::FRAME_VOILUT_SEQUENCE, tags::WINDOW_CENTER)),
            floats(o, tags::WINDOW_WIDTH)
                .or_else(|| group_attr(first_frame, tags::FRAME_VOILUT_SEQUENCE, tags::WINDOW_WIDTH)),
        ) {
            (Some(c), Some(w)) if w[0] > 0.0 => Some((c[0], w[0])),
            _ => None,
        };
        Some(ImageMeta {
            rows,
            cols,
            frames,
            samples_per_pixel: uint(o, tags::SAMPLES_PER_PIXEL).unwrap_or(1) as u16,
            bits_allocated,
            bits_stored: uint(o, tags::BITS_STORED).map_or(bits_allocated, |b| b as u16),
            pixel_signed: int(o, tags::PIXEL_REPRESENTATION) == Some(1),
            photometric: text(o, tags::PHOTOMETRIC_INTERPRETATION).unwrap_or_else(|| "MONOCHROME2".into()),
            pixel_spacing: array::<2>(o, tags::PIXEL_SPACING)
                .or_else(|| pixel_measures(tags::PIXEL_SPACING).filter(|v| v.len() >= 2).map(|v| [v[0], v[1]]))
                .or_else(|| array::<2>(o, tags::IMAGER_PIXEL_SPACING)),
            slice_thickness: float(o, tags::SLICE_THICKNESS)
                .or_else(|| pixel_measures(tags::SLICE_THICKNESS).map(|v| v[0])),
            spacing_between_slices: float(o, tags::SPACING_BETWEEN_SLICES)
                .or_else(|| pixel_measures(tags::SPACING_BETWEEN_SLICES).map(|v| v[0])),
            rescale_slope: rescale(tags::RESCALE_SLOPE).filter(|s| *s != 0.0).unwrap_or(1.0),
            rescale_intercept: rescale(tags::RESCALE_INTERCEPT).unwrap_or(0.0),
            window,
            orientation,
            positions,
            frame_time_ms: float(o, tags::FRAME_TIME),
            gantry_tilt_deg: float(o, tags::GANTRY_DETECTOR_TILT),
        })
    }

    /// Bytes of native (uncompressed) pixel data, before even-length padding: packed bits for
    /// 1-bit data, whole bytes per sample otherwise.
    pub fn native_pixel_bytes(&self) -> u64 {
        let samples =
            u64::from(self.rows) * u64::from(self.cols) * u64::from(self.frames) * u64::from(self.samples_per_pixel);
        let bits = u64::from(self.bits_allocated);
        if bits == 1 { samples.div_ceil(8) } else { samples * bits.div_ceil(8) }
    }

    pub fn is_color(&self) -> bool {
        self.samples_per_pixel == 3 || self.photometric == "PALETTE COLOR"
    }
}
