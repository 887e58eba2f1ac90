#!/usr/bin/env python3
"""Regenerate the bank-holiday calendars in this folder (England and Wales, Scotland,
Northern Ireland) for the years given on the command line (default 2020-2035).

The rules are the ordinary statutory/royal-proclamation pattern plus the one-off changes
listed in ONE_OFFS. Every date written is marked "published" (it appears in gov.uk's
published bank-holiday list, checked for 2019-2027) or "computed" (derived from the rules
below; replace with the published list when gov.uk publishes that year).

Usage:  python3 generate.py [FIRST_YEAR LAST_YEAR]
"""
import datetime as dt
import json
import sys

PUBLISHED_THROUGH = 2027  # last year checked against gov.uk/bank-holidays.json


def easter_sunday(y):
    # Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
    a = y % 19
    b, c = divmod(y, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month = (h + l - 7 * m + 114) // 31
    day = (h + l - 7 * m + 114) % 31 + 1
    return dt.date(y, month, day)


def first_monday(y, m):
    d = dt.date(y, m, 1)
    return d + dt.timedelta(days=(7 - d.weekday()) % 7)


def last_monday(y, m):
    d = dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)
    return d - dt.timedelta(days=d.weekday())


def weekend(d):
    return d.weekday() >= 5


def place_fixed(fixed, taken):
    """Fixed-date holidays: weekday ones stay; weekend ones move to the next free weekday
    (so Christmas on Saturday and Boxing Day on Sunday become Monday and Tuesday)."""
    out = []
    for title, d in fixed:
        if not weekend(d):
            taken.add(d)
            out.append((d, title, ""))
    for title, d in fixed:
        if weekend(d):
            s = d
            while weekend(s) or s in taken:
                s += dt.timedelta(days=1)
            taken.add(s)
            out.append((s, title, "Substitute day"))
    return out


def region_year(region, y):
    ev = []
    taken = set()
    easter = easter_sunday(y)
    ev.append((easter - dt.timedelta(days=2), "Good Friday", ""))
    if region != "scotland":
        ev.append((easter + dt.timedelta(days=1), "Easter Monday", ""))
    early_may = first_monday(y, 5)
    spring = last_monday(y, 5)
    summer = first_monday(y, 8) if region == "scotland" else last_monday(y, 8)
    ev.append((early_may, "Early May bank holiday", ""))
    ev.append((spring, "Spring bank holiday", ""))
    ev.append((summer, "Summer bank holiday", ""))
    # One-offs (all three UK calendars; checked against gov.uk).
    if y == 2020:
        ev = [e for e in ev if e[0] != early_may]
        ev.append((dt.date(2020, 5, 8), "Early May bank holiday (VE day)",
                   "Moved from Monday 4 May 2020 for the 75th anniversary of VE day"))
    if y == 2022:
        ev = [e for e in ev if e[0] != spring]
        ev.append((dt.date(2022, 6, 2), "Spring bank holiday",
                   "Moved from Monday 30 May 2022 for the Platinum Jubilee"))
        ev.append((dt.date(2022, 6, 3), "Platinum Jubilee bank holiday", "One-off"))
        ev.append((dt.date(2022, 9, 19),
                   "Bank Holiday for the State Funeral of Queen Elizabeth II", "One-off"))
    if y == 2023:
        ev.append((dt.date(2023, 5, 8),
                   "Bank holiday for the coronation of King Charles III", "One-off"))
    for d, _, _ in ev:
        taken.add(d)
    ny = [("New Year's Day", dt.date(y, 1, 1))]
    if region == "scotland":
        ny.append(("2nd January", dt.date(y, 1, 2)))
    placed = place_fixed(ny, taken)
    if region == "scotland" and dt.date(y, 1, 1).weekday() == 6:
        # gov.uk labels Monday 2 Jan as "New Year's Day (substitute)" and Tuesday 3 Jan as
        # "2nd January (substitute)"; the dates are the same either way.
        placed = [(dt.date(y, 1, 2), "New Year's Day", "Substitute day"),
                  (dt.date(y, 1, 3), "2nd January", "Substitute day")]
    ev += placed
    if region == "northern-ireland":
        ev += place_fixed([("St Patrick's Day", dt.date(y, 3, 17))], taken)
        ev += place_fixed([("Battle of the Boyne (Orangemen's Day)", dt.date(y, 7, 12))], taken)
    if region == "scotland":
        ev += place_fixed([("St Andrew's Day", dt.date(y, 11, 30))], taken)
    ev += place_fixed([("Christmas Day", dt.date(y, 12, 25)),
                       ("Boxing Day", dt.date(y, 12, 26))], taken)
    ev.sort()
    return ev


NAMES = {
    "england-and-wales": "England and Wales",
    "scotland": "Scotland",
    "northern-ireland": "Northern Ireland",
}


def build(region, first, last):
    holidays = []
    for y in range(first, last + 1):
        for d, title, note in region_year(region, y):
            h = {
                "date": d.isoformat(),
                "title": title,
                "source": "published" if y <= PUBLISHED_THROUGH else "computed",
            }
            if note:
                h["note"] = note
            holidays.append(h)
    return {
        "schema_version": 1,
        "region": region,
        "name": NAMES[region],
        "first_year": first,
        "last_year": last,
        "weekend": ["saturday", "sunday"],
        "published_through": PUBLISHED_THROUGH,
        "holidays": holidays,
    }


if __name__ == "__main__":
    first, last = (int(sys.argv[1]), int(sys.argv[2])) if len(sys.argv) == 3 else (2020, 2035)
    for region in NAMES:
        with open(f"{region}.json", "w", encoding="utf-8") as f:
            json.dump(build(region, first, last), f, indent=2, ensure_ascii=False)
            f.write("\n")
