//! `bluelamp-central --listen ADDR --db FILE [--seed-demo]` serves; the subcommands administer
//! the database offline:
//!
//! - `bluelamp-central --db F stats [--json]`
//! - `bluelamp-central --db F import nominals --csv FILE [--district D]`
//! - `bluelamp-central --db F officer add --id X --role R --district D` (passphrase from
//!   `BLUELAMP_PASSPHRASE` or the first line of stdin)
//! - `bluelamp-central --db F clients [--json]`
//! - `bluelamp-central --db F instruct --client ID lock|wipe`
//! - `bluelamp-central --db F compact --up-to VERSION`

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context};
use bluelamp_central::Central;
use bluelamp_protocol::wire::Instruction;
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(name = "bluelamp-central", version, about = "Bluelamp's central records service")]
struct Args {
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The service database file (created if missing).
    #[arg(long, global = true)]
    db: Option<PathBuf>,
    /// Create the demo officers and synthetic people (demo and training only).
    #[arg(long)]
    seed_demo: bool,
    /// How many synthetic people `--seed-demo` creates.
    #[arg(long, default_value_t = 300)]
    demo_nominals: usize,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Print counts per record type and the duplicate applications detected (must be 0).
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// Import reference data.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Manage officers.
    Officer {
        #[command(subcommand)]
        action: OfficerAction,
    },
    /// Delete tombstones up to a change version; clients whose cursor is older get a reset.
    Compact {
        #[arg(long)]
        up_to: u64,
    },
    /// List the devices (client ids) that have signed in: officer, device name, first and last
    /// seen (UTC), most recently seen first. Find a lost device's id here for `instruct`.
    Clients {
        #[arg(long)]
        json: bool,
    },
    /// Tell a device to lock or wipe at its next sync (a client id listed by `clients`).
    Instruct {
        #[arg(long)]
        client: String,
        instruction: InstructionArg,
    },
}

#[derive(Subcommand)]
enum ImportWhat {
    /// Nominals from a CSV (id,given_name,surname,date_of_birth[,sex,aliases,address,postcode,source,district,markers,phones]).
    Nominals {
        #[arg(long)]
        csv: PathBuf,
        /// District of rows without a district column value.
        #[arg(long)]
        district: Option<String>,
    },
}

#[derive(Subcommand)]
enum OfficerAction {
    /// Enrol an officer. The passphrase comes from BLUELAMP_PASSPHRASE or stdin.
    Add {
        #[arg(long)]
        id: String,
        /// officer, supervisor, superuser or admin
        #[arg(long)]
        role: String,
        #[arg(long)]
        district: String,
    },
    /// Change an officer's passphrase (from BLUELAMP_PASSPHRASE or stdin; at least 8
    /// characters). Their tokens are revoked; each of their devices then runs `bluelamp-cli
    /// passwd` (old passphrase, then this one), which this service must accept.
    SetPassphrase {
        #[arg(long)]
        id: String,
    },
    /// Change an officer's role. Their devices sign in again at their next sync and keep the
    /// new role (until then, the service already refuses what the old role allowed).
    SetRole {
        #[arg(long)]
        id: String,
        /// officer, supervisor, superuser or admin
        #[arg(long)]
        role: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum InstructionArg {
    Lock,
    Wipe,
}

fn passphrase() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("BLUELAMP_PASSPHRASE") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("cannot read the passphrase from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let Some(db) = args.db.clone() else { bail!("--db FILE is required") };
    let central = Central::open(&db).with_context(|| format!("cannot open {}", db.display()))?;
    match args.command {
        Some(Command::Stats { json }) => {
            let stats = central.stats()?;
            if json {
                out(&format!("{}\n", stats.to_json()));
            } else if let Some(obj) = stats.to_json().as_object() {
                let text: String = obj.iter().map(|(k, v)| format!("{}: {v}\n", k.replace('_', " "))).collect();
                out(&text);
            }
            return Ok(());
        }
        Some(Command::Import { what: ImportWhat::Nominals { csv, district } }) => {
            let bytes = std::fs::read(&csv).with_context(|| format!("cannot read {}", csv.display()))?;
            let parsed = bluelamp_central::csv_import::parse(
                &bytes,
                district.as_deref(),
                &bluelamp_central::csv_import::today_utc(),
            )?;
            let sum = central.storage().import_nominals(&parsed.rows)?;
            for (row, reason) in &parsed.rejected {
                eprintln!("row {row}: {reason}");
            }
            println!(
                "{}",
                serde_json::json!({
                    "inserted": sum.inserted, "updated": sum.updated, "unchanged": sum.unchanged,
                    "rejected": parsed.rejected.len(),
                })
            );
            return Ok(());
        }
        Some(Command::Officer { action: OfficerAction::SetRole { id, role } }) => {
            central.set_officer_role(&id, &role)?;
            eprintln!("officer {id} is now {role}; their devices sign in again at their next sync");
            return Ok(());
        }
        Some(Command::Officer { action: OfficerAction::SetPassphrase { id } }) => {
            central.set_officer_passphrase(&id, &passphrase()?)?;
            eprintln!("officer {id}'s passphrase changed; their devices change theirs with bluelamp-cli passwd");
            return Ok(());
        }
        Some(Command::Officer { action: OfficerAction::Add { id, role, district } }) => {
            central.add_officer(&id, &role, &district, &passphrase()?)?;
            eprintln!("officer {id} added ({role}, {district})");
            return Ok(());
        }
        Some(Command::Compact { up_to }) => {
            let n = central.storage().compact(up_to)?;
            eprintln!("{n} tombstones deleted; cursors at or below version {up_to} now get a reset");
            return Ok(());
        }
        Some(Command::Clients { json }) => {
            let clients = central.clients()?;
            let at = |t: i64| {
                time::OffsetDateTime::from_unix_timestamp(t)
                    .ok()
                    .and_then(|d| d.format(&time::format_description::well_known::Rfc3339).ok())
                    .unwrap_or_else(|| t.to_string())
            };
            if json {
                let rows: Vec<_> = clients
                    .iter()
                    .map(|c| {
                        serde_json::json!({
                            "client_id": c.client_id, "officer_id": c.officer_id, "device": c.device,
                            "first_seen": at(c.first_seen), "last_seen": at(c.last_seen),
                        })
                    })
                    .collect();
                out(&format!("{}\n", serde_json::Value::Array(rows)));
            } else if clients.is_empty() {
                eprintln!("no device has signed in to this service yet");
            } else {
                let mut text = String::from("client_id\tofficer\tdevice\tfirst_seen\tlast_seen\n");
                for c in &clients {
                    // Stored text printed safely: a device name from before the login
                    // check could hold a newline or an escape sequence.
                    text.push_str(&format!(
                        "{}\t{}\t{}\t{}\t{}\n",
                        bluelamp_central::printable(&c.client_id),
                        bluelamp_central::printable(&c.officer_id),
                        bluelamp_central::printable(&c.device),
                        at(c.first_seen),
                        at(c.last_seen)
                    ));
                }
                out(&text);
            }
            return Ok(());
        }
        Some(Command::Instruct { client, instruction }) => {
            let i = match instruction {
                InstructionArg::Lock => Instruction::Lock,
                InstructionArg::Wipe => Instruction::Wipe,
            };
            central.instruct(&client, i)?;
            eprintln!("instruction queued for {client}: delivered at its next push or pull");
            return Ok(());
        }
        None => {}
    }
    if args.seed_demo {
        central.seed_demo(args.demo_nominals)?;
    }
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let running = bluelamp_central::spawn(central, args.listen).await?;
        // Scripts and tests read this first line to learn the port.
        println!("listening on {}", running.url());
        std::io::stdout().flush()?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = sigterm() => {}
        }
        tracing::info!("shutting down");
        running.stop().await;
        anyhow::Ok(())
    })
}

#[cfg(unix)]
async fn sigterm() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut s) => {
            s.recv().await;
        }
        Err(_) => std::future::pending::<()>().await,
    }
}

#[cfg(not(unix))]
async fn sigterm() {
    std::future::pending::<()>().await
}

/// Writes `text` to standard output; a reader that closed the pipe (`| head`) ends the output
/// quietly (`println!` panicked: review, 7 Dec 2026).
fn out(text: &str) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
}
