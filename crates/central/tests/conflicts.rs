//! Conflicts on a shared record (issue 7): a stale base is a conflict notice, never an
//! overwrite; a device's own consecutive edits on one base are not a clash; `incident.resolve/1`
//! applies the officer's choice, or answers a new conflict if the incident moved again.

mod common;

use bluelamp_protocol::wire::PushMutation;
use common::{mutation, Server};
use reqwest::StatusCode;
use serde_json::{json, Value};

const OFFICER: &str = "01900000-0000-7000-8000-00000000c0f1";
const SUPER: &str = "01900000-0000-7000-8000-00000000c0f2";
const INC: &str = "demo-incident-1";

/// The incident as the officer's pull sees it now (data, version).
async fn incident(s: &Server, token: &str, client: &str) -> (Value, u64) {
    let mut cursor: Option<String> = None;
    let mut found = None;
    loop {
        let (st, v) = s.pull(token, client, cursor.as_deref(), 5000).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        for c in v["changes"].as_array().unwrap() {
            if c["id"] == INC && c["op"] == "upsert" {
                found = Some((c["data"].clone(), c["version"].as_u64().unwrap()));
            }
        }
        cursor = Some(v["next_cursor"].as_str().unwrap().to_string());
        if !v["has_more"].as_bool().unwrap() {
            break;
        }
    }
    found.expect("the incident is in the officer's scope")
}

fn based(seq: u64, name: &str, payload: Value, base: u64) -> PushMutation {
    PushMutation { base_version: Some(base), ..mutation(seq, name, payload) }
}

#[tokio::test]
async fn a_clash_is_a_conflict_and_the_resolution_applies_the_choice() {
    let s = Server::start().await;
    let me = s.login("demo-officer", OFFICER).await;
    let sup = s.login("demo-supervisor", SUPER).await;
    let (_, v0) = incident(&s, &me, OFFICER).await;

    // The supervisor codes the incident first (on the same base): applied.
    let (st, v) = s
        .push(
            &sup,
            SUPER,
            &[based(1, "incident.closing_code/1", json!({ "incident_id": INC, "closing_code": "DA" }), v0)],
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["conflicts"], json!([]));
    assert_eq!(v["rejections"], json!([]));
    let (theirs, v1) = incident(&s, &me, OFFICER).await;
    assert_eq!(theirs["closing_code"], "DA");
    assert!(v1 > v0);

    // The officer's edit on the old base: a conflict with both sides, nothing overwritten.
    let (st, v) = s
        .push(
            &me,
            OFFICER,
            &[based(1, "incident.closing_code/1", json!({ "incident_id": INC, "closing_code": "ADVICE" }), v0)],
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["last_applied_seq"], 1);
    let c = &v["conflicts"][0];
    assert_eq!(c["record_id"], INC);
    assert_eq!(c["mine"]["closing_code"], "ADVICE");
    assert_eq!(c["theirs"]["closing_code"], "DA");
    assert_eq!(c["server_version"].as_u64(), Some(v1));
    assert_eq!(incident(&s, &me, OFFICER).await.0["closing_code"], "DA");

    // The resolution is based on the notice's version: applied.
    let resolve = |seq: u64, code: &str, base: u64| {
        based(
            seq,
            "incident.resolve/1",
            json!({ "incident_id": INC, "fields": { "closing_code": code }, "at": "t" }),
            base,
        )
    };
    let (st, v) = s.push(&me, OFFICER, &[resolve(2, "ADVICE", v1)]).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!((v["conflicts"].clone(), v["rejections"].clone()), (json!([]), json!([])), "{v}");
    let (now, v2) = incident(&s, &me, OFFICER).await;
    assert_eq!(now["closing_code"], "ADVICE");
    assert!(v2 > v1);

    // A resolution the record has moved past is a new conflict, not an overwrite.
    let (st, v) = s
        .push(
            &sup,
            SUPER,
            &[based(2, "incident.closing_code/1", json!({ "incident_id": INC, "closing_code": "DA" }), v2)],
        )
        .await;
    assert_eq!((st, v["conflicts"].clone()), (StatusCode::OK, json!([])), "{v}");
    let (st, v) = s.push(&me, OFFICER, &[resolve(3, "ADVICE", v1)]).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["conflicts"][0]["mine"]["fields"]["closing_code"], "ADVICE", "{v}");
    assert_eq!(v["conflicts"][0]["theirs"]["closing_code"], "DA");
    assert_eq!(incident(&s, &me, OFFICER).await.0["closing_code"], "DA");
    assert_eq!(s.central.stats().unwrap().duplicate_applications, 0);
}

#[tokio::test]
async fn a_devices_own_consecutive_edits_on_one_base_are_not_a_clash() {
    let s = Server::start().await;
    let me = s.login("demo-officer", OFFICER).await;
    let (_, v0) = incident(&s, &me, OFFICER).await;
    // Coded, then finalised before the next pull: both carry the same base.
    let (st, v) = s
        .push(
            &me,
            OFFICER,
            &[
                based(
                    1,
                    "incident.closing_code/1",
                    json!({ "incident_id": INC, "closing_code": "NFA-DUP", "no_incident_found": "No trace" }),
                    v0,
                ),
                based(
                    2,
                    "incident.finalise/1",
                    json!({ "incident_id": INC, "closing_code": "NFA-DUP", "finalised_at": "t" }),
                    v0,
                ),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!((v["conflicts"].clone(), v["rejections"].clone()), (json!([]), json!([])), "{v}");
    let (now, _) = incident(&s, &me, OFFICER).await;
    assert_eq!((now["closing_code"].clone(), now["status"].clone()), (json!("NFA-DUP"), json!("finalised")));
}

#[tokio::test]
async fn another_writer_in_between_breaks_the_run() {
    let s = Server::start().await;
    let me = s.login("demo-officer", OFFICER).await;
    let sup = s.login("demo-supervisor", SUPER).await;
    let (_, v0) = incident(&s, &me, OFFICER).await;
    let code = |seq, c: &str, base| {
        based(seq, "incident.closing_code/1", json!({ "incident_id": INC, "closing_code": c }), base)
    };
    assert_eq!(s.push(&me, OFFICER, &[code(1, "DA", v0)]).await.1["conflicts"], json!([]));
    let (_, v1) = incident(&s, &me, OFFICER).await;
    assert_eq!(s.push(&sup, SUPER, &[code(1, "ADVICE", v1)]).await.1["conflicts"], json!([]));
    // The officer's second edit on the first base: the supervisor's change lies in between.
    let (_, v) = s.push(&me, OFFICER, &[code(2, "DA", v0)]).await;
    assert_eq!(v["conflicts"][0]["theirs"]["closing_code"], "ADVICE", "{v}");
}

#[tokio::test]
async fn bad_resolutions_are_refused_with_a_reason() {
    let s = Server::start().await;
    let me = s.login("demo-officer", OFFICER).await;
    let (_, v0) = incident(&s, &me, OFFICER).await;
    let batch = vec![
        // No base version.
        mutation(1, "incident.resolve/1", json!({ "incident_id": INC, "fields": { "closing_code": "DA" } })),
        // A field that cannot be resolved.
        based(2, "incident.resolve/1", json!({ "incident_id": INC, "fields": { "place": "x" } }), v0),
        // Not an object.
        based(3, "incident.resolve/1", json!({ "incident_id": INC, "fields": "DA" }), v0),
        // A status that does not exist.
        based(4, "incident.resolve/1", json!({ "incident_id": INC, "fields": { "status": "closed" } }), v0),
        // Unknown incident.
        based(5, "incident.resolve/1", json!({ "incident_id": "nope", "fields": {} }), v0),
        // Finalises (applied), then a resolution on a finalised incident.
        based(
            6,
            "incident.resolve/1",
            json!({ "incident_id": INC, "fields": { "closing_code": "NFA-DUP", "status": "finalised" }, "at": "t",
                "no_incident_found": "Attended, no trace" }),
            v0,
        ),
        based(7, "incident.resolve/1", json!({ "incident_id": INC, "fields": { "closing_code": "ADVICE" } }), v0),
    ];
    let (st, v) = s.push(&me, OFFICER, &batch).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let codes: Vec<(u64, String)> = v["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["seq"].as_u64().unwrap(), r["code"].as_str().unwrap().to_string()))
        .collect();
    let want: Vec<(u64, String)> = [
        (1, "invalid_payload"),
        (2, "invalid_payload"),
        (3, "invalid_payload"),
        (4, "invalid_payload"),
        (5, "unknown_incident"),
        (7, "incident_finalised"),
    ]
    .into_iter()
    .map(|(s, c)| (s, c.to_string()))
    .collect();
    assert_eq!(codes, want);
    let (now, _) = incident(&s, &me, OFFICER).await;
    assert_eq!((now["closing_code"].clone(), now["status"].clone()), (json!("NFA-DUP"), json!("finalised")));
}

/// Review, 7 Dec 2026: an edit without `base_version` was taken as current, so a closing code
/// pushed without one silently replaced another officer's. It is a conflict now (the device
/// keeps the edit and the officer resolves it); the incident keeps the code it had.
#[tokio::test]
async fn an_edit_without_a_base_version_is_a_conflict_not_an_overwrite() {
    let s = Server::start().await;
    let me = s.login("demo-officer", OFFICER).await;
    let sup = s.login("demo-supervisor", SUPER).await;
    let (_, v0) = incident(&s, &me, OFFICER).await;
    let (st, v) = s
        .push(
            &sup,
            SUPER,
            &[based(1, "incident.closing_code/1", json!({ "incident_id": INC, "closing_code": "DA" }), v0)],
        )
        .await;
    assert_eq!((st, &v["conflicts"], &v["rejections"]), (StatusCode::OK, &json!([]), &json!([])), "{v}");
    let (_, v1) = incident(&s, &me, OFFICER).await;

    let (st, v) = s
        .push(
            &me,
            OFFICER,
            &[
                mutation(1, "incident.closing_code/1", json!({ "incident_id": INC, "closing_code": "ADVICE" })),
                mutation(
                    2,
                    "incident.finalise/1",
                    json!({ "incident_id": INC, "closing_code": "DA", "finalised_at": "t" }),
                ),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["rejections"], json!([]), "{v}");
    let conflicts = v["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 2, "{v}");
    assert_eq!(conflicts[0]["mine"]["closing_code"], "ADVICE");
    assert_eq!(conflicts[0]["theirs"]["closing_code"], "DA");
    assert_eq!(conflicts[0]["base"], json!({ "version": null }));
    assert_eq!(conflicts[0]["server_version"].as_u64(), Some(v1));
    let (now, v_now) = incident(&s, &me, OFFICER).await;
    assert_eq!((now["closing_code"].clone(), now["status"].clone(), v_now), (json!("DA"), json!("open"), v1));
}

/// NFA-DUP needs its reason at the service too (a client that skips the device's check):
/// without one it is refused `nfa_dup_reason_missing`; a duplicate of an incident the service
/// holds passes the device's checks (`nfa_dup_reason_invalid` otherwise), one it does not hold is
/// refused; a resolution to NFA-DUP with no reason is refused; and a finalise is refused once the
/// reason no longer holds on the original as held now.
#[tokio::test]
async fn nfa_dup_needs_its_reason_at_the_service() {
    let s = Server::start().await;
    let me = s.login("demo-officer", OFFICER).await;
    let (_, v0) = incident(&s, &me, OFFICER).await;
    let code = |seq, extra: Value| {
        let mut p = json!({ "incident_id": INC, "closing_code": "NFA-DUP" });
        p.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        based(seq, "incident.closing_code/1", p, v0)
    };
    let batch = vec![
        code(1, json!({})),
        code(2, json!({ "no_incident_found": " ... " })),
        code(3, json!({ "duplicate_of": INC })),
        code(4, json!({ "duplicate_of": "x", "no_incident_found": "y" })),
        based(
            5,
            "incident.resolve/1",
            json!({ "incident_id": INC, "fields": { "closing_code": "NFA-DUP" }, "at": "t" }),
            v0,
        ),
    ];
    let (st, v) = s.push(&me, OFFICER, &batch).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let codes: Vec<(u64, String)> = v["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["seq"].as_u64().unwrap(), r["code"].as_str().unwrap().to_string()))
        .collect();
    let want: Vec<(u64, String)> = [
        (1, "nfa_dup_reason_missing"),
        (2, "nfa_dup_reason_invalid"),
        (3, "nfa_dup_reason_invalid"),
        (4, "invalid_payload"),
        (5, "nfa_dup_reason_missing"),
    ]
    .into_iter()
    .map(|(s, c)| (s, c.to_string()))
    .collect();
    assert_eq!(codes, want, "{v}");
    let (now, _) = incident(&s, &me, OFFICER).await;
    assert_ne!(now["closing_code"], "NFA-DUP");
    // A duplicate of an incident the service does not hold: refused (devices make no incidents,
    // so a real original is always held; an unknown one let a DA incident be finalised).
    let (_, v) = s.push(&me, OFFICER, &[code(6, json!({ "duplicate_of": "INC-NOWHERE\u{1b}[2J" }))]).await;
    let codes: Vec<&str> = v["rejections"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["nfa_dup_reason_invalid"], "{v}");
    let (now, _) = incident(&s, &me, OFFICER).await;
    assert_ne!(now["closing_code"], "NFA-DUP");

    // A DA incident as a duplicate of a held incident that is not DA: refused; of a DA one: kept.
    let (st, v) = s.pull(&me, OFFICER, None, 5000).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let held: Vec<(String, String, String, u64)> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["record_type"] == "incident" && c["op"] == "upsert" && c["id"] != INC)
        .map(|c| {
            let d = &c["data"];
            let text = |k: &str| d[k].as_str().unwrap_or_default().to_string();
            (text("id"), text("reference"), text("incident_type"), c["version"].as_u64().unwrap())
        })
        .collect();
    let das: Vec<_> = held.iter().filter(|h| h.2 == "domestic_abuse").collect();
    let other = held.iter().find(|h| h.2 != "domestic_abuse" && h.2 != "concern_for_child").expect("a non-DA incident");
    assert!(das.len() >= 2, "two DA incidents in the demo data: {held:?}");
    let on = |seq, inc: &(String, String, String, u64), dup: &str| {
        let p = json!({ "incident_id": inc.0, "closing_code": "NFA-DUP", "duplicate_of": dup });
        based(seq, "incident.closing_code/1", p, inc.3)
    };
    let (_, v) = s.push(&me, OFFICER, &[on(7, das[0], &other.1), on(8, das[0], &das[1].1)]).await;
    let codes: Vec<&str> = v["rejections"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["nfa_dup_reason_invalid"], "{v}");
    assert!(v["rejections"][0]["message"].as_str().unwrap().contains("domestic-abuse"), "{v}");

    // An original that is DA by its closing code only, recoded after the duplicate was closed:
    // the duplicate's reason no longer holds, and finalising it is refused (it went through with
    // no assessment, plan or referral).
    let steps: [(u64, &str, &str, Value); 4] = [
        (9, "incident.closing_code/1", &other.0, json!({ "closing_code": "DA" })),
        (10, "incident.closing_code/1", &das[1].0, json!({ "closing_code": "NFA-DUP", "duplicate_of": other.0 })),
        (11, "incident.closing_code/1", &other.0, json!({ "closing_code": "ADVICE" })),
        (12, "incident.finalise/1", &das[1].0, json!({ "closing_code": "NFA-DUP", "finalised_at": "t" })),
    ];
    let mut refused = Vec::new();
    for (seq, name, id, extra) in steps {
        let mut p = json!({ "incident_id": id });
        p.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let version = version_of(&s, &me, OFFICER, id).await;
        let (_, v) = s.push(&me, OFFICER, &[based(seq, name, p, version)]).await;
        assert_eq!(v["conflicts"], json!([]), "{v}");
        for r in v["rejections"].as_array().unwrap() {
            refused.push((seq, r["code"].as_str().unwrap().to_string(), r["message"].as_str().unwrap().to_string()));
        }
    }
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!((refused[0].0, refused[0].1.as_str()), (12, "nfa_dup_reason_invalid"), "{refused:?}");
    assert!(refused[0].2.contains("no longer holds"), "{refused:?}");
}

/// An incident's version, as pulled.
async fn version_of(s: &Server, token: &str, client: &str, id: &str) -> u64 {
    let mut cursor: Option<String> = None;
    let mut found = None;
    loop {
        let (st, v) = s.pull(token, client, cursor.as_deref(), 5000).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        for c in v["changes"].as_array().unwrap() {
            if c["id"] == id && c["op"] == "upsert" {
                found = c["version"].as_u64();
            }
        }
        cursor = Some(v["next_cursor"].as_str().unwrap().to_string());
        if !v["has_more"].as_bool().unwrap() {
            break;
        }
    }
    found.unwrap_or_else(|| panic!("incident {id} not pulled"))
}
