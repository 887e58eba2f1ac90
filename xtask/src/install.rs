//! Idempotent installation of everything the build and tests need. Quiet when present.
//! Versions are pinned to ones that install on these machines (see ARCHITECTURE.md).

use anyhow::{bail, Context};

use crate::util::{cargo, cmd, output, repo_root, run, step};

/// Debian packages: WebKitGTK and friends to compile and run Tauri, Xvfb and the WebKit
/// WebDriver for E2E tests, OpenSSL headers for SQLCipher.
pub const APT_PACKAGES: &[&str] = &[
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "librsvg2-dev",
    "libssl-dev",
    "pkg-config",
    "build-essential",
    "xvfb",
    "webkit2gtk-driver",
    "imagemagick",
];
pub const TRUNK_VERSION: &str = "0.21.14";
pub const TAURI_DRIVER_VERSION: &str = "2.1.0";

pub fn all() -> anyhow::Result<()> {
    apt()?;
    wasm_target()?;
    let installed = output(cargo().args(["install", "--list"])).unwrap_or_default();
    cargo_tool(&installed, "trunk", TRUNK_VERSION, true)?;
    cargo_tool(&installed, "wasm-bindgen-cli", &wasm_bindgen_version()?, false)?;
    cargo_tool(&installed, "tauri-driver", TAURI_DRIVER_VERSION, true)?;
    Ok(())
}

fn apt() -> anyhow::Result<()> {
    if !cfg!(target_os = "linux") || output(cmd("dpkg-query").arg("--version")).is_none() {
        return Ok(()); // not Debian: the README lists what to install by hand
    }
    let missing: Vec<&str> = APT_PACKAGES
        .iter()
        .copied()
        .filter(|p| {
            output(cmd("dpkg-query").args(["-W", "-f=${Status}", p]))
                .map(|s| !s.contains("install ok installed"))
                .unwrap_or(true)
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    step(&format!("install: apt packages {}", missing.join(" ")));
    let root = output(cmd("id").arg("-u")).map(|s| s.trim() == "0").unwrap_or(false);
    let sudo = |c: &str| {
        if root {
            cmd(c)
        } else {
            let mut s = cmd("sudo");
            s.arg(c);
            s
        }
    };
    run(sudo("apt-get").args(["update", "-qq"]))?;
    run(sudo("apt-get")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

fn wasm_target() -> anyhow::Result<()> {
    let installed = output(cmd("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        return Ok(());
    }
    step("install: rustup target wasm32-unknown-unknown");
    run(cmd("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// The wasm-bindgen version in Cargo.lock: the CLI must match it exactly.
pub fn wasm_bindgen_version() -> anyhow::Result<String> {
    let lock = std::fs::read_to_string(repo_root().join("Cargo.lock")).context("cannot read Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l.trim() == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|v| v.trim().strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_string());
            }
        }
    }
    bail!("wasm-bindgen not found in Cargo.lock")
}

fn cargo_tool(installed: &str, krate: &str, version: &str, locked: bool) -> anyhow::Result<()> {
    if installed.lines().any(|l| l.starts_with(&format!("{krate} v{version}"))) {
        return Ok(());
    }
    step(&format!("install: cargo install {krate} {version} (a few minutes, once)"));
    let mut c = cargo();
    c.args(["install", krate, "--version", version]);
    if locked {
        c.arg("--locked");
    }
    run(&mut c)
}
