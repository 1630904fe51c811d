//! Checks the frame headers of JPEG pixel data (baseline, extended, lossless) before
//! dicom-pixeldata decodes it. Its JPEG adapter (0.10) copies each decoded frame into a buffer
//! sized from Rows, Columns, Samples per Pixel and Bits Allocated, so a codestream whose own
//! frame header (SOFn) declares more makes it index past that buffer and panic, and the decoder
//! allocates whatever the codestream declares first. Fuzzing found the panic. `decode_guarded`
//! catches a panic too, but this check names the frame and both sizes.

use dicom_core::value::Value;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

/// The transfer syntaxes the JPEG adapter decodes.
const JPEG: [&str; 4] =
    ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"];

/// A frame header: precision, height, width, components.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FrameHeader {
    precision: u8,
    height: usize,
    width: usize,
    components: usize,
}

impl FrameHeader {
    /// Bytes the decoder hands back: one per sample up to 8 bits, two above.
    fn decoded_bytes(&self) -> usize {
        self.width * self.height * self.components * if self.precision > 8 { 2 } else { 1 }
    }
}

/// The frame headers of every JPEG image in `data`: from each start-of-image marker, the marker
/// segments up to the scan. (FF D8 cannot occur inside entropy-coded data, where every FF byte
/// is followed by 00 or a restart marker.)
fn frame_headers(data: &[u8]) -> Vec<FrameHeader> {
    let mut found = Vec::new();
    let mut i = 0;
    while i + 1 < data.len() {
        if data[i] == 0xFF && data[i + 1] == 0xD8 {
            if let Some(h) = first_frame_header(&data[i + 2..]) {
                found.push(h);
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    found
}

fn first_frame_header(data: &[u8]) -> Option<FrameHeader> {
    let mut i = 0;
    loop {
        while *data.get(i)? != 0xFF {
            i += 1;
        }
        while *data.get(i)? == 0xFF {
            i += 1;
        }
        let marker = *data.get(i)?;
        i += 1;
        match marker {
            0xD8..=0xDA => return None, // SOI, EOI, SOS: no frame header before the scan
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([*data.get(i)?, *data.get(i + 1)?]));
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let s = data.get(i + 2..i + 8)?;
            return Some(FrameHeader {
                precision: s[0],
                height: usize::from(u16::from_be_bytes([s[1], s[2]])),
                width: usize::from(u16::from_be_bytes([s[3], s[4]])),
                components: usize::from(s[5]),
            });
        }
        i += len.max(2);
    }
}

/// `Err(reason)` when a JPEG frame decodes to more bytes than a frame of the image holds; `Ok`
/// when it is not JPEG, or when attributes the codec needs are missing (it then returns its own
/// error).
pub(crate) fn check_jpeg(obj: &InMemDicomObject, transfer_syntax: &str) -> Result<(), String> {
    if !JPEG.contains(&transfer_syntax.trim_end_matches(['\0', ' '])) {
        return Ok(());
    }
    let Some((rows, cols, spp, bits)) = super::rle_check::frame_attrs(obj) else { return Ok(()) };
    let frame_bytes = rows * cols * spp * (bits / 8);
    let Some(Value::PixelSequence(seq)) = obj.get(tags::PIXEL_DATA).map(|e| e.value()) else { return Ok(()) };
    // The adapter decodes the fragments as one stream; a header may straddle two of them.
    let data: Vec<u8> = seq.fragments().iter().flatten().copied().collect();
    for (n, h) in frame_headers(&data).into_iter().enumerate() {
        if h.decoded_bytes() > frame_bytes {
            return Err(format!(
                "JPEG frame {n} declares {}×{} with {} component(s) of {} bits ({} bytes), more than a frame of \
                 {cols}×{rows}×{spp} at {bits} bits allocated holds ({frame_bytes} bytes)",
                h.width,
                h.height,
                h.components,
                h.precision,
                h.decoded_bytes()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SOI, an APP0 segment, then SOF0 with the given size, then SOS.
    fn jpeg(precision: u8, height: u16, width: u16, components: u8) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x06, b'J', b'F', b'I', b'F'];
        v.extend_from_slice(&[0xFF, 0xC0, 0x00, 8 + 3 * components, precision]);
        v.extend_from_slice(&height.to_be_bytes());
        v.extend_from_slice(&width.to_be_bytes());
        v.push(components);
        for c in 0..components {
            v.extend_from_slice(&[c + 1, 0x11, 0]);
        }
        v.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 0x3F, 0, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD9]);
        v
    }

    #[test]
    fn frame_headers_are_found_after_other_segments_in_every_image() {
        let data = [jpeg(8, 64, 32, 1), jpeg(12, 10, 20, 3)].concat();
        let found = frame_headers(&data);
        assert_eq!(
            found,
            vec![
                FrameHeader { precision: 8, height: 64, width: 32, components: 1 },
                FrameHeader { precision: 12, height: 10, width: 20, components: 3 }
            ]
        );
        assert_eq!(found[1].decoded_bytes(), 10 * 20 * 3 * 2);
    }

    #[test]
    fn a_codestream_larger_than_its_frame_is_refused_and_one_that_fits_passes() {
        use dicom_core::{DataElement, PrimitiveValue, VR};
        use dicom_object::mem::InMemFragment;
        let object = |stream: Vec<u8>| {
            let mut o = InMemDicomObject::new_empty();
            o.put(DataElement::new(tags::ROWS, VR::US, PrimitiveValue::from(64_u16)));
            o.put(DataElement::new(tags::COLUMNS, VR::US, PrimitiveValue::from(32_u16)));
            o.put(DataElement::new(tags::SAMPLES_PER_PIXEL, VR::US, PrimitiveValue::from(1_u16)));
            o.put(DataElement::new(tags::BITS_ALLOCATED, VR::US, PrimitiveValue::from(8_u16)));
            let seq = dicom_core::value::PixelFragmentSequence::new(vec![], vec![stream] as Vec<InMemFragment>);
            o.put(DataElement::new(tags::PIXEL_DATA, VR::OB, seq));
            o
        };
        let baseline = "1.2.840.10008.1.2.4.50";
        assert!(check_jpeg(&object(jpeg(8, 64, 32, 1)), baseline).is_ok());
        // Three components, or 12 bits, or a bigger size: more bytes than the frame holds.
        for stream in [jpeg(8, 64, 32, 3), jpeg(12, 64, 32, 1), jpeg(8, 65, 32, 1)] {
            let err = check_jpeg(&object(stream), baseline).unwrap_err();
            assert!(err.contains("JPEG frame 0") && err.contains("2048 bytes"), "{err}");
        }
        // Not JPEG: not looked at.
        assert!(check_jpeg(&object(jpeg(8, 640, 320, 3)), "1.2.840.10008.1.2.4.90").is_ok());
    }
}
