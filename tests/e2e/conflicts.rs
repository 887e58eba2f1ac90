//! Issue 7's conflicts E2E: the app and a second device of the same officer (`bluelamp-cli`,
//! against the app's embedded demo central service, whose address the app logs) code one
//! incident differently. The app's push
//! meets the conflict; the status bar counts it; the officer opens the Conflicts view, keeps
//! their own value field by field and resolves; the count drops, the resolution syncs, and the
//! second device converges on the chosen value.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context};
use bluelamp_e2e::{debug_bin, eventually, AppUnderTest};
use fantoccini::Locator;

use super::{text_of, wait_for, within, DEMO_PASSPHRASE, SERIAL};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conflict_is_shown_field_by_field_and_resolved_in_the_ui() -> anyhow::Result<()> {
    let _turn = SERIAL.lock().await;
    within(Duration::from_secs(300), conflicts_journey()).await
}

/// Runs `bluelamp-cli --db DB ARGS` as the second device; its stdout.
fn cli(db: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(debug_bin("bluelamp-cli")?)
        .arg("--db")
        .arg(db)
        .args(args)
        .env("BLUELAMP_PASSPHRASE", DEMO_PASSPHRASE)
        .stdin(Stdio::null())
        .output()?;
    if !out.status.success() {
        bail!("bluelamp-cli {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// The embedded demo central service's address, from the app's log (`central_url=…`).
fn embedded_central_url(data_dir: &Path) -> anyhow::Result<String> {
    for entry in std::fs::read_dir(data_dir.join("logs"))? {
        let text = std::fs::read_to_string(entry?.path())?;
        if let Some(rest) = text.split("central_url=").nth(1) {
            return Ok(rest.split_whitespace().next().unwrap_or_default().to_string());
        }
    }
    bail!("the app did not log its central_url")
}

async fn count(app: &AppUnderTest, css: &str) -> anyhow::Result<u64> {
    let t = text_of(app, css).await?;
    t.split_whitespace().next().and_then(|n| n.parse().ok()).with_context(|| format!("{css}: {t:?}"))
}

async fn conflicts_journey() -> anyhow::Result<()> {
    let app = AppUnderTest::launch("conflicts", false).await?;
    app.unlock("demo-officer", DEMO_PASSPHRASE).await.context("unlock")?;
    let a = &app;
    eventually(Duration::from_secs(90), "the first sync", || async move {
        let last = text_of(a, "#sync-last").await.unwrap_or_default();
        let pending = count(a, "#sync-pending").await.unwrap_or(u64::MAX);
        Ok((pending == 0 && last.starts_with("last sync")).then_some(()))
    })
    .await?;
    assert_eq!(count(&app, "#sync-conflicts").await?, 0);
    let url = embedded_central_url(&app.artifacts.join("data").join("app"))?;

    // The second device pulls the officer's incidents, codes an open one first and syncs (the
    // app has not pulled since).
    let other = app.artifacts.join("second-device.db");
    let _ = std::fs::remove_file(&other);
    let _ = std::fs::remove_file(other.with_extension("db.keys"));
    cli(&other, &["enrol", "--server", &url, "--officer", "demo-officer", "--insecure-fast-kdf"])?;
    cli(&other, &["sync"])?;
    let incidents: serde_json::Value = serde_json::from_str(&cli(&other, &["incident", "list"])?)?;
    let incident = incidents
        .as_array()
        .and_then(|l| l.iter().find(|i| i["status"] == "open" && i["closing_code"].is_null()))
        .and_then(|i| i["id"].as_str())
        .context("an open, uncoded incident on the second device")?
        .to_string();
    let incident = incident.as_str();
    cli(&other, &["incident", "code", "--id", incident, "--code", "CRIME"])?;
    cli(&other, &["sync"])?;

    // The officer codes it differently in the app (and tries to finalise): the push clashes.
    wait_for(&app, "#tab-incidents").await?.click().await?;
    wait_for(&app, &format!("tr.incident[data-id='{incident}'] td")).await?.click().await?;
    wait_for(&app, "#closing-code").await?.select_by_value("ADVICE").await.context("choose ADVICE")?;
    app.client.find(Locator::Css("#finalise")).await?.click().await?;
    wait_for(&app, "#finalise-result").await?;
    eventually(Duration::from_secs(60), "the conflict counted", || async move {
        Ok((count(a, "#sync-pending").await? == 0 && count(a, "#sync-conflicts").await? >= 1).then_some(()))
    })
    .await?;
    app.screenshot("conflict-counted").await?;

    // The Conflicts view: field | base | mine | theirs; keep mine for every field, resolve.
    app.client.find(Locator::Css("#sync-conflicts")).await?.click().await?;
    wait_for(&app, "#conflicts-view section.conflict").await.context("the Conflicts view")?;
    let table = text_of(&app, "#conflicts-view section.conflict table").await?;
    assert!(table.contains("Closing code"), "{table}");
    assert!(table.contains("ADVICE") && table.contains("CRIME"), "{table}");
    app.screenshot("conflicts-view").await?;
    // Resolving without a choice is refused with a reason, and nothing changes.
    app.client.find(Locator::Css("#conflicts-view section.conflict button.resolve")).await?.click().await?;
    let err = wait_for(&app, "#conflicts-error").await?.text().await?;
    assert!(err.contains("Closing code"), "{err}");
    let mut resolved = 0;
    for _ in 0..4 {
        let Ok(section) = app.client.find(Locator::Css("#conflicts-view section.conflict")).await else { break };
        for radio in section.find_all(Locator::Css("input.take-mine")).await? {
            radio.click().await?;
        }
        section.find(Locator::Css("button.resolve")).await?.click().await?;
        wait_for(&app, "#conflicts-done").await?;
        resolved += 1;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    wait_for(&app, "#conflicts-empty").await.context("every conflict resolved")?;
    app.screenshot("resolved").await?;

    // The count drops; the resolution syncs without a new conflict or refusal.
    eventually(Duration::from_secs(60), "the resolution synced", || async move {
        let (pending, conflicts) = (count(a, "#sync-pending").await?, count(a, "#sync-conflicts").await?);
        Ok((pending == 0 && conflicts == 0).then_some(()))
    })
    .await?;
    assert_eq!(count(&app, "#sync-rejected").await?, 0, "nothing refused");

    // The second device converges on the officer's choice.
    cli(&other, &["sync"])?;
    let list = cli(&other, &["conflicts", "list", "--json"])?;
    assert_eq!(list.trim(), "[]", "the second device has no conflict");
    let code = cli(&other, &["incident", "show", "--id", incident])?;
    let v: serde_json::Value = serde_json::from_str(&code)?;
    assert_eq!(v["closing_code"], "ADVICE", "{v}");

    // The list was read when the view opened and came back after each resolution, with the
    // other conflicts' values: each is a consultation in the officer's access log.
    let data = app.close_keeping_data().await?;
    let store = data.path().join("app").join("officers").join("demo-officer.db");
    // Read through the store: an officer's role does not list the log (`audit list`), as in
    // the app.
    let entries = bluelamp_store::Store::open(&store, DEMO_PASSPHRASE)
        .context("open the store")?
        .audit_list(&Default::default())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let views = entries.iter().filter(|e| e.action == "consultation" && e.object_ref == "conflicts").count();
    assert!(views > resolved, "{views} consultations of the conflicts list for {resolved} resolution(s)");
    Ok(())
}
