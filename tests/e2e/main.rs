//! End-to-end tests of the real app in WebKit. Run with `cargo xtask test`.

use std::time::Duration;

use bluelamp_e2e::{eventually, AppUnderTest};
use fantoccini::Locator;

/// Tests take turns so they do not fight over the 2 cores.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
const DEMO_PASSPHRASE: &str = "bluelamp-demo";

/// Fails (instead of hanging) when a step never completes.
async fn within(limit: Duration, f: impl std::future::Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    match tokio::time::timeout(limit, f).await {
        Ok(r) => r,
        Err(_) => anyhow::bail!("test did not finish within {limit:?}"),
    }
}

async fn text_of(app: &AppUnderTest, css: &str) -> anyhow::Result<String> {
    Ok(app.client.find(Locator::Css(css)).await?.text().await?)
}

async fn wait_for(app: &AppUnderTest, css: &str) -> anyhow::Result<fantoccini::elements::Element> {
    Ok(app.client.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css(css)).await?)
}

/// Replaces the first vowel after the first letter (Double Metaphone ignores inner vowels, a
/// plain prefix match does not): "Sudcott" -> "Sadcott".
fn misspell(s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    if let Some(i) = (1..chars.len()).find(|&i| "aeiou".contains(chars[i])) {
        chars[i] = if chars[i] == 'a' { 'e' } else { 'a' };
    }
    chars.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misspelt_search_finds_the_person_and_opening_is_logged() -> anyhow::Result<()> {
    let _turn = SERIAL.lock().await;
    within(Duration::from_secs(240), search_journey()).await
}

async fn search_journey() -> anyhow::Result<()> {
    // The app seeds each demo store with these people; pick one whose surname is unique.
    let people = bluelamp_demo::people(300, bluelamp_demo::DEMO_SEED);
    let target = people
        .iter()
        .find(|p| {
            p.given_name.is_ascii()
                && !p.given_name.contains(' ')
                && p.surname.is_ascii()
                && p.surname.chars().all(|c| c.is_ascii_alphabetic())
                && p.surname.len() >= 5
                && misspell(&p.surname) != p.surname
                && people.iter().filter(|q| q.surname == p.surname).count() == 1
        })
        .expect("a person with a unique ASCII surname");

    let app = AppUnderTest::launch("search", false).await?;
    app.unlock("demo-superuser", DEMO_PASSPHRASE).await?;
    let search = wait_for(&app, "#search").await?;
    let typed = format!("{} {}", target.given_name, misspell(&target.surname));
    search.send_keys(&typed).await?;

    let client = app.client.clone();
    let ids = eventually(Duration::from_secs(15), "search results", || {
        let client = client.clone();
        async move {
            let mut ids = Vec::new();
            for el in client.find_all(Locator::Css("#results .result")).await? {
                if let Some(id) = el.attr("data-id").await? {
                    ids.push(id);
                }
            }
            Ok((!ids.is_empty()).then_some(ids))
        }
    })
    .await?;
    app.screenshot("search-results").await?;
    assert!(ids.contains(&target.id), "typed {typed:?}: expected {} among {ids:?}", target.id);
    let banner = text_of(&app, "#demo-banner").await?;
    assert!(banner.contains("DEMO"), "banner: {banner}");

    // Open the record: the purpose is asked first.
    app.client.find(Locator::Css(&format!(".result[data-id='{}']", target.id))).await?.click().await?;
    wait_for(&app, "#purpose-dialog").await?;
    app.client.find(Locator::Css("#purpose")).await?.select_by_value("safeguarding").await?;
    app.client.find(Locator::Css("#purpose-open")).await?.click().await?;
    let name = wait_for(&app, "#nominal-name").await?.text().await?;
    assert!(name.contains(&target.given_name), "opened {name}");
    app.screenshot("nominal").await?;

    // The access log holds the consultation, with its purpose.
    app.client.find(Locator::Css("#tab-audit")).await?.click().await?;
    wait_for(&app, "#audit-object").await?.send_keys(&target.id).await?;
    app.client.find(Locator::Css("#audit-view button[type='submit']")).await?.click().await?;
    let object = format!("nominal:{}", target.id);
    let client = app.client.clone();
    let row = eventually(Duration::from_secs(10), "the access-log entry", || {
        let (client, object) = (client.clone(), object.clone());
        async move {
            for row in client.find_all(Locator::Css("#audit-table .audit-row")).await? {
                if row.attr("data-object").await?.as_deref() == Some(object.as_str()) {
                    return Ok(Some(row.text().await?));
                }
            }
            Ok(None)
        }
    })
    .await?;
    assert!(row.contains("consultation") && row.contains("safeguarding"), "row: {row}");
    app.screenshot("access-log").await?;
    app.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlock_counts_wrong_passphrases_and_idle_lock_engages() -> anyhow::Result<()> {
    let _turn = SERIAL.lock().await;
    within(Duration::from_secs(240), unlock_journey()).await
}

async fn unlock_journey() -> anyhow::Result<()> {
    let app = AppUnderTest::launch_with("unlock", false, &[("BLUELAMP_IDLE_LOCK_SECS", "4")]).await?;
    app.unlock("demo-officer", "not-the-passphrase").await?;
    let err = wait_for(&app, "#unlock-error").await?.text().await?;
    assert!(err.contains("wrong") && err.contains("4 tries left"), "message: {err}");
    app.screenshot("wrong-passphrase").await?;

    app.unlock("demo-officer", DEMO_PASSPHRASE).await?;
    let who = wait_for(&app, "#session-officer").await?.text().await?;
    assert!(who.contains("officer"), "session: {who}");
    assert!(app.client.find(Locator::Css("#tab-audit")).await.is_err(), "an officer must not see the access log tab");

    // No input for longer than the idle limit: only the lock screen remains.
    wait_for(&app, "#unlock-form").await?;
    assert!(app.client.find(Locator::Css("#search")).await.is_err(), "search still visible after idle lock");
    let reason = text_of(&app, "#lock-reason").await?;
    assert!(reason.contains("without activity"), "reason: {reason}");
    app.screenshot("idle-locked").await?;

    app.unlock("demo-officer", DEMO_PASSPHRASE).await?;
    wait_for(&app, "#search").await?;
    app.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_shows_offline_when_the_central_service_stops() -> anyhow::Result<()> {
    let _turn = SERIAL.lock().await;
    within(Duration::from_secs(180), offline_journey()).await
}

async fn offline_journey() -> anyhow::Result<()> {
    let mut app = AppUnderTest::launch("offline", true).await?;
    wait_for(&app, "#net-status").await?;
    let a = &app;
    eventually(Duration::from_secs(20), "status Online", || async move {
        Ok((text_of(a, "#net-status").await? == "Online").then_some(()))
    })
    .await?;
    app.screenshot("online").await?;

    app.central.as_mut().expect("external central").proc.stop();
    let a = &app;
    eventually(Duration::from_secs(20), "status Offline", || async move {
        Ok((text_of(a, "#net-status").await? == "Offline").then_some(()))
    })
    .await?;
    app.screenshot("offline").await?;
    app.close().await
}
