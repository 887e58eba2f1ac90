//! Answers that pass validation (pure): for demos, tests and the simulated shift.

use serde_json::{json, Value};

use crate::pack::{FormPack, Question, QuestionType as T};
use crate::time::{civil_from_days, DAY};

/// Answers that pass validation for `pack`: every question answered (`positive`: yes / often /
/// first option; otherwise no / never), person questions with `people[0]` (victim) and
/// `people[1]` (perpetrator, suspected). Dates that may not be past are four weeks after `now`
/// (unix seconds); other dates and times a week before it.
pub fn sample_answers(pack: &FormPack, people: &[String], positive: bool, now: i64) -> Value {
    let (y, m, d) = civil_from_days((now + 28 * DAY).div_euclid(DAY));
    let later = format!("{y:04}-{m:02}-{d:02}");
    let (y, m, d) = civil_from_days((now - 7 * DAY).div_euclid(DAY));
    let earlier = format!("{y:04}-{m:02}-{d:02}");
    let mut out = serde_json::Map::new();
    for s in &pack.sections {
        for q in &s.questions {
            let idx = match q.id.as_str() {
                "perpetrator" | "suspected" => 1,
                _ => 0,
            };
            out.insert(q.id.clone(), value(q, people, positive, idx, &later, &earlier));
        }
    }
    // Hidden follow-up sections are answered too; validation ignores what is hidden.
    Value::Object(out)
}

fn value(q: &Question, people: &[String], positive: bool, idx: usize, later: &str, earlier: &str) -> Value {
    let person = people.get(idx.min(people.len().saturating_sub(1))).cloned().unwrap_or_default();
    match q.qtype {
        T::YesNo => json!(if positive { "yes" } else { "no" }),
        T::Frequency => json!(if positive { "often" } else { "never" }),
        T::SingleChoice => json!(q.options.first().map(|o| o.id.clone()).unwrap_or_default()),
        T::MultiChoice => {
            let o = if positive {
                q.options.iter().find(|o| o.positive.unwrap_or(true))
            } else {
                q.options.iter().find(|o| o.positive == Some(false))
            }
            .or(q.options.first());
            json!([o.map(|o| o.id.clone()).unwrap_or_default()])
        }
        T::Text => json!("Recorded."),
        T::Date if q.not_in_past => json!(later),
        T::Date => json!(earlier),
        T::Datetime => json!(format!("{earlier}T10:00Z")),
        T::Number => json!(q.min.unwrap_or(1.0).max(q.max.map_or(1.0, |m| m.min(1.0)))),
        T::Person => json!(person),
        T::Group => {
            let item: serde_json::Map<String, Value> =
                q.fields.iter().map(|f| (f.id.clone(), value(f, people, positive, idx, later, earlier))).collect();
            json!([item])
        }
    }
}
