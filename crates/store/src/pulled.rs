//! Casework recorded on other devices, as the central service serves it
//! (`RecordType::Casework`, one record per incident): forms submitted elsewhere, supervisors'
//! reviews, referral decisions, under-18 answers, investigation events, victims told of them and
//! victims' update preferences. Applied inside the pull page's transaction, after the page's
//! incidents.
//!
//! Everything here is immutable once recorded, except a form's review status and a referral's
//! status (withdrawn), so applying is "insert what this device lacks, take those statuses".
//! Rows that arrive this way carry `pulled_at`: they never count as work that must still reach
//! the service (an incident reassigned away is dropped with them), and nothing is queued or
//! logged for them (they are not this officer's writes; viewing them is logged as usual).
//!
//! Casework for an incident this device does not hold yet is parked
//! (`pulled_casework_parked`) and applied when the incident arrives: the service's feed holds
//! each record once, at its latest version, so an incident changed after its casework comes
//! after it, possibly in a later commit group (after a dropped connection). What is still
//! parked when a pull completes belongs to no incident of this device's and is dropped (logged
//! as an erasure with the incidents' ids, like every removal a pull makes: see `sync.rs`).

use bluelamp_protocol::wire::Casework;
use rusqlite::{params, OptionalExtension, Transaction};

use crate::Result;

const MAX_ID: usize = 200;

/// Refuses a record that cannot be right, before anything on the page is applied.
pub(crate) fn check(id: &str, c: &Casework) -> std::result::Result<(), String> {
    let ok_id = |s: &str| !s.trim().is_empty() && s.len() <= MAX_ID;
    if c.incident_id != id {
        return Err(format!("casework {id} names incident {:?}", c.incident_id));
    }
    for f in &c.forms {
        if !ok_id(&f.id) || !ok_id(&f.pack_id) || !ok_id(&f.submitted_by) {
            return Err(format!("casework {id}: a form has a missing or oversized id, pack or officer"));
        }
        if !matches!(f.status.as_str(), "submitted" | "approved" | "returned") {
            return Err(format!("casework {id}: form {} has status {:?}", f.id, f.status));
        }
        if !f.answers.is_object() {
            return Err(format!("casework {id}: form {} has no answers", f.id));
        }
    }
    for r in &c.reviews {
        if !ok_id(&r.id) || !ok_id(&r.form_id) || !ok_id(&r.reviewer) {
            return Err(format!("casework {id}: a review has a missing or oversized id"));
        }
        if !matches!(r.decision.as_str(), "approve" | "return") {
            return Err(format!("casework {id}: review {} has decision {:?}", r.id, r.decision));
        }
    }
    for d in &c.referrals {
        if !ok_id(&d.id) || !ok_id(&d.victim_id) || d.incident_id != id {
            return Err(format!("casework {id}: a referral decision has a missing id or another incident"));
        }
        if !matches!(d.status.as_str(), "active" | "withdrawn") {
            return Err(format!("casework {id}: referral {} has status {:?}", d.id, d.status));
        }
    }
    for a in &c.under18_answers {
        if !ok_id(&a.id) || !ok_id(&a.nominal_id) || !ok_id(&a.answered_by) || a.incident_id != id {
            return Err(format!("casework {id}: an under-18 answer has a missing id or another incident"));
        }
    }
    for e in &c.events {
        if !ok_id(&e.id) || !ok_id(&e.kind) || !ok_id(&e.recorded_by) || e.incident_id != id {
            return Err(format!("casework {id}: an investigation event has a missing id or another incident"));
        }
        if bluelamp_protocol::dates::parse_iso_date(&e.occurred_on).is_err() {
            return Err(format!("casework {id}: investigation event {} has no date", e.id));
        }
    }
    for t in &c.told {
        if !ok_id(&t.id) || !ok_id(&t.event_id) || !ok_id(&t.nominal_id) || !ok_id(&t.told_by) || t.incident_id != id {
            return Err(format!("casework {id}: a victim told record has a missing id or another incident"));
        }
        if t.told_on.as_deref().is_some_and(|d| bluelamp_protocol::dates::parse_iso_date(d).is_err()) {
            return Err(format!("casework {id}: victim told record {} has a told_on that is not a date", t.id));
        }
    }
    for p in &c.update_preferences {
        if !ok_id(&p.id) || !ok_id(&p.nominal_id) || !ok_id(&p.recorded_by) || p.incident_id != id {
            return Err(format!("casework {id}: an update preference has a missing id or another incident"));
        }
    }
    Ok(())
}

fn now(tx: &Transaction<'_>) -> Result<String> {
    Ok(tx.query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ','now')", [], |r| r.get(0))?)
}

/// Applies the parked casework of incidents this device now holds (called after a commit
/// group's incidents, before its own casework, which is newer); returns how many rows changed.
pub(crate) fn apply_parked(tx: &Transaction<'_>) -> Result<u64> {
    let ready: Vec<(String, String)> = tx
        .prepare_cached(
            "SELECT p.incident_id, p.casework FROM pulled_casework_parked p
             JOIN incidents i ON i.id = p.incident_id ORDER BY p.parked_at, p.incident_id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut changed = 0;
    for (incident_id, json) in ready {
        tx.prepare_cached("DELETE FROM pulled_casework_parked WHERE incident_id = ?1")?.execute([&incident_id])?;
        // Checked when it was parked; a row this version cannot read is dropped, not fatal.
        if let Ok(c) = serde_json::from_str::<Casework>(&json) {
            changed += apply(tx, &c)?;
        }
    }
    Ok(changed)
}

/// Drops parked casework whose incident never came (called when a pull completes: the feed
/// has been read to its head, so the incident is not assigned to this device); returns the
/// incidents whose casework was dropped (for the erasure entry).
pub(crate) fn drop_unclaimed(tx: &Transaction<'_>) -> Result<Vec<String>> {
    let ids: Vec<String> = tx
        .prepare_cached(
            "SELECT incident_id FROM pulled_casework_parked WHERE incident_id NOT IN (SELECT id FROM incidents)
             ORDER BY incident_id",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    tx.execute("DELETE FROM pulled_casework_parked WHERE incident_id NOT IN (SELECT id FROM incidents)", [])?;
    Ok(ids)
}

/// Takes what this device lacks from one incident's casework; returns how many rows changed.
pub(crate) fn apply(tx: &Transaction<'_>, c: &Casework) -> Result<u64> {
    let held: bool = tx.prepare_cached("SELECT 1 FROM incidents WHERE id = ?1")?.exists([&c.incident_id])?;
    let now = now(tx)?;
    if !held {
        // The latest casework of an incident is the whole of it: it replaces what was parked.
        let json = serde_json::to_string(c).map_err(|e| crate::StoreError::Invalid(e.to_string()))?;
        tx.prepare_cached(
            "INSERT INTO pulled_casework_parked (incident_id, casework, parked_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (incident_id) DO UPDATE SET casework = excluded.casework, parked_at = excluded.parked_at",
        )?
        .execute(params![c.incident_id, json, now])?;
        return Ok(0);
    }
    let mut changed = 0u64;
    for f in &c.forms {
        let local: Option<String> =
            tx.prepare_cached("SELECT status FROM forms WHERE id = ?1")?.query_row([&f.id], |r| r.get(0)).optional()?;
        match local.as_deref() {
            None => {
                // The pack version as the device wrote it ("1.0.0"); a form without one cannot be
                // matched to its pack, so it is not shown.
                let Some(version) =
                    f.pack_version.as_deref().map(|v| v.trim_matches('"').trim()).filter(|v| !v.is_empty())
                else {
                    continue;
                };
                let amends = match &f.amends_id {
                    Some(a) if tx.prepare_cached("SELECT 1 FROM forms WHERE id = ?1")?.exists([a])? => Some(a),
                    _ => None,
                };
                let at = f.submitted_at.clone().unwrap_or_else(|| now.clone());
                tx.prepare_cached(
                    "INSERT INTO forms (id, incident_id, pack_id, pack_version, status, answers, officer_grade,
                        rationale, amends_id, created_by, created_at, updated_at, submitted_at, pulled_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?13)",
                )?
                .execute(params![
                    f.id,
                    c.incident_id,
                    f.pack_id,
                    version,
                    f.status,
                    f.answers.to_string(),
                    f.officer_grade,
                    f.rationale,
                    amends,
                    f.submitted_by,
                    at,
                    f.submitted_at,
                    now
                ])?;
                // Its referral tasks, which the service does not carry.
                crate::casework::derive_pulled_tasks(tx, &f.id).map_err(crate::casework::to_store)?;
                changed += 1;
            }
            Some("submitted") if f.status != "submitted" => {
                tx.prepare_cached("UPDATE forms SET status = ?2, updated_at = ?3 WHERE id = ?1")?
                    .execute(params![f.id, f.status, now])?;
                changed += 1;
            }
            Some(_) => {}
        }
    }
    for r in &c.reviews {
        let form_here = tx.prepare_cached("SELECT 1 FROM forms WHERE id = ?1")?.exists([&r.form_id])?;
        let known = tx
            .prepare_cached(
                "SELECT 1 FROM form_reviews WHERE id = ?1 OR (form_id = ?2 AND reviewer = ?3 AND decision = ?4)",
            )?
            .exists(params![r.id, r.form_id, r.reviewer, r.decision])?;
        if !form_here || known {
            continue;
        }
        tx.prepare_cached(
            "INSERT INTO form_reviews (id, form_id, reviewer, decision, comments, reviewed_at, pulled_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            r.id,
            r.form_id,
            r.reviewer,
            r.decision,
            r.comments,
            r.reviewed_at.as_deref().unwrap_or(&now),
            now
        ])?;
        let status = if r.decision == "approve" { "approved" } else { "returned" };
        tx.prepare_cached("UPDATE forms SET status = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'submitted'")?
            .execute(params![r.form_id, status, now])?;
        // The review is done: the supervisor-review task raised on submission closes, as it
        // does when the review is made on this device.
        tx.prepare_cached(
            "UPDATE tasks SET status = 'done' WHERE source_form_id = ?1 AND kind = 'supervisor_review'
               AND status = 'open'",
        )?
        .execute([&r.form_id])?;
        changed += 1;
    }
    for d in &c.referrals {
        let local: Option<String> = tx
            .prepare_cached("SELECT status FROM referrals WHERE id = ?1")?
            .query_row([&d.id], |r| r.get(0))
            .optional()?;
        match local {
            None => {
                let outcome = d.outcome.as_str();
                // A decision recorded elsewhere settles this device's "ask again" tasks for the
                // victim, as one recorded here does.
                if d.status == "active"
                    && crate::victims::rules_settle_follow_ups(d.outcome, d.destination.as_deref())
                        .map_err(crate::casework::to_store)?
                {
                    crate::victims::settle_follow_ups(tx, &c.incident_id, &d.victim_id)?;
                }
                // OR IGNORE: an active referral of the same victim to the same service recorded
                // here first keeps its place; the service refuses that one on push, with a reason.
                changed += tx
                    .prepare_cached(
                        "INSERT OR IGNORE INTO referrals (id, incident_id, victim_id, outcome, destination, details,
                            status, decided_at, decided_by, pulled_at, withdrawal)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                    )?
                    .execute(params![
                        d.id,
                        c.incident_id,
                        d.victim_id,
                        outcome,
                        d.destination,
                        d.details.to_string(),
                        d.status,
                        d.decided_at,
                        d.decided_by,
                        now,
                        withdrawal_json(d)
                    ])? as u64;
                if d.status == "active" {
                    crate::victims::close_tasks_met_by(tx, &c.incident_id, outcome, d.destination.as_deref())?;
                    // A deferral's "ask again" task, which the service does not carry.
                    crate::victims::derive_pulled_follow_up(tx, d).map_err(crate::casework::to_store)?;
                }
            }
            // Withdrawn elsewhere (`referral.withdraw/1`): with why, when and by whom. Only that
            // way: nothing makes a withdrawn decision active again, and one withdrawn here whose
            // withdrawal has not reached the service yet stays withdrawn.
            Some(s) if s != d.status && d.status == "withdrawn" => {
                tx.prepare_cached(
                    "UPDATE referrals SET status = ?2, withdrawal = coalesce(?3, withdrawal) WHERE id = ?1",
                )?
                .execute(params![d.id, d.status, withdrawal_json(d)])?;
                // What it had settled comes undone, as when withdrawn here.
                crate::victims::after_withdrawal(
                    tx,
                    &c.incident_id,
                    &d.id,
                    d.outcome == bluelamp_protocol::casework::ReferralOutcome::Deferred,
                    d.outcome.as_str(),
                    d.destination.as_deref(),
                )?;
                changed += 1;
            }
            Some(_) => {}
        }
    }
    // Under-18 answers (`victim.under18/1`): immutable, the latest per person counts; those
    // this device lacks are inserted.
    for a in &c.under18_answers {
        changed += tx
            .prepare_cached(
                "INSERT OR IGNORE INTO under18_answers (id, incident_id, nominal_id, under_18, answered_by,
                    answered_at, pulled_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![a.id, c.incident_id, a.nominal_id, a.under_18, a.answered_by, a.answered_at, now])?
            as u64;
    }
    // Right 6: investigation events and victims told of them (`investigation.event/1`,
    // `victim.updated/1`): immutable; those this device lacks are inserted.
    for e in &c.events {
        changed += tx
            .prepare_cached(
                "INSERT OR IGNORE INTO investigation_events (id, incident_id, kind, occurred_on, recorded_by,
                    recorded_at, pulled_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                e.id,
                c.incident_id,
                e.kind.trim(),
                e.occurred_on.trim(),
                e.recorded_by,
                e.recorded_at,
                now
            ])? as u64;
    }
    for t in &c.told {
        changed += tx
            .prepare_cached(
                "INSERT OR IGNORE INTO victims_told (id, event_id, incident_id, nominal_id, how, told_by, told_at,
                    pulled_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![t.id, t.event_id, c.incident_id, t.nominal_id, t.how, t.told_by, t.told_at, now])?
            as u64;
        // The day told (a record from an older device has none: the day of `told_at` counts).
        if let Some(d) = t.told_on.as_deref().and_then(|d| bluelamp_protocol::dates::parse_iso_date(d).ok()) {
            tx.prepare_cached("UPDATE victims_told SET told_on = ?2 WHERE id = ?1 AND told_on IS NULL")?
                .execute(params![t.id, format!("{:04}-{:02}-{:02}", d.0, d.1, d.2)])?;
        }
    }
    // Victims' update preferences (`victim.update_preference/1`): immutable; the latest counts.
    for p in &c.update_preferences {
        changed += tx
            .prepare_cached(
                "INSERT OR IGNORE INTO update_preferences (id, incident_id, nominal_id, wants, recorded_by,
                    recorded_at, pulled_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![p.id, c.incident_id, p.nominal_id, p.wants.trim(), p.recorded_by, p.recorded_at, now])?
            as u64;
    }
    Ok(changed)
}

/// A pulled decision's withdrawal as stored (JSON), if it has one.
fn withdrawal_json(d: &bluelamp_protocol::casework::ReferralDecisionInfo) -> Option<String> {
    d.withdrawal.as_ref().and_then(|w| serde_json::to_string(w).ok())
}

/// Drops the pulled casework of an incident this device no longer holds (the caller checked
/// that nothing on it was written here); returns the ids of the forms and referral decisions
/// dropped (for the erasure entry).
pub(crate) fn forget(tx: &Transaction<'_>, incident_id: &str) -> Result<(Vec<String>, Vec<String>)> {
    let ids = |sql: &str| -> Result<Vec<String>> {
        Ok(tx.prepare_cached(sql)?.query_map([incident_id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
    };
    let forms = ids("SELECT id FROM forms WHERE incident_id = ?1 ORDER BY id")?;
    let referrals = ids("SELECT id FROM referrals WHERE incident_id = ?1 ORDER BY id")?;
    tx.execute(
        "DELETE FROM form_reviews WHERE form_id IN (SELECT id FROM forms WHERE incident_id = ?1)",
        [incident_id],
    )?;
    // The tasks made for pulled forms (`derive_pulled_tasks`) and decisions
    // (`derive_pulled_follow_up`) go with them.
    tx.execute(
        &format!(
            "DELETE FROM tasks WHERE source_form_id IN (SELECT id FROM forms WHERE incident_id = ?1)
                OR id IN (SELECT '{}' || id FROM referrals WHERE incident_id = ?1)",
            crate::victims::FOLLOW_UP_ID_PREFIX
        ),
        [incident_id],
    )?;
    tx.execute("DELETE FROM forms WHERE incident_id = ?1", [incident_id])?;
    tx.execute("DELETE FROM referrals WHERE incident_id = ?1", [incident_id])?;
    tx.execute("DELETE FROM under18_answers WHERE incident_id = ?1", [incident_id])?;
    tx.execute("DELETE FROM victims_told WHERE incident_id = ?1", [incident_id])?;
    tx.execute("DELETE FROM update_preferences WHERE incident_id = ?1", [incident_id])?;
    tx.execute("DELETE FROM investigation_events WHERE incident_id = ?1", [incident_id])?;
    Ok((forms, referrals))
}
