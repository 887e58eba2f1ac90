//! Prompts for the officer (when an incident is saved or closed) and the work queues:
//! "victims awaiting a referral decision" and the supervisor queue.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::assess::{Assessment, ReferralState, VictimAssessment};
use crate::dates::iso_date;
use crate::deadline::DeadlineStatus;
use crate::rules::{DestinationKind, VictimBasis};

/// When prompts are produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptStage {
    /// The incident is being saved: prompts guide, nothing blocks.
    Saved,
    /// The incident is being closed: unfinished victim work blocks closure.
    Closed,
}

/// How strongly a prompt is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// For information.
    Info,
    /// Something to do.
    Action,
    /// A safety or deadline warning.
    Warning,
    /// Closure is blocked until this is done.
    Blocking,
}

/// One prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    /// Stable code, e.g. `record_referral_decision`, `safe_contact_required`,
    /// `notify_destination`, `answer_question`.
    pub code: String,
    /// Severity.
    pub severity: Severity,
    /// The victim concerned (none = incident-level).
    pub person_id: Option<String>,
    /// Destination concerned, if any.
    pub destination: Option<String>,
    /// Text for the officer.
    pub message: String,
}

fn prompt(code: &str, severity: Severity, person: Option<&str>, destination: Option<&str>, message: String) -> Prompt {
    Prompt {
        code: code.into(),
        severity,
        person_id: person.map(String::from),
        destination: destination.map(String::from),
        message,
    }
}

fn who(v: &VictimAssessment) -> String {
    match &v.name {
        Some(n) => format!("{n} ({})", v.person_id),
        None => v.person_id.clone(),
    }
}

/// Prompts for an assessed incident at a stage. Deterministic order: incident-level first,
/// then victims in assessment order.
pub fn prompts_for(a: &Assessment, stage: PromptStage) -> Vec<Prompt> {
    let closing = stage == PromptStage::Closed;
    let must = if closing { Severity::Blocking } else { Severity::Action };
    let mut out = Vec::new();
    for u in &a.undetermined {
        out.push(prompt("answer_question", must, None, None, u.question.clone()));
    }
    for w in &a.warnings {
        out.push(prompt(&w.code, Severity::Warning, None, None, w.message.clone()));
    }
    for v in &a.victims {
        let pid = Some(v.person_id.as_str());
        let name = who(v);
        if v.enhanced {
            let why: Vec<&str> = v.enhanced_reasons.iter().map(|r| r.detail.as_str()).collect();
            out.push(prompt(
                "enhanced_rights",
                Severity::Info,
                pid,
                None,
                format!("{name} is entitled to enhanced rights: {}", why.join(" ")),
            ));
        }
        for u in &v.undetermined {
            out.push(prompt("answer_question", must, pid, None, format!("{name}: {}", u.question)));
        }
        for w in &v.warnings {
            out.push(prompt(&w.code, Severity::Warning, pid, None, format!("{name}: {}", w.message)));
        }
        if let Some(sc) = &v.safe_contact {
            if !sc.missing.is_empty() {
                out.push(prompt(
                    "safe_contact_required",
                    must,
                    pid,
                    None,
                    format!("{name}: domestic abuse: complete the safe-contact details ({}).", sc.missing.join(", ")),
                ));
            }
            for w in &sc.warnings {
                out.push(prompt(&w.code, Severity::Warning, pid, None, format!("{name}: {}", w.message)));
            }
        }
        let unanswered: Vec<&str> = v.needs_questions.iter().filter(|q| !q.answered).map(|q| q.id.as_str()).collect();
        if !unanswered.is_empty() && v.basis != VictimBasis::ChildPresent {
            out.push(prompt(
                "needs_assessment",
                Severity::Action,
                pid,
                None,
                format!("{name}: offer a needs assessment (unanswered: {}).", unanswered.join(", ")),
            ));
        }
        match v.referral_state {
            ReferralState::AwaitingDecision => {
                let (sev, when) = match v.deadline_status {
                    Some(DeadlineStatus::Breached) => (Severity::Warning, "was due"),
                    Some(DeadlineStatus::DueSoon) => (Severity::Warning, "is due soon, by the end of"),
                    _ => (Severity::Action, "is due by the end of"),
                };
                let sev = if closing { Severity::Blocking } else { sev };
                out.push(prompt(
                    "record_referral_decision",
                    sev,
                    pid,
                    None,
                    format!(
                        "{name}: record a referral decision (referred, declined in their words, or deferred as unsafe to ask). It {when} {}. Consent: {}: {}",
                        v.referral_deadline.due,
                        match v.consent_model {
                            crate::rules::ConsentModel::OptIn => "opt-in (explicit agreement needed)",
                            crate::rules::ConsentModel::OptOut => "opt-out (referred unless they object)",
                        },
                        v.consent_reason
                    ),
                ));
            }
            ReferralState::Deferred => {
                if let Some(t) = &v.follow_up {
                    out.push(prompt(
                        "deferred_follow_up",
                        if v.escalate { Severity::Warning } else { Severity::Info },
                        pid,
                        None,
                        format!("{name}: referral deferred; ask again by the end of {}.", t.due),
                    ));
                }
            }
            ReferralState::Referred | ReferralState::Declined => {}
        }
        for d in &v.destinations {
            if d.recorded {
                continue;
            }
            let notification = d.kind == DestinationKind::Notification;
            // Notifications proceed without consent: they block closure until recorded.
            // Referrals are offered; a decline or deferral is a valid decision.
            let sev = match (notification, closing) {
                (true, true) => Severity::Blocking,
                _ => Severity::Action,
            };
            if !notification && v.referral_state != ReferralState::AwaitingDecision {
                continue;
            }
            let code = if notification { "notify_destination" } else { "offer_destination" };
            out.push(prompt(code, sev, pid, Some(&d.code), format!("{name}: {} — {}", d.label, d.reason)));
        }
        for p in &v.possible_destinations {
            out.push(prompt(
                "possible_destination",
                Severity::Info,
                pid,
                Some(&p.code),
                format!("{name}: {} may apply once {} is known.", p.label, p.depends_on.join(" and ")),
            ));
        }
        for u in &v.updates {
            if let Some(s) = u.status {
                out.push(prompt(
                    "victim_update_due",
                    if s.escalate() { Severity::Warning } else { Severity::Action },
                    pid,
                    None,
                    format!(
                        "{name}: tell the victim about \"{}\" by the end of {} ({} working day(s)).",
                        u.kind, u.deadline.due, u.deadline.working_days
                    ),
                ));
            }
        }
        for d in v.decisions.iter().filter(|d| !d.valid) {
            let msgs: Vec<String> = d.errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
            out.push(prompt(
                "invalid_decision",
                must,
                pid,
                d.destination.as_deref(),
                // A decision once valid can stop being so (an opt-out referral made without asking,
                // on an incident recoded to domestic abuse, which needs explicit agreement): it is
                // withdrawn, with the reason, and a fresh one recorded. The prompt used to say only
                // "record that they agreed", which the duplicate guard then refused (review,
                // 7 Dec 2026).
                format!(
                    "{name}: a recorded decision is not valid under the rules for this incident: {}. Withdraw it (with the reason; it stays in the history) and record a fresh decision.",
                    msgs.iter().map(|m| m.trim_end_matches('.')).collect::<Vec<_>>().join("; ")
                ),
            ));
        }
    }
    out
}

/// A row of the "victims awaiting a referral decision" list or the supervisor queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwaitingDecision {
    /// Incident.
    pub incident_id: String,
    /// Victim.
    pub person_id: String,
    /// Name.
    pub name: Option<String>,
    /// Enhanced rights.
    pub enhanced: bool,
    /// Awaiting or deferred.
    pub state: ReferralState,
    /// Referral deadline.
    #[serde(with = "iso_date")]
    pub due: Date,
    /// Deadline status at assessment time.
    pub status: DeadlineStatus,
    /// Deferred: follow-up date.
    #[serde(with = "iso_date::option")]
    pub follow_up_due: Option<Date>,
    /// Belongs in the supervisor queue.
    pub escalate: bool,
}

/// Every victim still awaiting a referral decision (or deferred), most urgent first
/// (breached, then due soon, then by due date, incident and person).
pub fn awaiting_referral_decisions(assessments: &[Assessment]) -> Vec<AwaitingDecision> {
    let mut rows: Vec<AwaitingDecision> = assessments
        .iter()
        .flat_map(|a| {
            a.victims.iter().filter_map(move |v| {
                if !matches!(v.referral_state, ReferralState::AwaitingDecision | ReferralState::Deferred) {
                    return None;
                }
                Some(AwaitingDecision {
                    incident_id: a.incident_id.clone(),
                    person_id: v.person_id.clone(),
                    name: v.name.clone(),
                    enhanced: v.enhanced,
                    state: v.referral_state,
                    due: v.referral_deadline.due,
                    status: v.deadline_status.unwrap_or(DeadlineStatus::Ok),
                    follow_up_due: v.follow_up.as_ref().map(|t| t.due),
                    escalate: v.escalate,
                })
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        b.status
            .cmp(&a.status)
            .then(a.due.cmp(&b.due))
            .then_with(|| a.incident_id.cmp(&b.incident_id))
            .then_with(|| a.person_id.cmp(&b.person_id))
    });
    rows
}

/// Victims whose referral, follow-up or update deadline is due soon or breached, for the
/// supervisor queue. (Victims with a decision but an overdue update are included too.)
pub fn supervisor_queue(assessments: &[Assessment]) -> Vec<AwaitingDecision> {
    let mut rows: Vec<AwaitingDecision> =
        awaiting_referral_decisions(assessments).into_iter().filter(|r| r.escalate).collect();
    for a in assessments {
        for v in &a.victims {
            if v.escalate && matches!(v.referral_state, ReferralState::Referred | ReferralState::Declined) {
                rows.push(AwaitingDecision {
                    incident_id: a.incident_id.clone(),
                    person_id: v.person_id.clone(),
                    name: v.name.clone(),
                    enhanced: v.enhanced,
                    state: v.referral_state,
                    due: v
                        .updates
                        .iter()
                        .filter(|u| u.status.is_some_and(DeadlineStatus::escalate))
                        .map(|u| u.deadline.due)
                        .min()
                        .unwrap_or(v.referral_deadline.due),
                    status: v.updates.iter().filter_map(|u| u.status).max().unwrap_or(DeadlineStatus::Ok),
                    follow_up_due: None,
                    escalate: true,
                });
            }
        }
    }
    rows
}
