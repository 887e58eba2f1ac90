//! The CLI checks the role a store holds as the app's backend does: an admin's store does no
//! records work, and only the roles with the app's Access log tab list the log. A store made
//! with `init` (no role: scripts and benchmarks) is refused nothing.

use std::path::Path;
use std::process::{Command, Stdio};

use bluelamp_protocol::session::Role;
use bluelamp_store::Store;

const PASS: &str = "bluelamp-demo";

fn cli(db: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bluelamp-cli"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("BLUELAMP_PASSPHRASE", PASS)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn store_with(dir: &Path, role: Option<Role>) -> std::path::PathBuf {
    let db = dir.join(format!("{}.db", role.map_or("none", Role::as_str)));
    let (ok, err) = cli(&db, &["init", "--officer", "PC1", "--insecure-fast-kdf"]);
    assert!(ok, "{err}");
    if let Some(role) = role {
        Store::open(&db, PASS).unwrap().set_role(role).unwrap();
    }
    db
}

#[test]
fn the_cli_refuses_what_the_stores_role_may_not_do_in_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let search = ["search", "--name", "smith", "--json"];
    let audit = ["audit", "list", "--json"];
    for (role, may_search, may_read_log) in [
        (None, true, true),
        (Some(Role::Officer), true, false),
        (Some(Role::Supervisor), true, true),
        (Some(Role::Superuser), true, true),
        (Some(Role::Admin), false, true),
    ] {
        let db = store_with(dir.path(), role);
        let (ok, err) = cli(&db, &search);
        assert_eq!(ok, may_search, "{role:?} search: {err}");
        if !ok {
            assert!(err.contains("admin role") && err.contains("records work"), "{err}");
        }
        let (ok, err) = cli(&db, &audit);
        assert_eq!(ok, may_read_log, "{role:?} audit list: {err}");
        if !ok {
            assert!(err.contains("officer role") && err.contains("may not read the access log"), "{err}");
        }
        // What any role may do: check the log's chain, see the store's state, rebuild keys.
        for allowed in [&["audit", "verify"][..], &["status", "--unlock"], &["reindex"]] {
            let (ok, err) = cli(&db, allowed);
            assert!(ok, "{role:?} {allowed:?}: {err}");
        }
        // The victims commands are records work too.
        let (ok, err) = cli(&db, &["victims", "decisions", "--incident", "none"]);
        if role == Some(Role::Admin) {
            assert!(!ok && err.contains("records work"), "{err}");
        } else {
            assert!(!err.contains("role"), "{role:?}: {err}");
        }
    }
}
