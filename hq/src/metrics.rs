//! What `/metrics` shows operators, in the Prometheus (OpenMetrics) text format.
//!
//! Counted by this process as requests pass ([`crate::watch`]): requests by
//! route template and status, latency per route, ops applied, pull pages
//! served, devices seen. Read from the database at scrape time: follow-ups due
//! (shared by every HQ process on one PostgreSQL database).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::error::{HqError, Result};
use crate::storage::Storage;

/// How long a device counts as seen after its last request.
pub const SEEN_WINDOW: Duration = Duration::from_secs(3600);

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The matched route template (`/v1/orders/{job_id}`), never the raw
    /// path: one series per route, not per order.
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

fn latency_histogram() -> Histogram {
    // 1 ms .. ~16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// HQ's metrics, one set per server.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    ops_applied: Counter,
    pull_pages: Counter,
    devices_seen: Gauge,
    followups_due: Gauge,
    /// Token hash of each device that called, with when it last did (the
    /// hash, not the token: a token must not sit in memory longer than the request).
    seen: Mutex<HashMap<String, Instant>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("onsite_hq");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let (ops_applied, pull_pages) = (Counter::default(), Counter::default());
        let (devices_seen, followups_due) = (Gauge::default(), Gauge::default());
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by route template",
            latency.clone(),
        );
        registry.register(
            "ops_applied",
            "Ops from devices applied by this process (not duplicates or rejections)",
            ops_applied.clone(),
        );
        registry.register(
            "pull_pages_served",
            "Pages of changes served to devices by this process",
            pull_pages.clone(),
        );
        registry.register(
            "devices_seen_last_hour",
            "Devices that made an authenticated request to this process in the last hour",
            devices_seen.clone(),
        );
        registry.register(
            "followups_due",
            "Follow-ups whose due time has passed (from the database)",
            followups_due.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            ops_applied,
            pull_pages,
            devices_seen,
            followups_due,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// One answered request.
    pub fn request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_string(),
                route: route.to_string(),
                status: status.to_string(),
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_string(),
            })
            .observe(elapsed.as_secs_f64());
    }

    pub fn ops_applied(&self, n: u64) {
        self.ops_applied.inc_by(n);
    }

    pub fn pull_page(&self) {
        self.pull_pages.inc();
    }

    /// A device (by its token's hash) made an authenticated request.
    pub fn device_seen(&self, token_hash: String) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.insert(token_hash, Instant::now());
        }
    }

    /// The text a scraper reads. Queries the database for what only it knows.
    pub async fn render(&self, store: &dyn Storage) -> Result<String> {
        let now = Utc::now();
        let due = store
            .followups(None)
            .await?
            .iter()
            .filter(|f| {
                DateTime::parse_from_rfc3339(&f.due_at)
                    .map_or(true, |d| d.with_timezone(&Utc) <= now)
            })
            .count();
        self.followups_due
            .set(i64::try_from(due).unwrap_or(i64::MAX));
        let seen = match self.seen.lock() {
            Ok(mut seen) => {
                seen.retain(|_, at| at.elapsed() < SEEN_WINDOW);
                seen.len()
            }
            Err(_) => 0,
        };
        self.devices_seen
            .set(i64::try_from(seen).unwrap_or(i64::MAX));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .map_err(|e| HqError::Internal(format!("encoding metrics: {e}")))?;
        Ok(text)
    }
}
