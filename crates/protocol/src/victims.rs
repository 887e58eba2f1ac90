//! Victims' Code (issue 6) as the UI sees it: the per-incident assessment with working-day
//! countdowns and the toolkit directory, the outcome of recording a referral decision (field-level
//! messages), and the "victims awaiting a referral decision" list.
//!
//! The rules engine's own types (`Assessment`, `FieldMessage`, `Service`, …) are re-used as they
//! are: `bluelamp-victims` is pure and builds for wasm32 too.

use serde::{Deserialize, Serialize};

pub use bluelamp_victims::{
    Answer, Assessment, AwaitingDecision, DeadlineStatus, FieldMessage, SafeContact, Service, ServiceQuery,
    VictimAssessment,
};

use crate::casework::ReferralDecisionInfo;

/// Working days left before a deadline, for the countdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Countdown {
    /// Person (victim) id.
    pub person_id: String,
    /// Due date (`YYYY-MM-DD`, end of that UK day).
    pub due: String,
    /// Working days after today up to and including the due date (0 = due today);
    /// negative = working days since it was breached.
    pub working_days_left: i64,
    pub status: DeadlineStatus,
    /// e.g. "due in 1 working day", "due today", "breached 2 working days ago".
    pub label: String,
}

/// Everything the Victims panel of an incident shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VictimsPanel {
    /// Store id of the incident (the assessment's `incident_id` is the same).
    pub incident_id: String,
    pub reference: String,
    /// The rules engine's assessment (per victim: enhanced + reasons, consent model,
    /// destinations, deadlines, safe contact, decisions, undetermined questions; prompts).
    pub assessment: Assessment,
    /// Referral-decision countdown per victim.
    pub countdowns: Vec<Countdown>,
    /// Prompts for closing the incident (the "closed" stage).
    pub closing_prompts: Vec<bluelamp_victims::Prompt>,
    /// The referral decisions recorded on the incident, with their stored details.
    pub decisions: Vec<ReferralDecisionInfo>,
    /// The offline toolkit directory (filter with [`ServiceQuery::matches`]).
    pub services: Vec<Service>,
    /// Area of the incident for the toolkit filter (force area), if known.
    pub area: Option<String>,
    /// Answer kind of each needs-assessment question of the rules (`yes_no` or `text`).
    pub needs_kinds: std::collections::BTreeMap<String, String>,
}

/// What recording a referral decision gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum RecordReferralOutcome {
    /// Recorded (warnings were shown and are stored with the decision).
    Recorded { decision: ReferralDecisionInfo, warnings: Vec<FieldMessage> },
    /// Not recorded: field-level errors (nothing written).
    Rejected { errors: Vec<FieldMessage>, warnings: Vec<FieldMessage> },
}

/// One row of the "victims awaiting a referral decision" list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwaitingRow {
    /// Store id of the incident.
    pub incident_id: String,
    pub reference: String,
    pub incident_type: String,
    pub row: AwaitingDecision,
    pub countdown: Countdown,
}

/// `victims_awaiting`: every open incident (no filter yet; a struct so it can grow).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwaitingRequest {}

/// The question code the rules engine asks when a victim has no date of birth ("was this victim
/// under 18 at the time of the offence?"); [`Under18Request`] answers it.
pub const UNDER_18_QUESTION: &str = "missing_date_of_birth";

/// `record_under18_answer`: the officer's answer to "Date of birth not recorded: was this victim
/// under 18 at the time of the offence?" for one victim of one incident. Only for a person
/// linked to the incident as a victim with no date of birth recorded (a recorded date of birth
/// decides). The latest answer for the person on the incident counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Under18Request {
    pub incident_id: String,
    /// The victim (nominal id).
    pub nominal_id: String,
    /// Under 18 at the time of the offence.
    pub under_18: bool,
}

/// An officer's recorded answer to the under-18 question (`victim.under18/1`; carried back to
/// other devices in `wire::Casework::under18_answers`). Immutable once recorded: a correction is
/// a later answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Under18Answer {
    /// UUIDv7, made by the device that recorded it.
    pub id: String,
    pub incident_id: String,
    pub nominal_id: String,
    pub under_18: bool,
    /// The officer who answered (on the service: the signed-in officer who pushed it).
    pub answered_by: String,
    /// When (RFC 3339, UTC).
    pub answered_at: String,
}
