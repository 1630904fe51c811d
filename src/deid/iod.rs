//! Attribute Types per Storage SOP Class, for the attributes whose Annex E action depends on
//! the Type (generated from the standard by scripts/make-iod-types.sh).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use dicom_core::Tag;

use super::action::AttrType;

const TYPES_TSV: &str = include_str!("data/iod-attribute-types.tsv");

pub struct IodTypes {
    /// (SOP Class UID, path) → Type; path = tags as "ggggeeee" joined by '/'.
    by_path: HashMap<(String, String), AttrType>,
    /// Tags that are Type 1/1C somewhere in some IOD.
    ever_type1: HashSet<Tag>,
}

impl IodTypes {
    fn parse(tsv: &str) -> IodTypes {
        let mut by_path = HashMap::new();
        let mut ever_type1 = HashSet::new();
        for line in tsv.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
            let mut cols = line.split('\t');
            let (Some(sop), Some(path), Some(ty)) = (cols.next(), cols.next(), cols.next()) else { continue };
            let Some(ty) = AttrType::parse(ty) else { continue };
            if ty == AttrType::Type1
                && let Some(tag) = path.rsplit('/').next().and_then(parse_tag)
            {
                ever_type1.insert(tag);
            }
            by_path.insert((sop.to_string(), path.to_string()), ty);
        }
        IodTypes { by_path, ever_type1 }
    }

    /// The Type of the attribute at `path` (outermost first) in `sop_class`'s IOD.
    pub fn type_of(&self, sop_class: &str, path: &[Tag]) -> Option<AttrType> {
        let key: Vec<String> = path.iter().map(|t| format!("{:04X}{:04X}", t.group(), t.element())).collect();
        self.by_path.get(&(sop_class.to_string(), key.join("/"))).copied()
    }

    pub fn may_be_type1(&self, tag: Tag) -> bool {
        self.ever_type1.contains(&tag)
    }
}

fn parse_tag(s: &str) -> Option<Tag> {
    if s.len() != 8 {
        return None;
    }
    Some(Tag(u16::from_str_radix(&s[..4], 16).ok()?, u16::from_str_radix(&s[4..], 16).ok()?))
}

pub fn iod_types() -> &'static IodTypes {
    static TYPES: OnceLock<IodTypes> = OnceLock::new();
    TYPES.get_or_init(|| IodTypes::parse(TYPES_TSV))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CT: &str = "1.2.840.10008.5.1.4.1.1.2";

    #[test]
    fn ct_image_types_come_from_the_standard() {
        let t = iod_types();
        // Content Date (0008,0023) is Type 2C in the General Image module; Series Date Type 3.
        assert_eq!(t.type_of(CT, &[Tag(0x0008, 0x0023)]), Some(AttrType::Type2));
        assert_eq!(t.type_of(CT, &[Tag(0x0008, 0x0021)]), Some(AttrType::Type3));
    }
}
