//! `bluelamp-central`: the reference central records service.
//!
//! It answers the client's sync protocol (see `bluelamp-protocol::wire`, and `docs/api.md` for
//! every route) over HTTP (axum). The app embeds it for the offline demo (an in-process server
//! on 127.0.0.1 seeded with synthetic data); a force runs the binary.
//!
//! Layout: [`http`] (extractors, handlers, compression) talks only to a [`storage::Storage`];
//! [`db::SqliteStorage`] is the default implementation. [`audit`] verifies pushed access-log
//! chains, [`cursor`] is the opaque pull cursor, [`auth`] hashes passphrases and makes tokens.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use bluelamp_protocol::wire::{Instruction, MAX_REQUEST_BYTES};

pub mod audit;
pub mod auth;
pub mod csv_import;
pub mod cursor;
pub mod db;
pub mod http;
mod matching;
pub mod storage;

pub use auth::HashCost;
pub use storage::{Stats, Storage};

/// Text from the database made safe to print on a terminal or in a tab-separated table: control
/// characters (newlines, tabs, ESC of an ANSI sequence) and text-direction controls (U+202E
/// prints the rest reversed; `bluelamp_protocol::wire::is_device_name_char`) are written as
/// `\u{…}` escapes (and a backslash as `\\`, so an escape cannot be faked); everything else,
/// ordinary letters of any script included, is printed as is.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else if !bluelamp_protocol::wire::is_device_name_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Every route the service answers: (method, path). The router is built from this list and a
/// test checks that `docs/api.md` documents exactly these.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/v1/health"),
    ("POST", "/v1/login"),
    ("POST", "/v1/push"),
    ("POST", "/v1/pull"),
    ("POST", "/v1/audit"),
    ("POST", "/v1/admin/nominals"),
];

fn handler(method: &str, path: &str) -> Option<MethodRouter<Central>> {
    Some(match (method, path) {
        ("GET", "/v1/health") => get(http::health),
        ("POST", "/v1/login") => post(http::login),
        ("POST", "/v1/push") => post(http::push),
        ("POST", "/v1/pull") => post(http::pull),
        ("POST", "/v1/audit") => post(http::audit),
        ("POST", "/v1/admin/nominals") => post(http::admin_nominals),
        _ => return None,
    })
}

/// Service settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Argon2id cost for new passphrase hashes.
    pub hash_cost: HashCost,
    /// Lifetime of a bearer token.
    pub token_ttl: Duration,
    /// Longest a request may take (reading the body included).
    pub request_timeout: Duration,
    /// Longest a client may take to send a request's headers (slow-header clients cannot hold
    /// connections open); it also ends a kept-alive connection left idle that long.
    pub header_read_timeout: Duration,
    /// Connections served at once; more are closed at once on accept (a client backs off and
    /// retries, as for any network failure).
    pub max_connections: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            hash_cost: HashCost::DEFAULT,
            token_ttl: Duration::from_secs(12 * 3600),
            request_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

impl Config {
    /// Fast hashes for tests (never in production).
    pub fn for_tests() -> Config {
        Config { hash_cost: HashCost::FAST, ..Config::default() }
    }
}

/// Passphrase checks run at once.
const MAX_CONCURRENT_LOGINS: usize = 8;

/// Consecutive failed sign-ins per officer id (known or not) before a pause.
const MAX_LOGIN_FAILURES: u32 = 10;
const LOGIN_PAUSE_SECS: i64 = 300;

/// In-memory sign-in throttle: after [`MAX_LOGIN_FAILURES`] failures for an id, every attempt
/// for it is refused (with the same answer as a wrong passphrase) for [`LOGIN_PAUSE_SECS`].
#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, (u32, i64)>>,
}

impl Throttle {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u32, i64)>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn is_blocked(&self, id: &str, now: i64) -> bool {
        self.map().get(id).is_some_and(|(n, until)| *n >= MAX_LOGIN_FAILURES && now < *until)
    }

    /// Starts a sign-in attempt: refused while the id is paused; otherwise counted as a failure
    /// at once, in the same lock, and forgiven by [`Throttle::succeeded`]. Counting only after
    /// the passphrase check let many attempts sent together all pass the pause check.
    pub fn attempt(&self, id: &str, now: i64) -> bool {
        let mut m = self.map();
        if m.get(id).is_some_and(|(n, until)| *n >= MAX_LOGIN_FAILURES && now < *until) {
            return false;
        }
        Self::count(&mut m, id, now);
        true
    }

    pub fn failed(&self, id: &str, now: i64) {
        Self::count(&mut self.map(), id, now);
    }

    fn count(m: &mut HashMap<String, (u32, i64)>, id: &str, now: i64) {
        if m.len() > 100_000 {
            m.retain(|_, (_, until)| now < *until);
        }
        let e = m.entry(id.to_string()).or_insert((0, 0));
        if e.0 >= MAX_LOGIN_FAILURES && now >= e.1 {
            *e = (0, 0);
        }
        e.0 += 1;
        e.1 = now + LOGIN_PAUSE_SECS;
    }

    pub fn succeeded(&self, id: &str) {
        self.map().remove(id);
    }
}

/// Shared service state.
#[derive(Clone)]
pub struct Central {
    pub(crate) storage: Arc<dyn Storage>,
    pub(crate) config: Arc<Config>,
    pub(crate) throttle: Arc<Throttle>,
    /// Sign-ins whose passphrase is being checked at once (see `http::login`).
    pub(crate) login_permits: Arc<tokio::sync::Semaphore>,
}

#[derive(Debug, thiserror::Error)]
pub enum CentralError {
    #[error("storage: {0}")]
    Storage(#[from] storage::StorageError),
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Invalid(String),
}

impl Central {
    /// Opens (creating if needed) the SQLite service database at `path`, default settings.
    pub fn open(path: &Path) -> Result<Central, CentralError> {
        Central::open_with(path, Config::default())
    }

    pub fn open_with(path: &Path, config: Config) -> Result<Central, CentralError> {
        Ok(Central::with_storage(Arc::new(db::SqliteStorage::open(path)?), config))
    }

    /// Any storage (the door for PostgreSQL).
    pub fn with_storage(storage: Arc<dyn Storage>, config: Config) -> Central {
        Central {
            storage,
            config: Arc::new(config),
            throttle: Arc::default(),
            login_permits: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_LOGINS)),
        }
    }

    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    /// Creates the demo officers (passphrase `bluelamp-demo`), the demo district, synthetic
    /// people and a few incidents assigned to `demo-officer`, if they are not there yet.
    pub fn seed_demo(&self, nominals: usize) -> Result<(), CentralError> {
        Ok(self.storage.seed_demo(nominals, self.config.hash_cost, true)?)
    }

    /// Like [`Central::seed_demo`] without incidents: the desktop app's embedded demo, whose
    /// demo stores bring their own synthetic incidents and register them
    /// ([`Storage::import_incident`]).
    pub fn seed_demo_without_incidents(&self, nominals: usize) -> Result<(), CentralError> {
        Ok(self.storage.seed_demo(nominals, self.config.hash_cost, false)?)
    }

    pub fn stats(&self) -> Result<Stats, CentralError> {
        Ok(self.storage.stats()?)
    }

    /// Enrols an officer (`bluelamp-central officer add`).
    pub fn add_officer(&self, id: &str, role: &str, district: &str, passphrase: &str) -> Result<(), CentralError> {
        let role = bluelamp_protocol::session::Role::parse(role).ok_or_else(|| {
            CentralError::Invalid(format!("unknown role {role:?}: officer, supervisor, superuser or admin"))
        })?;
        if id.trim().is_empty() || id.len() > 200 || id.chars().any(char::is_control) {
            return Err(CentralError::Invalid("the officer id must be 1-200 characters".into()));
        }
        if !csv_import::valid_district(district) {
            return Err(CentralError::Invalid(format!("the district {district:?} is not valid")));
        }
        if passphrase.chars().count() < 8 {
            return Err(CentralError::Invalid("the passphrase must have at least 8 characters".into()));
        }
        let hash = auth::hash_passphrase(passphrase, self.config.hash_cost)
            .map_err(|e| CentralError::Invalid(e.to_string()))?;
        self.storage.add_officer(&storage::Officer {
            id: id.trim().to_string(),
            role,
            district: district.trim().to_string(),
            display_name: id.trim().to_string(),
            pass_hash: hash,
        })?;
        Ok(())
    }

    /// Changes an officer's role (`bluelamp-central officer set-role`). Their sign-in tokens
    /// end at once: the service checks the role on every request anyway, and each device signs
    /// in again at its next round and keeps the new role for offline use.
    pub fn set_officer_role(&self, id: &str, role: &str) -> Result<(), CentralError> {
        let role = bluelamp_protocol::session::Role::parse(role).ok_or_else(|| {
            CentralError::Invalid(format!("unknown role {role:?}: officer, supervisor, superuser or admin"))
        })?;
        if !self.storage.set_officer_role(id.trim(), role)? {
            return Err(CentralError::Invalid(format!("no officer {:?}", id.trim())));
        }
        Ok(())
    }

    /// Changes an officer's passphrase (`bluelamp-central officer set-passphrase`), at least 8
    /// characters as for `add_officer`; their tokens are revoked. Their devices are then changed
    /// with `bluelamp-cli passwd`, which asks this service to accept the new passphrase first:
    /// a device and the service checking different passphrases left a locked-out store that no
    /// sign-in could open (review, 7 Dec 2026).
    pub fn set_officer_passphrase(&self, id: &str, passphrase: &str) -> Result<(), CentralError> {
        if passphrase.chars().count() < 8 {
            return Err(CentralError::Invalid("the passphrase must have at least 8 characters".into()));
        }
        let hash = auth::hash_passphrase(passphrase, self.config.hash_cost)
            .map_err(|e| CentralError::Invalid(e.to_string()))?;
        if !self.storage.set_officer_pass_hash(id.trim(), &hash)? {
            return Err(CentralError::Invalid(format!("no officer {:?}", id.trim())));
        }
        Ok(())
    }

    /// Queues a lock or wipe for a client's next push or pull. A client id that never signed in
    /// here is refused (an order queued for a mistyped id would never reach the lost device).
    pub fn instruct(&self, client_id: &str, instruction: Instruction) -> Result<(), CentralError> {
        let id = client_id.trim();
        if id.is_empty() || !self.storage.instruct(id, instruction, http::now_unix())? {
            return Err(CentralError::Invalid(format!(
                "no device with client id {id:?} has signed in to this service: nothing queued \
                 (`bluelamp-central --db F clients` lists the devices)"
            )));
        }
        Ok(())
    }

    /// The devices that have signed in, most recently seen first.
    pub fn clients(&self) -> Result<Vec<storage::ClientInfo>, CentralError> {
        Ok(self.storage.clients()?)
    }

    pub fn router(&self) -> Router {
        let mut router = Router::new();
        for (method, path) in ROUTES {
            if let Some(h) = handler(method, path) {
                router = router.route(path, h);
            } else {
                tracing::error!("route {method} {path} has no handler");
            }
        }
        router
            .fallback(http::not_found)
            .method_not_allowed_fallback(http::method_not_allowed)
            .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
            .layer(axum::middleware::from_fn_with_state(self.config.request_timeout, http::timeout))
            .with_state(self.clone())
    }
}

/// A running server: its address and a handle to stop it.
pub struct Running {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    pub task: tokio::task::JoinHandle<()>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections and ends the server task.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = self.task.await;
    }
}

/// Binds `addr` (use port 0 for any free port) and serves in a background task.
///
/// HTTP/1.1 only (the clients speak nothing else), through hyper directly rather than
/// `axum::serve`, for two limits that `axum::serve` does not set: a header-read timeout
/// ([`Config::header_read_timeout`]) and a cap on open connections ([`Config::max_connections`]).
/// Stopping closes the listener, lets requests in flight finish and closes idle connections.
pub async fn spawn(central: Central, addr: SocketAddr) -> Result<Running, CentralError> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
    let app = central.router();
    let (header_timeout, max_connections) = (central.config.header_read_timeout, central.config.max_connections);
    let task = tokio::spawn(async move {
        let slots = Arc::new(tokio::sync::Semaphore::new(max_connections.max(1)));
        let (closing_tx, closing_rx) = tokio::sync::watch::channel(false);
        let mut conns = tokio::task::JoinSet::new();
        loop {
            let accepted = tokio::select! {
                _ = &mut rx => break,
                a = listener.accept() => a,
            };
            while conns.try_join_next().is_some() {}
            let stream = match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let Ok(slot) = slots.clone().try_acquire_owned() else {
                tracing::warn!("connection refused: {max_connections} connections already open");
                drop(stream);
                continue;
            };
            let _ = stream.set_nodelay(true);
            let service = hyper_util::service::TowerToHyperService::new(app.clone());
            let mut closing = closing_rx.clone();
            conns.spawn(async move {
                let _slot = slot;
                let mut builder = hyper::server::conn::http1::Builder::new();
                builder.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(header_timeout);
                let conn = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                tokio::pin!(conn);
                tokio::select! {
                    _ = conn.as_mut() => {}
                    _ = closing.changed() => {
                        conn.as_mut().graceful_shutdown();
                        let _ = conn.await;
                    }
                }
            });
        }
        drop(listener);
        let _ = closing_tx.send(true);
        while conns.join_next().await.is_some() {}
    });
    Ok(Running { addr, shutdown: Some(tx), task })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_a_handler() {
        for (m, p) in ROUTES {
            assert!(handler(m, p).is_some(), "{m} {p}");
        }
    }

    #[test]
    fn throttle_pauses_after_failures() {
        let t = Throttle::default();
        for _ in 0..MAX_LOGIN_FAILURES {
            assert!(!t.is_blocked("x", 100));
            t.failed("x", 100);
        }
        assert!(t.is_blocked("x", 101));
        assert!(!t.is_blocked("x", 100 + LOGIN_PAUSE_SECS + 1));
        t.succeeded("x");
        assert!(!t.is_blocked("x", 101));
        // Attempts are counted when they start: the ones sent together past the limit are
        // refused before any passphrase is checked.
        let started = (0..MAX_LOGIN_FAILURES + 5).filter(|_| t.attempt("y", 100)).count();
        assert_eq!(started, MAX_LOGIN_FAILURES as usize);
        assert!(!t.attempt("y", 101));
        assert!(t.attempt("y", 100 + LOGIN_PAUSE_SECS + 1), "the pause ends");
        t.succeeded("y");
        assert!(t.attempt("y", 100 + LOGIN_PAUSE_SECS + 2));
    }
}
