//! `bluelamp-cli victims assess` run against the real binary, on docs/examples/da-incident.json
//! and variants of it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples/da-incident.json")
}

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bluelamp-cli")).args(args).output().expect("run bluelamp-cli")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn assess_json(file: &Path, extra: &[&str]) -> Value {
    let out = cli(&[&["victims", "assess", "--incident", path(file), "--json"], extra].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

fn victim<'a>(a: &'a Value, id: &str) -> &'a Value {
    a["victims"].as_array().unwrap().iter().find(|v| v["person_id"] == id).unwrap_or_else(|| panic!("victim {id}"))
}

fn codes(list: &Value, key: &str) -> Vec<String> {
    list.as_array().unwrap().iter().filter_map(|x| x[key].as_str().map(String::from)).collect()
}

fn variant(edit: impl FnOnce(&mut Value)) -> (tempfile::TempDir, PathBuf) {
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(example()).unwrap()).unwrap();
    edit(&mut v);
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("incident.json");
    std::fs::write(&f, serde_json::to_string(&v).unwrap()).unwrap();
    (dir, f)
}

#[test]
fn da_example_adult_gets_idva_and_safe_contact_child_gets_operation_encompass() {
    let a = assess_json(&example(), &["--today", "2025-03-17"]);
    assert_eq!(a["incident_id"], "INC-2025-000123");
    assert_eq!(a["domestic_abuse"], true);
    assert_eq!(a["calendar"], "england-and-wales");
    assert_eq!(a["assessed_at"], "2025-03-17T23:59:59Z");

    let adult = victim(&a, "P1");
    assert_eq!(adult["enhanced"], true);
    assert_eq!(adult["consent_model"], "opt_in");
    assert!(codes(&adult["destinations"], "code").contains(&"idva".to_string()), "{}", adult["destinations"]);
    assert!(codes(&adult["destinations"], "code").contains(&"marac".to_string()));
    // The safe-contact block is checked for the DA victim (complete in the example).
    assert!(adult["safe_contact"].is_object(), "{}", adult["safe_contact"]);
    assert_eq!(adult["safe_contact"]["missing"], json!([]));
    // Recorded Friday 19:05, 2 working days: Tuesday.
    assert_eq!(adult["referral_deadline"]["due"], "2025-03-18");
    assert_eq!(adult["referral_deadline"]["from"], "2025-03-14");
    let idva_prompt = a["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["person_id"] == "P1" && p["destination"] == "idva")
        .expect("IDVA prompt for the adult");
    assert_eq!(idva_prompt["code"], "offer_destination");

    let child = victim(&a, "P3");
    assert_eq!(child["basis"], "child_present");
    assert_eq!(child["under_18"], true);
    assert!(codes(&child["destinations"], "code").contains(&"operation_encompass".to_string()));
    assert!(child["safe_contact"].is_null());
    assert!(a["prompts"].as_array().unwrap().iter().any(|p| p["person_id"] == "P3"
        && p["destination"] == "operation_encompass"
        && p["code"] == "notify_destination"));
    assert_eq!(a["can_close"], false);
}

#[test]
fn text_output_lists_victims_deadlines_and_prompts() {
    let out = cli(&["victims", "assess", "--incident", path(&example()), "--today", "2025-03-17"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Victim P1 Alex Example: direct"), "{text}");
    assert!(text.contains("- idva (referral)"), "{text}");
    assert!(text.contains("due by the end of Tue 2025-03-18"), "{text}");
    assert!(text.contains("safe contact: complete"), "{text}");
    assert!(text.contains("Victim P3 Jo Example: child_present, aged 8"), "{text}");
    assert!(text.contains("operation_encompass (notification)"), "{text}");
}

/// An update the victim does not want is listed as not owed, with no deadline to meet (it read
/// "tell by the end of …" beside "not wanted").
#[test]
fn an_update_not_wanted_is_listed_without_a_deadline() {
    let (_d, f) = variant(|v| v["people"][0]["update_preference"] = json!("none"));
    let out = cli(&["victims", "assess", "--incident", path(&f), "--today", "2025-03-17"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let p1 = text.split("Victim P3").next().unwrap_or_default();
    assert!(p1.contains("- arrest: not owed, not wanted (victim's preference)"), "{text}");
    assert!(!p1.contains("arrest: tell by the end"), "{text}");
}

/// A day told in an incident file is checked as the store checks one: not before the event
/// (it was accepted and judged "in time"), and not after the day assessed.
#[test]
fn a_told_on_day_before_the_event_or_after_the_day_assessed_is_refused() {
    let told = |on: &str| {
        variant(|v| {
            v["events"][0]["victims_informed"] = json!(["P1"]);
            v["events"][0]["told_on"] = json!([{"person_id": "P1", "on": on}]);
        })
    };
    let (_d, f) = told("2025-03-14");
    let out = cli(&["victims", "assess", "--incident", path(&f), "--today", "2025-03-17"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("\"P1\" was told on 2025-03-14, before the event (2025-03-15)"), "{err}");
    let (_d, f) = told("2025-03-18");
    let out = cli(&["victims", "assess", "--incident", path(&f), "--today", "2025-03-17"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("was told on 2025-03-18, after the day assessed (2025-03-17)"), "{err}");
    let (_d, f) = told("2025-03-16");
    let a = assess_json(&f, &["--today", "2025-03-17"]);
    assert_eq!(victim(&a, "P1")["updates"][0]["told_on"], "2025-03-16", "{a}");
}

#[test]
fn missing_safe_contact_block_is_prompted() {
    let (_d, f) = variant(|v| {
        v["people"][0].as_object_mut().unwrap().remove("safe_contact");
    });
    let a = assess_json(&f, &["--today", "2025-03-17"]);
    let adult = victim(&a, "P1");
    assert!(adult["safe_contact"]["missing"].as_array().unwrap().iter().any(|m| m == "safe_number"));
    assert!(a["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["code"] == "safe_contact_required" && p["person_id"] == "P1"));
}

#[test]
fn unknown_category_and_missing_dob_are_undetermined_not_a_crash() {
    let (_d, f) = variant(|v| {
        v["offence_categories"] = json!(["domestic_abuse", "zombie_attack"]);
        v["people"][2].as_object_mut().unwrap().remove("date_of_birth");
    });
    let a = assess_json(&f, &["--today", "2025-03-17"]);
    assert!(
        codes(&a["undetermined"], "code").contains(&"unknown_offence_category".to_string()),
        "{}",
        a["undetermined"]
    );
    let child = victim(&a, "P3");
    assert!(child["under_18"].is_null());
    assert!(codes(&child["undetermined"], "code").contains(&"missing_date_of_birth".to_string()), "{}", child);
    // Operation Encompass now depends on the answer instead of being decided.
    assert!(codes(&child["possible_destinations"], "code").contains(&"operation_encompass".to_string()));

    let out = cli(&["victims", "assess", "--incident", path(&f), "--today", "2025-03-17"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("unknown_offence_category"), "{text}");
    assert!(text.contains("undetermined: missing_date_of_birth"), "{text}");
}

#[test]
fn only_unknown_categories_and_nearly_empty_incidents_still_assess() {
    let dir = tempfile::tempdir().unwrap();
    for (i, doc) in
        [r#"{}"#, r#"{"people": [{"roles": ["victim"]}], "offence_categories": ["nope", ""]}"#].iter().enumerate()
    {
        let f = dir.path().join(format!("i{i}.json"));
        std::fs::write(&f, doc).unwrap();
        let a = assess_json(&f, &["--today", "2025-12-24"]);
        assert!(!a["undetermined"].as_array().unwrap().is_empty(), "{a}");
        let out = cli(&["victims", "assess", "--incident", path(&f)]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
}

#[test]
fn scotland_calendar_and_bad_inputs() {
    // Recorded Thursday 2025-04-17 (before Easter): England and Wales skips Good Friday and
    // Easter Monday; Scotland has no Easter Monday holiday.
    let (_d, f) = variant(|v| {
        v["recorded_at"] = json!("2025-04-17T10:00:00+01:00");
        v["offence_date"] = json!("2025-04-17");
    });
    let ew = assess_json(&f, &["--today", "2025-04-17"]);
    assert_eq!(victim(&ew, "P1")["referral_deadline"]["due"], "2025-04-23");
    let scot = assess_json(&f, &["--today", "2025-04-17", "--calendar", "scotland"]);
    assert_eq!(scot["calendar"], "scotland");
    assert_eq!(victim(&scot, "P1")["referral_deadline"]["due"], "2025-04-22");
    assert_eq!(scot["assessed_at"], "2025-04-17T23:59:59+01:00");

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"people": 3}"#).unwrap();
    let out = cli(&["victims", "assess", "--incident", path(&bad)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("bad.json") && stderr(&out).contains("line 1 column"), "{}", stderr(&out));

    let out = cli(&["victims", "assess", "--incident", path(&dir.path().join("missing.json"))]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot read"), "{}", stderr(&out));

    let out = cli(&["victims", "assess", "--incident", path(&example()), "--today", "2025-02-30"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--today"), "{}", stderr(&out));
}

/// Names and ids from the incident file reach the terminal written out when they hold control
/// characters: the file cannot clear the screen or retitle the window.
#[test]
fn escape_codes_in_the_incident_file_are_written_out() {
    let (_d, f) = variant(|v| {
        v["people"][0]["name"] = json!("Alex \u{1b}[2J\u{1b}[31mRED \u{202e}evil");
        v["incident_id"] = json!("INC\u{1b}]0;title\u{7}");
    });
    let out = cli(&["victims", "assess", "--incident", path(&f), "--today", "2025-03-17"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.chars().any(|c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{202e}'), "{text:?}");
    assert!(text.contains("INC\\u{1b}]0;title\\u{7}"), "{text}");
    assert!(text.contains("\\u{1b}[2J") && text.contains("\\u{202e}evil"), "{text}");
    // A file saved with a byte-order mark reads the same.
    let mut bom = "\u{feff}".as_bytes().to_vec();
    bom.extend(std::fs::read(&f).unwrap());
    std::fs::write(&f, bom).unwrap();
    // JSON escapes them itself, and stays valid JSON.
    let a = assess_json(&f, &["--today", "2025-03-17"]);
    assert_eq!(a["incident_id"], "INC\u{1b}]0;title\u{7}");
}

/// `victims decisions` and `victims withdraw` on a store: a decision withdrawn with a reason
/// (kept, queued for the sync), refusals for a blank reason, an unknown id and a second
/// withdrawal, each with a message and nothing written.
#[test]
fn decisions_are_listed_and_one_is_withdrawn_with_a_reason() {
    use bluelamp_protocol::casework::{ReferralDecisionInput, ReferralOutcome};
    use bluelamp_store::casework::{now_unix, NewIncident};
    use bluelamp_store::{KdfParams, NominalRecord, Store};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let referral_id = {
        let mut store = Store::create(&db, "pw-for-tests", "PC1", KdfParams::INSECURE_FAST).unwrap();
        let actor = store.actor().unwrap();
        store
            .upsert_nominals(&[NominalRecord {
                id: "V1".into(),
                source: bluelamp_protocol::Source::Current,
                given_name: "Siobhán".into(),
                surname: "Ó Súilleabháin".into(),
                date_of_birth: Some("1990-05-01".into()),
                sex: None,
                aliases: vec![],
                address: None,
                postcode: None,
            }])
            .unwrap();
        let t = now_unix() - 3600;
        store
            .import_incidents(&[NewIncident {
                id: Some("inc-1".into()),
                reference: "INC-CLI-1".into(),
                incident_type: "assault".into(),
                offence_category: Some("assault".into()),
                place: None,
                postcode: None,
                team: None,
                occurred_at: t,
                recorded_at: t,
                assigned_to: Some("PC1".into()),
                closing_code: None,
                links: vec![("V1".into(), "victim".into())],
            }])
            .unwrap();
        let d = ReferralDecisionInput {
            outcome: ReferralOutcome::Referred,
            destination: Some("general_victim_service".into()),
            consent_given: None,
            in_their_words: None,
            reason: None,
            follow_up_due: None,
            services_offered: vec![],
            safe_contact: None,
            needs: Default::default(),
        };
        store.record_referral_decision(&actor, "inc-1", "V1", &d).unwrap().id
    };
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_bluelamp-cli"))
            .arg("--db")
            .arg(&db)
            .args(args)
            .env("BLUELAMP_PASSPHRASE", "pw-for-tests")
            .output()
            .unwrap()
    };
    let listed = run(&["victims", "decisions", "--incident", "inc-1", "--json"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let list: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(list[0]["id"], json!(referral_id));
    assert_eq!(list[0]["status"], "active");

    // Refused: a blank reason, an unknown decision; nothing changes.
    let blank = run(&["victims", "withdraw", "--incident", "inc-1", "--referral", &referral_id, "--reason", "  "]);
    assert!(!blank.status.success() && stderr(&blank).contains("reason"), "{}", stderr(&blank));
    let unknown = run(&["victims", "withdraw", "--incident", "inc-1", "--referral", "nope", "--reason", "error"]);
    assert!(!unknown.status.success() && stderr(&unknown).contains("no referral decision"), "{}", stderr(&unknown));

    let reason = "Recoded DA: Siobhán must be asked first 🙂";
    let out =
        run(&["victims", "withdraw", "--incident", "inc-1", "--referral", &referral_id, "--reason", reason, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((d["status"].as_str(), d["withdrawal"]["reason"].as_str()), (Some("withdrawn"), Some(reason)));
    assert!(stderr(&out).contains("queued for the next sync"), "{}", stderr(&out));
    let text = run(&["victims", "decisions", "--incident", "inc-1"]);
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(text.contains("withdrawn") && text.contains(reason), "{text}");

    let again = run(&["victims", "withdraw", "--incident", "inc-1", "--referral", &referral_id, "--reason", "again"]);
    assert!(!again.status.success() && stderr(&again).contains("already withdrawn"), "{}", stderr(&again));
    // A store is needed, and said so.
    let no_db = cli(&["victims", "decisions", "--incident", "inc-1"]);
    assert!(!no_db.status.success() && stderr(&no_db).contains("--db"), "{}", stderr(&no_db));
}

/// The reviewer's repro (7 Dec 2026): a DA incident recorded at 02:10 on Wednesday 9 December
/// 2026 with a child of 10: the school is told before that morning's school day, not Thursday's.
/// And day 0 is the UK date, whatever offset `recorded_at` is written in: 23:30 UTC on 11 June
/// and 00:30 BST on the 12th are the same instant, the 12th.
#[test]
fn encompass_is_due_the_morning_after_an_overnight_recording_and_day_zero_is_uk_time() {
    let recorded = |at: &'static str| {
        variant(move |v| {
            v["recorded_at"] = json!(at);
            v["offence_date"] = json!(&at[..10]);
            for p in v["people"].as_array_mut().unwrap() {
                if p["id"] == "P3" {
                    p["date_of_birth"] = json!("2016-05-01");
                }
            }
        })
    };
    let (_dir, f) = recorded("2026-12-09T02:10:00Z");
    let a = assess_json(&f, &["--today", "2026-12-09"]);
    let school = victim(&a, "P3")["destinations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "operation_encompass")
        .cloned()
        .expect("a child of 10 present at DA");
    assert_eq!(school["due_before"], "2026-12-09", "{school}");

    let mut day0 = Vec::new();
    for at in ["2026-06-11T23:30:00Z", "2026-06-12T00:30:00+01:00"] {
        let (_dir, f) = recorded(at);
        let a = assess_json(&f, &["--today", "2026-06-20"]);
        day0.push((a["recorded_on"].clone(), victim(&a, "P1")["referral_deadline"]["due"].clone()));
    }
    assert_eq!(day0, vec![(json!("2026-06-12"), json!("2026-06-16")); 2]);
}

/// `victims under18` on a store: the answer for a victim with no date of birth is recorded
/// (queued for the sync) and the assessment goes by it; a victim with a date of birth, a person
/// not linked as a victim and an answer other than yes or no are refused with a message.
#[test]
fn the_under_18_question_is_answered_from_the_command_line() {
    use bluelamp_store::casework::{now_unix, NewIncident};
    use bluelamp_store::{KdfParams, NominalRecord, Store};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    {
        let mut store = Store::create(&db, "pw-for-tests", "PC1", KdfParams::INSECURE_FAST).unwrap();
        let person = |id: &str, dob: Option<&str>| NominalRecord {
            id: id.into(),
            source: bluelamp_protocol::Source::Current,
            given_name: "Kim".into(),
            surname: "Example".into(),
            date_of_birth: dob.map(String::from),
            sex: None,
            aliases: vec![],
            address: None,
            postcode: None,
        };
        store.upsert_nominals(&[person("V0", None), person("V1", Some("1990-05-01")), person("S1", None)]).unwrap();
        let t = now_unix() - 3600;
        store
            .import_incidents(&[NewIncident {
                id: Some("inc-1".into()),
                reference: "INC-CLI-U18".into(),
                incident_type: "assault".into(),
                offence_category: Some("assault".into()),
                place: None,
                postcode: None,
                team: None,
                occurred_at: t,
                recorded_at: t,
                assigned_to: Some("PC1".into()),
                closing_code: None,
                links: vec![
                    ("V0".into(), "victim".into()),
                    ("V1".into(), "victim".into()),
                    ("S1".into(), "suspect".into()),
                ],
            }])
            .unwrap();
    }
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_bluelamp-cli"))
            .arg("--db")
            .arg(&db)
            .args(args)
            .env("BLUELAMP_PASSPHRASE", "pw-for-tests")
            .output()
            .unwrap()
    };
    let under18 = |person: &str, answer: &str| {
        run(&["victims", "under18", "--incident", "inc-1", "--person", person, "--answer", answer, "--json"])
    };
    let dob = under18("V1", "yes");
    assert!(!dob.status.success() && stderr(&dob).contains("date of birth recorded"), "{}", stderr(&dob));
    let suspect = under18("S1", "yes");
    assert!(!suspect.status.success() && stderr(&suspect).contains("not linked"), "{}", stderr(&suspect));
    let maybe = under18("V0", "maybe");
    assert!(!maybe.status.success(), "{}", stderr(&maybe));

    let out = under18("V0", "yes");
    assert!(out.status.success(), "{}", stderr(&out));
    let a: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (a["nominal_id"].as_str(), &a["under_18"], a["answered_by"].as_str()),
        (Some("V0"), &json!(true), Some("PC1"))
    );
    assert!(stderr(&out).contains("queued for the next sync"), "{}", stderr(&out));

    let store = Store::open(&db, "pw-for-tests").unwrap();
    let panel = store.victims_assessment("inc-1", now_unix()).unwrap();
    let v0 = panel.assessment.victims.iter().find(|v| v.person_id == "V0").unwrap();
    assert_eq!(v0.under_18, Some(true), "{v0:?}");
    let queued: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM outbox WHERE mutation = 'victim.under18/1'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(queued, 1);
}

/// `victims event` and `victims told` on a store (Right 6): the event is recorded (queued for
/// the sync) and the victim is owed an update, 5 working days for an adult assault victim; a kind
/// not on the list and a date in the future are refused with a message; `told` records the
/// victim as told (queued) and the update is no longer owed; telling the suspect is refused.
#[test]
fn an_investigation_event_and_the_victim_told_from_the_command_line() {
    use bluelamp_store::casework::now_unix;
    use bluelamp_store::Store;
    let dir = tempfile::tempdir().unwrap();
    let db = assault_store(dir.path(), "INC-CLI-R6");
    let run = |args: &[&str]| run_on(&db, args);
    let today = bluelamp_store::victims::uk_time(now_unix()).date();
    let event =
        |kind: &str, on: &str| run(&["victims", "event", "--incident", "inc-1", "--kind", kind, "--on", on, "--json"]);
    let bad_kind = event("hanged", &today.to_string());
    assert!(
        !bad_kind.status.success() && stderr(&bad_kind).contains("not an investigation event"),
        "{}",
        stderr(&bad_kind)
    );
    let future = event("charged", &today.next_day().unwrap().to_string());
    assert!(!future.status.success() && stderr(&future).contains("future"), "{}", stderr(&future));

    let out = event("charged", &today.to_string());
    assert!(out.status.success(), "{}", stderr(&out));
    let e: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((e["kind"].as_str(), e["recorded_by"].as_str()), (Some("charged"), Some("PC1")));
    assert!(stderr(&out).contains("queued for the next sync"), "{}", stderr(&out));
    let event_id = e["id"].as_str().unwrap().to_string();
    let updates = || {
        let store = Store::open(&db, "pw-for-tests").unwrap();
        let panel = store.victims_assessment("inc-1", now_unix()).unwrap();
        let v = panel.assessment.victims.iter().find(|v| v.person_id == "V1").unwrap().clone();
        v.updates.iter().map(|u| (u.deadline.working_days, u.informed)).collect::<Vec<_>>()
    };
    assert_eq!(updates(), [(5, false)]);

    let told = |who: &str| {
        run(&[
            "victims",
            "told",
            "--incident",
            "inc-1",
            "--event",
            &event_id,
            "--person",
            who,
            "--how",
            "letter",
            "--json",
        ])
    };
    let suspect = told("S1");
    assert!(!suspect.status.success() && stderr(&suspect).contains("not a victim"), "{}", stderr(&suspect));
    let out = told("V1");
    assert!(out.status.success(), "{}", stderr(&out));
    let t: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((t["nominal_id"].as_str(), t["how"].as_str()), (Some("V1"), Some("letter")));
    assert_eq!(updates(), [(5, true)]);
    let store = Store::open(&db, "pw-for-tests").unwrap();
    let queued: Vec<String> = store
        .conn()
        .prepare(
            "SELECT mutation FROM outbox WHERE mutation IN ('investigation.event/1', 'victim.updated/1') ORDER BY seq",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(queued, ["investigation.event/1", "victim.updated/1"]);
}

/// Right 6 from the command line: `victims updates-wanted` records what updates a victim wants
/// (queued as `victim.update_preference/1`; an event they do not want is then not owed; the
/// suspect and an unknown preference are refused) and `victims told --told-on` records the day
/// they were told (a day in the future refused with a message).
#[test]
fn updates_wanted_and_the_day_told_from_the_command_line() {
    use bluelamp_store::casework::now_unix;
    use bluelamp_store::Store;
    let dir = tempfile::tempdir().unwrap();
    let db = assault_store(dir.path(), "INC-CLI-R6P");
    let run = |args: &[&str]| run_on(&db, args);
    let today = bluelamp_store::victims::uk_time(now_unix()).date();
    let yesterday = today.previous_day().unwrap().to_string();
    let out = run(&["victims", "event", "--incident", "inc-1", "--kind", "arrested", "--on", &yesterday, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let event_id = serde_json::from_slice::<Value>(&out.stdout).unwrap()["id"].as_str().unwrap().to_string();
    let wanted = |who: &str, wants: &str| {
        run(&["victims", "updates-wanted", "--incident", "inc-1", "--person", who, "--wants", wants, "--json"])
    };
    let weekly = wanted("V1", "weekly");
    assert!(!weekly.status.success() && stderr(&weekly).contains("key_decisions_only"), "{}", stderr(&weekly));
    let suspect = wanted("S1", "none");
    assert!(!suspect.status.success() && stderr(&suspect).contains("not a victim"), "{}", stderr(&suspect));
    let out = wanted("V1", "key_decisions_only");
    assert!(out.status.success(), "{}", stderr(&out));
    let p: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((p["nominal_id"].as_str(), p["wants"].as_str()), (Some("V1"), Some("key_decisions_only")));
    assert!(stderr(&out).contains("Key decisions only") && stderr(&out).contains("queued"), "{}", stderr(&out));
    let owed = || {
        let store = Store::open(&db, "pw-for-tests").unwrap();
        let panel = store.victims_assessment("inc-1", now_unix()).unwrap();
        let v = panel.assessment.victims.iter().find(|v| v.person_id == "V1").unwrap().clone();
        v.updates.iter().map(|u| (u.not_wanted, u.informed, u.told_on.map(|d| d.to_string()))).collect::<Vec<_>>()
    };
    assert_eq!(owed(), [(true, false, None)], "an arrest is not a key decision");

    let told = |on: &str| {
        run(&[
            "victims",
            "told",
            "--incident",
            "inc-1",
            "--event",
            &event_id,
            "--person",
            "V1",
            "--how",
            "phone",
            "--told-on",
            on,
            "--json",
        ])
    };
    let future = told(&today.next_day().unwrap().to_string());
    assert!(!future.status.success() && stderr(&future).contains("in the future"), "{}", stderr(&future));
    let out = told(&yesterday);
    assert!(out.status.success(), "{}", stderr(&out));
    let t: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(t["told_on"].as_str(), Some(yesterday.as_str()));
    assert!(stderr(&out).contains(&format!("told on {yesterday}")), "{}", stderr(&out));
    assert_eq!(owed(), [(false, true, Some(yesterday.clone()))]);
    let store = Store::open(&db, "pw-for-tests").unwrap();
    let queued: Vec<String> = store
        .conn()
        .prepare("SELECT mutation FROM outbox WHERE mutation LIKE 'victim.%' ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(queued, ["victim.update_preference/1", "victim.updated/1"]);
}

/// A store (passphrase `pw-for-tests`, officer PC1) holding incident `inc-1`, an assault three
/// days ago with victim V1 and suspect S1 (adults), under `reference`.
fn assault_store(dir: &Path, reference: &str) -> PathBuf {
    use bluelamp_store::casework::{now_unix, NewIncident};
    use bluelamp_store::{KdfParams, NominalRecord, Store};
    let db = dir.join("s.db");
    let mut store = Store::create(&db, "pw-for-tests", "PC1", KdfParams::INSECURE_FAST).unwrap();
    let person = |id: &str| NominalRecord {
        id: id.into(),
        source: bluelamp_protocol::Source::Current,
        given_name: "Kim".into(),
        surname: "Example".into(),
        date_of_birth: Some("1990-05-01".into()),
        sex: None,
        aliases: vec![],
        address: None,
        postcode: None,
    };
    store.upsert_nominals(&[person("V1"), person("S1")]).unwrap();
    let t = now_unix() - 3 * 86_400;
    store
        .import_incidents(&[NewIncident {
            id: Some("inc-1".into()),
            reference: reference.into(),
            incident_type: "assault".into(),
            offence_category: Some("assault".into()),
            place: None,
            postcode: None,
            team: None,
            occurred_at: t,
            recorded_at: t,
            assigned_to: Some("PC1".into()),
            closing_code: None,
            links: vec![("V1".into(), "victim".into()), ("S1".into(), "suspect".into())],
        }])
        .unwrap();
    db
}

/// `bluelamp-cli --db DB ARGS` with the passphrase of [`assault_store`].
fn run_on(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bluelamp-cli"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("BLUELAMP_PASSPHRASE", "pw-for-tests")
        .output()
        .unwrap()
}
