//! Closing-code gates (each missing-item case), supervisor queue ordering, counts, daily
//! review, and the simulated shift.

use bluelamp_forms::*;

const H: i64 = 3_600;
const NOW: i64 = 1_750_000_000;

fn codes() -> ClosingCodes {
    builtin_closing_codes().unwrap()
}

fn form(id: &str, kind: PackKind, status: FormStatus) -> FormSummary {
    FormSummary {
        form_id: id.into(),
        pack_id: "p".into(),
        kind,
        status,
        officer_grade: None,
        submitted_at: status.is_submitted().then_some(NOW - 2 * H),
        suggested_grade: None,
        sections: Vec::new(),
        victim_id: None,
    }
}

fn victim(id: &str, decided: bool) -> VictimReferralState {
    VictimReferralState {
        victim_id: id.into(),
        name: format!("Victim {id}"),
        decision_recorded: decided,
        notifications_due: vec![],
    }
}

fn complete_da() -> SafeguardingState {
    SafeguardingState {
        forms: vec![
            form("ra", PackKind::RiskAssessment, FormStatus::Submitted),
            form("sp", PackKind::SafeguardingPlan, FormStatus::Approved),
        ],
        victims: vec![victim("v1", true)],
        assessed_victims: vec![],
    }
}

fn missing(sel: &[&str], st: &SafeguardingState) -> Vec<(MissingKind, Option<String>, Option<String>, String)> {
    match check_closure(&codes(), sel, st) {
        Ok(()) => vec![],
        Err(items) => items.into_iter().map(|m| (m.kind, m.form_id, m.victim_id, m.label)).collect(),
    }
}

/// One victim can have two notifications due (a child: Operation Encompass and children's
/// services): both are missing items, not one.
#[test]
fn two_notifications_for_one_victim_are_two_items() {
    let mut st = complete_da();
    st.victims[0].notifications_due = vec!["Operation Encompass".into(), "Children's services".into()];
    let items = missing(&["DA"], &st);
    assert_eq!(items.iter().filter(|m| m.0 == MissingKind::Notification).count(), 2, "{items:?}");
    let q = build_queue(&[inc("x", "A", 1, &["DA"], st, None)], &codes(), &SafeguardingConfig::default(), NOW);
    let n = q.items[0].problems.iter().filter(|p| p.item == MissingKind::Notification).count();
    assert_eq!(n, 2, "{:?}", q.items[0].problems);
}

#[test]
fn complete_da_and_cfac_may_close() {
    assert_eq!(check_closure(&codes(), &["DA"], &complete_da()), Ok(()));
    let mut st = complete_da();
    st.forms.push(form("cp", PackKind::CarePlan, FormStatus::Submitted));
    // Supervisor review is mandatory before closing with a Concern-for-a-Child code: a care plan
    // only submitted does not close it.
    assert_eq!(
        missing(&["DA", "CFAC"], &st).into_iter().map(|m| m.0).collect::<Vec<_>>(),
        vec![MissingKind::SupervisorApproval]
    );
    st.forms.last_mut().unwrap().status = FormStatus::Approved;
    assert_eq!(check_closure(&codes(), &["DA", "CFAC"], &st), Ok(()));
    assert_eq!(check_closure(&codes(), &["ASB"], &SafeguardingState::default()), Ok(()));
}

#[test]
fn each_missing_item_case() {
    use MissingKind::*;
    type Case = (
        &'static str,
        Vec<&'static str>,
        fn(&mut SafeguardingState),
        Vec<(MissingKind, Option<&'static str>, Option<&'static str>, &'static str)>,
    );
    let cases: Vec<Case> = vec![
        (
            "no risk assessment",
            vec!["DA"],
            |s| s.forms.retain(|f| f.kind != PackKind::RiskAssessment),
            vec![(RiskAssessment, None, None, "Complete a risk assessment")],
        ),
        (
            "draft risk assessment",
            vec!["DA"],
            |s| s.forms[0].status = FormStatus::Draft,
            vec![(RiskAssessment, Some("ra"), None, "Submit the draft risk assessment")],
        ),
        (
            "returned risk assessment",
            vec!["DA"],
            |s| s.forms[0].status = FormStatus::Returned,
            vec![(RiskAssessment, Some("ra"), None, "Amend and resubmit the returned risk assessment")],
        ),
        (
            "no plan",
            vec!["DA"],
            |s| s.forms.retain(|f| f.kind != PackKind::SafeguardingPlan),
            vec![(SafeguardingPlan, None, None, "Complete a safeguarding plan")],
        ),
        (
            "no victim linked",
            vec!["DA"],
            |s| s.victims.clear(),
            vec![(VictimReferralDecision, None, None, "Link the victim and record a Victims' Code referral decision")],
        ),
        (
            "one victim undecided",
            vec!["DA"],
            |s| s.victims.push(victim("v2", false)),
            vec![(VictimReferralDecision, None, Some("v2"), "Record the victim referral decision for Victim v2")],
        ),
        ("no care plan", vec!["CFAC"], |_| {}, vec![(CarePlan, None, None, "Complete a care plan")]),
        (
            "draft care plan",
            vec!["CFAC"],
            |s| s.forms.push(form("cp", PackKind::CarePlan, FormStatus::Draft)),
            vec![(CarePlan, Some("cp"), None, "Submit the draft care plan")],
        ),
        ("no code", vec![], |_| {}, vec![(NoClosingCode, None, None, "Choose a closing code")]),
        ("blank code", vec!["  "], |_| {}, vec![(NoClosingCode, None, None, "Choose a closing code")]),
        (
            "unknown code",
            vec!["XYZ"],
            |_| {},
            vec![(UnknownClosingCode, None, None, "Unknown closing code \"XYZ\": choose a code from the list")],
        ),
        (
            "everything missing for DA+CFAC",
            vec!["DA", "CFAC"],
            |s| *s = SafeguardingState::default(),
            vec![
                (RiskAssessment, None, None, "Complete a risk assessment"),
                (SafeguardingPlan, None, None, "Complete a safeguarding plan"),
                (VictimReferralDecision, None, None, "Link the victim and record a Victims' Code referral decision"),
                (CarePlan, None, None, "Complete a care plan"),
            ],
        ),
        (
            "DA and HBA share requirements (deduplicated)",
            vec!["DA", "HBA"],
            |s| s.forms.clear(),
            // One risk-assessment item, with what HBA adds to it.
            vec![
                (
                    RiskAssessment,
                    None,
                    None,
                    "Complete a risk assessment (the HBA code needs its honour-based abuse and forced marriage \
                     follow-up, which opens on the DASH-style risk assessment when question 4 or 20 is answered yes)",
                ),
                (SafeguardingPlan, None, None, "Complete a safeguarding plan"),
            ],
        ),
        (
            "care plan of another kind does not count",
            vec!["CFAC"],
            |s| s.forms.push(form("x", PackKind::Other, FormStatus::Approved)),
            vec![(CarePlan, None, None, "Complete a care plan")],
        ),
    ];
    for (name, sel, edit, want) in cases {
        let mut st = complete_da();
        edit(&mut st);
        let got = missing(&sel, &st);
        let want: Vec<_> =
            want.into_iter().map(|(k, f, v, l)| (k, f.map(String::from), v.map(String::from), l.to_string())).collect();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn approval_required_codes_report_supervisor_approval() {
    // Read without validation: a list of CFAC alone is below the shipped floor (no DA).
    let list: ClosingCodes = serde_json::from_str(
        r#"{"version":"t","codes":[{"code":"CFAC","label":"c","requires":["care_plan"],"requires_approval":true}]}"#,
    )
    .unwrap();
    let st = SafeguardingState {
        forms: vec![form("cp", PackKind::CarePlan, FormStatus::Submitted)],
        victims: vec![],
        assessed_victims: vec![],
    };
    let err = check_closure(&list, &["CFAC"], &st).unwrap_err();
    assert_eq!(err[0].kind, MissingKind::SupervisorApproval);
    assert_eq!(err[0].form_id.as_deref(), Some("cp"));
    let st = SafeguardingState {
        forms: vec![form("cp", PackKind::CarePlan, FormStatus::Approved)],
        victims: vec![],
        assessed_victims: vec![],
    };
    assert_eq!(check_closure(&list, &["cfac"], &st), Ok(()));
}

fn inc(
    id: &str,
    team: &str,
    hours_ago: i64,
    codes: &[&str],
    state: SafeguardingState,
    grade: Option<Grade>,
) -> QueueIncident {
    let mut state = state;
    if let Some(g) = grade {
        state.forms.push(FormSummary {
            officer_grade: Some(g),
            ..form(&format!("{id}-ra"), PackKind::RiskAssessment, FormStatus::Approved)
        });
    }
    QueueIncident {
        id: id.into(),
        team: team.into(),
        occurred_at: NOW - hours_ago * H,
        codes: codes.iter().map(|s| s.to_string()).collect(),
        coded_at: Some(NOW - hours_ago * H),
        closed_at: None,
        nfa_dup_reason: None,
        state,
    }
}

fn plan_only() -> SafeguardingState {
    SafeguardingState { forms: vec![], victims: vec![victim("v", true)], assessed_victims: vec![] }
}

#[test]
fn queue_orders_by_risk_then_urgency() {
    let cfg = SafeguardingConfig::default();
    let incidents = vec![
        inc("std-old", "A", 50, &["DA"], plan_only(), Some(Grade::Standard)),
        inc("med-new", "A", 2, &["DA"], plan_only(), Some(Grade::Medium)),
        inc("high-new", "B", 1, &["DA"], plan_only(), Some(Grade::High)),
        inc("ungraded", "B", 5, &["DA"], plan_only(), None),
        inc("high-old", "A", 30, &["DA"], plan_only(), Some(Grade::High)),
        inc("med-old", "B", 40, &["DA"], plan_only(), Some(Grade::Medium)),
        inc("done", "A", 10, &["DA"], complete_da(), None),
        inc("asb", "A", 10, &["ASB"], SafeguardingState::default(), None),
    ];
    let q = build_queue(&incidents, &codes(), &cfg, NOW);
    let order: Vec<&str> = q.items.iter().map(|i| i.incident_id.as_str()).collect();
    // "done" meets its gate but its risk assessment is unreviewed, so it stays on the queue;
    // it has no grade, so it ranks with the ungraded, after "ungraded", whose risk assessment
    // is due sooner than the review of "done" (though "done" is older).
    assert_eq!(order, vec!["high-old", "high-new", "ungraded", "done", "med-old", "med-new", "std-old"]);
    let done = q.items.iter().find(|i| i.incident_id == "done").unwrap();
    assert!(done.problems.iter().all(|p| p.kind == ProblemKind::Unreviewed));
    assert!(!order.contains(&"asb"));
}

/// An officer's "Standard" against a suggested "High" (14 yes answers) ranks with the high
/// risks, and the item says the suggestion is above the officer's grade.
#[test]
fn a_suggestion_above_the_officers_grade_ranks_by_the_suggestion() {
    let cfg = SafeguardingConfig::default();
    let awaiting_review = |id: &str, hours: i64, officer: Grade, suggested: Grade| {
        let mut i = inc(id, "A", hours, &["DA"], plan_only(), Some(officer));
        let f = i.state.forms.last_mut().unwrap();
        f.status = FormStatus::Submitted;
        f.suggested_grade = Some(suggested);
        i
    };
    let understated = awaiting_review("understated", 50, Grade::Standard, Grade::High);
    let agreed = awaiting_review("agreed", 40, Grade::Medium, Grade::Medium);
    // Approved by a supervisor: the officer's grade stands.
    let mut accepted = inc("accepted", "A", 60, &["DA"], plan_only(), Some(Grade::Standard));
    accepted.state.forms.last_mut().unwrap().suggested_grade = Some(Grade::High);
    let high = inc("high", "A", 2, &["DA"], plan_only(), Some(Grade::High));
    let incidents = vec![agreed, understated, high, accepted];
    let q = build_queue(&incidents, &codes(), &cfg, NOW);
    let order: Vec<(&str, QueueRisk, bool)> =
        q.items.iter().map(|i| (i.incident_id.as_str(), i.risk, i.suggestion_above_grade)).collect();
    assert_eq!(
        order,
        vec![
            ("understated", QueueRisk::High, true),
            ("high", QueueRisk::High, false),
            ("agreed", QueueRisk::Medium, false),
            ("accepted", QueueRisk::Standard, false)
        ]
    );
}

#[test]
fn queue_problem_kinds_and_deadlines() {
    let cfg = SafeguardingConfig::default();
    // 30 h old, nothing done: risk assessment (24 h) overdue, plan (24 h) overdue,
    // victim decision (48 h) missing but not overdue.
    let i = inc(
        "x",
        "A",
        30,
        &["DA"],
        SafeguardingState { forms: vec![], victims: vec![victim("v", false)], assessed_victims: vec![] },
        None,
    );
    let p = incident_problems(&i, &codes(), &cfg, NOW);
    let got: Vec<(ProblemKind, MissingKind, i64)> = p.iter().map(|p| (p.kind, p.item, p.deadline)).collect();
    let t0 = NOW - 30 * H;
    assert_eq!(
        got,
        vec![
            (ProblemKind::Overdue, MissingKind::RiskAssessment, t0 + 24 * H),
            (ProblemKind::Overdue, MissingKind::SafeguardingPlan, t0 + 24 * H),
            (ProblemKind::Missing, MissingKind::VictimReferralDecision, t0 + 48 * H),
        ]
    );
    // Review deadline runs from submission: submitted 80 h ago -> review overdue.
    let mut st = complete_da();
    st.forms[0].submitted_at = Some(NOW - 80 * H);
    let i = inc("y", "A", 90, &["DA"], st, None);
    let p = incident_problems(&i, &codes(), &cfg, NOW);
    assert_eq!(p.len(), 1);
    assert_eq!((p[0].kind, p[0].item), (ProblemKind::ReviewOverdue, MissingKind::SupervisorApproval));
    // Unknown code is an immediate problem.
    let i = inc("z", "A", 1, &["NOPE"], SafeguardingState::default(), None);
    assert_eq!(incident_problems(&i, &codes(), &cfg, NOW)[0].item, MissingKind::UnknownClosingCode);
}

#[test]
fn team_counts_and_daily_review() {
    let cfg = SafeguardingConfig::default();
    let mut closed_ok = inc("closed-ok", "A", 20, &["DA"], complete_da(), None);
    closed_ok.state.forms[0].status = FormStatus::Approved;
    closed_ok.closed_at = Some(NOW - 2 * H);
    let mut closed_bad = inc("closed-bad", "B", 20, &["CFAC"], SafeguardingState::default(), None);
    closed_bad.closed_at = Some(NOW - H);
    let mut old_closed = inc("old", "B", 100, &["DA"], complete_da(), None);
    old_closed.closed_at = Some(NOW - 50 * H);
    old_closed.coded_at = Some(NOW - 90 * H);
    old_closed.state.forms[0].submitted_at = Some(NOW - 80 * H);
    let mut asb = inc("asb", "A", 3, &["ASB"], SafeguardingState::default(), None);
    asb.closed_at = Some(NOW - H);
    let coded_today = inc("coded", "A", 3, &["DA"], plan_only(), None);
    let incidents = vec![closed_ok, closed_bad, old_closed, asb, coded_today];
    let q = build_queue(&incidents, &codes(), &cfg, NOW);

    let daily: Vec<(&str, bool)> = q.daily_review.iter().map(|d| (d.incident_id.as_str(), d.complete)).collect();
    // incomplete first, oldest event first ("coded" 3 h ago, "closed-bad" closed 1 h ago),
    // then complete; "old" (closed 50 h ago) and "asb" (no daily-review code) are not listed.
    assert_eq!(daily, vec![("coded", false), ("closed-bad", false), ("closed-ok", true)]);

    let a = q.team_counts["A"];
    let b = q.team_counts["B"];
    // A: "coded" (ra, plan missing, not overdue yet at 3 h). closed-ok is fully approved -> not on queue.
    assert_eq!((a.incidents, a.overdue, a.missing_items, a.unreviewed_forms), (1, 0, 2, 0));
    // B: old (RA unreviewed, overdue review). closed-bad's missing care plan cannot be added
    // once it is closed (no form starts on a closed incident): it is in the daily review as
    // incomplete, not on the queue for good.
    assert_eq!((b.incidents, b.overdue, b.missing_items, b.unreviewed_forms), (1, 1, 0, 1));
    assert!(!q.items.iter().any(|i| i.incident_id == "closed-bad"));
    // A closed incident whose form the supervisor returned stays on the queue: the amendment
    // the return asks for can still be made.
    let mut returned = inc("returned", "C", 20, &["DA"], complete_da(), None);
    returned.state.forms[0].status = FormStatus::Returned;
    returned.closed_at = Some(NOW - H);
    let q = build_queue(&[returned], &codes(), &cfg, NOW);
    let kinds: Vec<MissingKind> = q.items.iter().flat_map(|i| i.problems.iter()).map(|p| p.item).collect();
    assert_eq!(kinds, [MissingKind::RiskAssessment], "{q:?}");
    assert!(q.items[0].closed);
}

#[test]
fn simulated_shift_of_1000_incidents() {
    let params = ShiftParams { incidents: 1000, seed: 42, now: NOW, completion_percent: 80 };
    let f = simulate_shift(&params, &codes(), &builtin_config().unwrap());
    println!("{f:#?}");
    assert_eq!(f.incidents, 1000);
    assert_eq!(f.da_only + f.cfac_only + f.da_and_cfac, 1000);
    assert_eq!(f.complete + f.incomplete, 1000);
    assert!(f.incomplete > 100 && f.complete > 100, "both populations exercised: {f:?}");
    assert_eq!(f.finalised_without_requirements, 0);
    assert_eq!(f.complete_but_blocked, 0);
    assert_eq!(f.finalised, f.complete);
    assert_eq!(f.incomplete_in_queue, f.incomplete);
    assert_eq!(f.incomplete_in_queue_percent, 100.0);
    assert!(f.queue_items >= f.incomplete);
    // Deterministic.
    assert_eq!(f, simulate_shift(&params, &codes(), &builtin_config().unwrap()));
}

#[test]
fn simulation_detects_a_gate_that_lets_incidents_through() {
    // With a code list that forgets the DA requirements, the figures must show the breach. The
    // validator refuses such a list; it is read here without it.
    let text = r#"{"version":"weak","codes":[{"code":"DA","label":"d","requires":["risk_assessment"]},{"code":"CFAC","label":"c","requires":["care_plan"]}]}"#;
    assert!(parse_closing_codes(text).is_err());
    let weak: ClosingCodes = serde_json::from_str(text).unwrap();
    let params = ShiftParams { incidents: 300, seed: 7, now: NOW, completion_percent: 70 };
    let f = simulate_shift(&params, &weak, &SafeguardingConfig::default());
    assert!(f.finalised_without_requirements > 0, "{f:?}");
    assert!(f.incomplete_in_queue < f.incomplete, "{f:?}");
}

#[test]
fn sim_rng_is_deterministic_and_bounded() {
    let mut a = SimRng::new(1);
    let mut b = SimRng::new(1);
    for _ in 0..100 {
        assert_eq!(a.next_u64(), b.next_u64());
        assert!(a.below(7) < 7);
        b.below(7);
    }
    assert_eq!(a.below(0), 0);
}

/// HBA and STALK need the risk assessment's own follow-up section, not any risk assessment:
/// the DASH-style form shows the honour-based abuse questions only when question 4 or 20 is
/// "yes", and the stalking ones only when question 8 is.
#[test]
fn hba_and_stalking_codes_need_their_follow_up_sections() {
    let da_sections: Vec<String> =
        ["parties", "current", "children", "history", "perpetrator", "summary"].map(String::from).to_vec();
    let mut st = complete_da();
    st.forms[0].sections = da_sections.clone();
    // Enough for DA, not for HBA: the submitted form is to be amended.
    assert_eq!(check_closure(&codes(), &["DA"], &st), Ok(()));
    let items = missing(&["HBA"], &st);
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!((items[0].0, items[0].1.as_deref()), (MissingKind::RiskAssessment, Some("ra")));
    assert!(
        items[0].3.starts_with(
            "Amend the risk assessment (the HBA code needs its honour-based abuse and forced marriage follow-up"
        ),
        "{items:?}"
    );
    let items = missing(&["STALK"], &st);
    assert!(
        items.len() == 1 && items[0].3.contains("the STALK code needs its stalking and harassment follow-up"),
        "{items:?}"
    );
    // An approved form without the section does not count either.
    st.forms[0].status = FormStatus::Approved;
    assert_eq!(missing(&["HBA"], &st).len(), 1);
    // A draft beside it (its amendment, or a DASH-style form after a DARA-style one) is the one
    // pointed at.
    st.forms.push(form("ra2", PackKind::RiskAssessment, FormStatus::Draft));
    let items = missing(&["HBA"], &st);
    assert_eq!(items[0].1.as_deref(), Some("ra2"), "{items:?}");
    assert!(items[0].3.starts_with("Submit the draft risk assessment (the HBA code needs"), "{items:?}");
    st.forms.pop();
    // With the section answered it closes.
    st.forms[0].sections.push("hba".into());
    assert_eq!(check_closure(&codes(), &["HBA"], &st), Ok(()));
    // A DARA-style form shows its stalking section always.
    st.forms[0].sections = ["parties", "incident", "stalking", "officer"].map(String::from).to_vec();
    assert_eq!(check_closure(&codes(), &["STALK"], &st), Ok(()));
    // No risk assessment, or a draft: the label says what the code will need.
    st.forms.retain(|f| f.kind != PackKind::RiskAssessment);
    let items = missing(&["HBA"], &st);
    assert!(
        items[0].3.starts_with("Complete a risk assessment (the HBA code needs its honour-based abuse"),
        "{items:?}"
    );
    st.forms.push(form("d", PackKind::RiskAssessment, FormStatus::Draft));
    let items = missing(&["HBA"], &st);
    assert!(items[0].3.starts_with("Submit the draft risk assessment (the HBA code needs"), "{items:?}");
    // The supervisor queue lists it too.
    let mut st = complete_da();
    st.forms[0].sections = da_sections;
    let q = build_queue(&[inc("x", "A", 1, &["HBA"], st, None)], &codes(), &SafeguardingConfig::default(), NOW);
    let p: Vec<&QueueProblem> = q.items[0].problems.iter().filter(|p| p.item == MissingKind::RiskAssessment).collect();
    assert!(p.len() == 1 && p[0].form_id.as_deref() == Some("ra") && p[0].label.contains("HBA code needs"), "{p:?}");
    // Coded DA and HBA with no risk assessment: one problem, with what HBA adds, in either order.
    for codes_applied in [["DA", "HBA"], ["HBA", "DA"]] {
        let q = build_queue(
            &[inc("y", "A", 30, &codes_applied, SafeguardingState::default(), None)],
            &codes(),
            &SafeguardingConfig::default(),
            NOW,
        );
        let p: Vec<&QueueProblem> =
            q.items[0].problems.iter().filter(|p| p.item == MissingKind::RiskAssessment).collect();
        assert_eq!(p.len(), 1, "{codes_applied:?}: {p:?}");
        assert!(p[0].label.starts_with("Complete a risk assessment (the HBA code needs"), "{p:?}");
        assert_eq!(p[0].kind, ProblemKind::Overdue, "30 hours after the incident");
    }
}

/// Every section a built-in code needs is a section of a built-in risk-assessment pack: a typo
/// would make the code impossible to satisfy.
#[test]
fn builtin_required_sections_exist_in_a_risk_pack() {
    let packs = builtin_packs().unwrap();
    for code in codes().codes {
        for r in &code.requires_sections {
            let found = packs
                .iter()
                .filter(|p| p.kind == PackKind::RiskAssessment)
                .any(|p| p.sections.iter().any(|s| s.id == r.section));
            assert!(found, "{}: no risk pack has section {:?}", code.code, r.section);
        }
    }
}

#[test]
fn sections_are_required_of_a_risk_assessment_only() {
    let json = r#"{"version": "t", "codes": [{"code": "X", "label": "X", "requires": ["care_plan"],
        "requires_sections": [{"section": "hba", "label": "its follow-up"}]}]}"#;
    let issues = validate_closing_codes(json);
    assert!(issues.iter().any(|i| i.location == "codes[0].requires_sections"), "{issues:?}");
    let json = r#"{"version": "t", "codes": [{"code": "X", "label": "X", "requires": ["risk_assessment"],
        "requires_sections": [{"section": " ", "label": "its follow-up"}]}]}"#;
    let issues = validate_closing_codes(json);
    assert!(issues.iter().any(|i| i.location == "codes[0].requires_sections[0]"), "{issues:?}");
    assert!(validate_closing_codes(bluelamp_forms::BUILTIN_CLOSING_CODES).is_empty());
}

/// Within a risk, something overdue comes first, then the nearest deadline, then age: a newer
/// incident with a breached deadline (a victim's referral, counted in working days) ranks above
/// an older one with nothing due yet. By risk and age alone it came after.
#[test]
fn within_a_risk_overdue_and_nearest_deadline_come_first() {
    use bluelamp_forms::queue::{queue_order, QueueItem, QueueProblem};
    let item = |id: &str, risk: QueueRisk, occurred_h: i64, deadline_h: i64, kind: ProblemKind| QueueItem {
        incident_id: id.into(),
        team: "A".into(),
        codes: vec!["DA".into()],
        risk,
        suggestion_above_grade: false,
        occurred_at: NOW - occurred_h * H,
        age_secs: occurred_h * H,
        closed: false,
        problems: vec![QueueProblem {
            kind,
            item: MissingKind::VictimReferralDecision,
            label: id.into(),
            deadline: NOW + deadline_h * H,
            form_id: None,
            victim_id: None,
        }],
        next_deadline: NOW + deadline_h * H,
    };
    let mut items = [
        item("old-not-due", QueueRisk::Medium, 90, 30, ProblemKind::Missing),
        item("new-breached", QueueRisk::Medium, 20, -2, ProblemKind::Overdue),
        item("due-soon", QueueRisk::Medium, 10, 3, ProblemKind::Missing),
        item("high-not-due", QueueRisk::High, 1, 40, ProblemKind::Missing),
    ];
    items.sort_by(queue_order);
    let order: Vec<&str> = items.iter().map(|i| i.incident_id.as_str()).collect();
    assert_eq!(order, ["high-not-due", "new-breached", "due-soon", "old-not-due"]);
}

/// Two people linked as victims of domestic abuse each need their own risk assessment and
/// safeguarding plan: a form counts for the victim its answers name (review, 7 Dec 2026: one
/// assessment about one victim closed the incident, the other never assessed).
#[test]
fn each_victim_of_domestic_abuse_needs_their_own_assessment_and_plan() {
    let about =
        |id: &str, kind, status, victim: &str| FormSummary { victim_id: Some(victim.into()), ..form(id, kind, status) };
    let assessed = |id: &str| bluelamp_forms::AssessedVictim { victim_id: id.into(), name: format!("Victim {id}") };
    let mut st = SafeguardingState {
        forms: vec![
            about("ra1", PackKind::RiskAssessment, FormStatus::Submitted, "v1"),
            about("sp1", PackKind::SafeguardingPlan, FormStatus::Approved, "v1"),
            about("ra2", PackKind::RiskAssessment, FormStatus::Draft, "v2"),
        ],
        victims: vec![victim("v1", true), victim("v2", true)],
        assessed_victims: vec![assessed("v1"), assessed("v2")],
    };
    let m = missing(&["DA"], &st);
    assert_eq!(
        m,
        vec![
            (
                MissingKind::RiskAssessment,
                Some("ra2".into()),
                Some("v2".into()),
                "Submit the draft risk assessment for Victim v2".into()
            ),
            (
                MissingKind::SafeguardingPlan,
                None,
                Some("v2".into()),
                "Complete a safeguarding plan for Victim v2".into()
            ),
        ],
        "{m:#?}"
    );
    // Their own forms submitted: closable.
    st.forms[2].status = FormStatus::Submitted;
    st.forms.push(about("sp2", PackKind::SafeguardingPlan, FormStatus::Submitted, "v2"));
    assert_eq!(missing(&["DA"], &st), vec![]);
    // Nobody to assess per victim (none linked, or a caller that does not say): one of each
    // for the incident, whoever it names.
    st.assessed_victims.clear();
    st.forms.retain(|f| f.victim_id.as_deref() == Some("v2"));
    assert_eq!(missing(&["DA"], &st), vec![]);
}

/// A DA incident closed `NFA-DUP` (the gate lets it through with nothing) is listed in the daily
/// review, incomplete, with the reason given, so that a misuse is seen the next day.
#[test]
fn daily_review_lists_a_da_incident_closed_nfa_dup_with_its_reason() {
    let cfg = SafeguardingConfig::default();
    let mut dup = inc("dup", "A", 5, &["DA", "NFA-DUP"], SafeguardingState::default(), None);
    dup.closed_at = Some(NOW - H);
    dup.nfa_dup_reason = Some("Closed as a duplicate of INC-1".into());
    let q = build_queue(&[dup], &codes(), &cfg, NOW);
    assert_eq!(q.daily_review.len(), 1, "{:?}", q.daily_review);
    let d = &q.daily_review[0];
    assert_eq!((d.incident_id.as_str(), d.complete), ("dup", false));
    assert_eq!(d.nfa_dup_reason.as_deref(), Some("Closed as a duplicate of INC-1"));
}
