//! Form packs: the data model (serde) and structural validation ([`validate_pack`]).

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::FormsError;
use crate::grading::Grade;

/// Token a user can always choose instead of an answer (see the crate docs).
pub const DECLINED: &str = "declined";
/// Tokens of a [`QuestionType::YesNo`] answer (plus [`DECLINED`]).
pub const YES_NO_TOKENS: [&str; 3] = ["yes", "no", "dont_know"];
/// Tokens of a [`QuestionType::Frequency`] answer (plus [`DECLINED`]).
pub const FREQUENCY_TOKENS: [&str; 4] = ["never", "sometimes", "often", "dont_know"];
/// Tags the risk-grading engine understands (see [`crate::grading`]).
pub const KNOWN_TAGS: [&str; 5] =
    ["separation", "coercive_control", "physical_violence", "sexual_violence", "children"];

/// What a pack is for. Closing-code gates are satisfied by *kind*, so a force can
/// replace the shipped DASH pack by its own risk-assessment pack without code changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PackKind {
    /// DA risk assessment (DASH-, DARA-style or local variant).
    RiskAssessment,
    /// DA safeguarding plan.
    SafeguardingPlan,
    /// Concern-for-a-Child referral and care plan.
    CarePlan,
    /// Anything else; never satisfies a closing-code requirement.
    Other,
}

impl PackKind {
    /// Human label used in UI strings.
    pub fn label(self) -> &'static str {
        match self {
            PackKind::RiskAssessment => "risk assessment",
            PackKind::SafeguardingPlan => "safeguarding plan",
            PackKind::CarePlan => "care plan",
            PackKind::Other => "form",
        }
    }
}

/// A versioned form pack (one JSON file under `assets/forms/`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormPack {
    /// Stable id, `[a-z0-9._-]+`, e.g. `"dash-style-da-risk"`.
    pub id: String,
    /// Pack version; answers are always stored with `(id, version)`.
    pub version: String,
    /// Title shown to officers.
    pub title: String,
    /// What the pack is for.
    pub kind: PackKind,
    /// Optional description / licensing or provenance notice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Submitting requires the officer's own risk grade and rationale on the record.
    #[serde(default)]
    pub requires_grade: bool,
    /// Risk-grading rules (only meaningful for risk assessments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grading: Option<PackGrading>,
    /// Wizard pages, in order.
    pub sections: Vec<Section>,
}

/// Pack-level grading rules.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackGrading {
    /// Count bands on positive ("yes") answers of scored questions, e.g. DASH 10 / 14.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_bands: Option<CountBands>,
    /// Grade suggested at least when any high-risk-flagged question is answered positively.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high_risk_factor_grade: Option<Grade>,
    /// Check the cluster of three (separation + coercive control + physical/sexual violence)
    /// using question tags. Default true.
    #[serde(default = "default_true")]
    pub cluster_of_three: bool,
}

/// Positive-answer count thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountBands {
    /// At or above this count: at least medium.
    pub medium: u32,
    /// At or above this count: high.
    pub high: u32,
}

fn default_true() -> bool {
    true
}

/// One wizard page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// Unique id within the pack.
    pub id: String,
    /// Page title.
    pub title: String,
    /// Guidance shown at the top of the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guidance: Option<String>,
    /// Show the page only when this holds (may reference questions of earlier pages only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<Condition>,
    /// Questions, in order.
    pub questions: Vec<Question>,
}

/// Answer type of a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    /// `"yes" | "no" | "dont_know"`.
    YesNo,
    /// `"never" | "sometimes" | "often" | "dont_know"`.
    Frequency,
    /// One option id.
    SingleChoice,
    /// Array of option ids.
    MultiChoice,
    /// Free text (string).
    Text,
    /// `"YYYY-MM-DD"`.
    Date,
    /// `"YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]"` or unix seconds (integer).
    Datetime,
    /// JSON number.
    Number,
    /// Nominal id (string) of a person linked to the incident.
    Person,
    /// Repeating group: array of objects keyed by the group's field ids.
    Group,
}

impl QuestionType {
    /// Types whose answers can be positive (and so scored / flagged).
    pub fn is_scorable(self) -> bool {
        matches!(
            self,
            QuestionType::YesNo | QuestionType::Frequency | QuestionType::SingleChoice | QuestionType::MultiChoice
        )
    }
    /// Name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            QuestionType::YesNo => "yes_no",
            QuestionType::Frequency => "frequency",
            QuestionType::SingleChoice => "single_choice",
            QuestionType::MultiChoice => "multi_choice",
            QuestionType::Text => "text",
            QuestionType::Date => "date",
            QuestionType::Datetime => "datetime",
            QuestionType::Number => "number",
            QuestionType::Person => "person",
            QuestionType::Group => "group",
        }
    }
}

/// Where an answer should come from (UI hint; research §B2: corroborate by checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerSource {
    /// Asked of the victim.
    Victim,
    /// From PNC/PND/local checks.
    Checks,
    /// Officer's own observation.
    Officer,
}

/// One question (or one field of a repeating group).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Unique id within the pack (within the group for group fields). Must not start with `_`.
    pub id: String,
    /// Display number, e.g. `"8"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Question text (paraphrased theme for licensed instruments).
    pub text: String,
    /// Answer type.
    #[serde(rename = "type")]
    pub qtype: QuestionType,
    /// Inline guidance for the officer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guidance: Option<String>,
    /// Must be answered (declining counts as an answer unless `allow_declined` is false).
    #[serde(default)]
    pub required: bool,
    /// Mandatory when this holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_if: Option<Condition>,
    /// Show only when this holds (earlier questions only; siblings for group fields).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<Condition>,
    /// "Declined to answer" allowed. Default true.
    #[serde(default = "default_true")]
    pub allow_declined: bool,
    /// Options for single/multi choice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<ChoiceOption>,
    /// Fields of a repeating group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Question>,
    /// Minimum number of group items when answered (required groups need at least 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_items: Option<u32>,
    /// Maximum number of group items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u32>,
    /// Label of one group item, e.g. `"Child"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_label: Option<String>,
    /// Maximum text length in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Number bounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Number bounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Dates/datetimes must not be after `now` (checked only when the caller passes `now`).
    #[serde(default)]
    pub not_in_future: bool,
    /// Dates must not be before today (a review date, an action's due date: one already past
    /// makes the plan overdue the moment it is submitted); checked only when the caller passes
    /// `now`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_in_past: bool,
    /// How far from now the answer may be, in days: back from today for a `not_in_future`
    /// question (a concern in 1900, a child born in 1900), ahead of it for a `not_in_past` one
    /// (a review in 2099). A `not_in_past` date without it may be at most
    /// [`DEFAULT_DAYS_AHEAD`] ahead (a later one is a slip of the year). Checked only when the
    /// caller passes `now`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within_days: Option<u32>,
    /// A text question holding a phone number to contact the victim safely: the store refuses
    /// the submission when it is a number held for a suspect linked to the incident.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub safe_contact_number: bool,
    /// A person question whose answer may not be the person chosen for this other top-level
    /// person question (the person causing harm is not the victim).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_same_as: Option<String>,
    /// Counts towards the positive-answer ("yes") total. Default: true for yes_no/frequency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scored: Option<bool>,
    /// A positive answer is a high-risk factor (bold on the police form).
    #[serde(default)]
    pub high_risk: bool,
    /// A positive answer suggests at least this grade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggest_grade: Option<Grade>,
    /// Grading tags, see [`KNOWN_TAGS`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Where the answer should come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<AnswerSource>,
    /// Prompt for an optional free-text note attached to the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_prompt: Option<String>,
}

/// How far ahead a `not_in_past` date may be without its own `within_days`: a year and a day.
pub const DEFAULT_DAYS_AHEAD: u32 = 366;
/// The largest `within_days` (about 120 years).
pub const MAX_WITHIN_DAYS: u32 = 43_830;

impl Question {
    /// Whether "declined to answer" is allowed: not when the pack says so, and never for the
    /// officer's own observations (the victim declines to answer their questions; nobody
    /// declines the officer's). A DARA-style assessment with every answer declined, the
    /// officer's observations included, read as a plain "Standard" (review, 7 Dec 2026). A
    /// question answered from checks as well as by the victim (DASH Q21, Q26) stays declinable
    /// unless its pack says otherwise.
    pub fn declinable(&self) -> bool {
        self.allow_declined && self.source != Some(AnswerSource::Officer)
    }

    /// Whether positive answers count towards the yes total.
    pub fn is_scored(&self) -> bool {
        self.scored.unwrap_or(matches!(self.qtype, QuestionType::YesNo | QuestionType::Frequency))
    }

    /// Option by id.
    pub fn option(&self, id: &str) -> Option<&ChoiceOption> {
        self.options.iter().find(|o| o.id == id)
    }

    /// Group field by id.
    pub fn field(&self, id: &str) -> Option<&Question> {
        self.fields.iter().find(|f| f.id == id)
    }
}

/// One option of a choice question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    /// Option id (the stored value). Must not be `"declined"`.
    pub id: String,
    /// Label shown.
    pub label: String,
    /// Whether choosing it is a positive answer. Default: true for multi choice
    /// (set false on "none" options), false for single choice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positive: Option<bool>,
}

/// A data condition for `show_if` / `required_if`.
///
/// Exactly one form must be used:
/// * `{"question": "q4", "equals": "yes"}` — the answer is that token (multi choice: includes it);
/// * `{"question": "q6", "one_of": ["yes", "dont_know"]}` — the answer is one of them (multi: any selected);
/// * `{"question": "q1", "answered": true}` — answered with a value (declined is not answered);
/// * `{"all": [..]}`, `{"any": [..]}`, `{"not": {..}}`.
///
/// Answers to hidden questions never satisfy a condition.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Question id the condition looks at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// Token the answer must equal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<String>,
    /// Tokens the answer must be one of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<String>>,
    /// Answered (true) / not answered (false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered: Option<bool>,
    /// All sub-conditions hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<Vec<Condition>>,
    /// At least one sub-condition holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any: Option<Vec<Condition>>,
    /// The sub-condition does not hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not: Option<Box<Condition>>,
}

impl Condition {
    /// Question ids this condition references (recursively).
    pub fn referenced_questions(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_refs(&mut out, 0);
        out
    }

    fn collect_refs<'a>(&'a self, out: &mut Vec<&'a str>, depth: usize) {
        if depth > MAX_CONDITION_DEPTH {
            return;
        }
        if let Some(q) = &self.question {
            out.push(q);
        }
        for c in self.all.iter().chain(self.any.iter()).flatten() {
            c.collect_refs(out, depth + 1);
        }
        if let Some(c) = &self.not {
            c.collect_refs(out, depth + 1);
        }
    }
}

/// Conditions nested deeper than this are rejected by [`validate_pack`] and evaluate to false.
pub const MAX_CONDITION_DEPTH: usize = 16;

/// One problem found in a pack (or closing-code / config file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackIssue {
    /// Path inside the document, e.g. `sections[2].questions[4].show_if`, or
    /// `line 3, column 7` for JSON syntax/shape errors.
    pub location: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for PackIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl PackIssue {
    pub(crate) fn new(location: impl Into<String>, message: impl Into<String>) -> Self {
        PackIssue { location: location.into(), message: message.into() }
    }

    pub(crate) fn from_serde(e: &serde_json::Error) -> Self {
        PackIssue::new(format!("line {}, column {}", e.line(), e.column()), e.to_string())
    }

    /// `Some` when `json` is well-formed JSON but not an object: serde reads a struct from an
    /// array too, by position, so `[]` was reported as "expected struct FormPack with 8
    /// elements", and a positional array could have passed (review, 7 Dec 2026). `what` names
    /// the file's kind ("a form pack").
    pub(crate) fn not_an_object(json: &str, what: &str) -> Option<PackIssue> {
        match serde_json::from_str::<serde::de::IgnoredAny>(json) {
            Err(_) => None,
            Ok(_) if json.trim_start().starts_with('{') => None,
            Ok(_) => Some(PackIssue::new("the whole file", format!("{what} must be a JSON object {{ ... }}"))),
        }
    }
}

/// Parse and validate a pack. Returns every issue on failure.
pub fn parse_pack(json: &str) -> Result<FormPack, FormsError> {
    if let Some(issue) = PackIssue::not_an_object(json, "a form pack") {
        return Err(FormsError::InvalidPack(vec![issue]));
    }
    let pack: FormPack =
        serde_json::from_str(json).map_err(|e| FormsError::InvalidPack(vec![PackIssue::from_serde(&e)]))?;
    let issues = check_pack(&pack);
    if issues.is_empty() {
        Ok(pack)
    } else {
        Err(FormsError::InvalidPack(issues))
    }
}

/// Validate a pack's JSON text. Empty result = valid. Never panics.
pub fn validate_pack(json: &str) -> Vec<PackIssue> {
    if let Some(issue) = PackIssue::not_an_object(json, "a form pack") {
        return vec![issue];
    }
    match serde_json::from_str::<FormPack>(json) {
        Ok(p) => check_pack(&p),
        Err(e) => vec![PackIssue::from_serde(&e)],
    }
}

pub(crate) fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-' || b == b'.')
        && !s.starts_with('_')
}

struct QInfo<'a> {
    q: &'a Question,
    /// Global order index (position in the pack).
    order: usize,
}

/// Semantic checks on an already-deserialised pack.
pub fn check_pack(pack: &FormPack) -> Vec<PackIssue> {
    let mut issues = Vec::new();
    if !valid_id(&pack.id) {
        issues.push(PackIssue::new("id", format!("invalid pack id {:?}: use 1-64 of a-z 0-9 . _ -", pack.id)));
    }
    if pack.version.trim().is_empty() {
        issues.push(PackIssue::new("version", "version must not be empty"));
    }
    if pack.title.trim().is_empty() {
        issues.push(PackIssue::new("title", "title must not be empty"));
    }
    if pack.sections.is_empty() {
        issues.push(PackIssue::new("sections", "a pack needs at least one section"));
    }
    // The issue's point: the officer's own grade and rationale. A force pack without them
    // satisfied the DA gate with neither (review, 7 Dec 2026).
    if pack.kind == PackKind::RiskAssessment && !pack.requires_grade {
        issues.push(PackIssue::new(
            "requires_grade",
            "a risk assessment must ask for the officer's own grade and rationale (requires_grade: true)",
        ));
    }
    if let Some(g) = &pack.grading {
        if let Some(b) = g.count_bands {
            if b.medium == 0 || b.high == 0 {
                issues.push(PackIssue::new(
                    "grading.count_bands",
                    "a band of 0 puts every assessment, with no answer yes, in that band",
                ));
            }
            if b.medium > b.high {
                issues.push(PackIssue::new(
                    "grading.count_bands",
                    format!("medium ({}) must not exceed high ({})", b.medium, b.high),
                ));
            }
        }
    }

    // Index of all top-level questions.
    let mut index: HashMap<&str, QInfo<'_>> = HashMap::new();
    let mut section_ids = HashSet::new();
    let mut order = 0usize;
    for (si, s) in pack.sections.iter().enumerate() {
        let sloc = format!("sections[{si}]");
        if !valid_id(&s.id) {
            issues.push(PackIssue::new(format!("{sloc}.id"), format!("invalid section id {:?}", s.id)));
        }
        if !section_ids.insert(s.id.as_str()) {
            issues.push(PackIssue::new(format!("{sloc}.id"), format!("duplicate section id {:?}", s.id)));
        }
        if s.title.trim().is_empty() {
            issues.push(PackIssue::new(format!("{sloc}.title"), "title must not be empty"));
        }
        if s.questions.is_empty() {
            issues.push(PackIssue::new(format!("{sloc}.questions"), "a section needs at least one question"));
        }
        for (qi, q) in s.questions.iter().enumerate() {
            let qloc = format!("{sloc}.questions[{qi}]");
            if index.contains_key(q.id.as_str()) {
                issues.push(PackIssue::new(format!("{qloc}.id"), format!("duplicate question id {:?}", q.id)));
            } else {
                index.insert(&q.id, QInfo { q, order });
            }
            order += 1;
        }
    }

    // Per-section and per-question checks.
    let mut order = 0usize;
    for (si, s) in pack.sections.iter().enumerate() {
        let sloc = format!("sections[{si}]");
        // Section show_if may reference questions of earlier sections only.
        let first_order = order;
        if let Some(c) = &s.show_if {
            check_condition(
                c,
                &format!("{sloc}.show_if"),
                &|id| index.get(id).map(|i| (i.q, i.order < first_order)),
                "an earlier section",
                &mut issues,
                0,
            );
        }
        for (qi, q) in s.questions.iter().enumerate() {
            let qloc = format!("{sloc}.questions[{qi}]");
            let my_order = order;
            check_question(q, &qloc, false, &mut issues);
            if let Some(c) = &q.show_if {
                check_condition(
                    c,
                    &format!("{qloc}.show_if"),
                    &|id| index.get(id).map(|i| (i.q, i.order < my_order)),
                    "an earlier question",
                    &mut issues,
                    0,
                );
            }
            if let Some(c) = &q.required_if {
                check_condition(
                    c,
                    &format!("{qloc}.required_if"),
                    &|id| index.get(id).map(|i| (i.q, i.order != my_order)),
                    "another question",
                    &mut issues,
                    0,
                );
            }
            if let Some(other) = &q.not_same_as {
                let ok = q.qtype == QuestionType::Person
                    && other != &q.id
                    && index.get(other.as_str()).is_some_and(|i| i.q.qtype == QuestionType::Person);
                if !ok {
                    issues.push(PackIssue::new(
                        format!("{qloc}.not_same_as"),
                        format!("not_same_as joins two different person questions; {other:?} is not another one"),
                    ));
                }
            }
            if q.qtype == QuestionType::Group {
                check_group_fields(q, &qloc, &mut issues);
            }
            order += 1;
        }
    }
    issues
}

fn check_group_fields(q: &Question, qloc: &str, issues: &mut Vec<PackIssue>) {
    let mut seen: HashMap<&str, (usize, &Question)> = HashMap::new();
    for (fi, f) in q.fields.iter().enumerate() {
        let floc = format!("{qloc}.fields[{fi}]");
        if seen.contains_key(f.id.as_str()) {
            issues.push(PackIssue::new(
                format!("{floc}.id"),
                format!("duplicate field id {:?} in group {:?}", f.id, q.id),
            ));
        }
        check_question(f, &floc, true, issues);
        for (name, cond, earlier_only) in [("show_if", &f.show_if, true), ("required_if", &f.required_if, false)] {
            if let Some(c) = cond {
                let lookup = |id: &str| {
                    if earlier_only {
                        seen.get(id).map(|(_, q)| (*q, true))
                    } else {
                        q.fields.iter().position(|x| x.id == id).map(|p| (&q.fields[p], p != fi))
                    }
                };
                check_condition(
                    c,
                    &format!("{floc}.{name}"),
                    &lookup,
                    if earlier_only { "an earlier field of the same group" } else { "another field of the same group" },
                    issues,
                    0,
                );
            }
        }
        seen.entry(&f.id).or_insert((fi, f));
    }
}

fn check_question(q: &Question, loc: &str, in_group: bool, issues: &mut Vec<PackIssue>) {
    let mut push = |field: &str, msg: String| {
        issues.push(PackIssue::new(if field.is_empty() { loc.to_string() } else { format!("{loc}.{field}") }, msg))
    };
    if !valid_id(&q.id) {
        push("id", format!("invalid question id {:?}: use 1-64 of a-z 0-9 . _ - (not starting with _)", q.id));
    }
    if q.text.trim().is_empty() {
        push("text", "text must not be empty".into());
    }
    let t = q.qtype;
    let choice = matches!(t, QuestionType::SingleChoice | QuestionType::MultiChoice);
    if choice {
        if q.options.is_empty() {
            push("options", format!("{} question needs options", t.name()));
        }
        let mut ids = HashSet::new();
        for (oi, o) in q.options.iter().enumerate() {
            if !valid_id(&o.id) || o.id == DECLINED {
                push(&format!("options[{oi}].id"), format!("invalid option id {:?} (\"declined\" is reserved)", o.id));
            }
            if !ids.insert(o.id.as_str()) {
                push(&format!("options[{oi}].id"), format!("duplicate option id {:?}", o.id));
            }
            if o.label.trim().is_empty() {
                push(&format!("options[{oi}].label"), "label must not be empty".into());
            }
        }
    } else if !q.options.is_empty() {
        push("options", format!("options are not allowed on a {} question", t.name()));
    }
    if t == QuestionType::Group {
        if in_group {
            push("type", "groups cannot be nested".into());
        }
        if q.fields.is_empty() {
            push("fields", "a group needs at least one field".into());
        }
        if let (Some(a), Some(b)) = (q.min_items, q.max_items) {
            if a > b {
                push("min_items", format!("min_items ({a}) exceeds max_items ({b})"));
            }
        }
        if q.max_items == Some(0) {
            push("max_items", "max_items must be at least 1".into());
        }
    } else {
        if !q.fields.is_empty() {
            push("fields", format!("fields are not allowed on a {} question", t.name()));
        }
        if q.min_items.is_some() || q.max_items.is_some() {
            push("min_items", "min_items/max_items are only for groups".into());
        }
    }
    if q.max_length.is_some() && t != QuestionType::Text {
        push("max_length", "max_length is only for text questions".into());
    }
    if (q.min.is_some() || q.max.is_some()) && t != QuestionType::Number {
        push("min", "min/max are only for number questions".into());
    }
    if let (Some(a), Some(b)) = (q.min, q.max) {
        if a > b || a.is_nan() || b.is_nan() {
            push("min", format!("min ({a}) exceeds max ({b})"));
        }
    }
    if q.safe_contact_number && t != QuestionType::Text {
        push("safe_contact_number", "safe_contact_number is only for text questions".into());
    }
    if q.not_in_past && t != QuestionType::Date {
        push("not_in_past", "not_in_past is only for date questions".into());
    }
    if q.not_in_future && !matches!(t, QuestionType::Date | QuestionType::Datetime) {
        push("not_in_future", "not_in_future is only for date/datetime questions".into());
    }
    if let Some(d) = q.within_days {
        if !(q.not_in_future || q.not_in_past) {
            push("within_days", "within_days needs not_in_future or not_in_past (which way it counts)".into());
        }
        if !(1..=MAX_WITHIN_DAYS).contains(&d) {
            push("within_days", format!("within_days must be from 1 to {MAX_WITHIN_DAYS}"));
        }
    }
    if !t.is_scorable() {
        if q.scored == Some(true) {
            push("scored", format!("a {} question cannot be scored", t.name()));
        }
        if q.high_risk {
            push("high_risk", format!("a {} question cannot be a high-risk factor", t.name()));
        }
        if q.suggest_grade.is_some() {
            push("suggest_grade", format!("a {} question cannot suggest a grade", t.name()));
        }
        if !q.tags.is_empty() {
            push("tags", format!("a {} question cannot carry grading tags", t.name()));
        }
    }
    if in_group && (q.scored == Some(true) || q.high_risk || !q.tags.is_empty()) {
        push("scored", "group fields are not graded".into());
    }
    for (ti, tag) in q.tags.iter().enumerate() {
        if !KNOWN_TAGS.contains(&tag.as_str()) {
            push(&format!("tags[{ti}]"), format!("unknown tag {tag:?} (known: {})", KNOWN_TAGS.join(", ")));
        }
    }
}

/// Valid `equals`/`one_of` tokens for a referenced question.
fn token_ok(q: &Question, token: &str) -> bool {
    if token == DECLINED {
        return true;
    }
    match q.qtype {
        QuestionType::YesNo => YES_NO_TOKENS.contains(&token),
        QuestionType::Frequency => FREQUENCY_TOKENS.contains(&token),
        QuestionType::SingleChoice | QuestionType::MultiChoice => q.option(token).is_some(),
        _ => false,
    }
}

#[allow(clippy::too_many_arguments)]
fn check_condition<'a>(
    c: &Condition,
    loc: &str,
    lookup: &dyn Fn(&str) -> Option<(&'a Question, bool)>,
    scope: &str,
    issues: &mut Vec<PackIssue>,
    depth: usize,
) {
    if depth > MAX_CONDITION_DEPTH {
        issues.push(PackIssue::new(loc, "condition nested too deeply"));
        return;
    }
    let has_q = c.question.is_some();
    let forms = [has_q, c.all.is_some(), c.any.is_some(), c.not.is_some()].iter().filter(|b| **b).count();
    if forms != 1 {
        issues.push(PackIssue::new(loc, "a condition needs exactly one of \"question\", \"all\", \"any\", \"not\""));
        return;
    }
    if let Some(id) = &c.question {
        let tests = [c.equals.is_some(), c.one_of.is_some(), c.answered.is_some()].iter().filter(|b| **b).count();
        if tests != 1 {
            issues.push(PackIssue::new(
                loc,
                "a question condition needs exactly one of \"equals\", \"one_of\", \"answered\"",
            ));
        }
        match lookup(id) {
            None => issues.push(PackIssue::new(loc, format!("unknown question id {id:?}"))),
            Some((_, false)) => issues.push(PackIssue::new(loc, format!("question {id:?} must be {scope}"))),
            Some((q, true)) => {
                if q.qtype == QuestionType::Group && c.answered.is_none() {
                    issues.push(PackIssue::new(loc, format!("group {id:?} can only be tested with \"answered\"")));
                }
                let tokens: Vec<&String> = c.equals.iter().chain(c.one_of.iter().flatten()).collect();
                if c.one_of.as_ref().is_some_and(|v| v.is_empty()) {
                    issues.push(PackIssue::new(loc, "\"one_of\" must not be empty"));
                }
                for t in tokens {
                    if !token_ok(q, t) {
                        issues.push(PackIssue::new(
                            loc,
                            format!("{t:?} is not a valid answer of {} question {id:?}", q.qtype.name()),
                        ));
                    }
                }
            }
        }
        return;
    }
    for (name, list) in [("all", &c.all), ("any", &c.any)] {
        if let Some(list) = list {
            if list.is_empty() {
                issues.push(PackIssue::new(format!("{loc}.{name}"), format!("\"{name}\" must not be empty")));
            }
            for (i, sub) in list.iter().enumerate() {
                check_condition(sub, &format!("{loc}.{name}[{i}]"), lookup, scope, issues, depth + 1);
            }
        }
    }
    if let Some(sub) = &c.not {
        check_condition(sub, &format!("{loc}.not"), lookup, scope, issues, depth + 1);
    }
}
