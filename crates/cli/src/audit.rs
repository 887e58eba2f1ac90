//! `audit verify` and `audit list`: the access log (DPA 2018 s.62).
//!
//! `audit verify` prints `OK: N entries, head #S <hash>` and exits 0, or
//! `BROKEN at entry #S: <reason>` and exits 1 (`--json`: the full report, same exit codes).
//! Either line is followed by one `WARNING at entry #S: …` line for each entry timed more than
//! five minutes before the entry preceding it (the device's clock was set back): a warning for
//! IT to look at the device's clock, which does not change the exit code.

use anyhow::bail;
use bluelamp_protocol::audit::{AuditAction, AuditFilter};
use bluelamp_store::audit::GENESIS_HASH;
use bluelamp_store::{AuditEvent, Store};

#[derive(clap::Subcommand)]
pub enum AuditCmd {
    /// Check the hash chain, and its tail against the last head the central service
    /// acknowledged. Exit code 0 when intact, 1 when broken. An entry timed more than five
    /// minutes before the one preceding it (a clock set back) is a WARNING line, not a break.
    Verify {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List entries, newest first. Listing is itself logged (a consultation of the log).
    List {
        /// Only this officer's entries.
        #[arg(long)]
        officer: Option<String>,
        /// From this date (YYYY-MM-DD, UTC), inclusive.
        #[arg(long)]
        since: Option<String>,
        /// Up to this date (YYYY-MM-DD, UTC), inclusive.
        #[arg(long)]
        until: Option<String>,
        /// Object reference contains this (case-insensitive), e.g. a nominal id; or the entry names the id whole in its detail (a search that listed the person, an incident page that showed them).
        #[arg(long)]
        object: Option<String>,
        /// Only this action: collection, alteration, consultation, disclosure, combination,
        /// erasure, unlock, unlock_failed, lock.
        #[arg(long)]
        action: Option<String>,
        #[arg(long, default_value_t = bluelamp_protocol::audit::DEFAULT_LIMIT, value_parser = crate::whole_number)]
        limit: u32,
        /// Print a JSON array of entries.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(store: &mut Store, cmd: AuditCmd) -> anyhow::Result<()> {
    match cmd {
        AuditCmd::Verify { json } => verify(store, json),
        AuditCmd::List { officer, since, until, object, action, limit, json } => {
            let action = match action {
                None => None,
                Some(a) => match AuditAction::parse(a.trim()) {
                    Some(a) => Some(a),
                    None => {
                        bail!("--action {a}: expected one of {}", AuditAction::ALL.map(AuditAction::as_str).join(", "))
                    }
                },
            };
            let filter =
                AuditFilter { officer_id: officer, since, until, object_ref: object, action, limit: Some(limit) };
            list(store, &filter, json)
        }
    }
}

fn verify(store: &Store, json: bool) -> anyhow::Result<()> {
    let report = store.audit_verify()?;
    let written = if json {
        let mut v = serde_json::to_value(&report)?;
        v["ok"] = serde_json::Value::Bool(report.is_ok());
        say!("{v}")
    } else {
        match &report.broken {
            None => {
                let (seq, hash) = report.head.as_ref().map_or((0, GENESIS_HASH), |h| (h.seq, h.entry_hash.as_str()));
                // What the chain alone cannot show: a tail cut off, or an older copy of the store
                // put back, verifies too; only entries up to the service's acknowledged head
                // (the anchor) are checked against it. Said, not left to the JSON's `anchor`.
                let anchor = match &report.anchor {
                    Some(a) if a.seq >= seq => "all of them acknowledged by the central service".to_string(),
                    Some(a) => format!(
                        "the service acknowledged up to #{}; the {} after it are checked by their chain only \
                         (a restored older copy of the store also verifies)",
                        a.seq,
                        seq.saturating_sub(a.seq)
                    ),
                    None => "none acknowledged by a central service: checked by their chain only (a tail cut off, \
                             or a restored older copy of the store, also verifies)"
                        .to_string(),
                };
                say!("OK: {} entries, head #{seq} {hash}; {anchor}", report.entries)
            }
            Some(b) => say!("BROKEN at entry #{}: {}", b.seq, b.reason),
        }
        .and_then(|()| {
            let lines: String =
                report.warnings.iter().map(|w| format!("WARNING at entry #{}: {}\n", w.seq, w.message)).collect();
            crate::output::emit(&lines)
        })
    };
    if !report.is_ok() {
        // Exit code 1 with the report as the only output (not an "error:" line), also when the
        // report could not be written.
        if let Err(e) = &written {
            note!("error: {e:#}");
        }
        std::process::exit(1);
    }
    written
}

/// Writes a consultation of `object_ref` (e.g. `incident:…`, `incidents`, `duplicates`) to the
/// access log (DPA 2018 s.62), as the app does for the same screen. Called before anything is
/// printed, so personal data never leaves the store unlogged.
pub fn consulted(store: &mut Store, object_ref: impl Into<String>) -> anyhow::Result<()> {
    let actor = store.actor()?;
    store.audit(&actor, AuditEvent::new(AuditAction::Consultation, object_ref.into()))?;
    Ok(())
}

/// Standard output or standard error: where a command prints people's data.
#[derive(Clone, Copy)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

/// Where a stream goes, as a disclosure entry names it: `None` at a terminal (what is printed
/// is shown to the operator, which the consultation entry already covers); otherwise
/// `{"kind": "file" | "pipe" | "socket" | "device" | "other", "path": …}`, the path where the
/// system tells it (a file or device: `/proc/self/fd/N` on Linux).
pub(crate) fn destination(stream: Stream) -> Option<serde_json::Value> {
    use std::io::IsTerminal;
    let (terminal, fd) = match stream {
        Stream::Stdout => (std::io::stdout().is_terminal(), 1),
        Stream::Stderr => (std::io::stderr().is_terminal(), 2),
    };
    if terminal {
        return None;
    }
    let kind = stream_kind(stream);
    let path = if matches!(kind, "file" | "device") {
        std::fs::read_link(format!("/proc/self/fd/{fd}")).ok().map(|p| p.to_string_lossy().into_owned())
    } else {
        None
    };
    Some(serde_json::json!({ "kind": kind, "path": path }))
}

fn stream_kind(stream: Stream) -> &'static str {
    use std::os::fd::AsFd;
    use std::os::unix::fs::FileTypeExt;
    let fd = match stream {
        Stream::Stdout => std::io::stdout().as_fd().try_clone_to_owned(),
        Stream::Stderr => std::io::stderr().as_fd().try_clone_to_owned(),
    };
    let Ok(fd) = fd else { return "other" };
    let Ok(meta) = std::fs::File::from(fd).metadata() else { return "other" };
    let t = meta.file_type();
    if t.is_file() {
        "file"
    } else if t.is_fifo() {
        "pipe"
    } else if t.is_socket() {
        "socket"
    } else if t.is_char_device() || t.is_block_device() {
        "device"
    } else {
        "other"
    }
}

/// A file named on the command line (`--out`) as a disclosure entry's destination: its
/// absolute path.
pub(crate) fn file_destination(path: &std::path::Path) -> serde_json::Value {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    serde_json::json!({ "kind": "file", "path": abs.to_string_lossy() })
}

/// What a command writes out of the store, for its disclosure entry: ids and counts, never the
/// personal content.
pub(crate) struct Disclosed<'a> {
    /// What was disclosed, as the consultation names it: `nominal:<id>`, `search:nominals`,
    /// `incidents`, …
    pub object_ref: &'a str,
    pub purpose: Option<&'a str>,
    /// The CLI command, e.g. `show`, `search-batch`.
    pub command: &'a str,
    /// The records written out (each once).
    pub ids: Vec<&'a str>,
    /// People those records name, when the records are not people themselves (an incident's
    /// linked people, a referral decision's victim), so that "who disclosed person X" finds it.
    pub people: Vec<&'a str>,
    /// How many records were written, when they are not named in `ids` (log entries).
    pub count: Option<usize>,
}

impl Disclosed<'_> {
    /// The disclosure event for data sent to `destination`.
    pub(crate) fn event(&self, destination: serde_json::Value) -> AuditEvent {
        let unique = |v: &[&str]| -> Vec<String> {
            let mut seen = std::collections::BTreeSet::new();
            v.iter().filter(|s| seen.insert(**s)).map(|s| s.to_string()).collect()
        };
        let ids = unique(&self.ids);
        let mut detail = serde_json::json!({
            "via": "bluelamp-cli",
            "command": self.command,
            "destination": destination,
            "count": self.count.unwrap_or(ids.len()),
            "ids": ids,
        });
        if !self.people.is_empty() {
            detail["people"] = serde_json::json!(unique(&self.people));
        }
        let event = AuditEvent::new(AuditAction::Disclosure, self.object_ref).detail(detail);
        match self.purpose {
            Some(p) => event.purpose(p),
            None => event,
        }
    }

    /// Before personal data is printed: a disclosure entry when standard output is not a
    /// terminal (redirected to a file, piped to another program), naming where it goes. At a
    /// terminal nothing is added: the data is shown, and its consultation is already logged.
    pub(crate) fn log_if_leaving(&self, store: &mut Store) -> anyhow::Result<()> {
        self.log_if_leaving_by(store, Stream::Stdout)
    }

    /// As [`Self::log_if_leaving`], for data printed on `stream` (standard error carries the
    /// likely matches `nominal create` shows).
    pub(crate) fn log_if_leaving_by(&self, store: &mut Store, stream: Stream) -> anyhow::Result<()> {
        if let Some(destination) = destination(stream) {
            let actor = store.actor()?;
            store.audit(&actor, self.event(destination))?;
        }
        Ok(())
    }
}

fn list(store: &mut Store, filter: &AuditFilter, json: bool) -> anyhow::Result<()> {
    // Reading the log is a consultation too; it is logged before anything is shown.
    let actor = store.actor()?;
    let entries = store.audit_consult(&actor, filter)?;
    Disclosed {
        object_ref: "audit:log",
        purpose: None,
        command: "audit list",
        ids: Vec::new(),
        people: Vec::new(),
        count: Some(entries.len()),
    }
    .log_if_leaving(store)?;
    if json {
        say!("{}", serde_json::to_string(&entries)?)?;
    } else {
        use std::fmt::Write as _;
        // Control characters (an escape sequence in a stored field) are shown escaped, never
        // sent to the terminal, where they could rewrite what the reader sees.
        let shown = |s: &str| -> String {
            s.chars()
                .flat_map(|c| if c.is_control() { c.escape_default().collect::<Vec<_>>() } else { vec![c] })
                .collect()
        };
        let mut out = String::new();
        for e in &entries {
            let _ = writeln!(
                out,
                "#{:<6} {}  {:<10} {:<13} {:<8} {:<40} {:<16} {}",
                e.seq,
                e.ts,
                shown(&e.officer_id),
                e.action,
                e.outcome,
                shown(&e.object_ref),
                shown(e.purpose.as_deref().unwrap_or("-")),
                shown(&e.detail.to_string())
            );
        }
        crate::output::emit(&out)?;
        note!("{} entr{}", entries.len(), if entries.len() == 1 { "y" } else { "ies" });
    }
    Ok(())
}
