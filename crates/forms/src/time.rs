//! Tiny, pure calendar helpers (no clock): ISO dates and datetimes to unix time.

/// Seconds in an hour.
pub const HOUR: i64 = 3_600;
/// Seconds in a day.
pub const DAY: i64 = 86_400;

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    // Howard Hinnant's algorithm.
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parse a strict `YYYY-MM-DD` (years 1000-9999) to days since 1970-01-01.
pub fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = i64::from(digits(s.get(0..4)?)?);
    let m = digits(s.get(5..7)?)?;
    let d = digits(s.get(8..10)?)?;
    if y < 1000 || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// Unix seconds of the last Sunday of `month` at 01:00 UTC (when British Summer Time starts in
/// March and ends in October).
fn last_sunday_0100_utc(year: i64, month: u32) -> i64 {
    let last = days_from_civil(year, month, days_in_month(year, month));
    // 1970-01-01 was a Thursday: weekday 0 = Thursday, so Sunday is 3.
    let back = (last - 3).rem_euclid(7);
    (last - back) * DAY + HOUR
}

/// The UK's offset from UTC at a UTC instant: 3 600 during British Summer Time (from the last
/// Sunday of March to the last Sunday of October, 01:00 UTC), else 0.
pub fn uk_offset_secs(utc: i64) -> i64 {
    let year = civil_year(utc.div_euclid(DAY));
    let (start, end) = (last_sunday_0100_utc(year, 3), last_sunday_0100_utc(year, 10));
    if (start..end).contains(&utc) {
        HOUR
    } else {
        0
    }
}

/// The day `months` calendar months before `day` (days since 1970-01-01), on the same day of
/// the month, or the month's last day when it is shorter (29 February 2028 less 12 months is
/// 28 February 2027).
pub fn months_before(day: i64, months: u32) -> i64 {
    let (y, m, d) = civil_from_days(day);
    let index = y * 12 + (m - 1) - i64::from(months);
    let (y, m) = (index.div_euclid(12), u32::try_from(index.rem_euclid(12) + 1).unwrap_or(1));
    let d = u32::try_from(d).unwrap_or(1).min(days_in_month(y, m));
    days_from_civil(y, m, d)
}

/// Whether `s` is a UK time, typed without a zone, that never happened: in the hour the clocks
/// skip when British Summer Time starts (01:00 to 01:59 on the last Sunday of March). Such a
/// time was read as GMT without a word (review, 7 Dec 2026); the form asks which was meant.
pub fn in_skipped_hour(s: &str) -> bool {
    let s = s.trim();
    let Some(date) = s.get(0..10).and_then(parse_date) else { return false };
    let Some(rest) = s.get(10..).and_then(|r| r.strip_prefix('T').or_else(|| r.strip_prefix(' '))) else {
        return false;
    };
    // Only a time with no zone is read as UK time.
    let zoned = rest.get(5..).is_some_and(|t| t.contains(['Z', 'z', '+', '-']));
    let hour = rest.get(0..2).and_then(digits);
    let (y, _, _) = civil_from_days(date);
    !zoned && hour == Some(1) && date * DAY == last_sunday_0100_utc(y, 3) - HOUR
}

/// The UK calendar day (days since 1970-01-01) at a UTC instant.
pub fn uk_day(utc: i64) -> i64 {
    (utc + uk_offset_secs(utc)).div_euclid(DAY)
}

fn civil_year(days: i64) -> i64 {
    civil_from_days(days).0
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Parse `YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]` to unix seconds. Without a zone the time is **UK
/// time** (GMT or BST, whichever was in force): what an officer types in the wizard is the
/// time on their watch. In the hour that repeats when BST ends, the first (BST) reading is
/// taken; a time in the hour skipped when BST starts is read as GMT.
pub fn parse_datetime(s: &str) -> Option<i64> {
    let date = parse_date(s.get(0..10)?)?;
    let rest = s.get(10..)?;
    let rest = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' '))?;
    let hh = digits(rest.get(0..2)?)?;
    if rest.as_bytes().get(2) != Some(&b':') {
        return None;
    }
    let mm = digits(rest.get(3..5)?)?;
    let mut tail = rest.get(5..)?;
    let mut ss = 0;
    if tail.starts_with(':') {
        ss = digits(tail.get(1..3)?)?;
        tail = tail.get(3..)?;
    }
    if hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    let wall = date * DAY + i64::from(hh) * HOUR + i64::from(mm) * 60 + i64::from(ss);
    let offset = match tail {
        "" => {
            if uk_offset_secs(wall - HOUR) == HOUR {
                HOUR
            } else {
                0
            }
        }
        "Z" | "z" => 0i64,
        _ => {
            let sign = match tail.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let t = tail.get(1..)?;
            if t.len() != 5 || t.as_bytes()[2] != b':' {
                return None;
            }
            let oh = digits(t.get(0..2)?)?;
            let om = digits(t.get(3..5)?)?;
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (i64::from(oh) * HOUR + i64::from(om) * 60)
        }
    };
    Some(wall - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2024-02-29"), Some(19_782));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2024-13-01"), None);
        assert_eq!(parse_date("2024-1-01"), None);
        assert_eq!(parse_date("24-01-01xx"), None);
        assert_eq!(parse_date("２０２４-01-01"), None);
        assert_eq!(parse_date(""), None);
    }

    #[test]
    fn months_before_keeps_the_day_or_takes_the_last_of_a_shorter_month() {
        let d = |s: &str| parse_date(s).unwrap();
        assert_eq!(months_before(d("2028-02-29"), 12), d("2027-02-28"));
        assert_eq!(months_before(d("2028-03-01"), 12), d("2027-03-01"));
        assert_eq!(months_before(d("2026-03-31"), 1), d("2026-02-28"));
        assert_eq!(months_before(d("2026-01-15"), 13), d("2024-12-15"));
        assert_eq!(months_before(d("2026-06-01"), 0), d("2026-06-01"));
    }

    #[test]
    fn the_hour_the_clocks_skip_is_known() {
        assert!(in_skipped_hour("2026-03-29T01:30"));
        assert!(in_skipped_hour("2026-03-29 01:00"));
        assert!(!in_skipped_hour("2026-03-29T01:30Z"), "a zone says which");
        assert!(!in_skipped_hour("2026-03-29T01:30+01:00"));
        assert!(!in_skipped_hour("2026-03-29T00:59"));
        assert!(!in_skipped_hour("2026-03-29T02:00"));
        assert!(!in_skipped_hour("2026-03-22T01:30"));
        assert!(!in_skipped_hour("2026-10-25T01:30"), "the repeated hour exists (read as BST)");
        assert!(in_skipped_hour("2024-03-31T01:15"));
    }

    #[test]
    fn datetimes() {
        assert_eq!(parse_datetime("1970-01-01T00:00Z"), Some(0));
        assert_eq!(parse_datetime("2024-06-01T08:30:15Z"), Some(1_717_230_615));
        assert_eq!(parse_datetime("2024-06-01T09:30:15+01:00"), Some(1_717_230_615));
        // No zone: UK time, so BST in June (08:30 BST is 07:30 UTC) and GMT in January.
        assert_eq!(parse_datetime("2024-06-01 08:30"), Some(1_717_230_600 - 3_600));
        assert_eq!(parse_datetime("2024-01-15T08:30"), parse_datetime("2024-01-15T08:30Z"));
        assert_eq!(parse_datetime("2024-06-01T24:00Z"), None);
        assert_eq!(parse_datetime("2024-06-01T08:30+1"), None);
        assert_eq!(parse_datetime("2024-06-01"), None);
        assert_eq!(parse_datetime("2024-06-01T08:3é"), None);
    }

    #[test]
    fn uk_time_follows_british_summer_time() {
        let t = |s: &str| parse_datetime(s).unwrap();
        // 2026: BST from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert_eq!(uk_offset_secs(t("2026-03-29T00:59:59Z")), 0);
        assert_eq!(uk_offset_secs(t("2026-03-29T01:00:00Z")), HOUR);
        assert_eq!(uk_offset_secs(t("2026-10-25T00:59:59Z")), HOUR);
        assert_eq!(uk_offset_secs(t("2026-10-25T01:00:00Z")), 0);
        assert_eq!(uk_offset_secs(t("2024-03-31T01:00:00Z")), HOUR, "2024: the 31st");
        assert_eq!(uk_offset_secs(t("2024-03-30T12:00:00Z")), 0);
        // Typed UK time: 14:30 on a summer afternoon is 13:30 UTC.
        assert_eq!(t("2026-07-01T14:30"), t("2026-07-01T13:30Z"));
        assert_eq!(t("2026-12-01T14:30"), t("2026-12-01T14:30Z"));
        // Around the changes: 02:30 on 29 March does not exist (read as GMT, 02:30 UTC =
        // 03:30 BST); 01:30 on 25 October happens twice (the BST one is taken).
        assert_eq!(t("2026-03-29T02:30"), t("2026-03-29T01:30Z"));
        assert_eq!(t("2026-03-29T00:30"), t("2026-03-29T00:30Z"));
        assert_eq!(t("2026-10-25T01:30"), t("2026-10-25T00:30Z"));
        assert_eq!(t("2026-10-25T02:30"), t("2026-10-25T02:30Z"));
        // The UK day: 00:30 BST on 2 July is still 1 July in UTC.
        assert_eq!(uk_day(t("2026-07-01T23:30Z")), parse_date("2026-07-02").unwrap());
        assert_eq!(uk_day(t("2026-12-01T23:30Z")), parse_date("2026-12-01").unwrap());
    }
}
