//! Embedded name tables (nicknames, spelling/transliteration variants, surname particles).
//!
//! The files live in `assets/names/` and are compiled in with `include_str!`; see the README
//! there for sources and licences.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

const NICKNAMES: &str = include_str!("../../../assets/names/nicknames.csv");
const NICKNAMES_GB_IE: &str = include_str!("../../../assets/names/nicknames_gb_ie.csv");
const VARIANTS: &str = include_str!("../../../assets/names/variants.txt");
const PARTICLES: &str = include_str!("../../../assets/names/particles.txt");

/// At most this many roots (canonical forms) are used per given name.
pub(crate) const MAX_ROOTS: usize = 6;

pub(crate) struct Tables {
    /// Folded upper-case spelling → canonical spelling of its variant group.
    variant: HashMap<String, String>,
    /// Canonical nickname → canonical formal names, file order.
    formal_of: HashMap<String, Vec<String>>,
    particles: HashSet<String>,
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
    let mut formal_of: HashMap<String, Vec<String>> = HashMap::new();
    for file in [NICKNAMES, NICKNAMES_GB_IE] {
        for line in file.lines().skip(1) {
            let mut it = line.split(',');
            let (Some(formal), Some(_rel), Some(nick)) = (it.next(), it.next(), it.next()) else {
                continue;
            };
            let (formal, nick) = (canon(formal), canon(nick));
            if formal.is_empty() || nick.is_empty() || formal == nick {
                continue;
            }
            let v = formal_of.entry(nick).or_default();
            if !v.contains(&formal) {
                v.push(formal);
            }
        }
    }
    let particles = PARTICLES
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.to_ascii_uppercase())
        .collect();
    Tables { variant, formal_of, particles }
}

static TABLES: LazyLock<Tables> = LazyLock::new(load);

/// Canonical spelling of a folded token's variant group (MUHAMMAD → MOHAMMED), or the token.
pub(crate) fn canon(tok: &str) -> &str {
    TABLES.variant.get(tok).map(String::as_str).unwrap_or(tok)
}

/// True if the folded token is a surname particle (O, DE, LA, VAN, MC, ...).
pub(crate) fn is_particle(tok: &str) -> bool {
    TABLES.particles.contains(tok)
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
    fn roots_cover_nicknames_and_variants() {
        assert!(roots("BILL").contains(&"WILLIAM".to_string()));
        assert!(roots("PEGGY").contains(&"MARGARET".to_string()));
        assert!(roots("KATE").contains(&"CATHERINE".to_string()));
        assert!(roots("LIAM").contains(&"WILLIAM".to_string()));
        assert_eq!(canon("MUHAMMAD"), "MOHAMMED");
        assert_eq!(canon("KATHERINE"), "CATHERINE");
        assert!(is_particle("O") && is_particle("VAN") && !is_particle("SMITH"));
    }
}
