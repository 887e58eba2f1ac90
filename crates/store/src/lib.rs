//! Bluelamp's local store: one SQLCipher-encrypted SQLite file per officer and device.
//!
//! - [`keys`]: the random 256-bit database key, wrapped under an Argon2id key derived from the
//!   officer's passphrase, kept in a small sidecar file (`<db>.keys`) so that changing the
//!   passphrase re-wraps the key without re-encrypting the database.
//! - [`schema`]: versioned, forward-only migrations.
//! - [`Store`]: the typed operations the shells (app, CLI) call. Each user write is one
//!   transaction.
//!
//! The database runs in WAL mode with `synchronous=FULL`: what an officer typed survives a
//! crash or power cut once the call returns.

pub mod audit;
pub mod casework;
pub mod conflicts;
pub mod keys;
mod nominals;
pub mod provisional;
mod pulled;
pub mod schema;
pub mod search;
pub mod status;
pub mod sync;
pub mod unlock;
pub mod victims;

use std::path::{Path, PathBuf};

use rusqlite::Connection;

pub use audit::{Actor, AuditAction, AuditEvent, AuditOutcome, OutboxMutation, VerifyReport};
pub use keys::{KdfParams, KeyError};
pub use nominals::{AddressRecord, MarkerRecord, NominalDetails, NominalRecord};

/// Errors of the store. `Display` texts are safe to show to an officer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("The passphrase is wrong.")]
    WrongPassphrase,
    #[error("There is no Bluelamp store at {0}.")]
    NotFound(PathBuf),
    #[error("A Bluelamp store already exists at {0}.")]
    AlreadyExists(PathBuf),
    #[error("The store file is damaged or is not a Bluelamp store; it has been left untouched.")]
    Corrupt,
    /// What an interrupted creation left ([`exists`]): nothing was ever stored in it.
    #[error(
        "Making the store at {0} was interrupted before it finished (the process was stopped or the \
         power failed), so nothing was ever stored in it: make it again (`init`, or the first sign-in)."
    )]
    Interrupted(PathBuf),
    #[error("The store was written by a newer Bluelamp (schema {found}, this build knows {known}).")]
    TooNew { found: i64, known: i64 },
    /// The key file's own error is part of the message, not a source: printed with its sources
    /// (anyhow's `{:#}`) it would say it twice.
    #[error("The key file could not be read or written: {0}")]
    Keys(KeyError),
    #[error(
        "The key file {0} is missing: the store cannot be opened without it. It is kept beside the \
         store; copy it back from where the store came from."
    )]
    KeyFileMissing(PathBuf),
    #[error("Invalid input: {0}")]
    Invalid(String),
    /// Another process is doing it now; try again once it has finished.
    #[error("{0}")]
    Busy(String),
    #[error(
        "The store {0} cannot be opened for writing (a read-only disk or folder, or no permission): \
         Bluelamp writes beside a store even to read it. Copy it, with its .keys file, to a folder \
         you can write to."
    )]
    ReadOnly(PathBuf),
    /// The SQLite and I/O errors are part of the message, not sources: printed with their sources
    /// (anyhow's `{:#}`) they said it twice ("database is locked: database is locked").
    #[error("The local store failed: {0}")]
    Sqlite(rusqlite::Error),
    #[error("The local store could not be accessed: {0}")]
    Io(std::io::Error),
    /// The record of wrong passphrases beside the store (`<db>.attempts`, or its lock) cannot be
    /// read or written: no passphrase is checked, since a wrong one could not be counted.
    #[error(
        "The record of wrong passphrases beside the store, {path}, cannot be kept ({reason}): unlocking is \
         refused until it can, since wrong passphrases would not be counted. Ask IT to remove or repair {path}."
    )]
    AttemptsUnkept { path: PathBuf, reason: String },
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        cannot_write(&e).unwrap_or(StoreError::Sqlite(e))
    }
}

/// A full disk, a file-size limit or a failing disk, said as that: not SQLite's bare "disk I/O
/// error", and never "damaged" (which invites deleting a store that holds unsynced writes). A
/// failed write rolls back, so nothing of it was saved.
fn cannot_write(e: &rusqlite::Error) -> Option<StoreError> {
    let rusqlite::Error::SqliteFailure(f, _) = e else { return None };
    match f.code {
        rusqlite::ErrorCode::DiskFull => Some(StoreError::Io(std::io::Error::new(
            std::io::ErrorKind::StorageFull,
            "the disk is full, so nothing was saved; free some space and try again",
        ))),
        rusqlite::ErrorCode::SystemIoFailure => Some(StoreError::Io(std::io::Error::other(format!(
            "the disk could not be written ({e}: a full disk, a file-size limit or a failing disk), \
             so nothing was saved; free some space and try again"
        )))),
        _ => None,
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::Io(e)
    }
}

/// What the first read of a freshly keyed connection failing means: a wrong key or a damaged
/// file (`Corrupt`), unless SQLite could not write beside the store (its WAL index, even to
/// read), which is a read-only place, or a full disk or a file-size limit, not damage.
fn first_read_error(e: &rusqlite::Error, db: &Path) -> StoreError {
    use rusqlite::ErrorCode::{CannotOpen, PermissionDenied, ReadOnly};
    match e {
        rusqlite::Error::SqliteFailure(f, _) if matches!(f.code, ReadOnly | CannotOpen | PermissionDenied) => {
            StoreError::ReadOnly(db.to_path_buf())
        }
        _ => cannot_write(e).unwrap_or(StoreError::Corrupt),
    }
}

impl From<KeyError> for StoreError {
    fn from(e: KeyError) -> Self {
        StoreError::Keys(e)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An open, unlocked store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// A file beside the database at `db`: its name with `suffix` appended (`.keys`, `-wal`, …).
pub(crate) fn beside(db: &Path, suffix: &str) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The files of the store at `db`, the database first. A wipe removes them; an unlock narrows
/// them to their owner. (The key file and its replacement are handled apart: a wipe overwrites
/// them first.)
pub(crate) const STORE_FILE_SUFFIXES: [&str; 6] = ["", "-wal", "-shm", ".attempts", ".attempts.tmp", ".attempts.lock"];

/// Where the wrapped key of the database at `db` lives.
pub fn key_path(db: &Path) -> PathBuf {
    beside(db, ".keys")
}

/// The marker of a store being made ([`Store::create`]): created first, held locked while the
/// store is made, removed last. The key file is the last file made (written beside the database
/// as [`staged_key_path`], renamed into place once the database is whole), so a store with a key
/// file is always whole, whatever marker lies beside it.
pub(crate) fn creating_path(db: &Path) -> PathBuf {
    beside(db, ".creating")
}

/// Where a creation writes the key file before the database is whole ([`creating_path`]).
pub(crate) fn staged_key_path(db: &Path) -> PathBuf {
    beside(db, ".keys.new")
}

/// Whether a store exists at `db`: its database file, unless that is what an interrupted
/// creation left (nothing was ever stored in it, and [`Store::create`] makes it afresh).
/// Callers that create a store when there is none ask this, not `Path::exists`: a half-made
/// store otherwise opened as "damaged" for good, and `init` refused to make it again.
pub fn exists(db: &Path) -> bool {
    db.exists() && !interrupted_creation(db)
}

/// Whether the files at `db` are what an interrupted creation left: its marker, unlocked (the
/// creating process is gone), no key file (the last file a creation makes), and either no
/// database at all, or the key that creation staged, named in its marker (the staged key's
/// checksum, written before the database is made). A database with its key file is never one,
/// nor one whose key file was lost (which its key file copied back opens), whatever stray
/// marker or staged key lies beside it.
pub(crate) fn interrupted_creation(db: &Path) -> bool {
    creating_path(db).exists() && leftover_files(db) && !creation_running(db)
}

/// The files at `db` are a creation's own (whichever creation): no key file, and no database or
/// the staged key its marker names.
fn leftover_files(db: &Path) -> bool {
    !key_path(db).exists() && (!db.exists() || staged_key_is_the_markers(db))
}

/// Another process is making a store at `db` and has not yet put its key file in place.
pub(crate) fn being_created(db: &Path) -> bool {
    creation_running(db) && !key_path(db).exists()
}

/// Removes `files`; one that is not there is no error.
pub(crate) fn remove_present(files: impl IntoIterator<Item = PathBuf>) -> std::io::Result<()> {
    for f in files {
        match std::fs::remove_file(&f) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Whether the staged key is a key file whose checksum is what the marker holds.
fn staged_key_is_the_markers(db: &Path) -> bool {
    let Ok(named) = std::fs::read_to_string(creating_path(db)) else { return false };
    let named = named.trim();
    !named.is_empty()
        && keys::Envelope::read(&staged_key_path(db))
            .is_ok_and(|e| e.checksum_matches() == Some(true) && e.check_value() == Some(named))
}

/// Whether another process holds the marker of a creation at `db`.
fn creation_running(db: &Path) -> bool {
    match std::fs::File::open(creating_path(db)) {
        Ok(marker) => matches!(marker.try_lock(), Err(std::fs::TryLockError::WouldBlock)),
        Err(_) => false,
    }
}

/// A creation in progress: holds its marker ([`creating_path`]) locked, so that no other process
/// takes it for an interrupted one, until [`Creation::finish`] removes it.
struct Creation {
    marker: std::fs::File,
    path: PathBuf,
}

impl Creation {
    /// Takes the marker of a creation at `db`, refused while another creation holds it (after a
    /// short wait: a check such as [`exists`] holds it for a moment). An interrupted creation's
    /// half-made store ([`interrupted_creation`]) is removed; anything else is left alone.
    fn begin(db: &Path) -> Result<Creation> {
        let path = creating_path(db);
        let mut tries = 0;
        let marker = loop {
            let marker = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path)?;
            match marker.try_lock() {
                // The marker locked must still be the one at its path: another creation that
                // finished removed the file it held, and a third may have made a new one.
                Ok(()) if same_file(&marker, &path) => break marker,
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
            }
            tries += 1;
            if tries > 25 {
                return Err(StoreError::Busy(format!(
                    "a store is being made at {} right now, by another Bluelamp: wait for it to finish",
                    db.display()
                )));
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        // Under the lock, as `interrupted_creation` says.
        let creation = Creation { marker, path };
        if leftover_files(db) {
            remove_present(STORE_FILE_SUFFIXES.iter().map(|s| beside(db, s)).chain([staged_key_path(db)]))?;
        } else if db.exists() {
            // Not a creation's leftover: a database without a key file that no creation staged
            // a key for (a store whose key file was lost). Left alone.
            creation.finish();
            return Err(StoreError::AlreadyExists(db.to_path_buf()));
        }
        Ok(creation)
    }

    /// Names the staged key in the marker (its checksum), before the database is made: what
    /// tells this creation's leftovers from anything else's.
    fn name_staged_key(&mut self, check: &str) -> std::io::Result<()> {
        use std::io::{Seek, Write};
        self.marker.set_len(0)?;
        self.marker.seek(std::io::SeekFrom::Start(0))?;
        self.marker.write_all(check.as_bytes())?;
        self.marker.sync_all()
    }

    /// The store is whole, or what was made of it removed: the marker goes. (Left behind, by a
    /// failed removal or a kill just before, it is harmless: the key file is in place.)
    fn finish(self) {
        let Creation { marker, path } = self;
        let _ = std::fs::remove_file(&path);
        let _ = marker.unlock();
    }
}

/// A marker a creation left when it was killed after its key file was in place (harmless: the
/// store is whole) is removed when `init` is run again on the store, once no creation holds it
/// (a fresh-clone CI run's kill landed there: the marker stayed beside a working store).
fn tidy_stale_marker(db: &Path) {
    let path = creating_path(db);
    if !key_path(db).exists() {
        return;
    }
    let Ok(marker) = std::fs::OpenOptions::new().read(true).write(true).open(&path) else { return };
    if marker.try_lock().is_ok() && same_file(&marker, &path) && key_path(db).exists() {
        let _ = std::fs::remove_file(&path);
        let _ = marker.unlock();
    }
}

/// Whether the open `file` is the file at `path` now.
fn same_file(file: &std::fs::File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        // Elsewhere an open file cannot be removed: the one locked is the one at the path.
        let _ = (file, path);
        true
    }
}

/// Every file a store at `db` may have: [`STORE_FILE_SUFFIXES`], its key file and the key's
/// replacement, a creation's marker and staged key (for callers that must not write over any
/// of them).
pub fn store_files(db: &Path) -> Vec<PathBuf> {
    STORE_FILE_SUFFIXES
        .iter()
        .map(|s| beside(db, s))
        .chain([key_path(db), keys::replacement_path(&key_path(db)), creating_path(db), staged_key_path(db)])
        .collect()
}

/// The store that `path` is a file of, if any: the database itself or one of [`store_files`]
/// beside it, where that database's key file exists (for callers that must not write over any
/// Bluelamp store's files, whichever of them they are given).
pub fn store_of(path: &Path) -> Option<PathBuf> {
    let name = path.as_os_str().to_str()?;
    // The key file and its replacement ([`key_path`], `keys::replacement_path`), a creation's
    // marker and staged key ([`creating_path`], [`staged_key_path`]).
    let suffixes = STORE_FILE_SUFFIXES.iter().copied().chain([".keys", ".keys.tmp", ".creating", ".keys.new"]);
    suffixes
        .filter_map(|suffix| name.strip_suffix(suffix))
        .filter(|db| !db.is_empty())
        .map(PathBuf::from)
        .find(|db| key_path(db).is_file())
}

impl Store {
    /// Creates a new store at `db` for `officer_id`, protected by `passphrase`.
    pub fn create(db: &Path, passphrase: &str, officer_id: &str, kdf: KdfParams) -> Result<Store> {
        if db.is_dir() {
            return Err(StoreError::Invalid(format!("{} is a folder: name a file for the store in it", db.display())));
        }
        if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty() && !d.is_dir()) {
            return Err(StoreError::Invalid(format!("the folder {} does not exist", dir.display())));
        }
        if passphrase.trim().is_empty() {
            return Err(StoreError::Invalid("the passphrase must not be empty or only spaces".into()));
        }
        // Every access-log entry names the officer: an empty id made a store no command could
        // use, and a control character went into every entry.
        if !bluelamp_protocol::session::is_valid_officer_id(officer_id) {
            return Err(StoreError::Invalid(
                "the officer id must be 1 to 64 letters, digits, '.', '_' or '-' (not starting with '.')".into(),
            ));
        }
        // A whole store, or a key file: never replaced. A database without a key file is
        // replaced only when an interrupted creation left it (`begin` checks again, locked).
        if key_path(db).exists() || exists(db) {
            tidy_stale_marker(db);
            return Err(StoreError::AlreadyExists(db.to_path_buf()));
        }
        // The cleanup below runs on errors; a process killed part-way (or a power cut) runs
        // none, and left a key file beside an empty database: a store every later command
        // called damaged, and `init` and `enrol` refused to make again. Now the key file comes
        // last, the marker says a creation is under way, and the next creation replaces what an
        // interrupted one left.
        let mut creation = Creation::begin(db)?;
        let made = Store::create_under_marker(db, passphrase, officer_id, kdf, &mut creation);
        // Whole, or cleaned up: either way the marker goes.
        creation.finish();
        made
    }

    fn create_under_marker(
        db: &Path,
        passphrase: &str,
        officer_id: &str,
        kdf: KdfParams,
        creation: &mut Creation,
    ) -> Result<Store> {
        if db.exists() || key_path(db).exists() {
            return Err(StoreError::AlreadyExists(db.to_path_buf()));
        }
        let (envelope, key) = keys::Envelope::new(passphrase, officer_id, kdf)?;
        let (kp, staged) = (key_path(db), staged_key_path(db));
        // A creation that fails part-way (a full disk) removes what it made. Only files this
        // call created are removed (each is created with create_new).
        let created_key =
            |e: &KeyError| !matches!(e, KeyError::Io(io) if io.kind() == std::io::ErrorKind::AlreadyExists);
        if let Err(e) = envelope.write_new(&staged) {
            if created_key(&e) {
                let _ = std::fs::remove_file(&staged);
            }
            return Err(e.into());
        }
        let remove_made = || {
            for f in ["", "-wal", "-shm"].iter().map(|s| beside(db, s)).chain([staged.clone()]) {
                let _ = std::fs::remove_file(f);
            }
        };
        if let Err(e) = creation.name_staged_key(envelope.check_value().unwrap_or_default()) {
            let _ = std::fs::remove_file(&staged);
            return Err(e.into());
        }
        // The database file is created empty, owner-only, before SQLite opens it: SQLite gives
        // the -wal and -shm files the database file's permissions.
        if let Err(e) = keys::owner_only(db, true) {
            let _ = std::fs::remove_file(&staged);
            return Err(e.into());
        }
        let store = Store::open_with_key(db, &key, schema::CURRENT, false).inspect_err(|_| remove_made())?;
        // The database is whole: the key file goes into place, the last step.
        if let Err(e) = std::fs::rename(&staged, &kp) {
            drop(store);
            remove_made();
            return Err(e.into());
        }
        Ok(store)
    }

    /// Creates a store whose schema stops at `version`: for migration tests only.
    #[doc(hidden)]
    pub fn create_at_schema_version(
        db: &Path,
        passphrase: &str,
        officer_id: &str,
        kdf: KdfParams,
        version: i64,
    ) -> Result<Store> {
        let (envelope, key) = keys::Envelope::new(passphrase, officer_id, kdf)?;
        envelope.write_new(&key_path(db))?;
        Store::open_with_key(db, &key, version, false)
    }

    /// Opens the store at `db` with the officer's passphrase.
    pub fn open(db: &Path, passphrase: &str) -> Result<Store> {
        if !db.exists() {
            return Err(StoreError::NotFound(db.to_path_buf()));
        }
        if interrupted_creation(db) {
            return Err(StoreError::Interrupted(db.to_path_buf()));
        }
        if being_created(db) {
            return Err(StoreError::Busy(format!(
                "the store at {} is being made right now, by another Bluelamp: try again once it has finished",
                db.display()
            )));
        }
        if !db.is_file() {
            return Err(StoreError::Invalid(format!(
                "{} is not a store file (it is a folder or a device): name the store's database file",
                db.display()
            )));
        }
        let kp = key_path(db);
        let envelope = keys::Envelope::read(&kp).map_err(|e| match e {
            KeyError::Missing => StoreError::KeyFileMissing(kp.clone()),
            other => StoreError::Keys(other),
        })?;
        let key = envelope.unwrap_key(passphrase).map_err(|e| match e {
            KeyError::WrongPassphrase => StoreError::WrongPassphrase,
            other => StoreError::Keys(other),
        })?;
        // A key file written before key files had a checksum gets one (best effort: atomic,
        // and a store that cannot be written is refused below anyway).
        if envelope.unchecked() {
            let _ = envelope.clone().checked().replace(&kp);
        }
        // A store an earlier build created readable by others is narrowed to its owner.
        for file in STORE_FILE_SUFFIXES.iter().map(|s| beside(db, s)).chain([kp]) {
            keys::restrict_to_owner(&file);
        }
        Store::open_with_key(db, &key, schema::CURRENT, true)
    }

    /// `existing`: the store was created before, so its database must hold a schema. An
    /// emptied database file (truncated, or replaced by an empty one) would otherwise open as
    /// a new empty store, and `audit verify` would call its missing access log intact.
    fn open_with_key(db: &Path, key: &keys::DbKey, schema_version: i64, existing: bool) -> Result<Store> {
        // Keying is serialised across the process: SQLCipher's crypto-provider activation on
        // the first keyed connections is not safe to race (seen as an intermittent "An error
        // occurred with PRAGMA key or rekey" when tests open many stores at once; compare
        // sqlcipher/sqlcipher#2). Opening a store is rare, so the lock costs nothing.
        static KEYING: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let keying = KEYING.lock().unwrap_or_else(|p| p.into_inner());
        let conn = Connection::open(db)?;
        // The key must be the first statement on the connection. The raw-key form skips
        // SQLCipher's own KDF: ours (Argon2id) already ran.
        conn.execute_batch(&key.key_pragma())?;
        // SQLCipher prints its own ERROR lines ("hmac check failed…") to stderr on a wrong key
        // or a damaged page; the caller gets `Corrupt` with one clear message instead. The
        // setting is process-wide and must come after SQLCipher's first activation (opening a
        // connection), which would otherwise reset it to WARN.
        // Only logging: a failure here must never fail the open.
        let _ = conn.execute_batch("PRAGMA cipher_log_level = NONE;");
        // A wrong key or a damaged file shows up at the first read.
        match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)) {
            Err(e) => return Err(first_read_error(&e, db)),
            Ok(0) if existing => return Err(StoreError::Corrupt),
            Ok(_) => {}
        }
        drop(keying);
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA temp_store = MEMORY;
             PRAGMA busy_timeout = 5000;",
        )?;
        let mut store = Store { conn, path: db.to_path_buf() };
        schema::migrate_to(&mut store.conn, schema_version)?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The officer this store belongs to.
    pub fn officer_id(&self) -> Result<String> {
        Ok(keys::Envelope::read(&key_path(&self.path))?.officer_id)
    }

    /// Direct access for tests and for modules of this crate.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }
}

#[cfg(test)]
mod open_error_tests {
    use super::*;

    fn failure(code: std::os::raw::c_int) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    /// A store on a read-only disk is said to be that, not "damaged"; a wrong key or a damaged
    /// page (not a database) still is.
    #[test]
    fn a_read_only_place_is_not_called_damage() {
        let db = Path::new("/mnt/ro/s.db");
        for code in [rusqlite::ffi::SQLITE_READONLY, rusqlite::ffi::SQLITE_CANTOPEN, rusqlite::ffi::SQLITE_PERM] {
            let e = first_read_error(&failure(code), db);
            assert!(matches!(&e, StoreError::ReadOnly(p) if p == db), "{code}: {e}");
            assert!(e.to_string().contains("cannot be opened for writing"), "{e}");
        }
        assert!(matches!(first_read_error(&failure(rusqlite::ffi::SQLITE_NOTADB), db), StoreError::Corrupt));
        assert!(matches!(first_read_error(&failure(rusqlite::ffi::SQLITE_CORRUPT), db), StoreError::Corrupt));
    }

    /// A full disk or a file-size limit met while opening (SQLite writes its WAL index even to
    /// read) is said as that, not as a damaged store an officer or IT might delete; so are the
    /// same failures on a later write (SQLite's bare "disk I/O error" said nothing useful).
    /// Resilience review, 7 Dec 2026.
    #[test]
    fn a_full_disk_is_not_called_damage() {
        let db = Path::new("/mnt/full/s.db");
        for code in [rusqlite::ffi::SQLITE_FULL, rusqlite::ffi::SQLITE_IOERR, rusqlite::ffi::SQLITE_IOERR_WRITE] {
            for e in [first_read_error(&failure(code), db), StoreError::from(failure(code))] {
                let msg = e.to_string();
                assert!(!matches!(e, StoreError::Corrupt | StoreError::Sqlite(_)), "{code}: {e:?}");
                assert!(msg.contains("nothing was saved") && msg.contains("free some space"), "{code}: {msg}");
                assert!(!msg.contains("damaged"), "{msg}");
            }
        }
        let full = StoreError::from(failure(rusqlite::ffi::SQLITE_FULL));
        assert!(matches!(&full, StoreError::Io(io) if io.kind() == std::io::ErrorKind::StorageFull), "{full:?}");
        assert!(full.to_string().contains("the disk is full"), "{full}");
    }

    /// The cause is said once, not again as a source ("database is locked: database is locked").
    #[test]
    fn sqlite_and_io_errors_say_their_cause_once() {
        let e = StoreError::from(failure(rusqlite::ffi::SQLITE_BUSY));
        assert!(std::error::Error::source(&e).is_none());
        assert_eq!(e.to_string().matches("database is locked").count(), 1, "{e}");
        let e = StoreError::from(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert!(std::error::Error::source(&e).is_none());
    }
}
