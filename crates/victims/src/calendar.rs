//! Bank-holiday calendars and working-day counting.
//!
//! # How counting works
//!
//! * A **working day** is a day that is neither a weekend day (Saturday, Sunday by default)
//!   nor a bank holiday in the selected calendar.
//! * The day something happens (e.g. the crime is recorded) is **day 0**, whatever the time
//!   of day and whether or not it is a working day.
//! * "Within N working days" means: by the **end of the Nth working day after day 0**.
//!   [`Calendar::add_working_days`] returns that date; the deadline instant is midnight at the
//!   end of it (see [`crate::deadline`]).
//! * Example: recorded Friday 19:00 ⇒ Friday is day 0, Monday day 1, Tuesday day 2: a
//!   2-working-day referral is due by the end of Tuesday. Recorded Saturday ⇒ also Tuesday.
//!   Recorded Thursday before Easter (England and Wales) ⇒ Good Friday and Easter Monday are
//!   skipped: due by the end of Wednesday.
//! * Outside the years a calendar covers, only weekends are skipped and the result is
//!   flagged `approximate`. That can only make a deadline *earlier* than the true one (bank
//!   holidays only ever push deadlines later), so it errs on the side of the victim.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Date, Weekday};

use crate::dates::iso_date;
use crate::error::CalendarError;

const EW_JSON: &str = include_str!("../../../assets/calendar/england-and-wales.json");
const SCOT_JSON: &str = include_str!("../../../assets/calendar/scotland.json");
const NI_JSON: &str = include_str!("../../../assets/calendar/northern-ireland.json");

/// Longest count [`Calendar::add_working_days`] accepts (about 40 years of working days).
pub const MAX_WORKING_DAYS: u32 = 10_000;

/// The three UK bank-holiday regions. A force selects one in its rules (`"calendar"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Region {
    /// England and Wales.
    EnglandAndWales,
    /// Scotland (2 January, St Andrew's Day, summer holiday in early August; no Easter Monday).
    Scotland,
    /// Northern Ireland (adds St Patrick's Day and the Battle of the Boyne).
    NorthernIreland,
}

impl Region {
    /// All regions.
    pub const ALL: [Region; 3] = [Region::EnglandAndWales, Region::Scotland, Region::NorthernIreland];

    /// The code used in JSON: `england-and-wales`, `scotland`, `northern-ireland`.
    pub fn code(self) -> &'static str {
        match self {
            Region::EnglandAndWales => "england-and-wales",
            Region::Scotland => "scotland",
            Region::NorthernIreland => "northern-ireland",
        }
    }

    /// Parses a region code (case-insensitive; `_` and spaces accepted for `-`).
    pub fn parse(code: &str) -> Option<Region> {
        let c = code.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        Region::ALL.into_iter().find(|r| r.code() == c)
    }
}

/// Whether a date comes from a published list or was derived from the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidaySource {
    /// In gov.uk's published bank-holiday list.
    Published,
    /// Derived from the usual rules; replace when the year is published.
    Computed,
}

/// One bank holiday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankHoliday {
    /// The day off (the substitute day when the holiday falls on a weekend).
    #[serde(with = "iso_date")]
    pub date: Date,
    /// e.g. "Boxing Day".
    pub title: String,
    /// Published or computed.
    pub source: HolidaySource,
    /// e.g. "Substitute day".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Deserialize)]
struct CalendarFile {
    #[serde(default)]
    region: String,
    #[serde(default)]
    name: String,
    first_year: i32,
    last_year: i32,
    #[serde(default = "default_weekend")]
    weekend: Vec<String>,
    #[serde(default)]
    holidays: Vec<BankHoliday>,
}

fn default_weekend() -> Vec<String> {
    vec!["saturday".into(), "sunday".into()]
}

fn parse_weekday(s: &str) -> Option<Weekday> {
    Some(match s.trim().to_ascii_lowercase().as_str() {
        "monday" => Weekday::Monday,
        "tuesday" => Weekday::Tuesday,
        "wednesday" => Weekday::Wednesday,
        "thursday" => Weekday::Thursday,
        "friday" => Weekday::Friday,
        "saturday" => Weekday::Saturday,
        "sunday" => Weekday::Sunday,
        _ => return None,
    })
}

/// A date reached by counting working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkingDate {
    /// The resulting date.
    #[serde(with = "iso_date")]
    pub date: Date,
    /// True when some day counted lies outside the calendar's years, so only weekends were
    /// skipped for it (the result may be earlier than the true date, never later).
    pub approximate: bool,
}

/// A bank-holiday calendar for one region. Immutable once built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    region: String,
    name: String,
    first_year: i32,
    last_year: i32,
    weekend: [bool; 7],
    holidays: BTreeMap<Date, BankHoliday>,
}

impl Calendar {
    /// Parses a calendar file (the format of `assets/calendar/*.json`).
    pub fn from_json(json: &str) -> Result<Calendar, CalendarError> {
        let file: CalendarFile = serde_json::from_str(json).map_err(|e| CalendarError::Json(e.to_string()))?;
        if file.region.trim().is_empty() {
            return Err(CalendarError::Invalid("\"region\" is empty".into()));
        }
        if file.first_year > file.last_year {
            return Err(CalendarError::Invalid(format!(
                "first_year {} is after last_year {}",
                file.first_year, file.last_year
            )));
        }
        let mut weekend = [false; 7];
        for w in &file.weekend {
            let day = parse_weekday(w).ok_or_else(|| CalendarError::Invalid(format!("unknown weekend day {w:?}")))?;
            weekend[day.number_days_from_monday() as usize] = true;
        }
        if weekend.iter().all(|w| *w) {
            return Err(CalendarError::Invalid("every day is a weekend day: no working days".into()));
        }
        let mut holidays = BTreeMap::new();
        for h in file.holidays {
            if h.date.year() < file.first_year || h.date.year() > file.last_year {
                return Err(CalendarError::Invalid(format!(
                    "holiday {} ({}) is outside {}–{}",
                    h.date, h.title, file.first_year, file.last_year
                )));
            }
            if let Some(prev) = holidays.get(&h.date) {
                let prev: &BankHoliday = prev;
                return Err(CalendarError::Invalid(format!(
                    "two holidays on {}: {:?} and {:?}",
                    h.date, prev.title, h.title
                )));
            }
            holidays.insert(h.date, h);
        }
        Ok(Calendar {
            region: file.region.trim().to_string(),
            name: file.name,
            first_year: file.first_year,
            last_year: file.last_year,
            weekend,
            holidays,
        })
    }

    /// The embedded default calendar for a region.
    pub fn builtin(region: Region) -> Result<Calendar, CalendarError> {
        Calendar::from_json(match region {
            Region::EnglandAndWales => EW_JSON,
            Region::Scotland => SCOT_JSON,
            Region::NorthernIreland => NI_JSON,
        })
    }

    /// The embedded calendar named by a region code (as used in a force's rules).
    pub fn builtin_by_code(code: &str) -> Result<Calendar, CalendarError> {
        let region = Region::parse(code).ok_or_else(|| CalendarError::UnknownRegion(code.into()))?;
        Calendar::builtin(region)
    }

    /// Region code, e.g. `england-and-wales`.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Display name, e.g. "England and Wales".
    pub fn name(&self) -> &str {
        &self.name
    }

    /// First and last year covered (inclusive).
    pub fn years(&self) -> (i32, i32) {
        (self.first_year, self.last_year)
    }

    /// True if the calendar has bank-holiday data for this date's year.
    pub fn covers(&self, date: Date) -> bool {
        (self.first_year..=self.last_year).contains(&date.year())
    }

    /// True for weekend days.
    pub fn is_weekend(&self, date: Date) -> bool {
        self.weekend[date.weekday().number_days_from_monday() as usize]
    }

    /// The bank holiday on this date, if any.
    pub fn bank_holiday(&self, date: Date) -> Option<&BankHoliday> {
        self.holidays.get(&date)
    }

    /// Not a weekend day and not a bank holiday.
    pub fn is_working_day(&self, date: Date) -> bool {
        !self.is_weekend(date) && !self.holidays.contains_key(&date)
    }

    /// All holidays in a year, in date order.
    pub fn holidays_in_year(&self, year: i32) -> impl Iterator<Item = &BankHoliday> {
        self.holidays.values().filter(move |h| h.date.year() == year)
    }

    /// The end-of-day date `days` working days after `start` (day 0). `days == 0` returns
    /// `start` itself. See the module docs for the exact rule.
    pub fn add_working_days(&self, start: Date, days: u32) -> Result<WorkingDate, CalendarError> {
        let out_of_range = || CalendarError::OutOfRange { from: start.to_string(), days };
        if days > MAX_WORKING_DAYS {
            return Err(out_of_range());
        }
        let mut date = start;
        let mut approximate = false;
        let mut counted = 0;
        while counted < days {
            date = date.next_day().ok_or_else(out_of_range)?;
            if !self.covers(date) {
                approximate = true;
            }
            if self.is_working_day(date) {
                counted += 1;
            }
        }
        Ok(WorkingDate { date, approximate })
    }

    /// Number of working days in `(from, to]` (0 when `to <= from`). Whole weeks are counted at
    /// once and the holidays in the span looked up in the calendar's ordered map, so a far date
    /// (a follow-up typed as 9999-12-31) costs no more than a near one; it went day by day,
    /// about 2.9 million steps for every countdown drawn.
    pub fn working_days_between(&self, from: Date, to: Date) -> u32 {
        if to <= from {
            return 0;
        }
        let span = (to - from).whole_days();
        let working_per_week = self.weekend.iter().filter(|w| !**w).count() as i64;
        let (weeks, rest) = (span / 7, span % 7);
        let mut n = weeks.saturating_mul(working_per_week);
        // The first `rest` days of the span; the whole weeks after them hold each weekday once.
        let mut d = from;
        for _ in 0..rest {
            match d.next_day() {
                Some(next) => d = next,
                None => break,
            }
            if !self.is_weekend(d) {
                n += 1;
            }
        }
        let holidays = self
            .holidays
            .range((std::ops::Bound::Excluded(from), std::ops::Bound::Included(to)))
            .filter(|(day, _)| !self.is_weekend(**day))
            .count() as i64;
        u32::try_from((n - holidays).max(0)).unwrap_or(u32::MAX)
    }
}
