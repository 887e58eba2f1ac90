//! The search screen's filters (date of birth, age range, sex) as typed, the one-click
//! widenings offered when a search finds no one, or no one who matches the filters:
//! "Search without DOB", "Widen to ±5 years", "Age range 37–47", "Drop sex filter", and the
//! hint to narrow a name-only search that cannot tell people apart.
//!
//! Pure: "today" comes in as a `YYYY-MM-DD` string.

use crate::dates::parse_typed_dob;
use crate::search::MAX_AGE;
use crate::{ApiError, NominalHit, SearchRequest};

/// The filter fields of the search screen, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchFilters {
    /// `YYYY-MM-DD`, `YYYYMMDD`, a year (`1984`) or a year with a range (`1984±5`, `1984+-5`).
    pub dob: String,
    /// `30-40`, or one age (`35`).
    pub age: String,
    /// `M`, `F` or empty.
    pub sex: String,
}

const DOB_HELP: &str =
    "The date of birth must be DD/MM/YYYY, YYYY-MM-DD, a year (1984) or a year with a range (1984±5).";
const AGE_HELP: &str = "The age must be one age (35) or a range (30-40).";

fn parse_year(s: &str) -> Option<u32> {
    let s = s.trim();
    (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

impl SearchFilters {
    /// No filter is set.
    pub fn is_empty(&self) -> bool {
        self.dob.trim().is_empty() && self.age.trim().is_empty() && self.sex.trim().is_empty()
    }

    /// The search request for `name` with these filters, checked (the message says what to fix).
    pub fn request(&self, name: &str) -> Result<SearchRequest, ApiError> {
        let mut req = SearchRequest::free_text(name);
        let dob = self.dob.trim();
        if !dob.is_empty() {
            let range = ["±", "+/-", "+-"].iter().find_map(|sep| dob.split_once(sep));
            if let Some((year, n)) = range {
                req.dob_year = Some(parse_year(year).ok_or_else(|| ApiError::invalid(DOB_HELP))?);
                req.years_either_side = Some(n.trim().parse().map_err(|_| ApiError::invalid(DOB_HELP))?);
            } else if let Some(year) = parse_year(dob) {
                req.dob_year = Some(year);
            } else {
                req.dob = Some(parse_typed_dob(dob).map_err(|e| ApiError::invalid(format!("{e}. {DOB_HELP}")))?);
            }
        }
        let age = self.age.trim();
        if !age.is_empty() {
            let (a, b) = parse_age_range(age).ok_or_else(|| ApiError::invalid(AGE_HELP))?;
            req.age_min = Some(a);
            req.age_max = Some(b);
        }
        let sex = self.sex.trim();
        if !sex.is_empty() {
            req.sex = Some(sex.to_ascii_uppercase());
        }
        req.validate()?;
        Ok(req)
    }

    /// The fields that show `req`'s filters (after a widening, the screen shows what ran).
    pub fn from_request(req: &SearchRequest) -> SearchFilters {
        let dob = match (&req.dob, req.dob_year, req.years_either_side) {
            (Some(d), _, _) => d.clone(),
            (None, Some(y), Some(n)) if n > 0 => format!("{y}±{n}"),
            (None, Some(y), _) => y.to_string(),
            _ => String::new(),
        };
        let age = match (req.age_min, req.age_max) {
            (Some(a), Some(b)) if a == b => a.to_string(),
            (Some(a), Some(b)) => format!("{a}-{b}"),
            (Some(a), None) => format!("{a}-{MAX_AGE}"),
            (None, Some(b)) => format!("0-{b}"),
            (None, None) => String::new(),
        };
        SearchFilters { dob, age, sex: req.sex.clone().unwrap_or_default() }
    }
}

/// An age or age range as typed: `35`, `30-40` or `30–40` (en dash), spaces allowed. Not
/// checked against the limits: [`SearchRequest::validate`] does that.
pub fn parse_age_range(s: &str) -> Option<(u32, u32)> {
    let s = s.trim();
    let (a, b) = s.split_once(['-', '–']).unwrap_or((s, s));
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

/// One suggested widening: a button label and the search it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Widening {
    /// Stable id (`drop-dob`, `dob-years`, `age-range`, `drop-age`, `drop-sex`, `name-only`),
    /// used as the button's `data-widen`.
    pub id: &'static str,
    pub label: String,
    pub request: SearchRequest,
}

fn ymd(s: &str) -> Option<(u32, u32, u32)> {
    let p = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    Some((p(0..4)?, p(5..7)?, p(8..10)?))
}

/// Age in whole years on `today` (both `YYYY-MM-DD`); `None` if either is unreadable or the
/// date of birth is after `today`.
pub fn age_on(dob: &str, today: &str) -> Option<u32> {
    let (by, bm, bd) = ymd(dob)?;
    let (ty, tm, td) = ymd(today)?;
    ty.checked_sub(by)?.checked_sub(u32::from((tm, td) < (bm, bd)))
}

fn has_dob_filter(req: &SearchRequest) -> bool {
    req.dob.is_some() || req.dob_year.is_some() || req.age_min.is_some() || req.age_max.is_some()
}

/// Whether a record's date of birth meets the request's DOB, year or age filter (a record with
/// no date of birth does not: it is unknown). The search ranks a differing date of birth down
/// rather than leaving the person out, so the screen uses this to tell when no hit matches.
pub fn meets_dob_filter(req: &SearchRequest, record_dob: Option<&str>, today: &str) -> bool {
    if !has_dob_filter(req) {
        return true;
    }
    let Some(rec) = record_dob.and_then(|d| ymd(d).map(|p| (d, p))) else { return false };
    let (rec_s, (ry, rm, rd)) = rec;
    if let Some(q) = req.dob.as_deref().and_then(ymd) {
        return q == (ry, rm, rd) || q == (ry, rd, rm);
    }
    if let Some(y) = req.dob_year {
        return ry.abs_diff(y) <= req.years_either_side.unwrap_or(0);
    }
    match age_on(rec_s, today) {
        Some(a) => req.age_min.is_none_or(|m| a >= m) && req.age_max.is_none_or(|m| a <= m),
        None => false,
    }
}

/// A date of birth typed into the name box ("john smith 1984", "ann lee 12/03/1984"): the
/// first word without letters that the DOB filter accepts, and the name text without it. The
/// name search ignores such words; the screen offers to move it to the DOB filter. `None` when
/// there is none, or no name would be left.
pub fn dob_typed_in_name(text: &str) -> Option<(String, String)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let i = words.iter().position(|w| {
        !w.chars().any(char::is_alphabetic)
            && SearchFilters { dob: (*w).to_string(), ..SearchFilters::default() }.request("name").is_ok()
    })?;
    let rest: Vec<&str> = words.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, w)| *w).collect();
    let rest = rest.join(" ");
    rest.chars().any(char::is_alphabetic).then(|| (words[i].to_string(), rest))
}

/// A note when the name holds letters of a script other than Latin, Greek or Cyrillic (Arabic,
/// Chinese, Devanagari, ...): records are held in Latin letters, and such text is searched by a
/// rough letter-by-letter transliteration ("محمد علي" as "Mhmd Ly", which found Michelle Lee)
/// that rarely meets the spelling recorded. Greek and Cyrillic transliterate well ("Иван
/// Петров" finds Ivan Petrov) and get no note. The screen and the CLI show it; the search runs.
pub fn script_note(req: &SearchRequest) -> Option<String> {
    let latin_like = |c: char| {
        let u = c as u32;
        u < 0x0250
            || (0x0370..0x0530).contains(&u)
            || (0x1E00..0x1F00).contains(&u)
            || (0x2C60..0x2C80).contains(&u)
            || (0xA720..0xA800).contains(&u)
    };
    let fields = [&req.name, &req.given, &req.surname];
    let other =
        fields.iter().filter_map(|f| f.as_deref()).any(|v| v.chars().any(|c| c.is_alphabetic() && !latin_like(c)));
    other.then(|| {
        "Names are recorded in Latin letters: text in another script is searched by a rough \
         transliteration that rarely matches. Type the name as it would be written in English \
         (e.g. Mohammed Ali)."
            .to_string()
    })
}

/// A hit whose score is not above zero (nothing in its name or date of birth outweighs what
/// disagrees: agreements count up, disagreements down; see docs/search.md, "Ranking"), or
/// whose name alone does not ([`NominalHit::weak_name`]: a stranger born on the day given).
/// The screen lists such hits last, under "Weak matches", and offers widenings as if nothing
/// had been found. They are shown, not dropped: the person sought is rarely among them, but one
/// whose record was badly mis-keyed can be (on FEBRL4, dropping them lost 0.0003 of the
/// name + DOB recall@10).
pub fn is_weak_match(hit: &NominalHit) -> bool {
    hit.score <= 0.0 || hit.weak_name
}

/// Whether the screen should offer widenings: nothing found, or filters set and no hit meets
/// them (`hit_dobs`: each hit's date of birth).
pub fn should_widen(req: &SearchRequest, hit_dobs: &[Option<&str>], today: &str) -> bool {
    hit_dobs.is_empty() || (has_dob_filter(req) && !hit_dobs.iter().any(|d| meets_dob_filter(req, *d, today)))
}

/// What to tell the officer when a search cannot tell people apart: the page is full (more
/// people may match than are shown), or several records share the best score (a common name).
/// The advice depends on what was given: nothing → add a date of birth, year or age; a year or
/// an age range → the full date of birth or a narrower range. `None` when a full date of birth
/// was given (nothing more to add), or the best hit stands alone. At a million records
/// "John Smith" alone matches hundreds of people equally well; without this the officer could
/// take the first page for everyone there is. Weak matches ([`is_weak_match`]) are left out:
/// they are not people who "match equally well", and the screen offers widenings for them.
pub fn narrowing_hint(req: &SearchRequest, hits: &[NominalHit]) -> Option<String> {
    let hits: Vec<&NominalHit> = hits.iter().filter(|h| !is_weak_match(h)).collect();
    if req.dob.is_some() || hits.is_empty() {
        return None;
    }
    let add = if has_dob_filter(req) {
        "Add the full date of birth, or a narrower year or age range,"
    } else {
        "Add a date of birth, year or age"
    };
    let limit = req.effective_limit() as usize;
    if hits.len() >= limit {
        let shown = match hits.len() {
            1 => "the best match".to_string(),
            n => format!("the best {n} matches"),
        };
        return Some(format!("Showing {shown}; more people may match. {add} to narrow the search."));
    }
    let best = hits.iter().map(|h| h.score).fold(f64::NEG_INFINITY, f64::max);
    let tied = hits.iter().filter(|h| (h.score - best).abs() < 1e-6).count();
    (tied >= 2).then(|| format!("{tied} records match equally well. {add} to tell them apart."))
}

/// The widenings that apply to `req`, in the order to show them. Empty when there is no
/// filter to relax (only the name was given).
pub fn widenings(req: &SearchRequest, today: &str) -> Vec<Widening> {
    let mut out = Vec::new();
    let without_dob = || SearchRequest { dob: None, dob_year: None, years_either_side: None, ..req.clone() };
    let without_age = || SearchRequest { age_min: None, age_max: None, ..req.clone() };
    let age_range = |lo: u32, hi: u32| Widening {
        id: "age-range",
        label: format!("Age range {lo}–{hi}"),
        request: SearchRequest { age_min: Some(lo), age_max: Some(hi), ..without_dob() },
    };
    if let Some(dob) = req.dob.as_deref() {
        out.push(Widening { id: "drop-dob", label: "Search without DOB".into(), request: without_dob() });
        if let Some((y, _, _)) = ymd(dob) {
            out.push(Widening {
                id: "dob-years",
                label: "Widen to ±5 years".into(),
                request: SearchRequest { dob_year: Some(y), years_either_side: Some(5), ..without_dob() },
            });
        }
        // A date of birth so long ago (a slip such as 1884 for 1984) that even five years
        // younger is over the highest age has no age range a search accepts.
        if let Some(a) = age_on(dob, today).filter(|a| a.saturating_sub(5) <= MAX_AGE) {
            out.push(age_range(a.saturating_sub(5), a.saturating_add(5).min(MAX_AGE)));
        }
    } else if let Some(y) = req.dob_year {
        out.push(Widening { id: "drop-dob", label: "Search without DOB".into(), request: without_dob() });
        let n = req.years_either_side.unwrap_or(0);
        let wider = if n < 5 {
            Some(5)
        } else if n < 10 {
            Some(10)
        } else {
            None
        };
        if let Some(w) = wider {
            out.push(Widening {
                id: "dob-years",
                label: format!("Widen to ±{w} years"),
                request: SearchRequest { dob_year: Some(y), years_either_side: Some(w), ..without_dob() },
            });
        }
    } else if req.age_min.is_some() || req.age_max.is_some() {
        out.push(Widening { id: "drop-age", label: "Search without age".into(), request: without_age() });
        let (lo, hi) = (req.age_min.unwrap_or(0), req.age_max.unwrap_or(MAX_AGE));
        let (wlo, whi) = (lo.saturating_sub(5), hi.saturating_add(5).min(MAX_AGE));
        if (wlo, whi) != (lo, hi) {
            out.push(age_range(wlo, whi));
        }
    }
    if req.sex.is_some() {
        out.push(Widening {
            id: "drop-sex",
            label: "Drop sex filter".into(),
            request: SearchRequest { sex: None, ..req.clone() },
        });
    }
    let filters = usize::from(has_dob_filter(req)) + usize::from(req.sex.is_some());
    if filters > 1 {
        out.push(Widening {
            id: "name-only",
            label: "Name only".into(),
            request: SearchRequest { sex: None, ..without_age_and_dob(req) },
        });
    }
    out
}

fn without_age_and_dob(req: &SearchRequest) -> SearchRequest {
    SearchRequest { dob: None, dob_year: None, years_either_side: None, age_min: None, age_max: None, ..req.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: &str = "2026-12-02";

    fn filters(dob: &str, age: &str, sex: &str) -> SearchFilters {
        SearchFilters { dob: dob.into(), age: age.into(), sex: sex.into() }
    }

    fn ids(w: &[Widening]) -> Vec<&str> {
        w.iter().map(|w| w.id).collect()
    }

    #[test]
    fn a_date_typed_in_the_name_box_is_found() {
        let got = |t: &str| dob_typed_in_name(t);
        assert_eq!(got("john smith 1984"), Some(("1984".into(), "john smith".into())));
        assert_eq!(got("ann 12/03/1984 lee"), Some(("12/03/1984".into(), "ann lee".into())));
        assert_eq!(got("ann lee 1984-03-12"), Some(("1984-03-12".into(), "ann lee".into())));
        assert_eq!(got("ann lee 1984±5"), Some(("1984±5".into(), "ann lee".into())));
        assert_eq!(got("john smith"), None);
        assert_eq!(got("1984"), None, "no name left");
        assert_eq!(got("john 99/99/1984"), None, "not a date");
        assert_eq!(got("john smith 3"), None, "not a year");
    }

    #[test]
    fn a_hit_is_weak_when_nothing_outweighs_what_disagrees() {
        assert!(is_weak_match(&hit("a", -1.5)));
        assert!(is_weak_match(&hit("b", 0.0)));
        assert!(!is_weak_match(&hit("c", 0.01)));
        assert!(!is_weak_match(&hit("d", 7.5)));
        // Only the DOB agrees: weak, however high the DOB lifts its score.
        assert!(is_weak_match(&NominalHit { weak_name: true, ..hit("e", 3.13) }));
    }

    #[test]
    fn filters_parse_every_form_and_round_trip() {
        let r = filters("1984-03-12", "", "f").request("ann lee").unwrap();
        assert_eq!((r.dob.as_deref(), r.sex.as_deref()), (Some("1984-03-12"), Some("F")));
        let r = filters("19840312", "", "").request("ann").unwrap();
        assert_eq!(r.dob.as_deref(), Some("1984-03-12"));
        let r = filters("1984", "", "").request("ann").unwrap();
        assert_eq!((r.dob_year, r.years_either_side), (Some(1984), None));
        for text in ["1984±5", "1984 +- 5", "1984+/-5"] {
            let r = filters(text, "", "").request("ann").unwrap();
            assert_eq!((r.dob_year, r.years_either_side), (Some(1984), Some(5)), "{text}");
        }
        let r = filters("", "30-40", "").request("ann").unwrap();
        assert_eq!((r.age_min, r.age_max), (Some(30), Some(40)));
        let r = filters("", "35", "").request("ann").unwrap();
        assert_eq!((r.age_min, r.age_max), (Some(35), Some(35)));
        for f in [filters("1984±5", "", "M"), filters("1984-03-12", "", ""), filters("", "30-40", "F")] {
            let r = f.request("ann").unwrap();
            assert_eq!(SearchFilters::from_request(&r), f);
        }
        assert!(filters("", "", "").is_empty() && !filters("", "", "M").is_empty());
    }

    #[test]
    fn bad_filters_are_refused_with_a_message() {
        assert!(filters("12/03/84", "", "").request("ann").unwrap_err().message.contains("YYYY-MM-DD"));
        assert!(filters("1984-02-30", "", "").request("ann").unwrap_err().message.contains("real date"));
        assert!(filters("1984±x", "", "").request("ann").is_err());
        assert!(filters("", "thirty", "").request("ann").unwrap_err().message.contains("age"));
        assert!(filters("", "40-30", "").request("ann").is_err());
        assert!(filters("", "", "Q").request("ann").is_err());
        assert!(filters("1984", "30-40", "").request("ann").is_err(), "DOB and age together");
    }

    fn hit(id: &str, score: f64) -> NominalHit {
        NominalHit {
            id: id.into(),
            source: crate::Source::Current,
            given_name: "John".into(),
            surname: "Smith".into(),
            date_of_birth: None,
            sex: None,
            address: None,
            postcode: None,
            score,
            reasons: vec![],
            provisional: false,
            markers: vec![],
            weak_name: false,
        }
    }

    #[test]
    fn narrowing_hint_when_a_name_alone_cannot_tell_people_apart() {
        let name_only = filters("", "", "").request("john smith").unwrap();
        // Several share the best score.
        let tie = [hit("a", 9.0), hit("b", 9.0), hit("c", 9.0), hit("d", 7.5)];
        let msg = narrowing_hint(&name_only, &tie).unwrap();
        assert!(msg.starts_with("3 records match equally well"), "{msg}");
        assert!(msg.contains("Add a date of birth, year or age to tell them apart"), "{msg}");
        // The best stands alone, or nothing was found: no hint.
        assert_eq!(narrowing_hint(&name_only, &[hit("a", 9.0), hit("b", 8.9)]), None);
        assert_eq!(narrowing_hint(&name_only, &[]), None);
        // Weak matches tie at a low score: that is "nothing close", not "several alike".
        assert_eq!(narrowing_hint(&name_only, &[hit("a", -1.5), hit("b", -1.5), hit("c", -1.5)]), None);
        let mut three = name_only.clone();
        three.limit = Some(3);
        assert_eq!(
            narrowing_hint(&three, &[hit("a", 9.0), hit("b", -1.5), hit("c", -1.5)]),
            None,
            "a full page of weak"
        );
        // A full page: more may match than are shown.
        let mut small = name_only.clone();
        small.limit = Some(3);
        let page = [hit("a", 9.0), hit("b", 8.0), hit("c", 7.0)];
        let msg = narrowing_hint(&small, &page).unwrap();
        assert!(msg.starts_with("Showing the best 3 matches; more people may match"), "{msg}");
        // With the default limit, a page of 50 is full.
        let fifty: Vec<NominalHit> = (0..50).map(|i| hit(&i.to_string(), 60.0 - f64::from(i))).collect();
        assert!(narrowing_hint(&name_only, &fifty).is_some_and(|m| m.contains("best 50")));
        small.limit = Some(1);
        let one = narrowing_hint(&small, &page[..1]).unwrap();
        assert!(one.starts_with("Showing the best match; more people may match"), "{one}");
        // A full date of birth leaves nothing to add: no hint, whatever the ties.
        assert_eq!(narrowing_hint(&filters("1984-03-12", "", "").request("john smith").unwrap(), &tie), None);
        // A year or an age range: the full date, or a narrower range.
        for f in [filters("1984±2", "", ""), filters("1984", "", ""), filters("", "30-40", "")] {
            let msg = narrowing_hint(&f.request("john smith").unwrap(), &tie).unwrap();
            assert!(msg.contains("Add the full date of birth, or a narrower year or age range"), "{f:?}: {msg}");
        }
        // A sex filter alone does not.
        assert!(narrowing_hint(&filters("", "", "M").request("john smith").unwrap(), &tie).is_some());
    }

    #[test]
    fn widenings_for_an_exact_dob_and_sex() {
        let req = filters("1984-03-12", "", "M").request("bill smyth").unwrap();
        let w = widenings(&req, TODAY);
        assert_eq!(ids(&w), ["drop-dob", "dob-years", "age-range", "drop-sex", "name-only"]);
        assert_eq!(w[0].request, filters("", "", "M").request("bill smyth").unwrap());
        assert_eq!(w[1].label, "Widen to ±5 years");
        assert_eq!(w[1].request, filters("1984±5", "", "M").request("bill smyth").unwrap());
        assert_eq!(w[2].label, "Age range 37–47");
        assert_eq!(w[2].request, filters("", "37-47", "M").request("bill smyth").unwrap());
        assert_eq!(w[3].request, filters("1984-03-12", "", "").request("bill smyth").unwrap());
        assert_eq!(w[4].request, SearchRequest::free_text("bill smyth"));
        for x in &w {
            assert!(x.request.validate().is_ok(), "{}", x.id);
        }
    }

    #[test]
    fn age_ranges_parse_as_typed() {
        assert_eq!(parse_age_range("35"), Some((35, 35)));
        assert_eq!(parse_age_range(" 30 - 40 "), Some((30, 40)));
        assert_eq!(parse_age_range("30–40"), Some((30, 40)));
        for bad in ["", "thirty", "30-", "-5", "30-40-50", "1e3"] {
            assert_eq!(parse_age_range(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn widenings_for_years_ages_and_names_only() {
        let req = filters("1984", "", "").request("ann").unwrap();
        assert_eq!(ids(&widenings(&req, TODAY)), ["drop-dob", "dob-years"]);
        let req = filters("1984±5", "", "").request("ann").unwrap();
        assert_eq!(widenings(&req, TODAY)[1].label, "Widen to ±10 years");
        let req = filters("1984±10", "", "").request("ann").unwrap();
        assert_eq!(ids(&widenings(&req, TODAY)), ["drop-dob"]);
        let req = filters("", "3-40", "").request("ann").unwrap();
        let w = widenings(&req, TODAY);
        assert_eq!(ids(&w), ["drop-age", "age-range"]);
        assert_eq!(w[1].label, "Age range 0–45");
        let req = filters("", "0-130", "").request("ann").unwrap();
        assert_eq!(ids(&widenings(&req, TODAY)), ["drop-age"]);
        // Every age range offered is one the search accepts, whatever the request held.
        let mut odd = SearchRequest::free_text("ann");
        odd.age_min = Some(30);
        odd.age_max = Some(u32::MAX);
        for w in widenings(&odd, TODAY) {
            assert!(w.id != "age-range" || w.request.validate().is_ok(), "{w:?}");
        }
        for dob in ["1884-03-12", "1890-01-01", "1895-06-30", "2026-01-01"] {
            let mut r = SearchRequest::free_text("ann");
            r.dob = Some(dob.into());
            for w in widenings(&r, TODAY) {
                assert!(w.request.validate().is_ok(), "{dob}: {w:?}");
            }
        }
        assert!(widenings(&SearchRequest::free_text("ann"), TODAY).is_empty());
    }

    #[test]
    fn when_to_widen() {
        let name_only = SearchRequest::free_text("ann");
        assert!(should_widen(&name_only, &[], TODAY));
        assert!(!should_widen(&name_only, &[None], TODAY));
        let exact = filters("1984-03-12", "", "").request("ann").unwrap();
        assert!(meets_dob_filter(&exact, Some("1984-03-12"), TODAY));
        assert!(meets_dob_filter(&exact, Some("1984-12-03"), TODAY), "day/month swapped");
        assert!(!meets_dob_filter(&exact, Some("1990-01-01"), TODAY));
        assert!(!meets_dob_filter(&exact, None, TODAY));
        assert!(should_widen(&exact, &[Some("1990-01-01"), None], TODAY));
        assert!(!should_widen(&exact, &[Some("1990-01-01"), Some("1984-03-12")], TODAY));
        let years = filters("1984±2", "", "").request("ann").unwrap();
        assert!(meets_dob_filter(&years, Some("1986-12-31"), TODAY));
        assert!(!meets_dob_filter(&years, Some("1987-01-01"), TODAY));
        let ages = filters("", "42-44", "").request("ann").unwrap();
        assert!(meets_dob_filter(&ages, Some("1984-12-02"), TODAY), "42 today");
        assert!(!meets_dob_filter(&ages, Some("1984-12-03"), TODAY), "42 tomorrow");
        assert_eq!(age_on("1984-12-03", TODAY), Some(41));
        assert_eq!(age_on("1984-12-02", TODAY), Some(42));
        assert_eq!(age_on("2030-01-01", TODAY), None);
    }

    #[test]
    fn another_script_gets_a_note_and_latin_greek_cyrillic_do_not() {
        let note = |t: &str| script_note(&SearchRequest::free_text(t));
        assert!(note("محمد علي").is_some_and(|n| n.contains("Latin letters")));
        assert!(note("朴智勋").is_some());
        assert!(note("Siobhán Ní Shúilleabháin").is_none());
        assert!(note("Nguyễn Thị Lan").is_none());
        assert!(note("Иван Петров").is_none());
        assert!(note("Γιώργος").is_none());
        assert!(note("Smith 1984").is_none());
    }
}
