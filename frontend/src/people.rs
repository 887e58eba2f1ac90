//! People created on this device: the "New person" form (reached from the search screen) and
//! the "Possible duplicates" screen, where the officer links a provisional person to a person
//! the central service holds, or confirms a new person.
//!
//! The form runs the shared `NewNominal::validate` (protocol, compiled to wasm) before sending;
//! what was typed stays in the form on any refusal. Before saving it shows the likely matches
//! on this device (the same matching and threshold as the central service), each of which can
//! be opened instead.

use bluelamp_protocol::nominal::{CreateNominalOutcome, DuplicateDecision, DuplicateInfo, FieldIssue, NewNominal};
use bluelamp_protocol::{ApiError, ErrorCode, NominalHit};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::api;

/// Splits free search text into a first guess of given name and surname.
pub fn guess_names(text: &str) -> (String, String) {
    let words: Vec<&str> = text.split_whitespace().filter(|w| !w.contains('*')).collect();
    match words.split_last() {
        None => (String::new(), String::new()),
        Some((last, [])) => (String::new(), last.to_string()),
        Some((last, rest)) => (rest.join(" "), last.to_string()),
    }
}

/// Aliases typed as "Bill Smith; Billy Smyth".
pub fn split_aliases(text: &str) -> Vec<String> {
    text.split([';', '\n']).map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect()
}

#[derive(Properties, PartialEq)]
pub struct NewPersonProps {
    /// What was typed in the search box (a first guess at the name).
    pub initial: String,
    pub on_locked: Callback<()>,
    /// Open an existing person instead (goes through the purpose prompt).
    pub on_open: Callback<NominalHit>,
    /// Saved: show the new (provisional) record.
    pub on_created: Callback<NominalHit>,
    pub on_cancel: Callback<()>,
}

#[derive(Clone, PartialEq, Debug, Default, serde::Serialize, serde::Deserialize)]
struct Fields {
    /// The search text the form was opened from: the draft is for that search only (see
    /// [`starting_fields`]).
    #[serde(default)]
    from: String,
    given: String,
    surname: String,
    dob: String,
    sex: String,
    aliases: String,
    address: String,
    postcode: String,
}

impl Fields {
    fn to_new(&self) -> NewNominal {
        let opt = |s: &str| Some(s.to_string()).filter(|s| !s.trim().is_empty());
        NewNominal {
            given_name: self.given.clone(),
            surname: self.surname.clone(),
            date_of_birth: opt(&self.dob),
            sex: opt(&self.sex),
            aliases: split_aliases(&self.aliases),
            address: opt(&self.address),
            postcode: opt(&self.postcode),
        }
    }
}

/// What a New person form opened from the search text `initial` starts with: the kept draft
/// when it was typed for a form opened from the same search (the officer looked at a likely
/// match, another tab, or the lock, and comes back to it), else the names guessed from the
/// search. A draft typed for a form started from a different search is another person's
/// details: it is never applied to this one (it is replaced at the first keystroke here).
fn starting_fields(initial: &str, kept: Option<Fields>) -> Fields {
    kept.filter(|k| k.from == initial).unwrap_or_else(|| {
        let (given, surname) = guess_names(initial);
        Fields { from: initial.to_string(), given, surname, ..Default::default() }
    })
}

#[function_component(NewPersonForm)]
pub fn new_person_form(p: &NewPersonProps) -> Html {
    // What was typed is kept while the officer looks at another tab (see `drafts`).
    const DRAFT: &str = "new-person";
    let fields = use_state(|| starting_fields(&p.initial, crate::drafts::get::<Fields>(DRAFT)));
    let issues = use_state(Vec::<FieldIssue>::new);
    let error = use_state(|| None::<String>);
    // `Some(hits)`: the likely matches were checked for the fields as they are now.
    let matches = use_state(|| None::<Vec<NominalHit>>);
    // A check or a save in flight: the fields are read-only until it answers, so what is saved
    // is what is on screen (a correction typed meanwhile was thrown away, and the person saved
    // with the old values).
    let busy = use_state(|| false);
    // The fields as rendered last: an answer for fields that have changed since it was asked
    // is not acted on (belt and braces: the fields cannot change while busy).
    let latest = use_mut_ref(Fields::default);
    *latest.borrow_mut() = (*fields).clone();
    // Keyboard first: the form takes the focus when it opens (the "New person…" button that
    // had it is gone).
    use_effect_with((), |_| {
        crate::cases::focus_selector("#np-given");
    });

    let set = |f: fn(&mut Fields, String)| {
        let (fields, matches) = (fields.clone(), matches.clone());
        Callback::from(move |e: InputEvent| {
            let mut v = (*fields).clone();
            f(&mut v, e.target_unchecked_into::<HtmlInputElement>().value());
            crate::drafts::put(DRAFT, &v);
            fields.set(v);
            matches.set(None); // changed: check again before saving
        })
    };
    let on_sex = {
        let (fields, matches) = (fields.clone(), matches.clone());
        Callback::from(move |e: Event| {
            let mut v = (*fields).clone();
            v.sex = e.target_unchecked_into::<HtmlSelectElement>().value();
            crate::drafts::put(DRAFT, &v);
            fields.set(v);
            matches.set(None);
        })
    };

    // Saves the fields given (those checked and shown, never a copy from an earlier render).
    let create = {
        let (issues, error, busy, on_created, on_locked, latest) =
            (issues.clone(), error.clone(), busy.clone(), p.on_created.clone(), p.on_locked.clone(), latest.clone());
        Callback::from(move |v: Fields| {
            if *latest.borrow() != v {
                busy.set(false); // changed since it was checked: the officer saves again
                return;
            }
            let n = v.to_new();
            let (issues, error, busy, on_created, on_locked) =
                (issues.clone(), error.clone(), busy.clone(), on_created.clone(), on_locked.clone());
            busy.set(true);
            spawn_local(async move {
                match api::create_nominal(&n).await {
                    Ok(CreateNominalOutcome::Created { nominal }) => {
                        crate::drafts::clear(DRAFT);
                        on_created.emit(nominal)
                    }
                    Ok(CreateNominalOutcome::Rejected { issues: i }) => issues.set(i),
                    Err(e) => {
                        if e.code == ErrorCode::Locked {
                            on_locked.emit(());
                        }
                        error.set(Some(e.message));
                    }
                }
                busy.set(false);
            });
        })
    };

    // Save: check the fields here (same rules as the backend), then the likely matches; save
    // at once when there are none, otherwise show them and wait for "None of these".
    let save = {
        let (fields, issues, error, matches, busy, create, on_locked, latest) = (
            fields.clone(),
            issues.clone(),
            error.clone(),
            matches.clone(),
            busy.clone(),
            create.clone(),
            p.on_locked.clone(),
            latest.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let checked = (*fields).clone();
            let n = checked.to_new();
            let found = n.validate();
            error.set(None);
            if !found.is_empty() {
                issues.set(found);
                return;
            }
            issues.set(Vec::new());
            if matches.is_some() {
                return; // the list is on screen: the officer chooses
            }
            let (matches, error, busy, create, on_locked, latest) =
                (matches.clone(), error.clone(), busy.clone(), create.clone(), on_locked.clone(), latest.clone());
            busy.set(true);
            spawn_local(async move {
                let r = api::likely_matches(&n).await;
                if *latest.borrow() != checked && !matches!(&r, Err(e) if e.code == ErrorCode::Locked) {
                    busy.set(false); // matches for values no longer on screen
                    return;
                }
                match r {
                    Ok(hits) if hits.is_empty() => create.emit(checked),
                    Ok(hits) => {
                        matches.set(Some(hits));
                        busy.set(false);
                    }
                    Err(e) => {
                        if e.code == ErrorCode::Locked {
                            on_locked.emit(());
                        }
                        error.set(Some(e.message));
                        busy.set(false);
                    }
                }
            });
        })
    };

    let issue_for = |field: &str| -> Html {
        match issues.iter().find(|i| i.field == field) {
            Some(i) => {
                html! { <span class="field-error" id={format!("np-error-{field}")} role="alert">{ &i.message }</span> }
            }
            None => html! {},
        }
    };
    let cancel = p.on_cancel.reform(|_: MouseEvent| crate::drafts::clear(DRAFT));
    // Esc closes the form like Cancel but keeps what was typed, for this same search: a key is
    // easily pressed by mistake, and New person… from the same search brings it all back.
    let onkeydown = {
        let (on_cancel, busy) = (p.on_cancel.clone(), busy.clone());
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" && !*busy {
                e.prevent_default();
                on_cancel.emit(());
            }
        })
    };
    let f = &*fields;
    html! {
        <section id="new-person" class="new-person" {onkeydown}>
            <h2>{"New person"}</h2>
            <p class="hint">{"Saved on this device as provisional. The central service checks it against the people it holds when you are next online."}</p>
            <form onsubmit={save} novalidate=true>
                <fieldset id="np-fields" disabled={*busy}>
                <label for="np-given">{"Given name"}</label>
                <input id="np-given" value={f.given.clone()} oninput={set(|f, v| f.given = v)} autocomplete="off" />
                { issue_for("given_name") }
                <label for="np-surname">{"Surname"}</label>
                <input id="np-surname" value={f.surname.clone()} oninput={set(|f, v| f.surname = v)} autocomplete="off" />
                { issue_for("surname") }
                <label for="np-dob">{"Date of birth (DD/MM/YYYY, if known)"}</label>
                <input id="np-dob" value={f.dob.clone()} oninput={set(|f, v| f.dob = v)} autocomplete="off" />
                { issue_for("date_of_birth") }
                <label for="np-sex">{"Sex"}</label>
                <select id="np-sex" onchange={on_sex}>
                    <option value="" selected={f.sex.is_empty()}>{"Unknown"}</option>
                    <option value="M" selected={f.sex == "M"}>{"M"}</option>
                    <option value="F" selected={f.sex == "F"}>{"F"}</option>
                </select>
                { issue_for("sex") }
                <label for="np-aliases">{"Aliases (separate with ;)"}</label>
                <input id="np-aliases" value={f.aliases.clone()} oninput={set(|f, v| f.aliases = v)} autocomplete="off" />
                { issue_for("aliases") }
                <label for="np-address">{"Address"}</label>
                <input id="np-address" value={f.address.clone()} oninput={set(|f, v| f.address = v)} autocomplete="off" />
                { issue_for("address") }
                <label for="np-postcode">{"Postcode"}</label>
                <input id="np-postcode" value={f.postcode.clone()} oninput={set(|f, v| f.postcode = v)} autocomplete="off" />
                { issue_for("postcode") }
                </fieldset>
                if let Some(e) = &*error {
                    <p id="np-error" class="error" role="alert">{ e }</p>
                }
                if let Some(hits) = &*matches {
                    <div id="np-matches" class="likely-matches">
                        <h3>{"This person may already be known"}</h3>
                        <ul class="results">
                            { for hits.iter().map(|h| {
                                let open = { let (o, h) = (p.on_open.clone(), h.clone()); Callback::from(move |_: MouseEvent| o.emit(h.clone())) };
                                html! {
                                    <li class="result" data-id={h.id.clone()}>
                                        <span class="name">{ format!("{} {}", h.surname.to_uppercase(), h.given_name) }</span>
                                        <span class="dob">{ h.date_of_birth.clone().unwrap_or_else(|| "DOB unknown".into()) }</span>
                                        <span class="sex">{ h.sex.clone().unwrap_or_default() }</span>
                                        <span class="address">{ format!("{} {}", h.address.clone().unwrap_or_default(), h.postcode.clone().unwrap_or_default()) }</span>
                                        <span class="reasons">{ h.reasons.join(" · ") }</span>
                                        <button type="button" class="secondary np-open" onclick={open}>{"Open this person"}</button>
                                    </li>
                                }
                            }) }
                        </ul>
                        <button type="button" id="np-confirm" disabled={*busy}
                            onclick={ let (c, f) = (create.clone(), fields.clone()); Callback::from(move |_: MouseEvent| c.emit((*f).clone())) }>
                            {"None of these — save new person"}
                        </button>
                    </div>
                }
                <div class="actions">
                    if matches.is_none() {
                        <button id="np-save" type="submit" disabled={*busy}>{"Save new person"}</button>
                    }
                    <button type="button" class="secondary" onclick={cancel}>{"Cancel"}</button>
                </div>
            </form>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct DuplicatesProps {
    pub on_locked: Callback<()>,
}

fn person_cells(
    given: &str,
    surname: &str,
    dob: Option<&str>,
    sex: Option<&str>,
    address: Option<&str>,
    postcode: Option<&str>,
) -> Html {
    html! {
        <>
            <td class="name">{ format!("{} {}", surname.to_uppercase(), given) }</td>
            <td class="dob">{ dob.unwrap_or("unknown") }</td>
            <td class="sex">{ sex.unwrap_or("unknown") }</td>
            <td class="address">{ format!("{} {}", address.unwrap_or_default(), postcode.unwrap_or_default()) }</td>
        </>
    }
}

/// The "Possible duplicates" screen.
#[function_component(DuplicatesView)]
pub fn duplicates_view(p: &DuplicatesProps) -> Html {
    let list = use_state(|| None::<Result<Vec<DuplicateInfo>, ApiError>>);
    let notice = use_state(|| None::<String>);
    // A decision in flight: the buttons are disabled until it is recorded, so a double click (or
    // New then Link) is one decision, not one decision and an "already resolved" error.
    let busy = use_state(|| false);
    let reload = {
        let (list, on_locked) = (list.clone(), p.on_locked.clone());
        Callback::from(move |_: ()| {
            let (list, on_locked) = (list.clone(), on_locked.clone());
            spawn_local(async move {
                let r = api::list_duplicates().await;
                if matches!(&r, Err(e) if e.code == ErrorCode::Locked) {
                    on_locked.emit(());
                }
                list.set(Some(r));
            });
        })
    };
    {
        let reload = reload.clone();
        use_effect_with((), move |_| reload.emit(()));
    }
    let resolve = {
        let (reload, notice, on_locked, busy) = (reload.clone(), notice.clone(), p.on_locked.clone(), busy.clone());
        Callback::from(move |(id, decision): (String, DuplicateDecision)| {
            if *busy {
                return;
            }
            busy.set(true);
            let (reload, notice, on_locked, busy) = (reload.clone(), notice.clone(), on_locked.clone(), busy.clone());
            spawn_local(async move {
                let _done = crate::cases::Settle(busy);
                match api::resolve_duplicate(&id, decision).await {
                    Ok(()) => {
                        notice.set(Some("Recorded. The records on this device are updated at the next sync.".into()))
                    }
                    Err(e) => {
                        if e.code == ErrorCode::Locked {
                            on_locked.emit(());
                        }
                        notice.set(Some(e.message));
                    }
                }
                reload.emit(());
            });
        })
    };
    let body = match &*list {
        None => html! { <p class="hint">{"Loading…"}</p> },
        Some(Err(e)) => html! { <p class="error" role="alert">{ &e.message }</p> },
        Some(Ok(items)) if items.is_empty() => html! {
            <p id="no-duplicates" class="hint">{"No possible duplicates are waiting for you."}</p>
        },
        Some(Ok(items)) => html! {
            <>{ for items.iter().map(|d| render_duplicate(d, &resolve, *busy)) }</>
        },
    };
    html! {
        <section id="duplicates" class="duplicates">
            <h2>{"Possible duplicates"}</h2>
            <p class="hint">{"People you created on this device that the central service thinks it may already hold. Decide for each: the same person (link), or a new person."}</p>
            if let Some(n) = &*notice {
                <p id="dup-notice" class="notice" role="status">{ n }</p>
            }
            { body }
        </section>
    }
}

fn render_duplicate(d: &DuplicateInfo, resolve: &Callback<(String, DuplicateDecision)>, busy: bool) -> Html {
    let new = {
        let (r, id) = (resolve.clone(), d.id.clone());
        Callback::from(move |_: MouseEvent| r.emit((id.clone(), DuplicateDecision::New)))
    };
    let mine = match &d.provisional {
        Some(h) => person_cells(
            &h.given_name,
            &h.surname,
            h.date_of_birth.as_deref(),
            h.sex.as_deref(),
            h.address.as_deref(),
            h.postcode.as_deref(),
        ),
        None => html! { <td colspan="4">{ format!("(no longer on this device: {})", d.provisional_id) }</td> },
    };
    html! {
        <article class="duplicate" data-id={d.id.clone()} data-provisional={d.provisional_id.clone()}>
            <table class="compare">
                <thead>
                    <tr><th></th><th>{"Name"}</th><th>{"Date of birth"}</th><th>{"Sex"}</th><th>{"Address"}</th><th>{"Score"}</th><th>{"Why"}</th><th></th></tr>
                </thead>
                <tbody>
                    <tr class="provisional-row">
                        <th>{"You created"}<span class="badge provisional">{"PROVISIONAL"}</span></th>
                        { mine }<td></td><td></td>
                        <td><button class="dup-new" onclick={new} disabled={busy}>{"Create new person"}</button></td>
                    </tr>
                    { for d.candidates.iter().map(|c| {
                        let link = {
                            let (r, id, target) = (resolve.clone(), d.id.clone(), c.nominal.id.clone());
                            Callback::from(move |_: MouseEvent| r.emit((id.clone(), DuplicateDecision::Link { nominal_id: target.clone() })))
                        };
                        let n = &c.nominal;
                        html! {
                            <tr class="candidate" data-id={n.id.clone()}>
                                <th>{"Held centrally"}</th>
                                { person_cells(&n.given_name, &n.surname, n.date_of_birth.as_deref(), n.sex.as_deref(), n.address.as_deref(), n.postcode.as_deref()) }
                                <td class="score">{ format!("{:.1}", c.score) }</td>
                                <td class="reasons">{ c.reasons.join(" · ") }</td>
                                <td><button class="dup-link" onclick={link} disabled={busy}>{"This is the same person (link)"}</button></td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        </article>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_from_text() {
        assert_eq!(guess_names("bill smyth"), ("bill".into(), "smyth".into()));
        assert_eq!(guess_names("smyth"), (String::new(), "smyth".into()));
        assert_eq!(guess_names("  "), (String::new(), String::new()));
        assert_eq!(guess_names("SMI*"), (String::new(), String::new()));
        assert_eq!(split_aliases("Bill Smith; ;Billy Smyth"), vec!["Bill Smith".to_string(), "Billy Smyth".into()]);
    }

    #[test]
    fn a_draft_is_taken_up_only_by_a_form_opened_from_the_same_search() {
        let typed = Fields {
            from: "bill smyth".into(),
            given: "William".into(),
            surname: "Smyth".into(),
            address: "1 High Street".into(),
            ..Default::default()
        };
        // Back from a likely match, another tab or the lock: what was typed.
        assert_eq!(starting_fields("bill smyth", Some(typed.clone())), typed);
        // A New person for another search: that search's names, nothing of the earlier person.
        let other = starting_fields("ann lee", Some(typed));
        assert_eq!((other.given.as_str(), other.surname.as_str(), other.address.as_str()), ("ann", "lee", ""));
        assert_eq!(other.from, "ann lee");
        assert_eq!(starting_fields("ann lee", None), other);
    }
}
