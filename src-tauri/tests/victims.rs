//! Victims' Code commands through the same functions the Tauri commands call: the role and the
//! lock are checked in the backend, a refused decision is an answer with field-level messages,
//! and recorded decisions clear the gate's referral items.

use std::time::Instant;

use bluelamp_app::state::{AppState, DEMO_PASSPHRASE};
use bluelamp_app::Config;
use bluelamp_protocol::casework::{
    IncidentRequest, RecordReferralRequest, ReferralDecisionInput, ReferralOutcome, SetClosingCodeRequest,
};
use bluelamp_protocol::session::UnlockRequest;
use bluelamp_protocol::victims::{RecordReferralOutcome, SafeContact};
use bluelamp_protocol::ErrorCode;
use bluelamp_store::unlock::UnlockPolicy;

fn app(dir: &std::path::Path) -> AppState {
    let config = Config {
        data_dir: dir.to_path_buf(),
        central_url: Some("http://127.0.0.1:9".into()),
        demo: true,
        report_ready: false,
        idle_lock_secs: 900,
        unlock_policy: UnlockPolicy::default(),
        kdf: bluelamp_store::KdfParams::INSECURE_FAST,
    };
    tauri::async_runtime::block_on(AppState::start(config, Instant::now(), None)).unwrap()
}

fn unlock(state: &AppState, officer: &str) {
    state.unlock(&UnlockRequest { officer_id: officer.into(), passphrase: DEMO_PASSPHRASE.into() }).unwrap();
}

fn referral(victim: &str, incident: &str, dest: &str, safe: Option<SafeContact>) -> RecordReferralRequest {
    RecordReferralRequest {
        incident_id: incident.into(),
        victim_id: victim.into(),
        decision: ReferralDecisionInput {
            outcome: ReferralOutcome::Referred,
            destination: Some(dest.into()),
            consent_given: Some(true),
            in_their_words: None,
            reason: None,
            follow_up_due: None,
            services_offered: vec![],
            safe_contact: safe,
            needs: Default::default(),
        },
    }
}

fn block(number: &str) -> SafeContact {
    SafeContact {
        safe_number: Some(number.into()),
        safe_times: Some("after 6pm".into()),
        voicemail_safe: Some(false),
        text_safe: Some(false),
        letters_safe: Some(false),
        suspect_can_access_phone: Some(false),
        preferred_language: None,
    }
}

#[test]
fn showcase_da_incident_gets_idva_and_encompass_decisions_and_the_gate_clears() {
    let dir = tempfile::tempdir().unwrap();
    let state = app(dir.path());
    let req = |id: &str| IncidentRequest { incident_id: id.into() };
    assert_eq!(state.victims_assessment(&req("x")).unwrap_err().code, ErrorCode::Locked);
    unlock(&state, "demo-admin");
    assert_eq!(state.victims_awaiting().unwrap_err().code, ErrorCode::Forbidden);
    state.lock();
    unlock(&state, "demo-officer");

    let inc = state.list_incidents().unwrap().into_iter().find(|i| i.reference.ends_with("-000001")).unwrap();
    let panel = state.victims_assessment(&req(&inc.id)).unwrap();
    let adult = panel.assessment.victims.iter().find(|v| v.under_18 == Some(false)).unwrap().person_id.clone();
    let child = panel.assessment.victims.iter().find(|v| v.under_18 == Some(true)).unwrap().person_id.clone();
    let suspect = inc.links.iter().find(|l| l.role == "suspect").unwrap().nominal_id.clone();
    assert!(state.victims_awaiting().unwrap().iter().any(|r| r.incident_id == inc.id && r.row.person_id == adult));

    // No safe-contact block, then the suspect's own number: refused on the fields, not an error.
    for safe in [None, Some(block(&bluelamp_demo::demo_phone(&suspect)))] {
        match state.record_referral(&referral(&adult, &inc.id, "idva", safe)).unwrap() {
            RecordReferralOutcome::Rejected { errors, .. } => {
                assert!(errors.iter().any(|e| e.field.starts_with("safe_contact.")), "{errors:?}")
            }
            other => panic!("expected a rejection: {other:?}"),
        }
    }
    let ok = state.record_referral(&referral(&adult, &inc.id, "idva", Some(block("07700 900999")))).unwrap();
    assert!(matches!(ok, RecordReferralOutcome::Recorded { .. }), "{ok:?}");
    let dup = state.record_referral(&referral(&adult, &inc.id, "idva", Some(block("07700 900999")))).unwrap();
    assert!(matches!(&dup, RecordReferralOutcome::Rejected { errors, .. } if errors[0].field == "destination"));
    let ok = state.record_referral(&referral(&child, &inc.id, "operation_encompass", None)).unwrap();
    assert!(matches!(ok, RecordReferralOutcome::Recorded { .. }), "{ok:?}");

    let set = SetClosingCodeRequest { incident_id: inc.id.clone(), code: Some("DA".into()), ..Default::default() };
    let d = state.set_closing_code(&set).unwrap();
    let kinds: Vec<String> =
        d.gate.missing.iter().map(|m| serde_json::to_value(m.kind).unwrap().as_str().unwrap().to_string()).collect();
    assert!(!kinds.iter().any(|k| k == "victim_referral_decision"), "{kinds:?}");
    assert!(!state.victims_awaiting().unwrap().iter().any(|r| r.incident_id == inc.id));
}

/// `withdraw_referral`: locked and admin refused; a blank reason, an unknown decision and a
/// second withdrawal are errors with a message the panel shows (nothing written); a withdrawal
/// keeps the decision, withdrawn with its reason, and the same service can be referred again.
#[test]
fn a_referral_decision_is_withdrawn_through_the_command() {
    use bluelamp_protocol::casework::WithdrawReferralRequest;
    let dir = tempfile::tempdir().unwrap();
    let state = app(dir.path());
    let withdraw = |inc: &str, id: &str, reason: &str| WithdrawReferralRequest {
        incident_id: inc.into(),
        referral_id: id.into(),
        reason: reason.into(),
    };
    assert_eq!(state.withdraw_referral(&withdraw("x", "y", "z")).unwrap_err().code, ErrorCode::Locked);
    unlock(&state, "demo-admin");
    assert_eq!(state.withdraw_referral(&withdraw("x", "y", "z")).unwrap_err().code, ErrorCode::Forbidden);
    state.lock();
    unlock(&state, "demo-officer");
    let inc = state.list_incidents().unwrap().into_iter().find(|i| i.reference.ends_with("-000001")).unwrap();
    let panel = state.victims_assessment(&IncidentRequest { incident_id: inc.id.clone() }).unwrap();
    let adult = panel.assessment.victims.iter().find(|v| v.under_18 == Some(false)).unwrap().person_id.clone();
    let RecordReferralOutcome::Recorded { decision, .. } =
        state.record_referral(&referral(&adult, &inc.id, "idva", Some(block("07700 900999")))).unwrap()
    else {
        panic!("not recorded")
    };
    let blank = state.withdraw_referral(&withdraw(&inc.id, &decision.id, " ")).unwrap_err();
    assert_eq!(blank.code, ErrorCode::InvalidInput);
    assert!(blank.message.contains("reason"), "{}", blank.message);
    assert_eq!(state.withdraw_referral(&withdraw(&inc.id, "nope", "error")).unwrap_err().code, ErrorCode::NotFound);
    let w = state.withdraw_referral(&withdraw(&inc.id, &decision.id, "Typed for the wrong service")).unwrap();
    assert_eq!(w.status, "withdrawn");
    assert_eq!(w.withdrawal.map(|w| w.reason).as_deref(), Some("Typed for the wrong service"));
    let again = state.withdraw_referral(&withdraw(&inc.id, &decision.id, "again")).unwrap_err();
    assert_eq!(again.code, ErrorCode::Rejected);
    assert!(again.message.contains("already withdrawn"), "{}", again.message);
    let ok = state.record_referral(&referral(&adult, &inc.id, "idva", Some(block("07700 900999")))).unwrap();
    assert!(matches!(ok, RecordReferralOutcome::Recorded { .. }), "{ok:?}");
}

/// `record_under18_answer`: locked and admin refused; a victim with a date of birth and a
/// suspect are refused with a message the panel shows; a victim whose date of birth is not
/// recorded is answered for, and the assessment then has them under 18, the question gone.
#[test]
fn the_under_18_question_is_answered_through_the_command() {
    use bluelamp_protocol::victims::{Under18Request, UNDER_18_QUESTION};
    let dir = tempfile::tempdir().unwrap();
    let state = app(dir.path());
    let answer =
        |inc: &str, who: &str| Under18Request { incident_id: inc.into(), nominal_id: who.into(), under_18: true };
    assert_eq!(state.record_under18_answer(&answer("x", "y")).unwrap_err().code, ErrorCode::Locked);
    unlock(&state, "demo-admin");
    assert_eq!(state.record_under18_answer(&answer("x", "y")).unwrap_err().code, ErrorCode::Forbidden);
    state.lock();
    unlock(&state, "demo-officer");
    let inc = state.list_incidents().unwrap().into_iter().find(|i| i.reference.ends_with("-000001")).unwrap();
    let req = IncidentRequest { incident_id: inc.id.clone() };
    let panel = state.victims_assessment(&req).unwrap();
    let adult = panel.assessment.victims.iter().find(|v| v.under_18 == Some(false)).unwrap().person_id.clone();
    let suspect = inc.links.iter().find(|l| l.role == "suspect").unwrap().nominal_id.clone();
    let dob = state.record_under18_answer(&answer(&inc.id, &adult)).unwrap_err();
    assert_eq!(dob.code, ErrorCode::Rejected);
    assert!(dob.message.contains("date of birth recorded"), "{}", dob.message);
    let not_victim = state.record_under18_answer(&answer(&inc.id, &suspect)).unwrap_err();
    assert_eq!(not_victim.code, ErrorCode::Rejected);
    assert!(not_victim.message.contains("not linked"), "{}", not_victim.message);
    assert_eq!(state.record_under18_answer(&answer("no-such", &adult)).unwrap_err().code, ErrorCode::NotFound);

    // The demo's people all have a date of birth: this one's is taken away (never recorded).
    state.lock();
    {
        let store =
            bluelamp_store::Store::open(&dir.path().join("officers").join("demo-officer.db"), DEMO_PASSPHRASE).unwrap();
        store.conn().execute("UPDATE nominals SET date_of_birth = NULL WHERE id = ?1", [&adult]).unwrap();
    }
    unlock(&state, "demo-officer");
    let victim = |p: &bluelamp_protocol::victims::VictimsPanel| {
        let v = p.assessment.victims.iter().find(|v| v.person_id == adult).unwrap();
        (v.under_18, v.undetermined.iter().any(|u| u.code == UNDER_18_QUESTION))
    };
    assert_eq!(victim(&state.victims_assessment(&req).unwrap()), (None, true));
    let a = state.record_under18_answer(&answer(&inc.id, &adult)).unwrap();
    assert_eq!((a.under_18, a.answered_by.as_str()), (true, "demo-officer"));
    assert_eq!(victim(&state.victims_assessment(&req).unwrap()), (Some(true), false));
}

/// Right 6 through the commands: locked and admin refused; an event on the showcase DA
/// incident makes the adult victim's update due (1 working day: enhanced rights); a date in the
/// future and telling the suspect are refused with a message the panel shows; recording that the
/// victim was told shows it as told.
#[test]
fn an_investigation_event_and_the_victim_told_through_the_commands() {
    use bluelamp_protocol::victims::{InvestigationEventRequest, VictimToldRequest};
    let dir = tempfile::tempdir().unwrap();
    let state = app(dir.path());
    let ev = |inc: &str, on: &str| InvestigationEventRequest {
        incident_id: inc.into(),
        kind: "arrested".into(),
        occurred_on: on.into(),
    };
    assert_eq!(state.record_investigation_event(&ev("x", "2026-01-01")).unwrap_err().code, ErrorCode::Locked);
    unlock(&state, "demo-admin");
    assert_eq!(state.record_investigation_event(&ev("x", "2026-01-01")).unwrap_err().code, ErrorCode::Forbidden);
    let told = |inc: &str, event: &str, who: &str| VictimToldRequest {
        incident_id: inc.into(),
        event_id: event.into(),
        nominal_id: who.into(),
        how: "phone".into(),
        told_on: None,
    };
    assert_eq!(state.record_victim_told(&told("x", "e", "y")).unwrap_err().code, ErrorCode::Forbidden);
    state.lock();
    unlock(&state, "demo-officer");
    let inc = state.list_incidents().unwrap().into_iter().find(|i| i.reference.ends_with("-000001")).unwrap();
    let req = IncidentRequest { incident_id: inc.id.clone() };
    let panel = state.victims_assessment(&req).unwrap();
    let adult = panel.assessment.victims.iter().find(|v| v.under_18 == Some(false)).unwrap().person_id.clone();
    let suspect = inc.links.iter().find(|l| l.role == "suspect").unwrap().nominal_id.clone();
    let today = bluelamp_store::victims::uk_time(bluelamp_store::casework::now_unix()).date();

    let future = state.record_investigation_event(&ev(&inc.id, &today.next_day().unwrap().to_string())).unwrap_err();
    assert_eq!(future.code, ErrorCode::Rejected);
    assert!(future.message.contains("future"), "{}", future.message);
    let e = state.record_investigation_event(&ev(&inc.id, &today.to_string())).unwrap();
    let panel = state.victims_assessment(&req).unwrap();
    let row = |p: &bluelamp_protocol::victims::VictimsPanel| {
        p.events[0].victims.iter().find(|v| v.person_id == adult).cloned().unwrap()
    };
    let owed = row(&panel);
    assert!(owed.told.is_none());
    assert_eq!(owed.countdown.as_ref().map(|c| c.working_days_left), Some(1), "{owed:?}");
    let not_victim = state.record_victim_told(&told(&inc.id, &e.id, &suspect)).unwrap_err();
    assert_eq!(not_victim.code, ErrorCode::Rejected);
    assert!(not_victim.message.contains("not a victim"), "{}", not_victim.message);
    let t = state.record_victim_told(&told(&inc.id, &e.id, &adult)).unwrap();
    assert_eq!(t.told_by, "demo-officer");
    let shown = row(&state.victims_assessment(&req).unwrap());
    assert_eq!((shown.told.map(|t| t.how), shown.countdown), (Some("phone".to_string()), None));
}

/// Right 6 through the commands: `record_update_preference` (refused when locked, to the
/// administrator, for a suspect and an unknown preference) makes an event the victim does not
/// want "not wanted" on the panel; `record_victim_told` with a `told_on` day in the future is
/// refused with the date box's message, and one given is kept.
#[test]
fn an_update_preference_and_a_told_on_day_through_the_commands() {
    use bluelamp_protocol::victims::{InvestigationEventRequest, UpdatePreferenceRequest, VictimToldRequest};
    let dir = tempfile::tempdir().unwrap();
    let state = app(dir.path());
    let pref = |inc: &str, who: &str, wants: &str| UpdatePreferenceRequest {
        incident_id: inc.into(),
        nominal_id: who.into(),
        wants: wants.into(),
    };
    assert_eq!(state.record_update_preference(&pref("x", "y", "none")).unwrap_err().code, ErrorCode::Locked);
    unlock(&state, "demo-admin");
    assert_eq!(state.record_update_preference(&pref("x", "y", "none")).unwrap_err().code, ErrorCode::Forbidden);
    state.lock();
    unlock(&state, "demo-officer");
    let inc = state.list_incidents().unwrap().into_iter().find(|i| i.reference.ends_with("-000001")).unwrap();
    let req = IncidentRequest { incident_id: inc.id.clone() };
    let panel = state.victims_assessment(&req).unwrap();
    let adult = panel.assessment.victims.iter().find(|v| v.under_18 == Some(false)).unwrap().person_id.clone();
    let suspect = inc.links.iter().find(|l| l.role == "suspect").unwrap().nominal_id.clone();
    let today = bluelamp_store::victims::uk_time(bluelamp_store::casework::now_unix()).date();
    let e = state
        .record_investigation_event(&InvestigationEventRequest {
            incident_id: inc.id.clone(),
            kind: "arrested".into(),
            occurred_on: today.to_string(),
        })
        .unwrap();
    for (who, wants, says) in [(&suspect, "none", "not a victim"), (&adult, "weekly", "not an update preference")] {
        let err = state.record_update_preference(&pref(&inc.id, who, wants)).unwrap_err();
        assert_eq!(err.code, ErrorCode::Rejected);
        assert!(err.message.contains(says), "{}", err.message);
    }
    let p = state.record_update_preference(&pref(&inc.id, &adult, "key_decisions_only")).unwrap();
    assert_eq!((p.recorded_by.as_str(), p.wants.as_str()), ("demo-officer", "key_decisions_only"));
    let panel = state.victims_assessment(&req).unwrap();
    let row = panel.events[0].victims.iter().find(|v| v.person_id == adult).cloned().unwrap();
    assert!(row.not_wanted && row.countdown.is_none(), "{row:?}");
    assert!(panel.update_preferences.iter().any(|x| x.id == p.id));

    let told = |on: &str| VictimToldRequest {
        incident_id: inc.id.clone(),
        event_id: e.id.clone(),
        nominal_id: adult.clone(),
        how: "letter".into(),
        told_on: Some(on.into()),
    };
    let future = state.record_victim_told(&told(&today.next_day().unwrap().to_string())).unwrap_err();
    assert_eq!(future.code, ErrorCode::Rejected);
    assert!(future.message.starts_with("Told on:") && future.message.contains("future"), "{}", future.message);
    let t = state.record_victim_told(&told(&today.to_string())).unwrap();
    assert_eq!(t.told_on.as_deref(), Some(today.to_string().as_str()));
}
