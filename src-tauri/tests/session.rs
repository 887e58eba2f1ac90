//! The session rules, through the same functions the Tauri commands call: roles are checked
//! in the backend, wrong passphrases are counted, idle sessions lock.

use std::time::{Duration, Instant};

use bluelamp_app::state::{AppState, DEMO_PASSPHRASE};
use bluelamp_app::Config;
use bluelamp_protocol::audit::{AuditAction, AuditFilter};
use bluelamp_protocol::session::{Role, UnlockRequest};
use bluelamp_protocol::status::StatusRequest;
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
        kdf: bluelamp_store::KdfParams::INSECURE_FAST,
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
    // Reading the log is on the log: the next reading shows the first.
    let again = state.audit_list(&AuditFilter::default()).unwrap();
    let read = &again[0];
    assert_eq!((read.action.as_str(), read.object_ref.as_str()), ("consultation", "audit:log"));
    assert_eq!(read.officer_id, "demo-supervisor");
    assert_eq!(read.detail["results"], serde_json::json!(entries.len()));
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
    assert!(state.status(&StatusRequest::default()).unwrap().session.is_none());
    // First use creates the demo store; then count the failures.
    unlock(&state, "demo-officer", DEMO_PASSPHRASE).unwrap();
    state.lock();
    let err = unlock(&state, "demo-officer", "wrong").unwrap_err();
    assert_eq!(err.code, ErrorCode::WrongPassphrase);
    assert_eq!(err.message, "The passphrase is wrong. 4 tries left.");
    assert!(unlock(&state, "demo-officer", "wrong").unwrap_err().message.contains("3 tries left"));
    assert!(state.status(&StatusRequest::default()).unwrap().session.is_none());
    // Bad officer ids never reach the file system.
    assert_eq!(unlock(&state, "../../etc", "x").unwrap_err().code, ErrorCode::InvalidInput);
    assert_eq!(unlock(&state, "PC999", "x").unwrap_err().code, ErrorCode::NotFound);
}

#[test]
fn unlock_rebuilds_search_keys_left_stale_by_an_update() {
    let dir = tempfile::tempdir().unwrap();
    let state = app(dir.path(), 300);
    unlock(&state, "demo-officer", DEMO_PASSPHRASE).unwrap();
    state.lock();
    let db = dir.path().join("officers").join("demo-officer.db");
    {
        let store = bluelamp_store::Store::open(&db, DEMO_PASSPHRASE).unwrap();
        store.conn().execute_batch("DELETE FROM name_keys; DELETE FROM meta WHERE key = 'name_keys_version';").unwrap();
        assert!(store.search_keys_stale().unwrap());
    }
    unlock(&state, "demo-officer", DEMO_PASSPHRASE).unwrap();
    state.lock();
    let store = bluelamp_store::Store::open(&db, DEMO_PASSPHRASE).unwrap();
    assert!(!store.search_keys_stale().unwrap(), "rebuilt during unlock, before any search");
    let keys: i64 = store.conn().query_row("SELECT COUNT(*) FROM name_keys", [], |r| r.get(0)).unwrap();
    assert!(keys > 0);
}

#[test]
fn idle_session_locks_itself() {
    let dir = tempfile::tempdir().unwrap();
    let state = app(dir.path(), 1);
    unlock(&state, "demo-officer", DEMO_PASSPHRASE).unwrap();
    assert!(state.search(&SearchRequest::free_text("smith")).is_ok());
    std::thread::sleep(Duration::from_millis(1300));
    assert_eq!(state.search(&SearchRequest::free_text("smith")).unwrap_err().code, ErrorCode::Locked);
    assert!(state.status(&StatusRequest::default()).unwrap().session.is_none());
}

/// The idle limit holds when the window sends nothing at all (a hung or crashed web view, no
/// status poll): the backend locks on its own, closing the store and forgetting the passphrase.
#[test]
fn an_idle_session_locks_even_when_no_command_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let state = app(dir.path(), 1);
    unlock(&state, "demo-officer", DEMO_PASSPHRASE).unwrap();
    assert!(state.session.lock().unwrap().is_some());
    assert!(state.sync.has_credentials());
    // No command and no poll; the watch checks every second (1 s limit + 1 s tick, allowed 15 s
    // on a busy machine).
    let start = Instant::now();
    while state.session.lock().unwrap().is_some() {
        assert!(start.elapsed() < Duration::from_secs(15), "still unlocked with nobody there");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!state.sync.has_credentials(), "the sync credentials are forgotten");
    // The lock screen is told why; an unlock, or a lock the officer chose, clears it.
    let why = state.status(&StatusRequest { idle_ms: None }).unwrap().locked_because;
    assert_eq!(why, Some(bluelamp_protocol::status::LockReason::Idle));
    unlock(&state, "demo-officer", DEMO_PASSPHRASE).unwrap();
    assert_eq!(state.status(&StatusRequest { idle_ms: Some(0) }).unwrap().locked_because, None);
    state.lock();
    assert_eq!(state.status(&StatusRequest { idle_ms: None }).unwrap().locked_because, None);
}

/// Typing a long decision sends no command until Save: the window's input, reported with the
/// status poll, keeps the session open.
#[test]
fn input_reported_by_the_window_keeps_the_session_open() {
    let dir = tempfile::tempdir().unwrap();
    // A 3 s limit, polled every second: a step may stall for 2 s on a busy machine.
    let state = app(dir.path(), 3);
    unlock(&state, "demo-officer", DEMO_PASSPHRASE).unwrap();
    let typing = StatusRequest { idle_ms: Some(50) };
    for _ in 0..5 {
        std::thread::sleep(Duration::from_millis(1000));
        assert!(state.status(&typing).unwrap().session.is_some(), "locked while the officer was typing");
    }
    // 5 s after the last command, and still open.
    assert!(state.search(&SearchRequest::free_text("smith")).is_ok());
    // A poll that reports no input does not count as activity.
    std::thread::sleep(Duration::from_millis(3300));
    assert!(state.status(&StatusRequest { idle_ms: Some(3300) }).unwrap().session.is_none());
}

/// Input after the limit has passed (the laptop woken from suspend, a key pressed before the
/// poll) cannot revive a session that has already expired.
#[test]
fn input_after_the_idle_limit_does_not_revive_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let state = app(dir.path(), 1);
    unlock(&state, "demo-officer", DEMO_PASSPHRASE).unwrap();
    std::thread::sleep(Duration::from_millis(1300));
    assert!(state.status(&StatusRequest { idle_ms: Some(0) }).unwrap().session.is_none());
    assert_eq!(state.search(&SearchRequest::free_text("smith")).unwrap_err().code, ErrorCode::Locked);
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
    assert_eq!(state.view_nominal(&req).unwrap().nominal.id, hit.id);
    let filter = AuditFilter { object_ref: Some(hit.id.clone()), ..Default::default() };
    let entries = state.audit_list(&filter).unwrap();
    let view = entries.iter().find(|e| e.object_ref == format!("nominal:{}", hit.id)).expect("a consultation entry");
    assert_eq!(view.action, "consultation");
    assert_eq!(view.purpose.as_deref(), Some("safeguarding"));
}

#[test]
fn the_record_page_of_the_showcase_suspect_is_full_role_checked_and_logged_once_per_view() {
    let dir = tempfile::tempdir().unwrap();
    let state = app(dir.path(), 900);
    unlock(&state, "demo-admin", DEMO_PASSPHRASE).unwrap();
    let any = ViewNominalRequest { id: "DEMO-000001".into(), purpose: "investigation".into() };
    assert_eq!(state.view_nominal(&any).unwrap_err().code, ErrorCode::Forbidden);
    state.lock();
    unlock(&state, "demo-superuser", DEMO_PASSPHRASE).unwrap();
    // The demo's showcase incident (the first one drawn), as the store drew it.
    let people = bluelamp_demo::people(300, bluelamp_demo::DEMO_SEED);
    let now = bluelamp_store::casework::now_unix();
    let reference = bluelamp_demo::incidents(&people, 1, bluelamp_demo::DEMO_SEED, now).remove(0).reference;
    let showcase = state.list_incidents().unwrap().into_iter().find(|i| i.reference == reference).unwrap();
    let suspect = showcase.links.iter().find(|l| l.role == "suspect").expect("a suspect").nominal_id.clone();
    let req = ViewNominalRequest { id: suspect.clone(), purpose: "investigation".into() };
    let page = state.view_nominal(&req).unwrap();
    assert!(!page.warning_markers.is_empty(), "markers");
    assert!(page.warning_markers.iter().all(|m| m.last_verified_at.is_some()));
    assert_eq!(page.nominal.markers.first(), Some(&page.warning_markers[0].code), "same order on the row");
    assert!(!page.aliases.is_empty(), "aliases");
    assert!(page.addresses.len() >= 2 && page.addresses[0].current, "addresses: {:?}", page.addresses);
    assert!(page.incidents.iter().any(|i| i.incident_id == showcase.id), "linked incident");
    state.view_nominal(&req).unwrap();
    let filter = AuditFilter { object_ref: Some(suspect.clone()), ..Default::default() };
    let views = state
        .audit_list(&filter)
        .unwrap()
        .into_iter()
        .filter(|e| e.object_ref == format!("nominal:{suspect}") && e.action == "consultation")
        .count();
    assert_eq!(views, 2, "one entry per view");
}

/// Every screen that shows personal data leaves a consultation entry (DPA 2018 s.62): the
/// incident list (it names each incident's people) and page, a form (also a draft resumed), the
/// victims panel, the possible-duplicates list, the supervisor queue and the victims awaiting
/// list, not only a person's record.
#[test]
fn incident_form_victims_and_duplicates_views_are_logged() {
    use bluelamp_protocol::casework::{FormRequest, IncidentRequest, StartFormRequest};
    let dir = tempfile::tempdir().unwrap();
    let state = app(dir.path(), 900);
    // A supervisor: each officer's store holds its own log, and a supervisor may read it.
    unlock(&state, "demo-supervisor", DEMO_PASSPHRASE).unwrap();
    let incident = state.list_incidents().unwrap().into_iter().next().expect("a demo incident");
    let inc = IncidentRequest { incident_id: incident.id.clone() };
    state.get_incident(&inc).unwrap();
    state.victims_assessment(&inc).unwrap();
    let form = state
        .start_form(&StartFormRequest {
            incident_id: incident.id.clone(),
            pack_id: "dash-style-da-risk".into(),
            victim_id: None,
        })
        .unwrap();
    state.get_form(&FormRequest { form_id: form.info.id.clone() }).unwrap();
    state.list_duplicates().unwrap();
    state.supervisor_queue().unwrap();
    state.victims_awaiting().unwrap();
    let consulted = || -> Vec<String> {
        state
            .audit_list(&AuditFilter { limit: Some(500), ..Default::default() })
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "consultation" && e.officer_id == "demo-supervisor")
            .map(|e| e.object_ref)
            .collect()
    };
    let logged = consulted();
    // Starting the same form again resumes the draft and returns its answers: logged too.
    let form_ref = format!("form:{}", form.info.id);
    let views = |l: &[String]| l.iter().filter(|o| **o == form_ref).count();
    let resumed = state
        .start_form(&StartFormRequest {
            incident_id: incident.id.clone(),
            pack_id: "dash-style-da-risk".into(),
            victim_id: None,
        })
        .unwrap();
    assert_eq!(resumed.info.id, form.info.id, "the draft is resumed");
    assert_eq!(views(&consulted()), views(&logged) + 1, "resuming a draft is a consultation");
    for object in [
        "incidents".to_string(),
        format!("incident:{}", incident.id),
        format!("victims:{}", incident.id),
        format!("form:{}", form.info.id),
        "duplicates".to_string(),
        "queue:supervisor".to_string(),
        "victims:awaiting".to_string(),
    ] {
        assert!(logged.contains(&object), "{object} not in {logged:?}");
    }
}

#[test]
fn only_a_superuser_may_simulate_offline_and_sync_status_follows_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let state = app(dir.path(), 900);
    let req = bluelamp_protocol::status::SimulateOfflineRequest { offline: true };
    assert_eq!(tauri::async_runtime::block_on(state.simulate_offline(&req)).unwrap_err().code, ErrorCode::Locked);
    assert!(state.status(&StatusRequest::default()).unwrap().sync.is_none(), "nothing about sync shows while locked");
    unlock(&state, "demo-officer", DEMO_PASSPHRASE).unwrap();
    assert_eq!(tauri::async_runtime::block_on(state.simulate_offline(&req)).unwrap_err().code, ErrorCode::Forbidden);
    let sync = state.status(&StatusRequest::default()).unwrap().sync.expect("sync status while unlocked");
    assert!(!sync.simulated_offline);
    assert!(state.sync_now().is_ok());
    assert!(state.sync_issues().unwrap().is_empty());
    state.lock();
    unlock(&state, "demo-superuser", DEMO_PASSPHRASE).unwrap();
    // This configuration uses an external central URL, so there is nothing to switch off.
    assert_eq!(tauri::async_runtime::block_on(state.simulate_offline(&req)).unwrap_err().code, ErrorCode::Rejected);
}

#[test]
fn officers_and_admins_cannot_see_the_queue_or_review() {
    use bluelamp_protocol::casework::{FormRequest, ReviewDecision, ReviewFormRequest};
    let dir = tempfile::tempdir().unwrap();
    let state = app(dir.path(), 900);
    let form = FormRequest { form_id: "any".into() };
    let review = ReviewFormRequest { form_id: "any".into(), decision: ReviewDecision::Approve, comments: None };
    for who in ["demo-officer", "demo-admin"] {
        unlock(&state, who, DEMO_PASSPHRASE).unwrap();
        assert_eq!(state.supervisor_queue().unwrap_err().code, ErrorCode::Forbidden, "{who}: queue");
        assert_eq!(state.get_form_review(&form).unwrap_err().code, ErrorCode::Forbidden, "{who}: open review");
        assert_eq!(state.review_form(&review).unwrap_err().code, ErrorCode::Forbidden, "{who}: review");
        state.lock();
    }
    // Locked: refused before any role check.
    assert_eq!(state.supervisor_queue().unwrap_err().code, ErrorCode::Locked);
}

#[test]
fn a_supervisor_sees_the_queue_and_returns_a_form_with_comments() {
    use bluelamp_protocol::casework::{FormRequest, FormStatus, MissingKind, ReviewDecision, ReviewFormRequest};
    let dir = tempfile::tempdir().unwrap();
    let state = app(dir.path(), 900);
    assert_eq!(unlock(&state, "demo-supervisor", DEMO_PASSPHRASE).unwrap(), Role::Supervisor);
    let view = state.supervisor_queue().unwrap();
    assert!(!view.queue.items.is_empty());
    for item in &view.queue.items {
        assert!(view.incidents.iter().any(|i| i.id == item.incident_id), "every item has its reference");
    }
    let unreviewed: Vec<String> = view
        .queue
        .items
        .iter()
        .flat_map(|i| &i.problems)
        .filter(|p| p.item == MissingKind::SupervisorApproval)
        .filter_map(|p| p.form_id.clone())
        .collect();
    assert_eq!(unreviewed.len(), 2, "the demo team's two submissions wait for review");
    // The High assessment's MARAC and IDVA referral tasks are listed with their incidents,
    // soonest due first; the review tasks are not repeated (the forms above are the reviews).
    let kinds: Vec<&str> = view.tasks.iter().map(|t| t.task.kind.as_str()).collect();
    assert!(kinds.contains(&"marac_referral") && kinds.contains(&"idva_referral"), "{kinds:?}");
    assert!(!kinds.contains(&"supervisor_review"), "{kinds:?}");
    for t in &view.tasks {
        let id = t.task.incident_id.as_deref().expect("a task of an incident");
        assert!(view.incidents.iter().any(|i| i.id == id), "the task's incident has its reference");
        assert_eq!(t.due, t.task.due_at.as_deref().and_then(bluelamp_store::casework::unix_of));
        assert!(t.due.is_some());
    }
    assert!(view.tasks.windows(2).all(|w| w[0].due <= w[1].due), "soonest due first");

    let r = state.get_form_review(&FormRequest { form_id: unreviewed[0].clone() }).unwrap();
    assert!(r.can_review, "{:?}", r.why_not);
    assert_eq!(r.form.info.created_by, "demo-officer");
    let risk = if r.suggestion.is_some() { &unreviewed[0] } else { &unreviewed[1] };
    let r = state.get_form_review(&FormRequest { form_id: risk.clone() }).unwrap();
    assert!(r.suggestion.is_some_and(|s| !s.reasons.is_empty()), "the risk assessment has a suggestion");
    assert!(r.form.info.officer_grade.is_some() && r.form.info.rationale.is_some());

    // Returning needs comments; nothing changes without them.
    let mut req = ReviewFormRequest { form_id: risk.clone(), decision: ReviewDecision::Return, comments: None };
    assert_eq!(state.review_form(&req).unwrap_err().code, ErrorCode::Rejected);
    req.comments = Some("   ".into());
    assert_eq!(state.review_form(&req).unwrap_err().code, ErrorCode::Rejected);
    req.comments = Some("x".repeat(5000));
    assert_eq!(state.review_form(&req).unwrap_err().code, ErrorCode::InvalidInput);
    req.comments = Some("Record why the grade is High.".into());
    let info = state.review_form(&req).unwrap();
    assert_eq!(info.status, FormStatus::Returned);
    assert_eq!(info.reviews[0].comments.as_deref(), Some("Record why the grade is High."));
    // A decided form cannot be decided again; it is no longer waiting for review, and the
    // returned assessment counts as missing again until the officer resubmits.
    assert_eq!(state.review_form(&req).unwrap_err().code, ErrorCode::Rejected);
    let after = state.supervisor_queue().unwrap();
    let problems: Vec<_> = after.queue.items.iter().flat_map(|i| &i.problems).collect();
    assert!(!problems.iter().any(|p| p.item == MissingKind::SupervisorApproval && p.form_id.as_ref() == Some(risk)));
    assert!(problems.iter().any(|p| p.item == MissingKind::RiskAssessment));
    let r = state.get_form_review(&FormRequest { form_id: risk.clone() }).unwrap();
    assert!(!r.can_review && r.why_not.is_some());
    assert_eq!(state.get_form_review(&FormRequest { form_id: "nope".into() }).unwrap_err().code, ErrorCode::NotFound);
}

/// A central service on 127.0.0.1 with one officer (passphrase "correct horse battery"), and
/// an app configured against it.
fn with_central(
    dir: &tempfile::TempDir,
    officer: &str,
    role: &str,
) -> (bluelamp_central::Central, bluelamp_central::Running, Config, AppState) {
    let central =
        bluelamp_central::Central::open_with(&dir.path().join("central.db"), bluelamp_central::Config::for_tests())
            .unwrap();
    central.add_officer(officer, role, "north", "correct horse battery").unwrap();
    let running =
        tauri::async_runtime::block_on(bluelamp_central::spawn(central.clone(), "127.0.0.1:0".parse().unwrap()))
            .unwrap();
    let config = force_config(dir, running.url());
    let state = tauri::async_runtime::block_on(AppState::start(config.clone(), Instant::now(), None)).unwrap();
    (central, running, config, state)
}

/// A force's app (not the demo) against the service at `url`, its data in `dir`/app.
fn force_config(dir: &tempfile::TempDir, url: String) -> Config {
    Config {
        data_dir: dir.path().join("app"),
        central_url: Some(url),
        demo: false,
        report_ready: false,
        idle_lock_secs: 900,
        unlock_policy: UnlockPolicy::default(),
        kdf: bluelamp_store::KdfParams::INSECURE_FAST,
    }
}

/// First use on a device signs in to the central service and creates the store; a store locked
/// after too many wrong passphrases is unlocked again by signing in online (issue 3).
#[test]
fn enrolment_and_lockout_recovery_go_through_the_central_service() {
    use bluelamp_protocol::session::UnlockRequest;
    let dir = tempfile::tempdir().unwrap();
    let (_, running, config, state) = with_central(&dir, "PC1234", "supervisor");
    let req = |p: &str| UnlockRequest { officer_id: "PC1234".into(), passphrase: p.into() };
    let online = |p: &str| tauri::async_runtime::block_on(state.sign_in_online_if_needed(&req(p)));
    let db = config.officer_db("PC1234");

    // A wrong passphrase at enrolment: refused by the service, nothing left on disk.
    assert_eq!(online("wrong passphrase").unwrap_err().code, ErrorCode::WrongPassphrase);
    assert!(!db.exists());
    // The right one: the store is created with the role the service holds.
    online("correct horse battery").unwrap();
    assert_eq!(state.unlock(&req("correct horse battery")).unwrap().role, Role::Supervisor);
    state.lock();

    // Five wrong passphrases lock the store; only an online sign-in lifts it.
    for _ in 0..5 {
        let _ = state.unlock(&req("nope"));
    }
    assert_eq!(state.unlock(&req("correct horse battery")).unwrap_err().code, ErrorCode::Locked);
    assert_eq!(online("nope").unwrap_err().code, ErrorCode::WrongPassphrase, "the local passphrase is checked too");
    assert_eq!(state.unlock(&req("correct horse battery")).unwrap_err().code, ErrorCode::Locked);
    // A wrong passphrase at the locked store makes the next try wait, however right it is: the
    // lock screen cannot be used to test guesses one after another.
    let err = online("correct horse battery").unwrap_err();
    assert_eq!(err.code, ErrorCode::Locked);
    // 30 s from the wrong try; a second or two may have passed on a loaded machine (a CI run
    // read "wait 29 seconds").
    let secs: u64 = err
        .message
        .split("wait ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no wait in {:?}", err.message));
    assert!((20..=30).contains(&secs), "{}", err.message);
    let attempts = std::path::PathBuf::from(format!("{}.attempts", db.display()));
    let mut a: serde_json::Value = serde_json::from_slice(&std::fs::read(&attempts).unwrap()).unwrap();
    assert_eq!(a["locked_failures"], 1);
    a["not_before"] = 0.into(); // the wait has passed
    std::fs::write(&attempts, serde_json::to_vec(&a).unwrap()).unwrap();
    online("correct horse battery").unwrap();
    state.unlock(&req("correct horse battery")).unwrap();

    // With the service gone, a locked store says to connect.
    state.lock();
    for _ in 0..5 {
        let _ = state.unlock(&req("nope"));
    }
    tauri::async_runtime::block_on(running.stop());
    let err = online("correct horse battery").unwrap_err();
    assert_eq!(err.code, ErrorCode::Rejected);
    assert!(err.message.contains("connect"), "{}", err.message);
    // Offline, a wrong passphrase gets the same answer as the right one (no passphrase is
    // checked), and it is not counted.
    let wrong = online("nope").unwrap_err();
    assert_eq!((wrong.code, wrong.message), (err.code, err.message));
    let a: serde_json::Value = serde_json::from_slice(&std::fs::read(&attempts).unwrap()).unwrap();
    assert_eq!(a["locked_failures"].as_u64().unwrap_or(0), 0);
}

/// A supervisor demoted centrally loses the supervisor screens at the app's next sync round,
/// without locking, and keeps the new role at the next unlock (offline too).
#[test]
fn a_role_changed_centrally_reaches_the_open_session_at_the_next_sync() {
    use bluelamp_protocol::session::UnlockRequest;
    let dir = tempfile::tempdir().unwrap();
    let (central, running, _, state) = with_central(&dir, "PS77", "supervisor");
    let req = UnlockRequest { officer_id: "PS77".into(), passphrase: "correct horse battery".into() };
    tauri::async_runtime::block_on(state.sign_in_online_if_needed(&req)).unwrap();
    assert_eq!(state.unlock(&req).unwrap().role, Role::Supervisor);
    assert!(state.supervisor_queue().is_ok());

    central.set_officer_role("PS77", "officer").unwrap();
    let role_now = |want: Role| {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let st = state.status(&StatusRequest::default()).unwrap();
            if st.session.as_ref().map(|s| s.role) == Some(want) {
                break;
            }
            assert!(Instant::now() < deadline, "the session kept its old role: {st:?}");
            state.sync_now().unwrap();
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    role_now(Role::Officer);
    assert_eq!(state.supervisor_queue().unwrap_err().code, ErrorCode::Forbidden);
    // Kept in the store: the next unlock, with the service gone, is an officer's.
    state.lock();
    tauri::async_runtime::block_on(running.stop());
    assert_eq!(state.unlock(&req).unwrap().role, Role::Officer);
}

/// In the embedded demo, what an officer records on a demo incident syncs to the demo central
/// service without refusals (the service learns the demo store's incidents).
#[test]
fn demo_writes_sync_to_the_embedded_service_without_refusals() {
    use bluelamp_protocol::casework::SetClosingCodeRequest;
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: dir.path().to_path_buf(),
        central_url: None,
        demo: true,
        report_ready: false,
        idle_lock_secs: 900,
        unlock_policy: UnlockPolicy::default(),
        kdf: bluelamp_store::KdfParams::INSECURE_FAST,
    };
    let state = tauri::async_runtime::block_on(AppState::start(config, Instant::now(), None)).unwrap();
    unlock(&state, "demo-officer", DEMO_PASSPHRASE).unwrap();
    let incident = state.list_incidents().unwrap().into_iter().find(|i| i.closing_code.is_none()).unwrap();
    state
        .set_closing_code(&SetClosingCodeRequest {
            incident_id: incident.id,
            code: Some("DA".into()),
            ..Default::default()
        })
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let sync = state.status(&StatusRequest::default()).unwrap().sync.unwrap();
        if sync.pending == 0 && sync.last_sync_ok.is_some() && !sync.running {
            assert_eq!(sync.rejected, 0, "{:?}", state.sync_issues().unwrap());
            break;
        }
        assert!(Instant::now() < deadline, "not synced: {sync:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Conflicts are records work: officers list and resolve them, admins may not; a bad or
/// unknown conflict id is a clear error.
#[test]
fn conflicts_are_records_work_and_bad_ids_are_clear_errors() {
    use bluelamp_protocol::conflicts::{ResolveConflictRequest, Side};
    let dir = tempfile::tempdir().unwrap();
    let state = app(dir.path(), 900);
    assert_eq!(unlock(&state, "demo-admin", DEMO_PASSPHRASE).unwrap(), Role::Admin);
    assert_eq!(state.list_conflicts().unwrap_err().code, ErrorCode::Forbidden);
    let req = ResolveConflictRequest {
        conflict_id: "c-1".into(),
        choices: [("closing_code".to_string(), Side::Mine)].into_iter().collect(),
    };
    assert_eq!(state.resolve_conflict(&req).unwrap_err().code, ErrorCode::Forbidden);
    state.lock();
    unlock(&state, "demo-officer", DEMO_PASSPHRASE).unwrap();
    assert!(state.list_conflicts().unwrap().is_empty());
    assert_eq!(state.resolve_conflict(&req).unwrap_err().code, ErrorCode::NotFound);
    let empty = ResolveConflictRequest { conflict_id: " ".into(), ..req };
    assert_eq!(state.resolve_conflict(&empty).unwrap_err().code, ErrorCode::InvalidInput);
}

/// `create_nominal`, `likely_matches`, `list_duplicates`, `resolve_duplicate`: locked refuses,
/// admins are forbidden, field problems come back per field with nothing written, an officer
/// creates a provisional person.
#[test]
fn creating_a_person_follows_the_session_rules() {
    use bluelamp_protocol::nominal::{
        CreateNominalOutcome, CreateNominalRequest, DuplicateDecision, LikelyMatchesRequest, NewNominal,
        ResolveDuplicateRequest,
    };
    let dir = tempfile::tempdir().unwrap();
    let state = app(dir.path(), 900);
    let person = NewNominal { given_name: "Zebedee".into(), surname: "Quartermaine".into(), ..Default::default() };
    let req = CreateNominalRequest { nominal: person.clone() };
    assert_eq!(state.create_nominal(&req).unwrap_err().code, ErrorCode::Locked);
    assert_eq!(state.list_duplicates().unwrap_err().code, ErrorCode::Locked);

    unlock(&state, "demo-admin", DEMO_PASSPHRASE).unwrap();
    assert_eq!(state.create_nominal(&req).unwrap_err().code, ErrorCode::Forbidden);
    assert_eq!(state.list_duplicates().unwrap_err().code, ErrorCode::Forbidden);
    state.lock();

    unlock(&state, "demo-officer", DEMO_PASSPHRASE).unwrap();
    let bad = CreateNominalRequest { nominal: NewNominal { surname: "Sm1th".into(), ..Default::default() } };
    match state.create_nominal(&bad).unwrap() {
        CreateNominalOutcome::Rejected { issues } => {
            assert_eq!(issues.iter().map(|i| i.field.as_str()).collect::<Vec<_>>(), ["given_name", "surname"])
        }
        other => panic!("{other:?}"),
    }
    assert!(state.likely_matches(&LikelyMatchesRequest { nominal: person }).unwrap().is_empty());
    let hit = match state.create_nominal(&req).unwrap() {
        CreateNominalOutcome::Created { nominal } => nominal,
        other => panic!("{other:?}"),
    };
    assert!(hit.provisional);
    let found = state.search(&SearchRequest::free_text("zebedee quartermaine")).unwrap();
    assert!(found.iter().any(|h| h.id == hit.id && h.provisional));
    assert!(state.list_duplicates().unwrap().is_empty());
    let unknown = ResolveDuplicateRequest { id: "nope".into(), decision: DuplicateDecision::New };
    assert_eq!(state.resolve_duplicate(&unknown).unwrap_err().code, ErrorCode::InvalidInput);
}

/// An enrolment creates the store before the service answers. A second unlock in that time (a
/// double click) used to find the store there, skip the sign-in and open it on a passphrase the
/// service never confirmed. It now waits, and fails as the first one does.
#[test]
fn an_unlock_during_an_enrolment_never_opens_the_unconfirmed_store() {
    use bluelamp_protocol::session::UnlockRequest;
    // A "service" that takes connections and answers nothing, hanging up after 5 s.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs(5));
                drop(conn);
            });
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let config = force_config(&dir, url);
    let state = tauri::async_runtime::block_on(AppState::start(config.clone(), Instant::now(), None)).unwrap();
    let req = UnlockRequest { officer_id: "PC7777".into(), passphrase: "a guess".into() };
    let (first, second) = tauri::async_runtime::block_on(async {
        tokio::join!(state.unlock_signing_in(&req), async {
            // Once the first has created the store and is waiting for the service.
            let start = Instant::now();
            while !config.officer_db("PC7777").exists() {
                assert!(start.elapsed() < Duration::from_secs(4), "the first unlock never created the store");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            state.unlock_signing_in(&req).await
        })
    });
    assert!(first.is_err(), "enrolled without the service");
    assert!(second.is_err(), "the second unlock opened a store the service never confirmed: {second:?}");
    assert!(state.status(&StatusRequest::default()).unwrap().session.is_none());
    assert!(!config.officer_db("PC7777").exists(), "the unconfirmed store is left on disk");
}

/// The central service's orders reach the open app at its next sync. A lock order locks the
/// session, says why, and holds even with the plain `.attempts` file deleted (the order is kept
/// inside the encrypted store); an online sign-in lifts it. A wipe order first sends what the
/// device still holds (a person created here reaches the service), then erases the store.
#[test]
fn lock_and_wipe_orders_reach_the_open_app() {
    use bluelamp_protocol::nominal::{CreateNominalRequest, NewNominal};
    use bluelamp_protocol::status::LockReason;
    use bluelamp_protocol::wire::Instruction;
    let dir = tempfile::tempdir().unwrap();
    let (central, running, config, state) = with_central(&dir, "PC77", "officer");
    let req = UnlockRequest { officer_id: "PC77".into(), passphrase: "correct horse battery".into() };
    let online = || tauri::async_runtime::block_on(state.sign_in_online_if_needed(&req));
    online().unwrap();
    state.unlock(&req).unwrap();
    let db = config.officer_db("PC77");
    let client = central.clients().unwrap().into_iter().next().expect("the device signed in").client_id;
    // Syncs until the session is locked for `why` (the worker may be mid-round when asked).
    let locked_for = |why: LockReason| {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let st = state.status(&StatusRequest::default()).unwrap();
            if st.session.is_none() && st.locked_because == Some(why) {
                break;
            }
            assert!(Instant::now() < deadline, "not locked for {why:?}: {st:?}");
            let _ = state.sync_now();
            std::thread::sleep(Duration::from_millis(200));
        }
    };

    central.instruct(&client, Instruction::Lock).unwrap();
    locked_for(LockReason::RemoteLock);
    let attempts = std::path::PathBuf::from(format!("{}.attempts", db.display()));
    let _ = std::fs::remove_file(&attempts);
    let err = state.unlock(&req).unwrap_err();
    assert_eq!(err.code, ErrorCode::Locked);
    assert!(err.message.contains("central service"), "{}", err.message);
    online().unwrap();
    state.unlock(&req).unwrap();

    // More writes than one push batch carries, written while the service is out of reach, so
    // that the order arrives with the first batch's answer and the rest are still here.
    let before = central.stats().unwrap().mutations_applied;
    let addr: std::net::SocketAddr = running.url().trim_start_matches("http://").parse().unwrap();
    tauri::async_runtime::block_on(running.stop());
    for i in 0..250 {
        let person = NewNominal {
            given_name: "Wiped".into(),
            surname: format!("Beforehand{}", char::from(b'a' + (i % 26) as u8)),
            date_of_birth: None,
            sex: None,
            aliases: Vec::new(),
            address: Some(format!("{i} High Street")),
            postcode: None,
        };
        state.create_nominal(&CreateNominalRequest { nominal: person }).unwrap();
    }
    central.instruct(&client, Instruction::Wipe).unwrap();
    let _running = tauri::async_runtime::block_on(bluelamp_central::spawn(central.clone(), addr)).unwrap();
    locked_for(LockReason::RemoteWipe);
    assert!(!db.exists(), "the store is erased");
    let sent = central.stats().unwrap().mutations_applied - before;
    assert!(sent >= 250, "everything the device held was sent first: {sent} of 250");
}

/// A store locked by its service's order is signed in again only by that service: the app set
/// to another one (a service the officer runs, holding their id with any role) lifted the lock
/// and took its role (review, 7 Dec 2026).
#[test]
fn only_the_enrolling_service_lifts_a_lock() {
    use bluelamp_protocol::session::UnlockRequest;
    use bluelamp_protocol::wire::Instruction;
    let dir = tempfile::tempdir().unwrap();
    let (central, _running, config, state) = with_central(&dir, "PC78", "officer");
    let req = UnlockRequest { officer_id: "PC78".into(), passphrase: "correct horse battery".into() };
    tauri::async_runtime::block_on(state.sign_in_online_if_needed(&req)).unwrap();
    state.unlock(&req).unwrap();
    let client = central.clients().unwrap().into_iter().next().unwrap().client_id;
    central.instruct(&client, Instruction::Lock).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while state.status(&StatusRequest::default()).unwrap().session.is_some() {
        assert!(Instant::now() < deadline, "the lock order never arrived");
        let _ = state.sync_now();
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(state);
    // Another service, holding the same officer as a supervisor.
    let other_dir = tempfile::tempdir().unwrap();
    let other =
        bluelamp_central::Central::open_with(&other_dir.path().join("c.db"), bluelamp_central::Config::for_tests())
            .unwrap();
    other.add_officer("PC78", "supervisor", "north", "correct horse battery").unwrap();
    let other_running =
        tauri::async_runtime::block_on(bluelamp_central::spawn(other.clone(), "127.0.0.1:0".parse().unwrap())).unwrap();
    let moved = Config { central_url: Some(other_running.url()), ..config.clone() };
    let state = tauri::async_runtime::block_on(AppState::start(moved, Instant::now(), None)).unwrap();
    let err = tauri::async_runtime::block_on(state.sign_in_online_if_needed(&req)).unwrap_err();
    assert!(err.message.contains("enrolled with the central service"), "{}", err.message);
    assert!(state.unlock(&req).is_err(), "still locked");
    drop(state);
    let state = tauri::async_runtime::block_on(AppState::start(config, Instant::now(), None)).unwrap();
    tauri::async_runtime::block_on(state.sign_in_online_if_needed(&req)).unwrap();
    state.unlock(&req).unwrap();
}

/// `AppState::finish_wipe`: a wipe order that came while writes were still unsent left the
/// store locked, holding them. The officer's next online sign-in sends what is pending (the
/// person created offline and the access log reach the service), then wipes: no store is left
/// to open, the app stays on the lock screen saying why, and nothing panics afterwards.
#[test]
fn a_sign_in_under_a_pending_wipe_order_sends_what_is_left_then_wipes() {
    use bluelamp_protocol::nominal::{CreateNominalRequest, NewNominal};
    use bluelamp_protocol::status::LockReason;
    use bluelamp_protocol::wire::Instruction;
    let dir = tempfile::tempdir().unwrap();
    let (central, running, config, state) = with_central(&dir, "PC79", "officer");
    let pass = "correct horse battery";
    let req = UnlockRequest { officer_id: "PC79".into(), passphrase: pass.into() };
    tauri::async_runtime::block_on(state.sign_in_online_if_needed(&req)).unwrap();
    state.unlock(&req).unwrap();
    let db = config.officer_db("PC79");
    let client = central.clients().unwrap().into_iter().next().expect("the device signed in").client_id;

    // A person created while the service is out of reach: a write not yet sent.
    let addr: std::net::SocketAddr = running.url().trim_start_matches("http://").parse().unwrap();
    tauri::async_runtime::block_on(running.stop());
    let person = NewNominal {
        given_name: "Unsent".into(),
        surname: "Beforewipe".into(),
        date_of_birth: None,
        sex: None,
        aliases: Vec::new(),
        address: None,
        postcode: None,
    };
    state.create_nominal(&CreateNominalRequest { nominal: person }).unwrap();
    state.lock();

    // The wipe order arrives (held in the store) while that write is unsent: the store is
    // locked, keeping it, as a round leaves it.
    central.instruct(&client, Instruction::Wipe).unwrap();
    let mut store = bluelamp_store::Store::open(&db, pass).unwrap();
    store.set_pending_instruction(Some(Instruction::Wipe)).unwrap();
    assert_eq!(store.sync_counts().unwrap().pending, 1);
    let carried = bluelamp_sync::carry_out_order(&db, store).unwrap();
    assert!(matches!(carried, Some(bluelamp_sync::Carried::LockedUntilWiped { pending: 1, .. })), "{carried:?}");
    let err = state.unlock(&req).unwrap_err();
    assert_eq!(err.code, ErrorCode::Locked, "{}", err.message);
    assert!(db.exists(), "kept until its writes are sent");

    // The service is back; the officer signs in online: finish_wipe sends, then wipes.
    let before = central.stats().unwrap();
    let _running = tauri::async_runtime::block_on(bluelamp_central::spawn(central.clone(), addr)).unwrap();
    let err = tauri::async_runtime::block_on(state.sign_in_online_if_needed(&req)).unwrap_err();
    assert_eq!(err.code, ErrorCode::Locked);
    assert_eq!(err.message, LockReason::RemoteWipe.message());
    let after = central.stats().unwrap();
    assert_eq!(after.mutations_applied, before.mutations_applied + 1, "the unsent person reached the service first");
    assert!(after.audit_entries > before.audit_entries, "and the access log");

    // No readable store is left: the database, its wrapped key and its journal are gone.
    let name = db.file_name().unwrap().to_string_lossy().into_owned();
    let left: Vec<String> = std::fs::read_dir(db.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| f.starts_with(&name) && !f.ends_with(".attempts"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(bluelamp_store::Store::open(&db, pass).is_err());

    // The app is back at the lock screen, saying why; what follows is refused, never a panic.
    let st = state.status(&StatusRequest::default()).unwrap();
    assert!(st.session.is_none());
    assert_eq!(st.locked_because, Some(LockReason::RemoteWipe));
    assert!(state.unlock(&req).is_err());
    assert!(state.search(&SearchRequest { name: Some("Beforewipe".into()), ..Default::default() }).is_err());
}
