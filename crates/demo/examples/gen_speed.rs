//! Times generating 1 000 000 synthetic people (plus queries and incidents) and prints a few
//! distribution figures and samples.
//!
//! `cargo run --release -p bluelamp-demo --example gen_speed [-- <people> <samples>]`

use std::collections::BTreeMap;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let samples: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(12);

    let t = Instant::now();
    let ps = bluelamp_demo::people(n, 42);
    let people_s = t.elapsed().as_secs_f64();
    println!("people({n}, 42): {people_s:.3} s ({:.0} people/s)", n as f64 / people_s);

    let t = Instant::now();
    let qs = bluelamp_demo::typo_queries(&ps, 10_000, 7);
    println!("typo_queries(10 000): {:.3} s", t.elapsed().as_secs_f64());

    let t = Instant::now();
    let incs = bluelamp_demo::incidents(&ps, 10_000, 7, 1_780_000_000);
    println!("incidents(10 000): {:.3} s", t.elapsed().as_secs_f64());

    let share = |f: &dyn Fn(&bluelamp_demo::Person) -> bool| {
        100.0 * ps.iter().filter(|p| f(p)).count() as f64 / ps.len().max(1) as f64
    };
    println!("Smith {:.2} %", share(&|p| p.surname == "Smith"));
    println!("legacy {:.2} %", share(&|p| p.legacy));
    println!("aliases {:.2} %", share(&|p| !p.aliases.is_empty()));
    println!("missing DOB {:.2} %", share(&|p| p.date_of_birth.is_empty()));
    println!("non-ASCII names {:.2} %", share(&|p| !format!("{}{}", p.given_name, p.surname).is_ascii()));
    println!("apostrophe/hyphen {:.2} %", share(&|p| format!("{}{}", p.given_name, p.surname).contains(['\'', '-'])));
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &ps {
        *counts.entry(p.surname.as_str()).or_default() += 1;
    }
    let mut top: Vec<(&str, usize)> = counts.iter().map(|(s, c)| (*s, *c)).collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    println!("distinct surnames {}; top 15:", counts.len());
    for (s, c) in top.iter().take(15) {
        println!("  {s:<14} {:.2} %", 100.0 * *c as f64 / ps.len().max(1) as f64);
    }
    for p in ps.iter().take(samples) {
        println!("{p:?}");
    }
    for q in qs.iter().take(samples) {
        let t = ps.iter().find(|p| p.id == q.target_id);
        if let Some(t) = t {
            println!(
                "{:<28} <- {:<28} {:?}",
                format!("{} {} {}", q.given_name, q.surname, q.date_of_birth),
                format!("{} {} {}", t.given_name, t.surname, t.date_of_birth),
                q.kinds
            );
        }
    }
    for i in incs.iter().take(samples.min(4)) {
        println!("{i:?}");
    }
}
