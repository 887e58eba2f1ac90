//! Calendar and working-day table tests.

use bluelamp_victims::{Calendar, CalendarError, HolidaySource, Region};
use time::macros::date;
use time::{Date, Duration, Month};

fn ew() -> Calendar {
    Calendar::builtin(Region::EnglandAndWales).unwrap()
}
fn scot() -> Calendar {
    Calendar::builtin(Region::Scotland).unwrap()
}
fn ni() -> Calendar {
    Calendar::builtin(Region::NorthernIreland).unwrap()
}

/// Independent Easter computation (Butcher's algorithm as published by the Nautical Almanac).
fn easter(y: i32) -> Date {
    let g = y % 19;
    let c = y / 100;
    let h = (c - c / 4 - (8 * c + 13) / 25 + 19 * g + 15) % 30;
    let i = h - (h / 28) * (1 - (h / 28) * (29 / (h + 1)) * ((21 - g) / 11));
    let j = (y + y / 4 + i + 2 - c + c / 4) % 7;
    let l = i - j;
    let month = 3 + (l + 40) / 44;
    let day = l + 28 - 31 * (month / 4);
    Date::from_calendar_date(y, Month::try_from(month as u8).unwrap(), day as u8).unwrap()
}

#[test]
fn easter_algorithm_known_values() {
    for (y, d) in [
        (2020, date!(2020 - 04 - 12)),
        (2021, date!(2021 - 04 - 04)),
        (2022, date!(2022 - 04 - 17)),
        (2024, date!(2024 - 03 - 31)),
        (2025, date!(2025 - 04 - 20)),
        (2027, date!(2027 - 03 - 28)),
        (2035, date!(2035 - 03 - 25)),
    ] {
        assert_eq!(easter(y), d, "{y}");
    }
}

#[test]
fn every_year_has_good_friday_and_easter_monday_where_due() {
    for cal in [ew(), scot(), ni()] {
        for y in 2020..=2035 {
            let e = easter(y);
            let gf = e - Duration::days(2);
            let em = e + Duration::days(1);
            assert_eq!(cal.bank_holiday(gf).map(|h| h.title.as_str()), Some("Good Friday"), "{} {y}", cal.region());
            let has_em = cal.bank_holiday(em).is_some();
            assert_eq!(has_em, cal.region() != "scotland", "{} {y}", cal.region());
        }
    }
}

#[test]
fn coverage_and_counts() {
    for (cal, per_year) in [(ew(), 8), (scot(), 9), (ni(), 10)] {
        assert_eq!(cal.years(), (2020, 2035));
        for y in 2020..=2035 {
            let n = cal.holidays_in_year(y).count();
            let extra = match y {
                2020 => 0, // early May moved, not added
                2022 => 2, // jubilee + funeral (spring moved)
                2023 => 1, // coronation
                _ => 0,
            };
            assert_eq!(n, per_year + extra, "{} {y}", cal.region());
            for h in cal.holidays_in_year(y) {
                assert!(!cal.is_weekend(h.date), "{} on a weekend", h.date);
                let want = if y <= 2027 { HolidaySource::Published } else { HolidaySource::Computed };
                assert_eq!(h.source, want, "{}", h.date);
            }
        }
    }
}

/// Dates from gov.uk's published list (England and Wales, 2020–2027), every one of them.
#[test]
fn england_and_wales_matches_published_list() {
    let published = [
        "2020-01-01",
        "2020-04-10",
        "2020-04-13",
        "2020-05-08",
        "2020-05-25",
        "2020-08-31",
        "2020-12-25",
        "2020-12-28",
        "2021-01-01",
        "2021-04-02",
        "2021-04-05",
        "2021-05-03",
        "2021-05-31",
        "2021-08-30",
        "2021-12-27",
        "2021-12-28",
        "2022-01-03",
        "2022-04-15",
        "2022-04-18",
        "2022-05-02",
        "2022-06-02",
        "2022-06-03",
        "2022-08-29",
        "2022-09-19",
        "2022-12-26",
        "2022-12-27",
        "2023-01-02",
        "2023-04-07",
        "2023-04-10",
        "2023-05-01",
        "2023-05-08",
        "2023-05-29",
        "2023-08-28",
        "2023-12-25",
        "2023-12-26",
        "2024-01-01",
        "2024-03-29",
        "2024-04-01",
        "2024-05-06",
        "2024-05-27",
        "2024-08-26",
        "2024-12-25",
        "2024-12-26",
        "2025-01-01",
        "2025-04-18",
        "2025-04-21",
        "2025-05-05",
        "2025-05-26",
        "2025-08-25",
        "2025-12-25",
        "2025-12-26",
        "2026-01-01",
        "2026-04-03",
        "2026-04-06",
        "2026-05-04",
        "2026-05-25",
        "2026-08-31",
        "2026-12-25",
        "2026-12-28",
        "2027-01-01",
        "2027-03-26",
        "2027-03-29",
        "2027-05-03",
        "2027-05-31",
        "2027-08-30",
        "2027-12-27",
        "2027-12-28",
    ];
    let cal = ew();
    let ours: Vec<String> =
        (2020..=2027).flat_map(|y| cal.holidays_in_year(y).map(|h| h.date.to_string()).collect::<Vec<_>>()).collect();
    assert_eq!(ours, published);
}

#[test]
fn scotland_and_northern_ireland_published_specials() {
    let s = scot();
    for d in [
        date!(2020 - 01 - 02),
        date!(2020 - 08 - 03),
        date!(2020 - 11 - 30),
        date!(2021 - 01 - 04), // 2 Jan on Saturday
        date!(2022 - 01 - 03),
        date!(2022 - 01 - 04), // 1 Jan Sat, 2 Jan Sun
        date!(2023 - 01 - 02),
        date!(2023 - 01 - 03), // 1 Jan Sun
        date!(2024 - 12 - 02), // St Andrew's Saturday
        date!(2025 - 12 - 01), // St Andrew's Sunday
        date!(2027 - 01 - 04),
    ] {
        assert!(s.bank_holiday(d).is_some(), "scotland {d}");
    }
    // Scotland: 2 January is a holiday; England and Wales: not.
    assert!(!s.is_working_day(date!(2025 - 01 - 02)));
    assert!(ew().is_working_day(date!(2025 - 01 - 02)));
    // No Easter Monday in Scotland; last Monday in August is a working day there.
    assert!(s.is_working_day(date!(2025 - 04 - 21)));
    assert!(s.is_working_day(date!(2025 - 08 - 25)));
    assert!(!s.is_working_day(date!(2025 - 08 - 04)));

    let n = ni();
    for d in [
        date!(2020 - 03 - 17),
        date!(2020 - 07 - 13), // Boyne on Sunday
        date!(2024 - 03 - 18), // St Patrick's on Sunday
        date!(2025 - 07 - 14), // Boyne on Saturday
        date!(2026 - 07 - 13),
    ] {
        assert!(n.bank_holiday(d).is_some(), "NI {d}");
    }
    assert!(ew().is_working_day(date!(2025 - 03 - 17)));
    assert!(!n.is_working_day(date!(2025 - 03 - 17)));
}

/// (calendar, day 0, working days, expected due date)
#[test]
fn working_day_table() {
    let cases: &[(Region, Date, u32, Date, &str)] = &[
        // Friday evening: day 0 is Friday; Mon = 1, Tue = 2.
        (Region::EnglandAndWales, date!(2025 - 03 - 14), 2, date!(2025 - 03 - 18), "Friday evening"),
        (Region::EnglandAndWales, date!(2025 - 03 - 15), 2, date!(2025 - 03 - 18), "Saturday"),
        (Region::EnglandAndWales, date!(2025 - 03 - 16), 2, date!(2025 - 03 - 18), "Sunday"),
        (Region::EnglandAndWales, date!(2025 - 03 - 12), 2, date!(2025 - 03 - 14), "Wednesday"),
        (Region::EnglandAndWales, date!(2025 - 03 - 12), 0, date!(2025 - 03 - 12), "zero days"),
        // Easter 2025: Good Friday 18, Easter Monday 21.
        (Region::EnglandAndWales, date!(2025 - 04 - 17), 2, date!(2025 - 04 - 23), "Maundy Thursday"),
        (Region::EnglandAndWales, date!(2025 - 04 - 17), 1, date!(2025 - 04 - 22), "Maundy Thursday, 1 day"),
        (Region::Scotland, date!(2025 - 04 - 17), 2, date!(2025 - 04 - 22), "Scotland has no Easter Monday"),
        (Region::NorthernIreland, date!(2025 - 04 - 17), 2, date!(2025 - 04 - 23), "NI Easter"),
        // Christmas on Saturday, Boxing Day on Sunday: 27 and 28 are substitutes.
        (Region::EnglandAndWales, date!(2021 - 12 - 24), 2, date!(2021 - 12 - 30), "Christmas 2021"),
        (Region::EnglandAndWales, date!(2027 - 12 - 24), 2, date!(2027 - 12 - 30), "Christmas 2027"),
        // Christmas on Sunday 2022: Boxing Day Mon 26, Christmas substitute Tue 27.
        (Region::EnglandAndWales, date!(2022 - 12 - 23), 2, date!(2022 - 12 - 29), "Christmas 2022"),
        (
            Region::EnglandAndWales,
            date!(2022 - 12 - 23),
            5,
            date!(2023 - 01 - 04),
            "over New Year 2023 (2 Jan substitute)",
        ),
        // New Year's Day on Saturday 2022: substitute Monday 3 January.
        (Region::EnglandAndWales, date!(2021 - 12 - 31), 1, date!(2022 - 01 - 04), "New Year 2022 substitute"),
        (Region::Scotland, date!(2021 - 12 - 31), 1, date!(2022 - 01 - 05), "Scotland New Year 2022"),
        // Scotland 2 January.
        (Region::Scotland, date!(2024 - 12 - 31), 1, date!(2025 - 01 - 03), "Scotland 2 Jan 2025"),
        (Region::EnglandAndWales, date!(2024 - 12 - 31), 1, date!(2025 - 01 - 02), "E&W 2 Jan is a working day"),
        // 2020 VE day Friday 8 May; Monday 4 May was a working day.
        (Region::EnglandAndWales, date!(2020 - 05 - 01), 1, date!(2020 - 05 - 04), "4 May 2020 working"),
        (Region::EnglandAndWales, date!(2020 - 05 - 07), 1, date!(2020 - 05 - 11), "VE day 2020"),
        // 2023 coronation Monday 8 May.
        (Region::EnglandAndWales, date!(2023 - 05 - 05), 1, date!(2023 - 05 - 09), "coronation"),
        // 2022 jubilee Thu 2 + Fri 3 June; funeral Mon 19 September.
        (Region::EnglandAndWales, date!(2022 - 06 - 01), 1, date!(2022 - 06 - 06), "jubilee"),
        (Region::EnglandAndWales, date!(2022 - 05 - 27), 1, date!(2022 - 05 - 30), "30 May 2022 working"),
        (Region::Scotland, date!(2022 - 09 - 16), 1, date!(2022 - 09 - 20), "funeral (Scotland too)"),
        // Updates: 1 and 5 working days.
        (Region::EnglandAndWales, date!(2025 - 12 - 24), 1, date!(2025 - 12 - 29), "Christmas Eve 2025"),
        (Region::EnglandAndWales, date!(2025 - 12 - 24), 5, date!(2026 - 01 - 05), "5 days over Christmas"),
    ];
    for (region, from, n, want, what) in cases {
        let cal = Calendar::builtin(*region).unwrap();
        let got = cal.add_working_days(*from, *n).unwrap();
        assert_eq!(got.date, *want, "{what}: {region:?} {from} + {n}");
        assert!(!got.approximate, "{what}");
    }
}

#[test]
fn outside_coverage_is_approximate_and_weekend_only() {
    let cal = ew();
    let got = cal.add_working_days(date!(2036 - 12 - 24), 2).unwrap();
    // 25 and 26 Dec 2036 (Thu, Fri) are not known holidays: counted as working days.
    assert_eq!(got.date, date!(2036 - 12 - 26));
    assert!(got.approximate);
    assert!(cal.add_working_days(Date::MAX, 1).is_err());
    assert!(cal.add_working_days(date!(2025 - 01 - 01), 1_000_000).is_err());
}

#[test]
fn working_days_between_counts_half_open() {
    let cal = ew();
    assert_eq!(cal.working_days_between(date!(2025 - 03 - 14), date!(2025 - 03 - 18)), 2);
    assert_eq!(cal.working_days_between(date!(2025 - 03 - 18), date!(2025 - 03 - 14)), 0);
}

#[test]
fn bad_calendar_files_are_errors_not_panics() {
    let ok = r#"{"region":"x","first_year":2020,"last_year":2020,"holidays":[]}"#;
    assert!(Calendar::from_json(ok).is_ok());
    for bad in [
        "",
        "{",
        r#"{"region":"","first_year":2020,"last_year":2020}"#,
        r#"{"region":"x","first_year":2021,"last_year":2020}"#,
        r#"{"region":"x","first_year":2020,"last_year":2020,"weekend":["funday"]}"#,
        r#"{"region":"x","first_year":2020,"last_year":2020,"weekend":["monday","tuesday","wednesday","thursday","friday","saturday","sunday"]}"#,
        r#"{"region":"x","first_year":2020,"last_year":2020,"holidays":[{"date":"2021-01-01","title":"a","source":"computed"}]}"#,
        r#"{"region":"x","first_year":2020,"last_year":2020,"holidays":[{"date":"2020-01-01","title":"a","source":"computed"},{"date":"2020-01-01","title":"b","source":"computed"}]}"#,
        r#"{"region":"x","first_year":2020,"last_year":2020,"holidays":[{"date":"2020-13-01","title":"a","source":"computed"}]}"#,
    ] {
        assert!(Calendar::from_json(bad).is_err(), "{bad}");
    }
    assert!(matches!(Calendar::builtin_by_code("wales-only"), Err(CalendarError::UnknownRegion(_))));
    assert_eq!(Calendar::builtin_by_code("Northern_Ireland").unwrap().region(), "northern-ireland");
}
