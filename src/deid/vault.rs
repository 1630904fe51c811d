//! The key vault: a separate SQLite file (never inside exports) holding original ↔ pseudonym
//! patient IDs, per-patient date offsets and the UID map, so runs stay consistent and a
//! regulator's inquiry can be answered.
//!
//! With a passphrase, originals are never stored in clear: lookups use HMAC-SHA256 keys and the
//! originals are sealed with ChaCha20-Poly1305, both keyed by Argon2id(passphrase, salt). An AEAD
//! over values (rather than SQLCipher) keeps the bundled SQLite build and lets pseudonyms, which
//! are not secret, stay searchable.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use hmac::{Hmac, Mac};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::Sha256;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("vault {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("vault {path}: wrong passphrase")]
    WrongPassphrase { path: String },
    #[error("vault {path}: it is encrypted; a passphrase is needed")]
    NeedsPassphrase { path: String },
    #[error("vault {path}: {message}")]
    Crypto { path: String, message: String },
}

/// A patient's pseudonymisation keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientKeys {
    pub pseudonym: String,
    pub date_offset_days: i64,
}

struct Crypto {
    cipher: ChaCha20Poly1305,
    mac_key: [u8; 32],
}

struct Inner {
    conn: Connection,
    uids: HashMap<String, String>,
    patients: HashMap<String, PatientKeys>,
}

pub struct Vault {
    path: String,
    inner: Mutex<Inner>,
    crypto: Option<Crypto>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS patients (
    lookup TEXT PRIMARY KEY,        -- original ID, or its HMAC when encrypted
    original TEXT NOT NULL,         -- original ID, or its sealed form when encrypted
    pseudonym TEXT NOT NULL UNIQUE,
    date_offset_days INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS access_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    details TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS access_log_no_update BEFORE UPDATE ON access_log
    BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS access_log_no_delete BEFORE DELETE ON access_log
    BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;
CREATE TABLE IF NOT EXISTS uids (
    lookup TEXT PRIMARY KEY,
    original TEXT NOT NULL,
    replacement TEXT NOT NULL UNIQUE
);
";

impl Vault {
    /// Opens or creates a vault file. An encrypted vault needs its passphrase; a new vault is
    /// encrypted when one is given.
    pub fn open(path: &Path, passphrase: Option<&str>) -> Result<Vault, VaultError> {
        let p = path.display().to_string();
        let conn = Connection::open(path).map_err(|source| VaultError::Sqlite { path: p.clone(), source })?;
        Vault::init(conn, p, passphrase)
    }

    /// A vault that lives only for this run (anonymisation: nothing links back).
    pub fn in_memory() -> Vault {
        let conn = Connection::open_in_memory().expect("in-memory SQLite");
        Vault::init(conn, ":memory:".into(), None).expect("in-memory vault")
    }

    fn init(conn: Connection, path: String, passphrase: Option<&str>) -> Result<Vault, VaultError> {
        let sql = |source| VaultError::Sqlite { path: path.clone(), source };
        conn.pragma_update(None, "journal_mode", "WAL").map_err(sql)?;
        conn.execute_batch(SCHEMA).map_err(sql)?;
        let salt: Option<Vec<u8>> =
            conn.query_row("SELECT value FROM meta WHERE key = 'salt'", [], |r| r.get(0)).optional().map_err(sql)?;
        let crypto = match (salt, passphrase) {
            (Some(salt), Some(pass)) => {
                let c = Crypto::derive(pass, &salt, &path)?;
                let check: Vec<u8> =
                    conn.query_row("SELECT value FROM meta WHERE key = 'check'", [], |r| r.get(0)).map_err(sql)?;
                if c.open(&check).as_deref() != Some(b"sumi vault".as_slice()) {
                    return Err(VaultError::WrongPassphrase { path });
                }
                Some(c)
            }
            (Some(_), None) => return Err(VaultError::NeedsPassphrase { path }),
            (None, Some(pass)) => {
                let empty: i64 = conn.query_row("SELECT count(*) FROM patients", [], |r| r.get(0)).map_err(sql)?;
                if empty > 0 {
                    return Err(VaultError::Crypto {
                        path,
                        message: "vault has clear entries; cannot add a passphrase".into(),
                    });
                }
                let salt = random_bytes::<16>();
                let c = Crypto::derive(pass, &salt, &path)?;
                conn.execute("INSERT INTO meta (key, value) VALUES ('salt', ?1)", [salt.to_vec()]).map_err(sql)?;
                conn.execute("INSERT INTO meta (key, value) VALUES ('check', ?1)", [c.seal(b"sumi vault")])
                    .map_err(sql)?;
                Some(c)
            }
            (None, None) => None,
        };
        Ok(Vault { path, inner: Mutex::new(Inner { conn, uids: HashMap::new(), patients: HashMap::new() }), crypto })
    }

    pub fn is_encrypted(&self) -> bool {
        self.crypto.is_some()
    }

    fn err(&self, source: rusqlite::Error) -> VaultError {
        VaultError::Sqlite { path: self.path.clone(), source }
    }

    fn lookup_key(&self, kind: &str, original: &str) -> String {
        match &self.crypto {
            Some(c) => c.mac(kind, original),
            None => original.to_string(),
        }
    }

    fn stored_original(&self, original: &str) -> String {
        match &self.crypto {
            Some(c) => hex(&c.seal(original.as_bytes())),
            None => original.to_string(),
        }
    }

    /// The pseudonym and date offset for a patient, created (randomly) on first use.
    pub fn patient(&self, original_id: &str) -> Result<PatientKeys, VaultError> {
        let mut inner = self.inner.lock().expect("vault lock");
        if let Some(k) = inner.patients.get(original_id) {
            return Ok(k.clone());
        }
        let lookup = self.lookup_key("patient", original_id);
        let found: Option<(String, i64)> = inner
            .conn
            .query_row("SELECT pseudonym, date_offset_days FROM patients WHERE lookup = ?1", [&lookup], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(|e| self.err(e))?;
        let keys = match found {
            Some((pseudonym, date_offset_days)) => PatientKeys { pseudonym, date_offset_days },
            None => {
                let keys = PatientKeys { pseudonym: random_pseudonym(), date_offset_days: random_offset_days() };
                inner
                    .conn
                    .execute(
                        "INSERT INTO patients (lookup, original, pseudonym, date_offset_days, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![lookup, self.stored_original(original_id), keys.pseudonym, keys.date_offset_days, crate::project::now_rfc3339()],
                    )
                    .map_err(|e| self.err(e))?;
                keys
            }
        };
        inner.patients.insert(original_id.to_string(), keys.clone());
        Ok(keys)
    }

    /// The replacement for a UID, created (2.25 root, random) on first use.
    pub fn map_uid(&self, original: &str) -> Result<String, VaultError> {
        let mut inner = self.inner.lock().expect("vault lock");
        if let Some(u) = inner.uids.get(original) {
            return Ok(u.clone());
        }
        let lookup = self.lookup_key("uid", original);
        let found: Option<String> = inner
            .conn
            .query_row("SELECT replacement FROM uids WHERE lookup = ?1", [&lookup], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?;
        let replacement = match found {
            Some(r) => r,
            None => {
                let r = random_uid();
                inner
                    .conn
                    .execute(
                        "INSERT INTO uids (lookup, original, replacement) VALUES (?1, ?2, ?3)",
                        params![lookup, self.stored_original(original), r],
                    )
                    .map_err(|e| self.err(e))?;
                r
            }
        };
        inner.uids.insert(original.to_string(), replacement.clone());
        Ok(replacement)
    }

    /// Re-identification: the original patient ID behind a pseudonym.
    pub fn lookup_pseudonym(&self, pseudonym: &str) -> Result<Option<String>, VaultError> {
        let inner = self.inner.lock().expect("vault lock");
        let stored: Option<String> = inner
            .conn
            .query_row("SELECT original FROM patients WHERE pseudonym = ?1", [pseudonym], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?;
        match (stored, &self.crypto) {
            (None, _) => Ok(None),
            (Some(s), None) => Ok(Some(s)),
            (Some(s), Some(c)) => {
                let bytes = unhex(&s)
                    .ok_or_else(|| VaultError::Crypto { path: self.path.clone(), message: "corrupt entry".into() })?;
                let plain = c.open(&bytes).ok_or_else(|| VaultError::Crypto {
                    path: self.path.clone(),
                    message: "entry does not decrypt".into(),
                })?;
                Ok(Some(String::from_utf8_lossy(&plain).into_owned()))
            }
        }
    }

    /// Every original the vault holds: (patient IDs, UIDs), unsealed. For the export verifier,
    /// which searches outputs for them; the caller records the access.
    pub fn originals(&self) -> Result<(Vec<String>, Vec<String>), VaultError> {
        let inner = self.inner.lock().expect("vault lock");
        let read = |sql: &str| -> Result<Vec<String>, VaultError> {
            let mut stmt = inner.conn.prepare(sql).map_err(|e| self.err(e))?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(|e| self.err(e))?;
            let mut out = Vec::new();
            for row in rows {
                let stored = row.map_err(|e| self.err(e))?;
                out.push(match &self.crypto {
                    None => stored,
                    Some(c) => {
                        let bytes = unhex(&stored).ok_or_else(|| VaultError::Crypto {
                            path: self.path.clone(),
                            message: "corrupt entry".into(),
                        })?;
                        let plain = c.open(&bytes).ok_or_else(|| VaultError::Crypto {
                            path: self.path.clone(),
                            message: "entry does not decrypt".into(),
                        })?;
                        String::from_utf8_lossy(&plain).into_owned()
                    }
                });
            }
            Ok(out)
        };
        Ok((read("SELECT original FROM patients")?, read("SELECT original FROM uids")?))
    }

    /// Records who looked something up (re-identification), in the vault's own append-only log.
    pub fn record_access(&self, actor: &str, action: &str, details: &serde_json::Value) -> Result<(), VaultError> {
        let inner = self.inner.lock().expect("vault lock");
        inner
            .conn
            .execute(
                "INSERT INTO access_log (at, actor, action, details) VALUES (?1, ?2, ?3, ?4)",
                params![crate::project::now_rfc3339(), actor, action, details.to_string()],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub fn access_count(&self) -> Result<i64, VaultError> {
        let inner = self.inner.lock().expect("vault lock");
        inner.conn.query_row("SELECT count(*) FROM access_log", [], |r| r.get(0)).map_err(|e| self.err(e))
    }

    pub fn patient_count(&self) -> Result<i64, VaultError> {
        let inner = self.inner.lock().expect("vault lock");
        inner.conn.query_row("SELECT count(*) FROM patients", [], |r| r.get(0)).map_err(|e| self.err(e))
    }
}

impl Crypto {
    fn derive(passphrase: &str, salt: &[u8], path: &str) -> Result<Crypto, VaultError> {
        let mut key = [0u8; 64];
        argon2::Argon2::default()
            .hash_password_into(passphrase.as_bytes(), salt, &mut key)
            .map_err(|e| VaultError::Crypto { path: path.into(), message: e.to_string() })?;
        let cipher = ChaCha20Poly1305::new_from_slice(&key[..32]).expect("32-byte key");
        let mut mac_key = [0u8; 32];
        mac_key.copy_from_slice(&key[32..]);
        Ok(Crypto { cipher, mac_key })
    }

    fn mac(&self, kind: &str, value: &str) -> String {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.mac_key).expect("any key length");
        m.update(kind.as_bytes());
        m.update(&[0]);
        m.update(value.as_bytes());
        hex(&m.finalize().into_bytes())
    }

    fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let nonce = random_bytes::<12>();
        let mut out = nonce.to_vec();
        out.extend(self.cipher.encrypt(Nonce::from_slice(&nonce), plain).expect("encryption of a small value"));
        out
    }

    fn open(&self, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < 12 {
            return None;
        }
        self.cipher.decrypt(Nonce::from_slice(&sealed[..12]), &sealed[12..]).ok()
    }
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("the OS random source");
    b
}

/// "SUMI-" and 12 Crockford base32 characters from the OS CSPRNG (60 bits, no rule to invert).
pub fn random_pseudonym() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let bytes = random_bytes::<12>();
    let s: String = bytes.iter().map(|b| ALPHABET[(b & 31) as usize] as char).collect();
    format!("SUMI-{s}")
}

/// A whole-day offset in [-1095, -1]: dates move into the past by up to three years.
fn random_offset_days() -> i64 {
    let b = random_bytes::<8>();
    -((u64::from_le_bytes(b) % 1095) as i64) - 1
}

/// A new UID under the 2.25 (UUID-derived) root from 128 random bits.
pub fn random_uid() -> String {
    let mut b = random_bytes::<16>();
    // RFC 4122 version 4 / variant bits, as for a random UUID.
    b[6] = (b[6] & 0x0F) | 0x40;
    b[8] = (b[8] & 0x3F) | 0x80;
    format!("2.25.{}", u128::from_be_bytes(b))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_random_not_derived_from_the_id() {
        let a = Vault::in_memory();
        let b = Vault::in_memory();
        assert_ne!(a.patient("12345").unwrap().pseudonym, b.patient("12345").unwrap().pseudonym);
    }

    #[test]
    fn same_patient_same_pseudonym_and_offset_across_sessions_sharing_a_vault() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.vault");
        let first = Vault::open(&path, None).unwrap().patient("ID-1").unwrap();
        let again = Vault::open(&path, None).unwrap().patient("ID-1").unwrap();
        assert_eq!(first, again);
        assert!((-1095..=-1).contains(&first.date_offset_days));
    }

    #[test]
    fn uids_map_consistently_under_the_2_25_root() {
        let v = Vault::in_memory();
        let u = v.map_uid("1.2.3.4").unwrap();
        assert!(u.starts_with("2.25.") && u.len() <= 64);
        assert_eq!(v.map_uid("1.2.3.4").unwrap(), u);
        assert_ne!(v.map_uid("1.2.3.5").unwrap(), u);
    }

    #[test]
    fn encrypted_vault_stores_no_original_in_clear_and_reidentifies_with_the_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.vault");
        let keys = Vault::open(&path, Some("correct horse")).unwrap().patient("HOSP-987654").unwrap();
        Vault::open(&path, Some("correct horse")).unwrap().map_uid("1.2.840.99.1").unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let wal = std::fs::read(path.with_extension("vault-wal")).unwrap_or_default();
        for needle in ["HOSP-987654", "1.2.840.99.1"] {
            assert!(!bytes.windows(needle.len()).any(|w| w == needle.as_bytes()), "{needle} in clear");
            assert!(!wal.windows(needle.len()).any(|w| w == needle.as_bytes()), "{needle} in clear in the WAL");
        }
        assert!(matches!(Vault::open(&path, Some("wrong")), Err(VaultError::WrongPassphrase { .. })));
        assert!(matches!(Vault::open(&path, None), Err(VaultError::NeedsPassphrase { .. })));
        let v = Vault::open(&path, Some("correct horse")).unwrap();
        assert_eq!(v.lookup_pseudonym(&keys.pseudonym).unwrap().as_deref(), Some("HOSP-987654"));
        assert_eq!(v.patient("HOSP-987654").unwrap(), keys);
    }
}
