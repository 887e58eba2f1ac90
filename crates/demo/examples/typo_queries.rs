//! Writes the typo-query CSV of `cargo xtask bench-search` (1M: 2 000 queries over
//! `people(n, seed)`) and the truth (qid → target id), for running `search-batch` by hand.
//!
//! `cargo run --release -p bluelamp-demo --example typo_queries -- <people> <queries> <seed> <q.csv> <truth.csv>`

use std::io::Write;

fn cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn main() -> std::io::Result<()> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = a.first().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let nq: usize = a.get(1).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let seed: u64 = a.get(2).and_then(|s| s.parse().ok()).unwrap_or(bluelamp_demo::DEMO_SEED);
    let q_path = a.get(3).map(String::as_str).unwrap_or("q.csv");
    let t_path = a.get(4).map(String::as_str).unwrap_or("truth.csv");
    let people = bluelamp_demo::people(n, seed);
    let queries = bluelamp_demo::typo_queries(&people, nq, seed);
    let mut q = std::io::BufWriter::new(std::fs::File::create(q_path)?);
    let mut t = std::io::BufWriter::new(std::fs::File::create(t_path)?);
    writeln!(q, "qid,given_name,surname,date_of_birth")?;
    writeln!(t, "qid,target_id")?;
    for x in &queries {
        writeln!(q, "{},{},{},{}", cell(&x.qid), cell(&x.given_name), cell(&x.surname), cell(&x.date_of_birth))?;
        writeln!(t, "{},{}", cell(&x.qid), cell(&x.target_id))?;
    }
    Ok(())
}
