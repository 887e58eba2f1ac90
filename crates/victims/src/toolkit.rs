//! The victims' toolkit: an offline directory of support services and a pure filter.
//!
//! The default directory (`assets/victims/services.json`) lists real national services by
//! name only and a few clearly-labelled example local services. It deliberately holds **no
//! phone numbers or web addresses**: each force fills `contact` from its own verified list.

use serde::{Deserialize, Serialize};

use crate::error::VictimsError;

const DEFAULT_SERVICES_JSON: &str = include_str!("../../../assets/victims/services.json");

/// Contact details, filled in by the force.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Web address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// Opening hours, referral route, etc.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// National or local.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Local to named areas.
    Local,
    /// National (within `areas`, e.g. england, wales).
    National,
}

/// A support service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// Stable id.
    pub id: String,
    /// Name.
    pub name: String,
    /// National or local.
    pub scope: Scope,
    /// Areas served (nations for national services, force/council areas for local ones).
    /// Empty = the whole UK.
    #[serde(default)]
    pub areas: Vec<String>,
    /// Offence categories it helps with (rules' category codes). Empty = any.
    #[serde(default)]
    pub offences: Vec<String>,
    /// Needs it meets, e.g. `emotional_support`, `children`, `forced_marriage`. Empty = general.
    #[serde(default)]
    pub needs: Vec<String>,
    /// One-line description for the officer.
    #[serde(default)]
    pub description: String,
    /// Contact details (empty in the default file: forces fill them in).
    #[serde(default)]
    pub contact: Contact,
    /// An illustrative entry to replace with a real local service.
    #[serde(default)]
    pub example: bool,
}

/// The directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceDirectory {
    /// Format version (1).
    pub schema_version: u32,
    /// Services.
    pub services: Vec<Service>,
}

impl ServiceDirectory {
    /// Parses a directory.
    pub fn from_json(json: &str) -> Result<ServiceDirectory, VictimsError> {
        let d: ServiceDirectory =
            serde_json::from_str(json).map_err(|e| VictimsError::Json { what: "services", detail: e.to_string() })?;
        if d.schema_version != 1 {
            return Err(VictimsError::Invalid {
                what: "services",
                detail: format!("schema_version {} is not supported (expected 1)", d.schema_version),
            });
        }
        let mut ids = std::collections::BTreeSet::new();
        for s in &d.services {
            if s.id.trim().is_empty() || !ids.insert(s.id.to_ascii_lowercase()) {
                return Err(VictimsError::Invalid {
                    what: "services",
                    detail: format!("service id {:?} is empty or repeated", s.id),
                });
            }
        }
        Ok(d)
    }

    /// The embedded default directory.
    pub fn default_directory() -> Result<ServiceDirectory, VictimsError> {
        ServiceDirectory::from_json(DEFAULT_SERVICES_JSON)
    }

    /// Services matching the query: local services first, then national, each by name.
    pub fn filter(&self, q: &ServiceQuery) -> Vec<&Service> {
        let mut out: Vec<&Service> = self.services.iter().filter(|s| q.matches(s)).collect();
        out.sort_by(|a, b| a.scope.cmp(&b.scope).then_with(|| a.name.cmp(&b.name)));
        out
    }
}

/// What to look for. Every field set must match; all `None`/empty = everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceQuery {
    /// Offence category codes of the incident: services listing any of them, or listing none.
    #[serde(default)]
    pub offences: Vec<String>,
    /// A need, e.g. `children`: services listing it.
    #[serde(default)]
    pub need: Option<String>,
    /// Areas the victim is in (e.g. `["england", "example-county"]`): services with no
    /// areas, or sharing one.
    #[serde(default)]
    pub areas: Vec<String>,
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase().replace([' ', '_'], "-")
}

impl ServiceQuery {
    /// True if `s` matches.
    pub fn matches(&self, s: &Service) -> bool {
        let offences_ok = s.offences.is_empty()
            || self.offences.is_empty()
            || s.offences.iter().any(|o| self.offences.iter().any(|q| norm(q) == norm(o)));
        let need_ok = match self.need.as_deref().map(norm) {
            None => true,
            Some(n) if n.is_empty() => true,
            Some(n) => s.needs.iter().any(|x| norm(x) == n),
        };
        let area_ok = s.areas.is_empty()
            || self.areas.is_empty()
            || s.areas.iter().any(|a| self.areas.iter().any(|q| norm(q) == norm(a)));
        offences_ok && need_ok && area_ok
    }
}
