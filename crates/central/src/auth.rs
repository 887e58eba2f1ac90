//! Passphrase hashing (Argon2id) and bearer tokens.
//!
//! Tokens are 256 random bits from the OS generator, sent as 64 hex characters; the service
//! stores only their SHA-256, so a copy of its database does not hold usable tokens.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Argon2id cost. The default follows OWASP's server-side recommendation (19 MiB, t=2, p=1);
/// tests use [`HashCost::FAST`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

impl HashCost {
    pub const DEFAULT: HashCost = HashCost { m_kib: 19 * 1024, t: 2, p: 1 };
    /// For tests only: not a safe cost.
    pub const FAST: HashCost = HashCost { m_kib: 64, t: 1, p: 1 };

    fn argon2(&self) -> Argon2<'static> {
        let params = Params::new(self.m_kib, self.t, self.p, None).unwrap_or_default();
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot hash the passphrase: {0}")]
pub struct HashError(String);

pub fn hash_passphrase(pass: &str, cost: HashCost) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    cost.argon2().hash_password(pass.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| HashError(e.to_string()))
}

/// Verifies against a stored PHC string (its own parameters are used). `false` on any error.
pub fn verify_passphrase(pass: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default().verify_password(pass.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

/// A new bearer token (64 hex characters, 256 bits).
pub fn new_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash_passphrase("correct horse", HashCost::FAST).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_passphrase("correct horse", &h));
        assert!(!verify_passphrase("wrong", &h));
        assert!(!verify_passphrase("x", "not a hash"));
        let t = new_token();
        assert_eq!(t.len(), 64);
        assert_ne!(t, new_token());
        assert_eq!(token_hash(&t).len(), 64);
    }
}
