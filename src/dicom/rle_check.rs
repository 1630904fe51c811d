//! Checks RLE Lossless pixel data (PS3.5 Annex G) before dicom-pixeldata decodes it. Its RLE
//! adapter (0.10) indexes by what the file declares: a fragment shorter than its header, a header
//! claiming more segments than the fragment holds, or a segment that decodes to fewer bytes than
//! a frame's plane all panic inside the codec. Fuzzing found each; `decode_guarded` catches a
//! panic too, but a check that says which frame and segment is wrong is the better error, and
//! it keeps the codec's panic out of fuzzing runs, where libFuzzer aborts on any panic.

use dicom_core::value::Value;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

pub(crate) const RLE_LOSSLESS: &str = "1.2.840.10008.1.2.5";

fn attr(obj: &InMemDicomObject, tag: dicom_core::Tag) -> Option<usize> {
    obj.get(tag)?.to_int::<u32>().ok().map(|v| v as usize)
}

/// Rows, Columns, Samples per Pixel and Bits Allocated (8 or 16) as the codec adapters read
/// them; `None` when one is missing or the bits are other (the codec then returns its own error).
pub(super) fn frame_attrs(obj: &InMemDicomObject) -> Option<(usize, usize, usize, usize)> {
    let (rows, cols, spp, bits) = (
        attr(obj, tags::ROWS)?,
        attr(obj, tags::COLUMNS)?,
        attr(obj, tags::SAMPLES_PER_PIXEL)?,
        attr(obj, tags::BITS_ALLOCATED)?,
    );
    matches!(bits, 8 | 16).then_some((rows, cols, spp, bits))
}

/// Bytes a PackBits segment decodes to, the way the codec's reader counts them: a literal run
/// copies what is left of the segment, a replicate run needs its byte, -128 is a no-op.
fn packbits_len(segment: &[u8]) -> Option<usize> {
    let (mut i, mut out) = (0usize, 0usize);
    while i < segment.len() {
        let h = segment[i] as i8;
        i += 1;
        match h {
            0..=127 => {
                let n = h as usize + 1;
                out += n.min(segment.len() - i);
                i += n;
            }
            -127..=-1 => {
                segment.get(i)?;
                out += (1 - isize::from(h)) as usize;
                i += 1;
            }
            _ => {}
        }
    }
    Some(out)
}

/// `Err(reason)` when the RLE data would make the codec panic; `Ok` when it is not RLE, or when
/// attributes the codec needs are missing (it then returns its own error).
pub(crate) fn check_rle(obj: &InMemDicomObject, transfer_syntax: &str) -> Result<(), String> {
    if transfer_syntax.trim_end_matches(['\0', ' ']) != RLE_LOSSLESS {
        return Ok(());
    }
    let Some((rows, cols, spp, bits)) = frame_attrs(obj) else { return Ok(()) };
    let Some(Value::PixelSequence(seq)) = obj.get(tags::PIXEL_DATA).map(|e| e.value()) else { return Ok(()) };
    let segments_needed = spp * bits / 8;
    let plane = rows * cols;
    for (frame, fragment) in seq.fragments().iter().enumerate() {
        let word = |k: usize| fragment.get(4 * k..4 * k + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        let count = word(0)
            .ok_or_else(|| format!("RLE frame {frame}: fragment of {} bytes has no header", fragment.len()))?
            as usize;
        if count > 15 || fragment.len() < 4 * (count + 1) {
            return Err(format!(
                "RLE frame {frame}: header declares {count} segments (at most 15, in a 64-byte header)"
            ));
        }
        if count < segments_needed {
            return Err(format!("RLE frame {frame}: {count} segments, the image needs {segments_needed}"));
        }
        let mut offsets: Vec<usize> = (1..=count).map(|k| word(k).unwrap_or(0) as usize).collect();
        offsets.push(fragment.len());
        for s in 0..segments_needed {
            // A reversed or overlong range is the codec's own clean error.
            let Some(segment) = fragment.get(offsets[s]..offsets[s + 1]) else { return Ok(()) };
            match packbits_len(segment) {
                Some(n) if n < plane => {
                    return Err(format!("RLE frame {frame}: segment {s} decodes to {n} bytes, a plane needs {plane}"));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::packbits_len;

    #[test]
    fn packbits_counts_literal_and_replicate_runs_like_the_codec() {
        // Literal of 3, replicate 4 × 0x07, no-op, literal of 2 cut short by the end.
        assert_eq!(packbits_len(&[2, 1, 2, 3, 0xFD, 7, 0x80, 1, 9]), Some(3 + 4 + 1));
        // A replicate run without its byte: the codec errors; not a short plane.
        assert_eq!(packbits_len(&[0xFD]), None);
        assert_eq!(packbits_len(&[]), Some(0));
    }
}
