//! Answers: format, visibility (conditional sections), field-level validation and progress.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::FormsError;
use crate::pack::{
    Condition, FormPack, Question, QuestionType, DECLINED, FREQUENCY_TOKENS, MAX_CONDITION_DEPTH, YES_NO_TOKENS,
};
use crate::time::{parse_date, parse_datetime, uk_day};

/// Answers to one form: question id → value (see the crate docs for the format).
pub type Answers = serde_json::Map<String, Value>;

/// Parse an answers JSON object.
pub fn parse_answers(json: &str) -> Result<Answers, FormsError> {
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(FormsError::InvalidAnswers("answers must be a JSON object".into())),
        Err(e) => Err(FormsError::InvalidAnswers(e.to_string())),
    }
}

/// Facts about the incident that validation needs; all optional.
#[derive(Debug, Clone, Copy, Default)]
pub struct ValidationContext<'a> {
    /// Nominal ids linked to the incident; when given, person answers must be one of them.
    pub linked_nominals: Option<&'a [String]>,
    /// "Now" (unix seconds) for `not_in_future` checks; skipped when `None`.
    pub now: Option<i64>,
    /// The instant `not_in_past` dates are measured from, when not `now`: for an amendment, the
    /// first submission of the form it amends. A plan returned by a supervisor days later kept
    /// action and review dates that were due then and have passed since, and could not be
    /// submitted again without moving them (review, 7 Dec 2026).
    pub dates_from: Option<i64>,
}

/// A resolved answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Answer<'a> {
    /// No answer (missing, null, empty string or empty array).
    Absent,
    /// The person declined to answer.
    Declined,
    /// A value (not yet type-checked).
    Value(&'a Value),
}

impl<'a> Answer<'a> {
    /// Resolve a raw JSON answer for a question (unwraps `{"value": ..}` / `{"declined": true}`).
    pub fn resolve(raw: Option<&'a Value>, q: &Question) -> Answer<'a> {
        let Some(mut v) = raw else {
            return Answer::Absent;
        };
        if let Value::Object(m) = v {
            if m.get("declined") == Some(&Value::Bool(true)) {
                return Answer::Declined;
            }
            if let Some(inner) = m.get("value") {
                v = inner;
            } else if m.contains_key("declined") {
                return Answer::Absent;
            }
        }
        match v {
            Value::Null => Answer::Absent,
            Value::String(s) if is_blank(s) => Answer::Absent,
            Value::String(s) if s == DECLINED && q.qtype != QuestionType::Text => Answer::Declined,
            Value::Array(a) if a.is_empty() => Answer::Absent,
            other => Answer::Value(other),
        }
    }

    /// Answered with a value or declined.
    pub fn is_answered(&self) -> bool {
        !matches!(self, Answer::Absent)
    }
}

/// Tokens of an answer for condition matching.
fn tokens<'a>(ans: Answer<'a>) -> Vec<&'a str> {
    match ans {
        Answer::Absent => vec![],
        Answer::Declined => vec![DECLINED],
        Answer::Value(Value::String(s)) => vec![s.as_str()],
        Answer::Value(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        Answer::Value(_) => vec![],
    }
}

/// Whether an answer is positive ("yes"-like) for grading.
///
/// yes_no: `yes`; frequency: `sometimes`/`often`; single choice: an option with
/// `positive: true`; multi choice: any selected option not marked `positive: false`.
pub fn is_positive(q: &Question, ans: Answer<'_>) -> bool {
    let Answer::Value(v) = ans else {
        return false;
    };
    match (q.qtype, v) {
        (QuestionType::YesNo, Value::String(s)) => s == "yes",
        (QuestionType::Frequency, Value::String(s)) => s == "sometimes" || s == "often",
        (QuestionType::SingleChoice, Value::String(s)) => q.option(s).and_then(|o| o.positive).unwrap_or(false),
        (QuestionType::MultiChoice, Value::Array(a)) => {
            a.iter().any(|x| x.as_str().and_then(|s| q.option(s)).is_some_and(|o| o.positive.unwrap_or(true)))
        }
        _ => false,
    }
}

/// Evaluate a condition. `lookup` returns the referenced question and its answer when
/// that question is visible, `None` otherwise (hidden answers never count).
pub(crate) fn eval_condition<'a>(
    c: &Condition,
    lookup: &dyn Fn(&str) -> Option<(&'a Question, Answer<'a>)>,
    depth: usize,
) -> bool {
    if depth > MAX_CONDITION_DEPTH {
        return false;
    }
    if let Some(id) = &c.question {
        let Some((_, ans)) = lookup(id) else {
            return c.answered == Some(false);
        };
        if let Some(want) = c.answered {
            return matches!(ans, Answer::Value(_)) == want;
        }
        let toks = tokens(ans);
        if let Some(eq) = &c.equals {
            return toks.iter().any(|t| t == eq);
        }
        if let Some(list) = &c.one_of {
            return toks.iter().any(|t| list.iter().any(|l| l == t));
        }
        return false;
    }
    if let Some(all) = &c.all {
        return all.iter().all(|s| eval_condition(s, lookup, depth + 1));
    }
    if let Some(any) = &c.any {
        return any.iter().any(|s| eval_condition(s, lookup, depth + 1));
    }
    if let Some(n) = &c.not {
        return !eval_condition(n, lookup, depth + 1);
    }
    false
}

/// A missing condition holds.
fn condition_holds<'a>(c: Option<&Condition>, lookup: &dyn Fn(&str) -> Option<(&'a Question, Answer<'a>)>) -> bool {
    match c {
        None => true,
        Some(c) => eval_condition(c, lookup, 0),
    }
}

/// Visibility of every section and question given answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visibility {
    /// Per section.
    pub sections: Vec<bool>,
    /// Per section, per question (false when the section is hidden).
    pub questions: Vec<Vec<bool>>,
}

impl Visibility {
    /// Compute visibility in pack order (conditions see only earlier, visible answers).
    pub fn compute(pack: &FormPack, answers: &Answers) -> Visibility {
        let mut visible: HashMap<&str, &Question> = HashMap::new();
        let mut sections = Vec::with_capacity(pack.sections.len());
        let mut questions = Vec::with_capacity(pack.sections.len());
        for s in &pack.sections {
            let sv = {
                let lookup = |id: &str| visible.get(id).map(|q| (*q, Answer::resolve(answers.get(id), q)));
                condition_holds(s.show_if.as_ref(), &lookup)
            };
            let mut qs = Vec::with_capacity(s.questions.len());
            for q in &s.questions {
                let qv = sv && {
                    let lookup = |id: &str| visible.get(id).map(|q| (*q, Answer::resolve(answers.get(id), q)));
                    condition_holds(q.show_if.as_ref(), &lookup)
                };
                if qv {
                    visible.entry(q.id.as_str()).or_insert(q);
                }
                qs.push(qv);
            }
            sections.push(sv);
            questions.push(qs);
        }
        Visibility { sections, questions }
    }

    /// Visible top-level questions, with their section index, in pack order.
    pub fn visible_questions<'a>(&'a self, pack: &'a FormPack) -> impl Iterator<Item = (usize, &'a Question)> + 'a {
        let qs = &self.questions;
        pack.sections.iter().enumerate().flat_map(move |(si, s)| {
            s.questions
                .iter()
                .enumerate()
                .filter(move |(qi, _)| qs.get(si).and_then(|v| v.get(*qi)).copied().unwrap_or(false))
                .map(move |(_, q)| (si, q))
        })
    }
}

/// Ids of the sections (wizard pages) visible for these answers, in order.
pub fn visible_sections(pack: &FormPack, answers: &Answers) -> Vec<String> {
    let vis = Visibility::compute(pack, answers);
    pack.sections.iter().zip(&vis.sections).filter(|(_, v)| **v).map(|(s, _)| s.id.clone()).collect()
}

/// Kind of a field-level issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    /// Mandatory question not answered.
    Missing,
    /// Value of the wrong JSON type.
    WrongType,
    /// Not a valid date / datetime.
    BadDate,
    /// Not one of the allowed options / tokens.
    UnknownOption,
    /// Person is not linked to the incident.
    UnknownPerson,
    /// "Declined" is not allowed for this question.
    DeclinedNotAllowed,
    /// Fewer group items than required.
    TooFewItems,
    /// More group items than allowed.
    TooManyItems,
    /// Text longer than allowed.
    TooLong,
    /// Number out of range.
    OutOfRange,
    /// Date/time in the future.
    InFuture,
    /// Date before today where it must not be (`not_in_past`).
    InPast,
    /// A "safe" contact number that is a suspect's (`safe_contact_number`).
    UnsafeContact,
    /// Answer key that is not a question of this pack.
    UnknownQuestion,
    /// Options that contradict each other ("None" ticked with another option).
    Contradictory,
}

/// One field-level issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldIssue {
    /// Path in the answers, e.g. `q1`, `q1.note`, `children[0].dob`.
    pub path: String,
    /// Top-level question id.
    pub question_id: String,
    /// Section id, when the question belongs to one.
    pub section_id: Option<String>,
    /// Kind.
    pub kind: IssueKind,
    /// Message for the officer.
    pub message: String,
}

struct Ctx<'c, 'a> {
    ctx: &'c ValidationContext<'a>,
    section: Option<&'c str>,
    top: &'c str,
    issues: Vec<FieldIssue>,
}

impl Ctx<'_, '_> {
    fn push(&mut self, path: &str, kind: IssueKind, message: String) {
        self.issues.push(FieldIssue {
            path: path.to_string(),
            question_id: self.top.to_string(),
            section_id: self.section.map(str::to_string),
            kind,
            message,
        });
    }
}

fn too_far_back(q: &Question, days: u32) -> String {
    format!("{}: more than {days} days ago: check the year", label(q))
}

fn label(q: &Question) -> String {
    match &q.number {
        Some(n) => format!("Question {n}"),
        None => format!("\"{}\"", q.text),
    }
}

/// All field-level issues for the visible parts of the form, in pack order.
///
/// Answers to hidden sections/questions are ignored (kept, not validated). Keys starting
/// with `_` are reserved for UI metadata and ignored. Never panics.
pub fn validate_answers(pack: &FormPack, answers: &Answers, ctx: &ValidationContext<'_>) -> Vec<FieldIssue> {
    let vis = Visibility::compute(pack, answers);
    validate_with(pack, answers, ctx, &vis)
}

fn validate_with(pack: &FormPack, answers: &Answers, ctx: &ValidationContext<'_>, vis: &Visibility) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    let visible: HashMap<&str, &Question> = vis.visible_questions(pack).map(|(_, q)| (q.id.as_str(), q)).collect();
    let lookup = |id: &str| visible.get(id).map(|q| (*q, Answer::resolve(answers.get(id), q)));
    for (si, q) in vis.visible_questions(pack) {
        let mut c = Ctx { ctx, section: pack.sections.get(si).map(|s| s.id.as_str()), top: &q.id, issues: Vec::new() };
        let required = q.required || q.required_if.as_ref().is_some_and(|cond| eval_condition(cond, &lookup, 0));
        check_answer(q, answers.get(&q.id), &q.id, required, &mut c);
        // Two people who must differ (the victim and the person causing harm): the same one
        // chosen twice made the assessment's history the victim's own call-outs as a suspect.
        if let Some(other) = q.not_same_as.as_deref().and_then(|o| visible.get(o)) {
            let person = |q: &Question| match Answer::resolve(answers.get(&q.id), q) {
                Answer::Value(Value::String(id)) if !id.trim().is_empty() => Some(id.trim().to_string()),
                _ => None,
            };
            if let (Some(a), Some(b)) = (person(q), person(other)) {
                if a == b {
                    c.push(
                        &q.id,
                        IssueKind::Contradictory,
                        format!("{}: the same person as {}", label(q), label(other)),
                    );
                }
            }
        }
        issues.append(&mut c.issues);
    }
    let known: HashMap<&str, ()> =
        pack.sections.iter().flat_map(|s| s.questions.iter()).map(|q| (q.id.as_str(), ())).collect();
    for key in answers.keys() {
        if !key.starts_with('_') && !known.contains_key(key.as_str()) {
            issues.push(FieldIssue {
                path: key.clone(),
                question_id: key.clone(),
                section_id: None,
                kind: IssueKind::UnknownQuestion,
                message: format!("{key:?} is not a question of pack {}", pack.id),
            });
        }
    }
    issues
}

fn check_answer(q: &Question, raw: Option<&Value>, path: &str, required: bool, c: &mut Ctx<'_, '_>) {
    if let Some(Value::Object(m)) = raw {
        if let Some(n) = m.get("note") {
            if !n.is_string() && !n.is_null() {
                c.push(&format!("{path}.note"), IssueKind::WrongType, format!("{}: the note must be text", label(q)));
            }
        }
    }
    match Answer::resolve(raw, q) {
        Answer::Absent => {
            if required {
                c.push(path, IssueKind::Missing, format!("{} is mandatory", label(q)));
            }
        }
        Answer::Declined => {
            if !q.declinable() {
                c.push(path, IssueKind::DeclinedNotAllowed, format!("{} cannot be declined", label(q)));
            }
        }
        // A required text of punctuation alone ("." as the reason for no MARAC referral, "-" as
        // an action) made a plan with nothing in it pass (review, 7 Dec 2026).
        Answer::Value(Value::String(s)) if required && q.qtype == QuestionType::Text && says_nothing(s) => {
            c.push(path, IssueKind::Missing, format!("{} is mandatory: write it in words", label(q)))
        }
        Answer::Value(v) => check_value(q, v, path, c),
    }
}

fn expect_token(q: &Question, v: &Value, path: &str, allowed: &[&str], what: &str, c: &mut Ctx<'_, '_>) {
    match v {
        Value::String(s) if allowed.contains(&s.as_str()) => {}
        Value::String(s) => c.push(path, IssueKind::UnknownOption, format!("{}: {s:?} is not {what}", label(q))),
        _ => c.push(path, IssueKind::WrongType, format!("{}: expected {what}", label(q))),
    }
}

fn check_value(q: &Question, v: &Value, path: &str, c: &mut Ctx<'_, '_>) {
    match q.qtype {
        QuestionType::YesNo => expect_token(q, v, path, &YES_NO_TOKENS, "yes / no / dont_know", c),
        QuestionType::Frequency => {
            expect_token(q, v, path, &FREQUENCY_TOKENS, "never / sometimes / often / dont_know", c)
        }
        QuestionType::SingleChoice => {
            let ids: Vec<&str> = q.options.iter().map(|o| o.id.as_str()).collect();
            expect_token(q, v, path, &ids, "one of the options", c)
        }
        QuestionType::MultiChoice => match v {
            Value::Array(items) => {
                let mut seen = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let p = format!("{path}[{i}]");
                    match item.as_str() {
                        Some(s) if q.option(s).is_some() => {
                            if seen.contains(&s) {
                                c.push(&p, IssueKind::UnknownOption, format!("{}: {s:?} chosen twice", label(q)));
                            }
                            seen.push(s);
                        }
                        Some(s) => c.push(
                            &p,
                            IssueKind::UnknownOption,
                            format!("{}: {s:?} is not one of the options", label(q)),
                        ),
                        None => c.push(&p, IssueKind::WrongType, format!("{}: expected an option id", label(q))),
                    }
                }
                // "None" ticked with a positive option: the grade would count the positive one,
                // and the record would say both. The officer says which holds.
                let chosen = || seen.iter().filter_map(|s| q.option(s));
                if let Some(none) = chosen().find(|o| o.positive == Some(false)) {
                    if chosen().any(|o| o.positive != Some(false)) {
                        c.push(
                            path,
                            IssueKind::Contradictory,
                            format!(
                                "{}: \"{}\" is ticked with other options: untick one or the other",
                                label(q),
                                none.label
                            ),
                        );
                    }
                }
            }
            _ => c.push(path, IssueKind::WrongType, format!("{}: expected a list of options", label(q))),
        },
        QuestionType::Text => match v {
            Value::String(s) => {
                if let Some(max) = q.max_length {
                    let n = s.chars().count();
                    if n > max as usize {
                        c.push(
                            path,
                            IssueKind::TooLong,
                            format!("{}: {n} characters, at most {max} allowed", label(q)),
                        );
                    }
                }
            }
            _ => c.push(path, IssueKind::WrongType, format!("{}: expected text", label(q))),
        },
        QuestionType::Date => match v.as_str().map(parse_date) {
            Some(Some(days)) => {
                if let (true, Some(now)) = (q.not_in_future, c.ctx.now) {
                    if days > uk_day(now) {
                        c.push(path, IssueKind::InFuture, format!("{}: date is in the future", label(q)));
                    }
                }
                if let (true, Some(from)) = (q.not_in_past, c.ctx.dates_from.or(c.ctx.now)) {
                    if days < uk_day(from) {
                        c.push(path, IssueKind::InPast, format!("{}: date is in the past", label(q)));
                    }
                }
                // How far from today (review, 7 Dec 2026: a review in 2099 and an action due in
                // 9999 satisfied the gate; a child born in 1900 and a concern of 1900 passed).
                if let Some(now) = c.ctx.now {
                    let today = uk_day(now);
                    if q.not_in_past {
                        let ahead = i64::from(q.within_days.unwrap_or(crate::pack::DEFAULT_DAYS_AHEAD));
                        if days > today + ahead {
                            c.push(
                                path,
                                IssueKind::OutOfRange,
                                format!("{}: more than {ahead} days ahead: check the year", label(q)),
                            );
                        }
                    }
                    if let (true, Some(back)) = (q.not_in_future, q.within_days) {
                        if days < today - i64::from(back) {
                            c.push(path, IssueKind::OutOfRange, too_far_back(q, back));
                        }
                    }
                }
            }
            Some(None) => c.push(path, IssueKind::BadDate, format!("{}: not a valid date (YYYY-MM-DD)", label(q))),
            None => c.push(path, IssueKind::WrongType, format!("{}: expected a date (YYYY-MM-DD)", label(q))),
        },
        QuestionType::Datetime => {
            // Only where the caller passes "now" (the device): the central service checks a form
            // a device on an older release accepted, and must not refuse it for good for a rule
            // that came later (before-stop review, 7 Dec 2026).
            if let (Value::String(s), Some(_)) = (v, c.ctx.now) {
                if crate::time::in_skipped_hour(s) {
                    c.push(
                        path,
                        IssueKind::BadDate,
                        format!(
                            "{}: {} did not happen in UK time (the clocks went forward from 01:00 to 02:00 that \
                             night): enter the time as it was shown after the change, or add +00:00 for GMT",
                            label(q),
                            s.trim()
                        ),
                    );
                    return;
                }
            }
            let t = match v {
                Value::String(s) => parse_datetime(s).ok_or(IssueKind::BadDate),
                // Unix seconds, within the years 1900 to 9999 as a typed one is (`-99999999999999`,
                // millions of years ago, was taken; review, 7 Dec 2026).
                Value::Number(n) => {
                    n.as_i64().filter(|t| (-2_208_988_800..=253_402_300_799).contains(t)).ok_or(IssueKind::BadDate)
                }
                _ => Err(IssueKind::WrongType),
            };
            match t {
                Ok(t) => {
                    if let (true, Some(now)) = (q.not_in_future, c.ctx.now) {
                        if t > now {
                            c.push(path, IssueKind::InFuture, format!("{}: time is in the future", label(q)));
                        }
                        if let Some(back) = q.within_days {
                            if uk_day(t) < uk_day(now) - i64::from(back) {
                                c.push(path, IssueKind::OutOfRange, too_far_back(q, back));
                            }
                        }
                    }
                }
                Err(kind) => c.push(path, kind, format!("{}: not a valid date and time (YYYY-MM-DDTHH:MM)", label(q))),
            }
        }
        QuestionType::Number => match v.as_f64() {
            Some(x) if x.is_finite() => {
                let low = q.min.is_some_and(|m| x < m);
                let high = q.max.is_some_and(|m| x > m);
                if low || high {
                    c.push(
                        path,
                        IssueKind::OutOfRange,
                        format!(
                            "{}: {x} is outside {}..{}",
                            label(q),
                            q.min.map_or("".into(), |m| m.to_string()),
                            q.max.map_or("".into(), |m| m.to_string())
                        ),
                    );
                }
            }
            _ => c.push(path, IssueKind::WrongType, format!("{}: expected a number", label(q))),
        },
        QuestionType::Person => match v {
            Value::String(id) => {
                if let Some(linked) = c.ctx.linked_nominals {
                    if !linked.iter().any(|l| l == id) {
                        c.push(
                            path,
                            IssueKind::UnknownPerson,
                            format!("{}: person {id:?} is not linked to the incident", label(q)),
                        );
                    }
                }
            }
            _ => c.push(path, IssueKind::WrongType, format!("{}: expected a linked person", label(q))),
        },
        QuestionType::Group => check_group(q, v, path, c),
    }
}

fn check_group(q: &Question, v: &Value, path: &str, c: &mut Ctx<'_, '_>) {
    let Value::Array(items) = v else {
        c.push(path, IssueKind::WrongType, format!("{}: expected a list", label(q)));
        return;
    };
    let item_label = q.item_label.as_deref().unwrap_or("item");
    let n = items.len();
    let min = q.min_items.unwrap_or(0) as usize;
    if n < min {
        c.push(path, IssueKind::TooFewItems, format!("{}: at least {min} {item_label}(s) needed", label(q)));
    }
    if let Some(max) = q.max_items {
        if n > max as usize {
            c.push(path, IssueKind::TooManyItems, format!("{}: at most {max} {item_label}(s) allowed", label(q)));
        }
    }
    for (i, item) in items.iter().enumerate() {
        let ipath = format!("{path}[{i}]");
        let Value::Object(obj) = item else {
            c.push(&ipath, IssueKind::WrongType, format!("{}: each {item_label} must be an object", label(q)));
            continue;
        };
        let shown = group_item_visibility(q, obj);
        let visible: HashMap<&str, &Question> =
            q.fields.iter().zip(&shown).filter(|(_, v)| **v).map(|(f, _)| (f.id.as_str(), f)).collect();
        let lookup = |id: &str| visible.get(id).map(|fq| (*fq, Answer::resolve(obj.get(id), fq)));
        for (f, fv) in q.fields.iter().zip(&shown) {
            if !fv {
                continue;
            }
            let required = f.required || f.required_if.as_ref().is_some_and(|cnd| eval_condition(cnd, &lookup, 0));
            check_answer(f, obj.get(&f.id), &format!("{ipath}.{}", f.id), required, c);
        }
        for key in obj.keys() {
            if !key.starts_with('_') && q.field(key).is_none() {
                c.push(
                    &format!("{ipath}.{key}"),
                    IssueKind::UnknownQuestion,
                    format!("{}: {key:?} is not a field of this {item_label}", label(q)),
                );
            }
        }
    }
}

/// Visibility of the fields of one repeating-group item, in field order (conditions see the
/// item's earlier, visible fields only). The wizard shows a row's fields with it; validation
/// checks the same ones.
pub fn group_item_visibility(group: &Question, item: &serde_json::Map<String, Value>) -> Vec<bool> {
    let mut visible: HashMap<&str, &Question> = HashMap::new();
    let mut shown = Vec::with_capacity(group.fields.len());
    for f in &group.fields {
        let fv = {
            let lookup = |id: &str| visible.get(id).map(|fq| (*fq, Answer::resolve(item.get(id), fq)));
            condition_holds(f.show_if.as_ref(), &lookup)
        };
        if fv {
            visible.entry(f.id.as_str()).or_insert(f);
        }
        shown.push(fv);
    }
    shown
}

/// Completion of a form.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Visible sections without any issue.
    pub sections_complete: usize,
    /// Visible sections.
    pub sections_total: usize,
    /// Visible top-level questions answered (declined counts).
    pub questions_answered: usize,
    /// Visible top-level questions.
    pub questions_visible: usize,
}

impl Progress {
    /// Percentage of complete sections (0-100).
    pub fn percent(&self) -> u8 {
        if self.sections_total == 0 {
            return 100;
        }
        let p = self.sections_complete * 100 / self.sections_total;
        u8::try_from(p.min(100)).unwrap_or(100)
    }

    /// All visible sections complete.
    pub fn is_complete(&self) -> bool {
        self.sections_complete == self.sections_total
    }
}

/// Status of one section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionStatus {
    /// Section id.
    pub id: String,
    /// Visible for these answers.
    pub visible: bool,
    /// Visible and without issues.
    pub complete: bool,
    /// Number of issues in the section.
    pub issues: usize,
}

/// Everything the wizard needs after each edit, in one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Visible section ids, in order.
    pub visible_sections: Vec<String>,
    /// Every section with its status.
    pub sections: Vec<SectionStatus>,
    /// All field-level issues (visible parts only, plus unknown keys).
    pub issues: Vec<FieldIssue>,
    /// Progress.
    pub progress: Progress,
}

/// Visibility, issues, per-section status and progress in one pass.
pub fn evaluate(pack: &FormPack, answers: &Answers, ctx: &ValidationContext<'_>) -> Evaluation {
    let vis = Visibility::compute(pack, answers);
    let issues = validate_with(pack, answers, ctx, &vis);
    let mut sections = Vec::with_capacity(pack.sections.len());
    let mut progress = Progress::default();
    for (si, s) in pack.sections.iter().enumerate() {
        let visible = vis.sections.get(si).copied().unwrap_or(false);
        let n = issues.iter().filter(|i| i.section_id.as_deref() == Some(s.id.as_str())).count();
        if visible {
            progress.sections_total += 1;
            if n == 0 {
                progress.sections_complete += 1;
            }
        }
        sections.push(SectionStatus { id: s.id.clone(), visible, complete: visible && n == 0, issues: n });
    }
    for (_, q) in vis.visible_questions(pack) {
        progress.questions_visible += 1;
        if Answer::resolve(answers.get(&q.id), q).is_answered() {
            progress.questions_answered += 1;
        }
    }
    Evaluation {
        visible_sections: sections.iter().filter(|s| s.visible).map(|s| s.id.clone()).collect(),
        sections,
        issues,
        progress,
    }
}

/// Progress only (see [`evaluate`]).
pub fn progress(pack: &FormPack, answers: &Answers, ctx: &ValidationContext<'_>) -> Progress {
    evaluate(pack, answers, ctx).progress
}

/// Reserved answers key under which [`carry_forward`] keeps the answers another version of the
/// pack had and this one has no place for: `{"from": "<version>", "answers": {path: value}}`.
pub const CARRIED_KEY: &str = "_carried";

/// A draft's answers, given against version `from_version` of `pack`, carried forward to the
/// installed version (an app update changed the pack). Answers are keyed by question id, so
/// what still has a question keeps its answer, and a new required question simply shows as
/// missing. An answer to a question (or a group field) the pack no longer has is moved under
/// [`CARRIED_KEY`] with its path, never lost, and no longer blocks submitting. Reserved `_` keys
/// are kept. Answers already of this version come back unchanged.
pub fn carry_forward(answers: &Answers, from_version: &str, pack: &FormPack) -> Answers {
    if from_version == pack.version {
        return answers.clone();
    }
    let known: HashMap<&str, &Question> =
        pack.sections.iter().flat_map(|s| s.questions.iter()).map(|q| (q.id.as_str(), q)).collect();
    let mut out = Answers::new();
    let mut carried = serde_json::Map::new();
    for (key, value) in answers {
        if key.starts_with('_') {
            out.insert(key.clone(), value.clone());
            continue;
        }
        let Some(q) = known.get(key.as_str()) else {
            carried.insert(key.clone(), value.clone());
            continue;
        };
        let mut value = value.clone();
        if q.qtype == QuestionType::Group {
            if let Value::Array(items) = &mut value {
                for (i, item) in items.iter_mut().enumerate() {
                    let Value::Object(obj) = item else { continue };
                    let gone: Vec<String> =
                        obj.keys().filter(|k| !k.starts_with('_') && q.field(k).is_none()).cloned().collect();
                    for f in gone {
                        if let Some(v) = obj.remove(&f) {
                            carried.insert(format!("{key}[{i}].{f}"), v);
                        }
                    }
                }
            }
        }
        out.insert(key.clone(), value);
    }
    if !carried.is_empty() {
        // A draft carried forward twice keeps what the first step set aside; for the same
        // question, the newer answer wins.
        let mut earlier = match out.remove(CARRIED_KEY) {
            Some(Value::Object(o)) => o.get("answers").and_then(Value::as_object).cloned().unwrap_or_default(),
            _ => serde_json::Map::new(),
        };
        for (k, v) in carried {
            earlier.insert(k, v);
        }
        out.insert(CARRIED_KEY.into(), serde_json::json!({ "from": from_version, "answers": earlier }));
    }
    out
}
/// Whether text says nothing: no letter or digit in any script (blank, punctuation, symbols or
/// emoji alone). What a required text, a rationale or a return's comments must not be.
pub fn says_nothing(s: &str) -> bool {
    !s.chars().any(char::is_alphanumeric)
}

/// Whether text shows nothing: only whitespace, control characters and invisible format
/// characters (zero-width space and joiners, direction marks and embeddings, soft hyphen, word
/// joiner, variation selectors, BOM, Hangul fillers, tags). A rationale or an answer of a
/// zero-width space pasted in is no rationale.
pub fn is_blank(s: &str) -> bool {
    s.chars().all(|c| {
        c.is_whitespace()
            || c.is_control()
            || matches!(c,
                '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
                | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}' | '\u{2800}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
                | '\u{FFA0}' | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E007F}')
    })
}
