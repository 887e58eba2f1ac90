//! The session rules, through the same functions the Tauri commands call: roles are checked
//! in the backend, wrong passphrases are counted, idle sessions lock.

use std::time::{Duration, Instant};

use bluelamp_app::state::{AppState, DEMO_PASSPHRASE};
use bluelamp_app::Config;
use bluelamp_protocol::audit::{AuditAction, AuditFilter};
use bluelamp_protocol::session::{Role, UnlockRequest};
use bluelamp_protocol::{ErrorCode, SearchRequest, ViewNominalRequest};
use bluelamp_store::unlock::UnlockPolicy;

fn app(dir: &std::path::Path, idle_lock_secs: u32) -> AppState {
    let config = Config {
        data_dir: dir.to_path_buf(),
        // Nothing listens there: the app must work offline.
        central_url: Some("http://127.0.0.1:9".into()),
        demo: true,
        report_ready: false,
        idle_lock_secs,
        unlock_policy: UnlockPolicy::default(),
    };
    tauri::async_runtime::block_on(AppState::start(config, Instant::now(), None)).unwrap()
}

fn unlock(state: &AppState, officer: &str, pass: &str) -> Result<Role, bluelamp_protocol::ApiError> {
    state.unlock(&UnlockRequest { officer_id: officer.into(), passphrase: pass.into() }).map(|s| s.role)
}

#[test]
fn an_officer_cannot_call_a_supervisor_command() {
    let dir = tempfile::tempdir().unwrap();
    let state = app(dir.path(), 900);
    assert_eq!(unlock(&state, "demo-officer", DEMO_PASSPHRASE).unwrap(), Role::Officer);
    let err = state.audit_list(&AuditFilter::default()).unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    // Records work is allowed.
    assert!(state.search(&SearchRequest::free_text("smith")).is_ok());

    state.lock();
    assert_eq!(unlock(&state, "demo-supervisor", DEMO_PASSPHRASE).unwrap(), Role::Supervisor);
    let entries = state.audit_list(&AuditFilter::default()).unwrap();
    assert!(entries.iter().any(|e| e.action == AuditAction::Unlock.as_str()));
}

#[test]
fn admins_read_the_log_but_do_no_records_work() {
    let dir = tempfile::tempdir().unwrap();
    let state = app(dir.path(), 900);
    assert_eq!(unlock(&state, "demo-admin", DEMO_PASSPHRASE).unwrap(), Role::Admin);
    assert_eq!(state.search(&SearchRequest::free_text("smith")).unwrap_err().code, ErrorCode::Forbidden);
    assert!(state.audit_list(&AuditFilter::default()).is_ok());
}

#[test]
fn locked_app_refuses_everything_and_wrong_passphrases_count_down() {
    let dir = tempfile::tempdir().unwrap();
    let state = app(dir.path(), 900);
    assert_eq!(state.search(&SearchRequest::free_text("smith")).unwrap_err().code, ErrorCode::Locked);
    assert!(state.status().unwrap().session.is_none());
    // First use creates the demo store; then count the failures.
    unlock(&state, "demo-officer", DEMO_PASSPHRASE).unwrap();
    state.lock();
    let err = unlock(&state, "demo-officer", "wrong").unwrap_err();
    assert_eq!(err.code, ErrorCode::WrongPassphrase);
    assert_eq!(err.message, "The passphrase is wrong. 4 tries left.");
    assert!(unlock(&state, "demo-officer", "wrong").unwrap_err().message.contains("3 tries left"));
    assert!(state.status().unwrap().session.is_none());
    // Bad officer ids never reach the file system.
    assert_eq!(unlock(&state, "../../etc", "x").unwrap_err().code, ErrorCode::InvalidInput);
    assert_eq!(unlock(&state, "PC999", "x").unwrap_err().code, ErrorCode::NotFound);
}

#[test]
fn idle_session_locks_itself() {
    let dir = tempfile::tempdir().unwrap();
    let state = app(dir.path(), 1);
    unlock(&state, "demo-officer", DEMO_PASSPHRASE).unwrap();
    assert!(state.search(&SearchRequest::free_text("smith")).is_ok());
    std::thread::sleep(Duration::from_millis(1300));
    assert_eq!(state.search(&SearchRequest::free_text("smith")).unwrap_err().code, ErrorCode::Locked);
    assert!(state.status().unwrap().session.is_none());
}

#[test]
fn opening_a_record_needs_a_purpose_and_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let state = app(dir.path(), 900);
    unlock(&state, "demo-superuser", DEMO_PASSPHRASE).unwrap();
    let hit =
        state.search(&SearchRequest::free_text("smith")).unwrap().into_iter().next().expect("a Smith in the demo data");
    let no_purpose = ViewNominalRequest { id: hit.id.clone(), purpose: String::new() };
    assert_eq!(state.view_nominal(&no_purpose).unwrap_err().code, ErrorCode::InvalidInput);
    let req = ViewNominalRequest { id: hit.id.clone(), purpose: "safeguarding".into() };
    assert_eq!(state.view_nominal(&req).unwrap().id, hit.id);
    let filter = AuditFilter { object_ref: Some(hit.id.clone()), ..Default::default() };
    let entries = state.audit_list(&filter).unwrap();
    let view = entries.iter().find(|e| e.object_ref == format!("nominal:{}", hit.id)).expect("a consultation entry");
    assert_eq!(view.action, "consultation");
    assert_eq!(view.purpose.as_deref(), Some("safeguarding"));
}

#[test]
fn only_a_superuser_may_simulate_offline_and_sync_status_follows_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let state = app(dir.path(), 900);
    let req = bluelamp_protocol::status::SimulateOfflineRequest { offline: true };
    assert_eq!(tauri::async_runtime::block_on(state.simulate_offline(&req)).unwrap_err().code, ErrorCode::Locked);
    assert!(state.status().unwrap().sync.is_none(), "nothing about sync shows while locked");
    unlock(&state, "demo-officer", DEMO_PASSPHRASE).unwrap();
    assert_eq!(tauri::async_runtime::block_on(state.simulate_offline(&req)).unwrap_err().code, ErrorCode::Forbidden);
    let sync = state.status().unwrap().sync.expect("sync status while unlocked");
    assert!(!sync.simulated_offline);
    assert!(state.sync_now().is_ok());
    assert!(state.sync_issues().unwrap().is_empty());
    state.lock();
    unlock(&state, "demo-superuser", DEMO_PASSPHRASE).unwrap();
    // This configuration uses an external central URL, so there is nothing to switch off.
    assert_eq!(tauri::async_runtime::block_on(state.simulate_offline(&req)).unwrap_err().code, ErrorCode::Rejected);
}
