//! Error types. Everything that can fail returns one of these; nothing panics.

use thiserror::Error;

/// A force configuration file (`rules.json`, `services.json`) or an incident could not be read.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum VictimsError {
    /// The JSON itself did not parse (or had the wrong shape for a field).
    #[error("{what}: invalid JSON: {detail}")]
    Json {
        /// Which document (e.g. "rules", "incident", "services").
        what: &'static str,
        /// serde_json's message, with line and column.
        detail: String,
    },
    /// The JSON parsed but the content is inconsistent (e.g. a rule names an unknown destination).
    #[error("{what}: {detail}")]
    Invalid {
        /// Which document.
        what: &'static str,
        /// Human-readable explanation naming the offending entry.
        detail: String,
    },
    /// A calendar problem.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

/// A bank-holiday calendar could not be loaded or used.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CalendarError {
    /// The calendar JSON did not parse.
    #[error("calendar: invalid JSON: {0}")]
    Json(String),
    /// The calendar parsed but is inconsistent.
    #[error("calendar: {0}")]
    Invalid(String),
    /// No built-in calendar has this name.
    #[error("calendar: unknown region {0:?} (expected england-and-wales, scotland or northern-ireland)")]
    UnknownRegion(String),
    /// Counting ran off the end of the representable date range, or the count was too large.
    #[error("calendar: cannot count {days} working days from {from}")]
    OutOfRange {
        /// Start date (ISO).
        from: String,
        /// Requested number of working days.
        days: u32,
    },
}

/// Why a text is not a complete phone number ([`crate::phone::parse_uk_phone`]). The message
/// quotes the text (trimmed, at most 40 characters) and says what a number needs.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PhoneError {
    /// No digits at all ("n/k", "ask her").
    #[error("{raw:?} is not a phone number: it has no digits")]
    NoDigits {
        /// The text as given.
        raw: String,
    },
    /// Far too long to be one number.
    #[error("{raw:?} is not a phone number: it is too long")]
    TooLong {
        /// The text as given.
        raw: String,
    },
    /// A letter O typed where a digit belongs.
    #[error("{raw:?} is not a phone number: it has the letter O where a digit belongs (type the digit 0, zero)")]
    LetterO {
        /// The text as given.
        raw: String,
    },
    /// A UK number (starting 0 or +44) with too few or too many digits.
    #[error("{raw:?} is not a phone number: {rule}, and this has {digits}")]
    UkLength {
        /// The text as given.
        raw: String,
        /// What the number needs, e.g. "a UK mobile number (07…) has 11 digits".
        rule: &'static str,
        /// How many digits it has, with the leading 0.
        digits: usize,
    },
    /// An international number (`+` or `00`) with too few or too many digits.
    #[error("{raw:?} is not a phone number: an international number has 7 to 15 digits after the + (or 00), and this has {digits}")]
    International {
        /// The text as given.
        raw: String,
        /// How many digits it has after the country prefix.
        digits: usize,
    },
    /// Neither a UK number starting 0 nor an international one.
    #[error("{raw:?} is not a complete phone number: give the whole number, starting 0 (or + and the country code)")]
    Incomplete {
        /// The text as given.
        raw: String,
    },
}
