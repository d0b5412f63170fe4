//! Onsite HQ: receives what technicians did, sends them their jobs.
//!
//! axum over one storage trait ([`db::Db`]) with SQLite (default: one file,
//! one command) and PostgreSQL (several stateless HQ processes on one database).

pub mod api;
pub mod db;
pub mod error;
pub mod extract;
pub mod logs;
pub mod openapi;
pub mod schema;
pub mod store;

use std::net::SocketAddr;
use std::sync::Arc;

pub use error::{HqError, Result};

/// Opens the database named by `url`: `postgres://...` or a SQLite file path
/// (optionally `sqlite:` prefixed).
pub fn open_db(url: &str) -> Result<Arc<dyn db::Db>> {
    // The sync PostgreSQL client runs its own runtime, which must not start on
    // an async worker thread: open and migrate on a plain thread.
    let url = url.to_string();
    std::thread::spawn(move || open_db_here(&url))
        .join()
        .map_err(|_| HqError::Internal("opening the database panicked".into()))?
}

fn open_db_here(url: &str) -> Result<Arc<dyn db::Db>> {
    let db: Arc<dyn db::Db> = if url.starts_with("postgres://") || url.starts_with("postgresql://")
    {
        Arc::new(db::Postgres::connect(url, 8)?)
    } else {
        Arc::new(db::Sqlite::open(
            url.strip_prefix("sqlite:").unwrap_or(url),
        )?)
    };
    db.migrate()?;
    Ok(db)
}

/// A running HQ server.
pub struct Server {
    pub addr: SocketAddr,
    handle: tokio::task::JoinHandle<()>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Server {
    /// Starts serving on `listen` (use port 0 for any free port).
    pub async fn start(
        db: Arc<dyn db::Db>,
        admin_token: &str,
        listen: SocketAddr,
    ) -> Result<Server> {
        let state = api::AppState {
            db,
            admin_token_hash: store::hash_secret(admin_token),
        };
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| HqError::Internal(format!("cannot listen on {listen}: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| HqError::Internal(e.to_string()))?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = api::router(state);
        let handle = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Server {
            addr,
            handle,
            shutdown: Some(tx),
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.handle).await;
    }
}
