//! Table tests for every grading rule, submit check, review transitions and tasks.

use bluelamp_forms::*;
use serde_json::{json, Value};

const DAY: i64 = 86_400;
const T: i64 = 1_750_000_000;

fn dash() -> FormPack {
    builtin_packs().unwrap().into_iter().find(|p| p.id == "dash-style-da-risk").unwrap()
}
fn dara() -> FormPack {
    builtin_packs().unwrap().into_iter().find(|p| p.id == "dara-style-da-risk").unwrap()
}

/// DASH question ids q1..q27 in order.
fn qid(n: u32) -> String {
    format!("q{n}")
}

/// Answers with the given DASH questions "yes" and every other numbered one "no".
fn dash_yes(yes: &[u32]) -> Answers {
    let p = dash();
    let mut a = Answers::new();
    for n in 1..=27 {
        let q = p.sections.iter().flat_map(|s| &s.questions).find(|q| q.id == qid(n)).unwrap();
        let v = match (q.qtype, yes.contains(&n)) {
            (QuestionType::YesNo, true) => json!("yes"),
            (QuestionType::YesNo, false) => json!("no"),
            (QuestionType::MultiChoice, true) => json!([q.options[0].id]),
            (QuestionType::MultiChoice, false) => json!(["none"]),
            _ => unreachable!(),
        };
        a.insert(qid(n), v);
    }
    a
}

fn grade(p: &FormPack, a: &Answers) -> RiskSuggestion {
    suggest_grade(p, a, &IncidentHistory::default(), T, &GradingConfig::default())
}

// Questions with no flag, no tag, no suggestion: q5, q7, q22, q23, q25, q3, q21, q24, q27, q10(children tag only), q11.
const PLAIN: [u32; 14] = [3, 5, 7, 10, 11, 21, 22, 23, 24, 25, 27, 1, 4, 16];

#[test]
fn count_bands_table() {
    // yes answers chosen among non-flagged questions first so only the count rule applies
    // for counts < 10; flagged ones raise to medium anyway.
    let plain_only: [u32; 9] = [3, 5, 7, 10, 11, 21, 22, 23, 25];
    for n in 0..=9usize {
        let s = grade(&dash(), &dash_yes(&plain_only[..n]));
        assert_eq!(s.yes_count as usize, n);
        assert_eq!(s.suggested, Grade::Standard, "{n} plain yes");
        assert!(s.high_risk_factors.is_empty());
    }
    let table: [(u32, Grade); 5] =
        [(9, Grade::Medium), (10, Grade::Medium), (13, Grade::Medium), (14, Grade::High), (27, Grade::High)];
    // q6 (separation) last so the cluster of three does not fire below 27.
    let order: Vec<u32> = (1..=27).filter(|n| *n != 6).chain([6]).collect();
    for (n, want) in table {
        let yes: Vec<u32> = order[..n as usize].to_vec();
        assert_eq!(grade(&dash(), &dash_yes(&yes)).cluster.met(), n == 27);
        let s = grade(&dash(), &dash_yes(&yes));
        assert_eq!(s.yes_count, n);
        assert_eq!(s.suggested, want, "{n} yes");
        let count = s.reasons.iter().find(|r| r.code == ReasonCode::Count).unwrap();
        let want_count = if n >= 14 {
            Grade::High
        } else if n >= 10 {
            Grade::Medium
        } else {
            Grade::Standard
        };
        assert_eq!(count.grade, want_count, "{n}");
        assert_eq!(s.marac_indicated, n >= 14, "{n}");
    }
}

#[test]
fn exactly_ten_plain_yes_is_medium_by_count_alone() {
    let s = grade(&dash(), &dash_yes(&PLAIN[..10]));
    assert_eq!(s.yes_count, 10);
    assert!(s.high_risk_factors.is_empty());
    assert_eq!(s.suggested, Grade::Medium);
    assert!(s.reasons.iter().all(|r| r.code == ReasonCode::Count));
}

#[test]
fn high_risk_factor_flags_each_question() {
    for n in [2u32, 6, 8, 9, 12, 13, 14, 15, 17, 18, 19, 20, 26] {
        let s = grade(&dash(), &dash_yes(&[n]));
        assert_eq!(s.high_risk_factors, vec![qid(n)], "q{n}");
        assert_eq!(s.suggested, Grade::Medium, "q{n}");
        assert!(s.reasons.iter().any(|r| r.code == ReasonCode::HighRiskFactor && r.question_id == Some(qid(n))));
    }
    // Declined / don't know are not positive.
    let mut a = dash_yes(&[]);
    a.insert("q18".into(), json!("declined"));
    a.insert("q17".into(), json!("dont_know"));
    let s = grade(&dash(), &a);
    assert_eq!(s.suggested, Grade::Standard);
    assert_eq!((s.declined_count, s.dont_know_count, s.unanswered_count), (1, 1, 0));
}

/// Declined and "don't know" never count as yes; but an assessment built on gaps says so,
/// instead of reading as a plain "Standard".
#[test]
fn gaps_that_could_change_the_band_are_flagged() {
    let flagged = |a: &Answers| grade(&dash(), a).reasons.iter().any(|r| r.code == ReasonCode::IncompleteAnswers);
    // Every question declined: 0 yes, Standard, flagged (the count could reach High).
    let mut all_declined = Answers::new();
    for n in 1..=27 {
        all_declined.insert(qid(n), json!({ "declined": true }));
    }
    let s = grade(&dash(), &all_declined);
    assert_eq!((s.yes_count, s.declined_count, s.suggested), (0, 27, Grade::Standard));
    let r = s.reasons.iter().find(|r| r.code == ReasonCode::IncompleteAnswers).expect("flagged");
    assert!(r.message.contains("27") && r.message.contains("High"), "{}", r.message);
    // Fully answered "no": nothing to flag.
    assert!(!flagged(&dash_yes(&[])));
    // Two gaps when 10 more yes would be needed for Medium: not flagged.
    let mut a = dash_yes(&[]);
    a.insert(qid(3), json!("dont_know"));
    a.insert(qid(5), json!({ "declined": true }));
    assert!(!flagged(&a));
}

#[test]
fn multi_choice_counts_once_and_none_is_not_positive() {
    let mut a = dash_yes(&[]);
    a.insert("q24".into(), json!(["drugs", "alcohol", "mental_health"]));
    assert_eq!(grade(&dash(), &a).yes_count, 1);
    a.insert("q24".into(), json!(["none"]));
    assert_eq!(grade(&dash(), &a).yes_count, 0);
}

#[test]
fn cluster_of_three_table() {
    // separation q6, coercive control q15 (or q4), physical q1/q16/q18 or sexual q19.
    let table: Vec<(Vec<u32>, bool)> = vec![
        (vec![6, 15, 1], true),
        (vec![6, 4, 19], true),
        (vec![6, 15, 18], true),
        (vec![6, 15], false),
        (vec![15, 1], false),
        (vec![6, 1], false),
        (vec![6, 15, 22], false),
    ];
    for (yes, met) in table {
        let s = grade(&dash(), &dash_yes(&yes));
        assert_eq!(s.cluster.met(), met, "{yes:?}");
        assert_eq!(s.reasons.iter().any(|r| r.code == ReasonCode::ClusterOfThree), met, "{yes:?}");
        if met {
            assert_eq!(s.suggested, Grade::High, "{yes:?}");
        } else {
            assert!(s.suggested < Grade::High, "{yes:?}");
        }
    }
}

#[test]
fn cluster_works_with_frequency_answers_in_dara() {
    let mut a = Answers::new();
    a.insert("h1".into(), json!("yes")); // separation
    a.insert("c3".into(), json!("sometimes")); // coercive control
    a.insert("b1".into(), json!("often")); // physical violence history
    let s = grade(&dara(), &a);
    assert!(s.cluster.met());
    assert_eq!(s.suggested, Grade::High);
    a.insert("c3".into(), json!("never"));
    let s = grade(&dara(), &a);
    assert!(!s.cluster.met());
    assert_eq!(s.suggested, Grade::Medium); // h1 is a high-risk factor
}

#[test]
fn dara_question_suggestion_and_hidden_follow_up() {
    let mut a = Answers::new();
    a.insert("a3".into(), json!("yes")); // strangulation in this incident suggests high
    let s = grade(&dara(), &a);
    assert_eq!(s.suggested, Grade::High);
    assert!(s.reasons.iter().any(|r| r.code == ReasonCode::QuestionSuggests));
    // f2 (believes the threat) suggests high but only counts when visible (f1 = yes).
    let mut a = Answers::new();
    a.insert("f2".into(), json!("yes"));
    assert_eq!(grade(&dara(), &a).suggested, Grade::Standard);
    a.insert("f1".into(), json!("yes"));
    assert_eq!(grade(&dara(), &a).suggested, Grade::High);
}

/// Post-separation stalking suggests High on the DARA-style pack (review, 7 Dec 2026: separated,
/// unwanted contact and following often since the relationship ended, coercive control and a
/// frightened victim suggested Medium, the very under-grading the DARA pilot reported).
#[test]
fn dara_post_separation_stalking_suggests_high() {
    let mut a = Answers::new();
    for (q, v) in [("h1", "yes"), ("d1", "often"), ("d2", "often"), ("c1", "often"), ("c6", "often"), ("g1", "yes")] {
        a.insert(q.into(), json!(v));
    }
    assert_eq!(grade(&dara(), &a).suggested, Grade::Medium, "stalking, not yet since the separation");
    a.insert("d4".into(), json!("yes"));
    let s = grade(&dara(), &a);
    assert_eq!(s.suggested, Grade::High, "{:?}", s.reasons);
    assert!(s.reasons.iter().any(|r| r.question_id.as_deref() == Some("d4") && r.code == ReasonCode::QuestionSuggests));
}

#[test]
fn repeat_incidents_table() {
    let cfg = GradingConfig::default();
    let table: Vec<(Vec<i64>, u32, bool)> = vec![
        (vec![], 1, false),
        (vec![T - 10 * DAY], 2, false),
        (vec![T - 10 * DAY, T - 300 * DAY], 3, true),
        (vec![T - 10 * DAY, T - 366 * DAY], 2, false), // outside 12 months
        (vec![T - 10 * DAY, T - 365 * DAY], 3, true),  // boundary inclusive
        (vec![T - 10 * DAY, T + DAY], 2, false),       // future ignored
        (vec![T - DAY, T - 2 * DAY, T - 3 * DAY], 4, true),
    ];
    for (prev, count, repeat) in table {
        let h = IncidentHistory { previous_da_incidents: prev.clone(), marac_referrals: vec![] };
        let s = suggest_grade(&dash(), &dash_yes(&[]), &h, T, &cfg);
        assert_eq!(s.incidents_in_window, count, "{prev:?}");
        assert_eq!(s.reasons.iter().any(|r| r.code == ReasonCode::RepeatIncidents), repeat, "{prev:?}");
        assert_eq!(s.suggested, if repeat { Grade::High } else { Grade::Standard }, "{prev:?}");
        assert_eq!(s.marac_indicated, repeat);
    }
    // Threshold is config.
    let cfg5 = GradingConfig { repeat_incident_threshold: 5, escalation_grade: Grade::Medium, ..cfg };
    let h = IncidentHistory { previous_da_incidents: vec![T - DAY, T - 2 * DAY, T - 3 * DAY], marac_referrals: vec![] };
    assert_eq!(suggest_grade(&dash(), &dash_yes(&[]), &h, T, &cfg5).suggested, Grade::Standard);
    let h = IncidentHistory {
        previous_da_incidents: vec![T - DAY, T - 2 * DAY, T - 3 * DAY, T - 4 * DAY],
        marac_referrals: vec![],
    };
    assert_eq!(suggest_grade(&dash(), &dash_yes(&[]), &h, T, &cfg5).suggested, Grade::Medium);
}

#[test]
fn repeat_marac_table() {
    let table: Vec<(Vec<i64>, bool)> = vec![
        (vec![], false),
        (vec![T - 30 * DAY], true),
        (vec![T - 400 * DAY], false),
        (vec![T - 400 * DAY, T - 364 * DAY], true),
        (vec![T + 5 * DAY], false),
    ];
    for (marac, want) in table {
        let h = IncidentHistory { previous_da_incidents: vec![], marac_referrals: marac.clone() };
        let s = suggest_grade(&dash(), &dash_yes(&[]), &h, T, &GradingConfig::default());
        assert_eq!(s.repeat_marac, want, "{marac:?}");
        assert_eq!(s.suggested, if want { Grade::High } else { Grade::Standard });
        assert_eq!(s.reasons.iter().any(|r| r.code == ReasonCode::RepeatMarac), want);
    }
}

/// "Within 12 months" is calendar months of UK days (review, 7 Dec 2026: 365 days measured to
/// the second missed 1 Mar 2027 from 29 Feb 2028, and the time of day changed the answer), and
/// only events before the incident count (one at the incident's own time was an earlier one).
#[test]
fn the_window_is_twelve_calendar_months_of_uk_days_before_the_incident() {
    let at = |s: &str| bluelamp_forms::time::parse_datetime(s).unwrap();
    let cfg = GradingConfig::default();
    let marac = |m: &str, now: &str| {
        let h = IncidentHistory { previous_da_incidents: vec![], marac_referrals: vec![at(m)] };
        suggest_grade(&dash(), &dash_yes(&[]), &h, at(now), &cfg).repeat_marac
    };
    assert!(marac("2027-03-01T10:00Z", "2028-02-29T09:00"));
    assert!(marac("2027-03-01T10:00Z", "2028-02-29T23:00"), "the time of day does not matter");
    assert!(marac("2027-02-28T00:30", "2028-02-29T23:00"), "29 Feb less 12 months is 28 Feb");
    assert!(!marac("2027-02-27T23:59", "2028-02-29T09:00"));
    assert!(!marac("2028-02-29T09:00", "2028-02-29T09:00"), "the incident's own time is not earlier");
    assert!(marac("2028-02-29T08:59", "2028-02-29T09:00"));
    let h = IncidentHistory {
        previous_da_incidents: vec![at("2026-06-01T12:00"), at("2026-05-01T12:00")],
        marac_referrals: vec![],
    };
    let s = suggest_grade(&dash(), &dash_yes(&[]), &h, at("2026-06-01T12:00"), &cfg);
    assert_eq!(s.incidents_in_window, 2, "the same instant is this incident, not a third");
    // A force counting days keeps its days, counted in whole UK days; the reason says which.
    let days = GradingConfig { repeat_window_days: 30, repeat_window_months: None, ..cfg.clone() };
    let h = |m: &str| IncidentHistory { previous_da_incidents: vec![], marac_referrals: vec![at(m)] };
    let s = suggest_grade(&dash(), &dash_yes(&[]), &h("2026-05-02T00:10"), at("2026-06-01T23:00"), &days);
    assert!(s.repeat_marac);
    assert!(
        s.reasons.iter().any(|r| r.message == "Repeat MARAC: a MARAC referral within the last 30 days"),
        "{:?}",
        s.reasons
    );
    assert!(
        !suggest_grade(&dash(), &dash_yes(&[]), &h("2026-05-01T23:59"), at("2026-06-01T00:10"), &days).repeat_marac
    );
    let s = suggest_grade(&dash(), &dash_yes(&[]), &h("2026-05-01T23:59"), at("2026-06-01T00:10"), &cfg);
    assert!(
        s.reasons.iter().any(|r| r.message == "Repeat MARAC: a MARAC referral within the last 12 months"),
        "{:?}",
        s.reasons
    );
}

#[test]
fn follow_up_sections_are_not_counted() {
    let mut a = dash_yes(&[8]);
    for s in ["s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"] {
        a.insert(s.into(), json!("yes"));
    }
    let s = grade(&dash(), &a);
    assert_eq!(s.yes_count, 1);
    assert!(s.high_risk_factors.contains(&"s7".to_string()));
}

#[test]
fn children_tag_sets_children_involved() {
    assert!(grade(&dash(), &dash_yes(&[10])).children_involved);
    assert!(!grade(&dash(), &dash_yes(&[5])).children_involved);
    // A dispute over contact with the children is about children, as DARA's own question
    // (h3) says: the Concern-for-a-Child prompt follows from either form.
    assert!(grade(&dash(), &dash_yes(&[7])).children_involved);
}

fn draft(p: &FormPack, answers: Value) -> FormRecord {
    let mut r = FormRecord::new_draft("f1", "inc1", p, "pc1");
    r.answers = answers.as_object().unwrap().clone();
    r
}

fn complete_dash_answers() -> Value {
    let mut a = Value::Object(dash_yes(&[1, 2]));
    a["victim"] = json!("v1");
    a["perpetrator"] = json!("p1");
    a["relationship"] = json!("ex_partner");
    a["checks_done"] = json!(["pnc"]);
    a
}

#[test]
fn submit_rejects_missing_grade_and_rationale() {
    let p = dash();
    let linked = vec!["v1".to_string(), "p1".to_string()];
    let ctx = ValidationContext { linked_nominals: Some(&linked), now: Some(T), dates_from: None };
    let mut r = draft(&p, complete_dash_answers());
    let issues = check_submit(&r, &p, &ctx);
    assert_eq!(issues, vec![SubmitIssue::MissingGrade, SubmitIssue::MissingRationale]);
    r.officer_grade = Some(Grade::Medium);
    r.rationale = Some("   ".into());
    assert_eq!(check_submit(&r, &p, &ctx), vec![SubmitIssue::MissingRationale]);
    // Invisible characters pasted in are no rationale either (review, 7 Dec 2026: a zero-width
    // space graded a 14-tick assessment Standard).
    for invisible in ["\u{200B}", "\u{200E}\u{FEFF} \u{00AD}", "\u{2060}\n\u{E0041}"] {
        r.rationale = Some(invisible.into());
        assert_eq!(check_submit(&r, &p, &ctx), vec![SubmitIssue::MissingRationale], "{invisible:?}");
    }
    // Punctuation or an emoji alone says nothing either.
    for nothing in [".", " - ", "?!", "👍"] {
        r.rationale = Some(nothing.into());
        assert_eq!(check_submit(&r, &p, &ctx), vec![SubmitIssue::MissingRationale], "{nothing:?}");
    }
    r.rationale = Some("\u{200B}Fear".into());
    assert_eq!(check_submit(&r, &p, &ctx), vec![]);
    r.rationale = Some("Injury and fear; no escalation history.".into());
    assert_eq!(check_submit(&r, &p, &ctx), vec![]);
    let s = submit(&r, &p, &ctx, T).unwrap();
    assert_eq!((s.status, s.submitted_at), (FormStatus::Submitted, Some(T)));
    // Submitted forms are immutable.
    assert!(matches!(
        submit(&s, &p, &ctx, T).unwrap_err().0.as_slice(),
        [SubmitIssue::NotEditable { status: FormStatus::Submitted }]
    ));
    // Field issues block too.
    let mut bad = r.clone();
    bad.answers.remove("q5");
    let err = submit(&bad, &p, &ctx, T).unwrap_err();
    assert!(matches!(&err.0[..], [SubmitIssue::Field(f)] if f.path == "q5" && f.kind == IssueKind::Missing));
    // Wrong pack version.
    let mut other = r.clone();
    other.pack_version = "0.9".into();
    assert!(matches!(check_submit(&other, &p, &ctx)[0], SubmitIssue::PackMismatch { .. }));
}

#[test]
fn plans_do_not_need_a_grade() {
    let p = builtin_packs().unwrap().into_iter().find(|p| p.kind == PackKind::SafeguardingPlan).unwrap();
    let r = draft(&p, json!({}));
    let issues = check_submit(&r, &p, &ValidationContext::default());
    assert!(!issues.is_empty());
    assert!(!issues.contains(&SubmitIssue::MissingGrade));
}

#[test]
fn review_transitions() {
    let p = dash();
    let mut r = draft(&p, complete_dash_answers());
    r.officer_grade = Some(Grade::High);
    r.rationale = Some("r".into());
    // Draft cannot be reviewed.
    assert_eq!(review(&r, "sgt", ReviewDecision::Approve, None, T), Err(ReviewError::NotSubmitted(FormStatus::Draft)));
    let s = submit(&r, &p, &ValidationContext::default(), T).unwrap();
    assert_eq!(review(&s, "pc1", ReviewDecision::Approve, None, T), Err(ReviewError::SelfReview));
    assert_eq!(review(&s, "sgt", ReviewDecision::Return, Some("  "), T), Err(ReviewError::MissingComments));
    assert_eq!(review(&s, "sgt", ReviewDecision::Return, Some("."), T), Err(ReviewError::MissingComments));
    let ret = review(&s, "sgt", ReviewDecision::Return, Some("Add Q21 from PNC"), T + 10).unwrap();
    assert_eq!(ret.status, FormStatus::Returned);
    assert!(ret.status.is_editable());
    assert_eq!(ret.reviews[0].comments.as_deref(), Some("Add Q21 from PNC"));
    let again = submit(&ret, &p, &ValidationContext::default(), T + 20).unwrap();
    let ok = review(&again, "sgt", ReviewDecision::Approve, None, T + 30).unwrap();
    assert_eq!(ok.status, FormStatus::Approved);
    assert_eq!(ok.reviews.len(), 2);
    assert_eq!(
        review(&ok, "sgt", ReviewDecision::Approve, None, T),
        Err(ReviewError::NotSubmitted(FormStatus::Approved))
    );
}

#[test]
fn generated_tasks_table() {
    let cfg = SafeguardingConfig::default();
    let p = dash();
    let kinds = |grade: Grade, sugg: &RiskSuggestion, kids: usize| -> Vec<TaskKind> {
        let mut r = draft(&p, json!({}));
        r.officer_grade = Some(grade);
        generated_tasks(&p, &r, Some(sugg), kids, T, &cfg).into_iter().map(|t| t.kind).collect()
    };
    let standard = grade(&dash(), &dash_yes(&[]));
    let high_count = grade(&dash(), &dash_yes(&(1..=14).collect::<Vec<_>>()));
    assert_eq!(kinds(Grade::Standard, &standard, 0), vec![TaskKind::SupervisorReview]);
    assert_eq!(kinds(Grade::Medium, &standard, 0), vec![TaskKind::SupervisorReview]);
    assert_eq!(
        kinds(Grade::High, &standard, 0),
        vec![TaskKind::SupervisorReview, TaskKind::MaracReferral, TaskKind::IdvaReferral]
    );
    assert_eq!(kinds(Grade::Standard, &standard, 2), vec![TaskKind::SupervisorReview, TaskKind::ConcernForChild]);
    // 14+ yes is a MARAC criterion even if the officer grades lower.
    assert_eq!(kinds(Grade::Medium, &high_count, 0).iter().filter(|k| **k == TaskKind::MaracReferral).count(), 1);
    let tasks = {
        let mut r = draft(&p, json!({}));
        r.officer_grade = Some(Grade::High);
        generated_tasks(&p, &r, None, 0, T, &cfg)
    };
    let marac = tasks.iter().find(|t| t.kind == TaskKind::MaracReferral).unwrap();
    assert_eq!(marac.due_at, T + 24 * 3600);
    // A care plan never prompts a care plan.
    let care = builtin_packs().unwrap().into_iter().find(|p| p.kind == PackKind::CarePlan).unwrap();
    let r = draft(&care, json!({}));
    let k: Vec<TaskKind> = generated_tasks(&care, &r, None, 3, T, &cfg).into_iter().map(|t| t.kind).collect();
    assert_eq!(k, vec![TaskKind::SupervisorReview]);
}

/// A pack without count bands (DARA-style) grades on its factors: an assessment with every
/// answer declined says that a factor left open could have raised the suggestion; and the
/// officer's own observations and the results of checks cannot be declined at all (review,
/// 7 Dec 2026: all 29 declined read as a plain "Standard" and passed validation).
#[test]
fn a_dara_assessment_built_on_gaps_says_so_and_the_officers_answers_cannot_be_declined() {
    let p = dara();
    let all: Value = serde_json::from_str(include_str!("data/dara-all-declined.json")).unwrap();
    let a: Answers = all.as_object().unwrap().clone().into_iter().collect();
    let s = grade(&p, &a);
    assert_eq!(s.suggested, Grade::Standard);
    let r = s.reasons.iter().find(|r| r.code == ReasonCode::IncompleteAnswers).expect("flagged");
    assert!(r.message.contains("could reach High"), "{}", r.message);
    // Answered no throughout: nothing to flag.
    let no: Answers =
        a.iter().map(|(k, v)| (k.clone(), if v.get("declined").is_some() { json!("no") } else { v.clone() })).collect();
    assert!(!grade(&p, &no).reasons.iter().any(|r| r.code == ReasonCode::IncompleteAnswers));
    let ctx = ValidationContext::default();
    let declined: Vec<String> = validate_answers(&p, &a, &ctx)
        .into_iter()
        .filter(|i| i.kind == IssueKind::DeclinedNotAllowed)
        .map(|i| i.path)
        .collect();
    for officers in ["i1", "i2", "i3", "i4"] {
        assert!(declined.contains(&officers.to_string()), "{officers}: {declined:?}");
    }
    for victims in ["a1", "h5"] {
        assert!(!declined.contains(&victims.to_string()), "{victims} stays declinable: {declined:?}");
    }
}
