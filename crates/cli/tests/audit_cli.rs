//! The access log through the CLI: disclosures (data written out to a file or another
//! program) and the clock check of `audit verify`.

use std::path::Path;
use std::process::{Command, Output};

use bluelamp_store::audit::{entry_hash, EntryFields};
use bluelamp_store::Store;
use serde_json::Value;

fn cli(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bluelamp-cli"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("BLUELAMP_PASSPHRASE", "pw")
        .output()
        .unwrap()
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn new_store(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("s.db");
    ok(cli(&db, &["init", "--officer", "PC1", "--insecure-fast-kdf"]));
    db
}

/// Appends an entry with a valid link and hash but timed `modifier` from the last entry's
/// time (a device whose clock was set back between the two).
fn append_timed(db: &Path, modifier: &str) -> i64 {
    let s = Store::open(db, "pw").unwrap();
    let actor = s.actor().unwrap();
    let (seq, prev, ts): (i64, String, String) = s
        .conn()
        .query_row(
            "SELECT seq, entry_hash, strftime('%Y-%m-%dT%H:%M:%fZ', ts, ?1) FROM audit ORDER BY seq DESC LIMIT 1",
            [modifier],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let id = format!("01890000-0000-7000-8000-{:012}", seq + 1);
    let fields = EntryFields {
        id: &id,
        ts: &ts,
        officer_id: &actor.officer_id,
        device_id: &actor.device_id,
        action: "consultation",
        object_ref: "incidents",
        purpose: None,
        outcome: "success",
        detail: "{}",
    };
    let hash = entry_hash(&prev, &fields).unwrap();
    s.conn()
        .execute(
            "INSERT INTO audit (seq, id, ts, officer_id, device_id, action, object_ref, purpose, outcome, detail,
                                prev_hash, entry_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, 'consultation', 'incidents', NULL, 'success', '{}', ?6, ?7)",
            rusqlite::params![seq + 1, id, ts, actor.officer_id, actor.device_id, prev, hash],
        )
        .unwrap();
    seq + 1
}

/// `audit verify` on a log whose entries go back in time by more than five minutes: still OK
/// (exit 0, the chain is whole), with a WARNING line naming the entry for IT; --json carries
/// the warnings too.
#[test]
fn audit_verify_warns_of_a_clock_set_back_without_calling_it_a_break() {
    let dir = tempfile::tempdir().unwrap();
    let db = new_store(dir.path());
    ok(cli(&db, &["incident", "list"]));
    let back = append_timed(&db, "-3 hours");
    let out = ok(cli(&db, &["audit", "verify"]));
    let mut lines = out.lines();
    assert!(lines.next().unwrap().starts_with("OK: "), "{out}");
    let warning = lines.next().unwrap_or_else(|| panic!("no warning:\n{out}"));
    assert!(warning.starts_with(&format!("WARNING at entry #{back}: entry #{back} is timed ")), "{warning}");
    assert!(warning.contains("3 h 0 min before entry #") && warning.contains("clock"), "{warning}");
    assert_eq!(lines.next(), None, "{out}");
    let report: Value = serde_json::from_str(&ok(cli(&db, &["audit", "verify", "--json"]))).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["warnings"][0]["seq"], back, "{report}");
}
