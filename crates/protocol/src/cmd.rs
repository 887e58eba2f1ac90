//! Names of the Tauri commands. `src-tauri` registers exactly these, its capability grants
//! exactly these, and the frontend's `api` module calls them; a test keeps the three in step.

pub const SEARCH_NOMINALS: &str = "search_nominals";
pub const APP_STATUS: &str = "app_status";

/// Every command the webview may call.
pub const ALL: &[&str] = &[SEARCH_NOMINALS, APP_STATUS];
