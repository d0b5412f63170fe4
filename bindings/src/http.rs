//! The HTTP backend the shell hands the core: the platform's own stack
//! (Android's `HttpURLConnection`, iOS's `URLSession`) instead of one inside
//! the library. The records mirror `onsite_core::sync::http` one-to-one; the
//! core decides every header, coding and retry.

use std::sync::Arc;

/// One header of a request or an answer.
#[derive(Debug, Clone, uniffi::Record)]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
}

/// A request to send exactly as given: method, URL, headers and body are
/// complete (the backend adds no header and compresses nothing).
#[derive(Debug, Clone, uniffi::Record)]
pub struct HttpRequest {
    /// `GET`, `POST`, `PUT` or `PATCH`.
    pub method: String,
    pub url: String,
    pub headers: Vec<HttpHeader>,
    /// Empty for a request without a body.
    pub body: Vec<u8>,
    /// The whole exchange must end within this many milliseconds.
    pub timeout_ms: u64,
}

/// The answer as it came: any status (an error status is an answer, not a
/// transport failure), every header, the body's bytes.
#[derive(Debug, Clone, uniffi::Record)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<HttpHeader>,
    pub body: Vec<u8>,
}

/// No answer came: no connection, a reset, a timeout, a body cut short. The
/// core retries with backoff and reports the technician offline meanwhile.
#[derive(Debug, Clone, thiserror::Error, uniffi::Error)]
pub enum HttpError {
    #[error("{reason}")]
    Transport { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for HttpError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        HttpError::Transport { reason: e.reason }
    }
}

/// Sends one request and blocks until the whole answer is in. The core calls
/// it from a background thread of its own, never the main thread. It must not
/// follow redirects or decode the body; timeouts are `request.timeout_ms`.
#[uniffi::export(with_foreign)]
pub trait HttpBackend: Send + Sync {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError>;
}

/// The shell's backend as the core's.
pub(crate) struct Platform(pub Arc<dyn HttpBackend>);

impl Platform {
    pub(crate) fn transport(backend: Arc<dyn HttpBackend>) -> onsite_core::sync::Transport {
        onsite_core::sync::Transport::Platform(Arc::new(Platform(backend)))
    }
}

// One-to-one conversions with the core's records, both ways: the core's
// request goes out to the shell, the shell's answer comes back in (and a Rust
// program standing in for a shell converts the other way).

impl From<onsite_core::sync::HttpHeader> for HttpHeader {
    fn from(h: onsite_core::sync::HttpHeader) -> Self {
        HttpHeader {
            name: h.name,
            value: h.value,
        }
    }
}

impl From<HttpHeader> for onsite_core::sync::HttpHeader {
    fn from(h: HttpHeader) -> Self {
        onsite_core::sync::HttpHeader {
            name: h.name,
            value: h.value,
        }
    }
}

impl From<onsite_core::sync::HttpRequest> for HttpRequest {
    fn from(r: onsite_core::sync::HttpRequest) -> Self {
        HttpRequest {
            method: r.method,
            url: r.url,
            headers: r.headers.into_iter().map(Into::into).collect(),
            body: r.body,
            timeout_ms: r.timeout_ms,
        }
    }
}

impl From<HttpRequest> for onsite_core::sync::HttpRequest {
    fn from(r: HttpRequest) -> Self {
        onsite_core::sync::HttpRequest {
            method: r.method,
            url: r.url,
            headers: r.headers.into_iter().map(Into::into).collect(),
            body: r.body,
            timeout_ms: r.timeout_ms,
        }
    }
}

impl From<onsite_core::sync::HttpResponse> for HttpResponse {
    fn from(a: onsite_core::sync::HttpResponse) -> Self {
        HttpResponse {
            status: a.status,
            headers: a.headers.into_iter().map(Into::into).collect(),
            body: a.body,
        }
    }
}

impl From<HttpResponse> for onsite_core::sync::HttpResponse {
    fn from(a: HttpResponse) -> Self {
        onsite_core::sync::HttpResponse {
            status: a.status,
            headers: a.headers.into_iter().map(Into::into).collect(),
            body: a.body,
        }
    }
}

impl onsite_core::sync::HttpBackend for Platform {
    fn send(
        &self,
        r: onsite_core::sync::HttpRequest,
    ) -> Result<onsite_core::sync::HttpResponse, String> {
        match self.0.send(r.into()) {
            Ok(answer) => Ok(answer.into()),
            Err(HttpError::Transport { reason }) => Err(reason),
        }
    }
}
