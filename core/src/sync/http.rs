//! How the sync client reaches HQ: through the platform's HTTP stack on a
//! phone, through reqwest in Rust programs.
//!
//! A phone already carries an HTTP client that knows the device: Android's
//! `HttpURLConnection` (or the app's OkHttp) and iOS's `URLSession` use the
//! system's trusted certificates (and an enterprise's installed ones), its
//! proxy settings, its TLS updates, and the radio's power rules. Shipping a
//! second stack (hyper, rustls, ring and their certificates) inside the
//! library cost about a fifth of it (BENCHMARKS.md, "The phone library's
//! size") and would still ignore those settings. So the phone's shell hands
//! the core an [`HttpBackend`], as mozilla's application-services do with
//! their `viaduct` component; the CLI, the tests and the benchmarks use
//! reqwest (the `reqwest` feature), which the phone library does not build.
//!
//! The backend is deliberately dumb: it sends the request as given (the core
//! sets every header, compresses the body and encodes nothing else), does
//! not follow redirects, and hands back status, headers and the body's bytes.
//! Everything that is a rule (retries, codings, errors, resumable uploads)
//! stays in the core, the same on both platforms and tested here.

use std::sync::Arc;

use crate::sync::runtime;

/// One header of a request or an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
}

/// A request the core wants sent, complete: the backend adds nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET`, `POST`, `PUT` or `PATCH`.
    pub method: String,
    pub url: String,
    pub headers: Vec<HttpHeader>,
    /// Empty for a request without a body.
    pub body: Vec<u8>,
    /// The whole exchange (connect, send, answer) must end within this.
    pub timeout_ms: u64,
}

/// HQ's answer as it came: any status (4xx and 5xx included, they are
/// answers, not transport failures), the body's bytes as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<HttpHeader>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of header `name` (case-insensitive, as HTTP names are).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }
}

/// Sends one request and waits for the whole answer, blocking the calling
/// thread (the core calls it from its blocking pool, never from a task).
///
/// `Err` is for "no answer" only: no connection, a reset, a timeout, a body
/// cut short. The core retries those with backoff; the text is for logs and
/// the technician's "offline" line, so it must not carry request bodies.
pub trait HttpBackend: Send + Sync {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, String>;
}

/// The way a [`SyncClient`](super::SyncClient) sends its requests.
#[derive(Clone)]
pub enum Transport {
    /// The platform's HTTP stack, from the shell.
    Platform(Arc<dyn HttpBackend>),
    /// reqwest on the core's runtime (CLI, tests, benchmarks).
    #[cfg(feature = "reqwest")]
    Reqwest(reqwest::Client),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Transport::Platform(_) => "Transport::Platform",
            #[cfg(feature = "reqwest")]
            Transport::Reqwest(_) => "Transport::Reqwest",
        })
    }
}

impl Transport {
    /// reqwest with the process-wide connection pool.
    #[cfg(feature = "reqwest")]
    pub fn reqwest() -> crate::Result<Transport> {
        Ok(Transport::Reqwest(runtime::http()?))
    }

    /// Sends `request`; `Err` when no answer came (see [`HttpBackend::send`]).
    /// A platform backend runs on the runtime's blocking pool; a panic in it
    /// goes on unwinding in the caller (the FFI turns it into an error).
    pub(crate) async fn send(&self, request: HttpRequest) -> Result<HttpResponse, String> {
        match self {
            Transport::Platform(backend) => {
                let backend = backend.clone();
                match runtime::spawn_blocking(move || backend.send(request)).await {
                    Ok(Ok(answer)) => answer,
                    Ok(Err(panicked)) => std::panic::resume_unwind(panicked),
                    Err(e) => Err(e.to_string()),
                }
            }
            #[cfg(feature = "reqwest")]
            Transport::Reqwest(client) => by_reqwest(client, request).await,
        }
    }
}

#[cfg(feature = "reqwest")]
async fn by_reqwest(
    client: &reqwest::Client,
    request: HttpRequest,
) -> Result<HttpResponse, String> {
    let method =
        reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|e| e.to_string())?;
    let mut req = client
        .request(method, &request.url)
        .timeout(std::time::Duration::from_millis(request.timeout_ms));
    for h in &request.headers {
        req = req.header(&h.name, &h.value);
    }
    if !request.body.is_empty() {
        req = req.body(request.body);
    }
    let resp = req.send().await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .filter_map(|(name, value)| {
            Some(HttpHeader {
                name: name.as_str().to_string(),
                value: value.to_str().ok()?.to_string(),
            })
        })
        .collect();
    let body = resp
        .bytes()
        .await
        .map_err(|e| format!("reading the answer: {e}"))?;
    Ok(HttpResponse {
        status,
        headers,
        body: body.to_vec(),
    })
}
