//! `NFA-DUP` ("Duplicate or no incident found") needs its reason (pure): the one closing code
//! the gate lets through with nothing, so choosing it must say why. Either the incident is a
//! **duplicate of** another (which must exist, be another incident, not be closed `NFA-DUP`
//! itself and, when the incident closed is domestic abuse or a concern for a child, be of the
//! same kind, so that the original still carries the gate), or **no incident found** with the
//! officer's account in words. The store, the central service and the frontend run these checks.

use serde::{Deserialize, Serialize};

use crate::answers::says_nothing;
use crate::gates::classification_code;

/// The closing code that needs a reason.
pub const NFA_DUP: &str = "NFA-DUP";
/// Longest account of "no incident found" (characters).
pub const MAX_NO_INCIDENT_CHARS: usize = 2000;

/// Whether `code` is `NFA-DUP` (any case or spacing).
pub fn is_nfa_dup(code: &str) -> bool {
    code.trim().eq_ignore_ascii_case(NFA_DUP)
}

/// Why an incident is closed `NFA-DUP`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NfaDupReason {
    /// A duplicate of this incident (its id).
    DuplicateOf(String),
    /// No incident found: the officer's account.
    NoIncidentFound(String),
}

impl NfaDupReason {
    /// From the two optional payload fields (`duplicate_of`, `no_incident_found`); blank ones
    /// are absent. Both given is an error (one reason).
    pub fn from_fields(
        duplicate_of: Option<&str>,
        no_incident_found: Option<&str>,
    ) -> Result<Option<Self>, NfaDupRefusal> {
        let d = duplicate_of.map(str::trim).filter(|s| !s.is_empty());
        let n = no_incident_found.map(str::trim).filter(|s| !s.is_empty());
        match (d, n) {
            (Some(_), Some(_)) => Err(NfaDupRefusal::Both),
            (Some(d), None) => Ok(Some(NfaDupReason::DuplicateOf(d.to_string()))),
            (None, Some(n)) => Ok(Some(NfaDupReason::NoIncidentFound(n.to_string()))),
            (None, None) => Ok(None),
        }
    }

    /// `(duplicate_of, no_incident_found)`.
    pub fn fields(&self) -> (Option<&str>, Option<&str>) {
        match self {
            NfaDupReason::DuplicateOf(d) => (Some(d), None),
            NfaDupReason::NoIncidentFound(n) => (None, Some(n)),
        }
    }

    /// As shown on the incident page and in the daily review: control and direction characters
    /// written out (`\u{1b}`), at most 200 characters of a duplicate's id (a text sent by a
    /// device or the service is shown, not obeyed).
    pub fn shown(&self, duplicate_reference: Option<&str>) -> String {
        match self {
            NfaDupReason::DuplicateOf(d) => {
                format!("Closed as a duplicate of {}", printable(duplicate_reference.unwrap_or(d), 200))
            }
            NfaDupReason::NoIncidentFound(n) => {
                format!("No incident found: {}", printable(n, MAX_NO_INCIDENT_CHARS))
            }
        }
    }
}

/// `text` with control characters and invisible direction or format characters written out
/// as `\u{…}`, cut to `max` characters.
fn printable(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in text.chars().take(max) {
        if hides_or_controls(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// A control character, or one that reorders or hides text (bidirectional controls, zero-width
/// characters).
fn hides_or_controls(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\u{061C}')
}

/// Whether an account of "no incident found" says something: at least two words with a letter
/// in them, and no control or direction characters (escape sequences, a right-to-left
/// override). One letter, "31m" or an escape code passed the old check.
fn is_an_account(text: &str) -> bool {
    let words = text.split_whitespace().filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2).count();
    words >= 2 && !says_nothing(text) && !text.chars().any(|c| hides_or_controls(c) && !c.is_whitespace())
}

/// What the check needs to know of an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DupIncident<'a> {
    /// Incident id.
    pub id: &'a str,
    /// Its type (`domestic_abuse`…).
    pub incident_type: &'a str,
    /// Its closing code, if any.
    pub closing_code: Option<&'a str>,
}

/// The safeguarding kind of an incident: `DA` or `CFAC`, from its type or its closing code.
pub fn safeguarding_kind(incident_type: &str, closing_code: Option<&str>) -> Option<&'static str> {
    classification_code(incident_type).or_else(|| {
        let c = closing_code?.trim();
        ["DA", "CFAC"].into_iter().find(|k| c.eq_ignore_ascii_case(k))
    })
}

/// The refusal of an `NFA-DUP` reason. `Display` is safe to show to an officer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NfaDupRefusal {
    #[error(
        "NFA-DUP needs its reason: choose the incident this one duplicates, or say in words why no incident \
         was found."
    )]
    /// No reason given.
    Missing,
    #[error("Give one reason for NFA-DUP: a duplicate of another incident, or no incident found, not both.")]
    /// Both reasons given.
    Both,
    #[error(
        "\"No incident found\" needs the officer's account in words (at least two words; no control \
         characters)."
    )]
    /// No incident found, with no words.
    NoAccount,
    #[error("The account of \"no incident found\" is too long (at most {MAX_NO_INCIDENT_CHARS} characters).")]
    /// The account is too long.
    TooLong,
    #[error("The incident this one duplicates is not on this device: give its id or reference.")]
    /// The original is not held.
    UnknownOriginal,
    #[error("An incident cannot be a duplicate of itself: choose the original incident.")]
    /// A duplicate of itself.
    Itself,
    #[error("That incident is itself closed NFA-DUP: choose the original incident.")]
    /// The original is closed NFA-DUP too.
    OriginalIsDuplicate,
    #[error(
        "This is a {kind} incident: the incident it duplicates must be one too (so the original still carries \
         the risk assessment, plan and referral decisions)."
    )]
    /// The original is not of the same safeguarding kind.
    KindDiffers {
        /// `domestic-abuse` or `Concern-for-a-Child`.
        kind: &'static str,
    },
    #[error("A reason is only recorded with NFA-DUP.")]
    /// A reason with another code.
    NotNfaDup,
}

impl NfaDupRefusal {
    /// Machine code (the central service's rejection code).
    pub fn code(&self) -> &'static str {
        match self {
            NfaDupRefusal::Missing => "nfa_dup_reason_missing",
            NfaDupRefusal::NotNfaDup | NfaDupRefusal::Both => "invalid_payload",
            _ => "nfa_dup_reason_invalid",
        }
    }
}

/// Checks the reason given with `code` for the incident `closing`. `original` is the incident
/// named by a duplicate-of reason, as looked up by the caller (`None`: not held). With
/// `unknown_ok` (the central service, which does not hold every incident) an original that is
/// not held passes; the device refuses it. A code other than `NFA-DUP` must come with no reason.
pub fn check_nfa_dup(
    code: Option<&str>,
    closing: &DupIncident<'_>,
    reason: Option<&NfaDupReason>,
    original: Option<&DupIncident<'_>>,
    unknown_ok: bool,
) -> Result<(), NfaDupRefusal> {
    if !code.is_some_and(is_nfa_dup) {
        return match reason {
            Some(_) => Err(NfaDupRefusal::NotNfaDup),
            None => Ok(()),
        };
    }
    match reason {
        None => Err(NfaDupRefusal::Missing),
        Some(NfaDupReason::NoIncidentFound(text)) => {
            if text.trim().chars().count() > MAX_NO_INCIDENT_CHARS {
                Err(NfaDupRefusal::TooLong)
            } else if !is_an_account(text) {
                Err(NfaDupRefusal::NoAccount)
            } else {
                Ok(())
            }
        }
        Some(NfaDupReason::DuplicateOf(id)) => {
            if id.trim() == closing.id {
                return Err(NfaDupRefusal::Itself);
            }
            let Some(o) = original else {
                return if unknown_ok { Ok(()) } else { Err(NfaDupRefusal::UnknownOriginal) };
            };
            if o.id == closing.id {
                return Err(NfaDupRefusal::Itself);
            }
            if o.closing_code.is_some_and(is_nfa_dup) {
                return Err(NfaDupRefusal::OriginalIsDuplicate);
            }
            if let Some(kind) = safeguarding_kind(closing.incident_type, None) {
                if safeguarding_kind(o.incident_type, o.closing_code) != Some(kind) {
                    return Err(NfaDupRefusal::KindDiffers { kind: kind_label(kind) });
                }
            }
            Ok(())
        }
    }
}

fn kind_label(kind: &str) -> &'static str {
    if kind == "DA" {
        "domestic-abuse"
    } else {
        "Concern-for-a-Child"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inc<'a>(id: &'a str, t: &'a str, code: Option<&'a str>) -> DupIncident<'a> {
        DupIncident { id, incident_type: t, closing_code: code }
    }
    fn dup(id: &str) -> NfaDupReason {
        NfaDupReason::DuplicateOf(id.into())
    }
    fn none_found(t: &str) -> NfaDupReason {
        NfaDupReason::NoIncidentFound(t.into())
    }

    #[test]
    fn nfa_dup_without_a_reason_is_refused() {
        let da = inc("a", "domestic_abuse", None);
        assert_eq!(check_nfa_dup(Some("NFA-DUP"), &da, None, None, false), Err(NfaDupRefusal::Missing));
        assert_eq!(check_nfa_dup(Some(" nfa-dup "), &da, None, None, true), Err(NfaDupRefusal::Missing));
        // Other codes need none, and take none.
        assert_eq!(check_nfa_dup(Some("DA"), &da, None, None, false), Ok(()));
        assert_eq!(check_nfa_dup(None, &da, None, None, false), Ok(()));
        assert_eq!(check_nfa_dup(Some("DA"), &da, Some(&none_found("x")), None, false), Err(NfaDupRefusal::NotNfaDup));
    }

    #[test]
    fn no_incident_found_needs_words() {
        let t = inc("a", "theft", None);
        for bad in ["", "   ", "...", "-", "?!", "1", "x", "\u{1b}[31m\u{7}", "empty x\u{202e}", "no\u{7} caller here"]
        {
            assert_eq!(
                check_nfa_dup(Some("NFA-DUP"), &t, Some(&none_found(bad)), None, false),
                Err(NfaDupRefusal::NoAccount),
                "{bad:?}"
            );
        }
        let long = "a".repeat(MAX_NO_INCIDENT_CHARS + 1);
        assert_eq!(
            check_nfa_dup(Some("NFA-DUP"), &t, Some(&none_found(&long)), None, false),
            Err(NfaDupRefusal::TooLong)
        );
        assert_eq!(
            check_nfa_dup(Some("NFA-DUP"), &t, Some(&none_found("Attended, address empty, no caller")), None, false),
            Ok(())
        );
    }

    #[test]
    fn duplicate_of_must_be_another_held_original_of_the_same_kind() {
        let da = inc("a", "domestic_abuse", None);
        let r = dup("b");
        // Not held: the device refuses, the central service accepts.
        assert_eq!(check_nfa_dup(Some("NFA-DUP"), &da, Some(&r), None, false), Err(NfaDupRefusal::UnknownOriginal));
        assert_eq!(check_nfa_dup(Some("NFA-DUP"), &da, Some(&r), None, true), Ok(()));
        // Itself.
        assert_eq!(check_nfa_dup(Some("NFA-DUP"), &da, Some(&dup("a")), Some(&da), false), Err(NfaDupRefusal::Itself));
        // A duplicate of a duplicate.
        let b_dup = inc("b", "domestic_abuse", Some("NFA-DUP"));
        assert_eq!(
            check_nfa_dup(Some("NFA-DUP"), &da, Some(&r), Some(&b_dup), false),
            Err(NfaDupRefusal::OriginalIsDuplicate)
        );
        // A DA incident as a duplicate of a theft: the gate would be lost.
        let b_theft = inc("b", "theft", None);
        let e = check_nfa_dup(Some("NFA-DUP"), &da, Some(&r), Some(&b_theft), false).unwrap_err();
        assert_eq!(e, NfaDupRefusal::KindDiffers { kind: "domestic-abuse" });
        assert!(e.to_string().contains("domestic-abuse incident"), "{e}");
        // A CfaC incident and a DA original: refused too.
        let cfac = inc("c", "concern_for_child", None);
        assert!(
            check_nfa_dup(Some("NFA-DUP"), &cfac, Some(&r), Some(&inc("b", "domestic_abuse", None)), false).is_err()
        );
        // Same kind: by type, or by the original's DA closing code.
        assert_eq!(
            check_nfa_dup(Some("NFA-DUP"), &da, Some(&r), Some(&inc("b", "domestic_abuse", None)), false),
            Ok(())
        );
        assert_eq!(
            check_nfa_dup(Some("NFA-DUP"), &da, Some(&r), Some(&inc("b", "assault", Some("DA"))), false),
            Ok(())
        );
        // A theft may duplicate any incident.
        let t = inc("t", "theft", None);
        assert_eq!(check_nfa_dup(Some("NFA-DUP"), &t, Some(&r), Some(&b_theft), false), Ok(()));
    }

    #[test]
    fn reason_from_fields() {
        assert_eq!(NfaDupReason::from_fields(None, Some("  ")), Ok(None));
        assert_eq!(NfaDupReason::from_fields(Some(" b "), None), Ok(Some(dup("b"))));
        assert!(NfaDupReason::from_fields(Some("b"), Some("text")).is_err());
        assert_eq!(dup("b").shown(Some("INC-1")), "Closed as a duplicate of INC-1");
        assert_eq!(none_found("empty flat").shown(None), "No incident found: empty flat");
        // Shown, not obeyed: an escape sequence from a device or the service is written out.
        assert_eq!(dup("INC-X\u{1b}[2J").shown(None), "Closed as a duplicate of INC-X\\u{1b}[2J");
        assert_eq!(dup(&"9".repeat(500)).shown(None).len(), "Closed as a duplicate of ".len() + 200);
    }
}
