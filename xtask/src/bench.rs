//! `cargo xtask bench`: every speed and size target, measured, into `target/bench/report.json`.
//!
//! Each entry: `{name, unit, value, target?, met?, peer?}`. Figures are reported met or not.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bluelamp_testkit::{Proc, Xvfb};
use serde_json::{json, Value};

use crate::util::{cargo, repo_root, run, step, target_dir};

/// One measured figure. `lower_is_better` decides how `target` is compared.
pub struct Entry {
    pub name: String,
    pub unit: String,
    pub value: f64,
    pub target: Option<f64>,
    pub lower_is_better: bool,
    pub peer: Option<(String, f64)>,
}

impl Entry {
    pub fn new(name: &str, unit: &str, value: f64) -> Entry {
        Entry { name: name.into(), unit: unit.into(), value, target: None, lower_is_better: true, peer: None }
    }

    pub fn at_most(mut self, target: f64) -> Entry {
        self.target = Some(target);
        self.lower_is_better = true;
        self
    }

    pub fn at_least(mut self, target: f64) -> Entry {
        self.target = Some(target);
        self.lower_is_better = false;
        self
    }

    fn to_json(&self) -> Value {
        let mut v = json!({ "name": self.name, "unit": self.unit, "value": self.value });
        if let Some(t) = self.target {
            v["target"] = json!(t);
            v["met"] = json!(if self.lower_is_better { self.value <= t } else { self.value >= t });
        }
        if let Some((peer, value)) = &self.peer {
            v["peer"] = json!({ "name": peer, "value": value });
        }
        v
    }
}

pub fn bench() -> anyhow::Result<()> {
    crate::install::all()?;
    crate::frontend()?;
    step("bench: release build of the app");
    run(cargo().args(["build", "--release", "-p", "bluelamp", "--bin", "bluelamp"]))?;

    let mut entries = Vec::new();
    let app = target_dir().join("release/bluelamp");
    entries.push(Entry::new("app_binary_size", "MB", file_mb(&app)?).at_most(20.0));
    entries.push(Entry::new("frontend_wasm_size", "MB", wasm_mb()?).at_most(2.0));

    step("bench: cold start (launch until the search box is interactive)");
    let (first, warm) = cold_start(&app, 5)?;
    entries.push(Entry::new("cold_start_first_launch", "s", first).at_most(1.0));
    entries.push(Entry::new("cold_start_median", "s", median(warm)).at_most(1.0));

    // The search benchmarks take ~10 minutes; BLUELAMP_BENCH_SKIP_SEARCH=1 leaves them out.
    if std::env::var_os("BLUELAMP_BENCH_SKIP_SEARCH").is_none() {
        crate::bench_search::run(&mut entries)?;
    }
    crate::bench_shift::run(&mut entries)?;
    unlock_cost(&mut entries)?;
    // The sync benchmarks pull 1 000 000 nominals; BLUELAMP_BENCH_SKIP_SYNC=1 leaves them out.
    if std::env::var_os("BLUELAMP_BENCH_SKIP_SYNC").is_none() {
        crate::bench_sync::run_bench(&mut entries)?;
    }
    write_report(&entries)
}

fn file_mb(p: &Path) -> anyhow::Result<f64> {
    Ok(std::fs::metadata(p).with_context(|| format!("{} missing", p.display()))?.len() as f64 / 1_000_000.0)
}

fn wasm_mb() -> anyhow::Result<f64> {
    let dist = repo_root().join("frontend/dist");
    for e in std::fs::read_dir(&dist)? {
        let p = e?.path();
        if p.extension().is_some_and(|x| x == "wasm") {
            return file_mb(&p);
        }
    }
    bail!("no .wasm in {}", dist.display())
}

pub fn median(mut xs: Vec<f64>) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

/// Launch-to-ready times in seconds: the first launch on an empty data directory (creates and
/// seeds the demo store), then `runs` launches on the same directory. Measured from outside the
/// process: spawn until the app prints that the UI asked for its first status, which the UI
/// does once the search box is rendered and wired.
fn cold_start(app: &Path, runs: usize) -> anyhow::Result<(f64, Vec<f64>)> {
    let xvfb = Xvfb::start()?;
    let data = target_dir().join("bench/cold-start-data");
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data)?;
    let first = launch_once(app, &xvfb.display, &data)?;
    let mut warm = Vec::new();
    for _ in 0..runs {
        warm.push(launch_once(app, &xvfb.display, &data)?);
    }
    Ok((first, warm))
}

fn launch_once(app: &Path, display: &str, data: &Path) -> anyhow::Result<f64> {
    let start = Instant::now();
    let mut proc = Proc::spawn(
        "bluelamp",
        Command::new(app)
            .env("DISPLAY", display)
            .env("BLUELAMP_DATA_DIR", data)
            .env("BLUELAMP_REPORT_READY", "1")
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    )?;
    let stdout = proc.child_mut().stdout.take().context("no stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.starts_with("bluelamp: ready after") {
                let _ = tx.send(());
                return;
            }
        }
    });
    let got = rx.recv_timeout(Duration::from_secs(60));
    let elapsed = start.elapsed().as_secs_f64();
    proc.stop();
    got.map_err(|_| anyhow::anyhow!("the app did not report ready within 60 s"))?;
    Ok(elapsed)
}

fn write_report(entries: &[Entry]) -> anyhow::Result<()> {
    write_named_report(entries, "report.json")
}

pub fn write_named_report(entries: &[Entry], name: &str) -> anyhow::Result<()> {
    let dir = target_dir().join("bench");
    std::fs::create_dir_all(&dir)?;
    let report = json!({
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "benchmarks": entries.iter().map(Entry::to_json).collect::<Vec<_>>(),
    });
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
    step(&format!("bench: wrote {}", path.display()));
    for e in entries {
        let verdict = match e.target {
            Some(t) if (e.lower_is_better && e.value <= t) || (!e.lower_is_better && e.value >= t) => {
                format!("target {t} met")
            }
            Some(t) => format!("target {t} MISSED"),
            None => String::new(),
        };
        eprintln!("  {:<32} {:>12.3} {:<6} {verdict}", e.name, e.value, e.unit);
    }
    Ok(())
}

/// What one unlock costs with the production Argon2id parameters (`KdfParams::DEFAULT`): the
/// release CLI opening an empty store (key derivation + open + an empty search), median of 5.
fn unlock_cost(entries: &mut Vec<Entry>) -> anyhow::Result<()> {
    step("bench: unlock cost (Argon2id, production parameters)");
    run(cargo().args(["build", "--release", "-p", "bluelamp-cli"]))?;
    let cli = target_dir().join("release/bluelamp-cli");
    let dir = target_dir().join("bench/unlock");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("store.db");
    let status = Command::new(&cli)
        .arg("--db")
        .arg(&db)
        .args(["init", "--officer", "BENCH1"])
        .env("BLUELAMP_PASSPHRASE", "bench-passphrase")
        .status()?;
    if !status.success() {
        bail!("bluelamp-cli init failed");
    }
    let mut times = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let out = Command::new(&cli)
            .arg("--db")
            .arg(&db)
            .args(["search", "--name", "nobody", "--json"])
            .env("BLUELAMP_PASSPHRASE", "bench-passphrase")
            .output()?;
        if !out.status.success() {
            bail!("bluelamp-cli search failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        times.push(start.elapsed().as_secs_f64());
    }
    entries.push(Entry::new("unlock_argon2id", "s", median(times)));
    Ok(())
}
