//! Issue 7's E2E: a DA assessment written while the demo central service is stopped is queued
//! (the status bar says so), and once the service is back it is synced and the bar clears.

use std::time::Duration;

use anyhow::Context;
use bluelamp_e2e::{eventually, AppUnderTest};
use fantoccini::Locator;

use super::{fill_wizard, text_of, wait_for, within, DEMO_PASSPHRASE, SERIAL};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_da_assessment_written_offline_is_queued_then_synced() -> anyhow::Result<()> {
    let _turn = SERIAL.lock().await;
    within(Duration::from_secs(300), sync_journey()).await
}

async fn count(app: &AppUnderTest, css: &str) -> anyhow::Result<u64> {
    let t = text_of(app, css).await?;
    t.split_whitespace().next().and_then(|n| n.parse().ok()).with_context(|| format!("{css}: {t:?}"))
}

async fn sync_journey() -> anyhow::Result<()> {
    let answers: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
        bluelamp_e2e::repo_root().join("docs/examples/dash-14-yes.answers.json"),
    )?)?;
    let app = AppUnderTest::launch("sync-offline", false).await?;
    app.unlock("demo-superuser", DEMO_PASSPHRASE).await.context("unlock")?;

    // Unlocking syncs with the demo central service: nothing queued, a last-sync time.
    let a = &app;
    eventually(Duration::from_secs(90), "the first sync", || async move {
        let last = text_of(a, "#sync-last").await.unwrap_or_default();
        let pending = count(a, "#sync-pending").await.unwrap_or(u64::MAX);
        Ok((pending == 0 && last.starts_with("last sync")).then_some(()))
    })
    .await?;
    assert_eq!(count(&app, "#sync-rejected").await?, 0, "nothing refused");
    app.screenshot("synced-at-unlock").await?;

    // The superuser stops the demo central service.
    wait_for(&app, "#simulate-offline").await?.click().await.context("simulate offline")?;
    eventually(Duration::from_secs(20), "Offline", || async move {
        Ok((text_of(a, "#net-status").await? == "Offline").then_some(()))
    })
    .await?;

    // A DA risk assessment, written offline.
    wait_for(&app, "#tab-incidents").await?.click().await?;
    let rows = {
        wait_for(&app, "tr.incident[data-type='domestic_abuse'] td").await?;
        app.client.find_all(Locator::Css("tr.incident[data-type='domestic_abuse']")).await?.len()
    };
    let mut started = false;
    for i in 0..rows {
        let list = app.client.find_all(Locator::Css("tr.incident[data-type='domestic_abuse'] td:first-child")).await?;
        let Some(cell) = list.get(i) else { break };
        cell.click().await?;
        wait_for(&app, "#gate").await?;
        let start = app.client.find(Locator::Css("#start-forms button.start[data-pack='dash-style-da-risk']")).await;
        if let Ok(button) = start {
            button.click().await?;
            started = true;
            break;
        }
        // This one already has an assessment: back to the list.
        wait_for(&app, "#back-to-incidents").await?.click().await?;
        wait_for(&app, "tr.incident[data-type='domestic_abuse'] td").await?;
    }
    assert!(started, "a DA incident without a risk assessment");
    wait_for(&app, "#wizard .wizard-page").await.context("the wizard")?;
    fill_wizard(&app, &answers).await?;
    crate::grade_and_submit(&app, "high", "Written offline in the car.").await?;

    // Queued, and the bar says so.
    eventually(Duration::from_secs(20), "the assessment queued", || async move {
        Ok((count(a, "#sync-pending").await? >= 1).then_some(()))
    })
    .await?;
    let queued = count(&app, "#sync-pending").await?;
    app.screenshot("queued-offline").await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(count(&app, "#sync-pending").await?, queued, "nothing leaves while offline");

    // The service comes back: synced, and the bar clears.
    app.client.find(Locator::Css("#simulate-offline")).await?.click().await.context("back online")?;
    eventually(Duration::from_secs(60), "synced and the bar clear", || async move {
        let online = text_of(a, "#net-status").await? == "Online";
        let pending = count(a, "#sync-pending").await?;
        let rejected = count(a, "#sync-rejected").await?;
        Ok((online && pending == 0 && rejected == 0).then_some(()))
    })
    .await?;
    assert!(app.client.find(Locator::Css("#sync-problem")).await.is_err(), "no sync problem shown");
    app.screenshot("synced").await?;
    app.close().await
}
