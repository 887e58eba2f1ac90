//! The Conflicts view (issue 7), opened from the status bar's conflicts count: each unresolved
//! conflict as field | base | mine | theirs with a choice per field, and "Resolve", which queues
//! the resolution for the next sync. Generic over a record's top-level fields.

use std::collections::{BTreeMap, HashMap};

use bluelamp_protocol::conflicts::{show_value, ConflictInfo, ResolveConflictRequest, Side};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ConflictsProps {
    pub on_close: Callback<()>,
    /// The status bar's count: edit conflicts and the possible duplicates waiting for the
    /// officer (the store counts both; this view lists the edits).
    #[prop_or_default]
    pub count: u64,
}

/// What the view says of the possible duplicates in the count, which it does not list.
pub(crate) fn duplicates_note(count: u64, edits: usize) -> Option<String> {
    let n = count.saturating_sub(edits as u64);
    (n > 0).then(|| {
        let what = if n == 1 { "1 possible duplicate".to_string() } else { format!("{n} possible duplicates") };
        format!(
            "{what} of a person created here also wait{} for you: open the Possible duplicates tab to decide.",
            if n == 1 { "s" } else { "" }
        )
    })
}

type Choices = HashMap<String, BTreeMap<String, Side>>;

const CONFLICT_CHOICES: &str = "conflicts.choices";

#[function_component(ConflictsView)]
pub fn conflicts_view(props: &ConflictsProps) -> Html {
    let list = use_state(|| None::<Vec<ConflictInfo>>);
    // The choices made so far, kept (see `drafts`) while the window is locked.
    let choices = crate::drafts::use_kept_state::<Choices>(CONFLICT_CHOICES);
    let error = use_state(|| None::<String>);
    let done = use_state(|| None::<String>);
    let busy = use_state(|| false); // a resolution in flight: one per click
    {
        let (list, error) = (list.clone(), error.clone());
        use_effect_with((), move |_| {
            spawn_local(async move {
                match crate::api::list_conflicts().await {
                    Ok(l) => list.set(Some(l)),
                    Err(e) => error.set(Some(e.message)),
                }
            });
        });
    }
    let choose = |cid: String, field: String, side: Side| {
        let choices = choices.clone();
        Callback::from(move |_: Event| {
            let mut all = (*choices).clone();
            all.entry(cid.clone()).or_default().insert(field.clone(), side);
            choices.set(all);
        })
    };
    let resolve = |c: &ConflictInfo| {
        let (list, choices, error, done, busy) =
            (list.clone(), choices.clone(), error.clone(), done.clone(), busy.clone());
        let (id, title) = (c.id.clone(), c.title.clone());
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            busy.set(true);
            let req = ResolveConflictRequest {
                conflict_id: id.clone(),
                choices: choices.get(&id).cloned().unwrap_or_default(),
            };
            let (list, error, done, title, busy) =
                (list.clone(), error.clone(), done.clone(), title.clone(), busy.clone());
            spawn_local(async move {
                let _done = crate::cases::Settle(busy);
                match crate::api::resolve_conflict(&req).await {
                    Ok(rest) => {
                        error.set(None);
                        done.set(Some(format!("{title}: resolved; the resolution is queued for the next sync.")));
                        list.set(Some(rest));
                    }
                    // What was chosen stays on screen.
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    let close = props.on_close.reform(|_: MouseEvent| ());
    let note = (*list).as_ref().and_then(|l| duplicates_note(props.count, l.len()));
    let note = html! { if let Some(n) = note { <p id="conflicts-duplicates" class="hint">{ n }</p> } };
    let body = match (*list).clone() {
        None if error.is_some() => html! {},
        None => html! { <p class="hint">{"Loading…"}</p> },
        Some(l) if l.is_empty() => html! { <p id="conflicts-empty">{"No edit conflicts are waiting for you."}</p> },
        Some(l) => html! {
            { for l.iter().map(|c| {
                let picked = choices.get(&c.id).cloned().unwrap_or_default();
                html! {
                    <section class="conflict" data-conflict={c.id.clone()}>
                        <h3>{ format!("{} {}", c.record_type, c.title) }</h3>
                        <p class="muted small">{ format!("Your change ({}) clashed with the central record; written {}.", c.mutation, c.created_at) }</p>
                        <table class="conflict-fields">
                            <thead><tr><th>{"Field"}</th><th>{"Base"}</th><th>{"Mine"}</th><th>{"Theirs"}</th></tr></thead>
                            <tbody>
                            { for c.fields.iter().map(|f| {
                                let name = format!("take-{}-{}", c.id, f.field);
                                let side = picked.get(&f.field).copied();
                                let cell = |s: Side, v: &serde_json::Value, class: &'static str| {
                                    // What goes with the value (an NFA-DUP's reason), shown under it.
                                    let note = match s { Side::Mine => f.mine_note.clone(), Side::Theirs => f.theirs_note.clone() };
                                    let note = html! { if let Some(n) = note { <div class="conflict-note small muted">{ n }</div> } };
                                    if f.differs {
                                        html! {
                                            <td><label>
                                                <input type="radio" class={class} name={name.clone()} data-field={f.field.clone()}
                                                    aria-label={format!("{}: {} ({})", f.label, show_value(v), if s == Side::Mine { "mine" } else { "theirs" })}
                                                    checked={side == Some(s)} onchange={choose(c.id.clone(), f.field.clone(), s)} />
                                                { format!(" {}", show_value(v)) }
                                            </label>{ note }</td>
                                        }
                                    } else {
                                        html! { <td>{ show_value(v) }{ note }</td> }
                                    }
                                };
                                html! {
                                    <tr class={classes!(f.differs.then_some("differs"))}>
                                        <th scope="row">{ &f.label }</th>
                                        <td>{ show_value(&f.base) }</td>
                                        { cell(Side::Mine, &f.mine, "take-mine") }
                                        { cell(Side::Theirs, &f.theirs, "take-theirs") }
                                    </tr>
                                }
                            }) }
                            </tbody>
                        </table>
                        <button class="resolve" onclick={resolve(c)} disabled={*busy}>{"Resolve"}</button>
                    </section>
                }
            }) }
        },
    };
    html! {
        <div id="conflicts-view" class="popover conflicts" role="dialog" aria-label="Conflicts">
            <div class="conflicts-head">
                <h2>{"Conflicts"}</h2>
                <button id="conflicts-close" class="secondary small" onclick={close}>{"Close"}</button>
            </div>
            <p class="hint small">{"Someone else changed these records while you were working. For each field, keep your value (mine) or take the central record's (theirs)."}</p>
            if let Some(e) = (*error).clone() { <p id="conflicts-error" class="bad" role="alert">{ e }</p> }
            if let Some(d) = (*done).clone() { <p id="conflicts-done" class="ok" role="status">{ d }</p> }
            { body }
            { note }
        </div>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_count_s_possible_duplicates_are_pointed_to() {
        assert_eq!(super::duplicates_note(2, 2), None, "only edits");
        assert_eq!(super::duplicates_note(0, 0), None);
        let one = super::duplicates_note(1, 0).unwrap();
        assert!(
            one.starts_with("1 possible duplicate of")
                && one.contains("waits")
                && one.contains("Possible duplicates tab"),
            "{one}"
        );
        let two = super::duplicates_note(3, 1).unwrap();
        assert!(two.starts_with("2 possible duplicates of") && two.contains(" wait for you"), "{two}");
        assert_eq!(super::duplicates_note(1, 5), None, "a count behind the list says nothing");
    }
}
