//! Index keys (written by the store per name) and query plans (read by the store per search).
//!
//! See the crate docs for the key format and the SQL a store should run.

use crate::dob::{Date, DobQuery};
use crate::name::{codes, initials, typo_codes, Part};
use crate::query::{Prepared, QPart, SearchQuery};

/// Bump when the key format or the embedded name tables change: stored keys must be rebuilt.
pub const KEY_VERSION: u32 = 12; // 12: Patrick and Peter no longer nicknames of each other

/// Whether Soundex codes are added to the Double Metaphone codes (measured: see crate docs).
pub(crate) const USE_SOUNDEX: bool = false;

/// Default per-probe row cap for tight (surname code + given code) keys.
pub const CAP_TIGHT: usize = 200;
/// Default per-probe row cap for broad keys (one part's code + the other part's initial).
pub const CAP_BROAD: usize = 150;
/// Default per-probe row cap for prefix ranges (one name part only, wildcards).
pub const CAP_RANGE: usize = 300;
/// Default per-probe row cap for the last-resort single-part ranges of a full-name query
/// (everyone sharing the surname code, or the given-name code): complete for rare names,
/// a bounded sample for common ones.
pub const CAP_FALLBACK: usize = 60;
/// Default per-probe row cap for the "longer surname" range of a surname-only search.
pub const CAP_EXTEND: usize = 100;
/// Default per-probe row cap for the keying-slip probes (one part's variant code + the other
/// part's initial), the last probes of a full-name search.
pub const CAP_TYPO: usize = 30;
/// Default per-probe row cap for the records holding only one part of a full-name query
/// (`SI:<surname code>:_`, `GI:<given code>:_`).
pub const CAP_ONE_PART: usize = 30;
/// Default per-probe row cap for DOB keys.
pub const CAP_DOB: usize = 200;
/// Suggested ceiling on distinct candidates per search; stop running broad probes beyond it.
pub const MAX_CANDIDATES: usize = 400;

/// Keys to store for one name (a record's main name, or each alias as a name of its own).
///
/// Kinds (all upper-case ASCII, `:` separated, at most ~25 bytes):
/// * `SG:<surname code>:<given code>`: both parts present, one key per code pair;
/// * `SI:<surname code>:<given initial>` (`_` when the given name is missing);
/// * `GI:<given code>:<surname initial>` (`_` when the surname is missing);
/// * `SN:<folded surname>` (and each spelling: without particles, each barrel), for wildcard
///   ranges and surname frequency counts;
/// * `GN:<folded first given name>` for given-name wildcards.
///
/// Returns an empty vector when neither part has any letters.
pub fn index_keys(given: &str, surname: &str) -> Vec<String> {
    let g = Part::given(given);
    let s = Part::new(surname);
    let mut keys = Vec::new();
    let (sc, ss) = match &s {
        Some(s) => (s.surname_codes(), s.surname_strings()),
        None => (Vec::new(), Vec::new()),
    };
    let (gc, gs) = match &g {
        Some(g) if !g.is_initial() => (g.given_codes(), g.given_strings()),
        Some(g) => (Vec::new(), vec![g.first().to_string()]),
        None => (Vec::new(), Vec::new()),
    };
    let gi = initials(&gs);
    let si = initials(&ss);
    // A middle given name, by its own codes, with the surname: the name a person is called by
    // is often not the first (Mohammad Rafiq Uddin is Rafiq Uddin, Syed Ali Raza is Ali Raza),
    // and in a common surname the capped surname-only fallback did not reach them.
    let middle = match &g {
        Some(g) if !g.is_initial() => middle_given_codes(g),
        _ => Vec::new(),
    };
    for s in &sc {
        for g in gc.iter().chain(&middle) {
            keys.push(format!("SG:{s}:{g}"));
        }
        if gi.is_empty() {
            keys.push(format!("SI:{s}:_"));
        }
        for i in &gi {
            keys.push(format!("SI:{s}:{i}"));
        }
    }
    for g in &gc {
        if si.is_empty() {
            keys.push(format!("GI:{g}:_"));
        }
        for i in &si {
            keys.push(format!("GI:{g}:{i}"));
        }
    }
    for s in &ss {
        keys.push(format!("SN:{s}"));
    }
    if let Some(g) = &g {
        keys.push(format!("GN:{}", g.joined));
    }
    dedup(keys)
}

/// The codes of a name's second and third given names (not initials or particles), each as
/// spelt: no nickname roots, which the first given name alone carries.
fn middle_given_codes(g: &Part) -> Vec<String> {
    let middle: Vec<String> =
        g.tokens.iter().skip(1).take(2).filter(|t| t.len() >= 2 && !crate::data::is_particle(t)).cloned().collect();
    if middle.is_empty() {
        return Vec::new();
    }
    codes(&middle)
}

/// The value a store keeps beside every key row of a record, so that a capped read of a common
/// key can be narrowed to the query's DOB window: the birth year counted from 1899 (1900 is 1,
/// 2026 is 127, so SQLite stores it in one byte; years before 1900 are negative), 0 when the
/// record has no DOB. Order-preserving: a later year is a larger value.
pub fn born_value(dob: Option<Date>) -> i32 {
    dob.map_or(0, |d| {
        let v = d.year - BORN_BASE;
        if v <= 0 {
            v - 1
        } else {
            v
        }
    })
}

const BORN_BASE: i32 = 1899;

/// The key for a date of birth (`DB:YYYYMMDD`); store it next to the name keys.
pub fn dob_key(dob: Date) -> String {
    format!("DB:{}", dob.compact())
}

/// All keys for a record: each name (main name and aliases) plus the DOB key.
pub fn record_keys<'a>(names: impl IntoIterator<Item = (&'a str, &'a str)>, dob: Option<Date>) -> Vec<String> {
    let mut keys: Vec<String> = names.into_iter().flat_map(|(g, s)| index_keys(g, s)).collect();
    keys.extend(dob.map(dob_key));
    dedup(keys)
}

/// The key whose row count is the surname's frequency (`SN:<folded surname>`), for the
/// rarity weight in ranking. `None` if the surname has no letters.
pub fn surname_freq_key(surname: &str) -> Option<String> {
    Part::new(surname).map(|p| format!("SN:{}", p.joined))
}

fn dedup(mut keys: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::with_capacity(keys.len());
    keys.retain(|k| seen.insert(k.clone()));
    keys
}

/// How a probe reads the key table.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Lookup {
    /// `WHERE key = ?`
    Key(String),
    /// `WHERE key >= from AND key < to` (prefix range, e.g. `SN:SMI` .. `SN:SMJ`).
    Range { from: String, to: String },
}

/// Probe priority: run all tight probes, then broad ones while under the candidate ceiling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    Tight,
    Broad,
}

/// One read of the key table: `SELECT nominal_id FROM name_keys WHERE <lookup> LIMIT cap`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Probe {
    pub lookup: Lookup,
    pub tier: Tier,
    pub cap: usize,
}

/// The probes for one search, tight ones first, and the suggested candidate ceiling.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryPlan {
    pub probes: Vec<Probe>,
    pub max_candidates: usize,
    /// The query's DOB window as [`born_value`]s (inclusive), if it has a DOB. When a probe
    /// returns its full cap, the store reads the same key (or range) again limited to rows
    /// whose born value lies in this window, with the same cap: at a million records the
    /// first `cap` rows of "William Smith" need not include the one born in 1985.
    pub born: Option<(i32, i32)>,
    /// The second stage: surnames spelt nearly like the one searched (see [`SpellingScan`]).
    pub spelling: Option<SpellingScan>,
}

/// Surnames one or two letters from the one searched whose phonetic codes differ from its own
/// (Thomson / Thompson, Cunnigham / Cunningham, Kovalski / Kowalski): the first stage's keys do
/// not reach them, and a surname searched alone has no other part to reach them through.
///
/// The store runs it after the plan's probes when [`SpellingScan::wanted`] says so. It reads its
/// surname index (the distinct surnames' `SN:` count rows, and beside each the rows
/// [`surname_index_keys`] gives) and runs the probes [`SpellingScan::probes`] returns for the
/// surnames found, with the plan's DOB window as usual. Two kinds of read, each bounded
/// whatever the number of distinct surnames:
/// * [`SpellingScan::ranges`]: prefix ranges of `SD:` and `SH:` rows, which find every surname
///   one keying slip away (a letter missed, added or replaced, two letters exchanged, the first
///   letter too) and every surname spelt as heard alike;
/// * [`SpellingScan::windows`]: up to [`SPELLING_WINDOW`] `SN:` rows on either side of the
///   surname searched in alphabetical order, within the group of its first letter (and of the
///   letters often heard for it), for two slips after the first letters (Cunnigam /
///   Cunningham).
///
/// Until 7 Dec 2026 it read every distinct surname of those letter groups: fast on the
/// synthetic data (22 000 distinct surnames in a million people), but 50 to 270 ms a search
/// on a store with a realistic long tail of rare surnames.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpellingScan {
    /// Surname-index ranges to read in full (`from` inclusive, `to` exclusive): `SD:` and
    /// `SH:` rows, a handful each.
    pub ranges: Vec<(String, String)>,
    /// Alphabetical neighbourhoods of the surname searched to read.
    pub windows: Vec<SpellingWindow>,
    /// The folded surname searched.
    surname: String,
    /// Codes the first stage already probed.
    have: Vec<String>,
    /// The folded surname searched respelt as heard ([`crate::fold::heard`]).
    heard: String,
    /// Initials of the given name searched, with the letters heard for them (empty for a
    /// surname searched alone).
    given_initials: Vec<char>,
    /// Run only when the first stage found fewer candidates than this.
    below: usize,
}

/// Least similarity of a surname to the one searched for the spelling stage (about two slips in
/// an eight-letter name).
pub const SPELLING_MIN_SIM: f32 = 0.85;
/// At most this many nearby surnames are probed, the most similar first.
pub const SPELLING_MAX_NAMES: usize = 10;
/// A two-part search runs the spelling stage only when its first stage's reads of the surname
/// searched found fewer candidates than this; a surname searched alone always runs it.
pub const SPELLING_BELOW: usize = 10;
/// Shortest surname searched for which the spelling stage runs (shorter names are too near
/// too many others).
const SPELLING_MIN_LEN: usize = 4;
/// Longest surname given deletion rows in the surname index (and searched by them).
const SPELLING_MAX_LEN: usize = 24;
/// `SN:` rows read on either side of the surname searched, per letter group.
pub const SPELLING_WINDOW: usize = 250;

/// Up to [`SPELLING_WINDOW`] surname-index rows at or after `centre` and before `to`, and as
/// many before `centre` and at or after `from` (read backwards from `centre`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpellingWindow {
    pub from: String,
    pub centre: String,
    pub to: String,
}

/// The surname-index rows a store keeps beside a distinct surname's `SN:` count row (given
/// that key; empty for any other key or a surname of fewer than 3 letters), counted like it,
/// so that they go when the surname's last holder goes:
/// * `SD:<surname>:<surname>` and, for 4 to 24 letters, `SD:<surname less one letter>:<surname>`
///   for each letter: two surnames one keying slip apart share an `SD:` prefix;
/// * `SH:<surname as heard>:<surname>` ([`crate::fold::heard`]: Wojcik and Voychik share it).
pub fn surname_index_keys(key: &str) -> Vec<String> {
    let Some(name) = key.strip_prefix("SN:") else {
        return Vec::new();
    };
    if name.len() < SPELLING_MIN_LEN - 1 || !name.bytes().all(|b| b.is_ascii_uppercase()) {
        return Vec::new();
    }
    let mut out = vec![format!("SD:{name}:{name}")];
    for d in deletions(name) {
        out.push(format!("SD:{d}:{name}"));
    }
    let heard = crate::fold::heard(name);
    if !heard.is_empty() {
        out.push(format!("SH:{heard}:{name}"));
    }
    out
}

/// `name` (upper-case ASCII letters) less one letter, each distinct result once; none outside
/// 4 to 24 letters.
fn deletions(name: &str) -> Vec<String> {
    if !(SPELLING_MIN_LEN..=SPELLING_MAX_LEN).contains(&name.len()) {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::with_capacity(name.len());
    for i in 0..name.len() {
        // A doubled letter gives the same result twice (Cunningham less either N).
        if i > 0 && name.as_bytes()[i] == name.as_bytes()[i - 1] {
            continue;
        }
        out.push(format!("{}{}", &name[..i], &name[i + 1..]));
    }
    out
}

/// The surname a surname-index row is for (`SN:<surname>`, `SD:…:<surname>`, `SH:…:<surname>`).
fn indexed_surname(key: &str) -> Option<&str> {
    if let Some(name) = key.strip_prefix("SN:") {
        return Some(name);
    }
    let rest = key.strip_prefix("SD:").or_else(|| key.strip_prefix("SH:"))?;
    rest.rsplit(':').next()
}

impl SpellingScan {
    fn new(s: &QPart, g: Option<&QPart>) -> Option<SpellingScan> {
        let name = &s.part.joined;
        if s.wildcard || s.part.is_initial() || name.len() < SPELLING_MIN_LEN {
            return None;
        }
        let typed_initials = match g {
            Some(g) if g.wildcard || g.part.is_initial() => vec![g.part.initial()],
            Some(g) => g.given_initials.clone(),
            None => Vec::new(),
        };
        // "Voytek" for Wojtek, "Yan" for Jan: the given name may be spelt as heard too.
        let mut given_initials: Vec<char> = Vec::new();
        for c in typed_initials.into_iter().flat_map(heard_alike) {
            if !given_initials.contains(&c) {
                given_initials.push(c);
            }
        }
        let first = name.chars().next()?;
        if !name.bytes().all(|b| b.is_ascii_uppercase()) {
            return None;
        }
        let heard = crate::fold::heard(name);
        let prefixes = std::iter::once(format!("SD:{name}:"))
            .chain(deletions(name).into_iter().map(|d| format!("SD:{d}:")))
            .chain((!heard.is_empty()).then(|| format!("SH:{heard}:")));
        let ranges = prefixes.filter_map(|from| prefix_end(&from).map(|to| (from, to))).collect();
        let windows = heard_alike(first)
            .iter()
            .filter_map(|c| {
                let from = format!("SN:{c}");
                let to = prefix_end(&from)?;
                Some(SpellingWindow { centre: format!("SN:{c}{}", &name[1..]), from, to })
            })
            .collect();
        let below = if g.is_some() { SPELLING_BELOW } else { usize::MAX };
        Some(SpellingScan {
            ranges,
            windows,
            surname: name.clone(),
            heard,
            have: s.surname_codes.clone(),
            given_initials,
            below,
        })
    }

    /// Whether to run this stage after a first stage whose reads of the surname searched
    /// ([`SpellingScan::reads_surname`]) found `candidates`. Candidates found by the given name
    /// alone do not count: "Krzysztof Voychik" must reach Wójcik (spelt as heard) however many
    /// other Krzysztofs the given name's reads found.
    pub fn wanted(&self, candidates: usize) -> bool {
        candidates < self.below
    }

    /// Whether a first-stage probe reads the surname searched: its own `SN:` key, or a key or
    /// range by one of its codes (`SG:<code>:…`, `SI:<code>:…`). The candidates such probes
    /// find are the ones [`SpellingScan::wanted`] counts.
    pub fn reads_surname(&self, lookup: &Lookup) -> bool {
        let k = match lookup {
            Lookup::Key(k) => k,
            Lookup::Range { from, .. } => from,
        };
        if let Some(name) = k.strip_prefix("SN:") {
            return name == self.surname;
        }
        k.strip_prefix("SG:")
            .or_else(|| k.strip_prefix("SI:"))
            .and_then(|rest| rest.split(':').next())
            .is_some_and(|code| self.have.iter().any(|h| h == code))
    }

    /// The probes for the nearby surnames among `keys` (surname-index rows as stored, `SN:`,
    /// `SD:` or `SH:`, in any order and repeated; others are ignored): each of the
    /// [`SPELLING_MAX_NAMES`] most similar surnames (at least [`SPELLING_MIN_SIM`]) by its codes
    /// the first stage did not probe, with the given name's initials when one was searched.
    pub fn probes<'a>(&self, keys: impl IntoIterator<Item = &'a str>) -> Vec<Probe> {
        let mut seen = std::collections::HashSet::new();
        let mut near: Vec<(f32, &str)> = keys
            .into_iter()
            .filter_map(indexed_surname)
            .filter(|s| *s != self.surname && seen.insert(*s))
            .filter_map(|s| {
                let sim = crate::rank::string_sim(&self.surname, s);
                if sim >= SPELLING_MIN_SIM {
                    return Some((sim, s));
                }
                // Spelt as heard (Vishnevski / Wisniewski, 0.80; Pshibilski / Przybylski,
                // 0.66): as near as a phonetic match.
                let heard = sim >= crate::rank::HEARD_MIN_SIM
                    && s.len().abs_diff(self.surname.len()) <= 4
                    && crate::fold::heard_equals(s, &self.heard);
                heard.then_some((0.9, s))
            })
            .collect();
        near.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        let mut plan = QueryPlan::default();
        let mut done: Vec<String> = self.have.clone();
        for (_, s) in near.into_iter().take(SPELLING_MAX_NAMES) {
            let mut codes = Vec::new();
            crate::fold::phonetic_codes(s, &mut codes);
            for c in codes {
                if done.contains(&c) {
                    continue;
                }
                if self.given_initials.is_empty() {
                    plan.prefix(format!("SI:{c}:"), Tier::Tight, CAP_FALLBACK);
                } else {
                    for i in &self.given_initials {
                        plan.key(format!("SI:{c}:{i}"), Tier::Tight, CAP_BROAD);
                    }
                }
                done.push(c);
            }
        }
        plan.probes
    }
}

/// First letters heard or written for one another at the start of a name, the letter itself
/// first (Kowalski / Cowalski, Wisniewski / Visniewski, Zhang / Shang, Iqbal / Yqbal,
/// Jablonski / Yablonski).
fn heard_alike(c: char) -> Vec<char> {
    let others: &[char] = match c {
        'C' => &['K', 'Q'],
        'K' => &['C', 'Q'],
        'Q' => &['K', 'C'],
        'V' => &['W'],
        'W' => &['V'],
        'S' => &['Z'],
        'Z' => &['S'],
        'I' => &['Y'],
        'Y' => &['I', 'J'],
        'J' => &['Y'],
        _ => &[],
    };
    std::iter::once(c).chain(others.iter().copied()).collect()
}

impl QueryPlan {
    /// The exact keys of the plan (for a single `WHERE key IN (...)` statement).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.probes.iter().filter_map(|p| match &p.lookup {
            Lookup::Key(k) => Some(k.as_str()),
            Lookup::Range { .. } => None,
        })
    }

    pub(crate) fn push_probe(&mut self, p: Probe) {
        self.push(p.lookup, p.tier, p.cap);
    }

    fn push(&mut self, lookup: Lookup, tier: Tier, cap: usize) {
        if let Some(p) = self.probes.iter_mut().find(|p| p.lookup == lookup) {
            if tier < p.tier {
                p.tier = tier;
                p.cap = p.cap.max(cap);
            }
            return;
        }
        self.probes.push(Probe { lookup, tier, cap });
    }

    fn key(&mut self, k: String, tier: Tier, cap: usize) {
        self.push(Lookup::Key(k), tier, cap);
    }

    fn prefix(&mut self, prefix: String, tier: Tier, cap: usize) {
        if let Some(to) = prefix_end(&prefix) {
            self.push(Lookup::Range { from: prefix, to }, tier, cap);
        }
    }
}

/// Smallest string greater than every string starting with `prefix` (ASCII keys).
pub fn prefix_end(prefix: &str) -> Option<String> {
    let mut b = prefix.as_bytes().to_vec();
    while let Some(last) = b.pop() {
        if last < 0x7f {
            b.push(last + 1);
            return String::from_utf8(b).ok();
        }
    }
    None
}

/// Builds the probes for a search. Both name orders are tried (given/surname swapped).
pub(crate) fn plan_for(q: &SearchQuery, p: &Prepared) -> QueryPlan {
    let mut plan = QueryPlan {
        probes: Vec::new(),
        max_candidates: MAX_CANDIDATES,
        born: born_window(q.dob),
        spelling: p.surname.as_ref().and_then(|s| SpellingScan::new(s, p.given.as_ref())),
    };
    // Last-resort single-part ranges of a two-part query, run after the DOB probes.
    let mut fallback = QueryPlan::default();
    // After those: one part one keying slip away (its variant codes) + the other's initial.
    let mut typo = QueryPlan::default();
    let orientations: [(Option<&QPart>, Option<&QPart>); 2] =
        [(p.given.as_ref(), p.surname.as_ref()), (p.surname.as_ref(), p.given.as_ref())];
    for (i, (g, s)) in orientations.into_iter().enumerate() {
        // Slip probes for the name as typed only: with the swapped order as well they
        // doubled the probes for no measured gain.
        let slips = i == 0;
        match (g, s) {
            (Some(g), Some(s)) => {
                let whole = |p: &QPart| !p.wildcard && !p.part.is_initial();
                if i == 0 && whole(g) && whole(s) {
                    // Everyone with the surname as typed, whatever their given name (another
                    // given name used, a replaced forename): the first broad read, before the
                    // candidate ceiling can stop it (it did for double-barrelled surnames,
                    // whose barrels' reads came first). The surname-code ranges cannot promise
                    // this: a code is shared by other surnames (Double Metaphone keeps four
                    // letters: Bentlands is Bentley's PNTL), whose holders fill a range's cap
                    // in given-initial order. Not for the swapped order: its given name read
                    // as a surname ("Thomas") filled the candidate ceiling before the
                    // keying-slip probes. Nor for an initial or a wildcard, which limit the
                    // given name on purpose ("M Thomson").
                    plan.key(format!("SN:{}", s.part.joined), Tier::Broad, CAP_BROAD);
                }
                both_parts(&mut plan, &mut fallback, slips.then_some(&mut typo), g, s);
                if i == 0 {
                    further_name_typed(&mut plan, g);
                    compound_surname(&mut plan, g, s);
                }
            }
            (None, Some(s)) => one_part_as_surname(&mut plan, s),
            (Some(g), None) => one_part_as_given(&mut plan, g),
            (None, None) => {}
        }
    }
    if let Some(DobQuery::Exact(d)) = q.dob {
        plan.key(dob_key(d), Tier::Tight, CAP_DOB);
        if let Some(sw) = d.day_month_swapped() {
            plan.key(dob_key(sw), Tier::Tight, CAP_DOB);
        }
        // A DOB one keying slip away, for a name too garbled for its keys: before the
        // single-part fallbacks, while under the candidate ceiling.
        for v in d.near_typos() {
            plan.key(dob_key(v), Tier::Broad, CAP_DOB);
        }
    }
    for p in fallback.probes.into_iter().chain(typo.probes) {
        plan.push(p.lookup, p.tier, p.cap);
    }
    plan.probes.sort_by_key(|p| p.tier);
    plan
}

/// The DOB window of a query: a full date widens to its year ±1 (a slip in the day or month, or
/// a year one out, stays inside); a range by its first and last year.
fn born_window(dob: Option<DobQuery>) -> Option<(i32, i32)> {
    let (lo, hi) = match dob? {
        DobQuery::Exact(d) => (Date::new(d.year - 1, 1, 1)?, Date::new(d.year + 1, 12, 31)?),
        q => q.range()?,
    };
    Some((born_value(Some(lo)), born_value(Some(hi))))
}

fn both_parts(plan: &mut QueryPlan, fallback: &mut QueryPlan, typo: Option<&mut QueryPlan>, g: &QPart, s: &QPart) {
    if s.part.is_initial() && !s.wildcard {
        // "John S": given code + surname initial.
        if !g.part.is_initial() && !g.wildcard {
            let si = s.part.initial();
            for gc in &g.given_codes {
                plan.key(format!("GI:{gc}:{si}"), Tier::Tight, CAP_TIGHT);
            }
        }
        return;
    }
    if s.wildcard {
        plan.prefix(format!("SN:{}", s.part.joined), Tier::Broad, CAP_RANGE);
        if !g.wildcard && !g.part.is_initial() {
            let si = s.part.initial();
            for gc in &g.given_codes {
                plan.key(format!("GI:{gc}:{si}"), Tier::Tight, CAP_TIGHT);
            }
        }
        return;
    }
    if g.wildcard || g.part.is_initial() {
        let gi = g.part.initial();
        for sc in &s.surname_codes {
            plan.key(format!("SI:{sc}:{gi}"), Tier::Tight, CAP_TIGHT);
        }
        // A record with no given name is not excluded by the initial or prefix typed, as a
        // missing DOB never excludes ("A Przybylski" finds Przybylski with no forename known).
        for sc in &s.surname_codes {
            plan.key(format!("SI:{sc}:_"), Tier::Broad, CAP_ONE_PART);
        }
        if !g.wildcard {
            // An initial is often the wrong one (a middle name, the name they go by): after
            // the holders with the initial typed, the surname's holders with other initials
            // ("K Pemberton" finds Jonathan Pemberton, "given name initial differs", ranked
            // below any K Pemberton). A prefix (`K*`) is a deliberate limit and stays one.
            plan.key(format!("SN:{}", s.part.joined), Tier::Broad, CAP_BROAD);
            for sc in &s.surname_codes {
                fallback.prefix(format!("SI:{sc}:"), Tier::Broad, CAP_FALLBACK);
            }
        }
        return;
    }
    for sc in &s.surname_codes {
        for gc in &g.given_codes {
            plan.key(format!("SG:{sc}:{gc}"), Tier::Tight, CAP_TIGHT);
        }
        for gi in &g.given_initials {
            plan.key(format!("SI:{sc}:{gi}"), Tier::Broad, CAP_BROAD);
        }
    }
    for gc in &g.given_codes {
        for si in &s.surname_initials {
            plan.key(format!("GI:{gc}:{si}"), Tier::Broad, CAP_BROAD);
        }
    }
    // Records holding one of the two parts only ("SMITH" with no forename, a legacy record):
    // their key is `_` for the missing part, which sorts after every initial, so the fallback
    // ranges below never reach it for a common name.
    for sc in &s.surname_codes {
        plan.key(format!("SI:{sc}:_"), Tier::Broad, CAP_ONE_PART);
    }
    for gc in &g.plain_given_codes {
        plan.key(format!("GI:{gc}:_"), Tier::Broad, CAP_ONE_PART);
    }
    // Last resort for a replaced/garbled part: everyone sharing one part's code, capped.
    for sc in &s.surname_codes {
        fallback.prefix(format!("SI:{sc}:"), Tier::Broad, CAP_FALLBACK);
    }
    for gc in &g.plain_given_codes {
        fallback.prefix(format!("GI:{gc}:"), Tier::Broad, CAP_FALLBACK);
    }
    // Both parts mis-keyed ("Jakd Gillatd"): neither part's own codes reach the record, but
    // one part a slip away, with the other part's initial as typed, does (the initials of
    // nickname roots or barrels are left out: a slip is a typing accident, not a variant).
    let Some(typo) = typo else {
        return;
    };
    let (gi, si) = (g.part.initial(), s.part.initial());
    for sc in typo_codes(&s.part.joined, &s.surname_codes) {
        typo.key(format!("SI:{sc}:{gi}"), Tier::Broad, CAP_TYPO);
    }
    for gc in typo_codes(g.part.first(), &g.given_codes) {
        typo.key(format!("GI:{gc}:{si}"), Tier::Broad, CAP_TYPO);
    }
}

/// The record's name may be the given names typed, the last of them as its surname, without
/// the surname typed after them ("Abdi Mohamed Hassan" recorded as Abdi Mohamed, "Maria Garcia
/// Lopez" as Maria Garcia: see `Rule::FurtherNameTyped` in the ranker): that last given name's
/// surname codes with the first given name's codes.
fn further_name_typed(plan: &mut QueryPlan, g: &QPart) {
    let tokens = &g.part.tokens;
    if g.wildcard || g.part.is_initial() || tokens.len() < 2 {
        return;
    }
    let (Some(first), Some(last)) = (Part::new(&tokens[0]), tokens.last().and_then(|t| Part::new(t))) else {
        return;
    };
    // Each as typed and in its group's canonical spelling (Maxamed and Mohammed).
    let spellings = |t: &str| {
        let mut v = vec![t.to_string()];
        if crate::data::canon(t) != t {
            v.push(crate::data::canon(t).to_string());
        }
        v
    };
    let given = codes(&spellings(first.first()));
    for sc in codes(&spellings(&last.joined)) {
        for gc in &given {
            plan.key(format!("SG:{sc}:{gc}"), Tier::Tight, CAP_TIGHT);
        }
    }
}

/// Arabic name elements that join a name to the next or the one before, so that one family
/// may write two words and another one: Abdul Karim / Abdulkarim, Rafiq Uddin / Rafiquddin.
const COMPOUND_HEADS: &[&str] = &["ABDUL", "ABDEL", "ABDOUL", "ABDUR", "ABDAL"];
const COMPOUND_TAILS: &[&str] = &["UDDIN", "UDDEEN", "ULLAH"];

/// A surname typed as one word that a record may hold as its last given name and surname
/// ("Abdulkarim" for given names "Mohammed Abdul", surname Karim; see
/// `Rule::JoinedWithLastGiven`): the part the record would hold as its surname, by its codes,
/// with the given name's codes.
fn compound_surname(plan: &mut QueryPlan, g: &QPart, s: &QPart) {
    if g.wildcard || s.wildcard || g.part.is_initial() || s.part.is_initial() {
        return;
    }
    let j = &s.part.joined;
    let head = COMPOUND_HEADS.iter().find_map(|h| j.strip_prefix(h).filter(|rest| rest.len() >= 3));
    let tail = COMPOUND_TAILS.iter().find(|t| j.len() >= t.len() + 3 && j.ends_with(*t)).map(|t| &t[..]);
    for part in head.into_iter().chain(tail) {
        for sc in codes(&[part.to_string()]) {
            for gc in &g.given_codes {
                plan.key(format!("SG:{sc}:{gc}"), Tier::Tight, CAP_TIGHT);
            }
        }
    }
}

fn one_part_as_surname(plan: &mut QueryPlan, s: &QPart) {
    if s.part.is_initial() && !s.wildcard {
        return;
    }
    if s.wildcard {
        plan.prefix(format!("SN:{}", s.part.joined), Tier::Tight, CAP_RANGE);
        return;
    }
    // Everyone with the surname as typed (or as one barrel of theirs) first: the sound-alike
    // ranges below are shared with other surnames, whose holders may fill their caps.
    plan.key(format!("SN:{}", s.part.joined), Tier::Tight, CAP_RANGE);
    for sc in &s.surname_codes {
        plan.prefix(format!("SI:{sc}:"), Tier::Tight, CAP_RANGE);
    }
    // Longer surnames starting with the typed one (SMITH → SMITHSON, SMITHERS), exact excluded.
    if let Some(to) = prefix_end(&format!("SN:{}", s.part.joined)) {
        plan.push(Lookup::Range { from: format!("SN:{}A", s.part.joined), to }, Tier::Broad, CAP_EXTEND);
    }
}

fn one_part_as_given(plan: &mut QueryPlan, g: &QPart) {
    if g.part.is_initial() && !g.wildcard {
        return;
    }
    if g.wildcard {
        plan.prefix(format!("GN:{}", g.part.joined), Tier::Broad, CAP_RANGE);
        return;
    }
    // Everyone with the given name as typed first, as for a surname alone.
    plan.key(format!("GN:{}", g.part.joined), Tier::Broad, CAP_RANGE);
    for gc in &g.given_codes {
        plan.prefix(format!("GI:{gc}:"), Tier::Broad, CAP_RANGE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(keys: &[String], k: &str) -> bool {
        keys.iter().any(|x| x == k)
    }

    #[test]
    fn key_shapes() {
        let k = index_keys("William", "Smith");
        assert!(has(&k, "SG:SM0:ALM"), "{k:?}");
        assert!(has(&k, "SI:SM0:W"));
        assert!(has(&k, "GI:ALM:S"));
        assert!(has(&k, "SN:SMITH"));
        assert!(has(&k, "GN:WILLIAM"));
        assert!(k.iter().all(|k| k.len() <= 80 && k.is_ascii()));
        assert!(k.len() <= 40, "{} keys", k.len());
    }

    /// The surname (or given name) as typed is read by its own key, before the code ranges
    /// it shares with other names; with a given name too, among the broad probes.
    #[test]
    fn the_name_as_typed_is_probed_by_its_own_key() {
        let key = |k: &str| Lookup::Key(k.to_string());
        let alone = SearchQuery::new("", "Bentlands").plan();
        let first = &alone.probes[0];
        assert_eq!((&first.lookup, first.tier, first.cap), (&key("SN:BENTLANDS"), Tier::Tight, CAP_RANGE));
        let full = SearchQuery::new("Quentin", "Bentlands").plan();
        let sn = full.probes.iter().find(|p| p.lookup == key("SN:BENTLANDS")).expect("the surname's own key");
        assert_eq!(sn.tier, Tier::Broad);
        let given = SearchQuery::new("Quentin", "").plan();
        let at = |l: &Lookup| given.probes.iter().position(|p| &p.lookup == l);
        let range = Lookup::Range { from: "GI:KNTN:".into(), to: "GI:KNTN;".into() };
        assert!(at(&key("GN:QUENTIN")) < at(&range) && at(&range).is_some(), "{:?}", given.probes);
    }

    #[test]
    fn spelling_stage_probes_nearby_surnames_by_their_own_codes() {
        let scan = SearchQuery::new("", "Thomson").plan().spelling.expect("a surname alone");
        // Bounded reads: its one-slip and heard-alike rows, and a window in its letter group.
        let from: Vec<&str> = scan.ranges.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(
            from,
            [
                "SD:THOMSON:",
                "SD:HOMSON:",
                "SD:TOMSON:",
                "SD:THMSON:",
                "SD:THOSON:",
                "SD:THOMON:",
                "SD:THOMSN:",
                "SD:THOMSO:",
                "SH:THOMSON:"
            ]
        );
        assert_eq!(
            scan.windows,
            [SpellingWindow { from: "SN:T".into(), centre: "SN:THOMSON".into(), to: "SN:U".into() }]
        );
        // Two surnames one slip apart share a row prefix: Thompson less its P is THOMSON.
        let thompson = surname_index_keys("SN:THOMPSON");
        assert!(thompson.contains(&"SD:THOMSON:THOMPSON".to_string()), "{thompson:?}");
        assert!(surname_index_keys("SN:TOMSON").contains(&"SD:TOMSON:TOMSON".to_string()));
        assert!(surname_index_keys("GN:THOMAS").is_empty() && surname_index_keys("SN:LI").is_empty());
        let wojcik = surname_index_keys("SN:WOJCIK");
        let heard = SearchQuery::new("", "Voychik").plan().spelling.unwrap();
        assert!(heard.ranges.iter().any(|(from, to)| wojcik.iter().any(|k| k >= from && k < to)), "{wojcik:?}");
        assert!(scan.wanted(1000), "a surname alone always runs it");
        let probes =
            scan.probes(["SD:THOMSON:THOMPSON", "SN:THOMSON", "SN:TAYLOR", "GN:THOMAS", "SN:THOMSEN", "SN:THOMPSON"]);
        let looked: Vec<String> = probes
            .iter()
            .map(|p| match &p.lookup {
                Lookup::Range { from, .. } => from.clone(),
                Lookup::Key(k) => k.clone(),
            })
            .collect();
        assert!(looked.contains(&"SI:TMPS:".to_string()), "{looked:?}");
        assert!(!looked.iter().any(|k| k.starts_with("SI:TMSN:")), "its own code was probed already: {looked:?}");
        assert!(!looked.iter().any(|k| k.starts_with("SI:TLR")), "Taylor is not near: {looked:?}");

        // With a given name: only when the first stage found little, and by its initials.
        let scan = SearchQuery::parse("Margaret Thomson").plan().spelling.expect("two parts");
        assert!(scan.wanted(0) && !scan.wanted(SPELLING_BELOW));
        assert!(scan.probes(["SN:THOMPSON"]).iter().any(|p| p.lookup == Lookup::Key("SI:TMPS:M".into())));
        // First letters heard for one another; nothing for short, initial or wildcard surnames.
        let scan = SearchQuery::parse("Kovalski").plan().spelling.unwrap();
        let centres: Vec<&str> = scan.windows.iter().map(|w| w.centre.as_str()).collect();
        assert_eq!(centres, ["SN:KOVALSKI", "SN:COVALSKI", "SN:QOVALSKI"]);
        for q in ["Li", "J Smi*", "John S"] {
            assert!(SearchQuery::parse(q).plan().spelling.is_none(), "{q}");
        }
    }

    #[test]
    fn missing_parts_use_underscore() {
        let k = index_keys("", "Smith");
        assert!(has(&k, "SI:SM0:_"), "{k:?}");
        let k = index_keys("John", "");
        assert!(has(&k, "GI:JN:_"), "{k:?}");
        assert!(index_keys("", "").is_empty());
        assert!(index_keys("123", "😀").is_empty());
    }

    #[test]
    fn prefix_end_increments() {
        assert_eq!(prefix_end("SN:SMI").as_deref(), Some("SN:SMJ"));
        assert_eq!(prefix_end("SI:SM0:").as_deref(), Some("SI:SM0;"));
    }

    #[test]
    fn dob_probes() {
        let d = Date::new(1984, 3, 12).expect("date");
        let plan = SearchQuery::new("John", "Smith").with_dob(DobQuery::Exact(d)).plan();
        let pos = |k: &str| plan.probes.iter().position(|p| p.lookup == Lookup::Key(k.to_string()));
        let tier = |k: &str| plan.probes[pos(k).expect(k)].tier;
        assert_eq!(tier("DB:19840312"), Tier::Tight);
        assert_eq!(tier("DB:19841203"), Tier::Tight, "day/month swapped");
        for k in ["DB:19830312", "DB:19850312", "DB:19480312", "DB:19840212", "DB:19840313"] {
            assert_eq!(tier(k), Tier::Broad, "{k}");
        }
        // Near-miss DOBs come before the single-part fallback ranges.
        let first_range = plan
            .probes
            .iter()
            .position(|p| matches!(&p.lookup, Lookup::Range { from, .. } if from.starts_with("SI:")))
            .expect("fallback range");
        assert!(pos("DB:19840313").expect("near") < first_range);
        // Tight probes all come first.
        assert!(plan.probes.windows(2).all(|w| w[0].tier <= w[1].tier));
    }

    #[test]
    fn a_name_typed_with_a_further_surname_probes_the_name_without_it() {
        let rec = index_keys("Abdi", "Mohamed");
        let tight = |q: &SearchQuery| -> Vec<String> {
            q.plan()
                .probes
                .into_iter()
                .filter(|p| p.tier == Tier::Tight)
                .filter_map(|p| match p.lookup {
                    Lookup::Key(k) if has(&rec, &k) => Some(k),
                    _ => None,
                })
                .collect()
        };
        assert!(!tight(&SearchQuery::new("Abdi Mohamed", "Hassan")).is_empty(), "a tight probe reaches Abdi Mohamed");
        assert!(
            tight(&SearchQuery::new("Ali Mohamed", "Hassan")).is_empty(),
            "{:?}",
            tight(&SearchQuery::new("Ali Mohamed", "Hassan"))
        );
    }

    #[test]
    fn both_parts_mis_keyed_reach_the_record_last() {
        let rec = index_keys("Jake", "Gillard");
        // Without the slip probes no key is shared (the reason they exist).
        let plain = SearchQuery::new("Jakd", "Gillatd").plan();
        let shared: Vec<&Probe> =
            plain.probes.iter().filter(|p| matches!(&p.lookup, Lookup::Key(k) if has(&rec, k))).collect();
        assert!(!shared.is_empty(), "a one-slip variant probe reaches Jake Gillard");
        assert!(shared.iter().all(|p| p.tier == Tier::Broad && p.cap == CAP_TYPO), "{shared:?}");
        // They run after every other probe (single-part fallback ranges included).
        // (The one-part probes, `…:_`, share the typo probes' cap.)
        let is_typo = |p: &&Probe| p.cap == CAP_TYPO && !matches!(&p.lookup, Lookup::Key(k) if k.ends_with(":_"));
        let last_range = plain.probes.iter().rposition(|p| matches!(p.lookup, Lookup::Range { .. }));
        let first_typo = plain.probes.iter().position(|p| is_typo(&p)).expect("typo probes");
        assert!(last_range.is_none_or(|r| r < first_typo));
        // A correctly spelt name gets them too, but they never repeat its own keys.
        let exact = SearchQuery::new("Jake", "Gillard").plan();
        let own: Vec<&str> = exact
            .probes
            .iter()
            .filter(|p| !is_typo(p))
            .filter_map(|p| match &p.lookup {
                Lookup::Key(k) => Some(k.as_str()),
                Lookup::Range { .. } => None,
            })
            .collect();
        assert!(exact
            .probes
            .iter()
            .filter(is_typo)
            .all(|p| !matches!(&p.lookup, Lookup::Key(k) if own.contains(&k.as_str()))));
    }

    #[test]
    fn born_values_and_the_plan_dob_window() {
        assert_eq!(born_value(Date::new(1985, 3, 12)), 86);
        assert_eq!(born_value(Date::new(1900, 1, 1)), 1);
        assert_eq!(born_value(Date::new(2026, 12, 31)), 127);
        assert_eq!(born_value(None), 0);
        // Years before 1900 stay below every later year and never meet "no DOB" (0).
        assert_eq!(born_value(Date::new(1899, 12, 31)), -1);
        assert_eq!(born_value(Date::new(1898, 1, 1)), -2);
        let mut q = SearchQuery::new("Bill", "Smyth");
        assert_eq!(q.plan().born, None, "no DOB, no window");
        q.dob = DobQuery::around(1985, 2);
        assert_eq!(q.plan().born, Some((84, 88)));
        q.dob = Date::new(1985, 3, 12).map(DobQuery::Exact);
        assert_eq!(q.plan().born, Some((85, 87)), "a full date: its year ±1");
        q.dob = DobQuery::age(30, 40, Date::new(2026, 12, 3).unwrap());
        assert_eq!(q.plan().born, Some((86, 97)));
        // Unknown DOB (0) is never inside a window.
        assert!(q.plan().born.is_some_and(|(lo, _)| lo > 0));
    }

    /// [`KEY_VERSION`] and the fingerprint of the keys it produced. A store keeps the version
    /// beside its keys and rebuilds them when it differs, so a change to the key code or to a
    /// name table that leaves the version alone would leave officers' stores with keys the new
    /// queries do not probe. Version 2 (3 Dec 2026): British/Irish nicknames first. Version 3
    /// (4 Dec 2026): Irish-language surnames keyed under their anglicised forms, the
    /// diminutives of the UK's other communities (Kasia, Wojtek, Sasha, Seun, Emeka), Somali
    /// spellings (Maxamed, Xasan, Cabdi) and the Irish particles Mag and Ghiolla: every table
    /// change of session 11 (version 3 was not released before it). Version 4 (4 Dec 2026,
    /// night): Irish, Scottish Gaelic and Welsh given names keyed under their English forms
    /// (Seán → John, Dafydd → David), Siôn no longer a spelling of Siân, and more British and
    /// Scots diminutives (Bex, Gav, Jez, Debs, Tash, Rab, Wullie, Shug), and Punjabi, Pakistani
    /// and Indian short forms (Jas, Kully, Sukhi, Raj, Saj). Version 5 (5 Dec 2026): feminine
    /// surnames keyed under their masculine forms too (Kowalska → Kowalski, Nováková → Novak,
    /// Kazlauskienė → Kazlauskas, Papadopoulou → Papadopoulos), Ó Domhnaill read as O'Donnell,
    /// Hamish a Scottish form of James (no longer a spelling of Seamus), Iain / Ian a Scottish
    /// form of John instead of the US list's nickname, and its Bill / Robert pairs dropped
    /// (`nicknames_not.csv`). Version 6 (5 Dec 2026): middle given names keyed with the surname,
    /// Arabic compounds written as one word, more spelling groups and nicknames.
    /// Version 7 (6 Dec 2026): titles (Mrs, Dr) set aside from given names. Version 8 (6 Dec
    /// 2026): written short forms of old records keyed under their names (Wm → William, Thos →
    /// Thomas, `abbreviations.csv`). Version 9 (7 Dec 2026): control and invisible format
    /// characters inside a word dropped (`Smi\u{AD}th` is SMITH), not read as a gap. Version 10
    /// (7 Dec 2026): an Ó name of the Irish table typed as one word (Osullivan, Obrien) read as
    /// O Sullivan, O Brien; Arabic names written with q or k as spellings of one name (Rafiq /
    /// Rafik, Farooq / Faruk, Qasim / Kasim, Haq / Haque), Kris a short form of Krzysztof.
    /// Version 11 (7 Dec 2026): the surname index's `SD:` and `SH:` rows beside each `SN:`
    /// count row ([`surname_index_keys`]), which the spelling stage now reads instead of whole
    /// letter groups (part of the fingerprint below). Version 12 (7 Dec 2026): Patrick and Peter
    /// no longer nicknames of each other (`nicknames_not.csv`).
    const KEYS_FINGERPRINT: (u32, u64) = (12, 0x9d7b_3d97_3581_629d);

    /// FNV-1a: stable across Rust releases, unlike `DefaultHasher`.
    fn fnv1a(bytes: impl Iterator<Item = u8>, mut h: u64) -> u64 {
        for b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        h
    }

    #[test]
    fn key_version_changes_with_the_keys() {
        use crate::data::{ABBREVIATIONS, NICKNAMES, NICKNAMES_GB_IE, NICKNAMES_WORLD, PARTICLES, VARIANTS};
        let mut names: Vec<&str> = Vec::new();
        for file in [NICKNAMES, NICKNAMES_GB_IE, NICKNAMES_WORLD, ABBREVIATIONS] {
            for line in file.lines().skip(1) {
                let f: Vec<&str> = line.split(',').collect();
                names.extend([f[0], f[f.len() - 1]]);
            }
        }
        names.extend(VARIANTS.lines().filter(|l| !l.starts_with('#')).flat_map(|l| l.split(',')));
        names.extend(crate::data::irish_lines().flat_map(|(_, g)| g));
        names.extend(["Ní Shúilleabháin", "Nic Chárthaigh", "Uí Dhónaill", "Ní Aodha"]);
        names.extend(["Siobhán", "Nguyễn", "Łukasz", "Müller", "O'Sullivan", "McDonald", "De La Cruz-Smith", "J"]);
        names.extend(["Mrs", "Mrs Ann", "Dr. John", "Revd Paul", "Miss"]);
        names.extend(["Smi\u{AD}th", "Mary\u{200B}ann", "O\u{1}Brien"]);
        let particles: Vec<String> =
            PARTICLES.lines().filter(|l| !l.is_empty() && !l.starts_with('#')).map(|p| format!("{p} Smith")).collect();
        let mut h = 0xcbf2_9ce4_8422_2325;
        let mut rows = 0;
        for n in names.iter().copied().chain(particles.iter().map(String::as_str)) {
            for keys in [index_keys(n, "Smith"), index_keys("John", n), index_keys(n, "")] {
                for k in keys {
                    for k in surname_index_keys(&k).into_iter().chain([k]) {
                        h = fnv1a(k.bytes().chain([b'\n']), h);
                        rows += 1;
                    }
                }
            }
        }
        assert!(rows > 20_000, "{rows}");
        assert_eq!(
            KEYS_FINGERPRINT,
            (KEY_VERSION, h),
            "the index keys changed: bump KEY_VERSION (stores rebuild their keys when it differs) and set \
             KEYS_FINGERPRINT to (the new version, {h:#x})"
        );
    }

    #[test]
    fn nickname_record_and_formal_query_share_a_key() {
        let rec = index_keys("Bill", "Smith");
        let plan = SearchQuery::parse("William Smith").plan();
        assert!(plan.keys().any(|k| has(&rec, k)));
    }
}
