//! HQ's errors, each mapped to an HTTP status and a JSON error body.
//!
//! A database or internal failure is logged with its detail and a reference,
//! and answered with a generic message carrying that reference: a client never
//! sees a raw SQLite or PostgreSQL message. Details are built so that they hold
//! no customer data (no row values, no JSON values): see the `From` impls.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use onsite_core::sync::protocol::ErrorBody;

pub type Result<T, E = HqError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum HqError {
    #[error("missing or invalid token")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    #[error("body larger than {0} bytes")]
    TooLarge(usize),
    /// A body in a content coding HQ does not decode (415; the answer's
    /// `Accept-Encoding` lists those it does).
    #[error("HQ does not decode {0} bodies: send zstd, gzip or plain (总部不支持此压缩格式)")]
    UnsupportedEncoding(String),
    /// A sum or difference of money HQ computes does not fit in an amount.
    #[error("the {0} does not fit in an amount of money")]
    AmountOverflow(String),
    /// Too many wrong enrollment codes from the caller's address: try again
    /// after this many seconds (also in the `Retry-After` header).
    #[error("too many wrong codes from this address; try again in {0} s (此地址输错次数过多,请 {0} 秒后再试)")]
    TooManyRequests(u64),
    /// The last chunk of a resumable upload is in but the whole does not
    /// hash to its address: nothing stored, the chunks dropped (422).
    #[error("the whole blob does not hash to its address: nothing was stored, send it again from the start (照片数据校验失败,未保存,请重新上传)")]
    BlobMismatch,
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The device was revoked with wipe: it must delete its store and sign
    /// out (410 `wipe`). Only pushing what it holds unsent is still allowed.
    #[error("this device was revoked with wipe: delete its data and sign out (此设备已被撤销并要求擦除)")]
    Wipe,
    #[error("internal error: {0}")]
    Internal(String),
}

impl HqError {
    /// Every code an error body can carry, as the contract lists them.
    pub const CODES: [&'static str; 13] = [
        "unauthorized",
        "forbidden",
        "not_found",
        "bad_request",
        "conflict",
        "too_large",
        "amount_overflow",
        "too_many_requests",
        "unavailable",
        "internal",
        "wipe",
        "unsupported_encoding",
        "blob_mismatch",
    ];

    /// The HTTP status and the stable code of the JSON body.
    pub fn code(&self) -> (StatusCode, &'static str) {
        match self {
            HqError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            HqError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            HqError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            HqError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            HqError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            HqError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            HqError::AmountOverflow(_) => (StatusCode::UNPROCESSABLE_ENTITY, "amount_overflow"),
            HqError::TooManyRequests(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            HqError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            HqError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            HqError::Wipe => (StatusCode::GONE, "wipe"),
            HqError::BlobMismatch => (StatusCode::UNPROCESSABLE_ENTITY, "blob_mismatch"),
            HqError::UnsupportedEncoding(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_encoding")
            }
        }
    }
}

impl IntoResponse for HqError {
    fn into_response(self) -> Response {
        let (status, code) = self.code();
        // The request's closing log line carries the code (see `api::trace_request`).
        tracing::Span::current().record("error", code);
        let message = match &self {
            // The detail goes to HQ's log under a reference; the client gets the reference.
            HqError::Internal(detail) | HqError::Unavailable(detail) => {
                let reference = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
                tracing::error!(
                    code,
                    error_ref = %reference,
                    detail = %detail,
                    "request failed"
                );
                match self {
                    HqError::Unavailable(_) => {
                        format!("the database is unavailable; try again (ref {reference})")
                    }
                    _ => format!("internal error; HQ's log has the details (ref {reference})"),
                }
            }
            // A refusal is logged by its code only (on the request's line): its
            // message may quote the request, and a request may hold customer data.
            _ => self.to_string(),
        };
        let retry_after = match self {
            HqError::TooManyRequests(s) => Some(s.max(1)),
            _ => None,
        };
        let body = ErrorBody {
            error: code.to_string(),
            message,
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(s) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, s.into());
        }
        response
    }
}

impl From<rusqlite::Error> for HqError {
    /// SQLite's messages name tables and columns, never values.
    fn from(e: rusqlite::Error) -> Self {
        HqError::Internal(format!("sqlite: {e}"))
    }
}

impl From<tokio_postgres::Error> for HqError {
    /// Only the SQLSTATE and the primary message: PostgreSQL's DETAIL may quote a row.
    fn from(e: tokio_postgres::Error) -> Self {
        if e.is_closed() {
            return HqError::Unavailable("postgres: connection closed".into());
        }
        match e.as_db_error() {
            Some(db) => {
                HqError::Internal(format!("postgres {}: {}", db.code().code(), db.message()))
            }
            None => HqError::Internal(format!("postgres: {e}")),
        }
    }
}

impl From<deadpool_postgres::PoolError> for HqError {
    /// No connection to be had (the database is down or the pool exhausted
    /// for too long): the caller may retry, HQ is not broken.
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            e => HqError::Unavailable(format!("postgres pool: {e}")),
        }
    }
}

impl From<serde_json::Error> for HqError {
    /// Where and what kind, not serde's message, which may quote a value.
    fn from(e: serde_json::Error) -> Self {
        HqError::Internal(format!(
            "json: {:?} error at line {} column {}",
            e.classify(),
            e.line(),
            e.column()
        ))
    }
}

impl From<onsite_core::Error> for HqError {
    fn from(e: onsite_core::Error) -> Self {
        HqError::BadRequest(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The contract's list of codes is every code HQ answers with.
    #[test]
    fn every_code_is_listed() {
        let all = [
            HqError::Unauthorized,
            HqError::Forbidden(String::new()),
            HqError::NotFound(String::new()),
            HqError::BadRequest(String::new()),
            HqError::Conflict(String::new()),
            HqError::TooLarge(0),
            HqError::AmountOverflow(String::new()),
            HqError::TooManyRequests(0),
            HqError::Unavailable(String::new()),
            HqError::Internal(String::new()),
            HqError::Wipe,
            HqError::UnsupportedEncoding(String::new()),
            HqError::BlobMismatch,
        ];
        let codes: Vec<&str> = all.iter().map(|e| e.code().1).collect();
        assert_eq!(codes, HqError::CODES);
    }
}
