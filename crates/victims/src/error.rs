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
