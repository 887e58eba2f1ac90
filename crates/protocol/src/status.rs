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
}

/// Request of the `app_status` command (no fields yet; a struct so it can grow).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRequest {}
