//! The project database: one SQLite file (WAL, foreign keys, numbered migrations) indexing the
//! source files, plus the append-only audit log. Source files themselves are never written.

pub mod annotation_review;
pub mod annotations;
mod audit;
mod bulk_review;
pub mod deface_review;
mod export_records;
mod import;
pub mod markups;
mod migrations;
mod settings;
pub mod templates;
pub mod text_review;
pub(crate) mod time;
mod tree;

pub use audit::{
    AuditEvent, ChainReport, GENESIS_HASH, append_audit, audit_events, audit_head_hash, verify_audit_chain,
};
pub use bulk_review::BulkApproval;
pub use export_records::{ExportOverride, ExportStatus};
pub use import::{IMPORT_CHUNK, ImportSummary, import_paths, import_scan};
pub use settings::{FaceMask, ForeignImageOutput};
pub use time::now_rfc3339;
pub use tree::TreeSeries;

use std::path::Path;

use rusqlite::Connection;

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("project {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    /// A file the project reads or writes (e.g. a template file) is unusable.
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
    #[error("project {path}: schema version {found} is newer than this sumi supports ({supported})")]
    TooNew { path: String, found: i64, supported: i64 },
    #[error("project {path}: setting {key} is {value:?}, expected {expected}")]
    BadSetting { path: String, key: &'static str, value: String, expected: &'static str },
}

pub struct Project {
    pub conn: Connection,
    pub path: String,
}

impl Project {
    /// Opens or creates the project file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Project, ProjectError> {
        let p = path.display().to_string();
        let wrap = |source| ProjectError::Sqlite { path: p.clone(), source };
        let mut conn = Connection::open(path).map_err(wrap)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(wrap)?;
        conn.pragma_update(None, "foreign_keys", true).map_err(wrap)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(wrap)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(wrap)?;
        migrations::migrate(&mut conn, &p)?;
        audit::seal_unchained(&mut conn).map_err(wrap)?;
        Ok(Project { conn, path: p })
    }

    pub fn err(&self, source: rusqlite::Error) -> ProjectError {
        ProjectError::Sqlite { path: self.path.clone(), source }
    }

    pub fn schema_version(&self) -> Result<i64, ProjectError> {
        self.conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(|e| self.err(e))
    }

    /// `PRAGMA integrity_check` result ("ok" when healthy).
    pub fn integrity_check(&self) -> Result<String, ProjectError> {
        self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(|e| self.err(e))
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>, ProjectError> {
        use rusqlite::OptionalExtension;
        self.conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Sets a project setting and records who changed it, in one transaction.
    pub fn set_setting(&mut self, key: &str, value: &str, actor: &str) -> Result<(), ProjectError> {
        let path = self.path.clone();
        let wrap = |source| ProjectError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(wrap)?;
        let old: Option<String> = {
            use rusqlite::OptionalExtension;
            tx.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional().map_err(wrap)?
        };
        tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )
        .map_err(wrap)?;
        append_audit(&tx, actor, "set-setting", Some(key), &serde_json::json!({ "old": old, "new": value }))
            .map_err(wrap)?;
        tx.commit().map_err(wrap)
    }

    pub fn count(&self, table: &str) -> Result<i64, ProjectError> {
        // Table names come from code, never from input.
        self.conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).map_err(|e| self.err(e))
    }
}

/// The user recorded in the audit log when none is given: $SUMI_USER, else the user settings' name, else $USER.
pub fn default_actor() -> String {
    if let Ok(user) = std::env::var("SUMI_USER") {
        return user;
    }
    if let Some(name) = USER_NAME.read().ok().and_then(|n| n.clone()) {
        return name;
    }
    std::env::var("USER").unwrap_or_else(|_| "unknown".into())
}

static USER_NAME: std::sync::RwLock<Option<String>> = std::sync::RwLock::new(None);

/// The user name from the user settings, recorded in audit logs when `$SUMI_USER` is not set
/// (empty: `$USER`).
pub fn set_default_actor(name: &str) {
    if let Ok(mut n) = USER_NAME.write() {
        *n = Some(name.trim().to_string()).filter(|n| !n.is_empty());
    }
}
