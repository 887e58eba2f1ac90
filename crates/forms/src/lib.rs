//! # bluelamp-forms: the pure form engine
//!
//! Form packs (DASH-style and DARA-style DA risk assessments, a DA safeguarding plan and a
//! Concern-for-a-Child care plan) are **data**: versioned JSON files under `assets/forms/`.
//! This crate parses and validates packs, validates answers, computes visible sections and
//! progress, suggests a risk grade, checks submission, moves a form through supervisor
//! review, enforces closing-code gates and builds the supervisor queue.
//!
//! It is **pure**: no I/O, no clock (every time is a parameter in unix seconds), no
//! randomness except the seeded simulation, and it compiles for `wasm32-unknown-unknown`
//! so the Yew frontend runs exactly the validation the backend runs. No public function
//! panics on any input.
//!
//! The shipped question texts are **paraphrased themes**, not the official wording of
//! DASH, DARA or S-DASH (those are licensed); a force loads its licensed pack as data.
//!
//! ## Pack JSON format
//!
//! ```json
//! {
//!   "id": "dash-style-da-risk",          // [a-z0-9._-], stable
//!   "version": "1.0.0",                  // answers are stored with (id, version)
//!   "title": "…",
//!   "kind": "risk_assessment",           // | "safeguarding_plan" | "care_plan" | "other"
//!   "description": "…",                  // optional
//!   "requires_grade": true,              // submit needs the officer's grade + rationale
//!   "grading": {                         // optional, risk assessments
//!     "count_bands": {"medium": 10, "high": 14},
//!     "high_risk_factor_grade": "medium",
//!     "cluster_of_three": true
//!   },
//!   "sections": [                        // wizard pages, in order
//!     {
//!       "id": "current", "title": "…", "guidance": "…",
//!       "show_if": {"question": "q8", "equals": "yes"},   // optional
//!       "questions": [
//!         {
//!           "id": "q1", "number": "1", "text": "…", "guidance": "…",
//!           "type": "yes_no",            // yes_no | frequency | single_choice | multi_choice
//!                                        // | text | date | datetime | number | person | group
//!           "required": true,            // declining satisfies it unless allow_declined=false
//!           "required_if": {…}, "show_if": {…},
//!           "allow_declined": true,      // default true
//!           "options": [{"id": "none", "label": "None", "positive": false}],
//!           "fields": [ …questions… ],   // group only (one level)
//!           "min_items": 1, "max_items": 10, "item_label": "Child",
//!           "max_length": 4000, "min": 0, "max": 17, "not_in_future": true, "not_in_past": false, "within_days": 366,
//!           "scored": true,              // counts towards "yes" total (default: yes_no, frequency)
//!           "high_risk": true,           // positive answer = high-risk factor
//!           "suggest_grade": "high",     // positive answer suggests at least this grade
//!           "tags": ["separation"],      // separation | coercive_control | physical_violence
//!                                        // | sexual_violence | children
//!           "source": "checks",          // victim | checks | officer (UI hint)
//!           "note_prompt": "What injury?"
//!         }
//!       ]
//!     }
//!   ]
//! }
//! ```
//!
//! **Conditions** (`show_if`, `required_if`) are data: `{"question": ID, "equals": TOKEN}`,
//! `{"question": ID, "one_of": [TOKENS]}`, `{"question": ID, "answered": BOOL}`,
//! `{"all": [..]}`, `{"any": [..]}`, `{"not": {..}}`. Tokens are `yes`/`no`/`dont_know`,
//! `never`/`sometimes`/`often`, option ids, or `declined`; for multi choice `equals` means
//! "includes". `show_if` may only reference *earlier* questions (no cycles); group fields
//! reference earlier sibling fields. Answers to hidden questions never satisfy a condition.
//! [`validate_pack`] reports every problem with its location, e.g.
//! `sections[2].questions[4].show_if: unknown question id "q99"`.
//!
//! ## Answers JSON format
//!
//! One JSON object per form: **question id → value**.
//!
//! | type | value |
//! |---|---|
//! | `yes_no` | `"yes"`, `"no"`, `"dont_know"` |
//! | `frequency` | `"never"`, `"sometimes"`, `"often"`, `"dont_know"` |
//! | `single_choice` | option id, e.g. `"partner"` |
//! | `multi_choice` | array of option ids, e.g. `["drugs", "alcohol"]` |
//! | `text` | string |
//! | `date` | `"YYYY-MM-DD"` |
//! | `datetime` | `"YYYY-MM-DDTHH:MM[:SS][Z\|±HH:MM]"` (no zone = UTC) or unix seconds |
//! | `number` | JSON number |
//! | `person` | nominal id (string) of a person linked to the incident |
//! | `group` | array of objects, each `field id → value` by the same rules |
//!
//! * **Declined to answer**: `{"declined": true}` for any type; the string `"declined"` is
//!   accepted as a shorthand for every type except `text`.
//! * **Answer with a note / source**: `{"value": "yes", "note": "bruise to arm", "source": "checks"}`.
//! * Missing key, `null`, `""` and `[]` mean *not answered*.
//! * Keys starting with `_` are reserved for UI metadata and ignored; other unknown keys are
//!   reported as `unknown_question`.
//! * Answers to hidden sections are kept but neither validated nor graded.
//!
//! ```json
//! {
//!   "victim": "nom-17", "perpetrator": "nom-18", "relationship": "ex_partner",
//!   "q1": {"value": "yes", "note": "cut lip"}, "q2": "yes", "q3": ["further_injury"],
//!   "q5": {"declined": true}, "q8": "no",
//!   "actions": [{"action": "Fit door chain", "owner": "PC 1234", "due": "2025-06-03"}]
//! }
//! ```
//!
//! ## Main entry points
//!
//! * packs: [`parse_pack`], [`validate_pack`], [`builtin_packs`];
//! * answers: [`evaluate`] (visible sections + issues + progress), [`validate_answers`],
//!   [`visible_sections`], [`progress`];
//! * grading: [`suggest_grade`], then [`check_submit`] / [`submit`], [`generated_tasks`],
//!   [`review`];
//! * gates: [`check_closure`] with [`builtin_closing_codes`];
//! * queue: [`build_queue`] with [`builtin_config`];
//! * simulation: [`simulate_shift`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod answers;
pub mod config;
pub mod error;
pub mod gates;
pub mod grading;
pub mod nfa_dup;
pub mod pack;
pub mod queue;
pub mod record;
pub mod sample;
pub mod sim;
pub mod time;

pub use answers::{
    carry_forward, evaluate, group_item_visibility, is_positive, parse_answers, progress, validate_answers,
    visible_sections, Answer, Answers, Evaluation, FieldIssue, IssueKind, Progress, SectionStatus, ValidationContext,
    Visibility, CARRIED_KEY,
};
pub use config::{parse_config, validate_config, Deadlines, SafeguardingConfig, TaskDue};
pub use error::FormsError;
pub use gates::{
    check_closure, classification_code, gate_codes, missing_items, parse_closing_codes, validate_closing_codes,
    victim_of, AssessedVictim, ClosingCode, ClosingCodes, FormSummary, MissingItem, MissingKind, Requirement,
    SafeguardingState, SectionRequirement, VictimReferralState,
};
pub use grading::{
    suggest_grade, ClusterOfThree, Grade, GradingConfig, IncidentHistory, Reason, ReasonCode, RiskSuggestion,
};
pub use nfa_dup::{check_nfa_dup, is_nfa_dup, safeguarding_kind, DupIncident, NfaDupReason, NfaDupRefusal, NFA_DUP};
pub use pack::{
    check_pack, parse_pack, validate_pack, AnswerSource, ChoiceOption, Condition, CountBands, FormPack, PackGrading,
    PackIssue, PackKind, Question, QuestionType, Section,
};
pub use queue::{
    build_queue, incident_problems, team_counts, DailyReviewItem, ProblemKind, QueueIncident, QueueItem, QueueProblem,
    QueueRisk, SupervisorQueue, TeamCounts,
};
pub use record::{
    check_submit, generated_tasks, marac_criteria, review, submit, FormRecord, FormStatus, Review, ReviewDecision,
    ReviewError, SubmitIssue, SubmitRejected, Task, TaskKind,
};
pub use sample::sample_answers;
pub use sim::{simulate_shift, ShiftFigures, ShiftParams, SimRng};

/// Shipped packs as `(file name, JSON text)`, embedded at compile time.
pub const BUILTIN_PACK_SOURCES: [(&str, &str); 4] = [
    ("dash-style-da-risk.json", include_str!("../../../assets/forms/dash-style-da-risk.json")),
    ("dara-style-da-risk.json", include_str!("../../../assets/forms/dara-style-da-risk.json")),
    ("da-safeguarding-plan.json", include_str!("../../../assets/forms/da-safeguarding-plan.json")),
    ("concern-for-child-care-plan.json", include_str!("../../../assets/forms/concern-for-child-care-plan.json")),
];

/// Shipped closing-code list (JSON text).
pub const BUILTIN_CLOSING_CODES: &str = include_str!("../../../assets/codes/closing-codes.json");

/// Shipped safeguarding config (JSON text).
pub const BUILTIN_CONFIG: &str = include_str!("../../../assets/config/safeguarding.json");

/// The shipped packs, parsed and validated (a test guarantees they are valid).
pub fn builtin_packs() -> Result<Vec<FormPack>, FormsError> {
    BUILTIN_PACK_SOURCES.iter().map(|(_, json)| parse_pack(json)).collect()
}

/// The shipped closing-code list.
pub fn builtin_closing_codes() -> Result<ClosingCodes, FormsError> {
    parse_closing_codes(BUILTIN_CLOSING_CODES)
}

/// The shipped safeguarding config.
pub fn builtin_config() -> Result<SafeguardingConfig, FormsError> {
    parse_config(BUILTIN_CONFIG)
}
