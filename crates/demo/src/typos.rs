//! Realistic officer search inputs for known target people.

use crate::data::{NICKNAMES, VARIANTS};
use crate::util::{self, below, Weighted};
use crate::Person;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The perturbation names recorded in [`Query::kinds`].
pub mod kinds {
    /// Nothing changed: the query equals the target's given name, surname and DOB.
    pub const EXACT: &str = "exact";
    /// The query uses one of the target's aliases instead of the recorded name.
    pub const ALIAS: &str = "alias";
    /// Given name replaced by a nickname or the formal name (Bill ↔ William).
    pub const NICKNAME: &str = "nickname";
    /// Alternative or heard spelling (Smith → Smyth, Siobhán → Shivaun, Mohammed → Muhammad,
    /// ph → f, -son → -sen, …).
    pub const PHONETIC: &str = "phonetic";
    /// All diacritics removed from both names (Siobhán → Siobhan, Wiśniewska → Wisniewska).
    pub const DIACRITICS_DROPPED: &str = "diacritics_dropped";
    /// Mc ↔ Mac, or a space after the prefix (McDonald → MacDonald / Mc Donald).
    pub const MC_MAC: &str = "mc_mac";
    /// Apostrophe removed, replaced by a space, or the prefix dropped (O'Brien → OBrien / O Brien /
    /// Brien).
    pub const APOSTROPHE: &str = "apostrophe";
    /// One part of a hyphenated or multi-word surname (or hyphenated given name), or the parts
    /// re-joined differently (Smith-Jones → Jones / Smith Jones / SmithJones).
    pub const COMPOUND_PART: &str = "compound_part";
    /// One of several given names only (Mohammed Imran → Imran).
    pub const MIDDLE_NAME_DROPPED: &str = "middle_name_dropped";
    /// One letter replaced (often by a neighbouring key).
    pub const SUBSTITUTION: &str = "substitution";
    /// One letter inserted.
    pub const INSERTION: &str = "insertion";
    /// One letter deleted.
    pub const DELETION: &str = "deletion";
    /// Two adjacent letters transposed.
    pub const TRANSPOSITION: &str = "transposition";
    /// A letter doubled or a double letter made single (Phillips ↔ Philips).
    pub const DOUBLE_LETTER: &str = "double_letter";
    /// A space inserted inside a name ("Mitch ell").
    pub const SPACE_INSERTED: &str = "space_inserted";
    /// Given name and surname swapped.
    pub const SWAPPED: &str = "swapped";
    /// Given name reduced to its initial.
    pub const INITIAL_ONLY: &str = "initial_only";
    /// Given name left empty.
    pub const GIVEN_MISSING: &str = "given_missing";
    /// Names typed all lower or all upper case (never the only change).
    pub const CASE_CHANGED: &str = "case_changed";
    /// DOB given as the year only (`YYYY`).
    pub const DOB_YEAR_ONLY: &str = "dob_year_only";
    /// Day and month swapped (a valid `YYYY-MM-DD`, e.g. 1990-03-07 → 1990-07-03).
    pub const DOB_DAY_MONTH_SWAPPED: &str = "dob_day_month_swapped";
    /// DOB left empty although the target's is known.
    pub const DOB_MISSING: &str = "dob_missing";
    /// One DOB component off: year ±1, last two year digits transposed, day or month ±1.
    pub const DOB_DIGIT_TYPO: &str = "dob_digit_typo";

    /// Every kind, for coverage checks and reports.
    pub const ALL: &[&str] = &[
        EXACT,
        ALIAS,
        NICKNAME,
        PHONETIC,
        DIACRITICS_DROPPED,
        MC_MAC,
        APOSTROPHE,
        COMPOUND_PART,
        MIDDLE_NAME_DROPPED,
        SUBSTITUTION,
        INSERTION,
        DELETION,
        TRANSPOSITION,
        DOUBLE_LETTER,
        SPACE_INSERTED,
        SWAPPED,
        INITIAL_ONLY,
        GIVEN_MISSING,
        CASE_CHANGED,
        DOB_YEAR_ONLY,
        DOB_DAY_MONTH_SWAPPED,
        DOB_MISSING,
        DOB_DIGIT_TYPO,
    ];
}

/// One synthetic search, as an officer might type it, for a known target person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// `Q-000001`, `Q-000002`, …
    pub qid: String,
    /// The [`Person::id`] the search is looking for.
    pub target_id: String,
    pub given_name: String,
    pub surname: String,
    /// `YYYY-MM-DD`, `YYYY` (year only) or empty.
    pub date_of_birth: String,
    /// The perturbations applied, in order, from [`kinds`]. `["exact"]` when nothing changed;
    /// otherwise the query differs from the target in at least one field (ignoring case).
    pub kinds: Vec<String>,
}

/// `n` search queries aimed at people drawn uniformly from `people`, deterministic in `seed`.
/// Empty when `people` is empty.
///
/// About 5 % are exact; the rest carry one or two name perturbations and/or a DOB perturbation.
pub fn typo_queries(people: &[Person], n: usize, seed: u64) -> Vec<Query> {
    if people.is_empty() {
        return Vec::new();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7970_6f73_5f71_7279);
    (1..=n)
        .map(|i| {
            let target = &people[below(&mut rng, people.len())];
            query(&mut rng, i, target)
        })
        .collect()
}

/// Name perturbations with their weights, in the order they are applied.
const NAME_KINDS: &[(&str, u32)] = &[
    (kinds::ALIAS, 4),
    (kinds::MIDDLE_NAME_DROPPED, 15),
    (kinds::NICKNAME, 9),
    (kinds::PHONETIC, 12),
    (kinds::DIACRITICS_DROPPED, 25),
    (kinds::MC_MAC, 15),
    (kinds::APOSTROPHE, 15),
    (kinds::COMPOUND_PART, 10),
    (kinds::SUBSTITUTION, 14),
    (kinds::INSERTION, 8),
    (kinds::DELETION, 10),
    (kinds::TRANSPOSITION, 10),
    (kinds::DOUBLE_LETTER, 7),
    (kinds::SPACE_INSERTED, 2),
    (kinds::SWAPPED, 6),
    (kinds::INITIAL_ONLY, 5),
    (kinds::GIVEN_MISSING, 4),
];

struct Draft {
    given: String,
    surname: String,
    dob: String,
    kinds: Vec<String>,
}

fn query(rng: &mut ChaCha8Rng, i: usize, t: &Person) -> Query {
    let mut d = Draft {
        given: t.given_name.clone(),
        surname: t.surname.clone(),
        dob: t.date_of_birth.clone(),
        kinds: Vec::new(),
    };
    if rng.gen_bool(0.05) {
        d.kinds.push(kinds::EXACT.to_string());
    } else {
        let has_dob = util::parse_date(&t.date_of_birth).is_some();
        let roll = rng.gen_range(0..100u32);
        let n_name = if roll < 10 && has_dob {
            0
        } else if roll < 75 {
            1
        } else {
            2
        };
        let dob_kind = if has_dob { dob_kind(rng, &t.date_of_birth, n_name == 0) } else { None };

        // Choose the name kinds (distinct, applicable to the target), then apply them in the
        // canonical order of NAME_KINDS.
        let mut chosen: Vec<&str> = Vec::new();
        for _ in 0..n_name {
            let table = Weighted::new(
                NAME_KINDS.iter().filter(|(k, _)| !chosen.contains(k) && applicable(k, t, &chosen)).copied(),
            );
            if let Some(k) = table.pick(rng) {
                chosen.push(k);
            }
        }
        let given_locked = chosen.contains(&kinds::INITIAL_ONLY) || chosen.contains(&kinds::GIVEN_MISSING);
        for (k, _) in NAME_KINDS {
            if chosen.contains(k) && apply(rng, k, &mut d, t, given_locked) {
                d.kinds.push(k.to_string());
            }
        }
        if let Some(k) = dob_kind {
            if let Some(v) = perturb_dob(rng, k, &t.date_of_birth) {
                d.dob = v;
                d.kinds.push(k.to_string());
            }
        }
        if !differs(&d, t) {
            let field = if d.surname.chars().any(char::is_alphabetic) { &mut d.surname } else { &mut d.given };
            if let Some(v) = substitution(rng, field) {
                *field = v;
                d.kinds.push(kinds::SUBSTITUTION.to_string());
            } else {
                d.surname.push('x');
                d.kinds.push(kinds::INSERTION.to_string());
            }
        }
        let case_roll = rng.gen_range(0..100u32);
        if case_roll < 18 {
            if case_roll < 15 {
                d.given = d.given.to_lowercase();
                d.surname = d.surname.to_lowercase();
            } else {
                d.given = d.given.to_uppercase();
                d.surname = d.surname.to_uppercase();
            }
            if d.given != t.given_name || d.surname != t.surname {
                d.kinds.push(kinds::CASE_CHANGED.to_string());
            }
        }
    }
    Query {
        qid: format!("Q-{i:06}"),
        target_id: t.id.clone(),
        given_name: d.given,
        surname: d.surname,
        date_of_birth: d.dob,
        kinds: d.kinds,
    }
}

/// Whether the query differs from the target in a field, ignoring letter case.
#[cfg(test)]
pub(crate) fn query_differs(q: &Query, t: &Person) -> bool {
    q.given_name.to_lowercase() != t.given_name.to_lowercase()
        || q.surname.to_lowercase() != t.surname.to_lowercase()
        || q.date_of_birth != t.date_of_birth
}

fn differs(d: &Draft, t: &Person) -> bool {
    d.given.to_lowercase() != t.given_name.to_lowercase()
        || d.surname.to_lowercase() != t.surname.to_lowercase()
        || d.dob != t.date_of_birth
}

fn dob_kind(rng: &mut ChaCha8Rng, dob: &str, must_change: bool) -> Option<&'static str> {
    let swappable = util::parse_date(dob).is_some_and(|(_, m, d)| d <= 12 && d != m);
    let table = Weighted::new([
        (None, if must_change { 0 } else { 50 }),
        (Some(kinds::DOB_MISSING), 18),
        (Some(kinds::DOB_YEAR_ONLY), 14),
        (Some(kinds::DOB_DIGIT_TYPO), 10),
        (Some(kinds::DOB_DAY_MONTH_SWAPPED), if swappable { 8 } else { 0 }),
    ]);
    table.pick(rng).flatten()
}

fn perturb_dob(rng: &mut ChaCha8Rng, kind: &str, dob: &str) -> Option<String> {
    let (y, m, d) = util::parse_date(dob)?;
    match kind {
        kinds::DOB_MISSING => Some(String::new()),
        kinds::DOB_YEAR_ONLY => Some(format!("{y:04}")),
        kinds::DOB_DAY_MONTH_SWAPPED if d <= 12 && d != m => Some(util::format_date(y, d, m)),
        kinds::DOB_DIGIT_TYPO => {
            let (ny, nm, nd) = match rng.gen_range(0..4u32) {
                0 => {
                    let (tens, units) = ((y / 10) % 10, y % 10);
                    let swapped = y - tens * 10 - units + units * 10 + tens;
                    if tens != units && (1920..=crate::REFERENCE_YEAR).contains(&swapped) {
                        (swapped, m, d)
                    } else {
                        (y + 1, m, d)
                    }
                }
                1 => (if rng.gen_bool(0.5) { y + 1 } else { y - 1 }, m, d),
                2 => {
                    let nd = if d > 1 && (rng.gen_bool(0.5) || d == util::days_in_month(y, m)) { d - 1 } else { d + 1 };
                    (y, m, nd)
                }
                _ => {
                    let nm = if m > 1 && (rng.gen_bool(0.5) || m == 12) { m - 1 } else { m + 1 };
                    (y, nm, d)
                }
            };
            let nd = nd.min(util::days_in_month(ny, nm));
            let out = util::format_date(ny, nm, nd);
            (out != dob).then_some(out)
        }
        _ => None,
    }
}

fn has_letters(s: &str, min: usize) -> bool {
    s.chars().filter(|c| c.is_alphabetic()).count() >= min
}

/// Whether `kind` can apply to the target (given the kinds already chosen).
fn applicable(kind: &str, t: &Person, chosen: &[&str]) -> bool {
    let g = &t.given_name;
    let s = &t.surname;
    match kind {
        kinds::ALIAS => t.aliases.iter().any(|a| a.contains(' ')),
        kinds::MIDDLE_NAME_DROPPED => g.trim().contains(' '),
        kinds::NICKNAME => nickname_swap_options(first_token(g)).next().is_some(),
        kinds::PHONETIC => true,
        kinds::DIACRITICS_DROPPED => !g.is_ascii() || !s.is_ascii(),
        kinds::MC_MAC => mc_mac_options(s).is_some(),
        kinds::APOSTROPHE => s.contains('\''),
        kinds::COMPOUND_PART => compound_field(g, s).is_some(),
        kinds::SUBSTITUTION | kinds::TRANSPOSITION | kinds::DOUBLE_LETTER => has_letters(s, 2),
        kinds::INSERTION => has_letters(s, 1),
        kinds::DELETION => has_letters(s, 3),
        kinds::SPACE_INSERTED => has_letters(s, 5),
        kinds::SWAPPED => !g.is_empty(),
        kinds::INITIAL_ONLY => g.chars().count() > 1 && !chosen.contains(&kinds::GIVEN_MISSING),
        kinds::GIVEN_MISSING => !g.is_empty() && !chosen.contains(&kinds::INITIAL_ONLY),
        _ => false,
    }
}

fn first_token(s: &str) -> &str {
    s.split(' ').next().unwrap_or("")
}

/// Applies one kind to the draft; `false` when it turned out not to apply.
fn apply(rng: &mut ChaCha8Rng, kind: &str, d: &mut Draft, t: &Person, given_locked: bool) -> bool {
    match kind {
        kinds::ALIAS => {
            let options: Vec<&String> = t.aliases.iter().filter(|a| a.contains(' ')).collect();
            if options.is_empty() {
                return false;
            }
            let a = options[below(rng, options.len())];
            let (g, s) = a.split_once(' ').unwrap_or(("", a));
            d.given = g.to_string();
            d.surname = s.to_string();
            true
        }
        kinds::MIDDLE_NAME_DROPPED => {
            let parts: Vec<&str> = d.given.split(' ').filter(|p| !p.is_empty()).collect();
            if parts.len() < 2 {
                return false;
            }
            let keep = if rng.gen_bool(0.6) { parts[0] } else { parts[parts.len() - 1] };
            d.given = keep.to_string();
            true
        }
        kinds::NICKNAME => {
            let first = first_token(&d.given).to_string();
            let options: Vec<&str> = nickname_swap_options(&first).collect();
            if options.is_empty() {
                return false;
            }
            let rest = d.given[first.len()..].to_string();
            d.given = format!("{}{rest}", options[below(rng, options.len())]);
            true
        }
        kinds::PHONETIC => {
            let surname_first = given_locked || rng.gen_bool(0.6);
            let order: [bool; 2] = if surname_first { [true, false] } else { [false, true] };
            for on_surname in order {
                if !on_surname && given_locked {
                    continue;
                }
                let field = if on_surname { &mut d.surname } else { &mut d.given };
                if let Some(v) = phonetic(rng, field) {
                    *field = v;
                    return true;
                }
            }
            false
        }
        kinds::DIACRITICS_DROPPED => {
            let (g, s) = (util::fold(&d.given), util::fold(&d.surname));
            let changed = g != d.given || s != d.surname;
            d.given = g;
            d.surname = s;
            changed
        }
        kinds::MC_MAC => match mc_mac_options(&d.surname) {
            Some(opts) => {
                d.surname = opts[below(rng, opts.len())].clone();
                true
            }
            None => false,
        },
        kinds::APOSTROPHE => {
            let Some(pos) = d.surname.find('\'') else {
                return false;
            };
            let (head, tail) = (&d.surname[..pos], &d.surname[pos + 1..]);
            if tail.is_empty() {
                return false;
            }
            d.surname = match rng.gen_range(0..10u32) {
                0..=4 => format!("{head}{tail}"),
                5..=7 => format!("{head} {tail}"),
                _ => tail.to_string(),
            };
            true
        }
        kinds::COMPOUND_PART => {
            let Some(on_surname) = compound_field(&d.given, &d.surname) else {
                return false;
            };
            if !on_surname && given_locked {
                return false;
            }
            let field = if on_surname { &mut d.surname } else { &mut d.given };
            match compound_variant(rng, field) {
                Some(v) => {
                    *field = v;
                    true
                }
                None => false,
            }
        }
        kinds::SUBSTITUTION
        | kinds::INSERTION
        | kinds::DELETION
        | kinds::TRANSPOSITION
        | kinds::DOUBLE_LETTER
        | kinds::SPACE_INSERTED => {
            let on_given = !given_locked && has_letters(&d.given, 3) && rng.gen_bool(0.45);
            let field = if on_given { &mut d.given } else { &mut d.surname };
            let v = match kind {
                kinds::SUBSTITUTION => substitution(rng, field),
                kinds::INSERTION => insertion(rng, field),
                kinds::DELETION => deletion(rng, field),
                kinds::TRANSPOSITION => transposition(rng, field),
                kinds::DOUBLE_LETTER => double_letter(rng, field),
                _ => space_inserted(rng, field),
            };
            match v {
                Some(v) => {
                    *field = v;
                    true
                }
                None => false,
            }
        }
        kinds::SWAPPED => {
            if d.given.is_empty() || d.given.to_lowercase() == d.surname.to_lowercase() {
                return false;
            }
            std::mem::swap(&mut d.given, &mut d.surname);
            true
        }
        kinds::INITIAL_ONLY => {
            let mut cs = d.given.chars();
            match (cs.next(), cs.next()) {
                (Some(c), Some(_)) => {
                    d.given = c.to_uppercase().collect();
                    true
                }
                _ => false,
            }
        }
        kinds::GIVEN_MISSING => {
            if d.given.is_empty() {
                return false;
            }
            d.given.clear();
            true
        }
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Nicknames and spelling variants (also used by `people` for aliases).

fn eq_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || (!(a.is_ascii() && b.is_ascii()) && util::fold(a).eq_ignore_ascii_case(&util::fold(b)))
}

/// A nickname for a formal given name (William → Bill), if the table knows one.
pub(crate) fn nickname_of(given: &str, rng: &mut ChaCha8Rng) -> Option<&'static str> {
    let group = NICKNAMES.iter().find(|g| g.first().is_some_and(|f| *f == given))?;
    let nicks = group.get(1..).unwrap_or(&[]);
    (!nicks.is_empty()).then(|| nicks[below(rng, nicks.len())])
}

/// Every other member of every nickname group `name` belongs to.
fn nickname_swap_options(name: &str) -> impl Iterator<Item = &'static str> + '_ {
    NICKNAMES
        .iter()
        .filter(move |g| g.iter().any(|m| eq_name(m, name)))
        .flat_map(|g| g.iter().copied())
        .filter(move |m| !eq_name(m, name))
}

/// An alternative spelling of `name` from the variants table.
pub(crate) fn variant_of(name: &str, rng: &mut ChaCha8Rng) -> Option<&'static str> {
    let group = VARIANTS.iter().find(|g| g.first().is_some_and(|f| *f == name))?;
    let alts: Vec<&'static str> =
        group.get(1..).unwrap_or(&[]).iter().copied().filter(|v| !v.eq_ignore_ascii_case(name)).collect();
    (!alts.is_empty()).then(|| alts[below(rng, alts.len())])
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum At {
    Any,
    NotFirst,
    End,
    /// Anywhere, but only in names with a Slavic spelling cue.
    Slavic,
}

/// Generic English respelling rules, applied to one occurrence (case-insensitive).
const RULES: &[(&str, &str, At)] = &[
    ("ph", "f", At::Any),
    ("ck", "k", At::Any),
    ("ca", "ka", At::Any),
    ("co", "ko", At::Any),
    ("ee", "ea", At::Any),
    ("ea", "ee", At::Any),
    ("ie", "ei", At::NotFirst),
    ("ei", "ie", At::NotFirst),
    ("y", "i", At::NotFirst),
    ("i", "y", At::NotFirst),
    ("son", "sen", At::End),
    ("mps", "ms", At::Any),
    ("ou", "ow", At::Any),
    ("z", "s", At::Any),
    ("ey", "y", At::End),
    ("ie", "y", At::End),
    ("y", "ie", At::End),
    ("or", "er", At::End),
    ("er", "or", At::End),
    ("ah", "a", At::End),
    ("e", "", At::End),
    ("wh", "w", At::Any),
    ("th", "t", At::Any),
    ("ai", "ay", At::Any),
    ("ay", "ai", At::Any),
    ("oo", "u", At::Any),
    ("x", "ks", At::Any),
    ("qu", "kw", At::Any),
    ("tch", "ch", At::Any),
    ("dge", "ge", At::Any),
    ("w", "v", At::Slavic),
    ("sz", "sh", At::Any),
    ("cz", "ch", At::Any),
    ("rz", "zh", At::Any),
    ("j", "y", At::Slavic),
];

/// Spelling cues for Polish and other Slavic names, where w → v and j → y respellings happen.
const SLAVIC_CUES: &[&str] = &["cz", "sz", "rz", "ski", "ska", "cki", "cka", "wicz", "ak", "yk"];

/// A phonetic respelling of `name`: a known variant if any, else one generic rule.
fn phonetic(rng: &mut ChaCha8Rng, name: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    // Whole-name variants, matched on the first word (keeps "Imran" in "Mohammed Imran").
    let first = first_token(name);
    let group = VARIANTS.iter().find(|g| g.first().is_some_and(|f| eq_name(f, first)));
    if let Some(group) = group {
        let alts: Vec<&str> = group.get(1..).unwrap_or(&[]).iter().copied().filter(|v| !eq_name(v, first)).collect();
        if !alts.is_empty() {
            let rest = &name[first.len()..];
            return Some(format!("{}{rest}", alts[below(rng, alts.len())]));
        }
    }
    let chars: Vec<char> = name.chars().collect();
    let lower: Vec<char> = chars.iter().map(|c| c.to_ascii_lowercase()).collect();
    let lower_s: String = util::fold(&name.to_lowercase());
    let slavic = SLAVIC_CUES.iter().any(|c| lower_s.contains(c));
    let mut hits: Vec<(usize, usize, &str)> = Vec::new(); // (start, len, replacement)
    for (pat, rep, at) in RULES {
        let p: Vec<char> = pat.chars().collect();
        if p.len() > lower.len() {
            continue;
        }
        for start in 0..=lower.len() - p.len() {
            if lower[start..start + p.len()] != p[..] {
                continue;
            }
            let ok = match at {
                At::Any => true,
                At::NotFirst => start > 0,
                At::End => start + p.len() == lower.len() && lower.len() > 3,
                At::Slavic => slavic,
            };
            if ok {
                hits.push((start, p.len(), rep));
            }
        }
    }
    if hits.is_empty() {
        return None;
    }
    let (start, len, rep) = hits[below(rng, hits.len())];
    let mut out: Vec<char> = Vec::with_capacity(chars.len() + 2);
    out.extend_from_slice(&chars[..start]);
    let upper = chars[start].is_uppercase();
    for (k, c) in rep.chars().enumerate() {
        out.push(if k == 0 && upper { c.to_ascii_uppercase() } else { c });
    }
    out.extend_from_slice(&chars[start + len..]);
    let s: String = out.into_iter().collect();
    (!s.trim().is_empty() && !s.eq_ignore_ascii_case(name)).then_some(s)
}

/// Mc ↔ Mac forms of a surname, or `None` if it has no such prefix.
fn mc_mac_options(s: &str) -> Option<Vec<String>> {
    let cap = |r: &str| {
        let mut cs = r.chars();
        match cs.next() {
            Some(c) => c.to_uppercase().chain(cs).collect::<String>(),
            None => String::new(),
        }
    };
    if let Some(rest) = s.strip_prefix("Mc") {
        let rest = rest.trim_start();
        if rest.is_empty() {
            return None;
        }
        return Some(vec![format!("Mac{}", cap(rest)), format!("Mc {}", cap(rest))]);
    }
    if let Some(rest) = s.strip_prefix("Mac") {
        let next = rest.chars().next()?;
        if next.is_uppercase() || next == ' ' || next == 'k' {
            let rest = rest.trim_start();
            if rest.chars().count() < 2 {
                return None;
            }
            return Some(vec![format!("Mc{}", cap(rest)), format!("Mac {}", cap(rest))]);
        }
    }
    None
}

/// Which field has a compound name: `Some(true)` surname (hyphen or space), `Some(false)` a
/// hyphenated given name.
fn compound_field(given: &str, surname: &str) -> Option<bool> {
    if surname.contains(['-', ' ']) {
        Some(true)
    } else if given.contains('-') {
        Some(false)
    } else {
        None
    }
}

fn compound_variant(rng: &mut ChaCha8Rng, s: &str) -> Option<String> {
    let parts: Vec<&str> = s.split(['-', ' ']).filter(|p| !p.is_empty()).collect();
    if parts.len() < 2 {
        return None;
    }
    let first = parts[0];
    let last = parts[parts.len() - 1];
    // "da", "van", "Al", "Ó", "St": a particle alone is not a plausible search.
    let particle = first.chars().count() <= 3 || first.starts_with(char::is_lowercase);
    let joined_space = parts.join(" ");
    let joined_hyphen = parts.join("-");
    let mut options: Vec<String> = vec![last.to_string(), parts.concat()];
    if !particle {
        options.push(first.to_string());
    }
    options.push(if s.contains('-') { joined_space } else { joined_hyphen });
    let options: Vec<String> = options.into_iter().filter(|o| o != s).collect();
    (!options.is_empty()).then(|| options[below(rng, options.len())].clone())
}

// ---------------------------------------------------------------------------------------------
// Single-character edits. They work on chars and leave non-letters alone.

fn neighbours(c: char) -> &'static str {
    match c.to_ascii_lowercase() {
        'q' => "wa",
        'w' => "qeas",
        'e' => "wrds",
        'r' => "etdf",
        't' => "ryfg",
        'y' => "tugh",
        'u' => "yihj",
        'i' => "uojk",
        'o' => "ipkl",
        'p' => "ol",
        'a' => "qwsz",
        's' => "awedxz",
        'd' => "serfcx",
        'f' => "drtgvc",
        'g' => "ftyhbv",
        'h' => "gyujnb",
        'j' => "huikmn",
        'k' => "jiolm",
        'l' => "kop",
        'z' => "asx",
        'x' => "zsdc",
        'c' => "xdfv",
        'v' => "cfgb",
        'b' => "vghn",
        'n' => "bhjm",
        'm' => "njk",
        _ => "aeiou",
    }
}

fn random_letter(rng: &mut ChaCha8Rng) -> char {
    (b'a' + rng.gen_range(0..26u8)) as char
}

fn letter_positions(cs: &[char], from: usize) -> Vec<usize> {
    (from..cs.len()).filter(|&i| cs[i].is_alphabetic()).collect()
}

fn with_case(c: char, like: char) -> char {
    if like.is_uppercase() {
        c.to_ascii_uppercase()
    } else {
        c
    }
}

pub(crate) fn substitution(rng: &mut ChaCha8Rng, s: &str) -> Option<String> {
    let mut cs: Vec<char> = s.chars().collect();
    let pos = letter_positions(&cs, 0);
    if pos.is_empty() {
        return None;
    }
    // Officers rarely get the first letter wrong.
    let later: Vec<usize> = pos.iter().copied().filter(|&p| p > 0).collect();
    let pool = if !later.is_empty() && rng.gen_bool(0.9) { &later } else { &pos };
    let i = pool[below(rng, pool.len())];
    let old = cs[i];
    let mut new = old;
    for _ in 0..8 {
        new = if rng.gen_bool(0.7) {
            let n = neighbours(old);
            n.as_bytes()[below(rng, n.len())] as char
        } else {
            random_letter(rng)
        };
        if !new.eq_ignore_ascii_case(&old) {
            break;
        }
    }
    if new.eq_ignore_ascii_case(&old) {
        new = if old.eq_ignore_ascii_case(&'x') { 'z' } else { 'x' };
    }
    cs[i] = with_case(new, old);
    Some(cs.into_iter().collect())
}

fn insertion(rng: &mut ChaCha8Rng, s: &str) -> Option<String> {
    let mut cs: Vec<char> = s.chars().collect();
    if cs.is_empty() {
        return None;
    }
    let i = 1 + below(rng, cs.len());
    let prev = cs[i - 1];
    let c = if rng.gen_bool(0.7) {
        let n = neighbours(prev);
        n.as_bytes()[below(rng, n.len())] as char
    } else {
        random_letter(rng)
    };
    cs.insert(i, c);
    Some(cs.into_iter().collect())
}

fn deletion(rng: &mut ChaCha8Rng, s: &str) -> Option<String> {
    let mut cs: Vec<char> = s.chars().collect();
    if letter_positions(&cs, 0).len() < 3 {
        return None;
    }
    let pos = letter_positions(&cs, 1);
    let i = *pos.get(below(rng, pos.len()))?;
    cs.remove(i);
    Some(cs.into_iter().collect())
}

fn transposition(rng: &mut ChaCha8Rng, s: &str) -> Option<String> {
    let mut cs: Vec<char> = s.chars().collect();
    let pairs: Vec<usize> = (0..cs.len().saturating_sub(1))
        .filter(|&i| {
            cs[i].is_alphabetic() && cs[i + 1].is_alphabetic() && cs[i].to_lowercase().ne(cs[i + 1].to_lowercase())
        })
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let later: Vec<usize> = pairs.iter().copied().filter(|&p| p > 0).collect();
    let pool = if !later.is_empty() && rng.gen_bool(0.85) { &later } else { &pairs };
    let i = pool[below(rng, pool.len())];
    let (a, b) = (cs[i], cs[i + 1]);
    if i == 0 {
        // Keep the capital at the front: "Jhon" not "jHon".
        cs[0] = b.to_uppercase().next().unwrap_or(b);
        cs[1] = a.to_lowercase().next().unwrap_or(a);
    } else {
        cs.swap(i, i + 1);
    }
    Some(cs.into_iter().collect())
}

fn double_letter(rng: &mut ChaCha8Rng, s: &str) -> Option<String> {
    let mut cs: Vec<char> = s.chars().collect();
    let doubles: Vec<usize> =
        (1..cs.len()).filter(|&i| cs[i].is_alphabetic() && cs[i].eq_ignore_ascii_case(&cs[i - 1])).collect();
    if !doubles.is_empty() && rng.gen_bool(0.6) {
        cs.remove(doubles[below(rng, doubles.len())]);
    } else {
        let pos = letter_positions(&cs, 1);
        if pos.is_empty() {
            return None;
        }
        let i = pos[below(rng, pos.len())];
        cs.insert(i, cs[i].to_lowercase().next().unwrap_or(cs[i]));
    }
    Some(cs.into_iter().collect())
}

fn space_inserted(rng: &mut ChaCha8Rng, s: &str) -> Option<String> {
    let mut cs: Vec<char> = s.chars().collect();
    let pos: Vec<usize> =
        (2..cs.len().saturating_sub(1)).filter(|&i| cs[i].is_alphabetic() && cs[i - 1].is_alphabetic()).collect();
    if pos.is_empty() {
        return None;
    }
    cs.insert(pos[below(rng, pos.len())], ' ');
    Some(cs.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng() -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(3)
    }

    #[test]
    fn edits_change_the_name() {
        let mut r = rng();
        for name in ["Smith", "Li", "O'Brien", "Wiśniewska", "Ng", "Featherstonehaugh"] {
            for _ in 0..50 {
                let s = substitution(&mut r, name).expect("letters");
                assert!(!s.eq_ignore_ascii_case(name), "{name} -> {s}");
                if let Some(t) = transposition(&mut r, name) {
                    assert_ne!(t.to_lowercase(), name.to_lowercase(), "{name} -> {t}");
                }
                if let Some(d) = double_letter(&mut r, name) {
                    assert_ne!(d.to_lowercase(), name.to_lowercase());
                }
                if let Some(d) = deletion(&mut r, name) {
                    assert_eq!(d.chars().count() + 1, name.chars().count());
                }
            }
        }
        assert_eq!(deletion(&mut r, "Li"), None);
    }

    #[test]
    fn phonetic_respellings() {
        let mut r = rng();
        for _ in 0..20 {
            let s = phonetic(&mut r, "Smith").expect("known");
            assert!(["Smyth", "Smithe"].contains(&s.as_str()), "{s}");
            let m = phonetic(&mut r, "Mohammed Imran").expect("known");
            assert!(m.ends_with(" Imran") && !m.starts_with("Mohammed "), "{m}");
        }
        let p = phonetic(&mut r, "Philpott").expect("rule");
        assert_ne!(p, "Philpott");
        for _ in 0..50 {
            let w = phonetic(&mut r, "Williams").expect("rule");
            assert!(w.starts_with('W'), "{w}");
            if let Some(j) = phonetic(&mut r, "Jones") {
                assert!(j.starts_with('J'), "{j}");
            }
        }
        assert!((0..200).any(|_| phonetic(&mut r, "Walczak").as_deref() == Some("Valczak")));
    }

    #[test]
    fn mc_mac_and_compounds() {
        let o = mc_mac_options("McDonald").expect("mc");
        assert!(o.contains(&"MacDonald".to_string()) && o.contains(&"Mc Donald".to_string()));
        let o = mc_mac_options("MacLeod").expect("mac");
        assert!(o.contains(&"McLeod".to_string()));
        assert_eq!(mc_mac_options("Mason"), None);
        assert_eq!(mc_mac_options("Mackay").map(|v| v[0].clone()), Some("McKay".to_string()));
        let mut r = rng();
        for _ in 0..20 {
            let v = compound_variant(&mut r, "da Silva").expect("compound");
            assert_ne!(v, "da", "particle alone");
            assert_ne!(v, "da Silva");
        }
    }

    #[test]
    fn nicknames_both_ways() {
        let opts: Vec<&str> = nickname_swap_options("Bill").collect();
        assert!(opts.contains(&"William"), "{opts:?}");
        let opts: Vec<&str> = nickname_swap_options("William").collect();
        assert!(opts.contains(&"Bill"));
        assert_eq!(nickname_swap_options("Zbigniew").next(), None);
    }

    #[test]
    fn dob_perturbations() {
        let mut r = rng();
        assert_eq!(perturb_dob(&mut r, kinds::DOB_DAY_MONTH_SWAPPED, "1990-03-07").as_deref(), Some("1990-07-03"));
        assert_eq!(perturb_dob(&mut r, kinds::DOB_DAY_MONTH_SWAPPED, "1990-03-13"), None);
        assert_eq!(perturb_dob(&mut r, kinds::DOB_YEAR_ONLY, "1990-03-07").as_deref(), Some("1990"));
        for _ in 0..200 {
            let v = perturb_dob(&mut r, kinds::DOB_DIGIT_TYPO, "2000-02-29");
            if let Some(v) = v {
                assert!(util::parse_date(&v).is_some(), "{v}");
                assert_ne!(v, "2000-02-29");
            }
        }
    }
}
