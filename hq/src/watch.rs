//! What operators watch HQ through: a request id on every request (in the
//! log and in the `x-request-id` response header), the metrics of
//! [`crate::metrics`] at `/metrics`, readiness at `/v1/ready`, and the signal
//! that stops HQ gracefully.
//!
//! Kept apart from [`crate::api`]: the layer here wraps every route of the API
//! from outside, so it needs nothing from the handlers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tracing::Instrument;

use crate::error::HqError;
use crate::metrics::Metrics;
use crate::storage::Storage;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A readiness check that takes longer than this answers 503: a probe must
/// not hang on a database that does not answer.
pub const READY_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Clone)]
pub struct Watch {
    pub store: Arc<dyn Storage>,
    pub metrics: Arc<Metrics>,
    /// `/metrics` needs a key with the admin scope.
    pub auth: crate::extract::Auth,
}

impl axum::extract::FromRef<Watch> for crate::extract::Auth {
    fn from_ref(w: &Watch) -> Self {
        w.auth.clone()
    }
}

/// `/metrics` and `/v1/ready`, to merge into the API's router.
pub fn routes(w: Watch) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/v1/ready", get(ready))
        .with_state(w)
}

/// A caller's request id is kept when it looks like an id (so a proxy's id
/// ties its log to ours); anything else is replaced, never logged.
fn sane_id(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    let ok = (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    ok.then(|| s.to_string())
}

/// The outermost layer: gives the request its id (a span field every log
/// line of the request carries, and a response header), and counts it.
pub async fn observe(State(w): State<Watch>, req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(sane_id)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unrouted", |p| p.as_str())
        .to_string();
    let method = req.method().to_string();
    let span = tracing::info_span!("http", request_id = %id);
    let started = Instant::now();
    let mut response = next.run(req).instrument(span).await;
    let status = response.status();
    w.metrics
        .request(&method, &route, status.as_u16(), started.elapsed());
    if status == StatusCode::OK {
        match route.as_str() {
            "/v1/sync/pull" => w.metrics.pull_page(),
            "/v1/sync/push" => {
                if let Some(AppliedOps(n)) = response.extensions().get::<AppliedOps>() {
                    w.metrics.ops_applied(u64::try_from(*n).unwrap_or(u64::MAX));
                }
            }
            _ => {}
        }
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, v);
    }
    response
}

/// How many ops a push applied, set on its answer by the push handler: the
/// answer itself may list only the ops not applied (`omit_applied`) and may be
/// compressed by the time it passes here.
#[derive(Clone, Copy)]
pub struct AppliedOps(pub usize);

/// Prometheus text, for operators: it needs a key with the admin scope (a
/// scraper sends it as a bearer token), since it shows how busy the service
/// centre is.
#[utoipa::path(
    get,
    path = "/metrics",
    summary = "Operators' metrics (OpenMetrics text, for Prometheus)",
    security(("key" = ["admin"])),
    responses(
        (status = 200, description = "Requests by route and status, latency histograms, ops applied, pull pages served, devices seen in the last hour, follow-ups due", content_type = "application/openmetrics-text", body = String),
        (status = 401, description = "Missing, wrong or revoked token", body = onsite_core::sync::protocol::ErrorBody),
        (status = 403, description = "A device token, or a key without the admin scope", body = onsite_core::sync::protocol::ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = onsite_core::sync::protocol::ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = onsite_core::sync::protocol::ErrorBody)
    )
)]
pub(crate) async fn metrics(
    _: crate::extract::Scoped<crate::extract::Admin>,
    State(w): State<Watch>,
) -> Response {
    match w.metrics.render(&*w.store).await {
        Ok(text) => ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Ready when the database answers a real query in time; 503 otherwise (a
/// load balancer then sends no traffic here). `/v1/health` says only that
/// the process is up.
#[utoipa::path(
    get,
    path = "/v1/ready",
    summary = "Readiness: the database answers a query in time",
    responses(
        (status = 200, description = "Ready for traffic", body = Ready),
        (status = 503, description = "The database is not reachable or did not answer in time", body = onsite_core::sync::protocol::ErrorBody)
    )
)]
pub(crate) async fn ready(State(w): State<Watch>) -> Response {
    let kind = w.store.kind();
    match tokio::time::timeout(READY_TIMEOUT, w.store.ready()).await {
        Ok(Ok(())) => Json(Ready {
            status: "ready".into(),
            database: kind.into(),
        })
        .into_response(),
        Ok(Err(e)) => not_ready(&e.to_string()),
        Err(_) => not_ready("the database did not answer in time"),
    }
}

/// The answer of a ready HQ.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Ready {
    /// Always `ready`.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub database: String,
}

/// Not ready: HQ's one error type answers it (503 `unavailable`, the
/// detail only in the log under the reference the message gives).
fn not_ready(detail: &str) -> Response {
    HqError::Unavailable(format!("not ready: {detail}")).into_response()
}

/// Resolves on SIGTERM (what service managers and orchestrators send) or
/// Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutdown signal: no new connections, finishing requests in flight");
}
