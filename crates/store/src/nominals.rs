//! The nominal (person) cache: current and legacy records in one table, searched together.

use bluelamp_protocol::{NominalHit, SearchRequest, Source};
use rusqlite::{params, OptionalExtension};

use crate::{Result, Store, StoreError};

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

/// Lower-case ASCII letters only, for the simple prefix index.
fn fold(s: &str) -> String {
    deunicode::deunicode(s).chars().filter(|c| c.is_ascii_alphabetic()).map(|c| c.to_ascii_lowercase()).collect()
}

fn source_str(s: Source) -> &'static str {
    match s {
        Source::Current => "current",
        Source::Legacy => "legacy",
    }
}

impl Store {
    /// Inserts or replaces records (by id), all in one transaction.
    pub fn upsert_nominals(&mut self, rows: &[NominalRecord]) -> Result<usize> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO nominals (id, source, given_name, surname, date_of_birth, sex, aliases,
                                       address, postcode, given_fold, surname_fold, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, strftime('%Y-%m-%dT%H:%M:%fZ','now'))
                 ON CONFLICT(id) DO UPDATE SET source = excluded.source, given_name = excluded.given_name,
                    surname = excluded.surname, date_of_birth = excluded.date_of_birth, sex = excluded.sex,
                    aliases = excluded.aliases, address = excluded.address, postcode = excluded.postcode,
                    given_fold = excluded.given_fold, surname_fold = excluded.surname_fold,
                    updated_at = excluded.updated_at",
            )?;
            for r in rows {
                if r.id.trim().is_empty() {
                    return Err(StoreError::Invalid("a nominal needs an id".into()));
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
                ])?;
            }
        }
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
                "SELECT id, source, given_name, surname, date_of_birth, sex, address, postcode
                 FROM nominals WHERE id = ?1",
                [id],
                |r| row_to_hit(r, 1.0, Vec::new()),
            )
            .optional()?)
    }

    /// Walking-skeleton search: every word of the query must be a prefix of the folded given
    /// name or surname. The phonetic engine replaces this.
    pub fn search(&self, req: &SearchRequest) -> Result<Vec<NominalHit>> {
        req.validate().map_err(|e| StoreError::Invalid(e.message))?;
        let mut words: Vec<String> = Vec::new();
        for field in [&req.name, &req.given, &req.surname].into_iter().flatten() {
            words.extend(field.split_whitespace().map(fold).filter(|w| !w.is_empty()));
        }
        let Some(first) = words.first().cloned() else {
            return Ok(Vec::new());
        };
        let upper = format!("{first}\u{10FFFF}");
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, source, given_name, surname, date_of_birth, sex, address, postcode, given_fold, surname_fold
             FROM nominals WHERE surname_fold >= ?1 AND surname_fold < ?2
             UNION
             SELECT id, source, given_name, surname, date_of_birth, sex, address, postcode, given_fold, surname_fold
             FROM nominals WHERE given_fold >= ?1 AND given_fold < ?2",
        )?;
        let mut hits = Vec::new();
        let mut rows = stmt.query(params![first, upper])?;
        while let Some(r) = rows.next()? {
            let given: String = r.get(8)?;
            let surname: String = r.get(9)?;
            let all_match = words.iter().all(|w| given.starts_with(w.as_str()) || surname.starts_with(w.as_str()));
            if all_match {
                hits.push(row_to_hit(r, 1.0, vec!["name prefix".to_string()])?);
            }
        }
        hits.sort_by(|a, b| (&a.surname, &a.given_name, &a.id).cmp(&(&b.surname, &b.given_name, &b.id)));
        hits.truncate(req.effective_limit() as usize);
        Ok(hits)
    }
}

fn row_to_hit(r: &rusqlite::Row<'_>, score: f64, reasons: Vec<String>) -> rusqlite::Result<NominalHit> {
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
    })
}
