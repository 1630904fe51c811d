//! De-identification profiles as data (TOML): a PS3.15 base with options, special handling of
//! patient identity fields, and per-tag overrides with the reason that justifies them.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::action::Action;
use super::options::ProfileOption;
use super::table::TagPattern;

const BUILTIN: [(&str, &str); 4] = [
    ("ps315-basic", include_str!("../../assets/profiles/ps315-basic.toml")),
    ("jp-pseudonymized", include_str!("../../assets/profiles/jp-pseudonymized.toml")),
    ("jp-anonymized", include_str!("../../assets/profiles/jp-anonymized.toml")),
    ("kr-3d-head", include_str!("../../assets/profiles/kr-3d-head.toml")),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PatientIdMode {
    /// As the table says (Z).
    #[default]
    Table,
    /// A random pseudonym kept in the key vault: same patient → same pseudonym across runs.
    Pseudonym,
    /// A random ID consistent within this run only; nothing is kept (anonymisation).
    Random,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BirthDateMode {
    #[default]
    Table,
    Keep,
    /// YYYYMM01.
    YearMonth,
    /// YYYY0101.
    Year,
    Remove,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AgeMode {
    #[default]
    Table,
    Keep,
    /// 10-year bands: 000Y (under 40), 040Y … 080Y, 090Y (90 and over).
    Band10,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SizeWeightMode {
    #[default]
    Table,
    /// Weight in 10 kg bands within 30–120 kg; height in 0.1 m bands within 1.4–1.9 m.
    Band,
}

/// What export must see approved before it writes instances under this profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Requirement {
    DefacingApproved,
    BurnedInTextReviewed,
}

/// A private attribute known to carry no identity: (creator, group, element low byte).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SafePrivate {
    pub creator: String,
    /// Hex group, e.g. "0019".
    pub group: String,
    /// Hex element within the creator's block, e.g. "0C" for (0019,xx0C).
    pub element: String,
    pub reason: String,
}

impl SafePrivate {
    pub fn matches(&self, creator: &str, tag: dicom_core::Tag) -> bool {
        creator.trim() == self.creator
            && u16::from_str_radix(&self.group, 16) == Ok(tag.group())
            && u8::from_str_radix(&self.element, 16) == Ok((tag.element() & 0xFF) as u8)
    }
}

#[derive(Deserialize)]
struct SafePrivateList {
    safe_private: Vec<SafePrivate>,
}

/// The built-in safe-private list (assets/profiles/safe-private.toml).
pub fn builtin_safe_private() -> Vec<SafePrivate> {
    let list: SafePrivateList =
        toml::from_str(include_str!("../../assets/profiles/safe-private.toml")).expect("built-in list parses");
    list.safe_private
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Override {
    pub tag: String,
    pub action: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub options: Vec<ProfileOption>,
    #[serde(default)]
    pub patient_id: PatientIdMode,
    #[serde(default)]
    pub birth_date: BirthDateMode,
    #[serde(default)]
    pub age: AgeMode,
    #[serde(default)]
    pub size_weight: SizeWeightMode,
    #[serde(default)]
    pub requires: Vec<Requirement>,
    #[serde(default, rename = "override")]
    pub overrides: Vec<Override>,
    /// Extra safe private attributes for Retain Safe Private (the built-in list always applies).
    #[serde(default)]
    pub safe_private: Vec<SafePrivate>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error(
        "unknown profile {0:?} (built in: ps315-basic, jp-pseudonymized, jp-anonymized, kr-3d-head; or a .toml file)"
    )]
    Unknown(String),
    #[error("profile {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("profile {path}: {message}")]
    Invalid { path: String, message: String },
}

/// A parsed override, ready for lookups.
#[derive(Debug, Clone)]
pub struct CompiledOverride {
    pub pattern: TagPattern,
    pub action: Action,
    pub reason: String,
}

impl Profile {
    /// A built-in profile by name, or a TOML file by path.
    pub fn load(name_or_path: &str) -> Result<Profile, ProfileError> {
        if let Some((_, src)) = BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
            return Profile::parse(src, name_or_path);
        }
        let path = Path::new(name_or_path);
        if path.extension().is_some_and(|e| e == "toml") || path.exists() {
            let src = std::fs::read_to_string(path)
                .map_err(|source| ProfileError::Read { path: name_or_path.into(), source })?;
            return Profile::parse(&src, name_or_path);
        }
        Err(ProfileError::Unknown(name_or_path.into()))
    }

    pub fn builtin_names() -> impl Iterator<Item = &'static str> {
        BUILTIN.iter().map(|(n, _)| *n)
    }

    pub fn parse(src: &str, origin: &str) -> Result<Profile, ProfileError> {
        let invalid = |message: String| ProfileError::Invalid { path: origin.into(), message };
        let profile: Profile = toml::from_str(src).map_err(|e| invalid(e.to_string()))?;
        profile.compiled_overrides().map_err(invalid)?;
        Ok(profile)
    }

    pub fn compiled_overrides(&self) -> Result<Vec<CompiledOverride>, String> {
        self.overrides
            .iter()
            .map(|o| {
                Ok(CompiledOverride {
                    pattern: TagPattern::parse(&o.tag)
                        .ok_or_else(|| format!("override tag {:?} is not (gggg,eeee)", o.tag))?,
                    action: Action::parse(&o.action)
                        .ok_or_else(|| format!("override action {:?} is not an Annex E code", o.action))?,
                    reason: o.reason.clone(),
                })
            })
            .collect()
    }

    /// The safe-private entries in force: none without Retain Safe Private.
    pub fn safe_private_list(&self) -> Vec<SafePrivate> {
        if !self.has(ProfileOption::RetainSafePrivate) {
            return Vec::new();
        }
        let mut list = builtin_safe_private();
        list.extend(self.safe_private.iter().cloned());
        list
    }

    pub fn has(&self, option: ProfileOption) -> bool {
        self.options.contains(&option)
    }

    /// Adds options (e.g. from the command line), keeping the list sorted and unique.
    pub fn with_options(mut self, extra: &[ProfileOption]) -> Profile {
        self.options.extend_from_slice(extra);
        self.options.sort();
        self.options.dedup();
        self
    }

    /// Text for De-identification Method (0012,0063), at most 64 characters per value.
    pub fn method_description(&self) -> Vec<String> {
        let mut v = vec![format!("sumi {} v{}", self.name, self.version)];
        if self.age == AgeMode::Band10 {
            v.push("Age banded: 000Y<40, 040Y..080Y decades, 090Y>=90".into());
        }
        if self.birth_date == BirthDateMode::YearMonth {
            v.push("Birth date generalised to year-month (day 01)".into());
        }
        if self.has(ProfileOption::RetainLongModifiedDates) {
            v.push("Dates shifted by a random per-patient offset".into());
        }
        v.into_iter().map(|s| s.chars().take(64).collect()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_profile_parses_with_valid_overrides() {
        for name in Profile::builtin_names() {
            let p = Profile::load(name).unwrap();
            assert_eq!(p.name, name);
            assert!(p.compiled_overrides().is_ok());
        }
    }

    #[test]
    fn jp_pseudonymized_keeps_acquisition_parameters_as_evidence_for_approval() {
        let p = Profile::load("jp-pseudonymized").unwrap();
        let o = p.compiled_overrides().unwrap();
        for tag in [
            (0x0018, 0x0050),
            (0x0018, 0x0060),
            (0x0018, 0x1210),
            (0x0018, 0x0087),
            (0x0018, 0x0080),
            (0x0018, 0x0081),
            (0x0018, 0x1314),
        ] {
            let hit = o.iter().find(|c| c.pattern.matches(dicom_core::Tag(tag.0, tag.1))).expect("listed");
            assert_eq!(hit.action, Action::K);
            assert!(hit.reason.contains("AI device approval"));
        }
        assert_eq!(p.patient_id, PatientIdMode::Pseudonym);
        assert_eq!(p.birth_date, BirthDateMode::YearMonth);
    }

    #[test]
    fn kr_3d_head_declares_defacing_and_pixel_cleaning_requirements() {
        let p = Profile::load("kr-3d-head").unwrap();
        assert!(p.has(ProfileOption::CleanPixelData) && p.has(ProfileOption::CleanRecognizableVisualFeatures));
        assert!(p.requires.contains(&Requirement::DefacingApproved));
    }

    #[test]
    fn a_bad_user_profile_is_refused_with_its_path() {
        let err =
            Profile::parse("name='x'\nversion='1'\n[[override]]\ntag='(0010,zzzz)'\naction='K'\nreason='r'", "my.toml")
                .unwrap_err();
        assert!(err.to_string().contains("my.toml"), "{err}");
    }
}
