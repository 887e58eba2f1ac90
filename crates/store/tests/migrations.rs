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
        c.execute("INSERT INTO incident_links (incident_id, nominal_id, role) VALUES ('I1', 'N1', 'victim')", [])
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

        if v == 0 {
            // No schema at all is not a store any build wrote: an emptied database is damaged.
            assert!(matches!(Store::open(&db, "pw"), Err(bluelamp_store::StoreError::Corrupt)));
            continue;
        }
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
            // The links survive the rebuild that added the role `deceased` (migration 20).
            let role: String = store
                .conn()
                .query_row("SELECT role FROM incident_links WHERE incident_id = 'I1' AND nominal_id = 'N1'", [], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(role, "victim", "from version {v}");
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

/// Migration 11 rebuilds `nominals` with an integer row key (`rk`, the old rowid) and
/// `name_keys` as `(key, rk)`: ids, markers and addresses survive, the keys are rebuilt, no
/// reference breaks, and the row keys do not move under VACUUM.
#[test]
fn row_key_migration_keeps_people_markers_and_search() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v10.db");
    let store = Store::create_at_schema_version(&db, "pw", "PC1", KdfParams::INSECURE_FAST, 10).unwrap();
    let c = store.conn();
    // Rowids with a gap (a deleted person), as an old store may hold.
    for (rowid, id, given, surname, dob) in [
        (1, "P1", "Siobhán", "O'Sullivan", "1984-03-12"),
        (2, "P2", "William", "Smith", "1970-01-01"),
        (5, "P5", "Zebedee", "Quartermaine", "1990-07-07"),
    ] {
        c.execute(
            "INSERT INTO nominals (rowid, id, source, given_name, surname, date_of_birth, aliases, given_fold, surname_fold, updated_at, provisional)
             VALUES (?1, ?2, 'current', ?3, ?4, ?5, '[\"Bill Smyth\"]', 'x', 'y', '2020-01-01T00:00:00Z', ?6)",
            rusqlite::params![rowid, id, given, surname, dob, i64::from(rowid == 5)],
        )
        .unwrap();
        c.execute("INSERT INTO name_keys (key, nominal_id) VALUES ('SN:OLD', ?1)", [id]).unwrap();
    }
    c.execute_batch(
        "INSERT INTO meta (key, value) VALUES ('name_keys_version', '1');
         INSERT INTO nominal_markers (nominal_id, code, description, verified_by) VALUES ('P2', 'violence', 'Violence', 'PC9');
         INSERT INTO nominal_addresses (nominal_id, address) VALUES ('P2', '1 High Street');",
    )
    .unwrap();
    drop(store);

    let store = Store::open(&db, "pw").unwrap();
    let c = store.conn();
    assert_eq!(c.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0)).unwrap(), CURRENT);
    assert!(c.query_row("PRAGMA foreign_keys", [], |r| r.get::<_, bool>(0)).unwrap(), "foreign keys back on");
    let rks: Vec<(i64, String, i64)> = c
        .prepare("SELECT rk, id, provisional FROM nominals ORDER BY rk")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rks, vec![(1, "P1".into(), 0), (2, "P2".into(), 0), (5, "P5".into(), 1)]);
    let old_keys: i64 = c.query_row("SELECT count(*) FROM name_keys", [], |r| r.get(0)).unwrap();
    assert_eq!(old_keys, 0, "the old (key, nominal_id) rows are gone until the rebuild");

    let hits = store.search(&SearchRequest::free_text("william smith")).unwrap();
    assert_eq!(hits[0].id, "P2");
    assert_eq!(hits[0].markers, vec!["violence".to_string()], "markers survive");
    let hits = store.search(&SearchRequest::free_text("bill smyth")).unwrap();
    assert!(hits.iter().any(|h| h.id == "P5"), "aliases are keyed too");
    let stray: i64 = c
        .query_row("SELECT count(*) FROM name_keys WHERE rk NOT IN (SELECT rk FROM nominals)", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stray, 0);
    let old: i64 = c.query_row("SELECT count(*) FROM name_keys WHERE key = 'SN:OLD'", [], |r| r.get(0)).unwrap();
    assert_eq!(old, 0);
    let page = store.nominal_page("P2").unwrap().unwrap();
    assert_eq!(page.warning_markers[0].verified_by.as_deref(), Some("PC9"));
    assert_eq!(page.addresses.len(), 1);

    let broken: Vec<String> = c
        .prepare("PRAGMA foreign_key_check")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(broken.is_empty(), "{broken:?}");
    let ok: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");

    // VACUUM keeps INTEGER PRIMARY KEY values, so the key rows still point at the right people.
    c.execute_batch("VACUUM").unwrap();
    let rk5: i64 = c.query_row("SELECT rk FROM nominals WHERE id = 'P5'", [], |r| r.get(0)).unwrap();
    assert_eq!(rk5, 5);
    let hits = store.search(&SearchRequest::free_text("zebedee quartermaine")).unwrap();
    assert_eq!(hits[0].id, "P5");
}

/// Migration 13 (search key rows carry the DOB): a version-12 store's `(key, rk)` rows are
/// replaced by `(key, born, rk)` rows at the next unlock, with the DOB of each record.
#[test]
fn born_migration_rebuilds_keys_with_each_dob() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v12.db");
    let store = Store::create_at_schema_version(&db, "pw", "PC1", KdfParams::INSECURE_FAST, 12).unwrap();
    let c = store.conn();
    for (rk, id, dob) in [(1, "P1", Some("1985-03-12")), (2, "P2", None)] {
        c.execute(
            "INSERT INTO nominals (rk, id, source, given_name, surname, date_of_birth, given_fold, surname_fold, updated_at)
             VALUES (?1, ?2, 'current', 'William', 'Smith', ?3, 'x', 'y', '2020-01-01T00:00:00Z')",
            rusqlite::params![rk, id, dob],
        )
        .unwrap();
        c.execute("INSERT INTO name_keys (key, rk) VALUES ('SN:SMITH', ?1)", [rk]).unwrap();
    }
    c.execute_batch("INSERT INTO meta (key, value) VALUES ('name_keys_version', '1');").unwrap();
    drop(store);

    let store = Store::open(&db, "pw").unwrap();
    assert!(store.search_keys_stale().unwrap(), "the old rows are dropped, the version cleared");
    assert!(store.prepare_search().unwrap());
    let c = store.conn();
    let born = |rk: i64| -> Vec<i64> {
        c.prepare("SELECT DISTINCT born FROM name_keys WHERE rk = ?1")
            .unwrap()
            .query_map([rk], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(born(1), vec![86], "1985 counted from 1899");
    assert_eq!(born(2), vec![0]);
    let mut r = SearchRequest::free_text("bill smyth");
    r.dob_year = Some(1985);
    assert_eq!(store.search(&r).unwrap()[0].id, "P1");
}

/// A store opened by this build in the middle of a re-pull (schema 16) marks the pulled people
/// that re-pull has already sent with its generation: the sweep at its end (by generation since
/// schema 17) keeps them, and drops those it has not sent.
#[test]
fn pull_generation_migration_marks_what_a_re_pull_in_progress_has_sent() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    let store = Store::create_at_schema_version(&db, "pw", "PC1", KdfParams::INSECURE_FAST, 16).unwrap();
    let c = store.conn();
    for (id, at) in [("SENT", "2026-12-06T10:00:00.000Z"), ("NOT-YET", "2026-12-05T10:00:00.000Z")] {
        c.execute(
            "INSERT INTO nominals (id, source, given_name, surname, given_fold, surname_fold, updated_at, server_version)
             VALUES (?1, 'current', 'Ann', 'Lee', 'ann', 'lee', ?2, 1)",
            [id, at],
        )
        .unwrap();
    }
    c.execute_batch(
        "INSERT INTO sync_state (key, value) VALUES ('pull_gen', '3'), ('sweep_before', '2026-12-06T09:00:00.000Z')",
    )
    .unwrap();
    drop(store);
    let store = Store::open(&db, "pw").unwrap();
    let gens: Vec<(String, i64)> = store
        .conn()
        .prepare("SELECT id, seen_gen FROM nominals ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(gens, [("NOT-YET".to_string(), 0), ("SENT".to_string(), 3)]);
}
