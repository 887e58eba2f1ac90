//! Referral decisions: field-level validation, the follow-up task created by a deferral, and
//! the duplicate guard (one active referral per victim, incident and destination).

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

use crate::assess::{safe_contact_check, IncidentFacts, VictimAssessment};
use crate::calendar::Calendar;
use crate::dates::iso_date;
use crate::incident::{Decision, Incident, Outcome};
use crate::rules::{ConsentModel, Rules, VictimBasis};

/// Longest accepted free-text answer (characters).
pub const MAX_TEXT: usize = 4000;
/// The furthest a deferred decision's follow-up may be set after the decision (a year: a date
/// further on is a slip of the year, never overdue and never escalated).
pub const MAX_FOLLOW_UP_DAYS: i64 = 366;

/// A message about one field of a decision (`field` is the JSON field name, or a dotted
/// path such as `safe_contact.safe_number`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FieldMessage {
    /// Field.
    pub field: String,
    /// Message.
    pub message: String,
}

fn fm(field: &str, message: impl Into<String>) -> FieldMessage {
    FieldMessage { field: field.into(), message: message.into() }
}

/// Result of validating a decision.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionCheck {
    /// Errors: the decision must not be saved as complete.
    pub errors: Vec<FieldMessage>,
    /// Warnings: may be saved, but tell the officer.
    pub warnings: Vec<FieldMessage>,
    /// For a valid deferral: the follow-up task to create.
    pub follow_up: Option<FollowUpTask>,
}

impl DecisionCheck {
    /// No errors.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Task created by a deferred decision: ask again when it is safe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpTask {
    /// Incident.
    pub incident_id: String,
    /// Victim.
    pub victim_id: String,
    /// Ask again by the end of this date.
    #[serde(with = "iso_date")]
    pub due: Date,
    /// Why it was deferred.
    pub reason: String,
}

/// The follow-up task for a deferral: `follow_up_due` if given, otherwise the rules'
/// `deferral_follow_up_working_days` after the decision date (or today).
pub fn follow_up_task(
    d: &Decision,
    incident_id: &str,
    rules: &Rules,
    calendar: &Calendar,
    now: OffsetDateTime,
) -> FollowUpTask {
    let due = d.follow_up_due.unwrap_or_else(|| {
        let from = d.at.map_or(now.date(), |a| a.date());
        crate::assess::count(calendar, from, rules.deadlines.deferral_follow_up_working_days).due
    });
    FollowUpTask {
        incident_id: incident_id.trim().to_string(),
        victim_id: d.victim_id.trim().to_string(),
        due,
        reason: d.reason.as_deref().unwrap_or("").trim().to_string(),
    }
}

/// Validates a decision for `incident` (the decision need not be in `incident.decisions`
/// yet; if it is, it is matched by `id` and not counted as its own duplicate).
pub fn validate_decision(
    decision: &Decision,
    incident: &Incident,
    rules: &Rules,
    calendar: &Calendar,
    now: OffsetDateTime,
) -> DecisionCheck {
    let assessment = crate::assess(incident, rules, calendar, now);
    let facts = IncidentFacts::new(incident, rules, calendar, now);
    let victim_id = decision.victim_id.trim();
    let Some(victim) = assessment.victims.iter().find(|v| !victim_id.is_empty() && v.person_id == victim_id) else {
        let mut c = DecisionCheck::default();
        c.errors.push(fm(
            "victim_id",
            if victim_id.is_empty() {
                "Choose the victim this decision is for.".to_string()
            } else {
                format!("{victim_id} is not a victim in this incident.")
            },
        ));
        check_fields_only(decision, &mut c, now);
        return c;
    };
    check_decision(decision, victim, &facts, true)
}

/// Whether a text says nothing: no letter or digit in any script (blank, punctuation, symbols,
/// invisible characters or emoji alone). A decline "in their own words" or a deferral's reason
/// of "." took the victim off the awaiting list with nothing on record (review, 7 Dec 2026).
/// The same test as `bluelamp_forms::answers::says_nothing` for form answers.
pub fn says_nothing(s: &str) -> bool {
    !s.chars().any(char::is_alphanumeric)
}

fn check_fields_only(d: &Decision, c: &mut DecisionCheck, now: OffsetDateTime) {
    match d.at {
        None => c.errors.push(fm("at", "Record when the decision was made.")),
        Some(at) if now.checked_add(Duration::minutes(5)).is_some_and(|limit| at > limit) => {
            c.errors.push(fm("at", "The decision time is in the future."))
        }
        Some(_) => {}
    }
    let text_ok = |s: &Option<String>| s.as_deref().is_some_and(|t| !says_nothing(t));
    match d.outcome {
        None => {
            c.errors.push(fm("outcome", "Choose referred, declined by the victim, or deferred (not safe to ask now)."))
        }
        Some(Outcome::Referred) => {
            if !text_ok(&d.destination) {
                c.errors.push(fm("destination", "Choose where the victim was referred."));
            }
        }
        Some(Outcome::Declined) => {
            if !text_ok(&d.in_their_words) {
                c.errors.push(fm("in_their_words", "Record why the victim declined, in their own words."));
            }
        }
        Some(Outcome::Deferred) => {
            if !text_ok(&d.reason) {
                c.errors.push(fm("reason", "Record why it is not safe to ask the victim now."));
            }
            if let (Some(due), Some(at)) = (d.follow_up_due, d.at) {
                if due < at.date() {
                    c.errors.push(fm("follow_up_due", "The follow-up date is before the decision date."));
                } else if (due - at.date()).whole_days() > MAX_FOLLOW_UP_DAYS {
                    // A slip of the year (9999-12-31): never overdue, never in the queue as late.
                    c.errors.push(fm(
                        "follow_up_due",
                        format!("The follow-up date is more than {MAX_FOLLOW_UP_DAYS} days after the decision: check the year."),
                    ));
                }
            }
        }
    }
    for (field, v) in [("in_their_words", &d.in_their_words), ("reason", &d.reason), ("destination", &d.destination)] {
        if v.as_deref().is_some_and(|t| t.chars().count() > MAX_TEXT) {
            c.errors.push(fm(field, format!("Too long: at most {MAX_TEXT} characters.")));
        }
    }
}

pub(crate) fn check_decision(
    d: &Decision,
    v: &VictimAssessment,
    facts: &IncidentFacts<'_>,
    check_duplicates: bool,
) -> DecisionCheck {
    let rules = facts.rules;
    let mut c = DecisionCheck::default();
    check_fields_only(d, &mut c, facts.now);
    if d.outcome == Some(Outcome::Referred) {
        if let Some(code) = d.destination.as_deref().filter(|s| !s.trim().is_empty()) {
            match rules.destination(code) {
                None => c
                    .errors
                    .push(fm("destination", format!("{:?} is not one of the force's destinations.", code.trim()))),
                Some(dest) => {
                    if !v.destinations.iter().any(|s| s.code == dest.code) {
                        c.warnings.push(fm(
                            "destination",
                            format!("{} is not normally used for this victim: check it is right.", dest.label),
                        ));
                    }
                    if dest.consent_applies {
                        match (v.consent_model, d.consent_given) {
                            (ConsentModel::OptIn, Some(true)) => {}
                            (ConsentModel::OptIn, _) => c.errors.push(fm(
                                "consent_given",
                                format!(
                                    "Referral to {} needs the victim's explicit agreement ({}). Record that they agreed, or record a decline.",
                                    dest.label, v.consent_reason
                                ),
                            )),
                            (ConsentModel::OptOut, Some(false)) => c.errors.push(fm(
                                "consent_given",
                                "The victim objected: record a decline in their words instead of a referral.",
                            )),
                            (ConsentModel::OptOut, _) => {}
                        }
                    }
                    // DA: the service will phone; the safe-contact block must be complete
                    // and the number must not be the suspect's.
                    if facts.da() && dest.contacts_victim && v.basis != VictimBasis::ChildPresent {
                        if let Some(person) = facts.incident.person(&v.person_id) {
                            let sc = safe_contact_check(facts, person);
                            for m in &sc.missing {
                                c.errors.push(fm(
                                    &format!("safe_contact.{m}"),
                                    "Required before a domestic abuse referral: the service will contact the victim.",
                                ));
                            }
                            for w in &sc.warnings {
                                c.errors.push(fm(
                                    if w.code == "suspect_can_access_phone" {
                                        "safe_contact.suspect_can_access_phone"
                                    } else {
                                        "safe_contact.safe_number"
                                    },
                                    w.message.clone(),
                                ));
                            }
                        }
                    }
                    if check_duplicates {
                        let existing: Vec<ReferralRecord> = facts
                            .incident
                            .decisions
                            .iter()
                            .filter(|e| e.id.is_none() || e.id != d.id)
                            .filter_map(|e| ReferralRecord::from_decision(e, &facts.incident.incident_id))
                            .collect();
                        let candidate = ReferralRecord {
                            id: d.id.clone(),
                            incident_id: facts.incident.incident_id.clone(),
                            victim_id: d.victim_id.clone(),
                            destination: code.to_string(),
                            active: !d.withdrawn,
                        };
                        if let DuplicateCheck::Duplicate { existing_id } =
                            check_duplicate_referral(&existing, &candidate)
                        {
                            c.errors.push(fm(
                                "destination",
                                format!(
                                    "There is already an active referral of this victim to {} for this incident{}. If it was recorded in error or is no longer valid, withdraw it first (with the reason).",
                                    dest.label,
                                    existing_id.map(|i| format!(" ({i})")).unwrap_or_default()
                                ),
                            ));
                        }
                    }
                }
            }
        }
    }
    if let (Some(at), Some(rec)) = (d.at, facts.incident.recorded_at) {
        if rec.checked_sub(Duration::days(1)).is_some_and(|r| at < r) {
            c.warnings.push(fm("at", "The decision is dated before the crime was recorded: check the time."));
        }
    }
    if d.outcome == Some(Outcome::Deferred) && c.errors.is_empty() {
        let task = follow_up_task(d, &facts.incident.incident_id, rules, facts.calendar, facts.now);
        if task.due > v.referral_deadline.due {
            c.warnings.push(fm(
                "follow_up_due",
                format!(
                    "The follow-up is after the referral deadline ({}): the item will show as breached in the supervisor queue.",
                    v.referral_deadline.due
                ),
            ));
        }
        c.follow_up = Some(task);
    }
    c
}

/// A referral as seen by the duplicate guard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralRecord {
    /// Record id, if any.
    pub id: Option<String>,
    /// Incident.
    pub incident_id: String,
    /// Victim.
    pub victim_id: String,
    /// Destination code.
    pub destination: String,
    /// Not withdrawn / cancelled.
    pub active: bool,
}

impl ReferralRecord {
    /// The referral a decision represents (`None` unless it is a referral with a destination).
    pub fn from_decision(d: &Decision, incident_id: &str) -> Option<ReferralRecord> {
        if d.outcome != Some(Outcome::Referred) {
            return None;
        }
        let dest = d.destination.as_deref()?.trim();
        if dest.is_empty() {
            return None;
        }
        Some(ReferralRecord {
            id: d.id.clone(),
            incident_id: incident_id.to_string(),
            victim_id: d.victim_id.clone(),
            destination: dest.to_string(),
            active: !d.withdrawn,
        })
    }

    fn key(&self) -> (String, String, String) {
        (
            self.incident_id.trim().to_lowercase(),
            self.victim_id.trim().to_lowercase(),
            self.destination.trim().to_lowercase(),
        )
    }
}

/// Result of the duplicate guard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum DuplicateCheck {
    /// No active referral with the same key.
    Unique,
    /// An active referral already exists for (victim, incident, destination).
    Duplicate {
        /// Its id, if it has one.
        existing_id: Option<String>,
    },
}

/// One active referral per (victim, incident, destination): is `candidate` a duplicate of
/// an active record in `existing`? Keys compare trimmed and case-insensitively; withdrawn
/// records and records with the same id as the candidate are ignored; an inactive
/// candidate is never a duplicate.
pub fn check_duplicate_referral(existing: &[ReferralRecord], candidate: &ReferralRecord) -> DuplicateCheck {
    if !candidate.active {
        return DuplicateCheck::Unique;
    }
    let key = candidate.key();
    existing
        .iter()
        .filter(|e| e.active)
        .filter(|e| candidate.id.is_none() || e.id != candidate.id)
        .find(|e| e.key() == key)
        .map_or(DuplicateCheck::Unique, |e| DuplicateCheck::Duplicate { existing_id: e.id.clone() })
}
