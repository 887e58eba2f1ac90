//! Serde helpers: dates as ISO `YYYY-MM-DD` (`iso_date`, `iso_date::option`), date-times as
//! RFC 3339 (`rfc3339`, `rfc3339::option`).
#![allow(missing_docs)] // the macro-generated module has no doc comments

time::serde::format_description!(pub iso_date, Date, "[year]-[month]-[day]");

pub use time::serde::rfc3339;
