//! NFA-DUP ("Duplicate or no incident found") needs its reason: on a domestic abuse incident,
//! choosing NFA-DUP opens the two reasons beside the closing-code control; Finalise with none is
//! refused asking for it (nothing written), a duplicate of an incident that is not domestic abuse
//! is refused (the original must still carry the gate) with the choice kept on screen, and a
//! duplicate of another domestic abuse incident finalises, shown on the incident page and in the
//! store with the outbox's `incident.closing_code/1` carrying `duplicate_of`.

use std::time::Duration;

use anyhow::Context;
use bluelamp_e2e::{eventually, AppUnderTest};
use fantoccini::Locator;

use super::{text_of, wait_for, within, DEMO_PASSPHRASE, SERIAL};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_da_incident_closed_nfa_dup_needs_the_incident_it_duplicates() -> anyhow::Result<()> {
    let _turn = SERIAL.lock().await;
    within(Duration::from_secs(300), nfa_dup_journey()).await
}

/// The options of "duplicate of": (value, text).
async fn duplicate_options(app: &AppUnderTest) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for o in app.client.find_all(Locator::Css("#nfa-dup-of option")).await? {
        let v = o.attr("value").await?.unwrap_or_default();
        if !v.is_empty() {
            out.push((v, o.text().await?));
        }
    }
    Ok(out)
}

/// The refusal beside the control, once it says `words`.
async fn refusal_saying(app: &AppUnderTest, words: &'static str) -> anyhow::Result<String> {
    let a = app;
    eventually(Duration::from_secs(10), words, || async move {
        Ok(match a.client.find(Locator::Css("#nfa-dup-error")).await {
            Ok(e) => Some(e.text().await?).filter(|t| t.contains(words)),
            Err(_) => None,
        })
    })
    .await
}

async fn nfa_dup_journey() -> anyhow::Result<()> {
    let app = AppUnderTest::launch("nfa-dup", false).await?;
    app.unlock("demo-officer", DEMO_PASSPHRASE).await.context("unlock")?;
    wait_for(&app, "#tab-incidents").await?.click().await?;
    wait_for(&app, "tr.incident[data-type='domestic_abuse'] td").await.context("a DA incident")?.click().await?;
    let incident_id = wait_for(&app, "#incident").await?.attr("data-id").await?.context("the incident's id")?;
    wait_for(&app, "#gate").await?;

    // NFA-DUP: the two reasons appear beside the control.
    wait_for(&app, "#closing-code").await?.select_by_value("NFA-DUP").await.context("choose NFA-DUP")?;
    wait_for(&app, "#nfa-dup-reason").await.context("the NFA-DUP reasons")?;
    app.screenshot("nfa-dup-chosen").await?;

    // Finalise with no reason: refused, asking for it; nothing written.
    app.client.find(Locator::Css("#finalise")).await?.click().await?;
    let said = refusal_saying(&app, "NFA-DUP needs its reason").await?;
    assert!(said.contains("the incident this one duplicates"), "{said}");
    app.screenshot("nfa-dup-refused").await?;

    let options = duplicate_options(&app).await?;
    assert!(!options.iter().any(|(v, _)| *v == incident_id), "the incident itself is not offered: {options:?}");
    let not_da = options
        .iter()
        .find(|(_, t)| !t.contains("domestic abuse") && !t.contains("concern for child") && !t.contains("NFA-DUP"))
        .context("an incident that is not domestic abuse")?;
    let da = options
        .iter()
        .find(|(_, t)| t.contains("domestic abuse") && !t.contains("NFA-DUP"))
        .context("another domestic abuse incident")?;

    // A duplicate of an incident that is not domestic abuse: refused, the choice kept.
    wait_for(&app, "#nfa-dup-of").await?.select_by_value(&not_da.0).await?;
    app.client.find(Locator::Css("#finalise")).await?.click().await?;
    let said = refusal_saying(&app, "domestic-abuse").await?;
    assert!(said.contains("must be one too"), "{said}");
    let kept = app.client.find(Locator::Css("#nfa-dup-of")).await?.prop("value").await?.unwrap_or_default();
    assert_eq!(kept, not_da.0, "the choice stays on screen");
    assert!(
        app.client.find(Locator::Css("#nfa-dup-kind-duplicate")).await?.is_selected().await?,
        "'a duplicate of' stays chosen"
    );
    {
        let store =
            bluelamp_store::Store::open(&app.artifacts.join("data/app/officers/demo-officer.db"), DEMO_PASSPHRASE)?;
        let s = store.get_incident(&incident_id).map_err(|e| anyhow::anyhow!("{e}"))?.summary;
        assert_ne!(s.closing_code.as_deref(), Some("NFA-DUP"), "nothing written by a refusal");
    }

    // A duplicate of another domestic abuse incident: finalised, and shown.
    wait_for(&app, "#nfa-dup-of").await?.select_by_value(&da.0).await?;
    app.client.find(Locator::Css("#finalise")).await?.click().await?;
    let done = wait_for(&app, "#finalise-result.ok").await.context("finalised")?.text().await?;
    assert_eq!(done, "Finalised.");
    let reference = da.1.split(" — ").next().unwrap_or_default().to_string();
    let a = &app;
    let shown = eventually(Duration::from_secs(10), "the reason on the page", || async move {
        Ok(text_of(a, "#nfa-dup-shown").await.ok())
    })
    .await?;
    assert_eq!(shown, format!("Closed as a duplicate of {reference}"));
    app.screenshot("nfa-dup-finalised").await?;

    let store = bluelamp_store::Store::open(&app.artifacts.join("data/app/officers/demo-officer.db"), DEMO_PASSPHRASE)?;
    let s = store.get_incident(&incident_id).map_err(|e| anyhow::anyhow!("{e}"))?.summary;
    assert_eq!(s.nfa_dup_reason, Some(bluelamp_protocol::casework::NfaDupReason::DuplicateOf(da.0.clone())));
    let payload: String = store.conn().query_row(
        "SELECT payload FROM outbox WHERE mutation = 'incident.closing_code/1' ORDER BY seq DESC LIMIT 1",
        [],
        |r| r.get(0),
    )?;
    let payload: serde_json::Value = serde_json::from_str(&payload)?;
    assert_eq!(payload["duplicate_of"], serde_json::json!(da.0), "{payload}");
    app.close().await
}
