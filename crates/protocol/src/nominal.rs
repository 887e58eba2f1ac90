//! The nominal record page (what `view_nominal` returns after the purpose prompt): warning
//! markers first, then aliases, address history and linked incidents. Also the labels of the
//! warning-marker codes, shared by the result rows and the record page.

use serde::{Deserialize, Serialize};

use crate::NominalHit;

/// Warning-marker codes Bluelamp knows, most serious first: `(code, short label)`. Codes not in
/// this list are still shown (after these), labelled from the code.
pub const MARKERS: &[(&str, &str)] = &[
    ("violence", "Violence"),
    ("weapons", "Weapons"),
    ("firearms", "Firearms"),
    ("self_harm", "Self-harm"),
    ("suicidal", "Suicidal"),
    ("domestic_abuse_perpetrator", "DA perpetrator"),
    ("domestic_abuse_victim", "DA victim"),
    ("missing_risk", "Missing-person risk"),
    ("escape_risk", "Escape risk"),
    ("drugs", "Drugs"),
    ("mental_health", "Mental health"),
    ("contagion", "Contagion"),
];

/// The short label of a marker code: "⚠ Violence" is `format!("⚠ {}", marker_label("violence"))`.
pub fn marker_label(code: &str) -> String {
    let lower = code.trim().to_ascii_lowercase();
    if let Some((_, label)) = MARKERS.iter().find(|(c, _)| *c == lower) {
        return (*label).to_string();
    }
    let words = lower.replace(['_', '-'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "Marker".to_string(),
    }
}

/// Where a marker code sorts: known codes by seriousness, then the rest.
pub fn marker_rank(code: &str) -> usize {
    let lower = code.trim().to_ascii_lowercase();
    MARKERS.iter().position(|(c, _)| *c == lower).unwrap_or(MARKERS.len())
}

/// Sorts marker codes most serious first (then by code), in place.
pub fn sort_markers<T>(items: &mut [T], code: impl Fn(&T) -> &str) {
    items.sort_by(|a, b| {
        let (a, b) = (code(a), code(b));
        marker_rank(a).cmp(&marker_rank(b)).then_with(|| a.cmp(b))
    });
}

/// One warning marker held for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningMarker {
    /// e.g. `violence`, `weapons`, `self_harm`, `domestic_abuse_perpetrator`.
    pub code: String,
    /// Short label for the code (see [`marker_label`]).
    pub label: String,
    /// The marker's text as recorded, e.g. "Assaulted officers during arrest, 2023".
    pub description: String,
    /// UTC time it was last verified (`YYYY-MM-DDTHH:MM:SSZ`), if known.
    pub last_verified_at: Option<String>,
    /// Who verified it, if held.
    pub verified_by: Option<String>,
}

/// One address in a person's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressEntry {
    pub address: String,
    pub postcode: Option<String>,
    /// `home`, `previous`, `bail`, `work`…
    pub kind: String,
    /// `YYYY-MM-DD`, if held.
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    /// The address the record holds now (listed first).
    pub current: bool,
}

/// An incident this device holds that links the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedIncident {
    pub incident_id: String,
    pub reference: String,
    pub incident_type: String,
    /// UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub occurred_at: String,
    pub closing_code: Option<String>,
    /// `open` or `finalised`.
    pub status: String,
    /// The person's roles on it: `victim`, `suspect`, `witness`, `child`…
    pub roles: Vec<String>,
}

/// `view_nominal`'s answer: the record page. The person's fields are flattened, so the JSON is
/// a [`NominalHit`] with four more fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NominalPage {
    #[serde(flatten)]
    pub nominal: NominalHit,
    /// Most serious first (the hit's `markers` holds their codes).
    pub warning_markers: Vec<WarningMarker>,
    /// Each as "given surname".
    pub aliases: Vec<String>,
    /// The current address first, then the others newest first.
    pub addresses: Vec<AddressEntry>,
    /// Newest first.
    pub incidents: Vec<LinkedIncident>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_order() {
        assert_eq!(marker_label("violence"), "Violence");
        assert_eq!(marker_label("WEAPONS"), "Weapons");
        assert_eq!(marker_label("learning_disability"), "Learning disability");
        assert_eq!(marker_label("  "), "Marker");
        let mut codes = vec!["drugs", "zebra", "violence", "self_harm"];
        sort_markers(&mut codes, |c| c);
        assert_eq!(codes, ["violence", "self_harm", "drugs", "zebra"]);
    }

    #[test]
    fn page_json_is_a_hit_with_more_fields() {
        let hit = NominalHit {
            id: "N1".into(),
            source: crate::Source::Current,
            given_name: "Ann".into(),
            surname: "Lee".into(),
            date_of_birth: None,
            sex: None,
            address: None,
            postcode: None,
            score: 1.0,
            reasons: vec![],
            markers: vec!["violence".into()],
        };
        let page = NominalPage {
            nominal: hit.clone(),
            warning_markers: vec![],
            aliases: vec!["Annie Lee".into()],
            addresses: vec![],
            incidents: vec![],
        };
        let v = serde_json::to_value(&page).unwrap();
        assert_eq!(v["id"], "N1");
        assert_eq!(v["aliases"][0], "Annie Lee");
        let back: NominalHit = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(back, hit);
        let page2: NominalPage = serde_json::from_value(v).unwrap();
        assert_eq!(page2, page);
    }
}
