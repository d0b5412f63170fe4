//! What a handler needs from a request, each answered with HQ's typed error
//! when it is missing or wrong: who is calling (an integration key with the
//! scope the route needs, or a device token), a JSON body within its limit,
//! query and path parameters. A handler names what it needs in its arguments
//! and never repeats the checks; axum runs the caller's check before reading
//! a body.

use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use chrono::Utc;
use serde::de::DeserializeOwned;

use crate::api::AppState;
use crate::error::{HqError, Result};
use crate::keys::{self, Key, Scope};
use crate::metrics::Metrics;
use crate::rules::{self, Device};
use crate::storage::Storage;

/// Largest JSON body (a push of 500 ops with signatures fits well within it).
pub const MAX_JSON_BYTES: usize = 4 * 1024 * 1024;

/// What telling callers apart needs; both the API's state and the operators'
/// routes ([`crate::watch`]) hold one.
#[derive(Clone)]
pub struct Auth {
    pub store: Arc<dyn Storage>,
    /// SHA-256 of the `--admin-token` key (named `admin`, scope `admin`),
    /// which is not stored so that a fresh HQ can be driven at once.
    pub bootstrap_hash: String,
    /// A device that authenticates counts as seen.
    pub metrics: Arc<Metrics>,
}

impl FromRef<AppState> for Auth {
    fn from_ref(s: &AppState) -> Auth {
        s.auth.clone()
    }
}

/// Who is calling: an integration key or an enrolled device.
pub enum Caller {
    Key(Key),
    Device(Device),
}

impl<St: Send + Sync> FromRequestParts<St> for Caller
where
    Auth: FromRef<St>,
{
    type Rejection = HqError;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self> {
        let auth = Auth::from_ref(state);
        let token = bearer(parts).ok_or(HqError::Unauthorized)?;
        let span = tracing::Span::current();
        if rules::hash_secret(&token) == auth.bootstrap_hash {
            span.record("caller", "key");
            span.record("key", keys::BOOTSTRAP);
            return Ok(Caller::Key(Key {
                name: keys::BOOTSTRAP.into(),
                scopes: vec![Scope::Admin],
            }));
        }
        // Key secrets carry a prefix device tokens never have: one lookup.
        let found = if token.starts_with(keys::PREFIX) {
            auth.store
                .authenticate_key(&token, Utc::now())
                .await?
                .map(Caller::Key)
                .ok_or(HqError::Unauthorized)?
        } else {
            Caller::Device(auth.store.authenticate(&token, Utc::now()).await?)
        };
        match &found {
            Caller::Key(k) => {
                span.record("caller", "key");
                span.record("key", k.name.as_str());
            }
            Caller::Device(d) => {
                span.record("caller", "device");
                span.record("device_id", d.device_id.as_str());
                span.record("technician_id", d.technician_id.as_str());
                auth.metrics.device_seen(rules::hash_secret(&token));
                // A device ordered wiped hands in what it holds unsent (ops,
                // photos: nothing is lost) and hears "wipe" on every other
                // request, reading included.
                let handing_in = (parts.method == axum::http::Method::POST
                    && parts.uri.path() == "/v1/sync/push")
                    || (parts.method == axum::http::Method::PUT
                        && parts.uri.path().starts_with("/v1/blobs/"))
                    || parts.uri.path().starts_with("/v1/uploads/");
                if d.wipe && !handing_in {
                    auth.store.tell_wipe(&d.device_id, Utc::now()).await?;
                    return Err(HqError::Wipe);
                }
            }
        }
        Ok(found)
    }
}

fn bearer(parts: &Parts) -> Option<String> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ").map(|t| t.trim().to_string())
}

/// A scope a route needs, named by a type so a handler says it in its
/// arguments: `_: Scoped<Dispatch>`.
pub trait Needs {
    const SCOPE: Scope;
}

/// Creating and changing orders, charge instructions and codes.
pub struct Dispatch;
/// Reading orders, follow-ups, complaints, old parts, invoices, reconciliation.
pub struct Read;
/// Technicians, enrollment codes, devices, handovers, keys, metrics.
pub struct Admin;

impl Needs for Dispatch {
    const SCOPE: Scope = Scope::Dispatch;
}
impl Needs for Read {
    const SCOPE: Scope = Scope::Read;
}
impl Needs for Admin {
    const SCOPE: Scope = Scope::Admin;
}

/// An integration key that has scope `S` (or `admin`): a device token or a
/// key without the scope is a 403 saying what is missing.
pub struct Scoped<S>(pub Key, PhantomData<S>);

impl<S: Needs, St: Send + Sync> FromRequestParts<St> for Scoped<S>
where
    Auth: FromRef<St>,
{
    type Rejection = HqError;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self> {
        match Caller::from_request_parts(parts, state).await? {
            Caller::Key(k) if k.allows(S::SCOPE) => Ok(Scoped(k, PhantomData)),
            Caller::Key(k) => Err(HqError::Forbidden(format!(
                "key {} does not have the {} scope this needs",
                k.name,
                S::SCOPE
            ))),
            Caller::Device(_) => Err(HqError::Forbidden(format!(
                "this needs an integration key with the {} scope, not a device token",
                S::SCOPE
            ))),
        }
    }
}

/// An enrolled device with a valid token (not an integration key).
pub struct DeviceCaller(pub Device);

impl FromRequestParts<AppState> for DeviceCaller {
    type Rejection = HqError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        match Caller::from_request_parts(parts, state).await? {
            Caller::Device(d) => Ok(DeviceCaller(d)),
            Caller::Key(_) => Err(HqError::Forbidden(
                "this needs a device token, not an integration key".into(),
            )),
        }
    }
}

/// The address the request came from: the socket's peer (HQ trusts no
/// forwarding header), or none when HQ is served without connection info.
pub struct ClientAddr(pub Option<IpAddr>);

impl<St: Send + Sync> FromRequestParts<St> for ClientAddr {
    type Rejection = HqError;

    async fn from_request_parts(parts: &mut Parts, _: &St) -> Result<Self> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(a)| a.ip()),
        ))
    }
}

/// Where a read came from, for the access log ([`crate::centre::access`]):
/// the socket's peer, and `X-Forwarded-For` kept beside it as the proxy
/// (or the caller) claimed it, never in its place.
pub fn origin_of(parts: &Parts) -> crate::centre::access::Origin {
    let address = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip().to_string());
    let forwarded = parts
        .headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    crate::centre::access::Origin::new(address, forwarded)
}

impl<St: Send + Sync> FromRequestParts<St> for crate::centre::access::Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &St,
    ) -> std::result::Result<Self, Self::Rejection> {
        Ok(origin_of(parts))
    }
}

/// A body of at most `LIMIT` bytes; a larger one is a typed 413.
pub struct LimitedBody<const LIMIT: usize>(pub Bytes);

impl<const LIMIT: usize> FromRequest<AppState> for LimitedBody<LIMIT> {
    type Rejection = HqError;

    /// A body in `Content-Encoding: zstd` or `gzip` is inflated here, at most
    /// `LIMIT` bytes of it ([`onsite_core::sync::encoding::decode`]): what a
    /// route reads is always the plain body, whatever the wire carried.
    async fn from_request(req: Request, state: &AppState) -> Result<Self> {
        use onsite_core::sync::encoding::{self, BodyCoding, DecodeError};
        let coding = encoding::body_coding(
            req.headers()
                .get(axum::http::header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap_or("?")),
        );
        if coding == BodyCoding::Unsupported {
            let named = req
                .headers()
                .get(axum::http::header::CONTENT_ENCODING)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("unreadable")
                .chars()
                .filter(char::is_ascii_graphic)
                .take(40)
                .collect::<String>();
            return Err(HqError::UnsupportedEncoding(named));
        }
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
        match coding {
            BodyCoding::Coded(c) => match encoding::decode(c, &bytes, LIMIT) {
                Ok(plain) => Ok(LimitedBody(Bytes::from(plain))),
                Err(DecodeError::TooLarge { .. }) => Err(HqError::TooLarge(LIMIT)),
                Err(e @ DecodeError::Corrupt { .. }) => Err(HqError::BadRequest(format!(
                    "{e} (请求内容压缩数据损坏或被截断)"
                ))),
            },
            BodyCoding::Plain | BodyCoding::Unsupported => Ok(LimitedBody(bytes)),
        }
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
