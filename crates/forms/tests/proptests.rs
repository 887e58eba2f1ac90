//! Property tests: no input panics; more "yes" answers never lower the suggestion.

use bluelamp_forms::*;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{json, Value};

fn packs() -> Vec<FormPack> {
    builtin_packs().unwrap()
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        prop_oneof![
            Just("yes".to_string()),
            Just("no".to_string()),
            Just("dont_know".to_string()),
            Just("declined".to_string()),
            Just("often".to_string()),
            Just("none".to_string()),
            Just("2024-02-29".to_string()),
            Just("2024-06-01T08:00Z".to_string()),
            ".{0,12}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("value".to_string()),
                    Just("declined".to_string()),
                    Just("note".to_string()),
                    Just("child".to_string()),
                    "[a-z_]{1,6}"
                ],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Random answers keyed by real question ids of a pack (plus noise keys).
fn arb_answers(pack: &FormPack) -> impl Strategy<Value = Answers> {
    let mut ids: Vec<String> = pack.sections.iter().flat_map(|s| &s.questions).map(|q| q.id.clone()).collect();
    ids.push("zz".into());
    ids.push("_ui".into());
    prop::collection::vec((prop::sample::select(ids), arb_json()), 0..40).prop_map(|kv| kv.into_iter().collect())
}

fn yes_no_ids(p: &FormPack) -> Vec<String> {
    p.sections
        .iter()
        .flat_map(|s| &s.questions)
        .filter(|q| q.qtype == QuestionType::YesNo || q.qtype == QuestionType::Frequency)
        .map(|q| q.id.clone())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn nothing_panics_on_any_answers(pi in 0usize..4, seed in any::<u64>(), now in any::<i64>(), t in any::<i64>()) {
        let p = &packs()[pi];
        let mut runner = proptest::test_runner::TestRunner::new_with_rng(
            ProptestConfig::default(),
            proptest::test_runner::TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &{
                let mut s = [0u8; 32]; s[..8].copy_from_slice(&seed.to_le_bytes()); s
            }),
        );
        let a = arb_answers(p).new_tree(&mut runner).unwrap().current();
        let linked = vec!["nom-1".to_string()];
        let ctx = ValidationContext { linked_nominals: Some(&linked), now: Some(now), dates_from: None };
        let ev = evaluate(p, &a, &ctx);
        prop_assert!(ev.progress.sections_complete <= ev.progress.sections_total);
        prop_assert!(ev.progress.percent() <= 100);
        let h = IncidentHistory { previous_da_incidents: vec![t, now, i64::MIN, i64::MAX], marac_referrals: vec![t] };
        let cfg = GradingConfig { repeat_window_days: u32::MAX, repeat_window_months: None, ..GradingConfig::default() };
        let _ = suggest_grade(p, &a, &h, t, &cfg);
        let cfg = GradingConfig { repeat_window_months: Some(120), ..GradingConfig::default() };
        let _ = suggest_grade(p, &a, &h, t, &cfg);
        let mut r = FormRecord::new_draft("f", "i", p, "pc");
        r.answers = a;
        let _ = check_submit(&r, p, &ctx);
    }

    #[test]
    fn arbitrary_text_never_panics(s in ".{0,200}") {
        let _ = validate_pack(&s);
        let _ = validate_closing_codes(&s);
        let _ = validate_config(&s);
        let _ = parse_answers(&s);
        let _ = time::parse_date(&s);
        let _ = time::parse_datetime(&s);
    }

    #[test]
    fn arbitrary_json_packs_never_panic(v in arb_json()) {
        let _ = validate_pack(&v.to_string());
        // Mutate a real pack with random values in random places.
        let mut base: Value = serde_json::from_str(BUILTIN_PACK_SOURCES[0].1).unwrap();
        base["sections"][0]["questions"][0]["show_if"] = v.clone();
        let _ = validate_pack(&base.to_string());
        base["sections"][1]["show_if"] = json!({"any": [v.clone(), {"not": v}]});
        let _ = validate_pack(&base.to_string());
    }

    #[test]
    fn closure_and_queue_never_panic(
        codes in prop::collection::vec("[A-Za-z ]{0,6}", 0..4),
        statuses in prop::collection::vec(0u8..4, 0..5),
        victims in prop::collection::vec(any::<bool>(), 0..3),
        now in any::<i64>(), at in any::<i64>(),
    ) {
        let kinds = [PackKind::RiskAssessment, PackKind::SafeguardingPlan, PackKind::CarePlan, PackKind::Other];
        let st = [FormStatus::Draft, FormStatus::Submitted, FormStatus::Returned, FormStatus::Approved];
        let state = SafeguardingState {
            forms: statuses.iter().enumerate().map(|(i, s)| FormSummary {
                form_id: i.to_string(), pack_id: "p".into(), kind: kinds[i % 4], status: st[*s as usize],
                officer_grade: None, submitted_at: Some(at), suggested_grade: None, sections: Vec::new(),
                victim_id: (i % 3 != 0).then(|| (i % 2).to_string()),
            }).collect(),
            victims: victims.iter().enumerate().map(|(i, d)| VictimReferralState { victim_id: i.to_string(), name: "v".into(), decision_recorded: *d, notifications_due: vec![] }).collect(),
            assessed_victims: victims.iter().enumerate().filter(|(i, _)| i % 2 == 0).map(|(i, _)| bluelamp_forms::AssessedVictim { victim_id: i.to_string(), name: "v".into() }).collect(),
        };
        let list = builtin_closing_codes().unwrap();
        let _ = check_closure(&list, &codes, &state);
        let inc = QueueIncident { id: "i".into(), team: "t".into(), occurred_at: at, codes, coded_at: Some(at), closed_at: Some(now), nfa_dup_reason: None, state };
        let cfg = SafeguardingConfig { daily_review_window_hours: u32::MAX, ..SafeguardingConfig::default() };
        let _ = build_queue(&[inc], &list, &cfg, now);
    }

    /// Turning any one yes/no or frequency answer into "yes"/"often" never lowers the grade.
    #[test]
    fn more_yes_never_lowers_the_grade(
        pi in 0usize..2,
        picks in prop::collection::vec((0usize..64, 0usize..6), 0..60),
        flip in 0usize..64,
        prev in prop::collection::vec(-800i64..10, 0..4),
        marac in prop::collection::vec(-800i64..10, 0..2),
    ) {
        let p = packs().into_iter().filter(|p| p.kind == PackKind::RiskAssessment).nth(pi).unwrap();
        let ids = yes_no_ids(&p);
        let tokens = ["yes", "no", "dont_know", "declined", "never", "sometimes"];
        let mut a = Answers::new();
        for (i, t) in picks {
            let id = &ids[i % ids.len()];
            a.insert(id.clone(), json!(tokens[t]));
        }
        let day = 86_400;
        let t0 = 1_750_000_000;
        let h = IncidentHistory {
            previous_da_incidents: prev.iter().map(|d| t0 + d * day).collect(),
            marac_referrals: marac.iter().map(|d| t0 + d * day).collect(),
        };
        let cfg = GradingConfig::default();
        let before = suggest_grade(&p, &a, &h, t0, &cfg);
        let id = ids[flip % ids.len()].clone();
        let q = p.sections.iter().flat_map(|s| &s.questions).find(|q| q.id == id).unwrap();
        let yes = if q.qtype == QuestionType::Frequency { "often" } else { "yes" };
        a.insert(id, json!(yes));
        let after = suggest_grade(&p, &a, &h, t0, &cfg);
        prop_assert!(after.suggested >= before.suggested, "{:?} -> {:?}", before.suggested, after.suggested);
        prop_assert!(after.yes_count >= before.yes_count);
    }
}
