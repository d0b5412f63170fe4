//! Plain records and enums as Kotlin and Swift see them, converted one-to-one
//! from and to the core's types. Times are Unix milliseconds (UTC); money is
//! integer fen. Nothing here decides anything.

use onsite_core::checklist::{Answer, Category, ItemKind, Phase};
use onsite_core::locale::Lang;
use onsite_core::material::{Source, Verdict};
use onsite_core::payment::Method;
use onsite_core::quote::LineKind;
use onsite_core::visit::{Action, AvailableAction, Rating, Status, Visit};

macro_rules! mirror {
    ($(#[$m:meta])* $name:ident = $core:ty { $($v:ident),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
        pub enum $name { $($v),+ }
        impl From<$core> for $name {
            fn from(c: $core) -> Self { match c { $(<$core>::$v => $name::$v),+ } }
        }
        impl From<$name> for $core {
            fn from(c: $name) -> Self { match c { $($name::$v => <$core>::$v),+ } }
        }
    };
}

mirror!(
    JobStatus = Status {
        Dispatched,
        Accepted,
        EnRoute,
        Arrived,
        NoAccess,
        Assessed,
        Quoted,
        Consented,
        Declined,
        InProgress,
        WorkDone,
        CustomerAccepted,
        Settled,
        HandedOver,
        Cancelled
    }
);
mirror!(
    /// A step of the visit, as a button on a screen (the core's transition table).
    JobAction = Action {
        AcceptJob,
        Depart,
        Arrive,
        RecordNoAccess,
        AnswerChecklist,
        Assess,
        AddQuoteLine,
        RemoveQuoteLine,
        ApproveQuoteLine,
        PresentQuote,
        CustomerConsents,
        CustomerDeclines,
        AddMaterial,
        InspectMaterial,
        NoteConcession,
        UseMaterial,
        ReplacePart,
        StartWork,
        FinishWork,
        RecordAcceptance,
        TakePayment,
        IssueReceipt,
        VoidReceipt,
        ReissueReceipt,
        HandOver,
        DisputeCharge,
        EnterChargeInstruction,
        RecordInvoice,
        CorrectVehicle,
        RecordPartsShort,
        RecordDamage,
        RescheduleWithCustomer,
        RecordContact,
        FillWithheld,
        CheckIdentity,
        DecideDeliveryItem,
        RecordComplaint
    }
);
mirror!(
    /// How the customer agreed to a new appointment.
    ConsentChannel = onsite_core::visit::ConsentChannel {
        Phone,
        InPerson,
        Message
    }
);
mirror!(
    /// A contact with the customer before a furniture visit.
    ContactKind = onsite_core::visit::ContactKind {
        AdvanceNotice,
        HourBeforeCall
    }
);

/// The punctuality verdict an arrival now would get, for the screen before arriving.
#[derive(Debug, Clone, uniffi::Record)]
pub struct PunctualityPreview {
    pub label: String,
    pub late: bool,
    pub minutes_from_reference: i64,
}
mirror!(
    ChecklistPhase = Phase {
        BeforeLeaving,
        Arrival,
        WorkRules,
        Completion
    }
);
mirror!(
    PaymentMethod = Method {
        Cash,
        WechatPay,
        Alipay,
        Card,
        BankTransfer,
        OnAccount
    }
);
mirror!(
    CustomerRating = Rating {
        Satisfied,
        Average,
        Dissatisfied
    }
);
mirror!(
    MaterialSource = Source {
        Warehouse,
        CustomerSupplied,
        CustomerBought
    }
);
mirror!(InspectionVerdict = Verdict { Pass, Fail });
mirror!(QuoteLineKind = LineKind { Service, Part });
mirror!(
    ServiceCategory = Category {
        PropertyRepair,
        Appliance,
        GpsInstall,
        Furniture
    }
);

/// One entry of the offline fee schedule or parts price list.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ScheduleEntry {
    pub code: String,
    pub kind: QuoteLineKind,
    pub category: ServiceCategory,
    pub name: String,
    pub unit: String,
    pub price_fen: i64,
}

/// What the device's receipt chain check found.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ReceiptChain {
    Intact,
    /// An entry's content was edited after it was written.
    Edited {
        number: String,
    },
    /// An entry is missing between two others.
    Broken {
        number: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Language {
    ZhCn,
    En,
}

impl From<Language> for Lang {
    fn from(l: Language) -> Self {
        match l {
            Language::ZhCn => Lang::ZhCn,
            Language::En => Lang::En,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Paper {
    Mm58,
    Mm80,
}

pub fn ms(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

/// A time from Unix milliseconds; out of range is a typed error.
pub fn from_ms(ms: i64) -> onsite_core::Result<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::from_timestamp_millis(ms).ok_or_else(|| {
        onsite_core::error::Error::InvalidInput {
            field: onsite_core::error::Field::Day,
            problem: onsite_core::error::Problem::Malformed {
                detail: format!("{ms} ms is not a representable time"),
            },
        }
    })
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct TechnicianProfile {
    pub technician_id: String,
    pub technician_name: String,
    pub device_id: String,
    pub approval_key: String,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct Enrollment {
    pub profile: TechnicianProfile,
    pub token: String,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct JobSummary {
    pub job_id: String,
    pub status: JobStatus,
    pub appointment_at_ms: i64,
    pub site: String,
    /// Down to the building (`9栋**`): lists are masked.
    pub location: String,
    /// The customer's phone masked (`138****8000`).
    pub customer_phone: String,
    pub urgent: bool,
    /// The customer complained before: take special care (HQ's mark).
    pub complained_before: bool,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct QuoteLine {
    pub line_no: u32,
    pub kind: QuoteLineKind,
    pub code: Option<String>,
    pub description: String,
    pub qty: u32,
    pub unit_price_fen: i64,
    pub line_total_fen: i64,
    pub free_in_warranty: bool,
    pub needs_approval: bool,
    pub approved_by: Option<String>,
    /// Why the line is not charged (in warranty, free service, parts only), in the job's language.
    pub free_reason: Option<String>,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct MaterialView {
    pub material_id: String,
    pub source: MaterialSource,
    pub description: String,
    pub qty: u32,
    pub verdict: Option<InspectionVerdict>,
    pub has_concession: bool,
    pub used: bool,
}

/// Something HQ did not accept (or an HQ change this phone could not take).
#[derive(Debug, Clone, uniffi::Record)]
pub struct Conflict {
    /// The event kind that was refused (`work_done`...).
    pub kind: String,
    /// HQ's reason code (`job_cancelled`, `reassigned`, `rule_broken`...).
    pub code: String,
    /// What the technician reads, in their language.
    pub message: String,
    /// HQ's own words, in English with ids: for logs and support, not for screens.
    pub detail: String,
}

/// A job as a screen shows it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct JobDetail {
    pub job_id: String,
    pub category: ServiceCategory,
    pub status: JobStatus,
    pub status_label: String,
    pub site: String,
    pub location: String,
    pub customer_name: String,
    pub customer_phone: String,
    pub fault: String,
    pub appointment_at_ms: i64,
    pub urgent: bool,
    pub in_warranty: bool,
    pub punctuality: Option<String>,
    pub quote_lines: Vec<QuoteLine>,
    pub quote_total_fen: Option<i64>,
    pub due_on_site_fen: i64,
    pub materials: Vec<MaterialView>,
    pub receipt_number: Option<String>,
    pub cancelled_reason: Option<String>,
    pub conflicts: Vec<Conflict>,
    /// The order's outstanding balance (尾款), due on site as its own line.
    pub balance_fen: i64,
    /// A disputed charge waits for the service centre's instruction.
    pub charge_dispute_open: bool,
    /// The centre's instruction on the disputed charge, as the technician reads it.
    pub charge_instruction: Option<String>,
    /// GPS: the vehicle on the order, as corrected on site.
    pub vehicle: Option<VehicleInfo>,
    /// Damage the technician caused, with its compensation.
    pub damages: Vec<DamageInput>,
    /// Parts short on site, each with the centre's oral approval.
    pub parts_short: Vec<PartsShortView>,
    /// The customer complained before: take special care (HQ's mark).
    pub complained_before: bool,
    /// Furniture: the delivery list with each line's decision so far.
    pub delivery_items: Vec<DeliveryItemView>,
    /// Furniture: whether the householder's identity was checked.
    pub identity_checked: bool,
}

/// GPS: the vehicle of an order (plate number, model, driver).
#[derive(Debug, Clone, uniffi::Record)]
pub struct VehicleInfo {
    pub plate: String,
    pub model: String,
    pub driver_name: String,
    pub driver_phone: String,
}

impl From<&onsite_core::order::Vehicle> for VehicleInfo {
    fn from(v: &onsite_core::order::Vehicle) -> Self {
        VehicleInfo {
            plate: v.plate.clone(),
            model: v.model.clone(),
            driver_name: v.driver_name.clone(),
            driver_phone: v.driver_phone.clone(),
        }
    }
}

impl From<VehicleInfo> for onsite_core::order::Vehicle {
    fn from(v: VehicleInfo) -> Self {
        onsite_core::order::Vehicle {
            plate: v.plate,
            model: v.model,
            driver_name: v.driver_name,
            driver_phone: v.driver_phone,
        }
    }
}

/// Damage the technician caused: what, the compensation in fen, whether the customer agreed.
#[derive(Debug, Clone, uniffi::Record)]
pub struct DamageInput {
    pub what: String,
    pub amount_fen: i64,
    pub customer_agreed: bool,
}

/// Parts short on site: what, who at the centre approved by phone, what they said.
#[derive(Debug, Clone, uniffi::Record)]
pub struct PartsShortInput {
    pub what_short: String,
    pub approver: String,
    pub instruction: String,
}

/// A recorded parts-short approval, with when it was given.
#[derive(Debug, Clone, uniffi::Record)]
pub struct PartsShortView {
    pub what_short: String,
    pub approver: String,
    pub approved_at_ms: i64,
    pub instruction: String,
}

/// A line of a furniture delivery list (1-based `item_no`) and its decision, if made.
#[derive(Debug, Clone, uniffi::Record)]
pub struct DeliveryItemView {
    pub item_no: u32,
    pub model: String,
    pub colour: String,
    pub size: String,
    pub quantity: u32,
    /// `None`: not yet decided; `Some(true)`: accepted; `Some(false)`: rejected.
    pub accepted: Option<bool>,
    pub note: String,
}

impl JobDetail {
    pub fn from_core(
        v: &Visit,
        lang: Lang,
        conflicts: Vec<onsite_core::sync::Conflict>,
    ) -> JobDetail {
        JobDetail {
            job_id: v.order.job_id.clone(),
            category: v.order.category.into(),
            status: v.status.into(),
            status_label: v.status.label(lang).to_string(),
            site: v.order.site.clone(),
            location: v.order.location.clone(),
            customer_name: v.order.customer.name.clone(),
            customer_phone: v.order.customer.phone.clone(),
            fault: v.order.fault.clone(),
            appointment_at_ms: ms(v.order.appointment_at),
            urgent: v.order.urgent,
            in_warranty: v.order.in_warranty(),
            punctuality: v.punctuality.as_ref().map(|p| p.label(lang)),
            quote_lines: v
                .quote_lines
                .iter()
                .map(|l| QuoteLine {
                    line_no: l.line_no,
                    kind: l.kind.into(),
                    code: l.code.clone(),
                    description: l.description.get(lang).to_string(),
                    qty: l.qty,
                    unit_price_fen: l.unit_price.fen(),
                    line_total_fen: l.line_total.fen(),
                    free_in_warranty: l.free_in_warranty,
                    needs_approval: l.needs_approval(),
                    approved_by: l.approval.as_ref().map(|a| a.supervisor.clone()),
                    free_reason: l.free.map(|r| r.label(lang).to_string()),
                })
                .collect(),
            quote_total_fen: v.quote_totals.as_ref().map(|t| t.total.fen()),
            due_on_site_fen: v.due_on_site().fen(),
            materials: v
                .materials
                .iter()
                .map(|m| MaterialView {
                    material_id: m.material_id.clone(),
                    source: m.source.into(),
                    description: m.description.clone(),
                    qty: m.qty,
                    verdict: m.inspection.as_ref().map(|i| i.verdict.into()),
                    has_concession: m.concession.is_some(),
                    used: m.used,
                })
                .collect(),
            receipt_number: v.receipt.as_ref().map(|r| r.number.clone()),
            cancelled_reason: v.cancelled_reason.clone(),
            conflicts: conflicts
                .into_iter()
                .map(|c| Conflict {
                    message: c.describe(lang),
                    kind: c.kind,
                    code: c.code,
                    detail: c.message,
                })
                .collect(),
            balance_fen: v.order.unpaid_balance_fen,
            charge_dispute_open: v.charge_dispute_open(),
            charge_instruction: v
                .charge_instruction
                .as_ref()
                .map(|i| i.instruction.label(lang)),
            vehicle: v.order.vehicle.as_ref().map(VehicleInfo::from),
            damages: v
                .damages
                .iter()
                .map(|d| DamageInput {
                    what: d.what.clone(),
                    amount_fen: d.amount.fen(),
                    customer_agreed: d.customer_agreed,
                })
                .collect(),
            parts_short: v
                .parts_short
                .iter()
                .map(|a| PartsShortView {
                    what_short: a.what_short.clone(),
                    approver: a.approver.clone(),
                    approved_at_ms: ms(a.approved_at),
                    instruction: a.instruction.clone(),
                })
                .collect(),
            complained_before: v.order.complained_before,
            delivery_items: (1u32..)
                .zip(&v.order.delivery_items)
                .map(|(item_no, i)| {
                    let d = v.item_decisions.get(&item_no);
                    DeliveryItemView {
                        item_no,
                        model: i.model.clone(),
                        colour: i.colour.clone(),
                        size: i.size.clone(),
                        quantity: i.quantity,
                        accepted: d.map(|d| d.accepted),
                        note: d.map(|d| d.note.clone()).unwrap_or_default(),
                    }
                })
                .collect(),
            identity_checked: v.identity_check.is_some(),
        }
    }
}

/// What kind of answer an item takes, with its bounds.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum ItemInput {
    Check,
    YesNo,
    Number {
        unit: Option<String>,
        min: f64,
        max: f64,
    },
    Text {
        max_len: u32,
    },
    Choice {
        option_ids: Vec<String>,
        option_labels: Vec<String>,
    },
    Photo,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct ChecklistItem {
    pub item_id: String,
    pub label: String,
    pub input: ItemInput,
    pub required: bool,
    pub answer: Option<AnswerValue>,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct Checklist {
    pub template_id: String,
    pub title: String,
    /// Only the items shown now (conditions applied).
    pub items: Vec<ChecklistItem>,
    pub missing_required: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum AnswerValue {
    Check { done: bool },
    YesNo { yes: bool },
    Number { value: f64 },
    Text { text: String },
    Choice { option_id: String },
    Photo { sha256: String },
}

impl From<AnswerValue> for Answer {
    fn from(a: AnswerValue) -> Self {
        match a {
            AnswerValue::Check { done } => Answer::Check(done),
            AnswerValue::YesNo { yes } => Answer::YesNo(yes),
            AnswerValue::Number { value } => Answer::Number(value),
            AnswerValue::Text { text } => Answer::Text(text),
            AnswerValue::Choice { option_id } => Answer::Choice(option_id),
            AnswerValue::Photo { sha256 } => Answer::Photo(sha256),
        }
    }
}

impl From<&Answer> for AnswerValue {
    fn from(a: &Answer) -> Self {
        match a {
            Answer::Check(b) => AnswerValue::Check { done: *b },
            Answer::YesNo(b) => AnswerValue::YesNo { yes: *b },
            Answer::Number(n) => AnswerValue::Number { value: *n },
            Answer::Text(s) => AnswerValue::Text { text: s.clone() },
            Answer::Choice(s) => AnswerValue::Choice {
                option_id: s.clone(),
            },
            Answer::Photo(s) => AnswerValue::Photo { sha256: s.clone() },
        }
    }
}

pub fn item_input(k: &ItemKind, lang: Lang) -> ItemInput {
    match k {
        ItemKind::Check => ItemInput::Check,
        ItemKind::YesNo => ItemInput::YesNo,
        ItemKind::Number { unit, min, max, .. } => ItemInput::Number {
            unit: unit.as_ref().map(|u| u.get(lang).to_string()),
            min: *min,
            max: *max,
        },
        ItemKind::Text { max_len } => ItemInput::Text {
            max_len: u32::try_from(*max_len).unwrap_or(u32::MAX),
        },
        ItemKind::Choice { options } => ItemInput::Choice {
            option_ids: options.iter().map(|o| o.id.clone()).collect(),
            option_labels: options
                .iter()
                .map(|o| o.label.get(lang).to_string())
                .collect(),
        },
        ItemKind::Photo => ItemInput::Photo,
    }
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct Assessment {
    pub inspected_parts: Vec<String>,
    pub findings: String,
    pub repair_items: Vec<String>,
    pub solution: String,
    pub estimated_minutes: u32,
    /// The fault cause and repair measures are not for the customer (filled in later).
    #[uniffi(default = false)]
    pub withheld: bool,
}

/// A quote line request: a fee-schedule code, or an off-schedule item with its price.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum QuoteItem {
    Schedule {
        code: String,
        warranty_card_price_fen: Option<i64>,
    },
    OffSchedule {
        kind: QuoteLineKind,
        description: String,
        unit_price_fen: i64,
    },
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct MaterialInput {
    pub material_id: String,
    pub source: MaterialSource,
    pub description: String,
    pub qty: u32,
    pub part_code: Option<String>,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct ConcessionInput {
    pub defect: String,
    pub explanation: String,
    pub customer_name: String,
    pub customer_consents: bool,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct PartReplacementInput {
    pub part_code: String,
    pub description: String,
    pub old_serial: String,
    pub new_serial: String,
    pub old_part_recovered: bool,
    /// The registration number given to the recovered old part.
    #[uniffi(default = None)]
    pub old_part_registration: Option<String>,
    /// GPS: old and new SIM card numbers (both or neither).
    #[uniffi(default = None)]
    pub old_sim: Option<String>,
    #[uniffi(default = None)]
    pub new_sim: Option<String>,
    /// GPS: the tag on a returned terminal: plate number and fault (both or neither).
    #[uniffi(default = None)]
    pub return_plate: Option<String>,
    #[uniffi(default = None)]
    pub return_fault: Option<String>,
}

/// One touch sample, as the signature view reports it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct InkPoint {
    pub x: f32,
    pub y: f32,
    pub t_ms: u32,
    pub pressure: f32,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct InkStroke {
    pub points: Vec<InkPoint>,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct SignaturePad {
    pub width: f32,
    pub height: f32,
    pub density: f32,
    pub strokes: Vec<InkStroke>,
}

impl From<SignaturePad> for onsite_core::signature::Ink {
    fn from(p: SignaturePad) -> Self {
        use onsite_core::signature::{Canvas, Point, Stroke};
        onsite_core::signature::Ink {
            canvas: Canvas {
                width: p.width,
                height: p.height,
                density: p.density,
            },
            strokes: p
                .strokes
                .into_iter()
                .map(|s| Stroke {
                    points: s
                        .points
                        .into_iter()
                        .map(|q| Point {
                            x: q.x,
                            y: q.y,
                            t_ms: q.t_ms,
                            pressure: q.pressure,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, uniffi::Enum)]
pub enum SignOff {
    Sign {
        signer_name: String,
        pad: SignaturePad,
    },
    Refuse {
        reason: String,
    },
}

/// A rating the customer gave, or the customer's refusal to give it (with the reason).
#[derive(Debug, Clone, uniffi::Enum)]
pub enum CustomerOpinion {
    Rated { rating: CustomerRating },
    Declined { reason: String },
}

impl From<CustomerOpinion> for onsite_core::visit::Opinion {
    fn from(o: CustomerOpinion) -> Self {
        match o {
            CustomerOpinion::Rated { rating } => onsite_core::visit::Opinion::Rated {
                rating: rating.into(),
            },
            CustomerOpinion::Declined { reason } => {
                onsite_core::visit::Opinion::Declined { reason }
            }
        }
    }
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct AcceptanceInput {
    /// Repair quality (维修质量).
    pub quality: CustomerOpinion,
    /// Service attitude (服务态度).
    pub attitude: CustomerOpinion,
    pub comment: String,
    pub fix_uncertain: bool,
    pub sign_off: SignOff,
    /// The technician's own signature on the order.
    #[uniffi(default = None)]
    pub technician_pad: Option<SignaturePad>,
}

/// How the householder's identity was checked (furniture).
#[derive(Debug, Clone, uniffi::Enum)]
pub enum IdentityCheckInput {
    /// The last four characters of the ID card (never the whole number).
    IdCardLast4 {
        householder_name: String,
        last4: String,
    },
    NameMatch {
        householder_name: String,
    },
}

impl From<IdentityCheckInput> for onsite_core::visit::IdentityCheck {
    fn from(c: IdentityCheckInput) -> Self {
        use onsite_core::visit::{IdMethod, IdentityCheck};
        match c {
            IdentityCheckInput::IdCardLast4 {
                householder_name,
                last4,
            } => IdentityCheck {
                method: IdMethod::IdCardLast4,
                householder_name,
                id_last4: Some(last4),
            },
            IdentityCheckInput::NameMatch { householder_name } => IdentityCheck {
                method: IdMethod::NameMatch,
                householder_name,
                id_last4: None,
            },
        }
    }
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct Receipt {
    pub number: String,
    pub job_id: String,
    pub total_fen: i64,
    pub received_fen: i64,
    pub change_fen: i64,
    pub emergency: bool,
    pub issued_at_ms: i64,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct Photo {
    pub sha256: String,
    pub thumb_sha256: String,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, uniffi::Enum)]
pub enum SyncProgress {
    Idle,
    UploadingPhotos { done: u64, total: u64 },
    Pushing { done: u64, total: u64 },
    Pulling { received: u64 },
    Offline { retry_in_ms: u64, reason: String },
    Failed { message: String },
}

impl From<onsite_core::sync::SyncState> for SyncProgress {
    fn from(s: onsite_core::sync::SyncState) -> Self {
        use onsite_core::sync::SyncState as S;
        match s {
            S::Idle => SyncProgress::Idle,
            S::UploadingBlobs { done, total } => SyncProgress::UploadingPhotos { done, total },
            S::Pushing { done, total } => SyncProgress::Pushing { done, total },
            S::Pulling { received } => SyncProgress::Pulling { received },
            S::Offline {
                retry_in_ms,
                reason,
            } => SyncProgress::Offline {
                retry_in_ms,
                reason,
            },
            S::Error { message } => SyncProgress::Failed { message },
        }
    }
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct SyncReport {
    pub photos_uploaded: u64,
    pub ops_pushed: u64,
    pub ops_applied: u64,
    pub ops_rejected: u64,
    pub changes_pulled: u64,
    /// Jobs whose customer data left the phone at this sync (retention over,
    /// or the job left this technician).
    pub jobs_purged: u64,
}

/// Why an offered action cannot be taken yet: the core's error code and its
/// message in the technician's language (e.g. `checklist_incomplete`,
/// "出发前检查表还有必填项未填写: ...").
#[derive(Debug, Clone, uniffi::Record)]
pub struct Blocker {
    pub code: String,
    pub message: String,
}

/// An action a screen may offer now. A shell shows a button per offer, greyed
/// out with `blocked.message` when blocked, and never decides on status itself.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ActionOffer {
    pub action: JobAction,
    /// The button's label in the technician's language.
    pub label: String,
    pub blocked: Option<Blocker>,
}

impl ActionOffer {
    pub fn from_core(a: &AvailableAction, lang: Lang) -> ActionOffer {
        ActionOffer {
            action: a.action.into(),
            label: a.action.label(lang).to_string(),
            blocked: a.blocked.as_ref().map(|e| Blocker {
                code: e.code().to_string(),
                message: e.message(lang),
            }),
        }
    }
}

/// What the customer asks instead of paying the charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CustomerAskInput {
    /// Will not pay at all (超保收费用户不交).
    Refuses,
    /// Asks the charge be reduced to this amount (要求减免费用).
    Reduction { to_fen: i64 },
}

/// A disputed charge as the technician escalates it; `disputed_fen` is the
/// job's quoted charge (`JobDetail.due_on_site_fen` less the balance).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChargeDisputeInput {
    pub disputed_fen: i64,
    pub ask: CustomerAskInput,
    pub explained_sanbao: bool,
    pub explained_warranty_scope: bool,
    pub customer_words: String,
}

impl ChargeDisputeInput {
    pub fn to_core(&self) -> onsite_core::Result<onsite_core::charge::ChargeDispute> {
        use onsite_core::charge::{ChargeDispute, CustomerAsk};
        use onsite_core::money::Fen;
        Ok(ChargeDispute {
            disputed: Fen::new(self.disputed_fen)?,
            ask: match self.ask {
                CustomerAskInput::Refuses => CustomerAsk::Refuses,
                CustomerAskInput::Reduction { to_fen } => CustomerAsk::Reduction {
                    to: Fen::new(to_fen)?,
                },
            },
            explained_sanbao: self.explained_sanbao,
            explained_warranty_scope: self.explained_warranty_scope,
            customer_words: self.customer_words.clone(),
        })
    }
}

/// The service centre's instruction on a disputed charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ChargeInstructionInput {
    Waive,
    Reduce { to_fen: i64 },
    Insist,
}

impl ChargeInstructionInput {
    pub fn to_core(self) -> onsite_core::Result<onsite_core::charge::Instruction> {
        use onsite_core::charge::Instruction;
        Ok(match self {
            ChargeInstructionInput::Waive => Instruction::Waive,
            ChargeInstructionInput::Reduce { to_fen } => Instruction::Reduce {
                to: onsite_core::money::Fen::new(to_fen)?,
            },
            ChargeInstructionInput::Insist => Instruction::Insist,
        })
    }
}

/// How the invoice reaches the customer.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum InvoiceDeliveryInput {
    OnSite,
    BringLater,
    Post { address: String },
}

/// An invoice (发票) the customer asked for; `tax_number` empty for an individual.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct InvoiceInput {
    pub title: String,
    pub tax_number: String,
    pub delivery: InvoiceDeliveryInput,
}

impl InvoiceInput {
    pub fn to_core(&self) -> onsite_core::charge::Invoice {
        use onsite_core::charge::{Invoice, InvoiceDelivery};
        Invoice {
            title: self.title.clone(),
            tax_number: self.tax_number.clone(),
            delivery: match &self.delivery {
                InvoiceDeliveryInput::OnSite => InvoiceDelivery::OnSite,
                InvoiceDeliveryInput::BringLater => InvoiceDelivery::BringLater,
                InvoiceDeliveryInput::Post { address } => InvoiceDelivery::Post {
                    address: address.clone(),
                },
            },
        }
    }
}
