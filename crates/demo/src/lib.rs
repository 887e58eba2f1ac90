//! Deterministic synthetic data for demos, training, tests and benchmarks.
//!
//! Everything here is invented. The same `(n, seed)` always gives the same output, on every
//! platform (only fixed-width integer ranges are sampled from a [`ChaCha8Rng`]), so tests and
//! benchmarks can rely on it. No I/O, no clock, no global state.
//!
//! * [`people`] — nominal records with a realistic UK mix of names: weighted English, Welsh and
//!   Scottish surnames (Smith ≈ 1.4 %) with a long tail of rarer ones, plus Irish (O'/Mac/Mc,
//!   fadas, Irish-language forms with a woman's Ní / Nic and its lenition), Polish (with feminine `-ska` forms), other European (one nationality per person),
//!   Pakistani/Bangladeshi, Sikh (Singh/Kaur), Indian (incl. Goan D'Souza), West African,
//!   Caribbean, Chinese and Arabic/Somali names. About 7 % carry aliases (nicknames, maiden
//!   names, alternative spellings, false names), about 5 % have no date of birth, about 15 % are
//!   legacy records (which often lost their diacritics). `people(n, s)` is a prefix of
//!   `people(m, s)` for `n ≤ m`.
//! * [`typo_queries`] — what an officer might type when searching for a given person:
//!   misspellings, nicknames, phonetic respellings, dropped accents, swapped fields, partial DOBs.
//!   Each [`Query`] records the perturbations applied (see [`kinds`]).
//! * [`incidents`] — synthetic open incidents linking people in roles, for demo mode.
//! * [`person_details`] — warning markers and address histories for demo people (the record
//!   page), and [`showcase_aliases`].
//!
//! Ages are drawn relative to 1 January [`REFERENCE_YEAR`], never the clock.

mod data;
mod details;
mod incidents;
mod typos;
mod util;

pub use details::{person_details, showcase_aliases, DemoAddress, DemoMarker, PersonDetails};
pub use incidents::{incidents, DemoIncident, IncidentLink, INCIDENT_CATEGORIES, ROLES};
pub use typos::{kinds, typo_queries, Query};

/// A synthetic mobile number for a demo person, in Ofcom's drama range (07700 900000–900999,
/// never allocated to a real line). Deterministic in the id.
pub fn demo_phone(person_id: &str) -> String {
    let h = person_id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("07700 900{:03}", h % 1000)
}

use data::Group;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use util::{below, pick, Weighted};

/// Dates of birth are generated so that everyone is aged 10–90 on 1 January of this year.
pub const REFERENCE_YEAR: i32 = 2026;

/// The seed every demo surface uses (app demo store, demo central service, end-to-end tests),
/// so they all show the same synthetic people.
pub const DEMO_SEED: u64 = 20_261_126;

/// One synthetic person, in the shape of the nominal import CSV
/// (`id,given_name,surname,date_of_birth,sex,aliases,address,postcode`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: String,
    /// All forenames, space-separated (usually one; sometimes "Mohammed Imran", "Anne Marie").
    pub given_name: String,
    pub surname: String,
    /// `YYYY-MM-DD`, or empty when unknown.
    pub date_of_birth: String,
    /// `M`, `F` or empty.
    pub sex: String,
    /// Each alias as "given surname".
    pub aliases: Vec<String>,
    pub address: String,
    pub postcode: String,
    /// `true` for a record that came from the legacy system.
    pub legacy: bool,
}

/// `n` synthetic people from `seed`. Ids are `DEMO-000001`, `DEMO-000002`, …
///
/// One million people take about 1.2–3 s in a release build on a busy 2-core machine (see
/// `examples/gen_speed.rs`).
pub fn people(n: usize, seed: u64) -> Vec<Person> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let tables = Tables::new();
    (1..=n).map(|i| tables.person(&mut rng, i)).collect()
}

/// Which name list to draw from for one background group.
struct GroupTables {
    surnames: Weighted<&'static str>,
    male_old: Weighted<&'static str>,
    male_young: Weighted<&'static str>,
    female_old: Weighted<&'static str>,
    female_young: Weighted<&'static str>,
    /// Feminine surname form (Polish `-ski` → `-ska`, Lithuanian `-as` → `-ienė`).
    feminine: Option<fn(&str) -> String>,
}

impl GroupTables {
    fn simple(surnames: &[&'static str], male: &[&'static str], female: &[&'static str]) -> Self {
        GroupTables {
            surnames: Weighted::zipf(surnames, 10),
            male_old: Weighted::zipf(male, 5),
            male_young: Weighted::zipf(male, 5),
            female_old: Weighted::zipf(female, 5),
            female_young: Weighted::zipf(female, 5),
            feminine: None,
        }
    }

    fn with_feminine(mut self, f: fn(&str) -> String) -> Self {
        self.feminine = Some(f);
        self
    }

    fn given(&self, rng: &mut ChaCha8Rng, male: bool, born: i32) -> &'static str {
        let t = match (male, born < 1980) {
            (true, true) => &self.male_old,
            (true, false) => &self.male_young,
            (false, true) => &self.female_old,
            (false, false) => &self.female_young,
        };
        t.pick(rng).unwrap_or("Alex")
    }
}

struct Tables {
    groups: Weighted<Group>,
    british: GroupTables,
    tail_prefix: Weighted<&'static str>,
    tail_suffix: Weighted<&'static str>,
    irish: GroupTables,
    polish: GroupTables,
    /// One table per nationality, chosen by `other_euro_pick`.
    other_euro: Vec<GroupTables>,
    other_euro_pick: Weighted<usize>,
    south_asian: GroupTables,
    sikh: GroupTables,
    indian: GroupTables,
    west_african: GroupTables,
    caribbean: GroupTables,
    chinese: GroupTables,
    arabic: GroupTables,
    ages: Weighted<(i32, i32)>,
}

impl Tables {
    fn new() -> Self {
        use data::*;
        Tables {
            groups: Weighted::new(GROUPS.iter().copied()),
            british: GroupTables {
                surnames: Weighted::new(BRITISH_SURNAMES.iter().copied()),
                male_old: Weighted::zipf(BRITISH_MALE_OLD, 4),
                male_young: Weighted::zipf(BRITISH_MALE_YOUNG, 4),
                female_old: Weighted::zipf(BRITISH_FEMALE_OLD, 4),
                female_young: Weighted::zipf(BRITISH_FEMALE_YOUNG, 4),
                feminine: None,
            },
            tail_prefix: Weighted::zipf(TAIL_PREFIX, 5),
            tail_suffix: Weighted::zipf(TAIL_SUFFIX, 5),
            irish: GroupTables::simple(IRISH_SURNAMES, IRISH_MALE, IRISH_FEMALE),
            polish: GroupTables::simple(POLISH_SURNAMES, POLISH_MALE, POLISH_FEMALE).with_feminine(feminine_polish),
            other_euro: OTHER_EURO
                .iter()
                .map(|(_, s, m, f)| {
                    let t = GroupTables::simple(s, m, f);
                    if s.contains(&"Kazlauskas") {
                        t.with_feminine(feminine_lithuanian)
                    } else {
                        t
                    }
                })
                .collect(),
            other_euro_pick: Weighted::new(OTHER_EURO.iter().enumerate().map(|(i, e)| (i, e.0))),
            south_asian: GroupTables::simple(SOUTH_ASIAN_SURNAMES, SOUTH_ASIAN_MALE, SOUTH_ASIAN_FEMALE),
            sikh: GroupTables::simple(SIKH_SURNAMES, SIKH_MALE, SIKH_FEMALE),
            indian: GroupTables::simple(INDIAN_SURNAMES, INDIAN_MALE, INDIAN_FEMALE),
            west_african: GroupTables::simple(WEST_AFRICAN_SURNAMES, WEST_AFRICAN_MALE, WEST_AFRICAN_FEMALE),
            caribbean: GroupTables::simple(CARIBBEAN_SURNAMES, CARIBBEAN_MALE, CARIBBEAN_FEMALE),
            chinese: GroupTables::simple(CHINESE_SURNAMES, CHINESE_MALE, CHINESE_FEMALE),
            arabic: GroupTables::simple(ARABIC_SURNAMES, ARABIC_MALE, ARABIC_FEMALE),
            // Age on 1 January REFERENCE_YEAR: nominals skew young.
            ages: Weighted::new([
                ((10, 17), 12),
                ((18, 24), 20),
                ((25, 34), 25),
                ((35, 44), 18),
                ((45, 54), 12),
                ((55, 64), 7),
                ((65, 89), 6),
            ]),
        }
    }

    /// The name tables for a group (for "other European", one nationality drawn at random).
    fn group(&self, rng: &mut ChaCha8Rng, g: Group) -> &GroupTables {
        match g {
            Group::British => &self.british,
            Group::Irish => &self.irish,
            Group::Polish => &self.polish,
            Group::OtherEuropean => {
                let i = self.other_euro_pick.pick(rng).unwrap_or(0);
                self.other_euro.get(i).unwrap_or(&self.british)
            }
            Group::SouthAsian => &self.south_asian,
            Group::Sikh => &self.sikh,
            Group::Indian => &self.indian,
            Group::WestAfrican => &self.west_african,
            Group::Caribbean => &self.caribbean,
            Group::Chinese => &self.chinese,
            Group::Arabic => &self.arabic,
        }
    }

    fn british_surname(&self, rng: &mut ChaCha8Rng) -> String {
        if rng.gen_bool(0.30) {
            self.british.surnames.pick(rng).unwrap_or("Smith").to_string()
        } else {
            let mut s = String::with_capacity(16);
            s.push_str(self.tail_prefix.pick(rng).unwrap_or("Ash"));
            s.push_str(self.tail_suffix.pick(rng).unwrap_or("ley"));
            if rng.gen_bool(0.08) {
                s.push('s');
            }
            s
        }
    }

    /// A surname for someone of group `g` (name tables `gt`), in the form matching `male`.
    fn surname(&self, rng: &mut ChaCha8Rng, g: Group, gt: &GroupTables, male: bool) -> String {
        match g {
            Group::British => {
                let s = self.british_surname(rng);
                if rng.gen_bool(0.025) {
                    let other = self.british_surname(rng);
                    if other != s {
                        return format!("{s}-{other}");
                    }
                }
                s
            }
            Group::Caribbean if rng.gen_bool(0.2) => self.british_surname(rng),
            Group::Sikh if rng.gen_bool(0.65) => if male { "Singh" } else { "Kaur" }.to_string(),
            Group::SouthAsian if !male && rng.gen_bool(0.15) => {
                if rng.gen_bool(0.8) { "Begum" } else { "Bibi" }.to_string()
            }
            Group::Irish if !male && rng.gen_bool(0.5) => {
                // "Ó"/"Mac" are masculine; a woman's form is "Ní"/"Nic" with the next
                // consonant lenited (Ní Shúilleabháin, Nic Chárthaigh; Giolla stays: Nic Giolla
                // Phádraig). Keep anglicised forms.
                let s = self.irish.surnames.pick(rng).unwrap_or("Murphy");
                if let Some(rest) = s.strip_prefix("Ó ") {
                    format!("Ní {}", lenite(rest))
                } else if let Some(rest) = s.strip_prefix("Mac ") {
                    if rest.starts_with("Giolla") {
                        format!("Nic {rest}")
                    } else {
                        format!("Nic {}", lenite(rest))
                    }
                } else {
                    s.to_string()
                }
            }
            _ => {
                let s = gt.surnames.pick(rng).unwrap_or("Smith");
                match gt.feminine {
                    Some(f) if !male => f(s),
                    _ => s.to_string(),
                }
            }
        }
    }

    fn person(&self, rng: &mut ChaCha8Rng, i: usize) -> Person {
        let g = self.groups.pick(rng).unwrap_or(Group::British);
        let gt = self.group(rng, g);
        let sex_roll = rng.gen_range(0..1000u32);
        let (male, sex) = match sex_roll {
            0..=4 => (rng.gen_bool(0.5), ""),
            5..=564 => (true, "M"),
            _ => (false, "F"),
        };
        let legacy = rng.gen_bool(0.15);

        let (lo, hi) = self.ages.pick(rng).unwrap_or((25, 34));
        let age = rng.gen_range(lo..=hi);
        let born = REFERENCE_YEAR - 1 - age;
        let year_days = if util::is_leap(born) { 366 } else { 365 };
        let day = util::days_from_civil(born, 1, 1) + i64::from(rng.gen_range(0..year_days));
        let (by, bm, bd) = util::civil_from_days(day);
        let missing_dob = rng.gen_bool(if legacy { 0.10 } else { 0.042 });
        let date_of_birth = if missing_dob {
            String::new()
        } else if legacy && rng.gen_bool(0.04) {
            // Legacy placeholder for "year known, day unknown".
            util::format_date(by, 1, 1)
        } else {
            util::format_date(by, bm, bd)
        };

        let first = gt.given(rng, male, born);
        let mut given_name = first.to_string();
        let middle_p = if g == Group::SouthAsian && male && first.starts_with('M') { 0.35 } else { 0.03 };
        if rng.gen_bool(middle_p) {
            let second = gt.given(rng, male, born);
            if util::fold(second) != util::fold(first) {
                given_name.push(' ');
                given_name.push_str(second);
            }
        }
        let mut surname = self.surname(rng, g, gt, male);

        // Legacy records often lost their diacritics.
        if legacy && rng.gen_bool(0.6) {
            if !given_name.is_ascii() {
                given_name = util::fold(&given_name);
            }
            if !surname.is_ascii() {
                surname = util::fold(&surname);
            }
        }
        let first = first_token_of(&given_name);
        let aliases = if rng.gen_bool(0.075) {
            let mut v = Vec::with_capacity(2);
            let count = if rng.gen_bool(0.2) { 2 } else { 1 };
            for _ in 0..count {
                let a = self.alias(rng, (g, gt), male, age, (first, &surname));
                let own = a.strip_prefix(first).and_then(|r| r.strip_prefix(' ')) == Some(&surname);
                if !own && !v.contains(&a) {
                    v.push(a);
                }
            }
            v
        } else {
            Vec::new()
        };

        let (address, postcode) = address(rng);
        Person {
            id: format!("DEMO-{i:06}"),
            given_name,
            surname,
            date_of_birth,
            sex: sex.to_string(),
            aliases,
            address,
            postcode,
            legacy,
        }
    }

    /// One alias as "given surname": a nickname, maiden name, alternative spelling or false name.
    fn alias(
        &self,
        rng: &mut ChaCha8Rng,
        (g, gt): (Group, &GroupTables),
        male: bool,
        age: i32,
        (given, surname): (&str, &str),
    ) -> String {
        let roll = rng.gen_range(0..100u32);
        if roll < 30 {
            if let Some(nick) = typos::nickname_of(given, rng) {
                return format!("{nick} {surname}");
            }
        }
        if roll < 55 && !male && age >= 20 {
            let maiden = self.surname(rng, g, gt, male);
            if maiden != surname {
                return format!("{given} {maiden}");
            }
        }
        if roll < 80 {
            if let Some(v) = typos::variant_of(surname, rng) {
                return format!("{given} {v}");
            }
            if let Some(v) = typos::variant_of(given, rng) {
                return format!("{v} {surname}");
            }
        }
        // A false name: different forename and surname, same sex.
        let other_given = gt.given(rng, male, REFERENCE_YEAR - age);
        let other_surname = self.surname(rng, g, gt, male);
        format!("{other_given} {other_surname}")
    }
}

fn feminine_lithuanian(s: &str) -> String {
    for m in ["ius", "as", "is", "us"] {
        if let Some(stem) = s.strip_suffix(m) {
            return format!("{stem}ienė");
        }
    }
    s.to_string()
}

fn first_token_of(s: &str) -> &str {
    s.split(' ').next().unwrap_or(s)
}

/// An Irish name with its first consonant lenited, as after Ní and Nic: an h after B, C, D,
/// F, G, M, P, T, and after S before a vowel, L, N or R (Súilleabháin → Shúilleabháin,
/// Cárthaigh → Chárthaigh); vowels, L, N, R and a name already lenited are left as they are.
fn lenite(name: &str) -> String {
    let mut chars = name.chars();
    let (Some(first), Some(second)) = (chars.next(), chars.next()) else {
        return name.to_string();
    };
    let vowel_or_lnr = |c: char| "aeiouáéíóúlnrAEIOUÁÉÍÓÚLNR".contains(c);
    let lenites = match first {
        'B' | 'C' | 'D' | 'F' | 'G' | 'M' | 'P' | 'T' => second != 'h',
        'S' => vowel_or_lnr(second),
        _ => false,
    };
    if lenites {
        format!("{first}h{}", &name[first.len_utf8()..])
    } else {
        name.to_string()
    }
}

fn feminine_polish(s: &str) -> String {
    for (m, f) in [("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")] {
        if let Some(stem) = s.strip_suffix(m) {
            return format!("{stem}{f}");
        }
    }
    s.to_string()
}

/// Postcode inward letters exclude C, I, K, M, O and V.
const INWARD_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";

fn address(rng: &mut ChaCha8Rng) -> (String, String) {
    let towns = if rng.gen_bool(0.92) { data::LOCAL_TOWNS } else { data::OTHER_TOWNS };
    let (town, outwards) = towns[below(rng, towns.len())];
    let outward = pick(rng, outwards);
    let street = format!("{} {}", pick(rng, data::STREET_NAMES), pick(rng, data::STREET_TYPES));
    let number = if rng.gen_bool(0.8) { rng.gen_range(1..=120u32) } else { rng.gen_range(1..=320u32) };
    let roll = rng.gen_range(0..100u32);
    let address = if roll < 10 {
        let flat = rng.gen_range(1..=24u32);
        format!("Flat {flat}, {number} {street}, {town}")
    } else if roll < 13 {
        format!("{}, {street}, {town}", pick(rng, data::HOUSE_NAMES))
    } else {
        format!("{number} {street}, {town}")
    };
    let l1 = INWARD_LETTERS[below(rng, INWARD_LETTERS.len())] as char;
    let l2 = INWARD_LETTERS[below(rng, INWARD_LETTERS.len())] as char;
    let postcode = format!("{outward} {}{l1}{l2}", rng.gen_range(0..10u32));
    (address, postcode)
}

/// Age in whole years on `on` of someone with this `YYYY-MM-DD` date of birth.
pub(crate) fn age_of(p: &Person, on: (i32, u32, u32)) -> Option<i32> {
    util::parse_date(&p.date_of_birth).map(|b| util::age_on(b, on))
}

#[cfg(test)]
mod tests;
