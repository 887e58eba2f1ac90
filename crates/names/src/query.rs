//! Search queries: structured or parsed from free text ("bill smyth", "Smith, J").

use crate::data;
use crate::dob::DobQuery;
use crate::fold;
use crate::keys::{plan_for, QueryPlan};
use crate::name::{codes, initials, Part};

/// Recorded sex. Unknown sex on a record never excludes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// "M"/"male"/"F"/"female" (any case); anything else is `None` (unknown).
    pub fn parse(s: &str) -> Option<Sex> {
        match s.trim().to_ascii_lowercase().as_str() {
            "m" | "male" | "man" => Some(Sex::Male),
            "f" | "female" | "woman" => Some(Sex::Female),
            _ => None,
        }
    }
}

/// A name as typed. A trailing `*` on either part makes it a prefix (wildcard) search.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameQuery {
    pub given: String,
    pub surname: String,
}

impl NameQuery {
    pub fn new(given: &str, surname: &str) -> NameQuery {
        NameQuery { given: given.to_string(), surname: surname.to_string() }
    }

    /// Parses free text. `"Surname, Given"` when there is a comma; otherwise the last word is
    /// the surname together with any particles before it ("Siobhan O Sullivan", "Ana de la
    /// Cruz") and the rest is the given name. Ranking and keys try both orders anyway, so
    /// "smyth bill" works as well as "bill smyth". "O Sullivan" parses as given "O", surname
    /// "Sullivan"; [`SearchQuery::particle_reading`] adds the surname-only reading.
    ///
    /// Words that cannot be part of a recorded name are dropped first: words without letters
    /// ("1984", "12/03/1984": dates belong in the DOB filter) and ordinals ("3rd"; a digit inside
    /// a word is a keying slip and stays: "arth8r"), a title before the name ("Mr",
    /// "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Rev", "Revd") and a generational suffix after it
    /// ("Jr", "Snr", "III"), as long as a word is left.
    ///
    /// Punctuation and control characters between letters separate words ("J.Smith",
    /// "John_Smith"); a slash between two names is read as the comma of the SURNAME/FORENAME
    /// form police systems print ("SMITH/JOHN"), unless the text has a comma already.
    pub fn parse(text: &str) -> NameQuery {
        let text: String = separate_words(&text.chars().take(fold::MAX_INPUT_CHARS).collect::<String>());
        if let Some((s, g)) = text.split_once(',') {
            return NameQuery::new(&name_words(g).join(" "), &name_words(s).join(" "));
        }
        let words = name_words(&text);
        match words.len() {
            0 => NameQuery::default(),
            1 => NameQuery::new("", words[0]),
            n => {
                let surname_from = |irish: bool| {
                    let mut start = n - 1;
                    while start > 1 {
                        let w = fold::fold(words[start - 1]);
                        if !data::is_particle(&w) || (!irish && data::is_given_name_particle(&w)) {
                            break;
                        }
                        start -= 1;
                    }
                    start
                };
                // Ní, Nic and Mag (given names too) join the surname only when it is then an
                // Irish surname the table knows: "Nic Smith" keeps given name Nic.
                let mut start = surname_from(true);
                if words[start..n - 1].iter().any(|w| data::is_given_name_particle(&fold::fold(w)))
                    && Part::new(&words[start..].join(" ")).is_none_or(|p| p.anglicised().is_empty())
                {
                    start = surname_from(false);
                }
                NameQuery::new(&words[..start].join(" "), &words[start..].join(" "))
            }
        }
    }
}

impl NameQuery {
    /// Whether free text leaves the order of its names open: false when a comma, or a slash
    /// between names, says where the surname is ("Smith, John Paul", "SMITH/JOHN PAUL").
    pub fn order_is_free(text: &str) -> bool {
        let text: String = text.chars().take(fold::MAX_INPUT_CHARS).collect();
        !separate_words(&text).contains(',')
    }
}

/// `text` with word-separating punctuation and control characters made spaces, and the first
/// slash between two letters made a comma when there is no comma (see [`NameQuery::parse`]).
/// Apostrophes, hyphens, wildcards and letters of any script are kept; so are the slashes and
/// dots of a date ("12/03/1984" stays one word without letters, dropped later).
fn separate_words(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut comma = text.contains(',');
    // Whether the nearest non-space character after each position is a letter (one pass from
    // the end), and before it (tracked going forward).
    let mut letter_after = vec![false; chars.len()];
    let mut seen = false;
    for (i, c) in chars.iter().enumerate().rev() {
        letter_after[i] = seen;
        if !c.is_whitespace() {
            seen = c.is_alphabetic();
        }
    }
    let mut letter_before = false;
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let between_letters = letter_before && letter_after[i];
        if !c.is_whitespace() {
            letter_before = c.is_alphabetic();
        }
        out.push(match c {
            '/' if between_letters && !comma => {
                comma = true;
                ','
            }
            '.' | '/' | '_' | '\\' | ';' | ':' | '|' | '+' | '=' | '(' | ')' | '[' | ']' | '{' | '}' | '"' | '!'
            | '?' | '#' | '@' | '&' | '~' | '<' | '>'
                if between_letters || !matches!(c, '.' | '/') =>
            {
                ' '
            }
            c if c.is_control() => ' ',
            c => c,
        });
    }
    out
}

/// Generational suffixes typed after a name.
const SUFFIXES: &[&str] = &["JR", "JNR", "SR", "SNR", "II", "III", "IV"];
/// Those of [`SUFFIXES`] that are surnames too.
const ROMAN_SUFFIXES: &[&str] = &["II", "IV"];

/// The words of typed name text that can be part of a recorded name (see [`NameQuery::parse`]).
/// A wildcard word ("SMI*") is kept.
fn name_words(text: &str) -> Vec<&str> {
    // A digit inside a word is kept (a keying slip: "arth8r"); a word without letters ("1984",
    // "12/03/1984") or an ordinal ("3rd") is not a name.
    let mut words: Vec<&str> =
        text.split_whitespace().filter(|w| !fold::fold(w).is_empty() && !is_ordinal(w)).collect();
    while words.len() > 1 && data::is_title(&fold::fold(words[0])) {
        words.remove(0);
    }
    // II and IV are surnames too (Naosuke Ii): dropped only after a given name and surname.
    while let Some(last) = words.last().map(|w| fold::fold(w)) {
        let keep = if ROMAN_SUFFIXES.contains(&last.as_str()) { 3 } else { 2 };
        if words.len() < keep || !SUFFIXES.contains(&last.as_str()) {
            break;
        }
        words.pop();
    }
    words
}

/// "1st", "2nd", "3rd", "4th", "21st." (digits, then st / nd / rd / th).
fn is_ordinal(word: &str) -> bool {
    let w = word.trim_end_matches('.').to_ascii_lowercase();
    let digits = w.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && matches!(&w[digits..], "st" | "nd" | "rd" | "th")
}

/// A search: name, optional DOB constraint and optional sex filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchQuery {
    pub name: NameQuery,
    pub dob: Option<DobQuery>,
    pub sex: Option<Sex>,
    /// The name was typed as free text in one box, where the surname may come first (see
    /// [`SearchQuery::surname_first_reading`]); false for separate given-name and surname fields.
    pub free_text: bool,
}

impl SearchQuery {
    pub fn new(given: &str, surname: &str) -> SearchQuery {
        SearchQuery { name: NameQuery::new(given, surname), ..SearchQuery::default() }
    }

    /// Free-text name (see [`NameQuery::parse`]).
    pub fn parse(text: &str) -> SearchQuery {
        SearchQuery {
            name: NameQuery::parse(text),
            free_text: NameQuery::order_is_free(text),
            ..SearchQuery::default()
        }
    }

    pub fn with_dob(mut self, dob: DobQuery) -> SearchQuery {
        self.dob = Some(dob);
        self
    }

    pub fn with_sex(mut self, sex: Sex) -> SearchQuery {
        self.sex = Some(sex);
        self
    }

    /// The key-table reads a store should run for this search (for both readings of a name
    /// such as "O Sullivan", "Nguyen Thi Lan" or "Javier Garcia Lopez", see [`SearchQuery::alt_readings`]).
    pub fn plan(&self) -> QueryPlan {
        let mut plan = plan_for(self, &self.prepare());
        for (alt, kind) in self.alt_readings() {
            // The surname-first and double-surname readings add their tight probes only
            // (surname code × given code): they are there for a name typed whole in another
            // order or shape, and all their probes would double a long name's reads.
            for p in plan_for(&alt, &alt.prepare()).probes {
                if kind == Reading::Particle || p.tier == crate::keys::Tier::Tight {
                    plan.push_probe(p);
                }
            }
            plan.probes.sort_by_key(|p| p.tier);
        }
        plan
    }

    /// The second reading of a name whose given part is made only of surname particles:
    /// "O Sullivan", "De La Cruz", "Van Dyke", "Mc Donald" typed in one box read as given name
    /// "O" and surname "Sullivan", which finds O'Sullivans only through the initial O. The
    /// whole name is then also read as a surname with no given name; a candidate keeps the
    /// better of its two scores. Particles that are also given names ("Al", "Ben", "Del",
    /// "Van") keep their first reading: "Ben Jones" still ranks Ben Jones above other Joneses.
    pub fn particle_reading(&self) -> Option<SearchQuery> {
        let (g, s) = (self.name.given.trim(), self.name.surname.trim());
        if g.is_empty() || s.is_empty() || g.ends_with('*') || g.ends_with('%') {
            return None;
        }
        let part = Part::new(g)?;
        if !part.tokens.iter().all(|t| data::is_particle(t)) {
            return None;
        }
        let whole = format!("{g} {s}");
        // Nic, Ni and Mag are given names too: read with the surname only for a known Irish form.
        if part.tokens.iter().any(|t| data::is_given_name_particle(t)) && Part::new(&whole)?.anglicised().is_empty() {
            return None;
        }
        Some(SearchQuery { name: NameQuery::new("", &whole), dob: self.dob, sex: self.sex, free_text: false })
    }

    /// The surname-first reading of free text of three words or more: "Nguyen Thi Lan" and
    /// "Chan Ka Wai" (Vietnamese and Chinese order, and the SURNAME FORENAMES habit of police
    /// systems) are read first as given name "Nguyen Thi", surname "Lan"; this reads them as
    /// surname "Nguyen", given name "Thi Lan" as well. Two words need no second reading (both
    /// orders are always tried); nor do separate fields, wildcards, or text with a comma or
    /// slash (which says where the surname is).
    pub fn surname_first_reading(&self) -> Option<SearchQuery> {
        let (g, s) = (self.name.given.trim(), self.name.surname.trim());
        if !self.free_text || s.is_empty() || [g, s].iter().any(|p| p.ends_with('*') || p.ends_with('%')) {
            return None;
        }
        let (first, rest) = g.split_once(char::is_whitespace)?;
        let rest = rest.trim();
        if rest.is_empty() || Part::new(first).is_none() {
            return None;
        }
        let given = format!("{rest} {s}");
        Some(SearchQuery { name: NameQuery::new(&given, first), dob: self.dob, sex: self.sex, free_text: false })
    }

    /// The double-surname reading of free text of three words or more: the last two words as
    /// one surname ("Javier Garcia Lopez" as given name Javier, surname "Garcia Lopez"; Spanish
    /// and Portuguese double surnames, or a double-barrelled name typed without its hyphen),
    /// which read only as given names "Javier Garcia", surname "Lopez" found Javier García
    /// López below every Javier López. Same conditions as the surname-first reading.
    pub fn double_surname_reading(&self) -> Option<SearchQuery> {
        let (g, s) = (self.name.given.trim(), self.name.surname.trim());
        if !self.free_text || s.is_empty() || [g, s].iter().any(|p| p.ends_with('*') || p.ends_with('%')) {
            return None;
        }
        let (given, last_given) = g.rsplit_once(char::is_whitespace)?;
        let (given, last_given) = (given.trim(), last_given.trim());
        let last = Part::new(last_given)?;
        // A particle before the surname is read with it already ("Ana de la Cruz").
        if given.is_empty() || last.is_initial() || last.tokens.iter().all(|t| data::is_particle(t)) {
            return None;
        }
        Part::new(given)?;
        let surname = format!("{last_given} {s}");
        Some(SearchQuery { name: NameQuery::new(given, &surname), dob: self.dob, sex: self.sex, free_text: false })
    }

    /// The readings of one word typed alone in the free-text box as a given name and a surname
    /// typed with no space between them ("derekfairweather", "kevinstjohn", as on a phone): split
    /// after a given name the tables know ([`data::is_known_given_name`]), leaving a surname of
    /// [`JOINED_MIN_SURNAME`] letters or more; the longest given names first, at most
    /// [`MAX_JOINED_READINGS`]. Not for separate fields, a wildcard, or a word the tables read
    /// already (an O' name typed without its apostrophe: "osullivan").
    pub fn joined_readings(&self) -> Vec<SearchQuery> {
        let (g, s) = (self.name.given.trim(), self.name.surname.trim());
        if !self.free_text || !g.is_empty() || s.ends_with('*') || s.ends_with('%') {
            return Vec::new();
        }
        let Some(part) = Part::new(s) else { return Vec::new() };
        let [word] = part.tokens.as_slice() else { return Vec::new() };
        let mut out = Vec::new();
        for at in (JOINED_MIN_GIVEN..=word.len().saturating_sub(JOINED_MIN_SURNAME)).rev() {
            if !word.is_char_boundary(at) {
                continue;
            }
            let (given, surname) = word.split_at(at);
            if data::is_known_given_name(given) {
                out.push(SearchQuery {
                    name: NameQuery::new(given, surname),
                    dob: self.dob,
                    sex: self.sex,
                    free_text: false,
                });
                if out.len() == MAX_JOINED_READINGS {
                    break;
                }
            }
        }
        out
    }

    /// The other readings of the name, each with its kind: [`SearchQuery::particle_reading`],
    /// else [`SearchQuery::surname_first_reading`]; [`SearchQuery::double_surname_reading`]; and
    /// [`SearchQuery::joined_readings`].
    pub fn alt_readings(&self) -> Vec<(SearchQuery, Reading)> {
        let mut v: Vec<(SearchQuery, Reading)> =
            self.joined_readings().into_iter().map(|q| (q, Reading::Joined)).collect();
        if let Some(q) = self.particle_reading() {
            v.push((q, Reading::Particle));
        } else if let Some(q) = self.surname_first_reading() {
            v.push((q, Reading::SurnameFirst));
        }
        if let Some(q) = self.double_surname_reading() {
            v.push((q, Reading::DoubleSurname));
        }
        v
    }

    /// Whether the name typed is only a title ("Mrs" alone in the given-name field): it has
    /// letters, but once the title is set aside nothing is left to search by. Text whose letters
    /// fold to nothing (some scripts) is not.
    pub fn only_titles(&self) -> bool {
        // The parts `prepare` would build from, without their codes (asked before every search).
        let (given, surname) = (&self.name.given, &self.name.surname);
        Part::given(given).is_none() && Part::new(surname).is_none() && Part::new(given).is_some()
    }

    pub(crate) fn prepare(&self) -> Prepared {
        Prepared { given: QPart::new(data::without_title(&self.name.given)), surname: QPart::new(&self.name.surname) }
    }
}

/// The kind of a name's other reading ([`SearchQuery::alt_readings`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    /// "O Sullivan" as a surname alone: scored as the name typed, swaps tried.
    Particle,
    /// "Nguyen Thi Lan" as surname Nguyen: a reordering, scored lower and said.
    SurnameFirst,
    /// "Javier Garcia Lopez" with surname "Garcia Lopez": scored a little lower and said.
    DoubleSurname,
    /// "derekfairweather" as Derek Fairweather: scored as a one-word match at most, and said.
    Joined,
}

/// The shortest given name a run-together word is split after ([`SearchQuery::joined_readings`]).
const JOINED_MIN_GIVEN: usize = 3;
/// The shortest surname left after the split.
pub const JOINED_MIN_SURNAME: usize = 3;
/// At most this many splits of one word are read.
pub const MAX_JOINED_READINGS: usize = 3;

/// One query part, folded once with its codes.
#[derive(Clone, Debug)]
pub(crate) struct QPart {
    pub part: Part,
    pub wildcard: bool,
    pub given_codes: Vec<String>,
    pub surname_codes: Vec<String>,
    pub given_initials: Vec<char>,
    pub surname_initials: Vec<char>,
    /// Canonical roots of the first token (for nickname matching).
    pub roots: Vec<String>,
    /// Codes of the first token and joined tokens only (no nickname roots): the phonetic rule.
    pub plain_given_codes: Vec<String>,
    /// Anglicised forms if this is an Irish-language surname ([`Part::anglicised`]), once per
    /// query rather than once per candidate.
    pub anglicised: &'static [String],
    /// Masculine forms if this is a feminine surname ([`Part::masculine_forms`]), once per query.
    pub masculine: Vec<String>,
    /// The joined name and its first token respelt as heard ([`fold::heard`]), once per query.
    pub heard: String,
    pub heard_first: String,
}

impl QPart {
    fn new(raw: &str) -> Option<QPart> {
        let raw: String = raw.chars().take(fold::MAX_INPUT_CHARS).collect();
        let trimmed = raw.trim();
        let wildcard = trimmed.ends_with('*') || trimmed.ends_with('%');
        let part = Part::new(trimmed)?;
        let (given_codes, given_initials) = if part.is_initial() || wildcard {
            (Vec::new(), vec![part.initial()])
        } else {
            (part.given_codes(), initials(&part.given_strings()))
        };
        let (surname_codes, surname_initials) = if part.is_initial() || wildcard {
            (Vec::new(), vec![part.initial()])
        } else {
            (part.surname_codes(), initials(&part.surname_strings()))
        };
        let roots = data::roots(part.first());
        let mut plain = vec![part.first().to_string()];
        if part.tokens.len() > 1 {
            plain.push(part.joined.clone());
        }
        let plain_given_codes = codes(&plain);
        Some(QPart {
            heard: fold::heard(&part.joined),
            heard_first: fold::heard(part.first()),
            anglicised: part.anglicised(),
            masculine: part.masculine_forms(),
            roots,
            plain_given_codes,
            part,
            wildcard,
            given_codes,
            surname_codes,
            given_initials,
            surname_initials,
        })
    }
}

pub(crate) struct Prepared {
    pub given: Option<QPart>,
    pub surname: Option<QPart>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_free_text() {
        for (text, g, s) in [
            ("bill smyth", "bill", "smyth"),
            ("Smith, John", "John", "Smith"),
            ("Siobhan O Sullivan", "Siobhan", "O Sullivan"),
            ("Ana de la Cruz", "Ana", "de la Cruz"),
            ("Mary Ann Smith", "Mary Ann", "Smith"),
            ("J Smith", "J", "Smith"),
            ("smith", "", "smith"),
            ("SMI*", "", "SMI*"),
            ("   ", "", ""),
            // Titles, suffixes and dates are not names.
            ("Mr John Smith", "John", "Smith"),
            // Irish-only particles join the surname only for a known Irish form.
            ("Patrick Nic Ghiolla Phadraig", "Patrick", "Nic Ghiolla Phadraig"),
            ("Aoife Mag Uidhir", "Aoife", "Mag Uidhir"),
            ("Siobhan Ni Shuilleabhain", "Siobhan", "Ni Shuilleabhain"),
            ("John Nic Smith", "John Nic", "Smith"),
            ("John Mag O Brien", "John Mag", "O Brien"),
            ("Mrs Smith", "", "Smith"),
            ("Dr. Jane O Sullivan", "Jane", "O Sullivan"),
            ("John Smith Jr.", "John", "Smith"),
            ("Smith, Mr John", "John", "Smith"),
            ("john smith 1984", "john", "smith"),
            ("john 12/03/1984 smith", "john", "smith"),
            ("Miss", "", "Miss"),
            ("John Lord", "John", "Lord"),
            ("1984", "", ""),
            ("John Smith 3rd", "John", "Smith"),
            ("arth8r ceely", "arth8r", "ceely"),
            ("Naosuke Ii", "Naosuke", "Ii"),
            ("John Smith II", "John", "Smith"),
            ("Sean Mac Giolla Chomhghaill", "Sean", "Mac Giolla Chomhghaill"),
            ("Maire Ui Neill", "Maire", "Ui Neill"),
            // Punctuation between names separates them; SURNAME/FORENAME reads as a comma.
            ("J.Smith", "J", "Smith"),
            ("John.Smith", "John", "Smith"),
            ("John_Smith", "John", "Smith"),
            ("John\u{1}Smith", "John", "Smith"),
            ("SMITH/JOHN", "JOHN", "SMITH"),
            ("O'Brien / Mary Ann", "Mary Ann", "O'Brien"),
            ("smith/john 12/03/1984", "john", "smith"),
            ("john smith 12.03.1984", "john", "smith"),
            ("Smith, John/Paul", "John Paul", "Smith"),
        ] {
            assert_eq!(NameQuery::parse(text), NameQuery::new(g, s), "{text:?}");
        }
    }

    #[test]
    fn sex_parse() {
        assert_eq!(Sex::parse("M"), Some(Sex::Male));
        assert_eq!(Sex::parse("female"), Some(Sex::Female));
        assert_eq!(Sex::parse("?"), None);
    }

    #[test]
    fn one_word_is_split_after_a_known_given_name() {
        let split = |q: &SearchQuery| -> Vec<(String, String)> {
            q.joined_readings().into_iter().map(|r| (r.name.given, r.name.surname)).collect()
        };
        let pair = |g: &str, s: &str| (g.to_string(), s.to_string());
        assert_eq!(split(&SearchQuery::parse("derekfairweather")), [pair("DEREK", "FAIRWEATHER")]);
        assert_eq!(split(&SearchQuery::parse("Kevinstjohn")), [pair("KEVIN", "STJOHN"), pair("KEV", "INSTJOHN")]);
        // Longest given name first, at most MAX_JOINED_READINGS, each surname long enough.
        let robertson = split(&SearchQuery::parse("robertson"));
        assert_eq!(robertson.first(), Some(&pair("ROBERT", "SON")), "{robertson:?}");
        assert!(robertson.len() <= MAX_JOINED_READINGS);
        assert!(robertson.iter().all(|(_, s)| s.len() >= JOINED_MIN_SURNAME));
        // The DOB and sex go with the reading.
        let q = SearchQuery::parse("derekfairweather").with_sex(Sex::Male);
        assert!(q.joined_readings().iter().all(|r| r.sex == Some(Sex::Male)));
        // Not: two words, separate fields, a wildcard, an O' name the tables read already, a
        // word with no known given name at its start.
        for q in [
            SearchQuery::parse("derek fairweather"),
            SearchQuery::new("", "derekfairweather"),
            SearchQuery::parse("derekfair*"),
            SearchQuery::parse("osullivan"),
            SearchQuery::parse("xqzfairweather"),
            SearchQuery::parse("der"),
        ] {
            assert!(q.joined_readings().is_empty(), "{q:?}");
        }
    }
}
