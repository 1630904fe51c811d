//! The audit log: who did what, when. Rows are only ever appended (triggers refuse changes) and
//! each row's hash covers its content and the previous row's hash, so that an edited, deleted or
//! reordered row breaks the chain from that row on (`sumi audit verify`). An export records the
//! head hash, which anchors the chain outside the database.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::time::now_rfc3339;

/// The "previous hash" of the first row.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditEvent {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object: Option<String>,
    pub details: serde_json::Value,
}

/// SHA-256 (hex) of a row chained to the previous row's hash. Fields are length-prefixed so no
/// two different rows hash the same text.
fn row_hash(prev: &str, id: i64, at: &str, actor: &str, action: &str, object: Option<&str>, details: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(id.to_le_bytes());
    for field in [Some(at), Some(actor), Some(action), object, Some(details)] {
        match field {
            Some(f) => {
                h.update((f.len() as u64).to_le_bytes());
                h.update(f.as_bytes());
            }
            None => h.update(u64::MAX.to_le_bytes()),
        }
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn head(conn: &Connection) -> rusqlite::Result<(i64, String)> {
    conn.query_row("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1", [], |r| {
        Ok((r.get(0)?, r.get::<_, Option<String>>(1)?.unwrap_or_else(|| GENESIS_HASH.into())))
    })
    .optional()
    .map(|o| o.unwrap_or((0, GENESIS_HASH.into())))
}

/// The hash of the newest row (the genesis hash for an empty log): what an export records to
/// anchor the chain outside the database.
pub fn audit_head_hash(conn: &Connection) -> rusqlite::Result<String> {
    head(conn).map(|(_, h)| h)
}

/// Appends one event. Call inside the transaction of the change it records.
pub fn append_audit(
    conn: &Connection,
    actor: &str,
    action: &str,
    object: Option<&str>,
    details: &serde_json::Value,
) -> rusqlite::Result<i64> {
    let (last, prev) = head(conn)?;
    let (id, at, details) = (last + 1, now_rfc3339(), details.to_string());
    let hash = row_hash(&prev, id, &at, actor, action, object, &details);
    conn.execute(
        "INSERT INTO audit_log (id, at, actor, action, object, details, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![id, at, actor, action, object, details, hash],
    )?;
    Ok(id)
}

type Row = (i64, String, String, String, Option<String>, String, Option<String>);

fn rows(conn: &Connection) -> rusqlite::Result<Vec<Row>> {
    let mut stmt = conn.prepare("SELECT id, at, actor, action, object, details, hash FROM audit_log ORDER BY id")?;
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))?.collect()
}

/// Gives rows written before the chain existed their hashes, in id order (run on open).
pub(crate) fn seal_unchained(conn: &mut Connection) -> rusqlite::Result<usize> {
    // Unhashed rows are the ones written before migration 5, so they are the oldest: looking at
    // the first row (by primary key) answers without scanning the log on every open.
    let oldest_unsealed: Option<bool> =
        conn.query_row("SELECT hash IS NULL FROM audit_log ORDER BY id LIMIT 1", [], |r| r.get(0)).optional()?;
    if oldest_unsealed != Some(true) {
        return Ok(0);
    }
    let tx = conn.transaction()?;
    let mut prev = GENESIS_HASH.to_string();
    let mut sealed = 0;
    for (id, at, actor, action, object, details, hash) in rows(&tx)? {
        let h = match hash {
            Some(h) => h,
            None => {
                let h = row_hash(&prev, id, &at, &actor, &action, object.as_deref(), &details);
                tx.execute("UPDATE audit_log SET hash = ?2 WHERE id = ?1", params![id, h])?;
                sealed += 1;
                h
            }
        };
        prev = h;
    }
    tx.commit()?;
    Ok(sealed)
}

/// What `verify_audit_chain` found.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChainReport {
    pub rows: usize,
    /// Hash of the last row (the value an export records).
    pub head: String,
    /// The first row whose hash does not follow from its content and its predecessor.
    pub first_broken: Option<i64>,
    pub reason: Option<String>,
}

/// Recomputes the chain and reports the first broken row.
pub fn verify_audit_chain(conn: &Connection) -> rusqlite::Result<ChainReport> {
    let rows = rows(conn)?;
    let mut prev = GENESIS_HASH.to_string();
    let first = rows.first().map_or(1, |r| r.0);
    for (expected_id, (id, at, actor, action, object, details, hash)) in (first..).zip(&rows) {
        let broken = |reason: String| ChainReport {
            rows: rows.len(),
            head: prev.clone(),
            first_broken: Some(*id),
            reason: Some(reason),
        };
        if *id != expected_id {
            return Ok(broken(format!("row {expected_id} is missing before row {id}")));
        }
        let want = row_hash(&prev, *id, at, actor, action, object.as_deref(), details);
        match hash {
            Some(h) if *h == want => prev = want,
            Some(_) => return Ok(broken(format!("row {id} does not match its hash: changed, or a row before it was"))),
            None => return Ok(broken(format!("row {id} has no hash"))),
        }
    }
    Ok(ChainReport { rows: rows.len(), head: prev, first_broken: None, reason: None })
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
