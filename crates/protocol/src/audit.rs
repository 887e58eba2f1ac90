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
    /// Data given out of the store: written to a file or another program (the CLI's `--out`,
    /// output not to a terminal). A push to the force's own central service is not one
    /// (`docs/sync.md`).
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

/// How far an entry's time may fall behind its predecessor's before verification warns: a
/// clock corrected by a few minutes (NTP after a laptop wakes) is ordinary.
pub const CLOCK_TOLERANCE_SECS: i64 = 5 * 60;

/// Milliseconds since 1970-01-01 of an access-log time (`YYYY-MM-DDTHH:MM:SS.sssZ`, the
/// fraction optional), or `None` if the text is not one.
pub fn log_time_ms(ts: &str) -> Option<i64> {
    let b = ts.as_bytes();
    if b.len() < 20 || !ts.is_ascii() || b[b.len() - 1] != b'Z' {
        return None;
    }
    let shape = b"0000-00-00T00:00:00";
    for (i, s) in shape.iter().enumerate() {
        let ok = if *s == b'0' { b[i].is_ascii_digit() } else { b[i] == *s };
        if !ok {
            return None;
        }
    }
    let num = |r: std::ops::Range<usize>| ts[r].parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let frac = &ts[19..ts.len() - 1];
    let ms = match frac.strip_prefix('.') {
        None if frac.is_empty() => 0,
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|c| c.is_ascii_digit()) => {
            // The first three digits, right-padded: ".5" is 500 ms.
            let mut digits = f.chars().take(3).collect::<String>();
            while digits.len() < 3 {
                digits.push('0');
            }
            digits.parse::<i64>().ok()?
        }
        _ => return None,
    };
    if !(1..=12).contains(&mo) || d < 1 || d > i64::from(crate::dates::days_in_month(y as u32, mo as u32)) {
        return None;
    }
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + h) * 60 + mi) * 60_000 + s * 1000 + ms)
}

/// An entry written at an earlier time than the entry before it, by more than
/// [`CLOCK_TOLERANCE_SECS`]: the device's clock was set back (or was wrong) between the two.
/// A warning for IT, not a break: the chain itself, which fixes the order, is intact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockWarning {
    /// The entry whose time goes back.
    pub seq: i64,
    pub ts: String,
    /// The entry before it, and its time.
    pub previous_seq: i64,
    pub previous_ts: String,
    /// How far back, in whole seconds.
    pub back_secs: i64,
    /// One sentence for IT, safe to show (times and numbers only).
    pub message: String,
}

/// "2 h 5 min", "7 min 3 s", "3 d 4 h": a duration for the warning.
fn span(secs: i64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, _) => format!("{m} min {s} s"),
        (0, _, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}

/// The warning for entry `seq` (time `ts`) after entry `previous_seq` (time `previous_ts`), if
/// its time is more than [`CLOCK_TOLERANCE_SECS`] earlier. Times that cannot be read give none
/// (a changed time breaks the entry's hash, which the chain check reports).
pub fn clock_went_back(previous_seq: i64, previous_ts: &str, seq: i64, ts: &str) -> Option<ClockWarning> {
    let back_ms = log_time_ms(previous_ts)? - log_time_ms(ts)?;
    if back_ms <= CLOCK_TOLERANCE_SECS * 1000 {
        return None;
    }
    let back_secs = back_ms / 1000;
    Some(ClockWarning {
        seq,
        ts: ts.to_string(),
        previous_seq,
        previous_ts: previous_ts.to_string(),
        back_secs,
        message: format!(
            "entry #{seq} is timed {ts}, {} before entry #{previous_seq} ({previous_ts}): the device's clock \
             was set back or was wrong between them. The chain is intact (nothing was removed or changed), but \
             the times of the entries around #{seq} may be wrong; check the device's clock setting.",
            span(back_secs)
        ),
    })
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
    fn log_times_read_as_milliseconds() {
        assert_eq!(log_time_ms("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(log_time_ms("1970-01-02T00:00:01.5Z"), Some(86_401_500));
        assert_eq!(log_time_ms("2024-03-01T00:00:00Z"), Some(1_709_251_200_000));
        assert_eq!(log_time_ms("2026-12-07T12:48:01.123Z"), Some(1_796_647_681_123));
        for bad in [
            "",
            "2024-02-30T00:00:00Z",
            "2024-05-01 09:30:00Z",
            "2024-05-01T09:30:00",
            "2024-05-01T25:00:00Z",
            "2024-05-01T09:30:00.Z",
            "2024-05-01T09:30:00.12aZ",
        ] {
            assert_eq!(log_time_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_clock_set_back_beyond_the_tolerance_warns() {
        let w = clock_went_back(6, "2026-12-07T12:05:00.000Z", 7, "2026-12-07T10:00:00.000Z").unwrap();
        assert_eq!((w.seq, w.previous_seq, w.back_secs), (7, 6, 7500));
        assert!(
            w.message.starts_with("entry #7 is timed 2026-12-07T10:00:00.000Z, 2 h 5 min before entry #6"),
            "{}",
            w.message
        );
        assert!(w.message.contains("clock"), "{}", w.message);
        // Within five minutes: an ordinary correction. Forward: nothing to say.
        assert!(clock_went_back(1, "2026-12-07T12:05:00.000Z", 2, "2026-12-07T12:00:00.000Z").is_none());
        assert!(clock_went_back(1, "2026-12-07T12:05:00.000Z", 2, "2026-12-07T11:59:59.999Z").is_some());
        assert_eq!(clock_went_back(1, "2026-12-07T10:00:00.000Z", 2, "2026-12-08T10:00:00.000Z"), None);
        assert_eq!(clock_went_back(1, "garbage", 2, "2026-12-08T10:00:00.000Z"), None);
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
