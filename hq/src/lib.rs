//! Onsite HQ: receives what technicians did, sends them their jobs.
//!
//! axum over one storage trait ([`db::Db`]) with SQLite (default: one file,
//! one command) and PostgreSQL (several stateless HQ processes on one database).

pub mod api;
#[cfg(feature = "client")]
pub mod client;
pub mod config;
pub mod db;
pub mod error;
pub mod extract;
pub mod logs;
pub mod metrics;
pub mod openapi;
pub mod schema;
pub mod store;
pub mod watch;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

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

/// How long a stop waits for requests in flight by default: what service
/// managers commonly allow between SIGTERM and SIGKILL.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

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
        let admin_token_hash = store::hash_secret(admin_token);
        let watch = watch::Watch {
            db: db.clone(),
            metrics: Arc::new(metrics::Metrics::new()),
            admin_token_hash: admin_token_hash.clone(),
        };
        let state = api::AppState {
            db,
            admin_token_hash,
        };
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| HqError::Internal(format!("cannot listen on {listen}: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| HqError::Internal(e.to_string()))?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        // The request id and the metrics wrap every route, the API's and ours.
        let app = api::router(state)
            .merge(watch::routes(watch.clone()))
            .layer(axum::middleware::from_fn_with_state(watch, watch::observe));
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

    /// Stops accepting connections, lets the requests in flight finish
    /// (a push being applied is answered) for up to [`DRAIN_TIMEOUT`], then
    /// returns.
    pub async fn stop(self) {
        self.stop_within(DRAIN_TIMEOUT).await;
    }

    /// [`Server::stop`] with its own limit: a request still in flight when
    /// `limit` has passed (a client that never finishes its body) is
    /// abandoned, so a stop always ends. False if that happened.
    pub async fn stop_within(mut self, limit: Duration) -> bool {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if tokio::time::timeout(limit, &mut self.handle).await.is_ok() {
            return true;
        }
        tracing::warn!(
            limit_s = limit.as_secs(),
            "requests still in flight at the drain limit were abandoned"
        );
        self.handle.abort();
        false
    }
}
