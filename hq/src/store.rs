//! HQ's rules, written once over [`Db`] so SQLite and PostgreSQL behave alike.
//!
//! Push applies a device's batch in one transaction together with the device's
//! last applied sequence, so a re-sent op is an acknowledged no-op and a crash
//! mid-batch applies nothing. Each op is *decided* first (a pure function of the
//! order's state at HQ and the op) and then applied; a rejected op is recorded
//! with its reason and the rest of the batch still applies.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use onsite_core::charge::{Instruction, InvoiceDelivery};
use onsite_core::error::Field;
use onsite_core::money::Fen;
use onsite_core::order::{validate_id, WorkOrder};
use onsite_core::payment::Method;
use onsite_core::receipt::NumberBlock;
use onsite_core::signature::record::content_hash;
use onsite_core::sync::protocol::{
    Change, ChangeKind, EnrollResponse, Op, OpResult, Outcome, PullResponse, PushResponse,
    RejectCode, MAX_PULL_CHANGES, MAX_PUSH_OPS,
};
use onsite_core::visit::RescheduleConsent;
use onsite_core::visit::{Event, Opinion, Status, Visit};
use serde::{Deserialize, Serialize};

use crate::db::{tx, Db, Tx, Val};
use crate::error::{HqError, Result};

/// Receipt numbers granted per block.
pub const BLOCK_SIZE: i64 = 100;
/// The series HQ numbers receipts in.
pub const SERIES: &str = "R";

fn now_str(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Tokens and enrollment codes are stored hashed: a copy of the database lets nobody in.
pub fn hash_secret(s: &str) -> String {
    content_hash(s.as_bytes())
}

/// An authenticated device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub device_id: String,
    pub technician_id: String,
}

// --- technicians, enrollment, tokens ------------------------------------------------

pub fn create_technician(db: &dyn Db, id: &str, name: &str, now: DateTime<Utc>) -> Result<String> {
    validate_id(Field::TechnicianId, id)?;
    if name.trim().is_empty() || name.chars().count() > 100 {
        return Err(HqError::BadRequest(
            "technician name must be 1 to 100 characters".into(),
        ));
    }
    tx(db, |t| {
        if let Some(r) = t.query_one(
            "SELECT approval_key FROM technicians WHERE technician_id = ?",
            &[id.into()],
        )? {
            return r.text(0);
        }
        let key = random_token();
        t.exec(
            "INSERT INTO technicians(technician_id, name, approval_key, created_at) VALUES (?, ?, ?, ?)",
            &[id.into(), name.trim().into(), key.clone().into(), now_str(now).into()],
        )?;
        Ok(key)
    })
}

/// A one-time code the technician types into the app to enroll a device.
pub fn create_enrollment(db: &dyn Db, technician_id: &str, now: DateTime<Utc>) -> Result<String> {
    let code = uuid::Uuid::new_v4().simple().to_string()[..12].to_uppercase();
    tx(db, |t| {
        if t.query_one(
            "SELECT 1 FROM technicians WHERE technician_id = ?",
            &[technician_id.into()],
        )?
        .is_none()
        {
            return Err(HqError::NotFound(format!("technician {technician_id}")));
        }
        t.exec(
            "INSERT INTO enrollments(code_hash, technician_id, created_at) VALUES (?, ?, ?)",
            &[
                hash_secret(&code).into(),
                technician_id.into(),
                now_str(now).into(),
            ],
        )?;
        Ok(())
    })?;
    tracing::info!(technician_id, "enrollment code created");
    Ok(code)
}

/// Exchanges an enrollment code for a device token (the code works once).
pub fn enroll(
    db: &dyn Db,
    code: &str,
    device_id: &str,
    now: DateTime<Utc>,
) -> Result<EnrollResponse> {
    validate_id(Field::DeviceId, device_id)?;
    let token = random_token();
    let enrolled = tx(db, |t| {
        let row = t
            .query_one(
                "SELECT e.technician_id, e.used_at, t.name, t.approval_key FROM enrollments e
                 JOIN technicians t ON t.technician_id = e.technician_id
                 WHERE e.code_hash = ? FOR UPDATE",
                &[hash_secret(code.trim()).into()],
            )?
            .ok_or(HqError::Unauthorized)?;
        if row.opt_text(1)?.is_some() {
            return Err(HqError::Unauthorized);
        }
        let technician_id = row.text(0)?;
        if let Some(existing) = t.query_one(
            "SELECT technician_id FROM devices WHERE device_id = ? FOR UPDATE",
            &[device_id.into()],
        )? {
            if existing.text(0)? != technician_id {
                return Err(HqError::Conflict(format!(
                    "device {device_id} is enrolled for another technician"
                )));
            }
            // Re-enrolling the same device replaces its token and keeps its sequence.
            t.exec(
                "UPDATE devices SET token_hash = ?, revoked = 0 WHERE device_id = ?",
                &[hash_secret(&token).into(), device_id.into()],
            )?;
        } else {
            t.exec(
                "INSERT INTO devices(device_id, technician_id, token_hash, enrolled_at) VALUES (?, ?, ?, ?)",
                &[
                    device_id.into(),
                    technician_id.clone().into(),
                    hash_secret(&token).into(),
                    now_str(now).into(),
                ],
            )?;
        }
        t.exec(
            "UPDATE enrollments SET used_at = ? WHERE code_hash = ?",
            &[now_str(now).into(), hash_secret(code.trim()).into()],
        )?;
        Ok(EnrollResponse {
            token: token.clone(),
            technician_id,
            technician_name: row.text(2)?,
            device_id: device_id.to_string(),
            approval_key: row.text(3)?,
        })
    })?;
    tracing::info!(
        device_id,
        technician_id = %enrolled.technician_id,
        "device enrolled"
    );
    Ok(enrolled)
}

pub fn authenticate(db: &dyn Db, token: &str) -> Result<Device> {
    tx(db, |t| {
        let r = t
            .query_one(
                "SELECT device_id, technician_id, revoked FROM devices WHERE token_hash = ?",
                &[hash_secret(token).into()],
            )?
            .ok_or(HqError::Unauthorized)?;
        if r.int(2)? != 0 {
            return Err(HqError::Unauthorized);
        }
        Ok(Device {
            device_id: r.text(0)?,
            technician_id: r.text(1)?,
        })
    })
}

pub fn revoke(db: &dyn Db, device_id: &str) -> Result<()> {
    tx(db, |t| {
        let n = t.exec(
            "UPDATE devices SET revoked = 1 WHERE device_id = ?",
            &[device_id.into()],
        )?;
        if n == 0 {
            return Err(HqError::NotFound(format!("device {device_id}")));
        }
        Ok(())
    })?;
    tracing::info!(device_id, "device revoked");
    Ok(())
}

// --- dispatch -----------------------------------------------------------------------

/// A line of the dispatch board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderSummary {
    pub job_id: String,
    pub technician_id: String,
    pub status: Status,
    pub appointment_at: DateTime<Utc>,
    pub site: String,
    pub location: String,
    pub urgent: bool,
    pub updated_at: String,
}

fn load_order(t: &mut dyn Tx, job_id: &str) -> Result<Option<(String, Visit)>> {
    match t.query_one(
        "SELECT technician_id, visit FROM orders WHERE job_id = ? FOR UPDATE",
        &[job_id.into()],
    )? {
        Some(r) => Ok(Some((r.text(0)?, serde_json::from_str(&r.text(1)?)?))),
        None => Ok(None),
    }
}

fn save_order(t: &mut dyn Tx, v: &Visit, now: DateTime<Utc>) -> Result<()> {
    t.exec(
        "UPDATE orders SET technician_id = ?, status = ?, visit = ?, updated_at = ? WHERE job_id = ?",
        &[
            v.order.technician_id.clone().into(),
            v.status.as_str().into(),
            serde_json::to_string(v)?.into(),
            now_str(now).into(),
            v.order.job_id.clone().into(),
        ],
    )?;
    Ok(())
}

fn feed(
    t: &mut dyn Tx,
    technician_id: &str,
    job_id: &str,
    change: &ChangeKind,
    now: DateTime<Utc>,
) -> Result<()> {
    t.lock_feed()?;
    t.exec(
        "INSERT INTO changes(technician_id, job_id, at, payload) VALUES (?, ?, ?, ?)",
        &[
            technician_id.into(),
            job_id.into(),
            now_str(now).into(),
            serde_json::to_string(change)?.into(),
        ],
    )?;
    Ok(())
}

fn technician_exists(t: &mut dyn Tx, id: &str) -> Result<bool> {
    Ok(t.query_one(
        "SELECT 1 FROM technicians WHERE technician_id = ?",
        &[id.into()],
    )?
    .is_some())
}

pub fn create_order(db: &dyn Db, order: WorkOrder, now: DateTime<Utc>) -> Result<OrderSummary> {
    let (mut visit, _) = Visit::dispatched(order)?;
    tx(db, |t| {
        // 「将此顾客做特别记录」 (furniture book): a customer who complained
        // before is marked on the order, so the technician knows.
        if !visit.order.complained_before && complained_before(t, &visit.order.customer.phone)? {
            visit.order.complained_before = true;
        }
        if !technician_exists(t, &visit.order.technician_id)? {
            return Err(HqError::NotFound(format!(
                "technician {}",
                visit.order.technician_id
            )));
        }
        if load_order(t, visit.job_id())?.is_some() {
            return Err(HqError::Conflict(format!(
                "order {} exists",
                visit.job_id()
            )));
        }
        t.exec(
            "INSERT INTO orders(job_id, technician_id, status, visit, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            &[
                visit.job_id().into(),
                visit.order.technician_id.clone().into(),
                visit.status.as_str().into(),
                serde_json::to_string(&visit)?.into(),
                now_str(now).into(),
                now_str(now).into(),
            ],
        )?;
        feed(
            t,
            &visit.order.technician_id,
            visit.job_id(),
            &ChangeKind::Dispatched {
                order: Box::new(visit.order.clone()),
            },
            now,
        )?;
        Ok(())
    })?;
    tracing::info!(
        job_id = visit.job_id(),
        technician_id = %visit.order.technician_id,
        "order dispatched"
    );
    summary(&visit, &now_str(now))
}

fn summary(v: &Visit, updated_at: &str) -> Result<OrderSummary> {
    Ok(OrderSummary {
        job_id: v.order.job_id.clone(),
        technician_id: v.order.technician_id.clone(),
        status: v.status,
        appointment_at: v.order.appointment_at,
        site: v.order.site.clone(),
        location: v.order.location.clone(),
        urgent: v.order.urgent,
        updated_at: updated_at.to_string(),
    })
}

fn with_order<R>(
    db: &dyn Db,
    job_id: &str,
    mut f: impl FnMut(&mut dyn Tx, Visit) -> Result<R>,
) -> Result<R> {
    tx(db, |t| {
        let (_, v) =
            load_order(t, job_id)?.ok_or_else(|| HqError::NotFound(format!("order {job_id}")))?;
        f(t, v)
    })
}

/// Assigns or reassigns an order; the previous technician's device hears it left.
pub fn assign(
    db: &dyn Db,
    job_id: &str,
    technician_id: &str,
    now: DateTime<Utc>,
) -> Result<OrderSummary> {
    with_order(db, job_id, |t, mut v| {
        if !v.status.hq_may_change() {
            return Err(HqError::Conflict(format!("order {job_id} is {}", v.status)));
        }
        if !technician_exists(t, technician_id)? {
            return Err(HqError::NotFound(format!("technician {technician_id}")));
        }
        let old = v.order.technician_id.clone();
        if old == technician_id {
            return summary(&v, &now_str(now));
        }
        // A new technician starts from a fresh dispatch of the same order.
        let mut order = v.order.clone();
        order.technician_id = technician_id.to_string();
        v = Visit::dispatched(order)?.0;
        save_order(t, &v, now)?;
        feed(
            t,
            &old,
            job_id,
            &ChangeKind::Reassigned {
                to_technician: technician_id.to_string(),
            },
            now,
        )?;
        feed(
            t,
            technician_id,
            job_id,
            &ChangeKind::Dispatched {
                order: Box::new(v.order.clone()),
            },
            now,
        )?;
        summary(&v, &now_str(now))
    })
    .inspect(
        |o| tracing::info!(job_id = %o.job_id, technician_id = %o.technician_id, "order assigned"),
    )
}

/// Moves the appointment, with the customer's consent (who, when, how):
/// 「服务人员需在用户同意的前提下改约上门服务时间」 (furniture book 二.2.1).
pub fn reschedule(
    db: &dyn Db,
    job_id: &str,
    at: DateTime<Utc>,
    reason: &str,
    consent: Option<&RescheduleConsent>,
    now: DateTime<Utc>,
) -> Result<OrderSummary> {
    with_order(db, job_id, |t, mut v| {
        let e = v.reschedule(at, reason, consent).map_err(|e| match e {
            onsite_core::error::Error::RescheduleConsentRequired
            | onsite_core::error::Error::InvalidInput { .. } => HqError::BadRequest(e.to_string()),
            e => HqError::Conflict(e.to_string()),
        })?;
        v.apply(&e, now);
        save_order(t, &v, now)?;
        feed(
            t,
            &v.order.technician_id,
            job_id,
            &ChangeKind::Rescheduled {
                appointment_at: at,
                reason: reason.to_string(),
                consent: consent.cloned(),
            },
            now,
        )?;
        summary(&v, &now_str(now))
    })
    .inspect(|o| tracing::info!(job_id = %o.job_id, technician_id = %o.technician_id, "order rescheduled"))
}

pub fn cancel(db: &dyn Db, job_id: &str, reason: &str, now: DateTime<Utc>) -> Result<OrderSummary> {
    with_order(db, job_id, |t, mut v| {
        let e = v
            .cancel(reason)
            .map_err(|e| HqError::Conflict(e.to_string()))?;
        v.apply(&e, now);
        save_order(t, &v, now)?;
        feed(
            t,
            &v.order.technician_id,
            job_id,
            &ChangeKind::Cancelled {
                reason: reason.to_string(),
            },
            now,
        )?;
        summary(&v, &now_str(now))
    })
    .inspect(
        |o| tracing::info!(job_id = %o.job_id, technician_id = %o.technician_id, "order cancelled"),
    )
}

pub fn list_orders(
    db: &dyn Db,
    technician_id: Option<&str>,
    status: Option<&str>,
) -> Result<Vec<OrderSummary>> {
    tx(db, |t| {
        let rows = t.query(
            "SELECT visit, updated_at FROM orders
             WHERE (CAST(? AS TEXT) IS NULL OR technician_id = ?) AND (CAST(? AS TEXT) IS NULL OR status = ?)
             ORDER BY job_id",
            &[
                technician_id.into(),
                technician_id.into(),
                status.into(),
                status.into(),
            ],
        )?;
        rows.iter()
            .map(|r| {
                let v: Visit = serde_json::from_str(&r.text(0)?)?;
                summary(&v, &r.text(1)?)
            })
            .collect()
    })
}

/// HQ's view of one order; `scope` limits it to one technician's jobs.
pub fn get_order(db: &dyn Db, job_id: &str, scope: Option<&str>) -> Result<Visit> {
    with_order(db, job_id, |_, v| {
        if scope.is_some_and(|tech| tech != v.order.technician_id) {
            // Not "forbidden": a technician must not learn that someone else's job exists.
            return Err(HqError::NotFound(format!("order {job_id}")));
        }
        Ok(v)
    })
}

// --- sync ---------------------------------------------------------------------------

/// The key a technician's supervisors make their codes with (empty for an
/// unknown technician: no code then matches).
fn approval_key_of(t: &mut dyn Tx, technician_id: &str) -> Result<String> {
    Ok(t.query_one(
        "SELECT approval_key FROM technicians WHERE technician_id = ?",
        &[technician_id.into()],
    )?
    .map(|r| r.text(0))
    .transpose()?
    .unwrap_or_default())
}

/// Decides one op against HQ's state of its job: the reason it cannot apply,
/// if any. `approval_key` is the technician's, which supervisors' codes
/// (off-schedule lines, charge instructions) are made with.
pub fn decide(
    order: Option<&(String, Visit)>,
    technician_id: &str,
    approval_key: &[u8],
    op: &Op,
) -> Option<(RejectCode, String)> {
    let Some((owner, visit)) = order else {
        return Some((
            RejectCode::UnknownJob,
            format!("HQ has no job {}", op.job_id),
        ));
    };
    if owner != technician_id {
        return Some((
            RejectCode::Reassigned,
            format!("job {} was reassigned to another technician", op.job_id),
        ));
    }
    if visit.status == Status::Cancelled {
        return Some((
            RejectCode::JobCancelled,
            format!(
                "job {} was cancelled by HQ: {}",
                op.job_id,
                visit.cancelled_reason.clone().unwrap_or_default()
            ),
        ));
    }
    if op.event.from_hq() {
        return Some((
            RejectCode::RuleBroken,
            "a device cannot send HQ's decisions".into(),
        ));
    }
    if let Some(reject) = decide_receipt(visit, op) {
        return Some(reject);
    }
    visit
        .admits(&op.event, approval_key)
        .err()
        .map(|e| (RejectCode::RuleBroken, e.to_string()))
}

/// A void or reissue names one of the job's receipts as HQ has them (the
/// standing one and those voided): an unknown number or a second void gets
/// its own code, before the transition table's checks.
fn decide_receipt(visit: &Visit, op: &Op) -> Option<(RejectCode, String)> {
    let known = |n: &str| {
        visit.receipt.as_ref().is_some_and(|r| r.number == n)
            || visit.voided_receipts.iter().any(|v| v == n)
    };
    let unknown = |n: &str| {
        Some((
            RejectCode::UnknownReceipt,
            format!("HQ has no receipt {n} on job {}", op.job_id),
        ))
    };
    match &op.event {
        Event::ReceiptVoided { number, .. } if !known(number) => unknown(number),
        Event::ReceiptVoided { number, .. } if visit.voided_receipts.contains(number) => Some((
            RejectCode::ReceiptAlreadyVoid,
            format!("receipt {number} is already void"),
        )),
        Event::ReceiptReissued { replaces, .. } if !known(replaces) => unknown(replaces),
        _ => None,
    }
}

/// Stores a push's op rows with a few multi-row INSERTs: one round trip per
/// 50 ops instead of one per op, which is what PostgreSQL under load pays for.
fn insert_ops(t: &mut dyn Tx, rows: Vec<Vec<Val>>) -> Result<()> {
    const PER_STATEMENT: usize = 50;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Val>> = rows.by_ref().take(PER_STATEMENT).collect();
        let placeholders = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ");
        let params: Vec<Val> = chunk.into_iter().flatten().collect();
        t.exec(
            &format!(
                "INSERT INTO ops(op_id, device_id, seq, job_id, kind, outcome, code, message, hlc, received_at, payload)
                 VALUES {placeholders}"
            ),
            &params,
        )?;
    }
    Ok(())
}

pub fn push(db: &dyn Db, device: &Device, ops: &[Op], now: DateTime<Utc>) -> Result<PushResponse> {
    if ops.len() > MAX_PUSH_OPS {
        return Err(HqError::BadRequest(format!(
            "at most {MAX_PUSH_OPS} ops per push"
        )));
    }
    if let Some(op) = ops.iter().find(|o| o.device_id != device.device_id) {
        return Err(HqError::Forbidden(format!(
            "op {} belongs to device {}, not {}",
            op.op_id, op.device_id, device.device_id
        )));
    }
    let mut sorted: Vec<&Op> = ops.iter().collect();
    sorted.sort_by_key(|o| o.seq);
    let response = tx(db, |t| {
        let row = t
            .query_one(
                "SELECT last_seq FROM devices WHERE device_id = ? FOR UPDATE",
                &[device.device_id.clone().into()],
            )?
            .ok_or(HqError::Unauthorized)?;
        let mut last = row.int(0)?;
        let approval_key = approval_key_of(t, &device.technician_id)?;
        let mut orders: HashMap<String, Option<(String, Visit)>> = HashMap::new();
        let mut dirty: Vec<String> = Vec::new();
        let mut results = Vec::with_capacity(sorted.len());
        let mut op_rows: Vec<Vec<Val>> = Vec::with_capacity(sorted.len());
        for op in &sorted {
            let outcome = if op.seq <= last {
                Outcome::Duplicate
            } else if op.seq != last + 1 {
                Outcome::OutOfOrder
            } else {
                if !orders.contains_key(&op.job_id) {
                    let o = load_order(t, &op.job_id)?;
                    orders.insert(op.job_id.clone(), o);
                }
                let order = orders.get(&op.job_id).and_then(|o| o.as_ref());
                let mut verdict = decide(order, &device.technician_id, approval_key.as_bytes(), op);
                if verdict.is_none() {
                    verdict = side_effects(t, order, device, op, now)?;
                }
                let outcome = match verdict {
                    Some((code, message)) => Outcome::Rejected { code, message },
                    None => {
                        if let Some(Some((_, v))) = orders.get_mut(&op.job_id) {
                            v.apply(&op.event, op.at);
                        }
                        if !dirty.contains(&op.job_id) {
                            dirty.push(op.job_id.clone());
                        }
                        Outcome::Applied
                    }
                };
                let (label, code, message) = match &outcome {
                    Outcome::Applied => ("applied", None, None),
                    Outcome::Rejected { code, message } => {
                        ("rejected", Some(code.as_str()), Some(message.clone()))
                    }
                    _ => ("other", None, None),
                };
                op_rows.push(vec![
                    op.op_id.clone().into(),
                    op.device_id.clone().into(),
                    op.seq.into(),
                    op.job_id.clone().into(),
                    op.event.kind().into(),
                    label.into(),
                    code.into(),
                    message.into(),
                    op.hlc.clone().into(),
                    now_str(now).into(),
                    serde_json::to_string(op)?.into(),
                ]);
                last = op.seq;
                outcome
            };
            results.push(OpResult {
                op_id: op.op_id.clone(),
                seq: op.seq,
                outcome,
            });
        }
        insert_ops(t, op_rows)?;
        for job in &dirty {
            if let Some(Some((_, v))) = orders.get(job) {
                save_order(t, v, now)?;
            }
        }
        t.exec(
            "UPDATE devices SET last_seq = ? WHERE device_id = ?",
            &[last.into(), device.device_id.clone().into()],
        )?;
        Ok(PushResponse {
            last_applied_seq: last,
            results,
            received_at: now,
        })
    })?;
    log_push(device, &sorted, &response);
    Ok(response)
}

/// One line per push, one per rejected op: ids, counts and codes, never the
/// ops' content or the rejection's message (it may quote HQ's free text).
fn log_push(device: &Device, ops: &[&Op], r: &PushResponse) {
    let (mut applied, mut duplicate, mut rejected, mut out_of_order) =
        (0usize, 0usize, 0usize, 0usize);
    for res in &r.results {
        match &res.outcome {
            Outcome::Applied => applied += 1,
            Outcome::Duplicate => duplicate += 1,
            Outcome::OutOfOrder => out_of_order += 1,
            Outcome::Rejected { code, .. } => {
                rejected += 1;
                let op = ops.iter().find(|o| o.seq == res.seq);
                tracing::warn!(
                    device_id = %device.device_id,
                    seq = res.seq,
                    job_id = op.map_or("", |o| o.job_id.as_str()),
                    kind = op.map_or("", |o| o.event.kind()),
                    code = code.as_str(),
                    "op rejected"
                );
            }
        }
    }
    tracing::info!(
        device_id = %device.device_id,
        technician_id = %device.technician_id,
        ops = r.results.len(),
        applied,
        duplicate,
        rejected,
        out_of_order,
        last_applied_seq = r.last_applied_seq,
        "push settled"
    );
}

type Verdict = Option<(RejectCode, String)>;

/// The day (China time) a fact belongs to in reconciliation: the device's
/// wall time of the fact, as the receipt printed for the customer shows it.
fn china_day(at: DateTime<Utc>) -> String {
    at.with_timezone(&onsite_core::documents::china_time())
        .date_naive()
        .to_string()
}

/// The stable snake_case name of a payment method (`wechat_pay`...).
pub fn method_name(m: Method) -> String {
    serde_json::to_value(m)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// The method and amount a receipt of this job records: the job's payment at HQ.
fn receipt_money(
    order: Option<&(String, Visit)>,
    job_id: &str,
) -> std::result::Result<(String, i64), (RejectCode, String)> {
    let payment = order.and_then(|(_, v)| v.payment.as_ref()).ok_or_else(|| {
        (
            RejectCode::RuleBroken,
            format!("HQ has no payment for job {job_id}: a receipt needs one"),
        )
    })?;
    // The payment's own rules ran when the push was decoded (`Event::validate`)
    // and against the job (`Visit::admits`); what HQ counts is bounded again
    // here, so no stored amount can be one `Fen::new` refuses.
    let amount = payment.collected();
    if let Err(e) = Fen::new(amount.fen()) {
        return Err((RejectCode::RuleBroken, format!("receipt amount: {e}")));
    }
    Ok((method_name(payment.method), amount.fen()))
}

/// A receipt row of `job_id` at HQ: (voided_day) or the rejection if HQ has none.
fn receipt_of_job(
    t: &mut dyn Tx,
    number: &str,
    job_id: &str,
) -> Result<std::result::Result<Option<String>, (RejectCode, String)>> {
    let row = t.query_one(
        "SELECT job_id, voided_day FROM receipts WHERE number = ? FOR UPDATE",
        &[number.into()],
    )?;
    Ok(match row {
        Some(r) if r.text(0)? == job_id => Ok(r.opt_text(1)?),
        _ => Err((
            RejectCode::UnknownReceipt,
            format!("HQ has no receipt {number} on job {job_id}"),
        )),
    })
}

fn number_used(t: &mut dyn Tx, number: &str) -> Result<Verdict> {
    Ok(
        t.query_one("SELECT 1 FROM receipts WHERE number = ?", &[number.into()])?
            .map(|_| {
                (
                    RejectCode::DuplicateReceiptNumber,
                    format!("receipt number {number} is already used"),
                )
            }),
    )
}

/// A receipt row to record: an original, emergency or reissued receipt.
struct NewReceipt<'a> {
    number: &'a str,
    kind: &'a str,
    refers_to: Option<&'a str>,
    /// Payment method and amount, from the job's payment.
    money: (String, i64),
}

fn insert_receipt(
    t: &mut dyn Tx,
    r: NewReceipt<'_>,
    device: &Device,
    op: &Op,
    now: DateTime<Utc>,
) -> Result<()> {
    let (method, amount) = r.money;
    let (number, kind, refers_to) = (r.number, r.kind, r.refers_to);
    t.exec(
        "INSERT INTO receipts(number, job_id, technician_id, device_id, method, amount_fen, issued_day, received_at, kind, refers_to)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            number.into(),
            op.job_id.clone().into(),
            device.technician_id.clone().into(),
            device.device_id.clone().into(),
            method.into(),
            amount.into(),
            china_day(op.at).into(),
            now_str(now).into(),
            kind.into(),
            refers_to.into(),
        ],
    )?;
    Ok(())
}

/// The photos an event refers to by their SHA-256.
fn photos_of(event: &Event) -> &[String] {
    match event {
        Event::ChecklistAnswered {
            answer: onsite_core::checklist::Answer::Photo(sha),
            ..
        } => std::slice::from_ref(sha),
        Event::MaterialInspected { inspection, .. } => &inspection.photos,
        _ => &[],
    }
}

/// The phone refuses a photo it does not hold (`photo_not_stored`) and
/// uploads every photo before it pushes the facts naming them: HQ refuses,
/// with the phone's refusal, a fact naming a photo it never received.
fn photos_received(t: &mut dyn Tx, event: &Event) -> Result<Verdict> {
    for sha in photos_of(event) {
        if t.query_one(
            "SELECT 1 FROM blobs WHERE sha256 = ?",
            &[sha.as_str().into()],
        )?
        .is_none()
        {
            let refusal = onsite_core::Error::PhotoNotStored {
                sha256: sha.clone(),
            };
            return Ok(Some((RejectCode::RuleBroken, refusal.to_string())));
        }
    }
    Ok(None)
}

/// What HQ records besides the visit itself: receipts (unique numbers across
/// all devices; voids and reissues), and the follow-up queue. Returns a
/// rejection if the op cannot apply: never a silent drop.
fn side_effects(
    t: &mut dyn Tx,
    order: Option<&(String, Visit)>,
    device: &Device,
    op: &Op,
    now: DateTime<Utc>,
) -> Result<Verdict> {
    if let Some(reject) = photos_received(t, &op.event)? {
        return Ok(Some(reject));
    }
    match &op.event {
        Event::ReceiptIssued { receipt } => {
            if let Some(reject) = number_used(t, &receipt.number)? {
                return Ok(Some(reject));
            }
            let money = match receipt_money(order, &op.job_id) {
                Ok(m) => m,
                Err(reject) => return Ok(Some(reject)),
            };
            let kind = if receipt.number.starts_with("EM-") {
                "emergency"
            } else {
                "original"
            };
            let row = NewReceipt {
                number: &receipt.number,
                kind,
                refers_to: None,
                money,
            };
            insert_receipt(t, row, device, op, now)?;
        }
        Event::ReceiptVoided { number, reason } => {
            match receipt_of_job(t, number, &op.job_id)? {
                Err(reject) => return Ok(Some(reject)),
                Ok(Some(_)) => {
                    return Ok(Some((
                        RejectCode::ReceiptAlreadyVoid,
                        format!("receipt {number} is already void"),
                    )))
                }
                Ok(None) => {}
            }
            t.exec(
                "UPDATE receipts SET voided_day = ?, void_reason = ?, voided_at = ? WHERE number = ?",
                &[
                    china_day(op.at).into(),
                    reason.clone().into(),
                    now_str(now).into(),
                    number.clone().into(),
                ],
            )?;
        }
        Event::ReceiptReissued { receipt, replaces } => {
            match receipt_of_job(t, replaces, &op.job_id)? {
                Err(reject) => return Ok(Some(reject)),
                Ok(None) => {
                    return Ok(Some((
                        RejectCode::RuleBroken,
                        format!("receipt {replaces} is not void: void it before reissuing"),
                    )))
                }
                Ok(Some(_)) => {}
            }
            if t.query_one(
                "SELECT number FROM receipts WHERE refers_to = ? AND kind = 'reissue'",
                &[replaces.clone().into()],
            )?
            .is_some()
            {
                return Ok(Some((
                    RejectCode::RuleBroken,
                    format!("receipt {replaces} was already reissued"),
                )));
            }
            if let Some(reject) = number_used(t, &receipt.number)? {
                return Ok(Some(reject));
            }
            let money = match receipt_money(order, &op.job_id) {
                Ok(m) => m,
                Err(reject) => return Ok(Some(reject)),
            };
            let row = NewReceipt {
                number: &receipt.number,
                kind: "reissue",
                refers_to: Some(replaces),
                money,
            };
            insert_receipt(t, row, device, op, now)?;
        }
        Event::PartReplaced { replacement } => {
            // 「符合保修条件的配件更换,经销商服务中心应收旧配件收回,并给予登记编号,报备给欧联总公司」
            // (appliance book): HQ keeps the list of recovered old parts for review.
            if let (true, Some(registration)) = (
                replacement.old_part_recovered,
                replacement.old_part_registration.as_ref(),
            ) {
                let in_warranty = order.is_some_and(|(_, v)| v.order.in_warranty());
                let tag = replacement.return_tag.as_ref();
                t.exec(
                    "INSERT INTO old_parts(registration, job_id, technician_id, part_code, description, old_serial, new_serial, in_warranty, return_plate, return_fault, recorded_at, received_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    &[
                        registration.clone().into(),
                        op.job_id.clone().into(),
                        device.technician_id.clone().into(),
                        replacement.part_code.clone().into(),
                        replacement.description.clone().into(),
                        replacement.old_serial.clone().into(),
                        replacement.new_serial.clone().into(),
                        i64::from(in_warranty).into(),
                        tag.map(|g| g.plate.clone()).into(),
                        tag.map(|g| g.fault.clone()).into(),
                        now_str(op.at).into(),
                        now_str(now).into(),
                    ],
                )?;
            }
        }
        Event::CustomerAccepted { acceptance } => {
            // Either rating average or worse: a call back at once.
            // 「對“服務質量評價”為“一般”或“不滿意”的客戶,要馬上進行回訪」 (property book)
            if acceptance.opinions().any(Opinion::below_satisfied) {
                add_followup(t, &op.job_id, "rating", now, now)?;
            }
            // A customer who would not rate is called at once too: the centre
            // asks for the opinion the technician could not record.
            if acceptance.opinions().any(Opinion::declined) {
                add_followup(t, &op.job_id, "rating_declined", now, now)?;
            }
            // Furniture: each rejected delivery item goes back to HQ on its own.
            if let Some((_, v)) = order {
                for (n, d) in v.item_decisions.iter().filter(|(_, d)| !d.accepted) {
                    let item = usize::try_from(*n)
                        .ok()
                        .and_then(|i| v.order.delivery_items.get(i.wrapping_sub(1)));
                    let detail = match item {
                        Some(i) => format!(
                            "{} {} {} x{}: {}",
                            i.model, i.colour, i.size, i.quantity, d.note
                        ),
                        None => d.note.clone(),
                    };
                    add_followup_with(
                        t,
                        &op.job_id,
                        &format!("rejected_item:{n}"),
                        Some(&detail),
                        now,
                        now,
                    )?;
                }
            }
            if acceptance.fix_uncertain {
                add_followup(
                    t,
                    &op.job_id,
                    "fix_uncertain",
                    now + Duration::hours(3),
                    now,
                )?;
            }
        }
        Event::ComplaintRecorded { complaint } => {
            add_complaint(t, order, device, op, complaint, now)?;
        }
        _ => {}
    }
    Ok(None)
}

fn add_followup(
    t: &mut dyn Tx,
    job_id: &str,
    reason: &str,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    add_followup_with(t, job_id, reason, None, due, now)
}

fn add_followup_with(
    t: &mut dyn Tx,
    job_id: &str,
    reason: &str,
    detail: Option<&str>,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    t.exec(
        "INSERT INTO followups(job_id, reason, due_at, created_at, detail) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        &[
            job_id.into(),
            reason.into(),
            now_str(due).into(),
            now_str(now).into(),
            detail.map(str::to_string).into(),
        ],
    )?;
    Ok(())
}

/// The digits of a phone number, to recognise the same customer across orders.
fn phone_digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

fn add_complaint(
    t: &mut dyn Tx,
    order: Option<&(String, Visit)>,
    device: &Device,
    op: &Op,
    complaint: &onsite_core::visit::Complaint,
    now: DateTime<Utc>,
) -> Result<()> {
    let (name, phone) = order
        .map(|(_, v)| {
            (
                v.order.customer.name.clone(),
                v.order.customer.phone.clone(),
            )
        })
        .unwrap_or_default();
    t.exec(
        "INSERT INTO complaints(op_id, job_id, technician_id, kind, words, customer_name, customer_phone, phone_digits, made_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        &[
            op.op_id.clone().into(),
            op.job_id.clone().into(),
            device.technician_id.clone().into(),
            complaint.kind.as_str().into(),
            complaint.words.clone().into(),
            name.into(),
            phone.clone().into(),
            phone_digits(&phone).into(),
            now_str(op.at).into(),
            now_str(now).into(),
        ],
    )?;
    Ok(())
}

/// A complaint made on site, as HQ holds it (顾客投诉记录); handling comes later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ComplaintRecord {
    pub job_id: String,
    pub technician_id: String,
    /// `soft` (service) or `hard` (product).
    pub kind: String,
    /// The customer's words, as the technician recorded them.
    pub words: String,
    pub customer_name: String,
    pub customer_phone: String,
    /// When the technician recorded it (device time).
    pub made_at: String,
    pub received_at: String,
}

/// Every complaint HQ received, oldest first.
pub fn complaints(db: &dyn Db) -> Result<Vec<ComplaintRecord>> {
    tx(db, |t| {
        t.query(
            "SELECT job_id, technician_id, kind, words, customer_name, customer_phone, made_at, received_at FROM complaints ORDER BY received_at, op_id",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok(ComplaintRecord {
                job_id: r.text(0)?,
                technician_id: r.text(1)?,
                kind: r.text(2)?,
                words: r.text(3)?,
                customer_name: r.text(4)?,
                customer_phone: r.text(5)?,
                made_at: r.text(6)?,
                received_at: r.text(7)?,
            })
        })
        .collect()
    })
}

/// Whether a customer with this phone complained before (any job).
fn complained_before(t: &mut dyn Tx, phone: &str) -> Result<bool> {
    let digits = phone_digits(phone);
    if digits.is_empty() {
        return Ok(false);
    }
    Ok(t.query_one(
        "SELECT op_id FROM complaints WHERE phone_digits = ? LIMIT 1",
        &[digits.into()],
    )?
    .is_some())
}

pub fn pull(db: &dyn Db, technician_id: &str, cursor: i64, limit: usize) -> Result<PullResponse> {
    let limit = limit.clamp(1, MAX_PULL_CHANGES);
    tx(db, |t| {
        let rows = t.query(
            "SELECT cursor, job_id, at, payload FROM changes WHERE technician_id = ? AND cursor > ? ORDER BY cursor LIMIT ?",
            &[technician_id.into(), cursor.into(), (limit as i64 + 1).into()],
        )?;
        let has_more = rows.len() > limit;
        let mut changes = Vec::with_capacity(limit);
        for r in rows.iter().take(limit) {
            changes.push(Change {
                cursor: r.int(0)?,
                job_id: r.text(1)?,
                at: DateTime::parse_from_rfc3339(&r.text(2)?)
                    .map_err(|e| HqError::Internal(e.to_string()))?
                    .with_timezone(&Utc),
                change: serde_json::from_str(&r.text(3)?)?,
            });
        }
        Ok(PullResponse {
            next_cursor: changes.last().map_or(cursor, |c| c.cursor),
            changes,
            has_more,
        })
    })
    .inspect(|page| {
        tracing::info!(
            technician_id,
            cursor,
            changes = page.changes.len(),
            next_cursor = page.next_cursor,
            has_more = page.has_more,
            "pull served"
        );
    })
}

// --- blobs --------------------------------------------------------------------------

/// Largest blob HQ stores (a processed photo is far smaller).
pub const MAX_BLOB_BYTES: usize = 8 * 1024 * 1024;

pub fn put_blob(
    db: &dyn Db,
    sha256: &str,
    media_type: &str,
    bytes: Vec<u8>,
    owner: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    if sha256.len() != 64
        || !sha256
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return Err(HqError::BadRequest(
            "a blob is addressed by its lowercase hex SHA-256".into(),
        ));
    }
    if bytes.len() > MAX_BLOB_BYTES {
        return Err(HqError::TooLarge(MAX_BLOB_BYTES));
    }
    if content_hash(&bytes) != sha256 {
        return Err(HqError::BadRequest(
            "the body does not hash to the address".into(),
        ));
    }
    tx(db, |t| {
        let n = t.exec(
            "INSERT INTO blobs(sha256, media_type, bytes, owner, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            &[sha256.into(), media_type.into(), bytes.clone().into(), owner.into(), now_str(now).into()],
        )?;
        Ok(n > 0)
    })
}

/// A blob and its media type; `scope` limits to one technician's blobs.
pub fn get_blob(db: &dyn Db, sha256: &str, scope: Option<&str>) -> Result<(String, Vec<u8>)> {
    tx(db, |t| {
        let r = t
            .query_one(
                "SELECT media_type, bytes, owner FROM blobs WHERE sha256 = ?",
                &[sha256.into()],
            )?
            .ok_or_else(|| HqError::NotFound(format!("blob {sha256}")))?;
        if scope.is_some_and(|tech| tech != r.text(2).unwrap_or_default()) {
            return Err(HqError::NotFound(format!("blob {sha256}")));
        }
        Ok((r.text(0)?, r.bytes(1)?))
    })
}

// --- receipt number blocks ------------------------------------------------------------

/// Grants the next block of the series to a device; blocks never overlap.
pub fn grant_block(db: &dyn Db, device: &Device, now: DateTime<Utc>) -> Result<NumberBlock> {
    tx(db, |t| {
        t.exec(
            "INSERT INTO receipt_series(series, next) VALUES (?, 1) ON CONFLICT DO NOTHING",
            &[SERIES.into()],
        )?;
        let next = t
            .query_one(
                "SELECT next FROM receipt_series WHERE series = ? FOR UPDATE",
                &[SERIES.into()],
            )?
            .ok_or_else(|| HqError::Internal("series vanished".into()))?
            .int(0)?;
        let last = next + BLOCK_SIZE - 1;
        t.exec(
            "UPDATE receipt_series SET next = ? WHERE series = ?",
            &[(last + 1).into(), SERIES.into()],
        )?;
        t.exec(
            "INSERT INTO receipt_blocks(series, first, last, device_id, granted_at) VALUES (?, ?, ?, ?, ?)",
            &[SERIES.into(), next.into(), last.into(), device.device_id.clone().into(), now_str(now).into()],
        )?;
        Ok(NumberBlock {
            series: SERIES.to_string(),
            first: next,
            last,
        })
    })
}

// --- after the visit -------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FollowUp {
    pub job_id: String,
    /// `rating` (average/dissatisfied: at once), `fix_uncertain` (within 3 hours)
    /// or `monthly_sample` (at least 30% of the month's completed orders).
    pub reason: String,
    pub due_at: String,
    /// What the follow-up is about, when the reason needs it (the rejected
    /// item of a `rejected_item:N` follow-up: model, colour, size, quantity, note).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The follow-up queue, plus the monthly random sample when `month` is given (YYYY-MM).
pub fn followups(db: &dyn Db, month: Option<&str>) -> Result<Vec<FollowUp>> {
    tx(db, |t| {
        let mut out: Vec<FollowUp> = t
            .query(
                "SELECT job_id, reason, due_at, detail FROM followups ORDER BY due_at, job_id, reason",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(FollowUp {
                    job_id: r.text(0)?,
                    reason: r.text(1)?,
                    due_at: r.text(2)?,
                    detail: r.opt_text(3)?,
                })
            })
            .collect::<Result<_>>()?;
        if let Some(m) = month {
            let start = NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
                .map_err(|_| HqError::BadRequest("month must be YYYY-MM".into()))?;
            let rows = t.query(
                "SELECT job_id, updated_at FROM orders WHERE status IN ('settled', 'handed_over') ORDER BY job_id",
                &[],
            )?;
            let mut done: Vec<String> = Vec::new();
            for r in rows {
                let updated = r.text(1)?;
                if updated.starts_with(&start.format("%Y-%m").to_string()) {
                    done.push(r.text(0)?);
                }
            }
            // A stable pseudo-random order: the hash of the job id with the month.
            done.sort_by_key(|j| content_hash(format!("{m}|{j}").as_bytes()));
            let take = (done.len() * 3).div_ceil(10);
            for j in done.into_iter().take(take) {
                out.push(FollowUp {
                    job_id: j,
                    reason: "monthly_sample".into(),
                    due_at: format!("{m}-28"),
                    detail: None,
                });
            }
        }
        Ok(out)
    })
}

/// An old part recovered on site, as HQ keeps it for review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OldPart {
    pub registration: String,
    pub job_id: String,
    pub technician_id: String,
    pub part_code: String,
    pub description: String,
    pub old_serial: String,
    pub new_serial: String,
    /// Recovered under warranty: the free repair stands on this review.
    pub in_warranty: bool,
    /// GPS: the return tag on the terminal (plate number and fault).
    pub return_plate: Option<String>,
    pub return_fault: Option<String>,
    /// When the technician recorded it (device time).
    pub recorded_at: String,
    pub received_at: String,
}

/// The recovered old parts, newest first; `job_id` narrows to one order.
pub fn old_parts(db: &dyn Db, job_id: Option<&str>) -> Result<Vec<OldPart>> {
    tx(db, |t| {
        let rows = match job_id {
            Some(j) => t.query(
                "SELECT registration, job_id, technician_id, part_code, description, old_serial, new_serial, in_warranty, return_plate, return_fault, recorded_at, received_at
                 FROM old_parts WHERE job_id = ? ORDER BY received_at DESC, registration",
                &[j.into()],
            )?,
            None => t.query(
                "SELECT registration, job_id, technician_id, part_code, description, old_serial, new_serial, in_warranty, return_plate, return_fault, recorded_at, received_at
                 FROM old_parts ORDER BY received_at DESC, registration",
                &[],
            )?,
        };
        rows.iter()
            .map(|r| {
                Ok(OldPart {
                    registration: r.text(0)?,
                    job_id: r.text(1)?,
                    technician_id: r.text(2)?,
                    part_code: r.text(3)?,
                    description: r.text(4)?,
                    old_serial: r.text(5)?,
                    new_serial: r.text(6)?,
                    in_warranty: r.int(7)? != 0,
                    return_plate: r.opt_text(8)?,
                    return_fault: r.opt_text(9)?,
                    recorded_at: r.text(10)?,
                    received_at: r.text(11)?,
                })
            })
            .collect()
    })
}

/// A number of receipts and the money they record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Tally {
    pub count: i64,
    pub fen: i64,
}

impl Tally {
    /// Counts one more receipt of `fen`, with checked arithmetic.
    fn add(&mut self, fen: i64, what: &str, method: &str) -> Result<()> {
        let overflow = || HqError::AmountOverflow(format!("{what} total for {method}"));
        self.count = self.count.checked_add(1).ok_or_else(overflow)?;
        self.fen = self.fen.checked_add(fen).ok_or_else(overflow)?;
        Ok(())
    }
}

/// One payment method of a technician's day.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MethodLine {
    pub method: String,
    /// Receipts issued that day (originals and emergency receipts).
    pub issued: Tally,
    /// Receipts voided that day, whichever day they were issued.
    pub voided: Tally,
    /// Receipts reissued that day in place of voided ones.
    pub reissued: Tally,
    /// Issued plus reissued minus voided: the money the day's receipts stand for.
    pub net_fen: i64,
    pub handed_in_fen: i64,
    /// Handed in minus net: negative means money is missing.
    pub difference_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reconciliation {
    pub technician_id: String,
    pub day: String,
    /// By payment method, in the order of their names.
    pub lines: Vec<MethodLine>,
    /// Every method's handed-in money equals its net.
    pub balanced: bool,
}

/// Records the money a technician handed in for a day and method (replacing
/// an earlier figure): an amount the core accepts (`Fen::new`), a known method.
pub fn record_handover(
    db: &dyn Db,
    technician_id: &str,
    day: NaiveDate,
    method: &str,
    amount_fen: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    Fen::new(amount_fen)?;
    let method: Method = serde_json::from_value(serde_json::Value::from(method)).map_err(|_| {
        HqError::BadRequest(format!(
            "unknown payment method {method:?}: cash, wechat_pay, alipay, card, bank_transfer or on_account"
        ))
    })?;
    let method = method_name(method);
    tx(db, |t| {
        if !technician_exists(t, technician_id)? {
            return Err(HqError::NotFound(format!("technician {technician_id}")));
        }
        t.exec(
            "INSERT INTO handovers(technician_id, day, method, amount_fen, recorded_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (technician_id, day, method) DO UPDATE SET amount_fen = excluded.amount_fen, recorded_at = excluded.recorded_at",
            &[technician_id.into(), day.to_string().into(), method.clone().into(), amount_fen.into(), now_str(now).into()],
        )?;
        Ok(())
    })?;
    tracing::info!(technician_id, %day, method = %method, amount_fen, "handover recorded");
    Ok(())
}

/// The line of `method`, created empty.
fn line(lines: &mut BTreeMap<String, MethodLine>, method: String) -> &mut MethodLine {
    lines.entry(method.clone()).or_insert_with(|| MethodLine {
        method,
        ..MethodLine::default()
    })
}

/// A technician's day by payment method: receipts issued, voided and
/// reissued that day, the net money they stand for, against what was handed
/// in. Every sum and difference is checked: one that does not fit is
/// [`HqError::AmountOverflow`], never a wrapped figure.
pub fn reconciliation(db: &dyn Db, technician_id: &str, day: NaiveDate) -> Result<Reconciliation> {
    let day_s = day.to_string();
    tx(db, |t| {
        let mut lines: BTreeMap<String, MethodLine> = BTreeMap::new();
        for r in t.query(
            "SELECT method, kind, amount_fen FROM receipts WHERE technician_id = ? AND issued_day = ?",
            &[technician_id.into(), day_s.clone().into()],
        )? {
            let (method, kind, fen) = (r.text(0)?, r.text(1)?, r.int(2)?);
            let l = line(&mut lines, method.clone());
            if kind == "reissue" {
                l.reissued.add(fen, "reissued", &method)?;
            } else {
                l.issued.add(fen, "issued", &method)?;
            }
        }
        for r in t.query(
            "SELECT method, amount_fen FROM receipts WHERE technician_id = ? AND voided_day = ?",
            &[technician_id.into(), day_s.clone().into()],
        )? {
            let (method, fen) = (r.text(0)?, r.int(1)?);
            line(&mut lines, method.clone())
                .voided
                .add(fen, "voided", &method)?;
        }
        for r in t.query(
            "SELECT method, amount_fen FROM handovers WHERE technician_id = ? AND day = ?",
            &[technician_id.into(), day_s.clone().into()],
        )? {
            let method = r.text(0)?;
            line(&mut lines, method).handed_in_fen = r.int(1)?;
        }
        let mut out = Vec::with_capacity(lines.len());
        for (method, mut l) in lines {
            let overflow = |what: &str| HqError::AmountOverflow(format!("{what} for {method}"));
            l.net_fen = l
                .issued
                .fen
                .checked_add(l.reissued.fen)
                .and_then(|v| v.checked_sub(l.voided.fen))
                .ok_or_else(|| overflow("net"))?;
            l.difference_fen = l
                .handed_in_fen
                .checked_sub(l.net_fen)
                .ok_or_else(|| overflow("difference between handed-in and net"))?;
            out.push(l);
        }
        let balanced = out.iter().all(|l| l.difference_fen == 0);
        Ok(Reconciliation {
            technician_id: technician_id.to_string(),
            day: day_s.clone(),
            lines: out,
            balanced,
        })
    })
}

/// Counts for tests and the demo: ops applied per device and in total.
pub fn applied_ops(db: &dyn Db) -> Result<i64> {
    tx(db, |t| {
        t.query_one("SELECT COUNT(*) FROM ops WHERE outcome = 'applied'", &[])?
            .map_or(Ok(0), |r| r.int(0))
    })
}

pub fn val_text(v: &Val) -> Option<&str> {
    match v {
        Val::Text(s) => Some(s),
        _ => None,
    }
}

// --- disputed charges and invoices (DOMAIN.md step 8) ------------------------------

/// The service centre's instruction on a job's disputed charge: applied to
/// HQ's state of the job and sent to the technician's phone by the change
/// feed. HQ must hold the open dispute (the phone's escalation was pushed);
/// for a phone that is offline, a supervisor reads out [`charge_code`] instead.
/// 「如果用户一再坚持则将信息处理结果报回服务中心,根据服务中心批示处理」 (appliance book)
pub fn instruct_charge(
    db: &dyn Db,
    job_id: &str,
    instruction: Instruction,
    by: &str,
    now: DateTime<Utc>,
) -> Result<OrderSummary> {
    with_order(db, job_id, |t, mut v| {
        let e = v
            .instruct_charge(instruction, by)
            .map_err(|e| HqError::Conflict(e.to_string()))?;
        v.apply(&e, now);
        save_order(t, &v, now)?;
        feed(
            t,
            &v.order.technician_id,
            job_id,
            &ChangeKind::ChargeInstructed {
                instruction,
                by: by.trim().to_string(),
            },
            now,
        )?;
        summary(&v, &now_str(now))
    })
    .inspect(|o| tracing::info!(job_id = %o.job_id, technician_id = %o.technician_id, "charge instructed"))
}

/// The code a supervisor reads out to the job's technician for `instruction`
/// (the technician's phone may be offline; HQ need not hold the dispute yet).
pub fn charge_code(db: &dyn Db, job_id: &str, instruction: Instruction) -> Result<String> {
    tx(db, |t| {
        let (technician_id, _) =
            load_order(t, job_id)?.ok_or_else(|| HqError::NotFound(format!("order {job_id}")))?;
        let key = t
            .query_one(
                "SELECT approval_key FROM technicians WHERE technician_id = ?",
                &[technician_id.clone().into()],
            )?
            .ok_or_else(|| HqError::NotFound(format!("technician {technician_id}")))?
            .text(0)?;
        Ok(onsite_core::charge::charge_code(
            key.as_bytes(),
            job_id,
            instruction,
        ))
    })
}

/// An invoice promised to a customer and not handed over on site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PendingInvoice {
    pub job_id: String,
    pub technician_id: String,
    pub title: String,
    /// Empty for an individual.
    pub tax_number: String,
    pub delivery: InvoiceDelivery,
    /// What the customer paid on site, if payment reached HQ.
    pub amount_fen: Option<i64>,
}

/// The invoices the service centre still owes customers (brought later or
/// posted), from the jobs as HQ holds them.
/// 「若现场未带发票,应与用户约定再送发票或寄发票」 (appliance book)
pub fn pending_invoices(db: &dyn Db) -> Result<Vec<PendingInvoice>> {
    tx(db, |t| {
        let rows = t.query(
            "SELECT job_id, technician_id, visit FROM orders ORDER BY job_id",
            &[],
        )?;
        let mut out = Vec::new();
        for r in rows {
            let v: Visit = serde_json::from_str(&r.text(2)?)?;
            if let Some(inv) = v.invoice.filter(|i| i.delivery.pending()) {
                out.push(PendingInvoice {
                    job_id: r.text(0)?,
                    technician_id: r.text(1)?,
                    title: inv.title,
                    tax_number: inv.tax_number,
                    delivery: inv.delivery,
                    amount_fen: v.payment.map(|p| p.due.fen()),
                });
            }
        }
        Ok(out)
    })
}
