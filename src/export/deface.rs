//! Defacing decisions of the exported series, as the pre-flight and the writer need them.

use std::collections::BTreeMap;

use crate::project::{Project, ProjectError};

use super::select::Item;

/// Where a CT/MR series stands with defacing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaceState {
    NotProposed,
    Pending,
    Rejected,
    Approved,
    /// Checked: not a head with the face in view (the reason).
    NotHead(String),
}

impl DefaceState {
    /// May leave without further defacing decisions.
    pub fn cleared(&self) -> bool {
        matches!(self, DefaceState::Approved | DefaceState::NotHead(_))
    }

    pub fn describe(&self) -> String {
        match self {
            DefaceState::NotProposed => "defacing has not been proposed for this series".into(),
            DefaceState::Pending => "defacing proposal not reviewed".into(),
            DefaceState::Rejected => "defacing proposal rejected: propose again and approve".into(),
            DefaceState::Approved => "defacing approved".into(),
            DefaceState::NotHead(why) => format!("not a head: {why}"),
        }
    }
}

/// (project series id, modality, state) of every selected CT or MR series.
pub fn series_states(project: &Project, items: &[Item]) -> Result<Vec<(i64, String, DefaceState)>, ProjectError> {
    let mut series: BTreeMap<i64, (&str, &str)> = BTreeMap::new();
    for i in items {
        let modality = i.meta.modality.as_deref().unwrap_or("");
        if matches!(modality, "CT" | "MR") {
            series.entry(i.series_id).or_insert((modality, i.meta.series_uid.as_str()));
        }
    }
    let mut out = Vec::new();
    for (id, (modality, uid)) in series {
        out.push((id, modality.to_string(), state_of(project, uid)?));
    }
    Ok(out)
}

fn state_of(_project: &Project, _series_uid: &str) -> Result<DefaceState, ProjectError> {
    Ok(DefaceState::NotProposed)
}
