//! Nominal (person) search: the request the UI and the CLI send, and the hits they get back.

use serde::{Deserialize, Serialize};

use crate::ApiError;

/// Longest text accepted in any one search field. Longer input is refused with a clear message
/// (the UI keeps what was typed).
pub const MAX_FIELD_CHARS: usize = 200;
/// Largest result page.
pub const MAX_LIMIT: u32 = 500;
pub const DEFAULT_LIMIT: u32 = 50;
/// The highest age a search takes (and the top of an open age range).
pub const MAX_AGE: u32 = 130;

/// A search for a person. Every field is optional; at least one name field is required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchRequest {
    /// Free text such as "bill smyth" (order-free).
    pub name: Option<String>,
    pub given: Option<String>,
    pub surname: Option<String>,
    /// Exact date of birth, `YYYY-MM-DD` or `YYYYMMDD` (day/month transposition still matches).
    pub dob: Option<String>,
    /// Year of birth only.
    pub dob_year: Option<u32>,
    /// With `dob_year` (or `dob`): also accept this many years either side.
    pub years_either_side: Option<u32>,
    /// Age range at today's date, inclusive.
    pub age_min: Option<u32>,
    pub age_max: Option<u32>,
    /// `M` or `F`. Records with unknown sex are never excluded.
    pub sex: Option<String>,
    pub limit: Option<u32>,
}

impl SearchRequest {
    pub fn free_text(name: &str) -> Self {
        SearchRequest { name: Some(name.to_string()), ..Default::default() }
    }

    /// Checks the request and returns a message the officer can act on.
    pub fn validate(&self) -> Result<(), ApiError> {
        let fields = [("name", &self.name), ("given name", &self.given), ("surname", &self.surname)];
        let (mut any, mut digits) = (false, false);
        for (label, value) in fields {
            if let Some(v) = value {
                if v.chars().count() > MAX_FIELD_CHARS {
                    return Err(ApiError::invalid(format!(
                        "The {label} is too long (more than {MAX_FIELD_CHARS} characters)."
                    )));
                }
                // Free text drops words without letters ("1984") and ordinals ("3rd") before it
                // is read as a name; a digit inside a word is a keying slip ("arth8r") and counts
                // as a name. The given-name and surname fields are taken as they are.
                let ordinal = |w: &str| {
                    let w = w.trim_end_matches('.').to_ascii_lowercase();
                    let digits = w.bytes().take_while(u8::is_ascii_digit).count();
                    digits > 0 && matches!(&w[digits..], "st" | "nd" | "rd" | "th")
                };
                let free_text = label == "name";
                let name_word = |w: &str| w.chars().any(char::is_alphabetic) && !(free_text && ordinal(w));
                if v.split_whitespace().any(name_word) {
                    any = true;
                } else if v.chars().any(|c| c.is_ascii_digit()) {
                    digits = true;
                }
            }
        }
        if !any && digits {
            return Err(ApiError::invalid(
                "Type at least part of a name. Give a date of birth or an age separately, not in the name.",
            ));
        }
        if !any {
            return Err(ApiError::invalid("Type at least part of a name."));
        }
        // Initials alone ("a", "J S", "O'") fetch nobody: say so rather than list nothing. A
        // letter outside ASCII may stand for more than one ("李" is Li), and a wildcard ("S*")
        // is a prefix search.
        let name_word = |w: &str| {
            w.chars().filter(|c| c.is_alphabetic()).count() >= 2
                || w.chars().any(|c| c.is_alphabetic() && !c.is_ascii())
        };
        let searchable = fields.iter().filter_map(|(_, v)| v.as_deref()).any(|v| {
            v.split_whitespace().any(|w| w.contains(['*', '%']) && w.chars().any(char::is_alphabetic))
                || v.split(|c: char| !c.is_alphabetic()).any(name_word)
        });
        if fields
            .iter()
            .filter_map(|(_, v)| v.as_deref())
            .any(|v| v.split_whitespace().any(|w| w.starts_with(['*', '%'])))
        {
            return Err(ApiError::invalid(
                "A wildcard goes at the end of a name (SMI* finds Smith): a search cannot start with one.",
            ));
        }
        // "Sm*th", "a*b*c*": a wildcard stands for the rest of a name, not letters inside it
        // (such a search found nobody, and said nothing).
        if fields.iter().filter_map(|(_, v)| v.as_deref()).any(|v| {
            v.split_whitespace()
                .any(|w| w.find(['*', '%']).is_some_and(|at| w[at..].chars().any(char::is_alphanumeric)))
        }) {
            return Err(ApiError::invalid(
                "A wildcard goes at the end of a name (SMI* finds Smith): it stands for the rest of the name, \
                 not for letters inside it.",
            ));
        }
        // With a full date of birth, initials do search: the date's own key fetches candidates.
        if !searchable && self.dob.is_none() {
            return Err(ApiError::invalid(
                "Type at least two letters of a name, or give the full date of birth: an initial alone \
                 finds nobody (J Smith works).",
            ));
        }
        let dob_forms = [self.dob.is_some(), self.dob_year.is_some(), self.age_min.is_some() || self.age_max.is_some()];
        if dob_forms.iter().filter(|x| **x).count() > 1 {
            return Err(ApiError::invalid("Give a date of birth, a year of birth or an age range, not more than one."));
        }
        if let Some(dob) = &self.dob {
            crate::dates::parse_dob(dob).map_err(ApiError::invalid)?;
        }
        if let Some(y) = self.dob_year {
            if !(1850..=2100).contains(&y) {
                return Err(ApiError::invalid("The year of birth must be between 1850 and 2100."));
            }
        }
        if self.years_either_side.is_some_and(|n| n > 50) {
            return Err(ApiError::invalid("Years either side must be 50 or fewer."));
        }
        if let (Some(a), Some(b)) = (self.age_min, self.age_max) {
            if a > b {
                return Err(ApiError::invalid("The lowest age must not be above the highest."));
            }
        }
        if [self.age_min, self.age_max].into_iter().flatten().any(|a| a > MAX_AGE) {
            return Err(ApiError::invalid(format!("Ages must be {MAX_AGE} or under.")));
        }
        if let Some(sex) = &self.sex {
            if !matches!(sex.as_str(), "M" | "F" | "m" | "f") {
                return Err(ApiError::invalid("Sex must be M or F."));
            }
        }
        if let Some(limit) = self.limit {
            if limit == 0 || limit > MAX_LIMIT {
                return Err(ApiError::invalid(format!("The limit must be between 1 and {MAX_LIMIT}.")));
            }
        }
        Ok(())
    }

    pub fn effective_limit(&self) -> u32 {
        self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }
}

/// Where a nominal record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Current,
    Legacy,
}

/// One search result. The CLI's `search --json` prints an array of these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NominalHit {
    pub id: String,
    pub source: Source,
    pub given_name: String,
    pub surname: String,
    /// `YYYY-MM-DD`, or `null` when unknown.
    pub date_of_birth: Option<String>,
    pub sex: Option<String>,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub score: f64,
    /// Why this record matched, in words an officer understands.
    pub reasons: Vec<String>,
    /// Created on this device and not yet confirmed by the central service (see
    /// `nominal.rs`).
    #[serde(default)]
    pub provisional: bool,
    /// The codes of the person's warning markers, most serious first (labels:
    /// [`crate::nominal::marker_label`]).
    #[serde(default)]
    pub markers: Vec<String>,
    /// Nothing in the name outweighs what disagrees in it, whatever the date of birth adds:
    /// listed with the weak matches ([`crate::widen::is_weak_match`]).
    #[serde(default)]
    pub weak_name: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_purpose_lists_the_purposes() {
        let r = ViewNominalRequest { id: "N1".into(), purpose: "Investigation".into() };
        let e = r.validate().unwrap_err();
        assert!(e.message.contains("(investigation, safeguarding, risk_assessment"), "{}", e.message);
        assert!(ViewNominalRequest { purpose: "investigation".into(), ..r }.validate().is_ok());
    }

    #[test]
    fn empty_and_punctuation_only_are_refused() {
        assert!(SearchRequest::default().validate().is_err());
        assert!(SearchRequest::free_text("  -'  ").validate().is_err());
        assert!(SearchRequest::free_text("Siobhán").validate().is_ok());
        assert!(SearchRequest::free_text("李").validate().is_ok());
        // Initials alone fetch nobody: a message, not an empty list.
        for text in ["a", "J S", "O'", "j."] {
            let err = SearchRequest::free_text(text).validate().unwrap_err();
            assert!(err.message.contains("two letters"), "{text}: {}", err.message);
        }
        assert!(SearchRequest::free_text("J Smith").validate().is_ok());
        let mut with_dob = SearchRequest::free_text("J S");
        with_dob.dob = Some("1984-03-12".into());
        assert!(with_dob.validate().is_ok(), "initials with a full DOB search by the DOB");
        assert!(SearchRequest::free_text("S*").validate().is_ok(), "a wildcard is a prefix search");
        assert!(SearchRequest::free_text("Æ").validate().is_ok(), "folds to two letters");
        let err = SearchRequest { surname: Some("*santos".into()), ..SearchRequest::default() }.validate().unwrap_err();
        assert!(err.message.contains("at the end"), "{}", err.message);
        // A wildcard on its own is no prefix: a message, not an empty list.
        let alone = SearchRequest { surname: Some("%".into()), ..SearchRequest::default() };
        assert!(alone.validate().unwrap_err().message.contains("part of a name"));
        for (given, surname) in [(Some("J"), "*"), (Some("*"), "Smith")] {
            let r = SearchRequest {
                given: given.map(Into::into),
                surname: Some(surname.into()),
                ..SearchRequest::default()
            };
            let err = r.validate().unwrap_err();
            assert!(err.message.contains("wildcard"), "{given:?} {surname}: {}", err.message);
        }
        assert!(SearchRequest::free_text("J *").validate().unwrap_err().message.contains("wildcard"));
        // Inside a name: a message, not an empty list.
        for text in ["a*b*c*", "Sm*th", "jo%n smith", "smith S*1"] {
            let err = SearchRequest::free_text(text).validate().unwrap_err();
            assert!(err.message.contains("not for letters inside it"), "{text}: {}", err.message);
        }
        assert!(SearchRequest::free_text("smi* j").validate().is_ok());
        assert!(SearchRequest::free_text("O'Sul*").validate().is_ok());
        // A date typed in the name box is not a name: say where it goes.
        let err = SearchRequest::free_text("12/03/1984").validate().unwrap_err();
        assert!(err.message.contains("separately"), "{}", err.message);
        assert!(SearchRequest::free_text("john 1984").validate().is_ok());
        assert!(SearchRequest::free_text("3rd").validate().unwrap_err().message.contains("separately"));
        assert!(SearchRequest::free_text("abb4yson").validate().is_ok(), "a keying slip is still a name");
        let field = SearchRequest { given: Some("1st".into()), ..SearchRequest::default() };
        assert!(field.validate().is_ok(), "a field is searched as given");
    }

    #[test]
    fn overlong_is_refused_with_a_message() {
        let err = SearchRequest::free_text(&"a".repeat(MAX_FIELD_CHARS + 1)).validate().unwrap_err();
        assert_eq!(err.code, crate::ErrorCode::InvalidInput);
        assert!(err.message.contains("too long"));
    }

    #[test]
    fn limit_bounds() {
        let mut r = SearchRequest::free_text("smith");
        r.limit = Some(0);
        assert!(r.validate().is_err());
        r.limit = Some(MAX_LIMIT + 1);
        assert!(r.validate().is_err());
        r.limit = Some(10);
        assert!(r.validate().is_ok());
    }

    #[test]
    fn dob_forms_are_exclusive_and_checked() {
        let mut r = SearchRequest::free_text("smith");
        r.dob = Some("1984-02-30".into());
        assert!(r.validate().unwrap_err().message.contains("not a real date"));
        r.dob = Some("1984-03-12".into());
        assert!(r.validate().is_ok());
        r.dob_year = Some(1984);
        assert!(r.validate().is_err());
        let mut r = SearchRequest::free_text("smith");
        r.age_min = Some(40);
        r.age_max = Some(30);
        assert!(r.validate().is_err());
        r.age_max = Some(200);
        assert!(r.validate().unwrap_err().message.contains("130 or under"), "the highest age is checked too");
        r.age_min = None;
        assert!(r.validate().is_err());
        r.age_min = Some(40);
        r.age_max = Some(45);
        r.sex = Some("X".into());
        assert!(r.validate().is_err());
        r.sex = Some("F".into());
        assert!(r.validate().is_ok());
    }

    #[test]
    fn error_codes_serialise_stably() {
        let e = ApiError::new(crate::ErrorCode::WrongPassphrase, "x");
        assert_eq!(serde_json::to_string(&e).unwrap(), r#"{"code":"wrong_passphrase","message":"x"}"#);
    }
}

/// `view_nominal`: open one record. The purpose is required (DPA 2018 s.62) and logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewNominalRequest {
    pub id: String,
    pub purpose: String,
}

impl ViewNominalRequest {
    pub fn validate(&self) -> Result<(), ApiError> {
        if self.id.trim().is_empty() || self.id.chars().count() > MAX_FIELD_CHARS {
            return Err(ApiError::invalid("No such record."));
        }
        if !crate::session::is_purpose(&self.purpose) {
            return Err(ApiError::invalid(format!(
                "Choose why you are opening this record ({}).",
                crate::session::PURPOSES.iter().map(|(code, _)| *code).collect::<Vec<_>>().join(", ")
            )));
        }
        Ok(())
    }
}
