//! Nominal search: search as you type (debounced), keyboard-first (arrows move, Enter opens,
//! Esc clears the name, and on an empty box the filters), DOB / age / sex filters with
//! one-click widenings when nothing matches, a purpose asked before a record opens (it is
//! written to the access log).

use std::cell::RefCell;
use std::rc::Rc;

use bluelamp_protocol::nominal::{marker_label, NominalPage};
use bluelamp_protocol::session::PURPOSES;
use bluelamp_protocol::widen::{
    dob_typed_in_name, is_weak_match, narrowing_hint, script_note, should_widen, widenings, SearchFilters,
};
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
    /// Opens an incident (by id) on the Incidents tab, from a record page's linked incidents.
    #[prop_or_default]
    pub on_open_incident: Option<Callback<String>>,
}

/// Age in whole years at `today` (`YYYY-MM-DD` strings).
pub fn age(dob: &str, today: &str) -> Option<u32> {
    let p = |s: &str, r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    let (by, bm, bd) = (p(dob, 0..4)?, p(dob, 5..7)?, p(dob, 8..10)?);
    let (ty, tm, td) = (p(today, 0..4)?, p(today, 5..7)?, p(today, 8..10)?);
    let before_birthday = (tm, td) < (bm, bd);
    ty.checked_sub(by)?.checked_sub(u32::from(before_birthday))
}

/// Today as the store's search sees it (the UTC date, `bluelamp_store::today`): ages on the
/// rows and the screen's "does any hit meet the filter" check must agree with the ranking, which
/// local time would not between midnight and 01:00 in British Summer Time.
fn today() -> String {
    let d = js_sys::Date::new_0();
    format!("{:04}-{:02}-{:02}", d.get_utc_full_year(), d.get_utc_month() + 1, d.get_utc_date())
}

/// The search as typed, kept while the officer looks at another tab (see `drafts`). The record
/// page open is not kept: opening it again asks for the purpose again, and is logged again.
#[derive(Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct SearchDraft {
    query: String,
    dob: String,
    age: String,
    sex: String,
    typed_dob: String,
    typed_age: String,
    creating: bool,
}

const SEARCH_DRAFT: &str = "search";

fn element(id: &str) -> Option<web_sys::Element> {
    web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(id))
}

#[function_component(SearchView)]
pub fn search_view(props: &SearchProps) -> Html {
    let kept = use_memo((), |_| crate::drafts::get::<SearchDraft>(SEARCH_DRAFT).unwrap_or_default());
    let query = use_state(|| kept.query.clone());
    let results = use_state(|| None::<Result<Vec<NominalHit>, ApiError>>);
    let filters = use_state(|| SearchFilters { dob: kept.dob.clone(), age: kept.age.clone(), sex: kept.sex.clone() });
    // The DOB and age boxes as typed; applied to `filters` when the box is left. Kept in state
    // because Yew sets an input's value from the page's description on every render where the
    // two differ: bound to `filters` alone, the box went back to its last applied value at any
    // render while the officer typed (the status poll re-renders every 2 s), and the first
    // digits of a date were lost (found by an E2E run, 6 Dec 2026).
    let typed_dob = use_state(|| kept.typed_dob.clone());
    let typed_age = use_state(|| kept.typed_age.clone());
    let ran = use_state(|| None::<SearchRequest>); // the request whose results are shown
    let selected = use_state(|| 0usize);
    // The purpose prompt is open for this hit.
    let opening = use_state(|| None::<NominalHit>);
    // Remembered for the task at hand, but never pre-chosen: the access log records the reason
    // the officer gave, not a default nobody picked.
    let purpose = use_state(String::new);
    let confirming = use_state(|| false); // an open request in flight: one log entry per click
                                          // Bumped by each open request and by Cancel: the answer to an open the officer cancelled
                                          // while it was in flight is dropped, not shown.
    let open_ticket = use_mut_ref(|| 0u64);
    let viewing = use_state(|| None::<Result<NominalPage, ApiError>>);
    let creating = use_state(|| kept.creating); // the "New person" form is open
    let pending = use_mut_ref(|| None::<Timeout>);
    let generation = use_mut_ref(|| 0u64);
    // Enter pressed before the debounced search of what is typed has answered: its first hit
    // is opened (the purpose prompt) when the answer comes. Any later keystroke cancels it.
    let enter_pending = use_mut_ref(|| false);

    let run_search = {
        let (results, ran, selected, pending, generation, on_locked) = (
            results.clone(),
            ran.clone(),
            selected.clone(),
            pending.clone(),
            generation.clone(),
            props.on_locked.clone(),
        );
        let (enter_pending, opening, open_ticket, confirming) =
            (enter_pending.clone(), opening.clone(), open_ticket.clone(), confirming.clone());
        move |text: String, filters: SearchFilters| {
            *enter_pending.borrow_mut() = false;
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
            let (results, ran, selected, on_locked) =
                (results.clone(), ran.clone(), selected.clone(), on_locked.clone());
            let (enter_pending, opening, open_ticket, confirming) =
                (enter_pending.clone(), opening.clone(), open_ticket.clone(), confirming.clone());
            let generation: Rc<RefCell<u64>> = generation.clone();
            // Replacing the pending timeout cancels the previous keystroke's search.
            *pending.borrow_mut() = Some(Timeout::new(SEARCH_DEBOUNCE_MS, move || {
                spawn_local(async move {
                    let req = filters.request(&text);
                    let outcome = match &req {
                        Ok(req) => api::search_nominals(req).await,
                        Err(e) => Err(e.clone()),
                    };
                    if matches!(&outcome, Err(e) if e.code == ErrorCode::Locked) {
                        on_locked.emit(());
                    }
                    // Only the newest query may paint its results.
                    if *generation.borrow() == mine {
                        let first = match &outcome {
                            Ok(hits) => hits.first().cloned(),
                            Err(_) => None,
                        };
                        if std::mem::take(&mut *enter_pending.borrow_mut()) {
                            if let Some(hit) = first {
                                // As `open` does: a new prompt abandons any open in flight.
                                *open_ticket.borrow_mut() += 1;
                                confirming.set(false);
                                opening.set(Some(hit));
                            }
                        }
                        selected.set(0);
                        ran.set(req.ok());
                        results.set(Some(outcome));
                    }
                });
            }));
        }
    };

    // Keyboard first: the box has the focus whenever the list is shown: on this tab, and back
    // from a record page or the New person form (`autofocus` acts only on the page's first
    // load, which the lock screen's passphrase box has had).
    use_effect_with(viewing.is_none() && !*creating, |list_shown| {
        if *list_shown {
            if let Some(el) =
                element("search").and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
            {
                let _ = el.focus();
            }
        }
    });
    // The row the arrows reach stays in view.
    use_effect_with(*selected, |i| {
        if let Some(el) = element(&format!("result-{i}")) {
            let opts = web_sys::ScrollIntoViewOptions::new();
            opts.set_block(web_sys::ScrollLogicalPosition::Nearest);
            el.scroll_into_view_with_scroll_into_view_options(&opts);
        }
    });
    // Back on this tab with a search kept: its results again (a new search, logged as one).
    {
        let (run_search, kept) = (run_search.clone(), kept.clone());
        let filters = (*filters).clone();
        use_effect_with((), move |_| {
            if !kept.query.trim().is_empty() {
                run_search(kept.query.clone(), filters);
            }
        });
    }
    crate::drafts::put(
        SEARCH_DRAFT,
        &SearchDraft {
            query: (*query).clone(),
            dob: filters.dob.clone(),
            age: filters.age.clone(),
            sex: filters.sex.clone(),
            typed_dob: (*typed_dob).clone(),
            typed_age: (*typed_age).clone(),
            creating: *creating,
        },
    );

    // A new purpose prompt (or Cancel, below) abandons any open still in flight: its answer is
    // dropped, and the new prompt can be confirmed at once.
    let abandon_open = {
        let (open_ticket, confirming) = (open_ticket.clone(), confirming.clone());
        move || {
            *open_ticket.borrow_mut() += 1;
            confirming.set(false);
        }
    };
    let open = {
        let (opening, abandon_open) = (opening.clone(), abandon_open.clone());
        Callback::from(move |hit: NominalHit| {
            abandon_open();
            opening.set(Some(hit))
        })
    };
    let confirm_open = {
        let (opening, purpose, viewing, on_locked, confirming, open_ticket) = (
            opening.clone(),
            purpose.clone(),
            viewing.clone(),
            props.on_locked.clone(),
            confirming.clone(),
            open_ticket.clone(),
        );
        Callback::from(move |_| {
            let Some(hit) = (*opening).clone() else { return };
            if *confirming || purpose.is_empty() {
                return;
            }
            confirming.set(true);
            let ticket = {
                let mut t = open_ticket.borrow_mut();
                *t += 1;
                *t
            };
            let req = ViewNominalRequest { id: hit.id.clone(), purpose: (*purpose).clone() };
            let (opening, viewing, on_locked, confirming, open_ticket) =
                (opening.clone(), viewing.clone(), on_locked.clone(), confirming.clone(), open_ticket.clone());
            spawn_local(async move {
                let r = api::view_nominal(&req).await;
                if matches!(&r, Err(e) if e.code == ErrorCode::Locked) {
                    on_locked.emit(());
                }
                if *open_ticket.borrow() != ticket {
                    return; // abandoned while in flight (the store has logged the read)
                }
                confirming.set(false);
                opening.set(None);
                viewing.set(Some(r));
            });
        })
    };

    let oninput = {
        let (query, filters, run_search) = (query.clone(), filters.clone(), run_search.clone());
        Callback::from(move |e: InputEvent| {
            let value = e.target_unchecked_into::<HtmlInputElement>().value();
            query.set(value.clone());
            run_search(value, (*filters).clone());
        })
    };
    // A filter changed, or a widening was clicked: run the search again with the new filters.
    // New filters, shown in their boxes, and the search run again for `text`.
    let apply_filters = {
        let (filters, typed_dob, typed_age, run_search) =
            (filters.clone(), typed_dob.clone(), typed_age.clone(), run_search.clone());
        move |text: String, f: SearchFilters| {
            typed_dob.set(f.dob.clone());
            typed_age.set(f.age.clone());
            filters.set(f.clone());
            run_search(text, f);
        }
    };
    let set_filters = {
        let (query, apply_filters) = (query.clone(), apply_filters.clone());
        Callback::from(move |f: SearchFilters| apply_filters((*query).clone(), f))
    };
    let typing = |typed: &UseStateHandle<String>| {
        let typed = typed.clone();
        Callback::from(move |e: InputEvent| typed.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let filter_input = |field: fn(&mut SearchFilters) -> &mut String| {
        let (filters, set_filters) = (filters.clone(), set_filters.clone());
        Callback::from(move |e: Event| {
            let mut f = (*filters).clone();
            *field(&mut f) = e.target_unchecked_into::<HtmlInputElement>().value();
            set_filters.emit(f);
        })
    };
    let on_sex = {
        let (filters, set_filters) = (filters.clone(), set_filters.clone());
        Callback::from(move |e: Event| {
            let sex = e.target_unchecked_into::<HtmlSelectElement>().value();
            set_filters.emit(SearchFilters { sex, ..(*filters).clone() });
        })
    };
    // A date typed into the name box moves to the DOB filter in one click.
    // The button goes with the date: the focus goes back to the box, where the keys work.
    let use_dob = {
        let (query, filters) = (query.clone(), filters.clone());
        Callback::from(move |(dob, rest): (String, String)| {
            query.set(rest.clone());
            apply_filters(rest, SearchFilters { dob, ..(*filters).clone() });
            crate::cases::focus_selector("#search");
        })
    };
    let onkeydown = {
        let (query, filters, results, ran, selected, open) =
            (query.clone(), filters.clone(), results.clone(), ran.clone(), selected.clone(), open.clone());
        let (typed_dob, typed_age, enter_pending) = (typed_dob.clone(), typed_age.clone(), enter_pending.clone());
        Callback::from(move |e: KeyboardEvent| {
            let n = match &*results {
                Some(Ok(h)) => h.len(),
                _ => 0,
            };
            match e.key().as_str() {
                // Esc clears the name; Esc on an empty box clears the DOB, age and sex filters
                // too, so that the next person is not searched with the last one's.
                "Escape" if query.trim().is_empty() => {
                    filters.set(SearchFilters::default());
                    typed_dob.set(String::new());
                    typed_age.set(String::new());
                    run_search(String::new(), SearchFilters::default());
                }
                "Escape" => {
                    query.set(String::new());
                    run_search(String::new(), (*filters).clone());
                }
                "ArrowDown" if n > 0 => {
                    e.prevent_default();
                    selected.set((*selected + 1).min(n - 1));
                }
                "ArrowUp" if n > 0 => {
                    e.prevent_default();
                    selected.set(selected.saturating_sub(1));
                }
                // Only the rows of what is typed now: Enter pressed straight after typing, before
                // the debounced search has answered, would otherwise open a hit of the previous
                // text (and log a consultation of the wrong person).
                "Enter" if filters.request(&query).ok() == *ran => {
                    if let Some(Ok(hits)) = &*results {
                        if let Some(h) = hits.get(*selected) {
                            open.emit(h.clone());
                        }
                    }
                }
                // The search of what is typed has not answered yet: open its first hit when it
                // does (pressing Enter again is not needed).
                "Enter" if !query.trim().is_empty() => *enter_pending.borrow_mut() = true,
                _ => {}
            }
        })
    };

    let purpose_dialog = match &*opening {
        Some(hit) => html! {
            <PurposeDialog hit={hit.clone()} purpose={(*purpose).clone()} busy={*confirming}
                on_purpose={ let p = purpose.clone(); Callback::from(move |v: String| p.set(v)) }
                on_confirm={confirm_open.clone()}
                on_cancel={
                    let (o, abandon_open) = (opening.clone(), abandon_open.clone());
                    Callback::from(move |_| {
                        abandon_open();
                        o.set(None)
                    })
                } />
        },
        None => html! {},
    };
    if *creating && viewing.is_none() {
        let on_created = {
            let (creating, viewing) = (creating.clone(), viewing.clone());
            Callback::from(move |hit: NominalHit| {
                // Forgotten in the kept search too, not only at the next render: an officer who
                // left the tab (or whose window locked) while the save was in flight would
                // otherwise come back to an empty New person form.
                if let Some(mut kept) = crate::drafts::get::<SearchDraft>(SEARCH_DRAFT) {
                    kept.creating = false;
                    crate::drafts::put(SEARCH_DRAFT, &kept);
                }
                creating.set(false);
                // A person just created here has no markers, addresses or incidents yet.
                viewing.set(Some(Ok(NominalPage {
                    nominal: hit,
                    warning_markers: Vec::new(),
                    aliases: Vec::new(),
                    addresses: Vec::new(),
                    incidents: Vec::new(),
                })));
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
        // Back to where the record was opened from: the list, or the New person form when the
        // officer opened a likely match to check it (`creating` is still set; a person just
        // saved has cleared it), with what they had typed there.
        let back = {
            let viewing = viewing.clone();
            Callback::from(move |_| viewing.set(None))
        };
        return html! {
            <crate::nominal::NominalPageView result={v.clone()} today={today()} on_back={back}
                on_open_incident={props.on_open_incident.clone()} />
        };
    }

    let today = today();
    // As with the DOB button: the widenings go once the search is wider, so the box has the focus.
    let widen = {
        let set_filters = set_filters.clone();
        Callback::from(move |req: SearchRequest| {
            set_filters.emit(SearchFilters::from_request(&req));
            crate::cases::focus_selector("#search");
        })
    };
    html! {
        <section class="search">
            <label for="search" class="search-label">{"Find a person"}</label>
            <input id="search" type="search" autocomplete="off" spellcheck="false" autofocus=true
                placeholder="Name, e.g. bill smyth — arrows to move, Enter to open, Esc to clear (twice: filters too)"
                value={(*query).clone()} {oninput} {onkeydown}
                aria-controls="results" aria-activedescendant={matches!(&*results, Some(Ok(h)) if !h.is_empty()).then(|| format!("result-{}", *selected))} />
            <div class="filters search-filters">
                <input id="search-dob" type="text" autocomplete="off" placeholder="DOB, year or 1984±5"
                    aria-label="Date of birth, year of birth or year with a range" value={(*typed_dob).clone()}
                    oninput={typing(&typed_dob)} onchange={filter_input(|f| &mut f.dob)} />
                <input id="search-age" type="text" autocomplete="off" placeholder="Age, e.g. 30-40"
                    aria-label="Age or age range" value={(*typed_age).clone()} oninput={typing(&typed_age)}
                    onchange={filter_input(|f| &mut f.age)} />
                <select id="search-sex" aria-label="Sex" onchange={on_sex}>
                    <option value="" selected={filters.sex.is_empty()}>{"Any sex"}</option>
                    <option value="F" selected={filters.sex == "F"}>{"Female"}</option>
                    <option value="M" selected={filters.sex == "M"}>{"Male"}</option>
                </select>
            </div>
            { render_dob_in_name(&query, &filters, &use_dob) }
            { render_script_note((*ran).as_ref()) }
            { render_widen(&results, (*ran).as_ref(), &today, &widen) }
            { render_narrow(&results, (*ran).as_ref()) }
            { render_results(&results, (*ran).as_ref(), *selected, &today, &open) }
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
    ran: Option<&SearchRequest>,
    selected: usize,
    today: &str,
    open: &Callback<NominalHit>,
) -> Html {
    match results {
        None => html! { <p class="hint">{"Type a name to search the local cache (current and legacy records)."}</p> },
        // What is typed cannot be searched yet ("J", a date half typed): a hint in a polite
        // live region, not an alert that every new search would start with.
        Some(Err(e)) if e.code == ErrorCode::InvalidInput => {
            html! { <p id="search-error" class="hint" role="status">{ &e.message }</p> }
        }
        Some(Err(e)) => html! { <p id="search-error" class="error" role="alert">{ &e.message }</p> },
        Some(Ok(hits)) if hits.is_empty() => html! {
            <p id="no-results" class="hint">
                {"No one found. Try fewer letters or a wildcard (SMI*)."}
            </p>
        },
        Some(Ok(hits)) => {
            // Hits come best first, so the weak ones (nothing outweighs what disagrees) are last.
            let first_weak = hits.iter().position(is_weak_match);
            html! {
                <ul id="results" class="results" role="listbox" data-query={ran.and_then(|r| r.name.clone())}>
                    { for hits.iter().enumerate().map(|(i, h)| html! { <>
                        if first_weak == Some(i) {
                            <li id="weak-heading" class="weak-heading" role="presentation">
                                {"Weak matches: little in the name or date of birth agrees"}
                            </li>
                        }
                        { render_hit(h, i, i == selected, today, open) }
                    </> }) }
                </ul>
            }
        }
    }
}

fn render_hit(h: &NominalHit, index: usize, selected: bool, today: &str, open: &Callback<NominalHit>) -> Html {
    let onclick = {
        let (open, h) = (open.clone(), h.clone());
        Callback::from(move |_| open.emit(h.clone()))
    };
    let dob = match h.date_of_birth.as_deref() {
        Some(d) => match age(d, today) {
            Some(a) => format!("{d} (age {a})"),
            None => d.to_string(),
        },
        None => "DOB unknown".into(),
    };
    html! {
        <li id={format!("result-{index}")} class={classes!("result", selected.then_some("selected"), is_weak_match(h).then_some("weak"))} data-id={h.id.clone()}
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
            if !h.markers.is_empty() {
                <span class="row-markers">
                    { for h.markers.iter().map(|m| html! {
                        <span class={classes!("badge", "marker", format!("marker-{m}"))} data-code={m.clone()}>
                            { format!("⚠ {}", marker_label(m)) }
                        </span>
                    }) }
                </span>
            }
            <span class="reasons">{ h.reasons.join(" · ") }</span>
        </li>
    }
}

/// "No matches. Try: [Search without DOB] [Widen to ±5 years] …" when nothing was found, or
/// when no one found meets the DOB or age given (the search ranks them lower, it does not
/// leave them out).
fn render_widen(
    results: &Option<Result<Vec<NominalHit>, ApiError>>,
    ran: Option<&SearchRequest>,
    today: &str,
    widen: &Callback<SearchRequest>,
) -> Html {
    let (Some(Ok(hits)), Some(req)) = (results, ran) else { return html! {} };
    // Weak matches count as nothing found.
    let dobs: Vec<Option<&str>> =
        hits.iter().filter(|h| !is_weak_match(h)).map(|h| h.date_of_birth.as_deref()).collect();
    let options = widenings(req, today);
    if options.is_empty() || !should_widen(req, &dobs, today) {
        return html! {};
    }
    let lead = if hits.is_empty() {
        "No matches. Try:"
    } else if dobs.is_empty() {
        "No close matches. Try:"
    } else {
        "No one matches the date of birth or age given. Try:"
    };
    html! {
        <div id="widen" class="widen" role="group" aria-label="Widen the search">
            <span class="widen-lead">{ lead }</span>
            { for options.into_iter().map(|w| {
                let (widen, req) = (widen.clone(), w.request.clone());
                html! {
                    <button type="button" class="secondary widen-option" data-widen={w.id}
                        onclick={Callback::from(move |_: MouseEvent| widen.emit(req.clone()))}>{ w.label }</button>
                }
            }) }
        </div>
    }
}

/// "3 records match equally well. Add a date of birth, year or age …" when a search cannot
/// tell people apart (see `narrowing_hint`).
/// "“1984” is not part of a name. [Search with date of birth 1984]" when the name box holds a
/// date and the DOB and age filters are empty (the name search ignores words without letters).
fn render_dob_in_name(query: &str, filters: &SearchFilters, use_dob: &Callback<(String, String)>) -> Html {
    if !filters.dob.trim().is_empty() || !filters.age.trim().is_empty() {
        return html! {};
    }
    let Some((dob, rest)) = dob_typed_in_name(query) else { return html! {} };
    let onclick = {
        let (use_dob, dob, rest) = (use_dob.clone(), dob.clone(), rest);
        Callback::from(move |_: MouseEvent| use_dob.emit((dob.clone(), rest.clone())))
    };
    html! {
        <p id="dob-in-name" class="hint" role="status">
            { format!("“{dob}” is not part of a name. ") }
            <button id="use-dob" type="button" class="secondary" {onclick}>
                { format!("Search with date of birth {dob}") }
            </button>
        </p>
    }
}

/// "Names are recorded in Latin letters …" when the search ran on text in another script
/// (see `script_note`).
fn render_script_note(ran: Option<&SearchRequest>) -> Html {
    match ran.and_then(script_note) {
        Some(msg) => html! { <p id="script-note" class="hint" role="status">{ msg }</p> },
        None => html! {},
    }
}

fn render_narrow(results: &Option<Result<Vec<NominalHit>, ApiError>>, ran: Option<&SearchRequest>) -> Html {
    let (Some(Ok(hits)), Some(req)) = (results, ran) else { return html! {} };
    match narrowing_hint(req, hits) {
        Some(msg) => html! { <p id="narrow" class="hint narrow" role="status">{ msg }</p> },
        None => html! {},
    }
}

#[derive(Properties, PartialEq)]
struct PurposeProps {
    hit: NominalHit,
    /// The purpose chosen so far ("" = none yet).
    purpose: String,
    /// The record is being opened.
    busy: bool,
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
    // Cancelled (Cancel or Esc): the focus goes back to where the dialog was opened from, the
    // search box or, in the New person form, that likely match's "Open this person", so the
    // keys keep working (the dialog that had the focus is gone).
    let cancel_and_refocus = {
        let (cancel, id) = (p.on_cancel.clone(), p.hit.id.clone());
        move || {
            cancel.emit(());
            let _ = crate::cases::focus_selector("#search")
                || crate::cases::focus_selector(&format!(
                    "#np-matches .result[data-id=\"{}\"] .np-open",
                    id.replace(['"', '\\'], "")
                ))
                || crate::cases::focus_selector("#np-given");
        }
    };
    let cancel = {
        let c = cancel_and_refocus.clone();
        Callback::from(move |_: MouseEvent| c())
    };
    // Keyboard: the dialog takes the focus (the purpose list), and Esc cancels it.
    use_effect_with(p.hit.id.clone(), |_| {
        crate::cases::focus_selector("#purpose");
    });
    let onkeydown = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Escape" {
            e.prevent_default();
            e.stop_propagation();
            cancel_and_refocus();
        }
    });
    html! {
        <div id="purpose-dialog" class="dialog" role="dialog" aria-modal="true" aria-labelledby="purpose-title"
            data-id={p.hit.id.clone()} {onkeydown}>
            <h2 id="purpose-title">{ format!("Open {} {}", p.hit.given_name, p.hit.surname) }</h2>
            <label for="purpose">{"Why are you opening this record? (recorded in the access log)"}</label>
            <select id="purpose" {onchange}>
                <option value="" selected={p.purpose.is_empty()} disabled=true>{"Choose a purpose…"}</option>
                { for PURPOSES.iter().map(|(code, label)| html! {
                    <option value={*code} selected={p.purpose == *code}>{ *label }</option>
                }) }
            </select>
            <div class="actions">
                <button id="purpose-open" onclick={confirm} disabled={p.purpose.is_empty() || p.busy}>{"Open record"}</button>
                <button id="purpose-cancel" class="secondary" onclick={cancel}>{"Cancel"}</button>
            </div>
        </div>
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
