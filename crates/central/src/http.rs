//! The HTTP layer: extractors that turn every failure into a [`WireError`] body, the handlers,
//! and response compression.

use std::io::Write as _;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bluelamp_protocol::session::Role;
use bluelamp_protocol::wire::{is_device_name_char, MAX_DEVICE_NAME};
use bluelamp_protocol::wire::{
    AuditPushRequest, HealthResponse, LoginRequest, LoginResponse, PullRequest, PullResponse, PushRequest,
    PushResponse, ResetReason, WireError, WireErrorCode, MAX_PULL_LIMIT, MAX_PUSH_BATCH,
};
use bluelamp_protocol::SCHEMA_VERSION;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::auth::{new_token, token_hash, verify_passphrase};
use crate::cursor::{fingerprint, Cursor};
use crate::storage::{AuditOutcome, BindOutcome, ImportSummary, PushOutcome, Scope, Session, StorageError};
use crate::Central;

/// Longest officer id, client id or device name accepted.
const MAX_ID: usize = 200;
/// Longest passphrase accepted (Argon2 takes any length; this bounds the work).
const MAX_PASSPHRASE: usize = 1024;
/// Largest number of access-log entries in one `POST /v1/audit`.
pub const MAX_AUDIT_BATCH: usize = 10_000;
/// Responses smaller than this are not compressed.
const GZIP_MIN_BYTES: usize = 1024;

// ---- errors ---------------------------------------------------------------------------------

/// An error answer: a status and a [`WireError`] body.
#[derive(Debug)]
pub struct ApiErr {
    pub status: StatusCode,
    pub body: WireError,
}

impl ApiErr {
    pub fn new(status: StatusCode, code: WireErrorCode, message: impl Into<String>) -> ApiErr {
        ApiErr { status, body: WireError { code, message: message.into(), last_applied_seq: None } }
    }
    pub fn bad_request(message: impl Into<String>) -> ApiErr {
        ApiErr::new(StatusCode::BAD_REQUEST, WireErrorCode::BadRequest, message)
    }
    pub fn unauthorized(message: impl Into<String>) -> ApiErr {
        ApiErr::new(StatusCode::UNAUTHORIZED, WireErrorCode::Unauthorized, message)
    }
    pub fn forbidden(message: impl Into<String>) -> ApiErr {
        ApiErr::new(StatusCode::FORBIDDEN, WireErrorCode::Forbidden, message)
    }
    pub fn too_large(message: impl Into<String>) -> ApiErr {
        ApiErr::new(StatusCode::PAYLOAD_TOO_LARGE, WireErrorCode::TooLarge, message)
    }
    pub fn internal() -> ApiErr {
        ApiErr::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            WireErrorCode::Internal,
            "The service failed; try again later. The details are in its log.",
        )
    }
}

impl From<StorageError> for ApiErr {
    fn from(e: StorageError) -> Self {
        tracing::error!("storage: {e}");
        ApiErr::internal()
    }
}

impl IntoResponse for ApiErr {
    fn into_response(self) -> Response {
        let mut r = (self.status, Json(self.body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

/// Runs a storage call on the blocking pool.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, ApiErr> + Send + 'static) -> Result<T, ApiErr> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("storage task failed: {e}");
            Err(ApiErr::internal())
        }
    }
}

pub fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

// ---- extractors -----------------------------------------------------------------------------

/// A JSON body with the wire's error handling: too large → 413 `too_large`; not JSON or the
/// wrong shape → 400 `bad_request` naming the problem; another `schema_version` → 400
/// `schema_mismatch`. The content type is not checked.
pub struct WireJson<T>(pub T);

#[derive(Deserialize)]
struct SchemaProbe {
    schema_version: Option<serde_json::Value>,
}

pub fn check_schema(v: Option<&serde_json::Value>) -> Result<(), ApiErr> {
    match v {
        None => Err(ApiErr::bad_request("schema_version is missing")),
        Some(v) if v.as_u64() == Some(u64::from(SCHEMA_VERSION)) => Ok(()),
        Some(v) => Err(ApiErr::new(
            StatusCode::BAD_REQUEST,
            WireErrorCode::SchemaMismatch,
            format!("this service speaks schema version {SCHEMA_VERSION}, the request has {v}; update the app"),
        )),
    }
}

async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiErr> {
    Bytes::from_request(req, state).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiErr::too_large(format!(
                "the request body is larger than {} bytes",
                bluelamp_protocol::wire::MAX_REQUEST_BYTES
            ))
        } else {
            ApiErr::bad_request(format!("cannot read the request body: {}", e.body_text()))
        }
    })
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for WireJson<T> {
    type Rejection = ApiErr;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        let probe: SchemaProbe = serde_json::from_slice(&bytes)
            .map_err(|e| ApiErr::bad_request(format!("the body is not a JSON object: {e}")))?;
        check_schema(probe.schema_version.as_ref())?;
        serde_json::from_slice(&bytes)
            .map(WireJson)
            .map_err(|e| ApiErr::bad_request(format!("the request does not have the expected shape: {e}")))
    }
}

/// The caller's session, from `Authorization: Bearer <token>`.
pub struct Authed(pub Session);

impl FromRequestParts<Central> for Authed {
    type Rejection = ApiErr;

    async fn from_request_parts(parts: &mut Parts, central: &Central) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(ApiErr::unauthorized("sign in first: no bearer token"));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(bearer_token)
            .ok_or_else(|| ApiErr::unauthorized("the Authorization header is not a bearer token"))?;
        let hash = token_hash(token);
        let storage = central.storage.clone();
        let session = blocking(move || Ok(storage.session(&hash, now_unix())?)).await?;
        session.map(Authed).ok_or_else(|| ApiErr::unauthorized("the token is unknown or expired: sign in again"))
    }
}

/// The token of an `Authorization` header value `Bearer <token>`. The scheme is matched in
/// any case (RFC 7235 §2.1: `bearer`, `BEARER`), then one or more spaces.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, rest) = value.trim_start().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("Bearer") {
        return None;
    }
    Some(rest.trim()).filter(|t| !t.is_empty() && t.len() <= 256)
}

fn same_client(s: &Session, client_id: &str) -> Result<(), ApiErr> {
    if s.client_id != client_id {
        return Err(ApiErr::forbidden("the token was issued to another client"));
    }
    Ok(())
}

// ---- responses ------------------------------------------------------------------------------

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).any(|v| {
        v.split(',').any(|part| {
            let mut it = part.split(';');
            let coding = it.next().unwrap_or("").trim();
            let q_zero = it.any(|p| {
                let p = p.trim();
                p.strip_prefix("q=").is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
            });
            coding.eq_ignore_ascii_case("gzip") && !q_zero
        })
    })
}

/// A JSON answer, gzip-compressed when the request's `Accept-Encoding` allows it and it is
/// worth it.
pub fn reply<T: Serialize>(headers: &HeaderMap, value: &T) -> Response {
    let body = match serde_json::to_vec(value) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!("cannot serialise a response: {e}");
            return ApiErr::internal().into_response();
        }
    };
    let json = HeaderValue::from_static("application/json");
    if body.len() >= GZIP_MIN_BYTES && accepts_gzip(headers) {
        let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 4), flate2::Compression::fast());
        if enc.write_all(&body).is_ok() {
            if let Ok(gz) = enc.finish() {
                return (
                    [
                        (header::CONTENT_TYPE, json),
                        (header::CONTENT_ENCODING, HeaderValue::from_static("gzip")),
                        (header::VARY, HeaderValue::from_static("accept-encoding")),
                    ],
                    gz,
                )
                    .into_response();
            }
        }
    }
    ([(header::CONTENT_TYPE, json), (header::VARY, HeaderValue::from_static("accept-encoding"))], body).into_response()
}

// ---- handlers -------------------------------------------------------------------------------

pub async fn health() -> Json<HealthResponse> {
    Json(HealthResponse {
        status: "ok".into(),
        schema_version: SCHEMA_VERSION,
        service: "bluelamp-central".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

fn check_id(what: &str, v: &str) -> Result<(), ApiErr> {
    if v.trim().is_empty() || v.len() > MAX_ID || v.chars().any(char::is_control) {
        return Err(ApiErr::bad_request(format!("{what} must be 1-{MAX_ID} characters without control characters")));
    }
    Ok(())
}

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// A fixed Argon2id hash verified when the officer does not exist, so an unknown id costs the
/// same time as a wrong passphrase.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

pub async fn login(State(c): State<Central>, WireJson(req): WireJson<LoginRequest>) -> Result<Response, ApiErr> {
    check_id("officer_id", &req.officer_id)?;
    check_id("client_id", &req.client_id)?;
    if req.passphrase.len() > MAX_PASSPHRASE {
        return Err(ApiErr::bad_request(format!("the passphrase is longer than {MAX_PASSPHRASE} bytes")));
    }
    if req.device.len() > MAX_DEVICE_NAME {
        return Err(ApiErr::bad_request(format!("device is longer than {MAX_DEVICE_NAME} bytes")));
    }
    // The device name is what IT reads in `bluelamp-central clients` to find a lost device:
    // a newline, tab or escape sequence in it forged rows or repainted the terminal
    // (review, 7 Dec 2026). Letters of any script are fine.
    if !req.device.chars().all(is_device_name_char) {
        return Err(ApiErr::bad_request(
            "device name must not contain control characters (newlines, tabs, escape sequences) or \
             text-direction controls; letters of any script, digits, spaces and punctuation are fine",
        ));
    }
    let wrong = || ApiErr::unauthorized("Wrong officer id or passphrase.");
    // Counted as a failure now, forgiven on success (see `Throttle::attempt`).
    if !c.throttle.attempt(&req.officer_id, now_unix()) {
        return Err(wrong());
    }
    // At most a few Argon2 checks at once (about 19 MiB each): a flood of sign-ins waits here
    // (under the request timeout) instead of filling the blocking pool and the memory.
    let _permit = c.login_permits.acquire().await.map_err(|_| ApiErr::internal())?;
    let storage = c.storage.clone();
    let cost = c.config.hash_cost;
    let ttl = c.config.token_ttl.as_secs() as i64;
    let throttle = c.throttle.clone();
    blocking(move || {
        let officer = storage.find_officer(&req.officer_id)?;
        let ok = match &officer {
            Some(o) if !o.pass_hash.is_empty() => verify_passphrase(&req.passphrase, &o.pass_hash),
            _ => {
                let dummy = DUMMY_HASH.get_or_init(|| crate::auth::hash_passphrase("dummy", cost).unwrap_or_default());
                let _ = verify_passphrase(&req.passphrase, dummy);
                false
            }
        };
        let now = now_unix();
        let Some(officer) = officer.filter(|_| ok) else {
            return Err(wrong());
        };
        throttle.succeeded(&req.officer_id);
        let token = new_token();
        let expires = now + ttl;
        match storage.bind_and_issue_token(
            &officer.id,
            &req.client_id,
            &req.device,
            &token_hash(&token),
            expires,
            now,
            req.interactive,
        )? {
            BindOutcome::ClientTaken => Err(ApiErr::forbidden("this client is registered to another officer")),
            BindOutcome::Bound => Ok(Json(LoginResponse {
                token,
                officer_id: officer.id,
                role: officer.role,
                district: officer.district,
                expires_at: rfc3339(expires),
                client_id: req.client_id,
                expires_in_secs: u64::try_from(ttl).ok(),
            })
            .into_response()),
        }
    })
    .await
}

pub async fn push(
    State(c): State<Central>,
    Authed(s): Authed,
    headers: HeaderMap,
    WireJson(req): WireJson<PushRequest>,
) -> Result<Response, ApiErr> {
    same_client(&s, &req.client_id)?;
    if req.mutations.len() > MAX_PUSH_BATCH {
        return Err(ApiErr::too_large(format!("at most {MAX_PUSH_BATCH} mutations per push")));
    }
    if let Some(m) = req.mutations.iter().find(|m| m.seq == 0) {
        return Err(ApiErr::bad_request(format!("mutation {} has seq 0: seqs start at 1", m.mutation_id)));
    }
    let storage = c.storage.clone();
    let out = blocking(move || Ok(storage.push(&s, &req.mutations, now_unix())?)).await?;
    match out {
        PushOutcome::Gap { last_applied_seq } => {
            let mut e = ApiErr::new(
                StatusCode::CONFLICT,
                WireErrorCode::SeqGap,
                format!(
                    "a seq was skipped: the service holds up to {last_applied_seq}; nothing in this push was applied"
                ),
            );
            e.body.last_applied_seq = Some(last_applied_seq);
            Err(e)
        }
        PushOutcome::Forbidden(message) => Err(ApiErr::forbidden(message)),
        PushOutcome::SeqReused { seq, last_applied_seq } => {
            let mut e = ApiErr::new(
                StatusCode::CONFLICT,
                WireErrorCode::SeqReused,
                format!(
                    "write #{seq} of this device is not the write #{seq} the service already holds (was the \
                     device's store restored from an older copy?): the service holds up to #{last_applied_seq}; \
                     nothing in this push was applied"
                ),
            );
            e.body.last_applied_seq = Some(last_applied_seq);
            Err(e)
        }
        PushOutcome::Done { last_applied_seq, rejections, conflicts, possible_duplicates, instructions } => Ok(reply(
            &headers,
            &PushResponse {
                schema_version: SCHEMA_VERSION,
                last_applied_seq,
                rejections,
                conflicts,
                possible_duplicates,
                instructions,
            },
        )),
    }
}

pub async fn pull(
    State(c): State<Central>,
    Authed(s): Authed,
    headers: HeaderMap,
    WireJson(req): WireJson<PullRequest>,
) -> Result<Response, ApiErr> {
    same_client(&s, &req.client_id)?;
    let scope = Scope::of(&s);
    let fp = fingerprint(&scope);
    let cursor = match req.cursor.as_deref() {
        None => None,
        Some(text) => {
            Some(Cursor::decode(text).ok_or_else(|| ApiErr::bad_request("the cursor is not one this service issued"))?)
        }
    };
    let limit = req.limit.clamp(1, MAX_PULL_LIMIT);
    let storage = c.storage.clone();
    let resp = blocking(move || {
        let start = Cursor { version: 0, fingerprint: fp.clone(), remaining: None, full_from: None, run: None };
        let reset_page = |reason: ResetReason| -> Result<PullResponse, ApiErr> {
            let p = storage.pull_page(&s, &scope, 0, 0, None)?;
            Ok(PullResponse {
                schema_version: SCHEMA_VERSION,
                changes: Vec::new(),
                next_cursor: start.encode(),
                has_more: true,
                last_applied_seq: p.last_applied_seq,
                remaining: p.remaining,
                reset: Some(reason),
                instructions: p.instructions,
            })
        };
        if cursor.as_ref().is_some_and(|c| c.fingerprint != fp) {
            return reset_page(ResetReason::ScopeChanged);
        }
        let after = cursor.as_ref().map_or(0, |c| c.version);
        // Issued by another timeline of this service (it was restored from a backup since):
        // the versions after it are not the ones the device was given.
        if let Some(run) = cursor.as_ref().and_then(|c| c.run.as_deref()) {
            if storage.run_at(after)?.as_deref() != Some(run) {
                return reset_page(ResetReason::CursorTooOld);
            }
        }
        let hint = cursor.as_ref().and_then(|c| c.remaining);
        let page = storage.pull_page(&s, &scope, after, limit, hint)?;
        // A pull from the start, and each later page of it, with the head when it started
        // (see `cursor`).
        let full_from = if after == 0 { Some(page.head) } else { cursor.as_ref().and_then(|c| c.full_from) };
        let too_old = match full_from {
            _ if after == 0 => false,
            Some(start) => page.horizon > start && page.horizon > after,
            None => after < page.horizon,
        };
        if after > page.head || too_old {
            return reset_page(ResetReason::CursorTooOld);
        }
        if !page.instructions.is_empty() {
            // A device told to lock or wipe is served no data until an online sign-in clears it.
            return Ok(PullResponse {
                schema_version: SCHEMA_VERSION,
                changes: Vec::new(),
                next_cursor: Cursor {
                    version: after,
                    fingerprint: fp,
                    remaining: None,
                    full_from: full_from.filter(|_| after > 0),
                    run: storage.run_at(after)?,
                }
                .encode(),
                has_more: false,
                last_applied_seq: page.last_applied_seq,
                remaining: 0,
                reset: None,
                instructions: page.instructions,
            });
        }
        // Caught up: nothing in this scope up to the head read in the same snapshot (versions
        // are taken inside the writing transaction), so the cursor moves to the head, and
        // changes in other scopes since this scope's last one do not make it too old at the
        // next compaction (a needless full re-pull of the district).
        let version = if page.has_more { page.last_version } else { page.last_version.max(page.head) };
        let run = storage.run_at(version)?;
        Ok(PullResponse {
            schema_version: SCHEMA_VERSION,
            changes: page.changes,
            next_cursor: Cursor {
                version,
                run,
                fingerprint: fp,
                // Carried only while paging; the last page's cursor counts afresh next time.
                remaining: page.has_more.then_some(page.remaining),
                full_from: full_from.filter(|_| page.has_more),
            }
            .encode(),
            has_more: page.has_more,
            last_applied_seq: page.last_applied_seq,
            remaining: page.remaining,
            reset: None,
            instructions: page.instructions,
        })
    })
    .await?;
    Ok(reply(&headers, &resp))
}

pub async fn audit(
    State(c): State<Central>,
    Authed(s): Authed,
    WireJson(req): WireJson<AuditPushRequest>,
) -> Result<Response, ApiErr> {
    same_client(&s, &req.client_id)?;
    if req.entries.len() > MAX_AUDIT_BATCH {
        return Err(ApiErr::too_large(format!("at most {MAX_AUDIT_BATCH} entries per audit push")));
    }
    let storage = c.storage.clone();
    let (client_id, officer_id) = (s.client_id.clone(), s.officer_id.clone());
    match blocking(move || Ok(storage.audit_push(&s, &req.entries, now_unix())?)).await? {
        AuditOutcome::Stored(r) => Ok(Json(r).into_response()),
        AuditOutcome::Gap { head_seq } => {
            let mut e = ApiErr::new(
                StatusCode::CONFLICT,
                WireErrorCode::SeqGap,
                format!("the service holds the access log up to entry {head_seq}; send from {}", head_seq + 1),
            );
            e.body.last_applied_seq = Some(head_seq);
            Err(e)
        }
        AuditOutcome::Broken { seq, reason } => {
            tracing::warn!(seq, "access-log chain refused: {reason}");
            Err(ApiErr::new(StatusCode::CONFLICT, WireErrorCode::AuditChainBroken, reason))
        }
        AuditOutcome::WrongDevice { seq } => {
            tracing::warn!(client_id = %client_id, officer_id = %officer_id, seq, "access-log push refused: entry of another device");
            Err(ApiErr::new(
                StatusCode::FORBIDDEN,
                WireErrorCode::AuditWrongDevice,
                format!(
                    "access-log entry {seq} names another device than this client ({client_id}): a device pushes \
                     only its own log; nothing was stored"
                ),
            ))
        }
    }
}

#[derive(Deserialize)]
pub struct ImportQuery {
    schema_version: Option<serde_json::Value>,
    district: Option<String>,
}

/// Answer of `POST /v1/admin/nominals`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ImportResponse {
    pub schema_version: u32,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// (row number counting the header as row 1, reason)
    pub rejected: Vec<(usize, String)>,
}

pub async fn admin_nominals(
    State(c): State<Central>,
    Authed(s): Authed,
    query: Result<Query<ImportQuery>, axum::extract::rejection::QueryRejection>,
    req: Request,
) -> Result<Response, ApiErr> {
    if s.role != Role::Admin {
        return Err(ApiErr::forbidden("only an admin can import nominals"));
    }
    let Query(q) = query.map_err(|e| ApiErr::bad_request(format!("bad query string: {}", e.body_text())))?;
    let schema: Option<serde_json::Value> =
        q.schema_version.map(|v| v.as_str().and_then(|t| t.parse::<u64>().ok()).map_or(v, serde_json::Value::from));
    check_schema(schema.as_ref())?;
    let body = body_bytes(req, &()).await?;
    let storage = c.storage.clone();
    let (sum, rejected) = blocking(move || {
        let parsed = crate::csv_import::parse(&body, q.district.as_deref(), &crate::csv_import::today_utc())
            .map_err(|e| ApiErr::bad_request(e.to_string()))?;
        let sum: ImportSummary = storage.import_nominals(&parsed.rows)?;
        Ok((sum, parsed.rejected))
    })
    .await?;
    tracing::info!(officer = %s.officer_id, inserted = sum.inserted, updated = sum.updated, "nominals imported");
    Ok(Json(ImportResponse {
        schema_version: SCHEMA_VERSION,
        inserted: sum.inserted,
        updated: sum.updated,
        unchanged: sum.unchanged,
        rejected,
    })
    .into_response())
}

pub async fn not_found() -> ApiErr {
    ApiErr::new(StatusCode::NOT_FOUND, WireErrorCode::NotFound, "no such route (see docs/api.md)")
}

pub async fn method_not_allowed() -> ApiErr {
    ApiErr::new(StatusCode::METHOD_NOT_ALLOWED, WireErrorCode::BadRequest, "method not allowed on this route")
}

/// Ends any request that takes longer than the configured timeout with 503 `internal`. A push
/// that timed out may still commit: the client's resend is then acknowledged without re-applying.
pub async fn timeout(State(t): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(t, next.run(req)).await {
        Ok(r) => r,
        Err(_) => ApiErr::new(
            StatusCode::SERVICE_UNAVAILABLE,
            WireErrorCode::Internal,
            "the service took too long to answer; try again",
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    /// Auth schemes are case-insensitive (RFC 7235 §2.1); `bearer <token>` was refused.
    #[test]
    fn the_bearer_scheme_is_matched_in_any_case() {
        for v in ["Bearer abc", "bearer abc", "BEARER abc", "bEaReR  abc "] {
            assert_eq!(bearer_token(v), Some("abc"), "{v}");
        }
        for v in ["Basic abc", "Bearer", "Bearer ", "Bearerabc", "", "Token abc"] {
            assert_eq!(bearer_token(v), None, "{v}");
        }
        assert_eq!(bearer_token(&format!("Bearer {}", "a".repeat(257))), None);
    }
}
