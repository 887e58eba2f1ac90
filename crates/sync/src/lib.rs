//! The sync driver: the client side of the conversation with `bluelamp-central`.
//!
//! A thin shell. [`Client`] speaks HTTP (reqwest) and turns every answer into either a checked
//! message or a [`Failure`]; [`round::run_round`] asks the pure engine
//! (`bluelamp-sync-core`) what to do next, does it against the store and the client, and
//! reports back. The store commits each acknowledgement and each pull page atomically, so the
//! process may be killed at any point.

pub mod round;

use std::time::Duration;

use bluelamp_protocol::wire::{
    AuditPushRequest, AuditPushResponse, HealthResponse, LoginRequest, LoginResponse, PullRequest, PullResponse,
    PushRequest, PushResponse, WireError, WireErrorCode,
};
pub use bluelamp_sync_core::Failure;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use round::{run_round, Credentials, LocalStore, Progress, RoundReport};

/// What [`carry_out_order`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carried {
    /// Locked until the officer signs in online.
    Locked,
    /// Crypto-erased: everything written here that the central service would take had reached
    /// it (writes it refused, conflicts and access-log entries it refused for good are erased
    /// with the store).
    Wiped,
    /// A wipe order, but `pending` writes or `log_entries` access-log entries have not reached
    /// the service yet: the store is locked (it opens for no use) and keeps them; the next sync
    /// sends them, then wipes.
    LockedUntilWiped { pending: u64, log_entries: u64 },
}

/// Whether two addresses name the same central service: equal but for letter case and a
/// trailing slash. A store signs in online only to the service it was enrolled with.
pub fn same_service(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.trim().trim_end_matches('/').to_ascii_lowercase();
    norm(a) == norm(b)
}

/// Carries out the lock or wipe order the store holds (a round keeps the order it received
/// inside the encrypted store), closing the store first. The CLI and the app both end a round
/// this way. `Ok(None)`: no order. See `bluelamp_sync_core::order_step`.
pub fn carry_out_order(
    db: &std::path::Path,
    store: bluelamp_store::Store,
) -> Result<Option<Carried>, bluelamp_store::StoreError> {
    use bluelamp_protocol::wire::Instruction;
    use bluelamp_store::unlock;
    use bluelamp_sync_core::OrderStep;
    let order = store.pending_instruction()?;
    // Writes parked because the service refused the officer's role count as unsent: it never
    // recorded them and would take them once the role is given back (a role set by mistake), so
    // a wipe waits and the device is locked meanwhile (review, 7 Dec 2026: they were erased).
    let pending = store.sync_counts()?.pending.saturating_add(store.outbox_role_refused_count()?);
    // Access-log entries the service has not acknowledged: a wipe destroyed them, the record
    // of who looked at what on this device (DPA 2018 s.62), while saying everything had been
    // sent (review, 7 Dec 2026).
    //
    // Unless the service refused the log for good (a chain that forked from its copy: a store
    // restored from an older copy, or a damaged one): it will never take those entries, and
    // waiting for it kept the store locked and undeleted for ever, each sync saying "the next
    // sync sends them, then wipes" while the count grew (review, 7 Dec 2026). A lost device's
    // personal data must go; the service keeps its own copy of the log up to the fork, and its
    // log says it refused the rest. The wipe goes ahead, and the shell says how many refused
    // entries went with the store (the CLI's `sync`; `docs/sync.md`).
    let refused = store.audit_refused()?;
    let log_entries = if refused.is_some() { 0 } else { store.audit_unsent()? };
    let refused_entries = if refused.is_some() { store.audit_unsent()? } else { 0 };
    drop(store);
    if order == Some(Instruction::Wipe) && pending == 0 && refused_entries > 0 {
        tracing::warn!(
            refused_entries,
            reason = refused.as_deref().unwrap_or_default(),
            "wiping with access-log entries the central service refused for good"
        );
    }
    let Some(step) = bluelamp_sync_core::order_step(order, pending.saturating_add(log_entries)) else {
        return Ok(None);
    };
    Ok(Some(match step {
        OrderStep::Lock => {
            unlock::lock_out_by_order(db, Instruction::Lock)?;
            Carried::Locked
        }
        OrderStep::Wipe => {
            unlock::wipe(db)?;
            Carried::Wiped
        }
        OrderStep::LockUntilWiped { .. } => {
            unlock::lock_out_by_order(db, Instruction::Wipe)?;
            Carried::LockedUntilWiped { pending, log_entries }
        }
    }))
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the central service could not be reached: {0}")]
    Unreachable(String),
    #[error("the central service answered with an unexpected response: {0}")]
    BadResponse(String),
    #[error("the central service speaks schema {server}, this client {client}")]
    SchemaMismatch { server: u32, client: u32 },
    #[error(
        "{0}: the central service must be reached over https (the passphrase, tokens and records \
         cross the network); plain http is only for a service on this machine"
    )]
    NotHttps(String),
}

/// Whether `url` names a service on this machine (`localhost` or a loopback address).
///
/// The host is the one the HTTP client connects to: the address is parsed as reqwest parses it
/// (WHATWG URL rules), not split by hand. `http://192.0.2.2:47811\@localhost` was read as
/// localhost here while reqwest connected to 192.0.2.2, so the passphrase crossed the network in
/// clear (review, 7 Dec 2026). An address that does not parse is not local.
pub fn is_local_url(url: &str) -> bool {
    let Ok(u) = reqwest::Url::parse(url.trim()) else { return false };
    match u.host_str() {
        Some(h) => {
            let h = h.strip_prefix('[').and_then(|v6| v6.strip_suffix(']')).unwrap_or(h);
            h.eq_ignore_ascii_case("localhost") || h.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
        None => false,
    }
}

/// `https://…`, or `http://…` for a service on this machine (the demo, tests, a local proxy).
fn check_scheme(url: &str) -> Result<(), SyncError> {
    let t = url.trim();
    let scheme = t.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("https") => Ok(()),
        Some("http") if is_local_url(t) => Ok(()),
        _ => Err(SyncError::NotHttps(t.to_string())),
    }
}

/// Largest response body read (a pull page of 5 000 nominals is well under this).
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// How long connecting to the service (TCP and TLS) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The most one request may take, however steadily a slow link delivers it.
pub const MAX_REQUEST: Duration = Duration::from_secs(600);
/// The most a sign-in may take.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(60);

/// An HTTP client for one central service.
#[derive(Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    pub fn new(base_url: &str) -> Result<Client, SyncError> {
        Client::with_timeout(base_url, Duration::from_secs(30))
    }

    /// A client whose requests give up when the service has sent nothing for `stall` (a read
    /// timeout), or after [`MAX_REQUEST`] in all. A patrol car's slow link that keeps sending an
    /// answer is waited for: a limit on the whole request (30 s until 6 Dec 2026) failed every
    /// large pull page on it, again at each retry, and the sync never got through. The read
    /// timeout runs from the start of the request until the answer's headers, so sending a
    /// request body (a push batch, at most 1 MiB) must still fit in `stall`, as it must in the
    /// service's own request timeout.
    /// Connecting (with TLS) may take [`CONNECT_TIMEOUT`]: 2 s failed on links with a
    /// one-second round trip. Idle connections are dropped after 5 s, before the service's
    /// header-read timeout (10 s) closes them, so a request is never sent on a connection the
    /// service is closing.
    pub fn with_timeout(base_url: &str, stall: Duration) -> Result<Client, SyncError> {
        check_scheme(base_url)?;
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(stall)
            .timeout(MAX_REQUEST.max(stall))
            .pool_idle_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| SyncError::Unreachable(e.to_string()))?;
        Ok(Client { base: base_url.trim_end_matches('/').to_string(), http })
    }

    /// A client that opens a new connection for every request (fault-injection tests, where
    /// the proxy decides one fault per connection).
    pub fn unpooled(base_url: &str, stall: Duration) -> Result<Client, SyncError> {
        check_scheme(base_url)?;
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(stall)
            .timeout(MAX_REQUEST.max(stall))
            .pool_max_idle_per_host(0)
            .build()
            .map_err(|e| SyncError::Unreachable(e.to_string()))?;
        Ok(Client { base: base_url.trim_end_matches('/').to_string(), http })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// `GET /v1/health`: Ok only when the service answers "ok" with our schema version.
    pub async fn health(&self) -> Result<HealthResponse, SyncError> {
        let resp = self
            .http
            .get(format!("{}/v1/health", self.base))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map_err(|e| SyncError::Unreachable(e.to_string()))?;
        if !resp.status().is_success() {
            return Err(SyncError::BadResponse(format!("HTTP {}", resp.status())));
        }
        let body: HealthResponse = resp.json().await.map_err(|e| SyncError::BadResponse(e.to_string()))?;
        if body.schema_version != bluelamp_protocol::SCHEMA_VERSION {
            return Err(SyncError::SchemaMismatch {
                server: body.schema_version,
                client: bluelamp_protocol::SCHEMA_VERSION,
            });
        }
        if body.status != "ok" {
            return Err(SyncError::BadResponse(format!("status {}", body.status)));
        }
        Ok(body)
    }

    /// `POST /v1/login`.
    pub async fn login(&self, req: &LoginRequest) -> Result<LoginResponse, Failure> {
        // A small answer: a minute at most, not [`MAX_REQUEST`] (the app's lock screen waits on
        // it, and holds other unlocks meanwhile).
        match self.post_within("/v1/login", None, req, Some(LOGIN_TIMEOUT)).await {
            Err(Failure::Unauthorized) => Err(Failure::BadCredentials),
            other => other,
        }
    }

    /// `POST /v1/push`.
    pub async fn push(&self, token: &str, req: &PushRequest) -> Result<PushResponse, Failure> {
        self.post("/v1/push", Some(token), req).await
    }

    /// `POST /v1/pull`.
    pub async fn pull(&self, token: &str, req: &PullRequest) -> Result<PullResponse, Failure> {
        self.post("/v1/pull", Some(token), req).await
    }

    /// `POST /v1/audit`.
    pub async fn push_audit(&self, token: &str, req: &AuditPushRequest) -> Result<AuditPushResponse, Failure> {
        self.post("/v1/audit", Some(token), req).await
    }

    async fn post<Q: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Q,
    ) -> Result<R, Failure> {
        self.post_within(path, token, body, None).await
    }

    async fn post_within<Q: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Q,
        limit: Option<Duration>,
    ) -> Result<R, Failure> {
        let mut rb = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(limit) = limit {
            rb = rb.timeout(limit);
        }
        let resp = rb.send().await.map_err(|e| Failure::Network(describe(&e)))?;
        let status = resp.status();
        let bytes = read_capped(resp).await?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| Failure::BadResponse(format!("{path}: {e}")));
        }
        let err: Option<WireError> = serde_json::from_slice(&bytes).ok();
        Err(classify(status.as_u16(), err))
    }
}

async fn read_capped(mut resp: reqwest::Response) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if out.len() + chunk.len() > MAX_RESPONSE_BYTES {
                    return Err(Failure::BadResponse(format!("the answer is larger than {MAX_RESPONSE_BYTES} bytes")));
                }
                out.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(out),
            // A connection dropped mid-body is a network failure (retry), not a bad answer.
            Err(e) => return Err(Failure::Network(describe(&e))),
        }
    }
}

fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the connection dropped during the answer"
    } else {
        "request failed"
    };
    let mut msg = kind.to_string();
    let mut src = std::error::Error::source(e);
    if let Some(s) = src.take() {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
    }
    msg
}

/// Maps an HTTP error answer to a [`Failure`].
pub fn classify(status: u16, err: Option<WireError>) -> Failure {
    let message = err.as_ref().map(|e| e.message.clone()).unwrap_or_else(|| format!("HTTP {status}"));
    match (status, err.as_ref().map(|e| e.code)) {
        (_, Some(WireErrorCode::SeqGap)) => {
            Failure::SeqGap { server_last: err.and_then(|e| e.last_applied_seq).unwrap_or(0) }
        }
        (_, Some(WireErrorCode::SeqReused)) => {
            Failure::SeqReused { server_last: err.and_then(|e| e.last_applied_seq).unwrap_or(0) }
        }
        (_, Some(WireErrorCode::SchemaMismatch)) => Failure::SchemaMismatch(message),
        (401, _) | (_, Some(WireErrorCode::Unauthorized)) => Failure::Unauthorized,
        (403, _) | (_, Some(WireErrorCode::Forbidden)) => Failure::Forbidden(message),
        (429, _) | (500..=599, _) => Failure::Server(status),
        (s, _) => Failure::Rejected(s, message),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn plain_http_is_for_this_machine_only() {
        for ok in [
            "https://records.force.police.uk",
            "HTTPS://x.example:8443/",
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9",
        ] {
            assert!(super::Client::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://records.force.police.uk",
            "http://10.0.0.1:8080",
            "http://127.0.0.1.evil.example",
            "http://localhost@evil.example",
            "ftp://127.0.0.1",
            "127.0.0.1:8080",
            "",
        ] {
            let e = super::Client::new(bad).err().unwrap_or_else(|| panic!("{bad} accepted"));
            assert!(e.to_string().contains("https"), "{bad}: {e}");
        }
        assert!(super::is_local_url("http://127.8.0.1") && !super::is_local_url("https://example.org"));
        // The host reqwest connects to decides, however the address is dressed (review, 7 Dec
        // 2026: a backslash before "@localhost" sent the passphrase to 192.0.2.2 over http).
        for remote in [
            "http://192.0.2.2:47811\\@localhost",
            "http://192.0.2.2\\@localhost:8080/",
            "http://user@192.0.2.2",
            "http://localhost.example.org",
            "http://127.0.0.1.example.org",
            "http://[::1]@192.0.2.2",
            "not a url",
        ] {
            assert!(!super::is_local_url(remote), "{remote}");
            assert!(super::check_scheme(remote).is_err(), "{remote}");
        }
        for local in [
            "http://localhost:8080",
            "http://LOCALHOST/",
            "http://[::1]:9000/x",
            "http://127.0.0.1",
            "http://user@localhost",
        ] {
            assert!(super::is_local_url(local), "{local}");
        }
    }
}
