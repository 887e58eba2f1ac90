//! Unlocking a store with a counted number of tries, and the officer's role.
//!
//! Consecutive wrong passphrases are counted in `<db>.attempts` (next to the key file). After
//! `max_failures` the store is either locked out (it then opens only after the officer
//! re-authenticates online; sync clears the lock-out) or crypto-erased, as the force's config
//! says. The counter is a policy control for the officer in front of the laptop; protection
//! against someone who copies the files is the Argon2id cost of each guess.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use bluelamp_protocol::session::Role;
use bluelamp_protocol::wire::Instruction;
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

impl UnlockPolicy {
    /// The force's policy from the environment, shared by the app and the CLI:
    /// `BLUELAMP_MAX_UNLOCK_FAILURES` (default 5) and `BLUELAMP_ON_TOO_MANY_FAILURES`
    /// (`lock`, the default, or `wipe`).
    pub fn from_env() -> std::result::Result<UnlockPolicy, String> {
        let mut policy = UnlockPolicy::default();
        if let Ok(v) = std::env::var("BLUELAMP_MAX_UNLOCK_FAILURES") {
            let n: u32 = v.trim().parse().map_err(|_| format!("BLUELAMP_MAX_UNLOCK_FAILURES={v} is not valid"))?;
            policy.max_failures = n.max(1);
        }
        match std::env::var("BLUELAMP_ON_TOO_MANY_FAILURES").as_deref() {
            Ok("wipe") => policy.on_too_many = OnTooManyFailures::Wipe,
            Ok("lock") | Err(_) => {}
            Ok(other) => return Err(format!("BLUELAMP_ON_TOO_MANY_FAILURES={other}: use lock or wipe")),
        }
        Ok(policy)
    }
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
    /// The central service ordered this device locked (a lost or stolen device).
    #[error(
        "The central service locked this device: it opens only after you sign in online again (connect to the \
         central service; in bluelamp-cli, enrol)."
    )]
    RemoteLocked,
    /// The central service ordered this device wiped, and writes made here were still to be
    /// sent: the store stays locked, keeping them, until a sync sends them and wipes it.
    #[error(
        "The central service ordered this device wiped: it stays locked, keeping the writes not yet sent, until \
         it reaches the central service, which receives them before the store is erased (sign in online; in \
         bluelamp-cli, sync)."
    )]
    RemoteWipePending,
    #[error("Too many wrong passphrases: the local store has been erased, as your force's policy requires.")]
    Wiped,
    /// A wrong passphrase at a locked-out store (before the online sign-in): counted, and the
    /// next try waits.
    #[error("The passphrase is wrong. The store stays locked; wait {wait_secs} seconds before the next try.")]
    WrongWhileLockedOut { wait_secs: u64 },
    /// A try at a locked-out store too soon after a wrong one.
    #[error("Too many wrong passphrases: wait {wait_secs} seconds before the next try.")]
    Wait { wait_secs: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Attempts {
    failures: u32,
    locked_out: bool,
    /// Wrong passphrases typed at the store while it is locked out.
    #[serde(default)]
    locked_failures: u32,
    /// While locked out, no passphrase is checked before this time (Unix seconds).
    #[serde(default)]
    not_before: u64,
    /// The lock-out is the central service's order, not wrong passphrases. The order is kept
    /// inside the encrypted store too (`Store::pending_instruction`), which is what counts:
    /// this copy only lets the right message be given before a passphrase is checked.
    #[serde(default)]
    ordered: Option<Instruction>,
    /// How many of the wrong passphrases counted here are in the access log already.
    #[serde(default)]
    logged: u32,
}

impl Attempts {
    /// Wrong passphrases counted here and not yet in the access log.
    fn unlogged(&self) -> u32 {
        self.failures.saturating_add(self.locked_failures).saturating_sub(self.logged)
    }
}

/// Writes the wrong passphrases typed before this unlock to the store's access log, once the
/// right one has opened it: an `unlock_failed` entry with how many, and whether they locked the
/// store (failed logons are an audit event; they were counted only in the file beside the
/// store, which a successful unlock then reset; review, 7 Dec 2026). Its outcome is `failure`
/// (it was recorded as `success`, so a search of the log for failures missed it).
fn log_failures(store: &mut Store, attempts: &Attempts) -> Result<()> {
    let n = attempts.unlogged();
    if n == 0 {
        return Ok(());
    }
    let actor = store.actor()?;
    store.audit(
        &actor,
        crate::AuditEvent::new(crate::AuditAction::UnlockFailed, "session")
            .outcome(crate::AuditOutcome::Failure)
            .detail(serde_json::json!({
                "wrong_passphrases": n,
                "locked_out": attempts.locked_out,
            })),
    )?;
    Ok(())
}

/// One passphrase check at a time in this process: the count is read, the slow key derivation
/// runs, then the count is written, and two checks side by side would each count from the
/// same number (N parallel guesses costing one try).
static CHECKING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The record of wrong passphrases held for one read-modify-write: this process's turn
/// ([`CHECKING`]) and, across processes, an exclusive lock on `<db>.attempts.lock` (a file that
/// is never renamed, so every process locks the same one; the record itself is replaced by a
/// rename). Twelve `bluelamp-cli` processes given wrong passphrases at once each read a count
/// of 0 and wrote 1, and raced on the temporary file (review, 7 Dec 2026).
struct AttemptsLock {
    _file: Option<std::fs::File>,
    _turn: std::sync::MutexGuard<'static, ()>,
}

fn unkept(path: PathBuf, e: &std::io::Error) -> StoreError {
    let reason = if path.is_dir() { "it is a folder".to_string() } else { e.to_string() };
    StoreError::AttemptsUnkept { path, reason }
}

/// Why the lock file beside the store at `db` could not be opened: a read-only place (a disk,
/// a folder, no permission) is said as that, as opening the store would say it (SQLite too
/// writes beside a store to read it); anything else is a record that cannot be kept.
fn lock_file_error(db: &Path, path: PathBuf, e: &std::io::Error) -> StoreError {
    use std::io::ErrorKind::{PermissionDenied, ReadOnlyFilesystem};
    if matches!(e.kind(), PermissionDenied | ReadOnlyFilesystem) && !path.is_dir() {
        StoreError::ReadOnly(db.to_path_buf())
    } else {
        unkept(path, e)
    }
}

/// Takes the record of wrong passphrases of the store at `db` for this caller alone, waiting
/// for any other process checking a passphrase now. No store, nothing to count (the open that
/// follows says there is none), and no lock file is made.
fn hold_attempts(db: &Path) -> Result<AttemptsLock> {
    let turn = CHECKING.lock().unwrap_or_else(|p| p.into_inner());
    if !db.exists() {
        return Ok(AttemptsLock { _file: None, _turn: turn });
    }
    let path = crate::beside(db, ".attempts.lock");
    let mut o = std::fs::OpenOptions::new();
    o.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let file = o.open(&path).map_err(|e| lock_file_error(db, path.clone(), &e))?;
    file.lock().map_err(|e| unkept(path, &e))?;
    Ok(AttemptsLock { _file: Some(file), _turn: turn })
}

/// The wait after the `n`th wrong passphrase at a locked-out store: 30 s, doubling, at most an
/// hour. The lock-out itself already stops the officer in front of the laptop; this stops the
/// same lock screen from being used to try passphrases without end (each answer says whether
/// the passphrase was right).
pub fn locked_out_wait_secs(n: u32) -> u64 {
    30u64.saturating_mul(1u64 << n.saturating_sub(1).min(16)).min(3600)
}

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn attempts_path(db: &Path) -> PathBuf {
    crate::beside(db, ".attempts")
}

/// The record of wrong passphrases: none is a count of 0; one that cannot be read (a folder in
/// its place, no permission) is an error, so that no passphrase is checked uncounted. (Content
/// that is not a record counts from 0 again, as a deleted file does: it is rewritten at the
/// next wrong passphrase.)
fn read_attempts(db: &Path) -> Result<Attempts> {
    let path = attempts_path(db);
    match std::fs::read(&path) {
        Ok(b) => Ok(serde_json::from_slice(&b).unwrap_or_default()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Attempts::default()),
        Err(e) => Err(unkept(path, &e)),
    }
}

/// [`read_attempts`] for what is only shown (the lock screen, `status`): an unreadable record
/// shows as none, and the unlock itself refuses.
fn shown_attempts(db: &Path) -> Attempts {
    read_attempts(db).unwrap_or_default()
}

/// Replaces the record (written beside it, then renamed over it, so a crash never leaves half a
/// record). Only under [`hold_attempts`]: the temporary file is one name for every process.
fn write_attempts(db: &Path, a: &Attempts, _held: &AttemptsLock) -> Result<()> {
    let path = attempts_path(db);
    let tmp = crate::beside(db, ".attempts.tmp");
    let written = (|| {
        let mut f = crate::keys::owner_only(&tmp, false)?;
        f.write_all(&serde_json::to_vec(a).map_err(std::io::Error::other)?)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    })();
    written.map_err(|e| unkept(path, &e))
}

/// How many tries are left before the policy acts (for the lock screen).
pub fn tries_left(db: &Path, policy: &UnlockPolicy) -> Option<u32> {
    let a = shown_attempts(db);
    (!a.locked_out).then(|| policy.max_failures.saturating_sub(a.failures))
}

/// Wrong passphrases since the last unlock, whether the store is locked out, and the order it
/// is locked under (as far as the file beside the store says), for `status`.
pub(crate) fn attempts_summary(db: &Path) -> (u32, bool, Option<Instruction>) {
    let a = shown_attempts(db);
    (a.failures.saturating_add(a.locked_failures), a.locked_out, a.locked_out.then_some(a.ordered).flatten())
}

pub fn is_locked_out(db: &Path) -> bool {
    shown_attempts(db).locked_out
}

/// The central service's order a locked-out store is under (as far as the file beside it
/// says; the encrypted store's own copy is checked when it is opened).
pub fn locked_by_order(db: &Path) -> Option<Instruction> {
    let a = shown_attempts(db);
    a.locked_out.then_some(a.ordered).flatten()
}

fn order_error(i: Instruction) -> UnlockError {
    match i {
        Instruction::Lock => UnlockError::RemoteLocked,
        Instruction::Wipe => UnlockError::RemoteWipePending,
    }
}

/// Opens the store, counting wrong passphrases.
pub fn unlock(db: &Path, passphrase: &str, policy: &UnlockPolicy) -> Result<Store, UnlockError> {
    let held = hold_attempts(db)?;
    let mut attempts = read_attempts(db)?;
    if attempts.locked_out {
        return Err(attempts.ordered.map(order_error).unwrap_or(UnlockError::LockedOut));
    }
    match Store::open(db, passphrase) {
        Ok(store) => {
            // A lock or wipe order is kept inside the encrypted store: deleting or editing the
            // attempts file beside it does not open a store the central service locked.
            if let Some(i) = store.pending_instruction()? {
                drop(store);
                lock_out_by_order_held(db, i, &held)?;
                return Err(order_error(i));
            }
            let mut store = store;
            log_failures(&mut store, &attempts)?;
            if attempts.failures > 0 || attempts.logged > 0 {
                write_attempts(db, &Attempts::default(), &held)?;
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
                        write_attempts(db, &attempts, &held)?;
                        Err(UnlockError::LockedOut)
                    }
                }
            } else {
                write_attempts(db, &attempts, &held)?;
                Err(UnlockError::Wrong { tries_left: policy.max_failures - attempts.failures })
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Opens a **locked-out** store with the officer's passphrase, for the online sign-in that
/// lifts the lock-out (the lock-out stays until [`clear_lockout`]). Every wrong passphrase is
/// counted and makes the next try wait ([`locked_out_wait_secs`]); a try during the wait is
/// refused without checking the passphrase. `now` is Unix seconds.
pub fn open_locked_out(db: &Path, passphrase: &str, now: u64) -> Result<Store, UnlockError> {
    let held = hold_attempts(db)?;
    let mut attempts = read_attempts(db)?;
    if now < attempts.not_before {
        // Never longer than the back-off itself: a wrong try made while the clock was ahead (a
        // dual-boot laptop keeping local time, a clock put right after the try) left a
        // `not_before` hours or a year away. The wait starts again from now, at most the
        // back-off of the tries counted.
        let most = locked_out_wait_secs(attempts.locked_failures.max(1));
        let wait_secs = attempts.not_before - now;
        if wait_secs > most {
            attempts.not_before = now.saturating_add(most);
            write_attempts(db, &attempts, &held)?;
            return Err(UnlockError::Wait { wait_secs: most });
        }
        return Err(UnlockError::Wait { wait_secs });
    }
    match Store::open(db, passphrase) {
        Ok(mut store) => {
            // The lock-out stays until the online sign-in lifts it; what is logged now is not
            // logged again at the next opening.
            if attempts.unlogged() > 0 {
                log_failures(&mut store, &attempts)?;
                attempts.logged = attempts.failures.saturating_add(attempts.locked_failures);
                write_attempts(db, &attempts, &held)?;
            }
            Ok(store)
        }
        Err(StoreError::WrongPassphrase) => {
            attempts.locked_failures = attempts.locked_failures.saturating_add(1);
            let wait_secs = locked_out_wait_secs(attempts.locked_failures);
            attempts.not_before = now.saturating_add(wait_secs);
            write_attempts(db, &attempts, &held)?;
            Err(UnlockError::WrongWhileLockedOut { wait_secs })
        }
        Err(e) => Err(e.into()),
    }
}

/// [`open_locked_out`] at the system clock's time.
pub fn open_locked_out_now(db: &Path, passphrase: &str) -> Result<Store, UnlockError> {
    open_locked_out(db, passphrase, now_secs())
}

/// Clears a lock-out after the officer re-authenticated online (called by sync).
pub fn clear_lockout(db: &Path) -> Result<()> {
    let held = hold_attempts(db)?;
    write_attempts(db, &Attempts::default(), &held)
}

/// Locks the store by the central service's order: until the officer re-authenticates online
/// (a lock), or until a sync has sent what is pending and wipes it (a wipe whose push did not
/// finish). The order itself must be kept in the store too (`Store::set_pending_instruction`):
/// that copy is the one [`unlock`] enforces.
pub fn lock_out_by_order(db: &Path, order: Instruction) -> Result<()> {
    let held = hold_attempts(db)?;
    lock_out_by_order_held(db, order, &held)
}

fn lock_out_by_order_held(db: &Path, order: Instruction, held: &AttemptsLock) -> Result<()> {
    // Unreadable, the record is written afresh: the order must be kept.
    let mut a = shown_attempts(db);
    a.locked_out = true;
    if a.ordered != Some(Instruction::Wipe) {
        a.ordered = Some(order);
    }
    write_attempts(db, &a, held)
}

/// Crypto-erase: the wrapped key is overwritten and removed (without it the database is
/// noise), then the database files go too. The key file is overwritten in place (opened
/// without truncating, so the zeros go to the blocks that held the key, as far as the file
/// system allows), and so is a replacement key file a crash during a passphrase change left
/// behind (it wraps the same key under the new passphrase).
pub fn wipe(db: &Path) -> Result<()> {
    let keys = key_path(db);
    for key_file in [crate::keys::replacement_path(&keys), keys] {
        if let Ok(meta) = std::fs::metadata(&key_file) {
            {
                let mut f = std::fs::OpenOptions::new().write(true).open(&key_file)?;
                f.write_all(&vec![0u8; usize::try_from(meta.len()).unwrap_or(0)])?;
                f.sync_all()?;
            }
            std::fs::remove_file(&key_file)?;
        }
    }
    crate::remove_present(crate::STORE_FILE_SUFFIXES.map(|s| crate::beside(db, s)))?;
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
        // Writes parked because the service refused the officer's role go back in the queue
        // once a sign-in (any: the round's, `enrol`, the app's) brings a role that allows
        // records work; `enrol` alone left them parked (before-stop review, 7 Dec 2026).
        if role.allows(bluelamp_protocol::session::Permission::RecordsWork) {
            self.outbox_requeue_role_refused()?;
        }
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
    fn a_locked_out_store_counts_wrong_passphrases_and_makes_each_next_try_wait() {
        let dir = tempfile::tempdir().unwrap();
        let db = store(dir.path());
        lock_out_by_order(&db, Instruction::Lock).unwrap();
        let t0 = 1_000_000;
        assert!(matches!(open_locked_out(&db, "x", t0), Err(UnlockError::WrongWhileLockedOut { wait_secs: 30 })));
        // During the wait even the right passphrase is not checked.
        assert!(matches!(open_locked_out(&db, "right", t0 + 29), Err(UnlockError::Wait { wait_secs: 1 })));
        assert!(matches!(open_locked_out(&db, "x", t0 + 30), Err(UnlockError::WrongWhileLockedOut { wait_secs: 60 })));
        assert!(matches!(open_locked_out(&db, "x", t0 + 90), Err(UnlockError::WrongWhileLockedOut { wait_secs: 120 })));
        // The right passphrase after the wait opens it, and it stays locked out until the
        // online sign-in clears it.
        assert!(open_locked_out(&db, "right", t0 + 210).is_ok());
        assert!(is_locked_out(&db));
        clear_lockout(&db).unwrap();
        assert!(!is_locked_out(&db));
        assert!(open_locked_out(&db, "x", t0 + 211).is_err());
        assert_eq!(locked_out_wait_secs(7), 1920);
        assert_eq!(locked_out_wait_secs(8), 3600);
        assert_eq!(locked_out_wait_secs(u32::MAX), 3600);
    }

    /// A wrong try made while the clock was a year (or an hour) ahead does not leave a wait of
    /// a year once the clock is right: never more than the back-off of the tries counted
    /// (resilience review, 7 Dec 2026: "wait 31536030 seconds").
    #[test]
    fn a_clock_put_back_after_a_wrong_try_never_makes_the_wait_longer_than_the_back_off() {
        let dir = tempfile::tempdir().unwrap();
        let db = store(dir.path());
        lock_out_by_order(&db, Instruction::Lock).unwrap();
        let t0 = 1_000_000_000;
        let year = 365 * 86_400;
        assert!(matches!(
            open_locked_out(&db, "x", t0 + year),
            Err(UnlockError::WrongWhileLockedOut { wait_secs: 30 })
        ));
        // The clock back to the right time: 30 seconds at most, not a year.
        assert!(matches!(open_locked_out(&db, "right", t0), Err(UnlockError::Wait { wait_secs: 30 })));
        assert!(matches!(open_locked_out(&db, "right", t0 + 10), Err(UnlockError::Wait { wait_secs: 20 })));
        assert!(open_locked_out(&db, "right", t0 + 30).is_ok());
        // An hour ahead after three wrong tries (a back-off of 120 s): 120 s at most.
        assert!(matches!(open_locked_out(&db, "x", t0 + 31), Err(UnlockError::WrongWhileLockedOut { wait_secs: 60 })));
        assert!(matches!(
            open_locked_out(&db, "x", t0 + 3600),
            Err(UnlockError::WrongWhileLockedOut { wait_secs: 120 })
        ));
        assert!(matches!(open_locked_out(&db, "right", t0 + 100), Err(UnlockError::Wait { wait_secs: 120 })));
    }

    /// Parallel checks are counted one by one (a race used to let N parallel guesses cost one).
    #[test]
    fn parallel_wrong_passphrases_are_each_counted() {
        let dir = tempfile::tempdir().unwrap();
        let db = store(dir.path());
        let policy = UnlockPolicy { max_failures: 50, on_too_many: OnTooManyFailures::Lock };
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    let _ = unlock(&db, "x", &policy);
                });
            }
        });
        assert_eq!(tries_left(&db, &policy), Some(42));
    }

    /// A store in a read-only place is said to be that (not a record to be repaired by IT); a
    /// folder where the lock file belongs is a record that cannot be kept.
    #[test]
    fn a_lock_file_that_cannot_be_made_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        let lock = crate::beside(&db, ".attempts.lock");
        for kind in [std::io::ErrorKind::PermissionDenied, std::io::ErrorKind::ReadOnlyFilesystem] {
            let e = lock_file_error(&db, lock.clone(), &std::io::Error::from(kind));
            assert!(matches!(e, StoreError::ReadOnly(ref p) if *p == db), "{e}");
        }
        let db = store(dir.path());
        std::fs::create_dir(&lock).unwrap();
        let e = lock_file_error(&db, lock.clone(), &std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert!(e.to_string().contains("it is a folder"), "{e}");
        assert!(matches!(
            unlock(&db, "right", &UnlockPolicy::default()),
            Err(UnlockError::Store(StoreError::AttemptsUnkept { .. }))
        ));
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
        // What a crash during a passphrase change leaves: the key wrapped under the new one.
        let left_over = crate::keys::replacement_path(&key_path(&db));
        std::fs::copy(key_path(&db), &left_over).unwrap();
        assert!(matches!(unlock(&db, "x", &policy), Err(UnlockError::Wrong { tries_left: 1 })));
        assert!(matches!(unlock(&db, "x", &policy), Err(UnlockError::Wiped)));
        assert!(!db.exists());
        assert!(!key_path(&db).exists());
        assert!(!left_over.exists(), "the left-over key file goes too");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.is_empty(), "nothing of the store is left: {left:?}");
        assert!(matches!(unlock(&db, "right", &policy), Err(UnlockError::Store(StoreError::NotFound(_)))));
    }

    /// A remote lock was only a flag in `<db>.attempts`: deleting that file opened the store
    /// offline. The order inside the encrypted store is enforced now, with its own message.
    #[test]
    fn a_lock_order_kept_in_the_store_outlives_the_attempts_file() {
        let dir = tempfile::tempdir().unwrap();
        let db = store(dir.path());
        let policy = UnlockPolicy::default();
        let mut s = Store::open(&db, "right").unwrap();
        s.set_pending_instruction(Some(Instruction::Lock)).unwrap();
        drop(s);
        lock_out_by_order(&db, Instruction::Lock).unwrap();
        assert!(matches!(unlock(&db, "right", &policy), Err(UnlockError::RemoteLocked)));
        std::fs::remove_file(attempts_path(&db)).unwrap();
        assert!(matches!(unlock(&db, "right", &policy), Err(UnlockError::RemoteLocked)));
        // Locked again by the store's copy: the next try is refused before any passphrase check.
        assert_eq!(locked_by_order(&db), Some(Instruction::Lock));
        let msg = UnlockError::RemoteLocked.to_string();
        assert!(msg.contains("central service locked this device") && msg.contains("sign in online"), "{msg}");
        assert!(!msg.contains("wrong passphrase"), "{msg}");
        // The online sign-in (enrol, the app's re-authentication) lifts it.
        let mut s = open_locked_out(&db, "right", now_secs()).unwrap();
        s.clear_lock_order().unwrap();
        drop(s);
        clear_lockout(&db).unwrap();
        assert!(unlock(&db, "right", &policy).is_ok());
    }

    /// An unfinished wipe keeps the store closed too, and signing in does not lift it.
    #[test]
    fn an_unfinished_wipe_order_keeps_the_store_closed() {
        let dir = tempfile::tempdir().unwrap();
        let db = store(dir.path());
        let policy = UnlockPolicy::default();
        let mut s = Store::open(&db, "right").unwrap();
        s.set_pending_instruction(Some(Instruction::Wipe)).unwrap();
        s.set_pending_instruction(Some(Instruction::Lock)).unwrap();
        s.clear_lock_order().unwrap();
        assert_eq!(s.pending_instruction().unwrap(), Some(Instruction::Wipe), "a wipe is never lowered");
        drop(s);
        assert!(matches!(unlock(&db, "right", &policy), Err(UnlockError::RemoteWipePending)));
        assert_eq!(locked_by_order(&db), Some(Instruction::Wipe));
        assert!(UnlockError::RemoteWipePending.to_string().contains("ordered this device wiped"));
        assert!(db.exists(), "kept, with its writes");
    }

    #[test]
    fn messages_tell_the_officer_how_many_tries_are_left() {
        assert_eq!(UnlockError::Wrong { tries_left: 1 }.to_string(), "The passphrase is wrong. 1 try left.");
        assert_eq!(UnlockError::Wrong { tries_left: 4 }.to_string(), "The passphrase is wrong. 4 tries left.");
    }
}

/// Changes the officer's passphrase: the same database key is re-wrapped under the new one
/// (the database is not re-encrypted). The key file is replaced atomically. The old passphrase
/// is checked as an unlock is ([`unlock`]): a wrong one counts towards the policy's limit, and
/// a locked-out store refuses, so changing the passphrase is no way round either.
pub fn change_passphrase(
    db: &Path,
    old: &str,
    new: &str,
    kdf: crate::KdfParams,
    policy: &UnlockPolicy,
) -> Result<(), UnlockError> {
    if new.trim().is_empty() {
        return Err(StoreError::Invalid("the new passphrase must not be empty or only spaces".into()).into());
    }
    drop(unlock(db, old, policy)?);
    let envelope = crate::keys::Envelope::read(&key_path(db)).map_err(StoreError::from)?;
    // A change never weakens the key derivation: a store made with the real settings keeps
    // them whatever is asked (the production CLI re-wrapped a real store with the test
    // settings, each guess then some 50 times cheaper; review, 7 Dec 2026).
    let kdf = crate::KdfParams {
        m_kib: kdf.m_kib.max(envelope.kdf.m_kib),
        t: kdf.t.max(envelope.kdf.t),
        p: kdf.p.max(envelope.kdf.p),
    };
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
        let policy = UnlockPolicy { max_failures: 2, on_too_many: OnTooManyFailures::Lock };
        assert!(matches!(
            change_passphrase(&db, "wrong", "new", KdfParams::INSECURE_FAST, &policy),
            Err(UnlockError::Wrong { tries_left: 1 })
        ));
        // (The wrong one is written to the access log at the next unlock.)
        drop(unlock(&db, "old", &policy).unwrap());
        let before = std::fs::read(&db).unwrap();
        change_passphrase(&db, "old", "new", KdfParams::INSECURE_FAST, &policy).unwrap();
        assert_eq!(std::fs::read(&db).unwrap(), before, "the database file must not be re-encrypted");
        assert!(matches!(Store::open(&db, "old"), Err(StoreError::WrongPassphrase)));
        assert!(Store::open(&db, "new").is_ok());
        // Nor only spaces, for a new passphrase or a new store.
        for blank in ["", " ", " \t "] {
            assert!(matches!(
                change_passphrase(&db, "new", blank, KdfParams::INSECURE_FAST, &policy),
                Err(UnlockError::Store(StoreError::Invalid(_)))
            ));
            let other = dir.path().join("o.db");
            assert!(matches!(
                Store::create(&other, blank, "PC1", KdfParams::INSECURE_FAST),
                Err(StoreError::Invalid(_))
            ));
            assert!(!other.exists());
        }
        assert!(Store::open(&db, "new").is_ok());
    }

    #[test]
    fn a_passphrase_change_never_weakens_the_key_derivation() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        let real = KdfParams { m_kib: 64, t: 3, p: 2 };
        drop(Store::create(&db, "old", "PC1", real).unwrap());
        let policy = UnlockPolicy::default();
        change_passphrase(&db, "old", "new", KdfParams::INSECURE_FAST, &policy).unwrap();
        let kept = crate::keys::Envelope::read(&key_path(&db)).unwrap().kdf;
        assert_eq!(kept, real);
        assert!(Store::open(&db, "new").is_ok());
    }

    /// Wrong passphrases reach the access log once the right one opens the store: counted
    /// before an unlock, and before the sign-in that lifts a lock-out, each once.
    #[test]
    fn wrong_passphrases_are_logged_once_the_store_is_open() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        drop(Store::create(&db, "right", "PC1", KdfParams::INSECURE_FAST).unwrap());
        let policy = UnlockPolicy { max_failures: 3, on_too_many: OnTooManyFailures::Lock };
        let failed = |s: &Store| -> Vec<serde_json::Value> {
            s.audit_list(&bluelamp_protocol::audit::AuditFilter::default())
                .unwrap()
                .into_iter()
                .filter(|e| e.action == "unlock_failed")
                .map(|e| e.detail)
                .collect()
        };
        for _ in 0..2 {
            assert!(unlock(&db, "wrong", &policy).is_err());
        }
        let s = unlock(&db, "right", &policy).unwrap();
        assert_eq!(failed(&s), [serde_json::json!({"wrong_passphrases": 2, "locked_out": false})]);
        drop(s);
        drop(unlock(&db, "right", &policy).unwrap());
        // Locked out by three, one more while locked, then the right one (twice).
        for _ in 0..3 {
            assert!(unlock(&db, "wrong", &policy).is_err());
        }
        assert!(is_locked_out(&db));
        assert!(open_locked_out(&db, "wrong", 0).is_err());
        let far = u64::MAX / 2;
        drop(open_locked_out(&db, "right", far).unwrap());
        let s = open_locked_out(&db, "right", far).unwrap();
        let logged = failed(&s);
        assert_eq!(logged.len(), 2, "{logged:?}");
        assert_eq!(logged[0], serde_json::json!({"wrong_passphrases": 4, "locked_out": true}), "newest first");
    }

    /// Wrong old passphrases count as wrong unlocks, and a locked-out store cannot have its
    /// passphrase changed (a way to guess without limit before).
    #[test]
    fn change_passphrase_counts_tries_and_respects_a_lock_out() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        drop(Store::create(&db, "old", "PC1", KdfParams::INSECURE_FAST).unwrap());
        let policy = UnlockPolicy { max_failures: 2, on_too_many: OnTooManyFailures::Lock };
        let change = |old: &str| change_passphrase(&db, old, "new", KdfParams::INSECURE_FAST, &policy);
        assert!(matches!(change("x"), Err(UnlockError::Wrong { tries_left: 1 })));
        assert!(matches!(change("y"), Err(UnlockError::LockedOut)));
        assert!(matches!(change("old"), Err(UnlockError::LockedOut)), "the right one too, once locked out");
        assert!(is_locked_out(&db));
        assert!(Store::open(&db, "old").is_ok(), "unchanged");
    }
}
