//! Typed project settings over the key/value `settings` table.

use serde::Serialize;

use super::{Project, ProjectError};

/// How the project exports PNG, JPEG and TIFF images (setting `foreign_image_output`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum ForeignImageOutput {
    /// In the image's own format, metadata stripped.
    #[default]
    Native,
    /// Wrapped as DICOM Secondary Capture.
    DicomSc,
}

impl ForeignImageOutput {
    pub const KEY: &'static str = "foreign_image_output";

    pub fn as_str(self) -> &'static str {
        match self {
            ForeignImageOutput::Native => "native",
            ForeignImageOutput::DicomSc => "dicom-sc",
        }
    }

    pub fn parse(s: &str) -> Option<ForeignImageOutput> {
        [ForeignImageOutput::Native, ForeignImageOutput::DicomSc].into_iter().find(|o| o.as_str() == s)
    }
}

/// What a face on a photograph is proposed for masking (setting `face_mask`): the eye band, the
/// Japanese guideline's minimum, or the whole face.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum FaceMask {
    #[default]
    EyeBand,
    WholeFace,
}

impl FaceMask {
    pub const KEY: &'static str = "face_mask";

    pub fn as_str(self) -> &'static str {
        match self {
            FaceMask::EyeBand => "eye-band",
            FaceMask::WholeFace => "whole-face",
        }
    }

    pub fn parse(s: &str) -> Option<FaceMask> {
        [FaceMask::EyeBand, FaceMask::WholeFace].into_iter().find(|m| m.as_str() == s)
    }
}

impl Project {
    /// How faces are proposed for masking; the eye band until one is set.
    pub fn face_mask(&self) -> Result<FaceMask, ProjectError> {
        match self.setting(FaceMask::KEY)? {
            None => Ok(FaceMask::default()),
            Some(v) => FaceMask::parse(&v).ok_or_else(|| ProjectError::BadSetting {
                path: self.path.clone(),
                key: FaceMask::KEY,
                value: v,
                expected: "eye-band or whole-face",
            }),
        }
    }

    /// Sets it (audited like every setting).
    pub fn set_face_mask(&mut self, mask: FaceMask, actor: &str) -> Result<(), ProjectError> {
        self.set_setting(FaceMask::KEY, mask.as_str(), actor)
    }

    /// The project's choice for PNG/JPEG/TIFF exports; `Native` until one is set.
    pub fn foreign_image_output(&self) -> Result<ForeignImageOutput, ProjectError> {
        match self.setting(ForeignImageOutput::KEY)? {
            None => Ok(ForeignImageOutput::default()),
            Some(v) => ForeignImageOutput::parse(&v).ok_or_else(|| ProjectError::BadSetting {
                path: self.path.clone(),
                key: ForeignImageOutput::KEY,
                value: v,
                expected: "native or dicom-sc",
            }),
        }
    }

    /// Sets it (audited like every setting).
    pub fn set_foreign_image_output(&mut self, choice: ForeignImageOutput, actor: &str) -> Result<(), ProjectError> {
        self.set_setting(ForeignImageOutput::KEY, choice.as_str(), actor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn face_mask_defaults_to_the_eye_band_round_trips_and_refuses_unknown_values() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Project::open(&dir.path().join("p.sumi")).unwrap();
        assert_eq!(p.face_mask().unwrap(), FaceMask::EyeBand);
        p.set_face_mask(FaceMask::WholeFace, "tester").unwrap();
        assert_eq!(p.face_mask().unwrap(), FaceMask::WholeFace);
        p.set_setting(FaceMask::KEY, "blur", "tester").unwrap();
        let e = p.face_mask().unwrap_err().to_string();
        assert!(e.contains("face_mask") && e.contains("blur") && e.contains("p.sumi"), "{e}");
    }

    #[test]
    fn foreign_image_output_defaults_to_native_round_trips_and_refuses_unknown_values() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Project::open(&dir.path().join("p.sumi")).unwrap();
        assert_eq!(p.foreign_image_output().unwrap(), ForeignImageOutput::Native);
        p.set_foreign_image_output(ForeignImageOutput::DicomSc, "tester").unwrap();
        assert_eq!(p.foreign_image_output().unwrap(), ForeignImageOutput::DicomSc);
        p.set_setting(ForeignImageOutput::KEY, "gif", "tester").unwrap();
        let e = p.foreign_image_output().unwrap_err().to_string();
        assert!(e.contains("foreign_image_output") && e.contains("gif") && e.contains("p.sumi"), "{e}");
    }
}
