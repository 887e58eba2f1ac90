use super::*;
use std::collections::{BTreeMap, BTreeSet};

const NOW: i64 = 1_780_000_000; // 2026-05-28

fn share(ps: &[Person], f: impl Fn(&Person) -> bool) -> f64 {
    ps.iter().filter(|p| f(p)).count() as f64 / ps.len() as f64
}

#[test]
fn same_seed_same_people() {
    assert_eq!(people(500, 7), people(500, 7));
    assert_ne!(people(50, 7), people(50, 8));
}

#[test]
fn shorter_run_is_a_prefix() {
    let long = people(300, 11);
    assert_eq!(people(120, 11)[..], long[..120]);
    assert!(people(0, 1).is_empty());
}

#[test]
fn ids_are_unique_and_ordered() {
    let ps = people(1000, 1);
    let ids: BTreeSet<_> = ps.iter().map(|p| p.id.clone()).collect();
    assert_eq!(ids.len(), 1000);
    assert_eq!(ps[0].id, "DEMO-000001");
    assert_eq!(ps[999].id, "DEMO-001000");
}

#[test]
fn distributions_are_plausible() {
    let ps = people(100_000, 42);
    let smith = share(&ps, |p| p.surname == "Smith");
    assert!((0.005..=0.03).contains(&smith), "Smith share {smith}");
    let legacy = share(&ps, |p| p.legacy);
    assert!((0.10..=0.20).contains(&legacy), "legacy share {legacy}");
    let special = share(&ps, |p| {
        let n = format!("{}{}", p.given_name, p.surname);
        !n.is_ascii() || n.contains(['\'', '-'])
    });
    assert!(special >= 0.05, "non-ASCII/apostrophe/hyphen share {special}");
    let non_ascii = share(&ps, |p| !format!("{}{}", p.given_name, p.surname).is_ascii());
    assert!(non_ascii >= 0.01, "non-ASCII share {non_ascii}");
    let no_dob = share(&ps, |p| p.date_of_birth.is_empty());
    assert!((0.03..=0.07).contains(&no_dob), "missing DOB share {no_dob}");
    let aliased = share(&ps, |p| !p.aliases.is_empty());
    assert!((0.05..=0.10).contains(&aliased), "alias share {aliased}");
    let male = share(&ps, |p| p.sex == "M");
    assert!((0.45..=0.65).contains(&male), "male share {male}");

    // Frequency realism: Smith is the most common surname, and far more common than most.
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &ps {
        *counts.entry(p.surname.as_str()).or_default() += 1;
    }
    let top = counts.iter().max_by_key(|(_, c)| **c).map(|(s, _)| *s);
    assert_eq!(top, Some("Smith"));
    assert!(counts.len() > 1500, "only {} distinct surnames", counts.len());
    let singles = counts.values().filter(|&&c| c < 20).count();
    assert!(singles > 200, "long tail too short: {singles}");

    // A spread of backgrounds is present.
    for name in [
        "Khan",
        "Patel",
        "Singh",
        "Kaur",
        "Begum",
        "Murphy",
        "O'Brien",
        "Nowak",
        "Okafor",
        "Mensah",
        "Wang",
        "Chan",
        "Al-Sayed",
        "Abdi",
        "Campbell",
        "MacDonald",
        "McDonald",
    ] {
        assert!(counts.contains_key(name), "no {name}");
    }
    assert!(ps.iter().any(|p| p.surname.ends_with("ska")), "no feminine Polish surnames");
    for p in &ps {
        let gendered = match p.surname.as_str() {
            "Kaur" | "Begum" | "Bibi" => "F",
            "Singh" => "M",
            s if s.ends_with("ska") || s.ends_with("cka") || s.ends_with("ienė") => "F",
            s if s.ends_with("ski") || s.ends_with("cki") => "M",
            _ => continue,
        };
        assert!(p.sex.is_empty() || p.sex == gendered, "{p:?}");
    }
    assert!(ps.iter().any(|p| p.surname.ends_with("ienė")), "no Lithuanian feminine forms");
    // Other European names stay within one nationality.
    assert!(!ps.iter().any(|p| p.given_name == "João" && p.surname == "Yılmaz"));
    let khan = share(&ps, |p| p.surname == "Khan");
    assert!((0.001..smith).contains(&khan), "Khan share {khan}");
    assert!(ps.iter().all(|p| {
        let parts: Vec<&str> = p.given_name.split(' ').collect();
        parts.len() < 2 || util::fold(parts[0]) != util::fold(parts[1])
    }));
    assert!(ps.iter().any(|p| p.given_name == "Siobhán"));
    assert!(ps.iter().any(|p| p.given_name == "Seán"));
    assert!(ps.iter().any(|p| p.surname.contains('-') && !p.surname.starts_with("Al-")));
}

#[test]
fn fields_are_well_formed() {
    let ps = people(20_000, 5);
    for p in &ps {
        assert!(!p.given_name.is_empty() && !p.surname.is_empty(), "{p:?}");
        assert_eq!(p.given_name.trim(), p.given_name);
        assert!(["M", "F", ""].contains(&p.sex.as_str()), "{p:?}");
        if !p.date_of_birth.is_empty() {
            let b = util::parse_date(&p.date_of_birth).expect("valid date");
            let age = util::age_on(b, (REFERENCE_YEAR, 1, 1));
            assert!((10..=90).contains(&age), "age {age} for {p:?}");
        }
        for a in &p.aliases {
            let (g, s) = a.split_once(' ').expect("alias is 'given surname'");
            assert!(!g.is_empty() && !s.is_empty(), "{a}");
            assert_ne!(a, &format!("{} {}", p.given_name, p.surname));
        }
        assert!(p.address.contains(", "), "{}", p.address);
        let (out, inw) = p.postcode.split_once(' ').expect("postcode has a space");
        assert!((2..=4).contains(&out.len()) && out.is_ascii(), "{}", p.postcode);
        let b = inw.as_bytes();
        assert!(b.len() == 3 && b[0].is_ascii_digit(), "{}", p.postcode);
        assert!(b[1..].iter().all(|c| INWARD_LETTERS.contains(c)), "{}", p.postcode);
    }
    // Ages spread across the whole range, skewed young.
    let ages: Vec<i32> = ps.iter().filter_map(|p| age_of(p, (REFERENCE_YEAR, 1, 1))).collect();
    let young = ages.iter().filter(|&&a| a < 35).count() as f64 / ages.len() as f64;
    assert!((0.45..=0.7).contains(&young), "under-35 share {young}");
    assert!(ages.iter().any(|&a| a >= 80) && ages.iter().any(|&a| a <= 11));
}

#[test]
fn queries_are_deterministic_and_target_real_people() {
    let ps = people(5000, 9);
    let qs = typo_queries(&ps, 2000, 1);
    assert_eq!(qs, typo_queries(&ps, 2000, 1));
    assert_ne!(qs, typo_queries(&ps, 2000, 2));
    assert_eq!(qs.len(), 2000);
    assert_eq!(qs[0].qid, "Q-000001");
    let by_id: BTreeMap<&str, &Person> = ps.iter().map(|p| (p.id.as_str(), p)).collect();
    let qids: BTreeSet<&str> = qs.iter().map(|q| q.qid.as_str()).collect();
    assert_eq!(qids.len(), qs.len());
    for q in &qs {
        let t = by_id.get(q.target_id.as_str()).expect("target exists");
        assert!(!q.kinds.is_empty(), "{q:?}");
        for k in &q.kinds {
            assert!(kinds::ALL.contains(&k.as_str()), "unknown kind {k}");
        }
        if q.kinds == [kinds::EXACT] {
            assert_eq!((&q.given_name, &q.surname, &q.date_of_birth), (&t.given_name, &t.surname, &t.date_of_birth));
        } else {
            assert!(!q.kinds.iter().any(|k| k == kinds::EXACT));
            assert!(typos::query_differs(q, t), "query equals target: {q:?} vs {t:?}");
            assert!(q.kinds.iter().any(|k| k != kinds::CASE_CHANGED), "{q:?}");
        }
        assert!(!q.surname.is_empty(), "{q:?}");
        let dob = &q.date_of_birth;
        assert!(dob.is_empty() || dob.len() == 4 || util::parse_date(dob).is_some(), "bad DOB {dob}");
        if q.kinds.iter().any(|k| k == kinds::DOB_YEAR_ONLY) {
            assert_eq!(Some(dob.as_str()), t.date_of_birth.get(..4));
        }
        if q.kinds.iter().any(|k| k == kinds::GIVEN_MISSING) {
            assert!(q.given_name.is_empty());
        }
    }
}

#[test]
fn queries_cover_every_kind_with_sensible_shares() {
    let ps = people(20_000, 3);
    let qs = typo_queries(&ps, 5000, 4);
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for q in &qs {
        for k in &q.kinds {
            *seen.entry(k.as_str()).or_default() += 1;
        }
    }
    for k in kinds::ALL {
        assert!(seen.get(k).copied().unwrap_or(0) > 0, "kind {k} never produced: {seen:?}");
    }
    let exact = seen.get(kinds::EXACT).copied().unwrap_or(0) as f64 / qs.len() as f64;
    assert!((0.02..=0.10).contains(&exact), "exact share {exact}");
    // Most targets have a known DOB and most queries keep it.
    let dob_kept = qs.iter().filter(|q| q.date_of_birth.len() == 10).count() as f64 / qs.len() as f64;
    assert!((0.3..=0.8).contains(&dob_kept), "full-DOB share {dob_kept}");
}

#[test]
fn specific_perturbations_look_right() {
    let ps = people(20_000, 3);
    let by_id: BTreeMap<&str, &Person> = ps.iter().map(|p| (p.id.as_str(), p)).collect();
    let qs = typo_queries(&ps, 5000, 4);
    for q in &qs {
        let t = by_id[q.target_id.as_str()];
        let only = |k: &str| q.kinds.len() == 1 && q.kinds[0] == k;
        if only(kinds::SWAPPED) {
            assert_eq!((&q.given_name, &q.surname), (&t.surname, &t.given_name));
        }
        if only(kinds::INITIAL_ONLY) {
            assert_eq!(q.given_name.chars().count(), 1);
            assert_eq!(q.surname, t.surname);
        }
        if only(kinds::DIACRITICS_DROPPED) {
            assert!(q.given_name.is_ascii() && q.surname.is_ascii(), "{q:?}");
        }
        if only(kinds::ALIAS) {
            assert!(t.aliases.contains(&format!("{} {}", q.given_name, q.surname)));
        }
        if only(kinds::DOB_DAY_MONTH_SWAPPED) {
            let a = util::parse_date(&t.date_of_birth).expect("target DOB");
            let b = util::parse_date(&q.date_of_birth).expect("query DOB");
            assert_eq!((a.0, a.1, a.2), (b.0, b.2, b.1));
        }
        if only(kinds::SUBSTITUTION) || only(kinds::TRANSPOSITION) {
            let same_len = q.given_name.chars().count() == t.given_name.chars().count()
                && q.surname.chars().count() == t.surname.chars().count();
            assert!(same_len, "{q:?} vs {t:?}");
        }
    }
}

#[test]
fn no_people_no_queries_or_incidents() {
    assert!(typo_queries(&[], 10, 1).is_empty());
    assert!(incidents(&[], 10, 1, NOW).is_empty());
}

#[test]
fn incidents_link_existing_people() {
    let ps = people(5000, 21);
    let incs = incidents(&ps, 1000, 5, NOW);
    assert_eq!(incs, incidents(&ps, 1000, 5, NOW));
    assert_ne!(incs, incidents(&ps, 1000, 6, NOW));
    assert_eq!(incs.len(), 1000);
    let by_id: BTreeMap<&str, &Person> = ps.iter().map(|p| (p.id.as_str(), p)).collect();
    let refs: BTreeSet<&str> = incs.iter().map(|i| i.reference.as_str()).collect();
    assert_eq!(refs.len(), incs.len());
    let today = util::civil_from_days(NOW.div_euclid(86_400));
    let mut categories = BTreeSet::new();
    for inc in &incs {
        assert!(inc.reference.starts_with("INC-2026-") || inc.reference.starts_with("INC-2025-"));
        assert_eq!(inc.reference.len(), "INC-2026-000123".len());
        assert_eq!(inc.status, "open");
        assert!(inc.occurred_unix <= inc.reported_unix && inc.reported_unix <= NOW);
        assert!(NOW - inc.occurred_unix <= 92 * 86_400);
        assert!(!inc.place.is_empty() && !inc.team.is_empty() && !inc.district.is_empty());
        assert!(INCIDENT_CATEGORIES.iter().any(|(c, _)| *c == inc.category));
        assert!(!inc.links.is_empty(), "{inc:?}");
        categories.insert(inc.category.as_str());
        let mut ids = BTreeSet::new();
        for l in &inc.links {
            let p = by_id.get(l.person_id.as_str()).expect("linked person exists");
            assert!(ROLES.contains(&l.role.as_str()), "{}", l.role);
            assert!(ids.insert(l.person_id.as_str()), "person linked twice: {inc:?}");
            if l.role == "child" {
                let age = age_of(p, today).expect("children have a DOB");
                assert!(age < 18, "child aged {age}");
            }
        }
        let has = |role: &str| inc.links.iter().any(|l| l.role == role);
        if inc.category == "domestic_abuse" {
            assert!(has("victim") && has("suspect"), "{inc:?}");
        }
        if inc.category == "concern_for_child" {
            assert!(has("child") && has("reporting_person"), "{inc:?}");
        }
    }
    for c in [
        "domestic_abuse",
        "sexual_offence",
        "assault",
        "burglary",
        "theft",
        "criminal_damage",
        "concern_for_child",
        "hate_crime",
    ] {
        assert!(categories.contains(c), "no {c}");
    }
    let da: Vec<_> = incs.iter().filter(|i| i.category == "domestic_abuse").collect();
    let with_child = da.iter().filter(|i| i.links.iter().any(|l| l.role == "child")).count();
    assert!(with_child * 4 >= da.len(), "only {with_child} of {} DA incidents have a child", da.len());
    // Some people recur, as repeat victims and suspects do.
    let mut per_person: BTreeMap<&str, usize> = BTreeMap::new();
    for l in incs.iter().flat_map(|i| &i.links) {
        *per_person.entry(l.person_id.as_str()).or_default() += 1;
    }
    assert!(per_person.values().any(|&c| c >= 5));
}

/// The demo has one domestic abuse incident with two adult victims (both with a date of birth),
/// so that training shows each victim needing their own assessment and plan. It is an incident
/// after the showcase, and every other incident is the same as without it.
#[test]
fn one_domestic_abuse_incident_has_two_adult_victims() {
    let ps = people(5000, 21);
    let incs = incidents(&ps, 200, 5, NOW);
    let by_id: BTreeMap<&str, &Person> = ps.iter().map(|p| (p.id.as_str(), p)).collect();
    let two: Vec<&DemoIncident> =
        incs.iter().filter(|i| i.links.iter().filter(|l| l.role == "victim").count() == 2).collect();
    assert_eq!(two.len(), 1, "{two:?}");
    let inc = two[0];
    assert_eq!(inc.category, "domestic_abuse");
    assert_ne!(inc.reference, incs[0].reference, "not the showcase");
    assert_eq!(inc.summary, crate::incidents::TWO_VICTIMS_SUMMARY);
    // Adults when it happened, not only today.
    let on = util::civil_from_days(inc.occurred_unix.div_euclid(86_400));
    for l in inc.links.iter().filter(|l| l.role == "victim").skip(1) {
        let age = age_of(by_id[l.person_id.as_str()], on).expect("a date of birth");
        assert!(age >= 18, "victim aged {age} on the day");
    }
    let roles: Vec<&str> = inc.links.iter().map(|l| l.role.as_str()).collect();
    assert_eq!(&roles[..3], ["victim", "victim", "suspect"], "{roles:?}");
    // Its own random sequence: every other incident is as drawn, and this one is as drawn
    // but for its second victim and its log line.
    let as_drawn = crate::incidents::drawn(&ps, 200, 5, NOW);
    assert_eq!(as_drawn.len(), incs.len());
    let changed: Vec<usize> = (0..incs.len()).filter(|&k| incs[k] != as_drawn[k]).collect();
    assert_eq!(changed.len(), 1);
    let mut was = inc.clone();
    was.links.remove(1);
    assert_eq!(was.links, as_drawn[changed[0]].links);
}

#[test]
fn tiny_populations_do_not_panic() {
    for n in 1..6 {
        let ps = people(n, 2);
        let qs = typo_queries(&ps, 50, 2);
        assert_eq!(qs.len(), 50);
        let incs = incidents(&ps, 50, 2, NOW);
        assert_eq!(incs.len(), 50);
        // Far past: everyone is "unborn"; far future: nobody is a child.
        assert_eq!(incidents(&ps, 5, 2, 0).len(), 5);
        assert_eq!(incidents(&ps, 5, 2, 4_000_000_000).len(), 5);
    }
}

/// Irish-language surnames are whole, and a woman's has Ní / Nic with the lenited initial, as
/// written in Ireland (Ní Shúilleabháin, Nic Chárthaigh): until 6 Dec 2026 the demo wrote
/// "Ní Súilleabháin", gave men Ní Bhriain, and had "Mac Giolla", only the start of a surname.
#[test]
fn irish_surnames_are_whole_and_women_s_forms_lenited() {
    assert_eq!(lenite("Súilleabháin"), "Shúilleabháin");
    assert_eq!(lenite("Cárthaigh"), "Chárthaigh");
    assert_eq!(lenite("Ceallaigh"), "Cheallaigh");
    for kept in ["Aodha", "Lorcáin", "Sceacháin", "Bhriain", "Néill", "X"] {
        assert_eq!(lenite(kept), kept);
    }
    let ps = people(200_000, 5);
    let surnames: BTreeSet<&str> = ps.iter().map(|p| p.surname.as_str()).collect();
    assert!(surnames.contains("Ní Shúilleabháin") && surnames.contains("Nic Giolla Phádraig"), "{surnames:?}");
    assert!(!surnames.contains("Ní Súilleabháin") && !surnames.contains("Mac Giolla"));
    // A man is Ó Briain, a woman Ní Bhriain (the list had Ní Bhriain for both).
    let of = |s: &str| ps.iter().filter(|p| p.surname == s).map(|p| p.sex.as_str()).collect::<BTreeSet<_>>();
    assert!(!of("Ní Bhriain").contains("M"));
    assert!(!of("Ní Bhriain").is_empty() && !of("Ó Briain").is_empty());
    assert!(surnames.iter().filter(|s| s.starts_with("Ní ") || s.starts_with("Nic ")).all(|s| {
        let after = s.split_once(' ').map_or("", |x| x.1);
        after.starts_with("Giolla")
            || !after.starts_with(|c: char| "BCDFGMPT".contains(c))
            || after[1..].starts_with('h')
    }));
}
