//! People created on the device (provisional nominals) and the possible duplicates the central
//! service answers with: one user write each, searchable at once, and converging on the pull.

use bluelamp_protocol::nominal::{DuplicateDecision, NewNominal, NOMINAL_CREATE, NOMINAL_RESOLVE_DUPLICATE};
use bluelamp_protocol::wire::{Change, DuplicateCandidate, PossibleDuplicate, PullResponse, RecordType, WireNominal};
use bluelamp_protocol::{SearchRequest, Source, SCHEMA_VERSION};
use bluelamp_store::provisional::Created;
use bluelamp_store::{Actor, KdfParams, NominalRecord, Store};

fn new_store(dir: &tempfile::TempDir) -> (Store, Actor) {
    let store = Store::create(&dir.path().join("s.db"), "pw", "PC1", KdfParams::INSECURE_FAST).unwrap();
    let actor = store.actor().unwrap();
    (store, actor)
}

fn person(given: &str, surname: &str, dob: &str) -> NewNominal {
    NewNominal {
        given_name: given.into(),
        surname: surname.into(),
        date_of_birth: Some(dob.into()),
        sex: Some("m".into()),
        aliases: vec!["Billy Smith".into()],
        address: Some("1 High Street".into()),
        postcode: Some("ab1 2cd".into()),
    }
}

fn counts(store: &Store) -> (i64, i64) {
    let c = store.conn();
    let outbox: i64 = c.query_row("SELECT count(*) FROM outbox", [], |r| r.get(0)).unwrap();
    let audit: i64 = c.query_row("SELECT count(*) FROM audit", [], |r| r.get(0)).unwrap();
    (outbox, audit)
}

fn created(store: &mut Store, actor: &Actor, n: &NewNominal) -> String {
    match store.create_nominal(actor, n).unwrap() {
        Created::Saved(h) => h.id,
        Created::Invalid(i) => panic!("refused: {i:?}"),
    }
}

#[test]
fn a_new_person_is_provisional_searchable_and_queued_in_one_write() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let before = counts(&store);
    let id = created(&mut store, &actor, &person("William", "Smith", "19800312"));
    assert_eq!(counts(&store), (before.0 + 1, before.1 + 1), "one outbox row and one audit row");
    let (name, payload): (String, String) = store
        .conn()
        .query_row("SELECT mutation, payload FROM outbox ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!(name, NOMINAL_CREATE);
    let payload: serde_json::Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(payload["nominal"]["id"], id.as_str());
    assert_eq!(payload["nominal"]["date_of_birth"], "1980-03-12");
    assert_eq!(payload["nominal"]["postcode"], "AB1 2CD");
    let action: String = store
        .conn()
        .query_row("SELECT action || ' ' || object_ref FROM audit ORDER BY seq DESC LIMIT 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(action, format!("collection nominal:{id}"));
    // Searchable at once, flagged provisional; also by its alias.
    let hits = store.search(&SearchRequest::free_text("bill smyth")).unwrap();
    let hit = hits.iter().find(|h| h.id == id).expect("found by nickname and spelling");
    assert!(hit.provisional);
    assert!(store.get_nominal(&id).unwrap().unwrap().provisional);
    assert!(store.search(&SearchRequest::free_text("billy smith")).unwrap().iter().any(|h| h.id == id));
    assert!(store.audit_verify().unwrap().is_ok());
}

#[test]
fn bad_input_writes_nothing_and_names_the_fields() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let before = counts(&store);
    let bad = NewNominal {
        given_name: "".into(),
        surname: "Smith".into(),
        date_of_birth: Some("1980-02-30".into()),
        ..Default::default()
    };
    match store.create_nominal(&actor, &bad).unwrap() {
        Created::Invalid(issues) => {
            let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
            assert_eq!(fields, ["given_name", "date_of_birth"]);
        }
        other => panic!("saved: {other:?}"),
    }
    assert_eq!(counts(&store), before);
    assert_eq!(store.nominal_count().unwrap(), 0);
}

#[test]
fn likely_matches_use_search_and_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let rec = |id: &str, g: &str, s: &str, d: &str| NominalRecord {
        id: id.into(),
        source: Source::Current,
        given_name: g.into(),
        surname: s.into(),
        date_of_birth: Some(d.into()),
        sex: Some("M".into()),
        aliases: vec![],
        address: None,
        postcode: None,
    };
    store
        .upsert_nominals(&[
            rec("same", "William", "Smith", "1980-03-12"),
            rec("other-dob", "William", "Smith", "1955-07-01"),
            rec("other", "Keith", "Jones", "1980-03-12"),
        ])
        .unwrap();
    let audit_before = counts(&store).1;
    let hits = store.likely_matches(&actor, &person("Bill", "Smyth", "1980-03-12")).unwrap();
    let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids, ["same"], "{hits:?}");
    assert_eq!(counts(&store).1, audit_before + 1, "logged as a search");
    // An unusable name asks nothing.
    assert!(store.likely_matches(&actor, &NewNominal::default()).unwrap().is_empty());
    // A date of birth in the future (search refuses it) is left out of the question, and the
    // person is not saved with it: the form says why.
    let future = person("William", "Smith", "2099-03-12");
    let audit_before = counts(&store).1;
    store.likely_matches(&actor, &future).expect("asked without the date, not refused");
    assert_eq!(counts(&store).1, audit_before + 1, "the search ran (and was logged)");
    let (outbox_before, _) = counts(&store);
    match store.create_nominal(&actor, &future).unwrap() {
        Created::Invalid(issues) => {
            assert_eq!(issues.len(), 1, "{issues:?}");
            assert_eq!(issues[0].field, "date_of_birth");
            assert!(issues[0].message.contains("in the future"), "{issues:?}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(counts(&store).0, outbox_before, "nothing saved or queued");
}

fn cand(id: &str) -> DuplicateCandidate {
    DuplicateCandidate {
        nominal: WireNominal {
            id: id.into(),
            given_name: "William".into(),
            surname: "Smith".into(),
            date_of_birth: Some("1980-03-12".into()),
            sex: Some("M".into()),
            aliases: vec![],
            address: Some("2 Low Road".into()),
            postcode: None,
            source: Source::Current,
            phones: vec![],
        },
        score: 12.5,
        reasons: vec!["surname exact".into()],
    }
}

fn page(changes: Vec<Change>) -> PullResponse {
    PullResponse {
        schema_version: SCHEMA_VERSION,
        changes,
        next_cursor: "c1".into(),
        has_more: false,
        last_applied_seq: 0,
        remaining: 0,
        reset: None,
        instructions: vec![],
    }
}

#[test]
fn possible_duplicates_are_stored_once_counted_listed_and_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let id = created(&mut store, &actor, &person("Bill", "Smyth", "1980-03-12"));
    let seq = store.outbox_head().unwrap();
    let dup = PossibleDuplicate { seq, provisional_id: id.clone(), candidates: vec![cand("server-1")] };
    // The same answer twice (a resent batch) is one question.
    store.outbox_commit_ack(seq, &[], &[], std::slice::from_ref(&dup)).unwrap();
    store.outbox_commit_ack(seq, &[], &[], std::slice::from_ref(&dup)).unwrap();
    assert_eq!(store.sync_counts().unwrap().conflicts, 1);
    let list = store.duplicates().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].provisional_id, id);
    assert_eq!(list[0].provisional.as_ref().unwrap().given_name, "Bill");
    assert_eq!(list[0].candidates[0].nominal.id, "server-1");
    assert_eq!(list[0].candidates[0].reasons, ["surname exact"]);
    // Only an offered candidate can be linked.
    let dup_id = list[0].id.clone();
    let err = store.resolve_duplicate(&actor, &dup_id, &DuplicateDecision::Link { nominal_id: "nope".into() });
    assert!(err.is_err());
    // The person was linked to an incident here, and a draft names them.
    store
        .import_incidents(&[bluelamp_store::casework::NewIncident {
            id: Some("inc-1".into()),
            reference: "REF-1".into(),
            incident_type: "domestic_abuse".into(),
            offence_category: None,
            place: None,
            postcode: None,
            team: None,
            occurred_at: 1_700_000_000,
            recorded_at: 1_700_000_100,
            assigned_to: Some("PC1".into()),
            closing_code: None,
            links: vec![(id.clone(), "victim".into())],
        }])
        .unwrap();
    let draft = store.start_form(&actor, "inc-1", "da-safeguarding-plan").unwrap();
    store.save_draft(&actor, &draft, &serde_json::json!({ "victim": id }), None).unwrap();
    let before = counts(&store);
    store.resolve_duplicate(&actor, &dup_id, &DuplicateDecision::Link { nominal_id: "server-1".into() }).unwrap();
    // The incident and the draft now name the person it was linked to.
    let links = store.get_incident("inc-1").unwrap().summary.links;
    assert_eq!(links.iter().map(|l| l.nominal_id.as_str()).collect::<Vec<_>>(), ["server-1"]);
    assert_eq!(store.get_form(&draft).unwrap().answers, serde_json::json!({ "victim": "server-1" }));
    assert_eq!(counts(&store), (before.0 + 1, before.1 + 1));
    let (name, payload): (String, String) = store
        .conn()
        .query_row("SELECT mutation, payload FROM outbox ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!(name, NOMINAL_RESOLVE_DUPLICATE);
    let payload: serde_json::Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(payload, serde_json::json!({ "provisional_id": id, "decision": "link", "nominal_id": "server-1" }));
    assert!(store.duplicates().unwrap().is_empty());
    assert_eq!(store.sync_counts().unwrap().conflicts, 0);
    assert!(store.resolve_duplicate(&actor, &dup_id, &DuplicateDecision::New).is_err(), "only once");
    // Converges on the pull: the provisional id is tombstoned, the person arrives with the alias.
    let mut linked = cand("server-1").nominal;
    linked.aliases.push("Bill Smyth".into());
    store
        .apply_pull_page(&page(vec![
            Change::Upsert {
                record_type: RecordType::Nominal,
                id: "server-1".into(),
                version: 7,
                data: serde_json::to_value(&linked).unwrap(),
            },
            Change::Tombstone { record_type: RecordType::Nominal, id: id.clone(), version: 8 },
        ]))
        .unwrap();
    assert!(store.get_nominal(&id).unwrap().is_none());
    let hits = store.search(&SearchRequest::free_text("bill smyth")).unwrap();
    assert_eq!(hits.first().map(|h| (h.id.as_str(), h.provisional)), Some(("server-1", false)));
}

#[test]
fn the_server_serving_it_back_makes_it_a_normal_record() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let n = person("Ada", "Lovelace", "1955-12-10");
    let id = created(&mut store, &actor, &n);
    assert!(store.get_nominal(&id).unwrap().unwrap().provisional);
    let w = n.to_wire(&id);
    store
        .apply_pull_page(&page(vec![Change::Upsert {
            record_type: RecordType::Nominal,
            id: id.clone(),
            version: 3,
            data: serde_json::to_value(&w).unwrap(),
        }]))
        .unwrap();
    assert!(!store.get_nominal(&id).unwrap().unwrap().provisional);
    assert!(!store.search(&SearchRequest::free_text("ada lovelace")).unwrap()[0].provisional);
}
