//! HQ's errors, each mapped to an HTTP status and a JSON error body.

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
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl HqError {
    fn code(&self) -> (StatusCode, &'static str) {
        match self {
            HqError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            HqError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            HqError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            HqError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            HqError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            HqError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            HqError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            HqError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for HqError {
    fn into_response(self) -> Response {
        let (status, code) = self.code();
        let body = ErrorBody {
            error: code.to_string(),
            message: self.to_string(),
        };
        (status, axum::Json(body)).into_response()
    }
}

impl From<rusqlite::Error> for HqError {
    fn from(e: rusqlite::Error) -> Self {
        HqError::Internal(format!("sqlite: {e}"))
    }
}

impl From<postgres::Error> for HqError {
    fn from(e: postgres::Error) -> Self {
        if e.is_closed() {
            HqError::Unavailable(e.to_string())
        } else {
            HqError::Internal(format!("postgres: {e}"))
        }
    }
}

impl From<serde_json::Error> for HqError {
    fn from(e: serde_json::Error) -> Self {
        HqError::Internal(format!("json: {e}"))
    }
}

impl From<onsite_core::Error> for HqError {
    fn from(e: onsite_core::Error) -> Self {
        HqError::BadRequest(e.to_string())
    }
}
