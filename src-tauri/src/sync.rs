//! The app's background sync: a task that runs a sync round (sign in if needed, push the
//! outbox, pull reference data) when the central service comes back, after each write that
//! queued something, every few minutes, and on "Sync now". The decisions are in
//! `bluelamp-sync-core`; the round itself in `bluelamp-sync`; this is only scheduling.
//!
//! The round reaches the store through [`SessionStore`]: one short lock per step, never held
//! across a network wait, never counted as officer activity (so sync does not keep the app
//! from idle-locking), and only while the same officer's session is open.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bluelamp_protocol::status::SyncStatus;
use bluelamp_protocol::wire::Instruction;
use bluelamp_store::Store;
use bluelamp_sync::{run_round, Client, Credentials, LocalStore, Progress};
use zeroize::Zeroizing;

use crate::state::Session;

/// Rounds run at least this often while unlocked.
pub const SYNC_EVERY: Duration = Duration::from_secs(180);

/// What the worker shares with the commands.
#[derive(Default)]
pub struct SyncShared {
    pub wake: tokio::sync::Notify,
    pub running: AtomicBool,
    pub simulated_offline: AtomicBool,
    creds: Mutex<Option<(String, Zeroizing<String>)>>,
    view: Mutex<View>,
    /// Why the app locked by itself (idle, a remote order); cleared by an unlock or a lock the
    /// officer chose.
    lock_reason: Mutex<Option<bluelamp_protocol::status::LockReason>>,
}

#[derive(Default, Clone)]
struct View {
    last_outcome: Option<String>,
    message: Option<String>,
    remaining: u64,
}

impl SyncShared {
    /// The officer unlocked: their passphrase signs in to the central service when the token
    /// has expired. Kept in memory only while unlocked (like the database key), wiped on lock.
    pub fn set_credentials(&self, officer_id: &str, passphrase: &str) {
        *self.creds.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((officer_id.to_string(), Zeroizing::new(passphrase.to_string())));
        *self.view.lock().unwrap_or_else(|p| p.into_inner()) = View::default();
        self.wake.notify_one();
    }

    pub fn clear_credentials(&self) {
        *self.creds.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Records why the app locked by itself (`None`: the officer locked it, or unlocked).
    pub fn set_lock_reason(&self, r: Option<bluelamp_protocol::status::LockReason>) {
        *self.lock_reason.lock().unwrap_or_else(|p| p.into_inner()) = r;
    }

    pub fn lock_reason(&self) -> Option<bluelamp_protocol::status::LockReason> {
        *self.lock_reason.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the worker holds an officer's credentials (an unlocked session).
    pub fn has_credentials(&self) -> bool {
        self.creds.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    /// The status bar's view, with the store's counts.
    pub fn status(&self, store: &Store) -> Result<SyncStatus, bluelamp_store::StoreError> {
        let c = store.sync_counts()?;
        let v = self.view.lock().unwrap_or_else(|p| p.into_inner()).clone();
        Ok(SyncStatus {
            pending: c.pending,
            rejected: c.rejected,
            conflicts: c.conflicts,
            last_sync_ok: c.last_sync_ok,
            running: self.running.load(Ordering::SeqCst),
            last_outcome: v.last_outcome,
            message: v.message,
            pulled_total: c.pulled_total,
            remaining: v.remaining,
            pull_in_progress: c.pull_in_progress,
            simulated_offline: self.simulated_offline.load(Ordering::SeqCst),
        })
    }
}

/// The open session's store, as long as it is still `officer`'s session.
struct SessionStore {
    session: Arc<Mutex<Option<Session>>>,
    officer: String,
}

impl LocalStore for SessionStore {
    fn with<R>(&self, f: impl FnOnce(&mut Store) -> R) -> Option<R> {
        let mut g = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let s = g.as_mut().filter(|s| s.info.officer_id == self.officer)?;
        Some(f(&mut s.store))
    }
}

/// Starts the worker on Tauri's runtime.
pub fn spawn_worker(
    url: String,
    session: Arc<Mutex<Option<Session>>>,
    shared: Arc<SyncShared>,
    on_instruction: impl Fn(Instruction, &str) + Send + 'static,
) -> anyhow::Result<()> {
    let client = Client::new(&url)?;
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::select! {
                _ = shared.wake.notified() => {}
                _ = tokio::time::sleep(SYNC_EVERY) => {}
            }
            if shared.simulated_offline.load(Ordering::SeqCst) {
                continue;
            }
            let creds = shared.creds.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let Some((officer, passphrase)) = creds else { continue };
            let creds = Credentials { officer_id: officer.clone(), passphrase, device: "bluelamp-app".into() };
            let local = SessionStore { session: session.clone(), officer: officer.clone() };
            shared.running.store(true, Ordering::SeqCst);
            let view = &shared.view;
            let mut progress = |p: &Progress| {
                if let Progress::Pulled { remaining, .. } = p {
                    view.lock().unwrap_or_else(|p| p.into_inner()).remaining = *remaining;
                }
            };
            let cfg = bluelamp_sync_core::Config { max_attempts: 3, ..Default::default() };
            let result = run_round(&local, &client, Some(&creds), cfg, &mut progress).await;
            shared.running.store(false, Ordering::SeqCst);
            let mut v = shared.view.lock().unwrap_or_else(|p| p.into_inner());
            match result {
                Ok(report) => {
                    tracing::info!(
                        outcome = %report.outcome,
                        pushed = report.pushed,
                        acknowledged = report.acknowledged,
                        rejected = report.rejected,
                        pulled = report.pulled,
                        "sync round"
                    );
                    v.last_outcome = Some(report.outcome.clone());
                    v.message = report.message.clone();
                    v.remaining = 0;
                    drop(v);
                    if let Some(role) = report.role {
                        // Changed centrally (the store already holds it): the open session's
                        // permissions follow at once.
                        let mut g = session.lock().unwrap_or_else(|p| p.into_inner());
                        if let Some(s) = g.as_mut().filter(|s| s.info.officer_id == officer && s.info.role != role) {
                            tracing::info!(from = ?s.info.role, to = ?role, "role changed by the central service");
                            s.info.role = role;
                        }
                    }
                    for i in [Instruction::Wipe, Instruction::Lock] {
                        if report.instructions.contains(&i) {
                            on_instruction(i, &officer);
                            break;
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "sync round stopped");
                    v.last_outcome = Some("blocked".into());
                    v.message = Some(e.to_string());
                }
            }
        }
    });
    Ok(())
}
