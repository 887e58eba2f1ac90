//! Issue 7's provisional nominals in the app: a person created from the search screen (field
//! errors keep what was typed; local likely matches are shown first) is provisional, the demo
//! central service answers with a possible duplicate after the sync, and the officer links it
//! on the "Possible duplicates" screen; after the next sync the provisional copy is gone.

use std::time::Duration;

use anyhow::Context;
use bluelamp_e2e::{eventually, AppUnderTest};
use fantoccini::key::Key;
use fantoccini::Locator;

use super::{text_of, wait_for, within, DEMO_PASSPHRASE, SERIAL};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_created_in_the_app_is_matched_by_the_service_and_linked() -> anyhow::Result<()> {
    let _turn = SERIAL.lock().await;
    within(Duration::from_secs(300), people_journey()).await
}

async fn people_journey() -> anyhow::Result<()> {
    // A demo person the central service holds (the app's demo service and store share them).
    let people = bluelamp_demo::people(300, bluelamp_demo::DEMO_SEED);
    let target = people
        .iter()
        .find(|p| {
            !p.legacy
                && !p.date_of_birth.is_empty()
                && p.given_name.chars().all(|c| c.is_ascii_alphabetic())
                && p.surname.chars().all(|c| c.is_ascii_alphabetic())
                && p.surname.len() >= 5
                && people.iter().filter(|q| q.surname == p.surname).count() == 1
        })
        .expect("a demo person with a unique surname and a DOB");

    let app = AppUnderTest::launch("people", false).await?;
    app.unlock("demo-officer", DEMO_PASSPHRASE).await.context("unlock")?;
    let a = &app;
    eventually(Duration::from_secs(90), "the first sync", || async move {
        let last = text_of(a, "#sync-last").await.unwrap_or_default();
        Ok(last.starts_with("last sync").then_some(()))
    })
    .await?;

    // From the search screen: a new person. A bad DOB is refused next to the field and what
    // was typed stays.
    wait_for(&app, "#search").await?.send_keys(&format!("{} {}", target.given_name, target.surname)).await?;
    wait_for(&app, "#new-person-open").await?.click().await?;
    let given = wait_for(&app, "#np-given").await?;
    assert_eq!(given.prop("value").await?.as_deref(), Some(target.given_name.as_str()), "prefilled from the search");
    // The form takes the focus (the button that had it is gone).
    focus_is(&app, "#np-given", "on the New person form's first field").await?;
    app.client.find(Locator::Css("#np-dob")).await?.send_keys("31/02/1980").await?;
    app.client.find(Locator::Css("#np-address")).await?.send_keys("1 Provisional Road").await?;
    app.client.find(Locator::Css("#np-save")).await?.click().await?;
    let err = wait_for(&app, "#np-error-date_of_birth").await?.text().await?;
    assert!(err.contains("not a real date"), "{err}");
    let kept = app.client.find(Locator::Css("#np-address")).await?.prop("value").await?;
    assert_eq!(kept.as_deref(), Some("1 Provisional Road"), "what was typed is kept");
    app.screenshot("new-person-field-error").await?;

    // With the right DOB: the local likely match is shown; the officer saves anyway.
    let dob = app.client.find(Locator::Css("#np-dob")).await?;
    crate::clear_typed(&dob).await?;
    // Typed day first, as British officers write it.
    let d = &target.date_of_birth;
    dob.send_keys(&format!("{}/{}/{}", &d[8..10], &d[5..7], &d[0..4])).await?;
    app.client.find(Locator::Css("#np-save")).await?.click().await?;
    let open_match = format!("#np-matches .result[data-id='{}'] .np-open", target.id);
    wait_for(&app, &open_match).await.context("likely match shown")?;
    app.screenshot("new-person-likely-matches").await?;

    // The officer opens the likely match to check it, thinks better of it (Cancel: the focus
    // goes back to the match, not to nothing), then opens it and comes Back: to this form, with
    // what they had typed, not to the search list with the draft left behind for whoever is
    // created next.
    app.client.find(Locator::Css(&open_match)).await?.click().await?;
    wait_for(&app, "#purpose-dialog").await?;
    app.client.find(Locator::Css("#purpose-dialog button.secondary")).await?.click().await?;
    focus_is(&app, &open_match, "back on the likely match after Cancel").await?;
    app.client.find(Locator::Css(&open_match)).await?.click().await?;
    app.client.find(Locator::Css("#purpose")).await?.select_by_value("safeguarding").await?;
    app.client.find(Locator::Css("#purpose-open")).await?.click().await?;
    wait_for(&app, "#nominal-back").await.context("the likely match's record")?.click().await?;
    let shown = wait_for(&app, "#search, #np-given").await?.attr("id").await?;
    assert_eq!(shown.as_deref(), Some("np-given"), "Back from a likely match leaves the New person form");
    let kept = app.client.find(Locator::Css("#np-address")).await?.prop("value").await?;
    assert_eq!(kept.as_deref(), Some("1 Provisional Road"), "what was typed, back from the likely match");
    // Esc closes the form (the search box has the focus) and keeps what was typed for this
    // search: New person… again brings it back.
    app.client.active_element().await?.send_keys(&char::from(Key::Escape).to_string()).await?;
    wait_for(&app, "#new-person-open").await.context("Esc closes the New person form")?;
    focus_is(&app, "#search", "the search box after Esc on the form").await?;
    app.client.find(Locator::Css("#new-person-open")).await?.click().await?;
    let kept = wait_for(&app, "#np-address").await?.prop("value").await?;
    assert_eq!(kept.as_deref(), Some("1 Provisional Road"), "what was typed, after Esc");
    app.client.find(Locator::Css("#np-save")).await?.click().await?;
    wait_for(&app, &open_match).await.context("likely match shown again")?;
    app.client.find(Locator::Css("#np-confirm")).await?.click().await?;
    wait_for(&app, "#nominal-provisional").await.context("the new record, provisional")?;
    let name = text_of(&app, "#nominal-name").await?;
    assert!(name.contains(&target.surname.to_uppercase()), "{name}");
    app.screenshot("new-person-provisional").await?;

    // The write syncs by itself; the service answers with a possible duplicate.
    wait_for(&app, "#tab-duplicates").await?.click().await?;
    let row = format!(".duplicate .candidate[data-id='{}']", target.id);
    let client = app.client.clone();
    eventually(Duration::from_secs(60), "the possible duplicate", || {
        let (client, row) = (client.clone(), row.clone());
        async move {
            if client.find(Locator::Css(&row)).await.is_ok() {
                return Ok(Some(()));
            }
            // The list is read when the screen opens: reopen it.
            client.find(Locator::Css("#tab-search")).await?.click().await?;
            client.find(Locator::Css("#tab-duplicates")).await?.click().await?;
            tokio::time::sleep(Duration::from_millis(500)).await;
            Ok(None)
        }
    })
    .await?;
    let provisional_id =
        app.client.find(Locator::Css(".duplicate")).await?.attr("data-provisional").await?.context("provisional id")?;
    let mine = text_of(&app, ".duplicate .provisional-row").await?;
    assert!(mine.contains("1 Provisional Road"), "{mine}");
    let theirs = text_of(&app, &row).await?;
    assert!(theirs.contains(&target.date_of_birth), "{theirs}");
    app.screenshot("possible-duplicate").await?;
    // The status bar counts it among the things waiting for the officer; the view it opens
    // points to where it is decided.
    let note = eventually(Duration::from_secs(20), "the conflicts view names the duplicate", || {
        let client = app.client.clone();
        async move {
            client.find(Locator::Css("#sync-conflicts")).await?.click().await?;
            tokio::time::sleep(Duration::from_millis(700)).await;
            let note = match client.find(Locator::Css("#conflicts-duplicates")).await {
                Ok(n) => Some(n.text().await?),
                Err(_) => None,
            };
            client.find(Locator::Css("#conflicts-close")).await?.click().await?;
            Ok(note)
        }
    })
    .await?;
    assert!(note.contains("1 possible duplicate") && note.contains("Possible duplicates tab"), "{note}");

    // "This is the same person (link)".
    app.client.find(Locator::Css(&format!("{row} .dup-link"))).await?.click().await?;
    wait_for(&app, "#dup-notice").await?;
    wait_for(&app, "#no-duplicates").await.context("the list is empty")?;

    // After the next sync the provisional copy is gone from this device.
    wait_for(&app, "#tab-search").await?.click().await?;
    let client = app.client.clone();
    eventually(Duration::from_secs(60), "the provisional copy tombstoned", || {
        let (client, provisional_id) = (client.clone(), provisional_id.clone());
        let text = format!("{} {}", target.given_name, target.surname);
        async move {
            let search = client.find(Locator::Css("#search")).await?;
            crate::clear_typed(&search).await?;
            search.send_keys(&text).await?;
            tokio::time::sleep(Duration::from_millis(800)).await;
            let mut ids = Vec::new();
            for el in client.find_all(Locator::Css("#results .result")).await? {
                ids.extend(el.attr("data-id").await?);
            }
            Ok((!ids.is_empty() && !ids.contains(&provisional_id)).then_some(ids))
        }
    })
    .await?;
    app.screenshot("linked").await?;

    // Another new person, saved as the officer turns to another tab: the command behind the
    // screen is slowed by 1.5 s, so its answer comes to a page that is gone. Back on Search, the
    // New person form is not open again, empty, for a person already saved.
    let search = app.client.find(Locator::Css("#search")).await?;
    crate::clear_typed(&search).await?;
    search.send_keys("Zebedee Quillfeather").await?;
    wait_for(&app, "#new-person-open").await?.click().await?;
    wait_for(&app, "#np-given").await?;
    app.client.find(Locator::Css("#np-dob")).await?.send_keys("01/02/1990").await?;
    app.slow_command(
        "create_nominal",
        1500,
        "document.querySelector('#np-save').click(); document.querySelector('#tab-duplicates').click()",
    )
    .await?;
    let a = &app;
    eventually(Duration::from_secs(15), "the slowed save answered", || async move {
        Ok(a.slowed_call_answered().await?.then_some(()))
    })
    .await?;
    app.unslow().await?;
    app.client.find(Locator::Css("#tab-search")).await?.click().await?;
    // The tab is built from what was kept when it was left: the first of the two to appear is
    // what the officer sees (the form, had the answer not cleared the kept flag).
    let shown = wait_for(&app, "#search, #np-given").await?.attr("id").await?;
    assert_eq!(shown.as_deref(), Some("search"), "the New person form open again after saving");
    assert!(app.client.find(Locator::Css("#np-given")).await.is_err(), "the New person form open again after saving");

    // A date typed in the name box, moved to the DOB filter by its button, and a widening
    // clicked: each button goes away with its click, and the focus goes back to the box.
    let search = app.client.find(Locator::Css("#search")).await?;
    crate::clear_typed(&search).await?;
    search.send_keys("Ottoline Brackenbury 03/04/1990").await?;
    wait_for(&app, "#use-dob").await?.click().await?;
    focus_is(&app, "#search", "the search box after Search with date of birth").await?;
    wait_for(&app, "#widen .widen-option").await?.click().await?;
    focus_is(&app, "#search", "the search box after a widening").await?;

    // A new person whose save is in flight: the fields cannot be changed until it answers (a
    // correction typed then was thrown away, and the person saved with the old values).
    wait_for(&app, "#new-person-open").await?.click().await?;
    wait_for(&app, "#np-given").await?;
    app.client.find(Locator::Css("#np-dob")).await?.send_keys("03/04/1990").await?;
    app.slow_command("create_nominal", 1500, "document.querySelector('#np-save').click()").await?;
    let editable = app.client.find(Locator::Css("#np-dob")).await?.is_enabled().await?;
    anyhow::ensure!(!app.slowed_call_answered().await?, "the save answered before the check: no evidence");
    assert!(!editable, "the DOB box could be changed while the save was in flight");
    let a = &app;
    eventually(Duration::from_secs(15), "the slowed save answered", || async move {
        Ok(a.slowed_call_answered().await?.then_some(()))
    })
    .await?;
    app.unslow().await?;
    wait_for(&app, "#nominal-provisional").await.context("the new record")?;
    app.close().await
}

/// Waits until the element `css` has the keyboard focus.
async fn focus_is(app: &AppUnderTest, css: &str, what: &str) -> anyhow::Result<()> {
    let client = app.client.clone();
    let r = eventually(Duration::from_secs(5), what, || {
        let client = client.clone();
        async move {
            let v = client
                .execute("return document.activeElement === document.querySelector(arguments[0]);", vec![css.into()])
                .await?;
            Ok((v == serde_json::Value::Bool(true)).then_some(()))
        }
    })
    .await;
    if r.is_err() {
        let on = app
            .client
            .execute("const e = document.activeElement; return e ? e.outerHTML.slice(0, 120) : null;", vec![])
            .await?;
        anyhow::bail!("{what}: the focus is on {on}");
    }
    Ok(())
}
