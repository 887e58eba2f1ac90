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
];

pub const CURRENT: i64 = MIGRATIONS.len() as i64;

/// Applies every migration this build knows and the store has not seen, each in its own
/// transaction together with the version bump.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > CURRENT {
        return Err(StoreError::TooNew { found, known: CURRENT });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
    }
    Ok(())
}
