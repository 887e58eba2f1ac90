//! The central service's side of provisional nominals (issue 7): a name-key index over its
//! nominals and the likely-duplicate check of `nominal.create/1`.
//!
//! The matching is **the search's own**: the keys are [`bluelamp_names::record_keys`] of the
//! main name, each alias and the DOB (as the client store writes them), the candidates come
//! from running [`bluelamp_names::SearchQuery::plan`] probe by probe through the
//! `name_keys (key, born, nominal_id)` primary key (`key = ?` or a key range, each with the
//! plan's row cap; broad probes only while under the plan's candidate ceiling; a probe that
//! fills its cap read again within the DOB window, as the client does), surname frequencies
//! come from `name_key_counts`, and [`bluelamp_names::Ranker`] scores them. A hit at or above
//! [`bluelamp_names::LIKELY_DUPLICATE_SCORE`] is a possible duplicate. No statement scans a
//! table: the cost is bounded by the plan's caps whatever the number of nominals.
//!
//! Only **active** nominals are indexed: a provisional one (held while its officer decides) or
//! a merged one (linked to another person) is never offered as a candidate.

use std::collections::{HashMap, HashSet};

use bluelamp_names::{
    born_value, record_keys, surname_freq_key, Candidate, CandidateName, Date, DobQuery, Lookup, NameQuery, Ranker,
    SearchQuery, Sex, Tier, KEY_VERSION, LIKELY_DUPLICATE_SCORE,
};
use bluelamp_protocol::nominal::MAX_DUPLICATE_CANDIDATES;
use bluelamp_protocol::wire::{DuplicateCandidate, WireNominal};
use rusqlite::{params, Connection, OptionalExtension};

/// `name_key_counts` row holding the number of indexed nominals.
const TOTAL_KEY: &str = "#NOMINALS";

/// Creates the index tables. `born` is the birth year ([`bluelamp_names::born_value`], 0 without
/// a DOB), so a common key's rows can be read within a DOB window.
const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS name_keys (
        key TEXT NOT NULL, born INTEGER NOT NULL DEFAULT 0, nominal_id TEXT NOT NULL,
        PRIMARY KEY (key, born, nominal_id)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS name_key_counts (key TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
    INSERT OR IGNORE INTO meta (key, value) VALUES ('name_keys_version', 0);
";

/// Creates the index tables; an index from before `born` (rows of `(key, nominal_id)`) is
/// dropped and marked for a rebuild by [`ensure_index`].
pub(crate) fn create_schema(conn: &Connection) -> rusqlite::Result<()> {
    let old: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'name_keys')
            AND NOT EXISTS (SELECT 1 FROM pragma_table_info('name_keys') WHERE name = 'born')",
        [],
        |r| r.get(0),
    )?;
    if old {
        conn.execute_batch("DROP TABLE name_keys; UPDATE meta SET value = 0 WHERE key = 'name_keys_version';")?;
    }
    conn.execute_batch(SCHEMA)
}

fn born_of(n: &WireNominal) -> i64 {
    i64::from(born_value(n.date_of_birth.as_deref().and_then(Date::parse)))
}

/// The names of a record as (given, surname) pairs: main name, then each alias split like free
/// text (as the client store does).
fn names_of(n: &WireNominal) -> Vec<(String, String)> {
    let mut v = vec![(n.given_name.clone(), n.surname.clone())];
    v.extend(n.aliases.iter().map(|a| {
        let q = NameQuery::parse(a);
        (q.given, q.surname)
    }));
    v
}

fn keys_of(n: &WireNominal) -> Vec<String> {
    let names = names_of(n);
    let mut keys = record_keys(
        names.iter().map(|(g, s)| (g.as_str(), s.as_str())),
        n.date_of_birth.as_deref().and_then(Date::parse),
    );
    keys.sort_unstable();
    keys.dedup();
    keys
}

fn bump(conn: &Connection, key: &str, delta: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO name_key_counts (key, n) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET n = n + excluded.n",
    )?
    .execute(params![key, delta])?;
    if delta < 0 {
        conn.prepare_cached("DELETE FROM name_key_counts WHERE key = ?1 AND n <= 0")?.execute([key])?;
    }
    Ok(())
}

/// Indexes an active nominal.
pub(crate) fn add_keys(conn: &Connection, n: &WireNominal) -> rusqlite::Result<()> {
    let mut ins = conn.prepare_cached("INSERT OR IGNORE INTO name_keys (key, born, nominal_id) VALUES (?1, ?2, ?3)")?;
    let born = born_of(n);
    for k in keys_of(n) {
        ins.execute(params![k, born, n.id])?;
        if k.starts_with("SN:") {
            bump(conn, &k, 1)?;
        }
    }
    bump(conn, TOTAL_KEY, 1)
}

/// Removes the keys of a nominal as it was indexed (`old`: its row before the change).
pub(crate) fn remove_keys(conn: &Connection, old: &WireNominal) -> rusqlite::Result<()> {
    let mut del = conn.prepare_cached("DELETE FROM name_keys WHERE key = ?1 AND born = ?2 AND nominal_id = ?3")?;
    let born = born_of(old);
    for k in keys_of(old) {
        del.execute(params![k, born, old.id])?;
        if k.starts_with("SN:") {
            bump(conn, &k, -1)?;
        }
    }
    bump(conn, TOTAL_KEY, -1)
}

/// Builds the index if it is missing or was built by another key format (once, at start-up:
/// a full read of the nominals table).
pub(crate) fn ensure_index(conn: &mut Connection) -> rusqlite::Result<()> {
    let have: i64 = conn.query_row("SELECT value FROM meta WHERE key = 'name_keys_version'", [], |r| r.get(0))?;
    if have == i64::from(KEY_VERSION) {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch("DELETE FROM name_keys; DELETE FROM name_key_counts;")?;
    let rows: Vec<WireNominal> = tx
        .prepare(&format!("SELECT {} FROM nominals WHERE status = 'active'", crate::db::NOMINAL_COLUMNS))?
        .query_map([], crate::db::nominal_of)?
        .collect::<rusqlite::Result<_>>()?;
    for n in &rows {
        add_keys(&tx, n)?;
    }
    tx.execute("UPDATE meta SET value = ?1 WHERE key = 'name_keys_version'", [i64::from(KEY_VERSION)])?;
    tx.commit()
}

/// The active nominals `n` is likely to be (best first, at most
/// [`MAX_DUPLICATE_CANDIDATES`]), with the search's scores and reasons.
pub(crate) fn likely_duplicates(conn: &Connection, n: &WireNominal) -> rusqlite::Result<Vec<DuplicateCandidate>> {
    let query = SearchQuery {
        name: NameQuery::new(&n.given_name, &n.surname),
        dob: n.date_of_birth.as_deref().and_then(Date::parse).map(DobQuery::Exact),
        sex: n.sex.as_deref().and_then(Sex::parse),
        free_text: false,
    };
    let plan = query.plan();
    let mut seen: HashSet<String> = HashSet::new();
    let mut ids: Vec<String> = Vec::new();
    let mut by_key = conn.prepare_cached("SELECT nominal_id FROM name_keys WHERE key = ?1 LIMIT ?2")?;
    let mut by_range = conn.prepare_cached("SELECT nominal_id FROM name_keys WHERE key >= ?1 AND key < ?2 LIMIT ?3")?;
    let mut key_born =
        conn.prepare_cached("SELECT nominal_id FROM name_keys WHERE key = ?1 AND born BETWEEN ?2 AND ?3 LIMIT ?4")?;
    let mut range_born = conn.prepare_cached(
        "SELECT nominal_id FROM name_keys WHERE key >= ?1 AND key < ?2 AND born BETWEEN ?3 AND ?4 LIMIT ?5",
    )?;
    // Adds the rows' ids not seen yet (nor the new person's own); returns the rows read.
    let mut take = |mut rows: rusqlite::Rows<'_>, ids: &mut Vec<String>| -> rusqlite::Result<i64> {
        let mut read = 0;
        while let Some(r) = rows.next()? {
            read += 1;
            let id: String = r.get(0)?;
            if id != n.id && seen.insert(id.clone()) {
                ids.push(id);
            }
        }
        Ok(read)
    };
    for p in &plan.probes {
        if p.tier == Tier::Broad && ids.len() >= plan.max_candidates {
            break;
        }
        let cap = i64::try_from(p.cap).unwrap_or(i64::MAX);
        let read = match &p.lookup {
            Lookup::Key(k) => take(by_key.query(params![k, cap])?, &mut ids)?,
            Lookup::Range { from, to } => take(by_range.query(params![from, to, cap])?, &mut ids)?,
        };
        let Some((lo, hi)) = plan.born.filter(|_| read >= cap) else { continue };
        match &p.lookup {
            Lookup::Key(k) => take(key_born.query(params![k, lo, hi, cap])?, &mut ids)?,
            Lookup::Range { from, to } => {
                take(range_born.query(params![from, to, lo, hi, cap])?, &mut ids)?;
                // As the app's store: then the range's records with no DOB (born 0).
                take(range_born.query(params![from, to, 0, 0, cap])?, &mut ids)?
            }
        };
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut load = conn.prepare_cached(&format!(
        "SELECT {} FROM nominals WHERE id = ?1 AND status = 'active'",
        crate::db::NOMINAL_COLUMNS
    ))?;
    let mut rows: Vec<(WireNominal, Vec<(String, String)>)> = Vec::with_capacity(ids.len());
    for id in &ids {
        if let Some(w) = load.query_row([id], crate::db::nominal_of).optional()? {
            let names = names_of(&w);
            rows.push((w, names));
        }
    }
    let mut freq_stmt = conn.prepare_cached("SELECT n FROM name_key_counts WHERE key = ?1")?;
    let mut freq: HashMap<String, u32> = HashMap::new();
    let mut freq_of = |surname: &str| -> rusqlite::Result<u32> {
        let Some(k) = surname_freq_key(surname) else { return Ok(0) };
        if let Some(f) = freq.get(&k) {
            return Ok(*f);
        }
        let f: i64 = freq_stmt.query_row([&k], |r| r.get(0)).optional()?.unwrap_or(0);
        let f = u32::try_from(f.max(0)).unwrap_or(u32::MAX);
        freq.insert(k, f);
        Ok(f)
    };
    let mut cands = Vec::with_capacity(rows.len());
    for (i, (w, names)) in rows.iter().enumerate() {
        let mut cn = Vec::with_capacity(names.len());
        for (g, s) in names {
            cn.push(CandidateName { given: g, surname: s, surname_freq: freq_of(s)? });
        }
        cands.push(Candidate {
            id: i,
            names: cn,
            dob: w.date_of_birth.as_deref().and_then(Date::parse),
            sex: w.sex.as_deref().and_then(Sex::parse),
        });
    }
    let total: i64 = conn
        .query_row("SELECT n FROM name_key_counts WHERE key = ?1", [TOTAL_KEY], |r| r.get(0))
        .optional()?
        .unwrap_or(rows.len() as i64);
    let ranker = Ranker::new(&query, u64::try_from(total.max(0)).unwrap_or(0));
    let mut part_freqs = HashMap::new();
    for k in ranker.part_freq_keys() {
        let f: i64 = freq_stmt.query_row([&k], |r| r.get(0)).optional()?.unwrap_or(0);
        part_freqs.insert(k, u32::try_from(f.max(0)).unwrap_or(u32::MAX));
    }
    let ranker = ranker.with_part_freqs(part_freqs);
    Ok(ranker
        .rank(&cands, MAX_DUPLICATE_CANDIDATES)
        .into_iter()
        .filter(|h| h.score >= LIKELY_DUPLICATE_SCORE)
        .map(|h| DuplicateCandidate {
            nominal: rows[h.id].0.clone(),
            score: (f64::from(h.score) * 1000.0).round() / 1000.0,
            reasons: h.reasons,
        })
        .collect())
}
