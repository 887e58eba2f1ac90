//! The pull cursor: opaque to the client, `c1.<version>.<scope fingerprint>` here.
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
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("c1.{}.{}", self.version, self.fingerprint)
    }

    /// `None` when the text is not a cursor this service issues.
    pub fn decode(s: &str) -> Option<Cursor> {
        let mut it = s.split('.');
        let (Some("c1"), Some(v), Some(fp), None) = (it.next(), it.next(), it.next(), it.next()) else {
            return None;
        };
        if v.is_empty() || v.len() > 20 || !v.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if fp.len() != 16 || !fp.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(Cursor { version: v.parse().ok()?, fingerprint: fp.to_string() })
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
        let c = Cursor { version: 42, fingerprint: fingerprint(&s) };
        assert_eq!(Cursor::decode(&c.encode()), Some(c.clone()));
        let other = Scope { district: "south".into(), officer_id: "pc1".into() };
        assert_ne!(fingerprint(&s), fingerprint(&other));
        for bad in
            ["", "c1", "c1..", "c2.1.0123456789abcdef", "c1.x.0123456789abcdef", "c1.1.0123", "c1.1.0123456789abcdef.x"]
        {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
        assert_eq!(Cursor::decode("c1.99999999999999999999.0123456789abcdef"), None);
    }
}
