//! Pack tests: every shipped pack validates, shape of the shipped packs, and
//! validate_pack reports located errors.

use bluelamp_forms::*;
use serde_json::json;

fn pack_src(name: &str) -> &'static str {
    BUILTIN_PACK_SOURCES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s).expect("shipped pack")
}

#[test]
fn every_shipped_pack_validates() {
    for (name, json) in BUILTIN_PACK_SOURCES {
        let issues = validate_pack(json);
        assert!(issues.is_empty(), "{name}: {issues:#?}");
    }
    let packs = builtin_packs().unwrap();
    assert_eq!(packs.len(), 4);
    let mut ids: Vec<_> = packs.iter().map(|p| p.id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 4);
}

#[test]
fn shipped_files_on_disk_match_embedded_and_all_validate() {
    // Any extra pack a developer drops into assets/forms must validate too.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/forms");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(validate_pack(&text).is_empty(), "{}", path.display());
        n += 1;
    }
    assert!(n >= 4);
    assert!(validate_closing_codes(BUILTIN_CLOSING_CODES).is_empty());
    assert!(validate_config(BUILTIN_CONFIG).is_empty());
    assert_eq!(
        builtin_config().unwrap(),
        SafeguardingConfig { version: "2025.1".into(), ..SafeguardingConfig::default() }
    );
}

#[test]
fn every_shipped_question_has_guidance_and_kinds_cover_gates() {
    for p in builtin_packs().unwrap() {
        for s in &p.sections {
            assert!(s.guidance.as_deref().is_some_and(|g| !g.trim().is_empty()), "{}:{}", p.id, s.id);
            for q in &s.questions {
                assert!(q.guidance.as_deref().is_some_and(|g| !g.trim().is_empty()), "{}:{}", p.id, q.id);
                for f in &q.fields {
                    assert!(f.guidance.is_some(), "{}:{}.{}", p.id, q.id, f.id);
                }
            }
        }
    }
    let kinds: Vec<PackKind> = builtin_packs().unwrap().iter().map(|p| p.kind).collect();
    for k in [PackKind::RiskAssessment, PackKind::SafeguardingPlan, PackKind::CarePlan] {
        assert!(kinds.contains(&k), "{k:?}");
    }
}

#[test]
fn dash_pack_has_27_numbered_questions_and_follow_ups() {
    let p = parse_pack(pack_src("dash-style-da-risk.json")).unwrap();
    let numbered: Vec<&Question> =
        p.sections.iter().flat_map(|s| &s.questions).filter(|q| q.number.is_some()).collect();
    assert_eq!(numbered.len(), 27);
    assert!(numbered.iter().all(|q| q.is_scored() && q.required));
    let nums: Vec<String> = (1..=27).map(|n| n.to_string()).collect();
    assert!(numbered.iter().zip(&nums).all(|(q, n)| q.number.as_ref() == Some(n)));
    // Only the 27 count towards the total.
    let scored = p.sections.iter().flat_map(|s| &s.questions).filter(|q| q.is_scored()).count();
    assert_eq!(scored, 27);
    assert!(p.requires_grade);
    assert_eq!(p.grading.as_ref().and_then(|g| g.count_bands), Some(CountBands { medium: 10, high: 14 }));

    // Stalking follow-up only when q8 = yes; HBA when q4 or q20 = yes.
    let mut a = Answers::new();
    let vis = visible_sections(&p, &a);
    assert!(!vis.contains(&"stalking".to_string()));
    assert!(!vis.contains(&"hba".to_string()));
    a.insert("q8".into(), json!("yes"));
    assert!(visible_sections(&p, &a).contains(&"stalking".to_string()));
    a.insert("q8".into(), json!("dont_know"));
    assert!(!visible_sections(&p, &a).contains(&"stalking".to_string()));
    a.insert("q20".into(), json!({"value": "yes", "note": "brother"}));
    assert!(visible_sections(&p, &a).contains(&"hba".to_string()));
    a.remove("q20");
    a.insert("q4".into(), json!("yes"));
    assert!(visible_sections(&p, &a).contains(&"hba".to_string()));
    a.insert("q4".into(), json!("declined"));
    assert!(!visible_sections(&p, &a).contains(&"hba".to_string()));
}

#[test]
fn dara_pack_uses_frequency_for_coercive_control() {
    let p = parse_pack(pack_src("dara-style-da-risk.json")).unwrap();
    let control = p.sections.iter().find(|s| s.id == "control").unwrap();
    assert!(control.questions.len() >= 8);
    assert!(control
        .questions
        .iter()
        .all(|q| q.qtype == QuestionType::Frequency && q.tags.contains(&"coercive_control".to_string())));
    assert!(p.requires_grade);
}

#[test]
fn care_plan_has_required_blocks() {
    let p = parse_pack(pack_src("concern-for-child-care-plan.json")).unwrap();
    assert_eq!(p.kind, PackKind::CarePlan);
    let ids: Vec<&str> = p.sections.iter().map(|s| s.id.as_str()).collect();
    for want in [
        "children",
        "household",
        "agencies",
        "concern",
        "voice",
        "risks",
        "checks",
        "immediate",
        "consent",
        "assessment",
        "plan",
    ] {
        assert!(ids.contains(&want), "{want}");
    }
    let all: Vec<&Question> = p.sections.iter().flat_map(|s| &s.questions).collect();
    let enc = all.iter().find(|q| q.id == "encompass_time").unwrap();
    assert_eq!(enc.qtype, QuestionType::Datetime);
    let actions = all.iter().find(|q| q.id == "actions").unwrap();
    assert_eq!(actions.qtype, QuestionType::Group);
    assert!(actions.field("owner").is_some() && actions.field("due").is_some());
    assert!(all.iter().any(|q| q.id == "review_date" && q.qtype == QuestionType::Date));
}

fn base_pack() -> serde_json::Value {
    json!({
        "id": "t", "version": "1", "title": "T", "kind": "other",
        "sections": [
            {"id": "a", "title": "A", "questions": [
                {"id": "g", "text": "Gate", "type": "yes_no"},
                {"id": "c", "text": "Choice", "type": "single_choice",
                 "options": [{"id": "x", "label": "X"}]}
            ]},
            {"id": "b", "title": "B", "show_if": {"question": "g", "equals": "yes"}, "questions": [
                {"id": "t1", "text": "Text", "type": "text"}
            ]}
        ]
    })
}

fn issues_of(v: &serde_json::Value) -> Vec<PackIssue> {
    validate_pack(&v.to_string())
}

#[test]
fn validate_pack_accepts_the_base_and_rejects_with_locations() {
    assert!(issues_of(&base_pack()).is_empty());

    let cases: Vec<(&str, serde_json::Value, &str, &str)> = vec![
        (
            "unknown show_if ref",
            json!({"question": "q99", "equals": "yes"}),
            "sections[1].show_if",
            "unknown question id \"q99\"",
        ),
        (
            "forward ref",
            json!({"question": "t1", "answered": true}),
            "sections[1].show_if",
            "must be an earlier section",
        ),
        (
            "bad token",
            json!({"question": "g", "equals": "maybe"}),
            "sections[1].show_if",
            "\"maybe\" is not a valid answer",
        ),
        (
            "bad option token",
            json!({"question": "c", "one_of": ["y"]}),
            "sections[1].show_if",
            "\"y\" is not a valid answer",
        ),
        ("two forms", json!({"question": "g", "equals": "yes", "all": []}), "sections[1].show_if", "exactly one of"),
        ("no test", json!({"question": "g"}), "sections[1].show_if", "exactly one of \"equals\""),
        (
            "nested bad",
            json!({"all": [{"question": "g", "equals": "yes"}, {"not": {"question": "zz", "answered": true}}]}),
            "sections[1].show_if.all[1].not",
            "unknown question id \"zz\"",
        ),
        ("empty any", json!({"any": []}), "sections[1].show_if.any", "must not be empty"),
    ];
    for (name, cond, loc, msg) in cases {
        let mut p = base_pack();
        p["sections"][1]["show_if"] = cond;
        let issues = issues_of(&p);
        assert!(issues.iter().any(|i| i.location == loc && i.message.contains(msg)), "{name}: {issues:#?}");
    }
}

#[test]
fn validate_pack_structural_errors() {
    type Edit = fn(&mut serde_json::Value);
    let cases: Vec<(Edit, &str, &str)> = vec![
        (|p| p["id"] = json!("Bad Id"), "id", "invalid pack id"),
        (|p| p["version"] = json!(" "), "version", "must not be empty"),
        (|p| p["sections"] = json!([]), "sections", "at least one section"),
        (|p| p["sections"][1]["id"] = json!("a"), "sections[1].id", "duplicate section id"),
        (
            |p| p["sections"][1]["questions"][0]["id"] = json!("g"),
            "sections[1].questions[0].id",
            "duplicate question id",
        ),
        (
            |p| p["sections"][0]["questions"][1]["options"] = json!([]),
            "sections[0].questions[1].options",
            "needs options",
        ),
        (
            |p| p["sections"][0]["questions"][1]["options"][0]["id"] = json!("declined"),
            "sections[0].questions[1].options[0].id",
            "reserved",
        ),
        (
            |p| p["sections"][0]["questions"][0]["options"] = json!([{"id": "x", "label": "X"}]),
            "sections[0].questions[0].options",
            "not allowed",
        ),
        (
            |p| p["sections"][1]["questions"][0]["high_risk"] = json!(true),
            "sections[1].questions[0].high_risk",
            "cannot be a high-risk factor",
        ),
        (
            |p| p["sections"][0]["questions"][0]["tags"] = json!(["separaton"]),
            "sections[0].questions[0].tags[0]",
            "unknown tag",
        ),
        (
            |p| p["sections"][1]["questions"][0]["type"] = json!("group"),
            "sections[1].questions[0].fields",
            "at least one field",
        ),
        (
            |p| p["sections"][1]["questions"][0]["required_if"] = json!({"question": "t1", "answered": true}),
            "sections[1].questions[0].required_if",
            "must be another question",
        ),
        (
            |p| p["grading"] = json!({"count_bands": {"medium": 15, "high": 14}}),
            "grading.count_bands",
            "must not exceed",
        ),
        (
            |p| p["sections"][0]["questions"][0]["show_if"] = json!({"question": "c", "equals": "x"}),
            "sections[0].questions[0].show_if",
            "earlier question",
        ),
    ];
    for (edit, loc, msg) in cases {
        let mut p = base_pack();
        edit(&mut p);
        let issues = issues_of(&p);
        assert!(issues.iter().any(|i| i.location == loc && i.message.contains(msg)), "{loc} / {msg}: {issues:#?}");
    }
}

#[test]
fn validate_pack_group_field_conditions() {
    let mut p = base_pack();
    p["sections"][1]["questions"].as_array_mut().unwrap().push(json!({
        "id": "kids", "text": "Kids", "type": "group", "fields": [
            {"id": "sent", "text": "Sent", "type": "yes_no"},
            {"id": "time", "text": "Time", "type": "datetime", "show_if": {"question": "sent", "equals": "yes"}},
            {"id": "bad", "text": "Bad", "type": "text", "show_if": {"question": "g", "equals": "yes"}},
            {"id": "nested", "text": "N", "type": "group", "fields": [{"id": "z", "text": "Z", "type": "text"}]}
        ]
    }));
    let issues = issues_of(&p);
    assert!(
        issues.iter().any(|i| i.location == "sections[1].questions[1].fields[2].show_if"
            && i.message.contains("unknown question id \"g\"")),
        "{issues:#?}"
    );
    assert!(
        issues.iter().any(|i| i.location == "sections[1].questions[1].fields[3].type" && i.message.contains("nested")),
        "{issues:#?}"
    );
    assert!(!issues.iter().any(|i| i.location.contains("fields[1]")), "{issues:#?}");
}

#[test]
fn validate_pack_syntax_and_shape_errors_are_located() {
    let issues = validate_pack("{\n  \"id\": \"x\",\n  oops\n}");
    assert_eq!(issues.len(), 1);
    assert!(issues[0].location.starts_with("line 3"), "{issues:?}");
    let issues = validate_pack(r#"{"id":"x","version":"1","title":"t","kind":"other","sections":[],"colour":"red"}"#);
    assert!(issues[0].message.contains("unknown field `colour`"), "{issues:?}");
    let issues = validate_pack(r#"{"id":"x","version":"1","title":"t","kind":"spaceship","sections":[]}"#);
    assert!(issues[0].message.contains("unknown variant"), "{issues:?}");
    assert!(matches!(parse_pack("[]"), Err(FormsError::InvalidPack(_))));
    assert_eq!(validate_pack("").len(), 1);
}

#[test]
fn pack_issue_display_is_location_colon_message() {
    let mut p = base_pack();
    p["sections"][1]["show_if"] = json!({"question": "q99", "equals": "yes"});
    let text: Vec<String> = issues_of(&p).iter().map(ToString::to_string).collect();
    assert_eq!(text, vec!["sections[1].show_if: unknown question id \"q99\"".to_string()]);
}

#[test]
fn closing_codes_validation() {
    let codes = builtin_closing_codes().unwrap();
    assert!(codes.codes.len() >= 6);
    let da = codes.get("da").unwrap();
    assert_eq!(
        da.requires,
        vec![Requirement::RiskAssessment, Requirement::SafeguardingPlan, Requirement::VictimReferralDecision]
    );
    assert_eq!(codes.get("CFAC").unwrap().requires, vec![Requirement::CarePlan]);
    let bad = r#"{"version":"1","codes":[{"code":"DA","label":"x","requires":["care_plan","care_plan"]},{"code":"da","label":""},{"code":"bad code","label":"y"}]}"#;
    let issues = validate_closing_codes(bad);
    let locs: Vec<&str> = issues.iter().map(|i| i.location.as_str()).collect();
    assert!(locs.contains(&"codes[0].requires[1]"), "{issues:?}");
    assert!(locs.contains(&"codes[1].code"), "{issues:?}");
    assert!(locs.contains(&"codes[1].label"), "{issues:?}");
    assert!(locs.contains(&"codes[2].code"), "{issues:?}");
    assert!(!validate_closing_codes(r#"{"version":"1","codes":[{"code":"X","label":"x","requires":["teleport"]}]}"#)
        .is_empty());
    assert!(!validate_config(r#"{"grading":{"repeat_window_days":0}}"#).is_empty());
    assert!(!validate_config(r#"{"grading":{"repeat_window_months":0}}"#).is_empty());
    assert!(!validate_config(r#"{"grading":{"repeat_window_months":121}}"#).is_empty());
    assert!(validate_config(r#"{"grading":{"repeat_window_months":6}}"#).is_empty());
    // Months-long deadlines and rules that suggest Standard are refused.
    let issues =
        validate_config(r#"{"task_due_hours":{"marac_referral":100000},"grading":{"cluster_grade":"standard"}}"#);
    let at: Vec<&str> = issues.iter().map(|i| i.location.as_str()).collect();
    assert_eq!(at, ["task_due_hours.marac_referral", "grading.cluster_grade"], "{issues:?}");
    assert!(!validate_config(r#"{"deadlines_hours":{"care_plan":0}}"#).is_empty());
    assert!(validate_config(r#"{"deadlines_hours":{"care_plan":672},"grading":{"cluster_grade":"medium"}}"#).is_empty());
    assert!(validate_config("{}").is_empty());
    // An array is not a config (serde reads a struct from one: `[]` passed with defaults).
    for not_object in ["[]", "[1]", "3", "\"x\"", "null"] {
        assert!(!validate_config(not_object).is_empty(), "{not_object}");
        assert!(parse_config(not_object).is_err(), "{not_object}");
    }
}

/// A plan cannot be submitted empty by declining: what the officer writes (the children, what
/// was seen, risks, strengths, actions, closure criteria; the safeguarding actions, IDVA and
/// MARAC referrals) is not something a person can refuse to answer. What a person may refuse
/// to give (ethnicity, the victim's views and consent, a safe number) can still be declined.
#[test]
fn plans_cannot_be_emptied_by_declining() {
    let declined_all = |p: &FormPack| -> Answers {
        let mut a = Answers::new();
        for s in &p.sections {
            for q in &s.questions {
                a.insert(q.id.clone(), json!({ "declined": true }));
            }
        }
        a
    };
    for (file, must_refuse, may_decline) in [
        (
            "concern-for-child-care-plan.json",
            &["children", "seen_heard", "risks", "strengths", "actions", "closure_criteria", "seen"][..],
            &["pregnancy"][..],
        ),
        (
            "da-safeguarding-plan.json",
            &["p_actions", "r_idva", "r_marac", "c_children", "actions"][..],
            &["v_views", "v_consent"][..],
        ),
    ] {
        let p = parse_pack(pack_src(file)).unwrap();
        let issues = validate_answers(&p, &declined_all(&p), &ValidationContext::default());
        let refused: Vec<&str> =
            issues.iter().filter(|i| i.kind == IssueKind::DeclinedNotAllowed).map(|i| i.path.as_str()).collect();
        for id in must_refuse {
            assert!(refused.contains(id), "{file}: {id} could be declined ({refused:?})");
        }
        for id in may_decline {
            assert!(!refused.contains(id), "{file}: {id} can no longer be declined");
        }
    }
    // "No MARAC referral" and "no IDVA referral" need the officer's reason.
    let p = parse_pack(pack_src("da-safeguarding-plan.json")).unwrap();
    let mut a = Answers::new();
    a.insert("r_marac".into(), json!("no"));
    a.insert("r_idva".into(), json!("no"));
    let issues = validate_answers(&p, &a, &ValidationContext::default());
    assert!(issues.iter().any(|i| i.path == "r_marac_reason" && i.kind == IssueKind::Missing), "{issues:?}");
    assert!(issues.iter().any(|i| i.path == "r_idva_reason" && i.kind == IssueKind::Missing), "{issues:?}");
}

/// The care plan asks for the reasons the research asks for (voice of the child; parents
/// informed "with reasons"): who spoke to a child who was seen and what they said, why a child
/// was not seen, why the parents were not told, and a disability's details. Each was optional.
#[test]
fn the_care_plan_asks_for_the_voice_of_the_child_and_the_reasons() {
    let p = parse_pack(pack_src("concern-for-child-care-plan.json")).unwrap();
    let missing = |a: &Answers| -> Vec<String> {
        validate_answers(&p, a, &ValidationContext::default())
            .into_iter()
            .filter(|i| i.kind == IssueKind::Missing)
            .map(|i| i.path)
            .collect()
    };
    let mut a = Answers::new();
    a.insert("seen".into(), json!("yes"));
    a.insert("parents_informed".into(), json!("no"));
    a.insert("children".into(), json!([{ "disability": "yes" }]));
    let m = missing(&a);
    for path in ["spoken_by", "child_said", "parents_not_informed_reason", "children[0].disability_details"] {
        assert!(m.iter().any(|x| x == path), "{path} not asked for: {m:?}");
    }
    assert!(!m.iter().any(|x| x == "not_seen_reason"), "{m:?}");
    a.insert("seen".into(), json!("no"));
    a.insert("parents_informed".into(), json!("yes"));
    let m = missing(&a);
    assert!(m.iter().any(|x| x == "not_seen_reason"), "{m:?}");
    for path in ["spoken_by", "child_said", "parents_not_informed_reason"] {
        assert!(!m.iter().any(|x| x == path), "{path} asked for when it does not apply: {m:?}");
    }
}

/// A plan's review date is not in the past when it is submitted (the plan was overdue the moment
/// it went in); checked against "now" only, as at submission.
#[test]
fn a_plan_review_date_in_the_past_is_refused_at_submission() {
    use bluelamp_forms::answers::IssueKind;
    for file in ["da-safeguarding-plan.json", "concern-for-child-care-plan.json"] {
        let p = parse_pack(pack_src(file)).unwrap();
        // 2026-06-15 12:00 UTC.
        let now = 1_781_524_800;
        let ctx = ValidationContext { now: Some(now), ..ValidationContext::default() };
        let kinds = |date: &str| -> Vec<IssueKind> {
            let mut a = Answers::new();
            a.insert("review_date".into(), json!(date));
            validate_answers(&p, &a, &ctx).into_iter().filter(|i| i.path == "review_date").map(|i| i.kind).collect()
        };
        assert_eq!(kinds("2026-06-14"), [IssueKind::InPast], "{file}");
        assert!(kinds("2026-06-15").is_empty(), "{file}: today");
        assert!(kinds("2026-07-15").is_empty(), "{file}");
        // Without "now" (the wizard's own check), nothing is said.
        let mut a = Answers::new();
        a.insert("review_date".into(), json!("2020-01-01"));
        let none = validate_answers(&p, &a, &ValidationContext::default());
        assert!(!none.iter().any(|i| i.path == "review_date"), "{file}: {none:?}");
    }
}

/// The person causing harm is not the victim, on each DA form: the same linked person chosen for
/// both was accepted (and the assessment's history was then the victim's own).
#[test]
fn the_person_causing_harm_is_not_the_victim() {
    for file in ["dash-style-da-risk.json", "dara-style-da-risk.json", "da-safeguarding-plan.json"] {
        let p = parse_pack(pack_src(file)).unwrap();
        let linked = vec!["P1".to_string(), "P2".to_string()];
        let ctx = ValidationContext { linked_nominals: Some(&linked), ..ValidationContext::default() };
        let on_perpetrator = |victim: &str, perpetrator: serde_json::Value| -> Vec<IssueKind> {
            let mut a = Answers::new();
            a.insert("victim".into(), json!(victim));
            a.insert("perpetrator".into(), perpetrator);
            validate_answers(&p, &a, &ctx).into_iter().filter(|i| i.path == "perpetrator").map(|i| i.kind).collect()
        };
        assert_eq!(on_perpetrator("P1", json!("P1")), [IssueKind::Contradictory], "{file}");
        assert_eq!(on_perpetrator("P1", json!({ "value": "P1", "note": "x" })), [IssueKind::Contradictory], "{file}");
        assert!(on_perpetrator("P1", json!("P2")).is_empty(), "{file}");
    }
    let mut bad = base_pack();
    bad["sections"][0]["questions"][0]["not_same_as"] = json!("nobody");
    assert!(issues_of(&bad).iter().any(|i| i.location.ends_with("not_same_as")), "{:?}", issues_of(&bad));
}

/// Review, 7 Dec 2026: a risk assessment that does not ask for the officer's grade, a count band
/// of 0, and a JSON array read as a pack by position were all accepted.
#[test]
fn a_pack_or_code_list_that_defeats_the_gate_is_refused() {
    let mut p = base_pack();
    p["kind"] = json!("risk_assessment");
    let issues = issues_of(&p);
    assert!(issues.iter().any(|i| i.location == "requires_grade"), "{issues:?}");
    p["requires_grade"] = json!(true);
    assert!(issues_of(&p).is_empty(), "{:?}", issues_of(&p));
    p["grading"] = json!({"count_bands": {"medium": 0, "high": 0}});
    let issues = issues_of(&p);
    assert!(
        issues.iter().any(|i| i.location == "grading.count_bands" && i.message.contains("band of 0")),
        "{issues:?}"
    );
    // A code list may ask more than the shipped floor, never less: DA with its three, CFAC with
    // an approved care plan, both present.
    let shipped: serde_json::Value = serde_json::from_str(BUILTIN_CLOSING_CODES).unwrap();
    let with = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut v = shipped.clone();
        edit(&mut v);
        validate_closing_codes(&v.to_string())
    };
    let code = |v: &mut serde_json::Value, c: &str| -> usize {
        v["codes"].as_array().unwrap().iter().position(|x| x["code"] == c).unwrap()
    };
    let da_nothing = with(&|v| {
        let i = code(v, "DA");
        v["codes"][i]["requires"] = json!([]);
    });
    assert_eq!(da_nothing.len(), 3, "{da_nothing:?}");
    assert!(da_nothing.iter().any(|i| i.message == "DA must require \"safeguarding_plan\""), "{da_nothing:?}");
    let no_da = with(&|v| {
        let i = code(v, "DA");
        v["codes"].as_array_mut().unwrap().remove(i);
    });
    assert!(no_da.len() == 1 && no_da[0].message.starts_with("the list must have DA"), "{no_da:?}");
    let cfac_open = with(&|v| {
        let i = code(v, "CFAC");
        v["codes"][i]["requires_approval"] = json!(false);
    });
    assert!(cfac_open.len() == 1 && cfac_open[0].location.ends_with("requires_approval"), "{cfac_open:?}");
    let more = with(&|v| {
        let i = code(v, "ASB");
        v["codes"][i]["requires"] = json!(["risk_assessment"]);
    });
    assert!(more.is_empty(), "asking more is allowed: {more:?}");
    for text in ["[]", "[\"t\", \"1\"]", "42", "\"pack\""] {
        let issues = validate_pack(text);
        assert!(issues.len() == 1 && issues[0].message.contains("JSON object"), "{text}: {issues:?}");
        assert!(matches!(parse_pack(text), Err(FormsError::InvalidPack(_))));
        let issues = validate_closing_codes(text);
        assert!(issues.len() == 1 && issues[0].message.contains("JSON object"), "{text}: {issues:?}");
    }
}

/// A plan with nothing in it does not pass as one (review, 7 Dec 2026): a required text of
/// punctuation alone ("." as the reason for no MARAC referral, "-" as an action) is missing, and
/// an action due before today (1900, or last week) is refused at submission, as the review date
/// is. An optional text of "." is left alone; letters in any script count.
#[test]
fn a_plan_with_nothing_in_it_is_refused_at_submission() {
    use bluelamp_forms::answers::IssueKind;
    // 2026-06-15 12:00 UTC.
    let now = 1_781_524_800;
    let ctx = ValidationContext { now: Some(now), ..ValidationContext::default() };
    let p = parse_pack(pack_src("da-safeguarding-plan.json")).unwrap();
    let issues = |a: &Answers| -> Vec<(String, IssueKind)> {
        validate_answers(&p, a, &ctx).into_iter().map(|i| (i.path, i.kind)).collect()
    };
    let mut a = Answers::new();
    a.insert("r_marac".into(), json!("no"));
    a.insert("r_marac_reason".into(), json!(" . "));
    a.insert("p_details".into(), json!("."));
    a.insert(
        "actions".into(),
        json!([{"action": "-", "owner": "PC Demo", "due": "1900-01-01"},
               {"action": "Visit", "owner": "PC Demo", "due": "2026-06-14"},
               {"action": "Nádherné", "owner": "?!", "due": "2026-06-15"}]),
    );
    let got = issues(&a);
    let has = |path: &str, kind: IssueKind| got.iter().any(|(p, k)| p == path && *k == kind);
    assert!(has("r_marac_reason", IssueKind::Missing), "{got:?}");
    assert!(has("actions[0].action", IssueKind::Missing), "{got:?}");
    assert!(has("actions[0].due", IssueKind::InPast), "{got:?}");
    assert!(has("actions[1].due", IssueKind::InPast), "{got:?}");
    assert!(has("actions[2].owner", IssueKind::Missing), "{got:?}");
    for ok in ["p_details", "actions[1].action", "actions[2].action", "actions[2].due"] {
        assert!(!got.iter().any(|(p, _)| p == ok), "{ok}: {got:?}");
    }
    let message = validate_answers(&p, &a, &ctx).into_iter().find(|i| i.path == "r_marac_reason").unwrap().message;
    assert!(message.contains("in words"), "{message}");
    // The care plan's actions too.
    let cp = parse_pack(pack_src("concern-for-child-care-plan.json")).unwrap();
    let mut a = Answers::new();
    a.insert("actions".into(), json!([{"action": "Visit", "owner": "PC Demo", "due": "2001-02-03"}]));
    assert!(validate_answers(&cp, &a, &ctx).iter().any(|i| i.path == "actions[0].due" && i.kind == IssueKind::InPast));
}

/// A UK time in the hour the clocks skip (01:00-01:59 on the last Sunday of March) never
/// happened: the form asks which was meant instead of reading it as GMT (review, 7 Dec 2026).
#[test]
fn a_time_the_clocks_skipped_is_refused_with_what_to_do() {
    use bluelamp_forms::answers::IssueKind;
    let ctx = ValidationContext { now: Some(1_781_524_800), ..ValidationContext::default() };
    let cp = parse_pack(pack_src("concern-for-child-care-plan.json")).unwrap();
    let mut a = Answers::new();
    a.insert("when".into(), json!("2026-03-29T01:30"));
    let issue = validate_answers(&cp, &a, &ctx).into_iter().find(|i| i.path == "when").unwrap();
    assert_eq!(issue.kind, IssueKind::BadDate);
    assert!(
        issue.message.contains("did not happen in UK time") && issue.message.contains("+00:00"),
        "{}",
        issue.message
    );
    // Not without "now" (the central service, checking a form an older device accepted).
    assert!(!validate_answers(&cp, &a, &ValidationContext::default()).iter().any(|i| i.path == "when"));
    for ok in ["2026-03-29T01:30+00:00", "2026-03-29T02:30", "2025-10-26T01:30"] {
        a.insert("when".into(), json!(ok));
        assert!(!validate_answers(&cp, &a, &ctx).iter().any(|i| i.path == "when"), "{ok}");
    }
}

/// Dates a plan may hold are near today (review, 7 Dec 2026): a review in 2099 and an action due
/// in 9999 satisfied the gate, and a care plan took a concern of 1900, a child born in 1900 and
/// an Operation Encompass notification of 1899. A `not_in_past` date is at most a year and a day
/// ahead; the care plan's concern, notifications and referral are within a year back, a child's
/// date of birth within 18 years. An adult's is not limited.
#[test]
fn dates_far_from_today_are_refused() {
    use bluelamp_forms::answers::IssueKind;
    let now = 1_781_524_800; // 2026-06-15 12:00 UTC
    let ctx = ValidationContext { now: Some(now), ..ValidationContext::default() };
    let got = |p: &FormPack, a: &Answers| -> Vec<String> {
        validate_answers(p, a, &ctx).into_iter().filter(|i| i.kind == IssueKind::OutOfRange).map(|i| i.path).collect()
    };
    let plan = parse_pack(pack_src("da-safeguarding-plan.json")).unwrap();
    let mut a = Answers::new();
    a.insert("review_date".into(), json!("2099-12-31"));
    a.insert(
        "actions".into(),
        json!([{"action": "Visit", "owner": "PC A", "due": "9999-12-31"},
                                      {"action": "Call", "owner": "PC A", "due": "2027-06-16"}]),
    );
    assert_eq!(got(&plan, &a), ["actions[0].due", "review_date"]);
    a.insert("review_date".into(), json!("2027-06-16"));
    a.insert("actions".into(), json!([{"action": "Visit", "owner": "PC A", "due": "2027-06-17"}]));
    assert_eq!(got(&plan, &a), ["actions[0].due"], "a year and a day is the limit");
    let cp = parse_pack(pack_src("concern-for-child-care-plan.json")).unwrap();
    let mut a = Answers::new();
    a.insert("when".into(), json!("1900-01-01T10:00"));
    a.insert("encompass_time".into(), json!("1899-12-31T09:00"));
    a.insert("referral_time".into(), json!("2025-06-14T09:00"));
    a.insert("children".into(), json!([{"dob": "1900-01-01"}, {"dob": "2008-06-16"}]));
    a.insert("household".into(), json!([{"dob": "1940-01-01"}]));
    let paths = got(&cp, &a);
    for p in ["when", "children[0].dob"] {
        assert!(paths.iter().any(|x| x == p), "{p}: {paths:?}");
    }
    for p in ["children[1].dob", "household[0].dob", "referral_time"] {
        assert!(!paths.iter().any(|x| x == p), "{p}: {paths:?}");
    }
    let message = validate_answers(&cp, &a, &ctx).into_iter().find(|i| i.path == "when").unwrap().message;
    assert!(message.contains("check the year"), "{message}");
    // Without `now` (the central service), nothing is measured from today.
    assert!(validate_answers(&cp, &a, &ValidationContext::default()).iter().all(|i| i.kind != IssueKind::OutOfRange));
    // within_days needs a direction and a sane size.
    let mut p = base_pack();
    p["sections"][0]["questions"][0] = json!({"id": "d", "text": "D", "type": "date", "within_days": 30});
    assert!(issues_of(&p).iter().any(|i| i.message.contains("within_days needs")), "{:?}", issues_of(&p));
    p["sections"][0]["questions"][0] =
        json!({"id": "d", "text": "D", "type": "date", "not_in_past": true, "within_days": 0});
    assert!(issues_of(&p).iter().any(|i| i.message.contains("from 1 to")), "{:?}", issues_of(&p));
}
