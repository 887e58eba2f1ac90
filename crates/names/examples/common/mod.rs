//! Shared helpers for the evaluation examples: CSV reading, an in-memory emulation of the
//! store's key table, and tie-aware recall.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::OnceLock;

use bluelamp_names::{
    born_value, record_keys, surname_freq_key, surname_index_keys, Lookup, Probe, QueryPlan, Ranker, Tier,
    SPELLING_WINDOW,
};

/// Minimal CSV reader (double-quoted fields, `""` escapes); header row returned separately.
pub fn read_csv(path: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut in_q = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (in_q, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => in_q = false,
            (true, c) => field.push(c),
            (false, '"') => in_q = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\r') => {}
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    let header = rows.remove(0);
    (header, rows)
}

pub fn col(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"))
}

/// In-memory stand-in for `name_keys(key, born, rk)`, primary key `(key, born, rk)`: each
/// key's rows in born order (0 = no DOB first), like the store reads them.
#[derive(Default)]
pub struct KeyStore {
    pub map: BTreeMap<String, Vec<(i32, u32)>>,
    pub rows: usize,
    /// The store's surname index (`name_key_counts`): every `SN:` key and its
    /// [`surname_index_keys`], built on the first spelling stage after the inserts.
    surname_index: OnceLock<BTreeSet<String>>,
}

impl KeyStore {
    pub fn insert(&mut self, id: u32, names: &[(&str, &str)], dob: Option<bluelamp_names::Date>) {
        let born = born_value(dob);
        for k in record_keys(names.iter().copied(), dob) {
            self.map.entry(k).or_default().push((born, id));
            self.rows += 1;
        }
    }

    /// Sorts each key's rows into primary-key order; call once after the inserts.
    pub fn finish(&mut self) {
        for v in self.map.values_mut() {
            v.sort_unstable();
        }
    }

    /// The store's row counts of the ranker's [`Ranker::part_freq_keys`].
    pub fn part_freqs(&self, ranker: &Ranker) -> HashMap<String, u32> {
        ranker
            .part_freq_keys()
            .into_iter()
            .map(|k| {
                let n = self.map.get(&k).map_or(0, |v| v.len() as u32);
                (k, n)
            })
            .collect()
    }

    pub fn surname_freq(&self, surname: &str) -> u32 {
        surname_freq_key(surname).and_then(|k| self.map.get(&k)).map_or(0, |v| v.len() as u32)
    }

    /// Runs a plan like the store would: all tight probes, broad ones while under the ceiling,
    /// each probe limited to its cap, and a probe that returns its full cap read again within
    /// the plan's DOB window (`BLUELAMP_NO_BORN_WINDOW=1` turns that off, for comparison); then
    /// the spelling stage when the plan has one and wants it (`BLUELAMP_NO_SPELLING=1` turns it
    /// off). Returns distinct ids and rows read.
    pub fn run(&self, plan: &QueryPlan) -> (Vec<u32>, usize) {
        let window = if std::env::var_os("BLUELAMP_NO_BORN_WINDOW").is_some() { None } else { plan.born };
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let mut rows = 0;
        // Candidates found by reads of the surname searched (the spelling stage's gate).
        let mut by_surname = 0;
        for p in &plan.probes {
            if p.tier == Tier::Broad && out.len() >= plan.max_candidates {
                break;
            }
            let before = out.len();
            self.probe(p, window, &mut seen, &mut out, &mut rows);
            if plan.spelling.as_ref().is_some_and(|s| s.reads_surname(&p.lookup)) {
                by_surname += out.len() - before;
            }
        }
        let spelling = plan.spelling.as_ref().filter(|_| std::env::var_os("BLUELAMP_NO_SPELLING").is_none());
        if let Some(scan) = spelling.filter(|s| s.wanted(by_surname)) {
            let index = self.surname_index.get_or_init(|| {
                let mut index = BTreeSet::new();
                for k in self.map.keys().filter(|k| k.starts_with("SN:")) {
                    index.extend(surname_index_keys(k));
                    index.insert(k.clone());
                }
                index
            });
            let mut keys: Vec<&str> = Vec::new();
            for (from, to) in &scan.ranges {
                keys.extend(index.range(from.clone()..to.clone()).map(String::as_str));
            }
            for w in &scan.windows {
                keys.extend(index.range(w.centre.clone()..w.to.clone()).take(SPELLING_WINDOW).map(String::as_str));
                keys.extend(
                    index.range(w.from.clone()..w.centre.clone()).rev().take(SPELLING_WINDOW).map(String::as_str),
                );
            }
            for p in scan.probes(keys) {
                self.probe(&p, window, &mut seen, &mut out, &mut rows);
            }
        }
        (out, rows)
    }

    fn probe(
        &self,
        p: &Probe,
        window: Option<(i32, i32)>,
        seen: &mut HashSet<u32>,
        out: &mut Vec<u32>,
        rows: &mut usize,
    ) {
        // A range read again within the window is read a third time for the records with no
        // DOB (born 0), as the store does: under one key they come first in the plain read.
        let range = matches!(p.lookup, Lookup::Range { .. });
        let passes: &[Option<(i32, i32)>] = match window {
            Some(w) if range && std::env::var_os("X_NO_KEEP").is_none() => &[None, Some(w), Some((0, 0))],
            Some(w) => &[None, Some(w)],
            None => &[None],
        };
        for (pass, filter) in passes.iter().enumerate() {
            let mut take = p.cap;
            let mut add = |ids: &[(i32, u32)], rows: &mut usize, take: &mut usize| {
                for &(born, id) in ids {
                    if *take == 0 {
                        break;
                    }
                    if let Some((lo, hi)) = filter {
                        if born < *lo || born > *hi {
                            continue;
                        }
                    }
                    *rows += 1;
                    *take -= 1;
                    if seen.insert(id) {
                        out.push(id);
                    }
                }
            };
            match &p.lookup {
                Lookup::Key(k) => {
                    if let Some(ids) = self.map.get(k) {
                        add(ids, rows, &mut take);
                    }
                }
                Lookup::Range { from, to } => {
                    for (_, ids) in self.map.range(from.clone()..to.clone()) {
                        if take == 0 {
                            break;
                        }
                        add(ids, rows, &mut take);
                    }
                }
            }
            // Only a saturated read is narrowed by the DOB window.
            if pass == 0 && take > 0 {
                break;
            }
        }
    }
}

/// Expected recall@k of `truth` under random tie-breaking: P(rank ≤ k) given `greater`
/// strictly better scores and `equal` scores equal to the truth's (including it).
pub fn expected_hit(greater: usize, equal: usize, k: usize) -> f64 {
    if greater >= k {
        0.0
    } else {
        ((k - greater) as f64 / equal as f64).min(1.0)
    }
}

/// Deterministic xorshift for synthetic distractors.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

pub fn arg_value(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

pub type Names = HashMap<u32, (String, String)>;
