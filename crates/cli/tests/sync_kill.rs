//! Process-level chaos for sync (issue 7): `bluelamp-cli sync` is killed with SIGKILL at random
//! points while it pushes and pulls (small batches and pages, so there are many commits to
//! interrupt), with new forms written and the server's data changing between runs. Then one
//! clean sync: every form is on the server exactly once, nothing is pending, and the local
//! copy equals the server's scope.
//!
//! 100 kills in the normal test run; `cargo xtask crash` runs 1 000 (`BLUELAMP_SYNC_KILLS`).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bluelamp_central::storage::ImportNominal;
use bluelamp_central::{Central, Config};
use bluelamp_protocol::wire::WireNominal;
use bluelamp_protocol::Source;

const PASS: &str = "bluelamp-demo";

fn cli(db: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bluelamp-cli"));
    c.arg("--db").arg(db).env("BLUELAMP_PASSPHRASE", PASS).stdin(Stdio::null());
    c
}

fn ok(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(out.status.success(), "{:?}: {}", c, String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn server_scope(central_db: &Path) -> BTreeSet<String> {
    let conn = rusqlite::Connection::open(central_db).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT record_id FROM changes WHERE record_type = 'nominal' AND op = 'upsert'
             AND scope = (SELECT scope FROM changes WHERE record_type = 'nominal' AND op = 'upsert'
                          GROUP BY scope ORDER BY count(*) DESC LIMIT 1)",
        )
        .unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

fn person(i: u64, district: &str) -> ImportNominal {
    ImportNominal {
        nominal: WireNominal {
            id: format!("K{i}"),
            given_name: ["Ann", "Bill", "Siobhán", "Łukasz", "Mohammed"][(i % 5) as usize].into(),
            surname: format!("Kill{}", i % 97),
            date_of_birth: Some(format!("19{:02}-0{}-1{}", 50 + i % 40, 1 + i % 9, i % 9)),
            sex: None,
            aliases: vec![],
            address: None,
            postcode: None,
            source: Source::Current,
            phones: vec![],
        },
        district: district.into(),
        markers: None,
        keep_phones: false,
    }
}

#[test]
fn sync_survives_sigkill_at_random_points() {
    let kills: u64 = std::env::var("BLUELAMP_SYNC_KILLS").ok().and_then(|s| s.parse().ok()).unwrap_or(100);
    let dir = tempfile::tempdir().unwrap();
    let central_db = dir.path().join("central.db");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let central = Central::open_with(&central_db, Config::for_tests()).unwrap();
    central.seed_demo(400).unwrap();
    let running = rt.block_on(bluelamp_central::spawn(central.clone(), "127.0.0.1:0".parse().unwrap())).unwrap();
    let url = running.url();
    let district = bluelamp_central::db::DEMO_DISTRICT;

    let db = dir.path().join("officer.db");
    ok(cli(&db).args(["enrol", "--server", &url, "--officer", "demo-officer", "--insecure-fast-kdf"]));
    ok(cli(&db).args(["demo", "enqueue", "--forms", "30"]));
    let mut forms = 30u64;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut next_person = 0u64;
    let started = Instant::now();
    let (mut killed, mut finished_first) = (0u64, 0u64);
    // The kill comes 2 ms + a random part of this window after the start. The window follows
    // how long a run takes on this machine (shorter after a run finished before its kill,
    // longer after a kill), so the kills stay spread over a whole run however fast the machine:
    // a fixed 70 ms window killed only a quarter of the runs on an idle machine.
    let mut window_ms = 70u64;
    let mut i = 0u64;
    while killed < kills {
        assert!(i < kills * 4, "only {killed} of {i} runs could be killed mid-way");
        if i.is_multiple_of(10) {
            ok(cli(&db).args(["demo", "enqueue", "--forms", "4"]));
            forms += 4;
        }
        if i.is_multiple_of(5) {
            // The server's data changes: new people, edits, and some leave the district.
            let mut rows: Vec<ImportNominal> = (0..60).map(|k| person(next_person + k, district)).collect();
            if next_person >= 60 {
                rows.push(person(next_person - 60, "elsewhere"));
                rows.push(person(next_person - 59, "elsewhere"));
            }
            next_person += 60;
            central.storage().import_nominals(&rows).unwrap();
        }
        let mut child = cli(&db)
            .args(["sync"])
            .env("BLUELAMP_SYNC_PUSH_BATCH", "3")
            .env("BLUELAMP_SYNC_PULL_LIMIT", "40")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(2 + rng.next() % window_ms));
        match child.try_wait().unwrap() {
            Some(_) => {
                finished_first += 1;
                window_ms = (window_ms * 3 / 4).max(4);
            }
            None => {
                child.kill().unwrap(); // SIGKILL
                killed += 1;
                window_ms = (window_ms + 3).min(500);
            }
        }
        let _ = child.wait();
        i += 1;
    }
    // One clean sync to quiescence.
    let out = ok(cli(&db).args(["sync", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["outcome"], "synced", "{v}");
    assert_eq!(v["pending"], 0, "{v}");
    assert_eq!(v["totals"]["rejected"], 0, "{v}");
    let stats = central.stats().unwrap();
    assert_eq!(stats.forms, forms, "every form arrived");
    assert_eq!(stats.duplicate_applications, 0, "and none twice");
    // The local copy equals the server's scope.
    let store = bluelamp_store::Store::open(&db, PASS).unwrap();
    let local: BTreeSet<String> = store
        .conn()
        .prepare("SELECT id FROM nominals WHERE server_version IS NOT NULL")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(local, server_scope(&central_db));
    assert!(store.audit_verify().unwrap().broken.is_none());
    let figures = format!(
        "sync kill: {killed} SIGKILLs of `bluelamp-cli sync` ({finished_first} runs finished before their kill; \
         last kill window {window_ms} ms), \
         {forms} forms on the server exactly once (duplicate applications {}), {} nominals in scope equal locally, \
         {:.1} s",
        stats.duplicate_applications,
        local.len(),
        started.elapsed().as_secs_f64()
    );
    eprintln!("{figures}");
    if let Ok(path) = std::env::var("BLUELAMP_SYNC_KILL_REPORT") {
        std::fs::write(path, figures).unwrap();
    }
    rt.block_on(running.stop());
}
