//! Messages between the client and `bluelamp-central`.

use serde::{Deserialize, Serialize};

/// `GET /v1/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthResponse {
    /// Always `"ok"` when the service answers.
    pub status: String,
    pub schema_version: u32,
    pub service: String,
    pub version: String,
}
