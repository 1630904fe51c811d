//! Locating the root Pixel Data element when it provably ends the file, so that callers can read
//! or copy its bytes directly instead of parsing them into a DICOM value.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Where the Pixel Data element and its value start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelTail {
    pub element_offset: u64,
    pub value_offset: u64,
}

/// Native data of `expected` bytes (even-padded): O(1) — check the one place the element header
/// can be (explicit VR OB/OW, or implicit VR) for the tag and a length reaching the end.
pub fn native_pixel_tail(path: &Path, expected: u64) -> Option<PixelTail> {
    native_pixel_tail_in(&mut std::fs::File::open(path).ok()?, expected)
}

/// As `native_pixel_tail`, on an already open file (its position is moved).
pub fn native_pixel_tail_in(f: &mut std::fs::File, expected: u64) -> Option<PixelTail> {
    let len = f.metadata().ok()?.len();
    let padded = expected + expected % 2;
    for (header, explicit) in [(12u64, true), (8u64, false)] {
        let Some(start) = len.checked_sub(padded + header) else { continue };
        if start < 132 {
            continue;
        }
        let mut h = [0u8; 12];
        f.seek(SeekFrom::Start(start)).ok()?;
        f.read_exact(&mut h[..header as usize]).ok()?;
        let tag_ok = h[..4] == [0xE0, 0x7F, 0x10, 0x00];
        let declared = if explicit {
            (matches!(&h[4..6], b"OB" | b"OW") && h[6..8] == [0, 0])
                .then(|| u32::from_le_bytes([h[8], h[9], h[10], h[11]]))
        } else {
            Some(u32::from_le_bytes([h[4], h[5], h[6], h[7]]))
        };
        if tag_ok && declared.map(u64::from) == Some(padded) {
            return Some(PixelTail { element_offset: start, value_offset: start + header });
        }
    }
    None
}

/// Any Pixel Data element (native or encapsulated) that ends the file, found by scanning the
/// last 8 MiB; for encapsulated data the sequence delimiter must be the file's last 8 bytes.
pub fn pixel_data_tail(path: &Path) -> Option<u64> {
    let mut f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    let window = len.min(8 << 20);
    let mut buf = vec![0u8; window as usize];
    f.seek(SeekFrom::Start(len - window)).ok()?;
    f.read_exact(&mut buf).ok()?;
    let base = len - window;
    let encapsulated_end = buf.ends_with(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
    let candidates: Vec<usize> =
        buf.windows(4).enumerate().filter(|(_, w)| *w == [0xE0, 0x7F, 0x10, 0x00]).map(|(i, _)| i).collect();
    for i in candidates.into_iter().rev() {
        let at = |o: usize| buf.get(i + o..i + o + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        let explicit =
            matches!(buf.get(i + 4..i + 6), Some(b"OB") | Some(b"OW")) && buf.get(i + 6..i + 8) == Some(&[0, 0]);
        let (header, declared) = if explicit { (12u64, at(8)?) } else { (8u64, at(4)?) };
        let start = base + i as u64;
        let fits = if declared == u32::MAX { encapsulated_end } else { start + header + u64::from(declared) == len };
        if fits && start >= 132 {
            return Some(start);
        }
    }
    None
}
