//! User-level settings (one file per user, not per project): language, name, role, default
//! de-identification profile and data folder, as TOML in the platform config dir
//! (`$SUMI_CONFIG_DIR` overrides it). No settings file yet means first run (the welcome screen).
//! A file that cannot be read is never overwritten silently: it is copied to `settings.toml.bak`
//! and the defaults are used until the user saves.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub const FILE_NAME: &str = "settings.toml";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Ja,
}

/// What the user mostly does; decides where the app starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Opens or imports a folder, then the de-identification review.
    #[default]
    QaReviewer,
    /// Opens a series, then Annotate mode.
    Annotator,
    /// Exports (File ▸ Export…) and spot-checks exports.
    Operator,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::QaReviewer, Role::Annotator, Role::Operator];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::QaReviewer => "qa-reviewer",
            Role::Annotator => "annotator",
            Role::Operator => "operator",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UserSettings {
    pub language: Language,
    /// Recorded in audit logs (empty: $SUMI_USER or $USER).
    pub user_name: String,
    pub role: Role,
    /// Built-in profile name or a .toml path; new projects start with it.
    pub deid_profile: String,
    /// Where sumi keeps the demo study and its logs (empty: the platform data dir).
    pub data_dir: Option<PathBuf>,
}

impl Default for UserSettings {
    fn default() -> Self {
        UserSettings {
            language: Language::En,
            user_name: String::new(),
            role: Role::QaReviewer,
            deid_profile: "ps315-basic".to_string(),
            data_dir: None,
        }
    }
}

#[derive(Debug, Error)]
pub enum SettingsError {
    #[error("{path}: cannot read the settings file: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a valid settings file ({message}); using the defaults, the file is kept as {backup}")]
    Invalid { path: PathBuf, backup: PathBuf, message: String },
    #[error("{path}: cannot write the settings file: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

/// What loading found.
#[derive(Debug)]
pub enum Loaded {
    /// No settings file: first run; the defaults.
    FirstRun(UserSettings),
    Found(UserSettings),
    /// The file exists but is unusable: the defaults, and why (the file is left in place, copied to .bak).
    Bad(UserSettings, SettingsError),
}

impl Loaded {
    pub fn settings(&self) -> &UserSettings {
        match self {
            Loaded::FirstRun(s) | Loaded::Found(s) | Loaded::Bad(s, _) => s,
        }
    }

    pub fn into_parts(self) -> (UserSettings, bool, Option<SettingsError>) {
        match self {
            Loaded::FirstRun(s) => (s, true, None),
            Loaded::Found(s) => (s, false, None),
            Loaded::Bad(s, e) => (s, false, Some(e)),
        }
    }
}

/// The platform config dir (`~/.config/sumi` on Linux), or `$SUMI_CONFIG_DIR`.
pub fn config_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SUMI_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("org", "sumi", "sumi")
        .map(|d| d.config_dir().to_path_buf())
        .unwrap_or_else(|| std::env::temp_dir().join("sumi-config"))
}

pub fn settings_path() -> PathBuf {
    config_dir().join(FILE_NAME)
}

/// The platform data dir (`~/.local/share/sumi` on Linux), or `$SUMI_DATA_DIR`.
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SUMI_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("org", "sumi", "sumi")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| std::env::temp_dir().join("sumi"))
}

impl UserSettings {
    /// `$SUMI_DATA_DIR` first (tests, CI), then the chosen folder, then the platform data dir.
    pub fn effective_data_dir(&self) -> PathBuf {
        if std::env::var_os("SUMI_DATA_DIR").is_some_and(|d| !d.is_empty()) {
            return default_data_dir();
        }
        match &self.data_dir {
            Some(d) if !d.as_os_str().is_empty() => d.clone(),
            _ => default_data_dir(),
        }
    }

    /// `<data dir>/logs/sumi.log`.
    pub fn log_file(&self) -> PathBuf {
        self.effective_data_dir().join("logs").join("sumi.log")
    }

    pub fn load() -> Loaded {
        Self::load_from(&settings_path())
    }

    pub fn load_from(path: &Path) -> Loaded {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded::FirstRun(UserSettings::default()),
            Err(source) => {
                return Loaded::Bad(UserSettings::default(), SettingsError::Read { path: path.to_path_buf(), source });
            }
        };
        match toml::from_str::<UserSettings>(&text) {
            Ok(s) => Loaded::Found(s),
            Err(e) => {
                let backup = backup_path(path);
                let message = e.message().to_string();
                let error = match std::fs::copy(path, &backup) {
                    Ok(_) => SettingsError::Invalid { path: path.to_path_buf(), backup, message },
                    Err(source) => SettingsError::Write { path: backup, source },
                };
                Loaded::Bad(UserSettings::default(), error)
            }
        }
    }

    pub fn save(&self) -> Result<(), SettingsError> {
        self.save_to(&settings_path())
    }

    /// Written to a temporary file beside it, then renamed (a crash leaves the old file).
    pub fn save_to(&self, path: &Path) -> Result<(), SettingsError> {
        let write_err = |source| SettingsError::Write { path: path.to_path_buf(), source };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(write_err)?;
        }
        let text = toml::to_string_pretty(self).map_err(|e| write_err(std::io::Error::other(e)))?;
        let tmp = path.with_extension("toml.tmp");
        std::fs::write(&tmp, format!("# sumi user settings\n{text}")).map_err(write_err)?;
        std::fs::rename(&tmp, path).map_err(write_err)
    }
}

pub fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".bak");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_through_the_toml_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join(FILE_NAME);
        let s = UserSettings {
            language: Language::Ja,
            user_name: "山田 花子".into(),
            role: Role::Annotator,
            deid_profile: "jp-pseudonymized".into(),
            data_dir: Some(dir.path().join("data")),
        };
        s.save_to(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("role = \"annotator\"") && text.contains("language = \"ja\""), "{text}");
        match UserSettings::load_from(&path) {
            Loaded::Found(back) => assert_eq!(back, s),
            other => panic!("expected the saved settings, got {other:?}"),
        }
    }

    #[test]
    fn missing_file_is_first_run_with_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let loaded = UserSettings::load_from(&dir.path().join(FILE_NAME));
        assert!(matches!(loaded, Loaded::FirstRun(_)), "{loaded:?}");
        assert_eq!(loaded.settings(), &UserSettings::default());
    }

    #[test]
    fn bad_file_gives_defaults_an_error_naming_it_and_a_backup_it_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let bad = "language = \"klingon\"\nrole = 3\n";
        std::fs::write(&path, bad).unwrap();
        let (settings, first_run, error) = UserSettings::load_from(&path).into_parts();
        assert!(!first_run, "a bad file is not a first run");
        assert_eq!(settings, UserSettings::default());
        let msg = error.expect("an error").to_string();
        assert!(msg.contains(&path.display().to_string()), "the message names the file: {msg}");
        assert!(msg.contains(".bak"), "the message names the backup: {msg}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), bad, "the file is left as it was");
        assert_eq!(std::fs::read_to_string(backup_path(&path)).unwrap(), bad, "the backup holds the old file");
    }

    #[test]
    fn unknown_keys_are_reported_not_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, "languag = \"ja\"\n").unwrap();
        assert!(matches!(UserSettings::load_from(&path), Loaded::Bad(_, SettingsError::Invalid { .. })));
    }

    #[test]
    fn partial_file_keeps_defaults_for_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, "role = \"operator\"\n").unwrap();
        let s = UserSettings::load_from(&path).settings().clone();
        assert_eq!(s.role, Role::Operator);
        assert_eq!(s.deid_profile, "ps315-basic");
    }
}
