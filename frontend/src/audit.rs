//! The access-log viewer for supervisors and admins (the backend refuses everyone else).

use bluelamp_protocol::audit::{AuditEntry, AuditFilter};
use bluelamp_protocol::ApiError;
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api;

fn text_input(state: &UseStateHandle<String>) -> Callback<InputEvent> {
    let state = state.clone();
    Callback::from(move |e: InputEvent| state.set(e.target_unchecked_into::<HtmlInputElement>().value()))
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// The filters as typed, kept (see `drafts`) while the viewer looks at another tab or the window
/// is locked.
#[derive(Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct AuditDraft {
    officer: String,
    object: String,
    since: String,
    until: String,
}

const AUDIT_DRAFT: &str = "audit";

#[function_component(AuditView)]
pub fn audit_view() -> Html {
    let kept = use_memo((), |_| crate::drafts::get::<AuditDraft>(AUDIT_DRAFT).unwrap_or_default());
    let officer = use_state(|| kept.officer.clone());
    let object = use_state(|| kept.object.clone());
    let since = use_state(|| kept.since.clone());
    let until = use_state(|| kept.until.clone());
    crate::drafts::put(
        AUDIT_DRAFT,
        &AuditDraft {
            officer: (*officer).clone(),
            object: (*object).clone(),
            since: (*since).clone(),
            until: (*until).clone(),
        },
    );
    let rows = use_state(|| None::<Result<Vec<AuditEntry>, ApiError>>);
    // Only the newest "Show" may paint its rows (an older, slower answer arrives after it).
    let generation = use_mut_ref(|| 0u64);

    let load = {
        let (officer, object, since, until, rows, generation) =
            (officer.clone(), object.clone(), since.clone(), until.clone(), rows.clone(), generation.clone());
        Callback::from(move |_: ()| {
            let mine = {
                let mut g = generation.borrow_mut();
                *g += 1;
                *g
            };
            let filter = AuditFilter {
                officer_id: opt(&officer),
                object_ref: opt(&object),
                since: opt(&since),
                until: opt(&until),
                ..Default::default()
            };
            let rows = rows.clone();
            if let Err(e) = filter.validate() {
                rows.set(Some(Err(e)));
                return;
            }
            let generation = generation.clone();
            spawn_local(async move {
                let r = api::audit_list(&filter).await;
                if *generation.borrow() == mine {
                    rows.set(Some(r));
                }
            });
        })
    };
    {
        let load = load.clone();
        use_effect_with((), move |_| load.emit(()));
    }
    let onsubmit = {
        let load = load.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            load.emit(());
        })
    };
    html! {
        <section id="audit-view" class="audit">
            <h2>{"Access log"}</h2>
            <form class="filters" {onsubmit}>
                <label for="audit-officer">{"Officer"}</label>
                <input id="audit-officer" placeholder="Officer id" value={(*officer).clone()} oninput={text_input(&officer)} />
                <label for="audit-object">{"Record"}</label>
                <input id="audit-object" placeholder="Record, e.g. DEMO-000012" value={(*object).clone()} oninput={text_input(&object)} />
                <label for="audit-since">{"From"}</label>
                <input id="audit-since" placeholder="YYYY-MM-DD" value={(*since).clone()} oninput={text_input(&since)} />
                <label for="audit-until">{"To"}</label>
                <input id="audit-until" placeholder="YYYY-MM-DD" value={(*until).clone()} oninput={text_input(&until)} />
                <button type="submit">{"Show"}</button>
            </form>
            { match &*rows {
                None => html! { <p class="hint">{"Loading…"}</p> },
                Some(Err(e)) => html! { <p class="error" role="alert">{ &e.message }</p> },
                Some(Ok(list)) if list.is_empty() => html! { <p class="hint">{"No entries match."}</p> },
                Some(Ok(list)) => html! {
                    <table id="audit-table">
                        <thead><tr>
                            <th>{"#"}</th><th>{"Time (UTC)"}</th><th>{"Officer"}</th><th>{"Action"}</th>
                            <th>{"Record"}</th><th>{"Purpose"}</th><th>{"Outcome"}</th><th>{"Detail"}</th>
                        </tr></thead>
                        <tbody>
                            { for list.iter().map(|e| html! {
                                <tr class="audit-row" data-action={e.action.clone()} data-object={e.object_ref.clone()}>
                                    <td>{ e.seq }</td><td>{ &e.ts }</td><td>{ &e.officer_id }</td><td>{ &e.action }</td>
                                    <td>{ &e.object_ref }</td><td>{ e.purpose.clone().unwrap_or_default() }</td><td>{ &e.outcome }</td>
                                    <td class="detail">{ bluelamp_protocol::audit::detail_summary(&e.detail) }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                },
            } }
        </section>
    }
}
