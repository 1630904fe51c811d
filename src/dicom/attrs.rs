//! Small typed accessors over a DICOM data set: absent, empty or unparsable values read as `None`.

use dicom_core::Tag;
use dicom_object::InMemDicomObject;

pub(crate) fn text(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let e = obj.get(tag)?;
    let s = e.to_str().ok()?;
    let s = s.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!s.is_empty()).then(|| s.to_string())
}

/// Every value of a multi-valued string (e.g. Image Type), trimmed; empty values kept as "".
pub(crate) fn strs(obj: &InMemDicomObject, tag: Tag) -> Vec<String> {
    let Some(v) = obj.get(tag).and_then(|e| e.to_multi_str().ok()) else { return Vec::new() };
    v.iter().map(|s| s.trim_matches(|c: char| c == '\0' || c.is_whitespace()).to_string()).collect()
}

pub(crate) fn floats(obj: &InMemDicomObject, tag: Tag) -> Option<Vec<f64>> {
    let v = obj.get(tag)?.to_multi_float64().ok()?;
    (!v.is_empty() && v.iter().all(|x| x.is_finite())).then_some(v)
}

pub(crate) fn float(obj: &InMemDicomObject, tag: Tag) -> Option<f64> {
    floats(obj, tag).map(|v| v[0])
}

pub(crate) fn int(obj: &InMemDicomObject, tag: Tag) -> Option<i64> {
    let e = obj.get(tag)?;
    e.to_int::<i64>().ok().or_else(|| e.to_float64().ok().filter(|f| f.is_finite()).map(|f| f as i64))
}

pub(crate) fn uint(obj: &InMemDicomObject, tag: Tag) -> Option<u32> {
    int(obj, tag).and_then(|v| u32::try_from(v).ok())
}

/// The first item of a sequence, if the element is a non-empty sequence.
pub(crate) fn first_item(obj: &InMemDicomObject, tag: Tag) -> Option<&InMemDicomObject> {
    obj.get(tag)?.items()?.first()
}

pub(crate) fn items(obj: &InMemDicomObject, tag: Tag) -> &[InMemDicomObject] {
    obj.get(tag).and_then(|e| e.items()).unwrap_or(&[])
}

pub(crate) fn array<const N: usize>(obj: &InMemDicomObject, tag: Tag) -> Option<[f64; N]> {
    let v = floats(obj, tag)?;
    (v.len() >= N).then(|| std::array::from_fn(|i| v[i]))
}
