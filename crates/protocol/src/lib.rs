//! Every type that crosses a boundary: IPC between the webview and the Tauri shell, and the wire
//! between the client and `bluelamp-central`.
//!
//! This crate builds for native targets and for `wasm32-unknown-unknown`, so the frontend and the
//! backend share one definition (and one validation) of each request. It holds plain data and
//! input checks only: no I/O, no domain decisions.
//!
//! Conventions:
//! - every Tauri command takes exactly one request struct (named `req` on the JS side) and
//!   returns `Result<Response, ApiError>`;
//! - [`ApiError`] carries a stable [`ErrorCode`] and a message that is safe to show (no SQL,
//!   paths or stack traces);
//! - wire messages carry [`SCHEMA_VERSION`].

use serde::{Deserialize, Serialize};

pub mod audit;
pub mod casework;
pub mod cmd;
pub mod conflicts;
pub mod dates;
pub mod nominal;
pub mod search;
pub mod session;
pub mod status;
pub mod victims;
pub mod widen;
pub mod wire;

pub use search::{NominalHit, SearchRequest, Source, ViewNominalRequest};
pub use status::{AppStatus, NetState};

/// Version of the client <-> central wire schema. Bumped when a message changes shape.
/// 2: pull pages carry `casework` records (forms, reviews and referral decisions of an incident
/// held centrally), which a version-1 client could not read.
pub const SCHEMA_VERSION: u32 = 2;

/// Stable error codes. Scripts and the UI match on these, so never renumber or rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request was malformed or a field failed validation; the message says which.
    InvalidInput,
    /// The record asked for does not exist (or is outside the caller's scope).
    NotFound,
    /// The store is locked: the officer must unlock it first.
    Locked,
    /// The passphrase was wrong.
    WrongPassphrase,
    /// The caller is not signed in, or the token expired.
    Unauthorized,
    /// The caller's role does not allow this.
    Forbidden,
    /// A business rule refused the action (e.g. a closing-code gate).
    Rejected,
    /// The local store failed (disk full, corrupt file…).
    Storage,
    /// The central service could not be reached.
    Unavailable,
    /// Anything else. Details are in the log, never in the message.
    Internal,
}

/// The error every command and endpoint returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    /// Safe to show to the officer.
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into() }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    pub fn internal() -> Self {
        Self::new(ErrorCode::Internal, "Something went wrong. The details are in the log.")
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({:?})", self.message, self.code)
    }
}

impl std::error::Error for ApiError {}
