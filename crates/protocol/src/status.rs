//! What the status bar shows.

use serde::{Deserialize, Serialize};

/// Whether the central service answered its health endpoint recently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetState {
    /// No probe has finished yet.
    Unknown,
    Online,
    Offline,
}

/// Response of the `app_status` command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppStatus {
    pub net: NetState,
    /// Running on the embedded demo configuration (synthetic data): the UI shows a DEMO banner.
    pub demo: bool,
    /// How many nominals the unlocked store holds (0 while locked).
    pub nominal_count: u64,
    /// App version, for support calls.
    pub version: String,
    /// The open session, or `None` while the app is locked (the UI then shows only the lock
    /// screen).
    pub session: Option<crate::session::SessionInfo>,
    /// Sync state of the open store (`None` while locked).
    #[serde(default)]
    pub sync: Option<SyncStatus>,
    /// Why the backend locked the app by itself (idle time, an order of the central service),
    /// for the lock screen; `None` while unlocked or after a lock the officer chose.
    #[serde(default)]
    pub locked_because: Option<LockReason>,
}

/// A lock the officer did not ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockReason {
    /// No keyboard or mouse activity for the configured time.
    Idle,
    /// The central service ordered this device locked: an online sign-in unlocks it.
    RemoteLock,
    /// The central service ordered this device wiped: the officer's local data is gone.
    RemoteWipe,
    /// The central service ordered this device wiped, and writes made here had not reached it:
    /// the store is kept, locked, until an online sign-in sends them and wipes it.
    RemoteWipePending,
}

impl LockReason {
    pub fn message(self) -> &'static str {
        match self {
            LockReason::Idle => "Locked after a time without activity. What you were typing is kept.",
            LockReason::RemoteLock => {
                "This device was locked by order of the central service. Sign in while online to unlock it."
            }
            LockReason::RemoteWipe => {
                "This device's records were wiped by order of the central service. Contact IT before using it again."
            }
            LockReason::RemoteWipePending => {
                "The central service ordered this device wiped. Writes made here have not reached it yet: the store \
                 stays locked, keeping them, until you sign in while online, which sends them and then wipes it."
            }
        }
    }
}

/// What the status bar shows about sync: always online/offline, queued, rejected, conflicts
/// and the time of the last successful sync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// Written here, not yet acknowledged by the central service.
    pub pending: u64,
    /// Refused by the central service (see `sync_issues` for the reasons).
    pub rejected: u64,
    /// Conflicts and possible duplicates waiting for the officer.
    pub conflicts: u64,
    /// UTC time of the last round that pushed and pulled everything.
    pub last_sync_ok: Option<String>,
    /// A round is running now.
    pub running: bool,
    /// `synced`, `offline` or `blocked` (the last round), if any ran.
    pub last_outcome: Option<String>,
    /// Why the last round did not finish.
    pub message: Option<String>,
    /// First-sync progress: records received so far and still to come.
    pub pulled_total: u64,
    pub remaining: u64,
    pub pull_in_progress: bool,
    /// Demo: the in-process central service is stopped on purpose.
    pub simulated_offline: bool,
}

/// `sync_now`: start a round now (no fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncNowRequest {}

/// `sync_issues`: what the central service refused, with its reasons (no fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncIssuesRequest {}

/// One refused (parked) write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncIssue {
    pub seq: u64,
    /// e.g. `form.submit/1`.
    pub mutation: String,
    pub code: String,
    pub message: String,
    pub created_at: String,
}

/// `simulate_offline` (superuser, demo only): stop or restart the in-process central service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulateOfflineRequest {
    pub offline: bool,
}

/// Request of the `app_status` command (the status bar's poll).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRequest {
    /// Milliseconds since the window last saw the officer's keyboard or mouse, if it knows:
    /// input that sends no command (typing a long decision) still counts against the idle lock.
    #[serde(default)]
    pub idle_ms: Option<u64>,
}
