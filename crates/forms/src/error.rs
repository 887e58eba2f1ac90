//! Error type.

use crate::pack::PackIssue;

/// Errors of the parse helpers. Validation results are data (issue lists), not errors.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FormsError {
    /// The pack failed [`crate::validate_pack`].
    #[error("invalid form pack: {}", join(.0))]
    InvalidPack(Vec<PackIssue>),
    /// The closing-code list is invalid.
    #[error("invalid closing-code list: {}", join(.0))]
    InvalidCodes(Vec<PackIssue>),
    /// The safeguarding config is invalid.
    #[error("invalid safeguarding config: {}", join(.0))]
    InvalidConfig(Vec<PackIssue>),
    /// Answers JSON is not an object or not JSON.
    #[error("invalid answers JSON: {0}")]
    InvalidAnswers(String),
}

fn join(issues: &[PackIssue]) -> String {
    issues.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}
