//! Conflicts shown to a person (issue 7): a shared record (an incident today) edited here on a
//! version the central service had already moved past.
//!
//! - An edit of an incident is queued with the service's version this device last pulled
//!   (`incidents.server_version`) as its base, and that version's record (`base_data`); the
//!   service answers a stale base with a [`ConflictNotice`], stored here with base (the record
//!   the edit was based on), mine (the fields the edit changed) and theirs (the record the
//!   service holds).
//! - A pulled incident updates the local copy, except the contested fields (closing code, status)
//!   while this device has work on it that the service has not settled: a pending outbox entry
//!   or an unresolved conflict. The local pending value is kept and the push produces the
//!   conflict; nothing is silently overwritten in either direction.
//! - [`Store::resolve_conflict`]: the officer's field-by-field choice becomes the local record
//!   and an `incident.resolve/1` mutation based on the service's version from the notice, in one
//!   `user_write` (change, outbox and access-log rows together). If the incident moved again, the
//!   push brings a new conflict.

use std::collections::BTreeMap;

use bluelamp_forms::{is_nfa_dup, NfaDupReason};
use bluelamp_protocol::casework::IncidentStatus;
use bluelamp_protocol::conflicts::{conflict_fields, resolve_fields, ConflictInfo, Side};
use bluelamp_protocol::wire::ConflictNotice;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Map, Value};

use crate::audit::EditBase;
use crate::casework::{catalog, gate_states, incident_row, now_unix, ts, CaseworkError, CwResult, NewIncident};
use crate::{Actor, AuditAction, AuditEvent, OutboxMutation, Store, StoreError};

/// The contested fields of an incident (what `incident.*` mutations change).
const INCIDENT_FIELDS: &[&str] = &["closing_code", "status"];

/// The central service's version of an incident as last pulled (`None`: never pulled).
pub(crate) fn server_version(conn: &Connection, incident_id: &str) -> rusqlite::Result<Option<u64>> {
    Ok(conn
        .query_row("SELECT server_version FROM incidents WHERE id = ?1", [incident_id], |r| r.get::<_, Option<i64>>(0))
        .optional()?
        .flatten()
        .map(|v| v.max(0) as u64))
}

/// The base of a new edit of an incident: the service's version whose contested fields the
/// officer sees here. While an earlier edit is unsettled (pending, or conflicted and not yet
/// resolved) the local fields are that edit's, over the version it was based on; a newer version
/// pulled meanwhile was kept out of them (see [`refresh_incident`]), so an edit based on it would
/// overwrite a value nobody here has seen (a supervisor's code, say) with no conflict. Such an
/// edit takes the earlier one's base, and meets the same conflict. The base's record goes with
/// it, for the conflict's "base" column.
pub(crate) fn edit_base(conn: &Connection, incident_id: &str) -> rusqlite::Result<EditBase> {
    let earlier: Option<(Option<i64>, Option<String>)> = conn
        .query_row(
            "SELECT base_version, base_data FROM (
                SELECT seq, base_version, base_data FROM outbox
                 WHERE state = 'pending' AND mutation LIKE 'incident.%'
                   AND json_extract(payload, '$.incident_id') = ?1
                UNION ALL
                SELECT o.seq, o.base_version, o.base_data FROM conflicts c JOIN outbox o ON o.seq = c.seq
                 WHERE c.resolved_at IS NULL AND c.record_type = 'incident' AND c.record_id = ?1)
             ORDER BY seq LIMIT 1",
            [incident_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(match earlier {
        Some((version, data)) => EditBase { version: version.map(|v| v.max(0) as u64), data },
        None => EditBase {
            version: server_version(conn, incident_id)?,
            data: conn
                .query_row("SELECT server_data FROM incidents WHERE id = ?1", [incident_id], |r| r.get(0))
                .optional()?
                .flatten(),
        },
    })
}

/// The `NFA-DUP` reason in a service's incident record (`duplicate_of` / `no_incident_found`).
pub(crate) fn nfa_dup_reason_of(record: &Value) -> Option<NfaDupReason> {
    let text = |k: &str| record.get(k).and_then(Value::as_str);
    NfaDupReason::from_fields(text("duplicate_of"), text("no_incident_found")).ok().flatten()
}

/// An `NFA-DUP` closing code in a conflict is shown with its reason on each side: the one held
/// here with *mine*, the central record's with *theirs*. Taking a side takes its reason (see
/// `resolve_conflict`), so the officer sees what they adopt (review, 7 Dec 2026: the view
/// showed the code alone).
fn nfa_dup_notes(conn: &Connection, c: &mut ConflictInfo, theirs: &Value) -> rusqlite::Result<()> {
    let Some(f) = c.fields.iter_mut().find(|f| f.field == "closing_code") else { return Ok(()) };
    let is_dup = |v: &Value| v.as_str().is_some_and(is_nfa_dup);
    let shown = |reason: Option<NfaDupReason>| -> rusqlite::Result<String> {
        let Some(reason) = reason else { return Ok("No reason is given for NFA-DUP.".into()) };
        let reference: Option<String> = match &reason {
            NfaDupReason::DuplicateOf(id) => conn
                .prepare_cached("SELECT reference FROM incidents WHERE id = ?1")?
                .query_row([id], |r| r.get(0))
                .optional()?,
            NfaDupReason::NoIncidentFound(_) => None,
        };
        Ok(reason.shown(reference.as_deref()))
    };
    if is_dup(&f.mine) {
        let held: Option<(Option<String>, Option<String>)> = conn
            .prepare_cached("SELECT nfa_dup_duplicate_of, nfa_dup_no_incident_found FROM incidents WHERE id = ?1")?
            .query_row([&c.record_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let reason = held.and_then(|(d, n)| NfaDupReason::from_fields(d.as_deref(), n.as_deref()).ok().flatten());
        f.mine_note = Some(shown(reason)?);
    }
    if is_dup(&f.theirs) {
        f.theirs_note = Some(shown(nfa_dup_reason_of(theirs))?);
    }
    Ok(())
}

/// What a mutation written here changed, as top-level fields of the record.
pub(crate) fn contested(mutation: &str, payload: &Value) -> Value {
    let code = payload.get("closing_code").cloned().unwrap_or(Value::Null);
    match mutation {
        "incident.closing_code/1" => json!({ "closing_code": code }),
        "incident.finalise/1" => json!({ "closing_code": code, "status": "finalised" }),
        "incident.resolve/1" => payload.get("fields").cloned().unwrap_or_else(|| json!({})),
        _ => {
            let mut m = payload.as_object().cloned().unwrap_or_default();
            for k in ["incident_id", "at", "conflict_id"] {
                m.remove(k);
            }
            Value::Object(m)
        }
    }
}

/// Stores a conflict notice (inside the acknowledgement's transaction); a notice already held
/// for the same seq is not stored twice, and one for a record with an unresolved edit conflict
/// is merged into it.
pub(crate) fn store_notice(tx: &Connection, c: &ConflictNotice, now: &str) -> rusqlite::Result<()> {
    let held: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM conflicts WHERE kind = 'edit' AND seq = ?1)",
        [c.seq as i64],
        |r| r.get(0),
    )?;
    if held {
        return Ok(());
    }
    let (mutation, base_data): (Option<String>, Option<String>) = tx
        .query_row("SELECT mutation, base_data FROM outbox WHERE seq = ?1", [c.seq as i64], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?
        .unwrap_or_default();
    let mutation = mutation.unwrap_or_default();
    // The record the edit was based on; for an edit queued before schema 19, the record as
    // last pulled (which may be newer than what the officer saw).
    let base: Option<String> = match base_data {
        Some(b) => Some(b),
        None if c.record_type == "incident" => tx
            .query_row("SELECT server_data FROM incidents WHERE id = ?1", [&c.record_id], |r| r.get(0))
            .optional()?
            .flatten(),
        None => None,
    };
    let base = base.unwrap_or_else(|| c.base.to_string());
    let mine = contested(&mutation, &c.mine);
    // A later edit of a record whose earlier edit already waits unresolved (three codes typed
    // in a row, all pushed after the service moved): one conflict, not three. The officer's
    // newer values are laid over the older ones; the base stays the record they first saw; the
    // service's side is the newest notice's.
    let open: Option<(String, String, Option<i64>)> = tx
        .query_row(
            "SELECT id, mine, seq FROM conflicts WHERE kind = 'edit' AND resolved_at IS NULL
                AND record_type = ?1 AND record_id = ?2
             ORDER BY created_at DESC, id DESC LIMIT 1",
            params![c.record_type, c.record_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    if let Some((id, held, merged_up_to)) = open {
        // Edits are pushed in order: a notice at or below the last one merged is already in
        // (an answer given again), and laying it over again would bring back older values.
        if merged_up_to.is_some_and(|s| s >= c.seq as i64) {
            return Ok(());
        }
        let mut merged =
            serde_json::from_str::<Value>(&held).ok().and_then(|v| v.as_object().cloned()).unwrap_or_default();
        if let Some(newer) = mine.as_object() {
            merged.extend(newer.clone());
        }
        tx.execute(
            "UPDATE conflicts SET mine = ?2, theirs = ?3, seq = ?4, mutation = ?5,
                server_version = max(coalesce(server_version, 0), ?6)
             WHERE id = ?1",
            params![
                id,
                Value::Object(merged).to_string(),
                c.theirs.to_string(),
                c.seq as i64,
                mutation,
                c.server_version.min(i64::MAX as u64) as i64
            ],
        )?;
        return Ok(());
    }
    tx.execute(
        "INSERT INTO conflicts (id, record_type, record_id, base, mine, theirs, created_at, kind, seq, mutation,
            server_version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'edit', ?8, ?9, ?10)",
        params![
            uuid::Uuid::now_v7().to_string(),
            c.record_type,
            c.record_id,
            base,
            mine.to_string(),
            c.theirs.to_string(),
            now,
            c.seq as i64,
            mutation,
            c.server_version.min(i64::MAX as u64) as i64
        ],
    )?;
    Ok(())
}

/// Whether this device has work on the incident the service has not settled: a pending outbox
/// entry, one parked because the service refused the officer's role (it never saw it, and takes
/// it once the role is given back; a pull swept the incident from under it: before-stop review,
/// 7 Dec 2026), or an unresolved conflict.
pub(crate) fn unsettled(tx: &Connection, incident_id: &str) -> rusqlite::Result<bool> {
    tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE (state = 'pending' OR (state = 'parked' AND reject_code = 'role_refused'))
                          AND mutation LIKE 'incident.%'
                          AND json_extract(payload, '$.incident_id') = ?1)
             OR EXISTS (SELECT 1 FROM conflicts WHERE resolved_at IS NULL AND record_type = 'incident'
                          AND record_id = ?1)",
        [incident_id],
        |r| r.get(0),
    )
}

/// A pulled incident's status fields (the rest is in [`NewIncident`]).
pub(crate) struct PulledState {
    pub version: u64,
    pub status: Option<String>,
    pub finalised_at: Option<String>,
    pub data: Value,
}

/// Brings the local copy of a pulled incident (already inserted if it was new) up to the
/// service's version. Returns whether it changed anything. `gen` is the pull generation: the
/// first time a re-pull (after a reset) sends the incident, the service's copy is taken
/// whatever its version, even an older one. A service restored from a backup sends versions
/// older than those the device had from the lost timeline; the device kept the lost
/// timeline's closing code, skipped the service's later changes, and based its next edit on a
/// version the service no longer held (review, 7 Dec 2026).
pub(crate) fn refresh_incident(tx: &Connection, i: &NewIncident, p: &PulledState, gen: i64) -> rusqlite::Result<bool> {
    let Some(id) = i.id.as_deref() else { return Ok(false) };
    let held: Option<(Option<i64>, i64)> = tx
        .query_row("SELECT server_version, coalesce(seen_gen, 0) FROM incidents WHERE id = ?1", [id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let Some((held, seen_gen)) = held else { return Ok(false) };
    let first_of_a_re_pull = seen_gen < gen;
    let current = held.is_some_and(|h| {
        let h = h.max(0) as u64;
        if first_of_a_re_pull {
            h == p.version
        } else {
            h >= p.version
        }
    });
    if current {
        return Ok(false);
    }
    let now = ts(now_unix());
    tx.prepare_cached(
        "UPDATE incidents SET reference = ?2, incident_type = ?3, offence_category = ?4, place = ?5, postcode = ?6,
            team = ?7, occurred_at = ?8, recorded_at = ?9, assigned_to = ?10, server_version = ?11,
            server_data = ?12, updated_at = ?13
         WHERE id = ?1",
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
        i.assigned_to,
        p.version.min(i64::MAX as u64) as i64,
        p.data.to_string(),
        now
    ])?;
    // The pulled links are the whole set: a person the service unlinked, or whose role it
    // corrected (a victim who was a witness), is unlinked here too, or the gate would go on
    // asking for their referral decision. Links are never written on the device itself (a
    // resolved duplicate's redirect is undone by a pull only until the service has merged).
    tx.prepare_cached("DELETE FROM incident_links WHERE incident_id = ?1")?.execute([id])?;
    for (nominal, role) in &i.links {
        // Only the roles this device knows (as on first arrival).
        if crate::casework::LINK_ROLES.contains(&role.as_str()) {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO incident_links (incident_id, nominal_id, role) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![id, nominal, role])?;
        }
    }
    if !unsettled(tx, id)? {
        // The service's NFA-DUP reason with its code (none with any other code).
        let reason = i.closing_code.as_deref().filter(|c| is_nfa_dup(c)).and_then(|_| nfa_dup_reason_of(&p.data));
        let (duplicate_of, no_incident_found) = reason.as_ref().map(NfaDupReason::fields).unwrap_or_default();
        let status = match p.status.as_deref() {
            Some("finalised") => "finalised",
            _ => "open",
        };
        tx.prepare_cached(
            "UPDATE incidents SET
                coded_at = CASE WHEN ?2 IS NULL THEN NULL WHEN closing_code IS ?2 THEN coded_at ELSE ?4 END,
                closing_code = ?2,
                finalised_at = CASE WHEN ?3 = 'finalised' THEN coalesce(finalised_at, ?5, ?4) ELSE NULL END,
                status = ?3, nfa_dup_duplicate_of = ?6, nfa_dup_no_incident_found = ?7
             WHERE id = ?1",
        )?
        .execute(params![id, i.closing_code, status, now, p.finalised_at, duplicate_of, no_incident_found])?;
    }
    Ok(true)
}

impl Store {
    /// The unresolved edit conflicts, oldest first, each as fields with base, mine and theirs.
    pub fn list_conflicts(&self) -> crate::Result<Vec<ConflictInfo>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, c.record_type, c.record_id, c.base, c.mine, c.theirs, c.created_at, c.server_version,
                    coalesce(c.mutation, ''), i.reference
             FROM conflicts c LEFT JOIN incidents i ON c.record_type = 'incident' AND i.id = c.record_id
             WHERE c.resolved_at IS NULL AND c.kind = 'edit'
             ORDER BY c.created_at, c.id",
        )?;
        let rows = stmt.query_map([], |r| {
            let json = |i: usize| -> rusqlite::Result<Value> {
                Ok(serde_json::from_str(&r.get::<_, String>(i)?).unwrap_or(Value::Null))
            };
            let record_id: String = r.get(2)?;
            let (base, mine, theirs) = (json(3)?, json(4)?, json(5)?);
            let info = ConflictInfo {
                id: r.get(0)?,
                record_type: r.get(1)?,
                title: r.get::<_, Option<String>>(9)?.unwrap_or_else(|| record_id.clone()),
                record_id,
                mutation: r.get(8)?,
                created_at: r.get(6)?,
                server_version: r.get::<_, Option<i64>>(7)?.map(|v| v.max(0) as u64),
                fields: conflict_fields(&base, &mine, &theirs),
            };
            Ok((info, theirs))
        })?;
        let rows: Vec<(ConflictInfo, Value)> = rows.collect::<rusqlite::Result<_>>()?;
        let mut list = Vec::with_capacity(rows.len());
        for (mut c, theirs) in rows {
            if c.record_type == "incident" {
                nfa_dup_notes(&self.conn, &mut c, &theirs)?;
            }
            list.push(c);
        }
        Ok(list)
    }

    /// Resolves a conflict with a side for each contested field: the local record takes the
    /// chosen values, the conflict is marked resolved and an `incident.resolve/1` mutation based
    /// on the service's version from the notice is queued, with the access-log entry, in one
    /// transaction. Choosing "finalised" runs the closing-code gate on the chosen code.
    pub fn resolve_conflict(
        &mut self,
        actor: &Actor,
        conflict_id: &str,
        choices: &BTreeMap<String, Side>,
    ) -> CwResult<()> {
        let conflict = self
            .list_conflicts()?
            .into_iter()
            .find(|c| c.id == conflict_id)
            .ok_or_else(|| CaseworkError::NotFound(format!("unresolved conflict {conflict_id}")))?;
        if conflict.record_type != "incident" {
            return Err(CaseworkError::Invalid(format!("a {} conflict cannot be resolved here", conflict.record_type)));
        }
        let chosen: Map<String, Value> =
            resolve_fields(&conflict.fields, choices).map_err(|e| CaseworkError::Invalid(e.to_string()))?;
        let codes = &catalog()?.codes;
        let mut code: Option<Option<String>> = None;
        let mut status: Option<IncidentStatus> = None;
        for (k, v) in &chosen {
            match (k.as_str(), v) {
                ("closing_code", Value::Null) => code = Some(None),
                ("closing_code", Value::String(c)) if codes.get(c).is_some() => code = Some(Some(c.clone())),
                ("closing_code", other) => {
                    return Err(CaseworkError::Invalid(format!("{other} is not a closing code this device knows")))
                }
                ("status", Value::String(s)) if IncidentStatus::parse(s).is_some() => status = IncidentStatus::parse(s),
                (other, _) if !INCIDENT_FIELDS.contains(&other) => {
                    return Err(CaseworkError::Invalid(format!("the field {other:?} cannot be resolved")))
                }
                (other, v) => return Err(CaseworkError::Invalid(format!("{v} is not a valid {other}"))),
            }
        }
        let incident_id = conflict.record_id.clone();
        // Based on the service's record in the notice ("theirs"), at its version.
        let theirs_record: Option<String> = self
            .conn
            .query_row("SELECT theirs FROM conflicts WHERE id = ?1", [conflict_id], |r| r.get(0))
            .optional()?;
        // NFA-DUP keeps its reason: the one held here (set with the code on this device), or,
        // when the service's code is taken, the service's. With neither, the resolution is
        // refused (it would end with an NFA-DUP that says nothing of why).
        let current = incident_row(&self.conn, &incident_id)?;
        let final_code = code.clone().unwrap_or(current.summary.closing_code.clone());
        let reason: Option<NfaDupReason> = if final_code.as_deref().is_some_and(is_nfa_dup) {
            let took_theirs = choices.get("closing_code") == Some(&Side::Theirs);
            let theirs_reason = theirs_record
                .as_deref()
                .and_then(|t| serde_json::from_str::<Value>(t).ok())
                .and_then(|t| nfa_dup_reason_of(&t));
            let held = current.summary.nfa_dup_reason.clone();
            let r = if took_theirs { theirs_reason.or(held) } else { held.or(theirs_reason) };
            Some(r.ok_or_else(|| {
                CaseworkError::Invalid(
                    "the closing code chosen is NFA-DUP and no reason for it is held here or by the service: \
                     take the other closing code, then set NFA-DUP again with its reason (the incident it \
                     duplicates, or no incident found in words)"
                        .into(),
                )
            })?)
        } else {
            None
        };
        let (duplicate_of, no_incident_found) = reason.as_ref().map(NfaDupReason::fields).unwrap_or_default();
        if status == Some(IncidentStatus::Finalised) {
            let mut row = current.clone();
            row.summary.closing_code = final_code.clone();
            row.summary.nfa_dup_reason = reason.clone();
            let state = gate_states(&self.conn, &[&row])?.remove(&incident_id).unwrap_or_default();
            let missing = crate::casework::closure_missing(&row.summary, final_code.as_deref(), &state)?;
            if !missing.is_empty() {
                return Err(CaseworkError::Refused { missing });
            }
        }
        let at = ts(now_unix());
        let picks: BTreeMap<&str, Side> = conflict
            .fields
            .iter()
            .filter(|f| f.differs)
            .map(|f| (f.field.as_str(), choices.get(&f.field).copied().unwrap_or(Side::Mine)))
            .collect();
        let event = AuditEvent::new(AuditAction::Alteration, format!("incident:{incident_id}"))
            .detail(json!({ "conflict": conflict_id, "choices": picks, "resolved": chosen }));
        let mut payload = json!({ "incident_id": incident_id, "conflict_id": conflict_id, "fields": chosen, "at": at });
        if let Some(d) = duplicate_of {
            payload["duplicate_of"] = json!(d);
        }
        if let Some(n) = no_incident_found {
            payload["no_incident_found"] = json!(n);
        }
        let mutation = OutboxMutation { name: "incident.resolve/1".into(), payload };
        let resolution = json!({ "choices": picks, "fields": chosen }).to_string();
        let base = EditBase { version: conflict.server_version, data: theirs_record };
        self.user_write_based(actor, event, Some(mutation), base, |tx| {
            if let Some(code) = &code {
                tx.execute(
                    "UPDATE incidents SET
                        coded_at = CASE WHEN ?2 IS NULL THEN NULL WHEN closing_code IS ?2 THEN coded_at ELSE ?3 END,
                        closing_code = ?2, nfa_dup_duplicate_of = ?4, nfa_dup_no_incident_found = ?5
                     WHERE id = ?1",
                    params![incident_id, code, at, duplicate_of, no_incident_found],
                )?;
            }
            match status {
                Some(IncidentStatus::Finalised) => tx.execute(
                    "UPDATE incidents SET status = 'finalised', finalised_at = coalesce(finalised_at, ?2) WHERE id = ?1",
                    params![incident_id, at],
                )?,
                Some(IncidentStatus::Open) => tx.execute(
                    "UPDATE incidents SET status = 'open', finalised_at = NULL WHERE id = ?1",
                    params![incident_id],
                )?,
                None => 0,
            };
            tx.execute(
                "UPDATE incidents SET updated_at = ?2, version = version + 1 WHERE id = ?1",
                params![incident_id, at],
            )?;
            let n = tx.execute(
                "UPDATE conflicts SET resolved_at = ?2, resolution = ?3, resolved_by = ?4
                 WHERE id = ?1 AND resolved_at IS NULL",
                params![conflict_id, at, resolution, actor.officer_id],
            )?;
            if n != 1 {
                return Err(StoreError::Invalid("the conflict was resolved meanwhile".into()));
            }
            Ok(())
        })?;
        Ok(())
    }
}
