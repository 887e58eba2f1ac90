//! `bluelamp-cli status`: a store's health for IT support and scripts, without the passphrase,
//! and with `--unlock` what it holds and has not yet sent; `--fail-if-unsent` exits 2 while
//! writes made on the device have not reached the central service.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

const PASS: &str = "bluelamp-demo";

fn cli(db: &Path, pass: Option<&str>, args: &[&str]) -> (i32, Value, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bluelamp-cli"));
    c.arg("--db").arg(db).args(args).stdin(Stdio::null()).env_remove("BLUELAMP_PASSPHRASE");
    if let Some(p) = pass {
        c.env("BLUELAMP_PASSPHRASE", p);
    }
    let out = c.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), json, stdout, String::from_utf8_lossy(&out.stderr).to_string())
}

#[test]
fn status_tells_the_files_state_without_a_passphrase_and_what_is_unsent_with_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pc1.db");

    let (code, j, _, err) = cli(&db, None, &["status", "--json"]);
    assert_eq!((code, j["state"].as_str()), (0, Some("not_found")), "{err}");

    let (code, _, _, err) = cli(&db, Some(PASS), &["init", "--officer", "PC1", "--insecure-fast-kdf"]);
    assert_eq!(code, 0, "{err}");
    // No passphrase is asked for (none given, standard input empty) to tell what the files say.
    let (code, j, _, err) = cli(&db, None, &["status", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(j["state"], "present");
    assert_eq!(j["officer_id"], "PC1");
    assert_eq!(j["key_checksum"], true);
    assert_eq!(j["locked_out"], false);
    assert!(j.get("inside").is_none(), "nothing from inside without --unlock: {j}");

    // Nothing written yet: a device that may be reimaged.
    let (code, j, _, err) = cli(&db, Some(PASS), &["status", "--fail-if-unsent", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        (j["inside"]["unsent"].as_u64(), j["inside"]["schema_version"] == j["inside"]["schema_current"]),
        (Some(0), true)
    );

    // Two forms written and not sent: exit 2, and said so in words.
    let (code, _, _, err) = cli(&db, Some(PASS), &["demo", "enqueue", "--forms", "2"]);
    assert_eq!(code, 0, "{err}");
    let (code, j, _, _) = cli(&db, Some(PASS), &["status", "--fail-if-unsent", "--json"]);
    assert_eq!(code, 2, "{j}");
    assert_eq!(j["inside"]["unsent"], 2);
    let (code, _, text, _) = cli(&db, Some(PASS), &["status", "--fail-if-unsent"]);
    assert_eq!(code, 2);
    assert!(text.contains("2 not yet sent") && text.contains("NOT all reached"), "{text}");
    // Without the flag the same store is no failure.
    let (code, _, _, _) = cli(&db, Some(PASS), &["status", "--unlock"]);
    assert_eq!(code, 0);

    // A wrong passphrase is a try like any other, counted and shown.
    let (code, j, _, err) = cli(&db, Some("wrong one"), &["status", "--unlock", "--json"]);
    assert_eq!(code, 1, "{j}");
    assert!(err.contains("wrong passphrase"), "{err}");
    assert!(j["inside_error"].as_str().is_some_and(|e| e.contains("wrong passphrase")), "{j}");
    let (_, j, _, _) = cli(&db, None, &["status", "--json"]);
    assert_eq!(j["wrong_passphrases"], 1);

    // A key file with a changed byte is damaged, said before any passphrase is tried.
    let keys = dir.path().join("pc1.db.keys");
    let good = std::fs::read_to_string(&keys).unwrap();
    std::fs::write(&keys, good.replacen("\"PC1\"", "\"PC2\"", 1)).unwrap();
    let (code, j, _, _) = cli(&db, None, &["status", "--json"]);
    assert_eq!(
        (code, j["state"].as_str(), j["key_checksum"].as_bool()),
        (0, Some("key_file_damaged"), Some(false)),
        "{j}"
    );
    let (code, _, text, err) = cli(&db, Some(PASS), &["status", "--unlock"]);
    assert_eq!(code, 1);
    assert!(text.contains("damaged") && err.contains("damaged"), "{text}\n{err}");
    std::fs::write(&keys, good).unwrap();

    // What a creation stopped part-way leaves (a database, its key only staged, named in the
    // marker) is not a store.
    let half = dir.path().join("half.db");
    let (code, _, _, err) = cli(&half, Some(PASS), &["init", "--officer", "PC1", "--insecure-fast-kdf"]);
    assert_eq!(code, 0, "{err}");
    let staged = dir.path().join("half.db.keys.new");
    std::fs::rename(dir.path().join("half.db.keys"), &staged).unwrap();
    let check: Value = serde_json::from_str(&std::fs::read_to_string(&staged).unwrap()).unwrap();
    std::fs::write(dir.path().join("half.db.creating"), check["check"].as_str().unwrap()).unwrap();
    let (code, j, _, _) = cli(&half, None, &["status", "--json"]);
    assert_eq!((code, j["state"].as_str()), (0, Some("interrupted_creation")), "{j}");

    // A stray marker beside the real store, with its unsent writes, hides nothing and lets
    // `init` replace nothing.
    std::fs::write(dir.path().join("pc1.db.creating"), b"").unwrap();
    let (code, j, _, _) = cli(&db, Some(PASS), &["status", "--fail-if-unsent", "--json"]);
    assert_eq!((code, j["state"].as_str(), j["inside"]["unsent"].as_u64()), (2, Some("present"), Some(2)), "{j}");
    let (code, _, _, err) = cli(&db, Some(PASS), &["init", "--officer", "PC9", "--insecure-fast-kdf"]);
    assert!(code != 0 && err.contains("already exists"), "{err}");
    let (_, j, _, _) = cli(&db, Some(PASS), &["status", "--unlock", "--json"]);
    assert_eq!((j["officer_id"].as_str(), j["inside"]["unsent"].as_u64()), (Some("PC1"), Some(2)), "{j}");

    // A folder is said to be one.
    let (code, j, _, _) = cli(dir.path(), None, &["status", "--json"]);
    assert_eq!((code, j["state"].as_str()), (0, Some("not_a_file")), "{j}");

    // A wrong passphrase that erases the store under a wipe policy: the report says it is gone.
    let copy = dir.path().join("copy.db");
    for suffix in ["", ".keys"] {
        std::fs::copy(format!("{}{suffix}", db.display()), format!("{}{suffix}", copy.display())).unwrap();
    }
    let wipe = |c: &mut Command| {
        c.env("BLUELAMP_MAX_UNLOCK_FAILURES", "1").env("BLUELAMP_ON_TOO_MANY_FAILURES", "wipe");
    };
    let mut c = Command::new(env!("CARGO_BIN_EXE_bluelamp-cli"));
    c.arg("--db").arg(&copy).args(["status", "--fail-if-unsent", "--json"]).stdin(Stdio::null());
    c.env("BLUELAMP_PASSPHRASE", "a typo here");
    wipe(&mut c);
    let out = c.output().unwrap();
    let j: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert!(!copy.exists(), "the policy erased it: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(j["state"], "not_found", "the report is of the store as it is now: {j}");
}

fn spawn_cli(db: &Path, pass: &str, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_bluelamp-cli"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("BLUELAMP_PASSPHRASE", pass)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Wrong passphrases given by processes side by side are each counted: twelve at once used to
/// count as one (each read 0 and wrote 1), and some failed on the shared temporary file ("No
/// such file or directory"), so the store never locked out (review, 7 Dec 2026).
#[test]
fn parallel_wrong_passphrases_from_separate_processes_are_each_counted() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("race.db");
    let (code, _, _, err) = cli(&db, Some(PASS), &["init", "--officer", "PC1", "--insecure-fast-kdf"]);
    assert_eq!(code, 0, "{err}");
    let children: Vec<_> = (0..12).map(|i| spawn_cli(&db, &format!("wrong{i}"), &["status", "--unlock"])).collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(!err.contains("os error"), "only the passphrase's answer: {err}");
        assert!(err.contains("wrong passphrase") || err.contains("Too many wrong passphrases"), "{err}");
    }
    let attempts: Value = serde_json::from_slice(&std::fs::read(dir.path().join("race.db.attempts")).unwrap()).unwrap();
    assert_eq!((attempts["failures"].as_u64(), attempts["locked_out"].as_bool()), (Some(5), Some(true)), "{attempts}");
    let (code, _, _, err) = cli(&db, Some(PASS), &["status", "--unlock"]);
    assert_ne!(code, 0);
    assert!(err.contains("locked until you sign in online"), "{err}");
}

/// A folder where the record of wrong passphrases belongs: nothing could be counted ("Is a
/// directory") and the right passphrase still opened the store. Now no passphrase is checked
/// until IT removes it.
#[test]
fn a_record_of_wrong_passphrases_that_cannot_be_kept_refuses_every_unlock() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let (code, _, _, err) = cli(&db, Some(PASS), &["init", "--officer", "PC1", "--insecure-fast-kdf"]);
    assert_eq!(code, 0, "{err}");
    let attempts = dir.path().join("s.db.attempts");
    std::fs::create_dir(&attempts).unwrap();
    for pass in ["wrong", PASS] {
        let (code, _, _, err) = cli(&db, Some(pass), &["status", "--unlock"]);
        assert_ne!(code, 0, "{pass}: {err}");
        assert!(
            err.contains("record of wrong passphrases") && err.contains("it is a folder") && err.contains("Ask IT"),
            "{pass}: {err}"
        );
    }
    std::fs::remove_dir(&attempts).unwrap();
    let (code, _, _, err) = cli(&db, Some(PASS), &["status", "--unlock"]);
    assert_eq!(code, 0, "{err}");
}

struct Service {
    url: String,
    _running: bluelamp_central::Running,
    _rt: tokio::runtime::Runtime,
}

fn service(dir: &Path) -> Service {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let central =
        bluelamp_central::Central::open_with(&dir.join("central.db"), bluelamp_central::Config::for_tests()).unwrap();
    central.seed_demo(20).unwrap();
    let running = rt.block_on(bluelamp_central::spawn(central, "127.0.0.1:0".parse().unwrap())).unwrap();
    Service { url: running.url(), _running: running, _rt: rt }
}

/// Review, 7 Dec 2026: after a sync, a search and a record opened left access-log entries the
/// service had not received (anchor #2, head #8), yet `status` said "nothing written here is
/// waiting to be sent" and `--fail-if-unsent` exited 0: reimaging on that verdict destroyed
/// the record of who viewed whom (DPA 2018 s.62). And a round the service refused the access
/// log in (a store restored from an older copy: a fork) was shown as the "last sync", the check
/// passing.
#[test]
fn unsent_and_refused_access_log_entries_fail_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let s = service(dir.path());
    let db = dir.path().join("b.db");
    let enrol = ["enrol", "--server", &s.url, "--officer", "demo-officer", "--insecure-fast-kdf"];
    let (code, _, _, err) = cli(&db, Some(PASS), &enrol);
    assert_eq!(code, 0, "{err}");
    let (code, _, _, err) = cli(&db, Some(PASS), &["sync"]);
    assert_eq!(code, 0, "{err}");
    // Just synced: only sign-ins (this check's own unlock) are after the anchor, and they are no
    // unsent records, however many times the check runs (run twice, it failed).
    for _ in 0..2 {
        let (code, j, _, _) = cli(&db, Some(PASS), &["status", "--fail-if-unsent", "--json"]);
        assert_eq!((code, j["inside"]["access_log_unsent"].as_u64().unwrap_or(0)), (0, 0), "{j}");
    }
    let (_, j, _, _) = cli(&db, Some(PASS), &["sync", "--json"]);
    assert_eq!(j["outcome"], "synced", "{j}");

    // A search: its entry (and the unlocks) have not reached the service.
    let (code, _, _, err) = cli(&db, Some(PASS), &["search", "--name", "smith"]);
    assert_eq!(code, 0, "{err}");
    let (code, j, _, _) = cli(&db, Some(PASS), &["status", "--fail-if-unsent", "--json"]);
    assert_eq!(code, 2, "{j}");
    assert_eq!(j["inside"]["unsent"], 0, "{j}");
    let n = j["inside"]["access_log_unsent"].as_u64().unwrap();
    assert!(n >= 1, "the search: {j}");
    let (code, _, text, _) = cli(&db, Some(PASS), &["status", "--fail-if-unsent"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("access-log entries not yet acknowledged") && text.contains("NOT all reached"), "{text}");

    // A copy of the store (restored later), then the original syncs its search: the copy's log
    // forks from the service's.
    let copy = dir.path().join("b2.db");
    for suffix in ["", ".keys"] {
        std::fs::copy(format!("{}{suffix}", db.display()), format!("{}{suffix}", copy.display())).unwrap();
    }
    let (code, _, _, err) = cli(&db, Some(PASS), &["sync"]);
    assert_eq!(code, 0, "{err}");
    let (code, j, _, _) = cli(&db, Some(PASS), &["status", "--fail-if-unsent", "--json"]);
    assert_eq!((code, j["inside"]["access_log_unsent"].as_u64()), (0, Some(0)), "{j}");

    let (_, before, _, _) = cli(&copy, Some(PASS), &["status", "--unlock", "--json"]);
    let last_before = before["inside"]["last_sync_ok"].clone();
    let (code, j, _, err) = cli(&copy, Some(PASS), &["sync", "--json"]);
    assert_ne!(code, 0, "{j} {err}");
    assert_eq!(j["outcome"], "blocked", "{j}");
    assert!(j["message"].as_str().unwrap().contains("refused the access log"), "{j}");
    let (code, j, _, _) = cli(&copy, Some(PASS), &["status", "--fail-if-unsent", "--json"]);
    assert_eq!(code, 2, "a refused access log fails the check: {j}");
    assert!(j["inside"]["access_log_refused"].as_str().is_some(), "{j}");
    assert_eq!(j["inside"]["last_sync_ok"], last_before, "the blocked round is no last sync: {j}");
    let (_, _, text, _) = cli(&copy, Some(PASS), &["status", "--unlock"]);
    assert!(text.contains("REFUSED the log"), "{text}");
}
