//! Signing spot-check reports: each operator has an Ed25519 key made on first use and kept in
//! sumi's key folder ($SUMI_KEY_DIR, else the platform config dir); the report carries the
//! public key and the signature over its canonical JSON, so anyone can check it was not altered.

use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

/// Where operators' keys live.
pub fn key_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("SUMI_KEY_DIR") {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("org", "sumi", "sumi")
        .map(|d| d.config_dir().join("keys"))
        .unwrap_or_else(|| std::env::temp_dir().join("sumi-keys"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// The operator's key, created (owner-only permissions) when missing.
pub fn operator_key(dir: &Path, operator: &str) -> Result<SigningKey, String> {
    let safe: String =
        operator.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    let path = dir.join(format!("{safe}.ed25519"));
    if let Ok(text) = std::fs::read_to_string(&path) {
        let bytes = unhex(text.trim())
            .filter(|b| b.len() == 32)
            .ok_or_else(|| format!("{}: not an Ed25519 key", path.display()))?;
        return Ok(SigningKey::from_bytes(&bytes.try_into().expect("32 bytes")));
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("no random source for a new key: {e}"))?;
    let key = SigningKey::from_bytes(&seed);
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    std::fs::write(&path, hex(&seed)).map_err(|e| format!("{}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(key)
}

/// (public key hex, signature hex) over `message`.
pub fn sign(key: &SigningKey, message: &[u8]) -> (String, String) {
    (hex(key.verifying_key().as_bytes()), hex(&key.sign(message).to_bytes()))
}

/// Whether `signature_hex` by `public_key_hex` holds over `message`.
pub fn verify(public_key_hex: &str, signature_hex: &str, message: &[u8]) -> bool {
    let (Some(pk), Some(sig)) = (unhex(public_key_hex), unhex(signature_hex)) else { return false };
    let (Ok(pk), Ok(sig)) = (<[u8; 32]>::try_from(pk), <[u8; 64]>::try_from(sig)) else { return false };
    let Ok(vk) = VerifyingKey::from_bytes(&pk) else { return false };
    vk.verify(message, &Signature::from_bytes(&sig)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_per_operator_and_signatures_detect_any_change() {
        let dir = tempfile::tempdir().unwrap();
        let k1 = operator_key(dir.path(), "op 1").unwrap();
        let k2 = operator_key(dir.path(), "op 1").unwrap();
        assert_eq!(k1.to_bytes(), k2.to_bytes(), "the stored key is reused");
        let (pk, sig) = sign(&k1, b"report");
        assert!(verify(&pk, &sig, b"report"));
        assert!(!verify(&pk, &sig, b"repors"));
        let other = operator_key(dir.path(), "op-2").unwrap();
        let (pk2, _) = sign(&other, b"x");
        assert!(!verify(&pk2, &sig, b"report"));
    }
}
