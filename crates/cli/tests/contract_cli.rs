//! The script-facing contract under awkward conditions, run against the real binary: output
//! that cannot be written, valid-but-unusual CSV, the generated file imported as is, the batch
//! line format, conflicting flags, empty input.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const PASS: &str = "pw";

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bluelamp-cli"));
    c.env("BLUELAMP_PASSPHRASE", PASS);
    c
}

fn cli(db: &Path, args: &[&str]) -> Output {
    bin().arg("--db").arg(db).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(out: Output) -> Output {
    assert!(out.status.success(), "exit {:?}: {}", out.status.code(), text(&out.stderr));
    out
}

/// A fresh store in a temporary directory.
fn store() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    ok(cli(&db, &["init", "--officer", "PC1", "--insecure-fast-kdf"]));
    (dir, db)
}

/// A store holding `n` generated people (seed 7), and the generated file.
fn generated(n: usize) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let (dir, db) = store();
    let csv = dir.path().join("people.csv");
    ok(bin()
        .args(["demo", "generate", "--nominals", &n.to_string(), "--seed", "7", "--out"])
        .arg(&csv)
        .output()
        .unwrap());
    ok(cli(&db, &["import", "nominals", "--csv", csv.to_str().unwrap()]));
    (dir, db, csv)
}

fn no_panic(out: &Output) {
    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(out.status.code(), Some(101), "{err}");
}

/// `search … | head -c 10`: the reader goes away after 10 bytes, well before the JSON (more
/// than a pipe buffer) is all written; for the table (which may fit in the pipe buffer), the
/// reader goes away before the store is even open. The search ends quietly with exit 0.
#[test]
fn a_closed_stdout_pipe_ends_the_output_quietly() {
    let (_dir, db, _) = generated(2000);
    for json in [true, false] {
        let mut args = vec!["--db", db.to_str().unwrap(), "search", "--surname", "S*", "--limit", "500"];
        if json {
            args.push("--json");
        }
        let mut child = bin().args(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let mut reader = child.stdout.take().unwrap();
        if json {
            let mut first = [0u8; 10];
            reader.read_exact(&mut first).unwrap();
            assert_eq!(&first[..2], b"[{");
        }
        drop(reader); // the pipe's only reader: the child's next write fails with EPIPE
        let out = child.wait_with_output().unwrap();
        no_panic(&out);
        assert_eq!(out.status.code(), Some(0), "json {json}: {}", text(&out.stderr));
        assert!(!text(&out.stderr).contains("error"), "json {json}: {}", text(&out.stderr));
    }
}

/// A standard output that fails for another reason (a full disk) is an error: a clear message
/// and exit code 1, not a panic.
#[cfg(target_os = "linux")]
#[test]
fn a_failing_stdout_is_a_clear_error() {
    let (dir, db, csv) = generated(50);
    let full = || std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let outputs = [
        bin().arg("--db").arg(&db).args(["import", "nominals", "--csv"]).arg(&csv).stdout(full()).output().unwrap(),
        bin().arg("--db").arg(&db).args(["search", "--surname", "S*", "--json"]).stdout(full()).output().unwrap(),
        bin().arg("--db").arg(&db).args(["reindex"]).stdout(full()).output().unwrap(),
    ];
    for out in outputs {
        no_panic(&out);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("cannot write to standard output"), "{}", text(&out.stderr));
    }
    drop(dir);
}

/// A `search-batch --out` file that cannot be written (a full disk: `/dev/full`) is named, and
/// said to be incomplete (it said only "No space left on device"); exit code 1, no panic.
#[cfg(target_os = "linux")]
#[test]
fn a_search_batch_output_on_a_full_disk_names_the_file_and_says_it_is_incomplete() {
    let (dir, db, _) = generated(50);
    let q = dir.path().join("q.csv");
    std::fs::write(&q, "qid,given_name,surname,date_of_birth\nq1,John,Smith,\n").unwrap();
    let out = cli(&db, &["search-batch", "--queries", q.to_str().unwrap(), "--out", "/dev/full"]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("cannot write /dev/full") && err.contains("incomplete"), "{err}");
    drop(dir);
}

/// Valid CSV may carry a line break or tab inside a quoted address or postcode: flattened to
/// one space. Other control characters, and any in a name, still reject the row; so do bidi
/// controls in a name.
#[test]
fn line_breaks_in_quoted_addresses_are_flattened_and_bidi_names_refused() {
    let (dir, db) = store();
    let csv = dir.path().join("n.csv");
    std::fs::write(
        &csv,
        "id,given_name,surname,date_of_birth,address,postcode\n\
         A1,Annabel,Whitcombe,1980-01-02,\"Flat 2, \r\n\t12 High Street\nTonbridge\",\"TN9\t1AA\"\n\
         A2,Bertram,Whitcombe,,\"12 High\u{7}Street\",\n\
         A3,\"Cyr\nil\",Whitcombe,,,\n\
         A4,Dora,Whit\u{202E}ebmoc,,,\n\
         A5,Edwin\u{2066},Whitcombe,,,\n",
    )
    .unwrap();
    let out = ok(cli(&db, &["import", "nominals", "--csv", csv.to_str().unwrap()]));
    assert_eq!(text(&out.stdout).trim(), "imported 1 rejected 4", "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("row 3: rejected: address contains control characters"), "{err}");
    assert!(err.contains("row 4: rejected: given_name contains control characters"), "{err}");
    assert!(err.contains("row 5: rejected: surname contains a bidirectional control character"), "{err}");
    assert!(err.contains("row 6: rejected: given_name contains a bidirectional control character"), "{err}");

    let out = ok(cli(&db, &["search", "--surname", "Whitcombe", "--json"]));
    let hits: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(hits[0]["id"], "A1");
    assert_eq!(hits[0]["address"], "Flat 2, 12 High Street Tonbridge");
    assert_eq!(hits[0]["postcode"], "TN9 1AA");
}

/// `demo generate` then `import nominals` (no `--source`), as a script following the contract
/// does: one file, and the legacy share arrives marked legacy.
#[test]
fn the_generated_file_imports_with_its_legacy_share() {
    let (dir, db, csv) = generated(200);
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!files.iter().any(|f| f.to_string_lossy().ends_with(".legacy.csv")), "no side file any more: {files:?}");
    let mut rdr = csv::Reader::from_path(&csv).unwrap();
    let c_source = rdr.headers().unwrap().iter().position(|h| h == "source").expect("a source column");
    let in_file = rdr.records().filter(|r| &r.as_ref().unwrap()[c_source] == "legacy").count();
    assert!(in_file > 0 && in_file < 200, "{in_file}");

    let legacy_in_store = || -> i64 {
        let store = bluelamp_store::Store::open(&db, PASS).unwrap();
        store.conn().query_row("SELECT count(*) FROM nominals WHERE source = 'legacy'", [], |r| r.get(0)).unwrap()
    };
    assert_eq!(legacy_in_store(), in_file as i64);
    // … and the search output says so.
    let legacy_id = {
        let mut rdr = csv::Reader::from_path(&csv).unwrap();
        let r = rdr.records().map(Result::unwrap).find(|r| &r[c_source] == "legacy").unwrap();
        (r[0].to_string(), format!("{} {}", &r[1], &r[2]))
    };
    let out = ok(cli(&db, &["search", "--name", &legacy_id.1, "--limit", "50", "--json"]));
    let hits: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let hit = hits.as_array().unwrap().iter().find(|h| h["id"] == legacy_id.0.as_str()).expect("the legacy person");
    assert_eq!(hit["source"], "legacy");

    // `--source legacy` on the command line forces every row.
    ok(cli(&db, &["import", "nominals", "--csv", csv.to_str().unwrap(), "--source", "legacy"]));
    assert_eq!(legacy_in_store(), 200);
    // Without it, the column decides again (case-insensitive; empty = current); any other value
    // rejects the row with a reason.
    let small = dir.path().join("s.csv");
    std::fs::write(
        &small,
        "id,given_name,surname,date_of_birth,source\n\
         S1,Sam,Legacyperson,,LEGACY\n\
         S2,Sue,Currentperson,,\n\
         S3,Syd,Oddperson,,archive\n",
    )
    .unwrap();
    let out = ok(cli(&db, &["import", "nominals", "--csv", small.to_str().unwrap()]));
    assert_eq!(text(&out.stdout).trim(), "imported 2 rejected 1");
    assert!(text(&out.stderr).contains("row 4: rejected: source 'archive' is not current or legacy"));
    let out = ok(cli(&db, &["search", "--name", "sam legacyperson", "--json"]));
    let hits: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(hits[0]["source"], "legacy");
}

/// search-batch lines: keys in the contract's order `{qid, ids, latency_us}`; `error` only for
/// a query that could not run (with `ids: []`), a note on a query that ran under `warning`.
#[test]
fn search_batch_lines_keep_key_order_and_error_semantics() {
    let (dir, db, _) = generated(300);
    let q = dir.path().join("q.csv");
    // The last row was saved as Windows-1252 (\xEB is ë there, and not UTF-8).
    let mut csv =
        b"qid,given_name,surname,date_of_birth\nq1,John,Smith,1980\nq2,,,\nq3,Jon,Smith,31/02/1980\nq4,Jon,Smith,2099-01-01\n"
            .to_vec();
    csv.extend_from_slice(b"q5,Zo\xEB,Smith,\n");
    std::fs::write(&q, csv).unwrap();
    let out_path = dir.path().join("o.jsonl");
    ok(cli(&db, &["search-batch", "--queries", q.to_str().unwrap(), "--out", out_path.to_str().unwrap()]));
    let raw = std::fs::read_to_string(&out_path).unwrap();
    let lines: Vec<&str> = raw.lines().collect();
    assert_eq!(lines.len(), 5, "one line per query row: {raw}");
    for l in &lines {
        let (qid, ids, lat) =
            (l.find("\"qid\":").unwrap(), l.find("\"ids\":").unwrap(), l.find("\"latency_us\":").unwrap());
        assert!(l.starts_with("{\"qid\":") && qid < ids && ids < lat, "key order: {l}");
    }
    let v: Vec<serde_json::Value> = lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(v[0]["qid"], "q1");
    assert!(v[0].get("error").is_none() && v[0].get("warning").is_none(), "{}", lines[0]);
    assert_eq!(v[1]["ids"], serde_json::json!([]));
    assert!(v[1]["error"].as_str().is_some_and(|e| !e.is_empty()), "{}", lines[1]);
    // The unreadable DOB was ignored and the query ran: a warning, not an error.
    assert!(v[2].get("error").is_none(), "{}", lines[2]);
    assert!(v[2]["warning"].as_str().unwrap().contains("DOB ignored"), "{}", lines[2]);
    assert!(!v[2]["ids"].as_array().unwrap().is_empty(), "{}", lines[2]);
    // A DOB in the future is ignored the same way (a one-off search refuses it).
    assert!(v[3]["warning"].as_str().unwrap().contains("is in the future; DOB ignored"), "{}", lines[3]);
    assert!(!v[3]["ids"].as_array().unwrap().is_empty(), "{}", lines[3]);
    // The row that is not UTF-8 text answers too, with its qid and an error.
    assert_eq!((v[4]["qid"].as_str(), v[4]["ids"].clone()), (Some("q5"), serde_json::json!([])), "{}", lines[4]);
    assert!(v[4]["error"].as_str().unwrap().contains("not UTF-8"), "{}", lines[4]);
    let refused = cli(&db, &["search", "--surname", "Smith", "--dob", "2099-01-01", "--json"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("is in the future"), "{refused:?}");
}

/// A date typed into `--name` is not searched as a name; the CLI says so on stderr and how to
/// give it (the screen offers a button instead). Not when a DOB filter is given anyway.
#[test]
fn a_date_typed_in_the_name_is_pointed_out() {
    let (_dir, db, _) = generated(50);
    let err = |args: &[&str]| text(&ok(cli(&db, args)).stderr);
    let e = err(&["search", "--name", "john smith 28/02/1975", "--json"]);
    assert!(e.contains("\u{201c}28/02/1975\u{201d} is not part of a name") && e.contains("--dob 28/02/1975"), "{e}");
    let e = err(&["search", "--name", "john smith 1975", "--json"]);
    assert!(e.contains("--dob-year 1975"), "{e}");
    let e = err(&["search", "--name", "john smith 1975", "--dob-year", "1975", "--json"]);
    assert!(!e.contains("not part of a name"), "{e}");
}

/// Stale search keys (as after an update that changed their format) are rebuilt before the
/// first query, not inside it (where the rebuild would be counted as that query's latency).
#[test]
fn search_batch_rebuilds_stale_keys_before_the_first_query() {
    let (dir, db, _) = generated(100);
    {
        let store = bluelamp_store::Store::open(&db, PASS).unwrap();
        store
            .conn()
            .execute_batch("DELETE FROM name_keys; UPDATE meta SET value = '0' WHERE key = 'name_keys_version';")
            .unwrap();
    }
    let q = dir.path().join("q.csv");
    std::fs::write(&q, "qid,given_name,surname,date_of_birth\nq1,John,Smith,\n").unwrap();
    let out_path = dir.path().join("o.jsonl");
    let out = ok(cli(&db, &["search-batch", "--queries", q.to_str().unwrap(), "--out", out_path.to_str().unwrap()]));
    assert!(text(&out.stderr).contains("search keys were stale: rebuilt"), "{}", text(&out.stderr));
}

/// `--name` with `--given`/`--surname` would drop part of the query: refused by the argument
/// parser (exit code 2) with a message naming both.
#[test]
fn name_with_given_or_surname_is_refused() {
    let (_dir, db) = store();
    for other in ["--given", "--surname"] {
        let out = cli(&db, &["search", "--name", "john smith", other, "Bob", "--json"]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(err.contains("'--name <NAME>' cannot be used with") && err.contains(other), "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn an_empty_import_file_is_called_empty() {
    let (dir, db) = store();
    let csv = dir.path().join("empty.csv");
    std::fs::write(&csv, "").unwrap();
    let out = cli(&db, &["import", "nominals", "--csv", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("empty.csv") && err.contains("the file is empty"), "{err}");
    assert!(!err.contains("(found: )"), "{err}");
}

/// A quote left open takes the lines after it into one cell: the rejected row says so, and
/// control characters in a cell quoted by a message are shown escaped, not sent to the terminal.
#[test]
fn an_open_quote_and_an_escape_sequence_are_pointed_out() {
    let (dir, db) = store();
    let csv = dir.path().join("q.csv");
    std::fs::write(
        &csv,
        "id,given_name,surname,date_of_birth,sex\nA1,Ann,Lee,,\nA2,Bob,Roe,,\u{1b}[2J\nA3,\"Jim,Smith,,\nA4,Cat,Poe,,\n",
    )
    .unwrap();
    let out = ok(cli(&db, &["import", "nominals", "--csv", csv.to_str().unwrap()]));
    assert_eq!(text(&out.stdout).trim(), "imported 1 rejected 2");
    let err = text(&out.stderr);
    assert!(err.contains("row 3: rejected: sex '\\u{1b}[2J' is not M or F") && !err.contains('\u{1b}'), "{err}");
    assert!(err.contains("row 4: rejected:") && err.contains("is a quote left open?"), "{err}");
}

/// `BLUELAMP_PASSPHRASE=""` is refused with a message, and not tried (so not counted as a
/// wrong passphrase towards the lock-out).
#[test]
fn an_empty_passphrase_variable_is_refused_not_tried() {
    let (_dir, db) = store();
    let out = bin().arg("--db").arg(&db).args(["audit", "verify"]).env("BLUELAMP_PASSPHRASE", "").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("BLUELAMP_PASSPHRASE is set but empty"), "{err}");
    // The first wrong passphrase still leaves 4 tries: the empty one was not counted.
    let out = bin().arg("--db").arg(&db).args(["audit", "verify"]).env("BLUELAMP_PASSPHRASE", "nope").output().unwrap();
    assert!(text(&out.stderr).contains("4 left"), "{}", text(&out.stderr));
    let out = bin()
        .arg("--db")
        .arg(&db)
        .args(["passwd", "--insecure-fast-kdf"])
        .env("BLUELAMP_NEW_PASSPHRASE", "")
        .output()
        .unwrap();
    assert!(text(&out.stderr).contains("BLUELAMP_NEW_PASSPHRASE is set but empty"), "{}", text(&out.stderr));
}

/// An id repeated within one file: reported, the later row wins, and it counts once in
/// `imported N rejected M` (whose format stays exactly that); the new/updated split is on
/// standard error.
#[test]
fn an_id_repeated_within_a_file_is_reported_and_counted_once() {
    let (dir, db) = store();
    let csv = dir.path().join("d.csv");
    std::fs::write(
        &csv,
        "id,given_name,surname,date_of_birth\nD1,Ann,Leeworthy,,\nD2,Bob,Leeworthy,,\nD1,Ann,Leeworth-Smith,,\n",
    )
    .unwrap();
    let out = ok(cli(&db, &["import", "nominals", "--csv", csv.to_str().unwrap()]));
    assert_eq!(text(&out.stdout), "imported 2 rejected 0\n");
    let err = text(&out.stderr);
    assert!(err.contains("row 4: id D1 repeats row 2; the later row wins"), "{err}");
    assert!(err.contains("2 new, 0 updated"), "{err}");
    let store = bluelamp_store::Store::open(&db, PASS).unwrap();
    assert_eq!(store.nominal_count().unwrap(), 2);
    assert_eq!(store.nominal_record("D1").unwrap().unwrap().surname, "Leeworth-Smith");
    drop(store);
    let out = ok(cli(&db, &["import", "nominals", "--csv", csv.to_str().unwrap()]));
    assert_eq!(text(&out.stdout), "imported 2 rejected 0\n");
    assert!(text(&out.stderr).contains("0 new, 2 updated"), "{}", text(&out.stderr));
}

/// Every command on a store that was never created says how to create one (before asking for a
/// passphrase), exits 1 and creates nothing.
#[test]
fn a_missing_store_says_how_to_create_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("missing.db");
    let csv = dir.path().join("p.csv");
    std::fs::write(&csv, "id,given_name,surname,date_of_birth\nP1,Bill,Smith,\n").unwrap();
    for args in [
        vec!["import", "nominals", "--csv", csv.to_str().unwrap()],
        vec!["search", "--name", "Bill Smith", "--json"],
        vec!["audit", "verify"],
    ] {
        let mut c = Command::new(env!("CARGO_BIN_EXE_bluelamp-cli"));
        let out = c.arg("--db").arg(&db).args(&args).stdin(Stdio::null()).output().unwrap();
        no_panic(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains("There is no Bluelamp store at") && err.contains("init --officer"), "{args:?}: {err}");
        assert!(!db.exists(), "{args:?} created the store");
    }
}

/// A count too big to hold is refused with the limit, not a crash (a capacity overflow before).
#[test]
fn a_demo_count_past_the_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("people.csv");
    for n in ["99999999999999999999999", "10000001"] {
        let out = bin().args(["demo", "generate", "--nominals", n, "--out"]).arg(&out_file).output().unwrap();
        no_panic(&out);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("at most 10000000"), "{}", text(&out.stderr));
        assert!(!out_file.exists());
    }
    let (_dir, db) = store();
    let out = cli(&db, &["demo", "enqueue", "--forms", "18446744073709551616"]);
    no_panic(&out);
    assert!(text(&out.stderr).contains("at most 1000000"), "{}", text(&out.stderr));
}

/// An output file that is the command's input or a store is refused before anything is
/// written: `File::create` empties it first.
#[test]
fn an_output_file_never_overwrites_the_input_or_a_store() {
    let (dir, db, _csv) = generated(20);
    let q = dir.path().join("q.csv");
    std::fs::write(&q, "qid,given_name,surname,date_of_birth\n1,john,smith,\n").unwrap();
    let before = std::fs::read(&q).unwrap();
    let store_before = std::fs::metadata(&db).unwrap().len();
    let q_s = q.to_str().unwrap();
    for out_path in [q.clone(), dir.path().join(".").join("q.csv"), db.clone()] {
        let out = cli(&db, &["search-batch", "--queries", q_s, "--out", out_path.to_str().unwrap()]);
        no_panic(&out);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("would destroy it"), "{}", text(&out.stderr));
    }
    let out =
        bin().arg("--db").arg(&db).args(["demo", "generate", "--nominals", "5", "--out"]).arg(&db).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    // Another store, not the one named by --db.
    let other = dir.path().join("other.db");
    ok(cli(&other, &["init", "--officer", "PC2", "--insecure-fast-kdf"]));
    let out = bin().args(["demo", "generate", "--nominals", "5", "--out"]).arg(&other).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("is a file of the Bluelamp store"), "{}", text(&out.stderr));
    // Nor any file of another store: its key file (without which it could never be opened
    // again) or its wrong-passphrase counter.
    let other_keys = std::fs::read(dir.path().join("other.db.keys")).unwrap();
    for file in ["other.db.keys", "other.db.attempts"] {
        let path = dir.path().join(file);
        let out = bin().args(["demo", "generate", "--nominals", "5", "--out"]).arg(&path).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{file}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains("is a file of the Bluelamp store"), "{}", text(&out.stderr));
        let out = cli(&db, &["search-batch", "--queries", q_s, "--out", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{file}: {}", text(&out.stderr));
    }
    assert_eq!(std::fs::read(dir.path().join("other.db.keys")).unwrap(), other_keys);
    ok(cli(&other, &["audit", "verify"]));
    assert_eq!(std::fs::read(&q).unwrap(), before, "the queries are as they were");
    assert!(std::fs::metadata(&db).unwrap().len() >= store_before);
    ok(cli(&db, &["audit", "verify"]));
    // A new output file still works.
    let fine = dir.path().join("out.jsonl");
    ok(cli(&db, &["search-batch", "--queries", q_s, "--out", fine.to_str().unwrap()]));
    assert_eq!(std::fs::read_to_string(&fine).unwrap().lines().count(), 1);
}

/// The guard judges the file an `--out` name leads to, not the name: a symbolic link or a hard
/// link, named anything, to another store's database or key file overwrote it (review, 7 Dec
/// 2026). Refused before anything is written; a plain new file still works.
#[cfg(unix)]
#[test]
fn an_output_file_that_is_a_link_to_a_store_file_is_refused() {
    let (dir, db, _csv) = generated(20);
    let q = dir.path().join("q.csv");
    std::fs::write(&q, "qid,given_name,surname,date_of_birth\n1,john,smith,\n").unwrap();
    let q_s = q.to_str().unwrap();
    let other = dir.path().join("sub").join("b.db");
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    ok(cli(&other, &["init", "--officer", "PC2", "--insecure-fast-kdf"]));
    let keys = dir.path().join("sub").join("b.db.keys");
    let (db_before, keys_before) = (std::fs::read(&other).unwrap(), std::fs::read(&keys).unwrap());
    let mut outs = Vec::new();
    for (i, target) in [&other, &keys].into_iter().enumerate() {
        let sym = dir.path().join(format!("link{i}.jsonl"));
        std::os::unix::fs::symlink(target, &sym).unwrap();
        let hard = dir.path().join(format!("hard{i}.jsonl"));
        std::fs::hard_link(target, &hard).unwrap();
        outs.extend([sym, hard]);
    }
    // Through a linked folder too, and a link to nothing (it would make the file it names).
    let folder = dir.path().join("folder");
    std::os::unix::fs::symlink(dir.path().join("sub"), &folder).unwrap();
    outs.push(folder.join("b.db.keys"));
    let dangling = dir.path().join("dangling.jsonl");
    std::os::unix::fs::symlink(dir.path().join("sub").join("b.db.attempts"), &dangling).unwrap();
    outs.push(dangling);
    // And the command's own store, by a hard link.
    let own = dir.path().join("own.jsonl");
    std::fs::hard_link(&db, &own).unwrap();
    outs.push(own);
    for path in &outs {
        let out = cli(&db, &["search-batch", "--queries", q_s, "--out", path.to_str().unwrap()]);
        no_panic(&out);
        assert_eq!(out.status.code(), Some(1), "{}: {}", path.display(), text(&out.stderr));
        let err = text(&out.stderr);
        assert!(
            err.contains("would destroy it") || err.contains("other names") || err.contains("does not exist"),
            "{err}"
        );
        let out = bin().args(["demo", "generate", "--nominals", "5", "--out"]).arg(path).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}: {}", path.display(), text(&out.stderr));
    }
    assert_eq!(std::fs::read(&other).unwrap(), db_before);
    assert_eq!(std::fs::read(&keys).unwrap(), keys_before);
    assert!(!dir.path().join("sub").join("b.db.attempts").exists());
    ok(cli(&other, &["audit", "verify"]));
    ok(cli(&db, &["audit", "verify"]));
    let fine = dir.path().join("out.jsonl");
    ok(cli(&db, &["search-batch", "--queries", q_s, "--out", fine.to_str().unwrap()]));
    assert_eq!(std::fs::read_to_string(&fine).unwrap().lines().count(), 1);
}

/// A date of birth after today is a bad row (search refuses such a date, so the record could
/// never be found by its own date of birth); the other rows go in.
#[test]
fn a_future_date_of_birth_is_a_rejected_row() {
    let (dir, db) = store();
    let csv = dir.path().join("f.csv");
    std::fs::write(&csv, "id,given_name,surname,date_of_birth\nF1,Futura,Zzyzx,2099-01-01\nF2,Ann,Smith,1980-02-03\n")
        .unwrap();
    let out = ok(cli(&db, &["import", "nominals", "--csv", csv.to_str().unwrap()]));
    let err = text(&out.stderr);
    assert!(err.contains("row 2") && err.contains("in the future"), "{err}");
    assert!(text(&out.stdout).contains("imported 1 rejected 1"), "{}", text(&out.stdout));
}

/// What an access-log listing prints never carries a control character to the terminal (an
/// escape sequence in a record id looked up would rewrite the screen); a search's purpose is
/// one of the codes.
#[test]
fn the_access_log_listing_escapes_control_characters() {
    let (_dir, db) = store();
    let out = cli(&db, &["show", "--id", "X\u{1b}[2J\u{7}", "--purpose", "investigation"]);
    no_panic(&out);
    let listing = ok(cli(&db, &["audit", "list"]));
    let shown = text(&listing.stdout);
    assert!(shown.contains("nominal:X\\u{1b}[2J\\u{7}"), "{shown}");
    assert!(!shown.chars().any(|c| c.is_control() && c != '\n'), "{shown:?}");
    let out = cli(&db, &["search", "--surname", "Smith", "--purpose", "just curious"]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("the purpose must be one of"), "{}", text(&out.stderr));
}

/// Synthetic forms are never queued for a force's real service: `demo enqueue` runs on a store
/// not enrolled, or enrolled with a service on this machine (the benches' and tests').
#[test]
fn demo_forms_are_not_queued_for_a_real_service() {
    let (_dir, db) = store();
    ok(cli(&db, &["demo", "enqueue", "--forms", "2"]));
    let mut s = bluelamp_store::Store::open(&db, PASS).unwrap();
    let queued = s.sync_counts().unwrap().pending;
    s.set_server_url("https://records.example.police.uk").unwrap();
    drop(s);
    let out = cli(&db, &["demo", "enqueue", "--forms", "2"]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("https://records.example.police.uk"), "{}", text(&out.stderr));
    let mut s = bluelamp_store::Store::open(&db, PASS).unwrap();
    assert_eq!(s.sync_counts().unwrap().pending, queued, "nothing more queued");
    s.set_server_url("http://127.0.0.1:4000").unwrap();
    drop(s);
    ok(cli(&db, &["demo", "enqueue", "--forms", "2"]));
}

/// A quote left open in the queries file swallows the lines after it into one cell: that row
/// and each query row it swallowed answer with an error line (by qid), and the rows after the
/// quote closes run as usual.
#[test]
fn search_batch_answers_every_row_a_quote_left_open_swallowed() {
    let (dir, db, _) = generated(100);
    let q = dir.path().join("q.csv");
    std::fs::write(
        &q,
        "qid,given_name,surname,date_of_birth\nq1,\"John,Smith,\nq2,Ann,Lee,\nq3,Bo,Day\",\nq4,John,Smith,\n",
    )
    .unwrap();
    let out_path = dir.path().join("o.jsonl");
    let out = ok(cli(&db, &["search-batch", "--queries", q.to_str().unwrap(), "--out", out_path.to_str().unwrap()]));
    assert!(text(&out.stderr).contains("a quote left open"), "{}", text(&out.stderr));
    let raw = std::fs::read_to_string(&out_path).unwrap();
    let v: Vec<serde_json::Value> = raw.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let qids: Vec<&str> = v.iter().map(|l| l["qid"].as_str().unwrap()).collect();
    assert_eq!(qids, ["q1", "q2", "q3", "q4"], "{raw}");
    for l in &v[..3] {
        assert!(l["error"].as_str().unwrap().contains("quote left open on line 2"), "{l}");
        assert_eq!(l["ids"], serde_json::json!([]));
    }
    assert!(v[3].get("error").is_none() && !v[3]["ids"].as_array().unwrap().is_empty(), "{raw}");
}

/// A quoted cell with a line break in it (valid CSV, but no name or date has one) fails that
/// query alone: no line for a made-up query from the cell's second line, and the next row runs.
#[test]
fn search_batch_a_line_break_inside_a_quoted_cell_fails_that_query_only() {
    let (dir, db, _) = generated(100);
    let q = dir.path().join("q.csv");
    std::fs::write(&q, "qid,given_name,surname,date_of_birth\nq1,\"Bill\nx\",Smithers,\nq2,John,Smith,\n").unwrap();
    let out_path = dir.path().join("o.jsonl");
    let out = ok(cli(&db, &["search-batch", "--queries", q.to_str().unwrap(), "--out", out_path.to_str().unwrap()]));
    assert!(text(&out.stderr).contains("holds a line break"), "{}", text(&out.stderr));
    let raw = std::fs::read_to_string(&out_path).unwrap();
    let v: Vec<serde_json::Value> = raw.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let qids: Vec<&str> = v.iter().map(|l| l["qid"].as_str().unwrap()).collect();
    assert_eq!(qids, ["q1", "q2"], "{raw}");
    assert!(v[0]["error"].as_str().unwrap().contains("holds a line break"), "{raw}");
    assert!(v[1].get("error").is_none() && !v[1]["ids"].as_array().unwrap().is_empty(), "{raw}");
}

/// An address the client refuses (plain http to a host that is not this machine) is refused
/// before anything is written: no store is left behind to count the next try's passphrase.
#[test]
fn enrolment_with_a_refused_address_leaves_no_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("en.db");
    let out = bin()
        .env("BLUELAMP_PASSPHRASE", "typo-pass")
        .arg("--db")
        .arg(&db)
        .args(["enrol", "--server", "http://example.com", "--officer", "demo-officer", "--insecure-fast-kdf"])
        .output()
        .unwrap();
    no_panic(&out);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("https"), "{}", text(&out.stderr));
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "{left:?}");
}

/// `incident code --code ""` (an unset variable in a script) is refused, not taken as "clear".
#[test]
fn an_empty_closing_code_is_refused() {
    let (_dir, db) = store();
    let out = cli(&db, &["incident", "code", "--id", "INC-1", "--code", " "]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--code is empty"), "{}", text(&out.stderr));
}

/// `nominal create --sex female` is taken as import and search take it (F).
#[test]
fn nominal_create_takes_the_sex_as_import_does() {
    let (_dir, db) = store();
    let out = ok(cli(&db, &["nominal", "create", "--given", "Ann", "--surname", "Lee", "--sex", "Female", "--json"]));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["nominal"]["sex"], "F", "{v}");
}
