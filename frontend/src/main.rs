//! Bluelamp's user interface (Yew, client-side rendered, built by trunk).
//!
//! The frontend holds view state only: officer data lives in the encrypted store behind the
//! Tauri commands, never in webview storage. While the app is locked it shows nothing but the
//! lock screen.

mod api;
mod audit;
mod cases;
mod conflicts;
mod lock;
mod nominal;
mod people;
mod queue;
mod search;
mod syncbar;
mod victims;

use std::cell::Cell;
use std::rc::Rc;

use bluelamp_protocol::session::{Permission, SessionInfo};
use bluelamp_protocol::{AppStatus, NetState};
use gloo_timers::callback::Interval;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

const STATUS_EVERY_MS: u32 = 2_000;

fn now_ms() -> f64 {
    js_sys::Date::now()
}

#[derive(Clone, Copy, PartialEq)]
enum Tab {
    Search,
    Incidents,
    Queue,
    Victims,
    Duplicates,
    Audit,
}

#[function_component(App)]
fn app() -> Html {
    let status = use_state(|| None::<AppStatus>);
    let lock_message = use_state(|| None::<String>);
    let tab = use_state(|| Tab::Search);
    // An incident to open on the Incidents tab (from a record page's linked incidents).
    let open_incident = use_state(|| None::<String>);
    let last_activity = use_mut_ref(|| Rc::new(Cell::new(now_ms())));
    let last_activity = last_activity.borrow().clone();

    let refresh = {
        let status = status.clone();
        Callback::from(move |_: ()| {
            let status = status.clone();
            spawn_local(async move {
                if let Ok(s) = api::app_status().await {
                    status.set(Some(s));
                }
            });
        })
    };
    let do_lock = {
        let (refresh, lock_message) = (refresh.clone(), lock_message.clone());
        Callback::from(move |why: String| {
            lock_message.set(Some(why));
            let refresh = refresh.clone();
            spawn_local(async move {
                let _ = api::lock().await;
                refresh.emit(());
            });
        })
    };
    let session: Option<SessionInfo> = status.as_ref().and_then(|s| s.session.clone());

    // Status polling, and the idle lock while a session is open.
    {
        let (refresh, do_lock, last_activity) = (refresh.clone(), do_lock.clone(), last_activity.clone());
        let idle_secs = session.as_ref().map(|s| s.idle_lock_secs);
        use_effect_with(idle_secs, move |idle_secs| {
            refresh.emit(());
            let idle_ms = idle_secs.map(|s| f64::from(s) * 1000.0);
            last_activity.set(now_ms());
            let mut ticks = 0u32;
            let interval = Interval::new(500, move || {
                ticks += 1;
                if let Some(limit) = idle_ms {
                    if now_ms() - last_activity.get() > limit {
                        last_activity.set(now_ms());
                        do_lock.emit("Locked after a period without activity.".into());
                        return;
                    }
                }
                if ticks.is_multiple_of(STATUS_EVERY_MS / 500) {
                    refresh.emit(());
                }
            });
            move || drop(interval)
        });
    }

    let activity = {
        let last_activity = last_activity.clone();
        Callback::from(move |_: ()| last_activity.set(now_ms()))
    };
    let onkeydown = {
        let (activity, do_lock, unlocked) = (activity.clone(), do_lock.clone(), session.is_some());
        Callback::from(move |e: KeyboardEvent| {
            activity.emit(());
            // Ctrl+L locks at once (walking away from the laptop).
            if unlocked && e.ctrl_key() && e.key().eq_ignore_ascii_case("l") {
                e.prevent_default();
                do_lock.emit("Locked with Ctrl+L.".into());
            }
        })
    };
    let onmousemove = activity.reform(|_: MouseEvent| ());
    let onmousedown = activity.reform(|_: MouseEvent| ());

    let Some(st) = (*status).clone() else {
        return html! { <div class="app"><p class="hint">{"Starting…"}</p></div> };
    };
    let body = match &session {
        None => {
            let on_unlocked = {
                let (refresh, lock_message) = (refresh.clone(), lock_message.clone());
                Callback::from(move |_| {
                    lock_message.set(None);
                    refresh.emit(());
                })
            };
            html! { <lock::LockView {on_unlocked} message={(*lock_message).clone()} /> }
        }
        Some(s) => {
            let on_locked = {
                let refresh = refresh.clone();
                Callback::from(move |_| refresh.emit(()))
            };
            let can_audit = s.role.allows(Permission::ReadAuditLog);
            let can_search = s.role.allows(Permission::RecordsWork);
            let can_supervise = s.role.allows(Permission::Supervise);
            let current = if !can_search && can_audit { Tab::Audit } else { *tab };
            let set_tab = |t: Tab| {
                let (tab, open_incident) = (tab.clone(), open_incident.clone());
                Callback::from(move |_: MouseEvent| {
                    open_incident.set(None);
                    tab.set(t)
                })
            };
            let on_open_incident = {
                let (tab, open_incident) = (tab.clone(), open_incident.clone());
                Callback::from(move |id: String| {
                    open_incident.set(Some(id));
                    tab.set(Tab::Incidents)
                })
            };
            html! {
                <main>
                    <nav class="tabs">
                        if can_search {
                            <button id="tab-search" class={classes!((current == Tab::Search).then_some("active"))}
                                onclick={set_tab(Tab::Search)}>{"Search"}</button>
                        }
                        if can_search {
                            <button id="tab-incidents" class={classes!((current == Tab::Incidents).then_some("active"))}
                                onclick={set_tab(Tab::Incidents)}>{"Incidents"}</button>
                        }
                        if can_supervise {
                            <button id="tab-queue" class={classes!((current == Tab::Queue).then_some("active"))}
                                onclick={set_tab(Tab::Queue)}>{"Supervisor queue"}</button>
                        }
                        if can_search {
                            <button id="tab-victims" class={classes!((current == Tab::Victims).then_some("active"))}
                                onclick={set_tab(Tab::Victims)}>{"Victims awaiting decision"}</button>
                        }
                        if can_search {
                            <button id="tab-duplicates" class={classes!((current == Tab::Duplicates).then_some("active"))}
                                onclick={set_tab(Tab::Duplicates)}>{"Possible duplicates"}</button>
                        }
                        if can_audit {
                            <button id="tab-audit" class={classes!((current == Tab::Audit).then_some("active"))}
                                onclick={set_tab(Tab::Audit)}>{"Access log"}</button>
                        }
                    </nav>
                    { match current {
                        Tab::Search if can_search => html! { <search::SearchView on_locked={on_locked.clone()} on_open_incident={Some(on_open_incident)} /> },
                        Tab::Incidents if can_search => html! { <cases::CasesView on_locked={on_locked.clone()} can_review={can_supervise} open_incident={(*open_incident).clone()} /> },
                        Tab::Queue if can_supervise => html! { <queue::QueueScreen on_locked={on_locked.clone()} /> },
                        Tab::Victims if can_search => html! { <victims::AwaitingView on_locked={on_locked.clone()} /> },
                        Tab::Duplicates if can_search => html! { <people::DuplicatesView on_locked={on_locked.clone()} /> },
                        Tab::Audit if can_audit => html! { <audit::AuditView /> },
                        _ => html! { <p class="hint">{"Your role has no screens in this version."}</p> },
                    } }
                </main>
            }
        }
    };
    let lock_button = {
        let do_lock = do_lock.clone();
        Callback::from(move |_: MouseEvent| do_lock.emit("Locked.".into()))
    };
    html! {
        <div class="app" {onkeydown} {onmousemove} {onmousedown}>
            <StatusBar status={st.clone()} />
            // Everything below the status bar scrolls in its own area, so the bar is always on
            // screen and never covers what the officer is working on.
            <div id="app-body" class="app-body">
                if st.demo {
                    <div id="demo-banner" class="demo-banner" role="note">
                        {"DEMO — synthetic data for training and demonstration only"}
                    </div>
                }
                if let Some(s) = &session {
                    <div class="session-bar">
                        <span id="session-officer">{ format!("{} · {}", s.display_name, s.role.as_str()) }</span>
                        <button id="lock" class="secondary" onclick={lock_button} title="Lock (Ctrl+L)">{"Lock"}</button>
                    </div>
                }
                { body }
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct StatusBarProps {
    status: AppStatus,
}

#[function_component(StatusBar)]
fn status_bar(props: &StatusBarProps) -> Html {
    let (label, class) = match props.status.net {
        NetState::Online => ("Online", "online"),
        NetState::Offline => ("Offline", "offline"),
        NetState::Unknown => ("Checking…", "unknown"),
    };
    let records = match &props.status.session {
        Some(_) => format!("{} people in local cache", props.status.nominal_count),
        None => "Locked".to_string(),
    };
    html! {
        <header class="status-bar">
            <span class="brand">{"Bluelamp"}</span>
            <span class="records">{ records }</span>
            <span id="net-status" class={classes!("net", class)} role="status" aria-live="polite">{label}</span>
            <syncbar::SyncBar status={props.status.clone()} />
        </header>
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
