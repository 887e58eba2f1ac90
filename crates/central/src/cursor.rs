//! The pull cursor: opaque to the client, `c1.<version>.<scope fingerprint>[.<remaining>]` here
//! (`f1.<version>.<fingerprint>.<start>[.<remaining>]` while a full pull, one that started from
//! the beginning when the log's head was `start`, is still paging).
//!
//! A full pull is not "too old" only because compaction's horizon is past its cursor: what
//! was deleted before it started is swept when it ends. Only a tombstone written after it
//! started (above `start`) and compacted before it was served could be missed, so a full
//! pull's cursor is too old when the horizon is past both `start` and the cursor. Refusing
//! every page below the horizon made a re-pull of more than one page impossible once the
//! horizon was past its first page (each page was answered with a reset, for ever).
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
    /// Issued while paging through a full pull (one that started at version 0): the log's head
    /// when it started.
    pub full_from: Option<u64>,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let head = match self.full_from {
            Some(start) => format!("f1.{}.{}.{start}", self.version, self.fingerprint),
            None => format!("c1.{}.{}", self.version, self.fingerprint),
        };
        match self.remaining {
            Some(r) => format!("{head}.{r}"),
            None => head,
        }
    }

    /// `None` when the text is not a cursor this service issues.
    pub fn decode(s: &str) -> Option<Cursor> {
        let number = |t: &str| -> Option<u64> {
            if t.is_empty() || t.len() > 20 || !t.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            t.parse().ok()
        };
        let mut it = s.split('.');
        let (Some(kind), Some(v), Some(fp)) = (it.next(), it.next(), it.next()) else {
            return None;
        };
        let full_from = match kind {
            "c1" => None,
            "f1" => Some(number(it.next()?)?),
            _ => return None,
        };
        let remaining = match it.next() {
            None => None,
            Some(r) => Some(number(r)?),
        };
        if it.next().is_some() {
            return None;
        }
        if v.is_empty() || v.len() > 20 || !v.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if fp.len() != 16 || !fp.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(Cursor { version: v.parse().ok()?, fingerprint: fp.to_string(), remaining, full_from })
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
        let s = Scope { district: "north".into(), officer_id: "pc1".into(), supervises: false, records: true };
        let c = Cursor { version: 42, fingerprint: fingerprint(&s), remaining: None, full_from: None };
        assert_eq!(Cursor::decode(&c.encode()), Some(c.clone()));
        let with = Cursor { remaining: Some(7), ..c.clone() };
        assert_eq!(Cursor::decode(&with.encode()), Some(with.clone()));
        let full = Cursor { full_from: Some(90), ..with.clone() };
        assert!(full.encode().starts_with("f1.42."), "{}", full.encode());
        assert_eq!(Cursor::decode(&full.encode()), Some(full.clone()));
        let full_last = Cursor { remaining: None, ..full };
        assert_eq!(Cursor::decode(&full_last.encode()), Some(full_last));
        assert_eq!(Cursor::decode(&format!("{}.x", c.encode())), None);
        assert_eq!(Cursor::decode(&format!("{}.1.2", c.encode())), None);
        let other = Scope { district: "south".into(), officer_id: "pc1".into(), supervises: false, records: true };
        assert_ne!(fingerprint(&s), fingerprint(&other));
        // An officer made supervisor pulls more: their cursor no longer fits.
        let promoted = Scope { supervises: true, ..s.clone() };
        assert_ne!(fingerprint(&s), fingerprint(&promoted));
        let admin = Scope { records: false, ..s.clone() };
        assert_ne!(fingerprint(&s), fingerprint(&admin));
        for bad in [
            "",
            "c1",
            "c1..",
            "c2.1.0123456789abcdef",
            "f2.1.0123456789abcdef",
            "f1.1.0123456789abcdef",
            "f1.1.0123456789abcdef.x",
            "c1.x.0123456789abcdef",
            "c1.1.0123",
            "c1.1.0123456789abcdef.x",
        ] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
        assert_eq!(Cursor::decode("c1.99999999999999999999.0123456789abcdef"), None);
    }
}
