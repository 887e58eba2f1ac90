//! UK telephone-number normalisation, used to warn when a "safe" number is really the
//! suspect's (a documented cause of failed DA referrals).
//!
//! * [`parse_uk_phone`] reads one number, or says why it is not a (complete) phone number;
//! * [`phones_in`] reads a field as held on a record, which may carry several numbers
//!   (`07700 900123 (mob), 01234 567890`) and extensions;
//! * [`same_phone`] is true when two fields share a number.

pub use crate::error::PhoneError;

/// Longest text read as one phone number (bytes); anything longer is not a phone number.
const MAX_NUMBER_LEN: usize = 200;
/// Longest field read for numbers (bytes).
const MAX_FIELD_LEN: usize = 2_000;

/// The text as shown in a message: trimmed, at most 40 characters.
fn shown(raw: &str) -> String {
    let t = raw.trim();
    let mut s: String = t.chars().take(40).collect();
    if t.chars().nth(40).is_some() {
        s.push('…');
    }
    s
}

/// The number without an extension at its end (`ext 12`, `ext. 12`, `extn 12`, `extension 12`,
/// `x12`, `#12`): an extension is not part of the number to compare.
fn strip_extension(s: &str) -> &str {
    let lower = s.to_ascii_lowercase(); // same byte offsets: only ASCII letters change
    let mut cut: Option<usize> = None;
    for marker in ["extension", "extn", "ext", "x", "#"] {
        for (i, _) in lower.match_indices(marker) {
            if cut.is_some_and(|c| c <= i) {
                break;
            }
            // A marker, not part of a word ("fax", "next"), after some digits.
            if lower[..i].chars().next_back().is_some_and(char::is_alphabetic)
                || !lower[..i].bytes().any(|b| b.is_ascii_digit())
            {
                continue;
            }
            let after = lower[i + marker.len()..].trim_start_matches([' ', '.', ':', '-']);
            let rest = after.trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ');
            // Digits follow, and nothing after them has digits ("ext 12 (work)" is fine).
            if after.starts_with(|c: char| c.is_ascii_digit()) && !rest.bytes().any(|b| b.is_ascii_digit()) {
                cut = Some(i);
                break;
            }
        }
    }
    cut.map_or(s, |i| &s[..i])
}

/// Whether a letter O stands where a digit belongs (`O7700 900123`, `07700 9OO123`): right next
/// to a digit, not inside a word such as "mob" or "home".
fn has_letter_o_for_zero(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if matches!(chars[i], 'O' | 'o') {
            let start = i;
            while i < chars.len() && matches!(chars[i], 'O' | 'o') {
                i += 1;
            }
            let before = start.checked_sub(1).and_then(|j| chars.get(j));
            let after = chars.get(i);
            if before.is_some_and(char::is_ascii_digit) || after.is_some_and(char::is_ascii_digit) {
                return true;
            }
        } else {
            i += 1;
        }
    }
    false
}

/// How many digits (with the leading 0) a UK number with this start has: 11, or 10 or 11 for
/// some 01 area codes and 080 freephone numbers. `(min, max, what)`.
fn uk_length(n: &str) -> (usize, usize, &'static str) {
    if n.starts_with("07") {
        (11, 11, "a UK mobile number (07…) has 11 digits")
    } else if n.starts_with("01") {
        (10, 11, "a UK number starting 01 has 10 or 11 digits")
    } else if n.starts_with("080") {
        (10, 11, "a UK freephone number (080…) has 10 or 11 digits")
    } else {
        (11, 11, "a UK number starting 0 has 11 digits")
    }
}

/// Reads one UK (or international) phone number and normalises it for comparison, or says
/// why it is not a complete phone number.
///
/// * spaces, brackets, dashes, dots, slashes and other punctuation are ignored, and so is an
///   extension at the end (`ext 12`, `x12`);
/// * `+44`, `0044` and `+44 (0)` become a leading `0`;
/// * a bare 10-digit number not starting with 0 (e.g. `7700 900123`) gets a leading `0`;
/// * `44` and a 10-digit national number with the `+` left off (`447700 900123`) is UK too;
/// * a UK number must then have 11 digits with its 0 (10 or 11 for some `01` area codes and
///   `080` freephone numbers): `07700 90012` is refused, not read as a complete number;
/// * a letter O where a digit belongs (`O7700 900123`) is refused;
/// * other international numbers (`+` or `00`) keep a `+` and 7 to 15 digits.
///
/// ```
/// use bluelamp_victims::phone::parse_uk_phone;
/// assert_eq!(parse_uk_phone("+44 (0)7700 900-123").as_deref(), Ok("07700900123"));
/// assert_eq!(parse_uk_phone("07700 900123 ext 12").as_deref(), Ok("07700900123"));
/// assert!(parse_uk_phone("07700 90012").is_err());
/// assert!(parse_uk_phone("O7700 900123").unwrap_err().to_string().contains("letter O"));
/// ```
pub fn parse_uk_phone(raw: &str) -> Result<String, PhoneError> {
    let err_raw = || shown(raw);
    if raw.len() > MAX_NUMBER_LEN {
        return Err(PhoneError::TooLong { raw: err_raw() });
    }
    let s = strip_extension(raw.trim()).trim();
    if has_letter_o_for_zero(s) {
        return Err(PhoneError::LetterO { raw: err_raw() });
    }
    let plus = s.starts_with('+');
    let cleaned = s.replace("(0)", "");
    let digits: String = cleaned.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return Err(PhoneError::NoDigits { raw: err_raw() });
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
    } else if !plus && digits.starts_with('0') && !digits.starts_with("00") {
        Some(&digits[..])
    } else if !plus && digits.len() == 10 {
        // "7700 900123": a national number with its 0 left off.
        Some(&digits[..])
    } else {
        None
    };
    if let Some(rest) = national {
        let n = if rest.starts_with('0') { rest.to_string() } else { format!("0{rest}") };
        let (min, max, what) = uk_length(&n);
        if n.len() < min || n.len() > max {
            return Err(PhoneError::UkLength { raw: err_raw(), rule: what, digits: n.len() });
        }
        return Ok(n);
    }
    let international = if plus { Some(&digits[..]) } else { digits.strip_prefix("00") };
    match international {
        Some(d) if (7..=15).contains(&d.len()) => Ok(format!("+{d}")),
        Some(d) => Err(PhoneError::International { raw: err_raw(), digits: d.len() }),
        None => Err(PhoneError::Incomplete { raw: err_raw() }),
    }
}

/// [`parse_uk_phone`], `None` when it is not a complete phone number.
///
/// ```
/// use bluelamp_victims::phone::normalise_uk_phone;
/// assert_eq!(normalise_uk_phone("+44 (0)7700 900-123").as_deref(), Some("07700900123"));
/// assert_eq!(normalise_uk_phone("07700 900123").as_deref(), Some("07700900123"));
/// assert_eq!(normalise_uk_phone("447700 900123").as_deref(), Some("07700900123"));
/// assert_eq!(normalise_uk_phone("n/k"), None);
/// ```
pub fn normalise_uk_phone(raw: &str) -> Option<String> {
    parse_uk_phone(raw).ok()
}

/// The parts of a field that may hold several numbers: split on commas, slashes, semicolons,
/// line breaks and the word "or" (`07700 900123 (mob), 01234 567890`,
/// `+44 7700 900123 / 07700 900999`). Blank parts are left out.
pub fn split_phone_field(raw: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    for piece in raw.split([',', '/', ';', '\n', '\r']) {
        let lower = piece.to_ascii_lowercase(); // same byte offsets
        let mut start = 0;
        for (i, _) in lower.match_indices(" or ") {
            if i >= start {
                parts.push(&piece[start..i]);
                start = i + " or ".len();
            }
        }
        parts.push(&piece[start..]);
    }
    parts.into_iter().map(str::trim).filter(|p| !p.is_empty()).collect()
}

/// Every number in a field, normalised: each part ([`split_phone_field`]) that is a complete
/// number; or, when none is, the whole field read as one number (`07700/900123`). Empty when
/// the field holds no complete number. For numbers held on a record, to compare with.
pub fn phones_in(raw: &str) -> Vec<String> {
    if raw.len() > MAX_FIELD_LEN {
        return Vec::new();
    }
    let mut out: Vec<String> = split_phone_field(raw).into_iter().filter_map(normalise_uk_phone).collect();
    if out.is_empty() {
        out.extend(normalise_uk_phone(raw));
    }
    out.sort();
    out.dedup();
    out
}

/// Every number in a field that must be all numbers (a safe number): `Ok` when each part
/// ([`split_phone_field`]) is a complete number, or the whole field is one; otherwise the first
/// part's reason.
pub fn parse_phone_field(raw: &str) -> Result<Vec<String>, PhoneError> {
    if raw.len() > MAX_FIELD_LEN {
        return Err(PhoneError::TooLong { raw: shown(raw) });
    }
    let parts = split_phone_field(raw);
    let mut out = Vec::new();
    let mut first_err = None;
    for p in &parts {
        match parse_uk_phone(p) {
            Ok(n) => out.push(n),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    match first_err {
        None if !out.is_empty() => Ok(out),
        // `07700/900123`: one number written with a slash.
        _ if parts.len() > 1 && parse_uk_phone(raw).is_ok() => parse_uk_phone(raw).map(|n| vec![n]),
        Some(e) => Err(e),
        None => Err(PhoneError::NoDigits { raw: shown(raw) }),
    }
}

/// True when the two fields share a number ([`phones_in`]), in any format.
pub fn same_phone(a: &str, b: &str) -> bool {
    let b = phones_in(b);
    !b.is_empty() && phones_in(a).iter().any(|x| b.contains(x))
}
