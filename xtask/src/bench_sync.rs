//! Sync benchmarks (issue 7), release binaries over loopback through a byte-counting proxy:
//! - the initial pull of 1 000 000 nominals (`BLUELAMP_BENCH_SYNC_NOMINALS` to change) by a
//!   freshly enrolled `bluelamp-cli` (target ≤ 60 s), and bytes per nominal on the wire;
//! - the same pull killed with SIGKILL three times and resumed (it must complete, with the same
//!   records);
//! - a push of 10 000 submitted forms (target ≤ 10 s), then `stats`: each exactly once.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bluelamp_testkit::proxy::{FaultProxy, Plan};
use bluelamp_testkit::{free_port, wait_for_port, Proc};
use serde_json::Value;

use crate::bench::Entry;
use crate::util::{cargo, run, step, target_dir};

const PASS: &str = "bluelamp-demo";
const DISTRICT: &str = "demo-district";

fn cli(bin: &Path, db: &Path) -> Command {
    let mut c = Command::new(bin);
    c.arg("--db").arg(db).env("BLUELAMP_PASSPHRASE", PASS).stdin(Stdio::null());
    c
}

fn ok(c: &mut Command) -> anyhow::Result<String> {
    let out = c.output().with_context(|| format!("cannot run {c:?}"))?;
    if !out.status.success() {
        bail!("{c:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn run_bench(entries: &mut Vec<Entry>) -> anyhow::Result<()> {
    let n: usize = std::env::var("BLUELAMP_BENCH_SYNC_NOMINALS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    step("bench: sync (release bluelamp-central and bluelamp-cli)");
    run(cargo().args(["build", "--release", "-p", "bluelamp-cli", "-p", "bluelamp-central"]))?;
    let cli_bin = target_dir().join("release/bluelamp-cli");
    let central_bin = target_dir().join("release/bluelamp-central");
    let dir: PathBuf = target_dir().join("bench/sync");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let csv = dir.join("people.csv");
    let central_db = dir.join("central.db");

    step(&format!("bench: sync: {n} people into the central service"));
    ok(Command::new(&cli_bin).args(["demo", "generate", "--nominals", &n.to_string(), "--out"]).arg(&csv))?;
    let t = Instant::now();
    ok(Command::new(&central_bin)
        .arg("--db")
        .arg(&central_db)
        .args(["import", "nominals", "--csv"])
        .arg(&csv)
        .args(["--district", DISTRICT]))?;
    eprintln!("  central import: {:.1} s", t.elapsed().as_secs_f64());
    ok(Command::new(&central_bin)
        .arg("--db")
        .arg(&central_db)
        .args(["officer", "add", "--id", "bench-pusher", "--role", "officer", "--district", "bench-empty"])
        .env("BLUELAMP_PASSPHRASE", PASS))?;
    let port = free_port()?;
    let _server = Proc::spawn(
        "bluelamp-central",
        Command::new(&central_bin)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--db")
            .arg(&central_db)
            .arg("--seed-demo")
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )?;
    wait_for_port(port, Duration::from_secs(60), "bluelamp-central")?;
    let proxy = FaultProxy::start(format!("127.0.0.1:{port}").parse()?, Plan::Script(VecDeque::new()))?;
    let url = proxy.url();

    // 1. A clean initial pull.
    let a = dir.join("a.db");
    ok(cli(&cli_bin, &a).args(["enrol", "--server", &url, "--officer", "demo-officer", "--insecure-fast-kdf"]))?;
    let (_, down0) = proxy.bytes();
    let t = Instant::now();
    let out = ok(cli(&cli_bin, &a).args(["sync", "--json"]))?;
    let pull_s = t.elapsed().as_secs_f64();
    let (_, down1) = proxy.bytes();
    let v: Value = serde_json::from_str(&out)?;
    let pulled = v["pulled"].as_u64().unwrap_or(0);
    if v["outcome"] != "synced" || pulled < n as u64 {
        bail!("the initial pull did not complete: {v}");
    }
    let label = if n == 1_000_000 { "1m".to_string() } else { n.to_string() };
    entries.push(Entry::new(&format!("sync_initial_pull_{label}"), "s", pull_s).at_most(60.0));
    entries.push(Entry::new("sync_pull_bytes_per_nominal", "B", (down1 - down0) as f64 / pulled as f64));
    eprintln!("  pulled {pulled} records in {pull_s:.1} s, {} bytes down", down1 - down0);

    // 2. The same pull with three SIGKILLs, resumed each time.
    let b = dir.join("b.db");
    ok(cli(&cli_bin, &b).args(["enrol", "--server", &url, "--officer", "demo-officer", "--insecure-fast-kdf"]))?;
    let t = Instant::now();
    for k in 1..=3 {
        let mut p = Proc::spawn(
            "bluelamp-cli sync",
            cli(&cli_bin, &b).args(["sync"]).stdout(Stdio::null()).stderr(Stdio::null()),
        )?;
        std::thread::sleep(Duration::from_secs_f64(pull_s / 4.0));
        p.kill_now();
        eprintln!("  killed the pull ({k} of 3)");
    }
    let out = ok(cli(&cli_bin, &b).args(["sync", "--json"]))?;
    let killed_s = t.elapsed().as_secs_f64();
    let v: Value = serde_json::from_str(&out)?;
    let total_b = v["totals"]["pulled_total"].as_u64().unwrap_or(0);
    if v["outcome"] != "synced" {
        bail!("the pull did not complete after 3 kills: {v}");
    }
    entries.push(Entry::new(&format!("sync_initial_pull_{label}_with_3_kills"), "s", killed_s));
    eprintln!("  with 3 kills: {killed_s:.1} s, {total_b} records received in total (pages after a kill may repeat)");

    // 3. Push 10 000 forms.
    let c = dir.join("c.db");
    ok(cli(&cli_bin, &c).args(["enrol", "--server", &url, "--officer", "bench-pusher", "--insecure-fast-kdf"]))?;
    let t = Instant::now();
    ok(cli(&cli_bin, &c).args(["demo", "enqueue", "--forms", "10000"]))?;
    eprintln!("  wrote 10 000 forms locally in {:.1} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let out = ok(cli(&cli_bin, &c).args(["sync", "--json"]).env("BLUELAMP_SYNC_PUSH_BATCH", "500"))?;
    let push_s = t.elapsed().as_secs_f64();
    let v: Value = serde_json::from_str(&out)?;
    if v["outcome"] != "synced" || v["acknowledged"].as_u64().unwrap_or(0) < 10_000 {
        bail!("the push did not complete: {v}");
    }
    entries.push(Entry::new("sync_push_10k_forms", "s", push_s).at_most(10.0));
    let stats: Value =
        serde_json::from_str(&ok(Command::new(&central_bin).arg("--db").arg(&central_db).args(["stats", "--json"]))?)?;
    let dups = stats["duplicate_applications"].as_u64().unwrap_or(u64::MAX);
    entries.push(Entry::new("sync_duplicate_applications", "count", dups as f64).at_most(0.0));
    eprintln!("  pushed 10 000 forms in {push_s:.1} s; server stats: {stats}");
    Ok(())
}

/// `cargo xtask bench-sync`: only the sync figures, into `target/bench/sync-report.json`.
pub fn bench_only() -> anyhow::Result<()> {
    let mut entries = Vec::new();
    run_bench(&mut entries)?;
    crate::bench::write_named_report(&entries, "sync-report.json")
}
