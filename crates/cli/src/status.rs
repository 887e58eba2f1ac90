//! `status`: a store's health for IT support and scripts. Without the passphrase, what its files
//! say (state, officer, key derivation, lock-out); with `--unlock`, also what it holds and what
//! it has not yet sent. `--fail-if-unsent` exits 2 when writes made on the device, or (on an
//! enrolled store) its access-log entries, have not reached the central service: the check to
//! run before a laptop is reimaged or handed on.

use std::path::Path;

use bluelamp_store::status::{outside, FileState, Inside, Outside};
use serde::Serialize;

/// Exit code of `--fail-if-unsent` when writes would be lost with the device (unsent, refused,
/// or a conflict waiting for a person), or, on an enrolled store, access-log entries the central
/// service has not acknowledged or has refused.
pub(crate) const UNSENT: i32 = 2;

#[derive(Serialize)]
struct Report<'a> {
    store: String,
    #[serde(flatten)]
    outside: &'a Outside,
    #[serde(skip_serializing_if = "Option::is_none")]
    inside: Option<&'a Inside>,
    /// Why the store could not be opened, when `--unlock` was asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    inside_error: Option<String>,
}

/// Prints the report; returns the exit code to end with (0, or [`UNSENT`]). An open that was
/// asked for and failed is an error, after the outside part is printed.
pub(crate) fn run(db: &Path, unlock: bool, fail_if_unsent: bool, json: bool) -> anyhow::Result<i32> {
    let (inside, inside_error) = if unlock || fail_if_unsent {
        match opened(db, &outside(db)) {
            Ok(i) => (Some(i), None),
            Err(e) => (None, Some(format!("{e:#}"))),
        }
    } else {
        (None, None)
    };
    // Read after the open: a wrong passphrase is counted (and, under a wipe policy, may have
    // erased the store), and the report says how things are now.
    let out = outside(db);
    let report = Report { store: db.display().to_string(), outside: &out, inside: inside.as_ref(), inside_error };
    if json {
        say!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        say!("{}", text(&report))?;
    }
    if let Some(e) = &report.inside_error {
        anyhow::bail!("cannot open {}: {e}", db.display());
    }
    Ok(if fail_if_unsent && inside.as_ref().is_some_and(Inside::holds_unsent) { UNSENT } else { 0 })
}

/// Opens the store (an unlock like any other: counted and logged) and reads what it holds.
fn opened(db: &Path, out: &Outside) -> anyhow::Result<Inside> {
    if out.state != FileState::Present {
        anyhow::bail!("{}", state_text(&out.state));
    }
    // Sign-in entries (this check's own unlock among them) are not counted as unsent records
    // (`Store::audit_unsent_records`): otherwise no store could pass the check, or pass it twice.
    Ok(crate::open_unchecked(db)?.inside_status()?)
}

fn state_text(s: &FileState) -> String {
    match s {
        FileState::Present => "present".into(),
        FileState::NotFound => "no store at this path".into(),
        FileState::NotAFile => "a folder, not a store file: name the store's database file".into(),
        FileState::InterruptedCreation => {
            "not a store: its creation was stopped part-way, so nothing was stored in it (init or the first sign-in \
             makes it again)"
                .into()
        }
        FileState::BeingCreated => "being created right now by another Bluelamp".into(),
        FileState::KeyFileMissing => "its key file (.keys) is missing: it cannot be opened without it".into(),
        FileState::KeyFileDamaged { reason } => format!("its key file (.keys) is damaged: {reason}"),
    }
}

fn text(r: &Report) -> String {
    let o = r.outside;
    let mut lines = vec![
        format!("store        {} ({})", crate::output::printable(&r.store), size(o.bytes)),
        format!("state        {}", state_text(&o.state)),
    ];
    if let Some(officer) = &o.officer_id {
        // From the key file as it is, checksum or not: written out, not obeyed, by a terminal.
        lines.push(format!("officer      {}", crate::output::printable(officer)));
    }
    if let Some(k) = o.kdf {
        let check = match o.key_checksum {
            Some(true) => "checksum matches",
            Some(false) => "checksum does NOT match",
            None => "no checksum yet (added at the next unlock)",
        };
        let memory = if k.m_kib >= 1024 { format!("{} MiB", k.m_kib / 1024) } else { format!("{} KiB", k.m_kib) };
        lines.push(format!("key file     Argon2id {memory}, {} passes, {} lanes; {check}", k.t, k.p));
    }
    lines.push(match (o.locked_out, o.locked_by_order) {
        (true, Some(order)) => {
            format!(
                "unlock       LOCKED by the central service's {} order: only an online sign-in opens it",
                order_name(order)
            )
        }
        (true, None) => "unlock       LOCKED after too many wrong passphrases: only an online sign-in opens it".into(),
        (false, _) => {
            format!("unlock       not locked; {} wrong passphrase(s) since the last unlock", o.wrong_passphrases)
        }
    });
    if let Some(i) = r.inside {
        let role = i.role.map(|r| format!("{r:?}").to_lowercase()).unwrap_or_else(|| "none set".into());
        lines.push(format!("role         {role}"));
        lines.push(format!(
            "schema       {} of {}; search keys {}",
            i.schema_version,
            i.schema_current,
            if i.search_keys_current { "current" } else { "to be rebuilt (reindex, or the next search)" }
        ));
        lines.push(format!(
            "people       {} ({} legacy, {} created here and not yet confirmed)",
            i.people, i.legacy_people, i.provisional_people
        ));
        lines.push(format!("incidents    {}", i.incidents));
        lines.push(format!(
            "outbox       {} not yet sent, {} refused by the central service, {} acknowledged",
            i.unsent, i.refused, i.acknowledged
        ));
        lines.push(format!("conflicts    {} waiting for a person", i.conflicts));
        lines.push(format!(
            "last sync    {}{}",
            i.last_sync_ok.as_deref().unwrap_or("never"),
            if i.pull_in_progress { " (a pull is part-way)" } else { "" }
        ));
        lines.push(format!(
            "server       {}",
            i.server.as_deref().map(crate::output::printable).unwrap_or_else(|| "not enrolled".into())
        ));
        lines.push(format!("device       {}", i.device_id));
        if let Some(order) = i.pending_order {
            lines.push(format!(
                "order        {} order from the central service, not yet carried out",
                order_name(order)
            ));
        }
        lines.push(format!(
            "access log   {} entries; {}",
            i.access_log_entries,
            match (&i.server, &i.access_log_refused) {
                (None, _) => "not enrolled: nowhere to send them".to_string(),
                (Some(_), Some(why)) => format!(
                    "{} not yet acknowledged by the central service, which REFUSED the log at the last sync: {}",
                    i.access_log_unsent,
                    crate::output::printable(why)
                ),
                (Some(_), None) => {
                    format!("{} not yet acknowledged by the central service", i.access_log_unsent)
                }
            }
        ));
        lines.push(if i.holds_unsent() {
            let mut why = Vec::new();
            if i.unsent > 0 {
                why.push(format!("{} writes not yet sent", i.unsent));
            }
            if i.refused > 0 {
                why.push(format!("{} writes refused", i.refused));
            }
            if i.conflicts > 0 {
                why.push(format!("{} conflicts waiting for a person", i.conflicts));
            }
            if i.log_unsent() {
                why.push(match &i.access_log_refused {
                    Some(_) => format!(
                        "{} access-log entries not yet acknowledged, and the central service refused the access log",
                        i.access_log_unsent
                    ),
                    None => format!("{} access-log entries not yet acknowledged", i.access_log_unsent),
                });
            }
            format!(
                "verdict      what was done here has NOT all reached the central service ({}): do not reimage or \
                 hand on this device",
                why.join(", ")
            )
        } else {
            "verdict      nothing written here is waiting to be sent or resolved".into()
        });
    }
    lines.join("\n")
}

fn order_name(o: bluelamp_protocol::wire::Instruction) -> &'static str {
    match o {
        bluelamp_protocol::wire::Instruction::Lock => "lock",
        bluelamp_protocol::wire::Instruction::Wipe => "wipe",
    }
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}
