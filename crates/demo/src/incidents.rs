//! Synthetic open incidents linking existing synthetic people, for demo mode.

use crate::data::{LOCAL_TOWNS, STREET_NAMES, STREET_TYPES};
use crate::util::{self, below, pick, Weighted};
use crate::{age_of, Person};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Incident categories, with their share per 100 incidents.
pub const INCIDENT_CATEGORIES: &[(&str, u32)] = &[
    ("domestic_abuse", 22),
    ("assault", 15),
    ("theft", 15),
    ("burglary", 10),
    ("criminal_damage", 10),
    ("concern_for_child", 8),
    ("sexual_offence", 6),
    ("hate_crime", 5),
    ("public_order", 5),
    ("robbery", 4),
];

/// Roles a person can have on an incident.
pub const ROLES: &[&str] = &["victim", "suspect", "witness", "child", "reporting_person"];

/// A person linked to an incident in a role (one of [`ROLES`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentLink {
    /// A [`Person::id`] from the slice given to [`incidents`].
    pub person_id: String,
    pub role: String,
}

/// One synthetic incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoIncident {
    /// `INC-<year reported>-<sequence>`, e.g. `INC-2026-000123`. The sequence is unique.
    pub reference: String,
    /// One of the names in [`INCIDENT_CATEGORIES`].
    pub category: String,
    /// One invented sentence for the incident log.
    pub summary: String,
    /// Address or public place.
    pub place: String,
    /// Postcode of the place (empty for public places away from a home address).
    pub postcode: String,
    /// Policing district (a town in the force area).
    pub district: String,
    /// Owning team, e.g. "Maidstone Response 2", "Ashford Public Protection".
    pub team: String,
    /// When it happened (unix seconds, ≤ `reported_unix`).
    pub occurred_unix: i64,
    /// When it was reported (unix seconds, ≤ `now_unix`).
    pub reported_unix: i64,
    /// Always `"open"`.
    pub status: String,
    pub links: Vec<IncidentLink>,
}

/// `n` open incidents over the 90 days before `now_unix`, linking people from `people`.
/// Deterministic in `(people, n, seed, now_unix)`; empty when `people` is empty.
///
/// The first incident is always domestic abuse reported in the last three hours, with an adult
/// victim (with a date of birth when one exists), a suspect and a child (when there are children).
/// Domestic abuse links a victim and a suspect and, about half the time, a child; sexual
/// offences a victim and usually a suspect; concern for a child a child and a reporting person.
/// Some people recur across incidents (repeat victims and suspects), as in real life. One
/// domestic abuse incident after the first has two adult victims.
pub fn incidents(people: &[Person], n: usize, seed: u64, now_unix: i64) -> Vec<DemoIncident> {
    let mut out = drawn(people, n, seed, now_unix);
    second_victim(&mut out, people, seed);
    out
}

/// The incidents as drawn from `seed`, before [`second_victim`].
pub(crate) fn drawn(people: &[Person], n: usize, seed: u64, now_unix: i64) -> Vec<DemoIncident> {
    if people.is_empty() {
        return Vec::new();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x696e_6369_6465_6e74);
    let today = util::civil_from_days(now_unix.div_euclid(86_400));
    let mut adults = Vec::new();
    let mut children = Vec::new();
    for (i, p) in people.iter().enumerate() {
        match age_of(p, today) {
            Some(a) if (0..18).contains(&a) => children.push(i),
            Some(a) if a < 0 => {}
            _ => adults.push(i),
        }
    }
    if adults.is_empty() {
        // Everyone is a child (or unborn on `now`): let them all take any role.
        adults = (0..people.len()).collect();
    }
    let pools = Pools {
        people,
        // Repeat victims and offenders: a small slice of adults gets many incidents.
        frequent: (adults.len() / 50).max(1),
        adults,
        children,
    };
    let categories = Weighted::new(INCIDENT_CATEGORIES.iter().copied());
    let hours = Weighted::new((0..24u32).map(|h| {
        let w = match h {
            0..=2 => 7,
            3..=6 => 3,
            7..=11 => 4,
            12..=16 => 5,
            17..=20 => 7,
            _ => 8,
        };
        (h, w)
    }));
    (1..=n).map(|i| incident(&mut rng, i, &pools, &categories, &hours, now_unix)).collect()
}

/// Domestic abuse with two adult victims (a parent and a grown-up child, two partners of one
/// suspect): each needs their own risk assessment and plan, and the demo and its training
/// must show it. The first domestic abuse incident after the showcase with one victim gets a
/// second adult victim with a date of birth, drawn from its own random sequence so that every
/// other incident stays as [`drawn`] made it.
fn second_victim(incidents: &mut [DemoIncident], people: &[Person], seed: u64) {
    let Some(inc) = incidents
        .iter_mut()
        .skip(1)
        .find(|i| i.category == "domestic_abuse" && i.links.iter().filter(|l| l.role == "victim").count() == 1)
    else {
        return;
    };
    // An adult when it happened (an incident weeks old: someone who turned 18 since was a child
    // victim then).
    let on = util::civil_from_days(inc.occurred_unix.div_euclid(86_400));
    let adults: Vec<&Person> = people
        .iter()
        .filter(|p| age_of(p, on).is_some_and(|a| a >= 18))
        .filter(|p| !inc.links.iter().any(|l| l.person_id == p.id))
        .collect();
    if adults.is_empty() {
        return;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7669_6374_696d_0002);
    let v = adults[below(&mut rng, adults.len())];
    // After the first victim, before the suspect: the order the service lists them in.
    let at = inc.links.iter().position(|l| l.role == "victim").map_or(0, |p| p + 1);
    inc.links.insert(at, IncidentLink { person_id: v.id.clone(), role: "victim".to_string() });
    inc.summary = TWO_VICTIMS_SUMMARY.to_string();
}

/// The incident log line of the domestic abuse incident with two victims.
pub const TWO_VICTIMS_SUMMARY: &str =
    "Caller reports ex-partner assaulted two adults at the address; both injured, suspect left before police arrived.";

struct Pools<'a> {
    people: &'a [Person],
    adults: Vec<usize>,
    children: Vec<usize>,
    frequent: usize,
}

impl Pools<'_> {
    /// An adult not yet linked, preferring the "frequent" few 30 % of the time.
    fn adult(&self, rng: &mut ChaCha8Rng, used: &[usize], repeat: bool) -> Option<usize> {
        for _ in 0..16 {
            let i = if repeat && rng.gen_bool(0.3) {
                self.adults[below(rng, self.frequent.min(self.adults.len()))]
            } else {
                self.adults[below(rng, self.adults.len())]
            };
            if !used.contains(&i) {
                return Some(i);
            }
        }
        None
    }

    /// An adult with a date of birth (for the showcase incident), else any adult.
    fn adult_with_dob(&self, rng: &mut ChaCha8Rng, used: &[usize]) -> Option<usize> {
        for _ in 0..32 {
            let i = self.adults[below(rng, self.adults.len())];
            if !used.contains(&i) && !self.people[i].date_of_birth.is_empty() {
                return Some(i);
            }
        }
        self.adult(rng, used, false)
    }

    fn child(&self, rng: &mut ChaCha8Rng, used: &[usize]) -> Option<usize> {
        if self.children.is_empty() {
            return None;
        }
        for _ in 0..16 {
            let i = self.children[below(rng, self.children.len())];
            if !used.contains(&i) {
                return Some(i);
            }
        }
        None
    }
}

const SUMMARIES: &[(&str, &[&str])] = &[
    (
        "domestic_abuse",
        &[
            "Caller reports partner shouting and throwing items at the home address.",
            "Victim states ex-partner pushed them and took their phone.",
            "Neighbour reports screaming and banging from the address; children present.",
            "Victim reports repeated threatening messages from ex-partner in breach of bail.",
        ],
    ),
    (
        "assault",
        &[
            "Male assaulted outside licensed premises; facial injury, ambulance attended.",
            "Victim punched during argument in car park; suspect left on foot.",
            "Assault on shop worker after being refused sale.",
        ],
    ),
    (
        "theft",
        &[
            "Bicycle stolen from outside address overnight.",
            "Purse taken from handbag in supermarket.",
            "Catalytic converter removed from parked vehicle.",
            "Parcel taken from doorstep, doorbell footage available.",
        ],
    ),
    (
        "burglary",
        &[
            "Rear door forced while occupants away; jewellery and laptop taken.",
            "Shed broken into, power tools stolen.",
            "Occupant disturbed intruder in kitchen at night; suspect fled.",
        ],
    ),
    (
        "criminal_damage",
        &[
            "Front window smashed with a brick.",
            "Vehicle tyres slashed on driveway.",
            "Graffiti sprayed on garage door.",
        ],
    ),
    (
        "concern_for_child",
        &[
            "School reports child arrived with unexplained bruising.",
            "Child found alone at home late at night by neighbour.",
            "Child reported missing from home, returned, concerns about associates.",
        ],
    ),
    (
        "sexual_offence",
        &[
            "Victim reports being touched without consent on a bus.",
            "Historic sexual offence disclosed to support worker.",
            "Victim reports intimate images shared without consent.",
        ],
    ),
    (
        "hate_crime",
        &[
            "Victim subjected to racist abuse in the street.",
            "Homophobic graffiti on victim's front door.",
            "Taxi driver racially abused and threatened by passenger.",
        ],
    ),
    (
        "public_order",
        &[
            "Group fighting outside takeaway, one male threatening passers-by.",
            "Male shouting abuse and threatening staff in hospital A&E.",
        ],
    ),
    (
        "robbery",
        &[
            "Victim's phone snatched by two males on a moped.",
            "Victim threatened with a knife and made to hand over cash.",
        ],
    ),
];

const PUBLIC_PLACES: &[&str] = &[
    "railway station",
    "bus station",
    "town centre",
    "retail park",
    "leisure centre",
    "park",
    "high street",
    "shopping centre car park",
];

const UNITS: &[&str] = &["Response 1", "Response 2", "Response 3", "Response 4", "Neighbourhood", "CID"];

fn incident(
    rng: &mut ChaCha8Rng,
    i: usize,
    pools: &Pools<'_>,
    categories: &Weighted<&'static str>,
    hours: &Weighted<u32>,
    now_unix: i64,
) -> DemoIncident {
    // The first incident is always the showcase of the Victims' Code journey: domestic abuse
    // reported in the last hours, an adult victim with a date of birth, a suspect and a child.
    let showcase = i == 1;
    let category = if showcase { "domestic_abuse" } else { categories.pick(rng).unwrap_or("theft") };
    let mut used: Vec<usize> = Vec::with_capacity(4);
    let mut links: Vec<IncidentLink> = Vec::with_capacity(4);
    let mut add = |used: &mut Vec<usize>, idx: Option<usize>, role: &str| {
        if let Some(idx) = idx {
            used.push(idx);
            links.push(IncidentLink { person_id: pools.people[idx].id.clone(), role: role.to_string() });
        }
    };
    let at_home = matches!(category, "domestic_abuse" | "burglary" | "concern_for_child")
        || (matches!(category, "criminal_damage" | "theft") && rng.gen_bool(0.5));
    match category {
        "domestic_abuse" => {
            let v = if showcase { pools.adult_with_dob(rng, &used) } else { pools.adult(rng, &used, true) };
            add(&mut used, v, "victim");
            let s = pools.adult(rng, &used, true);
            add(&mut used, s, "suspect");
            if showcase || rng.gen_bool(0.5) {
                let c = pools.child(rng, &used);
                add(&mut used, c, "child");
                if rng.gen_bool(0.2) {
                    let c = pools.child(rng, &used);
                    add(&mut used, c, "child");
                }
            }
            if rng.gen_bool(0.25) {
                let r = pools.adult(rng, &used, false);
                add(&mut used, r, "reporting_person");
            }
        }
        "concern_for_child" => {
            let c = pools.child(rng, &used);
            add(&mut used, c, "child");
            let r = pools.adult(rng, &used, false);
            add(&mut used, r, "reporting_person");
            if rng.gen_bool(0.3) {
                let s = pools.adult(rng, &used, true);
                add(&mut used, s, "suspect");
            }
        }
        "sexual_offence" => {
            let v = if rng.gen_bool(0.2) {
                pools.child(rng, &used).or_else(|| pools.adult(rng, &used, false))
            } else {
                pools.adult(rng, &used, false)
            };
            add(&mut used, v, "victim");
            if rng.gen_bool(0.75) {
                let s = pools.adult(rng, &used, true);
                add(&mut used, s, "suspect");
            }
        }
        _ => {
            let v = pools.adult(rng, &used, true);
            add(&mut used, v, "victim");
            let p_suspect = match category {
                "assault" | "hate_crime" | "public_order" => 0.85,
                "robbery" => 0.5,
                "criminal_damage" => 0.5,
                _ => 0.35,
            };
            if rng.gen_bool(p_suspect) {
                let s = pools.adult(rng, &used, true);
                add(&mut used, s, "suspect");
            }
            let witnesses = rng.gen_range(0..=2u32);
            for _ in 0..witnesses {
                let w = pools.adult(rng, &used, false);
                add(&mut used, w, "witness");
            }
        }
    }

    // Where: the first linked person's home for household offences, else a public place in a
    // force-area town.
    let home = used.first().map(|&i| &pools.people[i]);
    let (place, postcode, district) = match home {
        Some(p) if at_home && LOCAL_TOWNS.iter().any(|(t, _)| p.address.ends_with(t)) => {
            let town = p.address.rsplit(", ").next().unwrap_or("");
            (p.address.clone(), p.postcode.clone(), town.to_string())
        }
        _ => {
            let (town, _) = LOCAL_TOWNS[below(rng, LOCAL_TOWNS.len())];
            let place = if rng.gen_bool(0.5) {
                format!("{town} {}", pick(rng, PUBLIC_PLACES))
            } else {
                format!(
                    "outside {} {} {}, {town}",
                    rng.gen_range(1..=150u32),
                    pick(rng, STREET_NAMES),
                    pick(rng, STREET_TYPES)
                )
            };
            (place, String::new(), town.to_string())
        }
    };
    let unit = match category {
        "domestic_abuse" | "sexual_offence" | "concern_for_child" if rng.gen_bool(0.6) => "Public Protection",
        _ => pick(rng, UNITS),
    };
    let team = format!("{district} {unit}");

    // When: within the last 90 days, evening-heavy; reported up to 6 h later (never after now).
    let day0 = now_unix.div_euclid(86_400) * 86_400;
    let days_ago = i64::from(rng.gen_range(0..90u32));
    let hour = i64::from(hours.pick(rng).unwrap_or(20));
    let minute = i64::from(rng.gen_range(0..60u32));
    let mut occurred = day0 - days_ago * 86_400 + hour * 3600 + minute * 60;
    if occurred > now_unix {
        occurred -= 86_400;
    }
    if showcase {
        occurred = now_unix - i64::from(rng.gen_range(20..180u32)) * 60;
    }
    let delay = i64::from(rng.gen_range(0..6 * 3600u32));
    let reported = (occurred + delay).min(now_unix);
    let year = util::civil_from_days(reported.div_euclid(86_400)).0;

    let summary =
        SUMMARIES.iter().find(|(c, _)| *c == category).map(|(_, s)| pick(rng, s)).unwrap_or("Incident reported.");

    DemoIncident {
        reference: format!("INC-{year:04}-{i:06}"),
        category: category.to_string(),
        summary: summary.to_string(),
        place,
        postcode,
        district,
        team,
        occurred_unix: occurred,
        reported_unix: reported,
        status: "open".to_string(),
        links,
    }
}
