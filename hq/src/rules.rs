//! HQ's rules, written once over [`Records`] so SQLite and PostgreSQL behave
//! alike. Each `pub(crate) async fn` here is one of HQ's operations and runs
//! inside one transaction that [`crate::storage`] opens and commits.
//!
//! Push applies a device's batch in one transaction together with the device's
//! last applied sequence, so a re-sent op is an acknowledged no-op and a crash
//! mid-batch applies nothing. Each op is *decided* first (a pure function of the
//! order's state at HQ and the op) and then applied; a rejected op is recorded
//! with its reason and the rest of the batch still applies.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use onsite_core::charge::{Instruction, InvoiceDelivery};
use onsite_core::error::Field;
use onsite_core::money::Fen;
use onsite_core::order::{validate_id, WorkOrder};
use onsite_core::payment::Method;
use onsite_core::receipt::NumberBlock;
use onsite_core::signature::record::content_hash;
use onsite_core::sync::protocol::{
    Backlog, Change, ChangeKind, EnrollResponse, Op, OpResult, Outcome, PullResponse, PushResponse,
    RejectCode, MAX_PULL_CHANGES, MAX_PUSH_OPS,
};
use onsite_core::sync::upload::{self, Chunk, Placement, UploadProgress};
use onsite_core::visit::RescheduleConsent;
use onsite_core::visit::{Event, Opinion, Status, Visit};
use serde::{Deserialize, Serialize};

use crate::centre::fleet::DeviceBacklog;
use crate::error::{HqError, Result};
use crate::storage::records::{ComplaintRow, OpRow, OrderRow, OrderUpdate, ReceiptRow, Records};

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
    /// Revoked WITH wipe: it may only push what it holds unsent and hear
    /// "wipe" ([`crate::centre::phone_data`]).
    pub wipe: bool,
}

// --- technicians, enrollment, tokens ------------------------------------------------

/// Registers a technician (or finds one already registered) and returns the
/// key their supervisors' approval codes are made with.
pub(crate) async fn create_technician<R: Records>(
    r: &mut R,
    id: &str,
    name: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    validate_id(Field::TechnicianId, id)?;
    if name.trim().is_empty() || name.chars().count() > 100 {
        return Err(HqError::BadRequest(
            "technician name must be 1 to 100 characters".into(),
        ));
    }
    if let Some(key) = r.approval_key(id).await? {
        return Ok(key);
    }
    let key = random_token();
    r.insert_technician(id, name.trim(), &key, &now_str(now))
        .await?;
    // The stored key: a registration racing this one may have won.
    Ok(r.approval_key(id).await?.unwrap_or(key))
}

/// A one-time code the technician types into the app to enroll a device.
pub(crate) async fn create_enrollment<R: Records>(
    r: &mut R,
    technician_id: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    let code = uuid::Uuid::new_v4().simple().to_string()[..12].to_uppercase();
    if !technician_exists(r, technician_id).await? {
        return Err(HqError::NotFound(format!("technician {technician_id}")));
    }
    r.insert_enrollment(&hash_secret(&code), technician_id, &now_str(now))
        .await?;
    tracing::info!(technician_id, "enrollment code created");
    Ok(code)
}

/// Exchanges an enrollment code for a device token (the code works once).
pub(crate) async fn enroll<R: Records>(
    r: &mut R,
    code: &str,
    device_id: &str,
    now: DateTime<Utc>,
) -> Result<EnrollResponse> {
    validate_id(Field::DeviceId, device_id)?;
    let token = random_token();
    let code_hash = hash_secret(code.trim());
    let row = r
        .enrollment_for_update(&code_hash)
        .await?
        .ok_or(HqError::Unauthorized)?;
    if row.used {
        return Err(HqError::Unauthorized);
    }
    let technician_id = row.technician_id;
    let token_hash = hash_secret(&token);
    // The insert decides whether the device is new: one enrolled before (or
    // by an enrolment racing this one, which PostgreSQL cannot lock before it
    // exists) gets the new token if it is the same technician's.
    let inserted = r
        .insert_device(device_id, &technician_id, &token_hash, &now_str(now))
        .await?;
    if !inserted {
        let owner = r.device_owner_for_update(device_id).await?;
        if owner.as_deref() != Some(technician_id.as_str()) {
            return Err(HqError::Conflict(format!(
                "device {device_id} is enrolled for another technician"
            )));
        }
        // Re-enrolling the same device replaces its token and keeps its sequence.
        r.replace_device_token(device_id, &token_hash).await?;
    }
    r.mark_enrollment_used(&code_hash, &now_str(now)).await?;
    tracing::info!(device_id, technician_id = %technician_id, "device enrolled");
    Ok(EnrollResponse {
        token,
        technician_id,
        technician_name: row.technician_name,
        device_id: device_id.to_string(),
        approval_key: row.approval_key,
    })
}

/// The device a token belongs to, unless it was revoked.
pub(crate) async fn authenticate<R: Records>(
    r: &mut R,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Device> {
    let d = r
        .device_by_token(&hash_secret(token))
        .await?
        .ok_or(HqError::Unauthorized)?;
    // A plain revoke shuts the token out; a revoke with wipe lets it hand in
    // what it still holds and hear the wipe.
    let wipe = d.revoked && r.wipe_ordered(&d.device_id).await?;
    if d.revoked && !wipe {
        return Err(HqError::Unauthorized);
    }
    // The console shows each device's last contact; a minute is precise enough.
    r.touch_device(
        &d.device_id,
        &now_str(now),
        &now_str(now - chrono::Duration::minutes(1)),
    )
    .await?;
    Ok(Device {
        device_id: d.device_id,
        technician_id: d.technician_id,
        wipe,
    })
}

/// Revokes a device: its token stops working at once.
pub(crate) async fn revoke<R: Records>(r: &mut R, device_id: &str) -> Result<()> {
    if !r.revoke_device(device_id).await? {
        return Err(HqError::NotFound(format!("device {device_id}")));
    }
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

async fn load_order<R: Records>(r: &mut R, job_id: &str) -> Result<Option<(String, Visit)>> {
    match r.order_for_update(job_id).await? {
        Some(o) => Ok(Some((o.technician_id, serde_json::from_str(&o.visit)?))),
        None => Ok(None),
    }
}

fn order_row(v: &Visit, now: DateTime<Utc>) -> Result<OrderRow> {
    Ok(OrderRow {
        job_id: v.order.job_id.clone(),
        technician_id: v.order.technician_id.clone(),
        visit: serde_json::to_string(v)?,
        updated_at: now_str(now),
    })
}

async fn save_order<R: Records>(r: &mut R, v: &Visit, now: DateTime<Utc>) -> Result<()> {
    r.update_order(&order_row(v, now)?, v.status.as_str()).await
}

async fn feed<R: Records>(
    r: &mut R,
    technician_id: &str,
    job_id: &str,
    change: &ChangeKind,
    now: DateTime<Utc>,
) -> Result<()> {
    r.append_change(
        technician_id,
        job_id,
        &now_str(now),
        &serde_json::to_string(change)?,
    )
    .await
}

async fn technician_exists<R: Records>(r: &mut R, id: &str) -> Result<bool> {
    Ok(r.approval_key(id).await?.is_some())
}

/// Dispatches a new order to its technician.
pub(crate) async fn create_order<R: Records>(
    r: &mut R,
    order: WorkOrder,
    now: DateTime<Utc>,
) -> Result<OrderSummary> {
    let (mut visit, _) = Visit::dispatched(order)?;
    // 「将此顾客做特别记录」 (furniture book): a customer who complained
    // before is marked on the order, so the technician knows.
    if !visit.order.complained_before && complained_before(r, &visit.order.customer.phone).await? {
        visit.order.complained_before = true;
    }
    if !technician_exists(r, &visit.order.technician_id).await? {
        return Err(HqError::NotFound(format!(
            "technician {}",
            visit.order.technician_id
        )));
    }
    // The insert decides: a racing HQ process may have created it a moment ago.
    let row = order_row(&visit, now)?;
    if !r
        .insert_order(&row, visit.status.as_str(), &now_str(now))
        .await?
    {
        return Err(HqError::Conflict(format!(
            "order {} exists",
            visit.job_id()
        )));
    }
    feed(
        r,
        &visit.order.technician_id,
        visit.job_id(),
        &ChangeKind::Dispatched {
            order: Box::new(visit.order.clone()),
        },
        now,
    )
    .await?;
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

/// The order HQ holds for `job_id`, locked for this transaction.
async fn order_of<R: Records>(r: &mut R, job_id: &str) -> Result<Visit> {
    load_order(r, job_id)
        .await?
        .map(|(_, v)| v)
        .ok_or_else(|| HqError::NotFound(format!("order {job_id}")))
}

/// Assigns or reassigns an order; the previous technician's device hears it left.
pub(crate) async fn assign<R: Records>(
    r: &mut R,
    job_id: &str,
    technician_id: &str,
    now: DateTime<Utc>,
) -> Result<OrderSummary> {
    let v = order_of(r, job_id).await?;
    if !v.status.hq_may_change() {
        return Err(HqError::Conflict(format!("order {job_id} is {}", v.status)));
    }
    if !technician_exists(r, technician_id).await? {
        return Err(HqError::NotFound(format!("technician {technician_id}")));
    }
    let old = v.order.technician_id.clone();
    if old == technician_id {
        return summary(&v, &now_str(now));
    }
    // A new technician starts from a fresh dispatch of the same order.
    let mut order = v.order.clone();
    order.technician_id = technician_id.to_string();
    let v = Visit::dispatched(order)?.0;
    save_order(r, &v, now).await?;
    let left = ChangeKind::Reassigned {
        to_technician: technician_id.to_string(),
    };
    feed(r, &old, job_id, &left, now).await?;
    let dispatched = ChangeKind::Dispatched {
        order: Box::new(v.order.clone()),
    };
    feed(r, technician_id, job_id, &dispatched, now).await?;
    tracing::info!(job_id, technician_id, "order assigned");
    summary(&v, &now_str(now))
}

/// Moves the appointment, with the customer's consent (who, when, how):
/// 「服务人员需在用户同意的前提下改约上门服务时间」 (furniture book 二.2.1).
pub(crate) async fn reschedule<R: Records>(
    r: &mut R,
    job_id: &str,
    at: DateTime<Utc>,
    reason: &str,
    consent: Option<&RescheduleConsent>,
    now: DateTime<Utc>,
) -> Result<OrderSummary> {
    let mut v = order_of(r, job_id).await?;
    let e = v.reschedule(at, reason, consent).map_err(|e| match e {
        onsite_core::error::Error::RescheduleConsentRequired
        | onsite_core::error::Error::InvalidInput { .. } => HqError::BadRequest(e.to_string()),
        e => HqError::Conflict(e.to_string()),
    })?;
    v.apply(&e, now);
    save_order(r, &v, now).await?;
    let change = ChangeKind::Rescheduled {
        appointment_at: at,
        reason: reason.to_string(),
        consent: consent.cloned(),
    };
    feed(r, &v.order.technician_id, job_id, &change, now).await?;
    tracing::info!(job_id, technician_id = %v.order.technician_id, "order rescheduled");
    summary(&v, &now_str(now))
}

/// Cancels an order the technician has not finished.
pub(crate) async fn cancel<R: Records>(
    r: &mut R,
    job_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<OrderSummary> {
    let mut v = order_of(r, job_id).await?;
    let e = v
        .cancel(reason)
        .map_err(|e| HqError::Conflict(e.to_string()))?;
    v.apply(&e, now);
    save_order(r, &v, now).await?;
    let change = ChangeKind::Cancelled {
        reason: reason.to_string(),
    };
    feed(r, &v.order.technician_id, job_id, &change, now).await?;
    tracing::info!(job_id, technician_id = %v.order.technician_id, "order cancelled");
    summary(&v, &now_str(now))
}

/// The dispatch board, by job id.
pub(crate) async fn list_orders<R: Records>(
    r: &mut R,
    technician_id: Option<&str>,
    status: Option<&str>,
) -> Result<Vec<OrderSummary>> {
    r.orders(technician_id, status)
        .await?
        .iter()
        .map(|o| {
            let v: Visit = serde_json::from_str(&o.visit)?;
            summary(&v, &o.updated_at)
        })
        .collect()
}

/// HQ's view of one order; `scope` limits it to one technician's jobs.
pub(crate) async fn get_order<R: Records>(
    r: &mut R,
    job_id: &str,
    scope: Option<&str>,
) -> Result<Visit> {
    let v: Visit = match r.order(job_id).await? {
        Some(o) => serde_json::from_str(&o.visit)?,
        None => return Err(HqError::NotFound(format!("order {job_id}"))),
    };
    if scope.is_some_and(|tech| tech != v.order.technician_id) {
        // Not "forbidden": a technician must not learn that someone else's job exists.
        return Err(HqError::NotFound(format!("order {job_id}")));
    }
    Ok(v)
}

// --- sync ---------------------------------------------------------------------------

/// The key a technician's supervisors make their codes with (empty for an
/// unknown technician: no code then matches).
async fn approval_key_of<R: Records>(r: &mut R, technician_id: &str) -> Result<String> {
    Ok(r.approval_key(technician_id).await?.unwrap_or_default())
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
    // The content rules the phone applied when it recorded the fact (the push
    // decoder checked only the envelope): one fact breaking them is refused
    // with the rule's message, and the rest of its push still applies.
    if let Err(e) = op.event.validate() {
        return Some((RejectCode::RuleBroken, e.to_string()));
    }
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

/// Applies a device's batch: each op in sequence order is decided against
/// HQ's state of its job and applied or rejected; duplicates and gaps are
/// answered, never applied. The ops, the jobs they changed and the device's
/// last sequence are written in the caller's one transaction.
///
/// The database sees the batch as sets, not op by op (issue 15: a push of
/// 200 ops was 200 round trips of reads and writes): the orders and receipts
/// the ops name are read first, a statement each ([`Known::read`]); every op
/// is then decided in memory, in sequence, against that state with the
/// effects of the batch's earlier ops on it (a receipt issued and voided in
/// one push is voided); what the ops record is queued ([`Writes`]) and
/// written at the end, a statement per table. The verdicts are the ones
/// deciding op by op against the database gave.
pub(crate) async fn push<R: Records>(
    r: &mut R,
    device: &Device,
    ops: &[Op],
    backlog: Option<Backlog>,
    uploading: &[String],
    now: DateTime<Utc>,
) -> Result<PushResponse> {
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
    let first = r
        .last_seq_for_update(&device.device_id)
        .await?
        .ok_or(HqError::Unauthorized)?;
    // Which ops are decided follows from the sequence numbers alone: those
    // continuing the device's sequence without a gap.
    let settle = settle_by_seq(&sorted, first);
    let decided: Vec<&Op> = sorted
        .iter()
        .zip(&settle)
        .filter(|(_, s)| s.is_none())
        .map(|(op, _)| *op)
        .collect();
    let approval_key = if decided.is_empty() {
        String::new()
    } else {
        approval_key_of(r, &device.technician_id).await?
    };
    let mut known = Known::read(r, &decided, uploading).await?;
    let mut writes = Writes::default();
    let mut last = first;
    let mut results = Vec::with_capacity(sorted.len());
    for (op, settled) in sorted.iter().zip(settle) {
        if let Some(outcome) = settled {
            results.push(OpResult {
                op_id: op.op_id.clone(),
                seq: op.seq,
                outcome,
            });
            continue;
        }
        let order = known.orders.get(&op.job_id).and_then(Option::as_ref);
        let mut verdict = decide(order, &device.technician_id, approval_key.as_bytes(), op);
        if verdict.is_none() {
            verdict = photos_received(&known.photos, &op.event, uploading);
        }
        if verdict.is_none() {
            verdict = side_effects(order, &mut known.receipts, &mut writes, device, op, now)?;
        }
        let outcome = match verdict {
            Some((code, message)) => Outcome::Rejected { code, message },
            None => {
                if let Some(Some((_, v))) = known.orders.get_mut(&op.job_id) {
                    v.apply(&op.event, op.at);
                }
                if !writes.dirty.contains(&op.job_id) {
                    writes.dirty.push(op.job_id.clone());
                }
                Outcome::Applied
            }
        };
        let (label, code, message) = match &outcome {
            Outcome::Rejected { code, message } => (
                "rejected",
                Some(code.as_str().to_string()),
                Some(message.clone()),
            ),
            _ => ("applied", None, None),
        };
        writes.ops.push(OpRow {
            op_id: op.op_id.clone(),
            device_id: op.device_id.clone(),
            seq: op.seq,
            job_id: op.job_id.clone(),
            kind: op.event.kind().to_string(),
            outcome: label,
            code,
            message,
            hlc: op.hlc.clone(),
            received_at: now_str(now),
            payload: serde_json::to_string(op)?,
        });
        last = op.seq;
        results.push(OpResult {
            op_id: op.op_id.clone(),
            seq: op.seq,
            outcome,
        });
    }
    writes.write(r, &known, now).await?;
    if last != first {
        r.set_last_seq(&device.device_id, last).await?;
    }
    if let Some(b) = backlog {
        // Ops of this batch HQ could not settle (a gap before them) stay on the phone too.
        let unsettled = results
            .iter()
            .filter(|x| x.outcome == Outcome::OutOfOrder)
            .count();
        let held = DeviceBacklog {
            ops: i64::from(b.ops) + i64::try_from(unsettled).unwrap_or(0),
            blobs: i64::from(b.blobs),
            at: now_str(now),
        };
        r.set_backlog(&device.device_id, &held).await?;
    }
    let response = PushResponse {
        last_applied_seq: last,
        results,
        received_at: now,
        applied_omitted: false,
    };
    log_push(device, &sorted, &response);
    Ok(response)
}

/// How each op of a batch (sorted by sequence) settles by its sequence
/// number alone, after the device's `last` applied one: `Duplicate` (HQ has
/// it, or the batch carries the number twice), `OutOfOrder` (a gap before
/// it), or `None` for an op to decide.
fn settle_by_seq(sorted: &[&Op], mut last: i64) -> Vec<Option<Outcome>> {
    sorted
        .iter()
        .map(|op| {
            if op.seq <= last {
                Some(Outcome::Duplicate)
            } else if op.seq != last + 1 {
                Some(Outcome::OutOfOrder)
            } else {
                last = op.seq;
                None
            }
        })
        .collect()
}

/// What a batch's decisions read, fetched before the first is made: the
/// orders and receipts the ops to decide name, locked for the transaction.
/// The decisions then change it in memory as their ops apply, so each op
/// sees the ones before it.
struct Known {
    /// Job id → (technician, visit), `None` for a job HQ does not have.
    orders: HashMap<String, Option<(String, Visit)>>,
    receipts: ReceiptBook,
    /// The photos the batch names (not announced as uploading) that HQ holds.
    photos: HashSet<String>,
}

/// The receipts a batch names, as HQ holds them, with the batch's own
/// issues, voids and reissues on them as they are decided.
#[derive(Default)]
struct ReceiptBook {
    /// Number → (job, the day it was voided if it was).
    rows: HashMap<String, (String, Option<String>)>,
    /// Numbers a reissue replaced.
    reissued: HashSet<String>,
}

impl Known {
    async fn read<R: Records>(r: &mut R, ops: &[&Op], uploading: &[String]) -> Result<Known> {
        let mut jobs: Vec<&str> = ops.iter().map(|o| o.job_id.as_str()).collect();
        jobs.sort_unstable();
        jobs.dedup();
        let mut orders: HashMap<String, Option<(String, Visit)>> =
            jobs.iter().map(|j| ((*j).to_string(), None)).collect();
        if !jobs.is_empty() {
            for o in r.orders_for_update(&jobs).await? {
                let visit: Visit = serde_json::from_str(&o.visit)?;
                orders.insert(o.job_id, Some((o.technician_id, visit)));
            }
        }
        let (mut numbers, mut replaced) = (Vec::new(), Vec::new());
        for op in ops {
            match &op.event {
                Event::ReceiptIssued { receipt } => numbers.push(receipt.number.as_str()),
                Event::ReceiptVoided { number, .. } => numbers.push(number.as_str()),
                Event::ReceiptReissued { receipt, replaces } => {
                    numbers.extend([receipt.number.as_str(), replaces.as_str()]);
                    replaced.push(replaces.as_str());
                }
                _ => {}
            }
        }
        let mut receipts = ReceiptBook::default();
        for list in [&mut numbers, &mut replaced] {
            list.sort_unstable();
            list.dedup();
        }
        if !numbers.is_empty() {
            for (number, job, voided_day) in r.receipts_for_update(&numbers).await? {
                receipts.rows.insert(number, (job, voided_day));
            }
        }
        if !replaced.is_empty() {
            receipts.reissued = r.reissued_among(&replaced).await?.into_iter().collect();
        }
        // The photos the ops name that the push does not say are on their
        // way: HQ must hold them already.
        let mut shas: Vec<&str> = ops
            .iter()
            .flat_map(|o| o.event.photos())
            .map(String::as_str)
            .filter(|s| !uploading.iter().any(|u| u == s))
            .collect();
        shas.sort_unstable();
        shas.dedup();
        let photos = if shas.is_empty() {
            HashSet::new()
        } else {
            r.blobs_among(&shas).await?.into_iter().collect()
        };
        Ok(Known {
            orders,
            receipts,
            photos,
        })
    }
}

/// What a batch's applied ops record besides themselves, queued as they are
/// decided and written by [`Writes::write`], a statement per table.
#[derive(Default)]
struct Writes {
    ops: Vec<OpRow>,
    receipts: Vec<ReceiptRow>,
    /// (number, voided day, reason): after `receipts`, which may hold the number.
    voids: Vec<(String, String, String)>,
    old_parts: Vec<OldPart>,
    followups: Vec<FollowUp>,
    complaints: Vec<ComplaintRow>,
    /// Jobs whose visit changed, in the order they first did.
    dirty: Vec<String>,
}

impl Writes {
    async fn write<R: Records>(self, r: &mut R, known: &Known, now: DateTime<Utc>) -> Result<()> {
        let at = now_str(now);
        r.insert_ops(&self.ops).await?;
        if !self.receipts.is_empty() {
            r.insert_receipts(&self.receipts).await?;
        }
        for (number, day, reason) in &self.voids {
            r.void_receipt(number, day, reason, &at).await?;
        }
        if !self.old_parts.is_empty() {
            r.insert_old_parts(&self.old_parts).await?;
        }
        if !self.followups.is_empty() {
            r.insert_followups(&self.followups, &at).await?;
        }
        if !self.complaints.is_empty() {
            r.insert_complaints(&self.complaints).await?;
        }
        let mut orders = Vec::with_capacity(self.dirty.len());
        for job in &self.dirty {
            if let Some(Some((_, v))) = known.orders.get(job) {
                orders.push(OrderUpdate {
                    row: order_row(v, now)?,
                    status: v.status.as_str(),
                    projection: crate::centre::desk::project_visit(v),
                });
            }
        }
        if !orders.is_empty() {
            r.update_orders(&orders).await?;
        }
        Ok(())
    }
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

impl ReceiptBook {
    /// A receipt of `job_id`: its voided day, or the rejection if HQ has none.
    fn of_job(
        &self,
        number: &str,
        job_id: &str,
    ) -> std::result::Result<Option<String>, (RejectCode, String)> {
        match self.rows.get(number) {
            Some((job, voided_day)) if job == job_id => Ok(voided_day.clone()),
            _ => Err((
                RejectCode::UnknownReceipt,
                format!("HQ has no receipt {number} on job {job_id}"),
            )),
        }
    }

    fn number_used(&self, number: &str) -> Verdict {
        self.rows.contains_key(number).then(|| {
            (
                RejectCode::DuplicateReceiptNumber,
                format!("receipt number {number} is already used"),
            )
        })
    }

    /// Records a receipt row for `op`'s job: an original, emergency or reissued receipt.
    fn issue(
        &mut self,
        w: &mut Writes,
        n: NewReceipt<'_>,
        device: &Device,
        op: &Op,
        now: DateTime<Utc>,
    ) {
        let (method, amount_fen) = n.money;
        self.rows
            .insert(n.number.to_string(), (op.job_id.clone(), None));
        if let Some(replaced) = n.refers_to {
            self.reissued.insert(replaced.to_string());
        }
        w.receipts.push(ReceiptRow {
            number: n.number.to_string(),
            job_id: op.job_id.clone(),
            technician_id: device.technician_id.clone(),
            device_id: device.device_id.clone(),
            method,
            amount_fen,
            issued_day: china_day(op.at),
            received_at: now_str(now),
            kind: n.kind,
            refers_to: n.refers_to.map(str::to_string),
        });
    }

    fn void(&mut self, w: &mut Writes, number: &str, day: String, reason: &str) {
        if let Some(row) = self.rows.get_mut(number) {
            row.1 = Some(day.clone());
        }
        w.voids.push((number.to_string(), day, reason.to_string()));
    }
}

/// A receipt row to record: an original, emergency or reissued receipt.
struct NewReceipt<'a> {
    number: &'a str,
    kind: &'static str,
    refers_to: Option<&'a str>,
    /// Payment method and amount, from the job's payment.
    money: (String, i64),
}

/// The phone refuses a photo it does not hold (`photo_not_stored`), and
/// either uploads every photo before it pushes the facts naming them or
/// names in the push the photos still on their way (`uploading`): HQ
/// refuses, with the phone's refusal, a fact naming a photo it neither
/// received nor heard is coming.
fn photos_received(held: &HashSet<String>, event: &Event, uploading: &[String]) -> Verdict {
    for sha in event.photos() {
        if !uploading.contains(sha) && !held.contains(sha) {
            let refusal = onsite_core::Error::PhotoNotStored {
                sha256: sha.clone(),
            };
            return Some((RejectCode::RuleBroken, refusal.to_string()));
        }
    }
    None
}

/// What HQ records besides the visit itself: receipts (unique numbers across
/// all devices; voids and reissues), and the follow-up queue. Returns a
/// rejection if the op cannot apply: never a silent drop. Decided against
/// the batch's receipts as HQ holds them with the batch's earlier ops on
/// them; what it records is queued in `w`.
fn side_effects(
    order: Option<&(String, Visit)>,
    book: &mut ReceiptBook,
    w: &mut Writes,
    device: &Device,
    op: &Op,
    now: DateTime<Utc>,
) -> Result<Verdict> {
    match &op.event {
        Event::ReceiptIssued { receipt } => {
            if let Some(reject) = book.number_used(&receipt.number) {
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
            book.issue(w, row, device, op, now);
        }
        Event::ReceiptVoided { number, reason } => {
            match book.of_job(number, &op.job_id) {
                Err(reject) => return Ok(Some(reject)),
                Ok(Some(_)) => {
                    return Ok(Some((
                        RejectCode::ReceiptAlreadyVoid,
                        format!("receipt {number} is already void"),
                    )))
                }
                Ok(None) => {}
            }
            book.void(w, number, china_day(op.at), reason);
        }
        Event::ReceiptReissued { receipt, replaces } => {
            match book.of_job(replaces, &op.job_id) {
                Err(reject) => return Ok(Some(reject)),
                Ok(None) => {
                    return Ok(Some((
                        RejectCode::RuleBroken,
                        format!("receipt {replaces} is not void: void it before reissuing"),
                    )))
                }
                Ok(Some(_)) => {}
            }
            if book.reissued.contains(replaces) {
                return Ok(Some((
                    RejectCode::RuleBroken,
                    format!("receipt {replaces} was already reissued"),
                )));
            }
            if let Some(reject) = book.number_used(&receipt.number) {
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
            book.issue(w, row, device, op, now);
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
                w.old_parts.push(OldPart {
                    registration: registration.clone(),
                    job_id: op.job_id.clone(),
                    technician_id: device.technician_id.clone(),
                    part_code: replacement.part_code.clone(),
                    description: replacement.description.clone(),
                    old_serial: replacement.old_serial.clone(),
                    new_serial: replacement.new_serial.clone(),
                    in_warranty,
                    return_plate: tag.map(|g| g.plate.clone()),
                    return_fault: tag.map(|g| g.fault.clone()),
                    recorded_at: now_str(op.at),
                    received_at: now_str(now),
                });
            }
        }
        Event::CustomerAccepted { acceptance } => {
            // Either rating average or worse: a call back at once.
            // 「對“服務質量評價”為“一般”或“不滿意”的客戶,要馬上進行回訪」 (property book)
            if acceptance.opinions().any(Opinion::below_satisfied) {
                add_followup(w, &op.job_id, "rating", now);
            }
            // A customer who would not rate is called at once too: the centre
            // asks for the opinion the technician could not record.
            if acceptance.opinions().any(Opinion::declined) {
                add_followup(w, &op.job_id, "rating_declined", now);
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
                    let reason = format!("rejected_item:{n}");
                    add_followup_with(w, &op.job_id, &reason, Some(&detail), now);
                }
            }
            if acceptance.fix_uncertain {
                let due = now + Duration::hours(3);
                add_followup(w, &op.job_id, "fix_uncertain", due);
            }
        }
        Event::ComplaintRecorded { complaint } => {
            add_complaint(w, order, device, op, complaint, now);
        }
        _ => {}
    }
    Ok(None)
}

/// Queues a follow-up call (written with the batch; one per job and reason).
fn add_followup(w: &mut Writes, job_id: &str, reason: &str, due: DateTime<Utc>) {
    add_followup_with(w, job_id, reason, None, due);
}

fn add_followup_with(
    w: &mut Writes,
    job_id: &str,
    reason: &str,
    detail: Option<&str>,
    due: DateTime<Utc>,
) {
    w.followups.push(FollowUp {
        job_id: job_id.to_string(),
        reason: reason.to_string(),
        due_at: now_str(due),
        detail: detail.map(str::to_string),
    });
}

/// The digits of a phone number, to recognise the same customer across orders.
pub(crate) fn phone_digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

fn add_complaint(
    w: &mut Writes,
    order: Option<&(String, Visit)>,
    device: &Device,
    op: &Op,
    complaint: &onsite_core::visit::Complaint,
    now: DateTime<Utc>,
) {
    let (name, phone) = order
        .map(|(_, v)| {
            (
                v.order.customer.name.clone(),
                v.order.customer.phone.clone(),
            )
        })
        .unwrap_or_default();
    w.complaints.push(ComplaintRow {
        op_id: op.op_id.clone(),
        phone_digits: phone_digits(&phone),
        record: ComplaintRecord {
            job_id: op.job_id.clone(),
            technician_id: device.technician_id.clone(),
            kind: complaint.kind.as_str().to_string(),
            words: complaint.words.clone(),
            customer_name: name,
            customer_phone: phone,
            made_at: now_str(op.at),
            received_at: now_str(now),
        },
    });
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
pub(crate) async fn complaints<R: Records>(r: &mut R) -> Result<Vec<ComplaintRecord>> {
    r.complaints().await
}

/// Whether a customer with this phone complained before (any job).
async fn complained_before<R: Records>(r: &mut R, phone: &str) -> Result<bool> {
    let digits = phone_digits(phone);
    if digits.is_empty() {
        return Ok(false);
    }
    r.complained_before(&digits).await
}

/// A page of a technician's change feed after `cursor`.
pub(crate) async fn pull<R: Records>(
    r: &mut R,
    technician_id: &str,
    cursor: i64,
    limit: usize,
) -> Result<PullResponse> {
    let limit = limit.clamp(1, MAX_PULL_CHANGES);
    let rows = r
        .changes_after(technician_id, cursor, limit as i64 + 1)
        .await?;
    let has_more = rows.len() > limit;
    let mut changes = Vec::with_capacity(limit);
    for c in rows.iter().take(limit) {
        changes.push(Change {
            cursor: c.cursor,
            job_id: c.job_id.clone(),
            at: DateTime::parse_from_rfc3339(&c.at)
                .map_err(|e| HqError::Internal(e.to_string()))?
                .with_timezone(&Utc),
            change: serde_json::from_str(&c.payload)?,
        });
    }
    let page = PullResponse {
        next_cursor: changes.last().map_or(cursor, |c| c.cursor),
        changes,
        has_more,
        retention_days: Some(crate::centre::phone_data::retention_days(r).await?),
    };
    tracing::info!(
        technician_id,
        cursor,
        changes = page.changes.len(),
        next_cursor = page.next_cursor,
        has_more = page.has_more,
        "pull served"
    );
    Ok(page)
}

// --- blobs --------------------------------------------------------------------------

/// Largest blob HQ stores (a processed photo is far smaller).
pub const MAX_BLOB_BYTES: usize = onsite_core::sync::upload::MAX_BLOB_BYTES as usize;
/// Largest chunk of a resumable upload.
pub const MAX_CHUNK_BYTES: usize = onsite_core::sync::upload::MAX_CHUNK_BYTES as usize;

pub(crate) async fn put_blob<R: Records>(
    r: &mut R,
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
    let inserted = r
        .insert_blob(sha256, media_type, &bytes, owner, &now_str(now))
        .await?;
    Ok(inserted)
}

/// What became of one chunk of a resumable upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkOutcome {
    /// Taken (or held already): HQ's offset now, and whether the blob is stored.
    Progress(UploadProgress),
    /// The chunk does not start where HQ's bytes end: nothing taken; the
    /// phone resumes at HQ's offset.
    Elsewhere(UploadProgress),
    /// The last chunk is in but the whole does not hash to its address:
    /// nothing stored, the chunks are dropped, the phone starts again.
    Corrupt,
}

fn check_address(sha256: &str) -> Result<()> {
    if onsite_core::sync::upload::is_blob_address(sha256) {
        Ok(())
    } else {
        Err(HqError::BadRequest(
            "a blob is addressed by its lowercase hex SHA-256 (照片地址须为小写十六进制 SHA-256)"
                .into(),
        ))
    }
}

/// Where the technician's upload of a blob stands: stored, under way, or
/// not started (offset 0, length 0 when HQ has never heard of it).
pub(crate) async fn upload_status<R: Records>(
    r: &mut R,
    owner: &str,
    sha256: &str,
) -> Result<UploadProgress> {
    check_address(sha256)?;
    if let Some(b) = r.blob(sha256).await? {
        let length = b.bytes.len() as u64;
        return Ok(UploadProgress {
            offset: length,
            length,
            stored: true,
        });
    }
    Ok(match r.upload(owner, sha256).await? {
        Some(u) => UploadProgress {
            offset: u.received.max(0) as u64,
            length: u.length.max(0) as u64,
            stored: false,
        },
        None => UploadProgress {
            offset: 0,
            length: 0,
            stored: false,
        },
    })
}

/// Takes one chunk of a technician's upload. The chunk's bytes join the
/// upload only where HQ's bytes end (a resent chunk HQ holds is acknowledged
/// again, its overlap ignored); the last one makes HQ hash the whole and
/// store the blob only if it matches its address, in the same transaction,
/// so a half-uploaded photo never appears among HQ's blobs.
pub(crate) async fn upload_chunk<R: Records>(
    r: &mut R,
    owner: &str,
    sha256: &str,
    media_type: &str,
    chunk: Chunk,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<ChunkOutcome> {
    check_address(sha256)?;
    if r.blob_exists(sha256).await? {
        // Stored already (by this phone's lost answer, or another's same
        // photo): nothing to take.
        r.drop_upload(owner, sha256).await?;
        return Ok(ChunkOutcome::Progress(UploadProgress {
            offset: chunk.length,
            length: chunk.length,
            stored: true,
        }));
    }
    let length = i64::try_from(chunk.length).map_err(|_| HqError::TooLarge(MAX_BLOB_BYTES))?;
    let at = now_str(now);
    let received = match r.upload(owner, sha256).await? {
        Some(u) if u.length == length && u.media_type == media_type => u.received.max(0) as u64,
        // A new upload, or one restarted with another length or type.
        _ => {
            if chunk.offset != 0 {
                return Ok(ChunkOutcome::Elsewhere(UploadProgress {
                    offset: 0,
                    length: chunk.length,
                    stored: false,
                }));
            }
            r.start_upload(owner, sha256, media_type, length, &at)
                .await?;
            0
        }
    };
    match upload::place(received, &chunk) {
        Placement::Gap => {
            return Ok(ChunkOutcome::Elsewhere(UploadProgress {
                offset: received,
                length: chunk.length,
                stored: false,
            }))
        }
        Placement::Held => {}
        Placement::Append { skip } => {
            // The part of the chunk HQ does not hold yet.
            let fresh = usize::try_from(skip)
                .ok()
                .and_then(|skip| bytes.get(skip..))
                .unwrap_or_default();
            r.append_chunk(owner, sha256, received as i64, fresh, &at)
                .await?;
        }
    }
    let offset = chunk.end().max(received);
    if offset < chunk.length {
        return Ok(ChunkOutcome::Progress(UploadProgress {
            offset,
            length: chunk.length,
            stored: false,
        }));
    }
    let whole = r.upload_bytes(owner, sha256).await?;
    r.drop_upload(owner, sha256).await?;
    if whole.len() as u64 != chunk.length || content_hash(&whole) != sha256 {
        return Ok(ChunkOutcome::Corrupt);
    }
    r.insert_blob(sha256, media_type, &whole, owner, &at)
        .await?;
    Ok(ChunkOutcome::Progress(UploadProgress {
        offset,
        length: chunk.length,
        stored: true,
    }))
}

/// A blob and its media type; `scope` limits to one technician's blobs.
pub(crate) async fn get_blob<R: Records>(
    r: &mut R,
    sha256: &str,
    scope: Option<&str>,
) -> Result<(String, Vec<u8>)> {
    let b = r
        .blob(sha256)
        .await?
        .ok_or_else(|| HqError::NotFound(format!("blob {sha256}")))?;
    if scope.is_some_and(|tech| tech != b.owner) {
        return Err(HqError::NotFound(format!("blob {sha256}")));
    }
    Ok((b.media_type, b.bytes))
}

// --- receipt number blocks ------------------------------------------------------------

/// Grants the next block of the series to a device; blocks never overlap.
pub(crate) async fn grant_block<R: Records>(
    r: &mut R,
    device: &Device,
    now: DateTime<Utc>,
) -> Result<NumberBlock> {
    let first = r.series_next_for_update(SERIES).await?;
    let last = first
        .checked_add(BLOCK_SIZE - 1)
        .ok_or_else(|| HqError::Internal("receipt numbers exhausted".into()))?;
    r.set_series_next(SERIES, last + 1).await?;
    r.insert_block(SERIES, first, last, &device.device_id, &now_str(now))
        .await?;
    Ok(NumberBlock {
        series: SERIES.to_string(),
        first,
        last,
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
pub(crate) async fn followups<R: Records>(r: &mut R, month: Option<&str>) -> Result<Vec<FollowUp>> {
    let mut out = r.followups().await?;
    if let Some(m) = month {
        let start = NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
            .map_err(|_| HqError::BadRequest("month must be YYYY-MM".into()))?;
        let prefix = start.format("%Y-%m").to_string();
        let mut done: Vec<String> = Vec::new();
        for status in [Status::Settled, Status::HandedOver] {
            for o in r.orders(None, Some(status.as_str())).await? {
                if o.updated_at.starts_with(&prefix) {
                    done.push(o.job_id);
                }
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
pub(crate) async fn old_parts<R: Records>(r: &mut R, job_id: Option<&str>) -> Result<Vec<OldPart>> {
    r.old_parts(job_id).await
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
pub(crate) async fn record_handover<R: Records>(
    r: &mut R,
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
    if !technician_exists(r, technician_id).await? {
        return Err(HqError::NotFound(format!("technician {technician_id}")));
    }
    r.upsert_handover(
        technician_id,
        &day.to_string(),
        &method,
        amount_fen,
        &now_str(now),
    )
    .await?;
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
pub(crate) async fn reconciliation<R: Records>(
    r: &mut R,
    technician_id: &str,
    day: NaiveDate,
) -> Result<Reconciliation> {
    let day_s = day.to_string();
    let mut lines: BTreeMap<String, MethodLine> = BTreeMap::new();
    for rc in r.receipts_issued(technician_id, &day_s).await? {
        let l = line(&mut lines, rc.method.clone());
        if rc.kind == "reissue" {
            l.reissued.add(rc.amount_fen, "reissued", &rc.method)?;
        } else {
            l.issued.add(rc.amount_fen, "issued", &rc.method)?;
        }
    }
    for rc in r.receipts_voided(technician_id, &day_s).await? {
        line(&mut lines, rc.method.clone())
            .voided
            .add(rc.amount_fen, "voided", &rc.method)?;
    }
    for (method, fen) in r.handovers(technician_id, &day_s).await? {
        line(&mut lines, method).handed_in_fen = fen;
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
        day: day_s,
        lines: out,
        balanced,
    })
}

/// Counts for tests and the demo: ops applied in total.
pub(crate) async fn applied_ops<R: Records>(r: &mut R) -> Result<i64> {
    r.applied_ops().await
}

// --- disputed charges and invoices (DOMAIN.md step 8) ------------------------------

/// The service centre's instruction on a job's disputed charge: applied to
/// HQ's state of the job and sent to the technician's phone by the change
/// feed. HQ must hold the open dispute (the phone's escalation was pushed);
/// for a phone that is offline, a supervisor reads out [`charge_code`] instead.
/// 「如果用户一再坚持则将信息处理结果报回服务中心,根据服务中心批示处理」 (appliance book)
pub(crate) async fn instruct_charge<R: Records>(
    r: &mut R,
    job_id: &str,
    instruction: Instruction,
    by: &str,
    now: DateTime<Utc>,
) -> Result<OrderSummary> {
    let mut v = order_of(r, job_id).await?;
    let e = v
        .instruct_charge(instruction, by)
        .map_err(|e| HqError::Conflict(e.to_string()))?;
    v.apply(&e, now);
    save_order(r, &v, now).await?;
    let change = ChangeKind::ChargeInstructed {
        instruction,
        by: by.trim().to_string(),
    };
    feed(r, &v.order.technician_id, job_id, &change, now).await?;
    tracing::info!(job_id, technician_id = %v.order.technician_id, "charge instructed");
    summary(&v, &now_str(now))
}

/// The code a supervisor reads out to the job's technician for `instruction`
/// (the technician's phone may be offline; HQ need not hold the dispute yet).
pub(crate) async fn charge_code<R: Records>(
    r: &mut R,
    job_id: &str,
    instruction: Instruction,
) -> Result<String> {
    let technician_id = r
        .order(job_id)
        .await?
        .ok_or_else(|| HqError::NotFound(format!("order {job_id}")))?
        .technician_id;
    let key = r
        .approval_key(&technician_id)
        .await?
        .ok_or_else(|| HqError::NotFound(format!("technician {technician_id}")))?;
    Ok(onsite_core::charge::charge_code(
        key.as_bytes(),
        job_id,
        instruction,
    ))
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
pub(crate) async fn pending_invoices<R: Records>(r: &mut R) -> Result<Vec<PendingInvoice>> {
    let mut out = Vec::new();
    for o in r.orders(None, None).await? {
        let v: Visit = serde_json::from_str(&o.visit)?;
        if let Some(inv) = v.invoice.filter(|i| i.delivery.pending()) {
            out.push(PendingInvoice {
                job_id: o.job_id,
                technician_id: o.technician_id,
                title: inv.title,
                tax_number: inv.tax_number,
                delivery: inv.delivery,
                amount_fen: v.payment.map(|p| p.due.fen()),
            });
        }
    }
    Ok(out)
}
