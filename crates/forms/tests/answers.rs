//! Answer validation, visibility and progress.

use bluelamp_forms::*;
use serde_json::{json, Value};

fn pack() -> FormPack {
    parse_pack(
        &json!({
            "id": "t", "version": "1", "title": "T", "kind": "other",
            "sections": [
                {"id": "a", "title": "A", "questions": [
                    {"id": "yn", "text": "YN", "type": "yes_no", "required": true},
                    {"id": "fq", "text": "F", "type": "frequency"},
                    {"id": "one", "text": "One", "type": "single_choice",
                     "options": [{"id": "x", "label": "X"}, {"id": "y", "label": "Y"}]},
                    {"id": "many", "text": "Many", "type": "multi_choice",
                     "options": [{"id": "x", "label": "X"}, {"id": "y", "label": "Y"},
                                 {"id": "none", "label": "None", "positive": false}]},
                    {"id": "t", "text": "T", "type": "text", "max_length": 5},
                    {"id": "d", "text": "D", "type": "date", "not_in_future": true},
                    {"id": "dt", "text": "DT", "type": "datetime", "not_in_future": true},
                    {"id": "n", "text": "N", "type": "number", "min": 0, "max": 17},
                    {"id": "p", "text": "P", "type": "person"},
                    {"id": "strict", "text": "S", "type": "text", "allow_declined": false,
                     "required_if": {"question": "yn", "equals": "no"}},
                    {"id": "why", "text": "Why", "type": "text",
                     "show_if": {"question": "yn", "equals": "yes"}, "required": true}
                ]},
                {"id": "b", "title": "B", "show_if": {"question": "many", "equals": "y"}, "questions": [
                    {"id": "kids", "text": "Kids", "type": "group", "required": true,
                     "min_items": 1, "max_items": 2, "item_label": "Child", "fields": [
                        {"id": "child", "text": "Child", "type": "person", "required": true},
                        {"id": "sent", "text": "Sent", "type": "yes_no", "required": true},
                        {"id": "time", "text": "Time", "type": "datetime",
                         "show_if": {"question": "sent", "equals": "yes"},
                         "required_if": {"question": "sent", "equals": "yes"}}
                    ]}
                ]}
            ]
        })
        .to_string(),
    )
    .unwrap()
}

fn answers(v: Value) -> Answers {
    v.as_object().unwrap().clone()
}

const NOW: i64 = 1_717_230_600; // 2024-06-01T08:30Z

fn issues(a: Value) -> Vec<FieldIssue> {
    let linked = vec!["nom-1".to_string(), "nom-2".to_string()];
    let ctx = ValidationContext { linked_nominals: Some(&linked), now: Some(NOW), dates_from: None };
    validate_answers(&pack(), &answers(a), &ctx)
}

fn kinds(a: Value) -> Vec<(String, IssueKind)> {
    issues(a).into_iter().map(|i| (i.path, i.kind)).collect()
}

#[test]
fn valid_answers_have_no_issues() {
    let a = json!({
        "yn": "yes", "why": "because", "fq": "often", "one": "x", "many": ["x", "y"],
        "t": "abc", "d": "2024-05-31", "dt": "2024-06-01T08:00Z", "n": 7, "p": "nom-1",
        "kids": [{"child": "nom-2", "sent": "yes", "time": "2024-06-01T07:00+01:00"}],
        "_ui": {"page": 2}
    });
    assert_eq!(kinds(a), vec![]);
}

#[test]
fn every_issue_kind_is_reported_with_its_path() {
    let table: Vec<(Value, &str, IssueKind)> = vec![
        (json!({}), "yn", IssueKind::Missing),
        (json!({"yn": true}), "yn", IssueKind::WrongType),
        (json!({"yn": "maybe"}), "yn", IssueKind::UnknownOption),
        (json!({"yn": "no", "fq": "always"}), "fq", IssueKind::UnknownOption),
        (json!({"yn": "no", "one": "z"}), "one", IssueKind::UnknownOption),
        (json!({"yn": "no", "one": 3}), "one", IssueKind::WrongType),
        (json!({"yn": "no", "many": ["x", "q"]}), "many[1]", IssueKind::UnknownOption),
        (json!({"yn": "no", "many": ["x", "x"]}), "many[1]", IssueKind::UnknownOption),
        (json!({"yn": "no", "many": "x"}), "many", IssueKind::WrongType),
        (json!({"yn": "no", "many": ["x", "none"]}), "many", IssueKind::Contradictory),
        (json!({"yn": "no", "t": "toolong"}), "t", IssueKind::TooLong),
        (json!({"yn": "no", "t": 5}), "t", IssueKind::WrongType),
        (json!({"yn": "no", "d": "2024-02-30"}), "d", IssueKind::BadDate),
        (json!({"yn": "no", "d": "31/05/2024"}), "d", IssueKind::BadDate),
        (json!({"yn": "no", "d": 20240531}), "d", IssueKind::WrongType),
        (json!({"yn": "no", "d": "2024-06-02"}), "d", IssueKind::InFuture),
        (json!({"yn": "no", "dt": "2024-06-01T09:00Z"}), "dt", IssueKind::InFuture),
        (json!({"yn": "no", "dt": "yesterday"}), "dt", IssueKind::BadDate),
        // Unix seconds outside the years 1900-9999 (review, 7 Dec 2026).
        (json!({"yn": "no", "dt": -99_999_999_999_999i64}), "dt", IssueKind::BadDate),
        (json!({"yn": "no", "dt": -2_208_988_801i64}), "dt", IssueKind::BadDate),
        (json!({"yn": "no", "n": 18}), "n", IssueKind::OutOfRange),
        (json!({"yn": "no", "n": "7"}), "n", IssueKind::WrongType),
        (json!({"yn": "no", "p": "nom-9"}), "p", IssueKind::UnknownPerson),
        (json!({"yn": "no", "p": 1}), "p", IssueKind::WrongType),
        (json!({"yn": "no"}), "strict", IssueKind::Missing),
        (json!({"yn": "no", "strict": {"declined": true}}), "strict", IssueKind::DeclinedNotAllowed),
        (json!({"yn": "yes"}), "why", IssueKind::Missing),
        (json!({"yn": "no", "zz": 1}), "zz", IssueKind::UnknownQuestion),
        (json!({"yn": {"value": "yes", "note": 5}, "why": "x"}), "yn.note", IssueKind::WrongType),
        (json!({"yn": "no", "strict": "s", "many": ["y"]}), "kids", IssueKind::Missing),
        (json!({"yn": "no", "strict": "s", "many": ["y"], "kids": {"child": "nom-1"}}), "kids", IssueKind::WrongType),
        (json!({"yn": "no", "strict": "s", "many": ["y"], "kids": [1]}), "kids[0]", IssueKind::WrongType),
        (json!({"yn": "no", "strict": "s", "many": ["y"], "kids": [{}, {}, {}]}), "kids", IssueKind::TooManyItems),
        (
            json!({"yn": "no", "strict": "s", "many": ["y"], "kids": [{"child": "nom-1"}]}),
            "kids[0].sent",
            IssueKind::Missing,
        ),
        (
            json!({"yn": "no", "strict": "s", "many": ["y"], "kids": [{"child": "nom-7", "sent": "no"}]}),
            "kids[0].child",
            IssueKind::UnknownPerson,
        ),
        (
            json!({"yn": "no", "strict": "s", "many": ["y"], "kids": [{"child": "nom-1", "sent": "yes"}]}),
            "kids[0].time",
            IssueKind::Missing,
        ),
        (
            json!({"yn": "no", "strict": "s", "many": ["y"], "kids": [{"child": "nom-1", "sent": "no", "age": 3}]}),
            "kids[0].age",
            IssueKind::UnknownQuestion,
        ),
    ];
    for (a, path, kind) in table {
        let got = kinds(a.clone());
        assert!(got.contains(&(path.to_string(), kind)), "{a}: want {path} {kind:?}, got {got:?}");
    }
}

#[test]
fn declined_and_empty_forms() {
    // Declined satisfies "required"; both spellings.
    assert_eq!(kinds(json!({"yn": "declined", "strict": "s"})), vec![]);
    assert_eq!(kinds(json!({"yn": {"declined": true, "note": "victim upset"}, "strict": "s"})), vec![]);
    // "declined" text is just text for a text question (strict is text, allow_declined=false).
    assert_eq!(kinds(json!({"yn": "no", "strict": "declined"})), vec![]);
    // null / "" / [] / {"declined": false} mean not answered.
    for empty in [json!(null), json!(""), json!("   "), json!([]), json!({"declined": false}), json!({"value": null})] {
        let got = kinds(json!({"yn": empty, "strict": "s"}));
        assert_eq!(got, vec![("yn".to_string(), IssueKind::Missing)], "{empty}");
    }
}

#[test]
fn hidden_sections_are_not_validated() {
    // Section b hidden (many does not include y): bad kids answer ignored.
    assert_eq!(kinds(json!({"yn": "no", "strict": "s", "many": ["x"], "kids": "garbage"})), vec![]);
    // "why" hidden when yn = no, even if its answer is garbage.
    assert_eq!(kinds(json!({"yn": "no", "strict": "s", "why": 42})), vec![]);
}

#[test]
fn issues_carry_section_ids_and_progress_counts_visible_sections() {
    let p = pack();
    let ctx = ValidationContext::default();
    let a = answers(json!({"yn": "no", "many": ["y"]}));
    let ev = evaluate(&p, &a, &ctx);
    assert_eq!(ev.visible_sections, vec!["a", "b"]);
    assert_eq!(ev.progress.sections_total, 2);
    assert_eq!(ev.progress.sections_complete, 0);
    assert!(ev.issues.iter().all(|i| i.section_id.is_some()));
    assert_eq!(ev.sections[0].issues, 1); // strict
    assert_eq!(ev.sections[1].issues, 1); // kids

    let a = answers(json!({"yn": "no", "many": ["y"], "strict": "s"}));
    let pr = progress(&p, &a, &ctx);
    assert_eq!((pr.sections_complete, pr.sections_total, pr.percent()), (1, 2, 50));
    assert_eq!(pr.questions_visible, 11);
    assert_eq!(pr.questions_answered, 3);

    let a = answers(json!({"yn": "no", "many": ["x"], "strict": "s"}));
    let pr = progress(&p, &a, &ctx);
    assert!(pr.is_complete());
    assert_eq!(pr.percent(), 100);
    assert_eq!(visible_sections(&p, &a), vec!["a"]);
}

#[test]
fn context_checks_are_skipped_without_context() {
    let p = pack();
    let a = answers(json!({"yn": "no", "strict": "s", "p": "anyone", "d": "2999-01-01"}));
    assert_eq!(validate_answers(&p, &a, &ValidationContext::default()), vec![]);
}

#[test]
fn parse_answers_requires_an_object() {
    assert!(parse_answers(r#"{"q1":"yes"}"#).is_ok());
    assert!(matches!(parse_answers("[1]"), Err(FormsError::InvalidAnswers(_))));
    assert!(matches!(parse_answers("{"), Err(FormsError::InvalidAnswers(_))));
}

#[test]
fn shipped_care_plan_conditional_rules() {
    let p = builtin_packs().unwrap().into_iter().find(|p| p.id == "concern-for-child-care-plan").unwrap();
    let ctx = ValidationContext::default();
    let paths =
        |a: Value| -> Vec<String> { validate_answers(&p, &answers(a), &ctx).into_iter().map(|i| i.path).collect() };
    let got = paths(json!({"encompass_sent": "yes"}));
    assert!(got.contains(&"encompass_time".to_string()), "{got:?}");
    let got = paths(json!({"encompass_sent": "no"}));
    assert!(!got.contains(&"encompass_time".to_string()), "{got:?}");
    let got = paths(json!({"consent": "not_sought"}));
    assert!(got.contains(&"consent_reason".to_string()));
    let got = paths(json!({"consent": "given"}));
    assert!(!got.contains(&"consent_reason".to_string()));
    let got = paths(json!({"children": [{"child": "n1", "sex": "female"}]}));
    assert!(got.contains(&"children[0].age".to_string()), "estimated age needed without dob: {got:?}");
    let got = paths(json!({"children": [{"child": "n1", "dob": "2015-01-01"}]}));
    assert!(!got.contains(&"children[0].age".to_string()));
    let got = paths(json!({"actions": [{"action": "Visit"}]}));
    assert!(got.contains(&"actions[0].owner".to_string()) && got.contains(&"actions[0].due".to_string()));
    let got = paths(json!({"review_date": "declined"}));
    assert!(got.contains(&"review_date".to_string()));
}

#[test]
fn group_item_visibility_follows_sibling_conditions() {
    let p = pack();
    let kids = p.sections[1].questions[0].clone();
    let item = |v: Value| v.as_object().cloned().unwrap();
    assert_eq!(group_item_visibility(&kids, &item(json!({}))), [true, true, false]);
    assert_eq!(group_item_visibility(&kids, &item(json!({"sent": "yes"}))), [true, true, true]);
    assert_eq!(group_item_visibility(&kids, &item(json!({"sent": "no", "time": "x"}))), [true, true, false]);
    assert_eq!(group_item_visibility(&kids, &item(json!({"sent": {"declined": true}}))), [true, true, false]);
}

/// What an officer types in the wizard is UK time: in summer, a time 15 minutes ago is not in
/// the future (it was refused as an hour ahead), and just after midnight BST today's date is
/// today (it was still yesterday in UTC).
#[test]
fn times_and_dates_typed_without_a_zone_are_uk_time() {
    // NOW is 09:30 BST.
    assert_eq!(kinds(json!({"yn": "yes", "why": "x", "dt": "2024-06-01T09:15"})), vec![]);
    assert_eq!(
        kinds(json!({"yn": "yes", "why": "x", "dt": "2024-06-01T09:45"})),
        vec![("dt".to_string(), IssueKind::InFuture)]
    );
    let linked = vec!["nom-1".to_string()];
    let half_past_midnight_bst = 1_717_284_600; // 2024-06-01T23:30Z = 2 June 00:30 BST
    let ctx = ValidationContext { linked_nominals: Some(&linked), now: Some(half_past_midnight_bst), dates_from: None };
    let a = answers(json!({"yn": "yes", "why": "x", "d": "2024-06-02"}));
    assert_eq!(validate_answers(&pack(), &a, &ctx), vec![]);
    let a = answers(json!({"yn": "yes", "why": "x", "d": "2024-06-03"}));
    assert_eq!(validate_answers(&pack(), &a, &ctx).len(), 1);
}

/// An app update changes a pack (1 → 2: a question removed, a group field removed, a required
/// question added): a draft's answers carry forward, nothing is lost, and only the new question
/// is missing.
#[test]
fn a_draft_carries_forward_to_a_new_pack_version() {
    let v2 = parse_pack(
        &json!({
            "id": "t", "version": "2", "title": "T", "kind": "other",
            "sections": [
                {"id": "a", "title": "A", "questions": [
                    {"id": "yn", "text": "YN", "type": "yes_no", "required": true},
                    {"id": "t", "text": "T", "type": "text", "max_length": 5},
                    {"id": "new", "text": "New", "type": "yes_no", "required": true},
                    {"id": "kids", "text": "Kids", "type": "group", "item_label": "Child", "fields": [
                        {"id": "child", "text": "Child", "type": "person", "required": true}
                    ]}
                ]}
            ]
        })
        .to_string(),
    )
    .unwrap();
    let old = answers(json!({
        "yn": "no", "t": "abc", "fq": "often", "_officer_grade": "high",
        "kids": [{"child": "nom-1", "sent": "no"}]
    }));
    let linked = vec!["nom-1".to_string()];
    let ctx = ValidationContext { linked_nominals: Some(&linked), now: Some(NOW), dates_from: None };
    let unknown = |a: &Answers| {
        validate_answers(&v2, a, &ctx).into_iter().filter(|i| i.kind == IssueKind::UnknownQuestion).count()
    };
    assert_eq!(unknown(&old), 2, "as they were, the answers would block submitting");

    let a = carry_forward(&old, "1", &v2);
    assert_eq!(a["yn"], "no");
    assert_eq!(a["t"], "abc");
    assert_eq!(a["_officer_grade"], "high");
    assert_eq!(a["kids"], json!([{"child": "nom-1"}]));
    assert_eq!(a[CARRIED_KEY], json!({"from": "1", "answers": {"fq": "often", "kids[0].sent": "no"}}));
    let left: Vec<(String, IssueKind)> =
        validate_answers(&v2, &a, &ctx).into_iter().map(|i| (i.path, i.kind)).collect();
    assert_eq!(left, [("new".to_string(), IssueKind::Missing)]);
    // Already of this version: unchanged. Carried twice: the first step's answers stay.
    assert_eq!(carry_forward(&a, "2", &v2), a);
    let mut again = a.clone();
    again.insert("gone-too".into(), json!("x"));
    again.insert("fq".into(), json!("daily")); // asked again by a version between, answered anew
    let b = carry_forward(&again, "2.1", &v2);
    assert_eq!(b[CARRIED_KEY]["answers"]["fq"], "daily", "the newer answer wins");
    assert_eq!(b[CARRIED_KEY]["answers"]["kids[0].sent"], "no");
    assert_eq!(b[CARRIED_KEY]["answers"]["gone-too"], "x");
}
