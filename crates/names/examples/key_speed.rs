//! Key computation throughput on synthetic names: `cargo run --release -p bluelamp-names --example key_speed -- FILE.csv`
//! (an import CSV; given_name and surname are the 2nd and 3rd columns, aliases ignored).

use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("FILE.csv");
    let text = std::fs::read_to_string(path).expect("readable");
    let rows: Vec<(String, String)> = text
        .lines()
        .skip(1)
        .take(200_000)
        .filter_map(|l| {
            let mut it = l.split(',');
            it.next()?;
            Some((it.next()?.to_string(), it.next()?.to_string()))
        })
        .collect();
    let t = Instant::now();
    let mut n = 0usize;
    for (g, s) in &rows {
        n += bluelamp_names::record_keys([(g.as_str(), s.as_str())], bluelamp_names::Date::new(1984, 3, 12)).len();
    }
    let e = t.elapsed().as_secs_f64();
    println!(
        "{} records, {n} keys ({:.1}/record), {:.2} µs/record",
        rows.len(),
        n as f64 / rows.len() as f64,
        e * 1e6 / rows.len() as f64
    );
}
