//! Casework (issue 5, and the referral decision of issue 6): incidents, safeguarding forms,
//! tasks, referral decisions, the closing-code gate and the supervisor queue, as the UI sees
//! them. Plain data; the store (`bluelamp_store::casework`) fills them in and enforces the rules.
//!
//! The form engine's own data types (`RiskSuggestion`, `SubmitIssue`, `MissingItem`,
//! `SupervisorQueue`, …) are re-used as they are: `bluelamp-forms` is pure and builds for wasm32
//! too, so the frontend gets one definition of each.
//!
//! Times are UTC RFC 3339 strings (`YYYY-MM-DDTHH:MM:SSZ`) unless a field says unix seconds
//! (the form engine's types count in unix seconds).

use serde::{Deserialize, Serialize};

pub use bluelamp_forms::{
    FormStatus, Grade, MissingItem, MissingKind, NfaDupReason, NfaDupRefusal, PackKind, Review, ReviewDecision,
    RiskSuggestion, SubmitIssue, SupervisorQueue,
};

/// Open until the gate lets the officer finalise it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Open,
    Finalised,
}

impl IncidentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Open => "open",
            IncidentStatus::Finalised => "finalised",
        }
    }

    pub fn parse(s: &str) -> Option<IncidentStatus> {
        match s {
            "open" => Some(IncidentStatus::Open),
            "finalised" => Some(IncidentStatus::Finalised),
            _ => None,
        }
    }
}

/// A person linked to an incident in one role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedPerson {
    pub nominal_id: String,
    /// `victim`, `suspect`, `witness`, `child`, `reporting_person`, `bereaved_relative`,
    /// `parent_or_guardian`, `deceased`.
    pub role: String,
    /// "Given Surname" from the nominal cache, when the nominal is there.
    pub name: Option<String>,
    /// `YYYY-MM-DD`, from the nominal cache.
    pub date_of_birth: Option<String>,
}

/// One row of the officer's incident list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentSummary {
    /// UUIDv7.
    pub id: String,
    /// e.g. `INC-2026-000123`.
    pub reference: String,
    /// Type / offence category, e.g. `domestic_abuse`, `concern_for_child`, `theft`.
    pub incident_type: String,
    pub offence_category: Option<String>,
    pub place: Option<String>,
    pub postcode: Option<String>,
    pub team: Option<String>,
    pub occurred_at: String,
    pub recorded_at: String,
    pub status: IncidentStatus,
    /// Code from the closing-code list (`assets/codes/closing-codes.json`), once chosen.
    pub closing_code: Option<String>,
    pub assigned_to: Option<String>,
    pub links: Vec<LinkedPerson>,
    /// When the central service stopped sending this incident to this officer (reassigned,
    /// or the officer moved), if it is kept here because work recorded on this device is on it.
    #[serde(default)]
    pub no_longer_assigned_since: Option<String>,
    /// Why it is closed `NFA-DUP` (a duplicate of another incident, or no incident found).
    #[serde(default)]
    pub nfa_dup_reason: Option<NfaDupReason>,
    /// The reason as shown: "Closed as a duplicate of INC-…" / "No incident found: …".
    #[serde(default)]
    pub nfa_dup_shown: Option<String>,
    /// Why a duplicate-of reason no longer holds, checked again on what is held now (the original
    /// was recoded from domestic abuse, or closed NFA-DUP itself since): the gate asks for
    /// another reason. `None` while it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nfa_dup_no_longer: Option<String>,
}

/// A form of an incident, without its answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormInfo {
    /// UUIDv7.
    pub id: String,
    pub incident_id: String,
    pub pack_id: String,
    pub pack_version: String,
    /// Title of the pack (empty when the pack is no longer installed).
    pub title: String,
    /// `None` when the pack is no longer installed.
    pub kind: Option<PackKind>,
    pub status: FormStatus,
    /// The wizard page to reopen at (autosaved with every change).
    pub current_section: Option<String>,
    pub officer_grade: Option<Grade>,
    pub rationale: Option<String>,
    /// The form this one corrects (an amendment is a new form).
    pub amends_id: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub submitted_at: Option<String>,
    /// Supervisor reviews, oldest first (`at` in unix seconds).
    pub reviews: Vec<Review>,
}

/// A form with its answers (the wizard's state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormDetail {
    pub info: FormInfo,
    /// Answers object (format in `bluelamp_forms` docs).
    pub answers: serde_json::Value,
    /// Revision of the draft's last autosave ([`SaveDraftRequest::revision`]); the screen
    /// numbers its next saves above it.
    #[serde(default)]
    pub draft_revision: u64,
}

/// A task on an incident (generated on submission, or by a deferred referral decision).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskInfo {
    pub id: String,
    pub incident_id: Option<String>,
    pub source_form_id: Option<String>,
    /// `marac_referral`, `idva_referral`, `concern_for_child`, `supervisor_review`,
    /// `referral_follow_up`.
    pub kind: String,
    pub title: String,
    pub owner: Option<String>,
    pub due_at: Option<String>,
    /// `open`, `done`, `cancelled`.
    pub status: String,
    pub created_at: String,
}

/// Outcome of a Victims' Code referral decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferralOutcome {
    /// Referred to a destination.
    Referred,
    /// The victim declined (recorded in their own words).
    Declined,
    /// Not safe to ask now: a follow-up task is created.
    Deferred,
}

impl ReferralDecisionInput {
    /// The follow-up date as given (`None` if blank), or why it is not one: exactly
    /// `YYYY-MM-DD`, surrounding whitespace allowed (`crate::dates::parse_iso_date`).
    pub fn follow_up_date(&self) -> Result<Option<(i32, u8, u8)>, String> {
        match self.follow_up_due.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(d) => crate::dates::parse_iso_date(d).map(Some),
            None => Ok(None),
        }
    }
}

impl ReferralOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ReferralOutcome::Referred => "referred",
            ReferralOutcome::Declined => "declined",
            ReferralOutcome::Deferred => "deferred",
        }
    }

    pub fn parse(s: &str) -> Option<ReferralOutcome> {
        match s {
            "referred" => Some(ReferralOutcome::Referred),
            "declined" => Some(ReferralOutcome::Declined),
            "deferred" => Some(ReferralOutcome::Deferred),
            _ => None,
        }
    }
}

/// A referral decision as the officer records it (flat, like `bluelamp_victims::Decision`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralDecisionInput {
    pub outcome: ReferralOutcome,
    /// Referred: destination code (e.g. `idva`, `victim_service`, `isva`).
    #[serde(default)]
    pub destination: Option<String>,
    /// Referred: the victim agreed (opt-in) / did not object (opt-out).
    #[serde(default)]
    pub consent_given: Option<bool>,
    /// Declined: the victim's reasons in their own words.
    #[serde(default)]
    pub in_their_words: Option<String>,
    /// Deferred: why it is not safe to ask now.
    #[serde(default)]
    pub reason: Option<String>,
    /// Deferred: ask again by this date (`YYYY-MM-DD`); default: the force rules' follow-up
    /// period in working days (force calendar) after the decision.
    #[serde(default)]
    pub follow_up_due: Option<String>,
    /// Services from the victims' toolkit offered on the spot (service ids).
    #[serde(default)]
    pub services_offered: Vec<String>,
    /// Safe-contact block (mandatory before a domestic-abuse referral to a service that will
    /// contact the victim). Stored with the decision.
    #[serde(default)]
    pub safe_contact: Option<bluelamp_victims::SafeContact>,
    /// Needs-assessment answers (question id from the force rules → yes/no or text), stored with
    /// the decision; "yes" to some questions means vulnerable or intimidated (enhanced rights).
    #[serde(default)]
    pub needs: std::collections::BTreeMap<String, bluelamp_victims::Answer>,
}

/// A recorded referral decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralDecisionInfo {
    pub id: String,
    pub incident_id: String,
    pub victim_id: String,
    pub outcome: ReferralOutcome,
    pub destination: Option<String>,
    /// The rest of the input (words, reason, consent, services offered, follow-up date).
    pub details: serde_json::Value,
    /// `active` or `withdrawn`.
    pub status: String,
    pub decided_at: String,
    pub decided_by: String,
    /// Why, when and by whom the decision was withdrawn (status `withdrawn`). Kept with the
    /// decision, which is never deleted. Absent for an active decision, and for one withdrawn
    /// before 7 Dec 2026 (nothing withdrew a decision then but a status change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal: Option<Box<ReferralWithdrawal>>,
}

/// A referral decision withdrawn (recorded in error, or no longer valid: e.g. an opt-out referral
/// made without the victim's agreement, on an incident later recoded to domestic abuse, which
/// needs it). The decision stays in the history; a fresh one can then be recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralWithdrawal {
    /// Why, in the officer's words.
    pub reason: String,
    /// When (RFC 3339, UTC).
    pub withdrawn_at: String,
    /// The officer who withdrew it.
    pub withdrawn_by: String,
}

/// The closing-code gate on the incident's current state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateStatus {
    pub closing_code: Option<String>,
    /// Nothing missing: finalising will be accepted.
    pub can_finalise: bool,
    /// Every missing item (kind + label + the form or victim to open).
    pub missing: Vec<MissingItem>,
}

/// Everything on one incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentDetail {
    pub summary: IncidentSummary,
    pub forms: Vec<FormInfo>,
    pub tasks: Vec<TaskInfo>,
    pub referrals: Vec<ReferralDecisionInfo>,
    pub gate: GateStatus,
}

/// A successful submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submitted {
    pub form_id: String,
    /// The engine's suggested grade with its reasons (risk assessments).
    pub suggestion: Option<RiskSuggestion>,
    /// Tasks created with the submission (MARAC, IDVA, Concern for a Child, supervisor review).
    pub tasks: Vec<TaskInfo>,
}

/// What a submit attempt gave: submitted, or rejected with field-level issues (nothing written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum SubmitOutcome {
    Submitted(Submitted),
    Rejected { issues: Vec<SubmitIssue> },
}

// ---- requests (one struct per Tauri command) ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentRequest {
    pub incident_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormRequest {
    pub form_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartFormRequest {
    pub incident_id: String,
    pub pack_id: String,
    /// The person the form is about, when the officer starts it from the gate's item for one
    /// victim ("Complete a risk assessment for Jane Doe"): a new form's `victim` answer, and a
    /// draft about someone else is not resumed for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub victim_id: Option<String>,
}

/// Autosave: sent on every change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SaveDraftRequest {
    pub form_id: String,
    pub answers: serde_json::Value,
    pub current_section: Option<String>,
    /// The screen's number for this save, increasing with every save of the form: a save that
    /// arrives after a later-numbered one is ignored (it would overwrite newer answers).
    /// `None`: always applied.
    #[serde(default)]
    pub revision: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitFormRequest {
    pub form_id: String,
    /// Required by risk packs (`requires_grade`).
    pub officer_grade: Option<Grade>,
    pub rationale: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewFormRequest {
    pub form_id: String,
    pub decision: ReviewDecision,
    /// Mandatory when returning.
    pub comments: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordReferralRequest {
    pub incident_id: String,
    pub victim_id: String,
    pub decision: ReferralDecisionInput,
}

/// `withdraw_referral`: withdraws one active referral decision of the incident, with a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawReferralRequest {
    pub incident_id: String,
    /// The decision's id (`ReferralDecisionInfo::id`).
    pub referral_id: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetClosingCodeRequest {
    pub incident_id: String,
    /// `None` clears the code.
    pub code: Option<String>,
    /// With `NFA-DUP`: the incident this one duplicates (its id or reference).
    #[serde(default)]
    pub duplicate_of: Option<String>,
    /// With `NFA-DUP`: no incident found, the officer's account.
    #[serde(default)]
    pub no_incident_found: Option<String>,
}

impl SetClosingCodeRequest {
    /// The `NFA-DUP` reason given (blank fields are absent; both given is refused).
    pub fn nfa_dup_reason(&self) -> Result<Option<NfaDupReason>, NfaDupRefusal> {
        NfaDupReason::from_fields(self.duplicate_of.as_deref(), self.no_incident_found.as_deref())
    }
}

/// What finalising gave: done, or refused with every missing item (nothing changed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinaliseOutcome {
    pub finalised: bool,
    pub missing: Vec<MissingItem>,
}

/// `list_incidents`: the officer's incidents (no filter yet; a struct so it can grow).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListIncidentsRequest {}

// ---- supervisor queue and review (supervisors and superusers only) ----

/// `supervisor_queue`: the queue at the backend's clock (a struct so it can grow filters).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisorQueueRequest {}

/// What the queue screen shows next to the engine's ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueIncidentRef {
    pub id: String,
    pub reference: String,
    pub incident_type: String,
    pub place: Option<String>,
    pub assigned_to: Option<String>,
}

/// The supervisor queue and the references of the incidents it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueView {
    /// The time the queue was built at (unix seconds): deadlines are relative to it.
    pub now: i64,
    pub queue: SupervisorQueue,
    /// One entry per incident named by `queue` (items and daily review) or by `tasks`.
    pub incidents: Vec<QueueIncidentRef>,
    /// Open tasks of the device's incidents (MARAC and IDVA referrals, Concern-for-a-Child
    /// referrals, asking a victim again about a referral), overdue first, then soonest due.
    /// Supervisor reviews are not repeated here: the queue lists the forms waiting for review.
    #[serde(default)]
    pub tasks: Vec<QueueTask>,
}

/// An open task as the supervisor queue lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueTask {
    pub task: TaskInfo,
    /// `task.due_at` in unix seconds, when it has one.
    pub due: Option<i64>,
}

/// `get_form_review`: a submitted form as the reviewing supervisor sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormReviewView {
    pub form: FormDetail,
    pub incident: IncidentSummary,
    /// The engine's suggestion, recomputed from the submitted answers and the local history
    /// (risk packs only).
    pub suggestion: Option<RiskSuggestion>,
    /// Whether the supervisor may decide now (submitted, and not their own form).
    pub can_review: bool,
    /// Why not, when `can_review` is false.
    pub why_not: Option<String>,
}

/// Longest reason for withdrawing a referral decision (characters).
pub const MAX_WITHDRAWAL_REASON_CHARS: usize = 4000;

/// What is wrong with a reason for withdrawing a referral decision, or `None`: it must say
/// something, in at most [`MAX_WITHDRAWAL_REASON_CHARS`] characters (trimmed), with no control
/// character but a line break or tab. The app checks it before sending, the store again.
pub fn withdrawal_reason_problem(reason: &str) -> Option<String> {
    let r = reason.trim();
    if bluelamp_forms::answers::says_nothing(r) {
        return Some("Give the reason for withdrawing this decision: it is kept with it.".into());
    }
    let n = r.chars().count();
    if n > MAX_WITHDRAWAL_REASON_CHARS {
        return Some(format!("The reason is too long: {n} characters, at most {MAX_WITHDRAWAL_REASON_CHARS}."));
    }
    if r.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Some("The reason contains a control character (such as NUL): remove it.".into());
    }
    None
}
