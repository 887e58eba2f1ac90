//! Dates of birth: a small civil date type, query forms and DOB scoring.

use std::fmt;

/// A calendar date (proleptic Gregorian). Always valid when built with [`Date::new`]/[`Date::parse`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u8) -> u8 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// A valid date, or `None` (month 1–12, day within the month, year 1–9999).
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        ((1..=9999).contains(&year) && day >= 1 && day <= days_in_month(year, month)).then_some(Date {
            year,
            month,
            day,
        })
    }

    /// Parses `YYYYMMDD`, `YYYY-MM-DD` or UK `DD/MM/YYYY` (also `DD-MM-YYYY`, `DD.MM.YYYY`).
    pub fn parse(s: &str) -> Option<Date> {
        let s = s.trim();
        if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
            return Date::new(s[0..4].parse().ok()?, s[4..6].parse().ok()?, s[6..8].parse().ok()?);
        }
        let parts: Vec<&str> = s.split(['-', '/', '.']).collect();
        if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || p.len() > 4) {
            return None;
        }
        let n: Vec<u32> = parts.iter().map(|p| p.parse().ok()).collect::<Option<_>>()?;
        if parts[0].len() == 4 {
            Date::new(n[0] as i32, u8::try_from(n[1]).ok()?, u8::try_from(n[2]).ok()?)
        } else if parts[2].len() == 4 {
            Date::new(n[2] as i32, u8::try_from(n[1]).ok()?, u8::try_from(n[0]).ok()?)
        } else {
            None
        }
    }

    /// The same date `years` earlier, with 29 February mapped to 28 February when needed.
    pub fn years_before(self, years: i32) -> Option<Date> {
        let y = self.year.checked_sub(years)?;
        Date::new(y, self.month, self.day).or_else(|| Date::new(y, self.month, 28))
    }

    /// The next calendar day.
    pub fn succ(self) -> Option<Date> {
        Date::new(self.year, self.month, self.day + 1)
            .or_else(|| Date::new(self.year, self.month + 1, 1))
            .or_else(|| Date::new(self.year + 1, 1, 1))
    }

    /// Whole years of age on `today` (negative if born after `today`).
    pub fn age_on(self, today: Date) -> i32 {
        let mut age = today.year - self.year;
        if (today.month, today.day) < (self.month, self.day) {
            age -= 1;
        }
        age
    }

    /// Day and month exchanged (12/03 ↔ 03/12), if that is a different valid date.
    pub fn day_month_swapped(self) -> Option<Date> {
        if self.day == self.month || self.day > 12 {
            return None;
        }
        Date::new(self.year, self.day, self.month)
    }

    /// Dates one keying slip away: year ±1, the year's last two digits exchanged, month ±1,
    /// day ±1 (valid dates only, without `self`).
    pub fn near_typos(self) -> Vec<Date> {
        let (y, m, d) = (self.year, i32::from(self.month), i32::from(self.day));
        let swapped_year = y - (y / 10 % 10) * 10 - y % 10 + (y % 10) * 10 + y / 10 % 10;
        let cands = [
            (y - 1, m, d),
            (y + 1, m, d),
            (swapped_year, m, d),
            (y, m - 1, d),
            (y, m + 1, d),
            (y, m, d - 1),
            (y, m, d + 1),
        ];
        let mut out = Vec::new();
        for (y, m, d) in cands {
            let (Ok(m), Ok(d)) = (u8::try_from(m), u8::try_from(d)) else { continue };
            if let Some(v) = Date::new(y, m, d) {
                if v != self && !out.contains(&v) {
                    out.push(v);
                }
            }
        }
        out
    }

    /// 1 January: the date commonly entered when only the year of birth is known (legacy
    /// systems, people who do not know their birthday). Two records sharing it may share only
    /// the year, so an exact match on it is weaker evidence than on any other day.
    pub fn is_placeholder(self) -> bool {
        self.month == 1 && self.day == 1
    }

    /// `YYYYMMDD`.
    pub fn compact(self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// What the officer knows about the date of birth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DobQuery {
    /// A full date. Also matches day/month transposed and near-misses (two of three fields).
    Exact(Date),
    /// Born between these dates, inclusive. Built by [`DobQuery::year`] and [`DobQuery::age`].
    Between(Date, Date),
    /// Born in `year` give or take `plus_minus` (≥ 1) years: "born about 1985". Built by
    /// [`DobQuery::around`]. Every year in the range matches, the year given a little more.
    About { year: i32, plus_minus: u16 },
}

impl DobQuery {
    /// Born in `year`.
    pub fn year(year: i32) -> Option<DobQuery> {
        DobQuery::around(year, 0)
    }

    /// Born in `year ± plus_minus` ("born about 1985" = `around(1985, 2)`); with 0, in `year`.
    pub fn around(year: i32, plus_minus: u16) -> Option<DobQuery> {
        let n = i32::from(plus_minus);
        let (lo, hi) = (Date::new(year.checked_sub(n)?, 1, 1)?, Date::new(year.checked_add(n)?, 12, 31)?);
        Some(if plus_minus == 0 { DobQuery::Between(lo, hi) } else { DobQuery::About { year, plus_minus } })
    }

    /// The first and last dates of birth the query takes in.
    pub fn range(self) -> Option<(Date, Date)> {
        match self {
            DobQuery::Exact(d) => Some((d, d)),
            DobQuery::Between(lo, hi) => Some((lo, hi)),
            DobQuery::About { year, plus_minus } => {
                let n = i32::from(plus_minus);
                Some((Date::new(year.checked_sub(n)?, 1, 1)?, Date::new(year.checked_add(n)?, 12, 31)?))
            }
        }
    }

    /// Aged `min..=max` whole years on `today` (the caller supplies today; no clock here).
    pub fn age(min: u16, max: u16, today: Date) -> Option<DobQuery> {
        let (min, max) = (i32::from(min.min(max)), i32::from(max.max(min)));
        let latest = today.years_before(min)?;
        let earliest = today.years_before(max + 1)?.succ()?;
        Some(DobQuery::Between(earliest, latest))
    }
}

/// Whether field `pos` (0 year, 1 month, 2 day) of `a` and `b` differs as a keying slip
/// would: one digit changed, two adjacent digits exchanged, or off by one.
fn component_typo(a: Date, b: Date, pos: usize) -> bool {
    let (x, y, width) = match pos {
        0 => (a.year, b.year, 4),
        1 => (i32::from(a.month), i32::from(b.month), 2),
        _ => (i32::from(a.day), i32::from(b.day), 2),
    };
    if (x - y).abs() == 1 {
        return true;
    }
    let (xs, ys) = (format!("{x:0width$}"), format!("{y:0width$}"));
    let (xb, yb) = (xs.as_bytes(), ys.as_bytes());
    if xb.len() != yb.len() {
        return false;
    }
    let diff: Vec<usize> = (0..xb.len()).filter(|&i| xb[i] != yb[i]).collect();
    match diff.as_slice() {
        [_] => true,
        [i, j] => *j == i + 1 && xb[*i] == yb[*j] && xb[*j] == yb[*i],
        _ => false,
    }
}

/// DOB contribution to a candidate's score and its reason.
pub(crate) fn score_dob(q: Option<&DobQuery>, rec: Option<Date>) -> (f32, Option<String>) {
    let Some(q) = q else {
        return (0.0, None);
    };
    let Some(d) = rec else {
        return (0.0, Some("no DOB on record (neutral)".into()));
    };
    match *q {
        DobQuery::Exact(qd) => {
            if qd == d && d.is_placeholder() {
                (4.0, Some("DOB exact, 1 January (often entered when only the year is known)".into()))
            } else if qd == d {
                (5.0, Some("DOB exact".into()))
            } else if qd.day_month_swapped() == Some(d) {
                (3.5, Some("DOB day/month swapped".into()))
            } else {
                let same = [qd.year == d.year, qd.month == d.month, qd.day == d.day];
                let n = same.iter().filter(|x| **x).count();
                if n == 2 {
                    let pos = same.iter().position(|x| !x).unwrap_or(0);
                    let which = ["year", "month", "day"][pos];
                    if component_typo(qd, d, pos) {
                        (2.5, Some(format!("DOB close ({which} differs)")))
                    } else if pos == 0 {
                        // A shared birthday alone is a 1-in-365 coincidence: no evidence.
                        (0.0, Some("DOB same day and month only".into()))
                    } else {
                        // Same year and month (or year and day) but not a keying slip: a
                        // 1-in-1 000 coincidence between strangers, yet a true record's DOB
                        // rarely differs that way, so weaker evidence than a slip.
                        let kept = if pos == 1 { "year and day" } else { "year and month" };
                        (1.0, Some(format!("DOB same {kept}, {which} differs")))
                    }
                } else if qd.year == d.year || (qd.year - d.year).abs() == 1 && n == 1 {
                    (0.0, Some("DOB year close only".into()))
                } else {
                    (-3.0, Some("DOB differs".into()))
                }
            }
        }
        DobQuery::About { year, plus_minus } if (d.year - year).unsigned_abs() <= u32::from(plus_minus) => {
            // The year the officer gave is their best guess: it scores as a year range does,
            // each year away from it half a point less at the range's ends, so that among
            // people otherwise alike the one born in the year given comes first.
            let off = (d.year - year).unsigned_abs() as f32 / f32::from(plus_minus);
            if off == 0.0 {
                (2.5, Some("DOB in range, the year given".into()))
            } else {
                (2.5 - 0.5 * off, Some("DOB in range".into()))
            }
        }
        DobQuery::About { .. } | DobQuery::Between(..) => {
            let Some((lo, hi)) = q.range() else {
                return (0.0, None);
            };
            if d >= lo && d <= hi {
                (2.5, Some("DOB in range".into()))
            } else if d.year >= lo.year - 1 && d.year <= hi.year + 1 {
                // "Born about 1985" for someone recorded in 1984: a year given from memory or
                // an estimate is often one out, so this is weaker evidence, not none.
                (1.0, Some("DOB a year outside range".into()))
            } else {
                (-3.0, Some("DOB outside range".into()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u8, dd: u8) -> Date {
        Date::new(y, m, dd).unwrap()
    }

    #[test]
    fn parses_forms() {
        assert_eq!(Date::parse("19840312"), Some(d(1984, 3, 12)));
        assert_eq!(Date::parse("1984-03-12"), Some(d(1984, 3, 12)));
        assert_eq!(Date::parse("12/03/1984"), Some(d(1984, 3, 12)));
        assert_eq!(Date::parse("31/02/1984"), None);
        assert_eq!(Date::parse(""), None);
        assert_eq!(Date::parse("1984"), None);
    }

    #[test]
    fn dob_rules() {
        let rec = Some(d(1984, 3, 12));
        let cases: [(DobQuery, f32, &str); 22] = [
            (DobQuery::Exact(d(1984, 3, 12)), 5.0, "DOB exact"),
            (DobQuery::Exact(d(1984, 12, 3)), 3.5, "DOB day/month swapped"),
            (DobQuery::Exact(d(1984, 3, 13)), 2.5, "DOB close (day differs)"),
            (DobQuery::Exact(d(1948, 3, 12)), 2.5, "DOB close (year differs)"),
            (DobQuery::Exact(d(1985, 3, 12)), 2.5, "DOB close (year differs)"),
            (DobQuery::Exact(d(1934, 3, 12)), 2.5, "DOB close (year differs)"),
            // Month or day wrong as a keying slip (one digit, adjacent digits exchanged,
            // off by one) with the year right: close.
            (DobQuery::Exact(d(1984, 9, 12)), 2.5, "DOB close (month differs)"),
            (DobQuery::Exact(d(1984, 3, 21)), 2.5, "DOB close (day differs)"),
            // Wrong by more than a slip: weaker evidence.
            (DobQuery::Exact(d(1984, 3, 27)), 1.0, "DOB same year and month, day differs"),
            (DobQuery::Exact(d(1984, 11, 12)), 1.0, "DOB same year and day, month differs"),
            // Same birthday in an unrelated year: no evidence either way.
            (DobQuery::Exact(d(1960, 3, 12)), 0.0, "DOB same day and month only"),
            (DobQuery::year(1984).unwrap(), 2.5, "DOB in range"),
            // Born about 1985 (± 1): 1984 is in the range, a little below 1985 itself.
            (DobQuery::around(1985, 1).unwrap(), 2.0, "DOB in range"),
            (DobQuery::around(1984, 1).unwrap(), 2.5, "DOB in range, the year given"),
            (DobQuery::around(1986, 2).unwrap(), 2.0, "DOB in range"),
            (DobQuery::around(1985, 2).unwrap(), 2.25, "DOB in range"),
            (DobQuery::around(1986, 1).unwrap(), 1.0, "DOB a year outside range"),
            (DobQuery::around(1990, 2).unwrap(), -3.0, "DOB outside range"),
            // A year one outside the range (a year given from memory): weaker, not nothing.
            (DobQuery::year(1985).unwrap(), 1.0, "DOB a year outside range"),
            (DobQuery::year(1983).unwrap(), 1.0, "DOB a year outside range"),
            (DobQuery::year(1986).unwrap(), -3.0, "DOB outside range"),
            (DobQuery::Exact(d(1960, 7, 1)), -3.0, "DOB differs"),
        ];
        for (q, pts, why) in cases {
            assert_eq!(score_dob(Some(&q), rec), (pts, Some(why.to_string())), "{q:?}");
        }
        // 1 January is often a placeholder for "year known": an exact match on it counts less
        // than on a real birthday, more than the year alone (+2.5 in a year range).
        let jan1 = Some(d(1984, 1, 1));
        let (pts, why) = score_dob(Some(&DobQuery::Exact(d(1984, 1, 1))), jan1);
        assert_eq!(pts, 4.0);
        assert!(why.is_some_and(|w| w.starts_with("DOB exact, 1 January")));
        assert_eq!(score_dob(Some(&DobQuery::year(1984).unwrap()), jan1).0, 2.5);
        assert_eq!(score_dob(Some(&DobQuery::Exact(d(1984, 1, 2))), Some(d(1984, 1, 2))).0, 5.0);
        // Missing DOB on the record never excludes and scores neutral.
        assert_eq!(score_dob(Some(&DobQuery::Exact(d(1984, 3, 12))), None).0, 0.0);
    }

    #[test]
    fn keying_slips() {
        let a = d(1984, 3, 12);
        for (b, pos, slip) in [
            (d(1985, 3, 12), 0, true),  // one digit, and off by one
            (d(1994, 3, 12), 0, true),  // one digit
            (d(1948, 3, 12), 0, true),  // adjacent digits exchanged
            (d(1983, 3, 12), 0, true),  // off by one
            (d(1960, 3, 12), 0, false), // two digits
            (d(1984, 3, 21), 2, true),  // exchanged
            (d(1984, 3, 28), 2, false), // two digits, not adjacent-exchanged
            (d(1984, 10, 12), 1, false),
            (d(1984, 4, 12), 1, true),
        ] {
            assert_eq!(component_typo(a, b, pos), slip, "{b}");
        }
    }

    #[test]
    fn near_typos_are_valid_and_distinct() {
        let v = d(1985, 3, 1).near_typos();
        for x in [d(1984, 3, 1), d(1986, 3, 1), d(1958, 3, 1), d(1985, 2, 1), d(1985, 4, 1), d(1985, 3, 2)] {
            assert!(v.contains(&x), "{x} missing from {v:?}");
        }
        assert_eq!(v.len(), 6, "{v:?}"); // no 1985-03-00
                                         // 31 January: no 31 February or 31 December-from-month-0; the year digits are equal.
        let v = d(2011, 1, 31).near_typos();
        assert!(v.iter().all(|x| *x != d(2011, 1, 31)));
        assert_eq!(v, vec![d(2010, 1, 31), d(2012, 1, 31), d(2011, 1, 30)]);
    }

    #[test]
    fn age_range_at_today() {
        let today = d(2025, 6, 1);
        let DobQuery::Between(lo, hi) = DobQuery::age(40, 41, today).unwrap() else { panic!() };
        assert_eq!((lo, hi), (d(1983, 6, 2), d(1985, 6, 1)));
        assert_eq!(d(1985, 6, 1).age_on(today), 40);
        assert_eq!(d(1983, 6, 2).age_on(today), 41);
        assert_eq!(d(1983, 6, 1).age_on(today), 42);
    }
}
