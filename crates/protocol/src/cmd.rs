//! Names of the Tauri commands. `src-tauri` registers exactly these, its capability grants
//! exactly these, and the frontend's `api` module calls them; a test keeps the four in step.

pub const APP_STATUS: &str = "app_status";
pub const LOCK_SCREEN: &str = "lock_screen";
pub const UNLOCK: &str = "unlock";
pub const LOCK: &str = "lock";
pub const SEARCH_NOMINALS: &str = "search_nominals";
pub const VIEW_NOMINAL: &str = "view_nominal";
pub const AUDIT_LIST: &str = "audit_list";

/// Every command the webview may call.
pub const ALL: &[&str] = &[APP_STATUS, LOCK_SCREEN, UNLOCK, LOCK, SEARCH_NOMINALS, VIEW_NOMINAL, AUDIT_LIST];
