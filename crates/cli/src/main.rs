//! `bluelamp-cli`: the headless client. See `bluelamp-cli --help` and the README.
//!
//! The passphrase comes from `BLUELAMP_PASSPHRASE` or standard input, never from argv.

mod import;

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use bluelamp_protocol::{SearchRequest, Source};
use bluelamp_store::{KdfParams, Store, StoreError};
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(name = "bluelamp-cli", version, about = "Bluelamp's headless client for admins, scripts and benchmarks")]
struct Cli {
    /// The local store (an encrypted SQLite file).
    #[arg(long, global = true)]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new encrypted store for an officer.
    Init {
        #[arg(long)]
        officer: String,
        /// Cheap key derivation, for throwaway test and benchmark stores only.
        #[arg(long, hide = true)]
        insecure_fast_kdf: bool,
    },
    /// Import records.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Search nominals.
    Search {
        /// Free text, e.g. "bill smyth".
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        given: Option<String>,
        #[arg(long)]
        surname: Option<String>,
        #[arg(long)]
        limit: Option<u32>,
        /// Print a JSON array of hits.
        #[arg(long)]
        json: bool,
    },
    /// Synthetic data for demos, training and benchmarks.
    Demo {
        #[command(subcommand)]
        what: DemoWhat,
    },
}

#[derive(Subcommand)]
enum ImportWhat {
    /// Import nominals from CSV (header: id,given_name,surname,date_of_birth[,sex,aliases,address,postcode]).
    Nominals {
        #[arg(long)]
        csv: PathBuf,
        #[arg(long, value_enum, default_value_t = SourceArg::Current)]
        source: SourceArg,
    },
}

#[derive(Subcommand)]
enum DemoWhat {
    /// Write deterministic synthetic people as an import CSV.
    Generate {
        #[arg(long)]
        nominals: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum SourceArg {
    Current,
    Legacy,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn passphrase() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("BLUELAMP_PASSPHRASE") {
        return Ok(p);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Passphrase: ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).context("cannot read the passphrase from standard input")?;
    let p = line.trim_end_matches(['\r', '\n']).to_string();
    if p.is_empty() {
        bail!("no passphrase: set BLUELAMP_PASSPHRASE or pass it on standard input");
    }
    Ok(p)
}

fn db_path(cli_db: &Option<PathBuf>) -> anyhow::Result<&Path> {
    cli_db.as_deref().context("this command needs --db PATH")
}

fn open(db: &Path) -> anyhow::Result<Store> {
    let pass = passphrase()?;
    match Store::open(db, &pass) {
        Ok(s) => Ok(s),
        Err(StoreError::WrongPassphrase) => bail!("wrong passphrase for {}", db.display()),
        Err(e) => Err(e.into()),
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Init { officer, insecure_fast_kdf } => {
            let db = db_path(&cli.db)?;
            let pass = passphrase()?;
            let kdf = if insecure_fast_kdf { KdfParams::INSECURE_FAST } else { KdfParams::DEFAULT };
            Store::create(db, &pass, officer.trim(), kdf)?;
            eprintln!("created {} for officer {}", db.display(), officer.trim());
        }
        Command::Import { what: ImportWhat::Nominals { csv, source } } => {
            let mut store = open(db_path(&cli.db)?)?;
            let source = match source {
                SourceArg::Current => Source::Current,
                SourceArg::Legacy => Source::Legacy,
            };
            let file = std::fs::File::open(&csv).with_context(|| format!("cannot open {}", csv.display()))?;
            let report = import::nominals(&mut store, file, source)?;
            for (row, reason) in &report.rejected {
                eprintln!("row {row}: rejected: {reason}");
            }
            println!("imported {} rejected {}", report.imported, report.rejected.len());
        }
        Command::Search { name, given, surname, limit, json } => {
            let store = open(db_path(&cli.db)?)?;
            let req = SearchRequest { name, given, surname, limit };
            req.validate().map_err(|e| anyhow::anyhow!(e.message))?;
            let hits = store.search(&req)?;
            if json {
                println!("{}", serde_json::to_string(&hits)?);
            } else {
                for h in &hits {
                    println!(
                        "{:<14} {:<8} {:<30} {:<10} {:.2}  {}",
                        h.id,
                        if h.source == Source::Legacy { "legacy" } else { "current" },
                        format!("{} {}", h.given_name, h.surname),
                        h.date_of_birth.as_deref().unwrap_or("-"),
                        h.score,
                        h.reasons.join(", ")
                    );
                }
                eprintln!("{} result(s)", hits.len());
            }
        }
        Command::Demo { what: DemoWhat::Generate { nominals, seed, out } } => {
            let people = bluelamp_demo::people(nominals, seed);
            import::write_csv(&out, &people)?;
            eprintln!("wrote {} people to {}", people.len(), out.display());
        }
    }
    Ok(())
}
