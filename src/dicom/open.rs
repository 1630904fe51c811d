//! Opening one file: the standard Part 10 layout first, then a raw data set without file meta
//! (old files and some exports have none). Errors are classified so users see why a file failed.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use dicom_dictionary_std::{tags, uids};
use dicom_encoding::TransferSyntaxIndex;
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::{DefaultDicomObject, InMemDicomObject, OpenFileOptions, ReadError};
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

use super::error::{DicomError, error_chain};

/// An opened file. `had_file_meta` is false when the meta group was synthesised.
pub struct DicomFile {
    pub path: PathBuf,
    pub obj: DefaultDicomObject,
    pub had_file_meta: bool,
}

/// Opens `path` read-only. With `header_only`, reading stops before Pixel Data.
pub fn open_dicom(path: &Path, header_only: bool) -> Result<DicomFile, DicomError> {
    let meta = std::fs::metadata(path).map_err(|source| DicomError::Io { path: path.into(), source })?;
    if meta.len() == 0 {
        return Err(not_dicom(path, "empty file"));
    }
    let layout = super::lengths::check_declared_lengths(path, header_only)?;
    if layout == super::lengths::DataSetLayout::ImplicitDespiteMeta {
        let Some(obj) = open_implicit_despite_meta(path) else {
            // Its first element has no VR, so an explicit read would take value bytes for lengths.
            return Err(DicomError::Malformed {
                path: path.into(),
                reason: "the transfer syntax is explicit VR but the data set is not, and it does not read as implicit VR either".into(),
            });
        };
        tracing::warn!("{}: data set is implicit VR although the transfer syntax is explicit", path.display());
        return Ok(DicomFile { path: path.into(), obj, had_file_meta: true });
    }
    let mut options = OpenFileOptions::new();
    if header_only {
        options = options.read_until(tags::PIXEL_DATA);
    }
    let read = match layout {
        super::lengths::DataSetLayout::UnderstoodUntil(end) => open_prefix(path, end, options),
        _ => options.open_file(path),
    };
    match read {
        Ok(obj) => Ok(DicomFile { path: path.into(), obj, had_file_meta: true }),
        Err(err) => {
            if has_part10_magic(path)? {
                // Some real files carry padding or garbage after Pixel Data: read up to its end.
                match (header_only, open_up_to_pixel_end(path)) {
                    (false, Some(obj)) => {
                        tracing::warn!("{}: ignored bytes after the Pixel Data element", path.display());
                        Ok(DicomFile { path: path.into(), obj, had_file_meta: true })
                    }
                    _ => match open_implicit_despite_meta(path) {
                        Some(obj) => {
                            tracing::warn!(
                                "{}: data set is implicit VR although the transfer syntax is explicit",
                                path.display()
                            );
                            Ok(DicomFile { path: path.into(), obj, had_file_meta: true })
                        }
                        None => Err(match (classify(path, err), layout) {
                            (
                                DicomError::Malformed { path, reason },
                                super::lengths::DataSetLayout::UnderstoodUntil(end),
                            ) => DicomError::Malformed {
                                path,
                                reason: format!("the structure breaks off at byte {end} ({reason})"),
                            },
                            (e, _) => e,
                        }),
                    },
                }
            } else {
                let end = match layout {
                    super::lengths::DataSetLayout::UnderstoodUntil(end) => end,
                    _ => u64::MAX,
                };
                open_raw_dataset(path, end)
            }
        }
    }
}

/// Parses a Part 10 file only up to byte `end` (from its DICM magic on).
fn open_prefix(path: &Path, end: u64, options: OpenFileOptions) -> Result<DefaultDicomObject, ReadError> {
    use std::io::{Seek, SeekFrom};
    let Ok(mut file) = File::open(path) else { return options.open_file(path) };
    if file.seek(SeekFrom::Start(128)).is_err() {
        return options.open_file(path);
    }
    options
        .read_preamble(dicom_object::file::ReadPreamble::Never)
        .from_reader(std::io::BufReader::new(file.take(end.saturating_sub(128))))
}

fn not_dicom(path: &Path, reason: &str) -> DicomError {
    DicomError::NotDicom { path: path.into(), reason: reason.into() }
}

fn has_part10_magic(path: &Path) -> Result<bool, DicomError> {
    let mut head = [0u8; 132];
    let mut f = File::open(path).map_err(|source| DicomError::Io { path: path.into(), source })?;
    let n = read_up_to(&mut f, &mut head).map_err(|source| DicomError::Io { path: path.into(), source })?;
    Ok(n == 132 && &head[128..132] == b"DICM")
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Parses only the bytes up to the end of the root Pixel Data element, if one can be found whose
/// declared length fits in the file.
fn open_up_to_pixel_end(path: &Path) -> Option<DefaultDicomObject> {
    let bytes = std::fs::read(path).ok()?;
    let tag = [0xE0, 0x7F, 0x10, 0x00];
    let mut from = 132;
    while let Some(pos) = bytes.get(from..)?.windows(4).position(|w| w == tag) {
        let off = from + pos;
        let explicit = matches!(bytes.get(off + 4..off + 6), Some(b"OB") | Some(b"OW"));
        let (len_at, header) = if explicit { (off + 8, 12) } else { (off + 4, 8) };
        let len = u32::from_le_bytes(bytes.get(len_at..len_at + 4)?.try_into().ok()?);
        let end = if len == u32::MAX {
            let delim = [0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0];
            bytes[off..].windows(8).position(|w| w == delim).map(|p| off + p + 8)
        } else {
            Some(off + header + len as usize).filter(|&e| e <= bytes.len())
        };
        if let Some(end) = end
            && super::lengths::fits_strictly(&bytes[..end], false)
            && let Ok(obj) = OpenFileOptions::new()
                .read_preamble(dicom_object::file::ReadPreamble::Never)
                .from_reader(&bytes[128..end])
        {
            return Some(obj);
        }
        from = off + 4;
    }
    None
}

/// Some writers encode the data set in Implicit VR Little Endian while the meta group names an
/// explicit VR little-endian transfer syntax (pydicom detects and accepts this). Reads the data set
/// as implicit VR when its first element header has no VR, keeping the meta's transfer syntax for
/// the pixel data.
fn open_implicit_despite_meta(path: &Path) -> Option<DefaultDicomObject> {
    let bytes = std::fs::read(path).ok()?;
    // The meta group is explicit VR little endian: walk its elements to find where it ends.
    let mut at = 132;
    while bytes.get(at..at + 2)? == [0x02, 0x00] {
        let vr = bytes.get(at + 4..at + 6)?;
        at += if matches!(vr, b"OB" | b"OW" | b"OF" | b"SQ" | b"UT" | b"UN") {
            12 + u32::from_le_bytes(bytes.get(at + 8..at + 12)?.try_into().ok()?) as usize
        } else {
            8 + usize::from(u16::from_le_bytes(bytes.get(at + 6..at + 8)?.try_into().ok()?))
        };
    }
    let head = bytes.get(at..at + 8)?;
    if head[4].is_ascii_uppercase() && head[5].is_ascii_uppercase() {
        return None; // explicit after all: the failure was something else
    }
    let meta = dicom_object::meta::FileMetaTable::from_reader(bytes.get(128..at)?).ok()?;
    let ts = meta.transfer_syntax();
    if matches!(ts, uids::IMPLICIT_VR_LITTLE_ENDIAN | "1.2.840.10008.1.2.2" | uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN)
    {
        return None;
    }
    if !super::lengths::fits_strictly(&bytes, true) {
        return None;
    }
    let implicit = TransferSyntaxRegistry.get(uids::IMPLICIT_VR_LITTLE_ENDIAN)?;
    let obj = InMemDicomObject::read_dataset_with_ts(&bytes[at..], implicit).ok()?;
    Some(obj.with_exact_meta(meta))
}

fn classify(path: &Path, err: ReadError) -> DicomError {
    match &err {
        ReadError::OpenFile { source, .. } | ReadError::ReadFile { source, .. } => {
            DicomError::Io { path: path.into(), source: std::io::Error::new(source.kind(), source.to_string()) }
        }
        ReadError::ReadUnrecognizedTransferSyntax { uid, .. } => {
            DicomError::UnsupportedTransferSyntax { path: path.into(), uid: uid.clone(), name: "unrecognised".into() }
        }
        ReadError::ReadUnsupportedTransferSyntax { uid, name, .. }
        | ReadError::ReadUnsupportedTransferSyntaxWithSuggestion { uid, name, .. } => {
            DicomError::UnsupportedTransferSyntax { path: path.into(), uid: uid.to_string(), name: name.to_string() }
        }
        _ => DicomError::Malformed { path: path.into(), reason: error_chain(&err) },
    }
}

/// A data set written without preamble and meta group: detect explicit vs implicit VR from the
/// first element header, and accept it only when it starts like a real data set (group 0002–0008).
/// Reads a data set without a preamble and meta group, up to byte `end` (where the length walk
/// stopped understanding it).
fn open_raw_dataset(path: &Path, end: u64) -> Result<DicomFile, DicomError> {
    let mut f = File::open(path).map_err(|source| DicomError::Io { path: path.into(), source })?;
    let mut head = [0u8; 8];
    let n = read_up_to(&mut f, &mut head).map_err(|source| DicomError::Io { path: path.into(), source })?;
    let group = u16::from_le_bytes([head[0], head[1]]);
    if n < 8 || !(0x0002..=0x0008).contains(&group) {
        return Err(not_dicom(path, "no DICM marker and no data set at the start"));
    }
    let explicit = head[4].is_ascii_uppercase() && head[5].is_ascii_uppercase();
    let ts_uid = if explicit { uids::EXPLICIT_VR_LITTLE_ENDIAN } else { uids::IMPLICIT_VR_LITTLE_ENDIAN };
    let ts = TransferSyntaxRegistry.get(ts_uid).expect("little endian transfer syntaxes are always registered");
    let file = File::open(path).map_err(|source| DicomError::Io { path: path.into(), source })?;
    let obj = InMemDicomObject::read_dataset_with_ts(BufReader::new(file.take(end)), ts).map_err(|e| {
        DicomError::NotDicom {
            path: path.into(),
            reason: format!("no DICM marker, and not a readable raw data set: {}", error_chain(&e)),
        }
    })?;
    let sop_class = super::attrs::text(&obj, tags::SOP_CLASS_UID).unwrap_or_default();
    let sop_instance = super::attrs::text(&obj, tags::SOP_INSTANCE_UID).unwrap_or_default();
    let meta = FileMetaTableBuilder::new()
        .transfer_syntax(ts_uid)
        .media_storage_sop_class_uid(sop_class)
        .media_storage_sop_instance_uid(sop_instance)
        .implementation_class_uid(crate::IMPLEMENTATION_CLASS_UID)
        .build()
        .map_err(|e| DicomError::Malformed { path: path.into(), reason: error_chain(&e) })?;
    Ok(DicomFile { path: path.into(), obj: obj.with_exact_meta(meta), had_file_meta: false })
}
