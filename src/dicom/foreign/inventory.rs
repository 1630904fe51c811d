//! What metadata a foreign image carries besides its pixels, in words ("EXIF with GPS",
//! "PNG tEXt 'Author'", "TIFF tag 270 ImageDescription"): shown to the reviewer and listed in the
//! cleaning report as removed.

use std::io::Cursor;

use super::ForeignKind;
use super::jpeg::{self, Segment};

/// PNG chunks that carry the image itself; every other chunk is metadata.
const PNG_IMAGE_CHUNKS: [&[u8; 4]; 5] = [b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS"];

/// TIFF tags that describe the pixels (layout, compression, resolution); the rest is metadata.
const TIFF_LAYOUT_TAGS: &[u16] = &[
    254, 255, 256, 257, 258, 259, 262, 263, 266, 273, 277, 278, 279, 280, 281, 282, 283, 284, 290, 291, 292, 293, 296,
    317, 318, 319, 320, 322, 323, 324, 325, 338, 339, 340, 341, 347, 512, 513, 514, 515, 517, 518, 519, 520, 521, 529,
    530, 531, 532,
];

/// Tags worth a name in the list (metadata only).
fn tiff_tag_name(tag: u16) -> Option<&'static str> {
    Some(match tag {
        269 => "DocumentName",
        270 => "ImageDescription",
        271 => "Make",
        272 => "Model",
        274 => "Orientation",
        285 => "PageName",
        297 => "PageNumber",
        305 => "Software",
        306 => "DateTime",
        315 => "Artist",
        316 => "HostComputer",
        700 => "XMP",
        33432 => "Copyright",
        33723 => "IPTC",
        34377 => "Photoshop",
        34665 => "EXIF IFD",
        34675 => "ICC profile",
        34853 => "GPS IFD",
        37724 => "ImageSourceData",
        42016 => "ImageUniqueID",
        _ => return None,
    })
}

/// The EXIF pointer to the GPS IFD.
const GPS_IFD: u16 = 0x8825;

/// The metadata in `bytes` (a file of `kind`), one entry per item.
pub fn inventory(kind: ForeignKind, bytes: &[u8]) -> Result<Vec<String>, String> {
    match kind {
        ForeignKind::Jpeg => {
            let file = jpeg::parse(bytes)?;
            let mut out: Vec<String> = file
                .segments
                .iter()
                .filter(|s| (s.is_app() || s.marker == 0xFE) && !jpeg::is_decoding_parameter(s, bytes))
                .map(|s| describe_jpeg_segment(s, bytes))
                .collect();
            if file.trailing > 0 {
                out.push(format!("{} bytes after the end of the image (e.g. a second MPF image)", file.trailing));
            }
            Ok(out)
        }
        ForeignKind::Png => png_chunks(bytes).map(|chunks| {
            chunks.into_iter().filter(|(t, _)| !PNG_IMAGE_CHUNKS.contains(t)).map(|(t, d)| describe_png(t, d)).collect()
        }),
        ForeignKind::Tiff => tiff_metadata(bytes),
    }
}

/// Names a JPEG APPn or COM segment by its identifier.
pub fn describe_jpeg_segment(s: &Segment, bytes: &[u8]) -> String {
    let p = s.payload(bytes);
    if s.marker == 0xFE {
        return format!("comment (COM, {} bytes)", p.len());
    }
    let n = s.marker - 0xE0;
    let what = match p {
        _ if p.starts_with(b"Exif\0") => exif_name(p.get(6..).unwrap_or(&[])),
        _ if p.starts_with(b"http://ns.adobe.com/xap/1.0/\0") => "XMP".into(),
        _ if p.starts_with(b"http://ns.adobe.com/xmp/extension/\0") => "XMP (extended)".into(),
        _ if p.starts_with(b"ICC_PROFILE\0") => "ICC profile".into(),
        _ if p.starts_with(b"Photoshop 3.0\0") => "Photoshop/IPTC".into(),
        _ if p.starts_with(b"MPF\0") => "MPF (multi-picture index)".into(),
        _ if p.starts_with(b"JFIF\0") => "JFIF thumbnail".into(),
        _ => {
            let id: String = p.iter().take_while(|&&b| b != 0).take(24).map(|&b| char::from(b)).collect();
            format!("data '{}'", id.escape_default())
        }
    };
    format!("{what} (APP{n}, {} bytes)", p.len())
}

fn exif_name(tiff: &[u8]) -> String {
    if ifd0_tags(tiff).is_some_and(|t| t.contains(&GPS_IFD)) { "EXIF with GPS".into() } else { "EXIF".into() }
}

/// The tags of the first IFD of a classic TIFF structure (an EXIF blob); `None` if malformed.
pub fn ifd0_tags(tiff: &[u8]) -> Option<Vec<u16>> {
    let le = match tiff.get(..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |at: usize| {
        tiff.get(at..at + 2)
            .map(|b| if le { u16::from_le_bytes([b[0], b[1]]) } else { u16::from_be_bytes([b[0], b[1]]) })
    };
    let u32_at = |at: usize| {
        tiff.get(at..at + 4).map(|b| {
            let a = [b[0], b[1], b[2], b[3]];
            if le { u32::from_le_bytes(a) } else { u32::from_be_bytes(a) }
        })
    };
    let ifd = u32_at(4)? as usize;
    let count = usize::from(u16_at(ifd)?);
    (0..count).map(|k| u16_at(ifd + 2 + 12 * k)).collect()
}

/// A PNG chunk's type and data.
pub type PngChunk<'a> = (&'a [u8; 4], &'a [u8]);

/// Every chunk of a PNG; an error names the chunk where the structure breaks.
pub fn png_chunks(bytes: &[u8]) -> Result<Vec<PngChunk<'_>>, String> {
    let mut pos = 8;
    let mut out = Vec::new();
    while pos < bytes.len() {
        let head = bytes.get(pos..pos + 8).ok_or_else(|| format!("truncated chunk header at byte {pos}"))?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind: &[u8; 4] = head[4..8].try_into().expect("4 bytes");
        let data = bytes.get(pos + 8..pos + 12 + len).map(|d| &d[..len]).ok_or_else(|| {
            let name =
                if kind.iter().all(u8::is_ascii_alphabetic) { fourcc(kind) } else { "with a corrupt header".into() };
            format!("chunk {name} at byte {pos} runs past the end of the file (truncated or corrupt)")
        })?;
        out.push((kind, data));
        pos += 12 + len;
        if kind == b"IEND" {
            break;
        }
    }
    Ok(out)
}

fn fourcc(t: &[u8; 4]) -> String {
    t.iter().map(|&b| char::from(b)).collect::<String>().escape_default().to_string()
}

fn describe_png(t: &[u8; 4], data: &[u8]) -> String {
    let keyword = || -> String {
        let k: String = data.iter().take_while(|&&b| b != 0).take(79).map(|&b| char::from(b)).collect();
        k.escape_default().to_string()
    };
    match t {
        b"tEXt" | b"zTXt" | b"iTXt" => format!("PNG {} '{}' ({} bytes)", fourcc(t), keyword(), data.len()),
        b"iCCP" => format!("PNG iCCP ICC profile '{}'", keyword()),
        b"eXIf" => format!("PNG eXIf {}", exif_name(data)),
        b"tIME" => "PNG tIME (modification time)".into(),
        _ => format!("PNG {} ({} bytes)", fourcc(t), data.len()),
    }
}

/// Metadata tags of the first page, and every further page (never exported).
fn tiff_metadata(bytes: &[u8]) -> Result<Vec<String>, String> {
    let mut decoder = tiff::decoder::Decoder::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let first = decoder.ifd_pointer().ok_or("no image file directory")?;
    let dir = decoder.read_directory(first).map_err(|e| e.to_string())?;
    let mut tags: Vec<u16> = dir.iter().map(|(t, _)| t.to_u16()).collect();
    tags.sort_unstable();
    for tag in tags.into_iter().filter(|t| !TIFF_LAYOUT_TAGS.contains(t)) {
        out.push(match tiff_tag_name(tag) {
            Some(name) => format!("TIFF tag {tag} {name}"),
            None => format!("TIFF tag {tag}"),
        });
    }
    let mut pages = 1;
    while decoder.more_images() && decoder.next_image().is_ok() {
        pages += 1;
    }
    if pages > 1 {
        out.push(format!("{} more page(s) after the first", pages - 1));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exif_blobs_with_a_gps_pointer_are_named_as_such() {
        // Big-endian TIFF header, IFD at 8 with two entries: Make (0x010F) and GPS IFD (0x8825).
        let mut t = b"MM\0*\0\0\0\x08\0\x02".to_vec();
        t.extend([0x01, 0x0F, 0, 2, 0, 0, 0, 4, b'a', b'b', b'c', 0]);
        t.extend([0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0]);
        assert_eq!(ifd0_tags(&t), Some(vec![0x010F, 0x8825]));
        assert_eq!(exif_name(&t), "EXIF with GPS");
        assert_eq!(exif_name(&t[..10]), "EXIF", "a truncated IFD is not claimed to hold GPS");
    }

    #[test]
    fn png_text_chunks_are_listed_with_their_keyword_and_image_chunks_are_not() {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        for (t, d) in [(b"IHDR", &[0u8; 13][..]), (b"tEXt", b"Author\0Taro"), (b"IDAT", b"x"), (b"IEND", b"")] {
            png.extend((d.len() as u32).to_be_bytes());
            png.extend(t);
            png.extend(d);
            png.extend([0; 4]);
        }
        assert_eq!(inventory(ForeignKind::Png, &png).unwrap(), vec!["PNG tEXt 'Author' (11 bytes)".to_string()]);
        assert!(png_chunks(&png[..png.len() - 20]).is_err());
    }
}
