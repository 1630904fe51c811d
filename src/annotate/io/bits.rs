//! 1-bit pixels as DICOM packs them (PS3.5 8.1.1): LSB first within each byte, and frames follow
//! one another bit by bit (a frame need not start on a byte boundary).

/// Sets bit `index` of packed 1-bit data (which must be long enough).
pub fn set(data: &mut [u8], index: usize) {
    data[index / 8] |= 1 << (index % 8);
}

/// Bit `index` of packed 1-bit data (`false` past the end).
pub fn bit(data: &[u8], index: usize) -> bool {
    data.get(index / 8).is_some_and(|b| b & (1 << (index % 8)) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_of_odd_size_follow_each_other_lsb_first_without_padding() {
        let mut out = vec![0u8; 2];
        // Frame 0 (3 pixels): 1 0 1; frame 1 (7 pixels) from bit 3: 0 1 1 0 0 1 1.
        for (i, on) in [true, false, true, false, true, true, false, false, true, true].iter().enumerate() {
            if *on {
                set(&mut out, i);
            }
        }
        assert_eq!(out, vec![0b0011_0101, 0b0000_0011]);
        assert!(bit(&out, 0) && !bit(&out, 1) && bit(&out, 9) && !bit(&out, 10) && !bit(&out, 400));
    }
}
