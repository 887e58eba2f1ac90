//! Nothing panics on any input: arbitrary Unicode (emoji, RTL, NUL, combining marks, 10 000
//! characters) through folding, keys, query plans and ranking.

use bluelamp_names::fold::MAX_INPUT_CHARS;
use bluelamp_names::{fold, index_keys, rank, record_keys, Candidate, CandidateName, Date, DobQuery, SearchQuery};
use proptest::prelude::*;

fn nasty() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\\PC\\u{0}\\u{200F}\\u{202E}\\u{0301}😀ÄØİŁß李Иا' -]{0,40}",
        "[A-Za-z'*%, -]{0,30}",
        // Words the particle, Irish-form and given/surname-boundary rules look at.
        "((Ní|Nic|Uí|Mhic|Ó|Mac|Giolla|h|Sh|Bh|Kaur|Singh|Begum|Abdul|Rahman|Súilleabháin|Á|É|x|') ?){0,6}",
        Just("\u{0}".repeat(10_000)),
        Just("a".repeat(10_000)),
        Just("😀👨‍👩‍👧".repeat(3_000)),
        Just("مُحَمَّد عَبْدُ ٱللَّٰه".to_string()),
        Just("ǅǈǋ ﬁ ẞ İstanbul".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn never_panics(g in nasty(), s in nasty(), text in nasty()) {
        let f = fold(&g);
        prop_assert!(f.len() <= 64 && f.is_ascii());
        let keys = index_keys(&g, &s);
        prop_assert!(keys.iter().all(|k| k.is_ascii() && k.len() < 160));
        let _ = record_keys([(g.as_str(), s.as_str())], Date::new(1984, 3, 12));
        for q in [SearchQuery::parse(&text), SearchQuery::new(&g, &s)] {
            let q = q.with_dob(DobQuery::around(1985, 2).unwrap());
            let _ = q.plan();
            let cands = [Candidate {
                id: 1u8,
                names: vec![
                    CandidateName { given: &g, surname: &s, surname_freq: 3 },
                    CandidateName { given: &text, surname: &g, surname_freq: 0 },
                ],
                dob: None,
                sex: None,
            }];
            for h in rank(&q, &cands, 10, 5) {
                prop_assert!(h.score.is_finite());
            }
        }
        let _ = Date::parse(&text);
    }
}

/// A 10 000-character name costs no more than its first [`MAX_INPUT_CHARS`] characters: the
/// work is bounded by the cap, not the input. (How fast that is belongs to `cargo xtask bench`,
/// not to a timed test.)
#[test]
fn huge_inputs_give_the_keys_and_plan_of_their_first_characters() {
    let big = "Ødegård-Ærøskøbing ".repeat(600);
    assert!(big.chars().count() > 10_000);
    let head: String = big.chars().take(MAX_INPUT_CHARS).collect();
    assert_eq!(index_keys(&big, &big), index_keys(&head, &head));
    assert_eq!(fold(&big), fold(&head));
    let (plan, head_plan) = (SearchQuery::parse(&big).plan(), SearchQuery::parse(&head).plan());
    assert_eq!(plan.probes.len(), head_plan.probes.len());
    assert!(!plan.probes.is_empty(), "a long name still searches");
    let hits = rank(
        &SearchQuery::parse(&big),
        &[Candidate {
            id: 0u8,
            names: vec![CandidateName { given: &big, surname: &big, surname_freq: 1 }],
            dob: None,
            sex: None,
        }],
        10,
        1,
    );
    assert_eq!(hits.len(), 1);
    assert!(hits[0].score.is_finite());
}
