//! `cargo xtask <command>`: Bluelamp's automation, in Rust so it runs wherever cargo does.
//!
//! - `run`: install what is missing, build the frontend, open the app (demo data).
//! - `test`: install, then fmt, clippy, unit/integration tests, and the WebKit E2E tests.
//! - `bench`: measured figures into `target/bench/report.json`.
//! - `install`: only the idempotent install step.
//! - `frontend`: only the trunk build.

mod bench;
mod bench_search;
mod bench_shift;
mod bench_sync;
mod crash;
mod install;
mod util;

use std::process::ExitCode;

use anyhow::bail;
use util::{cargo, repo_root, step};

const USAGE: &str = "usage: cargo xtask <run|test|bench|bench-search|bench-sync|crash|install|frontend>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(),
        Some("test") => test(),
        Some("bench") => bench::bench(),
        Some("bench-search") => bench_search::bench_only(),
        Some("bench-sync") => bench_sync::bench_only(),
        Some("crash") => crash::crash(),
        Some("install") => install::all(),
        Some("frontend") => install::all().and_then(|_| frontend()),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}

pub fn frontend() -> anyhow::Result<()> {
    step("frontend: trunk build --release (offline)");
    util::run(util::cmd("trunk").args(["build", "--release", "--offline"]).current_dir(repo_root().join("frontend")))
}

fn run() -> anyhow::Result<()> {
    install::all()?;
    frontend()?;
    if cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none()
    {
        bail!("no display (DISPLAY and WAYLAND_DISPLAY are unset). Run from a desktop session, or: xvfb-run -a cargo xtask run");
    }
    step("app: cargo run -p bluelamp");
    util::run(cargo().args(["run", "--quiet", "-p", "bluelamp", "--bin", "bluelamp"]))
}

fn test() -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    install::all()?;
    step("fmt: cargo fmt --all -- --check");
    util::run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    frontend()?;
    step("clippy: native crates");
    util::run(cargo().args(["clippy", "--all-targets", "--", "-D", "warnings"]))?;
    step("clippy: frontend (wasm32)");
    util::run(cargo().args([
        "clippy",
        "-p",
        "bluelamp-frontend",
        "--target",
        "wasm32-unknown-unknown",
        "--",
        "-D",
        "warnings",
    ]))?;
    step("clippy: e2e harness and the bench-only search peers");
    util::run(cargo().args([
        "clippy",
        "-p",
        "bluelamp-e2e",
        "-p",
        "bluelamp-search-bench",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    step("tests: unit and integration (all native crates)");
    util::run(cargo().args(["test"]))?;
    step("tests: the frontend's view logic (natively)");
    util::run(cargo().args(["test", "-p", "bluelamp-frontend"]))?;
    step("build: app and central service for the E2E tests");
    util::run(cargo().args(["build", "-p", "bluelamp", "-p", "bluelamp-central", "-p", "bluelamp-cli", "--bins"]))?;
    step("e2e: WebKit via tauri-driver under Xvfb");
    util::run(cargo().args(["test", "-p", "bluelamp-e2e", "--", "--test-threads=1"]))?;
    step(&format!("all green in {:.0} s", started.elapsed().as_secs_f64()));
    Ok(())
}
