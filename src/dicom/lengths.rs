//! A guard run before a file is parsed: every value length the file declares must fit in the
//! bytes that follow it. The parser allocates a value's declared length before reading it, so a
//! 4-byte length of 0xFFFFFFF0 in a 200-byte file would otherwise cost 4 GiB. The walk reads only
//! tags and lengths (seeking over values), and reports nothing it is unsure about: where the
//! structure is not understood it stops and lets the parser decide.

use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::error::DicomError;

const UNDEFINED: u32 = 0xFFFF_FFFF;
const DEFLATED: &str = "1.2.840.10008.1.2.1.99";
const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
const EXPLICIT_BE: &str = "1.2.840.10008.1.2.2";

#[derive(Clone, Copy)]
struct Enc {
    explicit: bool,
    big: bool,
}

struct Walker<R> {
    r: R,
    pos: u64,
    len: u64,
}

enum Step {
    Ok,
    /// The structure is not understood here: stop checking.
    Unsure,
    /// A declared length that does not fit: (tag, offset, length, sequence depth).
    TooLong(u16, u16, u64, u64, usize),
}

impl<R: Read + Seek> Walker<R> {
    fn read<const N: usize>(&mut self) -> Option<[u8; N]> {
        let mut b = [0u8; N];
        self.r.read_exact(&mut b).ok()?;
        self.pos += N as u64;
        Some(b)
    }

    fn skip(&mut self, n: u64) -> Option<()> {
        self.r.seek(SeekFrom::Current(n as i64)).ok()?;
        self.pos += n;
        Some(())
    }

    fn u16(&mut self, e: Enc) -> Option<u16> {
        let b = self.read::<2>()?;
        Some(if e.big { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) })
    }

    fn u32(&mut self, e: Enc) -> Option<u32> {
        let b = self.read::<4>()?;
        Some(if e.big { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    }

    /// Not understood from the element or item header at `start` on. The parser reads a prefix
    /// that ends there, so it never sees that header: it would allocate the length in it before
    /// finding the prefix too short (fuzzing: 2.3 GB for a stray (FFFE,8B0D) in an item).
    fn unsure_at(&mut self, start: u64) -> Step {
        if self.r.seek(SeekFrom::Start(start)).is_ok() {
            self.pos = start;
        }
        Step::Unsure
    }

    /// Walks elements until `end` (a defined length), or until the matching delimiter when `end`
    /// is None.
    fn walk(&mut self, e: Enc, end: Option<u64>, depth: usize) -> Step {
        if depth > 64 {
            return Step::Unsure;
        }
        loop {
            if end.is_some_and(|end| self.pos >= end) || self.pos + 8 > self.len {
                return Step::Ok;
            }
            let start = self.pos;
            let (Some(group), Some(element)) = (self.u16(e), self.u16(e)) else { return Step::Unsure };
            if group == 0xFFFE {
                // Item, item delimiter or sequence delimiter in a data set: its length follows.
                if self.u32(e).is_none() {
                    return Step::Unsure;
                }
                // An item delimiter ends the item being walked. Anything else here is stray: in
                // the top-level data set the parser reads on past it, into lengths nobody checked;
                // among an item's elements it reads a sequence delimiter or item tag as an
                // element and allocates its length (fuzzing: 4 GB for (FFFE,E0DD) FFFFFF00).
                return if depth > 0 && element == 0xE00D { Step::Ok } else { self.unsure_at(start) };
            }
            let (vr, len) = if e.explicit {
                let Some(vr) = self.read::<2>() else { return Step::Unsure };
                let vr = as_parsed(vr);
                let len = if has_long_length(vr) {
                    if self.skip(2).is_none() {
                        return Step::Unsure;
                    }
                    self.u32(e)
                } else {
                    self.u16(e).map(u32::from)
                };
                let Some(len) = len else { return Step::Unsure };
                (Some(vr), len)
            } else {
                let Some(len) = self.u32(e) else { return Step::Unsure };
                (Some(implicit_vr(group, element)), len)
            };
            if len == UNDEFINED {
                // As the parser does: encapsulated Pixel Data holds fragments; any other element of
                // undefined length is read as a sequence in the same encoding.
                let step = if (group, element) == (0x7FE0, 0x0010) {
                    self.fragments(e, depth)
                } else {
                    self.items(e, None, depth)
                };
                match step {
                    Step::Ok => continue,
                    other => return other,
                }
            }
            let len = u64::from(len);
            if len > self.len - self.pos {
                return Step::TooLong(group, element, start, len, depth);
            }
            if vr.and_then(value_size).is_some_and(|size| len % size != 0) && self.pos + len < self.len {
                // The parser reads whole numbers only and leaves the rest unread, so everything
                // after is read out of step (fuzzing: a 2-byte FL made a 4 GB length of value
                // bytes). An odd-length last element (8-bit Pixel Data as OW) harms nothing.
                return self.unsure_at(start);
            }
            if vr == Some(*b"SQ") {
                match self.items(e, Some(self.pos + len), depth) {
                    Step::Ok => continue,
                    other => return other,
                }
            }
            if self.skip(len).is_none() {
                return Step::Unsure;
            }
        }
    }

    /// Sequence items up to `end` or the sequence delimiter.
    fn items(&mut self, e: Enc, end: Option<u64>, depth: usize) -> Step {
        loop {
            if end.is_some_and(|end| self.pos >= end) {
                return Step::Ok;
            }
            if self.pos + 8 > self.len {
                return Step::Unsure;
            }
            let start = self.pos;
            let (Some(group), Some(element), Some(len)) = (self.u16(e), self.u16(e), self.u32(e)) else {
                return Step::Unsure;
            };
            match (group, element) {
                (0xFFFE, 0xE0DD) => return Step::Ok,
                (0xFFFE, 0xE000) if len == UNDEFINED => match self.walk(e, None, depth + 1) {
                    Step::Ok => {}
                    other => return other,
                },
                (0xFFFE, 0xE000) => {
                    let len = u64::from(len);
                    if len > self.len - self.pos {
                        return Step::TooLong(group, element, start, len, depth);
                    }
                    match self.walk(e, Some(self.pos + len), depth + 1) {
                        Step::Ok => {}
                        other => return other,
                    }
                }
                _ => return self.unsure_at(start),
            }
        }
    }

    /// Encapsulated pixel data: the offset table and fragments, each skipped by its length.
    fn fragments(&mut self, e: Enc, depth: usize) -> Step {
        loop {
            if self.pos + 8 > self.len {
                return Step::Unsure;
            }
            let start = self.pos;
            let (Some(group), Some(element), Some(len)) = (self.u16(e), self.u16(e), self.u32(e)) else {
                return Step::Unsure;
            };
            match (group, element) {
                (0xFFFE, 0xE0DD) => return Step::Ok,
                (0xFFFE, 0xE000) if len != UNDEFINED => {
                    let len = u64::from(len);
                    if len > self.len - self.pos {
                        // Reported as the Pixel Data it belongs to.
                        return Step::TooLong(0x7FE0, 0x0010, start, len, depth);
                    }
                    if self.skip(len).is_none() {
                        return Step::Unsure;
                    }
                }
                _ => return self.unsure_at(start),
            }
        }
    }
}

/// The VR the parser gives an implicit VR element: from the dictionary (OW for pixel and
/// overlay data), UN when the tag is unknown.
fn implicit_vr(group: u16, element: u16) -> [u8; 2] {
    use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
    if (group, element) == (0x7FE0, 0x0010) || (group >> 8 == 0x60 && element == 0x3000) {
        return *b"OW";
    }
    dicom_dictionary_std::StandardDataDictionary
        .by_tag(dicom_core::Tag(group, element))
        .map_or(*b"UN", |entry| entry.vr().relaxed().to_bytes())
}

/// The size of one number of a binary VR: the parser reads a value as whole numbers.
fn value_size(vr: [u8; 2]) -> Option<u64> {
    match &vr {
        b"US" | b"SS" | b"OW" => Some(2),
        b"UL" | b"SL" | b"FL" | b"OF" | b"OL" | b"AT" => Some(4),
        b"FD" | b"OD" | b"SV" | b"UV" | b"OV" => Some(8),
        _ => None,
    }
}

/// The VR as the parser takes it: an unknown one (even two letters, fuzzing found "XI") reads
/// as UN, with reserved bytes and a 4-byte length.
fn as_parsed(vr: [u8; 2]) -> [u8; 2] {
    if dicom_core::VR::from_binary(vr).is_some() { vr } else { *b"UN" }
}

/// VRs with two reserved bytes and a 4-byte length in explicit VR encodings.
fn has_long_length(vr: [u8; 2]) -> bool {
    matches!(&vr, b"OB" | b"OD" | b"OF" | b"OL" | b"OV" | b"OW" | b"SQ" | b"SV" | b"UC" | b"UN" | b"UR" | b"UT" | b"UV")
}

/// The transfer syntax named in the file meta group, and where the data set starts, as the
/// parser finds them: after (0002,0000) it reads elements of any group until their bytes reach
/// the group length (fuzzing: a meta group cut short by a stray tag put the data set start, and
/// so the deflated stream, elsewhere than the parser). Without a group length the parser refuses
/// the meta group; the openers' fallbacks then read group 0002 elements while they last.
fn read_meta<R: Read + Seek>(w: &mut Walker<R>) -> Option<(String, u64)> {
    let mut ts = String::new();
    let first = w.pos;
    let (group, element, len, _) = meta_header(w)?;
    if (group, element, len) == (0x0002, 0x0000, 4) {
        let group_length = u64::from(w.u32(LE)?);
        let mut read = 0u64;
        while read < group_length {
            let (group, element, len, header) = meta_header(w)?;
            if len == u64::from(UNDEFINED) || len > w.len - w.pos {
                return None;
            }
            meta_value(w, (group, element), len, &mut ts)?;
            read += header + len;
        }
        return Some((ts, w.pos));
    }
    w.r.seek(SeekFrom::Start(first)).ok()?;
    w.pos = first;
    loop {
        let here = w.pos;
        let (group, element, len, _) = meta_header(w)?;
        if group != 0x0002 {
            w.r.seek(SeekFrom::Start(here)).ok()?;
            w.pos = here;
            return Some((ts, here));
        }
        if len > w.len - w.pos {
            return None;
        }
        meta_value(w, (group, element), len, &mut ts)?;
    }
}

const LE: Enc = Enc { explicit: true, big: false };

/// An explicit VR little endian element header of the meta group: tag, length, header bytes.
fn meta_header<R: Read + Seek>(w: &mut Walker<R>) -> Option<(u16, u16, u64, u64)> {
    let (group, element) = (w.u16(LE)?, w.u16(LE)?);
    let vr = as_parsed(w.read::<2>()?);
    if has_long_length(vr) {
        w.skip(2)?;
        Some((group, element, u64::from(w.u32(LE)?), 12))
    } else {
        Some((group, element, u64::from(w.u16(LE)?), 8))
    }
}

/// Skips a meta element's value, keeping the transfer syntax UID.
fn meta_value<R: Read + Seek>(w: &mut Walker<R>, tag: (u16, u16), len: u64, ts: &mut String) -> Option<()> {
    if tag == (0x0002, 0x0010) {
        let mut v = vec![0u8; len as usize];
        w.r.read_exact(&mut v).ok()?;
        w.pos += len;
        *ts = String::from_utf8_lossy(&v).trim_end_matches(['\0', ' ']).to_string();
        Some(())
    } else {
        w.skip(len)
    }
}

/// The most a deflated data set may expand to. The parser inflates it as it reads, so a small
/// file declaring one huge zero-filled value (a "deflate bomb") would otherwise be held in memory.
pub const MAX_INFLATED_BYTES: u64 = 1 << 30;

/// Inflates the data set of a Deflated Explicit VR Little Endian file (starting at `start`),
/// refuses it when it expands past `MAX_INFLATED_BYTES`, and walks the inflated elements: a small
/// stream may still declare a value of gigabytes.
fn check_inflated_size<R: Read + Seek>(path: &Path, mut r: R, start: u64) -> Result<(), DicomError> {
    let io = |source| DicomError::Io { path: path.into(), source };
    // First pass: count, keeping nothing (a bomb must not be held in memory to be found).
    r.seek(SeekFrom::Start(start)).map_err(io)?;
    let mut sink = [0u8; 1 << 16];
    let mut total = 0u64;
    let mut inflater = flate2::read::DeflateDecoder::new(&mut r).take(MAX_INFLATED_BYTES + 1);
    // A broken stream is the parser's to report: count what inflated.
    while let Ok(n) = inflater.read(&mut sink) {
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    if total > MAX_INFLATED_BYTES {
        return Err(DicomError::Malformed {
            path: path.into(),
            reason: format!("the deflated data set expands beyond {} MiB (a deflate bomb?)", MAX_INFLATED_BYTES >> 20),
        });
    }
    // Second pass: the inflated data set, exactly sized, for the element walk.
    r.seek(SeekFrom::Start(start)).map_err(io)?;
    let mut inflated = Vec::with_capacity(total as usize);
    let _ = flate2::read::DeflateDecoder::new(&mut r).take(total).read_to_end(&mut inflated);
    let len = inflated.len() as u64;
    let mut w = Walker { r: std::io::Cursor::new(inflated), pos: 0, len };
    match w.walk(Enc { explicit: true, big: false }, None, 0) {
        Step::TooLong(g, e, offset, declared, _) => Err(DicomError::Malformed {
            path: path.into(),
            reason: format!(
                "deflated data set: ({g:04X},{e:04X}) at byte {offset} declares {declared} bytes, more than the {} left",
                len.saturating_sub(offset)
            ),
        }),
        // The parser inflates and reads the whole stream: it cannot stop at a byte of it, so a
        // structure the walk does not understand (and the lengths behind it) is refused.
        Step::Unsure => Err(DicomError::Malformed {
            path: path.into(),
            reason: format!("deflated data set: the element structure breaks off at inflated byte {}", w.pos),
        }),
        Step::Ok => Ok(()),
    }
}

/// Checks every declared length of the file at `path` against its size, and tells how the data
/// set is encoded when that differs from its declaration. With `header_only`, a
/// truncated Pixel Data element passes (it is not read; decoding reports it later).
pub fn check_declared_lengths(path: &Path, header_only: bool) -> Result<DataSetLayout, DicomError> {
    let io = |source| DicomError::Io { path: path.into(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut w = Walker { r: BufReader::with_capacity(8192, file), pos: 0, len };
    let mut head = [0u8; 132];
    let part10 = w.r.read_exact(&mut head).is_ok() && &head[128..132] == b"DICM";
    let mut layout = DataSetLayout::AsDeclared;
    let enc = if part10 {
        w.pos = 132;
        // The parser reads the meta group before anything else, allocating its declared lengths.
        let Some((ts, start)) = read_meta(&mut w) else {
            return Err(DicomError::Malformed {
                path: path.into(),
                reason: "the file meta group (0002) runs past the end of the file".into(),
            });
        };
        match ts.as_str() {
            DEFLATED => return check_inflated_size(path, w.r, w.pos).map(|()| DataSetLayout::AsDeclared),
            IMPLICIT_LE => Enc { explicit: false, big: false },
            EXPLICIT_BE => Enc { explicit: true, big: true },
            _ => {
                // Some writers declare explicit VR but write the data set implicit: the first
                // element's "VR" is then not two letters. The parser would read it as UN with a
                // length made of value bytes and allocate that before failing.
                let mut first = [0u8; 6];
                let implicit = w.r.read_exact(&mut first).is_ok() && !first[4..6].iter().all(u8::is_ascii_uppercase);
                w.r.seek(SeekFrom::Start(start)).map_err(io)?;
                w.pos = start;
                if implicit {
                    layout = DataSetLayout::ImplicitDespiteMeta;
                    Enc { explicit: false, big: false }
                } else {
                    Enc { explicit: true, big: false }
                }
            }
        }
    } else {
        // Only what the opener would read as a raw data set (see `open_raw_dataset`).
        if !(0x0002..=0x0008).contains(&u16::from_le_bytes([head[0], head[1]])) {
            return Ok(DataSetLayout::AsDeclared);
        }
        w.r.seek(SeekFrom::Start(0)).map_err(io)?;
        Enc { explicit: head.get(4..6).is_some_and(|v| v.iter().all(u8::is_ascii_uppercase)), big: false }
    };
    match w.walk(enc, None, 0) {
        // A header read stops before the top-level Pixel Data of a Part 10 file; a raw data set is
        // read whole, and so is the Pixel Data inside an item (an icon image) (fuzzing).
        Step::TooLong(0x7FE0, 0x0010, _, _, 0) if header_only && part10 => Ok(layout),
        // Past a structure the walk does not understand the parser would meet lengths nobody
        // checked (fuzzing found 4 GB values behind a stray (FFFE,0000)): it reads only up to there.
        Step::Unsure if layout == DataSetLayout::AsDeclared => Ok(DataSetLayout::UnderstoodUntil(w.pos)),
        Step::TooLong(g, e, offset, declared, _) => Err(DicomError::Malformed {
            path: path.into(),
            reason: format!(
                "({g:04X},{e:04X}) at byte {offset} declares {declared} bytes, more than the {} left in the file",
                len.saturating_sub(offset)
            ),
        }),
        Step::Ok | Step::Unsure => Ok(layout),
    }
}

/// For the openers' fallbacks on files the parser already refused (`bytes`: a Part 10 file from
/// its preamble, perhaps cut short): true only when the whole data set, read in the declared
/// encoding or as Implicit VR Little Endian when `implicit`, is understood and every length fits.
/// Unlike [`check_declared_lengths`], a structure the walk does not understand fails: such a file
/// is already known to be broken, and the parser would allocate whatever lengths it then meets.
pub(super) fn fits_strictly(bytes: &[u8], implicit: bool) -> bool {
    let mut w = Walker { r: std::io::Cursor::new(bytes), pos: 0, len: bytes.len() as u64 };
    if bytes.get(128..132) != Some(b"DICM") || w.r.seek(SeekFrom::Start(132)).is_err() {
        return false;
    }
    w.pos = 132;
    let Some((ts, _)) = read_meta(&mut w) else { return false };
    let enc = match ts.as_str() {
        _ if implicit => Enc { explicit: false, big: false },
        IMPLICIT_LE => Enc { explicit: false, big: false },
        EXPLICIT_BE => Enc { explicit: true, big: true },
        DEFLATED => return false,
        _ => Enc { explicit: true, big: false },
    };
    matches!(w.walk(enc, None, 0), Step::Ok)
}

/// How the data set is actually encoded, as far as the walk could tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataSetLayout {
    AsDeclared,
    /// The meta group says explicit VR little endian, the data set is implicit.
    ImplicitDespiteMeta,
    /// The walk understood the file up to this byte only; what follows is not to be parsed.
    UnderstoodUntil(u64),
}

#[cfg(test)]
#[path = "lengths_tests.rs"]
mod tests;
