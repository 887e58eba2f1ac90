//! People created on this device (issue 7): **provisional** nominals and the possible
//! duplicates the central service finds for them.
//!
//! - [`Store::create_nominal`] validates with the shared [`NewNominal::validate`], then in one
//!   [`Store::user_write`] transaction writes the nominal (with its search keys, flagged
//!   `provisional = 1`, no `server_version`), the `nominal.create/1` outbox row and the
//!   access-log entry (collection of `nominal:<id>`). It is searchable at once.
//! - [`Store::likely_matches`] runs the store's own search (logged like any search) with the
//!   new person's name, DOB and sex, and keeps the hits at or above
//!   [`bluelamp_names::LIKELY_DUPLICATE_SCORE`]: the same matching and threshold the central
//!   service applies, so the officer can open an existing person instead of creating one.
//! - The server's answer (`PossibleDuplicate`) is stored by `sync.rs` in `conflicts` with kind
//!   `possible_duplicate` (counted in the status bar's conflicts). [`Store::duplicates`] lists
//!   the open ones; [`Store::resolve_duplicate`] records the officer's choice
//!   (`nominal.resolve_duplicate/1`) and closes it, again in one `user_write`.
//! - Linking also points this device's own references at the chosen person, in the same
//!   transaction ([`redirect_references`]): incident links, referral decisions' victim, drafts'
//!   answers and phone numbers. Submitted forms are immutable and keep the id they were
//!   written with (the service keeps `merged_into` as the redirect).
//! - Convergence comes from the pull: the server serves the record once it is a normal record
//!   (the upsert clears `provisional`), or a tombstone once it was linked to another person
//!   (the provisional row is deleted; the person it was linked to arrives with the provisional
//!   name as an alias). A post-reset sweep never touches provisional rows (no `server_version`).

use std::collections::HashMap;

use bluelamp_protocol::nominal::{
    DuplicateDecision, DuplicateInfo, FieldIssue, NewNominal, NOMINAL_CREATE, NOMINAL_RESOLVE_DUPLICATE,
};
use bluelamp_protocol::wire::DuplicateCandidate;
use bluelamp_protocol::NominalHit;
use rusqlite::{params, OptionalExtension};

use crate::audit::{Actor, AuditAction, AuditEvent, OutboxMutation};
use crate::{nominals, NominalRecord, Result, Store, StoreError};

/// What [`Store::create_nominal`] did.
// Returned once per person created: the size difference between its variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    /// Saved as provisional and queued.
    Saved(NominalHit),
    /// Nothing written.
    Invalid(Vec<FieldIssue>),
}

impl Store {
    /// Saves a person typed on this device as a provisional nominal (see the module docs).
    pub fn create_nominal(&mut self, actor: &Actor, n: &NewNominal) -> Result<Created> {
        let issues = n.validate_on(&today_iso());
        if !issues.is_empty() {
            return Ok(Created::Invalid(issues));
        }
        // Stale search keys are rebuilt first, with bulk settings (see `prepare_search`).
        self.prepare_search()?;
        let id = uuid::Uuid::now_v7().to_string();
        let wire = n.to_wire(&id);
        let payload = serde_json::json!({ "nominal": wire });
        let rec = NominalRecord {
            id: id.clone(),
            source: wire.source,
            given_name: wire.given_name,
            surname: wire.surname,
            date_of_birth: wire.date_of_birth,
            sex: wire.sex,
            aliases: wire.aliases,
            address: wire.address,
            postcode: wire.postcode,
        };
        let event = AuditEvent::new(AuditAction::Collection, format!("nominal:{id}"))
            .detail(serde_json::json!({ "provisional": true }));
        let mutation = OutboxMutation { name: NOMINAL_CREATE.into(), payload };
        self.user_write(actor, event, Some(mutation), |tx| {
            let last: HashMap<&str, usize> = HashMap::from([(rec.id.as_str(), 0)]);
            nominals::upsert_in(tx, std::slice::from_ref(&rec), &last, None)?;
            tx.execute("UPDATE nominals SET provisional = 1 WHERE id = ?1", [&rec.id])?;
            Ok(())
        })?;
        let hit = self.get_nominal(&id)?.ok_or_else(|| StoreError::Invalid("the new person was not saved".into()))?;
        Ok(Created::Saved(hit))
    }

    /// People on this device the new person may be (logged as a search): hits at or above
    /// [`bluelamp_names::LIKELY_DUPLICATE_SCORE`], best first. Needs a valid given name and
    /// surname; other fields that do not validate are left out of the query.
    pub fn likely_matches(&mut self, actor: &Actor, n: &NewNominal) -> Result<Vec<NominalHit>> {
        let issues = n.validate_on(&today_iso());
        if issues.iter().any(|i| i.field == "given_name" || i.field == "surname") {
            return Ok(Vec::new());
        }
        let mut req = n.likely_matches_query();
        if issues.iter().any(|i| i.field == "sex") {
            req.sex = None;
        }
        // A date search refuses (one in the future) is left out, as a bad sex is: the form
        // says what is wrong with it, and the matches by name still show.
        if issues.iter().any(|i| i.field == "date_of_birth") {
            req.dob = None;
        }
        let hits = self.search_logged(actor, &req, None)?;
        let threshold = f64::from(bluelamp_names::LIKELY_DUPLICATE_SCORE);
        Ok(hits.into_iter().filter(|h| h.score >= threshold - 1e-9).collect())
    }

    /// Possible duplicates waiting for the officer, oldest first.
    pub fn duplicates(&self) -> Result<Vec<DuplicateInfo>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, record_id, theirs, created_at FROM conflicts
             WHERE kind = 'possible_duplicate' AND resolved_at IS NULL ORDER BY created_at, id",
        )?;
        let rows: Vec<(String, String, String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, provisional_id, theirs, created_at) in rows {
            let candidates: Vec<DuplicateCandidate> = serde_json::from_str(&theirs).unwrap_or_default();
            out.push(DuplicateInfo {
                id,
                provisional: self.get_nominal(&provisional_id)?,
                provisional_id,
                candidates,
                created_at,
            });
        }
        Ok(out)
    }

    /// Records the officer's answer to a possible duplicate: closes it and queues
    /// `nominal.resolve_duplicate/1`, in one `user_write`. A link must name one of the
    /// candidates the service offered. The local cache follows at the next pull.
    pub fn resolve_duplicate(&mut self, actor: &Actor, id: &str, decision: &DuplicateDecision) -> Result<()> {
        let row: Option<(String, String, Option<String>)> = self
            .conn
            .query_row(
                "SELECT record_id, theirs, resolved_at FROM conflicts WHERE id = ?1 AND kind = 'possible_duplicate'",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((provisional_id, theirs, resolved)) = row else {
            return Err(StoreError::Invalid("There is no such possible duplicate.".into()));
        };
        if resolved.is_some() {
            return Err(StoreError::Invalid("This possible duplicate was already resolved.".into()));
        }
        let (action, payload) = match decision {
            DuplicateDecision::Link { nominal_id } => {
                let candidates: Vec<DuplicateCandidate> = serde_json::from_str(&theirs).unwrap_or_default();
                if !candidates.iter().any(|c| &c.nominal.id == nominal_id) {
                    return Err(StoreError::Invalid("Link to one of the people the central service suggested.".into()));
                }
                (
                    AuditAction::Combination,
                    serde_json::json!({ "provisional_id": provisional_id, "decision": "link", "nominal_id": nominal_id }),
                )
            }
            DuplicateDecision::New => {
                (AuditAction::Alteration, serde_json::json!({ "provisional_id": provisional_id, "decision": "new" }))
            }
        };
        let event = AuditEvent::new(action, format!("nominal:{provisional_id}")).detail(payload.clone());
        let mutation = OutboxMutation { name: NOMINAL_RESOLVE_DUPLICATE.into(), payload };
        let target = match decision {
            DuplicateDecision::Link { nominal_id } => Some(nominal_id.clone()),
            DuplicateDecision::New => None,
        };
        self.user_write(actor, event, Some(mutation), |tx| {
            if let Some(target) = &target {
                redirect_references(tx, &provisional_id, target)?;
            }
            let n = tx.execute(
                "UPDATE conflicts SET resolved_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
                 WHERE id = ?1 AND resolved_at IS NULL",
                params![id],
            )?;
            if n != 1 {
                return Err(StoreError::Invalid("This possible duplicate was already resolved.".into()));
            }
            Ok(())
        })
    }
}

/// Points what this device holds about a linked provisional person at the person it was linked
/// to. Where the target already has the same row (the same incident role, an active referral
/// to the same service), the provisional one is dropped (links, phones) or kept as written
/// (referral decisions, which are records of what was decided).
fn redirect_references(tx: &rusqlite::Transaction<'_>, provisional_id: &str, target: &str) -> Result<()> {
    tx.execute(
        "UPDATE OR IGNORE incident_links SET nominal_id = ?2 WHERE nominal_id = ?1",
        params![provisional_id, target],
    )?;
    tx.execute("DELETE FROM incident_links WHERE nominal_id = ?1", [provisional_id])?;
    tx.execute("UPDATE OR IGNORE referrals SET victim_id = ?2 WHERE victim_id = ?1", params![provisional_id, target])?;
    tx.execute(
        "UPDATE OR IGNORE nominal_phones SET nominal_id = ?2 WHERE nominal_id = ?1",
        params![provisional_id, target],
    )?;
    tx.execute("DELETE FROM nominal_phones WHERE nominal_id = ?1", [provisional_id])?;
    // Ids are UUIDs or service ids: a quoted exact match in the answers JSON is the id itself.
    tx.execute(
        r#"UPDATE forms SET answers = replace(answers, '"' || ?1 || '"', '"' || ?2 || '"')
         WHERE status = 'draft' AND instr(answers, '"' || ?1 || '"') > 0"#,
        params![provisional_id, target],
    )?;
    Ok(())
}

/// Today's date (this device's clock) as `YYYY-MM-DD`.
fn today_iso() -> String {
    let d = crate::search::today();
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}
