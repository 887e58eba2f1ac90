//! The storage interface of the service. HTTP handlers only talk to a [`Storage`]; the SQLite
//! implementation ([`crate::db::SqliteStorage`]) is the default and nothing here is SQLite
//! specific, so a PostgreSQL implementation can follow (the pull cursor is an opaque string
//! built from a global change version, see [`crate::cursor`]).
//!
//! Every method is synchronous and may block: the HTTP layer calls them inside
//! `tokio::task::spawn_blocking`, never on a runtime thread.

use bluelamp_protocol::session::{Permission, Role};
use bluelamp_protocol::wire::{
    AuditPushResponse, Change, ConflictNotice, Instruction, PossibleDuplicate, PushMutation, Rejection, WireAuditEntry,
    WireNominal,
};

/// Errors of a storage call. Business outcomes (rejections, gaps, chain breaks) are values, not
/// errors: an error here is a 500 for the client, who retries.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("{0}")]
    Invalid(String),
    #[error("officer {0} already exists")]
    OfficerExists(String),
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
}

pub type StorageResult<T> = Result<T, StorageError>;

/// An officer as stored (with the passphrase hash, which never leaves the service).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Officer {
    pub id: String,
    pub role: Role,
    pub district: String,
    pub display_name: String,
    /// PHC string (`$argon2id$v=19$…`); empty when the officer cannot sign in.
    pub pass_hash: String,
}

/// A device (client id) as the service knows it: bound to an officer at its first sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    pub client_id: String,
    pub officer_id: String,
    /// The device name it gave at its last sign-in.
    pub device: String,
    /// Unix seconds.
    pub first_seen: i64,
    pub last_seen: i64,
}

/// The holder of a valid bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub officer_id: String,
    pub role: Role,
    pub district: String,
    pub client_id: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// What an officer pulls: the keys of the change log they may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub district: String,
    pub officer_id: String,
    /// A supervisor (or superuser) also pulls every incident of their district, with its
    /// casework, so the supervisor queue shows the district's outstanding work and the forms
    /// awaiting review whichever device they were written on.
    pub supervises: bool,
    /// The role does records work (`Permission::RecordsWork`). An admin's role does not: their
    /// pull serves no records (lock and wipe orders still arrive).
    pub records: bool,
}

impl Scope {
    pub fn of(s: &Session) -> Scope {
        Scope {
            district: s.district.clone(),
            officer_id: s.officer_id.clone(),
            supervises: s.role.allows(Permission::Supervise),
            records: s.role.allows(Permission::RecordsWork),
        }
    }

    /// The change-log scope keys: nominals by district, incidents by assignee, and for a
    /// supervisor the district's incidents.
    pub fn keys(&self) -> Vec<String> {
        if !self.records {
            return Vec::new();
        }
        let mut keys = vec![district_key(&self.district), officer_key(&self.officer_id)];
        if self.supervises {
            keys.push(district_incidents_key(&self.district));
        }
        keys
    }
}

pub fn district_key(d: &str) -> String {
    format!("district:{d}")
}

/// Every incident of a district, and its casework (what its supervisors pull).
pub fn district_incidents_key(d: &str) -> String {
    format!("incidents:{d}")
}

pub fn officer_key(o: &str) -> String {
    format!("officer:{o}")
}

/// Outcome of a login attempt's binding step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindOutcome {
    Bound,
    /// The client id is already bound to another officer.
    ClientTaken,
}

/// Outcome of a push batch.
#[derive(Debug, Clone, PartialEq)]
pub enum PushOutcome {
    Done {
        last_applied_seq: u64,
        rejections: Vec<Rejection>,
        conflicts: Vec<ConflictNotice>,
        possible_duplicates: Vec<PossibleDuplicate>,
        instructions: Vec<Instruction>,
    },
    /// A seq after `last_applied_seq + 1` arrived: the whole batch was rolled back.
    Gap { last_applied_seq: u64 },
    /// `seq` is at or below `last_applied_seq` but is another mutation than the one held for
    /// it: the whole batch was rolled back.
    SeqReused { seq: u64, last_applied_seq: u64 },
    /// The officer's role does not allow records work (every change is): nothing applied.
    Forbidden(String),
}

/// One page of the change log, read in one snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub changes: Vec<Change>,
    /// Version of the last change in `changes` (or the `after` asked for when empty).
    pub last_version: u64,
    pub has_more: bool,
    /// Changes in scope after `last_version`.
    pub remaining: u64,
    /// Latest version in the whole log.
    pub head: u64,
    /// Tombstones at or below this version may have been compacted away.
    pub horizon: u64,
    pub last_applied_seq: u64,
    pub instructions: Vec<Instruction>,
}

/// Outcome of an audit push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditOutcome {
    Stored(AuditPushResponse),
    /// The first new entry is not `head_seq + 1`.
    Gap {
        head_seq: u64,
    },
    /// The chain does not verify; nothing stored.
    Broken {
        seq: u64,
        reason: String,
    },
    /// Entry `seq` names another device than the client the token was issued to; nothing
    /// stored.
    WrongDevice {
        seq: u64,
    },
}

/// An incident recorded elsewhere (a demo device's synthetic incidents, or a force's import).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportIncident {
    pub id: String,
    pub reference: String,
    pub incident_type: String,
    pub offence_category: Option<String>,
    pub place: Option<String>,
    pub postcode: Option<String>,
    pub team: Option<String>,
    /// Unix seconds.
    pub occurred_at: i64,
    pub recorded_at: i64,
    pub assigned_to: String,
    pub district: String,
    pub closing_code: Option<String>,
    /// `(nominal id, role)`.
    pub links: Vec<(String, String)>,
}

/// One nominal to import, with its district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportNominal {
    pub nominal: WireNominal,
    pub district: String,
    /// Warning markers: `None` leaves what the service holds (the CSV had no `markers` column),
    /// `Some` replaces it (`Some(vec![])` clears).
    pub markers: Option<Vec<bluelamp_protocol::nominal::WireMarker>>,
    /// `true` (the CSV had no `phones` column): the service keeps the phone numbers it holds
    /// and `nominal.phones` is not read; `false`: `nominal.phones` replaces them (empty clears).
    pub keep_phones: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    /// New records.
    pub inserted: u64,
    /// Existing records whose content or district changed.
    pub updated: u64,
    /// Existing records already identical.
    pub unchanged: u64,
}

/// Counts per record type (`bluelamp-central stats --json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    pub officers: u64,
    pub clients: u64,
    pub nominals: u64,
    pub incidents: u64,
    pub forms: u64,
    pub form_reviews: u64,
    pub referrals: u64,
    pub mutations_applied: u64,
    pub rejections: u64,
    pub conflicts: u64,
    pub audit_entries: u64,
    pub changes: u64,
    /// The last change version issued (what `compact --up-to` is measured against; a run's
    /// versions start at the clock in microseconds, so this is not a count).
    pub head_version: u64,
    /// `count(*) - count(distinct mutation_id)` of the applied log.
    pub duplicate_mutation_applications: u64,
    /// Same for the form ids of applied `form.submit/1`.
    pub duplicate_form_applications: u64,
    /// The sum of the two above. Must be 0.
    pub duplicate_applications: u64,
}

impl Stats {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// The service's persistent state.
pub trait Storage: Send + Sync + 'static {
    fn find_officer(&self, id: &str) -> StorageResult<Option<Officer>>;
    /// Adds an officer; [`StorageError::OfficerExists`] if the id is taken.
    fn add_officer(&self, officer: &Officer) -> StorageResult<()>;
    /// Binds `client_id` to the officer (first use) and stores the token (its SHA-256 only).
    /// An interactive sign-in (`clears_lock`: the officer typed the passphrase) clears pending
    /// `lock` instructions of that client; an automatic one leaves them to be delivered.
    #[allow(clippy::too_many_arguments)]
    fn bind_and_issue_token(
        &self,
        officer_id: &str,
        client_id: &str,
        device: &str,
        token_hash: &str,
        expires_at: i64,
        now: i64,
        clears_lock: bool,
    ) -> StorageResult<BindOutcome>;
    /// The session of an unexpired token.
    fn session(&self, token_hash: &str, now: i64) -> StorageResult<Option<Session>>;
    /// Applies a batch (one transaction), see `crate::db` for the rules.
    fn push(&self, session: &Session, mutations: &[PushMutation], now: i64) -> StorageResult<PushOutcome>;
    /// Changes in `scope` after version `after`, at most `limit`.
    /// A page after `after`. `remaining_hint`: what was left when the client's cursor was issued;
    /// with it the storage need not count the rest of the scope (see `cursor.rs`).
    fn pull_page(
        &self,
        session: &Session,
        scope: &Scope,
        after: u64,
        limit: u32,
        remaining_hint: Option<u64>,
    ) -> StorageResult<Page>;
    /// Verifies `entries` onto the chain held for the client and stores them (one transaction).
    fn audit_push(&self, session: &Session, entries: &[WireAuditEntry], now: i64) -> StorageResult<AuditOutcome>;
    fn import_nominals(&self, rows: &[ImportNominal]) -> StorageResult<ImportSummary>;
    /// Queues an instruction for a client's next push or pull.
    /// Queues `instruction` for a client that has signed in here; `false` (nothing queued) for
    /// a client id the service does not know.
    fn instruct(&self, client_id: &str, instruction: Instruction, now: i64) -> StorageResult<bool>;
    /// The devices that have signed in, most recently seen first.
    fn clients(&self) -> StorageResult<Vec<ClientInfo>>;
    /// Deletes tombstones at or below `version`; cursors older than that then get a reset.
    fn compact(&self, version: u64) -> StorageResult<u64>;
    /// The id of the service run that issued `version` (see `crate::cursor`); `None` for 0.
    fn run_at(&self, version: u64) -> StorageResult<Option<String>>;
    fn stats(&self) -> StorageResult<Stats>;
    /// Demo officers, district, synthetic nominals and (with `incidents`) incidents, each only
    /// if not there yet.
    fn seed_demo(&self, nominals: usize, cost: crate::auth::HashCost, incidents: bool) -> StorageResult<()>;
    /// Adds an incident unless its id or reference is already held; `true` if added. The
    /// assignee pulls it like any other assigned incident.
    fn import_incident(&self, incident: &ImportIncident) -> StorageResult<bool>;
    /// Assigns an incident to another officer (the old assignee pulls a tombstone).
    fn reassign_incident(&self, incident_id: &str, officer_id: &str) -> StorageResult<bool>;
    /// Moves an officer to another district (their next pull is a reset).
    fn set_officer_district(&self, officer_id: &str, district: &str) -> StorageResult<bool>;
    /// Changes an officer's role and ends their sign-in tokens, so that each of their devices
    /// signs in again at its next round and stores the new role. `false`: no such officer.
    fn set_officer_role(&self, officer_id: &str, role: Role) -> StorageResult<bool>;
    /// Replaces an officer's passphrase hash and revokes their tokens; false if there is no such
    /// officer.
    fn set_officer_pass_hash(&self, officer_id: &str, pass_hash: &str) -> StorageResult<bool>;
}
