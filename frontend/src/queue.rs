//! The supervisor queue and form review (supervisors and superusers; the backend refuses
//! everyone else whatever this screen shows).
//!
//! The queue lists every incident with a missing, overdue or unreviewed safeguarding item,
//! highest risk first, then oldest; each problem with its deadline relative to now. The daily
//! review lists incidents closed or coded DA / CfaC in the last 24 hours. The tasks view lists
//! open tasks (MARAC, IDVA and Concern-for-a-Child referrals, asking a victim again), overdue
//! first. A row opens the incident; an unreviewed form opens the review page (approve, or
//! return with comments).

use bluelamp_forms::{DailyReviewItem, ProblemKind, QueueItem, QueueRisk};
use bluelamp_protocol::casework::{
    FormReviewView, QueueIncidentRef, QueueTask, QueueView, ReviewDecision, ReviewFormRequest,
};
use bluelamp_protocol::ApiError;
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use crate::api;
use crate::cases::{answers_summary, error_view, kind_name, pack, IncidentPage, Wizard};

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

/// A duration for people: "45 min", "5 h", "2 d 3 h".
pub(crate) fn span_text(secs: i64) -> String {
    let s = secs.max(0);
    if s < HOUR {
        format!("{} min", s / 60)
    } else if s < DAY {
        format!("{} h", s / HOUR)
    } else if s % DAY < HOUR {
        format!("{} d", s / DAY)
    } else {
        format!("{} d {} h", s / DAY, (s % DAY) / HOUR)
    }
}

/// A deadline relative to now: ("overdue by 5 h", true) or ("due in 3 h", false).
pub(crate) fn deadline_text(deadline: i64, now: i64) -> (String, bool) {
    if deadline < now {
        (format!("overdue by {}", span_text(now.saturating_sub(deadline))), true)
    } else {
        (format!("due in {}", span_text(deadline.saturating_sub(now))), false)
    }
}

pub(crate) fn risk_text(r: QueueRisk) -> &'static str {
    match r {
        QueueRisk::High => "High",
        QueueRisk::Ungraded => "Not graded yet",
        QueueRisk::Medium => "Medium",
        QueueRisk::Standard => "Standard",
    }
}

fn code_list(codes: &[String]) -> String {
    codes.join(", ")
}

#[derive(Properties, PartialEq)]
pub struct QueueProps {
    pub on_locked: Callback<()>,
}

/// Where the supervisor is on this tab, kept (see `drafts`) across tabs and the lock, as on the
/// Incidents tab.
#[derive(Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
enum Screen {
    #[default]
    Queue,
    Incident(String),
    Form {
        incident_id: String,
        form_id: String,
    },
    Review {
        back_to: Option<String>,
        form_id: String,
    },
}

/// The list shown on the queue's own page, kept the same way.
#[derive(Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
enum View {
    #[default]
    Queue,
    Daily,
    Tasks,
}

const QUEUE_PLACE: &str = "queue.place";
const QUEUE_VIEW: &str = "queue.view";

#[function_component(QueueScreen)]
pub fn queue_screen(p: &QueueProps) -> Html {
    let screen = crate::drafts::use_kept_state::<Screen>(QUEUE_PLACE);
    let to = |s: Screen| {
        let screen = screen.clone();
        Callback::from(move |_: ()| screen.set(s.clone()))
    };
    match (*screen).clone() {
        Screen::Queue => {
            let (s1, s2) = (screen.clone(), screen.clone());
            html! { <QueueList on_locked={p.on_locked.clone()}
            on_open={Callback::from(move |id: String| s1.set(Screen::Incident(id)))}
            on_review={Callback::from(move |form_id: String| s2.set(Screen::Review { back_to: None, form_id }))} /> }
        }
        Screen::Incident(id) => {
            let (s1, s2, i1, i2) = (screen.clone(), screen.clone(), id.clone(), id.clone());
            let on_open_form =
                Callback::from(move |form_id: String| s1.set(Screen::Form { incident_id: i1.clone(), form_id }));
            let on_review = Some(Callback::from(move |form_id: String| {
                s2.set(Screen::Review { back_to: Some(i2.clone()), form_id })
            }));
            html! { <IncidentPage incident_id={id} {on_open_form} {on_review} on_back={to(Screen::Queue)}
            on_locked={p.on_locked.clone()} /> }
        }
        Screen::Form { incident_id, form_id } => {
            let (s1, i1) = (screen.clone(), incident_id.clone());
            let on_open_form =
                Callback::from(move |form_id: String| s1.set(Screen::Form { incident_id: i1.clone(), form_id }));
            html! { <Wizard key={form_id.as_str()} form_id={form_id.clone()} incident_id={incident_id.clone()}
            on_done={to(Screen::Incident(incident_id))} {on_open_form} on_locked={p.on_locked.clone()} /> }
        }
        Screen::Review { back_to, form_id } => {
            let back = match back_to {
                Some(id) => to(Screen::Incident(id)),
                None => to(Screen::Queue),
            };
            html! { <ReviewPage {form_id} on_done={back} on_locked={p.on_locked.clone()} /> }
        }
    }
}

#[derive(Properties, PartialEq)]
struct ListProps {
    on_open: Callback<String>,
    on_review: Callback<String>,
    on_locked: Callback<()>,
}

#[function_component(QueueList)]
fn queue_list(p: &ListProps) -> Html {
    let data = use_state(|| None::<Result<QueueView, ApiError>>);
    let view = crate::drafts::use_kept_state::<View>(QUEUE_VIEW);
    let reload = {
        let data = data.clone();
        Callback::from(move |_: MouseEvent| {
            let data = data.clone();
            spawn_local(async move { data.set(Some(api::supervisor_queue().await)) });
        })
    };
    {
        let data = data.clone();
        use_effect_with((), move |_| spawn_local(async move { data.set(Some(api::supervisor_queue().await)) }));
    }
    let q = match &*data {
        None => return html! { <p class="hint">{"Loading the supervisor queue…"}</p> },
        Some(Err(e)) => return error_view(e),
        Some(Ok(q)) => q.clone(),
    };
    let set_view = |v: View| {
        let view = view.clone();
        Callback::from(move |_: MouseEvent| view.set(v))
    };
    let reference = |id: &str| -> Option<&QueueIncidentRef> { q.incidents.iter().find(|i| i.id == id) };
    let body = match *view {
        View::Queue if q.queue.items.is_empty() => {
            html! { <p class="ok" id="queue-empty">{"Nothing outstanding: every safeguarding item is done and reviewed."}</p> }
        }
        View::Queue => html! {
            <table id="queue">
                <thead><tr><th>{"Incident"}</th><th>{"Risk"}</th><th>{"Age"}</th><th>{"Team"}</th><th>{"Outstanding"}</th></tr></thead>
                <tbody>{ for q.queue.items.iter().map(|i| item_row(i, reference(&i.incident_id), q.now, &p.on_open, &p.on_review)) }</tbody>
            </table>
        },
        View::Daily if q.queue.daily_review.is_empty() => {
            html! { <p class="hint" id="daily-empty">{"No incident was closed or coded DA / Concern for a Child in the last 24 hours."}</p> }
        }
        View::Daily => html! {
            <table id="daily-review">
                <thead><tr><th>{"Incident"}</th><th>{"Codes"}</th><th>{"Closed / coded"}</th><th>{"Team"}</th><th>{"Requirements"}</th></tr></thead>
                <tbody>{ for q.queue.daily_review.iter().map(|d| daily_row(d, reference(&d.incident_id), q.now, &p.on_open)) }</tbody>
            </table>
        },
        View::Tasks if q.tasks.is_empty() => {
            html! { <p class="ok" id="tasks-empty">{"No open task on this device's incidents."}</p> }
        }
        View::Tasks => html! {
            <table id="queue-tasks">
                <thead><tr><th>{"Task"}</th><th>{"Incident"}</th><th>{"Due"}</th><th>{"Officer"}</th></tr></thead>
                <tbody>{ for q.tasks.iter().map(|t| task_row(t, t.task.incident_id.as_deref().and_then(reference), q.now, &p.on_open)) }</tbody>
            </table>
        },
    };
    let overdue: usize = q.queue.team_counts.values().map(|c| c.overdue).sum();
    let tasks_overdue = q.tasks.iter().filter(|t| t.due.is_some_and(|d| d < q.now)).count();
    html! {
        <section id="queue-view" class="queue">
            <h2>{"Supervisor queue"}</h2>
            <p class="hint">{ format!("{} incident(s) need attention, {} with something overdue. Highest risk first, then oldest.",
                q.queue.items.len(), overdue) }</p>
            <table id="team-counts" class="counts">
                <thead><tr><th>{"Team"}</th><th>{"Incidents"}</th><th>{"Overdue"}</th><th>{"Missing items"}</th><th>{"Forms to review"}</th></tr></thead>
                <tbody>{ for q.queue.team_counts.iter().map(|(team, c)| html! {
                    <tr class="team" data-team={team.clone()}><td>{ team }</td><td>{ c.incidents }</td>
                        <td class={classes!((c.overdue > 0).then_some("overdue"))}>{ c.overdue }</td>
                        <td>{ c.missing_items }</td><td>{ c.unreviewed_forms }</td></tr>
                }) }</tbody>
            </table>
            <nav class="tabs sub">
                <button id="view-queue" class={classes!((*view == View::Queue).then_some("active"))} onclick={set_view(View::Queue)}>
                    { format!("Queue ({})", q.queue.items.len()) }</button>
                <button id="view-daily" class={classes!((*view == View::Daily).then_some("active"))} onclick={set_view(View::Daily)}>
                    { format!("Daily review ({})", q.queue.daily_review.len()) }</button>
                <button id="view-tasks" class={classes!((*view == View::Tasks).then_some("active"))} onclick={set_view(View::Tasks)}>
                    { if tasks_overdue > 0 { format!("Tasks ({}, {tasks_overdue} overdue)", q.tasks.len()) } else { format!("Tasks ({})", q.tasks.len()) } }</button>
                <button id="queue-refresh" class="secondary" onclick={reload}>{"Refresh"}</button>
            </nav>
            { body }
        </section>
    }
}

fn item_row(
    i: &QueueItem,
    r: Option<&QueueIncidentRef>,
    now: i64,
    on_open: &Callback<String>,
    on_review: &Callback<String>,
) -> Html {
    let open = {
        let (cb, id) = (on_open.clone(), i.incident_id.clone());
        Callback::from(move |_: MouseEvent| cb.emit(id.clone()))
    };
    let title = r
        .map(|r| format!("{} — {}", r.reference, r.incident_type.replace('_', " ")))
        .unwrap_or_else(|| i.incident_id.clone());
    let risk_class = match i.risk {
        QueueRisk::High => "risk-high",
        QueueRisk::Ungraded => "risk-ungraded",
        QueueRisk::Medium => "risk-medium",
        QueueRisk::Standard => "risk-standard",
    };
    html! {
        <tr class={classes!("queue-item", i.is_overdue().then_some("has-overdue"))} data-id={i.incident_id.clone()}
            data-risk={kind_name(&i.risk)}>
            <td class="open-incident" onclick={open.clone()}>
                <button type="button" class="link" onclick={open}>{ title }</button>
                if i.closed { <span class="badge bad">{"closed with items missing"}</span> }
                <div class="hint">{ code_list(&i.codes) }{ r.and_then(|r| r.place.clone()).map(|p| format!(" · {p}")).unwrap_or_default() }</div>
            </td>
            <td class={risk_class}>{ risk_text(i.risk) }
                if i.suggestion_above_grade {
                    <div class="badge suggestion-above" title="The risk assessment's suggested grade is above the officer's own: ranked by the suggestion">
                        {"suggested grade above the officer's"}</div>
                }
            </td>
            <td>{ span_text(i.age_secs) }</td>
            <td>{ &i.team }</td>
            <td><ul class="problems">{ for i.problems.iter().map(|pr| {
                let (when, overdue) = deadline_text(pr.deadline, now);
                let review = match (&pr.form_id, pr.kind) {
                    (Some(fid), ProblemKind::Unreviewed | ProblemKind::ReviewOverdue) => {
                        let (cb, fid) = (on_review.clone(), fid.clone());
                        html! { <button type="button" class="review-form" data-form={fid.clone()}
                            onclick={Callback::from(move |_: MouseEvent| cb.emit(fid.clone()))}>{"Review"}</button> }
                    }
                    _ => html! {},
                };
                html! { <li class="problem" data-kind={kind_name(&pr.kind)} data-item={kind_name(&pr.item)}>
                    { &pr.label }{" — "}<span class={classes!("deadline", overdue.then_some("overdue"))}>{ when }</span>
                    {" "}{ review }
                </li> }
            }) }</ul></td>
        </tr>
    }
}

fn task_row(t: &QueueTask, r: Option<&QueueIncidentRef>, now: i64, on_open: &Callback<String>) -> Html {
    let incident = match (&t.task.incident_id, r) {
        (Some(id), r) => {
            let (cb, id) = (on_open.clone(), id.clone());
            let label = r.map(|r| r.reference.clone()).unwrap_or_else(|| id.clone());
            html! { <button type="button" class="link" onclick={Callback::from(move |_: MouseEvent| cb.emit(id.clone()))}>{ label }</button> }
        }
        (None, _) => html! { {"—"} },
    };
    let (when, overdue) = match t.due {
        Some(d) => deadline_text(d, now),
        None => ("no due date".into(), false),
    };
    html! {
        <tr class={classes!("queue-task", overdue.then_some("has-overdue"))} data-kind={t.task.kind.clone()}>
            <td>{ &t.task.title }</td>
            <td>{ incident }</td>
            <td><span class={classes!("deadline", overdue.then_some("overdue"))}>{ when }</span></td>
            <td>{ t.task.owner.clone().unwrap_or_default() }</td>
        </tr>
    }
}

fn daily_row(d: &DailyReviewItem, r: Option<&QueueIncidentRef>, now: i64, on_open: &Callback<String>) -> Html {
    let open = {
        let (cb, id) = (on_open.clone(), d.incident_id.clone());
        Callback::from(move |_: MouseEvent| cb.emit(id.clone()))
    };
    let when = d
        .closed_at
        .map(|t| format!("closed {} ago", span_text(now - t)))
        .or_else(|| d.coded_at.map(|t| format!("coded {} ago", span_text(now - t))))
        .unwrap_or_default();
    html! {
        <tr class={classes!("daily-item", (!d.complete).then_some("has-overdue"))} data-id={d.incident_id.clone()}>
            <td class="open-incident" onclick={open.clone()}>
                <button type="button" class="link" onclick={open}>{ r.map(|r| r.reference.clone()).unwrap_or_else(|| d.incident_id.clone()) }</button>
            </td>
            <td>
                { code_list(&d.codes) }
                // Closed NFA-DUP (the gate lets it through with nothing): why, for the supervisor to check.
                if let Some(why) = &d.nfa_dup_reason { <p class="nfa-dup-reason">{ why }</p> }
            </td>
            <td>{ when }</td>
            <td>{ &d.team }</td>
            <td>
                if d.complete { <span class="ok">{"All requirements met"}</span> }
                else { <ul class="problems">{ for d.missing.iter().map(|m| html! { <li class="overdue">{ &m.label }</li> }) }</ul> }
            </td>
        </tr>
    }
}

#[derive(Properties, PartialEq)]
pub(crate) struct ReviewProps {
    pub form_id: String,
    pub on_done: Callback<()>,
    pub on_locked: Callback<()>,
}

/// A submitted form, read-only, for the supervisor: answers, the engine's suggestion with its
/// reasons, the officer's grade and rationale; approve, or return with comments.
#[function_component(ReviewPage)]
pub(crate) fn review_page(p: &ReviewProps) -> Html {
    let data = use_state(|| None::<Result<FormReviewView, ApiError>>);
    // Kept while the supervisor looks at another tab (see `drafts`).
    let draft_key = format!("review:{}", p.form_id);
    let comments = use_state(|| crate::drafts::get::<String>(&draft_key).unwrap_or_default());
    let message = use_state(|| None::<Result<String, String>>);
    let busy = use_state(|| false);
    let load = {
        let (data, fid) = (data.clone(), p.form_id.clone());
        Callback::from(move |_: ()| {
            let (data, fid) = (data.clone(), fid.clone());
            spawn_local(async move { data.set(Some(api::get_form_review(&fid).await)) });
        })
    };
    {
        let load = load.clone();
        use_effect_with(p.form_id.clone(), move |_| load.emit(()));
    }
    let back = p.on_done.reform(|_: MouseEvent| ());
    let v = match &*data {
        None => return html! { <p class="hint">{"Loading the form…"}</p> },
        Some(Err(e)) => {
            return html! { <section id="review"><button class="secondary" onclick={back}>{"← Back"}</button>{ error_view(e) }</section> }
        }
        Some(Ok(v)) => v.clone(),
    };
    let decide = |decision: ReviewDecision| {
        let (fid, comments, message, busy, load, on_locked) =
            (p.form_id.clone(), comments.clone(), message.clone(), busy.clone(), load.clone(), p.on_locked.clone());
        let draft_key = draft_key.clone();
        Callback::from(move |_: MouseEvent| {
            let text = comments.trim().to_string();
            if decision == ReviewDecision::Return && bluelamp_forms::answers::says_nothing(&text) {
                message.set(Some(Err(
                    "Write comments for the officer, in words: they are mandatory when returning a form.".into(),
                )));
                if let Some(el) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.get_element_by_id("review-comments"))
                    .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
                {
                    let _ = el.focus();
                }
                return;
            }
            let req =
                ReviewFormRequest { form_id: fid.clone(), decision, comments: (!text.is_empty()).then_some(text) };
            let (message, busy, load, on_locked) = (message.clone(), busy.clone(), load.clone(), on_locked.clone());
            let draft_key = draft_key.clone();
            busy.set(true);
            spawn_local(async move {
                match api::review_form(&req).await {
                    Ok(info) => {
                        crate::drafts::clear(&draft_key);
                        message.set(Some(Ok(match info.status {
                            bluelamp_protocol::casework::FormStatus::Approved => "Approved.".to_string(),
                            _ => "Returned to the officer with your comments.".to_string(),
                        })));
                        load.emit(());
                    }
                    Err(e) => {
                        if e.code == bluelamp_protocol::ErrorCode::Locked {
                            on_locked.emit(());
                        }
                        message.set(Some(Err(e.message)));
                    }
                }
                busy.set(false);
            });
        })
    };
    let on_comments = {
        let (comments, draft_key) = (comments.clone(), draft_key.clone());
        Callback::from(move |e: InputEvent| {
            let text = e.target_unchecked_into::<HtmlTextAreaElement>().value();
            crate::drafts::put(&draft_key, &text);
            comments.set(text)
        })
    };
    let info = &v.form.info;
    let answers = v.form.answers.as_object().cloned().unwrap_or_default();
    let pk = pack(&info.pack_id);
    html! {
        <section id="review" class="review" data-form={info.id.clone()} data-status={kind_name(&info.status)}>
            <button class="secondary" id="review-back" onclick={back}>{"← Back"}</button>
            <h2>{ format!("Review: {}", if info.title.is_empty() { info.pack_id.clone() } else { info.title.clone() }) }</h2>
            <p class="hint">{ format!("{} — {} · by {} · submitted {} · {}", v.incident.reference, v.incident.incident_type.replace('_', " "),
                info.created_by, info.submitted_at.clone().unwrap_or_else(|| "-".into()), kind_name(&info.status)) }</p>
            <div class="grades">
                if let Some(s) = &v.suggestion {
                    <div id="review-suggestion">
                        <p>{"Suggested grade: "}<strong id="review-suggested">{ kind_name(&s.suggested) }</strong>
                            { format!(" · {} yes, {} don't know, {} declined", s.yes_count, s.dont_know_count, s.declined_count) }
                            if s.marac_indicated { <span class="badge bad">{"MARAC criterion met"}</span> }</p>
                        <ul class="reasons">{ for s.reasons.iter().map(|r| html! { <li>{ &r.message }</li> }) }</ul>
                    </div>
                }
                if info.officer_grade.is_some() || info.rationale.is_some() {
                    <p id="review-officer-grade">{"Officer's grade: "}<strong>{ info.officer_grade.map(|g| kind_name(&g)).unwrap_or_else(|| "-".into()) }</strong>
                        { info.rationale.as_ref().map(|r| format!(" — {r}")).unwrap_or_default() }</p>
                }
            </div>
            if !info.reviews.is_empty() {
                <ul class="past-reviews">{ for info.reviews.iter().map(|r| html! {
                    <li>{ format!("{} by {}: {}", kind_name(&r.decision), r.reviewer, r.comments.clone().unwrap_or_default()) }</li>
                }) }</ul>
            }
            <h3>{"Answers"}</h3>
            { match &pk {
                Some(pk) => answers_summary(pk, &answers, &v.incident.links),
                None => html! { <p class="error">{"This form's pack is not installed on this device."}</p> },
            } }
            if v.can_review {
                <div class="decision">
                    <label for="review-comments">{"Comments for the officer (mandatory when returning)"}</label>
                    <textarea id="review-comments" value={(*comments).clone()} oninput={on_comments} />
                    <div class="actions">
                        <button id="review-approve" disabled={*busy} onclick={decide(ReviewDecision::Approve)}>{"Approve"}</button>
                        <button id="review-return" class="secondary" disabled={*busy} onclick={decide(ReviewDecision::Return)}>{"Return to officer"}</button>
                    </div>
                </div>
            } else if let Some(why) = &v.why_not {
                <p class="hint" id="review-closed">{ why }</p>
            }
            { match &*message {
                None => html! {},
                Some(Ok(m)) => html! { <p id="review-result" class="ok" role="status">{ m }</p> },
                Some(Err(m)) => html! { <p id="review-error" class="error" role="alert">{ m }</p> },
            } }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_read_as_people_say_them() {
        let now = 1_000_000;
        assert_eq!(deadline_text(now - 5 * HOUR, now), ("overdue by 5 h".to_string(), true));
        assert_eq!(deadline_text(now + 3 * HOUR + 59, now), ("due in 3 h".to_string(), false));
        assert_eq!(deadline_text(now - 2 * DAY - 4 * HOUR, now), ("overdue by 2 d 4 h".to_string(), true));
        assert_eq!(deadline_text(now + 20 * 60, now), ("due in 20 min".to_string(), false));
        assert_eq!(deadline_text(now, now), ("due in 0 min".to_string(), false));
        assert_eq!(span_text(3 * DAY), "3 d");
        assert_eq!(span_text(-5), "0 min");
        // Extreme values never panic.
        let _ = deadline_text(i64::MIN, i64::MAX);
        let _ = deadline_text(i64::MAX, i64::MIN);
    }
}
