//! The API doc lists exactly the router's routes; the admin command line works end to end.

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

use bluelamp_central::ROUTES;
use serde_json::Value;

#[test]
fn api_doc_lists_exactly_the_routes() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md");
    let doc = std::fs::read_to_string(path).expect("docs/api.md");
    let documented: BTreeSet<(String, String)> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("### "))
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let (m, p) = (it.next()?, it.next()?);
            matches!(m, "GET" | "POST" | "PUT" | "PATCH" | "DELETE").then(|| (m.to_string(), p.to_string()))
        })
        .collect();
    let routed: BTreeSet<(String, String)> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(documented, routed, "docs/api.md and ROUTES differ");
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bluelamp-central"))
}

fn run(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let out = bin().args(args).envs(env.iter().copied()).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn admin_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();

    let (ok, _, err) = run(
        &["--db", db, "officer", "add", "--id", "pc-7", "--role", "officer", "--district", "north"],
        &[("BLUELAMP_PASSPHRASE", "a long passphrase")],
    );
    assert!(ok, "{err}");
    // Again: refused.
    let (ok, _, _) = run(
        &["--db", db, "officer", "add", "--id", "pc-7", "--role", "officer", "--district", "north"],
        &[("BLUELAMP_PASSPHRASE", "a long passphrase")],
    );
    assert!(!ok);
    // Passphrase on stdin; a bad role is refused.
    let mut child = bin()
        .args(["--db", db, "officer", "add", "--id", "sgt-1", "--role", "supervisor", "--district", "north"])
        .env_remove("BLUELAMP_PASSPHRASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"another passphrase\n").unwrap();
    assert!(child.wait().unwrap().success());
    let (ok, _, _) = run(
        &["--db", db, "officer", "add", "--id", "x", "--role", "chief", "--district", "north"],
        &[("BLUELAMP_PASSPHRASE", "a long passphrase")],
    );
    assert!(!ok);
    // A role change: known officer and role only.
    let (ok, _, err) = run(&["--db", db, "officer", "set-role", "--id", "pc-7", "--role", "supervisor"], &[]);
    assert!(ok && err.contains("now supervisor"), "{err}");
    let role: String = rusqlite::Connection::open(db)
        .unwrap()
        .query_row("SELECT role FROM officers WHERE id = 'pc-7'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(role, "supervisor");
    let (ok, _, err) = run(&["--db", db, "officer", "set-role", "--id", "pc-7", "--role", "chief"], &[]);
    assert!(!ok && err.contains("unknown role"), "{err}");
    let (ok, _, err) = run(&["--db", db, "officer", "set-role", "--id", "nobody", "--role", "officer"], &[]);
    assert!(!ok && err.contains("no officer"), "{err}");

    let csv = dir.path().join("n.csv");
    std::fs::write(
        &csv,
        "id,given_name,surname,date_of_birth,district\nA1,Ann,Lee,1980-01-02,\nA2,Bo,Ray,,south\n,,,,\n",
    )
    .unwrap();
    let (ok, out, err) =
        run(&["--db", db, "import", "nominals", "--csv", csv.to_str().unwrap(), "--district", "north"], &[]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!((v["inserted"].as_u64(), v["rejected"].as_u64()), (Some(2), Some(1)));
    assert!(err.contains("row 4"));

    // An order for a client id that never signed in is refused, not queued for nobody.
    for id in ["c-1", "", "  "] {
        let (ok, _, err) = run(&["--db", db, "instruct", "--client", id, "wipe"], &[]);
        assert!(!ok && err.contains("no device with client id") && err.contains("clients"), "{id:?}: {err}");
    }
    let queued = |db: &str| -> i64 {
        rusqlite::Connection::open(db)
            .unwrap()
            .query_row("SELECT count(*) FROM instructions", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(queued(db), 0);
    let (ok, out, err) = run(&["--db", db, "clients", "--json"], &[]);
    assert!(ok && out.trim() == "[]", "{out} {err}");
    // A device that signed in (as the service records it at login) is listed and can be told.
    rusqlite::Connection::open(db)
        .unwrap()
        .execute(
            "INSERT INTO clients (client_id, officer_id, device, first_seen, last_seen)
             VALUES ('c-1', 'pc-7', 'laptop-9', 1765000000, 1765100000)",
            [],
        )
        .unwrap();
    let (ok, out, err) = run(&["--db", db, "clients", "--json"], &[]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        v,
        serde_json::json!([{"client_id": "c-1", "officer_id": "pc-7", "device": "laptop-9",
            "first_seen": "2025-12-06T05:46:40Z", "last_seen": "2025-12-07T09:33:20Z"}])
    );
    let (ok, out, _) = run(&["--db", db, "clients"], &[]);
    assert!(ok && out.contains("c-1\tpc-7\tlaptop-9"), "{out}");
    let (ok, _, err) = run(&["--db", db, "instruct", "--client", "c-1", "wipe"], &[]);
    assert!(ok, "{err}");
    assert_eq!(queued(db), 1);
    // A device name stored before sign-in checked it (review, 7 Dec 2026: a newline, a tab and
    // an ANSI escape forged a row and repainted IT's terminal) is printed escaped, one row.
    rusqlite::Connection::open(db)
        .unwrap()
        .execute(
            "INSERT INTO clients (client_id, officer_id, device, first_seen, last_seen)
             VALUES ('c-2', 'pc-7', ?1, 1765000000, 1765000000)",
            ["x\nc-9\tsgt-1\tstolen\u{1b}[2J\u{202e}kcatta\\u{a}"],
        )
        .unwrap();
    let (ok, out, err) = run(&["--db", db, "clients"], &[]);
    assert!(ok, "{err}");
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(!out.contains('\u{1b}') && !out.contains('\u{202e}'), "{out:?}");
    assert!(out.contains("c-2\tpc-7\tx\\u{a}c-9\\u{9}sgt-1\\u{9}stolen\\u{1b}[2J\\u{202e}kcatta\\\\u{a}\t"), "{out}");

    // A reader that closes the pipe (`clients | head -1`) ends the output quietly; it panicked
    // with "failed printing to stdout" (review, 7 Dec 2026).
    for args in [&["--db", db, "clients"][..], &["--db", db, "stats"][..]] {
        let mut child =
            bin().args(args).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && !err.contains("panicked"), "{args:?}: {:?} {err}", out.status);
    }

    let (ok, out, err) = run(&["--db", db, "stats", "--json"], &[]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["officers"], 2);
    assert_eq!(v["nominals"], 2);
    assert_eq!(v["forms"], 0);
    assert_eq!(v["duplicate_applications"], 0);
}
