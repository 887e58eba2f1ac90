//! Writes `bluelamp_demo::typo_queries` as a search-batch CSV (for tuning against a store built
//! from `demo generate`): `cargo run --release -p bluelamp-names --example typo_csv -- N_PEOPLE N_QUERIES OUT.csv`
//! Columns: qid,given_name,surname,date_of_birth,target_id,kinds.

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let n: usize = a[1].parse().expect("N_PEOPLE");
    let q: usize = a[2].parse().expect("N_QUERIES");
    let people = bluelamp_demo::people(n, bluelamp_demo::DEMO_SEED);
    let mut out = String::from("qid,given_name,surname,date_of_birth,target_id,kinds\n");
    let esc = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    for x in bluelamp_demo::typo_queries(&people, q, bluelamp_demo::DEMO_SEED) {
        out.push_str(&format!(
            "{},{},{},{},{},{}\n",
            x.qid,
            esc(&x.given_name),
            esc(&x.surname),
            x.date_of_birth,
            x.target_id,
            x.kinds.join("+")
        ));
    }
    std::fs::write(&a[3], out).expect("writable");
}
