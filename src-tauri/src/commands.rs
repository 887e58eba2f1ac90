//! The commands the webview may call: thin adapters over [`crate::api`]. Each takes one
//! request struct from `bluelamp-protocol` and returns `Result<_, ApiError>`; each must also
//! be listed in build.rs and granted in capabilities/main.json (`tests/tidy.rs` checks all of
//! them against `protocol::cmd::ALL`).

use bluelamp_protocol::audit::{AuditEntry, AuditFilter};
use bluelamp_protocol::casework::{
    FinaliseOutcome, FormDetail, FormInfo, FormRequest, FormReviewView, IncidentDetail, IncidentRequest,
    IncidentSummary, ListIncidentsRequest, QueueView, ReviewFormRequest, SaveDraftRequest, SetClosingCodeRequest,
    StartFormRequest, SubmitFormRequest, SubmitOutcome, SupervisorQueueRequest,
};
use bluelamp_protocol::casework::{RecordReferralRequest, ReferralDecisionInfo, WithdrawReferralRequest};
use bluelamp_protocol::conflicts::{ConflictInfo, ListConflictsRequest, ResolveConflictRequest};
use bluelamp_protocol::nominal::{
    CreateNominalOutcome, CreateNominalRequest, DuplicateInfo, LikelyMatchesRequest, ListDuplicatesRequest,
    ResolveDuplicateRequest,
};
use bluelamp_protocol::session::{LockRequest, LockScreen, LockScreenRequest, SessionInfo, UnlockRequest};
use bluelamp_protocol::status::{SimulateOfflineRequest, StatusRequest, SyncIssue, SyncIssuesRequest, SyncNowRequest};
use bluelamp_protocol::victims::{
    AwaitingRequest, AwaitingRow, InvestigationEventInfo, InvestigationEventRequest, RecordReferralOutcome,
    Under18Answer, Under18Request, UpdatePreferenceInfo, UpdatePreferenceRequest, VictimToldInfo, VictimToldRequest,
    VictimsPanel,
};
use bluelamp_protocol::{ApiError, AppStatus, NominalHit, SearchRequest, ViewNominalRequest};
use tauri::State;

use crate::state::AppState;

#[tauri::command]
pub async fn app_status(state: State<'_, AppState>, req: StatusRequest) -> Result<AppStatus, ApiError> {
    state.status(&req)
}

#[tauri::command]
pub async fn lock_screen(state: State<'_, AppState>, req: LockScreenRequest) -> Result<LockScreen, ApiError> {
    let LockScreenRequest {} = req;
    Ok(state.lock_screen())
}

#[tauri::command]
pub async fn unlock(state: State<'_, AppState>, req: UnlockRequest) -> Result<SessionInfo, ApiError> {
    // First use on this device, or a store locked after too many wrong passphrases: the
    // officer signs in to the central service first.
    state.unlock_signing_in(&req).await
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
pub async fn view_nominal(
    state: State<'_, AppState>,
    req: ViewNominalRequest,
) -> Result<bluelamp_protocol::nominal::NominalPage, ApiError> {
    state.view_nominal(&req)
}

#[tauri::command]
pub async fn audit_list(state: State<'_, AppState>, req: AuditFilter) -> Result<Vec<AuditEntry>, ApiError> {
    state.audit_list(&req)
}

#[tauri::command]
pub async fn list_incidents(
    state: State<'_, AppState>,
    req: ListIncidentsRequest,
) -> Result<Vec<IncidentSummary>, ApiError> {
    let ListIncidentsRequest {} = req;
    state.list_incidents()
}

#[tauri::command]
pub async fn get_incident(state: State<'_, AppState>, req: IncidentRequest) -> Result<IncidentDetail, ApiError> {
    state.get_incident(&req)
}

#[tauri::command]
pub async fn start_form(state: State<'_, AppState>, req: StartFormRequest) -> Result<FormDetail, ApiError> {
    state.start_form(&req)
}

#[tauri::command]
pub async fn get_form(state: State<'_, AppState>, req: FormRequest) -> Result<FormDetail, ApiError> {
    state.get_form(&req)
}

#[tauri::command]
pub async fn save_draft(state: State<'_, AppState>, req: SaveDraftRequest) -> Result<(), ApiError> {
    state.save_draft(&req)
}

#[tauri::command]
pub async fn submit_form(state: State<'_, AppState>, req: SubmitFormRequest) -> Result<SubmitOutcome, ApiError> {
    state.submit_form(&req)
}

#[tauri::command]
pub async fn set_closing_code(
    state: State<'_, AppState>,
    req: SetClosingCodeRequest,
) -> Result<IncidentDetail, ApiError> {
    state.set_closing_code(&req)
}

#[tauri::command]
pub async fn finalise_incident(state: State<'_, AppState>, req: IncidentRequest) -> Result<FinaliseOutcome, ApiError> {
    state.finalise_incident(&req)
}

#[tauri::command]
pub async fn sync_now(state: State<'_, AppState>, req: SyncNowRequest) -> Result<(), ApiError> {
    let SyncNowRequest {} = req;
    state.sync_now()
}

#[tauri::command]
pub async fn sync_issues(state: State<'_, AppState>, req: SyncIssuesRequest) -> Result<Vec<SyncIssue>, ApiError> {
    let SyncIssuesRequest {} = req;
    state.sync_issues()
}

#[tauri::command]
pub async fn list_conflicts(
    state: State<'_, AppState>,
    req: ListConflictsRequest,
) -> Result<Vec<ConflictInfo>, ApiError> {
    let ListConflictsRequest {} = req;
    state.list_conflicts()
}

#[tauri::command]
pub async fn resolve_conflict(
    state: State<'_, AppState>,
    req: ResolveConflictRequest,
) -> Result<Vec<ConflictInfo>, ApiError> {
    state.resolve_conflict(&req)
}

#[tauri::command]
pub async fn simulate_offline(state: State<'_, AppState>, req: SimulateOfflineRequest) -> Result<(), ApiError> {
    state.simulate_offline(&req).await
}

#[tauri::command]
pub async fn amend_form(state: State<'_, AppState>, req: FormRequest) -> Result<FormDetail, ApiError> {
    state.amend_form(&req)
}

#[tauri::command]
pub async fn supervisor_queue(state: State<'_, AppState>, req: SupervisorQueueRequest) -> Result<QueueView, ApiError> {
    let SupervisorQueueRequest {} = req;
    state.supervisor_queue()
}

#[tauri::command]
pub async fn get_form_review(state: State<'_, AppState>, req: FormRequest) -> Result<FormReviewView, ApiError> {
    state.get_form_review(&req)
}

#[tauri::command]
pub async fn review_form(state: State<'_, AppState>, req: ReviewFormRequest) -> Result<FormInfo, ApiError> {
    state.review_form(&req)
}

#[tauri::command]
pub async fn victims_assessment(state: State<'_, AppState>, req: IncidentRequest) -> Result<VictimsPanel, ApiError> {
    state.victims_assessment(&req)
}

#[tauri::command]
pub async fn record_referral(
    state: State<'_, AppState>,
    req: RecordReferralRequest,
) -> Result<RecordReferralOutcome, ApiError> {
    state.record_referral(&req)
}

#[tauri::command]
pub async fn withdraw_referral(
    state: State<'_, AppState>,
    req: WithdrawReferralRequest,
) -> Result<ReferralDecisionInfo, ApiError> {
    state.withdraw_referral(&req)
}

#[tauri::command]
pub async fn record_under18_answer(state: State<'_, AppState>, req: Under18Request) -> Result<Under18Answer, ApiError> {
    state.record_under18_answer(&req)
}

#[tauri::command]
pub async fn record_investigation_event(
    state: State<'_, AppState>,
    req: InvestigationEventRequest,
) -> Result<InvestigationEventInfo, ApiError> {
    state.record_investigation_event(&req)
}

#[tauri::command]
pub async fn record_victim_told(
    state: State<'_, AppState>,
    req: VictimToldRequest,
) -> Result<VictimToldInfo, ApiError> {
    state.record_victim_told(&req)
}

#[tauri::command]
pub async fn record_update_preference(
    state: State<'_, AppState>,
    req: UpdatePreferenceRequest,
) -> Result<UpdatePreferenceInfo, ApiError> {
    state.record_update_preference(&req)
}

#[tauri::command]
pub async fn victims_awaiting(state: State<'_, AppState>, req: AwaitingRequest) -> Result<Vec<AwaitingRow>, ApiError> {
    let AwaitingRequest {} = req;
    state.victims_awaiting()
}

#[tauri::command]
pub async fn create_nominal(
    state: State<'_, AppState>,
    req: CreateNominalRequest,
) -> Result<CreateNominalOutcome, ApiError> {
    state.create_nominal(&req)
}

#[tauri::command]
pub async fn likely_matches(
    state: State<'_, AppState>,
    req: LikelyMatchesRequest,
) -> Result<Vec<NominalHit>, ApiError> {
    state.likely_matches(&req)
}

#[tauri::command]
pub async fn list_duplicates(
    state: State<'_, AppState>,
    req: ListDuplicatesRequest,
) -> Result<Vec<DuplicateInfo>, ApiError> {
    let ListDuplicatesRequest {} = req;
    state.list_duplicates()
}

#[tauri::command]
pub async fn resolve_duplicate(state: State<'_, AppState>, req: ResolveDuplicateRequest) -> Result<(), ApiError> {
    state.resolve_duplicate(&req)
}
