//! Date parsing shared by the import, the CLI and the UI.

/// Text from a user or a file, made safe to quote in a message: at most `max` characters, control
/// and bidirectional-control characters shown as `\u{…}` (a cell with a terminal escape or a
/// right-to-left override must not change what the message, or the terminal, shows).
pub fn shown(s: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if c.is_control() || is_bidi_control(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069): in
/// a name or a message they can make the text read differently from what is stored.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Parses a date of birth given as `YYYY-MM-DD` or `YYYYMMDD` into `YYYY-MM-DD`.
/// Refuses impossible dates (31 February) and years outside 1850–2100.
pub fn parse_dob(s: &str) -> Result<String, String> {
    let s = s.trim();
    let digits: String = s.chars().filter(|c| *c != '-').collect();
    let dashed_ok = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    if !(digits.len() == 8 && digits.chars().all(|c| c.is_ascii_digit()) && (dashed_ok || s.len() == 8)) {
        return Err(format!("'{}' is not a date (use YYYY-MM-DD or YYYYMMDD)", shown(s, 40)));
    }
    let y: u32 = digits[0..4].parse().map_err(|_| format!("'{s}' has a bad year"))?;
    let m: u32 = digits[4..6].parse().map_err(|_| format!("'{s}' has a bad month"))?;
    let d: u32 = digits[6..8].parse().map_err(|_| format!("'{s}' has a bad day"))?;
    checked_iso(s, y, m, d)
}

/// `YYYY-MM-DD` of a year, month and day read from `s`, or why it is no date of birth.
fn checked_iso(s: &str, y: u32, m: u32, d: u32) -> Result<String, String> {
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

/// Parses a date of birth **typed by a person** (search boxes, the new-person form, the CLI's
/// `--dob`): what [`parse_dob`] takes, plus the British day-first `DD/MM/YYYY` (also with one
/// digit, or `.` between). Machine data (the CSV import, the wire) stays with [`parse_dob`]:
/// there a `03/12/1984` could as well be a US month-first date.
pub fn parse_typed_dob(s: &str) -> Result<String, String> {
    let t = s.trim();
    let parts: Vec<&str> = t.split(['/', '.']).collect();
    let uk = parts.len() == 3
        && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && parts[0].len() <= 2
        && parts[1].len() <= 2
        && parts[2].len() == 4;
    if !uk {
        let short_year = parts.len() == 3
            && parts.iter().all(|p| !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit()));
        if short_year {
            return Err(format!("'{t}' has a two-digit year: type the year in full (DD/MM/YYYY)"));
        }
        return parse_dob(t).map_err(|e| {
            if e.contains("is not a date (use") {
                format!("'{t}' is not a date (use DD/MM/YYYY, YYYY-MM-DD or YYYYMMDD)")
            } else {
                e
            }
        });
    }
    let n = |p: &str| p.parse::<u32>().unwrap_or(0);
    let (d, m, y) = (n(parts[0]), n(parts[1]), n(parts[2]));
    checked_iso(t, y, m, d).map_err(|e| {
        // A month-first date (12/24/1999): say that dates are read day first.
        if m > 12 && (1..=12).contains(&d) {
            format!("{e}: dates are day first (DD/MM/YYYY), so perhaps {m:02}/{d:02}/{y}")
        } else {
            e
        }
    })
}

/// Parses a calendar date given as exactly `YYYY-MM-DD` (surrounding whitespace allowed) into
/// `(year, month, day)`; a real date (no 31 February), nothing before or after it. For a date
/// field such as a deferred referral's follow-up date: `2026-12-09xyz` or `2026-12-09T99:99` is
/// refused ("not a date (YYYY-MM-DD)"), not read as its first ten characters.
pub fn parse_iso_date(s: &str) -> Result<(i32, u8, u8), String> {
    let t = s.trim();
    let b = t.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    let not_a_date = || format!("'{}' is not a date (YYYY-MM-DD)", shown(t, 40));
    if !shape {
        return Err(not_a_date());
    }
    let n = |r: std::ops::Range<usize>| t[r].parse::<u32>().unwrap_or(0);
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return Err(format!("'{t}' is not a real date (YYYY-MM-DD)"));
    }
    Ok((y as i32, m as u8, d as u8))
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
    use super::{parse_dob, parse_iso_date, parse_typed_dob, shown};

    #[test]
    fn an_iso_date_is_exactly_a_date() {
        assert_eq!(parse_iso_date("2026-12-09"), Ok((2026, 12, 9)));
        assert_eq!(parse_iso_date("  2026-12-09\n"), Ok((2026, 12, 9)));
        assert_eq!(parse_iso_date("2024-02-29"), Ok((2024, 2, 29)));
        for bad in
            ["2026-12-09xyz", "2026-12-09T99:99", "2026-12-09T10:00:00Z", "2026-12-9", "20261209", "", "2026-12-0x"]
        {
            let e = parse_iso_date(bad).unwrap_err();
            assert!(e.contains("is not a date (YYYY-MM-DD)"), "{bad:?}: {e}");
        }
        for bad in ["2025-02-29", "2026-13-01", "2026-00-10", "2026-12-00", "2026-04-31"] {
            assert!(parse_iso_date(bad).unwrap_err().contains("is not a real date"), "{bad}");
        }
    }

    #[test]
    fn quoted_input_is_short_and_shows_control_characters() {
        assert_eq!(shown("1984-13-01", 40), "1984-13-01");
        assert_eq!(shown("\u{1b}]0;pwned\u{7}x", 40), "\\u{1b}]0;pwned\\u{7}x");
        assert_eq!(shown("a\u{202E}b", 40), "a\\u{202e}b");
        assert_eq!(shown(&"9".repeat(10_000), 40), format!("{}…", "9".repeat(40)));
        assert!(parse_dob(&format!("\u{1b}[2J{}", "x".repeat(500))).unwrap_err().chars().count() < 120);
    }

    #[test]
    fn typed_dates_take_the_british_order_too() {
        for (typed, iso) in [
            ("12/03/1984", "1984-03-12"),
            ("1/3/1984", "1984-03-01"),
            (" 29.02.2000 ", "2000-02-29"),
            ("1984-03-12", "1984-03-12"),
            ("19840312", "1984-03-12"),
        ] {
            assert_eq!(parse_typed_dob(typed).as_deref(), Ok(iso), "{typed}");
        }
        for (bad, why) in [
            ("31/02/1984", "not a real date"),
            ("12/13/1984", "no month 13"),
            ("12/03/84", "has a two-digit year: type the year in full (DD/MM/YYYY)"),
            ("12/24/1999", "has no month 24: dates are day first (DD/MM/YYYY), so perhaps 24/12/1999"),
            ("12-03-1984", "not a date (use DD/MM/YYYY, YYYY-MM-DD or YYYYMMDD)"),
            ("12//1984", "not a date"),
            ("1984/03/12", "not a date"),
            ("1984-02-30", "not a real date"),
            ("12/03/1700", "outside 1850"),
            ("１２/03/1984", "not a date"),
            ("", "not a date"),
        ] {
            let e = parse_typed_dob(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        // Machine data keeps the strict forms.
        assert!(parse_dob("12/03/1984").is_err());
    }

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
