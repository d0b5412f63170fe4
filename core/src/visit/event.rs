//! Visit facts as append-only events.
//!
//! Every change to a job is one of these, stored in the `events` table (never
//! updated or deleted) and, for the technician's own facts, queued in the
//! outbox for HQ. The current state of a job ([`super::Visit`]) is the fold of
//! its events. Corrections are new events, as in accounting.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::charge::{ChargeDispute, ChargeInstruction, Invoice};
use crate::checklist::Answer;
use crate::material::{ConcessionNote, Inspection, Material, PartReplacement};
use crate::order::WorkOrder;
use crate::payment::Payment;
use crate::punctuality::Punctuality;
use crate::quote::{Approval, QuoteLine, Totals};
use crate::signature::record::SignatureRecord;

/// The message note (留言条) left when nobody answers the door.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageNote {
    /// The words left for the customer.
    pub text: String,
    /// Minutes waited at the door after knocking/ringing.
    pub waited_minutes: u32,
    /// Whether the customer was phoned before leaving the note.
    pub phoned_customer: bool,
    /// How many calls to the customer were made from the door (0 in notes
    /// recorded before this field: `phoned_customer` then counts as one).
    #[serde(default)]
    pub calls_made: u32,
    /// Whether neighbours were asked (furniture book 四.2.1: 「酌情采取同用户邻居确认等措施」).
    #[serde(default)]
    pub asked_neighbours: bool,
}

impl MessageNote {
    /// Calls made, counting an older note's `phoned_customer` as one call.
    pub fn calls(&self) -> u32 {
        self.calls_made.max(u32::from(self.phoned_customer))
    }
}

/// How the customer agreed to a new appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConsentChannel {
    Phone,
    InPerson,
    Message,
}

impl ConsentChannel {
    pub fn label(self, lang: crate::locale::Lang) -> &'static str {
        use crate::locale::tr;
        match self {
            ConsentChannel::Phone => tr(lang, "电话", "by phone"),
            ConsentChannel::InPerson => tr(lang, "当面", "in person"),
            ConsentChannel::Message => tr(lang, "短信/消息", "by message"),
        }
    }
}

/// The customer's consent to a new appointment: 「服务人员需在用户同意的前提下改约上门服务时间」
/// (furniture book 二.2.1); DOMAIN.md step 1: reschedule only with consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RescheduleConsent {
    /// Who agreed (the customer's name, or who answered for them).
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 2000, pattern = "\\S")
    )]
    pub agreed_by: String,
    pub agreed_at: DateTime<Utc>,
    pub channel: ConsentChannel,
}

/// A contact with the customer before the visit (furniture book 二.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    /// 「提前与客户取得联系(至少在预约5个工作日以前)…要求细化到小时」
    AdvanceNotice,
    /// 「在上门前1小时再次联系客户,提醒客户即将到达」
    HourBeforeCall,
}

impl ContactKind {
    pub fn label(self, lang: crate::locale::Lang) -> &'static str {
        use crate::locale::tr;
        match self {
            ContactKind::AdvanceNotice => tr(
                lang,
                "提前五个工作日与客户确认上门时间",
                "The contact 5 working days ahead",
            ),
            ContactKind::HourBeforeCall => tr(
                lang,
                "上门前1小时的提醒电话",
                "The call 1 hour before arriving",
            ),
        }
    }
}

/// A recorded contact, with when it happened and whether it was in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerContact {
    pub kind: ContactKind,
    pub at: DateTime<Utc>,
    /// Computed when recorded: the contact came later than the book asks.
    pub late: bool,
    pub note: String,
}

/// What the technician found (查勘部位 / 查勘修理项目) and proposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assessment {
    /// Parts or areas inspected.
    pub inspected_parts: Vec<String>,
    /// The fault actually found.
    pub findings: String,
    /// Repair items proposed.
    pub repair_items: Vec<String>,
    /// Proposed solution, with tools and materials.
    pub solution: String,
    /// Estimated time on site, minutes.
    pub estimated_minutes: u32,
    /// The fault cause and repair measures are not for the customer: they stay
    /// off the customer's copy and the receipt, and may be left empty now and
    /// filled in later ([`Event::WithheldFilled`]), before the handover.
    // 「如故障原因及维修措施需对用户进行适当隐瞒,则这两栏可以不填,等回到维修部后再进行填写」 (appliance book)
    #[serde(default)]
    pub withheld: bool,
}

/// The fault cause and repair measures filled in after the visit, when the
/// assessment withheld them from the customer. Never shown to the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WithheldFill {
    pub findings: String,
    pub solution: String,
}

/// The customer's rating of the service (满意 / 一般 / 不满意).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Satisfied,
    Average,
    Dissatisfied,
}

impl Rating {
    pub fn label(self, lang: crate::locale::Lang) -> &'static str {
        use crate::locale::tr;
        match self {
            Rating::Satisfied => tr(lang, "满意", "Satisfied"),
            Rating::Average => tr(lang, "一般", "Average"),
            Rating::Dissatisfied => tr(lang, "不满意", "Dissatisfied"),
        }
    }
}

/// One of the customer's two ratings (repair quality, service attitude), or
/// the customer's refusal to give it: never an invented opinion.
// 「让用户对产品的维修质量和服务态度进行评价,并签名」「如果用户不填意见和签名,不要强迫用户签名」 (appliance book)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "opinion", rename_all = "snake_case")]
pub enum Opinion {
    Rated { rating: Rating },
    Declined { reason: String },
}

impl Opinion {
    /// Average or dissatisfied: HQ calls back at once.
    // 「對“服務質量評價”為“一般”或“不滿意”的客戶,要馬上進行回訪」 (property book)
    pub fn below_satisfied(&self) -> bool {
        matches!(
            self,
            Opinion::Rated {
                rating: Rating::Average | Rating::Dissatisfied
            }
        )
    }

    pub fn declined(&self) -> bool {
        matches!(self, Opinion::Declined { .. })
    }

    pub fn label(&self, lang: crate::locale::Lang) -> String {
        match self {
            Opinion::Rated { rating } => rating.label(lang).to_string(),
            Opinion::Declined { reason } => format!(
                "{}: {reason}",
                crate::locale::tr(lang, "客户未评价", "declined to rate")
            ),
        }
    }
}

/// Signed, or a refusal to sign: a customer is never forced (DOMAIN.md step 7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SignOff {
    Signed { signature: SignatureRecord },
    Refused { reason: String },
}

/// The customer's acceptance of the work.
///
/// Acceptances recorded before the two ratings were stored one `rating`
/// (the service-quality evaluation): they load with that rating as `quality`
/// and `attitude: None` (never asked), and their signature stays bound to the
/// old content format ([`super::Visit::verify_signature`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "AcceptanceWire")]
pub struct Acceptance {
    /// Repair quality (维修质量).
    pub quality: Opinion,
    /// Service attitude (服务态度); `None` only on acceptances recorded before it was asked.
    pub attitude: Option<Opinion>,
    pub comment: String,
    /// The technician is not sure the fix holds: HQ follows up within 3 hours.
    pub fix_uncertain: bool,
    pub sign_off: SignOff,
    /// The technician's own signature on the order (维修服务人签名), bound to the
    /// same content as the customer's.
    // 「r、维修服务人——维修、服务人员签名」 (property book, work order fields)
    #[serde(default)]
    pub technician_signature: Option<SignatureRecord>,
}

/// An acceptance as stored, today's or the old one-rating shape.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
struct AcceptanceWire {
    #[serde(default)]
    quality: Option<Opinion>,
    #[serde(default)]
    attitude: Option<Opinion>,
    /// The old single rating (before quality and attitude were separate).
    #[serde(default)]
    rating: Option<Rating>,
    comment: String,
    fix_uncertain: bool,
    sign_off: SignOff,
    #[serde(default)]
    technician_signature: Option<SignatureRecord>,
}

impl TryFrom<AcceptanceWire> for Acceptance {
    type Error = String;
    fn try_from(w: AcceptanceWire) -> Result<Self, String> {
        let quality = match (w.quality, w.rating) {
            (Some(q), _) => q,
            (None, Some(rating)) => Opinion::Rated { rating },
            (None, None) => return Err("an acceptance without a quality opinion".into()),
        };
        Ok(Acceptance {
            quality,
            attitude: w.attitude,
            comment: w.comment,
            fix_uncertain: w.fix_uncertain,
            sign_off: w.sign_off,
            technician_signature: w.technician_signature,
        })
    }
}

impl Acceptance {
    /// Recorded before the two ratings: its signature is bound to the old content format.
    pub fn is_legacy(&self) -> bool {
        self.attitude.is_none()
    }

    /// The opinions given, quality first.
    pub fn opinions(&self) -> impl Iterator<Item = &Opinion> {
        std::iter::once(&self.quality).chain(self.attitude.as_ref())
    }
}

/// How the householder's identity was checked before unloading (furniture).
///
/// Only the last four characters of an ID card are kept, never the whole
/// number: the books keep customer records confidential (GPS book 「不准在私人交往中泄露客户信息」),
/// and four characters are enough to tell the right householder from the wrong one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IdMethod {
    /// The last four characters of the ID card match HQ's record.
    IdCardLast4,
    /// The name (and phone) on the order match the person at the door.
    NameMatch,
}

// 「证实对方身份:“请问这里是否是××先生、(小姐、太太)家?”」 (furniture book)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdentityCheck {
    pub method: IdMethod,
    /// The householder's name as confirmed at the door.
    pub householder_name: String,
    /// With [`IdMethod::IdCardLast4`]: the last four characters, never more.
    #[serde(default)]
    pub id_last4: Option<String>,
}

/// A delivery-list item accepted or rejected by the customer, with a note.
// 「按订单内容逐项请客户验收」 (furniture book)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemDecision {
    pub accepted: bool,
    /// What was wrong (damage, wrong colour, wrong size, missing pieces...); required for a rejection.
    pub note: String,
}

/// Soft: about the service; hard: about the product.
// 「软性投诉是指顾客提出的除产品以外的投诉」「硬性投诉是指顾客针对产品提出的投诉」 (furniture book)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ComplaintKind {
    Soft,
    Hard,
}

impl ComplaintKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ComplaintKind::Soft => "soft",
            ComplaintKind::Hard => "hard",
        }
    }

    pub fn label(self, lang: crate::locale::Lang) -> &'static str {
        match self {
            ComplaintKind::Soft => crate::locale::tr(lang, "软性投诉(服务)", "soft (service)"),
            ComplaintKind::Hard => crate::locale::tr(lang, "硬性投诉(产品)", "hard (product)"),
        }
    }
}

/// A complaint the customer made on site, in the customer's words.
// 「须当顾客的面做详细记录」 (furniture book)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Complaint {
    pub kind: ComplaintKind,
    pub words: String,
}

/// A receipt as referenced from its job; the full receipt lives in the receipts table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReceiptRef {
    pub number: String,
    pub sha256: String,
}

/// Damage the technician caused on site (floor, product...), compensated at its price:
/// 「如果产品搬动复位时将地板、产品碰坏,给用户照价赔偿」 (appliance book).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Damage {
    /// What was damaged and how.
    pub what: String,
    /// The compensation, at the damaged thing's price.
    pub amount: crate::money::Fen,
    /// Whether the customer agreed to the amount.
    pub customer_agreed: bool,
}

/// Parts short on site, worked around on the centre's oral approval:
/// 「如在维修过程中由于器件或配件的不足而不能处理,可通过口头请示或其他办法灵活处理」 (GPS book).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartsShortApproval {
    /// The parts or components that were short.
    pub what_short: String,
    /// Who at the centre approved, by phone.
    pub approver: String,
    /// When they approved.
    pub approved_at: DateTime<Utc>,
    /// What they told the technician to do.
    pub instruction: String,
}

/// What happened to a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    // --- from HQ (applied locally, never sent back) -------------------------
    Dispatched {
        order: WorkOrder,
    },
    Rescheduled {
        appointment_at: DateTime<Utc>,
        reason: String,
        /// The customer's consent (absent only in events recorded before it was required).
        #[serde(default)]
        consent: Option<RescheduleConsent>,
    },
    Cancelled {
        reason: String,
    },
    // --- the technician's facts ---------------------------------------------
    JobAccepted,
    Departed,
    Arrived {
        punctuality: Punctuality,
    },
    NoAccess {
        note: MessageNote,
    },
    ChecklistAnswered {
        template_id: String,
        item_id: String,
        answer: Answer,
    },
    Assessed {
        assessment: Assessment,
    },
    QuoteLineAdded {
        line: QuoteLine,
    },
    QuoteLineRemoved {
        line_no: u32,
    },
    QuoteLineApproved {
        line_no: u32,
        approval: Approval,
    },
    QuotePresented {
        totals: Totals,
    },
    CustomerConsented {
        customer_name: String,
    },
    CustomerDeclined {
        reason: String,
    },
    MaterialAdded {
        material: Material,
    },
    MaterialInspected {
        material_id: String,
        inspection: Inspection,
    },
    ConcessionNoted {
        material_id: String,
        note: ConcessionNote,
    },
    MaterialUsed {
        material_id: String,
    },
    PartReplaced {
        replacement: PartReplacement,
    },
    WorkStarted,
    WorkDone {
        labour_minutes: u32,
        summary: String,
    },
    CustomerAccepted {
        acceptance: Acceptance,
    },
    PaymentTaken {
        payment: Payment,
    },
    ReceiptIssued {
        receipt: ReceiptRef,
    },
    /// A receipt is voided (wrong amount, wrong method...). Its number stays
    /// used and the money it recorded no longer counts: corrections are new
    /// facts, as in accounting, and HQ's reconciliation must learn of them.
    ReceiptVoided {
        number: String,
        reason: String,
    },
    /// A new receipt, under a new number, replaces a voided one.
    ReceiptReissued {
        receipt: ReceiptRef,
        replaces: String,
    },
    HandedOver,
    // --- disputed charges and invoices (issue 10) ---------------------------
    /// The customer refuses the charge or asks a reduction; after 三包 and
    /// the warranty scope were explained, it goes to the service centre.
    ChargeDisputed {
        dispute: ChargeDispute,
    },
    /// The service centre's instruction, from HQ by sync.
    ChargeInstructed {
        instruction: ChargeInstruction,
    },
    /// The service centre's instruction read out by a supervisor, entered
    /// with its code on the phone.
    ChargeInstructionEntered {
        instruction: ChargeInstruction,
    },
    /// The customer asked for an invoice (发票).
    InvoiceRecorded {
        invoice: Invoice,
    },
    /// GPS: the technician corrects the vehicle details on site.
    VehicleCorrected {
        vehicle: crate::order::Vehicle,
    },
    /// Parts short on site: the centre's oral approval, recorded.
    PartsShortApproved {
        approval: PartsShortApproval,
    },
    /// Damage the technician caused, with the compensation.
    DamageRecorded {
        damage: Damage,
    },
    /// The technician agreed a new appointment with the customer; HQ moves the order.
    AppointmentAgreed {
        appointment_at: DateTime<Utc>,
        reason: String,
        consent: RescheduleConsent,
    },
    /// A contact with the customer before the visit (furniture).
    CustomerContacted {
        contact: CustomerContact,
    },
    /// The withheld fault cause and repair measures, filled in before handover.
    WithheldFilled {
        fill: WithheldFill,
    },
    /// The householder's identity, checked before unloading (furniture).
    IdentityChecked {
        check: IdentityCheck,
    },
    /// One delivery-list item (1-based `item_no`) accepted or rejected.
    DeliveryItemDecided {
        item_no: u32,
        decision: ItemDecision,
    },
    ComplaintRecorded {
        complaint: Complaint,
    },
}

impl Event {
    /// The photos this fact names by their SHA-256 (a photo answer, an
    /// inspection's photos): HQ must hold each, or hear that it is on its way.
    pub fn photos(&self) -> &[String] {
        match self {
            Event::ChecklistAnswered {
                answer: crate::checklist::Answer::Photo(sha),
                ..
            } => std::slice::from_ref(sha),
            Event::MaterialInspected { inspection, .. } => &inspection.photos,
            _ => &[],
        }
    }

    /// The stable name stored in the `kind` column and shown in the audit trail.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Dispatched { .. } => "dispatched",
            Event::Rescheduled { .. } => "rescheduled",
            Event::Cancelled { .. } => "cancelled",
            Event::JobAccepted => "job_accepted",
            Event::Departed => "departed",
            Event::Arrived { .. } => "arrived",
            Event::NoAccess { .. } => "no_access",
            Event::ChecklistAnswered { .. } => "checklist_answered",
            Event::Assessed { .. } => "assessed",
            Event::QuoteLineAdded { .. } => "quote_line_added",
            Event::QuoteLineRemoved { .. } => "quote_line_removed",
            Event::QuoteLineApproved { .. } => "quote_line_approved",
            Event::QuotePresented { .. } => "quote_presented",
            Event::CustomerConsented { .. } => "customer_consented",
            Event::CustomerDeclined { .. } => "customer_declined",
            Event::MaterialAdded { .. } => "material_added",
            Event::MaterialInspected { .. } => "material_inspected",
            Event::ConcessionNoted { .. } => "concession_noted",
            Event::MaterialUsed { .. } => "material_used",
            Event::PartReplaced { .. } => "part_replaced",
            Event::WorkStarted => "work_started",
            Event::WorkDone { .. } => "work_done",
            Event::CustomerAccepted { .. } => "customer_accepted",
            Event::PaymentTaken { .. } => "payment_taken",
            Event::ReceiptIssued { .. } => "receipt_issued",
            Event::ReceiptVoided { .. } => "receipt_voided",
            Event::ReceiptReissued { .. } => "receipt_reissued",
            Event::HandedOver => "handed_over",
            Event::ChargeDisputed { .. } => "charge_disputed",
            Event::ChargeInstructed { .. } => "charge_instructed",
            Event::ChargeInstructionEntered { .. } => "charge_instruction_entered",
            Event::InvoiceRecorded { .. } => "invoice_recorded",
            Event::VehicleCorrected { .. } => "vehicle_corrected",
            Event::PartsShortApproved { .. } => "parts_short_approved",
            Event::DamageRecorded { .. } => "damage_recorded",
            Event::AppointmentAgreed { .. } => "appointment_agreed",
            Event::CustomerContacted { .. } => "customer_contacted",
            Event::WithheldFilled { .. } => "withheld_filled",
            Event::IdentityChecked { .. } => "identity_checked",
            Event::DeliveryItemDecided { .. } => "delivery_item_decided",
            Event::ComplaintRecorded { .. } => "complaint_recorded",
        }
    }

    /// Whether applying the event changes the job's work order ([`Visit::order`]):
    /// a new dispatch, a new appointment, a corrected vehicle. The store keeps
    /// the order as first dispatched before such an event changes it, since
    /// the dispatch event refers to the job's order instead of holding a copy
    /// (`crate::store::events`). Every variant is listed, so a new event is
    /// classified when it is added.
    ///
    /// [`Visit::order`]: crate::visit::Visit::order
    pub fn changes_order(&self) -> bool {
        match self {
            Event::Dispatched { .. }
            | Event::Rescheduled { .. }
            | Event::VehicleCorrected { .. }
            | Event::AppointmentAgreed { .. } => true,
            Event::Cancelled { .. }
            | Event::JobAccepted
            | Event::Departed
            | Event::Arrived { .. }
            | Event::NoAccess { .. }
            | Event::ChecklistAnswered { .. }
            | Event::Assessed { .. }
            | Event::QuoteLineAdded { .. }
            | Event::QuoteLineRemoved { .. }
            | Event::QuoteLineApproved { .. }
            | Event::QuotePresented { .. }
            | Event::CustomerConsented { .. }
            | Event::CustomerDeclined { .. }
            | Event::MaterialAdded { .. }
            | Event::MaterialInspected { .. }
            | Event::ConcessionNoted { .. }
            | Event::MaterialUsed { .. }
            | Event::PartReplaced { .. }
            | Event::WorkStarted
            | Event::WorkDone { .. }
            | Event::CustomerAccepted { .. }
            | Event::PaymentTaken { .. }
            | Event::ReceiptIssued { .. }
            | Event::ReceiptVoided { .. }
            | Event::ReceiptReissued { .. }
            | Event::HandedOver
            | Event::ChargeDisputed { .. }
            | Event::ChargeInstructed { .. }
            | Event::ChargeInstructionEntered { .. }
            | Event::InvoiceRecorded { .. }
            | Event::PartsShortApproved { .. }
            | Event::DamageRecorded { .. }
            | Event::CustomerContacted { .. }
            | Event::WithheldFilled { .. }
            | Event::IdentityChecked { .. }
            | Event::DeliveryItemDecided { .. }
            | Event::ComplaintRecorded { .. } => false,
        }
    }

    /// HQ's own decisions are applied on the device but not sent back to HQ.
    pub fn from_hq(&self) -> bool {
        matches!(
            self,
            Event::Dispatched { .. }
                | Event::Rescheduled { .. }
                | Event::Cancelled { .. }
                | Event::ChargeInstructed { .. }
        )
    }
}

/// Who did something, for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "role", content = "id", rename_all = "snake_case")]
pub enum Actor {
    Technician(String),
    Hq(String),
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::Technician(id) => write!(f, "technician:{id}"),
            Actor::Hq(id) => write!(f, "hq:{id}"),
        }
    }
}

/// An event as stored: with its id, time, clock stamp and actor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recorded {
    pub event_id: String,
    pub job_id: String,
    pub actor: Actor,
    /// Device wall time, UTC, for humans.
    pub at: DateTime<Utc>,
    /// Hybrid logical clock stamp, for ordering.
    pub hlc: String,
    pub event: Event,
}

/// One visit event from the device's outbox, as HQ receives it: with the device id
/// and its gap-free per-device sequence number, so HQ can apply each exactly once
/// (a re-sent op is an acknowledged no-op), and an HLC stamp for ordering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Op {
    /// UUID of the op (the same as the event's id on the device).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64))]
    pub op_id: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9._-]{1,64}$"))]
    pub device_id: String,
    /// Per-device sequence number, starting at 1, without gaps.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub seq: i64,
    /// Hybrid logical clock stamp ([`crate::clock::Hlc::encode`]).
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub hlc: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9._-]{1,64}$"))]
    pub job_id: String,
    pub actor: Actor,
    /// Device wall time, for humans; HQ records its own receipt time.
    pub at: DateTime<Utc>,
    pub event: Event,
}
