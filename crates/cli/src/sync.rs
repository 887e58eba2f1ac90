//! `enrol`, `sync` and `demo enqueue`: the sync commands for admins, scripts and fault tests.

use std::path::Path;
use std::sync::Mutex;

use anyhow::{bail, Context};
use bluelamp_protocol::wire::{Instruction, LoginRequest};
use bluelamp_protocol::SCHEMA_VERSION;
use bluelamp_store::{KdfParams, Store};
use bluelamp_sync::{run_round, Carried, Client, Credentials, Progress};
use bluelamp_sync_core::Config;
use zeroize::Zeroizing;

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?)
}

/// Batch and page sizes; `BLUELAMP_SYNC_PUSH_BATCH` / `BLUELAMP_SYNC_PULL_LIMIT` override them
/// (fault tests use small pages to have more commits to interrupt).
fn round_config() -> anyhow::Result<Config> {
    let mut cfg = Config::default();
    if let Ok(v) = std::env::var("BLUELAMP_SYNC_PUSH_BATCH") {
        cfg.push_batch = v.trim().parse().with_context(|| format!("BLUELAMP_SYNC_PUSH_BATCH={v} is not a number"))?;
    }
    if let Ok(v) = std::env::var("BLUELAMP_SYNC_PULL_LIMIT") {
        cfg.pull_limit = v.trim().parse().with_context(|| format!("BLUELAMP_SYNC_PULL_LIMIT={v} is not a number"))?;
    }
    Ok(cfg)
}

/// The host name, as a device name the service accepts (it refuses control characters and more
/// than 200 bytes: `bluelamp_protocol::wire::clean_device_name`).
fn device_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .map(|h| bluelamp_protocol::wire::clean_device_name(&h))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "bluelamp-cli".into())
}

/// An interactive sign-in of `officer` from this store's device.
fn login_request(store: &Store, officer: &str, passphrase: &str) -> anyhow::Result<LoginRequest> {
    Ok(LoginRequest {
        schema_version: SCHEMA_VERSION,
        officer_id: officer.to_string(),
        passphrase: zeroize::Zeroizing::new(passphrase.to_string()),
        client_id: store.client_id()?,
        device: device_name(),
        interactive: true,
    })
}

/// For a passphrase change on a store enrolled with a central service: the service must accept
/// the new passphrase first (an admin changes it there with `bluelamp-central officer
/// set-passphrase`). The service checks the same passphrase when a locked store signs in again,
/// and a device changed alone could never be signed in again (review, 7 Dec 2026). Returns the
/// sign-in to keep once the store is re-wrapped; `None` for a store never enrolled.
pub fn confirm_new_passphrase(
    store: &Store,
    new: &str,
) -> anyhow::Result<Option<bluelamp_protocol::wire::LoginResponse>> {
    let Some(server) = store.server_url()? else { return Ok(None) };
    let officer = store.officer_id()?;
    let client = Client::new(&server)?;
    let req = login_request(store, &officer, new)?;
    match runtime()?.block_on(client.login(&req)) {
        Ok(r) if r.officer_id == officer => Ok(Some(r)),
        Ok(_) => bail!("the central service at {server} answered for another officer; nothing was changed"),
        Err(bluelamp_sync::Failure::Network(e)) => bail!(
            "this store is enrolled with the central service at {server}, which must accept the new passphrase \
             first, and it cannot be reached ({e}); nothing was changed"
        ),
        Err(f) => bail!(
            "the central service at {server} does not accept the new passphrase ({}): an officer's passphrase is \
             changed at the service first (bluelamp-central officer set-passphrase), then on each device; nothing \
             was changed",
            describe(&f)
        ),
    }
}

/// Signs in to the central service and protects the local store: creates the store for the
/// officer if there is none (with the same passphrase), or opens an existing one made by
/// `init --officer ID` for the same officer. A successful sign-in also clears a local lockout
/// (too many wrong passphrases), which is what "re-authenticate online" means.
pub fn enrol(db: &Path, server: &str, officer: &str, passphrase: &str, fast_kdf: bool) -> anyhow::Result<()> {
    let officer = officer.trim();
    if !bluelamp_protocol::session::is_valid_officer_id(officer) {
        bail!("'{officer}' is not a valid officer id");
    }
    // The address is checked before anything is written: a refused one (not https, not a URL)
    // must not leave a new store behind, whose next enrolment would then count a passphrase
    // typed again with the right one as a wrong guess.
    let client = Client::new(server)?;
    let created = !bluelamp_store::exists(db);
    let mut store = if created {
        let kdf = if fast_kdf { KdfParams::INSECURE_FAST } else { KdfParams::DEFAULT };
        Store::create(db, passphrase, officer, kdf)?
    } else {
        // A locked-out store checks no passphrase while the service is out of reach (as in the
        // app): otherwise "wrong passphrase" against "enrolment failed: unreachable" would tell
        // a right guess from a wrong one.
        if bluelamp_store::unlock::is_locked_out(db) {
            let reachable = runtime()?.block_on(client.health());
            if let Err(e) = reachable {
                bail!("{} is locked: reach the central service to sign in again ({e})", db.display());
            }
        }
        crate::open_counted(db, passphrase, true)?
    };
    let owner = store.officer_id()?;
    if owner != officer {
        bail!("{} belongs to officer {owner}, not {officer}", db.display());
    }
    // Only the service the store was enrolled with lifts its lock or sets its role: any service
    // that answered did (one run on the laptop itself included), so a suspended officer kept
    // their cached records and any officer could give their store a supervisor's role
    // (review, 7 Dec 2026).
    if let Some(enrolled) = store.server_url()? {
        if !bluelamp_sync::same_service(&enrolled, server) {
            bail!(
                "{} is enrolled with the central service at {enrolled}, not {}: sign in to that service",
                db.display(),
                server.trim_end_matches('/')
            );
        }
    }
    let req = login_request(&store, officer, passphrase)?;
    let result = runtime()?.block_on(client.login(&req));
    let resp = match result {
        Ok(r) => r,
        Err(f) => {
            if created {
                // A failed enrolment leaves nothing behind.
                drop(store);
                let _ = bluelamp_store::unlock::wipe(db);
            }
            bail!("enrolment failed: {}", describe(&f));
        }
    };
    store.set_server_url(server.trim_end_matches('/'))?;
    store.set_token(&resp)?;
    store.set_role(resp.role)?;
    // The online sign-in a lock order asks for (the service cleared its copy at this login, if
    // it had sent it; one not yet sent reaches the device at the next sync).
    store.clear_lock_order()?;
    let wipe_pending = store.pending_instruction()? == Some(Instruction::Wipe);
    let actor = store.actor()?;
    store.audit(
        &actor,
        bluelamp_store::AuditEvent::new(bluelamp_store::AuditAction::Unlock, "central")
            .detail(serde_json::json!({"server": server, "role": resp.role.as_str(), "enrolled": created})),
    )?;
    drop(store);
    bluelamp_store::unlock::clear_lockout(db)?;
    if wipe_pending {
        // A wipe order is not lifted by signing in: the next sync sends what is pending, then wipes.
        bluelamp_store::unlock::lock_out_by_order(db, Instruction::Wipe)?;
        note!("the central service ordered this device wiped: the next sync sends what is pending, then wipes it");
    }
    note!(
        "enrolled officer {officer} ({}) on {}; store {} {}",
        resp.role.as_str(),
        server,
        db.display(),
        if created { "created" } else { "protected" }
    );
    Ok(())
}

fn describe(f: &bluelamp_sync::Failure) -> String {
    use bluelamp_sync::Failure::*;
    match f {
        Network(e) => format!("the central service could not be reached ({e})"),
        BadCredentials => "the central service did not accept the officer id and passphrase".into(),
        other => format!("{other:?}"),
    }
}

/// How `sync` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncEnd {
    Synced,
    /// Offline, blocked, or locked by an order: the store and its outbox are kept.
    NotFinished,
    /// Wiped by order of the central service, after everything written here had reached it.
    Wiped,
}

/// One round to quiescence (or until it gives up). Prints the JSON summary when `json`.
/// Afterwards a lock or wipe order is carried out ([`bluelamp_sync::carry_out_order`]); a store
/// locked by a wipe order whose push did not finish is opened here (and only here) to finish it.
pub fn sync(db: &Path, server: Option<&str>, passphrase: String, json: bool) -> anyhow::Result<SyncEnd> {
    use bluelamp_store::unlock;
    let finishing_wipe = unlock::locked_by_order(db) == Some(Instruction::Wipe);
    let store = match crate::open_counted(db, &passphrase, finishing_wipe) {
        // The wipe order was found inside the store only now (the file beside it was lost or
        // edited): the store is locked by it from now on, and this sync may finish it.
        Err(_) if !finishing_wipe && unlock::locked_by_order(db) == Some(Instruction::Wipe) => {
            crate::open_counted(db, &passphrase, true)?
        }
        other => other?,
    };
    // Opened past a lock-out only to finish a wipe: never a store under a lock order.
    if store.pending_instruction()? == Some(Instruction::Lock) {
        bail!("{}: {}", db.display(), unlock::UnlockError::RemoteLocked);
    }
    // Only the service the store was enrolled with: a round sends it the token, the access log
    // and (signing in again) the passphrase, pushes every write it has not acknowledged and
    // replaces the reference data. `--server` naming another (a slip, or a look-alike) sent all
    // of that there (review, 7 Dec 2026).
    let server = match (server, store.server_url()?) {
        (Some(s), Some(enrolled)) if !bluelamp_sync::same_service(&enrolled, s) => bail!(
            "{} is enrolled with the central service at {enrolled}, not {}: sync with that service (leave out --server)",
            db.display(),
            s.trim().trim_end_matches('/')
        ),
        (Some(s), _) => s.trim().trim_end_matches('/').to_string(),
        (None, Some(enrolled)) => enrolled,
        (None, None) => bail!("no --server given and the store was never enrolled"),
    };
    let creds =
        Credentials { officer_id: store.officer_id()?, passphrase: Zeroizing::new(passphrase), device: device_name() };
    let client = Client::new(&server)?;
    let store = Mutex::new(store);
    let mut progress = |p: &Progress| match p {
        Progress::SignedIn => note!("signed in to {server}"),
        Progress::Pushed { acknowledged, pending } => {
            note!("pushed: {acknowledged} acknowledged, {pending} pending")
        }
        Progress::Pulled { pulled_total, remaining } => note!("pulled: {pulled_total} so far, {remaining} to go"),
        Progress::Reset => note!("the server asked for a full re-pull"),
        Progress::Retrying { after_ms, error } => note!("retrying in {after_ms} ms: {error}"),
    };
    let report = runtime()?.block_on(run_round(&store, &client, Some(&creds), round_config()?, &mut progress))?;
    let store = store.into_inner().unwrap_or_else(|p| p.into_inner());
    let counts = store.sync_counts()?;
    // What a wipe erases that the service does not hold: writes it refused (kept here with the
    // reasons), conflicts waiting for a person, and access-log entries it refused for good.
    let log_refused_why = store.audit_refused()?;
    let log_refused = if log_refused_why.is_some() { store.audit_unsent()? } else { 0 };
    let erased = (counts.rejected, counts.conflicts, log_refused);
    // Orders are carried out at once; a wipe only once nothing written here is left unsent.
    let carried = bluelamp_sync::carry_out_order(db, store)?;
    match carried {
        Some(Carried::Wiped) if erased == (0, 0, 0) => note!(
            "the central service ordered this device wiped: everything written here had reached it; {} destroyed",
            db.display()
        ),
        Some(Carried::Wiped) => note!(
            "the central service ordered this device wiped: every write it would take had reached it; {} destroyed, \
             and with it {} writes the service refused, {} conflicts waiting for a person and {} access-log entries \
             the service refused for good{} (it keeps its own copy of the log up to there)",
            db.display(),
            erased.0,
            erased.1,
            erased.2,
            log_refused_why.as_deref().map(|w| format!(" ({})", crate::output::printable(w))).unwrap_or_default()
        ),
        Some(Carried::LockedUntilWiped { pending, log_entries }) => note!(
            "the central service ordered this device wiped, but {pending} writes and {log_entries} access-log entries \
             have not reached it yet: {} is kept, locked (it opens for nothing but sync), and the next sync sends \
             them, then wipes it",
            db.display()
        ),
        Some(Carried::Locked) => {
            note!("the central service ordered this device locked: sign in online (enrol) to unlock it")
        }
        None => {}
    }
    if json {
        let out = serde_json::json!({
            "server": server,
            "outcome": report.outcome,
            "message": report.message,
            "reached_server": report.reached_server,
            "pushed": report.pushed,
            "acknowledged": report.acknowledged,
            "rejected": report.rejected,
            "pending": report.pending,
            "pulled": report.pulled,
            "conflicts": report.conflicts,
            "instructions": report.instructions,
            "order_carried_out": match carried {
                Some(Carried::Wiped) => Some("wiped"),
                Some(Carried::LockedUntilWiped { .. }) => Some("locked_until_wiped"),
                Some(Carried::Locked) => Some("locked"),
                None => None,
            },
            "totals": counts,
            "erased_with_the_store": matches!(carried, Some(Carried::Wiped)).then(|| serde_json::json!({
                "refused_writes": erased.0,
                "conflicts": erased.1,
                "refused_access_log_entries": erased.2,
            })),
        });
        say!("{}", serde_json::to_string_pretty(&out)?)?;
    } else {
        note!(
            "{}: pushed {}, acknowledged {}, rejected {}, pending {}, pulled {}, conflicts {}{}",
            report.outcome,
            report.pushed,
            report.acknowledged,
            report.rejected,
            report.pending,
            report.pulled,
            report.conflicts,
            report.message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default()
        );
    }
    Ok(match (carried, report.outcome.as_str()) {
        (Some(Carried::Wiped), _) => SyncEnd::Wiped,
        (_, "synced") => SyncEnd::Synced,
        _ => SyncEnd::NotFinished,
    })
}

/// `demo enqueue --forms N`: synthetic DA forms in the outbox, for load and fault tests. The
/// next sync sends them, so a store enrolled with a service other than one on this machine
/// (a demo or test service) is refused: a force's records system must never receive them.
pub fn enqueue(store: &mut Store, forms: usize) -> anyhow::Result<Vec<String>> {
    if let Some(url) = store.server_url()? {
        if !bluelamp_sync::is_local_url(&url) {
            bail!(
                "demo enqueue writes synthetic DA forms that the next sync would send to {url}: it runs only on a \
                 store that is not enrolled, or is enrolled with a service on this machine (a demo or test one)"
            );
        }
    }
    Ok(store.demo_enqueue_forms(forms)?)
}
