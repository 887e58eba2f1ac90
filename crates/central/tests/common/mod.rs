#![allow(dead_code)]

use bluelamp_central::{Central, Config, Running};
use bluelamp_protocol::wire::PushMutation;
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const PASS: &str = "bluelamp-demo";

pub struct Server {
    pub _dir: tempfile::TempDir,
    pub central: Central,
    pub running: Running,
    pub http: reqwest::Client,
}

impl Server {
    pub async fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let central = Central::open_with(&dir.path().join("central.db"), Config::for_tests()).unwrap();
        central.seed_demo(30).unwrap();
        let running = bluelamp_central::spawn(central.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
        Server { _dir: dir, central, running, http: reqwest::Client::builder().no_gzip().build().unwrap() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.url())
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
        let mut rb = self.http.post(self.url(path)).json(body);
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        let r = rb.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text:?}"));
        (status, v)
    }

    pub async fn post_raw(&self, path: &str, token: Option<&str>, body: Vec<u8>) -> (StatusCode, Value) {
        let mut rb = self.http.post(self.url(path)).header("content-type", "application/json").body(body);
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        let r = rb.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text:?}"));
        (status, v)
    }

    /// The sync round's automatic sign-in (not interactive).
    pub async fn login(&self, officer: &str, client_id: &str) -> String {
        self.login_as(officer, client_id, false).await
    }

    /// `interactive`: the officer typed the passphrase (lifts a remote lock).
    pub async fn login_as(&self, officer: &str, client_id: &str, interactive: bool) -> String {
        let (status, v) = self
            .post(
                "/v1/login",
                None,
                &json!({ "schema_version": bluelamp_protocol::SCHEMA_VERSION, "officer_id": officer, "passphrase": PASS,
                         "client_id": client_id, "interactive": interactive }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v["token"].as_str().unwrap().to_string()
    }

    pub async fn push(&self, token: &str, client_id: &str, mutations: &[PushMutation]) -> (StatusCode, Value) {
        self.post(
            "/v1/push",
            Some(token),
            &json!({ "schema_version": bluelamp_protocol::SCHEMA_VERSION, "client_id": client_id, "mutations": mutations }),
        )
        .await
    }

    pub async fn pull(&self, token: &str, client_id: &str, cursor: Option<&str>, limit: u32) -> (StatusCode, Value) {
        self.post(
            "/v1/pull",
            Some(token),
            &json!({ "schema_version": bluelamp_protocol::SCHEMA_VERSION, "client_id": client_id, "cursor": cursor, "limit": limit }),
        )
        .await
    }

    /// The incident's `version` as this officer's pull serves it (the base a device's edit of
    /// it carries).
    pub async fn incident_version(&self, token: &str, client_id: &str, incident_id: &str) -> u64 {
        let mut cursor: Option<String> = None;
        let mut found = None;
        loop {
            let (st, v) = self.pull(token, client_id, cursor.as_deref(), 5000).await;
            assert_eq!(st, StatusCode::OK, "{v}");
            for c in v["changes"].as_array().unwrap() {
                if c["record_type"] == "incident" && c["id"] == incident_id && c["op"] == "upsert" {
                    found = c["data"]["version"].as_u64();
                }
            }
            cursor = Some(v["next_cursor"].as_str().unwrap().to_string());
            if !v["has_more"].as_bool().unwrap() {
                break;
            }
        }
        found.expect("the incident is in the officer's scope")
    }

    pub async fn import_csv(&self, token: &str, district: &str, csv: &str) -> (StatusCode, Value) {
        let r = self
            .http
            .post(self.url(&format!(
                "/v1/admin/nominals?schema_version={}&district={district}",
                bluelamp_protocol::SCHEMA_VERSION
            )))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(csv.to_string())
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap())
    }
}

pub fn form_submit(seq: u64, form_id: &str) -> PushMutation {
    PushMutation {
        seq,
        mutation_id: format!("m-{seq}-{form_id}"),
        name: "form.submit/1".into(),
        payload: json!({
            "form": {
                "id": form_id, "incident_id": "demo-incident-1", "incident_reference": "INC-1",
                "pack_id": "dash", "pack_version": 1, "author": "demo-officer",
                "answers": { "q1": "yes" }, "officer_grade": "medium", "rationale": "test",
                "amends_id": null, "submitted_at": "2026-01-01T10:00:00.000Z",
            },
            "suggestion": null,
            "tasks": [],
        }),
        base_version: None,
    }
}

pub fn mutation(seq: u64, name: &str, payload: Value) -> PushMutation {
    PushMutation { seq, mutation_id: format!("m-{seq}-{name}"), name: name.into(), payload, base_version: None }
}
