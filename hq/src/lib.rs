//! Onsite HQ: receives what technicians did, sends them their jobs.
//!
//! axum over one storage trait ([`storage::Storage`]) whose methods are HQ's
//! operations, on SQLite (default: one file, one command) or PostgreSQL
//! (several stateless HQ processes on one database).

pub mod api;
pub mod centre;
#[cfg(feature = "client")]
pub mod client;
pub mod config;
pub mod console;
pub mod error;
pub mod extract;
pub mod keys;
pub mod limit;
pub mod logs;
pub mod metrics;
pub mod openapi;
pub mod rules;
pub mod storage;
pub mod watch;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};

pub use error::{HqError, Result};

pub use storage::{open, Storage};

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
        store: Arc<dyn Storage>,
        admin_token: &str,
        listen: SocketAddr,
    ) -> Result<Server> {
        let metrics = Arc::new(metrics::Metrics::new());
        let auth = extract::Auth {
            store: store.clone(),
            bootstrap_hash: rules::hash_secret(admin_token),
            metrics: metrics.clone(),
        };
        let watch = watch::Watch {
            store: store.clone(),
            metrics,
            auth: auth.clone(),
        };
        let console = console::Console::new(store.clone());
        let state = api::AppState {
            store,
            auth,
            enroll_limit: Arc::new(limit::Limiter::default()),
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
            .merge(console::routes(console))
            // Answers compressed as the client asks (zstd, else gzip): a
            // pull page of orders shrinks several times; photos are left
            // as they are (JPEG and PNG). A small answer (a push's, one
            // order) goes plain, as the phone sends its small bodies:
            // compressing it saves less than the header costs, and a fresh
            // zstd context per answer cost a push more than its
            // acknowledgement's bytes.
            .layer(
                tower_http::compression::CompressionLayer::new().compress_when(
                    SizeAbove::new(onsite_core::sync::encoding::MIN_COMPRESSED_BYTES as u16)
                        .and(NotForContentType::GRPC)
                        .and(NotForContentType::IMAGES)
                        .and(NotForContentType::SSE),
                ),
            )
            .layer(axum::middleware::from_fn_with_state(watch, watch::observe));
        let handle = tokio::spawn(async move {
            // The peer's address is what enrollment's wrong codes are counted by.
            let app = app.into_make_service_with_connect_info::<SocketAddr>();
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
