//! Text that tells how the image was made (units, scanner settings, probe names), not whom it
//! shows: "12.5 MHz", "Depth 16 cm", "TIS<0.4 MI=0.8", "C5-1".

use super::fuzzy::{compact, contains_within};

/// Units, written after a number or alone.
const UNITS: &[&str] = &[
    "KV", "KVP", "MA", "MAS", "CM", "MM", "HZ", "KHZ", "MHZ", "DB", "FPS", "%", "S", "MS", "CM/S", "M/S", "MMHG",
    "BPM", "DEG", "°",
];

/// Settings and modes that ultrasound, CT and X-ray screens label.
const SETTINGS: &[&str] = &[
    "GAIN", "GN", "DEPTH", "DR", "DYN", "TIS", "TIB", "TIC", "TI", "MI", "PRF", "FR", "WL", "WW", "PWR", "POWER", "AO",
    "AP", "FREQ", "FRQ", "HGEN", "GEN", "HPEN", "PEN", "RES", "THI", "HAR", "ZOOM", "MAG", "FOCUS", "CINE", "2D", "3D",
    "4D", "CF", "CD", "PW", "CW", "PD", "COLOR", "COLOUR", "DOPPLER", "HR", "SV", "WF", "MAP", "PERSIST", "SPEED",
    "ANGLE", "DIST", "AREA", "VOL", "IM", "IMG", "FRAME", "SCALE", "COMP", "REJ", "TGC", "OB", "GYN", "ABD", "VASC",
    "MSK", "CARD",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Word {
    /// A unit, a setting, a number with its unit, a probe or setting code.
    Technical,
    /// A plain number, a single letter, a symbol: fits technical text but does not make it so.
    Neutral,
    /// Anything else, dates and clock times included (they may identify the visit).
    Other,
}

/// Whether all of `text` is units, settings, numbers and probe names, with at least one unit,
/// setting or probe name.
pub fn is_technical(text: &str) -> bool {
    let words: Vec<Word> = text
        .split(|c: char| c.is_whitespace() || "=<>,;()[]{}|#*\"".contains(c))
        .flat_map(split_labels)
        // Stray marks OCR reads at the edges of a crop.
        .map(|w| w.trim_matches(|c: char| ":.!?'`‘’“”«»_-~".contains(c)))
        .filter(|w| !w.is_empty())
        .map(word)
        .collect();
    words.contains(&Word::Technical) && !words.contains(&Word::Other)
}

/// "TIS:0.5" is a label and its value, "20dB/DR60" two settings; "05:24:57" and "4/14/2020" stay
/// whole (a clock time, a date).
fn split_labels(w: &str) -> Vec<&str> {
    if let Some((label, value)) = w.split_once(':')
        && !label.is_empty()
        && label.chars().all(char::is_alphabetic)
    {
        return vec![label, value];
    }
    let parts: Vec<&str> = w.split('/').collect();
    if parts.len() > 1 && parts.iter().all(|p| p.chars().any(char::is_alphabetic)) {
        return parts;
    }
    vec![w]
}

fn known(list: &[&str], w: &str) -> bool {
    let upper = w.to_uppercase();
    if list.iter().any(|k| *k == upper) {
        return true;
    }
    // OCR confusables (MHz read as MH2) count, but only in words with a letter: "5" is no "S";
    // and one OCR error in words of five letters or more ("Derth").
    let c = compact(w);
    w.chars().count() >= 2
        && w.chars().any(char::is_alphabetic)
        && list
            .iter()
            .map(|k| compact(k))
            .filter(|k| !k.is_empty())
            .any(|k| k == c || (k.len() >= 5 && c.len() <= k.len() + 1 && contains_within(&c, &k, 1)))
}

fn word(w: &str) -> Word {
    if known(UNITS, w) || known(SETTINGS, w) {
        return Word::Technical;
    }
    // A setting glued to its value: "TIS0.4", "DR60".
    let letters = w.find(|c: char| !c.is_alphabetic()).unwrap_or(w.len());
    if letters >= 2 && known(SETTINGS, &w[..letters]) && number_prefix(&w[letters..]) == Some(w.len() - letters) {
        return Word::Technical;
    }
    if let Some(unit) = number_prefix(w).map(|n| &w[n..]) {
        return match unit {
            "" => Word::Neutral,
            u if known(UNITS, u) => Word::Technical,
            _ if is_code(w) => Word::Technical,
            _ => Word::Other,
        };
    }
    if is_code(w) {
        return Word::Technical;
    }
    let mut chars = w.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_alphabetic() => Word::Neutral,
        _ if !w.chars().any(char::is_alphanumeric) => Word::Neutral,
        _ => Word::Other,
    }
}

/// Length in bytes of a leading number (sign, digits, one decimal point or comma), if any.
fn number_prefix(w: &str) -> Option<usize> {
    let b = w.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == start {
        return None;
    }
    if i + 1 < b.len() && matches!(b[i], b'.' | b',') && b[i + 1].is_ascii_digit() {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    Some(i)
}

/// Runs of letters ('A'), digits ('9') or one separator, with their lengths.
fn runs(w: &str) -> Vec<(char, usize)> {
    let mut out: Vec<(char, usize)> = Vec::new();
    for c in w.chars() {
        let kind = if c.is_ascii_alphabetic() {
            'A'
        } else if c.is_ascii_digit() {
            '9'
        } else {
            c
        };
        match out.last_mut() {
            Some((k, n)) if *k == kind && kind.is_ascii_alphanumeric() => *n += 1,
            _ => out.push((kind, 1)),
        }
    }
    out
}

/// Probe names (C5-1, L12_5, 6C1, 8M12L) and numeric setting codes (630P630, 78DR78).
fn is_code(w: &str) -> bool {
    let r = runs(w);
    let is = |i: usize, kind: char, lo: usize, hi: usize| {
        r.get(i).is_some_and(|&(k, n)| k == kind && (lo..=hi).contains(&n))
    };
    let sep = |i: usize| r.get(i).is_some_and(|&(k, n)| "-_/".contains(k) && n == 1);
    // Letters, digits, then optionally a separator and digits, then optionally letters.
    let probe_a = is(0, 'A', 1, 3) && is(1, '9', 1, 2) && {
        let mut i = 2;
        if sep(i) && is(i + 1, '9', 1, 2) {
            i += 2;
        }
        if is(i, 'A', 1, 2) {
            i += 1;
        }
        i == r.len()
    };
    // Digits, letters, then optionally digits and a letter.
    let probe_b = is(0, '9', 1, 2) && is(1, 'A', 1, 3) && {
        let mut i = 2;
        if is(i, '9', 1, 2) {
            i += 1;
        }
        if is(i, 'A', 1, 1) {
            i += 1;
        }
        i == r.len()
    };
    let code = r.len() == 3 && is(0, '9', 1, 4) && is(1, 'A', 1, 3) && is(2, '9', 1, 4);
    probe_a || probe_b || code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_settings_numbers_and_probe_names_are_technical() {
        for t in [
            "12.5 MHz",
            "Depth 16 cm",
            "TIS<0.4 MI=0.8 AO=100%",
            "MI 1.1",
            "TIB 0.2",
            "28Hz",
            "11cm",
            "1.06 cm",
            "Gn 60",
            "C5-1",
            "L12_5",
            "6C1",
            "630P630",
            "78DR78",
            "2D",
            "PWR",
            "120 kV 250 mAs",
            "WL 40 WW 400",
            "12.5 MH2",
            "Gen OB",
            "IM#2",
            "TIS: 0.5",
            "MI:1.4",
            "20dB/DR60",
            "TIS0.4",
            "“100%",
            "4.0cm-",
            "Derth 16 cm",
        ] {
            assert!(is_technical(t), "{t}");
        }
    }

    #[test]
    fn names_dates_times_bare_numbers_and_words_are_not_technical() {
        for t in [
            "ZZZDOWNTIME,MARY",
            "00047431395",
            "DOB: 08/29/1951",
            "03/02/2017",
            "2:56:22 PM",
            "05:24:57PM",
            "TIS 05:24:57",
            "4/14/2020 MHz",
            "DEPTHWISE",
            "LYMPH NODE",
            "CCHS CLEVELAND CLINIC",
            "Depth 16 cm SMITH",
            "1.8 3.6",
            "P",
            "",
            "5",
        ] {
            assert!(!is_technical(t), "{t}");
        }
    }
}
