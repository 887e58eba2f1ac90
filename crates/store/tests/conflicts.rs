//! Conflicts in the store (issue 7): edits queued with their base version, pulled incidents
//! applied without overwriting unsettled local work, notices stored field by field, and the
//! resolution as one user write (change, outbox and access-log rows together).

use std::collections::BTreeMap;

use bluelamp_protocol::conflicts::Side;
use bluelamp_protocol::wire::{Change, ConflictNotice, PullResponse, RecordType};
use bluelamp_protocol::SCHEMA_VERSION;
use bluelamp_store::{KdfParams, Store};
use serde_json::{json, Value};

const INC: &str = "inc-1";

fn incident(version: u64, code: Option<&str>, status: &str, place: &str) -> PullResponse {
    let data = json!({
        "id": INC, "reference": "INC-9-1", "incident_type": "domestic_abuse", "offence_category": null,
        "place": place, "postcode": null, "team": "Response", "occurred_at": 1_700_000_000i64,
        "recorded_at": 1_700_000_100i64, "assigned_to": "PC1", "district": "d", "closing_code": code,
        "status": status, "finalised_at": null, "links": [{ "nominal_id": "P1", "role": "victim" }],
        "version": version,
    });
    PullResponse {
        schema_version: SCHEMA_VERSION,
        changes: vec![Change::Upsert { record_type: RecordType::Incident, id: INC.into(), version, data }],
        next_cursor: format!("c{version}"),
        has_more: false,
        last_applied_seq: 0,
        remaining: 0,
        reset: None,
        instructions: vec![],
    }
}

fn summary(store: &Store) -> (Option<String>, String, Option<String>) {
    let s = store.get_incident(INC).unwrap().summary;
    (s.closing_code, s.status.as_str().to_string(), s.place)
}

/// The service's answer to an edit based on version 5 once a supervisor had coded the incident
/// DA (version 6): a conflict.
fn da_at_6(m: &bluelamp_protocol::wire::PushMutation) -> ConflictNotice {
    ConflictNotice {
        seq: m.seq,
        record_type: "incident".into(),
        record_id: INC.into(),
        base: json!({ "version": 5 }),
        mine: m.payload.clone(),
        theirs: json!({ "id": INC, "closing_code": "DA", "status": "open" }),
        server_version: 6,
    }
}

fn ack_all(store: &mut Store, conflicts: &[ConflictNotice]) {
    let head = store.outbox_head().unwrap();
    store.outbox_commit_ack(head, &[], conflicts, &[]).unwrap();
}

#[test]
fn pulled_changes_apply_but_never_over_unsettled_local_work() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("s.db"), "pw", "PC1", KdfParams::INSECURE_FAST).unwrap();
    let actor = store.actor().unwrap();
    let r = store.apply_pull_page(&incident(5, None, "open", "High St")).unwrap();
    assert_eq!((r.incidents, r.incidents_updated), (1, 1));
    assert_eq!(summary(&store), (None, "open".into(), Some("High St".into())));

    // A newer version is applied to the copy already here.
    store.apply_pull_page(&incident(6, Some("CRIME"), "open", "Low St")).unwrap();
    assert_eq!(summary(&store), (Some("CRIME".into()), "open".into(), Some("Low St".into())));
    // An older one is not.
    let r = store.apply_pull_page(&incident(4, None, "open", "Old St")).unwrap();
    assert_eq!(r.incidents_updated, 0);
    assert_eq!(summary(&store).2.as_deref(), Some("Low St"));

    // The officer codes it here: queued with the service's version as its base.
    store.set_closing_code(&actor, INC, Some("ASB")).unwrap();
    let batch = store.outbox_batch(10).unwrap();
    assert_eq!((batch[0].name.as_str(), batch[0].base_version), ("incident.closing_code/1", Some(6)));
    // The service moves on before the push: the place is applied, the pending code is kept.
    store.apply_pull_page(&incident(7, Some("DA"), "open", "Mid St")).unwrap();
    assert_eq!(summary(&store), (Some("ASB".into()), "open".into(), Some("Mid St".into())));

    // The push meets a conflict: stored with base (the version the officer coded on, not the
    // one pulled since: that showed the other side's DA as the base, as if only this officer
    // had changed the code), mine and theirs.
    let theirs = json!({ "id": INC, "closing_code": "DA", "status": "open" });
    let notice = ConflictNotice {
        seq: batch[0].seq,
        record_type: "incident".into(),
        record_id: INC.into(),
        base: json!({ "version": 6 }),
        mine: batch[0].payload.clone(),
        theirs,
        server_version: 7,
    };
    ack_all(&mut store, std::slice::from_ref(&notice));
    // The same notice again (a resent batch's answer) is not stored twice.
    store.outbox_commit_ack(store.outbox_head().unwrap(), &[], &[notice], &[]).unwrap();
    assert_eq!(store.sync_counts().unwrap().conflicts, 1);
    let list = store.list_conflicts().unwrap();
    assert_eq!(list.len(), 1);
    let c = &list[0];
    assert_eq!(
        (c.title.as_str(), c.mutation.as_str(), c.server_version),
        ("INC-9-1", "incident.closing_code/1", Some(7))
    );
    assert_eq!(c.fields.len(), 1);
    let f = &c.fields[0];
    assert_eq!(
        (f.base.clone(), f.mine.clone(), f.theirs.clone(), f.differs),
        (json!("CRIME"), json!("ASB"), json!("DA"), true)
    );

    // While it is unresolved, a pull keeps the local value too.
    store.apply_pull_page(&incident(8, Some("DA"), "open", "Mid St")).unwrap();
    assert_eq!(summary(&store).0.as_deref(), Some("ASB"));

    // Resolving: an incomplete or unknown choice changes nothing.
    let before = store.outbox_head().unwrap();
    let none = BTreeMap::new();
    assert!(store.resolve_conflict(&actor, &c.id, &none).unwrap_err().to_string().contains("Closing code"));
    let odd = BTreeMap::from([("place".to_string(), Side::Mine)]);
    assert!(store.resolve_conflict(&actor, &c.id, &odd).is_err());
    assert!(store.resolve_conflict(&actor, "nope", &none).is_err());
    assert_eq!(store.outbox_head().unwrap(), before);

    // Take theirs: the local record, the conflict, the outbox and the access log together.
    let take = BTreeMap::from([("closing_code".to_string(), Side::Theirs)]);
    store.resolve_conflict(&actor, &c.id, &take).unwrap();
    assert!(store.list_conflicts().unwrap().is_empty());
    assert_eq!(summary(&store).0.as_deref(), Some("DA"));
    let batch = store.outbox_batch(10).unwrap();
    assert_eq!(batch.len(), 1);
    assert_eq!((batch[0].name.as_str(), batch[0].base_version), ("incident.resolve/1", Some(7)));
    assert_eq!(batch[0].payload["fields"], json!({ "closing_code": "DA" }));
    assert_eq!(batch[0].payload["conflict_id"], Value::String(c.id.clone()));
    let log: i64 = store
        .conn()
        .query_row(
            "SELECT count(*) FROM audit WHERE object_ref = ?1 AND detail LIKE '%conflict%'",
            [format!("incident:{INC}")],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(log, 1);
    assert!(store.resolve_conflict(&actor, &c.id, &take).is_err(), "resolved once");

    // Once acknowledged, the next pull settles the copy on the service's value.
    ack_all(&mut store, &[]);
    store.apply_pull_page(&incident(9, Some("CFAC"), "finalised", "Mid St")).unwrap();
    assert_eq!(summary(&store), (Some("CFAC".into()), "finalised".into(), Some("Mid St".into())));
}

/// An edit made after a pull brought a newer version, while an earlier edit is still unsent or
/// its conflict unresolved, keeps the base the officer saw: the newer version's code was kept off
/// the screen, so an edit based on it would have overwritten it at the service with no conflict.
#[test]
fn an_edit_over_unsettled_work_keeps_the_base_the_officer_saw() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("s.db"), "pw", "PC1", KdfParams::INSECURE_FAST).unwrap();
    let actor = store.actor().unwrap();
    store.apply_pull_page(&incident(5, None, "open", "High St")).unwrap();
    store.set_closing_code(&actor, INC, Some("ASB")).unwrap();
    // A supervisor coded it DA meanwhile: pulled, kept off the screen.
    store.apply_pull_page(&incident(6, Some("DA"), "open", "High St")).unwrap();
    assert_eq!(summary(&store).0.as_deref(), Some("ASB"));
    store.set_closing_code(&actor, INC, Some("CRIME")).unwrap();
    let bases: Vec<Option<u64>> = store.outbox_batch(10).unwrap().iter().map(|m| m.base_version).collect();
    assert_eq!(bases, [Some(5), Some(5)]);
    // Both pushed: both clash. Unresolved, a third edit still says 5.
    let batch = store.outbox_batch(10).unwrap();
    let notices: Vec<ConflictNotice> = batch.iter().map(da_at_6).collect();
    ack_all(&mut store, &notices);
    store.set_closing_code(&actor, INC, Some("CFAC")).unwrap();
    assert_eq!(store.outbox_batch(10).unwrap()[0].base_version, Some(5));
    // Settled (acknowledged, nothing open): the next edit takes the service's version.
    for c in store.list_conflicts().unwrap() {
        let take = BTreeMap::from([("closing_code".to_string(), Side::Theirs)]);
        store.resolve_conflict(&actor, &c.id, &take).unwrap();
    }
    ack_all(&mut store, &[]);
    store.apply_pull_page(&incident(8, Some("DA"), "open", "High St")).unwrap();
    store.set_closing_code(&actor, INC, Some("CRIME")).unwrap();
    assert_eq!(store.outbox_batch(10).unwrap()[0].base_version, Some(8));
}

#[test]
fn a_finalisation_conflict_has_code_and_status_and_choosing_open_reopens_here() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("s.db"), "pw", "PC1", KdfParams::INSECURE_FAST).unwrap();
    let actor = store.actor().unwrap();
    // Closed NFA-DUP at the service with its reason (pulled with the code).
    let mut page = incident(3, Some("NFA-DUP"), "open", "High St");
    if let Change::Upsert { data, .. } = &mut page.changes[0] {
        data["no_incident_found"] = json!("Attended, no trace of the caller");
    }
    store.apply_pull_page(&page).unwrap();
    // Finalise here if the gate allows it; otherwise record the notice for a finalise directly.
    let payload = json!({ "incident_id": INC, "closing_code": "NFA-DUP", "finalised_at": "t" });
    let seq = store.outbox_head().unwrap() + 1;
    let finalised = store.finalise_incident(&actor, INC).is_ok();
    let mutation_seq = if finalised { store.outbox_head().unwrap() } else { seq };
    let notice = ConflictNotice {
        seq: mutation_seq,
        record_type: "incident".into(),
        record_id: INC.into(),
        base: json!({ "version": 3 }),
        mine: payload,
        theirs: json!({ "closing_code": "CRIME", "status": "open" }),
        server_version: 4,
    };
    ack_all(&mut store, &[notice]);
    let c = store.list_conflicts().unwrap().pop().unwrap();
    let fields: Vec<(&str, bool)> = c.fields.iter().map(|f| (f.field.as_str(), f.differs)).collect();
    assert_eq!(fields, vec![("closing_code", true), ("status", true)]);
    let take = BTreeMap::from([("closing_code".to_string(), Side::Theirs), ("status".to_string(), Side::Theirs)]);
    store.resolve_conflict(&actor, &c.id, &take).unwrap();
    assert_eq!(summary(&store), (Some("CRIME".into()), "open".into(), Some("High St".into())));
    let b = store.outbox_batch(10).unwrap();
    assert_eq!(b.last().unwrap().payload["fields"], json!({ "closing_code": "CRIME", "status": "open" }));
}

/// The pulled links are the whole set: a person unlinked or given another role at the service
/// is unlinked or re-roled here (before, the old rows stayed, and the gate went on asking for a
/// referral decision for someone who was never a victim).
#[test]
fn a_link_the_service_corrected_is_corrected_here() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("s.db"), "pw", "PC1", KdfParams::INSECURE_FAST).unwrap();
    let with_links = |version: u64, links: Value| {
        let mut page = incident(version, None, "open", "High St");
        if let Change::Upsert { data, .. } = &mut page.changes[0] {
            data["links"] = links;
        }
        page
    };
    let links = |store: &Store| {
        let mut l: Vec<(String, String)> =
            store.get_incident(INC).unwrap().summary.links.into_iter().map(|l| (l.nominal_id, l.role)).collect();
        l.sort();
        l
    };
    store
        .apply_pull_page(&with_links(
            5,
            json!([{ "nominal_id": "P1", "role": "victim" }, { "nominal_id": "P2", "role": "victim" }]),
        ))
        .unwrap();
    assert_eq!(links(&store), [("P1".into(), "victim".into()), ("P2".into(), "victim".into())]);
    // P2 was a witness; P3 is added.
    store
        .apply_pull_page(&with_links(
            6,
            json!([
                { "nominal_id": "P1", "role": "victim" },
                { "nominal_id": "P2", "role": "witness" },
                { "nominal_id": "P3", "role": "suspect" },
            ]),
        ))
        .unwrap();
    assert_eq!(
        links(&store),
        [("P1".into(), "victim".into()), ("P2".into(), "witness".into()), ("P3".into(), "suspect".into())]
    );
    // P3 unlinked; an older version changes nothing.
    store.apply_pull_page(&with_links(7, json!([{ "nominal_id": "P1", "role": "victim" }]))).unwrap();
    store.apply_pull_page(&with_links(6, json!([{ "nominal_id": "P9", "role": "victim" }]))).unwrap();
    assert_eq!(links(&store), [("P1".into(), "victim".into())]);
}

/// Three codes typed in a row while the service had moved: one conflict for the incident, with
/// the officer's last code as theirs-versus-mine and the record they first saw as the base;
/// resolved once. Before, the officer met and resolved three conflicts, two of them stale.
#[test]
fn several_edits_of_one_record_meet_one_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("s.db"), "pw", "PC1", KdfParams::INSECURE_FAST).unwrap();
    let actor = store.actor().unwrap();
    store.apply_pull_page(&incident(5, None, "open", "High St")).unwrap();
    for code in ["ASB", "CRIME"] {
        store.set_closing_code(&actor, INC, Some(code)).unwrap();
    }
    let notice = da_at_6;
    let batch = store.outbox_batch(10).unwrap();
    assert_eq!(batch.len(), 2);
    let first: Vec<ConflictNotice> = batch.iter().map(notice).collect();
    ack_all(&mut store, &first);
    // A third, pushed later while the conflict is open, joins it too.
    store.set_closing_code(&actor, INC, Some("CFAC")).unwrap();
    let third: Vec<ConflictNotice> = store.outbox_batch(10).unwrap().iter().map(notice).collect();
    ack_all(&mut store, &third);
    // An earlier answer given again changes nothing (it would bring ASB back).
    store.outbox_commit_ack(store.outbox_head().unwrap(), &[], &first, &[]).unwrap();

    let list = store.list_conflicts().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(store.sync_counts().unwrap().conflicts, 1);
    let f = &list[0].fields[0];
    assert_eq!((f.base.clone(), f.mine.clone(), f.theirs.clone()), (Value::Null, json!("CFAC"), json!("DA")));
    let take = BTreeMap::from([("closing_code".to_string(), Side::Mine)]);
    store.resolve_conflict(&actor, &list[0].id, &take).unwrap();
    assert!(store.list_conflicts().unwrap().is_empty());
    assert_eq!(summary(&store).0.as_deref(), Some("CFAC"));
}

/// A conflict on the closing code resolved to NFA-DUP keeps the reason: the officer's own
/// (set with the code here) goes with the resolution; a service's NFA-DUP with no reason
/// anywhere is refused, so no resolution ends with an NFA-DUP that says nothing of why.
#[test]
fn a_closing_code_conflict_resolved_to_nfa_dup_keeps_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("s.db"), "pw", "PC1", KdfParams::INSECURE_FAST).unwrap();
    let actor = store.actor().unwrap();
    store.apply_pull_page(&incident(5, None, "open", "High St")).unwrap();
    let why = bluelamp_forms::NfaDupReason::NoIncidentFound("Attended, address empty, no caller".into());
    store.set_closing_code_with(&actor, INC, Some("NFA-DUP"), Some(&why)).unwrap();
    let notices: Vec<ConflictNotice> = store.outbox_batch(10).unwrap().iter().map(da_at_6).collect();
    ack_all(&mut store, &notices);
    let c = store.list_conflicts().unwrap().pop().unwrap();
    let fields: Vec<&str> = c.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["closing_code"]);
    // The officer sees the reason that goes with their NFA-DUP (the service's DA has none).
    let f = &c.fields[0];
    assert_eq!(f.mine_note.as_deref(), Some("No incident found: Attended, address empty, no caller"));
    assert_eq!(f.theirs_note, None);
    let mine = BTreeMap::from([("closing_code".to_string(), Side::Mine)]);
    store.resolve_conflict(&actor, &c.id, &mine).unwrap();
    let d = store.get_incident(INC).unwrap().summary;
    assert_eq!((d.closing_code.as_deref(), d.nfa_dup_reason.as_ref()), (Some("NFA-DUP"), Some(&why)));
    let sent = store.outbox_batch(10).unwrap().pop().unwrap();
    assert_eq!(sent.payload["no_incident_found"], "Attended, address empty, no caller", "{}", sent.payload);

    // The service's NFA-DUP with no reason, over the officer's ASB: taking it is refused.
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("s.db"), "pw", "PC1", KdfParams::INSECURE_FAST).unwrap();
    let actor = store.actor().unwrap();
    store.apply_pull_page(&incident(5, None, "open", "High St")).unwrap();
    store.set_closing_code(&actor, INC, Some("ASB")).unwrap();
    let notices: Vec<ConflictNotice> = store
        .outbox_batch(10)
        .unwrap()
        .iter()
        .map(|m| ConflictNotice {
            theirs: json!({ "id": INC, "closing_code": "NFA-DUP", "status": "open" }),
            ..da_at_6(m)
        })
        .collect();
    ack_all(&mut store, &notices);
    let c = store.list_conflicts().unwrap().pop().unwrap();
    assert_eq!(c.fields[0].theirs_note.as_deref(), Some("No reason is given for NFA-DUP."));
    assert_eq!(c.fields[0].mine_note, None, "ASB needs no reason");
    let theirs = BTreeMap::from([("closing_code".to_string(), Side::Theirs)]);
    let e = store.resolve_conflict(&actor, &c.id, &theirs).unwrap_err();
    assert!(e.to_string().contains("NFA-DUP"), "{e}");
    assert_eq!(store.get_incident(INC).unwrap().summary.closing_code.as_deref(), Some("ASB"));
    assert_eq!(store.list_conflicts().unwrap().len(), 1, "still to resolve");
    // With the service's reason in its record, it is taken with the code.
    let dir2 = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir2.path().join("s.db"), "pw", "PC1", KdfParams::INSECURE_FAST).unwrap();
    let actor = store.actor().unwrap();
    store.apply_pull_page(&incident(5, None, "open", "High St")).unwrap();
    store.set_closing_code(&actor, INC, Some("ASB")).unwrap();
    let theirs_record =
        json!({ "id": INC, "closing_code": "NFA-DUP", "status": "open", "no_incident_found": "No trace" });
    let notices: Vec<ConflictNotice> = store
        .outbox_batch(10)
        .unwrap()
        .iter()
        .map(|m| ConflictNotice { theirs: theirs_record.clone(), ..da_at_6(m) })
        .collect();
    ack_all(&mut store, &notices);
    let c = store.list_conflicts().unwrap().pop().unwrap();
    assert_eq!(c.fields[0].theirs_note.as_deref(), Some("No incident found: No trace"), "shown before it is taken");
    store.resolve_conflict(&actor, &c.id, &theirs).unwrap();
    let d = store.get_incident(INC).unwrap().summary;
    assert_eq!(d.nfa_dup_shown.as_deref(), Some("No incident found: No trace"));
}
