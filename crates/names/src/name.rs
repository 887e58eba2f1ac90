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
        let tokens = fold::tokens(&fold::fold(raw));
        if tokens.is_empty() {
            return None;
        }
        let joined: String = tokens.concat();
        let mut core: Vec<String> = tokens.iter().filter(|t| !data::is_particle(t)).cloned().collect();
        if core.is_empty() {
            core = tokens.clone();
        }
        Some(Part { tokens, joined, core })
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
        dedup_cap(v, MAX_STRINGS)
    }

    /// Spellings a given name is indexed under: first token, joined tokens ("MITCH ELL"), and
    /// the canonical roots of the first token (BILL → WILLIAM).
    pub fn given_strings(&self) -> Vec<String> {
        let mut v = vec![self.first().to_string()];
        if self.tokens.len() > 1 {
            v.push(self.joined.clone());
        }
        v.extend(data::roots(self.first()));
        dedup_cap(v, MAX_STRINGS)
    }

    pub fn surname_codes(&self) -> Vec<String> {
        codes(&self.surname_strings())
    }

    pub fn given_codes(&self) -> Vec<String> {
        codes(&self.given_strings())
    }
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
