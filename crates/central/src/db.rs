//! The service's own SQLite database (not encrypted by Bluelamp: a force protects its servers
//! with disk encryption and access control).

use std::path::Path;

use rusqlite::{params, Connection};
use serde_json::json;

pub fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         CREATE TABLE IF NOT EXISTS officers (
             id TEXT PRIMARY KEY, role TEXT NOT NULL, display_name TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS nominals (
             id TEXT PRIMARY KEY, source TEXT NOT NULL, given_name TEXT NOT NULL, surname TEXT NOT NULL,
             date_of_birth TEXT, sex TEXT, aliases TEXT NOT NULL DEFAULT '[]', address TEXT, postcode TEXT);",
    )?;
    Ok(conn)
}

pub const DEMO_OFFICERS: &[(&str, &str, &str)] = &[
    ("demo-officer", "officer", "PC Demo Officer"),
    ("demo-supervisor", "supervisor", "Sgt Demo Supervisor"),
    ("demo-superuser", "superuser", "Demo Superuser (training)"),
    ("demo-admin", "admin", "Demo Admin"),
];

pub use bluelamp_demo::DEMO_SEED;

pub fn seed_demo(conn: &mut Connection, nominals: usize) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    for (id, role, name) in DEMO_OFFICERS {
        tx.execute(
            "INSERT OR IGNORE INTO officers (id, role, display_name) VALUES (?1, ?2, ?3)",
            params![id, role, name],
        )?;
    }
    let have: i64 = tx.query_row("SELECT count(*) FROM nominals", [], |r| r.get(0))?;
    if have == 0 {
        let mut stmt = tx.prepare(
            "INSERT INTO nominals (id, source, given_name, surname, date_of_birth, sex, aliases, address, postcode)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for p in bluelamp_demo::people(nominals, DEMO_SEED) {
            let dob = (!p.date_of_birth.is_empty()).then_some(p.date_of_birth.clone());
            stmt.execute(params![
                p.id,
                if p.legacy { "legacy" } else { "current" },
                p.given_name,
                p.surname,
                dob,
                p.sex,
                serde_json::to_string(&p.aliases).unwrap_or_else(|_| "[]".into()),
                p.address,
                p.postcode
            ])?;
        }
    }
    tx.commit()
}

/// Counts per record type, for `bluelamp-central stats --json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    pub officers: u64,
    pub nominals: u64,
    pub duplicate_applications: u64,
}

impl Stats {
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "officers": self.officers,
            "nominals": self.nominals,
            "duplicate_applications": self.duplicate_applications,
        })
    }
}

pub fn stats(conn: &Connection) -> rusqlite::Result<Stats> {
    let count = |t: &str| conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get::<_, i64>(0));
    Ok(Stats { officers: count("officers")? as u64, nominals: count("nominals")? as u64, duplicate_applications: 0 })
}
