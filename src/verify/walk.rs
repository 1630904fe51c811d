//! The element walk over one output object: every element at every nesting level, the file meta
//! group included, as (path, VR, text) for the checks. Binary values other than pixel data are
//! read as Latin-1 text too, so that an identifier hidden in an OB/UN private blob is seen.

use dicom_core::value::Value;
use dicom_core::{Tag, VR};
use dicom_object::{DefaultDicomObject, InMemDicomObject};

/// One element as the checks see it.
pub struct Seen {
    /// e.g. `(0008,1110)[0]>(0008,1155)`.
    pub path: String,
    pub tag: Tag,
    pub vr: VR,
    /// The value as text (multi-values joined by `\`), or None for sequences.
    pub text: Option<String>,
    /// Depth 0 = the top level of the data set.
    pub depth: usize,
    /// The private creator of a private element's block, when known.
    pub creator: Option<String>,
}

pub fn tag_text(t: Tag) -> String {
    format!("({:04X},{:04X})", t.group(), t.element())
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| if b.is_ascii_graphic() || b == b' ' { b as char } else { ' ' }).collect()
}

fn walk(obj: &InMemDicomObject, prefix: &str, depth: usize, out: &mut Vec<Seen>) {
    for e in obj.iter() {
        let tag = e.header().tag;
        let path = format!("{prefix}{}", tag_text(tag));
        let creator = (tag.group() % 2 == 1 && tag.element() >= 0x1000)
            .then(|| obj.get(Tag(tag.group(), tag.element() >> 8)))
            .flatten()
            .and_then(|c| c.to_str().ok())
            .map(|s| s.trim().to_string());
        match e.value() {
            Value::Sequence(seq) => {
                out.push(Seen { path: path.clone(), tag, vr: e.vr(), text: None, depth, creator });
                for (i, item) in seq.items().iter().enumerate() {
                    walk(item, &format!("{path}[{i}]>"), depth + 1, out);
                }
            }
            Value::PixelSequence(_) => {}
            Value::Primitive(p) => {
                if tag == Tag(0x7FE0, 0x0010) {
                    continue;
                }
                let text = match e.vr() {
                    VR::OB | VR::UN | VR::OW | VR::OD | VR::OF | VR::OL | VR::OV => latin1(&p.to_bytes()),
                    _ => p.to_str().into_owned(),
                };
                out.push(Seen { path, tag, vr: e.vr(), text: Some(text), depth, creator });
            }
        }
    }
}

/// Every element of the object, file meta group first.
pub fn elements(file: &DefaultDicomObject) -> Vec<Seen> {
    let meta = file.meta();
    let mut out = vec![
        Seen {
            path: "(0002,0003)".into(),
            tag: Tag(0x0002, 0x0003),
            vr: VR::UI,
            text: Some(meta.media_storage_sop_instance_uid().trim_end_matches('\0').to_string()),
            depth: 0,
            creator: None,
        },
        Seen {
            path: "(0002,0016)".into(),
            tag: Tag(0x0002, 0x0016),
            vr: VR::AE,
            text: meta.source_application_entity_title.as_ref().map(|s| s.trim_end_matches('\0').to_string()),
            depth: 0,
            creator: None,
        },
    ];
    walk(file, "", 0, &mut out);
    out
}
