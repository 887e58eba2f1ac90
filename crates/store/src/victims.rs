//! Victims' Code in the app (issue 6): the adapter from the store's incident to the pure rules
//! engine (`bluelamp-victims`), referral decisions, the "victims awaiting a referral decision"
//! list and the escalation of referral deadlines into the supervisor queue.
//!
//! Every decision is made by the pure crate; this module only reads the store and writes the
//! result:
//!
//! * **Adapter** ([`Store::victims_assessment`]): the incident's type, offence category and
//!   closing code (DA) become offence categories; the latest submitted, not superseded, risk
//!   assessment's officer grade becomes the DA risk level; each linked person becomes a person
//!   with their roles (`child` → `child_present`, a child victim of DA in their own right), date
//!   of birth (nominal cache), markers (`nominal_markers`), phone numbers (`nominal_phones`) and
//!   local history (earlier incidents linking them as `victim`, for "persistently targeted");
//!   the safe-contact block is the one stored with the victim's latest decision; the recorded
//!   decisions become the engine's decisions. `recorded_at` and "now" are in UK local time
//!   (GMT/BST, computed), and working days come from the force calendar the rules name.
//! * **Recording** ([`Store::record_referral_decision`]): the duplicate guard, then the full
//!   [`bluelamp_victims::validate_decision`] on the incident as stored plus the new decision and
//!   its safe-contact block (DA: the block is mandatory, and a safe number that matches a number
//!   held for a linked suspect is refused for a referral to a service that will phone). Errors:
//!   [`CaseworkError::Rejected`] with field-level messages, nothing written. Accepted: one
//!   transaction with the referral row (safe-contact block, services offered, needs answers and the
//!   engine's warnings in `details`), the follow-up task of a deferral (due after the rules'
//!   working days on the force calendar), the outbox mutation `referral.decision/1` and the
//!   access-log entry.
//! * **Escalation**: [`escalate_into_queue`] puts every victim whose referral (or follow-up)
//!   deadline is due soon (rules `escalation.due_soon_hours`, 24 h by default) or breached into the
//!   supervisor queue, with the working-day deadline (end of the due UK day) and a label that
//!   says how many working days are left.
//! * **Deferred victims of finalised incidents**: a deferral passes the closing-code gate, but the
//!   victim must be asked again, so the awaiting list and the escalation also cover the deferred
//!   victims (only those) of finalised incidents until a referred or declined decision is recorded.
//!   A deferral is closed only by a decline or a consent-based referral recorded after it, not by
//!   a notification such as MARAC (`bluelamp_victims` decides the state). A victim of a finalised
//!   incident whose decision was withdrawn is listed too until a fresh decision is recorded.
//! * **Withdrawing** ([`Store::withdraw_referral_decision`]): a recorded decision is withdrawn
//!   with a reason, never deleted (status `withdrawn`, the withdrawal kept with it), in one
//!   transaction with `referral.withdraw/1` and the access-log entry; it then counts for nothing,
//!   so a fresh decision can be recorded (an opt-out referral that a recode to domestic abuse
//!   made invalid, for want of the victim's explicit agreement).
//! * **Under 18 without a date of birth** ([`Store::record_under18_answer`]): the officer's
//!   answer to the rules' question for a victim with no date of birth, in one transaction with
//!   `victim.under18/1` and the access-log entry; the adapter passes the latest answer as the
//!   person's `under_18` while no date of birth is recorded.
//! * **Right 6, updates** ([`Store::record_investigation_event`], [`Store::record_victim_told`]):
//!   key events in the investigation (arrest, charge, bail, no further action…) and the victims
//!   told of them, each in one transaction with its outbox mutation (`investigation.event/1`,
//!   `victim.updated/1`) and access-log entry; the adapter passes them as the engine's `events`,
//!   whose untold updates have working-day deadlines and escalate when due soon or overdue;
//!   each victim's update preference ([`Store::record_update_preference`]) decides which are owed.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use bluelamp_forms::{MissingKind, PackKind, ProblemKind, QueueItem, QueueProblem, QueueRisk, SupervisorQueue};
use bluelamp_protocol::casework::{
    ReferralDecisionInfo, ReferralDecisionInput, ReferralOutcome, ReferralWithdrawal, TaskInfo,
};
use bluelamp_protocol::victims::{
    AwaitingRow, Countdown, EventVictim, InvestigationEventInfo, PanelEvent, Under18Answer, UpdatePreferenceInfo,
    VictimToldInfo, VictimsPanel,
};
use bluelamp_victims::{
    self as vc, Calendar, DeadlineStatus, DecisionCheck, FieldMessage, PromptStage, Region, Rules, ServiceDirectory,
};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

use crate::casework::{
    incident_row, insert_task, invalid, is_da, is_unique_violation, is_victim, load_incidents, load_states, now_unix,
    opt_text, read_referral, ts, CaseworkError, CwResult, IncidentRow, REFERRAL_COLUMNS, REFERRAL_READ_COLUMNS,
    TASK_REFERRAL_FOLLOW_UP,
};
use crate::{Actor, AuditAction, AuditEvent, OutboxMutation, Store};

/// The force's Victims' Code configuration: rules, bank-holiday calendar and toolkit directory.
pub struct VictimsConfig {
    pub rules: Rules,
    pub calendar: Calendar,
    pub services: ServiceDirectory,
}

/// The built-in configuration (`assets/victims`, `assets/calendar`), parsed once.
pub fn victims_config() -> CwResult<&'static VictimsConfig> {
    static CONFIG: OnceLock<Result<VictimsConfig, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let rules = Rules::default_rules().map_err(|e| e.to_string())?;
            let region = Region::parse(&rules.calendar).unwrap_or(Region::EnglandAndWales);
            let calendar = Calendar::builtin(region).map_err(|e| e.to_string())?;
            let services = ServiceDirectory::default_directory().map_err(|e| e.to_string())?;
            Ok(VictimsConfig { rules, calendar, services })
        })
        .as_ref()
        .map_err(|e| invalid(format!("the built-in Victims' Code rules are invalid: {e}")))
}

// ---- UK civil time (GMT/BST, no time-zone database): the rules engine's helpers ----

pub use bluelamp_victims::uk::{uk_offset, uk_time};

fn uk_parse(s: &str) -> Option<OffsetDateTime> {
    crate::casework::unix_of(s).map(uk_time)
}

/// Noon UTC on `day`, in UK time (GMT or BST as that day has it).
fn uk_noon(day: Date) -> OffsetDateTime {
    vc::uk::to_uk(PrimitiveDateTime::new(day, Time::from_hms(12, 0, 0).unwrap_or(Time::MIDNIGHT)).assume_utc())
}

/// Unix seconds at the end of the UK day `due` (midnight starting the next day).
pub fn end_of_uk_day(due: Date) -> i64 {
    vc::deadline_end(due, uk_noon(due)).map_or(i64::MAX, |t| t.unix_timestamp())
}

/// 08:30 UK time on `day` (Unix seconds): when a school day starts, for a notification due
/// before it (Operation Encompass).
pub fn school_day_start(day: Date) -> i64 {
    vc::uk::school_day_start(day).unix_timestamp()
}

/// A date field (a deferral's follow-up date): exactly `YYYY-MM-DD`, surrounding whitespace
/// allowed ([`bluelamp_protocol::dates::parse_iso_date`]), or why not. Until 7 Dec 2026 only the
/// first ten characters were read, so `2026-12-09xyz` or `2026-12-09T99:99` was taken.
fn parse_date(s: &str) -> Result<Date, String> {
    bluelamp_protocol::dates::parse_iso_date(s).and_then(|ymd| date_of(ymd, s))
}

fn date_of((y, m, d): (i32, u8, u8), s: &str) -> Result<Date, String> {
    time::Month::try_from(m)
        .ok()
        .and_then(|m| Date::from_calendar_date(y, m, d).ok())
        .ok_or_else(|| format!("'{}' is not a real date (YYYY-MM-DD)", s.trim()))
}

/// The date part of a date or a timestamp (a date of birth in the nominal cache): `YYYY-MM-DD`
/// alone or followed by a time (`T…` or ` …`), nothing else.
pub(crate) fn date_part(s: &str) -> Option<Date> {
    let s = s.trim();
    match s.get(10..) {
        Some(rest) if rest.is_empty() || rest.starts_with(['T', ' ']) => parse_date(&s[..10]).ok(),
        _ => None,
    }
}

/// The deadline a victim's queue row shows: a deferral's follow-up, except while the referral
/// deadline is breached and the follow-up is not: then the referral deadline, with the
/// follow-up date named (the engine escalates a deferred victim then, and the officer was warned
/// that a follow-up after it "will show as breached"; the row read "due in N working days").
fn shown_deadline(
    person_id: &str,
    referral_due: Date,
    follow_up: Option<Date>,
    now: OffsetDateTime,
    cfg: &VictimsConfig,
) -> (Date, Countdown) {
    let referral = countdown(person_id, referral_due, now, cfg);
    match follow_up.map(|f| (f, countdown(person_id, f, now, cfg))) {
        Some((f, fc)) if referral.status == DeadlineStatus::Breached && fc.status != DeadlineStatus::Breached => {
            let mut c = referral;
            c.label = format!("{}; follow-up due {f}", c.label);
            (referral_due, c)
        }
        Some((f, fc)) => (f, fc),
        None => (referral_due, referral),
    }
}

/// The working-day countdown to `due` at `now` (UK local).
pub fn countdown(person_id: &str, due: Date, now: OffsetDateTime, cfg: &VictimsConfig) -> Countdown {
    let today = now.date();
    let status = vc::deadline_status(due, now, cfg.rules.escalation.due_soon_hours);
    let left: i64 = if due >= today {
        i64::from(cfg.calendar.working_days_between(today, due))
    } else {
        -i64::from(cfg.calendar.working_days_between(due, today).max(1))
    };
    let days = |n: i64| if n.abs() == 1 { "1 working day".to_string() } else { format!("{} working days", n.abs()) };
    let mut label = match status {
        DeadlineStatus::Breached if left < 0 => format!("breached {} ago (due {due})", days(left)),
        DeadlineStatus::Breached => format!("breached (due {due})"),
        _ if left == 0 => format!("due today ({due})"),
        _ => format!("due in {} ({due})", days(left)),
    };
    // Past the force calendar's last year, bank holidays count as working days: say so where
    // the deadline is shown, rather than only in a flag nobody sees.
    let (first, last) = cfg.calendar.years();
    if !cfg.calendar.covers(due) || !cfg.calendar.covers(today) {
        label
            .push_str(&format!(" — approximate: bank holidays are known for {first}–{last} only; update the calendar"));
    }
    Countdown { person_id: person_id.to_string(), due: due.to_string(), working_days_left: left, status, label }
}

// ---- adapter ----

fn role_of(role: &str) -> vc::Role {
    match role {
        "victim" => vc::Role::Victim,
        "suspect" => vc::Role::Suspect,
        "witness" => vc::Role::Witness,
        "child" => vc::Role::ChildPresent,
        "bereaved_relative" => vc::Role::BereavedRelative,
        "parent_or_guardian" => vc::Role::ParentOrGuardian,
        "deceased" => vc::Role::Deceased,
        _ => vc::Role::Other,
    }
}

fn engine_outcome(o: ReferralOutcome) -> vc::Outcome {
    match o {
        ReferralOutcome::Referred => vc::Outcome::Referred,
        ReferralOutcome::Declined => vc::Outcome::Declined,
        ReferralOutcome::Deferred => vc::Outcome::Deferred,
    }
}

/// What the engine needs to know about a decision, from a stored referral row.
fn decision_of(r: &ReferralDecisionInfo) -> vc::Decision {
    let d = &r.details;
    let text = |k: &str| d.get(k).and_then(Value::as_str).map(str::to_string);
    vc::Decision {
        id: Some(r.id.clone()),
        victim_id: r.victim_id.clone(),
        outcome: Some(engine_outcome(r.outcome)),
        at: uk_parse(&r.decided_at),
        destination: r.destination.clone(),
        consent_given: d.get("consent_given").and_then(Value::as_bool),
        in_their_words: text("in_their_words"),
        reason: text("reason"),
        follow_up_due: text("follow_up_due").as_deref().and_then(|d| parse_date(d).ok()),
        withdrawn: r.status != "active",
    }
}

/// The latest under-18 answer of each person on the incident (`under18_answers`, latest by
/// `answered_at`, then id: UUIDv7, in time order).
fn under18_answers_of(conn: &Connection, incident_id: &str) -> CwResult<BTreeMap<String, bool>> {
    Ok(latest_under18_answers(conn, incident_id)?.into_iter().map(|(who, a)| (who, a.under_18)).collect())
}

/// The latest under-18 answer record of each person on the incident (see [`under18_answers_of`]).
fn latest_under18_answers(conn: &Connection, incident_id: &str) -> CwResult<BTreeMap<String, Under18Answer>> {
    let mut rows: Vec<(Option<i64>, Under18Answer)> = conn
        .prepare_cached(
            "SELECT answered_at, id, nominal_id, under_18, answered_by FROM under18_answers WHERE incident_id = ?1",
        )?
        .query_map([incident_id], |r| {
            let answered_at: String = r.get(0)?;
            Ok((
                crate::casework::unix_of(&answered_at),
                Under18Answer {
                    id: r.get(1)?,
                    incident_id: incident_id.to_string(),
                    nominal_id: r.get(2)?,
                    under_18: r.get(3)?,
                    answered_by: r.get(4)?,
                    answered_at,
                },
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    // By time (a time that cannot be read counts as earliest: text sorting after the digits
    // must not win for good), then id. Later rows overwrite earlier ones: the latest answer wins.
    rows.sort_by(|a, b| (a.0, &a.1.id).cmp(&(b.0, &b.1.id)));
    Ok(rows.into_iter().map(|(_, a)| (a.nominal_id.clone(), a)).collect())
}

/// The latest update preference of each person on the incident (`update_preferences`, latest by
/// `recorded_at`, then id), as [`under18_answers_of`] takes the latest answer.
fn update_preferences_of(conn: &Connection, incident_id: &str) -> CwResult<BTreeMap<String, UpdatePreferenceInfo>> {
    let mut rows: Vec<(Option<i64>, UpdatePreferenceInfo)> = conn
        .prepare_cached(
            "SELECT id, nominal_id, wants, recorded_by, recorded_at FROM update_preferences WHERE incident_id = ?1",
        )?
        .query_map([incident_id], |r| {
            let p = UpdatePreferenceInfo {
                id: r.get(0)?,
                incident_id: incident_id.to_string(),
                nominal_id: r.get(1)?,
                wants: r.get(2)?,
                recorded_by: r.get(3)?,
                recorded_at: r.get(4)?,
            };
            Ok((crate::casework::unix_of(&p.recorded_at), p))
        })?
        .collect::<rusqlite::Result<_>>()?;
    // A time that cannot be read counts as earliest; later rows overwrite earlier ones.
    rows.sort_by(|a, b| (a.0, &a.1.id).cmp(&(b.0, &b.1.id)));
    Ok(rows.into_iter().map(|(_, p)| (p.nominal_id.clone(), p)).collect())
}

/// The investigation events recorded on the incident, oldest first (by day, then recorded time
/// and id): the order the engine's `updates` of each victim follow.
fn events_of(conn: &Connection, incident_id: &str) -> CwResult<Vec<InvestigationEventInfo>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, kind, occurred_on, recorded_by, recorded_at FROM investigation_events WHERE incident_id = ?1
             ORDER BY occurred_on, recorded_at, id",
        )?
        .query_map([incident_id], |r| {
            Ok(InvestigationEventInfo {
                id: r.get(0)?,
                incident_id: incident_id.to_string(),
                kind: r.get(1)?,
                occurred_on: r.get(2)?,
                recorded_by: r.get(3)?,
                recorded_at: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?)
}

/// The victims told about the incident's events, earliest first.
fn told_of(conn: &Connection, incident_id: &str) -> CwResult<Vec<VictimToldInfo>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, event_id, nominal_id, how, told_by, told_at, told_on FROM victims_told
             WHERE incident_id = ?1 ORDER BY told_at, id",
        )?
        .query_map([incident_id], |r| {
            Ok(VictimToldInfo {
                id: r.get(0)?,
                event_id: r.get(1)?,
                incident_id: incident_id.to_string(),
                nominal_id: r.get(2)?,
                how: r.get(3)?,
                told_by: r.get(4)?,
                told_at: r.get(5)?,
                told_on: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?)
}

/// Whether two recorded events are one event: the same kind on the same day (recorded twice, on
/// two devices that had not yet seen each other's).
fn same_event(a: &InvestigationEventInfo, b: &InvestigationEventInfo) -> bool {
    a.kind == b.kind && a.occurred_on == b.occurred_on
}

/// Who was told of `e` or of a copy of it ([`same_event`]): one update, told once.
fn told_of_event<'a>(
    e: &InvestigationEventInfo,
    events: &[InvestigationEventInfo],
    told: &'a [VictimToldInfo],
) -> impl Iterator<Item = &'a VictimToldInfo> {
    let twins: Vec<String> = events.iter().filter(|x| same_event(x, e)).map(|x| x.id.clone()).collect();
    told.iter().filter(move |t| twins.contains(&t.event_id))
}

/// The engine's events (Right 6) from the stored ones: the kind's label (the prompts quote it),
/// the day, and who was told (of it or of a copy of it). An event whose day cannot be read
/// (never written so) is left out.
fn engine_events(events: &[InvestigationEventInfo], told: &[VictimToldInfo]) -> Vec<vc::InvestigationEvent> {
    events
        .iter()
        .filter_map(|e| {
            Some(vc::InvestigationEvent {
                kind: bluelamp_protocol::victims::event_kind_label(&e.kind).unwrap_or(&e.kind).to_string(),
                occurred_on: parse_date(&e.occurred_on).ok()?,
                victims_informed: told_of_event(e, events, told).map(|t| t.nominal_id.clone()).collect(),
                // The day each was told (met or missed is judged on it).
                told_on: told_of_event(e, events, told)
                    .filter_map(|t| {
                        Some(vc::ToldOn { person_id: t.nominal_id.clone(), on: parse_date(&t.told_day()?).ok()? })
                    })
                    .collect(),
            })
        })
        .collect()
}

fn referrals_of(conn: &Connection, incident_id: &str) -> CwResult<Vec<ReferralDecisionInfo>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {REFERRAL_READ_COLUMNS} FROM referrals WHERE incident_id = ?1 ORDER BY decided_at, id"
        ))?
        .query_map([incident_id], read_referral)?
        .collect::<rusqlite::Result<_>>()?)
}

/// The store's incident as the engine's input. `extra`: a safe-contact block and needs answers
/// for one victim, about to be recorded (they replace the stored ones for the check).
fn build_incident(
    conn: &Connection,
    row: &IncidentRow,
    referrals: &[ReferralDecisionInfo],
    extra: Option<(&str, &ReferralDecisionInput)>,
) -> CwResult<vc::Incident> {
    let s = &row.summary;
    let da = is_da(&s.incident_type, s.closing_code.as_deref());
    let mut categories: Vec<String> = Vec::new();
    // `concern_for_child` is an incident type, not an offence: it says nothing about victims.
    for c in [Some(s.incident_type.as_str()), s.offence_category.as_deref()].into_iter().flatten() {
        let c = c.trim().to_ascii_lowercase();
        if !c.is_empty() && c != "concern_for_child" && !categories.contains(&c) {
            categories.push(c);
        }
    }
    if da && !categories.iter().any(|c| c == "domestic_abuse") {
        categories.push("domestic_abuse".into());
    }
    // DA risk grade: the latest submitted (not superseded) risk assessment's officer grade.
    let state = load_states(conn, &[row])?.remove(&s.id).unwrap_or_default();
    let latest = |about: Option<&str>| {
        state
            .forms
            .iter()
            .filter(|f| f.kind == PackKind::RiskAssessment && f.status.is_submitted())
            .filter(|f| about.is_none_or(|id| f.victim_id.as_deref() == Some(id)))
            .max_by_key(|f| f.submitted_at)
    };
    let (risk_level, marac_criteria) = risk_facts(conn, row, latest(None))?;

    let mut order: Vec<String> = Vec::new();
    let mut people: BTreeMap<String, vc::Person> = BTreeMap::new();
    for l in &s.links {
        let p = people.entry(l.nominal_id.clone()).or_insert_with(|| {
            order.push(l.nominal_id.clone());
            vc::Person {
                id: l.nominal_id.clone(),
                name: l.name.clone(),
                date_of_birth: l.date_of_birth.as_deref().and_then(date_part),
                ..vc::Person::default()
            }
        });
        let r = role_of(&l.role);
        if !p.roles.contains(&r) {
            p.roles.push(r);
        }
        // A child present is a child: with no date of birth recorded, the notifications a child
        // needs (Operation Encompass, children's services) are still due, not merely possible.
        if r == vc::Role::ChildPresent && p.date_of_birth.is_none() {
            p.under_18 = Some(true);
        }
    }
    // The officer's answer to the under-18 question, for a person with no date of birth (a
    // recorded date of birth decides): the latest answer for the person on this incident.
    for (id, under_18) in under18_answers_of(conn, &s.id)? {
        if let Some(p) = people.get_mut(&id).filter(|p| p.date_of_birth.is_none()) {
            p.under_18 = Some(under_18);
        }
    }
    // The updates each victim wants (Right 6): the latest recorded preference; none is `all`.
    for (id, pref) in update_preferences_of(conn, &s.id)? {
        if let (Some(p), Some(wants)) = (people.get_mut(&id), vc::UpdatePreference::from_code(&pref.wants)) {
            p.update_preference = wants;
        }
    }
    let victims_and_children: Vec<String> = s
        .links
        .iter()
        .filter(|l| matches!(l.role.as_str(), "victim" | "child"))
        .map(|l| l.nominal_id.clone())
        .collect();
    let recorded = uk_parse(&s.recorded_at);
    let window = i64::from(victims_config()?.rules.persistent_targeting.window_days);
    let since = recorded.map(|r| ts(r.unix_timestamp().saturating_sub(window.saturating_add(1) * 86_400)));
    for (id, p) in people.iter_mut() {
        if p.roles.contains(&vc::Role::ParentOrGuardian) {
            p.acts_for = victims_and_children.iter().filter(|v| *v != id).cloned().collect();
        }
        p.phones = conn
            .prepare_cached("SELECT number FROM nominal_phones WHERE nominal_id = ?1 ORDER BY number")?
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        p.markers = conn
            .prepare_cached("SELECT code FROM nominal_markers WHERE nominal_id = ?1 ORDER BY code")?
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if p.roles.contains(&vc::Role::Victim) {
            let hist: Vec<(String, String)> = conn
                .prepare_cached(
                    "SELECT i.reference, i.recorded_at FROM incident_links l JOIN incidents i ON i.id = l.incident_id
                     WHERE l.nominal_id = ?1 AND l.role = 'victim' AND i.id <> ?2 AND i.recorded_at >= ?3
                       AND upper(trim(coalesce(i.closing_code, ''))) <> 'NFA-DUP'
                     ORDER BY i.recorded_at",
                )?
                .query_map(params![id, s.id, since.clone().unwrap_or_default()], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            p.victim_history = hist
                .into_iter()
                .filter_map(|(reference, at)| {
                    Some(vc::HistoryEntry { incident_id: reference, recorded_on: uk_parse(&at)?.date() })
                })
                .collect();
        }
        // The latest stored safe-contact block and needs answers of this victim.
        for r in referrals.iter().filter(|r| &r.victim_id == id && r.status == "active") {
            if let Some(sc) = r.details.get("safe_contact").filter(|v| !v.is_null()) {
                if let Ok(sc) = serde_json::from_value::<vc::SafeContact>(sc.clone()) {
                    p.safe_contact = Some(sc);
                }
            }
        }
        for r in referrals.iter().filter(|r| &r.victim_id == id && r.status == "active") {
            if let Some(Value::Object(m)) = r.details.get("needs") {
                for (k, v) in m {
                    if let Ok(a) = serde_json::from_value::<vc::Answer>(v.clone()) {
                        p.needs.insert(k.clone(), a);
                    }
                }
            }
        }
        if let Some((victim, input)) = extra {
            if victim == id {
                if input.safe_contact.is_some() {
                    p.safe_contact = input.safe_contact.clone();
                }
                p.needs.extend(input.needs.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
    }
    // Each person's own risk assessment (the latest submitted one naming them as its victim)
    // decides their IDVA and MARAC; without one, the incident's applies.
    for (id, p) in people.iter_mut() {
        if let Some(own) = latest(Some(id.as_str())) {
            (p.risk_level, p.marac_criteria) = risk_facts(conn, row, Some(own))?;
        }
    }
    Ok(vc::Incident {
        incident_id: s.id.clone(),
        recorded_at: recorded,
        offence_date: uk_parse(&s.occurred_at).map(|t| t.date()),
        offence_categories: categories,
        risk_level,
        marac_criteria,
        people: order.into_iter().filter_map(|id| people.remove(&id)).collect(),
        decisions: referrals.iter().map(decision_of).collect(),
        events: engine_events(&events_of(conn, &s.id)?, &told_of(conn, &s.id)?),
    })
}

/// A submitted risk assessment's grade, and the MARAC criteria it meets when graded below High
/// (graded High, MARAC is due on the grade already).
fn risk_facts(
    conn: &Connection,
    row: &IncidentRow,
    form: Option<&bluelamp_forms::FormSummary>,
) -> CwResult<(Option<vc::RiskLevel>, Vec<String>)> {
    let Some(f) = form else { return Ok((None, Vec::new())) };
    let level = f
        .officer_grade
        .and_then(|g| serde_json::to_value(g).ok())
        .and_then(|v| serde_json::from_value::<vc::RiskLevel>(v).ok());
    let criteria = if level == Some(vc::RiskLevel::High) {
        Vec::new()
    } else {
        crate::casework::marac_criteria_of(conn, row, &f.form_id)?
    };
    Ok((level, criteria))
}

pub(crate) fn assess_row(
    conn: &Connection,
    row: &IncidentRow,
    now: OffsetDateTime,
) -> CwResult<(vc::Assessment, Vec<ReferralDecisionInfo>)> {
    let cfg = victims_config()?;
    let referrals = referrals_of(conn, &row.summary.id)?;
    let incident = build_incident(conn, row, &referrals, None)?;
    Ok((vc::assess(&incident, &cfg.rules, &cfg.calendar, now), referrals))
}

/// Assessments of every open incident with at least one victim, and of every finalised incident
/// with a deferred victim, at `now` (unix seconds).
///
/// A deferral ("not safe to ask now") counts as a decision for the closing-code gate, so the
/// incident can be finalised; but the victim must still be asked again until a final decision
/// (referred or declined) is recorded. A finalised incident's assessment therefore keeps only
/// its victims whose state is still `Deferred`: victims with a final decision (or none) never
/// bring a finalised incident back to the awaiting list or the supervisor queue.
fn open_assessments(conn: &Connection, now: i64) -> CwResult<Vec<(IncidentRow, vc::Assessment)>> {
    let at = uk_time(now);
    let mut out = Vec::new();
    for row in load_incidents(conn, None)? {
        let finalised = row.finalised_at.is_some();
        if finalised
            && !has_active_deferral(conn, &row.summary.id)?
            && !has_withdrawn_decision(conn, &row.summary.id)?
            && !has_untold_event(conn, &row.summary.id)?
        {
            continue;
        }
        let da = is_da(&row.summary.incident_type, row.summary.closing_code.as_deref());
        if !row.summary.links.iter().any(|l| is_victim(&l.role, da) || l.role == "parent_or_guardian") {
            continue;
        }
        let (mut a, referrals) = assess_row(conn, &row, at)?;
        if finalised {
            // A victim whose decision was withdrawn after the incident was finalised, with no
            // fresh one yet, is awaiting a decision again (as a deferred victim is).
            let withdrawn = |id: &str| referrals.iter().any(|r| r.victim_id == id && r.status != "active");
            // A victim still owed an update (Right 6: a no-further-action decision is usually
            // recorded at closing) stays until told.
            a.victims.retain(|v| match v.referral_state {
                vc::ReferralState::Deferred => true,
                vc::ReferralState::AwaitingDecision => withdrawn(&v.person_id),
                // Owed: not told and wanted (an update the victim asked not to have is not).
                _ => v.updates.iter().any(|u| u.status.is_some()),
            });
            if a.victims.is_empty() {
                continue;
            }
        }
        out.push((row, a));
    }
    Ok(out)
}

/// Whether the incident has a withdrawn referral decision (cheap pre-check before assessing a
/// finalised incident: its victim may be awaiting a fresh decision).
fn has_withdrawn_decision(conn: &Connection, incident_id: &str) -> CwResult<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM referrals WHERE incident_id = ?1 AND status <> 'active')")?
        .query_row([incident_id], |r| r.get(0))?)
}

/// Whether someone linked to the incident in a role the rules may count as a victim's (not a
/// suspect, witness, reporting person or the deceased, who are never told) has not been told about
/// one of its investigation events (cheap pre-check before assessing a finalised incident: a
/// victim may still be owed an update, Right 6; the assessment decides who is a victim).
fn has_untold_event(conn: &Connection, incident_id: &str) -> CwResult<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM investigation_events e JOIN incident_links l ON l.incident_id = e.incident_id
                WHERE e.incident_id = ?1 AND l.role IN ('victim', 'child', 'bereaved_relative', 'parent_or_guardian')
                  AND NOT EXISTS (SELECT 1 FROM victims_told t WHERE t.event_id = e.id AND t.nominal_id = l.nominal_id))",
        )?
        .query_row([incident_id], |r| r.get(0))?)
}

/// Whether the incident has an active deferred referral decision (cheap pre-check before assessing
/// a finalised incident).
fn has_active_deferral(conn: &Connection, incident_id: &str) -> CwResult<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM referrals WHERE incident_id = ?1 AND status = 'active' AND outcome = ?2)",
        )?
        .query_row(params![incident_id, ReferralOutcome::Deferred.as_str()], |r| r.get(0))?)
}

/// Adds the victims whose referral (or follow-up) deadline is due soon or breached to the
/// supervisor queue, with the working-day deadline. A victim already listed by the closing-code
/// rules (48 h from the incident), for a referral decision or a notification, gets the
/// working-day deadline instead.
pub fn escalate_into_queue(conn: &Connection, q: &mut SupervisorQueue, now: i64) -> CwResult<()> {
    let cfg = victims_config()?;
    let at = uk_time(now);
    let assessed = open_assessments(conn, now)?;
    let escalated = vc::supervisor_queue(&assessed.iter().map(|(_, a)| a.clone()).collect::<Vec<_>>());
    // Working-day deadlines for every victim with a referral problem already on the queue. The
    // open assessments leave out finalised incidents (or keep only their deferred victims); a
    // victim of one still listed by the closing-code rules is assessed in full here, so no
    // referral problem keeps the 48-hour deadline.
    // A notification the rules require (MARAC, Operation Encompass, children's services) is due
    // with the referral decision, so it takes the same deadline.
    let referral_item = |k: MissingKind| matches!(k, MissingKind::VictimReferralDecision | MissingKind::Notification);
    for item in &mut q.items {
        if !item.problems.iter().any(|p| referral_item(p.item)) {
            continue;
        }
        let open = assessed.iter().find(|(r, _)| r.summary.id == item.incident_id).map(|(_, a)| a);
        let mut full: Option<vc::Assessment> = None;
        for p in item.problems.iter_mut().filter(|p| referral_item(p.item)) {
            let find =
                |a: &vc::Assessment| a.victims.iter().find(|v| Some(&v.person_id) == p.victim_id.as_ref()).cloned();
            let v = match open.and_then(find) {
                Some(v) => v,
                None => {
                    if full.is_none() {
                        full = Some(assess_row(conn, &incident_row(conn, &item.incident_id)?, at)?.0);
                    }
                    let Some(v) = full.as_ref().and_then(find) else { continue };
                    v
                }
            };
            // Operation Encompass: before the next school day starts, not with the decision
            // (review, 7 Dec 2026: the queue gave it the 2-working-day referral deadline).
            if p.item == MissingKind::Notification {
                if let Some(before) =
                    v.destinations.iter().find(|d| !d.recorded && p.label.contains(&d.label)).and_then(|d| d.due_before)
                {
                    p.deadline = school_day_start(before);
                    let late = now > p.deadline;
                    p.kind = if late { ProblemKind::Overdue } else { ProblemKind::Missing };
                    p.label = format!(
                        "{} — {} the school day starts on {}",
                        p.label,
                        if late { "overdue: due before" } else { "due before" },
                        before
                    );
                    continue;
                }
            }
            // A deferral's follow-up is for asking the victim; notifications do not wait for it.
            let (due, c) = match p.item {
                MissingKind::Notification => {
                    (v.referral_deadline.due, countdown(&v.person_id, v.referral_deadline.due, at, cfg))
                }
                _ => {
                    shown_deadline(&v.person_id, v.referral_deadline.due, v.follow_up.as_ref().map(|f| f.due), at, cfg)
                }
            };
            p.deadline = end_of_uk_day(due);
            p.kind = if c.status == DeadlineStatus::Breached { ProblemKind::Overdue } else { ProblemKind::Missing };
            p.label = format!("{} — Victims' Code: {}", p.label, c.label);
        }
    }
    for e in escalated {
        let Some((row, a)) = assessed.iter().find(|(r, _)| r.summary.id == e.incident_id) else { continue };
        let name = e.name.clone().unwrap_or_else(|| e.person_id.clone());
        let (due, c) = shown_deadline(&e.person_id, e.due, e.follow_up_due, at, cfg);
        let what = match e.state {
            vc::ReferralState::Deferred => format!("Ask {name} again about a victim referral (deferred)"),
            vc::ReferralState::AwaitingDecision => format!("Record a Victims' Code referral decision for {name}"),
            // A victim with a decision escalates for an update: those have their own rows below.
            _ => continue,
        };
        let problem = QueueProblem {
            kind: if c.status == DeadlineStatus::Breached { ProblemKind::Overdue } else { ProblemKind::Missing },
            item: MissingKind::VictimReferralDecision,
            label: format!("{what} — Victims' Code: {}", c.label),
            deadline: end_of_uk_day(due),
            form_id: None,
            victim_id: Some(e.person_id.clone()),
        };
        match q.items.iter_mut().find(|i| i.incident_id == e.incident_id) {
            Some(item) => {
                if item.problems.iter().any(|p| {
                    p.item == MissingKind::VictimReferralDecision && p.victim_id.as_deref() == Some(&e.person_id)
                }) {
                    continue;
                }
                item.problems.push(problem);
            }
            None => q.items.push(queue_item(row, a, now, problem)),
        }
    }
    // Right 6: each update owed after an investigation event, due soon or overdue, is a row of
    // its own with its own deadline, whatever the victim's referral state. Before, a victim
    // still awaiting a referral decision (or deferred) was listed under the referral's wording
    // and deadline only, so an update breached on the Tuesday showed as "referral decision due
    // Wednesday" (review, 7 Dec 2026).
    for (row, a) in &assessed {
        for v in &a.victims {
            let name = v.name.clone().unwrap_or_else(|| v.person_id.clone());
            for u in v.updates.iter().filter(|u| !u.informed && u.status.is_some_and(DeadlineStatus::escalate)) {
                let c = countdown(&v.person_id, u.deadline.due, at, cfg);
                let problem = QueueProblem {
                    kind: if c.status == DeadlineStatus::Breached {
                        ProblemKind::Overdue
                    } else {
                        ProblemKind::Missing
                    },
                    item: MissingKind::VictimUpdate,
                    label: format!("Update {name} (Victims' Code, Right 6): {} — Victims' Code: {}", u.kind, c.label),
                    deadline: end_of_uk_day(u.deadline.due),
                    form_id: None,
                    victim_id: Some(v.person_id.clone()),
                };
                match q.items.iter_mut().find(|i| i.incident_id == a.incident_id) {
                    Some(item) => {
                        if !item.problems.contains(&problem) {
                            item.problems.push(problem);
                        }
                    }
                    None => q.items.push(queue_item(row, a, now, problem)),
                }
            }
        }
    }
    for item in &mut q.items {
        item.problems.sort_by(|a, b| b.kind.is_overdue().cmp(&a.kind.is_overdue()).then(a.deadline.cmp(&b.deadline)));
        item.next_deadline = item.problems.iter().map(|p| p.deadline).min().unwrap_or(i64::MAX);
    }
    q.items.sort_by(bluelamp_forms::queue::queue_order);
    q.team_counts = bluelamp_forms::team_counts(&q.items);
    Ok(())
}

/// A queue row for an incident the closing-code rules did not list, with its one problem.
fn queue_item(row: &IncidentRow, a: &vc::Assessment, now: i64, problem: QueueProblem) -> QueueItem {
    let risk = match a.risk_level {
        Some(vc::RiskLevel::High) => QueueRisk::High,
        Some(vc::RiskLevel::Medium) => QueueRisk::Medium,
        Some(vc::RiskLevel::Standard) => QueueRisk::Standard,
        None if a.domestic_abuse => QueueRisk::Ungraded,
        None => QueueRisk::Standard,
    };
    QueueItem {
        incident_id: a.incident_id.clone(),
        team: row.summary.team.clone().unwrap_or_else(|| "Unassigned".into()),
        codes: row.summary.closing_code.iter().cloned().collect(),
        risk,
        suggestion_above_grade: false,
        occurred_at: row.occurred,
        age_secs: now.saturating_sub(row.occurred),
        // A finalised incident here has a deferred victim still to be asked again, or an update
        // still owed.
        closed: row.finalised_at.is_some(),
        problems: vec![problem],
        next_deadline: 0,
    }
}

/// The panel's Right 6 part: each event (oldest first) with each victim's update, told or owed
/// with its countdown. The engine's `updates` of a victim follow the events in the order
/// [`events_of`] gives them ([`engine_events`] leaves none out: every stored day is a date).
fn panel_events(
    conn: &Connection,
    incident_id: &str,
    assessment: &vc::Assessment,
    at: OffsetDateTime,
    cfg: &VictimsConfig,
) -> CwResult<Vec<PanelEvent>> {
    let events = events_of(conn, incident_id)?;
    let told = told_of(conn, incident_id)?;
    Ok(events
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, e)| {
            let victims = assessment
                .victims
                .iter()
                .map(|v| {
                    let t = told_of_event(&e, &events, &told).find(|t| t.nominal_id == v.person_id).cloned();
                    let u = v.updates.get(i);
                    let not_wanted = t.is_none() && u.is_some_and(|u| u.not_wanted);
                    let countdown = match (&t, u) {
                        (None, Some(u)) if !not_wanted => Some(countdown(&v.person_id, u.deadline.due, at, cfg)),
                        _ => None,
                    };
                    let told_late = t.is_some() && u.is_some_and(|u| u.in_time == Some(false));
                    EventVictim {
                        person_id: v.person_id.clone(),
                        name: v.name.clone(),
                        told: t,
                        countdown,
                        not_wanted,
                        told_late,
                    }
                })
                .collect();
            let label = bluelamp_protocol::victims::event_kind_label(&e.kind).unwrap_or(&e.kind).to_string();
            PanelEvent { event: e, label, victims }
        })
        .collect())
}

fn field_errors(msgs: &[FieldMessage]) -> String {
    msgs.iter().map(|m| format!("{}: {}", m.field, m.message)).collect::<Vec<_>>().join("; ")
}

impl Store {
    /// Phone numbers held for a person (system import, like nominals: no outbox, no access log).
    pub fn add_nominal_phones(&mut self, rows: &[(String, String)]) -> CwResult<usize> {
        let tx = self.conn.transaction()?;
        let mut n = 0;
        for (id, number) in rows {
            let number = number.trim();
            if id.trim().is_empty() || number.is_empty() || number.chars().count() > 40 {
                return Err(invalid("a phone number needs a person id and at most 40 characters"));
            }
            n += tx
                .prepare_cached("INSERT OR IGNORE INTO nominal_phones (nominal_id, number) VALUES (?1, ?2)")?
                .execute(params![id.trim(), number])?;
        }
        tx.commit()?;
        Ok(n)
    }

    /// The Victims' Code assessment of one incident at `now` (unix seconds), for the Victims panel.
    pub fn victims_assessment(&self, incident_id: &str, now: i64) -> CwResult<VictimsPanel> {
        let cfg = victims_config()?;
        let row = incident_row(&self.conn, incident_id)?;
        let at = uk_time(now);
        let (assessment, decisions) = assess_row(&self.conn, &row, at)?;
        let countdowns = assessment
            .victims
            .iter()
            .map(|v| {
                shown_deadline(&v.person_id, v.referral_deadline.due, v.follow_up.as_ref().map(|f| f.due), at, cfg).1
            })
            .collect();
        let closing_prompts = vc::prompts_for(&assessment, PromptStage::Closed);
        let events = panel_events(&self.conn, &row.summary.id, &assessment, at, cfg)?;
        let update_preferences = update_preferences_of(&self.conn, &row.summary.id)?.into_values().collect();
        // The answers the assessment went by: only for a person with no date of birth.
        let under18_answers = latest_under18_answers(&self.conn, &row.summary.id)?
            .into_values()
            .filter(|a| {
                row.summary
                    .links
                    .iter()
                    .any(|l| l.nominal_id == a.nominal_id && l.date_of_birth.as_deref().and_then(date_part).is_none())
            })
            .collect();
        Ok(VictimsPanel {
            incident_id: row.summary.id.clone(),
            reference: row.summary.reference.clone(),
            assessment,
            countdowns,
            closing_prompts,
            decisions,
            services: cfg.services.services.clone(),
            area: None,
            needs_kinds: cfg
                .rules
                .needs_questions
                .iter()
                .map(|q| {
                    let kind = serde_json::to_value(q.answer).ok().and_then(|v| v.as_str().map(str::to_string));
                    (q.id.clone(), kind.unwrap_or_else(|| "text".into()))
                })
                .collect(),
            events,
            update_preferences,
            under18_answers,
        })
    }

    /// Every victim of an open incident still awaiting a referral decision (or deferred), and every
    /// deferred victim of a finalised incident (until a final decision is recorded), most urgent
    /// first, at `now` (unix seconds).
    pub fn victims_awaiting(&self, now: i64) -> CwResult<Vec<AwaitingRow>> {
        let cfg = victims_config()?;
        let at = uk_time(now);
        let assessed = open_assessments(&self.conn, now)?;
        let rows = vc::awaiting_referral_decisions(&assessed.iter().map(|(_, a)| a.clone()).collect::<Vec<_>>());
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let (row, _) = assessed.iter().find(|(i, _)| i.summary.id == r.incident_id)?;
                let (_, countdown) = shown_deadline(&r.person_id, r.due, r.follow_up_due, at, cfg);
                Some(AwaitingRow {
                    incident_id: row.summary.id.clone(),
                    reference: row.summary.reference.clone(),
                    incident_type: row.summary.incident_type.clone(),
                    row: r,
                    countdown,
                })
            })
            .collect())
    }

    /// Checks a referral decision with the rules engine without writing anything.
    pub fn check_referral_decision(
        &self,
        incident_id: &str,
        victim_id: &str,
        decision: &ReferralDecisionInput,
        now: i64,
    ) -> CwResult<DecisionCheck> {
        let cfg = victims_config()?;
        let row = incident_row(&self.conn, incident_id)?;
        let referrals = referrals_of(&self.conn, incident_id)?;
        let victim_id = victim_id.trim();
        let incident = build_incident(&self.conn, &row, &referrals, Some((victim_id, decision)))?;
        let candidate = vc::Decision {
            id: None,
            victim_id: victim_id.to_string(),
            outcome: Some(match decision.outcome {
                ReferralOutcome::Referred => vc::Outcome::Referred,
                ReferralOutcome::Declined => vc::Outcome::Declined,
                ReferralOutcome::Deferred => vc::Outcome::Deferred,
            }),
            at: Some(uk_time(now)),
            destination: decision.destination.clone(),
            consent_given: decision.consent_given,
            in_their_words: decision.in_their_words.clone(),
            reason: decision.reason.clone(),
            // Exactly a date, by the protocol's check.
            follow_up_due: match decision.follow_up_date() {
                Ok(Some(ymd)) => Some(
                    date_of(ymd, decision.follow_up_due.as_deref().unwrap_or_default())
                        .map_err(|e| invalid(format!("Follow-up date: {e}")))?,
                ),
                Ok(None) => None,
                Err(e) => return Err(invalid(format!("Follow-up date: {e}"))),
            },
            withdrawn: false,
        };
        Ok(vc::validate_decision(&candidate, &incident, &cfg.rules, &cfg.calendar, uk_time(now)))
    }

    /// Records a Victims' Code referral decision for a victim of the incident: referred (with a
    /// destination), declined (in the victim's words) or deferred (with a reason; creates a
    /// follow-up task due after the rules' working days). The whole decision is checked by
    /// `bluelamp_victims::validate_decision` (refused: [`CaseworkError::Rejected`] with every
    /// field-level message, nothing written). One transaction with `referral.decision/1` and the
    /// access-log entry. The engine's warnings are shown by the caller and stored in
    /// `details.warnings`. A second active referral of the same victim to the same destination on
    /// the incident is refused ([`CaseworkError::DuplicateReferral`]).
    pub fn record_referral_decision(
        &mut self,
        actor: &Actor,
        incident_id: &str,
        victim_id: &str,
        decision: &ReferralDecisionInput,
    ) -> CwResult<ReferralDecisionInfo> {
        // A finalised incident still takes decisions: a deferred victim is asked again later.
        let inc = incident_row(&self.conn, incident_id)?;
        let da = is_da(&inc.summary.incident_type, inc.summary.closing_code.as_deref());
        let victim_id = victim_id.trim();
        let now = now_unix();
        // The engine's view of this person, once: who may have a decision recorded (a linked
        // victim, or anyone the rules treat as one, such as a parent acting for a child victim)
        // and the enhanced eligibility the referral carries, with the decision form's own needs
        // answers and safe-contact block, as the validation sees them: "yes" to disability there
        // makes a theft victim enhanced, and the referral must say so (it used to be sent as not
        // enhanced).
        let assessment = {
            let cfg = victims_config()?;
            let referrals = referrals_of(&self.conn, incident_id)?;
            let incident = build_incident(&self.conn, &inc, &referrals, Some((victim_id, decision)))?;
            vc::assess(&incident, &cfg.rules, &cfg.calendar, uk_time(now))
        };
        let assessed = assessment.victims.iter().find(|v| v.person_id == victim_id);
        if !inc.summary.links.iter().any(|l| l.nominal_id == victim_id && is_victim(&l.role, da)) && assessed.is_none()
        {
            return Err(invalid(format!("{victim_id} is not a victim linked to this incident")));
        }
        let destination = opt_text("destination", decision.destination.as_deref())?.map(|d| d.to_ascii_lowercase());
        let words = opt_text("victim's words", decision.in_their_words.as_deref())?;
        let reason = opt_text("reason", decision.reason.as_deref())?;
        // Duplicate guard first (the unique index is the backstop).
        if decision.outcome == ReferralOutcome::Referred {
            if let Some(dest) = &destination {
                let existing: Vec<vc::ReferralRecord> = referrals_of(&self.conn, incident_id)?
                    .iter()
                    .filter_map(|r| vc::ReferralRecord::from_decision(&decision_of(r), incident_id))
                    .collect();
                let candidate = vc::ReferralRecord {
                    id: None,
                    incident_id: incident_id.to_string(),
                    victim_id: victim_id.to_string(),
                    destination: dest.clone(),
                    active: true,
                };
                if matches!(vc::check_duplicate_referral(&existing, &candidate), vc::DuplicateCheck::Duplicate { .. }) {
                    return Err(CaseworkError::DuplicateReferral {
                        victim_id: victim_id.to_string(),
                        destination: dest.clone(),
                    });
                }
            }
        }
        let check = self.check_referral_decision(incident_id, victim_id, decision, now)?;
        if !check.is_valid() {
            return Err(CaseworkError::Rejected {
                summary: field_errors(&check.errors),
                errors: check.errors,
                warnings: check.warnings,
            });
        }
        let follow_up =
            if decision.outcome == ReferralOutcome::Deferred { check.follow_up.as_ref().map(|t| t.due) } else { None };
        let services: Vec<String> = decision
            .services_offered
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .take(100)
            .collect();
        let needs: BTreeMap<String, vc::Answer> = decision
            .needs
            .iter()
            .filter(|(k, a)| !k.trim().is_empty() && a.is_answered())
            .take(50)
            .map(|(k, a)| (k.trim().to_string(), a.clone()))
            .collect();
        if needs
            .values()
            .any(|a| matches!(a, vc::Answer::Text(t) if t.chars().count() > crate::casework::MAX_TEXT_CHARS))
        {
            return Err(invalid("a needs-assessment answer is too long"));
        }
        // Enhanced eligibility goes with the referral: a service that learns of it must pass
        // it on (Victims' Code), and it sets the service's own deadlines.
        let enhanced = assessed.map(|v| json!({ "eligible": v.enhanced, "grounds": v.enhanced_reasons }));
        let details = json!({
            "enhanced": enhanced,
            "consent_given": decision.consent_given,
            "in_their_words": words,
            "reason": reason,
            "follow_up_due": follow_up.map(|d| d.to_string()),
            "services_offered": services,
            "safe_contact": decision.safe_contact,
            "needs": needs,
            "warnings": check.warnings,
        });
        let id = uuid::Uuid::now_v7().to_string();
        let at = ts(now);
        let info = ReferralDecisionInfo {
            id: id.clone(),
            incident_id: incident_id.to_string(),
            victim_id: victim_id.to_string(),
            outcome: decision.outcome,
            destination: if decision.outcome == ReferralOutcome::Referred { destination.clone() } else { None },
            details,
            status: "active".into(),
            decided_at: at.clone(),
            decided_by: actor.officer_id.clone(),
            withdrawal: None,
        };
        let task = follow_up.map(|due| {
            let assessed_name = assessed.and_then(|v| v.name.clone());
            follow_up_task(&info, &inc, assessed_name, due)
        });
        let event = AuditEvent::new(AuditAction::Collection, format!("referral:{id}")).detail(json!({
            "incident_id": incident_id, "victim_id": victim_id, "outcome": decision.outcome,
            "destination": info.destination,
        }));
        let mutation = OutboxMutation {
            name: "referral.decision/1".into(),
            payload: json!({ "decision": info, "follow_up_task": task }),
        };
        let settles = rules_settle_follow_ups(decision.outcome, info.destination.as_deref())?;
        let res = self.user_write(actor, event, Some(mutation), |tx| {
            // Before this decision's own follow-up exists: a newer decision settles the older.
            if settles {
                settle_follow_ups(tx, &info.incident_id, &info.victim_id)?;
            }
            tx.execute(
                &format!("INSERT INTO referrals ({REFERRAL_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
                params![
                    info.id,
                    info.incident_id,
                    info.victim_id,
                    info.outcome.as_str(),
                    info.destination,
                    info.details.to_string(),
                    info.status,
                    info.decided_at,
                    info.decided_by
                ],
            )?;
            if let Some(t) = &task {
                insert_task(tx, t)?;
            }
            close_tasks_met_by(tx, &info.incident_id, info.outcome.as_str(), info.destination.as_deref())?;
            Ok(())
        });
        match res {
            Ok(()) => Ok(info),
            Err(e) if is_unique_violation(&e, "referrals") => Err(CaseworkError::DuplicateReferral {
                victim_id: victim_id.to_string(),
                destination: destination.unwrap_or_default(),
            }),
            Err(e) => Err(e.into()),
        }
    }
}

impl Store {
    /// Records the officer's answer to "Date of birth not recorded: was this victim under 18 at
    /// the time of the offence?" for a victim of the incident. The assessment then takes the
    /// latest answer for the person as their `under_18` (enhanced rights, child destinations),
    /// and the question is no longer asked. One transaction with the outbox mutation
    /// `victim.under18/1` and the access-log entry (`collection` of `under18:<id>`).
    ///
    /// Refused, nothing written: an unknown incident ([`CaseworkError::NotFound`]), a person not
    /// linked to it as a victim ([`CaseworkError::NotAVictim`]), a victim with a date of birth
    /// recorded, which decides ([`CaseworkError::DateOfBirthRecorded`]).
    pub fn record_under18_answer(
        &mut self,
        actor: &Actor,
        incident_id: &str,
        nominal_id: &str,
        under_18: bool,
    ) -> CwResult<Under18Answer> {
        let inc = incident_row(&self.conn, incident_id.trim())?;
        let incident_id = inc.summary.id.clone();
        let nominal_id = nominal_id.trim();
        let Some(link) = inc.summary.links.iter().find(|l| l.nominal_id == nominal_id && l.role == "victim") else {
            return Err(CaseworkError::NotAVictim {
                person: bluelamp_protocol::dates::shown(nominal_id, 60),
                incident: inc.summary.reference.clone(),
            });
        };
        if let Some(dob) = link.date_of_birth.as_deref().filter(|d| date_part(d).is_some()) {
            return Err(CaseworkError::DateOfBirthRecorded {
                person: nominal_id.to_string(),
                dob: dob.trim().get(..10).unwrap_or(dob).to_string(),
            });
        }
        // The latest answer counts, by its time. A correction is made knowing the answer it
        // corrects (the question is asked again only while none is held), so it is timed after
        // it even when that answer's device clock was ahead: otherwise an answer made on a
        // laptop an hour or a year fast outranked every later correction (review, 7 Dec 2026).
        let latest: Option<i64> = self
            .conn
            .prepare_cached("SELECT answered_at FROM under18_answers WHERE incident_id = ?1 AND nominal_id = ?2")?
            .query_map([incident_id.as_str(), nominal_id], |r| r.get::<_, String>(0))?
            .filter_map(|t| t.ok().and_then(|t| crate::casework::unix_of(&t)))
            .max();
        let at = latest.map_or(now_unix(), |l| now_unix().max(l.saturating_add(1)));
        let answer = Under18Answer {
            id: uuid::Uuid::now_v7().to_string(),
            incident_id: incident_id.clone(),
            nominal_id: nominal_id.to_string(),
            under_18,
            answered_by: actor.officer_id.clone(),
            answered_at: ts(at),
        };
        let event = AuditEvent::new(AuditAction::Collection, format!("under18:{}", answer.id)).detail(json!({
            "incident_id": answer.incident_id, "nominal_id": answer.nominal_id, "under_18": under_18,
        }));
        let mutation = OutboxMutation { name: "victim.under18/1".into(), payload: json!({ "answer": answer }) };
        self.user_write(actor, event, Some(mutation), |tx| {
            tx.prepare_cached(
                "INSERT INTO under18_answers (id, incident_id, nominal_id, under_18, answered_by, answered_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                answer.id,
                answer.incident_id,
                answer.nominal_id,
                answer.under_18,
                answer.answered_by,
                answer.answered_at
            ])?;
            Ok(())
        })?;
        Ok(answer)
    }
}

impl Store {
    /// Records a key event in the investigation of an incident (Victims' Code, Right 6: arrest,
    /// interview, release under investigation or on bail, bail conditions, charge, summons,
    /// out-of-court resolution, no further action, investigation closed). Every victim of the
    /// incident is then owed an update within the rules' working days (1 with enhanced rights,
    /// 5 otherwise; day 0 = `occurred_on`). One transaction with the outbox mutation
    /// `investigation.event/1` and the access-log entry (`collection` of `event:<id>`).
    ///
    /// Refused, nothing written: an unknown incident ([`CaseworkError::NotFound`]), a kind not in
    /// [`bluelamp_protocol::victims::EVENT_KINDS`] ([`CaseworkError::UnknownEventKind`]), a day
    /// that is not a date, in the future (UK) or before the offence ([`CaseworkError::EventDate`]).
    pub fn record_investigation_event(
        &mut self,
        actor: &Actor,
        incident_id: &str,
        kind: &str,
        occurred_on: &str,
    ) -> CwResult<InvestigationEventInfo> {
        let inc = incident_row(&self.conn, incident_id.trim())?;
        let kind = kind.trim();
        if bluelamp_protocol::victims::event_kind_label(kind).is_none() {
            return Err(CaseworkError::UnknownEventKind(bluelamp_protocol::dates::shown(kind, 60)));
        }
        let now = now_unix();
        let today = uk_time(now).date().to_string();
        let offence = uk_parse(&inc.summary.occurred_at).map(|t| t.date().to_string());
        let occurred_on = bluelamp_protocol::victims::check_event_date(occurred_on, &today, offence.as_deref())
            .map_err(CaseworkError::EventDate)?;
        if let Some(twin) =
            events_of(&self.conn, &inc.summary.id)?.into_iter().find(|e| e.kind == kind && e.occurred_on == occurred_on)
        {
            return Err(CaseworkError::EventRecorded {
                label: bluelamp_protocol::victims::event_kind_label(kind).unwrap_or(kind).to_string(),
                day: occurred_on,
                incident: inc.summary.reference.clone(),
                by: twin.recorded_by,
            });
        }
        let e = InvestigationEventInfo {
            id: uuid::Uuid::now_v7().to_string(),
            incident_id: inc.summary.id.clone(),
            kind: kind.to_string(),
            occurred_on,
            recorded_by: actor.officer_id.clone(),
            recorded_at: ts(now),
        };
        let event = AuditEvent::new(AuditAction::Collection, format!("event:{}", e.id)).detail(json!({
            "incident_id": e.incident_id, "kind": e.kind, "occurred_on": e.occurred_on,
        }));
        let mutation = OutboxMutation { name: "investigation.event/1".into(), payload: json!({ "event": e }) };
        self.user_write(actor, event, Some(mutation), |tx| {
            tx.prepare_cached(
                "INSERT INTO investigation_events (id, incident_id, kind, occurred_on, recorded_by, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![e.id, e.incident_id, e.kind, e.occurred_on, e.recorded_by, e.recorded_at])?;
            Ok(())
        })?;
        Ok(e)
    }

    /// Records that a victim of the incident was told about an investigation event (`how`: a
    /// code of [`bluelamp_protocol::victims::TOLD_HOW`]); their update for it is then no longer
    /// owed. One transaction with the outbox mutation `victim.updated/1` and the access-log
    /// entry (`collection` of `told:<id>`).
    ///
    /// Refused, nothing written: an unknown incident ([`CaseworkError::NotFound`]), an event not
    /// recorded on it ([`CaseworkError::UnknownEvent`]), a person the rules do not count as its
    /// victim ([`CaseworkError::NotOwedAnUpdate`]), a victim told of it already
    /// ([`CaseworkError::AlreadyTold`]), an unknown way of telling ([`CaseworkError::UnknownHow`]).
    pub fn record_victim_told(
        &mut self,
        actor: &Actor,
        incident_id: &str,
        event_id: &str,
        nominal_id: &str,
        how: &str,
        told_on: Option<&str>,
    ) -> CwResult<VictimToldInfo> {
        let inc = incident_row(&self.conn, incident_id.trim())?;
        let incident_id = inc.summary.id.clone();
        let (event_id, nominal_id, how) = (event_id.trim(), nominal_id.trim(), how.trim());
        if bluelamp_protocol::victims::told_how_label(how).is_none() {
            return Err(CaseworkError::UnknownHow(bluelamp_protocol::dates::shown(how, 60)));
        }
        let events = events_of(&self.conn, &incident_id)?;
        let Some(this) = events.iter().find(|e| e.id == event_id) else {
            return Err(CaseworkError::UnknownEvent {
                event: bluelamp_protocol::dates::shown(event_id, 60),
                incident: inc.summary.reference.clone(),
            });
        };
        let now = now_unix();
        // The day they were told: blank is today (UK); not after today nor before the event.
        let today = uk_time(now).date().to_string();
        let told_on = bluelamp_protocol::victims::check_told_on(told_on, &today, &this.occurred_on)
            .map_err(CaseworkError::ToldOn)?;
        let (assessment, _) = assess_row(&self.conn, &inc, uk_time(now))?;
        if !assessment.victims.iter().any(|v| v.person_id == nominal_id) {
            return Err(CaseworkError::NotOwedAnUpdate {
                person: bluelamp_protocol::dates::shown(nominal_id, 60),
                incident: inc.summary.reference.clone(),
            });
        }
        // Told of this event, or of a copy of it recorded on another device (same kind and day).
        let told = told_of(&self.conn, &incident_id)?;
        if let Some(t) = told_of_event(this, &events, &told).find(|t| t.nominal_id == nominal_id) {
            return Err(CaseworkError::AlreadyTold { person: nominal_id.to_string(), at: t.told_at.clone() });
        }
        let t = VictimToldInfo {
            id: uuid::Uuid::now_v7().to_string(),
            event_id: event_id.to_string(),
            incident_id,
            nominal_id: nominal_id.to_string(),
            how: how.to_string(),
            told_by: actor.officer_id.clone(),
            told_at: ts(now),
            told_on: Some(told_on),
        };
        let event = AuditEvent::new(AuditAction::Collection, format!("told:{}", t.id)).detail(json!({
            "incident_id": t.incident_id, "event_id": t.event_id, "nominal_id": t.nominal_id, "how": t.how,
            "told_on": t.told_on,
        }));
        let mutation = OutboxMutation { name: "victim.updated/1".into(), payload: json!({ "told": t }) };
        self.user_write(actor, event, Some(mutation), |tx| {
            tx.prepare_cached(
                "INSERT INTO victims_told (id, event_id, incident_id, nominal_id, how, told_by, told_at, told_on)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                t.id,
                t.event_id,
                t.incident_id,
                t.nominal_id,
                t.how,
                t.told_by,
                t.told_at,
                t.told_on
            ])?;
            Ok(())
        })?;
        Ok(t)
    }

    /// Records what updates after investigation events a victim of the incident wants (Victims'
    /// Code, Right 6: `wants` a code of [`bluelamp_protocol::victims::UPDATE_PREFERENCES`]: `all`,
    /// `key_decisions_only` or `none`). The latest recorded for the person counts: an event they
    /// do not want is then not owed and never escalates. A change is a later record; nothing is
    /// overwritten. One transaction with the outbox mutation `victim.update_preference/1` and the
    /// access-log entry (`collection` of `update_preference:<id>`).
    ///
    /// Refused, nothing written: an unknown incident ([`CaseworkError::NotFound`]), an unknown
    /// preference ([`CaseworkError::UnknownUpdatePreference`]), a person the rules do not count as
    /// a victim of the incident ([`CaseworkError::NotOwedAnUpdate`]).
    pub fn record_update_preference(
        &mut self,
        actor: &Actor,
        incident_id: &str,
        nominal_id: &str,
        wants: &str,
    ) -> CwResult<UpdatePreferenceInfo> {
        let inc = incident_row(&self.conn, incident_id.trim())?;
        let (nominal_id, wants) = (nominal_id.trim(), wants.trim());
        if vc::UpdatePreference::from_code(wants).is_none() {
            return Err(CaseworkError::UnknownUpdatePreference(bluelamp_protocol::dates::shown(wants, 60)));
        }
        let now = now_unix();
        let (assessment, _) = assess_row(&self.conn, &inc, uk_time(now))?;
        if !assessment.victims.iter().any(|v| v.person_id == nominal_id) {
            return Err(CaseworkError::NotOwedAnUpdate {
                person: bluelamp_protocol::dates::shown(nominal_id, 60),
                incident: inc.summary.reference.clone(),
            });
        }
        // The latest counts, by its time: a change is made knowing the preference it changes, so
        // it is timed after it even when that one's device clock was ahead (as an under-18
        // correction is).
        let latest = update_preferences_of(&self.conn, &inc.summary.id)?
            .get(nominal_id)
            .and_then(|p| crate::casework::unix_of(&p.recorded_at));
        let at = latest.map_or(now, |l| now.max(l.saturating_add(1)));
        let p = UpdatePreferenceInfo {
            id: uuid::Uuid::now_v7().to_string(),
            incident_id: inc.summary.id.clone(),
            nominal_id: nominal_id.to_string(),
            wants: wants.to_string(),
            recorded_by: actor.officer_id.clone(),
            recorded_at: ts(at),
        };
        let event = AuditEvent::new(AuditAction::Collection, format!("update_preference:{}", p.id)).detail(json!({
            "incident_id": p.incident_id, "nominal_id": p.nominal_id, "wants": p.wants,
        }));
        let mutation =
            OutboxMutation { name: "victim.update_preference/1".into(), payload: json!({ "preference": p }) };
        self.user_write(actor, event, Some(mutation), |tx| {
            tx.prepare_cached(
                "INSERT INTO update_preferences (id, incident_id, nominal_id, wants, recorded_by, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![p.id, p.incident_id, p.nominal_id, p.wants, p.recorded_by, p.recorded_at])?;
            Ok(())
        })?;
        Ok(p)
    }
}

/// The reason for withdrawing a referral decision, checked: trimmed, not blank, at most
/// 4000 characters, no control character but a line break or tab (a NUL pasted
/// in would be cut off by anything that reads the text as C strings).
pub fn withdrawal_reason(reason: &str) -> CwResult<String> {
    match bluelamp_protocol::casework::withdrawal_reason_problem(reason) {
        Some(problem) => Err(invalid(problem)),
        None => Ok(reason.trim().to_string()),
    }
}

impl Store {
    /// Withdraws a recorded referral decision of the incident, with a reason (a referral recorded
    /// in error, or no longer valid: an opt-out referral made without the victim's agreement on
    /// an incident later recoded to domestic abuse, which needs it). The decision is never
    /// deleted: its status becomes `withdrawn` and it keeps why, when and by whom
    /// ([`ReferralWithdrawal`]); it no longer counts for the rules, the closing-code gate or
    /// the duplicate guard, so a fresh decision (the same destination, with consent) can be
    /// recorded. A deferral's open "ask again" task is cancelled with it. One transaction with
    /// `referral.withdraw/1` and the access-log entry (`alteration` of `referral:<id>`; the
    /// reason is in the record, not in the log).
    ///
    /// A finalised incident's decision can be withdrawn too (a decision is still recorded on one,
    /// for a deferred victim): the victim is then back on the awaiting list and the supervisor
    /// queue until a fresh decision is recorded, as a deferred victim of a finalised incident is.
    ///
    /// Refused, nothing written: a blank, over-long or control-character reason
    /// ([`CaseworkError::Invalid`]), a decision that is not on this incident
    /// ([`CaseworkError::NotFound`]), one already withdrawn ([`CaseworkError::AlreadyWithdrawn`]).
    pub fn withdraw_referral_decision(
        &mut self,
        actor: &Actor,
        incident_id: &str,
        referral_id: &str,
        reason: &str,
    ) -> CwResult<ReferralDecisionInfo> {
        let inc = incident_row(&self.conn, incident_id.trim())?;
        let incident_id = inc.summary.id.clone();
        let referral_id = referral_id.trim();
        let reason = withdrawal_reason(reason)?;
        let found: Option<ReferralDecisionInfo> = self
            .conn
            .prepare_cached(&format!(
                "SELECT {REFERRAL_READ_COLUMNS} FROM referrals WHERE id = ?1 AND incident_id = ?2"
            ))?
            .query_row(params![referral_id, incident_id], read_referral)
            .optional()?;
        let Some(mut info) = found else {
            return Err(CaseworkError::NotFound(format!(
                "referral decision {:?} on incident {}",
                bluelamp_protocol::dates::shown(referral_id, 60),
                inc.summary.reference
            )));
        };
        if info.status != "active" {
            return Err(CaseworkError::AlreadyWithdrawn(match &info.withdrawal {
                Some(w) => format!(
                    "This referral decision was already withdrawn on {} by {}: {}",
                    w.withdrawn_at,
                    w.withdrawn_by,
                    bluelamp_protocol::dates::shown(&w.reason, 200)
                ),
                None => "This referral decision was already withdrawn.".to_string(),
            }));
        }
        let withdrawal =
            ReferralWithdrawal { reason, withdrawn_at: ts(now_unix()), withdrawn_by: actor.officer_id.clone() };
        let stored = serde_json::to_string(&withdrawal).map_err(|e| invalid(e.to_string()))?;
        let event = AuditEvent::new(AuditAction::Alteration, format!("referral:{}", info.id)).detail(json!({
            "incident_id": info.incident_id, "victim_id": info.victim_id, "outcome": info.outcome,
            "destination": info.destination, "status": "withdrawn",
        }));
        let mutation = OutboxMutation {
            name: "referral.withdraw/1".into(),
            payload: json!({
                "referral_id": info.id, "incident_id": info.incident_id, "victim_id": info.victim_id,
                "withdrawal": withdrawal,
            }),
        };
        let (id, deferred) = (info.id.clone(), info.outcome == ReferralOutcome::Deferred);
        let (outcome, destination) = (info.outcome, info.destination.clone());
        self.user_write(actor, event, Some(mutation), |tx| {
            let n = tx
                .prepare_cached(
                    "UPDATE referrals SET status = 'withdrawn', withdrawal = ?2 WHERE id = ?1 AND status = 'active'",
                )?
                .execute(params![id, stored])?;
            if n != 1 {
                return Err(crate::StoreError::Invalid("the referral decision changed meanwhile: try again".into()));
            }
            after_withdrawal(tx, &incident_id, &id, deferred, outcome.as_str(), destination.as_deref())?;
            Ok(())
        })?;
        info.status = "withdrawn".into();
        info.withdrawal = Some(Box::new(withdrawal));
        Ok(info)
    }
}

/// The id of the "ask again" task a deferred decision makes: derived from the decision's, so a
/// later decision for the same victim can find and settle it (`settle_follow_ups`). Tasks made
/// before 4 Dec 2026 have random ids and are not settled this way.
pub(crate) fn follow_up_task_id(decision_id: &str) -> String {
    format!("{FOLLOW_UP_ID_PREFIX}{decision_id}")
}

/// The prefix of [`follow_up_task_id`]; SQL that matches tasks to decisions builds the id as
/// `'follow-up-' || referrals.id` from it.
pub(crate) const FOLLOW_UP_ID_PREFIX: &str = "follow-up-";

/// The "ask again" task of deferred decision `d`: owned by whoever deferred, due at the end of
/// the UK day `due`, and named for the victim (their name on the incident, else `other_name`,
/// else their id), since it is listed on the supervisor queue, away from the incident.
fn follow_up_task(d: &ReferralDecisionInfo, inc: &IncidentRow, other_name: Option<String>, due: Date) -> TaskInfo {
    let name = inc
        .summary
        .links
        .iter()
        .find(|l| l.nominal_id == d.victim_id)
        .and_then(|l| l.name.clone())
        .or(other_name)
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| d.victim_id.clone());
    TaskInfo {
        id: follow_up_task_id(&d.id),
        incident_id: Some(d.incident_id.clone()),
        source_form_id: None,
        kind: TASK_REFERRAL_FOLLOW_UP.into(),
        title: format!("Ask {name} again about a victim referral when it is safe"),
        owner: Some(d.decided_by.clone()),
        due_at: Some(ts(end_of_uk_day(due).saturating_sub(1))),
        status: "open".into(),
        created_at: d.decided_at.clone(),
    }
}

/// Whether a decision settles the victim's open "ask again" tasks: one that answers the referral
/// question (a referral to a support service, a decline) or a new deferral (which makes its
/// own); not a notification made without asking them (MARAC, children's services).
pub(crate) fn rules_settle_follow_ups(outcome: ReferralOutcome, destination: Option<&str>) -> CwResult<bool> {
    Ok(victims_config()?.rules.answers_referral_question(engine_outcome(outcome), destination))
}

/// The "ask again" task of a deferred decision recorded on another device, made on this one
/// when the pull brings the decision (the service carries decisions, not tasks), as the
/// deferral made it there: due at the end of its `follow_up_due` day, owned by whoever
/// deferred, named for the victim. Not made when a later decision for the victim already
/// settles it, nor without a due date. Returns whether it was made.
pub(crate) fn derive_pulled_follow_up(conn: &Connection, d: &ReferralDecisionInfo) -> CwResult<bool> {
    if d.outcome != ReferralOutcome::Deferred || d.status != "active" {
        return Ok(false);
    }
    let Some(due) = d.details.get("follow_up_due").and_then(Value::as_str).and_then(|d| parse_date(d).ok()) else {
        return Ok(false);
    };
    let later: Vec<(String, Option<String>)> = conn
        .prepare_cached(
            "SELECT outcome, destination FROM referrals WHERE incident_id = ?1 AND victim_id = ?2
               AND status = 'active' AND decided_at > ?3",
        )?
        .query_map(params![d.incident_id, d.victim_id, d.decided_at], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (outcome, destination) in later {
        if let Some(o) = ReferralOutcome::parse(&outcome) {
            if rules_settle_follow_ups(o, destination.as_deref())? {
                return Ok(false);
            }
        }
    }
    let inc = crate::casework::incident_row(conn, &d.incident_id)?;
    let task = follow_up_task(d, &inc, None, due);
    let exists = conn.prepare_cached("SELECT 1 FROM tasks WHERE id = ?1")?.exists([&task.id])?;
    if !exists {
        insert_task(conn, &task)?;
    }
    Ok(!exists)
}

/// Marks done the open "ask again" tasks of the victim's deferred decisions on the incident.
/// Until 4 Dec 2026 nothing closed them: they stayed open after the victim was asked again.
pub(crate) fn settle_follow_ups(conn: &Connection, incident_id: &str, victim_id: &str) -> rusqlite::Result<usize> {
    conn.prepare_cached(&format!(
        "UPDATE tasks SET status = 'done' WHERE kind = 'referral_follow_up' AND status = 'open'
           AND id IN (SELECT '{FOLLOW_UP_ID_PREFIX}' || id FROM referrals
                      WHERE incident_id = ?1 AND victim_id = ?2 AND outcome = 'deferred')"
    ))?
    .execute(params![incident_id, victim_id])
}

/// A care plan of the incident is submitted (or approved).
pub(crate) fn care_plan_submitted(conn: &Connection, incident_id: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM forms WHERE incident_id = ?1 AND pack_id = 'concern-for-child-care-plan'
            AND status IN ('submitted', 'approved'))",
    )?
    .query_row([incident_id], |r| r.get(0))
}

/// A children's services referral of the incident is active.
pub(crate) fn childrens_services_referred(conn: &Connection, incident_id: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM referrals WHERE incident_id = ?1 AND status = 'active' AND outcome = 'referred'
            AND lower(destination) = 'childrens_services')",
    )?
    .query_row([incident_id], |r| r.get(0))
}

/// The open tasks of the incident a recorded referral carries out: a MARAC referral closes the
/// "Refer to MARAC" task, an IDVA referral the IDVA task, a children's services referral the
/// Concern-for-a-Child task once the care plan is submitted too. Returns how many were closed. (Tasks created by a risk assessment
/// used to stay open for ever: nothing marked them done.)
pub(crate) fn close_tasks_met_by(
    conn: &Connection,
    incident_id: &str,
    outcome: &str,
    destination: Option<&str>,
) -> rusqlite::Result<usize> {
    if outcome != "referred" {
        return Ok(0);
    }
    let Some(kind) = destination.and_then(task_kind_carried_out_by) else { return Ok(0) };
    // The Concern-for-a-Child task asks for the referral and the care plan: both.
    if kind == "concern_for_child" && !care_plan_submitted(conn, incident_id)? {
        return Ok(0);
    }
    close_open_tasks(conn, incident_id, kind)
}

/// The kind of task a referral to `destination` carries out: MARAC the "Refer to MARAC" task,
/// IDVA the IDVA task, children's services the Concern-for-a-Child task.
fn task_kind_carried_out_by(destination: &str) -> Option<&'static str> {
    match destination.to_ascii_lowercase().as_str() {
        "marac" => Some("marac_referral"),
        "idva" => Some("idva_referral"),
        "childrens_services" => Some("concern_for_child"),
        _ => None,
    }
}

/// What withdrawing a decision undoes, here or when a withdrawal is pulled: a deferral's open
/// "ask again" task is cancelled, and the tasks a referral had carried out
/// ([`close_tasks_met_by`]) open again unless another active referral of the incident to the
/// same service still carries them out. (Until 7 Dec 2026 a withdrawn MARAC referral left
/// "Refer to MARAC" done, while the gate asked for the referral again.)
pub(crate) fn after_withdrawal(
    conn: &Connection,
    incident_id: &str,
    decision_id: &str,
    deferred: bool,
    outcome: &str,
    destination: Option<&str>,
) -> rusqlite::Result<()> {
    if deferred {
        conn.prepare_cached("UPDATE tasks SET status = 'cancelled' WHERE id = ?1 AND status = 'open'")?
            .execute([follow_up_task_id(decision_id)])?;
    }
    if outcome != "referred" {
        return Ok(());
    }
    let Some(destination) = destination.map(str::to_ascii_lowercase) else {
        return Ok(());
    };
    let Some(kind) = task_kind_carried_out_by(&destination) else { return Ok(()) };
    let still_met: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM referrals WHERE incident_id = ?1 AND status = 'active'
                AND outcome = 'referred' AND lower(destination) = ?2)",
        )?
        .query_row(params![incident_id, destination], |r| r.get(0))?;
    if !still_met {
        // One task: an amended form can have made a second one, closed at once. The newest
        // (the current form's) opens, unless one of the kind is open already.
        conn.prepare_cached(
            "UPDATE tasks SET status = 'open' WHERE id = (
                SELECT id FROM tasks WHERE incident_id = ?1 AND kind = ?2 AND status = 'done'
                ORDER BY created_at DESC, rowid DESC LIMIT 1)
              AND NOT EXISTS (SELECT 1 FROM tasks WHERE incident_id = ?1 AND kind = ?2 AND status = 'open')",
        )?
        .execute(params![incident_id, kind])?;
    }
    Ok(())
}

/// Marks the incident's open tasks of `kind` done; how many.
pub(crate) fn close_open_tasks(conn: &Connection, incident_id: &str, kind: &str) -> rusqlite::Result<usize> {
    conn.prepare_cached("UPDATE tasks SET status = 'done' WHERE incident_id = ?1 AND kind = ?2 AND status = 'open'")?
        .execute(params![incident_id, kind])
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};
    use time::UtcOffset;

    #[test]
    fn a_follow_up_date_is_exact_but_a_date_of_birth_may_carry_a_time() {
        assert_eq!(parse_date(" 2026-12-09\t"), Ok(date!(2026 - 12 - 09)));
        for bad in ["2026-12-09xyz", "2026-12-09T99:99", "2026-12-09T10:00:00Z", "2026-02-30"] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
        assert_eq!(date_part("1984-03-12"), Some(date!(1984 - 03 - 12)));
        assert_eq!(date_part("1984-03-12T00:00:00Z"), Some(date!(1984 - 03 - 12)));
        assert_eq!(date_part("1984-03-12 00:00"), Some(date!(1984 - 03 - 12)));
        assert_eq!(date_part("1984-03-12xyz"), None);
        assert_eq!(date_part("1984-3-12"), None);
    }

    #[test]
    fn uk_offset_follows_bst() {
        assert_eq!(uk_offset(datetime!(2025-03-30 00:59 UTC)), UtcOffset::UTC);
        assert_eq!(uk_offset(datetime!(2025-03-30 01:00 UTC)).whole_hours(), 1);
        assert_eq!(uk_offset(datetime!(2025-10-26 00:59 UTC)).whole_hours(), 1);
        assert_eq!(uk_offset(datetime!(2025-10-26 01:00 UTC)), UtcOffset::UTC);
        // 23:30 UTC on a summer Friday is already Saturday in the UK.
        assert_eq!(uk_time(datetime!(2025-07-04 23:30 UTC).unix_timestamp()).date(), date!(2025 - 07 - 05));
    }

    #[test]
    fn end_of_uk_day_is_local_midnight() {
        assert_eq!(end_of_uk_day(date!(2025 - 01 - 10)), datetime!(2025-01-11 00:00 UTC).unix_timestamp());
        assert_eq!(end_of_uk_day(date!(2025 - 07 - 10)), datetime!(2025-07-10 23:00 UTC).unix_timestamp());
    }

    #[test]
    fn countdown_counts_working_days_and_skips_easter() {
        let cfg = victims_config().unwrap();
        let at = |t: OffsetDateTime| t.to_offset(uk_offset(t));
        // Due Tuesday 18 March 2025.
        let c = countdown("V", date!(2025 - 03 - 18), at(datetime!(2025-03-14 20:00 UTC)), cfg);
        assert_eq!(
            (c.working_days_left, c.status, c.label.as_str()),
            (2, DeadlineStatus::Ok, "due in 2 working days (2025-03-18)")
        );
        let c = countdown("V", date!(2025 - 03 - 18), at(datetime!(2025-03-17 09:00 UTC)), cfg);
        assert_eq!(c.label, "due in 1 working day (2025-03-18)");
        let c = countdown("V", date!(2025 - 03 - 18), at(datetime!(2025-03-18 09:00 UTC)), cfg);
        assert_eq!((c.working_days_left, c.status), (0, DeadlineStatus::DueSoon));
        let c = countdown("V", date!(2025 - 03 - 18), at(datetime!(2025-03-20 09:00 UTC)), cfg);
        assert_eq!((c.working_days_left, c.status), (-2, DeadlineStatus::Breached));
        assert!(c.label.starts_with("breached 2 working days ago"));
        // Thursday 17 April 2025 to Tuesday 22 April: Good Friday and Easter Monday are skipped.
        let c = countdown("V", date!(2025 - 04 - 22), at(datetime!(2025-04-17 10:00 UTC)), cfg);
        assert_eq!(c.working_days_left, 1, "{c:?}");
    }
}
