//! Simulated shift (pure, seeded): generate incidents coded DA / CfaC with random
//! completion, try to finalise each, build the supervisor queue, and report figures.
//!
//! Ground truth ("complete") is computed by the generator from the product rules (DA needs a
//! submitted risk assessment, a submitted safeguarding plan and a referral decision for every
//! victim; CfaC needs a submitted care plan) independently of [`crate::check_closure`], so
//! the figures check the gate and the queue against the rules.

use serde::{Deserialize, Serialize};

use crate::config::SafeguardingConfig;
use crate::gates::{check_closure, ClosingCodes, FormSummary, SafeguardingState, VictimReferralState};
use crate::grading::Grade;
use crate::pack::PackKind;
use crate::queue::{build_queue, QueueIncident};
use crate::record::FormStatus;
use crate::time::HOUR;

/// SplitMix64: tiny, seeded, dependency-free PRNG (deterministic on every target).
#[derive(Debug, Clone)]
pub struct SimRng(u64);

impl SimRng {
    /// New generator from a seed.
    pub fn new(seed: u64) -> SimRng {
        SimRng(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (0 when n is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }
    /// True with probability `percent`/100.
    pub fn percent(&mut self, percent: u8) -> bool {
        self.below(100) < u64::from(percent)
    }
}

/// Simulation parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftParams {
    /// Number of incidents.
    pub incidents: usize,
    /// Seed.
    pub seed: u64,
    /// "Now" (unix seconds); incidents happen in the 72 h before.
    pub now: i64,
    /// Chance (percent) that each required item is done.
    pub completion_percent: u8,
}

/// Figures of a simulated shift.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShiftFigures {
    /// Incidents generated.
    pub incidents: usize,
    /// Coded DA only.
    pub da_only: usize,
    /// Coded CfaC only.
    pub cfac_only: usize,
    /// Coded DA and CfaC.
    pub da_and_cfac: usize,
    /// Complete by ground truth.
    pub complete: usize,
    /// Incomplete by ground truth.
    pub incomplete: usize,
    /// Finalised (closed) because the gate allowed it.
    pub finalised: usize,
    /// Finalised although incomplete (must be 0).
    pub finalised_without_requirements: usize,
    /// Complete but refused by the gate (must be 0).
    pub complete_but_blocked: usize,
    /// Incomplete incidents that are on the supervisor queue.
    pub incomplete_in_queue: usize,
    /// Share of incomplete incidents on the queue, percent (must be 100).
    pub incomplete_in_queue_percent: f64,
    /// Queue length (includes complete incidents with unreviewed forms).
    pub queue_items: usize,
    /// Queue items with an overdue problem.
    pub overdue_items: usize,
    /// Entries of the daily review list.
    pub daily_review_items: usize,
}

fn form(rng: &mut SimRng, id: String, kind: PackKind, done: bool, at: i64) -> Option<FormSummary> {
    let status = if done {
        if rng.percent(50) {
            FormStatus::Approved
        } else {
            FormStatus::Submitted
        }
    } else {
        match rng.below(10) {
            0..=4 => return None,
            5..=7 => FormStatus::Draft,
            _ => FormStatus::Returned,
        }
    };
    let officer_grade = (kind == PackKind::RiskAssessment && status != FormStatus::Draft).then(|| match rng.below(3) {
        0 => Grade::Standard,
        1 => Grade::Medium,
        _ => Grade::High,
    });
    Some(FormSummary {
        form_id: id,
        pack_id: format!("sim-{kind:?}").to_lowercase(),
        kind,
        status,
        officer_grade,
        submitted_at: (status != FormStatus::Draft).then_some(at),
        suggested_grade: None,
        sections: Vec::new(),
        victim_id: None,
    })
}

/// Run the simulation. Uses codes `DA` and `CFAC` from `codes`.
pub fn simulate_shift(params: &ShiftParams, codes: &ClosingCodes, config: &SafeguardingConfig) -> ShiftFigures {
    let mut rng = SimRng::new(params.seed);
    let mut f = ShiftFigures { incidents: params.incidents, ..ShiftFigures::default() };
    let p = params.completion_percent;
    let mut incidents = Vec::with_capacity(params.incidents);
    let mut truth = Vec::with_capacity(params.incidents);
    for i in 0..params.incidents {
        let (da, cfac) = match rng.below(10) {
            0..=4 => (true, false),
            5..=7 => (false, true),
            _ => (true, true),
        };
        match (da, cfac) {
            (true, false) => f.da_only += 1,
            (false, true) => f.cfac_only += 1,
            _ => f.da_and_cfac += 1,
        }
        let occurred_at = params.now - i64::try_from(rng.below(72 * 3600)).unwrap_or(0);
        let sub_at = occurred_at + i64::try_from(rng.below(6 * 3600)).unwrap_or(0);
        let mut state = SafeguardingState::default();
        let mut complete = true;
        let mut codes_applied = Vec::new();
        if da {
            codes_applied.push("DA".to_string());
            for (n, kind) in [PackKind::RiskAssessment, PackKind::SafeguardingPlan].into_iter().enumerate() {
                let done = rng.percent(p);
                complete &= done;
                if let Some(s) = form(&mut rng, format!("inc{i}-f{n}"), kind, done, sub_at) {
                    state.forms.push(s);
                }
            }
            let victims = rng.below(3); // 0..=2 victims linked; 0 = none linked yet
            if victims == 0 {
                complete = false;
            }
            for v in 0..victims {
                let decided = rng.percent(p);
                complete &= decided;
                state.victims.push(VictimReferralState {
                    victim_id: format!("inc{i}-v{v}"),
                    name: format!("Victim {v}"),
                    decision_recorded: decided,
                    notifications_due: Vec::new(),
                });
            }
        }
        if cfac {
            codes_applied.push("CFAC".to_string());
            let done = rng.percent(p);
            complete &= done;
            if let Some(mut s) = form(&mut rng, format!("inc{i}-f9"), PackKind::CarePlan, done, sub_at) {
                // A complete care plan under a code that needs approval is an approved one.
                if done && codes.get("CFAC").is_some_and(|c| c.requires_approval) {
                    s.status = FormStatus::Approved;
                }
                state.forms.push(s);
            }
        }
        let finalised = check_closure(codes, &codes_applied, &state).is_ok();
        if complete {
            f.complete += 1;
            if !finalised {
                f.complete_but_blocked += 1;
            }
        } else {
            f.incomplete += 1;
            if finalised {
                f.finalised_without_requirements += 1;
            }
        }
        if finalised {
            f.finalised += 1;
        }
        let closed_at = finalised.then(|| (sub_at + HOUR).min(params.now));
        truth.push(complete);
        incidents.push(QueueIncident {
            id: format!("inc{i}"),
            team: format!("team-{}", rng.below(4) + 1),
            occurred_at,
            codes: codes_applied,
            coded_at: Some(occurred_at),
            closed_at,
            nfa_dup_reason: None,
            state,
        });
    }
    let queue = build_queue(&incidents, codes, config, params.now);
    let on_queue: std::collections::HashSet<&str> = queue.items.iter().map(|q| q.incident_id.as_str()).collect();
    f.incomplete_in_queue = incidents
        .iter()
        .zip(&truth)
        .filter(|(inc, complete)| !**complete && on_queue.contains(inc.id.as_str()))
        .count();
    f.incomplete_in_queue_percent =
        if f.incomplete == 0 { 100.0 } else { f.incomplete_in_queue as f64 * 100.0 / f.incomplete as f64 };
    f.queue_items = queue.items.len();
    f.overdue_items = queue.items.iter().filter(|i| i.is_overdue()).count();
    f.daily_review_items = queue.daily_review.len();
    f
}
