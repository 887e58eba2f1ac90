//! Issue 5: a domestic abuse incident with two adult victims (the demo has one). The gate asks
//! for a risk assessment for each of them by name once it is closed as DA and
//! finalising is refused; Start on the second victim's item opens a
//! form about them, and once it is submitted the gate asks only for the first victim's.

use std::time::Duration;

use anyhow::Context;
use bluelamp_e2e::{eventually, AppUnderTest};
use fantoccini::Locator;

use super::{fill_wizard, wait_for, within, DEMO_PASSPHRASE, SERIAL};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_of_two_victims_of_domestic_abuse_is_asked_for_by_name_and_assessed_on_their_own() -> anyhow::Result<()> {
    let _turn = SERIAL.lock().await;
    within(Duration::from_secs(300), two_victims_journey()).await
}

/// The data-victim ids of the gate's "Start" buttons for risk assessments, and the items' texts.
async fn risk_assessment_items(app: &AppUnderTest) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for li in app.client.find_all(Locator::Css("#gate li.missing[data-kind='risk_assessment']")).await? {
        let victim = match li.find(Locator::Css("button.start")).await {
            Ok(b) => b.attr("data-victim").await?.unwrap_or_default(),
            Err(_) => String::new(),
        };
        out.push((victim, li.text().await?));
    }
    Ok(out)
}

async fn two_victims_journey() -> anyhow::Result<()> {
    let app = AppUnderTest::launch("two-victims", false).await?;
    app.unlock("demo-officer", DEMO_PASSPHRASE).await.context("unlock")?;
    wait_for(&app, "#tab-incidents").await?.click().await?;
    wait_for(&app, "tr.incident td").await.context("the incident list")?;

    // The demo's incident with two victims, and their names, from the (encrypted) store.
    let db = app.artifacts.join("data/app/officers/demo-officer.db");
    let (incident_id, victims) = eventually(Duration::from_secs(20), "the incident with two victims", || {
        let db = db.clone();
        async move {
            let store = bluelamp_store::Store::open(&db, DEMO_PASSPHRASE).context("open the store")?;
            let found = store.list_incidents().map_err(|e| anyhow::anyhow!("{e}"))?.into_iter().find_map(|i| {
                let v: Vec<(String, String)> = i
                    .links
                    .iter()
                    .filter(|l| l.role == "victim")
                    .map(|l| (l.nominal_id.clone(), l.name.clone().unwrap_or_default()))
                    .collect();
                (i.incident_type == "domestic_abuse" && v.len() == 2).then_some((i.id, v))
            });
            Ok(found)
        }
    })
    .await?;
    let (first, second) = (&victims[0], &victims[1]);
    assert!(!first.1.is_empty() && !second.1.is_empty(), "victims without names: {victims:?}");

    wait_for(&app, &format!("tr.incident[data-id='{incident_id}'] td")).await?.click().await?;
    wait_for(&app, "#gate").await.context("the gate")?;
    // Closed as domestic abuse: finalising is refused, and the gate lists what is outstanding.
    wait_for(&app, "#closing-code").await?.select_by_value("DA").await?;
    app.client.find(Locator::Css("#finalise")).await?.click().await?;
    wait_for(&app, "#finalise-result .blocked-reason").await.context("finalising refused")?;
    let a = &app;
    let items = eventually(Duration::from_secs(20), "the gate's risk assessment items", || async move {
        let items = risk_assessment_items(a).await?;
        Ok((!items.is_empty()).then_some(items))
    })
    .await?;
    assert_eq!(items.len(), 2, "one risk assessment item per victim: {items:?}");
    for (id, name) in [first, second] {
        let item = items.iter().find(|(v, _)| v == id).with_context(|| format!("no item for {id}: {items:?}"))?;
        assert!(item.1.contains(name.as_str()), "the item does not name {name}: {items:?}");
    }
    app.screenshot("gate-two-victims").await?;

    // Start on the second victim's item: the form is about them.
    wait_for(&app, &format!("#gate li.missing[data-kind='risk_assessment'] button.start[data-victim='{}']", second.0))
        .await?
        .click()
        .await?;
    wait_for(&app, "#wizard .wizard-page").await.context("the wizard")?;
    let chosen = wait_for(&app, "#q-victim").await?.prop("value").await?;
    assert_eq!(chosen.as_deref(), Some(second.0.as_str()), "the form's victim");
    // The 14-yes answers, without their victim (the form already names the second victim).
    let mut answers: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
        bluelamp_e2e::repo_root().join("docs/examples/dash-14-yes.answers.json"),
    )?)?;
    answers.as_object_mut().context("answers")?.remove("victim");
    fill_wizard(&app, &answers).await?;
    crate::grade_and_submit(&app, "high", "Both assaulted; strangulation of this victim.").await?;
    app.client.find(Locator::Css("#wizard > button.secondary")).await?.click().await?;

    // Back on the incident: the first victim still needs theirs; the second does not.
    let left = eventually(Duration::from_secs(20), "the gate after the second victim's assessment", || async move {
        let items = risk_assessment_items(a).await?;
        Ok((items.len() == 1).then_some(items))
    })
    .await?;
    assert_eq!(left[0].0, first.0, "the item left is the first victim's: {left:?}");
    assert!(left[0].1.contains(first.1.as_str()), "{left:?}");
    assert!(
        app.client.find(Locator::Css("#gate.blocked")).await.is_ok(),
        "the gate is not blocked with one victim unassessed"
    );
    app.screenshot("gate-one-victim-left").await?;
    app.close().await
}
