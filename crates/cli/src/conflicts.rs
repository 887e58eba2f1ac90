//! `conflicts list / resolve` and `incident list / show / code`: conflicts shown to a person (issue 7), for
//! admins and scripts; the same store calls as the app's Conflicts view.

use anyhow::{bail, Context};
use bluelamp_protocol::conflicts::{parse_take, show_value, ConflictInfo};
use bluelamp_store::Store;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum ConflictsCmd {
    /// The unresolved conflicts: each contested field with base, mine and theirs.
    List {
        /// Print them as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Resolve one conflict: `--take mine`, `--take theirs`, or per field
    /// `--take closing_code=theirs,status=mine`. Queues the resolution for the next sync.
    Resolve {
        #[arg(long)]
        id: String,
        #[arg(long)]
        take: String,
    },
}

#[derive(Subcommand)]
pub enum IncidentCmd {
    /// The incidents on this device (JSON).
    List,
    /// One incident on this device (JSON): reference, closing code, status, links.
    Show {
        #[arg(long)]
        id: String,
    },
    /// Set (or, with `none`, clear) the closing code of an open incident on this device.
    /// `NFA-DUP` needs its reason: `--duplicate-of ID` (the original incident's id or reference)
    /// or `--no-incident-found "TEXT"`.
    Code {
        #[arg(long)]
        id: String,
        #[arg(long)]
        code: String,
        /// With `NFA-DUP`: the incident this one duplicates (id or reference, on this device).
        #[arg(long, conflicts_with = "no_incident_found")]
        duplicate_of: Option<String>,
        /// With `NFA-DUP`: no incident found, the officer's account in words.
        #[arg(long)]
        no_incident_found: Option<String>,
    },
}

fn print_text(list: &[ConflictInfo]) -> anyhow::Result<()> {
    use std::fmt::Write as _;
    let mut out = String::new();
    if list.is_empty() {
        let _ = writeln!(out, "no unresolved conflicts");
    }
    for c in list {
        let _ = writeln!(out, "{} {} {} ({}, {})", c.id, c.record_type, c.title, c.mutation, c.created_at);
        for f in &c.fields {
            let mark = if f.differs { "*" } else { " " };
            let _ = writeln!(
                out,
                "  {mark} {}: base {} | mine {} | theirs {}",
                f.label,
                show_value(&f.base),
                show_value(&f.mine),
                show_value(&f.theirs)
            );
            for (side, note) in [("mine", &f.mine_note), ("theirs", &f.theirs_note)] {
                if let Some(note) = note {
                    let _ = writeln!(out, "      {side}: {note}");
                }
            }
        }
    }
    crate::output::emit(&out)
}

pub fn run(store: &mut Store, cmd: ConflictsCmd) -> anyhow::Result<()> {
    match cmd {
        ConflictsCmd::List { json } => {
            let list = store.list_conflicts()?;
            crate::audit::consulted(store, "conflicts")?;
            crate::audit::Disclosed {
                object_ref: "conflicts",
                purpose: None,
                command: "conflicts list",
                ids: list.iter().map(|c| c.id.as_str()).collect(),
                people: Vec::new(),
                count: None,
            }
            .log_if_leaving(store)?;
            if json {
                say!("{}", serde_json::to_string_pretty(&list)?)?;
            } else {
                print_text(&list)?;
            }
        }
        ConflictsCmd::Resolve { id, take } => {
            let list = store.list_conflicts()?;
            let Some(c) = list.iter().find(|c| c.id == id.trim()) else {
                bail!("there is no unresolved conflict {id:?} (see `conflicts list`)");
            };
            let choices = parse_take(&take, &c.fields).map_err(anyhow::Error::msg).context("--take")?;
            let actor = store.actor()?;
            store.resolve_conflict(&actor, &c.id, &choices)?;
            note!("resolved {}; the resolution is queued for the next sync", c.id);
        }
    }
    Ok(())
}

pub fn run_incident(store: &mut Store, cmd: IncidentCmd) -> anyhow::Result<()> {
    match cmd {
        // Both name the people linked to incidents: logged before printing, as in the app.
        IncidentCmd::List => {
            let list = store.list_incidents()?;
            crate::audit::consulted(store, "incidents")?;
            crate::audit::Disclosed {
                object_ref: "incidents",
                purpose: None,
                command: "incident list",
                ids: list.iter().map(|i| i.id.as_str()).collect(),
                people: list.iter().flat_map(|i| i.links.iter().map(|l| l.nominal_id.as_str())).collect(),
                count: None,
            }
            .log_if_leaving(store)?;
            say!("{}", serde_json::to_string_pretty(&list)?)?;
        }
        IncidentCmd::Show { id } => {
            let incident = store.get_incident(id.trim())?;
            let actor = store.actor()?;
            store.audit(&actor, bluelamp_store::audit::incident_view_event(&incident.summary))?;
            let object_ref = format!("incident:{}", incident.summary.id);
            crate::audit::Disclosed {
                object_ref: &object_ref,
                purpose: None,
                command: "incident show",
                ids: vec![incident.summary.id.as_str()],
                people: incident.summary.links.iter().map(|l| l.nominal_id.as_str()).collect(),
                count: None,
            }
            .log_if_leaving(store)?;
            say!("{}", serde_json::to_string_pretty(&incident.summary)?)?;
        }
        IncidentCmd::Code { id, code, duplicate_of, no_incident_found } => {
            // "none" clears the code. An empty one is refused: from a script, it is more likely
            // an unset variable than a wish to clear the code.
            if code.trim().is_empty() {
                anyhow::bail!("--code is empty: give a closing code, or `none` to clear it");
            }
            let actor = store.actor()?;
            let code = Some(code.trim()).filter(|c| !c.eq_ignore_ascii_case("none"));
            let reason = bluelamp_protocol::casework::NfaDupReason::from_fields(
                duplicate_of.as_deref(),
                no_incident_found.as_deref(),
            )?;
            store.set_closing_code_with(&actor, id.trim(), code, reason.as_ref())?;
            let done = if code.is_some() { "set" } else { "cleared" };
            note!("closing code of {} {done}; queued for the next sync", id.trim());
        }
    }
    Ok(())
}
