//! The wire API against a real server on 127.0.0.1 (reqwest).

mod common;

use std::collections::HashSet;
use std::io::{Read, Write};

use bluelamp_central::audit::{entry_hash, GENESIS_HASH};
use bluelamp_protocol::wire::{PushMutation, WireAuditEntry, MAX_PUSH_BATCH, MAX_REQUEST_BYTES};
use bluelamp_protocol::SCHEMA_VERSION;
use common::{form_submit, mutation, Server};
use reqwest::StatusCode;
use serde_json::{json, Value};

const C1: &str = "01900000-0000-7000-8000-0000000000c1";

// ---- login and tokens -------------------------------------------------------------------------

#[tokio::test]
async fn login_ok_wrong_and_unknown() {
    let s = Server::start().await;
    let (st, v) = s
        .post(
            "/v1/login",
            None,
            &json!({ "schema_version": SCHEMA_VERSION, "officer_id": "demo-officer", "passphrase": "bluelamp-demo", "client_id": C1, "device": "laptop 14" }),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["officer_id"], "demo-officer");
    assert_eq!(v["role"], "officer");
    assert_eq!(v["district"], "demo-district");
    assert_eq!(v["client_id"], C1);
    assert_eq!(v["token"].as_str().unwrap().len(), 64);
    assert!(v["expires_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(v["expires_in_secs"], 12 * 3600, "the lifetime, for a device whose clock is not the service's");

    let wrong = json!({ "schema_version": SCHEMA_VERSION, "officer_id": "demo-officer", "passphrase": "nope", "client_id": C1 });
    let (st, wrong_body) = s.post("/v1/login", None, &wrong).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_body["code"], "unauthorized");
    let unknown =
        json!({ "schema_version": SCHEMA_VERSION, "officer_id": "nobody", "passphrase": "nope", "client_id": C1 });
    let (st, unknown_body) = s.post("/v1/login", None, &unknown).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // The answer does not tell an unknown officer from a wrong passphrase.
    assert_eq!(wrong_body, unknown_body);

    // A client id belongs to the officer who first signed in with it.
    let other = json!({ "schema_version": SCHEMA_VERSION, "officer_id": "demo-supervisor", "passphrase": "bluelamp-demo", "client_id": C1 });
    let (st, v) = s.post("/v1/login", None, &other).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["code"], "forbidden");
}

#[tokio::test]
async fn routes_need_a_valid_token_for_the_same_client() {
    let s = Server::start().await;
    let body = json!({ "schema_version": SCHEMA_VERSION, "client_id": C1, "mutations": [] });
    let (st, v) = s.post("/v1/push", None, &body).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(v["code"], "unauthorized");
    let (st, v) = s.post("/v1/push", Some(&"ab".repeat(32)), &body).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(v["code"], "unauthorized");
    let r = s.http.post(s.url("/v1/pull")).header("authorization", "Basic eDp5").json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");

    let token = s.login("demo-officer", C1).await;
    let (st, v) = s.push(&token, C1, &[]).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["last_applied_seq"], 0);
    let (st, v) = s.push(&token, "another-client", &[]).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(v["code"], "forbidden");
    // Health needs nothing.
    let r = s.http.get(s.url("/v1/health")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

// ---- push -------------------------------------------------------------------------------------

#[tokio::test]
async fn push_resend_is_acknowledged_and_applied_once() {
    let s = Server::start().await;
    let token = s.login("demo-officer", C1).await;
    let batch: Vec<_> = (1..=5).map(|i| form_submit(i, &format!("form-{i}"))).collect();
    let (st, v) = s.push(&token, C1, &batch).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["last_applied_seq"], 5);
    assert_eq!(v["rejections"], json!([]));
    for _ in 0..3 {
        let (st, v) = s.push(&token, C1, &batch).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(v["last_applied_seq"], 5);
        assert_eq!(v["rejections"], json!([]));
    }
    // Overlapping batch: 4, 5 acknowledged, 6 applied.
    let (st, v) =
        s.push(&token, C1, &[form_submit(4, "form-4"), form_submit(5, "form-5"), form_submit(6, "form-6")]).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["last_applied_seq"], 6);
    let stats = s.central.stats().unwrap();
    assert_eq!(stats.forms, 6);
    assert_eq!(stats.mutations_applied, 6);
    assert_eq!(stats.duplicate_applications, 0);
}

#[tokio::test]
async fn a_gap_is_refused_and_nothing_of_the_batch_stays() {
    let s = Server::start().await;
    let token = s.login("demo-officer", C1).await;
    let (st, _) = s.push(&token, C1, &[form_submit(1, "f1"), form_submit(2, "f2")]).await;
    assert_eq!(st, StatusCode::OK);
    let (st, v) = s.push(&token, C1, &[form_submit(4, "f4")]).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(v["code"], "seq_gap");
    assert_eq!(v["last_applied_seq"], 2);
    // 3 is fine but 5 skips 4: the whole batch is rolled back, 3 included.
    let (st, v) = s.push(&token, C1, &[form_submit(3, "f3"), form_submit(5, "f5")]).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(v["last_applied_seq"], 2);
    assert_eq!(s.central.stats().unwrap().forms, 2);
    let (st, v) = s.push(&token, C1, &[form_submit(3, "f3"), form_submit(4, "f4")]).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["last_applied_seq"], 4);
}

#[tokio::test]
async fn a_rejection_is_recorded_and_the_queue_moves_on() {
    let s = Server::start().await;
    let token = s.login("demo-officer", C1).await;
    let base = s.incident_version(&token, C1, "demo-incident-1").await;
    let referral = |seq: u64, id: &str| {
        mutation(
            seq,
            "referral.decision/1",
            json!({ "decision": {
                "id": id, "incident_id": "demo-incident-1", "victim_id": "P1", "outcome": "referred",
                "destination": "victim_support", "details": {}, "status": "active",
                "decided_at": "2026-01-01T10:00:00.000Z", "decided_by": "demo-officer",
            }, "follow_up_task": null }),
        )
    };
    let batch = vec![
        mutation(1, "form.explode/1", json!({})),
        form_submit(2, "f-a"),
        form_submit(3, "f-a"), // the same form id again: forms are immutable
        mutation(4, "form.submit/1", json!({ "form": { "id": "x" } })),
        referral(5, "r-1"),
        referral(6, "r-2"), // a second active referral, same victim, incident and destination
        mutation(7, "form.review/1", json!({ "form_id": "f-a", "decision": "approve" })), // an officer cannot review
        PushMutation {
            base_version: Some(base),
            ..mutation(8, "incident.closing_code/1", json!({ "incident_id": "demo-incident-1", "closing_code": "DA" }))
        },
        mutation(9, "incident.closing_code/1", json!({ "incident_id": "no-such-incident", "closing_code": "DA" })),
    ];
    let (st, v) = s.push(&token, C1, &batch).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["last_applied_seq"], 9);
    let codes: Vec<(u64, String)> = v["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["seq"].as_u64().unwrap(), r["code"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        codes,
        vec![
            (1, "unknown_mutation".to_string()),
            (3, "form_exists".to_string()),
            (4, "invalid_payload".to_string()),
            (6, "duplicate_referral".to_string()),
            (7, "forbidden".to_string()),
            (9, "unknown_incident".to_string()),
        ]
    );
    assert!(v["rejections"][0]["message"].as_str().unwrap().len() > 10);
    let stats = s.central.stats().unwrap();
    assert_eq!((stats.forms, stats.referrals, stats.rejections, stats.mutations_applied), (1, 1, 6, 3));
    // The answer was lost and the client resends the batch: nothing is applied again, and
    // the recorded rejections come back so the reasons still reach the officer.
    let (st, again) = s.push(&token, C1, &batch).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(again["last_applied_seq"], 9);
    assert_eq!(again["rejections"], v["rejections"]);
    let stats = s.central.stats().unwrap();
    assert_eq!((stats.forms, stats.rejections, stats.mutations_applied, stats.duplicate_applications), (1, 6, 3, 0));
    // The next push carries on after the rejected ones.
    let (st, v) = s.push(&token, C1, &[form_submit(10, "f-b")]).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["last_applied_seq"], 10);

    // A supervisor reviews; a stale base version is a conflict, not an overwrite.
    let c2 = "client-supervisor";
    let sup = s.login("demo-supervisor", c2).await;
    let mut stale =
        mutation(2, "incident.closing_code/1", json!({ "incident_id": "demo-incident-1", "closing_code": "ASB" }));
    stale.base_version = Some(1);
    let (st, v) = s
        .push(
            &sup,
            c2,
            &[
                mutation(1, "form.review/1", json!({ "form_id": "f-a", "decision": "return", "comments": "more" })),
                stale,
            ],
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["rejections"], json!([]));
    assert_eq!(v["conflicts"][0]["record_id"], "demo-incident-1");
    assert_eq!(v["conflicts"][0]["theirs"]["closing_code"], "DA");
    assert_eq!(v["conflicts"][0]["mine"]["closing_code"], "ASB");
    assert_eq!(s.central.stats().unwrap().duplicate_applications, 0);

    // An admin reads the access log but does no records work (`Role::allows`, as in the app):
    // no review, no change to someone else's incident.
    let admin = s.login("demo-admin", "client-admin-2").await;
    let (st, v) = s
        .push(
            &admin,
            "client-admin-2",
            &[
                mutation(1, "form.review/1", json!({ "form_id": "f-b", "decision": "approve" })),
                mutation(
                    2,
                    "incident.closing_code/1",
                    json!({ "incident_id": "demo-incident-1", "closing_code": "NFA" }),
                ),
                form_submit(3, "f-admin"),
            ],
        )
        .await;
    // Refused as a whole (403, nothing applied, nothing rejected for good): the device keeps
    // the changes, which a role changed by mistake and set back can still deliver.
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["code"], "forbidden");
    let stats = s.central.stats().unwrap();
    assert_eq!((stats.forms, stats.rejections), (2, 6));
    // An empty push (the service's seq, instructions) is still answered.
    let (st, _) = s.push(&admin, "client-admin-2", &[]).await;
    assert_eq!(st, StatusCode::OK);
    // Nor is an admin served the district's people or incidents: a pull answers, with nothing.
    let (st, v) = s.pull(&admin, "client-admin-2", None, 100).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        (v["changes"].clone(), v["has_more"].clone(), v["remaining"].clone()),
        (json!([]), json!(false), json!(0))
    );
    let (_, again) = s.pull(&admin, "client-admin-2", v["next_cursor"].as_str(), 100).await;
    assert!(again["reset"].is_null() && again["changes"] == json!([]), "{again}");
}

/// The server commits but the answer never reaches the client (the connection is dropped
/// unread once the batch is applied); the client resends: applied once.
#[tokio::test]
async fn response_lost_then_resend_applies_once() {
    let s = Server::start().await;
    let token = s.login("demo-officer", C1).await;
    let batch: Vec<_> = (1..=20).map(|i| form_submit(i, &format!("lost-{i}"))).collect();
    let body =
        serde_json::to_vec(&json!({ "schema_version": SCHEMA_VERSION, "client_id": C1, "mutations": batch })).unwrap();
    let mut req = format!(
        "POST /v1/push HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        s.running.addr,
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(&body);
    let mut tcp = std::net::TcpStream::connect(s.running.addr).unwrap();
    tcp.write_all(&req).unwrap();
    // The first push must really have been applied, or the resend below would be its first
    // application and the test would prove nothing.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while s.central.stats().unwrap().mutations_applied < 20 {
        assert!(std::time::Instant::now() < deadline, "the first push was not applied within 20 s");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(s.central.stats().unwrap().forms, 20);
    tcp.shutdown(std::net::Shutdown::Both).unwrap();
    drop(tcp); // the answer is never read
    let (st, v) = s.push(&token, C1, &batch).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["last_applied_seq"], 20);
    let stats = s.central.stats().unwrap();
    assert_eq!(stats.forms, 20);
    assert_eq!(stats.mutations_applied, 20);
    assert_eq!(stats.duplicate_applications, 0);
}

// ---- pull -------------------------------------------------------------------------------------

async fn pull_all(
    s: &Server,
    token: &str,
    client: &str,
    mut cursor: Option<String>,
    limit: u32,
) -> (Vec<Value>, String) {
    let mut all = Vec::new();
    let mut last_remaining = u64::MAX;
    loop {
        let (st, v) = s.pull(token, client, cursor.as_deref(), limit).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert!(v["reset"].is_null(), "{v}");
        let changes = v["changes"].as_array().unwrap();
        assert!(changes.len() <= limit as usize);
        let remaining = v["remaining"].as_u64().unwrap();
        assert!(remaining < last_remaining);
        last_remaining = remaining;
        all.extend(changes.iter().cloned());
        cursor = Some(v["next_cursor"].as_str().unwrap().to_string());
        if !v["has_more"].as_bool().unwrap() {
            assert_eq!(remaining, 0);
            break;
        }
    }
    (all, cursor.unwrap())
}

#[tokio::test]
async fn pull_pages_to_the_end_then_tombstones_and_scope() {
    let s = Server::start().await;
    let admin = s.login("demo-admin", "client-admin").await;
    // Another district's people.
    let (st, v) = s
        .import_csv(&admin, "north", "id,given_name,surname,date_of_birth\nN1,Nora,North,1990-01-01\nN2,Ned,North,\n")
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["inserted"], 2);

    let token = s.login("demo-officer", C1).await;
    let (changes, cursor) = pull_all(&s, &token, C1, None, 7).await;
    let versions: Vec<u64> = changes.iter().map(|c| c["version"].as_u64().unwrap()).collect();
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "versions increase");
    let nominals: HashSet<&str> =
        changes.iter().filter(|c| c["record_type"] == "nominal").map(|c| c["id"].as_str().unwrap()).collect();
    let incidents = changes.iter().filter(|c| c["record_type"] == "incident").count();
    assert_eq!(nominals.len(), 30);
    assert_eq!(incidents, 6);
    assert!(!nominals.contains("N1") && !nominals.contains("N2"), "another district's nominals are never served");
    let first = changes.iter().find(|c| c["record_type"] == "nominal").unwrap();
    assert_eq!(first["op"], "upsert");
    assert!(first["data"]["surname"].is_string() && first["data"]["source"].is_string());
    let inc = changes.iter().find(|c| c["record_type"] == "incident").unwrap();
    assert_eq!(inc["data"]["assigned_to"], "demo-officer");

    // Nothing new: an empty last page.
    let (_, v) = s.pull(&token, C1, Some(&cursor), 100).await;
    assert_eq!(v["changes"], json!([]));
    assert_eq!(v["has_more"], false);

    // Two people move to the north district, one is added here, an incident is reassigned.
    let moved: Vec<&str> = nominals.iter().copied().take(2).collect();
    let csv = format!(
        "id,given_name,surname,date_of_birth,district\n{},A,B,,north\n{},C,D,,north\nNEW1,New,Person,,demo-district\n",
        moved[0], moved[1]
    );
    let (st, v) = s.import_csv(&admin, "north", &csv).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(s.central.storage().reassign_incident("demo-incident-2", "someone-else").unwrap());
    let (delta, _) = pull_all(&s, &token, C1, Some(cursor), 2).await;
    let tomb: HashSet<(String, String)> = delta
        .iter()
        .filter(|c| c["op"] == "tombstone")
        .map(|c| (c["record_type"].as_str().unwrap().into(), c["id"].as_str().unwrap().into()))
        .collect();
    let want: HashSet<(String, String)> = [
        ("nominal".to_string(), moved[0].to_string()),
        ("nominal".to_string(), moved[1].to_string()),
        ("incident".to_string(), "demo-incident-2".to_string()),
    ]
    .into();
    assert_eq!(tomb, want);
    let ups: Vec<&str> = delta.iter().filter(|c| c["op"] == "upsert").map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ups, vec!["NEW1"]);

    // The north officer sees the north people only (and none of demo-district's).
    s.central.add_officer("pc-north", "officer", "north", "north-passphrase").unwrap();
    let (st, v) = s
        .post(
            "/v1/login",
            None,
            &json!({ "schema_version": SCHEMA_VERSION, "officer_id": "pc-north", "passphrase": "north-passphrase", "client_id": "c-north" }),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let nt = v["token"].as_str().unwrap().to_string();
    let (north, _) = pull_all(&s, &nt, "c-north", None, 1000).await;
    let ids: HashSet<&str> = north.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, HashSet::from(["N1", "N2", moved[0], moved[1]]));
}

#[tokio::test]
async fn pull_limit_is_clamped_and_compressed_on_request() {
    let s = Server::start().await;
    let token = s.login("demo-officer", C1).await;
    let (st, v) = s.pull(&token, C1, None, 0).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["changes"].as_array().unwrap().len(), 1);
    let (_, v) = s.pull(&token, C1, None, u32::MAX).await;
    assert_eq!(v["changes"].as_array().unwrap().len(), 36);
    assert_eq!(v["last_applied_seq"], 0);

    let body = json!({ "schema_version": SCHEMA_VERSION, "client_id": C1, "cursor": null, "limit": 1000 });
    let r = s
        .http
        .post(s.url("/v1/pull"))
        .bearer_auth(&token)
        .header("accept-encoding", "gzip")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let gz = r.bytes().await.unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut text).unwrap();
    assert!(gz.len() < text.len());
    let unzipped: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(unzipped["changes"], v["changes"]);
    // Not asked: not compressed.
    let r = s.http.post(s.url("/v1/pull")).bearer_auth(&token).json(&body).send().await.unwrap();
    assert!(r.headers().get("content-encoding").is_none());
}

#[tokio::test]
async fn reset_on_scope_change_old_cursor_and_garbage_cursor() {
    let s = Server::start().await;
    let token = s.login("demo-officer", C1).await;
    let (_, v) = s.pull(&token, C1, None, 10).await;
    let cursor = v["next_cursor"].as_str().unwrap().to_string();

    // The officer moves district: the old cursor's scope is gone.
    assert!(s.central.storage().set_officer_district("demo-officer", "north").unwrap());
    let (st, v) = s.pull(&token, C1, Some(&cursor), 10).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["reset"], "scope_changed");
    assert_eq!(v["changes"], json!([]));
    assert_eq!(v["has_more"], true);
    // Starting again from the reset cursor serves the new scope (here: only the incidents).
    let (all, _) = pull_all(&s, &token, C1, Some(v["next_cursor"].as_str().unwrap().into()), 50).await;
    assert!(all.iter().all(|c| c["record_type"] == "incident"));
    assert_eq!(all.len(), 6);

    // Tombstones compacted past a cursor: too old.
    assert!(s.central.storage().set_officer_district("demo-officer", "demo-district").unwrap());
    let (_, v) = s.pull(&token, C1, None, 5).await;
    let early_full = v["next_cursor"].as_str().unwrap().to_string();
    assert!(early_full.starts_with("f2."), "a page of a pull from the start: {early_full}");
    // The same position reached by an incremental pull.
    let parts: Vec<&str> = early_full.split('.').collect();
    let early = format!("c1.{}.{}", parts[1], parts[2]);
    let head = s.central.stats().unwrap().head_version + 10;
    s.central.storage().compact(head).unwrap();
    let (_, v) = s.pull(&token, C1, Some(&early), 5).await;
    assert_eq!(v["reset"], "cursor_too_old");
    // Starting over from the reset cursor serves everything, page after page although every
    // page's cursor is below the horizon; a cursor at the head lost nothing.
    let (all, head_cursor) = pull_all(&s, &token, C1, Some(v["next_cursor"].as_str().unwrap().into()), 5).await;
    assert_eq!(all.len(), 36);
    assert!(head_cursor.starts_with("c2."), "the last page's cursor is an ordinary one: {head_cursor}");
    // A pull from the start interrupted before the compaction goes on after it.
    let (rest, _) = pull_all(&s, &token, C1, Some(early_full), 5).await;
    assert_eq!(rest.len(), 36 - 5);
    s.central.storage().compact(head + 1000).unwrap();
    let (_, v) = s.pull(&token, C1, Some(&head_cursor), 5).await;
    assert!(v["reset"].is_null(), "{v}");
    assert_eq!(v["changes"], json!([]));
    // A cursor ahead of the service (restored from a backup): too old as well.
    let fp = early.split('.').nth(2).unwrap();
    let ahead = s.central.stats().unwrap().head_version + 999_999;
    let (_, v) = s.pull(&token, C1, Some(&format!("c1.{ahead}.{fp}")), 5).await;
    assert_eq!(v["reset"], "cursor_too_old");
    let (st, v) = s.pull(&token, C1, Some("not-a-cursor"), 5).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(v["code"], "bad_request");

    // A pull from the start is too old once a tombstone written after it started may have been
    // compacted before it was served (the incident it sent on page 1 would stay on the device).
    let (_, v) = s.pull(&token, C1, None, 5).await;
    let started = v["next_cursor"].as_str().unwrap().to_string();
    assert!(s.central.storage().reassign_incident("demo-incident-1", "demo-supervisor").unwrap());
    let (_, v) = s.pull(&token, C1, Some(&started), 5).await;
    assert!(v["reset"].is_null(), "nothing compacted yet: {v}");
    s.central.storage().compact(s.central.stats().unwrap().head_version + 1000).unwrap();
    let (_, v) = s.pull(&token, C1, Some(&started), 5).await;
    assert_eq!(v["reset"], "cursor_too_old");
    // Its restart is not (the horizon is not past the new start): no reset loop.
    let (all, _) = pull_all(&s, &token, C1, Some(v["next_cursor"].as_str().unwrap().into()), 5).await;
    assert!(all.iter().all(|c| c["id"] != "demo-incident-1"), "{all:?}");
}

#[tokio::test]
async fn lock_instruction_is_delivered_and_cleared_by_sign_in() {
    let s = Server::start().await;
    let token = s.login("demo-officer", C1).await;
    s.central.instruct(C1, bluelamp_protocol::wire::Instruction::Lock).unwrap();
    let (_, v) = s.push(&token, C1, &[]).await;
    assert_eq!(v["instructions"], json!(["lock"]));
    let (_, v) = s.pull(&token, C1, None, 100).await;
    assert_eq!(v["instructions"], json!(["lock"]));
    assert_eq!(v["changes"], json!([]), "no data for a device told to lock");
    // The sync round's own sign-in (its token expired) does not swallow the lock: the device
    // still receives it.
    let token = s.login("demo-officer", C1).await;
    let (_, v) = s.pull(&token, C1, None, 100).await;
    assert_eq!(v["instructions"], json!(["lock"]));
    // The officer signing in at the lock screen does.
    let token = s.login_as("demo-officer", C1, true).await;
    let (_, v) = s.pull(&token, C1, None, 100).await;
    assert_eq!(v["instructions"], json!([]));
    assert_eq!(v["changes"].as_array().unwrap().len(), 36);
    s.central.instruct(C1, bluelamp_protocol::wire::Instruction::Wipe).unwrap();
    let (_, v) = s.push(&token, C1, &[]).await;
    assert_eq!(v["instructions"], json!(["wipe"]));
}

/// Review, 7 Dec 2026: a lock ordered after the device's last round was cleared by the officer's
/// next interactive sign-in (`enrol`) before any round had sent it, and the device was never
/// locked (a wipe order survived). Only a lock the device has been sent is lifted by signing in.
#[tokio::test]
async fn a_lock_not_yet_sent_survives_an_interactive_sign_in() {
    let s = Server::start().await;
    let _ = s.login_as("demo-officer", C1, true).await;
    s.central.instruct(C1, bluelamp_protocol::wire::Instruction::Lock).unwrap();
    // Signed in again at the keyboard before the next round: the lock was never sent, so it stays.
    let token = s.login_as("demo-officer", C1, true).await;
    let (_, v) = s.pull(&token, C1, None, 100).await;
    assert_eq!(v["instructions"], json!(["lock"]), "the lock is delivered at the next round");
    // Sent now: the officer's online sign-in lifts it.
    let token = s.login_as("demo-officer", C1, true).await;
    let (_, v) = s.pull(&token, C1, None, 100).await;
    assert_eq!(v["instructions"], json!([]));
    // Sent on a push answer counts too.
    s.central.instruct(C1, bluelamp_protocol::wire::Instruction::Lock).unwrap();
    let token = s.login_as("demo-officer", C1, true).await;
    let (_, v) = s.push(&token, C1, &[]).await;
    assert_eq!(v["instructions"], json!(["lock"]));
    let token = s.login_as("demo-officer", C1, true).await;
    let (_, v) = s.pull(&token, C1, None, 100).await;
    assert_eq!(v["instructions"], json!([]));
}

// ---- bad input --------------------------------------------------------------------------------

#[tokio::test]
async fn malformed_and_oversized_requests_get_a_wire_error() {
    let s = Server::start().await;
    let token = s.login("demo-officer", C1).await;
    let cases: Vec<(Vec<u8>, StatusCode, &str)> = vec![
        (b"not json".to_vec(), StatusCode::BAD_REQUEST, "bad_request"),
        (b"{\"schema_version\": 2, \"client_id\": ".to_vec(), StatusCode::BAD_REQUEST, "bad_request"),
        (br#"{"client_id": "x", "mutations": []}"#.to_vec(), StatusCode::BAD_REQUEST, "bad_request"),
        (br#"{"schema_version": 99, "client_id": "x"}"#.to_vec(), StatusCode::BAD_REQUEST, "schema_mismatch"),
        (br#"{"schema_version": 2, "client_id": 5, "mutations": []}"#.to_vec(), StatusCode::BAD_REQUEST, "bad_request"),
        (
            br#"{"schema_version": 2, "client_id": "x", "mutations": [{"seq": -1}]}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (b"[]".to_vec(), StatusCode::BAD_REQUEST, "bad_request"),
        (vec![0xff, 0xfe, 0x00], StatusCode::BAD_REQUEST, "bad_request"),
    ];
    for (body, status, code) in cases {
        let (st, v) = s.post_raw("/v1/push", Some(&token), body.clone()).await;
        assert_eq!((st, v["code"].as_str().unwrap()), (status, code), "{}", String::from_utf8_lossy(&body));
        assert!(!v["message"].as_str().unwrap().is_empty());
    }
    // Seq 0.
    let (st, v) = s.push(&token, C1, &[form_submit(0, "z")]).await;
    assert_eq!((st, v["code"].as_str().unwrap()), (StatusCode::BAD_REQUEST, "bad_request"));
    // Too many mutations.
    let many: Vec<_> = (1..=MAX_PUSH_BATCH as u64 + 1).map(|i| mutation(i, "x.y/1", json!(null))).collect();
    let (st, v) = s.push(&token, C1, &many).await;
    assert_eq!((st, v["code"].as_str().unwrap()), (StatusCode::PAYLOAD_TOO_LARGE, "too_large"));
    // Too many bytes.
    let mut big = br#"{"schema_version": 2, "client_id": "x", "pad": ""#.to_vec();
    big.extend(std::iter::repeat_n(b'a', MAX_REQUEST_BYTES));
    big.extend_from_slice(b"\"}");
    let (st, v) = s.post_raw("/v1/push", Some(&token), big).await;
    assert_eq!((st, v["code"].as_str().unwrap()), (StatusCode::PAYLOAD_TOO_LARGE, "too_large"));
    // Unknown route, wrong method.
    let r = s.http.get(s.url("/v1/nothing")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "not_found");
    let r = s.http.get(s.url("/v1/push")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "bad_request");
    // Login: oversized fields and bad shapes.
    let (st, v) = s
        .post(
            "/v1/login",
            None,
            &json!({ "schema_version": SCHEMA_VERSION, "officer_id": "x".repeat(500), "passphrase": "p", "client_id": "c" }),
        )
        .await;
    assert_eq!((st, v["code"].as_str().unwrap()), (StatusCode::BAD_REQUEST, "bad_request"));
    // The service still answers.
    let (st, _) = s.push(&token, C1, &[]).await;
    assert_eq!(st, StatusCode::OK);
}

#[tokio::test]
async fn admin_import_needs_the_admin_role_and_a_schema_version() {
    let s = Server::start().await;
    let officer = s.login("demo-officer", C1).await;
    let (st, v) = s.import_csv(&officer, "north", "id,given_name,surname,date_of_birth\nA,B,C,\n").await;
    assert_eq!((st, v["code"].as_str().unwrap()), (StatusCode::FORBIDDEN, "forbidden"));
    let admin = s.login("demo-admin", "c-admin").await;
    let r = s.http.post(s.url("/v1/admin/nominals?district=x")).bearer_auth(&admin).body("id\n").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let (st, v) = s.import_csv(&admin, "north", "name\nA\n").await;
    assert_eq!((st, v["code"].as_str().unwrap()), (StatusCode::BAD_REQUEST, "bad_request"));
    let (st, v) = s
        .import_csv(
            &admin,
            "north",
            "id,given_name,surname,date_of_birth\nA,Ann,Lee,1980-01-02\nB,,,\nA,Ann,Lee,1980-01-02\n",
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!((v["inserted"].as_u64(), v["unchanged"].as_u64()), (Some(1), Some(1)));
    assert_eq!(v["rejected"][0][0], 3);
}

// ---- audit ------------------------------------------------------------------------------------

fn chain(n: u64) -> Vec<WireAuditEntry> {
    chain_of(n, "demo-officer", C1)
}

/// A valid chain of `n` entries naming `officer` and `device`.
fn chain_of(n: u64, officer: &str, device: &str) -> Vec<WireAuditEntry> {
    chain_with(&vec![(officer, device); n as usize])
}

/// A valid chain whose entries name these (officer, device) in turn.
fn chain_with(who: &[(&str, &str)]) -> Vec<WireAuditEntry> {
    let mut prev = GENESIS_HASH.to_string();
    (1..=who.len() as u64)
        .map(|seq| {
            let (officer, device) = who[seq as usize - 1];
            let mut e = WireAuditEntry {
                seq,
                id: format!("01900000-0000-7000-8000-{seq:012}"),
                ts: "2026-01-01T10:00:00.000Z".into(),
                officer_id: officer.into(),
                device_id: device.into(),
                action: "consultation".into(),
                object_ref: format!("nominal:{seq}"),
                purpose: if seq % 2 == 0 { None } else { Some("investigation".into()) },
                outcome: "success".into(),
                detail: format!(r#"{{"n":{seq}}}"#),
                prev_hash: prev.clone(),
                entry_hash: String::new(),
            };
            e.entry_hash = entry_hash(&e).unwrap();
            prev = e.entry_hash.clone();
            e
        })
        .collect()
}

#[tokio::test]
async fn audit_chain_ok_resent_gap_and_broken() {
    let s = Server::start().await;
    let token = s.login("demo-officer", C1).await;
    let entries = chain(6);
    let send = |es: Vec<WireAuditEntry>| {
        let body = json!({ "schema_version": SCHEMA_VERSION, "client_id": C1, "entries": es });
        let token = token.clone();
        let s = &s;
        async move { s.post("/v1/audit", Some(&token), &body).await }
    };
    let (st, v) = send(entries[..3].to_vec()).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["head_seq"], 3);
    assert_eq!(v["head_hash"], entries[2].entry_hash);
    // Resent (answer lost) plus new ones.
    let (st, v) = send(entries[1..5].to_vec()).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["head_seq"], 5);
    // A hole.
    let mut later = chain(8);
    let (st, v) = send(later.split_off(6)).await;
    assert_eq!((st, v["code"].as_str().unwrap()), (StatusCode::CONFLICT, "seq_gap"));
    assert_eq!(v["last_applied_seq"], 5);
    // Tampered content.
    let mut bad = entries[5].clone();
    bad.detail = r#"{"n":666}"#.into();
    let (st, v) = send(vec![bad]).await;
    assert_eq!((st, v["code"].as_str().unwrap()), (StatusCode::CONFLICT, "audit_chain_broken"));
    // A rewritten history (a held entry that differs).
    let mut rewritten = entries[1].clone();
    rewritten.entry_hash = "0".repeat(64);
    let (st, v) = send(vec![rewritten, entries[5].clone()]).await;
    assert_eq!((st, v["code"].as_str().unwrap()), (StatusCode::CONFLICT, "audit_chain_broken"));
    // Nothing was stored by the refusals; the right entry goes on.
    let (st, v) = send(vec![entries[5].clone()]).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["head_seq"], 6);
    assert_eq!(s.central.stats().unwrap().audit_entries, 6);
    // An empty push returns the head.
    let (_, v) = send(vec![]).await;
    assert_eq!(v["head_hash"], entries[5].entry_hash);
}

/// Review, 7 Dec 2026: any officer could push a valid (unkeyed) chain under a new client id
/// whose entries named another device and another officer, and the service stored them as
/// sent. Entries must name the pushing client's device; an entry naming another officer is
/// stored, flagged, with who pushed it (`db::tests::pushed_entries_record_who_pushed_them`).
#[tokio::test]
async fn an_audit_push_of_another_devices_entries_is_refused() {
    let s = Server::start().await;
    let token = s.login("demo-officer", C1).await;
    let send = |es: Vec<WireAuditEntry>| {
        let body = json!({ "schema_version": SCHEMA_VERSION, "client_id": C1, "entries": es });
        let token = token.clone();
        let s = &s;
        async move { s.post("/v1/audit", Some(&token), &body).await }
    };
    // A valid chain, but written (it says) on another device.
    let (st, v) = send(chain_of(3, "demo-supervisor", "some-other-device")).await;
    assert_eq!((st, v["code"].as_str().unwrap()), (StatusCode::FORBIDDEN, "audit_wrong_device"), "{v}");
    assert!(v["message"].as_str().unwrap().contains("entry 1"), "{v}");
    // One entry of another device among the device's own: nothing stored.
    let mixed = chain_with(&[("demo-officer", C1), ("demo-officer", C1), ("demo-officer", "some-other-device")]);
    let (st, v) = send(mixed).await;
    assert_eq!((st, v["code"].as_str().unwrap()), (StatusCode::FORBIDDEN, "audit_wrong_device"), "{v}");
    assert!(v["message"].as_str().unwrap().contains("entry 3"), "{v}");
    assert_eq!(s.central.stats().unwrap().audit_entries, 0);
    // The device's own entries, one naming another officer: stored (and flagged).
    let (st, v) = send(chain_of(2, "demo-supervisor", C1)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["head_seq"], 2);
}

/// Review, 7 Dec 2026: the device name given at sign-in was checked only for length, so a
/// newline, tab or ANSI escape in it forged rows of `bluelamp-central clients` (IT's lost-device
/// list); and `last_seen` moved only at sign-in and push, not at pull or audit push.
#[tokio::test]
async fn a_device_name_with_control_characters_is_refused_and_every_request_is_seen() {
    let s = Server::start().await;
    let login = |device: &str| {
        let body = json!({ "schema_version": SCHEMA_VERSION, "officer_id": "demo-officer", "passphrase": common::PASS,
                           "client_id": C1, "device": device });
        let s = &s;
        async move { s.post("/v1/login", None, &body).await }
    };
    for forged in ["laptop\nc-9\tdemo-supervisor\tstolen", "pc\u{1b}[2J\u{1b}[31mOK", "tab\there", "evil\u{202e}kcatta"]
    {
        let (st, v) = login(forged).await;
        assert_eq!((st, v["code"].as_str().unwrap()), (StatusCode::BAD_REQUEST, "bad_request"), "{forged:?}: {v}");
        assert!(v["message"].as_str().unwrap().contains("control characters"), "{v}");
    }
    assert!(s.central.clients().unwrap().is_empty(), "nothing bound by a refused sign-in");
    // Ordinary Unicode is a device name.
    let (st, v) = login("Łukasz's ThinkPad — 東京 Ω").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let token = v["token"].as_str().unwrap().to_string();
    assert_eq!(s.central.clients().unwrap()[0].device, "Łukasz's ThinkPad — 東京 Ω");

    // A pull, and an audit push, move last_seen (set back here as if signed in long ago).
    let db = s._dir.path().join("central.db");
    let set_back = || {
        rusqlite::Connection::open(&db).unwrap().execute("UPDATE clients SET last_seen = 1000", []).unwrap();
    };
    let seen = || s.central.clients().unwrap()[0].last_seen;
    let now = bluelamp_central::http::now_unix();
    set_back();
    let (st, v) = s.pull(&token, C1, None, 10).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(seen() >= now, "a pull moves last_seen: {}", seen());
    set_back();
    let body = json!({ "schema_version": SCHEMA_VERSION, "client_id": C1, "entries": [] });
    let (st, v) = s.post("/v1/audit", Some(&token), &body).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(seen() >= now, "an audit push moves last_seen: {}", seen());
}

// ---- nothing panics, nothing 5xx --------------------------------------------------------------

fn random_json(rng: &mut impl rand::Rng, depth: u32) -> Value {
    let pick = if depth == 0 { rng.gen_range(0..5) } else { rng.gen_range(0..7) };
    match pick {
        0 => Value::Null,
        1 => json!(rng.gen::<bool>()),
        2 => json!(rng.gen::<i64>() >> rng.gen_range(0..64)),
        3 => json!(rng.gen::<f64>()),
        4 => {
            let words = ["", "form", "demo-incident-1", "approve", "return", "referred", "x\u{0}y", "é", "f-1", "1"];
            json!(words[rng.gen_range(0..words.len())])
        }
        5 => Value::Array((0..rng.gen_range(0..4)).map(|_| random_json(rng, depth - 1)).collect()),
        _ => {
            let keys = [
                "id",
                "form",
                "form_id",
                "incident_id",
                "answers",
                "decision",
                "closing_code",
                "pack_id",
                "victim_id",
                "outcome",
                "destination",
                "details",
                "status",
                "amends_id",
                "seq",
            ];
            Value::Object(
                (0..rng.gen_range(0..6))
                    .map(|_| (keys[rng.gen_range(0..keys.len())].to_string(), random_json(rng, depth - 1)))
                    .collect(),
            )
        }
    }
}

/// Random payloads under every mutation name are applied or rejected, never a 5xx, and the
/// service keeps answering; random bodies on every route get a 4xx `WireError`.
#[tokio::test]
async fn random_input_never_fails_the_service() {
    use rand::{Rng, SeedableRng};
    let s = Server::start().await;
    let token = s.login("demo-supervisor", C1).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let names = [
        "form.submit/1",
        "form.review/1",
        "referral.decision/1",
        "incident.closing_code/1",
        "incident.finalise/1",
        "zzz",
    ];
    let mut seq = 0;
    for _ in 0..40 {
        let batch: Vec<_> = (0..10)
            .map(|_| {
                seq += 1;
                let mut m = mutation(seq, names[rng.gen_range(0..names.len())], random_json(&mut rng, 3));
                if rng.gen_bool(0.3) {
                    m.payload = json!({ "form": random_json(&mut rng, 2), "decision": random_json(&mut rng, 2) });
                }
                if rng.gen_bool(0.2) {
                    m.base_version = Some(rng.gen_range(0..100));
                }
                m
            })
            .collect();
        let (st, v) = s.push(&token, C1, &batch).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["last_applied_seq"], seq);
    }
    let admin = s.login("demo-admin", "c-admin").await;
    for (method, path) in bluelamp_central::ROUTES {
        if *method != "POST" {
            continue;
        }
        let (path, token) = if path.contains("admin") {
            (format!("{path}?schema_version={}&district=north", bluelamp_protocol::SCHEMA_VERSION), &admin)
        } else {
            (path.to_string(), &token)
        };
        for i in 0..30 {
            let body = if i % 3 == 0 {
                (0..rng.gen_range(0..64)).map(|_| rng.gen::<u8>()).collect()
            } else {
                let mut v = random_json(&mut rng, 3);
                if let Value::Object(o) = &mut v {
                    o.insert("schema_version".into(), json!(1));
                    if rng.gen_bool(0.5) {
                        o.insert("client_id".into(), json!(C1));
                    }
                }
                serde_json::to_vec(&v).unwrap()
            };
            let r = s.http.post(s.url(&path)).bearer_auth(token).body(body).send().await.unwrap();
            let st = r.status();
            let v: Value = r.json().await.unwrap();
            assert!(st.is_client_error() || st.is_success(), "{path}: {st} {v}");
            if !st.is_success() {
                assert!(v["code"].is_string() && v["message"].is_string(), "{path}: {v}");
            }
        }
    }
    assert_eq!(s.central.stats().unwrap().duplicate_applications, 0);
    let r = s.http.get(s.url("/v1/health")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_imported_incident_is_pulled_by_its_assignee_and_accepts_their_mutations() {
    use bluelamp_central::storage::ImportIncident;
    let s = Server::start().await;
    let inc = ImportIncident {
        id: "dev-incident-1".into(),
        reference: "DEV/1".into(),
        incident_type: "domestic_abuse".into(),
        offence_category: Some("domestic_abuse".into()),
        place: None,
        postcode: None,
        team: Some("Response".into()),
        occurred_at: 1_700_000_000,
        recorded_at: 1_700_000_100,
        assigned_to: "demo-officer".into(),
        district: "demo-district".into(),
        closing_code: None,
        links: vec![("P1".into(), "victim".into())],
    };
    assert!(s.central.storage().import_incident(&inc).unwrap());
    assert!(!s.central.storage().import_incident(&inc).unwrap(), "held already");
    let token = s.login("demo-officer", C1).await;
    let (all, _) = pull_all(&s, &token, C1, None, 100).await;
    assert!(all.iter().any(|c| c["id"] == "dev-incident-1" && c["data"]["links"][0]["nominal_id"] == "P1"));
    let (st, v) = s
        .push(
            &token,
            C1,
            &[mutation(1, "incident.closing_code/1", json!({ "incident_id": "dev-incident-1", "closing_code": "DA" }))],
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["rejections"], json!([]), "{v}");
}

/// A role changed centrally ends the officer's tokens (their devices sign in again and get the
/// new role), and the service applies the new role at once.
#[tokio::test]
async fn a_role_change_ends_the_tokens_and_sign_in_returns_the_new_role() {
    let s = Server::start().await;
    let token = s.login("demo-officer", C1).await;
    let (st, _) = s.push(&token, C1, &[]).await;
    assert_eq!(st, StatusCode::OK);
    s.central.set_officer_role("demo-officer", "supervisor").unwrap();
    let (st, v) = s.push(&token, C1, &[]).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{v}");
    let login = json!({ "schema_version": SCHEMA_VERSION, "officer_id": "demo-officer", "passphrase": "bluelamp-demo", "client_id": C1 });
    let (st, v) = s.post("/v1/login", None, &login).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["role"], "supervisor");
    // Bad input changes nothing.
    assert!(s.central.set_officer_role("demo-officer", "chief").is_err());
    assert!(s.central.set_officer_role("nobody", "officer").is_err());
    let (_, v) = s.post("/v1/login", None, &login).await;
    assert_eq!(v["role"], "supervisor");
}
