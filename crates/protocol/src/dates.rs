//! Date parsing shared by the import, the CLI and the UI.

/// Parses a date of birth given as `YYYY-MM-DD` or `YYYYMMDD` into `YYYY-MM-DD`.
/// Refuses impossible dates (31 February) and years outside 1850–2100.
pub fn parse_dob(s: &str) -> Result<String, String> {
    let s = s.trim();
    let digits: String = s.chars().filter(|c| *c != '-').collect();
    let dashed_ok = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    if !(digits.len() == 8 && digits.chars().all(|c| c.is_ascii_digit()) && (dashed_ok || s.len() == 8)) {
        return Err(format!("'{s}' is not a date (use YYYY-MM-DD or YYYYMMDD)"));
    }
    let y: u32 = digits[0..4].parse().map_err(|_| format!("'{s}' has a bad year"))?;
    let m: u32 = digits[4..6].parse().map_err(|_| format!("'{s}' has a bad month"))?;
    let d: u32 = digits[6..8].parse().map_err(|_| format!("'{s}' has a bad day"))?;
    if !(1850..=2100).contains(&y) {
        return Err(format!("'{s}' has a year outside 1850–2100"));
    }
    if !(1..=12).contains(&m) {
        return Err(format!("'{s}' has no month {m}"));
    }
    if d == 0 || d > days_in_month(y, m) {
        return Err(format!("'{s}' is not a real date"));
    }
    Ok(format!("{y:04}-{m:02}-{d:02}"))
}

pub fn is_leap(y: u32) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

pub fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_dob;

    #[test]
    fn formats_and_impossible_dates() {
        assert_eq!(parse_dob("1984-03-12").unwrap(), "1984-03-12");
        assert_eq!(parse_dob("19840312").unwrap(), "1984-03-12");
        assert_eq!(parse_dob("2000-02-29").unwrap(), "2000-02-29");
        for bad in [
            "1900-02-29",
            "1984-02-30",
            "1984-13-01",
            "1984-00-10",
            "84-03-12",
            "1984/03/12",
            "",
            "abcdefgh",
            "1984-3-12",
            "１９８４0312",
        ] {
            assert!(parse_dob(bad).is_err(), "{bad} should be refused");
        }
    }
}
