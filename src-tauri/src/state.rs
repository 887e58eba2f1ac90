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
    pub last_activity: Instant,
}

pub struct AppState {
    pub config: Config,
    pub net: Arc<Mutex<NetState>>,
    pub session: Mutex<Option<Session>>,
    started: Instant,
    ready_reported: AtomicBool,
    _central: Option<bluelamp_central::Running>,
    _log_guard: Option<tracing_appender::non_blocking::WorkerGuard>,
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
                let central = bluelamp_central::Central::open(&config.data_dir.join("demo-central.db"))?;
                central.seed_demo(DEMO_NOMINALS)?;
                let running = bluelamp_central::spawn(central, "127.0.0.1:0".parse()?).await?;
                let url = running.url();
                (Some(running), url)
            }
        };
        tracing::info!(demo = config.demo, embedded_central = central.is_some(), "started");
        let net = Arc::new(Mutex::new(NetState::Unknown));
        spawn_health_probe(url, net.clone())?;
        Ok(AppState {
            config,
            net,
            session: Mutex::new(None),
            started,
            ready_reported: AtomicBool::new(false),
            _central: central,
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

fn spawn_health_probe(url: String, net: Arc<Mutex<NetState>>) -> anyhow::Result<()> {
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
                }
                *cur = now;
            }
            tokio::time::sleep(PROBE_EVERY).await;
        }
    });
    Ok(())
}
