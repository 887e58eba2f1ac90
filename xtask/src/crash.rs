//! `cargo xtask crash`: the kill -9 harness of `crates/store/tests/crash.rs` with 1 000 kills
//! (the normal `cargo test` run does 200). Same code; the kill count comes from
//! `BLUELAMP_CRASH_KILLS` (set it to run more), the seed from `BLUELAMP_CRASH_SEED`.

use anyhow::Context;

use crate::util::{cargo, run, step, target_dir};

const DEFAULT_KILLS: u64 = 1000;

pub fn crash() -> anyhow::Result<()> {
    let kills = match std::env::var("BLUELAMP_CRASH_KILLS") {
        Ok(s) => s.parse::<u64>().with_context(|| format!("BLUELAMP_CRASH_KILLS={s} is not a number"))?,
        Err(_) => DEFAULT_KILLS,
    };
    let report = target_dir().join("crash-report.txt");
    let _ = std::fs::remove_file(&report);
    step(&format!("crash: {kills} SIGKILLs of a store writer (forms + outbox + access log)"));
    run(cargo()
        .args([
            "test",
            "-p",
            "bluelamp-store",
            "--test",
            "crash",
            "--",
            "--exact",
            "kill9_crash_harness",
            "--nocapture",
        ])
        .env("BLUELAMP_CRASH_KILLS", kills.to_string())
        .env("BLUELAMP_CRASH_REPORT", &report))?;
    let figures = std::fs::read_to_string(&report).with_context(|| format!("no figures in {}", report.display()))?;
    step(figures.trim());

    let report = target_dir().join("sync-kill-report.txt");
    let _ = std::fs::remove_file(&report);
    step(&format!("crash: {kills} SIGKILLs of `bluelamp-cli sync` during push and pull"));
    run(cargo()
        .args(["test", "-p", "bluelamp-cli", "--test", "sync_kill", "--", "--nocapture"])
        .env("BLUELAMP_SYNC_KILLS", kills.to_string())
        .env("BLUELAMP_SYNC_KILL_REPORT", &report))?;
    let figures = std::fs::read_to_string(&report).with_context(|| format!("no figures in {}", report.display()))?;
    step(figures.trim());
    Ok(())
}
