//! The sync part of the status bar: always queued, rejected, conflicts and the time of the last
//! successful sync; first-sync progress; "Sync now"; the refused writes with the server's
//! reasons; the Conflicts view (from the conflicts count); and, for superusers in the demo, "Simulate offline".

use bluelamp_protocol::session::Permission;
use bluelamp_protocol::status::{SyncIssue, SyncStatus};
use bluelamp_protocol::AppStatus;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SyncBarProps {
    pub status: AppStatus,
}

/// `2026-11-26T19:47:26.123Z` → `19:47` (UTC, as stored; the bar says so on hover).
fn short_time(ts: &str) -> String {
    ts.get(11..16).unwrap_or(ts).to_string()
}

const CONFLICTS_OPEN: &str = "conflicts.open";

#[function_component(SyncBar)]
pub fn sync_bar(props: &SyncBarProps) -> Html {
    let issues = use_state(|| None::<Vec<SyncIssue>>);
    // The Conflicts view open, kept (see `drafts`) while the window is locked: the bar is
    // built again when the officer unlocks.
    let show_conflicts = crate::drafts::use_kept_state::<bool>(CONFLICTS_OPEN);
    let error = use_state(|| None::<String>);
    let Some(sync) = props.status.sync.clone() else {
        return html! {};
    };
    let SyncStatus { pending, rejected, conflicts, last_sync_ok, running, last_outcome, message, .. } = sync.clone();
    let superuser = props.status.session.as_ref().is_some_and(|s| s.role.allows(Permission::Demo)) && props.status.demo;

    let sync_now = {
        let error = error.clone();
        Callback::from(move |_: MouseEvent| {
            let error = error.clone();
            spawn_local(async move {
                error.set(crate::api::sync_now().await.err().map(|e| e.message));
            });
        })
    };
    let toggle_issues = {
        let issues = issues.clone();
        let error = error.clone();
        Callback::from(move |_: MouseEvent| {
            if issues.is_some() {
                issues.set(None);
                return;
            }
            let (issues, error) = (issues.clone(), error.clone());
            spawn_local(async move {
                match crate::api::sync_issues().await {
                    Ok(list) => issues.set(Some(list)),
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    let toggle_conflicts = {
        let show = show_conflicts.clone();
        Callback::from(move |_: MouseEvent| show.set(!*show))
    };
    let close_conflicts = {
        let show = show_conflicts.clone();
        Callback::from(move |_: ()| show.set(false))
    };
    let simulate = {
        let error = error.clone();
        let offline = !sync.simulated_offline;
        Callback::from(move |_: MouseEvent| {
            let error = error.clone();
            spawn_local(async move {
                error.set(crate::api::simulate_offline(offline).await.err().map(|e| e.message));
            });
        })
    };
    let last = match &last_sync_ok {
        Some(t) => format!("last sync {} UTC", short_time(t)),
        None => "never synced".to_string(),
    };
    let progress = (sync.pull_in_progress && (sync.pulled_total > 0 || sync.remaining > 0)).then(|| {
        let total = sync.pulled_total + sync.remaining;
        html! {
            <span class="sync-progress" id="sync-progress">
                <progress max={total.max(1).to_string()} value={sync.pulled_total.to_string()} />
                { format!(" {} of {} records", sync.pulled_total, total) }
            </span>
        }
    });
    // Offline, the officer reads what it means for their work; the network's own words (for
    // IT) are on hover.
    let problem = match last_outcome.as_deref() {
        Some("blocked") => message.clone().map(|m| (m, String::new())),
        Some("offline") => Some((
            "Cannot reach the central service: what you write is kept on this device and sent when it can be."
                .to_string(),
            message.clone().unwrap_or_default(),
        )),
        _ => None,
    };
    html! {
        <span class="sync" id="sync-status" aria-live="polite">
            <span id="sync-pending" class={classes!("pill", (pending > 0).then_some("warn"))}
                title="Written here, not yet received by the central service">
                { format!("{pending} queued") }
            </span>
            <button id="sync-rejected" class={classes!("pill", "link", (rejected > 0).then_some("bad"))}
                title="Refused by the central service: click for the reasons" onclick={toggle_issues}>
                { format!("{rejected} rejected") }
            </button>
            <button id="sync-conflicts" class={classes!("pill", "link", (conflicts > 0).then_some("bad"))}
                title="Changes that clash with someone else's, and possible duplicates of people created here, waiting for you: click to see"
                onclick={toggle_conflicts}>
                { format!("{conflicts} conflicts") }
            </button>
            <span id="sync-last" class="muted" title={last_sync_ok.clone().unwrap_or_default()}>{ last }</span>
            { for progress }
            if running { <span id="sync-running" class="muted">{"syncing…"}</span> }
            <button id="sync-now" class="secondary small" onclick={sync_now} disabled={running}>{"Sync now"}</button>
            if superuser {
                <button id="simulate-offline" class={classes!("secondary", "small", sync.simulated_offline.then_some("active"))}
                    onclick={simulate} title="Demo: stop or restart the in-process central service">
                    { if sync.simulated_offline { "Back online" } else { "Simulate offline" } }
                </button>
            }
            if let Some((p, detail)) = problem {
                <span id="sync-problem" class="bad small" role="alert" title={detail}>{ p }</span>
            }
            if let Some(e) = (*error).clone() { <span class="bad small" role="alert">{ e }</span> }
            if *show_conflicts { <crate::conflicts::ConflictsView on_close={close_conflicts} count={conflicts} /> }
            if let Some(list) = (*issues).clone() {
                <div id="sync-issues" class="popover" role="dialog" aria-label="Refused by the central service">
                    if list.is_empty() { <p>{"Nothing was refused."}</p> }
                    <ul>
                        { for list.iter().map(|i| html! {
                            <li>
                                <strong>{ format!("#{} {}", i.seq, i.mutation) }</strong>
                                { format!(" — {} ({}), written {}", i.message, i.code, i.created_at) }
                            </li>
                        }) }
                    </ul>
                </div>
            }
        </span>
    }
}
