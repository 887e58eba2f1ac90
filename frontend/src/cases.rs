//! Incidents, the guided forms wizard and the closing-code gate.
//!
//! The wizard renders the form packs (data in `assets/forms`) with the same `bluelamp-forms`
//! code the backend validates with; every change autosaves to the encrypted store, so a crash
//! or restart resumes at the same section. Finalising is decided by the backend's gate: the
//! UI only shows what is missing and opens it.

use bluelamp_forms::{
    builtin_closing_codes, builtin_packs, check_nfa_dup, is_nfa_dup, DupIncident, FieldIssue, FormPack, IssueKind,
    MissingKind, NfaDupReason, Question, QuestionType, SubmitIssue, Visibility,
};
use bluelamp_protocol::casework::{
    FinaliseOutcome, FormDetail, FormInfo, FormStatus, IncidentDetail, IncidentStatus, IncidentSummary, LinkedPerson,
    SaveDraftRequest, SetClosingCodeRequest, StartFormRequest, SubmitFormRequest, SubmitOutcome,
};
use bluelamp_protocol::{ApiError, ErrorCode};
use serde_json::{json, Map, Value};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::api;

/// Draft keys the store reads the officer's grade and rationale from (autosaved with the
/// answers; validation ignores `_` keys).
const DRAFT_GRADE_KEY: &str = "_officer_grade";
const DRAFT_RATIONALE_KEY: &str = "_rationale";

pub(crate) fn pack(id: &str) -> Option<FormPack> {
    builtin_packs().ok()?.into_iter().find(|p| p.id == id)
}

/// The pack that satisfies a missing item.
fn pack_for(kind: &MissingKind) -> Option<&'static str> {
    match kind {
        MissingKind::RiskAssessment => Some("dash-style-da-risk"),
        MissingKind::SafeguardingPlan => Some("da-safeguarding-plan"),
        MissingKind::CarePlan => Some("concern-for-child-care-plan"),
        _ => None,
    }
}

pub(crate) fn kind_name<T: serde::Serialize>(k: &T) -> String {
    serde_json::to_value(k).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

#[derive(Properties, PartialEq)]
pub struct CasesProps {
    pub on_locked: Callback<()>,
    /// The officer may review forms (supervisors): submitted forms get a Review button.
    #[prop_or_default]
    pub can_review: bool,
    /// Open this incident first (from a record page) instead of the list.
    #[prop_or_default]
    pub open_incident: Option<String>,
}

/// Where the officer is on this tab. Kept (see `drafts`) while they look at another tab or the
/// window is locked, so they come back to the incident or the form page they left, not to the
/// list; the wizard itself resumes at the page the store holds for the form.
#[derive(Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
enum Screen {
    #[default]
    List,
    Incident(String),
    Form {
        incident_id: String,
        form_id: String,
    },
    Review {
        incident_id: String,
        form_id: String,
    },
}

const CASES_PLACE: &str = "cases.place";

#[function_component(CasesView)]
pub fn cases_view(props: &CasesProps) -> Html {
    // An incident asked for by a record page wins over the place kept.
    let screen = use_state(|| {
        props
            .open_incident
            .clone()
            .map_or_else(|| crate::drafts::get(CASES_PLACE).unwrap_or_default(), Screen::Incident)
    });
    crate::drafts::put(CASES_PLACE, &*screen);
    let go = |s: Screen| {
        let screen = screen.clone();
        Callback::from(move |_: ()| screen.set(s.clone()))
    };
    match (*screen).clone() {
        Screen::List => {
            let screen = screen.clone();
            html! { <IncidentList on_open={Callback::from(move |id: String| screen.set(Screen::Incident(id)))}
            on_locked={props.on_locked.clone()} /> }
        }
        Screen::Incident(id) => {
            let open_form = {
                let (screen, id) = (screen.clone(), id.clone());
                Callback::from(move |form_id: String| screen.set(Screen::Form { incident_id: id.clone(), form_id }))
            };
            let on_review = props.can_review.then(|| {
                let (screen, id) = (screen.clone(), id.clone());
                Callback::from(move |form_id: String| screen.set(Screen::Review { incident_id: id.clone(), form_id }))
            });
            html! { <IncidentPage incident_id={id} on_open_form={open_form} {on_review} on_back={go(Screen::List)}
            on_locked={props.on_locked.clone()} /> }
        }
        Screen::Form { incident_id, form_id } => {
            let open_form = {
                let (screen, id) = (screen.clone(), incident_id.clone());
                Callback::from(move |form_id: String| screen.set(Screen::Form { incident_id: id.clone(), form_id }))
            };
            html! {
                <Wizard key={form_id.as_str()} form_id={form_id.clone()} incident_id={incident_id.clone()} on_done={go(Screen::Incident(incident_id))}
                    on_open_form={open_form} on_locked={props.on_locked.clone()} />
            }
        }
        Screen::Review { incident_id, form_id } => html! {
            <crate::queue::ReviewPage {form_id} on_done={go(Screen::Incident(incident_id))} on_locked={props.on_locked.clone()} />
        },
    }
}

/// An error from the backend, as a message. Rendering has no side effects: a "locked" error
/// needs no callback from here, the status poll (every 2 s) brings up the lock screen, and the
/// place and what was typed are kept (`drafts`) for the officer's return. (Emitting from here
/// re-ran on every render.)
pub(crate) fn error_view(e: &ApiError) -> Html {
    html! { <p class="error" role="alert">{ &e.message }</p> }
}

#[derive(Properties, PartialEq)]
struct ListProps {
    on_open: Callback<String>,
    on_locked: Callback<()>,
}

#[function_component(IncidentList)]
fn incident_list(p: &ListProps) -> Html {
    let list = use_state(|| None::<Result<Vec<IncidentSummary>, ApiError>>);
    {
        let list = list.clone();
        use_effect_with((), move |_| spawn_local(async move { list.set(Some(api::list_incidents().await)) }));
    }
    match &*list {
        None => html! { <p class="hint">{"Loading incidents…"}</p> },
        Some(Err(e)) => error_view(e),
        Some(Ok(items)) => html! {
            <table id="incidents">
                <thead><tr><th>{"Reference"}</th><th>{"Type"}</th><th>{"When"}</th><th>{"Place"}</th><th>{"Status"}</th><th>{"Code"}</th></tr></thead>
                <tbody>
                { for items.iter().map(|i| {
                    let onclick = { let (cb, id) = (p.on_open.clone(), i.id.clone()); Callback::from(move |_| cb.emit(id.clone())) };
                    // Keyboard: Tab reaches each row, Enter or Space opens it.
                    let onkeydown = {
                        let (cb, id) = (p.on_open.clone(), i.id.clone());
                        Callback::from(move |e: KeyboardEvent| {
                            if e.key() == "Enter" || e.key() == " " {
                                e.prevent_default();
                                cb.emit(id.clone())
                            }
                        })
                    };
                    html! {
                        <tr class="incident" tabindex="0" role="button" aria-label={format!("Open incident {}", i.reference)}
                            data-id={i.id.clone()} data-type={i.incident_type.clone()} {onclick} {onkeydown}>
                            <td>{ &i.reference }</td><td>{ i.incident_type.replace('_', " ") }</td>
                            <td>{ i.occurred_at.get(..16).unwrap_or(&i.occurred_at).replace('T', " ") }</td>
                            <td>{ i.place.clone().unwrap_or_default() }</td>
                            <td>{ i.status.as_str() }
                                if i.no_longer_assigned_since.is_some() {
                                    {" "}<span class="badge unassigned" title="No longer assigned to you: kept on this device for the work recorded on it">{"No longer assigned"}</span>
                                }
                            </td><td>{ i.closing_code.clone().unwrap_or_default() }</td>
                        </tr>
                    }
                }) }
                </tbody>
            </table>
        },
    }
}

#[derive(Properties, PartialEq)]
pub(crate) struct IncidentProps {
    pub incident_id: String,
    pub on_open_form: Callback<String>,
    /// Supervisors: opens a submitted form for review.
    #[prop_or_default]
    pub on_review: Option<Callback<String>>,
    pub on_back: Callback<()>,
    pub on_locked: Callback<()>,
}

#[function_component(IncidentPage)]
pub(crate) fn incident_page(p: &IncidentProps) -> Html {
    let detail = use_state(|| None::<Result<IncidentDetail, ApiError>>);
    let finalise = use_state(|| None::<Result<FinaliseOutcome, ApiError>>);
    // The closing code the officer picked in the list on this page: `None` until they pick one,
    // and the list then shows the incident's stored code ("Choose…" when there is none), so
    // "Finalise" never overwrites a stored code with a default nobody chose.
    let code = use_state(|| None::<String>);
    // A finalise or a form start in flight: its button is disabled, so a double click is one
    // request (a second would replace "Finalised." with "The incident is finalised.").
    let busy = use_state(|| false);
    // Why a form could not be started (locked, finalised, not found).
    let start_error = use_state(|| None::<ApiError>);
    // NFA-DUP's reason, kept on screen through a refusal: which one ("duplicate" / "none"), the
    // incident it duplicates, the account of no incident found, and the refusal beside them.
    let nfa_kind = use_state(|| None::<&'static str>);
    let nfa_of = use_state(String::new);
    let nfa_text = use_state(String::new);
    let nfa_error = use_state(|| None::<String>);
    // The other incidents on the device, for "duplicate of".
    let others = use_state(Vec::<IncidentSummary>::new);
    let reload = {
        let (detail, id) = (detail.clone(), p.incident_id.clone());
        Callback::from(move |_: ()| {
            let (detail, id) = (detail.clone(), id.clone());
            spawn_local(async move { detail.set(Some(api::get_incident(&id).await)) });
        })
    };
    {
        let (reload, code, others) = (reload.clone(), code.clone(), others.clone());
        let (nfa_kind, nfa_of, nfa_text, nfa_error) =
            (nfa_kind.clone(), nfa_of.clone(), nfa_text.clone(), nfa_error.clone());
        use_effect_with(p.incident_id.clone(), move |_| {
            code.set(None);
            nfa_kind.set(None);
            nfa_of.set(String::new());
            nfa_text.set(String::new());
            nfa_error.set(None);
            reload.emit(());
            spawn_local(async move {
                if let Ok(list) = api::list_incidents().await {
                    others.set(list);
                }
            });
        });
    }
    let start = {
        let (id, open, busy, start_error, on_locked) =
            (p.incident_id.clone(), p.on_open_form.clone(), busy.clone(), start_error.clone(), p.on_locked.clone());
        move |pack_id: &'static str, victim_id: Option<String>| {
            let (id, open, busy, start_error, on_locked) =
                (id.clone(), open.clone(), busy.clone(), start_error.clone(), on_locked.clone());
            Callback::from(move |_: MouseEvent| {
                if *busy {
                    return;
                }
                busy.set(true);
                let req =
                    StartFormRequest { incident_id: id.clone(), pack_id: pack_id.into(), victim_id: victim_id.clone() };
                let (open, busy, start_error, on_locked) =
                    (open.clone(), busy.clone(), start_error.clone(), on_locked.clone());
                spawn_local(async move {
                    let r = api::start_form(&req).await;
                    busy.set(false);
                    match r {
                        Ok(f) => {
                            start_error.set(None);
                            open.emit(f.info.id)
                        }
                        Err(e) => {
                            if e.code == ErrorCode::Locked {
                                on_locked.emit(());
                            }
                            start_error.set(Some(e))
                        }
                    }
                });
            })
        }
    };
    let on_code = {
        let code = code.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            code.set(Some(v).filter(|v| !v.is_empty()));
        })
    };
    let stored_code = match &*detail {
        Some(Ok(d)) => d.summary.closing_code.clone(),
        _ => None,
    };
    let selected_code = shown_closing_code(code.as_deref(), stored_code.as_deref());
    let nfa_dup_chosen = selected_code.as_deref().is_some_and(is_nfa_dup);
    // The reason as typed (`None`: none chosen or typed yet).
    let typed_reason = match *nfa_kind {
        Some("duplicate") => NfaDupReason::from_fields(Some(&nfa_of), None).ok().flatten(),
        Some("none") => Some(NfaDupReason::NoIncidentFound((*nfa_text).clone())),
        _ => None,
    };
    let do_finalise = {
        let (id, finalise, detail, busy) = (p.incident_id.clone(), finalise.clone(), detail.clone(), busy.clone());
        let (selected, stored) = (selected_code.clone(), stored_code.clone());
        let (nfa_error, typed, others) = (nfa_error.clone(), typed_reason.clone(), others.clone());
        let this = match &*detail {
            Some(Ok(d)) => {
                Some((d.summary.id.clone(), d.summary.incident_type.clone(), d.summary.nfa_dup_reason.clone()))
            }
            _ => None,
        };
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            let mut change = closing_code_to_write(selected.as_deref(), stored.as_deref());
            let mut reason = None;
            if selected.as_deref().is_some_and(is_nfa_dup) {
                // Checked here by the same rule as the store (nothing is written when refused), and
                // written again when the officer gives a reason the store does not hold yet.
                let held = this.as_ref().and_then(|t| t.2.clone());
                let given = typed.clone().or(held.clone());
                if let Some((this_id, this_type, _)) = &this {
                    let original = match &given {
                        Some(NfaDupReason::DuplicateOf(o)) => {
                            others.iter().find(|i| i.id == *o || i.reference == *o).cloned()
                        }
                        _ => None,
                    };
                    let closing = DupIncident { id: this_id, incident_type: this_type, closing_code: None };
                    let orig = original.as_ref().map(|o| DupIncident {
                        id: &o.id,
                        incident_type: &o.incident_type,
                        closing_code: o.closing_code.as_deref(),
                    });
                    if let Err(e) = check_nfa_dup(selected.as_deref(), &closing, given.as_ref(), orig.as_ref(), false) {
                        nfa_error.set(Some(e.to_string()));
                        return;
                    }
                }
                nfa_error.set(None);
                if typed.is_some() && typed != held {
                    change = selected.clone();
                    reason = typed.clone();
                }
            }
            busy.set(true);
            let (id, finalise, detail, busy, nfa_error) =
                (id.clone(), finalise.clone(), detail.clone(), busy.clone(), nfa_error.clone());
            spawn_local(async move {
                if let Some(code) = change {
                    let (duplicate_of, no_incident_found) = reason.as_ref().map(|r| r.fields()).unwrap_or_default();
                    let set = SetClosingCodeRequest {
                        incident_id: id.clone(),
                        code: Some(code.clone()),
                        duplicate_of: duplicate_of.map(str::to_string),
                        no_incident_found: no_incident_found.map(str::to_string),
                    };
                    match api::set_closing_code(&set).await {
                        Ok(d) => detail.set(Some(Ok(d))),
                        // The store's refusal of the reason: beside the control, what was typed kept.
                        Err(e) if is_nfa_dup(&code) && e.code == ErrorCode::InvalidInput => {
                            busy.set(false);
                            return nfa_error.set(Some(e.message));
                        }
                        Err(e) => {
                            busy.set(false);
                            return finalise.set(Some(Err(e)));
                        }
                    }
                }
                finalise.set(Some(api::finalise_incident(&id).await));
                detail.set(Some(api::get_incident(&id).await));
                busy.set(false);
            });
        })
    };
    let back = p.on_back.reform(|_: MouseEvent| ());
    let body = match &*detail {
        None => html! { <p class="hint">{"Loading…"}</p> },
        Some(Err(e)) => error_view(e),
        Some(Ok(d)) => {
            let s = &d.summary;
            let codes = builtin_closing_codes().map(|c| c.codes).unwrap_or_default();
            let is_selected = |c: &str| selected_code.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(c));
            // A stored code no longer in the list is still shown as it is, not as the first code.
            let unlisted = selected_code.clone().filter(|_| !codes.iter().any(|c| is_selected(&c.code)));
            html! {
                <>
                    <h2 id="incident-ref">{ format!("{} — {}", s.reference, s.incident_type.replace('_', " ")) }</h2>
                    <p class="hint">{ format!("{} · {}", s.occurred_at, s.place.clone().unwrap_or_default()) }</p>
                    if let Some(since) = &s.no_longer_assigned_since {
                        <p id="no-longer-assigned" class="notice" role="status">{ format!(
                            "This incident is no longer assigned to you (since {}). It stays on this device because work \
                             recorded here is on it.",
                            since.get(..16).unwrap_or(since).replace('T', " ")
                        ) }</p>
                    }
                    <h3>{"People"}</h3>
                    <ul>{ for s.links.iter().map(|l| html! {
                        <li>{ format!("{} — {}", l.role.replace('_', " "), l.name.clone().unwrap_or_else(|| l.nominal_id.clone())) }</li>
                    }) }</ul>
                    <crate::victims::VictimsSection incident_id={s.id.clone()} closing={finalise.is_some()}
                        on_changed={reload.clone()} on_locked={p.on_locked.clone()} />
                    <section id="gate" class={classes!("gate", if d.gate.can_finalise { "ok" } else { "blocked" })}>
                        <h3>{ if d.gate.can_finalise { "Ready to finalise" } else { "Outstanding before this incident can be finalised" } }</h3>
                        <ul>{ for d.gate.missing.iter().map(|m| {
                            let action = match (&m.form_id, pack_for(&m.kind)) {
                                (Some(fid), _) => { let (open, fid) = (p.on_open_form.clone(), fid.clone());
                                    html! { <button onclick={Callback::from(move |_| open.emit(fid.clone()))}>{"Open"}</button> } }
                                // For one victim (each adult victim of DA has their own): the form starts
                                // with them as its victim.
                                (None, Some(pack_id)) => html! { <button class="start" data-pack={pack_id}
                                    data-victim={m.victim_id.clone().unwrap_or_default()}
                                    onclick={start(pack_id, m.victim_id.clone())}>{"Start"}</button> },
                                // The referral decisions are recorded in the Victims section above.
                                (None, None) if m.kind == MissingKind::VictimReferralDecision => html! {
                                    <button class="open-victims" onclick={Callback::from(|_: MouseEvent| focus_victims())}>{"Record decision"}</button>
                                },
                                _ => html! {},
                            };
                            html! { <li class="missing" data-kind={kind_name(&m.kind)}>{ &m.label }{" "}{ action }</li> }
                        }) }</ul>
                    </section>
                    <h3>{"Forms"}</h3>
                    <div id="start-forms" class="actions">
                        { for [("dash-style-da-risk", "DA risk assessment"), ("da-safeguarding-plan", "DA safeguarding plan"),
                               ("concern-for-child-care-plan", "Concern-for-a-Child care plan")]
                            .into_iter()
                            .filter(|(id, _)| !d.forms.iter().any(|f| f.pack_id == *id))
                            .map(|(id, label)| html! { <button class="start secondary" data-pack={id} disabled={*busy} onclick={start(id, None)}>{ format!("Start {label}") }</button> }) }
                    </div>
                    if let Some(e) = &*start_error {
                        <p id="start-form-error" class="error" role="alert">{ format!("The form could not be started: {}", e.message) }</p>
                    }
                    <ul id="forms">{ for d.forms.iter().map(|f| form_item(f, &p.on_open_form, p.on_review.as_ref())) }</ul>
                    <h3>{"Tasks"}</h3>
                    <ul id="tasks">{ for d.tasks.iter().map(|t| html! {
                        <li class="task" data-kind={t.kind.clone()}>{ format!("{} (due {})", t.title, t.due_at.clone().unwrap_or_else(|| "-".into())) }</li>
                    }) }</ul>
                    <div class="finalise">
                        <label for="closing-code">{"Closing code"}</label>
                        // Keyed on the incident and its stored code: a new incident or a newly stored
                        // code rebuilds the list, so what it shows is what "Finalise" uses.
                        <select id="closing-code" key={format!("{}|{}", s.id, stored_code.clone().unwrap_or_default())} onchange={on_code}>
                            if selected_code.is_none() { <option value="" selected=true>{"Choose a closing code…"}</option> }
                            if let Some(u) = unlisted { <option value={u.clone()} selected=true>{ format!("{u} — not in the closing-code list") }</option> }
                            { for codes.iter().map(|c| html! { <option value={c.code.clone()} selected={is_selected(&c.code)}>{ format!("{} — {}", c.code, c.label) }</option> }) }
                        </select>
                        <button id="finalise" onclick={do_finalise}
                            disabled={*busy || s.status == IncidentStatus::Finalised}>{"Finalise incident"}</button>
                    </div>
                    if let Some(shown) = &s.nfa_dup_shown {
                        <p id="nfa-dup-shown" class="hint">{ shown }</p>
                    }
                    if nfa_dup_chosen && s.status == IncidentStatus::Open {
                        { nfa_dup_reason_view(s, &others, &nfa_kind, &nfa_of, &nfa_text, (*nfa_error).clone()) }
                    }
                    { match &*finalise {
                        None => html! {},
                        Some(Err(e)) => html! { <p id="finalise-result" class="error" role="alert">{ &e.message }</p> },
                        Some(Ok(o)) if o.finalised => html! { <p id="finalise-result" class="ok">{"Finalised."}</p> },
                        Some(Ok(o)) => html! {
                            <div id="finalise-result" class="error" role="alert">
                                <p>{"Cannot finalise: these are missing."}</p>
                                <ul>{ for o.missing.iter().map(|m| html! { <li class="blocked-reason" data-kind={kind_name(&m.kind)}>{ &m.label }</li> }) }</ul>
                            </div>
                        },
                    } }
                </>
            }
        }
    };
    html! {
        <section id="incident" class="incident" data-id={p.incident_id.clone()}>
            <button class="secondary" id="back-to-incidents" onclick={back}>{"← Incidents"}</button>
            { body }
        </section>
    }
}

/// NFA-DUP's reason, beside the closing-code control: a duplicate of another incident on the
/// device (a list), or no incident found (the officer's account), and the refusal.
fn nfa_dup_reason_view(
    s: &IncidentSummary,
    others: &[IncidentSummary],
    kind: &UseStateHandle<Option<&'static str>>,
    of: &UseStateHandle<String>,
    text: &UseStateHandle<String>,
    error: Option<String>,
) -> Html {
    let held = s.nfa_dup_reason.as_ref();
    let current = (**kind).or(match held {
        Some(NfaDupReason::DuplicateOf(_)) => Some("duplicate"),
        Some(NfaDupReason::NoIncidentFound(_)) => Some("none"),
        None => None,
    });
    let pick = |k: &'static str| {
        let kind = kind.clone();
        Callback::from(move |_: Event| kind.set(Some(k)))
    };
    let on_of = {
        let (of, kind) = (of.clone(), kind.clone());
        Callback::from(move |e: Event| {
            of.set(e.target_unchecked_into::<HtmlSelectElement>().value());
            kind.set(Some("duplicate"));
        })
    };
    let on_text = {
        let (text, kind) = (text.clone(), kind.clone());
        Callback::from(move |e: InputEvent| {
            text.set(e.target_unchecked_into::<HtmlTextAreaElement>().value());
            kind.set(Some("none"));
        })
    };
    let held_of = match held {
        Some(NfaDupReason::DuplicateOf(o)) => o.clone(),
        _ => String::new(),
    };
    let chosen_of = if of.is_empty() { held_of } else { (**of).clone() };
    html! {
        <fieldset id="nfa-dup-reason" class="nfa-dup">
            <legend>{"Why NFA-DUP (duplicate or no incident found)?"}</legend>
            <label>
                <input type="radio" name="nfa-dup-kind" id="nfa-dup-kind-duplicate" value="duplicate"
                    checked={current == Some("duplicate")} onchange={pick("duplicate")} />
                {" A duplicate of "}
            </label>
            <select id="nfa-dup-of" onchange={on_of}>
                <option value="" selected={chosen_of.is_empty()}>{"Choose the original incident…"}</option>
                { for others.iter().filter(|o| o.id != s.id).map(|o| html! {
                    <option value={o.id.clone()} selected={chosen_of == o.id}>
                        { format!("{} — {}{}", o.reference, o.incident_type.replace('_', " "),
                            o.closing_code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default()) }
                    </option>
                }) }
            </select>
            <label>
                <input type="radio" name="nfa-dup-kind" id="nfa-dup-kind-none" value="none"
                    checked={current == Some("none")} onchange={pick("none")} />
                {" No incident found:"}
            </label>
            <textarea id="nfa-dup-text" placeholder="What was found, in your words" value={(**text).clone()}
                oninput={on_text}></textarea>
            if let Some(e) = error { <p id="nfa-dup-error" class="error" role="alert">{ e }</p> }
        </fieldset>
    }
}

/// The closing code the list shows and "Finalise" uses: the officer's pick on this page, else the
/// incident's stored code; `None` ("Choose…") when there is neither, never a default nobody chose.
fn shown_closing_code(picked: Option<&str>, stored: Option<&str>) -> Option<String> {
    picked.or(stored).map(str::to_string)
}

/// The code "Finalise" writes before finalising: the shown one, only when it differs from the
/// stored one. With no code at all nothing is written and the gate says a code is missing.
fn closing_code_to_write(shown: Option<&str>, stored: Option<&str>) -> Option<String> {
    shown.filter(|c| !stored.is_some_and(|s| s.eq_ignore_ascii_case(c))).map(str::to_string)
}

/// One form of the incident: status, the latest review (returned forms show the supervisor's
/// comments), and its actions.
fn form_item(f: &FormInfo, open: &Callback<String>, review: Option<&Callback<String>>) -> Html {
    let on_open = {
        let (open, fid) = (open.clone(), f.id.clone());
        Callback::from(move |_: MouseEvent| open.emit(fid.clone()))
    };
    let on_review = review.filter(|_| f.status == FormStatus::Submitted).map(|r| {
        let (r, fid) = (r.clone(), f.id.clone());
        Callback::from(move |_: MouseEvent| r.emit(fid.clone()))
    });
    let status = match f.status {
        FormStatus::Draft if f.amends_id.is_some() => "draft amendment".to_string(),
        FormStatus::Submitted => "submitted, waiting for supervisor review".to_string(),
        FormStatus::Returned => "returned by the supervisor: amend it".to_string(),
        s => kind_name(&s),
    };
    let last = f.reviews.last();
    html! {
        <li class="form" data-pack={f.pack_id.clone()} data-status={kind_name(&f.status)} data-id={f.id.clone()}>
            { format!("{} — {}", f.title, status) }
            if let Some(g) = f.officer_grade { { format!(" · graded {}", kind_name(&g)) } }
            <button class="secondary open-form" onclick={on_open}>{ if f.status == FormStatus::Draft { "Continue" } else { "Open" } }</button>
            if let Some(on_review) = on_review { <button class="review-form" onclick={on_review}>{"Review"}</button> }
            if let Some(r) = last {
                <p class={classes!("review", (f.status == FormStatus::Returned).then_some("returned"))}>
                    { format!("{} by {}: ", if r.decision == bluelamp_protocol::casework::ReviewDecision::Return { "Returned" } else { "Approved" }, r.reviewer) }
                    <span class="review-comments">{ r.comments.clone().unwrap_or_else(|| "no comments".into()) }</span>
                </p>
            }
        </li>
    }
}

// ---- answer editing (pure: unit-tested below) ----

/// Where an edit lands: a top-level question, or one field of one row of a repeating group.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Target {
    pub qid: String,
    pub row: Option<(usize, String)>,
}

impl Target {
    fn top(qid: &str) -> Target {
        Target { qid: qid.to_string(), row: None }
    }
    fn path(&self) -> String {
        match &self.row {
            None => self.qid.clone(),
            Some((i, f)) => format!("{}[{i}].{f}", self.qid),
        }
    }
}

/// One change the officer makes in the wizard.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// Replace the answer (`None` clears it).
    Set(Option<Value>),
    /// Tick or untick "declined to answer"; what was typed is kept under `value` and comes
    /// back when unticked.
    Declined(bool),
    /// Add or remove one option of a multiple choice.
    ToggleOption(String),
    /// Add an empty row to a repeating group.
    AddRow,
    /// Remove a row of a repeating group.
    RemoveRow(usize),
}

/// `{"declined": true, ...}`.
pub(crate) fn is_declined(v: Option<&Value>) -> bool {
    v.is_some_and(|v| v.get("declined") == Some(&Value::Bool(true)))
}

/// The answer without its "declined" wrapper (what was typed before declining).
fn inner(v: Option<&Value>) -> Option<&Value> {
    match v {
        Some(Value::Object(m)) if m.contains_key("declined") => m.get("value"),
        other => other,
    }
}

/// The rows of a repeating group (rows that are not objects count as empty ones).
pub(crate) fn rows(v: Option<&Value>) -> Vec<Map<String, Value>> {
    inner(v)
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|r| r.as_object().cloned().unwrap_or_default()).collect())
        .unwrap_or_default()
}

fn get(answers: &Map<String, Value>, t: &Target) -> Option<Value> {
    let top = answers.get(&t.qid);
    match &t.row {
        None => top.cloned(),
        Some((i, f)) => rows(top).get(*i).and_then(|r| r.get(f)).cloned(),
    }
}

fn put(answers: &mut Map<String, Value>, t: &Target, v: Option<Value>) {
    let v = v.filter(|v| !v.is_null());
    match &t.row {
        None => {
            match v {
                Some(v) => answers.insert(t.qid.clone(), v),
                None => answers.remove(&t.qid),
            };
        }
        Some((i, f)) => {
            let mut all = rows(answers.get(&t.qid));
            let Some(row) = all.get_mut(*i) else { return };
            match v {
                Some(v) => row.insert(f.clone(), v),
                None => row.remove(f),
            };
            let arr = Value::Array(all.into_iter().map(Value::Object).collect());
            put_group(answers, &t.qid, Some(arr));
        }
    }
}

/// Writes a group's rows, keeping a "declined" wrapper if there is one.
fn put_group(answers: &mut Map<String, Value>, qid: &str, arr: Option<Value>) {
    if is_declined(answers.get(qid)) {
        let mut m = Map::new();
        m.insert("declined".into(), Value::Bool(true));
        if let Some(a) = arr {
            m.insert("value".into(), a);
        }
        answers.insert(qid.to_string(), Value::Object(m));
    } else {
        put(answers, &Target::top(qid), arr);
    }
}

/// Applies one edit. Never panics: a row that is not there is left alone.
pub(crate) fn apply(answers: &mut Map<String, Value>, t: &Target, op: &Op) {
    match op {
        Op::Set(v) => put(answers, t, v.clone()),
        Op::Declined(on) => {
            let cur = get(answers, t);
            let typed = inner(cur.as_ref()).filter(|v| !is_declined(Some(v))).cloned();
            if *on {
                let mut m = Map::new();
                m.insert("declined".into(), Value::Bool(true));
                if let Some(v) = typed {
                    m.insert("value".into(), v);
                }
                put(answers, t, Some(Value::Object(m)));
            } else {
                put(answers, t, typed);
            }
        }
        Op::ToggleOption(o) => {
            let cur = get(answers, t);
            let mut chosen: Vec<Value> = match cur.as_ref() {
                Some(v) if is_declined(Some(v)) => Vec::new(),
                Some(Value::Array(a)) => a.clone(),
                _ => Vec::new(),
            };
            match chosen.iter().position(|x| x.as_str() == Some(o)) {
                Some(i) => {
                    chosen.remove(i);
                }
                None => chosen.push(Value::String(o.clone())),
            }
            put(answers, t, (!chosen.is_empty()).then_some(Value::Array(chosen)));
        }
        Op::AddRow if t.row.is_none() => {
            let mut all = rows(answers.get(&t.qid));
            all.push(Map::new());
            put_group(answers, &t.qid, Some(Value::Array(all.into_iter().map(Value::Object).collect())));
        }
        Op::RemoveRow(i) if t.row.is_none() => {
            let mut all = rows(answers.get(&t.qid));
            if *i < all.len() {
                all.remove(*i);
            }
            let arr = (!all.is_empty()).then(|| Value::Array(all.into_iter().map(Value::Object).collect()));
            put_group(answers, &t.qid, arr);
        }
        Op::AddRow | Op::RemoveRow(_) => {}
    }
}

/// Index (among the visible sections) of the page holding an issue; the summary when none.
pub(crate) fn section_of_issue(visible_ids: &[&str], issue: &FieldIssue) -> Option<usize> {
    let sid = issue.section_id.as_deref()?;
    visible_ids.iter().position(|s| *s == sid)
}

/// A readable answer for the summary and the supervisor's review.
pub(crate) fn answer_text(q: &Question, v: Option<&Value>, links: &[LinkedPerson]) -> String {
    if is_declined(v) {
        return "Declined to answer".into();
    }
    let Some(v) = inner(v) else { return "—".into() };
    let v = match v {
        Value::Object(m) if m.contains_key("value") => m.get("value").unwrap_or(&Value::Null),
        other => other,
    };
    let option = |id: &str| q.option(id).map(|o| o.label.clone()).unwrap_or_else(|| id.replace('_', " "));
    match (q.qtype, v) {
        (_, Value::Null) => "—".into(),
        (QuestionType::YesNo | QuestionType::Frequency, Value::String(s)) => match s.as_str() {
            "yes" => "Yes".into(),
            "no" => "No".into(),
            "dont_know" => "Don't know".into(),
            other => other.to_string(),
        },
        (QuestionType::SingleChoice, Value::String(s)) => option(s),
        (QuestionType::MultiChoice, Value::Array(a)) => {
            a.iter().filter_map(Value::as_str).map(option).collect::<Vec<_>>().join(", ")
        }
        (QuestionType::Person, Value::String(id)) => links
            .iter()
            .find(|l| l.nominal_id == *id)
            .map(|l| format!("{} ({})", l.name.clone().unwrap_or_else(|| id.clone()), l.role.replace('_', " ")))
            .unwrap_or_else(|| id.clone()),
        (QuestionType::Group, Value::Array(a)) => {
            format!("{} {}(s)", a.len(), q.item_label.as_deref().unwrap_or("item"))
        }
        (_, Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

/// Answers of the visible sections, read-only (the summary page and the supervisor's review).
pub(crate) fn answers_summary(pk: &FormPack, answers: &Map<String, Value>, links: &[LinkedPerson]) -> Html {
    let vis = Visibility::compute(pk, answers);
    html! {
        <div class="answers-summary">
        { for pk.sections.iter().enumerate().filter(|(i, _)| vis.sections[*i]).map(|(si, s)| html! {
            <section class="summary-section" data-section={s.id.clone()}>
                <h4>{ &s.title }</h4>
                <dl>
                { for s.questions.iter().zip(&vis.questions[si]).filter(|(_, v)| **v).map(|(q, _)| {
                    let v = answers.get(&q.id);
                    let group_rows = if q.qtype == QuestionType::Group && !is_declined(v) { rows(v) } else { Vec::new() };
                    html! { <>
                        <dt>{ format!("{}{}", q.number.as_deref().map(|n| format!("{n}. ")).unwrap_or_default(), q.text) }</dt>
                        <dd data-qid={q.id.clone()}>{ answer_text(q, v, links) }
                        if !group_rows.is_empty() {
                            <ol class="summary-rows">{ for group_rows.iter().map(|r| {
                                let shown = bluelamp_forms::group_item_visibility(q, r);
                                html! { <li>{ q.fields.iter().zip(&shown).filter(|(_, v)| **v)
                                    .map(|(f, _)| format!("{}: {}", f.text, answer_text(f, r.get(&f.id), links)))
                                    .collect::<Vec<_>>().join(" · ") }</li> }
                            }) }</ol>
                        }
                        </dd>
                    </> }
                }) }
                </dl>
            </section>
        }) }
        </div>
    }
}

pub(crate) fn focus_selector(sel: &str) -> bool {
    use wasm_bindgen::JsCast;
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return false };
    match doc.query_selector(sel).ok().flatten().and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        Some(el) => el.focus().is_ok(),
        None => false,
    }
}

/// CSS attribute selector for a `data-path` (paths hold `[`, `]` and `.`, never quotes).
fn path_selector(path: &str) -> String {
    format!("#wizard [data-path=\"{}\"]", path.replace(['"', '\\'], ""))
}

#[derive(Properties, PartialEq)]
pub(crate) struct WizardProps {
    pub form_id: String,
    pub incident_id: String,
    pub on_done: Callback<()>,
    /// Opens another form (an amendment of this one).
    pub on_open_form: Callback<String>,
    pub on_locked: Callback<()>,
}

/// Autosave state shown to the officer.
#[derive(Clone, PartialEq)]
enum AutoSave {
    Idle,
    Saved,
    Failed(String),
}

/// Shown when an app update changed the form's pack after the form was started: the answers
/// the new version has no question for are kept with the form (under `_carried`), not shown.
fn carried_notice(answers: &Map<String, Value>) -> Html {
    let Some(c) = answers.get(bluelamp_forms::CARRIED_KEY) else { return html! {} };
    let from = c.get("from").and_then(Value::as_str).unwrap_or("an earlier version");
    let n = c.get("answers").and_then(Value::as_object).map_or(0, |a| a.len());
    html! {
        <p id="carried-notice" class="notice" role="status">{ format!(
            "This form was started on version {from} of the form, which an update has since changed. \
             {n} answer(s) to questions this version no longer asks are kept with the form but not shown."
        ) }</p>
    }
}

/// A form's autosaves: at most one in flight, sent in the order they were made, a newer one
/// replacing one not sent yet (a burst of keystrokes is one save), each numbered above the
/// last (the store ignores a save numbered below the one it holds). Two saves in flight at
/// once could be run in either order by the app, and the older answers could win.
#[derive(Default)]
struct SaveQueue {
    busy: bool,
    revision: u64,
    next: Option<(SaveDraftRequest, Callback<Result<(), ApiError>>)>,
    /// The last save's refusal, if it failed (cleared by the next save that succeeds).
    failed: Option<ApiError>,
    /// The last save, when the store refused it for a reason other than the lock: its answers
    /// are in no store, and the screen that showed them may be gone (the officer left the
    /// wizard before the answer came). Kept until a save succeeds, so the wizard opened again
    /// says they were not saved and starts from them, not from the older stored answers.
    unsaved: Option<(SaveDraftRequest, ApiError)>,
    /// The last save, when the store refused it because it was locked (a laptop woken after
    /// the idle limit, before the screen noticed): sent again when the same officer unlocks,
    /// since the screen still shows those answers; dropped if another officer unlocks.
    parked: Option<(SaveDraftRequest, Callback<Result<(), ApiError>>)>,
}

impl SaveQueue {
    /// Records a save's result: a refusal for the lock parks the request unless a newer save
    /// is already queued (it carries newer answers); any other result unparks.
    fn settle(&mut self, req: &SaveDraftRequest, done: &Callback<Result<(), ApiError>>, r: &Result<(), ApiError>) {
        self.failed = r.as_ref().err().cloned();
        self.parked = match r {
            Err(e) if e.code == ErrorCode::Locked && self.next.is_none() => Some((req.clone(), done.clone())),
            _ => None,
        };
        self.unsaved = match r {
            // Parked (or superseded by the save queued behind it), and sent again.
            Err(e) if e.code == ErrorCode::Locked => None,
            Err(e) => Some((req.clone(), e.clone())),
            Ok(()) => None,
        };
    }
}

/// Where a wizard opened on a stored form starts: the answers and section of the last save the
/// store refused (other than for the lock) when there is one and the form can still be changed
/// (what the officer last typed is not lost), else the stored ones.
fn starting_point(
    stored: &Map<String, Value>,
    stored_section: Option<&str>,
    editable: bool,
    unsaved: Option<&SaveDraftRequest>,
) -> (Map<String, Value>, Option<String>) {
    match unsaved.filter(|_| editable).and_then(|u| Some((u.answers.as_object()?, u))) {
        Some((a, u)) => (a.clone(), u.current_section.clone()),
        None => (stored.clone(), stored_section.map(str::to_string)),
    }
}

/// The page a wizard opens on: the "Check and submit" summary (`ids.len()`) when the officer
/// was last on it (the store keeps only sections, so the screen keeps this), else the section
/// `current`, else the first.
fn resume_page(ids: &[String], current: Option<&str>, on_summary: bool) -> usize {
    if on_summary {
        return ids.len();
    }
    current.and_then(|c| ids.iter().position(|s| s == c)).unwrap_or(0)
}

/// The `drafts` key saying the officer was on this form's summary.
fn summary_key(form_id: &str) -> String {
    format!("wizard-summary:{form_id}")
}

/// Sends again the saves the store refused while it was locked; called when the officer who
/// made them has unlocked.
pub(crate) fn resend_parked_saves() {
    let parked: Vec<_> = SAVES.with(|q| q.borrow_mut().values_mut().filter_map(|s| s.parked.take()).collect());
    for (req, done) in parked {
        queue_save(req, 0, done);
    }
}

/// Forgets the saves refused while locked: another officer has unlocked, and a save sent now
/// would be written as theirs.
pub(crate) fn drop_parked_saves() {
    SAVES.with(|q| {
        q.borrow_mut().values_mut().for_each(|s| {
            s.parked = None;
            s.unsaved = None;
            s.failed = None;
        })
    });
}

thread_local! {
    /// Per form id; module-level so that a form closed and reopened shares its numbering.
    static SAVES: std::cell::RefCell<std::collections::HashMap<String, SaveQueue>> = Default::default();
}

/// Queues an autosave; `from_rev` is the draft's revision when it was loaded.
fn queue_save(mut req: SaveDraftRequest, from_rev: u64, done: Callback<Result<(), ApiError>>) {
    let form_id = req.form_id.clone();
    let start = SAVES.with(|q| {
        let mut q = q.borrow_mut();
        let slot = q.entry(form_id.clone()).or_default();
        slot.revision = slot.revision.max(from_rev) + 1;
        req.revision = Some(slot.revision);
        slot.next = Some((req, done));
        !std::mem::replace(&mut slot.busy, true)
    });
    if start {
        spawn_local(async move {
            loop {
                let next = SAVES.with(|q| {
                    let mut q = q.borrow_mut();
                    let slot = q.get_mut(&form_id)?;
                    let next = slot.next.take();
                    slot.busy = next.is_some();
                    next
                });
                let Some((req, done)) = next else { break };
                let r = api::save_draft(&req).await;
                SAVES.with(|q| {
                    if let Some(slot) = q.borrow_mut().get_mut(&form_id) {
                        slot.settle(&req, &done, &r);
                    }
                });
                done.emit(r);
            }
        });
    }
}

/// Resolves once no autosave of the form is queued or in flight, with the last save's
/// refusal if it failed (what is stored is then not what the screen shows).
async fn saves_settled(form_id: &str) -> Option<ApiError> {
    while SAVES.with(|q| q.borrow().get(form_id).is_some_and(|s| s.busy)) {
        gloo_timers::future::TimeoutFuture::new(20).await;
    }
    SAVES.with(|q| q.borrow().get(form_id).and_then(|s| s.failed.clone()))
}

#[function_component(Wizard)]
pub(crate) fn wizard(p: &WizardProps) -> Html {
    let form = use_state(|| None::<Result<FormDetail, ApiError>>);
    let links = use_state(Vec::<LinkedPerson>::new);
    // The answers of record live in a RefCell so that quick successive edits never work on a
    // stale copy; the state handle re-renders.
    let truth = use_mut_ref(Map::<String, Value>::new);
    let answers = use_state(Map::<String, Value>::new);
    let section = use_state(|| 0usize);
    let outcome = use_state(|| None::<Result<SubmitOutcome, ApiError>>);
    // A submit in flight: a second click would be refused ("already submitted") and that
    // refusal would replace the confirmation, the suggested grade and the tasks created.
    let submitting = use_state(|| false);
    // Why "Amend" failed: shown with the button, on whichever page of the form it was pressed.
    let amend_error = use_state(|| None::<ApiError>);
    let checked = use_state(|| false);
    let focus = use_state(|| None::<String>);
    let saved = use_state(|| AutoSave::Idle);
    let cur_section_id = use_mut_ref(|| None::<String>);
    {
        let (form, links, answers, truth, section, fid, iid, saved, checked) = (
            form.clone(),
            links.clone(),
            answers.clone(),
            truth.clone(),
            section.clone(),
            p.form_id.clone(),
            p.incident_id.clone(),
            saved.clone(),
            checked.clone(),
        );
        use_effect_with(p.form_id.clone(), move |_| {
            spawn_local(async move {
                if let Ok(d) = api::get_incident(&iid).await {
                    links.set(d.summary.links);
                }
                // A form reopened quickly: its last saves land first, so the screen starts from
                // the newest answers (an edit would otherwise save the older ones over them).
                saves_settled(&fid).await;
                let f = api::get_form(&fid).await;
                if let Ok(f) = &f {
                    // A save refused after the officer left the wizard (its screen was gone):
                    // said now, and the screen starts from those answers; it still stands
                    // between the screen and Submit until a save succeeds. On a form that can
                    // no longer be changed it is said once and forgotten.
                    let editable = f.info.status == FormStatus::Draft;
                    let unsaved = SAVES.with(|q| {
                        let mut q = q.borrow_mut();
                        let slot = q.get_mut(&fid)?;
                        if editable {
                            slot.unsaved.clone()
                        } else {
                            slot.failed = None;
                            slot.unsaved.take()
                        }
                    });
                    let stored = f.answers.as_object().cloned().unwrap_or_default();
                    let (a, cur) = starting_point(
                        &stored,
                        f.info.current_section.as_deref(),
                        editable,
                        unsaved.as_ref().map(|u| &u.0),
                    );
                    if let Some((_, e)) = &unsaved {
                        saved.set(AutoSave::Failed(if editable {
                            format!("{} Your last changes are shown here; they are saved with your next change, or Try again.", e.message)
                        } else {
                            format!("{} Your last changes to this form were not saved.", e.message)
                        }));
                    }
                    // Resume where the officer left off (the summary included).
                    let on_summary = crate::drafts::get::<bool>(&summary_key(&fid)).unwrap_or(false);
                    match pack(&f.info.pack_id) {
                        Some(pk) => section.set(resume_page(
                            &bluelamp_forms::visible_sections(&pk, &a),
                            cur.as_deref(),
                            on_summary,
                        )),
                        None => section.set(0),
                    }
                    if on_summary {
                        checked.set(true);
                    }
                    *truth.borrow_mut() = a.clone();
                    answers.set(a);
                }
                form.set(Some(f));
            });
        });
    }
    // Focus: the field named by `focus` (the first error), else the first field of a page
    // the officer has just moved to.
    let focused_section = use_mut_ref(|| None::<usize>);
    {
        let (focus, focused_section) = (focus.clone(), focused_section.clone());
        let key = (*section, (*focus).clone(), form.as_ref().is_some_and(|f| f.is_ok()));
        use_effect_with(key, move |(sec, target, loaded)| {
            if *loaded {
                let hit = target.as_deref().is_some_and(|t| focus_selector(&path_selector(t)));
                let moved = *focused_section.borrow() != Some(*sec);
                if !hit && (moved || target.is_some()) {
                    let _ = focus_selector("#wizard .wizard-page [data-path]:not([disabled])")
                        || focus_selector("#wizard #officer-grade")
                        || focus_selector("#wizard #submit-form, #wizard #amend-form");
                }
                *focused_section.borrow_mut() = Some(*sec);
                if target.is_some() {
                    focus.set(None);
                }
            }
        });
    }
    // Submitted: the confirmation takes the focus (the Submit button that had it is gone), so
    // the wizard's keys still work; again once the form is read back as submitted.
    {
        let key = (
            matches!(&*outcome, Some(Ok(SubmitOutcome::Submitted(_)))),
            form.as_ref().and_then(|f| f.as_ref().ok()).map(|f| kind_name(&f.info.status)),
        );
        use_effect_with(key, |(submitted, _)| {
            if *submitted {
                focus_selector("#wizard #submitted");
            }
        });
    }
    let Some(f) = &*form else { return html! { <p class="hint">{"Loading form…"}</p> } };
    let f = match f {
        // With a way back: the page is kept across tabs and the lock, so a form that cannot be
        // read (gone after a re-enrolment) would otherwise hold the tab on this message.
        Err(e) => {
            let back = p.on_done.reform(|_: MouseEvent| ());
            return html! {
                <section id="wizard">
                    <button class="secondary" onclick={back}>{"← Back to the incident"}</button>
                    { error_view(e) }
                </section>
            };
        }
        Ok(f) => f.clone(),
    };
    let Some(pk) = pack(&f.info.pack_id) else {
        return html! { <p class="error">{ format!("Form pack {} is not available on this device.", f.info.pack_id) }</p> };
    };
    let vis = Visibility::compute(&pk, &answers);
    let visible: Vec<usize> = (0..pk.sections.len()).filter(|i| vis.sections[*i]).collect();
    let visible_ids: Vec<&str> = visible.iter().map(|i| pk.sections[*i].id.as_str()).collect();
    let at = (*section).min(visible.len());
    let on_summary = at >= visible.len();
    let editable = f.info.status == FormStatus::Draft;
    let linked: Vec<String> = links.iter().map(|l| l.nominal_id.clone()).collect();
    let ctx = bluelamp_forms::ValidationContext { linked_nominals: Some(&linked), now: None, dates_from: None };
    let issues = bluelamp_forms::validate_answers(&pk, &answers, &ctx);
    let progress = bluelamp_forms::progress(&pk, &answers, &ctx);
    // On the summary the store keeps the last section (it knows only sections); the screen
    // keeps that the officer was on the summary (`summary_key`).
    *cur_section_id.borrow_mut() = visible_ids.get(at).or(visible_ids.last()).map(|s| s.to_string());

    let save = {
        let (fid, saved, on_locked, cur, from_rev) =
            (f.info.id.clone(), saved.clone(), p.on_locked.clone(), cur_section_id.clone(), f.draft_revision);
        Callback::from(move |a: Map<String, Value>| {
            let req = SaveDraftRequest {
                form_id: fid.clone(),
                answers: Value::Object(a),
                current_section: cur.borrow().clone(),
                revision: None,
            };
            let (saved, on_locked) = (saved.clone(), on_locked.clone());
            queue_save(
                req,
                from_rev,
                Callback::from(move |r: Result<(), ApiError>| match r {
                    Ok(()) => saved.set(AutoSave::Saved),
                    Err(e) => {
                        if e.code == ErrorCode::Locked {
                            on_locked.emit(());
                            // Parked by the queue and sent again when the officer unlocks.
                            saved.set(AutoSave::Failed("the app locked; saved when you unlock".into()));
                        } else {
                            saved.set(AutoSave::Failed(e.message));
                        }
                    }
                }),
            );
        })
    };
    // Every change autosaves (answers + the section on screen).
    let edit = {
        let (truth, answers, save) = (truth.clone(), answers.clone(), save.clone());
        Callback::from(move |(t, op): (Target, Op)| {
            let a = {
                let mut a = truth.borrow_mut();
                apply(&mut a, &t, &op);
                a.clone()
            };
            answers.set(a.clone());
            save.emit(a);
        })
    };
    let goto = {
        let (section, truth, save, cur, ids, checked, fid) = (
            section.clone(),
            truth.clone(),
            save.clone(),
            cur_section_id.clone(),
            visible_ids.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            checked.clone(),
            f.info.id.clone(),
        );
        Callback::from(move |to: usize| {
            let to = to.min(ids.len());
            if to >= ids.len() {
                checked.set(true);
            }
            crate::drafts::put(&summary_key(&fid), &(to >= ids.len()));
            section.set(to);
            *cur.borrow_mut() = ids.get(to).or(ids.last()).cloned();
            if editable {
                save.emit(truth.borrow().clone());
            }
        })
    };
    let nav = |to: usize| goto.reform(move |_: MouseEvent| to);
    // Alt+→ / PageDown: next section; Alt+← / PageUp: previous.
    let onkeydown = {
        let (goto, n) = (goto.clone(), visible.len());
        Callback::from(move |e: KeyboardEvent| {
            let key = e.key();
            let next = (e.alt_key() && key == "ArrowRight") || key == "PageDown";
            let prev = (e.alt_key() && key == "ArrowLeft") || key == "PageUp";
            if next && at < n {
                e.prevent_default();
                goto.emit(at + 1);
            } else if prev && at > 0 {
                e.prevent_default();
                goto.emit(at - 1);
            }
        })
    };
    let show_missing = *checked;
    let steps = html! {
        <nav id="wizard-steps" class="steps" aria-label="Sections">
            { for visible_ids.iter().enumerate().map(|(i, sid)| {
                let s = &pk.sections[visible[i]];
                let bad = issues.iter().any(|x| x.section_id.as_deref() == Some(*sid));
                let class = classes!("step", (i == at).then_some("current"), if bad { "incomplete" } else { "complete" });
                html! { <button type="button" {class} data-section={sid.to_string()} onclick={nav(i)}
                    aria-current={(i == at).then_some("step")}>{ format!("{}. {}", i + 1, s.title) }
                    // Not by colour alone: the state is also in words.
                    <span class="step-state">{ if bad { " (answers missing)" } else { " ✓" } }</span></button> }
            }) }
            <button type="button" class={classes!("step", on_summary.then_some("current"))} id="step-summary"
                onclick={nav(visible.len())}>{"Check and submit"}</button>
        </nav>
    };
    let progress_view = html! {
        <div id="progress" class="progress">
            <progress max={progress.sections_total.to_string()} value={progress.sections_complete.to_string()} />
            <span class="hint">{ if on_summary { format!("Check and submit · {} of {} sections complete", progress.sections_complete, progress.sections_total) }
                else { format!("Section {} of {} · {} of {} sections complete", at + 1, visible.len(), progress.sections_complete, progress.sections_total) } }</span>
            <span id="autosave" class={classes!("hint", matches!(&*saved, AutoSave::Failed(_)).then_some("error"))} role="status">{ match &*saved {
                AutoSave::Idle => String::new(),
                AutoSave::Saved => "Saved on this device".into(),
                AutoSave::Failed(m) => format!("Not saved: {m}"),
            } }</span>
            if editable && matches!(&*saved, AutoSave::Failed(_)) {
                <button type="button" id="autosave-retry" class="secondary"
                    onclick={ let (save, truth) = (save.clone(), truth.clone());
                        Callback::from(move |_: MouseEvent| save.emit(truth.borrow().clone())) }>
                    {"Try again"}
                </button>
            }
        </div>
    };
    let done = p.on_done.reform(|_: MouseEvent| ());
    let last_review = f.info.reviews.last().cloned();
    let amend = {
        let (fid, open, amend_error, on_locked) =
            (f.info.id.clone(), p.on_open_form.clone(), amend_error.clone(), p.on_locked.clone());
        Callback::from(move |_: MouseEvent| {
            let (fid, open, amend_error, on_locked) =
                (fid.clone(), open.clone(), amend_error.clone(), on_locked.clone());
            spawn_local(async move {
                match api::amend_form(&fid).await {
                    Ok(d) => {
                        amend_error.set(None);
                        open.emit(d.info.id)
                    }
                    Err(e) => {
                        if e.code == ErrorCode::Locked {
                            on_locked.emit(());
                        }
                        amend_error.set(Some(e))
                    }
                }
            });
        })
    };
    let status_banner = html! { <>
        if f.info.status == FormStatus::Returned {
            <div id="returned" class="returned" role="alert">
                <p><strong>{"Returned by your supervisor."}</strong>{" Amend the form to correct it, then submit it again."}</p>
                if let Some(r) = &last_review { <p class="review-comments">{ r.comments.clone().unwrap_or_default() }</p> }
            </div>
        }
        if !editable {
            <p class="hint">{ format!("This form is {} and cannot be changed: corrections are amendments.", kind_name(&f.info.status)) }
                <button id="amend-form" class="secondary" onclick={amend.clone()}>{"Amend"}</button></p>
            if let Some(e) = &*amend_error {
                <p id="amend-error" class="error" role="alert">{ format!("Could not start an amendment: {}", e.message) }</p>
            }
        }
    </> };
    let page = if !on_summary {
        let si = visible[at];
        let s = &pk.sections[si];
        let qvis = &vis.questions[si];
        html! {
            <section class="wizard-page" data-section={s.id.clone()}>
                <h3>{ &s.title }</h3>
                if let Some(g) = &s.guidance { <p class="guidance">{ g }</p> }
                { for s.questions.iter().zip(qvis).filter(|(_, v)| **v).map(|(q, _)| {
                    let ctx = QCtx { links: &links, edit: &edit, editable, issues: &issues, show_missing };
                    question(q, answers.get(&q.id), &Target::top(&q.id), &ctx)
                }) }
                <div class="actions">
                    if at > 0 { <button class="secondary" id="prev" onclick={nav(at - 1)} title="Previous section (Alt+← or PageUp)">{"Back"}</button> }
                    <button id="next" onclick={nav(at + 1)} title="Next section (Alt+→ or PageDown)">{"Next"}</button>
                </div>
                <p class="hint keys">{"Keys: Alt+→ / PageDown next section, Alt+← / PageUp previous, Enter picks the focused choice."}</p>
            </section>
        }
    } else {
        let grade = answers.get(DRAFT_GRADE_KEY).and_then(Value::as_str).unwrap_or("").to_string();
        let rationale = answers.get(DRAFT_RATIONALE_KEY).and_then(Value::as_str).unwrap_or("").to_string();
        let submit = {
            let submitting = submitting.clone();
            let (fid, outcome, form, goto, focus, truth, checked) = (
                f.info.id.clone(),
                outcome.clone(),
                form.clone(),
                goto.clone(),
                focus.clone(),
                truth.clone(),
                checked.clone(),
            );
            let ids: Vec<String> = visible_ids.iter().map(|s| s.to_string()).collect();
            let first_issue = issues.first().cloned();
            let requires_grade = pk.requires_grade;
            Callback::from(move |_: MouseEvent| {
                checked.set(true);
                // Missing answers: go to the first one instead of sending the form.
                if let Some(i) = &first_issue {
                    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
                    if let Some(idx) = section_of_issue(&refs, i) {
                        goto.emit(idx);
                    }
                    focus.set(Some(i.path.clone()));
                    return;
                }
                let a = truth.borrow().clone();
                let officer_grade = a.get(DRAFT_GRADE_KEY).and_then(|g| serde_json::from_value(g.clone()).ok());
                let rationale = a.get(DRAFT_RATIONALE_KEY).and_then(Value::as_str).map(str::to_string);
                if requires_grade
                    && (officer_grade.is_none() || rationale.as_deref().is_none_or(|r| r.trim().is_empty()))
                {
                    let target = if officer_grade.is_none() { "officer-grade" } else { "rationale" };
                    focus_selector(&format!("#{target}"));
                }
                let req = SubmitFormRequest { form_id: fid.clone(), officer_grade, rationale };
                if *submitting {
                    return;
                }
                submitting.set(true);
                let (outcome, form, fid, goto, focus, ids, submitting) = (
                    outcome.clone(),
                    form.clone(),
                    fid.clone(),
                    goto.clone(),
                    focus.clone(),
                    ids.clone(),
                    submitting.clone(),
                );
                spawn_local(async move {
                    let _done = Settle(submitting);
                    // The form is submitted with the stored answers: the last autosave first,
                    // and not at all if it failed (the stored answers are older than the screen's).
                    if let Some(e) = saves_settled(&req.form_id).await {
                        outcome.set(Some(Err(ApiError::new(
                            e.code,
                            format!("Not submitted: your latest changes could not be saved ({})", e.message),
                        ))));
                        return;
                    }
                    let r = api::submit_form(&req).await;
                    if let Ok(SubmitOutcome::Rejected { issues }) = &r {
                        let first = issues.iter().find_map(|i| match i {
                            SubmitIssue::Field(fi) => Some(fi.clone()),
                            _ => None,
                        });
                        if let Some(fi) = first {
                            let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
                            if let Some(idx) = section_of_issue(&refs, &fi) {
                                goto.emit(idx);
                            }
                            focus.set(Some(fi.path));
                        } else if issues.iter().any(|i| matches!(i, SubmitIssue::MissingGrade)) {
                            focus_selector("#officer-grade");
                        } else if issues.iter().any(|i| matches!(i, SubmitIssue::MissingRationale)) {
                            focus_selector("#rationale");
                        }
                    }
                    outcome.set(Some(r));
                    form.set(Some(api::get_form(&fid).await));
                });
            })
        };
        let on_grade = edit.reform(|e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            (Target::top(DRAFT_GRADE_KEY), Op::Set((!v.is_empty()).then(|| json!(v))))
        });
        let on_rat = edit.reform(|e: InputEvent| {
            let v = e.target_unchecked_into::<HtmlTextAreaElement>().value();
            (Target::top(DRAFT_RATIONALE_KEY), Op::Set((!v.is_empty()).then(|| json!(v))))
        });
        let ids: Vec<&str> = visible_ids.clone();
        html! {
            <section class="wizard-summary">
                <h3>{"Check before you submit"}</h3>
                if issues.is_empty() { <p class="ok" id="form-complete">{"Every required answer is given."}</p> }
                else {
                    <ul id="form-issues">{ for issues.iter().map(|i| {
                        let (goto, focus, path, idx) = (goto.clone(), focus.clone(), i.path.clone(), section_of_issue(&ids, i));
                        html! { <li class="issue">
                            <button type="button" class="link" onclick={Callback::from(move |_| {
                                if let Some(idx) = idx { goto.emit(idx); }
                                focus.set(Some(path.clone()));
                            })}>{ &i.message }</button>
                        </li> }
                    }) }</ul>
                }
                { answers_summary(&pk, &answers, &links) }
                if pk.requires_grade && editable {
                    <label for="officer-grade">{"Your risk grade (your own judgement; the suggestion comes after submission)"}</label>
                    <select id="officer-grade" onchange={on_grade}>
                        <option value="" selected={grade.is_empty()}>{"Choose…"}</option>
                        { for [("standard", "Standard"), ("medium", "Medium"), ("high", "High")].into_iter().map(|(v, l)|
                            html! { <option value={v} selected={grade == v}>{l}</option> }) }
                    </select>
                    <label for="rationale">{"Rationale"}</label>
                    <textarea id="rationale" value={rationale} oninput={on_rat} />
                }
                if !editable {
                    if let Some(g) = f.info.officer_grade { <p>{"Officer's grade: "}<strong>{ kind_name(&g) }</strong></p> }
                    if let Some(r) = &f.info.rationale { <p>{"Rationale: "}{ r }</p> }
                }
                <div class="actions">
                    if !visible.is_empty() { <button class="secondary" id="prev" onclick={nav(visible.len() - 1)}>{"Back"}</button> }
                    if editable { <button id="submit-form" onclick={submit} disabled={*submitting}>{"Submit"}</button> }
                </div>
                { match &*outcome {
                    None => html! {},
                    Some(Err(e)) => html! { <p class="error" role="alert">{ &e.message }</p> },
                    Some(Ok(SubmitOutcome::Rejected { issues })) => html! {
                        <ul id="submit-issues" class="error" role="alert">{ for issues.iter().map(|i| html! { <li>{ submit_issue_text(i) }</li> }) }</ul> },
                    Some(Ok(SubmitOutcome::Submitted(s))) => html! {
                        <div id="submitted" role="status" tabindex="-1">
                            <p class="ok">{"Submitted. It now waits for supervisor review."}</p>
                            if let Some(sg) = &s.suggestion {
                                <p>{"Suggested grade: "}<strong id="suggested-grade">{ kind_name(&sg.suggested) }</strong>
                                   { format!(" ({} yes answers)", sg.yes_count) }</p>
                                <ul class="reasons">{ for sg.reasons.iter().map(|r| html! { <li>{ &r.message }</li> }) }</ul>
                            }
                            <ul id="created-tasks">{ for s.tasks.iter().map(|t| html! { <li class="task" data-kind={t.kind.clone()}>{ &t.title }</li> }) }</ul>
                        </div>
                    },
                } }
            </section>
        }
    };
    html! {
        <section id="wizard" class="wizard" data-form={f.info.id.clone()} data-status={kind_name(&f.info.status)} {onkeydown}>
            <button class="secondary" id="wizard-back" onclick={done}>{"← Back to incident"}</button>
            <h2>{ &pk.title }</h2>
            { carried_notice(&answers) }
            { status_banner }
            { progress_view }
            { steps }
            { page }
        </section>
    }
}

/// Clears a "request in flight" flag however the request's task ends (early returns included).
pub(crate) struct Settle(pub(crate) UseStateHandle<bool>);

impl Drop for Settle {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

fn submit_issue_text(i: &SubmitIssue) -> String {
    match i {
        SubmitIssue::Field(f) => f.message.clone(),
        SubmitIssue::MissingGrade => "Record your own risk grade.".into(),
        SubmitIssue::MissingRationale => "Record the rationale for your grade, in words.".into(),
        SubmitIssue::PackMismatch { record, pack } => format!("The form was started on {record}, not {pack}."),
        SubmitIssue::NotEditable { status } => {
            format!("The form is {} and cannot be submitted again.", kind_name(status))
        }
    }
}

/// What every question renderer needs.
struct QCtx<'a> {
    links: &'a [LinkedPerson],
    edit: &'a Callback<(Target, Op)>,
    editable: bool,
    issues: &'a [FieldIssue],
    /// Show "mandatory" messages too (after the summary was reached or submit was tried);
    /// format problems show at once.
    show_missing: bool,
}

impl QCtx<'_> {
    fn messages(&self, path: &str) -> Vec<&FieldIssue> {
        self.issues
            .iter()
            .filter(|i| i.path == path)
            .filter(|i| self.show_missing || !matches!(i.kind, IssueKind::Missing | IssueKind::TooFewItems))
            .collect()
    }
}

fn question(q: &Question, current: Option<&Value>, t: &Target, c: &QCtx<'_>) -> Html {
    let path = t.path();
    let declined = is_declined(current);
    let token = current.and_then(Value::as_str).unwrap_or("");
    let editable = c.editable;
    let emit = |op: Op| {
        let (edit, t) = (c.edit.clone(), t.clone());
        Callback::from(move |_| edit.emit((t.clone(), op.clone())))
    };
    let dom = format!("q-{}", path.replace(['[', ']', '.'], "-"));
    // A text box or list is named by its question (the legend names only the group) and
    // described by its messages, for a screen reader.
    let (label_id, issues_id) = (format!("{dom}-label"), format!("{dom}-issues"));
    let invalid = (!c.messages(&path).is_empty()).then_some("true");
    let mut first = true;
    let mut radio = |value: &str, label: &str, checked: bool, answer: Value| {
        let id = format!("{dom}-{value}");
        let data_path = std::mem::replace(&mut first, false).then(|| path.clone());
        let (edit, t) = (c.edit.clone(), t.clone());
        let answer2 = answer.clone();
        let onkeydown = Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" && editable {
                e.prevent_default();
                edit.emit((t.clone(), Op::Set(Some(answer2.clone()))));
            }
        });
        html! {
            <label class="choice" for={id.clone()}>
                <input type="radio" id={id} name={dom.clone()} value={value.to_string()} {checked} disabled={!editable}
                    data-path={data_path} onchange={emit(Op::Set(Some(answer)))} {onkeydown} />
                { label.to_string() }
            </label>
        }
    };
    // "Declined to answer": a radio among radios, a checkbox next to any other input.
    let is_radio = matches!(q.qtype, QuestionType::YesNo | QuestionType::Frequency | QuestionType::SingleChoice);
    let input = match q.qtype {
        QuestionType::YesNo => html! { <>
            { radio("yes", "Yes", token == "yes", json!("yes")) }{ radio("no", "No", token == "no", json!("no")) }
            { radio("dont_know", "Don't know", token == "dont_know", json!("dont_know")) }
            if q.declinable() { { radio("declined", "Declined to answer", declined, json!({"declined": true})) } }
        </> },
        QuestionType::Frequency => html! { <>
            { for [("never", "Never"), ("sometimes", "Sometimes"), ("often", "Often"), ("dont_know", "Don't know")]
                .iter().map(|(t, l)| radio(t, l, token == *t, json!(t))).collect::<Vec<_>>() }
            if q.declinable() { { radio("declined", "Declined to answer", declined, json!({"declined": true})) } }
        </> },
        QuestionType::SingleChoice => html! { <>
            { for q.options.iter().map(|o| radio(&o.id, &o.label, token == o.id, json!(o.id))).collect::<Vec<_>>() }
            if q.declinable() { { radio("declined", "Declined to answer", declined, json!({"declined": true})) } }
        </> },
        QuestionType::MultiChoice => {
            let chosen: Vec<&str> = current
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            html! { <>
                { for q.options.iter().enumerate().map(|(i, o)| {
                    let id = format!("{dom}-{}", o.id);
                    html! { <label class="choice" for={id.clone()}>
                        <input type="checkbox" id={id} value={o.id.clone()} checked={chosen.contains(&o.id.as_str())}
                            disabled={!editable || declined} data-path={(i == 0).then(|| path.clone())}
                            onchange={emit(Op::ToggleOption(o.id.clone()))} />{ &o.label }</label> }
                }) }
            </> }
        }
        QuestionType::Person => {
            let (edit, t) = (c.edit.clone(), t.clone());
            let v = inner(current).and_then(Value::as_str).unwrap_or("");
            html! {
                <select id={dom.clone()} data-path={path.clone()} disabled={!editable || declined}
                    aria-labelledby={label_id.clone()} aria-describedby={issues_id.clone()} aria-invalid={invalid}
                    onchange={Callback::from(move |e: Event| {
                    let v = e.target_unchecked_into::<HtmlSelectElement>().value();
                    edit.emit((t.clone(), Op::Set((!v.is_empty()).then(|| json!(v)))));
                })}>
                    <option value="" selected={v.is_empty()}>{"Choose a linked person…"}</option>
                    { for c.links.iter().map(|l| html! { <option value={l.nominal_id.clone()} selected={v == l.nominal_id}>
                        { format!("{} ({})", l.name.clone().unwrap_or_else(|| l.nominal_id.clone()), l.role) }</option> }) }
                </select>
            }
        }
        QuestionType::Group => group(q, current, t, c),
        _ => {
            let (edit, t2) = (c.edit.clone(), t.clone());
            let (kind, hint) = match q.qtype {
                QuestionType::Date => ("text", Some("YYYY-MM-DD")),
                QuestionType::Datetime => ("text", Some("YYYY-MM-DDTHH:MM, UK time")),
                QuestionType::Number => ("text", None),
                _ => ("text", None),
            };
            let typed = inner(current).map(|v| match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => String::new(),
            });
            let number = q.qtype == QuestionType::Number;
            html! { <input id={dom.clone()} type={kind} value={typed.unwrap_or_default()} disabled={!editable || declined}
            data-path={path.clone()} placeholder={hint} inputmode={number.then_some("decimal")}
            aria-labelledby={label_id.clone()} aria-describedby={issues_id.clone()} aria-invalid={invalid}
            oninput={Callback::from(move |e: InputEvent| {
                let v = e.target_unchecked_into::<HtmlInputElement>().value();
                // Numbers are stored as numbers when they parse and read back as typed; otherwise
                // what was typed is kept (and flagged), never thrown away.
                let val = if v.is_empty() { None } else if number { Some(typed_number(&v)) } else { Some(json!(v)) };
                edit.emit((t2.clone(), Op::Set(val)));
            })} /> }
        }
    };
    let declined_box = (!is_radio && q.declinable()).then(|| {
        let id = format!("{dom}-declined");
        html! { <label class="choice declined" for={id.clone()}>
        <input type="checkbox" id={id} class="declined" checked={declined} disabled={!editable}
            onchange={emit(Op::Declined(!declined))} />{"Declined to answer"}</label> }
    });
    let msgs = c.messages(&path);
    html! {
        <fieldset class={classes!("question", (!msgs.is_empty()).then_some("has-issue"))} data-qid={q.id.clone()}
            data-type={q.qtype.name()} data-field-path={path.clone()}>
            <legend id={label_id}>{ format!("{}{}{}", q.number.as_deref().map(|n| format!("{n}. ")).unwrap_or_default(), q.text, if q.required { " *" } else { "" }) }</legend>
            if let Some(g) = &q.guidance { <p class="guidance">{ g }</p> }
            { input }
            { for declined_box }
            // Always present, so that messages coming and going never re-create the input
            // (which would drop the keystrokes still arriving).
            <div class="field-issues" id={issues_id} aria-live="polite">
                { for msgs.iter().map(|m| html! { <p class="field-issue error" data-issue-path={m.path.clone()}>{ &m.message }</p> }) }
            </div>
        </fieldset>
    }
}

/// A repeating group: one block per row with its own fields and messages, add and remove.
fn group(q: &Question, current: Option<&Value>, t: &Target, c: &QCtx<'_>) -> Html {
    let declined = is_declined(current);
    let all = rows(current);
    let label = q.item_label.clone().unwrap_or_else(|| "item".into());
    let full = q.max_items.is_some_and(|m| all.len() >= m as usize);
    let (edit, t_add) = (c.edit.clone(), t.clone());
    let add = Callback::from(move |_: MouseEvent| edit.emit((t_add.clone(), Op::AddRow)));
    html! {
        <div class="group" data-group={q.id.clone()}>
            if declined { <p class="hint">{"Declined to answer."}</p> } else {
                { for all.iter().enumerate().map(|(i, row)| {
                    let shown = bluelamp_forms::group_item_visibility(q, row);
                    let (edit, t_rm) = (c.edit.clone(), t.clone());
                    // The button goes with its row: the focus goes to "Add …" (or Next), still in
                    // the wizard, whose keys would otherwise stop working.
                    let add_sel = format!("#wizard .add-row[data-path=\"{}\"]", t.path().replace(['"', '\\'], ""));
                    let remove = Callback::from(move |_: MouseEvent| {
                        edit.emit((t_rm.clone(), Op::RemoveRow(i)));
                        let _ = focus_selector(&add_sel) || focus_selector("#wizard #next");
                    });
                    html! {
                        <div class="group-row" data-row={i.to_string()}>
                            <h4>{ format!("{label} {}", i + 1) }</h4>
                            { for q.fields.iter().zip(&shown).filter(|(_, v)| **v).map(|(fq, _)| {
                                let ft = Target { qid: t.qid.clone(), row: Some((i, fq.id.clone())) };
                                question(fq, row.get(&fq.id), &ft, c)
                            }) }
                            <div class="field-issues">
                                { for c.messages(&format!("{}[{i}]", t.qid)).iter().map(|m| html! { <p class="field-issue error">{ &m.message }</p> }) }
                            </div>
                            if c.editable {
                                <button type="button" class="secondary remove-row" onclick={remove}>{ format!("Remove {label} {}", i + 1) }</button>
                            }
                        </div>
                    }
                }) }
                if all.is_empty() { <p class="hint">{ format!("No {} added yet.", label.to_lowercase()) }</p> }
                if c.editable && !full {
                    <button type="button" class="add-row" data-path={t.path()} onclick={add}>{ format!("Add {}", label.to_lowercase()) }</button>
                }
            }
        </div>
    }
}

/// Scrolls to the Victims section and focuses its first control (the gate's "Record decision").
fn focus_victims() {
    use wasm_bindgen::JsCast;
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    if let Some(section) = doc.get_element_by_id("victims") {
        section.scroll_into_view();
        if let Ok(Some(first)) = section.query_selector("button, select, input, textarea") {
            if let Ok(el) = first.dyn_into::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        }
    }
}

/// A number box's text as its answer: a whole number as an integer, a decimal as a number
/// only when it reads back exactly as typed, anything else as the text (flagged by validation).
/// A float for every keystroke showed "1" back as "1.0" in the box, so typing 12 gave 1.02.
fn typed_number(text: &str) -> Value {
    let t = text.trim();
    if let Ok(i) = t.parse::<i64>() {
        return json!(i);
    }
    match t.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
        Some(n) if n.to_string() == t => Value::Number(n),
        _ => json!(text),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_number_box_keeps_what_was_typed() {
        use serde_json::json;
        // Each keystroke of "12", "1.5" and "-3": what the box shows back is what was typed.
        for (typed, stored) in [
            ("1", json!(1)),
            ("12", json!(12)),
            ("1.", json!("1.")),
            ("1.5", json!(1.5)),
            ("-", json!("-")),
            ("-3", json!(-3)),
            ("1.50", json!("1.50")),
            ("abc", json!("abc")),
        ] {
            assert_eq!(super::typed_number(typed), stored, "{typed}");
        }
    }

    use super::*;

    fn t(q: &str) -> Target {
        Target::top(q)
    }
    fn row(q: &str, i: usize, f: &str) -> Target {
        Target { qid: q.into(), row: Some((i, f.into())) }
    }

    #[test]
    fn a_save_refused_for_the_lock_is_parked_until_unlock_and_a_newer_one_supersedes_it() {
        let req = |rev: u64| SaveDraftRequest {
            form_id: "f1".into(),
            answers: serde_json::json!({ "q1": rev }),
            current_section: None,
            revision: Some(rev),
        };
        let done = Callback::from(|_: Result<(), ApiError>| ());
        let locked = Err(ApiError::new(ErrorCode::Locked, "locked"));
        let mut slot = SaveQueue::default();
        slot.settle(&req(1), &done, &locked);
        assert_eq!(slot.parked.as_ref().map(|p| &p.0), Some(&req(1)), "refused for the lock: kept to send again");
        assert!(slot.failed.is_some());
        // Any other refusal is shown, not resent.
        slot.settle(&req(2), &done, &Err(ApiError::new(ErrorCode::InvalidInput, "bad")));
        assert!(slot.parked.is_none());
        // A newer save already queued carries newer answers: the refused one is not kept.
        slot.next = Some((req(4), done.clone()));
        slot.settle(&req(3), &done, &locked);
        assert!(slot.parked.is_none());
        slot.next = None;
        slot.settle(&req(4), &done, &locked);
        slot.settle(&req(5), &done, &Ok(()));
        assert!(slot.parked.is_none() && slot.failed.is_none(), "a save that succeeds clears both");
    }

    #[test]
    fn a_save_refused_after_the_wizard_is_gone_is_kept_until_one_succeeds_and_the_wizard_reopens_on_it() {
        let req = |rev: u64, sec: &str| SaveDraftRequest {
            form_id: "f1".into(),
            answers: serde_json::json!({ "q1": rev }),
            current_section: Some(sec.into()),
            revision: Some(rev),
        };
        let done = Callback::from(|_: Result<(), ApiError>| ());
        let mut slot = SaveQueue::default();
        slot.settle(&req(1, "s1"), &done, &Err(ApiError::new(ErrorCode::Internal, "disk full")));
        let (kept, e) = slot.unsaved.clone().expect("the refused save is kept");
        assert_eq!((kept, e.message.as_str()), (req(1, "s1"), "disk full"));
        // Reopened: the screen starts from the refused answers and their section, not the stored
        // ones; on a form that can no longer be changed, from what is stored.
        let stored = serde_json::json!({ "q1": 0 }).as_object().cloned().unwrap();
        let (a, sec) = starting_point(&stored, Some("s0"), true, slot.unsaved.as_ref().map(|u| &u.0));
        assert_eq!((Value::Object(a), sec.as_deref()), (serde_json::json!({ "q1": 1 }), Some("s1")));
        let (a, sec) = starting_point(&stored, Some("s0"), false, slot.unsaved.as_ref().map(|u| &u.0));
        assert_eq!((a, sec.as_deref()), (stored.clone(), Some("s0")));
        assert_eq!(starting_point(&stored, None, true, None), (stored, None));
        // A save refused for the lock is parked instead; one that succeeds clears it all.
        slot.settle(&req(2, "s1"), &done, &Err(ApiError::new(ErrorCode::Locked, "locked")));
        assert!(slot.unsaved.is_none() && slot.parked.is_some());
        slot.settle(&req(3, "s1"), &done, &Err(ApiError::new(ErrorCode::Internal, "disk full")));
        assert!(slot.unsaved.is_some());
        slot.settle(&req(4, "s1"), &done, &Ok(()));
        assert!(slot.unsaved.is_none() && slot.failed.is_none());
    }

    #[test]
    fn the_wizard_reopens_on_the_summary_when_the_officer_left_it_there() {
        let ids: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        assert_eq!(resume_page(&ids, Some("c"), true), 3, "the summary, not the last section");
        assert_eq!(resume_page(&ids, Some("b"), false), 1);
        assert_eq!(resume_page(&ids, Some("gone"), false), 0);
        assert_eq!(resume_page(&ids, None, false), 0);
    }

    #[test]
    fn the_closing_code_list_starts_at_the_stored_code_and_finalise_never_overwrites_it() {
        for stored in ["CFAC", "CRIME", "DA"] {
            assert_eq!(shown_closing_code(None, Some(stored)).as_deref(), Some(stored));
            assert_eq!(closing_code_to_write(shown_closing_code(None, Some(stored)).as_deref(), Some(stored)), None);
        }
        // No stored code: "Choose…", and nothing is written (the gate asks for a code).
        assert_eq!(shown_closing_code(None, None), None);
        assert_eq!(closing_code_to_write(None, None), None);
        // The officer's pick wins and is written when it differs from the stored code.
        let shown = shown_closing_code(Some("CRIME"), Some("CFAC"));
        assert_eq!(shown.as_deref(), Some("CRIME"));
        assert_eq!(closing_code_to_write(shown.as_deref(), Some("CFAC")).as_deref(), Some("CRIME"));
        assert_eq!(closing_code_to_write(Some("ADVICE"), None).as_deref(), Some("ADVICE"));
        assert_eq!(closing_code_to_write(Some("cfac"), Some("CFAC")), None, "same code, other case");
    }

    #[test]
    fn rows_are_added_filled_and_removed() {
        let mut a = Map::new();
        apply(&mut a, &t("actions"), &Op::AddRow);
        apply(&mut a, &t("actions"), &Op::AddRow);
        apply(&mut a, &row("actions", 1, "owner"), &Op::Set(Some(json!("PC 1"))));
        apply(&mut a, &row("actions", 0, "action"), &Op::Set(Some(json!("Fit a door alarm"))));
        assert_eq!(a["actions"], json!([{"action": "Fit a door alarm"}, {"owner": "PC 1"}]));
        apply(&mut a, &row("actions", 7, "owner"), &Op::Set(Some(json!("x"))));
        apply(&mut a, &t("actions"), &Op::RemoveRow(9));
        assert_eq!(a["actions"].as_array().map(Vec::len), Some(2), "rows that are not there are left alone");
        apply(&mut a, &t("actions"), &Op::RemoveRow(0));
        assert_eq!(a["actions"], json!([{"owner": "PC 1"}]));
        apply(&mut a, &row("actions", 0, "owner"), &Op::Set(None));
        apply(&mut a, &t("actions"), &Op::RemoveRow(0));
        assert!(!a.contains_key("actions"));
    }

    #[test]
    fn declining_keeps_what_was_typed() {
        let mut a = Map::new();
        apply(&mut a, &t("school"), &Op::Set(Some(json!("Hill Primary"))));
        apply(&mut a, &t("school"), &Op::Declined(true));
        assert_eq!(a["school"], json!({"declined": true, "value": "Hill Primary"}));
        assert!(is_declined(a.get("school")));
        apply(&mut a, &t("school"), &Op::Declined(false));
        assert_eq!(a["school"], json!("Hill Primary"));
        // A declined group keeps its rows, and rows can still be edited underneath.
        apply(&mut a, &t("kids"), &Op::AddRow);
        apply(&mut a, &t("kids"), &Op::Declined(true));
        apply(&mut a, &row("kids", 0, "child"), &Op::Set(Some(json!("N1"))));
        assert_eq!(a["kids"], json!({"declined": true, "value": [{"child": "N1"}]}));
        apply(&mut a, &t("kids"), &Op::Declined(false));
        assert_eq!(a["kids"], json!([{"child": "N1"}]));
        // Declining a radio question replaces the token (the radios show the choice).
        apply(&mut a, &row("kids", 0, "sent"), &Op::Set(Some(json!({"declined": true}))));
        assert!(is_declined(rows(a.get("kids"))[0].get("sent")));
    }

    #[test]
    fn multi_choice_toggles() {
        let mut a = Map::new();
        apply(&mut a, &t("m"), &Op::ToggleOption("x".into()));
        apply(&mut a, &t("m"), &Op::ToggleOption("y".into()));
        apply(&mut a, &t("m"), &Op::ToggleOption("x".into()));
        assert_eq!(a["m"], json!(["y"]));
        apply(&mut a, &t("m"), &Op::ToggleOption("y".into()));
        assert!(!a.contains_key("m"));
        // Odd stored shapes never panic.
        a.insert("m".into(), json!(42));
        apply(&mut a, &t("m"), &Op::ToggleOption("x".into()));
        assert_eq!(a["m"], json!(["x"]));
        a.insert("g".into(), json!("not a list"));
        apply(&mut a, &t("g"), &Op::AddRow);
        assert_eq!(a["g"], json!([{}]));
        apply(&mut a, &row("g", 0, "f"), &Op::AddRow);
    }

    #[test]
    fn issues_map_to_their_page() {
        let issue = |s: Option<&str>| FieldIssue {
            path: "actions[0].due".into(),
            question_id: "actions".into(),
            section_id: s.map(str::to_string),
            kind: IssueKind::Missing,
            message: "m".into(),
        };
        let ids = ["parties", "actions"];
        assert_eq!(section_of_issue(&ids, &issue(Some("actions"))), Some(1));
        assert_eq!(section_of_issue(&ids, &issue(Some("hidden"))), None);
        assert_eq!(section_of_issue(&ids, &issue(None)), None);
        assert_eq!(row("actions", 0, "due").path(), "actions[0].due");
    }
}
