//! Embedded name tables (nicknames, spelling/transliteration variants, surname particles).
//!
//! The files live in `assets/names/` and are compiled in with `include_str!`; see the README
//! there for sources and licences.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

pub(crate) const NICKNAMES: &str = include_str!("../../../assets/names/nicknames.csv");
pub(crate) const NICKNAMES_GB_IE: &str = include_str!("../../../assets/names/nicknames_gb_ie.csv");
pub(crate) const NICKNAMES_WORLD: &str = include_str!("../../../assets/names/nicknames_world.csv");
/// Written short forms of given names in old records and registers (Wm, Thos, Geo, Robt):
/// rows `name,abbreviation`.
pub(crate) const ABBREVIATIONS: &str = include_str!("../../../assets/names/abbreviations.csv");
/// Pairs of the lists above that are not linked (either way): `name1,name2,why`.
pub(crate) const NICKNAMES_NOT: &str = include_str!("../../../assets/names/nicknames_not.csv");
pub(crate) const VARIANTS: &str = include_str!("../../../assets/names/variants.txt");
pub(crate) const PARTICLES: &str = include_str!("../../../assets/names/particles.txt");
pub(crate) const GIVEN_FORMS: &str = include_str!("../../../assets/names/given_forms.csv");
pub(crate) const IRISH_SURNAMES: &str = include_str!("../../../assets/names/irish_surnames.txt");

/// At most this many roots (canonical forms) are used per given name.
pub(crate) const MAX_ROOTS: usize = 6;

pub(crate) struct Tables {
    /// Folded upper-case spelling → canonical spelling of its variant group.
    variant: HashMap<String, String>,
    /// Canonical nickname → canonical formal names, file order. A written short form (WM) has
    /// its name (WILLIAM) first.
    formal_of: HashMap<String, Vec<String>>,
    /// Written short form (WM, THOS) → the canonical name it is written for (WILLIAM, THOMAS).
    abbreviation: HashMap<String, String>,
    /// Canonical Irish, Scottish Gaelic or Welsh given name → canonical English forms
    /// (SEAN → [JOHN], DONAL → [DANIEL, DONALD]), each with the form's language.
    english_of: HashMap<String, Vec<(String, &'static str)>>,
    particles: HashSet<String>,
    /// Folded upper-case Irish-language surname (SUILLEABHAIN, MACCARTHAIGH) → its anglicised
    /// forms (SULLIVAN; MCCARTHY).
    irish: HashMap<String, Vec<String>>,
    /// Anglicised forms of the table's Ó names (SULLIVAN, BRIEN): "OSULLIVAN", O'Sullivan
    /// typed without its apostrophe, is read as O SULLIVAN.
    o_names: HashSet<String>,
    /// Every given name the tables name (nicknames and the names they stand for, names written
    /// short, Irish, Scottish Gaelic and Welsh forms and their English ones), canonical
    /// spellings: a word typed with no space after a given name is split after one of these.
    given_names: HashSet<String>,
}

fn load() -> Tables {
    let mut variant = HashMap::new();
    for line in VARIANTS.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let names: Vec<String> =
            line.split(',').map(|n| n.trim().to_ascii_uppercase()).filter(|n| !n.is_empty()).collect();
        if let Some(first) = names.first() {
            for n in &names {
                variant.entry(n.clone()).or_insert_with(|| first.clone());
            }
        }
    }
    let canon = |s: &str| -> String {
        let up = s.trim().to_ascii_uppercase();
        variant.get(&up).cloned().unwrap_or(up)
    };
    // The curated lists come first (British and Irish, then the UK's other communities:
    // Polish, Russian and Ukrainian, Yoruba, Igbo, Spanish, Italian): a nickname keeps at most
    // MAX_ROOTS formal names, and the US list alone gives FRED six others before FREDERICK
    // (ALFRED, BILL, BILLY, FERDINAND, ...), ED five before EDWARD, CHRIS five before
    // CHRISTOPHER, MO five before MOHAMMED.
    let not: HashSet<(String, String)> = NICKNAMES_NOT
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut it = l.split(',');
            Some((canon(it.next()?), canon(it.next()?)))
        })
        .flat_map(|(a, b)| [(a.clone(), b.clone()), (b, a)])
        .collect();
    let mut formal_of: HashMap<String, Vec<String>> = HashMap::new();
    let mut abbreviation = HashMap::new();
    for line in ABBREVIATIONS.lines().skip(1) {
        let Some((name, short)) = line.split_once(',') else { continue };
        let (name, short) = (canon(name), canon(short));
        formal_of.entry(short.clone()).or_default().push(name.clone());
        abbreviation.insert(short, name);
    }
    for file in [NICKNAMES_GB_IE, NICKNAMES_WORLD, NICKNAMES] {
        for line in file.lines().skip(1) {
            let mut it = line.split(',');
            let (Some(formal), Some(_rel), Some(nick)) = (it.next(), it.next(), it.next()) else {
                continue;
            };
            let (formal, nick) = (canon(formal), canon(nick));
            if formal.is_empty() || nick.is_empty() || formal == nick || not.contains(&(formal.clone(), nick.clone())) {
                continue;
            }
            let v = formal_of.entry(nick).or_default();
            if !v.contains(&formal) {
                v.push(formal);
            }
        }
    }
    let mut given_names: HashSet<String> = HashSet::new();
    for (nick, formal) in &formal_of {
        given_names.insert(nick.clone());
        given_names.extend(formal.iter().cloned());
    }
    let mut english_of: HashMap<String, Vec<(String, &'static str)>> = HashMap::new();
    for (english, language, form) in given_form_lines() {
        let (english, form) = (canon(english), canon(form));
        given_names.insert(english.clone());
        given_names.insert(form.clone());
        let v = english_of.entry(form).or_default();
        if !v.iter().any(|(e, _)| *e == english) {
            v.push((english, language));
        }
    }
    let particles = PARTICLES
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.to_ascii_uppercase())
        .collect();
    let mut irish: HashMap<String, Vec<String>> = HashMap::new();
    for (english, gaelic) in irish_lines() {
        for g in gaelic {
            irish.entry(g.to_ascii_uppercase()).or_default().extend(english.iter().map(|e| e.to_ascii_uppercase()));
        }
    }
    // The Ó section runs from its heading to the next one.
    let o_names = IRISH_SURNAMES
        .lines()
        .map(str::trim)
        .skip_while(|l| !l.starts_with("# --- Ó"))
        .skip(1)
        .take_while(|l| !l.starts_with("# ---"))
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .flat_map(|(english, _)| english.split_whitespace().map(str::to_ascii_uppercase))
        .collect();
    Tables { variant, formal_of, abbreviation, english_of, particles, irish, o_names, given_names }
}

static TABLES: LazyLock<Tables> = LazyLock::new(load);

/// Canonical spelling of a folded token's variant group (MUHAMMAD → MOHAMMED), or the token.
pub(crate) fn canon(tok: &str) -> &str {
    TABLES.variant.get(tok).map(String::as_str).unwrap_or(tok)
}

/// True if one folded given name is the written short form of the other (WM and WILLIAM, either
/// order; ABRAHAM's spellings too).
pub(crate) fn written_short(a: &str, b: &str) -> bool {
    let of = |short: &str, name: &str| TABLES.abbreviation.get(short).is_some_and(|n| n == canon(name));
    of(a, b) || of(b, a)
}

/// The Irish particles that are given names too: Nic, Ni and Mag. Typed text joins them to the
/// surname only when the result is an Irish surname the table knows ("Nic Smith" stays given
/// name Nic, surname Smith). The others (Uí, Mhic, Giolla) are always particles; all are in
/// [`PARTICLES`].
const GIVEN_NAME_PARTICLES: &[&str] = &["NI", "NIC", "MAG"];

pub(crate) fn is_given_name_particle(tok: &str) -> bool {
    GIVEN_NAME_PARTICLES.contains(&tok)
}

/// The lines of the Irish surname table: (anglicised forms, Irish forms), folded lower case.
pub(crate) fn irish_lines() -> impl Iterator<Item = (Vec<&'static str>, Vec<&'static str>)> {
    IRISH_SURNAMES.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).filter_map(|l| {
        let (english, gaelic) = l.split_once(':')?;
        Some((
            english.split_whitespace().collect(),
            gaelic.split(',').map(str::trim).filter(|g| !g.is_empty()).collect(),
        ))
    })
}

/// The lines of the given-name forms table: (English, language, form), folded lower case.
pub(crate) fn given_form_lines() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    GIVEN_FORMS.lines().skip(1).filter_map(|l| {
        let mut it = l.split(',').map(str::trim);
        Some((it.next()?, it.next()?, it.next()?))
    })
}

/// Titles written before a name ("Mrs", "Dr."), folded: not part of any recorded name. Sir,
/// Dame, Lord and Lady are left alone: they are surnames and given names too.
const TITLES: &[&str] = &["MR", "MRS", "MS", "MISS", "MX", "DR", "PROF", "REV", "REVD"];

/// True if the folded word is a title ([`TITLES`]).
pub(crate) fn is_title(folded: &str) -> bool {
    TITLES.contains(&folded)
}

/// A raw given name without the titles written before it ("Mrs Patel" typed with "Mrs" as the
/// given name, a legacy record's "MRS" in the forename field, "Dr. Amit"): the rest,
/// or "" when the given name is only a title. Anything else is returned as it is.
pub(crate) fn without_title(raw: &str) -> &str {
    let mut rest = raw.trim_start();
    loop {
        let end = rest.find(|c: char| c.is_whitespace() || c == '.').unwrap_or(rest.len());
        let word = &rest[..end];
        if word.is_empty() || !TITLES.iter().any(|t| t.eq_ignore_ascii_case(word)) {
            return rest;
        }
        rest = rest[end..].trim_start_matches(|c: char| c.is_whitespace() || c == '.');
    }
}

/// True if the folded token is a surname particle (O, DE, LA, VAN, MC, ...).
pub(crate) fn is_particle(tok: &str) -> bool {
    TABLES.particles.contains(tok)
}

/// Whether the folded token is an Ó surname written without its apostrophe or space
/// (OSULLIVAN, OBRIEN): O followed by an anglicised Ó name of the Irish table.
pub(crate) fn is_o_name_joined(tok: &str) -> bool {
    tok.strip_prefix('O').is_some_and(|rest| rest.len() >= 3 && TABLES.o_names.contains(rest))
}

/// Whether the folded token is a given name the tables know (any spelling of its variant
/// group): DEREK, KEVIN, MOHAMED, SIOBHAN.
pub(crate) fn is_known_given_name(tok: &str) -> bool {
    TABLES.given_names.contains(canon(tok))
}

/// Anglicised forms of a folded Irish-language surname (SUILLEABHAIN → [SULLIVAN]); empty if
/// the table does not know it.
pub(crate) fn anglicised(irish: &str) -> &'static [String] {
    TABLES.irish.get(irish).map(Vec::as_slice).unwrap_or(&[])
}

/// Canonical forms a given-name token stands for: its own canonical spelling first, then the
/// formal names it is a nickname of (BILL → [BILL, WILLIAM]). At most [`MAX_ROOTS`].
pub(crate) fn roots(tok: &str) -> Vec<String> {
    let c = canon(tok).to_string();
    let mut out = vec![c.clone()];
    if let Some(f) = TABLES.formal_of.get(&c) {
        for x in f {
            if out.len() >= MAX_ROOTS {
                break;
            }
            if !out.contains(x) {
                out.push(x.clone());
            }
        }
    }
    out
}

fn english_of(tok: &str) -> &'static [(String, &'static str)] {
    TABLES.english_of.get(canon(tok)).map(Vec::as_slice).unwrap_or(&[])
}

/// English forms of a given-name token that is an Irish, Scottish Gaelic or Welsh form
/// (SEAN → [JOHN], DAFYDD → [DAVID]); none for any other token.
pub(crate) fn english_forms(tok: &str) -> impl Iterator<Item = &'static String> {
    english_of(tok).iter().map(|(e, _)| e)
}

/// Two given names linked through an Irish, Scottish Gaelic or Welsh form: the English name,
/// and which of the two is such a form, in which language.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct FormLink {
    pub english: String,
    /// The language if the first name is a form of [`FormLink::english`] (Seán: Irish).
    pub a_form: Option<&'static str>,
    /// The language if the second name is a form of it.
    pub b_form: Option<&'static str>,
}

/// The English name two given-name tokens share when one is the Irish, Scottish Gaelic or
/// Welsh form of the other (Seán / John), or both are forms of one English name (Seán / Ieuan),
/// or one is that form and the other a nickname of its English name (Seán / Johnny). `None`
/// when neither token is such a form: nickname and variant matches are checked elsewhere.
pub(crate) fn shared_english_form(a: &str, b: &str) -> Option<FormLink> {
    let (ea, eb) = (english_of(a), english_of(b));
    if ea.is_empty() && eb.is_empty() {
        return None;
    }
    let side = |tok: &str, english: &[(String, &'static str)]| -> Vec<String> {
        let mut v = roots(tok);
        v.extend(english.iter().map(|(e, _)| e.clone()));
        v
    };
    let (ra, rb) = (side(a, ea), side(b, eb));
    ea.iter().chain(eb).find(|(e, _)| ra.contains(e) && rb.contains(e)).map(|(e, _)| {
        let form = |english: &[(String, &'static str)]| english.iter().find(|(x, _)| x == e).map(|(_, l)| *l);
        FormLink { english: e.clone(), a_form: form(ea), b_form: form(eb) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_groups_are_disjoint_and_ascii() {
        let mut seen = HashSet::new();
        for line in VARIANTS.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
            for n in line.split(',') {
                assert!(n.bytes().all(|b| b.is_ascii_lowercase()), "{n:?}");
                assert!(seen.insert(n.to_string()), "{n} is in two variant groups");
            }
        }
    }

    #[test]
    fn irish_surname_table_is_well_formed() {
        let table_lines = IRISH_SURNAMES.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).count();
        let mut seen = HashSet::new();
        let mut lines = 0;
        for (english, gaelic) in irish_lines() {
            assert!(!english.is_empty() && !gaelic.is_empty(), "{english:?}: {gaelic:?}");
            for n in english.iter().chain(&gaelic) {
                assert!(n.bytes().all(|b| b.is_ascii_lowercase()), "{n:?} in {english:?}");
            }
            for g in &gaelic {
                assert!(seen.insert(*g), "{g} is on two lines");
                assert!(!english.contains(g), "{g} maps to itself");
            }
            lines += 1;
        }
        assert_eq!(lines, table_lines, "a line without ':'");
        assert!(lines > 60, "{lines}");
        assert_eq!(anglicised("SUILLEABHAIN"), ["SULLIVAN"]);
        assert_eq!(anglicised("MACCARTHAIGH"), ["MCCARTHY"]);
        assert!(anglicised("SULLIVAN").is_empty());
        for p in ["NI", "NIC", "UI", "MHIC", "GIOLLA", "GHIOLLA", "MAG"] {
            assert!(is_particle(p), "{p}");
        }
        assert!(GIVEN_NAME_PARTICLES.iter().all(|p| is_particle(p)));
    }

    #[test]
    fn roots_cover_nicknames_and_variants() {
        assert!(roots("BILL").contains(&"WILLIAM".to_string()));
        assert!(roots("PEGGY").contains(&"MARGARET".to_string()));
        assert!(roots("KATE").contains(&"CATHERINE".to_string()));
        assert!(roots("LIAM").contains(&"WILLIAM".to_string()));
        assert_eq!(canon("MUHAMMAD"), "MOHAMMED");
        assert_eq!(canon("KATHERINE"), "CATHERINE");
        assert!(is_particle("O") && is_particle("VAN") && !is_particle("SMITH"));
    }

    #[test]
    fn written_short_forms_reach_their_names() {
        let mut rows = 0;
        for line in ABBREVIATIONS.lines().skip(1) {
            let (name, short) = line.split_once(',').expect("name,abbreviation");
            for n in [name, short] {
                assert!(!n.is_empty() && n.bytes().all(|b| b.is_ascii_lowercase()), "{line:?}");
            }
            let (name, short) = (name.to_ascii_uppercase(), short.to_ascii_uppercase());
            // A short form is no spelling of another name already (the tables would disagree).
            assert_eq!(canon(&short), short, "{short} is in a spelling group");
            assert_eq!(roots(&short).get(1), Some(&canon(&name).to_string()), "{short} → {name}");
            assert!(written_short(&short, &name) && written_short(&name, &short), "{short} / {name}");
            rows += 1;
        }
        assert!(rows >= 25, "{rows}");
        assert!(written_short("WM", "WILLIAM") && written_short("THOS", "THOMAS"));
        // Not a nickname, and not the written short form of a different name.
        assert!(!written_short("BILL", "WILLIAM") && !written_short("WM", "THOMAS"));
    }

    #[test]
    fn celtic_given_names_reach_their_english_forms() {
        let mut checked = 0;
        for (english, language, form) in given_form_lines() {
            assert!(["irish", "scottish", "welsh"].contains(&language), "{language}");
            for n in [english, form] {
                assert!(!n.is_empty() && n.bytes().all(|b| b.is_ascii_lowercase()), "{n:?}");
            }
            let (e, f) = (english.to_ascii_uppercase(), form.to_ascii_uppercase());
            assert_ne!(canon(&e), canon(&f), "{form} is a spelling of {english} already");
            assert!(english_forms(&f).any(|x| x == canon(&e)), "{form} → {english}");
            assert!(english_forms(&e).next().is_none(), "{english} is an English name and a form");
            checked += 1;
        }
        assert!(checked > 70, "{checked}");
        let shared = |a: &str, b: &str| {
            shared_english_form(a, b).map(|l| (l.english, l.a_form.or(l.b_form).expect("one side is a form")))
        };
        let john = |language| Some(("JOHN".to_string(), language));
        assert_eq!(shared("SEAN", "JOHN"), john("irish"));
        assert_eq!(shared("JOHN", "SHAUN"), john("irish"), "through the Sean spellings");
        assert_eq!(shared("IEUAN", "SEAN"), john("welsh"), "two forms of one name");
        assert_eq!(shared("SEAN", "JOHNNY"), john("irish"), "a form and a nickname");
        assert_eq!(shared("DAFYDD", "DAVID"), Some(("DAVID".into(), "welsh")));
        assert_eq!(shared("SIOBHAN", "JOAN"), Some(("JOAN".into(), "irish")));
        assert_eq!(shared("SEAN", "JAMES"), None);
        assert_eq!(shared("JOHN", "JACK"), None, "nicknames are not forms");
        assert_eq!(shared("SIAN", "SION"), None, "Sian is Jane, Sion is John");
        let sides = |a: &str, b: &str| shared_english_form(a, b).map(|l| (l.a_form, l.b_form));
        assert_eq!(sides("SEAN", "JOHN"), Some((Some("irish"), None)));
        assert_eq!(sides("DAVE", "DAFYDD"), Some((None, Some("welsh"))));
        assert_eq!(sides("IEUAN", "SEAN"), Some((Some("welsh"), Some("irish"))));
    }

    /// Every British/Irish pair survives the [`MAX_ROOTS`] cut, however many formal names the
    /// US list gives the same nickname (ED, FRED, CHRIS, RICK and AL have more than five).
    #[test]
    fn every_british_and_irish_nickname_reaches_its_formal_name() {
        let mut checked = 0;
        for line in NICKNAMES_GB_IE.lines().skip(1).chain(NICKNAMES_WORLD.lines().skip(1)) {
            let f: Vec<&str> = line.split(',').collect();
            let (formal, nick) = (canon(&f[0].to_ascii_uppercase()).to_string(), f[2].to_ascii_uppercase());
            assert!(roots(&nick).contains(&formal), "{nick} → {formal}: roots {:?}", roots(&nick));
            checked += 1;
        }
        assert!(checked > 250, "{checked}");
        for (nick, formal) in [("ED", "EDWARD"), ("FRED", "FREDERICK"), ("CHRIS", "CHRISTOPHER"), ("RICK", "RICHARD")] {
            assert!(roots(nick).contains(&formal.to_string()), "{nick}: {:?}", roots(nick));
        }
    }
}
