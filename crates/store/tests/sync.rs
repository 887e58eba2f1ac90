//! The store's side of sync: outbox order, acknowledgements and parking in one transaction,
//! pull pages with their cursor, tombstones, resets that spare local data, bad pages.

mod common;

use bluelamp_protocol::wire::{Change, PullResponse, RecordType, ResetReason, WireNominal};
use bluelamp_protocol::{SearchRequest, Source, SCHEMA_VERSION};
use bluelamp_store::{Actor, AuditAction, AuditEvent, KdfParams, OutboxMutation, Store};
use serde_json::json;

fn new_store(dir: &tempfile::TempDir) -> (Store, Actor) {
    let store = Store::create(&dir.path().join("s.db"), "pw", "PC1", KdfParams::INSECURE_FAST).unwrap();
    let actor = store.actor().unwrap();
    (store, actor)
}

fn write(store: &mut Store, actor: &Actor, n: u32) {
    store
        .user_write(
            actor,
            AuditEvent::new(AuditAction::Collection, format!("test:{n}")),
            Some(OutboxMutation { name: "test.write/1".into(), payload: json!({ "n": n }) }),
            |_| Ok(()),
        )
        .unwrap();
}

fn nominal(id: &str, given: &str, surname: &str) -> Change {
    let w = WireNominal {
        id: id.into(),
        given_name: given.into(),
        surname: surname.into(),
        date_of_birth: Some("1984-03-12".into()),
        sex: None,
        aliases: vec![],
        address: None,
        postcode: None,
        source: Source::Current,
        phones: vec![],
    };
    Change::Upsert {
        record_type: RecordType::Nominal,
        id: id.into(),
        version: 1,
        data: serde_json::to_value(w).unwrap(),
    }
}

fn page(changes: Vec<Change>, cursor: &str, has_more: bool) -> PullResponse {
    PullResponse {
        schema_version: SCHEMA_VERSION,
        changes,
        next_cursor: cursor.into(),
        has_more,
        last_applied_seq: 0,
        remaining: 0,
        reset: None,
        instructions: vec![],
    }
}

fn found(store: &Store, surname: &str) -> Vec<String> {
    let req = SearchRequest { surname: Some(surname.into()), ..Default::default() };
    store.search(&req).unwrap().into_iter().map(|h| h.id).collect()
}

#[test]
fn outbox_is_read_in_seq_order_and_acks_park_rejections() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    for n in 0..5 {
        write(&mut store, &actor, n);
    }
    let batch = store.outbox_batch(3).unwrap();
    assert_eq!(batch.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(batch[1].payload, json!({ "n": 1 }));
    store.outbox_note_failure(1, 3, "network: refused").unwrap();
    store.outbox_commit_ack(3, &[(2, "invalid_payload".into(), "refused".into())], &[], &[]).unwrap();
    let c = store.sync_counts().unwrap();
    assert_eq!((c.pending, c.acknowledged, c.rejected, c.server_last_seq), (2, 2, 1, 3));
    let parked = store.parked().unwrap();
    assert_eq!(parked.len(), 1);
    assert_eq!((parked[0].seq, parked[0].code.as_str(), parked[0].message.as_str()), (2, "invalid_payload", "refused"));
    // The queue moved on.
    assert_eq!(store.outbox_batch(10).unwrap().iter().map(|m| m.seq).collect::<Vec<_>>(), vec![4, 5]);
    // A repeated (resent) acknowledgement changes nothing and never moves the seq back.
    store.outbox_commit_ack(2, &[(2, "invalid_payload".into(), "refused".into())], &[], &[]).unwrap();
    let c = store.sync_counts().unwrap();
    assert_eq!((c.pending, c.acknowledged, c.rejected, c.server_last_seq), (2, 2, 1, 3));
}

#[test]
fn pages_apply_with_their_cursor_and_are_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = new_store(&dir);
    assert_eq!(store.pull_cursor().unwrap(), None);
    store
        .apply_pull_page(&page(
            vec![nominal("n1", "William", "Smith"), nominal("n2", "Siobhán", "O'Sullivan")],
            "c1",
            true,
        ))
        .unwrap();
    assert_eq!(store.pull_cursor().unwrap().as_deref(), Some("c1"));
    assert!(store.sync_counts().unwrap().pull_in_progress);
    assert_eq!(found(&store, "Smyth"), vec!["n1".to_string()]);
    let r = store
        .apply_pull_page(&page(
            vec![Change::Tombstone { record_type: RecordType::Nominal, id: "n1".into(), version: 2 }],
            "c2",
            false,
        ))
        .unwrap();
    assert_eq!(r.tombstones, 1);
    assert!(found(&store, "Smith").is_empty());
    let c = store.sync_counts().unwrap();
    assert!(!c.pull_in_progress);
    assert_eq!(c.pulled_total, 2);
    assert_eq!(store.nominal_count().unwrap(), 1);
}

#[test]
fn a_bad_page_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = new_store(&dir);
    store.apply_pull_page(&page(vec![nominal("n1", "Ann", "Lee")], "c1", true)).unwrap();
    let bad = Change::Upsert { record_type: RecordType::Nominal, id: "n9".into(), version: 3, data: json!({"id": 5}) };
    let wrong_id = nominal("n8", "Bob", "Ray");
    let Change::Upsert { data, .. } = wrong_id else { unreachable!() };
    let mismatched = Change::Upsert { record_type: RecordType::Nominal, id: "n7".into(), version: 3, data };
    for c in [bad, mismatched] {
        assert!(store.apply_pull_page(&page(vec![nominal("n2", "Eve", "Day"), c], "c2", false)).is_err());
        assert_eq!(store.pull_cursor().unwrap().as_deref(), Some("c1"));
        assert_eq!(store.nominal_count().unwrap(), 1);
    }
}

#[test]
fn reset_keeps_local_data_and_sweeps_only_stale_server_rows_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    // A legacy record imported locally, and something the officer wrote.
    store.upsert_nominals(&[common::rec("legacy1", "Mary", "Jones")]).unwrap();
    write(&mut store, &actor, 1);
    store.apply_pull_page(&page(vec![nominal("n1", "Ann", "Lee"), nominal("n2", "Eve", "Day")], "c1", false)).unwrap();
    // Timestamps have millisecond resolution: the reset must come after n2 was written.
    std::thread::sleep(std::time::Duration::from_millis(5));
    let mut reset = page(vec![], "c0", true);
    reset.reset = Some(ResetReason::ScopeChanged);
    store.apply_pull_page(&reset).unwrap();
    assert_eq!(store.pull_cursor().unwrap().as_deref(), Some("c0"), "the start of the new scope");
    // Still searchable during the re-pull.
    assert_eq!(found(&store, "Day"), vec!["n2".to_string()]);
    std::thread::sleep(std::time::Duration::from_millis(5));
    let r = store.apply_pull_page(&page(vec![nominal("n1", "Ann", "Lee")], "c9", false)).unwrap();
    assert_eq!(r.swept, 1, "n2 is no longer in scope");
    assert!(found(&store, "Day").is_empty());
    assert_eq!(found(&store, "Lee"), vec!["n1".to_string()]);
    assert_eq!(found(&store, "Jones"), vec!["legacy1".to_string()], "local imports are never swept");
    assert_eq!(store.sync_counts().unwrap().pending, 1, "the outbox is untouched");
    assert!(store.audit_verify().unwrap().broken.is_none());
}

/// A re-pull sweeps what it did not send, whatever the clock said while it ran: a laptop whose
/// clock stepped back during the re-pull (a time sync after resume) wrote the rows it pulled
/// with times before the re-pull's start, and the sweep by time dropped them.
#[test]
fn a_clock_stepped_back_during_a_re_pull_sweeps_nothing_it_sent() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _actor) = new_store(&dir);
    store.apply_pull_page(&page(vec![nominal("n1", "Ann", "Lee"), nominal("n2", "Eve", "Day")], "c1", false)).unwrap();
    let mut reset = page(vec![], "c0", true);
    reset.reset = Some(ResetReason::CursorTooOld);
    store.apply_pull_page(&reset).unwrap();
    store.apply_pull_page(&page(vec![nominal("n1", "Ann", "Lee")], "c5", true)).unwrap();
    // The clock steps back an hour: n1, just pulled, looks older than the re-pull.
    store.conn().execute("UPDATE nominals SET updated_at = '2000-01-01T00:00:00.000Z' WHERE id = 'n1'", []).unwrap();
    let r = store.apply_pull_page(&page(vec![], "c9", false)).unwrap();
    assert_eq!(r.swept, 1, "only n2, which the re-pull did not send");
    assert_eq!(found(&store, "Lee"), vec!["n1".to_string()]);
    assert!(found(&store, "Day").is_empty());
}

#[test]
fn token_and_server_are_kept_in_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = new_store(&dir);
    assert_eq!(store.token().unwrap(), None);
    store.set_server_url("http://127.0.0.1:1").unwrap();
    // Valid for another 30 days, whenever the test runs.
    let until = (time::OffsetDateTime::now_utc() + time::Duration::days(30))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    store.set_token_until("t0k", &until).unwrap();
    drop(store);
    let mut store = Store::open(&dir.path().join("s.db"), "pw").unwrap();
    assert_eq!(store.token().unwrap(), Some(("t0k".into(), until.clone())));
    assert_eq!(store.server_url().unwrap().as_deref(), Some("http://127.0.0.1:1"));
    assert_eq!(store.usable_token().unwrap().as_deref(), Some("t0k"));
    store.set_token_until("old", "2020-01-01T00:00:00Z").unwrap();
    assert_eq!(store.usable_token().unwrap(), None, "expired");
    store.set_token_until("bad", "not a time").unwrap();
    assert_eq!(store.usable_token().unwrap(), None, "unreadable expiry");
    store.clear_token().unwrap();
    assert_eq!(store.token().unwrap(), None);
}

/// A device whose clock is hours ahead of the service's: the service's `expires_at` is already
/// past by the device's clock, but the token's lifetime counts from the device's own clock.
#[test]
fn a_token_lasts_its_lifetime_by_the_devices_clock() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = new_store(&dir);
    let answer = |expires_in_secs| bluelamp_protocol::wire::LoginResponse {
        token: "t0k".into(),
        officer_id: "PC1".into(),
        role: bluelamp_protocol::session::Role::Officer,
        district: "D".into(),
        expires_at: "2020-01-01T00:00:00Z".into(),
        client_id: "c".into(),
        expires_in_secs,
    };
    store.set_token(&answer(Some(12 * 3600))).unwrap();
    assert_eq!(store.usable_token().unwrap().as_deref(), Some("t0k"), "twelve hours from now, here");
    store.set_token(&answer(Some(30))).unwrap();
    assert_eq!(store.usable_token().unwrap(), None, "less than the minute to spare");
    store.set_token(&answer(None)).unwrap();
    assert_eq!(store.usable_token().unwrap(), None, "an older service: its expiry as given");
    store.set_token(&answer(Some(u64::MAX))).unwrap();
    assert_eq!(store.usable_token().unwrap().as_deref(), Some("t0k"), "an absurd lifetime is capped, not an error");
}

/// A queued write whose payload carries `answers` (a large form's worth).
fn write_answers(store: &mut Store, actor: &Actor, n: u32, answers: &str) {
    store
        .user_write(
            actor,
            AuditEvent::new(AuditAction::Collection, format!("test:{n}")),
            Some(OutboxMutation { name: "test.write/1".into(), payload: json!({ "n": n, "answers": answers }) }),
            |_| Ok(()),
        )
        .unwrap();
}

/// A batch ends by size as well as count: twelve forms of 700 KB in one request would pass the
/// service's request limit, be refused every time, and hold the outbox for good.
#[test]
fn a_push_batch_ends_by_size_with_at_least_one_entry() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let big = "x".repeat(700 * 1024);
    for n in 0..12 {
        write_answers(&mut store, &actor, n, &big);
    }
    let batch = store.outbox_batch(200).unwrap();
    let bytes: usize = batch.iter().map(|m| m.payload.to_string().len()).sum();
    assert!(!batch.is_empty() && batch.len() < 12, "{} entries", batch.len());
    assert!(bytes <= bluelamp_protocol::wire::PUSH_BATCH_BYTES, "{bytes}");
    assert!(bytes < bluelamp_protocol::wire::MAX_REQUEST_BYTES / 4);
    assert_eq!(batch.iter().map(|m| m.seq).collect::<Vec<_>>(), (1..=batch.len() as u64).collect::<Vec<_>>());
    // One entry larger than the budget still goes, alone.
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let huge = "x".repeat(bluelamp_protocol::wire::PUSH_BATCH_BYTES + 1);
    for n in 0..2 {
        write_answers(&mut store, &actor, n, &huge);
    }
    assert_eq!(store.outbox_batch(200).unwrap().len(), 1);
}

#[test]
fn demo_enqueue_queues_submitted_forms_with_unique_ids() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = new_store(&dir);
    let t = std::time::Instant::now();
    let ids = store.demo_enqueue_forms(20).unwrap();
    eprintln!("20 forms in {:?}", t.elapsed());
    let mut uniq = ids.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), 20);
    let batch = store.outbox_batch(100).unwrap();
    let submits: Vec<_> = batch.iter().filter(|m| m.name == "form.submit/1").collect();
    assert_eq!(submits.len(), 20);
    assert!(store.audit_verify().unwrap().broken.is_none());
}

#[test]
fn assigned_incidents_arrive_and_leave_unless_work_was_recorded_on_them() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let incident = |id: &str, code: &str| Change::Upsert {
        record_type: RecordType::Incident,
        id: id.into(),
        version: 1,
        data: json!({
            "id": id, "reference": format!("REF-{id}"), "incident_type": "domestic_abuse",
            "offence_category": "domestic_abuse", "occurred_at": 1_700_000_000, "recorded_at": 1_700_000_100,
            "assigned_to": "PC1", "closing_code": code, "district": "north", "status": "open",
            "links": [{"nominal_id": "n1", "role": "victim"}, {"nominal_id": "n2", "role": "no_such_role"}],
            "version": 1
        }),
    };
    let r =
        store.apply_pull_page(&page(vec![incident("i1", "DA"), incident("i2", "NOT-A-CODE")], "c1", false)).unwrap();
    assert_eq!(r.incidents, 2);
    let list = store.list_incidents().unwrap();
    let i1 = list.iter().find(|i| i.id == "i1").unwrap();
    assert_eq!(i1.links.len(), 1, "an unknown role is left off");
    assert_eq!(list.iter().find(|i| i.id == "i2").unwrap().closing_code, None, "an unknown code is left off");
    // Work is recorded on i1; then both are reassigned away.
    let plan = store.start_form(&actor, "i1", "da-safeguarding-plan").unwrap();
    let gone = |id: &str| Change::Tombstone { record_type: RecordType::Incident, id: id.into(), version: 2 };
    store.apply_pull_page(&page(vec![gone("i1"), gone("i2")], "c2", false)).unwrap();
    let ids: Vec<String> = store.list_incidents().unwrap().into_iter().map(|i| i.id).collect();
    assert_eq!(ids, vec!["i1".to_string()], "i1 keeps the draft {plan}; i2 is gone");
    // A malformed incident refuses the page.
    let bad =
        Change::Upsert { record_type: RecordType::Incident, id: "i3".into(), version: 3, data: json!({"id": "i3"}) };
    assert!(store.apply_pull_page(&page(vec![bad], "c3", false)).is_err());
    assert_eq!(store.pull_cursor().unwrap().as_deref(), Some("c2"));
}

/// Incidents the service stops sending without a tombstone reaching the device (reassigned
/// while the device was away, and the tombstone compacted: the next pull is a reset) are swept
/// at the end of the re-pull, like nominals. One holding work recorded here (a draft, a closing
/// code not yet acknowledged) is kept and marked no longer assigned; locally imported incidents
/// are never swept. A tombstone keeps an incident with an unacknowledged closing code too.
#[test]
fn a_re_pull_sweeps_incidents_no_longer_sent_but_keeps_local_work() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let incident = |id: &str| Change::Upsert {
        record_type: RecordType::Incident,
        id: id.into(),
        version: 1,
        data: json!({
            "id": id, "reference": format!("REF-{id}"), "incident_type": "domestic_abuse",
            "offence_category": "domestic_abuse", "occurred_at": 1_700_000_000, "recorded_at": 1_700_000_100,
            "assigned_to": "PC1", "district": "north", "status": "open", "links": [], "version": 1
        }),
    };
    let ids = |store: &Store| -> Vec<(String, bool)> {
        let mut v: Vec<_> =
            store.list_incidents().unwrap().into_iter().map(|i| (i.id, i.no_longer_assigned_since.is_some())).collect();
        v.sort();
        v
    };
    let all: Vec<Change> = ["i1", "i2", "i3", "i4", "i5"].iter().map(|i| incident(i)).collect();
    store.apply_pull_page(&page(all, "c1", false)).unwrap();
    store
        .import_incidents(&[bluelamp_store::casework::NewIncident {
            id: Some("local-1".into()),
            reference: "LOCAL-1".into(),
            incident_type: "theft".into(),
            offence_category: None,
            place: None,
            postcode: None,
            team: None,
            occurred_at: 1_700_000_000,
            recorded_at: 1_700_000_000,
            assigned_to: Some("PC1".into()),
            closing_code: None,
            links: vec![],
        }])
        .unwrap();
    // Work recorded here: a draft on i3, a closing code not yet pushed on i4 and i5.
    let draft = store.start_form(&actor, "i3", "da-safeguarding-plan").unwrap();
    store.set_closing_code(&actor, "i4", Some("DA")).unwrap();
    store.set_closing_code(&actor, "i5", Some("DA")).unwrap();
    let pending = store.sync_counts().unwrap().pending;

    // A tombstone for i5: kept, marked (its closing code still has to reach the service).
    let r = store
        .apply_pull_page(&page(
            vec![Change::Tombstone { record_type: RecordType::Incident, id: "i5".into(), version: 2 }],
            "c2",
            false,
        ))
        .unwrap();
    assert_eq!((r.incidents_removed, r.incidents_kept), (0, 1));

    // A reset, then a re-pull that sends only i1 (same version as held).
    let mut reset = page(vec![], "c0", true);
    reset.reset = Some(ResetReason::CursorTooOld);
    store.apply_pull_page(&reset).unwrap();
    // A lock arrives mid re-pull: the page serves nothing and ends the pull early; it is not
    // complete, so nothing is swept yet.
    let mut lock = page(vec![], "c0", false);
    lock.instructions = vec![bluelamp_protocol::wire::Instruction::Lock];
    let r = store.apply_pull_page(&lock).unwrap();
    assert_eq!((r.incidents_removed, r.swept), (0, 0));
    assert!(ids(&store).iter().any(|(i, _)| i == "i2"));
    let r = store.apply_pull_page(&page(vec![incident("i1")], "c3", false)).unwrap();
    assert_eq!((r.incidents_removed, r.incidents_kept), (1, 2), "i2 removed; i3 and i4 kept");
    assert_eq!(
        ids(&store),
        [("i1", false), ("i3", true), ("i4", true), ("i5", true), ("local-1", false)]
            .map(|(i, f)| (i.to_string(), f))
            .to_vec()
    );
    assert_eq!(store.sync_counts().unwrap().pending, pending, "the outbox is untouched");
    assert!(store.get_form(&draft).is_ok(), "the draft is kept");
    assert!(store.audit_verify().unwrap().broken.is_none());

    // Once the closing codes are acknowledged, nothing keeps i4 and i5: the next pull removes
    // them. The draft still keeps i3.
    let head = store.outbox_head().unwrap();
    store.outbox_commit_ack(head, &[], &[], &[]).unwrap();
    let r = store.apply_pull_page(&page(vec![], "c4", false)).unwrap();
    assert_eq!(r.incidents_removed, 2);
    assert_eq!(
        ids(&store),
        [("i1", false), ("i3", true), ("local-1", false)].map(|(i, f)| (i.to_string(), f)).to_vec()
    );
    // Assigned again: the mark goes.
    store.apply_pull_page(&page(vec![incident("i3")], "c5", false)).unwrap();
    assert!(ids(&store).contains(&("i3".to_string(), false)));
}

#[test]
fn pages_applied_together_keep_each_records_last_change() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = new_store(&dir);
    let gone = |id: &str| Change::Tombstone { record_type: RecordType::Nominal, id: id.into(), version: 9 };
    let pages = vec![
        page(vec![nominal("n1", "Ann", "Lee"), gone("n2")], "c1", true),
        page(vec![nominal("n2", "Eve", "Day"), gone("n1")], "c2", true),
        page(vec![nominal("n3", "Bob", "Ray")], "c3", false),
    ];
    let r = store.apply_pull_pages(&pages).unwrap();
    assert_eq!(store.pull_cursor().unwrap().as_deref(), Some("c3"));
    assert!(found(&store, "Lee").is_empty(), "n1 was deleted after it was added");
    assert_eq!(found(&store, "Day"), vec!["n2".to_string()], "n2 came back after its tombstone");
    assert_eq!(found(&store, "Ray"), vec!["n3".to_string()]);
    assert_eq!(r.upserts, 2);
    assert!(!store.sync_counts().unwrap().pull_in_progress);
    let mut reset = page(vec![], "c0", true);
    reset.reset = Some(ResetReason::CursorTooOld);
    assert!(store.apply_pull_pages(&[page(vec![], "c9", true), reset]).is_err(), "a reset comes alone");
    assert_eq!(store.pull_cursor().unwrap().as_deref(), Some("c3"));
}

/// A DA incident assigned to PC1 as the service sends it.
fn da_incident(id: &str, occurred_at: i64, links: serde_json::Value) -> Change {
    Change::Upsert {
        record_type: RecordType::Incident,
        id: id.into(),
        version: 1,
        data: json!({
            "id": id, "reference": format!("REF-{id}"), "incident_type": "domestic_abuse",
            "offence_category": "domestic_abuse", "occurred_at": occurred_at, "recorded_at": occurred_at + 100,
            "assigned_to": "PC1", "closing_code": "DA", "district": "north", "status": "open",
            "links": links, "version": 1
        }),
    }
}

/// Casework recorded on other devices (a form, the supervisor's review, a referral decision)
/// arrives with the pull: the form shows with its review, the supervisor-review wait is over, a
/// referral counts for the gate; a bad record refuses the page; the pulled rows leave with an
/// incident reassigned away, and never count as work still to push.
#[test]
fn casework_recorded_elsewhere_is_taken_and_leaves_with_its_incident() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _actor) = new_store(&dir);
    let incident = da_incident("i1", 1_700_000_000, json!([]));
    let casework =
        |forms: serde_json::Value, reviews: serde_json::Value, referrals: serde_json::Value| Change::Upsert {
            record_type: RecordType::Casework,
            id: "i1".into(),
            version: 2,
            data: json!({ "incident_id": "i1", "forms": forms, "reviews": reviews, "referrals": referrals }),
        };
    let plan = json!({ "id": "f-1", "pack_id": "da-safeguarding-plan", "pack_version": "1.0.0", "status": "submitted",
        "answers": {"a": 1}, "submitted_by": "PC2", "submitted_at": "2026-12-03T08:00:00Z" });
    let gate_before = store.incident_gate("i1");
    assert!(gate_before.is_err(), "no incident yet");
    let r = store
        .apply_pull_page(&page(vec![incident, casework(json!([plan]), json!([]), json!([]))], "c1", false))
        .unwrap();
    assert_eq!(r.casework, 1);
    let detail = store.get_incident("i1").unwrap();
    assert_eq!(detail.forms.len(), 1);
    assert_eq!((detail.forms[0].id.as_str(), detail.forms[0].created_by.as_str()), ("f-1", "PC2"));
    assert_eq!(store.get_form("f-1").unwrap().answers, json!({"a": 1}));
    assert_eq!(store.sync_counts().unwrap().pending, 0, "nothing is queued for pulled casework");

    // The supervisor returns it; a referral decision is recorded elsewhere.
    let review = json!({ "id": "central-review-7", "form_id": "f-1", "reviewer": "SGT1", "decision": "return",
        "comments": "add the children", "reviewed_at": "2026-12-03T09:00:00Z" });
    let referral = json!({ "id": "r-1", "incident_id": "i1", "victim_id": "v-1", "outcome": "referred",
        "destination": "idva", "details": {}, "status": "active", "decided_at": "2026-12-03T09:01:00Z",
        "decided_by": "SGT1" });
    let returned = json!({ "id": "f-1", "pack_id": "da-safeguarding-plan", "pack_version": "1.0.0", "status": "returned",
        "answers": {"a": 1}, "submitted_by": "PC2" });
    let r = store
        .apply_pull_page(&page(vec![casework(json!([returned]), json!([review]), json!([referral]))], "c2", false))
        .unwrap();
    assert_eq!(r.casework, 3, "status, review, referral");
    let detail = store.get_incident("i1").unwrap();
    let f = &detail.forms[0];
    assert_eq!(serde_json::to_value(f.status).unwrap(), json!("returned"));
    assert_eq!(f.reviews.len(), 1);
    assert_eq!(f.reviews[0].comments.as_deref(), Some("add the children"));
    assert_eq!(detail.referrals.len(), 1);
    assert_eq!(detail.referrals[0].destination.as_deref(), Some("idva"));
    // Applying the same record again changes nothing.
    let r = store
        .apply_pull_page(&page(vec![casework(json!([returned]), json!([review]), json!([referral]))], "c3", false))
        .unwrap();
    assert_eq!(r.casework, 0);

    // A record that cannot be right refuses the whole page.
    let bad = casework(
        json!([{ "id": "f-2", "pack_id": "x", "status": "deleted", "answers": {}, "submitted_by": "PC2" }]),
        json!([]),
        json!([]),
    );
    assert!(store.apply_pull_page(&page(vec![bad], "c4", false)).is_err());
    let other = Change::Upsert {
        record_type: RecordType::Casework,
        id: "i1".into(),
        version: 5,
        data: json!({ "incident_id": "i9" }),
    };
    assert!(store.apply_pull_page(&page(vec![other], "c4", false)).is_err());
    assert_eq!(store.pull_cursor().unwrap().as_deref(), Some("c3"));

    // Casework of an incident this device does not hold is not applied; once the pull has
    // read the feed to its head, the incident is not coming, and nothing of it is kept.
    let elsewhere = Change::Upsert {
        record_type: RecordType::Casework,
        id: "i8".into(),
        version: 6,
        data: json!({ "incident_id": "i8", "forms": [plan] }),
    };
    assert_eq!(store.apply_pull_page(&page(vec![elsewhere], "c5", false)).unwrap().casework, 0);
    assert_eq!(parked(&store), 0);

    // Reassigned away: only pulled work is on it, so it leaves with its casework.
    let gone = Change::Tombstone { record_type: RecordType::Incident, id: "i1".into(), version: 7 };
    store.apply_pull_page(&page(vec![gone], "c6", false)).unwrap();
    assert!(store.list_incidents().unwrap().iter().all(|i| i.id != "i1"));
    let left: i64 = store
        .conn()
        .query_row(
            "SELECT (SELECT count(*) FROM forms) + (SELECT count(*) FROM form_reviews) + (SELECT count(*) FROM referrals)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0);
}

fn parked(store: &Store) -> i64 {
    store.conn().query_row("SELECT count(*) FROM pulled_casework_parked", [], |r| r.get(0)).unwrap()
}

/// The feed holds each record once, at its latest version: an incident changed after its
/// casework (a closing code set after the form's review) comes after it. When the pull's commit
/// groups split the two (a connection dropped between pages), the casework waits for its
/// incident and is applied when it comes, instead of being lost while the cursor moves on.
#[test]
fn casework_that_comes_before_its_incident_waits_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _actor) = new_store(&dir);
    let form = json!({ "id": "f-9", "pack_id": "da-safeguarding-plan", "pack_version": "1.0.0",
        "status": "returned", "answers": {"a": 1}, "submitted_by": "PC2", "submitted_at": "2026-12-03T08:00:00Z" });
    let review = json!({ "id": "rv-9", "form_id": "f-9", "reviewer": "SGT1", "decision": "return",
        "comments": "add the children", "reviewed_at": "2026-12-03T09:00:00Z" });
    let casework = Change::Upsert {
        record_type: RecordType::Casework,
        id: "i5".into(),
        version: 3,
        data: json!({ "incident_id": "i5", "forms": [form], "reviews": [review], "referrals": [] }),
    };
    // One group ends after the casework (more to come) ...
    let r = store.apply_pull_page(&page(vec![casework], "c1", true)).unwrap();
    assert_eq!(r.casework, 0, "no incident i5 yet");
    assert_eq!(parked(&store), 1);
    // ... and the incident comes in the next.
    let r = store.apply_pull_page(&page(vec![da_incident("i5", 1_700_000_000, json!([]))], "c2", false)).unwrap();
    assert_eq!(r.casework, 2, "the form and its review");
    let detail = store.get_incident("i5").unwrap();
    assert_eq!(detail.forms.len(), 1);
    assert_eq!(detail.forms[0].reviews[0].comments.as_deref(), Some("add the children"));
    assert_eq!(parked(&store), 0);
    assert_eq!(store.sync_counts().unwrap().pending, 0, "pulled casework is not queued");
}

fn open_tasks_of(store: &Store, incident: &str) -> Vec<(String, Option<String>, Option<String>)> {
    let mut v: Vec<_> = store
        .get_incident(incident)
        .unwrap()
        .tasks
        .into_iter()
        .filter(|t| t.status == "open")
        .map(|t| (t.kind, t.owner, t.due_at))
        .collect();
    v.sort();
    v
}

/// A High risk assessment submitted on another device brings its referral tasks with it (the
/// service carries forms, not tasks): MARAC, IDVA and Concern for a Child, due from its
/// submission and owned by its author, once; a referral recorded anywhere closes its task, and
/// its withdrawal opens it again; the tasks leave with the incident.
#[test]
fn a_risk_assessment_pulled_from_another_device_brings_its_referral_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _actor) = new_store(&dir);
    let links = json!([{"nominal_id": "v-1", "role": "victim"}, {"nominal_id": "s-1", "role": "suspect"},
                       {"nominal_id": "c-1", "role": "child"}]);
    let incident = da_incident("i2", 1_764_748_800, links);
    let pack = bluelamp_store::casework::catalog().unwrap().pack("dash-style-da-risk").unwrap();
    let answers = bluelamp_store::casework::sample_answers(pack, &["v-1".into(), "s-1".into()], true);
    let form = |id: &str, amends: Option<&str>| {
        json!({ "id": id, "pack_id": "dash-style-da-risk", "pack_version": "1.0.0", "status": "submitted",
            "answers": answers, "officer_grade": "high", "rationale": "Strangulation", "amends_id": amends,
            "submitted_by": "PC2", "submitted_at": "2026-12-03T08:00:00Z" })
    };
    let casework = |version: u64, forms: serde_json::Value, referrals: serde_json::Value| Change::Upsert {
        record_type: RecordType::Casework,
        id: "i2".into(),
        version,
        data: json!({ "incident_id": "i2", "forms": forms, "reviews": [], "referrals": referrals }),
    };
    store
        .apply_pull_page(&page(vec![incident, casework(2, json!([form("f-9", None)]), json!([]))], "c1", false))
        .unwrap();
    let due = Some("2026-12-04T08:00:00Z".to_string());
    let pc2 = Some("PC2".to_string());
    let want = vec![
        ("concern_for_child".to_string(), pc2.clone(), due.clone()),
        ("idva_referral".to_string(), pc2.clone(), due.clone()),
        ("marac_referral".to_string(), pc2.clone(), due.clone()),
    ];
    assert_eq!(open_tasks_of(&store, "i2"), want, "no supervisor-review task: the queue lists the form");
    assert_eq!(store.sync_counts().unwrap().pending, 0, "nothing is queued for them");
    // The same record again makes none.
    store.apply_pull_page(&page(vec![casework(3, json!([form("f-9", None)]), json!([]))], "c2", false)).unwrap();
    assert_eq!(open_tasks_of(&store, "i2"), want);

    // A MARAC referral recorded elsewhere closes its task; an amendment pulled after it makes no
    // new MARAC task (the referral carries it out) and does not repeat the open ones.
    let marac = json!({ "id": "r-9", "incident_id": "i2", "victim_id": "v-1", "outcome": "referred",
        "destination": "marac", "details": {}, "status": "active", "decided_at": "2026-12-03T09:00:00Z",
        "decided_by": "PC2" });
    store.apply_pull_page(&page(vec![casework(4, json!([]), json!([marac]))], "c3", false)).unwrap();
    store
        .apply_pull_page(&page(vec![casework(5, json!([form("f-10", Some("f-9"))]), json!([]))], "c4", false))
        .unwrap();
    assert_eq!(open_tasks_of(&store, "i2"), want[..2].to_vec());

    // That referral withdrawn elsewhere: the MARAC task is open again, as when withdrawn here.
    let mut withdrawn = marac.clone();
    withdrawn["status"] = json!("withdrawn");
    withdrawn["withdrawal"] =
        json!({ "reason": "Recorded by mistake", "withdrawn_at": "2026-12-03T10:00:00Z", "withdrawn_by": "PC2" });
    store.apply_pull_page(&page(vec![casework(6, json!([]), json!([withdrawn]))], "c5", false)).unwrap();
    assert_eq!(open_tasks_of(&store, "i2"), want);

    // Reassigned away: the tasks leave with the pulled forms.
    let gone = Change::Tombstone { record_type: RecordType::Incident, id: "i2".into(), version: 7 };
    store.apply_pull_page(&page(vec![gone], "c6", false)).unwrap();
    let left: i64 = store.conn().query_row("SELECT count(*) FROM tasks", [], |r| r.get(0)).unwrap();
    assert_eq!(left, 0);
}

/// The officer deferred the referral question on the laptop; the victim is asked again and
/// declines at the station. The pulled decision settles the laptop's "ask again" task.
#[test]
fn a_decision_recorded_elsewhere_settles_the_ask_again_task() {
    use bluelamp_protocol::casework::{ReferralDecisionInput, ReferralOutcome};
    let dir = tempfile::tempdir().unwrap();
    let (mut store, actor) = new_store(&dir);
    let incident = da_incident("i3", 1_764_748_800, json!([{"nominal_id": "v-1", "role": "victim"}]));
    store.apply_pull_page(&page(vec![incident], "c1", false)).unwrap();
    let deferred = ReferralDecisionInput {
        outcome: ReferralOutcome::Deferred,
        destination: None,
        consent_given: None,
        in_their_words: None,
        reason: Some("Suspect in the room".into()),
        follow_up_due: None,
        services_offered: vec![],
        safe_contact: None,
        needs: Default::default(),
    };
    store.record_referral_decision(&actor, "i3", "v-1", &deferred).unwrap();
    let open = |store: &Store| open_tasks_of(store, "i3").into_iter().filter(|t| t.0 == "referral_follow_up").count();
    assert_eq!(open(&store), 1);
    let declined = json!({ "id": "r-7", "incident_id": "i3", "victim_id": "v-1", "outcome": "declined",
        "destination": null, "details": {"in_their_words": "Not now"}, "status": "active",
        "decided_at": "2026-12-04T09:00:00Z", "decided_by": "PC7" });
    let casework = Change::Upsert {
        record_type: RecordType::Casework,
        id: "i3".into(),
        version: 2,
        data: json!({ "incident_id": "i3", "forms": [], "reviews": [], "referrals": [declined] }),
    };
    store.apply_pull_page(&page(vec![casework], "c2", false)).unwrap();
    assert_eq!(open(&store), 0);
}

/// A deferral recorded on another device brings its "ask again" task (the service carries
/// decisions, not tasks), due at the end of its follow-up day; a later decision settles it, in
/// whichever order the record lists them; it leaves with the incident.
#[test]
fn a_deferral_recorded_elsewhere_brings_its_ask_again_task() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _actor) = new_store(&dir);
    let links = json!([{"nominal_id": "v-1", "role": "victim"}, {"nominal_id": "v-2", "role": "victim"}]);
    let decision = |id: &str, victim: &str, outcome: &str, at: &str| {
        json!({ "id": id, "incident_id": "i4", "victim_id": victim, "outcome": outcome, "destination": null,
            "details": {"follow_up_due": "2026-12-08", "reason": "Suspect present", "in_their_words": "No"},
            "status": "active", "decided_at": at, "decided_by": "PC7" })
    };
    let casework = |version: u64, referrals: serde_json::Value| Change::Upsert {
        record_type: RecordType::Casework,
        id: "i4".into(),
        version,
        data: json!({ "incident_id": "i4", "forms": [], "reviews": [], "referrals": referrals }),
    };
    // v-2: declined after deferring, listed in the reverse order: no task stays open.
    let page1 = vec![
        da_incident("i4", 1_764_748_800, links),
        casework(
            2,
            json!([
                decision("r-8", "v-1", "deferred", "2026-12-04T09:00:00Z"),
                decision("r-11", "v-2", "declined", "2026-12-04T11:00:00Z"),
                decision("r-10", "v-2", "deferred", "2026-12-04T10:00:00Z"),
            ]),
        ),
    ];
    store.apply_pull_page(&page(page1, "c1", false)).unwrap();
    let tasks: Vec<_> = store
        .get_incident("i4")
        .unwrap()
        .tasks
        .into_iter()
        .filter(|t| t.kind == "referral_follow_up" && t.status == "open")
        .collect();
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0].id, "follow-up-r-8");
    assert_eq!(tasks[0].owner.as_deref(), Some("PC7"));
    assert_eq!(tasks[0].due_at.as_deref(), Some("2026-12-08T23:59:59Z"), "the end of the UK day (GMT)");
    // The victim declines later, elsewhere.
    store
        .apply_pull_page(&page(
            vec![casework(3, json!([decision("r-9", "v-1", "declined", "2026-12-05T09:00:00Z")]))],
            "c2",
            false,
        ))
        .unwrap();
    assert!(open_tasks_of(&store, "i4").is_empty());
    // Reassigned away: only pulled work on it, so it goes, tasks and all.
    let gone = Change::Tombstone { record_type: RecordType::Incident, id: "i4".into(), version: 9 };
    store.apply_pull_page(&page(vec![gone], "c3", false)).unwrap();
    assert!(store.list_incidents().unwrap().iter().all(|i| i.id != "i4"));
    let left: i64 = store.conn().query_row("SELECT count(*) FROM tasks", [], |r| r.get(0)).unwrap();
    assert_eq!(left, 0);
}

/// Removing a person (a pull's removal notice, a re-pull's sweep) reads only that person's
/// rows. Until schema 18 the search keys' foreign key made every delete scan all the key rows
/// of everyone (about ten million at a million people), under the session's lock.
#[test]
fn removing_a_person_scans_nobody_elses_search_keys() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = new_store(&dir);
    let people: Vec<_> = (0..500).map(|i| common::rec(&format!("N{i}"), "Ann", &format!("Smith{i}"))).collect();
    store.upsert_nominals(&people).unwrap();
    let conn = store.conn();
    assert!(conn.query_row("PRAGMA foreign_keys", [], |r| r.get::<_, bool>(0)).unwrap(), "as the store runs");
    let keys: i64 = conn.query_row("SELECT count(*) FROM name_keys", [], |r| r.get(0)).unwrap();
    assert!(keys > 1000, "{keys} key rows");
    let mut stmt = conn.prepare("DELETE FROM nominals WHERE id = 'N7'").unwrap();
    assert_eq!(stmt.execute([]).unwrap(), 1);
    let scanned = stmt.get_status(rusqlite::StatementStatus::FullscanStep);
    assert_eq!(scanned, 0, "rows stepped through by full scans while deleting one person");
}

/// Every record a pull removes is an erasure in the access log (DPA 2018 s.62), by the store's
/// officer, naming the ids and why, never the erased content; and it commits with the
/// deletion: a page whose entry cannot be written removes nothing.
#[test]
fn removals_on_pull_are_erasures_logged_in_the_same_transaction() {
    use bluelamp_protocol::audit::{AuditAction as A, AuditFilter};
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = new_store(&dir);
    let incident = |id: &str| Change::Upsert {
        record_type: RecordType::Incident,
        id: id.into(),
        version: 1,
        data: json!({
            "id": id, "reference": format!("REF-{id}"), "incident_type": "domestic_abuse",
            "offence_category": "domestic_abuse", "occurred_at": 1_700_000_000, "recorded_at": 1_700_000_100,
            "assigned_to": "PC1", "district": "north", "status": "open", "links": [], "version": 1
        }),
    };
    store
        .apply_pull_page(&page(
            vec![nominal("n1", "William", "Smith"), nominal("n2", "Mary", "Jones"), incident("i1"), incident("i2")],
            "c1",
            false,
        ))
        .unwrap();
    let erasures =
        |store: &Store| store.audit_list(&AuditFilter { action: Some(A::Erasure), ..Default::default() }).unwrap();
    assert!(erasures(&store).is_empty(), "nothing removed yet");

    let r = store
        .apply_pull_page(&page(
            vec![
                Change::Tombstone { record_type: RecordType::Nominal, id: "n1".into(), version: 2 },
                Change::Tombstone { record_type: RecordType::Incident, id: "i1".into(), version: 2 },
            ],
            "c2",
            false,
        ))
        .unwrap();
    assert_eq!((r.tombstones, r.incidents_removed), (1, 1));
    let log = erasures(&store);
    assert_eq!(log.len(), 2, "{log:?}");
    let of = |what: &str| log.iter().find(|e| e.object_ref == what).unwrap_or_else(|| panic!("no {what}: {log:?}"));
    let (n, i) = (of("nominals"), of("incidents"));
    assert_eq!(n.officer_id, "PC1");
    assert_eq!(n.detail["ids"], json!(["n1"]));
    assert_eq!(n.detail["reason"], "deleted_by_service");
    assert_eq!(i.detail["ids"], json!(["i1"]));
    assert_eq!(i.detail["reason"], "no_longer_assigned");
    assert_eq!(i.detail["forms"], json!([]));
    for e in &log {
        let text = e.detail.to_string();
        assert!(!text.contains("Smith") && !text.contains("William") && !text.contains("REF-"), "content: {text}");
    }
    // "Who erased person n1" finds it.
    let who = store.audit_list(&AuditFilter { object_ref: Some("n1".into()), ..Default::default() }).unwrap();
    assert!(who.iter().any(|e| e.action == "erasure"), "{who:?}");
    assert!(store.audit_verify().unwrap().is_ok());

    // The entry cannot be written: the deletion does not happen either, nor does the cursor move.
    store
        .conn()
        .execute_batch(
            "CREATE TEMP TRIGGER no_log BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'log refused'); END;",
        )
        .unwrap();
    let gone = vec![Change::Tombstone { record_type: RecordType::Nominal, id: "n2".into(), version: 3 }];
    assert!(store.apply_pull_page(&page(gone.clone(), "c3", false)).is_err());
    assert_eq!(found(&store, "Jones"), vec!["n2".to_string()], "n2 is still here");
    assert_eq!(store.pull_cursor().unwrap().as_deref(), Some("c2"));
    store.conn().execute_batch("DROP TRIGGER temp.no_log;").unwrap();
    store.apply_pull_page(&page(gone, "c3", false)).unwrap();
    assert!(found(&store, "Jones").is_empty());
    assert_eq!(erasures(&store).len(), 3);
}
