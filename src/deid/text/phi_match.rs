//! Which of this patient's header PHI the OCR text of a box shows, if any: the box is then
//! "PHI: matches Patient's Name"; otherwise it is technical (units, settings, probe names) or
//! "text, no PHI match".
//!
//! Values: the Patient's Name parts (split on `^`, spaces, and the `=` groups of ideographic and
//! phonetic names), other and birth names, Patient ID and Other Patient IDs, Accession Number,
//! Patient's Birth Date, Institution Name, and the referring and performing physicians' and
//! operators' names. Visit dates (Study, Series, Acquisition, Content Date) count as PHI too: a
//! date of service identifies the visit (HIPAA Safe Harbor lists all dates but the year that
//! relate to a person, and the PS3.15 Basic Profile removes or shifts them), so a screen showing
//! the study date must be masked as surely as one showing the birth date.
//!
//! Matching forgives OCR: case, spaces and punctuation are ignored, look-alikes (O/0, I/l/1, S/5,
//! B/8, Z/2) are equal, values of five characters or more match within one edit, and a value cut
//! short on screen ("CCHS CLEVELAN…") matches by its beginning. It refuses what would match by
//! chance: a name part of one or two characters counts only beside another part of the same name
//! (a one-letter initial never), three- and four-character values must be whole tokens, and dates
//! without a four-digit year must match exactly.

mod dates;
mod fuzzy;
mod technical;

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

pub use dates::{Date, era, parse_da};
use fuzzy::{Prepared, compact, contains_within, prefix_distance};
pub use technical::is_technical;

/// What the text of a box is, for the reviewer and the queue's risk order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum TextClass {
    /// Shows a value of this header field.
    Phi { field: &'static str },
    /// Units, settings, probe names and numbers only.
    Technical,
    /// Text that matched no PHI of the header (it may still be PHI the header lacks).
    Text,
}

impl TextClass {
    /// "phi", "technical" or "text".
    pub fn kind(&self) -> &'static str {
        match self {
            TextClass::Phi { .. } => "phi",
            TextClass::Technical => "technical",
            TextClass::Text => "text",
        }
    }

    pub fn phi_field(&self) -> Option<&'static str> {
        match self {
            TextClass::Phi { field } => Some(field),
            _ => None,
        }
    }

    /// The reviewer's label: "PHI: matches Patient's Name", "technical (…)", "text, no PHI match".
    pub fn label(&self) -> String {
        match self {
            TextClass::Phi { field } => format!("PHI: matches {field}"),
            TextClass::Technical => "technical (units, settings, probe), no PHI match".into(),
            TextClass::Text => "text, no PHI match".into(),
        }
    }
}

/// Values shorter than this never match: an ID "7" or a name "OB" is on every other screen.
const MIN_VALUE: usize = 3;
/// Values this long or longer match within one edit.
const FUZZY_FROM: usize = 5;
/// A name part (single token) or longer value (tokens) cut short on screen matches by a
/// beginning of at least this many characters.
const TRUNCATED_NAME: usize = 6;
const TRUNCATED_PHRASE: usize = 8;

struct NamePart {
    chars: Vec<char>,
    has_letter: bool,
}

enum Kind {
    Name(Vec<NamePart>),
    Id(Vec<char>),
    Phrase(Vec<char>),
    Date(Vec<dates::Rendering>),
}

struct Entry {
    field: &'static str,
    kind: Kind,
}

/// The PHI values of one instance's header, in the order a match is reported (the patient's
/// identity first, visit dates last).
#[derive(Default)]
pub struct PatientPhi {
    entries: Vec<Entry>,
    non_ascii_names: bool,
}

/// Other Patient IDs (0010,1000): retired, still written by devices.
const OTHER_PATIENT_IDS: Tag = Tag(0x0010, 0x1000);
const NAMES: [(Tag, &str); 4] = [
    (tags::PATIENT_NAME, "Patient's Name"),
    (tags::OTHER_PATIENT_NAMES, "Other Patient Names"),
    (tags::PATIENT_BIRTH_NAME, "Patient's Birth Name"),
    (tags::PATIENT_MOTHER_BIRTH_NAME, "Patient's Mother's Birth Name"),
];
const STAFF: [(Tag, &str); 3] = [
    (tags::REFERRING_PHYSICIAN_NAME, "Referring Physician's Name"),
    (tags::PERFORMING_PHYSICIAN_NAME, "Performing Physician's Name"),
    (tags::OPERATORS_NAME, "Operators' Name"),
];
const VISIT_DATES: [(Tag, &str); 4] = [
    (tags::STUDY_DATE, "Study Date"),
    (tags::SERIES_DATE, "Series Date"),
    (tags::ACQUISITION_DATE, "Acquisition Date"),
    (tags::CONTENT_DATE, "Content Date"),
];

impl PatientPhi {
    /// The values of `obj` (see the module documentation for which).
    pub fn from_header(obj: &InMemDicomObject) -> PatientPhi {
        let text = |tag: Tag| obj.get(tag).and_then(|e| e.to_str().ok()).map(|s| s.into_owned());
        let mut phi = PatientPhi::default();
        for (tag, field) in NAMES {
            text(tag).inspect(|v| phi.add_name(field, v));
        }
        text(tags::PATIENT_ID).inspect(|v| phi.add_id("Patient ID", v));
        text(OTHER_PATIENT_IDS).inspect(|v| phi.add_id("Other Patient IDs", v));
        let other_ids = obj.get(tags::OTHER_PATIENT_I_DS_SEQUENCE).and_then(|e| e.items()).unwrap_or(&[]);
        for item in other_ids {
            if let Some(v) = item.get(tags::PATIENT_ID).and_then(|e| e.to_str().ok()) {
                phi.add_id("Other Patient IDs", &v);
            }
        }
        text(tags::PATIENT_BIRTH_DATE).inspect(|v| phi.add_date("Patient's Birth Date", v));
        text(tags::ACCESSION_NUMBER).inspect(|v| phi.add_id("Accession Number", v));
        text(tags::INSTITUTION_NAME).inspect(|v| phi.add_phrase("Institution Name", v));
        for (tag, field) in STAFF {
            text(tag).inspect(|v| phi.add_name(field, v));
        }
        for (tag, field) in VISIT_DATES {
            text(tag).inspect(|v| phi.add_date(field, v));
        }
        phi
    }

    /// A PN value (several separated by `\`).
    pub fn add_name(&mut self, field: &'static str, value: &str) {
        for v in values(value) {
            self.non_ascii_names |= !v.is_ascii();
            let mut parts: Vec<NamePart> = Vec::new();
            for p in v.split(|c: char| c == '^' || c == '=' || c.is_whitespace()) {
                let chars = compact(p);
                // One-letter initials identify no one; a one-ideograph family name may.
                let initial = chars.len() == 1 && chars[0].is_ascii();
                if !chars.is_empty() && !initial && !parts.iter().any(|q| q.chars == chars) {
                    parts.push(NamePart { chars, has_letter: p.chars().any(char::is_alphabetic) });
                }
            }
            if !parts.is_empty() {
                self.entries.push(Entry { field, kind: Kind::Name(parts) });
            }
        }
    }

    /// An identifier (several separated by `\`).
    pub fn add_id(&mut self, field: &'static str, value: &str) {
        for v in values(value) {
            let chars = compact(v);
            if chars.len() >= MIN_VALUE {
                self.entries.push(Entry { field, kind: Kind::Id(chars) });
            }
        }
    }

    /// A value of several words, such as an institution name.
    pub fn add_phrase(&mut self, field: &'static str, value: &str) {
        for v in values(value) {
            let chars = compact(v);
            if chars.len() >= MIN_VALUE {
                self.entries.push(Entry { field, kind: Kind::Phrase(chars) });
            }
        }
    }

    /// A DA value; not a real date: ignored.
    pub fn add_date(&mut self, field: &'static str, value: &str) {
        for v in values(value) {
            if let Some(d) = parse_da(v) {
                self.entries.push(Entry { field, kind: Kind::Date(dates::renderings(d)) });
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether some name holds non-ASCII (Japanese) text, so that OCR must read Japanese too.
    pub fn has_non_ascii_names(&self) -> bool {
        self.non_ascii_names
    }

    /// The header field whose value `text` shows, the first in order if several.
    pub fn find(&self, text: &str) -> Option<&'static str> {
        let p = Prepared::new(text);
        let date_text = dates::normalize(text);
        self.entries
            .iter()
            .find(|e| match &e.kind {
                Kind::Name(parts) => name_shown(&p, parts),
                Kind::Id(v) => value_shown(&p, v, None),
                Kind::Phrase(v) => value_shown(&p, v, Some(TRUNCATED_PHRASE)),
                Kind::Date(renderings) => renderings.iter().any(|r| dates::shows(&date_text, r)),
            })
            .map(|e| e.field)
    }

    /// PHI if `text` shows a value, else technical or plain text.
    pub fn classify(&self, text: &str) -> TextClass {
        match self.find(text) {
            Some(field) => TextClass::Phi { field },
            None if is_technical(text) => TextClass::Technical,
            None => TextClass::Text,
        }
    }
}

/// The values of a multi-valued element, trimmed of padding, empty ones dropped.
fn values(value: &str) -> impl Iterator<Item = &str> {
    value.split('\\').map(|v| v.trim_matches(|c: char| c == ' ' || c == '\0')).filter(|v| !v.is_empty())
}

/// A name is shown when a part of three or more characters is, or two shorter parts are.
fn name_shown(p: &Prepared, parts: &[NamePart]) -> bool {
    let found: Vec<&NamePart> = parts.iter().filter(|part| part_shown(p, part)).collect();
    found.iter().any(|part| part.chars.len() >= MIN_VALUE) || found.len() >= 2
}

fn part_shown(p: &Prepared, part: &NamePart) -> bool {
    let v = &part.chars;
    if v.len() >= FUZZY_FROM {
        contains_within(&p.compact, v, 1) || truncated(p, v, TRUNCATED_NAME, false)
    } else if !v.iter().all(char::is_ascii) {
        // Japanese text has no spaces between words: any place counts.
        p.compact.windows(v.len()).any(|w| w == &v[..])
    } else {
        // Whole tokens only, and "ZZZ" is not shown by the number 222.
        p.tokens.iter().any(|t| p.token(t) == &v[..] && (t.has_letter || !part.has_letter))
    }
}

/// IDs and phrases: within one edit from five characters, else exactly over whole tokens.
fn value_shown(p: &Prepared, v: &[char], truncated_from: Option<usize>) -> bool {
    if v.len() >= FUZZY_FROM {
        return contains_within(&p.compact, v, 1) || truncated_from.is_some_and(|n| truncated(p, v, n, true));
    }
    p.tokens.iter().any(|a| p.tokens[..].iter().filter(|b| b.end >= a.start).any(|b| p.compact[a.start..b.end] == *v))
}

/// Whether whole tokens of the text (one, or a run of them with `multi`) of at least `min`
/// characters are a beginning of `v` cut short on screen, within one edit.
fn truncated(p: &Prepared, v: &[char], min: usize, multi: bool) -> bool {
    p.tokens.iter().enumerate().any(|(i, a)| {
        let last = if multi { p.tokens.len() } else { i + 1 };
        p.tokens[i..last].iter().any(|b| {
            let seg = &p.compact[a.start..b.end];
            seg.len() >= min && seg.len() < v.len() && prefix_distance(seg, v) <= 1
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phi() -> PatientPhi {
        let mut phi = PatientPhi::default();
        phi.add_name("Patient's Name", "DOWNTIME^MARY^^");
        phi.add_id("Patient ID", "40404040404");
        phi.add_date("Patient's Birth Date", "19850306");
        phi.add_id("Accession Number", "120907058");
        phi.add_phrase("Institution Name", "CCHS CLEVELAND CLINIC CANADA");
        phi.add_name("Operators' Name", "AC");
        phi.add_name("Referring Physician's Name", "TEST^DOC^O^^");
        phi.add_date("Study Date", "20200414");
        phi
    }

    #[test]
    fn name_parts_match_in_any_order_case_and_punctuation() {
        let phi = phi();
        for t in ["DOWNTIME, MARY", "mary downtime", "Name: Downtime^Mary", "ZZZDOWNTIME,MARY", "MARY"] {
            assert_eq!(phi.find(t), Some("Patient's Name"), "{t}");
        }
    }

    #[test]
    fn ocr_confusables_and_one_edit_in_long_parts_still_match() {
        let phi = phi();
        for t in ["D0WNTlME", "DOWNT1ME", "DOWNTIMF", "DOWNIME"] {
            assert_eq!(phi.find(t), Some("Patient's Name"), "{t}");
        }
        assert_eq!(phi.find("MAR"), None, "short parts need all their characters");
        assert_eq!(phi.find("DXWNTXME"), None, "two edits are too many");
    }

    #[test]
    fn very_short_name_parts_never_match_alone_but_do_beside_another_part() {
        let mut phi = PatientPhi::default();
        phi.add_name("Patient's Name", "OB^^^^");
        phi.add_name("Operators' Name", "AC");
        phi.add_name("Referring Physician's Name", "LI^WU");
        assert_eq!(phi.find("Gen OB"), None);
        assert_eq!(phi.find("AC"), None);
        assert_eq!(phi.find("LI"), None);
        assert_eq!(phi.find("DR WU LI"), Some("Referring Physician's Name"));
    }

    #[test]
    fn a_name_part_is_not_matched_by_a_number_it_folds_to() {
        let mut phi = PatientPhi::default();
        phi.add_name("Patient's Name", "ZZZ^TEST");
        assert_eq!(phi.find("222"), None);
        assert_eq!(phi.find("ZZZ"), Some("Patient's Name"));
    }

    #[test]
    fn ideographic_and_phonetic_name_groups_match_as_written_in_japanese() {
        let mut phi = PatientPhi::default();
        phi.add_name("Patient's Name", "Yamada^Tarou=山田^太郎=やまだ^たろう");
        assert!(phi.has_non_ascii_names());
        assert_eq!(phi.find("山田 太郎"), Some("Patient's Name"));
        assert_eq!(phi.find("山 田 太 郎 様"), Some("Patient's Name"));
        assert_eq!(phi.find("やまだ たろう"), Some("Patient's Name"));
        assert_eq!(phi.find("YAMADA"), Some("Patient's Name"));
        assert_eq!(phi.find("山田"), None, "one two-character part alone");
        let mut ascii = PatientPhi::default();
        ascii.add_name("Patient's Name", "DOE^JANE");
        assert!(!ascii.has_non_ascii_names());
    }

    #[test]
    fn ids_match_with_spacing_punctuation_and_one_error_ignored() {
        let phi = phi();
        for t in ["40404040404", "ID: 4040-4040-404", "4O4O4O4O4O4", "40404040403"] {
            assert_eq!(phi.find(t), Some("Patient ID"), "{t}");
        }
        assert_eq!(phi.find("ACC# 120907058"), Some("Accession Number"));
        assert_eq!(phi.find("40404"), None);
    }

    #[test]
    fn short_ids_match_only_as_whole_tokens_and_tiny_ones_never() {
        let mut phi = PatientPhi::default();
        phi.add_id("Patient ID", "A-12");
        phi.add_id("Accession Number", "7");
        assert_eq!(phi.find("ID A12"), Some("Patient ID"));
        assert_eq!(phi.find("A-12"), Some("Patient ID"));
        assert_eq!(phi.find("XA12"), None);
        assert_eq!(phi.find("A123"), None);
        assert_eq!(phi.find("7"), None);
    }

    #[test]
    fn institution_names_match_whole_or_cut_short_but_not_by_one_common_word() {
        let phi = phi();
        for t in ["CCHS CLEVELAND CLINIC CANADA", "CCHS CLEVELAN...", "cchs cleveland clinic"] {
            assert_eq!(phi.find(t), Some("Institution Name"), "{t}");
        }
        assert_eq!(phi.find("CLINIC"), None);
        assert_eq!(phi.find("CLEVELAND"), None, "not the beginning of the name");
    }

    #[test]
    fn the_birth_date_in_any_common_format_names_its_field() {
        let phi = phi();
        for t in
            ["DOB 03/06/1985", "1985-03-06", "06.03.1985", "19850306", "06-Mar-1985", "S60.03.06", "昭和60年3月6日"]
        {
            assert_eq!(phi.find(t), Some("Patient's Birth Date"), "{t}");
        }
    }

    #[test]
    fn visit_dates_are_phi_and_identity_fields_are_reported_first() {
        let phi = phi();
        assert_eq!(phi.find("8:48:26 AM 4/14/2020"), Some("Study Date"));
        assert_eq!(phi.find("MARY 4/14/2020"), Some("Patient's Name"));
        assert_eq!(phi.find("4/15/2021"), None);
    }

    #[test]
    fn technical_text_is_technical_only_without_a_phi_match() {
        let phi = phi();
        assert_eq!(phi.classify("12.5 MHz"), TextClass::Technical);
        assert_eq!(phi.classify("Depth 16 cm"), TextClass::Technical);
        assert_eq!(phi.classify("120907058 cm"), TextClass::Phi { field: "Accession Number" });
        assert_eq!(phi.classify("LYMPH NODE"), TextClass::Text);
        assert_eq!(phi.classify(""), TextClass::Text);
        assert_eq!(TextClass::Phi { field: "Patient's Name" }.label(), "PHI: matches Patient's Name");
        assert_eq!(TextClass::Text.label(), "text, no PHI match");
    }

    #[test]
    fn a_read_box_leads_its_reason_with_the_class_and_says_when_ocr_read_nothing() {
        let mut b = crate::deid::text::TextBox {
            x: 0,
            y: 0,
            w: 10,
            h: 10,
            score: 0.9,
            reason: "9 glyphs in a line".into(),
            frames: (0, 0),
            ocr_text: None,
            class: None,
        };
        let mut empty = b.clone();
        b.set_ocr_text("Mary Downtime".into(), &phi());
        assert_eq!(b.reason, "PHI: matches Patient's Name; 9 glyphs in a line");
        assert_eq!(
            (b.ocr_text.as_deref(), b.class),
            (Some("Mary Downtime"), Some(TextClass::Phi { field: "Patient's Name" }))
        );
        empty.set_ocr_text(" ".into(), &phi());
        assert_eq!(empty.reason, "text, no PHI match (OCR read nothing); 9 glyphs in a line");
    }

    #[test]
    fn empty_and_invalid_header_values_give_nothing_to_match() {
        let mut phi = PatientPhi::default();
        phi.add_name("Patient's Name", "^^^");
        phi.add_id("Patient ID", " 1 ");
        phi.add_date("Patient's Birth Date", "19511329");
        phi.add_phrase("Institution Name", "");
        assert!(phi.is_empty());
        assert_eq!(phi.classify("1"), TextClass::Text);
    }

    #[test]
    fn header_values_come_from_every_listed_field_and_multi_values() {
        use dicom_core::value::{DataSetSequence, PrimitiveValue};
        use dicom_core::{DataElement, VR};
        let el = |tag, vr, v: &str| DataElement::new(tag, vr, PrimitiveValue::from(v));
        let other = InMemDicomObject::from_element_iter([el(tags::PATIENT_ID, VR::LO, "SEQ-ID-991")]);
        let obj = InMemDicomObject::from_element_iter([
            el(tags::PATIENT_NAME, VR::PN, "ROE^RICHARD"),
            el(tags::PATIENT_ID, VR::LO, "PID12345"),
            el(OTHER_PATIENT_IDS, VR::LO, "OTHER777\\OTHER888"),
            DataElement::new(tags::OTHER_PATIENT_I_DS_SEQUENCE, VR::SQ, DataSetSequence::from(vec![other])),
            el(tags::PATIENT_BIRTH_DATE, VR::DA, "19700102"),
            el(tags::ACCESSION_NUMBER, VR::SH, "ACC4242"),
            el(tags::INSTITUTION_NAME, VR::LO, "ST ELSEWHERE"),
            el(tags::PERFORMING_PHYSICIAN_NAME, VR::PN, "HOUSE^GREGORY"),
            el(tags::STUDY_DATE, VR::DA, "20240305"),
        ]);
        let phi = PatientPhi::from_header(&obj);
        for (text, field) in [
            ("RICHARD ROE", "Patient's Name"),
            ("PID12345", "Patient ID"),
            ("OTHER888", "Other Patient IDs"),
            ("SEQ ID 991", "Other Patient IDs"),
            ("01/02/1970", "Patient's Birth Date"),
            ("ACC4242", "Accession Number"),
            ("St. Elsewhere", "Institution Name"),
            ("Dr House", "Performing Physician's Name"),
            ("2024-03-05", "Study Date"),
        ] {
            assert_eq!(phi.find(text), Some(field), "{text}");
        }
    }
}
