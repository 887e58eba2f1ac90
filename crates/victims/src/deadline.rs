//! Deadline status for near-breach escalation.
//!
//! A deadline "due on D" means by the end of day D, i.e. before midnight at the start of
//! D + 1, in the offset of `now` (pass `now` in UK local time; the engine has no time-zone
//! database, so a deadline that spans a clock change may be out by one hour).

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time};

/// Where a deadline stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineStatus {
    /// More than the threshold remains.
    Ok,
    /// The threshold or less remains: escalate to the supervisor queue.
    DueSoon,
    /// The deadline has passed.
    Breached,
}

impl DeadlineStatus {
    /// True for statuses that belong in the supervisor queue.
    pub fn escalate(self) -> bool {
        !matches!(self, DeadlineStatus::Ok)
    }
}

/// The instant a deadline ends: midnight after `due`, in `now`'s offset. `None` only at the
/// very end of the representable calendar.
pub fn deadline_end(due: Date, now: OffsetDateTime) -> Option<OffsetDateTime> {
    let next = due.next_day()?;
    Some(PrimitiveDateTime::new(next, Time::MIDNIGHT).assume_offset(now.offset()))
}

/// Ok / due soon / breached for a deadline ending at the end of `due`, given `now` and the
/// escalation threshold in hours. Pure and total.
///
/// ```
/// use bluelamp_victims::deadline::{deadline_status, DeadlineStatus};
/// use time::macros::{date, datetime};
/// let due = date!(2025 - 03 - 18); // Tuesday
/// assert_eq!(deadline_status(due, datetime!(2025-03-17 09:00 UTC), 24), DeadlineStatus::Ok);
/// assert_eq!(deadline_status(due, datetime!(2025-03-18 09:00 UTC), 24), DeadlineStatus::DueSoon);
/// assert_eq!(deadline_status(due, datetime!(2025-03-19 00:00 UTC), 24), DeadlineStatus::Breached);
/// ```
pub fn deadline_status(due: Date, now: OffsetDateTime, due_soon_hours: u32) -> DeadlineStatus {
    let Some(end) = deadline_end(due, now) else {
        return DeadlineStatus::Ok;
    };
    if now >= end {
        return DeadlineStatus::Breached;
    }
    let remaining = end - now;
    if remaining <= Duration::hours(i64::from(due_soon_hours)) {
        DeadlineStatus::DueSoon
    } else {
        DeadlineStatus::Ok
    }
}
