//! `bluelamp-cli nominal create` and `duplicates list / resolve`: people created on the device
//! (provisional until the central service has matched them) and the possible duplicates it
//! finds (see `crates/store/src/provisional.rs` and docs/sync.md).

use anyhow::bail;
use bluelamp_protocol::nominal::{DuplicateDecision, NewNominal};
use bluelamp_store::provisional::Created;
use bluelamp_store::Store;
use clap::{Args, Subcommand};

#[derive(Subcommand)]
pub enum NominalCmd {
    /// Create a person on this device (provisional until the central service confirms it);
    /// field problems are listed and nothing is saved. Prints local likely matches first.
    Create(CreateArgs),
}

#[derive(Args)]
pub struct CreateArgs {
    #[arg(long)]
    given: String,
    #[arg(long)]
    surname: String,
    /// YYYY-MM-DD or YYYYMMDD.
    #[arg(long)]
    dob: Option<String>,
    /// M or F (Male or Female in any case, as import and search take it).
    #[arg(long)]
    sex: Option<String>,
    /// Repeat for several ("given surname").
    #[arg(long = "alias")]
    aliases: Vec<String>,
    #[arg(long)]
    address: Option<String>,
    #[arg(long)]
    postcode: Option<String>,
    /// Print {"nominal": …, "likely_matches": […]} (or {"issues": […]}) as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
pub enum DuplicatesCmd {
    /// Possible duplicates waiting for a decision.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Link the provisional person to an existing one, or confirm a new person.
    Resolve {
        /// The possible duplicate's id (from `duplicates list`).
        #[arg(long)]
        id: String,
        /// The person it is (one of the candidates).
        #[arg(long, conflicts_with = "new", required_unless_present = "new")]
        link: Option<String>,
        /// It is a new person.
        #[arg(long)]
        new: bool,
    },
}

pub fn create(store: &mut Store, a: CreateArgs) -> anyhow::Result<()> {
    let n = NewNominal {
        given_name: a.given,
        surname: a.surname,
        date_of_birth: a.dob,
        sex: a.sex.map(|s| crate::search::sex_arg(&s)),
        aliases: a.aliases,
        address: a.address,
        postcode: a.postcode,
    };
    let actor = store.actor()?;
    let likely = store.likely_matches(&actor, &n)?;
    match store.create_nominal(&actor, &n)? {
        Created::Invalid(issues) => {
            if a.json {
                say!("{}", serde_json::json!({ "issues": issues }))?;
            }
            for i in &issues {
                note!("{}: {}", i.field, i.message);
            }
            bail!("nothing was saved ({} problem(s))", issues.len());
        }
        Created::Saved(hit) => {
            if a.json {
                // The new person and the likely matches (people from the store), leaving for a
                // file or a program.
                crate::audit::Disclosed {
                    object_ref: "search:nominals",
                    purpose: None,
                    command: "nominal create",
                    ids: std::iter::once(hit.id.as_str()).chain(likely.iter().map(|h| h.id.as_str())).collect(),
                    people: Vec::new(),
                    count: None,
                }
                .log_if_leaving(store)?;
                say!("{}", serde_json::json!({ "nominal": hit, "likely_matches": likely }))?;
            } else {
                // The likely matches go to standard error: leaving the store when that is a
                // file or a program (review, 7 Dec 2026: redirected, they were written out with
                // no disclosure entry).
                if !likely.is_empty() {
                    crate::audit::Disclosed {
                        object_ref: "search:nominals",
                        purpose: None,
                        command: "nominal create",
                        ids: likely.iter().map(|h| h.id.as_str()).collect(),
                        people: Vec::new(),
                        count: None,
                    }
                    .log_if_leaving_by(store, crate::audit::Stream::Stderr)?;
                }
                for h in &likely {
                    note!(
                        "likely match: {} {} {} {} (score {:.1}: {})",
                        h.id,
                        h.given_name,
                        h.surname,
                        h.date_of_birth.as_deref().unwrap_or("-"),
                        h.score,
                        h.reasons.join("; ")
                    );
                }
                say!("{} (provisional)", hit.id)?;
            }
        }
    }
    Ok(())
}

pub fn duplicates(store: &mut Store, cmd: DuplicatesCmd) -> anyhow::Result<()> {
    match cmd {
        DuplicatesCmd::List { json } => {
            let list = store.duplicates()?;
            crate::audit::consulted(store, "duplicates")?;
            crate::audit::Disclosed {
                object_ref: "duplicates",
                purpose: None,
                command: "duplicates list",
                ids: list.iter().map(|d| d.id.as_str()).collect(),
                people: list
                    .iter()
                    .flat_map(|d| {
                        std::iter::once(d.provisional_id.as_str())
                            .chain(d.candidates.iter().map(|c| c.nominal.id.as_str()))
                    })
                    .collect(),
                count: None,
            }
            .log_if_leaving(store)?;
            if json {
                say!("{}", serde_json::to_string(&list)?)?;
            } else {
                use std::fmt::Write as _;
                let mut out = String::new();
                for d in &list {
                    let who = d
                        .provisional
                        .as_ref()
                        .map(|p| format!("{} {}", p.given_name, p.surname))
                        .unwrap_or_else(|| d.provisional_id.clone());
                    let _ = writeln!(out, "{}  {}  {} candidate(s)", d.id, who, d.candidates.len());
                    for c in &d.candidates {
                        let _ = writeln!(
                            out,
                            "    {}  {} {}  {}  score {:.1}",
                            c.nominal.id,
                            c.nominal.given_name,
                            c.nominal.surname,
                            c.nominal.date_of_birth.as_deref().unwrap_or("-"),
                            c.score
                        );
                    }
                }
                crate::output::emit(&out)?;
            }
        }
        DuplicatesCmd::Resolve { id, link, new } => {
            let decision = match (link, new) {
                (Some(nominal_id), false) => DuplicateDecision::Link { nominal_id },
                (None, true) => DuplicateDecision::New,
                _ => bail!("give either --link NOMINAL_ID or --new"),
            };
            let actor = store.actor()?;
            store.resolve_duplicate(&actor, &id, &decision)?;
            note!("recorded; it reaches the central service at the next sync");
        }
    }
    Ok(())
}
