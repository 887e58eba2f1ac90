//! Messages between the client and `bluelamp-central`.

use serde::{Deserialize, Serialize};

/// `GET /v1/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthResponse {
    /// Always `"ok"` when the service answers.
    pub status: String,
    pub schema_version: u32,
    pub service: String,
    pub version: String,
}

// ---------------------------------------------------------------------------------------------
// Sync protocol (issue 7). Every request carries `schema_version`; the server refuses another
// version with `schema_mismatch`. Mutation names are versioned (`form.submit/1`) and a name is
// never reused for a different shape.
// ---------------------------------------------------------------------------------------------

use crate::search::Source;
use crate::session::Role;
use serde_json::Value;

/// Largest push batch the server accepts (mutations per request).
pub const MAX_PUSH_BATCH: usize = 500;
/// Largest pull page the server serves (changes per page).
pub const MAX_PULL_LIMIT: u32 = 5_000;
/// Largest request body the server reads, in bytes.
pub const MAX_REQUEST_BYTES: usize = 8 * 1024 * 1024;
/// A push batch ends once its payloads pass this many bytes (always at least one entry): a
/// form may hold up to a megabyte of answers, so a batch counted in entries alone could pass
/// [`MAX_REQUEST_BYTES`], be refused every time, and hold the outbox for good. Kept small
/// enough to upload within the request timeout (30 s) on a slow mobile link.
pub const PUSH_BATCH_BYTES: usize = 1024 * 1024;
/// A pull page ends once its records reach about this many bytes of JSON (always at least one
/// change; the page may pass it by its last record): casework with large forms would otherwise
/// make a page of [`MAX_PULL_LIMIT`] changes larger than the device reads, and the pull could
/// never pass it. 5 000 nominals are about 1.5 MB, so reference-data pages are not cut.
pub const PULL_PAGE_BYTES: usize = 4 * 1024 * 1024;

/// `POST /v1/login`: officer id + passphrase → a bearer token bound to the officer and this
/// client (device). Also used for first enrolment and to clear a local lockout online.
/// The passphrase is wiped from memory when the request is dropped, and never printed by
/// `Debug` (a logged request must not carry it).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub schema_version: u32,
    pub officer_id: String,
    pub passphrase: zeroize::Zeroizing<String>,
    /// The client's id (UUIDv7, generated once per local store).
    pub client_id: String,
    /// Free text naming the device, for the server's audit ("patrol laptop 14"): at most
    /// [`MAX_DEVICE_NAME`] bytes, no control or text-direction characters
    /// ([`is_device_name_char`]; the service refuses others, see [`clean_device_name`]).
    #[serde(default)]
    pub device: String,
    /// The officer typed the passphrase just now (the lock screen's online sign-in, the CLI's
    /// `enrol`): this sign-in lifts a remote `lock` instruction. The sync round's automatic
    /// sign-in with the cached passphrase is not interactive and leaves the lock pending, so
    /// the device still receives it.
    #[serde(default)]
    pub interactive: bool,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("schema_version", &self.schema_version)
            .field("officer_id", &self.officer_id)
            .field("passphrase", &"<redacted>")
            .field("client_id", &self.client_id)
            .field("device", &self.device)
            .field("interactive", &self.interactive)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    pub token: String,
    pub officer_id: String,
    pub role: Role,
    /// The officer's district: the scope of the nominals they pull.
    pub district: String,
    /// RFC 3339 UTC, by the service's clock.
    pub expires_at: String,
    pub client_id: String,
    /// The token's lifetime in seconds from the answer. The device counts it from its own
    /// clock: a device clock hours ahead of the service's would otherwise read a fresh token
    /// as expired and never sync. Absent from services before it (the device then uses
    /// `expires_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_secs: Option<u64>,
}

/// One outbox entry as sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushMutation {
    /// Per-client sequence: 1, 2, 3… with no gaps.
    pub seq: u64,
    /// UUID of the mutation (logs, support, duplicate detection).
    pub mutation_id: String,
    /// Versioned name, e.g. `form.submit/1`.
    pub name: String,
    pub payload: Value,
    /// For edits of shared mutable records: the version the edit was based on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_version: Option<u64>,
}

/// `POST /v1/push`: outbox entries in `seq` order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    pub schema_version: u32,
    pub client_id: String,
    pub mutations: Vec<PushMutation>,
}

/// A permanent business rejection: the server recorded it and moved `last_applied_seq` past it.
/// When a batch is resent (its answer was lost), the server repeats the recorded rejection of
/// every resent seq, so the reason always reaches the officer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub seq: u64,
    pub mutation_id: String,
    /// Stable code, e.g. `duplicate_referral`, `unknown_mutation`, `invalid_payload`.
    pub code: String,
    /// Safe to show to the officer.
    pub message: String,
}

/// A shared record edited on a stale base: stored by the client with base, mine and theirs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictNotice {
    pub seq: u64,
    pub record_type: String,
    pub record_id: String,
    pub base: Value,
    pub mine: Value,
    pub theirs: Value,
    pub server_version: u64,
}

/// A provisional nominal (created offline, `nominal.create/1`) that looks like people the
/// server already holds: the server keeps it provisional (not served to anyone's pull) until
/// the officer answers with `nominal.resolve_duplicate/1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PossibleDuplicate {
    pub seq: u64,
    pub provisional_id: String,
    /// Best first; at most `nominal::MAX_DUPLICATE_CANDIDATES`.
    pub candidates: Vec<DuplicateCandidate>,
}

/// One person the server holds that a provisional nominal may be, with the search score and
/// the reasons it matched (the same ranking as search).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateCandidate {
    #[serde(flatten)]
    pub nominal: WireNominal,
    pub score: f64,
    #[serde(default)]
    pub reasons: Vec<String>,
}

/// Instructions the server gives a device at its next sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Instruction {
    /// Lock the local store now; the officer must sign in online to unlock.
    Lock,
    /// Destroy the local store (lost or stolen device).
    Wipe,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    pub schema_version: u32,
    /// Every seq up to and including this one is applied (or rejected) on the server.
    pub last_applied_seq: u64,
    #[serde(default)]
    pub rejections: Vec<Rejection>,
    #[serde(default)]
    pub conflicts: Vec<ConflictNotice>,
    #[serde(default)]
    pub possible_duplicates: Vec<PossibleDuplicate>,
    #[serde(default)]
    pub instructions: Vec<Instruction>,
}

/// A person record on the wire (the CSV import columns of the search issue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireNominal {
    pub id: String,
    pub given_name: String,
    pub surname: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub date_of_birth: Option<String>,
    #[serde(default)]
    pub sex: Option<String>,
    /// Each as "given surname".
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub postcode: Option<String>,
    pub source: Source,
    /// Phone numbers held for the person, as imported (see `nominal::parse_phones`): the
    /// safe-number check compares a victim's safe number with a linked suspect's. A device's
    /// pull replaces the numbers it holds for the person with these. Left out when there are
    /// none, so peers from before it was added read the record unchanged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<String>,
}

/// Kinds of server-owned record a client pulls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordType {
    Nominal,
    Incident,
    /// The casework the service holds for one incident (id = the incident id): submitted forms,
    /// supervisors' reviews, referral decisions, under-18 answers, investigation events,
    /// victims told of them and victims' update preferences, whoever recorded them.
    /// Data: [`Casework`].
    Casework,
}

/// `RecordType::Casework` data: what was recorded centrally for one incident, on any device.
/// Everything here is immutable once recorded except a form's review status and a referral's
/// status, so a client applies it by inserting what it lacks and taking those statuses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Casework {
    pub incident_id: String,
    #[serde(default)]
    pub forms: Vec<CaseworkForm>,
    #[serde(default)]
    pub reviews: Vec<CaseworkReview>,
    #[serde(default)]
    pub referrals: Vec<crate::casework::ReferralDecisionInfo>,
    /// Officers' answers to "was this victim under 18 at the time of the offence?" for victims
    /// with no date of birth (`victim.under18/1`). Left out when there are none, and defaulted
    /// when absent, so peers from before it was added read and write the record unchanged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub under18_answers: Vec<crate::victims::Under18Answer>,
    /// Key investigation events (Right 6: `investigation.event/1`). Left out when there are
    /// none, defaulted when absent (peers from before it was added).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<crate::victims::InvestigationEventInfo>,
    /// Victims told about those events (`victim.updated/1`). Left out when there are none,
    /// defaulted when absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub told: Vec<crate::victims::VictimToldInfo>,
    /// Victims' update preferences (`victim.update_preference/1`). Left out when there are none,
    /// defaulted when absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub update_preferences: Vec<crate::victims::UpdatePreferenceInfo>,
}

/// A submitted form as the service holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseworkForm {
    pub id: String,
    pub pack_id: String,
    #[serde(default)]
    pub pack_version: Option<String>,
    /// `submitted`, `approved` or `returned`.
    pub status: String,
    pub answers: Value,
    #[serde(default)]
    pub officer_grade: Option<String>,
    #[serde(default)]
    pub rationale: Option<String>,
    #[serde(default)]
    pub amends_id: Option<String>,
    /// The officer whose session pushed it.
    pub submitted_by: String,
    /// RFC 3339, as the device recorded it.
    #[serde(default)]
    pub submitted_at: Option<String>,
}

/// A supervisor's review of a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseworkReview {
    /// Stable per review on the service.
    pub id: String,
    pub form_id: String,
    pub reviewer: String,
    /// `approve` or `return`.
    pub decision: String,
    #[serde(default)]
    pub comments: Option<String>,
    #[serde(default)]
    pub reviewed_at: Option<String>,
}

/// One change in a pull page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
    Upsert {
        record_type: RecordType,
        id: String,
        version: u64,
        data: Value,
    },
    /// Deleted on the server, or no longer in this client's scope.
    Tombstone {
        record_type: RecordType,
        id: String,
        version: u64,
    },
}

/// `POST /v1/pull`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    pub schema_version: u32,
    pub client_id: String,
    /// Opaque; `None` for a first sync.
    #[serde(default)]
    pub cursor: Option<String>,
    pub limit: u32,
}

/// Why a pull restarts from scratch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResetReason {
    CursorTooOld,
    ScopeChanged,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    pub schema_version: u32,
    pub changes: Vec<Change>,
    /// Store it with the applied changes, in one transaction.
    pub next_cursor: String,
    pub has_more: bool,
    /// The server's last applied seq for this client (read-your-writes).
    pub last_applied_seq: u64,
    /// Changes still to come after this page, for a progress bar.
    #[serde(default)]
    pub remaining: u64,
    /// Set when the client must drop its server-owned cache and pull from the start (it pushes
    /// first, and never touches drafts, the outbox or the access log).
    #[serde(default)]
    pub reset: Option<ResetReason>,
    #[serde(default)]
    pub instructions: Vec<Instruction>,
}

/// Longest device name a sign-in may give, in bytes.
pub const MAX_DEVICE_NAME: usize = 200;

/// Whether `c` may appear in a device name: not a control character (newline, tab, the ESC of
/// a terminal escape sequence) nor a text-direction control (embeddings, overrides, isolates,
/// directional marks), which would forge or reorder the rows of the service's device list.
/// Letters of any script are fine.
pub fn is_device_name_char(c: char) -> bool {
    !(c.is_control()
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
}

/// A device name the service accepts made from any text (a host name, say): the characters
/// [`is_device_name_char`] refuses dropped, trimmed, cut to [`MAX_DEVICE_NAME`] bytes on a
/// character boundary.
pub fn clean_device_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars().filter(|c| is_device_name_char(*c)) {
        if out.len() + c.len_utf8() > MAX_DEVICE_NAME {
            break;
        }
        out.push(c);
    }
    out.trim_end().to_string()
}

/// Stable error codes of the wire API (the body of every 4xx/5xx).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WireErrorCode {
    BadRequest,
    Unauthorized,
    Forbidden,
    SchemaMismatch,
    /// A push skipped a seq: the client must resend from `last_applied_seq + 1`.
    SeqGap,
    /// A push sent a seq the server already holds for another mutation (the device's store
    /// was restored from an older copy): nothing was applied; the client renumbers its
    /// unacknowledged writes from `last_applied_seq + 1` and pushes again.
    SeqReused,
    TooLarge,
    NotFound,
    /// `POST /v1/audit`: the entries sent do not chain onto the head the server holds (or an
    /// entry's hash is wrong, or a resent entry differs from the one held). Nothing was stored.
    AuditChainBroken,
    /// `POST /v1/audit` (403): an entry's `device_id` is not the client id the token was issued
    /// to (entries are bound to the device that pushes them). Nothing was stored.
    AuditWrongDevice,
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireError {
    pub code: WireErrorCode,
    pub message: String,
    /// For `seq_gap` and `seq_reused`: what the server holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_applied_seq: Option<u64>,
}

/// One access-log entry as pushed (`POST /v1/audit`): the stored fields, byte for byte, so the
/// server recomputes the same canonical bytes and hash (format in the store's `audit` module).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireAuditEntry {
    pub seq: u64,
    pub id: String,
    pub ts: String,
    pub officer_id: String,
    pub device_id: String,
    pub action: String,
    pub object_ref: String,
    #[serde(default)]
    pub purpose: Option<String>,
    pub outcome: String,
    /// The detail JSON exactly as stored (text, not re-serialised).
    pub detail: String,
    pub prev_hash: String,
    pub entry_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPushRequest {
    pub schema_version: u32,
    pub client_id: String,
    pub entries: Vec<WireAuditEntry>,
}

/// The head of the chain the server holds for this client after verifying what was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPushResponse {
    pub schema_version: u32,
    pub head_seq: u64,
    pub head_hash: String,
}

#[cfg(test)]
mod tests {
    use super::LoginRequest;

    /// A host name the service would refuse as a device name is cleaned, not sent as is (the
    /// CLI's sign-in would fail for good).
    #[test]
    fn a_device_name_is_cleaned_of_control_characters_and_cut_to_length() {
        use super::{clean_device_name, is_device_name_char, MAX_DEVICE_NAME};
        assert_eq!(clean_device_name(" pc\n\u{1b}[31m-7\u{202e} "), "pc[31m-7");
        assert_eq!(clean_device_name("Łukasz — 東京"), "Łukasz — 東京");
        let long = clean_device_name(&"é".repeat(150));
        assert!(long.len() <= MAX_DEVICE_NAME && long.chars().all(|c| c == 'é'), "{long}");
        assert!(is_device_name_char('東') && !is_device_name_char('\t') && !is_device_name_char('\u{2066}'));
    }

    /// A sign-in request printed for a log or a panic shows no passphrase; on the wire it is the
    /// same JSON as before (a plain string).
    #[test]
    fn a_login_request_never_prints_its_passphrase() {
        let req = LoginRequest {
            schema_version: crate::SCHEMA_VERSION,
            officer_id: "pc1".into(),
            passphrase: zeroize::Zeroizing::new("correct horse battery staple".into()),
            client_id: "c1".into(),
            device: "laptop".into(),
            interactive: true,
        };
        let shown = format!("{req:?}");
        assert!(!shown.contains("horse") && shown.contains("<redacted>") && shown.contains("pc1"), "{shown}");
        let json = serde_json::to_value(&req).unwrap();
        assert_eq!(json["passphrase"], "correct horse battery staple");
        let back: LoginRequest = serde_json::from_value(json).unwrap();
        assert_eq!(back, req);
    }

    /// `phones` on a nominal interoperates both ways with peers from before it: a record
    /// without it reads as no numbers, a record with none is written without it (as before),
    /// and a record with numbers still reads as the old shape (the field is ignored there).
    #[test]
    fn a_nominal_without_phones_still_reads_and_old_peers_read_one_with_them() {
        use super::{DuplicateCandidate, WireNominal};
        let old = serde_json::json!({
            "id": "n1", "given_name": "Ann", "surname": "Lee", "date_of_birth": "1980-02-03",
            "aliases": [], "source": "current"
        });
        let n: WireNominal = serde_json::from_value(old.clone()).unwrap();
        assert!(n.phones.is_empty());
        assert_eq!(n.date_of_birth.as_deref(), Some("1980-02-03"));
        let again = serde_json::to_value(&n).unwrap();
        assert!(again.get("phones").is_none(), "no numbers, no field: {again}");
        let with = WireNominal { phones: vec!["07700 900123".into(), "0161 496 0000".into()], ..n.clone() };
        let json = serde_json::to_value(&with).unwrap();
        assert_eq!(json["phones"], serde_json::json!(["07700 900123", "0161 496 0000"]));
        assert_eq!(serde_json::from_value::<WireNominal>(json.clone()).unwrap(), with);
        // The shape peers from before `phones` have (no unknown-field refusal).
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct OldWireNominal {
            id: String,
            given_name: String,
            surname: String,
            #[serde(default)]
            aliases: Vec<String>,
            source: crate::Source,
        }
        let o: OldWireNominal = serde_json::from_value(json).unwrap();
        assert_eq!(o.id, "n1");
        // A duplicate candidate (the nominal flattened into it) without phones reads too.
        let mut cand = old;
        cand["score"] = serde_json::json!(0.9);
        let c: DuplicateCandidate = serde_json::from_value(cand).unwrap();
        assert!(c.nominal.phones.is_empty());
    }
}
