//! The access log (DPA 2018 Part 3 s.62): what the audit viewer (supervisors and admins) asks
//! for and gets back. The log itself is written and verified by the store; these are plain
//! data.

use serde::{Deserialize, Serialize};

use crate::ApiError;

/// Largest page of entries the viewer gets.
pub const MAX_LIMIT: u32 = 5000;
pub const DEFAULT_LIMIT: u32 = 200;
/// Longest officer id or object-reference filter accepted.
pub const MAX_FILTER_CHARS: usize = 200;

/// What was done to personal data (the s.62 kinds), plus authentication events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// New data recorded (a form, an incident, a nominal).
    Collection,
    /// Existing data changed.
    Alteration,
    /// Data looked at: every search (with its query and result count), every record opened.
    Consultation,
    /// Data given out: export, print, upload to the central service.
    Disclosure,
    /// Data from different records or sources brought together (e.g. linking a nominal).
    Combination,
    /// Data deleted.
    Erasure,
    /// The store was unlocked.
    Unlock,
    /// Wrong passphrase(s) before an unlock (written once the store is open again).
    UnlockFailed,
    /// The store was locked (idle timeout or shortcut).
    Lock,
}

impl AuditAction {
    pub const ALL: [AuditAction; 9] = [
        AuditAction::Collection,
        AuditAction::Alteration,
        AuditAction::Consultation,
        AuditAction::Disclosure,
        AuditAction::Combination,
        AuditAction::Erasure,
        AuditAction::Unlock,
        AuditAction::UnlockFailed,
        AuditAction::Lock,
    ];

    /// The stored (and hashed) spelling. Never change one.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Collection => "collection",
            AuditAction::Alteration => "alteration",
            AuditAction::Consultation => "consultation",
            AuditAction::Disclosure => "disclosure",
            AuditAction::Combination => "combination",
            AuditAction::Erasure => "erasure",
            AuditAction::Unlock => "unlock",
            AuditAction::UnlockFailed => "unlock_failed",
            AuditAction::Lock => "lock",
        }
    }

    pub fn parse(s: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// How the action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    Success,
    /// Tried but did not complete (e.g. the record was not found).
    Failure,
    /// Refused by a rule or a role check.
    Denied,
}

impl AuditOutcome {
    /// The stored (and hashed) spelling. Never change one.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Success => "success",
            AuditOutcome::Failure => "failure",
            AuditOutcome::Denied => "denied",
        }
    }

    pub fn parse(s: &str) -> Option<AuditOutcome> {
        [AuditOutcome::Success, AuditOutcome::Failure, AuditOutcome::Denied].into_iter().find(|o| o.as_str() == s)
    }
}

/// `audit_list`: the viewer's filter. Every field is optional; entries come newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditFilter {
    /// Exact officer id.
    pub officer_id: Option<String>,
    /// Inclusive lower bound: a date `YYYY-MM-DD` or a UTC timestamp prefix (`2024-05-01T09`).
    pub since: Option<String>,
    /// Inclusive upper bound, same forms as `since` (`2024-05-01` includes the whole day).
    pub until: Option<String>,
    /// Substring of the object reference, case-insensitive (e.g. a nominal id); an entry whose
    /// detail names the id whole matches too (a search that listed the person, an incident page
    /// that showed them).
    pub object_ref: Option<String>,
    pub action: Option<AuditAction>,
    pub limit: Option<u32>,
}

/// Checks a `since`/`until` bound: a `YYYY-MM-DD` date, optionally followed by a prefix of
/// `THH:MM:SS`.
fn check_bound(label: &str, v: &str) -> Result<(), ApiError> {
    let bad = || ApiError::invalid(format!("The {label} date '{v}' is not a date (YYYY-MM-DD)."));
    let b = v.as_bytes();
    if b.len() < 10 || b.len() > 19 || !v.is_ascii() {
        return Err(bad());
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if !(digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10)) {
        return Err(bad());
    }
    let (m, d): (u32, u32) = (v[5..7].parse().map_err(|_| bad())?, v[8..10].parse().map_err(|_| bad())?);
    let y: u32 = v[0..4].parse().map_err(|_| bad())?;
    if !(1..=12).contains(&m) || d == 0 || d > crate::dates::days_in_month(y, m) {
        return Err(bad());
    }
    // The rest must be a prefix of "THH:MM:SS" shaped text.
    const SHAPE: &[u8] = b"T00:00:00";
    for (i, c) in b[10..].iter().enumerate() {
        let ok = if SHAPE[i] == b'0' { c.is_ascii_digit() } else { *c == SHAPE[i] };
        if !ok {
            return Err(bad());
        }
    }
    Ok(())
}

impl AuditFilter {
    pub fn validate(&self) -> Result<(), ApiError> {
        for (label, v) in [("officer", &self.officer_id), ("record", &self.object_ref)] {
            if v.as_deref().is_some_and(|s| s.chars().count() > MAX_FILTER_CHARS) {
                return Err(ApiError::invalid(format!(
                    "The {label} filter is too long (more than {MAX_FILTER_CHARS} characters)."
                )));
            }
        }
        if let Some(s) = &self.since {
            check_bound("start", s)?;
        }
        if let Some(u) = &self.until {
            check_bound("end", u)?;
        }
        if let (Some(s), Some(u)) = (&self.since, &self.until) {
            let n = s.len().min(u.len());
            if s[..n] > u[..n] {
                return Err(ApiError::invalid("The start date is after the end date."));
            }
        }
        if self.limit == Some(0) || self.limit.is_some_and(|l| l > MAX_LIMIT) {
            return Err(ApiError::invalid(format!("The limit must be between 1 and {MAX_LIMIT}.")));
        }
        Ok(())
    }

    pub fn effective_limit(&self) -> u32 {
        self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }
}

/// One access-log entry as the viewer shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// UUIDv7.
    pub id: String,
    /// UTC, `YYYY-MM-DDTHH:MM:SS.sssZ`.
    pub ts: String,
    pub officer_id: String,
    pub device_id: String,
    /// An [`AuditAction`] spelling (kept as text so that an entry from a newer build still shows).
    pub action: String,
    /// What was acted on, e.g. `nominal:<id>`, `form:<id>`, `search:nominals`.
    pub object_ref: String,
    /// The purpose code given, if any.
    pub purpose: Option<String>,
    /// An [`AuditOutcome`] spelling.
    pub outcome: String,
    /// Action-specific detail (a search's query and result count, …).
    pub detail: serde_json::Value,
    /// Hex SHA-256 of the previous entry (64 zeros for the first).
    pub prev_hash: String,
    /// Hex SHA-256 over `prev_hash` and this entry's canonical bytes.
    pub entry_hash: String,
}

/// An entry's detail as one line for the viewer: `key: value` pairs (nested keys joined with
/// `.`), empty and null values left out, lists of more than five shortened with the count
/// ("ids: N-1, N-2, N-3, N-4, N-5 and 7 more"). Nothing is dropped silently but those
/// shortened lists; the whole detail stays in the store and in `audit list --json`.
pub fn detail_summary(detail: &serde_json::Value) -> String {
    fn walk(prefix: &str, v: &serde_json::Value, out: &mut Vec<String>) {
        use serde_json::Value;
        let key = |k: &str| if prefix.is_empty() { k.to_string() } else { format!("{prefix}.{k}") };
        match v {
            Value::Null => {}
            Value::String(s) if s.is_empty() => {}
            Value::Object(m) => {
                for (k, v) in m {
                    walk(&key(k), v, out);
                }
            }
            Value::Array(a) if a.is_empty() => {}
            Value::Array(a) => {
                let shown: Vec<String> = a.iter().take(5).map(scalar).collect();
                let more = if a.len() > 5 { format!(" and {} more", a.len() - 5) } else { String::new() };
                out.push(format!("{}: {}{more}", label(prefix), shown.join(", ")));
            }
            other => out.push(format!("{}: {}", label(prefix), scalar(other))),
        }
    }
    fn label(prefix: &str) -> &str {
        if prefix.is_empty() {
            "detail"
        } else {
            prefix
        }
    }
    fn scalar(v: &serde_json::Value) -> String {
        match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
    let mut out = Vec::new();
    walk("", detail, &mut out);
    out.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_summary_reads_as_one_line() {
        let d = serde_json::json!({
            "query": { "name": "Sadcott", "given": null, "surname": "", "dob": { "year": 1985 } },
            "results": 7,
            "ids": ["N-1", "N-2", "N-3", "N-4", "N-5", "N-6", "N-7"],
        });
        assert_eq!(
            detail_summary(&d),
            "ids: N-1, N-2, N-3, N-4, N-5 and 2 more; query.dob.year: 1985; query.name: Sadcott; results: 7"
        );
        assert_eq!(detail_summary(&serde_json::json!({})), "");
        assert_eq!(detail_summary(&serde_json::json!("wiped")), "detail: wiped");
        assert_eq!(detail_summary(&serde_json::json!({ "ids": [] })), "");
    }

    #[test]
    fn actions_round_trip() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
            assert_eq!(serde_json::to_value(a).unwrap(), serde_json::Value::String(a.as_str().into()));
        }
        assert_eq!(AuditAction::parse("nope"), None);
    }

    #[test]
    fn filter_validation() {
        let ok = |f: AuditFilter| f.validate().is_ok();
        assert!(ok(AuditFilter::default()));
        assert!(ok(AuditFilter {
            since: Some("2024-05-01".into()),
            until: Some("2024-05-01".into()),
            ..Default::default()
        }));
        assert!(ok(AuditFilter { since: Some("2024-05-01T09:3".into()), ..Default::default() }));
        assert!(!ok(AuditFilter { since: Some("2024-13-01".into()), ..Default::default() }));
        assert!(!ok(AuditFilter { since: Some("2024-02-30".into()), ..Default::default() }));
        assert!(!ok(AuditFilter { since: Some("yesterday".into()), ..Default::default() }));
        assert!(!ok(AuditFilter { since: Some("2024-05-01X".into()), ..Default::default() }));
        assert!(!ok(AuditFilter {
            since: Some("2024-05-02".into()),
            until: Some("2024-05-01".into()),
            ..Default::default()
        }));
        assert!(!ok(AuditFilter { limit: Some(0), ..Default::default() }));
        assert!(!ok(AuditFilter { limit: Some(MAX_LIMIT + 1), ..Default::default() }));
        assert!(!ok(AuditFilter { officer_id: Some("x".repeat(201)), ..Default::default() }));
    }
}
