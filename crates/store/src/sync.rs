//! The store's side of sync (issue 7): the outbox read in order, acknowledgements and parked
//! rejections committed in one transaction, pull pages applied together with their cursor, the
//! sign-in token kept inside the encrypted store, and the counts the status bar shows.
//!
//! Invariants (engineering research §A.2):
//! - F1: a pull page and its cursor commit in one transaction ([`Store::apply_pull_page`]).
//! - F2: the outbox row of a user write commits with the write (see `audit::user_write`).
//! - F3: a permanent rejection is parked with the server's reason and the queue moves on.
//! - F6: a reset never touches drafts, the outbox or the access log: it only marks the
//!   server-owned nominal cache for a sweep once the full re-pull has arrived, so search keeps
//!   working meanwhile, and rows imported locally (no `server_version`) are never swept.

use std::collections::HashMap;

use bluelamp_protocol::wire::{
    Casework, Change, ConflictNotice, Instruction, LoginResponse, PullResponse, PushMutation, RecordType, WireNominal,
};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;

use crate::{nominals, search, NominalRecord, Result, Store, StoreError};

const CURSOR: &str = "pull_cursor";
const SERVER_LAST: &str = "server_last_seq";
const LAST_PUSH_OK: &str = "last_push_ok";
const LAST_PULL_OK: &str = "last_pull_ok";
const LAST_SYNC_OK: &str = "last_sync_ok";
const SWEEP_BEFORE: &str = "sweep_before";
const TOKEN: &str = "token";
const TOKEN_EXPIRES: &str = "token_expires";
const SERVER_URL: &str = "server_url";
const PULLED_TOTAL: &str = "pulled_total";
const PENDING_INSTRUCTION: &str = "instruction";
const PULL_OPEN: &str = "pull_open";
/// Why the central service last refused this device's access log for good (a chain that forked
/// from its copy: a store restored from an older copy), until a push of the log succeeds.
const AUDIT_REFUSED: &str = "audit_refused";
/// The pull generation: bumped by a reset; each incident the pull sends is marked with it
/// (`incidents.seen_gen`), and the sweep at the end of the re-pull finds the ones not sent.
const PULL_GEN: &str = "pull_gen";

/// The code of writes parked on the device because the central service refused them for the
/// officer's role ([`Store::outbox_park_role_refused`]); the service never recorded them.
pub const ROLE_REFUSED: &str = "role_refused";

/// A parked (rejected) outbox entry, shown to the officer with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Parked {
    pub seq: u64,
    pub mutation: String,
    pub code: String,
    pub message: String,
    pub created_at: String,
}

/// What the status bar and `sync --json` show.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncCounts {
    /// Outbox entries not yet acknowledged.
    pub pending: u64,
    /// Entries the server refused (visible with their reasons).
    pub rejected: u64,
    /// Unresolved conflicts and possible duplicates.
    pub conflicts: u64,
    /// Entries acknowledged by the server (kept as a local record).
    pub acknowledged: u64,
    /// UTC time of the last round that pushed and pulled everything.
    pub last_sync_ok: Option<String>,
    /// The server's last applied seq for this client, as last heard.
    pub server_last_seq: u64,
    /// Nominals received from the server so far (first sync progress).
    pub pulled_total: u64,
    /// A pull is under way (a cursor is stored but the last page has not arrived).
    pub pull_in_progress: bool,
}

/// What applying one pull page did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PageReport {
    pub upserts: u64,
    pub tombstones: u64,
    /// Tombstoned nominals kept because an incident on this device still links them.
    pub kept_linked: u64,
    /// Assigned incidents added.
    pub incidents: u64,
    /// Incidents whose local copy took the service's newer version (new ones included).
    pub incidents_updated: u64,
    /// Rows removed by the post-reset sweep.
    pub swept: u64,
    /// Incidents no longer assigned to this officer that were removed (by a tombstone or the
    /// post-reset sweep).
    pub incidents_removed: u64,
    /// Incidents no longer assigned that were kept because work recorded here is on them
    /// (marked "no longer assigned").
    pub incidents_kept: u64,
    /// Casework recorded on other devices that this one took: forms added, reviews added (with
    /// the form's new status) and referral decisions added or withdrawn.
    pub casework: u64,
    pub instructions: Vec<Instruction>,
}

fn now_ts(tx: &rusqlite::Connection) -> Result<String> {
    Ok(tx.query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ','now')", [], |r| r.get(0))?)
}

fn get(conn: &rusqlite::Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT value FROM sync_state WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

fn set(conn: &rusqlite::Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO sync_state (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

fn del(conn: &rusqlite::Connection, key: &str) -> Result<()> {
    conn.execute("DELETE FROM sync_state WHERE key = ?1", [key])?;
    Ok(())
}

fn bad(msg: impl Into<String>) -> StoreError {
    StoreError::Invalid(msg.into())
}

/// A nominal from the wire, checked: never trust the server's bytes blindly. With it, the phone
/// numbers it carries (none when the service sent none), which replace those held.
fn nominal_of(id: &str, data: &serde_json::Value) -> Result<(NominalRecord, Vec<String>)> {
    let w: WireNominal =
        serde_json::from_value(data.clone()).map_err(|e| bad(format!("nominal {id}: unreadable record ({e})")))?;
    if w.id != id {
        return Err(bad(format!("nominal {id}: the record says it is {}", w.id)));
    }
    let cap = |s: String| s.chars().take(200).collect::<String>();
    // A number the imports would refuse is dropped, not the page (see `clean_phones`).
    let phones = bluelamp_protocol::nominal::clean_phones(w.phones);
    let record = NominalRecord {
        id: w.id,
        source: w.source,
        given_name: cap(w.given_name),
        surname: cap(w.surname),
        date_of_birth: w.date_of_birth.and_then(|d| bluelamp_protocol::dates::parse_dob(&d).ok()),
        sex: w.sex.map(cap),
        aliases: w.aliases.into_iter().take(50).map(cap).collect(),
        address: w.address.map(cap),
        postcode: w.postcode.map(cap),
    };
    Ok((record, phones))
}

/// A pulled nominal's optional `markers` and `addresses` (the record page). Absent fields leave
/// what the device holds; present ones replace it.
#[derive(serde::Deserialize)]
struct PulledDetails {
    #[serde(default)]
    markers: Option<Vec<PulledMarker>>,
    #[serde(default)]
    addresses: Option<Vec<PulledAddress>>,
}

#[derive(serde::Deserialize)]
struct PulledMarker {
    code: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    last_verified_at: Option<String>,
    #[serde(default)]
    verified_by: Option<String>,
}

#[derive(serde::Deserialize)]
struct PulledAddress {
    address: String,
    #[serde(default)]
    postcode: Option<String>,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    valid_from: Option<String>,
    #[serde(default)]
    valid_to: Option<String>,
}

/// The markers and address history a pulled nominal carries, and its phone numbers (`phones`,
/// always: the numbers the service sends replace those held, and a record without any clears
/// them, in the transaction that writes the record).
fn details_of(id: &str, data: &serde_json::Value, phones: Vec<String>) -> Result<crate::NominalDetails> {
    if data.get("markers").is_none() && data.get("addresses").is_none() {
        return Ok(crate::NominalDetails {
            nominal_id: id.to_string(),
            markers: None,
            addresses: None,
            phones: Some(phones),
        });
    }
    let p: PulledDetails =
        serde_json::from_value(data.clone()).map_err(|e| bad(format!("nominal {id}: unreadable details ({e})")))?;
    let cap = |s: String| s.chars().take(200).collect::<String>();
    Ok(crate::NominalDetails {
        nominal_id: id.to_string(),
        // A part the service did not send leaves what the device holds.
        markers: p.markers.map(|ms| {
            ms.into_iter()
                .map(|m| crate::MarkerRecord {
                    code: cap(m.code),
                    description: m.description,
                    last_verified_at: m.last_verified_at.map(cap),
                    verified_by: m.verified_by.map(cap),
                })
                .collect()
        }),
        addresses: p.addresses.map(|addrs| {
            addrs
                .into_iter()
                .map(|a| crate::AddressRecord {
                    address: a.address,
                    postcode: a.postcode.map(cap),
                    kind: cap(a.kind),
                    valid_from: a.valid_from.map(cap),
                    valid_to: a.valid_to.map(cap),
                })
                .collect()
        }),
        phones: Some(phones),
    })
}

/// An assigned incident as the central service serves it (unknown fields ignored).
#[derive(serde::Deserialize)]
struct PulledIncident {
    id: String,
    reference: String,
    incident_type: String,
    #[serde(default)]
    offence_category: Option<String>,
    #[serde(default)]
    place: Option<String>,
    #[serde(default)]
    postcode: Option<String>,
    #[serde(default)]
    team: Option<String>,
    occurred_at: i64,
    recorded_at: i64,
    #[serde(default)]
    assigned_to: Option<String>,
    #[serde(default)]
    closing_code: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    finalised_at: Option<String>,
    #[serde(default)]
    links: Vec<PulledLink>,
}

#[derive(serde::Deserialize)]
struct PulledLink {
    nominal_id: String,
    role: String,
}

fn incident_of(
    id: &str,
    version: u64,
    data: &serde_json::Value,
) -> Result<(crate::casework::NewIncident, crate::conflicts::PulledState)> {
    let p: PulledIncident =
        serde_json::from_value(data.clone()).map_err(|e| bad(format!("incident {id}: unreadable record ({e})")))?;
    if p.id != id || p.reference.trim().is_empty() || p.incident_type.trim().is_empty() {
        return Err(bad(format!("incident {id}: the record is incomplete or names another incident")));
    }
    let cap = |s: String| s.chars().take(200).collect::<String>();
    // A closing code this device does not know is left off (the list is reference data).
    let known = crate::casework::catalog().map_err(|e| bad(e.to_string()))?;
    let closing_code = p.closing_code.filter(|c| known.codes.get(c).is_some());
    let state = crate::conflicts::PulledState {
        version,
        status: p.status.map(cap),
        finalised_at: p.finalised_at.map(cap),
        data: data.clone(),
    };
    let incident = crate::casework::NewIncident {
        id: Some(p.id),
        reference: cap(p.reference),
        incident_type: cap(p.incident_type),
        offence_category: p.offence_category.map(cap),
        place: p.place.map(cap),
        postcode: p.postcode.map(cap),
        team: p.team.map(cap),
        occurred_at: p.occurred_at,
        recorded_at: p.recorded_at,
        assigned_to: p.assigned_to.map(cap),
        closing_code,
        links: p.links.into_iter().take(100).map(|l| (cap(l.nominal_id), cap(l.role))).collect(),
    };
    Ok((incident, state))
}

/// Why a pull removed records, as the erasure entry says it (`reason` in its detail).
const TOMBSTONE: &str = "deleted_by_service";
const NOT_SENT_AFTER_RESET: &str = "not_sent_after_reset";
const UNASSIGNED: &str = "no_longer_assigned";
const UNASSIGNED_WORK_SETTLED: &str = "no_longer_assigned_work_settled";
const PARKED_UNCLAIMED: &str = "incident_never_assigned";

/// Most ids one erasure entry names; a larger removal (a sweep after a reset) takes several
/// entries, all in the page's transaction.
const ERASURE_IDS_PER_ENTRY: usize = 1000;

/// One record a pull page removed, with the forms and referral decisions removed with an
/// incident.
struct Erased {
    what: &'static str,
    why: &'static str,
    id: String,
    forms: Vec<String>,
    referrals: Vec<String>,
}

/// What a pull page removed from the store, for its erasure entries (DPA 2018 s.62: who erased
/// what and when; ids only, never the erased content).
#[derive(Default)]
struct Erasures {
    items: Vec<Erased>,
}

impl Erasures {
    fn push(&mut self, what: &'static str, why: &'static str, id: &str, casework: (Vec<String>, Vec<String>)) {
        let (forms, referrals) = casework;
        self.items.push(Erased { what, why, id: id.to_string(), forms, referrals });
    }

    fn nominal(&mut self, why: &'static str, id: &str) {
        self.push("nominals", why, id, Default::default());
    }

    fn incident(&mut self, why: &'static str, id: &str, casework: (Vec<String>, Vec<String>)) {
        self.push("incidents", why, id, casework);
    }

    /// The entries: one per object and reason (split every [`ERASURE_IDS_PER_ENTRY`] ids), in
    /// the order the removals were made.
    fn events(self) -> Vec<crate::AuditEvent> {
        let mut groups: Vec<Vec<Erased>> = Vec::new();
        // The group still open for each kind and reason (one pass: a sweep may remove millions).
        let mut open: HashMap<(&'static str, &'static str), usize> = HashMap::new();
        for e in self.items {
            let key = (e.what, e.why);
            match open.get(&key) {
                Some(&i) if groups[i].len() < ERASURE_IDS_PER_ENTRY => groups[i].push(e),
                _ => {
                    open.insert(key, groups.len());
                    groups.push(vec![e]);
                }
            }
        }
        groups
            .into_iter()
            .map(|g| {
                let (what, why) = (g[0].what, g[0].why);
                let mut detail = serde_json::json!({
                    "via": "sync",
                    "reason": why,
                    "count": g.len(),
                    "ids": g.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
                });
                if what == "incidents" {
                    detail["forms"] = serde_json::json!(g.iter().flat_map(|e| e.forms.iter()).collect::<Vec<_>>());
                    detail["referrals"] =
                        serde_json::json!(g.iter().flat_map(|e| e.referrals.iter()).collect::<Vec<_>>());
                }
                crate::AuditEvent::new(crate::AuditAction::Erasure, what).detail(detail)
            })
            .collect()
    }
}

/// Deletes a nominal with its search keys, unless an incident links it.
fn delete_nominal(tx: &Transaction<'_>, id: &str, deltas: &mut HashMap<String, i64>) -> Result<Option<bool>> {
    let linked: bool =
        tx.query_row("SELECT EXISTS (SELECT 1 FROM incident_links WHERE nominal_id = ?1)", [id], |r| r.get(0))?;
    if linked {
        return Ok(Some(false));
    }
    let old = tx
        .query_row("SELECT rk, given_name, surname, aliases, date_of_birth FROM nominals WHERE id = ?1", [id], |o| {
            Ok((
                o.get::<_, i64>(0)?,
                search::OldRow { given: o.get(1)?, surname: o.get(2)?, aliases: o.get(3)?, dob: o.get(4)? },
            ))
        })
        .optional()?;
    let Some((rk, old)) = old else { return Ok(None) };
    search::remove_keys(tx, rk, &old, deltas)?;
    tx.execute("DELETE FROM nominal_addresses WHERE nominal_id = ?1", [id])?;
    tx.execute("DELETE FROM nominal_markers WHERE nominal_id = ?1", [id])?;
    tx.execute("DELETE FROM nominal_phones WHERE nominal_id = ?1", [id])?;
    tx.execute("DELETE FROM nominals WHERE id = ?1", [id])?;
    *deltas.entry(search::TOTAL_KEY.to_string()).or_default() -= 1;
    Ok(Some(true))
}

/// An incident no longer assigned to this officer (tombstoned, or not sent again by a re-pull):
/// removed with its pulled casework, unless this device recorded work on it that is not settled
/// (a form, review, referral decision or task made here, a change not yet acknowledged, an
/// unresolved conflict). Such an incident is kept, marked `unassigned_at`, so the work stays
/// visible and can still reach the service.
fn drop_or_keep_incident(
    tx: &Transaction<'_>,
    id: &str,
    report: &mut PageReport,
    erased: &mut Erasures,
    reason: &'static str,
) -> Result<()> {
    let exists: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM incidents WHERE id = ?1)", [id], |r| r.get(0))?;
    if !exists {
        return Ok(());
    }
    if incident_droppable(tx, id)? {
        erased.incident(reason, id, remove_incident(tx, id)?);
        report.incidents_removed += 1;
    } else {
        let now = now_ts(tx)?;
        tx.execute("UPDATE incidents SET unassigned_at = coalesce(unassigned_at, ?2) WHERE id = ?1", params![id, now])?;
        report.incidents_kept += 1;
    }
    Ok(())
}

/// Whether an incident no longer assigned can go: no form, review, referral decision or task
/// was recorded on it here (`incident_is_untouched`), and no change to it waits for the
/// service's acknowledgement or for a conflict to be resolved.
fn incident_droppable(tx: &Transaction<'_>, id: &str) -> Result<bool> {
    Ok(crate::casework::incident_is_untouched(tx, id)? && !crate::conflicts::unsettled(tx, id)?)
}

/// Removes an incident with its pulled casework; returns the ids of the forms and referral
/// decisions removed with it.
fn remove_incident(tx: &Transaction<'_>, id: &str) -> Result<(Vec<String>, Vec<String>)> {
    let casework = crate::pulled::forget(tx, id)?;
    tx.execute("DELETE FROM incident_links WHERE incident_id = ?1", [id])?;
    tx.execute("DELETE FROM incidents WHERE id = ?1", [id])?;
    Ok(casework)
}

impl Store {
    /// This client's id on the wire (the store's device id).
    pub fn client_id(&self) -> Result<String> {
        self.device_id()
    }

    /// The central service this store syncs with, once enrolled.
    pub fn server_url(&self) -> Result<Option<String>> {
        get(&self.conn, SERVER_URL)
    }

    pub fn set_server_url(&mut self, url: &str) -> Result<()> {
        set(&self.conn, SERVER_URL, url)
    }

    /// The sign-in token and its expiry, kept inside the encrypted store.
    pub fn token(&self) -> Result<Option<(String, String)>> {
        Ok(match (get(&self.conn, TOKEN)?, get(&self.conn, TOKEN_EXPIRES)?) {
            (Some(t), Some(e)) => Some((t, e)),
            _ => None,
        })
    }

    /// The token if it has not expired (with a minute to spare).
    pub fn usable_token(&self) -> Result<Option<String>> {
        let Some((token, expires)) = self.token()? else { return Ok(None) };
        let live: bool = self.conn.query_row(
            "SELECT julianday(?1) IS NOT NULL AND julianday(?1) > julianday('now', '+60 seconds')",
            [&expires],
            |r| r.get(0),
        )?;
        Ok(live.then_some(token))
    }

    /// Keeps a sign-in answer's token. Its expiry is counted on this device's clock from the
    /// answer's lifetime when the service gives one (`expires_in_secs`): `usable_token` compares
    /// with this clock, and a device clock hours ahead of the service's would otherwise read a
    /// fresh token as expired and send none. Without a lifetime, the service's `expires_at`.
    pub fn set_token(&mut self, resp: &LoginResponse) -> Result<()> {
        let expires_at = match resp.expires_in_secs {
            Some(secs) => self.conn.query_row(
                "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '+' || ?1 || ' seconds')",
                [i64::try_from(secs).unwrap_or(i64::MAX).min(10 * 365 * 86_400)],
                |r| r.get::<_, String>(0),
            )?,
            None => resp.expires_at.clone(),
        };
        self.set_token_until(&resp.token, &expires_at)
    }

    /// Keeps a token with its expiry (RFC 3339, by this device's clock).
    pub fn set_token_until(&mut self, token: &str, expires_at: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        set(&tx, TOKEN, token)?;
        set(&tx, TOKEN_EXPIRES, expires_at)?;
        tx.commit()?;
        Ok(())
    }

    pub fn clear_token(&mut self) -> Result<()> {
        del(&self.conn, TOKEN)?;
        del(&self.conn, TOKEN_EXPIRES)
    }

    /// The highest outbox seq ever written (0 for none): the app compares it around a command
    /// to know whether something was queued.
    pub fn outbox_head(&self) -> Result<u64> {
        Ok(self.conn.query_row("SELECT coalesce(max(seq), 0) FROM outbox", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// The next `limit` pending outbox entries, oldest first (seq order, no gaps).
    pub fn outbox_batch(&self, limit: usize) -> Result<Vec<PushMutation>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, id, mutation, payload, base_version FROM outbox WHERE state = 'pending' ORDER BY seq LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<i64>>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        let mut bytes = 0usize;
        for row in rows {
            let (seq, id, name, payload, base) = row?;
            // Bounded in bytes too (`PUSH_BATCH_BYTES`), at least one entry.
            bytes = bytes.saturating_add(payload.len());
            if !out.is_empty() && bytes > bluelamp_protocol::wire::PUSH_BATCH_BYTES {
                break;
            }
            let payload = serde_json::from_str(&payload).map_err(|_| StoreError::Corrupt)?;
            let base_version = base.map(|b| b.max(0) as u64);
            out.push(PushMutation { seq: seq as u64, mutation_id: id, name, payload, base_version });
        }
        Ok(out)
    }

    /// Counts a failed attempt on the entries `first..=last` (shown as the last error).
    pub fn outbox_note_failure(&mut self, first: u64, last: u64, error: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?3
             WHERE state = 'pending' AND seq BETWEEN ?1 AND ?2",
            params![first as i64, last as i64, error.chars().take(500).collect::<String>()],
        )?;
        Ok(())
    }

    /// Commits a push acknowledgement in one transaction: every pending entry with
    /// `seq <= done_through` is acknowledged, except the rejected ones, which are parked with
    /// the server's code and message; conflicts and possible duplicates are stored for the
    /// officer; the server's seq and the time are recorded.
    pub fn outbox_commit_ack(
        &mut self,
        done_through: u64,
        park: &[(u64, String, String)],
        conflicts: &[ConflictNotice],
        duplicates: &[bluelamp_protocol::wire::PossibleDuplicate],
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let now = now_ts(&tx)?;
        for (seq, code, message) in park {
            tx.execute(
                "UPDATE outbox SET state = 'parked', reject_code = ?2, last_error = ?3 WHERE seq = ?1 AND state = 'pending'",
                params![*seq as i64, code.chars().take(100).collect::<String>(), message.chars().take(1000).collect::<String>()],
            )?;
        }
        tx.execute(
            "UPDATE outbox SET state = 'acked', last_error = NULL WHERE state = 'pending' AND seq <= ?1",
            [done_through as i64],
        )?;
        for c in conflicts {
            crate::conflicts::store_notice(&tx, c, &now)?;
        }
        for d in duplicates {
            // A repeated answer (a resent batch) must not show the same question twice.
            let known: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM conflicts WHERE kind = 'possible_duplicate' AND record_id = ?1 AND seq = ?2)",
                params![d.provisional_id, d.seq as i64],
                |r| r.get(0),
            )?;
            if known {
                continue;
            }
            tx.execute(
                "INSERT INTO conflicts (id, record_type, record_id, base, mine, theirs, created_at, kind, seq)
                 VALUES (?1, 'nominal', ?2, 'null', 'null', ?3, ?4, 'possible_duplicate', ?5)",
                params![
                    uuid::Uuid::now_v7().to_string(),
                    d.provisional_id,
                    serde_json::to_string(&d.candidates).map_err(|e| bad(e.to_string()))?,
                    now,
                    d.seq as i64
                ],
            )?;
        }
        let known: u64 = get(&tx, SERVER_LAST)?.and_then(|s| s.parse().ok()).unwrap_or(0);
        set(&tx, SERVER_LAST, &known.max(done_through).to_string())?;
        set(&tx, LAST_PUSH_OK, &now)?;
        tx.commit()?;
        Ok(())
    }

    /// After a `seq_reused` answer (the service holds other writes of this device up to
    /// `server_last`: the store was restored from an older copy), gives the pending outbox
    /// entries new seqs from `server_last + 1` (and after every acknowledged or parked entry),
    /// in their order, so the next push delivers them instead of having them taken for writes
    /// the service already holds. A pending entry the service did hold keeps its mutation id,
    /// by which the service recognises it. Returns how many entries were renumbered.
    pub fn outbox_renumber_after(&mut self, server_last: u64) -> Result<u64> {
        let tx = self.conn.transaction()?;
        let min_pending: Option<i64> =
            tx.query_row("SELECT min(seq) FROM outbox WHERE state = 'pending'", [], |r| r.get(0))?;
        let settled: i64 =
            tx.query_row("SELECT coalesce(max(seq), 0) FROM outbox WHERE state <> 'pending'", [], |r| r.get(0))?;
        let server_last_i = i64::try_from(server_last).map_err(|_| bad("seq out of range"))?;
        let mut moved = 0;
        if let Some(min) = min_pending {
            let start = server_last_i.max(settled).checked_add(1).ok_or_else(|| bad("seq out of range"))?;
            if min < start {
                let shift = start - min;
                // Through negative seqs: shifting in place would collide with the next entry.
                moved = tx.execute("UPDATE outbox SET seq = -(seq + ?1) WHERE state = 'pending'", [shift])?;
                tx.execute("UPDATE outbox SET seq = -seq WHERE seq < 0", [])?;
                tx.execute(
                    "UPDATE sqlite_sequence SET seq = (SELECT max(seq) FROM outbox)
                     WHERE name = 'outbox' AND seq < (SELECT max(seq) FROM outbox)",
                    [],
                )?;
            }
        }
        let known: u64 = get(&tx, SERVER_LAST)?.and_then(|s| s.parse().ok()).unwrap_or(0);
        set(&tx, SERVER_LAST, &known.max(server_last).to_string())?;
        tx.commit()?;
        Ok(moved as u64)
    }

    /// After a `seq_gap` answer from a service that holds less than this device had sent and
    /// seen acknowledged (the service was restored from a backup): the entries after
    /// `server_last` that it acknowledged or refused before the restore are queued again, in
    /// their order, so the next push fills the service's gap with them instead of the round
    /// ending blocked and those writes staying lost centrally. The service holds nothing of
    /// this device after `server_last`, so nothing is applied twice. Returns how many entries.
    pub fn outbox_requeue_after(&mut self, server_last: u64) -> Result<u64> {
        let server_last_i = i64::try_from(server_last).map_err(|_| bad("seq out of range"))?;
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE outbox SET state = 'pending', attempts = 0, last_error = NULL,
                reject_code = CASE WHEN reject_code = 'role_refused' THEN NULL ELSE reject_code END
             WHERE state <> 'pending' AND seq > ?1",
            [server_last_i],
        )?;
        if n > 0 {
            set(&tx, SERVER_LAST, &server_last.to_string())?;
        }
        tx.commit()?;
        Ok(n as u64)
    }

    /// The central service refused a push as a whole because the officer's role does not allow
    /// records work (an officer made an administrator): nothing was applied there. Every pending
    /// entry is parked here with code [`ROLE_REFUSED`] and the service's message, so the round
    /// goes on (the access log, the pull and any lock or wipe order) instead of offering the
    /// same writes for ever; they stay visible as refused. [`Store::outbox_requeue_role_refused`]
    /// gives them back when a sign-in brings a role that allows records work. Returns how many.
    pub fn outbox_park_role_refused(&mut self, message: &str) -> Result<u64> {
        let n = self.conn.execute(
            "UPDATE outbox SET state = 'parked', reject_code = ?1, last_error = ?2 WHERE state = 'pending'",
            params![ROLE_REFUSED, message.chars().take(1000).collect::<String>()],
        )?;
        Ok(n as u64)
    }

    /// How many writes are parked by [`Store::outbox_park_role_refused`]: writes the service
    /// never recorded and would take once the officer's role allows records work again, so a
    /// wipe waits for them as for pending ones (the device is locked meanwhile).
    pub fn outbox_role_refused_count(&self) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM outbox WHERE state = 'parked' AND reject_code = ?1",
            [ROLE_REFUSED],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as u64)
    }

    /// Puts the entries parked by [`Store::outbox_park_role_refused`] back in the queue, in
    /// their order (the service never saw them). Returns how many.
    pub fn outbox_requeue_role_refused(&mut self) -> Result<u64> {
        let n = self.conn.execute(
            "UPDATE outbox SET state = 'pending', attempts = 0, reject_code = NULL, last_error = NULL
             WHERE state = 'parked' AND reject_code = ?1",
            [ROLE_REFUSED],
        )?;
        Ok(n as u64)
    }

    /// The server's last applied seq for this client, as last heard (0 before the first push).
    pub fn server_last_seq(&self) -> Result<u64> {
        Ok(get(&self.conn, SERVER_LAST)?.and_then(|s| s.parse().ok()).unwrap_or(0))
    }

    /// The stored pull cursor (`None` before the first page).
    pub fn pull_cursor(&self) -> Result<Option<String>> {
        get(&self.conn, CURSOR)
    }

    /// Applies one checked pull page and stores its cursor, in one transaction. A reset page
    /// drops the cursor and marks the server-owned cache for a sweep when the re-pull ends.
    pub fn apply_pull_page(&mut self, page: &PullResponse) -> Result<PageReport> {
        self.apply_pull_pages(std::slice::from_ref(page))
    }

    /// Applies consecutive pull pages (as fetched, in order) and the last one's cursor in one
    /// transaction: fewer, larger commits for a first sync. Where a record appears more than once
    /// (changed on the server between two fetches) its last change wins. A reset page comes alone.
    pub fn apply_pull_pages(&mut self, pages: &[PullResponse]) -> Result<PageReport> {
        let Some(page) = pages.last() else { return Ok(PageReport::default()) };
        if pages.len() > 1 && pages.iter().any(|p| p.reset.is_some()) {
            return Err(bad("a reset page must be applied on its own"));
        }
        let mut report = PageReport::default();
        for p in pages {
            for i in &p.instructions {
                if !report.instructions.contains(i) {
                    report.instructions.push(*i);
                }
            }
        }
        if page.reset.is_some() {
            let tx = self.conn.transaction()?;
            let now = now_ts(&tx)?;
            // The reset page's cursor is the start of the new scope (or none at all).
            if page.next_cursor.is_empty() {
                del(&tx, CURSOR)?;
            } else {
                set(&tx, CURSOR, &page.next_cursor)?;
            }
            set(&tx, SWEEP_BEFORE, &now)?;
            let gen: u64 = get(&tx, PULL_GEN)?.and_then(|s| s.parse().ok()).unwrap_or(0);
            set(&tx, PULL_GEN, &(gen + 1).to_string())?;
            set(&tx, PULLED_TOTAL, "0")?;
            set(&tx, PULL_OPEN, "1")?;
            tx.commit()?;
            return Ok(report);
        }
        // Validate every record before touching anything: a bad page changes nothing.
        let mut upserts: Vec<NominalRecord> = Vec::new();
        let mut details: Vec<crate::NominalDetails> = Vec::new();
        let mut versions: HashMap<String, i64> = HashMap::new();
        let mut tombstones: Vec<&str> = Vec::new();
        let mut incidents: Vec<(crate::casework::NewIncident, crate::conflicts::PulledState)> = Vec::new();
        let mut gone_incidents: Vec<&str> = Vec::new();
        let mut casework: Vec<Casework> = Vec::new();
        // The last change of each record, in the order they came.
        let mut latest: HashMap<(RecordType, &str), usize> = HashMap::new();
        let all: Vec<&Change> = pages.iter().flat_map(|p| p.changes.iter()).collect();
        for (i, c) in all.iter().enumerate() {
            let key = match c {
                Change::Upsert { record_type, id, .. } | Change::Tombstone { record_type, id, .. } => {
                    (*record_type, id.as_str())
                }
            };
            latest.insert(key, i);
        }
        for (i, c) in all.iter().enumerate() {
            let key = match c {
                Change::Upsert { record_type, id, .. } | Change::Tombstone { record_type, id, .. } => {
                    (*record_type, id.as_str())
                }
            };
            if latest.get(&key) != Some(&i) {
                continue;
            }
            match c {
                Change::Upsert { record_type: RecordType::Nominal, id, version, data } => {
                    let (record, phones) = nominal_of(id, data)?;
                    upserts.push(record);
                    details.push(details_of(id, data, phones)?);
                    versions.insert(id.clone(), (*version).min(i64::MAX as u64) as i64);
                }
                Change::Tombstone { record_type: RecordType::Nominal, id, .. } => tombstones.push(id),
                Change::Upsert { record_type: RecordType::Incident, id, version, data } => {
                    // The incident's own version (the base of an edit) is in the record: a
                    // supervisor pulls it through their district's entry, which has a log
                    // version of its own. Older services sent no `version` field.
                    let own = data.get("version").and_then(serde_json::Value::as_u64).unwrap_or(*version);
                    incidents.push(incident_of(id, own, data)?)
                }
                Change::Tombstone { record_type: RecordType::Incident, id, .. } => gone_incidents.push(id),
                Change::Upsert { record_type: RecordType::Casework, id, data, .. } => {
                    let c: Casework =
                        serde_json::from_value(data.clone()).map_err(|e| bad(format!("casework {id}: {e}")))?;
                    crate::pulled::check(id, &c).map_err(bad)?;
                    casework.push(c);
                }
                // Casework is never withdrawn from a device (what was recorded stays recorded);
                // the incident's own tombstone decides whether the incident stays.
                Change::Tombstone { record_type: RecordType::Casework, .. } => {}
            }
        }
        // Large pages use the import's bulk settings (synchronous=NORMAL, no per-row FK checks:
        // everything a delete touches is removed explicitly). Safe for a pull: the cursor commits
        // with the rows, so a power cut can only lose a whole page, which is pulled again.
        let bulk = upserts.len() >= 1000;
        if !upserts.is_empty() {
            // Stale search keys are rebuilt first, with bulk settings (see `prepare_search`).
            self.prepare_search()?;
        }
        if bulk {
            search::tune_cache(&self.conn)?;
            search::bulk_mode(&self.conn, true)?;
        }
        let result = self.apply_page_tx(
            page,
            (&upserts, &details),
            &versions,
            tombstones,
            (&incidents, &gone_incidents, &casework),
            &mut report,
        );
        if bulk {
            search::bulk_mode(&self.conn, false)?;
        }
        result.map(|()| report)
    }

    fn apply_page_tx(
        &mut self,
        page: &PullResponse,
        (upserts, details): (&[NominalRecord], &[crate::NominalDetails]),
        versions: &HashMap<String, i64>,
        tombstones: Vec<&str>,
        (incidents, gone_incidents, casework): (
            &[(crate::casework::NewIncident, crate::conflicts::PulledState)],
            &[&str],
            &[Casework],
        ),
        report: &mut PageReport,
    ) -> Result<()> {
        let mut last: HashMap<&str, usize> = HashMap::with_capacity(upserts.len());
        for (i, r) in upserts.iter().enumerate() {
            last.insert(r.id.as_str(), i);
        }
        let versions_ref: HashMap<&str, i64> = versions.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        // Removals are logged as erasures by this store's officer, in the page's transaction.
        let actor = self.actor()?;
        let mut erased = Erasures::default();
        let tx = self.conn.transaction()?;
        // The pull generation: what this pull sends is marked with it, and the sweep at the end
        // of a re-pull drops what it did not send (not by the wall clock, which a laptop can
        // step back in the middle of a pull).
        let gen: i64 = get(&tx, PULL_GEN)?.and_then(|s| s.parse().ok()).unwrap_or(0);
        if !upserts.is_empty() {
            nominals::upsert_in(&tx, upserts, &last, Some((&versions_ref, gen)))?;
            nominals::set_details_in(&tx, details)?;
        }
        let mut deltas = HashMap::new();
        for id in tombstones {
            match delete_nominal(&tx, id, &mut deltas)? {
                Some(true) => {
                    erased.nominal(TOMBSTONE, id);
                    report.tombstones += 1
                }
                Some(false) => report.kept_linked += 1,
                None => {}
            }
        }
        // Assigned incidents: new ones are added, and the local copy of every one takes the
        // service's newer version, except the contested fields while this device has unsettled
        // work on them (see `conflicts.rs`); one no longer assigned is dropped unless work was
        // recorded on it here (that work must still reach the service).
        let new: Vec<crate::casework::NewIncident> = incidents.iter().map(|(i, _)| i.clone()).collect();
        let added = crate::casework::insert_incidents_in(&tx, &new).map_err(|e| bad(e.to_string()))?;
        report.incidents = added as u64;
        for (i, state) in incidents {
            if crate::conflicts::refresh_incident(&tx, i, state, gen)? {
                report.incidents_updated += 1;
            }
            // Sent, whatever its version: assigned, and not to be swept.
            tx.prepare_cached("UPDATE incidents SET seen_gen = ?2, unassigned_at = NULL WHERE id = ?1")?
                .execute(params![i.id, gen])?;
        }
        // Casework after the incidents it belongs to (same transaction): first what was parked
        // waiting for an incident that has now come, then this group's own (newer).
        report.casework += crate::pulled::apply_parked(&tx)?;
        for c in casework {
            report.casework += crate::pulled::apply(&tx, c)?;
        }
        for id in gone_incidents {
            drop_or_keep_incident(&tx, id, report, &mut erased, UNASSIGNED)?;
        }
        report.upserts = last.len() as u64;
        let pulled: u64 = get(&tx, PULLED_TOTAL)?.and_then(|s| s.parse().ok()).unwrap_or(0);
        set(&tx, PULLED_TOTAL, &(pulled + report.upserts).to_string())?;
        // A page that carries a lock or wipe serves no data and ends the pull early (`has_more`
        // false, the cursor unchanged): the pull is not complete, so no sweep.
        if page.has_more || !page.instructions.is_empty() {
            set(&tx, PULL_OPEN, "1")?;
        } else {
            del(&tx, PULL_OPEN)?;
            for id in crate::pulled::drop_unclaimed(&tx)? {
                erased.push("casework", PARKED_UNCLAIMED, &id, Default::default());
            }
            if get(&tx, SWEEP_BEFORE)?.is_some() {
                // Incidents first: a person linked only to a swept incident can then go too.
                let gone: Vec<String> = tx
                    .prepare(
                        "SELECT id FROM incidents WHERE server_version IS NOT NULL AND seen_gen < ?1
                         AND unassigned_at IS NULL",
                    )?
                    .query_map([gen], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                for id in gone {
                    drop_or_keep_incident(&tx, &id, report, &mut erased, NOT_SENT_AFTER_RESET)?;
                }
                let stale: Vec<String> = tx
                    .prepare("SELECT id FROM nominals WHERE server_version IS NOT NULL AND seen_gen < ?1")?
                    .query_map([gen], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                for id in stale {
                    if delete_nominal(&tx, &id, &mut deltas)? == Some(true) {
                        erased.nominal(NOT_SENT_AFTER_RESET, &id);
                        report.swept += 1;
                    }
                }
                del(&tx, SWEEP_BEFORE)?;
            }
            // Incidents kept for work recorded here, once that work is settled (acknowledged,
            // conflicts resolved): nothing keeps them any more.
            let kept: Vec<String> = tx
                .prepare("SELECT id FROM incidents WHERE unassigned_at IS NOT NULL")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for id in kept {
                if incident_droppable(&tx, &id)? {
                    erased.incident(UNASSIGNED_WORK_SETTLED, &id, remove_incident(&tx, &id)?);
                    report.incidents_removed += 1;
                }
            }
            let now = now_ts(&tx)?;
            set(&tx, LAST_PULL_OK, &now)?;
        }
        search::apply_counts(&tx, &deltas)?;
        set(&tx, CURSOR, &page.next_cursor)?;
        // Every removal above is an erasure (s.62), committed with it: ids, never content.
        for event in erased.events() {
            crate::audit::append_in(&tx, &actor, &event)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Marks a full round (push then pull to the last page) as done now.
    pub fn mark_synced(&mut self) -> Result<()> {
        let now = now_ts(&self.conn)?;
        set(&self.conn, LAST_SYNC_OK, &now)
    }

    /// The central service refused the access log for good (`Some(why)`: a chain that forked
    /// from its copy, which it can never accept), or took it (`None`). Kept until the next push
    /// of the log succeeds, for `status` and a wipe order (`bluelamp_sync::carry_out_order`).
    pub fn set_audit_refused(&mut self, why: Option<&str>) -> Result<()> {
        match why {
            Some(w) => set(&self.conn, AUDIT_REFUSED, &w.chars().take(1000).collect::<String>()),
            None => del(&self.conn, AUDIT_REFUSED),
        }
    }

    /// See [`Store::set_audit_refused`].
    pub fn audit_refused(&self) -> Result<Option<String>> {
        get(&self.conn, AUDIT_REFUSED)
    }

    /// Access-log entries the central service has not acknowledged (after the anchor).
    pub fn audit_unsent(&self) -> Result<u64> {
        let head = self.audit_head()?.map_or(0, |h| h.seq);
        let acked = self.audit_anchor()?.map_or(0, |h| h.seq);
        Ok(u64::try_from(head.saturating_sub(acked)).unwrap_or(0))
    }

    /// Access-log entries not yet acknowledged by the central service, less the sign-ins
    /// (`unlock`, `unlock_failed`): what `status --fail-if-unsent` weighs. A status check is an
    /// unlock and writes one; counting them, the check failed when run twice (before-stop review,
    /// 7 Dec 2026). Every consultation, disclosure, collection, alteration or erasure counts.
    pub fn audit_unsent_records(&self) -> Result<u64> {
        let acked = self.audit_anchor()?.map_or(0, |h| h.seq);
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM audit WHERE seq > ?1 AND action NOT IN ('unlock', 'unlock_failed')",
            [acked],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as u64)
    }

    /// Remembers a server instruction (lock / wipe) until the shell carries it out. While it is
    /// held, [`crate::unlock::unlock`] refuses to open the store. A wipe is never lowered to a
    /// lock; `None` clears it (see [`Store::clear_lock_order`]).
    pub fn set_pending_instruction(&mut self, i: Option<Instruction>) -> Result<()> {
        match i {
            Some(Instruction::Lock) if self.pending_instruction()? == Some(Instruction::Wipe) => Ok(()),
            Some(i) => {
                set(&self.conn, PENDING_INSTRUCTION, &serde_json::to_string(&i).map_err(|e| bad(e.to_string()))?)
            }
            None => del(&self.conn, PENDING_INSTRUCTION),
        }
    }

    /// The lock or wipe order the central service gave this device, not yet lifted (a lock, by
    /// an online sign-in) or carried out (a wipe). A value this build cannot read counts as a
    /// wipe: the store must not open on an order it does not understand.
    pub fn pending_instruction(&self) -> Result<Option<Instruction>> {
        Ok(get(&self.conn, PENDING_INSTRUCTION)?.map(|s| serde_json::from_str(&s).unwrap_or(Instruction::Wipe)))
    }

    /// The officer signed in online (the interactive sign-in that lifts a lock on the service
    /// too): a lock order is cleared. A wipe order stays.
    pub fn clear_lock_order(&mut self) -> Result<()> {
        if self.pending_instruction()? == Some(Instruction::Lock) {
            del(&self.conn, PENDING_INSTRUCTION)?;
        }
        Ok(())
    }

    /// Counts for the status bar and `sync --json`.
    pub fn sync_counts(&self) -> Result<SyncCounts> {
        let count = |state: &str| -> Result<u64> {
            Ok(self.conn.query_row("SELECT count(*) FROM outbox WHERE state = ?1", [state], |r| r.get::<_, i64>(0))?
                as u64)
        };
        let conflicts: i64 =
            self.conn.query_row("SELECT count(*) FROM conflicts WHERE resolved_at IS NULL", [], |r| r.get(0))?;
        Ok(SyncCounts {
            pending: count("pending")?,
            rejected: count("parked")?,
            acknowledged: count("acked")?,
            conflicts: conflicts as u64,
            last_sync_ok: get(&self.conn, LAST_SYNC_OK)?,
            server_last_seq: self.server_last_seq()?,
            pulled_total: get(&self.conn, PULLED_TOTAL)?.and_then(|s| s.parse().ok()).unwrap_or(0),
            pull_in_progress: get(&self.conn, PULL_OPEN)?.is_some(),
        })
    }

    /// Parked entries with the server's reasons, newest first.
    pub fn parked(&self) -> Result<Vec<Parked>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, mutation, coalesce(reject_code, ''), coalesce(last_error, ''), created_at
             FROM outbox WHERE state = 'parked' ORDER BY seq DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Parked {
                seq: r.get::<_, i64>(0)? as u64,
                mutation: r.get(1)?,
                code: r.get(2)?,
                message: r.get(3)?,
                created_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl Store {
    /// Demo and fault tests: `n` submitted DA safeguarding plans (unique ids) on new synthetic
    /// incidents (50 forms each, so the gate checks stay small), each form a real user write
    /// (form, outbox and access-log rows together).
    pub fn demo_enqueue_forms(&mut self, n: usize) -> std::result::Result<Vec<String>, crate::casework::CaseworkError> {
        use crate::casework::{catalog, now_unix, sample_answers, CaseworkError, NewIncident};
        const PACK: &str = "da-safeguarding-plan";
        const PER_INCIDENT: usize = 50;
        let actor = self.actor()?;
        let now = now_unix();
        let mut incident_ids = Vec::new();
        for _ in 0..n.div_ceil(PER_INCIDENT) {
            let reference = format!("DEMO-Q-{}", uuid::Uuid::now_v7());
            let incident = NewIncident {
                id: Some(uuid::Uuid::now_v7().to_string()),
                reference,
                incident_type: "domestic_abuse".into(),
                offence_category: Some("domestic_abuse".into()),
                place: Some("Demo Street".into()),
                postcode: None,
                team: Some("Demo".into()),
                occurred_at: now - 3600,
                recorded_at: now - 3000,
                assigned_to: Some(actor.officer_id.clone()),
                closing_code: None,
                links: vec![("demo-victim".into(), "victim".into()), ("demo-suspect".into(), "suspect".into())],
            };
            incident_ids.push(incident.id.clone().unwrap_or_default());
            self.import_incidents(&[incident])?;
        }
        let pack = catalog()?.pack(PACK).ok_or_else(|| CaseworkError::NotFound(PACK.into()))?;
        let answers = sample_answers(pack, &["demo-victim".into(), "demo-suspect".into()], false);
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            let id = self.start_form(&actor, &incident_ids[i / PER_INCIDENT], PACK)?;
            self.save_draft(&actor, &id, &answers, None)?;
            match self.submit_form(&actor, &id, None, None)? {
                bluelamp_protocol::casework::SubmitOutcome::Submitted(_) => ids.push(id),
                bluelamp_protocol::casework::SubmitOutcome::Rejected { issues } => {
                    return Err(CaseworkError::Invalid(format!("the demo form did not validate: {issues:?}")))
                }
            }
        }
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One entry per kind and reason, in the order of the removals, split every
    /// `ERASURE_IDS_PER_ENTRY` ids; incidents name the forms and decisions removed with them.
    #[test]
    fn erasures_group_by_kind_and_reason_and_split_large_removals() {
        let mut e = Erasures::default();
        e.incident(UNASSIGNED, "i1", (vec!["f1".into()], vec!["r1".into()]));
        for n in 0..2500 {
            e.nominal(NOT_SENT_AFTER_RESET, &format!("n{n}"));
        }
        e.nominal(TOMBSTONE, "t1");
        e.incident(UNASSIGNED, "i2", Default::default());
        let events = e.events();
        let summary: Vec<(&str, &str, usize)> = events
            .iter()
            .map(|ev| {
                (
                    ev.object_ref.as_str(),
                    ev.detail["reason"].as_str().unwrap(),
                    ev.detail["ids"].as_array().unwrap().len(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("incidents", UNASSIGNED, 2),
                ("nominals", NOT_SENT_AFTER_RESET, 1000),
                ("nominals", NOT_SENT_AFTER_RESET, 1000),
                ("nominals", NOT_SENT_AFTER_RESET, 500),
                ("nominals", TOMBSTONE, 1),
            ]
        );
        assert!(events.iter().all(|ev| ev.action == crate::AuditAction::Erasure));
        assert_eq!(events[0].detail["forms"], serde_json::json!(["f1"]));
        assert_eq!(events[0].detail["referrals"], serde_json::json!(["r1"]));
        assert_eq!(events[3].detail["count"], 500);
    }
}
