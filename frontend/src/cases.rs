//! Incidents, the guided forms wizard and the closing-code gate.
//!
//! The wizard renders the form packs (data in `assets/forms`) with the same `bluelamp-forms`
//! code the backend validates with; every change autosaves to the encrypted store, so a crash
//! or restart resumes at the same section. Finalising is decided by the backend's gate: the
//! UI only shows what is missing and opens it.

use bluelamp_forms::{builtin_closing_codes, builtin_packs, FormPack, MissingKind, Question, QuestionType, Visibility};
use bluelamp_protocol::casework::{
    FinaliseOutcome, FormDetail, IncidentDetail, IncidentSummary, LinkedPerson, SaveDraftRequest,
    SetClosingCodeRequest, StartFormRequest, SubmitFormRequest, SubmitOutcome,
};
use bluelamp_protocol::{ApiError, ErrorCode};
use serde_json::{json, Map, Value};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::api;

fn pack(id: &str) -> Option<FormPack> {
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

fn kind_name<T: serde::Serialize>(k: &T) -> String {
    serde_json::to_value(k).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

#[derive(Properties, PartialEq)]
pub struct CasesProps {
    pub on_locked: Callback<()>,
}

#[derive(Clone, PartialEq)]
enum Screen {
    List,
    Incident(String),
    Form { incident_id: String, form_id: String },
}

#[function_component(CasesView)]
pub fn cases_view(props: &CasesProps) -> Html {
    let screen = use_state(|| Screen::List);
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
            html! { <IncidentPage incident_id={id} on_open_form={open_form} on_back={go(Screen::List)}
            on_locked={props.on_locked.clone()} /> }
        }
        Screen::Form { incident_id, form_id } => html! {
            <Wizard {form_id} incident_id={incident_id.clone()} on_done={go(Screen::Incident(incident_id))}
                on_locked={props.on_locked.clone()} />
        },
    }
}

fn error_view(e: &ApiError, on_locked: &Callback<()>) -> Html {
    if e.code == ErrorCode::Locked {
        on_locked.emit(());
    }
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
        Some(Err(e)) => error_view(e, &p.on_locked),
        Some(Ok(items)) => html! {
            <table id="incidents">
                <thead><tr><th>{"Reference"}</th><th>{"Type"}</th><th>{"When"}</th><th>{"Place"}</th><th>{"Status"}</th><th>{"Code"}</th></tr></thead>
                <tbody>
                { for items.iter().map(|i| {
                    let onclick = { let (cb, id) = (p.on_open.clone(), i.id.clone()); Callback::from(move |_| cb.emit(id.clone())) };
                    html! {
                        <tr class="incident" data-id={i.id.clone()} data-type={i.incident_type.clone()} {onclick}>
                            <td>{ &i.reference }</td><td>{ i.incident_type.replace('_', " ") }</td>
                            <td>{ i.occurred_at.get(..16).unwrap_or(&i.occurred_at).replace('T', " ") }</td>
                            <td>{ i.place.clone().unwrap_or_default() }</td>
                            <td>{ i.status.as_str() }</td><td>{ i.closing_code.clone().unwrap_or_default() }</td>
                        </tr>
                    }
                }) }
                </tbody>
            </table>
        },
    }
}

#[derive(Properties, PartialEq)]
struct IncidentProps {
    incident_id: String,
    on_open_form: Callback<String>,
    on_back: Callback<()>,
    on_locked: Callback<()>,
}

#[function_component(IncidentPage)]
fn incident_page(p: &IncidentProps) -> Html {
    let detail = use_state(|| None::<Result<IncidentDetail, ApiError>>);
    let finalise = use_state(|| None::<Result<FinaliseOutcome, ApiError>>);
    let code = use_state(|| "DA".to_string());
    let reload = {
        let (detail, id) = (detail.clone(), p.incident_id.clone());
        Callback::from(move |_: ()| {
            let (detail, id) = (detail.clone(), id.clone());
            spawn_local(async move { detail.set(Some(api::get_incident(&id).await)) });
        })
    };
    {
        let reload = reload.clone();
        use_effect_with(p.incident_id.clone(), move |_| reload.emit(()));
    }
    let start = {
        let (id, open) = (p.incident_id.clone(), p.on_open_form.clone());
        move |pack_id: &'static str| {
            let (id, open) = (id.clone(), open.clone());
            Callback::from(move |_: MouseEvent| {
                let req = StartFormRequest { incident_id: id.clone(), pack_id: pack_id.into() };
                let open = open.clone();
                spawn_local(async move {
                    if let Ok(f) = api::start_form(&req).await {
                        open.emit(f.info.id);
                    }
                });
            })
        }
    };
    let on_code = {
        let code = code.clone();
        Callback::from(move |e: Event| code.set(e.target_unchecked_into::<HtmlSelectElement>().value()))
    };
    let do_finalise = {
        let (id, code, finalise, detail) = (p.incident_id.clone(), code.clone(), finalise.clone(), detail.clone());
        Callback::from(move |_: MouseEvent| {
            let (id, code, finalise, detail) = (id.clone(), (*code).clone(), finalise.clone(), detail.clone());
            spawn_local(async move {
                let set = SetClosingCodeRequest { incident_id: id.clone(), code: Some(code) };
                match api::set_closing_code(&set).await {
                    Ok(d) => detail.set(Some(Ok(d))),
                    Err(e) => return finalise.set(Some(Err(e))),
                }
                finalise.set(Some(api::finalise_incident(&id).await));
                detail.set(Some(api::get_incident(&id).await));
            });
        })
    };
    let back = p.on_back.reform(|_: MouseEvent| ());
    let body = match &*detail {
        None => html! { <p class="hint">{"Loading…"}</p> },
        Some(Err(e)) => error_view(e, &p.on_locked),
        Some(Ok(d)) => {
            let s = &d.summary;
            let codes = builtin_closing_codes().map(|c| c.codes).unwrap_or_default();
            html! {
                <>
                    <h2 id="incident-ref">{ format!("{} — {}", s.reference, s.incident_type.replace('_', " ")) }</h2>
                    <p class="hint">{ format!("{} · {}", s.occurred_at, s.place.clone().unwrap_or_default()) }</p>
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
                                (None, Some(pack_id)) => html! { <button class="start" data-pack={pack_id} onclick={start(pack_id)}>{"Start"}</button> },
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
                            .map(|(id, label)| html! { <button class="start secondary" data-pack={id} onclick={start(id)}>{ format!("Start {label}") }</button> }) }
                    </div>
                    <ul id="forms">{ for d.forms.iter().map(|f| {
                        let (open, fid) = (p.on_open_form.clone(), f.id.clone());
                        html! { <li class="form" data-pack={f.pack_id.clone()} data-status={kind_name(&f.status)}>
                            { format!("{} — {}", f.title, kind_name(&f.status)) }
                            <button class="secondary" onclick={Callback::from(move |_| open.emit(fid.clone()))}>{"Open"}</button>
                        </li> }
                    }) }</ul>
                    <h3>{"Tasks"}</h3>
                    <ul id="tasks">{ for d.tasks.iter().map(|t| html! {
                        <li class="task" data-kind={t.kind.clone()}>{ format!("{} (due {})", t.title, t.due_at.clone().unwrap_or_else(|| "-".into())) }</li>
                    }) }</ul>
                    <div class="finalise">
                        <label for="closing-code">{"Closing code"}</label>
                        <select id="closing-code" onchange={on_code}>
                            { for codes.iter().map(|c| html! { <option value={c.code.clone()} selected={*code == c.code}>{ format!("{} — {}", c.code, c.label) }</option> }) }
                        </select>
                        <button id="finalise" onclick={do_finalise}>{"Finalise incident"}</button>
                    </div>
                    { match &*finalise {
                        None => html! {},
                        Some(Err(e)) => html! { <p id="finalise-result" class="error">{ &e.message }</p> },
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
        <section id="incident" class="incident">
            <button class="secondary" onclick={back}>{"← Incidents"}</button>
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct WizardProps {
    form_id: String,
    incident_id: String,
    on_done: Callback<()>,
    on_locked: Callback<()>,
}

#[function_component(Wizard)]
fn wizard(p: &WizardProps) -> Html {
    let form = use_state(|| None::<Result<FormDetail, ApiError>>);
    let links = use_state(Vec::<LinkedPerson>::new);
    let answers = use_state(Map::<String, Value>::new);
    let section = use_state(|| 0usize);
    let grade = use_state(String::new);
    let rationale = use_state(String::new);
    let outcome = use_state(|| None::<Result<SubmitOutcome, ApiError>>);
    {
        let (form, links, answers, section, fid, iid) =
            (form.clone(), links.clone(), answers.clone(), section.clone(), p.form_id.clone(), p.incident_id.clone());
        use_effect_with(p.form_id.clone(), move |_| {
            spawn_local(async move {
                if let Ok(d) = api::get_incident(&iid).await {
                    links.set(d.summary.links);
                }
                let f = api::get_form(&fid).await;
                if let Ok(f) = &f {
                    let a = f.answers.as_object().cloned().unwrap_or_default();
                    // Resume where the officer left off.
                    if let (Some(pk), Some(cur)) = (pack(&f.info.pack_id), f.info.current_section.as_deref()) {
                        let vis = Visibility::compute(&pk, &a);
                        let visible: Vec<&str> = pk
                            .sections
                            .iter()
                            .zip(&vis.sections)
                            .filter(|(_, v)| **v)
                            .map(|(s, _)| s.id.as_str())
                            .collect();
                        section.set(visible.iter().position(|s| *s == cur).unwrap_or(0));
                    }
                    answers.set(a);
                }
                form.set(Some(f));
            });
        });
    }
    let Some(f) = &*form else { return html! { <p class="hint">{"Loading form…"}</p> } };
    let f = match f {
        Err(e) => return error_view(e, &p.on_locked),
        Ok(f) => f.clone(),
    };
    let Some(pk) = pack(&f.info.pack_id) else {
        return html! { <p class="error">{ format!("Form pack {} is not available on this device.", f.info.pack_id) }</p> };
    };
    let vis = Visibility::compute(&pk, &answers);
    let visible: Vec<usize> = (0..pk.sections.len()).filter(|i| vis.sections[*i]).collect();
    let on_summary = *section >= visible.len();
    let editable = kind_name(&f.info.status) == "draft";

    // Every change autosaves (answers + the section on screen).
    let set_answer = {
        let (answers, fid, cur) =
            (answers.clone(), f.info.id.clone(), visible.get(*section).map(|i| pk.sections[*i].id.clone()));
        Callback::from(move |(qid, v): (String, Option<Value>)| {
            let mut a = (*answers).clone();
            match v {
                Some(v) => a.insert(qid, v),
                None => a.remove(&qid),
            };
            answers.set(a.clone());
            let req =
                SaveDraftRequest { form_id: fid.clone(), answers: Value::Object(a), current_section: cur.clone() };
            spawn_local(async move {
                let _ = api::save_draft(&req).await;
            });
        })
    };
    let goto = |to: usize| {
        let (section, answers, fid, ids) = (
            section.clone(),
            answers.clone(),
            f.info.id.clone(),
            visible.iter().map(|i| pk.sections[*i].id.clone()).collect::<Vec<_>>(),
        );
        Callback::from(move |_: MouseEvent| {
            section.set(to);
            let req = SaveDraftRequest {
                form_id: fid.clone(),
                answers: Value::Object((*answers).clone()),
                current_section: ids.get(to).cloned(),
            };
            spawn_local(async move {
                let _ = api::save_draft(&req).await;
            });
        })
    };
    let progress = html! {
        <p id="progress" class="hint">{ if on_summary { format!("Check and submit (after {} sections)", visible.len()) }
            else { format!("Section {} of {}", *section + 1, visible.len()) } }</p>
    };
    let done = p.on_done.reform(|_: MouseEvent| ());
    let page = if !on_summary {
        let s = &pk.sections[visible[*section]];
        let qvis = &vis.questions[visible[*section]];
        html! {
            <section class="wizard-page" data-section={s.id.clone()}>
                <h3>{ &s.title }</h3>
                if let Some(g) = &s.guidance { <p class="guidance">{ g }</p> }
                { for s.questions.iter().zip(qvis).filter(|(_, v)| **v).map(|(q, _)| question(q, answers.get(&q.id), &links, &set_answer, editable)) }
                <div class="actions">
                    if *section > 0 { <button class="secondary" onclick={goto(*section - 1)}>{"Back"}</button> }
                    <button id="next" onclick={goto(*section + 1)}>{"Next"}</button>
                </div>
            </section>
        }
    } else {
        let linked: Vec<String> = links.iter().map(|l| l.nominal_id.clone()).collect();
        let ctx = bluelamp_forms::ValidationContext { linked_nominals: Some(&linked), now: None };
        let issues = bluelamp_forms::validate_answers(&pk, &answers, &ctx);
        let submit = {
            let (fid, grade, rationale, outcome, form) =
                (f.info.id.clone(), grade.clone(), rationale.clone(), outcome.clone(), form.clone());
            Callback::from(move |_: MouseEvent| {
                let officer_grade = serde_json::from_value(json!(*grade)).ok();
                let req = SubmitFormRequest {
                    form_id: fid.clone(),
                    officer_grade,
                    rationale: Some((*rationale).clone()).filter(|r| !r.trim().is_empty()),
                };
                let (outcome, form, fid) = (outcome.clone(), form.clone(), fid.clone());
                spawn_local(async move {
                    outcome.set(Some(api::submit_form(&req).await));
                    form.set(Some(api::get_form(&fid).await));
                });
            })
        };
        let on_grade = {
            let g = grade.clone();
            Callback::from(move |e: Event| g.set(e.target_unchecked_into::<HtmlSelectElement>().value()))
        };
        let on_rat = {
            let r = rationale.clone();
            Callback::from(move |e: InputEvent| r.set(e.target_unchecked_into::<HtmlTextAreaElement>().value()))
        };
        html! {
            <section class="wizard-summary">
                <h3>{"Check before you submit"}</h3>
                if issues.is_empty() { <p class="ok">{"Every required answer is given."}</p> }
                else { <ul id="form-issues">{ for issues.iter().map(|i| html! { <li class="issue">{ &i.message }</li> }) }</ul> }
                if pk.requires_grade && editable {
                    <label for="officer-grade">{"Your risk grade (your own judgement; the suggestion comes after submission)"}</label>
                    <select id="officer-grade" onchange={on_grade}>
                        <option value="" selected={grade.is_empty()}>{"Choose…"}</option>
                        <option value="standard">{"Standard"}</option><option value="medium">{"Medium"}</option><option value="high">{"High"}</option>
                    </select>
                    <label for="rationale">{"Rationale"}</label>
                    <textarea id="rationale" value={(*rationale).clone()} oninput={on_rat} />
                }
                <div class="actions">
                    if !visible.is_empty() { <button class="secondary" onclick={goto(visible.len() - 1)}>{"Back"}</button> }
                    if editable { <button id="submit-form" onclick={submit}>{"Submit"}</button> }
                </div>
                { match &*outcome {
                    None => html! {},
                    Some(Err(e)) => html! { <p class="error" role="alert">{ &e.message }</p> },
                    Some(Ok(SubmitOutcome::Rejected { issues })) => html! {
                        <ul id="submit-issues" class="error">{ for issues.iter().map(|i| html! { <li>{ format!("{i:?}") }</li> }) }</ul> },
                    Some(Ok(SubmitOutcome::Submitted(s))) => html! {
                        <div id="submitted">
                            if let Some(sg) = &s.suggestion {
                                <p>{"Suggested grade: "}<strong id="suggested-grade">{ kind_name(&sg.suggested) }</strong>
                                   { format!(" ({} yes answers)", sg.yes_count) }</p>
                            }
                            <ul id="created-tasks">{ for s.tasks.iter().map(|t| html! { <li class="task" data-kind={t.kind.clone()}>{ &t.title }</li> }) }</ul>
                        </div>
                    },
                } }
            </section>
        }
    };
    html! {
        <section id="wizard" class="wizard" data-form={f.info.id.clone()}>
            <button class="secondary" onclick={done}>{"← Back to incident"}</button>
            <h2>{ &pk.title }</h2>
            { progress }
            { page }
        </section>
    }
}

fn question(
    q: &Question,
    current: Option<&Value>,
    links: &[LinkedPerson],
    set: &Callback<(String, Option<Value>)>,
    editable: bool,
) -> Html {
    let declined = current.is_some_and(|v| v.get("declined").is_some());
    let token = current.and_then(Value::as_str).unwrap_or("");
    let radio = |value: &str, label: &str, checked: bool, answer: Value| {
        let (set, qid) = (set.clone(), q.id.clone());
        let id = format!("q-{}-{}", q.id, value);
        html! {
            <label class="choice" for={id.clone()}>
                <input type="radio" id={id} name={q.id.clone()} value={value.to_string()} {checked} disabled={!editable}
                    onchange={Callback::from(move |_| set.emit((qid.clone(), Some(answer.clone()))))} />
                { label.to_string() }
            </label>
        }
    };
    let declined_choice =
        q.allow_declined.then(|| radio("declined", "Declined to answer", declined, json!({"declined": true})));
    let input = match q.qtype {
        QuestionType::YesNo => html! { <>
            { radio("yes", "Yes", token == "yes", json!("yes")) }{ radio("no", "No", token == "no", json!("no")) }
            { radio("dont_know", "Don't know", token == "dont_know", json!("dont_know")) }{ declined_choice }
        </> },
        QuestionType::Frequency => html! { <>
            { for ["never", "sometimes", "often", "dont_know"].iter().map(|t| radio(t, &t.replace('_', " "), token == *t, json!(t))) }{ declined_choice }
        </> },
        QuestionType::SingleChoice => html! { <>
            { for q.options.iter().map(|o| radio(&o.id, &o.label, token == o.id, json!(o.id))) }{ declined_choice }
        </> },
        QuestionType::MultiChoice => {
            let chosen: Vec<String> = current
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            html! { <>
                { for q.options.iter().map(|o| {
                    let (set, qid, oid, chosen) = (set.clone(), q.id.clone(), o.id.clone(), chosen.clone());
                    let id = format!("q-{}-{}", q.id, o.id);
                    let checked = chosen.contains(&o.id);
                    html! { <label class="choice" for={id.clone()}>
                        <input type="checkbox" id={id} value={o.id.clone()} {checked} disabled={!editable}
                            onchange={Callback::from(move |_| {
                                let mut c = chosen.clone();
                                if let Some(i) = c.iter().position(|x| *x == oid) { c.remove(i); } else { c.push(oid.clone()); }
                                set.emit((qid.clone(), Some(json!(c))));
                            })} />{ &o.label }</label> }
                }) }{ declined_choice }
            </> }
        }
        QuestionType::Person => {
            let (set, qid) = (set.clone(), q.id.clone());
            html! {
                <select id={format!("q-{}", q.id)} disabled={!editable} onchange={Callback::from(move |e: Event| {
                    let v = e.target_unchecked_into::<HtmlSelectElement>().value();
                    set.emit((qid.clone(), (!v.is_empty()).then(|| json!(v))));
                })}>
                    <option value="" selected={token.is_empty()}>{"Choose a linked person…"}</option>
                    { for links.iter().map(|l| html! { <option value={l.nominal_id.clone()} selected={token == l.nominal_id}>
                        { format!("{} ({})", l.name.clone().unwrap_or_else(|| l.nominal_id.clone()), l.role) }</option> }) }
                </select>
            }
        }
        QuestionType::Group => {
            html! { <p class="hint">{"Add these items in the notes for now: list entry is not in this version of the app."}</p> }
        }
        _ => {
            let (set, qid) = (set.clone(), q.id.clone());
            let kind = match q.qtype {
                QuestionType::Date => "date",
                QuestionType::Datetime => "datetime-local",
                QuestionType::Number => "number",
                _ => "text",
            };
            html! { <input id={format!("q-{}", q.id)} type={kind} value={token.to_string()} disabled={!editable}
            oninput={Callback::from(move |e: InputEvent| {
                let v = e.target_unchecked_into::<HtmlInputElement>().value();
                set.emit((qid.clone(), (!v.is_empty()).then(|| json!(v))));
            })} /> }
        }
    };
    html! {
        <fieldset class="question" data-qid={q.id.clone()} data-type={q.qtype.name()}>
            <legend>{ format!("{}{}{}", q.number.as_deref().map(|n| format!("{n}. ")).unwrap_or_default(), q.text, if q.required { " *" } else { "" }) }</legend>
            if let Some(g) = &q.guidance { <p class="guidance">{ g }</p> }
            { input }
        </fieldset>
    }
}
