//! Synthetic typo evaluation in memory: `bluelamp_demo::people(N)` (main names and aliases,
//! split like the store splits them) are indexed in the emulated key table, and
//! `bluelamp_demo::typo_queries` run through the plan and the `Ranker` (a year-only DOB is
//! `DobQuery::year`, like `search-batch`). Prints tie-aware R@1/R@10, truth in candidates and
//! mean candidates, overall and per DOB form.
//!
//! ```text
//! cargo run --release -p bluelamp-names --example typo_eval -- [--people N] [--queries Q] [--kinds] [--show-kind K]
//! ```
//!
//! `--kinds` adds a line per combination of perturbation kinds; `--show-kind K` (a combination
//! as `--kinds` prints it, e.g. `substitution+dob_missing`) prints that combination's queries
//! whose truth is not first, with the top three and their reasons, on stderr.
//!
//! The same queries as the bench's `search-batch` runs (`DEMO_SEED`); the figures differ from
//! the bench's only by tie-breaking (expected value here, store order there).

mod common;

use std::collections::HashMap;

use bluelamp_names::{Candidate, CandidateName, Date, DobQuery, NameQuery, Ranker, SearchQuery};
use common::*;

fn main() {
    let n: usize = arg_value("--people").map_or(100_000, |s| s.parse().expect("--people N"));
    let nq: usize = arg_value("--queries").map_or(5_000, |s| s.parse().expect("--queries Q"));
    let show_kinds = std::env::args().any(|a| a == "--kinds");
    let show_kind = arg_value("--show-kind");
    let people = bluelamp_demo::people(n, bluelamp_demo::DEMO_SEED);
    let names: Vec<Vec<(String, String)>> = people
        .iter()
        .map(|p| {
            let mut v = vec![(p.given_name.clone(), p.surname.clone())];
            v.extend(p.aliases.iter().map(|a| {
                let q = NameQuery::parse(a);
                (q.given, q.surname)
            }));
            v
        })
        .collect();
    let dobs: Vec<Option<Date>> = people.iter().map(|p| Date::parse(&p.date_of_birth)).collect();
    let mut store = KeyStore::default();
    for (i, ns) in names.iter().enumerate() {
        let pairs: Vec<(&str, &str)> = ns.iter().map(|(g, s)| (g.as_str(), s.as_str())).collect();
        store.insert(i as u32, &pairs, dobs[i]);
    }
    store.finish();
    let index_of: HashMap<&str, u32> = people.iter().enumerate().map(|(i, p)| (p.id.as_str(), i as u32)).collect();
    let total = people.len() as u64;
    println!("people {n}, key rows {} ({:.1}/record)", store.rows, store.rows as f64 / n as f64);

    // bucket -> (n, r1, r10, in_cands, cands)
    let mut stats: HashMap<String, (usize, f64, f64, usize, usize)> = HashMap::new();
    let mut times = Vec::new();
    for q in bluelamp_demo::typo_queries(&people, nq, bluelamp_demo::DEMO_SEED) {
        let Some(&truth) = index_of.get(q.target_id.as_str()) else {
            continue;
        };
        let mut query = SearchQuery::new(&q.given_name, &q.surname);
        let dob_form = if q.date_of_birth.is_empty() {
            "dob none"
        } else if q.date_of_birth.len() == 4 {
            if let Ok(y) = q.date_of_birth.parse::<i32>() {
                query.dob = DobQuery::year(y);
            }
            "dob year"
        } else {
            query.dob = Date::parse(&q.date_of_birth).map(DobQuery::Exact);
            "dob full"
        };
        let t = std::time::Instant::now();
        let (ids, _) = store.run(&query.plan());
        let ranker = Ranker::new(&query, total);
        let ranker = {
            let f = store.part_freqs(&ranker);
            ranker.with_part_freqs(f)
        };
        let mut freqs: HashMap<&str, u32> = HashMap::new();
        let mut scored: Vec<(u32, f32)> = Vec::with_capacity(ids.len());
        for &id in &ids {
            let cn: Vec<CandidateName> = names[id as usize]
                .iter()
                .map(|(g, s)| CandidateName {
                    given: g,
                    surname: s,
                    surname_freq: *freqs.entry(s.as_str()).or_insert_with(|| store.surname_freq(s)),
                })
                .collect();
            let c = Candidate { id, names: cn, dob: dobs[id as usize], sex: None };
            if let Some(h) = ranker.score(&c) {
                scored.push((id, h.score));
            }
        }
        times.push(t.elapsed().as_secs_f64() * 1e6);
        let (mut h1, mut h10, mut found) = (0.0, 0.0, 0);
        if let Some(ts) = scored.iter().find(|x| x.0 == truth).map(|x| x.1) {
            let greater = scored.iter().filter(|x| x.1 > ts).count();
            let equal = scored.iter().filter(|x| x.1 == ts).count();
            h1 = expected_hit(greater, equal, 1);
            h10 = expected_hit(greater, equal, 10);
            found = 1;
        }
        let kind_bucket = format!("kind {}", q.kinds.join("+"));
        if let Some(k) = &show_kind {
            if kind_bucket == format!("kind {k}") && h1 < 1.0 {
                let ts = scored.iter().find(|x| x.0 == truth).map(|x| x.1);
                let mut top = scored.clone();
                top.sort_by(|a, b| b.1.total_cmp(&a.1));
                eprintln!(
                    "MISS q=({:?},{:?},{:?}) truth={:?} {:?} score {:?}",
                    q.given_name,
                    q.surname,
                    q.date_of_birth,
                    names[truth as usize],
                    dobs[truth as usize].map(|d| d.to_string()),
                    ts
                );
                for (id, sc) in top.iter().take(3) {
                    let c = Candidate {
                        id: *id,
                        names: names[*id as usize]
                            .iter()
                            .map(|(g, s)| CandidateName { given: g, surname: s, surname_freq: store.surname_freq(s) })
                            .collect(),
                        dob: dobs[*id as usize],
                        sex: None,
                    };
                    eprintln!(
                        "   top {:?} {:?} {sc} {:?}",
                        names[*id as usize],
                        dobs[*id as usize].map(|d| d.to_string()),
                        ranker.score(&c).map(|h| h.reasons)
                    );
                }
            }
        }
        for b in ["all", dob_form, kind_bucket.as_str()] {
            if b.starts_with("kind") && !show_kinds {
                continue;
            }
            let e = stats.entry(b.to_string()).or_default();
            e.0 += 1;
            e.1 += h1;
            e.2 += h10;
            e.3 += found;
            e.4 += ids.len();
        }
    }
    times.sort_by(f64::total_cmp);
    let mut keys: Vec<&String> = stats.keys().collect();
    keys.sort();
    for k in keys {
        let (n, r1, r10, f, c) = stats[k];
        let nf = n as f64;
        println!(
            "{k:9}: queries {n}  R@1 {:.4}  R@10 {:.4}  truth in candidates {:.4}  mean candidates {:.1}",
            r1 / nf,
            r10 / nf,
            f as f64 / nf,
            c as f64 / nf
        );
    }
    println!("µs/query p50 {:.1} p99 {:.1}", percentile(&times, 0.5), percentile(&times, 0.99));
}
