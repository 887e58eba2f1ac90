//! Versioned, forward-only migrations. `PRAGMA user_version` holds the number of migrations
//! applied. Never edit a released migration: append a new one.

use rusqlite::Connection;

use crate::{Result, StoreError};

/// Migration `i` takes the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: meta and the nominal cache.
    r#"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE nominals (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL CHECK (source IN ('current', 'legacy')),
        given_name TEXT NOT NULL,
        surname TEXT NOT NULL,
        date_of_birth TEXT,
        sex TEXT,
        aliases TEXT NOT NULL DEFAULT '[]',
        address TEXT,
        postcode TEXT,
        given_fold TEXT NOT NULL,
        surname_fold TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX nominals_surname_fold ON nominals (surname_fold);
    CREATE INDEX nominals_given_fold ON nominals (given_fold);
    "#,
    // 2: everything an officer writes, and what sync and the access log need.
    r#"
    -- Search keys (bluelamp-names): one row per key per nominal; aliases are indexed too.
    CREATE TABLE name_keys (
        key TEXT NOT NULL,
        nominal_id TEXT NOT NULL REFERENCES nominals (id) ON DELETE CASCADE,
        PRIMARY KEY (key, nominal_id)
    ) WITHOUT ROWID;
    CREATE INDEX name_keys_nominal ON name_keys (nominal_id);
    -- How many nominals carry each key (surname frequency for ranking), kept at write time.
    CREATE TABLE name_key_counts (key TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;

    ALTER TABLE nominals ADD COLUMN ethnicity TEXT;
    CREATE TABLE nominal_addresses (
        nominal_id TEXT NOT NULL REFERENCES nominals (id) ON DELETE CASCADE,
        address TEXT NOT NULL,
        postcode TEXT,
        kind TEXT NOT NULL DEFAULT 'home',
        valid_from TEXT,
        valid_to TEXT
    );
    CREATE INDEX nominal_addresses_nominal ON nominal_addresses (nominal_id);
    CREATE TABLE nominal_markers (
        nominal_id TEXT NOT NULL REFERENCES nominals (id) ON DELETE CASCADE,
        code TEXT NOT NULL,
        description TEXT NOT NULL,
        last_verified_at TEXT,
        PRIMARY KEY (nominal_id, code)
    );

    CREATE TABLE incidents (
        id TEXT PRIMARY KEY,                 -- UUIDv7, made by the client
        reference TEXT NOT NULL UNIQUE,
        incident_type TEXT NOT NULL,
        offence_category TEXT,
        place TEXT,
        postcode TEXT,
        team TEXT,
        occurred_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        closing_code TEXT,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'finalised')),
        assigned_to TEXT,
        version INTEGER NOT NULL DEFAULT 1,  -- base version for conflict checks
        updated_at TEXT NOT NULL
    );
    CREATE TABLE incident_links (
        incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
        nominal_id TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('victim', 'suspect', 'witness', 'child', 'reporting_person', 'bereaved_relative', 'parent_or_guardian')),
        PRIMARY KEY (incident_id, nominal_id, role)
    );
    CREATE INDEX incident_links_nominal ON incident_links (nominal_id);

    CREATE TABLE forms (
        id TEXT PRIMARY KEY,
        incident_id TEXT REFERENCES incidents (id),
        pack_id TEXT NOT NULL,
        pack_version INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'returned', 'approved')),
        answers TEXT NOT NULL DEFAULT '{}',
        current_section TEXT,
        officer_grade TEXT,
        rationale TEXT,
        amends_id TEXT REFERENCES forms (id),
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        submitted_at TEXT
    );
    CREATE INDEX forms_incident ON forms (incident_id);
    -- A submitted form is immutable: corrections are amendments (new rows).
    CREATE TRIGGER forms_submitted_immutable BEFORE UPDATE OF answers, pack_id, pack_version, officer_grade, rationale ON forms
    WHEN OLD.status <> 'draft'
    BEGIN SELECT RAISE(ABORT, 'submitted forms are immutable'); END;

    CREATE TABLE referrals (
        id TEXT PRIMARY KEY,
        incident_id TEXT NOT NULL REFERENCES incidents (id),
        victim_id TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('referred', 'declined', 'deferred')),
        destination TEXT,
        details TEXT NOT NULL DEFAULT '{}',
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn')),
        decided_at TEXT NOT NULL,
        decided_by TEXT NOT NULL
    );
    -- One active referral per victim, incident and destination.
    CREATE UNIQUE INDEX referrals_one_active ON referrals (incident_id, victim_id, destination)
        WHERE status = 'active' AND outcome = 'referred';

    CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        incident_id TEXT REFERENCES incidents (id),
        source_form_id TEXT REFERENCES forms (id),
        kind TEXT NOT NULL,
        title TEXT NOT NULL,
        owner TEXT,
        due_at TEXT,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
        created_at TEXT NOT NULL
    );

    -- Transactional outbox: each user write adds its mutation here in the same transaction.
    CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- the per-client sequence sent to the server
        id TEXT NOT NULL UNIQUE,
        mutation TEXT NOT NULL,                 -- versioned name, e.g. 'form.submit/1'
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'acked', 'parked')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    );
    CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE conflicts (
        id TEXT PRIMARY KEY,
        record_type TEXT NOT NULL,
        record_id TEXT NOT NULL,
        base TEXT NOT NULL,
        mine TEXT NOT NULL,
        theirs TEXT NOT NULL,
        created_at TEXT NOT NULL,
        resolved_at TEXT
    );

    -- DPA 2018 s.62 access log: append-only and hash-chained.
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        ts TEXT NOT NULL,
        officer_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        action TEXT NOT NULL,
        object_ref TEXT NOT NULL,
        purpose TEXT,
        outcome TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '{}',
        prev_hash TEXT NOT NULL,
        entry_hash TEXT NOT NULL
    );
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
    -- The last head the central service acknowledged, for truncation checks.
    CREATE TABLE audit_anchor (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        entry_hash TEXT NOT NULL,
        acknowledged_at TEXT NOT NULL
    );
    "#,
    // 3: phonetic search (issue 4). Search reads `name_keys` by key only and never uses the
    // walking-skeleton prefix indexes, so they and the per-nominal key index are dropped: this
    // halves the B-tree writes of a bulk import. Re-importing a nominal deletes its old keys by
    // recomputing them from its old row (see `search.rs`). Note: with the per-nominal index
    // gone, deleting a nominal makes the ON DELETE CASCADE scan `name_keys`; nothing deletes
    // nominals today.
    r#"
    DROP INDEX nominals_surname_fold;
    DROP INDEX nominals_given_fold;
    DROP INDEX name_keys_nominal;
    "#,
    // 4: the access-log viewer filters by officer, newest first (see `audit.rs`).
    r#"
    CREATE INDEX audit_officer_seq ON audit (officer_id, seq);
    "#,
    // 5: casework (issue 5, see `casework.rs`): supervisor reviews of forms, when an incident
    // was coded and finalised (daily review list), and the per-incident lookups.
    r#"
    CREATE TABLE form_reviews (
        id TEXT PRIMARY KEY,
        form_id TEXT NOT NULL REFERENCES forms (id),
        reviewer TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('approve', 'return')),
        comments TEXT,
        reviewed_at TEXT NOT NULL
    );
    CREATE INDEX form_reviews_form ON form_reviews (form_id);
    ALTER TABLE incidents ADD COLUMN coded_at TEXT;
    ALTER TABLE incidents ADD COLUMN finalised_at TEXT;
    CREATE INDEX tasks_incident ON tasks (incident_id);
    CREATE INDEX referrals_incident ON referrals (incident_id, victim_id);
    "#,
    // 6: sync (issue 7). `server_version`: set on nominals that came from the central service
    // (NULL for local imports, which a pull reset never sweeps). Parked outbox entries keep the
    // server's rejection code. Conflicts also hold the seq of the mutation that met them.
    r#"
    ALTER TABLE nominals ADD COLUMN server_version INTEGER;
    ALTER TABLE outbox ADD COLUMN reject_code TEXT;
    ALTER TABLE conflicts ADD COLUMN kind TEXT NOT NULL DEFAULT 'edit';
    ALTER TABLE conflicts ADD COLUMN seq INTEGER;
    CREATE INDEX outbox_pending ON outbox (state, seq);
    "#,
    // 7: Victims' Code (issue 6, see `victims.rs`): phone numbers held for people, so that a
    // "safe" contact number that is a suspect's number is caught before a referral.
    r#"
    CREATE TABLE nominal_phones (
        nominal_id TEXT NOT NULL,
        number TEXT NOT NULL,
        PRIMARY KEY (nominal_id, number)
    );
    "#,
    // 8: conflicts shown to a person (issue 7, see `conflicts.rs`). Incidents keep the central
    // service's version and record as last pulled (the base of an edit made here); an outbox
    // entry keeps the base version it was written on; a conflict keeps the mutation that met it,
    // the service's version to resolve against, and the officer's resolution.
    r#"
    ALTER TABLE incidents ADD COLUMN server_version INTEGER;
    ALTER TABLE incidents ADD COLUMN server_data TEXT;
    ALTER TABLE outbox ADD COLUMN base_version INTEGER;
    ALTER TABLE conflicts ADD COLUMN mutation TEXT;
    ALTER TABLE conflicts ADD COLUMN server_version INTEGER;
    ALTER TABLE conflicts ADD COLUMN resolution TEXT;
    ALTER TABLE conflicts ADD COLUMN resolved_by TEXT;
    CREATE INDEX conflicts_open ON conflicts (record_type, record_id) WHERE resolved_at IS NULL;
    "#,
    // 9: provisional nominals (issue 7, see `provisional.rs`): a person created on this device
    // is provisional until the central service serves it back (a pull upsert clears the flag)
    // or tombstones it (linked to an existing person).
    r#"
    ALTER TABLE nominals ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0;
    "#,
    // 10: the nominal record page (issue 4): who last verified a warning marker, when held.
    r#"
    ALTER TABLE nominal_markers ADD COLUMN verified_by TEXT;
    "#,
    // 11: search keys point at an integer row key (issue 4, 1M search latency and import time).
    // `nominals` gains `rk INTEGER PRIMARY KEY` (an alias of the rowid, so VACUUM keeps it; the
    // old implicit rowid is carried over) and `id` becomes a UNIQUE column, so that loading a
    // candidate is one B-tree lookup instead of two (id index, then table). `name_keys` holds
    // `(key, rk)`: shorter rows and integer comparisons. The keys are rebuilt from the rows on
    // first use (the key version is cleared). SQLite's procedure for changing a table's shape:
    // this runs with foreign keys off (see `migrate_to`), so dropping the old table cascades
    // nowhere; `nominal_markers`, `nominal_addresses` still reference `nominals (id)`.
    r#"
    CREATE TABLE nominals_v11 (
        rk INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL CHECK (source IN ('current', 'legacy')),
        given_name TEXT NOT NULL,
        surname TEXT NOT NULL,
        date_of_birth TEXT,
        sex TEXT,
        aliases TEXT NOT NULL DEFAULT '[]',
        address TEXT,
        postcode TEXT,
        given_fold TEXT NOT NULL,
        surname_fold TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        ethnicity TEXT,
        server_version INTEGER,
        provisional INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO nominals_v11 (rk, id, source, given_name, surname, date_of_birth, sex, aliases, address,
                              postcode, given_fold, surname_fold, updated_at, ethnicity, server_version,
                              provisional)
        SELECT rowid, id, source, given_name, surname, date_of_birth, sex, aliases, address, postcode,
               given_fold, surname_fold, updated_at, ethnicity, server_version, provisional
        FROM nominals;
    DROP TABLE name_keys;
    DROP TABLE nominals;
    ALTER TABLE nominals_v11 RENAME TO nominals;
    CREATE TABLE name_keys (
        key TEXT NOT NULL,
        rk INTEGER NOT NULL REFERENCES nominals (rk) ON DELETE CASCADE,
        PRIMARY KEY (key, rk)
    ) WITHOUT ROWID;
    DELETE FROM name_key_counts;
    DELETE FROM meta WHERE key = 'name_keys_version';
    "#,
    // 12: casework recorded on other devices, pulled from the central service (issue 7, see
    // `pulled.rs`): when a form, review or referral decision arrived here (NULL: written here).
    r#"
    ALTER TABLE forms ADD COLUMN pulled_at TEXT;
    ALTER TABLE form_reviews ADD COLUMN pulled_at TEXT;
    ALTER TABLE referrals ADD COLUMN pulled_at TEXT;
    "#,
    // 13: search key rows carry the record's DOB (issue 4, recall at a million records).
    // `born` is the birth year counted from 1899 (`bluelamp_names::born_value`; 0: no DOB) and
    // sits between `key` and `rk` in the primary key, so that a common key's rows can be read
    // within a DOB window. The keys are
    // rebuilt from the rows at the next unlock (the key version is cleared).
    r#"
    DROP TABLE name_keys;
    CREATE TABLE name_keys (
        key TEXT NOT NULL,
        born INTEGER NOT NULL DEFAULT 0,
        rk INTEGER NOT NULL REFERENCES nominals (rk) ON DELETE CASCADE,
        PRIMARY KEY (key, born, rk)
    ) WITHOUT ROWID;
    DELETE FROM name_key_counts;
    DELETE FROM meta WHERE key = 'name_keys_version';
    "#,
    // 14: the revision of a draft's last autosave (`Store::save_draft_revision`): a save that
    // arrives after a later one (two saves in flight) is ignored instead of overwriting it.
    r#"
    ALTER TABLE forms ADD COLUMN draft_rev INTEGER NOT NULL DEFAULT 0;
    "#,
    // 15: incidents the service no longer sends are swept after a re-pull, like nominals
    // (`sync.rs`): `seen_gen` is the pull generation that last sent the incident; an incident
    // that is no longer assigned but holds work recorded here is kept, `unassigned_at` set.
    r#"
    ALTER TABLE incidents ADD COLUMN seen_gen INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE incidents ADD COLUMN unassigned_at TEXT;
    "#,
    // 16: casework pulled before its incident (`pulled.rs`): the service's feed holds each
    // record once, at its latest version, so an incident changed after its casework comes after
    // it; when a commit group ends between the two (a dropped connection, a 200 000-change
    // group), the casework waits here for the incident instead of being dropped.
    r#"
    CREATE TABLE pulled_casework_parked (
        incident_id TEXT PRIMARY KEY,
        casework TEXT NOT NULL,
        parked_at TEXT NOT NULL
    );
    "#,
    // 17: nominals the service no longer sends are swept after a re-pull by the pull generation
    // that last sent them (`seen_gen`, as incidents since 15), not by `updated_at`: a clock
    // stepped back during the re-pull made rows just pulled look older than its start. A store
    // in the middle of a re-pull marks what that pull has sent so far.
    r#"
    ALTER TABLE nominals ADD COLUMN seen_gen INTEGER NOT NULL DEFAULT 0;
    UPDATE nominals SET seen_gen = coalesce((SELECT CAST(value AS INTEGER) FROM sync_state WHERE key = 'pull_gen'), 0)
     WHERE server_version IS NOT NULL
       AND (NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'sweep_before')
            OR updated_at >= (SELECT value FROM sync_state WHERE key = 'sweep_before'));
    "#,
    // 18: search keys without a foreign key to their record. The keys are written and removed
    // by the code that writes the record (`search::remove_keys`); the cascade added nothing but
    // its lookup, and with no index starting with `rk` (one would double the table) that lookup
    // scanned every key row: each nominal a pull removed (a removal notice, a re-pull's sweep)
    // cost a full scan, about ten million rows at a million people, under the session's lock.
    // The keys are rebuilt from the rows at the next unlock (the key version is cleared).
    r#"
    DROP TABLE name_keys;
    CREATE TABLE name_keys (
        key TEXT NOT NULL,
        born INTEGER NOT NULL DEFAULT 0,
        rk INTEGER NOT NULL,
        PRIMARY KEY (key, born, rk)
    ) WITHOUT ROWID;
    DELETE FROM name_key_counts;
    DELETE FROM meta WHERE key = 'name_keys_version';
    "#,
    // 19: an edit of a shared record keeps the record it was based on (`base_data`, the
    // service's JSON at `base_version`), so a conflict shows the base the officer edited. The
    // record as last pulled could be newer (pulled while the edit waited), and then showed the
    // other side's value as the base, as if only this officer had changed the field.
    r#"
    ALTER TABLE outbox ADD COLUMN base_data TEXT;
    "#,
    // 20: the link role `deceased` (a person who died): the Victims' Code asks no referral
    // decision of them, but of their bereaved relatives. The role list is a CHECK constraint, so
    // the table is rebuilt (create, copy, drop, rename; foreign keys are off around migrations).
    r#"
    CREATE TABLE incident_links_new (
        incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
        nominal_id TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('victim', 'suspect', 'witness', 'child', 'reporting_person', 'bereaved_relative', 'parent_or_guardian', 'deceased')),
        PRIMARY KEY (incident_id, nominal_id, role)
    );
    INSERT INTO incident_links_new (incident_id, nominal_id, role) SELECT incident_id, nominal_id, role FROM incident_links;
    DROP TABLE incident_links;
    ALTER TABLE incident_links_new RENAME TO incident_links;
    CREATE INDEX incident_links_nominal ON incident_links (nominal_id);
    "#,
    // 21: a referral decision can be withdrawn, with a reason (`Store::withdraw_referral_decision`,
    // 7 Dec 2026): the row stays (status `withdrawn`) and keeps why, when and by whom, as JSON
    // (`ReferralWithdrawal`). NULL: active, or withdrawn before (by a status change only).
    r#"
    ALTER TABLE referrals ADD COLUMN withdrawal TEXT;
    "#,
    // 22: the officer's answer to "was this victim under 18 at the time of the offence?" for a
    // victim with no date of birth (`Store::record_under18_answer`, `victim.under18/1`). Never
    // updated: a correction is a later answer, and the latest per (incident, person) counts.
    // `pulled_at`: recorded on another device and taken from the pull (`pulled.rs`).
    r#"
    CREATE TABLE under18_answers (
        id TEXT PRIMARY KEY,
        incident_id TEXT NOT NULL REFERENCES incidents (id),
        nominal_id TEXT NOT NULL,
        under_18 INTEGER NOT NULL CHECK (under_18 IN (0, 1)),
        answered_by TEXT NOT NULL,
        answered_at TEXT NOT NULL,
        pulled_at TEXT
    );
    CREATE INDEX under18_answers_incident ON under18_answers (incident_id, nominal_id, answered_at);
    "#,
    // 23: Victims' Code Right 6: key events in the investigation of an incident (arrest, charge,
    // release, bail, no further action…: `Store::record_investigation_event`,
    // `investigation.event/1`) and the victims told of them (`Store::record_victim_told`,
    // `victim.updated/1`). Never updated. `pulled_at`: recorded on another device (`pulled.rs`).
    r#"
    CREATE TABLE investigation_events (
        id TEXT PRIMARY KEY,
        incident_id TEXT NOT NULL REFERENCES incidents (id),
        kind TEXT NOT NULL,
        occurred_on TEXT NOT NULL,
        recorded_by TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        pulled_at TEXT
    );
    CREATE INDEX investigation_events_incident ON investigation_events (incident_id, occurred_on);
    CREATE TABLE victims_told (
        id TEXT PRIMARY KEY,
        event_id TEXT NOT NULL,
        incident_id TEXT NOT NULL REFERENCES incidents (id),
        nominal_id TEXT NOT NULL,
        how TEXT NOT NULL,
        told_by TEXT NOT NULL,
        told_at TEXT NOT NULL,
        pulled_at TEXT
    );
    CREATE INDEX victims_told_incident ON victims_told (incident_id, event_id, nominal_id);
    "#,
    // 24: Right 6: the day a victim was told (`told_on`, UK date; NULL for records from before:
    // the UK date of `told_at`), and each victim's update preference (`all`,
    // `key_decisions_only`, `none`: `Store::record_update_preference`,
    // `victim.update_preference/1`). Never updated: the latest per person counts.
    r#"
    ALTER TABLE victims_told ADD COLUMN told_on TEXT;
    CREATE TABLE update_preferences (
        id TEXT PRIMARY KEY,
        incident_id TEXT NOT NULL REFERENCES incidents (id),
        nominal_id TEXT NOT NULL,
        wants TEXT NOT NULL,
        recorded_by TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        pulled_at TEXT
    );
    CREATE INDEX update_preferences_incident ON update_preferences (incident_id, nominal_id, recorded_at);
    "#,
    // 25: why an incident is closed `NFA-DUP` (`Store::set_closing_code_with`,
    // `incident.closing_code/1`'s `duplicate_of` / `no_incident_found`): the original incident's
    // id, or the officer's account of no incident found. NULL for any other code.
    r#"
    ALTER TABLE incidents ADD COLUMN nfa_dup_duplicate_of TEXT;
    ALTER TABLE incidents ADD COLUMN nfa_dup_no_incident_found TEXT;
    "#,
];

pub const CURRENT: i64 = MIGRATIONS.len() as i64;

/// Applies every migration this build knows and the store has not seen, each in its own
/// transaction together with the version bump.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    migrate_to(conn, CURRENT)
}

/// Applies migrations up to schema version `target` (tests build stores of every earlier
/// version with this).
pub fn migrate_to(conn: &mut Connection, target: i64) -> Result<()> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > CURRENT {
        return Err(StoreError::TooNew { found, known: CURRENT });
    }
    let target = target.clamp(0, CURRENT) as usize;
    if target <= found as usize {
        return Ok(());
    }
    // Some migrations rebuild a table (create the new shape, copy, drop the old one, rename):
    // with foreign keys on, the drop would cascade into the tables that reference it. Foreign
    // keys are switched off around the migrations (the pragma cannot change inside a
    // transaction) and the connection's setting is restored. A table rebuild copies every row
    // with its keys, so references stay valid (the migration test runs `foreign_key_check`).
    let fk: bool = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
    conn.execute_batch("PRAGMA foreign_keys = OFF")?;
    let result = apply(conn, found as usize, target);
    conn.execute_batch(if fk { "PRAGMA foreign_keys = ON" } else { "PRAGMA foreign_keys = OFF" })?;
    result
}

fn apply(conn: &mut Connection, from: usize, to: usize) -> Result<()> {
    for (i, sql) in MIGRATIONS.iter().enumerate().take(to).skip(from) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
    }
    Ok(())
}
