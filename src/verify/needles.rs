//! What to look for: the identifying values of the source data, gathered here on their own (not
//! from the de-identification profile), in the forms they may take in an output: names and their
//! parts, IDs, birth dates in common spellings (Japanese eras included), phone numbers by digits,
//! addresses, institutions.

use std::collections::HashSet;

/// One identifying value, normalised for matching.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Needle {
    /// Where it came from, e.g. "Patient's Name".
    pub field: &'static str,
    /// Lower case; digits only for `Digits`.
    pub value: String,
    pub kind: NeedleKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NeedleKind {
    /// A substring of any text value (case-insensitive).
    Text,
    /// A run of digits inside the digits of a text value (phone numbers).
    Digits,
    /// A date: equal to a DA value, or a substring of text in one of its spellings.
    Date,
}

/// Shortest text needle: shorter strings (initials, "MR", "1") match by chance.
const MIN_TEXT: usize = 3;
/// Shortest needle in ideographic or kana script (two characters already name someone).
const MIN_WIDE: usize = 2;
const MIN_DIGITS: usize = 7;

fn is_wide(s: &str) -> bool {
    s.chars().any(|c| c as u32 >= 0x2E80)
}

fn long_enough(s: &str) -> bool {
    let n = s.chars().count();
    if is_wide(s) { n >= MIN_WIDE } else { n >= MIN_TEXT }
}

#[derive(Debug, Default)]
pub struct NeedleSet {
    pub needles: HashSet<Needle>,
}

impl NeedleSet {
    fn push(&mut self, field: &'static str, value: &str, kind: NeedleKind) {
        let v = value.trim().to_lowercase();
        let ok = match kind {
            NeedleKind::Digits => v.len() >= MIN_DIGITS,
            NeedleKind::Text => long_enough(&v),
            NeedleKind::Date => v.len() == 8 && v.bytes().all(|b| b.is_ascii_digit()),
        };
        if ok {
            self.needles.insert(Needle { field, value: v, kind });
        }
    }

    /// A person name (PN): the whole name and each part of each component group.
    pub fn add_name(&mut self, field: &'static str, pn: &str) {
        for value in pn.split('\\') {
            self.push(field, &value.replace(['^', '='], " "), NeedleKind::Text);
            for group in value.split('=') {
                self.push(field, &group.replace('^', " "), NeedleKind::Text);
                for part in group.split(['^', ' ', ',']) {
                    self.push(field, part, NeedleKind::Text);
                }
            }
        }
    }

    /// An identifier or other short text kept whole (IDs, accession numbers, institutions).
    pub fn add_text(&mut self, field: &'static str, value: &str) {
        for v in value.split('\\') {
            self.push(field, v, NeedleKind::Text);
        }
    }

    /// An address: whole, and its comma- or line-separated parts of 8 characters or more.
    pub fn add_address(&mut self, field: &'static str, value: &str) {
        self.push(field, value, NeedleKind::Text);
        for part in value.split([',', '\n', '\r', '^']) {
            if part.trim().chars().count() >= 8 || is_wide(part) {
                self.push(field, part, NeedleKind::Text);
            }
        }
    }

    pub fn add_phone(&mut self, field: &'static str, value: &str) {
        for v in value.split('\\') {
            let digits: String = v.chars().filter(char::is_ascii_digit).collect();
            self.push(field, &digits, NeedleKind::Digits);
        }
    }

    pub fn add_date(&mut self, field: &'static str, da: &str) {
        self.push(field, da, NeedleKind::Date);
    }

    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// The needles found in a text value of the given VR; dates only in date VRs and free text.
    pub fn find_in<'a>(&'a self, value: &str, vr: &str) -> Vec<&'a Needle> {
        let lower = value.to_lowercase();
        let digits: String = value.chars().filter(char::is_ascii_digit).collect();
        let date_vr = matches!(vr, "DA" | "DT");
        self.needles
            .iter()
            .filter(|n| match n.kind {
                NeedleKind::Text => !date_vr && contains_text(&lower, &n.value),
                NeedleKind::Digits => !date_vr && digits.contains(&n.value),
                NeedleKind::Date if date_vr => lower.starts_with(&n.value),
                NeedleKind::Date => date_spellings(&n.value).iter().any(|s| lower.contains(&s.to_lowercase())),
            })
            .collect()
    }
}

/// Short Latin needles must stand as words ("sato" is not in "compensator"); longer ones and
/// those in ideographic or kana script (no spaces between words) match anywhere.
fn contains_text(hay: &str, needle: &str) -> bool {
    if is_wide(needle) || needle.chars().count() >= 6 {
        return hay.contains(needle);
    }
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    hay.match_indices(needle)
        .any(|(i, m)| !word(hay[..i].chars().next_back()) && !word(hay[i + m.len()..].chars().next()))
}

/// Japanese eras: (first day as YYYYMMDD, name, letter).
const ERAS: &[(u32, &str, &str)] = &[
    (20190501, "令和", "R"),
    (19890108, "平成", "H"),
    (19261225, "昭和", "S"),
    (19120730, "大正", "T"),
    (18680123, "明治", "M"),
];

/// The spellings a date YYYYMMDD may take in free text.
pub fn date_spellings(da: &str) -> Vec<String> {
    let (Ok(y), Ok(m), Ok(d)) = (da[0..4].parse::<u32>(), da[4..6].parse::<u32>(), da[6..8].parse::<u32>()) else {
        return Vec::new();
    };
    let mut v = vec![
        format!("{y:04}{m:02}{d:02}"),
        format!("{y:04}-{m:02}-{d:02}"),
        format!("{y:04}/{m:02}/{d:02}"),
        format!("{y:04}.{m:02}.{d:02}"),
        format!("{y:04}/{m}/{d}"),
        format!("{d:02}/{m:02}/{y:04}"),
        format!("{m:02}/{d:02}/{y:04}"),
        format!("{d:02}.{m:02}.{y:04}"),
        format!("{y}年{m}月{d}日"),
        format!("{y}年{m:02}月{d:02}日"),
    ];
    let ymd = y * 10000 + m * 100 + d;
    if let Some((start, name, letter)) = ERAS.iter().find(|(start, ..)| ymd >= *start) {
        let ey = y - start / 10000 + 1;
        let year = if ey == 1 { "元".to_string() } else { ey.to_string() };
        v.push(format!("{name}{year}年{m}月{d}日"));
        v.push(format!("{name}{ey}年{m}月{d}日"));
        v.push(format!("{name}{ey:02}年{m:02}月{d:02}日"));
        v.push(format!("{letter}{ey:02}.{m:02}.{d:02}"));
        v.push(format!("{letter}{ey}/{m}/{d}"));
        v.push(format!("{letter}{ey:02}/{m:02}/{d:02}"));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_whole_or_by_part_in_every_script_but_not_by_initials() {
        let mut s = NeedleSet::default();
        s.add_name("Patient's Name", "Yamada^Taro=山田^太郎=やまだ^たろう");
        assert!(!s.find_in("REQUESTED BY TARO", "LO").is_empty());
        assert!(!s.find_in("患者 山田 様", "LT").is_empty());
        assert!(!s.find_in("やまだ", "LO").is_empty());
        assert!(s.find_in("T.Y.", "LO").is_empty());
        let mut sato = NeedleSet::default();
        sato.add_name("Operators' Name", "Sato^Yuki");
        assert!(sato.find_in("Compensator Description", "LO").is_empty(), "a short part inside a word");
        assert!(!sato.find_in("TECH: SATO", "LO").is_empty());
        let mut short = NeedleSet::default();
        short.add_name("Patient's Name", "Li^Bo");
        assert!(short.find_in("LIVER", "LO").is_empty(), "two-letter Latin parts are not searched");
    }

    #[test]
    fn birth_dates_are_found_in_western_and_japanese_era_spellings_and_as_date_values() {
        let mut s = NeedleSet::default();
        s.add_date("Patient's Birth Date", "19610415");
        for text in ["DOB 1961-04-15", "15/04/1961", "昭和36年4月15日", "S36.04.15", "born 04/15/1961"] {
            assert!(!s.find_in(text, "LT").is_empty(), "{text}");
        }
        assert!(!s.find_in("19610415", "DA").is_empty());
        assert!(s.find_in("19610401", "DA").is_empty(), "a generalised date is not the birth date");
        assert!(date_spellings("19890108").contains(&"平成元年1月8日".to_string()));
    }

    #[test]
    fn phone_numbers_match_by_their_digits_however_they_are_written() {
        let mut s = NeedleSet::default();
        s.add_phone("Patient's Telephone Numbers", "+81 3-1234-5678");
        assert!(!s.find_in("tel: 81(3)12345678", "LT").is_empty());
        assert!(s.find_in("tel: 81(3)1234", "LT").is_empty());
    }
}
