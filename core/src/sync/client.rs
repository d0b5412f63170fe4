//! The sync client: reqwest (rustls) on the core's one tokio runtime.
//!
//! A sync uploads pending blobs first (an op may reference them), tops up
//! receipt numbers while online, pushes the outbox in batches (trimming only
//! what HQ acknowledged) and then pulls the change feed. Transient failures
//! (connection refused or reset, timeouts, 5xx) are retried with exponential
//! backoff and jitter; a cancel handle stops between attempts; a listener hears
//! the state and progress.
//!
//! The network work always runs on the process-wide runtime and HTTP client
//! of [`super::runtime`], whoever calls: [`SyncClient::sync`] and
//! [`SyncClient::enroll`] are async and can be awaited from any executor (the
//! shells' coroutines and tasks, a server's runtime); store work inside them
//! goes to the runtime's blocking pool. [`SyncClient::sync_now`] and
//! [`SyncClient::enroll_blocking`] are the blocking conveniences for the CLI,
//! tests and the bench; they never panic inside a runtime (see
//! [`super::runtime::block_on`]).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::receipt::NumberBlock;
use crate::sync::encoding::{self, Coding};
use crate::sync::protocol::{
    Backlog, EnrollRequest, EnrollResponse, ErrorBody, PullResponse, PushRequest, PushResponse,
};
use crate::sync::runtime::{self, Panicked};
use crate::technician::Technician;

/// Ask HQ for a new block of receipt numbers when fewer than this are left.
pub const RECEIPT_LOW_WATER: i64 = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncConfig {
    /// HQ's base URL, e.g. `http://127.0.0.1:8080`.
    pub base_url: String,
    /// The device token from enrollment.
    pub token: String,
    /// Ops per push.
    pub batch_size: usize,
    /// Attempts per request before giving up (offline).
    pub max_attempts: u32,
    pub base_backoff_ms: u64,
    pub max_backoff_ms: u64,
    pub request_timeout_ms: u64,
    /// Seeds the retry backoff jitter; `None` seeds it from the clock. Fault
    /// tests set it so that a replayed run retries on the same schedule.
    pub jitter_seed: Option<u64>,
}

impl SyncConfig {
    pub fn new(base_url: impl Into<String>, token: impl Into<String>) -> SyncConfig {
        SyncConfig {
            base_url: base_url.into().trim_end_matches('/').to_string(),
            token: token.into(),
            batch_size: 200,
            max_attempts: 6,
            base_backoff_ms: 200,
            max_backoff_ms: 10_000,
            request_timeout_ms: 15_000,
            jitter_seed: None,
        }
    }
}

/// What the sync is doing, for the shell's progress display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SyncState {
    Idle,
    UploadingBlobs {
        done: u64,
        total: u64,
    },
    Pushing {
        done: u64,
        total: u64,
    },
    Pulling {
        received: u64,
    },
    /// HQ could not be reached; retrying after `retry_in_ms`.
    Offline {
        retry_in_ms: u64,
        reason: String,
    },
    Error {
        message: String,
    },
}

/// Implemented by the shells (Kotlin Flow, Swift AsyncStream) to hear progress.
/// Called on the thread doing the sync (a runtime thread for [`SyncClient::sync`]):
/// keep it short.
pub trait SyncListener: Send + Sync {
    fn on_state(&self, state: SyncState);
}

/// Stops a running sync at the next safe point (between requests or retries).
#[derive(Debug, Clone, Default)]
pub struct CancelHandle(Arc<AtomicBool>);

impl CancelHandle {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
    fn reset(&self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// What one `sync_now` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncReport {
    pub blobs_uploaded: u64,
    pub ops_pushed: u64,
    pub ops_applied: u64,
    pub ops_duplicate: u64,
    pub ops_rejected: u64,
    pub changes_pulled: u64,
    pub receipt_blocks: u64,
    /// Jobs whose customer data left the phone at this sync.
    #[serde(default)]
    pub jobs_purged: u64,
}

/// Talks to one HQ with one device token. Cheap to hold: the runtime and the
/// connection pool are shared by every client in the process.
pub struct SyncClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SyncClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncClient")
            .field("base_url", &self.inner.config.base_url)
            .finish()
    }
}

/// What a running sync needs, owned so that it can move onto the runtime.
struct Inner {
    http: reqwest::Client,
    config: SyncConfig,
    cancel: CancelHandle,
    jitter: AtomicU64,
    /// The coding HQ last said it accepts request bodies in
    /// ([`encoding::preferred`] of its `Accept-Encoding`): [`UNHEARD`] not
    /// yet known, [`PLAIN`] none, [`ZSTD`] or [`GZIP`].
    send_coding: AtomicU8,
}

/// [`Inner::send_coding`]'s values.
const UNHEARD: u8 = 0;
const PLAIN: u8 = 1;
const ZSTD: u8 = 2;
const GZIP: u8 = 3;

enum Attempt<T> {
    Done(T),
    /// Worth retrying (network, timeout, 5xx).
    Retry(String),
}

/// How a sync reaches the store: in place when the caller blocks anyway, or
/// on the runtime's blocking pool when the sync is a task on the runtime
/// (SQLite must not stall a worker that other syncs and timers need).
enum Store<'a> {
    Here(&'a Technician),
    Pooled(Arc<Technician>),
}

impl Store<'_> {
    async fn call<R, F>(&self, f: F) -> Result<R>
    where
        F: FnOnce(&Technician) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        match self {
            Store::Here(t) => f(t),
            Store::Pooled(t) => {
                let t = t.clone();
                resume(runtime::spawn_blocking(move || f(&t)).await?)?
            }
        }
    }
}

/// Cancels the sync whose future is dropped while still armed.
struct CancelOnDrop(Option<CancelHandle>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(c) = self.0.take() {
            c.cancel();
        }
    }
}

/// A panic on the runtime goes on unwinding in the caller, as it would have
/// on the caller's own thread (the FFI turns it into an internal error).
fn resume<T>(r: std::result::Result<T, Panicked>) -> Result<T> {
    Ok(r.unwrap_or_else(|p| std::panic::resume_unwind(p)))
}

impl SyncClient {
    pub fn new(config: SyncConfig) -> Result<SyncClient> {
        let seed = config.jitter_seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0x9E37_79B9_7F4A_7C15, |d| d.as_nanos() as u64)
        }) | 1;
        Ok(SyncClient {
            inner: Arc::new(Inner {
                http: runtime::http()?,
                config,
                cancel: CancelHandle::default(),
                jitter: AtomicU64::new(seed),
                send_coding: AtomicU8::new(UNHEARD),
            }),
        })
    }

    pub fn cancel_handle(&self) -> CancelHandle {
        self.inner.cancel.clone()
    }

    /// Exchanges an enrollment code for a token (no token needed yet).
    pub async fn enroll(base_url: &str, code: &str, device_id: &str) -> Result<EnrollResponse> {
        let inner = SyncClient::new(SyncConfig::new(base_url, ""))?.inner;
        let body = serde_json::to_vec(&EnrollRequest {
            code: code.to_string(),
            device_id: device_id.to_string(),
        })?;
        resume(
            runtime::spawn(async move {
                inner
                    .request(reqwest::Method::POST, "/v1/enroll", Some(body), None)
                    .await
            })
            .await?,
        )?
    }

    /// [`SyncClient::enroll`], blocking this thread.
    pub fn enroll_blocking(base_url: &str, code: &str, device_id: &str) -> Result<EnrollResponse> {
        runtime::block_on(Self::enroll(base_url, code, device_id))?
    }

    /// One full sync (blobs, receipt numbers, push, pull), awaitable from any
    /// executor: the requests run on the shared runtime, the store work on its
    /// blocking pool. The listener hears the final state (idle or error) too.
    ///
    /// Dropping the future before it completes (a cancelled coroutine or
    /// task) cancels the sync at its next safe point, as
    /// [`CancelHandle::cancel`] does, rather than leaving it running unseen.
    pub async fn sync(
        &self,
        tech: Arc<Technician>,
        listener: Option<Arc<dyn SyncListener>>,
    ) -> Result<SyncReport> {
        let inner = self.inner.clone();
        let mut on_drop = CancelOnDrop(Some(self.cancel_handle()));
        let joined =
            runtime::spawn(
                async move { inner.sync(Store::Pooled(tech), listener.as_deref()).await },
            )
            .await;
        on_drop.0 = None;
        resume(joined?)?
    }

    /// [`SyncClient::sync`], blocking this thread; store work runs here.
    pub fn sync_now(
        &self,
        tech: &Technician,
        listener: Option<&dyn SyncListener>,
    ) -> Result<SyncReport> {
        runtime::block_on(self.inner.sync(Store::Here(tech), listener))?
    }
}

impl Inner {
    /// A random factor in [0.5, 1.0) for backoff jitter (xorshift; no crypto needed).
    fn jitter(&self) -> f64 {
        let mut x = self.jitter.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.jitter.store(x, Ordering::Relaxed);
        0.5 + (x >> 11) as f64 / (1u64 << 53) as f64 / 2.0
    }

    /// The coding to send a body of `len` bytes of `content_type` in, if any.
    fn coding_for(&self, content_type: &str, len: usize) -> Option<Coding> {
        if content_type != "application/json" || len < encoding::MIN_COMPRESSED_BYTES {
            // Photos are JPEG and PNG, compressed already.
            return None;
        }
        match self.send_coding.load(Ordering::Relaxed) {
            ZSTD => Some(Coding::Zstd),
            GZIP => Some(Coding::Gzip),
            _ => None,
        }
    }

    /// Learns from an answer's `Accept-Encoding` which coding HQ takes bodies in.
    fn learn_coding(&self, headers: &reqwest::header::HeaderMap) {
        let Some(accepted) = headers
            .get(reqwest::header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
        else {
            return;
        };
        let code = match encoding::preferred(accepted) {
            Some(Coding::Zstd) => ZSTD,
            Some(Coding::Gzip) => GZIP,
            None => PLAIN,
        };
        self.send_coding.store(code, Ordering::Relaxed);
    }

    async fn once<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Vec<u8>>,
        content_type: &str,
    ) -> Result<Attempt<T>> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.config.base_url))
            .timeout(Duration::from_millis(self.config.request_timeout_ms))
            .header("content-type", content_type);
        if !self.config.token.is_empty() {
            req = req.bearer_auth(&self.config.token);
        }
        let mut coded = None;
        if let Some(b) = body {
            match self.coding_for(content_type, b.len()) {
                Some(c) => match encoding::encode(c, &b) {
                    Ok(packed) => {
                        coded = Some(c);
                        req = req
                            .header(reqwest::header::CONTENT_ENCODING, c.token())
                            .body(packed);
                    }
                    // Compression is an optimisation: a body it fails on goes plain.
                    Err(_) => req = req.body(b),
                },
                None => req = req.body(b),
            }
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return Ok(Attempt::Retry(e.to_string())),
        };
        let status = resp.status();
        self.learn_coding(resp.headers());
        if status == reqwest::StatusCode::UNSUPPORTED_MEDIA_TYPE && coded.is_some() {
            // HQ no longer takes that coding (and said which it takes, if
            // any): the same body again, as HQ now asks.
            if resp
                .headers()
                .get(reqwest::header::ACCEPT_ENCODING)
                .is_none()
            {
                self.send_coding.store(PLAIN, Ordering::Relaxed);
            }
            return Ok(Attempt::Retry(format!(
                "HQ does not take {} bodies",
                coded.map_or("", Coding::token)
            )));
        }
        let bytes = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => return Ok(Attempt::Retry(format!("reading the response: {e}"))),
        };
        if status.is_server_error() {
            return Ok(Attempt::Retry(format!("HQ answered {status}")));
        }
        if !status.is_success() {
            let message = serde_json::from_slice::<ErrorBody>(&bytes).map_or_else(
                |_| String::from_utf8_lossy(&bytes).into_owned(),
                |b| b.message,
            );
            return Err(Error::Hq {
                status: status.as_u16(),
                message,
            });
        }
        if bytes.is_empty() {
            return serde_json::from_slice(b"null")
                .map(Attempt::Done)
                .map_err(|e| Error::Hq {
                    status: status.as_u16(),
                    message: format!("empty answer: {e}"),
                });
        }
        match serde_json::from_slice(&bytes) {
            Ok(v) => Ok(Attempt::Done(v)),
            // A truncated body is a network fault, not HQ's intent.
            Err(e) => Ok(Attempt::Retry(format!("unreadable answer: {e}"))),
        }
    }

    async fn request<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Vec<u8>>,
        listener: Option<&dyn SyncListener>,
    ) -> Result<T> {
        self.request_typed(method, path, body, "application/json", listener)
            .await
    }

    async fn request_typed<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Vec<u8>>,
        content_type: &str,
        listener: Option<&dyn SyncListener>,
    ) -> Result<T> {
        let mut last = String::new();
        for attempt in 0..self.config.max_attempts.max(1) {
            if self.cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            match self
                .once(method.clone(), path, body.clone(), content_type)
                .await?
            {
                Attempt::Done(v) => return Ok(v),
                Attempt::Retry(reason) => {
                    last = reason;
                    if attempt + 1 == self.config.max_attempts {
                        break;
                    }
                    let exp = self
                        .config
                        .base_backoff_ms
                        .saturating_mul(1u64 << attempt.min(20))
                        .min(self.config.max_backoff_ms);
                    let wait = (exp as f64 * self.jitter()) as u64;
                    if let Some(l) = listener {
                        l.on_state(SyncState::Offline {
                            retry_in_ms: wait,
                            reason: last.clone(),
                        });
                    }
                    // Sleep in short steps so a cancel is honoured promptly.
                    let mut left = wait;
                    while left > 0 {
                        if self.cancel.is_cancelled() {
                            return Err(Error::Cancelled);
                        }
                        let step = left.min(50);
                        tokio::time::sleep(Duration::from_millis(step)).await;
                        left -= step;
                    }
                }
            }
        }
        Err(Error::Offline { reason: last })
    }

    /// Uploads every photo and signature image HQ has not confirmed.
    async fn upload_blobs(
        &self,
        store: &Store<'_>,
        listener: Option<&dyn SyncListener>,
        report: &mut SyncReport,
    ) -> Result<()> {
        let say = |s: SyncState| {
            if let Some(l) = listener {
                l.on_state(s);
            }
        };
        let blobs = store
            .call(super::super::technician::Technician::pending_blobs)
            .await?;
        let total = blobs.len() as u64;
        for (i, sha) in blobs.into_iter().enumerate() {
            say(SyncState::UploadingBlobs {
                done: i as u64,
                total,
            });
            let key = sha.clone();
            if let Some((media, bytes)) = store.call(move |t| t.blob(&key)).await? {
                let _: serde_json::Value = self
                    .request_typed(
                        reqwest::Method::PUT,
                        &format!("/v1/blobs/{sha}"),
                        Some(bytes),
                        &media,
                        listener,
                    )
                    .await?;
                store.call(move |t| t.mark_blob_uploaded(&sha)).await?;
                report.blobs_uploaded += 1;
            }
        }
        Ok(())
    }

    /// Pushes the outbox in batches, trimming only what HQ acknowledged.
    async fn push_outbox(
        &self,
        store: &Store<'_>,
        listener: Option<&dyn SyncListener>,
        report: &mut SyncReport,
    ) -> Result<()> {
        let say = |s: SyncState| {
            if let Some(l) = listener {
                l.on_state(s);
            }
        };
        let total = store
            .call(super::super::technician::Technician::outbox_len)
            .await? as u64;
        let batch = self.config.batch_size;
        if total > 0 && self.send_coding.load(Ordering::Relaxed) == UNHEARD {
            // One small question first, so that even the first batch goes
            // compressed if HQ takes it (HQ lists its codings on every answer);
            // once per client, and a failure just leaves the batch plain.
            let _ = self
                .once::<serde_json::Value>(
                    reqwest::Method::GET,
                    "/v1/health",
                    None,
                    "application/json",
                )
                .await;
        }
        // Photos still to upload, counted once for the pushes: the photos went
        // before them, and counting scans every stored photo.
        let blobs = count(store.call(|t| Ok(t.pending_blobs()?.len())).await?);
        loop {
            let ops = store.call(move |t| t.pending_ops(batch)).await?;
            let Some(first_seq) = ops.first().map(|op| op.seq) else {
                break;
            };
            say(SyncState::Pushing {
                done: report.ops_pushed,
                total,
            });
            // What stays on the phone once this batch is in (the console shows it).
            let batch_len = ops.len();
            let backlog = store
                .call(move |t| {
                    Ok(Backlog {
                        ops: count(
                            usize::try_from(t.outbox_len()?)
                                .unwrap_or(0)
                                .saturating_sub(batch_len),
                        ),
                        blobs,
                    })
                })
                .await?;
            let body = serde_json::to_vec(&PushRequest {
                ops,
                backlog: Some(backlog),
            })?;
            super::crash_point("push-sending");
            let resp: PushResponse = self
                .request(
                    reqwest::Method::POST,
                    // The answer lists only what HQ did not apply: the
                    // applied ones are implied by `last_applied_seq`.
                    "/v1/sync/push?omit_applied=true",
                    Some(body),
                    listener,
                )
                .await?;
            super::crash_point("push-answered");
            let last_applied_seq = resp.last_applied_seq;
            let ack = store.call(move |t| t.acknowledge(&resp)).await?;
            report.ops_pushed += ack.trimmed as u64;
            report.ops_applied += ack.applied as u64;
            report.ops_duplicate += ack.duplicates as u64;
            report.ops_rejected += ack.rejected as u64;
            if ack.trimmed == 0 {
                return Err(Error::Hq {
                    status: 409,
                    message: format!(
                        "HQ acknowledged nothing (it has up to seq {last_applied_seq}, the outbox starts at {first_seq})"
                    ),
                });
            }
        }
        say(SyncState::Pushing {
            done: report.ops_pushed,
            total,
        });
        Ok(())
    }

    /// HQ revoked this device with wipe: hand in everything still unsent
    /// (photos, then ops: the token still takes those), and only once HQ has
    /// acknowledged all of it delete the store and answer [`Error::Wiped`],
    /// for the shell to delete its key and sign out. If anything is left
    /// (offline halfway), nothing is deleted: the next sync tries again.
    async fn hand_in_and_wipe(
        &self,
        store: &Store<'_>,
        listener: Option<&dyn SyncListener>,
    ) -> Result<SyncReport> {
        let mut report = SyncReport::default();
        self.upload_blobs(store, listener, &mut report).await?;
        self.push_outbox(store, listener, &mut report).await?;
        let (ops, blobs) = store
            .call(|t| Ok((t.outbox_len()?, t.pending_blobs()?.len())))
            .await?;
        if ops > 0 || blobs > 0 {
            return Err(Error::Hq {
                status: 410,
                message: format!(
                    "wipe ordered, but {ops} ops and {blobs} photos are still unsent: kept for the next sync"
                ),
            });
        }
        store.call(Technician::wipe_store).await?;
        Err(Error::Wiped)
    }

    /// One sync, then its outcome to the listener (idle or error).
    async fn sync(
        &self,
        store: Store<'_>,
        listener: Option<&dyn SyncListener>,
    ) -> Result<SyncReport> {
        self.cancel.reset();
        let result = match self.run(&store, listener).await {
            // HQ revoked this device with wipe (410 `wipe`).
            Err(Error::Hq { status: 410, .. }) => self.hand_in_and_wipe(&store, listener).await,
            other => other,
        };
        if let Some(l) = listener {
            l.on_state(match &result {
                Ok(_) => SyncState::Idle,
                Err(e) => SyncState::Error {
                    message: e.to_string(),
                },
            });
        }
        result
    }

    async fn run(
        &self,
        store: &Store<'_>,
        listener: Option<&dyn SyncListener>,
    ) -> Result<SyncReport> {
        let mut report = SyncReport::default();
        let say = |s: SyncState| {
            if let Some(l) = listener {
                l.on_state(s);
            }
        };

        // 0. Customer data whose time is up leaves the phone: jobs handed over
        //    longer ago than HQ's retention period, and jobs HQ cancelled or
        //    gave to someone else at an earlier sync (the technician has seen
        //    why in between), once HQ has all of them.
        report.jobs_purged = store
            .call(super::super::technician::Technician::purge_due)
            .await?
            .len() as u64;

        // 1. Blobs first: the ops that reference them must not arrive before them.
        self.upload_blobs(store, listener, &mut report).await?;

        // 2. Receipt numbers while online.
        if store
            .call(super::super::technician::Technician::receipt_numbers_left)
            .await?
            < RECEIPT_LOW_WATER
        {
            let block: NumberBlock = self
                .request(reqwest::Method::POST, "/v1/receipt-blocks", None, listener)
                .await?;
            store.call(move |t| t.grant_receipt_block(&block)).await?;
            report.receipt_blocks += 1;
        }

        // 3. Push the outbox in batches; trim only what HQ acknowledged.
        self.push_outbox(store, listener, &mut report).await?;

        // 4. Pull the change feed.
        loop {
            say(SyncState::Pulling {
                received: report.changes_pulled,
            });
            let cursor = store
                .call(super::super::technician::Technician::pull_cursor)
                .await?;
            let page: PullResponse = self
                .request(
                    reqwest::Method::GET,
                    &format!("/v1/sync/pull?cursor={cursor}&limit=500"),
                    None,
                    listener,
                )
                .await?;
            super::protocol::check_pull(&page)?;
            report.changes_pulled += page.changes.len() as u64;
            let has_more = page.has_more;
            store.call(move |t| t.apply_pulled(&page)).await?;
            if !has_more {
                break;
            }
        }
        Ok(report)
    }
}

/// A count as the protocol carries it (saturating: a phone never holds 4 billion ops).
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jitters(seed: Option<u64>) -> Vec<f64> {
        let mut config = SyncConfig::new("http://127.0.0.1:1", "token");
        config.jitter_seed = seed;
        let client = SyncClient::new(config).unwrap_or_else(|e| panic!("client: {e}"));
        (0..16).map(|_| client.inner.jitter()).collect()
    }

    /// A fault run that replays its seed must retry on the same schedule.
    #[test]
    fn a_jitter_seed_replays_the_same_backoff() {
        assert_eq!(jitters(Some(7)), jitters(Some(7)), "one seed, one schedule");
        assert_ne!(jitters(Some(7)), jitters(Some(8)), "another seed differs");
        assert!(jitters(Some(7)).iter().all(|j| (0.5..1.0).contains(j)));
    }
}
