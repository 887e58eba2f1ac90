//! The assessment: who the victims are, enhanced rights with reasons, consent model,
//! destinations, safe contact, deadlines, decisions and what still needs an answer.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

use crate::calendar::{Calendar, WorkingDate};
use crate::dates::{iso_date, rfc3339};
use crate::deadline::{deadline_end, deadline_status, DeadlineStatus};
use crate::decision::{check_decision, FieldMessage, FollowUpTask};
use crate::incident::{Incident, Outcome, Person, Role};
use crate::phone::{parse_phone_field, same_phone};
use crate::prompts::{prompts_for, Prompt, PromptStage};
use crate::rules::{
    CategoryTag, Condition, ConsentModel, DestinationKind, EnhancedGround, RiskLevel, Rules, SchoolHoliday, VictimBasis,
};

/// Identifies the output format; bumped on any incompatible change.
pub const ASSESSMENT_FORMAT: &str = "bluelamp-victims-assessment/1";

/// A warning shown to the officer (does not block on its own).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Warning {
    /// Stable code, e.g. `safe_number_matches_suspect`.
    pub code: String,
    /// Plain-English message.
    pub message: String,
}

/// Something the engine could not decide: a question for the officer, never a failure.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Undetermined {
    /// Stable code, e.g. `missing_date_of_birth`.
    pub code: String,
    /// The question to put to the officer.
    pub question: String,
}

/// An offence category as understood by the rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryFinding {
    /// Code.
    pub code: String,
    /// Label.
    pub label: String,
    /// Most serious crime.
    pub most_serious: bool,
}

/// One ground for enhanced rights, with the reason shown to the officer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnhancedReason {
    /// Ground.
    pub ground: EnhancedGround,
    /// Why, in plain English.
    pub detail: String,
}

/// A destination that applies to this victim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestinationSuggestion {
    /// Destination code.
    pub code: String,
    /// Label.
    pub label: String,
    /// Referral or notification.
    pub kind: DestinationKind,
    /// Whether the consent model applies.
    pub consent_applies: bool,
    /// Why it applies.
    pub reason: String,
    /// Already recorded as an active referral/notification for this victim.
    pub recorded: bool,
    /// Due before this working day starts at 08:30 UK time (Operation Encompass: before the
    /// first school day that starts after the incident was recorded, [`next_school_day`]),
    /// rather than with the referral decision.
    #[serde(default, with = "iso_date::option", skip_serializing_if = "Option::is_none")]
    pub due_before: Option<Date>,
}

/// A destination that would apply depending on an answer not yet given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PossibleDestination {
    /// Destination code.
    pub code: String,
    /// Label.
    pub label: String,
    /// The facts still needed (`under_18`, `risk_level`).
    pub depends_on: Vec<String>,
}

/// A needs-assessment question and whether it has been answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionStatus {
    /// Question id.
    pub id: String,
    /// Text.
    pub text: String,
    /// Answered.
    pub answered: bool,
}

/// Safe-contact check (domestic abuse).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafeContactCheck {
    /// Mandatory fields not yet answered (`safe_number`, `safe_times`, `voicemail_safe`,
    /// `text_safe`, `letters_safe`, `suspect_can_access_phone`).
    pub missing: Vec<String>,
    /// Safety warnings (e.g. the safe number is held for a suspect).
    pub warnings: Vec<Warning>,
    /// The safe number, normalised, when recognisable (several, comma-separated, when the field
    /// gives several).
    pub normalised_number: Option<String>,
}

impl SafeContactCheck {
    /// Complete and no warnings.
    pub fn is_safe_to_use(&self) -> bool {
        self.missing.is_empty() && self.warnings.is_empty()
    }
}

/// A working-day deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// Day 0.
    #[serde(with = "iso_date")]
    pub from: Date,
    /// Working days allowed.
    pub working_days: u32,
    /// Due by the end of this date.
    #[serde(with = "iso_date")]
    pub due: Date,
    /// Counted partly outside the calendar's years (weekends only): may be early, never late.
    pub approximate: bool,
}

/// Where the referral decision stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferralState {
    /// No valid decision yet.
    AwaitingDecision,
    /// Referred to at least one destination.
    Referred,
    /// Declined by the victim.
    Declined,
    /// Deferred: not safe to ask now; follow-up task open. Also when another destination was
    /// notified without asking the victim (MARAC) before or after: the deferral stays open
    /// until a decline or a consent-based referral is recorded after it.
    Deferred,
}

/// A recorded decision as the engine saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionSummary {
    /// Decision id, if any.
    pub id: Option<String>,
    /// Outcome.
    pub outcome: Option<Outcome>,
    /// Destination (referred).
    pub destination: Option<String>,
    /// When.
    #[serde(with = "rfc3339::option")]
    pub at: Option<OffsetDateTime>,
    /// Made before the referral deadline ended.
    pub on_time: Option<bool>,
    /// Counts (no validation errors).
    pub valid: bool,
    /// Validation errors (field-level).
    pub errors: Vec<FieldMessage>,
    /// Validation warnings.
    pub warnings: Vec<FieldMessage>,
}

/// An update owed to the victim after an investigation event (Right 6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateDue {
    /// Event kind.
    pub kind: String,
    /// Deadline (day 0 = the event).
    pub deadline: Deadline,
    /// Already told.
    pub informed: bool,
    /// Status when not yet told and wanted (owed).
    pub status: Option<DeadlineStatus>,
    /// Not told, and the victim does not want updates of this kind (their recorded
    /// [`crate::UpdatePreference`]): shown as "not wanted (victim's preference)", not owed,
    /// never escalated.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_wanted: bool,
    /// Told: the day, when known.
    #[serde(default, with = "crate::dates::iso_date::option", skip_serializing_if = "Option::is_none")]
    pub told_on: Option<time::Date>,
    /// Told: whether on or before the deadline's day (`None`: not told, or the day unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_time: Option<bool>,
}

/// Everything the engine says about one victim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VictimAssessment {
    /// Person id.
    pub person_id: String,
    /// Name.
    pub name: Option<String>,
    /// Why this person is a victim.
    pub basis: VictimBasis,
    /// Ids of the people this person acts for.
    pub acts_for: Vec<String>,
    /// Age on the offence date (from DOB).
    pub age_at_offence: Option<i32>,
    /// Under 18 at the time of the offence (`None` = unknown: see `undetermined`). Rights go by
    /// this (enhanced: under 18 at the time of the offence).
    pub under_18: Option<bool>,
    /// Age on the day the crime was recorded (from DOB).
    #[serde(default)]
    pub age_when_recorded: Option<i32>,
    /// Under 18 on the day the crime was recorded (without a DOB, `under_18`). Notifications about
    /// a child now (Operation Encompass, children's services) and a parent or guardian deciding
    /// for them go by this: a victim of a non-recent offence who is an adult now decides for
    /// themselves and has no school to notify.
    #[serde(default)]
    pub under_18_when_recorded: Option<bool>,
    /// Enhanced rights apply.
    pub enhanced: bool,
    /// Grounds, with reasons.
    pub enhanced_reasons: Vec<EnhancedReason>,
    /// Consent model for referrals.
    pub consent_model: ConsentModel,
    /// Why this consent model.
    pub consent_reason: String,
    /// Destinations that apply.
    pub destinations: Vec<DestinationSuggestion>,
    /// Destinations that depend on an unanswered question.
    pub possible_destinations: Vec<PossibleDestination>,
    /// Needs-assessment questions for this victim.
    pub needs_questions: Vec<QuestionStatus>,
    /// Safe-contact check (domestic abuse only).
    pub safe_contact: Option<SafeContactCheck>,
    /// Referral decision deadline.
    pub referral_deadline: Deadline,
    /// Decision state.
    pub referral_state: ReferralState,
    /// Deadline status while awaiting (or deferred).
    pub deadline_status: Option<DeadlineStatus>,
    /// Decisions recorded for this victim.
    pub decisions: Vec<DecisionSummary>,
    /// Open follow-up task (deferred).
    pub follow_up: Option<FollowUpTask>,
    /// Working days allowed for updates (1 enhanced, 5 otherwise, from the rules).
    pub update_working_days: u32,
    /// Updates owed.
    pub updates: Vec<UpdateDue>,
    /// Belongs in the supervisor queue (due soon or breached).
    pub escalate: bool,
    /// Warnings.
    pub warnings: Vec<Warning>,
    /// Questions for the officer.
    pub undetermined: Vec<Undetermined>,
}

/// The result of [`assess`]. Serialisable; field order and names are stable within
/// [`ASSESSMENT_FORMAT`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// [`ASSESSMENT_FORMAT`].
    pub format: String,
    /// Incident reference.
    pub incident_id: String,
    /// Force (from the rules).
    pub force: String,
    /// Rules version (from the rules).
    pub rules_version: String,
    /// Calendar region used.
    pub calendar: String,
    /// `now` as given.
    #[serde(with = "rfc3339")]
    pub assessed_at: OffsetDateTime,
    /// Day 0 of the referral deadline (the UK date the crime was recorded, or today if not recorded).
    #[serde(with = "iso_date")]
    pub recorded_on: Date,
    /// Offence date used for ages.
    #[serde(with = "iso_date")]
    pub offence_date: Date,
    /// Known categories.
    pub categories: Vec<CategoryFinding>,
    /// Any category tagged domestic abuse.
    pub domestic_abuse: bool,
    /// Risk grade given.
    pub risk_level: Option<RiskLevel>,
    /// One entry per victim, in the order people were given.
    pub victims: Vec<VictimAssessment>,
    /// Incident-level warnings.
    pub warnings: Vec<Warning>,
    /// Incident-level questions.
    pub undetermined: Vec<Undetermined>,
    /// Prompts when the incident is saved.
    pub prompts: Vec<Prompt>,
    /// Blocking prompts when the incident is closed (empty = may close).
    pub closure_blockers: Vec<Prompt>,
    /// No closure blockers.
    pub can_close: bool,
}

fn warn(code: &str, message: impl Into<String>) -> Warning {
    Warning { code: code.into(), message: message.into() }
}

fn ask(code: &str, question: impl Into<String>) -> Undetermined {
    Undetermined { code: code.into(), question: question.into() }
}

fn label(p: &Person, id: &str) -> String {
    match p.name.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => format!("{n} ({id})"),
        _ => id.to_string(),
    }
}

/// Age in whole years on `on` for someone born on `dob` (`None` if born after `on`).
pub fn age_on(dob: Date, on: Date) -> Option<i32> {
    if dob > on {
        return None;
    }
    let mut years = on.year() - dob.year();
    if (on.month() as u8, on.day()) < (dob.month() as u8, dob.day()) {
        years -= 1;
    }
    Some(years)
}

/// Working-day count that never fails: on overflow, returns the start date flagged approximate.
pub(crate) fn count(calendar: &Calendar, from: Date, days: u32) -> Deadline {
    let WorkingDate { date, approximate } =
        calendar.add_working_days(from, days).unwrap_or(WorkingDate { date: from, approximate: true });
    Deadline { from, working_days: days, due: date, approximate }
}

/// Facts shared by all victims of one incident.
pub(crate) struct IncidentFacts<'a> {
    pub incident: &'a Incident,
    pub rules: &'a Rules,
    pub calendar: &'a Calendar,
    pub now: OffsetDateTime,
    /// When the crime was recorded, in UK civil time (or `now` when not given or in the future).
    pub recorded_at: OffsetDateTime,
    /// Its UK date: day 0 of the deadlines.
    pub recorded_on: Date,
    pub offence_date: Date,
    pub categories: Vec<&'a crate::rules::Category>,
    pub tags: BTreeSet<CategoryTag>,
    pub ids: Vec<String>,
    /// Each suspect's id, label and phones.
    pub suspects: Vec<(String, String, Vec<String>)>,
}

impl<'a> IncidentFacts<'a> {
    pub(crate) fn new(
        incident: &'a Incident,
        rules: &'a Rules,
        calendar: &'a Calendar,
        now: OffsetDateTime,
    ) -> IncidentFacts<'a> {
        // A recording time after now (a year keyed wrong: 2052 for 2025) would put every
        // deadline in the future and show it "ok": deadlines count from today, as with no
        // time given, and `assess` asks for it. The day is the UK's, whatever offset the time
        // was written in: 23:30 UTC on 11 June is 00:30 BST on the 12th (review, 7 Dec 2026: the
        // two spellings of one instant gave different day 0s).
        let recorded_at = match incident.recorded_at {
            Some(r) if !recorded_in_future(r, now) => crate::uk::to_uk(r),
            _ => now,
        };
        let recorded_on = recorded_at.date();
        // An offence cannot come after it was recorded: a later date is a keying slip (2052 for
        // 2025) that made a 10-year-old 37 and dropped every child protection with a warning
        // only (review, 7 Dec 2026). Ages are worked out on the recorded date until it is
        // corrected, which fails safe for a child.
        let offence_date = incident.offence_date.filter(|d| *d <= recorded_on).unwrap_or(recorded_on);
        let categories: Vec<_> = incident.offence_categories.iter().filter_map(|c| rules.category(c)).collect();
        let tags = categories.iter().flat_map(|c| c.tags.iter().copied()).collect();
        let ids = incident
            .people
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let id = p.id.trim();
                if id.is_empty() {
                    format!("#{}", i + 1)
                } else {
                    id.to_string()
                }
            })
            .collect::<Vec<_>>();
        let suspects = incident
            .people
            .iter()
            .zip(&ids)
            .filter(|(p, _)| p.has(Role::Suspect))
            .map(|(p, id)| (id.clone(), label(p, id), p.phones.clone()))
            .collect();
        IncidentFacts {
            incident,
            rules,
            calendar,
            now,
            recorded_at,
            recorded_on,
            offence_date,
            categories,
            tags,
            ids,
            suspects,
        }
    }

    pub(crate) fn da(&self) -> bool {
        self.tags.contains(&CategoryTag::DomesticAbuse)
    }

    fn index_of(&self, id: &str) -> Option<usize> {
        let id = id.trim();
        self.ids.iter().position(|x| x == id)
    }
}

enum Tri {
    Yes,
    No,
    Unknown(Vec<String>),
}

/// A victim's age facts: under 18 at the offence; age and under 18 when the crime was recorded.
#[derive(Clone, Copy)]
struct Ages {
    under_18: Option<bool>,
    age_when_recorded: Option<i32>,
    under_18_when_recorded: Option<bool>,
}

/// The risk facts the rules read for one person: their own assessment's, when they have one,
/// else the incident's.
#[derive(Clone, Copy)]
struct RiskFacts {
    level: Option<RiskLevel>,
    marac_criterion: bool,
}

impl RiskFacts {
    fn of(facts: &IncidentFacts<'_>, p: Option<&Person>) -> RiskFacts {
        match p {
            Some(p) if p.risk_level.is_some() => {
                RiskFacts { level: p.risk_level, marac_criterion: !p.marac_criteria.is_empty() }
            }
            _ => RiskFacts {
                level: facts.incident.risk_level,
                marac_criterion: !facts.incident.marac_criteria.is_empty(),
            },
        }
    }
}

fn eval(
    cond: &Condition,
    facts: &IncidentFacts<'_>,
    basis: VictimBasis,
    ages: Ages,
    enhanced: bool,
    risk: RiskFacts,
) -> Tri {
    let under_18 = ages.under_18;
    let mut unknown = Vec::new();
    if !cond.tags_any.is_empty() && !cond.tags_any.iter().any(|t| facts.tags.contains(t)) {
        return Tri::No;
    }
    if !cond.categories_any.is_empty()
        && !cond.categories_any.iter().any(|c| facts.categories.iter().any(|k| k.code.eq_ignore_ascii_case(c.trim())))
    {
        return Tri::No;
    }
    if !cond.basis_any.is_empty() && !cond.basis_any.contains(&basis) {
        return Tri::No;
    }
    if let Some(want) = cond.enhanced {
        if want != enhanced {
            return Tri::No;
        }
    }
    if let Some(want) = cond.under_18 {
        match under_18 {
            Some(u) if u != want => return Tri::No,
            Some(_) => {}
            None => unknown.push("under_18".to_string()),
        }
    }
    if let Some(want) = cond.under_18_when_recorded {
        match ages.under_18_when_recorded {
            Some(u) if u != want => return Tri::No,
            Some(_) => {}
            // The same question for the officer: the date of birth.
            None if !unknown.iter().any(|u| u == "under_18") => unknown.push("under_18".to_string()),
            None => {}
        }
    }
    if let Some(min) = cond.min_age_when_recorded {
        if ages.age_when_recorded.is_some_and(|a| a < i32::from(min)) {
            return Tri::No;
        }
    }
    if let Some(want) = cond.marac_criterion {
        if risk.marac_criterion != want {
            return Tri::No;
        }
    }
    if let Some(min) = cond.min_risk {
        match risk.level {
            Some(r) if r < min => return Tri::No,
            Some(_) => {}
            None => unknown.push("risk_level".to_string()),
        }
    }
    if unknown.is_empty() {
        Tri::Yes
    } else {
        Tri::Unknown(unknown)
    }
}

/// Works out who is a victim and on what basis. Returns (index into people, basis).
fn identify(facts: &IncidentFacts<'_>, warnings: &mut Vec<Warning>) -> Vec<(usize, VictimBasis)> {
    let people = &facts.incident.people;
    let mut seen = BTreeSet::new();
    let mut out: Vec<(usize, VictimBasis)> = Vec::new();
    for (i, p) in people.iter().enumerate() {
        let id = &facts.ids[i];
        if !seen.insert(id.clone()) {
            warnings.push(warn(
                "duplicate_person_id",
                format!("Person id {id} appears more than once; only the first is assessed."),
            ));
            continue;
        }
        // A person who died gets no referral decision: their bereaved close relatives (or a
        // family spokesperson) are the victims under the Code, and are asked instead.
        if p.has(Role::Deceased) {
            continue;
        }
        if p.organisation {
            if p.has(Role::Victim) {
                warnings.push(warn(
                    "organisation_not_victim",
                    format!(
                        "{} is an organisation: not a victim under the Code, but it may be offered services.",
                        label(p, id)
                    ),
                ));
            }
            continue;
        }
        // A child present is a victim at domestic abuse only; elsewhere a child linked as a
        // bereaved relative too is one as that (it was no victim at all before 6 Dec 2026).
        let basis = if p.has(Role::Victim) {
            Some(VictimBasis::Direct)
        } else if p.has(Role::ChildPresent) && facts.da() {
            Some(VictimBasis::ChildPresent)
        } else if p.has(Role::BereavedRelative) {
            Some(VictimBasis::BereavedRelative)
        } else if p.has(Role::ParentOrGuardian) || p.has(Role::Spokesperson) {
            // Decided after the direct victims are known.
            None
        } else {
            None
        };
        if let Some(b) = basis {
            if p.has(Role::Suspect) {
                warnings.push(warn(
                    "victim_also_suspect",
                    format!("{} is linked as both victim and suspect: check before contacting.", label(p, id)),
                ));
            }
            out.push((i, b));
        }
    }
    out
}

fn acts_for_ids(p: &Person) -> Vec<String> {
    let mut v: Vec<String> = p.acts_for.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    v.sort();
    v.dedup();
    v
}

fn under_18_of(p: &Person, offence_date: Date) -> (Option<i32>, Option<bool>, Option<Undetermined>) {
    match p.date_of_birth {
        Some(dob) => match age_on(dob, offence_date) {
            Some(age) => (Some(age), Some(age < 18), None),
            None => (
                None,
                p.under_18,
                Some(ask(
                    "date_of_birth_after_offence",
                    format!("The date of birth {dob} is after the offence date {offence_date}: please check it."),
                )),
            ),
        },
        None => (
            None,
            p.under_18,
            if p.under_18.is_none() {
                Some(ask(
                    "missing_date_of_birth",
                    "Date of birth not recorded: was this victim under 18 at the time of the offence?",
                ))
            } else {
                None
            },
        ),
    }
}

/// Age and under 18 on the day the crime was recorded: from the date of birth, or without one
/// the answer for the time of the offence.
fn age_when_recorded(p: &Person, recorded_on: Date, under_18_at_offence: Option<bool>) -> (Option<i32>, Option<bool>) {
    match p.date_of_birth.and_then(|dob| age_on(dob, recorded_on)) {
        Some(age) => (Some(age), Some(age < 18)),
        None => (None, under_18_at_offence),
    }
}

/// The first school day (a working day, starting at 08:30 UK time) that starts after `at` (UK
/// civil time): the day a notification due "before the next school day" is due before. Recorded
/// at 02:10 on a working day: that day; at 10:00, or at 08:30 sharp: the next working day.
/// (Until 7 Dec 2026 it was always the next working day after the recording day, a school day
/// late for an incident recorded overnight.)
///
/// A working day in one of the force's school holidays (`holidays`) is no school day: the
/// notification is due before the first school day after the holiday.
pub fn next_school_day(calendar: &Calendar, holidays: &[SchoolHoliday], at: OffsetDateTime) -> Date {
    let in_holiday = |d: Date| holidays.iter().find(|h| h.from <= d && d <= h.to);
    let next_working = |day: Date| {
        calendar
            .add_working_days(day, 1)
            // No working day left in the calendar's range: the next day, or the day itself at
            // the end of time (9999-12-31 overflowed here, found by the proptest).
            .map_or(day.next_day().unwrap_or(day), |w| w.date)
    };
    let day = at.date();
    let mut school =
        if at.time() < crate::uk::SCHOOL_DAY_STARTS && calendar.is_working_day(day) { day } else { next_working(day) };
    // Bounded: each step passes the end of a holiday (overlapping ones included).
    for _ in 0..=holidays.len() {
        match in_holiday(school) {
            Some(h) => school = next_working(h.to),
            None => break,
        }
    }
    school
}

/// Whether a recording time is after `now`, beyond an hour's leeway for a device's clock.
fn recorded_in_future(recorded_at: OffsetDateTime, now: OffsetDateTime) -> bool {
    // Checked: `now` at the end of the representable range must not panic.
    now.checked_add(time::Duration::hours(1)).is_some_and(|limit| recorded_at > limit)
}

/// Assesses an incident. Pure: `now` is the only notion of time (its date is "today", its
/// offset the local offset); the calendar and rules are data. Never fails and never panics:
/// anything missing or unknown becomes an `undetermined` question. (Serialising the result
/// to JSON needs `now` within the years 0000–9999, the range RFC 3339 can express.)
pub fn assess(incident: &Incident, rules: &Rules, calendar: &Calendar, now: OffsetDateTime) -> Assessment {
    let facts = IncidentFacts::new(incident, rules, calendar, now);
    let mut warnings = Vec::new();
    let mut undetermined = Vec::new();

    if crate::calendar::Region::parse(&rules.calendar).is_some_and(|r| r.code() != calendar.region()) {
        warnings.push(warn(
            "calendar_mismatch",
            format!("The force rules select the {} calendar but {} was supplied.", rules.calendar, calendar.region()),
        ));
    }
    if incident.incident_id.trim().is_empty() {
        undetermined.push(ask("missing_incident_id", "Incident reference not recorded."));
    }
    if incident.recorded_at.is_none() {
        undetermined.push(ask(
            "missing_recorded_at",
            "When was the crime recorded? Deadlines are counted from today until it is given.",
        ));
    }
    if let Some(r) = incident.recorded_at.filter(|r| recorded_in_future(*r, now)) {
        undetermined.push(ask(
            "recorded_at_in_future",
            format!(
                "The crime is recorded as {}, which is after now: when was it recorded? Deadlines are \
                 counted from today until it is corrected.",
                crate::uk::to_uk(r).date()
            ),
        ));
    }
    if let Some(d) = incident.offence_date.filter(|d| *d > facts.recorded_on) {
        warnings.push(warn(
            "offence_after_recording",
            format!(
                "The offence date {d} is after the crime was recorded ({}): please check it. Until it is \
                 corrected, ages are worked out on the recorded date.",
                facts.recorded_on
            ),
        ));
    }
    if incident.offence_categories.iter().all(|c| c.trim().is_empty()) {
        undetermined.push(ask(
            "missing_offence_category",
            "Offence category not recorded: which category applies? (It decides most-serious-crime status, consent model and destinations.)",
        ));
    }
    for c in &incident.offence_categories {
        if !c.trim().is_empty() && rules.category(c).is_none() {
            undetermined.push(ask(
                "unknown_offence_category",
                format!("Offence category {c:?} is not in the force list: which category applies?"),
            ));
        }
    }
    if facts.da() && incident.risk_level.is_none() {
        undetermined.push(ask(
            "missing_risk_level",
            "Domestic abuse risk grade (DASH/DARA) not recorded: it decides IDVA and MARAC referrals.",
        ));
    }
    if facts.calendar.covers(facts.recorded_on) {
        // fine
    } else {
        warnings.push(warn(
            "calendar_not_covering",
            format!(
                "The {} calendar has no bank holidays for {}: deadlines skip weekends only and may be early.",
                calendar.region(),
                facts.recorded_on.year()
            ),
        ));
    }

    for (p, id) in incident.people.iter().zip(&facts.ids) {
        if !p.other_roles.is_empty() {
            warnings.push(warn(
                "unknown_role",
                format!(
                    "{} has a role the rules do not know, which is ignored: {}. Known roles: {}.",
                    label(p, id),
                    p.other_roles.iter().map(|r| format!("{r:?}")).collect::<Vec<_>>().join(", "),
                    Role::KNOWN.join(", ")
                ),
            ));
        }
    }

    let mut victims_idx = identify(&facts, &mut warnings);

    // Per-person age facts.
    let ages: Vec<_> = incident.people.iter().map(|p| under_18_of(p, facts.offence_date)).collect();
    let ages_now: Vec<_> =
        incident.people.iter().zip(&ages).map(|(p, a)| age_when_recorded(p, facts.recorded_on, a.1)).collect();

    // Parents/guardians and spokespeople.
    let direct: BTreeSet<usize> = victims_idx.iter().map(|(i, _)| *i).collect();
    let deceased: BTreeSet<usize> =
        incident.people.iter().enumerate().filter(|(_, p)| p.has(Role::Deceased)).map(|(i, _)| i).collect();
    let mut seen = BTreeSet::new();
    for (i, p) in incident.people.iter().enumerate() {
        if !seen.insert(facts.ids[i].clone()) || direct.contains(&i) || p.organisation || p.has(Role::Deceased) {
            continue;
        }
        let id = &facts.ids[i];
        let targets: Vec<usize> = acts_for_ids(p).iter().filter_map(|t| facts.index_of(t)).collect();
        // A suspect never acts for a victim: a parent who is the suspect is not asked to
        // decide for the child, offered services as the child's representative, or given the
        // child's safe-contact details.
        if p.has(Role::Suspect) && (p.has(Role::ParentOrGuardian) || p.has(Role::Spokesperson)) {
            if !targets.is_empty() {
                warnings.push(warn(
                    "suspect_acts_for_victim",
                    format!(
                        "{} is linked as a suspect and as acting for a victim: a suspect cannot decide or be contacted for the victim. Link another parent, guardian or spokesperson.",
                        label(p, id)
                    ),
                ));
            }
            continue;
        }
        // A parent or guardian of a person who died is a bereaved close relative.
        if p.has(Role::ParentOrGuardian) && targets.iter().any(|t| deceased.contains(t)) {
            victims_idx.push((i, VictimBasis::BereavedRelative));
            continue;
        }
        if p.has(Role::ParentOrGuardian) {
            // A child now: the victim of a non-recent offence who is an adult now decides for
            // themselves.
            let child = targets.iter().any(|t| direct.contains(t) && ages_now[*t].1 != Some(false));
            if child {
                victims_idx.push((i, VictimBasis::ParentOrGuardian));
                continue;
            } else if p.acts_for.is_empty() {
                warnings.push(warn(
                    "guardian_not_linked",
                    format!("{} is a parent or guardian but is not linked (acts_for) to a child victim.", label(p, id)),
                ));
            }
        }
        if p.has(Role::Spokesperson) && targets.iter().any(|t| direct.contains(t) || deceased.contains(t)) {
            victims_idx.push((i, VictimBasis::Spokesperson));
        }
    }
    victims_idx.sort_by_key(|(i, _)| *i);

    let has_bereaved =
        victims_idx.iter().any(|(_, b)| matches!(b, VictimBasis::BereavedRelative | VictimBasis::Spokesperson));
    if (facts.tags.contains(&CategoryTag::Homicide) || !deceased.is_empty()) && !has_bereaved {
        undetermined.push(ask(
            "missing_bereaved_relative",
            "A death is recorded but no bereaved close relative or family spokesperson is linked: who is the family's point of contact?",
        ));
    }
    if victims_idx.is_empty() {
        undetermined.push(ask(
            "no_victim_linked",
            "No victim is linked to this incident: link the victim (or record why there is none).",
        ));
    }
    if victims_idx.iter().any(|(_, b)| *b == VictimBasis::BereavedRelative)
        && !facts.tags.contains(&CategoryTag::Homicide)
        && deceased.is_empty()
    {
        warnings.push(warn(
            "bereaved_without_death",
            "A bereaved relative is linked but no death is recorded in the incident.",
        ));
    }

    // First pass: each victim on their own grounds.
    let mut victims: Vec<VictimAssessment> =
        victims_idx.iter().map(|(i, basis)| assess_one(&facts, *i, *basis, &ages[*i], ages_now[*i])).collect();

    // Second pass: people acting for an enhanced victim.
    let enhanced_ids: BTreeMap<String, bool> = victims.iter().map(|v| (v.person_id.clone(), v.enhanced)).collect();
    for v in &mut victims {
        if matches!(v.basis, VictimBasis::ParentOrGuardian | VictimBasis::Spokesperson) {
            for t in &v.acts_for {
                if enhanced_ids.get(t).copied().unwrap_or(false) {
                    v.enhanced_reasons.push(EnhancedReason {
                        ground: EnhancedGround::ActingForEnhancedVictim,
                        detail: format!("Acts for {t}, who is entitled to enhanced rights."),
                    });
                }
            }
            v.enhanced = !v.enhanced_reasons.is_empty();
        }
        // A child now (not a victim of a non-recent offence who is an adult now).
        if matches!(v.basis, VictimBasis::Direct | VictimBasis::ChildPresent) && v.under_18_when_recorded == Some(true)
        {
            let linked = incident.people.iter().any(|p| {
                (p.has(Role::ParentOrGuardian) || p.has(Role::Spokesperson))
                    && !p.has(Role::Suspect)
                    && p.acts_for.iter().any(|a| a.trim() == v.person_id)
            });
            if !linked {
                v.undetermined.push(ask(
                    "missing_parent_or_guardian",
                    "Child victim: link a parent or guardian (role parent_or_guardian, acts_for the child), unless that would put the child at risk.",
                ));
            }
        }
    }

    // Third pass: destinations, deadlines, decisions (need final enhanced status).
    for v in &mut victims {
        finish_one(&facts, v);
    }

    let mut a = Assessment {
        format: ASSESSMENT_FORMAT.to_string(),
        incident_id: incident.incident_id.trim().to_string(),
        force: rules.force.clone(),
        rules_version: rules.rules_version.clone(),
        calendar: calendar.region().to_string(),
        assessed_at: now,
        recorded_on: facts.recorded_on,
        offence_date: facts.offence_date,
        categories: facts
            .categories
            .iter()
            .map(|c| CategoryFinding { code: c.code.clone(), label: c.label.clone(), most_serious: c.most_serious })
            .collect(),
        domestic_abuse: facts.da(),
        risk_level: incident.risk_level,
        victims,
        warnings,
        undetermined,
        prompts: Vec::new(),
        closure_blockers: Vec::new(),
        can_close: false,
    };
    a.prompts = prompts_for(&a, PromptStage::Saved);
    a.closure_blockers = prompts_for(&a, PromptStage::Closed)
        .into_iter()
        .filter(|p| p.severity == crate::prompts::Severity::Blocking)
        .collect();
    a.can_close = a.closure_blockers.is_empty();
    a
}

fn assess_one(
    facts: &IncidentFacts<'_>,
    i: usize,
    basis: VictimBasis,
    age: &(Option<i32>, Option<bool>, Option<Undetermined>),
    age_now: (Option<i32>, Option<bool>),
) -> VictimAssessment {
    let p = &facts.incident.people[i];
    let id = facts.ids[i].clone();
    let rules = facts.rules;
    let mut undetermined = Vec::new();
    let mut warnings = Vec::new();
    let mut reasons = Vec::new();
    let (age_at_offence, under_18, age_q) = age.clone();
    let own_grounds = matches!(basis, VictimBasis::Direct | VictimBasis::ChildPresent | VictimBasis::BereavedRelative);
    let needs_age = matches!(basis, VictimBasis::Direct | VictimBasis::ChildPresent);
    if needs_age {
        if let Some(q) = age_q {
            undetermined.push(q);
        }
    }

    // Most serious crime.
    if basis == VictimBasis::BereavedRelative {
        reasons.push(EnhancedReason {
            ground: EnhancedGround::MostSeriousCrime,
            detail: "Bereaved close relative of a person whose death was caused by crime.".into(),
        });
    } else if matches!(basis, VictimBasis::Direct | VictimBasis::ChildPresent) {
        for c in facts.categories.iter().filter(|c| c.most_serious) {
            reasons.push(EnhancedReason {
                ground: EnhancedGround::MostSeriousCrime,
                detail: format!("{} is a most serious crime.", c.label),
            });
        }
    }
    // Under 18.
    if needs_age && under_18 == Some(true) {
        reasons.push(EnhancedReason {
            ground: EnhancedGround::Under18,
            detail: match age_at_offence {
                Some(a) => format!("Aged {a} at the time of the offence (under 18)."),
                None => "Under 18 at the time of the offence (officer's answer).".into(),
            },
        });
    }
    // Vulnerable / intimidated.
    let mut vuln: Option<bool> = p.vulnerable;
    let mut intim: Option<bool> = p.intimidated;
    if own_grounds {
        if p.vulnerable == Some(true) {
            reasons.push(EnhancedReason {
                ground: EnhancedGround::Vulnerable,
                detail: "Officer recorded the victim as vulnerable.".into(),
            });
        }
        if p.intimidated == Some(true) {
            reasons.push(EnhancedReason {
                ground: EnhancedGround::Intimidated,
                detail: "Officer recorded the victim as intimidated.".into(),
            });
        }
        let mut markers_seen = BTreeSet::new();
        for m in &p.markers {
            if let Some(rule) = rules.marker(m) {
                if !markers_seen.insert(rule.code.clone()) {
                    continue;
                }
                reasons.push(EnhancedReason { ground: rule.ground, detail: format!("Marker: {}.", rule.label) });
                match rule.ground {
                    EnhancedGround::Vulnerable => vuln = Some(true),
                    _ => intim = Some(true),
                }
            }
        }
        let mut all_no = BTreeMap::new();
        for q in &rules.needs_questions {
            let Some(g) = q.yes_means else { continue };
            let entry = all_no.entry(g).or_insert(true);
            match p.needs.get(&q.id) {
                Some(a) if a.is_yes() => {
                    reasons
                        .push(EnhancedReason { ground: g, detail: format!("Needs assessment: yes to \"{}\"", q.text) });
                    match g {
                        EnhancedGround::Vulnerable => vuln = Some(true),
                        _ => intim = Some(true),
                    }
                }
                Some(a) if a.is_no() => {}
                _ => *entry = false,
            }
        }
        if vuln.is_none() && all_no.get(&EnhancedGround::Vulnerable) == Some(&true) {
            vuln = Some(false);
        }
        if intim.is_none() && all_no.get(&EnhancedGround::Intimidated) == Some(&true) {
            intim = Some(false);
        }
        if facts.tags.contains(&CategoryTag::SexualOffence)
            && basis == VictimBasis::Direct
            && p.intimidated != Some(false)
        {
            reasons.push(EnhancedReason {
                ground: EnhancedGround::Intimidated,
                detail: "Complainant of a sexual offence: eligible as intimidated unless they opt out.".into(),
            });
            intim = Some(true);
        }
    }
    // Persistently targeted.
    if basis == VictimBasis::Direct {
        let pt = &rules.persistent_targeting;
        let start = facts.recorded_on.checked_sub(Duration::days(i64::from(pt.window_days))).unwrap_or(Date::MIN);
        let current = facts.incident.incident_id.trim();
        let mut ids = BTreeSet::new();
        let mut anonymous = 0u32;
        for h in &p.victim_history {
            let hid = h.incident_id.trim();
            if h.recorded_on < start || h.recorded_on > facts.recorded_on {
                continue;
            }
            if hid.is_empty() {
                anonymous = anonymous.saturating_add(1);
            } else if hid != current {
                ids.insert(hid.to_string());
            }
        }
        let total = (ids.len() as u32).saturating_add(anonymous).saturating_add(1);
        if total >= pt.min_incidents {
            reasons.push(EnhancedReason {
                ground: EnhancedGround::PersistentlyTargeted,
                detail: format!(
                    "{total} incidents as a victim in the {} days to {} (including this one); the threshold is {}.",
                    pt.window_days, facts.recorded_on, pt.min_incidents
                ),
            });
        } else if p.persistently_targeted == Some(true) {
            reasons.push(EnhancedReason {
                ground: EnhancedGround::PersistentlyTargeted,
                detail: "Officer recorded the victim as persistently targeted.".into(),
            });
        }
    }
    let enhanced = !reasons.is_empty();
    if own_grounds && !enhanced && (vuln.is_none() || intim.is_none()) {
        undetermined.push(ask(
            "vulnerable_or_intimidated_unknown",
            "Is the victim vulnerable (e.g. mental disorder, learning or physical disability) or intimidated (fear or distress about giving evidence)? It decides enhanced rights.",
        ));
    }
    if own_grounds && !enhanced && facts.categories.is_empty() {
        undetermined.push(ask(
            "enhanced_depends_on_category",
            "Enhanced rights cannot be ruled out until the offence category is known.",
        ));
    }

    // Consent model.
    let (consent_model, consent_reason) = consent_for(facts, basis);

    // Needs questions.
    let ages = Ages { under_18, age_when_recorded: age_now.0, under_18_when_recorded: age_now.1 };
    let needs_questions = rules
        .needs_questions
        .iter()
        .filter(|q| !matches!(eval(&q.when, facts, basis, ages, enhanced, RiskFacts::of(facts, Some(p))), Tri::No))
        .map(|q| QuestionStatus {
            id: q.id.clone(),
            text: q.text.clone(),
            answered: p.needs.get(&q.id).is_some_and(|a| a.is_answered()),
        })
        .collect();

    // Safe contact (domestic abuse).
    let safe_contact =
        if facts.da() && basis != VictimBasis::ChildPresent { Some(safe_contact_check(facts, p)) } else { None };
    // A safe number checked against no number at all: no phone number is held on this device for
    // any suspect (numbers come from the records this device holds, not every one the force
    // does), so the check above can find nothing. Said, not refused: the officer checks by hand.
    if let Some(sc) = p.safe_contact.as_ref().filter(|_| safe_contact.is_some()) {
        let others: Vec<&(String, String, Vec<String>)> =
            facts.suspects.iter().filter(|(id, _, _)| p.id.trim().is_empty() || id != p.id.trim()).collect();
        let typed = sc.safe_number.as_deref().is_some_and(|n| !n.trim().is_empty());
        if typed && !others.is_empty() && others.iter().all(|(_, _, phones)| phones.is_empty()) {
            let names: Vec<&str> = others.iter().map(|(_, label, _)| label.as_str()).collect();
            warnings.push(warn(
                "suspect_numbers_not_held",
                format!(
                    "No phone number is held on this device for {}: the safe number could not be checked against the suspect's. Check it against PNC and local records before it is used.",
                    names.join(", ")
                ),
            ));
        }
    }
    // Shared phones with a suspect, even without a safe-contact block.
    for (_, s_label, s_phones) in &facts.suspects {
        if p.has(Role::Suspect) {
            break;
        }
        for ph in &p.phones {
            if s_phones.iter().any(|s| same_phone(ph, s)) {
                warnings.push(warn(
                    "victim_phone_shared_with_suspect",
                    format!(
                        "The number {} held for this victim is also held for suspect {s_label}: do not use it to contact the victim.",
                        ph.trim()
                    ),
                ));
            }
        }
    }

    VictimAssessment {
        person_id: id,
        name: p.name.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(String::from),
        basis,
        acts_for: acts_for_ids(p),
        age_at_offence,
        under_18: if needs_age { under_18 } else { p.under_18.or(under_18) },
        age_when_recorded: age_now.0,
        under_18_when_recorded: age_now.1,
        enhanced,
        enhanced_reasons: reasons,
        consent_model,
        consent_reason,
        destinations: Vec::new(),
        possible_destinations: Vec::new(),
        needs_questions,
        safe_contact,
        referral_deadline: count(facts.calendar, facts.recorded_on, rules.deadlines.referral_working_days),
        referral_state: ReferralState::AwaitingDecision,
        deadline_status: None,
        decisions: Vec::new(),
        follow_up: None,
        update_working_days: 0,
        updates: Vec::new(),
        escalate: false,
        warnings,
        undetermined,
    }
}

fn consent_for(facts: &IncidentFacts<'_>, basis: VictimBasis) -> (ConsentModel, String) {
    let rules = facts.rules;
    if let Some(bc) = rules.consent_by_basis.iter().find(|b| b.basis == basis) {
        let why = match basis {
            VictimBasis::BereavedRelative => "bereaved close relative",
            VictimBasis::ParentOrGuardian => "parent or guardian",
            VictimBasis::Spokesperson => "spokesperson",
            VictimBasis::ChildPresent => "child present at domestic abuse",
            VictimBasis::Direct => "victim",
        };
        return (bc.consent, format!("Force rule for a {why}."));
    }
    let mut best: Option<(ConsentModel, String)> = None;
    for c in &facts.categories {
        let m = c.consent.unwrap_or(rules.default_consent);
        if best.as_ref().is_none_or(|(b, _)| m > *b) {
            best = Some((m, format!("{} ({}).", c.label, consent_words(m))));
        }
    }
    let (m, why) = best.unwrap_or((rules.default_consent, "Force default: offence category not known yet.".into()));
    let why = if basis == VictimBasis::ChildPresent {
        format!("{why} A parent or guardian decides for the child unless that is unsafe.")
    } else {
        why
    };
    (m, why)
}

fn consent_words(m: ConsentModel) -> &'static str {
    match m {
        ConsentModel::OptIn => "explicit consent needed",
        ConsentModel::OptOut => "referred unless the victim objects",
    }
}

/// The safe-contact fields that must be answered for a domestic-abuse victim.
pub const SAFE_CONTACT_FIELDS: [&str; 6] =
    ["safe_number", "safe_times", "voicemail_safe", "text_safe", "letters_safe", "suspect_can_access_phone"];

pub(crate) fn safe_contact_check(facts: &IncidentFacts<'_>, p: &Person) -> SafeContactCheck {
    let sc = p.safe_contact.clone().unwrap_or_default();
    let mut missing = Vec::new();
    let blank = |s: &Option<String>| s.as_deref().is_none_or(|v| v.trim().is_empty());
    if blank(&sc.safe_number) {
        missing.push("safe_number".to_string());
    }
    if blank(&sc.safe_times) {
        missing.push("safe_times".to_string());
    }
    for (name, v) in [
        ("voicemail_safe", sc.voicemail_safe),
        ("text_safe", sc.text_safe),
        ("letters_safe", sc.letters_safe),
        ("suspect_can_access_phone", sc.suspect_can_access_phone),
    ] {
        if v.is_none() {
            missing.push(name.to_string());
        }
    }
    let mut warnings = Vec::new();
    let parsed = sc.safe_number.as_deref().filter(|s| !s.trim().is_empty()).map(parse_phone_field);
    // Several numbers ("07700 900123 / 07700 900999") are each checked, and shown together.
    let normalised = parsed.as_ref().and_then(|p| p.as_ref().ok()).map(|n| n.join(", "));
    if let Some(num) = sc.safe_number.as_deref().filter(|s| !s.trim().is_empty()) {
        if let Some(Err(e)) = &parsed {
            warnings.push(warn("safe_number_unrecognised", format!("{e}: check it with the victim.")));
        }
        for (s_id, s_label, s_phones) in &facts.suspects {
            // A victim linked as a suspect too (a counter-allegation): their own number is not
            // a suspect's in this sense; another suspect's still is.
            if !p.id.trim().is_empty() && s_id == p.id.trim() {
                continue;
            }
            if s_phones.iter().any(|s| same_phone(num, s)) {
                warnings.push(warn(
                    "safe_number_matches_suspect",
                    format!(
                        "The safe number {} matches a number held for suspect {s_label}. Do not use it: agree another safe way to make contact.",
                        num.trim()
                    ),
                ));
            }
        }
    }
    if sc.suspect_can_access_phone == Some(true) {
        warnings.push(warn(
            "suspect_can_access_phone",
            "The suspect can access this phone: it is not a safe number. Agree another way to make contact.",
        ));
    }
    SafeContactCheck { missing, warnings, normalised_number: normalised }
}

fn finish_one(facts: &IncidentFacts<'_>, v: &mut VictimAssessment) {
    let rules = facts.rules;
    let now = facts.now;
    let hours = rules.escalation.due_soon_hours;

    // Decisions for this victim.
    let mine: Vec<&crate::incident::Decision> =
        // A withdrawn (cancelled) decision no longer counts for anything.
        facts.incident.decisions.iter().filter(|d| d.victim_id.trim() == v.person_id && !d.withdrawn).collect();
    let end = deadline_end(v.referral_deadline.due, now);
    let mut summaries = Vec::new();
    for d in &mine {
        let check = check_decision(d, v, facts, false);
        summaries.push(DecisionSummary {
            id: d.id.clone(),
            outcome: d.outcome,
            destination: d.destination.as_ref().map(|s| s.trim().to_string()),
            at: d.at,
            on_time: d.at.map(|at| end.is_none_or(|e| at < e)),
            valid: check.errors.is_empty(),
            errors: check.errors,
            warnings: check.warnings,
        });
    }
    // Duplicate active referrals already recorded.
    let records: Vec<crate::decision::ReferralRecord> = mine
        .iter()
        .filter_map(|d| crate::decision::ReferralRecord::from_decision(d, &facts.incident.incident_id))
        .collect();
    for (i, r) in records.iter().enumerate() {
        if let crate::decision::DuplicateCheck::Duplicate { .. } =
            crate::decision::check_duplicate_referral(&records[..i], r)
        {
            v.warnings.push(warn(
                "duplicate_referral",
                format!(
                    "More than one active referral to {} is recorded for this victim: withdraw the duplicate.",
                    r.destination.trim()
                ),
            ));
        }
    }
    // Destinations.
    let recorded: BTreeSet<String> = summaries
        .iter()
        .filter(|s| s.valid && s.outcome == Some(Outcome::Referred))
        .filter_map(|s| s.destination.as_ref().map(|d| d.to_ascii_lowercase()))
        .collect();
    let mut seen = BTreeSet::new();
    let risk = RiskFacts::of(facts, facts.index_of(&v.person_id).map(|i| &facts.incident.people[i]));
    for r in &rules.destination_rules {
        let Some(dest) = rules.destination(&r.destination) else {
            continue;
        };
        let ages = Ages {
            under_18: v.under_18,
            age_when_recorded: v.age_when_recorded,
            under_18_when_recorded: v.under_18_when_recorded,
        };
        match eval(&r.when, facts, v.basis, ages, v.enhanced, risk) {
            Tri::Yes => {
                if seen.insert(dest.code.clone()) {
                    v.destinations.push(DestinationSuggestion {
                        code: dest.code.clone(),
                        label: dest.label.clone(),
                        kind: dest.kind,
                        consent_applies: dest.consent_applies,
                        reason: r.reason.clone(),
                        recorded: recorded.contains(&dest.code.to_ascii_lowercase()),
                        due_before: dest
                            .before_next_working_day
                            .then(|| next_school_day(facts.calendar, &facts.rules.school_holidays, facts.recorded_at)),
                    });
                }
            }
            Tri::Unknown(depends_on) => {
                if !v.possible_destinations.iter().any(|p| p.code == dest.code) {
                    v.possible_destinations.push(PossibleDestination {
                        code: dest.code.clone(),
                        label: dest.label.clone(),
                        depends_on,
                    });
                }
            }
            Tri::No => {}
        }
    }
    v.possible_destinations.retain(|p| !v.destinations.iter().any(|d| d.code == p.code));

    // State. A deferral ("not safe to ask now") stays open until the victim is asked: a decline,
    // or a referral that needs the victim's consent, recorded after it. A notification sent
    // without asking the victim (MARAC, Operation Encompass) does not close it, whichever came
    // first: otherwise "referred to MARAC" hid the deferral, and nobody went back to the victim.
    let asks_victim = |s: &DecisionSummary| {
        s.valid
            && matches!(s.outcome, Some(o @ (Outcome::Declined | Outcome::Referred))
                if rules.answers_referral_question(o, s.destination.as_deref()))
    };
    let consent_based = |code: &str| rules.destination(code).is_some_and(|d| d.consent_applies);
    let offers_support = v.destinations.iter().any(|d| consent_based(&d.code))
        || v.possible_destinations.iter().any(|d| consent_based(&d.code));
    // Decisions in the order they were made (time, then as recorded).
    let mut order: Vec<usize> = (0..summaries.len()).collect();
    order.sort_by_key(|&i| (mine[i].at, i));
    let open_deferral = order
        .iter()
        .rposition(|&i| summaries[i].valid && summaries[i].outcome == Some(Outcome::Deferred))
        .filter(|&k| !order[k + 1..].iter().any(|&i| asks_victim(&summaries[i])))
        .map(|k| order[k]);
    let valid = |o: Outcome| summaries.iter().any(|s| s.valid && s.outcome == Some(o));
    v.referral_state = if open_deferral.is_some() {
        ReferralState::Deferred
    } else if summaries
        .iter()
        .any(|s| s.outcome == Some(Outcome::Referred) && s.valid && (!offers_support || asks_victim(s)))
    {
        // Referred to a support service. Where the rules offer this victim one (every direct
        // victim: Right 4), a notification alone (MARAC, children's services) leaves the
        // referral question open: the victim has not been offered support. Where they offer
        // none (a child present at domestic abuse: Operation Encompass, children's services),
        // the notification is the referral.
        ReferralState::Referred
    } else if valid(Outcome::Declined) {
        ReferralState::Declined
    } else if valid(Outcome::Deferred) {
        ReferralState::Deferred
    } else {
        ReferralState::AwaitingDecision
    };
    let status = deadline_status(v.referral_deadline.due, now, hours);
    match v.referral_state {
        ReferralState::AwaitingDecision => {
            v.deadline_status = Some(status);
            v.escalate = status.escalate();
        }
        ReferralState::Deferred => {
            v.deadline_status = Some(status);
            if let Some(d) = open_deferral.map(|i| mine[i]) {
                let task = crate::decision::follow_up_task(d, &facts.incident.incident_id, rules, facts.calendar, now);
                let fs = deadline_status(task.due, now, hours);
                v.escalate = fs.escalate() || status == DeadlineStatus::Breached;
                v.follow_up = Some(task);
            }
        }
        ReferralState::Referred | ReferralState::Declined => {}
    }
    v.decisions = summaries;

    // Updates (Right 6).
    v.update_working_days = if v.enhanced {
        rules.deadlines.update_working_days_enhanced
    } else {
        rules.deadlines.update_working_days_standard
    };
    let preference = facts
        .index_of(&v.person_id)
        .and_then(|i| facts.incident.people.get(i))
        .map(|p| p.update_preference)
        .unwrap_or_default();
    for e in &facts.incident.events {
        let informed = e.victims_informed.iter().any(|x| x.trim() == v.person_id);
        let deadline = count(facts.calendar, e.occurred_on, v.update_working_days);
        // An update the victim asked not to have is not owed (Right 6: their update preference).
        let not_wanted = !informed && !preference.wants(&e.kind);
        let status = if informed || not_wanted { None } else { Some(deadline_status(deadline.due, now, hours)) };
        if status.is_some_and(DeadlineStatus::escalate) {
            v.escalate = true;
        }
        let told_on = if informed {
            e.told_on.iter().filter(|t| t.person_id.trim() == v.person_id).map(|t| t.on).min()
        } else {
            None
        };
        let in_time = told_on.map(|d| d <= deadline.due);
        v.updates.push(UpdateDue {
            kind: e.kind.trim().to_string(),
            deadline,
            informed,
            status,
            not_wanted,
            told_on,
            in_time,
        });
    }
}
