//! Unlocking a store with a counted number of tries, and the officer's role.
//!
//! Consecutive wrong passphrases are counted in `<db>.attempts` (next to the key file). After
//! `max_failures` the store is either locked out (it then opens only after the officer
//! re-authenticates online; sync clears the lock-out) or crypto-erased, as the force's config
//! says. The counter is a policy control for the officer in front of the laptop; protection
//! against someone who copies the files is the Argon2id cost of each guess.

use std::path::{Path, PathBuf};

use bluelamp_protocol::session::Role;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

use crate::{key_path, Result, Store, StoreError};

/// What happens after too many wrong passphrases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnTooManyFailures {
    /// Refuse to unlock until the officer re-authenticates online.
    Lock,
    /// Destroy the wrapped key and the database files.
    Wipe,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockPolicy {
    pub max_failures: u32,
    pub on_too_many: OnTooManyFailures,
}

impl Default for UnlockPolicy {
    fn default() -> Self {
        UnlockPolicy { max_failures: 5, on_too_many: OnTooManyFailures::Lock }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UnlockError {
    #[error("The passphrase is wrong. {tries_left} {} left.", if *.tries_left == 1 { "try" } else { "tries" })]
    Wrong { tries_left: u32 },
    #[error("Too many wrong passphrases: this store is locked until you sign in online again.")]
    LockedOut,
    #[error("Too many wrong passphrases: the local store has been erased, as your force's policy requires.")]
    Wiped,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Attempts {
    failures: u32,
    locked_out: bool,
}

fn attempts_path(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(".attempts");
    PathBuf::from(s)
}

fn read_attempts(db: &Path) -> Attempts {
    std::fs::read(attempts_path(db)).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
}

fn write_attempts(db: &Path, a: &Attempts) -> Result<()> {
    let path = attempts_path(db);
    let tmp = path.with_extension("attempts.tmp");
    std::fs::write(&tmp, serde_json::to_vec(a).map_err(|e| StoreError::Invalid(e.to_string()))?)?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    Ok(())
}

/// How many tries are left before the policy acts (for the lock screen).
pub fn tries_left(db: &Path, policy: &UnlockPolicy) -> Option<u32> {
    let a = read_attempts(db);
    (!a.locked_out).then(|| policy.max_failures.saturating_sub(a.failures))
}

pub fn is_locked_out(db: &Path) -> bool {
    read_attempts(db).locked_out
}

/// Opens the store, counting wrong passphrases.
pub fn unlock(db: &Path, passphrase: &str, policy: &UnlockPolicy) -> Result<Store, UnlockError> {
    let mut attempts = read_attempts(db);
    if attempts.locked_out {
        return Err(UnlockError::LockedOut);
    }
    match Store::open(db, passphrase) {
        Ok(store) => {
            if attempts.failures > 0 {
                write_attempts(db, &Attempts::default())?;
            }
            Ok(store)
        }
        Err(StoreError::WrongPassphrase) => {
            attempts.failures += 1;
            if attempts.failures >= policy.max_failures.max(1) {
                match policy.on_too_many {
                    OnTooManyFailures::Wipe => {
                        wipe(db)?;
                        Err(UnlockError::Wiped)
                    }
                    OnTooManyFailures::Lock => {
                        attempts.locked_out = true;
                        write_attempts(db, &attempts)?;
                        Err(UnlockError::LockedOut)
                    }
                }
            } else {
                write_attempts(db, &attempts)?;
                Err(UnlockError::Wrong { tries_left: policy.max_failures - attempts.failures })
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Clears a lock-out after the officer re-authenticated online (called by sync).
pub fn clear_lockout(db: &Path) -> Result<()> {
    write_attempts(db, &Attempts::default())
}

/// Locks the store until the officer re-authenticates online (a remote lock instruction).
pub fn lock_out(db: &Path) -> Result<()> {
    let mut a = read_attempts(db);
    a.locked_out = true;
    write_attempts(db, &a)
}

/// Crypto-erase: the wrapped key is overwritten and removed (without it the database is
/// noise), then the database files go too.
pub fn wipe(db: &Path) -> Result<()> {
    let keys = key_path(db);
    if let Ok(meta) = std::fs::metadata(&keys) {
        std::fs::write(&keys, vec![0u8; meta.len() as usize])?;
        std::fs::File::open(&keys)?.sync_all()?;
        std::fs::remove_file(&keys)?;
    }
    for suffix in ["", "-wal", "-shm", ".attempts"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        match std::fs::remove_file(PathBuf::from(p)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

impl Store {
    /// The officer's role, kept inside the encrypted database (not in the key file, which
    /// anyone can edit).
    pub fn role(&self) -> Result<Option<Role>> {
        let v: Option<String> =
            self.conn.query_row("SELECT value FROM meta WHERE key = 'officer_role'", [], |r| r.get(0)).optional()?;
        Ok(v.as_deref().and_then(Role::parse))
    }

    pub fn set_role(&mut self, role: Role) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES ('officer_role', ?1)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [role.as_str()],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KdfParams;

    fn store(dir: &Path) -> PathBuf {
        let db = dir.join("s.db");
        let mut s = Store::create(&db, "right", "PC1", KdfParams::INSECURE_FAST).unwrap();
        s.set_role(Role::Supervisor).unwrap();
        db
    }

    #[test]
    fn counts_down_then_locks_out_and_success_resets() {
        let dir = tempfile::tempdir().unwrap();
        let db = store(dir.path());
        let policy = UnlockPolicy { max_failures: 3, on_too_many: OnTooManyFailures::Lock };
        assert!(matches!(unlock(&db, "x", &policy), Err(UnlockError::Wrong { tries_left: 2 })));
        // A success resets the count.
        assert_eq!(unlock(&db, "right", &policy).unwrap().role().unwrap(), Some(Role::Supervisor));
        assert_eq!(tries_left(&db, &policy), Some(3));
        assert!(matches!(unlock(&db, "x", &policy), Err(UnlockError::Wrong { tries_left: 2 })));
        assert!(matches!(unlock(&db, "x", &policy), Err(UnlockError::Wrong { tries_left: 1 })));
        assert!(matches!(unlock(&db, "x", &policy), Err(UnlockError::LockedOut)));
        // Even the right passphrase is refused now.
        assert!(matches!(unlock(&db, "right", &policy), Err(UnlockError::LockedOut)));
        clear_lockout(&db).unwrap();
        assert!(unlock(&db, "right", &policy).is_ok());
    }

    #[test]
    fn wipe_policy_erases_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let db = store(dir.path());
        let policy = UnlockPolicy { max_failures: 2, on_too_many: OnTooManyFailures::Wipe };
        assert!(matches!(unlock(&db, "x", &policy), Err(UnlockError::Wrong { tries_left: 1 })));
        assert!(matches!(unlock(&db, "x", &policy), Err(UnlockError::Wiped)));
        assert!(!db.exists());
        assert!(!key_path(&db).exists());
        assert!(matches!(unlock(&db, "right", &policy), Err(UnlockError::Store(StoreError::NotFound(_)))));
    }

    #[test]
    fn messages_tell_the_officer_how_many_tries_are_left() {
        assert_eq!(UnlockError::Wrong { tries_left: 1 }.to_string(), "The passphrase is wrong. 1 try left.");
        assert_eq!(UnlockError::Wrong { tries_left: 4 }.to_string(), "The passphrase is wrong. 4 tries left.");
    }
}

/// Changes the officer's passphrase: the same database key is re-wrapped under the new one
/// (the database is not re-encrypted). The key file is replaced atomically.
pub fn change_passphrase(db: &Path, old: &str, new: &str, kdf: crate::KdfParams) -> Result<(), UnlockError> {
    if new.is_empty() {
        return Err(StoreError::Invalid("the new passphrase must not be empty".into()).into());
    }
    let envelope = crate::keys::Envelope::read(&key_path(db)).map_err(StoreError::from)?;
    let rewrapped = envelope.rewrap(old, new, kdf).map_err(|e| match e {
        crate::KeyError::WrongPassphrase => UnlockError::Wrong { tries_left: 0 },
        other => UnlockError::Store(other.into()),
    })?;
    rewrapped.replace(&key_path(db)).map_err(StoreError::from)?;
    Ok(())
}

#[cfg(test)]
mod passphrase_tests {
    use super::*;
    use crate::KdfParams;

    #[test]
    fn change_passphrase_rewraps_without_reencrypting() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        drop(Store::create(&db, "old", "PC1", KdfParams::INSECURE_FAST).unwrap());
        let before = std::fs::read(&db).unwrap();
        assert!(change_passphrase(&db, "wrong", "new", KdfParams::INSECURE_FAST).is_err());
        change_passphrase(&db, "old", "new", KdfParams::INSECURE_FAST).unwrap();
        assert_eq!(std::fs::read(&db).unwrap(), before, "the database file must not be re-encrypted");
        assert!(matches!(Store::open(&db, "old"), Err(StoreError::WrongPassphrase)));
        assert!(Store::open(&db, "new").is_ok());
    }
}
