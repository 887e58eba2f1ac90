//! The CLI contract, run against the real binary.

use std::process::{Command, Output};

fn cli(db: &std::path::Path, pass: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bluelamp-cli"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("BLUELAMP_PASSPHRASE", pass)
        .output()
        .unwrap()
}

#[test]
fn init_import_search_json_and_wrong_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let out = cli(&db, "pw", &["init", "--officer", "PC1", "--insecure-fast-kdf"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let csv = dir.path().join("n.csv");
    std::fs::write(
        &csv,
        "id,given_name,surname,date_of_birth,sex,aliases,extra\n\
         N1,William,Smith,1984-03-12,M,Bill Smith;Will Smyth,x\n\
         N2,Siobhán,O'Sullivan,19900101,F,,\n\
         ,No,Id,1990-01-01,,,\n\
         N3,Bad,Date,1984-02-30,,,\n\
         N4,Mary,Smithson,,F,,\n",
    )
    .unwrap();
    let out = cli(&db, "pw", &["import", "nominals", "--csv", csv.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "imported 3 rejected 2");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("row 4: rejected: id is empty"), "{err}");
    assert!(err.contains("row 5: rejected"), "{err}");

    // The import is in the access log as a collection, with its counts.
    let out = cli(&db, "pw", &["audit", "list", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let import = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["object_ref"] == "import:nominals")
        .expect("an access-log entry for the import");
    assert_eq!(import["action"], "collection");
    assert_eq!(import["detail"]["imported"], 3);
    assert_eq!(import["detail"]["rejected"], 2);
    assert_eq!(import["detail"]["stage"], "finished");
    // Its start is logged before the first batch commits (a large file commits in batches).
    let stages: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["object_ref"] == "import:nominals")
        .filter_map(|e| e["detail"]["stage"].as_str())
        .collect();
    assert_eq!(stages, ["finished", "started"], "newest first");

    // An import that fails is in the log too, as a failure with its reason.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "id,given_name,date_of_birth\nN9,Ann,\n").unwrap();
    let out = cli(&db, "pw", &["import", "nominals", "--csv", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let out = cli(&db, "pw", &["audit", "list", "--json", "--object", "import:nominals"]);
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let last = &log[0];
    assert_eq!(last["outcome"], "failure", "{log}");
    assert_eq!(last["detail"]["stage"], "failed", "{log}");
    assert!(last["detail"]["error"].as_str().is_some_and(|e| e.contains("surname")), "{log}");

    let out = cli(&db, "pw", &["search", "--name", "smith", "--json"]);
    assert!(out.status.success());
    let hits: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = hits.as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["N1", "N4"]);
    let h = &hits[0];
    for field in ["id", "source", "given_name", "surname", "date_of_birth", "score", "reasons"] {
        assert!(h.get(field).is_some(), "missing {field}");
    }
    assert_eq!(h["source"], "current");
    assert_eq!(h["date_of_birth"], "1984-03-12");

    // The human-readable form adds the screen's advice when more people may match than shown.
    let out = cli(&db, "pw", &["search", "--name", "smith", "--limit", "1"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1 result(s)") && err.contains("Showing the best match; more people may match"), "{err}");
    let out = cli(&db, "pw", &["search", "--name", "smith", "--dob", "1984-03-12"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("more people may match"), "a full DOB: no advice");

    // A surname typed with its particle apart, and an age range as the search screen takes it.
    let first_id = |out: &Output| -> String {
        let hits: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        hits[0]["id"].as_str().unwrap_or_default().to_string()
    };
    let out = cli(&db, "pw", &["search", "--name", "O Sullivan", "--json"]);
    assert_eq!(first_id(&out), "N2", "{}", String::from_utf8_lossy(&out.stderr));
    // N1 was born on 12 March 1984: this range holds their age whatever today's date.
    let year = time::OffsetDateTime::now_utc().year();
    let range = format!("{}–{}", year - 1985, year - 1984);
    let out = cli(&db, "pw", &["search", "--name", "smith", "--age", &range, "--json"]);
    assert!(out.status.success(), "an en dash: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(first_id(&out), "N1");
    let reasons = |out: &Output| -> String {
        let hits: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        hits[0]["reasons"].to_string()
    };
    assert!(reasons(&out).contains("\"DOB in range\""), "{}", reasons(&out));
    // An age range N1 is not in is read too (N4 has no DOB and is not excluded).
    let out = cli(&db, "pw", &["search", "--name", "smith", "--age", "1-5", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        reasons(&out).contains("outside range") || first_id(&out) == "N4",
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = cli(&db, "pw", &["search", "--name", "smith", "--dob", "12/03/1984", "--json"]);
    assert_eq!(first_id(&out), "N1", "a British day-first date: {}", String::from_utf8_lossy(&out.stderr));
    // Read as 12 March (day first), not 3 December, which would score "day/month swapped".
    assert!(reasons(&out).contains("\"DOB exact\""), "{}", reasons(&out));
    let out = cli(&db, "pw", &["search", "--name", "smith", "--dob", "31/02/1984", "--json"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("'31/02/1984' is not a real date"));
    let out = cli(&db, "pw", &["search", "--name", "smith", "--age", "30-200", "--json"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Ages must be 130 or under"));
    // A number too large for its type gets the command's own range message, not clap's.
    let out = cli(&db, "pw", &["search", "--name", "smith", "--limit", "99999999999999", "--json"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("The limit must be between 1 and 500"));
    let out = cli(&db, "pw", &["search", "--name", "smith", "--dob-year", "99999999999", "--json"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("year of birth must be between 1850 and 2100"));
    let out = cli(&db, "pw", &["search", "--name", "smith", "--limit", "ten", "--json"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected a whole number"));
    let out = cli(&db, "pw", &["search", "--name", "smith", "--limit", "-1", "--json"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected a whole number"));
    let out = cli(&db, "pw", &["search", "--name", "smith", "--age", "-5", "--json"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--age -5"), "{}", String::from_utf8_lossy(&out.stderr));
    // Sex as import takes it.
    let out = cli(&db, "pw", &["search", "--name", "smith", "--sex", "female", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // An initial alone, and text in another script, get a message.
    let out = cli(&db, "pw", &["search", "--name", "a", "--json"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("two letters"));
    // With a full date of birth, initials search by the date.
    let out = cli(&db, "pw", &["search", "--name", "W S", "--dob", "1984-03-12", "--json"]);
    assert_eq!(first_id(&out), "N1", "{}", String::from_utf8_lossy(&out.stderr));
    let out = cli(&db, "pw", &["search", "--name", "محمد علي", "--json"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Names are recorded in Latin letters"));
    // A date in the future: the store's own sentence, without a prefix.
    let out = cli(&db, "pw", &["search", "--name", "smith", "--dob", "2099-01-01", "--json"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("error: The date of birth"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = cli(&db, "wrong", &["search", "--name", "smith", "--json"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong passphrase"));
}

#[test]
fn passphrase_from_stdin_and_legacy_source() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_bluelamp-cli"))
        .args(["--db", db.to_str().unwrap(), "init", "--officer", "PC2", "--insecure-fast-kdf"])
        .env_remove("BLUELAMP_PASSPHRASE")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"from-stdin\n").unwrap();
    assert!(child.wait().unwrap().success());
    let csv = dir.path().join("n.csv");
    std::fs::write(&csv, "id,given_name,surname,date_of_birth\nL1,Peggy,Legacy,\n").unwrap();
    let out = cli(&db, "from-stdin", &["import", "nominals", "--csv", csv.to_str().unwrap(), "--source", "legacy"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = cli(&db, "from-stdin", &["search", "--name", "legacy", "--json"]);
    let hits: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(hits[0]["source"], "legacy");
    assert_eq!(hits[0]["date_of_birth"], serde_json::Value::Null);
}

#[test]
fn missing_header_columns_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    assert!(cli(&db, "pw", &["init", "--officer", "PC1", "--insecure-fast-kdf"]).status.success());
    let csv = dir.path().join("n.csv");
    std::fs::write(&csv, "name,dob\nx,y\n").unwrap();
    let out = cli(&db, "pw", &["import", "nominals", "--csv", csv.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("must contain id,given_name,surname,date_of_birth"));
}

#[test]
fn passwd_rewraps_and_the_old_passphrase_stops_working() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    assert!(cli(&db, "old-pass", &["init", "--officer", "PC1", "--insecure-fast-kdf"]).status.success());
    let out = Command::new(env!("CARGO_BIN_EXE_bluelamp-cli"))
        .args(["--db", db.to_str().unwrap(), "passwd", "--insecure-fast-kdf"])
        .env("BLUELAMP_PASSPHRASE", "wrong")
        .env("BLUELAMP_NEW_PASSPHRASE", "new-pass")
        .output()
        .unwrap();
    assert!(!out.status.success());
    // Counted like a wrong unlock (five by default), so passwd is no way to guess without limit.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("wrong passphrase") && err.contains("4 left before the store locks"), "{err}");
    // Where the force's policy wipes the store instead, the message says so.
    let out = Command::new(env!("CARGO_BIN_EXE_bluelamp-cli"))
        .args(["--db", db.to_str().unwrap(), "search", "--name", "xy", "--json"])
        .env("BLUELAMP_PASSPHRASE", "wrong")
        .env("BLUELAMP_ON_TOO_MANY_FAILURES", "wipe")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("3 left before the store is WIPED"), "{err}");
    let out = Command::new(env!("CARGO_BIN_EXE_bluelamp-cli"))
        .args(["--db", db.to_str().unwrap(), "passwd", "--insecure-fast-kdf"])
        .env("BLUELAMP_PASSPHRASE", "old-pass")
        .env("BLUELAMP_NEW_PASSPHRASE", "new-pass")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!cli(&db, "old-pass", &["search", "--name", "xy", "--json"]).status.success());
    assert!(cli(&db, "new-pass", &["search", "--name", "xy", "--json"]).status.success());
}

#[test]
fn reindex_rebuilds_stale_search_keys_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    assert!(cli(&db, "pw", &["init", "--officer", "PC1", "--insecure-fast-kdf"]).status.success());
    let csv = dir.path().join("n.csv");
    std::fs::write(&csv, "id,given_name,surname,date_of_birth\nN1,Zebedee,Quartermaine,1950-01-01\n").unwrap();
    assert!(cli(&db, "pw", &["import", "nominals", "--csv", csv.to_str().unwrap()]).status.success());
    let out = cli(&db, "pw", &["reindex"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "search keys already current");

    // As after an update that changed the key format: the version row no longer matches.
    {
        let store = bluelamp_store::Store::open(&db, "pw").unwrap();
        store
            .conn()
            .execute_batch("DELETE FROM name_keys; UPDATE meta SET value = '0' WHERE key = 'name_keys_version';")
            .unwrap();
    }
    let out = cli(&db, "pw", &["reindex"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with("search keys rebuilt in "), "{said}");
    let out = cli(&db, "pw", &["search", "--name", "Zebedee Quartermaine", "--json"]);
    let hits: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(hits[0]["id"], "N1");
    assert_eq!(String::from_utf8_lossy(&cli(&db, "pw", &["reindex"]).stdout).trim(), "search keys already current");

    // `--all` repairs keys that are wrong although their version is current.
    {
        let store = bluelamp_store::Store::open(&db, "pw").unwrap();
        store.conn().execute_batch("DELETE FROM name_keys;").unwrap();
    }
    let out = cli(&db, "pw", &["search", "--name", "Zebedee Quartermaine", "--json"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[]", "no keys, no hits");
    let out = cli(&db, "pw", &["reindex", "--all"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("search keys rebuilt in "));
    let out = cli(&db, "pw", &["search", "--name", "Zebedee Quartermaine", "--json"]);
    let hits: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(hits[0]["id"], "N1");
}

/// The CLI keeps the lock screen's count: wrong passphrases lock the store, after which even
/// the right one is refused until the officer signs in online.
#[test]
fn wrong_passphrases_lock_the_store_for_the_cli_too() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    assert!(cli(&db, "pw", &["init", "--officer", "PC1", "--insecure-fast-kdf"]).status.success());
    let err = |out: &Output| String::from_utf8_lossy(&out.stderr).into_owned();
    let out = cli(&db, "nope", &["audit", "verify"]);
    assert!(err(&out).contains("wrong passphrase") && err(&out).contains("4 left"), "{}", err(&out));
    assert!(cli(&db, "pw", &["audit", "verify"]).status.success(), "a success resets the count");
    for _ in 0..5 {
        assert!(!cli(&db, "nope", &["audit", "verify"]).status.success());
    }
    let out = cli(&db, "pw", &["audit", "verify"]);
    assert!(!out.status.success());
    assert!(err(&out).contains("locked until you sign in online"), "{}", err(&out));
    // Signing in again needs the service: out of reach, the right and a wrong passphrase get
    // the same answer, and no guess is counted.
    let enrol = |pass: &str| {
        let out = cli(&db, pass, &["enrol", "--server", "http://127.0.0.1:9", "--officer", "PC1"]);
        assert!(!out.status.success());
        err(&out)
    };
    let (right, wrong) = (enrol("pw"), enrol("nope"));
    assert!(right.contains("reach the central service"), "{right}");
    assert_eq!(right, wrong);
    let attempts: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("s.db.attempts")).unwrap()).unwrap();
    assert_eq!(attempts["locked_failures"].as_u64().unwrap_or(0), 0);
}

#[test]
fn a_passphrase_on_standard_input_leaves_the_rest_of_it_to_the_command() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let out = cli(&db, "pw", &["init", "--officer", "PC1", "--insecure-fast-kdf"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The passphrase, then the CSV, both on standard input (`--csv /dev/stdin`): the buffered
    // read of the passphrase used to take the CSV with it ("missing column").
    let mut child = Command::new(env!("CARGO_BIN_EXE_bluelamp-cli"))
        .args(["--db", db.to_str().unwrap(), "import", "nominals", "--csv", "/dev/stdin"])
        .env_remove("BLUELAMP_PASSPHRASE")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"pw\nid,given_name,surname,date_of_birth\nS1,Peggy,Piped,1980-01-01\nS2,Ann,Piped,\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "imported 2 rejected 0");
}

#[test]
fn each_opening_of_the_store_by_the_cli_is_in_the_access_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let out = cli(&db, "pw", &["init", "--officer", "PC1", "--insecure-fast-kdf"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = cli(&db, "pw", &["search", "--name", "smith", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Checking the chain adds nothing to it.
    let out = cli(&db, "pw", &["audit", "verify"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Every opening of the store by the CLI is in the access log, as the app's unlock is: the
    // search above, and this listing (not the check).
    let out = cli(&db, "pw", &["audit", "list", "--json", "--action", "unlock"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let unlocks: Vec<&serde_json::Value> = log.as_array().unwrap().iter().collect();
    assert_eq!(unlocks.len(), 2, "{log}");
    for u in unlocks {
        assert_eq!(u["officer_id"], "PC1", "{u}");
        assert_eq!(u["detail"]["via"], "bluelamp-cli", "{u}");
    }
}

/// Fewer hits than `--limit` need not be everyone: a very common surname is read in part, and
/// the CLI says so on stderr (in --json mode too, whose stdout keeps its shape). A DOB that
/// narrows the name to people all read, or a rare name, says nothing.
#[test]
fn a_search_cut_short_says_more_people_may_match() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    assert!(cli(&db, "pw", &["init", "--officer", "PC1", "--insecure-fast-kdf"]).status.success());
    let csv = dir.path().join("n.csv");
    let mut rows = String::from("id,given_name,surname,date_of_birth\n");
    let givens = ["Adam", "Beth", "Carl", "Dora", "Ed", "Faye"];
    for i in 0..700 {
        rows.push_str(&format!("B{i},{},Bentley,{}-02-03\n", givens[i % 6], 1940 + i % 70));
    }
    rows.push_str("T1,Harry,Bentlands,1990-05-05\n");
    std::fs::write(&csv, rows).unwrap();
    assert!(cli(&db, "pw", &["import", "nominals", "--csv", csv.to_str().unwrap()]).status.success());
    let note = "More people may match than this search read";
    let out = cli(&db, "pw", &["search", "--surname", "Bentley", "--limit", "500", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let hits: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(hits.as_array().unwrap().len() < 500);
    assert!(String::from_utf8_lossy(&out.stderr).contains(note), "{}", String::from_utf8_lossy(&out.stderr));
    let out = cli(&db, "pw", &["search", "--surname", "Bentley", "--limit", "500"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains(note), "{}", String::from_utf8_lossy(&out.stderr));
    for args in [
        &["search", "--surname", "Bentley", "--dob-year", "1950", "--limit", "500", "--json"][..],
        &["search", "--given", "Harry", "--surname", "Bentlands", "--json"][..],
    ] {
        let out = cli(&db, "pw", args);
        assert!(out.status.success());
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains(note),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
