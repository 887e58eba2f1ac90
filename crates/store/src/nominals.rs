//! The nominal (person) cache: current and legacy records in one table, searched together.

use bluelamp_protocol::nominal::{AddressEntry, LinkedIncident, NominalPage, WarningMarker};
use bluelamp_protocol::{NominalHit, SearchRequest, Source};
use std::collections::HashMap;

use rusqlite::{params, OptionalExtension};

use crate::{search, Result, Store, StoreError};

/// A person record as imported or synced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NominalRecord {
    pub id: String,
    pub source: Source,
    pub given_name: String,
    pub surname: String,
    /// `YYYY-MM-DD`.
    pub date_of_birth: Option<String>,
    pub sex: Option<String>,
    /// Each alias as "given surname".
    pub aliases: Vec<String>,
    pub address: Option<String>,
    pub postcode: Option<String>,
}

/// A synthetic person (demo, training, tests) as a record: empty DOB and sex are unknown.
impl From<bluelamp_demo::Person> for NominalRecord {
    fn from(p: bluelamp_demo::Person) -> NominalRecord {
        NominalRecord {
            id: p.id,
            source: if p.legacy { Source::Legacy } else { Source::Current },
            given_name: p.given_name,
            surname: p.surname,
            date_of_birth: (!p.date_of_birth.is_empty()).then_some(p.date_of_birth),
            sex: (!p.sex.is_empty()).then_some(p.sex),
            aliases: p.aliases,
            address: Some(p.address),
            postcode: Some(p.postcode),
        }
    }
}

/// Lower-case ASCII letters only (the `given_fold`/`surname_fold` columns of migration 1).
fn fold(s: &str) -> String {
    deunicode::deunicode(s).chars().filter(|c| c.is_ascii_alphabetic()).map(|c| c.to_ascii_lowercase()).collect()
}

/// Upserts of at least this many rows use bulk-write settings.
const BULK_ROWS: usize = 1000;

fn source_str(s: Source) -> &'static str {
    match s {
        Source::Current => "current",
        Source::Legacy => "legacy",
    }
}

impl Store {
    /// Inserts or replaces records (by id), all in one transaction, together with their search
    /// keys (main name, each alias, DOB) and the surname counts (see `search.rs`). Within one
    /// call, the last row for an id wins.
    pub fn upsert_nominals(&mut self, rows: &[NominalRecord]) -> Result<usize> {
        self.upsert_nominals_with_details(rows, &[])
    }

    /// [`Store::upsert_nominals`] and [`Store::set_nominal_details`] in one transaction: a person
    /// is never stored without the warning markers and phone numbers that came with them (an
    /// import stopped between the two, by a full disk or a killed process, left people
    /// searchable with no markers: a violent person shown with none).
    pub fn upsert_nominals_with_details(
        &mut self,
        rows: &[NominalRecord],
        details: &[NominalDetails],
    ) -> Result<usize> {
        for r in rows {
            if r.id.trim().is_empty() {
                return Err(StoreError::Invalid("a nominal needs an id".into()));
            }
        }
        // Last occurrence of each id wins (keys are written after all rows).
        let mut last: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            last.insert(r.id.as_str(), i);
        }
        search::tune_cache(&self.conn)?;
        // Stale keys are rebuilt first, with bulk settings, not inside a small write's
        // transaction (where the per-row foreign-key check made a 1M rebuild take minutes).
        self.prepare_search()?;
        // Large batches (imports) run with bulk settings: key rows reference nominals written
        // just before them in this transaction, so the per-row foreign-key check cannot fail
        // and is skipped; the page cache is raised and commits use synchronous=NORMAL (WAL:
        // never corrupts; a power cut may lose the last batch, which a re-import repeats).
        // These pragmas cannot change inside a transaction; they are restored afterwards.
        let bulk = rows.len() >= BULK_ROWS;
        if bulk {
            search::bulk_mode(&self.conn, true)?;
        }
        let result = self.upsert_tx(rows, &last, details);
        if bulk {
            search::bulk_mode(&self.conn, false)?;
        }
        result
    }

    fn upsert_tx(
        &mut self,
        rows: &[NominalRecord],
        last: &HashMap<&str, usize>,
        details: &[NominalDetails],
    ) -> Result<usize> {
        let tx = self.conn.transaction()?;
        upsert_in(&tx, rows, last, None)?;
        set_details_in(&tx, details)?;
        tx.commit()?;
        Ok(rows.len())
    }

    pub fn nominal_count(&self) -> Result<u64> {
        Ok(self.conn.query_row("SELECT count(*) FROM nominals", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// One person as stored (for re-upserts that keep every field).
    pub fn nominal_record(&self, id: &str) -> Result<Option<NominalRecord>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, source, given_name, surname, date_of_birth, sex, aliases, address, postcode
                 FROM nominals WHERE id = ?1",
                [id],
                |r| {
                    let source: String = r.get(1)?;
                    let aliases: String = r.get(6)?;
                    Ok(NominalRecord {
                        id: r.get(0)?,
                        source: if source == "legacy" { Source::Legacy } else { Source::Current },
                        given_name: r.get(2)?,
                        surname: r.get(3)?,
                        date_of_birth: r.get(4)?,
                        sex: r.get(5)?,
                        aliases: serde_json::from_str(&aliases).unwrap_or_default(),
                        address: r.get(7)?,
                        postcode: r.get(8)?,
                    })
                },
            )
            .optional()?)
    }

    pub fn get_nominal(&self, id: &str) -> Result<Option<NominalHit>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, source, given_name, surname, date_of_birth, sex, address, postcode, provisional
                 FROM nominals WHERE id = ?1",
                [id],
                |r| row_to_hit(r, 1.0, Vec::new()),
            )
            .optional()?)
    }

    /// Phonetic nominal search (see `search.rs` and the `bluelamp-names` docs): nicknames,
    /// spelling variants, diacritics, prefixes, swapped fields, initials, wildcards (`SMI*`),
    /// aliases, DOB/age rules and the sex filter; current and legacy records together, best
    /// first, each with a score and its reasons. "Today" (for age ranges) is the clock's date.
    pub fn search(&self, req: &SearchRequest) -> Result<Vec<NominalHit>> {
        self.search_on(req, search::today())
    }
}

/// Upserts `rows` (the last occurrence of each id, per `last`) with their search keys inside
/// `tx`. `pulled`: for rows that came from the central service (a pull), their versions and the
/// pull generation that sent them (`seen_gen`, see `sync.rs`); `None` for local imports.
pub(crate) fn upsert_in(
    tx: &rusqlite::Transaction<'_>,
    rows: &[NominalRecord],
    last: &HashMap<&str, usize>,
    pulled: Option<(&HashMap<&str, i64>, i64)>,
) -> Result<()> {
    let (server_version, seen_gen) = match pulled {
        Some((v, gen)) => (Some(v), gen),
        None => (None, 0),
    };
    let live: Vec<&NominalRecord> =
        rows.iter().enumerate().filter(|(i, r)| last.get(r.id.as_str()) == Some(i)).map(|(_, r)| r).collect();
    search::ensure_keys_current(tx)?;
    let now: String = tx.query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ','now')", [], |r| r.get(0))?;
    let mut deltas: HashMap<String, i64> = HashMap::new();
    let mut added = 0i64;
    // Row keys: a new nominal gets the next one (the key computation below refers to records
    // by their index in `live`; `rks[i]` is the row key of `live[i]`).
    let mut next_rk: i64 = tx.query_row("SELECT coalesce(max(rk), 0) + 1 FROM nominals", [], |r| r.get(0))?;
    let mut rks: Vec<i64> = Vec::with_capacity(live.len());
    // New keys are computed (and sorted) on a second thread while this one writes the rows.
    let (idx_pairs, new_counts) = std::thread::scope(|scope| -> Result<_> {
        let keys = scope.spawn(|| search::compute_pairs(&live));
        let mut old_row =
            tx.prepare_cached("SELECT rk, given_name, surname, aliases, date_of_birth FROM nominals WHERE id = ?1")?;
        let mut stmt = tx.prepare_cached(
            "INSERT INTO nominals (rk, id, source, given_name, surname, date_of_birth, sex, aliases,
                                   address, postcode, given_fold, surname_fold, updated_at, server_version, seen_gen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
             ON CONFLICT(id) DO UPDATE SET source = excluded.source, given_name = excluded.given_name,
                surname = excluded.surname, date_of_birth = excluded.date_of_birth, sex = excluded.sex,
                aliases = excluded.aliases, address = excluded.address, postcode = excluded.postcode,
                given_fold = excluded.given_fold, surname_fold = excluded.surname_fold,
                updated_at = excluded.updated_at, server_version = excluded.server_version,
                seen_gen = excluded.seen_gen, provisional = 0",
        )?;
        for r in &live {
            let old = old_row
                .query_row([&r.id], |o| {
                    Ok((
                        o.get::<_, i64>(0)?,
                        search::OldRow { given: o.get(1)?, surname: o.get(2)?, aliases: o.get(3)?, dob: o.get(4)? },
                    ))
                })
                .optional()?;
            let rk = match old {
                Some((rk, old)) => {
                    search::remove_keys(tx, rk, &old, &mut deltas)?;
                    rk
                }
                None => {
                    added += 1;
                    next_rk += 1;
                    next_rk - 1
                }
            };
            rks.push(rk);
            let aliases = serde_json::to_string(&r.aliases).map_err(|e| StoreError::Invalid(e.to_string()))?;
            stmt.execute(params![
                rk,
                r.id,
                source_str(r.source),
                r.given_name,
                r.surname,
                r.date_of_birth,
                r.sex,
                aliases,
                r.address,
                r.postcode,
                fold(&r.given_name),
                fold(&r.surname),
                now,
                server_version.and_then(|v| v.get(r.id.as_str()).copied()),
                seen_gen,
            ])?;
        }
        keys.join().map_err(|_| StoreError::Invalid("computing search keys failed".into()))
    })?;
    // In key, born order; within those, in row-key order whenever the row keys grow with the
    // index (always for new records), so `insert_keys` need not sort again.
    let mut pairs: Vec<search::KeyRow> = Vec::with_capacity(idx_pairs.len());
    for (k, born, i) in idx_pairs {
        let rk = rks.get(i as usize).copied().ok_or_else(|| StoreError::Invalid("search key without a row".into()))?;
        pairs.push((k, born, rk));
    }
    search::insert_keys(tx, &mut pairs)?;
    for (k, n) in new_counts {
        *deltas.entry(k).or_default() += n;
    }
    if added != 0 {
        deltas.insert(search::TOTAL_KEY.to_string(), added);
    }
    search::apply_counts(tx, &deltas)?;
    Ok(())
}

pub(crate) fn row_to_hit(r: &rusqlite::Row<'_>, score: f64, reasons: Vec<String>) -> rusqlite::Result<NominalHit> {
    let source: String = r.get(1)?;
    Ok(NominalHit {
        id: r.get(0)?,
        source: if source == "legacy" { Source::Legacy } else { Source::Current },
        given_name: r.get(2)?,
        surname: r.get(3)?,
        date_of_birth: r.get(4)?,
        sex: r.get(5)?,
        address: r.get(6)?,
        postcode: r.get(7)?,
        score,
        reasons,
        provisional: r.get::<_, i64>(8)? != 0,
        markers: Vec::new(),
        weak_name: false,
    })
}

/// A warning marker held for a person (from an import, a pull or the demo seed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkerRecord {
    /// e.g. `violence` (see `bluelamp_protocol::nominal::MARKERS`).
    pub code: String,
    pub description: String,
    /// UTC `YYYY-MM-DDTHH:MM:SSZ`.
    pub last_verified_at: Option<String>,
    pub verified_by: Option<String>,
}

/// One address in a person's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressRecord {
    pub address: String,
    pub postcode: Option<String>,
    /// `home`, `previous`, `bail`, `work`…
    pub kind: String,
    /// `YYYY-MM-DD`.
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
}

/// Everything held about a person besides the searchable row: markers, address history and
/// phone numbers. `None` leaves what is held (a source that does not carry that part, such as
/// the central service for address histories); `Some` replaces it (`Some(vec![])` clears).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NominalDetails {
    pub nominal_id: String,
    pub markers: Option<Vec<MarkerRecord>>,
    pub addresses: Option<Vec<AddressRecord>>,
    /// Numbers held for the person (`nominal_phones`), as typed: the safe-number check compares
    /// them in any format. Numbers `bluelamp_protocol::nominal::phone_problem` refuses are not
    /// stored.
    pub phones: Option<Vec<String>>,
}

/// Longest marker description or address kept (longer text is cut).
const MAX_DETAIL_CHARS: usize = 800;

fn cap(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(MAX_DETAIL_CHARS).collect()
}

/// Replaces the markers, address history and phone numbers of each person in `details` that
/// the cache holds (others are skipped). Returns how many people were written.
pub(crate) fn set_details_in(tx: &rusqlite::Transaction<'_>, details: &[NominalDetails]) -> Result<usize> {
    let mut written = 0;
    let mut exists = tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM nominals WHERE id = ?1)")?;
    let mut marker = tx.prepare_cached(
        "INSERT INTO nominal_markers (nominal_id, code, description, last_verified_at, verified_by)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (nominal_id, code) DO UPDATE SET description = excluded.description,
            last_verified_at = excluded.last_verified_at, verified_by = excluded.verified_by",
    )?;
    let mut address = tx.prepare_cached(
        "INSERT INTO nominal_addresses (nominal_id, address, postcode, kind, valid_from, valid_to)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut phone = tx.prepare_cached("INSERT OR IGNORE INTO nominal_phones (nominal_id, number) VALUES (?1, ?2)")?;
    for d in details {
        if !exists.query_row([&d.nominal_id], |r| r.get::<_, bool>(0))? {
            continue;
        }
        if d.markers.is_some() {
            tx.execute("DELETE FROM nominal_markers WHERE nominal_id = ?1", [&d.nominal_id])?;
        }
        if d.addresses.is_some() {
            tx.execute("DELETE FROM nominal_addresses WHERE nominal_id = ?1", [&d.nominal_id])?;
        }
        if let Some(phones) = &d.phones {
            tx.prepare_cached("DELETE FROM nominal_phones WHERE nominal_id = ?1")?.execute([&d.nominal_id])?;
            for n in bluelamp_protocol::nominal::clean_phones(phones.iter().cloned()) {
                phone.execute(params![d.nominal_id, n])?;
            }
        }
        for m in d.markers.iter().flatten().filter(|m| !m.code.trim().is_empty()).take(50) {
            marker.execute(params![
                d.nominal_id,
                cap(m.code.trim()).to_ascii_lowercase(),
                cap(&m.description),
                m.last_verified_at.as_deref().map(cap),
                m.verified_by.as_deref().map(cap),
            ])?;
        }
        for a in d.addresses.iter().flatten().filter(|a| !a.address.trim().is_empty()).take(50) {
            let kind = if a.kind.trim().is_empty() { "home".to_string() } else { cap(a.kind.trim()) };
            address.execute(params![
                d.nominal_id,
                cap(&a.address),
                a.postcode.as_deref().map(cap),
                kind,
                a.valid_from.as_deref().map(cap),
                a.valid_to.as_deref().map(cap),
            ])?;
        }
        written += 1;
    }
    Ok(written)
}

/// The warning-marker codes of one nominal (a primary-key prefix read).
pub(crate) const MARKER_CODES: &str = "SELECT code FROM nominal_markers WHERE nominal_id = ?1";

/// The person's marker codes, most serious first.
pub(crate) fn marker_codes(conn: &rusqlite::Connection, id: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(MARKER_CODES)?;
    let mut codes = stmt.query_map([id], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    bluelamp_protocol::nominal::sort_markers(&mut codes, |c| c);
    Ok(codes)
}

impl Store {
    /// Stores markers and address history (see [`NominalDetails`]) in one transaction.
    pub fn set_nominal_details(&mut self, details: &[NominalDetails]) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let n = set_details_in(&tx, details)?;
        tx.commit()?;
        Ok(n)
    }

    /// The record page of one person: the person with their marker codes, then the warning
    /// markers (most serious first), aliases, addresses (the current one first, then newest
    /// first) and the incidents on this device that link them (newest first). `None` if the
    /// cache does not hold the person. Reads only: opening a record is logged by
    /// [`Store::view_nominal_logged`].
    pub fn nominal_page(&self, id: &str) -> Result<Option<NominalPage>> {
        let Some(mut nominal) = self.get_nominal(id)? else { return Ok(None) };
        let conn = &self.conn;
        nominal.markers = marker_codes(conn, id)?;
        let aliases_json: String = conn.query_row("SELECT aliases FROM nominals WHERE id = ?1", [id], |r| r.get(0))?;
        let aliases: Vec<String> = serde_json::from_str(&aliases_json).unwrap_or_default();

        let mut warning_markers: Vec<WarningMarker> = conn
            .prepare_cached(
                "SELECT code, description, last_verified_at, verified_by FROM nominal_markers WHERE nominal_id = ?1",
            )?
            .query_map([id], |r| {
                let code: String = r.get(0)?;
                Ok(WarningMarker {
                    label: bluelamp_protocol::nominal::marker_label(&code),
                    code,
                    description: r.get(1)?,
                    last_verified_at: r.get(2)?,
                    verified_by: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        bluelamp_protocol::nominal::sort_markers(&mut warning_markers, |m| m.code.as_str());

        let mut history: Vec<AddressEntry> = conn
            .prepare_cached(
                "SELECT address, postcode, kind, valid_from, valid_to FROM nominal_addresses WHERE nominal_id = ?1
                 ORDER BY valid_to IS NOT NULL, valid_to DESC, valid_from DESC",
            )?
            .query_map([id], |r| {
                Ok(AddressEntry {
                    address: r.get(0)?,
                    postcode: r.get(1)?,
                    kind: r.get(2)?,
                    valid_from: r.get(3)?,
                    valid_to: r.get(4)?,
                    current: false,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut addresses = Vec::with_capacity(history.len() + 1);
        if let Some(addr) = nominal.address.as_deref().filter(|a| !a.trim().is_empty()) {
            // The record's address is the current one; its history row (if any) gives the dates.
            let same = |e: &AddressEntry| e.valid_to.is_none() && e.address.trim().eq_ignore_ascii_case(addr.trim());
            let mut current = match history.iter().position(same) {
                Some(i) => history.remove(i),
                None => AddressEntry {
                    address: addr.to_string(),
                    postcode: nominal.postcode.clone(),
                    kind: "home".into(),
                    valid_from: None,
                    valid_to: None,
                    current: true,
                },
            };
            current.current = true;
            addresses.push(current);
        }
        addresses.extend(history);

        let mut incidents: Vec<LinkedIncident> = conn
            .prepare_cached(
                "SELECT i.id, i.reference, i.incident_type, i.occurred_at, i.closing_code, i.status, l.role
                 FROM incident_links l JOIN incidents i ON i.id = l.incident_id
                 WHERE l.nominal_id = ?1 ORDER BY i.occurred_at DESC, i.reference, l.role",
            )?
            .query_map([id], |r| {
                Ok(LinkedIncident {
                    incident_id: r.get(0)?,
                    reference: r.get(1)?,
                    incident_type: r.get(2)?,
                    occurred_at: r.get(3)?,
                    closing_code: r.get(4)?,
                    status: r.get(5)?,
                    roles: vec![r.get(6)?],
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        incidents.dedup_by(|later, first| {
            let same = later.incident_id == first.incident_id;
            if same {
                first.roles.append(&mut later.roles);
            }
            same
        });
        Ok(Some(NominalPage { nominal, warning_markers, aliases, addresses, incidents }))
    }
}
