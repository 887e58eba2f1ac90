//! Names of the Tauri commands. `src-tauri` registers exactly these, its capability grants
//! exactly these, and the frontend's `api` module calls them; a test keeps the four in step.

pub const APP_STATUS: &str = "app_status";
pub const LOCK_SCREEN: &str = "lock_screen";
pub const UNLOCK: &str = "unlock";
pub const LOCK: &str = "lock";
pub const SEARCH_NOMINALS: &str = "search_nominals";
pub const VIEW_NOMINAL: &str = "view_nominal";
pub const AUDIT_LIST: &str = "audit_list";
pub const LIST_INCIDENTS: &str = "list_incidents";
pub const GET_INCIDENT: &str = "get_incident";
pub const START_FORM: &str = "start_form";
pub const GET_FORM: &str = "get_form";
pub const SAVE_DRAFT: &str = "save_draft";
pub const SUBMIT_FORM: &str = "submit_form";
pub const SET_CLOSING_CODE: &str = "set_closing_code";
pub const FINALISE_INCIDENT: &str = "finalise_incident";
pub const SYNC_NOW: &str = "sync_now";
pub const SYNC_ISSUES: &str = "sync_issues";
pub const SIMULATE_OFFLINE: &str = "simulate_offline";
pub const AMEND_FORM: &str = "amend_form";
pub const SUPERVISOR_QUEUE: &str = "supervisor_queue";
pub const GET_FORM_REVIEW: &str = "get_form_review";
pub const REVIEW_FORM: &str = "review_form";
pub const VICTIMS_ASSESSMENT: &str = "victims_assessment";
pub const RECORD_REFERRAL: &str = "record_referral";
pub const WITHDRAW_REFERRAL: &str = "withdraw_referral";
pub const RECORD_UNDER18_ANSWER: &str = "record_under18_answer";
pub const RECORD_INVESTIGATION_EVENT: &str = "record_investigation_event";
pub const RECORD_VICTIM_TOLD: &str = "record_victim_told";
pub const RECORD_UPDATE_PREFERENCE: &str = "record_update_preference";
pub const VICTIMS_AWAITING: &str = "victims_awaiting";
pub const LIST_CONFLICTS: &str = "list_conflicts";
pub const RESOLVE_CONFLICT: &str = "resolve_conflict";
pub const CREATE_NOMINAL: &str = "create_nominal";
pub const LIKELY_MATCHES: &str = "likely_matches";
pub const LIST_DUPLICATES: &str = "list_duplicates";
pub const RESOLVE_DUPLICATE: &str = "resolve_duplicate";

/// Every command the webview may call.
pub const ALL: &[&str] = &[
    APP_STATUS,
    LOCK_SCREEN,
    UNLOCK,
    LOCK,
    SEARCH_NOMINALS,
    VIEW_NOMINAL,
    AUDIT_LIST,
    LIST_INCIDENTS,
    GET_INCIDENT,
    START_FORM,
    GET_FORM,
    SAVE_DRAFT,
    SUBMIT_FORM,
    SET_CLOSING_CODE,
    FINALISE_INCIDENT,
    SYNC_NOW,
    SYNC_ISSUES,
    SIMULATE_OFFLINE,
    AMEND_FORM,
    SUPERVISOR_QUEUE,
    GET_FORM_REVIEW,
    REVIEW_FORM,
    VICTIMS_ASSESSMENT,
    RECORD_REFERRAL,
    WITHDRAW_REFERRAL,
    RECORD_UNDER18_ANSWER,
    RECORD_INVESTIGATION_EVENT,
    RECORD_VICTIM_TOLD,
    RECORD_UPDATE_PREFERENCE,
    VICTIMS_AWAITING,
    LIST_CONFLICTS,
    RESOLVE_CONFLICT,
    CREATE_NOMINAL,
    LIKELY_MATCHES,
    LIST_DUPLICATES,
    RESOLVE_DUPLICATE,
];
