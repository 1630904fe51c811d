//! PALETTE COLOR lookup tables, normal and segmented (PS3.3 C.7.6.3.1.5–6, C.7.9).

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

use super::attrs::floats;

/// Three 8-bit channel tables indexed by (stored value − first mapped value), clamped.
pub(crate) struct Palette {
    first_mapped: i64,
    rgb: [Vec<u8>; 3],
}

impl Palette {
    pub(crate) fn from_obj(o: &InMemDicomObject) -> Result<Palette, String> {
        let channels = [
            (
                tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
                tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
                tags::SEGMENTED_RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
            ),
            (
                tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
                tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
                tags::SEGMENTED_GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
            ),
            (
                tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
                tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
                tags::SEGMENTED_BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
            ),
        ];
        let mut first_mapped = 0;
        let mut rgb: [Vec<u8>; 3] = Default::default();
        for (c, (desc_tag, data_tag, seg_tag)) in channels.into_iter().enumerate() {
            let desc = floats(o, desc_tag).filter(|d| d.len() >= 3).ok_or("palette descriptor missing")?;
            let entries = if desc[0] <= 0.0 { 65536 } else { desc[0] as usize };
            first_mapped = desc[1] as i64;
            let bits = desc[2] as u32;
            let values: Vec<u16> = if let Some(raw) = raw_bytes(o, data_tag) {
                if bits == 8 && raw.len() == entries {
                    raw.iter().map(|&b| u16::from(b)).collect()
                } else {
                    words(&raw)
                }
            } else if let Some(raw) = raw_bytes(o, seg_tag) {
                expand_segmented(&words(&raw))?
            } else {
                return Err("palette data missing".into());
            };
            if values.is_empty() {
                return Err("palette data is empty".into());
            }
            let shift = bits.saturating_sub(8);
            rgb[c] = values.iter().map(|&v| (u32::from(v) >> shift).min(255) as u8).collect();
        }
        Ok(Palette { first_mapped, rgb })
    }

    #[inline]
    pub(crate) fn lookup(&self, stored: i64) -> [u8; 3] {
        let at = |t: &Vec<u8>| t[(stored - self.first_mapped).clamp(0, t.len() as i64 - 1) as usize];
        [at(&self.rgb[0]), at(&self.rgb[1]), at(&self.rgb[2])]
    }

    /// The stored value whose entry is darkest (lowest BT.601 luma; the first of equals), the
    /// value that reads as black when burned-in text is blanked.
    pub(crate) fn darkest_index(&self) -> i64 {
        let len = self.rgb.iter().map(Vec::len).min().unwrap_or(0);
        let luma = |i: usize| {
            299 * u32::from(self.rgb[0][i]) + 587 * u32::from(self.rgb[1][i]) + 114 * u32::from(self.rgb[2][i])
        };
        self.first_mapped + (0..len).min_by_key(|&i| luma(i)).unwrap_or(0) as i64
    }
}

fn raw_bytes(o: &InMemDicomObject, tag: Tag) -> Option<Vec<u8>> {
    let bytes = o.get(tag)?.value().to_bytes().ok()?.into_owned();
    (!bytes.is_empty()).then_some(bytes)
}

fn words(raw: &[u8]) -> Vec<u16> {
    raw.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect()
}

/// Expands segmented LUT data: opcodes 0 (discrete), 1 (linear), 2 (indirect).
pub(crate) fn expand_segmented(data: &[u16]) -> Result<Vec<u16>, String> {
    let mut out: Vec<u16> = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let op = data[i];
        let len = *data.get(i + 1).ok_or("segment truncated")? as usize;
        match op {
            0 => {
                let seg = data.get(i + 2..i + 2 + len).ok_or("discrete segment truncated")?;
                out.extend_from_slice(seg);
                i += 2 + len;
            }
            1 => {
                let end = f64::from(*data.get(i + 2).ok_or("linear segment truncated")?);
                let start = f64::from(*out.last().ok_or("linear segment with no previous value")?);
                for k in 1..=len {
                    out.push((start + (end - start) * k as f64 / len as f64).round() as u16);
                }
                i += 3;
            }
            2 => {
                let lo = *data.get(i + 2).ok_or("indirect segment truncated")? as usize;
                let hi = *data.get(i + 3).ok_or("indirect segment truncated")? as usize;
                let mut offset = lo | (hi << 16);
                for _ in 0..len {
                    let op2 = *data.get(offset).ok_or("indirect offset out of range")?;
                    let len2 = *data.get(offset + 1).ok_or("indirect offset out of range")? as usize;
                    let seg_len = if op2 == 0 {
                        2 + len2
                    } else if op2 == 1 {
                        3
                    } else {
                        return Err("nested indirect segment".into());
                    };
                    let sub = expand_segmented_prefixed(
                        &out,
                        data.get(offset..offset + seg_len).ok_or("indirect segment truncated")?,
                    )?;
                    out = sub;
                    offset += seg_len;
                }
                i += 4;
            }
            other => return Err(format!("unknown segment opcode {other}")),
        }
        if out.len() > 65536 {
            return Err("segmented palette expands beyond 65536 entries".into());
        }
    }
    Ok(out)
}

fn expand_segmented_prefixed(prefix: &[u16], seg: &[u16]) -> Result<Vec<u16>, String> {
    let mut v = prefix.to_vec();
    if seg[0] == 1 {
        let start = f64::from(*v.last().ok_or("linear segment with no previous value")?);
        let end = f64::from(seg[2]);
        let len = seg[1] as usize;
        for k in 1..=len {
            v.push((start + (end - start) * k as f64 / len as f64).round() as u16);
        }
    } else {
        v.extend_from_slice(&seg[2..]);
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segmented_lut_expands_discrete_linear_and_indirect_segments() {
        // discrete [0, 10], linear to 40 in 3 steps, then indirect copy of the first segment.
        let data = [0, 2, 0, 10, 1, 3, 40, 2, 1, 0, 0];
        let lut = expand_segmented(&data).unwrap();
        assert_eq!(lut, vec![0, 10, 20, 30, 40, 0, 10]);
    }

    #[test]
    fn darkest_index_is_the_lowest_luma_entry_offset_by_the_first_mapped_value() {
        // Entry 1 is pure blue (luma 29), darker than mid grey (luma 100) at entry 2.
        let palette = Palette { first_mapped: 10, rgb: [vec![200, 0, 100], vec![200, 0, 100], vec![200, 255, 100]] };
        assert_eq!(palette.darkest_index(), 11);
    }

    #[test]
    fn segmented_lut_rejects_unknown_opcodes() {
        assert!(expand_segmented(&[7, 1, 0]).is_err());
    }
}
