//! Safeguarding configuration (`assets/config/safeguarding.json`): deadlines, task due
//! times and grading parameters.

use serde::{Deserialize, Serialize};

use crate::error::FormsError;
use crate::grading::GradingConfig;
use crate::pack::PackIssue;
use crate::time::HOUR;

/// Hours allowed for each safeguarding item, counted from the incident time
/// (supervisor review: from submission).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Deadlines {
    /// Risk assessment submitted within N hours of the incident.
    pub risk_assessment: u32,
    /// DA safeguarding plan.
    pub safeguarding_plan: u32,
    /// Concern-for-a-Child care plan.
    pub care_plan: u32,
    /// Victims' Code referral decision (2 working days ≈ 48 h; working days not modelled).
    pub victim_referral_decision: u32,
    /// Supervisor review within N hours of submission.
    pub supervisor_review: u32,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            risk_assessment: 24,
            safeguarding_plan: 24,
            care_plan: 24,
            victim_referral_decision: 48,
            supervisor_review: 72,
        }
    }
}

/// Hours until generated tasks are due, counted from submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TaskDue {
    /// MARAC referral.
    pub marac_referral: u32,
    /// IDVA referral.
    pub idva_referral: u32,
    /// Concern-for-a-Child prompt.
    pub concern_for_child: u32,
    /// Supervisor review.
    pub supervisor_review: u32,
}

impl Default for TaskDue {
    fn default() -> Self {
        TaskDue { marac_referral: 24, idva_referral: 24, concern_for_child: 24, supervisor_review: 72 }
    }
}

/// The whole safeguarding config. Missing keys take the defaults shown in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SafeguardingConfig {
    /// Config version (free text).
    pub version: String,
    /// Item deadlines.
    pub deadlines_hours: Deadlines,
    /// Generated task due times.
    pub task_due_hours: TaskDue,
    /// Window of the supervisor's daily review list.
    pub daily_review_window_hours: u32,
    /// Grading parameters.
    pub grading: GradingConfig,
}

impl Default for SafeguardingConfig {
    fn default() -> Self {
        SafeguardingConfig {
            version: "default".into(),
            deadlines_hours: Deadlines::default(),
            task_due_hours: TaskDue::default(),
            daily_review_window_hours: 24,
            grading: GradingConfig::default(),
        }
    }
}

/// The longest deadline or task due time a config may set: 28 days.
pub const MAX_DUE_HOURS: u32 = 28 * 24;

/// Hours to seconds.
pub(crate) fn hours(h: u32) -> i64 {
    i64::from(h) * HOUR
}

/// Validate a safeguarding config JSON text. Empty = valid.
pub fn validate_config(json: &str) -> Vec<PackIssue> {
    // An object: serde would also read the struct from an array, so `[]` passed as a config.
    if serde_json::from_str::<serde_json::Value>(json).is_ok_and(|v| !v.is_object()) {
        return vec![PackIssue::new("(top level)", "a safeguarding config is a JSON object ({ ... })")];
    }
    match serde_json::from_str::<SafeguardingConfig>(json) {
        Err(e) => vec![PackIssue::from_serde(&e)],
        Ok(c) => {
            let mut out = Vec::new();
            if c.grading.repeat_window_days == 0 {
                out.push(PackIssue::new("grading.repeat_window_days", "must be at least 1"));
            }
            if c.grading.repeat_window_months.is_some_and(|m| !(1..=120).contains(&m)) {
                out.push(PackIssue::new("grading.repeat_window_months", "must be from 1 to 120"));
            }
            if c.grading.repeat_incident_threshold < 2 {
                out.push(PackIssue::new(
                    "grading.repeat_incident_threshold",
                    "must be at least 2 (the current incident counts)",
                ));
            }
            if c.daily_review_window_hours == 0 {
                out.push(PackIssue::new("daily_review_window_hours", "must be at least 1"));
            }
            // A deadline or task of months is a typo that keeps the item out of every overdue
            // list, and a rule that suggests Standard says nothing (review, 7 Dec 2026: a MARAC
            // task due in 100 000 hours and the cluster of three graded Standard were accepted).
            let d = &c.deadlines_hours;
            let t = &c.task_due_hours;
            for (key, h) in [
                ("deadlines_hours.risk_assessment", d.risk_assessment),
                ("deadlines_hours.safeguarding_plan", d.safeguarding_plan),
                ("deadlines_hours.care_plan", d.care_plan),
                ("deadlines_hours.victim_referral_decision", d.victim_referral_decision),
                ("deadlines_hours.supervisor_review", d.supervisor_review),
                ("task_due_hours.marac_referral", t.marac_referral),
                ("task_due_hours.idva_referral", t.idva_referral),
                ("task_due_hours.concern_for_child", t.concern_for_child),
                ("task_due_hours.supervisor_review", t.supervisor_review),
            ] {
                if !(1..=MAX_DUE_HOURS).contains(&h) {
                    out.push(PackIssue::new(key, format!("must be from 1 to {MAX_DUE_HOURS} hours (28 days)")));
                }
            }
            if c.daily_review_window_hours > MAX_DUE_HOURS {
                out.push(PackIssue::new("daily_review_window_hours", format!("must be at most {MAX_DUE_HOURS}")));
            }
            let g = &c.grading;
            for (key, grade) in [
                ("grading.escalation_grade", g.escalation_grade),
                ("grading.repeat_marac_grade", g.repeat_marac_grade),
                ("grading.cluster_grade", g.cluster_grade),
            ] {
                if grade == crate::grading::Grade::Standard {
                    out.push(PackIssue::new(key, "a risk rule must suggest medium or high (standard says nothing)"));
                }
            }
            out
        }
    }
}

/// Parse and validate a safeguarding config.
pub fn parse_config(json: &str) -> Result<SafeguardingConfig, FormsError> {
    let issues = validate_config(json);
    if !issues.is_empty() {
        return Err(FormsError::InvalidConfig(issues));
    }
    serde_json::from_str(json).map_err(|e| FormsError::InvalidConfig(vec![PackIssue::from_serde(&e)]))
}
