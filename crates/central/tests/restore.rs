//! A service restored from a backup: devices' cursors from the lost timeline are answered with
//! a reset, not taken as valid (which skipped changes for good and kept records the restored
//! service no longer holds).

mod common;

use bluelamp_central::{Central, Config};
use common::Server;
use reqwest::StatusCode;
use serde_json::Value;

const DEMO_DISTRICT: &str = bluelamp_central::db::DEMO_DISTRICT;

async fn pull_all(s: &Server, token: &str, client: &str, mut cursor: Option<String>) -> (Vec<String>, String, Value) {
    let mut ids = Vec::new();
    loop {
        let (st, v) = s.pull(token, client, cursor.as_deref(), 5000).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        if !v["reset"].is_null() {
            return (ids, v["next_cursor"].as_str().unwrap().to_string(), v);
        }
        for c in v["changes"].as_array().unwrap() {
            ids.push(c["id"].as_str().unwrap().to_string());
        }
        cursor = Some(v["next_cursor"].as_str().unwrap().to_string());
        if v["has_more"] != true {
            return (ids, cursor.unwrap(), v);
        }
    }
}

fn people(prefix: &str, n: usize) -> String {
    let mut csv = String::from("id,given_name,surname,date_of_birth\n");
    for i in 1..=n {
        csv.push_str(&format!("{prefix}-{i},Ann,{prefix}son,1980-01-0{}\n", 1 + i % 9));
    }
    csv
}

#[tokio::test]
async fn a_cursor_from_before_a_restore_gets_a_reset() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("central.db");
    let backup = dir.path().join("backup.db");
    let start = |path: std::path::PathBuf| async move {
        let central = Central::open_with(&path, Config::for_tests()).unwrap();
        let running = bluelamp_central::spawn(central.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
        Server {
            _dir: tempfile::tempdir().unwrap(),
            central,
            running,
            http: reqwest::Client::builder().no_gzip().build().unwrap(),
        }
    };
    let s = start(path.clone()).await;
    s.central.seed_demo(20).unwrap();
    let officer = s.login("demo-officer", "laptop-1").await;
    let admin = s.login("demo-admin", "admin-1").await;
    let (_, cursor, _) = pull_all(&s, &officer, "laptop-1", None).await;
    // The backup, then five people the device pulls.
    rusqlite::Connection::open(&path).unwrap().execute("VACUUM INTO ?1", [backup.to_str().unwrap()]).unwrap();
    assert_eq!(s.import_csv(&admin, DEMO_DISTRICT, &people("POST", 5)).await.0, StatusCode::OK);
    let (got, lost_cursor, _) = pull_all(&s, &officer, "laptop-1", Some(cursor)).await;
    assert_eq!(got.len(), 5, "{got:?}");
    // The service is restored from the backup and takes 20 other people: the versions the
    // device was given for the five are issued again for them.
    let Server { central, running, .. } = s;
    running.stop().await;
    drop(central);
    for f in ["central.db", "central.db-wal", "central.db-shm"] {
        let _ = std::fs::remove_file(dir.path().join(f));
    }
    std::fs::copy(&backup, &path).unwrap();
    let s = start(path.clone()).await;
    let officer = s.login("demo-officer", "laptop-1").await;
    let admin = s.login("demo-admin", "admin-1").await;
    assert_eq!(s.import_csv(&admin, DEMO_DISTRICT, &people("LATER", 20)).await.0, StatusCode::OK);
    let (got, restart, v) = pull_all(&s, &officer, "laptop-1", Some(lost_cursor.clone())).await;
    assert!(got.is_empty(), "nothing from the other timeline is taken as new: {got:?}");
    assert_eq!(v["reset"], "cursor_too_old", "{v}");
    // The reset's full re-pull has all twenty, and none of the five lost.
    let (all, _, v) = pull_all(&s, &officer, "laptop-1", Some(restart)).await;
    assert!(v["reset"].is_null(), "{v}");
    assert_eq!(all.iter().filter(|id| id.starts_with("LATER-")).count(), 20);
    assert!(!all.iter().any(|id| id.starts_with("POST-")), "{all:?}");
    // A service restarted without a restore keeps every cursor.
    let (_, caught_up, _) = pull_all(&s, &officer, "laptop-1", None).await;
    let Server { central, running, .. } = s;
    running.stop().await;
    drop(central);
    let s = start(path.clone()).await;
    let officer = s.login("demo-officer", "laptop-1").await;
    let (got, _, v) = pull_all(&s, &officer, "laptop-1", Some(caught_up)).await;
    assert!(v["reset"].is_null() && got.is_empty(), "{v}");
}
