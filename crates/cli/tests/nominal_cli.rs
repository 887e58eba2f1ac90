//! `nominal create` and `duplicates list / resolve` against a real central service: field
//! problems refuse with JSON issues; a person the service already holds comes back as a
//! possible duplicate, is linked from the command line, and the local copy converges.

use std::process::{Command, Output};

use bluelamp_central::{Central, Config};

const PASS: &str = "bluelamp-demo";

fn cli(db: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bluelamp-cli"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("BLUELAMP_PASSPHRASE", PASS)
        .output()
        .unwrap()
}

fn ok(out: Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

#[test]
fn create_find_the_duplicate_and_link_it_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let central_db = dir.path().join("central.db");
    let central = Central::open_with(&central_db, Config::for_tests()).unwrap();
    central.seed_demo(60).unwrap();
    let running = rt.block_on(bluelamp_central::spawn(central.clone(), "127.0.0.1:0".parse().unwrap())).unwrap();
    let url = running.url();
    let db = dir.path().join("officer.db");
    ok(cli(&db, &["enrol", "--server", &url, "--officer", "demo-officer", "--insecure-fast-kdf"]));
    ok(cli(&db, &["sync", "--json"]));

    let (pid, given, surname, dob): (String, String, String, String) = rusqlite::Connection::open(&central_db)
        .unwrap()
        .query_row(
            "SELECT id, given_name, surname, date_of_birth FROM nominals WHERE date_of_birth IS NOT NULL ORDER BY id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();

    // Field problems: refused, nothing saved, the fields named.
    let out =
        cli(&db, &["nominal", "create", "--given", &given, "--surname", &surname, "--dob", "1980-13-01", "--json"]);
    assert!(!out.status.success());
    let issues: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(issues["issues"][0]["field"], "date_of_birth", "{issues}");
    // A real date in the future too: the same JSON (it printed nothing, failing in the
    // likely-matches search first).
    let out =
        cli(&db, &["nominal", "create", "--given", &given, "--surname", &surname, "--dob", "2099-01-01", "--json"]);
    assert!(!out.status.success());
    let issues: serde_json::Value = serde_json::from_slice(&out.stdout).expect("issues on stdout");
    assert_eq!(issues["issues"][0]["field"], "date_of_birth", "{issues}");

    // Saved as provisional; the local likely match is listed.
    let created =
        ok(cli(&db, &["nominal", "create", "--given", &given, "--surname", &surname, "--dob", &dob, "--json"]));
    let prov = created["nominal"]["id"].as_str().unwrap().to_string();
    assert_eq!(created["nominal"]["provisional"], true);
    assert!(created["likely_matches"].as_array().unwrap().iter().any(|h| h["id"] == pid.as_str()), "{created}");

    ok(cli(&db, &["sync", "--json"]));
    let list = ok(cli(&db, &["duplicates", "list", "--json"]));
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["provisional_id"], prov.as_str());
    assert_eq!(list[0]["candidates"][0]["id"], pid.as_str());
    let id = list[0]["id"].as_str().unwrap().to_string();

    // Linking to someone not offered is refused; then the link.
    assert!(!cli(&db, &["duplicates", "resolve", "--id", &id, "--link", "nobody"]).status.success());
    assert!(!cli(&db, &["duplicates", "resolve", "--id", &id]).status.success(), "--link or --new is required");
    ok(cli(&db, &["duplicates", "resolve", "--id", &id, "--link", &pid]));
    assert_eq!(ok(cli(&db, &["duplicates", "list", "--json"])), serde_json::json!([]));
    ok(cli(&db, &["sync", "--json"]));
    let hits = ok(cli(&db, &["search", "--name", &format!("{given} {surname}"), "--json"]));
    let ids: Vec<&str> = hits.as_array().unwrap().iter().filter_map(|h| h["id"].as_str()).collect();
    assert!(ids.contains(&pid.as_str()) && !ids.contains(&prov.as_str()), "{ids:?}");
    rt.block_on(running.stop());
}
