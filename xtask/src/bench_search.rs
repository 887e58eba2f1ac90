//! Nominal search benchmarks (issue 4), run against the real release `bluelamp-cli`
//! (`import nominals`, `search-batch`) and the bench-only peers of `bluelamp-search-bench`
//! (`search-peers`: full-scan Jaro–Winkler, Tantivy fuzzy, SQLite FTS5 trigram), on the same
//! data in the same run.
//!
//! * FEBRL4: A imported, each B record queries (name only, then name + DOB); recall@1/@10 of
//!   its one true A record (positional: the CLI's own order).
//! * Splink historical 50k: every record queries all records (name + DOB where the app
//!   accepts the DOB: years 1850–2100); the share of the other members of its cluster in its
//!   top 10 (itself excluded), ÷ min(10, others). Peers run on every 50th record (and ours is
//!   also reported on that sample).
//! * 1 000 000 synthetic nominals (`demo generate`, `DEMO_SEED`): import time, DB size,
//!   latency p50/p95/p99 and recall over 2 000 `typo_queries`, then the time to rebuild every
//!   search key (`reindex --all`: the first unlock after an update). Peers (and ours again) on the
//!   first 100 000 people with 1 000 typo queries: a full scan per query at 1M is too slow for
//!   the time budget.
//!
//! Input data: `$BLUELAMP_BENCH_DATA` or `../shared/data` next to the repository.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};
use serde_json::Value;

use crate::bench::Entry;
use crate::util::{cargo, repo_root, step, target_dir};

const PASS: &str = "bench-passphrase";
const PEERS: [(&str, &str); 3] = [("jw", "jw_full_scan"), ("tantivy", "tantivy_fuzzy2"), ("fts5", "fts5_trigram")];

struct Line {
    qid: String,
    ids: Vec<String>,
    latency_us: f64,
}

fn bin(name: &str) -> PathBuf {
    target_dir().join("release").join(name)
}

fn sh(c: &mut Command) -> anyhow::Result<String> {
    let out = c.output().with_context(|| format!("cannot start {:?}", c.get_program()))?;
    if !out.status.success() {
        bail!(
            "{:?} {:?} failed: {}",
            c.get_program(),
            c.get_args().collect::<Vec<_>>(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn cli(db: &Path) -> Command {
    let mut c = Command::new(bin("bluelamp-cli"));
    c.arg("--db").arg(db).env("BLUELAMP_PASSPHRASE", PASS);
    c
}

fn fresh_db(db: &Path) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm", ".keys"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    sh(cli(db).args(["init", "--officer", "BENCH", "--insecure-fast-kdf"]))?;
    Ok(())
}

/// Imports and returns the wall time in seconds (whole CLI process).
fn import(db: &Path, csv: &Path, legacy: bool) -> anyhow::Result<f64> {
    let t = Instant::now();
    let mut c = cli(db);
    c.args(["import", "nominals", "--csv"]).arg(csv);
    if legacy {
        c.args(["--source", "legacy"]);
    }
    let out = sh(&mut c)?;
    let secs = t.elapsed().as_secs_f64();
    eprintln!("  import {}: {} in {secs:.1} s", csv.display(), out.trim());
    Ok(secs)
}

fn read_jsonl(path: &Path) -> anyhow::Result<Vec<Line>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{} missing", path.display()))?;
    let mut out = Vec::new();
    for l in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(l)?;
        out.push(Line {
            qid: v["qid"].as_str().unwrap_or("").to_string(),
            ids: v["ids"]
                .as_array()
                .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
                .unwrap_or_default(),
            latency_us: v["latency_us"].as_f64().unwrap_or(f64::NAN),
        });
    }
    Ok(out)
}

fn batch(db: &Path, queries: &Path, limit: u32, out: &Path) -> anyhow::Result<Vec<Line>> {
    sh(cli(db)
        .args(["search-batch", "--queries"])
        .arg(queries)
        .args(["--limit", &limit.to_string(), "--out"])
        .arg(out))?;
    read_jsonl(out)
}

fn peer(p: &str, records: &Path, queries: &Path, limit: u32, dob: bool, out: &Path) -> anyhow::Result<Vec<Line>> {
    let mut c = Command::new(bin("search-peers"));
    c.args(["--peer", p, "--records"]).arg(records).arg("--queries").arg(queries).arg("--out").arg(out);
    c.args(["--limit", &limit.to_string()]);
    if dob {
        c.arg("--use-dob");
    }
    let t = Instant::now();
    sh(&mut c)?;
    eprintln!(
        "  peer {p} on {} ({}): {:.1} s",
        queries.display(),
        if dob { "name+DOB" } else { "name" },
        t.elapsed().as_secs_f64()
    );
    read_jsonl(out)
}

fn recall(lines: &[Line], truth: &HashMap<String, String>, k: usize) -> f64 {
    let mut n = 0usize;
    let mut hit = 0usize;
    for l in lines {
        if let Some(t) = truth.get(&l.qid) {
            n += 1;
            if l.ids.iter().take(k).any(|i| i == t) {
                hit += 1;
            }
        }
    }
    if n == 0 {
        f64::NAN
    } else {
        hit as f64 / n as f64
    }
}

fn percentile_ms(lines: &[Line], p: f64) -> f64 {
    let mut v: Vec<f64> = lines.iter().map(|l| l.latency_us / 1000.0).collect();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn vs(entries: &mut Vec<Entry>, name: &str, unit: &str, ours: f64, peer_label: &str, peer_value: f64) {
    let mut e = Entry::new(&format!("{name}_vs_{peer_label}"), unit, round(ours));
    e.peer = Some((peer_label.to_string(), round(peer_value)));
    entries.push(e);
}

/// Reads a CSV into (header, rows).
fn read_csv(path: &Path) -> anyhow::Result<(Vec<String>, Vec<Vec<String>>)> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let h = r.headers()?.iter().map(|s| s.trim().to_string()).collect();
    let mut rows = Vec::new();
    for rec in r.records() {
        rows.push(rec?.iter().map(|s| s.trim().to_string()).collect());
    }
    Ok((h, rows))
}

fn col(h: &[String], name: &str) -> anyhow::Result<usize> {
    h.iter().position(|x| x == name).with_context(|| format!("no column {name}"))
}

/// A DOB the import accepts, or empty (the import would reject the whole row otherwise).
fn valid_dob(s: &str) -> String {
    bluelamp_protocol::dates::parse_dob(s).unwrap_or_default()
}

fn write_csv(path: &Path, header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(header)?;
    for r in rows {
        w.write_record(&r)?;
    }
    w.flush()?;
    Ok(())
}

const REC_HEADER: [&str; 4] = ["id", "given_name", "surname", "date_of_birth"];
const Q_HEADER: [&str; 4] = ["qid", "given_name", "surname", "date_of_birth"];

pub fn run(entries: &mut Vec<Entry>) -> anyhow::Result<()> {
    let started = Instant::now();
    step("bench search: release build of bluelamp-cli and the bench-only peers");
    crate::util::run(cargo().args(["build", "--release", "-p", "bluelamp-cli", "-p", "bluelamp-search-bench"]))?;
    let data = std::env::var_os("BLUELAMP_BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/data"));
    let dir = target_dir().join("bench/search");
    std::fs::create_dir_all(&dir)?;

    febrl4(entries, &data.join("febrl4"), &dir)?;
    splink(entries, &data.join("splink/historical_figures_with_errors_50k.csv"), &dir)?;
    synthetic(entries, &dir)?;
    step(&format!("bench search: done in {:.0} s", started.elapsed().as_secs_f64()));
    Ok(())
}

fn febrl4(entries: &mut Vec<Entry>, src: &Path, dir: &Path) -> anyhow::Result<()> {
    step("bench search: FEBRL4 recall (A imported, each B record queries)");
    let (ha, a) = read_csv(&src.join("A.csv"))?;
    let (hb, b) = read_csv(&src.join("B.csv"))?;
    let (hl, links) = read_csv(&src.join("links.csv"))?;
    let (ai, ag, as_, ad) =
        (col(&ha, "rec_id")?, col(&ha, "given_name")?, col(&ha, "surname")?, col(&ha, "date_of_birth")?);
    let (bi, bg, bs, bd) =
        (col(&hb, "rec_id")?, col(&hb, "given_name")?, col(&hb, "surname")?, col(&hb, "date_of_birth")?);
    let (la, lb) = (col(&hl, "rec_id_A")?, col(&hl, "rec_id_B")?);
    let truth: HashMap<String, String> = links.iter().map(|r| (r[lb].clone(), r[la].clone())).collect();
    let invalid = a.iter().filter(|r| !r[ad].is_empty() && valid_dob(&r[ad]).is_empty()).count();
    eprintln!("  {} A records ({invalid} with a DOB the import refuses: imported without DOB)", a.len());
    let recs = dir.join("febrl4_A.csv");
    write_csv(
        &recs,
        &REC_HEADER,
        a.iter().map(|r| vec![r[ai].clone(), r[ag].clone(), r[as_].clone(), valid_dob(&r[ad])]),
    )?;
    let q_name = dir.join("febrl4_q_name.csv");
    let q_dob = dir.join("febrl4_q_dob.csv");
    write_csv(&q_name, &Q_HEADER, b.iter().map(|r| vec![r[bi].clone(), r[bg].clone(), r[bs].clone(), String::new()]))?;
    write_csv(&q_dob, &Q_HEADER, b.iter().map(|r| vec![r[bi].clone(), r[bg].clone(), r[bs].clone(), r[bd].clone()]))?;
    let db = dir.join("febrl4.db");
    fresh_db(&db)?;
    import(&db, &recs, false)?;
    for (mode, q, dob, t1, t10) in [("name", &q_name, false, 0.90, 0.97), ("dob", &q_dob, true, 0.98, 0.995)] {
        let ours = batch(&db, q, 10, &dir.join(format!("febrl4_ours_{mode}.jsonl")))?;
        let (r1, r10) = (recall(&ours, &truth, 1), recall(&ours, &truth, 10));
        let label = if dob { "name_dob" } else { "name_only" };
        entries.push(Entry::new(&format!("search_febrl4_{label}_recall_at_1"), "ratio", round(r1)).at_least(t1));
        entries.push(Entry::new(&format!("search_febrl4_{label}_recall_at_10"), "ratio", round(r10)).at_least(t10));
        entries.push(Entry::new(&format!("search_febrl4_{label}_latency_p50"), "ms", round(percentile_ms(&ours, 0.5))));
        for (p, plabel) in PEERS {
            let got = peer(p, &recs, q, 10, dob, &dir.join(format!("febrl4_{p}_{mode}.jsonl")))?;
            vs(entries, &format!("search_febrl4_{label}_recall_at_1"), "ratio", r1, plabel, recall(&got, &truth, 1));
            vs(entries, &format!("search_febrl4_{label}_recall_at_10"), "ratio", r10, plabel, recall(&got, &truth, 10));
            vs(
                entries,
                &format!("search_febrl4_{label}_latency_p50"),
                "ms",
                percentile_ms(&ours, 0.5),
                plabel,
                percentile_ms(&got, 0.5),
            );
        }
    }
    Ok(())
}

/// Mean share of a record's other cluster members found in its top 10 (itself excluded).
fn cluster_share(
    lines: &[Line],
    cluster_of: &HashMap<String, String>,
    members: &HashMap<String, HashSet<String>>,
) -> f64 {
    let (mut sum, mut n) = (0.0, 0usize);
    for l in lines {
        let Some(c) = cluster_of.get(&l.qid) else {
            continue;
        };
        let others = members[c].len() - 1;
        if others == 0 {
            continue;
        }
        let found = l.ids.iter().filter(|i| **i != l.qid).take(10).filter(|i| members[c].contains(*i)).count();
        sum += found as f64 / others.min(10) as f64;
        n += 1;
    }
    if n == 0 {
        f64::NAN
    } else {
        sum / n as f64
    }
}

fn splink(entries: &mut Vec<Entry>, src: &Path, dir: &Path) -> anyhow::Result<()> {
    step("bench search: Splink historical 50k (cluster members in each record's top 10)");
    let (h, rows) = read_csv(src)?;
    let (ci, cc, cg, cs, cd) =
        (col(&h, "unique_id")?, col(&h, "cluster")?, col(&h, "first_name")?, col(&h, "surname")?, col(&h, "dob")?);
    let mut cluster_of = HashMap::new();
    let mut members: HashMap<String, HashSet<String>> = HashMap::new();
    for r in &rows {
        cluster_of.insert(r[ci].clone(), r[cc].clone());
        members.entry(r[cc].clone()).or_default().insert(r[ci].clone());
    }
    let with_dob = rows.iter().filter(|r| !valid_dob(&r[cd]).is_empty()).count();
    eprintln!(
        "  {} records, {} clusters, {with_dob} with a DOB the app accepts (1850–2100)",
        rows.len(),
        members.len()
    );
    let recs = dir.join("splink_records.csv");
    write_csv(
        &recs,
        &REC_HEADER,
        rows.iter().map(|r| vec![r[ci].clone(), r[cg].clone(), r[cs].clone(), valid_dob(&r[cd])]),
    )?;
    let q_all = dir.join("splink_q.csv");
    let q_sample = dir.join("splink_q_sample.csv");
    let q = |r: &Vec<String>| vec![r[ci].clone(), r[cg].clone(), r[cs].clone(), valid_dob(&r[cd])];
    write_csv(&q_all, &Q_HEADER, rows.iter().map(q))?;
    write_csv(&q_sample, &Q_HEADER, rows.iter().step_by(50).map(q))?;
    let db = dir.join("splink.db");
    fresh_db(&db)?;
    import(&db, &recs, false)?;
    let ours = batch(&db, &q_all, 11, &dir.join("splink_ours.jsonl"))?;
    let share = cluster_share(&ours, &cluster_of, &members);
    entries.push(Entry::new("search_splink50k_cluster_share_top10", "ratio", round(share)));
    entries.push(Entry::new("search_splink50k_latency_p50", "ms", round(percentile_ms(&ours, 0.5))));
    let sample: HashSet<String> = rows.iter().step_by(50).map(|r| r[ci].clone()).collect();
    let ours_sample: Vec<Line> = ours.into_iter().filter(|l| sample.contains(&l.qid)).collect();
    let ours_share = cluster_share(&ours_sample, &cluster_of, &members);
    for (p, plabel) in PEERS {
        let got = peer(p, &recs, &q_sample, 11, true, &dir.join(format!("splink_{p}.jsonl")))?;
        vs(
            entries,
            "search_splink50k_sample1k_cluster_share_top10",
            "ratio",
            ours_share,
            plabel,
            cluster_share(&got, &cluster_of, &members),
        );
        vs(
            entries,
            "search_splink50k_sample1k_latency_p50",
            "ms",
            percentile_ms(&ours_sample, 0.5),
            plabel,
            percentile_ms(&got, 0.5),
        );
    }
    Ok(())
}

fn typo_csv(path: &Path, queries: &[bluelamp_demo::Query]) -> anyhow::Result<HashMap<String, String>> {
    write_csv(
        path,
        &Q_HEADER,
        queries.iter().map(|q| vec![q.qid.clone(), q.given_name.clone(), q.surname.clone(), q.date_of_birth.clone()]),
    )?;
    Ok(queries.iter().map(|q| (q.qid.clone(), q.target_id.clone())).collect())
}

fn synthetic(entries: &mut Vec<Entry>, dir: &Path) -> anyhow::Result<()> {
    const N: usize = 1_000_000;
    const N_PEERS: usize = 100_000;
    let seed = bluelamp_demo::DEMO_SEED;
    step("bench search: 1 000 000 synthetic nominals (import, size, typo-query latency)");
    let people_csv = dir.join("people_1m.csv");
    sh(Command::new(bin("bluelamp-cli"))
        .args(["demo", "generate", "--nominals", &N.to_string(), "--seed", &seed.to_string(), "--out"])
        .arg(&people_csv))?;
    let people = bluelamp_demo::people(N, seed);
    let queries = bluelamp_demo::typo_queries(&people, 2000, seed);
    let q_path = dir.join("synthetic_q_1m.csv");
    let truth = typo_csv(&q_path, &queries)?;

    let db = dir.join("synthetic_1m.db");
    fresh_db(&db)?;
    // One file: its `source` column marks the legacy share, which the import honours.
    let secs = import(&db, &people_csv, false)?;
    entries.push(Entry::new("search_1m_import", "s", round(secs)).at_most(30.0));
    let size: u64 = ["", "-wal"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", db.display())).ok())
        .map(|m| m.len())
        .sum();
    entries.push(Entry::new("search_1m_db_size_file_plus_wal", "MB", round(size as f64 / 1e6)));
    let ours = batch(&db, &q_path, 10, &dir.join("synthetic_ours_1m.jsonl"))?;
    entries.push(Entry::new("search_1m_latency_p50", "ms", round(percentile_ms(&ours, 0.5))).at_most(5.0));
    entries.push(Entry::new("search_1m_latency_p95", "ms", round(percentile_ms(&ours, 0.95))));
    entries.push(Entry::new("search_1m_latency_p99", "ms", round(percentile_ms(&ours, 0.99))).at_most(20.0));
    entries.push(Entry::new("search_1m_typo_recall_at_1", "ratio", round(recall(&ours, &truth, 1))));
    entries.push(Entry::new("search_1m_typo_recall_at_10", "ratio", round(recall(&ours, &truth, 10))));
    // The first unlock after an update that changed the key format rebuilds every key; the
    // lock screen promises "up to a minute for a large local cache". `reindex --all` also
    // deletes the current rows first (after a migration the table is dropped instead).
    let t = Instant::now();
    let said = sh(cli(&db).args(["reindex", "--all"]))?;
    let secs = t.elapsed().as_secs_f64();
    eprintln!("  reindex --all: {} ({secs:.1} s wall)", said.trim());
    entries.push(Entry::new("search_1m_rebuild_keys", "s", round(secs)).at_most(60.0));

    step("bench search: peers on the first 100 000 synthetic nominals (ours again at 100k)");
    let sub = &people[..N_PEERS];
    let recs = dir.join("people_100k.csv");
    write_csv(
        &recs,
        &REC_HEADER,
        sub.iter().map(|p| vec![p.id.clone(), p.given_name.clone(), p.surname.clone(), p.date_of_birth.clone()]),
    )?;
    let q100 = dir.join("synthetic_q_100k.csv");
    let truth100 = typo_csv(&q100, &bluelamp_demo::typo_queries(sub, 1000, seed))?;
    let db100 = dir.join("synthetic_100k.db");
    fresh_db(&db100)?;
    // Ours gets the full import format (aliases) at 100k, as the peers index main names only.
    let full100 = dir.join("people_100k_full.csv");
    {
        let text = std::fs::read_to_string(&people_csv)?;
        let head: String = text.lines().take(N_PEERS + 1).flat_map(|l| [l, "\n"]).collect();
        std::fs::write(&full100, head)?;
    }
    import(&db100, &full100, false)?;
    let ours = batch(&db100, &q100, 10, &dir.join("synthetic_ours_100k.jsonl"))?;
    let (o1, o10, o50) = (recall(&ours, &truth100, 1), recall(&ours, &truth100, 10), percentile_ms(&ours, 0.5));
    entries.push(Entry::new("search_100k_typo_recall_at_10", "ratio", round(o10)));
    for (p, plabel) in PEERS {
        let got = peer(p, &recs, &q100, 10, true, &dir.join(format!("synthetic_{p}_100k.jsonl")))?;
        vs(entries, "search_100k_typo_recall_at_1", "ratio", o1, plabel, recall(&got, &truth100, 1));
        vs(entries, "search_100k_typo_recall_at_10", "ratio", o10, plabel, recall(&got, &truth100, 10));
        vs(entries, "search_100k_latency_p50", "ms", o50, plabel, percentile_ms(&got, 0.5));
        vs(entries, "search_100k_latency_p99", "ms", percentile_ms(&ours, 0.99), plabel, percentile_ms(&got, 0.99));
    }
    Ok(())
}

/// `cargo xtask bench-search`: only these benchmarks (no app build), written to
/// `target/bench/search-report.json` in the same shape as `report.json`.
pub fn bench_only() -> anyhow::Result<()> {
    let mut entries = Vec::new();
    run(&mut entries)?;
    let out = target_dir().join("bench/search-report.json");
    let json: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut v = serde_json::json!({ "name": e.name, "unit": e.unit, "value": e.value });
            if let Some(t) = e.target {
                v["target"] = serde_json::json!(t);
                v["met"] = serde_json::json!(if e.lower_is_better { e.value <= t } else { e.value >= t });
            }
            if let Some((p, x)) = &e.peer {
                v["peer"] = serde_json::json!({ "name": p, "value": x });
            }
            v
        })
        .collect();
    std::fs::write(&out, serde_json::to_string_pretty(&serde_json::json!({ "benchmarks": json }))?)?;
    for e in &entries {
        let peer = e.peer.as_ref().map(|(p, x)| format!("  (peer {p}: {x})")).unwrap_or_default();
        let target = e.target.map(|t| {
            let met = if e.lower_is_better { e.value <= t } else { e.value >= t };
            format!("  target {t} {}", if met { "met" } else { "MISSED" })
        });
        eprintln!("  {:<62} {:>10.4} {:<5}{}{peer}", e.name, e.value, e.unit, target.unwrap_or_default());
    }
    step(&format!("bench search: wrote {}", out.display()));
    Ok(())
}
