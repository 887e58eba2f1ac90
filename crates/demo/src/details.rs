//! Synthetic warning markers, address histories and extra aliases for demo people, so the
//! record page shows something real: everyone linked to a demo incident gets a history, domestic
//! abuse suspects and victims get their markers, and the showcase incident's people (the first
//! incident of [`crate::incidents`]) always have markers, previous addresses and an alias.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::util::{self, below};
use crate::{DemoIncident, Person};

/// One synthetic warning marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoMarker {
    /// A code of `bluelamp_protocol::nominal::MARKERS` (never a Victims' Code vulnerability
    /// code, so the demo's referral decisions are unchanged).
    pub code: &'static str,
    pub description: String,
    /// When it was last verified (unix seconds, ≤ `now_unix`).
    pub verified_unix: i64,
    pub verified_by: &'static str,
}

/// One address in a synthetic history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAddress {
    pub address: String,
    pub postcode: String,
    /// `home` for the current address, `previous` otherwise.
    pub kind: &'static str,
    /// `YYYY-MM-DD`.
    pub from: String,
    /// `YYYY-MM-DD`; `None` for the current address.
    pub to: Option<String>,
}

/// What [`person_details`] adds for one person.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PersonDetails {
    pub person_id: String,
    /// Most serious first.
    pub markers: Vec<DemoMarker>,
    /// The current address (from the person) first, then previous ones, newest first.
    pub addresses: Vec<DemoAddress>,
}

const VERIFIERS: &[&str] = &["PC 4127 Hughes", "DS 2210 Okafor", "Force Intelligence Bureau", "PS 1893 Kowalczyk"];

const OTHER: &[(&str, &str)] = &[
    ("drugs", "Known supplier of Class A drugs; may conceal packages."),
    ("self_harm", "History of self-harm when in custody."),
    ("missing_risk", "Repeatedly reported missing; at risk of exploitation."),
    ("weapons", "Found in possession of a bladed article."),
    ("escape_risk", "Attempted to escape from custody."),
];

fn marker(rng: &mut ChaCha8Rng, code: &'static str, description: String, now_unix: i64) -> DemoMarker {
    let days = i64::from(rng.gen_range(3..400u32));
    DemoMarker {
        code,
        description,
        verified_unix: now_unix - days * 86_400 - i64::from(rng.gen_range(0..86_400u32)),
        verified_by: VERIFIERS[below(rng, VERIFIERS.len())],
    }
}

fn previous_address(rng: &mut ChaCha8Rng) -> (String, String) {
    let (town, outwards) = crate::data::LOCAL_TOWNS[below(rng, crate::data::LOCAL_TOWNS.len())];
    let street =
        format!("{} {}", util::pick(rng, crate::data::STREET_NAMES), util::pick(rng, crate::data::STREET_TYPES));
    let number = rng.gen_range(1..=140u32);
    let outward = util::pick(rng, outwards);
    let inward = format!(
        "{}{}{}",
        rng.gen_range(0..10u32),
        char::from(b'A' + u8::try_from(below(rng, 26)).unwrap_or(0)),
        char::from(b'A' + u8::try_from(below(rng, 26)).unwrap_or(0))
    );
    (format!("{number} {street}, {town}"), format!("{outward} {inward}"))
}

/// Markers and address histories for the people `incidents` link (and a few others), keyed by
/// person id, in `people` order. Deterministic in `(people, incidents, seed, now_unix)`.
pub fn person_details(people: &[Person], incidents: &[DemoIncident], seed: u64, now_unix: i64) -> Vec<PersonDetails> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0064_6574_6169_6c73);
    let today = util::civil_from_days(now_unix.div_euclid(86_400));
    let mut out = Vec::new();
    for (i, p) in people.iter().enumerate() {
        let links: Vec<(usize, &DemoIncident, &str)> = incidents
            .iter()
            .enumerate()
            .flat_map(|(n, inc)| {
                inc.links.iter().filter(|l| l.person_id == p.id).map(move |l| (n, inc, l.role.as_str()))
            })
            .collect();
        let showcase = links.iter().any(|(n, _, _)| *n == 0);
        let adult = crate::age_of(p, today).is_none_or(|a| a >= 18);
        let mut d = PersonDetails { person_id: p.id.clone(), ..Default::default() };
        for (n, inc, role) in &links {
            let reference = &inc.reference;
            match (inc.category.as_str(), *role) {
                ("domestic_abuse", "suspect") => {
                    if !d.markers.iter().any(|m| m.code == "domestic_abuse_perpetrator") {
                        let text = format!("Suspect in domestic abuse incident {reference}; threats to ex-partner.");
                        d.markers.push(marker(&mut rng, "domestic_abuse_perpetrator", text, now_unix));
                    }
                    if *n == 0 || rng.gen_bool(0.5) {
                        let text = "Violent towards partners and police; assaulted an officer on arrest.".to_string();
                        d.markers.push(marker(&mut rng, "violence", text, now_unix));
                    }
                    if *n == 0 {
                        let text = "Known to carry a knife; disclosed by ex-partner.".to_string();
                        d.markers.push(marker(&mut rng, "weapons", text, now_unix));
                    }
                }
                ("domestic_abuse", "victim") => {
                    let text = format!("Victim of domestic abuse (incident {reference}); check safety plan.");
                    d.markers.push(marker(&mut rng, "domestic_abuse_victim", text, now_unix));
                }
                ("assault" | "robbery", "suspect") if adult => {
                    let text = format!("Suspect in violent offence {reference}.");
                    d.markers.push(marker(&mut rng, "violence", text, now_unix));
                }
                _ => {}
            }
        }
        if links.is_empty() && adult && rng.gen_ratio(1, 15) {
            let (code, text) = OTHER[below(&mut rng, OTHER.len())];
            d.markers.push(marker(&mut rng, code, text.to_string(), now_unix));
        }
        let mut seen = std::collections::HashSet::new();
        d.markers.retain(|m| seen.insert(m.code));
        // Address histories: everyone linked to an incident, and every fifth other person.
        let moves = if showcase {
            2 + below(&mut rng, 2)
        } else if !links.is_empty() || i % 5 == 0 {
            below(&mut rng, 3)
        } else {
            0
        };
        if (moves > 0 || showcase) && !p.address.is_empty() {
            // Walk back from today: each address lasted 1-6 years.
            let mut end = now_unix.div_euclid(86_400) - i64::from(rng.gen_range(60..1500u32));
            let (y, m, dd) = util::civil_from_days(end);
            d.addresses.push(DemoAddress {
                address: p.address.clone(),
                postcode: p.postcode.clone(),
                kind: "home",
                from: util::format_date(y, m, dd),
                to: None,
            });
            for _ in 0..moves {
                let to = end - 1;
                let from = to - i64::from(rng.gen_range(365..2200u32));
                let (address, postcode) = previous_address(&mut rng);
                let (fy, fm, fd) = util::civil_from_days(from);
                let (ty, tm, td) = util::civil_from_days(to);
                d.addresses.push(DemoAddress {
                    address,
                    postcode,
                    kind: "previous",
                    from: util::format_date(fy, fm, fd),
                    to: Some(util::format_date(ty, tm, td)),
                });
                end = from;
            }
        }
        if !d.markers.is_empty() || !d.addresses.is_empty() {
            out.push(d);
        }
    }
    out
}

/// Aliases the showcase incident's victim and suspect carry in the demo (a maiden name and a
/// false name), as `(person id, alias "given surname")`, for people who have none. Both the
/// demo store and the demo central service add them, so a sync does not take them away.
/// Deterministic in `(people, seed, now_unix)`.
pub fn showcase_aliases(people: &[Person], seed: u64, now_unix: i64) -> Vec<(String, String)> {
    let Some(first) = crate::incidents(people, 1, seed, now_unix).into_iter().next() else { return Vec::new() };
    let mut out = Vec::new();
    for l in &first.links {
        let Some(pos) = people.iter().position(|p| p.id == l.person_id) else { continue };
        let p = &people[pos];
        if !p.aliases.is_empty() {
            continue;
        }
        // Borrow a name from another (deterministic) demo person.
        let other = &people[(pos * 7 + 13) % people.len()];
        let alias = match l.role.as_str() {
            "victim" => format!("{} {}", p.given_name, other.surname),
            "suspect" => format!("{} {}", other.given_name, p.surname),
            _ => continue,
        };
        if alias != format!("{} {}", p.given_name, p.surname) {
            out.push((p.id.clone(), alias));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_200_000; // 2026-12-02

    #[test]
    fn showcase_people_get_markers_addresses_and_aliases() {
        let people = crate::people(300, crate::DEMO_SEED);
        let incidents = crate::incidents(&people, 12, crate::DEMO_SEED, NOW);
        let details = person_details(&people, &incidents, crate::DEMO_SEED, NOW);
        assert_eq!(details, person_details(&people, &incidents, crate::DEMO_SEED, NOW), "deterministic");
        let of = |id: &str| details.iter().find(|d| d.person_id == id);
        let showcase = &incidents[0];
        assert_eq!(showcase.category, "domestic_abuse");
        let suspect = showcase.links.iter().find(|l| l.role == "suspect").expect("a suspect");
        let s = of(&suspect.person_id).expect("details for the suspect");
        let codes: Vec<&str> = s.markers.iter().map(|m| m.code).collect();
        assert_eq!(codes, ["domestic_abuse_perpetrator", "violence", "weapons"]);
        assert!(s.addresses.len() >= 3, "current and previous addresses: {:?}", s.addresses);
        assert!(s.addresses[0].to.is_none() && s.addresses[1..].iter().all(|a| a.to.is_some()));
        let victim = showcase.links.iter().find(|l| l.role == "victim").expect("a victim");
        let v = of(&victim.person_id).expect("details for the victim");
        assert!(v.markers.iter().any(|m| m.code == "domestic_abuse_victim"));
        for d in &details {
            for m in &d.markers {
                assert!(m.verified_unix < NOW && m.verified_unix > NOW - 401 * 86_400);
                assert!(!["mental_health", "learning_disability"].contains(&m.code));
            }
        }
        assert!(details.len() > 20, "a few dozen people have something: {}", details.len());

        let aliases = showcase_aliases(&people, crate::DEMO_SEED, NOW);
        for l in showcase.links.iter().filter(|l| matches!(l.role.as_str(), "victim" | "suspect")) {
            let p = people.iter().find(|p| p.id == l.person_id).unwrap();
            assert!(
                !p.aliases.is_empty() || aliases.iter().any(|(id, _)| *id == p.id),
                "{} ({}) has an alias",
                p.id,
                l.role
            );
        }
    }
}
