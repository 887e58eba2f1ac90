//! What the app holds while it runs: configuration, reachability, and the session (the open
//! store) — `None` while the app is locked.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bluelamp_protocol::session::SessionInfo;
use bluelamp_protocol::NetState;
use bluelamp_store::audit::Actor;
use bluelamp_store::Store;

use crate::config::Config;
use crate::sync::SyncShared;

/// How many synthetic people each demo store and the demo central service hold.
pub const DEMO_NOMINALS: usize = 300;
/// How many synthetic incidents each demo officer is assigned.
pub const DEMO_INCIDENTS: usize = 12;
/// Demo stores hold synthetic data only, so their passphrase is public (README).
pub const DEMO_PASSPHRASE: &str = "bluelamp-demo";
const PROBE_EVERY: Duration = Duration::from_secs(2);

/// An unlocked store and who unlocked it.
pub struct Session {
    pub store: Store,
    pub info: SessionInfo,
    pub actor: Actor,
    pub last_activity: Activity,
}

/// When the officer last did something, on two clocks. The monotonic one is immune to the
/// wall clock being set back; the wall clock keeps running while the laptop is suspended (lid
/// closed in the car), which on Linux the monotonic one does not. The session has been idle
/// for the longer of the two, so neither a suspend nor a clock change keeps it open.
#[derive(Clone, Copy, Debug)]
pub struct Activity {
    mono: Instant,
    wall: std::time::SystemTime,
}

impl Activity {
    pub fn now() -> Activity {
        Activity { mono: Instant::now(), wall: std::time::SystemTime::now() }
    }

    /// How long since the last activity: the longer of the two clocks' readings.
    pub fn idle_for(&self) -> Duration {
        // A wall clock set back reads as no time at all; the monotonic clock still counts.
        let wall = self.wall.elapsed().unwrap_or_default();
        self.mono.elapsed().max(wall)
    }

    /// The officer used the keyboard or mouse `ago` before now (as the window saw it). Only
    /// ever moves the activity forward.
    pub fn saw_input(&mut self, ago: Duration) {
        if ago < self.idle_for() {
            let now = Activity::now();
            *self = Activity {
                mono: now.mono.checked_sub(ago).unwrap_or(now.mono),
                wall: now.wall.checked_sub(ago).unwrap_or(now.wall),
            };
        }
    }
}

pub struct AppState {
    pub config: Config,
    pub net: Arc<Mutex<NetState>>,
    pub session: Arc<Mutex<Option<Session>>>,
    pub sync: Arc<SyncShared>,
    /// The central service this app talks to (configured, or the embedded demo one).
    pub central_url: String,
    /// The embedded demo service's storage, to register a new demo store's synthetic incidents.
    pub demo_storage: Option<bluelamp_central::Central>,
    started: Instant,
    ready_reported: AtomicBool,
    /// Demo: the in-process central service (stopped and restarted by "simulate offline").
    pub demo_central: tokio::sync::Mutex<Option<DemoCentral>>,
    /// One unlock at a time ([`AppState::unlock_signing_in`]).
    pub(crate) unlocking: tokio::sync::Mutex<()>,
    _log_guard: Option<tracing_appender::non_blocking::WorkerGuard>,
}

/// The embedded demo central service and where it listens.
pub struct DemoCentral {
    pub central: bluelamp_central::Central,
    pub addr: std::net::SocketAddr,
    pub running: Option<bluelamp_central::Running>,
}

impl AppState {
    /// Starts the embedded demo central service (unless a URL is configured) and the health
    /// probe. No store is open: the app starts locked.
    pub async fn start(
        config: Config,
        started: Instant,
        log_guard: Option<tracing_appender::non_blocking::WorkerGuard>,
    ) -> anyhow::Result<AppState> {
        let (central, url) = match &config.central_url {
            Some(url) => (None, url.clone()),
            None => {
                // The demo officers' passphrase is public (synthetic data only), so the embedded
                // service hashes it cheaply: an expensive hash would only slow the first start.
                let demo_config =
                    bluelamp_central::Config { hash_cost: bluelamp_central::HashCost::FAST, ..Default::default() };
                let central =
                    bluelamp_central::Central::open_with(&config.data_dir.join("demo-central.db"), demo_config)?;
                central.seed_demo_without_incidents(DEMO_NOMINALS)?;
                let running = bluelamp_central::spawn(central.clone(), "127.0.0.1:0".parse()?).await?;
                let url = running.url();
                (Some(DemoCentral { central, addr: running.addr, running: Some(running) }), url)
            }
        };
        // The service's address is loopback (no personal data); the E2E tests read it here.
        tracing::info!(demo = config.demo, embedded_central = central.is_some(), central_url = %url, "started");
        let net = Arc::new(Mutex::new(NetState::Unknown));
        let sync = Arc::new(SyncShared::default());
        let session: Arc<Mutex<Option<Session>>> = Arc::new(Mutex::new(None));
        spawn_health_probe(url.clone(), net.clone(), sync.clone())?;
        spawn_idle_watch(session.clone(), sync.clone(), config.idle_lock_secs);
        let central_url = url.clone();
        let demo_storage = central.as_ref().map(|c| c.central.clone());
        let (sess, cfg, shared) = (session.clone(), config.clone(), sync.clone());
        crate::sync::spawn_worker(url, session.clone(), sync.clone(), move |instruction, officer| {
            // A lost or stolen device: lock now (until the officer signs in online) or wipe, once
            // everything written here has reached the service (the round pushed to an empty
            // outbox before ending on a wipe; a write made since keeps the store, locked).
            let taken = {
                let mut g = sess.lock().unwrap_or_else(|p| p.into_inner());
                if g.as_ref().is_some_and(|s| s.info.officer_id == officer) {
                    g.take()
                } else {
                    None
                }
            };
            let was_open = taken.is_some();
            shared.clear_credentials();
            let db = cfg.officer_db(officer);
            let result = match taken {
                Some(s) => bluelamp_sync::carry_out_order(&db, s.store),
                // Closed meanwhile: the order is in the store; lock it, and the next online
                // sign-in finishes what the order asks.
                None => bluelamp_store::unlock::lock_out_by_order(&db, instruction).map(|()| None),
            };
            if was_open {
                use bluelamp_protocol::status::LockReason;
                shared.set_lock_reason(Some(match result {
                    Ok(Some(bluelamp_sync::Carried::Wiped)) => LockReason::RemoteWipe,
                    Ok(Some(bluelamp_sync::Carried::LockedUntilWiped { .. })) => LockReason::RemoteWipePending,
                    _ => LockReason::RemoteLock,
                }));
            }
            tracing::warn!(?instruction, carried = ?result.as_ref().ok(), ok = result.is_ok(), "remote instruction carried out");
        })?;
        Ok(AppState {
            config,
            net,
            session,
            sync,
            central_url,
            demo_storage,
            started,
            ready_reported: AtomicBool::new(false),
            demo_central: tokio::sync::Mutex::new(central),
            unlocking: tokio::sync::Mutex::new(()),
            _log_guard: log_guard,
        })
    }

    /// Called when the UI first asks for its status: its first screen is on display.
    pub fn note_ready(&self) {
        if self.config.report_ready && !self.ready_reported.swap(true, Ordering::SeqCst) {
            println!("bluelamp: ready after {} ms", self.started.elapsed().as_millis());
        }
    }
}

fn spawn_health_probe(url: String, net: Arc<Mutex<NetState>>, sync: Arc<SyncShared>) -> anyhow::Result<()> {
    let client = bluelamp_sync::Client::new(&url)?;
    tauri::async_runtime::spawn(async move {
        loop {
            let now = match client.health().await {
                Ok(_) => NetState::Online,
                Err(_) => NetState::Offline,
            };
            {
                let mut cur = net.lock().unwrap_or_else(|p| p.into_inner());
                if *cur != now {
                    tracing::info!(state = ?now, "central service reachability changed");
                    if now == NetState::Online {
                        // Back online: sync what was written meanwhile.
                        sync.wake.notify_one();
                    }
                }
                *cur = now;
            }
            tokio::time::sleep(PROBE_EVERY).await;
        }
    });
    Ok(())
}

/// Checks the idle limit every second, on its own: the commands and the status poll check it
/// too, but a window that sends nothing (a hung or crashed web view) would otherwise leave the
/// session open, its store key in memory and its sync running.
fn spawn_idle_watch(session: Arc<Mutex<Option<Session>>>, sync: Arc<SyncShared>, idle_lock_secs: u32) {
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let mut guard = session.lock().unwrap_or_else(|p| p.into_inner());
            crate::api::expire_if_idle(&mut guard, idle_lock_secs, &sync);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A suspended laptop: the monotonic clock stood still, the wall clock ran on.
    #[test]
    fn idle_time_counts_a_suspend() {
        let now = Activity::now();
        let suspended = Activity { mono: now.mono, wall: now.wall - Duration::from_secs(7200) };
        assert!(suspended.idle_for() >= Duration::from_secs(7200));
        // A wall clock set forward a little, then back: the monotonic reading still counts.
        let set_back = Activity { mono: now.mono, wall: now.wall + Duration::from_secs(3600) };
        assert!(set_back.idle_for() < Duration::from_secs(1));
    }

    #[test]
    fn input_only_moves_activity_forward() {
        let now = Activity::now();
        let mut a = Activity { mono: now.mono, wall: now.wall - Duration::from_secs(600) };
        a.saw_input(Duration::from_secs(900));
        assert!(a.idle_for() >= Duration::from_secs(600), "older input must not reset the reading");
        a.saw_input(Duration::from_secs(5));
        let idle = a.idle_for();
        assert!(idle >= Duration::from_secs(5) && idle < Duration::from_secs(60), "idle {idle:?}");
    }
}
