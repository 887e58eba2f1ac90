//! Tampering with the access log. The triggers refuse UPDATE and DELETE; someone holding the
//! database key can drop them and edit rows, and `audit_verify` must then name the first broken
//! entry: a flipped byte in any field, a deleted, reordered or inserted entry, and a truncated
//! tail against the anchor (the last head the central service acknowledged).

use bluelamp_protocol::audit::AuditFilter;
use bluelamp_store::audit::{entry_hash, BreakKind, EntryFields};
use bluelamp_store::{AuditAction, AuditEvent, KdfParams, Store, VerifyReport};
use rusqlite::params;
use serde_json::json;

const N: i64 = 10;

/// A store with `N` entries: a mix of consultations with and without purposes.
fn store_with_log() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::create(&dir.path().join("t.db"), "pass", "PC1", KdfParams::INSECURE_FAST).unwrap();
    let actor = s.actor().unwrap();
    for i in 1..=N {
        let mut e = AuditEvent::new(AuditAction::Consultation, format!("nominal:N{i}")).detail(json!({ "i": i }));
        if i % 2 == 0 {
            e = e.purpose("investigation");
        }
        s.audit(&actor, e).unwrap();
    }
    assert!(s.audit_verify().unwrap().is_ok());
    (dir, s)
}

/// What an attacker with the key does first.
fn drop_triggers(s: &Store) {
    s.conn().execute_batch("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;").unwrap();
}

fn broken(r: &VerifyReport) -> (i64, BreakKind) {
    let b = r.broken.as_ref().unwrap_or_else(|| panic!("tampering not found: {r:?}"));
    assert!(!b.reason.is_empty());
    (b.seq, b.kind)
}

fn hash_of(s: &Store, seq: i64) -> String {
    s.conn().query_row("SELECT entry_hash FROM audit WHERE seq = ?1", [seq], |r| r.get(0)).unwrap()
}

/// Moves entry `from` to `to` (which must be free).
fn move_entry(s: &Store, from: i64, to: i64) {
    s.conn().execute("UPDATE audit SET seq = ?2 WHERE seq = ?1", params![from, to]).unwrap();
}

#[test]
fn triggers_refuse_update_and_delete() {
    let (_dir, s) = store_with_log();
    for sql in [
        "UPDATE audit SET object_ref = 'nominal:OTHER' WHERE seq = 3",
        "UPDATE audit SET seq = 99 WHERE seq = 10",
        "DELETE FROM audit WHERE seq = 3",
        "DELETE FROM audit",
    ] {
        let e = s.conn().execute(sql, []).unwrap_err();
        assert!(e.to_string().contains("append-only"), "{sql}: {e}");
    }
    let r = s.audit_verify().unwrap();
    assert!(r.is_ok());
    assert_eq!(r.entries, N as u64);
}

/// Changes one character of `text` so that it stays in the same class (hex stays hex).
fn flip(text: &str) -> String {
    let mut b = text.as_bytes().to_vec();
    let i = b.len() / 2;
    b[i] = match b[i] {
        b'0'..=b'8' | b'a'..=b'e' => b[i] + 1,
        b'9' => b'0',
        b'f' => b'a',
        c => c ^ 0x01,
    };
    String::from_utf8(b).unwrap()
}

#[test]
fn flipped_byte_in_any_field_is_found() {
    for column in [
        "id",
        "ts",
        "officer_id",
        "device_id",
        "action",
        "object_ref",
        "purpose",
        "outcome",
        "detail",
        "prev_hash",
        "entry_hash",
    ] {
        let (_dir, s) = store_with_log();
        drop_triggers(&s);
        let old: String =
            s.conn().query_row(&format!("SELECT {column} FROM audit WHERE seq = 4"), [], |r| r.get(0)).unwrap();
        let new = flip(&old);
        assert_ne!(old, new);
        s.conn().execute(&format!("UPDATE audit SET {column} = ?1 WHERE seq = 4"), [&new]).unwrap();
        let r = s.audit_verify().unwrap();
        assert_eq!(broken(&r), (4, BreakKind::HashMismatch), "{column}: {r:?}");
    }
    // Removing a purpose (NULL vs text) is a change too.
    let (_dir, s) = store_with_log();
    drop_triggers(&s);
    s.conn().execute("UPDATE audit SET purpose = NULL WHERE seq = 6", []).unwrap();
    assert_eq!(broken(&s.audit_verify().unwrap()), (6, BreakKind::HashMismatch));
    // A value that is not text at all (a blob: TEXT affinity would turn a number into text).
    let (_dir, s) = store_with_log();
    drop_triggers(&s);
    s.conn().execute("UPDATE audit SET object_ref = X'6e6f6d696e616c' WHERE seq = 7", []).unwrap();
    assert_eq!(broken(&s.audit_verify().unwrap()), (7, BreakKind::Malformed));
}

#[test]
fn deleted_entry_is_found() {
    // In the middle: a gap in the numbering.
    let (_dir, s) = store_with_log();
    drop_triggers(&s);
    s.conn().execute("DELETE FROM audit WHERE seq = 5", []).unwrap();
    let r = s.audit_verify().unwrap();
    assert_eq!(broken(&r), (5, BreakKind::Deleted));
    assert!(r.broken.unwrap().reason.contains("#5 is missing"));

    // The first entry.
    let (_dir, s) = store_with_log();
    drop_triggers(&s);
    s.conn().execute("DELETE FROM audit WHERE seq = 1", []).unwrap();
    assert_eq!(broken(&s.audit_verify().unwrap()), (1, BreakKind::Deleted));

    // Deleted and the rest renumbered to hide the gap: #5 now follows a hash not in the log.
    let (_dir, s) = store_with_log();
    drop_triggers(&s);
    s.conn().execute("DELETE FROM audit WHERE seq = 5", []).unwrap();
    for seq in 6..=N {
        move_entry(&s, seq, seq - 1);
    }
    let r = s.audit_verify().unwrap();
    assert_eq!(broken(&r), (5, BreakKind::PrevHashMismatch));
    assert_eq!(r.entries, (N - 1) as u64);
}

#[test]
fn reordered_entries_are_found() {
    let (_dir, s) = store_with_log();
    drop_triggers(&s);
    // Swap #5 and #6.
    move_entry(&s, 5, -5);
    move_entry(&s, 6, 5);
    move_entry(&s, -5, 6);
    let r = s.audit_verify().unwrap();
    assert_eq!(broken(&r), (5, BreakKind::Reordered), "{r:?}");

    // Moving one entry far back.
    let (_dir, s) = store_with_log();
    drop_triggers(&s);
    move_entry(&s, 3, -3);
    for seq in 4..=9 {
        move_entry(&s, seq, seq - 1);
    }
    move_entry(&s, -3, 9);
    assert_eq!(broken(&s.audit_verify().unwrap()), (3, BreakKind::Reordered));
}

#[test]
fn inserted_entry_is_found() {
    let (_dir, s) = store_with_log();
    drop_triggers(&s);
    // Make room at #5 and forge a well-formed entry there that links to #4 and hashes right:
    // the entry after it still links to #4.
    for seq in (5..=N).rev() {
        move_entry(&s, seq, seq + 1);
    }
    let prev = hash_of(&s, 4);
    let device = s.device_id().unwrap();
    let detail = r#"{"i":4.5}"#;
    let fields = EntryFields {
        id: "01900000-0000-7000-8000-00000000beef",
        ts: "2024-05-01T09:30:00.000Z",
        officer_id: "PC1",
        device_id: &device,
        action: "consultation",
        object_ref: "nominal:ALIBI",
        purpose: Some("investigation"),
        outcome: "success",
        detail,
    };
    let hash = entry_hash(&prev, &fields).unwrap();
    s.conn()
        .execute(
            "INSERT INTO audit (seq, id, ts, officer_id, device_id, action, object_ref, purpose, outcome, detail,
                                prev_hash, entry_hash)
             VALUES (5, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                fields.id,
                fields.ts,
                fields.officer_id,
                fields.device_id,
                fields.action,
                fields.object_ref,
                fields.purpose,
                fields.outcome,
                fields.detail,
                prev,
                hash
            ],
        )
        .unwrap();
    let r = s.audit_verify().unwrap();
    assert_eq!(broken(&r), (5, BreakKind::Inserted), "{r:?}");
    assert!(r.broken.unwrap().reason.contains("#6 follows #4"));

    // A copy of an existing entry slipped in after it.
    let (_dir, s) = store_with_log();
    drop_triggers(&s);
    for seq in (8..=N).rev() {
        move_entry(&s, seq, seq + 1);
    }
    s.conn()
        .execute_batch(
            "INSERT INTO audit (seq, id, ts, officer_id, device_id, action, object_ref, purpose, outcome, detail,
                                prev_hash, entry_hash)
             SELECT 8, id || 'x', ts, officer_id, device_id, action, object_ref, purpose, outcome, detail,
                    prev_hash, entry_hash FROM audit WHERE seq = 7",
        )
        .unwrap();
    // The copy's id differs (ids are unique), so its own hash fails first.
    assert_eq!(broken(&s.audit_verify().unwrap()), (8, BreakKind::HashMismatch));
}

#[test]
fn truncated_tail_is_found_against_the_anchor() {
    let (_dir, mut s) = store_with_log();
    let head = s.audit_head().unwrap().unwrap();
    s.set_audit_anchor(head.seq, &head.entry_hash).unwrap();
    assert!(s.audit_verify().unwrap().is_ok());
    // Entries after the anchor are fine (not yet acknowledged).
    let actor = s.actor().unwrap();
    s.audit(&actor, AuditEvent::new(AuditAction::Lock, "session")).unwrap();
    assert!(s.audit_verify().unwrap().is_ok());

    drop_triggers(&s);
    s.conn().execute("DELETE FROM audit WHERE seq >= 8", []).unwrap();
    // The chain that is left is intact: only the anchor shows the loss.
    let r = s.audit_verify().unwrap();
    assert_eq!(broken(&r), (8, BreakKind::Truncated), "{r:?}");
    assert_eq!(r.head.as_ref().unwrap().seq, 7);

    // Truncated and regrown past the anchor: the entry at the anchor is not the acknowledged one.
    for i in 0..5 {
        s.audit(&actor, AuditEvent::new(AuditAction::Consultation, format!("nominal:NEW{i}"))).unwrap();
    }
    let r = s.audit_verify().unwrap();
    assert_eq!(broken(&r), (N, BreakKind::AnchorMismatch), "{r:?}");

    // Everything deleted.
    s.conn().execute("DELETE FROM audit", []).unwrap();
    assert_eq!(broken(&s.audit_verify().unwrap()), (1, BreakKind::Truncated));
}

#[test]
fn the_viewer_still_lists_a_tampered_log() {
    let (_dir, s) = store_with_log();
    drop_triggers(&s);
    s.conn().execute("UPDATE audit SET object_ref = X'6e6f6d696e616c' WHERE seq = 7", []).unwrap();
    let all = s.audit_list(&AuditFilter::default()).unwrap();
    assert_eq!(all.len(), (N - 1) as usize, "the malformed row is skipped, the rest is shown");
}

/// Appends an entry written as the app writes it but timed `ts` (a device whose clock was set
/// back): a valid link and hash, so the chain holds. INSERT is what the triggers allow.
fn append_timed(s: &Store, ts: &str) -> i64 {
    let (seq, prev): (i64, String) = s
        .conn()
        .query_row("SELECT seq, entry_hash FROM audit ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    let actor = s.actor().unwrap();
    let id = format!("01890000-0000-7000-8000-{:012}", seq + 1);
    let fields = EntryFields {
        id: &id,
        ts,
        officer_id: &actor.officer_id,
        device_id: &actor.device_id,
        action: "consultation",
        object_ref: "nominal:N99",
        purpose: None,
        outcome: "success",
        detail: "{}",
    };
    let hash = entry_hash(&prev, &fields).unwrap();
    s.conn()
        .execute(
            "INSERT INTO audit (seq, id, ts, officer_id, device_id, action, object_ref, purpose, outcome, detail,
                                prev_hash, entry_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, 'consultation', 'nominal:N99', NULL, 'success', '{}', ?6, ?7)",
            params![seq + 1, id, ts, actor.officer_id, actor.device_id, prev, hash],
        )
        .unwrap();
    seq + 1
}

/// A clock set back by more than five minutes between two entries is a warning naming the
/// entry, not a break: the chain is whole. A smaller step back (a clock corrected by NTP) says
/// nothing, and the entries after the step, timed forward again, neither.
#[test]
fn a_clock_set_back_is_a_warning_with_the_entry_not_a_break() {
    let (_dir, mut s) = store_with_log();
    let now: String = s.conn().query_row("SELECT ts FROM audit WHERE seq = ?1", [N], |r| r.get(0)).unwrap();
    let earlier = |modifier: &str| -> String {
        s.conn()
            .query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?1, ?2)", params![now, modifier], |r| r.get(0))
            .unwrap()
    };
    let (two_min, two_hours) = (earlier("-2 minutes"), earlier("-2 hours"));
    let small = append_timed(&s, &two_min);
    let r = s.audit_verify().unwrap();
    assert!(r.is_ok() && r.warnings.is_empty(), "two minutes back is a clock correction: {r:?}");
    let back = append_timed(&s, &two_hours);
    assert_eq!(back, small + 1);
    // The next entry, written by the store at the device's time, is later than the one before.
    let actor = s.actor().unwrap();
    s.audit(&actor, AuditEvent::new(AuditAction::Consultation, "nominal:N1")).unwrap();
    let r = s.audit_verify().unwrap();
    assert!(r.is_ok(), "not a break: {r:?}");
    assert_eq!(r.entries, N as u64 + 3);
    assert_eq!(r.warnings.len(), 1, "{r:?}");
    let w = &r.warnings[0];
    assert_eq!((w.seq, w.previous_seq), (back, small));
    assert!((7000..=7300).contains(&w.back_secs), "{w:?}");
    assert!(w.message.contains(&format!("entry #{back}")) && w.message.contains("clock"), "{}", w.message);
    // Shown to IT as JSON with the report.
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["warnings"][0]["seq"], back);
}
