//! `search` and `search-batch`.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context};
use bluelamp_protocol::dates::{parse_dob, parse_typed_dob};
use bluelamp_protocol::{SearchRequest, Source};
use bluelamp_store::{audit, Store};

#[derive(clap::Args)]
pub struct SearchArgs {
    /// Free text, e.g. "bill smyth" (order-free). Not with --given / --surname: use either the
    /// free text or the separate fields.
    #[arg(long, conflicts_with_all = ["given", "surname"])]
    name: Option<String>,
    #[arg(long)]
    given: Option<String>,
    #[arg(long)]
    surname: Option<String>,
    /// Exact date of birth (DD/MM/YYYY, YYYY-MM-DD or YYYYMMDD).
    #[arg(long, conflicts_with_all = ["dob_year", "age"])]
    dob: Option<String>,
    /// Year of birth.
    #[arg(long, conflicts_with = "age", value_parser = crate::whole_number, allow_hyphen_values = true)]
    dob_year: Option<u32>,
    /// With --dob-year: this many years either side.
    #[arg(long, requires = "dob_year", value_parser = crate::whole_number, allow_hyphen_values = true)]
    years_either_side: Option<u32>,
    /// Age range today, e.g. 30-40.
    #[arg(long, allow_hyphen_values = true)]
    age: Option<String>,
    /// M or F.
    #[arg(long)]
    sex: Option<String>,
    #[arg(long, value_parser = crate::whole_number, allow_hyphen_values = true)]
    limit: Option<u32>,
    /// Why you are searching (purpose code, recorded in the access log).
    #[arg(long)]
    purpose: Option<String>,
    /// Print a JSON array of hits.
    #[arg(long)]
    json: bool,
}

/// The same forms the search screen's age box takes (`35`, `30-40`, `30–40`).
/// A `--sex` value as import takes it: M, F, Male or Female in any case (anything else is left
/// for the request's validation to refuse).
pub(crate) fn sex_arg(s: &str) -> String {
    match s.trim().to_ascii_uppercase().as_str() {
        "MALE" => "M".to_string(),
        "FEMALE" => "F".to_string(),
        other => other.to_string(),
    }
}

fn parse_age(s: &str) -> anyhow::Result<(u32, u32)> {
    bluelamp_protocol::widen::parse_age_range(s).with_context(|| format!("--age {s}: expected MIN-MAX, e.g. 30-40"))
}

/// Every search is a consultation: its entry (query, result count) is committed to the access
/// log before any hit is printed.
pub fn run(store: &mut Store, a: SearchArgs) -> anyhow::Result<()> {
    let (age_min, age_max) = match &a.age {
        Some(s) => {
            let (x, y) = parse_age(s)?;
            (Some(x), Some(y))
        }
        None => (None, None),
    };
    let req = SearchRequest {
        name: a.name,
        given: a.given,
        surname: a.surname,
        // As typed by a person: DD/MM/YYYY as well as YYYY-MM-DD (the batch file stays strict).
        dob: a.dob.as_deref().map(parse_typed_dob).transpose().map_err(|e| anyhow::anyhow!("--dob: {e}"))?,
        dob_year: a.dob_year,
        years_either_side: a.years_either_side,
        age_min,
        age_max,
        sex: a.sex.map(|s| sex_arg(&s)),
        limit: a.limit,
    };
    req.validate().map_err(|e| anyhow::anyhow!(e.message))?;
    if let Some(n) = bluelamp_protocol::widen::script_note(&req) {
        note!("note: {n}");
    }
    // A date typed into --name is not searched (as on the screen, which offers to move it).
    let no_dob_given = req.dob.is_none() && req.dob_year.is_none() && req.age_min.is_none();
    if let Some((dob, _)) = req.name.as_deref().and_then(bluelamp_protocol::widen::dob_typed_in_name) {
        if no_dob_given {
            let flag = if dob.len() == 4 { "--dob-year" } else { "--dob" };
            note!("note: \u{201c}{dob}\u{201d} is not part of a name and was not searched; give it with {flag} {dob}");
        }
    }
    let actor = store.actor()?;
    // A refused query's own sentence ("The date of birth … is in the future."), not prefixed.
    let searched = store.search_logged_full(&actor, &req, a.purpose.as_deref()).map_err(|e| match e {
        bluelamp_store::StoreError::Invalid(m) => anyhow::anyhow!(m),
        e => anyhow::Error::from(e),
    })?;
    let hits = searched.hits;
    crate::audit::Disclosed {
        object_ref: "search:nominals",
        purpose: a.purpose.as_deref(),
        command: "search",
        ids: hits.iter().map(|h| h.id.as_str()).collect(),
        people: Vec::new(),
        count: None,
    }
    .log_if_leaving(store)?;
    // Fewer hits than asked for need not be everyone: a very common name is read in part. Said
    // on stderr, in --json mode too (its output keeps the shape scripts rely on).
    let cut_short = searched.cut_short && hits.len() < req.effective_limit() as usize;
    if a.json {
        say!("{}", serde_json::to_string(&hits)?)?;
    } else {
        // One write for the whole table (a closed pipe then stops it once, not per row).
        let mut table = String::new();
        for h in &hits {
            use std::fmt::Write as _;
            let _ = writeln!(
                table,
                "{:<14} {:<8} {:<30} {:<10} {:.2}  {}",
                h.id,
                if h.source == Source::Legacy { "legacy" } else { "current" },
                format!("{} {}", h.given_name, h.surname),
                h.date_of_birth.as_deref().unwrap_or("-"),
                h.score,
                h.reasons.join(", ")
            );
        }
        crate::output::emit(&table)?;
        note!("{} result(s)", hits.len());
        // The screen's advice when the results cannot tell people apart (not in --json output,
        // whose shape scripts rely on).
        if let Some(hint) = bluelamp_protocol::widen::narrowing_hint(&req, &hits) {
            note!("{hint}");
        }
    }
    if cut_short {
        note!(
            "More people may match than this search read (a very common name is read in part). \
             Add a date of birth, year or age to narrow the search."
        );
    }
    Ok(())
}

/// The DOB cell of a batch query: a full date (`YYYY-MM-DD`/`YYYYMMDD`), a year (`YYYY`), or
/// empty. Anything else, or a date after `today` (`YYYY-MM-DD`), is ignored for that query (the
/// name is still searched) and reported.
fn batch_dob(cell: Option<String>, req: &mut SearchRequest, today: &str) -> Option<String> {
    let cell = cell?;
    if cell.len() == 4 && cell.bytes().all(|b| b.is_ascii_digit()) {
        match cell.parse::<u32>() {
            Ok(_) if cell.as_str() > today.get(..4).unwrap_or("") => {
                return Some(format!("year '{cell}' is in the future; ignored"))
            }
            Ok(y) if (1850..=2100).contains(&y) => {
                req.dob_year = Some(y);
                return None;
            }
            _ => return Some(format!("year '{cell}' ignored")),
        }
    }
    match parse_dob(&cell) {
        Ok(d) if d.as_str() > today => Some(format!("'{cell}' is in the future; DOB ignored")),
        Ok(d) => {
            req.dob = Some(d);
            None
        }
        Err(e) => Some(format!("{e}; DOB ignored")),
    }
}

/// Queries per access-log transaction in `search-batch`.
const LOG_CHUNK: usize = 256;

/// One output line of `search-batch`. The fields are written in this order, which is the
/// contract's `{qid, ids, latency_us}`; `error` and `warning` follow only when set.
struct BatchLine {
    qid: String,
    /// Ranked ids; empty when the query could not run.
    ids: Vec<String>,
    /// Microseconds around the search call only.
    latency_us: u64,
    /// Why the query could not run (then `ids` is empty). Absent when it ran.
    error: Option<String>,
    /// A note on a query that ran anyway, e.g. an unreadable DOB that was ignored.
    warning: Option<String>,
}

impl BatchLine {
    /// The line as JSON, keys in field order (a `serde_json::Value` map would sort them).
    fn to_json(&self) -> String {
        let s = |v: &str| serde_json::Value::from(v).to_string();
        let ids: Vec<String> = self.ids.iter().map(|id| s(id)).collect();
        let mut line =
            format!("{{\"qid\":{},\"ids\":[{}],\"latency_us\":{}", s(&self.qid), ids.join(","), self.latency_us);
        for (key, v) in [("error", &self.error), ("warning", &self.warning)] {
            if let Some(v) = v {
                line.push_str(&format!(",\"{key}\":{}", s(v)));
            }
        }
        line.push('}');
        line
    }
}

/// Appends the consultation entries of a chunk of queries (one per query that ran) and the
/// disclosure of the ids the chunk writes to `out` (s.62: data leaving the store for a file), in
/// one transaction, then writes their result lines: no result line reaches the output before
/// its entries are committed.
fn flush_chunk(
    store: &mut Store,
    actor: &bluelamp_store::Actor,
    (events, ids): (&mut Vec<bluelamp_store::AuditEvent>, &mut Vec<String>),
    lines: &mut Vec<String>,
    (w, out): (&mut impl Write, &Path),
) -> anyhow::Result<()> {
    if !ids.is_empty() {
        let disclosed = crate::audit::Disclosed {
            object_ref: "search:nominals",
            purpose: None,
            command: "search-batch",
            ids: ids.iter().map(String::as_str).collect(),
            people: Vec::new(),
            count: None,
        };
        let mut event = disclosed.event(crate::audit::file_destination(out));
        event.detail["queries"] = serde_json::json!(events.len());
        events.push(event);
        ids.clear();
    }
    if !events.is_empty() {
        store.audit_batch(actor, events)?;
        events.clear();
    }
    for l in lines.drain(..) {
        writeln!(w, "{l}").with_context(|| incomplete(out))?;
    }
    Ok(())
}

/// The error of a failed write to `search-batch`'s `--out` file (a full disk): which file, and
/// that what it holds is incomplete (it said only "No space left on device").
fn incomplete(out: &Path) -> String {
    format!("cannot write {}: the output file is incomplete (its last line may be cut off)", out.display())
}

/// `search-batch`: one store connection for all queries; `latency_us` is measured around the
/// search call only (not CSV parsing, JSON writing or the access log, nor the one-time
/// rebuild of stale search keys, done before the first query). A query that cannot run (no
/// name, bad input) yields `ids: []` plus an `error` field, and never stops the batch; a query
/// that ran with part of its input ignored (an unreadable DOB) gets a `warning` field.
/// Each query that ran gets its own consultation entry (query and result count), committed
/// [`LOG_CHUNK`] at a time before that chunk's lines are written, with one disclosure entry per
/// chunk naming the output file (absolute path) and the ids written to it.
pub fn batch(store: &mut Store, queries: &Path, limit: u32, out: &Path) -> anyhow::Result<()> {
    if limit == 0 || limit > bluelamp_protocol::search::MAX_LIMIT {
        bail!("--limit must be between 1 and {}", bluelamp_protocol::search::MAX_LIMIT);
    }
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(queries)
        .with_context(|| format!("cannot open {}", queries.display()))?;
    let headers = rdr.headers().context("cannot read the queries CSV header")?.clone();
    let col = |n: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(n));
    let (Some(c_qid), Some(c_given), Some(c_surname), Some(c_dob)) =
        (col("qid"), col("given_name"), col("surname"), col("date_of_birth"))
    else {
        bail!("the queries CSV header must be qid,given_name,surname,date_of_birth");
    };
    let mut w =
        std::io::BufWriter::new(std::fs::File::create(out).with_context(|| format!("cannot write {}", out.display()))?);
    let (mut n, mut failed) = (0usize, 0usize);
    let actor = store.actor()?;
    // `store.search` would rebuild stale search keys (after an update that changed their
    // format) inside the first query, and count minutes of rebuild as its latency: do it now.
    let started = Instant::now();
    if store.prepare_search()? {
        note!(
            "search keys were stale: rebuilt in {:.1} s before the first query (not in latency_us)",
            started.elapsed().as_secs_f64()
        );
    }
    let (mut events, mut lines) = (Vec::with_capacity(LOG_CHUNK + 1), Vec::with_capacity(LOG_CHUNK));
    // The ids the chunk's lines write to the file: its disclosure entry names them.
    let mut ids_out: Vec<String> = Vec::new();
    let today = {
        let d = bluelamp_store::search::today();
        format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
    };
    for (i, rec) in rdr.byte_records().enumerate() {
        // Every row gets its line, so a script can pair queries with answers: one that is not
        // UTF-8 text (a file saved as Windows-1252) or cannot be read answers with an error.
        let rec = match rec.map(csv::StringRecord::from_byte_record) {
            Ok(Ok(r)) => r,
            Ok(Err(bad)) => {
                let qid = bad.into_byte_record().get(c_qid).map(|q| String::from_utf8_lossy(q).trim().to_string());
                note!("query row {}: not UTF-8 text", i + 2);
                let error = Some("the query row is not UTF-8 text (save the file as UTF-8)".to_string());
                let line =
                    BatchLine { qid: qid.unwrap_or_default(), ids: Vec::new(), latency_us: 0, error, warning: None };
                lines.push(line.to_json());
                (n, failed) = (n + 1, failed + 1);
                continue;
            }
            Err(e) => {
                note!("query row {}: unreadable: {e}", i + 2);
                let error = Some(format!("the query row cannot be read: {e}"));
                let line = BatchLine { qid: String::new(), ids: Vec::new(), latency_us: 0, error, warning: None };
                lines.push(line.to_json());
                (n, failed) = (n + 1, failed + 1);
                continue;
            }
        };
        let get = |c: usize| rec.get(c).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        // No query cell holds a line break. One that does is either a quote left open, which
        // swallowed the lines after it (each of those lines that reads as a query row, with
        // three cells or more, gets its own error line by the qid it carries, so none goes
        // unanswered without a word), or a quoted cell with a line break in it: an error for
        // this query alone.
        if rec.iter().any(|f| f.contains('\n')) {
            let line = rec.position().map_or(i + 2, |p| usize::try_from(p.line()).unwrap_or(i + 2));
            let swallowed: Vec<String> = rec
                .iter()
                .flat_map(|f| f.lines().skip(1))
                .filter(|l| l.matches(',').count() >= 2)
                .filter_map(|l| l.split(',').nth(c_qid).map(|q| q.trim().trim_matches('"').to_string()))
                .filter(|q| !q.is_empty())
                .collect();
            if swallowed.is_empty() {
                note!("query row {} (line {line}): a cell holds a line break", i + 2);
                let error = format!(
                    "a cell of this query (line {line} of the queries file) holds a line break; a name or \
                     date is one line"
                );
                let qid = get(c_qid).map(|q| q.lines().next().unwrap_or_default().to_string()).unwrap_or_default();
                lines.push(
                    BatchLine { qid, ids: Vec::new(), latency_us: 0, error: Some(error), warning: None }.to_json(),
                );
                (n, failed) = (n + 1, failed + 1);
                continue;
            }
            note!("query row {} (line {line}): a quote left open swallows the lines after it", i + 2);
            let error = format!(
                "a quote left open on line {line} of the queries file runs on over the lines after it; \
                 fix the quote and run again"
            );
            let own = BatchLine {
                qid: get(c_qid).map(|q| q.lines().next().unwrap_or_default().to_string()).unwrap_or_default(),
                ids: Vec::new(),
                latency_us: 0,
                error: Some(error.clone()),
                warning: None,
            };
            lines.push(own.to_json());
            (n, failed) = (n + 1, failed + 1);
            for qid in swallowed {
                let error = Some(format!("not run: {error}"));
                lines.push(BatchLine { qid, ids: Vec::new(), latency_us: 0, error, warning: None }.to_json());
                (n, failed) = (n + 1, failed + 1);
            }
            continue;
        }
        let mut req =
            SearchRequest { given: get(c_given), surname: get(c_surname), limit: Some(limit), ..Default::default() };
        let warning = batch_dob(get(c_dob), &mut req, &today);
        let start = Instant::now();
        let result = req.validate().map_err(|e| e.message).and_then(|()| store.search(&req).map_err(|e| e.to_string()));
        let latency_us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
        let (ids, error) = match result {
            Ok(hits) => {
                events.push(audit::search_event(&req, &hits, None));
                ids_out.extend(hits.iter().map(|h| h.id.clone()));
                (hits.into_iter().map(|h| h.id).collect(), None)
            }
            Err(e) => {
                failed += 1;
                (Vec::new(), Some(e))
            }
        };
        let line = BatchLine { qid: get(c_qid).unwrap_or_default(), ids, latency_us, error, warning };
        lines.push(line.to_json());
        n += 1;
        if lines.len() >= LOG_CHUNK {
            flush_chunk(store, &actor, (&mut events, &mut ids_out), &mut lines, (&mut w, out))?;
        }
    }
    flush_chunk(store, &actor, (&mut events, &mut ids_out), &mut lines, (&mut w, out))?;
    w.flush().with_context(|| incomplete(out))?;
    note!("{n} queries written to {} ({failed} could not run)", out.display());
    Ok(())
}
