//! The pull cursor: opaque to the client, `c2.<version>.<scope fingerprint>.<run>[.<remaining>]`
//! here (`f2.<version>.<fingerprint>.<start>.<run>[.<remaining>]` while a full pull, one that
//! started from the beginning when the log's head was `start`, is still paging). Cursors from
//! before runs (`c1.…`, `f1.…`, without `<run>`) are still read.
//!
//! `run` names the service run (one per start of the service, `runs` in `crate::db`) that
//! issued `version`. A service restored from a backup issues versions again that devices were
//! already given by the lost timeline; its run for them has a new id, so a cursor from the lost
//! timeline no longer matches and is answered with a reset (a full re-pull, which also sweeps
//! records the restored service no longer holds). Without it such a cursor was taken as valid
//! whenever it was not past the head, and the device skipped changes for good.
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
    /// The run that issued `version` (16 hex digits), absent in cursors from before runs and at
    /// version 0.
    pub run: Option<String>,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let head = match (self.full_from, &self.run) {
            (Some(start), Some(run)) => format!("f2.{}.{}.{start}.{run}", self.version, self.fingerprint),
            (None, Some(run)) => format!("c2.{}.{}.{run}", self.version, self.fingerprint),
            (Some(start), None) => format!("f1.{}.{}.{start}", self.version, self.fingerprint),
            (None, None) => format!("c1.{}.{}", self.version, self.fingerprint),
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
        let hex16 = |t: &str| -> Option<String> {
            (t.len() == 16 && t.bytes().all(|b| b.is_ascii_hexdigit())).then(|| t.to_string())
        };
        let (full_from, run) = match kind {
            "c1" => (None, None),
            "f1" => (Some(number(it.next()?)?), None),
            "c2" => (None, Some(hex16(it.next()?)?)),
            "f2" => {
                let start = number(it.next()?)?;
                (Some(start), Some(hex16(it.next()?)?))
            }
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
        Some(Cursor { version: v.parse().ok()?, fingerprint: fp.to_string(), remaining, full_from, run })
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
        let c = Cursor { version: 42, fingerprint: fingerprint(&s), remaining: None, full_from: None, run: None };
        assert_eq!(Cursor::decode(&c.encode()), Some(c.clone()));
        let with = Cursor { remaining: Some(7), ..c.clone() };
        assert_eq!(Cursor::decode(&with.encode()), Some(with.clone()));
        let full = Cursor { full_from: Some(90), ..with.clone() };
        assert!(full.encode().starts_with("f1.42."), "{}", full.encode());
        assert_eq!(Cursor::decode(&full.encode()), Some(full.clone()));
        let full_last = Cursor { remaining: None, ..full };
        assert_eq!(Cursor::decode(&full_last.encode()), Some(full_last.clone()));
        // With the run that issued the version.
        let run = Some("00ff00ff00ff00ff".to_string());
        for c in [
            Cursor { run: run.clone(), ..c.clone() },
            Cursor { run: run.clone(), ..with.clone() },
            Cursor { run: run.clone(), ..full_last.clone() },
            Cursor { run: run.clone(), remaining: Some(3), ..full_last.clone() },
        ] {
            assert!(c.encode().starts_with(if c.full_from.is_some() { "f2.42." } else { "c2.42." }), "{}", c.encode());
            assert_eq!(Cursor::decode(&c.encode()), Some(c.clone()));
        }
        for bad in ["c2.1.0123456789abcdef.xyz", "c2.1.0123456789abcdef.0123", "f2.1.0123456789abcdef.5"] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
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
