//! `bluelamp-cli`: the headless client. See `bluelamp-cli --help` and the README.
//!
//! The passphrase comes from `BLUELAMP_PASSPHRASE` or standard input, never from argv.
//!
//! Output goes through [`output`] (`say!`, `note!`): a closed standard output (`| head`) ends
//! the output quietly and the command keeps its usual exit code; any other write error is
//! reported ("cannot write to standard output: …", exit code 1). Nothing panics.

// First, so that its macros (`say!`, `note!`) are visible in the modules below.
#[macro_use]
mod output;
mod audit;
mod conflicts;
mod forms;
mod import;
mod nominal;
mod search;
mod show;
mod status;
mod sync;
mod victims;

/// mimalloc: imports and searches allocate many small strings (keys, ids); the system allocator
/// spent about a fifth of an import in malloc/free.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use bluelamp_protocol::session::{Permission, Role};
use bluelamp_protocol::Source;
use bluelamp_store::{KdfParams, Store};
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
    /// Change the store's passphrase (re-wraps the key; the database is not re-encrypted).
    /// The current passphrase comes from BLUELAMP_PASSPHRASE or the first line of standard
    /// input, the new one from BLUELAMP_NEW_PASSPHRASE or the next line.
    Passwd {
        /// Cheap key derivation, for throwaway test stores only.
        #[arg(long, hide = true)]
        insecure_fast_kdf: bool,
    },
    /// Import records.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Search nominals (phonetic, nicknames, variants, DOB rules); see the README.
    Search(search::SearchArgs),
    /// Create a person on this device (provisional until the central service confirms it).
    Nominal {
        #[command(subcommand)]
        what: nominal::NominalCmd,
    },
    /// Possible duplicates of people created on this device, found by the central service.
    Duplicates {
        #[command(subcommand)]
        what: nominal::DuplicatesCmd,
    },
    /// Open one person's record page (markers, aliases, addresses, linked incidents); the
    /// purpose is written to the access log.
    Show(show::ShowArgs),
    /// Rebuild the search keys if an update changed their format (the first search or unlock
    /// would otherwise do it); prints whether it did and how long it took.
    Reindex {
        /// Rebuild them even if they are current (a repair).
        #[arg(long)]
        all: bool,
    },
    /// Run many searches from a CSV (qid,given_name,surname,date_of_birth) on one connection;
    /// write one JSON line per query: {qid, ids, latency_us}, plus `error` when the query could
    /// not run (ids empty) or `warning` when it ran with part of its input ignored.
    SearchBatch {
        #[arg(long)]
        queries: PathBuf,
        #[arg(long, default_value_t = 10, value_parser = whole_number)]
        limit: u32,
        #[arg(long)]
        out: PathBuf,
    },
    /// Synthetic data for demos, training and benchmarks.
    Demo {
        #[command(subcommand)]
        what: DemoWhat,
    },
    /// Form packs: validate packs, codes and config; suggest a risk grade (see docs/forms.md).
    Forms {
        #[command(subcommand)]
        what: forms::FormsCmd,
    },
    /// Victims' Code: assess an incident's victims; list and withdraw the referral decisions
    /// recorded on this device; answer the under-18 question for a victim with no date of birth
    /// (see docs/victims.md).
    Victims {
        #[command(subcommand)]
        what: victims::VictimsCmd,
    },
    /// The access log (DPA 2018 s.62): verify its hash chain, list entries.
    Audit {
        #[command(subcommand)]
        what: audit::AuditCmd,
    },
    /// Signs in to the central service and protects the local store (creating it for the
    /// officer if there is none). Passphrase from BLUELAMP_PASSPHRASE or standard input.
    Enrol {
        /// The central service, e.g. http://127.0.0.1:8080
        #[arg(long)]
        server: String,
        #[arg(long)]
        officer: String,
        #[arg(long, hide = true)]
        insecure_fast_kdf: bool,
    },
    /// Conflicts between an edit made here and the central service's record: list, resolve.
    Conflicts {
        #[command(subcommand)]
        what: conflicts::ConflictsCmd,
    },
    /// Incidents on this device: list, show, set a closing code.
    Incident {
        #[command(subcommand)]
        what: conflicts::IncidentCmd,
    },
    /// The store's health, for IT support and scripts: its files' state, officer, key derivation
    /// and lock-out, without the passphrase; with --unlock, also its role, schema, people,
    /// incidents, what it has not yet sent or had refused, conflicts, last sync and server
    Status {
        /// Open the store (passphrase from BLUELAMP_PASSPHRASE or standard input; an unlock like
        /// any other: wrong passphrases count, and it is in the access log) to add what it holds.
        #[arg(long)]
        unlock: bool,
        /// Exit code 2 when writes made on this device have not all reached the central service
        /// (not yet sent, or refused): the check before a device is reimaged or handed on.
        /// Implies --unlock.
        #[arg(long)]
        fail_if_unsent: bool,
        #[arg(long)]
        json: bool,
    },
    /// Pushes the outbox, then pulls reference data; progress on stderr. Exit code 0 only when
    /// the round reached the server and finished.
    Sync {
        /// Defaults to the server the store was enrolled with; another one is refused.
        #[arg(long)]
        server: Option<String>,
        /// Print a JSON summary (pushed, acknowledged, rejected, pending, pulled, conflicts).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ImportWhat {
    /// Import nominals from CSV (header: id,given_name,surname,date_of_birth[,sex,aliases,address,postcode,source,markers,phones]).
    /// Prints `imported N rejected M`; rejected rows, ids repeated within the file and the
    /// new/updated split go to standard error.
    Nominals {
        #[arg(long)]
        csv: PathBuf,
        /// Mark every row as this source. Without it, each row's optional `source` column
        /// (`current`, `legacy` or empty = current) decides.
        #[arg(long, value_enum)]
        source: Option<SourceArg>,
    },
}

#[derive(Subcommand)]
enum DemoWhat {
    /// Write deterministic synthetic people as one import CSV (with a `source` column marking
    /// the legacy share; `import nominals` honours it).
    Generate {
        /// At most 10 000 000 (all are held in memory before the file is written).
        #[arg(long, value_parser = demo_nominals)]
        nominals: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// N submitted demo forms (unique ids) in the outbox, for load and fault tests.
    Enqueue {
        /// At most 1 000 000.
        #[arg(long, value_parser = demo_forms)]
        forms: usize,
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
            note!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// A whole number for a count or limit option. One too large for the type is read as its largest
/// value, so the command's own range check says what is allowed ("The limit must be between 1
/// and 500.") rather than clap's "not in 0..=4294967295".
pub(crate) fn whole_number(s: &str) -> Result<u32, String> {
    let t = s.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(t.parse::<u32>().unwrap_or(u32::MAX));
    }
    Err(format!("expected a whole number, e.g. 10, not \"{s}\""))
}

/// A count of at most `max`, for the demo commands: a bigger one would exhaust memory or disk
/// (a count past `usize` would end in a panic), so it is refused with the limit.
fn count_up_to(s: &str, max: usize) -> Result<usize, String> {
    // `whole_number` saturates at u32::MAX, so a number of any length lands above `max`.
    let n = usize::try_from(whole_number(s)?).unwrap_or(usize::MAX);
    if n > max {
        return Err(format!("at most {max}, not {}", bluelamp_protocol::dates::shown(s.trim(), 30)));
    }
    Ok(n)
}

fn demo_nominals(s: &str) -> Result<usize, String> {
    count_up_to(s, 10_000_000)
}

fn demo_forms(s: &str) -> Result<usize, String> {
    count_up_to(s, 1_000_000)
}

/// What the last wrong passphrase does under the force's policy, for the tries-left message.
fn what_follows(policy: &bluelamp_store::unlock::UnlockPolicy) -> &'static str {
    match policy.on_too_many {
        bluelamp_store::unlock::OnTooManyFailures::Lock => "the store locks",
        bluelamp_store::unlock::OnTooManyFailures::Wipe => "the store is WIPED",
    }
}

/// A passphrase from the environment variable `name`: `None` when it is not set. Set but empty
/// is refused (an empty passphrase is never tried, so it is not counted as a wrong one).
fn env_passphrase(name: &str) -> anyhow::Result<Option<String>> {
    match std::env::var(name) {
        Ok(p) if p.is_empty() => bail!(
            "{name} is set but empty: set it to the passphrase, or unset it to give the passphrase on standard input"
        ),
        Ok(p) => Ok(Some(p)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => bail!("{name} is not valid UTF-8"),
    }
}

fn passphrase() -> anyhow::Result<String> {
    if let Some(p) = env_passphrase("BLUELAMP_PASSPHRASE")? {
        return Ok(p);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        // Typed at a terminal: not echoed (read from the terminal itself, with echo off).
        let p = rpassword::prompt_password("Passphrase: ").context("cannot read the passphrase from the terminal")?;
        if p.is_empty() {
            bail!("no passphrase: set BLUELAMP_PASSPHRASE or type it at the prompt");
        }
        return Ok(p);
    }
    let line = first_line_unbuffered().context("cannot read the passphrase from standard input")?;
    let p = line.trim_end_matches(['\r', '\n']).to_string();
    if p.is_empty() {
        bail!("no passphrase: set BLUELAMP_PASSPHRASE or pass it on standard input");
    }
    Ok(p)
}

/// The first line of standard input, read a byte at a time from the descriptor itself: the
/// standard library's buffered reader takes up to 8 KiB at once, so the rest of the input (a CSV
/// given as `--csv /dev/stdin` after the passphrase) was swallowed and lost to the command.
fn first_line_unbuffered() -> std::io::Result<String> {
    use std::io::Read;
    use std::os::fd::AsFd;
    let mut input = std::fs::File::from(std::io::stdin().as_fd().try_clone_to_owned()?);
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    // A passphrase is a line; a stream with no newline in its first 64 KiB is not one.
    while line.len() < 65_536 {
        match input.read(&mut byte) {
            Ok(0) => break,
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) => line.push(byte[0]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    String::from_utf8(line).map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not valid UTF-8"))
}

/// The current and the new passphrase: from BLUELAMP_PASSPHRASE / BLUELAMP_NEW_PASSPHRASE, or
/// two lines of standard input (never argv). At a terminal they are asked for with echo off
/// (the new one twice): read as plain lines, both showed on the screen as they were typed.
/// The shortest passphrase a store is made or changed with (throwaway test stores made with
/// the hidden `--insecure-fast-kdf` aside), as the central service asks of an officer's: a
/// store took a passphrase of one character (review, 7 Dec 2026).
const MIN_PASSPHRASE_CHARS: usize = 8;

fn check_new_passphrase(pass: &str) -> anyhow::Result<()> {
    if pass.trim().chars().count() < MIN_PASSPHRASE_CHARS {
        bail!(
            "the passphrase must have at least {MIN_PASSPHRASE_CHARS} characters (not counting spaces at either end)"
        );
    }
    Ok(())
}

fn passphrases_for_change() -> anyhow::Result<(String, String)> {
    let at_terminal = std::io::stdin().is_terminal();
    let mut lines = std::io::stdin().lock().lines();
    let mut next = |what: &str| -> anyhow::Result<String> {
        if at_terminal {
            let p = rpassword::prompt_password(format!("{} passphrase: ", capitalised(what)))
                .with_context(|| format!("cannot read the {what} passphrase from the terminal"))?;
            if p.is_empty() {
                bail!("no {what} passphrase typed");
            }
            if what == "new" {
                let again = rpassword::prompt_password("New passphrase again: ")
                    .context("cannot read the new passphrase from the terminal")?;
                if again != p {
                    bail!("the two new passphrases differ; nothing was changed");
                }
            }
            return Ok(p);
        }
        let line = lines.next().transpose()?.unwrap_or_default();
        let p = line.trim_end_matches(['\r', '\n']).to_string();
        if p.is_empty() {
            bail!("no {what} passphrase on standard input");
        }
        Ok(p)
    };
    let old = match env_passphrase("BLUELAMP_PASSPHRASE")? {
        Some(p) => p,
        None => next("current")?,
    };
    let new = match env_passphrase("BLUELAMP_NEW_PASSPHRASE")? {
        Some(p) => p,
        None => next("new")?,
    };
    Ok((old, new))
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn db_path(cli_db: &Option<PathBuf>) -> anyhow::Result<&Path> {
    cli_db.as_deref().context("this command needs --db PATH")
}

/// Opens the store for records work (search, records, people, incidents, victims, conflicts):
/// [`open_as`] with [`Permission::RecordsWork`].
pub(crate) fn open(db: &Path) -> anyhow::Result<Store> {
    open_as(db, Some(Permission::RecordsWork))
}

/// [`open_unchecked`], then the role the store holds must allow `needs`, as the app's backend
/// checks it for the same work: an admin's store does no records work here either, and only
/// the roles with the app's *Access log* tab list the log. A store with no role (made with
/// `init` for scripts and benchmarks, never enrolled) is refused nothing.
pub(crate) fn open_as(db: &Path, needs: Option<Permission>) -> anyhow::Result<Store> {
    let store = open_unchecked(db)?;
    if let (Some(needs), Some(role)) = (needs, store.role()?) {
        if !role.allows(needs) {
            bail!("{}", role_refusal(role, needs));
        }
    }
    Ok(store)
}

/// Why `role` may not run a command that needs `needs`.
fn role_refusal(role: Role, needs: Permission) -> String {
    let work = match needs {
        Permission::RecordsWork => {
            "does no records work (searching, opening records, people, incidents, victims, conflicts)"
        }
        Permission::Supervise => "does not supervise",
        Permission::ReadAuditLog => "may not read the access log",
        Permission::Demo => "may not use demo commands",
    };
    format!(
        "this store's officer has the {} role, which {work}: the command is refused, as the app refuses it",
        role.as_str()
    )
}

/// Opens the store as the app's lock screen does: wrong passphrases count against the force's
/// policy (`BLUELAMP_MAX_UNLOCK_FAILURES`, `BLUELAMP_ON_TOO_MANY_FAILURES`), and a locked-out
/// store stays closed until the officer signs in online in the app. No role is checked.
pub(crate) fn open_unchecked(db: &Path) -> anyhow::Result<Store> {
    // Before asking for the passphrase: a script that forgot `init` is told so, not asked for a
    // passphrase it cannot use.
    if !db.exists() {
        bail!(
            "{} Create one first: bluelamp-cli --db {} init --officer ID (passphrase from \
             BLUELAMP_PASSPHRASE or standard input).",
            bluelamp_store::StoreError::NotFound(db.to_path_buf()),
            db.display()
        );
    }
    open_counted(db, &passphrase()?, false)
}

/// [`open`] without its `unlock` entry in the access log, for `audit verify`: checking the
/// chain writes nothing to it.
fn open_for_checking(db: &Path) -> anyhow::Result<Store> {
    if !db.exists() {
        return open_unchecked(db);
    }
    open_counted_as(db, &passphrase()?, false, false)
}

/// [`open`] with the passphrase given. `reauth`: the caller is about to sign in online (`enrol`),
/// which lifts a lock-out; a locked-out store is then opened with [`unlock::open_locked_out_now`]
/// (wrong passphrases counted, each making the next try wait) instead of being refused.
pub(crate) fn open_counted(db: &Path, pass: &str, reauth: bool) -> anyhow::Result<Store> {
    open_counted_as(db, pass, reauth, true)
}

fn open_counted_as(db: &Path, pass: &str, reauth: bool, log_unlock: bool) -> anyhow::Result<Store> {
    use bluelamp_store::unlock::{self, UnlockError, UnlockPolicy};
    let policy = UnlockPolicy::from_env().map_err(anyhow::Error::msg)?;
    let opened = if reauth && unlock::is_locked_out(db) {
        unlock::open_locked_out_now(db, pass)
    } else {
        match unlock::unlock(db, pass, &policy) {
            // The order was found inside the store (the file beside it was lost): it is locked
            // from now on, and the online sign-in about to run is what lifts it.
            Err(UnlockError::RemoteLocked | UnlockError::RemoteWipePending) if reauth => {
                unlock::open_locked_out_now(db, pass)
            }
            other => other,
        }
    };
    match opened {
        Ok(s) if !log_unlock => Ok(s),
        Ok(mut s) => {
            // As the app's unlock does: who opened the store, and when (s.62). The detail says
            // it was this tool, not the app.
            let actor = s.actor()?;
            s.audit(
                &actor,
                bluelamp_store::AuditEvent::new(bluelamp_store::AuditAction::Unlock, "session")
                    .detail(serde_json::json!({"via": "bluelamp-cli"})),
            )?;
            Ok(s)
        }
        Err(UnlockError::Wrong { tries_left }) => {
            bail!("wrong passphrase for {} ({tries_left} left before {})", db.display(), what_follows(&policy))
        }
        Err(UnlockError::Store(e)) => Err(e.into()),
        Err(e) => bail!("{}: {e}", db.display()),
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Init { officer, insecure_fast_kdf } => {
            let db = db_path(&cli.db)?;
            let pass = passphrase()?;
            if !insecure_fast_kdf {
                check_new_passphrase(&pass)?;
            }
            let kdf = if insecure_fast_kdf { KdfParams::INSECURE_FAST } else { KdfParams::DEFAULT };
            Store::create(db, &pass, officer.trim(), kdf)?;
            note!("created {} for officer {}", db.display(), officer.trim());
        }
        Command::Passwd { insecure_fast_kdf } => {
            let db = db_path(&cli.db)?;
            let (old, new) = passphrases_for_change()?;
            if !insecure_fast_kdf {
                check_new_passphrase(&new)?;
            }
            let kdf = if insecure_fast_kdf { KdfParams::INSECURE_FAST } else { KdfParams::DEFAULT };
            let policy = bluelamp_store::unlock::UnlockPolicy::from_env().map_err(anyhow::Error::msg)?;
            // An enrolled store: the service accepts the new passphrase first.
            let signed_in = {
                let store = open_counted_as(db, &old, false, false)?;
                sync::confirm_new_passphrase(&store, &new)?
            };
            match bluelamp_store::unlock::change_passphrase(db, &old, &new, kdf, &policy) {
                Ok(()) => {
                    // Who changed it, and when (s.62 and the checks the research lists).
                    let mut store = Store::open(db, &new)?;
                    if let Some(resp) = &signed_in {
                        store.set_token(resp)?;
                    }
                    let actor = store.actor()?;
                    store.audit(
                        &actor,
                        bluelamp_store::AuditEvent::new(bluelamp_store::AuditAction::Alteration, "session:passphrase")
                            .detail(
                                serde_json::json!({"via": "bluelamp-cli", "confirmed_by_service": signed_in.is_some()}),
                            ),
                    )?;
                    note!("passphrase changed for {}", db.display())
                }
                Err(bluelamp_store::unlock::UnlockError::Wrong { tries_left }) => {
                    bail!("wrong passphrase for {} ({tries_left} left before {})", db.display(), what_follows(&policy))
                }
                Err(bluelamp_store::unlock::UnlockError::Store(e)) => return Err(e.into()),
                Err(e) => bail!("{}: {e}", db.display()),
            }
        }
        Command::Import { what: ImportWhat::Nominals { csv, source } } => {
            let mut store = open(db_path(&cli.db)?)?;
            let forced = source.map(|s| match s {
                SourceArg::Current => Source::Current,
                SourceArg::Legacy => Source::Legacy,
            });
            let file = std::fs::File::open(&csv).with_context(|| format!("cannot open {}", csv.display()))?;
            // s.62: an import is a collection of personal data; log who, when, how many. A
            // large file commits in batches, so the start is logged before the first one: a
            // batch that fails, or a killed process, still leaves the collection in the log.
            let actor = store.actor()?;
            let file_name = csv.file_name().map(|f| f.to_string_lossy().into_owned());
            let source = match forced {
                Some(Source::Legacy) => "legacy",
                Some(Source::Current) => "current",
                None => "per row",
            };
            let collection =
                || bluelamp_store::AuditEvent::new(bluelamp_store::AuditAction::Collection, "import:nominals");
            store.audit(
                &actor,
                collection().detail(serde_json::json!({ "file": file_name, "source": source, "stage": "started" })),
            )?;
            let report = match import::nominals(&mut store, file, forced) {
                Ok(report) => report,
                Err(e) => {
                    let detail = serde_json::json!({
                        "file": file_name, "source": source, "stage": "failed", "error": format!("{e:#}"),
                    });
                    // The failure is reported either way; the started entry is already logged.
                    let _ =
                        store.audit(&actor, collection().outcome(bluelamp_store::AuditOutcome::Failure).detail(detail));
                    return Err(e.context(csv.display().to_string()));
                }
            };
            let event = collection().detail(serde_json::json!({
                "file": file_name,
                "source": source,
                "stage": "finished",
                "imported": report.imported,
                "new": report.new,
                "updated": report.imported - report.new,
                "legacy": report.legacy,
                "repeated": report.repeated.len(),
                "rejected": report.rejected.len(),
            }));
            store.audit(&actor, event)?;
            for (row, reason) in &report.rejected {
                note!("row {row}: rejected: {reason}");
            }
            for (row, id, first) in &report.repeated {
                note!("row {row}: id {id} repeats row {first}; the later row wins");
            }
            note!(
                "{} record(s): {} new, {} updated, {} legacy{}",
                report.imported,
                report.new,
                report.imported - report.new,
                report.legacy,
                match report.repeated.len() {
                    0 => String::new(),
                    n => format!("; {n} row(s) repeated an earlier id (counted once)"),
                }
            );
            // The line scripts parse: exactly `imported N rejected M` (N: records written, each id
            // once).
            say!("imported {} rejected {}", report.imported, report.rejected.len())?;
        }
        Command::Search(args) => {
            let mut store = open(db_path(&cli.db)?)?;
            search::run(&mut store, args)?;
        }
        Command::Reindex { all } => {
            // Maintenance: any role.
            let store = open_unchecked(db_path(&cli.db)?)?;
            let started = std::time::Instant::now();
            let rebuilt = if all {
                store.rebuild_search_keys()?;
                true
            } else {
                store.prepare_search()?
            };
            if rebuilt {
                say!("search keys rebuilt in {:.1} s", started.elapsed().as_secs_f64())?;
            } else {
                say!("search keys already current")?;
            }
        }
        Command::Nominal { what: nominal::NominalCmd::Create(args) } => {
            nominal::create(&mut open(db_path(&cli.db)?)?, args)?;
        }
        Command::Duplicates { what } => nominal::duplicates(&mut open(db_path(&cli.db)?)?, what)?,
        Command::Show(args) => {
            let mut store = open(db_path(&cli.db)?)?;
            show::run(&mut store, args)?;
        }
        Command::SearchBatch { queries, limit, out } => {
            output::check_output(&out, &[&queries], cli.db.as_deref())?;
            let mut store = open(db_path(&cli.db)?)?;
            search::batch(&mut store, &queries, limit, &out)?;
        }
        Command::Demo { what: DemoWhat::Generate { nominals, seed, out } } => {
            output::check_output(&out, &[], cli.db.as_deref())?;
            let people = bluelamp_demo::people(nominals, seed);
            import::write_csv(&out, &people)?;
            note!(
                "wrote {} people to {} ({} of them legacy, marked in its source column)",
                people.len(),
                out.display(),
                people.iter().filter(|p| p.legacy).count()
            );
        }
        Command::Forms { what } => forms::run(what)?,
        Command::Victims { what } => victims::run(what, cli.db.as_deref())?,
        Command::Audit { what } => {
            // Checking the chain adds nothing to it (a row chained onto a tampered head, or a
            // read-only copy that cannot be checked); listing it is an opening like any other.
            let db = db_path(&cli.db)?;
            let mut store = if matches!(what, audit::AuditCmd::Verify { .. }) {
                open_for_checking(db)?
            } else {
                open_as(db, Some(Permission::ReadAuditLog))?
            };
            audit::run(&mut store, what)?
        }
        Command::Conflicts { what } => conflicts::run(&mut open(db_path(&cli.db)?)?, what)?,
        Command::Incident { what } => conflicts::run_incident(&mut open(db_path(&cli.db)?)?, what)?,
        Command::Demo { what: DemoWhat::Enqueue { forms } } => {
            let mut store = open(db_path(&cli.db)?)?;
            let ids = sync::enqueue(&mut store, forms)?;
            note!("queued {} submitted demo forms", ids.len());
        }
        Command::Enrol { server, officer, insecure_fast_kdf } => {
            let db = db_path(&cli.db)?;
            sync::enrol(db, &server, &officer, &passphrase()?, insecure_fast_kdf)?;
        }
        Command::Status { unlock, fail_if_unsent, json } => {
            let code = status::run(db_path(&cli.db)?, unlock, fail_if_unsent, json)?;
            if code != 0 {
                std::process::exit(code);
            }
        }
        Command::Sync { server, json } => {
            let db = db_path(&cli.db)?;
            match sync::sync(db, server.as_deref(), passphrase()?, json)? {
                sync::SyncEnd::Synced => {}
                sync::SyncEnd::NotFinished => bail!(
                    "the sync round did not finish (see above); nothing was lost: the outbox keeps what is pending"
                ),
                sync::SyncEnd::Wiped => {
                    bail!(
                        "the store was wiped by order of the central service, once every write and access-log entry \
                         it would take had reached it"
                    )
                }
            }
        }
    }
    Ok(())
}
