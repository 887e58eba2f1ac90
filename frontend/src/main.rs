//! Bluelamp's user interface (Yew, client-side rendered, built by trunk).
//!
//! The frontend holds view state only: officer data lives in the encrypted store behind the
//! Tauri commands, never in webview storage (which keeps only this device's choice of day or
//! night display, `display.rs`). While the app is locked it shows nothing but the lock screen.

mod api;
mod audit;
mod cases;
mod conflicts;
mod display;
mod drafts;
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
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

const STATUS_EVERY_MS: u32 = 2_000;

/// When the officer last used the keyboard or mouse, on two clocks, as the backend keeps it:
/// the wall clock runs on while the laptop is suspended; the page's monotonic clock is immune to
/// the wall clock being set back. Idle time is the longer of the two readings.
#[derive(Clone, Copy)]
struct Mark {
    wall: f64,
    mono: f64,
}

fn mono_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or_else(js_sys::Date::now, |p| p.now())
}

impl Mark {
    fn now() -> Mark {
        Mark { wall: js_sys::Date::now(), mono: mono_ms() }
    }

    /// Milliseconds since the mark (a wall clock set back counts as no time; the monotonic
    /// clock still counts).
    fn idle_ms(self) -> f64 {
        let wall = (js_sys::Date::now() - self.wall).max(0.0);
        (mono_ms() - self.mono).max(wall)
    }
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

impl Tab {
    fn label(self) -> &'static str {
        match self {
            Tab::Search => "Search",
            Tab::Incidents => "Incidents",
            Tab::Queue => "Supervisor queue",
            Tab::Victims => "Victims awaiting decision",
            Tab::Duplicates => "Possible duplicates",
            Tab::Audit => "Access log",
        }
    }

    fn dom_id(self) -> &'static str {
        match self {
            Tab::Search => "tab-search",
            Tab::Incidents => "tab-incidents",
            Tab::Queue => "tab-queue",
            Tab::Victims => "tab-victims",
            Tab::Duplicates => "tab-duplicates",
            Tab::Audit => "tab-audit",
        }
    }
}

/// The tabs a role has, in the order shown (Alt+1 is the first).
fn tabs_of(role: bluelamp_protocol::session::Role) -> Vec<Tab> {
    let (search, supervise, audit) = (
        role.allows(Permission::RecordsWork),
        role.allows(Permission::Supervise),
        role.allows(Permission::ReadAuditLog),
    );
    [
        (Tab::Search, search),
        (Tab::Incidents, search),
        (Tab::Queue, supervise),
        (Tab::Victims, search),
        (Tab::Duplicates, search),
        (Tab::Audit, audit),
    ]
    .into_iter()
    .filter_map(|(t, shown)| shown.then_some(t))
    .collect()
}

#[function_component(App)]
fn app() -> Html {
    let status = use_state(|| None::<AppStatus>);
    let lock_message = use_state(|| None::<String>);
    let tab = use_state(|| Tab::Search);
    // The list of keyboard shortcuts (`?`, F1, the Keys button).
    let show_keys = use_state_eq(|| false);
    let theme = use_state(display::stored_theme);
    // An incident to open on the Incidents tab (from a record page's linked incidents).
    let open_incident = use_state(|| None::<String>);
    let last_activity = use_mut_ref(|| Rc::new(Cell::new(Mark::now())));
    let last_activity = last_activity.borrow().clone();

    // The last session opened in this window. While it is locked its screens are not in the page
    // at all; what the officer was typing and where they were are kept in memory (`drafts`, the
    // wizard's answers in the store), and come back when the same officer unlocks. A different
    // officer unlocking gets fresh screens and no drafts.
    let last_session = use_state(|| None::<SessionInfo>);
    let refresh = {
        let (status, last_activity, last_session) = (status.clone(), last_activity.clone(), last_session.clone());
        let (tab, open_incident, lock_message) = (tab.clone(), open_incident.clone(), lock_message.clone());
        Callback::from(move |_: ()| {
            let (status, last_session) = (status.clone(), last_session.clone());
            let (tab, open_incident, lock_message) = (tab.clone(), open_incident.clone(), lock_message.clone());
            // Input that sends no command (typing a long decision) is activity for the backend's
            // idle lock too.
            let idle_ms = last_activity.get().idle_ms() as u64;
            spawn_local(async move {
                if let Ok(s) = api::app_status(Some(idle_ms)).await {
                    if let Some(open) = &s.session {
                        if last_session.as_ref().is_some_and(|l| l.officer_id != open.officer_id) {
                            // Another officer: nothing of the previous one's navigation (an
                            // incident they had open would be opened, and logged, as this one).
                            tab.set(Tab::Search);
                            open_incident.set(None);
                            cases::drop_parked_saves();
                            drafts::clear_all();
                        } else {
                            // The same officer: answers the store refused while it was locked
                            // are still on the screen, and are saved now.
                            cases::resend_parked_saves();
                        }
                        if last_session.as_ref() != Some(open) {
                            last_session.set(Some(open.clone()));
                        }
                    }
                    // Locked: an incident asked for by a record page has been taken to (its
                    // place is kept in the drafts); asked for again at unlock it would override
                    // where the officer had moved on to since, and be read and logged again.
                    if s.session.is_none() && open_incident.is_some() {
                        open_incident.set(None);
                    }
                    // Locked by the backend itself: the lock screen says why. After a wipe
                    // order nothing of the officer's is kept, not even their drafts.
                    if let (None, Some(why)) = (&s.session, s.locked_because) {
                        let text = why.message().to_string();
                        if lock_message.as_deref() != Some(text.as_str()) {
                            lock_message.set(Some(text));
                        }
                        use bluelamp_protocol::status::LockReason;
                        let wipe = matches!(why, LockReason::RemoteWipe | LockReason::RemoteWipePending);
                        if wipe && last_session.is_some() {
                            last_session.set(None);
                            cases::drop_parked_saves();
                            drafts::clear_all();
                        }
                    }
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
            last_activity.set(Mark::now());
            let mut ticks = 0u32;
            let interval = Interval::new(500, move || {
                ticks += 1;
                if let Some(limit) = idle_ms {
                    if last_activity.get().idle_ms() > limit {
                        last_activity.set(Mark::now());
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
        let (last_activity, do_lock) = (last_activity.clone(), do_lock.clone());
        let idle_ms = session.as_ref().map(|s| f64::from(s.idle_lock_secs) * 1000.0);
        Callback::from(move |_: ()| {
            // Input that arrives after the limit has passed (a laptop woken from suspend, before
            // the next idle check) locks rather than counting as activity.
            if idle_ms.is_some_and(|limit| last_activity.get().idle_ms() > limit) {
                last_activity.set(Mark::now());
                do_lock.emit("Locked after a period without activity.".into());
                return;
            }
            last_activity.set(Mark::now())
        })
    };
    // Keys are heard on the whole window, not only inside the app's element: after a click on
    // plain text the focus is on the page body, and Ctrl+L must still lock.
    {
        let (activity, do_lock) = (activity.clone(), do_lock.clone());
        let (tab, open_incident, show_keys) = (tab.clone(), open_incident.clone(), show_keys.clone());
        let role = session.as_ref().map(|s| s.role);
        use_effect_with(role, move |role| {
            // The tabs this officer has (none while locked): Alt+n goes to the n-th.
            let tabs = role.map(tabs_of).unwrap_or_default();
            let listener = web_sys::window().map(|w| {
                // Not passive: Ctrl+L's default (the browser's address bar) is prevented.
                let options = gloo_events::EventListenerOptions::enable_prevent_default();
                gloo_events::EventListener::new_with_options(&w, "keydown", options, move |e| {
                    activity.emit(());
                    let Some(e) = e.dyn_ref::<KeyboardEvent>() else {
                        return;
                    };
                    let target = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
                    let (key, code) = (e.key(), e.code());
                    let press = display::Press {
                        key: &key,
                        code: &code,
                        ctrl: e.ctrl_key(),
                        alt: e.alt_key(),
                        meta: e.meta_key(),
                        typing: display::takes_text(target.as_ref()),
                    };
                    let unlocked = !tabs.is_empty();
                    match display::shortcut(press) {
                        // Ctrl+L locks at once (walking away from the laptop).
                        Some(display::Shortcut::Lock) if unlocked => {
                            e.prevent_default();
                            do_lock.emit("Locked with Ctrl+L.".into());
                        }
                        Some(display::Shortcut::Tab(n)) if n < tabs.len() => {
                            e.prevent_default();
                            show_keys.set(false);
                            open_incident.set(None);
                            tab.set(tabs[n]);
                        }
                        Some(display::Shortcut::Search) if tabs.contains(&Tab::Search) => {
                            e.prevent_default();
                            show_keys.set(false);
                            open_incident.set(None);
                            tab.set(Tab::Search);
                            // Once the search screen is in the page (it may be another tab's turn now).
                            gloo_timers::callback::Timeout::new(0, || {
                                cases::focus_selector("#search");
                            })
                            .forget();
                        }
                        Some(display::Shortcut::Keys) => {
                            e.prevent_default();
                            show_keys.set(true);
                        }
                        Some(display::Shortcut::Close) => show_keys.set(false),
                        _ => {}
                    }
                })
            });
            move || drop(listener)
        });
    }
    let onmousemove = activity.reform(|_: MouseEvent| ());
    let onmousedown = activity.reform(|_: MouseEvent| ());
    // Reading a long record with the trackpad's wheel or a touchscreen is activity too: the
    // screen locked under an officer who was scrolling through it.
    let onwheel = activity.reform(|_: WheelEvent| ());
    let ontouchstart = activity.reform(|_: TouchEvent| ());

    let Some(st) = (*status).clone() else {
        return html! { <div class="app"><p class="hint">{"Starting…"}</p></div> };
    };
    let lock_view = match &session {
        None => {
            let on_unlocked = {
                let (refresh, lock_message) = (refresh.clone(), lock_message.clone());
                Callback::from(move |_| {
                    lock_message.set(None);
                    refresh.emit(());
                })
            };
            let last_officer = last_session.as_ref().map(|s| s.officer_id.clone());
            html! { <lock::LockView {on_unlocked} message={(*lock_message).clone()} {last_officer} /> }
        }
        Some(_) => Html::default(),
    };
    let screens = match &session {
        None => Html::default(),
        Some(s) => {
            let on_locked = {
                let refresh = refresh.clone();
                Callback::from(move |_| refresh.emit(()))
            };
            let can_audit = s.role.allows(Permission::ReadAuditLog);
            let can_search = s.role.allows(Permission::RecordsWork);
            let can_supervise = s.role.allows(Permission::Supervise);
            let tabs = tabs_of(s.role);
            // The tab chosen, if this officer's role has it (another officer may have unlocked).
            let current = [*tab, Tab::Search, Tab::Audit].into_iter().find(|t| tabs.contains(t)).unwrap_or(*tab);
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
                <main key={s.officer_id.clone()}>
                    <nav class="tabs">
                        { for tabs.iter().enumerate().map(|(i, t)| html! {
                            <button id={t.dom_id()} class={classes!((current == *t).then_some("active"))}
                                title={format!("Alt+{}", i + 1)} onclick={set_tab(*t)}>{ t.label() }</button>
                        }) }
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
    let switch_theme = {
        let theme = theme.clone();
        Callback::from(move |_: MouseEvent| {
            let next = theme.other();
            display::apply(next);
            theme.set(next);
        })
    };
    let open_keys = {
        let show_keys = show_keys.clone();
        Callback::from(move |_: MouseEvent| show_keys.set(true))
    };
    let keys_dialog = if *show_keys {
        let on_close = {
            let show_keys = show_keys.clone();
            Callback::from(move |_: ()| show_keys.set(false))
        };
        let tabs = session.as_ref().map(|s| tabs_of(s.role)).unwrap_or_default();
        html! { <display::KeysDialog tabs={tabs.into_iter().map(Tab::label).collect::<Vec<_>>()} {on_close} /> }
    } else {
        Html::default()
    };
    html! {
        <div class="app" {onmousemove} {onmousedown} {onwheel} {ontouchstart}>
            <StatusBar status={st.clone()} />
            // Everything below the status bar scrolls in its own area, so the bar is always on
            // screen and never covers what the officer is working on.
            <div id="app-body" class="app-body">
                if st.demo {
                    <div id="demo-banner" class="demo-banner" role="note">
                        {"DEMO — synthetic data for training and demonstration only"}
                    </div>
                }
                <div class="session-bar">
                    <button id="theme-toggle" class="secondary small" onclick={switch_theme}
                        title="A light display for daylight, a dark one for night">{ theme.switch_label() }</button>
                    <button id="show-keys" class="secondary small" onclick={open_keys}
                        title="Keyboard shortcuts (? or F1)">{"Keys"}</button>
                    if let Some(s) = &session {
                        <span id="session-officer">{ format!("{} · {}", s.display_name, s.role.as_str()) }</span>
                        <button id="lock" class="secondary" onclick={lock_button} title="Lock (Ctrl+L)">{"Lock"}</button>
                    }
                </div>
                { lock_view }
                { keys_dialog }
                // Locked: no screen is in the page (nothing of a record to read in the page,
                // hidden or not); they are built again when the officer unlocks.
                <div id="screens">
                    { screens }
                </div>
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
            // Keyed by the officer (none while locked): the lists and the Conflicts view one
            // officer opened are not shown, nor logged as viewed, for the next.
            <syncbar::SyncBar key={props.status.session.as_ref().map(|s| s.officer_id.clone()).unwrap_or_default()}
                status={props.status.clone()} />
        </header>
    }
}

fn main() {
    // The display this device chose, before the first paint.
    display::apply(display::stored_theme());
    yew::Renderer::<App>::new().render();
}
