//! DICOM element helpers and the fixed vocabulary of the SEG writer and reader.

use dicom_core::value::{DataSetSequence, PrimitiveValue};
use dicom_core::{DataElement, Length, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use dicom_object::mem::InMemElement;

pub const SEGMENTATION_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.66.4";

/// Fallback concept for a label without a code: category and type "Anatomical Structure"
/// (CID 7150 / SNOMED CT 123037004; type SNOMED CT 91723000).
pub const FALLBACK_CATEGORY: (&str, &str, &str) = ("123037004", "SCT", "Anatomical Structure");
pub const FALLBACK_TYPE: (&str, &str, &str) = ("91723000", "SCT", "Anatomical structure");

/// Private block in each Segment Sequence item that keeps sumi's label value when it differs
/// from the Segment Number (segment numbers must run 1, 2, 3… while label values may have gaps).
pub const PRIVATE_CREATOR: &str = "SUMI 1.0";
pub const PRIVATE_CREATOR_TAG: Tag = Tag(0x0063, 0x0010);
pub const LABEL_VALUE_TAG: Tag = Tag(0x0063, 0x1000);

pub fn text(tag: Tag, vr: VR, value: &str) -> InMemElement {
    DataElement::new(tag, vr, PrimitiveValue::from(value))
}

pub fn ushort(tag: Tag, value: u16) -> InMemElement {
    DataElement::new(tag, VR::US, PrimitiveValue::from(value))
}

pub fn ushorts(tag: Tag, values: &[u16]) -> InMemElement {
    DataElement::new(tag, VR::US, PrimitiveValue::U16(values.iter().copied().collect()))
}

pub fn uints(tag: Tag, values: &[u32]) -> InMemElement {
    DataElement::new(tag, VR::UL, PrimitiveValue::U32(values.iter().copied().collect()))
}

/// A DS value list, each value at most 16 characters as DS requires.
pub fn decimals(tag: Tag, values: &[f64]) -> InMemElement {
    let s: Vec<String> = values.iter().map(|&v| ds(v)).collect();
    DataElement::new(tag, VR::DS, PrimitiveValue::Strs(s.into_iter().collect()))
}

/// A decimal string of at most 16 characters.
fn ds(v: f64) -> String {
    let v = if v.abs() < 1e-12 { 0.0 } else { v };
    for precision in (0..=10).rev() {
        let s = format!("{v:.precision$}");
        let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
        if s.len() <= 16 {
            return s;
        }
    }
    format!("{v:.6e}")
}

pub fn tag_value(tag: Tag, value: Tag) -> InMemElement {
    DataElement::new(tag, VR::AT, PrimitiveValue::Tags([value].into_iter().collect()))
}

pub fn seq(tag: Tag, items: Vec<InMemDicomObject>) -> InMemElement {
    DataElement::new(tag, VR::SQ, DataSetSequence::new(items, Length::UNDEFINED))
}

pub fn item(elements: Vec<InMemElement>) -> InMemDicomObject {
    InMemDicomObject::from_element_iter(elements)
}

/// A Code Sequence item (value, scheme, meaning).
pub fn code(value: &str, scheme: &str, meaning: &str) -> InMemDicomObject {
    item(vec![
        text(tags::CODE_VALUE, VR::SH, value),
        text(tags::CODING_SCHEME_DESIGNATOR, VR::SH, scheme),
        text(tags::CODE_MEANING, VR::LO, meaning),
    ])
}

/// (value, scheme, meaning) of the first item of a code sequence.
pub fn read_code(obj: &InMemDicomObject, tag: Tag) -> Option<(String, String, String)> {
    use crate::dicom::attrs::{first_item, text};
    let c = first_item(obj, tag)?;
    let value = text(c, tags::CODE_VALUE).or_else(|| text(c, tags::LONG_CODE_VALUE))?;
    Some((value, text(c, tags::CODING_SCHEME_DESIGNATOR)?, text(c, tags::CODE_MEANING).unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_strings_fit_sixteen_characters() {
        assert_eq!(ds(0.5), "0.5");
        assert_eq!(ds(-125.0), "-125");
        assert_eq!(ds(1.0 / 3.0), "0.3333333333");
        assert!(ds(-123456.123456789).len() <= 16);
        assert_eq!(ds(-1e-15), "0");
    }
}
