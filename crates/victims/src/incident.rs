//! The incident input format (JSON). Unknown fields are ignored; almost every field is
//! optional so that a half-completed record still produces an assessment (with
//! `undetermined` items) instead of an error. See the crate docs for a full example.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::dates::{iso_date, rfc3339};
use crate::error::VictimsError;
use crate::rules::RiskLevel;

/// An incident as given to [`crate::assess()`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Incident or crime reference.
    #[serde(default)]
    pub incident_id: String,
    /// When the crime was recorded (RFC 3339, any offset). Day 0 for the referral deadline is
    /// its date in UK civil time (GMT/BST), and Operation Encompass is due before the first
    /// school day that starts after it.
    #[serde(default, with = "rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub recorded_at: Option<OffsetDateTime>,
    /// Date of the offence (for "under 18 at the time of the offence"); defaults to the
    /// recorded date.
    #[serde(default, with = "iso_date::option", skip_serializing_if = "Option::is_none")]
    pub offence_date: Option<Date>,
    /// Offence category codes from the force's rules (e.g. `["domestic_abuse", "assault"]`).
    #[serde(default)]
    pub offence_categories: Vec<String>,
    /// Domestic-abuse risk grade (DASH/DARA plus professional judgement), if assessed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_level: Option<RiskLevel>,
    /// The MARAC criteria the risk assessment meets whatever its grade (SafeLives: visible high
    /// risk, potential escalation, repeat MARAC), in words: any makes the MARAC referral due on
    /// a rule with `marac_criterion: true`. An assessment graded Medium with 14 "yes" answers made
    /// a MARAC task the gate never asked for (review, 7 Dec 2026).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marac_criteria: Vec<String>,
    /// Everyone linked to the incident.
    #[serde(default)]
    pub people: Vec<Person>,
    /// Referral decisions recorded so far.
    #[serde(default)]
    pub decisions: Vec<Decision>,
    /// Investigation events that trigger a victim update (Right 6).
    #[serde(default)]
    pub events: Vec<InvestigationEvent>,
}

impl Incident {
    /// Parses an incident from JSON: an object (serde would also read a struct from an array,
    /// so `[]` passed as an incident with nothing in it).
    pub fn from_json(json: &str) -> Result<Incident, VictimsError> {
        let err = |detail: String| VictimsError::Json { what: "incident", detail };
        let v: serde_json::Value = serde_json::from_str(json).map_err(|e| err(e.to_string()))?;
        if !v.is_object() {
            return Err(err("an incident is a JSON object ({ ... })".into()));
        }
        // Read from the text again, so an error says where (line and column).
        let mut incident: Incident = serde_json::from_str(json).map_err(|e| err(e.to_string()))?;
        // Keep the roles that were not understood, to name them in a warning.
        if let Some(people) = v.get("people").and_then(serde_json::Value::as_array) {
            for (p, raw) in incident.people.iter_mut().zip(people) {
                if let Some(roles) = raw.get("roles").and_then(serde_json::Value::as_array) {
                    p.other_roles = roles
                        .iter()
                        .filter_map(serde_json::Value::as_str)
                        .filter(|r| Role::parse(r).is_none())
                        .map(|r| r.chars().take(60).collect())
                        .collect();
                }
            }
        }
        // A victim cannot have been told of an event before it happened (the store, the CLI
        // and the service refuse such a day too: `bluelamp_protocol::victims::check_told_on`).
        for (i, e) in incident.events.iter().enumerate() {
            if let Some(t) = e.told_on.iter().find(|t| t.on < e.occurred_on) {
                return Err(VictimsError::Invalid {
                    what: "incident",
                    detail: format!(
                        "events[{i}].told_on: {:?} was told on {}, before the event ({})",
                        t.person_id.chars().take(60).collect::<String>(),
                        t.on,
                        e.occurred_on
                    ),
                });
            }
        }
        Ok(incident)
    }

    /// The first day a victim was told that is after `today` (the UK date assessed), as a
    /// message naming it: a day in the future cannot be judged met or missed.
    pub fn told_after(&self, today: Date) -> Option<String> {
        self.events.iter().enumerate().find_map(|(i, e)| {
            e.told_on.iter().find(|t| t.on > today).map(|t| {
                format!(
                    "events[{i}].told_on: {:?} was told on {}, after the day assessed ({today})",
                    t.person_id.chars().take(60).collect::<String>(),
                    t.on
                )
            })
        })
    }

    /// Finds a person by id (exact match after trimming).
    pub fn person(&self, id: &str) -> Option<&Person> {
        let id = id.trim();
        self.people.iter().find(|p| p.id.trim() == id)
    }
}

/// A role a person has in the incident. Read case-insensitively, with spaces or dashes for
/// underscores (`"Victim"`, `"Bereaved Relative"`, `"child-present"`); anything else is
/// [`Role::Other`], and [`Incident::from_json`] keeps what was given in
/// [`Person::other_roles`] so the assessment can name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Victim (injured party).
    Victim,
    /// Close relative of a person killed.
    BereavedRelative,
    /// Parent or guardian (set `acts_for` to the child's id).
    ParentOrGuardian,
    /// Spokesperson for a victim who cannot communicate, or nominated family spokesperson.
    Spokesperson,
    /// A child who was present at, saw or heard, or lives with the domestic abuse.
    ChildPresent,
    /// A person who died.
    Deceased,
    /// Suspect or perpetrator.
    Suspect,
    /// Witness.
    Witness,
    /// Anything else (ignored, and warned about).
    Other,
}

impl Role {
    /// The roles the engine knows, as written in JSON.
    pub const KNOWN: [&'static str; 8] = [
        "victim",
        "bereaved_relative",
        "parent_or_guardian",
        "spokesperson",
        "child_present",
        "deceased",
        "suspect",
        "witness",
    ];

    /// Reads a role: trimmed, case-insensitive, spaces and dashes taken as underscores; `None`
    /// when it is none of [`Role::KNOWN`].
    pub fn parse(s: &str) -> Option<Role> {
        let key: String =
            s.trim().chars().map(|c| if c == ' ' || c == '-' { '_' } else { c.to_ascii_lowercase() }).collect();
        Some(match key.as_str() {
            "victim" => Role::Victim,
            "bereaved_relative" => Role::BereavedRelative,
            "parent_or_guardian" => Role::ParentOrGuardian,
            "spokesperson" => Role::Spokesperson,
            "child_present" => Role::ChildPresent,
            "deceased" => Role::Deceased,
            "suspect" => Role::Suspect,
            "witness" => Role::Witness,
            _ => return None,
        })
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Role, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Role::parse(&s).unwrap_or(Role::Other))
    }
}

/// A person linked to the incident.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Person {
    /// Id unique within the incident (nominal id).
    #[serde(default)]
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Roles (several allowed).
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Roles given that the engine does not know (`"Vctim"`), as given: read as [`Role::Other`]
    /// and named in an `unknown_role` warning. Filled by [`Incident::from_json`].
    #[serde(skip_deserializing, default, skip_serializing_if = "Vec::is_empty")]
    pub other_roles: Vec<String>,
    /// For parents, guardians, bereaved relatives and spokespeople: the ids of the people
    /// they act for (the child victim, the deceased, the victim who cannot communicate).
    #[serde(default)]
    pub acts_for: Vec<String>,
    /// A business or organisation (not a "victim" under the Code, though it may get services).
    #[serde(default)]
    pub organisation: bool,
    /// Date of birth.
    #[serde(default, with = "iso_date::option", skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<Date>,
    /// Officer's answer when the DOB is unknown: was the person under 18 at the time?
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub under_18: Option<bool>,
    /// Phone numbers held for the person (any format).
    #[serde(default)]
    pub phones: Vec<String>,
    /// Person markers / warning codes (matched against the rules' `markers`).
    #[serde(default)]
    pub markers: Vec<String>,
    /// Officer's answer: vulnerable (YJCEA s.16)?
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerable: Option<bool>,
    /// Officer's answer: intimidated (YJCEA s.17)?
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intimidated: Option<bool>,
    /// Officer's answer: persistently targeted (overrides the count when true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistently_targeted: Option<bool>,
    /// Earlier incidents in which this person was a victim (from local history).
    #[serde(default)]
    pub victim_history: Vec<HistoryEntry>,
    /// Needs-assessment answers keyed by question id.
    #[serde(default)]
    pub needs: BTreeMap<String, Answer>,
    /// Safe-contact details (mandatory for domestic abuse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safe_contact: Option<SafeContact>,
    /// The grade of this person's own DA risk assessment (one whose victim is them), when there
    /// is one: it, not the incident's `risk_level`, decides their IDVA and MARAC. A High
    /// assessment about one victim made both due for every victim of the incident (review,
    /// 7 Dec 2026).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_level: Option<RiskLevel>,
    /// The MARAC criteria their own assessment meets (with `risk_level`; see
    /// `Incident::marac_criteria`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marac_criteria: Vec<String>,
    /// The updates the victim asked for (Right 6: "contact preferences and update frequency
    /// recorded"): every key event (the default), key decisions only, or none. An event they do
    /// not want is not owed and never escalates.
    #[serde(default, skip_serializing_if = "UpdatePreference::is_all")]
    pub update_preference: UpdatePreference,
}

/// What updates after investigation events a victim wants (Victims' Code, Right 6).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdatePreference {
    /// Every key event (nothing recorded).
    #[default]
    All,
    /// Only the decisions that settle the case ([`is_key_decision`]): charge, summons,
    /// out-of-court resolution, no further action, investigation closed.
    KeyDecisionsOnly,
    /// The victim asked not to be updated: no update is owed.
    None,
}

impl UpdatePreference {
    /// Every code, in the order a form lists them.
    pub const ALL: [UpdatePreference; 3] =
        [UpdatePreference::All, UpdatePreference::KeyDecisionsOnly, UpdatePreference::None];

    /// The code (`all`, `key_decisions_only`, `none`).
    pub fn code(self) -> &'static str {
        match self {
            UpdatePreference::All => "all",
            UpdatePreference::KeyDecisionsOnly => "key_decisions_only",
            UpdatePreference::None => "none",
        }
    }

    /// The preference of a code (surrounding spaces allowed), `None` for an unknown code.
    pub fn from_code(code: &str) -> Option<UpdatePreference> {
        Self::ALL.into_iter().find(|p| p.code() == code.trim())
    }

    /// True for the default ([`UpdatePreference::All`]).
    pub fn is_all(&self) -> bool {
        *self == UpdatePreference::All
    }

    /// Whether the victim wants an update after an event of this kind.
    pub fn wants(self, kind: &str) -> bool {
        match self {
            UpdatePreference::All => true,
            UpdatePreference::KeyDecisionsOnly => is_key_decision(kind),
            UpdatePreference::None => false,
        }
    }
}

/// Whether an investigation event's kind is a key decision: the suspect charged or summonsed,
/// an out-of-court resolution, a decision to take no further action, the investigation closed.
/// Takes the codes (`charged`, `summonsed`, `out_of_court_resolution`, `no_further_action`,
/// `investigation_closed`), their labels ("Suspect charged", "Decision to take no further
/// action"…) and the short forms an incident file may use (`charge`, `summons`, `nfa`); case,
/// spaces and hyphens are ignored. Anything else (an arrest, an interview, bail) is not one.
pub fn is_key_decision(kind: &str) -> bool {
    let k: String =
        kind.trim().to_ascii_lowercase().chars().map(|c| if c == ' ' || c == '-' { '_' } else { c }).collect();
    let k = k.strip_prefix("suspect_").unwrap_or(&k);
    matches!(
        k,
        "charged"
            | "charge"
            | "summonsed"
            | "summons"
            | "out_of_court_resolution"
            | "out_of_court_resolution_given"
            | "no_further_action"
            | "decision_to_take_no_further_action"
            | "nfa"
            | "investigation_closed"
            | "closed"
    )
}

impl Person {
    /// True if the person has this role.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// An earlier incident in which the person was a victim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Incident reference (used to avoid counting the same incident twice).
    #[serde(default)]
    pub incident_id: String,
    /// Date that incident was recorded.
    #[serde(with = "iso_date")]
    pub recorded_on: Date,
}

/// A needs-assessment answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    /// Yes / no.
    YesNo(bool),
    /// Free text.
    Text(String),
}

impl Answer {
    /// True when the answer means "yes" (`true`, or text "yes"/"y").
    pub fn is_yes(&self) -> bool {
        match self {
            Answer::YesNo(b) => *b,
            Answer::Text(t) => matches!(t.trim().to_ascii_lowercase().as_str(), "yes" | "y"),
        }
    }

    /// True when the answer means "no".
    pub fn is_no(&self) -> bool {
        match self {
            Answer::YesNo(b) => !*b,
            Answer::Text(t) => matches!(t.trim().to_ascii_lowercase().as_str(), "no" | "n"),
        }
    }

    /// True when something was actually answered (non-empty text).
    pub fn is_answered(&self) -> bool {
        match self {
            Answer::YesNo(_) => true,
            Answer::Text(t) => !t.trim().is_empty(),
        }
    }
}

/// Safe-contact block (mandatory for domestic abuse victims).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafeContact {
    /// A number on which it is safe to contact the victim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safe_number: Option<String>,
    /// When it is safe to call (free text, e.g. "weekdays 10:00-14:00").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safe_times: Option<String>,
    /// Is it safe to leave a voicemail?
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voicemail_safe: Option<bool>,
    /// Is it safe to send a text message?
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_safe: Option<bool>,
    /// Is it safe to send letters?
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub letters_safe: Option<bool>,
    /// Can the suspect access this phone?
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspect_can_access_phone: Option<bool>,
    /// Preferred language for contact (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
}

/// Outcome of a referral decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Referred to a destination.
    Referred,
    /// The victim declined (recorded in their own words).
    Declined,
    /// Deferred because it is not safe to ask now (creates a follow-up task).
    Deferred,
}

/// A recorded referral decision for one victim. Flat, so that validation can name fields
/// exactly as they appear in JSON and in the form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Client-generated id (used by the duplicate guard to skip itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The victim's person id.
    #[serde(default)]
    pub victim_id: String,
    /// Referred, declined or deferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// When the decision was made (RFC 3339).
    #[serde(default, with = "rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub at: Option<OffsetDateTime>,
    /// Referred: destination code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// Referred: did the victim explicitly agree (needed under opt-in) / not object?
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_given: Option<bool>,
    /// Declined: the victim's reasons in their own words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_their_words: Option<String>,
    /// Deferred: why it is not safe to ask now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Deferred: when to ask again (defaults to the rules' follow-up period).
    #[serde(default, with = "iso_date::option", skip_serializing_if = "Option::is_none")]
    pub follow_up_due: Option<Date>,
    /// Referred: the referral was later withdrawn or cancelled (no longer active).
    #[serde(default)]
    pub withdrawn: bool,
}

/// An event that obliges the police to update the victim (Right 6: arrest, charge, release,
/// bail change, decision not to investigate…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvestigationEvent {
    /// Free-text kind, e.g. "arrest", "released_under_investigation".
    #[serde(default)]
    pub kind: String,
    /// Day the event happened (day 0).
    #[serde(with = "iso_date")]
    pub occurred_on: Date,
    /// Victims already told (person ids).
    #[serde(default)]
    pub victims_informed: Vec<String>,
    /// The day each victim told was told (UK date), where known: the deadline is met or missed
    /// on it. A victim in `victims_informed` without a day here counts as told in time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub told_on: Vec<ToldOn>,
}

/// The day a victim was told of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToldOn {
    /// Person id.
    pub person_id: String,
    /// UK date they were told.
    #[serde(with = "iso_date")]
    pub on: Date,
}
