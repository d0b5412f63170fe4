//! What a handler needs from a request, each answered with HQ's typed error
//! when it is missing or wrong: who is calling (the service centre's admin
//! token or a device token), a JSON body within its limit, query and path
//! parameters. A handler names what it needs in its arguments and never
//! repeats the checks; axum runs the caller's check before reading a body.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use crate::api::AppState;
use crate::error::{HqError, Result};
use crate::rules::{self, Device};

/// Largest JSON body (a push of 500 ops with signatures fits well within it).
pub const MAX_JSON_BYTES: usize = 4 * 1024 * 1024;

/// Who is calling: the service centre (admin token) or an enrolled device.
pub enum Caller {
    Admin,
    Device(Device),
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = HqError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let token = bearer(parts).ok_or(HqError::Unauthorized)?;
        let span = tracing::Span::current();
        if rules::hash_secret(&token) == state.admin_token_hash {
            span.record("caller", "admin");
            return Ok(Caller::Admin);
        }
        let d = state.store.authenticate(&token).await?;
        span.record("caller", "device");
        span.record("device_id", d.device_id.as_str());
        span.record("technician_id", d.technician_id.as_str());
        Ok(Caller::Device(d))
    }
}

fn bearer(parts: &Parts) -> Option<String> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ").map(|t| t.trim().to_string())
}

/// The service centre: the admin token, and nothing else.
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = HqError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        match Caller::from_request_parts(parts, state).await? {
            Caller::Admin => Ok(Admin),
            Caller::Device(_) => Err(HqError::Forbidden(
                "this needs the service centre's admin token".into(),
            )),
        }
    }
}

/// An enrolled device with a valid token (not the admin token).
pub struct DeviceCaller(pub Device);

impl FromRequestParts<AppState> for DeviceCaller {
    type Rejection = HqError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        match Caller::from_request_parts(parts, state).await? {
            Caller::Device(d) => Ok(DeviceCaller(d)),
            Caller::Admin => Err(HqError::Forbidden("this needs a device token".into())),
        }
    }
}

/// A body of at most `LIMIT` bytes; a larger one is a typed 413.
pub struct LimitedBody<const LIMIT: usize>(pub Bytes);

impl<const LIMIT: usize> FromRequest<AppState> for LimitedBody<LIMIT> {
    type Rejection = HqError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                HqError::TooLarge(LIMIT)
            } else {
                HqError::BadRequest(e.body_text())
            }
        })?;
        if bytes.len() > LIMIT {
            return Err(HqError::TooLarge(LIMIT));
        }
        Ok(LimitedBody(bytes))
    }
}

/// A JSON body parsed into `T`: too large is a 413, malformed a 400 naming
/// where and why (never axum's plain-text rejection).
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = HqError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self> {
        let LimitedBody(bytes) = LimitedBody::<MAX_JSON_BYTES>::from_request(req, state).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Parses JSON into `T`; a malformed body is a 400 naming where and why.
///
/// JSON Schema (and so the published contract) counts `5.0` as the integer 5,
/// while serde refuses a float where it wants an `i64`: a body serde refuses
/// is read again with whole floats turned into integers before it is refused.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).or_else(|first| {
        let refused = || HqError::BadRequest(format!("malformed JSON body: {first}"));
        let v = with_whole_floats_as_integers(bytes).ok_or_else(refused)?;
        serde_json::from_value(v).map_err(|_| refused())
    })
}

/// The body with its whole floats as integers, if it is JSON and has any.
pub fn with_whole_floats_as_integers(bytes: &[u8]) -> Option<serde_json::Value> {
    let mut v = serde_json::from_slice(bytes).ok()?;
    whole_floats_to_integers(&mut v).then_some(v)
}

/// Turns every float with no fraction (within `i64`) into an integer; says
/// whether it changed anything.
fn whole_floats_to_integers(v: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            #[allow(clippy::cast_possible_truncation, clippy::float_cmp)]
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                *v = Value::from(f as i64);
                true
            }
            _ => false,
        },
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, i| whole_floats_to_integers(i) | changed),
        Value::Object(map) => map
            .values_mut()
            .fold(false, |changed, i| whole_floats_to_integers(i) | changed),
        _ => false,
    }
}

/// Query parameters parsed into `T`, a typed 400 when they do not fit.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for Query<T> {
    type Rejection = HqError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(q)| Query(q))
            .map_err(|e| HqError::BadRequest(e.body_text()))
    }
}

/// Path parameters parsed into `T`, a typed 400 when they do not fit.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for Path<T> {
    type Rejection = HqError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(p)| Path(p))
            .map_err(|e| HqError::BadRequest(e.body_text()))
    }
}
