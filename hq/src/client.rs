//! The typed Rust client of HQ's dispatch and admin API (feature `client`).
//!
//! One method per operation, sending and receiving the very types the
//! server parses and answers with ([`crate::api`]'s request types,
//! [`crate::rules`]'s answers, `onsite_core`'s orders and visits), so a
//! field renamed on one side cannot go unnoticed on the other: the CLI and
//! the tests stop hand-writing JSON that only agrees with HQ by luck.
//!
//! Every failure is a [`ClientError`]: HQ's own error body (status, stable
//! code, message) when HQ answered one, else what went wrong on the way.
//!
//! The device side of the API (push, pull, blobs, receipt blocks) is the
//! phone's: `onsite_core::sync::SyncClient` speaks it.

use std::time::Duration;

use onsite_core::order::WorkOrder;
use onsite_core::sync::protocol::ErrorBody;
use onsite_core::visit::Visit;
use reqwest::{Method, RequestBuilder, Url};
use serde::de::DeserializeOwned;

use crate::api::Health;
use crate::api::{
    Assign, Cancel, ChargeCodeBody, ChargeInstructionBody, Code, CreatedKey, FollowQuery, Handover,
    InvoiceQuery, NewEnrollment, NewKey, NewTechnician, OldPartsQuery, OrderFilter, ReconQuery,
    Reschedule,
};
use crate::keys::KeyInfo;
use crate::rules::{
    ComplaintRecord, FollowUp, OldPart, OrderSummary, PendingInvoice, Reconciliation,
};
use crate::watch::Ready;

/// Why a call did not give its answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// HQ refused the request and said why in its error body.
    #[error("HQ answered {status}: {} ({})", body.message, body.error)]
    Hq { status: u16, body: ErrorBody },
    /// A failure without HQ's error body (something between us and HQ
    /// answered, or HQ's answer is not its error form); the start of the body.
    #[error("HQ answered {status} without an error body: {body:?}")]
    Unexpected { status: u16, body: String },
    /// HQ said yes, but its answer is not the type this client expects:
    /// client and server disagree on the contract.
    #[error("HQ's {status} answer is not a {expected}: {source}")]
    Decode {
        status: u16,
        expected: &'static str,
        source: serde_json::Error,
    },
    /// No answer: HQ unreachable, connection cut, no answer within the
    /// client's timeout.
    #[error("cannot reach HQ at {url}: {source}")]
    Transport { url: String, source: reqwest::Error },
    /// The base URL is not an http(s) URL the API's paths can be joined to.
    #[error("{0:?} is not an HQ address like http://127.0.0.1:8080")]
    BadUrl(String),
}

impl ClientError {
    /// The HTTP status HQ answered, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Hq { status, .. }
            | ClientError::Unexpected { status, .. }
            | ClientError::Decode { status, .. } => Some(*status),
            ClientError::Transport { source, .. } => source.status().map(|s| s.as_u16()),
            ClientError::BadUrl(_) => None,
        }
    }

    /// HQ's stable error code (`not_found`, `conflict`, `unauthorized`, ...),
    /// if HQ answered with its error body.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Hq { body, .. } => Some(&body.error),
            _ => None,
        }
    }
}

pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// How much of an unexpected body an error keeps: enough to recognise a
/// proxy's page, not a whole one.
const SNIPPET_BYTES: usize = 200;

/// How long one call may take by default, connection to last byte: far
/// above any answer of a healthy HQ, so that a half-dead HQ (or a network
/// that swallows packets) fails a command instead of hanging it.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// HQ's dispatch and admin API at one address, with one admin key.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    key: String,
}

/// The address only: a client printed in a log or a failed test's message
/// must not hand out the admin key.
impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client of the HQ at `base` (`http://host:port`, optionally with a
    /// path prefix when HQ sits behind a proxy) calling with the admin `key`;
    /// each call may take up to [`DEFAULT_TIMEOUT`].
    pub fn new(base: &str, key: &str) -> Result<Client> {
        Self::with_timeout(base, key, DEFAULT_TIMEOUT)
    }

    /// [`Client::new`] with its own limit on each call.
    pub fn with_timeout(base: &str, key: &str, timeout: Duration) -> Result<Client> {
        let bad = || ClientError::BadUrl(base.to_string());
        let mut url = Url::parse(base).map_err(|_| bad())?;
        if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
            return Err(bad());
        }
        // Paths are joined segment by segment below; a trailing slash would
        // leave an empty one.
        url.path_segments_mut().map_err(|_| bad())?.pop_if_empty();
        // The product's one TLS crypto (ring), as the phone's sync client has.
        onsite_core::sync::ensure_tls_provider();
        // Not `reqwest::Client::new()`: it panics where the builder reports.
        let http = reqwest::Client::builder()
            .timeout(timeout)
            // A connection per call, none kept idle: HQ restarts (deploys,
            // crashes) and a kept connection would fail the next call when
            // nothing read its close in between (a one-shot CLI, a
            // current-thread runtime). Dispatch calls are few; a connect
            // on the way costs nothing that matters.
            .pool_max_idle_per_host(0)
            .build()
            .map_err(|source| ClientError::Transport {
                url: base.to_string(),
                source,
            })?;
        Ok(Client {
            http,
            base: url,
            key: key.to_string(),
        })
    }

    /// The address the client calls.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// `base/v1/<segments>`, each segment percent-encoded: an order number
    /// with a `/` or `?` in it names that order, never another route.
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.push("v1").extend(segments);
        }
        url
    }

    fn request(&self, method: Method, segments: &[&str]) -> RequestBuilder {
        self.http
            .request(method, self.url(segments))
            .bearer_auth(&self.key)
    }

    /// Sends `req`; the status and body of a success, else HQ's error.
    async fn send(&self, req: RequestBuilder) -> Result<(u16, Vec<u8>)> {
        let transport = |source: reqwest::Error| ClientError::Transport {
            url: self.base.to_string(),
            source,
        };
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(transport)?;
        if status.is_success() {
            return Ok((status.as_u16(), bytes.to_vec()));
        }
        let status = status.as_u16();
        Err(match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => ClientError::Hq { status, body },
            Err(_) => ClientError::Unexpected {
                status,
                body: String::from_utf8_lossy(&bytes[..bytes.len().min(SNIPPET_BYTES)])
                    .into_owned(),
            },
        })
    }

    /// Sends `req` and reads the answer as a `T`.
    async fn json<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<T> {
        let (status, bytes) = self.send(req).await?;
        serde_json::from_slice(&bytes).map_err(|source| ClientError::Decode {
            status,
            expected: std::any::type_name::<T>(),
            source,
        })
    }

    /// Sends `req` for an answer without a body (201, 204).
    async fn done(&self, req: RequestBuilder) -> Result<()> {
        self.send(req).await.map(drop)
    }

    /// Whether HQ answers at all (no key needed; sent with it anyway).
    pub async fn health(&self) -> Result<Health> {
        self.json(self.request(Method::GET, &["health"])).await
    }

    /// Whether HQ's database answers in time (a `503 unavailable` otherwise).
    pub async fn ready(&self) -> Result<Ready> {
        self.json(self.request(Method::GET, &["ready"])).await
    }

    /// The OpenAPI document of this HQ (public, but sent with the key anyway).
    pub async fn openapi(&self) -> Result<serde_json::Value> {
        self.json(self.request(Method::GET, &["openapi.json"]))
            .await
    }

    /// Creates a technician; creating one that exists changes nothing.
    pub async fn create_technician(&self, t: &NewTechnician) -> Result<()> {
        self.done(self.request(Method::POST, &["technicians"]).json(t))
            .await
    }

    /// A one-time code the technician types on a new phone.
    pub async fn create_enrollment(&self, e: &NewEnrollment) -> Result<Code> {
        self.json(self.request(Method::POST, &["enrollments"]).json(e))
            .await
    }

    /// Revokes a device's token: its next call is refused.
    pub async fn revoke_device(&self, device_id: &str) -> Result<()> {
        self.done(self.request(Method::POST, &["devices", device_id, "revoke"]))
            .await
    }

    /// Revokes a device with remote wipe.
    pub async fn wipe_device(&self, device_id: &str) -> Result<()> {
        self.done(self.request(Method::POST, &["devices", device_id, "wipe"]))
            .await
    }

    /// Sets the company's retention period for customer data on phones.
    pub async fn set_phone_retention(&self, days: u32) -> Result<()> {
        self.done(
            self.request(Method::PUT, &["settings", "phone-retention"])
                .json(&crate::api::PhoneRetention { days }),
        )
        .await
    }

    /// Creates an order and dispatches it to its technician.
    pub async fn create_order(&self, order: &WorkOrder) -> Result<OrderSummary> {
        self.json(self.request(Method::POST, &["orders"]).json(order))
            .await
    }

    /// The dispatch board, filtered as `filter` says.
    pub async fn list_orders(&self, filter: &OrderFilter) -> Result<Vec<OrderSummary>> {
        self.json(self.request(Method::GET, &["orders"]).query(filter))
            .await
    }

    /// HQ's view of one order: the whole visit.
    pub async fn get_order(&self, job_id: &str) -> Result<Visit> {
        self.json(self.request(Method::GET, &["orders", job_id]))
            .await
    }

    /// Assigns (or reassigns) an order to a technician.
    pub async fn assign(&self, job_id: &str, a: &Assign) -> Result<OrderSummary> {
        self.json(
            self.request(Method::POST, &["orders", job_id, "assign"])
                .json(a),
        )
        .await
    }

    /// Moves the appointment, with the customer's consent.
    pub async fn reschedule(&self, job_id: &str, r: &Reschedule) -> Result<OrderSummary> {
        self.json(
            self.request(Method::POST, &["orders", job_id, "reschedule"])
                .json(r),
        )
        .await
    }

    /// Cancels an order.
    pub async fn cancel(&self, job_id: &str, c: &Cancel) -> Result<OrderSummary> {
        self.json(
            self.request(Method::POST, &["orders", job_id, "cancel"])
                .json(c),
        )
        .await
    }

    /// The service centre's instruction on a disputed charge, sent to the
    /// phone by sync.
    pub async fn charge_instruction(
        &self,
        job_id: &str,
        c: &ChargeInstructionBody,
    ) -> Result<OrderSummary> {
        self.json(
            self.request(Method::POST, &["orders", job_id, "charge-instruction"])
                .json(c),
        )
        .await
    }

    /// The code a supervisor reads out to give an instruction to an offline phone.
    pub async fn charge_code(&self, job_id: &str, c: &ChargeCodeBody) -> Result<Code> {
        self.json(
            self.request(Method::POST, &["orders", job_id, "charge-code"])
                .json(c),
        )
        .await
    }

    /// Invoices promised to customers and not yet handed over.
    pub async fn invoices(&self, q: &InvoiceQuery) -> Result<Vec<PendingInvoice>> {
        self.json(self.request(Method::GET, &["invoices"]).query(q))
            .await
    }

    /// The follow-up queue (with a month, also its 30% sample).
    pub async fn followups(&self, q: &FollowQuery) -> Result<Vec<FollowUp>> {
        self.json(self.request(Method::GET, &["followups"]).query(q))
            .await
    }

    /// Complaints customers made on site, oldest first.
    pub async fn complaints(&self) -> Result<Vec<ComplaintRecord>> {
        self.json(self.request(Method::GET, &["complaints"])).await
    }

    /// Old parts recovered on site, newest first.
    pub async fn old_parts(&self, q: &OldPartsQuery) -> Result<Vec<OldPart>> {
        self.json(self.request(Method::GET, &["old-parts"]).query(q))
            .await
    }

    /// Records money a technician handed in for a day and method.
    pub async fn handover(&self, h: &Handover) -> Result<()> {
        self.done(self.request(Method::POST, &["handovers"]).json(h))
            .await
    }

    /// A technician's day: receipts and money by method against what was
    /// handed in.
    pub async fn reconciliation(&self, q: &ReconQuery) -> Result<Reconciliation> {
        self.json(self.request(Method::GET, &["reconciliation"]).query(q))
            .await
    }

    /// Makes a named integration key; its secret is in this answer only.
    pub async fn create_key(&self, k: &NewKey) -> Result<CreatedKey> {
        self.json(self.request(Method::POST, &["keys"]).json(k))
            .await
    }

    /// Every integration key (never a secret).
    pub async fn keys(&self) -> Result<Vec<KeyInfo>> {
        self.json(self.request(Method::GET, &["keys"])).await
    }

    /// Revokes a key: its secret is refused from now on.
    pub async fn revoke_key(&self, name: &str) -> Result<()> {
        self.done(self.request(Method::POST, &["keys", name, "revoke"]))
            .await
    }
}
