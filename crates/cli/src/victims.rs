//! `bluelamp-cli victims assess`: runs the Victims' Code rules (`bluelamp-victims`, pure) on an
//! incident JSON file. The CLI reads the files and the clock; see `docs/victims.md`.
//!
//! `victims decisions` and `victims withdraw` work on the store (`--db`): the referral decisions
//! recorded on an incident, and withdrawing one with a reason (the same store call as the app's
//! "Withdraw…", queued for the next sync).
//!
//! `victims under18` answers the rules' question for a victim with no date of birth (the same
//! store call as the app's "Yes, under 18" / "No, 18 or over"), queued for the next sync.
//!
//! `victims event` records a key event in the investigation (Right 6: arrest, charge, bail, no
//! further action…) and `victims told` that a victim was told of it (the same store calls as the
//! app's "Investigation updates" part), both queued for the next sync.
//!
//! Also holds the small UK civil-time helper the CLI uses (GMT/BST, no time-zone database).

use std::path::PathBuf;

use anyhow::Context;
use bluelamp_victims::{
    assess, uk, Assessment, Calendar, DestinationKind, Incident, ReferralState, Region, Rules, VictimAssessment,
};
use clap::{Args, Subcommand};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

/// `victims` subcommands.
#[derive(Subcommand)]
pub enum VictimsCmd {
    /// Who the victims are, enhanced rights (with reasons), consent model, destinations,
    /// deadlines as dates, prompts, and what could not be determined.
    Assess(AssessArgs),
    /// The referral decisions recorded on an incident of this device (`--db`), withdrawn ones
    /// included, with their ids.
    Decisions {
        /// The incident's id on this device (see `incident list`).
        #[arg(long)]
        incident: String,
        /// Print them as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Withdraw a recorded referral decision, with a reason (kept with it; nothing is deleted),
    /// e.g. an opt-out referral made invalid by a recode to domestic abuse. Queued for the next
    /// sync. A fresh decision can then be recorded in the app.
    Withdraw {
        /// The incident's id on this device.
        #[arg(long)]
        incident: String,
        /// The decision's id (see `victims decisions`).
        #[arg(long)]
        referral: String,
        /// Why it is withdrawn.
        #[arg(long)]
        reason: String,
        /// Print the withdrawn decision as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Answer "Date of birth not recorded: was this victim under 18 at the time of the
    /// offence?" for a victim of an incident of this device (`--db`) with no date of birth. The
    /// latest answer counts. Queued for the next sync.
    Under18 {
        /// The incident's id on this device.
        #[arg(long)]
        incident: String,
        /// The victim's id (nominal id).
        #[arg(long)]
        person: String,
        /// `yes`: under 18 at the time of the offence; `no`: 18 or over.
        #[arg(long, value_parser = ["yes", "no"])]
        answer: String,
        /// Print the recorded answer as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Record a key event in the investigation of an incident of this device (Victims' Code
    /// Right 6): each victim who wants updates of its kind (their recorded preference; every
    /// key event when none is recorded) is then owed an update within 1 working day (enhanced
    /// rights) or 5. Queued for the next sync.
    Event {
        /// The incident's id on this device.
        #[arg(long)]
        incident: String,
        /// arrested, interviewed, released_under_investigation, bailed, bail_conditions_changed,
        /// charged, summonsed, out_of_court_resolution, no_further_action, investigation_closed.
        #[arg(long)]
        kind: String,
        /// The day it happened (YYYY-MM-DD, UK date; not in the future, not before the offence).
        #[arg(long)]
        on: String,
        /// Print the recorded event as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Record that a victim was told about an investigation event (their update is no longer
    /// owed). Queued for the next sync.
    Told {
        /// The incident's id on this device.
        #[arg(long)]
        incident: String,
        /// The event's id (from `victims event`).
        #[arg(long)]
        event: String,
        /// The victim's id (nominal id).
        #[arg(long)]
        person: String,
        /// How: phone, in_person, letter, email, text, other.
        #[arg(long)]
        how: String,
        /// The day they were told (YYYY-MM-DD, UK date; not in the future, not before the
        /// event). Default: today. The deadline is met or missed on this day.
        #[arg(long)]
        told_on: Option<String>,
        /// Print the record as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Record what updates after investigation events a victim wants (Victims' Code Right 6):
    /// `all` (every key event; the default when nothing is recorded), `key_decisions_only`
    /// (charge, summons, out-of-court resolution, no further action, investigation closed) or
    /// `none` (the victim asked not to be updated). The latest recorded counts. Queued for the
    /// next sync.
    UpdatesWanted {
        /// The incident's id on this device.
        #[arg(long)]
        incident: String,
        /// The victim's id (nominal id).
        #[arg(long)]
        person: String,
        /// all, key_decisions_only or none.
        #[arg(long, value_parser = ["all", "key_decisions_only", "none"])]
        wants: String,
        /// Print the record as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `victims assess` arguments.
#[derive(Args)]
pub struct AssessArgs {
    /// Incident JSON (see docs/victims.md).
    #[arg(long)]
    incident: PathBuf,
    /// Bank-holiday calendar (default: the one the rules select, england-and-wales in the shipped rules).
    #[arg(long, value_parser = ["england-and-wales", "scotland", "northern-ireland"])]
    calendar: Option<String>,
    /// Assess as at the end of this UK date (YYYY-MM-DD); default: now.
    #[arg(long)]
    today: Option<String>,
    /// A force's own rules file instead of the shipped assets/victims/rules.json.
    #[arg(long)]
    rules: Option<PathBuf>,
    /// Print the assessment as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs a `victims` subcommand (`db`: the store, for those that need one).
pub fn run(cmd: VictimsCmd, db: Option<&std::path::Path>) -> anyhow::Result<()> {
    let store =
        || -> anyhow::Result<bluelamp_store::Store> { crate::open(db.context("this command needs --db PATH")?) };
    match cmd {
        VictimsCmd::Assess(args) => assess_cmd(args),
        VictimsCmd::Decisions { incident, json } => {
            let mut store = store()?;
            let detail = store.get_incident(incident.trim())?;
            // They name the victims and what they said: logged before printing, as in the app.
            let object_ref = format!("victims:{}", detail.summary.id);
            crate::audit::consulted(&mut store, object_ref.as_str())?;
            crate::audit::Disclosed {
                object_ref: &object_ref,
                purpose: None,
                command: "victims decisions",
                ids: detail.referrals.iter().map(|d| d.id.as_str()).collect(),
                people: detail.referrals.iter().map(|d| d.victim_id.as_str()).collect(),
                count: None,
            }
            .log_if_leaving(&mut store)?;
            let mut o = String::new();
            if json {
                outln!(o, "{}", serde_json::to_string_pretty(&detail.referrals)?);
            } else {
                if detail.referrals.is_empty() {
                    outln!(o, "no referral decision recorded on {}", detail.summary.reference);
                }
                for d in &detail.referrals {
                    outln!(o, "{}", decision_line(d));
                }
                o = crate::output::printable(&o);
            }
            emit(&o)
        }
        VictimsCmd::Withdraw { incident, referral, reason, json } => {
            let mut store = store()?;
            let actor = store.actor()?;
            let d = store.withdraw_referral_decision(&actor, incident.trim(), &referral, &reason)?;
            if json {
                say!("{}", serde_json::to_string_pretty(&d)?)?;
            }
            note!(
                "withdrew referral decision {} ({} for {}); queued for the next sync",
                d.id,
                what_of(&d),
                d.victim_id
            );
            Ok(())
        }
        VictimsCmd::Event { incident, kind, on, json } => {
            let mut store = store()?;
            let actor = store.actor()?;
            let e = store.record_investigation_event(&actor, incident.trim(), &kind, &on)?;
            if json {
                say!("{}", serde_json::to_string_pretty(&e)?)?;
            }
            note!(
                "recorded \"{}\" on {} ({}): each victim who wants updates of this kind is owed one (see \
                 `victims assess` or the app's Victims section); queued for the next sync",
                bluelamp_protocol::victims::event_kind_label(&e.kind).unwrap_or(&e.kind),
                e.occurred_on,
                e.id
            );
            Ok(())
        }
        VictimsCmd::Told { incident, event, person, how, told_on, json } => {
            let mut store = store()?;
            let actor = store.actor()?;
            let t = store.record_victim_told(&actor, incident.trim(), &event, &person, &how, told_on.as_deref())?;
            if json {
                say!("{}", serde_json::to_string_pretty(&t)?)?;
            }
            note!(
                "recorded {} as told on {} ({}; {}); queued for the next sync",
                t.nominal_id,
                t.told_day().unwrap_or_default(),
                t.how,
                t.id
            );
            Ok(())
        }
        VictimsCmd::UpdatesWanted { incident, person, wants, json } => {
            let mut store = store()?;
            let actor = store.actor()?;
            let p = store.record_update_preference(&actor, incident.trim(), &person, &wants)?;
            if json {
                say!("{}", serde_json::to_string_pretty(&p)?)?;
            }
            note!(
                "recorded that {} wants: {} ({}); queued for the next sync",
                p.nominal_id,
                bluelamp_protocol::victims::update_preference_label(&p.wants).unwrap_or(&p.wants),
                p.id
            );
            Ok(())
        }
        VictimsCmd::Under18 { incident, person, answer, json } => {
            let mut store = store()?;
            let actor = store.actor()?;
            let a = store.record_under18_answer(&actor, incident.trim(), &person, answer == "yes")?;
            if json {
                say!("{}", serde_json::to_string_pretty(&a)?)?;
            }
            note!(
                "recorded {} as {} at the time of the offence ({}); queued for the next sync",
                a.nominal_id,
                if a.under_18 { "under 18" } else { "18 or over" },
                a.id
            );
            Ok(())
        }
    }
}

fn what_of(d: &bluelamp_protocol::casework::ReferralDecisionInfo) -> String {
    format!("{}{}", d.outcome.as_str(), d.destination.as_ref().map(|x| format!(" to {x}")).unwrap_or_default())
}

/// One decision, one line: id, status, victim, outcome, when and by whom; a withdrawn one with
/// when, by whom and why.
fn decision_line(d: &bluelamp_protocol::casework::ReferralDecisionInfo) -> String {
    let mut line =
        format!("{}\t{}\t{}\t{}\t{} by {}", d.id, d.status, d.victim_id, what_of(d), d.decided_at, d.decided_by);
    if let Some(w) = &d.withdrawal {
        line.push_str(&format!(
            "\twithdrawn {} by {}: {}",
            w.withdrawn_at,
            w.withdrawn_by,
            w.reason.replace('\n', " ")
        ));
    }
    line
}

fn read(path: &std::path::Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    // A byte-order mark (Notepad's "UTF-8 with BOM") is not part of the JSON.
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

fn assess_cmd(args: AssessArgs) -> anyhow::Result<()> {
    let rules = match &args.rules {
        Some(p) => Rules::from_json(&read(p)?).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
        None => Rules::default_rules().context("the shipped rules are invalid")?,
    };
    let incident_file = args.incident.display().to_string();
    let incident = Incident::from_json(&read(&args.incident)?).map_err(|e| anyhow::anyhow!("{incident_file}: {e}"))?;
    let region = match args.calendar.as_deref() {
        Some(c) => Region::parse(c).with_context(|| format!("unknown calendar {c:?}"))?,
        None => Region::parse(&rules.calendar).unwrap_or(Region::EnglandAndWales),
    };
    let calendar = Calendar::builtin(region)?;
    let now = match args.today.as_deref() {
        Some(d) => end_of_uk_day(d)?,
        None => uk_now(),
    };
    if let Some(problem) = incident.told_after(now.date()) {
        anyhow::bail!("{incident_file}: {problem}");
    }
    let a = assess(&incident, &rules, &calendar, now);
    let mut o = String::new();
    if args.json {
        outln!(o, "{}", serde_json::to_string_pretty(&a)?);
    } else {
        print_text(&mut o, &a);
        o = crate::output::printable(&o);
    }
    emit(&o)
}

// ---------------------------------------------------------------------------------------------
// Output: built in a String, then written at once; a closed pipe (`| head`) is not an error.

/// `outln!(buf, "fmt", args…)`: like `println!`, into a `String`.
macro_rules! outln {
    ($o:expr) => {
        $o.push('\n')
    };
    ($o:expr, $($t:tt)*) => {{
        $o.push_str(&format!($($t)*));
        $o.push('\n');
    }};
}
pub(crate) use outln;

/// Writes `text` to standard output; a closed pipe is not an error ([`crate::output::emit`]).
pub(crate) fn emit(text: &str) -> anyhow::Result<()> {
    crate::output::emit(text)
}

// ---------------------------------------------------------------------------------------------
// UK civil time (GMT in winter, BST = UTC+1 from 01:00 UTC on the last Sunday of March to
// 01:00 UTC on the last Sunday of October).

/// Now, in UK local time.
pub(crate) fn uk_now() -> OffsetDateTime {
    uk::to_uk(OffsetDateTime::now_utc())
}

/// 23:59:59 UK local time on a `YYYY-MM-DD` date.
fn end_of_uk_day(s: &str) -> anyhow::Result<OffsetDateTime> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    // The parse error's own text once (its chain repeats it: "day was not in range" three times).
    let date = Date::parse(s.trim(), &fmt)
        .map_err(|e| anyhow::anyhow!("--today {s:?}: expected a real date YYYY-MM-DD ({e})"))?;
    let noon = PrimitiveDateTime::new(date, Time::from_hms(12, 0, 0).unwrap_or(Time::MIDNIGHT)).assume_utc();
    let end = PrimitiveDateTime::new(date, Time::from_hms(23, 59, 59).unwrap_or(Time::MIDNIGHT));
    Ok(end.assume_offset(uk::uk_offset(noon)))
}

fn to_uk(unix: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(unix).ok().map(uk::to_uk)
}

/// Unix seconds as RFC 3339 in UK local time (the raw number if out of range).
pub(crate) fn uk_rfc3339(unix: i64) -> String {
    to_uk(unix).and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_else(|| unix.to_string())
}

/// Unix seconds as `YYYY-MM-DD HH:MM GMT|BST`.
pub(crate) fn uk_display(unix: i64) -> String {
    let Some(t) = to_uk(unix) else {
        return format!("{unix} (unix seconds)");
    };
    let zone = if t.offset().is_utc() { "GMT" } else { "BST" };
    format!("{} {:02}:{:02} {zone}", t.date(), t.hour(), t.minute())
}

// ---------------------------------------------------------------------------------------------
// Text output.

/// A serde enum's wire name (`opt_in`, `most_serious_crime`, …).
macro_rules! code {
    ($e:expr) => {
        match serde_json::to_value($e) {
            Ok(serde_json::Value::String(s)) => s,
            Ok(v) => v.to_string(),
            Err(_) => "?".to_string(),
        }
    };
}

fn day(d: Date) -> String {
    let name = d.weekday().to_string();
    format!("{} {d}", name.get(..3).unwrap_or(&name))
}

fn print_text(o: &mut String, a: &Assessment) {
    let id = if a.incident_id.is_empty() { "(no reference)" } else { a.incident_id.as_str() };
    outln!(o, "Incident {id}");
    outln!(
        o,
        "  recorded {}, offence {}, calendar {}, assessed at {}",
        day(a.recorded_on),
        a.offence_date,
        a.calendar,
        a.assessed_at.format(&Rfc3339).unwrap_or_default()
    );
    let cats: Vec<String> = a
        .categories
        .iter()
        .map(|c| if c.most_serious { format!("{} (most serious)", c.label) } else { c.label.clone() })
        .collect();
    outln!(o, "  categories: {}", if cats.is_empty() { "none known".into() } else { cats.join(", ") });
    outln!(
        o,
        "  domestic abuse: {}, risk level: {}",
        if a.domestic_abuse { "yes" } else { "no" },
        a.risk_level.map_or("not recorded".into(), |r| code!(&r))
    );
    for v in &a.victims {
        print_victim(o, v);
    }
    if !a.warnings.is_empty() {
        outln!(o);
        outln!(o, "Incident warnings:");
        for w in &a.warnings {
            outln!(o, "  - {}: {}", w.code, w.message);
        }
    }
    if !a.undetermined.is_empty() {
        outln!(o);
        outln!(o, "Undetermined (incident):");
        for u in &a.undetermined {
            outln!(o, "  - {}: {}", u.code, u.question);
        }
    }
    outln!(o);
    outln!(o, "Prompts (on save):");
    for p in &a.prompts {
        let dest = p.destination.as_deref().map(|d| format!(" [{d}]")).unwrap_or_default();
        outln!(o, "  - {} {}{dest}: {}", code!(&p.severity), p.code, p.message);
    }
    if a.can_close {
        outln!(o, "Closure: may close");
    } else {
        let items: Vec<String> = a
            .closure_blockers
            .iter()
            .map(|p| {
                let mut item = p.code.clone();
                if let Some(d) = &p.destination {
                    item.push_str(&format!(" {d}"));
                }
                if let Some(id) = &p.person_id {
                    item.push_str(&format!(" ({id})"));
                }
                item
            })
            .collect();
        outln!(o, "Closure: blocked by {} item(s): {}", items.len(), items.join(", "));
    }
}

fn print_victim(o: &mut String, v: &VictimAssessment) {
    outln!(o);
    let name = v.name.as_deref().map(|n| format!(" {n}")).unwrap_or_default();
    let age = match (v.age_at_offence, v.under_18) {
        // A non-recent offence: notifications about a child go by the age now.
        (Some(a), _) => match v.age_when_recorded.filter(|n| *n != a) {
            Some(n) => format!("aged {a} at the offence, {n} when recorded"),
            None => format!("aged {a} at the offence"),
        },
        (None, Some(true)) => "under 18 (officer's answer)".into(),
        (None, Some(false)) => "18 or over (officer's answer)".into(),
        (None, None) => "age undetermined".into(),
    };
    let acts = if v.acts_for.is_empty() { String::new() } else { format!(", acts for {}", v.acts_for.join(", ")) };
    outln!(o, "Victim {}{name}: {}, {age}{acts}", v.person_id, code!(&v.basis));
    if v.enhanced {
        outln!(o, "  enhanced: yes");
        for r in &v.enhanced_reasons {
            outln!(o, "    - {}: {}", code!(&r.ground), r.detail);
        }
    } else {
        outln!(o, "  enhanced: no");
    }
    outln!(o, "  consent: {} ({})", code!(&v.consent_model), v.consent_reason);
    if v.destinations.is_empty() {
        outln!(o, "  destinations: none");
    } else {
        outln!(o, "  destinations:");
        for d in &v.destinations {
            let kind = match d.kind {
                DestinationKind::Referral => "referral",
                DestinationKind::Notification => "notification",
            };
            let rec = if d.recorded { ", recorded" } else { "" };
            outln!(o, "    - {} ({kind}{rec}): {}", d.code, d.reason);
        }
    }
    for p in &v.possible_destinations {
        outln!(o, "  possible: {} once {} is known", p.code, p.depends_on.join(" and "));
    }
    let dl = &v.referral_deadline;
    let approx = if dl.approximate { " (approximate)" } else { "" };
    let status = v.deadline_status.map(|s| format!(", {}", code!(&s))).unwrap_or_default();
    let state = match v.referral_state {
        ReferralState::AwaitingDecision => "awaiting decision",
        ReferralState::Referred => "referred",
        ReferralState::Declined => "declined",
        ReferralState::Deferred => "deferred",
    };
    outln!(
        o,
        "  referral decision: {state}; due by the end of {}{approx} ({} working days from {}){status}",
        day(dl.due),
        dl.working_days,
        day(dl.from)
    );
    if let Some(f) = &v.follow_up {
        outln!(o, "  follow-up: ask again by the end of {}: {}", day(f.due), f.reason);
    }
    outln!(o, "  updates: within {} working day(s) of each investigation event", v.update_working_days);
    for u in &v.updates {
        let st = if u.informed {
            match (u.told_on, u.in_time) {
                (Some(d), Some(false)) => format!("told {}, after the deadline", day(d)),
                (Some(d), _) => format!("told {}", day(d)),
                _ => "told".to_string(),
            }
        } else if u.not_wanted {
            // Not owed: no deadline to show.
            outln!(o, "    - {}: not owed, not wanted (victim's preference)", u.kind);
            continue;
        } else {
            format!("not yet told, {}", u.status.map(|s| code!(&s)).unwrap_or_else(|| "?".into()))
        };
        outln!(o, "    - {}: tell by the end of {} ({st})", u.kind, day(u.deadline.due));
    }
    if let Some(sc) = &v.safe_contact {
        if sc.missing.is_empty() {
            outln!(
                o,
                "  safe contact: complete{}",
                sc.normalised_number.as_deref().map(|n| format!(" ({n})")).unwrap_or_default()
            );
        } else {
            outln!(o, "  safe contact: missing {}", sc.missing.join(", "));
        }
        for w in &sc.warnings {
            outln!(o, "    ! {}: {}", w.code, w.message);
        }
    }
    for w in &v.warnings {
        outln!(o, "  warning: {}: {}", w.code, w.message);
    }
    for u in &v.undetermined {
        outln!(o, "  undetermined: {}: {}", u.code, u.question);
    }
    for d in v.decisions.iter().filter(|d| !d.valid) {
        for e in &d.errors {
            outln!(o, "  decision {}: {}: {}", d.id.as_deref().unwrap_or("(no id)"), e.field, e.message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bst_boundaries() {
        let t = |s: &str| OffsetDateTime::parse(s, &Rfc3339).unwrap();
        // 2025: BST from 30 March 01:00 UTC to 26 October 01:00 UTC.
        assert!(uk::uk_offset(t("2025-03-30T00:59:59Z")).is_utc());
        assert_eq!(uk::uk_offset(t("2025-03-30T01:00:00Z")).whole_hours(), 1);
        assert_eq!(uk::uk_offset(t("2025-10-26T00:59:59Z")).whole_hours(), 1);
        assert!(uk::uk_offset(t("2025-10-26T01:00:00Z")).is_utc());
        assert_eq!(end_of_uk_day("2025-07-01").unwrap().format(&Rfc3339).unwrap(), "2025-07-01T23:59:59+01:00");
        assert_eq!(end_of_uk_day("2025-01-01").unwrap().format(&Rfc3339).unwrap(), "2025-01-01T23:59:59Z");
        assert!(end_of_uk_day("2025-02-30").is_err());
        assert_eq!(uk_display(1_741_979_100), "2025-03-14 19:05 GMT");
    }
}
