//! What the header says about burned-in text: where the image data is and whether the device
//! declared annotation.

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

/// Header hints for one instance.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct HeaderHints {
    /// Sequence of Ultrasound Regions (0018,6011): `[x0, y0, x1, y1]` of each region, inclusive.
    pub regions: Vec<[u32; 4]>,
    /// Burned In Annotation (0028,0301): `Some(true)` for YES. A hint only: devices get it wrong.
    pub burned_in_annotation: Option<bool>,
    /// Modality (0008,0060): where text is plausible (see [`super::modality`]).
    pub modality: Option<String>,
}

pub fn header_hints(obj: &InMemDicomObject) -> HeaderHints {
    let regions = obj
        .get(tags::SEQUENCE_OF_ULTRASOUND_REGIONS)
        .and_then(|e| e.items())
        .unwrap_or(&[])
        .iter()
        .filter_map(|item| {
            let v = |tag: Tag| item.get(tag)?.to_int::<i64>().ok().and_then(|v| u32::try_from(v).ok());
            let r = [
                v(tags::REGION_LOCATION_MIN_X0)?,
                v(tags::REGION_LOCATION_MIN_Y0)?,
                v(tags::REGION_LOCATION_MAX_X1)?,
                v(tags::REGION_LOCATION_MAX_Y1)?,
            ];
            (r[2] >= r[0] && r[3] >= r[1]).then_some(r)
        })
        .collect();
    let burned_in_annotation = obj
        .get(tags::BURNED_IN_ANNOTATION)
        .and_then(|e| e.to_str().ok().map(|s| s.trim_matches(|c: char| c == '\0' || c == ' ').to_ascii_uppercase()))
        .and_then(|s| match s.as_str() {
            "YES" => Some(true),
            "NO" => Some(false),
            _ => None,
        });
    let modality = obj
        .get(tags::MODALITY)
        .and_then(|e| e.to_str().ok().map(|s| s.trim_matches(|c: char| c == '\0' || c == ' ').to_string()))
        .filter(|s| !s.is_empty());
    HeaderHints { regions, burned_in_annotation, modality }
}

#[cfg(test)]
mod tests {
    use dicom_core::value::{DataSetSequence, PrimitiveValue};
    use dicom_core::{DataElement, VR};
    use dicom_object::InMemDicomObject;

    use super::*;

    fn region(x0: u32, y0: u32, x1: u32, y1: u32) -> InMemDicomObject {
        let ul = |tag, v: u32| DataElement::new(tag, VR::UL, PrimitiveValue::from(v));
        InMemDicomObject::from_element_iter([
            ul(tags::REGION_LOCATION_MIN_X0, x0),
            ul(tags::REGION_LOCATION_MIN_Y0, y0),
            ul(tags::REGION_LOCATION_MAX_X1, x1),
            ul(tags::REGION_LOCATION_MAX_Y1, y1),
        ])
    }

    #[test]
    fn regions_come_from_every_item_and_inverted_ones_are_dropped() {
        let items = vec![region(10, 20, 300, 400), region(50, 60, 40, 70), region(0, 0, 639, 479)];
        let obj = InMemDicomObject::from_element_iter([
            DataElement::new(tags::SEQUENCE_OF_ULTRASOUND_REGIONS, VR::SQ, DataSetSequence::from(items)),
            DataElement::new(tags::BURNED_IN_ANNOTATION, VR::CS, PrimitiveValue::from("YES ")),
        ]);
        let hints = header_hints(&obj);
        assert_eq!(hints.regions, vec![[10, 20, 300, 400], [0, 0, 639, 479]]);
        assert_eq!(hints.burned_in_annotation, Some(true));
    }

    #[test]
    fn no_sequence_and_an_odd_burned_in_value_give_no_hints() {
        let obj = InMemDicomObject::from_element_iter([DataElement::new(
            tags::BURNED_IN_ANNOTATION,
            VR::CS,
            PrimitiveValue::from("MAYBE"),
        )]);
        assert_eq!(header_hints(&obj), HeaderHints::default());
    }
}
