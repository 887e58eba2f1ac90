//! Mapping of internal errors to the safe, stable [`ApiError`] the webview sees.

use bluelamp_protocol::{ApiError, ErrorCode};
use bluelamp_store::StoreError;

pub fn from_store(e: StoreError) -> ApiError {
    match e {
        StoreError::WrongPassphrase => ApiError::new(ErrorCode::WrongPassphrase, "The passphrase is wrong."),
        StoreError::Invalid(msg) => ApiError::invalid(msg),
        // Said as they are: another process making the store, or what an interrupted creation
        // left (the next sign-in makes it again).
        e @ (StoreError::Busy(_) | StoreError::Interrupted(_)) => ApiError::new(ErrorCode::Rejected, e.to_string()),
        other => {
            tracing::error!(error = %other, "store error");
            ApiError::new(
                ErrorCode::Storage,
                "The local store could not complete the request. The details are in the log.",
            )
        }
    }
}
