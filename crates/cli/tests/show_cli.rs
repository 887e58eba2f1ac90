//! `show`: the record page from the CLI, with markers imported from the CSV, and its
//! access-log entry.

use std::process::{Command, Output};

fn cli(db: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bluelamp-cli"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("BLUELAMP_PASSPHRASE", "pw")
        .output()
        .unwrap()
}

#[test]
fn show_prints_markers_first_and_logs_the_purpose() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    assert!(cli(&db, &["init", "--officer", "PC1", "--insecure-fast-kdf"]).status.success());
    let csv = dir.path().join("n.csv");
    std::fs::write(
        &csv,
        "id,given_name,surname,date_of_birth,aliases,address,postcode,markers\n\
         N1,William,Smith,1984-03-12,Bill Smyth,1 High Street,TN23 1AA,drugs;violence@2026-10-01\n\
         N2,Mary,Jones,,,,,bad marker!\n\
         N3,Ann,Lee,,,,,\n",
    )
    .unwrap();
    let out = cli(&db, &["import", "nominals", "--csv", csv.to_str().unwrap()]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "imported 2 rejected 1");
    assert!(String::from_utf8_lossy(&out.stderr).contains("row 3: rejected: marker"), "{out:?}");

    // Search rows carry the marker codes, most serious first.
    let out = cli(&db, &["search", "--name", "bill smith", "--json"]);
    let hits: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(hits[0]["markers"], serde_json::json!(["violence", "drugs"]));

    // A purpose is required.
    let out = cli(&db, &["show", "--id", "N1", "--purpose", "curiosity", "--json"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Choose why"), "{out:?}");

    let out = cli(&db, &["show", "--id", "N1", "--purpose", "investigation", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(page["id"], "N1");
    assert_eq!(page["warning_markers"][0]["code"], "violence");
    assert_eq!(page["warning_markers"][0]["last_verified_at"], "2026-10-01T00:00:00Z");
    assert_eq!(page["warning_markers"][1]["code"], "drugs");
    assert_eq!(page["aliases"], serde_json::json!(["Bill Smyth"]));
    assert_eq!(page["addresses"][0]["address"], "1 High Street");
    assert_eq!(page["addresses"][0]["current"], true);
    assert_eq!(page["incidents"], serde_json::json!([]));

    let out = cli(&db, &["show", "--id", "N1", "--purpose", "safeguarding"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let first_marker = text.find("⚠ Violence").expect("the violence marker");
    assert!(first_marker < text.find("Alias: Bill Smyth").unwrap(), "markers come first:\n{text}");

    let out = cli(&db, &["show", "--id", "nobody", "--purpose", "investigation"]);
    assert!(!out.status.success());

    let out = cli(&db, &["audit", "list", "--json"]);
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let views: Vec<(&str, &str, &str)> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "consultation" && e["object_ref"].as_str().unwrap_or("").starts_with("nominal:"))
        .map(|e| {
            (e["object_ref"].as_str().unwrap(), e["purpose"].as_str().unwrap_or(""), e["outcome"].as_str().unwrap())
        })
        .collect();
    assert_eq!(views.len(), 3, "one entry per show: {views:?}");
    assert!(views.contains(&("nominal:N1", "investigation", "success")));
    assert!(views.contains(&("nominal:N1", "safeguarding", "success")));
    assert!(views.contains(&("nominal:nobody", "investigation", "failure")));
}
