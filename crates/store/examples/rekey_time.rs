fn main() {
    let a: Vec<String> = std::env::args().collect();
    let s = bluelamp_store::Store::open(std::path::Path::new(&a[1]), &a[2]).unwrap();
    let t = std::time::Instant::now();
    s.conn()
        .execute_batch(
            "DELETE FROM name_keys; DELETE FROM name_key_counts; DELETE FROM meta WHERE key = 'name_keys_version';",
        )
        .unwrap();
    println!("emptied in {:.1} s", t.elapsed().as_secs_f64());
    let t = std::time::Instant::now();
    let did = s.prepare_search().unwrap();
    println!("rebuilt={did} in {:.1} s", t.elapsed().as_secs_f64());
}
