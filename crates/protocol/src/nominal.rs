//! Creating a person (nominal) on the device, and the possible duplicates the central service
//! finds for it (issue 7: "nominals created offline are provisional").
//!
//! A person created on the device is **provisional** until the central service has matched it
//! against the people it holds: it is searchable at once (with a "provisional" badge) and is
//! queued as `nominal.create/1`. If the service finds likely matches it answers with a
//! [`crate::wire::PossibleDuplicate`]; the officer then links the provisional person to one of
//! them or confirms a new person (`nominal.resolve_duplicate/1`). See `docs/sync.md`.
//!
//! [`NewNominal::validate`] is the one field-level check: the UI runs it in wasm before
//! sending, the app and the CLI run it before writing, and the central service runs it again
//! on the mutation.

use serde::{Deserialize, Serialize};

use crate::search::{NominalHit, Source};
use crate::wire::{DuplicateCandidate, WireNominal};

/// Mutation names (versioned; a name is never reused for another shape).
pub const NOMINAL_CREATE: &str = "nominal.create/1";
pub const NOMINAL_RESOLVE_DUPLICATE: &str = "nominal.resolve_duplicate/1";

/// Longest name part, alias or address accepted.
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_ADDRESS_CHARS: usize = 200;
pub const MAX_POSTCODE_CHARS: usize = 10;
pub const MAX_ALIASES: usize = 20;

/// A person as typed into the "New person" form or `bluelamp-cli nominal create`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewNominal {
    pub given_name: String,
    pub surname: String,
    /// `YYYY-MM-DD` or `YYYYMMDD`; empty or `None` when unknown.
    pub date_of_birth: Option<String>,
    /// `M` or `F`; empty or `None` when unknown.
    pub sex: Option<String>,
    /// Each as "given surname".
    pub aliases: Vec<String>,
    pub address: Option<String>,
    pub postcode: Option<String>,
}

/// A problem with one field, shown next to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldIssue {
    /// `given_name`, `surname`, `date_of_birth`, `sex`, `aliases`, `address` or `postcode`.
    pub field: String,
    pub message: String,
}

fn issue(field: &str, message: impl Into<String>) -> FieldIssue {
    FieldIssue { field: field.into(), message: message.into() }
}

fn blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn check_name(out: &mut Vec<FieldIssue>, field: &str, label: &str, v: &str, required: bool) {
    let v = v.trim();
    if v.is_empty() {
        if required {
            out.push(issue(field, format!("Enter the {label}.")));
        }
        return;
    }
    if v.chars().count() > MAX_NAME_CHARS {
        out.push(issue(field, format!("The {label} is too long (more than {MAX_NAME_CHARS} characters).")));
    } else if !v.chars().any(char::is_alphabetic) {
        out.push(issue(field, format!("The {label} must contain letters.")));
    } else if !v.chars().all(|c| c.is_alphabetic() || c == ' ' || "-'\u{2019}.".contains(c)) {
        out.push(issue(
            field,
            format!("The {label} may contain letters, spaces, hyphens, apostrophes and full stops only."),
        ));
    }
}

impl NewNominal {
    /// [`NewNominal::validate`], and a date of birth after `today` (`YYYY-MM-DD`): search
    /// refuses such a date, so the person could never be found by it.
    pub fn validate_on(&self, today: &str) -> Vec<FieldIssue> {
        let mut out = self.validate();
        if let Some(d) = blank(&self.date_of_birth).and_then(|d| crate::dates::parse_typed_dob(d).ok()) {
            if d.as_str() > today {
                out.push(issue("date_of_birth", format!("The date of birth {d} is in the future.")));
            }
        }
        out
    }

    /// Every problem, field by field (empty when the person can be saved).
    pub fn validate(&self) -> Vec<FieldIssue> {
        let mut out = Vec::new();
        check_name(&mut out, "given_name", "given name", &self.given_name, true);
        check_name(&mut out, "surname", "surname", &self.surname, true);
        if let Some(d) = blank(&self.date_of_birth) {
            if let Err(e) = crate::dates::parse_typed_dob(d) {
                out.push(issue("date_of_birth", e));
            }
        }
        if let Some(s) = blank(&self.sex) {
            if !matches!(s, "M" | "F" | "m" | "f") {
                out.push(issue("sex", "Sex must be M, F or left blank."));
            }
        }
        let aliases: Vec<&str> = self.aliases.iter().map(|a| a.trim()).filter(|a| !a.is_empty()).collect();
        if aliases.len() > MAX_ALIASES {
            out.push(issue("aliases", format!("At most {MAX_ALIASES} aliases.")));
        }
        for a in aliases {
            let before = out.len();
            check_name(&mut out, "aliases", "alias", a, false);
            if out.len() > before {
                if let Some(last) = out.last_mut() {
                    last.message = format!("Alias '{}': {}", a.chars().take(40).collect::<String>(), last.message);
                }
                break;
            }
        }
        if let Some(a) = blank(&self.address) {
            if a.chars().count() > MAX_ADDRESS_CHARS {
                out.push(issue(
                    "address",
                    format!("The address is too long (more than {MAX_ADDRESS_CHARS} characters)."),
                ));
            } else if a.chars().any(char::is_control) {
                out.push(issue("address", "The address contains characters that cannot be stored."));
            }
        }
        if let Some(p) = blank(&self.postcode) {
            if p.chars().count() > MAX_POSTCODE_CHARS || !p.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ') {
                out.push(issue("postcode", "The postcode may contain letters, digits and a space (e.g. AB1 2CD)."));
            }
        }
        out
    }

    /// The record as stored and sent: trimmed, blanks as `None`, the DOB as `YYYY-MM-DD`, sex
    /// upper-case, postcode upper-case. Call after [`NewNominal::validate`] found nothing.
    pub fn to_wire(&self, id: &str) -> WireNominal {
        let opt = |s: &Option<String>| blank(s).map(str::to_string);
        WireNominal {
            id: id.to_string(),
            given_name: self.given_name.trim().to_string(),
            surname: self.surname.trim().to_string(),
            date_of_birth: blank(&self.date_of_birth).and_then(|d| crate::dates::parse_typed_dob(d).ok()),
            sex: blank(&self.sex).map(str::to_ascii_uppercase),
            aliases: self.aliases.iter().map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect(),
            address: opt(&self.address),
            postcode: blank(&self.postcode).map(str::to_ascii_uppercase),
            source: Source::Current,
            phones: Vec::new(),
        }
    }

    /// The wire record back as typed (the server validates a pushed `nominal.create/1` with
    /// the same [`NewNominal::validate`]).
    pub fn from_wire(w: &WireNominal) -> NewNominal {
        NewNominal {
            given_name: w.given_name.clone(),
            surname: w.surname.clone(),
            date_of_birth: w.date_of_birth.clone(),
            sex: w.sex.clone(),
            aliases: w.aliases.clone(),
            address: w.address.clone(),
            postcode: w.postcode.clone(),
        }
    }

    /// The search that finds the people this one may be (name, exact DOB, sex).
    pub fn likely_matches_query(&self) -> crate::SearchRequest {
        crate::SearchRequest {
            given: Some(self.given_name.trim().to_string()),
            surname: Some(self.surname.trim().to_string()),
            dob: blank(&self.date_of_birth).and_then(|d| crate::dates::parse_typed_dob(d).ok()),
            sex: blank(&self.sex).map(str::to_ascii_uppercase),
            limit: Some(MAX_DUPLICATE_CANDIDATES as u32),
            ..Default::default()
        }
    }
}

/// At most this many possible duplicates are shown (locally and by the server).
pub const MAX_DUPLICATE_CANDIDATES: usize = 5;

/// `create_nominal`: saves a provisional person on the device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateNominalRequest {
    pub nominal: NewNominal,
}

// A one-off IPC answer: the size difference between its variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum CreateNominalOutcome {
    /// Saved (provisional) and queued for the central service.
    Created { nominal: NominalHit },
    /// Nothing saved: field-level problems.
    Rejected { issues: Vec<FieldIssue> },
}

/// `likely_matches`: the people on the device this new person may be, before saving (same
/// matching and threshold as the central service). Logged as a search.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LikelyMatchesRequest {
    pub nominal: NewNominal,
}

/// `list_duplicates`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListDuplicatesRequest {}

/// One possible duplicate waiting for the officer: the provisional person and the people the
/// central service thinks it may be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateInfo {
    /// Id of this possible duplicate (to resolve it).
    pub id: String,
    /// The provisional person as held on the device (`None` if it is no longer there).
    pub provisional: Option<NominalHit>,
    pub provisional_id: String,
    pub candidates: Vec<DuplicateCandidate>,
    /// When the answer arrived (UTC).
    pub created_at: String,
}

/// The officer's choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum DuplicateDecision {
    /// "This is the same person": the provisional record is merged into `nominal_id` (its name
    /// becomes an alias there) and removed.
    Link { nominal_id: String },
    /// "Create new person": the provisional record becomes a normal record.
    New,
}

/// `resolve_duplicate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolveDuplicateRequest {
    pub id: String,
    pub decision: DuplicateDecision,
}

impl ResolveDuplicateRequest {
    pub fn validate(&self) -> Result<(), crate::ApiError> {
        if self.id.trim().is_empty() || self.id.len() > 200 {
            return Err(crate::ApiError::invalid("Choose a possible duplicate."));
        }
        if let DuplicateDecision::Link { nominal_id } = &self.decision {
            if nominal_id.trim().is_empty() || nominal_id.len() > 200 {
                return Err(crate::ApiError::invalid("Choose the person to link to."));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person() -> NewNominal {
        NewNominal { given_name: "Siobhán".into(), surname: "O'Sullivan".into(), ..Default::default() }
    }

    #[test]
    fn a_plain_person_is_fine() {
        assert!(person().validate().is_empty());
    }

    #[test]
    fn each_field_is_checked_and_named() {
        let n = NewNominal {
            given_name: " ".into(),
            surname: "Sm1th".into(),
            date_of_birth: Some("31/02/1980".into()),
            sex: Some("X".into()),
            aliases: vec!["Bill *".into()],
            address: Some("a".repeat(MAX_ADDRESS_CHARS + 1)),
            postcode: Some("AB1 2CD!".into()),
        };
        let fields: Vec<String> = n.validate().into_iter().map(|i| i.field).collect();
        assert_eq!(fields, ["given_name", "surname", "date_of_birth", "sex", "aliases", "address", "postcode"]);
    }

    #[test]
    fn names_allow_only_what_the_message_says() {
        for bad in ["'; DROP TABLE nominals;--", "Smith, John", "Ann (Nan)", "Lee & Co"] {
            let n = NewNominal { given_name: "Ann".into(), surname: bad.into(), ..Default::default() };
            assert_eq!(n.validate().len(), 1, "{bad:?} must be refused");
        }
        for ok in ["Ó Súilleabháin", "O\u{2019}Brien", "St. John-Smythe", "Nguyễn"] {
            let n = NewNominal { given_name: "Ann".into(), surname: ok.into(), ..Default::default() };
            assert!(n.validate().is_empty(), "{ok:?} must be accepted");
        }
    }

    #[test]
    fn to_wire_normalises() {
        let n = NewNominal {
            date_of_birth: Some("19800312".into()),
            sex: Some("f".into()),
            aliases: vec![" ".into(), "Shiv Sullivan ".into()],
            postcode: Some("ab1 2cd".into()),
            address: Some("  ".into()),
            ..person()
        };
        assert!(n.validate().is_empty());
        let w = n.to_wire("x");
        assert_eq!(w.date_of_birth.as_deref(), Some("1980-03-12"));
        assert_eq!(w.sex.as_deref(), Some("F"));
        assert_eq!(w.aliases, vec!["Shiv Sullivan".to_string()]);
        assert_eq!(w.postcode.as_deref(), Some("AB1 2CD"));
        assert_eq!(w.address, None);
        assert!(NewNominal::from_wire(&w).validate().is_empty());
    }

    #[test]
    fn overlong_and_odd_input_never_panics() {
        let n = NewNominal { given_name: "é".repeat(5000), surname: "\u{0}".into(), ..Default::default() };
        assert_eq!(n.validate().len(), 2);
    }
}

// ---- The nominal record page ----------------------------------------------------------------
// The nominal record page (what `view_nominal` returns after the purpose prompt): warning
// markers first, then aliases, address history and linked incidents. Also the labels of the
// warning-marker codes, shared by the result rows and the record page.

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

/// A warning marker as the central service holds and serves it (inside a pulled nominal's
/// `markers`), and as the CSV imports read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireMarker {
    pub code: String,
    #[serde(default)]
    pub description: String,
    /// RFC 3339 UTC.
    #[serde(default)]
    pub last_verified_at: Option<String>,
    #[serde(default)]
    pub verified_by: Option<String>,
}

/// Most markers one person's import row may carry.
pub const MAX_IMPORT_MARKERS: usize = 20;

/// The imports' optional `markers` column: `;`-separated warning markers, each `code` or
/// `code@YYYY-MM-DD` (the date it was last verified), e.g. `violence@2026-10-01;drugs`. An empty
/// cell is no markers (with the column present, it clears the person's markers). A date after
/// `today` (`YYYY-MM-DD`) is refused: the marker would always look freshly verified. Every
/// message starts with "markers", so a row's reason does not read as about its date of birth.
pub fn parse_markers(cell: &str, today: &str) -> Result<Vec<WireMarker>, String> {
    if cell.chars().any(|c| c.is_control()) {
        return Err("markers contain control characters".into());
    }
    let mut out = Vec::new();
    for item in cell.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let (code, verified) = match item.split_once('@') {
            Some((c, d)) => {
                let shown = || crate::dates::shown(c.trim(), 20);
                let date = crate::dates::parse_dob(d)
                    .map_err(|e| format!("markers: marker '{}': its last-verified date {e}", shown()))?;
                if date.as_str() > today {
                    return Err(format!("markers: marker '{}' last verified {date}, which is in the future", shown()));
                }
                (c.trim(), Some(format!("{date}T00:00:00Z")))
            }
            None => (item, None),
        };
        if code.is_empty() || code.chars().count() > 60 || !code.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Err(format!(
                "markers: '{}' is not a marker code (letters, digits, _)",
                code.chars().take(20).collect::<String>()
            ));
        }
        out.push(WireMarker {
            code: code.to_ascii_lowercase(),
            description: marker_label(code),
            last_verified_at: verified,
            verified_by: None,
        });
    }
    if out.len() > MAX_IMPORT_MARKERS {
        return Err(format!("markers: more than {MAX_IMPORT_MARKERS}"));
    }
    Ok(out)
}

/// Most phone numbers one person's import row (or pulled record) may carry.
pub const MAX_IMPORT_PHONES: usize = 20;
/// Longest phone number held (as the device's `nominal_phones` has always taken).
pub const MAX_PHONE_CHARS: usize = 40;

/// Why `number` (already trimmed) cannot be held as a phone number, if it cannot: empty, longer
/// than [`MAX_PHONE_CHARS`], holding control or bidirectional control characters, or without a
/// digit. Numbers are held as typed: the safe-number check compares them in any format
/// (`bluelamp_victims::phone::same_phone`).
pub fn phone_problem(number: &str) -> Option<String> {
    let shown = || crate::dates::shown(number, 20);
    if number.is_empty() {
        Some("phones: a number is empty".into())
    } else if number.chars().count() > MAX_PHONE_CHARS {
        Some(format!("phones: '{}' is longer than {MAX_PHONE_CHARS} characters", shown()))
    } else if number.chars().any(|c| c.is_control() || crate::dates::is_bidi_control(c)) {
        Some(format!("phones: '{}' contains control characters", shown()))
    } else if !number.chars().any(|c| c.is_ascii_digit()) {
        Some(format!("phones: '{}' has no digits", shown()))
    } else {
        None
    }
}

/// The imports' optional `phones` column: `;`-separated numbers held for the person, each kept
/// as typed (trimmed), e.g. `0161 496 0000; +44 7700 900123`. Empty items are skipped and a
/// number given twice is kept once; an empty cell is no numbers (with the column present, it
/// clears the person's numbers). A number [`phone_problem`] refuses, or more than
/// [`MAX_IMPORT_PHONES`], refuses the cell. Every message starts with "phones".
pub fn parse_phones(cell: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for item in cell.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        if let Some(problem) = phone_problem(item) {
            return Err(problem);
        }
        if !out.iter().any(|n| n == item) {
            out.push(item.to_string());
        }
    }
    if out.len() > MAX_IMPORT_PHONES {
        return Err(format!("phones: more than {MAX_IMPORT_PHONES} numbers"));
    }
    Ok(out)
}

/// Numbers received from elsewhere (a pulled record): trimmed, those [`phone_problem`] refuses
/// dropped, each kept once, at most [`MAX_IMPORT_PHONES`]. Never fails: one bad number must not
/// stop a whole pull page.
pub fn clean_phones(numbers: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in numbers {
        let n = n.trim();
        if phone_problem(n).is_none() && !out.iter().any(|o| o == n) && out.len() < MAX_IMPORT_PHONES {
            out.push(n.to_string());
        }
    }
    out
}

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
mod page_tests {
    use super::*;

    #[test]
    fn marker_cells_name_the_markers_and_refuse_a_future_verification() {
        let today = "2026-12-07";
        let m = parse_markers("violence@2026-12-07; drugs", today).unwrap();
        assert_eq!(m[0].last_verified_at.as_deref(), Some("2026-12-07T00:00:00Z"));
        let e = parse_markers("violence@2023-02-30", today).unwrap_err();
        assert_eq!(e, "markers: marker 'violence': its last-verified date '2023-02-30' is not a real date");
        let e = parse_markers("violence@2099-01-01", today).unwrap_err();
        assert!(e.starts_with("markers: marker 'violence' last verified 2099-01-01, which is in the future"), "{e}");
        assert!(parse_markers("violence@", today).unwrap_err().starts_with("markers: marker 'violence'"));
        assert!(parse_markers("not a code", today).unwrap_err().starts_with("markers: "));
    }

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
            provisional: false,
            weak_name: false,
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

    #[test]
    fn phones_cells() {
        assert_eq!(parse_phones(""), Ok(vec![]));
        assert_eq!(parse_phones(";;"), Ok(vec![]));
        assert_eq!(
            parse_phones("0161 496 0000; +44 7700 900123;0161 496 0000"),
            Ok(vec!["0161 496 0000".to_string(), "+44 7700 900123".to_string()])
        );
        let long = "0".repeat(10_000);
        assert!(parse_phones(&long).unwrap_err().contains("longer than 40 characters"));
        assert!(parse_phones(&long).unwrap_err().chars().count() < 100, "the message shows a few characters only");
        assert!(parse_phones("0161\u{0}496").unwrap_err().contains("control characters"));
        assert!(parse_phones("07700 900123\u{202E}").unwrap_err().contains("control characters"));
        assert!(parse_phones("😀").unwrap_err().contains("has no digits"));
        assert!(parse_phones("Siobhán").unwrap_err().contains("'Siobhán' has no digits"));
        assert!(parse_phones("'; DROP TABLE nominals; --").unwrap_err().starts_with("phones: "));
        let many = (0..21).map(|i| format!("0161 496 {i:04}")).collect::<Vec<_>>().join(";");
        assert!(parse_phones(&many).unwrap_err().contains("more than 20"));
        assert_eq!(
            clean_phones(vec![" 07700 900123 ".into(), "".into(), "x".into(), "07700 900123".into(), long]),
            vec!["07700 900123".to_string()]
        );
    }
}
