//! # bluelamp-victims: the Victims' Code rules engine
//!
//! Pure rules (no I/O, no clock) that make sure every victim linked to an incident gets a
//! recorded referral decision within the Victims' Code deadlines, and that contacting them
//! is safe. When the failing system went live, referrals to victim services fell by 87 %;
//! elsewhere DA referrals failed because the "safe" number was the perpetrator's. This crate
//! is the part of Bluelamp that stops both.
//!
//! * **Who is a victim** ([`VictimBasis`]): a linked person with the `victim` role; a
//!   `bereaved_relative`; a `parent_or_guardian` (or `spokesperson`) who `acts_for` a child
//!   victim; a `child_present` at domestic abuse. Organisations are not victims (warning).
//! * **Enhanced rights, with reasons** ([`EnhancedGround`]): most serious crime (from the
//!   offence category), under 18 at the time of the offence (from DOB), vulnerable or
//!   intimidated (markers, officer answers, needs answers; sexual-offence complainants
//!   unless they opt out), persistently targeted (N or more incidents as victim within the
//!   window, counting this one; N from the rules), and acting for an enhanced victim.
//! * **Consent model** ([`ConsentModel`]): per category, the most protective wins (opt-in
//!   for DA and sexual offences in the default rules), per basis (bereaved: opt-in).
//! * **Destinations**: data-driven rules (general victim service; IDVA + MARAC for high-risk
//!   DA; ISVA / SARC; homicide service; children's services and Operation Encompass, which go
//!   by the age when the crime is recorded, not at the offence; Operation Encompass for ages 4–17).
//! * **Safe contact** for DA: mandatory block, and a warning when the safe number matches a
//!   number held for a suspect ([`phone::normalise_uk_phone`]).
//! * **Decisions** ([`Decision`]): referred / declined in their words / deferred as unsafe
//!   to ask (creates a [`FollowUpTask`]); [`validate_decision`] gives field-level messages;
//!   [`check_duplicate_referral`] enforces one active referral per (victim, incident,
//!   destination).
//! * **Working-day deadlines** ([`Calendar`], [`deadline_status`]): referral within 2
//!   working days of recording, updates within 1 (enhanced) or 5 working days; bank holidays
//!   for England and Wales, Scotland and Northern Ireland 2020–2035. See [`calendar`] for
//!   exactly how days are counted.
//! * **Prompts and queues**: [`prompts_for`] (saved / closed), [`awaiting_referral_decisions`],
//!   [`supervisor_queue`].
//! * **Toolkit**: offline service directory and filter ([`ServiceDirectory`]).
//!
//! Nothing here panics on any input, and nothing fails because a fact is missing: unknown
//! offence categories, missing dates of birth, missing risk grades and so on become
//! `undetermined` questions for the officer.
//!
//! ## Data files
//!
//! | file | what |
//! |---|---|
//! | `assets/victims/rules.json` | default force rules ([`Rules`]), embedded; forces supply their own with [`Rules::from_json`] |
//! | `assets/victims/services.json` | default toolkit directory ([`ServiceDirectory`]); names only, contacts left for forces |
//! | `assets/calendar/{england-and-wales,scotland,northern-ireland}.json` | bank holidays 2020–2035 ([`Calendar`]); see the README there for what is published vs computed |
//!
//! ## Incident input (JSON)
//!
//! Unknown fields are ignored. Everything except the structure is optional. Dates are ISO
//! `YYYY-MM-DD`; date-times are RFC 3339 and should carry the UK local offset.
//!
//! | field | type | meaning |
//! |---|---|---|
//! | `incident_id` | string | incident / crime reference |
//! | `recorded_at` | RFC 3339 | when the crime was recorded: its date is day 0 of the referral deadline (today if absent, with a question) |
//! | `offence_date` | date | for "under 18 at the time of the offence" (defaults to the recorded date) |
//! | `offence_categories` | list of strings | category codes from the rules, e.g. `domestic_abuse`, `assault` |
//! | `risk_level` | `standard` \| `medium` \| `high` | DA risk grade (DASH/DARA + judgement) |
//! | `people[]` | object | everyone linked: see below |
//! | `decisions[]` | object | referral decisions so far: see below |
//! | `events[]` | `{kind, occurred_on, victims_informed[], told_on[]}` | investigation events owing a victim update (Right 6); `told_on`: `[{person_id, on}]`, the day each was told (met or missed is judged on it) |
//!
//! `people[]`: `id`, `name`, `roles` (`victim`, `bereaved_relative`, `parent_or_guardian`,
//! `spokesperson`, `child_present`, `deceased`, `suspect`, `witness`, case-insensitive; others
//! ignored and named in an `unknown_role` warning),
//! `acts_for` (ids), `organisation` (bool), `date_of_birth`, `under_18` (officer's answer
//! when no DOB), `phones` (list of strings), `markers` (list of strings), `vulnerable` / `intimidated` /
//! `persistently_targeted` (officer's answers), `update_preference` (`all`, the default,
//! `key_decisions_only` or `none`: the Right 6 updates the victim wants), `victim_history` (`[{incident_id,
//! recorded_on}]`), `needs` (question id → `true`/`false`/text), `safe_contact`
//! (`safe_number`, `safe_times`, `voicemail_safe`, `text_safe`, `letters_safe`,
//! `suspect_can_access_phone`, `preferred_language`).
//!
//! `decisions[]`: `id`, `victim_id`, `outcome` (`referred` \| `declined` \| `deferred`),
//! `at` (RFC 3339), `destination` + `consent_given` (referred), `in_their_words` (declined),
//! `reason` + `follow_up_due` (deferred), `withdrawn` (bool).
//!
//! ```
//! use bluelamp_victims::{assess, Calendar, Incident, Region, Rules, ReferralState};
//! use time::macros::datetime;
//!
//! let json = r#"{
//!   "incident_id": "INC-2025-000123",
//!   "recorded_at": "2025-03-14T19:05:00Z",
//!   "offence_date": "2025-03-14",
//!   "offence_categories": ["domestic_abuse", "assault"],
//!   "risk_level": "high",
//!   "people": [
//!     { "id": "P1", "name": "Alex Example", "roles": ["victim", "parent_or_guardian"],
//!       "acts_for": ["P3"], "date_of_birth": "1990-05-01",
//!       "phones": ["07700 900123"],
//!       "victim_history": [{ "incident_id": "INC-2024-000900", "recorded_on": "2024-11-02" }],
//!       "needs": { "communication_help": false, "preferred_language": "English" },
//!       "safe_contact": { "safe_number": "07700 900456", "safe_times": "weekdays 10:00-14:00",
//!                         "voicemail_safe": false, "text_safe": true, "letters_safe": false,
//!                         "suspect_can_access_phone": false } },
//!     { "id": "P2", "name": "Sam Example", "roles": ["suspect"], "phones": ["+44 7700 900123"] },
//!     { "id": "P3", "name": "Jo Example", "roles": ["child_present"], "date_of_birth": "2016-09-30" }
//!   ],
//!   "decisions": [
//!     { "id": "D1", "victim_id": "P1", "outcome": "referred", "destination": "idva",
//!       "consent_given": true, "at": "2025-03-14T20:30:00Z" }
//!   ],
//!   "events": [ { "kind": "arrest", "occurred_on": "2025-03-15", "victims_informed": [] } ]
//! }"#;
//!
//! let incident = Incident::from_json(json)?;
//! let rules = Rules::default_rules()?;
//! let calendar = Calendar::builtin(Region::EnglandAndWales)?;
//! let a = assess(&incident, &rules, &calendar, datetime!(2025-03-17 09:00 UTC));
//!
//! let adult = &a.victims[0];
//! assert!(adult.enhanced);                                   // DA is a most serious crime
//! assert_eq!(adult.referral_state, ReferralState::Referred);  // IDVA referral recorded
//! assert_eq!(adult.referral_deadline.due.to_string(), "2025-03-18"); // Fri 19:05 ⇒ Tue
//! assert!(adult.destinations.iter().any(|d| d.code == "marac"));
//! // The victim's own listed phone is also held for the suspect: warned.
//! assert!(adult.warnings.iter().any(|w| w.code == "victim_phone_shared_with_suspect"));
//! let child = &a.victims[1];
//! assert!(child.destinations.iter().any(|d| d.code == "operation_encompass"));
//! println!("{}", serde_json::to_string_pretty(&a)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Output
//!
//! [`Assessment`] serialises to JSON with stable field names (format
//! [`ASSESSMENT_FORMAT`]): per victim the basis, age, `enhanced` and `enhanced_reasons`,
//! `consent_model` and `consent_reason`, `destinations` (and `possible_destinations` that
//! depend on an answer), `needs_questions`, `safe_contact`, `referral_deadline` (`from`,
//! `working_days`, `due`, `approximate`), `referral_state`, `deadline_status`, `decisions`
//! (with field-level errors), `follow_up`, `update_working_days`, `updates`, `escalate`,
//! `warnings` and `undetermined`; at incident level `warnings`, `undetermined`, `prompts`
//! (saved), `closure_blockers` and `can_close`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod assess;
pub mod calendar;
pub mod dates;
pub mod deadline;
pub mod decision;
pub mod error;
pub mod incident;
pub mod phone;
pub mod prompts;
pub mod rules;
pub mod toolkit;
pub mod uk;

pub use assess::{
    age_on, assess, Assessment, CategoryFinding, Deadline, DecisionSummary, DestinationSuggestion, EnhancedReason,
    PossibleDestination, QuestionStatus, ReferralState, SafeContactCheck, Undetermined, UpdateDue, VictimAssessment,
    Warning, ASSESSMENT_FORMAT, SAFE_CONTACT_FIELDS,
};
pub use calendar::{BankHoliday, Calendar, HolidaySource, Region, WorkingDate};
pub use deadline::{deadline_end, deadline_status, DeadlineStatus};
pub use decision::{
    check_duplicate_referral, follow_up_task, validate_decision, DecisionCheck, DuplicateCheck, FieldMessage,
    FollowUpTask, ReferralRecord,
};
pub use error::{CalendarError, PhoneError, VictimsError};
pub use incident::{
    is_key_decision, Answer, Decision, HistoryEntry, Incident, InvestigationEvent, Outcome, Person, Role, SafeContact,
    ToldOn, UpdatePreference,
};
pub use prompts::{
    awaiting_referral_decisions, prompts_for, supervisor_queue, AwaitingDecision, Prompt, PromptStage, Severity,
};
pub use rules::{
    Category, CategoryTag, Condition, ConsentModel, Destination, DestinationKind, DestinationRule, EnhancedGround,
    RiskLevel, Rules, SchoolHoliday, VictimBasis,
};
pub use toolkit::{Service, ServiceDirectory, ServiceQuery};
