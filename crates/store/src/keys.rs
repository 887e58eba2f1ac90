//! Key wrapping. The database key (DEK) is 32 random bytes handed to SQLCipher in raw form. It
//! is stored only wrapped: AES-256-GCM under a key-encryption key derived with Argon2id from the
//! officer's passphrase. The KDF parameters and salt are stored with the wrap so they can be
//! raised later; changing the passphrase re-wraps the same DEK.
//!
//! The DEK never leaves this process: it is not logged, not serialised except wrapped, and is
//! zeroed on drop.

use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the passphrase is wrong")]
    WrongPassphrase,
    #[error("the key file is missing")]
    Missing,
    #[error("the key file is damaged: {0}")]
    Damaged(String),
    #[error("invalid key-derivation parameters: {0}")]
    Params(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Iterations.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl KdfParams {
    /// The production default: 128 MiB, 3 passes, 4 lanes. Tuned so one unlock costs about
    /// 0.5 s on the reference 2-core machine; `cargo xtask bench` reports the measured figure
    /// (`unlock_argon2id`). The parameters are stored with each wrap, so raising them later
    /// only needs a re-wrap at the next unlock.
    pub const DEFAULT: KdfParams = KdfParams { m_kib: 128 * 1024, t: 3, p: 4 };
    /// Cheap parameters for tests and the throwaway demo store. Never for real data.
    pub const INSECURE_FAST: KdfParams = KdfParams { m_kib: 8, t: 1, p: 1 };
    /// The most a key file may ask for (8 times the memory of [`KdfParams::DEFAULT`], 16 passes,
    /// 16 lanes): settings past these are a damaged or tampered file, not a store to open. A key
    /// file asking for 4 TB had the kernel kill the process (and could kill others beside it).
    pub const MAX: KdfParams = KdfParams { m_kib: 1024 * 1024, t: 16, p: 16 };

    /// Whether these settings are within [`KdfParams::MAX`].
    pub fn within_limits(self) -> bool {
        self.m_kib <= Self::MAX.m_kib && self.t <= Self::MAX.t && self.p <= Self::MAX.p
    }
}

/// The unwrapped database key.
pub struct DbKey(Zeroizing<[u8; 32]>);

impl DbKey {
    /// `PRAGMA key = "x'<64 hex digits>'";`, written into one buffer of its final size and
    /// wiped when dropped. Built with `format!` or by collecting, the string grew through
    /// reallocations, and each freed buffer kept a copy of the key's digits in memory.
    pub(crate) fn key_pragma(&self) -> Zeroizing<String> {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        const HEAD: &str = "PRAGMA key = \"x'";
        const TAIL: &str = "'\";";
        let mut s = Zeroizing::new(String::with_capacity(HEAD.len() + 2 * self.0.len() + TAIL.len()));
        s.push_str(HEAD);
        for b in self.0.iter() {
            s.push(char::from(DIGITS[usize::from(b >> 4)]));
            s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
        }
        s.push_str(TAIL);
        debug_assert_eq!(s.len(), s.capacity());
        s
    }
}

/// What `<db>.keys` holds (JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    pub version: u32,
    pub officer_id: String,
    pub kdf: KdfParams,
    salt: String,
    nonce: String,
    wrapped: String,
    /// SHA-256 of the fields above ([`Envelope::checksum`]): a changed byte (a bad copy, a disk
    /// fault) is then "the key file is damaged", not a wrong passphrase, which counted as a
    /// failed try and, under the wipe policy, erased the store when its officer typed the right
    /// one (resilience review, 7 Dec 2026). Absent in key files written before; added at their
    /// next unlock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    check: Option<String>,
}

/// Opens `path` for writing, created readable and writable by its owner only (0600 on Unix):
/// with a copy of the key file and the database, a passphrase can be guessed at offline, with
/// no attempts counter in the way. `create_new`: refuse an existing file; otherwise truncate.
pub(crate) fn owner_only(path: &Path, create_new: bool) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true);
    if create_new {
        o.create_new(true);
    } else {
        o.create(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

/// The replacement a key file at `path` is written to before it is renamed over it (what a
/// crash during a passphrase change leaves behind).
pub(crate) fn replacement_path(path: &Path) -> std::path::PathBuf {
    path.with_extension("keys.tmp")
}

/// Narrows an existing file to its owner (a store created by an earlier build). Best effort:
/// a file that is missing or not ours to change is left as it is.
pub(crate) fn restrict_to_owner(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Result<Vec<u8>, KeyError> {
    if !s.len().is_multiple_of(2) {
        return Err(KeyError::Damaged("odd hex length".into()));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            s.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| KeyError::Damaged("bad hex".into()))
        })
        .collect()
}

fn derive(passphrase: &str, salt: &[u8], kdf: KdfParams) -> Result<Zeroizing<[u8; 32]>, KeyError> {
    if !kdf.within_limits() {
        return Err(KeyError::Damaged(format!(
            "key derivation settings out of range ({} KiB, {} passes, {} lanes)",
            kdf.m_kib, kdf.t, kdf.p
        )));
    }
    let params = argon2::Params::new(kdf.m_kib, kdf.t, kdf.p, Some(32)).map_err(|e| KeyError::Params(e.to_string()))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = Zeroizing::new([0u8; 32]);
    argon.hash_password_into(passphrase.as_bytes(), salt, &mut out[..]).map_err(|e| KeyError::Params(e.to_string()))?;
    Ok(out)
}

fn aad(version: u32, officer_id: &str) -> Vec<u8> {
    format!("bluelamp-dek-v{version}:{officer_id}").into_bytes()
}

impl Envelope {
    /// A fresh random DEK and its envelope.
    pub fn new(passphrase: &str, officer_id: &str, kdf: KdfParams) -> Result<(Envelope, DbKey), KeyError> {
        let mut dek = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(&mut dek[..]);
        let env = Envelope::wrap(passphrase, officer_id, kdf, &dek)?;
        Ok((env, DbKey(dek)))
    }

    fn wrap(passphrase: &str, officer_id: &str, kdf: KdfParams, dek: &[u8; 32]) -> Result<Envelope, KeyError> {
        let mut salt = [0u8; 16];
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let kek = derive(passphrase, &salt, kdf)?;
        let cipher = Aes256Gcm::new_from_slice(&kek[..]).map_err(|e| KeyError::Params(e.to_string()))?;
        let version = 1;
        let wrapped = cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: &dek[..], aad: &aad(version, officer_id) })
            .map_err(|_| KeyError::Params("wrap failed".into()))?;
        Ok(Envelope {
            version,
            officer_id: officer_id.to_string(),
            kdf,
            salt: hex(&salt),
            nonce: hex(&nonce),
            wrapped: hex(&wrapped),
            check: None,
        }
        .checked())
    }

    /// SHA-256 (hex) of every other field, in a fixed order.
    fn checksum(&self) -> String {
        use sha2::Digest;
        let KdfParams { m_kib, t, p } = self.kdf;
        let text = format!(
            "bluelamp-keys|{}|{}|{m_kib}|{t}|{p}|{}|{}|{}",
            self.version, self.officer_id, self.salt, self.nonce, self.wrapped
        );
        hex(&sha2::Sha256::digest(text.as_bytes()))
    }

    /// The envelope with its checksum set.
    pub(crate) fn checked(mut self) -> Envelope {
        self.check = Some(self.checksum());
        self
    }

    /// The checksum the key file carries (`None`: written before checksums).
    pub fn check_value(&self) -> Option<&str> {
        self.check.as_deref()
    }

    /// Whether the checksum matches the fields (`None`: a key file written before checksums).
    pub fn checksum_matches(&self) -> Option<bool> {
        self.check.as_ref().map(|c| *c == self.checksum())
    }

    /// Whether the key file has no checksum yet (written before checksums).
    pub(crate) fn unchecked(&self) -> bool {
        self.check.is_none()
    }

    /// Unwraps the DEK; a wrong passphrase gives `WrongPassphrase`. A key file whose checksum
    /// does not match is `Damaged` whatever the passphrase, and is not a failed try. (One
    /// without a checksum, or altered along with it, still says `WrongPassphrase`.)
    pub fn unwrap_key(&self, passphrase: &str) -> Result<DbKey, KeyError> {
        if self.check.as_ref().is_some_and(|c| *c != self.checksum()) {
            return Err(KeyError::Damaged(
                "its checksum does not match (a bad copy or a disk fault): nothing was tried or counted; \
                 put back a good copy of the .keys file"
                    .into(),
            ));
        }
        let salt = unhex(&self.salt)?;
        let nonce = unhex(&self.nonce)?;
        if nonce.len() != 12 {
            return Err(KeyError::Damaged("bad nonce".into()));
        }
        let wrapped = unhex(&self.wrapped)?;
        let kek = derive(passphrase, &salt, self.kdf)?;
        let cipher = Aes256Gcm::new_from_slice(&kek[..]).map_err(|e| KeyError::Params(e.to_string()))?;
        let mut plain = cipher
            .decrypt(Nonce::from_slice(&nonce), Payload { msg: &wrapped, aad: &aad(self.version, &self.officer_id) })
            .map_err(|_| KeyError::WrongPassphrase)?;
        if plain.len() != 32 {
            plain.zeroize();
            return Err(KeyError::Damaged("bad key length".into()));
        }
        let mut dek = Zeroizing::new([0u8; 32]);
        dek.copy_from_slice(&plain);
        plain.zeroize();
        Ok(DbKey(dek))
    }

    /// Re-wraps the same DEK under a new passphrase (and possibly new parameters).
    pub fn rewrap(&self, old: &str, new: &str, kdf: KdfParams) -> Result<Envelope, KeyError> {
        let key = self.unwrap_key(old)?;
        Envelope::wrap(new, &self.officer_id, kdf, &key.0)
    }

    pub fn read(path: &Path) -> Result<Envelope, KeyError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(KeyError::Missing),
            Err(e) => return Err(e.into()),
        };
        serde_json::from_slice(&bytes).map_err(|e| KeyError::Damaged(e.to_string()))
    }

    /// Writes a new key file; refuses to overwrite one.
    pub fn write_new(&self, path: &Path) -> Result<(), KeyError> {
        let mut f = owner_only(path, true)?;
        f.write_all(&serde_json::to_vec_pretty(self).map_err(|e| KeyError::Damaged(e.to_string()))?)?;
        f.sync_all()?;
        Ok(())
    }

    /// Atomically replaces the key file (write to a temporary file, fsync, rename).
    pub fn replace(&self, path: &Path) -> Result<(), KeyError> {
        let tmp = replacement_path(path);
        {
            let mut f = owner_only(&tmp, false)?;
            f.write_all(&serde_json::to_vec_pretty(self).map_err(|e| KeyError::Damaged(e.to_string()))?)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_unwrap_and_wrong_passphrase() {
        let (env, key) = Envelope::new("correct horse", "PC123", KdfParams::INSECURE_FAST).unwrap();
        let again = env.unwrap_key("correct horse").unwrap();
        assert_eq!(&key.0[..], &again.0[..]);
        assert!(matches!(env.unwrap_key("wrong"), Err(KeyError::WrongPassphrase)));
    }

    #[test]
    fn rewrap_keeps_the_same_key() {
        let (env, key) = Envelope::new("old", "PC1", KdfParams::INSECURE_FAST).unwrap();
        let env2 = env.rewrap("old", "new", KdfParams::INSECURE_FAST).unwrap();
        assert_eq!(&env2.unwrap_key("new").unwrap().0[..], &key.0[..]);
        assert!(env2.unwrap_key("old").is_err());
    }

    #[test]
    fn the_key_statement_is_built_at_its_final_size() {
        let key = DbKey(Zeroizing::new([0xa5; 32]));
        let stmt = key.key_pragma();
        assert_eq!(stmt.as_str(), format!("PRAGMA key = \"x'{}'\";", "a5".repeat(32)));
        assert_eq!(stmt.len(), stmt.capacity(), "no reallocation left a copy behind");
    }

    #[test]
    fn key_derivation_settings_past_the_limits_are_a_damaged_file() {
        let (mut env, _) = Envelope::new("p", "PC1", KdfParams::INSECURE_FAST).unwrap();
        for kdf in [
            // (Lanes first: without the limit it fails at once, the others would exhaust memory
            // or time.)
            KdfParams { p: 1000, ..KdfParams::INSECURE_FAST },
            KdfParams { m_kib: 4_000_000_000, ..KdfParams::INSECURE_FAST },
            KdfParams { t: u32::MAX, ..KdfParams::INSECURE_FAST },
        ] {
            env.kdf = kdf;
            assert!(matches!(env.unwrap_key("p"), Err(KeyError::Damaged(_))), "{kdf:?}");
        }
        assert!(KdfParams::DEFAULT.within_limits());
    }

    #[test]
    fn tampered_officer_id_fails() {
        let (mut env, _) = Envelope::new("p", "PC1", KdfParams::INSECURE_FAST).unwrap();
        env.officer_id = "PC2".into();
        // The checksum no longer matches: damaged, whatever the passphrase.
        assert!(matches!(env.unwrap_key("p"), Err(KeyError::Damaged(_))));
        // Altered along with its checksum: the wrapped key's authenticated data still refuses it.
        let env = env.checked();
        assert!(matches!(env.unwrap_key("p"), Err(KeyError::WrongPassphrase)));
    }
}
