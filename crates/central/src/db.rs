//! The SQLite implementation of [`Storage`] (the default; not encrypted by Bluelamp: a force
//! protects its servers with disk encryption and access control).
//!
//! **One connection, one writer.** All calls go through one connection behind a mutex, in
//! `spawn_blocking`. Writes run in `BEGIN IMMEDIATE` transactions.
//!
//! **Change log and global version.** Every change to a record a client pulls (nominal,
//! incident) takes the next value of the counter `meta.version`, incremented *inside* the
//! writing transaction, and upserts one row per (record, scope key) in `changes`. SQLite has a
//! single writer: the transaction that takes version `v` commits before any other transaction
//! can take `v + 1`, so a reader can never see `v + 1` committed while `v` is still in flight —
//! the out-of-order commit gap that breaks sequence-number cursors on multi-writer databases
//! cannot happen here. (A PostgreSQL implementation needs the same property: a serialised
//! counter row updated in the transaction, or serving only below the oldest in-flight version.)
//! When a record leaves a scope (a nominal moves district, an incident is reassigned) the old
//! scope key gets a tombstone row and the new one an upsert row.
//!
//! **Push.** One transaction per batch, see [`SqliteStorage::push`]. Each mutation runs in a
//! savepoint so a permanent rejection leaves none of its writes.

use std::path::Path;
use std::sync::Mutex;

use bluelamp_protocol::casework::{ReferralDecisionInfo, ReferralOutcome};
use bluelamp_protocol::session::{Permission, Role};
use bluelamp_protocol::wire::{
    AuditPushResponse, Change, ConflictNotice, Instruction, PossibleDuplicate, PushMutation, RecordType, Rejection,
    WireAuditEntry, WireNominal,
};
use bluelamp_protocol::Source;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde_json::{json, Value};

use crate::audit::{verify_chain, GENESIS_HASH};
use crate::auth::{hash_passphrase, HashCost};
use crate::storage::{
    district_incidents_key, district_key, officer_key, AuditOutcome, BindOutcome, ImportNominal, ImportSummary,
    Officer, Page, PushOutcome, Scope, Session, Stats, Storage, StorageError, StorageResult,
};

/// The demo officers: (id, role, display name). Passphrase [`DEMO_PASSPHRASE`] (demo only).
pub const DEMO_OFFICERS: &[(&str, &str, &str)] = &[
    ("demo-officer", "officer", "PC Demo Officer"),
    ("demo-supervisor", "supervisor", "Sgt Demo Supervisor"),
    ("demo-superuser", "superuser", "Demo Superuser (training)"),
    ("demo-admin", "admin", "Demo Admin"),
];
/// Demo and training only.
pub const DEMO_PASSPHRASE: &str = "bluelamp-demo";
pub const DEMO_DISTRICT: &str = "demo-district";
/// Incidents `--seed-demo` assigns to `demo-officer`.
pub const DEMO_INCIDENTS: usize = 6;

pub use bluelamp_demo::DEMO_SEED;

/// A client's `last_seen` moves at most this often on ordinary requests (sign-in and push set
/// it every time).
const LAST_SEEN_STEP_SECS: i64 = 60;

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT OR IGNORE INTO meta (key, value) VALUES ('version', 0), ('horizon', 0);
    CREATE TABLE IF NOT EXISTS officers (
        id TEXT PRIMARY KEY, role TEXT NOT NULL, display_name TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS nominals (
        id TEXT PRIMARY KEY, source TEXT NOT NULL, given_name TEXT NOT NULL, surname TEXT NOT NULL,
        date_of_birth TEXT, sex TEXT, aliases TEXT NOT NULL DEFAULT '[]', address TEXT, postcode TEXT);
    CREATE TABLE IF NOT EXISTS tokens (
        token_hash TEXT PRIMARY KEY, officer_id TEXT NOT NULL, client_id TEXT NOT NULL,
        issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS clients (
        client_id TEXT PRIMARY KEY, officer_id TEXT NOT NULL, device TEXT NOT NULL DEFAULT '',
        last_applied_seq INTEGER NOT NULL DEFAULT 0, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS incidents (
        id TEXT PRIMARY KEY, reference TEXT NOT NULL UNIQUE, incident_type TEXT NOT NULL,
        offence_category TEXT, place TEXT, postcode TEXT, team TEXT,
        occurred_at INTEGER NOT NULL, recorded_at INTEGER NOT NULL,
        assigned_to TEXT NOT NULL, district TEXT NOT NULL,
        closing_code TEXT, status TEXT NOT NULL DEFAULT 'open', finalised_at TEXT,
        links TEXT NOT NULL DEFAULT '[]', version INTEGER NOT NULL, updated_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS changes (
        version INTEGER PRIMARY KEY, record_type TEXT NOT NULL, record_id TEXT NOT NULL,
        scope TEXT NOT NULL, op TEXT NOT NULL CHECK (op IN ('upsert', 'tombstone')),
        UNIQUE (record_type, record_id, scope));
    CREATE INDEX IF NOT EXISTS changes_scope ON changes (scope, version);
    CREATE TABLE IF NOT EXISTS forms (
        id TEXT PRIMARY KEY, incident_id TEXT NOT NULL, pack_id TEXT NOT NULL, pack_version TEXT,
        author TEXT, submitted_by TEXT NOT NULL, client_id TEXT NOT NULL, answers TEXT NOT NULL,
        officer_grade TEXT, rationale TEXT, amends_id TEXT, submitted_at TEXT, received_at INTEGER NOT NULL,
        status TEXT NOT NULL, payload TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS form_reviews (
        id INTEGER PRIMARY KEY, form_id TEXT NOT NULL, reviewer TEXT NOT NULL, decision TEXT NOT NULL,
        comments TEXT, reviewed_at TEXT, received_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS referrals (
        id TEXT PRIMARY KEY, incident_id TEXT NOT NULL, victim_id TEXT NOT NULL, outcome TEXT NOT NULL,
        destination TEXT, details TEXT NOT NULL, status TEXT NOT NULL, decided_at TEXT, decided_by TEXT,
        follow_up_task TEXT, client_id TEXT NOT NULL, received_at INTEGER NOT NULL);
    CREATE UNIQUE INDEX IF NOT EXISTS referrals_one_active ON referrals (incident_id, victim_id, destination)
        WHERE status = 'active' AND outcome = 'referred';
    -- Deliberately no UNIQUE constraint: `stats` counts duplicate applications honestly.
    CREATE TABLE IF NOT EXISTS applied (
        client_id TEXT NOT NULL, seq INTEGER NOT NULL, mutation_id TEXT NOT NULL, name TEXT NOT NULL,
        record_id TEXT, applied_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS rejections (
        client_id TEXT NOT NULL, seq INTEGER NOT NULL, mutation_id TEXT NOT NULL, name TEXT NOT NULL,
        code TEXT NOT NULL, message TEXT NOT NULL, payload TEXT NOT NULL, rejected_at INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS rejections_client_seq ON rejections (client_id, seq);
    CREATE TABLE IF NOT EXISTS conflicts (
        client_id TEXT NOT NULL, seq INTEGER NOT NULL, mutation_id TEXT NOT NULL, record_type TEXT NOT NULL,
        record_id TEXT NOT NULL, base TEXT NOT NULL, mine TEXT NOT NULL, theirs TEXT NOT NULL,
        server_version INTEGER NOT NULL, at INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS conflicts_client_seq ON conflicts (client_id, seq);
    -- A mutation is known by its id as well as its seq (see `recorded_id`, `recorded_seq`).
    -- A write renumbered after `seq_reused` and found held under its first seq is recorded
    -- under its new seq here, so that seq is not taken for free by another write.
    CREATE TABLE IF NOT EXISTS seq_aliases (
        client_id TEXT NOT NULL, seq INTEGER NOT NULL, mutation_id TEXT NOT NULL, first_seq INTEGER NOT NULL,
        PRIMARY KEY (client_id, seq));
    CREATE INDEX IF NOT EXISTS applied_client_seq ON applied (client_id, seq);
    CREATE INDEX IF NOT EXISTS applied_client_mutation ON applied (client_id, mutation_id);
    CREATE INDEX IF NOT EXISTS rejections_client_mutation ON rejections (client_id, mutation_id);
    CREATE INDEX IF NOT EXISTS conflicts_client_mutation ON conflicts (client_id, mutation_id);
    CREATE TABLE IF NOT EXISTS instructions (
        id INTEGER PRIMARY KEY, client_id TEXT NOT NULL, kind TEXT NOT NULL, created_at INTEGER NOT NULL,
        cleared_at INTEGER);
    CREATE TABLE IF NOT EXISTS audit_entries (
        client_id TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, ts TEXT NOT NULL,
        officer_id TEXT NOT NULL, device_id TEXT NOT NULL, action TEXT NOT NULL, object_ref TEXT NOT NULL,
        purpose TEXT, outcome TEXT NOT NULL, detail TEXT NOT NULL, prev_hash TEXT NOT NULL,
        entry_hash TEXT NOT NULL, received_at INTEGER NOT NULL, PRIMARY KEY (client_id, seq));
    -- Possible duplicates answered for a `nominal.create/1` (repeated when its seq is resent).
    CREATE TABLE IF NOT EXISTS duplicates (
        client_id TEXT NOT NULL, seq INTEGER NOT NULL, provisional_id TEXT NOT NULL, candidates TEXT NOT NULL,
        at INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS duplicates_client_seq ON duplicates (client_id, seq);
    -- An incident's casework (see `log_casework`, `casework_json`).
    CREATE INDEX IF NOT EXISTS forms_incident ON forms (incident_id);
    CREATE INDEX IF NOT EXISTS form_reviews_form ON form_reviews (form_id);
    CREATE INDEX IF NOT EXISTS referrals_incident ON referrals (incident_id);
    -- Officers' answers to \"was this victim under 18 at the time of the offence?\" for victims with
    -- no date of birth (`victim.under18/1`); immutable, the latest per person counts on devices.
    CREATE TABLE IF NOT EXISTS under18_answers (
        id TEXT PRIMARY KEY, incident_id TEXT NOT NULL, nominal_id TEXT NOT NULL, under_18 INTEGER NOT NULL,
        answered_by TEXT NOT NULL, answered_at TEXT, client_id TEXT NOT NULL, received_at INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS under18_answers_incident ON under18_answers (incident_id);
    -- Victims' Code Right 6: key investigation events (`investigation.event/1`) and the victims
    -- told of them (`victim.updated/1`); immutable.
    CREATE TABLE IF NOT EXISTS investigation_events (
        id TEXT PRIMARY KEY, incident_id TEXT NOT NULL, kind TEXT NOT NULL, occurred_on TEXT NOT NULL,
        recorded_by TEXT NOT NULL, recorded_at TEXT, client_id TEXT NOT NULL, received_at INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS investigation_events_incident ON investigation_events (incident_id);
    CREATE TABLE IF NOT EXISTS victims_told (
        id TEXT PRIMARY KEY, event_id TEXT NOT NULL, incident_id TEXT NOT NULL, nominal_id TEXT NOT NULL,
        how TEXT NOT NULL, told_by TEXT NOT NULL, told_at TEXT, client_id TEXT NOT NULL, received_at INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS victims_told_incident ON victims_told (incident_id);
    -- Right 6: what updates each victim wants (`victim.update_preference/1`: all,
    -- key_decisions_only, none); immutable, the latest per person counts on devices.
    CREATE TABLE IF NOT EXISTS update_preferences (
        id TEXT PRIMARY KEY, incident_id TEXT NOT NULL, nominal_id TEXT NOT NULL, wants TEXT NOT NULL,
        recorded_by TEXT NOT NULL, recorded_at TEXT, client_id TEXT NOT NULL, received_at INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS update_preferences_incident ON update_preferences (incident_id);
";

/// Creates `path` owner-only if it does not exist, or narrows it (and its WAL and shared-memory
/// files) to owner-only if it does (Unix; elsewhere the file system's own rights apply).
fn owner_only(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if path.as_os_str().is_empty() || path.to_str() == Some(":memory:") {
            return Ok(());
        }
        if !path.exists() {
            std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
        }
        for p in [path.to_path_buf(), sidecar(path, "-wal"), sidecar(path, "-shm")] {
            if p.exists() {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(unix)]
fn sidecar(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    s.into()
}

fn has_column(conn: &Connection, table: &str, column: &str) -> rusqlite::Result<bool> {
    let mut stmt = conn.prepare(&format!("PRAGMA table_info({table})"))?;
    let names = stmt.query_map([], |r| r.get::<_, String>(1))?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(names.iter().any(|n| n == column))
}

/// Opens (creating or upgrading) the database, readable by its owner only: it holds every
/// person's record, the access log and the officers' passphrase hashes, and was created
/// readable by every account of the machine (review, 7 Dec 2026). SQLite gives its WAL and
/// shared-memory files the database file's permissions.
pub fn open(path: &Path) -> rusqlite::Result<Connection> {
    owner_only(path).map_err(|e| {
        rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
            Some(format!("cannot make {} readable by its owner only: {e}", path.display())),
        )
    })?;
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")?;
    conn.execute_batch(SCHEMA)?;
    // Databases made before issue 7 (demo only) lack these columns.
    for (table, column, decl) in [
        ("officers", "district", "TEXT NOT NULL DEFAULT ''"),
        ("officers", "pass_hash", "TEXT NOT NULL DEFAULT ''"),
        ("nominals", "district", &*format!("TEXT NOT NULL DEFAULT '{DEMO_DISTRICT}'")),
        ("nominals", "version", "INTEGER NOT NULL DEFAULT 0"),
        // Conflict checks (see `incident_change`): the client whose consecutive edits made the
        // incident's latest versions, and the version before the first of them.
        ("incidents", "writer_client", "TEXT"),
        ("incidents", "writer_base", "INTEGER"),
        // Provisional nominals (see `nominal_create`): 'active', 'provisional' (held until the
        // officer resolves the possible duplicate) or 'merged' (linked into `merged_into`).
        ("nominals", "status", "TEXT NOT NULL DEFAULT 'active'"),
        ("nominals", "merged_into", "TEXT"),
        ("nominals", "created_by", "TEXT"),
        // Warning markers (a JSON array of `WireMarker`; NULL: none held), served with the
        // nominal so the record page on the device shows them.
        ("nominals", "markers", "TEXT"),
        // Phone numbers held for the person (a JSON array of strings, as imported), served with
        // the nominal for the devices' safe-number check (7 Dec 2026).
        ("nominals", "phones", "TEXT NOT NULL DEFAULT '[]'"),
        // A withdrawn referral decision's withdrawal (`referral.withdraw/1`, 7 Dec 2026): JSON
        // `ReferralWithdrawal` (why, when, by whom); NULL for an active decision.
        ("referrals", "withdrawal", "TEXT"),
        // Who pushed each access-log entry (`POST /v1/audit`, 7 Dec 2026): the signed-in
        // officer and client of the token, whatever the entry says, and whether the entry's
        // `officer_id` is another officer than the one who pushed it (1: the DPO should look).
        // Rows from before are filled in below from the client's binding.
        ("audit_entries", "pushed_by_officer", "TEXT"),
        ("audit_entries", "pushed_by_client", "TEXT"),
        ("audit_entries", "officer_differs", "INTEGER"),
        // The day a victim was told (`victim.updated/1`'s `told_on`, 7 Dec 2026; NULL: the day
        // of `told_at`).
        ("victims_told", "told_on", "TEXT"),
        // Why an incident is closed NFA-DUP (`incident.closing_code/1`'s `duplicate_of` /
        // `no_incident_found`, 7 Dec 2026); NULL with any other code.
        ("incidents", "nfa_dup_duplicate_of", "TEXT"),
        ("incidents", "nfa_dup_no_incident_found", "TEXT"),
        // When an order was first sent to its device (a push answer or a pull page, 7 Dec 2026):
        // an interactive sign-in lifts only a lock the device has been sent. NULL: not yet (and
        // for orders queued before the column: they are sent again at the next round).
        ("instructions", "delivered_at", "INTEGER"),
    ] {
        if !has_column(&conn, table, column)? {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl}"))?;
            if (table, column) == ("instructions", "delivered_at") {
                // Orders queued before the column and followed by a request from their device
                // were sent to it then: marked so, or the officer's sign-in after a lock would
                // not lift it and the next round would lock the device again (before-stop
                // review, 7 Dec 2026).
                conn.execute_batch(
                    "UPDATE instructions SET delivered_at = (SELECT c.last_seen FROM clients c
                         WHERE c.client_id = instructions.client_id)
                     WHERE delivered_at IS NULL AND cleared_at IS NULL
                       AND created_at <= (SELECT c.last_seen FROM clients c WHERE c.client_id = instructions.client_id)",
                )?;
            }
        }
    }
    // Entries pushed before the provenance columns: the chain was always held under the
    // token's client id (a push naming another client was refused), and a client id is bound to
    // one officer for good at its first sign-in, so the pusher is the client's officer.
    conn.execute_batch(
        "UPDATE audit_entries SET pushed_by_client = client_id,
             pushed_by_officer = (SELECT c.officer_id FROM clients c WHERE c.client_id = audit_entries.client_id)
         WHERE pushed_by_client IS NULL;
         UPDATE audit_entries SET officer_differs = (officer_id IS NOT pushed_by_officer)
         WHERE officer_differs IS NULL;",
    )?;
    // Nominals without a change-log entry (older databases) get one.
    let unlogged: Vec<(String, String)> = conn
        // Only active ones: a person held as a possible duplicate also has version 0, and
        // must stay out of every pull until the officer resolves it.
        .prepare("SELECT id, district FROM nominals WHERE version = 0 AND status = 'active'")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if !unlogged.is_empty() {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (id, district) in &unlogged {
            let v = record_change(&tx, RecordType::Nominal, id, &district_key(district), None)?;
            tx.execute("UPDATE nominals SET version = ?2 WHERE id = ?1", params![id, v as i64])?;
        }
        tx.commit()?;
    }
    // Casework logged for pulls (schema 2): databases from before get one entry per incident
    // that already has forms or referral decisions.
    let logged: bool =
        conn.query_row("SELECT EXISTS (SELECT 1 FROM meta WHERE key = 'casework_logged')", [], |r| r.get(0))?;
    if !logged {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ids: Vec<String> = tx
            .prepare("SELECT incident_id FROM forms UNION SELECT incident_id FROM referrals")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for id in ids {
            log_casework(&tx, &id)?;
        }
        tx.execute("INSERT INTO meta (key, value) VALUES ('casework_logged', 1)", [])?;
        tx.commit()?;
    }
    // Incidents logged in their district for supervisors (6 Dec 2026): databases from before
    // get one entry per incident, and per incident with casework.
    let logged: bool =
        conn.query_row("SELECT EXISTS (SELECT 1 FROM meta WHERE key = 'district_incidents_logged')", [], |r| r.get(0))?;
    if !logged {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let rows: Vec<(String, String, bool)> = tx
            .prepare(
                "SELECT id, district, EXISTS (SELECT 1 FROM forms f WHERE f.incident_id = i.id)
                     OR EXISTS (SELECT 1 FROM referrals r WHERE r.incident_id = i.id)
                 FROM incidents i ORDER BY id",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (id, district, casework) in rows {
            let key = district_incidents_key(&district);
            record_change(&tx, RecordType::Incident, &id, &key, None)?;
            if casework {
                record_change(&tx, RecordType::Casework, &id, &key, None)?;
            }
        }
        tx.execute("INSERT INTO meta (key, value) VALUES ('district_incidents_logged', 1)", [])?;
        tx.commit()?;
    }
    crate::matching::create_schema(&conn)?;
    crate::matching::ensure_index(&mut conn)?;
    start_run(&mut conn)?;
    Ok(conn)
}

/// Starts a run: the versions from the head + 1 on are issued by a run with a new random id
/// (see `crate::cursor`). The versions before the first run belong to a run starting at 1. A
/// database restored from a backup gets a new id for the versions it issues again, so devices'
/// cursors from the lost timeline no longer match.
fn start_run(conn: &mut Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS runs (first_version INTEGER PRIMARY KEY, id TEXT NOT NULL)")?;
    let head = count(&tx, "SELECT value FROM meta WHERE key = 'version'")?;
    let new_id = || {
        let t = crate::auth::new_token();
        t[..16].to_string()
    };
    tx.execute("INSERT OR IGNORE INTO runs (first_version, id) VALUES (1, ?1)", [new_id()])?;
    tx.execute(
        "INSERT INTO runs (first_version, id) VALUES (?1, ?2)
         ON CONFLICT (first_version) DO UPDATE SET id = excluded.id",
        params![(head + 1).min(i64::MAX as u64) as i64, new_id()],
    )?;
    // The run then issues its versions from the clock (microseconds since 1970) when that is
    // past the head, so a database restored from a backup never issues again a version the
    // lost timeline gave out (it issued fewer versions than microseconds passed). Before
    // (review, 7 Dec 2026) the restored service gave the next edit of an incident the very
    // version a device had seen for another edit in the lost timeline, so that device's stale
    // edit matched it as its base and overwrote another officer's change with no conflict. The
    // run starts at the head + 1 all the same: a cursor from the lost timeline, in the gap,
    // names the old run and still gets its reset.
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    tx.execute("UPDATE meta SET value = max(value, ?1) WHERE key = 'version'", [micros])?;
    tx.commit()
}

/// The run that issued `version` (none for version 0).
fn run_at(conn: &Connection, version: u64) -> rusqlite::Result<Option<String>> {
    if version == 0 {
        return Ok(None);
    }
    conn.prepare_cached("SELECT id FROM runs WHERE first_version <= ?1 ORDER BY first_version DESC LIMIT 1")?
        .query_row([version.min(i64::MAX as u64) as i64], |r| r.get(0))
        .optional()
}

fn type_str(t: RecordType) -> &'static str {
    match t {
        RecordType::Nominal => "nominal",
        RecordType::Incident => "incident",
        RecordType::Casework => "casework",
    }
}

/// Takes the next global version. Must run inside the writing transaction (see module docs).
fn next_version(tx: &Connection) -> rusqlite::Result<u64> {
    let v: i64 =
        tx.query_row("UPDATE meta SET value = value + 1 WHERE key = 'version' RETURNING value", [], |r| r.get(0))?;
    Ok(v as u64)
}

/// Logs a change of a record now in scope `scope` (previously in `old_scope`, if it moved) and
/// returns the record's new version.
fn record_change(
    tx: &Connection,
    t: RecordType,
    id: &str,
    scope: &str,
    old_scope: Option<&str>,
) -> rusqlite::Result<u64> {
    let upsert = "INSERT INTO changes (version, record_type, record_id, scope, op) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (record_type, record_id, scope) DO UPDATE SET version = excluded.version, op = excluded.op";
    if let Some(old) = old_scope.filter(|o| *o != scope) {
        let v = next_version(tx)?;
        tx.prepare_cached(upsert)?.execute(params![v as i64, type_str(t), id, old, "tombstone"])?;
    }
    let v = next_version(tx)?;
    tx.prepare_cached(upsert)?.execute(params![v as i64, type_str(t), id, scope, "upsert"])?;
    Ok(v)
}

/// Logs a change of an incident: in the scope of the officer it is assigned to (previously
/// `old_assigned`, if it moved) and in its district's (what supervisors pull). Returns the
/// incident's new version, which is what devices take as its base (the district row has a
/// version of its own, so the served record carries `version`).
fn log_incident(
    tx: &Connection,
    id: &str,
    assigned: &str,
    district: &str,
    old_assigned: Option<&str>,
) -> rusqlite::Result<u64> {
    let v =
        record_change(tx, RecordType::Incident, id, &officer_key(assigned), old_assigned.map(officer_key).as_deref())?;
    record_change(tx, RecordType::Incident, id, &district_incidents_key(district), None)?;
    Ok(v)
}

fn rfc3339(unix: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp(unix).ok()?.format(&time::format_description::well_known::Rfc3339).ok()
}

fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// A permanent business outcome of one mutation.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// Applied; the id of the record it wrote.
    Ok(Option<String>),
    Rejected {
        code: &'static str,
        message: String,
    },
    Conflict(Box<ConflictNotice>),
    /// Applied (a provisional nominal is held), with possible duplicates for the officer.
    Duplicate(Box<PossibleDuplicate>),
}

fn reject(code: &'static str, message: impl Into<String>) -> Applied {
    Applied::Rejected { code, message: message.into() }
}

/// The SQLite storage.
pub struct SqliteStorage {
    conn: Mutex<Connection>,
}

impl SqliteStorage {
    pub fn open(path: &Path) -> StorageResult<SqliteStorage> {
        Ok(SqliteStorage { conn: Mutex::new(open(path)?) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Demo officers (passphrase [`DEMO_PASSPHRASE`], district [`DEMO_DISTRICT`]), `nominals`
    /// synthetic people and [`DEMO_INCIDENTS`] incidents assigned to `demo-officer`, each only
    /// if not there yet.
    fn seed_demo_impl(&self, nominals: usize, cost: HashCost, incidents: bool) -> StorageResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (id, role, name) in DEMO_OFFICERS {
            let hash: Option<String> =
                tx.query_row("SELECT pass_hash FROM officers WHERE id = ?1", [id], |r| r.get(0)).optional()?;
            if hash.as_deref().is_some_and(|h| !h.is_empty()) {
                continue;
            }
            let h = hash_passphrase(DEMO_PASSPHRASE, cost).map_err(|e| StorageError::Invalid(e.to_string()))?;
            tx.execute(
                "INSERT INTO officers (id, role, display_name, district, pass_hash) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET pass_hash = excluded.pass_hash,
                    district = CASE WHEN officers.district = '' THEN excluded.district ELSE officers.district END",
                params![id, role, name, DEMO_DISTRICT, h],
            )?;
        }
        let have: i64 = tx.query_row("SELECT count(*) FROM nominals", [], |r| r.get(0))?;
        let people = bluelamp_demo::people(nominals, DEMO_SEED);
        if have == 0 {
            // The showcase incident's aliases, as the demo stores add them (a pull must not
            // take them away).
            let extra = bluelamp_demo::showcase_aliases(&people, DEMO_SEED, now_unix());
            // The warning markers of the people the demo incidents link, as the demo stores
            // hold them.
            let now = now_unix();
            let demo_incidents = bluelamp_demo::incidents(&people, DEMO_INCIDENTS, DEMO_SEED, now);
            let mut markers: std::collections::HashMap<String, Vec<bluelamp_protocol::nominal::WireMarker>> =
                bluelamp_demo::person_details(&people, &demo_incidents, DEMO_SEED, now)
                    .into_iter()
                    .filter(|d| !d.markers.is_empty())
                    .map(|d| {
                        let m = d
                            .markers
                            .into_iter()
                            .map(|m| bluelamp_protocol::nominal::WireMarker {
                                code: m.code.to_string(),
                                description: m.description,
                                last_verified_at: rfc3339(m.verified_unix),
                                verified_by: Some(m.verified_by.to_string()),
                            })
                            .collect();
                        (d.person_id, m)
                    })
                    .collect();
            // The demo incidents' suspects' phone numbers, as the demo stores hold them, so a
            // device's safe-number check catches one pulled from here.
            let mut phones: std::collections::HashMap<&str, Vec<String>> = std::collections::HashMap::new();
            for l in demo_incidents.iter().flat_map(|d| d.links.iter()).filter(|l| l.role == "suspect") {
                phones.entry(l.person_id.as_str()).or_insert_with(|| vec![bluelamp_demo::demo_phone(&l.person_id)]);
            }
            let rows: Vec<ImportNominal> = people
                .iter()
                .map(|p| ImportNominal {
                    nominal: WireNominal {
                        id: p.id.clone(),
                        given_name: p.given_name.clone(),
                        surname: p.surname.clone(),
                        date_of_birth: Some(p.date_of_birth.clone()).filter(|d| !d.is_empty()),
                        sex: Some(p.sex.clone()).filter(|s| !s.is_empty()),
                        aliases: p
                            .aliases
                            .iter()
                            .cloned()
                            .chain(extra.iter().filter(|(id, _)| *id == p.id).map(|(_, a)| a.clone()))
                            .collect(),
                        address: Some(p.address.clone()).filter(|s| !s.is_empty()),
                        postcode: Some(p.postcode.clone()).filter(|s| !s.is_empty()),
                        source: if p.legacy { Source::Legacy } else { Source::Current },
                        phones: phones.remove(p.id.as_str()).unwrap_or_default(),
                    },
                    district: DEMO_DISTRICT.to_string(),
                    markers: markers.remove(&p.id),
                    keep_phones: false,
                })
                .collect();
            import_nominals_tx(&tx, &rows)?;
        }
        let held_incidents: i64 = tx.query_row("SELECT count(*) FROM incidents", [], |r| r.get(0))?;
        if incidents && held_incidents == 0 && !people.is_empty() {
            let now = now_unix();
            for (i, d) in bluelamp_demo::incidents(&people, DEMO_INCIDENTS, DEMO_SEED, now).into_iter().enumerate() {
                let id = format!("demo-incident-{}", i + 1);
                let links: Vec<Value> =
                    d.links.iter().map(|l| json!({ "nominal_id": l.person_id, "role": l.role })).collect();
                let v = log_incident(&tx, &id, "demo-officer", DEMO_DISTRICT, None)?;
                tx.execute(
                    "INSERT INTO incidents (id, reference, incident_type, offence_category, place, postcode, team,
                        occurred_at, recorded_at, assigned_to, district, links, version, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'demo-officer', ?10, ?11, ?12, ?13)",
                    params![
                        id,
                        d.reference,
                        d.category,
                        d.category,
                        Some(d.place).filter(|s| !s.is_empty()),
                        Some(d.postcode).filter(|s| !s.is_empty()),
                        d.team,
                        d.occurred_unix,
                        d.reported_unix,
                        DEMO_DISTRICT,
                        Value::Array(links).to_string(),
                        v as i64,
                        now
                    ],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Assigns an incident to another officer (admin tooling and tests): the old assignee gets
    /// a tombstone, the new one an upsert.
    fn reassign_incident_impl(&self, incident_id: &str, officer_id: &str) -> StorageResult<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some((old, district)) = held_incident(&tx, incident_id)? else { return Ok(false) };
        let v = log_incident(&tx, incident_id, officer_id, &district, Some(&old))?;
        tx.execute(
            "UPDATE incidents SET assigned_to = ?2, version = ?3, updated_at = ?4, writer_client = NULL
             WHERE id = ?1",
            params![incident_id, officer_id, v as i64, now_unix()],
        )?;
        // The new assignee gets the casework recorded so far.
        log_casework(&tx, incident_id)?;
        tx.commit()?;
        Ok(true)
    }

    /// Moves an officer to another district (their next pull is a reset).
    fn set_officer_district_impl(&self, officer_id: &str, district: &str) -> StorageResult<bool> {
        let n =
            self.conn().execute("UPDATE officers SET district = ?2 WHERE id = ?1", params![officer_id, district])?;
        Ok(n == 1)
    }

    /// Test hook: applies one mutation and logs it, with no seq check at all (the dedup test
    /// calls it twice to show `stats` would count the duplicate).
    #[doc(hidden)]
    pub fn apply_unchecked(&self, session: &Session, m: &PushMutation) -> StorageResult<Applied> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = apply_and_log(&tx, session, m, now_unix())?;
        tx.commit()?;
        Ok(out)
    }
}

fn parse_role(s: &str) -> StorageResult<Role> {
    Role::parse(s).ok_or_else(|| StorageError::Corrupt(format!("unknown role {s:?}")))
}

fn pending_instructions(tx: &Connection, client_id: &str) -> rusqlite::Result<Vec<Instruction>> {
    let kinds: Vec<String> = tx
        .prepare_cached(
            "SELECT DISTINCT kind FROM instructions WHERE client_id = ?1 AND cleared_at IS NULL ORDER BY kind",
        )?
        .query_map([client_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(kinds
        .iter()
        .filter_map(|k| match k.as_str() {
            "lock" => Some(Instruction::Lock),
            "wipe" => Some(Instruction::Wipe),
            _ => None,
        })
        .collect())
}

/// Records that the pending orders `sent` went to the client now (see `bind_and_issue_token`).
fn mark_delivered(conn: &Connection, client_id: &str, sent: &[Instruction], now: i64) -> rusqlite::Result<()> {
    if !sent.is_empty() {
        conn.prepare_cached(
            "UPDATE instructions SET delivered_at = ?2 WHERE client_id = ?1 AND cleared_at IS NULL AND delivered_at IS NULL",
        )?
        .execute(params![client_id, now])?;
    }
    Ok(())
}

fn instruction_str(i: Instruction) -> &'static str {
    match i {
        Instruction::Lock => "lock",
        Instruction::Wipe => "wipe",
    }
}

// ---- mutations ------------------------------------------------------------------------------

const MAX_ID: usize = 200;

fn str_field<'a>(v: &'a Value, key: &str, what: &str) -> Result<&'a str, Applied> {
    match v.get(key).and_then(Value::as_str).map(str::trim) {
        Some(s) if !s.is_empty() && s.len() <= MAX_ID => Ok(s),
        Some(s) if s.len() > MAX_ID => Err(reject("invalid_payload", format!("{what}: {key} is too long"))),
        _ => Err(reject("invalid_payload", format!("{what}: {key} is missing or not a text"))),
    }
}

fn opt_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Applies one mutation (in a savepoint) and, if applied, appends it to the `applied` log.
/// Rejections and conflicts are recorded in their own tables. No seq logic here.
fn apply_and_log(tx: &Transaction<'_>, s: &Session, m: &PushMutation, now: i64) -> StorageResult<Applied> {
    tx.execute_batch("SAVEPOINT mutation")?;
    let out = match apply(tx, s, m, now) {
        Ok(out) => out,
        Err(e) => {
            // The caller drops the whole transaction on an error; undo this part anyway.
            let _ = tx.execute_batch("ROLLBACK TO mutation; RELEASE mutation");
            return Err(e);
        }
    };
    if matches!(out, Applied::Ok(_) | Applied::Duplicate(_)) {
        tx.execute_batch("RELEASE mutation")?;
    } else {
        tx.execute_batch("ROLLBACK TO mutation; RELEASE mutation")?;
    }
    match &out {
        Applied::Ok(record_id) => {
            tx.prepare_cached(
                "INSERT INTO applied (client_id, seq, mutation_id, name, record_id, applied_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![s.client_id, m.seq as i64, m.mutation_id, m.name, record_id, now])?;
        }
        Applied::Duplicate(d) => {
            tx.prepare_cached(
                "INSERT INTO applied (client_id, seq, mutation_id, name, record_id, applied_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![s.client_id, m.seq as i64, m.mutation_id, m.name, d.provisional_id, now])?;
            tx.prepare_cached(
                "INSERT INTO duplicates (client_id, seq, provisional_id, candidates, at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                s.client_id,
                m.seq as i64,
                d.provisional_id,
                serde_json::to_string(&d.candidates).unwrap_or_else(|_| "[]".into()),
                now
            ])?;
        }
        Applied::Rejected { code, message } => {
            tx.prepare_cached(
                "INSERT INTO rejections (client_id, seq, mutation_id, name, code, message, payload, rejected_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                s.client_id,
                m.seq as i64,
                m.mutation_id,
                m.name,
                code,
                message,
                m.payload.to_string(),
                now
            ])?;
        }
        Applied::Conflict(c) => {
            tx.prepare_cached(
                "INSERT INTO conflicts (client_id, seq, mutation_id, record_type, record_id, base, mine, theirs,
                    server_version, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                s.client_id,
                m.seq as i64,
                m.mutation_id,
                c.record_type,
                c.record_id,
                c.base.to_string(),
                c.mine.to_string(),
                c.theirs.to_string(),
                c.server_version as i64,
                now
            ])?;
        }
    }
    Ok(out)
}

fn apply(tx: &Connection, s: &Session, m: &PushMutation, now: i64) -> StorageResult<Applied> {
    if m.mutation_id.trim().is_empty() || m.mutation_id.len() > MAX_ID {
        return Ok(reject("invalid_payload", "the mutation has no id"));
    }
    let r = match m.name.as_str() {
        "form.submit/1" => form_submit(tx, s, m, now),
        "form.review/1" => form_review(tx, s, m, now),
        "referral.decision/1" => referral_decision(tx, s, m, now),
        "referral.withdraw/1" => referral_withdraw(tx, s, m),
        "victim.under18/1" => victim_under18(tx, s, m, now),
        "investigation.event/1" => investigation_event(tx, s, m, now),
        "victim.updated/1" => victim_updated(tx, s, m, now),
        "victim.update_preference/1" => victim_update_preference(tx, s, m, now),
        "incident.closing_code/1" => incident_change(tx, s, m, now, false),
        "incident.finalise/1" => incident_change(tx, s, m, now, true),
        "incident.resolve/1" => incident_resolve(tx, s, m, now),
        "nominal.create/1" => nominal_create(tx, s, m),
        "nominal.resolve_duplicate/1" => nominal_resolve(tx, s, m),
        other => {
            return Ok(reject(
                "unknown_mutation",
                format!("This service does not know the change {other:?}; update the service or the app."),
            ))
        }
    };
    match r {
        Ok(a) => Ok(a),
        Err(Failure::Business(a)) => Ok(a),
        Err(Failure::Db(e)) => Err(e.into()),
    }
}

enum Failure {
    Business(Applied),
    Db(rusqlite::Error),
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Self {
        Failure::Db(e)
    }
}

impl From<Applied> for Failure {
    fn from(a: Applied) -> Self {
        Failure::Business(a)
    }
}

type ApplyResult = Result<Applied, Failure>;

/// `form.submit/1`: a submitted form is immutable; a second submit of the same id is refused
/// (a change is an amendment: a new form with `amends_id`).
fn form_submit(tx: &Connection, s: &Session, m: &PushMutation, now: i64) -> ApplyResult {
    const W: &str = "form.submit/1";
    let Some(f) = m.payload.get("form").filter(|f| f.is_object()) else {
        return Ok(reject("invalid_payload", format!("{W}: the form is missing")));
    };
    let id = str_field(f, "id", W)?;
    let incident_id = str_field(f, "incident_id", W)?;
    let pack_id = str_field(f, "pack_id", W)?;
    let Some(answers) = f.get("answers").filter(|a| a.is_object()) else {
        return Ok(reject("invalid_payload", format!("{W}: answers are missing")));
    };
    let amends = opt_str(f, "amends_id");
    if amends == Some(id) {
        return Ok(reject("invalid_payload", format!("{W}: a form cannot amend itself")));
    }
    if !may_record_on(tx, s, incident_id)? {
        return Ok(not_yours());
    }
    let exists: bool = tx.prepare_cached("SELECT 1 FROM forms WHERE id = ?1")?.exists([id])?;
    if exists {
        return Ok(reject(
            "form_exists",
            "This form was already submitted and cannot be changed; record an amendment instead.",
        ));
    }
    let pack_version = f.get("pack_version").map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    if let Some(problem) = form_problems(f, pack_id, pack_version.as_deref(), answers) {
        return Ok(reject("invalid_form", problem));
    }
    let grade = f.get("officer_grade").and_then(Value::as_str);
    tx.prepare_cached(
        "INSERT INTO forms (id, incident_id, pack_id, pack_version, author, submitted_by, client_id, answers,
            officer_grade, rationale, amends_id, submitted_at, received_at, status, payload)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'submitted', ?14)",
    )?
    .execute(params![
        id,
        incident_id,
        pack_id,
        pack_version,
        opt_str(f, "author"),
        s.officer_id,
        s.client_id,
        answers.to_string(),
        grade,
        opt_str(f, "rationale"),
        amends,
        opt_str(f, "submitted_at"),
        now,
        m.payload.to_string()
    ])?;
    log_casework(tx, incident_id)?;
    Ok(Applied::Ok(Some(id.to_string())))
}

/// What the service refuses in a submitted form of a pack it knows (review, 7 Dec 2026: any
/// client with an officer's login satisfied the service's gate with forms of `{}`, no grade and
/// no rationale). Of the version the service holds, the form is checked as the device checks
/// it (`bluelamp_forms::check_submit`: every required answer, the officer's grade and a
/// rationale with words), without the checks that hang on the device's clock or its incident
/// links (the form may have been written offline days ago). Of another version (a device on an
/// older or newer release), only what every version asks: a grade and a rationale for a pack
/// that grades, and at least one question of the pack answered. A pack the service does not know
/// (a force's own) is kept as sent, and does not count towards the service's gate.
fn form_problems(f: &Value, pack_id: &str, pack_version: Option<&str>, answers: &Value) -> Option<String> {
    use bluelamp_forms::{check_submit, Answer, FormRecord, FormStatus, SubmitIssue, ValidationContext};
    let pack = packs().iter().find(|p| p.id == pack_id)?;
    let answers: bluelamp_forms::Answers =
        answers.as_object().map(|a| a.clone().into_iter().collect()).unwrap_or_default();
    let record = FormRecord {
        form_id: opt_str(f, "id").unwrap_or_default().to_string(),
        incident_id: opt_str(f, "incident_id").unwrap_or_default().to_string(),
        pack_id: pack.id.clone(),
        pack_version: pack.version.clone(),
        author: opt_str(f, "author").unwrap_or_default().to_string(),
        answers,
        officer_grade: f.get("officer_grade").and_then(|g| serde_json::from_value(g.clone()).ok()),
        rationale: opt_str(f, "rationale").map(str::to_string),
        status: FormStatus::Draft,
        submitted_at: None,
        reviews: Vec::new(),
    };
    let issues: Vec<SubmitIssue> = if pack_version == Some(pack.version.as_str()) {
        let ctx = ValidationContext { linked_nominals: None, now: None, dates_from: None };
        check_submit(&record, pack, &ctx)
    } else {
        let mut issues = Vec::new();
        if pack.requires_grade && record.officer_grade.is_none() {
            issues.push(SubmitIssue::MissingGrade);
        }
        if pack.requires_grade && record.rationale.as_deref().is_none_or(bluelamp_forms::answers::says_nothing) {
            issues.push(SubmitIssue::MissingRationale);
        }
        let answered = pack
            .sections
            .iter()
            .flat_map(|s| &s.questions)
            .any(|q| Answer::resolve(record.answers.get(&q.id), q).is_answered());
        if !answered {
            return Some(format!("The {} holds no answers.", pack.title));
        }
        issues
    };
    if issues.is_empty() {
        return None;
    }
    let said: Vec<String> = issues
        .iter()
        .map(|i| match i {
            SubmitIssue::Field(f) => f.message.clone(),
            SubmitIssue::MissingGrade => "the officer's own grade is missing".into(),
            SubmitIssue::MissingRationale => "the rationale for the grade is missing".into(),
            SubmitIssue::PackMismatch { record, pack } => format!("the form is of {record}, not {pack}"),
            SubmitIssue::NotEditable { status } => format!("the form is {status:?}"),
        })
        .collect();
    let shown = said.iter().take(5).cloned().collect::<Vec<_>>().join("; ");
    let more = if said.len() > 5 { format!(" (and {} more)", said.len() - 5) } else { String::new() };
    Some(format!("The {} cannot be accepted: {shown}{more}.", pack.title))
}

/// The app's role policy: supervisors and superusers; an admin reads the access log but does no
/// records work.
fn can_supervise(r: Role) -> bool {
    r.allows(Permission::Supervise)
}

/// Whether `s` supervises an incident of `district` (a supervisor's reach is their district).
fn supervises(s: &Session, district: &str) -> bool {
    can_supervise(s.role) && district == s.district
}

/// The assignee and district of an incident the service holds.
fn held_incident(tx: &Connection, incident_id: &str) -> rusqlite::Result<Option<(String, String)>> {
    tx.prepare_cached("SELECT assigned_to, district FROM incidents WHERE id = ?1")?
        .query_row([incident_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

/// Whether an incident assigned to `assigned` in `district` is within `s`'s reach: theirs, or
/// in the district they supervise.
fn in_reach(s: &Session, assigned: &str, district: &str) -> bool {
    assigned == s.officer_id || supervises(s, district)
}

/// Whether `s` may record casework (a form, a referral decision) on `incident_id`: an incident
/// the service does not hold is the device's own; one it holds must be assigned to them, in the
/// district they supervise, or have been in their scope before (reassigned away after they
/// wrote on it offline: that work is not refused), or carry their earlier casework.
fn may_record_on(tx: &Connection, s: &Session, incident_id: &str) -> rusqlite::Result<bool> {
    let Some((assigned, district)) = held_incident(tx, incident_id)? else { return Ok(true) };
    if in_reach(s, &assigned, &district) {
        return Ok(true);
    }
    tx.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM changes WHERE record_type = 'incident' AND record_id = ?1 AND scope = ?2)
             OR EXISTS (SELECT 1 FROM forms WHERE incident_id = ?1 AND submitted_by = ?3)
             OR EXISTS (SELECT 1 FROM referrals WHERE incident_id = ?1 AND decided_by = ?3)
             OR EXISTS (SELECT 1 FROM under18_answers WHERE incident_id = ?1 AND answered_by = ?3)
             OR EXISTS (SELECT 1 FROM investigation_events WHERE incident_id = ?1 AND recorded_by = ?3)
             OR EXISTS (SELECT 1 FROM victims_told WHERE incident_id = ?1 AND told_by = ?3)
             OR EXISTS (SELECT 1 FROM update_preferences WHERE incident_id = ?1 AND recorded_by = ?3)",
    )?
    .query_row(params![incident_id, officer_key(&s.officer_id), s.officer_id], |r| r.get(0))
}

/// The district of an officer the service knows.
fn officer_district(tx: &Connection, officer_id: &str) -> rusqlite::Result<Option<String>> {
    tx.prepare_cached("SELECT district FROM officers WHERE id = ?1")?.query_row([officer_id], |r| r.get(0)).optional()
}

fn not_yours() -> Applied {
    reject("forbidden", "This incident is not assigned to you, nor in the district you supervise.")
}

/// `form.review/1`: a supervisor approves or returns a submitted form (a child record; the
/// form's content never changes, only its status).
fn form_review(tx: &Connection, s: &Session, m: &PushMutation, now: i64) -> ApplyResult {
    const W: &str = "form.review/1";
    let p = &m.payload;
    let form_id = str_field(p, "form_id", W)?;
    let (decision, status) = match opt_str(p, "decision") {
        Some("approve") => ("approve", "approved"),
        Some("return") => ("return", "returned"),
        _ => return Ok(reject("invalid_payload", format!("{W}: decision must be approve or return"))),
    };
    if !can_supervise(s.role) {
        return Ok(reject("forbidden", "Only a supervisor can review a form."));
    }
    let current: Option<(String, String, Option<String>)> = tx
        .prepare_cached("SELECT status, submitted_by, author FROM forms WHERE id = ?1")?
        .query_row([form_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((current_status, submitted_by, author)) = current else {
        return Ok(reject("unknown_form", "The central service does not hold this form."));
    };
    if current_status != "submitted" {
        return Ok(reject("already_reviewed", "This form has already been reviewed."));
    }
    // The district of the form's incident; for an incident the service does not hold (made on
    // the device), the district of the officer who submitted the form. Before (review,
    // 7 Dec 2026) a form on an incident the service does not hold could be reviewed by a
    // supervisor of any district.
    let district: Option<String> = match tx
        .prepare_cached("SELECT i.district FROM forms f JOIN incidents i ON i.id = f.incident_id WHERE f.id = ?1")?
        .query_row([form_id], |r| r.get(0))
        .optional()?
    {
        Some(d) => Some(d),
        None => officer_district(tx, &submitted_by)?,
    };
    if !district.is_some_and(|d| supervises(s, &d)) {
        return Ok(reject(
            "forbidden",
            "This form is on an incident outside the district you supervise (or, on an incident the \
             service does not hold, by an officer of another district).",
        ));
    }
    // The app refuses these too (`bluelamp_forms::review`); the service holds the rule for
    // every client.
    if s.officer_id == submitted_by || author.as_deref() == Some(s.officer_id.as_str()) {
        return Ok(reject("forbidden", "A supervisor cannot review their own form."));
    }
    if decision == "return" && opt_str(p, "comments").is_none_or(|c| c.trim().is_empty()) {
        return Ok(reject("invalid_payload", format!("{W}: returning a form needs comments for the officer")));
    }
    tx.prepare_cached(
        "INSERT INTO form_reviews (form_id, reviewer, decision, comments, reviewed_at, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![form_id, s.officer_id, decision, opt_str(p, "comments"), opt_str(p, "at"), now])?;
    tx.prepare_cached("UPDATE forms SET status = ?2 WHERE id = ?1")?.execute(params![form_id, status])?;
    let incident_id: String =
        tx.prepare_cached("SELECT incident_id FROM forms WHERE id = ?1")?.query_row([form_id], |r| r.get(0))?;
    log_casework(tx, &incident_id)?;
    Ok(Applied::Ok(Some(form_id.to_string())))
}

/// `referral.decision/1`: one active referral per victim, incident and destination.
fn referral_decision(tx: &Connection, s: &Session, m: &PushMutation, now: i64) -> ApplyResult {
    const W: &str = "referral.decision/1";
    let Some(d) = m.payload.get("decision") else {
        return Ok(reject("invalid_payload", format!("{W}: the decision is missing")));
    };
    let d: ReferralDecisionInfo = match serde_json::from_value(d.clone()) {
        Ok(d) => d,
        Err(e) => return Ok(reject("invalid_payload", format!("{W}: {e}"))),
    };
    for (k, v) in [("id", &d.id), ("incident_id", &d.incident_id), ("victim_id", &d.victim_id)] {
        if v.trim().is_empty() || v.len() > MAX_ID {
            return Ok(reject("invalid_payload", format!("{W}: {k} is missing or too long")));
        }
    }
    if d.outcome == ReferralOutcome::Referred && d.destination.as_deref().is_none_or(|x| x.trim().is_empty()) {
        return Ok(reject("invalid_payload", format!("{W}: a referral needs a destination")));
    }
    if !matches!(d.status.as_str(), "active" | "withdrawn") {
        return Ok(reject("invalid_payload", format!("{W}: unknown status {:?}", d.status)));
    }
    // What the victims engine asks of every decision, whatever the force's rules (review,
    // 7 Dec 2026: a decline with no words satisfied the service's gate): a decline in the
    // victim's own words, a deferral with its reason. The device checks more
    // (`bluelamp_victims::validate_decision`: consent, destinations, the safe-contact block).
    let says =
        |k: &str| d.details.get(k).and_then(Value::as_str).is_some_and(|t| !bluelamp_forms::answers::says_nothing(t));
    match d.outcome {
        ReferralOutcome::Declined if !says("in_their_words") => {
            return Ok(reject("invalid_decision", "A decline needs the victim's reason, in their own words."))
        }
        ReferralOutcome::Deferred if !says("reason") => {
            return Ok(reject("invalid_decision", "A deferral needs the reason it is not safe to ask the victim now."))
        }
        _ => {}
    }
    if !may_record_on(tx, s, &d.incident_id)? {
        return Ok(not_yours());
    }
    if tx.prepare_cached("SELECT 1 FROM referrals WHERE id = ?1")?.exists([&d.id])? {
        return Ok(reject("referral_exists", "This referral decision is already recorded and cannot be changed."));
    }
    let outcome = d.outcome.as_str();
    let res = tx
        .prepare_cached(
            "INSERT INTO referrals (id, incident_id, victim_id, outcome, destination, details, status, decided_at,
                decided_by, follow_up_task, client_id, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?
        .execute(params![
            d.id,
            d.incident_id,
            d.victim_id,
            outcome,
            d.destination.as_deref().map(|x| x.trim().to_ascii_lowercase()),
            d.details.to_string(),
            d.status,
            d.decided_at,
            // The signed-in officer, whatever the payload says (as a form's `submitted_by`):
            // a decision attributed to another officer made it their work on the service, sent
            // to their devices as theirs, with their reach over the incident.
            s.officer_id,
            m.payload.get("follow_up_task").filter(|t| !t.is_null()).map(Value::to_string),
            s.client_id,
            now
        ]);
    match res {
        Ok(_) => {
            log_casework(tx, &d.incident_id)?;
            Ok(Applied::Ok(Some(d.id)))
        }
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::ConstraintViolation => Ok(reject(
            "duplicate_referral",
            format!(
                "{} already has an active referral to {} for this incident.",
                d.victim_id,
                d.destination.unwrap_or_default()
            ),
        )),
        Err(e) => Err(e.into()),
    }
}

/// `referral.withdraw/1`: a recorded referral decision is withdrawn, with a reason: never
/// deleted, its status becomes `withdrawn` and it keeps the withdrawal (why, when, the signed-in
/// officer); it no longer holds its place as the victim's active referral to that destination.
/// `{"referral_id", "incident_id", "withdrawal": {"reason", "withdrawn_at"}}`.
fn referral_withdraw(tx: &Connection, s: &Session, m: &PushMutation) -> ApplyResult {
    const W: &str = "referral.withdraw/1";
    let p = &m.payload;
    let referral_id = str_field(p, "referral_id", W)?;
    let incident_id = str_field(p, "incident_id", W)?;
    let Some(w) = p.get("withdrawal").filter(|w| w.is_object()) else {
        return Ok(reject("invalid_payload", format!("{W}: the withdrawal is missing")));
    };
    let reason = w.get("reason").and_then(Value::as_str).map(str::trim).unwrap_or_default();
    if reason.is_empty() || reason.chars().count() > 4000 || reason.contains('\0') {
        return Ok(reject("invalid_payload", format!("{W}: the reason is missing, too long or holds a NUL")));
    }
    let withdrawn_at = w.get("withdrawn_at").and_then(Value::as_str).filter(|t| t.len() <= 64);
    let held = held_incident(tx, incident_id)?;
    if held.is_some() && !may_record_on(tx, s, incident_id)? {
        return Ok(not_yours());
    }
    let status: Option<(String, String, Option<String>)> = tx
        .prepare_cached("SELECT status, incident_id, decided_by FROM referrals WHERE id = ?1")?
        .query_row([referral_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let decided_by = match status {
        Some((_, inc, _)) if inc != incident_id => {
            return Ok(reject(
                "unknown_referral",
                "The central service holds no such referral decision on this incident.",
            ))
        }
        None => {
            return Ok(reject(
                "unknown_referral",
                "The central service holds no such referral decision on this incident.",
            ))
        }
        Some((st, _, _)) if st != "active" => {
            return Ok(reject("already_withdrawn", "This referral decision was already withdrawn."))
        }
        Some((_, _, decided_by)) => decided_by,
    };
    // Who may withdraw it: the officer who recorded the decision; on an incident the service
    // holds, also its assignee and its district's supervisors; on one it does not hold (made on
    // a device), a supervisor of the deciding officer's district. Before (review, 7 Dec 2026)
    // anyone could withdraw a decision on an incident the service does not hold, and anyone
    // with earlier casework on a held one could withdraw another officer's.
    let own = decided_by.as_deref() == Some(s.officer_id.as_str());
    let allowed = own
        || match &held {
            Some((assigned, district)) => in_reach(s, assigned, district),
            None => match decided_by.as_deref() {
                Some(by) => officer_district(tx, by)?.is_some_and(|d| supervises(s, &d)),
                None => false,
            },
        };
    if !allowed {
        return Ok(reject(
            "forbidden",
            "Only the officer who recorded this referral decision, or a supervisor of their district (on an \
             incident the service holds: its assigned officer or a supervisor of its district), can withdraw it.",
        ));
    }
    // The signed-in officer, whatever the payload says (as a decision's `decided_by`).
    let withdrawal =
        serde_json::json!({ "reason": reason, "withdrawn_at": withdrawn_at, "withdrawn_by": s.officer_id });
    tx.prepare_cached(
        "UPDATE referrals SET status = 'withdrawn', withdrawal = ?2 WHERE id = ?1 AND status = 'active'",
    )?
    .execute(params![referral_id, withdrawal.to_string()])?;
    log_casework(tx, incident_id)?;
    Ok(Applied::Ok(Some(referral_id.to_string())))
}

/// `victim.under18/1`: an officer's answer to "was this victim under 18 at the time of the
/// offence?" for a victim with no date of birth. `{"answer": Under18Answer}`. Whoever may record
/// a referral decision on the incident may answer ([`may_record_on`]); on an incident the
/// service holds, the person must be linked to it as a victim. Recorded as the signed-in
/// officer's. Immutable: the same answer sent again (a device restored from an older copy) is
/// taken as recorded; another answer under the same id is refused.
fn victim_under18(tx: &Connection, s: &Session, m: &PushMutation, now: i64) -> ApplyResult {
    const W: &str = "victim.under18/1";
    let Some(a) = m.payload.get("answer") else {
        return Ok(reject("invalid_payload", format!("{W}: the answer is missing")));
    };
    let a: bluelamp_protocol::victims::Under18Answer = match serde_json::from_value(a.clone()) {
        Ok(a) => a,
        Err(e) => return Ok(reject("invalid_payload", format!("{W}: {e}"))),
    };
    for (k, v) in [("id", &a.id), ("incident_id", &a.incident_id), ("nominal_id", &a.nominal_id)] {
        if v.trim().is_empty() || v.len() > MAX_ID {
            return Ok(reject("invalid_payload", format!("{W}: {k} is missing or too long")));
        }
    }
    // A time devices can order answers by (the latest counts): RFC 3339, not text that would
    // sort after every real time.
    if a.answered_at.len() > 64
        || time::OffsetDateTime::parse(a.answered_at.trim(), &time::format_description::well_known::Rfc3339).is_err()
    {
        return Ok(reject("invalid_payload", format!("{W}: answered_at is not an RFC 3339 time")));
    }
    if !may_record_on(tx, s, &a.incident_id)? {
        return Ok(not_yours());
    }
    let links: Option<String> = tx
        .prepare_cached("SELECT links FROM incidents WHERE id = ?1")?
        .query_row([&a.incident_id], |r| r.get(0))
        .optional()?;
    if let Some(links) = links {
        let links: Vec<Value> = serde_json::from_str(&links).unwrap_or_default();
        let victim = links.iter().any(|l| {
            l.get("nominal_id").and_then(Value::as_str) == Some(a.nominal_id.as_str())
                && l.get("role").and_then(Value::as_str) == Some("victim")
        });
        if !victim {
            return Ok(reject(
                "not_a_victim",
                format!(
                    "{} is not linked to this incident as a victim.",
                    bluelamp_protocol::dates::shown(&a.nominal_id, 60)
                ),
            ));
        }
    }
    let held: Option<(String, String, bool)> = tx
        .prepare_cached("SELECT incident_id, nominal_id, under_18 FROM under18_answers WHERE id = ?1")?
        .query_row([&a.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    match held {
        Some(h) if h == (a.incident_id.clone(), a.nominal_id.clone(), a.under_18) => {
            return Ok(Applied::Ok(Some(a.id)))
        }
        Some(_) => return Ok(reject("answer_exists", "This answer is already recorded and cannot be changed.")),
        None => {}
    }
    tx.prepare_cached(
        "INSERT INTO under18_answers (id, incident_id, nominal_id, under_18, answered_by, answered_at, client_id,
            received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    // The signed-in officer, whatever the payload says (as a referral decision's `decided_by`).
    .execute(params![
        a.id,
        a.incident_id,
        a.nominal_id,
        a.under_18,
        s.officer_id,
        a.answered_at,
        s.client_id,
        now
    ])?;
    log_casework(tx, &a.incident_id)?;
    Ok(Applied::Ok(Some(a.id)))
}

/// Whether `nominal_id` is linked as a victim to the incident, if the service holds it (`None`:
/// the incident is not held, so the device's judgement stands, as for `victim.under18/1`). The
/// service holds the links, not the rules: any role a victim's update is owed for (a victim, a
/// child present, a bereaved relative, a parent or guardian) counts.
fn linked_as_victim(tx: &Connection, incident_id: &str, nominal_id: &str) -> rusqlite::Result<Option<bool>> {
    let links: Option<String> = tx
        .prepare_cached("SELECT links FROM incidents WHERE id = ?1")?
        .query_row([incident_id], |r| r.get(0))
        .optional()?;
    Ok(links.map(|links| {
        let links: Vec<Value> = serde_json::from_str(&links).unwrap_or_default();
        links.iter().any(|l| {
            l.get("nominal_id").and_then(Value::as_str) == Some(nominal_id)
                && matches!(
                    l.get("role").and_then(Value::as_str),
                    Some("victim" | "child" | "bereaved_relative" | "parent_or_guardian")
                )
        })
    }))
}

/// `investigation.event/1`: a key event in the investigation (Victims' Code Right 6: arrest,
/// charge, bail, no further action…). `{"event": InvestigationEventInfo}`. Whoever may record a
/// referral decision on the incident may record one ([`may_record_on`]); the kind must be one of
/// `EVENT_KINDS` and the day a date. Recorded as the signed-in officer's. Immutable: the same
/// event sent again is taken as recorded; another under the same id is refused.
fn investigation_event(tx: &Connection, s: &Session, m: &PushMutation, now: i64) -> ApplyResult {
    const W: &str = "investigation.event/1";
    let Some(e) = m.payload.get("event") else {
        return Ok(reject("invalid_payload", format!("{W}: the event is missing")));
    };
    let e: bluelamp_protocol::victims::InvestigationEventInfo = match serde_json::from_value(e.clone()) {
        Ok(e) => e,
        Err(e) => return Ok(reject("invalid_payload", format!("{W}: {e}"))),
    };
    for (k, v) in [("id", &e.id), ("incident_id", &e.incident_id)] {
        if v.trim().is_empty() || v.len() > MAX_ID {
            return Ok(reject("invalid_payload", format!("{W}: {k} is missing or too long")));
        }
    }
    if bluelamp_protocol::victims::event_kind_label(&e.kind).is_none() {
        return Ok(reject("invalid_payload", format!("{W}: the kind is not one the Victims' Code lists")));
    }
    if bluelamp_protocol::dates::parse_iso_date(&e.occurred_on).is_err() || e.recorded_at.len() > 64 {
        return Ok(reject("invalid_payload", format!("{W}: occurred_on is not a date, or recorded_at is too long")));
    }
    if !may_record_on(tx, s, &e.incident_id)? {
        return Ok(not_yours());
    }
    // The device's checks again, on the service's clock: not in the future (a day's grace for a
    // device clock a little ahead) and not before the offence of an incident the service holds.
    // A date a year ahead (a laptop's clock) made an update "due in 250 working days" that never
    // escalated, on every device (review, 7 Dec 2026).
    let offence: Option<i64> = tx
        .prepare_cached("SELECT occurred_at FROM incidents WHERE id = ?1")?
        .query_row([&e.incident_id], |r| r.get(0))
        .optional()?;
    // The wall clock (`now` is the push's logical time, which tests set).
    let tomorrow = bluelamp_protocol::victims::uk_date(now_unix().saturating_add(86_400));
    let offence_on = offence.map(bluelamp_protocol::victims::uk_date);
    if let Err(why) = bluelamp_protocol::victims::check_event_date(&e.occurred_on, &tomorrow, offence_on.as_deref()) {
        return Ok(reject("invalid_event_date", format!("{W}: {why}")));
    }
    let (kind, occurred_on) = (e.kind.trim().to_string(), e.occurred_on.trim().to_string());
    let held: Option<(String, String, String)> = tx
        .prepare_cached("SELECT incident_id, kind, occurred_on FROM investigation_events WHERE id = ?1")?
        .query_row([&e.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    match held {
        Some(h) if h == (e.incident_id.clone(), kind.clone(), occurred_on.clone()) => {
            return Ok(Applied::Ok(Some(e.id)))
        }
        Some(_) => {
            return Ok(reject("event_exists", "This investigation event is already recorded and cannot be changed."))
        }
        None => {}
    }
    tx.prepare_cached(
        "INSERT INTO investigation_events (id, incident_id, kind, occurred_on, recorded_by, recorded_at, client_id,
            received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![e.id, e.incident_id, kind, occurred_on, s.officer_id, e.recorded_at, s.client_id, now])?;
    log_casework(tx, &e.incident_id)?;
    Ok(Applied::Ok(Some(e.id)))
}

/// `victim.updated/1`: a victim was told about an investigation event. `{"told": VictimToldInfo}`.
/// The same authorisation as a referral decision ([`may_record_on`]); the event must be held
/// for the incident (`unknown_event`; the device sends the event first, in the same or an
/// earlier batch) and, on an incident the service holds, the person linked to it as a victim.
/// Recorded as the signed-in officer's. Immutable: the same record sent again is taken.
fn victim_updated(tx: &Connection, s: &Session, m: &PushMutation, now: i64) -> ApplyResult {
    const W: &str = "victim.updated/1";
    let Some(t) = m.payload.get("told") else {
        return Ok(reject("invalid_payload", format!("{W}: the record is missing")));
    };
    let t: bluelamp_protocol::victims::VictimToldInfo = match serde_json::from_value(t.clone()) {
        Ok(t) => t,
        Err(e) => return Ok(reject("invalid_payload", format!("{W}: {e}"))),
    };
    for (k, v) in
        [("id", &t.id), ("event_id", &t.event_id), ("incident_id", &t.incident_id), ("nominal_id", &t.nominal_id)]
    {
        if v.trim().is_empty() || v.len() > MAX_ID {
            return Ok(reject("invalid_payload", format!("{W}: {k} is missing or too long")));
        }
    }
    if bluelamp_protocol::victims::told_how_label(&t.how).is_none() || t.told_at.len() > 64 {
        return Ok(reject("invalid_payload", format!("{W}: how is not a way of telling, or told_at is too long")));
    }
    if !may_record_on(tx, s, &t.incident_id)? {
        return Ok(not_yours());
    }
    let event_on: Option<String> = tx
        .prepare_cached("SELECT occurred_on FROM investigation_events WHERE id = ?1 AND incident_id = ?2")?
        .query_row([&t.event_id, &t.incident_id], |r| r.get(0))
        .optional()?;
    let Some(event_on) = event_on else {
        return Ok(reject("unknown_event", "There is no such investigation event on this incident."));
    };
    // The day told, when given: the device's check again, on the service's clock (a day's grace
    // for a device clock a little ahead), and not before the event.
    let told_on = match t.told_on.as_deref() {
        None => None,
        Some(d) => {
            let tomorrow = bluelamp_protocol::victims::uk_date(now_unix().saturating_add(86_400));
            if d.trim().is_empty() {
                return Ok(reject("invalid_told_on", format!("{W}: told_on is blank")));
            }
            match bluelamp_protocol::victims::check_told_on(Some(d), &tomorrow, &event_on) {
                Ok(d) => Some(d),
                Err(why) => return Ok(reject("invalid_told_on", format!("{W}: {why}"))),
            }
        }
    };
    if linked_as_victim(tx, &t.incident_id, &t.nominal_id)? == Some(false) {
        return Ok(reject(
            "not_a_victim",
            format!(
                "{} is not linked to this incident as a victim.",
                bluelamp_protocol::dates::shown(&t.nominal_id, 60)
            ),
        ));
    }
    let held: Option<(String, String, String)> = tx
        .prepare_cached("SELECT event_id, nominal_id, how FROM victims_told WHERE id = ?1")?
        .query_row([&t.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    match held {
        Some(h) if h == (t.event_id.clone(), t.nominal_id.clone(), t.how.trim().to_string()) => {
            return Ok(Applied::Ok(Some(t.id)))
        }
        Some(_) => return Ok(reject("told_exists", "This record is already held and cannot be changed.")),
        None => {}
    }
    tx.prepare_cached(
        "INSERT INTO victims_told (id, event_id, incident_id, nominal_id, how, told_by, told_at, told_on, client_id,
            received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        t.id,
        t.event_id,
        t.incident_id,
        t.nominal_id,
        t.how.trim(),
        s.officer_id,
        t.told_at,
        told_on,
        s.client_id,
        now
    ])?;
    log_casework(tx, &t.incident_id)?;
    Ok(Applied::Ok(Some(t.id)))
}

/// `victim.update_preference/1`: what updates after investigation events a victim wants (Right
/// 6: `all`, `key_decisions_only`, `none`). `{"preference": UpdatePreferenceInfo}`. The same
/// authorisation as a referral decision ([`may_record_on`]); on an incident the service holds,
/// the person must be linked to it as a victim. Recorded as the signed-in officer's. Immutable:
/// the same record sent again is taken; another under the same id is refused.
fn victim_update_preference(tx: &Connection, s: &Session, m: &PushMutation, now: i64) -> ApplyResult {
    const W: &str = "victim.update_preference/1";
    let Some(p) = m.payload.get("preference") else {
        return Ok(reject("invalid_payload", format!("{W}: the preference is missing")));
    };
    let p: bluelamp_protocol::victims::UpdatePreferenceInfo = match serde_json::from_value(p.clone()) {
        Ok(p) => p,
        Err(e) => return Ok(reject("invalid_payload", format!("{W}: {e}"))),
    };
    for (k, v) in [("id", &p.id), ("incident_id", &p.incident_id), ("nominal_id", &p.nominal_id)] {
        if v.trim().is_empty() || v.len() > MAX_ID {
            return Ok(reject("invalid_payload", format!("{W}: {k} is missing or too long")));
        }
    }
    if bluelamp_protocol::victims::update_preference_label(&p.wants).is_none() {
        return Ok(reject("invalid_payload", format!("{W}: wants is not all, key_decisions_only or none")));
    }
    // A time devices can order preferences by (the latest counts).
    if p.recorded_at.len() > 64
        || time::OffsetDateTime::parse(p.recorded_at.trim(), &time::format_description::well_known::Rfc3339).is_err()
    {
        return Ok(reject("invalid_payload", format!("{W}: recorded_at is not an RFC 3339 time")));
    }
    if !may_record_on(tx, s, &p.incident_id)? {
        return Ok(not_yours());
    }
    if linked_as_victim(tx, &p.incident_id, &p.nominal_id)? == Some(false) {
        return Ok(reject(
            "not_a_victim",
            format!(
                "{} is not linked to this incident as a victim.",
                bluelamp_protocol::dates::shown(&p.nominal_id, 60)
            ),
        ));
    }
    let wants = p.wants.trim().to_string();
    let held: Option<(String, String, String)> = tx
        .prepare_cached("SELECT incident_id, nominal_id, wants FROM update_preferences WHERE id = ?1")?
        .query_row([&p.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    match held {
        Some(h) if h == (p.incident_id.clone(), p.nominal_id.clone(), wants.clone()) => {
            return Ok(Applied::Ok(Some(p.id)))
        }
        Some(_) => return Ok(reject("preference_exists", "This record is already held and cannot be changed.")),
        None => {}
    }
    tx.prepare_cached(
        "INSERT INTO update_preferences (id, incident_id, nominal_id, wants, recorded_by, recorded_at, client_id,
            received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![p.id, p.incident_id, p.nominal_id, wants, s.officer_id, p.recorded_at, s.client_id, now])?;
    log_casework(tx, &p.incident_id)?;
    Ok(Applied::Ok(Some(p.id)))
}

/// Logs a change of an incident's casework (`RecordType::Casework`, id = the incident id) in
/// the scope of everyone who needs it: the officer the incident is assigned to and its
/// district's supervisors (if the service holds the incident), and every officer who submitted
/// a form or recorded a referral decision on it (their device may hold an incident the service
/// does not). Its own version, separate
/// from the incident's, so a review never makes an officer's closing-code edit look stale.
fn log_casework(tx: &Connection, incident_id: &str) -> rusqlite::Result<()> {
    let any: bool = tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM forms WHERE incident_id = ?1)
                 OR EXISTS (SELECT 1 FROM referrals WHERE incident_id = ?1)
                 OR EXISTS (SELECT 1 FROM under18_answers WHERE incident_id = ?1)
                 OR EXISTS (SELECT 1 FROM investigation_events WHERE incident_id = ?1)
                 OR EXISTS (SELECT 1 FROM victims_told WHERE incident_id = ?1)
                 OR EXISTS (SELECT 1 FROM update_preferences WHERE incident_id = ?1)",
        )?
        .query_row([incident_id], |r| r.get(0))?;
    if !any {
        return Ok(());
    }
    let mut officers: Vec<String> = tx
        .prepare_cached(
            "SELECT assigned_to FROM incidents WHERE id = ?1
             UNION SELECT submitted_by FROM forms WHERE incident_id = ?1
             UNION SELECT decided_by FROM referrals WHERE incident_id = ?1 AND decided_by IS NOT NULL
             UNION SELECT answered_by FROM under18_answers WHERE incident_id = ?1
             UNION SELECT recorded_by FROM investigation_events WHERE incident_id = ?1
             UNION SELECT told_by FROM victims_told WHERE incident_id = ?1
             UNION SELECT recorded_by FROM update_preferences WHERE incident_id = ?1",
        )?
        .query_map([incident_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    officers.sort();
    officers.dedup();
    for o in officers {
        record_change(tx, RecordType::Casework, incident_id, &officer_key(&o), None)?;
    }
    if let Some((_, d)) = held_incident(tx, incident_id)? {
        record_change(tx, RecordType::Casework, incident_id, &district_incidents_key(&d), None)?;
    }
    Ok(())
}

/// The casework the service holds for one incident, leaving out what `exclude_client` itself
/// pushed (that device holds it already). `None` when there is nothing to send.
///
/// The whole casework goes to the officer the incident is assigned to and to its district's
/// supervisors. Anyone else in its casework scope (an officer who wrote on it and was then
/// reassigned, or whose device holds an incident the service does not) gets only what they
/// recorded themselves, with its reviews: naming an incident in a form must not open its
/// casework to the writer.
fn casework_json(tx: &Connection, incident_id: &str, s: &Session) -> rusqlite::Result<Option<Value>> {
    use bluelamp_protocol::victims::{InvestigationEventInfo, Under18Answer, UpdatePreferenceInfo, VictimToldInfo};
    use bluelamp_protocol::wire::{Casework, CaseworkForm, CaseworkReview};
    let exclude_client = s.client_id.as_str();
    let whole = held_incident(tx, incident_id)?.is_some_and(|(assigned, district)| in_reach(s, &assigned, &district));
    // '' matches every writer; otherwise only this officer's own.
    let writer = if whole { "" } else { s.officer_id.as_str() };
    let forms: Vec<CaseworkForm> = tx
        .prepare_cached(
            "SELECT id, pack_id, pack_version, status, answers, officer_grade, rationale, amends_id, submitted_by,
                submitted_at
             FROM forms WHERE incident_id = ?1 AND client_id <> ?2 AND (?3 = '' OR submitted_by = ?3)
             ORDER BY received_at, id",
        )?
        .query_map([incident_id, exclude_client, writer], |r| {
            Ok(CaseworkForm {
                id: r.get(0)?,
                pack_id: r.get(1)?,
                pack_version: r.get(2)?,
                status: r.get(3)?,
                answers: serde_json::from_str(&r.get::<_, String>(4)?).unwrap_or(Value::Null),
                officer_grade: r.get(5)?,
                rationale: r.get(6)?,
                amends_id: r.get(7)?,
                submitted_by: r.get(8)?,
                submitted_at: r.get(9)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let reviews: Vec<CaseworkReview> = tx
        .prepare_cached(
            "SELECT v.id, v.form_id, v.reviewer, v.decision, v.comments, v.reviewed_at
             FROM form_reviews v JOIN forms f ON f.id = v.form_id
             WHERE f.incident_id = ?1 AND (?2 = '' OR f.submitted_by = ?2) ORDER BY v.id",
        )?
        .query_map([incident_id, writer], |r| {
            Ok(CaseworkReview {
                id: format!("central-review-{}", r.get::<_, i64>(0)?),
                form_id: r.get(1)?,
                reviewer: r.get(2)?,
                decision: r.get(3)?,
                comments: r.get(4)?,
                reviewed_at: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let referrals: Vec<ReferralDecisionInfo> = tx
        .prepare_cached(
            "SELECT id, victim_id, outcome, destination, details, status, decided_at, decided_by, withdrawal
             FROM referrals WHERE incident_id = ?1 AND client_id <> ?2 AND (?3 = '' OR decided_by = ?3)
             ORDER BY received_at, id",
        )?
        .query_map([incident_id, exclude_client, writer], |r| {
            // A row with an outcome this build does not know is left out.
            let Some(outcome) = ReferralOutcome::parse(&r.get::<_, String>(2)?) else { return Ok(None) };
            Ok(Some(ReferralDecisionInfo {
                id: r.get(0)?,
                incident_id: incident_id.to_string(),
                victim_id: r.get(1)?,
                outcome,
                destination: r.get(3)?,
                details: serde_json::from_str(&r.get::<_, String>(4)?).unwrap_or(Value::Null),
                status: r.get(5)?,
                decided_at: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
                decided_by: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
                withdrawal: r.get::<_, Option<String>>(8)?.and_then(|w| serde_json::from_str(&w).ok()),
            }))
        })?
        .filter_map(Result::transpose)
        .collect::<rusqlite::Result<_>>()?;
    let under18_answers: Vec<Under18Answer> = tx
        .prepare_cached(
            "SELECT id, nominal_id, under_18, answered_by, answered_at FROM under18_answers
             WHERE incident_id = ?1 AND client_id <> ?2 AND (?3 = '' OR answered_by = ?3)
             ORDER BY received_at, id",
        )?
        .query_map([incident_id, exclude_client, writer], |r| {
            Ok(Under18Answer {
                id: r.get(0)?,
                incident_id: incident_id.to_string(),
                nominal_id: r.get(1)?,
                under_18: r.get(2)?,
                answered_by: r.get(3)?,
                answered_at: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let events: Vec<InvestigationEventInfo> = tx
        .prepare_cached(
            "SELECT id, kind, occurred_on, recorded_by, recorded_at FROM investigation_events
             WHERE incident_id = ?1 AND client_id <> ?2 AND (?3 = '' OR recorded_by = ?3)
             ORDER BY received_at, id",
        )?
        .query_map([incident_id, exclude_client, writer], |r| {
            Ok(InvestigationEventInfo {
                id: r.get(0)?,
                incident_id: incident_id.to_string(),
                kind: r.get(1)?,
                occurred_on: r.get(2)?,
                recorded_by: r.get(3)?,
                recorded_at: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let told: Vec<VictimToldInfo> = tx
        .prepare_cached(
            "SELECT id, event_id, nominal_id, how, told_by, told_at, told_on FROM victims_told
             WHERE incident_id = ?1 AND client_id <> ?2 AND (?3 = '' OR told_by = ?3)
             ORDER BY received_at, id",
        )?
        .query_map([incident_id, exclude_client, writer], |r| {
            Ok(VictimToldInfo {
                id: r.get(0)?,
                event_id: r.get(1)?,
                incident_id: incident_id.to_string(),
                nominal_id: r.get(2)?,
                how: r.get(3)?,
                told_by: r.get(4)?,
                told_at: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                told_on: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let update_preferences: Vec<UpdatePreferenceInfo> = tx
        .prepare_cached(
            "SELECT id, nominal_id, wants, recorded_by, recorded_at FROM update_preferences
             WHERE incident_id = ?1 AND client_id <> ?2 AND (?3 = '' OR recorded_by = ?3)
             ORDER BY received_at, id",
        )?
        .query_map([incident_id, exclude_client, writer], |r| {
            Ok(UpdatePreferenceInfo {
                id: r.get(0)?,
                incident_id: incident_id.to_string(),
                nominal_id: r.get(1)?,
                wants: r.get(2)?,
                recorded_by: r.get(3)?,
                recorded_at: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    if forms.is_empty()
        && reviews.is_empty()
        && referrals.is_empty()
        && under18_answers.is_empty()
        && events.is_empty()
        && told.is_empty()
        && update_preferences.is_empty()
    {
        return Ok(None);
    }
    let c = Casework {
        incident_id: incident_id.to_string(),
        forms,
        reviews,
        referrals,
        under18_answers,
        events,
        told,
        update_preferences,
    };
    Ok(serde_json::to_value(c).ok())
}

fn incident_json(tx: &Connection, id: &str) -> rusqlite::Result<Option<(Value, u64, String, String)>> {
    tx.prepare_cached(
        "SELECT id, reference, incident_type, offence_category, place, postcode, team, occurred_at, recorded_at,
            assigned_to, district, closing_code, status, finalised_at, links, version,
            nfa_dup_duplicate_of, nfa_dup_no_incident_found
         FROM incidents WHERE id = ?1",
    )?
    .query_row([id], |r| {
        let links: Value = serde_json::from_str(&r.get::<_, String>(14)?).unwrap_or(Value::Array(vec![]));
        let version: i64 = r.get(15)?;
        let status: String = r.get(12)?;
        let assigned: String = r.get(9)?;
        let duplicate_of: Option<String> = r.get(16)?;
        let no_incident_found: Option<String> = r.get(17)?;
        let mut record = json!({
                "id": r.get::<_, String>(0)?,
                "reference": r.get::<_, String>(1)?,
                "incident_type": r.get::<_, String>(2)?,
                "offence_category": r.get::<_, Option<String>>(3)?,
                "place": r.get::<_, Option<String>>(4)?,
                "postcode": r.get::<_, Option<String>>(5)?,
                "team": r.get::<_, Option<String>>(6)?,
                "occurred_at": r.get::<_, i64>(7)?,
                "recorded_at": r.get::<_, i64>(8)?,
                "assigned_to": assigned,
                "district": r.get::<_, String>(10)?,
                "closing_code": r.get::<_, Option<String>>(11)?,
                "status": status,
                "finalised_at": r.get::<_, Option<String>>(13)?,
                "links": links,
                "version": version,
        });
        // The NFA-DUP reason, only when there is one (the record of any other code is unchanged).
        if let Some(d) = duplicate_of {
            record["duplicate_of"] = json!(d);
        }
        if let Some(n) = no_incident_found {
            record["no_incident_found"] = json!(n);
        }
        Ok((record, version as u64, status, assigned))
    })
    .optional()
}

/// Whether an edit based on `base` is stale: the incident moved since `base`, and not only by
/// this client's own consecutive edits (a device that sets a closing code and then finalises
/// before its next pull sends the same base twice; that is not a clash).
///
/// An edit without a base (`base_version` missing) is stale: the writer never saw any version
/// of the incident, so it cannot know what it overwrites. It was taken as current (review,
/// 7 Dec 2026: a closing code pushed without a base replaced another officer's with no
/// conflict). A conflict, not a rejection: the device keeps the edit and the officer resolves
/// it against the service's version (a device sends no base only for an incident it never
/// pulled).
fn is_stale(
    tx: &Connection,
    s: &Session,
    incident_id: &str,
    base: Option<u64>,
    version: u64,
) -> rusqlite::Result<bool> {
    let Some(base) = base else { return Ok(true) };
    if base == version {
        return Ok(false);
    }
    let (writer, writer_base): (Option<String>, Option<i64>) = tx
        .prepare_cached("SELECT writer_client, writer_base FROM incidents WHERE id = ?1")?
        .query_row([incident_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let own_run = writer.as_deref() == Some(s.client_id.as_str())
        && writer_base.is_some_and(|wb| base >= wb.max(0) as u64 && base < version);
    Ok(!own_run)
}

/// Takes the incident's next version for an edit by this client, keeping the run of its
/// consecutive edits (see [`is_stale`]).
fn bump_incident(tx: &Connection, s: &Session, incident_id: &str, assigned: &str, old: u64) -> rusqlite::Result<u64> {
    let district: String =
        tx.prepare_cached("SELECT district FROM incidents WHERE id = ?1")?.query_row([incident_id], |r| r.get(0))?;
    let v = log_incident(tx, incident_id, assigned, &district, None)?;
    tx.prepare_cached(
        "UPDATE incidents SET writer_base = CASE WHEN writer_client IS ?2 THEN writer_base ELSE ?3 END,
            writer_client = ?2 WHERE id = ?1",
    )?
    .execute(params![incident_id, s.client_id, old as i64])?;
    Ok(v)
}

/// `incident.closing_code/1` and `incident.finalise/1`: edits of a shared record. A stale
/// `base_version` (or, for finalise, a closing code that differs from the server's) is a
/// conflict notice, not an overwrite.
fn incident_change(tx: &Connection, s: &Session, m: &PushMutation, now: i64, finalise: bool) -> ApplyResult {
    let w = if finalise { "incident.finalise/1" } else { "incident.closing_code/1" };
    let p = &m.payload;
    let incident_id = str_field(p, "incident_id", w)?;
    let code = closing_code_of(p.get("closing_code"), w)?;
    let Some((theirs, version, status, assigned)) = incident_json(tx, incident_id)? else {
        return Ok(reject("unknown_incident", "The central service does not hold this incident."));
    };
    if assigned != s.officer_id && !theirs.get("district").and_then(Value::as_str).is_some_and(|d| supervises(s, d)) {
        return Ok(not_yours());
    }
    if status == "finalised" {
        return Ok(reject("incident_finalised", "This incident is already finalised."));
    }
    let stale = is_stale(tx, s, incident_id, m.base_version, version)?;
    let code_differs = finalise && theirs.get("closing_code").and_then(Value::as_str).map(str::to_string) != code;
    if stale || code_differs {
        return Ok(conflict(m, incident_id, theirs, version));
    }
    // NFA-DUP needs its reason (the forms crate's rule, as on the device).
    let reason = if finalise { None } else { Some(nfa_dup_reason(tx, p, incident_id, &theirs, code.as_deref(), w)?) };
    if finalise {
        if let Some(refused) = nfa_dup_reason_held(tx, incident_id, &theirs, code.as_deref())? {
            return Ok(refused);
        }
        if let Some(refused) = gate_refusal(tx, incident_id, &theirs, code.as_deref())? {
            return Ok(reject("gate_refused", refused));
        }
    }
    let v = bump_incident(tx, s, incident_id, &assigned, version)?;
    if finalise {
        tx.prepare_cached(
            "UPDATE incidents SET status = 'finalised', finalised_at = ?2, version = ?3, updated_at = ?4 WHERE id = ?1",
        )?
        .execute(params![incident_id, opt_str(p, "finalised_at"), v as i64, now])?;
    } else {
        let (d, n) = reason
            .flatten()
            .as_ref()
            .map(|r| r.fields())
            .map(|(d, n)| (d.map(str::to_string), n.map(str::to_string)))
            .unwrap_or_default();
        tx.prepare_cached(
            "UPDATE incidents SET closing_code = ?2, version = ?3, updated_at = ?4, nfa_dup_duplicate_of = ?5,
                nfa_dup_no_incident_found = ?6 WHERE id = ?1",
        )?
        .execute(params![incident_id, code, v as i64, now, d, n])?;
    }
    Ok(Applied::Ok(Some(incident_id.to_string())))
}

/// The `NFA-DUP` reason of a payload (`duplicate_of` / `no_incident_found`, texts or absent),
/// checked by `bluelamp_forms::check_nfa_dup` on what the service holds: a duplicate of an
/// incident it holds passes the device's checks (another incident, not closed NFA-DUP, of the
/// same safeguarding kind); one it does not hold is refused (devices make no incidents, so
/// a real original is always held; an unknown one let a DA incident be finalised). A
/// duplicate-of given by reference is kept as the original's id. Refused: `nfa_dup_reason_missing`
/// or `nfa_dup_reason_invalid`.
fn nfa_dup_reason(
    tx: &Connection,
    p: &Value,
    incident_id: &str,
    theirs: &Value,
    code: Option<&str>,
    w: &str,
) -> Result<Option<bluelamp_forms::NfaDupReason>, Failure> {
    use bluelamp_forms::{check_nfa_dup, DupIncident, NfaDupReason};
    let text = |k: &str| -> Result<Option<&str>, Failure> {
        match p.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(t)) if t.chars().count() <= bluelamp_forms::nfa_dup::MAX_NO_INCIDENT_CHARS => {
                Ok(Some(t.as_str()))
            }
            _ => Err(reject("invalid_payload", format!("{w}: {k} must be a text (at most 2000 characters)")).into()),
        }
    };
    let reason = NfaDupReason::from_fields(text("duplicate_of")?, text("no_incident_found")?)
        .map_err(|e| Failure::from(reject(e.code(), format!("{w}: {e}"))))?;
    let original: Option<(String, String, Option<String>)> = match &reason {
        Some(NfaDupReason::DuplicateOf(given)) => tx
            .prepare_cached(
                "SELECT id, incident_type, closing_code FROM incidents WHERE id = ?1 OR reference = ?1
                 ORDER BY id = ?1 DESC LIMIT 1",
            )?
            .query_row([given.as_str()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?,
        _ => None,
    };
    let this = DupIncident {
        id: incident_id,
        incident_type: theirs.get("incident_type").and_then(Value::as_str).unwrap_or_default(),
        closing_code: None,
    };
    let held = original.as_ref().map(|(id, t, c)| DupIncident { id, incident_type: t, closing_code: c.as_deref() });
    // The service holds every incident (devices make none): an original it does not hold is
    // none, refused as on the device.
    check_nfa_dup(code, &this, reason.as_ref(), held.as_ref(), false)
        .map_err(|e| Failure::from(reject(e.code(), format!("{w}: {e}"))))?;
    Ok(match (reason, original) {
        (Some(NfaDupReason::DuplicateOf(_)), Some((id, _, _))) => Some(NfaDupReason::DuplicateOf(id)),
        (r, _) => r,
    })
}

/// A finalise (or a resolution) of an incident held closed `NFA-DUP`: refused with no reason
/// (closed so before reasons were asked), `nfa_dup_reason_missing`; and refused when a
/// duplicate-of reason no longer holds on the original as held now (recoded from DA since, or
/// closed NFA-DUP itself: two duplicates of each other), `nfa_dup_reason_invalid`. Checked
/// only when the reason was set, a DA incident went past the gate with nothing (review,
/// 7 Dec 2026).
fn nfa_dup_reason_held(
    tx: &Connection,
    incident_id: &str,
    theirs: &Value,
    code: Option<&str>,
) -> Result<Option<Applied>, Failure> {
    use bluelamp_forms::{check_nfa_dup, DupIncident, NfaDupReason};
    if !code.is_some_and(bluelamp_forms::is_nfa_dup) {
        return Ok(None);
    }
    let field = |k: &str| theirs.get(k).and_then(Value::as_str).filter(|t| !t.trim().is_empty());
    let Ok(Some(reason)) = NfaDupReason::from_fields(field("duplicate_of"), field("no_incident_found")) else {
        return Ok(Some(reject(
            "nfa_dup_reason_missing",
            "NFA-DUP needs its reason: set the closing code again with the incident this one duplicates, or no \
             incident found in words.",
        )));
    };
    let NfaDupReason::DuplicateOf(original_id) = &reason else { return Ok(None) };
    let original: Option<(String, String, Option<String>)> = tx
        .prepare_cached("SELECT id, incident_type, closing_code FROM incidents WHERE id = ?1")?
        .query_row([original_id.as_str()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let this = DupIncident {
        id: incident_id,
        incident_type: theirs.get("incident_type").and_then(Value::as_str).unwrap_or_default(),
        closing_code: None,
    };
    let held = original.as_ref().map(|(id, t, c)| DupIncident { id, incident_type: t, closing_code: c.as_deref() });
    Ok(check_nfa_dup(code, &this, Some(&reason), held.as_ref(), false).err().map(|e| {
        reject(e.code(), format!("The reason for NFA-DUP no longer holds: {e} Set the closing code again with another reason, or choose another code."))
    }))
}

/// A closing code from a payload: text of the closing-code list (as the list spells it, any
/// case or spacing typed), or null. Any other text was stored as sent (a device drops a code it
/// does not know, so the two then disagreed), HTML included.
fn closing_code_of(v: Option<&Value>, w: &str) -> Result<Option<String>, Failure> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(c)) if c.len() <= MAX_ID => {
            let c = c.trim();
            if c.is_empty() {
                return Ok(None);
            }
            match closing_codes()?.get(c) {
                Some(known) => Ok(Some(known.code.clone())),
                None => Err(reject("unknown_closing_code", format!("{w}: {c:?} is not a closing code")).into()),
            }
        }
        _ => Err(reject("invalid_payload", format!("{w}: closing_code must be a text or null")).into()),
    }
}

fn closing_codes() -> Result<&'static bluelamp_forms::ClosingCodes, Failure> {
    static CODES: std::sync::OnceLock<Option<bluelamp_forms::ClosingCodes>> = std::sync::OnceLock::new();
    CODES
        .get_or_init(|| bluelamp_forms::builtin_closing_codes().ok())
        .as_ref()
        .ok_or_else(|| reject("internal", "the closing-code list did not load").into())
}

fn packs() -> &'static [bluelamp_forms::FormPack] {
    static PACKS: std::sync::OnceLock<Vec<bluelamp_forms::FormPack>> = std::sync::OnceLock::new();
    PACKS.get_or_init(|| bluelamp_forms::builtin_packs().unwrap_or_default())
}

/// The closing-code gate, run by the service too (a device runs it before it queues a
/// finalise; the service held no rule, so any client with an officer's login closed a DA
/// incident with no code, assessment, plan or referral decision, and the device could then
/// never add them). Checks what the service holds: the forms submitted or approved on the
/// incident (an amended version left out), and a referral decision (any outcome) for every
/// person linked as a victim. The Victims' Code notifications and the victims the device
/// counts besides (a child at domestic abuse, a bereaved relative) are the device's gate alone.
/// `Ok(Some(message))` when it refuses.
fn gate_refusal(
    tx: &Connection,
    incident_id: &str,
    theirs: &Value,
    code: Option<&str>,
) -> Result<Option<String>, Failure> {
    let codes = closing_codes()?;
    let incident_type = theirs.get("incident_type").and_then(Value::as_str).unwrap_or_default();
    let selected = bluelamp_forms::gate_codes(incident_type, code);
    let mut forms: Vec<(String, String, String, Option<String>, String)> = tx
        .prepare_cached("SELECT id, pack_id, status, amends_id, answers FROM forms WHERE incident_id = ?1")?
        .query_map([incident_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let amended: std::collections::HashSet<String> = forms.iter().filter_map(|f| f.3.clone()).collect();
    forms.retain(|f| !amended.contains(&f.0));
    let mut state = bluelamp_forms::SafeguardingState::default();
    for (id, pack_id, status, _, answers) in forms {
        let Some(pack) = packs().iter().find(|p| p.id == pack_id) else { continue };
        let status = match status.as_str() {
            "approved" => bluelamp_forms::FormStatus::Approved,
            "returned" => bluelamp_forms::FormStatus::Returned,
            _ => bluelamp_forms::FormStatus::Submitted,
        };
        let answers: bluelamp_forms::Answers = match serde_json::from_str::<Value>(&answers) {
            Ok(Value::Object(a)) => a.into_iter().collect(),
            _ => Default::default(),
        };
        state.forms.push(bluelamp_forms::FormSummary {
            form_id: id,
            pack_id,
            kind: pack.kind,
            status,
            officer_grade: None,
            submitted_at: None,
            suggested_grade: None,
            sections: bluelamp_forms::visible_sections(pack, &answers),
            // Kept, but `assessed_victims` stays empty: the service asks for one risk assessment
            // and one plan per incident, the device one per adult victim (the device's gate
            // knows their ages; never refuse here what the device accepted).
            victim_id: bluelamp_forms::victim_of(&answers),
        });
    }
    let links = theirs.get("links").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut decided = tx.prepare_cached(
        "SELECT 1 FROM referrals WHERE incident_id = ?1 AND victim_id = ?2 AND status = 'active' LIMIT 1",
    )?;
    for l in &links {
        let (Some(id), Some("victim")) =
            (l.get("nominal_id").and_then(Value::as_str), l.get("role").and_then(Value::as_str))
        else {
            continue;
        };
        if state.victims.iter().any(|v| v.victim_id == id) {
            continue;
        }
        state.victims.push(bluelamp_forms::VictimReferralState {
            victim_id: id.to_string(),
            name: id.to_string(),
            decision_recorded: decided.exists(params![incident_id, id])?,
            notifications_due: Vec::new(),
        });
    }
    Ok(match bluelamp_forms::check_closure(codes, &selected, &state) {
        Ok(()) => None,
        Err(missing) => Some(format!(
            "The incident cannot be finalised: {}.",
            missing.iter().map(|m| m.label.as_str()).collect::<Vec<_>>().join("; ")
        )),
    })
}

fn conflict(m: &PushMutation, incident_id: &str, theirs: Value, version: u64) -> Applied {
    Applied::Conflict(Box::new(ConflictNotice {
        seq: m.seq,
        record_type: "incident".into(),
        record_id: incident_id.to_string(),
        base: json!({ "version": m.base_version }),
        mine: m.payload.clone(),
        theirs,
        server_version: version,
    }))
}

/// `incident.resolve/1`: an officer's field-by-field resolution of a conflict, based on the
/// server version the conflict notice carried. Payload: `incident_id`, `fields` (an object with
/// `closing_code` (text or null) and/or `status` (`open` or `finalised`)), `at`. If the incident
/// moved again since that version, the answer is a new conflict; a finalised incident is not
/// reopened (`incident_finalised`).
fn incident_resolve(tx: &Connection, s: &Session, m: &PushMutation, now: i64) -> ApplyResult {
    const W: &str = "incident.resolve/1";
    let p = &m.payload;
    let incident_id = str_field(p, "incident_id", W)?;
    let Some(fields) = p.get("fields").and_then(Value::as_object) else {
        return Ok(reject("invalid_payload", format!("{W}: fields must be an object")));
    };
    if m.base_version.is_none() {
        return Ok(reject("invalid_payload", format!("{W}: a resolution needs the base version it resolved")));
    }
    let mut code = None;
    let mut finalise = false;
    for (k, v) in fields {
        match (k.as_str(), v) {
            ("closing_code", v) => code = Some(closing_code_of(Some(v), W)?),
            ("status", Value::String(st)) if st == "open" => {}
            ("status", Value::String(st)) if st == "finalised" => finalise = true,
            (other, _) => return Ok(reject("invalid_payload", format!("{W}: field {other:?} cannot be resolved"))),
        }
    }
    let Some((theirs, version, status, assigned)) = incident_json(tx, incident_id)? else {
        return Ok(reject("unknown_incident", "The central service does not hold this incident."));
    };
    if assigned != s.officer_id && !theirs.get("district").and_then(Value::as_str).is_some_and(|d| supervises(s, d)) {
        return Ok(not_yours());
    }
    if status == "finalised" {
        return Ok(reject("incident_finalised", "This incident is already finalised."));
    }
    if is_stale(tx, s, incident_id, m.base_version, version)? {
        return Ok(conflict(m, incident_id, theirs, version));
    }
    let held = theirs.get("closing_code").and_then(Value::as_str).map(str::to_string);
    let closing = code.clone().unwrap_or(held);
    // A resolution to NFA-DUP keeps a reason: the one it carries, or the one held here.
    let carried = ["duplicate_of", "no_incident_found"].iter().any(|k| p.get(*k).is_some_and(|v| !v.is_null()));
    let reason = if carried {
        Some(nfa_dup_reason(tx, p, incident_id, &theirs, closing.as_deref(), W)?)
    } else {
        if let Some(refused) = nfa_dup_reason_held(tx, incident_id, &theirs, closing.as_deref())? {
            return Ok(refused);
        }
        None
    };
    if finalise {
        if let Some(refused) = gate_refusal(tx, incident_id, &theirs, closing.as_deref())? {
            return Ok(reject("gate_refused", refused));
        }
    }
    let v = bump_incident(tx, s, incident_id, &assigned, version)?;
    if let Some(code) = code {
        tx.prepare_cached("UPDATE incidents SET closing_code = ?2 WHERE id = ?1")?
            .execute(params![incident_id, code])?;
    }
    if let Some(r) = reason {
        let (d, n) = r.as_ref().map(|r| r.fields()).unwrap_or_default();
        tx.prepare_cached(
            "UPDATE incidents SET nfa_dup_duplicate_of = ?2, nfa_dup_no_incident_found = ?3 WHERE id = ?1",
        )?
        .execute(params![incident_id, d, n])?;
    } else if !closing.as_deref().is_some_and(bluelamp_forms::is_nfa_dup) {
        tx.prepare_cached(
            "UPDATE incidents SET nfa_dup_duplicate_of = NULL, nfa_dup_no_incident_found = NULL WHERE id = ?1",
        )?
        .execute(params![incident_id])?;
    }
    if finalise {
        tx.prepare_cached("UPDATE incidents SET status = 'finalised', finalised_at = ?2 WHERE id = ?1")?
            .execute(params![incident_id, opt_str(p, "at")])?;
    }
    tx.prepare_cached("UPDATE incidents SET version = ?2, updated_at = ?3 WHERE id = ?1")?.execute(params![
        incident_id,
        v as i64,
        now
    ])?;
    Ok(Applied::Ok(Some(incident_id.to_string())))
}

// ---- provisional nominals (issue 7) -----------------------------------------------------------
//
// States of a nominal created on a device (`nominals.status`):
// - no likely match: `active` at once (indexed, logged in the officer's district: every device
//   of the district pulls it, and the creating device's copy stops being provisional);
// - likely matches (score ≥ `bluelamp_names::LIKELY_DUPLICATE_SCORE`): `provisional`, held by
//   the service (not indexed, not in any pull) with a `PossibleDuplicate` for the officer;
// - `nominal.resolve_duplicate/1` "new": `active` as above;
// - "link": `merged` into the chosen person (`merged_into` keeps the redirect); the person
//   gains the provisional name as an alias (and any fields it lacked) and is re-served; the
//   provisional id gets a tombstone in its district, so the creating device drops its copy.

/// Logs a tombstone for a record in `scope` (it left that scope or no longer exists).
fn record_tombstone(tx: &Connection, t: RecordType, id: &str, scope: &str) -> rusqlite::Result<u64> {
    let v = next_version(tx)?;
    tx.prepare_cached(
        "INSERT INTO changes (version, record_type, record_id, scope, op) VALUES (?1, ?2, ?3, ?4, 'tombstone')
         ON CONFLICT (record_type, record_id, scope) DO UPDATE SET version = excluded.version, op = excluded.op",
    )?
    .execute(params![v as i64, type_str(t), id, scope])?;
    Ok(v)
}

/// About the length of `v` as JSON (strings and keys counted unescaped), without writing it.
fn json_size(v: &Value) -> usize {
    match v {
        Value::Null | Value::Bool(_) | Value::Number(_) => 8,
        Value::String(s) => s.len() + 2,
        Value::Array(a) => a.iter().map(|x| json_size(x) + 1).sum::<usize>() + 2,
        Value::Object(o) => o.iter().map(|(k, x)| k.len() + 4 + json_size(x)).sum::<usize>() + 2,
    }
}

/// A held nominal: (record, district, status, created_by).
type Held = (WireNominal, String, String, Option<String>);

fn held_nominal(tx: &Connection, id: &str) -> rusqlite::Result<Option<Held>> {
    tx.prepare_cached(&format!("SELECT {NOMINAL_COLUMNS}, district, status, created_by FROM nominals WHERE id = ?1"))?
        .query_row([id], |r| Ok((nominal_of(r)?, r.get(9)?, r.get(10)?, r.get(11)?)))
        .optional()
}

/// `nominal.create/1`: `{ "nominal": WireNominal }`, checked with the same
/// `NewNominal::validate` as the app, then matched like a search (see `matching.rs`).
fn nominal_create(tx: &Connection, s: &Session, m: &PushMutation) -> ApplyResult {
    const W: &str = "nominal.create/1";
    use bluelamp_protocol::nominal::NewNominal;
    let Some(raw) = m.payload.get("nominal") else {
        return Ok(reject("invalid_payload", format!("{W}: the nominal is missing")));
    };
    let w: WireNominal = match serde_json::from_value(raw.clone()) {
        Ok(w) => w,
        Err(e) => return Ok(reject("invalid_payload", format!("{W}: {e}"))),
    };
    if w.id.trim().is_empty() || w.id.len() > MAX_ID {
        return Ok(reject("invalid_payload", format!("{W}: id is missing or too long")));
    }
    if let Some(i) = NewNominal::from_wire(&w).validate().into_iter().next() {
        return Ok(reject("invalid_payload", format!("{W}: {}: {}", i.field, i.message)));
    }
    // Normalised the same way as on the device (to_wire is idempotent on a valid record).
    let w = NewNominal::from_wire(&w).to_wire(&w.id);
    if held_nominal(tx, &w.id)?.is_some() {
        return Ok(reject("nominal_exists", "The central service already holds a person with this id."));
    }
    let candidates = crate::matching::likely_duplicates(tx, &w)?;
    let status = if candidates.is_empty() { "active" } else { "provisional" };
    let version = if candidates.is_empty() {
        crate::matching::add_keys(tx, &w)?;
        record_change(tx, RecordType::Nominal, &w.id, &district_key(&s.district), None)? as i64
    } else {
        0
    };
    tx.prepare_cached(&format!(
        "INSERT INTO nominals ({NOMINAL_COLUMNS}, district, version, status, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
    ))?
    .execute(params![
        w.id,
        source_str(w.source),
        w.given_name,
        w.surname,
        w.date_of_birth,
        w.sex,
        serde_json::to_string(&w.aliases).unwrap_or_else(|_| "[]".into()),
        w.address,
        w.postcode,
        s.district,
        version,
        status,
        s.officer_id
    ])?;
    if candidates.is_empty() {
        Ok(Applied::Ok(Some(w.id)))
    } else {
        Ok(Applied::Duplicate(Box::new(PossibleDuplicate { seq: m.seq, provisional_id: w.id, candidates })))
    }
}

/// `nominal.resolve_duplicate/1`: `{ "provisional_id", "decision": "link" | "new",
/// "nominal_id" (link) }`, by the officer who created it (or a supervisor).
fn nominal_resolve(tx: &Connection, s: &Session, m: &PushMutation) -> ApplyResult {
    const W: &str = "nominal.resolve_duplicate/1";
    let p = &m.payload;
    let pid = str_field(p, "provisional_id", W)?;
    let decision = opt_str(p, "decision");
    let Some((prov, district, status, created_by)) = held_nominal(tx, pid)? else {
        return Ok(reject("unknown_nominal", "The central service does not hold this person."));
    };
    // The officer who created it, or a supervisor of the district it was created in.
    if created_by.as_deref() != Some(s.officer_id.as_str()) && !(can_supervise(s.role) && district == s.district) {
        return Ok(reject(
            "forbidden",
            "Only the officer who created this person, or their district's supervisor, can resolve it.",
        ));
    }
    if status != "provisional" {
        return Ok(reject("already_resolved", "This possible duplicate was already resolved."));
    }
    match decision {
        Some("new") => {
            crate::matching::add_keys(tx, &prov)?;
            let v = record_change(tx, RecordType::Nominal, pid, &district_key(&district), None)?;
            tx.prepare_cached("UPDATE nominals SET status = 'active', version = ?2 WHERE id = ?1")?
                .execute(params![pid, v as i64])?;
            Ok(Applied::Ok(Some(pid.to_string())))
        }
        Some("link") => {
            let target_id = str_field(p, "nominal_id", W)?;
            let Some((target, t_district, t_status, _)) = held_nominal(tx, target_id)? else {
                return Ok(reject("unknown_nominal", "The central service does not hold the person to link to."));
            };
            if t_status != "active" || target_id == pid {
                return Ok(reject("unknown_nominal", "The person to link to is not a current record."));
            }
            // Only a person the service offered for this one: a link writes the provisional name
            // and any missing details onto the person, which is served in their district.
            let offered: Vec<String> = tx
                .prepare_cached("SELECT candidates FROM duplicates WHERE provisional_id = ?1")?
                .query_map([pid], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let was_offered = offered.iter().any(|c| {
                serde_json::from_str::<Vec<Value>>(c)
                    .is_ok_and(|v| v.iter().any(|x| x.get("id").and_then(Value::as_str) == Some(target_id)))
            });
            if !was_offered {
                return Ok(reject("not_offered", "Only one of the possible duplicates offered can be linked to."));
            }
            let merged = merge_into(&target, &prov);
            if merged != target {
                crate::matching::remove_keys(tx, &target)?;
                crate::matching::add_keys(tx, &merged)?;
            }
            let v = record_change(tx, RecordType::Nominal, target_id, &district_key(&t_district), None)?;
            tx.prepare_cached(
                "UPDATE nominals SET date_of_birth = ?2, sex = ?3, aliases = ?4, address = ?5, postcode = ?6,
                    version = ?7 WHERE id = ?1",
            )?
            .execute(params![
                target_id,
                merged.date_of_birth,
                merged.sex,
                serde_json::to_string(&merged.aliases).unwrap_or_else(|_| "[]".into()),
                merged.address,
                merged.postcode,
                v as i64
            ])?;
            let tv = record_tombstone(tx, RecordType::Nominal, pid, &district_key(&district))?;
            tx.prepare_cached("UPDATE nominals SET status = 'merged', merged_into = ?2, version = ?3 WHERE id = ?1")?
                .execute(params![pid, target_id, tv as i64])?;
            Ok(Applied::Ok(Some(target_id.to_string())))
        }
        _ => Ok(reject("invalid_payload", format!("{W}: decision must be link or new"))),
    }
}

/// The person `target` after linking `prov` to it: the provisional name and aliases become
/// aliases (unless already there), and fields the target lacks are taken from `prov`. Nothing
/// the target holds is overwritten.
fn merge_into(target: &WireNominal, prov: &WireNominal) -> WireNominal {
    let mut out = target.clone();
    let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let main = fold(&format!("{} {}", target.given_name, target.surname));
    let mut names = vec![format!("{} {}", prov.given_name, prov.surname)];
    names.extend(prov.aliases.iter().cloned());
    for n in names {
        let f = fold(&n);
        if !f.is_empty() && f != main && !out.aliases.iter().any(|a| fold(a) == f) && out.aliases.len() < 50 {
            out.aliases.push(n);
        }
    }
    out.date_of_birth = out.date_of_birth.or_else(|| prov.date_of_birth.clone());
    out.sex = out.sex.or_else(|| prov.sex.clone());
    if out.address.is_none() {
        out.address = prov.address.clone();
        out.postcode = out.postcode.or_else(|| prov.postcode.clone());
    }
    out
}

/// The mutation id recorded for a client's seq (applied, rejected or conflicted), if any.
fn recorded_id(tx: &Connection, client_id: &str, seq: u64) -> rusqlite::Result<Option<String>> {
    tx.prepare_cached(
        "SELECT mutation_id FROM applied WHERE client_id = ?1 AND seq = ?2
         UNION ALL SELECT mutation_id FROM rejections WHERE client_id = ?1 AND seq = ?2
         UNION ALL SELECT mutation_id FROM conflicts WHERE client_id = ?1 AND seq = ?2
         UNION ALL SELECT mutation_id FROM seq_aliases WHERE client_id = ?1 AND seq = ?2
         LIMIT 1",
    )?
    .query_row(params![client_id, seq as i64], |r| r.get(0))
    .optional()
}

/// The first seq of a write recorded under `seq` as a renumbered alias, if it is one.
fn alias_origin(tx: &Connection, client_id: &str, seq: u64) -> rusqlite::Result<Option<u64>> {
    tx.prepare_cached("SELECT first_seq FROM seq_aliases WHERE client_id = ?1 AND seq = ?2")?
        .query_row(params![client_id, seq as i64], |r| r.get::<_, i64>(0))
        .optional()
        .map(|s| s.map(|s| s.max(0) as u64))
}

/// Repeats what was recorded for the write first held under `origin` (a rejection, conflict or
/// possible duplicate), under the seq it was sent with now.
fn repeat_all(
    tx: &Transaction<'_>,
    client_id: &str,
    origin: u64,
    now_seq: u64,
    (rejections, conflicts, duplicates): (
        &mut Vec<Rejection>,
        &mut Vec<bluelamp_protocol::wire::ConflictNotice>,
        &mut Vec<PossibleDuplicate>,
    ),
) -> rusqlite::Result<()> {
    let (r0, c0, d0) = (rejections.len(), conflicts.len(), duplicates.len());
    repeat_recorded(tx, client_id, origin, rejections, conflicts)?;
    repeat_duplicate(tx, client_id, origin, duplicates)?;
    rejections[r0..].iter_mut().for_each(|r| r.seq = now_seq);
    conflicts[c0..].iter_mut().for_each(|c| c.seq = now_seq);
    duplicates[d0..].iter_mut().for_each(|d| d.seq = now_seq);
    Ok(())
}

/// The seq under which a client's mutation id is recorded (applied, rejected or conflicted).
fn recorded_seq(tx: &Connection, client_id: &str, mutation_id: &str) -> rusqlite::Result<Option<u64>> {
    tx.prepare_cached(
        "SELECT seq FROM applied WHERE client_id = ?1 AND mutation_id = ?2
         UNION ALL SELECT seq FROM rejections WHERE client_id = ?1 AND mutation_id = ?2
         UNION ALL SELECT seq FROM conflicts WHERE client_id = ?1 AND mutation_id = ?2
         LIMIT 1",
    )?
    .query_row(params![client_id, mutation_id], |r| r.get::<_, i64>(0))
    .optional()
    .map(|s| s.map(|s| s.max(0) as u64))
}

/// The possible duplicate recorded for a resent seq (see `repeat_recorded`).
fn repeat_duplicate(
    tx: &Connection,
    client_id: &str,
    seq: u64,
    out: &mut Vec<PossibleDuplicate>,
) -> rusqlite::Result<()> {
    let d = tx
        .prepare_cached("SELECT provisional_id, candidates FROM duplicates WHERE client_id = ?1 AND seq = ?2")?
        .query_row(params![client_id, seq as i64], |r| {
            Ok(PossibleDuplicate {
                seq,
                provisional_id: r.get(0)?,
                candidates: serde_json::from_str(&r.get::<_, String>(1)?).unwrap_or_default(),
            })
        })
        .optional()?;
    out.extend(d);
    Ok(())
}

// ---- nominals ---------------------------------------------------------------------------------

fn source_str(s: Source) -> &'static str {
    match s {
        Source::Current => "current",
        Source::Legacy => "legacy",
    }
}

pub(crate) fn nominal_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<WireNominal> {
    let source: String = r.get(1)?;
    Ok(WireNominal {
        id: r.get(0)?,
        source: if source == "legacy" { Source::Legacy } else { Source::Current },
        given_name: r.get(2)?,
        surname: r.get(3)?,
        date_of_birth: r.get(4)?,
        sex: r.get(5)?,
        aliases: serde_json::from_str(&r.get::<_, String>(6)?).unwrap_or_default(),
        address: r.get(7)?,
        postcode: r.get(8)?,
        // Read only where they are served or imported (see `with_phones`): duplicate candidates
        // and the name index have no use for them.
        phones: Vec::new(),
    })
}

/// A nominal with the phone numbers held for it (the `phones` column's JSON).
fn with_phones(mut n: WireNominal, phones: &str) -> WireNominal {
    n.phones = serde_json::from_str(phones).unwrap_or_default();
    n
}

pub(crate) const NOMINAL_COLUMNS: &str =
    "id, source, given_name, surname, date_of_birth, sex, aliases, address, postcode";

fn import_nominals_tx(tx: &Connection, rows: &[ImportNominal]) -> StorageResult<ImportSummary> {
    let mut sum = ImportSummary::default();
    for row in rows {
        let n = &row.nominal;
        let existing: Option<(WireNominal, String, String, Option<String>)> = tx
            .prepare_cached(&format!(
                "SELECT {NOMINAL_COLUMNS}, district, status, markers, phones FROM nominals WHERE id = ?1"
            ))?
            .query_row([&n.id], |r| {
                Ok((with_phones(nominal_of(r)?, &r.get::<_, String>(12)?), r.get(9)?, r.get(10)?, r.get(11)?))
            })
            .optional()?;
        // Without a `phones` column the numbers held stay (as markers do); with one they are
        // replaced (an empty cell clears).
        let kept;
        let n = if row.keep_phones {
            let phones = existing.as_ref().map(|(old, ..)| old.phones.clone()).unwrap_or_default();
            kept = WireNominal { phones, ..n.clone() };
            &kept
        } else {
            n
        };
        let markers = row.markers.as_ref().map(|m| serde_json::to_string(m).unwrap_or_else(|_| "[]".into()));
        if let Some((old, old_district, _, old_markers)) = &existing {
            if old == n && *old_district == row.district && (markers.is_none() || markers == *old_markers) {
                sum.unchanged += 1;
                continue;
            }
        }
        // An import is authoritative: the record is (again) an active, indexed nominal.
        if let Some((old, _, status, _)) = &existing {
            if status == "active" {
                crate::matching::remove_keys(tx, old)?;
            }
        }
        crate::matching::add_keys(tx, n)?;
        let old_scope = existing.as_ref().map(|(_, d, _, _)| district_key(d));
        let v = record_change(tx, RecordType::Nominal, &n.id, &district_key(&row.district), old_scope.as_deref())?;
        tx.prepare_cached(&format!(
            "INSERT INTO nominals ({NOMINAL_COLUMNS}, district, version, markers, phones)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
             ON CONFLICT (id) DO UPDATE SET source = excluded.source, given_name = excluded.given_name,
                surname = excluded.surname, date_of_birth = excluded.date_of_birth, sex = excluded.sex,
                aliases = excluded.aliases, address = excluded.address, postcode = excluded.postcode,
                district = excluded.district, version = excluded.version, status = 'active', merged_into = NULL,
                markers = coalesce(excluded.markers, nominals.markers), phones = excluded.phones"
        ))?
        .execute(params![
            n.id,
            source_str(n.source),
            n.given_name,
            n.surname,
            n.date_of_birth,
            n.sex,
            serde_json::to_string(&n.aliases).unwrap_or_else(|_| "[]".into()),
            n.address,
            n.postcode,
            row.district,
            v as i64,
            markers,
            serde_json::to_string(&n.phones).unwrap_or_else(|_| "[]".into())
        ])?;
        if existing.is_some() {
            sum.updated += 1;
        } else {
            sum.inserted += 1;
        }
    }
    Ok(sum)
}

fn count(conn: &Connection, sql: &str) -> rusqlite::Result<u64> {
    conn.query_row(sql, [], |r| r.get::<_, i64>(0)).map(|n| n.max(0) as u64)
}

impl Storage for SqliteStorage {
    fn find_officer(&self, id: &str) -> StorageResult<Option<Officer>> {
        let conn = self.conn();
        let row: Option<(String, String, String, String, String)> = conn
            .query_row("SELECT id, role, district, display_name, pass_hash FROM officers WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()?;
        row.map(|(id, role, district, display_name, pass_hash)| {
            Ok(Officer { id, role: parse_role(&role)?, district, display_name, pass_hash })
        })
        .transpose()
    }

    fn add_officer(&self, o: &Officer) -> StorageResult<()> {
        let conn = self.conn();
        let n = conn.execute(
            "INSERT OR IGNORE INTO officers (id, role, display_name, district, pass_hash) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![o.id, o.role.as_str(), o.display_name, o.district, o.pass_hash],
        )?;
        if n == 0 {
            return Err(StorageError::OfficerExists(o.id.clone()));
        }
        Ok(())
    }

    fn bind_and_issue_token(
        &self,
        officer_id: &str,
        client_id: &str,
        device: &str,
        token_hash: &str,
        expires_at: i64,
        now: i64,
        clears_lock: bool,
    ) -> StorageResult<BindOutcome> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let owner: Option<String> = tx
            .query_row("SELECT officer_id FROM clients WHERE client_id = ?1", [client_id], |r| r.get(0))
            .optional()?;
        match owner {
            Some(o) if o != officer_id => return Ok(BindOutcome::ClientTaken),
            Some(_) => {
                tx.execute(
                    "UPDATE clients SET device = ?2, last_seen = ?3 WHERE client_id = ?1",
                    params![client_id, device, now],
                )?;
            }
            None => {
                tx.execute(
                    "INSERT INTO clients (client_id, officer_id, device, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?4)",
                    params![client_id, officer_id, device, now],
                )?;
            }
        }
        tx.execute(
            "INSERT INTO tokens (token_hash, officer_id, client_id, issued_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![token_hash, officer_id, client_id, now, expires_at],
        )?;
        tx.execute("DELETE FROM tokens WHERE expires_at <= ?1", [now])?;
        // An online sign-in by the officer is what a lock instruction asks for; the sync
        // round's automatic one (cached passphrase) must not swallow a lock the device has not
        // received yet, and nor may an interactive one: a lock ordered after the device's last
        // round, the officer then signing in again (`enrol`) before the next, was cleared here
        // unsent, and the device was never locked (review, 7 Dec 2026). Only a lock already
        // sent to the device is lifted; one not yet sent waits for the next round.
        if clears_lock {
            tx.execute(
                "UPDATE instructions SET cleared_at = ?2
                 WHERE client_id = ?1 AND kind = 'lock' AND cleared_at IS NULL AND delivered_at IS NOT NULL",
                params![client_id, now],
            )?;
        }
        tx.commit()?;
        Ok(BindOutcome::Bound)
    }

    /// The session of a valid token. Every authenticated request passes here, so the client's
    /// `last_seen` moves here too (at most once a minute: one small write per client and minute,
    /// not per request). Before (review, 7 Dec 2026) it moved only at sign-in and push, and a
    /// device that only pulled looked idle in `clients`.
    fn session(&self, token_hash: &str, now: i64) -> StorageResult<Option<Session>> {
        let conn = self.conn();
        let row: Option<(String, String, String, String, i64, Option<i64>)> = conn
            .prepare_cached(
                "SELECT t.officer_id, o.role, o.district, t.client_id, t.expires_at, c.last_seen
                 FROM tokens t JOIN officers o ON o.id = t.officer_id
                 LEFT JOIN clients c ON c.client_id = t.client_id
                 WHERE t.token_hash = ?1 AND t.expires_at > ?2",
            )?
            .query_row(params![token_hash, now], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })
            .optional()?;
        if let Some((_, _, _, client_id, _, Some(seen))) = &row {
            if now.saturating_sub(*seen) >= LAST_SEEN_STEP_SECS {
                conn.prepare_cached("UPDATE clients SET last_seen = ?2 WHERE client_id = ?1 AND last_seen < ?2")?
                    .execute(params![client_id, now])?;
            }
        }
        row.map(|(officer_id, role, district, client_id, expires_at, _)| {
            Ok(Session { officer_id, role: parse_role(&role)?, district, client_id, expires_at })
        })
        .transpose()
    }

    /// One transaction for the whole batch (none for a role without records work: `Forbidden`):
    /// - `seq <= last_applied_seq`, with the mutation id recorded for that seq: a resend,
    ///   acknowledged, not re-applied;
    /// - `seq <= last_applied_seq` with another mutation id: this device numbered a new write
    ///   with a seq the service already holds (its store was restored from an older copy, or
    ///   copied to another machine). The transaction is rolled back and the answer is
    ///   `SeqReused`: acknowledging the seq would silently drop the write;
    /// - `seq == last + 1`: applied (or rejected / conflicted: recorded, and `last` moves on),
    ///   unless its mutation id is already recorded under another seq (a write the device
    ///   renumbered after a `SeqReused`): then it is not applied twice, and `last` moves on;
    /// - `seq > last + 1`: the transaction is rolled back (nothing of this batch stays) and the
    ///   answer is a gap with the `last_applied_seq` held before the batch.
    fn push(&self, s: &Session, mutations: &[PushMutation], now: i64) -> StorageResult<PushOutcome> {
        // Every change is records work (the app's `Role::allows`). Refused as a whole, not one
        // by one: rejected changes would be parked on the device for good, and a role changed by
        // mistake could not give them back.
        if !mutations.is_empty() && !s.role.allows(Permission::RecordsWork) {
            return Ok(PushOutcome::Forbidden(
                "this officer's role does not allow records work: nothing was applied, and the device keeps its \
                 changes"
                    .into(),
            ));
        }
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let start: i64 = tx
            .query_row("SELECT last_applied_seq FROM clients WHERE client_id = ?1", [&s.client_id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StorageError::Invalid("client not bound".into()))?;
        let start = start.max(0) as u64;
        let mut last = start;
        let (mut rejections, mut conflicts, mut duplicates) = (Vec::new(), Vec::new(), Vec::new());
        for m in mutations {
            if m.seq <= last {
                if recorded_id(&tx, &s.client_id, m.seq)?.is_some_and(|id| id != m.mutation_id) {
                    drop(tx); // rolls back
                    return Ok(PushOutcome::SeqReused { seq: m.seq, last_applied_seq: start });
                }
                // Already applied: acknowledged, not re-applied. A resend means the client lost
                // our answer, so repeat what we recorded for that seq (a rejection or a
                // conflict); otherwise its reason would never reach the officer.
                let origin = alias_origin(&tx, &s.client_id, m.seq)?.unwrap_or(m.seq);
                repeat_all(&tx, &s.client_id, origin, m.seq, (&mut rejections, &mut conflicts, &mut duplicates))?;
                continue;
            }
            if m.seq > last + 1 {
                drop(tx); // rolls back
                return Ok(PushOutcome::Gap { last_applied_seq: start });
            }
            if let Some(first) = recorded_seq(&tx, &s.client_id, &m.mutation_id)? {
                // Renumbered after a `SeqReused`: held already under its first seq. Not applied
                // again; what was recorded for it is repeated under the seq sent now.
                repeat_all(&tx, &s.client_id, first, m.seq, (&mut rejections, &mut conflicts, &mut duplicates))?;
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO seq_aliases (client_id, seq, mutation_id, first_seq) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![s.client_id, m.seq as i64, m.mutation_id, first as i64])?;
                last = m.seq;
                continue;
            }
            match apply_and_log(&tx, s, m, now)? {
                Applied::Ok(_) => {}
                Applied::Rejected { code, message } => rejections.push(Rejection {
                    seq: m.seq,
                    mutation_id: m.mutation_id.clone(),
                    code: code.to_string(),
                    message,
                }),
                Applied::Conflict(c) => conflicts.push(*c),
                Applied::Duplicate(d) => duplicates.push(*d),
            }
            last = m.seq;
        }
        tx.execute(
            "UPDATE clients SET last_applied_seq = ?2, last_seen = ?3 WHERE client_id = ?1",
            params![s.client_id, last as i64, now],
        )?;
        let instructions = pending_instructions(&tx, &s.client_id)?;
        mark_delivered(&tx, &s.client_id, &instructions, now)?;
        tx.commit()?;
        Ok(PushOutcome::Done {
            last_applied_seq: last,
            rejections,
            conflicts,
            possible_duplicates: duplicates,
            instructions,
        })
    }

    fn pull_page(
        &self,
        s: &Session,
        scope: &Scope,
        after: u64,
        limit: u32,
        remaining_hint: Option<u64>,
    ) -> StorageResult<Page> {
        let mut conn = self.conn();
        // A read transaction: one snapshot for the page, the counts and the bounds.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let head = count(&tx, "SELECT value FROM meta WHERE key = 'version'")?;
        let horizon = count(&tx, "SELECT value FROM meta WHERE key = 'horizon'")?;
        let last_applied_seq = tx
            .query_row("SELECT last_applied_seq FROM clients WHERE client_id = ?1", [&s.client_id], |r| {
                r.get::<_, i64>(0)
            })
            .optional()?
            .unwrap_or(0)
            .max(0) as u64;
        let instructions = pending_instructions(&tx, &s.client_id)?;
        let keys = scope.keys();
        let n = keys.len();
        if n == 0 {
            // No records in this scope (an admin): nothing to page through.
            tx.commit()?;
            mark_delivered(&conn, &s.client_id, &instructions, now_unix())?;
            return Ok(Page {
                changes: Vec::new(),
                last_version: after.max(head),
                has_more: false,
                remaining: 0,
                head,
                horizon,
                last_applied_seq,
                instructions,
            });
        }
        // Each branch walks the (scope, version) index in order; the outer sort sees ≤ n·limit
        // rows. Parameters: ?1 = after, ?2 = limit, ?3.. = the keys.
        let branches: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    "SELECT * FROM (SELECT version, record_type, record_id, op FROM changes
                                   WHERE scope = ?{} AND version > ?1 ORDER BY version LIMIT ?2)",
                    i + 3
                )
            })
            .collect();
        let page_sql = format!(
            "SELECT version, record_type, record_id, op FROM ({}) ORDER BY version LIMIT ?2",
            branches.join(" UNION ALL ")
        );
        let key_params = |after: u64, limit: Option<u32>| {
            let mut p: Vec<rusqlite::types::Value> = vec![(after as i64).into()];
            if let Some(l) = limit {
                p.push((l as i64).into());
            }
            p.extend(keys.iter().map(|k| rusqlite::types::Value::from(k.clone())));
            p
        };
        let mut changes = Vec::new();
        let mut last_version = after;
        let rows: Vec<(i64, String, String, String)> = tx
            .prepare_cached(&page_sql)?
            .query_map(rusqlite::params_from_iter(key_params(after, Some(limit))), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        // A record held under two of these keys (a supervisor's own incident) is sent once a
        // page, and a tombstone only when it has left every one of them (an incident reassigned
        // away from a supervisor stays in their district).
        let in_list = (0..n).map(|i| format!("?{}", i + 3)).collect::<Vec<_>>().join(", ");
        let still_held_sql = format!(
            "SELECT EXISTS (SELECT 1 FROM changes WHERE record_type = ?1 AND record_id = ?2 AND op = 'upsert'
                AND scope IN ({in_list}))"
        );
        let mut sent = std::collections::HashSet::new();
        // The page also ends at about `PULL_PAGE_BYTES` of records (after at least one change):
        // the next page starts after the last version taken.
        let mut bytes = 0usize;
        for (version, rtype, id, op) in rows {
            if bytes >= bluelamp_protocol::wire::PULL_PAGE_BYTES {
                break;
            }
            let version = version as u64;
            last_version = version;
            let record_type = match rtype.as_str() {
                "nominal" => RecordType::Nominal,
                "incident" => RecordType::Incident,
                "casework" => RecordType::Casework,
                other => return Err(StorageError::Corrupt(format!("record type {other:?} in the change log"))),
            };
            if sent.contains(&(record_type, id.clone())) {
                continue;
            }
            if op == "tombstone" {
                let mut p: Vec<rusqlite::types::Value> = vec![rtype.clone().into(), id.clone().into()];
                p.extend(keys.iter().map(|k| rusqlite::types::Value::from(k.clone())));
                let still_held: bool =
                    tx.prepare_cached(&still_held_sql)?.query_row(rusqlite::params_from_iter(p), |r| r.get(0))?;
                if !still_held {
                    sent.insert((record_type, id.clone()));
                    changes.push(Change::Tombstone { record_type, id, version });
                }
                continue;
            }
            let data = match record_type {
                RecordType::Nominal => tx
                    .prepare_cached(&format!("SELECT {NOMINAL_COLUMNS}, markers, phones FROM nominals WHERE id = ?1"))?
                    .query_row([&id], |r| {
                        Ok((with_phones(nominal_of(r)?, &r.get::<_, String>(10)?), r.get::<_, Option<String>>(9)?))
                    })
                    .optional()?
                    .map(|(n, markers)| {
                        let mut v = serde_json::to_value(n).unwrap_or_default();
                        // Only when held: an absent field leaves what the device has.
                        if let (Some(m), Some(o)) = (markers, v.as_object_mut()) {
                            o.insert("markers".into(), serde_json::from_str(&m).unwrap_or(Value::Array(vec![])));
                        }
                        v
                    }),
                RecordType::Incident => incident_json(&tx, &id)?.map(|x| x.0),
                RecordType::Casework => match casework_json(&tx, &id, s)? {
                    Some(c) => Some(c),
                    // Only this device's own work: nothing to send, but the version still moves.
                    None => continue,
                },
            };
            sent.insert((record_type, id.clone()));
            match data {
                Some(data) => {
                    bytes = bytes.saturating_add(json_size(&data));
                    changes.push(Change::Upsert { record_type, id, version, data })
                }
                // Cannot happen (records are never deleted without a tombstone); be safe.
                None => changes.push(Change::Tombstone { record_type, id, version }),
            }
        }
        // `has_more` is exact and cheap (an index probe per key); `remaining` is counted only
        // without a hint (a first page), otherwise carried forward from the cursor.
        let exists = (0..n)
            .map(|i| format!("EXISTS (SELECT 1 FROM changes WHERE scope = ?{} AND version > ?1)", i + 2))
            .collect::<Vec<_>>()
            .join(" OR ");
        let has_more: bool = tx
            .prepare_cached(&format!("SELECT {exists}"))?
            .query_row(rusqlite::params_from_iter(key_params(last_version, None)), |r| r.get(0))?;
        let in_from_2 = (0..n).map(|i| format!("?{}", i + 2)).collect::<Vec<_>>().join(", ");
        let remaining = match remaining_hint {
            Some(h) if has_more => h.saturating_sub(changes.len() as u64).max(1),
            Some(_) => 0,
            None => tx
                .prepare_cached(&format!("SELECT count(*) FROM changes WHERE scope IN ({in_from_2}) AND version > ?1"))?
                .query_row(rusqlite::params_from_iter(key_params(last_version, None)), |r| r.get::<_, i64>(0))?
                .max(0) as u64,
        };
        tx.commit()?;
        // After the read snapshot (a write in it could fail to upgrade): the page's orders are
        // sent now.
        mark_delivered(&conn, &s.client_id, &instructions, now_unix())?;
        Ok(Page { changes, last_version, has_more, remaining, head, horizon, last_applied_seq, instructions })
    }

    fn audit_push(&self, s: &Session, entries: &[WireAuditEntry], now: i64) -> StorageResult<AuditOutcome> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let head: Option<(i64, String, String)> = tx
            .query_row(
                "SELECT seq, entry_hash, ts FROM audit_entries WHERE client_id = ?1 ORDER BY seq DESC LIMIT 1",
                [&s.client_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let head_ts = head.as_ref().map(|(_, _, ts)| ts.clone());
        let (head_seq, head_hash) = head.map(|(s, h, _)| (s.max(0) as u64, h)).unwrap_or((0, GENESIS_HASH.to_string()));
        // Entries the server already holds must be the very same (a resend after a lost answer).
        let mut new = Vec::with_capacity(entries.len());
        for e in entries {
            if e.seq == 0 {
                return Ok(AuditOutcome::Broken { seq: 0, reason: "entry numbers start at 1".into() });
            }
            if e.seq <= head_seq {
                let held: Option<String> = tx
                    .prepare_cached("SELECT entry_hash FROM audit_entries WHERE client_id = ?1 AND seq = ?2")?
                    .query_row(params![s.client_id, e.seq as i64], |r| r.get(0))
                    .optional()?;
                if held.as_deref() != Some(e.entry_hash.as_str()) {
                    return Ok(AuditOutcome::Broken {
                        seq: e.seq,
                        reason: format!("entry {} differs from the one the service already holds", e.seq),
                    });
                }
            } else {
                new.push(e.clone());
            }
        }
        if let Some(first) = new.first() {
            if first.seq > head_seq + 1 {
                return Ok(AuditOutcome::Gap { head_seq });
            }
        }
        if let Err((seq, reason)) = verify_chain(head_seq, &head_hash, &new) {
            return Ok(AuditOutcome::Broken { seq, reason });
        }
        // A store writes its own device id (= its client id on the wire) in every entry: an
        // entry naming another device was not written by the store this token was issued to.
        if let Some(e) = new.iter().find(|e| e.device_id != s.client_id) {
            return Ok(AuditOutcome::WrongDevice { seq: e.seq });
        }
        // A clock set back on the device: stored as sent (the chain holds), and said to IT.
        for w in crate::audit::clock_warnings(head_seq, head_ts.as_deref(), &new) {
            tracing::warn!(client_id = %s.client_id, officer_id = %s.officer_id, seq = w.seq, "access log: {}", w.message);
        }
        // An entry in another officer's name is stored (a store can hold such entries: see
        // docs/api.md, `POST /v1/audit`) but flagged, with who pushed it, for the DPO.
        for e in new.iter().filter(|e| e.officer_id != s.officer_id) {
            tracing::warn!(
                client_id = %s.client_id, officer_id = %s.officer_id, seq = e.seq,
                "access log: entry {} names officer {:?}, not the officer who pushed it (stored, flagged)",
                e.seq, e.officer_id
            );
        }
        for e in &new {
            tx.prepare_cached(
                "INSERT INTO audit_entries (client_id, seq, id, ts, officer_id, device_id, action, object_ref, purpose,
                    outcome, detail, prev_hash, entry_hash, received_at, pushed_by_officer, pushed_by_client,
                    officer_differs)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )?
            .execute(params![
                s.client_id,
                e.seq as i64,
                e.id,
                e.ts,
                e.officer_id,
                e.device_id,
                e.action,
                e.object_ref,
                e.purpose,
                e.outcome,
                e.detail,
                e.prev_hash,
                e.entry_hash,
                now,
                s.officer_id,
                s.client_id,
                e.officer_id != s.officer_id
            ])?;
        }
        tx.commit()?;
        let (head_seq, head_hash) = match new.last() {
            Some(e) => (e.seq, e.entry_hash.clone()),
            None => (head_seq, head_hash),
        };
        Ok(AuditOutcome::Stored(AuditPushResponse {
            schema_version: bluelamp_protocol::SCHEMA_VERSION,
            head_seq,
            head_hash,
        }))
    }

    fn import_nominals(&self, rows: &[ImportNominal]) -> StorageResult<ImportSummary> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let sum = import_nominals_tx(&tx, rows)?;
        tx.commit()?;
        Ok(sum)
    }

    fn instruct(&self, client_id: &str, instruction: Instruction, now: i64) -> StorageResult<bool> {
        let n = self.conn().execute(
            "INSERT INTO instructions (client_id, kind, created_at)
             SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM clients WHERE client_id = ?1)",
            params![client_id, instruction_str(instruction), now],
        )?;
        Ok(n == 1)
    }

    fn clients(&self) -> StorageResult<Vec<crate::storage::ClientInfo>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT client_id, officer_id, device, first_seen, last_seen FROM clients
             ORDER BY last_seen DESC, client_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(crate::storage::ClientInfo {
                client_id: r.get(0)?,
                officer_id: r.get(1)?,
                device: r.get(2)?,
                first_seen: r.get(3)?,
                last_seen: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn compact(&self, version: u64) -> StorageResult<u64> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute("DELETE FROM changes WHERE op = 'tombstone' AND version <= ?1", [version as i64])?;
        // Never beyond the head: cursors at the head lost nothing.
        tx.execute(
            "UPDATE meta SET value = max(value, min(?1, (SELECT value FROM meta WHERE key = 'version')))
             WHERE key = 'horizon'",
            [version.min(i64::MAX as u64) as i64],
        )?;
        tx.commit()?;
        Ok(n as u64)
    }

    fn seed_demo(&self, nominals: usize, cost: HashCost, incidents: bool) -> StorageResult<()> {
        self.seed_demo_impl(nominals, cost, incidents)
    }

    fn import_incident(&self, i: &crate::storage::ImportIncident) -> StorageResult<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let held: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM incidents WHERE id = ?1 OR reference = ?2)",
            params![i.id, i.reference],
            |r| r.get(0),
        )?;
        if held {
            return Ok(false);
        }
        let links: Vec<Value> = i.links.iter().map(|(n, r)| json!({ "nominal_id": n, "role": r })).collect();
        let v = log_incident(&tx, &i.id, &i.assigned_to, &i.district, None)?;
        tx.execute(
            "INSERT INTO incidents (id, reference, incident_type, offence_category, place, postcode, team,
                occurred_at, recorded_at, assigned_to, district, closing_code, links, version, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            params![
                i.id,
                i.reference,
                i.incident_type,
                i.offence_category,
                i.place,
                i.postcode,
                i.team,
                i.occurred_at,
                i.recorded_at,
                i.assigned_to,
                i.district,
                i.closing_code,
                Value::Array(links).to_string(),
                v as i64,
                now_unix()
            ],
        )?;
        tx.commit()?;
        Ok(true)
    }

    fn reassign_incident(&self, incident_id: &str, officer_id: &str) -> StorageResult<bool> {
        self.reassign_incident_impl(incident_id, officer_id)
    }

    fn set_officer_district(&self, officer_id: &str, district: &str) -> StorageResult<bool> {
        self.set_officer_district_impl(officer_id, district)
    }

    fn set_officer_role(&self, officer_id: &str, role: Role) -> StorageResult<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute("UPDATE officers SET role = ?2 WHERE id = ?1", params![officer_id, role.as_str()])?;
        tx.execute("DELETE FROM tokens WHERE officer_id = ?1", [officer_id])?;
        tx.commit()?;
        Ok(n == 1)
    }

    fn set_officer_pass_hash(&self, officer_id: &str, pass_hash: &str) -> StorageResult<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute("UPDATE officers SET pass_hash = ?2 WHERE id = ?1", params![officer_id, pass_hash])?;
        tx.execute("DELETE FROM tokens WHERE officer_id = ?1", [officer_id])?;
        tx.commit()?;
        Ok(n == 1)
    }

    fn run_at(&self, version: u64) -> StorageResult<Option<String>> {
        Ok(run_at(&self.conn(), version)?)
    }

    fn stats(&self) -> StorageResult<Stats> {
        let conn = self.conn();
        let c = |sql: &str| count(&conn, sql);
        let dup_mutations = c("SELECT count(*) - count(DISTINCT mutation_id) FROM applied")?;
        let dup_forms = c("SELECT count(*) - count(DISTINCT record_id) FROM applied WHERE name = 'form.submit/1'")?;
        Ok(Stats {
            officers: c("SELECT count(*) FROM officers")?,
            clients: c("SELECT count(*) FROM clients")?,
            nominals: c("SELECT count(*) FROM nominals")?,
            incidents: c("SELECT count(*) FROM incidents")?,
            forms: c("SELECT count(*) FROM forms")?,
            form_reviews: c("SELECT count(*) FROM form_reviews")?,
            referrals: c("SELECT count(*) FROM referrals")?,
            mutations_applied: c("SELECT count(*) FROM applied")?,
            rejections: c("SELECT count(*) FROM rejections")?,
            conflicts: c("SELECT count(*) FROM conflicts")?,
            audit_entries: c("SELECT count(*) FROM audit_entries")?,
            changes: c("SELECT count(*) FROM changes")?,
            head_version: c("SELECT value FROM meta WHERE key = 'version'")?,
            duplicate_mutation_applications: dup_mutations,
            duplicate_form_applications: dup_forms,
            duplicate_applications: dup_mutations + dup_forms,
        })
    }
}

/// The rejection or conflict recorded for `(client, seq)`, if any, for a resent batch.
fn repeat_recorded(
    tx: &rusqlite::Transaction<'_>,
    client_id: &str,
    seq: u64,
    rejections: &mut Vec<Rejection>,
    conflicts: &mut Vec<bluelamp_protocol::wire::ConflictNotice>,
) -> rusqlite::Result<()> {
    let rej = tx
        .query_row(
            "SELECT mutation_id, code, message FROM rejections WHERE client_id = ?1 AND seq = ?2",
            params![client_id, seq as i64],
            |r| Ok(Rejection { seq, mutation_id: r.get(0)?, code: r.get(1)?, message: r.get(2)? }),
        )
        .optional()?;
    rejections.extend(rej);
    let conflict = tx
        .query_row(
            "SELECT record_type, record_id, base, mine, theirs, server_version FROM conflicts
             WHERE client_id = ?1 AND seq = ?2",
            params![client_id, seq as i64],
            |r| {
                let json = |i: usize| -> rusqlite::Result<serde_json::Value> {
                    Ok(serde_json::from_str(&r.get::<_, String>(i)?).unwrap_or(serde_json::Value::Null))
                };
                Ok(bluelamp_protocol::wire::ConflictNotice {
                    seq,
                    record_type: r.get(0)?,
                    record_id: r.get(1)?,
                    base: json(2)?,
                    mine: json(3)?,
                    theirs: json(4)?,
                    server_version: r.get::<_, i64>(5)?.max(0) as u64,
                })
            },
        )
        .optional()?;
    conflicts.extend(conflict);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The service's database is its owner's only, new or found wider (review, 7 Dec 2026:
    /// created readable by every account).
    #[cfg(unix)]
    #[test]
    fn the_database_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let new = dir.path().join("new.db");
        drop(open(&new).unwrap());
        assert_eq!(mode(&new), 0o600);
        let wide = dir.path().join("wide.db");
        drop(open(&wide).unwrap());
        std::fs::set_permissions(&wide, std::fs::Permissions::from_mode(0o644)).unwrap();
        let conn = open(&wide).unwrap();
        assert_eq!(mode(&wide), 0o600);
        let wal = sidecar(&wide, "-wal");
        if wal.exists() {
            assert_eq!(mode(&wal), 0o600);
        }
        drop(conn);
    }

    /// A demo storage with `nominals` people, and its file (to open it again).
    fn storage_at(nominals: usize) -> (tempfile::TempDir, std::path::PathBuf, SqliteStorage) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let s = SqliteStorage::open(&path).unwrap();
        s.seed_demo(nominals, HashCost::FAST, true).unwrap();
        (dir, path, s)
    }

    /// A client's first mutation (seq 1, id `m-1`), with no base version.
    fn mutation_1(name: &str, payload: Value) -> PushMutation {
        PushMutation { seq: 1, mutation_id: "m-1".into(), name: name.into(), payload, base_version: None }
    }

    fn storage() -> (tempfile::TempDir, SqliteStorage) {
        let (dir, _, s) = storage_at(20);
        (dir, s)
    }

    /// Sessions around `demo-incident-1`, and its victim's and suspect's ids.
    struct Reach {
        /// Its officer's laptop.
        laptop: Session,
        /// An officer of the same district with no link to it (`pc-nosy`).
        nosy: Session,
        /// The district's supervisor.
        sup: Session,
        victim: String,
        suspect: String,
    }

    fn reach(s: &SqliteStorage) -> Reach {
        s.add_officer(&Officer {
            id: "pc-nosy".into(),
            role: Role::Officer,
            district: DEMO_DISTRICT.into(),
            display_name: "pc-nosy".into(),
            pass_hash: String::new(),
        })
        .unwrap();
        let sess = |officer: &str, client: &str| {
            s.bind_and_issue_token(officer, client, "d", client, i64::MAX, 1, true).unwrap();
            s.session(client, 2).unwrap().unwrap()
        };
        let links: String =
            s.conn().query_row("SELECT links FROM incidents WHERE id = ?1", ["demo-incident-1"], |r| r.get(0)).unwrap();
        let links: Vec<Value> = serde_json::from_str(&links).unwrap();
        let with_role = |role: &str| {
            links.iter().find(|l| l["role"] == role).and_then(|l| l["nominal_id"].as_str()).unwrap().to_string()
        };
        Reach {
            laptop: session(s),
            nosy: sess("pc-nosy", "c-nosy"),
            sup: sess("demo-supervisor", "c-sup"),
            victim: with_role("victim"),
            suspect: with_role("suspect"),
        }
    }

    fn session(s: &SqliteStorage) -> Session {
        s.bind_and_issue_token("demo-officer", "client-1", "test", "h", i64::MAX, 1, true).unwrap();
        s.session("h", 2).unwrap().unwrap()
    }

    /// Review, 7 Dec 2026: `last_seen` moved only at sign-in and push. Every authenticated
    /// request (each passes `session`) moves it now, at most once a minute.
    #[test]
    fn every_authenticated_request_moves_last_seen_at_most_once_a_minute() {
        let (_d, s) = storage();
        s.bind_and_issue_token("demo-officer", "client-1", "test", "h", i64::MAX, 1_000, true).unwrap();
        let seen =
            |s: &SqliteStorage| s.clients().unwrap().iter().find(|c| c.client_id == "client-1").unwrap().last_seen;
        assert_eq!(seen(&s), 1_000);
        assert!(s.session("h", 1_030).unwrap().is_some());
        assert_eq!(seen(&s), 1_000, "within the minute: no write");
        assert!(s.session("h", 1_060).unwrap().is_some());
        assert_eq!(seen(&s), 1_060);
        assert!(s.session("h", 5_000).unwrap().is_some());
        assert_eq!(seen(&s), 5_000);
        // An unknown token moves nothing.
        assert!(s.session("nope", 9_000).unwrap().is_none());
        assert_eq!(seen(&s), 5_000);
    }

    /// A valid access-log chain of `client-1` whose entries name `officers` in turn.
    fn audit_chain(officers: &[&str]) -> Vec<WireAuditEntry> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=officers.len() as u64)
            .map(|seq| {
                let mut e = WireAuditEntry {
                    seq,
                    id: format!("01900000-0000-7000-8000-{seq:012}"),
                    ts: "2026-12-07T10:00:00.000Z".into(),
                    officer_id: officers[seq as usize - 1].into(),
                    device_id: "client-1".into(),
                    action: "unlock_failed".into(),
                    object_ref: "store".into(),
                    purpose: None,
                    outcome: "failure".into(),
                    detail: "{}".into(),
                    prev_hash: prev.clone(),
                    entry_hash: String::new(),
                };
                e.entry_hash = crate::audit::entry_hash(&e).unwrap();
                prev = e.entry_hash.clone();
                e
            })
            .collect()
    }

    /// Review, 7 Dec 2026: pushed entries were stored as sent, with nothing saying who pushed
    /// them. Each now records the token's officer and client, and an entry naming another
    /// officer is flagged; rows from before are filled in from the client's binding.
    #[test]
    fn pushed_entries_record_who_pushed_them() {
        let (_d, path, s) = storage_at(0);
        let sess = session(&s);
        let out = s.audit_push(&sess, &audit_chain(&["demo-officer", "demo-supervisor"]), 5).unwrap();
        assert!(matches!(out, AuditOutcome::Stored(ref r) if r.head_seq == 2), "{out:?}");
        type Row = (i64, String, String, Option<String>, Option<String>, Option<bool>);
        let rows = |s: &SqliteStorage| -> Vec<Row> {
            s.conn()
                .prepare(
                    "SELECT seq, officer_id, device_id, pushed_by_officer, pushed_by_client, officer_differs
                     FROM audit_entries ORDER BY seq",
                )
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        let pushed = Some("demo-officer".to_string());
        let client = Some("client-1".to_string());
        let expected = vec![
            (1, "demo-officer".into(), "client-1".into(), pushed.clone(), client.clone(), Some(false)),
            (2, "demo-supervisor".into(), "client-1".into(), pushed.clone(), client.clone(), Some(true)),
        ];
        assert_eq!(rows(&s), expected);
        // A database from before the columns: filled in at the next start.
        s.conn()
            .execute_batch(
                "UPDATE audit_entries SET pushed_by_officer = NULL, pushed_by_client = NULL, officer_differs = NULL",
            )
            .unwrap();
        drop(s);
        let s = SqliteStorage::open(&path).unwrap();
        assert_eq!(rows(&s), expected);
    }

    /// The dedup is what keeps `duplicate_applications` at 0: applying the same mutation twice
    /// without the seq check is counted.
    #[test]
    fn stats_count_a_duplicate_application_when_dedup_is_bypassed() {
        let (_d, s) = storage();
        let sess = session(&s);
        let version: i64 =
            s.conn().query_row("SELECT version FROM incidents WHERE id = 'demo-incident-1'", [], |r| r.get(0)).unwrap();
        let m = PushMutation {
            base_version: Some(version as u64),
            ..mutation_1(
                "incident.closing_code/1",
                json!({ "incident_id": "demo-incident-1", "closing_code": "DA", "at": "x" }),
            )
        };
        // Through push, twice: applied once.
        for _ in 0..2 {
            assert!(matches!(s.push(&sess, std::slice::from_ref(&m), 3).unwrap(), PushOutcome::Done { .. }));
        }
        assert_eq!(s.stats().unwrap().duplicate_applications, 0);
        assert_eq!(s.stats().unwrap().mutations_applied, 1);
        // Bypassing the seq check: counted.
        assert_eq!(s.apply_unchecked(&sess, &m).unwrap(), Applied::Ok(Some("demo-incident-1".into())));
        let st = s.stats().unwrap();
        assert_eq!(st.duplicate_mutation_applications, 1);
        assert_eq!(st.duplicate_applications, 1);
    }

    /// A demo database made before issue 7 (officers without hashes, nominals without
    /// district or version) is upgraded: columns added, nominals logged, demo officers get a
    /// passphrase.
    #[test]
    fn upgrades_a_pre_sync_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(
                "CREATE TABLE officers (id TEXT PRIMARY KEY, role TEXT NOT NULL, display_name TEXT NOT NULL);
                 CREATE TABLE nominals (id TEXT PRIMARY KEY, source TEXT NOT NULL, given_name TEXT NOT NULL,
                    surname TEXT NOT NULL, date_of_birth TEXT, sex TEXT, aliases TEXT NOT NULL DEFAULT '[]',
                    address TEXT, postcode TEXT);
                 INSERT INTO officers VALUES ('demo-officer', 'officer', 'PC Demo Officer');
                 INSERT INTO nominals (id, source, given_name, surname) VALUES ('n1', 'current', 'Ann', 'Lee');",
            )
            .unwrap();
        }
        let s = SqliteStorage::open(&path).unwrap();
        s.seed_demo(5, HashCost::FAST, true).unwrap();
        let o = s.find_officer("demo-officer").unwrap().unwrap();
        assert!(o.pass_hash.starts_with("$argon2id$"));
        assert_eq!(o.district, DEMO_DISTRICT);
        let sess = session(&s);
        let page = s.pull_page(&sess, &Scope::of(&sess), 0, 100, None).unwrap();
        assert!(page.changes.iter().any(|c| matches!(c, Change::Upsert { id, .. } if id == "n1")));
        // The existing nominal stays the only one (seeding adds people to an empty table only).
        assert_eq!(s.stats().unwrap().nominals, 1);
    }

    fn create(seq: u64, id: &str, given: &str, surname: &str, dob: Option<&str>) -> PushMutation {
        PushMutation {
            seq,
            mutation_id: format!("m-{seq}"),
            name: "nominal.create/1".into(),
            payload: json!({ "nominal": {
                "id": id, "given_name": given, "surname": surname, "date_of_birth": dob,
                "sex": null, "aliases": [], "address": null, "postcode": null, "source": "current" } }),
            base_version: None,
        }
    }

    fn resolve(seq: u64, id: &str, decision: &str, target: Option<&str>) -> PushMutation {
        PushMutation {
            seq,
            mutation_id: format!("m-{seq}"),
            name: "nominal.resolve_duplicate/1".into(),
            payload: json!({ "provisional_id": id, "decision": decision, "nominal_id": target }),
            base_version: None,
        }
    }

    fn first_person(s: &SqliteStorage) -> WireNominal {
        s.conn()
            .query_row(
                &format!("SELECT {NOMINAL_COLUMNS} FROM nominals WHERE date_of_birth IS NOT NULL ORDER BY id LIMIT 1"),
                [],
                nominal_of,
            )
            .unwrap()
    }

    fn pulled(s: &SqliteStorage, sess: &Session) -> Vec<Change> {
        s.pull_page(sess, &Scope::of(sess), 0, 5000, None).unwrap().changes
    }

    fn done(o: PushOutcome) -> (u64, Vec<Rejection>, Vec<PossibleDuplicate>) {
        match o {
            PushOutcome::Done { last_applied_seq, rejections, possible_duplicates, .. } => {
                (last_applied_seq, rejections, possible_duplicates)
            }
            other => panic!("{other:?}"),
        }
    }

    fn casework_of(changes: &[Change], incident: &str) -> Option<bluelamp_protocol::wire::Casework> {
        changes.iter().rev().find_map(|c| match c {
            Change::Upsert { record_type: RecordType::Casework, id, data, .. } if id == incident => {
                Some(serde_json::from_value(data.clone()).unwrap())
            }
            _ => None,
        })
    }

    /// The service holds the review rules for every client: a supervisor cannot review a form
    /// they submitted (or wrote), and a return needs comments.
    #[test]
    fn a_supervisor_cannot_review_their_own_form_and_a_return_needs_comments() {
        let (_d, s) = storage();
        s.bind_and_issue_token("demo-supervisor", "client-s", "station", "hs", i64::MAX, 1, true).unwrap();
        let sup = s.session("hs", 2).unwrap().unwrap();
        let m = |seq: u64, name: &str, payload: serde_json::Value| PushMutation {
            seq,
            mutation_id: format!("m-{seq}"),
            name: name.into(),
            payload,
            base_version: None,
        };
        let form = |id: &str, author: &str| {
            json!({ "form": { "id": id, "incident_id": "demo-incident-1", "pack_id": "dash-2009", "pack_version": 1,
                "author": author, "answers": {"q1": "yes"}, "officer_grade": "high", "rationale": "r" } })
        };
        let laptop = session(&s);
        assert_eq!(
            done(s.push(&laptop, &[m(1, "form.submit/1", form("f-other", "demo-officer"))], 3).unwrap()).1,
            vec![]
        );
        assert_eq!(
            done(s.push(&laptop, &[m(2, "form.submit/1", form("f-written", "demo-supervisor"))], 3).unwrap()).1,
            vec![]
        );
        assert_eq!(
            done(s.push(&sup, &[m(1, "form.submit/1", form("f-own", "demo-supervisor"))], 3).unwrap()).1,
            vec![]
        );
        let review = |id: &str, decision: &str, comments: &str| json!({ "form_id": id, "decision": decision, "comments": comments, "at": "2026-12-03T09:00:00Z" });
        let rejected = done(
            s.push(
                &sup,
                &[
                    m(2, "form.review/1", review("f-own", "approve", "")),
                    m(3, "form.review/1", review("f-written", "approve", "")),
                    m(4, "form.review/1", review("f-other", "return", "  ")),
                ],
                4,
            )
            .unwrap(),
        )
        .1;
        let why: Vec<(u64, &str)> = rejected.iter().map(|r| (r.seq, r.message.as_str())).collect();
        assert_eq!(why.len(), 3, "{why:?}");
        assert!(why[0].1.contains("own form") && why[1].1.contains("own form"), "{why:?}");
        assert!(why[2].1.contains("needs comments"), "{why:?}");
        // Someone else's form, with comments: applied.
        let ok =
            done(s.push(&sup, &[m(5, "form.review/1", review("f-other", "return", "add the children"))], 5).unwrap());
        assert_eq!(ok.1, vec![]);
    }

    /// A form submitted on one device, the supervisor's review and a referral decision recorded
    /// elsewhere reach the officer's other devices as the incident's casework; the submitting
    /// device is not sent its own form back; the incident's version does not move (no false
    /// conflict for a closing-code edit based on it).
    #[test]
    fn casework_recorded_anywhere_is_pulled_by_the_assigned_officer() {
        let (_d, s) = storage();
        let laptop = session(&s);
        s.bind_and_issue_token("demo-officer", "client-2", "tablet", "h2", i64::MAX, 1, true).unwrap();
        let tablet = s.session("h2", 2).unwrap().unwrap();
        s.bind_and_issue_token("demo-supervisor", "client-s", "station", "hs", i64::MAX, 1, true).unwrap();
        let sup = s.session("hs", 2).unwrap().unwrap();
        let inc = "demo-incident-1";
        let version_before = incident_json(&s.conn(), inc).unwrap().unwrap().1;
        let form = PushMutation {
            seq: 1,
            mutation_id: "m-1".into(),
            name: "form.submit/1".into(),
            payload: json!({ "form": { "id": "f-1", "incident_id": inc, "pack_id": "dash-2009", "pack_version": 1,
                "answers": {"q1": "yes"}, "officer_grade": "high", "rationale": "r", "submitted_at": "2026-12-03T08:00:00Z" } }),
            base_version: None,
        };
        assert_eq!(done(s.push(&laptop, &[form], 3).unwrap()).1, vec![]);
        let review = PushMutation {
            seq: 1,
            mutation_id: "m-s1".into(),
            name: "form.review/1".into(),
            payload: json!({ "form_id": "f-1", "decision": "return", "comments": "add the children", "at": "2026-12-03T09:00:00Z" }),
            base_version: None,
        };
        let referral = PushMutation {
            seq: 2,
            mutation_id: "m-s2".into(),
            name: "referral.decision/1".into(),
            payload: json!({ "decision": { "id": "r-1", "incident_id": inc, "victim_id": "v-1", "outcome": "referred",
                "destination": "idva", "details": {}, "status": "active", "decided_at": "2026-12-03T09:01:00Z",
                "decided_by": "demo-supervisor" } }),
            base_version: None,
        };
        assert_eq!(done(s.push(&sup, &[review, referral], 4).unwrap()).1, vec![]);

        let other = casework_of(&pulled(&s, &tablet), inc).expect("the tablet gets the casework");
        assert_eq!(other.forms.len(), 1);
        let f = &other.forms[0];
        assert_eq!((f.id.as_str(), f.status.as_str(), f.submitted_by.as_str()), ("f-1", "returned", "demo-officer"));
        assert_eq!(f.answers, json!({"q1": "yes"}));
        assert_eq!(other.reviews.len(), 1);
        assert_eq!(other.reviews[0].comments.as_deref(), Some("add the children"));
        assert_eq!(other.referrals.len(), 1);
        assert_eq!(other.referrals[0].destination.as_deref(), Some("idva"));
        // The laptop has its own form: only what others recorded comes back.
        let own = casework_of(&pulled(&s, &laptop), inc).expect("the laptop gets the review");
        assert!(own.forms.is_empty());
        assert_eq!((own.reviews.len(), own.referrals.len()), (1, 1));
        // The incident itself did not move.
        assert_eq!(incident_json(&s.conn(), inc).unwrap().unwrap().1, version_before);
        // The district's supervisor is sent the officer's form (their queue shows it), not
        // their own decision back.
        let at_station = casework_of(&pulled(&s, &sup), inc).expect("the supervisor gets the casework");
        assert_eq!((at_station.forms.len(), at_station.referrals.len()), (1, 0));
    }

    /// Naming an incident in a form or referral decision does not open its casework: an officer
    /// it is not assigned to is refused, one it was reassigned away from (who wrote on it) still
    /// records and is sent only their own work, and a supervisor reaches only their district.
    #[test]
    fn casework_is_written_and_read_only_within_reach() {
        let (_d, s) = storage();
        let add = |id: &str, role: Role, district: &str| {
            s.add_officer(&Officer {
                id: id.into(),
                role,
                district: district.into(),
                display_name: id.into(),
                pass_hash: String::new(),
            })
            .unwrap();
        };
        add("pc-nosy", Role::Officer, DEMO_DISTRICT);
        add("sgt-north", Role::Supervisor, "north");
        let sess = |officer: &str, client: &str| {
            s.bind_and_issue_token(officer, client, "d", client, i64::MAX, 1, true).unwrap();
            s.session(client, 2).unwrap().unwrap()
        };
        let laptop = session(&s);
        let nosy = sess("pc-nosy", "c-nosy");
        let north = sess("sgt-north", "c-north");
        let m = |seq: u64, name: &str, payload: Value| PushMutation {
            seq,
            mutation_id: format!("{name}-{seq}"),
            name: name.into(),
            payload,
            base_version: None,
        };
        let form = |id: &str, inc: &str| json!({ "form": { "id": id, "incident_id": inc, "pack_id": "dash-2009", "answers": {"q1": "yes"} } });
        let decision = |id: &str, inc: &str| {
            json!({ "decision": { "id": id, "incident_id": inc, "victim_id": "v-1", "outcome": "referred",
                "destination": "idva", "details": {}, "status": "active", "decided_at": "2026-12-03T09:01:00Z",
                "decided_by": "pc-nosy" } })
        };
        let inc = "demo-incident-1";
        assert_eq!(done(s.push(&laptop, &[m(1, "form.submit/1", form("f-own", inc))], 3).unwrap()).1, vec![]);
        // Not assigned to pc-nosy: refused, and nothing of it is sent to them.
        let refused = done(
            s.push(
                &nosy,
                &[m(1, "form.submit/1", form("f-nosy", inc)), m(2, "referral.decision/1", decision("r-nosy", inc))],
                3,
            )
            .unwrap(),
        )
        .1;
        assert_eq!(refused.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(), ["forbidden", "forbidden"]);
        assert!(casework_of(&pulled(&s, &nosy), inc).is_none());
        // A supervisor of another district can neither review its form nor code the incident.
        let mut code = m(1, "incident.closing_code/1", json!({ "incident_id": inc, "closing_code": "DA" }));
        code.base_version = Some(incident_json(&s.conn(), inc).unwrap().unwrap().1);
        let refused = done(
            s.push(&north, &[code, m(2, "form.review/1", json!({ "form_id": "f-own", "decision": "approve" }))], 3)
                .unwrap(),
        )
        .1;
        assert_eq!(refused.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(), ["forbidden", "forbidden"]);
        // An incident the service does not hold is the device's own: recorded.
        assert_eq!(
            done(s.push(&nosy, &[m(3, "form.submit/1", form("f-local", "local-incident-9"))], 3).unwrap()).1,
            vec![]
        );
        // Reassigned to pc-nosy: the new assignee records and gets everything; demo-officer (who
        // wrote on it) may still record, and is sent only their own work.
        assert!(s.reassign_incident(inc, "pc-nosy").unwrap());
        assert_eq!(done(s.push(&nosy, &[m(4, "form.submit/1", form("f-new", inc))], 4).unwrap()).1, vec![]);
        assert_eq!(done(s.push(&laptop, &[m(2, "form.submit/1", form("f-late", inc))], 4).unwrap()).1, vec![]);
        let ids = |c: bluelamp_protocol::wire::Casework| {
            let mut v: Vec<String> = c.forms.into_iter().map(|f| f.id).collect();
            v.sort();
            v
        };
        s.bind_and_issue_token("demo-officer", "c-tablet", "tablet", "ht", i64::MAX, 1, true).unwrap();
        let tablet = s.session("ht", 2).unwrap().unwrap();
        assert_eq!(ids(casework_of(&pulled(&s, &tablet), inc).unwrap()), ["f-late", "f-own"]);
        s.bind_and_issue_token("pc-nosy", "c-nosy-2", "tablet", "hn", i64::MAX, 1, true).unwrap();
        let nosy_tablet = s.session("hn", 2).unwrap().unwrap();
        assert_eq!(ids(casework_of(&pulled(&s, &nosy_tablet), inc).unwrap()), ["f-late", "f-new", "f-own"]);
    }

    /// Review, 7 Dec 2026: on an incident the service does not hold, a supervisor of another
    /// district approved an officer's form, and any officer or supervisor withdrew an officer's
    /// referral decision. A review needs a supervisor of the submitting officer's district, a
    /// withdrawal the deciding officer or a supervisor of their district.
    #[test]
    fn casework_on_an_incident_the_service_does_not_hold_is_reviewed_and_withdrawn_within_reach() {
        let (_d, s) = storage();
        for (id, role, district) in
            [("pc-nosy", Role::Officer, DEMO_DISTRICT), ("sgt-north", Role::Supervisor, "district-b")]
        {
            let o = Officer {
                id: id.into(),
                role,
                district: district.into(),
                display_name: id.into(),
                pass_hash: "".into(),
            };
            s.add_officer(&o).unwrap();
        }
        let sess = |officer: &str, client: &str| {
            s.bind_and_issue_token(officer, client, "d", client, i64::MAX, 1, true).unwrap();
            s.session(client, 2).unwrap().unwrap()
        };
        let laptop = session(&s);
        let nosy = sess("pc-nosy", "c-nosy");
        let north = sess("sgt-north", "c-north");
        let sgt = sess("demo-supervisor", "c-sgt");
        let m = |seq: u64, name: &str, payload: Value| PushMutation {
            seq,
            mutation_id: format!("{name}-{seq}"),
            name: name.into(),
            payload,
            base_version: None,
        };
        let inc = "LOCAL-XYZ";
        let decision = |id: &str| {
            json!({ "decision": { "id": id, "incident_id": inc, "victim_id": "v-1", "outcome": "declined",
                "destination": null, "details": { "in_their_words": "No thanks" }, "status": "active", "decided_at": "2026-12-07T09:01:00Z",
                "decided_by": "demo-officer" } })
        };
        let withdraw = |id: &str| {
            json!({ "referral_id": id, "incident_id": inc,
                    "withdrawal": { "reason": "entered in error", "withdrawn_at": "2026-12-07T10:00:00Z" } })
        };
        let review = |id: &str| json!({ "form_id": id, "decision": "approve" });
        let form = json!({ "form": { "id": "f-local", "incident_id": inc, "pack_id": "dash-2009", "answers": {} } });
        let batch = [
            m(1, "form.submit/1", form),
            m(2, "referral.decision/1", decision("ref-1")),
            m(3, "referral.decision/1", decision("ref-2")),
        ];
        assert_eq!(done(s.push(&laptop, &batch, 3).unwrap()).1, vec![]);
        let codes = |o: PushOutcome| done(o).1.into_iter().map(|r| r.code).collect::<Vec<_>>();
        // A supervisor of another district: neither.
        let out = s.push(
            &north,
            &[m(1, "form.review/1", review("f-local")), m(2, "referral.withdraw/1", withdraw("ref-1"))],
            4,
        );
        assert_eq!(codes(out.unwrap()), ["forbidden", "forbidden"]);
        // Another officer of the same district: no withdrawal.
        assert_eq!(codes(s.push(&nosy, &[m(1, "referral.withdraw/1", withdraw("ref-1"))], 4).unwrap()), ["forbidden"]);
        let status = |id: &str| -> String {
            s.conn().query_row("SELECT status FROM referrals WHERE id = ?1", [id], |r| r.get(0)).unwrap()
        };
        let form_status = || -> String {
            s.conn().query_row("SELECT status FROM forms WHERE id = 'f-local'", [], |r| r.get(0)).unwrap()
        };
        assert_eq!((status("ref-1"), form_status()), ("active".to_string(), "submitted".to_string()));
        // The officer's own supervisor reviews and withdraws; the officer withdraws their own.
        let out = s.push(
            &sgt,
            &[m(1, "form.review/1", review("f-local")), m(2, "referral.withdraw/1", withdraw("ref-1"))],
            5,
        );
        assert_eq!(codes(out.unwrap()), Vec::<String>::new());
        assert_eq!(
            codes(s.push(&laptop, &[m(4, "referral.withdraw/1", withdraw("ref-2"))], 5).unwrap()),
            Vec::<String>::new()
        );
        assert_eq!(
            (status("ref-1"), status("ref-2"), form_status()),
            ("withdrawn".into(), "withdrawn".into(), "approved".into())
        );
    }

    /// On an incident the service holds, a referral decision is withdrawn by the officer who
    /// recorded it, the incident's assignee or a supervisor of its district; another officer
    /// who once wrote on the incident may not (review, 7 Dec 2026: anyone with earlier casework
    /// there could withdraw another officer's decision).
    #[test]
    fn a_decision_on_a_held_incident_is_withdrawn_only_within_reach() {
        let (_d, s) = storage();
        let o = Officer {
            id: "pc-other".into(),
            role: Role::Officer,
            district: DEMO_DISTRICT.into(),
            display_name: "pc-other".into(),
            pass_hash: "".into(),
        };
        s.add_officer(&o).unwrap();
        s.bind_and_issue_token("pc-other", "c-other", "d", "c-other", i64::MAX, 1, true).unwrap();
        let other = s.session("c-other", 2).unwrap().unwrap();
        let laptop = session(&s);
        let m = |seq: u64, name: &str, payload: Value| PushMutation {
            seq,
            mutation_id: format!("{name}-{seq}"),
            name: name.into(),
            payload,
            base_version: None,
        };
        let inc = "demo-incident-1";
        let decision = json!({ "decision": { "id": "ref-h", "incident_id": inc, "victim_id": "v-1",
            "outcome": "declined", "destination": null, "details": { "in_their_words": "No thanks" }, "status": "active",
            "decided_at": "2026-12-07T09:01:00Z", "decided_by": "demo-officer" } });
        let form = json!({ "form": { "id": "f-other", "incident_id": inc, "pack_id": "dash-2009", "answers": {} } });
        let withdraw = json!({ "referral_id": "ref-h", "incident_id": inc,
            "withdrawal": { "reason": "entered in error", "withdrawn_at": "2026-12-07T10:00:00Z" } });
        assert_eq!(done(s.push(&laptop, &[m(1, "referral.decision/1", decision)], 3).unwrap()).1, vec![]);
        // pc-other wrote on it while it was theirs, then it went back to demo-officer.
        assert!(s.reassign_incident(inc, "pc-other").unwrap());
        assert_eq!(done(s.push(&other, &[m(1, "form.submit/1", form)], 4).unwrap()).1, vec![]);
        assert!(s.reassign_incident(inc, "demo-officer").unwrap());
        let codes = |o: PushOutcome| done(o).1.into_iter().map(|r| r.code).collect::<Vec<_>>();
        assert_eq!(codes(s.push(&other, &[m(2, "referral.withdraw/1", withdraw.clone())], 5).unwrap()), ["forbidden"]);
        let status = || -> String {
            s.conn().query_row("SELECT status FROM referrals WHERE id = 'ref-h'", [], |r| r.get(0)).unwrap()
        };
        assert_eq!(status(), "active");
        // The decider (also the assignee here) may.
        assert_eq!(codes(s.push(&laptop, &[m(2, "referral.withdraw/1", withdraw)], 6).unwrap()), Vec::<String>::new());
        assert_eq!(status(), "withdrawn");
    }

    fn pulled_markers(s: &SqliteStorage, sess: &Session, id: &str) -> Option<Value> {
        pulled(s, sess).into_iter().rev().find_map(|c| match c {
            Change::Upsert { record_type: RecordType::Nominal, id: i, data, .. } if i == id => {
                Some(data.get("markers").cloned().unwrap_or(Value::Null))
            }
            _ => None,
        })
    }

    /// Phone numbers are held and served with the nominal (from a CSV with a `phones` column):
    /// a re-import with the column replaces them, an empty cell clears them (and the served
    /// record then carries none), an import without the column leaves them; the demo
    /// incidents' suspects carry the numbers the demo stores hold for them.
    #[test]
    fn phone_numbers_are_imported_and_served_with_the_nominal() {
        let (_d, s) = storage();
        let sess = session(&s);
        let served = |id: &str| {
            pulled(&s, &sess).into_iter().rev().find_map(|c| match c {
                Change::Upsert { record_type: RecordType::Nominal, id: i, data, .. } if i == id => {
                    Some(data.get("phones").cloned().unwrap_or(Value::Null))
                }
                _ => None,
            })
        };
        let import = |csv: &str| {
            let p = crate::csv_import::parse(csv.as_bytes(), Some(DEMO_DISTRICT), "2026-12-08").unwrap();
            assert!(p.rejected.is_empty(), "{:?}", p.rejected);
            s.import_nominals(&p.rows).unwrap()
        };
        let sum = import(
            "id,given_name,surname,date_of_birth,phones\nph-1,Sam,Example,1987-11-23,07700 900999; 0161 496 0000\n",
        );
        assert_eq!(sum.inserted, 1);
        assert_eq!(served("ph-1").unwrap(), json!(["07700 900999", "0161 496 0000"]));
        // Without the column: unchanged, still served.
        assert_eq!(import("id,given_name,surname,date_of_birth\nph-1,Sam,Example,1987-11-23\n").unchanged, 1);
        assert_eq!(served("ph-1").unwrap(), json!(["07700 900999", "0161 496 0000"]));
        // With it: replaced (a change the devices pull).
        assert_eq!(
            import("id,given_name,surname,date_of_birth,phones\nph-1,Sam,Example,1987-11-23,+44 7700 900111\n").updated,
            1
        );
        assert_eq!(served("ph-1").unwrap(), json!(["+44 7700 900111"]));
        // An empty cell clears them: the record is served without the field.
        assert_eq!(import("id,given_name,surname,date_of_birth,phones\nph-1,Sam,Example,1987-11-23,\n").updated, 1);
        assert_eq!(served("ph-1").unwrap(), Value::Null);
        // The demo incidents' suspects.
        let suspect: String = s
            .conn()
            .query_row(
                "SELECT json_extract(l.value, '$.nominal_id') FROM incidents, json_each(incidents.links) l
                 WHERE json_extract(l.value, '$.role') = 'suspect' ORDER BY incidents.id LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(served(&suspect).unwrap(), json!([bluelamp_demo::demo_phone(&suspect)]));
    }

    /// Markers are held and served with the nominal: an import with the column sets or clears
    /// them, one without leaves them; the demo's linked people carry theirs.
    #[test]
    fn warning_markers_are_imported_and_served_with_the_nominal() {
        let (_d, s) = storage();
        let sess = session(&s);
        let mut n = first_person(&s);
        n.id = "m-1".into();
        let marker = bluelamp_protocol::nominal::parse_markers("violence@2026-10-01", "2026-12-01").unwrap();
        let row =
            |markers| ImportNominal { nominal: n.clone(), district: DEMO_DISTRICT.into(), markers, keep_phones: false };
        assert_eq!(s.import_nominals(&[row(Some(marker.clone()))]).unwrap().inserted, 1);
        let served = pulled_markers(&s, &sess, "m-1").unwrap();
        assert_eq!(served[0]["code"], "violence");
        assert_eq!(served[0]["last_verified_at"], "2026-10-01T00:00:00Z");
        // Without the column: unchanged, still served.
        assert_eq!(s.import_nominals(&[row(None)]).unwrap().unchanged, 1);
        assert_eq!(pulled_markers(&s, &sess, "m-1").unwrap()[0]["code"], "violence");
        // An empty cell clears them (a change the devices pull).
        assert_eq!(s.import_nominals(&[row(Some(vec![]))]).unwrap().updated, 1);
        assert_eq!(pulled_markers(&s, &sess, "m-1").unwrap(), json!([]));
        // The demo incidents' people carry markers.
        let linked: Vec<String> = s
            .conn()
            .prepare("SELECT links FROM incidents")
            .unwrap()
            .query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .flat_map(|l| {
                let v: Vec<Value> = serde_json::from_str(&l.unwrap()).unwrap();
                v.into_iter().map(|x| x["nominal_id"].as_str().unwrap().to_string()).collect::<Vec<_>>()
            })
            .collect();
        let with_markers = linked
            .iter()
            .filter(|id| pulled_markers(&s, &sess, id).is_some_and(|m| m.as_array().is_some_and(|a| !a.is_empty())))
            .count();
        assert!(with_markers > 0, "no demo person linked to an incident has a marker");
    }

    /// The index is built for existing databases and kept by imports.
    #[test]
    fn the_name_index_covers_every_active_nominal() {
        let (_d, s) = storage();
        let conn = s.conn();
        let total: i64 =
            conn.query_row("SELECT n FROM name_key_counts WHERE key = '#NOMINALS'", [], |r| r.get(0)).unwrap();
        let nominals: i64 = conn.query_row("SELECT count(*) FROM nominals", [], |r| r.get(0)).unwrap();
        assert_eq!(total, nominals);
        let unindexed: i64 = conn
            .query_row(
                "SELECT count(*) FROM nominals n WHERE NOT EXISTS (SELECT 1 FROM name_keys k WHERE k.nominal_id = n.id)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(unindexed, 0);
    }

    #[test]
    fn a_new_person_with_no_likely_match_is_active_and_pulled() {
        let (_d, s) = storage();
        let sess = session(&s);
        let (last, rej, dups) =
            done(s.push(&sess, &[create(1, "p-1", "Zebedee", "Quartermaine", Some("1970-01-01"))], 3).unwrap());
        assert_eq!((last, rej.len(), dups.len()), (1, 0, 0));
        assert!(pulled(&s, &sess).iter().any(|c| matches!(c, Change::Upsert { id, .. } if id == "p-1")));
        // A second create with the same id is refused.
        let (_, rej, _) = done(s.push(&sess, &[create(2, "p-1", "Zebedee", "Quartermaine", None)], 4).unwrap());
        assert_eq!(rej[0].code, "nominal_exists");
        // Bad input is refused with the shared field check.
        let (_, rej, _) = done(s.push(&sess, &[create(3, "p-2", "", "Quartermaine", None)], 5).unwrap());
        assert_eq!(rej[0].code, "invalid_payload");
        assert!(rej[0].message.contains("given_name"), "{}", rej[0].message);
    }

    /// A common name fills the probes' row caps; the duplicate born that year is still read
    /// (within the DOB window), though the new record's DOB has a slip (day digits exchanged).
    #[test]
    fn a_common_name_still_finds_the_duplicate_born_that_year() {
        let (_d, s) = storage();
        let sess = session(&s);
        let smith = |id: String, dob: Option<String>| ImportNominal {
            nominal: WireNominal {
                id,
                source: Source::Current,
                given_name: "William".into(),
                surname: "Smith".into(),
                date_of_birth: dob,
                sex: None,
                aliases: vec![],
                address: None,
                postcode: None,
                phones: vec![],
            },
            district: DEMO_DISTRICT.into(),
            markers: None,
            keep_phones: false,
        };
        let mut rows: Vec<ImportNominal> =
            (0..320).map(|i| smith(format!("c-{i}"), Some(format!("19{:02}-01-01", 20 + i % 40)))).collect();
        rows.push(smith("w-85".into(), Some("1985-03-12".into())));
        s.import_nominals(&rows).unwrap();
        let (_, rej, dups) =
            done(s.push(&sess, &[create(1, "p-1", "William", "Smith", Some("1985-03-21"))], 3).unwrap());
        assert!(rej.is_empty(), "{rej:?}");
        assert_eq!(dups.len(), 1);
        assert_eq!(dups[0].candidates[0].nominal.id, "w-85", "{:#?}", dups[0].candidates);
    }

    /// An index from before `born` is dropped and rebuilt when the service starts.
    #[test]
    fn an_index_without_born_is_rebuilt_at_start() {
        let (_dir, path, s) = storage_at(5);
        s.conn()
            .execute_batch(
                "DROP TABLE name_keys;
                 CREATE TABLE name_keys (key TEXT NOT NULL, nominal_id TEXT NOT NULL,
                     PRIMARY KEY (key, nominal_id)) WITHOUT ROWID;
                 INSERT INTO name_keys VALUES ('SN:OLD', 'x');",
            )
            .unwrap();
        drop(s);
        let s = SqliteStorage::open(&path).unwrap();
        let old: i64 =
            s.conn().query_row("SELECT count(*) FROM name_keys WHERE key = 'SN:OLD'", [], |r| r.get(0)).unwrap();
        assert_eq!(old, 0);
        let unborn: i64 = s
            .conn()
            .query_row(
                "SELECT count(*) FROM name_keys k JOIN nominals n ON n.id = k.nominal_id
                 WHERE n.date_of_birth IS NOT NULL AND k.born = 0",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(unborn, 0, "every key row of a person with a DOB carries the year");
        let keyed: i64 = s.conn().query_row("SELECT count(*) FROM name_keys", [], |r| r.get(0)).unwrap();
        assert!(keyed > 0);
    }

    #[test]
    fn a_likely_duplicate_is_held_then_linked_and_redirected() {
        let (_d, s) = storage();
        let sess = session(&s);
        let p = first_person(&s);
        let m = create(1, "p-1", &p.given_name, &p.surname, p.date_of_birth.as_deref());
        let (_, rej, dups) = done(s.push(&sess, std::slice::from_ref(&m), 3).unwrap());
        assert!(rej.is_empty(), "{rej:?}");
        assert_eq!(dups.len(), 1);
        assert_eq!(dups[0].provisional_id, "p-1");
        assert_eq!(dups[0].candidates[0].nominal.id, p.id);
        assert!(dups[0].candidates[0].score >= f64::from(bluelamp_names::LIKELY_DUPLICATE_SCORE));
        assert!(!dups[0].candidates[0].reasons.is_empty());
        // Held: in nobody's pull. A resend repeats the question and applies nothing again.
        assert!(!pulled(&s, &sess).iter().any(|c| matches!(c, Change::Upsert { id, .. } if id == "p-1")));
        let (_, _, again) = done(s.push(&sess, std::slice::from_ref(&m), 4).unwrap());
        assert_eq!(again, dups);
        assert_eq!(s.stats().unwrap().duplicate_applications, 0);
        // A wrong target is refused; then the link.
        let (_, rej, _) = done(s.push(&sess, &[resolve(2, "p-1", "link", Some("nobody"))], 5).unwrap());
        assert_eq!(rej[0].code, "unknown_nominal");
        // So is a current person the service did not offer (the link would write onto them).
        let offered: Vec<&str> = dups[0].candidates.iter().map(|c| c.nominal.id.as_str()).collect();
        let other = pulled(&s, &sess)
            .into_iter()
            .find_map(|c| match c {
                Change::Upsert { record_type: RecordType::Nominal, id, .. } if !offered.contains(&id.as_str()) => {
                    Some(id)
                }
                _ => None,
            })
            .unwrap();
        let (_, rej, _) = done(s.push(&sess, &[resolve(3, "p-1", "link", Some(&other))], 5).unwrap());
        assert_eq!(rej[0].code, "not_offered");
        let (_, rej, _) = done(s.push(&sess, &[resolve(4, "p-1", "link", Some(&p.id))], 6).unwrap());
        assert!(rej.is_empty(), "{rej:?}");
        let changes = pulled(&s, &sess);
        assert!(changes.iter().any(|c| matches!(c, Change::Tombstone { id, .. } if id == "p-1")));
        let target = changes
            .iter()
            .find_map(|c| match c {
                Change::Upsert { id, data, .. } if *id == p.id => Some(data.clone()),
                _ => None,
            })
            .unwrap();
        let target: WireNominal = serde_json::from_value(target).unwrap();
        assert_eq!(target.aliases, p.aliases, "same name: no new alias");
        let (status, into): (String, String) = s
            .conn()
            .query_row("SELECT status, merged_into FROM nominals WHERE id = 'p-1'", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!((status.as_str(), into.as_str()), ("merged", p.id.as_str()));
        // Only once.
        let (_, rej, _) = done(s.push(&sess, &[resolve(5, "p-1", "new", None)], 7).unwrap());
        assert_eq!(rej[0].code, "already_resolved");
    }

    /// A possible duplicate is resolved by the officer who created the person, or by a
    /// supervisor of the district it was created in: not by a supervisor elsewhere.
    #[test]
    fn only_the_creator_or_the_districts_supervisor_resolves_a_possible_duplicate() {
        let (_d, s) = storage();
        s.add_officer(&Officer {
            id: "sgt-north".into(),
            role: Role::Supervisor,
            district: "north".into(),
            display_name: "sgt-north".into(),
            pass_hash: String::new(),
        })
        .unwrap();
        s.bind_and_issue_token("sgt-north", "c-north", "d", "c-north", i64::MAX, 1, true).unwrap();
        let north = s.session("c-north", 2).unwrap().unwrap();
        s.bind_and_issue_token("demo-supervisor", "c-sup", "d", "c-sup", i64::MAX, 1, true).unwrap();
        let sup = s.session("c-sup", 2).unwrap().unwrap();
        let laptop = session(&s);
        let p = first_person(&s);
        let m = create(1, "p-1", &p.given_name, &p.surname, p.date_of_birth.as_deref());
        let (_, rej, dups) = done(s.push(&laptop, &[m], 3).unwrap());
        assert!(rej.is_empty() && dups.len() == 1, "{rej:?} {dups:?}");
        let (_, rej, _) = done(s.push(&north, &[resolve(1, "p-1", "new", None)], 4).unwrap());
        assert_eq!(rej.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(), ["forbidden"]);
        let (_, rej, _) = done(s.push(&sup, &[resolve(1, "p-1", "new", None)], 5).unwrap());
        assert!(rej.is_empty(), "the district's supervisor: {rej:?}");
    }

    /// A referral decision is recorded as the signed-in officer's, whoever the payload names.
    #[test]
    fn a_referral_decision_is_the_signed_in_officers() {
        let (_d, s) = storage();
        let laptop = session(&s);
        let m = mutation_1(
            "referral.decision/1",
            json!({ "decision": { "id": "r-1", "incident_id": "demo-incident-1", "victim_id": "v-1",
                "outcome": "referred", "destination": "idva", "details": {}, "status": "active",
                "decided_at": "2026-12-03T09:01:00Z", "decided_by": "demo-supervisor" } }),
        );
        assert_eq!(done(s.push(&laptop, &[m], 3).unwrap()).1, vec![]);
        let by: String =
            s.conn().query_row("SELECT decided_by FROM referrals WHERE id = 'r-1'", [], |r| r.get(0)).unwrap();
        assert_eq!(by, "demo-officer");
    }

    /// `victim.under18/1`: refused to an officer the incident is not assigned to, and for a
    /// person not linked as its victim; recorded as the signed-in officer's; the same answer sent
    /// again is taken, another under its id refused; the district's supervisor pulls it with
    /// the incident's casework.
    #[test]
    fn an_under_18_answer_is_recorded_within_reach_and_sent_with_the_casework() {
        let (_d, s) = storage();
        let Reach { laptop, nosy, sup, victim, suspect } = reach(&s);
        let inc = "demo-incident-1";
        let m = |seq: u64, id: &str, who: &str, under_18: bool| PushMutation {
            seq,
            mutation_id: format!("u18-{seq}"),
            name: "victim.under18/1".into(),
            payload: json!({ "answer": { "id": id, "incident_id": inc, "nominal_id": who, "under_18": under_18,
                "answered_by": "demo-supervisor", "answered_at": "2026-12-07T10:00:00Z" } }),
            base_version: None,
        };
        let codes = |o: PushOutcome| done(o).1.into_iter().map(|r| r.code).collect::<Vec<_>>();
        assert_eq!(codes(s.push(&nosy, &[m(1, "a-nosy", &victim, true)], 3).unwrap()), ["forbidden"]);
        assert_eq!(codes(s.push(&laptop, &[m(1, "a-s", &suspect, true)], 3).unwrap()), ["not_a_victim"]);
        assert!(codes(s.push(&laptop, &[m(2, "a-1", &victim, true)], 3).unwrap()).is_empty());
        // Sent again under a new seq (a store restored from a copy): taken; changed: refused.
        assert!(codes(s.push(&laptop, &[m(3, "a-1", &victim, true)], 3).unwrap()).is_empty());
        assert_eq!(codes(s.push(&laptop, &[m(4, "a-1", &victim, false)], 3).unwrap()), ["answer_exists"]);
        // A time devices cannot order answers by (text sorting after every real time) is refused.
        let mut late = m(5, "a-late", &victim, false);
        late.payload["answer"]["answered_at"] = json!("zzzz");
        assert_eq!(codes(s.push(&laptop, &[late], 3).unwrap()), ["invalid_payload"]);
        let (n, by): (i64, String) = s
            .conn()
            .query_row("SELECT count(*), max(answered_by) FROM under18_answers", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!((n, by.as_str()), (1, "demo-officer"));
        let c = casework_of(&pulled(&s, &sup), inc).expect("the supervisor gets the casework");
        assert_eq!(c.under18_answers.len(), 1, "{c:?}");
        let a = &c.under18_answers[0];
        assert_eq!((a.id.as_str(), a.nominal_id.as_str(), a.under_18), ("a-1", victim.as_str(), true));
        // Not sent back to the device that pushed it.
        assert!(casework_of(&pulled(&s, &laptop), inc).is_none_or(|c| c.under18_answers.is_empty()));
    }

    /// Right 6: `investigation.event/1` and `victim.updated/1` are refused to an officer the
    /// incident is not assigned to; "told" is refused for a person not linked as its victim and
    /// for an event not held; each is recorded as the signed-in officer's, the same one resent is
    /// taken, another under its id refused; the district's supervisor pulls both with the
    /// casework, and the device that pushed them does not get them back.
    #[test]
    fn investigation_events_and_victims_told_are_recorded_within_reach_and_sent_with_the_casework() {
        let (_d, s) = storage();
        let Reach { laptop, nosy, sup, victim, suspect } = reach(&s);
        let inc = "demo-incident-1";
        // Today in the UK: the showcase incident happened in the last hours.
        let today = bluelamp_protocol::victims::uk_date(now_unix());
        let ev_on = |seq: u64, id: &str, kind: &str, on: &str| PushMutation {
            seq,
            mutation_id: format!("ev-{seq}"),
            name: "investigation.event/1".into(),
            payload: json!({ "event": { "id": id, "incident_id": inc, "kind": kind, "occurred_on": on,
                "recorded_by": "demo-supervisor", "recorded_at": "2026-12-07T10:00:00Z" } }),
            base_version: None,
        };
        let ev = |seq: u64, id: &str, kind: &str| ev_on(seq, id, kind, &today);
        let told = |seq: u64, id: &str, event: &str, who: &str| PushMutation {
            seq,
            mutation_id: format!("told-{seq}"),
            name: "victim.updated/1".into(),
            payload: json!({ "told": { "id": id, "event_id": event, "incident_id": inc, "nominal_id": who,
                "how": "phone", "told_by": "demo-supervisor", "told_at": "2026-12-07T11:00:00Z" } }),
            base_version: None,
        };
        let codes = |o: PushOutcome| done(o).1.into_iter().map(|r| r.code).collect::<Vec<_>>();
        assert_eq!(codes(s.push(&nosy, &[ev(1, "e-nosy", "arrested")], 3).unwrap()), ["forbidden"]);
        assert_eq!(codes(s.push(&laptop, &[ev(1, "e-bad", "hanged")], 3).unwrap()), ["invalid_payload"]);

        let first = done(s.push(&laptop, &[ev(2, "e-1", "arrested")], 3).unwrap()).1;
        assert!(first.is_empty(), "{first:?}");
        assert!(codes(s.push(&laptop, &[ev(3, "e-1", "arrested")], 3).unwrap()).is_empty(), "resent: taken");
        assert_eq!(codes(s.push(&laptop, &[ev(4, "e-1", "charged")], 3).unwrap()), ["event_exists"]);
        assert_eq!(codes(s.push(&laptop, &[told(5, "t-s", "e-1", &suspect)], 3).unwrap()), ["not_a_victim"]);
        assert_eq!(codes(s.push(&laptop, &[told(6, "t-x", "e-none", &victim)], 3).unwrap()), ["unknown_event"]);
        assert_eq!(codes(s.push(&nosy, &[told(2, "t-n", "e-1", &victim)], 3).unwrap()), ["forbidden"]);
        assert!(codes(s.push(&laptop, &[told(7, "t-1", "e-1", &victim)], 3).unwrap()).is_empty());
        assert!(codes(s.push(&laptop, &[told(8, "t-1", "e-1", &victim)], 3).unwrap()).is_empty(), "resent: taken");
        // A date in the future by the service's clock (a laptop's clock a year fast), or before
        // the offence, is refused.
        let next_year = bluelamp_protocol::victims::uk_date(now_unix() + 365 * 86_400);
        let last_year = bluelamp_protocol::victims::uk_date(now_unix() - 365 * 86_400);
        let refused =
            |seq, on: &str| codes(s.push(&laptop, &[ev_on(seq, &format!("e-{seq}"), "charged", on)], 3).unwrap());
        assert_eq!(refused(9, &next_year), ["invalid_event_date"]);
        assert_eq!(refused(10, &last_year), ["invalid_event_date"]);
        let by: (i64, String, i64, String) = s
            .conn()
            .query_row(
                "SELECT (SELECT count(*) FROM investigation_events), (SELECT max(recorded_by) FROM investigation_events),
                        (SELECT count(*) FROM victims_told), (SELECT max(told_by) FROM victims_told)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(by, (1, "demo-officer".into(), 1, "demo-officer".into()));
        let c = casework_of(&pulled(&s, &sup), inc).expect("the supervisor gets the casework");
        assert_eq!((c.events.len(), c.told.len()), (1, 1), "{c:?}");
        assert_eq!((c.events[0].id.as_str(), c.events[0].kind.as_str()), ("e-1", "arrested"));
        assert_eq!((c.told[0].event_id.as_str(), c.told[0].nominal_id.as_str()), ("e-1", victim.as_str()));
        let back = casework_of(&pulled(&s, &laptop), inc);
        assert!(back.is_none_or(|c| c.events.is_empty() && c.told.is_empty()));
    }

    /// Right 6: `victim.updated/1`'s `told_on` (the day the victim was told) is refused after
    /// tomorrow by the service's clock or before the event's day, kept and sent with the
    /// casework; `victim.update_preference/1` is refused to an officer out of reach, for a person
    /// not linked as a victim and for an unknown preference, recorded as the signed-in officer's,
    /// taken when resent, and sent to the supervisor with the casework.
    #[test]
    fn told_on_days_and_update_preferences_are_checked_and_sent_with_the_casework() {
        let (_d, s) = storage();
        let Reach { laptop, nosy, sup, victim, suspect } = reach(&s);
        let inc = "demo-incident-1";
        let day = |d: i64| bluelamp_protocol::victims::uk_date(now_unix() + d * 86_400);
        let codes = |o: PushOutcome| done(o).1.into_iter().map(|r| r.code).collect::<Vec<_>>();
        let ev = PushMutation {
            seq: 1,
            mutation_id: "ev-1".into(),
            name: "investigation.event/1".into(),
            payload: json!({ "event": { "id": "e-1", "incident_id": inc, "kind": "charged", "occurred_on": day(0),
                "recorded_by": "x", "recorded_at": "2026-12-07T10:00:00Z" } }),
            base_version: None,
        };
        assert!(codes(s.push(&laptop, &[ev], 3).unwrap()).is_empty());
        let told = |seq: u64, id: &str, on: Option<String>| PushMutation {
            seq,
            mutation_id: format!("told-{seq}"),
            name: "victim.updated/1".into(),
            payload: json!({ "told": { "id": id, "event_id": "e-1", "incident_id": inc, "nominal_id": victim,
                "how": "phone", "told_by": "x", "told_at": "2026-12-07T11:00:00Z", "told_on": on } }),
            base_version: None,
        };
        assert_eq!(codes(s.push(&laptop, &[told(2, "t-late", Some(day(2)))], 3).unwrap()), ["invalid_told_on"]);
        assert_eq!(codes(s.push(&laptop, &[told(3, "t-early", Some(day(-1)))], 3).unwrap()), ["invalid_told_on"]);
        assert_eq!(
            codes(s.push(&laptop, &[told(4, "t-junk", Some("7/12/2026".into()))], 3).unwrap()),
            ["invalid_told_on"]
        );
        assert!(codes(s.push(&laptop, &[told(5, "t-1", Some(day(0)))], 3).unwrap()).is_empty());

        let pref = |seq: u64, id: &str, who: &str, wants: &str| PushMutation {
            seq,
            mutation_id: format!("pref-{seq}"),
            name: "victim.update_preference/1".into(),
            payload: json!({ "preference": { "id": id, "incident_id": inc, "nominal_id": who, "wants": wants,
                "recorded_by": "x", "recorded_at": "2026-12-07T12:00:00Z" } }),
            base_version: None,
        };
        assert_eq!(codes(s.push(&nosy, &[pref(1, "p-n", &victim, "none")], 3).unwrap()), ["forbidden"]);
        assert_eq!(codes(s.push(&laptop, &[pref(6, "p-s", &suspect, "none")], 3).unwrap()), ["not_a_victim"]);
        assert_eq!(codes(s.push(&laptop, &[pref(7, "p-w", &victim, "weekly")], 3).unwrap()), ["invalid_payload"]);
        assert!(codes(s.push(&laptop, &[pref(8, "p-1", &victim, "key_decisions_only")], 3).unwrap()).is_empty());
        assert!(codes(s.push(&laptop, &[pref(9, "p-1", &victim, "key_decisions_only")], 3).unwrap()).is_empty());
        assert_eq!(codes(s.push(&laptop, &[pref(10, "p-1", &victim, "none")], 3).unwrap()), ["preference_exists"]);
        let by: String = s
            .conn()
            .query_row("SELECT recorded_by FROM update_preferences WHERE id = 'p-1'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(by, "demo-officer");
        let c = casework_of(&pulled(&s, &sup), inc).expect("the supervisor gets the casework");
        assert_eq!(c.told.len(), 1, "{c:?}");
        assert_eq!(c.told[0].told_on.as_deref(), Some(day(0).as_str()));
        assert_eq!(c.update_preferences.len(), 1, "{c:?}");
        assert_eq!(
            (c.update_preferences[0].nominal_id.as_str(), c.update_preferences[0].wants.as_str()),
            (victim.as_str(), "key_decisions_only")
        );
        let back = casework_of(&pulled(&s, &laptop), inc);
        assert!(back.is_none_or(|c| c.update_preferences.is_empty()));
    }

    /// Pages end by size as well as count: casework with large forms would otherwise make one
    /// page larger than the device reads, and the pull could never pass it.
    #[test]
    fn a_pull_page_ends_by_size_and_the_next_page_carries_on() {
        let (_d, s) = storage();
        let laptop = session(&s);
        let big = "x".repeat(900 * 1024);
        let mut seq = 0;
        let mut incidents = Vec::new();
        for c in pulled(&s, &laptop) {
            if let Change::Upsert { record_type: RecordType::Incident, id, .. } = c {
                incidents.push(id);
            }
        }
        assert!(incidents.len() >= 3, "{incidents:?}");
        for inc in &incidents[..3] {
            for k in 0..10 {
                seq += 1;
                let m = PushMutation {
                    seq,
                    mutation_id: format!("m-{seq}"),
                    name: "form.submit/1".into(),
                    payload: json!({ "form": { "id": format!("f-{inc}-{k}"), "incident_id": inc, "pack_id": "dash-2009",
                        "answers": {"q1": big} } }),
                    base_version: None,
                };
                assert_eq!(done(s.push(&laptop, &[m], 3).unwrap()).1, vec![]);
            }
        }
        // Three incidents' casework of about 9 MiB each: no page can hold two of them. The
        // officer's other device pulls it (a device is not sent its own work).
        s.bind_and_issue_token("demo-officer", "client-2", "d", "h2", i64::MAX, 1, true).unwrap();
        let desk = s.session("h2", 2).unwrap().unwrap();
        let scope = Scope::of(&desk);
        let (mut after, mut pages, mut casework, mut largest) = (0, 0, Vec::new(), 0usize);
        loop {
            let page = s.pull_page(&desk, &scope, after, 5000, None).unwrap();
            pages += 1;
            largest = largest.max(serde_json::to_vec(&page.changes).unwrap().len());
            for c in &page.changes {
                if let Change::Upsert { record_type: RecordType::Casework, id, .. } = c {
                    casework.push(id.clone());
                }
            }
            assert!(page.last_version > after || !page.has_more, "each page moves on");
            after = page.last_version;
            if !page.has_more {
                break;
            }
            assert!(pages < 10);
        }
        assert!(pages >= 3, "split by size: {pages} page(s), casework {casework:?}, largest {largest}");
        assert!(largest < bluelamp_protocol::wire::PULL_PAGE_BYTES + 8 * 1024 * 1024, "{largest}");
        for inc in &incidents[..3] {
            assert_eq!(casework.iter().filter(|c| *c == inc).count(), 1, "{inc} once, none skipped: {casework:?}");
        }
    }

    /// The start-up back-fill of change-log entries (for databases from before the log) must
    /// not publish a person held as a possible duplicate: it has version 0 too.
    #[test]
    fn a_held_person_stays_held_when_the_service_restarts() {
        let (_dir, path, s) = storage_at(20);
        let sess = session(&s);
        let p = first_person(&s);
        let m = create(1, "p-1", &p.given_name, &p.surname, p.date_of_birth.as_deref());
        let (_, rej, dups) = done(s.push(&sess, std::slice::from_ref(&m), 3).unwrap());
        assert!(rej.is_empty() && dups.len() == 1, "{rej:?} {dups:?}");
        drop(s);
        let s = SqliteStorage::open(&path).unwrap();
        assert!(
            !pulled(&s, &sess).iter().any(|c| matches!(c, Change::Upsert { id, .. } if id == "p-1")),
            "a held person is in nobody's pull, after a restart too"
        );
        let (status, version): (String, i64) = s
            .conn()
            .query_row("SELECT status, version FROM nominals WHERE id = 'p-1'", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!((status.as_str(), version), ("provisional", 0));
        // Resolving it still works.
        let (_, rej, _) = done(s.push(&sess, &[resolve(2, "p-1", "new", None)], 4).unwrap());
        assert!(rej.is_empty(), "{rej:?}");
        assert!(pulled(&s, &sess).iter().any(|c| matches!(c, Change::Upsert { id, .. } if id == "p-1")));
    }

    #[test]
    fn linking_adds_the_provisional_name_as_an_alias_and_new_makes_it_a_person() {
        let (_d, s) = storage();
        let sess = session(&s);
        let p = first_person(&s);
        // The same person under a slightly different spelling of the given name.
        let mut given = p.given_name.clone();
        given.push('e');
        let (_, _, dups) =
            done(s.push(&sess, &[create(1, "p-1", &given, &p.surname, p.date_of_birth.as_deref())], 3).unwrap());
        assert_eq!(dups.len(), 1, "{given} {} should match {p:?}", p.surname);
        done(s.push(&sess, &[resolve(2, "p-1", "link", Some(&p.id))], 4).unwrap());
        let target = s
            .conn()
            .query_row(&format!("SELECT {NOMINAL_COLUMNS} FROM nominals WHERE id = ?1"), [&p.id], nominal_of)
            .unwrap();
        assert!(target.aliases.contains(&format!("{given} {}", p.surname)), "{target:?}");
        // Another one: confirmed as a new person, then it is active, pulled and matchable.
        let (_, _, dups) =
            done(s.push(&sess, &[create(3, "p-2", &p.given_name, &p.surname, p.date_of_birth.as_deref())], 5).unwrap());
        assert_eq!(dups.len(), 1);
        done(s.push(&sess, &[resolve(4, "p-2", "new", None)], 6).unwrap());
        assert!(pulled(&s, &sess).iter().any(|c| matches!(c, Change::Upsert { id, .. } if id == "p-2")));
        let (_, _, dups) =
            done(s.push(&sess, &[create(5, "p-3", &p.given_name, &p.surname, p.date_of_birth.as_deref())], 7).unwrap());
        let ids: Vec<&str> = dups[0].candidates.iter().map(|c| c.nominal.id.as_str()).collect();
        assert!(ids.contains(&"p-2") && ids.contains(&p.id.as_str()), "{ids:?}");
        assert!(!ids.contains(&"p-1"), "a merged record is never offered");
    }

    #[test]
    fn versions_are_monotonic_and_moves_leave_tombstones() {
        let (_d, s) = storage();
        let conn = s.conn();
        let max: i64 = conn.query_row("SELECT max(version) FROM changes", [], |r| r.get(0)).unwrap();
        let head: i64 = conn.query_row("SELECT value FROM meta WHERE key = 'version'", [], |r| r.get(0)).unwrap();
        assert_eq!(max, head);
        drop(conn);
        assert!(s.reassign_incident("demo-incident-1", "someone-else").unwrap());
        let conn = s.conn();
        let ops: Vec<(String, String)> = conn
            .prepare("SELECT scope, op FROM changes WHERE record_id = 'demo-incident-1' ORDER BY version")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            ops,
            vec![
                ("officer:demo-officer".to_string(), "tombstone".to_string()),
                ("officer:someone-else".to_string(), "upsert".to_string()),
                // Still in its district: its supervisors keep it.
                (format!("incidents:{DEMO_DISTRICT}"), "upsert".to_string()),
            ]
        );
    }

    /// A lock queued before orders recorded their delivery, followed by a request from its
    /// device, was sent: the officer's sign-in lifts it (it stayed, and the next round locked the
    /// device again). One never followed by a request is kept for the next round.
    #[test]
    fn locks_from_before_delivery_was_recorded_are_marked_sent_when_their_device_called_since() {
        let (d, s) = storage();
        s.bind_and_issue_token("demo-officer", "c-seen", "test", "h1", i64::MAX, 100, true).unwrap();
        s.bind_and_issue_token("demo-officer", "c-quiet", "test", "h2", i64::MAX, 100, true).unwrap();
        {
            let conn = s.conn();
            conn.execute_batch(
                "ALTER TABLE instructions DROP COLUMN delivered_at;
                 INSERT INTO instructions (client_id, kind, created_at) VALUES ('c-seen', 'lock', 50);
                 INSERT INTO instructions (client_id, kind, created_at) VALUES ('c-quiet', 'lock', 150);",
            )
            .unwrap();
        }
        drop(s);
        let s = SqliteStorage::open(&d.path().join("c.db")).unwrap();
        let sent: Vec<(String, Option<i64>)> = s
            .conn()
            .prepare("SELECT client_id, delivered_at FROM instructions ORDER BY client_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(sent, vec![("c-quiet".to_string(), None), ("c-seen".to_string(), Some(100))]);
    }

    /// A database from before supervisors pulled their district's incidents gets one district
    /// entry per incident (and per incident with casework) when opened, so a supervisor's pull
    /// brings the incidents and forms already held.
    #[test]
    fn a_database_from_before_logs_its_incidents_for_supervisors() {
        let (d, s) = storage();
        let sess = session(&s);
        let submit = PushMutation {
            seq: 1,
            mutation_id: "m1".into(),
            name: "form.submit/1".into(),
            payload: json!({ "form": { "id": "f1", "incident_id": "demo-incident-2", "pack_id": "dash", "answers": {} } }),
            base_version: None,
        };
        assert!(matches!(s.push(&sess, &[submit], 3).unwrap(), PushOutcome::Done { .. }));
        {
            let conn = s.conn();
            conn.execute_batch(
                "DELETE FROM changes WHERE scope LIKE 'incidents:%';
                 DELETE FROM meta WHERE key = 'district_incidents_logged';",
            )
            .unwrap();
        }
        drop(s);
        let s = SqliteStorage::open(&d.path().join("c.db")).unwrap();
        s.bind_and_issue_token("demo-supervisor", "station", "test", "hs", i64::MAX, 1, true).unwrap();
        let sup = s.session("hs", 2).unwrap().unwrap();
        let scope = Scope::of(&sup);
        assert!(scope.supervises);
        let changes = s.pull_page(&sup, &scope, 0, 5000, None).unwrap().changes;
        let ids = |t: RecordType| -> Vec<String> {
            let mut v: Vec<String> = changes
                .iter()
                .filter_map(|c| match c {
                    Change::Upsert { record_type, id, .. } if *record_type == t => Some(id.clone()),
                    _ => None,
                })
                .collect();
            v.sort();
            v
        };
        let all: Vec<String> = (1..=DEMO_INCIDENTS).map(|i| format!("demo-incident-{i}")).collect();
        let mut all_sorted = all.clone();
        all_sorted.sort();
        assert_eq!(ids(RecordType::Incident), all_sorted);
        assert_eq!(ids(RecordType::Casework), vec!["demo-incident-2".to_string()]);
        // Reopening again adds nothing.
        let head = s.stats().unwrap().changes;
        drop(s);
        let s = SqliteStorage::open(&d.path().join("c.db")).unwrap();
        assert_eq!(s.stats().unwrap().changes, head);
    }
}
