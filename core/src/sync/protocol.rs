//! What travels between a device and HQ (JSON over HTTP, `/v1`).
//!
//! An [`Op`] is one visit event from the device's outbox, with the device id
//! and its gap-free per-device sequence number, so HQ can apply each exactly
//! once (a re-sent op is an acknowledged no-op), and an HLC stamp for ordering.
//! HQ answers every op: applied, duplicate, or rejected with a reason code the
//! device turns into a visible conflict on the job.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Field, Problem};
use crate::order::{validate_id, WorkOrder};
/// An op is defined beside the events it carries; the outbox stores it and this protocol sends it.
pub use crate::visit::event::Op;

/// Largest batch HQ accepts in one push.
pub const MAX_PUSH_OPS: usize = 500;
/// Largest page HQ returns from the change feed.
pub const MAX_PULL_CHANGES: usize = 1000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    pub ops: Vec<Op>,
}

/// Why HQ refused an op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectCode {
    /// HQ has no such job.
    UnknownJob,
    /// The job was reassigned to another technician.
    Reassigned,
    /// HQ cancelled the job.
    JobCancelled,
    /// The fact does not fit the job's state at HQ (e.g. rescheduled meanwhile).
    RuleBroken,
    /// The receipt number is already used on HQ.
    DuplicateReceiptNumber,
    /// A void or reissue names a receipt HQ does not have on that job.
    UnknownReceipt,
    /// A void names a receipt that is already void at HQ.
    ReceiptAlreadyVoid,
    /// The op belongs to another device.
    WrongDevice,
}

impl RejectCode {
    pub fn as_str(self) -> &'static str {
        match self {
            RejectCode::UnknownJob => "unknown_job",
            RejectCode::Reassigned => "reassigned",
            RejectCode::JobCancelled => "job_cancelled",
            RejectCode::RuleBroken => "rule_broken",
            RejectCode::DuplicateReceiptNumber => "duplicate_receipt_number",
            RejectCode::UnknownReceipt => "unknown_receipt",
            RejectCode::ReceiptAlreadyVoid => "receipt_already_void",
            RejectCode::WrongDevice => "wrong_device",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Applied,
    /// Already applied earlier: acknowledged, nothing changed.
    Duplicate,
    Rejected {
        code: RejectCode,
        message: String,
    },
    /// An earlier op is missing: not acknowledged, send again from `last_applied_seq + 1`.
    OutOfOrder,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpResult {
    pub op_id: String,
    pub seq: i64,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// Every op up to this sequence number is settled at HQ (applied, duplicate or rejected).
    pub last_applied_seq: i64,
    pub results: Vec<OpResult>,
    /// HQ's clock when it applied the batch.
    pub received_at: DateTime<Utc>,
}

/// A change HQ made to a job, as the device pulls it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChangeKind {
    Dispatched {
        order: Box<WorkOrder>,
    },
    Rescheduled {
        appointment_at: DateTime<Utc>,
        reason: String,
        /// The customer's consent HQ recorded (absent in changes written before it was required).
        #[serde(default)]
        consent: Option<crate::visit::RescheduleConsent>,
    },
    Cancelled {
        reason: String,
    },
    /// The job went to another technician: it leaves this device's list.
    Reassigned {
        to_technician: String,
    },
    /// The service centre's instruction on a disputed charge (服务中心批示).
    ChargeInstructed {
        instruction: crate::charge::Instruction,
        by: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub cursor: i64,
    pub job_id: String,
    pub at: DateTime<Utc>,
    pub change: ChangeKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    pub changes: Vec<Change>,
    pub next_cursor: i64,
    pub has_more: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    pub code: String,
    pub device_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub token: String,
    pub technician_id: String,
    pub technician_name: String,
    pub device_id: String,
    /// Key for supervisors' approval codes (see [`crate::quote::approval_code`]).
    pub approval_key: String,
}

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    pub message: String,
}

/// A message from the other side that does not parse; `detail` says why, for logs.
fn malformed(field: Field, detail: String) -> Error {
    Error::invalid(field, Problem::Malformed { detail })
}

/// Decodes a push body as HQ receives it: well-formed JSON, at most
/// [`MAX_PUSH_OPS`] ops, each with a valid job id and op id and a positive
/// sequence number, and an event that passes [`crate::visit::Event::validate`]
/// (amounts decode only within bounds). Anything else is a typed error, never
/// a panic; whether each op may apply to its job is HQ's decision afterwards.
pub fn decode_push(bytes: &[u8]) -> crate::Result<PushRequest> {
    let req: PushRequest =
        serde_json::from_slice(bytes).map_err(|e| malformed(Field::PushBody, e.to_string()))?;
    if req.ops.len() > MAX_PUSH_OPS {
        return Err(Error::invalid(
            Field::PushBody,
            Problem::TooMany { max: MAX_PUSH_OPS },
        ));
    }
    for op in &req.ops {
        check_op(op)?;
    }
    Ok(req)
}

fn check_op(op: &Op) -> crate::Result<()> {
    validate_id(Field::JobId, &op.job_id)?;
    validate_id(Field::DeviceId, &op.device_id)?;
    if op.op_id.is_empty() || op.op_id.len() > 64 {
        return Err(Error::invalid(
            Field::OpId,
            Problem::Length { min: 1, max: 64 },
        ));
    }
    if op.seq < 1 {
        return Err(malformed(
            Field::OpSeq,
            format!("{} is not a sequence number (they start at 1)", op.seq),
        ));
    }
    if op.hlc.len() > 64 {
        return Err(Error::invalid(
            Field::ClockStamp,
            Problem::TooLong { max: 64 },
        ));
    }
    // The same content rules the phone applied when it recorded the event.
    op.event.validate()
}

/// Decodes a page of HQ's change feed as the device receives it: well-formed
/// JSON, at most [`MAX_PULL_CHANGES`] changes, valid job ids, cursors that
/// only go forward and never pass `next_cursor`.
pub fn decode_pull(bytes: &[u8]) -> crate::Result<PullResponse> {
    let page: PullResponse =
        serde_json::from_slice(bytes).map_err(|e| malformed(Field::PullPage, e.to_string()))?;
    check_pull(&page)?;
    Ok(page)
}

/// The checks of [`decode_pull`] on a page already parsed.
pub fn check_pull(page: &PullResponse) -> crate::Result<()> {
    if page.changes.len() > MAX_PULL_CHANGES {
        return Err(Error::invalid(
            Field::PullPage,
            Problem::TooMany {
                max: MAX_PULL_CHANGES,
            },
        ));
    }
    let mut last = i64::MIN;
    for c in &page.changes {
        validate_id(Field::JobId, &c.job_id)?;
        if c.cursor <= last || c.cursor > page.next_cursor {
            return Err(malformed(
                Field::PullPage,
                format!("cursor {} is out of order", c.cursor),
            ));
        }
        last = c.cursor;
    }
    Ok(())
}
