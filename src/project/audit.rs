//! The audit log: who did what, when. Rows are only ever appended (triggers refuse changes).

use rusqlite::{Connection, params};
use serde::Serialize;

use super::time::now_rfc3339;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditEvent {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object: Option<String>,
    pub details: serde_json::Value,
}

/// Appends one event. Call inside the transaction of the change it records.
pub fn append_audit(
    conn: &Connection,
    actor: &str,
    action: &str,
    object: Option<&str>,
    details: &serde_json::Value,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO audit_log (at, actor, action, object, details) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![now_rfc3339(), actor, action, object, details.to_string()],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn audit_events(conn: &Connection) -> rusqlite::Result<Vec<AuditEvent>> {
    let mut stmt = conn.prepare("SELECT id, at, actor, action, object, details FROM audit_log ORDER BY id")?;
    stmt.query_map([], |r| {
        let details: String = r.get(5)?;
        Ok(AuditEvent {
            id: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            object: r.get(4)?,
            details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
        })
    })?
    .collect()
}
