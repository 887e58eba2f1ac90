//! The record page shown after the purpose prompt: warning markers first (with when and by whom
//! they were last verified), then the person's details, aliases, addresses (current first) and
//! linked incidents (which open on the Incidents tab).

use bluelamp_protocol::nominal::NominalPage;
use bluelamp_protocol::widen::age_on;
use bluelamp_protocol::{ApiError, Source};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct NominalPageProps {
    pub result: Result<NominalPage, ApiError>,
    pub today: String,
    pub on_back: Callback<()>,
    /// Opens an incident (by id) on the Incidents tab; without it the references are plain text.
    #[prop_or_default]
    pub on_open_incident: Option<Callback<String>>,
}

/// `2026-11-01T10:00:00Z` → `2026-11-01 10:00 UTC`; other text as it is.
pub fn when(ts: &str) -> String {
    match (ts.get(..10), ts.get(11..16)) {
        (Some(d), Some(t)) if ts.len() >= 16 && ts.as_bytes()[10] == b'T' => format!("{d} {t} UTC"),
        _ => ts.to_string(),
    }
}

/// "Victim", "Reporting person" from `victim`, `reporting_person`.
pub fn words(code: &str) -> String {
    let w = code.replace('_', " ");
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[function_component(NominalPageView)]
pub fn nominal_page_view(p: &NominalPageProps) -> Html {
    let back = p.on_back.reform(|_: MouseEvent| ());
    // Keyboard first, as on the results: the page takes the focus (on its Back button, at the
    // top, where a screen reader starts reading) and Esc goes back to the results, whose search
    // box then has the focus. Before, the focus was left on nothing and Esc did nothing.
    let onkeydown = {
        let on_back = p.on_back.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                e.prevent_default();
                on_back.emit(());
            }
        })
    };
    use_effect_with((), |_| {
        crate::cases::focus_selector("#nominal-back");
    });
    let body = match &p.result {
        Err(e) => html! { <p class="error" role="alert">{ &e.message }</p> },
        Ok(page) => render_page(page, &p.today, p.on_open_incident.as_ref()),
    };
    html! {
        <section id="nominal-detail" class="nominal" {onkeydown}>
            <button id="nominal-back" class="secondary" onclick={back} title="Back to results (Esc)">{"← Back to results"}</button>
            { body }
        </section>
    }
}

fn render_page(page: &NominalPage, today: &str, on_open: Option<&Callback<String>>) -> Html {
    let n = &page.nominal;
    let dob = match n.date_of_birth.as_deref() {
        Some(d) => match age_on(d, today) {
            Some(a) => format!("{d} (age {a})"),
            None => d.to_string(),
        },
        None => "unknown".into(),
    };
    let markers = if page.warning_markers.is_empty() {
        html! { <p class="hint">{"No warning markers held in the local cache."}</p> }
    } else {
        html! {
            <ul class="marker-list">
                { for page.warning_markers.iter().map(|m| {
                    let verified = match (&m.last_verified_at, &m.verified_by) {
                        (Some(t), Some(by)) => format!("Last verified {} by {by}", when(t)),
                        (Some(t), None) => format!("Last verified {}", when(t)),
                        (None, _) => "Not verified".to_string(),
                    };
                    html! {
                        <li class={classes!("marker", format!("marker-{}", m.code))} data-code={m.code.clone()}>
                            <strong class="marker-label">{ format!("⚠ {}", m.label) }</strong>
                            <span class="marker-text">{ &m.description }</span>
                            <span class="marker-verified">{ verified }</span>
                        </li>
                    }
                }) }
            </ul>
        }
    };
    let aliases = if page.aliases.is_empty() {
        html! { <p class="hint">{"None held."}</p> }
    } else {
        html! { <ul>{ for page.aliases.iter().map(|a| html! { <li class="alias">{ a }</li> }) }</ul> }
    };
    let addresses = if page.addresses.is_empty() {
        html! { <p class="hint">{"None held."}</p> }
    } else {
        html! {
            <ul>
                { for page.addresses.iter().map(|a| {
                    let dates = match (&a.valid_from, &a.valid_to) {
                        (Some(f), Some(t)) => format!("{f} to {t}"),
                        (Some(f), None) => format!("since {f}"),
                        (None, Some(t)) => format!("until {t}"),
                        (None, None) => String::new(),
                    };
                    html! {
                        <li class={classes!("address-entry", a.current.then_some("current"))}>
                            <span class="address-text">{ format!("{} {}", a.address, a.postcode.clone().unwrap_or_default()) }</span>
                            <span class="dates">{ dates }</span>
                            if a.current { <span class="badge current">{"Current"}</span> }
                            else if a.kind != "previous" { <span class="badge">{ words(&a.kind) }</span> }
                        </li>
                    }
                }) }
            </ul>
        }
    };
    let incidents = if page.incidents.is_empty() {
        html! { <p class="hint">{"No incidents on this device link this person."}</p> }
    } else {
        html! {
            <table class="linked-incidents">
                <thead><tr><th>{"Reference"}</th><th>{"Date"}</th><th>{"Type"}</th><th>{"Status / closing code"}</th><th>{"Role"}</th></tr></thead>
                <tbody>
                { for page.incidents.iter().map(|i| {
                    let reference = match on_open {
                        Some(cb) => {
                            let (cb, id) = (cb.clone(), i.incident_id.clone());
                            html! { <button class="link open-incident" onclick={Callback::from(move |_: MouseEvent| cb.emit(id.clone()))}>{ &i.reference }</button> }
                        }
                        None => html! { { &i.reference } },
                    };
                    let roles = i.roles.iter().map(|r| words(r)).collect::<Vec<_>>().join(", ");
                    html! {
                        <tr class="linked-incident" data-id={i.incident_id.clone()}>
                            <td>{ reference }</td>
                            <td>{ i.occurred_at.get(..10).unwrap_or(&i.occurred_at) }</td>
                            <td>{ words(&i.incident_type) }</td>
                            <td>{ i.closing_code.clone().unwrap_or_else(|| words(&i.status)) }</td>
                            <td class="roles">{ roles }</td>
                        </tr>
                    }
                }) }
                </tbody>
            </table>
        }
    };
    html! {
        <>
            <h2 id="nominal-name">
                { format!("{} {}", n.surname.to_uppercase(), n.given_name) }
                if n.provisional {
                    {" "}<span id="nominal-provisional" class="badge provisional"
                        title="Created on this device; not yet confirmed by the central service">{"PROVISIONAL"}</span>
                }
                if n.source == Source::Legacy {
                    {" "}<span class="badge legacy" title="Imported from the legacy system">{"LEGACY"}</span>
                }
            </h2>
            <section id="nominal-markers" class={classes!("markers", (!page.warning_markers.is_empty()).then_some("held"))}>
                <h3>{"Warning markers"}</h3>
                { markers }
            </section>
            <dl class="facts">
                <dt>{"Date of birth"}</dt><dd>{ dob }</dd>
                <dt>{"Sex"}</dt><dd>{ n.sex.clone().unwrap_or_else(|| "unknown".into()) }</dd>
                <dt>{"Source"}</dt>
                <dd>{ if n.source == Source::Legacy { "Legacy system" } else { "Current system" } }</dd>
                <dt>{"Record id"}</dt><dd>{ &n.id }</dd>
            </dl>
            <section id="nominal-aliases" class="nominal-section"><h3>{"Aliases"}</h3>{ aliases }</section>
            <section id="nominal-addresses" class="nominal-section"><h3>{"Addresses"}</h3>{ addresses }</section>
            <section id="nominal-incidents" class="nominal-section"><h3>{"Linked incidents"}</h3>{ incidents }</section>
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::{when, words};

    #[test]
    fn times_and_words() {
        assert_eq!(when("2026-11-01T10:00:00Z"), "2026-11-01 10:00 UTC");
        assert_eq!(when("2026-11-01"), "2026-11-01");
        assert_eq!(words("reporting_person"), "Reporting person");
        assert_eq!(words(""), "");
    }
}
