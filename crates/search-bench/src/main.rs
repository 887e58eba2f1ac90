//! `search-peers`: the systems a team might pick instead of Bluelamp's phonetic search, run on
//! the same records and queries, writing the same JSON lines as `bluelamp-cli search-batch`
//! (`{qid, ids, latency_us}`, latency measured around the search call only).
//!
//! ```text
//! search-peers --peer jw|tantivy|fts5 --records RECORDS.csv --queries QUERIES.csv \
//!              --out OUT.jsonl [--limit 10] [--use-dob]
//! ```
//!
//! * `jw`: full scan, score = max over (straight, given/surname swapped) of
//!   JW(given) + JW(surname) (jellyfish-style order-free baseline of the research note),
//!   + 1.0 when `--use-dob` and the DOB is equal.
//! * `tantivy`: in-RAM index of given name and surname (default tokenizer: lower-case words);
//!   each query word becomes a `FuzzyTermQuery` (Damerau–Levenshtein distance 2, transposition
//!   cost 1) on both fields, OR-ed, BM25; `--use-dob` adds a `TermQuery` on the DOB.
//! * `fts5`: SQLite FTS5 `trigram` table (diacritics removed) over given name and surname; the
//!   query's trigrams OR-ed, best 100 by bm25, re-ranked with the `jw` score (FTS5 has no edit
//!   distance of its own).
//!
//! Records CSV: header with `id,given_name,surname,date_of_birth` (other columns ignored).
//! Queries CSV: `qid,given_name,surname,date_of_birth`.

use std::collections::BinaryHeap;
use std::io::Write;
use std::time::Instant;

use anyhow::{bail, Context};
use strsim::jaro_winkler;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Schema, Value, STORED, STRING, TEXT};
use tantivy::{doc, Index, TantivyDocument, Term};

struct Rec {
    id: String,
    given: String,
    surname: String,
    dob: String,
}

/// Lower-case ASCII letters and single spaces.
fn norm(s: &str) -> String {
    let folded = deunicode::deunicode(s);
    let mut out = String::with_capacity(folded.len());
    for c in folded.chars() {
        if c.is_ascii_alphabetic() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with(' ') && !out.is_empty() {
            out.push(' ');
        }
    }
    out.trim_end().to_string()
}

fn dob_norm(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn read(path: &str, id_col: &str) -> anyhow::Result<Vec<Rec>> {
    let mut rdr =
        csv::ReaderBuilder::new().flexible(true).from_path(path).with_context(|| format!("cannot open {path}"))?;
    let h = rdr.headers()?.clone();
    let col = |n: &str| h.iter().position(|x| x.trim() == n).with_context(|| format!("{path}: no column {n}"));
    let (ci, cg, cs, cd) = (col(id_col)?, col("given_name")?, col("surname")?, col("date_of_birth")?);
    let mut out = Vec::new();
    for r in rdr.records() {
        let r = r?;
        let get = |c: usize| r.get(c).unwrap_or("").trim().to_string();
        out.push(Rec { id: get(ci), given: norm(&get(cg)), surname: norm(&get(cs)), dob: dob_norm(&get(cd)) });
    }
    Ok(out)
}

fn jw(a: &str, b: &str) -> f64 {
    if a.is_empty() || b.is_empty() {
        0.0
    } else {
        jaro_winkler(a, b)
    }
}

/// Order-free JW sum (+1 for an equal DOB when asked).
fn jw_score(q: &Rec, r: &Rec, use_dob: bool) -> f64 {
    let straight = jw(&q.given, &r.given) + jw(&q.surname, &r.surname);
    let swapped = jw(&q.given, &r.surname) + jw(&q.surname, &r.given);
    let dob = if use_dob && !q.dob.is_empty() && q.dob == r.dob { 1.0 } else { 0.0 };
    straight.max(swapped) + dob
}

/// Best `k` of `(score, index)` pairs, best first.
fn top_k(scores: impl Iterator<Item = (f64, usize)>, k: usize) -> Vec<usize> {
    #[derive(PartialEq)]
    struct Min(f64, usize);
    impl Eq for Min {}
    impl PartialOrd for Min {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Min {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            o.0.total_cmp(&self.0).then(self.1.cmp(&o.1))
        }
    }
    let mut heap = BinaryHeap::with_capacity(k + 1);
    for (s, i) in scores {
        if heap.len() < k {
            heap.push(Min(s, i));
        } else if heap.peek().is_some_and(|m: &Min| s > m.0) {
            heap.pop();
            heap.push(Min(s, i));
        }
    }
    let mut v: Vec<Min> = heap.into_vec();
    v.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    v.into_iter().map(|m| m.1).collect()
}

trait Peer {
    fn search(&mut self, q: &Rec, limit: usize) -> anyhow::Result<Vec<String>>;
}

struct FullScan<'a> {
    recs: &'a [Rec],
    use_dob: bool,
}

impl Peer for FullScan<'_> {
    fn search(&mut self, q: &Rec, limit: usize) -> anyhow::Result<Vec<String>> {
        if q.given.is_empty() && q.surname.is_empty() {
            return Ok(Vec::new());
        }
        let best = top_k(self.recs.iter().enumerate().map(|(i, r)| (jw_score(q, r, self.use_dob), i)), limit);
        Ok(best.into_iter().map(|i| self.recs[i].id.clone()).collect())
    }
}

struct Tantivy {
    index: Index,
    reader: tantivy::IndexReader,
    given: tantivy::schema::Field,
    surname: tantivy::schema::Field,
    dob: tantivy::schema::Field,
    id: tantivy::schema::Field,
    use_dob: bool,
}

impl Tantivy {
    fn build(recs: &[Rec], use_dob: bool) -> anyhow::Result<Tantivy> {
        let mut sb = Schema::builder();
        let id = sb.add_text_field("id", STRING | STORED);
        let given = sb.add_text_field("given", TEXT);
        let surname = sb.add_text_field("surname", TEXT);
        let dob = sb.add_text_field("dob", STRING);
        let index = Index::create_in_ram(sb.build());
        let mut w = index.writer(200_000_000)?;
        for r in recs {
            w.add_document(doc!(id => r.id.as_str(), given => r.given.as_str(), surname => r.surname.as_str(), dob => r.dob.as_str()))?;
        }
        w.commit()?;
        let reader = index.reader()?;
        Ok(Tantivy { index, reader, given, surname, dob, id, use_dob })
    }
}

impl Peer for Tantivy {
    fn search(&mut self, q: &Rec, limit: usize) -> anyhow::Result<Vec<String>> {
        let _ = &self.index;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for word in q.given.split(' ').chain(q.surname.split(' ')).filter(|w| !w.is_empty()) {
            for field in [self.given, self.surname] {
                clauses
                    .push((Occur::Should, Box::new(FuzzyTermQuery::new(Term::from_field_text(field, word), 2, true))));
            }
        }
        if clauses.is_empty() {
            return Ok(Vec::new());
        }
        if self.use_dob && !q.dob.is_empty() {
            clauses.push((
                Occur::Should,
                Box::new(TermQuery::new(Term::from_field_text(self.dob, &q.dob), IndexRecordOption::Basic)),
            ));
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        let mut ids = Vec::with_capacity(top.len());
        for (_, addr) in top {
            let d: TantivyDocument = searcher.doc(addr)?;
            if let Some(v) = d.get_first(self.id).and_then(|v| v.as_str()) {
                ids.push(v.to_string());
            }
        }
        Ok(ids)
    }
}

struct Fts5<'a> {
    conn: rusqlite::Connection,
    recs: &'a [Rec],
    use_dob: bool,
}

impl<'a> Fts5<'a> {
    fn build(recs: &'a [Rec], use_dob: bool) -> anyhow::Result<Fts5<'a>> {
        let conn = rusqlite::Connection::open_in_memory()?;
        conn.execute_batch(
            "CREATE VIRTUAL TABLE f USING fts5(given, surname, tokenize = 'trigram remove_diacritics 1');",
        )?;
        let tx = conn.unchecked_transaction()?;
        {
            let mut ins = tx.prepare("INSERT INTO f (rowid, given, surname) VALUES (?1, ?2, ?3)")?;
            for (i, r) in recs.iter().enumerate() {
                ins.execute(rusqlite::params![i as i64, r.given, r.surname])?;
            }
        }
        tx.commit()?;
        Ok(Fts5 { conn, recs, use_dob })
    }
}

impl Peer for Fts5<'_> {
    fn search(&mut self, q: &Rec, limit: usize) -> anyhow::Result<Vec<String>> {
        let mut grams: Vec<String> = Vec::new();
        for word in q.given.split(' ').chain(q.surname.split(' ')) {
            let b = word.as_bytes();
            for w in b.windows(3) {
                let g = String::from_utf8_lossy(w).into_owned();
                if !grams.contains(&g) {
                    grams.push(g);
                }
            }
        }
        if grams.is_empty() {
            return Ok(Vec::new());
        }
        let expr = grams.iter().map(|g| format!("\"{g}\"")).collect::<Vec<_>>().join(" OR ");
        let mut stmt = self.conn.prepare_cached("SELECT rowid FROM f WHERE f MATCH ?1 ORDER BY rank LIMIT 100")?;
        let rows: Vec<usize> =
            stmt.query_map([expr], |r| r.get::<_, i64>(0))?.filter_map(Result::ok).map(|i| i as usize).collect();
        let best = top_k(rows.into_iter().map(|i| (jw_score(q, &self.recs[i], self.use_dob), i)), limit);
        Ok(best.into_iter().map(|i| self.recs[i].id.clone()).collect())
    }
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let need = |n: &str| arg(&args, n).with_context(|| format!("missing {n}"));
    let peer = need("--peer")?;
    let records = read(&need("--records")?, "id")?;
    let queries = read(&need("--queries")?, "qid")?;
    let out = need("--out")?;
    let limit: usize = arg(&args, "--limit").map_or(Ok(10), |s| s.parse())?;
    let use_dob = args.iter().any(|a| a == "--use-dob");
    let t = Instant::now();
    let mut p: Box<dyn Peer + '_> = match peer.as_str() {
        "jw" => Box::new(FullScan { recs: &records, use_dob }),
        "tantivy" => Box::new(Tantivy::build(&records, use_dob)?),
        "fts5" => Box::new(Fts5::build(&records, use_dob)?),
        other => bail!("unknown peer {other} (jw, tantivy, fts5)"),
    };
    let build_s = t.elapsed().as_secs_f64();
    let mut w = std::io::BufWriter::new(std::fs::File::create(&out).with_context(|| format!("cannot write {out}"))?);
    for q in &queries {
        let t = Instant::now();
        let ids = p.search(q, limit)?;
        let latency_us = t.elapsed().as_micros() as u64;
        writeln!(w, "{}", serde_json::json!({ "qid": q.id, "ids": ids, "latency_us": latency_us }))?;
    }
    w.flush()?;
    eprintln!("{peer}: {} records indexed in {build_s:.2}s, {} queries", records.len(), queries.len());
    Ok(())
}
