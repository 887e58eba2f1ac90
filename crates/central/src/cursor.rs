//! The pull cursor: opaque to the client, `c1.<version>.<scope fingerprint>[.<remaining>]` here
//! (`f1.…` while a full pull, one that started from the beginning, is still paging).
//!
//! A full pull is not "too old" when compaction's horizon passes its cursor: it did not start
//! from a point after which it could have missed a compacted tombstone, and a re-pull after a
//! reset sweeps what it was not sent. Refusing it made a re-pull of more than one page
//! impossible once the horizon was past its first page (each page answered with a reset).
//!
//! `remaining` carries the count of changes still to come, as computed on the first page, so
//! later pages need not count the rest of the scope again (a count is linear in what is left:
//! over a million-row first sync that alone was quadratic). It is a progress-bar estimate; the
//! `has_more` flag is always exact.
//!
//! `version` is a position in the service's global change log (a serialised counter, so no
//! change can commit "behind" a cursor already handed out, see `crate::db`); the fingerprint is
//! a hash of the officer's scope keys, so a cursor taken under another scope (the officer moved
//! district) is recognised and answered with a reset. Nothing in it is specific to SQLite.

use sha2::{Digest, Sha256};

use crate::storage::Scope;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub version: u64,
    pub fingerprint: String,
    /// Changes still to come when this cursor was issued (an estimate), if known.
    pub remaining: Option<u64>,
    /// Issued while paging through a full pull (one that started at version 0).
    pub full: bool,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let kind = if self.full { "f1" } else { "c1" };
        match self.remaining {
            Some(r) => format!("{kind}.{}.{}.{r}", self.version, self.fingerprint),
            None => format!("{kind}.{}.{}", self.version, self.fingerprint),
        }
    }

    /// `None` when the text is not a cursor this service issues.
    pub fn decode(s: &str) -> Option<Cursor> {
        let mut it = s.split('.');
        let (Some(kind), Some(v), Some(fp), rem, None) = (it.next(), it.next(), it.next(), it.next(), it.next()) else {
            return None;
        };
        let full = match kind {
            "c1" => false,
            "f1" => true,
            _ => return None,
        };
        let remaining = match rem {
            None => None,
            Some(r) if !r.is_empty() && r.len() <= 20 && r.bytes().all(|b| b.is_ascii_digit()) => Some(r.parse().ok()?),
            Some(_) => return None,
        };
        if v.is_empty() || v.len() > 20 || !v.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if fp.len() != 16 || !fp.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(Cursor { version: v.parse().ok()?, fingerprint: fp.to_string(), remaining, full })
    }
}

/// 64-bit hex fingerprint of a scope.
pub fn fingerprint(scope: &Scope) -> String {
    let mut h = Sha256::new();
    h.update(b"bluelamp-scope-v1");
    for k in scope.keys() {
        h.update((k.len() as u64).to_be_bytes());
        h.update(k.as_bytes());
    }
    h.finalize()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let s = Scope { district: "north".into(), officer_id: "pc1".into() };
        let c = Cursor { version: 42, fingerprint: fingerprint(&s), remaining: None, full: false };
        assert_eq!(Cursor::decode(&c.encode()), Some(c.clone()));
        let with = Cursor { remaining: Some(7), ..c.clone() };
        assert_eq!(Cursor::decode(&with.encode()), Some(with.clone()));
        let full = Cursor { full: true, ..with.clone() };
        assert!(full.encode().starts_with("f1."));
        assert_eq!(Cursor::decode(&full.encode()), Some(full));
        assert_eq!(Cursor::decode(&format!("{}.x", c.encode())), None);
        assert_eq!(Cursor::decode(&format!("{}.1.2", c.encode())), None);
        let other = Scope { district: "south".into(), officer_id: "pc1".into() };
        assert_ne!(fingerprint(&s), fingerprint(&other));
        for bad in [
            "",
            "c1",
            "c1..",
            "c2.1.0123456789abcdef",
            "f2.1.0123456789abcdef",
            "c1.x.0123456789abcdef",
            "c1.1.0123",
            "c1.1.0123456789abcdef.x",
        ] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
        assert_eq!(Cursor::decode("c1.99999999999999999999.0123456789abcdef"), None);
    }
}
