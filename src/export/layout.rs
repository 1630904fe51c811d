//! Where each exported instance goes: `<pseudonym>/<study>/<series>/<n>.dcm`, numbered in export
//! order. Study numbers run over the whole export, so that two patients sharing a blanked ID
//! never share a study folder; nothing identifying reaches a path except the pseudonym.

use std::collections::HashMap;
use std::path::PathBuf;

use super::select::Item;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub study: usize,
    pub series: usize,
    pub n: usize,
}

impl Slot {
    /// The path below the export root, with the pseudonym as written in the de-identified object.
    pub fn path(&self, pseudonym: &str, extension: &str) -> PathBuf {
        PathBuf::from(folder_name(pseudonym))
            .join(self.study.to_string())
            .join(self.series.to_string())
            .join(format!("{}.{extension}", self.n))
    }
}

/// Numbers studies across the export and series and instances within their parent, in the
/// order of `items` (patient, study date, series number, instance number).
pub fn assign_slots(items: &[Item]) -> HashMap<i64, Slot> {
    let mut studies: HashMap<i64, usize> = HashMap::new();
    let mut series: HashMap<i64, usize> = HashMap::new();
    let mut series_per_study: HashMap<i64, usize> = HashMap::new();
    let mut per_series: HashMap<i64, usize> = HashMap::new();
    let mut out = HashMap::new();
    for item in items {
        let next = studies.len() + 1;
        let study = *studies.entry(item.study_id).or_insert(next);
        let s = *series.entry(item.series_id).or_insert_with(|| {
            let c = series_per_study.entry(item.study_id).or_insert(0);
            *c += 1;
            *c
        });
        let n = per_series.entry(item.series_id).or_insert(0);
        *n += 1;
        out.insert(item.instance_id, Slot { study, series: s, n: *n });
    }
    out
}

/// A pseudonym as a folder name: letters, digits, `-`, `_` and `.` kept, anything else `_`;
/// empty or dot-only names become `anonymous`.
pub fn folder_name(pseudonym: &str) -> String {
    let s: String = pseudonym
        .trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
        .collect();
    if s.chars().all(|c| c == '.') { "anonymous".into() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_cannot_escape_the_export_or_carry_separators() {
        assert_eq!(folder_name("PSN-0001"), "PSN-0001");
        assert_eq!(folder_name("../etc"), ".._etc");
        assert_eq!(folder_name(".."), "anonymous");
        assert_eq!(folder_name(""), "anonymous");
        assert_eq!(folder_name("山田^太郎"), "_____");
        assert_eq!(folder_name("a/b\\c"), "a_b_c");
    }
}
