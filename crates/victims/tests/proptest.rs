//! Arbitrary incident inputs never panic, and the output always serialises.

use bluelamp_victims::*;
use proptest::prelude::*;
use serde_json::{json, Value};
use time::{Date, Duration, OffsetDateTime, UtcOffset};

/// Text as people and other systems send it: any Unicode (NUL, bidi controls, zero-width
/// joiners, combining marks, emoji) and very long strings, not only printable characters.
fn nasty() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\\PC\\u{0}\\u{200B}\\u{200D}\\u{200F}\\u{202E}\\u{0301}\\u{FEFF}😀٠١٢0-9+() .-]{0,40}",
        Just("\u{0}".repeat(10_000)),
        Just("0".repeat(10_000)),
        Just("😀👨\u{200D}👩\u{200D}👧".repeat(3_000)),
        Just("+\u{202E}44 7700 900123".to_string()),
        Just("٠٧٧٠٠ ٩٠٠١٢٣".to_string()),
    ]
}

fn any_date() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        (1900i32..2040, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| Some(format!("{y:04}-{m:02}-{d:02}"))),
        Just(Some("9999-12-31".to_string())),
        Just(Some("-9999-01-01".to_string())),
    ]
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("V1".to_string()),
        Just("V2".to_string()),
        Just("S1".to_string()),
        Just("domestic_abuse".to_string()),
        Just("sexual_offence".to_string()),
        Just("homicide".to_string()),
        Just("idva".to_string()),
        Just("operation_encompass".to_string()),
        nasty(),
    ]
}

fn role() -> impl Strategy<Value = &'static str> {
    let mut roles = bluelamp_victims::Role::KNOWN.to_vec();
    roles.push("nonsense");
    prop::sample::select(roles)
}

fn phone() -> impl Strategy<Value = String> {
    prop_oneof![Just("07700 900123".to_string()), Just("+44 (0)7700 900123".to_string()), "[0-9+() .-]{0,20}", nasty(),]
}

fn opt_bool() -> impl Strategy<Value = Option<bool>> {
    prop::option::of(any::<bool>())
}

fn person() -> impl Strategy<Value = Value> {
    (
        word(),
        prop::collection::vec(role(), 0..3),
        prop::collection::vec(word(), 0..3),
        any_date(),
        (opt_bool(), opt_bool(), opt_bool(), opt_bool(), any::<bool>()),
        prop::collection::vec(phone(), 0..3),
        prop::collection::vec(prop::sample::select(vec!["mental_health", "witness_intimidation", "x"]), 0..3),
        prop::collection::vec((word(), any_date()), 0..5),
        prop::option::of((phone(), opt_bool(), opt_bool(), opt_bool(), opt_bool(), prop::option::of(word()))),
        prop::collection::btree_map(word(), prop_oneof![any::<bool>().prop_map(Value::from), word().prop_map(Value::from)], 0..4),
    )
        .prop_map(|(id, roles, acts_for, dob, (u18, vul, int, pt, org), phones, markers, hist, sc, needs)| {
            let mut p = json!({
                "id": id, "roles": roles, "acts_for": acts_for, "under_18": u18, "vulnerable": vul,
                "intimidated": int, "persistently_targeted": pt, "organisation": org,
                "phones": phones, "markers": markers, "needs": needs,
                "victim_history": hist.into_iter().filter_map(|(i, d)| d.map(|d| json!({"incident_id": i, "recorded_on": d}))).collect::<Vec<_>>(),
            });
            if let Some(d) = dob {
                p["date_of_birth"] = json!(d);
            }
            if let Some((n, a, b, c, d, t)) = sc {
                p["safe_contact"] = json!({"safe_number": n, "voicemail_safe": a, "text_safe": b, "letters_safe": c, "suspect_can_access_phone": d, "safe_times": t});
            }
            p
        })
}

fn datetime() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        (2019i32..2037, 1u8..=12, 1u8..=28, 0u8..24, -12i8..=12).prop_map(|(y, m, d, h, o)| Some(format!(
            "{y:04}-{m:02}-{d:02}T{h:02}:00:00{}{:02}:00",
            if o < 0 { '-' } else { '+' },
            o.unsigned_abs()
        ))),
        Just(Some("9999-12-31T23:59:59Z".to_string())),
        Just(Some("0001-01-01T00:00:00Z".to_string())),
    ]
}

fn decision() -> impl Strategy<Value = Value> {
    (
        word(),
        prop::option::of(prop::sample::select(vec!["referred", "declined", "deferred"])),
        datetime(),
        prop::option::of(word()),
        opt_bool(),
        prop::option::of(word()),
        any_date(),
        any::<bool>(),
    )
        .prop_map(|(v, o, at, dest, c, words, due, w)| {
            json!({"victim_id": v, "outcome": o, "at": at, "destination": dest, "consent_given": c,
                   "in_their_words": words, "reason": words, "follow_up_due": due, "withdrawn": w})
        })
}

fn incident() -> impl Strategy<Value = Value> {
    (
        word(),
        datetime(),
        any_date(),
        prop::collection::vec(word(), 0..3),
        prop::option::of(prop::sample::select(vec!["standard", "medium", "high"])),
        prop::collection::vec(person(), 0..5),
        prop::collection::vec(decision(), 0..4),
        prop::collection::vec((word(), any_date(), prop::collection::vec(word(), 0..2)), 0..3),
    )
        .prop_map(|(id, rec, off, cats, risk, people, decisions, events)| {
            json!({
                "incident_id": id, "recorded_at": rec, "offence_date": off,
                "offence_categories": cats, "risk_level": risk, "people": people, "decisions": decisions,
                "events": events.into_iter().filter_map(|(k, d, inf)| d.map(|d| json!({"kind": k, "occurred_on": d, "victims_informed": inf}))).collect::<Vec<_>>(),
            })
        })
}

fn now() -> impl Strategy<Value = OffsetDateTime> {
    prop_oneof![
        (-2_000_000i64..4_000_000, -12i8..=12).prop_map(|(days, h)| {
            let d = Date::from_calendar_date(2025, time::Month::January, 1).unwrap() + Duration::days(days / 100);
            d.with_hms(13, 30, 0).unwrap().assume_offset(UtcOffset::from_hms(h, 0, 0).unwrap())
        }),
        Just(Date::MAX.midnight().assume_utc()),
        Just(Date::MIN.midnight().assume_utc()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_incidents_never_panic(v in incident(), now in now(), region in 0usize..3) {
        let rules = Rules::default_rules().unwrap();
        let calendar = Calendar::builtin(Region::ALL[region]).unwrap();
        let parsed = Incident::from_json(&v.to_string());
        // The generator only produces well-formed values, so parsing must succeed.
        prop_assert!(parsed.is_ok(), "{:?}", parsed.err());
        if let Ok(incident) = parsed {
            let a = assess(&incident, &rules, &calendar, now);
            // RFC 3339 cannot express years outside 0000-9999: serialising then is an error,
            // never a panic; for any realistic `now` it succeeds.
            match serde_json::to_string(&a) {
                Ok(s) => prop_assert!(s.contains("bluelamp-victims-assessment/1")),
                Err(_) => prop_assert!(!(0..=9999).contains(&now.year())),
            }
            let _ = prompts_for(&a, PromptStage::Closed);
            let _ = supervisor_queue(std::slice::from_ref(&a));
            for d in &incident.decisions {
                let c = validate_decision(d, &incident, &rules, &calendar, now);
                if c.is_valid() {
                    prop_assert!(d.outcome.is_some());
                }
            }
            // Every victim is someone in the incident.
            for victim in &a.victims {
                prop_assert!(victim.person_id.starts_with('#') || incident.person(&victim.person_id).is_some());
                prop_assert_eq!(victim.enhanced, !victim.enhanced_reasons.is_empty());
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics(s in nasty()) {
        let _ = Incident::from_json(&s);
        let _ = Rules::from_json(&s);
        let _ = Calendar::from_json(&s);
        let _ = ServiceDirectory::from_json(&s);
        let _ = phone::normalise_uk_phone(&s);
        let _ = phone::parse_phone_field(&s);
        let _ = phone::phones_in(&s);
        let _ = phone::same_phone(&s, &s);
    }

    /// Counted by weeks and the holiday map, as counted day by day.
    #[test]
    fn working_days_between_counts_as_day_by_day(a in 0i64..9000, len in 0i64..900, region in 0usize..3) {
        let region = Region::ALL[region];
        let cal = Calendar::builtin(region).unwrap();
        let from = Date::from_calendar_date(2016, time::Month::January, 1).unwrap() + Duration::days(a);
        let to = from + Duration::days(len);
        let mut n = 0u32;
        let mut d = from;
        while d < to {
            d = d.next_day().unwrap();
            if cal.is_working_day(d) {
                n += 1;
            }
        }
        prop_assert_eq!(cal.working_days_between(from, to), n);
        prop_assert_eq!(cal.working_days_between(to, from), 0);
    }

    #[test]
    fn working_days_are_monotonic(days in 0i64..6000, n in 0u32..30) {
        let cal = Calendar::builtin(Region::EnglandAndWales).unwrap();
        let start = Date::from_calendar_date(2019, time::Month::January, 1).unwrap() + Duration::days(days);
        let a = cal.add_working_days(start, n).unwrap();
        let b = cal.add_working_days(start, n + 1).unwrap();
        prop_assert!(b.date > a.date);
        prop_assert!(n == 0 || cal.is_working_day(a.date));
        prop_assert_eq!(cal.working_days_between(start, a.date), n);
    }
}

/// A UK mobile number as people write it: `07700 900123`, `+44 (0)7700-900.123`, `7700900123`…
/// (`digits` is the number without its 0: 7 and nine more).
fn written(digits: &str, style: usize) -> String {
    let (a, b) = digits.split_at(4);
    match style % 7 {
        0 => format!("0{digits}"),
        1 => format!("0{a} {b}"),
        2 => format!("+44 {a} {b}"),
        3 => format!("+44 (0){a}-{b}"),
        4 => format!("0044 {a} {b}"),
        5 => format!("({}) {}.{}", &format!("0{a}"), &b[..3], &b[3..]),
        _ => digits.to_string(),
    }
}

fn extension(k: usize, n: u16) -> String {
    match k % 5 {
        0 => String::new(),
        1 => format!(" ext {n}"),
        2 => format!(" Ext. {n}"),
        3 => format!(" x{n}"),
        _ => " (mob)".to_string(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// However it is written, with or without an extension, a mobile number reads as itself,
    /// and reading it again changes nothing.
    #[test]
    fn a_mobile_number_reads_as_itself(digits in "7[0-9]{9}", style in 0usize..7, k in 0usize..5, n in 1u16..9999) {
        let raw = format!("{}{}", written(&digits, style), extension(k, n));
        let want = format!("0{digits}");
        prop_assert_eq!(phone::parse_uk_phone(&raw), Ok(want.clone()));
        prop_assert_eq!(phone::parse_uk_phone(&want), Ok(want.clone()));
        prop_assert!(phone::same_phone(&raw, &want));
    }

    /// A field holding several numbers matches each of them.
    #[test]
    fn a_field_with_several_numbers_matches_each(
        a in "7[0-9]{9}", b in "7[0-9]{9}", sa in 0usize..7, sb in 0usize..7, k in 0usize..5, sep in 0usize..5,
    ) {
        let sep = [", ", " / ", "; ", " or ", " OR "][sep];
        let field = format!("{}{}{sep}{}", written(&a, sa), extension(k, 12), written(&b, sb));
        prop_assert!(phone::same_phone(&format!("0{a}"), &field), "{}", field);
        prop_assert!(phone::same_phone(&field, &format!("+44 {b}")), "{}", field);
        let held = phone::phones_in(&field);
        prop_assert!(held.contains(&format!("0{a}")) && held.contains(&format!("0{b}")), "{:?}", held);
    }

    /// A mobile number with a digit after its 07 missing, or one extra, or a letter O for a zero, is not a phone
    /// number, and the message says so.
    #[test]
    fn an_incomplete_or_mistyped_mobile_number_is_refused(digits in "7[0-9]{9}", cut in 1usize..10, extra in 0u8..10) {
        let mut short = format!("0{digits}");
        short.remove(cut + 1);
        let long = format!("0{digits}{extra}");
        let letter = format!("O{digits}");
        for raw in [short, long, letter] {
            let e = phone::parse_uk_phone(&raw);
            prop_assert!(e.as_ref().is_err_and(|e| e.to_string().contains("not a phone number")), "{}: {:?}", raw, e);
            prop_assert!(!phone::same_phone(&raw, &raw));
        }
    }
}
