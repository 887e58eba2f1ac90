//! Form records: submit check (answers + officer grade/rationale), supervisor review as a
//! pure state transition, and tasks generated on submission.

use serde::{Deserialize, Serialize};

use crate::answers::{validate_answers, Answers, FieldIssue, ValidationContext};
use crate::config::{hours, SafeguardingConfig};
use crate::grading::{Grade, ReasonCode, RiskSuggestion};
use crate::pack::{FormPack, PackKind};

/// Life cycle: draft → submitted → approved, or submitted → returned → submitted ….
/// Submitted and approved records are immutable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormStatus {
    /// Being filled in.
    Draft,
    /// Submitted, waiting for supervisor review.
    Submitted,
    /// Returned by the supervisor with comments; editable again.
    Returned,
    /// Approved by the supervisor.
    Approved,
}

impl FormStatus {
    /// Draft or returned.
    pub fn is_editable(self) -> bool {
        matches!(self, FormStatus::Draft | FormStatus::Returned)
    }
    /// Submitted or approved (counts for closing-code gates).
    pub fn is_submitted(self) -> bool {
        matches!(self, FormStatus::Submitted | FormStatus::Approved)
    }
}

/// Supervisor decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Approve.
    Approve,
    /// Return to the officer (comments mandatory).
    Return,
}

/// One supervisor review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// Supervisor's user id.
    pub reviewer: String,
    /// Unix seconds.
    pub at: i64,
    /// Decision.
    pub decision: ReviewDecision,
    /// Comments (mandatory when returning).
    pub comments: Option<String>,
}

/// One form filled in for an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormRecord {
    /// Form id (client-generated UUID).
    pub form_id: String,
    /// Incident id.
    pub incident_id: String,
    /// Pack id.
    pub pack_id: String,
    /// Pack version the answers were given against.
    pub pack_version: String,
    /// Author's user id.
    pub author: String,
    /// Answers (see crate docs).
    pub answers: Answers,
    /// The officer's own grade.
    pub officer_grade: Option<Grade>,
    /// The officer's rationale for the grade.
    pub rationale: Option<String>,
    /// Status.
    pub status: FormStatus,
    /// Last submission time.
    pub submitted_at: Option<i64>,
    /// Review history, oldest first.
    pub reviews: Vec<Review>,
}

impl FormRecord {
    /// A new draft.
    pub fn new_draft(
        form_id: impl Into<String>,
        incident_id: impl Into<String>,
        pack: &FormPack,
        author: impl Into<String>,
    ) -> FormRecord {
        FormRecord {
            form_id: form_id.into(),
            incident_id: incident_id.into(),
            pack_id: pack.id.clone(),
            pack_version: pack.version.clone(),
            author: author.into(),
            answers: Answers::new(),
            officer_grade: None,
            rationale: None,
            status: FormStatus::Draft,
            submitted_at: None,
            reviews: Vec::new(),
        }
    }
}

/// Why a record cannot be submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "issue", rename_all = "snake_case")]
pub enum SubmitIssue {
    /// A field-level issue in the answers.
    Field(FieldIssue),
    /// The officer's own grade is missing.
    MissingGrade,
    /// The rationale is missing, blank or says nothing (punctuation alone).
    MissingRationale,
    /// The record was started on another pack or version.
    PackMismatch {
        /// Pack id@version the record names.
        record: String,
        /// Pack id@version given.
        pack: String,
    },
    /// Only draft or returned records can be submitted.
    NotEditable {
        /// Current status.
        status: FormStatus,
    },
}

/// Submission was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the form cannot be submitted: {} issue(s)", .0.len())]
pub struct SubmitRejected(pub Vec<SubmitIssue>);

/// Every reason the record cannot be submitted (empty = can submit).
pub fn check_submit(record: &FormRecord, pack: &FormPack, ctx: &ValidationContext<'_>) -> Vec<SubmitIssue> {
    let mut out = Vec::new();
    if !record.status.is_editable() {
        out.push(SubmitIssue::NotEditable { status: record.status });
    }
    if record.pack_id != pack.id || record.pack_version != pack.version {
        out.push(SubmitIssue::PackMismatch {
            record: format!("{}@{}", record.pack_id, record.pack_version),
            pack: format!("{}@{}", pack.id, pack.version),
        });
    }
    out.extend(validate_answers(pack, &record.answers, ctx).into_iter().map(SubmitIssue::Field));
    if pack.requires_grade {
        if record.officer_grade.is_none() {
            out.push(SubmitIssue::MissingGrade);
        }
        if blank(record.rationale.as_deref()) {
            out.push(SubmitIssue::MissingRationale);
        }
    }
    out
}

fn blank(s: Option<&str>) -> bool {
    match s {
        None => true,
        Some(s) => crate::answers::says_nothing(s),
    }
}

/// Submit: returns the submitted record, or every issue.
pub fn submit(
    record: &FormRecord,
    pack: &FormPack,
    ctx: &ValidationContext<'_>,
    now: i64,
) -> Result<FormRecord, SubmitRejected> {
    let issues = check_submit(record, pack, ctx);
    if !issues.is_empty() {
        return Err(SubmitRejected(issues));
    }
    let mut r = record.clone();
    r.status = FormStatus::Submitted;
    r.submitted_at = Some(now);
    Ok(r)
}

/// Review errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    /// Only submitted records can be reviewed.
    #[error("only a submitted form can be reviewed (status: {0:?})")]
    NotSubmitted(FormStatus),
    /// Supervisors cannot review their own forms.
    #[error("a supervisor cannot review their own form")]
    SelfReview,
    /// Returning needs comments.
    #[error("returning a form needs comments for the officer")]
    MissingComments,
}

/// Supervisor review: approve, or return with comments. Pure state transition.
pub fn review(
    record: &FormRecord,
    reviewer: &str,
    decision: ReviewDecision,
    comments: Option<&str>,
    now: i64,
) -> Result<FormRecord, ReviewError> {
    if record.status != FormStatus::Submitted {
        return Err(ReviewError::NotSubmitted(record.status));
    }
    if reviewer == record.author {
        return Err(ReviewError::SelfReview);
    }
    let comments = comments.map(str::trim).filter(|c| !crate::answers::says_nothing(c));
    if decision == ReviewDecision::Return && comments.is_none() {
        return Err(ReviewError::MissingComments);
    }
    let mut r = record.clone();
    r.status = match decision {
        ReviewDecision::Approve => FormStatus::Approved,
        ReviewDecision::Return => FormStatus::Returned,
    };
    r.reviews.push(Review {
        reviewer: reviewer.to_string(),
        at: now,
        decision,
        comments: comments.map(str::to_string),
    });
    Ok(r)
}

/// Kind of a generated task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Refer to MARAC.
    MaracReferral,
    /// Refer to an IDVA.
    IdvaReferral,
    /// Consider / complete a Concern-for-a-Child referral and care plan.
    ConcernForChild,
    /// Supervisor review of the submitted form.
    SupervisorReview,
}

/// A task generated on submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// Kind.
    pub kind: TaskKind,
    /// Label for the UI.
    pub label: String,
    /// Why it was generated.
    pub reason: String,
    /// Due time (unix seconds).
    pub due_at: i64,
}

/// The MARAC criteria a risk assessment meets, whatever the officer's grade (SafeLives: visible
/// high risk — the "yes" count at the High threshold —, potential escalation — repeat DA
/// call-outs —, and a repeat MARAC), as the suggestion words them. A met criterion makes the
/// "Make a MARAC referral" task, and the Victims' Code rules ask for the MARAC referral on it.
pub fn marac_criteria(s: &RiskSuggestion) -> Vec<&str> {
    s.reasons
        .iter()
        .filter(|r| match r.code {
            ReasonCode::RepeatIncidents | ReasonCode::RepeatMarac => true,
            ReasonCode::Count => s.marac_indicated && r.grade == Grade::High,
            _ => false,
        })
        .map(|r| r.message.as_str())
        .collect()
}

/// Tasks generated when `record` is submitted at `now`:
/// * always a supervisor review task;
/// * risk assessments: officer grade High ⇒ MARAC and IDVA referral tasks; a MARAC
///   criterion in `suggestion` (14+ yes, repeat, repeat MARAC) ⇒ MARAC task even if the
///   officer graded lower;
/// * `linked_children > 0`, or a positive `children`-tagged answer in `suggestion`, on any
///   pack but a care plan ⇒ a Concern-for-a-Child prompt.
pub fn generated_tasks(
    pack: &FormPack,
    record: &FormRecord,
    suggestion: Option<&RiskSuggestion>,
    linked_children: usize,
    now: i64,
    config: &SafeguardingConfig,
) -> Vec<Task> {
    let due = &config.task_due_hours;
    let at = |h: u32| now.saturating_add(hours(h));
    let mut tasks = vec![Task {
        kind: TaskKind::SupervisorReview,
        label: format!("Review the {}", pack.kind.label()),
        reason: format!("{} submitted", pack.title),
        due_at: at(due.supervisor_review),
    }];
    if pack.kind == PackKind::RiskAssessment {
        let high = record.officer_grade == Some(Grade::High);
        let criteria: Vec<&str> = suggestion.map(marac_criteria).unwrap_or_default();
        if high || !criteria.is_empty() {
            let mut why = Vec::new();
            if high {
                why.push("officer graded the risk High".to_string());
            }
            why.extend(criteria.iter().map(|c| format!("MARAC criterion: {c}")));
            tasks.push(Task {
                kind: TaskKind::MaracReferral,
                label: "Make a MARAC referral".into(),
                reason: why.join("; "),
                due_at: at(due.marac_referral),
            });
        }
        if high {
            tasks.push(Task {
                kind: TaskKind::IdvaReferral,
                label: "Make an IDVA referral".into(),
                reason: "officer graded the risk High".into(),
                due_at: at(due.idva_referral),
            });
        }
    }
    let answers_mention = suggestion.is_some_and(|s| s.children_involved);
    if (linked_children > 0 || answers_mention) && pack.kind != PackKind::CarePlan {
        tasks.push(Task {
            kind: TaskKind::ConcernForChild,
            label: "Complete a Concern for a Child referral and care plan".into(),
            reason: if linked_children > 0 {
                format!("{linked_children} child(ren) linked to the incident")
            } else {
                "the risk assessment mentions children or dependants".into()
            },
            due_at: at(due.concern_for_child),
        });
    }
    tasks
}
