//! Mapping of internal errors to the safe, stable [`ApiError`] the webview sees.

use bluelamp_protocol::{ApiError, ErrorCode};
use bluelamp_store::StoreError;

pub fn from_store(e: StoreError) -> ApiError {
    match e {
        StoreError::WrongPassphrase => ApiError::new(ErrorCode::WrongPassphrase, "The passphrase is wrong."),
        StoreError::Invalid(msg) => ApiError::invalid(msg),
        other => {
            tracing::error!(error = %other, "store error");
            ApiError::new(
                ErrorCode::Storage,
                "The local store could not complete the request. The details are in the log.",
            )
        }
    }
}
