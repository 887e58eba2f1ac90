//! The lock screen: the only thing shown until an officer unlocks.

use bluelamp_protocol::session::{LockScreen, UnlockRequest};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::api;

/// After this long, the lock screen explains why unlocking is taking a while.
const SLOW_UNLOCK_MS: u32 = 4_000;

#[derive(Properties, PartialEq)]
pub struct LockProps {
    /// Called after a successful unlock.
    pub on_unlocked: Callback<()>,
    pub message: Option<String>,
    /// Who was signed in when the app locked: chosen again (the officer who walked away is the
    /// one most likely to come back; the box was empty, or the list showed its first officer).
    #[prop_or_default]
    pub last_officer: Option<String>,
}

#[function_component(LockView)]
pub fn lock_view(props: &LockProps) -> Html {
    let screen = use_state(|| None::<LockScreen>);
    let officer = use_state(|| props.last_officer.clone().unwrap_or_default());
    let passphrase = use_state(String::new);
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    // Set when an unlock has taken a few seconds (e.g. search keys rebuilt after an update).
    let slow = use_state(|| false);
    // The lock screen takes the keyboard focus (autofocus only works on a page's first load):
    // nothing typed at a locked laptop goes to the hidden screens behind it.
    // When the screen arrives: the officer box if it is empty (no list, nobody signed in
    // before), else the passphrase. Only then: typing in the officer box must not move the
    // focus away from it.
    {
        let ask_officer = officer.is_empty() && screen.as_ref().is_some_and(|s| s.officers.is_empty());
        use_effect_with(screen.is_some(), move |_| {
            crate::cases::focus_selector(if ask_officer { "#officer-id" } else { "#passphrase" });
        });
    }
    {
        let screen = screen.clone();
        let officer = officer.clone();
        let last = props.last_officer.clone();
        use_effect_with((), move |_| {
            spawn_local(async move {
                if let Ok(s) = api::lock_screen().await {
                    if let Some(o) = initial_officer(&s, last.as_deref()) {
                        officer.set(o);
                    }
                    screen.set(Some(s));
                }
            });
        });
    }
    let onsubmit = {
        let (officer, passphrase, error, busy, slow, done) =
            (officer.clone(), passphrase.clone(), error.clone(), busy.clone(), slow.clone(), props.on_unlocked.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let req = UnlockRequest { officer_id: (*officer).clone(), passphrase: (*passphrase).clone() };
            if let Err(e) = req.validate() {
                error.set(Some(e.message));
                return;
            }
            let (passphrase, error, busy, done) = (passphrase.clone(), error.clone(), busy.clone(), done.clone());
            busy.set(true);
            let finished = std::rc::Rc::new(std::cell::Cell::new(false));
            {
                let (slow, finished) = (slow.clone(), finished.clone());
                spawn_local(async move {
                    gloo_timers::future::TimeoutFuture::new(SLOW_UNLOCK_MS).await;
                    if !finished.get() {
                        slow.set(true);
                    }
                });
            }
            let slow = slow.clone();
            spawn_local(async move {
                let result = api::unlock(&req).await;
                finished.set(true);
                slow.set(false);
                busy.set(false);
                match result {
                    Ok(_) => {
                        passphrase.set(String::new());
                        error.set(None);
                        done.emit(());
                    }
                    Err(e) => {
                        passphrase.set(String::new());
                        error.set(Some(e.message));
                    }
                }
            });
        })
    };
    let on_officer = {
        let officer = officer.clone();
        Callback::from(move |e: Event| officer.set(e.target_unchecked_into::<HtmlSelectElement>().value()))
    };
    let on_officer_id = {
        let officer = officer.clone();
        Callback::from(move |e: InputEvent| {
            officer.set(e.target_unchecked_into::<HtmlInputElement>().value().trim().to_string())
        })
    };
    let on_pass = {
        let passphrase = passphrase.clone();
        Callback::from(move |e: InputEvent| passphrase.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let officers = screen.as_ref().map(|s| s.officers.clone()).unwrap_or_default();
    let demo = screen.as_ref().is_some_and(|s| s.demo);
    html! {
        <div class="lock-screen">
            <form id="unlock-form" class="lock-card" {onsubmit}>
                <h1>{"Bluelamp is locked"}</h1>
                if let Some(m) = &props.message {
                    <p id="lock-reason" class="hint">{ m }</p>
                }
                if officers.is_empty() {
                    <label for="officer-id">{"Officer ID"}</label>
                    <input id="officer-id" type="text" autocomplete="username" value={(*officer).clone()}
                        oninput={on_officer_id} />
                    <p class="hint">{"First time on this device, or locked after too many tries? Bluelamp checks your passphrase with the central service (you need a connection once)."}</p>
                } else {
                    <label for="officer">{"Officer"}</label>
                    <select id="officer" onchange={on_officer}>
                        { for officers.iter().map(|o| html! {
                            <option value={o.officer_id.clone()} selected={*officer == o.officer_id}>
                                { format!("{} ({})", o.display_name, o.role.as_str()) }
                            </option>
                        }) }
                    </select>
                }
                <label for="passphrase">{"Passphrase"}</label>
                <input id="passphrase" type="password" autocomplete="current-password" autofocus=true
                    value={(*passphrase).clone()} oninput={on_pass} />
                if let Some(e) = &*error {
                    <p id="unlock-error" class="error" role="alert">{ e }</p>
                }
                <button id="unlock" type="submit" disabled={*busy}>{ if *busy { "Unlocking…" } else { "Unlock" } }</button>
                if *busy && *slow {
                    <p id="unlock-slow" class="hint" role="status">
                        { "Still unlocking. The first unlock after an update prepares the search index again: up to a minute for a large local cache. Your data is safe; please wait." }
                    </p>
                }
                if demo {
                    <p class="hint">{"Demo: every demo officer's passphrase is bluelamp-demo (synthetic data only)."}</p>
                }
            </form>
        </div>
    }
}

/// The officer chosen when the lock screen opens: the one who was signed in if the list has
/// them (or there is no list), else the list's first.
fn initial_officer(s: &LockScreen, last: Option<&str>) -> Option<String> {
    match last {
        Some(l) if s.officers.is_empty() || s.officers.iter().any(|o| o.officer_id == l) => Some(l.to_string()),
        _ => s.officers.first().map(|o| o.officer_id.clone()),
    }
}

#[cfg(test)]
mod tests {
    use bluelamp_protocol::session::{LockScreen, OfficerChoice, Role};

    #[test]
    fn the_officer_who_was_signed_in_is_chosen_again() {
        let o = |id: &str| OfficerChoice { officer_id: id.into(), display_name: id.into(), role: Role::Officer };
        let list = LockScreen { officers: vec![o("a"), o("b")], demo: true, unlocked: None };
        assert_eq!(super::initial_officer(&list, Some("b")).as_deref(), Some("b"));
        assert_eq!(super::initial_officer(&list, None).as_deref(), Some("a"));
        assert_eq!(super::initial_officer(&list, Some("gone")).as_deref(), Some("a"));
        let none = LockScreen { officers: vec![], demo: false, unlocked: None };
        assert_eq!(super::initial_officer(&none, Some("PC1")).as_deref(), Some("PC1"));
        assert_eq!(super::initial_officer(&none, None), None);
    }
}
