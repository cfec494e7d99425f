//! The shared secret and the keys derived from it.
//!
//! The secret is a file the forces agree on out of band. Keys are derived from it per purpose
//! with HKDF-SHA256 (RFC 5869): one SipHash key per encoded field, one for blocking tokens, one
//! for the bit flips, and a key-check value the hub compares so that encodings made with
//! different secrets are refused rather than silently failing to match. Nothing is hard-coded
//! but the HKDF salt and labels.

use std::path::Path;

use hkdf::Hkdf;
use sha2::Sha256;

use crate::{Error, ErrorKind};

/// The HKDF salt: the encoding scheme's name and version.
const SALT: &[u8] = b"conduct-pprl/1";
/// The least number of bytes a secret may have.
pub const MIN_SECRET_BYTES: usize = 16;
/// The least number of distinct byte values a secret must use.
pub const MIN_DISTINCT_BYTES: usize = 8;

/// A secret read from a file. Its bytes are never printed.
#[derive(Clone)]
pub struct Secret {
    bytes: Vec<u8>,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({} bytes)", self.bytes.len())
    }
}

impl Secret {
    /// Reads a secret file: its bytes, without a trailing line break. A 64-character hex line
    /// (as `openssl rand -hex 32` writes) is taken as text too: its bytes key the same.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Secret`] when the file is missing or unreadable, shorter than
    /// [`MIN_SECRET_BYTES`], or uses fewer than [`MIN_DISTINCT_BYTES`] distinct bytes (a
    /// repeated character, a short word); the message says how to make a good one.
    pub fn read(path: &Path) -> Result<Secret, Error> {
        let bytes = std::fs::read(path).map_err(|e| {
            let why = if e.kind() == std::io::ErrorKind::NotFound { "does not exist".to_string() } else { e.to_string() };
            Error::new(
                ErrorKind::Secret(format!(
                    "the secret file {why}; make one with `openssl rand -hex 32 > FILE` and share it between the parties out of band"
                )),
                Some(path),
            )
        })?;
        Secret::from_bytes(bytes).map_err(|m| Error::new(ErrorKind::Secret(m), Some(path)))
    }

    /// A secret from bytes (trailing line breaks removed), checked as [`Secret::read`] checks.
    ///
    /// # Errors
    ///
    /// The reason the bytes are too weak to be a secret.
    pub fn from_bytes(mut bytes: Vec<u8>) -> Result<Secret, String> {
        while matches!(bytes.last(), Some(b'\n' | b'\r')) {
            bytes.pop();
        }
        let advice = "make one with `openssl rand -hex 32 > FILE`";
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(format!("the secret is {} bytes long; at least {MIN_SECRET_BYTES} are needed ({advice})", bytes.len()));
        }
        let mut seen = [false; 256];
        for &b in &bytes {
            seen[usize::from(b)] = true;
        }
        let distinct = seen.iter().filter(|s| **s).count();
        if distinct < MIN_DISTINCT_BYTES {
            return Err(format!("the secret uses only {distinct} distinct characters; it is too easy to guess ({advice})"));
        }
        Ok(Secret { bytes })
    }

    /// `N` bytes of key for `purpose`, derived by HKDF-SHA256.
    pub fn derive<const N: usize>(&self, purpose: &str) -> [u8; N] {
        let hk = Hkdf::<Sha256>::new(Some(SALT), &self.bytes);
        let mut out = [0u8; N];
        hk.expand(purpose.as_bytes(), &mut out).expect("HKDF-SHA256 gives up to 8160 bytes");
        out
    }

    /// A SipHash key (two words) for `purpose`.
    pub fn sip_key(&self, purpose: &str) -> (u64, u64) {
        let k: [u8; 16] = self.derive(purpose);
        (u64::from_le_bytes(k[..8].try_into().expect("8 bytes")), u64::from_le_bytes(k[8..].try_into().expect("8 bytes")))
    }

    /// The key-check value: 8 bytes derived for no other use, shown as hex. Two parties with
    /// the same secret have the same value; it reveals nothing else about the secret.
    pub fn check_value(&self) -> String {
        let k: [u8; 8] = self.derive("key check");
        k.iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_secrets_are_refused_with_the_reason() {
        assert!(Secret::from_bytes(b"short".to_vec()).unwrap_err().contains("5 bytes"));
        assert!(Secret::from_bytes(vec![b'a'; 64]).unwrap_err().contains("1 distinct"));
        assert!(Secret::from_bytes(b"abababababababababab\n".to_vec()).unwrap_err().contains("2 distinct"));
        assert!(Secret::from_bytes(b"9f86d081884c7d659a2feaa0c55ad015\n".to_vec()).is_ok());
    }

    #[test]
    fn keys_differ_by_purpose_and_by_secret() {
        let a = Secret::from_bytes(b"9f86d081884c7d659a2feaa0c55ad015".to_vec()).unwrap();
        let b = Secret::from_bytes(b"9f86d081884c7d659a2feaa0c55ad016".to_vec()).unwrap();
        assert_ne!(a.sip_key("field name"), a.sip_key("field dob"));
        assert_ne!(a.sip_key("field name"), b.sip_key("field name"));
        assert_ne!(a.check_value(), b.check_value());
        assert_eq!(a.check_value(), a.clone().check_value());
        assert!(!format!("{a:?}").contains("9f86"));
    }
}
