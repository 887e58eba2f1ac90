//! UK civil time (GMT in winter, BST = UTC+1 from 01:00 UTC on the last Sunday of March to
//! 01:00 UTC on the last Sunday of October), with no time-zone database: the one rule is
//! [`bluelamp_forms::time::uk_offset_secs`]. The store and the CLI use these helpers too, so the
//! engine and its callers agree on what day and time an instant is in the UK.

use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// When a school day starts, UK time: a notification due "before the next school day"
/// (Operation Encompass) is due at 08:30 on a working day.
pub const SCHOOL_DAY_STARTS: Time = time::macros::time!(08:30);

/// The UK offset in force at an instant (GMT or BST).
pub fn uk_offset(at: OffsetDateTime) -> UtcOffset {
    let secs = bluelamp_forms::time::uk_offset_secs(at.unix_timestamp());
    UtcOffset::from_whole_seconds(secs as i32).unwrap_or(UtcOffset::UTC)
}

/// The same instant in UK civil time, whatever offset it was written in (unchanged if the UK
/// date would fall outside the representable range, at the very ends of time).
pub fn to_uk(at: OffsetDateTime) -> OffsetDateTime {
    at.checked_to_offset(uk_offset(at)).unwrap_or(at)
}

/// Unix seconds as UK civil time (the epoch if out of range).
pub fn uk_time(unix: i64) -> OffsetDateTime {
    to_uk(OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH))
}

/// The UK offset on a calendar day (taken at noon UTC: the changes happen at 01:00 UTC).
pub fn uk_offset_on(day: Date) -> UtcOffset {
    uk_offset(PrimitiveDateTime::new(day, time::macros::time!(12:00)).assume_utc())
}

/// 08:30 UK time on `day`: when that day's school day starts.
pub fn school_day_start(day: Date) -> OffsetDateTime {
    PrimitiveDateTime::new(day, SCHOOL_DAY_STARTS).assume_offset(uk_offset_on(day))
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime, time};

    use super::*;

    #[test]
    fn uk_time_follows_bst_whatever_the_offset_written() {
        // 23:30 UTC in June is 00:30 BST the next day, however it was written.
        let utc = datetime!(2026-06-11 23:30 UTC);
        let bst = datetime!(2026-06-12 00:30 +01:00);
        let other = datetime!(2026-06-11 19:30 -04:00);
        for t in [utc, bst, other] {
            let uk = to_uk(t);
            assert_eq!((uk.date(), uk.time(), uk.offset().whole_hours()), (date!(2026 - 06 - 12), time!(00:30), 1));
        }
        // Winter: GMT.
        let uk = to_uk(datetime!(2026-12-09 02:10 +05:00));
        assert_eq!((uk.date(), uk.time(), uk.offset().whole_hours()), (date!(2026 - 12 - 08), time!(21:10), 0));
        assert_eq!(uk_time(datetime!(2025-07-04 23:30 UTC).unix_timestamp()).date(), date!(2025 - 07 - 05));
    }

    #[test]
    fn school_day_starts_at_half_past_eight_uk_time() {
        assert_eq!(school_day_start(date!(2026 - 12 - 09)), datetime!(2026-12-09 08:30 UTC));
        assert_eq!(school_day_start(date!(2026 - 06 - 10)), datetime!(2026-06-10 07:30 UTC));
    }

    #[test]
    fn the_ends_of_time_do_not_panic() {
        let _ = to_uk(datetime!(+9999-12-31 23:59:59 -01:00).replace_offset(UtcOffset::UTC));
        let _ = to_uk(PrimitiveDateTime::new(Date::MAX, Time::MAX).assume_utc());
        let _ = school_day_start(Date::MAX);
        let _ = uk_time(i64::MAX);
    }
}
