//! Phonetic nominal search on top of `bluelamp-names`.
//!
//! **Writing.** For every nominal, [`bluelamp_names::record_keys`] of its main name, each alias
//! (stored as "given surname" and split like free text) and its DOB are written to
//! `name_keys(key, born, rk)` in the same transaction as the row; `rk` is the nominal's integer
//! row key (`nominals.rk INTEGER PRIMARY KEY`, stable across VACUUM, schema migration 11) and
//! `born` its birth year ([`bluelamp_names::born_value`]: counted from 1899, one byte on disk;
//! 0 when unknown), so that a key's rows are in birth-year order (schema migration 13).
//! `name_key_counts` holds, per `SN:<surname>` key, the number of nominals carrying it (the
//! surname frequency used for rarity in ranking) and, under [`TOTAL_KEY`], the number of
//! nominals; beside each `SN:` row, the surname index's `SD:`/`SH:` rows for that surname
//! ([`bluelamp_names::surname_index_keys`], counted with it), which the spelling stage reads.
//! Only these counts are kept: other keys are never counted, which keeps bulk import cheap. Re-importing an id deletes its old keys (recomputed from its old row, by primary key)
//! and decrements their counts. The meta row `name_keys_version` records
//! [`bluelamp_names::KEY_VERSION`]; when it differs or is missing (a new build changed the key
//! format, a migration cleared it, or the store predates search) the keys are rebuilt.
//!
//! **Searching.** The query's [`bluelamp_names::QueryPlan`] is run probe by probe through the
//! `(key, born, rk)` primary key (`key = ?` or a `key` range, each with a row cap): tight probes
//! always, broad ones while the distinct-candidate count is under the plan's ceiling. A probe
//! that returns its full cap (a common name at a million records) is read again within the
//! query's DOB window, so "William Smith, born 1985" is not lost behind the first 200 William
//! Smiths.
//! Candidates are loaded by row key (one lookup in the table's own B-tree), surname
//! frequencies come from `name_key_counts`, and the [`bluelamp_names::Ranker`] scores them. No
//! statement scans a table.

use std::collections::{HashMap, HashSet};

use bluelamp_names::{
    born_value, record_keys, surname_freq_key, surname_index_keys, Candidate, CandidateName, Date, DobQuery, Lookup,
    NameQuery, Probe, Ranker, SearchQuery, Sex, Tier, KEY_VERSION, SPELLING_WINDOW,
};
use bluelamp_protocol::search::MAX_AGE;
use bluelamp_protocol::{NominalHit, SearchRequest, Source};
use rusqlite::{params, Connection, OptionalExtension};

use crate::{Result, Store, StoreError};

/// The date type of [`Store::search_on`] (re-exported so callers need not depend on
/// `bluelamp-names`).
pub use bluelamp_names::Date as SearchDate;

/// `name_key_counts` row holding the number of nominals (for surname rarity).
pub const TOTAL_KEY: &str = "#NOMINALS";

/// Every statement a search runs, in one place: the reads of the key table (each capped), the
/// candidates' rows by row key, the surname counts, the distinct surnames of the spelling
/// stage and the hits' warning markers. The store's tests run `EXPLAIN QUERY PLAN` on each,
/// and [`Store::search_full_scan_steps`] reads SQLite's own count of the full-scan steps each
/// has taken, so neither checks a copy of the SQL.
pub mod statements {
    pub const BY_KEY: &str = "SELECT rk FROM name_keys WHERE key = ?1 LIMIT ?2";
    pub const BY_RANGE: &str = "SELECT rk FROM name_keys WHERE key >= ?1 AND key < ?2 LIMIT ?3";
    pub const KEY_BORN: &str = "SELECT rk FROM name_keys WHERE key = ?1 AND born BETWEEN ?2 AND ?3 LIMIT ?4";
    pub const RANGE_BORN: &str =
        "SELECT rk FROM name_keys WHERE key >= ?1 AND key < ?2 AND born BETWEEN ?3 AND ?4 LIMIT ?5";
    pub const ROW: &str = "SELECT id, source, given_name, surname, date_of_birth, sex, aliases, address, postcode, \
                           provisional FROM nominals WHERE rk = ?1";
    pub const COUNT: &str = "SELECT n FROM name_key_counts WHERE key = ?1";
    pub const SURNAMES: &str = "SELECT key FROM name_key_counts WHERE key >= ?1 AND key < ?2";
    pub const SURNAMES_UP: &str = "SELECT key FROM name_key_counts WHERE key >= ?1 AND key < ?2 ORDER BY key LIMIT ?3";
    pub const SURNAMES_DOWN: &str =
        "SELECT key FROM name_key_counts WHERE key >= ?1 AND key < ?2 ORDER BY key DESC LIMIT ?3";
    pub const MARKERS: &str = crate::nominals::MARKER_CODES;
    pub const ALL: [&str; 10] =
        [BY_KEY, BY_RANGE, KEY_BORN, RANGE_BORN, ROW, COUNT, SURNAMES, SURNAMES_UP, SURNAMES_DOWN, MARKERS];
}
const VERSION_META: &str = "name_keys_version";
/// Page cache used by search and import (KiB, as a negative `cache_size`).
const CACHE_KIB: i64 = 524_288;

/// Splits an alias stored as "given surname" (or "Surname, Given") the way free text is split.
pub(crate) fn split_alias(alias: &str) -> (String, String) {
    let q = NameQuery::parse(alias);
    (q.given, q.surname)
}

/// The names of a record as (given, surname) pairs: main name first, then aliases.
pub(crate) fn record_names(given: &str, surname: &str, aliases: &[String]) -> Vec<(String, String)> {
    let mut v = vec![(given.to_string(), surname.to_string())];
    v.extend(aliases.iter().map(|a| split_alias(a)));
    v
}

/// All keys of one record.
pub(crate) fn keys_for(given: &str, surname: &str, aliases: &[String], dob: Option<&str>) -> Vec<String> {
    let names = record_names(given, surname, aliases);
    record_keys(names.iter().map(|(g, s)| (g.as_str(), s.as_str())), dob.and_then(Date::parse))
}

/// The `born` column of a record's key rows.
pub(crate) fn born_of(dob: Option<&str>) -> i64 {
    i64::from(born_value(dob.and_then(Date::parse)))
}

/// One `name_keys` row: key, born, row key (primary-key order).
pub(crate) type KeyRow = (String, i64, i64);

fn is_counted(key: &str) -> bool {
    key.starts_with("SN:")
}

/// Raises the page cache of this connection (hot key and row pages stay decrypted in memory).
pub(crate) fn tune_cache(conn: &Connection) -> Result<()> {
    let cur: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
    if cur >= 0 || cur > -CACHE_KIB {
        conn.execute_batch(&format!("PRAGMA cache_size = -{CACHE_KIB}"))?;
    }
    Ok(())
}

fn stored_version(conn: &Connection) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT value FROM meta WHERE key = ?1", [VERSION_META], |r| r.get(0)).optional()?)
}

/// Makes sure the stored keys were built by this build's key format; rebuilds them otherwise.
/// Runs inside the caller's transaction.
pub(crate) fn ensure_keys_current(conn: &Connection) -> Result<()> {
    let want = KEY_VERSION.to_string();
    if stored_version(conn)?.as_deref() == Some(want.as_str()) {
        return Ok(());
    }
    rebuild_keys(conn)?;
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![VERSION_META, want],
    )?;
    Ok(())
}

/// Drops and recomputes every key and count from the nominals table.
fn rebuild_keys(conn: &Connection) -> Result<()> {
    conn.execute_batch("DELETE FROM name_keys; DELETE FROM name_key_counts;")?;
    let mut counts: HashMap<String, i64> = HashMap::new();
    let mut pairs: Vec<KeyRow> = Vec::new();
    let mut total = 0i64;
    {
        let mut stmt = conn.prepare("SELECT rk, given_name, surname, aliases, date_of_birth FROM nominals")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let rk: i64 = r.get(0)?;
            let aliases: Vec<String> = serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or_default();
            let dob: Option<String> = r.get(4)?;
            let born = born_of(dob.as_deref());
            total += 1;
            for k in keys_for(&r.get::<_, String>(1)?, &r.get::<_, String>(2)?, &aliases, dob.as_deref()) {
                if is_counted(&k) {
                    *counts.entry(k.clone()).or_default() += 1;
                }
                pairs.push((k, born, rk));
            }
        }
    }
    insert_keys(conn, &mut pairs)?;
    counts.insert(TOTAL_KEY.to_string(), total);
    apply_counts(conn, &counts)
}

/// Key rows that point at a record by its index in a batch, and the `SN:` count increments.
pub(crate) type IndexedKeys = (Vec<(String, i64, u32)>, HashMap<String, i64>);

/// New keys of the given records as `(key, born, index into rows)` sorted in that order, and
/// the `SN:` count increments. The caller maps each index to the record's row key.
pub(crate) fn compute_pairs(rows: &[&crate::NominalRecord]) -> IndexedKeys {
    let mut pairs = Vec::with_capacity(rows.len() * 12);
    let mut counts: HashMap<String, i64> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        let born = born_of(r.date_of_birth.as_deref());
        for k in keys_for(&r.given_name, &r.surname, &r.aliases, r.date_of_birth.as_deref()) {
            if is_counted(&k) {
                *counts.entry(k.clone()).or_default() += 1;
            }
            pairs.push((k, born, i));
        }
    }
    pairs.sort_unstable();
    (pairs, counts)
}

/// Rows per multi-row `INSERT` of key pairs.
const INSERT_CHUNK: usize = 50;

/// Inserts key rows in primary-key order (sequential B-tree writes), many rows per statement.
pub(crate) fn insert_keys(conn: &Connection, pairs: &mut [KeyRow]) -> Result<()> {
    if pairs.windows(2).any(|w| w[0] > w[1]) {
        pairs.sort_unstable();
    }
    let many = format!(
        "INSERT OR IGNORE INTO name_keys (key, born, rk) VALUES {}",
        vec!["(?, ?, ?)"; INSERT_CHUNK].join(", ")
    );
    let mut many = conn.prepare_cached(&many)?;
    let mut one = conn.prepare_cached("INSERT OR IGNORE INTO name_keys (key, born, rk) VALUES (?1, ?2, ?3)")?;
    let mut chunks = pairs.chunks_exact(INSERT_CHUNK);
    for c in &mut chunks {
        many.execute(rusqlite::params_from_iter(c.iter().flat_map(|(k, born, rk)| {
            [k as &dyn rusqlite::ToSql, born as &dyn rusqlite::ToSql, rk as &dyn rusqlite::ToSql]
        })))?;
    }
    for (k, born, rk) in chunks.remainder() {
        one.execute(params![k, born, rk])?;
    }
    Ok(())
}

/// Adds count deltas; rows that reach zero are removed. Each `SN:` delta is applied to the
/// surname's other surname-index rows too ([`bluelamp_names::surname_index_keys`]: its `SD:`
/// and `SH:` rows, which the spelling stage reads), so they come and go with it.
pub(crate) fn apply_counts(conn: &Connection, deltas: &HashMap<String, i64>) -> Result<()> {
    let index: Vec<(String, i64)> = deltas
        .iter()
        .filter(|(_, d)| **d != 0)
        .flat_map(|(k, d)| surname_index_keys(k).into_iter().map(move |i| (i, *d)))
        .collect();
    let mut keys: Vec<(&String, &i64)> = deltas.iter().filter(|(_, d)| **d != 0).collect();
    keys.extend(index.iter().map(|(k, d)| (k, d)));
    keys.sort_unstable();
    let mut up = conn.prepare_cached(
        "INSERT INTO name_key_counts (key, n) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET n = n + excluded.n",
    )?;
    for (k, d) in &keys {
        up.execute(params![k, d])?;
    }
    // Only a key whose count went down can have reached zero: delete those by key (a scan of
    // the whole table per call made every pull page pay for the size of the cache).
    let mut gone = conn.prepare_cached("DELETE FROM name_key_counts WHERE key = ?1 AND n <= 0")?;
    for (k, d) in &keys {
        if **d < 0 {
            gone.execute([k])?;
        }
    }
    Ok(())
}

/// The indexed fields of a stored nominal, read before it is replaced.
pub(crate) struct OldRow {
    pub given: String,
    pub surname: String,
    pub aliases: String,
    pub dob: Option<String>,
}

/// Removes the keys of the nominal with row key `rk` (before it is re-written or deleted) by
/// recomputing them from its old row, and records the count decrements.
pub(crate) fn remove_keys(conn: &Connection, rk: i64, old: &OldRow, deltas: &mut HashMap<String, i64>) -> Result<()> {
    let aliases: Vec<String> = serde_json::from_str(&old.aliases).unwrap_or_default();
    let mut stmt = conn.prepare_cached("DELETE FROM name_keys WHERE key = ?1 AND born = ?2 AND rk = ?3")?;
    let born = born_of(old.dob.as_deref());
    for k in keys_for(&old.given, &old.surname, &aliases, old.dob.as_deref()) {
        stmt.execute(params![k, born, rk])?;
        if is_counted(&k) {
            *deltas.entry(k).or_default() -= 1;
        }
    }
    Ok(())
}

/// Switches the connection to bulk-write settings for a large upsert (bigger page cache,
/// `synchronous = NORMAL`, no per-row foreign-key checks) and back.
pub(crate) fn bulk_mode(conn: &Connection, on: bool) -> Result<()> {
    if on {
        conn.execute_batch("PRAGMA foreign_keys = OFF; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -1048576;")?;
    } else {
        conn.execute_batch(&format!(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA cache_size = -{CACHE_KIB};"
        ))?;
    }
    Ok(())
}

/// Today's civil date from the system clock (UTC).
pub fn today() -> Date {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    civil_from_days((secs / 86_400) as i64).unwrap_or(Date { year: 2026, month: 1, day: 1 })
}

/// Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> Option<Date> {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    Date::new(i32::try_from(y).ok()?, m as u8, d as u8)
}

/// Builds the matching query from a validated request.
pub fn to_query(req: &SearchRequest, today: Date) -> Result<SearchQuery> {
    let parsed = req.name.as_deref().map(NameQuery::parse).unwrap_or_default();
    let pick = |explicit: &Option<String>, parsed: String| match explicit {
        Some(s) if !s.trim().is_empty() => s.clone(),
        _ => parsed,
    };
    let mut q = SearchQuery {
        name: NameQuery { given: pick(&req.given, parsed.given), surname: pick(&req.surname, parsed.surname) },
        dob: None,
        sex: req.sex.as_deref().and_then(Sex::parse),
        free_text: req.name.as_deref().is_some_and(|t| !t.trim().is_empty() && NameQuery::order_is_free(t)),
    };
    let n = req.years_either_side.unwrap_or(0).min(200) as u16;
    if let Some(dob) = &req.dob {
        let d = Date::parse(dob).ok_or_else(|| StoreError::Invalid(format!("'{dob}' is not a date of birth")))?;
        if d > today {
            return Err(StoreError::Invalid(format!("The date of birth {dob} is in the future.")));
        }
        q.dob = if n == 0 {
            Some(DobQuery::Exact(d))
        } else {
            let lo = d.years_before(i32::from(n));
            let hi = Date::new(d.year + i32::from(n), d.month, d.day)
                .or_else(|| Date::new(d.year + i32::from(n), d.month, 28));
            match (lo, hi) {
                (Some(lo), Some(hi)) => Some(DobQuery::Between(lo, hi)),
                _ => Some(DobQuery::Exact(d)),
            }
        };
    } else if let Some(y) = req.dob_year {
        if i64::from(y) > i64::from(today.year) {
            return Err(StoreError::Invalid(format!("The year of birth {y} is in the future.")));
        }
        q.dob = DobQuery::around(y as i32, n);
    } else if req.age_min.is_some() || req.age_max.is_some() {
        let lo = req.age_min.unwrap_or(0).min(MAX_AGE) as u16;
        let hi = req.age_max.unwrap_or(MAX_AGE).min(MAX_AGE) as u16;
        q.dob = DobQuery::age(lo, hi, today);
    }
    // Only a title ("Mrs" in the given-name field, nothing else): nothing to search by but a
    // full date of birth, as with an initial alone.
    if q.only_titles() && !matches!(q.dob, Some(DobQuery::Exact(_))) {
        let typed: Vec<&str> = [&req.name, &req.given, &req.surname]
            .into_iter()
            .filter_map(|v| v.as_deref().map(str::trim).filter(|v| !v.is_empty()))
            .collect();
        return Err(StoreError::Invalid(format!(
            "Nothing in \"{}\" is a name to search by (a title such as Mrs or Dr is set aside): type \
             the person's given name or surname, or give the full date of birth.",
            typed.join(" ")
        )));
    }
    Ok(q)
}

/// One candidate row as loaded from `nominals`.
struct Row {
    id: String,
    source: String,
    given: String,
    surname: String,
    dob: Option<String>,
    sex: Option<String>,
    address: Option<String>,
    postcode: Option<String>,
    provisional: bool,
    names: Vec<(String, String)>,
}

impl Store {
    /// Whether the search keys must be rebuilt before the next search or write: a new build
    /// changed their format, or a schema migration cleared them.
    pub fn search_keys_stale(&self) -> Result<bool> {
        Ok(stored_version(self.conn())?.as_deref() != Some(KEY_VERSION.to_string().as_str()))
    }

    /// Rebuilds stale search keys now, in one transaction with the import's bulk settings;
    /// returns whether it did. The first search or write would otherwise do it (19 s for a
    /// million people on the 2-core machine; without the bulk settings it took 180 s); the
    /// app calls this at unlock, behind its "Unlocking…" message, so the first search after an
    /// update is not the one that waits. Call it outside any transaction (the settings cannot
    /// change inside one).
    pub fn prepare_search(&self) -> Result<bool> {
        if !self.search_keys_stale()? {
            return Ok(false);
        }
        self.rebuild_search_keys()?;
        Ok(true)
    }

    /// Rebuilds every search key and surname count from the nominals, whether stale or not
    /// (`bluelamp-cli reindex --all`: IT's repair, and the benchmark of the rebuild).
    pub fn rebuild_search_keys(&self) -> Result<()> {
        // Bulk settings, as for a large import: every key row points at a row read in the
        // same transaction, so the per-row foreign-key check cannot fail.
        bulk_mode(self.conn(), true)?;
        let rebuilt = (|| -> Result<()> {
            let tx = self.conn().unchecked_transaction()?;
            tx.execute("DELETE FROM meta WHERE key = ?1", [VERSION_META])?;
            ensure_keys_current(&tx)?;
            Ok(tx.commit()?)
        })();
        bulk_mode(self.conn(), false)?;
        rebuilt
    }

    /// Phonetic search with an explicit "today" (for age ranges); [`Store::search`] passes the
    /// clock's date.
    pub fn search_on(&self, req: &SearchRequest, today: Date) -> Result<Vec<NominalHit>> {
        Ok(self.search_full_on(req, today)?.hits)
    }

    /// How many full-scan steps SQLite has counted for the search's statements on this
    /// connection ([`statements::ALL`]) since each entered its statement cache; 0 while every
    /// search reads through indexes only.
    pub fn search_full_scan_steps(&self) -> Result<i64> {
        self.search_statement_status(rusqlite::StatementStatus::FullscanStep)
    }

    /// The sum of one of SQLite's counters over the search's statements on this connection.
    fn search_statement_status(&self, status: rusqlite::StatementStatus) -> Result<i64> {
        let mut sum = 0;
        for sql in statements::ALL {
            sum += i64::from(self.conn().prepare_cached(sql)?.get_status(status));
        }
        Ok(sum)
    }

    /// How many virtual-machine steps SQLite has counted for the search's statements on this
    /// connection ([`statements::ALL`]) since each entered its statement cache: about the rows
    /// they read, so a test can check that a search's work does not grow with the store.
    pub fn search_vm_steps(&self) -> Result<i64> {
        self.search_statement_status(rusqlite::StatementStatus::VmStep)
    }

    /// [`Store::search_on`], saying too whether the search read every record its keys reach.
    pub fn search_full_on(&self, req: &SearchRequest, today: Date) -> Result<Searched> {
        req.validate().map_err(|e| StoreError::Invalid(e.message))?;
        let query = to_query(req, today)?;
        let conn = self.conn();
        tune_cache(conn)?;
        self.prepare_search()?;
        // One read transaction for the whole search: one WAL read lock instead of one per
        // statement (hundreds of row lookups).
        let read = conn.unchecked_transaction()?;
        let conn: &Connection = &read;
        let (rks, cut_short) = candidate_ids(conn, &query)?;
        if rks.is_empty() {
            return Ok(Searched { hits: Vec::new(), cut_short });
        }
        let rows = load_rows(conn, &rks)?;
        let total: i64 = conn
            .prepare_cached(statements::COUNT)?
            .query_row([TOTAL_KEY], |r| r.get(0))
            .optional()?
            .unwrap_or(rows.len() as i64);

        // Surname frequencies: one lookup per distinct `SN:` key, shared by the candidates'
        // surnames and the query's own name words (`Ranker::part_freq_keys`).
        let mut freq: HashMap<String, u32> = HashMap::new();
        let mut raw_freq: HashMap<&str, u32> = HashMap::new();
        let mut fstmt = conn.prepare_cached(statements::COUNT)?;
        let mut count = |k: String| -> Result<u32> {
            if let Some(n) = freq.get(&k) {
                return Ok(*n);
            }
            let n: i64 = fstmt.query_row([&k], |r| r.get(0)).optional()?.unwrap_or(0);
            let n = u32::try_from(n.max(0)).unwrap_or(u32::MAX);
            freq.insert(k, n);
            Ok(n)
        };
        let mut cands = Vec::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            let mut names = Vec::with_capacity(r.names.len());
            for (g, s) in &r.names {
                let f = match raw_freq.get(s.as_str()) {
                    Some(f) => *f,
                    None => {
                        let f = surname_freq_key(s).map_or(Ok(0), &mut count)?;
                        raw_freq.insert(s, f);
                        f
                    }
                };
                names.push(CandidateName { given: g, surname: s, surname_freq: f });
            }
            cands.push(Candidate {
                id: i,
                names,
                dob: r.dob.as_deref().and_then(Date::parse),
                sex: r.sex.as_deref().and_then(Sex::parse),
            });
        }
        let ranker = Ranker::new(&query, u64::try_from(total).unwrap_or(0));
        let mut part_freqs = HashMap::new();
        for k in ranker.part_freq_keys() {
            let n = count(k.clone())?;
            part_freqs.insert(k, n);
        }
        drop(fstmt);
        let ranker = ranker.with_part_freqs(part_freqs);
        let hits = ranker.rank(&cands, req.effective_limit() as usize);
        let mut hits: Vec<NominalHit> = hits
            .into_iter()
            .map(|h| {
                let r = &rows[h.id];
                NominalHit {
                    id: r.id.clone(),
                    source: if r.source == "legacy" { Source::Legacy } else { Source::Current },
                    given_name: r.given.clone(),
                    surname: r.surname.clone(),
                    date_of_birth: r.dob.clone(),
                    sex: r.sex.clone(),
                    address: r.address.clone(),
                    postcode: r.postcode.clone(),
                    score: (f64::from(h.score) * 1000.0).round() / 1000.0,
                    reasons: h.reasons,
                    provisional: r.provisional,
                    markers: Vec::new(),
                    weak_name: h.weak_name,
                }
            })
            .collect();
        // Warning markers for the rows (a primary-key prefix lookup per hit returned), in the
        // same read transaction.
        for h in &mut hits {
            h.markers = crate::nominals::marker_codes(conn, &h.id)?;
        }
        read.commit()?;
        Ok(Searched { hits, cut_short })
    }
}

/// A search's hits, best first, and whether it was cut short.
#[derive(Debug, Clone, PartialEq)]
pub struct Searched {
    pub hits: Vec<NominalHit>,
    /// The search did not read every close match: one of its first-tier reads (the name's
    /// own codes together, a surname searched alone, the DOB) filled its row cap, within the
    /// DOB window too when the search has one. More people may match than the hits show; a
    /// DOB, year or age narrows the search. (The broader reads, for a part replaced or
    /// mistyped, fill their caps on any large store: they are samples by design, not counted.)
    pub cut_short: bool,
}

/// Runs the query plan through the `name_keys` primary key; returns the candidates' row keys,
/// and whether a first-tier read was cut short (see [`Searched::cut_short`]). A probe that
/// fills its cap is read again within the plan's DOB window (same cap).
fn candidate_ids(conn: &Connection, q: &SearchQuery) -> Result<(Vec<i64>, bool)> {
    let plan = q.plan();
    let mut seen: HashSet<i64> = HashSet::new();
    let mut out: Vec<i64> = Vec::new();
    let mut cut_short = false;
    let mut by_key = conn.prepare_cached(statements::BY_KEY)?;
    let mut by_range = conn.prepare_cached(statements::BY_RANGE)?;
    let mut key_born = conn.prepare_cached(statements::KEY_BORN)?;
    let mut range_born = conn.prepare_cached(statements::RANGE_BORN)?;
    // Adds the rows' row keys not seen yet; returns the number of rows read.
    fn take(mut rows: rusqlite::Rows<'_>, seen: &mut HashSet<i64>, out: &mut Vec<i64>) -> Result<i64> {
        let mut n = 0;
        while let Some(r) = rows.next()? {
            n += 1;
            let rk: i64 = r.get(0)?;
            if seen.insert(rk) {
                out.push(rk);
            }
        }
        Ok(n)
    }
    // Returns whether the probe was cut short: a read filled its cap (the plain read with no
    // DOB window, or the window's read).
    let mut run = |p: &Probe, seen: &mut HashSet<i64>, out: &mut Vec<i64>| -> Result<bool> {
        let cap = i64::try_from(p.cap).unwrap_or(i64::MAX);
        let read = match &p.lookup {
            Lookup::Key(k) => take(by_key.query(params![k, cap])?, seen, out)?,
            Lookup::Range { from, to } => take(by_range.query(params![from, to, cap])?, seen, out)?,
        };
        if read < cap {
            return Ok(false);
        }
        let Some((lo, hi)) = plan.born else { return Ok(true) };
        let in_window = match &p.lookup {
            Lookup::Key(k) => take(key_born.query(params![k, lo, hi, cap])?, seen, out)?,
            Lookup::Range { from, to } => {
                let in_window = take(range_born.query(params![from, to, lo, hi, cap])?, seen, out)?;
                // And the range's records with no DOB (born 0), which a DOB must never
                // exclude: under one key they come first in the plain read, but in a range
                // each key's come after the keys before it. (Read apart from the window's, so
                // that they do not crowd it out.)
                in_window.max(take(range_born.query(params![from, to, 0, 0, cap])?, seen, out)?)
            }
        };
        Ok(in_window >= cap)
    };
    // Candidates found by reads of the surname searched (the spelling stage's gate).
    let mut by_surname = 0;
    for p in &plan.probes {
        if p.tier == Tier::Broad && out.len() >= plan.max_candidates {
            break;
        }
        let before = out.len();
        let cut = run(p, &mut seen, &mut out)?;
        cut_short |= cut && p.tier == Tier::Tight;
        if plan.spelling.as_ref().is_some_and(|s| s.reads_surname(&p.lookup)) {
            by_surname += out.len() - before;
        }
    }
    // Surnames spelt nearly like the one searched, from the distinct surnames' counts.
    if let Some(scan) = plan.spelling.as_ref().filter(|s| s.wanted(by_surname)) {
        let mut surnames = conn.prepare_cached(statements::SURNAMES)?;
        let mut up = conn.prepare_cached(statements::SURNAMES_UP)?;
        let mut down = conn.prepare_cached(statements::SURNAMES_DOWN)?;
        let window = i64::try_from(SPELLING_WINDOW).unwrap_or(i64::MAX);
        let mut keys: Vec<String> = Vec::new();
        for (from, to) in &scan.ranges {
            for k in surnames.query_map(params![from, to], |r| r.get::<_, String>(0))? {
                keys.push(k?);
            }
        }
        for w in &scan.windows {
            for k in up.query_map(params![w.centre, w.to, window], |r| r.get::<_, String>(0))? {
                keys.push(k?);
            }
            for k in down.query_map(params![w.from, w.centre, window], |r| r.get::<_, String>(0))? {
                keys.push(k?);
            }
        }
        for p in scan.probes(keys.iter().map(String::as_str)) {
            run(&p, &mut seen, &mut out)?;
        }
    }
    Ok((out, cut_short))
}

/// Loads candidates by row key (the table's own B-tree: one lookup each).
fn load_rows(conn: &Connection, rks: &[i64]) -> Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached(statements::ROW)?;
    let mut out = Vec::with_capacity(rks.len());
    for rk in rks {
        let row = stmt
            .query_row([rk], |r| {
                Ok((
                    Row {
                        id: r.get(0)?,
                        source: r.get(1)?,
                        given: r.get(2)?,
                        surname: r.get(3)?,
                        dob: r.get(4)?,
                        sex: r.get(5)?,
                        address: r.get(7)?,
                        postcode: r.get(8)?,
                        provisional: r.get::<_, i64>(9)? != 0,
                        names: Vec::new(),
                    },
                    r.get::<_, String>(6)?,
                ))
            })
            .optional()?;
        if let Some((mut row, aliases)) = row {
            let aliases: Vec<String> = serde_json::from_str(&aliases).unwrap_or_default();
            row.names = record_names(&row.given, &row.surname, &aliases);
            out.push(row);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), Date::new(1970, 1, 1));
        assert_eq!(civil_from_days(19_723), Date::new(2024, 1, 1));
        assert_eq!(civil_from_days(19_782), Date::new(2024, 2, 29));
    }

    #[test]
    fn aliases_split_like_free_text() {
        assert_eq!(split_alias("Bill Smith"), ("Bill".into(), "Smith".into()));
        assert_eq!(split_alias("Siobhan O Sullivan"), ("Siobhan".into(), "O Sullivan".into()));
        assert_eq!(split_alias("Smith"), (String::new(), "Smith".into()));
    }
}
