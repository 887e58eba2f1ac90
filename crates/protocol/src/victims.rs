//! Victims' Code (issue 6) as the UI sees it: the per-incident assessment with working-day
//! countdowns and the toolkit directory, the outcome of recording a referral decision (field-level
//! messages), and the "victims awaiting a referral decision" list.
//!
//! The rules engine's own types (`Assessment`, `FieldMessage`, `Service`, …) are re-used as they
//! are: `bluelamp-victims` is pure and builds for wasm32 too.

use serde::{Deserialize, Serialize};

pub use bluelamp_victims::{
    is_key_decision, Answer, Assessment, AwaitingDecision, DeadlineStatus, FieldMessage, SafeContact, Service,
    ServiceQuery, UpdatePreference, VictimAssessment,
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
    /// Right 6: the investigation events recorded on the incident (oldest first), each with its
    /// victims' updates (told, or the countdown to the deadline).
    #[serde(default)]
    pub events: Vec<PanelEvent>,
    /// Right 6: each victim's latest recorded update preference (none recorded: every key event
    /// is owed, `all`).
    #[serde(default)]
    pub update_preferences: Vec<UpdatePreferenceInfo>,
    /// The latest officer's answer to the under-18 question of each victim with no date of
    /// birth (the card shows it, with "Change answer").
    #[serde(default)]
    pub under18_answers: Vec<Under18Answer>,
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

// ---- Right 6: updates after key investigation events ----

/// The investigation events that oblige the police to update the victim (Victims' Code, Right 6):
/// code and label. The codes are what an `InvestigationEvent` stores and sends.
pub const EVENT_KINDS: &[(&str, &str)] = &[
    ("arrested", "Suspect arrested"),
    ("interviewed", "Suspect interviewed"),
    ("released_under_investigation", "Suspect released under investigation"),
    ("bailed", "Suspect released on bail"),
    ("bail_conditions_changed", "Bail conditions set or changed"),
    ("charged", "Suspect charged"),
    ("summonsed", "Suspect summonsed"),
    ("out_of_court_resolution", "Out-of-court resolution given"),
    ("no_further_action", "Decision to take no further action"),
    ("investigation_closed", "Investigation closed"),
];

/// How a victim was told of an event: code and label.
pub const TOLD_HOW: &[(&str, &str)] = &[
    ("phone", "By phone"),
    ("in_person", "In person"),
    ("letter", "By letter"),
    ("email", "By email"),
    ("text", "By text message"),
    ("other", "Another way"),
];

/// The label of an event kind code ([`EVENT_KINDS`]), `None` for an unknown code.
pub fn event_kind_label(code: &str) -> Option<&'static str> {
    EVENT_KINDS.iter().find(|(c, _)| *c == code.trim()).map(|(_, l)| *l)
}

/// The label of a "how told" code ([`TOLD_HOW`]), `None` for an unknown code.
pub fn told_how_label(code: &str) -> Option<&'static str> {
    TOLD_HOW.iter().find(|(c, _)| *c == code.trim()).map(|(_, l)| *l)
}

/// The day an investigation event happened, checked: exactly `YYYY-MM-DD` (a real date,
/// surrounding spaces allowed), not after `today` (the UK date, `YYYY-MM-DD`) and not before
/// `offence_on` (the offence's UK date, when known). Returns the date as `YYYY-MM-DD`, or the
/// message to show beside the date box. The app, the CLI and the store all check with this.
pub fn check_event_date(occurred_on: &str, today: &str, offence_on: Option<&str>) -> Result<String, String> {
    check_day("Date", occurred_on, today, offence_on.map(|o| ("the offence", o)))
}

/// A day typed in a date box named `field`: exactly `YYYY-MM-DD` (a real date, surrounding
/// spaces allowed), not after `today`, and not before `not_before` (what it is, and its date)
/// when that reads. The date as `YYYY-MM-DD`, or the message to show beside the box.
fn check_day(field: &str, text: &str, today: &str, not_before: Option<(&str, &str)>) -> Result<String, String> {
    let d = crate::dates::parse_iso_date(text).map_err(|e| format!("{field}: {e}"))?;
    let date = format!("{:04}-{:02}-{:02}", d.0, d.1, d.2);
    if crate::dates::parse_iso_date(today).is_ok_and(|t| d > t) {
        return Err(format!("{field}: {date} is in the future (today is {})", today.trim()));
    }
    if let Some((what, b)) = not_before.and_then(|(w, b)| crate::dates::parse_iso_date(b).ok().map(|b| (w, b))) {
        if d < b {
            return Err(format!("{field}: {date} is before {what} ({:04}-{:02}-{:02})", b.0, b.1, b.2));
        }
    }
    Ok(date)
}

/// The UK date (`YYYY-MM-DD`, GMT/BST) at `unix` seconds: "today" for an event's date box.
pub fn uk_date(unix: i64) -> String {
    bluelamp_victims::uk::uk_time(unix).date().to_string()
}

/// `record_investigation_event`: a key event in the investigation of an incident (Right 6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvestigationEventRequest {
    pub incident_id: String,
    /// A code of [`EVENT_KINDS`].
    pub kind: String,
    /// The day it happened (`YYYY-MM-DD`, UK date): [`check_event_date`].
    pub occurred_on: String,
}

/// A recorded investigation event (`investigation.event/1`; carried back to other devices in
/// `wire::Casework::events`). Immutable once recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvestigationEventInfo {
    /// UUIDv7, made by the device that recorded it.
    pub id: String,
    pub incident_id: String,
    /// A code of [`EVENT_KINDS`].
    pub kind: String,
    /// `YYYY-MM-DD` (UK date; day 0 of the update deadline).
    pub occurred_on: String,
    /// The officer who recorded it (on the service: the signed-in officer who pushed it).
    pub recorded_by: String,
    /// When (RFC 3339, UTC).
    pub recorded_at: String,
}

/// `record_victim_told`: a victim of the incident was told about an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VictimToldRequest {
    pub incident_id: String,
    /// The event ([`InvestigationEventInfo::id`]).
    pub event_id: String,
    /// The victim (nominal id).
    pub nominal_id: String,
    /// A code of [`TOLD_HOW`].
    pub how: String,
    /// The day they were told (`YYYY-MM-DD`, UK date): [`check_told_on`]. Absent or blank: today.
    #[serde(default)]
    pub told_on: Option<String>,
}

/// A victim told about an event (`victim.updated/1`; carried back to other devices in
/// `wire::Casework::told`). Immutable once recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VictimToldInfo {
    /// UUIDv7, made by the device that recorded it.
    pub id: String,
    pub event_id: String,
    pub incident_id: String,
    pub nominal_id: String,
    /// A code of [`TOLD_HOW`].
    pub how: String,
    /// The officer who told them (on the service: the signed-in officer who pushed it).
    pub told_by: String,
    /// When it was recorded (RFC 3339, UTC).
    pub told_at: String,
    /// The day the victim was told (`YYYY-MM-DD`, UK date), when the officer gave one; absent
    /// (records from before 7 Dec 2026, or none given): the UK date of `told_at`. The deadline
    /// is met or missed on this day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub told_on: Option<String>,
}

impl VictimToldInfo {
    /// The UK day the victim was told: `told_on`, or the UK date of `told_at` (`None` if neither
    /// reads).
    pub fn told_day(&self) -> Option<String> {
        if let Some(d) = self.told_on.as_deref().and_then(|d| crate::dates::parse_iso_date(d).ok()) {
            return Some(format!("{:04}-{:02}-{:02}", d.0, d.1, d.2));
        }
        time::OffsetDateTime::parse(self.told_at.trim(), &time::format_description::well_known::Rfc3339)
            .ok()
            .map(|t| uk_date(t.unix_timestamp()))
    }
}

/// The day a victim was told of an event, checked: blank = `today`; otherwise exactly
/// `YYYY-MM-DD` (a real date), not after `today` (the UK date) and not before the event's day
/// `event_on`. Returns the date, or the message to show beside the date box. The app, the CLI
/// and the store check with this; the service with a day's grace (`today` = tomorrow).
pub fn check_told_on(told_on: Option<&str>, today: &str, event_on: &str) -> Result<String, String> {
    let Some(told_on) = told_on.filter(|t| !t.trim().is_empty()) else {
        return Ok(today.trim().to_string());
    };
    check_day("Told on", told_on, today, Some(("the event", event_on)))
}

/// What updates a victim wants (Right 6): code and label, in the order the form lists them.
pub const UPDATE_PREFERENCES: &[(&str, &str)] = &[
    ("all", "Every key event"),
    ("key_decisions_only", "Key decisions only (charge, summons, out-of-court resolution, no further action, closed)"),
    ("none", "No updates (the victim asked not to be updated)"),
];

/// The label of an update preference code ([`UPDATE_PREFERENCES`]), `None` for an unknown code.
pub fn update_preference_label(code: &str) -> Option<&'static str> {
    UPDATE_PREFERENCES.iter().find(|(c, _)| *c == code.trim()).map(|(_, l)| *l)
}

/// `record_update_preference`: what updates after investigation events a victim of the incident
/// wants (Right 6: "contact preferences and update frequency recorded"). The latest recorded for
/// the person on the incident counts; none recorded is `all`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdatePreferenceRequest {
    pub incident_id: String,
    /// The victim (nominal id).
    pub nominal_id: String,
    /// A code of [`UPDATE_PREFERENCES`].
    pub wants: String,
}

/// A recorded update preference (`victim.update_preference/1`; carried back to other devices in
/// `wire::Casework::update_preferences`). Immutable once recorded: a change is a later record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdatePreferenceInfo {
    /// UUIDv7, made by the device that recorded it.
    pub id: String,
    pub incident_id: String,
    pub nominal_id: String,
    /// A code of [`UPDATE_PREFERENCES`].
    pub wants: String,
    /// The officer who recorded it (on the service: the signed-in officer who pushed it).
    pub recorded_by: String,
    /// When (RFC 3339, UTC).
    pub recorded_at: String,
}

/// One victim's update for one event, as the panel shows it: told (with the record) or owed
/// (with the working-day countdown to its deadline).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventVictim {
    pub person_id: String,
    pub name: Option<String>,
    /// Told: the first record of it.
    pub told: Option<VictimToldInfo>,
    /// Not told yet and owed: the countdown to the deadline (1 working day for a victim with
    /// enhanced rights, 5 otherwise; day 0 = the event).
    pub countdown: Option<Countdown>,
    /// Not told, and not owed: the victim does not want updates of this kind (their update
    /// preference). Shown as "not wanted (victim's preference)".
    #[serde(default)]
    pub not_wanted: bool,
    /// Told after the deadline's day (judged on the day they were told).
    #[serde(default)]
    pub told_late: bool,
}

/// An investigation event with its victims' updates, for the panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelEvent {
    pub event: InvestigationEventInfo,
    pub label: String,
    pub victims: Vec<EventVictim>,
}

#[cfg(test)]
mod event_tests {
    use super::*;

    #[test]
    fn event_dates_are_exact_not_future_and_not_before_the_offence() {
        assert_eq!(check_event_date(" 2026-12-07 ", "2026-12-07", Some("2026-12-01")).as_deref(), Ok("2026-12-07"));
        assert!(check_event_date("2026-12-08", "2026-12-07", None).unwrap_err().contains("future"));
        assert!(check_event_date("2026-11-30", "2026-12-07", Some("2026-12-01")).unwrap_err().contains("before"));
        assert!(check_event_date("2026-02-30", "2026-12-07", None).unwrap_err().contains("not a real date"));
        assert!(check_event_date("7/12/2026", "2026-12-07", None).unwrap_err().contains("not a date"));
        assert_eq!(event_kind_label("charged"), Some("Suspect charged"));
        assert_eq!(event_kind_label("hanged"), None);
        assert_eq!(told_how_label("phone"), Some("By phone"));
    }

    #[test]
    fn told_on_is_blank_for_today_exact_not_future_and_not_before_the_event() {
        assert_eq!(check_told_on(None, "2026-12-07", "2026-12-01").as_deref(), Ok("2026-12-07"));
        assert_eq!(check_told_on(Some("  "), "2026-12-07", "2026-12-01").as_deref(), Ok("2026-12-07"));
        assert_eq!(check_told_on(Some(" 2026-12-02 "), "2026-12-07", "2026-12-01").as_deref(), Ok("2026-12-02"));
        assert!(check_told_on(Some("2026-12-08"), "2026-12-07", "2026-12-01").unwrap_err().contains("future"));
        assert!(check_told_on(Some("2026-11-30"), "2026-12-07", "2026-12-01")
            .unwrap_err()
            .contains("before the event"));
        assert!(check_told_on(Some("2/12/2026"), "2026-12-07", "2026-12-01").unwrap_err().starts_with("Told on:"));
        let mut t = VictimToldInfo {
            id: "t".into(),
            event_id: "e".into(),
            incident_id: "i".into(),
            nominal_id: "n".into(),
            how: "phone".into(),
            told_by: "o".into(),
            told_at: "2026-07-01T23:30:00Z".into(),
            told_on: None,
        };
        assert_eq!(t.told_day().as_deref(), Some("2026-07-02"), "the UK day of told_at (BST)");
        t.told_on = Some("2026-06-30".into());
        assert_eq!(t.told_day().as_deref(), Some("2026-06-30"));
        // An older record (no told_on) still reads.
        let old: VictimToldInfo = serde_json::from_value(serde_json::json!({"id": "t", "event_id": "e",
            "incident_id": "i", "nominal_id": "n", "how": "phone", "told_by": "o", "told_at": "x"}))
        .unwrap();
        assert_eq!(old.told_on, None);
    }

    #[test]
    fn update_preferences_are_the_engine_s_codes_and_key_decisions_are_the_decision_kinds() {
        for (code, _) in UPDATE_PREFERENCES {
            assert_eq!(UpdatePreference::from_code(code).map(|p| p.code()), Some(*code));
        }
        let keys: Vec<&str> = EVENT_KINDS.iter().filter(|(c, _)| is_key_decision(c)).map(|(c, _)| *c).collect();
        assert_eq!(
            keys,
            ["charged", "summonsed", "out_of_court_resolution", "no_further_action", "investigation_closed"]
        );
        for (code, label) in EVENT_KINDS {
            assert_eq!(is_key_decision(code), is_key_decision(label), "{code} / {label}");
        }
    }
}
