//! Crash harness (research §B.8): a child process writes forms, each with its outbox row and
//! access-log entry through `Store::user_write`, and prints `ACK <n>` after each commit; the
//! parent kills it with SIGKILL at random moments, then checks the store:
//!
//! - `PRAGMA integrity_check` is clean (and `PRAGMA cipher_integrity_check`, every page's
//!   HMAC, after every tenth kill and the last);
//! - every ACKed write is present (lost = 0);
//! - nothing is half-applied: write ids in forms, outbox and the access log are the same set,
//!   1..=M with no gaps or duplicates (M may exceed the last ACK by one: committed, killed
//!   before it printed);
//! - the audit chain verifies.
//!
//! The child is this test binary run again (`--exact crash_writer_child --ignored`) with
//! `BLUELAMP_CRASH_CHILD_DB` set. One store is reused across all kills.
//!
//! `BLUELAMP_CRASH_KILLS` sets the number of kills (default 200; `cargo xtask crash` runs
//! 1 000), `BLUELAMP_CRASH_SEED` the random seed (printed, to replay a failure).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bluelamp_store::{Actor, AuditAction, AuditEvent, KdfParams, OutboxMutation, Store};
use rand::{Rng, SeedableRng};
use serde_json::json;

const CHILD_DB: &str = "BLUELAMP_CRASH_CHILD_DB";
const PASS: &str = "crash-pass";
/// A child that is never killed stops by itself after this long.
const CHILD_LIFETIME: Duration = Duration::from_secs(60);

/// Write `n`: one form row, its outbox row and its access-log entry, in one transaction.
fn write_form(store: &mut Store, actor: &Actor, n: i64) -> bluelamp_store::Result<()> {
    let id = uuid::Uuid::now_v7().to_string();
    let event = AuditEvent::new(AuditAction::Collection, format!("form:{id}")).detail(json!({ "n": n }));
    let mutation = OutboxMutation { name: "form.submit/1".into(), payload: json!({ "form_id": id, "n": n }) };
    store.user_write(actor, event, Some(mutation), |tx| {
        tx.execute(
            "INSERT INTO forms (id, pack_id, pack_version, status, answers, created_by, created_at, updated_at)
             VALUES (?1, 'crash', 1, 'submitted', ?2, ?3, 'now', 'now')",
            rusqlite::params![
                id,
                json!({ "n": n, "pad": "x".repeat((n % 7 * 40) as usize) }).to_string(),
                actor.officer_id
            ],
        )?;
        Ok(())
    })
}

/// The last write id: the parent checked after the last kill that ids are exactly 1..=count.
fn max_n(store: &Store) -> i64 {
    store.conn().query_row("SELECT count(*) FROM forms WHERE pack_id = 'crash'", [], |r| r.get(0)).unwrap()
}

/// The child: writes until killed (or until `CHILD_LIFETIME`, or until stdout is gone).
#[test]
#[ignore = "a child process: its parent test runs it with --ignored"]
fn crash_writer_child() {
    let Ok(db) = std::env::var(CHILD_DB) else {
        return;
    };
    let mut out = std::io::stdout().lock();
    let mut store = Store::open(Path::new(&db), PASS).expect("child: open");
    let actor = store.actor().expect("child: actor");
    let mut n = max_n(&store) + 1;
    if writeln!(out, "READY").and_then(|()| out.flush()).is_err() {
        return;
    }
    let start = Instant::now();
    while start.elapsed() < CHILD_LIFETIME {
        write_form(&mut store, &actor, n).expect("child: write");
        if writeln!(out, "ACK {n}").and_then(|()| out.flush()).is_err() {
            return;
        }
        // Now and then a checkpoint, so that some kills land in one.
        if n % 16 == 0 {
            store.conn().execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").expect("child: checkpoint");
        }
        n += 1;
    }
}

#[derive(Debug, Default)]
struct Figures {
    kills: u64,
    acked_writes: u64,
    max_acked: i64,
    unacked_commits: u64,
    kills_before_ready: u64,
}

/// Opens the store after a kill and checks it; returns the highest committed write id.
/// `cipher_integrity_check` (every page's HMAC) is the slowest check: `full` asks for it.
fn check(db: &Path, max_acked: i64, full: bool) -> Result<i64, String> {
    let store = Store::open(db, PASS).map_err(|e| format!("reopen failed: {e}"))?;
    let c = store.conn();
    let rows = |sql: &str| -> Vec<String> {
        let mut st = c.prepare(sql).unwrap();
        st.query_map([], |r| r.get::<_, String>(0)).unwrap().collect::<Result<_, _>>().unwrap()
    };
    let integrity = rows("PRAGMA integrity_check");
    if integrity != ["ok"] {
        return Err(format!("integrity_check: {integrity:?}"));
    }
    let cipher = if full { rows("PRAGMA cipher_integrity_check") } else { Vec::new() };
    if !cipher.is_empty() {
        return Err(format!("cipher_integrity_check: {cipher:?}"));
    }
    let ids = |sql: &str| -> Vec<i64> {
        let mut st = c.prepare(sql).unwrap();
        st.query_map([], |r| r.get::<_, i64>(0)).unwrap().collect::<Result<_, _>>().unwrap()
    };
    let forms =
        ids("SELECT CAST(json_extract(answers, '$.n') AS INTEGER) AS n FROM forms WHERE pack_id = 'crash' ORDER BY n");
    let outbox =
        ids("SELECT json_extract(payload, '$.n') AS n FROM outbox WHERE mutation = 'form.submit/1' ORDER BY n");
    let audit = ids("SELECT json_extract(detail, '$.n') AS n FROM audit WHERE action = 'collection' ORDER BY n");
    if forms != outbox || forms != audit {
        return Err(format!(
            "half-applied write: forms {} / outbox {} / audit {} rows; first difference near n = {:?}",
            forms.len(),
            outbox.len(),
            audit.len(),
            forms.iter().zip(outbox.iter().zip(audit.iter())).find(|(f, (o, a))| f != o || f != a).map(|(f, _)| *f)
        ));
    }
    let m = forms.len() as i64;
    if forms.iter().enumerate().any(|(i, n)| *n != i as i64 + 1) {
        return Err(format!("write ids are not 1..={m} (gap or duplicate)"));
    }
    if m < max_acked {
        return Err(format!("LOST: {} ACKed write(s) missing (ACKed up to {max_acked}, store has {m})", max_acked - m));
    }
    if m > max_acked + 1 {
        return Err(format!("{m} writes committed but only {max_acked} ACKed: more than one unACKed commit"));
    }
    let total: i64 = c.query_row("SELECT count(*) FROM audit", [], |r| r.get(0)).unwrap();
    if total != m {
        return Err(format!("{total} access-log entries for {m} writes"));
    }
    let report = store.audit_verify().map_err(|e| format!("audit_verify failed: {e}"))?;
    if !report.is_ok() || report.entries != m as u64 {
        return Err(format!("audit chain: {report:?}"));
    }
    Ok(m)
}

enum Line {
    Ready,
    Ack(i64),
}

/// Kills the child `kills` times at random moments and checks the store after each.
fn harness(kills: u64, seed: u64) -> Figures {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    drop(Store::create(&db, PASS, "PC-CRASH", KdfParams::INSECURE_FAST).unwrap());
    let exe = std::env::current_exe().unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut fig = Figures::default();

    for k in 0..kills {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_writer_child", "--ignored", "--nocapture", "--test-threads=1", "-q"])
            .env(CHILD_DB, &db)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let l = if line == "READY" {
                    Line::Ready
                } else if let Some(n) = line.strip_prefix("ACK ").and_then(|n| n.parse().ok()) {
                    Line::Ack(n)
                } else {
                    continue;
                };
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });

        // One kill in five lands anywhere from the start (process start-up, opening, the first
        // write); the others some time after the store is open and writing.
        let early = rng.gen_ratio(1, 5);
        let delay = if early {
            Duration::from_micros(rng.gen_range(0..40_000))
        } else {
            match rx.recv_timeout(Duration::from_secs(20)) {
                Ok(Line::Ready) => {}
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("kill {k}: the child did not open the store: {}", err_reader.join().unwrap_or_default());
                }
            }
            Duration::from_micros(rng.gen_range(0..50_000))
        };
        std::thread::sleep(delay);
        if let Ok(Some(status)) = child.try_wait() {
            panic!("kill {k}: the child exited by itself ({status}): {}", err_reader.join().unwrap_or_default());
        }
        child.kill().unwrap(); // SIGKILL
        let _ = child.wait();
        reader.join().unwrap();
        let _ = err_reader.join();

        let mut ready = !early;
        for l in rx.try_iter() {
            match l {
                Line::Ready => ready = true,
                Line::Ack(n) => {
                    assert!(n > fig.max_acked, "kill {k}: ACK {n} after ACK {}", fig.max_acked);
                    fig.max_acked = n;
                    fig.acked_writes += 1;
                }
            }
        }
        fig.kills += 1;
        if !ready {
            fig.kills_before_ready += 1;
        }
        if (k + 1) % 100 == 0 {
            eprintln!("  {} kills, {} ACKed writes", k + 1, fig.acked_writes);
        }
        match check(&db, fig.max_acked, k % 10 == 9 || k + 1 == kills) {
            Ok(m) => {
                if m > fig.max_acked {
                    fig.unacked_commits += 1;
                    // The child will continue after m; count it as acknowledged by the check.
                    fig.max_acked = m;
                }
            }
            // Any lost ACKed write, or a damaged store, fails the run at once with the seed.
            Err(e) => panic!("after kill {k} (seed {seed}): {e}\nfigures so far: {fig:?}"),
        }
    }
    fig
}

#[test]
fn kill9_crash_harness() {
    let kills: u64 = std::env::var("BLUELAMP_CRASH_KILLS").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    let seed: u64 = std::env::var("BLUELAMP_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1)
    });
    let start = Instant::now();
    let fig = harness(kills, seed);
    let line = format!(
        "crash harness: {} kills ({} before the store was open), {} ACKed writes (+{} committed before their ACK), \
         none lost (every kill checked), seed {seed}, {:.1} s",
        fig.kills,
        fig.kills_before_ready,
        fig.acked_writes,
        fig.unacked_commits,
        start.elapsed().as_secs_f64()
    );
    eprintln!("{line}");
    if let Ok(path) = std::env::var("BLUELAMP_CRASH_REPORT") {
        let _ = std::fs::write(path, format!("{line}\n"));
    }
    assert_eq!(fig.kills, kills);
    assert!(fig.acked_writes > kills / 2, "too few writes between kills to mean anything: {fig:?}");
}
