//! The sync driver: the client side of the conversation with `bluelamp-central`.
//!
//! For now it probes health; push and pull arrive with the sync issue.

use std::time::Duration;

use bluelamp_protocol::wire::HealthResponse;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the central service could not be reached: {0}")]
    Unreachable(String),
    #[error("the central service answered with an unexpected response: {0}")]
    BadResponse(String),
    #[error("the central service speaks schema {server}, this client {client}")]
    SchemaMismatch { server: u32, client: u32 },
}

/// An HTTP client for one central service.
#[derive(Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    pub fn new(base_url: &str) -> Result<Client, SyncError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| SyncError::Unreachable(e.to_string()))?;
        Ok(Client { base: base_url.trim_end_matches('/').to_string(), http })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// `GET /v1/health`: Ok only when the service answers "ok" with our schema version.
    pub async fn health(&self) -> Result<HealthResponse, SyncError> {
        let resp = self
            .http
            .get(format!("{}/v1/health", self.base))
            .send()
            .await
            .map_err(|e| SyncError::Unreachable(e.to_string()))?;
        if !resp.status().is_success() {
            return Err(SyncError::BadResponse(format!("HTTP {}", resp.status())));
        }
        let body: HealthResponse = resp.json().await.map_err(|e| SyncError::BadResponse(e.to_string()))?;
        if body.schema_version != bluelamp_protocol::SCHEMA_VERSION {
            return Err(SyncError::SchemaMismatch {
                server: body.schema_version,
                client: bluelamp_protocol::SCHEMA_VERSION,
            });
        }
        if body.status != "ok" {
            return Err(SyncError::BadResponse(format!("status {}", body.status)));
        }
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn health_online_then_offline() {
        let dir = tempfile::tempdir().unwrap();
        let central = bluelamp_central::Central::open(&dir.path().join("c.db")).unwrap();
        let running = bluelamp_central::spawn(central, "127.0.0.1:0".parse().unwrap()).await.unwrap();
        let client = Client::new(&running.url()).unwrap();
        assert_eq!(client.health().await.unwrap().status, "ok");
        running.stop().await;
        assert!(matches!(client.health().await, Err(SyncError::Unreachable(_))));
    }
}
