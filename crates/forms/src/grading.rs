//! Risk grading (pure): positive-answer count, high-risk factors, the cluster of three,
//! repeat incidents and repeat MARAC, giving a *suggested* grade with reasons.
//!
//! DASH/DARA are structured professional judgement, not arithmetic: the suggestion only
//! pre-selects a grade; the officer must record their own grade and rationale
//! ([`crate::record::check_submit`]).
//!
//! Rules (each can only raise the suggestion; the suggestion is the highest reached):
//!
//! | rule | data | default effect |
//! |---|---|---|
//! | count bands | `grading.count_bands` on the pack (DASH: 10 / 14) | ≥ medium band ⇒ medium, ≥ high band ⇒ high ("visible high risk", MARAC criterion) |
//! | high-risk factor | `high_risk: true` on a question, `grading.high_risk_factor_grade` | each positive answer is flagged; ⇒ the pack's factor grade |
//! | question suggestion | `suggest_grade` on a question | positive answer ⇒ that grade |
//! | cluster of three | tags `separation`, `coercive_control`, `physical_violence`/`sexual_violence` | all three positive ⇒ `cluster_grade` (high) |
//! | repeat incidents | history: earlier DA incidents about the victim | ≥ `repeat_incident_threshold` (3) incidents *including this one* within `repeat_window_months` (12; else `repeat_window_days`) of UK days before the incident ⇒ `escalation_grade` (high), MARAC criterion |
//! | repeat MARAC | history: earlier MARAC referrals | any referral within the window ⇒ `repeat_marac_grade` (high), MARAC criterion |
//!
//! Only *visible* questions count; answers in hidden sections are ignored.

use serde::{Deserialize, Serialize};

use crate::answers::{is_positive, Answer, Answers, Visibility};
use crate::pack::FormPack;

/// Police risk grade (OASys definitions). Ordered: standard < medium < high.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// Current evidence does not indicate likelihood of serious harm.
    Standard,
    /// Identifiable indicators of risk of serious harm; unlikely unless circumstances change.
    Medium,
    /// Serious harm could happen at any time.
    High,
}

impl Grade {
    /// Label for the UI.
    pub fn label(self) -> &'static str {
        match self {
            Grade::Standard => "Standard",
            Grade::Medium => "Medium",
            Grade::High => "High",
        }
    }
}

/// Force-configurable grading parameters (`grading` in `assets/config/safeguarding.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GradingConfig {
    /// DA incidents about the victim (including the current one) that make a repeat.
    pub repeat_incident_threshold: u32,
    /// Look-back window in days for repeats and repeat MARAC, counted in UK calendar days
    /// (used when `repeat_window_months` is not set).
    pub repeat_window_days: u32,
    /// Look-back window in calendar months ("within 12 months"): from the same day of the month
    /// that many months before the incident's UK date, whatever the time of day. Takes the place
    /// of `repeat_window_days` when set. The shipped config sets 12; a config that leaves it out
    /// counts `repeat_window_days` (its own default is none, not the shipped 12, so a force's
    /// `repeat_window_days` is never overridden).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_window_months: Option<u32>,
    /// Grade suggested by the repeat-incident rule.
    pub escalation_grade: Grade,
    /// Grade suggested by a MARAC referral within the window.
    pub repeat_marac_grade: Grade,
    /// Grade suggested by the cluster of three.
    pub cluster_grade: Grade,
}

impl GradingConfig {
    /// The look-back window in words: "12 months", "365 days".
    pub fn window_text(&self) -> String {
        match self.repeat_window_months {
            Some(1) => "1 month".into(),
            Some(m) => format!("{m} months"),
            None if self.repeat_window_days == 1 => "1 day".into(),
            None => format!("{} days", self.repeat_window_days),
        }
    }
}

impl Default for GradingConfig {
    fn default() -> Self {
        GradingConfig {
            repeat_incident_threshold: 3,
            repeat_window_days: 365,
            repeat_window_months: Some(12),
            escalation_grade: Grade::High,
            repeat_marac_grade: Grade::High,
            cluster_grade: Grade::High,
        }
    }
}

/// Local history of the victim (built by the caller from the store).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentHistory {
    /// Times (unix seconds) of *earlier* DA incidents about the victim (police call-outs for
    /// domestic abuse in which they were involved, whoever the other party was).
    #[serde(default)]
    pub previous_da_incidents: Vec<i64>,
    /// Times (unix seconds) of earlier MARAC referrals for the same victim / parties.
    #[serde(default)]
    pub marac_referrals: Vec<i64>,
}

/// Which rule produced a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// Positive-answer count against the bands.
    Count,
    /// A high-risk factor answered positively.
    HighRiskFactor,
    /// A question's own `suggest_grade`.
    QuestionSuggests,
    /// Separation + coercive control + physical/sexual violence.
    ClusterOfThree,
    /// Repeat DA incidents within the window.
    RepeatIncidents,
    /// MARAC referral within the window.
    RepeatMarac,
    /// So many scored questions were declined, not known or unanswered that the count could
    /// have reached a higher band: the suggestion may understate the risk.
    IncompleteAnswers,
}

/// One reason behind the suggestion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// Rule.
    pub code: ReasonCode,
    /// Grade this reason supports.
    pub grade: Grade,
    /// Question concerned, if any.
    pub question_id: Option<String>,
    /// Text for the officer.
    pub message: String,
}

/// State of the cluster of three.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterOfThree {
    /// A `separation`-tagged question is positive.
    pub separation: bool,
    /// A `coercive_control`-tagged question is positive.
    pub coercive_control: bool,
    /// A `physical_violence`- or `sexual_violence`-tagged question is positive.
    pub physical_or_sexual_violence: bool,
}

impl ClusterOfThree {
    /// All three present.
    pub fn met(&self) -> bool {
        self.separation && self.coercive_control && self.physical_or_sexual_violence
    }
}

/// The engine's suggestion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskSuggestion {
    /// Positive answers to visible scored questions.
    pub yes_count: u32,
    /// "Don't know" answers to visible scored questions.
    pub dont_know_count: u32,
    /// Declined visible scored questions.
    pub declined_count: u32,
    /// Unanswered visible scored questions.
    pub unanswered_count: u32,
    /// Ids of high-risk-factor questions answered positively, in pack order.
    pub high_risk_factors: Vec<String>,
    /// Cluster of three.
    pub cluster: ClusterOfThree,
    /// DA incidents between the parties in the window, including this one.
    pub incidents_in_window: u32,
    /// A MARAC referral exists within the window.
    pub repeat_marac: bool,
    /// A SafeLives-style MARAC criterion other than professional judgement is met
    /// (visible high risk, potential escalation, repeat MARAC).
    pub marac_indicated: bool,
    /// A `children`-tagged question is positive (prompts a Concern-for-a-Child referral).
    pub children_involved: bool,
    /// Suggested grade (the highest grade of all reasons; standard when none).
    pub suggested: Grade,
    /// Reasons, most severe rules first in rule order.
    pub reasons: Vec<Reason>,
}

/// Suggest a grade. `incident_time` is the time of the current incident (unix seconds);
/// history events after it are ignored. Pure and total: never panics.
pub fn suggest_grade(
    pack: &FormPack,
    answers: &Answers,
    history: &IncidentHistory,
    incident_time: i64,
    config: &GradingConfig,
) -> RiskSuggestion {
    let vis = Visibility::compute(pack, answers);
    let grading = pack.grading.clone().unwrap_or_default();
    let mut s = RiskSuggestion {
        yes_count: 0,
        dont_know_count: 0,
        declined_count: 0,
        unanswered_count: 0,
        high_risk_factors: Vec::new(),
        cluster: ClusterOfThree::default(),
        incidents_in_window: 1,
        repeat_marac: false,
        marac_indicated: false,
        children_involved: false,
        suggested: Grade::Standard,
        reasons: Vec::new(),
    };
    let mut factor_reasons = Vec::new();
    // The highest grade a question left open (declined, not known, unanswered) would suggest
    // if it were yes, and how many such questions there are.
    let mut gap_grade = Grade::Standard;
    let mut gap_factors = 0usize;
    for (_, q) in vis.visible_questions(pack) {
        let ans = Answer::resolve(answers.get(&q.id), q);
        let positive = is_positive(q, ans);
        let open = match ans {
            Answer::Absent | Answer::Declined => true,
            Answer::Value(v) => v.as_str() == Some("dont_know"),
        };
        if open && !positive {
            let factor = q.high_risk.then_some(grading.high_risk_factor_grade).flatten();
            if let Some(g) = factor.max(q.suggest_grade) {
                gap_grade = gap_grade.max(g);
                gap_factors += 1;
            }
        }
        if q.is_scored() {
            match ans {
                _ if positive => s.yes_count += 1,
                Answer::Absent => s.unanswered_count += 1,
                Answer::Declined => s.declined_count += 1,
                Answer::Value(v) if v.as_str() == Some("dont_know") => s.dont_know_count += 1,
                Answer::Value(_) => {}
            }
        }
        if !positive {
            continue;
        }
        let name = q.number.as_ref().map_or_else(|| q.id.clone(), |n| format!("Q{n}"));
        if q.high_risk {
            s.high_risk_factors.push(q.id.clone());
            if let Some(g) = grading.high_risk_factor_grade {
                factor_reasons.push(Reason {
                    code: ReasonCode::HighRiskFactor,
                    grade: g,
                    question_id: Some(q.id.clone()),
                    message: format!("High-risk factor: {name} {}", q.text),
                });
            }
        }
        if let Some(g) = q.suggest_grade {
            factor_reasons.push(Reason {
                code: ReasonCode::QuestionSuggests,
                grade: g,
                question_id: Some(q.id.clone()),
                message: format!("{name} {} suggests at least {}", q.text, g.label()),
            });
        }
        for t in &q.tags {
            match t.as_str() {
                "separation" => s.cluster.separation = true,
                "coercive_control" => s.cluster.coercive_control = true,
                "physical_violence" | "sexual_violence" => s.cluster.physical_or_sexual_violence = true,
                "children" => s.children_involved = true,
                _ => {}
            }
        }
    }

    if let Some(b) = grading.count_bands {
        let g = if s.yes_count >= b.high {
            Grade::High
        } else if s.yes_count >= b.medium {
            Grade::Medium
        } else {
            Grade::Standard
        };
        if s.yes_count >= b.high {
            s.marac_indicated = true;
        }
        s.reasons.push(Reason {
            code: ReasonCode::Count,
            grade: g,
            question_id: None,
            message: format!("{} \"yes\" answers (medium from {}, high from {})", s.yes_count, b.medium, b.high),
        });
    }
    s.reasons.append(&mut factor_reasons);
    if grading.cluster_of_three && s.cluster.met() {
        s.reasons.push(Reason {
            code: ReasonCode::ClusterOfThree,
            grade: config.cluster_grade,
            question_id: None,
            message: "Cluster of three: separation, coercive control and physical or sexual violence".into(),
        });
    }

    // Whole UK days back from the incident's own day, so the time of day never moves an event
    // in or out ("within 12 months" of 29 Feb 2028 takes in 1 Mar 2027 at any hour), and only
    // events before the incident (review, 7 Dec 2026: an event at the incident's own time was
    // counted as an earlier one, and 365 days measured to the second missed a leap year's).
    let today = crate::time::uk_day(incident_time);
    let from_day = match config.repeat_window_months {
        Some(m) => crate::time::months_before(today, m),
        None => today.saturating_sub(i64::from(config.repeat_window_days)),
    };
    let window = config.window_text();
    let in_window = |t: &&i64| **t < incident_time && crate::time::uk_day(**t) >= from_day;
    let earlier = history.previous_da_incidents.iter().filter(in_window).count();
    s.incidents_in_window = u32::try_from(earlier).unwrap_or(u32::MAX).saturating_add(1);
    if config.repeat_incident_threshold > 0 && s.incidents_in_window >= config.repeat_incident_threshold {
        s.marac_indicated = true;
        s.reasons.push(Reason {
            code: ReasonCode::RepeatIncidents,
            grade: config.escalation_grade,
            question_id: None,
            message: format!(
                "{} DA incidents involving the victim in {window} (threshold {})",
                s.incidents_in_window, config.repeat_incident_threshold
            ),
        });
    }
    s.repeat_marac = history.marac_referrals.iter().any(|t| in_window(&t));
    if s.repeat_marac {
        s.marac_indicated = true;
        s.reasons.push(Reason {
            code: ReasonCode::RepeatMarac,
            grade: config.repeat_marac_grade,
            question_id: None,
            message: format!("Repeat MARAC: a MARAC referral within the last {window}"),
        });
    }
    s.suggested = s.reasons.iter().map(|r| r.grade).max().unwrap_or(Grade::Standard);
    // Declined, "don't know" and unanswered never count as yes (only ticks count), but a count
    // built on gaps says little: say so when the gaps could have changed the band (an
    // assessment with every answer declined would otherwise read as a plain "Standard").
    if let Some(b) = grading.count_bands {
        let gaps = s.declined_count + s.dont_know_count + s.unanswered_count;
        let could_reach = s.yes_count.saturating_add(gaps);
        // Only a band above the suggestion (a high-risk factor may already suggest High).
        let band = if s.suggested < Grade::High && could_reach >= b.high {
            Some("High")
        } else if s.suggested < Grade::Medium && could_reach >= b.medium {
            Some("Medium")
        } else {
            None
        };
        if let Some(band) = band {
            s.reasons.push(Reason {
                code: ReasonCode::IncompleteAnswers,
                grade: Grade::Standard,
                question_id: None,
                message: format!(
                    "{gaps} scored questions were declined, not known or unanswered: answered, the count could reach {band}. The suggestion may understate the risk; grade on professional judgement and checks."
                ),
            });
        }
    }
    // Packs without count bands (DARA-style) grade on their factors: say so when a factor left
    // open could have raised the suggestion.
    if gap_grade > s.suggested && !s.reasons.iter().any(|r| r.code == ReasonCode::IncompleteAnswers) {
        s.reasons.push(Reason {
            code: ReasonCode::IncompleteAnswers,
            grade: Grade::Standard,
            question_id: None,
            message: format!(
                "{gap_factors} risk factor question(s) were declined, not known or unanswered: answered yes, the suggestion could reach {}. The suggestion may understate the risk; grade on professional judgement and checks.",
                gap_grade.label()
            ),
        });
    }

    s
}
