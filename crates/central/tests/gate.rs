//! The closing-code gate held by the service too (review, 7 Dec 2026): a client with an
//! officer's login finalised a domestic-abuse incident with no code, assessment, plan or
//! referral decision, and stored any text as its closing code.

mod common;

use bluelamp_protocol::wire::PushMutation;
use common::{mutation, Server};
use reqwest::StatusCode;
use serde_json::{json, Value};

const OFFICER: &str = "01900000-0000-7000-8000-00000000c0f1";
const INC: &str = "demo-incident-1";

/// The incident as the officer's pull sees it now.
async fn incident(s: &Server, token: &str) -> Value {
    let mut cursor: Option<String> = None;
    let mut found = None;
    loop {
        let (st, v) = s.pull(token, OFFICER, cursor.as_deref(), 5000).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        for c in v["changes"].as_array().unwrap() {
            if c["id"] == INC && c["op"] == "upsert" {
                found = Some(c["data"].clone());
            }
        }
        cursor = Some(v["next_cursor"].as_str().unwrap().to_string());
        if !v["has_more"].as_bool().unwrap() {
            break;
        }
    }
    found.expect("the incident is in the officer's scope")
}

fn rejections(v: &Value) -> Vec<(u64, String, String)> {
    v["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (r["seq"].as_u64().unwrap(), r["code"].as_str().unwrap().into(), r["message"].as_str().unwrap().into())
        })
        .collect()
}

/// A form as a device submits it: `answers`, grade and rationale as given.
fn form_with(seq: u64, id: &str, pack: &str, version: &str, answers: Value, grade: Value) -> PushMutation {
    mutation(
        seq,
        "form.submit/1",
        json!({
            "form": {
                "id": id, "incident_id": INC, "pack_id": pack, "pack_version": version, "author": "demo-officer",
                "answers": answers, "officer_grade": grade, "rationale": if grade.is_null() { Value::Null } else { json!("Recent separation, threats") },
                "amends_id": null, "submitted_at": "2026-12-07T10:00:00.000Z",
            },
            "suggestion": null,
            "tasks": [],
        }),
    )
}

/// A complete form of the shipped pack `pack` about `victim`.
fn form(seq: u64, id: &str, pack: &str, victim: &str) -> PushMutation {
    let packs = bluelamp_forms::builtin_packs().unwrap();
    let p = packs.iter().find(|p| p.id == pack).unwrap();
    let answers = bluelamp_forms::sample_answers(p, &[victim.to_string(), "suspect-1".into()], false, 1_796_000_000);
    let grade = if p.requires_grade { json!("medium") } else { Value::Null };
    form_with(seq, id, pack, &p.version, answers, grade)
}

fn decline(seq: u64, id: &str, victim: &str, words: Value) -> PushMutation {
    mutation(
        seq,
        "referral.decision/1",
        json!({ "decision": {
            "id": id, "incident_id": INC, "victim_id": victim, "outcome": "declined",
            "destination": null, "details": { "in_their_words": words }, "status": "active",
            "decided_at": "2026-12-07T10:00:00Z", "decided_by": "demo-officer",
        }}),
    )
}

#[tokio::test]
async fn the_service_refuses_to_finalise_a_da_incident_without_its_safeguarding() {
    let s = Server::start().await;
    let me = s.login("demo-officer", OFFICER).await;
    let inc = incident(&s, &me).await;
    assert_eq!(inc["incident_type"], "domestic_abuse", "{inc}");
    let victims: Vec<String> = inc["links"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["role"] == "victim")
        .map(|l| l["nominal_id"].as_str().unwrap().to_string())
        .collect();
    assert!(!victims.is_empty(), "{inc}");
    // Every incident edit carries the version it was based on, as a device's does.
    let base = inc["version"].as_u64();
    let edit =
        |seq: u64, name: &str, payload: Value| PushMutation { base_version: base, ..mutation(seq, name, payload) };
    let finalise = |seq: u64, code: Value| {
        edit(seq, "incident.finalise/1", json!({ "incident_id": INC, "closing_code": code, "finalised_at": "t" }))
    };
    let (st, v) = s
        .push(
            &me,
            OFFICER,
            &[
                finalise(1, Value::Null),
                edit(2, "incident.closing_code/1", json!({ "incident_id": INC, "closing_code": "<script>x</script>" })),
                edit(3, "incident.closing_code/1", json!({ "incident_id": INC, "closing_code": " advice " })),
                // Advice on a DA incident is checked against DA too.
                finalise(4, json!("ADVICE")),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let r = rejections(&v);
    let codes: Vec<(u64, &str)> = r.iter().map(|(s, c, _)| (*s, c.as_str())).collect();
    assert_eq!(codes, [(1, "gate_refused"), (2, "unknown_closing_code"), (4, "gate_refused")], "{v}");
    assert!(r[0].2.contains("closing code"), "{}", r[0].2);
    for want in ["risk assessment", "safeguarding plan", "referral decision"] {
        assert!(r[2].2.contains(want), "{want}: {}", r[2].2);
    }
    let now = incident(&s, &me).await;
    assert_eq!((now["closing_code"].clone(), now["status"].clone()), (json!("ADVICE"), json!("open")));

    // Forms that say nothing and a decline with no words are refused, and hold no place in the
    // gate (review, 7 Dec 2026: any client with an officer's login closed DA with them).
    let risk = bluelamp_forms::builtin_packs().unwrap().into_iter().find(|p| p.id == "dash-style-da-risk").unwrap();
    let some = bluelamp_forms::sample_answers(&risk, &[victims[0].clone(), "suspect-1".into()], true, 1_796_000_000);
    let batch = vec![
        edit(5, "incident.closing_code/1", json!({ "incident_id": INC, "closing_code": "DA" })),
        form_with(6, "f-empty", "dash-style-da-risk", &risk.version, json!({}), json!("high")),
        form_with(7, "f-old-empty", "da-safeguarding-plan", "0.9.0", json!({ "unknown": "x" }), Value::Null),
        form_with(8, "f-ungraded", "dash-style-da-risk", &risk.version, some.clone(), Value::Null),
        form_with(9, "f-old-ungraded", "dash-style-da-risk", "0.9.0", some, Value::Null),
        decline(10, "r-silent", &victims[0], json!(" . ")),
        finalise(11, json!("DA")),
    ];
    let (st, v) = s.push(&me, OFFICER, &batch).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let r = rejections(&v);
    let codes: Vec<(u64, &str)> = r.iter().map(|(s, c, _)| (*s, c.as_str())).collect();
    assert_eq!(
        codes,
        [
            (6, "invalid_form"),
            (7, "invalid_form"),
            (8, "invalid_form"),
            (9, "invalid_form"),
            (10, "invalid_decision"),
            (11, "gate_refused")
        ],
        "{v}"
    );
    assert!(r[0].2.contains("cannot be accepted") && r[0].2.contains("is mandatory"), "{}", r[0].2);
    assert!(r[1].2.contains("holds no answers"), "{}", r[1].2);
    for m in [&r[2].2, &r[3].2] {
        assert!(m.contains("grade is missing") && m.contains("rationale"), "{m}");
    }
    assert!(r[4].2.contains("own words"), "{}", r[4].2);

    // With the assessment, the plan and every victim's decision held, DA closes.
    let mut batch = vec![
        form(12, "f-risk", "dash-style-da-risk", &victims[0]),
        // A plan of another version is checked for what every version asks.
        form_with(13, "f-plan", "da-safeguarding-plan", "1.0.0", json!({ "victim": victims[0] }), Value::Null),
    ];
    for (i, victim) in victims.iter().enumerate() {
        batch.push(decline(14 + i as u64, &format!("r-{i}"), victim, json!("no")));
    }
    let last = 14 + victims.len() as u64;
    batch.push(finalise(last, json!("DA")));
    let (st, v) = s.push(&me, OFFICER, &batch).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["rejections"], json!([]), "{v}");
    assert_eq!(incident(&s, &me).await["status"], "finalised");
}
