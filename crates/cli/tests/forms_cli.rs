//! `bluelamp-cli forms …` run against the real binary, on the shipped packs and the examples in
//! docs/examples/.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bluelamp-cli")).args(args).output().expect("run bluelamp-cli")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn dash_pack() -> PathBuf {
    root().join("assets/forms/dash-style-da-risk.json")
}

fn example(name: &str) -> PathBuf {
    root().join("docs/examples").join(name)
}

#[test]
fn valid_pack_prints_ok_and_exits_0() {
    let out = cli(&["forms", "validate-pack", path(&dash_pack())]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "OK: dash-style-da-risk v1.1.0, 8 sections, 51 questions");
}

#[test]
fn every_shipped_pack_is_valid() {
    let dir = root().join("assets/forms");
    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| path(&p).to_string())
        .collect();
    assert!(files.len() >= 4);
    let mut args = vec!["forms", "validate-pack"];
    args.extend(files.iter().map(String::as_str));
    let out = cli(&args);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(stdout(&out).lines().filter(|l| l.contains(": OK: ")).count(), files.len());
}

#[test]
fn broken_pack_lists_located_errors_and_exits_1() {
    let mut pack: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dash_pack()).unwrap()).unwrap();
    pack["sections"][3]["questions"][4]["show_if"] = serde_json::json!({"question": "q99", "equals": "yes"});
    pack["sections"][1]["questions"][1]["id"] = serde_json::json!("q1");
    pack["id"] = serde_json::json!("Not An Id");
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("broken.json");
    std::fs::write(&f, serde_json::to_string_pretty(&pack).unwrap()).unwrap();

    let out = cli(&["forms", "validate-pack", path(&f)]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains(r#"sections[3].questions[4].show_if: unknown question id "q99""#), "{text}");
    assert!(text.contains(r#"sections[1].questions[1].id: duplicate question id "q1""#), "{text}");
    assert!(text.lines().any(|l| l.starts_with("id: ")), "{text}");
    assert!(!text.contains("OK:"), "{text}");
    assert!(stderr(&out).contains("3 issue(s)"), "{}", stderr(&out));
}

#[test]
fn unreadable_or_non_json_pack_gives_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let out = cli(&["forms", "validate-pack", path(&missing)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot read"), "{}", stderr(&out));

    let f = dir.path().join("not.json");
    std::fs::write(&f, "sections: []\n").unwrap();
    let out = cli(&["forms", "validate-pack", path(&f)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is not valid JSON"), "{}", stderr(&out));
    assert!(stderr(&out).contains("line 1 column 1"), "{}", stderr(&out));
}

#[test]
fn fourteen_yes_example_grades_high_with_a_marac_task() {
    let answers = example("dash-14-yes.answers.json");
    let args =
        ["forms", "grade", "--pack", "dash-style-da-risk", "--answers", path(&answers), "--at", "2025-03-14T19:05:00Z"];
    let out = cli(&[&args[..], &["--json"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["pack"]["id"], "dash-style-da-risk");
    assert_eq!(v["suggestion"]["yes_count"], 14);
    assert_eq!(v["suggestion"]["suggested"], "high");
    assert_eq!(v["suggestion"]["marac_indicated"], true);
    let reasons = v["suggestion"]["reasons"].as_array().unwrap();
    assert!(reasons.iter().any(|r| r["code"] == "count" && r["grade"] == "high"), "{reasons:?}");
    let tasks = v["tasks"].as_array().unwrap();
    let marac = tasks.iter().find(|t| t["kind"] == "marac_referral").expect("a MARAC task");
    assert_eq!(marac["due"], "2025-03-15T19:05:00Z");
    // No officer grade given: no IDVA task yet.
    assert!(!tasks.iter().any(|t| t["kind"] == "idva_referral"));

    let out = cli(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Suggested grade: High"), "{text}");
    assert!(text.contains("Make a MARAC referral"), "{text}");
    // A time whose due dates have no calendar date is refused (they printed as unix seconds).
    let far = ["forms", "grade", "--pack", "dash-style-da-risk", "--answers", path(&answers), "--at", "9999-12-31"];
    let out = cli(&far);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("between 1970 and 2099"), "{}", stderr(&out));
}

#[test]
fn officer_grade_and_history_change_the_tasks_and_reasons() {
    let answers = example("dash-14-yes.answers.json");
    let history = example("dash-history.json");
    let out = cli(&[
        "forms",
        "grade",
        "--pack",
        "dash-style-da-risk",
        "--answers",
        path(&answers),
        "--history",
        path(&history),
        "--at",
        "2025-03-14T19:05:00Z",
        "--officer-grade",
        "high",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["suggestion"]["incidents_in_window"], 3);
    let reasons = v["suggestion"]["reasons"].as_array().unwrap();
    assert!(reasons.iter().any(|r| r["code"] == "repeat_incidents"), "{reasons:?}");
    let tasks = v["tasks"].as_array().unwrap();
    assert!(tasks.iter().any(|t| t["kind"] == "idva_referral"));
}

#[test]
fn few_answers_grade_standard_without_marac() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("a.json");
    std::fs::write(&f, r#"{"q1": "yes", "q2": "no"}"#).unwrap();
    let out = cli(&["forms", "grade", "--pack", "dash-style-da-risk", "--answers", path(&f), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["suggestion"]["suggested"], "standard");
    assert!(!v["tasks"].as_array().unwrap().iter().any(|t| t["kind"] == "marac_referral"));
    assert!(v["unanswered_required"].as_array().unwrap().iter().any(|q| q == "q3"));
}

/// A plan records no risk grade: the text output does not print a suggested grade or ask for
/// the officer's (it printed "Suggested grade: Standard" for a safeguarding plan).
#[test]
fn a_plan_is_not_graded_in_the_text_output() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("a.json");
    std::fs::write(&f, r#"{"victim": "n1"}"#).unwrap();
    let out = cli(&["forms", "grade", "--pack", "da-safeguarding-plan", "--answers", path(&f)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Graded: no"), "{text}");
    assert!(!text.contains("Suggested grade") && !text.contains("own grade"), "{text}");
    assert!(text.contains("Not yet answered (required):"), "{text}");
}

/// `--at` in the hour the clocks skip is refused with what to do (it was read as GMT).
#[test]
fn a_time_the_clocks_skipped_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("a.json");
    std::fs::write(&f, r#"{"q1": "no"}"#).unwrap();
    let out =
        cli(&["forms", "grade", "--pack", "dash-style-da-risk", "--answers", path(&f), "--at", "2026-03-29T01:30"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("did not happen in UK time"), "{}", stderr(&out));
    let out =
        cli(&["forms", "grade", "--pack", "dash-style-da-risk", "--answers", path(&f), "--at", "2026-03-29T01:30Z"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn bad_answers_json_exits_1_with_where() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.json");
    std::fs::write(&f, "{\n  \"q1\": \"yes\",\n  \"q2\": yes\n}\n").unwrap();
    let out = cli(&["forms", "grade", "--pack", "dash-style-da-risk", "--answers", path(&f)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(err.contains("bad.json") && err.contains("invalid answers JSON"), "{err}");
    assert!(err.contains("line 3 column"), "{err}");

    std::fs::write(&f, "[1, 2]").unwrap();
    let out = cli(&["forms", "grade", "--pack", "dash-style-da-risk", "--answers", path(&f)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("must be a JSON object"), "{}", stderr(&out));

    // Valid JSON, wrong values: each problem with its path.
    std::fs::write(&f, r#"{"q1": "maybe", "q3": "none", "zz": 1}"#).unwrap();
    let out = cli(&["forms", "grade", "--pack", "dash-style-da-risk", "--answers", path(&f)]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains(": q1: ") && err.contains(": q3: ") && err.contains(": zz: "), "{err}");
}

#[test]
fn bad_history_unknown_pack_and_pack_file() {
    let answers = example("dash-14-yes.answers.json");
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path().join("h.json");
    std::fs::write(&h, r#"{"previous_da_incidents": ["2025-01-02", "2025-13-01"]}"#).unwrap();
    let out =
        cli(&["forms", "grade", "--pack", "dash-style-da-risk", "--answers", path(&answers), "--history", path(&h)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("previous_da_incidents[1]"), "{}", stderr(&out));

    let out = cli(&["forms", "grade", "--pack", "no-such-pack", "--answers", path(&answers)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("dash-style-da-risk"), "{}", stderr(&out));

    let out = cli(&["forms", "grade", "--pack-file", path(&dash_pack()), "--answers", path(&answers), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["suggestion"]["suggested"], "high");
}
