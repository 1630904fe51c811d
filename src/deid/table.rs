//! PS3.15 Annex E Table E.1-1, embedded as shipped in the standard's TSV (621 attributes): the
//! Basic Profile action and each option's action per attribute. Repeating groups (50xx, 60xx)
//! and element ranges are matched by masks.

use std::collections::HashMap;
use std::sync::OnceLock;

use dicom_core::Tag;

use super::action::Action;
use super::options::ProfileOption;

const TABLE_TSV: &str = include_str!("data/ps3.15-annex-e-table-e1-1.tsv");

/// A tag with `x` digits as wildcards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TagPattern {
    pub group: u16,
    pub element: u16,
    /// Bits that must match (0 where the table has `x`).
    pub group_mask: u16,
    pub element_mask: u16,
}

impl TagPattern {
    /// Parses `(gggg,eeee)` where any hex digit may be `x`, and the table's private-attribute
    /// row "(GGGG,EEEE) WHERE GGGG IS ODD".
    pub fn parse(s: &str) -> Option<TagPattern> {
        if s.trim().eq_ignore_ascii_case("(GGGG,EEEE) WHERE GGGG IS ODD") {
            return Some(TagPattern { group: 1, element: 0, group_mask: 1, element_mask: 0 });
        }
        let s = s.trim().trim_start_matches('(').trim_end_matches(')');
        let (g, e) = s.split_once(',')?;
        let (group, group_mask) = hex_with_wildcards(g.trim())?;
        let (element, element_mask) = hex_with_wildcards(e.trim())?;
        Some(TagPattern { group, element, group_mask, element_mask })
    }

    pub fn matches(&self, tag: Tag) -> bool {
        tag.group() & self.group_mask == self.group && tag.element() & self.element_mask == self.element
    }

    pub fn is_exact(&self) -> bool {
        self.group_mask == 0xFFFF && self.element_mask == 0xFFFF
    }

    /// An example tag this pattern matches (wildcards as 0; groups 50xx/60xx as 5000/6000).
    pub fn example(&self) -> Tag {
        Tag(self.group, self.element)
    }
}

fn hex_with_wildcards(s: &str) -> Option<(u16, u16)> {
    if s.len() != 4 {
        return None;
    }
    let (mut value, mut mask) = (0u16, 0u16);
    for c in s.chars() {
        value <<= 4;
        mask <<= 4;
        if c == 'x' || c == 'X' {
            continue;
        }
        value |= c.to_digit(16)? as u16;
        mask |= 0xF;
    }
    Some((value, mask))
}

#[derive(Debug, Clone)]
pub struct AnnexRow {
    pub pattern: TagPattern,
    pub name: String,
    /// "in_std_composite_iod": the attribute is part of a standard composite IOD.
    pub in_std_iod: bool,
    pub basic: Action,
    /// The action under each option that changes it (columns of the table).
    pub options: Vec<(ProfileOption, Action)>,
}

pub struct AnnexTable {
    pub rows: Vec<AnnexRow>,
    exact: HashMap<Tag, usize>,
    wildcard: Vec<usize>,
}

impl AnnexTable {
    fn parse(tsv: &str) -> AnnexTable {
        let mut lines = tsv.lines();
        let header: Vec<&str> = lines.next().expect("table header").split('\t').collect();
        let option_columns: Vec<(usize, ProfileOption)> = header
            .iter()
            .enumerate()
            .filter_map(|(i, h)| ProfileOption::from_table_column(h).map(|o| (i, o)))
            .collect();
        let mut rows = Vec::new();
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let cols: Vec<&str> = line.split('\t').collect();
            let pattern = TagPattern::parse(cols[0]).unwrap_or_else(|| panic!("bad tag in Annex E table: {line}"));
            let basic = Action::parse(cols[3]).unwrap_or_else(|| panic!("bad action in Annex E table: {line}"));
            let options = option_columns
                .iter()
                .filter_map(|(i, o)| cols.get(*i).and_then(|c| Action::parse(c)).map(|a| (*o, a)))
                .collect();
            rows.push(AnnexRow { pattern, name: cols[1].to_string(), in_std_iod: cols[2] == "Y", basic, options });
        }
        let mut exact = HashMap::new();
        let mut wildcard = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            if r.pattern.is_exact() {
                exact.insert(Tag(r.pattern.group, r.pattern.element), i);
            } else {
                wildcard.push(i);
            }
        }
        AnnexTable { rows, exact, wildcard }
    }

    /// The row for `tag`: an exact entry first, then a wildcard pattern.
    pub fn lookup(&self, tag: Tag) -> Option<&AnnexRow> {
        if let Some(&i) = self.exact.get(&tag) {
            return Some(&self.rows[i]);
        }
        self.wildcard.iter().map(|&i| &self.rows[i]).find(|r| r.pattern.matches(tag))
    }
}

/// The embedded table, parsed once.
pub fn annex_e() -> &'static AnnexTable {
    static TABLE: OnceLock<AnnexTable> = OnceLock::new();
    TABLE.get_or_init(|| AnnexTable::parse(TABLE_TSV))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_of_the_shipped_table_parses() {
        let t = annex_e();
        assert_eq!(t.rows.len(), TABLE_TSV.lines().skip(1).filter(|l| !l.trim().is_empty()).count());
        assert_eq!(t.rows.len(), 621);
    }

    #[test]
    fn repeating_groups_match_by_mask() {
        let t = annex_e();
        let overlay = t.lookup(Tag(0x6002, 0x3000)).expect("overlay data (60xx,3000)");
        assert!(overlay.name.contains("Overlay"), "{}", overlay.name);
        assert!(t.lookup(Tag(0x5010, 0x3000)).is_some(), "curve data (50xx,xxxx)");
        assert_eq!(t.lookup(Tag(0x0010, 0x0010)).unwrap().basic, Action::Z, "Patient's Name is Z");
        let private = t.lookup(Tag(0x0009, 0x1001)).expect("private attributes row");
        assert_eq!(private.basic, Action::X, "private attributes are removed");
    }
}
