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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushRequest {
    pub ops: Vec<Op>,
    /// What the device still holds unsent once this batch is in, so the
    /// service centre sees a phone with work stuck on it. Absent from
    /// phones older than the field; HQ keeps the last one it was told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backlog: Option<Backlog>,
    /// Photos this batch's facts name that the phone holds but HQ may not
    /// have yet: the phone pushes a visit's facts before its photos (so the
    /// service centre sees the visit while the photos are still on their
    /// way) and HQ accepts a fact naming one of these. A fact naming a photo
    /// HQ neither holds nor finds here is refused, as ever. Absent from
    /// phones that upload photos first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(schema_with = uploading_schema))]
    pub uploading: Vec<String>,
}

/// `uploading`'s schema: at most [`MAX_UPLOADING`] blob addresses.
#[cfg(feature = "openapi")]
fn uploading_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[0-9a-f]{64}$")),
        )
        .max_items(Some(MAX_UPLOADING))
        .description(Some(
            "Photos the batch's facts name that are still on their way (SHA-256, lowercase hex)",
        ))
        .build()
}

/// Most photos one push may say are on their way.
pub const MAX_UPLOADING: usize = 1000;

/// A device's unsent work as it reports it with a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Backlog {
    /// Ops left in the outbox after this batch.
    pub ops: u32,
    /// Photos and signatures not yet uploaded.
    pub blobs: u32,
}

/// Why HQ refused an op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpResult {
    pub op_id: String,
    pub seq: i64,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResponse {
    /// Every op up to this sequence number is settled at HQ (applied, duplicate or rejected).
    pub last_applied_seq: i64,
    pub results: Vec<OpResult>,
    /// HQ's clock when it applied the batch.
    pub received_at: DateTime<Utc>,
    /// `results` lists only the ops HQ did not apply (the push asked
    /// `omit_applied`): every other op of the batch up to
    /// `last_applied_seq` was applied.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub applied_omitted: bool,
}

/// A change HQ made to a job, as the device pulls it: an object tagged by
/// its `type`. Read without buffering when `type` comes first, as HQ writes
/// it (see the `Deserialize` below).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// [`ChangeKind`]'s `type`.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ChangeTag {
    Dispatched,
    Rescheduled,
    Cancelled,
    Reassigned,
    ChargeInstructed,
}

/// The fields of each kind of change, besides `type`.
mod change_body {
    use super::*;

    #[derive(Deserialize)]
    pub struct Dispatched {
        pub order: Box<WorkOrder>,
    }
    #[derive(Deserialize)]
    pub struct Rescheduled {
        pub appointment_at: DateTime<Utc>,
        pub reason: String,
        #[serde(default)]
        pub consent: Option<crate::visit::RescheduleConsent>,
    }
    #[derive(Deserialize)]
    pub struct Cancelled {
        pub reason: String,
    }
    #[derive(Deserialize)]
    pub struct Reassigned {
        pub to_technician: String,
    }
    #[derive(Deserialize)]
    pub struct ChargeInstructed {
        pub instruction: crate::charge::Instruction,
        pub by: String,
    }
}

impl ChangeTag {
    /// The change of this kind whose other fields `d` holds.
    fn body<'de, D: serde::Deserializer<'de>>(self, d: D) -> Result<ChangeKind, D::Error> {
        use change_body as b;
        Ok(match self {
            ChangeTag::Dispatched => ChangeKind::Dispatched {
                order: b::Dispatched::deserialize(d)?.order,
            },
            ChangeTag::Rescheduled => {
                let r = b::Rescheduled::deserialize(d)?;
                ChangeKind::Rescheduled {
                    appointment_at: r.appointment_at,
                    reason: r.reason,
                    consent: r.consent,
                }
            }
            ChangeTag::Cancelled => ChangeKind::Cancelled {
                reason: b::Cancelled::deserialize(d)?.reason,
            },
            ChangeTag::Reassigned => ChangeKind::Reassigned {
                to_technician: b::Reassigned::deserialize(d)?.to_technician,
            },
            ChangeTag::ChargeInstructed => {
                let c = b::ChargeInstructed::deserialize(d)?;
                ChangeKind::ChargeInstructed {
                    instruction: c.instruction,
                    by: c.by,
                }
            }
        })
    }
}

/// serde's derived reading of an internally tagged enum buffers every
/// object into an intermediate tree before it knows the variant: for a page
/// of a thousand dispatches, every order twice. HQ writes `type` first, so
/// the tag is read first and the remaining fields go straight into the
/// variant; an object with `type` elsewhere is still read (through a
/// `serde_json::Value`), as the derived reading did.
impl<'de> Deserialize<'de> for ChangeKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ChangeKindVisitor)
    }
}

struct ChangeKindVisitor;

impl<'de> serde::de::Visitor<'de> for ChangeKindVisitor {
    type Value = ChangeKind;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a change tagged with its `type`")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<ChangeKind, A::Error> {
        use serde::de::Error as _;
        let Some(first) = map.next_key::<String>()? else {
            return Err(A::Error::missing_field("type"));
        };
        if first == "type" {
            let tag: ChangeTag = map.next_value()?;
            return tag.body(serde::de::value::MapAccessDeserializer::new(map));
        }
        let mut rest = serde_json::Map::new();
        rest.insert(first, map.next_value()?);
        while let Some((key, value)) = map.next_entry::<String, serde_json::Value>()? {
            rest.insert(key, value);
        }
        let tag = rest
            .remove("type")
            .ok_or_else(|| A::Error::missing_field("type"))?;
        let tag: ChangeTag = serde_json::from_value(tag).map_err(A::Error::custom)?;
        tag.body(serde_json::Value::Object(rest))
            .map_err(A::Error::custom)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Change {
    pub cursor: i64,
    pub job_id: String,
    pub at: DateTime<Utc>,
    pub change: ChangeKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullResponse {
    pub changes: Vec<Change>,
    pub next_cursor: i64,
    pub has_more: bool,
    /// The company's retention period for customer data on phones, in days
    /// (how long a handed-over job's customer data stays once HQ has all of
    /// it). Absent from older HQs; the phone then keeps what it last heard,
    /// or the default of 30 days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3650))]
    pub retention_days: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollRequest {
    pub code: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9._-]{1,64}$"))]
    pub device_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: String,
    pub message: String,
}

/// A message from the other side that does not parse; `detail` says why, for logs.
fn malformed(field: Field, detail: String) -> Error {
    Error::invalid(field, Problem::Malformed { detail })
}

/// Decodes a push body whole: its envelope ([`decode_push_envelope`]) and
/// every op's event by [`crate::visit::Event::validate`] (amounts decode only
/// within bounds). What a phone's own pushes always pass; the property tests
/// and the fuzz targets hold it to "a typed error, never a panic".
pub fn decode_push(bytes: &[u8]) -> crate::Result<PushRequest> {
    let req = decode_push_envelope(bytes)?;
    for op in &req.ops {
        op.event.validate()?;
    }
    Ok(req)
}

/// Decodes a push body as HQ receives it: well-formed JSON, at most
/// [`MAX_PUSH_OPS`] ops, each with a valid job id, device id and op id, a
/// positive sequence number and a clock stamp of at most 64 characters. Anything
/// else is a typed error for the whole push, never a panic. An op's event is
/// HQ's to judge afterwards, op by op: one breaking a content rule is settled
/// as rejected with the rule's message, and the rest of the batch applies
/// (a phone with one bad fact is not stopped from syncing everything after it).
pub fn decode_push_envelope(bytes: &[u8]) -> crate::Result<PushRequest> {
    let req: PushRequest =
        serde_json::from_slice(bytes).map_err(|e| malformed(Field::PushBody, e.to_string()))?;
    if req.ops.len() > MAX_PUSH_OPS {
        return Err(Error::invalid(
            Field::PushBody,
            Problem::TooMany { max: MAX_PUSH_OPS },
        ));
    }
    for op in &req.ops {
        check_envelope(op)?;
    }
    if req.uploading.len() > MAX_UPLOADING {
        return Err(Error::invalid(
            Field::PushBody,
            Problem::TooMany { max: MAX_UPLOADING },
        ));
    }
    if !req
        .uploading
        .iter()
        .all(|s| super::upload::is_blob_address(s))
    {
        return Err(malformed(
            Field::PushBody,
            "a photo on its way is not a lowercase SHA-256".into(),
        ));
    }
    // The contract publishes the counts as int32: a larger one is malformed.
    if let Some(b) = &req.backlog {
        let max = i32::MAX.unsigned_abs();
        if b.ops > max || b.blobs > max {
            return Err(malformed(
                Field::PushBody,
                format!("a backlog count is over {max}"),
            ));
        }
    }
    Ok(req)
}

fn check_envelope(op: &Op) -> crate::Result<()> {
    validate_id(Field::JobId, &op.job_id)?;
    validate_id(Field::DeviceId, &op.device_id)?;
    // Characters, as the contract's maxLength counts them.
    if op.op_id.is_empty() || op.op_id.chars().count() > 64 {
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
    if op.hlc.chars().count() > 64 {
        return Err(Error::invalid(
            Field::ClockStamp,
            Problem::TooLong { max: 64 },
        ));
    }
    Ok(())
}

/// Decodes a page of HQ's change feed as the device receives it: well-formed
/// JSON, at most [`MAX_PULL_CHANGES`] changes, valid job ids, cursors that
/// only go forward and never pass `next_cursor`, and a dispatch's order for
/// the job the change names.
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
        // A dispatch names its job twice; a page where they differ would file
        // one job's order under another's id.
        if let ChangeKind::Dispatched { order } = &c.change {
            if order.job_id != c.job_id {
                return Err(malformed(
                    Field::PullPage,
                    format!("change {} carries another job's order", c.cursor),
                ));
            }
        }
        last = c.cursor;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The decoders' limits, each on both sides of its edge: the property tests
    //! (tests/tests/decoder_props.rs) cover random input, these pin the bounds.
    use super::*;
    use crate::visit::event::{Actor, Event};

    fn op(seq: i64) -> Op {
        Op {
            op_id: format!("op-{seq}"),
            device_id: "dev-1".into(),
            seq,
            hlc: "0000000000001-0000-dev-1".into(),
            job_id: "J-1".into(),
            actor: Actor::Technician("t1".into()),
            at: DateTime::<Utc>::UNIX_EPOCH,
            event: Event::JobAccepted,
        }
    }

    fn push(ops: Vec<Op>) -> Vec<u8> {
        serde_json::to_vec(&PushRequest {
            ops,
            backlog: None,
            uploading: Vec::new(),
        })
        .unwrap()
    }

    /// Every kind of change reads back as it was written, whether `type`
    /// comes first (as HQ writes it, read without buffering) or not; an
    /// unknown or missing `type` is refused, unknown fields are ignored.
    #[test]
    fn changes_read_back_with_their_type_anywhere() {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let kinds = [
            ChangeKind::Dispatched {
                order: Box::new(crate::sample::leak_order("J-1", "T1", at)),
            },
            ChangeKind::Rescheduled {
                appointment_at: at,
                reason: "客户改期".into(),
                consent: Some(crate::sample::reschedule_consent(at)),
            },
            ChangeKind::Cancelled {
                reason: "业主已自行维修".into(),
            },
            ChangeKind::Reassigned {
                to_technician: "T2".into(),
            },
            ChangeKind::ChargeInstructed {
                instruction: crate::charge::Instruction::Waive,
                by: "王主管".into(),
            },
        ];
        for kind in kinds {
            let json = serde_json::to_string(&kind).unwrap();
            assert!(json.starts_with(r#"{"type":"#), "{json}");
            assert_eq!(serde_json::from_str::<ChangeKind>(&json).unwrap(), kind);
            // `type` last, and a field this build does not know.
            let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
            let tag = v.as_object_mut().unwrap().remove("type").unwrap();
            v["later_field"] = 1.into();
            let mut moved = serde_json::to_string(&v).unwrap();
            moved.pop();
            moved.push_str(&format!(r#","type":{tag}}}"#));
            assert_eq!(
                serde_json::from_str::<ChangeKind>(&moved).unwrap(),
                kind,
                "{moved}"
            );
        }
        for bad in [
            r#"{"type":"exploded","reason":"x"}"#,
            r#"{"reason":"x"}"#,
            r#"{}"#,
            r#"{"type":"cancelled"}"#,
            r#"["cancelled","x"]"#,
        ] {
            assert!(serde_json::from_str::<ChangeKind>(bad).is_err(), "{bad}");
        }
    }

    fn field_of(e: &Error) -> Option<Field> {
        match e {
            Error::InvalidInput { field, .. } => Some(*field),
            _ => None,
        }
    }

    #[test]
    fn a_push_decodes_to_the_ops_that_were_sent() {
        let ops = vec![op(1), op(2)];
        assert_eq!(decode_push(&push(ops.clone())).unwrap().ops, ops);
    }

    #[test]
    fn a_push_holds_at_most_the_batch_limit() {
        let full: Vec<Op> = (1..=MAX_PUSH_OPS as i64).map(op).collect();
        assert_eq!(decode_push(&push(full)).unwrap().ops.len(), MAX_PUSH_OPS);
        let over: Vec<Op> = (1..=MAX_PUSH_OPS as i64 + 1).map(op).collect();
        let e = decode_push(&push(over)).unwrap_err();
        assert!(
            matches!(
                &e,
                Error::InvalidInput { field: Field::PushBody, problem: Problem::TooMany { max } } if *max == MAX_PUSH_OPS
            ),
            "{e:?}"
        );
        let e = decode_push(b"{\"ops\": [").unwrap_err();
        assert_eq!(field_of(&e), Some(Field::PushBody), "{e:?}");
    }

    #[test]
    fn every_op_field_is_checked_at_its_edge() {
        type Edit = fn(&mut Op);
        let cases: [(Edit, Edit, Field); 6] = [
            (|o| o.seq = 1, |o| o.seq = 0, Field::OpSeq),
            (
                |o| o.op_id = "a".repeat(64),
                |o| o.op_id = "a".repeat(65),
                Field::OpId,
            ),
            (|o| o.op_id = "a".into(), |o| o.op_id.clear(), Field::OpId),
            (
                |o| o.hlc = "h".repeat(64),
                |o| o.hlc = "h".repeat(65),
                Field::ClockStamp,
            ),
            (
                |o| o.job_id = "J-2".into(),
                |o| o.job_id = "J 2".into(),
                Field::JobId,
            ),
            (
                |o| o.device_id = "d".into(),
                |o| o.device_id.clear(),
                Field::DeviceId,
            ),
        ];
        for (i, (fine, bad, field)) in cases.into_iter().enumerate() {
            let mut ok = op(1);
            fine(&mut ok);
            assert!(decode_push(&push(vec![ok])).is_ok(), "case {i} at its edge");
            // The bad op follows a good one: every op is checked, not the first.
            let mut wrong = op(2);
            bad(&mut wrong);
            let e = decode_push(&push(vec![op(1), wrong])).unwrap_err();
            assert_eq!(field_of(&e), Some(field), "case {i}: {e:?}");
        }
        let mut negative = op(1);
        negative.seq = -5;
        assert!(decode_push(&push(vec![negative])).is_err());
    }

    #[test]
    fn a_backlog_count_stays_within_the_contracts_int32() {
        let body = |ops: u32| {
            serde_json::to_vec(&PushRequest {
                ops: vec![],
                backlog: Some(Backlog { ops, blobs: 0 }),
                uploading: Vec::new(),
            })
            .unwrap()
        };
        assert!(decode_push(&body(i32::MAX as u32)).is_ok());
        let e = decode_push(&body(i32::MAX as u32 + 1)).unwrap_err();
        assert_eq!(field_of(&e), Some(Field::PushBody), "{e:?}");
    }

    #[test]
    fn the_event_inside_an_op_is_validated() {
        let mut late = op(1);
        late.event = Event::Cancelled {
            reason: String::new(),
        };
        let e = decode_push(&push(vec![late])).unwrap_err();
        assert_eq!(field_of(&e), Some(Field::CancellationReason), "{e:?}");
    }

    fn change(cursor: i64) -> Change {
        Change {
            cursor,
            job_id: "J-1".into(),
            at: DateTime::<Utc>::UNIX_EPOCH,
            change: ChangeKind::Cancelled {
                reason: "customer moved".into(),
            },
        }
    }

    fn page(cursors: &[i64], next_cursor: i64) -> Vec<u8> {
        serde_json::to_vec(&PullResponse {
            changes: cursors.iter().copied().map(change).collect(),
            next_cursor,
            has_more: false,
            retention_days: None,
        })
        .unwrap()
    }

    #[test]
    fn pull_cursors_only_go_forward_and_stop_at_the_next_cursor() {
        let p = decode_pull(&page(&[3, 4, 9], 9)).unwrap();
        assert_eq!(
            p.changes.iter().map(|c| c.cursor).collect::<Vec<_>>(),
            [3, 4, 9]
        );
        for (cursors, next) in [(&[3, 3][..], 9), (&[4, 3][..], 9), (&[3, 10][..], 9)] {
            let e = decode_pull(&page(cursors, next)).unwrap_err();
            assert_eq!(field_of(&e), Some(Field::PullPage), "{cursors:?}: {e:?}");
        }
        // The first change may carry any cursor up to next_cursor, even a very low one.
        assert!(decode_pull(&page(&[i64::MIN + 1], 0)).is_ok());
        let mut bad_id = serde_json::from_slice::<PullResponse>(&page(&[1], 1)).unwrap();
        bad_id.changes[0].job_id = "J/1".into();
        assert_eq!(
            field_of(&check_pull(&bad_id).unwrap_err()),
            Some(Field::JobId)
        );
        assert_eq!(
            field_of(&decode_pull(b"[]").unwrap_err()),
            Some(Field::PullPage)
        );
    }

    #[test]
    fn a_dispatch_must_carry_the_order_of_the_job_it_names() {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let dispatch = |job: &str, order_job: &str| Change {
            cursor: 1,
            job_id: job.into(),
            at,
            change: ChangeKind::Dispatched {
                order: Box::new(crate::sample::leak_order(order_job, "t1", at)),
            },
        };
        let page = |c: Change| PullResponse {
            changes: vec![c],
            next_cursor: 1,
            has_more: false,
            retention_days: None,
        };
        assert!(check_pull(&page(dispatch("J-1", "J-1"))).is_ok());
        let e = check_pull(&page(dispatch("J-1", "J-2"))).unwrap_err();
        assert_eq!(field_of(&e), Some(Field::PullPage), "{e:?}");
    }

    #[test]
    fn a_pull_page_holds_at_most_the_page_limit() {
        let full: Vec<i64> = (1..=MAX_PULL_CHANGES as i64).collect();
        assert!(decode_pull(&page(&full, MAX_PULL_CHANGES as i64)).is_ok());
        let over: Vec<i64> = (1..=MAX_PULL_CHANGES as i64 + 1).collect();
        let e = decode_pull(&page(&over, MAX_PULL_CHANGES as i64 + 1)).unwrap_err();
        assert!(
            matches!(&e, Error::InvalidInput { problem: Problem::TooMany { max }, .. } if *max == MAX_PULL_CHANGES),
            "{e:?}"
        );
    }

    #[test]
    fn reject_codes_are_spelled_as_they_travel() {
        let all = [
            RejectCode::UnknownJob,
            RejectCode::Reassigned,
            RejectCode::JobCancelled,
            RejectCode::RuleBroken,
            RejectCode::DuplicateReceiptNumber,
            RejectCode::UnknownReceipt,
            RejectCode::ReceiptAlreadyVoid,
            RejectCode::WrongDevice,
        ];
        for code in all {
            // as_str is what logs and the phone's conflict list show: it must be the wire name.
            let wire = serde_json::to_value(code).unwrap();
            assert_eq!(wire.as_str(), Some(code.as_str()), "{code:?}");
        }
    }
}
