//! Casework (issue 5, and the referral decision of issue 6): incidents, safeguarding forms with
//! autosaved drafts, submission with generated tasks, supervisor review, Victims' Code referral
//! decisions, the closing-code gate and the supervisor queue.
//!
//! The rules live in the pure `bluelamp-forms` crate (the same code the frontend runs); this
//! module reads the incident's real state from the store, asks the engine, and writes the result.
//! The built-in packs, closing codes and safeguarding config (`assets/`) are used.
//!
//! ## What is written, and how
//!
//! | call | transaction | outbox | access log |
//! |---|---|---|---|
//! | [`Store::import_incidents`], [`Store::seed_demo_incidents`] | one, system import (like nominals) | — | — |
//! | [`Store::start_form`], [`Store::amend_form`] | `user_write` | — (drafts stay local) | `collection` of `form:<id>` (resuming a draft writes nothing: the app logs its view as a `consultation`) |
//! | [`Store::save_draft`] | one `UPDATE` (autosave) | — | — (see below) |
//! | [`Store::submit_form`] | `user_write`: form + tasks | `form.submit/1` (the whole form, suggestion, tasks) | `collection` of `form:<id>` |
//! | [`Store::review_form`] | `user_write`: status + review row | `form.review/1` | `alteration` of `form:<id>` |
//! | [`Store::record_referral_decision`] (in `victims.rs`) | `user_write`: referral (+ follow-up task) | `referral.decision/1` | `collection` of `referral:<id>` |
//! | [`Store::withdraw_referral_decision`] (in `victims.rs`) | `user_write`: status `withdrawn` + withdrawal (a deferral's open follow-up task cancelled) | `referral.withdraw/1` | `alteration` of `referral:<id>` |
//! | [`Store::set_closing_code`] | `user_write` | `incident.closing_code/1` | `alteration` of `incident:<id>` |
//! | [`Store::finalise_incident`] | `user_write`, gate checked inside it | `incident.finalise/1` | `alteration` of `incident:<id>`; a refusal is logged alone (`denied`, with the missing kinds) |
//!
//! **Drafts stay on the device.** A draft is the officer's work in progress: it is not sent to the
//! central service (nothing half-answered leaves the device, and the outbox is not flooded by
//! autosaves). It is created with one access-log entry (`collection`, naming the incident and
//! pack); each autosave is a single small `UPDATE` with no access-log entry (one entry per
//! keystroke would drown the log); the submission logs the final content's collection and sends
//! the whole form. An autosave is durable once it returns (WAL, `synchronous=FULL`), and
//! [`Store::get_form`] gives back the answers and the section to reopen at.
//!
//! **Immutability.** A submitted form never changes (a trigger refuses it): corrections are
//! amendments ([`Store::amend_form`]), new drafts with `amends_id`. This also covers a form the
//! supervisor returned: the officer amends it and submits the amendment. A form superseded by a
//! submitted amendment no longer counts for the gate or the queue.
//!
//! **Victims for the gate.** Linked people with the role `victim` or `bereaved_relative`, and
//! `child` when the incident is domestic abuse (a child who sees or hears it is a victim in their
//! own right, as in `bluelamp-victims`), except a person linked as `deceased`. Each needs an active referral decision (referred,
//! declined or deferred) on the incident.
//!
//! **Gate and queue codes.** Finalising checks the closing code. The queue also applies the code
//! implied by the incident type (`domestic_abuse` → DA, `concern_for_child` → CFAC), so a DA
//! incident closed under another code still shows its missing items to the supervisor. A
//! recorded crime (type or offence category in the Victims' Code rules) with a victim linked is
//! also checked against `CRIME` whatever its code, so every victim gets a referral decision (or a
//! deferral) before it is finalised; only `NFA-DUP` (a duplicate) is exempt ([`closure_missing`]).

use bluelamp_forms::time::civil_from_days;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use bluelamp_forms::{
    build_queue, builtin_closing_codes, builtin_config, builtin_packs, carry_forward, generated_tasks, missing_items,
    review, submit, suggest_grade, Answers, ClosingCodes, FormPack, FormRecord, FormSummary, IncidentHistory,
    MissingItem, MissingKind, NfaDupReason, PackKind, QueueIncident, Requirement, ReviewError, SafeguardingConfig,
    SafeguardingState, Task, TaskKind, ValidationContext, VictimReferralState,
};
use bluelamp_protocol::casework::{
    FormDetail, FormInfo, FormStatus, GateStatus, Grade, IncidentDetail, IncidentStatus, IncidentSummary, LinkedPerson,
    ReferralDecisionInfo, ReferralOutcome, Review, ReviewDecision, RiskSuggestion, SubmitOutcome, Submitted,
    SupervisorQueue, TaskInfo,
};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use crate::{Actor, AuditAction, AuditEvent, AuditOutcome, OutboxMutation, Store, StoreError};

/// Largest answers object accepted by an autosave (bytes of JSON).
pub const MAX_ANSWERS_BYTES: usize = 1_000_000;
/// Longest free text in a referral decision.
pub const MAX_TEXT_CHARS: usize = 4000;
/// Task kind of a deferred referral decision's follow-up.
pub const TASK_REFERRAL_FOLLOW_UP: &str = "referral_follow_up";
/// Answer keys (reserved `_` metadata, ignored by validation) where the wizard may autosave the
/// officer's grade and rationale before submitting.
pub const DRAFT_GRADE_KEY: &str = "_officer_grade";
pub const DRAFT_RATIONALE_KEY: &str = "_rationale";

/// Errors of casework calls. `Display` texts are safe to show to an officer.
#[derive(Debug, thiserror::Error)]
pub enum CaseworkError {
    #[error("There is no {0}.")]
    NotFound(String),
    #[error("Invalid input: {0}")]
    Invalid(String),
    #[error("This form has been submitted and cannot be changed: amend it instead.")]
    NotEditable,
    #[error("The incident is finalised.")]
    Finalised,
    /// `NFA-DUP` chosen with no reason, or a reason that does not hold (`bluelamp_forms::nfa_dup`).
    #[error("{0}")]
    NfaDup(bluelamp_forms::NfaDupRefusal),
    #[error(
        "{victim_id} already has an active referral to {destination} on this incident. If it was recorded in error or \
         is no longer valid, withdraw it first (with the reason)."
    )]
    DuplicateReferral { victim_id: String, destination: String },
    /// A referral decision withdrawn already (the message says when, by whom and why).
    #[error("{0}")]
    AlreadyWithdrawn(String),
    /// The under-18 question answered for someone who is not linked to the incident as a victim.
    #[error("{person} is not linked to incident {incident} as a victim: there is no under-18 question to answer.")]
    NotAVictim { person: String, incident: String },
    /// The under-18 question answered for a victim whose date of birth is recorded: the date of
    /// birth decides.
    #[error("{person} has a date of birth recorded ({dob}): it decides whether they were under 18, not an answer.")]
    DateOfBirthRecorded { person: String, dob: String },
    /// An investigation event of a kind the Victims' Code list does not have.
    #[error("'{0}' is not an investigation event the Victims' Code lists (arrested, charged, released on bail…).")]
    UnknownEventKind(String),
    /// An investigation event's date: not a date, in the future or before the offence.
    #[error("{0}")]
    EventDate(String),
    /// The same event (kind and day) is recorded on the incident already: a second copy would owe
    /// every victim a second update, escalated until told of it separately.
    #[error("{label} on {day} is recorded on incident {incident} already (by {by}).")]
    EventRecorded { label: String, day: String, incident: String, by: String },
    /// A victim told about an event that is not recorded on the incident.
    #[error("There is no investigation event {event} on incident {incident}.")]
    UnknownEvent { event: String, incident: String },
    /// "Told" recorded for someone the Victims' Code does not count as a victim of the incident.
    #[error("{person} is not a victim of incident {incident}: there is no update owed to them.")]
    NotOwedAnUpdate { person: String, incident: String },
    /// The victim was told about this event already.
    #[error("{person} was told about this event already ({at}).")]
    AlreadyTold { person: String, at: String },
    /// The day a victim was told: not a date, in the future or before the event.
    #[error("{0}")]
    ToldOn(String),
    /// An update preference the list does not have.
    #[error("'{0}' is not an update preference (all, key_decisions_only, none).")]
    UnknownUpdatePreference(String),
    /// A "how told" the list does not have.
    #[error("'{0}' is not a way of telling a victim (phone, in_person, letter, email, text, other).")]
    UnknownHow(String),
    #[error("The referral decision was not recorded: {summary}")]
    Rejected {
        summary: String,
        errors: Vec<bluelamp_victims::FieldMessage>,
        warnings: Vec<bluelamp_victims::FieldMessage>,
    },
    #[error("The incident cannot be finalised: {} item(s) missing.", missing.len())]
    Refused { missing: Vec<MissingItem> },
    #[error("{0}")]
    Review(#[from] ReviewError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for CaseworkError {
    fn from(e: rusqlite::Error) -> Self {
        CaseworkError::Store(StoreError::from(e))
    }
}

pub type CwResult<T> = std::result::Result<T, CaseworkError>;

pub(crate) fn invalid(msg: impl Into<String>) -> CaseworkError {
    CaseworkError::Invalid(msg.into())
}

/// The packs, closing codes and config the casework runs on (the built-in ones).
pub struct Catalog {
    pub packs: Vec<FormPack>,
    pub codes: ClosingCodes,
    pub config: SafeguardingConfig,
}

impl Catalog {
    pub fn pack(&self, id: &str) -> Option<&FormPack> {
        self.packs.iter().find(|p| p.id == id)
    }
}

/// The built-in catalog, parsed once.
pub fn catalog() -> CwResult<&'static Catalog> {
    static CATALOG: OnceLock<Result<Catalog, String>> = OnceLock::new();
    CATALOG
        .get_or_init(|| {
            Ok(Catalog {
                packs: builtin_packs().map_err(|e| e.to_string())?,
                codes: builtin_closing_codes().map_err(|e| e.to_string())?,
                config: builtin_config().map_err(|e| e.to_string())?,
            })
        })
        .as_ref()
        .map_err(|e| invalid(format!("the built-in form packs or codes are invalid: {e}")))
}

/// The code an incident type implies, and the codes the closing-code gate checks: the pure
/// rules are `bluelamp_forms`'s, which the central service's gate runs too. (The Victims' Code's
/// own check, `CRIME` for every recorded crime with a victim, is added by [`closure_missing`].)
pub use bluelamp_forms::classification_code;
pub(crate) use bluelamp_forms::gate_codes;

/// `NFA-DUP`: a duplicate, or no incident found (`bluelamp_forms::nfa_dup`).
use bluelamp_forms::is_nfa_dup as is_duplicate_code;

/// The closing code whose requirement is a Victims' Code referral decision for every victim of a
/// recorded crime.
pub(crate) const CRIME_CODE: &str = "CRIME";

/// Whether the incident records a crime: its type or offence category is one of the Victims'
/// Code rules' offence categories (`robbery`, `theft`, `domestic_abuse`…; `concern_for_child`
/// is an incident type, not an offence).
pub(crate) fn records_crime(s: &IncidentSummary) -> CwResult<bool> {
    let rules = &crate::victims::victims_config()?.rules;
    Ok([Some(s.incident_type.as_str()), s.offence_category.as_deref()]
        .into_iter()
        .flatten()
        .any(|c| !c.trim().eq_ignore_ascii_case("concern_for_child") && rules.category(c).is_some()))
}

/// What the closing-code gate finds missing for the incident closed with `chosen`: the items of
/// the [`gate_codes`] and, for a recorded crime with a victim linked, those of `CRIME` (every
/// victim's referral decision, or a deferral, and the notifications the rules require) whatever
/// the code: "Advice" or "ASB" on a robbery used to finalise it with no decision, and the victim
/// then left the awaiting list for good. Only `NFA-DUP` (a duplicate, or no incident found) is
/// exempt. The items `CRIME` adds for a code that does not ask for them say why.
pub(crate) fn closure_missing(
    s: &IncidentSummary,
    chosen: Option<&str>,
    state: &SafeguardingState,
) -> CwResult<Vec<MissingItem>> {
    let codes = &catalog()?.codes;
    let mut selected = gate_codes(&s.incident_type, chosen);
    let asks_decision =
        |c: &str| codes.get(c).is_some_and(|k| k.requires.contains(&Requirement::VictimReferralDecision));
    let add_crime = chosen.is_some_and(|c| !is_duplicate_code(c))
        && !state.victims.is_empty()
        && codes.get(CRIME_CODE).is_some()
        && !selected.iter().any(|c| asks_decision(c))
        && records_crime(s)?;
    if add_crime {
        selected.push(CRIME_CODE);
    }
    let mut missing = missing_items(codes, &selected, state);
    // NFA-DUP with no reason recorded (set before reasons were asked, or left by a conflict's
    // resolution: the one code the gate lets through with nothing must say why), or with one
    // that no longer holds on the original as it is now.
    let nfa_dup_label = match (&s.nfa_dup_reason, &s.nfa_dup_no_longer) {
        _ if !chosen.is_some_and(is_duplicate_code) => None,
        (None, _) => {
            Some("Give the reason for NFA-DUP: the incident this one duplicates, or no incident found in words".into())
        }
        (Some(_), Some(why)) => Some(format!(
            "The reason for NFA-DUP no longer holds: {why} Set the closing code again with another reason, or \
             choose another code"
        )),
        (Some(_), None) => None,
    };
    if let Some(label) = nfa_dup_label {
        missing.push(MissingItem {
            kind: MissingKind::NfaDupReason,
            code: bluelamp_forms::NFA_DUP.into(),
            label,
            form_id: None,
            victim_id: None,
        });
    }
    if add_crime {
        for m in missing.iter_mut().filter(|m| m.code == CRIME_CODE) {
            m.label.push_str(
                " (every victim of a recorded crime needs a Victims' Code referral decision, or a deferral, \
                 whatever the closing code)",
            );
        }
    }
    Ok(missing)
}

// ---- time ----

/// Unix seconds now.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub fn ts(unix: i64) -> String {
    let secs = unix.clamp(-62_135_596_800, 253_402_300_799); // years 1–9999
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Unix seconds of a stored time (RFC 3339, with or without fractions), `None` if unreadable.
pub fn unix_of(s: &str) -> Option<i64> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(s.trim(), &Rfc3339) {
        return Some(t.unix_timestamp());
    }
    bluelamp_forms::time::parse_datetime(s)
}

// ---- incidents ----

/// An incident as imported (demo seed, later sync).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIncident {
    /// UUIDv7 made here when `None`.
    pub id: Option<String>,
    pub reference: String,
    pub incident_type: String,
    pub offence_category: Option<String>,
    pub place: Option<String>,
    pub postcode: Option<String>,
    pub team: Option<String>,
    pub occurred_at: i64,
    pub recorded_at: i64,
    pub assigned_to: Option<String>,
    pub closing_code: Option<String>,
    /// `(nominal id, role)`.
    pub links: Vec<(String, String)>,
}

pub(crate) const LINK_ROLES: [&str; 8] = [
    "victim",
    "suspect",
    "witness",
    "child",
    "reporting_person",
    "bereaved_relative",
    "parent_or_guardian",
    "deceased",
];

pub(crate) fn is_victim(role: &str, da: bool) -> bool {
    matches!(role, "victim" | "bereaved_relative") || (da && role == "child")
}

pub(crate) fn is_da(incident_type: &str, closing_code: Option<&str>) -> bool {
    incident_type == "domestic_abuse" || closing_code.is_some_and(|c| c.eq_ignore_ascii_case("DA"))
}

#[derive(Clone)]
pub(crate) struct IncidentRow {
    pub(crate) summary: IncidentSummary,
    pub(crate) occurred: i64,
    pub(crate) coded_at: Option<String>,
    pub(crate) finalised_at: Option<String>,
}

const INCIDENT_COLUMNS: &str = "id, reference, incident_type, offence_category, place, postcode, team, occurred_at,
     recorded_at, status, closing_code, assigned_to, coded_at, finalised_at, unassigned_at,
     nfa_dup_duplicate_of, nfa_dup_no_incident_found";

fn read_incident(r: &rusqlite::Row<'_>) -> rusqlite::Result<IncidentRow> {
    let occurred_at: String = r.get(7)?;
    let status: String = r.get(9)?;
    Ok(IncidentRow {
        occurred: unix_of(&occurred_at).unwrap_or(0),
        summary: IncidentSummary {
            id: r.get(0)?,
            reference: r.get(1)?,
            incident_type: r.get(2)?,
            offence_category: r.get(3)?,
            place: r.get(4)?,
            postcode: r.get(5)?,
            team: r.get(6)?,
            occurred_at,
            recorded_at: r.get(8)?,
            status: IncidentStatus::parse(&status).unwrap_or(IncidentStatus::Open),
            closing_code: r.get(10)?,
            assigned_to: r.get(11)?,
            links: Vec::new(),
            no_longer_assigned_since: r.get(14)?,
            nfa_dup_reason: {
                let d: Option<String> = r.get(15)?;
                let n: Option<String> = r.get(16)?;
                NfaDupReason::from_fields(d.as_deref(), n.as_deref()).ok().flatten()
            },
            nfa_dup_shown: None,
            nfa_dup_no_longer: None,
        },
        coded_at: r.get(12)?,
        finalised_at: r.get(13)?,
    })
}

/// Incidents (all, or one), with their links.
pub(crate) fn load_incidents(conn: &Connection, only: Option<&str>) -> CwResult<Vec<IncidentRow>> {
    // One incident by primary key, or all of them: the same statement with or without its filter.
    let (incident_filter, link_filter) = match only {
        Some(_) => ("WHERE id = ?1", "WHERE l.incident_id = ?1"),
        None => ("", ""),
    };
    let mut rows: Vec<IncidentRow> = conn
        .prepare_cached(&format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents {incident_filter} ORDER BY occurred_at DESC, reference"
        ))?
        .query_map(rusqlite::params_from_iter(only), read_incident)?
        .collect::<rusqlite::Result<_>>()?;
    let sql = "SELECT l.incident_id, l.nominal_id, l.role, n.given_name, n.surname, n.date_of_birth
               FROM incident_links l LEFT JOIN nominals n ON n.id = l.nominal_id";
    let read = |r: &rusqlite::Row<'_>| -> rusqlite::Result<(String, LinkedPerson)> {
        let given: Option<String> = r.get(3)?;
        let surname: Option<String> = r.get(4)?;
        let name = match (given, surname) {
            (None, None) => None,
            (g, s) => Some(format!("{} {}", g.unwrap_or_default(), s.unwrap_or_default()).trim().to_string()),
        };
        Ok((r.get(0)?, LinkedPerson { nominal_id: r.get(1)?, role: r.get(2)?, name, date_of_birth: r.get(5)? }))
    };
    let links: Vec<(String, LinkedPerson)> = conn
        .prepare_cached(&format!("{sql} {link_filter} ORDER BY l.incident_id, l.role, l.nominal_id"))?
        .query_map(rusqlite::params_from_iter(only), read)?
        .collect::<rusqlite::Result<_>>()?;
    // "Closed as a duplicate of INC-…": the original's reference, when it is held. And whether
    // the reason still holds on the original as it is now: recoded from DA after the duplicate
    // was closed, or closed NFA-DUP itself (two duplicates of each other), a DA incident went
    // past the gate with nothing (review, 7 Dec 2026).
    for r in rows.iter_mut() {
        if let Some(reason) = &r.summary.nfa_dup_reason {
            let original: Option<(String, String, Option<String>)> = match reason {
                NfaDupReason::DuplicateOf(id) => conn
                    .prepare_cached("SELECT reference, incident_type, closing_code FROM incidents WHERE id = ?1")?
                    .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()?,
                NfaDupReason::NoIncidentFound(_) => None,
            };
            r.summary.nfa_dup_shown = Some(reason.shown(original.as_ref().map(|o| o.0.as_str())));
            if let (NfaDupReason::DuplicateOf(id), Some((_, t, c))) = (reason, &original) {
                let this = bluelamp_forms::DupIncident {
                    id: &r.summary.id,
                    incident_type: &r.summary.incident_type,
                    closing_code: None,
                };
                let held = bluelamp_forms::DupIncident { id, incident_type: t, closing_code: c.as_deref() };
                r.summary.nfa_dup_no_longer = bluelamp_forms::check_nfa_dup(
                    Some(bluelamp_forms::NFA_DUP),
                    &this,
                    Some(reason),
                    Some(&held),
                    true,
                )
                .err()
                .map(|e| e.to_string());
            }
        }
    }
    let index: HashMap<String, usize> = rows.iter().enumerate().map(|(i, r)| (r.summary.id.clone(), i)).collect();
    for (inc, link) in links {
        if let Some(&i) = index.get(&inc) {
            rows[i].summary.links.push(link);
        }
    }
    Ok(rows)
}

/// An id as a refusal shows it: control characters (a terminal's escape sequences) written out
/// and cut to 60 characters (an id typed or pasted at the CLI is echoed back).
fn shown_id(id: &str) -> String {
    bluelamp_protocol::dates::shown(id, 60)
}

pub(crate) fn incident_row(conn: &Connection, id: &str) -> CwResult<IncidentRow> {
    load_incidents(conn, Some(id))?.pop().ok_or_else(|| CaseworkError::NotFound(format!("incident {}", shown_id(id))))
}

// ---- forms ----

struct FormRow {
    info: FormInfo,
    answers: Answers,
    /// Revision of the last autosave (`Store::save_draft_revision`).
    draft_rev: u64,
}

const FORM_COLUMNS: &str = "id, incident_id, pack_id, CAST(pack_version AS TEXT), status, answers, current_section,
     officer_grade, rationale, amends_id, created_by, created_at, updated_at, submitted_at, draft_rev";

fn parse_status(s: &str) -> FormStatus {
    match s {
        "submitted" => FormStatus::Submitted,
        "returned" => FormStatus::Returned,
        "approved" => FormStatus::Approved,
        _ => FormStatus::Draft,
    }
}

fn status_str(s: FormStatus) -> &'static str {
    match s {
        FormStatus::Draft => "draft",
        FormStatus::Submitted => "submitted",
        FormStatus::Returned => "returned",
        FormStatus::Approved => "approved",
    }
}

fn parse_grade(s: &str) -> Option<Grade> {
    serde_json::from_value(Value::String(s.trim().to_ascii_lowercase())).ok()
}

fn grade_str(g: Grade) -> &'static str {
    match g {
        Grade::Standard => "standard",
        Grade::Medium => "medium",
        Grade::High => "high",
    }
}

fn task_kind_str(k: TaskKind) -> &'static str {
    match k {
        TaskKind::MaracReferral => "marac_referral",
        TaskKind::IdvaReferral => "idva_referral",
        TaskKind::ConcernForChild => "concern_for_child",
        TaskKind::SupervisorReview => "supervisor_review",
    }
}

fn read_form(r: &rusqlite::Row<'_>) -> rusqlite::Result<FormRow> {
    let pack_id: String = r.get(2)?;
    let pack = catalog().ok().and_then(|c| c.pack(&pack_id));
    let answers_text: String = r.get(5)?;
    let answers = match serde_json::from_str::<Value>(&answers_text) {
        Ok(Value::Object(m)) => m,
        _ => Answers::new(),
    };
    let status: String = r.get(4)?;
    let grade: Option<String> = r.get(7)?;
    Ok(FormRow {
        info: FormInfo {
            id: r.get(0)?,
            incident_id: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            title: pack.map(|p| p.title.clone()).unwrap_or_default(),
            kind: pack.map(|p| p.kind),
            pack_id,
            pack_version: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
            status: parse_status(&status),
            current_section: r.get(6)?,
            officer_grade: grade.as_deref().and_then(parse_grade),
            rationale: r.get(8)?,
            amends_id: r.get(9)?,
            created_by: r.get(10)?,
            created_at: r.get(11)?,
            updated_at: r.get(12)?,
            submitted_at: r.get(13)?,
            reviews: Vec::new(),
        },
        answers,
        draft_rev: u64::try_from(r.get::<_, i64>(14)?).unwrap_or(0),
    })
}

fn load_reviews(conn: &Connection, form_id: &str) -> CwResult<Vec<Review>> {
    let mut stmt = conn.prepare_cached(
        "SELECT reviewer, decision, comments, reviewed_at FROM form_reviews WHERE form_id = ?1 ORDER BY reviewed_at, id",
    )?;
    let rows = stmt.query_map([form_id], |r| {
        let decision: String = r.get(1)?;
        let at: String = r.get(3)?;
        Ok(Review {
            reviewer: r.get(0)?,
            at: unix_of(&at).unwrap_or(0),
            decision: if decision == "return" { ReviewDecision::Return } else { ReviewDecision::Approve },
            comments: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A draft as the installed version of its pack shows it: answers given against an older (or
/// newer) version are carried forward ([`carry_forward`]: kept by question id, the rest set
/// aside under `_carried`), so an app update that changes a pack never strands a draft. Also
/// returns the version carried from, if any. Submitted forms keep their own version.
fn carried_forward(mut row: FormRow) -> CwResult<(FormRow, Option<String>)> {
    if row.info.status != FormStatus::Draft {
        return Ok((row, None));
    }
    let Some(pack) = catalog()?.pack(&row.info.pack_id) else { return Ok((row, None)) };
    if row.info.pack_version == pack.version {
        return Ok((row, None));
    }
    let from = std::mem::replace(&mut row.info.pack_version, pack.version.clone());
    row.answers = carry_forward(&row.answers, &from, pack);
    Ok((row, Some(from)))
}

fn form_row(conn: &Connection, id: &str) -> CwResult<FormRow> {
    let mut row = conn
        .prepare_cached(&format!("SELECT {FORM_COLUMNS} FROM forms WHERE id = ?1"))?
        .query_row([id], read_form)
        .optional()?
        .ok_or_else(|| CaseworkError::NotFound(format!("form {}", shown_id(id))))?;
    row.info.reviews = load_reviews(conn, id)?;
    Ok(row)
}

fn incident_forms(conn: &Connection, incident_id: &str) -> CwResult<Vec<FormRow>> {
    let mut rows: Vec<FormRow> = conn
        .prepare_cached(&format!("SELECT {FORM_COLUMNS} FROM forms WHERE incident_id = ?1 ORDER BY created_at, id"))?
        .query_map([incident_id], read_form)?
        .collect::<rusqlite::Result<_>>()?;
    for r in &mut rows {
        r.info.reviews = load_reviews(conn, &r.info.id)?;
    }
    Ok(rows)
}

fn record_of(row: &FormRow, author_override: Option<&str>) -> FormRecord {
    FormRecord {
        form_id: row.info.id.clone(),
        incident_id: row.info.incident_id.clone(),
        pack_id: row.info.pack_id.clone(),
        pack_version: row.info.pack_version.clone(),
        author: author_override.unwrap_or(&row.info.created_by).to_string(),
        answers: row.answers.clone(),
        officer_grade: row.info.officer_grade,
        rationale: row.info.rationale.clone(),
        status: row.info.status,
        submitted_at: row.info.submitted_at.as_deref().and_then(unix_of),
        reviews: row.info.reviews.clone(),
    }
}

// ---- safeguarding state ----

struct FormLite {
    id: String,
    pack_id: String,
    status: FormStatus,
    grade: Option<Grade>,
    amends_id: Option<String>,
    submitted_at: Option<i64>,
    /// Answers of a submitted or approved form (drafts' are not read).
    answers: Option<String>,
    /// The person its `victim` answer names (drafts' too).
    victim: Option<String>,
}

/// The gate's view of every incident (or one): forms (superseded ones left out) and victims.
pub(crate) fn load_states(
    conn: &Connection,
    incidents: &[&IncidentRow],
) -> CwResult<HashMap<String, SafeguardingState>> {
    let cat = catalog()?;
    let one = if incidents.len() == 1 { Some(incidents[0].summary.id.as_str()) } else { None };
    let mut forms: HashMap<String, Vec<FormLite>> = HashMap::new();
    {
        // Answers only of submitted and approved forms: the sections they show are what a code
        // such as HBA checks (`requires_sections`).
        let base = "SELECT incident_id, id, pack_id, status, officer_grade, amends_id, submitted_at,
                    CASE WHEN status IN ('submitted', 'approved') THEN answers END,
                    CASE WHEN json_valid(answers) THEN
                        CASE json_type(answers, '$.victim')
                            WHEN 'text' THEN json_extract(answers, '$.victim')
                            WHEN 'object' THEN json_extract(answers, '$.victim.value')
                        END
                    END FROM forms";
        let read = |r: &rusqlite::Row<'_>| -> rusqlite::Result<(Option<String>, FormLite)> {
            let status: String = r.get(3)?;
            let grade: Option<String> = r.get(4)?;
            let sub: Option<String> = r.get(6)?;
            Ok((
                r.get(0)?,
                FormLite {
                    id: r.get(1)?,
                    pack_id: r.get(2)?,
                    status: parse_status(&status),
                    grade: grade.as_deref().and_then(parse_grade),
                    amends_id: r.get(5)?,
                    submitted_at: sub.as_deref().and_then(unix_of),
                    answers: r.get(7)?,
                    victim: r
                        .get::<_, Option<String>>(8)
                        .ok()
                        .flatten()
                        .map(|v| v.trim().to_string())
                        .filter(|v| !v.is_empty()),
                },
            ))
        };
        let list: Vec<(Option<String>, FormLite)> = match one {
            Some(id) => conn
                .prepare_cached(&format!("{base} WHERE incident_id = ?1 ORDER BY created_at, id"))?
                .query_map([id], read)?
                .collect::<rusqlite::Result<_>>()?,
            None => conn
                .prepare_cached(&format!("{base} ORDER BY created_at, id"))?
                .query_map([], read)?
                .collect::<rusqlite::Result<_>>()?,
        };
        for (inc, f) in list {
            if let Some(inc) = inc {
                forms.entry(inc).or_default().push(f);
            }
        }
    }
    // Per (incident, victim): any active decision, and one that answers the Victims' Code
    // referral question (a decline, a deferral, or a referral to a support service: not a
    // MARAC or children's-services notification made without asking the victim).
    let mut decided: HashSet<(String, String)> = HashSet::new();
    let mut answered: HashSet<(String, String)> = HashSet::new();
    {
        let rules = &crate::victims::victims_config()?.rules;
        let base = "SELECT incident_id, victim_id, outcome, destination FROM referrals WHERE status = 'active'";
        type Row4 = (String, String, String, Option<String>);
        let read =
            |r: &rusqlite::Row<'_>| -> rusqlite::Result<Row4> { Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)) };
        let list: Vec<Row4> = match one {
            Some(id) => conn
                .prepare_cached(&format!("{base} AND incident_id = ?1"))?
                .query_map([id], read)?
                .collect::<rusqlite::Result<_>>()?,
            None => conn.prepare_cached(base)?.query_map([], read)?.collect::<rusqlite::Result<_>>()?,
        };
        for (inc, victim, outcome, dest) in list {
            let outcome = match outcome.as_str() {
                "declined" => bluelamp_victims::Outcome::Declined,
                "deferred" => bluelamp_victims::Outcome::Deferred,
                _ => bluelamp_victims::Outcome::Referred,
            };
            if rules.answers_referral_question(outcome, dest.as_deref()) {
                answered.insert((inc.clone(), victim.clone()));
            }
            decided.insert((inc, victim));
        }
    }
    let mut out = HashMap::with_capacity(incidents.len());
    for inc in incidents {
        let s = &inc.summary;
        let da = is_da(&s.incident_type, s.closing_code.as_deref());
        let fl = forms.remove(&s.id).unwrap_or_default();
        // A form is superseded once an amendment of it is submitted, and stays so when the
        // supervisor returns the amendment (the return asks for that one to be amended again;
        // the version it replaced counted at the gate again and was offered for review).
        let superseded: HashSet<&str> =
            fl.iter().filter(|f| f.status != FormStatus::Draft).filter_map(|f| f.amends_id.as_deref()).collect();
        let summaries = fl
            .iter()
            .filter(|f| !superseded.contains(f.id.as_str()))
            .filter_map(|f| {
                let pack = cat.pack(&f.pack_id)?;
                let sections = if s.status == IncidentStatus::Finalised {
                    // A finalised incident passed the gate when it closed: the sections a code
                    // needs (HBA's follow-up, since closing codes 2025.3) are not asked for again,
                    // as its notifications are not (`gate_states`).
                    if f.status.is_submitted() {
                        pack.sections.iter().map(|x| x.id.clone()).collect()
                    } else {
                        Vec::new()
                    }
                } else {
                    match f.answers.as_deref().map(serde_json::from_str::<Value>) {
                        Some(Ok(Value::Object(answers))) => bluelamp_forms::visible_sections(pack, &answers),
                        _ => Vec::new(),
                    }
                };
                Some(FormSummary {
                    form_id: f.id.clone(),
                    pack_id: f.pack_id.clone(),
                    kind: pack.kind,
                    status: f.status,
                    officer_grade: f.grade,
                    submitted_at: f.submitted_at,
                    suggested_grade: None,
                    sections,
                    victim_id: f.victim.clone(),
                })
            })
            .collect();
        // A person who died gets no referral decision (their bereaved relatives do), also when
        // linked as the victim too.
        let mut seen: HashSet<String> =
            s.links.iter().filter(|l| l.role == "deceased").map(|l| l.nominal_id.clone()).collect();
        // A person linked only as a child present at domestic abuse (not also as a victim).
        let only_child = |id: &str| {
            s.links.iter().filter(|o| o.nominal_id == id && is_victim(&o.role, da)).all(|o| o.role == "child")
        };
        let victims = s
            .links
            .iter()
            .filter(|l| is_victim(&l.role, da) && seen.insert(l.nominal_id.clone()))
            .map(|l| VictimReferralState {
                victim_id: l.nominal_id.clone(),
                name: l.name.clone().unwrap_or_else(|| l.nominal_id.clone()),
                // A child present at domestic abuse is offered no support service by the rules
                // (Operation Encompass and children's services are their referrals); every other
                // victim is offered one (Right 4), so a notification alone does not settle it,
                // also for a child linked as a victim too.
                decision_recorded: if only_child(&l.nominal_id) { &decided } else { &answered }
                    .contains(&(s.id.clone(), l.nominal_id.clone())),
                // Filled by `gate_states` (it needs the Victims' Code engine, which reads these
                // states itself).
                notifications_due: Vec::new(),
            })
            .collect();
        // Each adult linked as a victim of domestic abuse needs a risk assessment and a plan of
        // their own (DASH and DARA are about one victim); not one who died, nor a child under 16
        // on the day (a DA risk assessment is for 16 and over; a child has the care plan).
        let occurred = bluelamp_victims::uk::uk_time(inc.occurred).date();
        let under_16 = |dob: Option<&str>| {
            dob.and_then(crate::victims::date_part)
                .and_then(|born| bluelamp_victims::age_on(born, occurred))
                .is_some_and(|age| age < 16)
        };
        let dead: HashSet<&str> =
            s.links.iter().filter(|l| l.role == "deceased").map(|l| l.nominal_id.as_str()).collect();
        let mut assessed_seen = HashSet::new();
        let assessed_victims = if da {
            s.links
                .iter()
                .filter(|l| l.role == "victim" && !dead.contains(l.nominal_id.as_str()))
                .filter(|l| !under_16(l.date_of_birth.as_deref()))
                .filter(|l| assessed_seen.insert(l.nominal_id.clone()))
                .map(|l| bluelamp_forms::AssessedVictim {
                    victim_id: l.nominal_id.clone(),
                    name: l.name.clone().unwrap_or_else(|| l.nominal_id.clone()),
                })
                .collect()
        } else {
            Vec::new()
        };
        out.insert(s.id.clone(), SafeguardingState { forms: summaries, victims, assessed_victims });
    }
    Ok(out)
}

/// [`load_states`] plus, for each victim, the notifications the Victims' Code rules require and
/// nobody has recorded yet (MARAC for a high-risk DA victim, Operation Encompass and children's
/// services for a child): what the closing-code gate and the supervisor queue check.
pub(crate) fn gate_states(
    conn: &Connection,
    incidents: &[&IncidentRow],
) -> CwResult<HashMap<String, SafeguardingState>> {
    let mut states = load_states(conn, incidents)?;
    let rules = &crate::victims::victims_config()?.rules;
    let now = crate::victims::uk_time(now_unix());
    for row in incidents {
        let Some(state) = states.get_mut(&row.summary.id) else { continue };
        // A finalised incident passed this gate when it closed: its notifications are not asked
        // for again (and the engine does not run for every closed incident on the queue).
        if state.victims.is_empty() || row.summary.status == IncidentStatus::Finalised {
            continue;
        }
        let (assessment, _) = crate::victims::assess_row(conn, row, now)?;
        for v in &assessment.victims {
            let Some(sv) = state.victims.iter_mut().find(|x| x.victim_id == v.person_id) else { continue };
            // A decision the rules do not accept is no decision, here as on the Victims panel: an
            // opt-out referral recorded without the victim's agreement, on an incident since
            // recoded to domestic abuse (opt-in), closed the gate while the panel and the
            // awaiting list asked for a decision, and the victim then left both for good (review,
            // 7 Dec 2026). The officer withdraws it and records a fresh decision.
            if v.referral_state == bluelamp_victims::ReferralState::AwaitingDecision {
                sv.decision_recorded = false;
            }
            sv.notifications_due = v
                .destinations
                .iter()
                .filter(|d| !d.recorded && d.kind == bluelamp_victims::DestinationKind::Notification)
                .map(|d| rules.destination(&d.code).map_or_else(|| d.code.clone(), |x| x.label.clone()))
                .collect();
        }
    }
    Ok(states)
}

fn gate_of(row: &IncidentRow, state: &SafeguardingState) -> CwResult<GateStatus> {
    let missing = closure_missing(&row.summary, row.summary.closing_code.as_deref(), state)?;
    Ok(GateStatus { closing_code: row.summary.closing_code.clone(), can_finalise: missing.is_empty(), missing })
}

// ---- tasks and referrals ----

const TASK_COLUMNS: &str = "id, incident_id, source_form_id, kind, title, owner, due_at, status, created_at";

fn read_task(r: &rusqlite::Row<'_>) -> rusqlite::Result<TaskInfo> {
    Ok(TaskInfo {
        id: r.get(0)?,
        incident_id: r.get(1)?,
        source_form_id: r.get(2)?,
        kind: r.get(3)?,
        title: r.get(4)?,
        owner: r.get(5)?,
        due_at: r.get(6)?,
        status: r.get(7)?,
        created_at: r.get(8)?,
    })
}

pub(crate) fn insert_task(conn: &Connection, t: &TaskInfo) -> rusqlite::Result<()> {
    conn.prepare_cached(&format!("INSERT INTO tasks ({TASK_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"))?
        .execute(params![
            t.id,
            t.incident_id,
            t.source_form_id,
            t.kind,
            t.title,
            t.owner,
            t.due_at,
            t.status,
            t.created_at
        ])?;
    Ok(())
}

pub(crate) const REFERRAL_COLUMNS: &str =
    "id, incident_id, victim_id, outcome, destination, details, status, decided_at, decided_by";
/// [`REFERRAL_COLUMNS`] and the withdrawal (JSON), as [`read_referral`] reads them.
pub(crate) const REFERRAL_READ_COLUMNS: &str =
    "id, incident_id, victim_id, outcome, destination, details, status, decided_at, decided_by, withdrawal";

pub(crate) fn read_referral(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReferralDecisionInfo> {
    let outcome: String = r.get(3)?;
    let details: String = r.get(5)?;
    Ok(ReferralDecisionInfo {
        id: r.get(0)?,
        incident_id: r.get(1)?,
        victim_id: r.get(2)?,
        outcome: ReferralOutcome::parse(&outcome).unwrap_or(ReferralOutcome::Deferred),
        destination: r.get(4)?,
        details: serde_json::from_str(&details).unwrap_or(Value::Null),
        status: r.get(6)?,
        decided_at: r.get(7)?,
        decided_by: r.get(8)?,
        withdrawal: r.get::<_, Option<String>>(9)?.and_then(|w| serde_json::from_str(&w).ok()),
    })
}

pub(crate) fn is_unique_violation(e: &StoreError, table: &str) -> bool {
    matches!(e, StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, Some(msg)))
        if f.code == rusqlite::ErrorCode::ConstraintViolation && msg.contains(&format!("{table}.")))
}

pub(crate) fn opt_text(label: &str, v: Option<&str>) -> CwResult<Option<String>> {
    let v = v.map(str::trim).filter(|s| !s.is_empty());
    if let Some(s) = v {
        if s.chars().count() > MAX_TEXT_CHARS {
            return Err(invalid(format!("the {label} is too long (more than {MAX_TEXT_CHARS} characters)")));
        }
    }
    Ok(v.map(str::to_string))
}

/// Local history for grading: earlier DA incidents the victim is linked to, with whoever (the
/// SafeLives "potential escalation" criterion counts police call-outs about the victim for
/// domestic abuse, not call-outs about one pair: a victim of three partners in a year, or of one
/// partner not linked on the earlier calls, is as much a repeat), and earlier MARAC referrals of
/// the victim (withdrawn ones, recorded in error, are not referrals). Only call-outs where they
/// were linked as the victim count (not as the suspect or a witness), and not a duplicate record
/// of one call (closed `NFA-DUP`).
fn history(conn: &Connection, incident: &IncidentRow, answers: &Answers) -> CwResult<IncidentHistory> {
    let person = |k: &str| text_answer(answers, k).map(str::to_string);
    let mut h = IncidentHistory::default();
    let Some(victim) = person("victim") else {
        return Ok(h);
    };
    let times: Vec<String> = conn
        .prepare_cached(
            "SELECT i.occurred_at FROM incidents i
             WHERE i.id <> ?2 AND (i.incident_type = 'domestic_abuse' OR upper(coalesce(i.closing_code, '')) = 'DA')
               AND upper(trim(coalesce(i.closing_code, ''))) <> 'NFA-DUP'
               AND EXISTS (SELECT 1 FROM incident_links a WHERE a.incident_id = i.id AND a.nominal_id = ?1
                           AND a.role = 'victim')",
        )?
        .query_map(params![victim, incident.summary.id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    h.previous_da_incidents = times.iter().filter_map(|t| unix_of(t)).filter(|t| *t < incident.occurred).collect();
    let marac: Vec<String> = conn
        .prepare_cached(
            "SELECT decided_at FROM referrals WHERE victim_id = ?1 AND outcome = 'referred'
               AND status = 'active' AND lower(coalesce(destination, '')) = 'marac' AND incident_id <> ?2",
        )?
        .query_map(params![victim, incident.summary.id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    h.marac_referrals = marac.iter().filter_map(|t| unix_of(t)).collect();
    Ok(h)
}

/// A text or person answer as given, plain or with a note (`{"value": …}`).
fn text_answer<'a>(answers: &'a Answers, key: &str) -> Option<&'a str> {
    match answers.get(key)? {
        Value::String(s) => Some(s),
        Value::Object(m) => m.get("value").and_then(Value::as_str),
        _ => None,
    }
}

/// When the earliest version of the form `amends` (and what that one amends, and so on) was
/// submitted: `None` for a form that amends nothing.
fn first_submitted(conn: &Connection, amends: Option<&str>) -> CwResult<Option<i64>> {
    let Some(amends) = amends else { return Ok(None) };
    let first: Option<String> = conn
        .prepare_cached(
            "WITH RECURSIVE chain (id, amends_id, submitted_at, depth) AS (
                 SELECT id, amends_id, submitted_at, 0 FROM forms WHERE id = ?1
                 UNION ALL
                 SELECT f.id, f.amends_id, f.submitted_at, c.depth + 1
                 FROM forms f JOIN chain c ON f.id = c.amends_id WHERE c.depth < 1000)
             SELECT min(submitted_at) FROM chain WHERE submitted_at IS NOT NULL",
        )?
        .query_row([amends], |r| r.get(0))?;
    Ok(first.as_deref().and_then(unix_of))
}

/// Whether `row` is the amendment of a form a supervisor returned.
fn amends_a_returned_form(conn: &Connection, row: &FormRow) -> CwResult<bool> {
    let Some(src) = row.info.amends_id.as_deref() else { return Ok(false) };
    Ok(conn
        .query_row("SELECT status = 'returned' FROM forms WHERE id = ?1", [src], |r| r.get::<_, bool>(0))
        .optional()?
        .unwrap_or(false))
}

/// The "safe" contact numbers of a form (`safe_contact_number` questions) that are numbers held
/// for a suspect linked to the incident (not the form's victim, should they be linked as a
/// suspect too). A plan's safe number was free text, unlike the referral's, which refuses a
/// suspect's number: calls to a number the perpetrator holds are how contact turns dangerous.
fn unsafe_contact_numbers(
    conn: &Connection,
    pack: &FormPack,
    incident: &IncidentRow,
    answers: &Answers,
) -> CwResult<Vec<bluelamp_forms::FieldIssue>> {
    let victim = text_answer(answers, "victim");
    let mut issues = Vec::new();
    // Only what the form shows: an answer hidden by another ("no safe number") is kept with the
    // form but is not the plan's safe number.
    let vis = bluelamp_forms::Visibility::compute(pack, answers);
    for (si, q) in vis.visible_questions(pack).filter(|(_, q)| q.safe_contact_number) {
        let Some(section) = pack.sections.get(si) else { continue };
        let Some(number) = text_answer(answers, &q.id).filter(|n| !n.trim().is_empty()) else { continue };
        for link in incident.summary.links.iter().filter(|l| l.role == "suspect") {
            if Some(link.nominal_id.as_str()) == victim {
                continue;
            }
            let phones: Vec<String> = conn
                .prepare_cached("SELECT number FROM nominal_phones WHERE nominal_id = ?1")?
                .query_map([&link.nominal_id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            if phones.iter().any(|p| bluelamp_victims::phone::same_phone(number, p)) {
                let who = link.name.clone().unwrap_or_else(|| link.nominal_id.clone());
                issues.push(bluelamp_forms::FieldIssue {
                    path: q.id.clone(),
                    question_id: q.id.clone(),
                    section_id: Some(section.id.clone()),
                    kind: bluelamp_forms::IssueKind::UnsafeContact,
                    message: format!(
                        "{}: {} is a number held for suspect {who}. Do not use it: agree another safe way to make contact.",
                        q.text,
                        number.trim()
                    ),
                });
                break;
            }
        }
    }
    Ok(issues)
}

fn grade_from_answers(answers: &Answers) -> Option<Grade> {
    answers.get(DRAFT_GRADE_KEY).and_then(Value::as_str).and_then(parse_grade)
}

impl Store {
    // ---- incidents ----

    /// Imports incidents (demo seed; later sync): one transaction, no outbox, no access-log entry
    /// (a system import, like nominals). An incident whose reference is already in the store is
    /// skipped. Returns how many were added.
    pub fn import_incidents(&mut self, incidents: &[NewIncident]) -> CwResult<usize> {
        let codes = &catalog()?.codes;
        for i in incidents {
            if i.reference.trim().is_empty() || i.incident_type.trim().is_empty() {
                return Err(invalid("an incident needs a reference and a type"));
            }
            if let Some(c) = &i.closing_code {
                if codes.get(c).is_none() {
                    return Err(invalid(format!("unknown closing code {c:?}")));
                }
            }
            if let Some((_, role)) = i.links.iter().find(|(_, r)| !LINK_ROLES.contains(&r.as_str())) {
                return Err(invalid(format!("unknown role {role:?}")));
            }
        }
        let tx = self.conn.transaction()?;
        let added = insert_incidents_in(&tx, incidents)?;
        tx.commit()?;
        Ok(added)
    }

    /// Demo mode: `n` synthetic incidents from `bluelamp_demo::incidents`, linking the nominals
    /// already in the store (or, in a store without nominals, synthetic people who then have no
    /// names), assigned to the store's officer. Idempotent: the references are deterministic in
    /// `(nominals, n, seed, now)` and existing ones are skipped. Returns how many were added.
    pub fn seed_demo_incidents(&mut self, n: usize, seed: u64, now: i64) -> CwResult<usize> {
        let mut people: Vec<bluelamp_demo::Person> = self
            .conn
            .prepare(
                "SELECT id, given_name, surname, date_of_birth, sex, address, postcode, aliases
                 FROM nominals ORDER BY id LIMIT 5000",
            )?
            .query_map([], |r| {
                Ok(bluelamp_demo::Person {
                    id: r.get(0)?,
                    given_name: r.get(1)?,
                    surname: r.get(2)?,
                    date_of_birth: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    sex: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                    aliases: serde_json::from_str(&r.get::<_, String>(7)?).unwrap_or_default(),
                    address: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                    postcode: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
                    legacy: false,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        // The incidents are drawn as they always were, from names and dates of birth only (a
        // home address changes where an incident happens, and so the rest of the draw).
        let mut drawn_from: Vec<bluelamp_demo::Person> = people
            .iter()
            .map(|p| bluelamp_demo::Person {
                aliases: Vec::new(),
                address: String::new(),
                postcode: String::new(),
                ..p.clone()
            })
            .collect();
        if people.is_empty() {
            people = bluelamp_demo::people(300, bluelamp_demo::DEMO_SEED);
            drawn_from = people.clone();
        }
        let officer = self.officer_id()?;
        let demo = bluelamp_demo::incidents(&drawn_from, n, seed, now);
        let demo_for_details = demo.clone();
        // Suspects' phone numbers, so that a "safe" number that is the suspect's is caught.
        let phones: Vec<(String, String)> = demo
            .iter()
            .flat_map(|d| d.links.iter())
            .filter(|l| l.role == "suspect")
            .map(|l| (l.person_id.clone(), bluelamp_demo::demo_phone(&l.person_id)))
            .collect();
        let list: Vec<NewIncident> = demo
            .into_iter()
            .map(|d| NewIncident {
                id: None,
                offence_category: Some(d.category.clone()),
                incident_type: d.category,
                reference: d.reference,
                place: Some(d.place).filter(|s| !s.is_empty()),
                postcode: Some(d.postcode).filter(|s| !s.is_empty()),
                team: Some(d.team),
                occurred_at: d.occurred_unix,
                recorded_at: d.reported_unix,
                assigned_to: Some(officer.clone()),
                closing_code: None,
                links: d.links.into_iter().map(|l| (l.person_id, l.role)).collect(),
            })
            .collect();
        let added = self.import_incidents(&list)?;
        self.add_nominal_phones(&phones)?;
        self.seed_demo_details(&people, &demo_for_details, seed, now)?;
        Ok(added)
    }

    /// The record page's demo content: warning markers and address histories for the people
    /// the demo incidents link (and a few others), and the showcase incident's aliases.
    fn seed_demo_details(
        &mut self,
        people: &[bluelamp_demo::Person],
        incidents: &[bluelamp_demo::DemoIncident],
        seed: u64,
        now: i64,
    ) -> CwResult<()> {
        let details: Vec<crate::NominalDetails> = bluelamp_demo::person_details(people, incidents, seed, now)
            .into_iter()
            .map(|d| crate::NominalDetails {
                nominal_id: d.person_id,
                markers: Some(
                    d.markers
                        .into_iter()
                        .map(|m| crate::MarkerRecord {
                            code: m.code.to_string(),
                            description: m.description,
                            last_verified_at: Some(ts(m.verified_unix)),
                            verified_by: Some(m.verified_by.to_string()),
                        })
                        .collect(),
                ),
                addresses: Some(
                    d.addresses
                        .into_iter()
                        .map(|a| crate::AddressRecord {
                            address: a.address,
                            postcode: Some(a.postcode).filter(|p| !p.is_empty()),
                            kind: a.kind.to_string(),
                            valid_from: Some(a.from),
                            valid_to: a.to,
                        })
                        .collect(),
                ),
                phones: None,
            })
            .collect();
        self.set_nominal_details(&details)?;
        let mut rows = Vec::new();
        for (id, alias) in bluelamp_demo::showcase_aliases(people, seed, now) {
            if let Some(mut r) = self.nominal_record(&id)? {
                if !r.aliases.contains(&alias) {
                    r.aliases.push(alias);
                    rows.push(r);
                }
            }
        }
        if !rows.is_empty() {
            self.upsert_nominals(&rows)?;
        }
        Ok(())
    }

    /// The officer's incidents, newest first, with linked people (names from the nominal cache).
    pub fn list_incidents(&self) -> CwResult<Vec<IncidentSummary>> {
        Ok(load_incidents(&self.conn, None)?.into_iter().map(|r| r.summary).collect())
    }

    /// One incident with its forms, tasks, referral decisions and the closing-code gate.
    pub fn get_incident(&self, incident_id: &str) -> CwResult<IncidentDetail> {
        let row = incident_row(&self.conn, incident_id)?;
        let state = gate_states(&self.conn, &[&row])?.remove(incident_id).unwrap_or_default();
        let gate = gate_of(&row, &state)?;
        let forms = incident_forms(&self.conn, incident_id)?.into_iter().map(|f| f.info).collect();
        let tasks = self
            .conn
            .prepare_cached(&format!(
                "SELECT {TASK_COLUMNS} FROM tasks WHERE incident_id = ?1 ORDER BY created_at, id"
            ))?
            .query_map([incident_id], read_task)?
            .collect::<rusqlite::Result<_>>()?;
        let referrals = self
            .conn
            .prepare_cached(&format!(
                "SELECT {REFERRAL_READ_COLUMNS} FROM referrals WHERE incident_id = ?1 ORDER BY decided_at, id"
            ))?
            .query_map([incident_id], read_referral)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(IncidentDetail { summary: row.summary, forms, tasks, referrals, gate })
    }

    /// The closing-code gate on the incident's current state.
    pub fn incident_gate(&self, incident_id: &str) -> CwResult<GateStatus> {
        let row = incident_row(&self.conn, incident_id)?;
        let state = gate_states(&self.conn, &[&row])?.remove(incident_id).unwrap_or_default();
        gate_of(&row, &state)
    }

    // ---- forms ----

    /// Starts a draft of `pack_id` on an open incident and returns its id (UUIDv7). If the
    /// incident already has a draft of that pack, that draft's id is returned (resume).
    pub fn start_form(&mut self, actor: &Actor, incident_id: &str, pack_id: &str) -> CwResult<String> {
        self.start_form_about(actor, incident_id, pack_id, None)
    }

    /// [`Self::start_form`] for one victim (the gate asks each adult victim of domestic abuse
    /// for their own risk assessment and plan): a draft about another person is not resumed for
    /// them (one naming nobody yet is), and a new form of a pack with a `victim` question starts
    /// with them as its answer, when they are linked to the incident.
    pub fn start_form_about(
        &mut self,
        actor: &Actor,
        incident_id: &str,
        pack_id: &str,
        victim: Option<&str>,
    ) -> CwResult<String> {
        let pack = catalog()?
            .pack(pack_id)
            .ok_or_else(|| CaseworkError::NotFound(format!("form pack {}", shown_id(pack_id))))?;
        let inc = incident_row(&self.conn, incident_id)?;
        if inc.summary.status == IncidentStatus::Finalised {
            return Err(CaseworkError::Finalised);
        }
        let victim = victim.map(str::trim).filter(|v| inc.summary.links.iter().any(|l| l.nominal_id == *v));
        let drafts: Vec<(String, String)> = self
            .conn
            .prepare_cached(
                "SELECT id, answers FROM forms WHERE incident_id = ?1 AND pack_id = ?2 AND status = 'draft'
                   AND amends_id IS NULL ORDER BY created_at",
            )?
            .query_map(params![incident_id, pack_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let about = |answers: &str| match serde_json::from_str::<Value>(answers) {
            Ok(Value::Object(a)) => bluelamp_forms::victim_of(&a.into_iter().collect()),
            _ => None,
        };
        let existing = drafts.into_iter().find(|(_, answers)| match victim {
            None => true,
            Some(v) => about(answers).is_none_or(|named| named == v),
        });
        if let Some((id, _)) = existing {
            return Ok(id);
        }
        let has_victim_question = pack
            .sections
            .iter()
            .flat_map(|s| s.questions.iter())
            .any(|q| q.id == "victim" && q.qtype == bluelamp_forms::QuestionType::Person);
        let answers = match victim {
            Some(v) if has_victim_question => json!({ "victim": v }).to_string(),
            _ => "{}".to_string(),
        };
        let id = uuid::Uuid::now_v7().to_string();
        let now = ts(now_unix());
        let first = pack.sections.first().map(|s| s.id.clone());
        let event = AuditEvent::new(AuditAction::Collection, format!("form:{id}")).detail(json!({
            "incident_id": incident_id, "pack_id": pack.id, "pack_version": pack.version, "status": "draft",
        }));
        self.user_write(actor, event, None, |tx| {
            tx.execute(
                "INSERT INTO forms (id, incident_id, pack_id, pack_version, status, answers, current_section,
                    created_by, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'draft', ?8, ?5, ?6, ?7, ?7)",
                params![id, incident_id, pack.id, pack.version, first, actor.officer_id, now, answers],
            )?;
            Ok(())
        })?;
        Ok(id)
    }

    /// Starts an amendment of a submitted, approved or returned form: a new draft with the same
    /// answers and `amends_id` set. An open amendment of the same form is resumed.
    pub fn amend_form(&mut self, actor: &Actor, form_id: &str) -> CwResult<String> {
        let src = form_row(&self.conn, form_id)?;
        if src.info.status == FormStatus::Draft {
            return Err(invalid("a draft can be changed directly: there is nothing to amend"));
        }
        // The incident was closed on the forms it holds: an amendment now would replace the
        // assessment it was finalised on, with no gate run again. A form a supervisor returned
        // is the exception: the return asks for exactly that amendment, and without it the
        // "amend and resubmit" item stayed overdue on the closed incident for good.
        if src.info.status != FormStatus::Returned
            && incident_row(&self.conn, &src.info.incident_id)?.summary.status == IncidentStatus::Finalised
        {
            return Err(CaseworkError::Finalised);
        }
        // Only the newest version is amended: amending one already replaced made two "current"
        // forms of the same kind.
        let newer: Option<String> = self
            .conn
            .query_row(
                "SELECT id FROM forms WHERE amends_id = ?1 AND status <> 'draft' ORDER BY created_at DESC LIMIT 1",
                [form_id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(newer) = newer {
            return Err(invalid(format!("this form was amended since (form {newer}): amend that version")));
        }
        let existing: Option<String> = self
            .conn
            .query_row(
                "SELECT id FROM forms WHERE amends_id = ?1 AND status = 'draft' ORDER BY created_at LIMIT 1",
                [form_id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = existing {
            return Ok(id);
        }
        let id = uuid::Uuid::now_v7().to_string();
        let now = ts(now_unix());
        // The amendment is a draft of the installed pack version (the submitted form keeps its own).
        let pack = catalog()?.pack(&src.info.pack_id);
        let (answers, version) = match pack {
            Some(p) => (carry_forward(&src.answers, &src.info.pack_version, p), p.version.clone()),
            None => (src.answers.clone(), src.info.pack_version.clone()),
        };
        let answers = Value::Object(answers).to_string();
        let first = pack.and_then(|p| p.sections.first()).map(|s| s.id.clone());
        let event = AuditEvent::new(AuditAction::Collection, format!("form:{id}")).detail(json!({
            "incident_id": src.info.incident_id, "pack_id": src.info.pack_id, "status": "draft", "amends_id": form_id,
        }));
        self.user_write(actor, event, None, |tx| {
            tx.execute(
                "INSERT INTO forms (id, incident_id, pack_id, pack_version, status, answers, current_section,
                    officer_grade, rationale, amends_id, created_by, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'draft', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
                params![
                    id,
                    src.info.incident_id,
                    src.info.pack_id,
                    version,
                    answers,
                    first,
                    src.info.officer_grade.map(grade_str),
                    src.info.rationale,
                    form_id,
                    actor.officer_id,
                    now
                ],
            )?;
            Ok(())
        })?;
        Ok(id)
    }

    /// Autosave of a draft: the whole answers object and the wizard page to reopen at, in one
    /// small `UPDATE` (durable on return). Only the draft's author may save it; a submitted form
    /// is refused with [`CaseworkError::NotEditable`]. Always applied (see
    /// [`Store::save_draft_revision`] for the screen's numbered autosaves).
    pub fn save_draft(
        &mut self,
        actor: &Actor,
        form_id: &str,
        answers: &Value,
        current_section: Option<&str>,
    ) -> CwResult<()> {
        self.save_draft_revision(actor, form_id, answers, current_section, None).map(drop)
    }

    /// [`Store::save_draft`] with the screen's revision number of this save. The draft keeps
    /// the revision of its last save ([`FormDetail::draft_revision`]); a save whose revision is
    /// not above it arrived after a later one (two autosaves in flight can be run in either
    /// order) and is ignored, so it cannot overwrite the newer answers: `Ok(false)`. A save
    /// without a revision is always applied and counts as the next one.
    pub fn save_draft_revision(
        &mut self,
        actor: &Actor,
        form_id: &str,
        answers: &Value,
        current_section: Option<&str>,
        revision: Option<u64>,
    ) -> CwResult<bool> {
        let revision = match revision {
            Some(r) => Some(i64::try_from(r).map_err(|_| invalid("the save's revision is out of range"))?),
            None => None,
        };
        if !answers.is_object() {
            return Err(invalid("answers must be a JSON object"));
        }
        let text = answers.to_string();
        if text.len() > MAX_ANSWERS_BYTES {
            return Err(invalid("the answers are too large"));
        }
        let (pack_id, status, author): (String, String, String) = self
            .conn
            .prepare_cached("SELECT pack_id, status, created_by FROM forms WHERE id = ?1")?
            .query_row([form_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?
            .ok_or_else(|| CaseworkError::NotFound(format!("form {}", shown_id(form_id))))?;
        if status != "draft" {
            return Err(CaseworkError::NotEditable);
        }
        if author != actor.officer_id {
            return Err(invalid("only the officer who started this draft can change it"));
        }
        let pack = catalog()?.pack(&pack_id);
        if let (Some(sec), Some(pack)) = (current_section, pack) {
            if !pack.sections.iter().any(|s| s.id == sec) {
                return Err(invalid(format!("the form has no section {sec:?}")));
            }
        }
        let n = self
            .conn
            .prepare_cached(
                "UPDATE forms SET answers = ?2, current_section = ?3, updated_at = ?4,
                     draft_rev = coalesce(?5, draft_rev + 1), pack_version = coalesce(?6, pack_version)
                 WHERE id = ?1 AND status = 'draft' AND (?5 IS NULL OR draft_rev < ?5)",
            )?
            // The screen edits a draft as the installed pack shows it (see `get_form`).
            .execute(params![
                form_id,
                text,
                current_section,
                ts(now_unix()),
                revision,
                pack.map(|p| p.version.clone())
            ])?;
        // The form was a draft at the check above and nothing else writes in between
        // (`&mut self`): no row updated means the save was stale.
        if n == 0 {
            return Ok(false);
        }
        Ok(true)
    }

    /// A form with its answers and the section to resume at.
    pub fn get_form(&self, form_id: &str) -> CwResult<FormDetail> {
        let row = carried_forward(form_row(&self.conn, form_id)?)?.0;
        Ok(FormDetail { info: row.info, answers: Value::Object(row.answers), draft_revision: row.draft_rev })
    }

    /// Submits a draft. The engine checks the answers (against the incident's linked people) and,
    /// for risk packs, the officer's own grade and rationale (from the arguments, else from the
    /// draft's `_officer_grade` / `_rationale` keys). Rejected: every issue, nothing written.
    /// Accepted: in one transaction the form becomes submitted (immutable), the generated tasks
    /// are inserted (supervisor review; MARAC + IDVA for High or a MARAC criterion; Concern for a
    /// Child for linked children), `form.submit/1` is queued and the collection is logged.
    pub fn submit_form(
        &mut self,
        actor: &Actor,
        form_id: &str,
        officer_grade: Option<Grade>,
        rationale: Option<&str>,
    ) -> CwResult<SubmitOutcome> {
        let cat = catalog()?;
        let (row, carried_from) = carried_forward(form_row(&self.conn, form_id)?)?;
        if row.info.status != FormStatus::Draft {
            return Ok(SubmitOutcome::Rejected {
                issues: vec![bluelamp_forms::SubmitIssue::NotEditable { status: row.info.status }],
            });
        }
        let pack = cat
            .pack(&row.info.pack_id)
            .ok_or_else(|| CaseworkError::NotFound(format!("form pack {}", row.info.pack_id)))?;
        let inc = incident_row(&self.conn, &row.info.incident_id)?;
        // As for starting or amending a form: what the incident was finalised on stays as it was,
        // except the amendment of a form a supervisor returned.
        if inc.summary.status == IncidentStatus::Finalised && !amends_a_returned_form(&self.conn, &row)? {
            return Err(CaseworkError::Finalised);
        }
        let mut record = record_of(&row, None);
        record.officer_grade = officer_grade.or_else(|| grade_from_answers(&row.answers));
        let draft_rationale = row.answers.get(DRAFT_RATIONALE_KEY).and_then(Value::as_str);
        record.rationale = opt_text("rationale", rationale.or(draft_rationale))?;
        let now = now_unix();
        let linked: Vec<String> = inc.summary.links.iter().map(|l| l.nominal_id.clone()).collect();
        // An amendment's dates that must not be past are measured from its first version's
        // submission (a returned plan keeps the due dates it was written with).
        let dates_from = first_submitted(&self.conn, row.info.amends_id.as_deref())?;
        let ctx = ValidationContext { linked_nominals: Some(&linked), now: Some(now), dates_from };
        let submitted = match submit(&record, pack, &ctx, now) {
            Ok(r) => r,
            Err(rej) => return Ok(SubmitOutcome::Rejected { issues: rej.0 }),
        };
        let unsafe_numbers = unsafe_contact_numbers(&self.conn, pack, &inc, &submitted.answers)?;
        if !unsafe_numbers.is_empty() {
            return Ok(SubmitOutcome::Rejected {
                issues: unsafe_numbers.into_iter().map(bluelamp_forms::SubmitIssue::Field).collect(),
            });
        }
        let suggestion = suggestion_for(&self.conn, pack, &inc, &submitted.answers)?;
        let (generated, tasks) =
            submission_tasks(&self.conn, pack, &submitted, suggestion.as_ref(), &inc, &actor.officer_id, now)?;
        let created = ts(now);
        let answers_text = Value::Object(submitted.answers.clone()).to_string();
        let payload = json!({
            "form": {
                "id": form_id,
                "incident_id": inc.summary.id,
                "incident_reference": inc.summary.reference,
                "pack_id": pack.id,
                "pack_version": pack.version,
                "author": row.info.created_by,
                "answers": submitted.answers,
                "officer_grade": submitted.officer_grade,
                "rationale": submitted.rationale,
                "amends_id": row.info.amends_id,
                "submitted_at": created,
            },
            "suggestion": suggestion,
            "tasks": generated.iter().map(|t| json!({
                "kind": t.kind, "label": t.label, "reason": t.reason, "due_at": ts(t.due_at),
            })).collect::<Vec<_>>(),
        });
        let event = AuditEvent::new(AuditAction::Collection, format!("form:{form_id}")).detail(json!({
            "incident_id": inc.summary.id,
            "pack_id": pack.id,
            "pack_version": pack.version,
            "status": "submitted",
            "officer_grade": submitted.officer_grade,
            "suggested_grade": suggestion.as_ref().map(|s| s.suggested),
            "amends_id": row.info.amends_id,
            "tasks": tasks.iter().map(|t| t.kind.as_str()).collect::<Vec<_>>(),
            "carried_from": carried_from,
        }));
        let mutation = OutboxMutation { name: "form.submit/1".into(), payload };
        self.user_write(actor, event, Some(mutation), |tx| {
            let n = tx.execute(
                "UPDATE forms SET status = 'submitted', answers = ?2, officer_grade = ?3, rationale = ?4,
                    submitted_at = ?5, updated_at = ?5, pack_version = ?6
                 WHERE id = ?1 AND status = 'draft'",
                params![
                    form_id,
                    answers_text,
                    submitted.officer_grade.map(grade_str),
                    submitted.rationale,
                    created,
                    pack.version
                ],
            )?;
            if n != 1 {
                return Err(StoreError::Invalid("the form was submitted meanwhile".into()));
            }
            for t in &tasks {
                insert_task(tx, t)?;
            }
            close_tasks_already_met(tx, &inc.summary.id, pack.kind)?;
            if let Some(prev) = &row.info.amends_id {
                // The amended form's review is no longer needed: this one is reviewed instead.
                tx.execute(
                    "UPDATE tasks SET status = 'cancelled' WHERE source_form_id = ?1 AND kind = 'supervisor_review'
                       AND status = 'open'",
                    [prev],
                )?;
            }
            Ok(())
        })?;
        Ok(SubmitOutcome::Submitted(Submitted { form_id: form_id.to_string(), suggestion, tasks }))
    }

    /// Supervisor review of a submitted form by `actor` (role checks are the app's): approve, or
    /// return with comments (the officer then amends it). The form's review task is closed.
    pub fn review_form(
        &mut self,
        actor: &Actor,
        form_id: &str,
        decision: ReviewDecision,
        comments: Option<&str>,
    ) -> CwResult<FormInfo> {
        let row = form_row(&self.conn, form_id)?;
        let comments = opt_text("comments", comments)?;
        let now = now_unix();
        let reviewed = review(&record_of(&row, None), &actor.officer_id, decision, comments.as_deref(), now)?;
        let at = ts(now);
        let decision_str = match decision {
            ReviewDecision::Approve => "approve",
            ReviewDecision::Return => "return",
        };
        let new_status = status_str(reviewed.status);
        let event = AuditEvent::new(AuditAction::Alteration, format!("form:{form_id}")).detail(json!({
            "incident_id": row.info.incident_id, "review": decision_str, "status": new_status,
        }));
        let mutation = OutboxMutation {
            name: "form.review/1".into(),
            payload: json!({
                "form_id": form_id, "reviewer": actor.officer_id, "decision": decision_str,
                "comments": comments, "at": at, "status": new_status,
            }),
        };
        self.user_write(actor, event, Some(mutation), |tx| {
            let n = tx.execute(
                "UPDATE forms SET status = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'submitted'",
                params![form_id, new_status, at],
            )?;
            if n != 1 {
                return Err(StoreError::Invalid("the form was reviewed meanwhile".into()));
            }
            tx.execute(
                "INSERT INTO form_reviews (id, form_id, reviewer, decision, comments, reviewed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![uuid::Uuid::now_v7().to_string(), form_id, actor.officer_id, decision_str, comments, at],
            )?;
            tx.execute(
                "UPDATE tasks SET status = 'done' WHERE source_form_id = ?1 AND kind = 'supervisor_review'
                   AND status = 'open'",
                [form_id],
            )?;
            Ok(())
        })?;
        Ok(form_row(&self.conn, form_id)?.info)
    }

    /// The engine's suggested grade for a form's current answers, with the local history of the
    /// incident's parties (what the officer saw on submission, recomputed for the reviewing
    /// supervisor). `None` for packs that are not graded or no longer installed.
    pub fn form_suggestion(&self, form_id: &str) -> CwResult<Option<RiskSuggestion>> {
        let cat = catalog()?;
        let row = form_row(&self.conn, form_id)?;
        let Some(pack) = cat.pack(&row.info.pack_id) else {
            return Ok(None);
        };
        let inc = incident_row(&self.conn, &row.info.incident_id)?;
        suggestion_for(&self.conn, pack, &inc, &row.answers)
    }

    // ---- referral decisions: see `victims.rs` ----

    // ---- closing ----

    /// Sets (or, with `None`, clears) the closing code of an open incident. `NFA-DUP` is refused
    /// here: it needs its reason ([`Store::set_closing_code_with`]).
    pub fn set_closing_code(&mut self, actor: &Actor, incident_id: &str, code: Option<&str>) -> CwResult<()> {
        self.set_closing_code_with(actor, incident_id, code, None)
    }

    /// Sets (or, with `None`, clears) the closing code of an open incident, with the reason
    /// `NFA-DUP` needs (and only with it): a duplicate of another incident on the device (its id
    /// or reference; another incident, not itself closed `NFA-DUP`, and of the same safeguarding
    /// kind when this one is domestic abuse or a concern for a child), or no incident found in
    /// words. Refused ([`CaseworkError::NfaDup`]) with nothing written. The reason is stored with
    /// the code, sent in `incident.closing_code/1` (`duplicate_of` / `no_incident_found`) and
    /// logged in the alteration's detail.
    pub fn set_closing_code_with(
        &mut self,
        actor: &Actor,
        incident_id: &str,
        code: Option<&str>,
        reason: Option<&NfaDupReason>,
    ) -> CwResult<()> {
        let codes = &catalog()?.codes;
        let inc = incident_row(&self.conn, incident_id)?;
        if inc.summary.status == IncidentStatus::Finalised {
            return Err(CaseworkError::Finalised);
        }
        let code = match code.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => Some(codes.get(c).ok_or_else(|| {
                let known: Vec<&str> = codes.codes.iter().map(|k| k.code.as_str()).collect();
                invalid(format!(
                    "unknown closing code {:?}: choose one of {}",
                    bluelamp_protocol::dates::shown(c, 40),
                    known.join(", ")
                ))
            })?),
            None => None,
        };
        let new = code.map(|c| c.code.clone());
        let reason = self.checked_nfa_dup_reason(&inc.summary, new.as_deref(), reason)?;
        let (duplicate_of, no_incident_found) = reason.as_ref().map(NfaDupReason::fields).unwrap_or_default();
        let at = ts(now_unix());
        let mut detail = json!({ "closing_code": new, "previous": inc.summary.closing_code });
        let mut payload = json!({ "incident_id": incident_id, "closing_code": new, "at": at });
        for v in [&mut detail, &mut payload] {
            if let Some(d) = duplicate_of {
                v["duplicate_of"] = json!(d);
            }
            if let Some(n) = no_incident_found {
                v["no_incident_found"] = json!(n);
            }
        }
        let event = AuditEvent::new(AuditAction::Alteration, format!("incident:{incident_id}")).detail(detail);
        let mutation = OutboxMutation { name: "incident.closing_code/1".into(), payload };
        let base = crate::conflicts::edit_base(&self.conn, incident_id)?;
        self.user_write_based(actor, event, Some(mutation), base, |tx| {
            tx.execute(
                "UPDATE incidents SET closing_code = ?2, coded_at = CASE WHEN ?2 IS NULL THEN NULL ELSE ?3 END,
                    updated_at = ?3, version = version + 1, nfa_dup_duplicate_of = ?4, nfa_dup_no_incident_found = ?5
                 WHERE id = ?1 AND status = 'open'",
                params![incident_id, new, at, duplicate_of, no_incident_found],
            )?;
            Ok(())
        })?;
        Ok(())
    }

    /// The `NFA-DUP` reason checked against the incidents on the device (`bluelamp_forms`'s
    /// rule), a duplicate-of given by reference turned into the original's id.
    pub(crate) fn checked_nfa_dup_reason(
        &self,
        closing: &IncidentSummary,
        code: Option<&str>,
        reason: Option<&NfaDupReason>,
    ) -> CwResult<Option<NfaDupReason>> {
        let reason = match reason {
            Some(NfaDupReason::NoIncidentFound(t)) => Some(NfaDupReason::NoIncidentFound(t.trim().to_string())),
            other => other.cloned(),
        };
        let original = match &reason {
            Some(NfaDupReason::DuplicateOf(given)) => self
                .conn
                .prepare_cached(
                    "SELECT id, incident_type, closing_code FROM incidents WHERE id = ?1 OR reference = ?1
                     ORDER BY id = ?1 DESC LIMIT 1",
                )?
                .query_row([given.trim()], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?)))
                .optional()?,
            _ => None,
        };
        let o: Option<(String, String, Option<String>)> = original;
        let this =
            bluelamp_forms::DupIncident { id: &closing.id, incident_type: &closing.incident_type, closing_code: None };
        let held = o.as_ref().map(|(id, t, c)| bluelamp_forms::DupIncident {
            id,
            incident_type: t,
            closing_code: c.as_deref(),
        });
        bluelamp_forms::check_nfa_dup(code, &this, reason.as_ref(), held.as_ref(), false)
            .map_err(CaseworkError::NfaDup)?;
        Ok(match (reason, o) {
            (Some(NfaDupReason::DuplicateOf(_)), Some((id, _, _))) => Some(NfaDupReason::DuplicateOf(id)),
            (r, _) => r,
        })
    }

    /// Finalises the incident if the closing-code gate passes on its real state (checked inside
    /// the writing transaction). Refused: [`CaseworkError::Refused`] with every missing item,
    /// nothing changed, and the refused attempt logged (`denied`).
    pub fn finalise_incident(&mut self, actor: &Actor, incident_id: &str) -> CwResult<()> {
        let inc = incident_row(&self.conn, incident_id)?;
        if inc.summary.status == IncidentStatus::Finalised {
            return Err(CaseworkError::Finalised);
        }
        let at = ts(now_unix());
        let event = AuditEvent::new(AuditAction::Alteration, format!("incident:{incident_id}"))
            .detail(json!({ "finalised": true, "closing_code": inc.summary.closing_code }));
        let mutation = OutboxMutation {
            name: "incident.finalise/1".into(),
            payload: json!({ "incident_id": incident_id, "closing_code": inc.summary.closing_code, "finalised_at": at }),
        };
        let mut refused: Option<Vec<MissingItem>> = None;
        let base = crate::conflicts::edit_base(&self.conn, incident_id)?;
        let res = self.user_write_based(actor, event, Some(mutation), base, |tx| {
            let row = incident_row(tx, incident_id).map_err(to_store)?;
            let state = gate_states(tx, &[&row]).map_err(to_store)?.remove(incident_id).unwrap_or_default();
            let missing =
                closure_missing(&row.summary, row.summary.closing_code.as_deref(), &state).map_err(to_store)?;
            if !missing.is_empty() {
                refused = Some(missing);
                return Err(StoreError::Invalid("refused by the closing-code gate".into()));
            }
            let n = tx.execute(
                "UPDATE incidents SET status = 'finalised', finalised_at = ?2, updated_at = ?2, version = version + 1
                 WHERE id = ?1 AND status = 'open'",
                params![incident_id, at],
            )?;
            if n != 1 {
                return Err(StoreError::Invalid("the incident was finalised meanwhile".into()));
            }
            Ok(())
        });
        match (res, refused) {
            (Ok(()), _) => Ok(()),
            (Err(_), Some(missing)) => {
                let kinds: Vec<_> = missing.iter().map(|m| m.kind).collect();
                let denied = AuditEvent::new(AuditAction::Alteration, format!("incident:{incident_id}"))
                    .outcome(AuditOutcome::Denied)
                    .detail(
                        json!({ "finalise": "refused", "closing_code": inc.summary.closing_code, "missing": kinds }),
                    );
                self.audit(actor, denied)?;
                Err(CaseworkError::Refused { missing })
            }
            (Err(e), None) => Err(e.into()),
        }
    }

    // ---- supervisor queue ----

    /// The supervisor queue at `now` over every incident in the store: incidents with a missing,
    /// overdue or unreviewed safeguarding item, by risk then age, counts per team, and the daily
    /// review list (deadlines from the built-in config).
    pub fn supervisor_queue(&self, now: i64) -> CwResult<SupervisorQueue> {
        let cat = catalog()?;
        let rows = load_incidents(&self.conn, None)?;
        let refs: Vec<&IncidentRow> = rows.iter().collect();
        let mut states = gate_states(&self.conn, &refs)?;
        // The engine's suggestion for each submitted risk assessment: one above the officer's
        // grade raises the incident in the queue (and is shown there).
        for state in states.values_mut() {
            // Only forms awaiting review: an approved grade stands.
            for f in state
                .forms
                .iter_mut()
                .filter(|f| f.kind == PackKind::RiskAssessment && f.status == FormStatus::Submitted)
            {
                f.suggested_grade = self.form_suggestion(&f.form_id)?.map(|s| s.suggested);
            }
        }
        let incidents: Vec<QueueIncident> = rows
            .iter()
            .map(|r| {
                let s = &r.summary;
                let mut codes: Vec<String> = Vec::new();
                if let Some(c) = classification_code(&s.incident_type) {
                    codes.push(c.to_string());
                }
                if let Some(c) = &s.closing_code {
                    if !codes.iter().any(|x| x.eq_ignore_ascii_case(c)) {
                        codes.push(c.clone());
                    }
                }
                QueueIncident {
                    id: s.id.clone(),
                    team: s.team.clone().unwrap_or_else(|| "Unassigned".into()),
                    occurred_at: r.occurred,
                    codes,
                    coded_at: r.coded_at.as_deref().and_then(unix_of),
                    closed_at: r.finalised_at.as_deref().and_then(unix_of),
                    nfa_dup_reason: s
                        .closing_code
                        .as_deref()
                        .is_some_and(is_duplicate_code)
                        .then(|| s.nfa_dup_shown.clone().unwrap_or_else(|| "No reason recorded".into())),
                    state: states.remove(&s.id).unwrap_or_default(),
                }
            })
            .collect();
        let mut q = build_queue(&incidents, &cat.codes, &cat.config, now);
        // Victims' Code referral deadlines in working days, escalated before a breach.
        crate::victims::escalate_into_queue(&self.conn, &mut q, now)?;
        Ok(q)
    }

    /// Open tasks of the store, soonest due first.
    pub fn open_tasks(&self) -> CwResult<Vec<TaskInfo>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {TASK_COLUMNS} FROM tasks WHERE status = 'open' ORDER BY due_at IS NULL, due_at, id"
            ))?
            .query_map([], read_task)?
            .collect::<rusqlite::Result<_>>()?)
    }
}

/// The tasks a form submitted on another device made there, made again on this device when the
/// pull brings the form: the central service does not carry tasks, and a supervisor's station
/// lists them (the Tasks view of the queue). MARAC and IDVA referrals and Concern for a Child,
/// as [`generated_tasks`] makes them on submission, due from the form's submission time and
/// owned by its author; not the supervisor review (the queue lists the form itself). A kind
/// already open on the incident is not repeated, and [`close_tasks_already_met`] runs as on a
/// submission here. Returns how many tasks were made.
pub(crate) fn derive_pulled_tasks(conn: &Connection, form_id: &str) -> CwResult<usize> {
    let cat = catalog()?;
    let row = form_row(conn, form_id)?;
    let Some(pack) = cat.pack(&row.info.pack_id) else { return Ok(0) };
    let record = record_of(&row, None);
    let Some(at) = record.submitted_at else { return Ok(0) };
    let inc = incident_row(conn, &row.info.incident_id)?;
    let suggestion = suggestion_for(conn, pack, &inc, &record.answers)?;
    let (_, tasks) = submission_tasks(conn, pack, &record, suggestion.as_ref(), &inc, &row.info.created_by, at)?;
    // Not the review: the queue lists the pulled form itself.
    let tasks: Vec<&TaskInfo> = tasks.iter().filter(|t| t.kind != task_kind_str(TaskKind::SupervisorReview)).collect();
    for t in &tasks {
        insert_task(conn, t)?;
    }
    close_tasks_already_met(conn, &inc.summary.id, pack.kind)?;
    Ok(tasks.len())
}

/// The engine's suggested grade for `answers` of a graded pack on the incident (with its local
/// history); `None` for packs that are not graded.
/// The MARAC criteria the submitted risk assessment `form_id` meets, as its submission saw them
/// ([`bluelamp_forms::marac_criteria`] of its suggestion, from its answers and the local
/// history); none for a form of a pack that is not graded.
pub(crate) fn marac_criteria_of(conn: &Connection, inc: &IncidentRow, form_id: &str) -> CwResult<Vec<String>> {
    let row = form_row(conn, form_id)?;
    let Some(pack) = catalog()?.pack(&row.info.pack_id) else { return Ok(Vec::new()) };
    Ok(suggestion_for(conn, pack, inc, &row.answers)?
        .map(|s| bluelamp_forms::marac_criteria(&s).into_iter().map(str::to_string).collect())
        .unwrap_or_default())
}

fn suggestion_for(
    conn: &Connection,
    pack: &FormPack,
    inc: &IncidentRow,
    answers: &Answers,
) -> CwResult<Option<RiskSuggestion>> {
    if pack.kind != PackKind::RiskAssessment && pack.grading.is_none() {
        return Ok(None);
    }
    let h = history(conn, inc, answers)?;
    Ok(Some(suggest_grade(pack, answers, &h, inc.occurred, &catalog()?.config.grading)))
}

/// What submitting `record` at `at` raises ([`generated_tasks`]), and its task rows: a referral
/// task of a kind already open on the incident (an earlier submission) is not repeated; the
/// referral tasks belong to `author`, the supervisor review to nobody yet.
fn submission_tasks(
    conn: &Connection,
    pack: &FormPack,
    record: &FormRecord,
    suggestion: Option<&RiskSuggestion>,
    inc: &IncidentRow,
    author: &str,
    at: i64,
) -> CwResult<(Vec<Task>, Vec<TaskInfo>)> {
    let children = inc.summary.links.iter().filter(|l| l.role == "child").count();
    let generated = generated_tasks(pack, record, suggestion, children, at, &catalog()?.config);
    let open_kinds: HashSet<String> = conn
        .prepare_cached("SELECT kind FROM tasks WHERE incident_id = ?1 AND status = 'open'")?
        .query_map([&inc.summary.id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let rows = generated
        .iter()
        .filter(|t| t.kind == TaskKind::SupervisorReview || !open_kinds.contains(task_kind_str(t.kind)))
        .map(|t| TaskInfo {
            id: uuid::Uuid::now_v7().to_string(),
            incident_id: Some(inc.summary.id.clone()),
            source_form_id: Some(record.form_id.clone()),
            kind: task_kind_str(t.kind).to_string(),
            title: t.label.clone(),
            owner: (t.kind != TaskKind::SupervisorReview).then(|| author.to_string()),
            due_at: Some(ts(t.due_at)),
            status: "open".into(),
            created_at: ts(at),
        })
        .collect();
    Ok((generated, rows))
}

/// After a form of `kind` is submitted (here or elsewhere) and its tasks made: closes those the
/// incident's recorded referrals already carry out (a MARAC referral made before an amended
/// assessment raised MARAC again), and, for a care plan, the Concern-for-a-Child task when the
/// children's services referral is recorded (the two things it asked for).
fn close_tasks_already_met(conn: &Connection, incident_id: &str, kind: PackKind) -> rusqlite::Result<()> {
    let referrals: Vec<(String, Option<String>)> = conn
        .prepare_cached("SELECT outcome, destination FROM referrals WHERE incident_id = ?1 AND status = 'active'")?
        .query_map([incident_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (outcome, destination) in referrals {
        crate::victims::close_tasks_met_by(conn, incident_id, &outcome, destination.as_deref())?;
    }
    if kind == PackKind::CarePlan && crate::victims::childrens_services_referred(conn, incident_id)? {
        crate::victims::close_open_tasks(conn, incident_id, "concern_for_child")?;
    }
    Ok(())
}

/// Inserts incidents that are not there yet (by id), with their links, inside `tx`; returns how
/// many were new. Closing codes must be known and roles valid (checked by the callers).
pub(crate) fn insert_incidents_in(tx: &rusqlite::Transaction<'_>, incidents: &[NewIncident]) -> CwResult<usize> {
    let codes = &catalog()?.codes;
    let now = ts(now_unix());
    let mut added = 0;
    for i in incidents {
        let id = i.id.clone().unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        let code = i.closing_code.as_deref().and_then(|c| codes.get(c)).map(|c| c.code.clone());
        let n = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO incidents (id, reference, incident_type, offence_category, place, postcode,
                    team, occurred_at, recorded_at, closing_code, assigned_to, updated_at, coded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?
            .execute(params![
                id,
                i.reference.trim(),
                i.incident_type.trim(),
                i.offence_category,
                i.place,
                i.postcode,
                i.team,
                ts(i.occurred_at),
                ts(i.recorded_at),
                code,
                i.assigned_to,
                now,
                code.as_ref().map(|_| ts(i.recorded_at)),
            ])?;
        if n == 0 {
            continue;
        }
        added += 1;
        for (nominal, role) in &i.links {
            if !LINK_ROLES.contains(&role.as_str()) {
                continue;
            }
            tx.prepare_cached(
                "INSERT OR IGNORE INTO incident_links (incident_id, nominal_id, role) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![id, nominal, role])?;
        }
    }
    Ok(added)
}

/// Whether an incident can be dropped from this device: no forms, referral decisions, under-18
/// answers, investigation events, victims told, update preferences or tasks were recorded on it here (the tasks made for pulled forms by [`derive_pulled_tasks`], and for
/// pulled deferrals by `victims::derive_pulled_follow_up`, are not work done here: they leave
/// with those rows).
pub(crate) fn incident_is_untouched(conn: &Connection, id: &str) -> rusqlite::Result<bool> {
    use crate::victims::FOLLOW_UP_ID_PREFIX;
    conn.query_row(
        &format!(
            "SELECT NOT EXISTS (SELECT 1 FROM forms WHERE incident_id = ?1 AND pulled_at IS NULL)
            AND NOT EXISTS (SELECT 1 FROM referrals WHERE incident_id = ?1 AND pulled_at IS NULL)
            AND NOT EXISTS (SELECT 1 FROM under18_answers WHERE incident_id = ?1 AND pulled_at IS NULL)
            AND NOT EXISTS (SELECT 1 FROM investigation_events WHERE incident_id = ?1 AND pulled_at IS NULL)
            AND NOT EXISTS (SELECT 1 FROM victims_told WHERE incident_id = ?1 AND pulled_at IS NULL)
            AND NOT EXISTS (SELECT 1 FROM update_preferences WHERE incident_id = ?1 AND pulled_at IS NULL)
            AND NOT EXISTS (SELECT 1 FROM form_reviews v JOIN forms f ON f.id = v.form_id
                            WHERE f.incident_id = ?1 AND v.pulled_at IS NULL)
            AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.incident_id = ?1
                AND NOT EXISTS (SELECT 1 FROM forms f WHERE f.id = t.source_form_id AND f.pulled_at IS NOT NULL)
                AND NOT EXISTS (SELECT 1 FROM referrals r
                                WHERE t.id = '{FOLLOW_UP_ID_PREFIX}' || r.id AND r.pulled_at IS NOT NULL))"
        ),
        [id],
        |r| r.get(0),
    )
}

pub(crate) fn to_store(e: CaseworkError) -> StoreError {
    match e {
        CaseworkError::Store(s) => s,
        other => StoreError::Invalid(other.to_string()),
    }
}

/// Answers that pass validation for `pack` today ([`bluelamp_forms::sample_answers`]): for
/// demos, tests and the simulated shift.
pub fn sample_answers(pack: &FormPack, people: &[String], positive: bool) -> Value {
    bluelamp_forms::sample_answers(pack, people, positive, now_unix())
}
