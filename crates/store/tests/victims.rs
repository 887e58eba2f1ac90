//! Victims' Code in the store (issue 6): the adapter to the rules engine, referral decisions
//! validated in full (DA safe-contact block, suspect's number), working-day follow-ups, the
//! awaiting list and the escalation into the supervisor queue.

use bluelamp_forms::{MissingKind, ProblemKind};
use bluelamp_protocol::casework::{Grade, ReferralDecisionInput, ReferralOutcome, SubmitOutcome};
use bluelamp_protocol::victims::VictimsPanel;
use bluelamp_protocol::wire::{Change, PullResponse, RecordType};
use bluelamp_protocol::{Source, SCHEMA_VERSION};
use bluelamp_store::casework::{catalog, now_unix, sample_answers, CaseworkError, NewIncident};
use bluelamp_store::victims::{uk_time, victims_config};
use bluelamp_store::{Actor, KdfParams, NominalRecord, Store};
use bluelamp_victims::{ConsentModel, DeadlineStatus, EnhancedGround, ReferralState, SafeContact};
use serde_json::{json, Value};

const DASH: &str = "dash-style-da-risk";

fn new_store(dir: &tempfile::TempDir) -> (Store, Actor) {
    let mut store = Store::create(&dir.path().join("s.db"), "pw", "PC1", KdfParams::INSECURE_FAST).unwrap();
    let actor = store.actor().unwrap();
    let person = |id: &str, given: &str, dob: &str| NominalRecord {
        id: id.into(),
        source: Source::Current,
        given_name: given.into(),
        surname: "Example".into(),
        date_of_birth: Some(dob.into()),
        sex: None,
        aliases: vec![],
        address: None,
        postcode: None,
    };
    store
        .upsert_nominals(&[
            person("V1", "Alex", "1990-05-01"),
            person("S1", "Sam", "1988-01-01"),
            person("C1", "Jo", "2016-09-30"),
        ])
        .unwrap();
    store.add_nominal_phones(&[("S1".into(), "07700 900123".into())]).unwrap();
    (store, actor)
}

fn count(store: &Store, sql: &str) -> i64 {
    store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn snapshot(store: &Store) -> [i64; 4] {
    [
        count(store, "SELECT count(*) FROM outbox"),
        count(store, "SELECT count(*) FROM audit"),
        count(store, "SELECT count(*) FROM tasks"),
        count(store, "SELECT count(*) FROM referrals"),
    ]
}

fn add(store: &mut Store, reference: &str, kind: &str, age_h: i64, links: &[(&str, &str)]) -> String {
    let t = now_unix() - age_h * 3600;
    let inc = NewIncident {
        id: None,
        reference: reference.into(),
        incident_type: kind.into(),
        offence_category: Some(kind.into()),
        place: None,
        postcode: None,
        team: Some("Ashford Public Protection".into()),
        occurred_at: t,
        recorded_at: t + 600,
        assigned_to: Some("PC1".into()),
        closing_code: None,
        links: links.iter().map(|(n, r)| (n.to_string(), r.to_string())).collect(),
    };
    assert_eq!(store.import_incidents(&[inc]).unwrap(), 1);
    store.list_incidents().unwrap().into_iter().find(|i| i.reference == reference).unwrap().id
}

fn da(store: &mut Store, reference: &str) -> String {
    add(store, reference, "domestic_abuse", 1, &[("V1", "victim"), ("S1", "suspect"), ("C1", "child")])
}

fn submit_high_risk(store: &mut Store, actor: &Actor, inc: &str) {
    let pack = catalog().unwrap().pack(DASH).unwrap();
    let answers = sample_answers(pack, &["V1".into(), "S1".into()], true);
    let id = store.start_form(actor, inc, DASH).unwrap();
    store.save_draft(actor, &id, &answers, None).unwrap();
    match store.submit_form(actor, &id, Some(Grade::High), Some("Strangulation; recent separation")).unwrap() {
        SubmitOutcome::Submitted(_) => {}
        SubmitOutcome::Rejected { issues } => panic!("rejected: {issues:#?}"),
    }
}

/// Codes the incident DA and submits a High risk assessment and a safeguarding plan: what the
/// gate asks for besides the referral decisions and notifications.
fn code_da_with_forms(store: &mut Store, actor: &Actor, inc: &str) {
    store.set_closing_code(actor, inc, Some("DA")).unwrap();
    submit_high_risk(store, actor, inc);
    let plan = catalog().unwrap().pack("da-safeguarding-plan").unwrap();
    let plan_id = store.start_form(actor, inc, "da-safeguarding-plan").unwrap();
    store.save_draft(actor, &plan_id, &sample_answers(plan, &["V1".into(), "S1".into()], false), None).unwrap();
    assert!(matches!(store.submit_form(actor, &plan_id, None, None).unwrap(), SubmitOutcome::Submitted(_)));
}

fn safe_block(number: &str) -> SafeContact {
    SafeContact {
        safe_number: Some(number.into()),
        safe_times: Some("weekdays 10:00-14:00".into()),
        voicemail_safe: Some(false),
        text_safe: Some(true),
        letters_safe: Some(false),
        suspect_can_access_phone: Some(false),
        preferred_language: Some("English".into()),
    }
}

fn decision(outcome: ReferralOutcome) -> ReferralDecisionInput {
    ReferralDecisionInput {
        outcome,
        destination: None,
        consent_given: None,
        in_their_words: None,
        reason: None,
        follow_up_due: None,
        services_offered: vec![],
        safe_contact: None,
        needs: Default::default(),
    }
}

fn idva(block: Option<SafeContact>) -> ReferralDecisionInput {
    ReferralDecisionInput {
        destination: Some("idva".into()),
        consent_given: Some(true),
        services_offered: vec!["national-da-helpline".into()],
        safe_contact: block,
        ..decision(ReferralOutcome::Referred)
    }
}

fn victim<'a>(p: &'a VictimsPanel, id: &str) -> &'a bluelamp_victims::VictimAssessment {
    p.assessment.victims.iter().find(|v| v.person_id == id).expect("victim assessed")
}

fn rejected_fields(r: Result<impl std::fmt::Debug, CaseworkError>) -> Vec<(String, String)> {
    match r {
        Err(CaseworkError::Rejected { errors, .. }) => errors.into_iter().map(|e| (e.field, e.message)).collect(),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn assessment_adapts_the_stored_incident_and_the_risk_grade() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-1");

    let p = store.victims_assessment(&inc, now_unix()).unwrap();
    assert_eq!(p.reference, "INC-1");
    assert!(p.assessment.domestic_abuse);
    let mut ids: Vec<&str> = p.assessment.victims.iter().map(|v| v.person_id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["C1", "V1"], "the suspect is not a victim; the child of a DA incident is");
    let v1 = victim(&p, "V1");
    assert!(v1.enhanced && v1.enhanced_reasons.iter().any(|r| r.ground == EnhancedGround::MostSeriousCrime));
    assert_eq!(v1.consent_model, ConsentModel::OptIn);
    assert_eq!(v1.name.as_deref(), Some("Alex Example"));
    // No risk assessment yet: IDVA depends on the grade.
    assert!(!v1.destinations.iter().any(|d| d.code == "idva"));
    assert!(v1.possible_destinations.iter().any(|d| d.code == "idva"));
    let sc = v1.safe_contact.as_ref().expect("DA: safe-contact block required");
    assert!(sc.missing.iter().any(|m| m == "safe_number"));
    let c1 = victim(&p, "C1");
    assert_eq!(c1.under_18, Some(true), "from the nominal's date of birth");
    assert!(c1.destinations.iter().any(|d| d.code == "operation_encompass"));
    assert_eq!(p.countdowns.len(), 2);
    assert!(p.countdowns.iter().all(|c| c.status == DeadlineStatus::Ok && c.working_days_left >= 1), "{p:?}");
    assert!(p.countdowns.iter().all(|c| c.label.starts_with("due in ")), "{:?}", p.countdowns);
    assert!(p.closing_prompts.iter().any(|pr| pr.code == "record_referral_decision"));
    assert!(!p.services.is_empty());

    // The submitted risk assessment's grade (high) makes IDVA and MARAC destinations.
    submit_high_risk(&mut store, &actor, &inc);
    let p = store.victims_assessment(&inc, now_unix()).unwrap();
    let v1 = victim(&p, "V1");
    for code in ["idva", "marac"] {
        assert!(v1.destinations.iter().any(|d| d.code == code), "{code}: {:?}", v1.destinations);
    }
}

#[test]
fn da_referral_needs_the_safe_contact_block_and_refuses_the_suspects_number() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-1");
    submit_high_risk(&mut store, &actor, &inc);
    let before = snapshot(&store);

    // No safe-contact block: refused, one message per missing field, nothing written.
    let fields = rejected_fields(store.record_referral_decision(&actor, &inc, "V1", &idva(None)));
    for f in ["safe_number", "safe_times", "voicemail_safe", "text_safe", "letters_safe", "suspect_can_access_phone"] {
        assert!(fields.iter().any(|(field, _)| field == &format!("safe_contact.{f}")), "{f}: {fields:?}");
    }
    assert_eq!(snapshot(&store), before);

    // The suspect's number, written differently: refused on the safe-number field.
    let fields =
        rejected_fields(store.record_referral_decision(&actor, &inc, "V1", &idva(Some(safe_block("+44 7700 900123")))));
    assert!(fields.iter().any(|(f, m)| f == "safe_contact.safe_number" && m.contains("suspect")), "{fields:?}");
    assert_eq!(snapshot(&store), before);

    // A safe number: recorded with the block and the services offered, in one transaction.
    let info = store.record_referral_decision(&actor, &inc, "V1", &idva(Some(safe_block("07700 900456")))).unwrap();
    assert_eq!(info.destination.as_deref(), Some("idva"));
    assert_eq!(info.details["safe_contact"]["safe_number"], json!("07700 900456"));
    assert_eq!(info.details["services_offered"], json!(["national-da-helpline"]));
    // Enhanced eligibility travels with the referral, with its grounds.
    assert_eq!(info.details["enhanced"]["eligible"], json!(true), "{}", info.details);
    assert!(info.details["enhanced"]["grounds"].as_array().is_some_and(|g| !g.is_empty()), "{}", info.details);
    let after = snapshot(&store);
    assert_eq!(after, [before[0] + 1, before[1] + 1, before[2], before[3] + 1]);
    let (name, payload): (String, String) = store
        .conn()
        .query_row("SELECT mutation, payload FROM outbox ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!(name, "referral.decision/1");
    let payload: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(payload["decision"]["details"]["safe_contact"]["safe_times"], json!("weekdays 10:00-14:00"));

    // The stored block is used by the assessment: nothing missing any more, state referred.
    let p = store.victims_assessment(&inc, now_unix()).unwrap();
    let v1 = victim(&p, "V1");
    assert_eq!(v1.referral_state, ReferralState::Referred);
    assert!(v1.safe_contact.as_ref().unwrap().missing.is_empty());

    // Referrals that do not phone the victim (MARAC, Operation Encompass) need no block.
    let marac = ReferralDecisionInput { destination: Some("marac".into()), safe_contact: None, ..idva(None) };
    store.record_referral_decision(&actor, &inc, "V1", &marac).unwrap();
    let oe = ReferralDecisionInput { destination: Some("operation_encompass".into()), ..marac.clone() };
    store.record_referral_decision(&actor, &inc, "C1", &oe).unwrap();
    assert!(store
        .get_incident(&inc)
        .unwrap()
        .gate
        .missing
        .iter()
        .all(|m| m.kind != MissingKind::VictimReferralDecision));
}

#[test]
fn opt_in_unknown_destination_and_declines_get_field_messages() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-1");
    let before = snapshot(&store);
    let no_consent = ReferralDecisionInput { consent_given: None, ..idva(Some(safe_block("07700 900456"))) };
    let fields = rejected_fields(store.record_referral_decision(&actor, &inc, "V1", &no_consent));
    assert!(fields.iter().any(|(f, _)| f == "consent_given"), "{fields:?}");
    let unknown =
        ReferralDecisionInput { destination: Some("nowhere".into()), ..idva(Some(safe_block("07700 900456"))) };
    let fields = rejected_fields(store.record_referral_decision(&actor, &inc, "V1", &unknown));
    assert!(fields.iter().any(|(f, _)| f == "destination"), "{fields:?}");
    let fields =
        rejected_fields(store.record_referral_decision(&actor, &inc, "V1", &decision(ReferralOutcome::Declined)));
    assert!(fields.iter().any(|(f, _)| f == "in_their_words"), "{fields:?}");
    assert_eq!(snapshot(&store), before);
    let declined = ReferralDecisionInput {
        in_their_words: Some("I have support from my sister".into()),
        ..decision(ReferralOutcome::Declined)
    };
    store.record_referral_decision(&actor, &inc, "V1", &declined).unwrap();
    let p = store.victims_assessment(&inc, now_unix()).unwrap();
    assert_eq!(victim(&p, "V1").referral_state, ReferralState::Declined);
}

#[test]
fn deferral_follow_up_is_counted_in_working_days_on_the_force_calendar() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-1");
    let deferred = ReferralDecisionInput {
        reason: Some("Suspect in the room; victim cannot talk".into()),
        ..decision(ReferralOutcome::Deferred)
    };
    // The decision reads the clock itself: read it on either side, so that a run across
    // midnight still knows which day the decision was made on.
    let before = uk_time(now_unix()).date();
    let info = store.record_referral_decision(&actor, &inc, "V1", &deferred).unwrap();
    let after = uk_time(now_unix()).date();
    let cfg = victims_config().unwrap();
    let due =
        |day| cfg.calendar.add_working_days(day, cfg.rules.deadlines.deferral_follow_up_working_days).unwrap().date;
    let expected =
        if info.details["follow_up_due"] == json!(due(after).to_string()) { due(after) } else { due(before) };
    assert_eq!(info.details["follow_up_due"], json!(expected.to_string()));
    let task = store.get_incident(&inc).unwrap().tasks.into_iter().find(|t| t.kind == "referral_follow_up").unwrap();
    assert_eq!(task.title, "Ask Alex Example again about a victim referral when it is safe");
    let due_at = task.due_at.unwrap();
    let due_uk = uk_time(bluelamp_store::casework::unix_of(&due_at).unwrap()).date();
    assert_eq!(due_uk, expected, "task due {due_at}");
    let p = store.victims_assessment(&inc, now_unix()).unwrap();
    assert_eq!(victim(&p, "V1").referral_state, ReferralState::Deferred);
    // A follow-up date before the decision is refused on its field.
    let bad = ReferralDecisionInput { follow_up_due: Some("2020-01-01".into()), ..deferred.clone() };
    let fields = rejected_fields(store.record_referral_decision(&actor, &inc, "C1", &bad));
    assert!(fields.iter().any(|(f, _)| f == "follow_up_due"), "{fields:?}");
    // Exactly a date: not read by its first ten characters (review, 7 Dec 2026), so a date with
    // anything after it is refused, nothing written; whitespace around it is fine.
    let outbox = |s: &Store| s.conn().query_row("SELECT count(*) FROM outbox", [], |r| r.get::<_, i64>(0)).unwrap();
    let before = outbox(&store);
    let soon = expected.next_day().unwrap();
    for bad in [format!("{soon}xyz"), format!("{soon}T99:99"), format!("{soon}T10:00:00Z"), "soon".into()] {
        let b = ReferralDecisionInput { follow_up_due: Some(bad.clone()), ..deferred.clone() };
        match store.record_referral_decision(&actor, &inc, "C1", &b) {
            Err(CaseworkError::Invalid(m)) => assert!(m.contains("not a date (YYYY-MM-DD)"), "{bad}: {m}"),
            other => panic!("{bad}: {other:?}"),
        }
        assert!(b.follow_up_date().unwrap_err().contains("not a date (YYYY-MM-DD)"), "{bad}");
    }
    assert_eq!(outbox(&store), before);
    let padded = ReferralDecisionInput { follow_up_due: Some(format!("  {soon}\n")), ..deferred };
    let check = store.check_referral_decision(&inc, "C1", &padded, now_unix()).unwrap();
    assert!(check.errors.is_empty(), "{:?}", check.errors);
}

#[test]
fn awaiting_list_and_supervisor_queue_escalate_by_working_days() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    // Recorded 10 days ago: breached whatever today is. Recorded an hour ago: 2 working days left.
    let old = add(&mut store, "INC-OLD", "assault", 240, &[("V1", "victim"), ("S1", "suspect")]);
    let fresh = add(&mut store, "INC-NEW", "assault", 1, &[("C1", "victim")]);
    let rows = store.victims_awaiting(now_unix()).unwrap();
    let keys: Vec<(&str, &str)> = rows.iter().map(|r| (r.reference.as_str(), r.row.person_id.as_str())).collect();
    assert_eq!(keys, [("INC-OLD", "V1"), ("INC-NEW", "C1")], "breached first");
    assert_eq!(rows[0].countdown.status, DeadlineStatus::Breached);
    assert!(rows[0].countdown.working_days_left < 0 && rows[0].countdown.label.starts_with("breached"));
    assert!(rows[1].countdown.working_days_left >= 1);

    let q = store.supervisor_queue(now_unix()).unwrap();
    let item = q.items.iter().find(|i| i.incident_id == old).expect("the breached referral is escalated");
    assert!(item.is_overdue());
    let p = &item.problems[0];
    assert_eq!((p.item, p.victim_id.as_deref()), (MissingKind::VictimReferralDecision, Some("V1")));
    assert!(p.label.contains("working day"), "{}", p.label);
    let due = bluelamp_time_of(&rows[0].countdown.due);
    assert_eq!(p.deadline, bluelamp_store::victims::end_of_uk_day(due));
    assert!(!q.items.iter().any(|i| i.incident_id == fresh), "2 working days left: not escalated yet");
    assert_eq!(q.team_counts["Ashford Public Protection"].overdue, 1);

    // A decision takes the victim off both lists.
    let declined =
        ReferralDecisionInput { in_their_words: Some("Not now, thanks".into()), ..decision(ReferralOutcome::Declined) };
    store.record_referral_decision(&actor, &old, "V1", &declined).unwrap();
    let rows = store.victims_awaiting(now_unix()).unwrap();
    assert!(rows.iter().all(|r| r.incident_id != old));
    assert!(!store.supervisor_queue(now_unix()).unwrap().items.iter().any(|i| i.incident_id == old));
}

fn bluelamp_time_of(date: &str) -> time::Date {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(date, &fmt).unwrap()
}

#[test]
fn demo_seed_has_a_da_showcase_with_an_adult_victim_a_child_and_a_suspects_phone() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("s.db"), "pw", "PC1", KdfParams::INSECURE_FAST).unwrap();
    let rows: Vec<NominalRecord> = bluelamp_demo::people(300, bluelamp_demo::DEMO_SEED)
        .into_iter()
        .map(|p| NominalRecord {
            id: p.id,
            source: Source::Current,
            given_name: p.given_name,
            surname: p.surname,
            date_of_birth: (!p.date_of_birth.is_empty()).then_some(p.date_of_birth),
            sex: None,
            aliases: vec![],
            address: None,
            postcode: None,
        })
        .collect();
    store.upsert_nominals(&rows).unwrap();
    store.seed_demo_incidents(12, bluelamp_demo::DEMO_SEED, now_unix()).unwrap();
    let showcase =
        store.list_incidents().unwrap().into_iter().find(|i| i.reference.ends_with("-000001")).expect("incident 1");
    assert_eq!(showcase.incident_type, "domestic_abuse");
    let p = store.victims_assessment(&showcase.id, now_unix()).unwrap();
    let adult = p.assessment.victims.iter().find(|v| v.under_18 == Some(false)).expect("an adult victim");
    assert!(adult.safe_contact.is_some());
    let child = p.assessment.victims.iter().find(|v| v.under_18 == Some(true)).expect("a child");
    assert!(child.destinations.iter().any(|d| d.code == "operation_encompass"));
    let suspect = showcase.links.iter().find(|l| l.role == "suspect").unwrap();
    let n: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM nominal_phones WHERE nominal_id = ?1", [&suspect.nominal_id], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn needs_answers_are_stored_with_the_decision_and_feed_enhanced_rights() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = add(&mut store, "INC-T", "theft", 1, &[("V1", "victim")]);
    let p = store.victims_assessment(&inc, now_unix()).unwrap();
    assert!(!victim(&p, "V1").enhanced, "an adult theft victim has standard rights");
    assert_eq!(p.needs_kinds.get("disability_or_disorder").map(String::as_str), Some("yes_no"));
    let mut needs = std::collections::BTreeMap::new();
    needs.insert("disability_or_disorder".to_string(), bluelamp_victims::Answer::YesNo(true));
    needs.insert("preferred_language".to_string(), bluelamp_victims::Answer::Text("Polish".into()));
    let referred = ReferralDecisionInput {
        destination: Some("general_victim_service".into()),
        consent_given: Some(true),
        needs,
        ..decision(ReferralOutcome::Referred)
    };
    let info = store.record_referral_decision(&actor, &inc, "V1", &referred).unwrap();
    assert_eq!(info.details["needs"]["preferred_language"], json!("Polish"));
    let p = store.victims_assessment(&inc, now_unix()).unwrap();
    let v = victim(&p, "V1");
    assert!(v.enhanced && v.enhanced_reasons.iter().any(|r| r.ground == EnhancedGround::Vulnerable), "{v:?}");
    assert!(v.needs_questions.iter().any(|q| q.id == "preferred_language" && q.answered));
}

#[test]
fn a_deferred_victim_stays_listed_after_finalising_until_a_final_decision() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-DEF");
    code_da_with_forms(&mut store, &actor, &inc);
    // The adult is not safe to ask (deferred); the child's school is notified (a final decision).
    let deferred = ReferralDecisionInput {
        reason: Some("Suspect in the room; victim cannot talk".into()),
        ..decision(ReferralOutcome::Deferred)
    };
    let info = store.record_referral_decision(&actor, &inc, "V1", &deferred).unwrap();
    let follow_up_due = info.details["follow_up_due"].as_str().unwrap().to_string();
    let oe = ReferralDecisionInput {
        destination: Some("operation_encompass".into()),
        consent_given: Some(true),
        ..decision(ReferralOutcome::Referred)
    };
    store.record_referral_decision(&actor, &inc, "C1", &oe).unwrap();
    // The notifications the rules require (they proceed without consent) hold the gate until
    // recorded: MARAC for the high-risk adult, children's services for the child.
    let d = store.get_incident(&inc).unwrap();
    let kinds: Vec<_> = d.gate.missing.iter().map(|m| (m.kind, m.victim_id.clone().unwrap_or_default())).collect();
    assert_eq!(kinds, [(MissingKind::Notification, "C1".into()), (MissingKind::Notification, "V1".into())]);
    for (who, dest) in [("V1", "marac"), ("C1", "childrens_services")] {
        let n = ReferralDecisionInput { destination: Some(dest.into()), ..oe.clone() };
        store.record_referral_decision(&actor, &inc, who, &n).unwrap();
    }
    let d = store.get_incident(&inc).unwrap();
    assert!(d.gate.can_finalise, "a deferral is a decision for the gate: {:?}", d.gate.missing);
    store.finalise_incident(&actor, &inc).unwrap();

    // Still awaiting: the deferred adult, with the follow-up countdown; not the notified child.
    let rows = store.victims_awaiting(now_unix()).unwrap();
    let mine: Vec<_> = rows.iter().filter(|r| r.incident_id == inc).collect();
    assert_eq!(mine.len(), 1, "the deferred victim of a finalised incident is still awaiting: {rows:?}");
    assert_eq!((mine[0].row.person_id.as_str(), mine[0].row.state), ("V1", ReferralState::Deferred));
    assert_eq!(mine[0].countdown.due, follow_up_due);

    // On the supervisor queue once the follow-up is breached, with its working-day deadline.
    let later = now_unix() + 10 * 86_400;
    let referral_problems = |store: &Store| -> Vec<(Option<String>, i64, String)> {
        let q = store.supervisor_queue(later).unwrap();
        q.items
            .iter()
            .filter(|i| i.incident_id == inc)
            .flat_map(|i| i.problems.iter())
            .filter(|p| p.item == MissingKind::VictimReferralDecision)
            .map(|p| (p.victim_id.clone(), p.deadline, p.label.clone()))
            .collect()
    };
    let problems = referral_problems(&store);
    assert_eq!(problems.len(), 1, "{problems:?}");
    let (victim_id, deadline, label) = &problems[0];
    assert_eq!(victim_id.as_deref(), Some("V1"));
    assert_eq!(*deadline, bluelamp_store::victims::end_of_uk_day(bluelamp_time_of(&follow_up_due)));
    assert!(label.contains("deferred") && label.contains("breached"), "{label}");
    let item = store.supervisor_queue(later).unwrap().items.into_iter().find(|i| i.incident_id == inc).unwrap();
    assert!(item.closed && item.is_overdue());

    // A final decision (declined, in the victim's words) takes the finalised incident off both.
    let declined = ReferralDecisionInput {
        in_their_words: Some("I have support from my sister".into()),
        ..decision(ReferralOutcome::Declined)
    };
    store.record_referral_decision(&actor, &inc, "V1", &declined).unwrap();
    assert!(store.victims_awaiting(now_unix()).unwrap().iter().all(|r| r.incident_id != inc));
    assert!(store.victims_awaiting(later).unwrap().iter().all(|r| r.incident_id != inc));
    assert_eq!(referral_problems(&store), []);
}

/// A MARAC notification (sent without asking the victim) does not hide a deferral: the victim
/// not safe to ask stays on the awaiting list and, once the follow-up is breached, on the
/// supervisor queue, whether the notification came before or after; a referral the victim
/// agreed to afterwards settles it.
#[test]
fn a_marac_notification_does_not_hide_a_deferral() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-MARAC");
    store.set_closing_code(&actor, &inc, Some("DA")).unwrap();
    submit_high_risk(&mut store, &actor, &inc);
    let marac = ReferralDecisionInput { destination: Some("marac".into()), ..decision(ReferralOutcome::Referred) };
    store.record_referral_decision(&actor, &inc, "V1", &marac).unwrap();
    let deferred =
        ReferralDecisionInput { reason: Some("Suspect in the room".into()), ..decision(ReferralOutcome::Deferred) };
    store.record_referral_decision(&actor, &inc, "V1", &deferred).unwrap();

    let p = store.victims_assessment(&inc, now_unix()).unwrap();
    let v = victim(&p, "V1");
    assert_eq!(v.referral_state, ReferralState::Deferred, "{v:?}");
    assert!(v.follow_up.is_some());
    let awaiting = |store: &Store, at: i64| -> Vec<(String, ReferralState)> {
        store
            .victims_awaiting(at)
            .unwrap()
            .into_iter()
            .filter(|r| r.incident_id == inc)
            .map(|r| (r.row.person_id, r.row.state))
            .collect()
    };
    assert!(awaiting(&store, now_unix()).contains(&("V1".to_string(), ReferralState::Deferred)));
    let later = now_unix() + 10 * 86_400;
    let on_queue = |store: &Store| {
        store.supervisor_queue(later).unwrap().items.iter().filter(|i| i.incident_id == inc).any(|i| {
            i.problems.iter().any(|p| {
                p.item == MissingKind::VictimReferralDecision
                    && p.victim_id.as_deref() == Some("V1")
                    && p.label.contains("deferred")
            })
        })
    };
    assert!(on_queue(&store), "{:?}", store.supervisor_queue(later).unwrap());

    // The victim, asked later, agrees to an IDVA: settled.
    store.record_referral_decision(&actor, &inc, "V1", &idva(Some(safe_block("07700 900999")))).unwrap();
    assert_eq!(
        victim(&store.victims_assessment(&inc, now_unix()).unwrap(), "V1").referral_state,
        ReferralState::Referred
    );
    assert!(!awaiting(&store, now_unix()).iter().any(|(id, _)| id == "V1"));
    assert!(!on_queue(&store));
}

/// A MARAC referral is made without asking the victim: it does not answer the Victims' Code
/// referral question (Right 4), so the gate still asks for her decision until she is offered
/// support (here she declines). The child present, offered no support service by the rules,
/// is settled by the Operation Encompass notification.
#[test]
fn a_marac_notification_is_not_the_victims_referral_decision() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-1");
    submit_high_risk(&mut store, &actor, &inc);
    store.set_closing_code(&actor, &inc, Some("DA")).unwrap();
    let marac = ReferralDecisionInput { destination: Some("marac".into()), safe_contact: None, ..idva(None) };
    store.record_referral_decision(&actor, &inc, "V1", &marac).unwrap();
    let oe = ReferralDecisionInput { destination: Some("operation_encompass".into()), ..marac.clone() };
    store.record_referral_decision(&actor, &inc, "C1", &oe).unwrap();
    let waiting = |store: &Store| -> Vec<String> {
        store
            .get_incident(&inc)
            .unwrap()
            .gate
            .missing
            .iter()
            .filter(|m| m.kind == MissingKind::VictimReferralDecision)
            .map(|m| m.label.clone())
            .collect()
    };
    let missing = waiting(&store);
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(missing[0].contains("Alex"), "{missing:?}");
    let p = store.victims_assessment(&inc, now_unix()).unwrap();
    assert_eq!(victim(&p, "V1").referral_state, ReferralState::AwaitingDecision);
    assert_eq!(victim(&p, "C1").referral_state, ReferralState::Referred);
    assert!(store.victims_awaiting(now_unix()).unwrap().iter().any(|r| r.row.person_id == "V1"));

    let declined = ReferralDecisionInput {
        in_their_words: Some("I don't want anyone calling me.".into()),
        ..decision(ReferralOutcome::Declined)
    };
    store.record_referral_decision(&actor, &inc, "V1", &declined).unwrap();
    assert!(waiting(&store).is_empty());
}

/// A parent or guardian acts for the child victim: they are on the awaiting list and a decision
/// can be recorded for them (it used to be refused, leaving them awaiting for ever). A parent who
/// is also the suspect never acts for the child: not a victim, not offered services for the
/// child, and the officer is warned.
#[test]
fn a_parent_acts_for_the_child_unless_they_are_the_suspect() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    store
        .upsert_nominals(&[NominalRecord {
            id: "G1".into(),
            source: Source::Current,
            given_name: "Pat".into(),
            surname: "Example".into(),
            date_of_birth: Some("1970-02-02".into()),
            sex: None,
            aliases: vec![],
            address: None,
            postcode: None,
        }])
        .unwrap();
    let inc = add(
        &mut store,
        "INC-1",
        "domestic_abuse",
        1,
        &[
            ("V1", "victim"),
            ("S1", "suspect"),
            ("S1", "parent_or_guardian"),
            ("C1", "child"),
            ("G1", "parent_or_guardian"),
        ],
    );
    let p = store.victims_assessment(&inc, now_unix()).unwrap();
    let ids: Vec<&str> = p.assessment.victims.iter().map(|v| v.person_id.as_str()).collect();
    assert!(!ids.contains(&"S1"), "the suspect acts for the child: {ids:?}");
    assert!(ids.contains(&"G1"), "{ids:?}");
    assert!(p.assessment.warnings.iter().any(|w| w.code == "suspect_acts_for_victim"), "{:?}", p.assessment.warnings);
    let awaiting = |store: &Store| -> Vec<String> {
        store.victims_awaiting(now_unix()).unwrap().into_iter().map(|r| r.row.person_id).collect()
    };
    assert!(awaiting(&store).contains(&"G1".to_string()));

    let declined = ReferralDecisionInput {
        in_their_words: Some("We have support already.".into()),
        ..decision(ReferralOutcome::Declined)
    };
    store.record_referral_decision(&actor, &inc, "G1", &declined).unwrap();
    assert!(!awaiting(&store).contains(&"G1".to_string()));
    // The suspect still cannot have a decision recorded as a victim.
    assert!(store.record_referral_decision(&actor, &inc, "S1", &declined).is_err());
}

/// The tasks a high-risk assessment creates are carried out by the referrals: recording the
/// MARAC referral closes "Refer to MARAC", the IDVA referral the IDVA task, the children's
/// services referral the Concern-for-a-Child task. They used to stay open for ever.
#[test]
fn recorded_referrals_close_the_tasks_they_carry_out() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-1");
    submit_high_risk(&mut store, &actor, &inc);
    let open = |store: &Store| -> Vec<String> {
        let mut v: Vec<String> = store
            .get_incident(&inc)
            .unwrap()
            .tasks
            .into_iter()
            .filter(|t| t.status == "open" && t.kind != "supervisor_review")
            .map(|t| t.kind)
            .collect();
        v.sort();
        v
    };
    assert_eq!(open(&store), ["concern_for_child", "idva_referral", "marac_referral"]);
    let marac = ReferralDecisionInput { destination: Some("marac".into()), safe_contact: None, ..idva(None) };
    store.record_referral_decision(&actor, &inc, "V1", &marac).unwrap();
    assert_eq!(open(&store), ["concern_for_child", "idva_referral"]);
    store.record_referral_decision(&actor, &inc, "V1", &idva(Some(safe_block("07700 900456")))).unwrap();
    assert_eq!(open(&store), ["concern_for_child"]);
    // The Concern-for-a-Child task asks for the referral and the care plan: the referral alone
    // leaves it open.
    let cs = ReferralDecisionInput { destination: Some("childrens_services".into()), ..marac.clone() };
    store.record_referral_decision(&actor, &inc, "C1", &cs).unwrap();
    assert_eq!(open(&store), ["concern_for_child"]);
}

/// Withdrawing a referral undoes the task it carried out: "Refer to MARAC" opens again (it
/// stayed done while the gate asked for the referral again), unless another active MARAC
/// referral of the incident still carries it out; a fresh referral closes it again.
#[test]
fn a_withdrawn_referral_reopens_the_task_it_had_carried_out() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-1");
    submit_high_risk(&mut store, &actor, &inc);
    let open = |store: &Store, kind: &str| {
        store.get_incident(&inc).unwrap().tasks.iter().any(|t| t.kind == kind && t.status == "open")
    };
    let marac = ReferralDecisionInput { destination: Some("marac".into()), safe_contact: None, ..idva(None) };
    let first = store.record_referral_decision(&actor, &inc, "V1", &marac).unwrap();
    let second = store.record_referral_decision(&actor, &inc, "C1", &marac).unwrap();
    let idva_made =
        store.record_referral_decision(&actor, &inc, "V1", &idva(Some(safe_block("07700 900456")))).unwrap();
    assert!(!open(&store, "marac_referral") && !open(&store, "idva_referral"));
    // The child's MARAC referral still carries the task out.
    store.withdraw_referral_decision(&actor, &inc, &first.id, "Recorded against the wrong person").unwrap();
    assert!(!open(&store, "marac_referral"));
    store.withdraw_referral_decision(&actor, &inc, &second.id, "Recorded by mistake").unwrap();
    assert!(open(&store, "marac_referral"), "no MARAC referral is left: the task is open again");
    assert!(!open(&store, "idva_referral"), "the IDVA referral stands");
    store.withdraw_referral_decision(&actor, &inc, &idva_made.id, "The victim withdrew consent").unwrap();
    assert!(open(&store, "idva_referral"));
    store.record_referral_decision(&actor, &inc, "V1", &marac).unwrap();
    assert!(!open(&store, "marac_referral"));
}

/// The care plan and the children's services referral together carry out the
/// Concern-for-a-Child task, in either order.
#[test]
fn a_care_plan_and_a_childrens_services_referral_close_the_concern_for_a_child_task() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-1");
    submit_high_risk(&mut store, &actor, &inc);
    let cfac_open = |store: &Store| {
        store.get_incident(&inc).unwrap().tasks.iter().any(|t| t.kind == "concern_for_child" && t.status == "open")
    };
    assert!(cfac_open(&store));
    let pack = catalog().unwrap().pack("concern-for-child-care-plan").unwrap();
    let id = store.start_form(&actor, &inc, "concern-for-child-care-plan").unwrap();
    store.save_draft(&actor, &id, &sample_answers(pack, &["C1".into(), "V1".into()], false), None).unwrap();
    assert!(matches!(store.submit_form(&actor, &id, None, None).unwrap(), SubmitOutcome::Submitted(_)));
    assert!(cfac_open(&store), "the care plan alone");
    let cs = ReferralDecisionInput {
        destination: Some("childrens_services".into()),
        consent_given: Some(true),
        ..decision(ReferralOutcome::Referred)
    };
    store.record_referral_decision(&actor, &inc, "C1", &cs).unwrap();
    assert!(!cfac_open(&store));
}

/// A deferral's "ask again" task closes when the victim is asked again: a decline or a referral
/// to a support service settles it, a new deferral replaces it, and a notification made without
/// asking them (MARAC) does not. Another victim's task is left alone.
#[test]
fn asking_again_settles_the_victims_follow_up_task() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-1");
    // The open "ask again" tasks: (id, title).
    let open = |store: &Store| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = store
            .get_incident(&inc)
            .unwrap()
            .tasks
            .into_iter()
            .filter(|t| t.kind == "referral_follow_up" && t.status == "open")
            .map(|t| (t.id, t.title))
            .collect();
        v.sort();
        v
    };
    let deferred =
        ReferralDecisionInput { reason: Some("Suspect in the room".into()), ..decision(ReferralOutcome::Deferred) };
    let first = store.record_referral_decision(&actor, &inc, "V1", &deferred).unwrap();
    store.record_referral_decision(&actor, &inc, "C1", &deferred).unwrap();
    assert_eq!(open(&store).len(), 2);
    let marac = ReferralDecisionInput { destination: Some("marac".into()), safe_contact: None, ..idva(None) };
    store.record_referral_decision(&actor, &inc, "V1", &marac).unwrap();
    assert_eq!(open(&store).len(), 2, "a MARAC notification is not asking her again");
    // Deferred again: the newer task replaces the older one.
    let second = store.record_referral_decision(&actor, &inc, "V1", &deferred).unwrap();
    assert_ne!(first.id, second.id);
    assert_eq!(open(&store).len(), 2);
    let ids: Vec<String> = open(&store).into_iter().map(|(id, _)| id).collect();
    assert!(ids.contains(&format!("follow-up-{}", second.id)) && !ids.contains(&format!("follow-up-{}", first.id)));
    let declined = ReferralDecisionInput {
        in_their_words: Some("I have support from my sister".into()),
        ..decision(ReferralOutcome::Declined)
    };
    store.record_referral_decision(&actor, &inc, "V1", &declined).unwrap();
    let left = open(&store);
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(!left[0].1.contains("Alex"), "the child's task stays: {left:?}");
}

/// A MARAC referral recorded before an amended High assessment is submitted carries out the
/// MARAC task that submission raises again: it is closed at once, as on a device that pulls
/// the amendment.
#[test]
fn a_referral_already_recorded_closes_the_task_a_later_submission_raises() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-1");
    submit_high_risk(&mut store, &actor, &inc);
    let marac = ReferralDecisionInput { destination: Some("marac".into()), safe_contact: None, ..idva(None) };
    store.record_referral_decision(&actor, &inc, "V1", &marac).unwrap();
    let open_marac = |store: &Store| {
        store
            .get_incident(&inc)
            .unwrap()
            .tasks
            .iter()
            .filter(|t| t.kind == "marac_referral" && t.status == "open")
            .count()
    };
    assert_eq!(open_marac(&store), 0);
    let ra = store.get_incident(&inc).unwrap().forms.into_iter().find(|f| f.pack_id == DASH).unwrap().id;
    let am = store.amend_form(&actor, &ra).unwrap();
    match store.submit_form(&actor, &am, Some(Grade::High), Some("Still high")).unwrap() {
        SubmitOutcome::Submitted(s) => assert!(s.tasks.iter().any(|t| t.kind == "marac_referral"), "{:?}", s.tasks),
        SubmitOutcome::Rejected { issues } => panic!("rejected: {issues:#?}"),
    }
    assert_eq!(open_marac(&store), 0);
}

/// A child linked both as a child present and as a victim in their own right is a direct victim:
/// the school and children's services notifications do not settle their referral decision (a
/// consent-based referral, a decline or a deferral is needed). Before, the gate read them
/// through their "child" link only, and the incident closed without it.
#[test]
fn a_child_who_is_also_a_victim_needs_a_referral_decision_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = add(
        &mut store,
        "INC-CHILD-VICTIM",
        "domestic_abuse",
        1,
        &[("V1", "victim"), ("S1", "suspect"), ("C1", "child"), ("C1", "victim")],
    );
    code_da_with_forms(&mut store, &actor, &inc);
    let deferred = ReferralDecisionInput {
        reason: Some("Suspect in the room; victim cannot talk".into()),
        ..decision(ReferralOutcome::Deferred)
    };
    store.record_referral_decision(&actor, &inc, "V1", &deferred).unwrap();
    let notify = |dest: &str| ReferralDecisionInput {
        destination: Some(dest.into()),
        consent_given: Some(true),
        ..decision(ReferralOutcome::Referred)
    };
    store.record_referral_decision(&actor, &inc, "V1", &notify("marac")).unwrap();
    for dest in ["operation_encompass", "childrens_services", "marac"] {
        store.record_referral_decision(&actor, &inc, "C1", &notify(dest)).unwrap();
    }
    let d = store.get_incident(&inc).unwrap();
    assert!(!d.gate.can_finalise, "closed with no decision for a child victim");
    assert!(
        d.gate
            .missing
            .iter()
            .any(|m| m.kind == MissingKind::VictimReferralDecision && m.victim_id.as_deref() == Some("C1")),
        "{:?}",
        d.gate.missing
    );
    assert!(store.finalise_incident(&actor, &inc).is_err());
    // Asking the child's family again later is a decision: then it closes.
    store.record_referral_decision(&actor, &inc, "C1", &deferred).unwrap();
    assert!(store.get_incident(&inc).unwrap().gate.can_finalise);
}

/// A child present at domestic abuse whose date of birth is not recorded is still a child: the
/// school and children's services notifications hold the gate as for any child (before, with no
/// date of birth they were only "possible", and a deferral alone let the incident close).
#[test]
fn a_child_with_no_date_of_birth_still_needs_the_child_notifications() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    store
        .upsert_nominals(&[NominalRecord {
            id: "C2".into(),
            source: Source::Current,
            given_name: "Sky".into(),
            surname: "Example".into(),
            date_of_birth: None,
            sex: None,
            aliases: vec![],
            address: None,
            postcode: None,
        }])
        .unwrap();
    let inc =
        add(&mut store, "INC-NO-DOB", "domestic_abuse", 1, &[("V1", "victim"), ("S1", "suspect"), ("C2", "child")]);
    code_da_with_forms(&mut store, &actor, &inc);
    let deferred = ReferralDecisionInput {
        reason: Some("Suspect in the room; victim cannot talk".into()),
        ..decision(ReferralOutcome::Deferred)
    };
    for who in ["V1", "C2"] {
        store.record_referral_decision(&actor, &inc, who, &deferred).unwrap();
    }
    let marac = ReferralDecisionInput {
        destination: Some("marac".into()),
        consent_given: Some(true),
        ..decision(ReferralOutcome::Referred)
    };
    store.record_referral_decision(&actor, &inc, "V1", &marac).unwrap();
    let d = store.get_incident(&inc).unwrap();
    let due: Vec<_> = d
        .gate
        .missing
        .iter()
        .filter(|m| m.kind == MissingKind::Notification && m.victim_id.as_deref() == Some("C2"))
        .map(|m| m.label.clone())
        .collect();
    assert_eq!(due.len(), 2, "Operation Encompass and children's services: {:?}", d.gate.missing);
    assert!(!d.gate.can_finalise);
}

/// A deferral whose follow-up is set after the referral deadline: once that deadline has passed
/// (and before the follow-up), the queue row says the referral is breached and names the
/// follow-up, as the officer was warned. It read "due in N working days", while the engine had
/// put it on the queue for the breach.
#[test]
fn a_deferral_past_the_referral_deadline_shows_as_breached_with_its_follow_up() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-LATE");
    code_da_with_forms(&mut store, &actor, &inc);
    let follow_up = casework_date(now_unix() + 30 * 86_400);
    let deferred = ReferralDecisionInput {
        reason: Some("Suspect in the room; victim cannot talk".into()),
        follow_up_due: Some(follow_up.clone()),
        ..decision(ReferralOutcome::Deferred)
    };
    store.record_referral_decision(&actor, &inc, "V1", &deferred).unwrap();
    let later = now_unix() + 10 * 86_400;
    let q = store.supervisor_queue(later).unwrap();
    let p = q
        .items
        .iter()
        .filter(|i| i.incident_id == inc)
        .flat_map(|i| i.problems.iter())
        .find(|p| p.item == MissingKind::VictimReferralDecision && p.victim_id.as_deref() == Some("V1"))
        .unwrap_or_else(|| panic!("the deferred victim on the queue: {q:?}"))
        .clone();
    assert_eq!(p.kind, ProblemKind::Overdue, "{p:?}");
    assert!(p.label.contains("breached") && p.label.contains(&format!("follow-up due {follow_up}")), "{}", p.label);
    assert!(p.deadline < later, "{p:?}");
}

fn casework_date(unix: i64) -> String {
    bluelamp_store::casework::ts(unix)[..10].to_string()
}

/// The safeguarding plan's safe number is checked as the referral's is: a number held for the
/// incident's suspect is refused at submission, on its field, written another way (+44) too.
#[test]
fn a_plans_safe_number_that_is_the_suspects_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-PHONE");
    store.add_nominal_phones(&[("S1".into(), "07700 900123".into())]).unwrap();
    let plan = catalog().unwrap().pack("da-safeguarding-plan").unwrap();
    let mut answers = sample_answers(plan, &["V1".into(), "S1".into()], false);
    answers["sc_safe_number"] = json!("yes");
    answers["sc_number"] = json!("+44 7700 900123");
    let id = store.start_form(&actor, &inc, "da-safeguarding-plan").unwrap();
    store.save_draft(&actor, &id, &answers, None).unwrap();
    match store.submit_form(&actor, &id, None, None).unwrap() {
        SubmitOutcome::Rejected { issues } => {
            let on_field: Vec<_> = issues
                .iter()
                .filter_map(|i| match i {
                    bluelamp_forms::SubmitIssue::Field(f) => Some(f),
                    _ => None,
                })
                .collect();
            assert_eq!(on_field.len(), 1, "{issues:?}");
            assert_eq!(on_field[0].path, "sc_number");
            assert_eq!(on_field[0].kind, bluelamp_forms::IssueKind::UnsafeContact);
            assert!(on_field[0].message.contains("suspect"), "{}", on_field[0].message);
        }
        SubmitOutcome::Submitted(_) => panic!("a plan with the suspect's number as the safe number went in"),
    }
    // "No safe number" hides the field: what it still holds is not the plan's safe number.
    answers["sc_safe_number"] = json!("no");
    store.save_draft(&actor, &id, &answers, None).unwrap();
    let hidden = store.submit_form(&actor, &id, None, None).unwrap();
    assert!(matches!(hidden, SubmitOutcome::Submitted(_)), "a hidden answer was checked: {hidden:?}");
}

/// Past the force calendar's last year, a countdown says it is approximate (bank holidays
/// unknown), where the officer and the supervisor read it; within it, nothing is added.
#[test]
fn a_countdown_beyond_the_calendar_says_it_is_approximate() {
    use bluelamp_store::victims::countdown;
    let cfg = victims_config().unwrap();
    let (_, last) = cfg.calendar.years();
    // A fixed "now" (15 January 2027), so the test means the same in any year it runs.
    let now = uk_time(1_800_000_000);
    assert!(now.year() < last, "the calendar covers {}", now.year());
    let within = time::Date::from_calendar_date(now.year(), time::Month::December, 31).unwrap();
    assert!(!countdown("V", within, now, cfg).label.contains("approximate"));
    let beyond = time::Date::from_calendar_date(last + 1, time::Month::March, 2).unwrap();
    let c = countdown("V", beyond, now, cfg);
    assert!(c.label.contains("approximate") && c.label.contains(&last.to_string()), "{}", c.label);
}

/// Every victim of a recorded crime needs a referral decision (or a deferral) before the
/// incident is finalised, whatever the closing code: a robbery closed as "Advice" or "ASB" used
/// to finalise with no decision, and its victim then left the awaiting list and the supervisor
/// queue for good. The gate's missing item says why; a duplicate (NFA-DUP) stays exempt, and a
/// crime with no victim linked can still be closed as advice.
#[test]
fn a_crime_victim_needs_a_referral_decision_whatever_the_closing_code() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = add(&mut store, "INC-ROB", "robbery", 1, &[("V1", "victim"), ("S1", "suspect")]);
    for code in ["ADVICE", "ASB"] {
        store.set_closing_code(&actor, &inc, Some(code)).unwrap();
        let gate = store.get_incident(&inc).unwrap().gate;
        assert!(!gate.can_finalise, "{code}: {:?}", gate.missing);
        let items: Vec<_> = gate.missing.iter().filter(|m| m.kind == MissingKind::VictimReferralDecision).collect();
        assert_eq!(items.len(), 1, "{code}: {:?}", gate.missing);
        assert_eq!(items[0].victim_id.as_deref(), Some("V1"));
        assert!(items[0].label.contains("recorded crime"), "{}", items[0].label);
        match store.finalise_incident(&actor, &inc) {
            Err(CaseworkError::Refused { missing }) => {
                assert!(missing.iter().any(|m| m.kind == MissingKind::VictimReferralDecision), "{missing:?}")
            }
            other => panic!("{code}: expected a refusal, got {other:?}"),
        }
    }
    store.set_closing_code(&actor, &inc, Some("ADVICE")).unwrap();
    let declined = ReferralDecisionInput {
        in_their_words: Some("I'm fine, thanks.".into()),
        ..decision(ReferralOutcome::Declined)
    };
    store.record_referral_decision(&actor, &inc, "V1", &declined).unwrap();
    assert!(store.get_incident(&inc).unwrap().gate.can_finalise);
    store.finalise_incident(&actor, &inc).unwrap();

    // A duplicate stays exempt; a robbery with nobody linked as a victim closes as advice.
    let dup = add(&mut store, "INC-ROB-DUP", "robbery", 1, &[("V1", "victim")]);
    store.set_closing_code_with(&actor, &dup, Some("NFA-DUP"), Some(&none_found())).unwrap();
    store.finalise_incident(&actor, &dup).unwrap();
    let none = add(&mut store, "INC-ROB-NONE", "robbery", 1, &[("S1", "suspect")]);
    store.set_closing_code(&actor, &none, Some("ADVICE")).unwrap();
    store.finalise_incident(&actor, &none).unwrap();
}

/// A person who died is linked with the role `deceased` (kept on import and through a pull, as
/// the other roles are): neither the closing-code gate nor the Victims panel asks for their
/// referral decision, also when they are linked as the victim too; their bereaved relative's is
/// asked instead.
#[test]
fn a_deceased_victim_is_not_asked_for_a_decision_but_the_bereaved_relative_is() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let links = [("D1", "victim"), ("D1", "deceased"), ("R1", "bereaved_relative"), ("S1", "suspect")];
    let inc = add(&mut store, "INC-HOM", "homicide", 1, &links);
    let roles = |store: &Store, id: &str| -> Vec<String> {
        let mut r: Vec<String> = store
            .get_incident(id)
            .unwrap()
            .summary
            .links
            .iter()
            .filter(|l| l.nominal_id == "D1")
            .map(|l| l.role.clone())
            .collect();
        r.sort();
        r
    };
    assert_eq!(roles(&store, &inc), ["deceased", "victim"]);
    let p = store.victims_assessment(&inc, now_unix()).unwrap();
    let ids: Vec<&str> = p.assessment.victims.iter().map(|v| v.person_id.as_str()).collect();
    assert_eq!(ids, ["R1"]);
    store.set_closing_code(&actor, &inc, Some("CRIME")).unwrap();
    let gate = store.get_incident(&inc).unwrap().gate;
    let asked: Vec<Option<&str>> = gate.missing.iter().map(|m| m.victim_id.as_deref()).collect();
    assert_eq!(asked, [Some("R1")], "{:?}", gate.missing);
    assert!(store.victims_awaiting(now_unix()).unwrap().iter().all(|r| r.row.person_id != "D1"));
    let declined = ReferralDecisionInput {
        in_their_words: Some("Not now, we have family with us.".into()),
        ..decision(ReferralOutcome::Declined)
    };
    store.record_referral_decision(&actor, &inc, "R1", &declined).unwrap();
    store.finalise_incident(&actor, &inc).unwrap();

    // Pulled from the service: the role is kept, and the gate does not ask for D2's decision.
    let data = json!({
        "id": "inc-pulled", "reference": "INC-HOM-2", "incident_type": "homicide", "offence_category": null,
        "place": null, "postcode": null, "team": "Response", "occurred_at": now_unix() - 3600,
        "recorded_at": now_unix() - 3000, "assigned_to": "PC1", "district": "d", "closing_code": "CRIME",
        "status": "open", "finalised_at": null, "version": 1,
        "links": [{ "nominal_id": "D2", "role": "victim" }, { "nominal_id": "D2", "role": "deceased" },
                  { "nominal_id": "R2", "role": "bereaved_relative" }],
    });
    store
        .apply_pull_page(&PullResponse {
            schema_version: SCHEMA_VERSION,
            changes: vec![Change::Upsert {
                record_type: RecordType::Incident,
                id: "inc-pulled".into(),
                version: 1,
                data,
            }],
            next_cursor: "c1".into(),
            has_more: false,
            last_applied_seq: 0,
            remaining: 0,
            reset: None,
            instructions: vec![],
        })
        .unwrap();
    let got = store.get_incident("inc-pulled").unwrap();
    assert!(got.summary.links.iter().any(|l| l.nominal_id == "D2" && l.role == "deceased"), "{:?}", got.summary.links);
    let asked: Vec<Option<&str>> = got.gate.missing.iter().map(|m| m.victim_id.as_deref()).collect();
    assert_eq!(asked, [Some("R2")], "{:?}", got.gate.missing);
}

/// The enhanced eligibility a referral carries (`details.enhanced`, sent in
/// `referral.decision/1`) counts the decision form's own needs answers, as its validation does:
/// a theft victim who answers "yes" to disability or disorder in the form is sent as enhanced
/// (vulnerable), not as the standard-rights victim they were before the answer.
#[test]
fn the_referral_carries_the_enhanced_eligibility_of_its_own_needs_answers() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = add(&mut store, "INC-T", "theft", 1, &[("V1", "victim")]);
    assert!(!victim(&store.victims_assessment(&inc, now_unix()).unwrap(), "V1").enhanced);
    let mut needs = std::collections::BTreeMap::new();
    needs.insert("disability_or_disorder".to_string(), bluelamp_victims::Answer::YesNo(true));
    let referred = ReferralDecisionInput {
        destination: Some("general_victim_service".into()),
        consent_given: Some(true),
        needs,
        ..decision(ReferralOutcome::Referred)
    };
    let info = store.record_referral_decision(&actor, &inc, "V1", &referred).unwrap();
    let enhanced = &info.details["enhanced"];
    assert_eq!(enhanced["eligible"], json!(true), "{enhanced}");
    assert!(enhanced["grounds"].as_array().unwrap().iter().any(|g| g["ground"] == "vulnerable"), "{enhanced}");
    let (name, payload): (String, String) = store
        .conn()
        .query_row("SELECT mutation, payload FROM outbox ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!(name, "referral.decision/1");
    let sent: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(sent["decision"]["details"]["enhanced"]["eligible"], json!(true), "{sent}");
}

fn pulled_nominal(id: &str, given: &str, phones: Option<Value>) -> Change {
    let mut data = json!({
        "id": id, "given_name": given, "surname": "Example", "date_of_birth": "1988-01-01",
        "aliases": [], "source": "current",
    });
    if let Some(p) = phones {
        data["phones"] = p;
    }
    Change::Upsert { record_type: RecordType::Nominal, id: id.into(), version: 7, data }
}

fn pull(store: &mut Store, changes: Vec<Change>) {
    store
        .apply_pull_page(&PullResponse {
            schema_version: SCHEMA_VERSION,
            changes,
            next_cursor: "c1".into(),
            has_more: false,
            last_applied_seq: 0,
            remaining: 0,
            reset: None,
            instructions: vec![],
        })
        .unwrap();
}

fn held_phones(store: &Store, id: &str) -> Vec<String> {
    let mut stmt =
        store.conn().prepare("SELECT number FROM nominal_phones WHERE nominal_id = ?1 ORDER BY number").unwrap();
    stmt.query_map([id], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

/// A suspect's number pulled from the central service is what the safe-number check compares
/// with: the pull replaces the numbers held for the person (a number the imports would refuse
/// is dropped, not the page), a suspect's pulled number given as the safe number in another
/// format is refused, and a record pulled without numbers clears them, so the panel says the
/// safe number could not be checked. Until 7 Dec 2026 a pull never wrote `nominal_phones`.
#[test]
fn a_suspects_number_pulled_from_central_is_refused_as_the_safe_number() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-PULL");
    submit_high_risk(&mut store, &actor, &inc);
    pull(
        &mut store,
        vec![pulled_nominal("S1", "Sam", Some(json!(["07700 900777", "0161 496 0000", "no digits", "x\u{0}1"])))],
    );
    assert_eq!(held_phones(&store, "S1"), ["0161 496 0000", "07700 900777"], "replaced, bad numbers dropped");
    let before = snapshot(&store);
    let fields =
        rejected_fields(store.record_referral_decision(&actor, &inc, "V1", &idva(Some(safe_block("+44 7700 900777")))));
    assert!(fields.iter().any(|(f, m)| f == "safe_contact.safe_number" && m.contains("suspect")), "{fields:?}");
    assert_eq!(snapshot(&store), before, "nothing written");
    // The number held before the pull is gone: the pull replaced it.
    assert_eq!(
        store.record_referral_decision(&actor, &inc, "V1", &idva(Some(safe_block("07700 900123")))).unwrap().outcome,
        ReferralOutcome::Referred
    );
    // Pulled without numbers (the service holds none now): cleared, and the panel says so.
    pull(&mut store, vec![pulled_nominal("S1", "Sam", None)]);
    assert!(held_phones(&store, "S1").is_empty());
    let p = store.victims_assessment(&inc, now_unix()).unwrap();
    assert!(p.assessment.prompts.iter().any(|pr| pr.code == "suspect_numbers_not_held"), "{:?}", p.assessment.prompts);
}

/// An assault victim referred to victim services opt-out (no agreement asked), then the incident
/// recoded DA: domestic abuse needs her explicit agreement (and the safe-contact block), so the
/// referral no longer counts. The panel and the awaiting list ask for a decision, and the
/// closing-code gate agrees with them: it counted the invalid referral, let the incident be
/// finalised, and the victim then left the awaiting list for good (review, 7 Dec 2026).
#[test]
fn a_referral_made_invalid_by_a_recode_to_da_does_not_pass_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = add(&mut store, "INC-RECODE", "assault", 1, &[("V1", "victim"), ("S1", "suspect")]);
    let opt_out = ReferralDecisionInput {
        destination: Some("general_victim_service".into()),
        ..decision(ReferralOutcome::Referred)
    };
    store.record_referral_decision(&actor, &inc, "V1", &opt_out).unwrap();
    assert_eq!(
        victim(&store.victims_assessment(&inc, now_unix()).unwrap(), "V1").referral_state,
        ReferralState::Referred
    );
    code_da_with_forms(&mut store, &actor, &inc);
    let marac = ReferralDecisionInput { destination: Some("marac".into()), ..decision(ReferralOutcome::Referred) };
    store.record_referral_decision(&actor, &inc, "V1", &marac).unwrap();

    let p = store.victims_assessment(&inc, now_unix()).unwrap();
    assert_eq!(victim(&p, "V1").referral_state, ReferralState::AwaitingDecision);
    assert!(store
        .victims_awaiting(now_unix())
        .unwrap()
        .iter()
        .any(|r| r.incident_id == inc && r.row.person_id == "V1"));
    let gate = store.get_incident(&inc).unwrap().gate;
    let items: Vec<_> = gate
        .missing
        .iter()
        .filter(|m| m.kind == MissingKind::VictimReferralDecision)
        .map(|m| m.victim_id.clone().unwrap_or_default())
        .collect();
    assert_eq!(items, ["V1"], "{:?}", gate.missing);
    match store.finalise_incident(&actor, &inc) {
        Err(CaseworkError::Refused { missing }) => {
            assert!(missing.iter().any(|m| m.kind == MissingKind::VictimReferralDecision), "{missing:?}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let later = now_unix() + 10 * 86_400;
    let q = store.supervisor_queue(later).unwrap();
    assert!(
        q.items
            .iter()
            .filter(|i| i.incident_id == inc)
            .flat_map(|i| &i.problems)
            .any(|p| { p.item == MissingKind::VictimReferralDecision && p.victim_id.as_deref() == Some("V1") }),
        "{q:?}"
    );
}

fn last_outbox(store: &Store) -> (String, Value) {
    let (name, payload): (String, String) = store
        .conn()
        .query_row("SELECT mutation, payload FROM outbox ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    (name, serde_json::from_str(&payload).unwrap())
}

/// The way out: the referral made invalid by the recode is withdrawn, with a reason, kept in the
/// history (never deleted; its outbox mutation and access-log entry in the same transaction);
/// the fresh referral with her agreement is then accepted, and she leaves the awaiting list,
/// the gate and the supervisor queue. Bad reasons, an unknown id and a second withdrawal are
/// refused with a message, nothing written.
#[test]
fn a_referral_made_invalid_by_a_recode_to_da_is_withdrawn_and_made_again() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = add(&mut store, "INC-RECODE", "assault", 1, &[("V1", "victim"), ("S1", "suspect")]);
    let opt_out = ReferralDecisionInput {
        destination: Some("general_victim_service".into()),
        ..decision(ReferralOutcome::Referred)
    };
    let old = store.record_referral_decision(&actor, &inc, "V1", &opt_out).unwrap();
    store.set_closing_code(&actor, &inc, Some("DA")).unwrap();
    let p = store.victims_assessment(&inc, now_unix()).unwrap();
    assert_eq!(victim(&p, "V1").referral_state, ReferralState::AwaitingDecision);
    let prompt = p.assessment.prompts.iter().find(|p| p.code == "invalid_decision").expect("said why");
    assert!(prompt.message.contains("consent_given") && prompt.message.contains("Withdraw"), "{}", prompt.message);

    // She agrees now; the same service again is refused while the old referral stands.
    let agreed = ReferralDecisionInput {
        consent_given: Some(true),
        safe_contact: Some(safe_block("07700 900999")),
        ..opt_out.clone()
    };
    let before = snapshot(&store);
    match store.record_referral_decision(&actor, &inc, "V1", &agreed) {
        Err(e @ CaseworkError::DuplicateReferral { .. }) => assert!(e.to_string().contains("withdraw it first"), "{e}"),
        other => panic!("expected the duplicate guard, got {other:?}"),
    }
    // Refused withdrawals write nothing and never panic.
    let long = "x".repeat(10_000);
    for (id, reason) in [
        (old.id.as_str(), ""),
        (old.id.as_str(), "   \n\t "),
        // Punctuation or an invisible character alone is no reason (review, 7 Dec 2026).
        (old.id.as_str(), "."),
        (old.id.as_str(), "\u{200B}"),
        (old.id.as_str(), long.as_str()),
        (old.id.as_str(), "asked\0her"),
        ("no-such-decision", "recorded in error"),
        ("'; DROP TABLE referrals; --", "recorded in error"),
    ] {
        match store.withdraw_referral_decision(&actor, &inc, id, reason) {
            Err(CaseworkError::Invalid(m)) => assert!(!m.is_empty()),
            Err(CaseworkError::NotFound(m)) => assert!(m.contains("INC-RECODE"), "{m}"),
            other => panic!("{id:?} / {} chars: expected a refusal, got {other:?}", reason.len()),
        }
    }
    assert!(matches!(
        store.withdraw_referral_decision(&actor, "no-such-incident", &old.id, "recorded in error"),
        Err(CaseworkError::NotFound(_))
    ));
    assert_eq!(snapshot(&store), before);

    let reason = "Recoded DA: Siobhán Ó Súilleabháin 🙂 must be asked first'; DROP TABLE referrals; --";
    let w = store.withdraw_referral_decision(&actor, &inc, &old.id, &format!("  {reason} ")).unwrap();
    assert_eq!(w.status, "withdrawn");
    let withdrawal = w.withdrawal.clone().expect("kept with the decision");
    assert_eq!((withdrawal.reason.as_str(), withdrawal.withdrawn_by.as_str()), (reason, "PC1"));
    // Never deleted: the row stays, withdrawn; one outbox mutation and one access-log entry.
    assert_eq!(snapshot(&store), [before[0] + 1, before[1] + 1, before[2], before[3]]);
    let (name, payload) = last_outbox(&store);
    assert_eq!(name, "referral.withdraw/1");
    assert_eq!(payload["referral_id"], json!(old.id));
    assert_eq!(payload["withdrawal"]["reason"], json!(reason));
    let (action, object): (String, String) = store
        .conn()
        .query_row("SELECT action, object_ref FROM audit ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!((action.as_str(), object), ("alteration", format!("referral:{}", old.id)));
    let p = store.victims_assessment(&inc, now_unix()).unwrap();
    let kept = p.decisions.iter().find(|d| d.id == old.id).expect("in the history");
    assert_eq!((kept.status.as_str(), kept.withdrawal.as_deref()), ("withdrawn", Some(&*withdrawal)));
    assert!(!p.assessment.prompts.iter().any(|p| p.code == "invalid_decision"), "{:?}", p.assessment.prompts);
    assert_eq!(victim(&p, "V1").referral_state, ReferralState::AwaitingDecision);

    // Twice: refused, saying when, by whom and why; nothing written.
    let before = snapshot(&store);
    match store.withdraw_referral_decision(&actor, &inc, &old.id, "again") {
        Err(e @ CaseworkError::AlreadyWithdrawn(_)) => assert!(e.to_string().contains("Siobhán"), "{e}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(snapshot(&store), before);

    // The fresh decision, with her agreement: referred, off the awaiting list, the gate and the queue.
    store.record_referral_decision(&actor, &inc, "V1", &agreed).unwrap();
    assert_eq!(
        victim(&store.victims_assessment(&inc, now_unix()).unwrap(), "V1").referral_state,
        ReferralState::Referred
    );
    assert!(!store.victims_awaiting(now_unix()).unwrap().iter().any(|r| r.incident_id == inc));
    let gate = store.get_incident(&inc).unwrap().gate;
    assert!(!gate.missing.iter().any(|m| m.kind == MissingKind::VictimReferralDecision), "{:?}", gate.missing);
    let later = now_unix() + 10 * 86_400;
    assert!(!store
        .supervisor_queue(later)
        .unwrap()
        .items
        .iter()
        .filter(|i| i.incident_id == inc)
        .flat_map(|i| &i.problems)
        .any(|p| p.item == MissingKind::VictimReferralDecision));
}

/// A decision of a finalised incident can be withdrawn (a decision is still recorded on one): the
/// victim is then back on the awaiting list, and on the supervisor queue once the deadline is
/// breached, until a fresh decision is recorded. A withdrawn deferral's "ask again" task is
/// cancelled with it.
#[test]
fn a_decision_withdrawn_on_a_finalised_incident_brings_the_victim_back_until_a_fresh_one() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = add(&mut store, "INC-FIN", "theft", 1, &[("V1", "victim")]);
    let deferred =
        ReferralDecisionInput { reason: Some("Victim in hospital".into()), ..decision(ReferralOutcome::Deferred) };
    let def = store.record_referral_decision(&actor, &inc, "V1", &deferred).unwrap();
    let declined =
        ReferralDecisionInput { in_their_words: Some("No thanks".into()), ..decision(ReferralOutcome::Declined) };
    let dec = store.record_referral_decision(&actor, &inc, "V1", &declined).unwrap();
    store.set_closing_code(&actor, &inc, Some("CRIME")).unwrap();
    store.finalise_incident(&actor, &inc).unwrap();
    let listed = |store: &Store, at: i64| store.victims_awaiting(at).unwrap().iter().any(|r| r.incident_id == inc);
    assert!(!listed(&store, now_unix()));

    // The deferral was settled by the decline; withdrawing it changes nothing for her.
    store.withdraw_referral_decision(&actor, &inc, &def.id, "Entered on the wrong victim").unwrap();
    assert!(!listed(&store, now_unix()));
    // The decline was hers by mistake (she agreed): withdrawn, she awaits a decision again.
    store.withdraw_referral_decision(&actor, &inc, &dec.id, "She agreed; the decline was typed in error").unwrap();
    assert!(listed(&store, now_unix()));
    let later = now_unix() + 10 * 86_400;
    let q = store.supervisor_queue(later).unwrap();
    let item = q.items.iter().find(|i| i.incident_id == inc).expect("on the queue once breached");
    assert!(item.closed && item.problems.iter().any(|p| p.victim_id.as_deref() == Some("V1")), "{item:?}");
    let referred = ReferralDecisionInput {
        destination: Some("general_victim_service".into()),
        consent_given: Some(true),
        ..decision(ReferralOutcome::Referred)
    };
    store.record_referral_decision(&actor, &inc, "V1", &referred).unwrap();
    assert!(!listed(&store, now_unix()) && !listed(&store, later));
}

/// A withdrawn deferral's open "ask again" task is cancelled with it (and the victim awaits a
/// decision again).
#[test]
fn withdrawing_a_deferral_cancels_its_ask_again_task() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = add(&mut store, "INC-DEFW", "theft", 1, &[("V1", "victim")]);
    let deferred =
        ReferralDecisionInput { reason: Some("Suspect present".into()), ..decision(ReferralOutcome::Deferred) };
    let def = store.record_referral_decision(&actor, &inc, "V1", &deferred).unwrap();
    let task_status = |store: &Store| -> String {
        store
            .conn()
            .query_row("SELECT status FROM tasks WHERE id = ?1", [format!("follow-up-{}", def.id)], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(task_status(&store), "open");
    store.withdraw_referral_decision(&actor, &inc, &def.id, "Not deferred: she was asked").unwrap();
    assert_eq!(task_status(&store), "cancelled");
    let p = store.victims_assessment(&inc, now_unix()).unwrap();
    assert_eq!(victim(&p, "V1").referral_state, ReferralState::AwaitingDecision);
}

/// Persistently targeted: three incidents as a victim in a year, this one included; a duplicate
/// record of one of them (closed `NFA-DUP`) is not another incident (review, 7 Dec 2026).
#[test]
fn a_duplicate_record_does_not_make_a_victim_persistently_targeted() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _actor) = new_store(&dir);
    let first = add(&mut store, "INC-T1", "theft", 24 * 40, &[("V1", "victim")]);
    let dup = add(&mut store, "INC-T1B", "theft", 24 * 40, &[("V1", "victim")]);
    let inc = add(&mut store, "INC-T2", "theft", 1, &[("V1", "victim")]);
    let targeted = |store: &Store| {
        let p = store.victims_assessment(&inc, now_unix()).unwrap();
        victim(&p, "V1").enhanced_reasons.iter().any(|r| r.ground == EnhancedGround::PersistentlyTargeted)
    };
    assert!(targeted(&store), "three incidents, none a duplicate yet");
    store.conn().execute("UPDATE incidents SET closing_code = 'NFA-DUP' WHERE id = ?1", [&dup]).unwrap();
    assert!(!targeted(&store), "the duplicate of {first} is not a third incident");
}

/// A victim with no date of birth: the rules ask whether they were under 18 at the time of the
/// offence, and the officer's answer (`record_under18_answer`) decides it: one outbox row
/// (`victim.under18/1`) and one access-log entry with it; the latest answer counts. Refused,
/// nothing written: a person not linked as a victim, a victim with a date of birth (it decides),
/// an unknown incident.
#[test]
fn the_under_18_question_is_answered_for_a_victim_with_no_date_of_birth() {
    use bluelamp_protocol::victims::UNDER_18_QUESTION;
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    store
        .upsert_nominals(&[NominalRecord {
            id: "V0".into(),
            source: Source::Current,
            given_name: "Kim".into(),
            surname: "Example".into(),
            date_of_birth: None,
            sex: None,
            aliases: vec![],
            address: None,
            postcode: None,
        }])
        .unwrap();
    let inc = add(
        &mut store,
        "INC-U18",
        "domestic_abuse",
        1,
        &[("V0", "victim"), ("V1", "victim"), ("S1", "suspect"), ("C1", "child")],
    );
    let asked = |p: &VictimsPanel| victim(p, "V0").undetermined.iter().any(|u| u.code == UNDER_18_QUESTION);
    let under_18_ground =
        |p: &VictimsPanel| victim(p, "V0").enhanced_reasons.iter().any(|r| r.ground == EnhancedGround::Under18);
    let before = store.victims_assessment(&inc, now_unix()).unwrap();
    assert!(asked(&before), "{:?}", victim(&before, "V0").undetermined);
    assert_eq!(victim(&before, "V0").under_18, None);
    assert!(!under_18_ground(&before));

    let [outbox, audit, ..] = snapshot(&store);
    let answer = store.record_under18_answer(&actor, &inc, "V0", true).unwrap();
    assert_eq!((answer.under_18, answer.answered_by.as_str()), (true, "PC1"));
    assert_eq!(snapshot(&store)[..2], [outbox + 1, audit + 1]);
    let (name, payload): (String, String) = store
        .conn()
        .query_row("SELECT mutation, payload FROM outbox ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!(name, "victim.under18/1");
    let sent: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!((sent["answer"]["id"].as_str(), &sent["answer"]["under_18"]), (Some(answer.id.as_str()), &json!(true)));
    let (action, object_ref): (String, String) = store
        .conn()
        .query_row("SELECT action, object_ref FROM audit ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!((action.as_str(), object_ref), ("collection", format!("under18:{}", answer.id)));

    let after = store.victims_assessment(&inc, now_unix()).unwrap();
    assert!(!asked(&after), "{:?}", victim(&after, "V0").undetermined);
    assert_eq!(victim(&after, "V0").under_18, Some(true));
    assert!(victim(&after, "V0").enhanced && under_18_ground(&after), "{:?}", victim(&after, "V0"));
    // The panel carries the answer (the card shows it with "Change answer").
    assert_eq!(
        after.under18_answers.iter().map(|a| (a.id.as_str(), a.under_18)).collect::<Vec<_>>(),
        [(answer.id.as_str(), true)]
    );

    // A correction: the latest answer counts.
    let correction = store.record_under18_answer(&actor, &inc, "V0", false).unwrap();
    let corrected = store.victims_assessment(&inc, now_unix()).unwrap();
    assert_eq!(victim(&corrected, "V0").under_18, Some(false));
    assert_eq!(corrected.under18_answers.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), [correction.id.as_str()]);
    assert!(!asked(&corrected) && !under_18_ground(&corrected));

    // Refused, nothing written.
    let held = snapshot(&store);
    for who in ["S1", "C1", "nobody"] {
        match store.record_under18_answer(&actor, &inc, who, true) {
            Err(e @ CaseworkError::NotAVictim { .. }) => assert!(e.to_string().contains("not linked"), "{e}"),
            other => panic!("{who}: expected NotAVictim, got {other:?}"),
        }
    }
    match store.record_under18_answer(&actor, &inc, "V1", true) {
        Err(e @ CaseworkError::DateOfBirthRecorded { .. }) => assert!(e.to_string().contains("1990-05-01"), "{e}"),
        other => panic!("expected DateOfBirthRecorded, got {other:?}"),
    }
    assert!(matches!(
        store.record_under18_answer(&actor, "no-such-incident", "V0", true),
        Err(CaseworkError::NotFound(_))
    ));
    assert_eq!(snapshot(&store), held);
    assert_eq!(victim(&store.victims_assessment(&inc, now_unix()).unwrap(), "V0").under_18, Some(false));

    // An answer from a device whose clock was a year fast (pulled), and one whose time is not a
    // time: a correction made here still counts, and the unreadable time never wins (review,
    // 7 Dec 2026: the fast answer outranked every later correction).
    let year_on = bluelamp_store::casework::ts(now_unix() + 365 * 86_400);
    for (id, at, under_18) in [("fast", year_on.as_str(), false), ("junk", "zzzz", false)] {
        store
            .conn()
            .execute(
                "INSERT INTO under18_answers (id, incident_id, nominal_id, under_18, answered_by, answered_at, pulled_at)
                 VALUES (?1, ?2, 'V0', ?3, 'PC2', ?4, ?4)",
                rusqlite::params![id, inc, under_18, at],
            )
            .unwrap();
    }
    store.record_under18_answer(&actor, &inc, "V0", true).unwrap();
    assert_eq!(victim(&store.victims_assessment(&inc, now_unix()).unwrap(), "V0").under_18, Some(true));
}

/// Right 6: recording an investigation event (`record_investigation_event`) makes an update due
/// for each victim of the incident, 1 working day for a victim with enhanced rights (domestic
/// abuse) and 5 otherwise, shown with the panel's countdown; recording that the victim was told
/// (`record_victim_told`) clears theirs. Each write is one outbox row and one access-log entry;
/// refusals write nothing.
#[test]
fn an_investigation_event_makes_an_update_due_until_the_victim_is_told() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let cfg = victims_config().unwrap();
    let inc = da(&mut store, "INC-R6");
    let today = uk_time(now_unix()).date();
    let before = store.victims_assessment(&inc, now_unix()).unwrap();
    assert!(before.events.is_empty() && victim(&before, "V1").updates.is_empty());

    let [outbox, audit, ..] = snapshot(&store);
    let e = store.record_investigation_event(&actor, &inc, "arrested", &today.to_string()).unwrap();
    assert_eq!(
        (e.kind.as_str(), e.occurred_on.clone(), e.recorded_by.as_str()),
        ("arrested", today.to_string(), "PC1")
    );
    assert_eq!(snapshot(&store)[..2], [outbox + 1, audit + 1]);
    let (name, sent) = last_outbox(&store);
    assert_eq!((name.as_str(), sent["event"]["id"].as_str()), ("investigation.event/1", Some(e.id.as_str())));
    let (action, object_ref): (String, String) = store
        .conn()
        .query_row("SELECT action, object_ref FROM audit ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!((action.as_str(), object_ref), ("collection", format!("event:{}", e.id)));

    let panel = store.victims_assessment(&inc, now_unix()).unwrap();
    let v1 = victim(&panel, "V1");
    assert!(v1.enhanced, "a DA victim has enhanced rights");
    assert_eq!(v1.update_working_days, 1);
    assert_eq!(v1.updates.len(), 1, "{:?}", v1.updates);
    let due = cfg.calendar.add_working_days(today, 1).unwrap().date;
    assert_eq!((v1.updates[0].deadline.due, v1.updates[0].informed), (due, false));
    assert!(v1.updates[0].status.is_some());
    assert!(
        panel
            .assessment
            .prompts
            .iter()
            .any(|p| p.code == "victim_update_due" && p.message.contains("Suspect arrested")),
        "{:?}",
        panel.assessment.prompts
    );
    assert_eq!(panel.events.len(), 1);
    let ev = &panel.events[0];
    assert_eq!((ev.event.id.as_str(), ev.label.as_str()), (e.id.as_str(), "Suspect arrested"));
    let row = ev.victims.iter().find(|v| v.person_id == "V1").expect("V1 owed an update");
    assert!(row.told.is_none());
    let c = row.countdown.as_ref().expect("a countdown");
    assert_eq!((c.due.clone(), c.working_days_left), (due.to_string(), 1));
    assert!(ev.victims.iter().all(|v| v.person_id != "S1"), "the suspect is owed nothing");

    // A standard victim (an adult, assault): 5 working days.
    let plain = add(&mut store, "INC-R6-STD", "assault", 1, &[("V1", "victim"), ("S1", "suspect")]);
    store.record_investigation_event(&actor, &plain, "charged", &today.to_string()).unwrap();
    let p = store.victims_assessment(&plain, now_unix()).unwrap();
    let u = &victim(&p, "V1").updates[0];
    assert_eq!((victim(&p, "V1").enhanced, u.deadline.working_days), (false, 5));
    assert_eq!(u.deadline.due, cfg.calendar.add_working_days(today, 5).unwrap().date);

    // Told: the update is no longer owed.
    let [outbox, audit, ..] = snapshot(&store);
    let t = store.record_victim_told(&actor, &inc, &e.id, "V1", "phone", None).unwrap();
    assert_eq!((t.how.as_str(), t.told_by.as_str(), t.event_id.as_str()), ("phone", "PC1", e.id.as_str()));
    assert_eq!(snapshot(&store)[..2], [outbox + 1, audit + 1]);
    let (name, sent) = last_outbox(&store);
    assert_eq!((name.as_str(), sent["told"]["id"].as_str()), ("victim.updated/1", Some(t.id.as_str())));
    let after = store.victims_assessment(&inc, now_unix()).unwrap();
    let u = &victim(&after, "V1").updates[0];
    assert_eq!((u.informed, u.status), (true, None));
    let row = after.events[0].victims.iter().find(|v| v.person_id == "V1").unwrap();
    assert_eq!((row.told.as_ref().map(|t| t.id.as_str()), &row.countdown), (Some(t.id.as_str()), &None));
    assert!(!after
        .assessment
        .prompts
        .iter()
        .any(|p| p.code == "victim_update_due" && p.person_id.as_deref() == Some("V1")));

    // Refused, nothing written.
    let held = snapshot(&store);
    let future = today.next_day().unwrap().to_string();
    let long_ago = (today - time::Duration::days(30)).to_string();
    let refusals: Vec<(&str, CaseworkError)> = vec![
        (
            "no incident",
            store.record_investigation_event(&actor, "no-such", "arrested", &today.to_string()).unwrap_err(),
        ),
        ("kind", store.record_investigation_event(&actor, &inc, "hanged", &today.to_string()).unwrap_err()),
        ("future", store.record_investigation_event(&actor, &inc, "charged", &future).unwrap_err()),
        ("before the offence", store.record_investigation_event(&actor, &inc, "charged", &long_ago).unwrap_err()),
        ("unreadable", store.record_investigation_event(&actor, &inc, "charged", "7/12/2026").unwrap_err()),
        ("suspect", store.record_victim_told(&actor, &inc, &e.id, "S1", "phone", None).unwrap_err()),
        ("unknown event", store.record_victim_told(&actor, &inc, "no-such-event", "V1", "phone", None).unwrap_err()),
        ("told twice", store.record_victim_told(&actor, &inc, &e.id, "V1", "letter", None).unwrap_err()),
        ("how", store.record_victim_told(&actor, &inc, &e.id, "C1", "pigeon", None).unwrap_err()),
        ("no incident told", store.record_victim_told(&actor, "no-such", &e.id, "V1", "phone", None).unwrap_err()),
    ];
    let kinds: Vec<(&str, &str)> = refusals
        .iter()
        .map(|(what, e)| {
            let k = match e {
                CaseworkError::NotFound(_) => "not_found",
                CaseworkError::UnknownEventKind(_) => "kind",
                CaseworkError::EventDate(_) => "date",
                CaseworkError::NotOwedAnUpdate { .. } => "not_a_victim",
                CaseworkError::UnknownEvent { .. } => "unknown_event",
                CaseworkError::AlreadyTold { .. } => "already_told",
                CaseworkError::UnknownHow(_) => "how",
                other => panic!("{what}: {other:?}"),
            };
            (*what, k)
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("no incident", "not_found"),
            ("kind", "kind"),
            ("future", "date"),
            ("before the offence", "date"),
            ("unreadable", "date"),
            ("suspect", "not_a_victim"),
            ("unknown event", "unknown_event"),
            ("told twice", "already_told"),
            ("how", "how"),
            ("no incident told", "not_found"),
        ]
    );
    assert!(refusals[2].1.to_string().contains("future"), "{}", refusals[2].1);
    assert!(refusals[3].1.to_string().contains("before the offence"), "{}", refusals[3].1);
    assert_eq!(snapshot(&store), held);
}

/// Right 6 on the supervisor queue: an update not given by its deadline escalates through the
/// engine's `escalate` into the queue (overdue, naming the victim and Right 6), also once the
/// incident is finalised (a no-further-action decision is usually recorded at closing); telling
/// the victim takes it off.
#[test]
fn an_overdue_update_escalates_into_the_supervisor_queue_until_the_victim_is_told() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    // A robbery 30 days ago; the victim declined a referral (no referral problem left).
    let inc = add(&mut store, "INC-R6-OLD", "robbery", 30 * 24, &[("V1", "victim"), ("S1", "suspect")]);
    let declined =
        ReferralDecisionInput { in_their_words: Some("No thanks".into()), ..decision(ReferralOutcome::Declined) };
    store.record_referral_decision(&actor, &inc, "V1", &declined).unwrap();
    let on_queue = |store: &Store| -> Vec<(ProblemKind, Option<String>, String)> {
        let q = store.supervisor_queue(now_unix()).unwrap();
        q.items
            .iter()
            .filter(|i| i.incident_id == inc)
            .flat_map(|i| i.problems.iter())
            .filter(|p| p.item == MissingKind::VictimUpdate)
            .map(|p| (p.kind, p.victim_id.clone(), p.label.clone()))
            .collect()
    };
    assert_eq!(on_queue(&store), [], "nothing owed yet");
    let day = (uk_time(now_unix()).date() - time::Duration::days(20)).to_string();
    let e = store.record_investigation_event(&actor, &inc, "no_further_action", &day).unwrap();
    let problems = on_queue(&store);
    assert_eq!(problems.len(), 1, "{problems:?}");
    let (kind, who, label) = &problems[0];
    assert_eq!((*kind, who.as_deref()), (ProblemKind::Overdue, Some("V1")));
    assert!(label.contains("Right 6") && label.contains("breached"), "{label}");

    // Finalised (no further action), the update is still owed and still escalates.
    store.set_closing_code(&actor, &inc, Some("ADVICE")).unwrap();
    store.finalise_incident(&actor, &inc).unwrap();
    let problems = on_queue(&store);
    assert_eq!(problems.len(), 1, "a finalised incident's overdue update: {problems:?}");
    assert!(problems[0].2.contains("Right 6"), "{}", problems[0].2);

    store.record_victim_told(&actor, &inc, &e.id, "V1", "letter", None).unwrap();
    assert_eq!(on_queue(&store), [], "told: off the queue");
}

/// An overdue update has its own row on the supervisor queue, with its own deadline, even when
/// the victim still awaits a referral decision: it was listed under the referral's wording and
/// deadline ("Record a Victims' Code referral decision — due in 2 working days"), so an update
/// breached days ago did not show as overdue (review, 7 Dec 2026).
#[test]
fn an_overdue_update_of_a_victim_awaiting_a_referral_decision_shows_as_overdue() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    // Domestic abuse ten days ago, reported only now: the referral decision is due in two
    // working days; an arrest on the day owed the victim (enhanced) an update within one.
    let now = now_unix();
    let inc = NewIncident {
        id: None,
        reference: "INC-R6-LATE".into(),
        incident_type: "domestic_abuse".into(),
        offence_category: Some("domestic_abuse".into()),
        place: None,
        postcode: None,
        team: Some("Ashford Public Protection".into()),
        occurred_at: now - 10 * 86_400,
        recorded_at: now - 3600,
        assigned_to: Some("PC1".into()),
        closing_code: None,
        links: vec![("V1".into(), "victim".into()), ("S1".into(), "suspect".into())],
    };
    store.import_incidents(&[inc]).unwrap();
    let inc = store.list_incidents().unwrap().into_iter().find(|i| i.reference == "INC-R6-LATE").unwrap().id;
    let day = uk_time(now - 10 * 86_400).date().to_string();
    let e = store.record_investigation_event(&actor, &inc, "arrested", &day).unwrap();
    let problems = |store: &Store| -> Vec<(MissingKind, ProblemKind, String)> {
        let q = store.supervisor_queue(now_unix()).unwrap();
        q.items
            .iter()
            .filter(|i| i.incident_id == inc)
            .flat_map(|i| i.problems.iter())
            .filter(|p| p.victim_id.as_deref() == Some("V1"))
            .map(|p| (p.item, p.kind, p.label.clone()))
            .collect()
    };
    let listed = problems(&store);
    let update: Vec<_> = listed.iter().filter(|(k, _, _)| *k == MissingKind::VictimUpdate).collect();
    assert_eq!(update.len(), 1, "{listed:?}");
    assert_eq!(update[0].1, ProblemKind::Overdue, "{listed:?}");
    assert!(update[0].2.contains("Right 6") && update[0].2.contains("breached"), "{}", update[0].2);
    // The referral decision is listed on its own, and is not overdue.
    assert!(
        listed.iter().all(|(k, kind, _)| *k != MissingKind::VictimReferralDecision || *kind != ProblemKind::Overdue),
        "{listed:?}"
    );
    store.record_victim_told(&actor, &inc, &e.id, "V1", "phone", None).unwrap();
    assert!(problems(&store).iter().all(|(k, _, _)| *k != MissingKind::VictimUpdate), "told: no update row");
}

/// The same event recorded twice is refused on the device; a copy recorded on another device
/// (same kind and day, pulled) is one update, told once: "told" on one copy left the other
/// owed and escalated (review, 7 Dec 2026). A way of telling that is not on the list is said
/// before "told already".
#[test]
fn one_event_recorded_twice_is_one_update_told_once() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = add(&mut store, "INC-R6-TWIN", "robbery", 48, &[("V1", "victim"), ("S1", "suspect")]);
    let day = uk_time(now_unix() - 24 * 3600).date().to_string();
    let e = store.record_investigation_event(&actor, &inc, "arrested", &day).unwrap();
    let again = store.record_investigation_event(&actor, &inc, " arrested ", &day);
    assert!(matches!(again, Err(CaseworkError::EventRecorded { .. })), "{again:?}");
    let msg = again.unwrap_err().to_string();
    assert!(msg.contains("Suspect arrested") && msg.contains(&day) && msg.contains("already"), "{msg}");
    // Another kind the same day, or the same kind another day, is another event.
    store.record_investigation_event(&actor, &inc, "interviewed", &day).unwrap();
    // A copy pulled from another device.
    store
        .conn()
        .execute(
            "INSERT INTO investigation_events (id, incident_id, kind, occurred_on, recorded_by, recorded_at, pulled_at)
             VALUES ('twin', ?1, 'arrested', ?2, 'PC2', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
            rusqlite::params![inc, day],
        )
        .unwrap();
    let owed = |store: &Store| -> usize {
        let p = store.victims_assessment(&inc, now_unix()).unwrap();
        let v = p.assessment.victims.iter().find(|v| v.person_id == "V1").unwrap();
        v.updates.iter().filter(|u| !u.informed).count()
    };
    assert_eq!(owed(&store), 3, "arrested (twice) and interviewed");
    let bad = store.record_victim_told(&actor, &inc, &e.id, "V1", "pigeon", None);
    assert!(matches!(bad, Err(CaseworkError::UnknownHow(_))), "{bad:?}");
    store.record_victim_told(&actor, &inc, &e.id, "V1", "phone", None).unwrap();
    assert_eq!(owed(&store), 1, "told of the arrest: both copies, the interview still owed");
    let panel = store.victims_assessment(&inc, now_unix()).unwrap();
    let told: Vec<bool> = panel
        .events
        .iter()
        .map(|pe| pe.victims.iter().find(|v| v.person_id == "V1").is_some_and(|v| v.told.is_some()))
        .collect();
    assert_eq!(told.iter().filter(|t| **t).count(), 2, "both copies show told: {told:?}");
    let twice = store.record_victim_told(&actor, &inc, "twin", "V1", "letter", None);
    assert!(matches!(twice, Err(CaseworkError::AlreadyTold { .. })), "{twice:?}");
    let bad = store.record_victim_told(&actor, &inc, &e.id, "V1", "pigeon", None);
    assert!(matches!(bad, Err(CaseworkError::UnknownHow(_))), "a bad way first: {bad:?}");
}

/// An unknown incident id is echoed back safely: escape sequences written out, cut short (a
/// CLI user's `--incident $'\e[2J…'` reached the terminal, and a 100 000-character id made a
/// 100 000-character message; review, 7 Dec 2026).
#[test]
fn an_unknown_incident_id_is_echoed_back_safely() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let id = format!("\u{1b}[2J\u{1b}[31m{}", "x".repeat(100_000));
    let errs = [
        store.record_investigation_event(&actor, &id, "arrested", "2026-01-01").unwrap_err(),
        store.record_victim_told(&actor, &id, "e", "V1", "phone", None).unwrap_err(),
        store.record_under18_answer(&actor, &id, "V1", true).unwrap_err(),
        store.victims_assessment(&id, now_unix()).unwrap_err(),
    ];
    for e in errs {
        let msg = e.to_string();
        assert!(matches!(e, CaseworkError::NotFound(_)), "{e:?}");
        assert!(
            !msg.contains('\u{1b}') && msg.contains("\\u{1b}") && msg.len() < 200,
            "{}",
            &msg[..msg.len().min(300)]
        );
    }
}

/// Right 6: a victim's update preference ("contact preferences and update frequency recorded"):
/// with `key_decisions_only` an arrest is not owed (shown "not wanted", off the supervisor queue)
/// but a charge is; with `none` nothing is; a change is a later record and the latest counts.
/// Each is one outbox row and one access-log entry; refusals write nothing.
#[test]
fn a_victim_s_update_preference_decides_which_updates_are_owed() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = add(&mut store, "INC-R6-PREF", "robbery", 30 * 24, &[("V1", "victim"), ("S1", "suspect")]);
    let declined =
        ReferralDecisionInput { in_their_words: Some("No thanks".into()), ..decision(ReferralOutcome::Declined) };
    store.record_referral_decision(&actor, &inc, "V1", &declined).unwrap();
    let on_queue = |store: &Store| -> usize {
        let q = store.supervisor_queue(now_unix()).unwrap();
        q.items
            .iter()
            .filter(|i| i.incident_id == inc)
            .flat_map(|i| i.problems.iter())
            .filter(|p| p.item == MissingKind::VictimUpdate)
            .count()
    };
    let day = (uk_time(now_unix()).date() - time::Duration::days(20)).to_string();
    let arrest = store.record_investigation_event(&actor, &inc, "arrested", &day).unwrap();
    assert_eq!(on_queue(&store), 1, "an overdue arrest update");

    let [outbox, audit, ..] = snapshot(&store);
    let p = store.record_update_preference(&actor, &inc, " V1 ", "key_decisions_only").unwrap();
    assert_eq!((p.wants.as_str(), p.nominal_id.as_str(), p.recorded_by.as_str()), ("key_decisions_only", "V1", "PC1"));
    assert_eq!(snapshot(&store)[..2], [outbox + 1, audit + 1]);
    let (name, sent) = last_outbox(&store);
    assert_eq!((name.as_str(), sent["preference"]["id"].as_str()), ("victim.update_preference/1", Some(p.id.as_str())));
    assert_eq!(on_queue(&store), 0, "an arrest is not a key decision: not owed");
    let panel = store.victims_assessment(&inc, now_unix()).unwrap();
    let row = panel.events[0].victims.iter().find(|v| v.person_id == "V1").unwrap();
    assert!(row.not_wanted && row.countdown.is_none() && row.told.is_none(), "{row:?}");
    assert_eq!(panel.update_preferences.iter().map(|p| p.wants.as_str()).collect::<Vec<_>>(), ["key_decisions_only"]);

    let charge = store.record_investigation_event(&actor, &inc, "charged", &day).unwrap();
    assert_eq!(on_queue(&store), 1, "a charge is a key decision: owed");
    store.record_update_preference(&actor, &inc, "V1", "none").unwrap();
    assert_eq!(on_queue(&store), 0, "the victim asked not to be updated");
    let panel = store.victims_assessment(&inc, now_unix()).unwrap();
    assert!(panel.events.iter().all(|e| e.victims.iter().all(|v| v.not_wanted)), "{:?}", panel.events);
    assert!(victim(&panel, "V1").updates.iter().all(|u| u.status.is_none()));
    // Told anyway: told, not "not wanted".
    store.record_victim_told(&actor, &inc, &charge.id, "V1", "letter", None).unwrap();
    let panel = store.victims_assessment(&inc, now_unix()).unwrap();
    let told = panel.events.iter().find(|e| e.event.id == charge.id).unwrap();
    assert!(told.victims[0].told.is_some() && !told.victims[0].not_wanted);

    // Refused, nothing written.
    let held = snapshot(&store);
    let refusals = [
        store.record_update_preference(&actor, &inc, "V1", "weekly").unwrap_err(),
        store.record_update_preference(&actor, &inc, "S1", "none").unwrap_err(),
        store.record_update_preference(&actor, "no-such", "V1", "none").unwrap_err(),
    ];
    assert!(matches!(refusals[0], CaseworkError::UnknownUpdatePreference(_)), "{:?}", refusals[0]);
    assert!(matches!(refusals[1], CaseworkError::NotOwedAnUpdate { .. }), "{:?}", refusals[1]);
    assert!(matches!(refusals[2], CaseworkError::NotFound(_)), "{:?}", refusals[2]);
    assert_eq!(snapshot(&store), held);

    // Changed back: a later record, the earlier ones kept; the arrest is owed again.
    store.record_update_preference(&actor, &inc, "V1", "all").unwrap();
    assert_eq!(count(&store, "SELECT count(*) FROM update_preferences"), 3);
    assert_eq!(on_queue(&store), 1);
    store.record_victim_told(&actor, &inc, &arrest.id, "V1", "phone", None).unwrap();
    assert_eq!(on_queue(&store), 0);
}

/// Right 6: the day a victim was told is the officer's ("told on", blank = today), not the
/// moment it was recorded; the deadline is met or missed on it. A day in the future or before
/// the event is refused, nothing written.
#[test]
fn the_day_a_victim_was_told_decides_whether_the_update_was_in_time() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = add(&mut store, "INC-R6-ON", "robbery", 30 * 24, &[("V1", "victim"), ("S1", "suspect")]);
    let today = uk_time(now_unix()).date();
    let days_ago = |n: i64| (today - time::Duration::days(n)).to_string();
    let arrest = store.record_investigation_event(&actor, &inc, "arrested", &days_ago(20)).unwrap();
    let charge = store.record_investigation_event(&actor, &inc, "charged", &days_ago(20)).unwrap();

    let held = snapshot(&store);
    for (told_on, says) in
        [(days_ago(-1), "in the future"), (days_ago(21), "before the event"), ("7/12/2026".to_string(), "Told on:")]
    {
        let e = store.record_victim_told(&actor, &inc, &arrest.id, "V1", "phone", Some(&told_on)).unwrap_err();
        assert!(matches!(e, CaseworkError::ToldOn(_)) && e.to_string().contains(says), "{told_on}: {e}");
    }
    assert_eq!(snapshot(&store), held);

    // Told the day after the arrest (5 working days allowed): in time, though recorded today.
    let t = store.record_victim_told(&actor, &inc, &arrest.id, "V1", "phone", Some(&days_ago(19))).unwrap();
    assert_eq!(t.told_on.as_deref(), Some(days_ago(19).as_str()));
    let (_, sent) = last_outbox(&store);
    assert_eq!(sent["told"]["told_on"].as_str(), Some(days_ago(19).as_str()));
    // Told today (blank): 20 days after the charge, late.
    let late = store.record_victim_told(&actor, &inc, &charge.id, "V1", "letter", Some(" ")).unwrap();
    assert_eq!(late.told_on.as_deref(), Some(today.to_string().as_str()));
    let panel = store.victims_assessment(&inc, now_unix()).unwrap();
    let row = |id: &str| panel.events.iter().find(|e| e.event.id == id).unwrap().victims[0].clone();
    assert!(!row(&arrest.id).told_late && row(&charge.id).told_late);
    let v = victim(&panel, "V1");
    assert_eq!(v.updates.iter().map(|u| u.in_time).collect::<Vec<_>>(), [Some(true), Some(false)]);
}

fn none_found() -> bluelamp_forms::NfaDupReason {
    bluelamp_forms::NfaDupReason::NoIncidentFound("Attended, address empty, no caller traced".into())
}
