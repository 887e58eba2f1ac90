//! `bluelamp-central`: the reference central records service.
//!
//! It answers the client's sync protocol (see `bluelamp-protocol::wire`) over HTTP (axum). The
//! app embeds it for the offline demo (an in-process server on 127.0.0.1 seeded with synthetic
//! data); a force runs the binary.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use bluelamp_protocol::wire::HealthResponse;
use rusqlite::Connection;

pub mod db;

/// Shared service state.
#[derive(Clone)]
pub struct Central {
    db: Arc<Mutex<Connection>>,
}

#[derive(Debug, thiserror::Error)]
pub enum CentralError {
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

impl Central {
    /// Opens (creating if needed) the service database at `path`.
    pub fn open(path: &Path) -> Result<Central, CentralError> {
        let conn = db::open(path)?;
        Ok(Central { db: Arc::new(Mutex::new(conn)) })
    }

    /// Creates the demo officers and synthetic people if they are not there yet.
    pub fn seed_demo(&self, nominals: usize) -> Result<(), CentralError> {
        let mut conn = self.db.lock().unwrap_or_else(|p| p.into_inner());
        db::seed_demo(&mut conn, nominals)?;
        Ok(())
    }

    pub fn stats(&self) -> Result<db::Stats, CentralError> {
        let conn = self.db.lock().unwrap_or_else(|p| p.into_inner());
        Ok(db::stats(&conn)?)
    }

    pub fn router(&self) -> Router {
        Router::new().route("/v1/health", get(health)).with_state(self.clone())
    }
}

async fn health(State(_c): State<Central>) -> Json<HealthResponse> {
    Json(HealthResponse {
        status: "ok".into(),
        schema_version: bluelamp_protocol::SCHEMA_VERSION,
        service: "bluelamp-central".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// A running server: its address and a handle to stop it.
pub struct Running {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    pub task: tokio::task::JoinHandle<()>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections and ends the server task.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = self.task.await;
    }
}

/// Binds `addr` (use port 0 for any free port) and serves in a background task.
pub async fn spawn(central: Central, addr: SocketAddr) -> Result<Running, CentralError> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = central.router();
    let task = tokio::spawn(async move {
        let result = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = result {
            tracing::error!("central server stopped: {e}");
        }
    });
    Ok(Running { addr, shutdown: Some(tx), task })
}
