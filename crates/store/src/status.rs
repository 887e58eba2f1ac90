//! A store's health for IT support and scripts (`bluelamp-cli status`): what can be told from
//! outside without the passphrase ([`outside`]), and, opened, what it holds and what it has not
//! yet sent ([`Store::inside_status`]). Before a laptop is reimaged or handed on, this is what
//! says whether writes would be lost with it.

use std::path::Path;

use bluelamp_protocol::session::Role;
use bluelamp_protocol::wire::Instruction;
use serde::Serialize;

use crate::keys::{Envelope, KdfParams, KeyError};
use crate::{beside, key_path, Result, Store};

/// What the files say, read without the passphrase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum FileState {
    /// A database and a key file that reads.
    Present,
    /// No database at this path.
    NotFound,
    /// A folder (or another thing that is not a file) at this path.
    NotAFile,
    /// What a creation stopped part-way left: not a store (`crate::exists`).
    InterruptedCreation,
    /// Another process is creating it right now.
    BeingCreated,
    /// A database without its key file: it cannot be opened.
    KeyFileMissing,
    /// The key file does not read (not JSON, or its checksum does not match its fields).
    KeyFileDamaged { reason: String },
}

/// [`outside`]'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outside {
    #[serde(flatten)]
    pub state: FileState,
    /// The officer the store belongs to, from the key file.
    pub officer_id: Option<String>,
    /// The passphrase's key derivation, from the key file.
    pub kdf: Option<KdfParams>,
    /// `false` for a key file written before key files had a checksum (it gets one at its next
    /// unlock).
    pub key_checksum: Option<bool>,
    /// The database and its write-ahead log, in bytes.
    pub bytes: u64,
    /// Locked after too many wrong passphrases, or by the central service's order: only an
    /// online sign-in opens it.
    pub locked_out: bool,
    /// The central service's order it is locked under, as far as the file beside it says.
    pub locked_by_order: Option<Instruction>,
    /// Wrong passphrases since the last unlock.
    pub wrong_passphrases: u32,
}

/// What can be told of the store at `db` without its passphrase. Never fails: what cannot be
/// read is said in [`FileState`].
pub fn outside(db: &Path) -> Outside {
    let bytes = ["", "-wal"].iter().filter_map(|s| std::fs::metadata(beside(db, s)).ok()).map(|m| m.len()).sum();
    let (failures, locked_out, ordered) = crate::unlock::attempts_summary(db);
    let mut out = Outside {
        state: FileState::Present,
        officer_id: None,
        kdf: None,
        key_checksum: None,
        bytes,
        locked_out,
        locked_by_order: ordered,
        wrong_passphrases: failures,
    };
    if db.is_dir() {
        out.state = FileState::NotAFile;
        return out;
    }
    if crate::interrupted_creation(db) {
        out.state = FileState::InterruptedCreation;
        return out;
    }
    if crate::being_created(db) {
        out.state = FileState::BeingCreated;
        return out;
    }
    if !db.exists() {
        out.state = FileState::NotFound;
        return out;
    }
    match Envelope::read(&key_path(db)) {
        Ok(env) => {
            out.key_checksum = env.checksum_matches();
            if out.key_checksum == Some(false) {
                out.state = FileState::KeyFileDamaged {
                    reason: "its checksum does not match its fields (a bad copy or a disk fault)".into(),
                };
            }
            out.officer_id = Some(env.officer_id);
            out.kdf = Some(env.kdf);
        }
        Err(KeyError::Missing) => out.state = FileState::KeyFileMissing,
        Err(e) => out.state = FileState::KeyFileDamaged { reason: e.to_string() },
    }
    out
}

/// What an open store holds and has not yet sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inside {
    pub role: Option<Role>,
    /// Migrations applied, and how many this build knows (equal once opened).
    pub schema_version: i64,
    pub schema_current: i64,
    /// The search keys are of this build's format (otherwise the next search or `reindex`
    /// rebuilds them).
    pub search_keys_current: bool,
    pub people: u64,
    pub legacy_people: u64,
    /// People created on this device that the central service has not yet confirmed.
    pub provisional_people: u64,
    pub incidents: u64,
    /// Writes not yet acknowledged by the central service.
    pub unsent: u64,
    /// Writes the central service refused, kept with its reasons.
    pub refused: u64,
    pub acknowledged: u64,
    /// Clashes and possible duplicates waiting for a person.
    pub conflicts: u64,
    pub last_sync_ok: Option<String>,
    pub pull_in_progress: bool,
    /// The central service it is enrolled with.
    pub server: Option<String>,
    /// This device's id on the central service.
    pub device_id: String,
    /// An order of the central service not yet carried out.
    pub pending_order: Option<Instruction>,
    /// Entries in the access log.
    pub access_log_entries: u64,
    /// Access-log entries the central service has not acknowledged (after the anchor): on an
    /// enrolled store, the record of who looked at whom here (DPA 2018 s.62) that a reimage
    /// would destroy.
    pub access_log_unsent: u64,
    /// Why the central service refused the access log at the last sync that pushed it (a chain
    /// that forked from its copy: a store restored from an older copy); `None` once it took it.
    pub access_log_refused: Option<String>,
}

impl Inside {
    /// Whether anything written here would be lost with the device: writes not yet sent,
    /// refused and not yet dealt with, an edit that clashed with the central record and waits
    /// for a person (a conflict is erased with the store), or, on a store enrolled with a
    /// central service, access-log entries it has not acknowledged or has refused. (Until 7 Dec
    /// 2026 the access log was not counted: a store whose searches and views had never been
    /// sent was called safe to reimage.) A store never enrolled has nowhere to send its log.
    pub fn holds_unsent(&self) -> bool {
        self.unsent > 0 || self.refused > 0 || self.conflicts > 0 || self.log_unsent()
    }

    /// The access-log part of [`Inside::holds_unsent`].
    pub fn log_unsent(&self) -> bool {
        self.server.is_some() && (self.access_log_unsent > 0 || self.access_log_refused.is_some())
    }
}

impl Store {
    /// [`Inside`] of this store. Reads only.
    pub fn inside_status(&self) -> Result<Inside> {
        let conn = self.conn();
        let count = |sql: &str| -> Result<u64> { Ok(conn.query_row(sql, [], |r| r.get::<_, i64>(0))?.max(0) as u64) };
        let c = self.sync_counts()?;
        let people = self.nominal_count()?;
        Ok(Inside {
            role: self.role()?,
            schema_version: conn.query_row("PRAGMA user_version", [], |r| r.get(0))?,
            schema_current: crate::schema::CURRENT,
            // An empty store has no keys to be stale.
            search_keys_current: people == 0 || !self.search_keys_stale()?,
            people,
            legacy_people: count("SELECT count(*) FROM nominals WHERE source = 'legacy'")?,
            provisional_people: count("SELECT count(*) FROM nominals WHERE provisional <> 0")?,
            incidents: count("SELECT count(*) FROM incidents")?,
            unsent: c.pending,
            refused: c.rejected,
            acknowledged: c.acknowledged,
            conflicts: c.conflicts,
            last_sync_ok: c.last_sync_ok,
            pull_in_progress: c.pull_in_progress,
            server: self.server_url()?,
            device_id: self.client_id()?,
            pending_order: self.pending_instruction()?,
            access_log_entries: count("SELECT count(*) FROM audit")?,
            access_log_unsent: self.audit_unsent_records()?,
            access_log_refused: self.audit_refused()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_says_lock_outs_and_orders_and_inside_counts_what_is_unsent() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        let mut s = Store::create(&db, "pass", "PC9", KdfParams::INSECURE_FAST).unwrap();
        let before = s.inside_status().unwrap();
        assert!(!before.holds_unsent() && before.people == 0, "{before:?}");
        s.demo_enqueue_forms(1).unwrap();
        let after = s.inside_status().unwrap();
        assert!(after.unsent > 0 && after.holds_unsent() && after.incidents > 0, "{after:?}");
        assert_eq!(after.access_log_entries, count_audit(&s));
        drop(s);
        let o = outside(&db);
        assert_eq!((o.state.clone(), o.officer_id.as_deref(), o.locked_out), (FileState::Present, Some("PC9"), false));
        crate::unlock::lock_out_by_order(&db, Instruction::Wipe).unwrap();
        let o = outside(&db);
        assert_eq!((o.locked_out, o.locked_by_order), (true, Some(Instruction::Wipe)));
        std::fs::remove_file(key_path(&db)).unwrap();
        assert_eq!(outside(&db).state, FileState::KeyFileMissing);
    }

    #[test]
    fn on_an_enrolled_store_access_log_entries_not_acknowledged_are_unsent() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        let mut s = Store::create(&db, "pass", "PC9", KdfParams::INSECURE_FAST).unwrap();
        let actor = s.actor().unwrap();
        // A sign-in alone is no unsent record (a status check is one, and run twice it failed).
        let other = dir.path().join("t.db");
        let mut t = Store::create(&other, "pass", "PC9", KdfParams::INSECURE_FAST).unwrap();
        t.set_server_url("http://127.0.0.1:1").unwrap();
        let them = t.actor().unwrap();
        t.audit(&them, crate::AuditEvent::new(crate::AuditAction::Unlock, "session")).unwrap();
        t.audit(&them, crate::AuditEvent::new(crate::AuditAction::UnlockFailed, "session")).unwrap();
        assert!(!t.inside_status().unwrap().holds_unsent());
        s.audit(&actor, crate::AuditEvent::new(crate::AuditAction::Consultation, "nominal:N1")).unwrap();
        // Never enrolled: nowhere to send the log.
        let i = s.inside_status().unwrap();
        assert!(i.access_log_unsent > 0 && !i.holds_unsent(), "{i:?}");
        s.set_server_url("http://127.0.0.1:1").unwrap();
        let i = s.inside_status().unwrap();
        assert!(i.holds_unsent() && i.log_unsent() && i.unsent == 0, "{i:?}");
        s.set_audit_refused(Some("entry 3 differs")).unwrap();
        assert_eq!(s.inside_status().unwrap().access_log_refused.as_deref(), Some("entry 3 differs"));
        s.set_audit_refused(None).unwrap();
        assert_eq!(s.inside_status().unwrap().access_log_refused, None);
    }

    fn count_audit(s: &Store) -> u64 {
        s.conn().query_row("SELECT count(*) FROM audit", [], |r| r.get::<_, i64>(0)).unwrap() as u64
    }
}
