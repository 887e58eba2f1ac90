//! Closing-code gates: what an incident needs before it can be closed with a code.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::error::FormsError;
use crate::grading::Grade;
use crate::pack::{PackIssue, PackKind};
use crate::record::{FormRecord, FormStatus};

/// Something a closing code requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// A submitted pack of kind `risk_assessment`.
    RiskAssessment,
    /// A submitted pack of kind `safeguarding_plan`.
    SafeguardingPlan,
    /// A submitted pack of kind `care_plan`.
    CarePlan,
    /// A Victims' Code referral decision for every victim (at least one victim).
    VictimReferralDecision,
}

impl Requirement {
    /// Pack kind that satisfies a form requirement.
    pub fn pack_kind(self) -> Option<PackKind> {
        match self {
            Requirement::RiskAssessment => Some(PackKind::RiskAssessment),
            Requirement::SafeguardingPlan => Some(PackKind::SafeguardingPlan),
            Requirement::CarePlan => Some(PackKind::CarePlan),
            Requirement::VictimReferralDecision => None,
        }
    }
}

/// One closing code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosingCode {
    /// Code, e.g. `"DA"`.
    pub code: String,
    /// Label.
    pub label: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What closing with this code requires.
    #[serde(default)]
    pub requires: Vec<Requirement>,
    /// Required forms must also be approved by a supervisor (not just submitted).
    #[serde(default)]
    pub requires_approval: bool,
    /// Sections the required risk assessment must have answered: a section shown only for
    /// some answers (the honour-based abuse follow-up opens when question 4 or 20 is "yes"),
    /// which a code such as `HBA` depends on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires_sections: Vec<SectionRequirement>,
    /// Incidents closed or coded with it appear on the supervisor's daily review list.
    #[serde(default)]
    pub daily_review: bool,
}

/// A risk-assessment section a closing code needs answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionRequirement {
    /// Section id in the pack (e.g. `"hba"`).
    pub section: String,
    /// What it is and how to open it, for the officer: "its honour-based abuse and forced
    /// marriage follow-up (…)".
    pub label: String,
}

/// The closing-code list (`assets/codes/closing-codes.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosingCodes {
    /// List version.
    pub version: String,
    /// Codes.
    pub codes: Vec<ClosingCode>,
}

impl ClosingCodes {
    /// Find a code (case-insensitive).
    pub fn get(&self, code: &str) -> Option<&ClosingCode> {
        self.codes.iter().find(|c| c.code.eq_ignore_ascii_case(code.trim()))
    }
}

/// Validate a closing-code list JSON text. Empty = valid.
pub fn validate_closing_codes(json: &str) -> Vec<PackIssue> {
    if let Some(issue) = PackIssue::not_an_object(json, "a closing-code list") {
        return vec![issue];
    }
    let list: ClosingCodes = match serde_json::from_str(json) {
        Ok(l) => l,
        Err(e) => return vec![PackIssue::from_serde(&e)],
    };
    let mut out = Vec::new();
    if list.codes.is_empty() {
        out.push(PackIssue::new("codes", "at least one code is needed"));
    }
    let mut seen = HashSet::new();
    for (i, c) in list.codes.iter().enumerate() {
        let ok = !c.code.is_empty()
            && c.code.len() <= 32
            && c.code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !ok {
            out.push(PackIssue::new(
                format!("codes[{i}].code"),
                format!("invalid code {:?}: use 1-32 of A-Z 0-9 _ -", c.code),
            ));
        }
        if !seen.insert(c.code.to_ascii_uppercase()) {
            out.push(PackIssue::new(format!("codes[{i}].code"), format!("duplicate code {:?}", c.code)));
        }
        if c.label.trim().is_empty() {
            out.push(PackIssue::new(format!("codes[{i}].label"), "label must not be empty"));
        }
        let mut reqs = HashSet::new();
        for (j, r) in c.requires.iter().enumerate() {
            if !reqs.insert(r) {
                out.push(PackIssue::new(format!("codes[{i}].requires[{j}]"), format!("duplicate requirement {r:?}")));
            }
        }
        if !c.requires_sections.is_empty() && !c.requires.contains(&Requirement::RiskAssessment) {
            out.push(PackIssue::new(
                format!("codes[{i}].requires_sections"),
                "sections are of the risk assessment: add \"risk_assessment\" to requires",
            ));
        }
        for (j, r) in c.requires_sections.iter().enumerate() {
            if r.section.trim().is_empty() || r.label.trim().is_empty() {
                out.push(PackIssue::new(
                    format!("codes[{i}].requires_sections[{j}]"),
                    "section and label must not be empty",
                ));
            }
        }
    }
    out.extend(gate_floor(&list));
    out
}

/// What no force's list may take away (review, 7 Dec 2026: a list where `DA` required nothing,
/// one with no `DA` at all, and a `CFAC` without its approved care plan all validated): the
/// codes an incident's type implies ([`classification_code`]) exist, `DA` asks for the risk
/// assessment, the safeguarding plan and every victim's referral decision, and `CFAC` for a
/// care plan approved by a supervisor. A force may ask more, never less.
fn gate_floor(list: &ClosingCodes) -> Vec<PackIssue> {
    use Requirement as R;
    let floor: [(&str, &[Requirement], bool); 2] = [
        ("DA", &[R::RiskAssessment, R::SafeguardingPlan, R::VictimReferralDecision], false),
        ("CFAC", &[R::CarePlan], true),
    ];
    let mut out = Vec::new();
    for (code, needs, approval) in floor {
        let Some((i, c)) = list.codes.iter().enumerate().find(|(_, c)| c.code.eq_ignore_ascii_case(code)) else {
            out.push(PackIssue::new(
                "codes",
                format!("the list must have {code}: incidents of its type are gated on it whatever code closes them"),
            ));
            continue;
        };
        for r in needs {
            if !c.requires.contains(r) {
                let name =
                    serde_json::to_value(r).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                out.push(PackIssue::new(format!("codes[{i}].requires"), format!("{code} must require {name:?}")));
            }
        }
        if approval && !c.requires_approval {
            out.push(PackIssue::new(
                format!("codes[{i}].requires_approval"),
                format!("{code} must require its forms approved by a supervisor"),
            ));
        }
    }
    out
}

/// Parse and validate a closing-code list.
pub fn parse_closing_codes(json: &str) -> Result<ClosingCodes, FormsError> {
    let issues = validate_closing_codes(json);
    if !issues.is_empty() {
        return Err(FormsError::InvalidCodes(issues));
    }
    serde_json::from_str(json).map_err(|e| FormsError::InvalidCodes(vec![PackIssue::from_serde(&e)]))
}

/// What the gate knows about one form of the incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormSummary {
    /// Form id.
    pub form_id: String,
    /// Pack id.
    pub pack_id: String,
    /// Pack kind.
    pub kind: PackKind,
    /// Status.
    pub status: FormStatus,
    /// Officer's grade (risk assessments).
    #[serde(default)]
    pub officer_grade: Option<Grade>,
    /// Last submission time.
    #[serde(default)]
    pub submitted_at: Option<i64>,
    /// The engine's suggested grade for a submitted risk assessment, when the caller computed
    /// it (the supervisor queue does): a suggestion above the officer's grade raises the
    /// incident's place in the queue.
    #[serde(default)]
    pub suggested_grade: Option<Grade>,
    /// Sections the form shows for its answers (see [`crate::visible_sections`]), for a
    /// submitted or approved form: what [`ClosingCode::requires_sections`] checks. Empty when
    /// the caller did not compute them.
    #[serde(default)]
    pub sections: Vec<String>,
    /// The person the form is about (its `victim` answer), when it names one.
    #[serde(default)]
    pub victim_id: Option<String>,
}

impl FormSummary {
    /// Summary of a record of `pack`.
    pub fn of(record: &FormRecord, pack: &crate::FormPack) -> FormSummary {
        FormSummary {
            form_id: record.form_id.clone(),
            pack_id: record.pack_id.clone(),
            kind: pack.kind,
            status: record.status,
            officer_grade: record.officer_grade,
            submitted_at: record.submitted_at,
            suggested_grade: None,
            sections: if record.status.is_submitted() {
                crate::visible_sections(pack, &record.answers)
            } else {
                Vec::new()
            },
            victim_id: victim_of(&record.answers),
        }
    }
}

/// The person a form's answers name as the victim (`victim`, plain or `{"value": …}`).
pub fn victim_of(answers: &crate::Answers) -> Option<String> {
    let v = answers.get("victim")?;
    let id = match v {
        serde_json::Value::String(s) => s.as_str(),
        serde_json::Value::Object(m) => m.get("value").and_then(serde_json::Value::as_str)?,
        _ => return None,
    };
    let id = id.trim();
    (!id.is_empty()).then(|| id.to_string())
}

/// A victim of domestic abuse who needs a risk assessment and a safeguarding plan of their own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessedVictim {
    /// Nominal id.
    pub victim_id: String,
    /// Display name.
    pub name: String,
}

/// Victims' Code referral state of one victim (owned by the victims module; an input here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VictimReferralState {
    /// Nominal id of the victim.
    pub victim_id: String,
    /// Display name.
    pub name: String,
    /// A referral decision (accepted / declined / deferred) is recorded.
    pub decision_recorded: bool,
    /// Notifications the Victims' Code rules require for this victim that are not recorded yet
    /// (their labels, e.g. "MARAC (multi-agency risk assessment conference)"): they proceed
    /// without consent, and closing with a code that needs a referral decision waits for them.
    #[serde(default)]
    pub notifications_due: Vec<String>,
}

/// Safeguarding state of an incident.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafeguardingState {
    /// Forms of the incident.
    #[serde(default)]
    pub forms: Vec<FormSummary>,
    /// Victims linked to the incident.
    #[serde(default)]
    pub victims: Vec<VictimReferralState>,
    /// The people linked as victims who each need their own risk assessment and safeguarding
    /// plan (DASH and DARA are about one victim): a form counts for the victim its answers
    /// name. Empty (nobody linked as a victim, or a caller that does not say): one of each for
    /// the incident, as before 7 Dec 2026, when one assessment and one plan about one victim
    /// let a DA incident with two close, the other never assessed.
    #[serde(default)]
    pub assessed_victims: Vec<AssessedVictim>,
}

/// Kind of a missing item (the UI picks the button from it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingKind {
    /// No closing code was given.
    NoClosingCode,
    /// A code that is not in the list.
    UnknownClosingCode,
    /// Risk assessment not submitted.
    RiskAssessment,
    /// Safeguarding plan not submitted.
    SafeguardingPlan,
    /// Care plan not submitted.
    CarePlan,
    /// A victim has no referral decision (or no victim is linked).
    VictimReferralDecision,
    /// A required form waits for supervisor approval.
    SupervisorApproval,
    /// A notification the Victims' Code rules require (MARAC, Operation Encompass, children's
    /// services) is not recorded.
    Notification,
    /// An update the Victims' Code owes a victim after an investigation event (Right 6) is due
    /// soon or overdue (supervisor queue only; it never blocks closing).
    VictimUpdate,
    /// Closed `NFA-DUP` with no reason recorded (`crate::nfa_dup`).
    NfaDupReason,
}

impl MissingKind {
    fn of(r: Requirement) -> MissingKind {
        match r {
            Requirement::RiskAssessment => MissingKind::RiskAssessment,
            Requirement::SafeguardingPlan => MissingKind::SafeguardingPlan,
            Requirement::CarePlan => MissingKind::CarePlan,
            Requirement::VictimReferralDecision => MissingKind::VictimReferralDecision,
        }
    }
}

/// One thing missing before the incident can be closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingItem {
    /// Kind.
    pub kind: MissingKind,
    /// Closing code that requires it.
    pub code: String,
    /// Label for the UI button, e.g. "Submit the draft risk assessment".
    pub label: String,
    /// Existing form to open, if any.
    pub form_id: Option<String>,
    /// Victim concerned, if any.
    pub victim_id: Option<String>,
}

/// Missing items for one requirement of `code`. `approval` = the code needs approved forms.
pub(crate) fn missing_for(
    req: Requirement,
    approval: bool,
    code: &ClosingCode,
    state: &SafeguardingState,
) -> Vec<MissingItem> {
    let item = |kind, label: String, form_id: Option<&str>, victim_id: Option<&str>| MissingItem {
        kind,
        code: code.code.clone(),
        label,
        form_id: form_id.map(str::to_string),
        victim_id: victim_id.map(str::to_string),
    };
    let Some(kind) = req.pack_kind() else {
        if state.victims.is_empty() {
            return vec![item(
                MissingKind::VictimReferralDecision,
                "Link the victim and record a Victims' Code referral decision".into(),
                None,
                None,
            )];
        }
        let mut out: Vec<MissingItem> = state
            .victims
            .iter()
            .filter(|v| !v.decision_recorded)
            .map(|v| {
                item(
                    MissingKind::VictimReferralDecision,
                    format!("Record the victim referral decision for {}", v.name),
                    None,
                    Some(&v.victim_id),
                )
            })
            .collect();
        for v in &state.victims {
            for n in &v.notifications_due {
                out.push(item(
                    MissingKind::Notification,
                    format!("Record the notification to {n} for {}", v.name),
                    None,
                    Some(&v.victim_id),
                ));
            }
        }
        return out;
    };
    let per_victim = matches!(req, Requirement::RiskAssessment | Requirement::SafeguardingPlan);
    if per_victim && !state.assessed_victims.is_empty() {
        return state
            .assessed_victims
            .iter()
            .flat_map(|v| {
                let forms: Vec<&FormSummary> = state
                    .forms
                    .iter()
                    .filter(|f| f.kind == kind && f.victim_id.as_deref() == Some(v.victim_id.as_str()))
                    .collect();
                missing_form(req, kind, approval, code, &forms, Some(v))
            })
            .collect();
    }
    let forms: Vec<&FormSummary> = state.forms.iter().filter(|f| f.kind == kind).collect();
    missing_form(req, kind, approval, code, &forms, None)
}

/// The missing items of one required form of `kind`, among `forms`; `who`: the victim it must
/// be about (named in the labels, and the items').
fn missing_form(
    req: Requirement,
    kind: PackKind,
    approval: bool,
    code: &ClosingCode,
    forms: &[&FormSummary],
    who: Option<&AssessedVictim>,
) -> Vec<MissingItem> {
    let victim_id = who.map(|v| v.victim_id.as_str());
    let about = who.map(|v| format!(" for {}", v.name)).unwrap_or_default();
    let item = |kind, label: String, form_id: Option<&str>| MissingItem {
        kind,
        code: code.code.clone(),
        label,
        form_id: form_id.map(str::to_string),
        victim_id: victim_id.map(str::to_string),
    };
    let needs: &[SectionRequirement] = if req == Requirement::RiskAssessment { &code.requires_sections } else { &[] };
    let has_sections = |f: &FormSummary| needs.iter().all(|n| f.sections.contains(&n.section));
    // What the label adds when the code needs sections: "(the HBA code needs its …)".
    let needed = if needs.is_empty() {
        String::new()
    } else {
        let labels: Vec<&str> = needs.iter().map(|n| n.label.as_str()).collect();
        format!(" (the {} code needs {})", code.code, labels.join(" and "))
    };
    if forms.iter().any(|f| f.status == FormStatus::Approved && has_sections(f)) {
        return vec![];
    }
    if let Some(f) = forms.iter().find(|f| f.status == FormStatus::Submitted && has_sections(f)) {
        if !approval {
            return vec![];
        }
        return vec![item(
            MissingKind::SupervisorApproval,
            format!("Supervisor review of the {}{about}", kind.label()),
            Some(&f.form_id),
        )];
    }
    let mk = MissingKind::of(req);
    if let Some(f) = forms.iter().find(|f| f.status == FormStatus::Returned) {
        return vec![item(
            mk,
            format!("Amend and resubmit the returned {}{about}{needed}", kind.label()),
            Some(&f.form_id),
        )];
    }
    // A draft before a form submitted without a section the code needs: the officer may be
    // amending it, or answering a DASH-style form after a DARA-style one.
    if let Some(f) = forms.iter().find(|f| f.status == FormStatus::Draft) {
        return vec![item(mk, format!("Submit the draft {}{about}{needed}", kind.label()), Some(&f.form_id))];
    }
    if let Some(f) = forms.iter().find(|f| f.status.is_submitted()) {
        // Submitted without a section the code needs: corrections are amendments.
        return vec![item(mk, format!("Amend the {}{about}{needed}", kind.label()), Some(&f.form_id))];
    }
    vec![item(mk, format!("Complete a {}{about}{needed}", kind.label()), None)]
}

/// Two labels of one missing item, one perhaps with what another code adds to it.
pub(crate) fn same_label(a: &str, b: &str) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// The code an incident type implies (`domestic_abuse` → `DA`, `concern_for_child` → `CFAC`).
pub fn classification_code(incident_type: &str) -> Option<&'static str> {
    match incident_type {
        "domestic_abuse" => Some("DA"),
        "concern_for_child" => Some("CFAC"),
        _ => None,
    }
}

/// The codes the closing-code gate checks: the chosen closing code and, once one is chosen,
/// the code the incident's type implies (a domestic-abuse incident is checked against `DA`
/// whatever code it is closed with, so choosing "Advice" does not skip its risk assessment,
/// plan and referral decisions). `NFA-DUP` (a duplicate, or no incident found) is the one code
/// that replaces the type's: there was nothing to safeguard. The device and the central service
/// both gate on these.
pub fn gate_codes<'a>(incident_type: &str, chosen: Option<&'a str>) -> Vec<&'a str> {
    let Some(chosen) = chosen else {
        return Vec::new();
    };
    let mut codes = vec![chosen];
    if let Some(implied) = classification_code(incident_type) {
        if !chosen.trim().eq_ignore_ascii_case(implied) && !chosen.trim().eq_ignore_ascii_case("NFA-DUP") {
            codes.push(implied);
        }
    }
    codes
}

/// All missing items for the given codes (deduplicated, in code order). Empty = may close.
pub fn missing_items<S: AsRef<str>>(
    codes: &ClosingCodes,
    selected: &[S],
    state: &SafeguardingState,
) -> Vec<MissingItem> {
    let mut out: Vec<MissingItem> = Vec::new();
    let nonblank: Vec<&str> = selected.iter().map(|s| s.as_ref().trim()).filter(|s| !s.is_empty()).collect();
    if nonblank.is_empty() {
        out.push(MissingItem {
            kind: MissingKind::NoClosingCode,
            code: String::new(),
            label: "Choose a closing code".into(),
            form_id: None,
            victim_id: None,
        });
        return out;
    }
    for s in nonblank {
        let Some(code) = codes.get(s) else {
            out.push(MissingItem {
                kind: MissingKind::UnknownClosingCode,
                code: s.to_string(),
                label: format!("Unknown closing code {s:?}: choose a code from the list"),
                form_id: None,
                victim_id: None,
            });
            continue;
        };
        for req in &code.requires {
            for m in missing_for(*req, code.requires_approval, code, state) {
                // The label too: one victim can have two notifications due. Of one item asked by
                // two codes ("Complete a risk assessment" for DA and HBA), the label saying more.
                let same = out.iter_mut().find(|o| {
                    o.kind == m.kind
                        && o.form_id == m.form_id
                        && o.victim_id == m.victim_id
                        && same_label(&o.label, &m.label)
                });
                match same {
                    Some(o) if m.label.len() > o.label.len() => *o = m,
                    Some(_) => {}
                    None => out.push(m),
                }
            }
        }
    }
    out
}

/// The gate: `Ok(())` when the incident may be closed with `selected` codes, otherwise
/// every missing item.
pub fn check_closure<S: AsRef<str>>(
    codes: &ClosingCodes,
    selected: &[S],
    state: &SafeguardingState,
) -> Result<(), Vec<MissingItem>> {
    let m = missing_items(codes, selected, state);
    if m.is_empty() {
        Ok(())
    } else {
        Err(m)
    }
}
