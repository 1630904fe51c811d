//! Suspicious residuals: text values left in a de-identified object that still contain one of
//! this patient's identifying strings (name parts, IDs, birth date in common formats,
//! institution, address, phone). Shown as warnings next to the diff; a second look, not a rule.

use dicom_core::value::Value;
use dicom_core::{Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use serde::Serialize;

use super::engine::tag_name;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Residual {
    pub path: String,
    pub name: String,
    pub value: String,
    /// Which identifying item matched (e.g. "Patient's Name part").
    pub kind: String,
    pub matched: String,
}

/// Identifying strings of the patient in `original`, each with its kind.
pub fn phi_needles(original: &InMemDicomObject) -> Vec<(String, String)> {
    let text = |tag| {
        original
            .get(tag)
            .and_then(|e| e.to_str().ok())
            .map(|s| s.trim_matches(['\0', ' ']).to_string())
            .filter(|s| !s.is_empty())
    };
    let mut needles = Vec::new();
    for (tag, kind) in [
        (tags::PATIENT_NAME, "Patient's Name part"),
        (tags::OTHER_PATIENT_NAMES, "Other Patient Names part"),
        (tags::PATIENT_BIRTH_NAME, "Patient's Birth Name part"),
        (tags::PATIENT_MOTHER_BIRTH_NAME, "Mother's Birth Name part"),
    ] {
        if let Some(v) = text(tag) {
            for part in v.split(['^', '=', ' ', '\\']).filter(|p| p.chars().count() >= 2) {
                needles.push((kind.to_string(), part.to_string()));
            }
        }
    }
    for (tag, kind) in [
        (tags::PATIENT_ID, "Patient ID"),
        (Tag(0x0010, 0x1000), "Other Patient IDs"),
        (tags::ACCESSION_NUMBER, "Accession Number"),
        (tags::INSTITUTION_NAME, "Institution Name"),
        (tags::PATIENT_ADDRESS, "Patient's Address"),
        (tags::PATIENT_TELEPHONE_NUMBERS, "Patient's Telephone Numbers"),
    ] {
        if let Some(v) = text(tag) {
            needles.extend(v.split('\\').filter(|p| p.chars().count() >= 3).map(|p| (kind.to_string(), p.to_string())));
        }
    }
    if let Some(d) = text(tags::PATIENT_BIRTH_DATE).filter(|d| d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit())) {
        needles.extend(date_formats(&d).into_iter().map(|f| ("Patient's Birth Date".to_string(), f)));
    }
    needles
}

/// A YYYYMMDD date in the formats people and devices write.
pub fn date_formats(d: &str) -> Vec<String> {
    let (y, m, dd) = (&d[..4], &d[4..6], &d[6..8]);
    let (mi, di) = (m.trim_start_matches('0'), dd.trim_start_matches('0'));
    vec![
        d.to_string(),
        format!("{y}-{m}-{dd}"),
        format!("{y}/{m}/{dd}"),
        format!("{y}.{m}.{dd}"),
        format!("{dd}/{m}/{y}"),
        format!("{m}/{dd}/{y}"),
        format!("{dd}.{m}.{y}"),
        format!("{y}年{mi}月{di}日"),
        format!("{y}/{mi}/{di}"),
    ]
}

/// Kept text values in `output` that contain any needle (case-insensitive), at any depth,
/// private elements included.
pub fn find_residuals(needles: &[(String, String)], output: &InMemDicomObject) -> Vec<Residual> {
    let lowered: Vec<(String, String, String)> =
        needles.iter().map(|(k, n)| (k.clone(), n.clone(), n.to_lowercase())).collect();
    let mut out = Vec::new();
    scan(output, "", &lowered, &mut out);
    out
}

fn scan(obj: &InMemDicomObject, prefix: &str, needles: &[(String, String, String)], out: &mut Vec<Residual>) {
    for e in obj.iter() {
        let tag = e.header().tag;
        let here = format!("{prefix}({:04X},{:04X})", tag.group(), tag.element());
        match e.value() {
            Value::Sequence(seq) => {
                for (i, item) in seq.items().iter().enumerate() {
                    scan(item, &format!("{here}[{}]", i + 1), needles, out);
                }
            }
            Value::Primitive(p) if is_text(e.vr()) || tag.group() % 2 == 1 && e.vr() == VR::UN => {
                let value = p.to_str().to_string();
                let lower = value.to_lowercase();
                if let Some((kind, needle, _)) = needles.iter().find(|(_, _, n)| lower.contains(n.as_str())) {
                    out.push(Residual {
                        path: here,
                        name: tag_name(tag),
                        value,
                        kind: kind.clone(),
                        matched: needle.clone(),
                    });
                }
            }
            _ => {}
        }
    }
}

fn is_text(vr: VR) -> bool {
    matches!(
        vr,
        VR::AE
            | VR::AS
            | VR::CS
            | VR::DA
            | VR::DT
            | VR::LO
            | VR::LT
            | VR::PN
            | VR::SH
            | VR::ST
            | VR::TM
            | VR::UC
            | VR::UR
            | VR::UT
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::{DataElement, PrimitiveValue};

    fn obj(elements: Vec<(Tag, VR, &str)>) -> InMemDicomObject {
        InMemDicomObject::from_element_iter(
            elements.into_iter().map(|(t, vr, v)| DataElement::new(t, vr, PrimitiveValue::from(v))),
        )
    }

    #[test]
    fn kept_descriptions_with_name_parts_or_formatted_birth_dates_are_flagged() {
        let original = obj(vec![
            (tags::PATIENT_NAME, VR::PN, "Yamada^Taro=山田^太郎"),
            (tags::PATIENT_BIRTH_DATE, VR::DA, "19610415"),
            (tags::PATIENT_ID, VR::LO, "HOSP-123"),
        ]);
        let output = obj(vec![
            (tags::STUDY_DESCRIPTION, VR::LO, "CT for yamada"),
            (tags::IMAGE_COMMENTS, VR::LT, "born 1961/04/15"),
            (tags::SERIES_DESCRIPTION, VR::LO, "山田 follow-up"),
            (tags::PROTOCOL_NAME, VR::LO, "HEAD ROUTINE"),
        ]);
        let r = find_residuals(&phi_needles(&original), &output);
        let names: Vec<&str> = r.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(r.len(), 3, "{r:?}");
        assert!(
            names.contains(&"StudyDescription")
                && names.contains(&"ImageComments")
                && names.contains(&"SeriesDescription")
        );
    }
}
