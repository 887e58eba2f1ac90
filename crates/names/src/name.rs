//! A folded, tokenised name part with its spelling variants and phonetic codes.

use crate::{data, fold};

/// At most this many strings (spellings) stand for one name part in keys.
const MAX_STRINGS: usize = 8;
/// At most this many phonetic codes per name part in keys.
const MAX_CODES: usize = 8;

#[derive(Clone, Debug)]
pub(crate) struct Part {
    /// Folded tokens, e.g. `["O", "SULLIVAN"]`.
    pub tokens: Vec<String>,
    /// All tokens concatenated: `OSULLIVAN` (so spacing and O'/O/O- forms agree).
    pub joined: String,
    /// Tokens that are not particles: `["SULLIVAN"]` (all tokens if every token is a particle).
    pub core: Vec<String>,
}

impl Part {
    /// `None` when nothing name-like is left after folding.
    pub fn new(raw: &str) -> Option<Part> {
        let mut tokens = fold::tokens(&fold::fold(raw));
        if tokens.is_empty() {
            return None;
        }
        // O'Sullivan typed without its apostrophe ("Osullivan", on a phone) is O SULLIVAN, as
        // "O Sullivan" is: keyed and compared under Sullivan too (Ní Shúilleabháin among them).
        if let [only] = tokens.as_slice() {
            if data::is_o_name_joined(only) {
                let rest = only[1..].to_string();
                tokens = vec!["O".to_string(), rest];
            }
        }
        let joined: String = tokens.concat();
        let mut core: Vec<String> = tokens.iter().filter(|t| !data::is_particle(t)).cloned().collect();
        if core.is_empty() {
            core = tokens.clone();
        }
        Some(Part { tokens, joined, core })
    }

    /// A given name's part: [`Part::new`] of the name without the titles written before it
    /// ([`data::without_title`]: "Dr. Amit" is Amit, "MRS" alone is no given name).
    pub fn given(raw: &str) -> Option<Part> {
        Part::new(data::without_title(raw))
    }

    pub fn first(&self) -> &str {
        &self.tokens[0]
    }

    /// "J" or "J R": only initials were given.
    pub fn is_initial(&self) -> bool {
        self.tokens.iter().all(|t| t.len() == 1)
    }

    pub fn initial(&self) -> char {
        self.joined.chars().next().unwrap_or('_')
    }

    /// Spellings a surname is indexed under: joined form, form without particles, each part of
    /// a double-barrelled name, and the canonical variant of each.
    pub fn surname_strings(&self) -> Vec<String> {
        let mut v = vec![self.joined.clone()];
        if self.core != self.tokens {
            v.push(self.core.concat());
        }
        if self.core.len() > 1 {
            v.extend(self.core.iter().cloned());
        }
        let canon: Vec<String> = v.iter().map(|s| data::canon(s).to_string()).collect();
        v.extend(canon);
        v.extend(self.anglicised().iter().cloned());
        v.extend(self.masculine_forms());
        dedup_cap(v, MAX_STRINGS)
    }

    /// The masculine forms a feminine surname may stand beside in one family: Kowalska →
    /// KOWALSKI (Polish), Ivanova → IVANOV (Russian, Bulgarian), Nováková → NOVAK (Czech,
    /// Slovak), Kazlauskienė / Kazlauskaitė → KAZLAUSKAS (Lithuanian: a wife's and a daughter's
    /// forms), Papadopoulou → PAPADOPOULOS (Greek). Empty for any other surname. Read from the
    /// whole name (`joined`), or from the name without particles when that differs.
    pub fn masculine_forms(&self) -> Vec<String> {
        let mut out = masculine_forms(&self.joined);
        if self.core.len() < self.tokens.len() {
            out.extend(masculine_forms(&self.core.concat()));
        }
        out
    }

    /// Anglicised forms of an Irish-language surname (Ó Súilleabháin → SULLIVAN, Mac Cárthaigh
    /// → MCCARTHY), empty for any other name. The feminine and married particles are read as
    /// their masculine ones: Ní / Uí as Ó and Nic / Mhic as Mac or Mag, with the initial they lenite
    /// read plainly (Ní Shúilleabháin → SUILLEABHAIN) and a vowel after Ní / Uí read with the
    /// h of Ó h- (Ní Aodha → HAODHA). A form counts only if the table knows it, so "Ni Chen"
    /// is left alone.
    pub fn anglicised(&self) -> &'static [String] {
        let direct = data::anglicised(&self.joined);
        if !direct.is_empty() {
            return direct;
        }
        if self.core.len() < self.tokens.len() {
            let core = data::anglicised(&self.core.concat());
            if !core.is_empty() {
                return core;
            }
        }
        let (Some(particle), Some(first)) = (self.tokens.first(), self.tokens.get(1)) else {
            return &[];
        };
        let prefixes: &[&str] = match particle.as_str() {
            "NI" | "UI" => &[""],
            "NIC" | "MHIC" => &["MAC", "MAG"],
            _ => return &[],
        };
        let rest = self.tokens[2..].concat();
        let b = first.as_bytes();
        let mut firsts = vec![first.clone()];
        if b.len() > 2 && b[1] == b'H' && b"BCDFGMPST".contains(&b[0]) {
            firsts.push(format!("{}{}", &first[..1], &first[2..]));
        }
        if prefixes == [""] && b.first().is_some_and(|c| b"AEIOU".contains(c)) {
            firsts.push(format!("H{first}"));
        }
        let rest = rest.as_str();
        prefixes
            .iter()
            .flat_map(|p| firsts.iter().map(move |f| data::anglicised(&format!("{p}{f}{rest}"))))
            .find(|a| !a.is_empty())
            .unwrap_or(&[])
    }

    /// Spellings a given name is indexed under: first token, joined tokens ("MITCH ELL"), and
    /// the canonical roots of the first token (BILL → WILLIAM) and the English forms of an
    /// Irish, Scottish Gaelic or Welsh name (SEAN → JOHN).
    pub fn given_strings(&self) -> Vec<String> {
        let mut v = vec![self.first().to_string()];
        if self.tokens.len() > 1 {
            v.push(self.joined.clone());
        }
        v.extend(data::roots(self.first()));
        v.extend(data::english_forms(self.first()).cloned());
        dedup_cap(v, MAX_STRINGS)
    }

    pub fn surname_codes(&self) -> Vec<String> {
        codes(&self.surname_strings())
    }

    pub fn given_codes(&self) -> Vec<String> {
        codes(&self.given_strings())
    }
}

/// Feminine surname endings and the masculine endings they replace, longest ending first. The
/// Czech and Slovak -ová is added to the masculine name itself (Novák / Nováková, Svoboda /
/// Svobodová), so it also yields the bare stem and the stem with -a. Left out on purpose: the
/// Greek genitive of -is and -as (Georgiadi, Karra: -i and -a end too many other surnames) and
/// the Czech adjectival -á (Novotná).
const FEMININE_ENDINGS: &[(&str, &[&str])] = &[
    ("SKAYA", &["SKY", "SKI", "SKIY"]),
    ("IENE", &["AS", "IS", "IUS", "US", "YS"]),
    ("IUTE", &["IUS"]),
    ("AITE", &["AS"]),
    ("SKA", &["SKI", "SKY"]),
    ("CKA", &["CKI", "CKY"]),
    ("ZKA", &["ZKI"]),
    ("OVA", &["OV", "", "A"]),
    ("EVA", &["EV"]),
    ("INA", &["IN"]),
    ("YTE", &["IS", "YS"]),
    ("UTE", &["US"]),
    ("OU", &["OS"]),
];

/// Shortest stem (the name without its ending) read as a feminine form: "Eva" and "Ova" are not.
const MIN_STEM: usize = 3;

/// The masculine forms of a folded surname with a feminine ending (see [`FEMININE_ENDINGS`]).
pub(crate) fn masculine_forms(name: &str) -> Vec<String> {
    let Some((stem, endings)) = FEMININE_ENDINGS.iter().find_map(|(fem, masc)| {
        let stem = name.strip_suffix(fem)?;
        (stem.len() >= MIN_STEM).then_some((stem, masc))
    }) else {
        return Vec::new();
    };
    endings.iter().map(|e| format!("{stem}{e}")).collect()
}

fn dedup_cap(v: Vec<String>, cap: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(v.len());
    for s in v {
        if !s.is_empty() && !out.contains(&s) && out.len() < cap {
            out.push(s);
        }
    }
    out
}

pub(crate) fn codes(strings: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for s in strings {
        fold::phonetic_codes(s, &mut out);
    }
    out.truncate(MAX_CODES);
    out
}

pub(crate) fn initials(strings: &[String]) -> Vec<char> {
    let mut out = Vec::new();
    for s in strings {
        if let Some(c) = s.chars().next() {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out
}

/// Longest word whose one-edit spellings are probed (longer words rarely lose both codes to
/// one slip, and the variant count grows with length).
pub(crate) const TYPO_MAX_LEN: usize = 16;
/// Shortest word whose one-edit spellings are probed (shorter ones reach too many names).
pub(crate) const TYPO_MIN_LEN: usize = 3;

/// Double Metaphone codes of the spellings one keying slip away from `word` that `word`'s own
/// codes (`have`) do not already cover, in this order: a letter of `word` dropped (it was
/// typed in by mistake), two neighbouring letters exchanged, a letter replaced by one next to
/// it on the keyboard. Finds "Gillard" from "Gillatd", and "Jake" from "Jakd", when both parts
/// of a name are mis-keyed. A letter left out of `word` is not restored: measured on FEBRL4,
/// Splink and the synthetic typo set, it added no recall (the other part's slip is usually
/// found) and cost a fifth more query time. Empty for words outside
/// [`TYPO_MIN_LEN`]..=[`TYPO_MAX_LEN`] letters.
pub(crate) fn typo_codes(word: &str, have: &[String]) -> Vec<String> {
    let w = word.as_bytes();
    if !(TYPO_MIN_LEN..=TYPO_MAX_LEN).contains(&w.len()) || !w.iter().all(u8::is_ascii_uppercase) {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    let mut tried: std::collections::HashSet<Vec<u8>> = std::collections::HashSet::new();
    let mut add = |v: Vec<u8>, out: &mut Vec<String>| {
        if v.len() < 2 || !tried.insert(v.clone()) {
            return;
        }
        let s = String::from_utf8(v).unwrap_or_default();
        let (p, a) = fold::double_metaphone(&s);
        for c in [p, a] {
            if !c.is_empty() && !have.contains(&c) && !out.contains(&c) {
                out.push(c);
            }
        }
    };
    for i in 0..w.len() {
        let mut v = w.to_vec();
        v.remove(i);
        add(v, &mut out);
    }
    for i in 0..w.len() - 1 {
        let mut v = w.to_vec();
        v.swap(i, i + 1);
        add(v, &mut out);
    }
    for (i, &letter) in w.iter().enumerate() {
        for &c in keyboard_neighbours(letter) {
            let mut v = w.to_vec();
            v[i] = c;
            add(v, &mut out);
        }
    }
    out
}

/// Letters next to `c` on a QWERTY keyboard (the usual slip when typing).
fn keyboard_neighbours(c: u8) -> &'static [u8] {
    match c {
        b'Q' => b"WAS",
        b'W' => b"QEASD",
        b'E' => b"WRSDF",
        b'R' => b"ETDFG",
        b'T' => b"RYFGH",
        b'Y' => b"TUGHJ",
        b'U' => b"YIHJK",
        b'I' => b"UOJKL",
        b'O' => b"IPKL",
        b'P' => b"OL",
        b'A' => b"QWSZX",
        b'S' => b"QWEADZXC",
        b'D' => b"WERSFXCV",
        b'F' => b"ERTDGCVB",
        b'G' => b"RTYFHVBN",
        b'H' => b"TYUGJBNM",
        b'J' => b"YUIHKNM",
        b'K' => b"UIOJLM",
        b'L' => b"IOPK",
        b'Z' => b"ASX",
        b'X' => b"ZSDC",
        b'C' => b"XDFV",
        b'V' => b"CFGB",
        b'B' => b"VGHN",
        b'N' => b"BHJM",
        b'M' => b"NJK",
        _ => b"",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own(w: &str) -> Vec<String> {
        codes(&[w.to_string()])
    }

    #[test]
    fn one_slip_variants() {
        // Changed letter (T for R, keyboard neighbours), extra letter, exchanged letters.
        for (typed, meant) in [("GILLATD", "GILLARD"), ("LOCKB", "LOCK"), ("COUZESN", "COUZENS"), ("JAKD", "JAKE")] {
            let v = typo_codes(typed, &own(typed));
            assert!(own(meant).iter().any(|c| v.contains(c)), "{typed} → {meant}: {v:?} vs {:?}", own(meant));
            assert!(v.iter().all(|c| !own(typed).contains(c)), "own codes are not repeated");
        }
    }

    #[test]
    fn variants_are_bounded_and_safe() {
        assert!(typo_codes("AB", &[]).is_empty(), "too short");
        assert!(typo_codes(&"A".repeat(TYPO_MAX_LEN + 1), &[]).is_empty(), "too long");
        assert!(typo_codes("MÜLLER", &[]).is_empty(), "callers pass folded input only");
        assert!(typo_codes("O'NEIL", &[]).is_empty());
        let long = typo_codes("ABCDEFGHIJKLMNOP", &[]);
        assert!(!long.is_empty() && long.len() < 200, "{}", long.len());
    }
}
