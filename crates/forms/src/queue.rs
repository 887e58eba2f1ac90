//! Supervisor queue (pure): incidents with missing, overdue or unreviewed safeguarding
//! items, ordered by risk then age; counts per team; the daily review list.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::{hours, SafeguardingConfig};
use crate::gates::{
    missing_for, missing_items, same_label, ClosingCodes, MissingItem, MissingKind, Requirement, SafeguardingState,
};
use crate::grading::Grade;
use crate::record::FormStatus;

/// One incident as the queue sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueIncident {
    /// Incident id.
    pub id: String,
    /// Owning team.
    pub team: String,
    /// Incident time (unix seconds); deadlines count from it.
    pub occurred_at: i64,
    /// Codes applied (classification while open, closing codes once closed).
    pub codes: Vec<String>,
    /// When the DA/CfaC code was applied.
    #[serde(default)]
    pub coded_at: Option<i64>,
    /// When the incident was closed.
    #[serde(default)]
    pub closed_at: Option<i64>,
    /// Why it was closed `NFA-DUP`, as shown ("Closed as a duplicate of …", "No incident
    /// found: …"), for the daily review.
    #[serde(default)]
    pub nfa_dup_reason: Option<String>,
    /// Safeguarding state.
    pub state: SafeguardingState,
}

/// Problem kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// Required item not done; deadline not yet passed.
    Missing,
    /// Required item not done; deadline passed.
    Overdue,
    /// Submitted form waiting for review; review deadline not yet passed.
    Unreviewed,
    /// Submitted form waiting for review past the review deadline.
    ReviewOverdue,
}

impl ProblemKind {
    /// Past its deadline.
    pub fn is_overdue(self) -> bool {
        matches!(self, ProblemKind::Overdue | ProblemKind::ReviewOverdue)
    }
}

/// One problem of a queue item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueProblem {
    /// Problem kind.
    pub kind: ProblemKind,
    /// Item concerned (requirement, or `supervisor_approval` for reviews).
    pub item: MissingKind,
    /// Label for the UI.
    pub label: String,
    /// Deadline (unix seconds).
    pub deadline: i64,
    /// Form concerned.
    pub form_id: Option<String>,
    /// Victim concerned.
    pub victim_id: Option<String>,
}

/// Risk used for ordering: high, then not yet graded, then medium, then standard.
/// An ungraded DA/CfaC incident may be high risk, so it ranks above a graded medium one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueRisk {
    /// Graded high.
    High,
    /// No grade recorded yet.
    Ungraded,
    /// Graded medium.
    Medium,
    /// Graded standard.
    Standard,
}

impl QueueRisk {
    fn rank(self) -> u8 {
        match self {
            QueueRisk::High => 0,
            QueueRisk::Ungraded => 1,
            QueueRisk::Medium => 2,
            QueueRisk::Standard => 3,
        }
    }
    /// The highest grade of the submitted forms: the officer's, or the engine's suggestion when
    /// it is higher (a "Standard" against 14 "yes" answers must not sink to the bottom of the
    /// queue; the supervisor reviews it first).
    fn of(state: &SafeguardingState) -> QueueRisk {
        // Once a supervisor has approved the officer's grade, that grade stands.
        let graded = state.forms.iter().filter(|f| f.status.is_submitted());
        let grade = |f: &crate::gates::FormSummary| {
            if f.status == FormStatus::Submitted {
                f.officer_grade.max(f.suggested_grade)
            } else {
                f.officer_grade
            }
        };
        match graded.filter_map(grade).max() {
            Some(Grade::High) => QueueRisk::High,
            Some(Grade::Medium) => QueueRisk::Medium,
            Some(Grade::Standard) => QueueRisk::Standard,
            None => QueueRisk::Ungraded,
        }
    }
}

/// One incident on the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueItem {
    /// Incident id.
    pub incident_id: String,
    /// Team.
    pub team: String,
    /// Codes.
    pub codes: Vec<String>,
    /// Risk for ordering.
    pub risk: QueueRisk,
    /// A submitted risk assessment's suggested grade is above the officer's own.
    #[serde(default)]
    pub suggestion_above_grade: bool,
    /// Incident time.
    pub occurred_at: i64,
    /// Seconds since the incident.
    pub age_secs: i64,
    /// Closed already (closed with something missing: needs urgent attention).
    pub closed: bool,
    /// Problems, overdue first then by deadline.
    pub problems: Vec<QueueProblem>,
    /// Earliest deadline among the problems.
    pub next_deadline: i64,
}

impl QueueItem {
    /// Any problem past its deadline.
    pub fn is_overdue(&self) -> bool {
        self.problems.iter().any(|p| p.kind.is_overdue())
    }
}

/// The queue's order, most urgent first: highest risk (high, not graded yet, medium,
/// standard); within a risk, items with something overdue first, then the nearest deadline,
/// then the oldest incident. By risk then age alone, a breached referral of a victim with
/// enhanced rights sat below every older item of its risk that was not due yet.
pub fn queue_order(a: &QueueItem, b: &QueueItem) -> std::cmp::Ordering {
    a.risk
        .rank()
        .cmp(&b.risk.rank())
        .then(b.is_overdue().cmp(&a.is_overdue()))
        .then(a.next_deadline.cmp(&b.next_deadline))
        .then(a.occurred_at.cmp(&b.occurred_at))
        .then_with(|| a.incident_id.cmp(&b.incident_id))
}

/// Counts for one team.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamCounts {
    /// Incidents on the queue.
    pub incidents: usize,
    /// Incidents with an overdue problem.
    pub overdue: usize,
    /// Missing/overdue item problems.
    pub missing_items: usize,
    /// Unreviewed (incl. review-overdue) form problems.
    pub unreviewed_forms: usize,
}

/// One entry of the daily review list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyReviewItem {
    /// Incident id.
    pub incident_id: String,
    /// Team.
    pub team: String,
    /// Codes.
    pub codes: Vec<String>,
    /// Closed at.
    pub closed_at: Option<i64>,
    /// Coded at.
    pub coded_at: Option<i64>,
    /// Whether the closing-code requirements are all met.
    pub complete: bool,
    /// What is missing.
    pub missing: Vec<MissingItem>,
    /// Why a domestic-abuse or Concern-for-a-Child incident was closed `NFA-DUP` (the one code
    /// the gate lets through with nothing): the supervisor checks it the next day.
    #[serde(default)]
    pub nfa_dup_reason: Option<String>,
}

/// The supervisor's view.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisorQueue {
    /// Items, most urgent first.
    pub items: Vec<QueueItem>,
    /// Counts per team (sorted by team).
    pub team_counts: BTreeMap<String, TeamCounts>,
    /// Incidents closed or coded with a daily-review code (DA, CfaC…) in the window;
    /// incomplete first, then oldest first.
    pub daily_review: Vec<DailyReviewItem>,
}

fn deadline_hours(cfg: &SafeguardingConfig, r: Requirement) -> u32 {
    let d = &cfg.deadlines_hours;
    match r {
        Requirement::RiskAssessment => d.risk_assessment,
        Requirement::SafeguardingPlan => d.safeguarding_plan,
        Requirement::CarePlan => d.care_plan,
        Requirement::VictimReferralDecision => d.victim_referral_decision,
    }
}

/// Problems of one incident (empty = not on the queue).
pub fn incident_problems(
    inc: &QueueIncident,
    codes: &ClosingCodes,
    config: &SafeguardingConfig,
    now: i64,
) -> Vec<QueueProblem> {
    let mut problems: Vec<QueueProblem> = Vec::new();
    for s in inc.codes.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let Some(code) = codes.get(s) else {
            problems.push(QueueProblem {
                kind: ProblemKind::Overdue,
                item: MissingKind::UnknownClosingCode,
                label: format!("Unknown code {s:?}: recode the incident"),
                deadline: inc.occurred_at,
                form_id: None,
                victim_id: None,
            });
            continue;
        };
        for req in &code.requires {
            let deadline = inc.occurred_at.saturating_add(hours(deadline_hours(config, *req)));
            // Approval is reported below as "unreviewed" for every submitted form.
            for m in missing_for(*req, false, code, &inc.state) {
                if inc.closed_at.is_some() && !actionable_once_closed(&m, &inc.state) {
                    continue;
                }
                // As in `missing_items`: of one item asked by two codes, the label saying more.
                if let Some(p) = problems.iter_mut().find(|p| {
                    p.item == m.kind
                        && p.form_id == m.form_id
                        && p.victim_id == m.victim_id
                        && same_label(&p.label, &m.label)
                }) {
                    if m.label.len() > p.label.len() {
                        p.label = m.label;
                        p.deadline = p.deadline.min(deadline);
                        p.kind = if now > p.deadline { ProblemKind::Overdue } else { ProblemKind::Missing };
                    }
                    continue;
                }
                problems.push(QueueProblem {
                    kind: if now > deadline { ProblemKind::Overdue } else { ProblemKind::Missing },
                    item: m.kind,
                    label: m.label,
                    deadline,
                    form_id: m.form_id,
                    victim_id: m.victim_id,
                });
            }
        }
    }
    for f in &inc.state.forms {
        if f.status != FormStatus::Submitted {
            continue;
        }
        let from = f.submitted_at.unwrap_or(inc.occurred_at);
        let deadline = from.saturating_add(hours(config.deadlines_hours.supervisor_review));
        problems.push(QueueProblem {
            kind: if now > deadline { ProblemKind::ReviewOverdue } else { ProblemKind::Unreviewed },
            item: MissingKind::SupervisorApproval,
            label: format!("Review the submitted {}", f.kind.label()),
            deadline,
            form_id: Some(f.form_id.clone()),
            victim_id: None,
        });
    }
    problems.sort_by(|a, b| b.kind.is_overdue().cmp(&a.kind.is_overdue()).then(a.deadline.cmp(&b.deadline)));
    problems
}

/// Whether a missing item can still be acted on once the incident is closed. No form is
/// started or submitted on a closed incident, except the amendment of a form a supervisor
/// returned (the return asks for it); referral decisions and notifications are still recorded.
/// A DA incident closed as a duplicate (NFA-DUP, which the gate lets through with nothing)
/// otherwise stayed on the queue for good, its assessment and plan overdue with no way to add
/// them (review, 7 Dec 2026); the daily review still lists it as incomplete.
fn actionable_once_closed(m: &crate::gates::MissingItem, state: &SafeguardingState) -> bool {
    match m.kind {
        MissingKind::RiskAssessment | MissingKind::SafeguardingPlan | MissingKind::CarePlan => m
            .form_id
            .as_deref()
            .is_some_and(|id| state.forms.iter().any(|f| f.form_id == id && f.status == FormStatus::Returned)),
        _ => true,
    }
}

fn in_window(t: Option<i64>, from: i64, now: i64) -> bool {
    t.is_some_and(|t| t > from && t <= now)
}

/// The per-team counts of a queue's items. Recount after changing the items (the store
/// replaces referral deadlines by working-day ones and adds escalated victims): counts kept
/// by hand drifted from the items they count.
pub fn team_counts(items: &[QueueItem]) -> BTreeMap<String, TeamCounts> {
    let mut out: BTreeMap<String, TeamCounts> = BTreeMap::new();
    for item in items {
        let counts = out.entry(item.team.clone()).or_default();
        counts.incidents += 1;
        if item.is_overdue() {
            counts.overdue += 1;
        }
        for p in &item.problems {
            if p.item == MissingKind::SupervisorApproval {
                counts.unreviewed_forms += 1;
            } else {
                counts.missing_items += 1;
            }
        }
    }
    out
}

/// Build the supervisor queue at `now`.
pub fn build_queue(
    incidents: &[QueueIncident],
    codes: &ClosingCodes,
    config: &SafeguardingConfig,
    now: i64,
) -> SupervisorQueue {
    let mut q = SupervisorQueue::default();
    for inc in incidents {
        let problems = incident_problems(inc, codes, config, now);
        if problems.is_empty() {
            continue;
        }
        let item = QueueItem {
            incident_id: inc.id.clone(),
            team: inc.team.clone(),
            codes: inc.codes.clone(),
            risk: QueueRisk::of(&inc.state),
            suggestion_above_grade: inc.state.forms.iter().any(|f| {
                f.status == FormStatus::Submitted && f.suggested_grade > f.officer_grade && f.officer_grade.is_some()
            }),
            occurred_at: inc.occurred_at,
            age_secs: now.saturating_sub(inc.occurred_at),
            closed: inc.closed_at.is_some(),
            next_deadline: problems.iter().map(|p| p.deadline).min().unwrap_or(i64::MAX),
            problems,
        };
        q.items.push(item);
    }
    q.team_counts = team_counts(&q.items);
    q.items.sort_by(queue_order);

    let from = now.saturating_sub(hours(config.daily_review_window_hours));
    for inc in incidents {
        let flagged = inc.codes.iter().any(|c| codes.get(c).is_some_and(|c| c.daily_review));
        if !flagged || !(in_window(inc.closed_at, from, now) || in_window(inc.coded_at, from, now)) {
            continue;
        }
        let missing = missing_items(codes, &inc.codes, &inc.state);
        q.daily_review.push(DailyReviewItem {
            incident_id: inc.id.clone(),
            team: inc.team.clone(),
            codes: inc.codes.clone(),
            closed_at: inc.closed_at,
            coded_at: inc.coded_at,
            complete: missing.is_empty(),
            missing,
            nfa_dup_reason: inc.nfa_dup_reason.clone(),
        });
    }
    q.daily_review.sort_by(|a, b| {
        a.complete
            .cmp(&b.complete)
            .then(a.closed_at.or(a.coded_at).cmp(&b.closed_at.or(b.coded_at)))
            .then_with(|| a.incident_id.cmp(&b.incident_id))
    });
    q
}
