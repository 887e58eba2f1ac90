//! # bluelamp-names: pure person-name matching
//!
//! Finds "Bill Smyth, born about 1985" when the record says "William Smith 1984-03-12", and
//! "Siobhan O Sullivan" for "Siobhán O'Sullivan", and says why each hit matched.
//!
//! The crate is **pure**: no file, network or clock access. Name tables are compiled in from
//! `assets/names/` (see the README there), and "today" is a parameter ([`DobQuery::age`]).
//! Nothing panics on any input: input is cut to [`fold::MAX_INPUT_CHARS`] characters,
//! transliterated to ASCII (`deunicode`), reduced to `A–Z`, capped at
//! [`fold::MAX_PART_CHARS`] bytes and [`fold::MAX_TOKENS`] tokens, and every rphonetic call
//! is additionally wrapped in `catch_unwind` (rphonetic 4.0 panics on non-ASCII input).
//! Keys use Double Metaphone (primary and alternate) only. NYSIIS, Daitch–Mokotoff, Soundex and
//! Beider–Morse were each measured as extra keys and as part of the phonetic rule; none helped
//! on every evaluation set, and Beider–Morse costs 21 times the indexing time (figures in
//! docs/search.md, "Other phonetic encoders, measured").
//!
//! ## How a store uses it
//!
//! **Writing a record**: for the main name and each alias (a name of its own), store
//! [`index_keys`]`(given, surname)` as rows of `name_keys(key TEXT, born INTEGER, nominal_id)`
//! with the primary key `(key, born, nominal_id)` (or use [`record_keys`], which also adds the
//! DOB key [`dob_key`]); `born` is the record's [`born_value`] (birth year from 1899, 0
//! without a DOB).
//! Typical names give 10–25 keys. Re-index everything when [`KEY_VERSION`] changes.
//!
//! Key kinds (upper-case ASCII, kind prefix, `:` separated):
//!
//! | key | meaning |
//! |---|---|
//! | `SG:<surname code>:<given code>` | both parts; Double Metaphone primary/alternate of each spelling, nickname root and variant |
//! | `SI:<surname code>:<given initial>` | surname code + given initial (`_` = no given name) |
//! | `GI:<given code>:<surname initial>` | given code + surname initial (`_` = no surname) |
//! | `SN:<FOLDED SURNAME>` | surname text (joined, without particles, each barrel, canonical variant): wildcards and frequency |
//! | `GN:<FOLDED GIVEN>` | given name text: given-name wildcards |
//! | `DB:<YYYYMMDD>` | date of birth |
//!
//! **Searching**: build a [`SearchQuery`] (structured, or [`SearchQuery::parse`] for free text
//! like `"bill smyth"`), then run each [`Probe`] of [`SearchQuery::plan`]:
//!
//! ```sql
//! -- Lookup::Key(k)
//! SELECT nominal_id FROM name_keys WHERE key = ?1 LIMIT ?cap;
//! -- Lookup::Range { from, to }   (prefix, e.g. 'SN:SMI' .. 'SN:SMJ', or 'SI:SM0:' .. 'SI:SM0;')
//! SELECT nominal_id FROM name_keys WHERE key >= ?1 AND key < ?2 LIMIT ?cap;
//! -- when that returned `cap` rows and the plan has a DOB window (QueryPlan::born = (lo, hi)),
//! -- the same read again with `AND born BETWEEN ?lo AND ?hi`, same cap; a range also a third
//! -- time with `AND born BETWEEN 0 AND 0` (its records with no DOB, which under one key come
//! -- first in the plain read but in a range come after the keys before theirs)
//! ```
//!
//! Probes come tight first ([`Tier::Tight`]: surname code × given code, the DOB and the DOB
//! with day and month swapped); run all of them, then the broad ones ([`Tier::Broad`], in
//! order: everyone with the surname as typed (`SN:<surname>`: a code is shared with other
//! surnames, whose holders can fill its ranges' caps); one part's code + the other part's
//! initial; the DOB one keying slip away — year ±1,
//! the year's last two digits exchanged, month ±1, day ±1; then one part's code alone; last,
//! for the name as typed, each part one keying slip away — a letter dropped, two neighbours
//! exchanged, a letter changed to its keyboard neighbour — with the other part's initial, so
//! "Jakd Gillatd" finds Jake Gillard) while the distinct-candidate count is below
//! [`QueryPlan::max_candidates`]. Per-probe `cap`s ([`CAP_TIGHT`], [`CAP_BROAD`],
//! [`CAP_RANGE`], [`CAP_FALLBACK`], [`CAP_DOB`], [`CAP_TYPO`]) bound the rows read for very
//! common names; a caller may lower them. Both name orders are probed, so swapped fields are
//! found. Load the candidates, fill [`CandidateName::surname_freq`] with the row count of
//! [`surname_freq_key`] (a counts table is cheapest), and call [`rank`] / [`Ranker`].
//!
//! ## Matching rules (each has a table test)
//!
//! exact; Double Metaphone phonetic; Jaro–Winkler / Damerau–Levenshtein similarity;
//! nicknames and diminutives (Bill→William, Peggy→Margaret, Kate→Catherine, Liam→William);
//! spelling/transliteration variants (Mohammed/Muhammad, Aleksandr/Alexander, Yusuf/Yousef,
//! Zhang/Chang, Xu/Hsu); Irish-language surnames and their anglicised forms (Ó Súilleabháin,
//! Ní Shúilleabháin / O'Sullivan, Mac Cárthaigh / McCarthy, Breathnach / Walsh);
//! diacritics (Siobhán, Nguyễn, Łukasz, Müller/Mueller); prefixes
//! (Mc/Mac, O'/O, St/Saint, de la, van der, with or without the particle); double-barrelled
//! surnames (either part); a surname recorded or typed among the given names ("Harpreet Kaur"
//! / Harpreet Kaur Sandhu, "Mohammed Abdul Rahman" / Abdulrahman); Singh, Kaur, Begum, Bibi,
//! Khatun in place of a family name (neutral); inserted/removed spaces; swapped given/surname;
//! initials ("J Smith"); missing given name or surname (neutral); wildcards (`SMI*`); aliases
//! (best name wins, reason "matched alias").
//!
//! ## Ranking formula
//!
//! For each candidate name and each alignment (straight, swapped) the name score is
//!
//! ```text
//! name = Ws·v(sim_surname) + Wg·v(sim_given) − swap·0.5 − alias·0.2
//! r = clamp((sim − 0.7) / 0.3, −1, 1);   v(sim) = r^1.5 when r > 0, else r
//! Ws = 4 + 2·rarity  when v > 0 (agreement),  2 when v ≤ 0 (disagreement)
//! rarity = clamp(1 − ln(freq) / ln(total_records), 0, 1)   (0.5 if freq unknown)
//! Wg = 3  when v > 0,  1.5 when v ≤ 0
//! ```
//!
//! One word alone in the free-text box may be either name: matched to a given name it is
//! weighed as a surname of middle rarity (Wg = 5 when v > 0) less 0.05 instead of the swap's
//! 0.5, so how well it matches decides and the surname wins a tie. In a field, one name alone
//! keeps Wg = 3 and the swap's 0.5 for the other field.
//!
//! Disagreement weighs half the base agreement weight, as in Fellegi–Sunter
//! (log((1 − m)/(1 − u)) against log(m/u)): a part of the same person's record differs fairly
//! often (a surname changed on marriage, another given name used, a mis-keyed value).
//!
//! `sim` per part: exact 1.0; given spacing 0.98; prefix form (Mac/Mc, St/Saint) and umlaut
//! spelling 0.97; variant spelling, Irish-language form or particle dropped 0.95; nickname
//! 0.93; one barrel of a double-barrelled surname 0.9; phonetic code equal (spellings at least
//! 0.6 alike) 0.9; initial agrees 0.85 (0.75 via a nickname root: "W" for Bill); middle name
//! 0.85; otherwise
//! max(Jaro–Winkler, normalised Damerau–Levenshtein). A part missing on either side adds 0.
//! The best alignment of the best name counts, plus the DOB term: exact +5, day/month
//! swapped +3.5, two of year/month/day equal +2.5 — except the same day and month with a
//! year that is not one keying slip away (one digit, two adjacent digits exchanged, ±1),
//! which is a 1-in-365 coincidence and scores 0 —, same/adjacent year only 0, otherwise −3;
//! range queries (year, ±N years, age at today) +2.5 inside, 0 within a year of the range,
//! −3 outside; **no DOB on the record = 0**. A known sex different from the query's excludes
//! the candidate; unknown sex never does. Common surnames therefore weigh less than rare
//! ones, and the maximum is ≈ 14 (rare surname, exact names, exact DOB).
//!
//! [`Ranker::rank`] memoises name scores per distinct (given, surname, frequency, sex) and renders
//! reasons only for the returned hits (same scores as [`Ranker::score`]).
//!
//! ## Measured (release build, 2-core machine, 3 Dec 2026, key version 2)
//!
//! `cargo run --release -p bluelamp-names --example febrl4` (each B record queries A, recall is
//! the tie-aware expected value; the store is emulated in memory with the plan's caps):
//!
//! | set | R@1 | R@10 | truth in candidates | mean candidates | µs/query (p50) |
//! |---|---:|---:|---:|---:|---:|
//! | FEBRL4 name only | 0.809 | 0.903 | 0.961 | 77 | 449 |
//! | FEBRL4 name + DOB | 0.975 | 0.988 | 0.995 | 79 | 468 |
//! | + 995 000 synthetic distractors, name + DOB | 0.890 | 0.955 | 0.977 | 442 | 2 818 (p99 4 270) |
//!
//! Targets (name only 0.90/0.97, name+DOB 0.98/0.995) are **not** met. The example prints a
//! generous ceiling for any name-only ranker, R@1 0.849 / R@10 0.945: most misses are records
//! whose given name or surname was replaced by another real name, and 350 of the 5 000 A
//! records share their full name with another. Splink historical 50k (`--example splink`):
//! share of a record's other cluster members in its top 10, ÷ min(10, others): 0.766 name
//! only, 0.834 name + DOB. About 8.4 keys per record.

mod data;
pub mod dob;
pub mod fold;
mod keys;
mod name;
mod query;
mod rank;

pub use dob::{Date, DobQuery};
pub use fold::fold;
pub use keys::{
    born_value, dob_key, index_keys, prefix_end, record_keys, surname_freq_key, surname_index_keys, Lookup, Probe,
    QueryPlan, SpellingScan, SpellingWindow, Tier, CAP_BROAD, CAP_DOB, CAP_EXTEND, CAP_FALLBACK, CAP_RANGE, CAP_TIGHT,
    CAP_TYPO, KEY_VERSION, MAX_CANDIDATES, SPELLING_BELOW, SPELLING_MAX_NAMES, SPELLING_MIN_SIM, SPELLING_WINDOW,
};
pub use query::{NameQuery, Reading, SearchQuery, Sex};
pub use rank::{rank, Candidate, CandidateName, Hit, Ranker, LIKELY_DUPLICATE_SCORE};
