//! Splink "historical figures with errors" (50 578 rows, 5 156 clusters): every record queries
//! all the others through the emulated store; we report the share of its other cluster members
//! found in its top 10 (divided by min(10, other members), and raw), name only and name+DOB.
//!
//! ```text
//! cargo run --release -p bluelamp-names --example splink -- [--data FILE] [--limit N] [--only-dob] [--show N]
//! ```
//!
//! `--only-dob` skips the name-only pass. `--show N` prints up to N cluster members missing
//! from a query's top 10 (every 7th query), with their score (`None`: not a candidate) and the
//! 10th score.

mod common;

use std::collections::HashMap;
use std::time::Instant;

use bluelamp_names::{Candidate, CandidateName, Date, DobQuery, Ranker, SearchQuery};
use common::*;

fn main() {
    let path =
        arg_value("--data").unwrap_or_else(|| "/work/shared/data/splink/historical_figures_with_errors_50k.csv".into());
    let show: usize = arg_value("--show").map_or(0, |s| s.parse().expect("--show N"));
    let limit: usize = arg_value("--limit").map_or(usize::MAX, |s| s.parse().expect("--limit N"));
    let (h, rows) = read_csv(&path);
    let (cl, g, s, d) = (col(&h, "cluster"), col(&h, "first_name"), col(&h, "surname"), col(&h, "dob"));
    let recs: Vec<(String, String, String, Option<Date>)> =
        rows.iter().map(|r| (r[cl].clone(), r[g].clone(), r[s].clone(), Date::parse(&r[d]))).collect();
    let mut members: HashMap<&str, Vec<u32>> = HashMap::new();
    for (i, r) in recs.iter().enumerate() {
        members.entry(r.0.as_str()).or_default().push(i as u32);
    }
    let mut store = KeyStore::default();
    for (i, r) in recs.iter().enumerate() {
        store.insert(i as u32, &[(r.1.as_str(), r.2.as_str())], r.3);
    }
    store.finish();
    println!("records {}, clusters {}, key rows {}", recs.len(), members.len(), store.rows);
    let total = recs.len() as u64;
    let only_dob = std::env::args().any(|a| a == "--only-dob");
    for with_dob in [false, true] {
        if only_dob && !with_dob {
            continue;
        }
        let (mut share10, mut raw, mut n, mut cands) = (0.0, 0.0, 0usize, 0usize);
        let t0 = Instant::now();
        let mut shown = 0usize;
        for (i, r) in recs.iter().enumerate().take(limit) {
            let others = members[r.0.as_str()].len() - 1;
            if others == 0 {
                continue;
            }
            n += 1;
            let mut q = SearchQuery::new(&r.1, &r.2);
            if with_dob {
                if let Some(d) = r.3 {
                    q = q.with_dob(DobQuery::Exact(d));
                }
            }
            let (ids, _) = store.run(&q.plan());
            cands += ids.len();
            let ranker = Ranker::new(&q, total);
            let ranker = {
                let f = store.part_freqs(&ranker);
                ranker.with_part_freqs(f)
            };
            let mut scored: Vec<(u32, f32)> = ids
                .iter()
                .filter(|&&id| id as usize != i)
                .filter_map(|&id| {
                    let c = &recs[id as usize];
                    ranker
                        .score(&Candidate {
                            id,
                            names: vec![CandidateName {
                                given: &c.1,
                                surname: &c.2,
                                surname_freq: store.surname_freq(&c.2),
                            }],
                            dob: c.3,
                            sex: None,
                        })
                        .map(|h| (id, h.score))
                })
                .collect();
            scored.sort_by(|a, b| b.1.total_cmp(&a.1));
            if shown < show && i % 7 == 0 {
                let cut = scored.get(9).map_or(f32::NEG_INFINITY, |x| x.1);
                for &m in &members[r.0.as_str()] {
                    if m as usize == i || scored.iter().take(10).any(|x| x.0 == m) {
                        continue;
                    }
                    let c = &recs[m as usize];
                    let sc = scored.iter().find(|x| x.0 == m).map(|x| x.1);
                    println!(
                        "  MISS q=({}, {}, {:?}) member=({}, {}, {:?}) score {sc:?} 10th {cut:.2}",
                        r.1,
                        r.2,
                        r.3.map(|d| d.compact()),
                        c.1,
                        c.2,
                        c.3.map(|d| d.compact())
                    );
                    shown += 1;
                }
            }
            scored.truncate(10);
            let found = scored.iter().filter(|(id, _)| recs[*id as usize].0 == r.0).count();
            share10 += found as f64 / others.min(10) as f64;
            raw += found as f64 / others as f64;
        }
        let el = t0.elapsed().as_secs_f64();
        println!(
            "{}: queries {n}  share of cluster found in top 10 (÷min(10,others)) {:.4}  raw share {:.4}  mean candidates {:.1}  µs/query {:.1}",
            if with_dob { "name+DOB " } else { "name only" },
            share10 / n as f64, raw / n as f64, cands as f64 / n as f64, el * 1e6 / n as f64
        );
    }
}
