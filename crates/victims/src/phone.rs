//! UK telephone-number normalisation, used to warn when a "safe" number is really the
//! suspect's (a documented cause of failed DA referrals).

/// Normalises a UK phone number for comparison, or `None` if it has too few digits to
/// compare safely.
///
/// * spaces, brackets, dashes, dots, slashes and other punctuation are ignored;
/// * `+44`, `0044` and `+44 (0)` become a leading `0`;
/// * a bare 10-digit number not starting with 0 (e.g. `7700 900123`) gets a leading `0`;
/// * `44` and a 10-digit national number with the `+` left off (`447700 900123`) is UK too;
/// * other international numbers keep a `+` and their digits.
///
/// ```
/// use bluelamp_victims::phone::normalise_uk_phone;
/// assert_eq!(normalise_uk_phone("+44 (0)7700 900-123").as_deref(), Some("07700900123"));
/// assert_eq!(normalise_uk_phone("07700 900123").as_deref(), Some("07700900123"));
/// assert_eq!(normalise_uk_phone("447700 900123").as_deref(), Some("07700900123"));
/// assert_eq!(normalise_uk_phone("n/k"), None);
/// ```
pub fn normalise_uk_phone(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    let plus = trimmed.starts_with('+');
    let cleaned = trimmed.replace("(0)", "");
    let digits: String = cleaned.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 7 || digits.len() > 16 {
        return None;
    }
    let national = if plus && digits.starts_with("44") {
        Some(&digits[2..])
    } else if !plus && digits.starts_with("0044") {
        Some(&digits[4..])
    } else if !plus
        && digits.starts_with("44")
        && (digits.len() == 12 || (digits.len() == 13 && digits.as_bytes()[2] == b'0'))
    {
        // "447700 900123" (the + left off): 44 and a 10-digit national number, or with its 0.
        Some(&digits[2..])
    } else {
        None
    };
    let out = match national {
        Some(rest) if rest.starts_with('0') => rest.to_string(),
        Some(rest) => format!("0{rest}"),
        None if plus => format!("+{digits}"),
        None if !digits.starts_with('0') && digits.len() == 10 => format!("0{digits}"),
        None => digits,
    };
    if out.trim_start_matches('+').len() < 7 {
        return None;
    }
    Some(out)
}

/// True when both numbers normalise to the same value.
pub fn same_phone(a: &str, b: &str) -> bool {
    match (normalise_uk_phone(a), normalise_uk_phone(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}
