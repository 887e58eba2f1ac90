//! The one place the frontend talks to the shell: a typed async wrapper per Tauri command.
//! Each command takes one request struct, sent as `{ req: ... }`.

use bluelamp_protocol::audit::{AuditEntry, AuditFilter};
use bluelamp_protocol::session::{LockRequest, LockScreen, LockScreenRequest, SessionInfo, UnlockRequest};
use bluelamp_protocol::status::{SimulateOfflineRequest, StatusRequest, SyncIssue, SyncIssuesRequest, SyncNowRequest};
use bluelamp_protocol::{cmd, ApiError, AppStatus, ErrorCode, NominalHit, SearchRequest, ViewNominalRequest};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = invoke, catch)]
    async fn tauri_invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
}

#[derive(Serialize)]
struct Args<'a, T> {
    req: &'a T,
}

async fn invoke<Req: Serialize, Resp: DeserializeOwned>(command: &str, req: &Req) -> Result<Resp, ApiError> {
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    let args = Args { req }.serialize(&ser).map_err(|_| ApiError::internal())?;
    match tauri_invoke(command, args).await {
        Ok(v) => serde_wasm_bindgen::from_value(v).map_err(|_| ApiError::internal()),
        Err(e) => Err(serde_wasm_bindgen::from_value::<ApiError>(e.clone()).unwrap_or_else(|_| {
            ApiError::new(
                ErrorCode::Internal,
                e.as_string().unwrap_or_else(|| "The app could not complete the request.".into()),
            )
        })),
    }
}

/// The status poll; `idle_ms` is how long ago the window last saw the officer's input.
pub async fn app_status(idle_ms: Option<u64>) -> Result<AppStatus, ApiError> {
    invoke(cmd::APP_STATUS, &StatusRequest { idle_ms }).await
}

pub async fn lock_screen() -> Result<LockScreen, ApiError> {
    invoke(cmd::LOCK_SCREEN, &LockScreenRequest {}).await
}

pub async fn unlock(req: &UnlockRequest) -> Result<SessionInfo, ApiError> {
    invoke(cmd::UNLOCK, req).await
}

pub async fn lock() -> Result<(), ApiError> {
    invoke(cmd::LOCK, &LockRequest {}).await
}

pub async fn search_nominals(req: &SearchRequest) -> Result<Vec<NominalHit>, ApiError> {
    invoke(cmd::SEARCH_NOMINALS, req).await
}

pub async fn view_nominal(req: &ViewNominalRequest) -> Result<bluelamp_protocol::nominal::NominalPage, ApiError> {
    invoke(cmd::VIEW_NOMINAL, req).await
}

pub async fn audit_list(req: &AuditFilter) -> Result<Vec<AuditEntry>, ApiError> {
    invoke(cmd::AUDIT_LIST, req).await
}

use bluelamp_protocol::casework::{
    FinaliseOutcome, FormDetail, FormRequest, IncidentDetail, IncidentRequest, IncidentSummary, ListIncidentsRequest,
    SaveDraftRequest, SetClosingCodeRequest, StartFormRequest, SubmitFormRequest, SubmitOutcome,
};

pub async fn list_incidents() -> Result<Vec<IncidentSummary>, ApiError> {
    invoke(cmd::LIST_INCIDENTS, &ListIncidentsRequest {}).await
}

pub async fn get_incident(incident_id: &str) -> Result<IncidentDetail, ApiError> {
    invoke(cmd::GET_INCIDENT, &IncidentRequest { incident_id: incident_id.into() }).await
}

pub async fn start_form(req: &StartFormRequest) -> Result<FormDetail, ApiError> {
    invoke(cmd::START_FORM, req).await
}

pub async fn get_form(form_id: &str) -> Result<FormDetail, ApiError> {
    invoke(cmd::GET_FORM, &FormRequest { form_id: form_id.into() }).await
}

pub async fn save_draft(req: &SaveDraftRequest) -> Result<(), ApiError> {
    invoke(cmd::SAVE_DRAFT, req).await
}

pub async fn submit_form(req: &SubmitFormRequest) -> Result<SubmitOutcome, ApiError> {
    invoke(cmd::SUBMIT_FORM, req).await
}

pub async fn set_closing_code(req: &SetClosingCodeRequest) -> Result<IncidentDetail, ApiError> {
    invoke(cmd::SET_CLOSING_CODE, req).await
}

pub async fn finalise_incident(incident_id: &str) -> Result<FinaliseOutcome, ApiError> {
    invoke(cmd::FINALISE_INCIDENT, &IncidentRequest { incident_id: incident_id.into() }).await
}

pub async fn sync_now() -> Result<(), ApiError> {
    invoke(cmd::SYNC_NOW, &SyncNowRequest {}).await
}

pub async fn sync_issues() -> Result<Vec<SyncIssue>, ApiError> {
    invoke(cmd::SYNC_ISSUES, &SyncIssuesRequest {}).await
}

pub async fn simulate_offline(offline: bool) -> Result<(), ApiError> {
    invoke(cmd::SIMULATE_OFFLINE, &SimulateOfflineRequest { offline }).await
}

use bluelamp_protocol::casework::{FormInfo, FormReviewView, QueueView, ReviewFormRequest, SupervisorQueueRequest};

pub async fn amend_form(form_id: &str) -> Result<FormDetail, ApiError> {
    invoke(cmd::AMEND_FORM, &FormRequest { form_id: form_id.into() }).await
}

pub async fn supervisor_queue() -> Result<QueueView, ApiError> {
    invoke(cmd::SUPERVISOR_QUEUE, &SupervisorQueueRequest {}).await
}

pub async fn get_form_review(form_id: &str) -> Result<FormReviewView, ApiError> {
    invoke(cmd::GET_FORM_REVIEW, &FormRequest { form_id: form_id.into() }).await
}

pub async fn review_form(req: &ReviewFormRequest) -> Result<FormInfo, ApiError> {
    invoke(cmd::REVIEW_FORM, req).await
}

use bluelamp_protocol::casework::RecordReferralRequest;
use bluelamp_protocol::victims::{AwaitingRequest, AwaitingRow, RecordReferralOutcome, VictimsPanel};

pub async fn victims_assessment(incident_id: &str) -> Result<VictimsPanel, ApiError> {
    invoke(cmd::VICTIMS_ASSESSMENT, &IncidentRequest { incident_id: incident_id.into() }).await
}

pub async fn record_referral(req: &RecordReferralRequest) -> Result<RecordReferralOutcome, ApiError> {
    invoke(cmd::RECORD_REFERRAL, req).await
}

pub async fn withdraw_referral(
    req: &bluelamp_protocol::casework::WithdrawReferralRequest,
) -> Result<bluelamp_protocol::casework::ReferralDecisionInfo, ApiError> {
    invoke(cmd::WITHDRAW_REFERRAL, req).await
}

pub async fn record_under18_answer(
    req: &bluelamp_protocol::victims::Under18Request,
) -> Result<bluelamp_protocol::victims::Under18Answer, ApiError> {
    invoke(cmd::RECORD_UNDER18_ANSWER, req).await
}

pub async fn record_investigation_event(
    req: &bluelamp_protocol::victims::InvestigationEventRequest,
) -> Result<bluelamp_protocol::victims::InvestigationEventInfo, ApiError> {
    invoke(cmd::RECORD_INVESTIGATION_EVENT, req).await
}

pub async fn record_victim_told(
    req: &bluelamp_protocol::victims::VictimToldRequest,
) -> Result<bluelamp_protocol::victims::VictimToldInfo, ApiError> {
    invoke(cmd::RECORD_VICTIM_TOLD, req).await
}

pub async fn record_update_preference(
    req: &bluelamp_protocol::victims::UpdatePreferenceRequest,
) -> Result<bluelamp_protocol::victims::UpdatePreferenceInfo, ApiError> {
    invoke(cmd::RECORD_UPDATE_PREFERENCE, req).await
}

pub async fn victims_awaiting() -> Result<Vec<AwaitingRow>, ApiError> {
    invoke(cmd::VICTIMS_AWAITING, &AwaitingRequest {}).await
}

use bluelamp_protocol::conflicts::{ConflictInfo, ListConflictsRequest, ResolveConflictRequest};

pub async fn list_conflicts() -> Result<Vec<ConflictInfo>, ApiError> {
    invoke(cmd::LIST_CONFLICTS, &ListConflictsRequest {}).await
}

pub async fn resolve_conflict(req: &ResolveConflictRequest) -> Result<Vec<ConflictInfo>, ApiError> {
    invoke(cmd::RESOLVE_CONFLICT, req).await
}

use bluelamp_protocol::nominal::{
    CreateNominalOutcome, CreateNominalRequest, DuplicateDecision, DuplicateInfo, LikelyMatchesRequest,
    ListDuplicatesRequest, NewNominal, ResolveDuplicateRequest,
};

pub async fn create_nominal(nominal: &NewNominal) -> Result<CreateNominalOutcome, ApiError> {
    invoke(cmd::CREATE_NOMINAL, &CreateNominalRequest { nominal: nominal.clone() }).await
}

pub async fn likely_matches(nominal: &NewNominal) -> Result<Vec<NominalHit>, ApiError> {
    invoke(cmd::LIKELY_MATCHES, &LikelyMatchesRequest { nominal: nominal.clone() }).await
}

pub async fn list_duplicates() -> Result<Vec<DuplicateInfo>, ApiError> {
    invoke(cmd::LIST_DUPLICATES, &ListDuplicatesRequest {}).await
}

pub async fn resolve_duplicate(id: &str, decision: DuplicateDecision) -> Result<(), ApiError> {
    invoke(cmd::RESOLVE_DUPLICATE, &ResolveDuplicateRequest { id: id.into(), decision }).await
}
