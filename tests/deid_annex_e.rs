//! PS3.15 Annex E conformance of the header de-identification engine (`sumi::deid`).
//!
//! The expected outcomes come from the standard's Table E.1-1 as shipped in
//! `src/deid/data/ps3.15-annex-e-table-e1-1.tsv`, parsed here on its own (not through
//! `sumi::deid::table`), and from the attribute Types in `src/deid/data/iod-attribute-types.tsv`
//! (generated from PS3.3), also parsed here. Every row of the table is put into a CT Image data
//! set at top level and inside an item of a sequence the table does not list, the profile is
//! applied, and the result is checked against the action code the table gives for the row.

use std::collections::{BTreeMap, HashMap};

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_core::value::{DataSetSequence, Value};
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::{StandardDataDictionary, tags, uids};
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use sumi::deid::{Change, Deidentifier, Profile, ProfileOption, Vault};

const TABLE_TSV: &str = include_str!("../src/deid/data/ps3.15-annex-e-table-e1-1.tsv");
const IOD_TYPES_TSV: &str = include_str!("../src/deid/data/iod-attribute-types.tsv");

const CT_IMAGE_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.2";
const KEY_OBJECT_SELECTION_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.88.59";

/// VOI LUT Sequence: not in Table E.1-1 (checked by `container_sequence_is_not_in_the_table`),
/// so it is kept and its items are cleaned recursively.
const CONTAINER: Tag = Tag(0x0028, 0x3010);
/// Sequence of Ultrasound Regions: also not in the table; the second nesting level.
const INNER_CONTAINER: Tag = Tag(0x0018, 0x6011);

/// The concrete private attribute used for the "(GGGG,EEEE) WHERE GGGG IS ODD" row, and its
/// private creator.
const PRIVATE_ELEMENT: Tag = Tag(0x0009, 0x1001);
const PRIVATE_CREATOR: Tag = Tag(0x0009, 0x0010);

/// The patient's name in every test data set; its parts must not survive cleaning (C).
const PATIENT_NAME: &str = "DOE^JANE";
const PHI_TOKENS: [&str; 2] = ["DOE", "JANE"];

/// Reference dates for checking that modified dates keep their intervals.
const STUDY_DATE: &str = "20240110";
const SERIES_DATE: &str = "20240112";

// ---------------------------------------------------------------------------------------------
// The standard's tables, parsed independently of the engine.

#[derive(Debug, Clone)]
struct Row {
    /// 1-based line in the TSV (the header is line 1).
    line: usize,
    tag_text: String,
    name: String,
    tag: Tag,
    basic: String,
    /// Non-empty option columns: column name → action code.
    columns: BTreeMap<String, String>,
}

fn table_rows() -> Vec<Row> {
    let mut lines = TABLE_TSV.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    assert_eq!(&header[..4], ["tag", "name", "in_std_composite_iod", "basic"], "TSV header changed");
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let columns = header
            .iter()
            .enumerate()
            .skip(4)
            .filter_map(|(j, h)| {
                let v = cols.get(j).map(|c| c.trim()).unwrap_or("");
                (!v.is_empty()).then(|| (h.to_string(), v.to_string()))
            })
            .collect();
        rows.push(Row {
            line: i + 2,
            tag_text: cols[0].to_string(),
            name: cols[1].to_string(),
            tag: concrete_tag(cols[0]),
            basic: cols[3].trim().to_string(),
            columns,
        });
    }
    rows
}

/// A concrete tag for a table row: repeating groups 50xx → 5000 and 60xx → 6002 (a group other
/// than the first, so masks are exercised), an all-wildcard element → 3000 (Curve Data, a real
/// element rather than the group length), and the private row → (0009,1001).
fn concrete_tag(text: &str) -> Tag {
    if text.trim().eq_ignore_ascii_case("(GGGG,EEEE) WHERE GGGG IS ODD") {
        return PRIVATE_ELEMENT;
    }
    let inner = text.trim().trim_start_matches('(').trim_end_matches(')');
    let (g, e) = inner.split_once(',').unwrap_or_else(|| panic!("tag {text}"));
    let group = match g.to_ascii_uppercase().as_str() {
        "50XX" => 0x5000,
        "60XX" => 0x6002,
        other => u16::from_str_radix(other, 16).unwrap_or_else(|_| panic!("unexpected group pattern in {text}")),
    };
    let element = match e.to_ascii_uppercase().as_str() {
        "XXXX" => 0x3000,
        other => u16::from_str_radix(other, 16).unwrap_or_else(|_| panic!("unexpected element pattern in {text}")),
    };
    Tag(group, element)
}

fn column_option(column: &str) -> ProfileOption {
    match column {
        "retain_safe_private" => ProfileOption::RetainSafePrivate,
        "retain_uids" => ProfileOption::RetainUids,
        "retain_device_identity" => ProfileOption::RetainDeviceIdentity,
        "retain_institution_identity" => ProfileOption::RetainInstitutionIdentity,
        "retain_patient_characteristics" => ProfileOption::RetainPatientCharacteristics,
        "retain_long_full_dates" => ProfileOption::RetainLongFullDates,
        "retain_long_modified_dates" => ProfileOption::RetainLongModifiedDates,
        "clean_descriptors" => ProfileOption::CleanDescriptors,
        "clean_structured_content" => ProfileOption::CleanStructuredContent,
        "clean_graphics" => ProfileOption::CleanGraphics,
        other => panic!("unknown option column {other}"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IodType {
    One,
    Two,
    Three,
}

/// (SOP Class UID, path "ggggeeee/ggggeeee") → Type, from the PS3.3-derived TSV.
fn iod_types() -> HashMap<(String, String), IodType> {
    IOD_TYPES_TSV
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let ty = match c.get(2)?.trim() {
                "1" | "1C" => IodType::One,
                "2" | "2C" => IodType::Two,
                "3" => IodType::Three,
                _ => return None,
            };
            Some(((c[0].to_string(), c[1].to_string()), ty))
        })
        .collect()
}

fn path_key(path: &[Tag]) -> String {
    path.iter().map(|t| format!("{:04X}{:04X}", t.group(), t.element())).collect::<Vec<_>>().join("/")
}

// ---------------------------------------------------------------------------------------------
// Building data sets.

fn vr_of(tag: Tag) -> VR {
    if tag.group() % 2 == 1 {
        return VR::LO;
    }
    StandardDataDictionary
        .by_tag(tag)
        .map(|e| e.vr().relaxed())
        .unwrap_or_else(|| panic!("({:04X},{:04X}) is not in the standard dictionary", tag.group(), tag.element()))
}

fn el(tag: Tag, vr: VR, v: impl Into<PrimitiveValue>) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, vr, v.into())
}

fn seq(tag: Tag, items: Vec<InMemDicomObject>) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, VR::SQ, DataSetSequence::from(items))
}

fn item(elements: impl IntoIterator<Item = DataElement<InMemDicomObject>>) -> InMemDicomObject {
    InMemDicomObject::from_element_iter(elements)
}

/// The original UID inside the item of every sequence built for row `n`.
fn item_ref_uid(n: usize) -> String {
    format!("1.2.3.4.9.{n}")
}

/// A non-empty value valid for `vr`, distinct from the engine's dummies; text values carry the
/// patient's name so that cleaning (C) can be observed. Sequences get one item that references
/// an instance (its UID is U in the table) and holds a Patient's Name (Z in the table), so that
/// recursive cleaning is visible in every kept sequence.
fn sample_element(tag: Tag, vr: VR, n: usize) -> DataElement<InMemDicomObject> {
    let text = format!("R{n} DOE JANE");
    match vr {
        VR::SQ => seq(
            tag,
            vec![item([
                el(tags::REFERENCED_SOP_CLASS_UID, VR::UI, CT_IMAGE_STORAGE),
                el(tags::REFERENCED_SOP_INSTANCE_UID, VR::UI, item_ref_uid(n)),
                el(tags::PATIENT_NAME, VR::PN, PATIENT_NAME),
            ])],
        ),
        VR::AE | VR::LO | VR::LT | VR::SH | VR::ST | VR::UC | VR::UT | VR::PN => el(tag, vr, text),
        // Code strings hold defined terms, not free text: no name in them to clean.
        VR::CS => el(tag, vr, format!("R{n}_TERM")),
        VR::UR => el(tag, vr, format!("http://example.org/r{n}")),
        VR::AS => el(tag, vr, "045Y"),
        VR::DA => el(tag, vr, "20240115"),
        VR::DT => el(tag, vr, "20240115103000"),
        VR::TM => el(tag, vr, "103000"),
        VR::DS => el(tag, vr, "7.5"),
        VR::IS => el(tag, vr, "7"),
        VR::UI => el(tag, vr, format!("1.2.3.4.5.{n}")),
        VR::US => el(tag, vr, 7u16),
        VR::SS => el(tag, vr, 7i16),
        VR::UL => el(tag, vr, 7u32),
        VR::SL => el(tag, vr, 7i32),
        VR::UV => el(tag, vr, 7u64),
        VR::SV => el(tag, vr, 7i64),
        VR::FL => el(tag, vr, 7.5f32),
        VR::FD => el(tag, vr, 7.5f64),
        VR::AT => el(tag, vr, PrimitiveValue::Tags([Tag(0x0010, 0x0010)][..].into())),
        VR::OB | VR::UN => el(tag, vr, vec![1u8, 2, 3, 4]),
        VR::OW => el(tag, vr, PrimitiveValue::U16([0x0102u16, 0x0304][..].into())),
        VR::OL => el(tag, vr, PrimitiveValue::U32([7u32][..].into())),
        VR::OV => el(tag, vr, PrimitiveValue::U64([7u64][..].into())),
        VR::OF => el(tag, vr, PrimitiveValue::F32([7.5f32][..].into())),
        VR::OD => el(tag, vr, PrimitiveValue::F64([7.5f64][..].into())),
    }
}

/// A CT Image data set with the Type 1 attributes of the CT Image IOD (PS3.3 A.3) and the
/// patient/study attributes the cleaning checks rely on.
fn base_ct(sop_instance: &str) -> InMemDicomObject {
    item([
        el(tags::SOP_CLASS_UID, VR::UI, CT_IMAGE_STORAGE),
        el(tags::SOP_INSTANCE_UID, VR::UI, sop_instance),
        el(tags::STUDY_INSTANCE_UID, VR::UI, "1.2.3.4.1.2"),
        el(tags::SERIES_INSTANCE_UID, VR::UI, "1.2.3.4.1.3"),
        el(tags::FRAME_OF_REFERENCE_UID, VR::UI, "1.2.3.4.1.4"),
        el(tags::MODALITY, VR::CS, "CT"),
        el(tags::PATIENT_NAME, VR::PN, PATIENT_NAME),
        el(tags::PATIENT_ID, VR::LO, "PID12345"),
        el(tags::STUDY_DATE, VR::DA, STUDY_DATE),
        el(tags::SERIES_DATE, VR::DA, SERIES_DATE),
        el(tags::IMAGE_TYPE, VR::CS, "ORIGINAL\\PRIMARY\\AXIAL"),
        el(tags::SAMPLES_PER_PIXEL, VR::US, 1u16),
        el(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2"),
        el(tags::ROWS, VR::US, 2u16),
        el(tags::COLUMNS, VR::US, 2u16),
        el(tags::BITS_ALLOCATED, VR::US, 16u16),
        el(tags::BITS_STORED, VR::US, 12u16),
        el(tags::HIGH_BIT, VR::US, 11u16),
        el(tags::PIXEL_REPRESENTATION, VR::US, 0u16),
        el(tags::RESCALE_INTERCEPT, VR::DS, "-1024"),
        el(tags::RESCALE_SLOPE, VR::DS, "1"),
        el(tags::PIXEL_SPACING, VR::DS, "0.5\\0.5"),
        el(tags::IMAGE_ORIENTATION_PATIENT, VR::DS, "1\\0\\0\\0\\1\\0"),
        el(tags::IMAGE_POSITION_PATIENT, VR::DS, "0\\0\\0"),
        el(tags::PIXEL_DATA, VR::OW, PrimitiveValue::U16([0u16, 1, 2, 3][..].into())),
    ])
}

fn profile(options: &[ProfileOption]) -> Profile {
    Profile::load("ps315-basic").expect("built-in profile").with_options(options)
}

fn deidentify(obj: &mut InMemDicomObject, options: &[ProfileOption]) -> Vec<Change> {
    let p = profile(options);
    let vault = Vault::in_memory();
    Deidentifier::new(&p, &vault).expect("profile compiles").apply(obj).expect("de-identification")
}

// ---------------------------------------------------------------------------------------------
// Observing outcomes.

#[derive(Debug, Clone)]
enum Obs {
    Absent,
    Seq(Vec<InMemDicomObject>),
    Prim(String),
}

impl Obs {
    fn describe(&self) -> String {
        match self {
            Obs::Absent => "absent".into(),
            Obs::Seq(items) => format!("sequence with {} item(s)", items.len()),
            Obs::Prim(s) if s.is_empty() => "present, empty".into(),
            Obs::Prim(s) => format!("value {s:?}"),
        }
    }
}

fn prim_text(p: &PrimitiveValue) -> String {
    p.to_str().trim_end_matches(['\0', ' ']).to_string()
}

fn observe(obj: &InMemDicomObject, tag: Tag) -> Obs {
    match obj.get(tag).map(|e| e.value()) {
        None => Obs::Absent,
        Some(Value::Sequence(s)) => Obs::Seq(s.items().to_vec()),
        Some(Value::Primitive(p)) => Obs::Prim(prim_text(p)),
        Some(Value::PixelSequence(_)) => Obs::Prim("<encapsulated>".into()),
    }
}

fn text_of(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    match observe(obj, tag) {
        Obs::Prim(s) => Some(s),
        _ => None,
    }
}

fn items_of(obj: &InMemDicomObject, tag: Tag) -> Vec<InMemDicomObject> {
    match observe(obj, tag) {
        Obs::Seq(items) => items,
        other => panic!("({:04X},{:04X}) is not a sequence: {}", tag.group(), tag.element(), other.describe()),
    }
}

fn is_valid_uid(s: &str) -> bool {
    s.len() <= 64
        && s.split('.')
            .all(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()) && (c == "0" || !c.starts_with('0')))
}

/// Days since 1970-01-01 of a YYYYMMDD date (written here, not taken from the engine).
fn day_number(s: &str) -> Option<i64> {
    if s.len() < 8 || !s[..8].bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (s[..4].parse().ok()?, s[4..6].parse().ok()?, s[6..8].parse().ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let is_leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [31, if is_leap(y) { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if d > month_days[(m - 1) as usize] {
        return None;
    }
    let years: i64 = if y >= 1970 {
        (1970..y).map(|yy| if is_leap(yy) { 366 } else { 365 }).sum()
    } else {
        -(y..1970).map(|yy| if is_leap(yy) { 366 } else { 365 }).sum::<i64>()
    };
    Some(years + month_days[..(m - 1) as usize].iter().sum::<i64>() + d - 1)
}

fn is_valid_time(s: &str) -> bool {
    let (hms, frac) = s.split_once('.').unwrap_or((s, ""));
    let ok_len = matches!(hms.len(), 2 | 4 | 6) && hms.bytes().all(|b| b.is_ascii_digit());
    ok_len
        && frac.bytes().all(|b| b.is_ascii_digit())
        && hms[..2].parse::<u32>().is_ok_and(|h| h < 24)
        && hms.get(2..4).is_none_or(|m| m.parse::<u32>().is_ok_and(|m| m < 60))
        && hms.get(4..6).is_none_or(|sec| sec.parse::<u32>().is_ok_and(|sec| sec < 61))
}

/// Whether a (non-empty) value is valid for its VR, for the checks on dummies.
fn is_valid_for_vr(vr: VR, s: &str) -> bool {
    match vr {
        VR::DA => s.len() == 8 && day_number(s).is_some(),
        VR::TM => is_valid_time(s),
        VR::DT => s.len() >= 8 && day_number(s).is_some() && (s.len() == 8 || is_valid_time(&s[8..s.len().min(14)])),
        VR::AS => {
            s.len() == 4 && s[..3].bytes().all(|b| b.is_ascii_digit()) && matches!(&s[3..], "D" | "W" | "M" | "Y")
        }
        VR::DS => s.split('\\').all(|v| v.trim().parse::<f64>().is_ok()),
        VR::IS => s.split('\\').all(|v| v.trim().parse::<i64>().is_ok()),
        VR::UI => s.split('\\').all(is_valid_uid),
        VR::CS => s.split('\\').all(|v| {
            v.len() <= 16 && v.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ' || b == b'_')
        }),
        VR::AE => s.len() <= 16,
        VR::SH => s.chars().count() <= 16,
        VR::LO => s.chars().count() <= 64,
        _ => !s.is_empty(),
    }
}

fn contains_phi(s: &str) -> bool {
    let upper = s.to_uppercase();
    PHI_TOKENS.iter().any(|t| upper.contains(t))
}

/// What happened to the Patient's Name inside the items of a surviving sequence: it is Z in the
/// table, so it must be empty or gone (no option column changes it).
fn nested_phi_left(items: &[InMemDicomObject]) -> Option<String> {
    items.iter().find_map(|i| text_of(i, tags::PATIENT_NAME).filter(|s| !s.is_empty()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    X,
    Z,
    D,
    K,
    U,
    C,
}

/// The outcomes a code permits. `ty` is the attribute's Type at this place, when the IOD table
/// knows it. Resolution by Type follows the code definitions in PS3.15 Table E.1-1's legend:
/// X/Z "X unless Z is required to maintain IOD conformance (Type 3 versus Type 2)", X/D likewise
/// for Type 1, Z/D "Z unless D is required (Type 2 versus Type 1)", X/Z/D and X/Z/U* for Types
/// 3/2/1, and U* "replacement of contained instance UIDs" inside sequences.
fn permitted(code: &str, ty: Option<IodType>, nested: bool) -> Vec<Kind> {
    use IodType::*;
    use Kind::*;
    match (code, ty) {
        ("X", _) => vec![X],
        ("Z", _) => vec![Z],
        ("D", _) => vec![D],
        ("K", _) => vec![K],
        ("U", _) => vec![U],
        ("C", _) => vec![C],
        ("Z/D", Some(One)) => vec![D],
        ("Z/D", Some(_)) => vec![Z],
        ("Z/D", None) => vec![Z, D],
        ("X/Z", Some(Three)) => vec![X],
        ("X/Z", Some(Two)) => vec![Z],
        ("X/Z", Some(One)) => vec![Z, D],
        ("X/Z", None) => vec![X, Z],
        ("X/D", Some(Three)) => vec![X],
        ("X/D", Some(_)) => vec![D],
        ("X/D", None) => vec![X, D],
        ("X/Z/D", Some(One)) => vec![D],
        ("X/Z/D", Some(Two)) => vec![Z],
        ("X/Z/D", Some(Three)) => vec![X],
        ("X/Z/D", None) => vec![X, Z, D],
        ("X/Z/U*", _) if nested => vec![U],
        ("X/Z/U*", Some(One)) => vec![U],
        ("X/Z/U*", Some(Two)) => vec![Z],
        ("X/Z/U*", Some(Three)) => vec![X],
        ("X/Z/U*", None) => vec![X, Z, U],
        (other, _) => panic!("unknown action code {other:?}"),
    }
}

/// Facts a check needs besides the element itself.
struct CheckCtx<'a> {
    vr: VR,
    options: &'a [ProfileOption],
    private: bool,
    /// The data set (top level or item) the element sits in, after de-identification.
    holder: &'a InMemDicomObject,
    /// Days the reference date moved (for modified dates), when it could be measured.
    reference_shift: Option<i64>,
}

/// Whether `after` satisfies `kind`; the error says why not.
fn satisfies(kind: Kind, before: &Obs, after: &Obs, cx: &CheckCtx) -> Result<(), String> {
    let has = |o: ProfileOption| cx.options.contains(&o);
    match (kind, after) {
        (Kind::X, Obs::Absent) => {
            if cx.private && cx.holder.get(PRIVATE_CREATOR).is_some() {
                return Err("private element removed but its private creator (0009,0010) is left".into());
            }
            Ok(())
        }
        (Kind::X, _) => Err("not removed".into()),
        // Retain Safe Private keeps only private attributes known to be safe; this creator
        // ("ACME 1.0") is on no safe-private list, so cleaning it means removing it.
        (Kind::C, Obs::Absent) if cx.private => satisfies(Kind::X, before, after, cx),
        (_, Obs::Absent) => Err("removed".into()),
        (Kind::Z, Obs::Seq(items)) if items.is_empty() => Ok(()),
        (Kind::Z, Obs::Prim(s)) if s.is_empty() => Ok(()),
        (Kind::Z, _) => Err("not zero-length".into()),
        (Kind::K, Obs::Seq(items)) => match before {
            Obs::Seq(b) if b.len() == items.len() => nested_clean(items),
            _ => Err("sequence items lost".into()),
        },
        (Kind::K, Obs::Prim(s)) => match before {
            Obs::Prim(b) if b == s => Ok(()),
            _ => Err("value changed".into()),
        },
        (Kind::D, Obs::Seq(items)) => {
            if items.is_empty() {
                return Err("dummy sequence has no item".into());
            }
            nested_clean(items)
        }
        (Kind::D, Obs::Prim(s)) => {
            if s.is_empty() {
                Err("dummy is empty".into())
            } else if matches!(before, Obs::Prim(b) if b == s) {
                Err("dummy equals the original".into())
            } else if !is_valid_for_vr(cx.vr, s) {
                Err(format!("dummy {s:?} is not valid for VR {}", cx.vr.to_string()))
            } else {
                Ok(())
            }
        }
        (Kind::U, Obs::Prim(s)) => {
            if cx.vr != VR::UI {
                return Err("U on a non-UID value".into());
            }
            match before {
                Obs::Prim(b) if b == s => Err("UID not replaced".into()),
                _ if !s.starts_with("2.25.") || !is_valid_uid(s) => Err(format!("new UID {s:?} is not a 2.25. UID")),
                _ => Ok(()),
            }
        }
        (Kind::U, Obs::Seq(items)) => {
            // U* on a sequence: kept, with the contained instance UIDs replaced.
            let (Obs::Seq(b), false) = (before, items.is_empty()) else { return Err("sequence items lost".into()) };
            if b.len() != items.len() {
                return Err("sequence items lost".into());
            }
            for (old, new) in b.iter().zip(items) {
                let (o, n) =
                    (text_of(old, tags::REFERENCED_SOP_INSTANCE_UID), text_of(new, tags::REFERENCED_SOP_INSTANCE_UID));
                if o == n || !n.as_deref().is_some_and(|n| n.starts_with("2.25.")) {
                    return Err(format!("contained Referenced SOP Instance UID {o:?} → {n:?}, not replaced"));
                }
            }
            nested_clean(items)
        }
        (Kind::C, Obs::Seq(items)) => nested_clean(items),
        (Kind::C, Obs::Prim(s)) => {
            let Obs::Prim(b) = before else { return Err("not a primitive before".into()) };
            if cx.private {
                return Err(format!("private attribute of an unknown creator retained as {s:?}"));
            }
            match cx.vr {
                VR::DA | VR::DT if has(ProfileOption::RetainLongModifiedDates) => {
                    let (Some(o), Some(n)) = (day_number(b), day_number(s)) else {
                        return Err(format!("{s:?} is not a shifted date"));
                    };
                    if n == o {
                        return Err("date not shifted".into());
                    }
                    if cx.vr == VR::DT && b.get(8..) != s.get(8..) {
                        return Err("time part of a DT changed by a whole-day shift".into());
                    }
                    match cx.reference_shift {
                        Some(r) if r != n - o => Err(format!("shifted by {} days but Study/Series Date by {r}", n - o)),
                        _ => Ok(()),
                    }
                }
                // Whole-day shifts leave the time of day as it was; it must stay valid.
                VR::TM => {
                    if is_valid_time(s) {
                        Ok(())
                    } else {
                        Err(format!("{s:?} is not a valid time"))
                    }
                }
                VR::AE | VR::LO | VR::LT | VR::SH | VR::ST | VR::UC | VR::UT | VR::PN => {
                    if contains_phi(s) {
                        Err("patient name left in cleaned text".into())
                    } else {
                        Ok(())
                    }
                }
                // Values with no text to clean (binary overlays, numbers) may be kept as they are.
                _ if b == s => Ok(()),
                _ => Err("non-text value altered by cleaning".into()),
            }
        }
    }
}

fn nested_clean(items: &[InMemDicomObject]) -> Result<(), String> {
    match nested_phi_left(items) {
        Some(s) => Err(format!("Patient's Name {s:?} left inside the sequence's item")),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// The table-driven pass.

struct PassResult {
    exercised: usize,
    mismatches: Vec<String>,
}

/// One data set per row, holding the row's element at top level and inside an item of
/// `CONTAINER`; every placement is checked against the code `code_for(row)` gives.
fn table_pass(options: &[ProfileOption], code_for: impl Fn(&Row) -> String) -> PassResult {
    let rows = table_rows();
    let types = iod_types();
    let p = profile(options);
    let vault = Vault::in_memory();
    let deid = Deidentifier::new(&p, &vault).expect("profile compiles");
    let label = if options.is_empty() { "basic".to_string() } else { format!("basic+{options:?}") };
    let mut out = PassResult { exercised: 0, mismatches: Vec::new() };
    for (n, row) in rows.iter().enumerate() {
        let n = n + 1;
        let tag = row.tag;
        let vr = vr_of(tag);
        let private = tag.group() % 2 == 1;
        let value = sample_element(tag, vr, n);
        let creator = el(PRIVATE_CREATOR, VR::LO, "ACME 1.0");
        let mut nested = item([value.clone()]);
        let mut obj = base_ct("1.2.3.4.1.1");
        obj.put(value);
        if private {
            obj.put(creator.clone());
            nested.put(creator);
        }
        obj.put(seq(CONTAINER, vec![nested]));
        let before = obj.clone();
        if let Err(e) = deid.apply(&mut obj) {
            out.mismatches.push(format!("line {} {} {}: apply failed: {e}", row.line, row.tag_text, row.name));
            continue;
        }
        let code = code_for(row);
        let shift = |t: Tag| Some(day_number(&text_of(&obj, t)?)? - day_number(&text_of(&before, t)?)?);
        let reference_shift = match tag {
            tags::STUDY_DATE => shift(tags::SERIES_DATE),
            _ => shift(tags::STUDY_DATE),
        };
        let mut uid_map: Vec<(String, Obs, Obs)> = Vec::new();

        let container_items = items_of(&obj, CONTAINER);
        if container_items.len() != 1 {
            out.mismatches.push(format!(
                "line {} {}: the container sequence lost its item ({})",
                row.line,
                row.tag_text,
                observe(&obj, CONTAINER).describe()
            ));
            continue;
        }
        let placements = [
            ("top level", &before, &obj, vec![tag]),
            ("in a sequence item", &items_of(&before, CONTAINER)[0], &container_items[0], vec![CONTAINER, tag]),
        ];
        for (place, b_holder, a_holder, path) in placements {
            let ty = types.get(&(CT_IMAGE_STORAGE.to_string(), path_key(&path))).copied();
            let allowed = permitted(&code, ty, path.len() > 1);
            let (b, a) = (observe(b_holder, tag), observe(a_holder, tag));
            let cx = CheckCtx { vr, options, private, holder: a_holder, reference_shift };
            let verdicts: Vec<Result<(), String>> = allowed.iter().map(|k| satisfies(*k, &b, &a, &cx)).collect();
            if verdicts.iter().all(|v| v.is_err()) {
                let why: Vec<String> =
                    allowed.iter().zip(&verdicts).map(|(k, v)| format!("{k:?}: {}", v.as_ref().unwrap_err())).collect();
                out.mismatches.push(format!(
                    "line {} {} {} [{}, VR {}] {place} under {label}: table says {code} (Type {ty:?}), got {} ({})",
                    row.line,
                    row.tag_text,
                    row.name,
                    tag_str(tag),
                    vr.to_string(),
                    a.describe(),
                    why.join("; ")
                ));
            }
            if allowed.contains(&Kind::U) {
                uid_map.push((place.to_string(), b, a));
            }
        }
        // One original UID → one new UID everywhere in the object.
        if let [(_, b1, a1), (_, b2, a2)] = &uid_map[..] {
            let same_original = uid_texts(b1) == uid_texts(b2);
            let both_replaced = !matches!(a1, Obs::Absent) && !matches!(a2, Obs::Absent);
            if same_original && both_replaced && uid_texts(a1) != uid_texts(a2) {
                out.mismatches.push(format!(
                    "line {} {} {} under {label}: the same UID was replaced inconsistently: {:?} vs {:?}",
                    row.line,
                    row.tag_text,
                    row.name,
                    uid_texts(a1),
                    uid_texts(a2)
                ));
            }
        }
        out.exercised += 1;
    }
    out
}

/// The UID text of a UI value, or of the Referenced SOP Instance UIDs in a sequence's items.
fn uid_texts(o: &Obs) -> Vec<String> {
    match o {
        Obs::Prim(s) => vec![s.clone()],
        Obs::Seq(items) => items.iter().filter_map(|i| text_of(i, tags::REFERENCED_SOP_INSTANCE_UID)).collect(),
        Obs::Absent => Vec::new(),
    }
}

fn tag_str(t: Tag) -> String {
    format!("({:04X},{:04X})", t.group(), t.element())
}

fn assert_pass(result: PassResult, what: &str) {
    let rows = table_rows().len();
    assert!(
        result.mismatches.is_empty(),
        "{} mismatch(es) with Table E.1-1 ({what}):\n{}",
        result.mismatches.len(),
        result.mismatches.join("\n")
    );
    assert_eq!(result.exercised, rows, "{what}: every row must be exercised");
}

#[test]
fn shipped_table_has_621_rows_all_with_a_concrete_tag_and_a_dictionary_vr() {
    let rows = table_rows();
    assert_eq!(rows.len(), 621);
    for r in &rows {
        vr_of(r.tag); // panics when the dictionary does not know the attribute
        assert!(!r.basic.is_empty(), "line {}: no basic action", r.line);
    }
}

#[test]
fn container_sequence_is_not_in_the_table() {
    for r in table_rows() {
        assert_ne!(r.tag, CONTAINER, "VOI LUT Sequence is listed (line {})", r.line);
        assert_ne!(r.tag, INNER_CONTAINER, "Sequence of Ultrasound Regions is listed (line {})", r.line);
    }
}

#[test]
fn basic_profile_applies_the_basic_column_to_every_table_row_at_top_level_and_in_sequences() {
    assert_pass(table_pass(&[], |r| r.basic.clone()), "Basic Profile");
}

fn option_column_pass(column: &str) {
    let option = column_option(column);
    let rows = table_rows();
    assert!(rows.iter().any(|r| r.columns.contains_key(column)), "column {column} has no entries");
    let result = table_pass(&[option], |r| r.columns.get(column).cloned().unwrap_or_else(|| r.basic.clone()));
    assert_pass(result, &format!("Basic Profile + {option:?}"));
}

#[test]
fn retain_safe_private_option_follows_its_column_and_basic_elsewhere() {
    option_column_pass("retain_safe_private");
}

#[test]
fn retain_uids_option_follows_its_column_and_basic_elsewhere() {
    option_column_pass("retain_uids");
}

#[test]
fn retain_device_identity_option_follows_its_column_and_basic_elsewhere() {
    option_column_pass("retain_device_identity");
}

#[test]
fn retain_institution_identity_option_follows_its_column_and_basic_elsewhere() {
    option_column_pass("retain_institution_identity");
}

#[test]
fn retain_patient_characteristics_option_follows_its_column_and_basic_elsewhere() {
    option_column_pass("retain_patient_characteristics");
}

#[test]
fn retain_long_full_dates_option_follows_its_column_and_basic_elsewhere() {
    option_column_pass("retain_long_full_dates");
}

#[test]
fn retain_long_modified_dates_option_shifts_dates_keeping_intervals_and_basic_elsewhere() {
    option_column_pass("retain_long_modified_dates");
}

#[test]
fn clean_descriptors_option_follows_its_column_and_basic_elsewhere() {
    option_column_pass("clean_descriptors");
}

#[test]
fn clean_structured_content_option_follows_its_column_and_basic_elsewhere() {
    option_column_pass("clean_structured_content");
}

#[test]
fn clean_graphics_option_follows_its_column_and_basic_elsewhere() {
    option_column_pass("clean_graphics");
}

#[test]
fn every_option_column_of_the_table_is_covered_by_a_pass() {
    let header: Vec<&str> = TABLE_TSV.lines().next().unwrap().split('\t').skip(4).collect();
    assert_eq!(header.len(), 10);
    for h in header {
        column_option(h); // panics on a column this file does not know
    }
}

#[test]
fn options_without_a_table_column_leave_every_row_at_its_basic_action() {
    // Clean Pixel Data and Clean Recognizable Visual Features act on pixels, not on the header.
    let result = table_pass(&[ProfileOption::CleanPixelData, ProfileOption::CleanRecognizableVisualFeatures], |r| {
        r.basic.clone()
    });
    assert_pass(result, "Basic Profile + pixel options");
}

// ---------------------------------------------------------------------------------------------
// One test per Annex E behaviour class. Expected actions are quoted from PS3.15 Table E.1-1
// (the same rows are in the shipped TSV, line numbers given for cross-checking).

fn ct_with(extra: impl IntoIterator<Item = DataElement<InMemDicomObject>>) -> InMemDicomObject {
    let mut obj = base_ct("1.2.3.4.1.1");
    for e in extra {
        obj.put(e);
    }
    obj
}

fn assert_absent(obj: &InMemDicomObject, tag: Tag, what: &str) {
    assert!(obj.get(tag).is_none(), "{what} {} must be removed, is {}", tag_str(tag), observe(obj, tag).describe());
}

fn assert_zero_length(obj: &InMemDicomObject, tag: Tag, what: &str) {
    let o = observe(obj, tag);
    let empty = match &o {
        Obs::Prim(s) => s.is_empty(),
        Obs::Seq(items) => items.is_empty(),
        Obs::Absent => false,
    };
    assert!(empty, "{what} {} must be present with zero length, is {}", tag_str(tag), o.describe());
}

fn assert_unchanged(before: &InMemDicomObject, after: &InMemDicomObject, tag: Tag, what: &str) {
    let (b, a) = (observe(before, tag), observe(after, tag));
    let same = match (&b, &a) {
        (Obs::Prim(x), Obs::Prim(y)) => x == y,
        (Obs::Seq(x), Obs::Seq(y)) => x.len() == y.len(),
        _ => false,
    };
    assert!(same, "{what} {} must be kept: {} → {}", tag_str(tag), b.describe(), a.describe());
}

fn new_text(obj: &InMemDicomObject, tag: Tag) -> String {
    text_of(obj, tag).unwrap_or_else(|| panic!("{} missing: {}", tag_str(tag), observe(obj, tag).describe()))
}

/// Every element at every level whose group is odd (private), as paths.
fn private_elements(obj: &InMemDicomObject, prefix: &str, out: &mut Vec<String>) {
    for e in obj.iter() {
        let t = e.header().tag;
        let here = format!("{prefix}{}", tag_str(t));
        if t.group() % 2 == 1 {
            out.push(here.clone());
        }
        if let Value::Sequence(s) = e.value() {
            for (i, it) in s.items().iter().enumerate() {
                private_elements(it, &format!("{here}[{}]", i + 1), out);
            }
        }
    }
}

#[test]
fn basic_profile_removes_x_attributes() {
    // Table E.1-1: Other Patient IDs (0010,1000) X, Other Patient IDs Sequence (0010,1002) X,
    // Patient's Address (0010,1040) X, Patient Comments (0010,4000) X, Institution Address
    // (0008,0081) X.
    let removed = [
        el(Tag(0x0010, 0x1000), VR::LO, "OTHER-ID-1"),
        seq(tags::OTHER_PATIENT_I_DS_SEQUENCE, vec![item([el(tags::PATIENT_ID, VR::LO, "OTHER-ID-1")])]),
        el(tags::PATIENT_ADDRESS, VR::LO, "1 Main Street"),
        el(tags::PATIENT_COMMENTS, VR::LT, "talkative"),
        el(tags::INSTITUTION_ADDRESS, VR::ST, "2 Hospital Road"),
    ];
    let tags_removed: Vec<Tag> = removed.iter().map(|e| e.header().tag).collect();
    let mut obj = ct_with(removed);
    let changes = deidentify(&mut obj, &[]);
    for t in tags_removed {
        assert_absent(&obj, t, "X attribute");
        let c = changes.iter().find(|c| c.path == tag_str(t)).expect("a decision is recorded");
        assert_eq!((c.action.as_str(), c.new.as_deref()), ("X", None), "{c:?}");
    }
}

#[test]
fn basic_profile_replaces_z_attributes_with_zero_length_values() {
    // Table E.1-1: Patient's Name, Accession Number, Referring Physician's Name, Study ID,
    // Study Date, Study Time are Z; Specimen Preparation Sequence (0040,0610) is Z (no items).
    let mut obj = ct_with([
        el(tags::ACCESSION_NUMBER, VR::SH, "ACC123"),
        el(tags::REFERRING_PHYSICIAN_NAME, VR::PN, "HOUSE^GREGORY"),
        el(tags::STUDY_ID, VR::SH, "S1"),
        el(tags::STUDY_TIME, VR::TM, "101500"),
        seq(tags::SPECIMEN_PREPARATION_SEQUENCE, vec![item([el(tags::PATIENT_NAME, VR::PN, PATIENT_NAME)])]),
    ]);
    deidentify(&mut obj, &[]);
    for t in [
        tags::PATIENT_NAME,
        tags::ACCESSION_NUMBER,
        tags::REFERRING_PHYSICIAN_NAME,
        tags::STUDY_ID,
        tags::STUDY_DATE,
        tags::STUDY_TIME,
        tags::SPECIMEN_PREPARATION_SEQUENCE,
    ] {
        assert_zero_length(&obj, t, "Z attribute");
    }
}

#[test]
fn dummy_d_keeps_type1_attributes_non_empty_and_valid_for_their_vr() {
    // Table E.1-1: Content Sequence (0040,A730) D, and in its items DateTime (0040,A120),
    // Date (0040,A121), Time (0040,A122), Person Name (0040,A123) D: Type 1 in content items
    // (PS3.3 C.17.3), so a dummy keeps the SR tree valid.
    // Patient ID (0010,0020) is Z/D and Type 1 inside Source Patient Group Identification
    // Sequence (0010,0026) of the CT Image IOD (iod-attribute-types.tsv:
    // "1.2.840.10008.5.1.4.1.1.2 00100026/00100020 1"), so it resolves to D there.
    assert!(IOD_TYPES_TSV.contains("1.2.840.10008.5.1.4.1.1.2\t00100026/00100020\t1\n"));
    let content_item = item([
        el(tags::VALUE_TYPE, VR::CS, "PNAME"),
        el(tags::DATE_TIME, VR::DT, "20240115103000"),
        el(tags::DATE, VR::DA, "20240115"),
        el(tags::TIME, VR::TM, "103000"),
        el(tags::PERSON_NAME, VR::PN, PATIENT_NAME),
    ]);
    let mut obj = ct_with([
        seq(tags::CONTENT_SEQUENCE, vec![content_item]),
        seq(
            tags::SOURCE_PATIENT_GROUP_IDENTIFICATION_SEQUENCE,
            vec![item([el(tags::PATIENT_ID, VR::LO, "GROUP-ID-7")])],
        ),
    ]);
    deidentify(&mut obj, &[]);
    let content = items_of(&obj, tags::CONTENT_SEQUENCE);
    assert_eq!(content.len(), 1, "the content tree keeps its item");
    for (t, vr, original) in [
        (tags::DATE_TIME, VR::DT, "20240115103000"),
        (tags::DATE, VR::DA, "20240115"),
        (tags::TIME, VR::TM, "103000"),
        (tags::PERSON_NAME, VR::PN, PATIENT_NAME),
    ] {
        let v = new_text(&content[0], t);
        assert!(!v.is_empty() && v != original, "{} dummy {v:?} must replace {original:?}", tag_str(t));
        assert!(is_valid_for_vr(vr, &v), "{} dummy {v:?} is not a valid {}", tag_str(t), vr.to_string());
    }
    let group = items_of(&obj, tags::SOURCE_PATIENT_GROUP_IDENTIFICATION_SEQUENCE);
    let id = new_text(&group[0], tags::PATIENT_ID);
    assert!(!id.is_empty() && id != "GROUP-ID-7", "Type 1 Patient ID must get a dummy, got {id:?}");
    assert!(is_valid_for_vr(VR::LO, &id));
}

#[test]
fn uid_replacement_is_consistent_across_two_instances_sharing_a_vault() {
    // Table E.1-1: SOP Instance UID, Study Instance UID, Series Instance UID and Referenced SOP
    // Instance UID are U. Instance B (a Key Object Selection) references instance A through
    // Current Requested Procedure Evidence Sequence > Referenced Series Sequence > Referenced
    // SOP Sequence, none of which the table lists (kept, cleaned recursively).
    let (study, series, sop_a) = ("1.2.3.4.1.2", "1.2.3.4.1.3", "1.2.3.4.1.1");
    for t in ["(0040,A375)", "(0008,1115)", "(0008,1199)"] {
        assert!(!TABLE_TSV.contains(t), "{t} is listed in Table E.1-1");
    }
    let mut a = base_ct(sop_a);
    let mut b = item([
        el(tags::SOP_CLASS_UID, VR::UI, KEY_OBJECT_SELECTION_STORAGE),
        el(tags::SOP_INSTANCE_UID, VR::UI, "1.2.3.4.2.1"),
        el(tags::STUDY_INSTANCE_UID, VR::UI, study),
        el(tags::SERIES_INSTANCE_UID, VR::UI, "1.2.3.4.2"),
        el(tags::MODALITY, VR::CS, "KO"),
        el(tags::PATIENT_NAME, VR::PN, PATIENT_NAME),
        el(tags::PATIENT_ID, VR::LO, "PID12345"),
        seq(
            tags::CURRENT_REQUESTED_PROCEDURE_EVIDENCE_SEQUENCE,
            vec![item([
                el(tags::STUDY_INSTANCE_UID, VR::UI, study),
                seq(
                    tags::REFERENCED_SERIES_SEQUENCE,
                    vec![item([
                        el(tags::SERIES_INSTANCE_UID, VR::UI, series),
                        seq(
                            tags::REFERENCED_SOP_SEQUENCE,
                            vec![item([
                                el(tags::REFERENCED_SOP_CLASS_UID, VR::UI, CT_IMAGE_STORAGE),
                                el(tags::REFERENCED_SOP_INSTANCE_UID, VR::UI, sop_a),
                            ])],
                        ),
                    ])],
                ),
            ])],
        ),
    ]);
    let p = profile(&[]);
    let vault = Vault::in_memory();
    let deid = Deidentifier::new(&p, &vault).unwrap();
    deid.apply(&mut a).unwrap();
    deid.apply(&mut b).unwrap();

    let new_study = new_text(&a, tags::STUDY_INSTANCE_UID);
    let new_series = new_text(&a, tags::SERIES_INSTANCE_UID);
    let new_sop = new_text(&a, tags::SOP_INSTANCE_UID);
    for (new, old) in [(&new_study, study), (&new_series, series), (&new_sop, sop_a)] {
        assert!(new.starts_with("2.25.") && is_valid_uid(new) && new != old, "{old} → {new}");
    }
    assert_eq!(new_text(&b, tags::STUDY_INSTANCE_UID), new_study, "same study in both instances");
    let evidence = &items_of(&b, tags::CURRENT_REQUESTED_PROCEDURE_EVIDENCE_SEQUENCE)[0];
    assert_eq!(new_text(evidence, tags::STUDY_INSTANCE_UID), new_study);
    let series_item = &items_of(evidence, tags::REFERENCED_SERIES_SEQUENCE)[0];
    assert_eq!(new_text(series_item, tags::SERIES_INSTANCE_UID), new_series);
    let sop_item = &items_of(series_item, tags::REFERENCED_SOP_SEQUENCE)[0];
    assert_eq!(new_text(sop_item, tags::REFERENCED_SOP_INSTANCE_UID), new_sop, "reference follows instance A");
    assert_eq!(new_text(sop_item, tags::REFERENCED_SOP_CLASS_UID), CT_IMAGE_STORAGE, "class UIDs are not U");
    assert_ne!(new_text(&b, tags::SOP_INSTANCE_UID), new_sop, "different instances get different UIDs");
}

#[test]
fn retain_options_keep_k_attributes_unchanged() {
    // Table E.1-1 option columns: Retain UIDs K for SOP/Study/Series Instance UID; Retain
    // Device Identity K for Station Name (0008,1010) and Device Serial Number (0018,1000);
    // Retain Institution Identity K for Institution Name (0008,0080) and Address (0008,0081).
    let extra = || {
        [
            el(tags::STATION_NAME, VR::SH, "CT-ROOM-2"),
            el(tags::DEVICE_SERIAL_NUMBER, VR::LO, "SN-998877"),
            el(tags::INSTITUTION_NAME, VR::LO, "General Hospital"),
            el(tags::INSTITUTION_ADDRESS, VR::ST, "2 Hospital Road"),
        ]
    };
    for (option, kept) in [
        (ProfileOption::RetainUids, vec![tags::SOP_INSTANCE_UID, tags::STUDY_INSTANCE_UID, tags::SERIES_INSTANCE_UID]),
        (ProfileOption::RetainDeviceIdentity, vec![tags::STATION_NAME, tags::DEVICE_SERIAL_NUMBER]),
        (ProfileOption::RetainInstitutionIdentity, vec![tags::INSTITUTION_NAME, tags::INSTITUTION_ADDRESS]),
    ] {
        let before = ct_with(extra());
        let mut after = before.clone();
        deidentify(&mut after, &[option]);
        for t in kept {
            assert_unchanged(&before, &after, t, &format!("{option:?}"));
        }
        // Without the option the same attributes are not kept.
        let mut basic = before.clone();
        deidentify(&mut basic, &[]);
        assert_ne!(
            observe(&basic, tags::SOP_INSTANCE_UID).describe(),
            observe(&before, tags::SOP_INSTANCE_UID).describe()
        );
        assert!(text_of(&basic, tags::STATION_NAME).is_none_or(|s| s.is_empty() || s != "CT-ROOM-2"));
        assert!(text_of(&basic, tags::INSTITUTION_NAME).is_none_or(|s| s != "General Hospital"));
    }
}

#[test]
fn attributes_not_in_the_table_are_kept() {
    let before = ct_with([el(tags::KVP, VR::DS, "120"), el(tags::SLICE_THICKNESS, VR::DS, "1.25")]);
    let mut after = before.clone();
    deidentify(&mut after, &[]);
    for t in [tags::MODALITY, tags::ROWS, tags::IMAGE_TYPE, tags::KVP, tags::SLICE_THICKNESS, tags::PIXEL_DATA] {
        assert!(table_rows().iter().all(|r| r.tag != t), "{} is listed", tag_str(t));
        assert_unchanged(&before, &after, t, "unlisted attribute");
    }
}

#[test]
fn private_attributes_and_their_creators_are_removed_at_every_level() {
    // Table E.1-1: "(gggg,eeee) where gggg is odd" X; private creators are private too.
    let mut obj = ct_with([
        el(Tag(0x0009, 0x0010), VR::LO, "ACME 1.0"),
        el(Tag(0x0009, 0x1001), VR::LO, "DOE JANE"),
        el(Tag(0x0029, 0x0010), VR::LO, "SIEMENS CSA HEADER"),
        el(Tag(0x0029, 0x1010), VR::OB, vec![1u8, 2, 3, 4]),
        seq(
            CONTAINER,
            vec![item([
                el(Tag(0x0011, 0x0010), VR::LO, "ACME 1.0"),
                el(Tag(0x0011, 0x1005), VR::SH, "secret"),
                el(tags::LUT_EXPLANATION, VR::LO, "soft tissue"),
            ])],
        ),
    ]);
    let changes = deidentify(&mut obj, &[]);
    let mut left = Vec::new();
    private_elements(&obj, "", &mut left);
    assert!(left.is_empty(), "private elements left: {left:?}");
    assert_eq!(items_of(&obj, CONTAINER).len(), 1, "the public sequence holding them is kept");
    let recorded = changes.iter().filter(|c| c.private && c.action == "X").count();
    assert_eq!(recorded, 6, "each private element is recorded as removed");
}

#[test]
fn curves_50xx_and_overlay_data_and_comments_60xx_are_removed_and_comments_cleaned_with_clean_graphics() {
    // Table E.1-1: Curve Data (50xx,xxxx) X, Overlay Data (60xx,3000) X, Overlay Comments
    // (60xx,4000) X; Clean Graphics option: C for all three. Overlay Rows (60xx,0010) is not
    // listed, so it stays.
    let input = || {
        ct_with([
            el(Tag(0x5000, 0x0005), VR::US, 1u16),
            el(Tag(0x5000, 0x3000), VR::OW, PrimitiveValue::U16([1u16, 2][..].into())),
            el(Tag(0x501E, 0x2500), VR::LO, "curve label"),
            el(Tag(0x6000, 0x0010), VR::US, 2u16),
            el(Tag(0x6000, 0x3000), VR::OW, PrimitiveValue::U16([0xFFFFu16][..].into())),
            el(Tag(0x6002, 0x4000), VR::LT, "marked by DOE JANE"),
            el(Tag(0x601E, 0x3000), VR::OW, PrimitiveValue::U16([0x0F0Fu16][..].into())),
            el(Tag(0x601E, 0x4000), VR::LT, "comment"),
        ])
    };
    let before = input();
    let mut obj = input();
    deidentify(&mut obj, &[]);
    for t in [
        Tag(0x5000, 0x0005),
        Tag(0x5000, 0x3000),
        Tag(0x501E, 0x2500),
        Tag(0x6000, 0x3000),
        Tag(0x6002, 0x4000),
        Tag(0x601E, 0x3000),
        Tag(0x601E, 0x4000),
    ] {
        assert_absent(&obj, t, "curve/overlay attribute");
    }
    assert_unchanged(&before, &obj, Tag(0x6000, 0x0010), "Overlay Rows (not listed)");

    let mut cleaned = input();
    deidentify(&mut cleaned, &[ProfileOption::CleanGraphics]);
    let comment = new_text(&cleaned, Tag(0x6002, 0x4000));
    assert!(!contains_phi(&comment), "overlay comment not cleaned: {comment:?}");
    assert_eq!(new_text(&cleaned, Tag(0x601E, 0x4000)), "comment", "a comment without identifiers stays");
}

#[test]
fn icon_image_sequence_and_original_attributes_sequence_are_removed() {
    // Table E.1-1: Icon Image Sequence (0088,0200) X, Original Attributes Sequence (0400,0561) X.
    let icon = || {
        seq(
            tags::ICON_IMAGE_SEQUENCE,
            vec![item([
                el(tags::ROWS, VR::US, 1u16),
                el(tags::COLUMNS, VR::US, 1u16),
                el(tags::PIXEL_DATA, VR::OB, vec![0u8, 0]),
            ])],
        )
    };
    let original = || {
        seq(
            tags::ORIGINAL_ATTRIBUTES_SEQUENCE,
            vec![item([
                el(tags::MODIFYING_SYSTEM, VR::LO, "PACS"),
                seq(tags::MODIFIED_ATTRIBUTES_SEQUENCE, vec![item([el(tags::PATIENT_NAME, VR::PN, PATIENT_NAME)])]),
            ])],
        )
    };
    let mut obj = ct_with([icon(), original(), seq(CONTAINER, vec![item([icon(), original()])])]);
    deidentify(&mut obj, &[]);
    let nested = &items_of(&obj, CONTAINER)[0];
    for holder in [&obj, nested] {
        assert_absent(holder, tags::ICON_IMAGE_SEQUENCE, "Icon Image Sequence");
        assert_absent(holder, tags::ORIGINAL_ATTRIBUTES_SEQUENCE, "Original Attributes Sequence");
    }
}

#[test]
fn nested_sequences_are_cleaned_recursively_two_levels_deep() {
    // Two unlisted (kept) sequences, one inside the other; the inner item holds attributes
    // whose rows say Z (Patient's Name), X (Other Patient IDs, private), U (Study Instance UID).
    let inner = item([
        el(tags::PATIENT_NAME, VR::PN, PATIENT_NAME),
        el(Tag(0x0010, 0x1000), VR::LO, "OTHER-ID-1"),
        el(tags::STUDY_INSTANCE_UID, VR::UI, "1.2.3.4.1.2"),
        el(Tag(0x0009, 0x0010), VR::LO, "ACME 1.0"),
        el(Tag(0x0009, 0x1001), VR::LO, "DOE JANE"),
        el(tags::REGION_SPATIAL_FORMAT, VR::US, 1u16),
    ]);
    let mut obj = ct_with([seq(CONTAINER, vec![item([seq(INNER_CONTAINER, vec![inner])])])]);
    let changes = deidentify(&mut obj, &[]);
    let level1 = &items_of(&obj, CONTAINER)[0];
    let level2 = &items_of(level1, INNER_CONTAINER)[0];
    assert_zero_length(level2, tags::PATIENT_NAME, "Patient's Name two levels deep");
    assert_absent(level2, Tag(0x0010, 0x1000), "Other Patient IDs two levels deep");
    assert_absent(level2, Tag(0x0009, 0x1001), "private element two levels deep");
    assert_absent(level2, Tag(0x0009, 0x0010), "private creator two levels deep");
    assert_eq!(
        new_text(level2, tags::STUDY_INSTANCE_UID),
        new_text(&obj, tags::STUDY_INSTANCE_UID),
        "the nested Study Instance UID maps like the top-level one"
    );
    assert_eq!(new_text(level2, tags::REGION_SPATIAL_FORMAT), "1", "unlisted attribute kept");
    assert!(
        changes.iter().any(|c| c.path == "(0028,3010)[1](0018,6011)[1](0010,0010)"),
        "decision recorded with its sequence path"
    );
}

#[test]
fn combined_codes_resolve_by_the_attribute_type_in_the_ct_image_iod() {
    // Types from src/deid/data/iod-attribute-types.tsv (generated from PS3.3), CT Image
    // Storage: Content Date (0008,0023) and Content Time (0008,0033) 2C (General Image module),
    // Series Date (0008,0021) 3 (General Series), Acquisition Date (0008,0022) 3, Instance
    // Creation Time (0008,0013) 3 (SOP Common), Patient ID (0010,0020) 2 (Patient), Contrast/
    // Bolus Agent (0018,0010) 2 (Contrast/Bolus), Referenced Image Sequence (0008,1140) 3.
    // Codes from Table E.1-1: Z/D, Z/D, X/D, X/Z, X/Z/D, Z/D, Z/D, X/Z/U*.
    let cases: [(Tag, &str, &str, &str); 8] = [
        (tags::CONTENT_DATE, "2C", "Z/D", "Z"),
        (tags::CONTENT_TIME, "2C", "Z/D", "Z"),
        (tags::SERIES_DATE, "3", "X/D", "X"),
        (tags::ACQUISITION_DATE, "3", "X/Z", "X"),
        (tags::INSTANCE_CREATION_TIME, "3", "X/Z/D", "X"),
        (tags::PATIENT_ID, "2", "Z/D", "Z"),
        (tags::CONTRAST_BOLUS_AGENT, "2", "Z/D", "Z"),
        (tags::REFERENCED_IMAGE_SEQUENCE, "3", "X/Z/U*", "X"),
    ];
    let rows = table_rows();
    let mut obj = ct_with([
        el(tags::CONTENT_DATE, VR::DA, "20240115"),
        el(tags::CONTENT_TIME, VR::TM, "103000"),
        el(tags::ACQUISITION_DATE, VR::DA, "20240115"),
        el(tags::INSTANCE_CREATION_TIME, VR::TM, "103000"),
        el(tags::CONTRAST_BOLUS_AGENT, VR::LO, "IODINE"),
        sample_element(tags::REFERENCED_IMAGE_SEQUENCE, VR::SQ, 1),
    ]);
    deidentify(&mut obj, &[]);
    for (tag, ty, code, outcome) in cases {
        let line = format!("{CT_IMAGE_STORAGE}\t{:04X}{:04X}\t{ty}\n", tag.group(), tag.element());
        assert!(IOD_TYPES_TSV.contains(&line), "Type {ty} of {} not in the IOD table", tag_str(tag));
        let row = rows.iter().find(|r| r.tag == tag).unwrap();
        assert_eq!(row.basic, code, "{} {}", tag_str(tag), row.name);
        match outcome {
            "Z" => assert_zero_length(&obj, tag, &row.name),
            _ => assert_absent(&obj, tag, &row.name),
        }
    }
}

#[test]
fn combined_codes_keep_the_attribute_valid_when_the_iod_type_is_unknown() {
    // A SOP Class the IOD table does not describe: the engine cannot know the Type, so it must
    // not remove what might be required (X/Z → Z, X/D → D; PS3.15 E.1.1 asks for a conformant
    // result), and X/Z/U* must keep sequences with replaced instance UIDs.
    let mut obj = ct_with([
        el(tags::SOP_CLASS_UID, VR::UI, "1.2.3.4.999.1"),
        el(tags::ACQUISITION_DATE, VR::DA, "20240115"),
        sample_element(tags::REFERENCED_IMAGE_SEQUENCE, VR::SQ, 1),
    ]);
    assert!(!IOD_TYPES_TSV.contains("1.2.3.4.999.1"));
    deidentify(&mut obj, &[]);
    assert_zero_length(&obj, tags::ACQUISITION_DATE, "X/Z with unknown Type");
    let series_date = new_text(&obj, tags::SERIES_DATE);
    assert!(is_valid_for_vr(VR::DA, &series_date) && series_date != SERIES_DATE, "X/D → D, got {series_date:?}");
    let refs = items_of(&obj, tags::REFERENCED_IMAGE_SEQUENCE);
    assert_eq!(refs.len(), 1);
    let uid = new_text(&refs[0], tags::REFERENCED_SOP_INSTANCE_UID);
    assert!(uid.starts_with("2.25.") && uid != item_ref_uid(1), "{uid}");
}

#[test]
fn unlisted_date_and_time_attributes_are_handled_by_their_vr() {
    // Date of Gain Calibration (0014,3076) DA, Time of Gain Calibration (0014,3077) TM and
    // Effective Start DateTime (0040,A034) DT are not in Table E.1-1. Dates can identify, so the
    // Basic Profile must not retain them; Retain Full Dates keeps them; Retain Modified Dates
    // shifts them like the listed dates (same interval to Study Date).
    let (da, tm, dt) = (Tag(0x0014, 0x3076), Tag(0x0014, 0x3077), Tag(0x0040, 0xA034));
    for t in [da, tm, dt] {
        assert!(table_rows().iter().all(|r| r.tag != t), "{} is listed", tag_str(t));
    }
    let input = || ct_with([el(da, VR::DA, "20240101"), el(tm, VR::TM, "081500"), el(dt, VR::DT, "20240101081500")]);
    let before = input();

    let mut basic = input();
    deidentify(&mut basic, &[]);
    for t in [da, tm, dt] {
        assert!(
            text_of(&basic, t).is_none_or(|s| s.is_empty()),
            "{} retained: {}",
            tag_str(t),
            observe(&basic, t).describe()
        );
    }

    let mut full = input();
    deidentify(&mut full, &[ProfileOption::RetainLongFullDates]);
    for t in [da, tm, dt] {
        assert_unchanged(&before, &full, t, "date with Retain Full Dates");
    }

    let mut modified = input();
    deidentify(&mut modified, &[ProfileOption::RetainLongModifiedDates]);
    let days = |o: &InMemDicomObject, t: Tag| day_number(&new_text(o, t)).unwrap();
    let study_shift = days(&modified, tags::STUDY_DATE) - days(&before, tags::STUDY_DATE);
    assert_ne!(study_shift, 0, "Study Date shifted");
    assert_eq!(days(&modified, da) - days(&before, da), study_shift, "interval to Study Date kept");
    assert_eq!(days(&modified, dt) - days(&before, dt), study_shift, "interval to Study Date kept (DT)");
    assert!(new_text(&modified, dt).ends_with("081500"), "time of day kept in the DT");
    assert!(is_valid_time(&new_text(&modified, tm)));
}

#[test]
fn retain_modified_dates_preserves_the_interval_between_two_dates_of_one_object() {
    // Table E.1-1: Study Date (0008,0020) and Content Date (0008,0023) are C under Retain
    // Longitudinal Temporal Information with Modified Dates.
    let mut obj = ct_with([el(tags::CONTENT_DATE, VR::DA, "20240301")]);
    deidentify(&mut obj, &[ProfileOption::RetainLongModifiedDates]);
    let study = day_number(&new_text(&obj, tags::STUDY_DATE)).unwrap();
    let content = day_number(&new_text(&obj, tags::CONTENT_DATE)).unwrap();
    // 2024-01-10 → 2024-03-01 is 51 days (2024 is a leap year).
    assert_eq!(content - study, 51);
    assert_ne!(new_text(&obj, tags::STUDY_DATE), STUDY_DATE, "dates are shifted, not kept");
}

/// (Code Value, Coding Scheme Designator) pairs of De-identification Method Code Sequence.
fn method_codes(obj: &InMemDicomObject) -> Vec<(String, String)> {
    items_of(obj, tags::DEIDENTIFICATION_METHOD_CODE_SEQUENCE)
        .iter()
        .map(|i| (new_text(i, tags::CODE_VALUE), new_text(i, tags::CODING_SCHEME_DESIGNATOR)))
        .collect()
}

#[test]
fn required_attributes_are_written_with_one_method_code_per_option() {
    // PS3.15 E.1.1 and PS3.3 C.12.1: Patient Identity Removed (0012,0062) YES, De-identification
    // Method (0012,0063), De-identification Method Code Sequence (0012,0064) with CID 7050
    // codes (113100 Basic Application Confidentiality Profile, 113106 Retain Longitudinal Full
    // Dates, 113107 Retain Longitudinal Modified Dates, 113110 Retain UIDs, 113105 Clean
    // Descriptors), Longitudinal Temporal Information Modified (0028,0303).
    let cases: [(&[ProfileOption], &[&str], &str); 4] = [
        (&[], &["113100"], "REMOVED"),
        (&[ProfileOption::RetainLongFullDates], &["113100", "113106"], "UNMODIFIED"),
        (
            &[ProfileOption::RetainLongModifiedDates, ProfileOption::RetainUids, ProfileOption::CleanDescriptors],
            &["113100", "113105", "113107", "113110"],
            "MODIFIED",
        ),
        (&[ProfileOption::RetainUids], &["113100", "113110"], "REMOVED"),
    ];
    for (options, codes, temporal) in cases {
        let mut obj = base_ct("1.2.3.4.1.1");
        deidentify(&mut obj, options);
        assert_eq!(new_text(&obj, tags::PATIENT_IDENTITY_REMOVED), "YES");
        assert!(new_text(&obj, tags::DEIDENTIFICATION_METHOD).contains("ps315-basic"), "method names the profile");
        let mut got = method_codes(&obj);
        got.sort();
        let want: Vec<(String, String)> = codes.iter().map(|c| (c.to_string(), "DCM".to_string())).collect();
        assert_eq!(got, want, "{options:?}");
        assert_eq!(got.len(), 1 + options.len(), "113100 plus one item per option");
        assert_eq!(new_text(&obj, tags::LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED), temporal, "{options:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Validity of the result.

/// Type 1 attributes of the CT Image IOD (PS3.3 A.3: SOP Common, General Study, General Series,
/// Frame of Reference, Image Plane, Image Pixel, CT Image modules).
const CT_TYPE1: [Tag; 21] = [
    tags::SOP_CLASS_UID,
    tags::SOP_INSTANCE_UID,
    tags::STUDY_INSTANCE_UID,
    tags::SERIES_INSTANCE_UID,
    tags::MODALITY,
    tags::FRAME_OF_REFERENCE_UID,
    tags::PIXEL_SPACING,
    tags::IMAGE_ORIENTATION_PATIENT,
    tags::IMAGE_POSITION_PATIENT,
    tags::IMAGE_TYPE,
    tags::SAMPLES_PER_PIXEL,
    tags::PHOTOMETRIC_INTERPRETATION,
    tags::ROWS,
    tags::COLUMNS,
    tags::BITS_ALLOCATED,
    tags::BITS_STORED,
    tags::HIGH_BIT,
    tags::PIXEL_REPRESENTATION,
    tags::RESCALE_INTERCEPT,
    tags::RESCALE_SLOPE,
    tags::PIXEL_DATA,
];

/// A CT with the identifying attributes a scanner writes, on top of the Type 1 set.
fn realistic_ct() -> InMemDicomObject {
    ct_with([
        el(tags::PATIENT_BIRTH_DATE, VR::DA, "19610415"),
        el(tags::PATIENT_SEX, VR::CS, "F"),
        el(tags::PATIENT_AGE, VR::AS, "062Y"),
        el(tags::STUDY_TIME, VR::TM, "101500"),
        el(tags::ACCESSION_NUMBER, VR::SH, "ACC123"),
        el(tags::REFERRING_PHYSICIAN_NAME, VR::PN, "HOUSE^GREGORY"),
        el(tags::STUDY_ID, VR::SH, "S1"),
        el(tags::STUDY_DESCRIPTION, VR::LO, "CT HEAD DOE"),
        el(tags::SERIES_NUMBER, VR::IS, "2"),
        el(tags::INSTANCE_NUMBER, VR::IS, "1"),
        el(tags::CONTENT_DATE, VR::DA, "20240110"),
        el(tags::CONTENT_TIME, VR::TM, "101600"),
        el(tags::INSTITUTION_NAME, VR::LO, "General Hospital"),
        el(tags::STATION_NAME, VR::SH, "CT-ROOM-2"),
        el(tags::MANUFACTURER, VR::LO, "ACME"),
        el(tags::DEVICE_SERIAL_NUMBER, VR::LO, "SN-998877"),
        el(tags::KVP, VR::DS, "120"),
        el(tags::SLICE_THICKNESS, VR::DS, "1.25"),
        el(tags::POSITION_REFERENCE_INDICATOR, VR::LO, ""),
        el(Tag(0x0009, 0x0010), VR::LO, "ACME 1.0"),
        el(Tag(0x0009, 0x1001), VR::LO, "DOE JANE"),
        sample_element(tags::REFERENCED_IMAGE_SEQUENCE, VR::SQ, 1),
        sample_element(tags::REQUEST_ATTRIBUTES_SEQUENCE, VR::SQ, 2),
    ])
}

#[test]
fn basic_profile_keeps_every_present_type1_ct_attribute_present_and_non_empty() {
    let before = realistic_ct();
    let mut after = before.clone();
    deidentify(&mut after, &[]);
    for t in CT_TYPE1 {
        assert!(text_of(&before, t).is_some_and(|s| !s.is_empty()), "test input lacks {}", tag_str(t));
        let v = text_of(&after, t).unwrap_or_default();
        assert!(!v.is_empty(), "Type 1 {} is {} after de-identification", tag_str(t), observe(&after, t).describe());
        if vr_of(t) == VR::UI {
            assert!(is_valid_uid(&v), "{} = {v:?}", tag_str(t));
        }
    }
    assert_eq!(new_text(&after, tags::SOP_CLASS_UID), CT_IMAGE_STORAGE, "SOP Class UID is kept");
}

#[test]
fn deidentified_ct_writes_to_a_file_and_reads_back() {
    let mut obj = realistic_ct();
    deidentify(&mut obj, &[]);
    let new_sop = new_text(&obj, tags::SOP_INSTANCE_UID);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deid.dcm");
    obj.with_meta(FileMetaTableBuilder::new().transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN))
        .expect("file meta from the de-identified data set")
        .write_to_file(&path)
        .expect("write");
    let back = dicom_object::open_file(&path).expect("the written file reads back");
    assert_eq!(back.meta().media_storage_sop_instance_uid().trim_end_matches('\0'), new_sop);
    assert_eq!(new_text(&back, tags::SOP_INSTANCE_UID), new_sop);
    assert_eq!(new_text(&back, tags::PATIENT_IDENTITY_REMOVED), "YES");
    assert_zero_length(&back, tags::PATIENT_NAME, "Patient's Name read back");
    assert_eq!(method_codes(&back), vec![("113100".to_string(), "DCM".to_string())]);
    let mut left = Vec::new();
    private_elements(&back, "", &mut left);
    assert!(left.is_empty(), "private elements in the file: {left:?}");
    for t in CT_TYPE1 {
        assert!(text_of(&back, t).is_some_and(|s| !s.is_empty()), "Type 1 {} lost in the file", tag_str(t));
    }
}
