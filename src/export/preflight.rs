//! The pre-flight check: everything that must be decided before instances may leave. Each
//! blocker names an item key; a supervisor may override an item with a reason (audited), and
//! the export refuses while any blocker stands without one.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::deid::Profile;
use crate::deid::profile::Requirement;
use crate::project::text_review::ReviewStatus;
use crate::project::{ExportOverride, Project, ProjectError};

use super::select::{Item, Selection, selected_items};

/// The project setting naming the de-identification profile (set in the GUI's profile panel).
pub const PROFILE_SETTING: &str = "deid.profile";
/// A project policy: "yes" requires approved defacing for every head CT/MR whatever the profile.
pub const DEFACE_REQUIRED_SETTING: &str = "deface.required";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockerKind {
    /// No profile chosen for the project, or it cannot be loaded: no instance has one to apply.
    NoProfile,
    /// An image whose pixels the text detector has not examined.
    TextNotExamined,
    /// Text proposals pending or flagged.
    TextNotReviewed,
    /// A CT/MR series without an approved (or "not a head") defacing decision, where required.
    DefacingNotApproved,
    /// An annotation layer to be included that is not approved.
    AnnotationNotApproved,
}

#[derive(Debug, Clone, Serialize)]
pub struct Blocker {
    pub kind: BlockerKind,
    /// Stable key for overrides: `profile`, `text/instance/<id>`, `deface/series/<id>`, `labels/layer/<id>`.
    pub item: String,
    /// What it is about, without PHI (project ids, modality, file name).
    pub object: String,
    pub detail: String,
    pub overridden: Option<ExportOverride>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Preflight {
    pub profile: Option<String>,
    pub instances: usize,
    pub images: usize,
    pub blockers: Vec<Blocker>,
}

impl Preflight {
    /// Blockers without an override.
    pub fn standing(&self) -> impl Iterator<Item = &Blocker> {
        self.blockers.iter().filter(|b| b.overridden.is_none())
    }

    pub fn ready(&self) -> bool {
        self.standing().next().is_none()
    }

    /// Counts of standing blockers per kind, for a summary line.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for b in self.standing() {
            let key = serde_json::to_value(b.kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
            *m.entry(key).or_insert(0) += 1;
        }
        m
    }
}

/// The profile the project applies, if chosen and loadable.
pub fn project_profile(project: &Project) -> Result<Result<Profile, String>, ProjectError> {
    Ok(match project.setting(PROFILE_SETTING)? {
        None => Err("no de-identification profile chosen for the project".into()),
        Some(name) => Profile::load(&name).map_err(|e| e.to_string()),
    })
}

/// Whether defacing must be approved before export: the profile requires it (kr-3d-head) or
/// the project's policy does.
pub fn defacing_required(project: &Project, profile: Option<&Profile>) -> Result<bool, ProjectError> {
    let policy = project.setting(DEFACE_REQUIRED_SETTING)?.is_some_and(|v| v == "yes");
    Ok(policy || profile.is_some_and(|p| p.requires.contains(&Requirement::DefacingApproved)))
}

fn object_name(item: &Item) -> String {
    let file = item.meta.path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    format!(
        "instance {} ({} {}, series {})",
        item.instance_id,
        item.meta.modality.as_deref().unwrap_or("?"),
        file,
        item.series_id
    )
}

/// Checks the selection and returns every blocker, with the overrides already given.
pub fn preflight(project: &Project, selection: &Selection, include_labels: bool) -> Result<Preflight, ProjectError> {
    let items = selected_items(project, selection)?;
    let overrides = project.export_overrides()?;
    let profile = project_profile(project)?;
    let mut blockers = Vec::new();
    let mut block = |kind, item: String, object: String, detail: String| {
        let overridden = overrides.iter().find(|o| o.item == item).cloned();
        blockers.push(Blocker { kind, item, object, detail, overridden });
    };
    if let Err(why) = &profile {
        block(BlockerKind::NoProfile, "profile".into(), "project".into(), why.clone());
    }
    for item in items.iter().filter(|i| i.is_image()) {
        let key = format!("text/instance/{}", item.instance_id);
        match item.text.status {
            _ if !item.text.examined && item.text.status.is_none() => block(
                BlockerKind::TextNotExamined,
                key,
                object_name(item),
                "burned-in text detection has not run on this image".into(),
            ),
            Some(ReviewStatus::Approved) | None => {}
            Some(s) => block(
                BlockerKind::TextNotReviewed,
                key,
                object_name(item),
                format!(
                    "{} text proposal(s) {}",
                    item.text.boxes.len(),
                    if s == ReviewStatus::Flagged { "flagged" } else { "not reviewed" }
                ),
            ),
        }
    }
    let required = defacing_required(project, profile.as_ref().ok())?;
    for (series_id, modality, status) in super::deface::series_states(project, &items)? {
        if required && !status.cleared() {
            block(
                BlockerKind::DefacingNotApproved,
                format!("deface/series/{series_id}"),
                format!("series {series_id} ({modality})"),
                status.describe(),
            );
        }
    }
    if include_labels {
        for (layer, series_id, status) in super::labels::layer_states(project, &items)? {
            if status != "approved" {
                block(
                    BlockerKind::AnnotationNotApproved,
                    format!("labels/layer/{layer}"),
                    format!("label layer {layer} (series {series_id})"),
                    format!("annotation set is {status}"),
                );
            }
        }
    }
    Ok(Preflight {
        profile: profile.ok().map(|p| format!("{} v{}", p.name, p.version)),
        instances: items.len(),
        images: items.iter().filter(|i| i.is_image()).count(),
        blockers,
    })
}
