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

fn headers_in(h: Vec<HttpHeader>) -> Vec<onsite_core::sync::HttpHeader> {
    h.into_iter()
        .map(|h| onsite_core::sync::HttpHeader {
            name: h.name,
            value: h.value,
        })
        .collect()
}

impl onsite_core::sync::HttpBackend for Platform {
    fn send(
        &self,
        r: onsite_core::sync::HttpRequest,
    ) -> Result<onsite_core::sync::HttpResponse, String> {
        let request = HttpRequest {
            method: r.method,
            url: r.url,
            headers: r
                .headers
                .into_iter()
                .map(|h| HttpHeader {
                    name: h.name,
                    value: h.value,
                })
                .collect(),
            body: r.body,
            timeout_ms: r.timeout_ms,
        };
        match self.0.send(request) {
            Ok(a) => Ok(onsite_core::sync::HttpResponse {
                status: a.status,
                headers: headers_in(a.headers),
                body: a.body,
            }),
            Err(HttpError::Transport { reason }) => Err(reason),
        }
    }
}
