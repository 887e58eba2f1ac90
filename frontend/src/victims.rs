//! Victims' Code (issue 6): the Victims panel of an incident (who the victims are, enhanced
//! rights with reasons, consent model, the working-day countdown, destinations as prompts, the
//! safe-contact block), the referral decision screen with the offline toolkit, and the
//! "victims awaiting a referral decision" list.
//!
//! The rules run in the backend (`bluelamp-victims` through the store); this screen shows what
//! they say and sends what the officer records. A refused decision keeps everything typed and
//! shows the message next to its field.

use std::collections::{BTreeMap, BTreeSet};

use bluelamp_protocol::casework::{
    RecordReferralRequest, ReferralDecisionInfo, ReferralDecisionInput, ReferralOutcome, WithdrawReferralRequest,
};
use bluelamp_protocol::victims::{
    Answer, AwaitingRow, DeadlineStatus, FieldMessage, InvestigationEventRequest, PanelEvent, RecordReferralOutcome,
    SafeContact, ServiceQuery, Under18Request, UpdatePreferenceInfo, UpdatePreferenceRequest, VictimAssessment,
    VictimToldRequest, VictimsPanel, EVENT_KINDS, TOLD_HOW, UNDER_18_QUESTION, UPDATE_PREFERENCES,
};
use bluelamp_protocol::ApiError;
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::api;

fn code<T: serde::Serialize>(k: &T) -> String {
    serde_json::to_value(k).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

fn words(k: &str) -> String {
    k.replace('_', " ")
}

fn countdown_class(s: DeadlineStatus) -> &'static str {
    match s {
        DeadlineStatus::Ok => "countdown ok",
        DeadlineStatus::DueSoon => "countdown due-soon",
        DeadlineStatus::Breached => "countdown breached",
    }
}

#[derive(Properties, PartialEq)]
pub struct SectionProps {
    pub incident_id: String,
    /// The officer tried to close the incident: show the closing prompts.
    #[prop_or_default]
    pub closing: bool,
    /// A decision was recorded (the incident page reloads its gate).
    #[prop_or_default]
    pub on_changed: Callback<()>,
    pub on_locked: Callback<()>,
}

/// The Victims panel of an incident.
#[function_component(VictimsSection)]
pub fn victims_section(p: &SectionProps) -> Html {
    let panel = use_state(|| None::<Result<VictimsPanel, ApiError>>);
    // The victim whose decision form is open, kept while the officer looks at another tab.
    let deciding_key = format!("deciding:{}", p.incident_id);
    let deciding = crate::drafts::use_kept_state::<Option<String>>(&deciding_key);
    // Warnings of the decision just recorded (also stored with it).
    let recorded = use_state(|| None::<Vec<FieldMessage>>);
    // The decision whose "Withdraw…" form is open (its id), kept like the decision form.
    let withdrawing = crate::drafts::use_kept_state::<Option<String>>(&format!("withdrawing:{}", p.incident_id));
    // A decision was just withdrawn (said once, politely).
    let withdrawn = use_state(|| false);
    let reload = {
        let (panel, id) = (panel.clone(), p.incident_id.clone());
        Callback::from(move |_: ()| {
            let (panel, id) = (panel.clone(), id.clone());
            spawn_local(async move { panel.set(Some(api::victims_assessment(&id).await)) });
        })
    };
    {
        let reload = reload.clone();
        use_effect_with(p.incident_id.clone(), move |_| reload.emit(()));
    }
    let body = match &*panel {
        None => html! { <p class="hint">{"Assessing victims…"}</p> },
        Some(Err(e)) => crate::cases::error_view(e),
        Some(Ok(v)) if v.assessment.victims.is_empty() => html! {
            <p class="hint" id="no-victims">{"No victim is linked to this incident."}</p>
        },
        Some(Ok(v)) => {
            let prompts = if p.closing { &v.closing_prompts } else { &v.assessment.prompts };
            let on_done = {
                let (reload, deciding, changed, recorded) =
                    (reload.clone(), deciding.clone(), p.on_changed.clone(), recorded.clone());
                let deciding_key = deciding_key.clone();
                Callback::from(move |warnings: Vec<FieldMessage>| {
                    recorded.set(Some(warnings));
                    // Forgotten here too, not only at the next render: an officer who went to
                    // another tab (or whose window locked) while the save was in flight would
                    // otherwise come back to the form open again for the victim just decided.
                    crate::drafts::clear(&deciding_key);
                    deciding.set(None);
                    reload.emit(());
                    changed.emit(());
                })
            };
            html! {
                <>
                    <ul id="victim-prompts" class="prompts" aria-live="polite">
                        { for prompts.iter().map(|pr| html! {
                            <li class={classes!("prompt", code(&pr.severity))} data-code={pr.code.clone()}
                                data-person={pr.person_id.clone().unwrap_or_default()}
                                data-destination={pr.destination.clone().unwrap_or_default()}>
                                // Not by colour alone: what blocks closure, or warns, says so.
                                // Only what the closing-code gate checks is called a block: the
                                // rest of the engine's musts (answer a question, the safe-contact
                                // block) were labelled so and did not block (review, 7 Dec 2026).
                                { match code(&pr.severity).as_str() {
                                    "blocking" if gate_checks(&pr.code) => html! { <strong class="prompt-kind">{"Blocks closure: "}</strong> },
                                    "blocking" => html! { <strong class="prompt-kind">{"Needed: "}</strong> },
                                    "warning" => html! { <strong class="prompt-kind">{"Warning: "}</strong> },
                                    _ => html! {},
                                } }
                                { &pr.message }</li>
                        }) }
                    </ul>
                    { match &*recorded {
                        Some(w) => html! {
                            <div id="decision-recorded" class="ok" role="status">
                                <p>{"Referral decision recorded."}</p>
                                <ul>{ for w.iter().map(|m| html! { <li class="field-warning" data-field={m.field.clone()}>{ &m.message }</li> }) }</ul>
                            </div>
                        },
                        None => html! {},
                    } }
                    { if *withdrawn { html! {
                        <p id="decision-withdrawn" class="ok" role="status">
                            {"Referral decision withdrawn; it stays in the history. Record a fresh decision for the victim if one is needed."}
                        </p>
                    } } else { html! {} } }
                    { for v.assessment.undetermined.iter().map(|u| html! { <p class="question">{ &u.question }</p> }) }
                    { for v.assessment.victims.iter().map(|va| {
                        let w = Withdrawing {
                            open: (*withdrawing).clone(),
                            set: {
                                let (wd, done) = (withdrawing.clone(), withdrawn.clone());
                                Callback::from(move |id: Option<String>| { done.set(false); wd.set(id) })
                            },
                            on_done: {
                                let (wd, done, reload, changed, recorded) =
                                    (withdrawing.clone(), withdrawn.clone(), reload.clone(), p.on_changed.clone(), recorded.clone());
                                Callback::from(move |_: ()| {
                                    recorded.set(None);
                                    wd.set(None);
                                    done.set(true);
                                    reload.emit(());
                                    changed.emit(());
                                })
                            },
                            on_locked: p.on_locked.clone(),
                        };
                        let answered = {
                            let (reload, changed, recorded) = (reload.clone(), p.on_changed.clone(), recorded.clone());
                            Callback::from(move |_: ()| {
                                recorded.set(None);
                                reload.emit(());
                                changed.emit(());
                            })
                        };
                        victim_card(v, va, &deciding, &w, &answered)
                    }) }
                    <UpdatesPart panel={v.clone()} on_done={{
                        let (reload, changed, recorded) = (reload.clone(), p.on_changed.clone(), recorded.clone());
                        Callback::from(move |_: ()| {
                            recorded.set(None);
                            reload.emit(());
                            changed.emit(());
                        })
                    }} on_locked={p.on_locked.clone()} />
                    { match &*deciding {
                        Some(pid) => match v.assessment.victims.iter().find(|x| &x.person_id == pid) {
                            Some(va) => html! {
                                // Keyed by person: another victim's button opens a fresh form, never
                                // one still holding the first victim's words and consent.
                                <DecisionForm key={va.person_id.clone()} panel={v.clone()} victim={va.clone()} on_done={on_done}
                                    on_cancel={{ let (d, r) = (deciding.clone(), recorded.clone()); Callback::from(move |_: ()| { r.set(None); d.set(None) }) }}
                                    on_locked={p.on_locked.clone()} />
                            },
                            None => html! {},
                        },
                        None => html! {},
                    } }
                </>
            }
        }
    };
    html! {
        <section id="victims" class="victims" aria-labelledby="victims-heading">
            <h3 id="victims-heading">{"Victims (Victims' Code referrals)"}</h3>
            { body }
        </section>
    }
}

/// The "Withdraw…" form of a victim card: which decision it is open for, and what to do.
struct Withdrawing {
    open: Option<String>,
    set: Callback<Option<String>>,
    on_done: Callback<()>,
    on_locked: Callback<()>,
}

fn victim_card(
    panel: &VictimsPanel,
    v: &VictimAssessment,
    deciding: &UseStateHandle<Option<String>>,
    withdrawing: &Withdrawing,
    answered: &Callback<()>,
) -> Html {
    let name = v.name.clone().unwrap_or_else(|| v.person_id.clone());
    let cd = panel.countdowns.iter().find(|c| c.person_id == v.person_id);
    let open = {
        let (d, pid) = (deciding.clone(), v.person_id.clone());
        Callback::from(move |_: MouseEvent| d.set(Some(pid.clone())))
    };
    let decisions: Vec<_> = panel.decisions.iter().filter(|d| d.victim_id == v.person_id).collect();
    html! {
        <article class="victim" data-person={v.person_id.clone()} data-state={code(&v.referral_state)}
            data-basis={code(&v.basis)} data-under18={v.under_18.map(|u| u.to_string()).unwrap_or_default()}>
            <h4>
                { format!("{name} — {}", words(&code(&v.basis))) }
                { if v.enhanced { html! { <span class="badge enhanced">{"Enhanced rights"}</span> } } else { html! {} } }
            </h4>
            { if v.enhanced { html! {
                <ul class="reasons">{ for v.enhanced_reasons.iter().map(|r| html! { <li>{ &r.detail }</li> }) }</ul>
            } } else { html! {} } }
            <p class="consent" data-consent={code(&v.consent_model)}>
                { format!("Consent: {} — {}", if code(&v.consent_model) == "opt_in" { "explicit agreement needed (opt-in)" } else { "referred unless they object (opt-out)" }, v.consent_reason) }
            </p>
            { match cd { Some(c) => {
                // Decided: the deadline is history, not a countdown (an on-time referral was
                // drawn as breached once its date had passed).
                let decided = matches!(code(&v.referral_state).as_str(), "referred" | "declined");
                let (class, status) = if decided {
                    ("countdown done", "done".to_string())
                } else {
                    (countdown_class(c.status), code(&c.status))
                };
                html! {
                    <p {class} data-status={status}>
                        { if decided {
                            format!("Referral decision: {} (deadline {})", words(&code(&v.referral_state)), c.due)
                        } else {
                            format!("Referral decision: {} — {}", words(&code(&v.referral_state)), c.label)
                        } }
                    </p>
                }
            }, None => html! {} } }
            <ul class="destinations">
                { for v.destinations.iter().map(|d| html! {
                    <li class="destination" data-code={d.code.clone()} data-recorded={d.recorded.to_string()}>
                        <strong>{ &d.label }</strong>{ format!(" — {}", d.reason) }
                        { if d.recorded { html! { <span class="badge ok">{" recorded"}</span> } } else { html! {} } }
                    </li>
                }) }
                { for v.possible_destinations.iter().map(|d| html! {
                    <li class="destination possible" data-code={d.code.clone()}>
                        { format!("{} — may apply: depends on {}", d.label, d.depends_on.iter().map(|s| words(s)).collect::<Vec<_>>().join(", ")) }
                    </li>
                }) }
            </ul>
            { match &v.safe_contact { Some(sc) => html! {
                <div class="safe-contact-required" data-missing={sc.missing.len().to_string()}>
                    <p>{ if sc.missing.is_empty() { "Safe contact recorded.".to_string() } else {
                        format!("Safe contact needed before a referral that phones the victim: {}", sc.missing.iter().map(|s| words(s)).collect::<Vec<_>>().join(", ")) } }</p>
                    { for sc.warnings.iter().map(|w| html! { <p class="warning" data-code={w.code.clone()}>{ &w.message }</p> }) }
                </div>
            }, None => html! {} } }
            { for v.warnings.iter().map(|w| html! { <p class="warning" data-code={w.code.clone()}>{ &w.message }</p> }) }
            { match panel.under18_answers.iter().find(|a| a.nominal_id == v.person_id) {
                // Answered (no date of birth): the answer, and "Change answer" (a later answer).
                Some(a) if !v.undetermined.iter().any(|u| u.code == UNDER_18_QUESTION) => html! {
                    <Under18Answered key={format!("u18a-{}", v.person_id)} incident_id={panel.incident_id.clone()}
                        person_id={v.person_id.clone()} under_18={a.under_18} answered_on={uk_day_of(&a.answered_at)}
                        on_done={answered.clone()} on_locked={withdrawing.on_locked.clone()} />
                },
                _ => html! {},
            } }
            { for v.undetermined.iter().map(|u| if u.code == UNDER_18_QUESTION {
                html! {
                    <Under18Question key={format!("u18-{}", v.person_id)} incident_id={panel.incident_id.clone()}
                        person_id={v.person_id.clone()} question={u.question.clone()}
                        on_done={answered.clone()} on_locked={withdrawing.on_locked.clone()} on_cancel={None::<Callback<()>>} />
                }
            } else {
                html! { <p class="question" data-code={u.code.clone()}>{ &u.question }</p> }
            }) }
            { if decisions.is_empty() { html! {} } else { html! {
                <ul class="decisions">{ for decisions.iter().map(|d| {
                    let open = withdrawing.open.as_deref() == Some(d.id.as_str());
                    let toggle = {
                        let (set, id) = (withdrawing.set.clone(), d.id.clone());
                        Callback::from(move |_: MouseEvent| set.emit(if open { None } else { Some(id.clone()) }))
                    };
                    html! {
                        <li class="decision" data-id={d.id.clone()} data-outcome={d.outcome.as_str()}
                            data-destination={d.destination.clone().unwrap_or_default()} data-status={d.status.clone()}>
                            { decision_line(d) }
                            { if can_withdraw(d) { html! {
                                <button type="button" class="withdraw secondary" data-id={d.id.clone()}
                                    aria-expanded={open.to_string()} onclick={toggle}>{"Withdraw…"}</button>
                            } } else { html! {} } }
                            { if open && can_withdraw(d) { html! {
                                <WithdrawForm key={d.id.clone()} incident_id={panel.incident_id.clone()} decision={(*d).clone()}
                                    on_done={withdrawing.on_done.clone()}
                                    on_cancel={{ let set = withdrawing.set.clone(); Callback::from(move |_: ()| set.emit(None)) }}
                                    on_locked={withdrawing.on_locked.clone()} />
                            } } else { html! {} } }
                        </li>
                    }
                }) }</ul>
            } } }
            <button class="decide" data-person={v.person_id.clone()} onclick={open}>{"Record referral decision"}</button>
        </article>
    }
}

#[derive(Properties, PartialEq)]
struct DecisionProps {
    panel: VictimsPanel,
    victim: VictimAssessment,
    /// Recorded, with the warnings shown (and stored with the decision).
    on_done: Callback<Vec<FieldMessage>>,
    on_cancel: Callback<()>,
    on_locked: Callback<()>,
}

fn tri(v: &str) -> Option<bool> {
    match v {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

fn field_msgs(list: &[FieldMessage], field: &str, class: &'static str) -> Html {
    html! { for list.iter().filter(|m| m.field == field).map(|m| html! {
        <p class={class} data-field={m.field.clone()} role="alert">{ &m.message }</p>
    }) }
}

/// The referral decision screen for one victim.
/// A decision as typed, kept while the officer looks at another tab (see `drafts`).
#[derive(Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct DecisionDraft {
    outcome: String,
    destination: String,
    consent: bool,
    their_words: String,
    reason: String,
    follow_up: String,
    safe_number: String,
    safe_times: String,
    voicemail: String,
    text_ok: String,
    letters: String,
    suspect_access: String,
    language: String,
    need: String,
    area: String,
    offered: BTreeSet<String>,
    needs_answers: BTreeMap<String, String>,
}

fn decision_draft_key(incident_id: &str, victim_id: &str) -> String {
    format!("decision:{incident_id}:{victim_id}")
}

#[function_component(DecisionForm)]
fn decision_form(p: &DecisionProps) -> Html {
    let v = &p.victim;
    let draft_key = decision_draft_key(&p.panel.incident_id, &v.person_id);
    let kept = use_memo((), |_| crate::drafts::get::<DecisionDraft>(&draft_key));
    let k = |f: fn(&DecisionDraft) -> String| (*kept).as_ref().map(f);
    let first_dest = v.destinations.iter().find(|d| !d.recorded).or(v.destinations.first()).map(|d| d.code.clone());
    let outcome = use_state(|| k(|d| d.outcome.clone()).unwrap_or_else(|| "referred".to_string()));
    let destination = use_state(|| k(|d| d.destination.clone()).or(first_dest).unwrap_or_default());
    let consent = use_state(|| (*kept).as_ref().is_some_and(|d| d.consent));
    let their_words = use_state(|| k(|d| d.their_words.clone()).unwrap_or_default());
    let reason = use_state(|| k(|d| d.reason.clone()).unwrap_or_default());
    let follow_up = use_state(|| k(|d| d.follow_up.clone()).unwrap_or_default());
    let safe_number = use_state(|| k(|d| d.safe_number.clone()).unwrap_or_default());
    let safe_times = use_state(|| k(|d| d.safe_times.clone()).unwrap_or_default());
    let voicemail = use_state(|| k(|d| d.voicemail.clone()).unwrap_or_default());
    let text_ok = use_state(|| k(|d| d.text_ok.clone()).unwrap_or_default());
    let letters = use_state(|| k(|d| d.letters.clone()).unwrap_or_default());
    let suspect_access = use_state(|| k(|d| d.suspect_access.clone()).unwrap_or_default());
    let language = use_state(|| k(|d| d.language.clone()).unwrap_or_default());
    let need = use_state(|| k(|d| d.need.clone()).unwrap_or_default());
    let area = use_state(|| k(|d| d.area.clone()).unwrap_or_else(|| p.panel.area.clone().unwrap_or_default()));
    let offered = use_state(|| (*kept).as_ref().map(|d| d.offered.clone()).unwrap_or_default());
    // Needs answers so far (from the victim's earlier decisions), as form values.
    let needs_answers = {
        let (decisions, pid) = (p.panel.decisions.clone(), v.person_id.clone());
        let kept = (*kept).as_ref().map(|d| d.needs_answers.clone());
        use_state(move || {
            if let Some(m) = kept {
                return m;
            }
            let mut m = BTreeMap::<String, String>::new();
            for d in decisions.iter().filter(|d| d.victim_id == pid) {
                if let Some(serde_json::Value::Object(o)) = d.details.get("needs") {
                    for (k, a) in o {
                        let val = match a {
                            serde_json::Value::Bool(true) => "yes".to_string(),
                            serde_json::Value::Bool(false) => "no".to_string(),
                            serde_json::Value::String(s) => s.clone(),
                            _ => continue,
                        };
                        m.insert(k.clone(), val);
                    }
                }
            }
            m
        })
    };
    let errors = use_state(Vec::<FieldMessage>::new);
    let warnings = use_state(Vec::<FieldMessage>::new);
    let failure = use_state(|| None::<ApiError>);
    let busy = use_state(|| false);
    // Recorded or cancelled: what was typed is no longer kept.
    let finished = use_mut_ref(|| false);
    if !*finished.borrow() {
        crate::drafts::put(
            &draft_key,
            &DecisionDraft {
                outcome: (*outcome).clone(),
                destination: (*destination).clone(),
                consent: *consent,
                their_words: (*their_words).clone(),
                reason: (*reason).clone(),
                follow_up: (*follow_up).clone(),
                safe_number: (*safe_number).clone(),
                safe_times: (*safe_times).clone(),
                voicemail: (*voicemail).clone(),
                text_ok: (*text_ok).clone(),
                letters: (*letters).clone(),
                suspect_access: (*suspect_access).clone(),
                language: (*language).clone(),
                need: (*need).clone(),
                area: (*area).clone(),
                offered: (*offered).clone(),
                needs_answers: (*needs_answers).clone(),
            },
        );
    }

    let input = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |e: InputEvent| h.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let area_input = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |e: InputEvent| h.set(e.target_unchecked_into::<HtmlTextAreaElement>().value()))
    };
    let select = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |e: Event| h.set(e.target_unchecked_into::<HtmlSelectElement>().value()))
    };
    let radio = |value: &'static str| {
        let h = outcome.clone();
        Callback::from(move |_: Event| h.set(value.to_string()))
    };
    let on_consent = {
        let c = consent.clone();
        Callback::from(move |e: Event| c.set(e.target_unchecked_into::<HtmlInputElement>().checked()))
    };
    let da_block = v.safe_contact.is_some();
    // Notifications (MARAC, Operation Encompass, children's services) do not phone the victim.
    let dest_contacts = |c: &str| !v.destinations.iter().any(|d| d.code == c && code(&d.kind) == "notification");
    let show_safe = da_block && *outcome == "referred" && dest_contacts(&destination);

    let submit = {
        let (outcome, destination, consent, their_words, reason, follow_up) = (
            outcome.clone(),
            destination.clone(),
            consent.clone(),
            their_words.clone(),
            reason.clone(),
            follow_up.clone(),
        );
        let (safe_number, safe_times, voicemail, text_ok, letters, suspect_access, language) = (
            safe_number.clone(),
            safe_times.clone(),
            voicemail.clone(),
            text_ok.clone(),
            letters.clone(),
            suspect_access.clone(),
            language.clone(),
        );
        let (needs_answers, needs_kinds) = (needs_answers.clone(), p.panel.needs_kinds.clone());
        let (offered, errors, warnings, failure, busy, on_done) =
            (offered.clone(), errors.clone(), warnings.clone(), failure.clone(), busy.clone(), p.on_done.clone());
        let (incident_id, victim_id, da_block) = (p.panel.incident_id.clone(), v.person_id.clone(), da_block);
        let (finished, draft_key) = (finished.clone(), draft_key.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
            let out = match outcome.as_str() {
                "declined" => ReferralOutcome::Declined,
                "deferred" => ReferralOutcome::Deferred,
                _ => ReferralOutcome::Referred,
            };
            let referred = out == ReferralOutcome::Referred;
            let safe = SafeContact {
                safe_number: opt(&safe_number),
                safe_times: opt(&safe_times),
                voicemail_safe: tri(&voicemail),
                text_safe: tri(&text_ok),
                letters_safe: tri(&letters),
                suspect_can_access_phone: tri(&suspect_access),
                preferred_language: opt(&language),
            };
            let any_safe = safe != SafeContact::default();
            let needs: BTreeMap<String, Answer> = needs_answers
                .iter()
                .filter_map(|(k, val)| {
                    let a = match (needs_kinds.get(k).map(String::as_str), val.as_str()) {
                        (Some("yes_no"), "yes") => Answer::YesNo(true),
                        (Some("yes_no"), "no") => Answer::YesNo(false),
                        (Some("yes_no"), _) => return None,
                        (_, t) if t.trim().is_empty() => return None,
                        (_, t) => Answer::Text(t.trim().to_string()),
                    };
                    Some((k.clone(), a))
                })
                .collect();
            let req = RecordReferralRequest {
                incident_id: incident_id.clone(),
                victim_id: victim_id.clone(),
                decision: ReferralDecisionInput {
                    outcome: out,
                    destination: if referred { opt(&destination) } else { None },
                    consent_given: if referred { Some(*consent) } else { None },
                    in_their_words: if out == ReferralOutcome::Declined { opt(&their_words) } else { None },
                    reason: if out == ReferralOutcome::Deferred { opt(&reason) } else { None },
                    follow_up_due: if out == ReferralOutcome::Deferred { opt(&follow_up) } else { None },
                    services_offered: offered.iter().cloned().collect(),
                    safe_contact: (da_block && any_safe).then_some(safe),
                    needs,
                },
            };
            let (errors, warnings, failure, busy, on_done) =
                (errors.clone(), warnings.clone(), failure.clone(), busy.clone(), on_done.clone());
            let (finished, draft_key) = (finished.clone(), draft_key.clone());
            busy.set(true);
            spawn_local(async move {
                match api::record_referral(&req).await {
                    Ok(RecordReferralOutcome::Recorded { warnings: w, .. }) => {
                        errors.set(Vec::new());
                        warnings.set(w.clone());
                        failure.set(None);
                        *finished.borrow_mut() = true;
                        crate::drafts::clear(&draft_key);
                        on_done.emit(w);
                    }
                    Ok(RecordReferralOutcome::Rejected { errors: e, warnings: w }) => {
                        errors.set(e);
                        warnings.set(w);
                        failure.set(None);
                    }
                    Err(e) => failure.set(Some(e)),
                }
                busy.set(false);
            });
        })
    };

    // The toolkit: the offline directory filtered by the incident's offences, a need and an area.
    let offences: Vec<String> = p.panel.assessment.categories.iter().map(|c| c.code.clone()).collect();
    let needs: BTreeSet<String> = p.panel.services.iter().flat_map(|s| s.needs.iter().cloned()).collect();
    let query = ServiceQuery {
        offences,
        need: Some(need.trim().to_string()).filter(|s| !s.is_empty()),
        areas: Some(area.trim().to_string()).filter(|s| !s.is_empty()).into_iter().collect(),
    };
    let services: Vec<_> = p.panel.services.iter().filter(|s| query.matches(s)).collect();
    let toggle = |id: String| {
        let offered = offered.clone();
        Callback::from(move |e: Event| {
            let mut set = (*offered).clone();
            if e.target_unchecked_into::<HtmlInputElement>().checked() {
                set.insert(id.clone());
            } else {
                set.remove(&id);
            }
            offered.set(set);
        })
    };
    let name = v.name.clone().unwrap_or_else(|| v.person_id.clone());
    let general: Vec<&FieldMessage> = errors.iter().filter(|m| m.field == "victim_id" || m.field == "at").collect();
    let cancel = {
        let (finished, draft_key) = (finished.clone(), draft_key.clone());
        p.on_cancel.reform(move |_: MouseEvent| {
            *finished.borrow_mut() = true;
            crate::drafts::clear(&draft_key);
        })
    };
    let yes_no = |id: &'static str, label: &'static str, h: &UseStateHandle<String>| {
        let field = format!("safe_contact.{}", id.replace('-', "_"));
        html! {
            <div class="field">
                <label for={id}>{ label }</label>
                <select id={id} onchange={select(h)}>
                    <option value="" selected={h.is_empty()}>{"— choose —"}</option>
                    <option value="yes" selected={**h == "yes"}>{"Yes"}</option>
                    <option value="no" selected={**h == "no"}>{"No"}</option>
                </select>
                { field_msgs(&errors, &field, "field-error") }
            </div>
        }
    };
    html! {
        <form id="decision-form" class="decision" data-person={v.person_id.clone()} onsubmit={submit}>
            <h4>{ format!("Referral decision for {name}") }</h4>
            { for general.iter().map(|m| html! { <p class="field-error" data-field={m.field.clone()} role="alert">{ &m.message }</p> }) }
            <fieldset>
                <legend>{"Decision"}</legend>
                <label><input type="radio" name="outcome" value="referred" checked={*outcome == "referred"} onchange={radio("referred")} />{" Referred"}</label>
                <label><input type="radio" name="outcome" value="declined" checked={*outcome == "declined"} onchange={radio("declined")} />{" Declined by the victim"}</label>
                <label><input type="radio" name="outcome" value="deferred" checked={*outcome == "deferred"} onchange={radio("deferred")} />{" Deferred: not safe to ask now"}</label>
                { field_msgs(&errors, "outcome", "field-error") }
            </fieldset>
            { match outcome.as_str() {
                "declined" => html! {
                    <div class="field">
                        <label for="in-their-words">{"Why they declined, in their own words"}</label>
                        <textarea id="in-their-words" value={(*their_words).clone()} oninput={area_input(&their_words)} />
                        { field_msgs(&errors, "in_their_words", "field-error") }
                    </div>
                },
                "deferred" => html! {
                    <>
                        <div class="field">
                            <label for="defer-reason">{"Why it is not safe to ask now"}</label>
                            <textarea id="defer-reason" value={(*reason).clone()} oninput={area_input(&reason)} />
                            { field_msgs(&errors, "reason", "field-error") }
                        </div>
                        <div class="field">
                            <label for="follow-up-due">{"Ask again by (optional; default from the force rules, in working days)"}</label>
                            <input id="follow-up-due" type="date" value={(*follow_up).clone()} oninput={input(&follow_up)} />
                            { field_msgs(&errors, "follow_up_due", "field-error") }
                            { field_msgs(&warnings, "follow_up_due", "field-warning") }
                        </div>
                    </>
                },
                _ => html! {
                    <>
                        <div class="field">
                            <label for="destination">{"Referred to"}</label>
                            <select id="destination" onchange={select(&destination)}>
                                <option value="" selected={destination.is_empty()}>{"— choose —"}</option>
                                { for p.panel.assessment.victims.iter().find(|x| x.person_id == v.person_id).into_iter()
                                    .flat_map(|x| x.destinations.iter().map(|d| (d.code.clone(), d.label.clone()))
                                        .chain(x.possible_destinations.iter().map(|d| (d.code.clone(), format!("{} (may apply)", d.label)))))
                                    .map(|(c, l)| html! { <option value={c.clone()} selected={*destination == c}>{ l }</option> }) }
                            </select>
                            { field_msgs(&errors, "destination", "field-error") }
                            { field_msgs(&warnings, "destination", "field-warning") }
                        </div>
                        <div class="field">
                            <label><input id="consent-given" type="checkbox" checked={*consent} onchange={on_consent} />
                                { if code(&v.consent_model) == "opt_in" { " The victim explicitly agreed to this referral" } else { " The victim did not object to this referral" } }</label>
                            { field_msgs(&errors, "consent_given", "field-error") }
                        </div>
                    </>
                },
            } }
            { if show_safe { html! {
                <fieldset id="safe-contact" class="safe-contact">
                    <legend>{"Safe contact (domestic abuse: required)"}</legend>
                    <div class="field">
                        <label for="safe-number">{"Safe phone number"}</label>
                        <input id="safe-number" type="tel" value={(*safe_number).clone()} oninput={input(&safe_number)} />
                        { field_msgs(&errors, "safe_contact.safe_number", "field-error") }
                    </div>
                    <div class="field">
                        <label for="safe-times">{"Safe times to call"}</label>
                        <input id="safe-times" value={(*safe_times).clone()} oninput={input(&safe_times)} />
                        { field_msgs(&errors, "safe_contact.safe_times", "field-error") }
                    </div>
                    { yes_no("voicemail-safe", "Is a voicemail safe?", &voicemail) }
                    { yes_no("text-safe", "Is a text message safe?", &text_ok) }
                    { yes_no("letters-safe", "Are letters safe?", &letters) }
                    { yes_no("suspect-can-access-phone", "Can the suspect access this phone?", &suspect_access) }
                    <div class="field">
                        <label for="preferred-language">{"Preferred language (optional)"}</label>
                        <input id="preferred-language" value={(*language).clone()} oninput={input(&language)} />
                    </div>
                </fieldset>
            } } else { html! {} } }
            { if v.needs_questions.is_empty() { html! {} } else { html! {
                <fieldset id="needs" class="needs">
                    <legend>{"Needs assessment (offer it; re-offer when needs change)"}</legend>
                    { for v.needs_questions.iter().map(|q| {
                        let id = format!("need-{}", q.id);
                        let current = needs_answers.get(&q.id).cloned().unwrap_or_default();
                        let set = {
                            let (h, qid) = (needs_answers.clone(), q.id.clone());
                            move |value: String| { let mut m = (*h).clone(); m.insert(qid.clone(), value); h.set(m); }
                        };
                        let control = if p.panel.needs_kinds.get(&q.id).map(String::as_str) == Some("yes_no") {
                            let onchange = { let set = set.clone(); Callback::from(move |e: Event| set(e.target_unchecked_into::<HtmlSelectElement>().value())) };
                            html! {
                                <select id={id.clone()} {onchange}>
                                    <option value="" selected={current.is_empty()}>{"— not asked yet —"}</option>
                                    <option value="yes" selected={current == "yes"}>{"Yes"}</option>
                                    <option value="no" selected={current == "no"}>{"No"}</option>
                                </select>
                            }
                        } else {
                            let oninput = Callback::from(move |e: InputEvent| set(e.target_unchecked_into::<HtmlInputElement>().value()));
                            html! { <input id={id.clone()} value={current.clone()} {oninput} /> }
                        };
                        html! {
                            <div class="field" data-question={q.id.clone()}>
                                <label for={id}>{ &q.text }</label>
                                { control }
                            </div>
                        }
                    }) }
                </fieldset>
            } } }
            <fieldset id="toolkit" class="toolkit">
                <legend>{"Victims' toolkit: services offered on the spot"}</legend>
                <div class="field">
                    <label for="toolkit-need">{"Need"}</label>
                    <select id="toolkit-need" onchange={select(&need)}>
                        <option value="" selected={need.is_empty()}>{"any"}</option>
                        { for needs.iter().map(|n| html! { <option value={n.clone()} selected={*need == *n}>{ words(n) }</option> }) }
                    </select>
                    <label for="toolkit-area">{"Area"}</label>
                    <input id="toolkit-area" value={(*area).clone()} oninput={input(&area)} placeholder="e.g. england" />
                </div>
                <ul class="services">
                    { for services.iter().map(|s| {
                        let id = format!("svc-{}", s.id);
                        html! {
                            <li class="service" data-id={s.id.clone()}>
                                <input type="checkbox" id={id.clone()} checked={offered.contains(&s.id)} onchange={toggle(s.id.clone())} />
                                <label for={id}><strong>{ &s.name }</strong>{ format!(" — {}", s.description) }
                                    { if s.example { " (example entry)" } else { "" } }</label>
                            </li>
                        }
                    }) }
                </ul>
            </fieldset>
            { if warnings.is_empty() { html! {} } else { html! {
                <ul class="warnings">{ for warnings.iter().map(|w| html! { <li class="field-warning" data-field={w.field.clone()}>{ &w.message }</li> }) }</ul>
            } } }
            { match &*failure { Some(e) => crate::cases::error_view(e), None => html! {} } }
            <div class="actions">
                <button id="record-decision" type="submit" disabled={*busy}>{"Record decision"}</button>
                <button type="button" class="secondary" onclick={cancel}>{"Cancel"}</button>
            </div>
        </form>
    }
}

#[derive(Properties, PartialEq)]
pub struct AwaitingProps {
    pub on_locked: Callback<()>,
}

const AWAITING_PLACE: &str = "victims.place";

/// "Victims awaiting a referral decision", most urgent first; opening a row shows the incident's
/// Victims panel.
#[function_component(AwaitingView)]
pub fn awaiting_view(p: &AwaitingProps) -> Html {
    let rows = use_state(|| None::<Result<Vec<AwaitingRow>, ApiError>>);
    // The incident opened from the list, kept (see `drafts`) across tabs and the lock.
    let open = crate::drafts::use_kept_state::<Option<String>>(AWAITING_PLACE);
    let reload = {
        let rows = rows.clone();
        Callback::from(move |_: ()| {
            let rows = rows.clone();
            spawn_local(async move { rows.set(Some(api::victims_awaiting().await)) });
        })
    };
    {
        let reload = reload.clone();
        use_effect_with((), move |_| reload.emit(()));
    }
    if let Some(id) = (*open).clone() {
        let back = {
            let (open, reload) = (open.clone(), reload.clone());
            Callback::from(move |_: MouseEvent| {
                open.set(None);
                reload.emit(());
            })
        };
        return html! {
            <section id="awaiting-incident">
                <button class="secondary" onclick={back}>{"← Victims awaiting a decision"}</button>
                <VictimsSection incident_id={id} on_locked={p.on_locked.clone()} />
            </section>
        };
    }
    let body = match &*rows {
        None => html! { <p class="hint">{"Loading…"}</p> },
        Some(Err(e)) => crate::cases::error_view(e),
        Some(Ok(list)) if list.is_empty() => {
            html! { <p class="hint" id="awaiting-empty">{"No victim is waiting for a referral decision."}</p> }
        }
        Some(Ok(list)) => html! {
            <table id="awaiting">
                <thead><tr><th>{"Incident"}</th><th>{"Victim"}</th><th>{"Rights"}</th><th>{"State"}</th><th>{"Deadline"}</th><th></th></tr></thead>
                <tbody>
                { for list.iter().map(|r| {
                    let onclick = { let (open, id) = (open.clone(), r.incident_id.clone()); Callback::from(move |_: MouseEvent| open.set(Some(id.clone()))) };
                    html! {
                        <tr class="awaiting" data-incident={r.incident_id.clone()} data-person={r.row.person_id.clone()} data-status={code(&r.countdown.status)}>
                            <td>{ format!("{} ({})", r.reference, words(&r.incident_type)) }</td>
                            <td>{ r.row.name.clone().unwrap_or_else(|| r.row.person_id.clone()) }</td>
                            <td>{ if r.row.enhanced { "enhanced" } else { "standard" } }</td>
                            <td>{ words(&code(&r.row.state)) }</td>
                            <td class={countdown_class(r.countdown.status)}>{ &r.countdown.label }</td>
                            <td><button class="secondary open-victims" {onclick}>{"Open"}</button></td>
                        </tr>
                    }
                }) }
                </tbody>
            </table>
        },
    };
    html! {
        <section id="victims-awaiting">
            <h2>{"Victims awaiting a referral decision"}</h2>
            { body }
        </section>
    }
}

/// How a recorded decision reads in the victim's history: outcome, destination, when and by whom;
/// a withdrawn one says so, with when, by whom and why.
pub(crate) fn decision_line(d: &ReferralDecisionInfo) -> String {
    let what = format!(
        "{}{} — {} by {}",
        d.outcome.as_str(),
        d.destination.as_ref().map(|x| format!(" to {x}")).unwrap_or_default(),
        d.decided_at,
        d.decided_by
    );
    match (&d.withdrawal, d.status.as_str()) {
        (_, "active") => what,
        (Some(w), _) => format!("{what} — withdrawn {} by {}: {}", w.withdrawn_at, w.withdrawn_by, w.reason),
        (None, _) => format!("{what} — withdrawn"),
    }
}

/// Whether a decision can still be withdrawn (it is active).
pub(crate) fn can_withdraw(d: &ReferralDecisionInfo) -> bool {
    d.status == "active"
}

/// What is wrong with a withdrawal reason before it is sent (the store checks the same), or
/// `None` (`bluelamp_protocol::casework::withdrawal_reason_problem`).
pub(crate) fn withdraw_reason_problem(reason: &str) -> Option<String> {
    bluelamp_protocol::casework::withdrawal_reason_problem(reason)
}

#[derive(Properties, PartialEq)]
struct Under18Props {
    incident_id: String,
    person_id: String,
    question: String,
    /// Answered: the panel reloads (the assessment then goes by the answer).
    on_done: Callback<()>,
    on_locked: Callback<()>,
    /// Changing an answer: "Cancel" keeps the answer held.
    on_cancel: Option<Callback<()>>,
}

/// "Date of birth not recorded: was this victim under 18 at the time of the offence?" with its
/// two answers (buttons: reachable with Tab, pressed with Enter or Space). A refusal is shown
/// beside the question and the panel stays as it was.
#[function_component(Under18Question)]
fn under_18_question(p: &Under18Props) -> Html {
    let problem = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let answer = |under_18: bool| {
        let (problem, busy) = (problem.clone(), busy.clone());
        let req = Under18Request { incident_id: p.incident_id.clone(), nominal_id: p.person_id.clone(), under_18 };
        let (on_done, on_locked) = (p.on_done.clone(), p.on_locked.clone());
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            let (req, problem, busy, on_done, on_locked) =
                (req.clone(), problem.clone(), busy.clone(), on_done.clone(), on_locked.clone());
            busy.set(true);
            spawn_local(async move {
                match api::record_under18_answer(&req).await {
                    Ok(_) => {
                        problem.set(None);
                        on_done.emit(());
                    }
                    Err(e) => problem.set(Some(refusal(e, &on_locked))),
                }
                busy.set(false);
            });
        })
    };
    html! {
        <div class="question under18" data-code={UNDER_18_QUESTION} data-person={p.person_id.clone()}
            role="group" aria-label={p.question.clone()}>
            <p>{ &p.question }</p>
            <div class="actions">
                <button type="button" class="under18-yes" data-person={p.person_id.clone()} disabled={*busy}
                    onclick={answer(true)}>{"Yes, under 18"}</button>
                <button type="button" class="under18-no secondary" data-person={p.person_id.clone()} disabled={*busy}
                    onclick={answer(false)}>{"No, 18 or over"}</button>
                { match &p.on_cancel { Some(cancel) => {
                    let cancel = cancel.clone();
                    html! {
                        <button type="button" class="under18-cancel secondary" data-person={p.person_id.clone()}
                            disabled={*busy} onclick={Callback::from(move |_: MouseEvent| cancel.emit(()))}>{"Cancel"}</button>
                    }
                }, None => html! {} } }
            </div>
            { match &*problem { Some(m) => html! { <p class="field-error" role="alert">{ m }</p> }, None => html! {} } }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct Under18AnsweredProps {
    incident_id: String,
    person_id: String,
    under_18: bool,
    /// The UK day it was answered.
    answered_on: String,
    on_done: Callback<()>,
    on_locked: Callback<()>,
}

/// The officer's answer to the under-18 question (no date of birth) and **Change answer**, which
/// shows the two answers again with **Cancel**: the new answer is a later record (the latest
/// counts), sent as the first was (`record_under18_answer`).
#[function_component(Under18Answered)]
fn under_18_answered(p: &Under18AnsweredProps) -> Html {
    let changing = use_state(|| false);
    let (open, close) = {
        let (a, b) = (changing.clone(), changing.clone());
        (Callback::from(move |_: MouseEvent| a.set(true)), Callback::from(move |_: ()| b.set(false)))
    };
    let done = {
        let (changing, on_done) = (changing.clone(), p.on_done.clone());
        Callback::from(move |_: ()| {
            changing.set(false);
            on_done.emit(());
        })
    };
    let said = if p.under_18 { "under 18" } else { "18 or over" };
    html! {
        <div class="under18-answer" data-person={p.person_id.clone()} data-under18={p.under_18.to_string()}>
            <p>{ format!("No date of birth recorded: answered {said} at the time of the offence ({}).", p.answered_on) }</p>
            { if *changing { html! {
                <Under18Question incident_id={p.incident_id.clone()} person_id={p.person_id.clone()}
                    question={"Change the answer: was this victim under 18 at the time of the offence?".to_string()}
                    on_done={done} on_locked={p.on_locked.clone()} on_cancel={Some(close)} />
            } } else { html! {
                <button type="button" class="under18-change secondary" data-person={p.person_id.clone()}
                    onclick={open}>{"Change answer"}</button>
            } } }
        </div>
    }
}

/// What the officer typed in the "Record an investigation event" form, kept while they look at
/// another tab and on a refusal.
#[derive(Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct EventDraft {
    kind: String,
    occurred_on: String,
}

/// The UK date (GMT/BST) of an RFC 3339 time: a victim told at 00:30 in summer time was told
/// that day, not the UTC day before. The text's own date if it cannot be read.
fn uk_day_of(ts: &str) -> String {
    let ms = js_sys::Date::parse(ts);
    if ms.is_finite() {
        bluelamp_protocol::victims::uk_date((ms / 1000.0).floor() as i64)
    } else {
        ts.get(..10).unwrap_or(ts).to_string()
    }
}

/// A refusal's message, to show beside the control that was used; a locked store also takes the
/// officer to the lock screen (what they chose stays for when they are back).
fn refusal(e: bluelamp_protocol::ApiError, on_locked: &Callback<()>) -> String {
    if e.code == bluelamp_protocol::ErrorCode::Locked {
        on_locked.emit(());
    }
    e.message
}

/// Today in the UK (GMT/BST), for the event's date box.
fn uk_today() -> String {
    bluelamp_protocol::victims::uk_date((js_sys::Date::now() / 1000.0) as i64)
}

#[derive(Properties, PartialEq)]
struct UpdatesProps {
    panel: VictimsPanel,
    /// An event or a "told" was recorded: the panel reloads.
    on_done: Callback<()>,
    on_locked: Callback<()>,
}

/// "Investigation updates (Right 6)": record a key event (kind, day: today in the UK unless
/// changed), the events recorded, and for each victim of each event either when and how they
/// were told, or the working-day countdown to the update's deadline with a control to record
/// that they were told. A refusal is shown beside the form; what was typed stays.
#[function_component(UpdatesPart)]
fn updates_part(p: &UpdatesProps) -> Html {
    let key = format!("event:{}", p.panel.incident_id);
    let draft = crate::drafts::use_kept_state::<EventDraft>(&key);
    let problem = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let recorded = use_state(|| false);
    let kind = if draft.kind.is_empty() { EVENT_KINDS[0].0.to_string() } else { draft.kind.clone() };
    let occurred_on = if draft.occurred_on.is_empty() { uk_today() } else { draft.occurred_on.clone() };
    let submit = {
        let (problem, busy, recorded, draft) = (problem.clone(), busy.clone(), recorded.clone(), draft.clone());
        let incident_id = p.panel.incident_id.clone();
        let offence = p.panel.assessment.offence_date.to_string();
        let (kind, occurred_on) = (kind.clone(), occurred_on.clone());
        let (on_done, on_locked, key) = (p.on_done.clone(), p.on_locked.clone(), key.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            recorded.set(false);
            // The same check as the store's (the offence date as the rules use it).
            if let Err(m) = bluelamp_protocol::victims::check_event_date(&occurred_on, &uk_today(), Some(&offence)) {
                draft.set(EventDraft { kind: kind.clone(), occurred_on: occurred_on.clone() });
                problem.set(Some(m));
                return;
            }
            let req = InvestigationEventRequest {
                incident_id: incident_id.clone(),
                kind: kind.clone(),
                occurred_on: occurred_on.clone(),
            };
            let (problem, busy, recorded, on_done, on_locked, key, draft) = (
                problem.clone(),
                busy.clone(),
                recorded.clone(),
                on_done.clone(),
                on_locked.clone(),
                key.clone(),
                draft.clone(),
            );
            busy.set(true);
            spawn_local(async move {
                match api::record_investigation_event(&req).await {
                    Ok(_) => {
                        crate::drafts::clear(&key);
                        draft.set(EventDraft::default());
                        problem.set(None);
                        recorded.set(true);
                        on_done.emit(());
                    }
                    // What was typed stays; the refusal says why.
                    Err(e) => {
                        draft.set(EventDraft { kind: req.kind.clone(), occurred_on: req.occurred_on.clone() });
                        problem.set(Some(refusal(e, &on_locked)));
                    }
                }
                busy.set(false);
            });
        })
    };
    let on_kind = {
        let (draft, occurred_on) = (draft.clone(), occurred_on.clone());
        Callback::from(move |e: Event| {
            let kind = e.target_unchecked_into::<HtmlSelectElement>().value();
            draft.set(EventDraft { kind, occurred_on: occurred_on.clone() });
        })
    };
    let on_date = {
        let (draft, kind) = (draft.clone(), kind.clone());
        Callback::from(move |e: InputEvent| {
            let occurred_on = e.target_unchecked_into::<HtmlInputElement>().value();
            draft.set(EventDraft { kind: kind.clone(), occurred_on });
        })
    };
    html! {
        <section id="updates" class="updates" aria-labelledby="updates-heading">
            <h4 id="updates-heading">{"Investigation updates (Right 6)"}</h4>
            <p class="hint">{"Tell each victim about an arrest, interview, release, bail, charge, summons, out-of-court resolution or a decision to take no further action: within 1 working day for a victim with enhanced rights, 5 otherwise."}</p>
            <form id="event-form" class="event-form" onsubmit={submit}>
                <label for="event-kind">{"Event"}</label>
                <select id="event-kind" onchange={on_kind}>
                    { for EVENT_KINDS.iter().map(|(c, l)| html! {
                        <option value={*c} selected={*c == kind}>{ *l }</option>
                    }) }
                </select>
                <label for="event-date">{"Date (YYYY-MM-DD)"}</label>
                <input id="event-date" type="text" inputmode="numeric" value={occurred_on} oninput={on_date}
                    aria-invalid={problem.is_some().to_string()} />
                <button type="submit" id="record-event" disabled={*busy}>{"Record"}</button>
                { match &*problem { Some(m) => html! { <p class="field-error" role="alert">{ m }</p> }, None => html! {} } }
                { if *recorded { html! { <p id="event-recorded" class="ok" role="status">{"Event recorded: the victims are owed an update."}</p> } } else { html! {} } }
            </form>
            <ul id="update-preferences" class="update-preferences">
                { for p.panel.assessment.victims.iter().map(|v| html! {
                    <PreferenceForm key={format!("pref-{}", v.person_id)} incident_id={p.panel.incident_id.clone()}
                        person_id={v.person_id.clone()} name={v.name.clone().unwrap_or_else(|| v.person_id.clone())}
                        held={p.panel.update_preferences.iter().find(|x| x.nominal_id == v.person_id).cloned()}
                        on_done={p.on_done.clone()} on_locked={p.on_locked.clone()} />
                }) }
            </ul>
            { if p.panel.events.is_empty() {
                html! { <p class="hint" id="no-events">{"No investigation event recorded yet."}</p> }
            } else { html! {
                <ul id="events" class="events">
                    { for p.panel.events.iter().map(|e| event_item(&p.panel.incident_id, e, &p.on_done, &p.on_locked)) }
                </ul>
            } } }
        </section>
    }
}

fn event_item(incident_id: &str, e: &PanelEvent, on_done: &Callback<()>, on_locked: &Callback<()>) -> Html {
    html! {
        <li class="event" data-id={e.event.id.clone()} data-kind={e.event.kind.clone()}>
            <strong>{ &e.label }</strong>{ format!(" on {}", e.event.occurred_on) }
            <ul class="event-victims">
                { for e.victims.iter().map(|v| {
                    let name = v.name.clone().unwrap_or_else(|| v.person_id.clone());
                    html! {
                        <li class="event-victim" data-person={v.person_id.clone()} data-told={v.told.is_some().to_string()}
                            data-not-wanted={v.not_wanted.to_string()} data-late={v.told_late.to_string()}>
                            <span class="who">{ format!("{name}: ") }</span>
                            { match (&v.told, &v.countdown) {
                                (Some(t), _) => html! {
                                    <span class="told">{ format!(
                                        "Told {} {}{}",
                                        t.told_day().unwrap_or_else(|| uk_day_of(&t.told_at)),
                                        bluelamp_protocol::victims::told_how_label(&t.how).map(str::to_lowercase).unwrap_or_else(|| t.how.clone()),
                                        if v.told_late { " (after the deadline)" } else { "" }
                                    ) }</span>
                                },
                                (None, c) => html! {
                                    <>
                                        { match c {
                                            Some(c) => html! { <span class={countdown_class(c.status)} data-status={code(&c.status)}>{ format!("Update {}", c.label) }</span> },
                                            None if v.not_wanted => html! { <span class="not-wanted">{"Not wanted (victim's preference)"}</span> },
                                            None => html! {},
                                        } }
                                        <TellForm incident_id={incident_id.to_string()} event_id={e.event.id.clone()}
                                            event_on={e.event.occurred_on.clone()}
                                            person_id={v.person_id.clone()} name={name.clone()} on_done={on_done.clone()} on_locked={on_locked.clone()} />
                                    </>
                                },
                            } }
                        </li>
                    }
                }) }
            </ul>
        </li>
    }
}

#[derive(Properties, PartialEq)]
struct TellProps {
    incident_id: String,
    event_id: String,
    /// The event's day: the told-on day may not be before it.
    event_on: String,
    person_id: String,
    name: String,
    on_done: Callback<()>,
    on_locked: Callback<()>,
}

/// "Record that the victim was told": how (select), the day told (blank = today; checked as the
/// store checks it) and the button; a refusal is shown beside it, what was typed stays.
#[function_component(TellForm)]
fn tell_form(p: &TellProps) -> Html {
    let how = use_state(|| TOLD_HOW[0].0.to_string());
    let told_on = use_state(String::new);
    let problem = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let submit = {
        let (how, told_on, problem, busy) = (how.clone(), told_on.clone(), problem.clone(), busy.clone());
        let req = VictimToldRequest {
            incident_id: p.incident_id.clone(),
            event_id: p.event_id.clone(),
            nominal_id: p.person_id.clone(),
            how: String::new(),
            told_on: None,
        };
        let event_on = p.event_on.clone();
        let (on_done, on_locked) = (p.on_done.clone(), p.on_locked.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            // The same check as the store's: blank is today, not after today, not before the event.
            if let Err(m) = bluelamp_protocol::victims::check_told_on(Some(told_on.as_str()), &uk_today(), &event_on) {
                problem.set(Some(m));
                return;
            }
            let day = Some(told_on.trim().to_string()).filter(|d| !d.is_empty());
            let req = VictimToldRequest { how: (*how).clone(), told_on: day, ..req.clone() };
            let (problem, busy, on_done, on_locked) =
                (problem.clone(), busy.clone(), on_done.clone(), on_locked.clone());
            busy.set(true);
            spawn_local(async move {
                match api::record_victim_told(&req).await {
                    Ok(_) => {
                        problem.set(None);
                        on_done.emit(());
                    }
                    Err(e) => problem.set(Some(refusal(e, &on_locked))),
                }
                busy.set(false);
            });
        })
    };
    let on_how = {
        let how = how.clone();
        Callback::from(move |e: Event| how.set(e.target_unchecked_into::<HtmlSelectElement>().value()))
    };
    let on_told_on = {
        let told_on = told_on.clone();
        Callback::from(move |e: InputEvent| told_on.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let field = format!("told-how-{}-{}", p.event_id, p.person_id);
    let day_field = format!("told-on-{}-{}", p.event_id, p.person_id);
    html! {
        <form class="tell" data-person={p.person_id.clone()} onsubmit={submit}>
            <label for={field.clone()}>{ format!("How {} was told", p.name) }</label>
            <select id={field} class="told-how" onchange={on_how}>
                { for TOLD_HOW.iter().map(|(c, l)| html! { <option value={*c} selected={*c == how.as_str()}>{ *l }</option> }) }
            </select>
            <label for={day_field.clone()}>{"Told on (YYYY-MM-DD, blank = today)"}</label>
            <input id={day_field} class="told-on" type="text" inputmode="numeric" placeholder={uk_today()}
                value={(*told_on).clone()} oninput={on_told_on} aria-invalid={problem.is_some().to_string()} />
            <button type="submit" class="record-told" disabled={*busy}>{"Record that the victim was told"}</button>
            { match &*problem { Some(m) => html! { <p class="field-error" role="alert">{ m }</p> }, None => html! {} } }
        </form>
    }
}

#[derive(Properties, PartialEq)]
struct PreferenceProps {
    incident_id: String,
    person_id: String,
    name: String,
    /// The latest recorded preference (none: every key event).
    held: Option<UpdatePreferenceInfo>,
    on_done: Callback<()>,
    on_locked: Callback<()>,
}

/// What updates a victim wants (Right 6): a select (every key event, key decisions only, none)
/// and **Save**; the one held is shown with the day it was recorded and by whom. A refusal is
/// shown beside it and what was chosen stays.
#[function_component(PreferenceForm)]
fn preference_form(p: &PreferenceProps) -> Html {
    let held = p.held.as_ref().map(|h| h.wants.clone()).unwrap_or_else(|| UPDATE_PREFERENCES[0].0.to_string());
    let chosen = use_state(|| held.clone());
    let problem = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let saved = use_state(|| false);
    let submit = {
        let (chosen, problem, busy, saved) = (chosen.clone(), problem.clone(), busy.clone(), saved.clone());
        let (incident_id, person_id) = (p.incident_id.clone(), p.person_id.clone());
        let (on_done, on_locked) = (p.on_done.clone(), p.on_locked.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let req = UpdatePreferenceRequest {
                incident_id: incident_id.clone(),
                nominal_id: person_id.clone(),
                wants: (*chosen).clone(),
            };
            let (problem, busy, saved, on_done, on_locked) =
                (problem.clone(), busy.clone(), saved.clone(), on_done.clone(), on_locked.clone());
            busy.set(true);
            saved.set(false);
            spawn_local(async move {
                match api::record_update_preference(&req).await {
                    Ok(_) => {
                        problem.set(None);
                        saved.set(true);
                        on_done.emit(());
                    }
                    // What was chosen stays; the refusal says why.
                    Err(e) => problem.set(Some(refusal(e, &on_locked))),
                }
                busy.set(false);
            });
        })
    };
    let on_change = {
        let chosen = chosen.clone();
        Callback::from(move |e: Event| chosen.set(e.target_unchecked_into::<HtmlSelectElement>().value()))
    };
    let field = format!("updates-wanted-{}", p.person_id);
    html! {
        <li class="update-preference" data-person={p.person_id.clone()} data-wants={held}>
            <form class="preference" onsubmit={submit}>
                <label for={field.clone()}>{ format!("Updates {} wants", p.name) }</label>
                <select id={field} class="updates-wanted" onchange={on_change}>
                    { for UPDATE_PREFERENCES.iter().map(|(c, l)| html! {
                        <option value={*c} selected={*c == chosen.as_str()}>{ *l }</option>
                    }) }
                </select>
                <button type="submit" class="save-preference" disabled={*busy}>{"Save"}</button>
                { match &p.held {
                    Some(h) => html! { <span class="hint held">{ format!(" Recorded {} by {}", uk_day_of(&h.recorded_at), h.recorded_by) }</span> },
                    None => html! { <span class="hint held">{" Nothing recorded: every key event"}</span> },
                } }
                { if *saved { html! { <span class="ok" role="status">{" Saved"}</span> } } else { html! {} } }
                { match &*problem { Some(m) => html! { <p class="field-error" role="alert">{ m }</p> }, None => html! {} } }
            </form>
        </li>
    }
}

#[derive(Properties, PartialEq)]
struct WithdrawProps {
    incident_id: String,
    decision: ReferralDecisionInfo,
    on_done: Callback<()>,
    on_cancel: Callback<()>,
    on_locked: Callback<()>,
}

/// "Withdraw…" a recorded decision: the reason (kept while the officer looks at another tab, and
/// on any refusal), then the store's answer. Nothing is deleted: the decision stays in the
/// history, marked withdrawn with the reason.
#[function_component(WithdrawForm)]
fn withdraw_form(p: &WithdrawProps) -> Html {
    let key = format!("withdraw:{}:{}", p.incident_id, p.decision.id);
    let reason = crate::drafts::use_kept_state::<String>(&key);
    let problem = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let submit = {
        let (reason, problem, busy) = (reason.clone(), problem.clone(), busy.clone());
        let (incident_id, referral_id) = (p.incident_id.clone(), p.decision.id.clone());
        let (on_done, on_locked, key) = (p.on_done.clone(), p.on_locked.clone(), key.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            if let Some(m) = withdraw_reason_problem(&reason) {
                problem.set(Some(m));
                return;
            }
            let req = WithdrawReferralRequest {
                incident_id: incident_id.clone(),
                referral_id: referral_id.clone(),
                reason: (*reason).clone(),
            };
            let (problem, busy, on_done, on_locked, key) =
                (problem.clone(), busy.clone(), on_done.clone(), on_locked.clone(), key.clone());
            busy.set(true);
            spawn_local(async move {
                match api::withdraw_referral(&req).await {
                    Ok(_) => {
                        crate::drafts::clear(&key);
                        problem.set(None);
                        on_done.emit(());
                    }
                    // What was typed stays; the refusal says why.
                    Err(e) => problem.set(Some(refusal(e, &on_locked))),
                }
                busy.set(false);
            });
        })
    };
    let oninput = {
        let reason = reason.clone();
        Callback::from(move |e: InputEvent| reason.set(e.target_unchecked_into::<HtmlTextAreaElement>().value()))
    };
    let cancel = {
        let key = key.clone();
        p.on_cancel.reform(move |_: MouseEvent| crate::drafts::clear(&key))
    };
    let field = format!("withdraw-reason-{}", p.decision.id);
    html! {
        <form class="withdraw-decision" data-id={p.decision.id.clone()} onsubmit={submit}>
            <label for={field.clone()}>{"Why is this decision withdrawn? (kept with it in the history)"}</label>
            <textarea id={field} class="withdraw-reason" value={(*reason).clone()} {oninput}
                aria-invalid={problem.is_some().to_string()} />
            { match &*problem { Some(m) => html! { <p class="field-error" role="alert">{ m }</p> }, None => html! {} } }
            <div class="actions">
                <button type="submit" class="confirm-withdraw" disabled={*busy}>{"Withdraw decision"}</button>
                <button type="button" class="secondary" onclick={cancel}>{"Keep it"}</button>
            </div>
        </form>
    }
}

/// The victims' prompts the closing-code gate checks (a referral decision for each victim, the
/// notifications the rules require); see `crates/store/src/casework.rs` `gate_states`.
pub(crate) fn gate_checks(code: &str) -> bool {
    matches!(code, "record_referral_decision" | "notify_destination")
}

#[cfg(test)]
mod tests {
    /// Only the decision and the required notifications block closure (the gate's victims
    /// items); a question to answer or the safe-contact block is "Needed", not a block.
    #[test]
    fn only_what_the_gate_checks_is_called_a_block() {
        for code in ["record_referral_decision", "notify_destination"] {
            assert!(super::gate_checks(code), "{code}");
        }
        for code in ["answer_question", "safe_contact_required", "invalid_decision", "offer_destination"] {
            assert!(!super::gate_checks(code), "{code}");
        }
    }

    fn decision(status: &str) -> bluelamp_protocol::casework::ReferralDecisionInfo {
        bluelamp_protocol::casework::ReferralDecisionInfo {
            id: "r1".into(),
            incident_id: "i1".into(),
            victim_id: "V1".into(),
            outcome: bluelamp_protocol::casework::ReferralOutcome::Referred,
            destination: Some("general_victim_service".into()),
            details: serde_json::json!({}),
            status: status.into(),
            decided_at: "2026-12-07T09:00:00Z".into(),
            decided_by: "PC1".into(),
            withdrawal: None,
        }
    }

    /// A reason is checked before it is sent, as the store checks it: blank, over-long or with a
    /// NUL is refused with a message (what was typed is kept by the form); any other text,
    /// accents, emoji and SQL included, is fine.
    #[test]
    fn a_withdrawal_reason_is_checked_before_it_is_sent() {
        for bad in ["", "   ", "\n\t ", "a\0b", &"x".repeat(4001)] {
            assert!(super::withdraw_reason_problem(bad).is_some(), "{:?}", bad.get(..20));
        }
        for good in [
            "Recoded DA: she must be asked first",
            "Siobhán Ó Súilleabháin asked for it 🙂",
            "'; DROP TABLE referrals; --",
            "line one\nline two",
            &"x".repeat(4000),
        ] {
            assert_eq!(super::withdraw_reason_problem(good), None, "{:?}", good.get(..20));
        }
    }

    /// Only an active decision offers "Withdraw…"; a withdrawn one reads as withdrawn, with when,
    /// by whom and why.
    #[test]
    fn a_withdrawn_decision_says_so_and_offers_no_withdraw() {
        let active = decision("active");
        assert!(super::can_withdraw(&active));
        assert!(!super::decision_line(&active).contains("withdrawn"));
        let mut gone = decision("withdrawn");
        assert!(!super::can_withdraw(&gone));
        assert!(super::decision_line(&gone).ends_with("— withdrawn"));
        gone.withdrawal = Some(Box::new(bluelamp_protocol::casework::ReferralWithdrawal {
            reason: "Recoded DA: consent needed".into(),
            withdrawn_at: "2026-12-07T10:00:00Z".into(),
            withdrawn_by: "PS2".into(),
        }));
        let line = super::decision_line(&gone);
        assert!(line.contains("withdrawn 2026-12-07T10:00:00Z by PS2: Recoded DA: consent needed"), "{line}");
    }
}
