//! The first unlock after an update that changed the search keys (issue 4). The officer's
//! store was written by the previous build (schema 12: search-key rows without the birth
//! year) and holds 300 000 people. Unlocking migrates it and rebuilds the keys; after four
//! seconds the lock screen says why it is taking longer; then the session opens, a misspelt
//! search finds the person, and every key row of a person with a DOB carries the birth year.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use bluelamp_e2e::{eventually, AppUnderTest};
use bluelamp_protocol::session::Role;
use bluelamp_store::{KdfParams, NominalRecord, Store};
use fantoccini::Locator;

use crate::{misspell, text_of, wait_for, wait_for_within, within, DEMO_PASSPHRASE, SERIAL};

/// Enough people that rebuilding their keys takes well over the lock screen's four seconds
/// in the debug app: on the 2-core machine, 100 000 took 4.3 s to unlock (too close), so three
/// times that.
const PEOPLE: usize = 300_000;
const OFFICER: &str = "demo-officer";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_unlock_after_an_update_rebuilds_the_search_index_and_says_so() -> anyhow::Result<()> {
    let _turn = SERIAL.lock().await;
    within(Duration::from_secs(480), upgrade_journey()).await
}

fn officer_db(app_dir: &Path) -> std::path::PathBuf {
    app_dir.join("officers").join(format!("{OFFICER}.db"))
}

/// A store as the previous build left it: the people, key rows of `(key, rk)`, schema 12 (the
/// later migrations undone: a migration that adds a column or a table must be undone here too).
fn previous_build_store(app_dir: &Path) -> anyhow::Result<()> {
    let db = officer_db(app_dir);
    std::fs::create_dir_all(db.parent().context("officers dir")?)?;
    let mut store = Store::create(&db, DEMO_PASSPHRASE, OFFICER, KdfParams::INSECURE_FAST)?;
    store.set_role(Role::Officer)?;
    let rows: Vec<NominalRecord> =
        bluelamp_demo::people(PEOPLE, bluelamp_demo::DEMO_SEED).into_iter().map(NominalRecord::from).collect();
    store.upsert_nominals(&rows)?;
    store.conn().execute_batch(
        "DROP TABLE name_keys;
         CREATE TABLE name_keys (
             key TEXT NOT NULL,
             rk INTEGER NOT NULL REFERENCES nominals (rk) ON DELETE CASCADE,
             PRIMARY KEY (key, rk)
         ) WITHOUT ROWID;
         INSERT INTO name_keys (key, rk) SELECT 'SN:OLD', rk FROM nominals;
         -- Nor had it the columns of migrations 14 and 15, or the table of 16.
         ALTER TABLE forms DROP COLUMN draft_rev;
         ALTER TABLE incidents DROP COLUMN seen_gen;
         ALTER TABLE incidents DROP COLUMN unassigned_at;
         DROP TABLE pulled_casework_parked;
         ALTER TABLE nominals DROP COLUMN seen_gen;
         -- Nor the column of migration 19, or of 21.
         ALTER TABLE outbox DROP COLUMN base_data;
         ALTER TABLE referrals DROP COLUMN withdrawal;
         -- Nor the tables of migrations 22, 23 and 24 (24's told_on column goes with victims_told).
         DROP TABLE under18_answers;
         DROP TABLE update_preferences;
         DROP TABLE victims_told;
         DROP TABLE investigation_events;
         -- Nor the columns of migration 25 (the NFA-DUP reason).
         ALTER TABLE incidents DROP COLUMN nfa_dup_duplicate_of;
         ALTER TABLE incidents DROP COLUMN nfa_dup_no_incident_found;
         PRAGMA user_version = 12;",
    )?;
    Ok(())
}

async fn upgrade_journey() -> anyhow::Result<()> {
    let people = bluelamp_demo::people(PEOPLE, bluelamp_demo::DEMO_SEED);
    let target = people
        .iter()
        .find(|p| {
            p.date_of_birth.len() == 10
                && p.given_name.is_ascii()
                && !p.given_name.contains(' ')
                && p.surname.len() >= 5
                && p.surname.chars().all(|c| c.is_ascii_alphabetic())
                && misspell(&p.surname) != p.surname
        })
        .context("a person with a DOB and an ASCII surname")?;

    let t0 = std::time::Instant::now();
    let app = AppUnderTest::launch_prepared("upgrade-unlock", false, &[], previous_build_store).await?;
    eprintln!("[upgrade-unlock] previous build's store written, app up in {:?}", t0.elapsed());
    app.unlock(OFFICER, DEMO_PASSPHRASE).await?;
    let slow = wait_for_within(&app, "#unlock-slow", Duration::from_secs(60))
        .await
        .context("the 'still unlocking' note")?
        .text()
        .await?;
    assert!(slow.contains("prepares the search index again") && slow.contains("safe"), "{slow}");
    app.screenshot("still-unlocking").await?;
    let t1 = std::time::Instant::now();
    let search =
        wait_for_within(&app, "#search", Duration::from_secs(300)).await.context("the session after the rebuild")?;
    eprintln!("[upgrade-unlock] session open {:?} after the note appeared", t1.elapsed());

    // Search works on the rebuilt keys: a misspelt surname with the DOB finds the person.
    let dob = wait_for(&app, "#search-dob").await?;
    dob.send_keys(&target.date_of_birth).await?;
    search.click().await?; // leaving the field applies the filter
    let typed = format!("{} {}", target.given_name, misspell(&target.surname));
    search.send_keys(&typed).await?;
    let a = &app;
    let found = eventually(Duration::from_secs(30), "search results", || async move {
        let mut ids = Vec::new();
        for el in a.client.find_all(Locator::Css("#results .result")).await? {
            if let Some(id) = el.attr("data-id").await? {
                ids.push(id);
            }
        }
        Ok((!ids.is_empty()).then_some(ids))
    })
    .await;
    // This wait timed out once in a full run (4 Dec 2026) and passed when run again: keep what
    // the screen showed, to tell a slow answer from a wrong one next time.
    let ids = match found {
        Ok(ids) => ids,
        Err(e) => {
            let shown = text_of(&app, "main").await.unwrap_or_else(|e| format!("(no text: {e})"));
            let typed_now = search.prop("value").await.ok().flatten().unwrap_or_default();
            app.screenshot("search-after-rebuild-timeout").await.ok();
            return Err(e.context(format!("typed {typed_now:?}; the screen showed: {shown}")));
        }
    };
    assert_eq!(ids.first(), Some(&target.id), "typed {typed:?} born {}: {ids:?}", target.date_of_birth);
    app.screenshot("search-after-rebuild").await?;

    // Lock (the store is closed), then look at what the rebuild wrote.
    app.client.find(Locator::Css("#lock")).await?.click().await?;
    wait_for(&app, "#unlock-form").await?;
    let store = Store::open(&officer_db(&app.data_dir()), DEMO_PASSPHRASE)?;
    let c = store.conn();
    let old: i64 = c.query_row("SELECT count(*) FROM name_keys WHERE key = 'SN:OLD'", [], |r| r.get(0))?;
    assert_eq!(old, 0, "the previous build's rows are gone");
    let unborn: i64 = c.query_row(
        "SELECT count(*) FROM name_keys k JOIN nominals n ON n.rk = k.rk
         WHERE n.date_of_birth IS NOT NULL AND k.born = 0",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(unborn, 0, "every key row of a person with a DOB carries the birth year");
    let keyed: i64 = c.query_row("SELECT count(DISTINCT rk) FROM name_keys", [], |r| r.get(0))?;
    assert_eq!(keyed, PEOPLE as i64, "every person is keyed again");
    assert!(!store.search_keys_stale()?, "the key version is current");
    drop(store);
    let note = text_of(&app, "#unlock-form").await.unwrap_or_default();
    assert!(!note.contains("Still unlocking"), "{note}");
    app.close().await
}
