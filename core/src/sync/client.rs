//! The sync client, on the core's one tokio runtime, over the platform's HTTP
//! stack or reqwest ([`super::http`]).
//!
//! A sync tops up receipt numbers while online, pushes the outbox in batches
//! (trimming only what HQ acknowledged; each batch names the photos its facts
//! refer to that are still on their way), pulls the change feed, and then
//! uploads photos smallest first, in resumable chunks ([`super::upload`]): on
//! a weak link the service centre sees the visit, and the technician HQ's
//! changes, without waiting behind a photo. Transient failures
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
use crate::store::blobs::PendingBlob;
use crate::sync::encoding::{self, Coding};
use crate::sync::http::{HttpHeader, HttpRequest, HttpResponse, Transport};
use crate::sync::protocol::{
    Backlog, EnrollRequest, EnrollResponse, ErrorBody, PullResponse, PushRequest, PushResponse,
};
use crate::sync::runtime::{self, Panicked};
use crate::sync::upload::{self, UploadProgress};
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
    /// Photo chunks of this many bytes; `None` sizes them to the link (see
    /// [`super::upload`]). Tests fix it to split small photos.
    pub chunk_bytes: Option<u64>,
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
            chunk_bytes: None,
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
    transport: Transport,
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

/// HQ's answer to one chunk.
enum ChunkAnswer {
    Progress(UploadProgress),
    /// HQ's bytes end elsewhere (409): resume there.
    Elsewhere(u64),
    /// The whole did not hash to its name (422): HQ dropped it.
    Mismatch,
    /// HQ has no resumable uploads (older than this phone).
    NoChunks,
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

/// A push built and ready to send.
struct Batch {
    first_seq: i64,
    last_seq: i64,
    body: Body,
}

/// A request's JSON body, and the same compressed when it was packed ahead
/// ([`Inner::pack`]); sent plain or coded anew if HQ's coding changed since.
#[derive(Clone)]
struct Body {
    plain: Vec<u8>,
    packed: Option<(Coding, Vec<u8>)>,
}

impl From<Vec<u8>> for Body {
    fn from(plain: Vec<u8>) -> Body {
        Body {
            plain,
            packed: None,
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

fn header(name: &str, value: &str) -> HttpHeader {
    HttpHeader {
        name: name.to_string(),
        value: value.to_string(),
    }
}

impl SyncClient {
    /// A client over reqwest (the CLI, tests, benchmarks).
    #[cfg(feature = "reqwest")]
    pub fn new(config: SyncConfig) -> Result<SyncClient> {
        Ok(SyncClient::over(Transport::reqwest()?, config))
    }

    /// A client that sends its requests by `transport` (a phone: the
    /// platform's HTTP stack, see [`super::http`]).
    pub fn over(transport: Transport, config: SyncConfig) -> SyncClient {
        let seed = config.jitter_seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0x9E37_79B9_7F4A_7C15, |d| d.as_nanos() as u64)
        }) | 1;
        SyncClient {
            inner: Arc::new(Inner {
                transport,
                config,
                cancel: CancelHandle::default(),
                jitter: AtomicU64::new(seed),
                send_coding: AtomicU8::new(UNHEARD),
            }),
        }
    }

    pub fn cancel_handle(&self) -> CancelHandle {
        self.inner.cancel.clone()
    }

    /// Exchanges an enrollment code for a token (no token needed yet), over reqwest.
    #[cfg(feature = "reqwest")]
    pub async fn enroll(base_url: &str, code: &str, device_id: &str) -> Result<EnrollResponse> {
        Self::enroll_over(Transport::reqwest()?, base_url, code, device_id).await
    }

    /// Exchanges an enrollment code for a token, sending by `transport`.
    pub async fn enroll_over(
        transport: Transport,
        base_url: &str,
        code: &str,
        device_id: &str,
    ) -> Result<EnrollResponse> {
        let inner = SyncClient::over(transport, SyncConfig::new(base_url, "")).inner;
        let body = serde_json::to_vec(&EnrollRequest {
            code: code.to_string(),
            device_id: device_id.to_string(),
        })?;
        resume(
            runtime::spawn(
                async move { inner.request("POST", "/v1/enroll", Some(body), None).await },
            )
            .await?,
        )?
    }

    /// [`SyncClient::enroll`], blocking this thread.
    #[cfg(feature = "reqwest")]
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
    fn learn_coding(&self, resp: &HttpResponse) {
        let Some(accepted) = resp.header("accept-encoding") else {
            return;
        };
        let code = match encoding::preferred(accepted) {
            Some(Coding::Zstd) => ZSTD,
            Some(Coding::Gzip) => GZIP,
            None => PLAIN,
        };
        self.send_coding.store(code, Ordering::Relaxed);
    }

    /// A request to HQ with the headers every request carries: the token,
    /// the codings this side reads answers in.
    fn request_to(&self, method: &str, path: &str, content_type: &str) -> HttpRequest {
        let mut headers = vec![
            header("content-type", content_type),
            header("accept-encoding", encoding::ACCEPT),
        ];
        if !self.config.token.is_empty() {
            headers.push(header(
                "authorization",
                &format!("Bearer {}", self.config.token),
            ));
        }
        HttpRequest {
            method: method.to_string(),
            url: format!("{}{path}", self.config.base_url),
            headers,
            body: Vec::new(),
            timeout_ms: self.config.request_timeout_ms,
        }
    }

    async fn once<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<Body>,
        content_type: &str,
    ) -> Result<Attempt<T>> {
        let mut req = self.request_to(method, path, content_type);
        let mut coded = None;
        if let Some(Body { plain: b, packed }) = body {
            let want = self.coding_for(content_type, b.len());
            match want {
                // Packed ahead in the coding HQ still takes.
                Some(c) if packed.as_ref().is_some_and(|p| p.0 == c) => {
                    coded = Some(c);
                    req.headers.push(header("content-encoding", c.token()));
                    req.body = packed.map(|p| p.1).unwrap_or_default();
                }
                Some(c) => match encoding::encode(c, &b) {
                    Ok(packed) => {
                        coded = Some(c);
                        req.headers.push(header("content-encoding", c.token()));
                        req.body = packed;
                    }
                    // Compression is an optimisation: a body it fails on goes plain.
                    Err(_) => req.body = b,
                },
                None => req.body = b,
            }
        }
        let resp = match self.transport.send(req).await {
            Ok(r) => r,
            Err(reason) => return Ok(Attempt::Retry(reason)),
        };
        let status = resp.status;
        self.learn_coding(&resp);
        if status == 415 && coded.is_some() {
            // HQ no longer takes that coding (and said which it takes, if
            // any): the same body again, as HQ now asks.
            if resp.header("accept-encoding").is_none() {
                self.send_coding.store(PLAIN, Ordering::Relaxed);
            }
            return Ok(Attempt::Retry(format!(
                "HQ does not take {} bodies",
                coded.map_or("", Coding::token)
            )));
        }
        if status >= 500 {
            return Ok(Attempt::Retry(format!("HQ answered {status}")));
        }
        let coding = resp.header("content-encoding").map(str::to_string);
        let bytes = match encoding::decode_answer(coding.as_deref(), resp.body) {
            Ok(b) => b,
            // A truncated compressed body is a network fault, not HQ's intent.
            Err(e) => return Ok(Attempt::Retry(format!("unreadable answer: {e}"))),
        };
        if !(200..300).contains(&status) {
            let message = serde_json::from_slice::<ErrorBody>(&bytes).map_or_else(
                |_| String::from_utf8_lossy(&bytes).into_owned(),
                |b| b.message,
            );
            return Err(Error::Hq { status, message });
        }
        if bytes.is_empty() {
            return serde_json::from_slice(b"null")
                .map(Attempt::Done)
                .map_err(|e| Error::Hq {
                    status,
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
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
        listener: Option<&dyn SyncListener>,
    ) -> Result<T> {
        self.request_body(
            method,
            path,
            body.map(Body::from),
            "application/json",
            listener,
        )
        .await
    }

    async fn request_typed<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
        content_type: &str,
        listener: Option<&dyn SyncListener>,
    ) -> Result<T> {
        self.request_body(method, path, body.map(Body::from), content_type, listener)
            .await
    }

    async fn request_body<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<Body>,
        content_type: &str,
        listener: Option<&dyn SyncListener>,
    ) -> Result<T> {
        self.retrying(listener, || {
            self.once(method, path, body.clone(), content_type)
        })
        .await
    }

    /// `plain` with, when HQ takes a coding and the body is worth it, the
    /// same bytes compressed now rather than when the request is sent (a
    /// push is built while the one before it travels).
    fn pack(&self, plain: Vec<u8>) -> Body {
        let packed = self
            .coding_for("application/json", plain.len())
            .and_then(|c| encoding::encode(c, &plain).ok().map(|p| (c, p)));
        Body { plain, packed }
    }

    /// Runs `attempt` until it is done, retrying what is worth retrying with
    /// exponential backoff and jitter, up to `max_attempts`; a cancel stops
    /// it between attempts.
    async fn retrying<T, F, Fut>(
        &self,
        listener: Option<&dyn SyncListener>,
        mut attempt: F,
    ) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Attempt<T>>>,
    {
        let mut last = String::new();
        for n in 0..self.config.max_attempts.max(1) {
            if self.cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            match attempt().await? {
                Attempt::Done(v) => return Ok(v),
                Attempt::Retry(reason) => {
                    last = reason;
                    if n + 1 == self.config.max_attempts {
                        break;
                    }
                    let exp = self
                        .config
                        .base_backoff_ms
                        .saturating_mul(1u64 << n.min(20))
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

    /// One try at sending `bytes[offset..offset + len]` of a blob as a chunk.
    async fn chunk_once(
        &self,
        sha256: &str,
        media_type: &str,
        bytes: &[u8],
        offset: usize,
        len: usize,
    ) -> Result<Attempt<ChunkAnswer>> {
        let end = offset.saturating_add(len).min(bytes.len());
        let mut req = self.request_to("PATCH", &format!("/v1/uploads/{sha256}"), media_type);
        req.headers
            .push(header(upload::UPLOAD_OFFSET, &offset.to_string()));
        req.headers
            .push(header(upload::UPLOAD_LENGTH, &bytes.len().to_string()));
        req.body = bytes.get(offset..end).unwrap_or_default().to_vec();
        let resp = match self.transport.send(req).await {
            Ok(r) => r,
            Err(reason) => return Ok(Attempt::Retry(reason)),
        };
        let status = resp.status;
        self.learn_coding(&resp);
        let hq_offset = resp
            .header(upload::UPLOAD_OFFSET)
            .and_then(|v| v.trim().parse::<u64>().ok());
        if status >= 500 {
            return Ok(Attempt::Retry(format!("HQ answered {status}")));
        }
        let coding = resp.header("content-encoding").map(str::to_string);
        let body = match encoding::decode_answer(coding.as_deref(), resp.body) {
            Ok(b) => b,
            Err(e) => return Ok(Attempt::Retry(format!("unreadable answer: {e}"))),
        };
        match status {
            200 | 201 => match serde_json::from_slice::<UploadProgress>(&body) {
                Ok(p) => Ok(Attempt::Done(ChunkAnswer::Progress(p))),
                Err(e) => Ok(Attempt::Retry(format!("unreadable answer: {e}"))),
            },
            409 if hq_offset.is_some() => Ok(Attempt::Done(ChunkAnswer::Elsewhere(
                hq_offset.unwrap_or(0),
            ))),
            422 => Ok(Attempt::Done(ChunkAnswer::Mismatch)),
            // An HQ older than resumable uploads: the blob goes whole.
            404 | 405 => Ok(Attempt::Done(ChunkAnswer::NoChunks)),
            _ => Err(Error::Hq {
                status,
                message: serde_json::from_slice::<ErrorBody>(&body).map_or_else(
                    |_| String::from_utf8_lossy(&body).into_owned(),
                    |b| b.message,
                ),
            }),
        }
    }

    /// Uploads every photo and signature image HQ does not hold, smallest
    /// first, each in chunks from where HQ's last acknowledgement ended.
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
        let pending = store
            .call(super::super::technician::Technician::pending_uploads)
            .await?;
        let total = pending.len() as u64;
        // The link as the last chunk found it, for the next chunk's size.
        let mut last: Option<(u64, Duration)> = None;
        for (i, blob) in pending.into_iter().enumerate() {
            say(SyncState::UploadingBlobs {
                done: i as u64,
                total,
            });
            let key = blob.sha256.clone();
            let Some((media, bytes)) = store.call(move |t| t.blob(&key)).await? else {
                continue;
            };
            if self
                .upload_one(store, &blob, &media, &bytes, listener, &mut last)
                .await?
            {
                let sha = blob.sha256.clone();
                store.call(move |t| t.mark_blob_uploaded(&sha)).await?;
                report.blobs_uploaded += 1;
            }
        }
        Ok(())
    }

    /// Sends one blob's chunks until HQ has stored it (true), recording each
    /// acknowledged offset so that a later sync resumes there.
    async fn upload_one(
        &self,
        store: &Store<'_>,
        blob: &PendingBlob,
        media: &str,
        bytes: &[u8],
        listener: Option<&dyn SyncListener>,
        last: &mut Option<(u64, Duration)>,
    ) -> Result<bool> {
        let size = bytes.len() as u64;
        let mut offset = blob.acked.min(size);
        let mut restarted = false;
        // A chunk that moves nothing forward (HQ and phone disagreeing in a
        // loop) must end the sync, not spin it.
        let mut stalls = 0;
        loop {
            if offset >= size && size > 0 {
                // Every byte acknowledged but the answer that said "stored"
                // lost: ask where it stands.
                offset = offset.min(size.saturating_sub(1));
            }
            let len = self
                .config
                .chunk_bytes
                .map_or_else(|| upload::next_chunk_bytes(*last), |n| n.max(1))
                .min(upload::MAX_CHUNK_BYTES)
                .min(size - offset.min(size));
            let started = std::time::Instant::now();
            let (o, l) = (offset as usize, len as usize);
            let answer = self
                .retrying(listener, || {
                    self.chunk_once(&blob.sha256, media, bytes, o, l)
                })
                .await?;
            super::crash_point("chunk-answered");
            let before = offset;
            match answer {
                ChunkAnswer::Progress(p) if p.stored => return Ok(true),
                ChunkAnswer::Progress(p) => {
                    *last = Some((len, started.elapsed()));
                    offset = p.offset.min(size);
                }
                ChunkAnswer::Elsewhere(at) => offset = at.min(size),
                ChunkAnswer::Mismatch if !restarted => {
                    restarted = true;
                    offset = 0;
                }
                ChunkAnswer::Mismatch => {
                    return Err(Error::Hq {
                        status: 422,
                        message: format!(
                            "HQ twice found photo {} not matching its name",
                            blob.sha256
                        ),
                    })
                }
                ChunkAnswer::NoChunks => {
                    let path = format!("/v1/blobs/{}", blob.sha256);
                    let _: serde_json::Value = self
                        .request_typed("PUT", &path, Some(bytes.to_vec()), media, listener)
                        .await?;
                    return Ok(true);
                }
            }
            stalls = if offset > before { 0 } else { stalls + 1 };
            if stalls > 3 {
                return Err(Error::Hq {
                    status: 409,
                    message: format!(
                        "the upload of photo {} does not move past byte {offset}",
                        blob.sha256
                    ),
                });
            }
            let (sha, at) = (blob.sha256.clone(), offset);
            store.call(move |t| t.note_blob_progress(&sha, at)).await?;
        }
    }

    /// Pushes the outbox in batches, trimming only what HQ acknowledged.
    ///
    /// The phone's work overlaps HQ's: while a push is on its way, the store
    /// records HQ's answer to the one before and builds the one after (ops
    /// are numbered without gaps, so the next batch is the ops after this
    /// one's last). Nothing is sent ahead of an answer: HQ still sees one
    /// push at a time, in order. Should HQ stop short of a batch's end (a gap
    /// it will not cross), the batch built ahead is dropped and the next is
    /// read again from the outbox's head once the answer is recorded.
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
        if total > 0 && self.send_coding.load(Ordering::Relaxed) == UNHEARD {
            // One small question first, so that even the first batch goes
            // compressed if HQ takes it (HQ lists its codings on every answer);
            // once per client, and a failure just leaves the batch plain.
            let _ = self
                .once::<serde_json::Value>("GET", "/v1/health", None, "application/json")
                .await;
        }
        let mut next = self.next_batch(store, None).await?;
        // HQ's answer to the last push, recorded while the next one travels.
        let mut answered: Option<(PushResponse, i64)> = None;
        while let Some(batch) = next.take() {
            say(SyncState::Pushing {
                done: report.ops_pushed,
                total,
            });
            super::crash_point("push-sending");
            let send = self.request_body::<PushResponse>(
                "POST",
                // The answer lists only what HQ did not apply: the
                // applied ones are implied by `last_applied_seq`.
                "/v1/sync/push?omit_applied=true",
                Some(batch.body),
                "application/json",
                listener,
            );
            let meanwhile = async {
                if let Some((resp, first_seq)) = answered.take() {
                    self.record_answer(store, resp, first_seq, report).await?;
                }
                self.next_batch(store, Some(batch.last_seq)).await
            };
            // `biased`: the push is under way before the store is busy.
            let (resp, following) = tokio::join!(biased; send, meanwhile);
            let (resp, following) = match (resp, following) {
                (Ok(resp), Ok(following)) => (resp, following),
                (Ok(resp), Err(e)) => {
                    // HQ has this batch: record that if the store still can.
                    let _ = self
                        .record_answer(store, resp, batch.first_seq, report)
                        .await;
                    return Err(e);
                }
                (Err(e), _) => return Err(e),
            };
            super::crash_point("push-answered");
            if resp.last_applied_seq == batch.last_seq {
                answered = Some((resp, batch.first_seq));
                next = following;
            } else {
                self.record_answer(store, resp, batch.first_seq, report)
                    .await?;
                next = self.next_batch(store, None).await?;
            }
        }
        if let Some((resp, first_seq)) = answered {
            self.record_answer(store, resp, first_seq, report).await?;
        }
        say(SyncState::Pushing {
            done: report.ops_pushed,
            total,
        });
        Ok(())
    }

    /// The next push, built: the outbox's ops after `after` (from its head
    /// when `None`), what stays on the phone behind them (the console shows
    /// it) and the photos they name that HQ may not have yet (photos go
    /// after the ops).
    async fn next_batch(&self, store: &Store<'_>, after: Option<i64>) -> Result<Option<Batch>> {
        let limit = self.config.batch_size;
        let built = store
            .call(move |t| {
                let ops = t.pending_ops_after(after.unwrap_or(0), limit)?;
                let (Some(first_seq), Some(last_seq)) =
                    (ops.first().map(|o| o.seq), ops.last().map(|o| o.seq))
                else {
                    return Ok(None);
                };
                let named: Vec<String> = ops
                    .iter()
                    .flat_map(|op| op.event.photos().iter().cloned())
                    .collect();
                let backlog = Backlog {
                    ops: count(usize::try_from(t.outbox_len_after(last_seq)?).unwrap_or(0)),
                    blobs: u32::try_from(t.pending_blob_count()?).unwrap_or(u32::MAX),
                };
                let body = serde_json::to_vec(&PushRequest {
                    ops,
                    backlog: Some(backlog),
                    uploading: t.unsent_among(named)?,
                })?;
                Ok(Some((first_seq, last_seq, body)))
            })
            .await?;
        Ok(built.map(|(first_seq, last_seq, body)| Batch {
            first_seq,
            last_seq,
            body: self.pack(body),
        }))
    }

    /// Records HQ's answer to the push that began at `first_seq`.
    async fn record_answer(
        &self,
        store: &Store<'_>,
        resp: PushResponse,
        first_seq: i64,
        report: &mut SyncReport,
    ) -> Result<()> {
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
        Ok(())
    }

    /// HQ revoked this device with wipe: hand in everything still unsent
    /// (ops, then photos: the token still takes those), and only once HQ has
    /// acknowledged all of it delete the store and answer [`Error::Wiped`],
    /// for the shell to delete its key and sign out. If anything is left
    /// (offline halfway), nothing is deleted: the next sync tries again.
    async fn hand_in_and_wipe(
        &self,
        store: &Store<'_>,
        listener: Option<&dyn SyncListener>,
    ) -> Result<SyncReport> {
        let mut report = SyncReport::default();
        self.push_outbox(store, listener, &mut report).await?;
        self.upload_blobs(store, listener, &mut report).await?;
        let (ops, blobs) = store
            .call(|t| Ok((t.outbox_len()?, t.pending_blob_count()?)))
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

        // 1. Receipt numbers while online.
        if store
            .call(super::super::technician::Technician::receipt_numbers_left)
            .await?
            < RECEIPT_LOW_WATER
        {
            let block: NumberBlock = self
                .request("POST", "/v1/receipt-blocks", None, listener)
                .await?;
            store.call(move |t| t.grant_receipt_block(&block)).await?;
            report.receipt_blocks += 1;
        }

        // 2. Push the outbox in batches; trim only what HQ acknowledged.
        //    Before the photos: the service centre sees the visit at once,
        //    its photos as they arrive (each push names those on their way).
        self.push_outbox(store, listener, &mut report).await?;

        // 3. Pull the change feed (small, and the technician's next jobs).
        loop {
            say(SyncState::Pulling {
                received: report.changes_pulled,
            });
            let cursor = store
                .call(super::super::technician::Technician::pull_cursor)
                .await?;
            let page: PullResponse = self
                .request(
                    "GET",
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

        // 4. Photos, smallest first, each resumable where it stopped.
        self.upload_blobs(store, listener, &mut report).await?;
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
