use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask/ has a parent").to_path_buf()
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repo_root().join("target"))
}

/// A command run from the repository root, with `~/.cargo/bin` on PATH (tools installed by
/// `cargo install` live there).
pub fn cmd(program: &str) -> Command {
    let mut c = Command::new(program);
    c.current_dir(repo_root());
    if let Some(home) = std::env::var_os("HOME") {
        let bin = Path::new(&home).join(".cargo/bin");
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut parts: Vec<PathBuf> = std::env::split_paths(&path).collect();
        if !parts.contains(&bin) {
            parts.insert(0, bin);
        }
        if let Ok(joined) = std::env::join_paths(parts) {
            c.env("PATH", joined);
        }
    }
    c
}

pub fn cargo() -> Command {
    cmd(&std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

pub fn step(what: &str) {
    eprintln!("\n== xtask: {what}");
}

pub fn run(c: &mut Command) -> anyhow::Result<()> {
    let status = c.status().with_context(|| format!("cannot start {:?}", c.get_program()))?;
    if !status.success() {
        bail!("{:?} {:?} failed ({status})", c.get_program(), c.get_args().collect::<Vec<_>>());
    }
    Ok(())
}

/// Runs and returns stdout, or None if the program is missing or fails.
pub fn output(c: &mut Command) -> Option<String> {
    let out = c.output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}
