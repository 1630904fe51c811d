//! Typed errors for reading DICOM files (and the PNG/JPEG/TIFF images read alongside). Every variant names the file, so a list of problems is readable on its own.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DicomError {
    #[error("{path}: cannot read file: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a DICOM file ({reason})")]
    NotDicom { path: PathBuf, reason: String },
    #[error("{path}: truncated or malformed DICOM: {reason}")]
    Malformed { path: PathBuf, reason: String },
    #[error("{path}: unsupported transfer syntax {uid} ({name})")]
    UnsupportedTransferSyntax { path: PathBuf, uid: String, name: String },
    #[error("{path}: no pixel data")]
    NoPixelData { path: PathBuf },
    #[error("{path}: cannot decode pixel data: {reason}")]
    Decode { path: PathBuf, reason: String },
    #[error("cancelled")]
    Cancelled,
    #[error("{path}: {attribute} is missing or invalid: {reason}")]
    BadAttribute { path: PathBuf, attribute: &'static str, reason: String },
    /// A PNG, JPEG or TIFF file (not DICOM) that cannot be read.
    #[error("{path}: unreadable {format} image: {reason}")]
    BadImage { path: PathBuf, format: &'static str, reason: String },
}

impl DicomError {
    /// A short machine-readable code for JSON reports and the database.
    pub fn kind(&self) -> &'static str {
        match self {
            DicomError::Io { .. } => "io",
            DicomError::NotDicom { .. } => "not_dicom",
            DicomError::Malformed { .. } => "malformed",
            DicomError::UnsupportedTransferSyntax { .. } => "unsupported_transfer_syntax",
            DicomError::NoPixelData { .. } => "no_pixel_data",
            DicomError::Decode { .. } => "decode",
            DicomError::BadAttribute { .. } => "bad_attribute",
            DicomError::BadImage { .. } => "bad_image",
            DicomError::Cancelled => "cancelled",
        }
    }

    /// The file the error is about (empty for `Cancelled`).
    pub fn path(&self) -> &std::path::Path {
        match self {
            DicomError::Cancelled => std::path::Path::new(""),
            DicomError::Io { path, .. }
            | DicomError::NotDicom { path, .. }
            | DicomError::Malformed { path, .. }
            | DicomError::UnsupportedTransferSyntax { path, .. }
            | DicomError::NoPixelData { path }
            | DicomError::Decode { path, .. }
            | DicomError::BadAttribute { path, .. }
            | DicomError::BadImage { path, .. } => path,
        }
    }
}

/// Formats an error and its chain of causes on one line ("a: b: c").
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
