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
