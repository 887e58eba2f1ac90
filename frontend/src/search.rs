//! Nominal search: search as you type (debounced), keyboard-first (arrows move, Enter opens,
//! Esc clears), a purpose asked before a record opens (it is written to the access log).

use std::cell::RefCell;
use std::rc::Rc;

use bluelamp_protocol::session::PURPOSES;
use bluelamp_protocol::{ApiError, ErrorCode, NominalHit, SearchRequest, Source, ViewNominalRequest};
use gloo_timers::callback::Timeout;
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::api;

const SEARCH_DEBOUNCE_MS: u32 = 200;

#[derive(Properties, PartialEq)]
pub struct SearchProps {
    /// Called when a command says the app is locked.
    pub on_locked: Callback<()>,
}

/// Age in whole years at `today` (`YYYY-MM-DD` strings).
pub fn age(dob: &str, today: &str) -> Option<u32> {
    let p = |s: &str, r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    let (by, bm, bd) = (p(dob, 0..4)?, p(dob, 5..7)?, p(dob, 8..10)?);
    let (ty, tm, td) = (p(today, 0..4)?, p(today, 5..7)?, p(today, 8..10)?);
    let before_birthday = (tm, td) < (bm, bd);
    ty.checked_sub(by)?.checked_sub(u32::from(before_birthday))
}

fn today() -> String {
    let d = js_sys::Date::new_0();
    format!("{:04}-{:02}-{:02}", d.get_full_year(), d.get_month() + 1, d.get_date())
}

#[function_component(SearchView)]
pub fn search_view(props: &SearchProps) -> Html {
    let query = use_state(String::new);
    let results = use_state(|| None::<Result<Vec<NominalHit>, ApiError>>);
    let selected = use_state(|| 0usize);
    let opening = use_state(|| None::<NominalHit>); // purpose prompt open for this hit
    let purpose = use_state(|| PURPOSES[0].0.to_string()); // remembered for the task at hand
    let viewing = use_state(|| None::<Result<NominalHit, ApiError>>);
    let creating = use_state(|| false); // the "New person" form is open
    let pending = use_mut_ref(|| None::<Timeout>);
    let generation = use_mut_ref(|| 0u64);

    let run_search = {
        let (results, selected, pending, generation, on_locked) =
            (results.clone(), selected.clone(), pending.clone(), generation.clone(), props.on_locked.clone());
        move |text: String| {
            let mine = {
                let mut g = generation.borrow_mut();
                *g += 1;
                *g
            };
            if text.trim().is_empty() {
                *pending.borrow_mut() = None;
                results.set(None);
                return;
            }
            let (results, selected, on_locked) = (results.clone(), selected.clone(), on_locked.clone());
            let generation: Rc<RefCell<u64>> = generation.clone();
            // Replacing the pending timeout cancels the previous keystroke's search.
            *pending.borrow_mut() = Some(Timeout::new(SEARCH_DEBOUNCE_MS, move || {
                spawn_local(async move {
                    let req = SearchRequest::free_text(&text);
                    let outcome = match req.validate() {
                        Ok(()) => api::search_nominals(&req).await,
                        Err(e) => Err(e),
                    };
                    if matches!(&outcome, Err(e) if e.code == ErrorCode::Locked) {
                        on_locked.emit(());
                    }
                    // Only the newest query may paint its results.
                    if *generation.borrow() == mine {
                        selected.set(0);
                        results.set(Some(outcome));
                    }
                });
            }));
        }
    };

    let open = {
        let opening = opening.clone();
        Callback::from(move |hit: NominalHit| opening.set(Some(hit)))
    };
    let confirm_open = {
        let (opening, purpose, viewing, on_locked) =
            (opening.clone(), purpose.clone(), viewing.clone(), props.on_locked.clone());
        Callback::from(move |_| {
            let Some(hit) = (*opening).clone() else { return };
            let req = ViewNominalRequest { id: hit.id.clone(), purpose: (*purpose).clone() };
            let (opening, viewing, on_locked) = (opening.clone(), viewing.clone(), on_locked.clone());
            spawn_local(async move {
                let r = api::view_nominal(&req).await;
                if matches!(&r, Err(e) if e.code == ErrorCode::Locked) {
                    on_locked.emit(());
                }
                opening.set(None);
                viewing.set(Some(r));
            });
        })
    };

    let oninput = {
        let (query, run_search) = (query.clone(), run_search.clone());
        Callback::from(move |e: InputEvent| {
            let value = e.target_unchecked_into::<HtmlInputElement>().value();
            query.set(value.clone());
            run_search(value);
        })
    };
    let onkeydown = {
        let (query, results, selected, open) = (query.clone(), results.clone(), selected.clone(), open.clone());
        Callback::from(move |e: KeyboardEvent| {
            let n = match &*results {
                Some(Ok(h)) => h.len(),
                _ => 0,
            };
            match e.key().as_str() {
                "Escape" => {
                    query.set(String::new());
                    run_search(String::new());
                }
                "ArrowDown" if n > 0 => {
                    e.prevent_default();
                    selected.set((*selected + 1).min(n - 1));
                }
                "ArrowUp" if n > 0 => {
                    e.prevent_default();
                    selected.set(selected.saturating_sub(1));
                }
                "Enter" => {
                    if let Some(Ok(hits)) = &*results {
                        if let Some(h) = hits.get(*selected) {
                            open.emit(h.clone());
                        }
                    }
                }
                _ => {}
            }
        })
    };

    let purpose_dialog = match &*opening {
        Some(hit) => html! {
            <PurposeDialog hit={hit.clone()} purpose={(*purpose).clone()}
                on_purpose={ let p = purpose.clone(); Callback::from(move |v: String| p.set(v)) }
                on_confirm={confirm_open.clone()}
                on_cancel={ let o = opening.clone(); Callback::from(move |_| o.set(None)) } />
        },
        None => html! {},
    };
    if *creating && viewing.is_none() {
        let on_created = {
            let (creating, viewing) = (creating.clone(), viewing.clone());
            Callback::from(move |hit: NominalHit| {
                creating.set(false);
                viewing.set(Some(Ok(hit)));
            })
        };
        let on_cancel = {
            let creating = creating.clone();
            Callback::from(move |_| creating.set(false))
        };
        return html! {
            <section class="search">
                <crate::people::NewPersonForm initial={(*query).clone()} on_locked={props.on_locked.clone()}
                    on_open={open.clone()} {on_created} {on_cancel} />
                { purpose_dialog }
            </section>
        };
    }

    if let Some(v) = &*viewing {
        let back = {
            let (viewing, creating) = (viewing.clone(), creating.clone());
            Callback::from(move |_| {
                creating.set(false);
                viewing.set(None);
            })
        };
        return html! { <NominalView result={v.clone()} on_back={back} /> };
    }

    let today = today();
    html! {
        <section class="search">
            <label for="search" class="search-label">{"Find a person"}</label>
            <input id="search" type="search" autocomplete="off" spellcheck="false" autofocus=true
                placeholder="Name, e.g. bill smyth — arrows to move, Enter to open, Esc to clear"
                value={(*query).clone()} {oninput} {onkeydown} />
            { render_results(&results, *selected, &today, &open) }
            <div class="new-person-entry">
                <button id="new-person-open" class="secondary"
                    onclick={ let c = creating.clone(); Callback::from(move |_: MouseEvent| c.set(true)) }>
                    {"New person…"}
                </button>
            </div>
            { purpose_dialog }
        </section>
    }
}

fn render_results(
    results: &Option<Result<Vec<NominalHit>, ApiError>>,
    selected: usize,
    today: &str,
    open: &Callback<NominalHit>,
) -> Html {
    match results {
        None => html! { <p class="hint">{"Type a name to search the local cache (current and legacy records)."}</p> },
        Some(Err(e)) => html! { <p id="search-error" class="error" role="alert">{ &e.message }</p> },
        Some(Ok(hits)) if hits.is_empty() => html! {
            <p id="no-results" class="hint">
                {"No one found. Try fewer letters, a wildcard (SMI*), or leave out the date of birth."}
            </p>
        },
        Some(Ok(hits)) => html! {
            <ul id="results" class="results" role="listbox">
                { for hits.iter().enumerate().map(|(i, h)| render_hit(h, i == selected, today, open)) }
            </ul>
        },
    }
}

fn render_hit(h: &NominalHit, selected: bool, today: &str, open: &Callback<NominalHit>) -> Html {
    let onclick = {
        let (open, h) = (open.clone(), h.clone());
        Callback::from(move |_| open.emit(h.clone()))
    };
    let dob = match h.date_of_birth.as_deref() {
        Some(d) => match age(d, today) {
            Some(a) => format!("{d} ({a})"),
            None => d.to_string(),
        },
        None => "DOB unknown".into(),
    };
    html! {
        <li class={classes!("result", selected.then_some("selected"))} data-id={h.id.clone()}
            role="option" aria-selected={selected.to_string()} {onclick}>
            <span class="name">{ format!("{} {}", h.surname.to_uppercase(), h.given_name) }</span>
            <span class="dob">{ dob }</span>
            <span class="sex">{ h.sex.clone().unwrap_or_default() }</span>
            <span class="address">{ format!("{} {}", h.address.clone().unwrap_or_default(), h.postcode.clone().unwrap_or_default()) }</span>
            if h.source == Source::Legacy {
                <span class="badge legacy" title="Imported from the legacy system">{"LEGACY"}</span>
            }
            if h.provisional {
                <span class="badge provisional" title="Created on this device; not yet confirmed by the central service">{"PROVISIONAL"}</span>
            }
            <span class="reasons">{ h.reasons.join(" · ") }</span>
        </li>
    }
}

#[derive(Properties, PartialEq)]
struct PurposeProps {
    hit: NominalHit,
    purpose: String,
    on_purpose: Callback<String>,
    on_confirm: Callback<()>,
    on_cancel: Callback<()>,
}

#[function_component(PurposeDialog)]
fn purpose_dialog(p: &PurposeProps) -> Html {
    let onchange = {
        let cb = p.on_purpose.clone();
        Callback::from(move |e: Event| cb.emit(e.target_unchecked_into::<HtmlSelectElement>().value()))
    };
    let confirm = p.on_confirm.reform(|_: MouseEvent| ());
    let cancel = p.on_cancel.reform(|_: MouseEvent| ());
    html! {
        <div id="purpose-dialog" class="dialog" role="dialog" aria-modal="true">
            <h2>{ format!("Open {} {}", p.hit.given_name, p.hit.surname) }</h2>
            <label for="purpose">{"Why are you opening this record? (recorded in the access log)"}</label>
            <select id="purpose" {onchange}>
                { for PURPOSES.iter().map(|(code, label)| html! {
                    <option value={*code} selected={p.purpose == *code}>{ *label }</option>
                }) }
            </select>
            <div class="actions">
                <button id="purpose-open" onclick={confirm}>{"Open record"}</button>
                <button class="secondary" onclick={cancel}>{"Cancel"}</button>
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct NominalProps {
    result: Result<NominalHit, ApiError>,
    on_back: Callback<()>,
}

#[function_component(NominalView)]
fn nominal_view(p: &NominalProps) -> Html {
    let back = p.on_back.reform(|_: MouseEvent| ());
    let body = match &p.result {
        Err(e) => html! { <p class="error" role="alert">{ &e.message }</p> },
        Ok(n) => html! {
            <>
                <h2 id="nominal-name">{ format!("{} {}", n.surname.to_uppercase(), n.given_name) }
                    if n.provisional {
                        <span id="nominal-provisional" class="badge provisional"
                            title="Created on this device; not yet confirmed by the central service">{"PROVISIONAL"}</span>
                    }
                </h2>
                <section class="markers">
                    <h3>{"Warning markers"}</h3>
                    <p class="hint">{"No warning markers held in the local cache."}</p>
                </section>
                <dl class="facts">
                    <dt>{"Date of birth"}</dt>
                    <dd>{ n.date_of_birth.clone().unwrap_or_else(|| "unknown".into()) }</dd>
                    <dt>{"Sex"}</dt><dd>{ n.sex.clone().unwrap_or_else(|| "unknown".into()) }</dd>
                    <dt>{"Address"}</dt>
                    <dd>{ format!("{} {}", n.address.clone().unwrap_or_default(), n.postcode.clone().unwrap_or_default()) }</dd>
                    <dt>{"Source"}</dt>
                    <dd>{ if n.source == Source::Legacy { "Legacy system" } else { "Current system" } }</dd>
                    <dt>{"Record id"}</dt><dd>{ &n.id }</dd>
                </dl>
            </>
        },
    };
    html! {
        <section id="nominal-detail" class="nominal">
            <button class="secondary" onclick={back}>{"← Back to results"}</button>
            { body }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::age;

    #[test]
    fn ages() {
        assert_eq!(age("1984-03-12", "2026-03-11"), Some(41));
        assert_eq!(age("1984-03-12", "2026-03-12"), Some(42));
        assert_eq!(age("2030-01-01", "2026-03-12"), None);
        assert_eq!(age("bad", "2026-03-12"), None);
    }
}
