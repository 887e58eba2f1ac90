//! Per-force rules, loaded from JSON (`assets/victims/rules.json` is the default).
//!
//! Everything a force may reasonably disagree about is data: which offence categories count
//! as "most serious crime", the consent model per category, the destinations and when each
//! applies, vulnerability markers, needs-assessment questions, deadline lengths, the
//! persistent-targeting threshold and the escalation threshold.

use serde::{Deserialize, Serialize};

use crate::error::VictimsError;

const DEFAULT_RULES_JSON: &str = include_str!("../../../assets/victims/rules.json");

/// How referral consent works for a victim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentModel {
    /// Details are passed on unless the victim objects.
    OptOut,
    /// Details are passed on only with the victim's explicit agreement.
    OptIn,
}

/// Semantic tags on offence categories that switch on built-in behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoryTag {
    /// Domestic abuse: mandatory safe-contact block; children present become victims.
    DomesticAbuse,
    /// Sexual offence: complainants are eligible as intimidated witnesses.
    SexualOffence,
    /// A death: bereaved close relatives are victims.
    Homicide,
    /// Hate crime.
    HateCrime,
}

/// Why a person counts as a victim under the Code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VictimBasis {
    /// Linked with the victim role.
    Direct,
    /// A child who saw, heard or experienced the effects of domestic abuse (DA-tagged
    /// incidents only: Domestic Abuse Act 2021 s.3).
    ChildPresent,
    /// Close relative of a person killed (or nominated family spokesperson).
    BereavedRelative,
    /// Parent or guardian of a victim under 18.
    ParentOrGuardian,
    /// Spokesperson for a victim who cannot communicate.
    Spokesperson,
}

/// Domestic-abuse risk grade (from DASH/DARA plus professional judgement).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    /// Standard.
    Standard,
    /// Medium.
    Medium,
    /// High (MARAC threshold).
    High,
}

/// Grounds for enhanced rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnhancedGround {
    /// Victim of the most serious crime (includes bereaved close relatives).
    MostSeriousCrime,
    /// Under 18 at the time of the offence (automatically vulnerable).
    Under18,
    /// Vulnerable (YJCEA 1999 s.16 factors).
    Vulnerable,
    /// Intimidated (YJCEA 1999 s.17: fear or distress about testifying).
    Intimidated,
    /// Persistently targeted.
    PersistentlyTargeted,
    /// Acting for a victim who has enhanced rights (parent, guardian, spokesperson).
    ActingForEnhancedVictim,
}

/// Referral (to a support service) or notification (safeguarding partner).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DestinationKind {
    /// A referral to a support service.
    Referral,
    /// A safeguarding notification or multi-agency referral.
    Notification,
}

/// An offence category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// Code used in incidents, e.g. `domestic_abuse`.
    pub code: String,
    /// Display label.
    pub label: String,
    /// Victims of this category have enhanced rights as victims of the most serious crime.
    #[serde(default)]
    pub most_serious: bool,
    /// Consent model; `None` means the rules' `default_consent`.
    #[serde(default)]
    pub consent: Option<ConsentModel>,
    /// Built-in behaviour switches.
    #[serde(default)]
    pub tags: Vec<CategoryTag>,
    /// Where the classification comes from / what to check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A referral or notification destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destination {
    /// Code, e.g. `idva`.
    pub code: String,
    /// Display label.
    pub label: String,
    /// Referral or notification.
    pub kind: DestinationKind,
    /// Whether the victim's consent model applies (false for safeguarding notifications
    /// and MARAC, which proceed without consent).
    #[serde(default = "yes")]
    pub consent_applies: bool,
    /// Whether the service will contact the victim (so DA safe-contact details are needed).
    #[serde(default = "yes")]
    pub contacts_victim: bool,
    /// Due before the next working day starts (08:30 UK time on the first working day that
    /// starts after the crime was recorded: `assess::next_school_day`), not with the referral
    /// decision (Operation Encompass: the school is told before the next school day).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub before_next_working_day: bool,
}

fn yes() -> bool {
    true
}

/// Conditions; every condition that is set must hold (empty = always).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Condition {
    /// Any incident category carries one of these tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags_any: Vec<CategoryTag>,
    /// The incident has one of these category codes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub categories_any: Vec<String>,
    /// The person is a victim on one of these bases.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub basis_any: Vec<VictimBasis>,
    /// Under 18 at the time of the offence (true) or adult (false): for rights (the Code's
    /// "under 18 at the time of the offence").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub under_18: Option<bool>,
    /// Under 18 on the day the crime was recorded (true) or adult then (false): for what is done
    /// about a child now (a notification to their school or children's services). A victim of a
    /// non-recent offence who is an adult now is no child for these. Without a date of birth, the
    /// answer for the time of the offence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub under_18_when_recorded: Option<bool>,
    /// Aged at least this on the day the crime was recorded (school age, 4, for Operation
    /// Encompass). Holds when the age is not known (the date of birth is asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_age_when_recorded: Option<u8>,
    /// Risk grade at least this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_risk: Option<RiskLevel>,
    /// Enhanced rights apply (true) or not (false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enhanced: Option<bool>,
    /// The risk assessment meets a MARAC criterion (true: `Incident::marac_criteria` is not
    /// empty) or none (false), whatever the grade.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marac_criterion: Option<bool>,
}

/// When a destination applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestinationRule {
    /// Destination code.
    pub destination: String,
    /// Conditions.
    #[serde(default)]
    pub when: Condition,
    /// Reason shown to the officer.
    pub reason: String,
}

/// Consent model override for a victim basis (e.g. bereaved relatives: opt-in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasisConsent {
    /// Basis.
    pub basis: VictimBasis,
    /// Consent model.
    pub consent: ConsentModel,
}

/// A person marker that means vulnerable or intimidated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkerRule {
    /// Marker code as held on the person record (case-insensitive).
    pub code: String,
    /// `vulnerable` or `intimidated`.
    pub ground: EnhancedGround,
    /// Display label.
    pub label: String,
}

/// Answer type of a needs-assessment question.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    /// Yes or no.
    #[default]
    YesNo,
    /// Free text.
    Text,
}

/// A needs-assessment question (force-worded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeedsQuestion {
    /// Stable id; answers are keyed by it (`person.needs[id]`).
    pub id: String,
    /// Question text.
    pub text: String,
    /// Answer type.
    #[serde(default)]
    pub answer: AnswerKind,
    /// When to ask.
    #[serde(default)]
    pub when: Condition,
    /// A "yes" answer is a ground for enhanced rights (`vulnerable` or `intimidated`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_means: Option<EnhancedGround>,
}

/// Deadline lengths in working days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineRules {
    /// Referral decision due this many working days after the crime is recorded (Code: 2).
    pub referral_working_days: u32,
    /// Updates to enhanced victims (Code: 1).
    pub update_working_days_enhanced: u32,
    /// Updates to other victims (Code: 5).
    pub update_working_days_standard: u32,
    /// Default follow-up for a deferred decision.
    pub deferral_follow_up_working_days: u32,
}

/// Near-breach escalation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationRules {
    /// "Due soon" when this many hours or fewer remain before the deadline.
    pub due_soon_hours: u32,
}

/// Persistently targeted threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersistentTargeting {
    /// N: this many incidents as victim (including the current one) in the window.
    pub min_incidents: u32,
    /// Window length in days, ending on the day the current incident was recorded.
    pub window_days: u32,
}

/// A force's Victims' Code rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    /// Format version (1).
    pub schema_version: u32,
    /// Force name or code.
    pub force: String,
    /// Version label of this rule set, echoed in every assessment for audit.
    pub rules_version: String,
    /// Calendar region code (`england-and-wales`, `scotland`, `northern-ireland`).
    pub calendar: String,
    /// Consent model for categories that do not set one.
    pub default_consent: ConsentModel,
    /// Consent overrides by victim basis.
    #[serde(default)]
    pub consent_by_basis: Vec<BasisConsent>,
    /// Deadlines.
    pub deadlines: DeadlineRules,
    /// Escalation.
    pub escalation: EscalationRules,
    /// Persistent targeting.
    pub persistent_targeting: PersistentTargeting,
    /// Offence categories.
    pub categories: Vec<Category>,
    /// Destinations.
    pub destinations: Vec<Destination>,
    /// When each destination applies.
    pub destination_rules: Vec<DestinationRule>,
    /// Markers meaning vulnerable / intimidated.
    #[serde(default)]
    pub markers: Vec<MarkerRule>,
    /// Needs-assessment questions.
    #[serde(default)]
    pub needs_questions: Vec<NeedsQuestion>,
    /// School holidays in the force's area (term dates are set by each local authority; a
    /// force lists those of its schools). A notification due "before the next school day"
    /// (Operation Encompass) is then due before the first school day after the holiday, not
    /// every morning of it. Empty: every working day is a school day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub school_holidays: Vec<SchoolHoliday>,
}

/// A school holiday: `from` to `to`, both days included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchoolHoliday {
    /// The first day of the holiday.
    #[serde(with = "crate::dates::iso_date")]
    pub from: time::Date,
    /// The last day of the holiday.
    #[serde(with = "crate::dates::iso_date")]
    pub to: time::Date,
    /// E.g. "Christmas", "Summer half term".
    #[serde(default)]
    pub name: String,
}

/// The longest school holiday taken for one (summer holidays run to about seven weeks): a
/// longer one is a typing error in the dates.
pub const MAX_SCHOOL_HOLIDAY_DAYS: i64 = 70;

impl Rules {
    /// Whether `day` falls in one of the school holidays.
    pub fn in_school_holiday(&self, day: time::Date) -> Option<&SchoolHoliday> {
        self.school_holidays.iter().find(|h| h.from <= day && day <= h.to)
    }

    /// Parses and checks a rules file.
    pub fn from_json(json: &str) -> Result<Rules, VictimsError> {
        let rules: Rules =
            serde_json::from_str(json).map_err(|e| VictimsError::Json { what: "rules", detail: e.to_string() })?;
        rules.check()?;
        Ok(rules)
    }

    /// The embedded default rules (`assets/victims/rules.json`).
    pub fn default_rules() -> Result<Rules, VictimsError> {
        Rules::from_json(DEFAULT_RULES_JSON)
    }

    /// Looks up a category by code (case-insensitive, trimmed).
    pub fn category(&self, code: &str) -> Option<&Category> {
        let code = code.trim();
        self.categories.iter().find(|c| c.code.eq_ignore_ascii_case(code))
    }

    /// Looks up a destination by code (case-insensitive, trimmed).
    pub fn destination(&self, code: &str) -> Option<&Destination> {
        let code = code.trim();
        self.destinations.iter().find(|d| d.code.eq_ignore_ascii_case(code))
    }

    /// Whether a decision answers the Victims' Code referral question (Right 4: the victim is
    /// offered a referral to a support service): a decline, a deferral, or a referral to a
    /// service that needs the victim's consent. A notification made without asking the victim
    /// (MARAC, children's services, Operation Encompass) does not: after one, the victim has
    /// still not been offered support. An unknown destination counts (it is not a listed
    /// notification).
    pub fn answers_referral_question(&self, outcome: crate::Outcome, destination: Option<&str>) -> bool {
        match outcome {
            crate::Outcome::Declined | crate::Outcome::Deferred => true,
            crate::Outcome::Referred => destination.and_then(|d| self.destination(d)).is_none_or(|d| d.consent_applies),
        }
    }

    /// Looks up a marker rule by code (case-insensitive, trimmed).
    pub fn marker(&self, code: &str) -> Option<&MarkerRule> {
        let code = code.trim();
        self.markers.iter().find(|m| m.code.eq_ignore_ascii_case(code))
    }

    fn check(&self) -> Result<(), VictimsError> {
        let bad = |detail: String| VictimsError::Invalid { what: "rules", detail };
        if self.schema_version != 1 {
            return Err(bad(format!("schema_version {} is not supported (expected 1)", self.schema_version)));
        }
        if crate::calendar::Region::parse(&self.calendar).is_none() {
            return Err(bad(format!("unknown calendar {:?}", self.calendar)));
        }
        for h in &self.school_holidays {
            let days = (h.to - h.from).whole_days() + 1;
            if !(1..=MAX_SCHOOL_HOLIDAY_DAYS).contains(&days) {
                return Err(bad(format!(
                    "school holiday {:?} from {} to {}: it must end on or after it starts and last at most {} days",
                    h.name, h.from, h.to, MAX_SCHOOL_HOLIDAY_DAYS
                )));
            }
        }
        if self.persistent_targeting.min_incidents == 0 {
            return Err(bad("persistent_targeting.min_incidents must be at least 1".into()));
        }
        let max = crate::calendar::MAX_WORKING_DAYS;
        let d = &self.deadlines;
        for (name, v) in [
            ("referral_working_days", d.referral_working_days),
            ("update_working_days_enhanced", d.update_working_days_enhanced),
            ("update_working_days_standard", d.update_working_days_standard),
            ("deferral_follow_up_working_days", d.deferral_follow_up_working_days),
        ] {
            if v > max {
                return Err(bad(format!("deadlines.{name} = {v} is too large")));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for c in &self.categories {
            if c.code.trim().is_empty() || !seen.insert(c.code.to_ascii_lowercase()) {
                return Err(bad(format!("category code {:?} is empty or repeated", c.code)));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for d in &self.destinations {
            if d.code.trim().is_empty() || !seen.insert(d.code.to_ascii_lowercase()) {
                return Err(bad(format!("destination code {:?} is empty or repeated", d.code)));
            }
        }
        for r in &self.destination_rules {
            if self.destination(&r.destination).is_none() {
                return Err(bad(format!("destination rule names unknown destination {:?}", r.destination)));
            }
            for c in &r.when.categories_any {
                if self.category(c).is_none() {
                    return Err(bad(format!("destination rule for {:?} names unknown category {c:?}", r.destination)));
                }
            }
        }
        for m in &self.markers {
            if !matches!(m.ground, EnhancedGround::Vulnerable | EnhancedGround::Intimidated) {
                return Err(bad(format!("marker {:?}: ground must be vulnerable or intimidated", m.code)));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for q in &self.needs_questions {
            if q.id.trim().is_empty() || !seen.insert(q.id.clone()) {
                return Err(bad(format!("needs question id {:?} is empty or repeated", q.id)));
            }
            if let Some(g) = q.yes_means {
                if !matches!(g, EnhancedGround::Vulnerable | EnhancedGround::Intimidated) {
                    return Err(bad(format!("needs question {:?}: yes_means must be vulnerable or intimidated", q.id)));
                }
            }
        }
        Ok(())
    }
}
