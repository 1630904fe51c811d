//! Value transforms used by the actions: dummies by VR, date shifting, generalisation and
//! banding, and scrubbing known PHI strings out of free text.

use dicom_core::{PrimitiveValue, VR};

/// A non-empty dummy consistent with the VR (action D). `None`: binary VRs and SQ keep their
/// structure and are handled by the caller.
pub fn dummy(vr: VR) -> Option<PrimitiveValue> {
    Some(match vr {
        VR::AE => PrimitiveValue::from("ANON"),
        VR::AS => PrimitiveValue::from("000Y"),
        VR::CS => PrimitiveValue::from("ANON"),
        VR::DA => PrimitiveValue::from("19000101"),
        VR::DT => PrimitiveValue::from("19000101000000"),
        VR::TM => PrimitiveValue::from("000000"),
        VR::DS | VR::IS => PrimitiveValue::from("0"),
        VR::LO | VR::LT | VR::SH | VR::ST | VR::UC | VR::UT | VR::PN | VR::UR => PrimitiveValue::from("ANONYMIZED"),
        VR::FL => PrimitiveValue::from(0f32),
        VR::FD => PrimitiveValue::from(0f64),
        VR::US => PrimitiveValue::from(0u16),
        VR::SS => PrimitiveValue::from(0i16),
        VR::UL => PrimitiveValue::from(0u32),
        VR::SL => PrimitiveValue::from(0i32),
        VR::OB | VR::UN => PrimitiveValue::from(vec![0u8, 0u8]),
        VR::OW => PrimitiveValue::U16([0u16][..].into()),
        _ => return None,
    })
}

use crate::project::time::{civil_from_days, days_from_civil};

/// Shifts a DA value (YYYYMMDD, or a range "A-B") by whole days. `None` if not a valid date.
pub fn shift_da(value: &str, days: i64) -> Option<String> {
    let v = value.trim();
    if let Some((a, b)) = v.split_once('-') {
        let a = if a.is_empty() { String::new() } else { shift_da(a, days)? };
        let b = if b.is_empty() { String::new() } else { shift_da(b, days)? };
        return Some(format!("{a}-{b}"));
    }
    let (y, m, d) = parse_date(v)?;
    let (y, m, d) = civil_from_days(days_from_civil(y, m, d) + days);
    Some(format!("{y:04}{m:02}{d:02}"))
}

/// Shifts the date part of a DT value; time, fraction and offset are kept.
pub fn shift_dt(value: &str, days: i64) -> Option<String> {
    let v = value.trim();
    if v.len() < 8 {
        return None;
    }
    Some(format!("{}{}", shift_da(&v[..8], days)?, &v[8..]))
}

fn parse_date(v: &str) -> Option<(i64, u32, u32)> {
    // Old ACR-NEMA style "YYYY.MM.DD" is accepted too.
    let digits: String = v.chars().filter(|c| *c != '.').collect();
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: i64 = digits[..4].parse().ok()?;
    let m: u32 = digits[4..6].parse().ok()?;
    let d: u32 = digits[6..8].parse().ok()?;
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d))
}

/// YYYYMMDD → YYYYMM01 (year-month) or YYYY0101 (year).
pub fn generalise_date(value: &str, year_only: bool) -> Option<String> {
    let (y, m, _) = parse_date(value.trim())?;
    Some(if year_only { format!("{y:04}0101") } else { format!("{y:04}{m:02}01") })
}

/// Patient's Age (nnnD/W/M/Y) in 10-year bands by lower bound: under 40 → 000Y, then 040Y …
/// 080Y, and 90 or over → 090Y.
pub fn band_age(value: &str) -> Option<String> {
    let v = value.trim();
    if v.len() != 4 {
        return None;
    }
    let n: f64 = v[..3].parse().ok()?;
    let years = match &v[3..] {
        "D" => n / 365.25,
        "W" => n / 52.18,
        "M" => n / 12.0,
        "Y" => n,
        _ => return None,
    };
    let band = if years < 40.0 { 0 } else { ((years / 10.0).floor() as u32 * 10).min(90) };
    Some(format!("{band:03}Y"))
}

/// Weight (kg) to 10 kg bands, capped to 30–120; height (m) to 0.1 m bands, capped to 1.4–1.9.
pub fn band_weight(value: &str) -> Option<String> {
    let w: f64 = value.trim().parse().ok()?;
    Some(format!("{}", ((w / 10.0).floor() * 10.0).clamp(30.0, 120.0)))
}

pub fn band_height(value: &str) -> Option<String> {
    let h: f64 = value.trim().parse().ok()?;
    Some(format!("{:.1}", ((h * 10.0).floor() / 10.0).clamp(1.4, 1.9)))
}

/// Replaces every case-insensitive occurrence of a PHI token in `text` by `***`.
pub fn scrub(text: &str, tokens: &[String]) -> String {
    let mut out = text.to_string();
    for t in tokens {
        if t.chars().count() < 2 {
            continue;
        }
        let lower = out.to_lowercase();
        let needle = t.to_lowercase();
        let mut result = String::with_capacity(out.len());
        let mut last = 0;
        for (i, _) in lower.match_indices(&needle) {
            // Lowercasing can change byte lengths for some scripts; only splice on boundaries.
            if out.is_char_boundary(i) && out.is_char_boundary(i + needle.len()) && i >= last {
                result.push_str(&out[last..i]);
                result.push_str("***");
                last = i + needle.len();
            }
        }
        result.push_str(&out[last..]);
        out = result;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_shift_preserves_intervals_and_handles_month_and_leap_boundaries() {
        assert_eq!(shift_da("20240301", -1).unwrap(), "20240229");
        assert_eq!(shift_da("20230101", -1).unwrap(), "20221231");
        assert_eq!(shift_da("20200101-20200131", 10).unwrap(), "20200111-20200210");
        assert_eq!(shift_dt("20261102102130.5+0900", -2).unwrap(), "20261031102130.5+0900");
        assert!(shift_da("2026", 3).is_none(), "not a full date: caller removes it");
    }

    #[test]
    fn birth_date_generalises_to_year_month_or_year() {
        assert_eq!(generalise_date("19610415", false).unwrap(), "19610401");
        assert_eq!(generalise_date("19610415", true).unwrap(), "19610101");
    }

    #[test]
    fn age_bands_follow_the_anonymisation_rule() {
        assert_eq!(band_age("035Y").unwrap(), "000Y");
        assert_eq!(band_age("063Y").unwrap(), "060Y");
        assert_eq!(band_age("094Y").unwrap(), "090Y");
        assert_eq!(band_age("006M").unwrap(), "000Y");
    }

    #[test]
    fn weight_and_height_are_banded_and_capped() {
        assert_eq!(band_weight("67.5").unwrap(), "60");
        assert_eq!(band_weight("180").unwrap(), "120");
        assert_eq!(band_height("1.734").unwrap(), "1.7");
        assert_eq!(band_height("2.05").unwrap(), "1.9");
    }

    #[test]
    fn scrub_removes_phi_tokens_case_insensitively() {
        let s = scrub("CT head for YAMADA taro, ID 12345", &["Yamada".into(), "Taro".into(), "12345".into()]);
        assert_eq!(s, "CT head for *** ***, ID ***");
    }
}
