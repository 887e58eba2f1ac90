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

/// Parse `YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]` to unix seconds. Without a zone the time
/// is taken as UTC (the frontend should send `Z` or an offset).
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
    let offset = match tail {
        "" | "Z" | "z" => 0i64,
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
    Some(date * DAY + i64::from(hh) * HOUR + i64::from(mm) * 60 + i64::from(ss) - offset)
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
    fn datetimes() {
        assert_eq!(parse_datetime("1970-01-01T00:00Z"), Some(0));
        assert_eq!(parse_datetime("2024-06-01T08:30:15Z"), Some(1_717_230_615));
        assert_eq!(parse_datetime("2024-06-01T09:30:15+01:00"), Some(1_717_230_615));
        assert_eq!(parse_datetime("2024-06-01 08:30"), Some(1_717_230_600));
        assert_eq!(parse_datetime("2024-06-01T24:00Z"), None);
        assert_eq!(parse_datetime("2024-06-01T08:30+1"), None);
        assert_eq!(parse_datetime("2024-06-01"), None);
        assert_eq!(parse_datetime("2024-06-01T08:3é"), None);
    }
}
