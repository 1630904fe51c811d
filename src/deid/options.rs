//! The Basic Profile options (PS3.15 Table E.1-1 columns) and their DCM codes.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileOption {
    CleanPixelData,
    CleanRecognizableVisualFeatures,
    CleanGraphics,
    CleanStructuredContent,
    CleanDescriptors,
    RetainLongFullDates,
    RetainLongModifiedDates,
    RetainPatientCharacteristics,
    RetainDeviceIdentity,
    RetainUids,
    RetainSafePrivate,
    RetainInstitutionIdentity,
}

impl ProfileOption {
    pub const ALL: [ProfileOption; 12] = [
        ProfileOption::CleanPixelData,
        ProfileOption::CleanRecognizableVisualFeatures,
        ProfileOption::CleanGraphics,
        ProfileOption::CleanStructuredContent,
        ProfileOption::CleanDescriptors,
        ProfileOption::RetainLongFullDates,
        ProfileOption::RetainLongModifiedDates,
        ProfileOption::RetainPatientCharacteristics,
        ProfileOption::RetainDeviceIdentity,
        ProfileOption::RetainUids,
        ProfileOption::RetainSafePrivate,
        ProfileOption::RetainInstitutionIdentity,
    ];

    /// The column name in the shipped Annex E TSV, for options that have one.
    pub fn from_table_column(col: &str) -> Option<ProfileOption> {
        Some(match col {
            "retain_safe_private" => ProfileOption::RetainSafePrivate,
            "retain_uids" => ProfileOption::RetainUids,
            "retain_device_identity" => ProfileOption::RetainDeviceIdentity,
            "retain_institution_identity" => ProfileOption::RetainInstitutionIdentity,
            "retain_patient_characteristics" => ProfileOption::RetainPatientCharacteristics,
            "retain_long_full_dates" => ProfileOption::RetainLongFullDates,
            "retain_long_modified_dates" => ProfileOption::RetainLongModifiedDates,
            "clean_descriptors" => ProfileOption::CleanDescriptors,
            "clean_structured_content" => ProfileOption::CleanStructuredContent,
            "clean_graphics" => ProfileOption::CleanGraphics,
            _ => return None,
        })
    }

    /// DICOM code (scheme DCM) for De-identification Method Code Sequence.
    pub fn code(self) -> (&'static str, &'static str) {
        match self {
            ProfileOption::CleanPixelData => ("113101", "Clean Pixel Data Option"),
            ProfileOption::CleanRecognizableVisualFeatures => ("113102", "Clean Recognizable Visual Features Option"),
            ProfileOption::CleanGraphics => ("113103", "Clean Graphics Option"),
            ProfileOption::CleanStructuredContent => ("113104", "Clean Structured Content Option"),
            ProfileOption::CleanDescriptors => ("113105", "Clean Descriptors Option"),
            ProfileOption::RetainLongFullDates => {
                ("113106", "Retain Longitudinal Temporal Information Full Dates Option")
            }
            ProfileOption::RetainLongModifiedDates => {
                ("113107", "Retain Longitudinal Temporal Information Modified Dates Option")
            }
            ProfileOption::RetainPatientCharacteristics => ("113108", "Retain Patient Characteristics Option"),
            ProfileOption::RetainDeviceIdentity => ("113109", "Retain Device Identity Option"),
            ProfileOption::RetainUids => ("113110", "Retain UIDs Option"),
            ProfileOption::RetainSafePrivate => ("113111", "Retain Safe Private Option"),
            ProfileOption::RetainInstitutionIdentity => ("113112", "Retain Institution Identity Option"),
        }
    }

    /// Clean options take precedence over retain options when both change an attribute.
    pub fn is_clean(self) -> bool {
        matches!(
            self,
            ProfileOption::CleanPixelData
                | ProfileOption::CleanRecognizableVisualFeatures
                | ProfileOption::CleanGraphics
                | ProfileOption::CleanStructuredContent
                | ProfileOption::CleanDescriptors
        )
    }
}
