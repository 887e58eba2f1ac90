//! Casework over a real (encrypted) store: drafts, submission, gates, referrals, queue.

use bluelamp_forms::{MissingKind, QueueRisk, SubmitIssue};
use bluelamp_protocol::casework::{
    FormStatus, Grade, IncidentStatus, ReferralDecisionInput, ReferralOutcome, ReviewDecision, SubmitOutcome, Submitted,
};
use bluelamp_protocol::Source;
use bluelamp_store::casework::{catalog, now_unix, sample_answers, ts, CaseworkError, NewIncident};
use bluelamp_store::{Actor, KdfParams, NominalRecord, Store};
use bluelamp_victims::SafeContact;
use serde_json::{json, Value};

const DASH: &str = "dash-style-da-risk";
const PLAN: &str = "da-safeguarding-plan";
const CARE: &str = "concern-for-child-care-plan";

fn new_store(dir: &tempfile::TempDir) -> (Store, Actor) {
    let store = Store::create(&dir.path().join("s.db"), "pw", "PC1", KdfParams::INSECURE_FAST).unwrap();
    let actor = store.actor().unwrap();
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
        count(store, "SELECT count(*) FROM forms WHERE status <> 'draft'"),
    ]
}

fn incident(reference: &str, kind: &str, code: Option<&str>, age_h: i64, links: &[(&str, &str)]) -> NewIncident {
    let t = now_unix() - age_h * 3600;
    NewIncident {
        id: None,
        reference: reference.into(),
        incident_type: kind.into(),
        offence_category: Some(kind.into()),
        place: Some("1 High Street".into()),
        postcode: None,
        team: Some("Maidstone Response 2".into()),
        occurred_at: t,
        recorded_at: t + 600,
        assigned_to: Some("PC1".into()),
        closing_code: code.map(str::to_string),
        links: links.iter().map(|(n, r)| (n.to_string(), r.to_string())).collect(),
    }
}

fn add(store: &mut Store, inc: NewIncident) -> String {
    let reference = inc.reference.clone();
    assert_eq!(store.import_incidents(&[inc]).unwrap(), 1);
    store.list_incidents().unwrap().into_iter().find(|i| i.reference == reference).unwrap().id
}

fn da(store: &mut Store, reference: &str, age_h: i64) -> String {
    add(
        store,
        incident(
            reference,
            "domestic_abuse",
            Some("DA"),
            age_h,
            &[("V1", "victim"), ("S1", "suspect"), ("C1", "child")],
        ),
    )
}

/// DASH answers with exactly 14 plain "yes" (no follow-up sections opened).
fn dash_14_yes() -> Value {
    let pack = catalog().unwrap().pack(DASH).unwrap();
    let mut a = sample_answers(pack, &["V1".into(), "S1".into()], false);
    let m = a.as_object_mut().unwrap();
    for q in [1, 2, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17] {
        m.insert(format!("q{q}"), json!("yes"));
    }
    for q in ["q3", "q21", "q24", "q27"] {
        m.insert(q.into(), json!({"declined": true}));
    }
    a
}

fn fill(store: &mut Store, actor: &Actor, inc: &str, pack_id: &str, answers: Value) -> String {
    let id = store.start_form(actor, inc, pack_id).unwrap();
    store.save_draft(actor, &id, &answers, None).unwrap();
    id
}

fn submitted(out: SubmitOutcome) -> Submitted {
    match out {
        SubmitOutcome::Submitted(s) => s,
        SubmitOutcome::Rejected { issues } => panic!("rejected: {issues:#?}"),
    }
}

fn submit_risk(store: &mut Store, actor: &Actor, inc: &str, grade: Grade) -> Submitted {
    let id = fill(store, actor, inc, DASH, dash_14_yes());
    submitted(store.submit_form(actor, &id, Some(grade), Some("Victim is terrified; escalating")).unwrap())
}

fn submit_plain(store: &mut Store, actor: &Actor, inc: &str, pack_id: &str, people: &[&str]) -> Submitted {
    let pack = catalog().unwrap().pack(pack_id).unwrap();
    let people: Vec<String> = people.iter().map(|s| s.to_string()).collect();
    let id = fill(store, actor, inc, pack_id, sample_answers(pack, &people, false));
    submitted(store.submit_form(actor, &id, None, None).unwrap())
}

/// A referral with the victim's agreement and a complete safe-contact block (mandatory for a DA
/// referral to a service that will contact the victim).
fn referred(dest: &str) -> ReferralDecisionInput {
    ReferralDecisionInput {
        outcome: ReferralOutcome::Referred,
        destination: Some(dest.into()),
        consent_given: Some(true),
        in_their_words: None,
        reason: None,
        follow_up_due: None,
        services_offered: vec![],
        safe_contact: Some(SafeContact {
            safe_number: Some("07700 900456".into()),
            safe_times: Some("weekdays 10:00-14:00".into()),
            voicemail_safe: Some(false),
            text_safe: Some(true),
            letters_safe: Some(false),
            suspect_can_access_phone: Some(false),
            preferred_language: None,
        }),
        needs: Default::default(),
    }
}

fn missing_kinds(e: CaseworkError) -> Vec<(MissingKind, Option<String>)> {
    match e {
        CaseworkError::Refused { missing } => {
            assert!(missing.iter().all(|m| !m.label.trim().is_empty()));
            missing.into_iter().map(|m| (m.kind, m.victim_id)).collect()
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn autosave_then_reopen_resumes_at_the_same_section() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-1", 2);
    let before = snapshot(&store);
    let id = store.start_form(&actor, &inc, DASH).unwrap();
    // Starting again resumes the same draft.
    assert_eq!(store.start_form(&actor, &inc, DASH).unwrap(), id);
    let answers = json!({"victim": "V1", "q1": "yes", "q2": {"value": "no", "note": "n"}});
    for i in 0..20 {
        let mut a = answers.clone();
        a["q3"] = json!(["children"]);
        a["_n"] = json!(i);
        store.save_draft(&actor, &id, &a, Some("history")).unwrap();
    }
    drop(store);
    let store = Store::open(&path, "pw").unwrap();
    let f = store.get_form(&id).unwrap();
    assert_eq!(f.info.current_section.as_deref(), Some("history"));
    assert_eq!(f.info.status, FormStatus::Draft);
    assert_eq!(f.answers["q2"]["note"], "n");
    assert_eq!(f.answers["_n"], 19);
    // Drafts stay local: one collection entry for the draft, no outbox row, whatever the saves.
    let after = snapshot(&store);
    assert_eq!(after[0], before[0], "drafts are not queued");
    assert_eq!(after[1], before[1] + 1, "one access-log entry for starting the draft");
}

#[test]
fn save_draft_rejects_bad_input_and_other_authors() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-1", 2);
    let id = store.start_form(&actor, &inc, DASH).unwrap();
    assert!(matches!(store.save_draft(&actor, &id, &json!([1]), None), Err(CaseworkError::Invalid(_))));
    assert!(matches!(store.save_draft(&actor, &id, &json!({}), Some("nope")), Err(CaseworkError::Invalid(_))));
    assert!(matches!(store.save_draft(&actor, "missing", &json!({}), None), Err(CaseworkError::NotFound(_))));
    let other = Actor { officer_id: "PC2".into(), ..actor.clone() };
    assert!(matches!(store.save_draft(&other, &id, &json!({}), None), Err(CaseworkError::Invalid(_))));
}

/// Two autosaves in flight can be run in either order: the older one, arriving last, must not
/// overwrite the newer answers.
#[test]
fn an_autosave_arriving_after_a_later_one_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-1", 2);
    let id = store.start_form(&actor, &inc, DASH).unwrap();
    assert_eq!(store.get_form(&id).unwrap().draft_revision, 0);
    let newer = json!({"victim": "V1", "q1": "yes"});
    let older = json!({"victim": "V1"});
    assert!(store.save_draft_revision(&actor, &id, &newer, Some("history"), Some(2)).unwrap());
    assert!(!store.save_draft_revision(&actor, &id, &older, None, Some(1)).unwrap());
    // The same revision again is not newer either.
    assert!(!store.save_draft_revision(&actor, &id, &older, None, Some(2)).unwrap());
    let f = store.get_form(&id).unwrap();
    assert_eq!(f.answers, newer);
    assert_eq!(f.info.current_section.as_deref(), Some("history"));
    assert_eq!(f.draft_revision, 2);
    // An unnumbered save always applies and counts as the next one.
    store.save_draft(&actor, &id, &older, None).unwrap();
    let f = store.get_form(&id).unwrap();
    assert_eq!((f.answers.clone(), f.draft_revision), (older.clone(), 3));
    assert!(store.save_draft_revision(&actor, &id, &newer, None, Some(4)).unwrap());
    // A submitted form is still refused, numbered or not.
    store.save_draft(&actor, &id, &dash_14_yes(), None).unwrap();
    submitted(store.submit_form(&actor, &id, Some(Grade::High), Some("r")).unwrap());
    for rev in [Some(99), Some(1), None] {
        assert!(matches!(store.save_draft_revision(&actor, &id, &newer, None, rev), Err(CaseworkError::NotEditable)));
    }
}

#[test]
fn submit_writes_form_outbox_audit_and_tasks_together_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-1", 2);
    let id = fill(&mut store, &actor, &inc, DASH, dash_14_yes());
    let before = snapshot(&store);

    // Rejected: no grade, no rationale -> field-level issues, nothing written.
    match store.submit_form(&actor, &id, None, None).unwrap() {
        SubmitOutcome::Rejected { issues } => {
            assert!(issues.contains(&SubmitIssue::MissingGrade));
            assert!(issues.contains(&SubmitIssue::MissingRationale));
        }
        SubmitOutcome::Submitted(_) => panic!("submitted without a grade"),
    }
    assert_eq!(snapshot(&store), before);

    // Missing answers are listed per field.
    let empty = store.start_form(&actor, &inc, PLAN).unwrap();
    match store.submit_form(&actor, &empty, None, None).unwrap() {
        SubmitOutcome::Rejected { issues } => assert!(issues.iter().any(|i| matches!(i, SubmitIssue::Field(f)
            if f.question_id == "victim" && f.kind == bluelamp_forms::IssueKind::Missing))),
        SubmitOutcome::Submitted(_) => panic!("an empty plan was submitted"),
    }

    // A failure inside the transaction (task insert) leaves nothing behind.
    let before = snapshot(&store);
    store
        .conn()
        .execute_batch("CREATE TEMP TRIGGER t_fail BEFORE INSERT ON tasks BEGIN SELECT RAISE(ABORT, 'boom'); END;")
        .unwrap();
    assert!(store.submit_form(&actor, &id, Some(Grade::High), Some("r")).is_err());
    assert_eq!(snapshot(&store), before);
    assert_eq!(store.get_form(&id).unwrap().info.status, FormStatus::Draft);
    store.conn().execute_batch("DROP TRIGGER t_fail;").unwrap();

    let s = submitted(store.submit_form(&actor, &id, Some(Grade::High), Some("r")).unwrap());
    let after = snapshot(&store);
    assert_eq!(after[0], before[0] + 1, "one outbox row");
    assert_eq!(after[1], before[1] + 1, "one access-log entry");
    assert_eq!(after[2], before[2] + s.tasks.len() as i64);
    assert_eq!(after[3], before[3] + 1);
    let (name, payload): (String, String) = store
        .conn()
        .query_row("SELECT mutation, payload FROM outbox ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!(name, "form.submit/1");
    let payload: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(payload["form"]["id"], id.as_str());
    assert_eq!(payload["form"]["answers"]["q1"], "yes");
    assert_eq!(payload["form"]["officer_grade"], "high");
    let obj: String =
        store.conn().query_row("SELECT object_ref FROM audit ORDER BY seq DESC LIMIT 1", [], |r| r.get(0)).unwrap();
    assert_eq!(obj, format!("form:{id}"));
    assert!(store.audit_verify().unwrap().is_ok());
}

#[test]
fn fourteen_yes_graded_high_creates_marac_idva_and_child_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-1", 2);
    let s = submit_risk(&mut store, &actor, &inc, Grade::High);
    let sug = s.suggestion.expect("risk packs have a suggestion");
    assert_eq!(sug.yes_count, 14);
    assert_eq!(sug.suggested, Grade::High);
    let mut kinds: Vec<&str> = s.tasks.iter().map(|t| t.kind.as_str()).collect();
    kinds.sort();
    assert_eq!(kinds, ["concern_for_child", "idva_referral", "marac_referral", "supervisor_review"]);
    let detail = store.get_incident(&inc).unwrap();
    assert_eq!(detail.tasks.len(), 4);
    assert!(detail.tasks.iter().all(|t| t.status == "open" && t.due_at.is_some()));

    // Graded standard on a form with 13 yes and no linked children: no MARAC or IDVA (the
    // answers still mention children, so the Concern-for-a-Child prompt stays).
    let inc2 =
        add(&mut store, incident("INC-2", "domestic_abuse", Some("DA"), 2, &[("V1", "victim"), ("S1", "suspect")]));
    let mut a = dash_14_yes();
    a["q17"] = json!("no");
    let id = fill(&mut store, &actor, &inc2, DASH, a);
    let s = submitted(store.submit_form(&actor, &id, Some(Grade::Standard), Some("r")).unwrap());
    assert_eq!(s.tasks.iter().map(|t| t.kind.as_str()).collect::<Vec<_>>(), ["supervisor_review", "concern_for_child"]);
}

/// A plan's action due dates and review date may not be in the past when it is submitted; an
/// amendment of a returned plan measures them from its first version's submission, so the
/// dates it was written with, passed since, do not stop it going back (review, 7 Dec 2026).
#[test]
fn a_returned_plan_goes_back_with_the_dates_it_was_written_with() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-1", 2);
    let day = |offset_days: i64| ts(now_unix() + offset_days * 86_400).get(..10).unwrap().to_string();
    let pack = catalog().unwrap().pack(PLAN).unwrap();
    let mut answers = sample_answers(pack, &["V1".into(), "S1".into()], false);
    answers["actions"][0]["due"] = json!(day(-5));
    let in_past = |out: SubmitOutcome| match out {
        SubmitOutcome::Rejected { issues } => issues.iter().any(|i| {
            matches!(i, SubmitIssue::Field(f) if f.path == "actions[0].due"
                && f.kind == bluelamp_forms::answers::IssueKind::InPast)
        }),
        SubmitOutcome::Submitted(_) => false,
    };
    // A new plan: an action due five days ago is refused.
    let id = fill(&mut store, &actor, &inc, PLAN, answers.clone());
    assert!(in_past(store.submit_form(&actor, &id, None, None).unwrap()));
    answers["actions"][0]["due"] = json!(day(1));
    store.save_draft(&actor, &id, &answers, None).unwrap();
    submitted(store.submit_form(&actor, &id, None, None).unwrap());
    // Submitted ten days ago (as if), returned, amended now: its dates are from then.
    store
        .conn()
        .execute(
            "UPDATE forms SET submitted_at = ?2 WHERE id = ?1",
            rusqlite::params![id, ts(now_unix() - 10 * 86_400)],
        )
        .unwrap();
    let sgt = Actor { officer_id: "SGT1".into(), ..actor.clone() };
    store.review_form(&sgt, &id, ReviewDecision::Return, Some("Add the victim's words")).unwrap();
    let am = store.amend_form(&actor, &id).unwrap();
    answers["actions"][0]["due"] = json!(day(-12));
    store.save_draft(&actor, &am, &answers, None).unwrap();
    assert!(in_past(store.submit_form(&actor, &am, None, None).unwrap()), "before the first version");
    answers["actions"][0]["due"] = json!(day(-5));
    store.save_draft(&actor, &am, &answers, None).unwrap();
    submitted(store.submit_form(&actor, &am, None, None).unwrap());
}

#[test]
fn submitted_form_is_immutable_and_amendments_replace_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-1", 2);
    let s = submit_risk(&mut store, &actor, &inc, Grade::High);
    let id = s.form_id;
    let err = store.conn().execute("UPDATE forms SET answers = '{}' WHERE id = ?1", [&id]).unwrap_err();
    assert!(err.to_string().contains("immutable"), "{err}");
    assert!(matches!(store.save_draft(&actor, &id, &json!({}), None), Err(CaseworkError::NotEditable)));
    assert!(matches!(
        store.submit_form(&actor, &id, Some(Grade::High), Some("r")).unwrap(),
        SubmitOutcome::Rejected { .. }
    ));

    // Supervisor returns it with comments; the officer amends and resubmits.
    let sgt = Actor { officer_id: "SGT1".into(), ..actor.clone() };
    assert!(matches!(
        store.review_form(&sgt, &id, ReviewDecision::Return, None),
        Err(CaseworkError::Review(bluelamp_forms::ReviewError::MissingComments))
    ));
    assert!(matches!(
        store.review_form(&actor, &id, ReviewDecision::Approve, None),
        Err(CaseworkError::Review(bluelamp_forms::ReviewError::SelfReview))
    ));
    let info = store.review_form(&sgt, &id, ReviewDecision::Return, Some("Say why High")).unwrap();
    assert_eq!(info.status, FormStatus::Returned);
    assert_eq!(info.reviews.len(), 1);
    assert_eq!(info.reviews[0].comments.as_deref(), Some("Say why High"));

    let am = store.amend_form(&actor, &id).unwrap();
    assert_ne!(am, id);
    assert_eq!(store.amend_form(&actor, &id).unwrap(), am, "an open amendment is resumed");
    let f = store.get_form(&am).unwrap();
    assert_eq!(f.info.amends_id.as_deref(), Some(id.as_str()));
    assert_eq!(f.info.status, FormStatus::Draft);
    assert_eq!(f.answers["q1"], "yes");
    let mut a = f.answers.clone();
    a["other_info"] = json!("Threats to kill since separation");
    store.save_draft(&actor, &am, &a, Some("summary")).unwrap();
    let s2 = submitted(store.submit_form(&actor, &am, Some(Grade::High), Some("Threats to kill")).unwrap());
    // MARAC/IDVA are already open: not repeated; the new form gets its own review task.
    let kinds: Vec<&str> = s2.tasks.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(kinds, ["supervisor_review"]);
    assert_eq!(store.get_form(&id).unwrap().answers["q1"], "yes", "the original is unchanged");
    let d = store.get_incident(&inc).unwrap();
    let open_reviews = d.tasks.iter().filter(|t| t.kind == "supervisor_review" && t.status == "open").count();
    assert_eq!(open_reviews, 1);
    assert_eq!(d.forms.len(), 2);

    // The replaced version is not amended again (that made two "current" assessments); the
    // newest is.
    let again = store.amend_form(&actor, &id).unwrap_err().to_string();
    assert!(again.contains("amended since") && again.contains(&am), "{again}");
    let am2 = store.amend_form(&actor, &am).unwrap();
    // Once the incident is finalised, nothing it was closed on changes: no amendment is
    // started, and one already open is not submitted.
    store
        .conn()
        .execute(
            "UPDATE incidents SET status = 'finalised', finalised_at = '2026-09-01T10:00:00Z' WHERE id = ?1",
            [&inc],
        )
        .unwrap();
    assert!(matches!(store.amend_form(&actor, &am), Err(CaseworkError::Finalised)));
    assert!(matches!(
        store.submit_form(&actor, &am2, Some(Grade::High), Some("after closing")),
        Err(CaseworkError::Finalised)
    ));
    // Except where a supervisor returned the form: the return asks for the amendment, and
    // without it the "amend and resubmit" item stayed overdue on the closed incident for good.
    store.conn().execute("UPDATE forms SET status = 'returned' WHERE id = ?1", [&am]).unwrap();
    let am3 = store.amend_form(&actor, &am).unwrap();
    assert!(matches!(
        store.submit_form(&actor, &am3, Some(Grade::High), Some("as the supervisor asked")).unwrap(),
        SubmitOutcome::Submitted(_)
    ));
}

/// A MARAC criterion met below a High grade (14 "yes" answers graded Medium) makes the "Make a
/// MARAC referral" task, and the gate asks for the MARAC referral too: it used to finalise with
/// none, the task left open on a closed incident (review, 7 Dec 2026). IDVA stays for High.
#[test]
fn a_marac_criterion_met_below_high_is_asked_for_by_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-1", 2);
    let s = submit_risk(&mut store, &actor, &inc, Grade::Medium);
    assert!(s.tasks.iter().any(|t| t.kind == "marac_referral"), "{:?}", s.tasks);
    assert!(!s.tasks.iter().any(|t| t.kind == "idva_referral"), "{:?}", s.tasks);
    let v1_notifications = |store: &Store| -> Vec<String> {
        store
            .get_incident(&inc)
            .unwrap()
            .gate
            .missing
            .iter()
            .filter(|m| m.kind == MissingKind::Notification && m.victim_id.as_deref() == Some("V1"))
            .map(|m| m.label.clone())
            .collect()
    };
    let asked = v1_notifications(&store);
    assert!(asked.len() == 1 && asked[0].contains("MARAC"), "{asked:?}");
    let p = store.victims_assessment(&inc, now_unix()).unwrap();
    let v1 = p.assessment.victims.iter().find(|v| v.person_id == "V1").unwrap();
    assert!(v1.destinations.iter().any(|d| d.code == "marac"), "{:?}", v1.destinations);
    assert!(!v1.destinations.iter().any(|d| d.code == "idva"), "IDVA is for High: {:?}", v1.destinations);
    let marac = ReferralDecisionInput { destination: Some("marac".into()), safe_contact: None, ..referred("idva") };
    store.record_referral_decision(&actor, &inc, "V1", &marac).unwrap();
    assert!(v1_notifications(&store).is_empty());
    let d = store.get_incident(&inc).unwrap();
    assert!(!d.tasks.iter().any(|t| t.kind == "marac_referral" && t.status == "open"), "{:?}", d.tasks);

    // Fewer "yes" answers and no other criterion, graded Medium: no MARAC is asked for.
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc2 = da(&mut store, "INC-2", 2);
    let mut answers = dash_14_yes();
    answers["q2"] = json!("no");
    let id = fill(&mut store, &actor, &inc2, DASH, answers);
    let s = submitted(store.submit_form(&actor, &id, Some(Grade::Medium), Some("13 yes; no escalation")).unwrap());
    assert!(!s.tasks.iter().any(|t| t.kind == "marac_referral"), "{:?}", s.tasks);
    let missing = store.get_incident(&inc2).unwrap().gate.missing;
    assert!(!missing.iter().any(|m| m.label.contains("MARAC")), "{missing:?}");
}

/// Two adults linked as victims of domestic abuse: each needs a risk assessment and a plan of
/// their own (the forms' `victim` answers), a child under 16 linked as a victim does not (the
/// care plan and notifications cover them), and the first victim's forms do not close the
/// incident (review, 7 Dec 2026: they did, the second victim never assessed).
#[test]
fn each_adult_victim_of_domestic_abuse_needs_their_own_assessment_and_plan() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = add(
        &mut store,
        incident("INC-2V", "domestic_abuse", Some("DA"), 2, &[("V1", "victim"), ("V2", "victim"), ("S1", "suspect")]),
    );
    let own = |store: &Store| -> Vec<(MissingKind, Option<String>)> {
        let mut v: Vec<_> = store
            .get_incident(&inc)
            .unwrap()
            .gate
            .missing
            .into_iter()
            .filter(|m| matches!(m.kind, MissingKind::RiskAssessment | MissingKind::SafeguardingPlan))
            .map(|m| (m.kind, m.victim_id))
            .collect();
        v.sort();
        v
    };
    submit_risk(&mut store, &actor, &inc, Grade::Medium);
    submit_plain(&mut store, &actor, &inc, PLAN, &["V1", "S1"]);
    assert_eq!(
        own(&store),
        [(MissingKind::RiskAssessment, Some("V2".into())), (MissingKind::SafeguardingPlan, Some("V2".into()))]
    );
    let label = store.get_incident(&inc).unwrap().gate.missing[0].label.clone();
    assert!(label.contains("for V2"), "{label}");
    // V2's own: a DASH and a plan naming V2.
    let mut a = dash_14_yes();
    a["victim"] = json!("V2");
    let id = fill(&mut store, &actor, &inc, DASH, a);
    submitted(store.submit_form(&actor, &id, Some(Grade::High), Some("Threats to kill V2")).unwrap());
    let pack = catalog().unwrap().pack(PLAN).unwrap();
    let id = fill(&mut store, &actor, &inc, PLAN, sample_answers(pack, &["V2".into(), "S1".into()], false));
    submitted(store.submit_form(&actor, &id, None, None).unwrap());
    assert_eq!(own(&store), []);

    // A 12-year-old linked as a victim too is not asked a DASH of their own.
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    store
        .upsert_nominals(&[NominalRecord {
            id: "K1".into(),
            source: Source::Current,
            given_name: "Kid".into(),
            surname: "Young".into(),
            date_of_birth: Some(ts(now_unix() - 12 * 366 * 86_400).get(..10).unwrap().to_string()),
            sex: None,
            aliases: vec![],
            address: None,
            postcode: None,
        }])
        .unwrap();
    let inc = add(
        &mut store,
        incident("INC-K", "domestic_abuse", Some("DA"), 2, &[("V1", "victim"), ("K1", "victim"), ("S1", "suspect")]),
    );
    submit_risk(&mut store, &actor, &inc, Grade::Medium);
    submit_plain(&mut store, &actor, &inc, PLAN, &["V1", "S1"]);
    let missing = store.get_incident(&inc).unwrap().gate.missing;
    assert!(
        !missing.iter().any(|m| matches!(m.kind, MissingKind::RiskAssessment | MissingKind::SafeguardingPlan)),
        "{missing:?}"
    );
}

/// Started from the gate's item for one victim, a risk assessment starts with them as its
/// victim, and a draft about another victim is not resumed for them (it was: the button for
/// the second victim opened the first victim's draft); a draft naming nobody yet is.
#[test]
fn a_form_started_for_one_victim_names_them_and_leaves_anothers_draft() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = add(
        &mut store,
        incident("INC-SV", "domestic_abuse", Some("DA"), 2, &[("V1", "victim"), ("V2", "victim"), ("S1", "suspect")]),
    );
    let victim_of = |store: &Store, id: &str| store.get_form(id).unwrap().answers["victim"].clone();
    let v1 = store.start_form_about(&actor, &inc, DASH, Some("V1")).unwrap();
    assert_eq!(victim_of(&store, &v1), json!("V1"));
    let v2 = store.start_form_about(&actor, &inc, DASH, Some("V2")).unwrap();
    assert_ne!(v2, v1, "V1's draft is not V2's");
    assert_eq!(victim_of(&store, &v2), json!("V2"));
    assert_eq!(store.start_form_about(&actor, &inc, DASH, Some("V2")).unwrap(), v2, "V2's own draft resumes");
    // Without a victim: the first draft, as before; someone not linked is not written in.
    assert_eq!(store.start_form(&actor, &inc, DASH).unwrap(), v1);
    let other = add(&mut store, incident("INC-SV2", "domestic_abuse", Some("DA"), 2, &[("V1", "victim")]));
    let f = store.start_form_about(&actor, &other, DASH, Some("'; DROP TABLE forms; --")).unwrap();
    assert_eq!(victim_of(&store, &f), Value::Null);
    // A draft naming nobody yet is resumed for a victim.
    assert_eq!(store.start_form_about(&actor, &other, DASH, Some("V1")).unwrap(), f);
}

/// Each victim's own risk assessment decides their IDVA and MARAC: a High assessment about V1
/// and a Standard one (few "yes", no criterion) about V2 make both due for V1 only. Before
/// (review, 7 Dec 2026) the incident's latest grade applied to every victim.
#[test]
fn each_victims_own_assessment_decides_their_idva_and_marac() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = add(
        &mut store,
        incident("INC-2R", "domestic_abuse", Some("DA"), 2, &[("V1", "victim"), ("V2", "victim"), ("S1", "suspect")]),
    );
    let mut a = dash_14_yes();
    for q in [2, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17] {
        a[format!("q{q}")] = json!("no");
    }
    a["victim"] = json!("V2");
    let id = fill(&mut store, &actor, &inc, DASH, a);
    submitted(store.submit_form(&actor, &id, Some(Grade::Standard), Some("One yes; V2 feels safe")).unwrap());
    // V1's, submitted later: the incident's latest grade is High.
    submit_risk(&mut store, &actor, &inc, Grade::High);
    let p = store.victims_assessment(&inc, now_unix()).unwrap();
    let codes = |id: &str| -> Vec<String> {
        let v = p.assessment.victims.iter().find(|v| v.person_id == id).unwrap();
        let mut c: Vec<String> =
            v.destinations.iter().map(|d| d.code.clone()).filter(|c| c == "idva" || c == "marac").collect();
        c.sort();
        c
    };
    assert_eq!(codes("V1"), ["idva", "marac"]);
    assert_eq!(codes("V2"), Vec::<String>::new(), "V2's own assessment is Standard");
    let marac_for: Vec<Option<String>> = store
        .get_incident(&inc)
        .unwrap()
        .gate
        .missing
        .into_iter()
        .filter(|m| m.kind == MissingKind::Notification && m.label.contains("MARAC"))
        .map(|m| m.victim_id)
        .collect();
    assert_eq!(marac_for, [Some("V1".to_string())]);
}

#[test]
fn da_incident_cannot_be_finalised_until_assessment_plan_and_referral_decisions_exist() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-1", 2);
    let before = snapshot(&store);
    let kinds = missing_kinds(store.finalise_incident(&actor, &inc).unwrap_err());
    assert_eq!(
        kinds,
        [
            // V1's own (the child present has the care plan's and the notifications).
            (MissingKind::RiskAssessment, Some("V1".into())),
            (MissingKind::SafeguardingPlan, Some("V1".into())),
            (MissingKind::VictimReferralDecision, Some("C1".into())),
            (MissingKind::VictimReferralDecision, Some("V1".into())),
            // The child's school and children's services (no date of birth: still a child).
            (MissingKind::Notification, Some("C1".into())),
            (MissingKind::Notification, Some("C1".into())),
        ]
    );
    let after = snapshot(&store);
    assert_eq!(after[0], before[0], "a refusal queues nothing");
    assert_eq!(after[1], before[1] + 1, "the refused attempt is logged");
    let outcome: String =
        store.conn().query_row("SELECT outcome FROM audit ORDER BY seq DESC LIMIT 1", [], |r| r.get(0)).unwrap();
    assert_eq!(outcome, "denied");
    assert_eq!(store.get_incident(&inc).unwrap().summary.status, IncidentStatus::Open);

    // High risk: the MARAC notification the rules require for V1 is missing too (it proceeds
    // without consent, and the gate waits for it).
    submit_risk(&mut store, &actor, &inc, Grade::High);
    let kinds = missing_kinds(store.finalise_incident(&actor, &inc).unwrap_err());
    assert_eq!(
        kinds,
        [
            (MissingKind::SafeguardingPlan, Some("V1".into())),
            (MissingKind::VictimReferralDecision, Some("C1".into())),
            (MissingKind::VictimReferralDecision, Some("V1".into())),
            (MissingKind::Notification, Some("C1".into())),
            (MissingKind::Notification, Some("C1".into())),
            (MissingKind::Notification, Some("V1".into())),
        ]
    );

    submit_plain(&mut store, &actor, &inc, PLAN, &["V1", "S1"]);
    let kinds = missing_kinds(store.finalise_incident(&actor, &inc).unwrap_err());
    assert!(kinds.iter().all(|k| matches!(k.0, MissingKind::VictimReferralDecision | MissingKind::Notification)));
    assert_eq!(kinds.len(), 5);

    store.record_referral_decision(&actor, &inc, "V1", &referred("idva")).unwrap();
    let gate = store.get_incident(&inc).unwrap().gate;
    assert!(!gate.can_finalise);
    let left: Vec<(MissingKind, Option<&str>)> =
        gate.missing.iter().map(|m| (m.kind, m.victim_id.as_deref())).collect();
    assert_eq!(
        left,
        [
            (MissingKind::VictimReferralDecision, Some("C1")),
            (MissingKind::Notification, Some("C1")),
            (MissingKind::Notification, Some("C1")),
            (MissingKind::Notification, Some("V1"))
        ]
    );
    assert!(gate.missing[3].label.contains("MARAC"), "{}", gate.missing[3].label);
    let marac = ReferralDecisionInput { destination: Some("marac".into()), safe_contact: None, ..referred("idva") };
    store.record_referral_decision(&actor, &inc, "V1", &marac).unwrap();
    let gate = store.get_incident(&inc).unwrap().gate;
    assert_eq!(gate.missing.len(), 3);
    assert!(gate.missing.iter().all(|m| m.victim_id.as_deref() == Some("C1")), "{:?}", gate.missing);
    let deferred = ReferralDecisionInput {
        outcome: ReferralOutcome::Deferred,
        destination: None,
        consent_given: None,
        in_their_words: None,
        reason: Some("Suspect present".into()),
        follow_up_due: None,
        services_offered: vec![],
        safe_contact: None,
        needs: Default::default(),
    };
    store.record_referral_decision(&actor, &inc, "C1", &deferred).unwrap();
    // A deferral settles the child's decision, not the notifications their school and children's
    // services are owed.
    let d = store.get_incident(&inc).unwrap();
    assert!(d.gate.missing.iter().all(|m| m.kind == MissingKind::Notification), "{:?}", d.gate.missing);
    for dest in ["operation_encompass", "childrens_services"] {
        let n = ReferralDecisionInput { destination: Some(dest.into()), safe_contact: None, ..referred("idva") };
        store.record_referral_decision(&actor, &inc, "C1", &n).unwrap();
    }
    let d = store.get_incident(&inc).unwrap();
    assert!(d.gate.can_finalise, "{:?}", d.gate.missing);
    assert!(d.tasks.iter().any(|t| t.kind == "referral_follow_up"));
    store.finalise_incident(&actor, &inc).unwrap();
    let d = store.get_incident(&inc).unwrap();
    assert_eq!(d.summary.status, IncidentStatus::Finalised);
    let last: String =
        store.conn().query_row("SELECT mutation FROM outbox ORDER BY seq DESC LIMIT 1", [], |r| r.get(0)).unwrap();
    assert_eq!(last, "incident.finalise/1");
    assert!(matches!(store.finalise_incident(&actor, &inc), Err(CaseworkError::Finalised)));
    assert!(matches!(store.set_closing_code(&actor, &inc, Some("ASB")), Err(CaseworkError::Finalised)));
}

#[test]
fn no_code_or_unknown_code_cannot_be_finalised_and_codes_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    // No victim linked: a victim of a theft would need a referral decision under any code
    // (`a_crime_victim_needs_a_referral_decision_whatever_the_closing_code`).
    let inc = add(&mut store, incident("INC-1", "theft", None, 2, &[("W1", "witness")]));
    let kinds = missing_kinds(store.finalise_incident(&actor, &inc).unwrap_err());
    assert_eq!(kinds, [(MissingKind::NoClosingCode, None)]);
    match store.set_closing_code(&actor, &inc, Some("BOGUS")) {
        Err(CaseworkError::Invalid(m)) => assert!(m.contains("ADVICE") && m.contains("CRIME"), "says the codes: {m}"),
        other => panic!("{other:?}"),
    }
    store.set_closing_code(&actor, &inc, Some("advice")).unwrap();
    assert_eq!(store.get_incident(&inc).unwrap().summary.closing_code.as_deref(), Some("ADVICE"));
    store.finalise_incident(&actor, &inc).unwrap();
}

#[test]
fn concern_for_a_child_needs_an_approved_care_plan() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = add(
        &mut store,
        incident("INC-1", "concern_for_child", None, 3, &[("C2", "child"), ("R1", "reporting_person")]),
    );
    store.set_closing_code(&actor, &inc, Some("CFAC")).unwrap();
    let kinds = missing_kinds(store.finalise_incident(&actor, &inc).unwrap_err());
    assert_eq!(kinds, [(MissingKind::CarePlan, None)]);
    // A draft is not enough.
    let pack = catalog().unwrap().pack(CARE).unwrap();
    let draft = fill(&mut store, &actor, &inc, CARE, sample_answers(pack, &["C2".into(), "R1".into()], false));
    let missing = match store.finalise_incident(&actor, &inc).unwrap_err() {
        CaseworkError::Refused { missing } => missing,
        e => panic!("{e:?}"),
    };
    assert_eq!(missing[0].form_id.as_deref(), Some(draft.as_str()));
    submitted(store.submit_form(&actor, &draft, None, None).unwrap());
    // Supervisor review is mandatory before closure with a Concern-for-a-Child code.
    let kinds = missing_kinds(store.finalise_incident(&actor, &inc).unwrap_err());
    assert_eq!(kinds, [(MissingKind::SupervisorApproval, None)]);
    let sgt = Actor { officer_id: "SGT1".into(), ..actor.clone() };
    store.review_form(&sgt, &draft, ReviewDecision::Approve, None).unwrap();
    store.finalise_incident(&actor, &inc).unwrap();
}

#[test]
fn duplicate_active_referral_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-1", 2);
    let before = snapshot(&store);
    store.record_referral_decision(&actor, &inc, "V1", &referred("idva")).unwrap();
    let err = store.record_referral_decision(&actor, &inc, "V1", &referred("IDVA")).unwrap_err();
    assert!(matches!(&err, CaseworkError::DuplicateReferral { victim_id, destination }
        if victim_id == "V1" && destination == "idva"));
    assert!(err.to_string().contains("already has an active referral"));
    let after = snapshot(&store);
    assert_eq!(after[0], before[0] + 1, "only the first decision is queued");
    assert_eq!(after[1], before[1] + 1);
    // Another destination is fine; so is a decline recorded twice.
    store.record_referral_decision(&actor, &inc, "V1", &referred("general_victim_service")).unwrap();
    let declined = ReferralDecisionInput {
        outcome: ReferralOutcome::Declined,
        destination: None,
        consent_given: None,
        in_their_words: Some("I don't want anyone else involved".into()),
        reason: None,
        follow_up_due: None,
        services_offered: vec!["national-helpline".into()],
        safe_contact: None,
        needs: Default::default(),
    };
    store.record_referral_decision(&actor, &inc, "C1", &declined).unwrap();
    // Field checks and victim checks.
    let mut bad = declined.clone();
    bad.in_their_words = Some("  ".into());
    // Rejected by the rules engine, with the field named.
    assert!(matches!(store.record_referral_decision(&actor, &inc, "C1", &bad),
        Err(CaseworkError::Rejected { errors, .. }) if errors.iter().any(|e| e.field == "in_their_words")));
    assert!(matches!(
        store.record_referral_decision(&actor, &inc, "S1", &referred("idva")),
        Err(CaseworkError::Invalid(_))
    ));
    let (name, payload): (String, String) = store
        .conn()
        .query_row("SELECT mutation, payload FROM outbox ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!(name, "referral.decision/1");
    assert!(payload.contains("I don't want anyone else involved"));
}

#[test]
fn queue_lists_incomplete_incidents_by_risk_then_age() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let sgt = Actor { officer_id: "SGT1".into(), ..actor.clone() };
    let old_ungraded = da(&mut store, "INC-OLD", 30);
    let new_ungraded = da(&mut store, "INC-NEW", 5);
    let high = da(&mut store, "INC-HIGH", 1);
    let medium = da(&mut store, "INC-MED", 40);
    let done = da(&mut store, "INC-DONE", 50);
    // Recorded 10 days ago with no referral decision: its Victims' Code deadline (2 working
    // days) is breached, so it is escalated although its type needs no closing-code items.
    let theft = add(&mut store, incident("INC-THEFT", "theft", None, 240, &[("V9", "victim")]));
    let untyped_da = add(&mut store, incident("INC-TYPE", "domestic_abuse", None, 70, &[("V8", "victim")]));

    submit_risk(&mut store, &actor, &high, Grade::High);
    submit_risk(&mut store, &actor, &medium, Grade::Medium);
    // Complete, reviewed and finalised: not on the queue.
    let r = submit_risk(&mut store, &actor, &done, Grade::Standard);
    let p = submit_plain(&mut store, &actor, &done, PLAN, &["V1", "S1"]);
    for f in [&r.form_id, &p.form_id] {
        store.review_form(&sgt, f, ReviewDecision::Approve, None).unwrap();
    }
    for v in ["V1", "C1"] {
        store.record_referral_decision(&actor, &done, v, &referred("general_victim_service")).unwrap();
    }
    for dest in ["operation_encompass", "childrens_services"] {
        let n = ReferralDecisionInput { destination: Some(dest.into()), safe_contact: None, ..referred("idva") };
        store.record_referral_decision(&actor, &done, "C1", &n).unwrap();
    }
    // 14 "yes" answers meet a MARAC criterion, whatever the grade: the MARAC referral is due.
    let marac = ReferralDecisionInput { destination: Some("marac".into()), safe_contact: None, ..referred("idva") };
    store.record_referral_decision(&actor, &done, "V1", &marac).unwrap();
    store.finalise_incident(&actor, &done).unwrap();

    let q = store.supervisor_queue(now_unix()).unwrap();
    let order: Vec<&str> = q.items.iter().map(|i| i.incident_id.as_str()).collect();
    // INC-MED was graded Medium against a suggested High (14 "yes" answers): it ranks with the
    // high risks (older first), flagged, instead of below the ungraded ones.
    assert_eq!(
        order,
        [
            medium.as_str(),
            high.as_str(),
            untyped_da.as_str(),
            old_ungraded.as_str(),
            new_ungraded.as_str(),
            theft.as_str()
        ]
    );
    assert_eq!((q.items[0].risk, q.items[0].suggestion_above_grade), (QueueRisk::High, true));
    assert_eq!((q.items[1].risk, q.items[1].suggestion_above_grade), (QueueRisk::High, false));
    assert!(!order.contains(&done.as_str()));
    let t = &q.items[5];
    assert!(t.is_overdue() && t.problems.len() == 1, "{t:?}");
    assert_eq!(t.problems[0].item, MissingKind::VictimReferralDecision);
    assert_eq!(t.problems[0].victim_id.as_deref(), Some("V9"));
    assert!(t.problems[0].label.contains("working day"), "{}", t.problems[0].label);
    // Older than 24 h without a risk assessment: overdue.
    assert!(q.items.iter().find(|i| i.incident_id == old_ungraded).unwrap().is_overdue());
    // Five hours old: not overdue for its risk assessment. (Its Operation Encompass notification
    // may be: it is due before the first school day that starts after the recording, and five
    // hours ago may have been before 08:30 this morning.)
    let new = q.items.iter().find(|i| i.incident_id == new_ungraded).unwrap();
    assert!(
        new.problems.iter().filter(|p| p.item != MissingKind::Notification).all(|p| !p.kind.is_overdue()),
        "{new:?}"
    );
    let counts = &q.team_counts["Maidstone Response 2"];
    assert_eq!(counts.incidents, 6);
    assert_eq!(counts.unreviewed_forms, 2);
    // Coded DA in the last 24 h (recorded recently), incomplete ones first.
    assert!(q.daily_review.iter().any(|d| d.incident_id == high && !d.complete));
}

#[test]
fn demo_incidents_are_seeded_once_with_names() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _actor) = new_store(&dir);
    let rows: Vec<NominalRecord> = bluelamp_demo::people(200, bluelamp_demo::DEMO_SEED)
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
    let now = 1_780_000_000;
    assert_eq!(store.seed_demo_incidents(30, 7, now).unwrap(), 30);
    assert_eq!(store.seed_demo_incidents(30, 7, now).unwrap(), 0, "idempotent");
    let list = store.list_incidents().unwrap();
    assert_eq!(list.len(), 30);
    assert!(list.iter().all(|i| i.assigned_to.as_deref() == Some("PC1") && uuid::Uuid::parse_str(&i.id).is_ok()));
    assert!(list.iter().all(|i| !i.links.is_empty() && i.links.iter().all(|l| l.name.is_some())));
    assert!(list.windows(2).all(|w| w[0].occurred_at >= w[1].occurred_at), "newest first");
    let d = store.get_incident(&list[0].id).unwrap();
    assert_eq!(d.summary, list[0]);
    assert!(matches!(store.get_incident("nope"), Err(CaseworkError::NotFound(_))));
}

#[test]
fn form_suggestion_is_recomputed_for_the_reviewer() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-1", 2);
    let s = submit_risk(&mut store, &actor, &inc, Grade::High);
    let sug = store.form_suggestion(&s.form_id).unwrap().expect("a risk pack is graded");
    assert_eq!(Some(&sug), s.suggestion.as_ref(), "the reviewer sees what the officer saw");
    let plan = store.start_form(&actor, &inc, "da-safeguarding-plan").unwrap();
    assert_eq!(store.form_suggestion(&plan).unwrap(), None, "plans are not graded");
    assert!(matches!(store.form_suggestion("no-such-form"), Err(CaseworkError::NotFound(_))));
}

/// Monday 17 March 2025, 10:00 UTC: when the queue is read for [`friday_evening`] incidents.
const MONDAY_10H: i64 = 1_742_205_600;

/// An incident on Friday 14 March 2025 at 19:00 UTC, recorded at 19:05.
fn friday_evening(store: &mut Store, reference: &str, kind: &str, code: &str, links: &[(&str, &str)]) -> String {
    let inc = NewIncident {
        occurred_at: 1_741_978_800,
        recorded_at: 1_741_979_100,
        ..incident(reference, kind, Some(code), 0, links)
    };
    add(store, inc)
}

/// The team counts agree with the items after the store replaces a referral problem's 48-hour
/// deadline (from the incident) by the Victims' Code working-day one (from the recording): an
/// incident late on a Friday is overdue by 48 hours on Monday morning, not by working days.
#[test]
fn team_counts_follow_working_day_deadlines() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = new_store(&dir);
    let inc = friday_evening(&mut store, "INC-WKND", "assault", "CRIME", &[("V9", "victim")]);
    let monday = MONDAY_10H;
    let q = store.supervisor_queue(monday).unwrap();
    let item = q.items.iter().find(|i| i.incident_id == inc).expect("the referral decision is outstanding");
    let p = item.problems.iter().find(|p| p.item == MissingKind::VictimReferralDecision).unwrap();
    let v = store.victims_assessment(&inc, monday).unwrap();
    let due = v.assessment.victims.iter().find(|v| v.person_id == "V9").unwrap().referral_deadline.due;
    assert_eq!(p.deadline, bluelamp_store::victims::end_of_uk_day(due), "{p:?}");
    assert!(p.deadline > monday && !item.is_overdue(), "{item:?}");
    assert_eq!(q.team_counts, bluelamp_forms::team_counts(&q.items));
    assert_eq!(q.team_counts["Maidstone Response 2"].overdue, 0);
}

/// The notifications a child needs are listed with the Victims' Code's deadlines, not 48 hours
/// from the incident: children's services with the referral decision in working days (a Friday
/// evening incident is not overdue on Monday morning); Operation Encompass before the next
/// school day starts, so by Monday 10:00 it is overdue (since 7 Dec 2026; it had the decision's
/// deadline too).
/// An incident recorded at 02:10 on a school day (Wednesday 9 December 2026, GMT): the school
/// is told before that morning's school day starts, 08:30, not the next day's (review, 7 Dec
/// 2026: the queue said "due before the school day starts on 2026-12-10").
#[test]
fn operation_encompass_for_an_overnight_incident_is_due_that_morning() {
    const WED_0210: i64 = 1_796_782_200;
    const WED_0700: i64 = 1_796_799_600;
    const WED_0900: i64 = 1_796_806_800;
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = new_store(&dir);
    let inc = NewIncident {
        occurred_at: WED_0210 - 1800,
        recorded_at: WED_0210,
        ..incident(
            "INC-NIGHT",
            "domestic_abuse",
            Some("DA"),
            0,
            &[("V1", "victim"), ("S1", "suspect"), ("C1", "child")],
        )
    };
    let inc = add(&mut store, inc);
    let wednesday = time::macros::date!(2026 - 12 - 09);
    let v = store.victims_assessment(&inc, WED_0700).unwrap();
    let child = v.assessment.victims.iter().find(|v| v.person_id == "C1").unwrap();
    let encompass = child.destinations.iter().find(|d| d.code == "operation_encompass").expect("applies");
    assert_eq!(encompass.due_before, Some(wednesday));
    for (now, overdue) in [(WED_0700, false), (WED_0900, true)] {
        let q = store.supervisor_queue(now).unwrap();
        let school = q
            .items
            .iter()
            .filter(|i| i.incident_id == inc)
            .flat_map(|i| i.problems.iter())
            .find(|p| p.item == MissingKind::Notification && p.label.contains("Operation Encompass"))
            .expect("listed");
        assert_eq!(school.deadline, WED_0900 - 1800, "{}", school.label);
        assert!(school.label.ends_with("the school day starts on 2026-12-09"), "{}", school.label);
        assert_eq!(school.kind == bluelamp_forms::ProblemKind::Overdue, overdue, "{}", school.label);
    }
}

#[test]
fn notifications_on_the_queue_follow_working_day_deadlines() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = new_store(&dir);
    let inc = friday_evening(&mut store, "INC-WKND-DA", "domestic_abuse", "DA", &[("V9", "victim"), ("C9", "child")]);
    let monday = MONDAY_10H;
    let q = store.supervisor_queue(monday).unwrap();
    let item = q.items.iter().find(|i| i.incident_id == inc).expect("the DA incident is outstanding");
    let v = store.victims_assessment(&inc, monday).unwrap();
    let due = v.assessment.victims.iter().find(|v| v.person_id == "C9").unwrap().referral_deadline.due;
    let notes: Vec<_> = item.problems.iter().filter(|p| p.item == MissingKind::Notification).collect();
    assert_eq!(notes.len(), 2, "{:?}", item.problems);
    for p in notes {
        if p.label.contains("Operation Encompass") {
            let before = time::OffsetDateTime::from_unix_timestamp(monday).unwrap().date();
            assert_eq!(p.deadline, bluelamp_store::victims::school_day_start(before), "{p:?}");
            assert!(p.deadline < monday && p.kind == bluelamp_forms::ProblemKind::Overdue, "{p:?}");
        } else {
            assert_eq!(p.deadline, bluelamp_store::victims::end_of_uk_day(due), "{p:?}");
            assert!(p.deadline > monday, "{p:?}");
        }
    }
}

/// The gate checks the code the incident's type implies as well as the chosen one: a DA
/// incident closed as "Advice" still needs its risk assessment, plan and referral decisions.
/// Only "duplicate or no incident found" (NFA-DUP) replaces the type's code.
#[test]
fn a_da_incident_cannot_be_closed_around_its_safeguarding_with_another_code() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-ADV", 1);
    store.set_closing_code(&actor, &inc, Some("ADVICE")).unwrap();
    let kinds = missing_kinds(store.finalise_incident(&actor, &inc).unwrap_err());
    assert_eq!(kinds.first(), Some(&(MissingKind::RiskAssessment, Some("V1".into()))), "{kinds:?}");
    let gate = store.get_incident(&inc).unwrap().gate;
    assert!(!gate.can_finalise && gate.missing.iter().all(|m| m.code == "DA"), "{:?}", gate.missing);
    store.set_closing_code_with(&actor, &inc, Some("NFA-DUP"), Some(&none_found())).unwrap();
    store.finalise_incident(&actor, &inc).unwrap();
}

/// A referral problem of a finalised incident (closed as a duplicate, which the gate lets
/// through, but still on the queue) takes the working-day deadline too, with or without a
/// deferred victim on the same incident.
#[test]
fn referral_problems_of_finalised_incidents_take_working_day_deadlines() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-ADV", 1);
    store.set_closing_code_with(&actor, &inc, Some("NFA-DUP"), Some(&none_found())).unwrap();
    store.finalise_incident(&actor, &inc).unwrap();
    let later = now_unix() + 10 * 86_400;
    let q = store.supervisor_queue(later).unwrap();
    let v = store.victims_assessment(&inc, later).unwrap();
    let due = v.assessment.victims.iter().find(|v| v.person_id == "V1").unwrap().referral_deadline.due;
    let problems: Vec<_> = q
        .items
        .iter()
        .filter(|i| i.incident_id == inc)
        .flat_map(|i| i.problems.iter())
        .filter(|p| p.item == MissingKind::VictimReferralDecision && p.victim_id.as_deref() == Some("V1"))
        .collect();
    assert_eq!(problems.len(), 1, "{q:?}");
    assert_eq!(problems[0].deadline, bluelamp_store::victims::end_of_uk_day(due), "{:?}", problems[0]);
    assert!(problems[0].label.contains("Victims' Code"), "{}", problems[0].label);
    assert_eq!(q.team_counts, bluelamp_forms::team_counts(&q.items));
}

/// After an app update changes a pack's version, a draft started under the old version opens
/// and submits under the new one: its answers are carried forward (one the pack no longer has
/// is set aside under `_carried`, not lost), the audit entry says so, and a submitted form keeps
/// its own version.
#[test]
fn a_draft_of_an_older_pack_version_is_carried_forward_and_submits() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-UPD", 2);
    let id = fill(&mut store, &actor, &inc, DASH, dash_14_yes());
    let installed = store.get_form(&id).unwrap().info.pack_version;
    // As the previous build left it: another version, and an answer to a question since removed.
    store
        .conn()
        .execute(
            "UPDATE forms SET pack_version = '0.9.0', answers = json_set(answers, '$.q99', 'yes') WHERE id = ?1",
            [&id],
        )
        .unwrap();
    let f = store.get_form(&id).unwrap();
    assert_eq!(f.info.pack_version, installed);
    assert_eq!(f.answers["_carried"], json!({"from": "0.9.0", "answers": {"q99": "yes"}}));
    assert!(f.answers.get("q99").is_none());

    let s = submitted(store.submit_form(&actor, &id, Some(Grade::High), Some("r")).unwrap());
    assert!(!s.tasks.is_empty());
    let f = store.get_form(&id).unwrap();
    assert_eq!((f.info.status, f.info.pack_version.clone()), (FormStatus::Submitted, installed.clone()));
    assert_eq!(f.answers["_carried"]["answers"]["q99"], "yes");
    let detail: String = store
        .conn()
        .query_row(
            "SELECT detail FROM audit WHERE object_ref = ?1 ORDER BY seq DESC LIMIT 1",
            [format!("form:{id}")],
            |r| r.get(0),
        )
        .unwrap();
    assert!(detail.contains("\"carried_from\":\"0.9.0\""), "{detail}");
    // A submitted form is not carried anywhere: it keeps the version it was submitted under.
    store.conn().execute_batch("DROP TRIGGER IF EXISTS forms_submitted_immutable").unwrap();
    store.conn().execute("UPDATE forms SET pack_version = '0.8.0' WHERE id = ?1", [&id]).unwrap();
    assert_eq!(store.get_form(&id).unwrap().info.pack_version, "0.8.0");
}

/// An HBA incident needs the risk assessment's honour-based abuse follow-up, which the DASH-style
/// form shows only when question 4 or 20 is "yes": a form submitted without it is pointed at to be
/// amended, and the amendment with the section answered clears it.
#[test]
fn an_hba_incident_needs_the_honour_based_abuse_follow_up_answered() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc =
        add(&mut store, incident("INC-H", "domestic_abuse", Some("HBA"), 2, &[("V1", "victim"), ("S1", "suspect")]));
    let s = submit_risk(&mut store, &actor, &inc, Grade::Medium);
    let gate = store.get_incident(&inc).unwrap().gate;
    let ra: Vec<_> = gate.missing.iter().filter(|m| m.kind == MissingKind::RiskAssessment).collect();
    assert_eq!(ra.len(), 1, "{:?}", gate.missing);
    assert_eq!(ra[0].form_id.as_deref(), Some(s.form_id.as_str()));
    assert!(ra[0].label.starts_with("Amend the risk assessment for "), "{ra:?}");
    assert!(ra[0].label.contains(" (the HBA code needs its honour-based abuse"), "{ra:?}");
    // The same form is enough for a DA code.
    store.set_closing_code(&actor, &inc, Some("DA")).unwrap();
    let gate = store.get_incident(&inc).unwrap().gate;
    assert!(!gate.missing.iter().any(|m| m.kind == MissingKind::RiskAssessment), "{:?}", gate.missing);
    store.set_closing_code(&actor, &inc, Some("HBA")).unwrap();
    // The supervisor queue shows it too.
    let q = store.supervisor_queue(now_unix()).unwrap();
    let item = q.items.iter().find(|i| i.incident_id == inc).unwrap();
    assert!(item.problems.iter().any(|p| p.item == MissingKind::RiskAssessment && p.label.contains("HBA code")));

    let am = store.amend_form(&actor, &s.form_id).unwrap();
    let mut a = store.get_form(&am).unwrap().answers.clone();
    a["q4"] = json!("yes");
    store.save_draft(&actor, &am, &a, None).unwrap();
    submitted(store.submit_form(&actor, &am, Some(Grade::Medium), Some("Family pressure to marry")).unwrap());
    let gate = store.get_incident(&inc).unwrap().gate;
    assert!(!gate.missing.iter().any(|m| m.kind == MissingKind::RiskAssessment), "{:?}", gate.missing);

    // An incident closed as HBA before closing codes 2025.3, on a form without the follow-up, is
    // not brought back to the queue for it: a finalised incident passed the gate it had.
    let old =
        add(&mut store, incident("INC-H0", "domestic_abuse", Some("HBA"), 90, &[("V1", "victim"), ("S1", "suspect")]));
    submit_risk(&mut store, &actor, &old, Grade::Medium);
    store
        .conn()
        .execute(
            "UPDATE incidents SET status = 'finalised', finalised_at = '2026-09-01T10:00:00Z' WHERE id = ?1",
            [&old],
        )
        .unwrap();
    let q = store.supervisor_queue(now_unix()).unwrap();
    let problems: Vec<_> = q.items.iter().filter(|i| i.incident_id == old).flat_map(|i| &i.problems).collect();
    assert!(!problems.iter().any(|p| p.item == MissingKind::RiskAssessment), "{problems:?}");
}

/// A DASH form with one "yes" (Q1) on a new DA incident linking V1, graded standard: what the
/// incident history alone makes of it.
fn one_yes_submission(store: &mut Store, actor: &Actor) -> Submitted {
    let inc = da(store, "INC-1", 2);
    let mut answers = dash_14_yes();
    for q in [2, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17] {
        answers[format!("q{q}")] = json!("no");
    }
    let id = fill(store, actor, &inc, DASH, answers);
    submitted(store.submit_form(actor, &id, Some(Grade::Standard), Some("one yes")).unwrap())
}

#[test]
fn earlier_call_outs_about_the_victim_count_whoever_the_other_party_was() {
    // (Call-outs where the victim was the suspect, and duplicates, do not: below.)
    use bluelamp_forms::grading::ReasonCode;
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    // Two earlier DA call-outs about V1 this year: one with another partner, one where the
    // other party was never linked.
    add(&mut store, incident("INC-0a", "domestic_abuse", Some("DA"), 24 * 60, &[("V1", "victim"), ("S9", "suspect")]));
    add(&mut store, incident("INC-0b", "domestic_abuse", Some("DA"), 24 * 20, &[("V1", "victim")]));
    // Not DA, and another victim's: neither counts.
    add(&mut store, incident("INC-0c", "theft", None, 24 * 10, &[("V1", "victim")]));
    add(&mut store, incident("INC-0d", "domestic_abuse", Some("DA"), 24 * 5, &[("V2", "victim"), ("S1", "suspect")]));
    let s = one_yes_submission(&mut store, &actor);
    let sug = s.suggestion.expect("graded");
    let repeat = sug.reasons.iter().find(|r| r.code == ReasonCode::RepeatIncidents);
    let repeat = repeat.unwrap_or_else(|| panic!("three call-outs about V1 in a year: {:#?}", sug.reasons));
    assert!(repeat.message.contains("3 DA incidents involving the victim"), "{}", repeat.message);
    assert_eq!(sug.suggested, Grade::High);
    assert!(s.tasks.iter().any(|t| t.kind == "marac_referral"), "a MARAC criterion: {:?}", s.tasks);

    // One earlier call-out fewer (the other partner's incident more than a year ago): no repeat.
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    add(&mut store, incident("INC-0a", "domestic_abuse", Some("DA"), 24 * 400, &[("V1", "victim"), ("S9", "suspect")]));
    add(&mut store, incident("INC-0b", "domestic_abuse", Some("DA"), 24 * 20, &[("V1", "victim")]));
    // Neither do a call-out where V1 was the suspect, nor a duplicate record of one call
    // (closed NFA-DUP): they read as "3 DA incidents" and a MARAC task (review, 7 Dec 2026).
    add(&mut store, incident("INC-0e", "domestic_abuse", Some("DA"), 24 * 15, &[("S9", "victim"), ("V1", "suspect")]));
    add(&mut store, incident("INC-0f", "domestic_abuse", Some("NFA-DUP"), 24 * 19, &[("V1", "victim")]));
    let sug = one_yes_submission(&mut store, &actor).suggestion.expect("graded");
    assert!(sug.reasons.iter().all(|r| r.code != ReasonCode::RepeatIncidents), "{:#?}", sug.reasons);
}

/// A MARAC referral of the victim on an earlier incident makes a repeat MARAC (High); once it is
/// withdrawn (recorded in error), it does not.
#[test]
fn a_withdrawn_marac_referral_is_no_repeat_marac() {
    use bluelamp_forms::grading::ReasonCode;
    for withdrawn in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, actor) = new_store(&dir);
        let earlier = add(
            &mut store,
            incident("INC-0a", "domestic_abuse", Some("DA"), 24 * 60, &[("V1", "victim"), ("S9", "suspect")]),
        );
        let marac = ReferralDecisionInput { destination: Some("marac".into()), safe_contact: None, ..referred("idva") };
        store.record_referral_decision(&actor, &earlier, "V1", &marac).unwrap();
        // Decided then, 50 days ago (not now, after the new incident).
        store
            .conn()
            .execute(
                "UPDATE referrals SET decided_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-50 days') WHERE incident_id = ?1",
                [&earlier],
            )
            .unwrap();
        if withdrawn {
            let n = store
                .conn()
                .execute("UPDATE referrals SET status = 'withdrawn' WHERE incident_id = ?1", [&earlier])
                .unwrap();
            assert_eq!(n, 1);
        }
        let sug = one_yes_submission(&mut store, &actor).suggestion.expect("graded");
        let repeat = sug.reasons.iter().any(|r| r.code == ReasonCode::RepeatMarac);
        assert_eq!(repeat, !withdrawn, "withdrawn {withdrawn}: {:#?}", sug.reasons);
    }
}

/// An amendment the supervisor returns keeps the version it replaced replaced: the gate asks for
/// the risk assessment again (pointing at the returned amendment), and the queue does not offer
/// the old version for review. Review, 7 Dec 2026: after the return, the superseded original
/// (graded Standard) counted at the gate again and was offered to the supervisor to approve.
#[test]
fn a_returned_amendment_does_not_bring_back_the_version_it_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-1", 2);
    let f1 = submit_risk(&mut store, &actor, &inc, Grade::Standard).form_id;
    let f2 = store.amend_form(&actor, &f1).unwrap();
    submitted(store.submit_form(&actor, &f2, Some(Grade::Medium), Some("Strangulation disclosed")).unwrap());
    let sgt = Actor { officer_id: "SGT1".into(), ..actor.clone() };
    store.review_form(&sgt, &f2, ReviewDecision::Return, Some("Consider High")).unwrap();
    let gate = store.incident_gate(&inc).unwrap();
    let risk: Vec<_> = gate.missing.iter().filter(|m| m.kind == MissingKind::RiskAssessment).collect();
    assert_eq!(risk.len(), 1, "{gate:#?}");
    assert_eq!(risk[0].form_id.as_deref(), Some(f2.as_str()), "{gate:#?}");
    let q = store.supervisor_queue(now_unix()).unwrap();
    let named = serde_json::to_string(&q).unwrap();
    assert!(!named.contains(&f1), "the replaced version is not offered for review: {named}");
}

/// A DA incident closed as a duplicate (the gate lets NFA-DUP through with nothing) does not
/// stay on the queue with an assessment and a plan overdue that nobody can add (no form starts
/// on a closed incident): its referral decisions, which can still be recorded, stay; the daily
/// review lists it as incomplete for a person to check. Review, 7 Dec 2026.
#[test]
fn a_duplicate_closed_da_incident_is_reviewed_not_left_overdue() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-DUP", 1);
    store.set_closing_code_with(&actor, &inc, Some("NFA-DUP"), Some(&none_found())).unwrap();
    store.finalise_incident(&actor, &inc).unwrap();
    assert!(matches!(store.start_form(&actor, &inc, DASH), Err(CaseworkError::Finalised)));
    let later = now_unix() + 10 * 86_400;
    let q = store.supervisor_queue(later).unwrap();
    let kinds: Vec<MissingKind> =
        q.items.iter().filter(|i| i.incident_id == inc).flat_map(|i| i.problems.iter()).map(|p| p.item).collect();
    assert!(
        !kinds.iter().any(|k| matches!(k, MissingKind::RiskAssessment | MissingKind::SafeguardingPlan)),
        "{kinds:?}"
    );
    assert!(kinds.contains(&MissingKind::VictimReferralDecision), "{kinds:?}");
    assert_eq!(q.team_counts, bluelamp_forms::team_counts(&q.items));
    let now = now_unix() + 60;
    let q = store.supervisor_queue(now).unwrap();
    assert!(q.daily_review.iter().any(|d| d.incident_id == inc && !d.complete), "{:?}", q.daily_review);
}

/// "Who saw person X": the access log's record filter finds the searches that listed them and
/// the incident pages that showed them, not only the views of their own record (review,
/// 7 Dec 2026: an incident view named the incident only, and a search's hits were not matched).
#[test]
fn the_access_log_finds_every_entry_that_showed_a_person() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let mut rows = Vec::new();
    for (id, given) in [("V1", "Lorraine"), ("V10", "Lorna"), ("S1", "Sam")] {
        rows.push(NominalRecord {
            id: id.into(),
            source: Source::Current,
            given_name: given.into(),
            surname: "Smith".into(),
            date_of_birth: None,
            sex: None,
            aliases: vec![],
            address: None,
            postcode: None,
        });
    }
    store.upsert_nominals(&rows).unwrap();
    let inc = da(&mut store, "INC-LOG", 2);
    let detail = store.get_incident(&inc).unwrap();
    store.audit(&actor, bluelamp_store::audit::incident_view_event(&detail.summary)).unwrap();
    let req = bluelamp_protocol::SearchRequest::free_text("lorraine smith");
    store.search_logged(&actor, &req, None).unwrap();
    let req = bluelamp_protocol::SearchRequest::free_text("zebedee quartermaine");
    store.search_logged(&actor, &req, None).unwrap();
    let filter = bluelamp_protocol::audit::AuditFilter { object_ref: Some("V1".into()), ..Default::default() };
    let found: Vec<String> = store.audit_list(&filter).unwrap().into_iter().map(|e| e.object_ref).collect();
    assert!(found.contains(&format!("incident:{inc}")), "{found:?}");
    assert_eq!(found.iter().filter(|o| *o == "search:nominals").count(), 1, "the search that listed V1: {found:?}");
}

/// An Operation Encompass notification is due before the next school day starts, not with the
/// referral decision: the queue gave it the 2-working-day referral deadline, so a school told on
/// the Wednesday about a Monday night showed as "due" (review, 7 Dec 2026). Children's services
/// keep the decision's deadline.
#[test]
fn operation_encompass_is_due_before_the_next_school_day() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _actor) = new_store(&dir);
    let inc = da(&mut store, "INC-SCHOOL", 1);
    let now = now_unix();
    let v = store.victims_assessment(&inc, now).unwrap();
    let child = v.assessment.victims.iter().find(|v| v.person_id == "C1").unwrap();
    let encompass = child.destinations.iter().find(|d| d.code == "operation_encompass").expect("applies");
    let before = encompass.due_before.expect("due before a school day");
    // The first school day starting after the recording (an hour ago): today before 08:30 on a
    // working day, else a later day.
    assert!(before >= v.assessment.recorded_on, "{before} from {}", v.assessment.recorded_on);
    assert!(bluelamp_store::victims::school_day_start(before) > now - 3600, "{before}");
    assert!(!matches!(before.weekday(), time::Weekday::Saturday | time::Weekday::Sunday), "{before}");
    assert!(child.destinations.iter().filter(|d| d.code != "operation_encompass").all(|d| d.due_before.is_none()));
    let q = store.supervisor_queue(now).unwrap();
    let notes: Vec<_> = q
        .items
        .iter()
        .filter(|i| i.incident_id == inc)
        .flat_map(|i| i.problems.iter())
        .filter(|p| p.item == MissingKind::Notification && p.victim_id.as_deref() == Some("C1"))
        .collect();
    let school = notes.iter().find(|p| p.label.contains("Operation Encompass")).expect("listed");
    assert_eq!(school.deadline, bluelamp_store::victims::school_day_start(before), "{}", school.label);
    assert!(school.label.contains("before the school day starts"), "{}", school.label);
    let services = notes.iter().find(|p| !p.label.contains("Operation Encompass")).expect("children's services");
    assert!(services.deadline > school.deadline, "{} vs {}", services.deadline, school.deadline);
}

fn none_found() -> bluelamp_forms::NfaDupReason {
    bluelamp_forms::NfaDupReason::NoIncidentFound("Attended, address empty, no caller traced".into())
}

/// NFA-DUP needs its reason, recorded with the code (issue: a DA incident closed NFA-DUP to get
/// past the gate). Every refusal writes nothing; a DA incident cannot be a duplicate of a
/// non-DA one (the gate would be lost); a valid one finalises, with the reason shown, stored,
/// queued and audited.
#[test]
fn nfa_dup_needs_its_reason_and_refusals_write_nothing() {
    use bluelamp_forms::{NfaDupReason, NfaDupRefusal};
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-DA-2", 1);
    let original = da(&mut store, "INC-DA-1", 2);
    let theft = add(&mut store, incident("INC-THEFT", "theft", None, 3, &[]));
    let before = snapshot(&store);
    let refused = |store: &mut Store, reason: Option<NfaDupReason>| match store.set_closing_code_with(
        &actor,
        &inc,
        Some("NFA-DUP"),
        reason.as_ref(),
    ) {
        Err(CaseworkError::NfaDup(r)) => r,
        other => panic!("{other:?}"),
    };
    let dup = |s: &str| Some(NfaDupReason::DuplicateOf(s.into()));
    assert_eq!(refused(&mut store, None), NfaDupRefusal::Missing);
    // The old call with no reason is refused too.
    assert!(matches!(store.set_closing_code(&actor, &inc, Some("nfa-dup")), Err(CaseworkError::NfaDup(_))));
    assert_eq!(refused(&mut store, Some(NfaDupReason::NoIncidentFound(" ... ".into()))), NfaDupRefusal::NoAccount);
    assert_eq!(refused(&mut store, dup("INC-NOWHERE")), NfaDupRefusal::UnknownOriginal);
    assert_eq!(refused(&mut store, dup(&inc)), NfaDupRefusal::Itself);
    assert_eq!(refused(&mut store, dup("INC-DA-2")), NfaDupRefusal::Itself);
    let e = refused(&mut store, dup("INC-THEFT"));
    assert_eq!(e, NfaDupRefusal::KindDiffers { kind: "domestic-abuse" });
    assert!(e.to_string().contains("domestic-abuse"), "{e}");
    assert!(matches!(
        store.set_closing_code_with(&actor, &inc, Some("DA"), dup("INC-DA-1").as_ref()),
        Err(CaseworkError::NfaDup(NfaDupRefusal::NotNfaDup))
    ));
    assert_eq!(snapshot(&store), before, "a refusal writes nothing");
    let now = store.get_incident(&inc).unwrap().summary;
    assert_eq!((now.closing_code.as_deref(), now.nfa_dup_reason), (Some("DA"), None));

    // A duplicate of a duplicate is refused: the theft closed NFA-DUP cannot be an original.
    store
        .set_closing_code_with(&actor, &theft, Some("NFA-DUP"), Some(&NfaDupReason::NoIncidentFound("No trace".into())))
        .unwrap();

    // By reference: stored as the original's id, shown with its reference, finalised.
    store.set_closing_code_with(&actor, &inc, Some("NFA-DUP"), dup("INC-DA-1").as_ref()).unwrap();
    let d = store.get_incident(&inc).unwrap();
    assert_eq!(d.summary.nfa_dup_reason, Some(NfaDupReason::DuplicateOf(original.clone())));
    assert_eq!(d.summary.nfa_dup_shown.as_deref(), Some("Closed as a duplicate of INC-DA-1"));
    assert!(d.gate.can_finalise, "{:?}", d.gate.missing);
    let (name, payload): (String, String) = store
        .conn()
        .query_row("SELECT mutation, payload FROM outbox ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    let payload: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!((name.as_str(), payload["duplicate_of"].as_str()), ("incident.closing_code/1", Some(original.as_str())));
    let detail: String =
        store.conn().query_row("SELECT detail FROM audit ORDER BY seq DESC LIMIT 1", [], |r| r.get(0)).unwrap();
    assert!(detail.contains(&original) && detail.contains("NFA-DUP"), "{detail}");
    store.finalise_incident(&actor, &inc).unwrap();

    // The daily review lists it with its reason, for the supervisor to check.
    let q = store.supervisor_queue(now_unix()).unwrap();
    let listed = q.daily_review.iter().find(|d| d.incident_id == inc).expect("in the daily review");
    assert_eq!(listed.nfa_dup_reason.as_deref(), Some("Closed as a duplicate of INC-DA-1"));
    assert!(!listed.complete);

    // An original closed NFA-DUP is refused as one.
    let other = add(&mut store, incident("INC-T2", "theft", None, 1, &[]));
    assert!(matches!(
        store.set_closing_code_with(&actor, &other, Some("NFA-DUP"), dup("INC-THEFT").as_ref()),
        Err(CaseworkError::NfaDup(NfaDupRefusal::OriginalIsDuplicate))
    ));
}

/// A duplicate-of reason is checked again on the original as it is now: an original that was
/// DA by its closing code only, recoded after the duplicate was closed, left a DA incident
/// finalised with nothing (review, 7 Dec 2026). The gate now asks for another reason; and an
/// original closed NFA-DUP itself since (two duplicates of each other) is caught the same way.
#[test]
fn a_duplicate_whose_original_was_recoded_is_not_finalised() {
    use bluelamp_forms::NfaDupReason;
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = da(&mut store, "INC-DA-9", 1);
    let damage = add(&mut store, incident("INC-DAMAGE", "criminal_damage", None, 2, &[]));
    store.set_closing_code(&actor, &damage, Some("DA")).unwrap();
    let dup = NfaDupReason::DuplicateOf(damage.clone());
    store.set_closing_code_with(&actor, &inc, Some("NFA-DUP"), Some(&dup)).unwrap();
    let gate = store.get_incident(&inc).unwrap().gate;
    assert!(!gate.missing.iter().any(|m| m.kind == MissingKind::NfaDupReason), "{:?}", gate.missing);
    // The original recoded: the duplicate's reason no longer holds.
    store.set_closing_code(&actor, &damage, Some("ADVICE")).unwrap();
    let d = store.get_incident(&inc).unwrap();
    assert!(d.summary.nfa_dup_no_longer.as_deref().is_some_and(|w| w.contains("domestic-abuse")), "{:?}", d.summary);
    let item = d.gate.missing.iter().find(|m| m.kind == MissingKind::NfaDupReason).expect("asked again");
    assert!(item.label.contains("no longer holds"), "{}", item.label);
    let kinds = missing_kinds(store.finalise_incident(&actor, &inc).unwrap_err());
    assert!(kinds.contains(&(MissingKind::NfaDupReason, None)), "{kinds:?}");
    // Back to DA, the reason holds again; the original closed NFA-DUP itself: it does not.
    store.set_closing_code(&actor, &damage, Some("DA")).unwrap();
    assert!(store.get_incident(&inc).unwrap().summary.nfa_dup_no_longer.is_none());
    store.conn().execute("UPDATE incidents SET closing_code = 'NFA-DUP' WHERE id = ?1", [&damage]).unwrap();
    let d = store.get_incident(&inc).unwrap();
    assert!(d.summary.nfa_dup_no_longer.as_deref().is_some_and(|w| w.contains("NFA-DUP")), "{:?}", d.summary);
    assert!(store.finalise_incident(&actor, &inc).is_err());
}

/// An incident closed NFA-DUP with no reason (set before reasons were asked) is not finalised:
/// the gate asks for the reason.
#[test]
fn nfa_dup_with_no_reason_held_is_not_finalised() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let inc = add(&mut store, incident("INC-OLD", "theft", None, 1, &[]));
    store.conn().execute("UPDATE incidents SET closing_code = 'NFA-DUP' WHERE id = ?1", [&inc]).unwrap();
    let kinds = missing_kinds(store.finalise_incident(&actor, &inc).unwrap_err());
    assert_eq!(kinds, [(MissingKind::NfaDupReason, None)]);
}
