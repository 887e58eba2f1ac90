//! Verification of pushed access-log entries.
//!
//! The canonical bytes and hash are those of `bluelamp-store`'s `audit` module (format version 1,
//! magic `BLAUDIT1`), replicated here so the service does not depend on the store (and its
//! SQLCipher build). The golden test below pins the same value as the store's golden test: if
//! either side changes, one of them fails.
//!
//! ```text
//! entry_hash = hex(SHA-256(prev_hash_bytes ‖ canonical_bytes(entry)))
//! canonical_bytes = "BLAUDIT1" ‖ for id, ts, officer_id, device_id, action, object_ref, purpose,
//!                   outcome, detail: u32-BE length ‖ UTF-8 (absent purpose = 0xFFFFFFFF, no bytes)
//! ```

use std::fmt::Write as _;

use bluelamp_protocol::wire::WireAuditEntry;
use sha2::{Digest, Sha256};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const CANONICAL_MAGIC: &[u8; 8] = b"BLAUDIT1";

fn push_field(out: &mut Vec<u8>, field: Option<&str>) {
    match field {
        Some(s) => {
            // Bodies are capped at MAX_REQUEST_BYTES (8 MiB), far below u32::MAX.
            out.extend_from_slice(&(s.len() as u32).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        None => out.extend_from_slice(&u32::MAX.to_be_bytes()),
    }
}

pub fn canonical_bytes(e: &WireAuditEntry) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + e.detail.len() + e.object_ref.len());
    out.extend_from_slice(CANONICAL_MAGIC);
    for f in [&e.id, &e.ts, &e.officer_id, &e.device_id, &e.action, &e.object_ref] {
        push_field(&mut out, Some(f));
    }
    push_field(&mut out, e.purpose.as_deref());
    push_field(&mut out, Some(&e.outcome));
    push_field(&mut out, Some(&e.detail));
    out
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn unhex32(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let nib = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = (nib(b[2 * i])? << 4) | nib(b[2 * i + 1])?;
    }
    Some(out)
}

/// `hex(SHA-256(prev ‖ canonical_bytes(e)))` with `e.prev_hash` as prev, or `None` if that is
/// not a lower-case hex SHA-256.
pub fn entry_hash(e: &WireAuditEntry) -> Option<String> {
    let prev = unhex32(&e.prev_hash)?;
    let mut h = Sha256::new();
    h.update(prev);
    h.update(canonical_bytes(e));
    Some(hex(&h.finalize()))
}

/// Checks that `entries` (already stripped of those the server holds) chain onto
/// `(head_seq, head_hash)`: consecutive seqs, each `prev_hash` the previous `entry_hash`, each
/// `entry_hash` recomputed. `Err((seq, reason))` names the first bad entry.
pub fn verify_chain(head_seq: u64, head_hash: &str, entries: &[WireAuditEntry]) -> Result<(), (u64, String)> {
    let mut seq = head_seq;
    let mut prev = head_hash.to_string();
    for e in entries {
        if e.seq != seq + 1 {
            return Err((e.seq, format!("entry {} follows entry {seq}: the sequence has a hole", e.seq)));
        }
        if e.prev_hash != prev {
            return Err((e.seq, format!("entry {} does not link to the previous entry's hash", e.seq)));
        }
        match entry_hash(e) {
            Some(h) if h == e.entry_hash => {}
            Some(_) => return Err((e.seq, format!("entry {}'s hash does not match its content", e.seq))),
            None => return Err((e.seq, format!("entry {}'s prev_hash is not a SHA-256 in hex", e.seq))),
        }
        seq = e.seq;
        prev = e.entry_hash.clone();
    }
    Ok(())
}

/// The entries of `entries` (already chained onto the head, whose time is `head_ts`) timed more
/// than five minutes before the entry preceding them: the device's clock was set back. A
/// warning for IT, not a refusal: the chain, not the clock, fixes the order.
pub fn clock_warnings(
    head_seq: u64,
    head_ts: Option<&str>,
    entries: &[WireAuditEntry],
) -> Vec<bluelamp_protocol::audit::ClockWarning> {
    let as_i64 = |s: u64| i64::try_from(s).unwrap_or(i64::MAX);
    let mut prev: Option<(u64, &str)> = head_ts.map(|t| (head_seq, t));
    let mut out = Vec::new();
    for e in entries {
        if let Some((pseq, pts)) = prev {
            out.extend(bluelamp_protocol::audit::clock_went_back(as_i64(pseq), pts, as_i64(e.seq), &e.ts));
        }
        prev = Some((e.seq, &e.ts));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn sample() -> WireAuditEntry {
        WireAuditEntry {
            seq: 1,
            id: "01890000-0000-7000-8000-000000000000".into(),
            ts: "2024-05-01T09:30:00.000Z".into(),
            officer_id: "PC1".into(),
            device_id: "01890000-0000-7000-8000-000000000001".into(),
            action: "consultation".into(),
            object_ref: "nominal:42".into(),
            purpose: Some("investigation".into()),
            outcome: "success".into(),
            detail: r#"{"n":1}"#.into(),
            prev_hash: GENESIS_HASH.into(),
            entry_hash: String::new(),
        }
    }

    /// The same golden value as `bluelamp-store`'s `audit::tests::golden_hash`.
    #[test]
    fn golden_hash_matches_the_store() {
        assert_eq!(entry_hash(&sample()).unwrap(), "87361732fe3a1a99294a1f6fbef609713426aa35080b106f3dcc962bf0772fbc");
    }

    #[test]
    fn chain_checks() {
        let mut a = sample();
        a.entry_hash = entry_hash(&a).unwrap();
        let mut b = sample();
        b.seq = 2;
        b.id = "01890000-0000-7000-8000-000000000002".into();
        b.prev_hash = a.entry_hash.clone();
        b.entry_hash = entry_hash(&b).unwrap();
        assert!(verify_chain(0, GENESIS_HASH, &[a.clone(), b.clone()]).is_ok());
        assert!(verify_chain(1, &a.entry_hash, std::slice::from_ref(&b)).is_ok());
        // Hole, wrong link, altered content.
        assert_eq!(verify_chain(0, GENESIS_HASH, std::slice::from_ref(&b)).unwrap_err().0, 2);
        assert_eq!(verify_chain(1, GENESIS_HASH, std::slice::from_ref(&b)).unwrap_err().0, 2);
        let mut c = b.clone();
        c.detail = r#"{"n":2}"#.into();
        assert!(verify_chain(1, &a.entry_hash, &[c]).is_err());
        let mut d = b;
        d.prev_hash = "zz".into();
        assert!(verify_chain(1, "zz", &[d]).is_err());
    }

    /// An entry timed hours before the one preceding it (in the same push, or the head the
    /// service already holds) is named; a few minutes back and forward times are not.
    #[test]
    fn clock_set_back_is_named() {
        let at = |seq: u64, ts: &str| WireAuditEntry { seq, ts: ts.into(), ..sample() };
        let pushed = [
            at(5, "2026-12-07T12:00:00.000Z"),
            at(6, "2026-12-07T11:57:00.000Z"),
            at(7, "2026-12-07T09:00:00.000Z"),
            at(8, "2026-12-07T09:01:00.000Z"),
        ];
        let w = clock_warnings(4, Some("2026-12-07T11:59:00.000Z"), &pushed);
        assert_eq!(w.iter().map(|w| (w.seq, w.previous_seq)).collect::<Vec<_>>(), [(7, 6)]);
        let w = clock_warnings(4, Some("2026-12-07T18:00:00.000Z"), &pushed[..1]);
        assert_eq!(w.iter().map(|w| w.seq).collect::<Vec<_>>(), [5], "against the head held");
        assert!(clock_warnings(0, None, &pushed[..2]).is_empty());
    }
}
