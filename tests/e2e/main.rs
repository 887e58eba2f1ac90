//! End-to-end tests of the real app in WebKit. Run with `cargo xtask test`.

use std::time::Duration;

use anyhow::Context;
use bluelamp_e2e::{eventually, AppUnderTest};
use fantoccini::key::Key;
use fantoccini::Locator;

mod conflicts;
mod display;
mod nfa_dup;
mod nominal;
mod people;
mod queue;
mod sync;
mod two_victims;
mod upgrade;
mod victims;

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
    wait_for_within(app, css, Duration::from_secs(20)).await
}

/// [`wait_for`] with a longer (or shorter) limit, for steps that take a while by design.
async fn wait_for_within(
    app: &AppUnderTest,
    css: &str,
    limit: Duration,
) -> anyhow::Result<fantoccini::elements::Element> {
    Ok(app.client.wait().at_most(limit).for_element(Locator::Css(css)).await?)
}

/// Empties a text box the way a person does, one Backspace at a time. WebDriver's own clear
/// sets the value without an `input` event, so the app's model keeps the old text and the
/// next re-render (a status poll every 2 s) puts it back: what was typed next was appended to
/// it ("2026-13-452026-12-02", seen in CI on 6 Dec 2026).
async fn clear_typed(field: &fantoccini::elements::Element) -> anyhow::Result<()> {
    let len = field.prop("value").await?.unwrap_or_default().chars().count();
    let keys = std::iter::once(char::from(Key::End))
        .chain(std::iter::repeat_n(char::from(Key::Backspace), len))
        .collect::<String>();
    field.send_keys(&keys).await?;
    let left = field.prop("value").await?.unwrap_or_default();
    anyhow::ensure!(left.is_empty(), "the box still holds {left:?}");
    Ok(())
}

/// On the summary of a graded form: chooses the officer's grade, types the rationale and
/// submits, then waits for the suggested grade. Choosing the grade re-renders the summary;
/// once in CI (5 Dec 2026) WebKit's driver answered the typing that followed with an empty
/// error, so the typing is tried again (from an empty box) before the test gives up.
async fn grade_and_submit(app: &AppUnderTest, grade: &str, rationale: &str) -> anyhow::Result<String> {
    app.client.find(Locator::Css("#officer-grade")).await?.select_by_value(grade).await?;
    let mut tries = 0;
    loop {
        let field = wait_for(app, "#rationale").await?;
        match field.send_keys(rationale).await {
            Ok(()) => break,
            Err(e) if tries < 2 => {
                tries += 1;
                eprintln!("typing the rationale failed ({e}); again");
                tokio::time::sleep(Duration::from_millis(300)).await;
                clear_typed(&wait_for(app, "#rationale").await?).await?;
            }
            Err(e) => return Err(e).context("typing the rationale"),
        }
    }
    let typed = app.client.find(Locator::Css("#rationale")).await?.prop("value").await?;
    anyhow::ensure!(typed.as_deref() == Some(rationale), "rationale box holds {typed:?}");
    app.client.find(Locator::Css("#submit-form")).await?.click().await?;
    // A wait, not a speed target: once, in a full run, the suggestion took over 20 s to show
    // (session 33; it passed alone straight after, in 18 s for the whole journey).
    Ok(wait_for_within(app, "#suggested-grade", Duration::from_secs(60)).await.context("submitted")?.text().await?)
}

/// On the Access log tab: filters on `object` (the Record box), shows the entries, and waits
/// until some rows `matches` (given each row's record and text); returns their texts.
async fn audit_rows(
    app: &AppUnderTest,
    object: &str,
    what: &str,
    matches: impl Fn(&str, &str) -> bool,
) -> anyhow::Result<Vec<String>> {
    let object_box = wait_for(app, "#audit-object").await?;
    clear_typed(&object_box).await?;
    object_box.send_keys(object).await?;
    app.client.find(Locator::Css("#audit-view button[type='submit']")).await?.click().await?;
    let (client, matches) = (app.client.clone(), &matches);
    eventually(Duration::from_secs(10), what, || {
        let client = client.clone();
        async move {
            let mut found = Vec::new();
            for row in client.find_all(Locator::Css("#audit-table .audit-row")).await? {
                let text = row.text().await?;
                if matches(row.attr("data-object").await?.as_deref().unwrap_or(""), &text) {
                    found.push(text);
                }
            }
            Ok((!found.is_empty()).then_some(found))
        }
    })
    .await
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
    // One letter cannot be searched yet: a hint in a polite live region, not an alert that
    // every new search would start with.
    search.send_keys(&target.given_name[..1]).await?;
    let hint = wait_for(&app, "#search-error").await.context("the hint for one letter")?;
    assert_eq!(hint.attr("role").await?.as_deref(), Some("status"), "{:?}", hint.text().await?);
    assert!(hint.text().await?.contains("two letters"), "{:?}", hint.text().await?);
    let typed = format!("{} {}", target.given_name, misspell(&target.surname));
    search.send_keys(&typed[1..]).await?;

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
    // Rows where nothing agrees come last, under "Weak matches"; the person sought is not one.
    // (The demo's 300 people give this query one such row: Bradley Oaklows, fetched through a
    // code his alias shares with "Freddie".)
    let heading = text_of(&app, "#weak-heading").await?;
    assert!(heading.to_lowercase().contains("weak matches"), "{heading}");
    let mut under_heading = false;
    for el in app.client.find_all(Locator::Css("#results > li")).await? {
        if el.attr("id").await?.as_deref() == Some("weak-heading") {
            under_heading = true;
            continue;
        }
        let class = el.attr("class").await?.unwrap_or_default();
        let weak = class.split_whitespace().any(|c| c == "weak");
        let reasons = el.find(Locator::Css(".reasons")).await?.text().await?;
        assert_eq!(weak, under_heading, "a weak row above the heading or a close one below it: {reasons}");
        if reasons.contains("surname differs") && reasons.contains("given name differs") && !reasons.contains("DOB") {
            assert!(weak, "nothing agrees, yet not listed as a weak match: {reasons}");
        }
        if el.attr("data-id").await?.as_deref() == Some(target.id.as_str()) {
            assert!(!weak, "the person sought listed as a weak match: {reasons}");
        }
    }
    let banner = text_of(&app, "#demo-banner").await?;
    assert!(banner.contains("DEMO"), "banner: {banner}");

    // A glance at another tab keeps the search: the text and its results are there on the way
    // back (run again).
    app.client.find(Locator::Css("#tab-incidents")).await?.click().await?;
    wait_for(&app, "#incidents").await.context("the incidents tab")?;
    app.client.find(Locator::Css("#tab-search")).await?.click().await?;
    let search = wait_for(&app, "#search").await?;
    assert_eq!(search.prop("value").await?.as_deref(), Some(typed.as_str()), "the search text is kept");
    wait_for(&app, &format!("#results .result[data-id='{}']", target.id)).await.context("the results again")?;
    let focused = app.client.active_element().await?.attr("id").await?;
    assert_eq!(focused.as_deref(), Some("search"), "the search box has the focus again");

    // Keyboard first. Enter pressed straight after more typing opens nothing at once: until the
    // debounced search answers, the rows on screen belong to the previous text. When the
    // answer comes, its first row is opened (the purpose is asked), without a second Enter.
    let key = |k: Key| char::from(k).to_string();
    let retyped = format!("{typed}{}", typed.chars().last().context("typed")?);
    search.send_keys(&format!("{}{}", &retyped[typed.len()..], key(Key::Enter))).await?;
    let a = &app;
    let retyped_ref = &retyped;
    eventually(Duration::from_secs(15), "the results of the text as now typed", || async move {
        let shown = match a.client.find(Locator::Css("#results")).await {
            Ok(el) => el.attr("data-query").await?,
            Err(_) => None,
        };
        Ok((shown.as_deref() == Some(retyped_ref.as_str())).then_some(()))
    })
    .await?;
    let first = app.client.find(Locator::Css("#results .result")).await?.attr("data-id").await?;
    let dialog =
        wait_for(&app, "#purpose-dialog").await.context("Enter pressed before the results: their first row")?;
    assert_eq!(
        dialog.attr("data-id").await?,
        first,
        "Enter before the results opens the first row of the text as typed"
    );
    app.client.active_element().await?.send_keys(&key(Key::Escape)).await?;
    let a = &app;
    eventually(Duration::from_secs(5), "the purpose dialog closed by Esc", || async move {
        Ok(a.client.find(Locator::Css("#purpose-dialog")).await.is_err().then_some(()))
    })
    .await?;
    // The arrow keys pick the person's row and Enter opens it: the purpose is asked first.
    let mut ids = Vec::new();
    for el in app.client.find_all(Locator::Css("#results .result")).await? {
        ids.push(el.attr("data-id").await?.unwrap_or_default());
    }
    let row = ids.iter().position(|id| *id == target.id).with_context(|| format!("{retyped:?}: {ids:?}"))?;
    if row > 0 {
        search.send_keys(&key(Key::Down).repeat(row)).await?;
    }
    let selected = text_of(&app, "#results .result.selected").await?;
    assert!(selected.contains(&target.surname.to_uppercase()) || selected.contains(&target.surname), "{selected}");
    search.send_keys(&key(Key::Enter)).await?;
    wait_for(&app, "#purpose-dialog").await?;
    // The dialog takes the keyboard focus, and no purpose is chosen for the officer: "Open
    // record" waits for one (the access log records the reason they gave).
    let a = &app;
    eventually(Duration::from_secs(5), "focus on the purpose list", || async move {
        Ok((a.client.active_element().await?.attr("id").await?.as_deref() == Some("purpose")).then_some(()))
    })
    .await?;
    let open = app.client.find(Locator::Css("#purpose-open")).await?;
    assert!(!open.is_enabled().await?, "a record opened with a purpose nobody chose");
    // Esc cancels the dialog; Enter asks again.
    app.client.active_element().await?.send_keys(&key(Key::Escape)).await?;
    let a = &app;
    eventually(Duration::from_secs(5), "the purpose dialog closed by Esc", || async move {
        Ok(a.client.find(Locator::Css("#purpose-dialog")).await.is_err().then_some(()))
    })
    .await?;
    search.send_keys(&key(Key::Enter)).await?;
    wait_for(&app, "#purpose-dialog").await?;
    app.client.find(Locator::Css("#purpose")).await?.select_by_value("safeguarding").await?;
    // Cancel pressed while the open is in flight: the record must not open afterwards. The
    // command behind the screen is slowed for this one step so the click lands in flight.
    app.slow_command("view_nominal", 1500, "").await?;
    app.client.find(Locator::Css("#purpose-open")).await?.click().await?;
    app.client.find(Locator::Css("#purpose-dialog button.secondary")).await?.click().await?;
    // Asked again at once, while the cancelled answer is still on its way: the new prompt can
    // be confirmed (the purpose is remembered), and the late answer neither opens the record
    // nor closes the new prompt.
    search.send_keys(&key(Key::Enter)).await?;
    wait_for(&app, "#purpose-dialog").await?;
    assert!(
        app.client.find(Locator::Css("#purpose-open")).await?.is_enabled().await?,
        "the new prompt waits for the cancelled open"
    );
    let a = &app;
    eventually(Duration::from_secs(15), "the cancelled open's answer", || async move {
        Ok(a.slowed_call_answered().await?.then_some(()))
    })
    .await?;
    // (The flag is set after the page has handled the answer.)
    assert!(
        app.client.find(Locator::Css("#nominal-name")).await.is_err(),
        "a record opened after its open was cancelled"
    );
    assert!(app.client.find(Locator::Css("#purpose-dialog")).await.is_ok(), "the late answer closed the new prompt");
    app.unslow().await?;
    app.client.find(Locator::Css("#purpose")).await?.select_by_value("safeguarding").await?;
    app.client.find(Locator::Css("#purpose-open")).await?.click().await?;
    let name = wait_for(&app, "#nominal-name").await?.text().await?;
    assert!(name.contains(&target.given_name), "opened {name}");
    app.screenshot("nominal").await?;
    // Keyboard first on the record page too: it has the focus (its Back button), and Esc goes
    // back to the results, with the focus in the search box.
    let a = &app;
    eventually(Duration::from_secs(5), "focus on the record page", || async move {
        Ok((a.client.active_element().await?.attr("id").await?.as_deref() == Some("nominal-back")).then_some(()))
    })
    .await?;
    app.client.active_element().await?.send_keys(&key(Key::Escape)).await?;
    wait_for(&app, "#results .result").await.context("the results again after Esc")?;
    eventually(Duration::from_secs(5), "focus in the search box", || async move {
        Ok((a.client.active_element().await?.attr("id").await?.as_deref() == Some("search")).then_some(()))
    })
    .await?;

    // The access log holds the consultation, with its purpose.
    app.client.find(Locator::Css("#tab-audit")).await?.click().await?;
    let object = format!("nominal:{}", target.id);
    let row = audit_rows(&app, &target.id, "the access-log entry", |o, _| o == object).await?.remove(0);
    assert!(row.contains("consultation") && row.contains("safeguarding"), "row: {row}");
    app.screenshot("access-log").await?;

    // The search is there with what was typed, and the reading of the log is itself logged.
    let wanted = misspell(&target.surname);
    let searched =
        audit_rows(&app, "search:nominals", "the search's entry, with its terms", |_, t| t.contains(&wanted))
            .await?
            .remove(0);
    assert!(searched.contains("search:nominals") && searched.contains("results"), "row: {searched}");
    // The first reading (filtered on the person's id) is among them.
    let wanted = format!("filter.object_ref: {}", target.id);
    let read =
        audit_rows(&app, "audit:log", "the earlier reading of the log", |o, t| o == "audit:log" && t.contains(&wanted))
            .await?
            .remove(0);
    assert!(read.contains("consultation") && read.contains("demo-superuser"), "row: {read}");
    app.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_new_to_the_device_types_their_id_and_enrols_online() -> anyhow::Result<()> {
    let _turn = SERIAL.lock().await;
    within(Duration::from_secs(240), enrol_journey()).await
}

/// A force's service (not a demo one): the lock screen asks for the officer id. The focus is in
/// that box and stays there while the id is typed (the first letter once moved it to the
/// passphrase), and the first unlock enrols online.
async fn enrol_journey() -> anyhow::Result<()> {
    let app = AppUnderTest::launch_with("enrol", true, &[("BLUELAMP_DEMO", "0")]).await?;
    let id_box = wait_for(&app, "#officer-id").await.context("no officer list: the id is typed")?;
    let focused = || async {
        let v = app.client.execute("return document.activeElement ? document.activeElement.id : '';", vec![]).await?;
        anyhow::Ok(v.as_str().unwrap_or_default().to_string())
    };
    eventually(Duration::from_secs(10), "the officer box has the focus", || async {
        Ok((focused().await? == "officer-id").then_some(()))
    })
    .await?;
    id_box.send_keys("demo-officer").await?;
    assert_eq!(focused().await?, "officer-id", "the focus stayed while typing");
    assert_eq!(id_box.prop("value").await?.as_deref(), Some("demo-officer"));
    app.client.find(Locator::Css("#passphrase")).await?.send_keys(DEMO_PASSPHRASE).await?;
    app.client.find(Locator::Css("#unlock")).await?.click().await?;
    let who = wait_for_within(&app, "#session-officer", Duration::from_secs(60)).await.context("enrolled")?;
    let who = who.text().await?;
    assert!(who.contains("officer"), "session: {who}");
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

    // The officer types, then leaves the laptop: no input for longer than the idle limit, and
    // only the lock screen shows.
    wait_for(&app, "#search").await?.send_keys("Siobhan O Sullivan").await?;
    wait_for(&app, "#unlock-form").await?;
    // Not hidden but gone: nothing of the officer's screens is left in the page.
    assert!(
        app.client.find(Locator::Css("#search")).await.is_err(),
        "the search box is still in the page while locked"
    );
    let screens = app.client.find(Locator::Css("#screens")).await?.prop("innerHTML").await?.unwrap_or_default();
    assert!(screens.trim().is_empty(), "screens left in the page while locked: {screens}");
    let reason = text_of(&app, "#lock-reason").await?;
    assert!(reason.contains("without activity"), "reason: {reason}");
    app.screenshot("idle-locked").await?;

    // The same officer unlocks: what they had typed is still there.
    app.unlock("demo-officer", DEMO_PASSPHRASE).await?;
    let a = &app;
    eventually(Duration::from_secs(10), "the search box shown again", || async move {
        let s = a.client.find(Locator::Css("#search")).await?;
        Ok(s.is_displayed().await?.then_some(()))
    })
    .await?;
    let kept = app.client.find(Locator::Css("#search")).await?.prop("value").await?.unwrap_or_default();
    assert_eq!(kept, "Siobhan O Sullivan", "what was typed before the idle lock");
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
    // A test that fails part-way never closes its session: the app must still be stopped, by
    // its PID, when the harness is dropped.
    let pid = app.app_pid();
    anyhow::ensure!(bluelamp_e2e::alive(pid), "the app (pid {pid}) is running");
    drop(app);
    anyhow::ensure!(!bluelamp_e2e::alive(pid), "the app (pid {pid}) outlived its test");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn da_assessment_with_14_yes_suggests_high_creates_marac_and_gate_blocks_finalising() -> anyhow::Result<()> {
    let _turn = SERIAL.lock().await;
    within(Duration::from_secs(300), da_journey()).await
}

/// Answers every wizard page from `answers` (the answers-JSON format of the README), moving on
/// page by page until the summary.
pub(crate) async fn fill_wizard(app: &AppUnderTest, answers: &serde_json::Value) -> anyhow::Result<()> {
    for _page in 0..20 {
        if app.client.find(Locator::Css("#submit-form")).await.is_ok() {
            return Ok(());
        }
        let page = wizard_page(app).await?;
        for q in app.client.find_all(Locator::Css("#wizard fieldset.question")).await? {
            let (Some(qid), Some(kind)) = (q.attr("data-qid").await?, q.attr("data-type").await?) else { continue };
            let Some(a) = answers.get(&qid) else { continue };
            match kind.as_str() {
                "person" => {
                    let role = if qid == "victim" { "(victim)" } else { "(suspect)" };
                    for opt in q.find_all(Locator::Css("option")).await? {
                        if opt.text().await?.contains(role) {
                            opt.click().await?;
                            break;
                        }
                    }
                }
                "multi_choice" => {
                    for v in a.as_array().into_iter().flatten().filter_map(|v| v.as_str()) {
                        q.find(Locator::Css(&format!("input[value='{v}']"))).await?.click().await?;
                    }
                }
                "text" => {
                    if let Some(t) = a.as_str() {
                        q.find(Locator::Css("input")).await?.send_keys(t).await?;
                    }
                }
                _ => {
                    let token = if a.get("declined").is_some() {
                        "declined"
                    } else {
                        a.as_str().or_else(|| a.get("value").and_then(|v| v.as_str())).unwrap_or("no")
                    };
                    q.find(Locator::Css(&format!("input[value='{token}']"))).await?.click().await?;
                }
            }
        }
        app.client.find(Locator::Css("#next")).await?.click().await?;
        // The next page (or the summary) must be on screen before it is answered: answering
        // the same page twice would untick its boxes.
        // Generous: on a loaded machine (CI, or other work beside the tests) a page has taken
        // over 10 s to come (seen once, 7 Dec 2026); a wait, not a speed target.
        eventually(Duration::from_secs(30), &format!("the page after {page:?}"), || async {
            if app.client.find(Locator::Css("#submit-form")).await.is_ok() {
                return Ok(Some(()));
            }
            Ok((wizard_page(app).await? != page).then_some(()))
        })
        .await?;
    }
    anyhow::bail!("the wizard's summary was not reached in 20 pages")
}

/// The section the wizard shows (empty on the summary).
pub(crate) async fn wizard_page(app: &AppUnderTest) -> anyhow::Result<String> {
    Ok(match app.client.find(Locator::Css("#wizard .wizard-page")).await {
        Ok(p) => p.attr("data-section").await?.unwrap_or_default(),
        Err(_) => String::new(),
    })
}

async fn da_journey() -> anyhow::Result<()> {
    let answers: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
        bluelamp_e2e::repo_root().join("docs/examples/dash-14-yes.answers.json"),
    )?)?;
    let app = AppUnderTest::launch("da-assessment", false).await?;
    app.unlock("demo-officer", DEMO_PASSPHRASE).await.context("unlock")?;
    wait_for(&app, "#tab-incidents").await.context("incidents tab")?.click().await.context("click incidents tab")?;
    wait_for(&app, "tr.incident[data-type='domestic_abuse'] td")
        .await
        .context("a DA incident in the list")?
        .click()
        .await
        .context("open the DA incident")?;
    wait_for(&app, "#gate").await.context("the gate")?;
    app.screenshot("incident").await?;
    app.client
        .find(Locator::Css("#start-forms button.start[data-pack='dash-style-da-risk']"))
        .await
        .context("start button")?
        .click()
        .await
        .context("click start")?;
    wait_for(&app, "#wizard .wizard-page").await.context("the wizard")?;

    // The store locks behind the screen's back (a laptop woken after the idle limit, before
    // the next status poll) and the officer's next answer reaches it locked. Once they unlock,
    // that answer is saved without being given again.
    let script = r##"
        const done = arguments[arguments.length - 1];
        window.__TAURI__.core.invoke('lock', { req: {} }).then(() => {
            document.querySelector("#wizard fieldset.question[data-qid='relationship'] input[value='ex_partner']").click();
            done('clicked');
        }, e => done('lock failed: ' + JSON.stringify(e)));
    "##;
    let r = app.client.execute_async(script, vec![]).await.context("lock, then answer")?;
    assert_eq!(r, serde_json::json!("clicked"));
    wait_for(&app, "#unlock-form").await.context("the lock screen after the refused save")?;
    assert!(app.client.find(Locator::Css("#wizard")).await.is_err(), "the form is still in the page while locked");
    app.unlock("demo-officer", DEMO_PASSPHRASE).await.context("unlock again")?;
    // Back on the form, not the incident list, with the refused answer: the screen is built
    // again from the store once that save has gone in, so the answer shows only if it did.
    let a = &app;
    let ex_partner = "#wizard fieldset.question[data-qid='relationship'] input[value='ex_partner']";
    eventually(Duration::from_secs(10), "the refused save sent again after unlocking", || async move {
        let Ok(r) = a.client.find(Locator::Css(ex_partner)).await else { return Ok(None) };
        Ok(r.is_selected().await?.then_some(()))
    })
    .await?;
    // A look at another tab keeps the place too.
    app.client.find(Locator::Css("#tab-search")).await?.click().await?;
    wait_for(&app, "#search").await?;
    app.client.find(Locator::Css("#tab-incidents")).await?.click().await?;
    wait_for(&app, ex_partner).await.context("the form again after a look at the Search tab")?;

    // An answer changed as the officer leaves the wizard, and its autosave refused (not for the
    // lock) after the wizard has gone: opened again, the wizard says so and shows that answer
    // (not the older stored one), and Try again saves it.
    let partner = "#wizard fieldset.question[data-qid='relationship'] input[value='partner']";
    app.fail_command(
        "save_draft",
        500,
        "the store could not be written",
        &format!("document.querySelector(\"{partner}\").click(); document.querySelector('#tab-search').click()"),
    )
    .await?;
    wait_for(&app, "#search").await?;
    eventually(Duration::from_secs(10), "the refused save answered", || async move {
        Ok(a.slowed_call_answered().await?.then_some(()))
    })
    .await?;
    app.unslow().await?;
    app.client.find(Locator::Css("#tab-incidents")).await?.click().await?;
    let status = eventually(Duration::from_secs(10), "the refused save reported", || async move {
        let Ok(s) = a.client.find(Locator::Css("#autosave")).await else { return Ok(None) };
        let s = s.text().await?;
        Ok(s.contains("Not saved").then_some(s))
    })
    .await?;
    assert!(status.contains("the store could not be written"), "{status}");
    assert!(wait_for(&app, partner).await?.is_selected().await?, "the unsaved answer is not on screen");
    app.client.find(Locator::Css("#autosave-retry")).await?.click().await?;
    eventually(Duration::from_secs(10), "saved on Try again", || async move {
        Ok(text_of(a, "#autosave").await?.contains("Saved on this device").then_some(()))
    })
    .await?;

    fill_wizard(&app, &answers).await?;
    // On the summary, a look at another tab: back on the summary, not on the last section.
    app.client.find(Locator::Css("#tab-search")).await?.click().await?;
    wait_for(&app, "#search").await?;
    app.client.find(Locator::Css("#tab-incidents")).await?.click().await?;
    let shown = wait_for(&app, "#wizard .wizard-summary, #wizard .wizard-page").await?.attr("class").await?;
    assert_eq!(shown.as_deref(), Some("wizard-summary"), "back from another tab on the summary");
    let issues = app.client.find_all(Locator::Css("#form-issues li")).await?;
    let mut listed = Vec::new();
    for i in &issues {
        listed.push(i.text().await?);
    }
    assert!(listed.is_empty(), "the summary lists missing answers: {listed:?}");
    let grade = grade_and_submit(&app, "high", "14 yes answers, strangulation, recent separation.").await?;
    assert_eq!(grade, "high", "suggested grade");
    let tasks = text_of(&app, "#created-tasks").await?;
    assert!(tasks.contains("MARAC"), "tasks: {tasks}");
    app.screenshot("submitted").await?;
    // The Submit button is gone: the confirmation has the focus, and the wizard's keys work.
    eventually(Duration::from_secs(5), "the focus in the wizard after Submit", || async move {
        let v = a.client.execute("return document.activeElement.id;", vec![]).await?;
        Ok((v == serde_json::json!("submitted")).then_some(()))
    })
    .await?;
    app.client.active_element().await?.send_keys(&char::from(Key::PageUp).to_string()).await?;
    eventually(Duration::from_secs(5), "PageUp after Submit", || async move {
        Ok((!wizard_page(a).await?.is_empty()).then_some(()))
    })
    .await?;

    // Back on the incident: the MARAC task is there, and finalising is blocked without a
    // victim-referral decision (and the safeguarding plan).
    app.client.find(Locator::Css("#wizard > button.secondary")).await?.click().await?;
    let tasks = wait_for(&app, "#tasks").await?.text().await?;
    assert!(tasks.contains("MARAC"), "incident tasks: {tasks}");
    app.client.find(Locator::Css("#closing-code")).await?.select_by_value("DA").await?;
    app.client.find(Locator::Css("#finalise")).await?.click().await?;
    wait_for(&app, "#finalise-result .blocked-reason").await?;
    let mut kinds = Vec::new();
    for r in app.client.find_all(Locator::Css("#finalise-result .blocked-reason")).await? {
        kinds.push(r.attr("data-kind").await?.unwrap_or_default());
    }
    assert!(kinds.iter().any(|k| k == "victim_referral_decision"), "blocked for: {kinds:?}");
    assert!(
        !kinds.iter().any(|k| k == "risk_assessment"),
        "the submitted assessment still counts as missing: {kinds:?}"
    );
    app.screenshot("finalise-blocked").await?;
    // The gate's missing referral decision has a button that takes the officer to it.
    app.client
        .find(Locator::Css("#gate li.missing[data-kind='victim_referral_decision'] button.open-victims"))
        .await
        .context("a button for the missing referral decision")?
        .click()
        .await?;
    let inside = app.client.execute("return !!document.activeElement.closest('#victims');", vec![]).await?;
    assert_eq!(inside, serde_json::Value::Bool(true), "focus moved into the Victims section");

    // Closed as honour-based abuse, the same assessment is not enough: its answers (questions 4
    // and 20 "no") never opened the honour-based abuse follow-up. The gate says so and points at
    // the submitted form, whose page offers "Amend".
    app.client.find(Locator::Css("#closing-code")).await?.select_by_value("HBA").await?;
    app.client.find(Locator::Css("#finalise")).await?.click().await?;
    let a = &app;
    eventually(Duration::from_secs(10), "the HBA follow-up among the reasons", || async move {
        for r in
            a.client.find_all(Locator::Css("#finalise-result .blocked-reason[data-kind='risk_assessment']")).await?
        {
            if r.text().await?.contains("the HBA code needs its honour-based abuse and forced marriage follow-up") {
                return Ok(Some(()));
            }
        }
        Ok(None)
    })
    .await?;
    let item = wait_for(&app, "#gate li.missing[data-kind='risk_assessment']").await?;
    // It names the victim the assessment is about (each victim has their own).
    let text = item.text().await?;
    assert!(
        text.starts_with("Amend the risk assessment for ") && text.contains(" (the HBA code needs"),
        "gate: {text}"
    );
    item.find(Locator::Css("button")).await.context("Open on the HBA item")?.click().await?;
    wait_for(&app, "#amend-form").await.context("the submitted assessment offers Amend")?;
    app.close().await
}
