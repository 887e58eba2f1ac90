//! Scoring and ranking candidates against a query, with human-readable reasons.

use std::collections::HashMap;

use strsim::{jaro_winkler, osa_distance};

use crate::dob::{score_dob, Date};
use crate::name::{codes, Part};
use crate::query::{Prepared, QPart, Reading, SearchQuery, Sex};
use crate::{data, fold};

/// Weight of a full surname agreement for the most common surname (rarity 0).
pub const W_SURNAME: f32 = 4.0;

/// Score at or above which a search hit counts as a **likely duplicate** of a person being
/// created (issue 7: a provisional nominal the central service matches, and the "likely
/// matches" shown before saving). With the formula below, 8 needs at least an exact or
/// near-exact surname and given name (4–6 + 2–3), or a close name plus an agreeing DOB; a
/// disagreeing DOB (−3) keeps an exact name under it. Since the disagreement weights were
/// halved (3 Dec 2026), the same surname and exact DOB with a different given name (another
/// name used, or a twin) also reaches it unless the surname is common (rarity below 0.25).
/// Tested in `tests::likely_duplicate_threshold`.
pub const LIKELY_DUPLICATE_SCORE: f32 = 8.0;
/// Extra surname weight for the rarest surname (rarity 1).
pub const W_SURNAME_RARITY: f32 = 2.0;
/// Weight of a full surname disagreement (value −1). Half the base agreement weight, as in
/// Fellegi–Sunter, where a disagreement weighs log((1 − m)/(1 − u)), far less than an
/// agreement's log(m/u): a part of the same person's record differs fairly often (surname
/// changed on marriage, another given name used, a replaced or mis-keyed value), so a
/// different part is weaker evidence against a match than an equal one is for it.
pub const W_SURNAME_DISAGREE: f32 = 2.0;
/// Weight of a full given-name disagreement (value −1); see [`W_SURNAME_DISAGREE`].
pub const W_GIVEN_DISAGREE: f32 = 1.5;
/// Weight of a full given-name agreement.
pub const W_GIVEN: f32 = 3.0;
/// Penalty when the best alignment has given name and surname swapped.
pub const SWAP_PENALTY: f32 = 0.5;
/// A straight alignment scoring at least this (both parts agree well) is not re-tried swapped:
/// a swapped alignment could not beat it.
const SKIP_SWAP_ABOVE: f32 = W_SURNAME + W_SURNAME_RARITY + W_GIVEN - SWAP_PENALTY;
/// Weight of a given-name agreement for one word typed alone in the free-text box, where the
/// officer did not say which name it is ("Wojciech", "Jane"): the weight of a surname of middle
/// rarity (the word's frequency as a given name is not counted), so how well the word matches
/// decides, not which field it matched. Jane Smith (given name exact) comes before Anja Jansen
/// (surname similar spelling); Wojciech Nowak before Adam Wójcik (surname phonetic).
pub const W_LONE_WORD_GIVEN: f32 = W_SURNAME + W_SURNAME_RARITY * 0.5;
/// Subtracted from [`W_LONE_WORD_GIVEN`] so that the surname reading, the usual one, wins a tie.
pub const LONE_WORD_GIVEN_PENALTY: f32 = 0.05;
/// Penalty of the double-surname reading ("Javier Garcia Lopez" as Javier, surname "Garcia
/// Lopez"): the name as typed wins a tie.
pub const DOUBLE_SURNAME_PENALTY: f32 = 0.1;
/// Penalty of a one-word search read as two names typed without a space ("derekfairweather"),
/// below the [`W_SURNAME`] its score is capped at.
pub const JOINED_PENALTY: f32 = 0.5;
/// Penalty when the best-matching name is an alias rather than the main name.
pub const ALIAS_PENALTY: f32 = 0.2;

/// One name of a candidate record. `names[0]` of a [`Candidate`] is the main name, the rest
/// are aliases.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CandidateName<'a> {
    pub given: &'a str,
    pub surname: &'a str,
    /// Number of records sharing this surname (row count of its [`crate::surname_freq_key`]);
    /// 0 = unknown (neutral rarity).
    pub surname_freq: u32,
}

/// A record fetched by the store for ranking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate<'a, Id> {
    pub id: Id,
    pub names: Vec<CandidateName<'a>>,
    pub dob: Option<Date>,
    pub sex: Option<Sex>,
}

/// A ranked result.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit<Id> {
    pub id: Id,
    /// Higher is better; see the crate docs for the formula (≈ 13 max with a DOB).
    pub score: f32,
    /// Index into the candidate's `names` of the best-matching name (0 = main name).
    pub name_index: usize,
    /// Why it matched, e.g. "surname phonetic (Smyth~Smith)", "DOB day/month swapped".
    pub reasons: Vec<String>,
    /// Nothing in the name outweighs what disagrees in it (its name score, before the DOB, is
    /// not above zero): whatever the DOB adds, a weak match ("Peter Throgmorton, 1970-05-05"
    /// for Sandra Brookwood born that day).
    pub weak_name: bool,
}

/// Scores candidates against one query; build once per search.
pub struct Ranker {
    query: SearchQuery,
    prepared: Prepared,
    /// The name's other readings ([`SearchQuery::alt_readings`]): surname-first is scored
    /// [`SWAP_PENALTY`] lower, double-surname [`DOUBLE_SURNAME_PENALTY`] lower, and both said.
    alts: Vec<(Prepared, Reading)>,
    total_records: u64,
    /// Frequencies of the query's name words as surnames ([`Ranker::part_freq_keys`]), for the
    /// rarity of one part of a double-barrelled surname matched exactly.
    part_freqs: std::collections::HashMap<String, u32>,
}

impl Ranker {
    /// `total_records` is the number of nominal records in the store (for surname rarity).
    pub fn new(query: &SearchQuery, total_records: u64) -> Ranker {
        Ranker {
            prepared: query.prepare(),
            alts: query.alt_readings().into_iter().map(|(q, kind)| (q.prepare(), kind)).collect(),
            query: query.clone(),
            total_records,
            part_freqs: std::collections::HashMap::new(),
        }
    }

    /// The `SN:` keys of the query's name words (each word of each part, every reading): a
    /// store passes their row counts to [`Ranker::with_part_freqs`], so that "Kay" matched as
    /// one part of Vandersnoot-Kay weighs as rare or common as Kay is, not as the whole
    /// double-barrelled name (rare almost by definition).
    pub fn part_freq_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for p in std::iter::once(&self.prepared).chain(self.alts.iter().map(|(p, _)| p)) {
            for part in [&p.given, &p.surname].into_iter().flatten() {
                for t in &part.part.core {
                    let k = format!("SN:{t}");
                    if !keys.contains(&k) {
                        keys.push(k);
                    }
                }
            }
        }
        keys
    }

    /// Row counts of [`Ranker::part_freq_keys`] (a key left out counts as unknown: the whole
    /// surname's rarity is used).
    pub fn with_part_freqs(mut self, freqs: std::collections::HashMap<String, u32>) -> Ranker {
        self.part_freqs = freqs;
        self
    }

    /// Scores one candidate; `None` if it is excluded (different known sex, wildcard not met,
    /// or no name at all).
    pub fn score<Id: Clone>(&self, c: &Candidate<'_, Id>) -> Option<Hit<Id>> {
        if let (Some(qs), Some(cs)) = (self.query.sex, c.sex) {
            if qs != cs {
                return None;
            }
        }
        let mut best: Option<(f32, usize, Vec<String>)> = None;
        for (i, n) in c.names.iter().enumerate() {
            let Some((mut s, mut why)) = self.name_score(n, c.sex.or(self.query.sex), true) else {
                continue;
            };
            if i > 0 {
                s -= ALIAS_PENALTY;
                why.push(format!("matched alias ({} {})", title(n.given), title(n.surname)));
            }
            if !matches!(&best, Some(b) if b.0 >= s) {
                best = Some((s, i, why));
            }
        }
        let (mut score, name_index, mut reasons) = best?;
        let weak_name = score <= 0.0;
        let (d, why) = score_dob(self.query.dob.as_ref(), c.dob);
        score += d;
        reasons.extend(why);
        Some(Hit { id: c.id.clone(), score, name_index, reasons, weak_name })
    }

    /// Scores all candidates and returns the best `limit`, best first (stable for equal scores).
    ///
    /// Fast path: name scores are memoised per distinct (given, surname, frequency, sex) — a common
    /// name such as "John Smith" is compared once — and reasons are rendered only for the hits
    /// returned. The scores are those of [`Ranker::score`].
    pub fn rank<Id: Clone>(&self, candidates: &[Candidate<'_, Id>], limit: usize) -> Vec<Hit<Id>> {
        let mut memo: HashMap<(&str, &str, u32, Option<Sex>), Option<f32>> = HashMap::new();
        let mut scored: Vec<(f32, usize)> = Vec::with_capacity(candidates.len());
        for (i, c) in candidates.iter().enumerate() {
            if let Some(s) = self.quick_score(c, &mut memo) {
                scored.push((s, i));
            }
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.truncate(limit);
        scored.into_iter().filter_map(|(_, i)| self.score(&candidates[i])).collect()
    }

    /// [`Ranker::score`]'s number without its reasons.
    fn quick_score<'c>(
        &self,
        c: &Candidate<'c, impl Clone>,
        memo: &mut HashMap<(&'c str, &'c str, u32, Option<Sex>), Option<f32>>,
    ) -> Option<f32> {
        if let (Some(qs), Some(cs)) = (self.query.sex, c.sex) {
            if qs != cs {
                return None;
            }
        }
        let mut best: Option<f32> = None;
        for (i, n) in c.names.iter().enumerate() {
            let sex = c.sex.or(self.query.sex);
            let s = *memo
                .entry((n.given, n.surname, n.surname_freq, sex))
                .or_insert_with(|| self.name_score(n, sex, false).map(|x| x.0));
            let Some(mut s) = s else {
                continue;
            };
            if i > 0 {
                s -= ALIAS_PENALTY;
            }
            if !matches!(best, Some(b) if b >= s) {
                best = Some(s);
            }
        }
        Some(best? + score_dob(self.query.dob.as_ref(), c.dob).0)
    }

    fn rarity(&self, freq: u32) -> f32 {
        if freq == 0 || self.total_records < 2 {
            return 0.5;
        }
        let r = 1.0 - (f64::from(freq)).ln() / (self.total_records as f64).ln();
        r.clamp(0.0, 1.0) as f32
    }

    /// The best of the query's readings (one, or more for "O Sullivan", "Nguyen Thi Lan",
    /// "Javier Garcia Lopez").
    fn name_score(&self, n: &CandidateName<'_>, sex: Option<Sex>, reasons: bool) -> Option<(f32, Vec<String>)> {
        let mut best = self.reading_score(&self.prepared, n, sex, reasons, true);
        for (alt, kind) in &self.alts {
            // The surname-first and double-surname readings are themselves reorderings: not
            // swapped again.
            let Some((mut score, mut why)) = self.reading_score(alt, n, sex, reasons, *kind == Reading::Particle)
            else {
                continue;
            };
            let name = |p: Option<&crate::query::QPart>| p.map(|p| title(&p.part.tokens.join(" "))).unwrap_or_default();
            match kind {
                Reading::Particle => {}
                Reading::SurnameFirst => {
                    if reasons {
                        let (s, g) = (alt.surname.as_ref(), alt.given.as_ref());
                        why.insert(0, format!("read surname first ({}, {})", name(s), name(g)));
                    }
                    score -= SWAP_PENALTY;
                }
                Reading::DoubleSurname => {
                    if reasons {
                        why.insert(0, format!("read as a double surname ({})", name(alt.surname.as_ref())));
                    }
                    score -= DOUBLE_SURNAME_PENALTY;
                }
                Reading::Joined => {
                    if reasons {
                        let (g, s) = (alt.given.as_ref(), alt.surname.as_ref());
                        why.insert(0, format!("read as two names ({} {})", name(g), name(s)));
                    }
                    // Both names agreeing count as one word agreeing: a record holding the
                    // word itself (Robertson) comes before one holding its two halves (Robert
                    // Son), whatever their rarity.
                    score = (score - W_GIVEN).min(W_SURNAME) - JOINED_PENALTY;
                }
            }
            if !matches!(&best, Some(b) if b.0 >= score) {
                best = Some((score, why));
            }
        }
        // After the readings, which say more when they fit as well ("read surname first").
        if let Some(reordered) = self.same_words_reordered(n, reasons) {
            if !matches!(&best, Some(b) if b.0 >= reordered.0) {
                best = Some(reordered);
            }
        }
        best
    }

    /// Three names or more, all of the record's and no others, in another order: "Peter Chan Tai
    /// Man" (English name, surname, Chinese given name, as Hong Kong documents write it) for
    /// Peter Tai Man Chan, "Laszlo Nagy Istvan" for Istvan Laszlo Nagy. Scored as both parts
    /// exact less [`SWAP_PENALTY`]; the readings cover two names and the usual orders.
    fn same_words_reordered(&self, n: &CandidateName<'_>, reasons: bool) -> Option<(f32, Vec<String>)> {
        let (qg, qs) = (self.prepared.given.as_ref()?, self.prepared.surname.as_ref()?);
        if qg.wildcard || qs.wildcard {
            return None;
        }
        let mut typed: Vec<&String> = qg.part.tokens.iter().chain(&qs.part.tokens).collect();
        if typed.len() < 3 || typed.iter().any(|t| t.len() < 2) {
            return None;
        }
        let (cg, cs) = (Part::given(n.given)?, Part::new(n.surname)?);
        let mut recorded: Vec<&String> = cg.tokens.iter().chain(&cs.tokens).collect();
        if recorded.len() != typed.len() {
            return None;
        }
        typed.sort();
        recorded.sort();
        if typed != recorded {
            return None;
        }
        let score = W_SURNAME + W_SURNAME_RARITY * self.rarity(n.surname_freq) + W_GIVEN - SWAP_PENALTY;
        let why = if reasons {
            vec![format!(
                "same names in another order ({} {})",
                title(&cg.tokens.join(" ")),
                title(&cs.tokens.join(" "))
            )]
        } else {
            Vec::new()
        };
        Some((score, why))
    }

    /// `sex`: the record's, or else the one searched for.
    fn reading_score(
        &self,
        p: &Prepared,
        n: &CandidateName<'_>,
        sex: Option<Sex>,
        reasons: bool,
        swaps: bool,
    ) -> Option<(f32, Vec<String>)> {
        let cg = Part::given(n.given);
        let cs = Part::new(n.surname);
        if cg.is_none() && cs.is_none() {
            return None;
        }
        let w_s_agree = W_SURNAME + W_SURNAME_RARITY * self.rarity(n.surname_freq);
        let two_part_query = p.given.is_some() && p.surname.is_some();
        // One word alone in the free-text box: either name, on equal terms (W_LONE_WORD_GIVEN).
        let lone_free_word = self.query.free_text && p.given.is_none() && p.surname.is_some();
        // (score, swapped, surname match, given match)
        type Align = (f32, bool, Option<PartMatch>, Option<PartMatch>);
        let mut best: Option<Align> = None;
        for swapped in [false, true] {
            if swapped && !swaps {
                break;
            }
            if swapped && matches!(&best, Some(b) if b.0 >= SKIP_SWAP_ABOVE) {
                break;
            }
            let (qg, qs) =
                if swapped { (p.surname.as_ref(), p.given.as_ref()) } else { (p.given.as_ref(), p.surname.as_ref()) };
            // A surname searched alone is matched against given names too, but not one written
            // with a particle ("El Sayed", "Van Dyke"): no given name is, and "El" read as a given
            // name found Eleni and Eleanor as nicknames.
            if swapped && !two_part_query && qg.is_some_and(|q| q.part.core.len() < q.part.tokens.len()) {
                continue;
            }
            let mut total = match (swapped, lone_free_word) {
                (false, _) => 0.0,
                (true, false) => -SWAP_PENALTY,
                (true, true) => -LONE_WORD_GIVEN_PENALTY,
            };
            let mut ms = None;
            let mut mg = None;
            if let Some(q) = qs {
                match &cs {
                    Some(c) => match compare_surname(q, c).map(|mut m| {
                        // Below 0.7 it counts as no evidence; up to 0.8 (Sandhu / Singh, 0.75) it
                        // keeps its own value, but says why rather than "differs".
                        if m.sim < 0.8 && matches!(m.rule, Rule::Differs) {
                            if let Some(query_side) = in_place_of_family_name(&q.part, c, sex) {
                                m = PartMatch { sim: m.sim.max(0.7), rule: Rule::InPlaceOfFamilyName(query_side) };
                            }
                        }
                        if m.sim >= 0.9 || swapped {
                            return m;
                        }
                        match boundary_surname(q, qg, c, cg.as_ref()) {
                            Some(b) if b.sim > m.sim => b,
                            _ => m,
                        }
                    }) {
                        Some(m) => {
                            let v = value(m.sim);
                            // A one-word search typed as a given name, matched to the surname:
                            // weighed as the given name it was typed as, so a record with that
                            // given name still comes first.
                            let w = if swapped && !two_part_query {
                                W_GIVEN
                            } else if let (false, Rule::Barrel(t)) = (swapped, &m.rule) {
                                // One part matched exactly: as rare as that part is.
                                self.part_freqs
                                    .get(&format!("SN:{t}"))
                                    .filter(|f| **f > 0)
                                    .map_or(w_s_agree, |f| W_SURNAME + W_SURNAME_RARITY * self.rarity(*f))
                            } else {
                                w_s_agree
                            };
                            total += if v > 0.0 { w * v } else { W_SURNAME_DISAGREE * v };
                            ms = Some(m);
                        }
                        None => continue,
                    },
                    None if q.wildcard => continue,
                    None => {}
                }
            }
            if let Some(q) = qg {
                match &cg {
                    Some(c) => match compare_given(q, c) {
                        Some(m) => {
                            let v = value(m.sim);
                            // One name searched, read as a given name that does not agree:
                            // no reading at all ("given name differs (Vandersnoot/Laura)" for
                            // a surname searched alone explained nothing).
                            if swapped && !two_part_query && v <= 0.0 {
                                continue;
                            }
                            let w = if swapped && lone_free_word { W_LONE_WORD_GIVEN } else { W_GIVEN };
                            total += if v > 0.0 { w * v } else { W_GIVEN_DISAGREE * v };
                            mg = Some(m);
                        }
                        None => continue,
                    },
                    // No given name on record: unknown, so neither an initial nor a prefix
                    // typed as the given name (`A*`) excludes it, as a missing DOB never
                    // excludes. (A prefix typed as the surname, read as a given name in the
                    // swapped reading, still must be met.)
                    None if q.wildcard && swapped => continue,
                    None => {}
                }
            }
            if !matches!(&best, Some(b) if b.0 >= total) {
                best = Some((total, swapped, ms, mg));
            }
        }
        let (total, swapped, ms, mg) = best?;
        if !reasons {
            return Some((total, Vec::new()));
        }
        let (qg, qs) =
            if swapped { (p.surname.as_ref(), p.given.as_ref()) } else { (p.given.as_ref(), p.surname.as_ref()) };
        let mut why = Vec::new();
        // A one-word search matched against the given name is not a swap the officer made.
        if swapped && two_part_query {
            why.push("given name and surname swapped".to_string());
        }
        match (qs, &cs, ms) {
            (Some(q), Some(c), Some(m)) => why.push(m.rule.render("surname", &q.part, c)),
            (Some(_), None, _) => why.push("no surname on record".into()),
            _ => {}
        }
        match (qg, &cg, mg) {
            (Some(q), Some(c), Some(m)) => why.push(m.rule.render("given name", &q.part, c)),
            (Some(_), None, _) => why.push("no given name on record".into()),
            _ => {}
        }
        Some((total, why))
    }
}

/// Scores and ranks in one call (see [`Ranker`]).
pub fn rank<Id: Clone>(
    query: &SearchQuery,
    candidates: &[Candidate<'_, Id>],
    total_records: u64,
    limit: usize,
) -> Vec<Hit<Id>> {
    Ranker::new(query, total_records).rank(candidates, limit)
}

/// Maps a similarity in [0, 1] to an agreement value in [-1, 1]: 1.0 → 1, 0.85 → 0.35,
/// 0.7 → 0, ≤ 0.4 → −1. Above 0.7 the value rises as the 1.5th power of the linear ramp, so a
/// near-exact spelling keeps most of an exact match's weight while a loose one (Blake~Clarke,
/// Jaro–Winkler 0.82) counts for little: two unrelated names of similar length often reach
/// 0.8. Linear until 3 Dec 2026; see docs/search.md for the measurements.
/// A surname in the same listed spelling group as the one searched (Zhang / Chang, Xu / Hsu,
/// Chaudhry / Choudhury): the same family name written another way, as an umlaut written out
/// is, so above a near spelling that may be another name (Chang / Chan, 0.96).
const SURNAME_VARIANT: f32 = 0.97;

/// Agreement of an exact part of a double-barrelled surname (until 7 Dec 2026 0.9, which ranked
/// Orlagh Vandersnoot-Kay 27th for "Kay", below 26 Kayas).
const BARREL_EXACT: f32 = 0.96;

fn value(sim: f32) -> f32 {
    let v = ((sim - 0.7) / 0.3).clamp(-1.0, 1.0);
    if v > 0.0 {
        v.powf(1.5)
    } else {
        v
    }
}

struct PartMatch {
    sim: f32,
    rule: Rule,
}

/// Which rule produced a part's similarity; rendered to text only for the winning alignment.
enum Rule {
    Exact,
    Spacing,
    PrefixForm,
    WithoutPrefix,
    Umlaut,
    Variant,
    Irish,
    /// One family name's feminine and masculine forms (Kowalska / Kowalski).
    Gendered(Gendered),
    AmongGivenOnRecord,
    TypedAmongGiven,
    /// The record's name is the name typed without its last word.
    FurtherNameTyped,
    SplitAcrossGiven,
    /// The record's last given name and its surname typed as one surname.
    JoinedWithLastGiven(String),
    /// Singh, Kaur, Begum, Bibi or Khatun against a family name; true if the query's side.
    InPlaceOfFamilyName(bool),
    Nickname,
    /// A short form written for the name in old records (Wm for William, Thos for Thomas).
    WrittenShort,
    /// Two nicknames of one formal name (Jonny and Jack, both John's).
    SharedNickname(String),
    /// An Irish, Scottish Gaelic or Welsh form and its English name (Seán / John).
    OtherForm(data::FormLink),
    Barrel(String),
    BarrelSound(String),
    BarrelSimilar(String),
    MiddleName,
    /// A nickname of one side's middle name (Tess for Maria Theresa).
    MiddleNickname,
    /// Muhammad or Syed before the name a man is called by ("Usman" for Muhammad Usman).
    AfterPrefix(String),
    /// Both sides' first names written as initials, and the second agrees ("M A" for Mohammed
    /// Abdul).
    Initials,
    /// Initials typed run together ("JJ" for John James).
    InitialsRunTogether,
    /// The first name as an initial, the second as written ("M Usman" for Muhammad Usman).
    InitialThenSame,
    /// The first names agree (any rule) and both sides have a second given name, which differs.
    SecondDiffers,
    /// The first given name agrees; the other has more (or fewer) given names.
    FirstName,
    Initial(char),
    InitialVia(char, String),
    InitialDiffers,
    Wildcard,
    /// A wildcard met by a later given name, one barrel or another form of the name only.
    WildcardPart(String),
    Phonetic,
    /// Spelt as it sounds to an English ear ([`fold::heard`]): Vishnevski for Wisniewski.
    Heard,
    Similar(f32),
    Differs,
}

impl Rule {
    fn render(&self, field: &str, q: &Part, c: &Part) -> String {
        let (qt, ct) = (title(&q.tokens.join(" ")), title(&c.tokens.join(" ")));
        match self {
            Rule::Exact => format!("{field} exact"),
            Rule::Spacing => format!("{field} spacing ({qt}→{ct})"),
            Rule::PrefixForm => format!("{field} prefix form ({qt}→{ct})"),
            Rule::WithoutPrefix => format!("{field} without prefix ({qt}→{ct})"),
            Rule::Umlaut => format!("{field} umlaut spelling ({qt}→{ct})"),
            Rule::Variant => format!("{field} variant spelling ({qt}→{ct})"),
            Rule::Irish => format!("{field} Irish-language form ({qt}→{ct})"),
            Rule::Gendered(Gendered::Feminine) => format!("{field} feminine form ({qt}→{ct})"),
            Rule::Gendered(Gendered::Masculine) => format!("{field} masculine form ({qt}→{ct})"),
            Rule::Gendered(Gendered::Sibling) => format!("{field} another form of the same family name ({qt}→{ct})"),
            Rule::AmongGivenOnRecord => format!("{field} {qt} is among the given names on record"),
            Rule::TypedAmongGiven => format!("{field} {ct} typed among the given names"),
            Rule::FurtherNameTyped => format!("{field} {ct} typed before a further name ({qt})"),
            Rule::SplitAcrossGiven => format!("{field} split across the given names ({ct})"),
            Rule::JoinedWithLastGiven(last) => format!("{field} written as one ({qt}→{} {ct})", title(last)),
            Rule::InPlaceOfFamilyName(query_side) => {
                let name = if *query_side { &qt } else { &ct };
                format!("{field} {name} may stand for the family name ({qt}/{ct})")
            }
            Rule::Nickname => format!("{field} nickname ({qt}→{ct})"),
            Rule::WrittenShort => format!("{field} written short ({qt}→{ct})"),
            Rule::SharedNickname(root) => format!("{field} both short for {} ({qt}/{ct})", title(root)),
            Rule::OtherForm(link) => {
                // The language beside the name that is the form: "(Dave→Welsh Dafydd)".
                let side = |form: Option<&str>, name: &str| match form {
                    Some(l) => format!("{} {name}", title(l)),
                    None => name.to_string(),
                };
                let (q, c) = (side(link.a_form, &qt), side(link.b_form, &ct));
                format!("{field} forms of {} ({q}→{c})", title(&link.english))
            }
            Rule::Barrel(t) => {
                format!("{field} part {} of double-barrelled name ({qt}→{ct})", title(t))
            }
            Rule::BarrelSound(t) => {
                format!("{field} sounds like part {} of double-barrelled name ({qt}~{ct})", title(t))
            }
            Rule::BarrelSimilar(t) => {
                format!("{field} spelt like part {} of double-barrelled name ({qt}~{ct})", title(t))
            }
            Rule::MiddleName => format!("{field} matches a middle name ({qt}→{ct})"),
            Rule::MiddleNickname => format!("{field} another form of a middle name ({qt}→{ct})"),
            Rule::AfterPrefix(p) => format!("{field} as called after {} ({qt}/{ct})", title(p)),
            Rule::Initials => format!("{field} initials agree ({qt}/{ct})"),
            Rule::InitialsRunTogether => {
                // The side typed or recorded as initials run together keeps its capitals ("JJ").
                let as_typed = |p: &Part, t: &str| if p.tokens.len() == 1 { p.joined.clone() } else { t.to_string() };
                format!("{field} initials agree ({}/{})", as_typed(q, &qt), as_typed(c, &ct))
            }
            Rule::InitialThenSame => format!("{field} initial, then the same name ({qt}/{ct})"),
            Rule::SecondDiffers => format!("{field} second name differs ({qt}/{ct})"),
            Rule::FirstName => format!("{field} first name exact ({qt}/{ct})"),
            Rule::Initial(i) => format!("{field} initial {i}"),
            Rule::InitialVia(i, root) => format!("{field} initial {i} (via {})", title(root)),
            Rule::InitialDiffers => format!("{field} initial differs"),
            Rule::Wildcard => format!("{field} matches {}*", title(&q.joined)),
            Rule::WildcardPart(part) => format!("{field} {} (of {ct}) matches {}*", title(part), title(&q.joined)),
            Rule::Phonetic => format!("{field} phonetic ({qt}~{ct})"),
            Rule::Heard => format!("{field} spelt as heard ({qt}~{ct})"),
            Rule::Similar(s) => format!("{field} similar spelling ({qt}~{ct}, {s:.2})"),
            Rule::Differs => format!("{field} differs ({qt}/{ct})"),
        }
    }
}

fn pm(sim: f32, rule: Rule) -> Option<PartMatch> {
    Some(PartMatch { sim, rule })
}

/// "MCDONALD" → "Mcdonald", "O'SULLIVAN" → "O'Sullivan" for reasons: a capital after an
/// apostrophe that follows one letter (O', D', N'), not after longer ones.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    // Letters of the current word so far.
    let mut run = 0;
    for c in s.chars().take(80) {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        let letter = c.is_alphanumeric();
        start = if c == '\'' { run == 1 } else { !letter };
        run = if letter { run + 1 } else { 0 };
    }
    out
}

/// Byte offsets of the AE / OE / UE in `s` (folded upper case) that can stand for Ä, Ö, Ü:
/// not at the end of a word (Joe, Zoe, Chloe, Rae, Sue), and not in a final -AEL / -OEL / -UEL
/// (Michael, Raphael, Noel, Joel, Samuel, Manuel), which are English and Hebrew names, not
/// German spellings. Until 6 Dec 2026 "Jo" matched Joe as an "umlaut spelling (Jo→Joe)".
fn umlaut_digraphs(s: &str) -> impl Iterator<Item = usize> + '_ {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(1)).filter(move |&i| {
        if !matches!(b[i], b'A' | b'O' | b'U') || b[i + 1] != b'E' {
            return false;
        }
        let rest = b[i + 2..].iter().take_while(|c| c.is_ascii_alphabetic()).count();
        rest > 1 || (rest == 1 && b[i + 2] != b'L')
    })
}

fn has_umlaut_digraph(s: &str) -> bool {
    umlaut_digraphs(s).next().is_some()
}

/// `s` with each umlaut digraph ([`umlaut_digraphs`]) read as its vowel.
fn de_umlaut(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for i in umlaut_digraphs(s) {
        out.push_str(&s[last..=i]);
        last = i + 2;
    }
    out.push_str(&s[last..]);
    out
}

/// Müller/Mueller/Muller: equal once AE/OE/UE are read as A/O/U.
fn umlaut_equal(a: &str, b: &str) -> bool {
    (has_umlaut_digraph(a) || has_umlaut_digraph(b)) && de_umlaut(a) == de_umlaut(b)
}

/// Surname with ST→SAINT and a leading MAC→MC, for prefix-insensitive comparison.
fn norm_prefixes(p: &Part) -> String {
    let j: String = p
        .tokens
        .iter()
        .map(|t| match t.as_str() {
            "ST" => "SAINT",
            "STE" => "SAINTE",
            t => t,
        })
        .collect();
    match j.strip_prefix("MAC") {
        Some(rest) if rest.len() >= 3 => format!("MC{rest}"),
        _ => j,
    }
}

/// One surname is an Irish-language form whose anglicised form is the other (Ó Súilleabháin /
/// O'Sullivan, Ní Shúilleabháin / Sullivan, Mac Cárthaigh / MacCarthy), or both are Irish forms
/// of one name (Ní Shúilleabháin / Ó Súilleabháin).
fn irish_equal(q: &QPart, c: &Part) -> bool {
    let (qa, ca) = (q.anglicised, c.anglicised());
    if qa.is_empty() && ca.is_empty() {
        return false;
    }
    let plain = |p: &Part| [p.core.concat(), norm_prefixes(p)];
    let (qp, cp) = (plain(&q.part), plain(c));
    qa.iter().any(|x| ca.contains(x) || cp.contains(x)) || ca.iter().any(|x| qp.contains(x))
}

/// How a record's surname is another gendered form of the one searched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gendered {
    /// The record has the feminine form (Kowalski searched, Kowalska on record).
    Feminine,
    /// The record has the masculine form (Kowalska searched, Kowalski on record).
    Masculine,
    /// Both are feminine forms of one name (a wife's Kazlauskienė, a daughter's Kazlauskaitė).
    Sibling,
}

fn gendered(q: &QPart, c: &Part) -> Option<Gendered> {
    let cm = c.masculine_forms();
    let qm = &q.masculine;
    if qm.is_empty() && cm.is_empty() {
        return None;
    }
    let plain = |p: &Part| [p.joined.clone(), p.core.concat()];
    let (qp, cp) = (plain(&q.part), plain(c));
    if cm.iter().any(|m| qp.contains(m)) {
        Some(Gendered::Feminine)
    } else if qm.iter().any(|m| cp.contains(m)) {
        Some(Gendered::Masculine)
    } else {
        qm.iter().any(|m| cm.contains(m)).then_some(Gendered::Sibling)
    }
}

fn has_prefix_form(p: &Part) -> bool {
    p.joined.starts_with("MAC") || p.tokens.iter().any(|t| t == "ST" || t == "STE")
}

/// Similarity of a given name and its Irish, Scottish Gaelic or Welsh form (Seán / John).
const OTHER_FORM: f32 = 0.88;

/// Two spellings of one name as it sounds ([`fold::heard`]) whose phonetic codes differ: as a
/// phonetic match.
const HEARD: f32 = 0.9;
/// Below this similarity a spelling is not respelt as heard (the pairs it is for are 0.64 and
/// more: Vuychik / Wojcik).
pub(crate) const HEARD_MIN_SIM: f32 = 0.6;

/// Similarity of two spellings one keying slip apart (see [`string_sim`]): as a nickname.
const ONE_SLIP: f32 = 0.93;

/// Two short forms of one name (Bill / Liam, both William's; Jonny / Jack, both John's), or a
/// short form and another name's own form: a hair below one name and its own nickname
/// (Bill→William, 0.93), so "Bill Smith" lists William Smith before Liam Smith. Measured in
/// memory (6 Dec 2026): FEBRL4 and Splink unchanged at four decimals, 200k typo set R@1 / R@10
/// 0.8514 / 0.9679 → 0.8518 / 0.9680. Lower (0.91, 0.88) lowered FEBRL4, Splink or the typo set.
const SHARED_NICKNAME: f32 = 0.925;

/// max(Jaro–Winkler, 1 − OSA distance / longer length), and at least [`ONE_SLIP`] for one slip
/// after the first letter in names of four letters or more. OSA is Damerau–Levenshtein restricted
/// to adjacent transpositions (strsim's `osa_distance`); only computed when JW is below 0.93.
pub(crate) fn string_sim(a: &str, b: &str) -> f32 {
    let j = jaro_winkler(a, b) as f32;
    let len = a.len().max(b.len());
    // One keying slip after the first letter (a letter missed, added, replaced, or swapped
    // with the next) in a name of four letters or more: Jaro–Winkler ranks "Betn" nearer
    // "Bethany" (0.90) than "Beth" (0.88), since it rewards the shared start, not the edit.
    if j < ONE_SLIP && a.len().min(b.len()) >= 4 && a.as_bytes()[0] == b.as_bytes()[0] && osa_distance(a, b) == 1 {
        return ONE_SLIP;
    }
    if j >= 0.9 || len == 0 {
        return j;
    }
    j.max(1.0 - osa_distance(a, b) as f32 / len as f32)
}

fn phonetic_equal(a: &[String], b: &[String]) -> bool {
    a.iter().any(|x| b.contains(x))
}

fn sim_rule(sim: f32) -> Rule {
    if sim >= 0.8 {
        Rule::Similar(sim)
    } else {
        Rule::Differs
    }
}

fn compare_surname(q: &QPart, c: &Part) -> Option<PartMatch> {
    let (qj, cj) = (q.part.joined.as_str(), c.joined.as_str());
    if q.wildcard {
        // The name, or the name without its particle ("Sul*" for O'Sullivan), starts with the
        // prefix; else one barrel or another form of it does ("Smi*" for Brown-Smith), weighed
        // as one barrel of a double-barrelled name is.
        if cj.starts_with(qj) || c.core.concat().starts_with(qj) {
            return pm(1.0, Rule::Wildcard);
        }
        let other = c.surname_strings().into_iter().find(|s| s.starts_with(qj))?;
        return pm(0.9, Rule::WildcardPart(other));
    }
    if q.part.is_initial() {
        return if c.initial() == q.part.initial() {
            pm(0.8, Rule::Initial(q.part.initial()))
        } else {
            pm(0.2, Rule::InitialDiffers)
        };
    }
    if qj == cj {
        return pm(1.0, Rule::Exact);
    }
    if (has_prefix_form(&q.part) || has_prefix_form(c)) && norm_prefixes(&q.part) == norm_prefixes(c) {
        return pm(0.97, Rule::PrefixForm);
    }
    let q_core_differs = q.part.core.len() != q.part.tokens.len();
    let c_core_differs = c.core.len() != c.tokens.len();
    let (qc, cc) = (
        if q_core_differs { q.part.core.concat() } else { qj.to_string() },
        if c_core_differs { c.core.concat() } else { cj.to_string() },
    );
    if (q_core_differs || c_core_differs) && qc == cc {
        return pm(0.95, Rule::WithoutPrefix);
    }
    if umlaut_equal(qj, cj) {
        return pm(0.97, Rule::Umlaut);
    }
    if irish_equal(q, c) {
        return pm(0.95, Rule::Irish);
    }
    if data::canon(qj) == data::canon(cj) || data::canon(&qc) == data::canon(&cc) {
        return pm(SURNAME_VARIANT, Rule::Variant);
    }
    if let Some(way) = gendered(q, c) {
        return pm(0.95, Rule::Gendered(way));
    }
    // The best part-for-part match of a double-barrelled name: either part may be the one
    // recorded, and spelt as the officer heard it ("Smyth" for "Smith-Jones").
    let mut barrel: Option<PartMatch> = None;
    if q.part.core.len() > 1 || c.core.len() > 1 {
        if let Some(t) = q.part.core.iter().find(|t| c.core.contains(t)) {
            // A one-word surname that is one part of the record's: above a one-slip spelling
            // of another whole name (Kay for Vandersnoot-Kay before Kaya, 0.94), below the name
            // itself (a Kay is still the likelier "Kay"). A double surname searched (or read
            // from free text) of which the record holds one part stays at 0.9.
            let sim = if q.part.core.len() == 1 { BARREL_EXACT } else { 0.9 };
            // Both double-barrelled: the whole name spelt nearly alike still wins below
            // (Tayor-Barker is Taylor-Barker with a letter missed, not merely a Barker).
            if q.part.core.len() == 1 || c.core.len() == 1 {
                return pm(sim, Rule::Barrel(t.clone()));
            }
            barrel = pm(sim, Rule::Barrel(t.clone()));
        } else {
            barrel = barrel_part(q, c);
        }
    }
    let mut sim = string_sim(qj, cj);
    if q_core_differs || c_core_differs {
        sim = sim.max(string_sim(&qc, &cc));
    }
    if let Some(b) = barrel {
        if b.sim > sim {
            return Some(b);
        }
    }
    // A one-slip spelling that also sounds the same (Smyth~Smith) says so.
    if (0.6..0.9).contains(&sim) || sim == ONE_SLIP {
        let mut strings = vec![cj.to_string()];
        if c_core_differs {
            strings.push(cc);
        }
        if phonetic_equal(&q.surname_codes, &codes(&strings)) {
            return pm(sim.max(0.9), Rule::Phonetic);
        }
    }
    if (HEARD_MIN_SIM..HEARD).contains(&sim) && fold::heard_equals(cj, &q.heard) {
        return pm(HEARD, Rule::Heard);
    }
    pm(sim, sim_rule(sim))
}

/// Names many people are recorded under in place of the family name, or beside it: Singh and
/// Kaur (Sikh), and Begum, Bibi and Khatun (women of Bangladeshi and Pakistani families).
/// "Harpreet Sandhu" and "Harpreet Kaur", or "Fatema Rahman" and "Fatema Begum", may be one
/// woman. Against a different surname such a name counts as no evidence (agreement value 0,
/// as a missing surname), not as a disagreement. Both on one side ("Kaur Sandhu") is a
/// double-barrelled match instead.
/// The sex a name standing in for the family name belongs to: Singh a man's, Kaur, Begum, Bibi
/// and Khatun a woman's.
fn stand_in_sex(p: &Part) -> Option<Sex> {
    let [t] = p.core.as_slice() else { return None };
    match data::canon(t) {
        "SINGH" => Some(Sex::Male),
        "KAUR" | "BEGUM" | "BIBI" | "KHATUN" => Some(Sex::Female),
        _ => None,
    }
}

/// Whether one side of a surname comparison that found them unalike is such a stand-in and the
/// other a family name: `Some(true)` for the query's side, `Some(false)` for the record's.
/// `None` when both or neither are stand-ins (Kaur against Singh simply differs), for an
/// initial, or against a known sex of the other kind (`sex`: the record's, or else the one
/// searched for; a man is not recorded as Begum or Kaur, nor a woman as Singh).
fn in_place_of_family_name(q: &Part, c: &Part, sex: Option<Sex>) -> Option<bool> {
    if q.is_initial() || c.is_initial() {
        return None;
    }
    let fits = |s: Sex| sex.is_none_or(|x| x == s);
    match (stand_in_sex(q), stand_in_sex(c)) {
        (Some(s), None) if fits(s) => Some(true),
        (None, Some(s)) if fits(s) => Some(false),
        _ => None,
    }
}

/// A surname that crossed the line between given names and surname: recorded as a middle name
/// ("Harpreet Kaur" finds Harpreet Kaur Sandhu, given names "Harpreet Kaur"), typed as one
/// ("Maria Garcia Lopez" finds Maria Garcia), or split with its first half typed as a given
/// name ("Mohammed Abdul Rahman" finds Mohammed Abdulrahman). Only for a surname that matched
/// no better than a phonetic code, in the straight (unswapped) reading. A middle name is weaker
/// evidence (0.85, under a phonetic match: "Michael Lee" must not tie Michael Lee Brown with
/// Michael Leigh) than a split surname (0.95). The given names still compare by their first
/// words.
fn boundary_surname(qs: &QPart, qg: Option<&QPart>, cs: &Part, cg: Option<&Part>) -> Option<PartMatch> {
    if qs.wildcard || qs.part.is_initial() {
        return None;
    }
    if let Some(cg) = cg {
        if cg.tokens[1..].contains(&qs.part.joined) {
            return pm(0.85, Rule::AmongGivenOnRecord);
        }
    }
    // The record's last given name and surname typed as one surname ("Mohamed Abdulkarim" for
    // Mohammed Abdul Karim, "Mohammad Rafiquddin" for Mohammad Rafiq Uddin).
    if let Some(cg) = cg {
        if let (true, Some(last)) = (cg.tokens.len() > 1, cg.tokens.last()) {
            let j = &qs.part.joined;
            if j.len() == last.len() + cs.joined.len()
                && j.starts_with(last.as_str())
                && j.ends_with(cs.joined.as_str())
            {
                return pm(0.95, Rule::JoinedWithLastGiven(last.clone()));
            }
        }
    }
    let qg = qg.filter(|g| !g.wildcard && g.part.tokens.len() > 1)?;
    let typed = &qg.part.tokens[1..];
    // The record's whole name is the name typed without its last word: a Somali or Eritrean
    // name (given, father's, grandfather's: "Abdi Mohamed Hassan" recorded as Abdi Mohamed) or a
    // Spanish one (given, father's and mother's surnames: "Maria Garcia Lopez" as Maria Garcia).
    // Every recorded word is accounted for, in order, so it weighs as a split surname does.
    // Spellings of one name count as the same word (Xasan / Hassan, Maxamed / Mohamed).
    if let Some(cg) = cg {
        let n = qg.part.tokens.len();
        let same = |a: &str, b: &str| a == b || data::canon(a) == data::canon(b);
        if cs.tokens.len() == 1
            && same(&qg.part.tokens[n - 1], &cs.joined)
            && cg.tokens.len() == n - 1
            && cg.tokens.iter().zip(&qg.part.tokens).all(|(a, b)| same(a, b))
        {
            return pm(0.95, Rule::FurtherNameTyped);
        }
    }
    if typed.contains(&cs.joined) {
        return pm(0.85, Rule::TypedAmongGiven);
    }
    let last = typed.last()?;
    if cs.joined.len() == last.len() + qs.part.joined.len()
        && cs.joined.starts_with(last.as_str())
        && cs.joined.ends_with(qs.part.joined.as_str())
    {
        return pm(0.95, Rule::SplitAcrossGiven);
    }
    None
}

/// One part of a double-barrelled name against one part of the other (neither equal: the
/// caller has checked): sounding alike (a phonetic code in common and a fair spelling
/// similarity) or spelt alike. Weaker than an exact part (0.9), as a whole-name phonetic match
/// is.
fn barrel_part(q: &QPart, c: &Part) -> Option<PartMatch> {
    let mut best: Option<(f32, &String, bool)> = None;
    for qt in &q.part.core {
        let qcodes = codes(std::slice::from_ref(qt));
        for ct in &c.core {
            let sim = string_sim(qt, ct);
            let (score, phonetic) = if sim >= 0.5 && phonetic_equal(&qcodes, &codes(std::slice::from_ref(ct))) {
                (0.85f32.max(sim * 0.9), true)
            } else if sim >= 0.85 {
                (sim * 0.9, false)
            } else {
                continue;
            };
            if best.is_none_or(|b| score > b.0) {
                best = Some((score, ct, phonetic));
            }
        }
    }
    let (score, part, phonetic) = best?;
    pm(score, if phonetic { Rule::BarrelSound(part.clone()) } else { Rule::BarrelSimilar(part.clone()) })
}

fn compare_given(q: &QPart, c: &Part) -> Option<PartMatch> {
    let (qf, cf) = (q.part.first(), c.first());
    if q.wildcard {
        // The given names or the first of them start with the prefix; else a later one does,
        // weighed as a middle name ("Pau*" for John Paul).
        let p = q.part.joined.as_str();
        if c.joined.starts_with(p) || cf.starts_with(p) {
            return pm(1.0, Rule::Wildcard);
        }
        let other = c.tokens.iter().find(|t| t.starts_with(p))?;
        return pm(0.85, Rule::WildcardPart(other.clone()));
    }
    if run_together_initials(&q.part, c) || run_together_initials(c, &q.part) {
        return pm(0.9, Rule::InitialsRunTogether);
    }
    if q.part.is_initial() || c.is_initial() {
        let (ini, full) = if q.part.is_initial() { (q.part.initial(), c) } else { (c.initial(), &q.part) };
        if full.initial() == ini {
            return match second_given_agrees(&q.part, c) {
                Some(true) => pm(0.9, Rule::Initials),
                Some(false) => pm(0.6, Rule::SecondDiffers),
                None => pm(0.85, Rule::Initial(ini)),
            };
        }
        if !full.is_initial() {
            let first = full.first();
            let mut via = data::roots(first).into_iter().chain(data::english_forms(first).cloned());
            if let Some(r) = via.find(|r| r.starts_with(ini)) {
                return pm(0.75, Rule::InitialVia(ini, r));
            }
        }
        return pm(0.3, Rule::InitialDiffers);
    }
    if q.part.joined == c.joined {
        return pm(if qf == cf { 1.0 } else { 0.99 }, if qf == cf { Rule::Exact } else { Rule::Spacing });
    }
    let second = second_given_agrees(&q.part, c);
    // The first name written as its initial on one side only ("M Usman" for Muhammad Usman).
    if (qf.len() == 1) != (cf.len() == 1) && qf.as_bytes()[0] == cf.as_bytes()[0] {
        return match second {
            Some(true) => pm(0.95, Rule::InitialThenSame),
            Some(false) => pm(0.6, Rule::SecondDiffers),
            None => pm(0.85, Rule::Initial(qf.as_bytes()[0] as char)),
        };
    }
    // Muhammad or Syed first, then the name the man is called by, on one side only.
    for (a, b) in [(c, &q.part), (&q.part, c)] {
        if a.tokens.len() > 1
            && b.tokens.len() == 1
            && is_name_prefix(a.first())
            && !is_name_prefix(b.first())
            && data::canon(&a.tokens[1]) == data::canon(b.first())
        {
            return pm(0.95, Rule::AfterPrefix(a.first().to_string()));
        }
    }
    let m = compare_first_given(q, c, second != Some(false))?;
    // Muhammad or Syed on both sides, the name after it on one side only ("Mohammed Usman" and
    // Mohamed): the name the man is called by is the one missing, whatever the spelling.
    if second.is_none() && q.part.tokens.len() != c.tokens.len() && is_name_prefix(qf) && is_name_prefix(cf) {
        return pm(m.sim.min(0.9), m.rule);
    }
    // The first names agree but the second names differ (Mohammed Usman / Mohammed Irfan, Ji
    // Hun / Ji Woo, John Paul / John Peter): below a phonetic match of the whole name.
    if second == Some(false) && m.sim > 0.85 {
        return pm(0.85, Rule::SecondDiffers);
    }
    Some(m)
}

/// Whether `q` is two or three initials run together ("JJ", "TJ": one vowelless word, not a
/// name or short form the tables know, such as "Md" for Mohammed) and `c` has at least as many
/// given names, starting with those letters in order ("JJ" for John James). Asked both ways:
/// typed "JJ", or recorded so. Only against that many given names is the word read so: "Jn"
/// against Jon is still a slip of Jon.
fn run_together_initials(q: &Part, c: &Part) -> bool {
    let [t] = q.tokens.as_slice() else { return false };
    if !(2..=3).contains(&t.len()) || c.tokens.len() < t.len() || t.bytes().any(|b| b"AEIOUY".contains(&b)) {
        return false;
    }
    if data::canon(t) != t.as_str() || data::roots(t).len() > 1 {
        return false;
    }
    t.bytes().zip(&c.tokens).all(|(i, tok)| tok.as_bytes()[0] == i)
}

/// Muhammad (any spelling, Md, Mohd) and Syed: given names that often come before the one a man
/// is called by.
fn is_name_prefix(tok: &str) -> bool {
    matches!(data::canon(tok), "MOHAMMED" | "SYED")
}

/// Whether two given-name words are the same name: equal, an initial of the other, one
/// spelling or nickname group, or spelt or sounding alike.
fn given_tokens_agree(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if a.len() == 1 || b.len() == 1 {
        return a.as_bytes()[0] == b.as_bytes()[0];
    }
    if data::canon(a) == data::canon(b) {
        return true;
    }
    let rb = data::roots(b);
    if data::roots(a).iter().any(|r| rb.contains(r)) {
        return true;
    }
    let sim = string_sim(a, b);
    sim >= 0.85
        || (sim >= 0.6
            && phonetic_equal(
                &codes(std::slice::from_ref(&a.to_string())),
                &codes(std::slice::from_ref(&b.to_string())),
            ))
}

/// Whether the second given names agree; `None` when either side has only one.
fn second_given_agrees(q: &Part, c: &Part) -> Option<bool> {
    let (a, b) = (q.tokens.get(1)?, c.tokens.get(1)?);
    Some(given_tokens_agree(a, b))
}

/// The given names compared by their first words (and the whole name when `whole` allows: not
/// when the second names differ, as "Maria Theresa" and "Marcia Tanisha" share only letters).
fn compare_first_given(q: &QPart, c: &Part, whole: bool) -> Option<PartMatch> {
    let (qf, cf) = (q.part.first(), c.first());
    if qf == cf {
        // "John" for "John Paul", "Kate Lin" for "Kate": a little below the whole name, so
        // "Katelin" (spacing) and "John" itself come first.
        return pm(0.985, Rule::FirstName);
    }
    if data::canon(qf) == data::canon(cf) {
        return pm(0.95, Rule::Variant);
    }
    let cr = data::roots(cf);
    if let Some(shared) = q.roots.iter().find(|r| cr.contains(r)) {
        // One a nickname of the other (Jonny / Jonathan), or two nicknames of one name (Jonny /
        // Jack, both John's), said as such ("nickname (Jonny→Jack)" read as if one were the
        // other's). The second weighs a hair less (SHARED_NICKNAME).
        let direct = q.roots.first().is_some_and(|r| cr.contains(r)) || cr.first().is_some_and(|r| q.roots.contains(r));
        // A written short form stands for one name only (Wm is William): as a spelling variant.
        if direct && data::written_short(qf, cf) {
            return pm(0.95, Rule::WrittenShort);
        }
        return if direct {
            pm(0.93, Rule::Nickname)
        } else {
            pm(SHARED_NICKNAME, Rule::SharedNickname(shared.clone()))
        };
    }
    if umlaut_equal(qf, cf) {
        return pm(0.95, Rule::Umlaut);
    }
    // Below a nickname and a one-slip spelling: Seán and John are one name in two languages,
    // but in England mostly two people.
    if let Some(link) = data::shared_english_form(qf, cf) {
        if string_sim(qf, cf) < OTHER_FORM {
            return pm(OTHER_FORM, Rule::OtherForm(link));
        }
    }
    if c.tokens[1..].iter().any(|t| t == qf) || q.part.tokens[1..].iter().any(|t| t == cf) {
        return pm(0.85, Rule::MiddleName);
    }
    // A nickname of a middle name (Tess for Maria Theresa), not of a name's own spelling group.
    let middle_of = |p: &Part, roots: &[String]| {
        p.tokens[1..].iter().any(|t| t.len() > 1 && data::roots(t).iter().any(|r| roots.contains(r)))
    };
    if (c.tokens.len() > 1 && middle_of(c, &q.roots))
        || (q.part.tokens.len() > 1 && middle_of(&q.part, &data::roots(cf)))
    {
        return pm(0.83, Rule::MiddleNickname);
    }
    let mut sim = string_sim(qf, cf);
    if whole && (q.part.tokens.len() > 1 || c.tokens.len() > 1) {
        sim = sim.max(string_sim(&q.part.joined, &c.joined));
    }
    if let Some(stems) = shared_name_suffix(qf, cf) {
        sim = sim.min(stems);
    }
    // A one-slip spelling that also sounds the same (Smyth~Smith) says so.
    if (0.6..0.9).contains(&sim) || sim == ONE_SLIP {
        let mut strings = vec![cf.to_string()];
        if c.tokens.len() > 1 {
            strings.push(c.joined.clone());
        }
        if phonetic_equal(&q.plain_given_codes, &codes(&strings)) {
            return pm(sim.max(0.9), Rule::Phonetic);
        }
    }
    if (HEARD_MIN_SIM..HEARD).contains(&sim) && fold::heard_equals(cf, &q.heard_first) {
        return pm(HEARD, Rule::Heard);
    }
    pm(sim, sim_rule(sim))
}

/// Endings that many Punjabi (mostly Sikh) given names share: Harpreet, Gurpreet and Jaspreet,
/// Harjit and Manjit, Kuldeep and Mandeep, Balvinder and Sukhwinder are different names, but
/// their shared ending gives them a Jaro–Winkler of 0.8 or more ("similar spelling").
const SHARED_NAME_SUFFIXES: &[&str] =
    &["PREET", "PRIT", "JEET", "JIT", "DEEP", "DIP", "VINDER", "WINDER", "INDER", "JINDER", "JOT", "PAL", "BIR", "VIR"];

/// When two given names end in the same [`SHARED_NAME_SUFFIXES`] ending and what comes before it
/// differs by more than one keying slip (Har / Gur, not Har / Hra): the similarity of those
/// beginnings, which is what tells the names apart. `None` otherwise.
fn shared_name_suffix(a: &str, b: &str) -> Option<f32> {
    let suffix = SHARED_NAME_SUFFIXES.iter().find(|s| a.ends_with(*s) && b.ends_with(*s))?;
    let (sa, sb) = (&a[..a.len() - suffix.len()], &b[..b.len() - suffix.len()]);
    if sa.is_empty() || sb.is_empty() || sa == sb || osa_distance(sa, sb) <= 1 {
        return None;
    }
    Some(jaro_winkler(sa, sb) as f32)
}
