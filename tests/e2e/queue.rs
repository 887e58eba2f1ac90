//! Issue 5, the wizard's repeating groups and the supervisor's side: an officer completes a
//! DA safeguarding plan (with action rows) through the wizard and submits it; then a supervisor
//! works the queue and returns one form with comments and approves another.
//!
//! Each demo officer has a separate local store. A supervisor's device pulls the district's
//! incidents and the forms on them from the central service (since 6 Dec 2026; proved in
//! `crates/sync/tests/against_central.rs`), but this journey does not wait for sync rounds: a
//! demo supervisor's store is seeded with two forms submitted by `demo-officer` on the
//! supervisor's own demo incidents, and those are the ones reviewed here.

use std::time::Duration;

use anyhow::Context;
use bluelamp_e2e::{eventually, AppUnderTest};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::Locator;

use super::{clear_typed, wait_for, within, DEMO_PASSPHRASE, SERIAL};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn safeguarding_plan_with_action_rows_then_supervisor_returns_and_approves() -> anyhow::Result<()> {
    let _turn = SERIAL.lock().await;
    within(Duration::from_secs(420), journey()).await
}

async fn section_of(app: &AppUnderTest) -> anyhow::Result<String> {
    Ok(wait_for(app, "#wizard .wizard-page").await?.attr("data-section").await?.unwrap_or_default())
}

async fn active_path(app: &AppUnderTest) -> anyhow::Result<Option<String>> {
    let v = app
        .client
        .execute("return document.activeElement && document.activeElement.getAttribute('data-path');", vec![])
        .await?;
    Ok(v.as_str().map(str::to_string))
}

async fn settle() {
    tokio::time::sleep(Duration::from_millis(200)).await;
}

/// Answers one top-level question (or group field) the way an officer would.
async fn answer(app: &AppUnderTest, q: &Element, qid: &str, kind: &str) -> anyhow::Result<()> {
    match kind {
        "person" => {
            let want = if qid == "perpetrator" { "(suspect)" } else { "(victim)" };
            let opts = q.find_all(Locator::Css("option")).await?;
            let mut picked = false;
            for opt in &opts {
                if opt.text().await?.contains(want) {
                    opt.click().await?;
                    picked = true;
                    break;
                }
            }
            if !picked {
                if let Some(opt) = opts.get(1) {
                    opt.click().await?;
                }
            }
        }
        "yes_no" => {
            q.find(Locator::Css("input[value='no']")).await?.click().await?;
        }
        "single_choice" => {
            q.find(Locator::Css("input[type='radio']")).await?.click().await?;
        }
        "multi_choice" => {
            let first = q.find(Locator::Css("input[type='checkbox']:not(.declined)")).await?;
            if !first.is_selected().await? {
                first.click().await?;
            }
        }
        "date" => {
            q.find(Locator::Css("input[data-path]")).await?.send_keys("2026-12-05").await?;
        }
        "text" => {
            let input = q.find(Locator::Css("input[data-path]")).await?;
            if input.prop("value").await?.unwrap_or_default().is_empty() {
                input.send_keys(&format!("Recorded for {qid}")).await?;
            }
        }
        _ => {}
    }
    settle().await;
    let _ = app;
    Ok(())
}

async fn journey() -> anyhow::Result<()> {
    let app = AppUnderTest::launch("queue", false).await?;
    app.unlock("demo-officer", DEMO_PASSPHRASE).await.context("unlock officer")?;
    wait_for(&app, "#tab-incidents").await?.click().await?;
    assert!(app.client.find(Locator::Css("#tab-queue")).await.is_err(), "an officer must not see the queue tab");
    wait_for(&app, "tr.incident[data-type='domestic_abuse'] td").await.context("a DA incident")?.click().await?;
    wait_for(&app, "#start-forms button.start[data-pack='da-safeguarding-plan']")
        .await
        .context("start the safeguarding plan")?
        .click()
        .await?;
    assert_eq!(section_of(&app).await?, "parties");

    // Fill every page except the action rows and the review date; move on with PageDown from
    // the focused field (keyboard navigation) and check focus lands on the new page's first field.
    for _page in 0..12 {
        let sec = section_of(&app).await?;
        if sec == "actions" {
            break;
        }
        // Answers can reveal questions (a "no MARAC referral" asks why): read the page again
        // until every question on it is answered.
        let mut answered = std::collections::HashSet::new();
        loop {
            let qs = app.client.find_all(Locator::Css("#wizard .wizard-page > fieldset.question")).await?;
            let mut ids = Vec::new();
            for q in &qs {
                let qid = q.attr("data-qid").await?.unwrap_or_default();
                if answered.insert(qid.clone()) {
                    ids.push((qid, q.attr("data-type").await?.unwrap_or_default()));
                }
            }
            if ids.is_empty() {
                break;
            }
            settle().await;
            for (qid, kind) in ids {
                // The page re-renders as answers autosave; a node found just before can go stale,
                // so look the question up again and retry.
                let mut last = None;
                for _attempt in 0..3 {
                    let css = format!("#wizard fieldset.question[data-qid='{qid}']");
                    let r = match app.client.find(Locator::Css(&css)).await {
                        Ok(q) => answer(&app, &q, &qid, &kind).await,
                        Err(e) => Err(e.into()),
                    };
                    match r {
                        Ok(()) => {
                            last = None;
                            break;
                        }
                        Err(e) => {
                            last = Some(e);
                            settle().await;
                        }
                    }
                }
                if let Some(e) = last {
                    return Err(e).with_context(|| format!("answer {qid}"));
                }
            }
            settle().await;
        }
        if sec == "referrals" {
            // An optional repeating group: add an agency row, fill it, then remove it again.
            app.client.find(Locator::Css("fieldset[data-qid='r_agencies'] .add-row")).await?.click().await?;
            let row = wait_for(&app, "fieldset[data-qid='r_agencies'] .group-row[data-row='0']").await?;
            row.find(Locator::Css("input[type='radio']")).await?.click().await?;
            settle().await;
            app.client.find(Locator::Css("fieldset[data-qid='r_agencies'] .remove-row")).await?.click().await?;
            settle().await;
            assert!(app.client.find(Locator::Css("fieldset[data-qid='r_agencies'] .group-row")).await.is_err());
            // The removed row's button had the focus: it is still in the wizard, whose keys work.
            let focused = app.client.execute("return !!document.activeElement.closest('#wizard');", vec![]).await?;
            assert_eq!(focused, serde_json::Value::Bool(true), "the focus left the wizard on Remove");
        }
        // PageDown from the Next button (on a select or a radio the browser would use the key).
        let next_button = app.client.find(Locator::Css("#next")).await?;
        next_button.send_keys(&char::from(Key::PageDown).to_string()).await?;
        let a = &app;
        let next = eventually(Duration::from_secs(10), &format!("PageDown to move on from {sec}"), || async {
            let next = section_of(a).await?;
            Ok((next != sec).then_some(next))
        })
        .await?;
        let path = active_path(&app).await?;
        assert!(path.is_some(), "focus is on a field of {next}");
    }
    assert_eq!(section_of(&app).await?, "actions");

    // To the summary without the mandatory actions: submitting goes back to the first gap
    // and focuses it.
    app.client.find(Locator::Css("#step-summary")).await?.click().await?;
    wait_for(&app, "#form-issues li").await?;
    app.screenshot("summary-with-gaps").await?;
    app.client.find(Locator::Css("#submit-form")).await?.click().await?;
    settle().await;
    assert_eq!(section_of(&app).await?, "actions", "a failed submit goes to the page of the first gap");
    assert_eq!(active_path(&app).await?.as_deref(), Some("actions"), "and focuses it");
    let msg = wait_for(&app, "fieldset[data-qid='actions'] > .field-issues > .field-issue").await?.text().await?;
    assert!(!msg.is_empty());

    // Two action rows with owner and due date; a bad date is kept and flagged, then fixed.
    for i in 0..2 {
        app.client.find(Locator::Css("fieldset[data-qid='actions'] .add-row")).await?.click().await?;
        let row = wait_for(&app, &format!(".group-row[data-row='{i}']")).await?;
        let _ = row;
        let field = |f: &str| format!(".group-row[data-row='{i}'] input[data-path='actions[{i}].{f}']");
        app.client.find(Locator::Css(&field("action"))).await?.send_keys(&format!("Action {}", i + 1)).await?;
        settle().await;
        app.client.find(Locator::Css(&field("owner"))).await?.send_keys("PC Demo").await?;
        settle().await;
        // An action is due today or later (one due in the past is refused at submission).
        let later = bluelamp_store::casework::ts(now_secs() + 7 * 86_400);
        let due = if i == 0 { "2026-13-45" } else { later.get(..10).unwrap_or("2099-01-10") };
        app.client.find(Locator::Css(&field("due"))).await?.send_keys(due).await?;
        settle().await;
    }
    let bad = wait_for(&app, "[data-issue-path='actions[0].due']").await?.text().await?;
    assert!(bad.contains("date"), "row message: {bad}");
    let due0 = app.client.find(Locator::Css("input[data-path='actions[0].due']")).await?;
    assert_eq!(due0.prop("value").await?.as_deref(), Some("2026-13-45"), "what was typed is kept");
    clear_typed(&due0).await?;
    due0.send_keys(bluelamp_store::casework::ts(now_secs() + 86_400).get(..10).unwrap_or("2099-01-09")).await?;
    settle().await;
    app.client
        .find(Locator::Css("fieldset[data-qid='review_date'] input[data-path]"))
        .await?
        // Four weeks on: a review date may not be in the past.
        .send_keys(bluelamp_store::casework::ts(now_secs() + 28 * 86_400).get(..10).unwrap_or("2099-01-10"))
        .await?;
    settle().await;
    app.screenshot("action-rows").await?;

    app.client.find(Locator::Css("#step-summary")).await?.click().await?;
    wait_for(&app, "#form-complete").await.context("no gaps left")?;
    let summary = wait_for(&app, ".answers-summary dd[data-qid='actions']").await?.text().await?;
    assert!(summary.to_lowercase().contains("2 action") && summary.contains("PC Demo"), "summary: {summary}");
    app.client.find(Locator::Css("#submit-form")).await?.click().await?;
    wait_for(&app, "#submitted").await.context("submitted")?;
    app.screenshot("plan-submitted").await?;
    app.client.find(Locator::Css("#wizard-back")).await?.click().await?;
    let plan = wait_for(&app, "#forms li.form[data-pack='da-safeguarding-plan']").await?;
    assert_eq!(plan.attr("data-status").await?.as_deref(), Some("submitted"));
    let gate = wait_for(&app, "#gate").await?.text().await?;
    assert!(!gate.contains("safeguarding plan"), "the submitted plan no longer counts as missing: {gate}");

    // The supervisor: the queue, then review.
    app.client.find(Locator::Css("#lock")).await?.click().await?;
    app.unlock("demo-supervisor", DEMO_PASSPHRASE).await.context("unlock supervisor")?;
    wait_for(&app, "#tab-queue").await?.click().await?;
    wait_for(&app, "#queue tr.queue-item").await.context("queue items")?;
    wait_for(&app, "#team-counts tr.team").await?;
    let mut risks = Vec::new();
    for r in app.client.find_all(Locator::Css("#queue tr.queue-item")).await? {
        risks.push(r.attr("data-risk").await?.unwrap_or_default());
    }
    let rank = |r: &str| ["high", "ungraded", "medium", "standard"].iter().position(|x| *x == r).unwrap_or(9);
    assert!(risks.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])), "ordered by risk: {risks:?}");
    let deadlines = app.client.find_all(Locator::Css("#queue .deadline")).await?;
    assert!(!deadlines.is_empty());
    let first = deadlines[0].text().await?;
    assert!(first.starts_with("overdue by") || first.starts_with("due in"), "deadline: {first}");
    app.screenshot("queue").await?;
    app.client.find(Locator::Css("#view-daily")).await?.click().await?;
    wait_for(&app, "#daily-review, #daily-empty").await.context("the daily review")?;
    // Open tasks: the team's High assessment made MARAC and IDVA referral tasks; each row names
    // its incident, which opens from it.
    app.client.find(Locator::Css("#view-tasks")).await?.click().await?;
    wait_for(&app, "#queue-tasks tr.queue-task[data-kind='idva_referral']").await.context("the IDVA task")?;
    let marac = wait_for(&app, "#queue-tasks tr.queue-task[data-kind='marac_referral']").await?.text().await?;
    assert!(marac.contains("Make a MARAC referral") && marac.contains("due in"), "MARAC row: {marac}");
    assert!(app.client.find(Locator::Css("#queue-tasks tr.queue-task[data-kind='supervisor_review']")).await.is_err());
    app.screenshot("queue-tasks").await?;
    app.client
        .find(Locator::Css("#queue-tasks tr.queue-task[data-kind='marac_referral'] button.link"))
        .await?
        .click()
        .await?;
    let tasks = wait_for(&app, "#incident #tasks").await.context("the task's incident")?.text().await?;
    assert!(tasks.contains("MARAC"), "incident tasks: {tasks}");
    app.client.find(Locator::Css("#incident > button.secondary")).await?.click().await?;
    wait_for(&app, "#view-queue").await?.click().await?;

    // Click through to an incident and back.
    wait_for(&app, "#queue tr.queue-item td.open-incident").await?.click().await?;
    wait_for(&app, "#incident #gate").await.context("incident from the queue")?;
    app.client.find(Locator::Css("#incident > button.secondary")).await?.click().await?;

    // Return the risk assessment (comments are mandatory), approve the care plan.
    let mut returned = false;
    let mut approved = false;
    for _ in 0..2 {
        wait_for(&app, "#queue .review-form").await.context("a form to review")?.click().await?;
        wait_for(&app, "#review .answers-summary").await.context("review page")?;
        if !returned && app.client.find(Locator::Css("#review-suggested")).await.is_ok() {
            let og = wait_for(&app, "#review-officer-grade").await?.text().await?;
            assert!(og.contains("high"), "officer's grade: {og}");
            app.client.find(Locator::Css("#review-return")).await?.click().await?;
            let err = wait_for(&app, "#review-error").await?.text().await?;
            assert!(err.contains("mandatory"), "{err}");
            app.client
                .find(Locator::Css("#review-comments"))
                .await?
                .send_keys("Add the reason for High and the victim's own view.")
                .await?;
            settle().await;
            // A glance at another tab loses nothing: back on the queue tab, the supervisor is on
            // the same form's review (not the list), with the comments typed for it.
            let form = app.client.find(Locator::Css("#review")).await?.attr("data-form").await?.context("form id")?;
            app.client.find(Locator::Css("#tab-incidents")).await?.click().await?;
            wait_for(&app, "#incidents").await.context("the incidents tab")?;
            app.client.find(Locator::Css("#tab-queue")).await?.click().await?;
            wait_for(&app, &format!("#review[data-form='{form}'] .answers-summary"))
                .await
                .context("the same review")?;
            let kept = wait_for(&app, "#review-comments").await.context("the review, kept")?.prop("value").await?;
            assert_eq!(kept.as_deref(), Some("Add the reason for High and the victim's own view."));
            app.client.find(Locator::Css("#review-return")).await?.click().await?;
            let ok = wait_for(&app, "#review-result").await?.text().await?;
            assert!(ok.contains("Returned"), "{ok}");
            wait_for(&app, "#review[data-status='returned']").await?;
            app.screenshot("review-returned").await?;
            returned = true;
        } else {
            app.client.find(Locator::Css("#review-approve")).await?.click().await?;
            wait_for(&app, "#review[data-status='approved']").await.context("approved")?;
            approved = true;
        }
        app.client.find(Locator::Css("#review-back")).await?.click().await?;
        wait_for(&app, "#queue-view").await?;
    }
    assert!(returned && approved, "returned {returned}, approved {approved}");
    assert!(app.client.find(Locator::Css("#queue .review-form")).await.is_err(), "nothing left to review");
    app.screenshot("queue-after-review").await?;
    app.close().await
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
