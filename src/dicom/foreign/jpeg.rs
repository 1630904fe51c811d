//! The marker segments of a JPEG file, and metadata stripping that leaves the image bytes alone:
//! frame, tables, restart intervals and entropy-coded scans are copied byte for byte, so the
//! pixels cannot change.

/// One piece of the stream between SOI and EOI: a marker with its segment, and for SOS the
/// entropy-coded data after it. `start..end` includes the marker (and any fill bytes before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub marker: u8,
    pub start: usize,
    pub end: usize,
}

pub const SOS: u8 = 0xDA;
const EOI: u8 = 0xD9;
const APP0: u8 = 0xE0;
const APP14: u8 = 0xEE;
const COM: u8 = 0xFE;

/// A parsed JPEG file.
pub struct JpegFile<'a> {
    pub bytes: &'a [u8],
    /// Every segment after SOI up to and including EOI, in file order.
    pub segments: Vec<Segment>,
    /// Bytes after EOI (a second image of an MPF/MPO or "motion photo", or junk).
    pub trailing: usize,
}

/// Walks the markers of `bytes`; an error says where the structure breaks.
pub fn parse(bytes: &[u8]) -> Result<JpegFile<'_>, String> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return Err("no SOI marker at the start".into());
    }
    let n = bytes.len();
    let mut segments = Vec::new();
    let mut pos = 2;
    loop {
        let start = pos;
        if bytes.get(pos) != Some(&0xFF) {
            return Err(if pos >= n {
                "ends before EOI (truncated)".into()
            } else {
                format!("no marker at byte {pos}")
            });
        }
        while bytes.get(pos) == Some(&0xFF) {
            pos += 1; // fill bytes
        }
        let marker = *bytes.get(pos).ok_or("ends inside a marker (truncated)")?;
        pos += 1;
        if marker == EOI {
            segments.push(Segment { marker, start, end: pos });
            return Ok(JpegFile { bytes, segments, trailing: n - pos });
        }
        if (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            segments.push(Segment { marker, start, end: pos });
            continue;
        }
        let len = bytes.get(pos..pos + 2).map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])));
        let len = len
            .filter(|&l| l >= 2 && pos + l <= n)
            .ok_or_else(|| format!("segment {marker:#04X} at byte {start} has a bad length or is truncated"))?;
        pos += len;
        if marker == SOS {
            pos = scan_end(bytes, pos).ok_or("ends inside scan data before EOI (truncated)")?;
        }
        segments.push(Segment { marker, start, end: pos });
    }
}

/// The end of entropy-coded data starting at `from`: the first marker that is not a stuffed
/// 0xFF00 or a restart marker.
fn scan_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut j = from;
    while j + 1 < bytes.len() {
        if bytes[j] != 0xFF {
            j += 1;
            continue;
        }
        match bytes[j + 1] {
            0x00 | 0xD0..=0xD7 => j += 2,
            0xFF => j += 1, // fill before a marker
            _ => return Some(j),
        }
    }
    None
}

impl Segment {
    /// The segment's payload after marker and length (empty for standalone markers).
    pub fn payload<'a>(&self, bytes: &'a [u8]) -> &'a [u8] {
        let body = &bytes[self.start..self.end];
        let at = body.iter().position(|&b| b != 0xFF).map_or(body.len(), |m| m + 1);
        if body.len() >= at + 2 && self.marker != EOI { &body[at + 2..] } else { &[] }
    }

    pub fn is_app(&self) -> bool {
        (APP0..=0xEF).contains(&self.marker)
    }
}

/// What stripping did to one segment.
enum Keep {
    Whole,
    Replace(Vec<u8>),
    Drop,
}

/// Keeps what decoding needs and nothing that can identify: APP0 JFIF without its thumbnail
/// (a thumbnail is unreviewed pixels: edited photos have leaked their originals that way), APP14
/// Adobe (it says which colour transform the scans use); drops every other APPn (EXIF with GPS,
/// XMP, ICC, IPTC/Photoshop, MPF, maker data), COM and all bytes after EOI. Returns the new file
/// and the dropped or shortened segments.
pub fn strip_metadata(file: &JpegFile<'_>) -> (Vec<u8>, Vec<Segment>) {
    let mut out = Vec::with_capacity(file.bytes.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut removed = Vec::new();
    for s in &file.segments {
        match keep(s, file.bytes) {
            Keep::Whole => out.extend_from_slice(&file.bytes[s.start..s.end]),
            Keep::Replace(b) => {
                out.extend_from_slice(&b);
                removed.push(*s);
            }
            Keep::Drop => removed.push(*s),
        }
    }
    (out, removed)
}

/// APP0 JFIF without a thumbnail and APP14 Adobe: how to decode, nothing about the subject.
pub fn is_decoding_parameter(s: &Segment, bytes: &[u8]) -> bool {
    let payload = s.payload(bytes);
    match s.marker {
        APP0 => payload.len() == 14 && payload.starts_with(b"JFIF\0") && payload[12] == 0 && payload[13] == 0,
        APP14 => payload.starts_with(b"Adobe"),
        _ => false,
    }
}

fn keep(s: &Segment, bytes: &[u8]) -> Keep {
    if is_decoding_parameter(s, bytes) {
        return Keep::Whole;
    }
    let payload = s.payload(bytes);
    match s.marker {
        APP0 if payload.starts_with(b"JFIF\0") && payload.len() >= 14 => {
            // Same version, units and density; no thumbnail.
            let mut b = vec![0xFF, APP0, 0, 16];
            b.extend_from_slice(&payload[..12]);
            b.extend_from_slice(&[0, 0]);
            Keep::Replace(b)
        }
        COM => Keep::Drop,
        _ if s.is_app() => Keep::Drop,
        _ => Keep::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF, marker];
        v.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    /// SOI, JFIF with a 1×1 thumbnail, EXIF, COM, DQT, SOS with stuffing and a restart, EOI, junk.
    fn sample() -> Vec<u8> {
        let mut f = vec![0xFF, 0xD8];
        f.extend(seg(0xE0, b"JFIF\0\x01\x02\x01\x00\x48\x00\x48\x01\x01\x10\x20\x30"));
        f.extend(seg(0xE1, b"Exif\0\0MM\0*"));
        f.extend(seg(0xFE, b"patient Taro"));
        f.extend(seg(0xDB, &[0; 65]));
        f.extend(seg(0xEE, b"Adobe\0\x64\0\0\0\0\x01"));
        f.extend(seg(0xDA, &[1, 1, 0, 0, 63, 0]));
        f.extend([0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        f.extend([0xFF, 0xD9, 0xAA, 0xBB]);
        f
    }

    #[test]
    fn scans_end_at_the_first_real_marker_past_stuffing_and_restarts() {
        let f = sample();
        let j = parse(&f).unwrap();
        let markers: Vec<u8> = j.segments.iter().map(|s| s.marker).collect();
        assert_eq!(markers, vec![0xE0, 0xE1, 0xFE, 0xDB, 0xEE, 0xDA, 0xD9]);
        let sos = j.segments[5];
        assert_eq!(&f[sos.end - 7..sos.end], &[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        assert_eq!(j.trailing, 2);
    }

    #[test]
    fn stripping_keeps_tables_scans_and_adobe_and_drops_exif_comments_thumbnails_and_trailing_bytes() {
        let f = sample();
        let j = parse(&f).unwrap();
        let (out, removed) = strip_metadata(&j);
        let k = parse(&out).unwrap();
        let markers: Vec<u8> = k.segments.iter().map(|s| s.marker).collect();
        assert_eq!(markers, vec![0xE0, 0xDB, 0xEE, 0xDA, 0xD9]);
        assert_eq!(k.trailing, 0);
        assert_eq!(k.segments[0].payload(&out), b"JFIF\0\x01\x02\x01\x00\x48\x00\x48\x00\x00", "thumbnail gone");
        let tail = |file: &JpegFile<'_>| file.bytes[file.segments[file.segments.len() - 4].start..].to_vec();
        assert_eq!(tail(&k), tail(&j)[..tail(&j).len() - 2], "DQT onwards byte-identical, junk after EOI dropped");
        assert_eq!(removed.iter().map(|s| s.marker).collect::<Vec<_>>(), vec![0xE0, 0xE1, 0xFE]);
    }

    #[test]
    fn truncated_streams_are_errors_not_panics() {
        let f = sample();
        for cut in [1, 3, 5, 20, f.len() - 4] {
            assert!(parse(&f[..cut]).is_err(), "cut at {cut}");
        }
        assert!(parse(b"GIF89a").is_err());
    }
}
