//! The keyboard and the display: Alt+n goes to the n-th tab, `/` to the search box, F1 shows
//! the list of shortcuts (Esc closes it), Ctrl+L locks; the Day display button makes the page
//! light, and the choice holds on the lock screen and after the page is loaded again.

use std::time::Duration;

use anyhow::Context;
use bluelamp_e2e::{eventually, AppUnderTest};
use fantoccini::key::Key;
use fantoccini::Locator;

use super::{text_of, wait_for, within, DEMO_PASSPHRASE, SERIAL};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_shortcuts_move_between_tabs_and_the_day_display_is_kept() -> anyhow::Result<()> {
    let _turn = SERIAL.lock().await;
    within(Duration::from_secs(240), display_journey()).await
}

/// Keys sent to whatever has the focus; WebDriver releases a modifier at the end of the keys
/// (this driver types a Null key into a text box rather than reading it as "release").
async fn press(app: &AppUnderTest, keys: &str) -> anyhow::Result<()> {
    Ok(app.client.active_element().await?.send_keys(keys).await?)
}

async fn active_tab(app: &AppUnderTest) -> anyhow::Result<String> {
    Ok(app.client.find(Locator::Css("nav.tabs button.active")).await?.attr("id").await?.unwrap_or_default())
}

async fn js(app: &AppUnderTest, script: &str) -> anyhow::Result<String> {
    Ok(app.client.execute(script, vec![]).await?.as_str().unwrap_or_default().to_string())
}

async fn display_journey() -> anyhow::Result<()> {
    let app = AppUnderTest::launch("display", false).await?;
    app.unlock("demo-supervisor", DEMO_PASSPHRASE).await.context("unlock")?;
    wait_for(&app, "#search").await?;
    let a = &app;

    // Alt+2: the second tab (Incidents), from the search box.
    wait_for(&app, "#search").await?.click().await?;
    press(&app, &format!("{}2", char::from(Key::Alt))).await?;
    eventually(Duration::from_secs(10), "Alt+2 opens Incidents", || async move {
        Ok((active_tab(a).await? == "tab-incidents").then_some(()))
    })
    .await?;
    wait_for(&app, "#incidents").await.context("the incident list")?;
    // Alt+3: a supervisor's third tab is the queue.
    press(&app, &format!("{}3", char::from(Key::Alt))).await?;
    eventually(Duration::from_secs(10), "Alt+3 opens the queue", || async move {
        Ok((active_tab(a).await? == "tab-queue").then_some(()))
    })
    .await?;

    // `/`: back to Search, with the focus in the search box (typing goes straight in).
    app.client.find(Locator::Css("#tab-queue")).await?.click().await?;
    press(&app, "/").await?;
    eventually(Duration::from_secs(10), "/ focuses the search box", || async move {
        let focused = a.client.active_element().await?.attr("id").await?.unwrap_or_default();
        Ok((active_tab(a).await? == "tab-search" && focused == "search").then_some(()))
    })
    .await?;
    press(&app, "smith").await?;
    let typed = app.client.find(Locator::Css("#search")).await?.prop("value").await?.unwrap_or_default();
    assert_eq!(typed, "smith", "the slash is not typed into the box, the name is");

    // F1: the list, with this officer's tabs by their keys; Esc closes it.
    press(&app, &char::from(Key::F1).to_string()).await?;
    let list = wait_for(&app, "#shortcuts").await?.text().await?;
    assert!(list.contains("Alt+3") && list.contains("Supervisor queue"), "list: {list}");
    assert!(list.contains("Ctrl+L") && list.contains("Lock"), "list: {list}");
    app.screenshot("shortcuts").await?;
    press(&app, &char::from(Key::Escape).to_string()).await?;
    eventually(Duration::from_secs(10), "Esc closes the list", || async move {
        Ok(a.client.find(Locator::Css("#shortcuts")).await.is_err().then_some(()))
    })
    .await?;

    // Day display: light background, and the button offers night again.
    let night_bg = js(&app, "return getComputedStyle(document.body).backgroundColor").await?;
    wait_for(&app, "#theme-toggle").await?.click().await?;
    eventually(Duration::from_secs(10), "the day display", || async move {
        Ok((js(a, "return document.documentElement.dataset.theme || ''").await? == "day").then_some(()))
    })
    .await?;
    let day_bg = js(&app, "return getComputedStyle(document.body).backgroundColor").await?;
    assert_eq!(day_bg, "rgb(243, 245, 248)", "day background (night was {night_bg})");
    assert_ne!(night_bg, day_bg);
    assert_eq!(text_of(&app, "#theme-toggle").await?, "Night display");
    app.screenshot("day-display").await?;

    // Ctrl+L locks; the lock screen keeps the day display.
    press(&app, &format!("{}l", char::from(Key::Control))).await?;
    wait_for(&app, "#unlock-form").await.context("Ctrl+L locks")?;
    assert!(app.client.find(Locator::Css("#search")).await.is_err(), "nothing of the screens while locked");
    assert_eq!(js(&app, "return document.documentElement.dataset.theme || ''").await?, "day");
    let reason = text_of(&app, "#lock-reason").await.unwrap_or_default();
    assert!(reason.contains("Ctrl+L"), "lock reason: {reason}");

    // Loaded again (as at the next start), the page comes up in the day display.
    app.client.refresh().await?;
    wait_for(&app, "#unlock-form").await.context("the lock screen after a reload")?;
    assert_eq!(js(&app, "return document.documentElement.dataset.theme || ''").await?, "day");
    app.close().await
}
