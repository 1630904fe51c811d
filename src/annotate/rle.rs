//! Run-length encoding of label voxels: `(run length as LEB128, value)` pairs. Label maps are
//! mostly long runs of 0 and of one label, so a 512×512 slice with a lesion is a few hundred
//! bytes instead of 256 KiB — in the database, in undo deltas and on the wire.

/// Appends the runs of `values` to `out`.
pub fn encode_into(values: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < values.len() {
        let v = values[i];
        let run = values[i..].iter().take_while(|&&x| x == v).count();
        let mut n = run as u64;
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
        out.push(v);
        i += run;
    }
}

pub fn encode(values: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(values, &mut out);
    out
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RleError {
    #[error("run-length data is truncated")]
    Truncated,
    #[error("run-length data holds {got} values, expected {expected}")]
    WrongLength { got: usize, expected: usize },
}

/// Decodes into `out`, which must be exactly as long as the encoded data says.
pub fn decode_into(data: &[u8], out: &mut [u8]) -> Result<(), RleError> {
    let (mut pos, mut at) = (0, 0);
    while pos < data.len() {
        let (mut run, mut shift) = (0u64, 0);
        loop {
            let byte = *data.get(pos).ok_or(RleError::Truncated)?;
            pos += 1;
            run |= u64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
            if shift > 56 {
                return Err(RleError::Truncated);
            }
        }
        let v = *data.get(pos).ok_or(RleError::Truncated)?;
        pos += 1;
        let end = at + run as usize;
        if end > out.len() {
            return Err(RleError::WrongLength { got: end, expected: out.len() });
        }
        out[at..end].fill(v);
        at = end;
    }
    if at != out.len() {
        return Err(RleError::WrongLength { got: at, expected: out.len() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_round_trip_including_long_runs_and_single_values() {
        let mut v = vec![0u8; 70_000];
        v[10] = 3;
        v[200..300].fill(7);
        v[69_999] = 255;
        let e = encode(&v);
        assert!(e.len() < 20, "{} bytes", e.len());
        let mut back = vec![9u8; v.len()];
        decode_into(&e, &mut back).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn truncated_or_mis_sized_data_is_an_error_not_a_panic() {
        let e = encode(&[1, 1, 2, 2, 2]);
        let mut out = [0u8; 5];
        assert_eq!(decode_into(&e[..e.len() - 1], &mut out), Err(RleError::Truncated));
        let mut short = [0u8; 4];
        assert!(matches!(decode_into(&e, &mut short), Err(RleError::WrongLength { .. })));
        let mut long = [0u8; 6];
        assert_eq!(decode_into(&e, &mut long), Err(RleError::WrongLength { got: 5, expected: 6 }));
        assert_eq!(decode_into(&[0xff; 12], &mut long), Err(RleError::Truncated));
    }
}
