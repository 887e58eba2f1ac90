//! A store written by every earlier schema version opens with this build: the migrations run
//! forward, keep the data, and leave a store that searches and passes integrity checks.

use bluelamp_protocol::SearchRequest;
use bluelamp_store::schema::{CURRENT, MIGRATIONS};
use bluelamp_store::{KdfParams, Store};

/// Rows every schema version from `v` on can hold.
fn fill(store: &Store, v: i64) {
    let c = store.conn();
    if v >= 1 {
        c.execute(
            "INSERT INTO nominals (id, source, given_name, surname, date_of_birth, sex, aliases, given_fold, surname_fold, updated_at)
             VALUES ('N1', 'legacy', 'Siobhán', 'O''Sullivan', '1984-03-12', 'F', '[\"Shiv Sullivan\"]', 'siobhan', 'osullivan', '2020-01-01T00:00:00Z')",
            [],
        )
        .unwrap();
    }
    if v >= 2 {
        c.execute(
            "INSERT INTO incidents (id, reference, incident_type, occurred_at, recorded_at, updated_at)
             VALUES ('I1', 'INC-1', 'domestic_abuse', '2026-01-01T20:00:00Z', '2026-01-01T20:30:00Z', '2026-01-01T20:30:00Z')",
            [],
        )
        .unwrap();
        c.execute(
            "INSERT INTO forms (id, incident_id, pack_id, pack_version, status, answers, current_section, created_by, created_at, updated_at)
             VALUES ('F1', 'I1', 'dash-style-da-risk', 1, 'draft', '{\"q1\":\"yes\"}', 's2', 'PC1', '2026-01-01T21:00:00Z', '2026-01-01T21:00:00Z')",
            [],
        )
        .unwrap();
    }
}

#[test]
fn every_earlier_version_migrates_forward_keeping_data() {
    assert_eq!(CURRENT, MIGRATIONS.len() as i64);
    for v in 0..CURRENT {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("old.db");
        let store = Store::create_at_schema_version(&db, "pw", "PC1", KdfParams::INSECURE_FAST, v).unwrap();
        let found: i64 = store.conn().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(found, v, "store built at version {v}");
        fill(&store, v);
        drop(store);

        let store = Store::open(&db, "pw").unwrap_or_else(|e| panic!("from version {v}: {e}"));
        let now: i64 = store.conn().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(now, CURRENT, "from version {v}");
        let ok: String = store.conn().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(ok, "ok", "from version {v}");
        if v >= 1 {
            let hits = store.search(&SearchRequest::free_text("siobhan o sullivan")).unwrap();
            assert_eq!(
                hits.first().map(|h| h.id.as_str()),
                Some("N1"),
                "from version {v}: the old nominal must be found"
            );
        }
        if v >= 2 {
            let (answers, section): (String, String) = store
                .conn()
                .query_row("SELECT answers, current_section FROM forms WHERE id = 'F1'", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .unwrap();
            assert_eq!((answers.as_str(), section.as_str()), ("{\"q1\":\"yes\"}", "s2"), "from version {v}");
        }
    }
}

#[test]
fn a_store_from_a_newer_build_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new.db");
    let store = Store::create(&db, "pw", "PC1", KdfParams::INSECURE_FAST).unwrap();
    store.conn().execute_batch(&format!("PRAGMA user_version = {}", CURRENT + 1)).unwrap();
    drop(store);
    assert!(matches!(Store::open(&db, "pw"), Err(bluelamp_store::StoreError::TooNew { .. })));
}
