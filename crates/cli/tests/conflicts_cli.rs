//! `bluelamp-cli incident code`, `conflicts list --json` and `conflicts resolve` against a real
//! central service: two devices of one officer code the same incident differently; the second
//! sees the conflict, resolves it per field, and both converge.

use std::path::Path;
use std::process::{Command, Stdio};

use bluelamp_central::{Central, Config};
use serde_json::Value;

const PASS: &str = "bluelamp-demo";

fn cli(db: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bluelamp-cli"));
    c.arg("--db").arg(db).env("BLUELAMP_PASSPHRASE", PASS).stdin(Stdio::null());
    c
}

fn ok(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(out.status.success(), "{:?}: {}", c, String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn fails(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(!out.status.success(), "{c:?} should fail");
    String::from_utf8(out.stderr).unwrap()
}

fn conflicts(db: &Path) -> Vec<Value> {
    serde_json::from_str::<Value>(&ok(cli(db).args(["conflicts", "list", "--json"])))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// The objects of the store's consultation entries, newest first. Read through the store: the
/// officer's role does not list the log (`audit list`), as in the app.
fn consultations(db: &Path) -> Vec<String> {
    let store = bluelamp_store::Store::open(db, PASS).unwrap();
    let filter = bluelamp_protocol::audit::AuditFilter { limit: Some(1000), ..Default::default() };
    store
        .audit_list(&filter)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "consultation")
        .map(|e| e.object_ref)
        .collect()
}

/// A demo service and two devices of one officer, both enrolled and synced.
struct TwoDevices {
    dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
    running: bluelamp_central::Running,
    a: std::path::PathBuf,
    b: std::path::PathBuf,
}

fn two_devices() -> TwoDevices {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let central = Central::open_with(&dir.path().join("central.db"), Config::for_tests()).unwrap();
    central.seed_demo(20).unwrap();
    let running = rt.block_on(bluelamp_central::spawn(central.clone(), "127.0.0.1:0".parse().unwrap())).unwrap();
    let url = running.url();
    let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    for db in [&a, &b] {
        ok(cli(db).args(["enrol", "--server", &url, "--officer", "demo-officer", "--insecure-fast-kdf"]));
        ok(cli(db).args(["sync"]));
    }
    TwoDevices { dir, rt, running, a, b }
}

#[test]
fn list_and_resolve_a_conflict_from_the_cli() {
    let TwoDevices { dir, rt, running, a, b } = two_devices();
    let inc = "demo-incident-2";
    // `none` clears it, and says so; an empty code (an unset variable in a script) is refused.
    assert!(fails(cli(&a).args(["incident", "code", "--id", inc, "--code", ""])).contains("--code is empty"));
    let cleared = cli(&a).args(["incident", "code", "--id", inc, "--code", "none"]).output().unwrap();
    assert!(cleared.status.success());
    assert!(String::from_utf8_lossy(&cleared.stderr).contains("cleared"), "{cleared:?}");
    ok(cli(&a).args(["incident", "code", "--id", inc, "--code", "CRIME"]));
    ok(cli(&a).args(["sync"]));
    ok(cli(&b).args(["incident", "code", "--id", inc, "--code", "ADVICE"]));
    assert!(fails(cli(&b).args(["incident", "code", "--id", inc, "--code", "NOPE"])).contains("unknown closing code"));

    ok(cli(&b).args(["sync"]));

    let list = conflicts(&b);
    assert_eq!(list.len(), 1, "{list:?}");
    let c = &list[0];
    assert_eq!(c["record_id"], inc);
    assert_eq!(c["fields"][0]["field"], "closing_code");
    assert_eq!(c["fields"][0]["mine"], "ADVICE");
    assert_eq!(c["fields"][0]["theirs"], "CRIME");
    let id = c["id"].as_str().unwrap();
    let text = ok(cli(&b).args(["conflicts", "list"]));
    assert!(text.contains("Closing code: base (none) | mine ADVICE | theirs CRIME"), "{text}");

    // Bad choices are clear errors and change nothing.
    assert!(fails(cli(&b).args(["conflicts", "resolve", "--id", id, "--take", "ours"])).contains("not mine or theirs"));
    assert!(fails(cli(&b).args(["conflicts", "resolve", "--id", id, "--take", "place=mine"])).contains("no field"));
    assert!(fails(cli(&b).args(["conflicts", "resolve", "--id", "nope", "--take", "mine"])).contains("no unresolved"));
    assert_eq!(conflicts(&b).len(), 1);

    ok(cli(&b).args(["conflicts", "resolve", "--id", id, "--take", "closing_code=theirs"]));
    assert!(conflicts(&b).is_empty());
    ok(cli(&b).args(["sync"]));
    ok(cli(&a).args(["sync"]));
    assert!(conflicts(&a).is_empty() && conflicts(&b).is_empty());

    // Reading incidents, conflicts and possible duplicates names people: each read is in the
    // access log (DPA 2018 s.62), as in the app.
    let before = consultations(&a);
    let listed: Value = serde_json::from_str(&ok(cli(&a).args(["incident", "list"]))).unwrap();
    assert!(listed.as_array().is_some_and(|l| !l.is_empty()), "{listed}");
    let shown: Value = serde_json::from_str(&ok(cli(&a).args(["incident", "show", "--id", inc]))).unwrap();
    assert_eq!(shown["id"], inc, "{shown}");
    ok(cli(&a).args(["duplicates", "list", "--json"]));
    ok(cli(&a).args(["conflicts", "list"]));
    let after = consultations(&a);
    for object in ["incidents".to_string(), format!("incident:{inc}"), "conflicts".into(), "duplicates".into()] {
        let n = |l: &[String]| l.iter().filter(|o| **o == object).count();
        assert_eq!(n(&after), n(&before) + 1, "{object}: {after:?}");
    }
    let conn = rusqlite::Connection::open(dir.path().join("central.db")).unwrap();
    let code: Option<String> =
        conn.query_row("SELECT closing_code FROM incidents WHERE id = ?1", [inc], |r| r.get(0)).unwrap();
    assert_eq!(code.as_deref(), Some("CRIME"));
    rt.block_on(running.stop());
}

/// A clash over an NFA-DUP closing code shows the reason that goes with it: taking the
/// service's side adopts its reason, so the officer sees it first (it showed the code alone).
#[test]
fn a_conflict_over_nfa_dup_shows_its_reason() {
    let TwoDevices { dir: _dir, rt, running, a, b } = two_devices();
    let inc = "demo-incident-2";
    let why = "Attended, flat empty, caller not traced";
    ok(cli(&a).args(["incident", "code", "--id", inc, "--code", "NFA-DUP", "--no-incident-found", why]));
    ok(cli(&a).args(["sync"]));
    ok(cli(&b).args(["incident", "code", "--id", inc, "--code", "ADVICE"]));
    ok(cli(&b).args(["sync"]));
    let list = conflicts(&b);
    assert_eq!(list.len(), 1, "{list:?}");
    let f = &list[0]["fields"][0];
    assert_eq!((f["mine"].as_str(), f["theirs"].as_str()), (Some("ADVICE"), Some("NFA-DUP")), "{f}");
    assert_eq!(f["theirs_note"], format!("No incident found: {why}"), "{f}");
    assert!(f.get("mine_note").is_none(), "{f}");
    let text = ok(cli(&b).args(["conflicts", "list"]));
    assert!(text.contains(&format!("theirs: No incident found: {why}")), "{text}");
    rt.block_on(running.stop());
}

/// `incident code --code NFA-DUP` needs its reason: refused without one (nothing queued), or
/// with a domestic-abuse incident as a duplicate of one that is not; taken with
/// `--duplicate-of` (id or reference) or `--no-incident-found "TEXT"`.
#[test]
fn nfa_dup_from_the_cli_needs_its_reason() {
    use bluelamp_store::casework::{now_unix, NewIncident};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    ok(cli(&db).args(["init", "--officer", "PC1", "--insecure-fast-kdf"]));
    let new = |reference: &str, kind: &str| NewIncident {
        id: Some(format!("id-{reference}")),
        reference: reference.into(),
        incident_type: kind.into(),
        offence_category: None,
        place: None,
        postcode: None,
        team: None,
        occurred_at: now_unix() - 3600,
        recorded_at: now_unix() - 3000,
        assigned_to: Some("PC1".into()),
        closing_code: None,
        links: Vec::new(),
    };
    {
        let mut store = bluelamp_store::Store::open(&db, PASS).unwrap();
        store
            .import_incidents(&[
                new("INC-DA-1", "domestic_abuse"),
                new("INC-DA-2", "domestic_abuse"),
                new("INC-T", "theft"),
            ])
            .unwrap();
    }
    let queued = || {
        let store = bluelamp_store::Store::open(&db, PASS).unwrap();
        store.conn().query_row("SELECT count(*) FROM outbox", [], |r| r.get::<_, i64>(0)).unwrap()
    };
    let code = |extra: &[&str]| {
        let mut c = cli(&db);
        c.args(["incident", "code", "--id", "id-INC-DA-2", "--code", "NFA-DUP"]).args(extra);
        c
    };
    assert!(fails(&mut code(&[])).contains("NFA-DUP needs its reason"));
    assert!(fails(&mut code(&["--no-incident-found", "..."])).contains("in words"));
    assert!(fails(&mut code(&["--duplicate-of", "INC-T"])).contains("domestic-abuse"));
    assert!(fails(&mut code(&["--duplicate-of", "INC-NONE"])).contains("not on this device"));
    assert!(!fails(&mut code(&["--duplicate-of", "INC-DA-1", "--no-incident-found", "x"])).is_empty());
    assert_eq!(queued(), 0, "a refusal queues nothing");
    ok(&mut code(&["--duplicate-of", "INC-DA-1"]));
    let shown: Value = serde_json::from_str(&ok(cli(&db).args(["incident", "show", "--id", "id-INC-DA-2"]))).unwrap();
    assert_eq!(shown["nfa_dup_shown"], "Closed as a duplicate of INC-DA-1", "{shown}");
    assert_eq!(shown["nfa_dup_reason"]["duplicate_of"], "id-INC-DA-1", "{shown}");
    ok(cli(&db).args(["incident", "code", "--id", "id-INC-T", "--code", "NFA-DUP", "--no-incident-found", "No trace"]));
    assert_eq!(queued(), 2);
}
