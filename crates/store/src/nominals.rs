//! The nominal (person) cache: current and legacy records in one table, searched together.

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
        // Large batches (imports) run with bulk settings: key rows reference nominals written
        // just before them in this transaction, so the per-row foreign-key check cannot fail
        // and is skipped; the page cache is raised and commits use synchronous=NORMAL (WAL:
        // never corrupts; a power cut may lose the last batch, which a re-import repeats).
        // These pragmas cannot change inside a transaction; they are restored afterwards.
        let bulk = rows.len() >= BULK_ROWS;
        if bulk {
            search::bulk_mode(&self.conn, true)?;
        }
        let result = self.upsert_tx(rows, &last);
        if bulk {
            search::bulk_mode(&self.conn, false)?;
        }
        result
    }

    fn upsert_tx(&mut self, rows: &[NominalRecord], last: &HashMap<&str, usize>) -> Result<usize> {
        let tx = self.conn.transaction()?;
        upsert_in(&tx, rows, last, None)?;
        tx.commit()?;
        Ok(rows.len())
    }

    pub fn nominal_count(&self) -> Result<u64> {
        Ok(self.conn.query_row("SELECT count(*) FROM nominals", [], |r| r.get::<_, i64>(0))? as u64)
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
/// `tx`. `server_version`: set for rows that came from the central service (a pull), `None`
/// for local imports.
pub(crate) fn upsert_in(
    tx: &rusqlite::Transaction<'_>,
    rows: &[NominalRecord],
    last: &HashMap<&str, usize>,
    server_version: Option<&HashMap<&str, i64>>,
) -> Result<()> {
    let live: Vec<&NominalRecord> =
        rows.iter().enumerate().filter(|(i, r)| last.get(r.id.as_str()) == Some(i)).map(|(_, r)| r).collect();
    search::ensure_keys_current(tx)?;
    let now: String = tx.query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ','now')", [], |r| r.get(0))?;
    let mut deltas: HashMap<String, i64> = HashMap::new();
    let mut added = 0i64;
    // New keys are computed (and sorted) on a second thread while this one writes the rows.
    let (mut pairs, new_counts) = std::thread::scope(|scope| -> Result<_> {
        let keys = scope.spawn(|| search::compute_pairs(&live));
        let mut old_row =
            tx.prepare_cached("SELECT given_name, surname, aliases, date_of_birth FROM nominals WHERE id = ?1")?;
        let mut stmt = tx.prepare_cached(
            "INSERT INTO nominals (id, source, given_name, surname, date_of_birth, sex, aliases,
                                   address, postcode, given_fold, surname_fold, updated_at, server_version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
             ON CONFLICT(id) DO UPDATE SET source = excluded.source, given_name = excluded.given_name,
                surname = excluded.surname, date_of_birth = excluded.date_of_birth, sex = excluded.sex,
                aliases = excluded.aliases, address = excluded.address, postcode = excluded.postcode,
                given_fold = excluded.given_fold, surname_fold = excluded.surname_fold,
                updated_at = excluded.updated_at, server_version = excluded.server_version,
                provisional = 0",
        )?;
        for r in &live {
            let old = old_row
                .query_row([&r.id], |o| {
                    Ok(search::OldRow { given: o.get(0)?, surname: o.get(1)?, aliases: o.get(2)?, dob: o.get(3)? })
                })
                .optional()?;
            if let Some(old) = old {
                search::remove_keys(tx, &r.id, &old, &mut deltas)?;
            } else {
                added += 1;
            }
            let aliases = serde_json::to_string(&r.aliases).map_err(|e| StoreError::Invalid(e.to_string()))?;
            stmt.execute(params![
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
            ])?;
        }
        keys.join().map_err(|_| StoreError::Invalid("computing search keys failed".into()))
    })?;
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
    })
}
