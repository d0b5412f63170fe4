//! The HTTP API (`/v1`), JSON over HTTP. The routes here and the OpenAPI
//! document in [`crate::openapi`] are checked against each other by a test.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use onsite_core::order::WorkOrder;
use onsite_core::sync::protocol::{decode_push, EnrollRequest};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tracing::field::Empty;
use tracing::Instrument;

use crate::db::Db;
use crate::error::{HqError, Result};
use crate::store::{self, Device};

/// Largest JSON body (a push of 500 ops with signatures fits well within it).
pub const MAX_JSON_BYTES: usize = 4 * 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub db: Arc<dyn Db>,
    /// SHA-256 of the service centre's admin token.
    pub admin_token_hash: String,
}

/// Who is calling.
enum Caller {
    Admin,
    Device(Device),
}

/// Runs database work on a blocking thread, inside the request's span.
async fn blocking<R: Send + 'static>(f: impl FnOnce() -> Result<R> + Send + 'static) -> Result<R> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f))
        .await
        .map_err(|e| {
            // Not the panic's message: it could quote what the worker held.
            HqError::Internal(if e.is_panic() {
                "a database worker panicked".into()
            } else {
                "a database worker was cancelled".into()
            })
        })?
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

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ").map(|t| t.trim().to_string())
}

async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Caller> {
    let token = bearer(headers).ok_or(HqError::Unauthorized)?;
    let span = tracing::Span::current();
    if store::hash_secret(&token) == state.admin_token_hash {
        span.record("caller", "admin");
        return Ok(Caller::Admin);
    }
    let db = state.db.clone();
    let d = blocking(move || store::authenticate(&*db, &token)).await?;
    span.record("caller", "device");
    span.record("device_id", d.device_id.as_str());
    span.record("technician_id", d.technician_id.as_str());
    Ok(Caller::Device(d))
}

async fn admin(state: &AppState, headers: &HeaderMap) -> Result<()> {
    match caller(state, headers).await? {
        Caller::Admin => Ok(()),
        Caller::Device(_) => Err(HqError::Forbidden(
            "this needs the service centre's admin token".into(),
        )),
    }
}

async fn device(state: &AppState, headers: &HeaderMap) -> Result<Device> {
    match caller(state, headers).await? {
        Caller::Device(d) => Ok(d),
        Caller::Admin => Err(HqError::Forbidden("this needs a device token".into())),
    }
}

/// Parses a JSON body with a typed error (never axum's plain-text rejection).
fn parse<T: DeserializeOwned>(
    body: &Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<T> {
    serde_json::from_slice(bytes_of(body)?)
        .map_err(|e| HqError::BadRequest(format!("malformed JSON body: {e}")))
}

fn bytes_of(body: &Result<Bytes, axum::extract::rejection::BytesRejection>) -> Result<&Bytes> {
    match body {
        Ok(b) => Ok(b),
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Err(HqError::TooLarge(MAX_JSON_BYTES))
        }
        Err(e) => Err(HqError::BadRequest(e.body_text())),
    }
}

type Body = std::result::Result<Bytes, axum::extract::rejection::BytesRejection>;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/technicians", post(create_technician))
        .route("/v1/enrollments", post(create_enrollment))
        .route("/v1/enroll", post(enroll))
        .route("/v1/devices/{device_id}/revoke", post(revoke))
        .route("/v1/orders", post(create_order).get(list_orders))
        .route("/v1/orders/{job_id}", get(get_order))
        .route("/v1/orders/{job_id}/assign", post(assign))
        .route("/v1/orders/{job_id}/reschedule", post(reschedule))
        .route("/v1/orders/{job_id}/cancel", post(cancel))
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
        .route("/v1/receipt-blocks", post(grant_block))
        .route("/v1/followups", get(followups))
        .route("/v1/handovers", post(handover))
        .route("/v1/reconciliation", get(reconciliation))
        .route("/v1/old-parts", get(old_parts))
        .route("/v1/complaints", get(complaints))
        .fallback(|| async { HqError::NotFound("route".into()) })
        .layer(axum::middleware::from_fn(trace_request))
        .layer(DefaultBodyLimit::max(store::MAX_BLOB_BYTES + 1024))
        .with_state(state)
}

async fn health(State(s): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok", "database": s.db.kind()}))
}

async fn openapi(State(s): State<AppState>, h: HeaderMap) -> Result<Json<serde_json::Value>> {
    caller(&s, &h).await?;
    Ok(Json(crate::openapi::document()))
}

fn json_limit(body: &Body) -> Result<()> {
    if let Ok(b) = body {
        if b.len() > MAX_JSON_BYTES {
            return Err(HqError::TooLarge(MAX_JSON_BYTES));
        }
    }
    Ok(())
}

#[derive(Deserialize)]
struct NewTechnician {
    technician_id: String,
    name: String,
}

async fn create_technician(
    State(s): State<AppState>,
    h: HeaderMap,
    body: Body,
) -> Result<Response> {
    admin(&s, &h).await?;
    json_limit(&body)?;
    let t: NewTechnician = parse(&body)?;
    let db = s.db.clone();
    blocking(move || store::create_technician(&*db, &t.technician_id, &t.name, Utc::now())).await?;
    Ok(StatusCode::CREATED.into_response())
}

#[derive(Deserialize)]
struct NewEnrollment {
    technician_id: String,
}

async fn create_enrollment(
    State(s): State<AppState>,
    h: HeaderMap,
    body: Body,
) -> Result<Response> {
    admin(&s, &h).await?;
    json_limit(&body)?;
    let e: NewEnrollment = parse(&body)?;
    let db = s.db.clone();
    let code =
        blocking(move || store::create_enrollment(&*db, &e.technician_id, Utc::now())).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "code": code })),
    )
        .into_response())
}

async fn enroll(State(s): State<AppState>, body: Body) -> Result<Response> {
    json_limit(&body)?;
    let r: EnrollRequest = parse(&body)?;
    let db = s.db.clone();
    let resp = blocking(move || store::enroll(&*db, &r.code, &r.device_id, Utc::now())).await?;
    Ok((StatusCode::CREATED, Json(resp)).into_response())
}

async fn revoke(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(device_id): Path<String>,
) -> Result<Response> {
    admin(&s, &h).await?;
    let db = s.db.clone();
    blocking(move || store::revoke(&*db, &device_id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn create_order(State(s): State<AppState>, h: HeaderMap, body: Body) -> Result<Response> {
    admin(&s, &h).await?;
    json_limit(&body)?;
    let order: WorkOrder = parse(&body)?;
    let db = s.db.clone();
    let out = blocking(move || store::create_order(&*db, order, Utc::now())).await?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

#[derive(Deserialize)]
struct OrderFilter {
    technician_id: Option<String>,
    status: Option<String>,
}

async fn list_orders(
    State(s): State<AppState>,
    h: HeaderMap,
    Query(f): Query<OrderFilter>,
) -> Result<Response> {
    admin(&s, &h).await?;
    let db = s.db.clone();
    let out =
        blocking(move || store::list_orders(&*db, f.technician_id.as_deref(), f.status.as_deref()))
            .await?;
    Ok(Json(out).into_response())
}

async fn get_order(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(job_id): Path<String>,
) -> Result<Response> {
    admin(&s, &h).await?;
    let db = s.db.clone();
    let v = blocking(move || store::get_order(&*db, &job_id, None)).await?;
    Ok(Json(v).into_response())
}

#[derive(Deserialize)]
struct Assign {
    technician_id: String,
}

async fn assign(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(job_id): Path<String>,
    body: Body,
) -> Result<Response> {
    admin(&s, &h).await?;
    json_limit(&body)?;
    let a: Assign = parse(&body)?;
    let db = s.db.clone();
    let out = blocking(move || store::assign(&*db, &job_id, &a.technician_id, Utc::now())).await?;
    Ok(Json(out).into_response())
}

#[derive(Deserialize)]
struct Reschedule {
    appointment_at: DateTime<Utc>,
    #[serde(default)]
    reason: String,
    /// The customer's consent: `{"agreed_by", "agreed_at", "channel": "phone"|"in_person"|"message"}`.
    #[serde(default)]
    consent: Option<onsite_core::visit::RescheduleConsent>,
}

async fn reschedule(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(job_id): Path<String>,
    body: Body,
) -> Result<Response> {
    admin(&s, &h).await?;
    json_limit(&body)?;
    let r: Reschedule = parse(&body)?;
    let db = s.db.clone();
    let out = blocking(move || {
        store::reschedule(
            &*db,
            &job_id,
            r.appointment_at,
            &r.reason,
            r.consent.as_ref(),
            Utc::now(),
        )
    })
    .await?;
    Ok(Json(out).into_response())
}

#[derive(Deserialize)]
struct Cancel {
    reason: String,
}

async fn cancel(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(job_id): Path<String>,
    body: Body,
) -> Result<Response> {
    admin(&s, &h).await?;
    json_limit(&body)?;
    let c: Cancel = parse(&body)?;
    let db = s.db.clone();
    let out = blocking(move || store::cancel(&*db, &job_id, &c.reason, Utc::now())).await?;
    Ok(Json(out).into_response())
}

async fn my_jobs(State(s): State<AppState>, h: HeaderMap) -> Result<Response> {
    let d = device(&s, &h).await?;
    let db = s.db.clone();
    let out = blocking(move || store::list_orders(&*db, Some(&d.technician_id), None)).await?;
    Ok(Json(out).into_response())
}

async fn my_job(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(job_id): Path<String>,
) -> Result<Response> {
    let d = device(&s, &h).await?;
    let db = s.db.clone();
    let v = blocking(move || store::get_order(&*db, &job_id, Some(&d.technician_id))).await?;
    Ok(Json(v).into_response())
}

async fn push(State(s): State<AppState>, h: HeaderMap, body: Body) -> Result<Response> {
    let d = device(&s, &h).await?;
    json_limit(&body)?;
    // The same decoder the property tests and the fuzz target exercise.
    let req = decode_push(bytes_of(&body)?).map_err(|e| HqError::BadRequest(e.to_string()))?;
    let db = s.db.clone();
    let out = blocking(move || store::push(&*db, &d, &req.ops, Utc::now())).await?;
    Ok(Json(out).into_response())
}

#[derive(Deserialize)]
struct PullQuery {
    #[serde(default)]
    cursor: i64,
    limit: Option<usize>,
}

async fn pull(
    State(s): State<AppState>,
    h: HeaderMap,
    q: std::result::Result<Query<PullQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response> {
    let d = device(&s, &h).await?;
    let Query(q) = q.map_err(|e| HqError::BadRequest(e.body_text()))?;
    let db = s.db.clone();
    let out =
        blocking(move || store::pull(&*db, &d.technician_id, q.cursor, q.limit.unwrap_or(500)))
            .await?;
    Ok(Json(out).into_response())
}

async fn put_blob(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(sha): Path<String>,
    body: Body,
) -> Result<Response> {
    let d = device(&s, &h).await?;
    let bytes = match body {
        Ok(b) => b.to_vec(),
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(HqError::TooLarge(store::MAX_BLOB_BYTES))
        }
        Err(e) => return Err(HqError::BadRequest(e.body_text())),
    };
    let media = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    let db = s.db.clone();
    let created =
        blocking(move || store::put_blob(&*db, &sha, &media, bytes, &d.technician_id, Utc::now()))
            .await?;
    Ok(if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
    .into_response())
}

async fn get_blob(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(sha): Path<String>,
) -> Result<Response> {
    let scope = match caller(&s, &h).await? {
        Caller::Admin => None,
        Caller::Device(d) => Some(d.technician_id),
    };
    let db = s.db.clone();
    let (media, bytes) = blocking(move || store::get_blob(&*db, &sha, scope.as_deref())).await?;
    Ok(([(header::CONTENT_TYPE, media)], bytes).into_response())
}

async fn grant_block(State(s): State<AppState>, h: HeaderMap) -> Result<Response> {
    let d = device(&s, &h).await?;
    let db = s.db.clone();
    let b = blocking(move || store::grant_block(&*db, &d, Utc::now())).await?;
    Ok((StatusCode::CREATED, Json(b)).into_response())
}

#[derive(Deserialize)]
struct ChargeInstructionBody {
    instruction: onsite_core::charge::Instruction,
    /// Who at the service centre gives it.
    by: String,
}

async fn charge_instruction(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(job_id): Path<String>,
    body: Body,
) -> Result<Response> {
    admin(&s, &h).await?;
    json_limit(&body)?;
    let c: ChargeInstructionBody = parse(&body)?;
    let db = s.db.clone();
    let out =
        blocking(move || store::instruct_charge(&*db, &job_id, c.instruction, &c.by, Utc::now()))
            .await?;
    Ok(Json(out).into_response())
}

#[derive(Deserialize)]
struct ChargeCodeBody {
    instruction: onsite_core::charge::Instruction,
}

async fn charge_code(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(job_id): Path<String>,
    body: Body,
) -> Result<Response> {
    admin(&s, &h).await?;
    json_limit(&body)?;
    let c: ChargeCodeBody = parse(&body)?;
    let db = s.db.clone();
    let code = blocking(move || store::charge_code(&*db, &job_id, c.instruction)).await?;
    Ok(Json(serde_json::json!({ "code": code })).into_response())
}

#[derive(Deserialize)]
struct InvoiceQuery {
    status: Option<String>,
}

async fn invoices(
    State(s): State<AppState>,
    h: HeaderMap,
    Query(q): Query<InvoiceQuery>,
) -> Result<Response> {
    admin(&s, &h).await?;
    if q.status.as_deref().is_some_and(|st| st != "pending") {
        return Err(HqError::BadRequest(
            "status: only pending invoices are listed".into(),
        ));
    }
    let db = s.db.clone();
    let out = blocking(move || store::pending_invoices(&*db)).await?;
    Ok(Json(out).into_response())
}

#[derive(Deserialize)]
struct FollowQuery {
    month: Option<String>,
}

async fn followups(
    State(s): State<AppState>,
    h: HeaderMap,
    Query(q): Query<FollowQuery>,
) -> Result<Response> {
    admin(&s, &h).await?;
    let db = s.db.clone();
    let out = blocking(move || store::followups(&*db, q.month.as_deref())).await?;
    Ok(Json(out).into_response())
}

/// Complaints customers made on site; the centre's handling comes later.
async fn complaints(State(s): State<AppState>, h: HeaderMap) -> Result<Response> {
    admin(&s, &h).await?;
    let db = s.db.clone();
    let out = blocking(move || store::complaints(&*db)).await?;
    Ok(Json(out).into_response())
}

#[derive(Deserialize)]
struct OldPartsQuery {
    job_id: Option<String>,
}

/// The old parts recovered on site with their registration numbers, for the centre's review.
async fn old_parts(
    State(s): State<AppState>,
    h: HeaderMap,
    Query(q): Query<OldPartsQuery>,
) -> Result<Response> {
    admin(&s, &h).await?;
    let db = s.db.clone();
    let out = blocking(move || store::old_parts(&*db, q.job_id.as_deref())).await?;
    Ok(Json(out).into_response())
}

#[derive(Deserialize)]
struct Handover {
    technician_id: String,
    day: NaiveDate,
    method: String,
    amount_fen: i64,
}

async fn handover(State(s): State<AppState>, h: HeaderMap, body: Body) -> Result<Response> {
    admin(&s, &h).await?;
    json_limit(&body)?;
    let r: Handover = parse(&body)?;
    let db = s.db.clone();
    blocking(move || {
        store::record_handover(
            &*db,
            &r.technician_id,
            r.day,
            &r.method,
            r.amount_fen,
            Utc::now(),
        )
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct ReconQuery {
    technician_id: String,
    day: NaiveDate,
}

async fn reconciliation(
    State(s): State<AppState>,
    h: HeaderMap,
    q: std::result::Result<Query<ReconQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response> {
    admin(&s, &h).await?;
    let Query(q) = q.map_err(|e| HqError::BadRequest(e.body_text()))?;
    let db = s.db.clone();
    let out = blocking(move || store::reconciliation(&*db, &q.technician_id, q.day)).await?;
    Ok(Json(out).into_response())
}
