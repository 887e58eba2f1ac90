//! Small deterministic helpers: weighted choice, civil dates, ASCII folding.
//!
//! Only `u32`/`u64`/`f64` ranges are sampled (never `usize`), so results are the same on 32- and
//! 64-bit platforms.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Uniform index in `0..len` (0 when `len` is 0; callers check emptiness first).
pub(crate) fn below(rng: &mut ChaCha8Rng, len: usize) -> usize {
    if len <= 1 {
        return 0;
    }
    let len = u32::try_from(len).unwrap_or(u32::MAX);
    rng.gen_range(0..len) as usize
}

/// Uniform element of a non-empty slice (the first element of an empty one is never asked for:
/// callers only pass the constant tables).
pub(crate) fn pick<'a>(rng: &mut ChaCha8Rng, xs: &[&'a str]) -> &'a str {
    xs.get(below(rng, xs.len())).copied().unwrap_or("")
}

/// Weighted choice over a fixed list of items.
#[derive(Debug, Clone)]
pub(crate) struct Weighted<T> {
    items: Vec<T>,
    cum: Vec<u32>,
    total: u32,
}

impl<T: Copy> Weighted<T> {
    pub(crate) fn new(pairs: impl IntoIterator<Item = (T, u32)>) -> Self {
        let mut items = Vec::new();
        let mut cum = Vec::new();
        let mut total = 0u32;
        for (item, w) in pairs {
            if w == 0 {
                continue;
            }
            total = total.saturating_add(w);
            items.push(item);
            cum.push(total);
        }
        Weighted { items, cum, total }
    }

    /// Zipf-like weights from a list in frequency order: weight ∝ 1 / (rank + offset).
    pub(crate) fn zipf(items: &[T], offset: u32) -> Self {
        Self::new(items.iter().enumerate().map(|(r, &t)| (t, 1_000_000 / (r as u32 + offset))))
    }

    /// `None` only for an empty table.
    pub(crate) fn pick(&self, rng: &mut ChaCha8Rng) -> Option<T> {
        if self.total == 0 {
            return None;
        }
        let x = rng.gen_range(0..self.total);
        let i = self.cum.partition_point(|&c| c <= x);
        self.items.get(i).copied()
    }
}

pub(crate) fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub(crate) fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian; Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(if m <= 2 { y - 1 } else { y });
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date of a day count since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = if m <= 2 { y + 1 } else { y };
    (y as i32, m, d)
}

/// Parses `YYYY-MM-DD`; `None` for anything else (including the empty "unknown" DOB).
pub(crate) fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i32 = s.get(0..4)?.parse().ok()?;
    let m: u32 = s.get(5..7)?.parse().ok()?;
    let d: u32 = s.get(8..10)?.parse().ok()?;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some((y, m, d))
}

pub(crate) fn format_date(y: i32, m: u32, d: u32) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

/// Whole years between a birth date and a reference date.
pub(crate) fn age_on(birth: (i32, u32, u32), on: (i32, u32, u32)) -> i32 {
    let mut age = on.0 - birth.0;
    if (on.1, on.2) < (birth.1, birth.2) {
        age -= 1;
    }
    age
}

/// ASCII fold of the letters that occur in the embedded tables (and a few more).
pub(crate) fn fold_char(c: char) -> Option<&'static str> {
    Some(match c {
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'ą' | 'ă' => "a",
        'Á' | 'À' | 'Â' | 'Ä' | 'Ã' | 'Ą' | 'Ă' => "A",
        'é' | 'è' | 'ê' | 'ë' | 'ę' | 'ė' | 'ē' => "e",
        'É' | 'È' | 'Ê' | 'Ë' | 'Ę' | 'Ė' | 'Ē' => "E",
        'í' | 'ì' | 'î' | 'ï' | 'ı' | 'ī' => "i",
        'Í' | 'Ì' | 'Î' | 'Ï' | 'İ' | 'Ī' => "I",
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ő' => "o",
        'Ó' | 'Ò' | 'Ô' | 'Ö' | 'Õ' | 'Ő' => "O",
        'ú' | 'ù' | 'û' | 'ü' | 'ū' | 'ů' => "u",
        'Ú' | 'Ù' | 'Û' | 'Ü' | 'Ū' | 'Ů' => "U",
        'ł' => "l",
        'Ł' => "L",
        'ś' | 'š' | 'ş' | 'ș' => "s",
        'Ś' | 'Š' | 'Ş' | 'Ș' => "S",
        'ź' | 'ż' | 'ž' => "z",
        'Ź' | 'Ż' | 'Ž' => "Z",
        'ć' | 'č' | 'ç' => "c",
        'Ć' | 'Č' | 'Ç' => "C",
        'ń' | 'ñ' => "n",
        'Ń' | 'Ñ' => "N",
        'ğ' => "g",
        'Ğ' => "G",
        'ț' => "t",
        'Ț' => "T",
        'ř' => "r",
        'Ř' => "R",
        'ņ' => "n",
        'ß' => "ss",
        _ => return None,
    })
}

/// Drops diacritics (Siobhán → Siobhan, Łukasz → Lukasz); other characters are kept.
pub(crate) fn fold(s: &str) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match fold_char(c) {
            Some(f) => out.push_str(f),
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for z in [-30_000i64, -1, 0, 1, 10_957, 20_454, 60_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn dates_parse_and_age() {
        assert_eq!(parse_date("2024-02-29"), Some((2024, 2, 29)));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date(""), None);
        assert_eq!(age_on((2000, 6, 15), (2026, 6, 14)), 25);
        assert_eq!(age_on((2000, 6, 15), (2026, 6, 15)), 26);
    }

    #[test]
    fn folding() {
        assert_eq!(fold("Siobhán Wiśniewska"), "Siobhan Wisniewska");
        assert_eq!(fold("Łukasz Öztürk"), "Lukasz Ozturk");
        assert_eq!(fold("O'Brien"), "O'Brien");
    }
}
