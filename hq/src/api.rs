//! The HTTP API (`/v1`), JSON over HTTP. The routes here and the OpenAPI
//! document in [`crate::openapi`] are checked against each other by a test.
//! The request types are public: the typed client (`onsite_hq::client`,
//! feature `client`) sends these very structs.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use onsite_core::order::WorkOrder;
use onsite_core::receipt::NumberBlock;
use onsite_core::sync::protocol::{decode_push_envelope, EnrollRequest};
use onsite_core::sync::protocol::{
    ChangeKind, EnrollResponse, ErrorBody, PullResponse, PushRequest, PushResponse,
};
use onsite_core::sync::upload::UploadProgress;
use onsite_core::visit::Visit;
use serde::{Deserialize, Serialize};
use tracing::field::Empty;
use tracing::Instrument;
use utoipa::{IntoParams, ToSchema};

use crate::centre::access::{Look, Origin, Reader, Sight};
use crate::centre::audit::Actor;
use crate::centre::fleet::Repeat;
use crate::error::{HqError, Result};
use crate::extract::{
    with_whole_floats_as_integers, Admin, Auth, Caller, ClientAddr, DeviceCaller, Dispatch,
    JsonBody, LimitedBody, Path, Query, Read, Scoped,
};
use crate::keys::{KeyInfo, Scope};
use crate::limit::Limiter;
use crate::rules::{
    self, ChunkOutcome, ComplaintRecord, FollowUp, OldPart, OrderSummary, PendingInvoice,
    Reconciliation,
};
use crate::storage::Storage;

pub use crate::extract::MAX_JSON_BYTES;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Storage>,
    /// Tells integration keys and devices apart.
    pub auth: Auth,
    /// Wrong enrollment codes per address.
    pub enroll_limit: Arc<Limiter>,
}

/// One span per request: method and route template (never the query string
/// or a concrete path), the caller once known, and a closing line with the
/// status and latency.
async fn trace_request(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unrouted", |p| p.as_str())
        .to_string();
    let span = tracing::info_span!(
        "request",
        method = %req.method(),
        route = %route,
        caller = Empty,
        key = Empty,
        device_id = Empty,
        technician_id = Empty,
        error = Empty,
    );
    let started = std::time::Instant::now();
    let response = next.run(req).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    span.in_scope(|| tracing::info!(status, latency_ms, "request done"));
    response
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/docs", get(docs))
        .route("/v1/technicians", post(create_technician))
        .route("/v1/enrollments", post(create_enrollment))
        .route("/v1/enroll", post(enroll))
        .route("/v1/devices/{device_id}/revoke", post(revoke))
        .route("/v1/devices/{device_id}/wipe", post(wipe))
        .route("/v1/settings/phone-retention", put(set_phone_retention))
        .route("/v1/orders", post(create_order).get(list_orders))
        .route("/v1/orders/{job_id}", get(get_order))
        .route("/v1/orders/{job_id}/assign", post(assign))
        .route("/v1/orders/{job_id}/reschedule", post(reschedule))
        .route("/v1/orders/{job_id}/cancel", post(cancel))
        .route("/v1/orders/{job_id}/confidential", post(set_confidential))
        .route(
            "/v1/orders/{job_id}/charge-instruction",
            post(charge_instruction),
        )
        .route("/v1/orders/{job_id}/charge-code", post(charge_code))
        .route("/v1/invoices", get(invoices))
        .route("/v1/jobs", get(my_jobs))
        .route("/v1/jobs/{job_id}", get(my_job))
        .route("/v1/sync/push", post(push))
        .route("/v1/sync/pull", get(pull))
        .route("/v1/blobs/{sha256}", put(put_blob).get(get_blob))
        .route(
            "/v1/uploads/{sha256}",
            // POST as PATCH: Java's HttpURLConnection, the Android shell's
            // HTTP stack, cannot send PATCH.
            get(upload_status)
                .patch(upload_chunk)
                .post(upload_chunk_post),
        )
        .route("/v1/receipt-blocks", post(grant_block))
        .route("/v1/followups", get(followups))
        .route("/v1/handovers", post(handover))
        .route("/v1/reconciliation", get(reconciliation))
        .route("/v1/old-parts", get(old_parts))
        .route("/v1/complaints", get(complaints))
        .route("/v1/keys", post(create_key).get(list_keys))
        .route("/v1/keys/{name}/revoke", post(revoke_key))
        .fallback(|| async { HqError::NotFound("route".into()) })
        .layer(axum::middleware::from_fn(accept_encoding))
        .layer(axum::middleware::from_fn(trace_request))
        .layer(DefaultBodyLimit::max(rules::MAX_BLOB_BYTES + 1024))
        .with_state(state)
}

/// Every answer says which codings HQ takes request bodies in (RFC 7694):
/// a phone compresses its pushes only once it has heard this.
async fn accept_encoding(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut res = next.run(req).await;
    res.headers_mut().insert(
        header::ACCEPT_ENCODING,
        header::HeaderValue::from_static(onsite_core::sync::encoding::ACCEPT),
    );
    res
}

/// The answer of the liveness check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// Always `ok`: HQ answered.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub database: String,
}

/// A one-time code a person types or reads out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Code {
    pub code: String,
}

#[utoipa::path(
    get,
    path = "/v1/health",
    summary = "Liveness and database kind",
    responses(
        (status = 200, description = "HQ is up", body = Health)
    )
)]
async fn health(State(s): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        database: s.store.kind().into(),
    })
}

#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    summary = "This document (no token needed)",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")
    )
)]
/// The contract is public: everything it describes stays guarded.
async fn openapi() -> Json<serde_json::Value> {
    Json(crate::openapi::document())
}

#[utoipa::path(
    get,
    path = "/v1/docs",
    summary = "This reference as a web page (no token needed, works offline)",
    responses(
        (status = 200, description = "The reference, one self-contained HTML page", content_type = "text/html")
    )
)]
async fn docs() -> axum::response::Html<String> {
    axum::response::Html(crate::openapi::reference_html())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NewTechnician {
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub technician_id: String,
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: String,
}

#[utoipa::path(
    post,
    path = "/v1/technicians",
    summary = "Create a technician (idempotent)",
    security(("key" = ["admin"])),
    request_body = NewTechnician,
    responses(
        (status = 201, description = "Created (or already there)"),
        (status = 400, description = "Malformed request: the body or a parameter does not fit its schema", body = ErrorBody),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "A device token, or a key without the scope this route needs", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn create_technician(
    key: Scoped<Admin>,
    State(s): State<AppState>,
    JsonBody(t): JsonBody<NewTechnician>,
) -> Result<StatusCode> {
    s.store
        .add_technician(
            &Actor::Key(key.0.name),
            &t.technician_id,
            &t.name,
            Repeat::Accepted,
            Utc::now(),
        )
        .await?;
    Ok(StatusCode::CREATED)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NewEnrollment {
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub technician_id: String,
}

#[utoipa::path(
    post,
    path = "/v1/enrollments",
    summary = "Create a one-time enrollment code for a technician",
    security(("key" = ["admin"])),
    request_body = NewEnrollment,
    responses(
        (status = 201, description = "The code to type on the phone", body = Code),
        (status = 400, description = "Malformed request: the body or a parameter does not fit its schema", body = ErrorBody),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "A device token, or a key without the scope this route needs", body = ErrorBody),
        (status = 404, description = "No such order, device, technician or blob (or not the caller's)", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn create_enrollment(
    key: Scoped<Admin>,
    State(s): State<AppState>,
    JsonBody(e): JsonBody<NewEnrollment>,
) -> Result<Response> {
    let code = s
        .store
        .new_enrollment(&Actor::Key(key.0.name), &e.technician_id, Utc::now())
        .await?;
    Ok((StatusCode::CREATED, Json(Code { code })).into_response())
}

#[utoipa::path(
    post,
    path = "/v1/enroll",
    summary = "Exchange an enrollment code for a device token",
    request_body = EnrollRequest,
    responses(
        (status = 201, description = "The device's token", body = EnrollResponse),
        (status = 400, description = "Malformed request: the body or a parameter does not fit its schema", body = ErrorBody),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 409, description = "The request conflicts with the order's state", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 429, description = "Too many wrong codes from this address: try again after Retry-After seconds", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until this address may try again"))),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn enroll(
    ClientAddr(addr): ClientAddr,
    State(s): State<AppState>,
    JsonBody(r): JsonBody<EnrollRequest>,
) -> Result<Response> {
    let now = std::time::Instant::now();
    if let Some(a) = addr {
        s.enroll_limit
            .check(a, now)
            .map_err(|wait| HqError::TooManyRequests(wait.as_secs() + 1))?;
    }
    let resp = s.store.enroll(&r.code, &r.device_id, Utc::now()).await;
    if let (Err(HqError::Unauthorized), Some(a)) = (&resp, addr) {
        s.enroll_limit.failed(a, now);
    }
    Ok((StatusCode::CREATED, Json(resp?)).into_response())
}

#[utoipa::path(
    post,
    path = "/v1/devices/{device_id}/wipe",
    summary = "Revoke a device WITH remote wipe: it may only push what it holds unsent, then hears 410 `wipe` and deletes its data",
    security(("key" = ["admin"])),
    params(("device_id" = String, Path, description = "The device", pattern = "^[A-Za-z0-9._-]{1,64}$")),
    responses(
        (status = 204, description = "Revoked, wipe ordered (audited `device.wipe`)"),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "A device token, or a key without the scope this route needs", body = ErrorBody),
        (status = 404, description = "No such order, device, technician or blob (or not the caller's)", body = ErrorBody),
        (status = 409, description = "The device is already ordered wiped", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn wipe(
    key: Scoped<Admin>,
    State(s): State<AppState>,
    Path(device_id): Path<String>,
) -> Result<StatusCode> {
    s.store
        .wipe_device(&Actor::Key(key.0.name), &device_id, Utc::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How long a handed-over job's customer data stays on the phones once HQ has all of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PhoneRetention {
    #[schema(minimum = 1, maximum = 3650)]
    pub days: u32,
}

#[utoipa::path(
    put,
    path = "/v1/settings/phone-retention",
    summary = "Set the company's retention period for customer data on phones (delivered with every pull)",
    security(("key" = ["admin"])),
    request_body = PhoneRetention,
    responses(
        (status = 204, description = "Set (audited `privacy.phone_retention`)"),
        (status = 400, description = "Malformed request: the body or a parameter does not fit its schema", body = ErrorBody),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "A device token, or a key without the scope this route needs", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn set_phone_retention(
    key: Scoped<Admin>,
    State(s): State<AppState>,
    JsonBody(p): JsonBody<PhoneRetention>,
) -> Result<StatusCode> {
    s.store
        .set_phone_retention_days(&Actor::Key(key.0.name), p.days, Utc::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/v1/devices/{device_id}/revoke",
    summary = "Revoke a device's token",
    security(("key" = ["admin"])),
    params(("device_id" = String, Path, description = "The device", pattern = "^[A-Za-z0-9._-]{1,64}$")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "A device token, or a key without the scope this route needs", body = ErrorBody),
        (status = 404, description = "No such order, device, technician or blob (or not the caller's)", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn revoke(
    key: Scoped<Admin>,
    State(s): State<AppState>,
    Path(device_id): Path<String>,
) -> Result<StatusCode> {
    s.store
        .revoke_device(
            &Actor::Key(key.0.name),
            &device_id,
            Repeat::Accepted,
            Utc::now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/v1/orders",
    summary = "Create and dispatch a work order",
    security(("key" = ["dispatch"])),
    params(CreateOptions),
    request_body = WorkOrder,
    responses(
        (status = 201, description = "Dispatched", body = OrderSummary),
        (status = 400, description = "Malformed request: the body or a parameter does not fit its schema", body = ErrorBody),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "A device token, or a key without the scope this route needs", body = ErrorBody),
        (status = 404, description = "No such order, device, technician or blob (or not the caller's)", body = ErrorBody),
        (status = 409, description = "The request conflicts with the order's state", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn create_order(
    scoped: Scoped<Dispatch>,
    State(s): State<AppState>,
    Query(opts): Query<CreateOptions>,
    JsonBody(order): JsonBody<WorkOrder>,
) -> Result<Response> {
    let key = scoped.0;
    let out = match opts.confidential_reason {
        Some(reason) => {
            s.store
                .create_confidential_order(&Actor::Key(key.name), order, &reason, Utc::now())
                .await?
        }
        None => s.store.create_order(order, Utc::now()).await?,
    };
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// How an order is created.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CreateOptions {
    /// Create the order confidential (保密), for this reason (1 to 200
    /// characters): its customer data is then for its technician,
    /// supervisors and managers only, masked for every integration key and
    /// the front desk, and never exported.
    #[param(min_length = 1, max_length = 200, pattern = "\\S")]
    pub confidential_reason: Option<String>,
}

/// An order's confidentiality, set by a key with the `dispatch` scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Confidentiality {
    /// Confidential (保密): customer data for its technician, supervisors
    /// and managers only; masked for every integration key and the front
    /// desk; never exported.
    pub confidential: bool,
    /// Why (audited with the key's name).
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub reason: String,
}

#[utoipa::path(
    post,
    path = "/v1/orders/{job_id}/confidential",
    summary = "Mark an order confidential, or lift it (audited)",
    security(("key" = ["dispatch"])),
    params(("job_id" = String, Path, description = "The order number", pattern = "^[A-Za-z0-9._-]{1,64}$")),
    request_body = Confidentiality,
    responses(
        (status = 200, description = "The order's confidentiality as set", body = Confidentiality),
        (status = 400, description = "Malformed request: the body or a parameter does not fit its schema", body = ErrorBody),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "A device token, or a key without the scope this route needs", body = ErrorBody),
        (status = 404, description = "No such order, device, technician or blob (or not the caller's)", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn set_confidential(
    scoped: Scoped<Dispatch>,
    State(s): State<AppState>,
    Path(job_id): Path<String>,
    JsonBody(c): JsonBody<Confidentiality>,
) -> Result<Response> {
    let key = scoped.0;
    s.store
        .set_confidential(
            &Actor::Key(key.name),
            &job_id,
            c.confidential,
            &c.reason,
            Utc::now(),
        )
        .await?;
    Ok(Json(Confidentiality {
        confidential: c.confidential,
        reason: c.reason.trim().to_string(),
    })
    .into_response())
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderFilter {
    pub technician_id: Option<String>,
    pub status: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/orders",
    summary = "List orders, optionally by technician and status",
    security(("key" = ["read"])),
    params(OrderFilter),
    responses(
        (status = 200, description = "The dispatch board", body = Vec<OrderSummary>),
        (status = 400, description = "Malformed request: the body or a parameter does not fit its schema", body = ErrorBody),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "A device token, or a key without the scope this route needs", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn list_orders(
    _: Scoped<Read>,
    State(s): State<AppState>,
    Query(f): Query<OrderFilter>,
) -> Result<Response> {
    let out = s
        .store
        .list_orders(f.technician_id.as_deref(), f.status.as_deref())
        .await?;
    Ok(Json(out).into_response())
}

#[utoipa::path(
    get,
    path = "/v1/orders/{job_id}",
    summary = "HQ's view of one order: the whole visit",
    description = "Every read is logged in HQ's access log (key, time, order, address). \
        The customer's personal data - name, phone, room or place, the names they gave, \
        their signature's strokes, comment and invoice title - is masked (王**, 138****8000, \
        a shortened place; strokes, comment and tax number empty) unless the key has the \
        `customer` scope (or `admin`); a confidential order's is masked for every key.",
    security(("key" = ["read"])),
    params(("job_id" = String, Path, description = "The order number", pattern = "^[A-Za-z0-9._-]{1,64}$")),
    responses(
        (status = 200, description = "The visit", body = Visit),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "A device token, or a key without the scope this route needs", body = ErrorBody),
        (status = 404, description = "No such order, device, technician or blob (or not the caller's)", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn get_order(
    scoped: Scoped<Read>,
    State(s): State<AppState>,
    origin: Origin,
    Path(job_id): Path<String>,
) -> Result<Response> {
    let key = scoped.0;
    let (v, _) = s
        .store
        .read_order(
            &Reader::Key(key.name.clone()),
            &origin,
            Look::ApiOrder,
            &job_id,
            None,
            key_sight(&key),
            Utc::now(),
        )
        .await?;
    Ok(Json(v).into_response())
}

/// What a key sees of customers: with the `customer` scope (or `admin`),
/// everything but a confidential order's; without it, always masked.
/// Logs an integration key's read of the `listed` orders and says what it
/// sees: its sight, and which of the orders are confidential.
async fn key_read(
    s: &AppState,
    key: crate::keys::Key,
    origin: &Origin,
    look: Look,
    listed: &[String],
) -> Result<(Sight, std::collections::HashSet<String>)> {
    let sight = key_sight(&key);
    let secret = s
        .store
        .looked(
            &Reader::Key(key.name),
            origin,
            look,
            listed,
            sight,
            Utc::now(),
        )
        .await?;
    Ok((sight, secret))
}

fn key_sight(key: &crate::keys::Key) -> Sight {
    if key.allows(Scope::Customer) {
        Sight::NotConfidential
    } else {
        Sight::Masked
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Assign {
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub technician_id: String,
}

#[utoipa::path(
    post,
    path = "/v1/orders/{job_id}/assign",
    summary = "Assign or reassign an order",
    security(("key" = ["dispatch"])),
    params(("job_id" = String, Path, description = "The order number", pattern = "^[A-Za-z0-9._-]{1,64}$")),
    request_body = Assign,
    responses(
        (status = 200, description = "Assigned", body = OrderSummary),
        (status = 400, description = "Malformed request: the body or a parameter does not fit its schema", body = ErrorBody),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "A device token, or a key without the scope this route needs", body = ErrorBody),
        (status = 404, description = "No such order, device, technician or blob (or not the caller's)", body = ErrorBody),
        (status = 409, description = "The request conflicts with the order's state", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn assign(
    _: Scoped<Dispatch>,
    State(s): State<AppState>,
    Path(job_id): Path<String>,
    JsonBody(a): JsonBody<Assign>,
) -> Result<Response> {
    let out = s
        .store
        .assign(&job_id, &a.technician_id, Utc::now())
        .await?;
    Ok(Json(out).into_response())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Reschedule {
    pub appointment_at: DateTime<Utc>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub reason: String,
    /// The customer's consent: `{"agreed_by", "agreed_at", "channel": "phone"|"in_person"|"message"}`.
    /// Required: HQ moves an appointment only with it (a body without it is a 400).
    #[serde(default)]
    #[schema(value_type = onsite_core::visit::RescheduleConsent, required = true)]
    pub consent: Option<onsite_core::visit::RescheduleConsent>,
}

#[utoipa::path(
    post,
    path = "/v1/orders/{job_id}/reschedule",
    summary = "Move the appointment, with the customer's consent (who, when, how)",
    security(("key" = ["dispatch"])),
    params(("job_id" = String, Path, description = "The order number", pattern = "^[A-Za-z0-9._-]{1,64}$")),
    request_body = Reschedule,
    responses(
        (status = 200, description = "Rescheduled", body = OrderSummary),
        (status = 400, description = "Malformed request: the body or a parameter does not fit its schema", body = ErrorBody),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "A device token, or a key without the scope this route needs", body = ErrorBody),
        (status = 404, description = "No such order, device, technician or blob (or not the caller's)", body = ErrorBody),
        (status = 409, description = "The request conflicts with the order's state", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn reschedule(
    _: Scoped<Dispatch>,
    State(s): State<AppState>,
    Path(job_id): Path<String>,
    JsonBody(r): JsonBody<Reschedule>,
) -> Result<Response> {
    let out = s
        .store
        .reschedule(&job_id, r.appointment_at, &r.reason, r.consent, Utc::now())
        .await?;
    Ok(Json(out).into_response())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Cancel {
    pub reason: String,
}

#[utoipa::path(
    post,
    path = "/v1/orders/{job_id}/cancel",
    summary = "Cancel an order",
    security(("key" = ["dispatch"])),
    params(("job_id" = String, Path, description = "The order number", pattern = "^[A-Za-z0-9._-]{1,64}$")),
    request_body = Cancel,
    responses(
        (status = 200, description = "Cancelled", body = OrderSummary),
        (status = 400, description = "Malformed request: the body or a parameter does not fit its schema", body = ErrorBody),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "A device token, or a key without the scope this route needs", body = ErrorBody),
        (status = 404, description = "No such order, device, technician or blob (or not the caller's)", body = ErrorBody),
        (status = 409, description = "The request conflicts with the order's state", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn cancel(
    _: Scoped<Dispatch>,
    State(s): State<AppState>,
    Path(job_id): Path<String>,
    JsonBody(c): JsonBody<Cancel>,
) -> Result<Response> {
    let out = s.store.cancel(&job_id, &c.reason, Utc::now()).await?;
    Ok(Json(out).into_response())
}

#[utoipa::path(
    get,
    path = "/v1/jobs",
    summary = "The calling technician's jobs",
    security(("device" = [])),
    responses(
        (status = 200, description = "The jobs", body = Vec<OrderSummary>),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "An integration key on a device route", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn my_jobs(DeviceCaller(d): DeviceCaller, State(s): State<AppState>) -> Result<Response> {
    let out = s.store.list_orders(Some(&d.technician_id), None).await?;
    Ok(Json(out).into_response())
}

#[utoipa::path(
    get,
    path = "/v1/jobs/{job_id}",
    summary = "One of the calling technician's jobs",
    security(("device" = [])),
    params(("job_id" = String, Path, description = "The order number", pattern = "^[A-Za-z0-9._-]{1,64}$")),
    responses(
        (status = 200, description = "The visit", body = Visit),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "An integration key on a device route", body = ErrorBody),
        (status = 404, description = "No such order, device, technician or blob (or not the caller's)", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn my_job(
    DeviceCaller(d): DeviceCaller,
    State(s): State<AppState>,
    origin: Origin,
    Path(job_id): Path<String>,
) -> Result<Response> {
    let (v, _) = s
        .store
        .read_order(
            &Reader::Device(d.device_id.clone()),
            &origin,
            Look::DeviceJob,
            &job_id,
            Some(&d.technician_id),
            Sight::Everything,
            Utc::now(),
        )
        .await?;
    Ok(Json(v).into_response())
}

/// How the phone wants the answer to a push.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PushQuery {
    /// List only the ops HQ did not apply (duplicates, rejections, gaps):
    /// every other op up to `last_applied_seq` was applied, and the answer
    /// says `applied_omitted`. About 80 bytes an op less on the way back.
    #[serde(default)]
    pub omit_applied: bool,
}

#[utoipa::path(
    post,
    path = "/v1/sync/push",
    summary = "Push a batch of ops; each op is applied once",
    security(("device" = [])),
    params(PushQuery),
    request_body = PushRequest,
    responses(
        (status = 200, description = "Every op's outcome", body = PushResponse),
        (status = 400, description = "Malformed request: the body or a parameter does not fit its schema", body = ErrorBody),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "An integration key on a device route", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn push(
    DeviceCaller(d): DeviceCaller,
    State(s): State<AppState>,
    Query(q): Query<PushQuery>,
    LimitedBody(body): LimitedBody<MAX_JSON_BYTES>,
) -> Result<Response> {
    // The same decoder the property tests and the fuzz target exercise.
    let req = decode_push_envelope(&body).or_else(|e| {
        // A whole float where an integer goes is still that integer (see `parse_json`).
        let v = with_whole_floats_as_integers(&body).ok_or(HqError::BadRequest(e.to_string()))?;
        let bytes = serde_json::to_vec(&v)?;
        decode_push_envelope(&bytes).map_err(|_| HqError::BadRequest(e.to_string()))
    })?;
    let mut out = s.store.push(&d, req, Utc::now()).await?;
    let applied = out
        .results
        .iter()
        .filter(|r| r.outcome == onsite_core::sync::protocol::Outcome::Applied)
        .count();
    if q.omit_applied {
        out.results
            .retain(|r| r.outcome != onsite_core::sync::protocol::Outcome::Applied);
        out.applied_omitted = true;
    }
    let mut response = Json(out).into_response();
    // For the metrics (watch.rs): the answer may no longer list them.
    response
        .extensions_mut()
        .insert(crate::watch::AppliedOps(applied));
    Ok(response)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PullQuery {
    #[serde(default)]
    cursor: i64,
    limit: Option<usize>,
}

#[utoipa::path(
    get,
    path = "/v1/sync/pull",
    summary = "Page through the technician's change feed",
    security(("device" = [])),
    params(PullQuery),
    responses(
        (status = 200, description = "A page of changes", body = PullResponse),
        (status = 400, description = "Malformed request: the body or a parameter does not fit its schema", body = ErrorBody),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "An integration key on a device route", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn pull(
    DeviceCaller(d): DeviceCaller,
    State(s): State<AppState>,
    origin: Origin,
    Query(q): Query<PullQuery>,
) -> Result<Response> {
    let out = s
        .store
        .pull(&d.technician_id, q.cursor, q.limit.unwrap_or(500))
        .await?;
    // An order delivered to a phone is the phone's read of its customer
    // (what a lost phone holds is what a leak report lists); logged before
    // the page leaves HQ, or the page is not sent.
    let delivered: Vec<String> = out
        .changes
        .iter()
        .filter(|c| matches!(c.change, ChangeKind::Dispatched { .. }))
        .map(|c| c.job_id.clone())
        .collect();
    s.store
        .looked(
            &Reader::Device(d.device_id.clone()),
            &origin,
            Look::DeviceJob,
            &delivered,
            Sight::Everything,
            Utc::now(),
        )
        .await?;
    Ok(Json(out).into_response())
}

#[utoipa::path(
    put,
    path = "/v1/blobs/{sha256}",
    summary = "Upload a blob addressed by its SHA-256 (idempotent)",
    security(("device" = [])),
    params(("sha256" = String, Path, description = "The SHA-256 of the bytes, lowercase hex", pattern = "^[0-9a-f]{64}$")),
    responses(
        (status = 201, description = "Stored"),
        (status = 200, description = "Already stored"),
        (status = 400, description = "Malformed request: the body or a parameter does not fit its schema", body = ErrorBody),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "An integration key on a device route", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn put_blob(
    DeviceCaller(d): DeviceCaller,
    State(s): State<AppState>,
    Path(sha): Path<String>,
    headers: HeaderMap,
    LimitedBody(bytes): LimitedBody<{ rules::MAX_BLOB_BYTES }>,
) -> Result<StatusCode> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    let created = s
        .store
        .put_blob(&sha, &media, bytes.to_vec(), &d.technician_id, Utc::now())
        .await?;
    Ok(if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    })
}

#[utoipa::path(
    get,
    path = "/v1/uploads/{sha256}",
    summary = "Where the device's resumable upload of a blob stands",
    description = "How many bytes of the blob HQ holds from its start (`offset`; the next chunk \
        starts there), the blob's length, and whether HQ has stored the whole. Offset and length \
        0: HQ has not heard of it.",
    security(("device" = [])),
    params(("sha256" = String, Path, description = "The SHA-256 of the whole blob, lowercase hex", pattern = "^[0-9a-f]{64}$")),
    responses(
        (status = 200, description = "How far the upload is", body = UploadProgress),
        (status = 400, description = "Malformed request: the body or a parameter does not fit its schema", body = ErrorBody),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "An integration key on a device route", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn upload_status(
    DeviceCaller(d): DeviceCaller,
    State(s): State<AppState>,
    Path(sha): Path<String>,
) -> Result<Json<UploadProgress>> {
    Ok(Json(s.store.upload_status(&d.technician_id, &sha).await?))
}

/// The headers of a chunk, sent as PATCH or as POST: one description for
/// both operations, so the two cannot drift apart in the contract.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // documents the headers; the handler reads them with `upload::decode_chunk`
struct ChunkHeaders {
    /// Where this chunk's bytes start in the blob (the chunk must end within the blob)
    #[param(rename = "Upload-Offset", maximum = 8388607)]
    upload_offset: u64,
    /// The whole blob's length in bytes
    #[param(rename = "Upload-Length", minimum = 1, maximum = 8388608)]
    upload_length: u64,
}

/// HQ's answers to a chunk, PATCH or POST.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // documents the answers; the handler builds them
enum ChunkAnswers {
    /// Taken (or held already); more to come
    #[response(status = 200, headers(("Upload-Offset" = u64, description = "Bytes HQ now holds")))]
    Taken(UploadProgress),
    /// The last chunk: the blob is stored
    #[response(status = 201, headers(("Upload-Offset" = u64, description = "Bytes HQ now holds")))]
    Stored(UploadProgress),
    /// Malformed request: the body or a parameter does not fit its schema
    #[response(status = 400)]
    Malformed(ErrorBody),
    /// Missing, wrong or revoked token
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// An integration key on a device route
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// The chunk does not start where HQ's bytes end; resume at `Upload-Offset`
    #[response(status = 409, headers(("Upload-Offset" = u64, description = "Bytes HQ holds")))]
    Elsewhere(ErrorBody),
    /// Body too large
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// The whole blob does not hash to its address: nothing stored, start again
    #[response(status = 422)]
    Mismatch(ErrorBody),
    /// Internal error: a generic message with a reference into HQ's log
    #[response(status = 500)]
    Internal(ErrorBody),
    /// The database is unavailable; try again
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

#[utoipa::path(
    post,
    path = "/v1/uploads/{sha256}",
    summary = "Send one chunk of a blob, as POST (resumable upload)",
    description = "The same request and answers as `PATCH /v1/uploads/{sha256}`, for HTTP stacks \
        that cannot send PATCH (Java's `HttpURLConnection`, the Android shell's).",
    security(("device" = [])),
    params(("sha256" = String, Path, description = "The SHA-256 of the whole blob, lowercase hex", pattern = "^[0-9a-f]{64}$"), ChunkHeaders),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The chunk's bytes: 1 byte to 1 MiB"),
    responses(ChunkAnswers)
)]
async fn upload_chunk_post(
    caller: DeviceCaller,
    state: State<AppState>,
    path: Path<String>,
    headers: HeaderMap,
    body: LimitedBody<{ rules::MAX_CHUNK_BYTES }>,
) -> Result<Response> {
    upload_chunk(caller, state, path, headers, body).await
}

#[utoipa::path(
    patch,
    path = "/v1/uploads/{sha256}",
    summary = "Send one chunk of a blob (resumable upload)",
    description = "The body is the blob's bytes from `Upload-Offset`, at most 1 MiB, sent with the \
        blob's own media type. HQ takes a chunk only where its bytes end: one that starts \
        elsewhere is answered 409 with HQ's offset in `Upload-Offset`, and one HQ holds already \
        is acknowledged again. When the last byte is in, HQ stores the blob if the whole hashes \
        to its address (201), or drops the chunks and answers 422: send it again from 0. A \
        half-uploaded blob is never served. An HTTP stack that cannot send PATCH may send the \
        same request as POST.",
    security(("device" = [])),
    params(("sha256" = String, Path, description = "The SHA-256 of the whole blob, lowercase hex", pattern = "^[0-9a-f]{64}$"), ChunkHeaders),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The chunk's bytes: 1 byte to 1 MiB"),
    responses(ChunkAnswers)
)]
async fn upload_chunk(
    DeviceCaller(d): DeviceCaller,
    State(s): State<AppState>,
    Path(sha): Path<String>,
    headers: HeaderMap,
    LimitedBody(bytes): LimitedBody<{ rules::MAX_CHUNK_BYTES }>,
) -> Result<Response> {
    use onsite_core::sync::upload::{self, UPLOAD_LENGTH, UPLOAD_OFFSET};
    let chunk = upload::decode_chunk(
        headers
            .get(UPLOAD_OFFSET)
            .map(header::HeaderValue::as_bytes),
        headers
            .get(UPLOAD_LENGTH)
            .map(header::HeaderValue::as_bytes),
        bytes.len(),
    )?;
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    let outcome = s
        .store
        .upload_chunk(
            &d.technician_id,
            &sha,
            &media,
            chunk,
            bytes.to_vec(),
            Utc::now(),
        )
        .await?;
    let offset_header = |p: &UploadProgress| [(UPLOAD_OFFSET, p.offset.to_string())];
    Ok(match outcome {
        ChunkOutcome::Progress(p) => {
            let status = if p.stored {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (status, offset_header(&p), Json(p)).into_response()
        }
        ChunkOutcome::Elsewhere(p) => {
            let refusal = HqError::Conflict(format!(
                "HQ holds {} bytes of this blob: resume there (总部已收到 {} 字节,请从该处续传)",
                p.offset, p.offset
            ));
            (offset_header(&p), refusal).into_response()
        }
        ChunkOutcome::Corrupt => HqError::BlobMismatch.into_response(),
    })
}

#[utoipa::path(
    get,
    path = "/v1/blobs/{sha256}",
    summary = "Download a blob (devices: their technician's only)",
    description = "Photos and signature images are customers' data: a key needs both the `read` \
        and the `customer` scopes (or `admin`). Every download is logged in HQ's access log \
        against each order that names the blob.",
    security(("key" = ["read", "customer"]), ("device" = [])),
    params(("sha256" = String, Path, description = "The SHA-256 of the bytes, lowercase hex", pattern = "^[0-9a-f]{64}$")),
    responses(
        (status = 200, description = "The bytes, with the media type they were stored with", content_type = "application/octet-stream"),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "A key without the read and customer scopes", body = ErrorBody),
        (status = 404, description = "No such order, device, technician or blob (or not the caller's)", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn get_blob(
    caller: Caller,
    State(s): State<AppState>,
    origin: Origin,
    Path(sha): Path<String>,
) -> Result<Response> {
    let (reader, scope) = match caller {
        // A photo or a signature image is the customer's data, whole or not at all.
        Caller::Key(k) if k.allows(Scope::Read) && k.allows(Scope::Customer) => {
            (Reader::Key(k.name), None)
        }
        Caller::Key(k) => {
            return Err(HqError::Forbidden(format!(
                "key {} does not have the read and customer scopes this needs",
                k.name
            )))
        }
        Caller::Device(d) => (Reader::Device(d.device_id), Some(d.technician_id)),
    };
    let (media, bytes) = s.store.get_blob(&sha, scope.as_deref()).await?;
    s.store
        .looked_at_blob(&reader, &origin, &sha, scope.as_deref(), Utc::now())
        .await?;
    Ok(([(header::CONTENT_TYPE, media)], bytes).into_response())
}

#[utoipa::path(
    post,
    path = "/v1/receipt-blocks",
    summary = "Grant the device a new block of receipt numbers",
    security(("device" = [])),
    responses(
        (status = 201, description = "The block", body = NumberBlock),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "An integration key on a device route", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn grant_block(DeviceCaller(d): DeviceCaller, State(s): State<AppState>) -> Result<Response> {
    let b = s.store.grant_block(&d, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(b)).into_response())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChargeInstructionBody {
    pub instruction: onsite_core::charge::Instruction,
    /// Who at the service centre gives it.
    pub by: String,
}

#[utoipa::path(
    post,
    path = "/v1/orders/{job_id}/charge-instruction",
    summary = "The service centre's instruction on a disputed charge (waive, reduce, insist), sent to the phone by sync",
    security(("key" = ["dispatch"])),
    params(("job_id" = String, Path, description = "The order number", pattern = "^[A-Za-z0-9._-]{1,64}$")),
    request_body = ChargeInstructionBody,
    responses(
        (status = 200, description = "Instructed", body = OrderSummary),
        (status = 400, description = "Malformed request: the body or a parameter does not fit its schema", body = ErrorBody),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "A device token, or a key without the scope this route needs", body = ErrorBody),
        (status = 404, description = "No such order, device, technician or blob (or not the caller's)", body = ErrorBody),
        (status = 409, description = "The request conflicts with the order's state", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn charge_instruction(
    _: Scoped<Dispatch>,
    State(s): State<AppState>,
    Path(job_id): Path<String>,
    JsonBody(c): JsonBody<ChargeInstructionBody>,
) -> Result<Response> {
    let out = s
        .store
        .instruct_charge(&job_id, c.instruction, &c.by, Utc::now())
        .await?;
    Ok(Json(out).into_response())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChargeCodeBody {
    pub instruction: onsite_core::charge::Instruction,
}

#[utoipa::path(
    post,
    path = "/v1/orders/{job_id}/charge-code",
    summary = "The code a supervisor reads out to give a charge instruction to an offline phone",
    security(("key" = ["dispatch"])),
    params(("job_id" = String, Path, description = "The order number", pattern = "^[A-Za-z0-9._-]{1,64}$")),
    request_body = ChargeCodeBody,
    responses(
        (status = 200, description = "The 6-digit code", body = Code),
        (status = 400, description = "Malformed request: the body or a parameter does not fit its schema", body = ErrorBody),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "A device token, or a key without the scope this route needs", body = ErrorBody),
        (status = 404, description = "No such order, device, technician or blob (or not the caller's)", body = ErrorBody),
        (status = 409, description = "The request conflicts with the order's state", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn charge_code(
    _: Scoped<Dispatch>,
    State(s): State<AppState>,
    Path(job_id): Path<String>,
    JsonBody(c): JsonBody<ChargeCodeBody>,
) -> Result<Response> {
    let code = s.store.charge_code(&job_id, c.instruction).await?;
    Ok(Json(Code { code }).into_response())
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceQuery {
    /// Only `pending` (the default) is listed.
    #[param(pattern = "^pending$")]
    pub status: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/invoices",
    summary = "Invoices promised to customers and not yet handed over",
    description = "Each listed invoice's order is logged in HQ's access log (`api.list`). The \
        title (the customer's or their company's name) is masked, the tax number emptied and a \
        postal address shortened unless the key has the `customer` scope (or `admin`), and for a \
        confidential order always.",
    security(("key" = ["read"])),
    params(InvoiceQuery),
    responses(
        (status = 200, description = "Pending invoices", body = Vec<PendingInvoice>),
        (status = 400, description = "Malformed request: the body or a parameter does not fit its schema", body = ErrorBody),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "A device token, or a key without the scope this route needs", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn invoices(
    scoped: Scoped<Read>,
    State(s): State<AppState>,
    origin: Origin,
    Query(q): Query<InvoiceQuery>,
) -> Result<Response> {
    if q.status.as_deref().is_some_and(|st| st != "pending") {
        return Err(HqError::BadRequest(
            "status: only pending invoices are listed".into(),
        ));
    }
    let key = scoped.0;
    let mut out = s.store.pending_invoices().await?;
    // An invoice's title is the customer's name (or their company's).
    let listed: Vec<String> = out.iter().map(|i| i.job_id.clone()).collect();
    let (sight, secret) = key_read(&s, key, &origin, Look::ApiList, &listed).await?;
    for i in out
        .iter_mut()
        .filter(|i| sight.masks(secret.contains(&i.job_id)))
    {
        i.title = crate::centre::access::mask_name(&i.title);
        i.tax_number = String::new();
        if let onsite_core::charge::InvoiceDelivery::Post { address } = &mut i.delivery {
            *address = crate::centre::access::short_address(address);
        }
    }
    Ok(Json(out).into_response())
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FollowQuery {
    /// `YYYY-MM`: also the month's 30% sample.
    #[param(pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$")]
    pub month: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/followups",
    summary = "The follow-up queue; with month=YYYY-MM also the 30% sample",
    security(("key" = ["read"])),
    params(FollowQuery),
    responses(
        (status = 200, description = "The follow-up queue", body = Vec<FollowUp>),
        (status = 400, description = "Malformed request: the body or a parameter does not fit its schema", body = ErrorBody),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "A device token, or a key without the scope this route needs", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn followups(
    _: Scoped<Read>,
    State(s): State<AppState>,
    Query(q): Query<FollowQuery>,
) -> Result<Response> {
    let out = s.store.followups(q.month.as_deref()).await?;
    Ok(Json(out).into_response())
}

/// Complaints customers made on site; the centre's handling comes later.
#[utoipa::path(
    get,
    path = "/v1/complaints",
    summary = "Complaints customers made on site (soft: service, hard: product), oldest first",
    description = "Each listed complaint's order is logged in HQ's access log. The customer's \
        name and phone are masked (王**, 138****8000) unless the key has the `customer` scope \
        (or `admin`), and for a confidential order always.",
    security(("key" = ["read"])),
    responses(
        (status = 200, description = "The complaints", body = Vec<ComplaintRecord>),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "A device token, or a key without the scope this route needs", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn complaints(
    scoped: Scoped<Read>,
    State(s): State<AppState>,
    origin: Origin,
) -> Result<Response> {
    let key = scoped.0;
    let mut out = s.store.complaints().await?;
    let listed: Vec<String> = out.iter().map(|c| c.job_id.clone()).collect();
    let (sight, secret) = key_read(&s, key, &origin, Look::ApiComplaints, &listed).await?;
    for c in out
        .iter_mut()
        .filter(|c| sight.masks(secret.contains(&c.job_id)))
    {
        c.customer_name = crate::centre::access::mask_name(&c.customer_name);
        c.customer_phone = crate::centre::access::mask_phone(&c.customer_phone);
    }
    Ok(Json(out).into_response())
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OldPartsQuery {
    pub job_id: Option<String>,
}

/// The old parts recovered on site with their registration numbers, for the centre's review.
#[utoipa::path(
    get,
    path = "/v1/old-parts",
    summary = "Old parts recovered on site with their registration numbers, for review",
    description = "Each listed part's order is logged in HQ's access log (`api.list`). A GPS \
        terminal's return plate (the customer's vehicle) is masked unless the key has the \
        `customer` scope (or `admin`), and for a confidential order always.",
    security(("key" = ["read"])),
    params(OldPartsQuery),
    responses(
        (status = 200, description = "Recovered old parts, newest first", body = Vec<OldPart>),
        (status = 400, description = "Malformed request: the body or a parameter does not fit its schema", body = ErrorBody),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "A device token, or a key without the scope this route needs", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn old_parts(
    scoped: Scoped<Read>,
    State(s): State<AppState>,
    origin: Origin,
    Query(q): Query<OldPartsQuery>,
) -> Result<Response> {
    let key = scoped.0;
    let mut out = s.store.old_parts(q.job_id.as_deref()).await?;
    // A GPS terminal's return tag names the customer's vehicle (plate).
    let listed: Vec<String> = out.iter().map(|p| p.job_id.clone()).collect();
    let (sight, secret) = key_read(&s, key, &origin, Look::ApiList, &listed).await?;
    for p in out
        .iter_mut()
        .filter(|p| sight.masks(secret.contains(&p.job_id)))
    {
        p.return_plate = p
            .return_plate
            .as_deref()
            .map(crate::centre::access::mask_name);
    }
    Ok(Json(out).into_response())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Handover {
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub technician_id: String,
    pub day: NaiveDate,
    #[schema(value_type = onsite_core::payment::Method)]
    pub method: String,
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub amount_fen: i64,
}

#[utoipa::path(
    post,
    path = "/v1/handovers",
    summary = "Record money handed in by a technician for a day and method",
    security(("key" = ["admin"])),
    request_body = Handover,
    responses(
        (status = 204, description = "Recorded"),
        (status = 400, description = "Malformed request: the body or a parameter does not fit its schema", body = ErrorBody),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "A device token, or a key without the scope this route needs", body = ErrorBody),
        (status = 404, description = "No such order, device, technician or blob (or not the caller's)", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn handover(
    _: Scoped<Admin>,
    State(s): State<AppState>,
    JsonBody(r): JsonBody<Handover>,
) -> Result<StatusCode> {
    s.store
        .record_handover(&r.technician_id, r.day, &r.method, r.amount_fen, Utc::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReconQuery {
    #[param(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub technician_id: String,
    pub day: NaiveDate,
}

#[utoipa::path(
    get,
    path = "/v1/reconciliation",
    summary = "Receipts and money by method against what was handed in",
    security(("key" = ["read"])),
    params(ReconQuery),
    responses(
        (status = 200, description = "The technician's day by payment method", body = Reconciliation),
        (status = 400, description = "Malformed request: the body or a parameter does not fit its schema", body = ErrorBody),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "A device token, or a key without the scope this route needs", body = ErrorBody),
        (status = 422, description = "A sum of money does not fit in an amount", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn reconciliation(
    _: Scoped<Read>,
    State(s): State<AppState>,
    Query(q): Query<ReconQuery>,
) -> Result<Response> {
    let out = s.store.reconciliation(&q.technician_id, q.day).await?;
    Ok(Json(out).into_response())
}

/// A key to make: its name and what it may do.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewKey {
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub name: String,
    #[schema(min_items = 1)]
    pub scopes: Vec<Scope>,
}

/// A new key: its secret is shown this once and cannot be shown again.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedKey {
    pub name: String,
    pub scopes: Vec<Scope>,
    pub secret: String,
}

#[utoipa::path(
    post,
    path = "/v1/keys",
    summary = "Create a named integration key with scopes; its secret is in this answer only",
    security(("key" = ["admin"])),
    request_body = NewKey,
    responses(
        (status = 201, description = "The key and its secret", body = CreatedKey),
        (status = 400, description = "Malformed request: the body or a parameter does not fit its schema", body = ErrorBody),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "A device token, or a key without the scope this route needs", body = ErrorBody),
        (status = 409, description = "A key of that name exists (or existed: names are not reused)", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn create_key(
    key: Scoped<Admin>,
    State(s): State<AppState>,
    JsonBody(k): JsonBody<NewKey>,
) -> Result<Response> {
    let mut scopes = k.scopes;
    scopes.sort();
    scopes.dedup();
    let (name, granted) = (k.name.clone(), scopes.clone());
    let secret = s
        .store
        .add_key(&Actor::Key(key.0.name), &name, granted, Utc::now())
        .await?;
    let out = CreatedKey {
        name: k.name,
        scopes,
        secret,
    };
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

#[utoipa::path(
    get,
    path = "/v1/keys",
    summary = "Integration keys, revoked ones too (never their secrets)",
    security(("key" = ["admin"])),
    responses(
        (status = 200, description = "The keys by name", body = Vec<KeyInfo>),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "A device token, or a key without the scope this route needs", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn list_keys(_: Scoped<Admin>, State(s): State<AppState>) -> Result<Response> {
    let out = s.store.keys().await?;
    Ok(Json(out).into_response())
}

#[utoipa::path(
    post,
    path = "/v1/keys/{name}/revoke",
    summary = "Revoke an integration key: its secret is refused from now on",
    security(("key" = ["admin"])),
    params(("name" = String, Path, description = "The key's name", pattern = "^[A-Za-z0-9._-]{1,64}$")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Missing, wrong or revoked token", body = ErrorBody),
        (status = 403, description = "A device token, or a key without the scope this route needs", body = ErrorBody),
        (status = 404, description = "No active key of that name", body = ErrorBody),
        (status = 500, description = "Internal error: a generic message with a reference into HQ's log", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again", body = ErrorBody)
    )
)]
async fn revoke_key(
    key: Scoped<Admin>,
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode> {
    s.store
        .withdraw_key(&Actor::Key(key.0.name), &name, Utc::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
