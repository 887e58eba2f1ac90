//! One sync round: sign in if needed, push the outbox to empty, pull to the last page.
//!
//! The engine (`bluelamp_sync_core::Engine`) decides; this module only carries out its
//! actions. The store is reached through [`LocalStore`] in short critical sections, never
//! across a network wait, so the app stays responsive while a round runs.

use std::sync::Mutex;
use std::time::Duration;

use bluelamp_protocol::session::Permission;
use bluelamp_protocol::wire::{Instruction, LoginRequest, PullRequest, PullResponse, PushRequest};
use bluelamp_protocol::SCHEMA_VERSION;
use bluelamp_store::{Store, StoreError};
use bluelamp_sync_core::{check_page, plan_ack, Action, Config, CursorTrail, Engine, Event, Failure, Finish};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::Client;

/// Access to the store for the duration of one closure.
pub trait LocalStore {
    /// Runs `f` on the store; `None` if the store is no longer open (the app locked).
    fn with<R>(&self, f: impl FnOnce(&mut Store) -> R) -> Option<R>;
}

impl LocalStore for Mutex<Store> {
    fn with<R>(&self, f: impl FnOnce(&mut Store) -> R) -> Option<R> {
        let mut g = self.lock().unwrap_or_else(|p| p.into_inner());
        Some(f(&mut g))
    }
}

/// What signing in needs. The passphrase is wiped from memory when dropped.
pub struct Credentials {
    pub officer_id: String,
    pub passphrase: Zeroizing<String>,
    pub device: String,
}

/// Progress, for a progress bar or stderr.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Progress {
    SignedIn,
    Pushed { acknowledged: u64, pending: u64 },
    Pulled { pulled_total: u64, remaining: u64 },
    Reset,
    Retrying { after_ms: u64, error: String },
}

/// What a round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RoundReport {
    /// Entries sent in push requests (resends included).
    pub pushed: u64,
    /// Entries the server acknowledged as applied in this round.
    pub acknowledged: u64,
    /// Entries the server refused in this round (parked with the reason).
    pub rejected: u64,
    /// Entries still waiting after the round.
    pub pending: u64,
    /// Records the pull changed on this device in this round: people added, updated or removed,
    /// incidents added, updated or removed, and casework taken from other devices.
    pub pulled: u64,
    /// Access-log entries the server verified and holds, sent in this round.
    pub audit_pushed: u64,
    /// Unresolved conflicts and possible duplicates in the store.
    pub conflicts: u64,
    /// The server answered at least once in this round.
    pub reached_server: bool,
    /// `synced`, `offline` or `blocked`.
    pub outcome: String,
    /// Why the round did not finish, if it did not.
    pub message: Option<String>,
    pub instructions: Vec<Instruction>,
    /// The officer's role as the service gave it at a sign-in in this round (also stored);
    /// `None` if the round did not sign in.
    pub role: Option<bluelamp_protocol::session::Role>,
}

/// A local problem (the store failed): the round stops; nothing is lost.
#[derive(Debug, thiserror::Error)]
pub enum RoundError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the app locked during sync")]
    Locked,
}

fn local<L: LocalStore, R>(l: &L, f: impl FnOnce(&mut Store) -> Result<R, StoreError>) -> Result<R, RoundError> {
    l.with(f).ok_or(RoundError::Locked)?.map_err(RoundError::from)
}

/// Runs one round to its end. `creds`: needed only if there is no usable token (or it is
/// refused); without them such a round ends `blocked`.
pub async fn run_round<L: LocalStore>(
    store: &L,
    client: &Client,
    creds: Option<&Credentials>,
    cfg: Config,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<RoundReport, RoundError> {
    let has_token = local(store, |s| s.usable_token())?.is_some();
    let push_batch = cfg.push_batch.clamp(1, bluelamp_protocol::wire::MAX_PUSH_BATCH);
    let pull_limit = cfg.pull_limit.clamp(1, bluelamp_protocol::wire::MAX_PULL_LIMIT);
    let mut engine = Engine::new(cfg, has_token, rand::random());
    let mut report = RoundReport::default();
    let client_id = local(store, |s| s.client_id())?;
    let mut buffer: Vec<PullResponse> = Vec::new();
    let mut trail = CursorTrail::default();
    // The service refused the access log (a broken or forked chain, a gap): said at the end of
    // the round, which still pulls, so reference data, conflicts and a lock or wipe order reach
    // the device.
    let mut audit_refused: Option<String> = None;
    // The service refused the writes for the officer's role: parked, said at the end of the
    // round, which still sends the access log and pulls.
    let mut push_refused: Option<String> = None;
    loop {
        match engine.next_action() {
            Action::Finish(fin) => {
                // A round whose access log was refused did not finish: it is no "last sync"
                // (until 7 Dec 2026 it was, and `status` showed a blocked round as the last one).
                let finished = fin == Finish::Synced && audit_refused.is_none() && push_refused.is_none();
                let counts = local(store, |s| {
                    if finished {
                        s.mark_synced()?;
                    }
                    s.sync_counts()
                })?;
                report.pending = counts.pending;
                report.conflicts = counts.conflicts;
                let refusals: Vec<String> = push_refused
                    .take()
                    .into_iter()
                    .chain(audit_refused.take().map(|why| format!("the central service refused the access log: {why}")))
                    .collect();
                let (outcome, message) = match fin {
                    Finish::Synced if refusals.is_empty() => ("synced", None),
                    Finish::Synced => ("blocked", Some(refusals.join("; "))),
                    Finish::Offline { last_error } => ("offline", Some(last_error)),
                    Finish::Blocked { reason } => ("blocked", Some(reason)),
                    // Not a finished sync: the last sync time stays where it was.
                    fin @ Finish::Ordered(_) => {
                        let why = std::iter::once(fin.reason().unwrap_or_default()).chain(refusals).collect::<Vec<_>>();
                        ("blocked", Some(why.join("; ")))
                    }
                };
                report.outcome = outcome.into();
                report.message = message;
                return Ok(report);
            }
            Action::Wait { millis } => {
                progress(&Progress::Retrying {
                    after_ms: millis,
                    error: engine.last_error().unwrap_or_default().to_string(),
                });
                tokio::time::sleep(Duration::from_millis(millis)).await;
            }
            Action::Login => {
                let Some(c) = creds else {
                    engine.handle(Event::Failed(Failure::Forbidden(
                        "signing in to the central service needs the officer's passphrase".into(),
                    )));
                    continue;
                };
                let req = LoginRequest {
                    schema_version: SCHEMA_VERSION,
                    officer_id: c.officer_id.clone(),
                    passphrase: Zeroizing::new(c.passphrase.to_string()),
                    client_id: client_id.clone(),
                    device: c.device.clone(),
                    // The cached passphrase: a remote lock stays pending until delivered.
                    interactive: false,
                };
                match client.login(&req).await {
                    Ok(resp) => {
                        report.reached_server = true;
                        if resp.officer_id != c.officer_id || resp.client_id != client_id {
                            engine.handle(Event::Failed(Failure::BadResponse(
                                "the sign-in answer is for another officer or device".into(),
                            )));
                            continue;
                        }
                        // The role may have changed centrally: the device keeps the current one
                        // for offline use.
                        // Writes parked because the role did not allow records work go back in
                        // the queue once a sign-in brings one that does.
                        // (`set_role` does it, whichever sign-in sets the role.)
                        local(store, |s| {
                            s.set_token(&resp)?;
                            s.set_role(resp.role)
                        })?;
                        report.role = Some(resp.role);
                        progress(&Progress::SignedIn);
                        engine.handle(Event::LoggedIn);
                    }
                    Err(f) => {
                        if !matches!(f, Failure::Network(_)) {
                            report.reached_server = true;
                        }
                        engine.handle(Event::Failed(f));
                    }
                }
            }
            Action::Push => {
                let (batch, known) = local(store, |s| Ok((s.outbox_batch(push_batch)?, s.server_last_seq()?)))?;
                let (Some(first), Some(last)) = (batch.first().map(|m| m.seq), batch.last().map(|m| m.seq)) else {
                    // The outbox is empty: push the access log's new entries (the server verifies
                    // the chain and returns the head it holds, kept locally as the anchor).
                    let pushed = push_audit(store, client, &client_id).await?;
                    if pushed.is_ok() {
                        local(store, |s| s.set_audit_refused(None))?;
                    }
                    match pushed {
                        Ok(0) => engine.handle(Event::NothingToPush),
                        Ok(n) => {
                            report.reached_server = true;
                            report.audit_pushed += n;
                            engine.handle(Event::Pushed { outbox_empty: false });
                        }
                        Err(f) => {
                            if !matches!(f, Failure::Network(_)) {
                                report.reached_server = true;
                            }
                            if f == Failure::Unauthorized {
                                local(store, |s| s.clear_token())?;
                            }
                            if f.is_transient() || f == Failure::Unauthorized {
                                engine.handle(Event::Failed(f));
                            } else {
                                // Refused for good (until someone acts): the pull still runs.
                                tracing::warn!(reason = %f.describe(), "access log refused by the central service");
                                // A chain the service holds otherwise (409: the device's log
                                // forked from its copy) is kept in the store: `status` says so,
                                // and a wipe order is not held for ever by entries the service
                                // will never take. Any other refusal (a proxy's 413 or 404, a
                                // schema mismatch) is no fork: the entries stay unsent and hold
                                // a wipe (review, 7 Dec 2026).
                                if matches!(f, Failure::Rejected(409, _)) {
                                    local(store, |s| s.set_audit_refused(Some(&f.describe())))?;
                                }
                                audit_refused = Some(f.describe());
                                engine.handle(Event::NothingToPush);
                            }
                        }
                    }
                    continue;
                };
                let token = local(store, |s| s.usable_token())?.unwrap_or_default();
                report.pushed += batch.len() as u64;
                let req =
                    PushRequest { schema_version: SCHEMA_VERSION, client_id: client_id.clone(), mutations: batch };
                let answer = client.push(&token, &req).await;
                if answer.is_ok() || !matches!(answer, Err(Failure::Network(_))) {
                    report.reached_server = true;
                }
                match answer.and_then(|r| plan_ack(&r, first, last, known).map(|p| (r, p))) {
                    Ok((resp, plan)) => {
                        let before = local(store, |s| s.sync_counts())?;
                        let after = local(store, |s| {
                            s.outbox_commit_ack(
                                plan.done_through,
                                &plan.park,
                                &resp.conflicts,
                                &resp.possible_duplicates,
                            )?;
                            if let Some(i) = strongest(&resp.instructions) {
                                s.set_pending_instruction(Some(i))?;
                            }
                            s.sync_counts()
                        })?;
                        report.acknowledged += after.acknowledged.saturating_sub(before.acknowledged);
                        report.rejected += after.rejected.saturating_sub(before.rejected);
                        merge_instructions(&mut report.instructions, &resp.instructions);
                        progress(&Progress::Pushed { acknowledged: after.acknowledged, pending: after.pending });
                        // Ask again even when the outbox is empty: the access log goes next.
                        engine.handle(Event::Pushed { outbox_empty: false });
                        // A wipe order: the engine pushes on to an empty outbox before the wipe.
                        if let Some(i) = strongest(&resp.instructions) {
                            engine.handle(Event::Ordered(i));
                        }
                    }
                    Err(f) => {
                        let msg = format!("{f:?}");
                        local(store, |s| s.outbox_note_failure(first, last, &msg))?;
                        if let Failure::SeqReused { server_last } = f {
                            local(store, |s| s.outbox_renumber_after(server_last).map(drop))?;
                        }
                        // The service holds less than it once acknowledged (restored from a
                        // backup): what it lost is sent again, in order.
                        if let Failure::SeqGap { server_last } = f {
                            if server_last.saturating_add(1) < first {
                                let n = local(store, |s| s.outbox_requeue_after(server_last))?;
                                tracing::warn!(
                                    server_last,
                                    requeued = n,
                                    "the central service lost writes it had acknowledged; sending them again"
                                );
                            }
                        }
                        if f == Failure::Unauthorized {
                            local(store, |s| s.clear_token())?;
                        }
                        // Refused as a whole for the officer's role (made an administrator):
                        // the writes can never be applied under it. Parked here, visible as
                        // refused, and the round goes on, so the access log is sent and a lock
                        // or wipe order still arrives (until 7 Dec 2026 the round ended here, a
                        // lost device with a pending write was never wiped, and the writes were
                        // offered again at every round).
                        if let Failure::Forbidden(why) = &f {
                            let role = local(store, |s| s.role())?;
                            if role.is_some_and(|r| !r.allows(Permission::RecordsWork)) {
                                let n = local(store, |s| s.outbox_park_role_refused(why))?;
                                tracing::warn!(parked = n, "writes refused for the officer's role: parked");
                                report.rejected += n;
                                push_refused = Some(format!("{}; {n} writes kept here as refused", f.describe()));
                                engine.handle(Event::Pushed { outbox_empty: false });
                                continue;
                            }
                        }
                        engine.handle(Event::Failed(f));
                    }
                }
            }
            Action::Pull => {
                // Pages are buffered and committed together (with the last cursor) every
                // PULL_FLUSH changes, at the last page, and before any failure is handled.
                let cursor = match buffer.last() {
                    Some(p) => Some(p.next_cursor.clone()),
                    None => local(store, |s| s.pull_cursor())?,
                };
                let token = local(store, |s| s.usable_token())?.unwrap_or_default();
                let req = PullRequest {
                    schema_version: SCHEMA_VERSION,
                    client_id: client_id.clone(),
                    cursor,
                    limit: pull_limit,
                };
                let answer = client.pull(&token, &req).await;
                let answer = answer.and_then(|r| trail.check(req.cursor.as_deref(), &r).map(|()| r));
                if answer.is_ok() || !matches!(answer, Err(Failure::Network(_))) {
                    report.reached_server = true;
                }
                let answer = answer.and_then(|r| check_page(&r, pull_limit).map(|()| r));
                if let Ok(page) = &answer {
                    // The service holds fewer of this device's writes than it acknowledged
                    // (restored from a backup): they are queued again, for the next push. A push
                    // of a new write would find the gap too (`SeqGap`), but a device with
                    // nothing new to send never pushed.
                    let known = local(store, |s| s.server_last_seq())?;
                    if page.last_applied_seq < known {
                        let n = local(store, |s| s.outbox_requeue_after(page.last_applied_seq))?;
                        if n > 0 {
                            tracing::warn!(
                                server_last = page.last_applied_seq,
                                requeued = n,
                                "the central service lost writes it had acknowledged; queued again"
                            );
                        }
                    }
                }
                match answer {
                    Ok(page) if page.reset.is_some() => {
                        // Pages fetched under the old cursor are moot.
                        buffer.clear();
                        match flush(store, std::slice::from_ref(&page), &mut report, progress)? {
                            Ok(()) => engine.handle(Event::Pulled { has_more: true, reset: true }),
                            Err(f) => engine.handle(Event::Failed(f)),
                        }
                    }
                    Ok(page) => {
                        let (has_more, told) = (page.has_more, strongest(&page.instructions));
                        buffer.push(page);
                        let buffered: usize = buffer.iter().map(|p| p.changes.len()).sum();
                        if !has_more || told.is_some() || buffered >= PULL_FLUSH {
                            let pages = std::mem::take(&mut buffer);
                            if let Err(f) = flush(store, &pages, &mut report, progress)? {
                                engine.handle(Event::Failed(f));
                                continue;
                            }
                        }
                        engine.handle(Event::Pulled { has_more, reset: false });
                        // After the page: the engine heeds the order even though a last page
                        // (`has_more: false`, as every page under an order is) ended the round.
                        if let Some(i) = told {
                            engine.handle(Event::Ordered(i));
                        }
                    }
                    Err(f) => {
                        // Keep what arrived before the failure.
                        let pages = std::mem::take(&mut buffer);
                        if !pages.is_empty() {
                            let _ = flush(store, &pages, &mut report, progress)?;
                        }
                        if f == Failure::Unauthorized {
                            local(store, |s| s.clear_token())?;
                        }
                        engine.handle(Event::Failed(f));
                    }
                }
            }
        }
    }
}

/// Changes buffered before a pull commit (about 200 000 nominals: fewer, larger transactions
/// for a first sync; the cursor always commits with them).
const PULL_FLUSH: usize = 200_000;

/// Applies buffered pages (rows and the last cursor in one transaction). `Ok(Err(_))`: the store
/// refused them (an unreadable record): nothing was applied.
fn flush<L: LocalStore>(
    store: &L,
    pages: &[PullResponse],
    report: &mut RoundReport,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<Result<(), Failure>, RoundError> {
    let Some(last) = pages.last() else { return Ok(Ok(())) };
    let applied = store.with(|s| {
        let r = s.apply_pull_pages(pages)?;
        if let Some(i) = strongest(&r.instructions) {
            s.set_pending_instruction(Some(i))?;
        }
        Ok::<_, StoreError>((r, s.sync_counts()?))
    });
    match applied.ok_or(RoundError::Locked)? {
        Ok((r, counts)) => {
            // Every record the pull changed here: people, incidents (added, updated or
            // removed) and casework from other devices (until 7 Dec 2026 people only, so a
            // round that brought a colleague's form said "pulled 0").
            report.pulled += r.upserts + r.tombstones + r.incidents_updated + r.incidents_removed + r.casework;
            merge_instructions(&mut report.instructions, &r.instructions);
            progress(&if last.reset.is_some() {
                Progress::Reset
            } else {
                Progress::Pulled { pulled_total: counts.pulled_total, remaining: last.remaining }
            });
            Ok(Ok(()))
        }
        Err(StoreError::Invalid(m)) => Ok(Err(Failure::BadResponse(m))),
        Err(e) => Err(e.into()),
    }
}

/// Access-log entries per request.
const AUDIT_BATCH: usize = 1_000;

/// Sends the access-log entries after the anchor (one batch) and stores the head the server
/// acknowledges. `Ok(n)`: entries sent (0: nothing new).
///
/// A service restored from a backup holds fewer of this device's entries than it acknowledged:
/// it answers `seq_gap` with the head it holds. The entries after that head are still here, the
/// chain intact, so they are sent again from there, in batches, until the service holds the
/// anchor again; only then does the anchor move on (it never moves back: it is what a local
/// truncation is checked against). Every round used to end blocked on it, the service's log
/// kept its hole, and a wipe order waited for ever (review, 7 Dec 2026).
async fn push_audit<L: LocalStore>(
    store: &L,
    client: &Client,
    client_id: &str,
) -> Result<Result<u64, Failure>, RoundError> {
    let anchor = local(store, |s| Ok(s.audit_anchor()?.map(|a| a.seq).unwrap_or(0)))?;
    let mut from = anchor;
    let mut refilling = false;
    let mut sent = 0u64;
    loop {
        let (entries, token) =
            local(store, |s| Ok((s.audit_after(from, AUDIT_BATCH)?, s.usable_token()?.unwrap_or_default())))?;
        if entries.is_empty() {
            return Ok(Ok(sent));
        }
        let n = entries.len() as u64;
        let req = bluelamp_protocol::wire::AuditPushRequest {
            schema_version: SCHEMA_VERSION,
            client_id: client_id.to_string(),
            entries,
        };
        match client.push_audit(&token, &req).await {
            Ok(head) => {
                // Believe only a head that is one of ours (it may be past what this batch sent,
                // when an earlier answer was lost): the entry at that seq must have that hash here.
                let ours = local(store, |s| s.audit_after(head.head_seq.saturating_sub(1) as i64, 1))?;
                if head.head_seq == 0
                    || ours.first().map(|e| (e.seq, &e.entry_hash)) != Some((head.head_seq, &head.head_hash))
                {
                    return Ok(Err(Failure::BadResponse(format!(
                        "the service acknowledged access-log #{} with a hash this device does not have",
                        head.head_seq
                    ))));
                }
                sent += n;
                let held = i64::try_from(head.head_seq).unwrap_or(i64::MAX);
                if held >= anchor {
                    local(store, |s| s.set_audit_anchor(held, &head.head_hash))?;
                    return Ok(Ok(sent));
                }
                // Still refilling the service's hole: the next batch from its new head.
                if held <= from {
                    return Ok(Err(Failure::BadResponse(format!(
                        "the service's access-log head #{held} did not move past #{from}"
                    ))));
                }
                from = held;
            }
            // Behind what it acknowledged: resend from its head (once per push; a second gap
            // while refilling is an answer to report).
            Err(Failure::SeqGap { server_last }) if !refilling && (server_last as i64) < from => {
                refilling = true;
                tracing::warn!(
                    held = server_last,
                    acknowledged = anchor,
                    "the central service holds fewer access-log entries than it acknowledged (restored from a backup?): sending them again"
                );
                from = i64::try_from(server_last).unwrap_or(0);
            }
            Err(f) => return Ok(Err(f)),
        }
    }
}

/// Wipe beats lock.
fn strongest(is: &[Instruction]) -> Option<Instruction> {
    if is.contains(&Instruction::Wipe) {
        Some(Instruction::Wipe)
    } else if is.contains(&Instruction::Lock) {
        Some(Instruction::Lock)
    } else {
        None
    }
}

fn merge_instructions(into: &mut Vec<Instruction>, from: &[Instruction]) {
    for i in from {
        if !into.contains(i) {
            into.push(*i);
        }
    }
}
