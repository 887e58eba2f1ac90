//! The commands the webview may call: thin adapters over [`crate::api`]. Each takes one
//! request struct from `bluelamp-protocol` and returns `Result<_, ApiError>`; each must also
//! be listed in build.rs and granted in capabilities/main.json (`tests/tidy.rs` checks all of
//! them against `protocol::cmd::ALL`).

use bluelamp_protocol::audit::{AuditEntry, AuditFilter};
use bluelamp_protocol::session::{LockRequest, LockScreen, LockScreenRequest, SessionInfo, UnlockRequest};
use bluelamp_protocol::status::StatusRequest;
use bluelamp_protocol::{ApiError, AppStatus, NominalHit, SearchRequest, ViewNominalRequest};
use tauri::State;

use crate::state::AppState;

#[tauri::command]
pub async fn app_status(state: State<'_, AppState>, req: StatusRequest) -> Result<AppStatus, ApiError> {
    let StatusRequest {} = req;
    state.status()
}

#[tauri::command]
pub async fn lock_screen(state: State<'_, AppState>, req: LockScreenRequest) -> Result<LockScreen, ApiError> {
    let LockScreenRequest {} = req;
    Ok(state.lock_screen())
}

#[tauri::command]
pub async fn unlock(state: State<'_, AppState>, req: UnlockRequest) -> Result<SessionInfo, ApiError> {
    state.unlock(&req)
}

#[tauri::command]
pub async fn lock(state: State<'_, AppState>, req: LockRequest) -> Result<(), ApiError> {
    let LockRequest {} = req;
    state.lock();
    Ok(())
}

#[tauri::command]
pub async fn search_nominals(state: State<'_, AppState>, req: SearchRequest) -> Result<Vec<NominalHit>, ApiError> {
    state.search(&req)
}

#[tauri::command]
pub async fn view_nominal(state: State<'_, AppState>, req: ViewNominalRequest) -> Result<NominalHit, ApiError> {
    state.view_nominal(&req)
}

#[tauri::command]
pub async fn audit_list(state: State<'_, AppState>, req: AuditFilter) -> Result<Vec<AuditEntry>, ApiError> {
    state.audit_list(&req)
}
