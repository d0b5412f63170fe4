//! The one transition table of the visit: which statuses each action is allowed from.
//!
//! The phone checks every step against [`Action::allowed_from`] before it
//! records anything, and HQ checks every fact a device pushes against the same
//! table ([`super::Visit::admits`]). Written once, the two cannot drift: a
//! step the phone accepts is never a step HQ rejects as a conflict because the
//! tables disagreed. [`super::Visit::available_actions`] reads the same table
//! to tell a screen what it may offer, so a shell never writes an `if` on status.

use serde::{Deserialize, Serialize};

use super::status::Status;
use super::Event;
use crate::locale::{tr, Lang};

/// Something the technician does to a job: one per workflow method of [`super::Visit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Action {
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
    RecordComplaint,
}

use Status::*;

/// Quoting happens after the assessment, and again after a declined quote.
const QUOTING: &[Status] = &[Assessed, Declined];
/// Materials are recorded and inspected on site, before the customer's acceptance.
const ON_SITE: &[Status] = &[Arrived, Assessed, Quoted, Consented, InProgress, WorkDone];
/// Checklists are answered at any point until the customer's signed acceptance seals the visit.
const OPEN: &[Status] = &[
    Dispatched, Accepted, EnRoute, Arrived, NoAccess, Assessed, Quoted, Consented, Declined,
    InProgress, WorkDone,
];
/// Receipt corrections happen after settlement, also after the handover.
const SETTLED: &[Status] = &[Settled, HandedOver];
/// The withheld fault cause is filled in after the assessment, before the handover.
const BEFORE_HANDOVER: &[Status] = &[
    Assessed,
    Quoted,
    Consented,
    Declined,
    InProgress,
    WorkDone,
    CustomerAccepted,
    Settled,
];
/// Identity and item-by-item checks happen on site, before the customer's acceptance.
const AT_DELIVERY: &[Status] = &[Arrived, Assessed, Quoted, Consented, InProgress, WorkDone];
/// A complaint is heard whenever the technician is with the customer.
const WITH_CUSTOMER: &[Status] = &[
    Arrived,
    Assessed,
    Quoted,
    Consented,
    Declined,
    InProgress,
    WorkDone,
    CustomerAccepted,
    Settled,
];

impl Action {
    /// Every action, in the order a visit usually takes them (the order screens list them in).
    pub const ALL: [Action; 37] = [
        Action::AcceptJob,
        Action::Depart,
        Action::Arrive,
        Action::RecordNoAccess,
        Action::AnswerChecklist,
        Action::Assess,
        Action::AddQuoteLine,
        Action::RemoveQuoteLine,
        Action::ApproveQuoteLine,
        Action::PresentQuote,
        Action::CustomerConsents,
        Action::CustomerDeclines,
        Action::AddMaterial,
        Action::InspectMaterial,
        Action::NoteConcession,
        Action::UseMaterial,
        Action::ReplacePart,
        Action::StartWork,
        Action::FinishWork,
        Action::RecordAcceptance,
        Action::TakePayment,
        Action::IssueReceipt,
        Action::VoidReceipt,
        Action::ReissueReceipt,
        Action::HandOver,
        Action::DisputeCharge,
        Action::EnterChargeInstruction,
        Action::RecordInvoice,
        Action::CorrectVehicle,
        Action::RecordPartsShort,
        Action::RecordDamage,
        Action::RescheduleWithCustomer,
        Action::RecordContact,
        Action::FillWithheld,
        Action::CheckIdentity,
        Action::DecideDeliveryItem,
        Action::RecordComplaint,
    ];

    /// The transition table: the statuses this action is allowed from.
    pub fn allowed_from(self) -> &'static [Status] {
        match self {
            Action::AcceptJob => &[Dispatched],
            Action::Depart => &[Accepted],
            Action::Arrive => &[EnRoute],
            Action::RecordNoAccess => &[EnRoute, Arrived],
            Action::AnswerChecklist => OPEN,
            Action::Assess => &[Arrived],
            Action::AddQuoteLine
            | Action::RemoveQuoteLine
            | Action::ApproveQuoteLine
            | Action::PresentQuote => QUOTING,
            Action::CustomerConsents | Action::CustomerDeclines => &[Quoted],
            Action::AddMaterial | Action::InspectMaterial | Action::NoteConcession => ON_SITE,
            Action::UseMaterial => &[Consented, InProgress],
            Action::ReplacePart => &[InProgress],
            Action::StartWork => &[Consented],
            Action::FinishWork => &[InProgress],
            Action::RecordAcceptance => &[WorkDone],
            Action::TakePayment | Action::IssueReceipt => &[CustomerAccepted],
            Action::VoidReceipt | Action::ReissueReceipt => SETTLED,
            Action::HandOver => &[Settled],
            // The charge is disputed when the quote is shown (减免费用再修) or
            // when payment is asked for (超保收费用户不交).
            Action::DisputeCharge | Action::EnterChargeInstruction => &[Quoted, CustomerAccepted],
            Action::RecordInvoice => &[CustomerAccepted, Settled],
            Action::CorrectVehicle | Action::RecordPartsShort | Action::RecordDamage => ON_SITE,
            // Before entering: 「如延误比较长,在用户同意的前提下改约上门时间」 (furniture book 三.5)
            Action::RescheduleWithCustomer => &[Dispatched, Accepted, EnRoute, Arrived, NoAccess],
            Action::RecordContact => &[Dispatched, Accepted, EnRoute],
            Action::FillWithheld => BEFORE_HANDOVER,
            Action::CheckIdentity | Action::DecideDeliveryItem => AT_DELIVERY,
            Action::RecordComplaint => WITH_CUSTOMER,
        }
    }

    pub fn is_allowed_from(self, status: Status) -> bool {
        self.allowed_from().contains(&status)
    }

    /// The technician's action that records this event; `None` for HQ's decisions.
    pub fn of_event(event: &Event) -> Option<Action> {
        Some(match event {
            Event::Dispatched { .. } | Event::Rescheduled { .. } | Event::Cancelled { .. } => {
                return None
            }
            Event::JobAccepted => Action::AcceptJob,
            Event::Departed => Action::Depart,
            Event::Arrived { .. } => Action::Arrive,
            Event::NoAccess { .. } => Action::RecordNoAccess,
            Event::ChecklistAnswered { .. } => Action::AnswerChecklist,
            Event::Assessed { .. } => Action::Assess,
            Event::QuoteLineAdded { .. } => Action::AddQuoteLine,
            Event::QuoteLineRemoved { .. } => Action::RemoveQuoteLine,
            Event::QuoteLineApproved { .. } => Action::ApproveQuoteLine,
            Event::QuotePresented { .. } => Action::PresentQuote,
            Event::CustomerConsented { .. } => Action::CustomerConsents,
            Event::CustomerDeclined { .. } => Action::CustomerDeclines,
            Event::MaterialAdded { .. } => Action::AddMaterial,
            Event::MaterialInspected { .. } => Action::InspectMaterial,
            Event::ConcessionNoted { .. } => Action::NoteConcession,
            Event::MaterialUsed { .. } => Action::UseMaterial,
            Event::PartReplaced { .. } => Action::ReplacePart,
            Event::WorkStarted => Action::StartWork,
            Event::WorkDone { .. } => Action::FinishWork,
            Event::CustomerAccepted { .. } => Action::RecordAcceptance,
            Event::PaymentTaken { .. } => Action::TakePayment,
            Event::ReceiptIssued { .. } => Action::IssueReceipt,
            Event::ReceiptVoided { .. } => Action::VoidReceipt,
            Event::ReceiptReissued { .. } => Action::ReissueReceipt,
            Event::HandedOver => Action::HandOver,
            Event::ChargeInstructed { .. } => return None,
            Event::ChargeDisputed { .. } => Action::DisputeCharge,
            Event::ChargeInstructionEntered { .. } => Action::EnterChargeInstruction,
            Event::InvoiceRecorded { .. } => Action::RecordInvoice,
            Event::VehicleCorrected { .. } => Action::CorrectVehicle,
            Event::PartsShortApproved { .. } => Action::RecordPartsShort,
            Event::DamageRecorded { .. } => Action::RecordDamage,
            Event::AppointmentAgreed { .. } => Action::RescheduleWithCustomer,
            Event::CustomerContacted { .. } => Action::RecordContact,
            Event::WithheldFilled { .. } => Action::FillWithheld,
            Event::IdentityChecked { .. } => Action::CheckIdentity,
            Event::DeliveryItemDecided { .. } => Action::DecideDeliveryItem,
            Event::ComplaintRecorded { .. } => Action::RecordComplaint,
        })
    }

    /// The kind of the event this action records (`Event::kind`).
    pub fn event_kind(self) -> &'static str {
        match self {
            Action::AcceptJob => "job_accepted",
            Action::Depart => "departed",
            Action::Arrive => "arrived",
            Action::RecordNoAccess => "no_access",
            Action::AnswerChecklist => "checklist_answered",
            Action::Assess => "assessed",
            Action::AddQuoteLine => "quote_line_added",
            Action::RemoveQuoteLine => "quote_line_removed",
            Action::ApproveQuoteLine => "quote_line_approved",
            Action::PresentQuote => "quote_presented",
            Action::CustomerConsents => "customer_consented",
            Action::CustomerDeclines => "customer_declined",
            Action::AddMaterial => "material_added",
            Action::InspectMaterial => "material_inspected",
            Action::NoteConcession => "concession_noted",
            Action::UseMaterial => "material_used",
            Action::ReplacePart => "part_replaced",
            Action::StartWork => "work_started",
            Action::FinishWork => "work_done",
            Action::RecordAcceptance => "customer_accepted",
            Action::TakePayment => "payment_taken",
            Action::IssueReceipt => "receipt_issued",
            Action::VoidReceipt => "receipt_voided",
            Action::ReissueReceipt => "receipt_reissued",
            Action::HandOver => "handed_over",
            Action::DisputeCharge => "charge_disputed",
            Action::EnterChargeInstruction => "charge_instruction_entered",
            Action::RecordInvoice => "invoice_recorded",
            Action::CorrectVehicle => "vehicle_corrected",
            Action::RecordPartsShort => "parts_short_approved",
            Action::RecordDamage => "damage_recorded",
            Action::RescheduleWithCustomer => "appointment_agreed",
            Action::RecordContact => "customer_contacted",
            Action::FillWithheld => "withheld_filled",
            Action::CheckIdentity => "identity_checked",
            Action::DecideDeliveryItem => "delivery_item_decided",
            Action::RecordComplaint => "complaint_recorded",
        }
    }

    /// Stable machine name (also the serde name), for logs, errors and the FFI.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::AcceptJob => "accept_job",
            Action::Depart => "depart",
            Action::Arrive => "arrive",
            Action::RecordNoAccess => "record_no_access",
            Action::AnswerChecklist => "answer_checklist",
            Action::Assess => "assess",
            Action::AddQuoteLine => "add_quote_line",
            Action::RemoveQuoteLine => "remove_quote_line",
            Action::ApproveQuoteLine => "approve_quote_line",
            Action::PresentQuote => "present_quote",
            Action::CustomerConsents => "customer_consents",
            Action::CustomerDeclines => "customer_declines",
            Action::AddMaterial => "add_material",
            Action::InspectMaterial => "inspect_material",
            Action::NoteConcession => "note_concession",
            Action::UseMaterial => "use_material",
            Action::ReplacePart => "replace_part",
            Action::StartWork => "start_work",
            Action::FinishWork => "finish_work",
            Action::RecordAcceptance => "record_acceptance",
            Action::TakePayment => "take_payment",
            Action::IssueReceipt => "issue_receipt",
            Action::VoidReceipt => "void_receipt",
            Action::ReissueReceipt => "reissue_receipt",
            Action::HandOver => "hand_over",
            Action::DisputeCharge => "dispute_charge",
            Action::EnterChargeInstruction => "enter_charge_instruction",
            Action::RecordInvoice => "record_invoice",
            Action::CorrectVehicle => "correct_vehicle",
            Action::RecordPartsShort => "record_parts_short",
            Action::RecordDamage => "record_damage",
            Action::RescheduleWithCustomer => "reschedule_with_customer",
            Action::RecordContact => "record_contact",
            Action::FillWithheld => "fill_withheld",
            Action::CheckIdentity => "check_identity",
            Action::DecideDeliveryItem => "decide_delivery_item",
            Action::RecordComplaint => "record_complaint",
        }
    }

    /// What a button for this action says.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Action::AcceptJob => tr(lang, "接单", "Accept the job"),
            Action::Depart => tr(lang, "出发", "Leave for the site"),
            Action::Arrive => tr(lang, "到达现场", "Arrive"),
            Action::RecordNoAccess => tr(lang, "无人在家，留言", "Nobody home: leave a note"),
            Action::AnswerChecklist => tr(lang, "填写检查表", "Answer the checklist"),
            Action::Assess => tr(lang, "查勘记录", "Record the assessment"),
            Action::AddQuoteLine => tr(lang, "添加报价项", "Add a quote line"),
            Action::RemoveQuoteLine => tr(lang, "删除报价项", "Remove a quote line"),
            Action::ApproveQuoteLine => {
                tr(lang, "录入主管批准码", "Enter the supervisor's approval")
            }
            Action::PresentQuote => tr(lang, "向客户出示报价", "Show the quote"),
            Action::CustomerConsents => tr(lang, "客户同意报价", "Customer agrees"),
            Action::CustomerDeclines => tr(lang, "客户拒绝报价", "Customer declines"),
            Action::AddMaterial => tr(lang, "添加材料", "Add material"),
            Action::InspectMaterial => tr(lang, "检验材料", "Inspect material"),
            Action::NoteConcession => tr(lang, "记录让步使用", "Record concession use"),
            Action::UseMaterial => tr(lang, "使用材料", "Use material"),
            Action::ReplacePart => tr(lang, "更换配件", "Replace a part"),
            Action::StartWork => tr(lang, "开始维修", "Start work"),
            Action::FinishWork => tr(lang, "完工", "Finish work"),
            Action::RecordAcceptance => tr(lang, "客户验收签字", "Customer acceptance"),
            Action::TakePayment => tr(lang, "收费", "Take payment"),
            Action::IssueReceipt => tr(lang, "开具收据", "Issue the receipt"),
            Action::VoidReceipt => tr(lang, "作废收据", "Void the receipt"),
            Action::ReissueReceipt => tr(lang, "重开收据", "Reissue the receipt"),
            Action::HandOver => tr(lang, "交回单据和款项", "Hand over"),
            Action::DisputeCharge => tr(
                lang,
                "客户对收费有异议，上报服务中心",
                "Customer disputes the charge: escalate",
            ),
            Action::EnterChargeInstruction => tr(
                lang,
                "录入服务中心批示码",
                "Enter the centre's instruction code",
            ),
            Action::RecordInvoice => tr(lang, "登记发票", "Record the invoice"),
            Action::CorrectVehicle => tr(lang, "更正车辆信息", "Correct the vehicle details"),
            Action::RecordPartsShort => tr(
                lang,
                "配件不足,记录中心口头批准",
                "Parts short: record the centre's approval",
            ),
            Action::RecordDamage => tr(lang, "记录损坏赔偿", "Record damage compensation"),
            Action::RescheduleWithCustomer => {
                tr(lang, "与客户改约", "Agree a new time with the customer")
            }
            Action::RecordContact => tr(lang, "记录联系客户", "Record a contact"),
            Action::FillWithheld => tr(
                lang,
                "补填故障原因和维修措施",
                "Fill in the fault cause and repair measures",
            ),
            Action::CheckIdentity => tr(lang, "核实户主身份", "Check the householder's identity"),
            Action::DecideDeliveryItem => tr(lang, "逐项验收货品", "Accept or reject an item"),
            Action::RecordComplaint => tr(lang, "记录客户投诉", "Record a complaint"),
        }
    }

    /// Why the action is tied to these statuses, for a refusal (the rule of the procedure).
    pub fn rule(self, lang: Lang) -> &'static str {
        match self {
            Action::AcceptJob => tr(
                lang,
                "只能接已派工的单",
                "only a dispatched job can be accepted",
            ),
            Action::Depart => tr(lang, "接单后才能出发", "accept the job before leaving"),
            Action::Arrive => tr(
                lang,
                "完成出发前检查并出发后才能到达",
                "leave for the site (before-leaving checklist) before arriving",
            ),
            Action::RecordNoAccess => tr(
                lang,
                "无人在家在门口记录，进门之前",
                "no access is recorded at the door, before entering",
            ),
            Action::AnswerChecklist => tr(
                lang,
                "客户签字验收后不能再改检查表",
                "checklists cannot change after the customer's signed acceptance",
            ),
            Action::Assess => tr(lang, "到达现场后才能查勘", "arrive before assessing"),
            Action::AddQuoteLine | Action::RemoveQuoteLine | Action::ApproveQuoteLine => tr(
                lang,
                "报价在查勘之后、客户同意之前",
                "quote after the assessment, before the customer consents",
            ),
            Action::PresentQuote => tr(lang, "先查勘再报价", "assess the fault before quoting"),
            Action::CustomerConsents | Action::CustomerDeclines => tr(
                lang,
                "客户只能对已出示的报价表态",
                "the customer answers a quote that was shown",
            ),
            Action::AddMaterial | Action::InspectMaterial | Action::NoteConcession => tr(
                lang,
                "材料在现场、客户验收之前记录",
                "materials are recorded on site, before acceptance",
            ),
            Action::UseMaterial => tr(
                lang,
                "客户同意报价后才能使用材料",
                "material goes into the work after the customer consents",
            ),
            Action::ReplacePart => tr(
                lang,
                "维修过程中才能更换配件",
                "parts are replaced during the work",
            ),
            Action::StartWork => tr(
                lang,
                "客户同意报价后才能开工",
                "work starts only after the customer consents to the quote",
            ),
            Action::FinishWork => tr(lang, "先开工", "start the work first"),
            Action::RecordAcceptance => tr(
                lang,
                "客户验收已完成的工作",
                "the customer accepts finished work",
            ),
            Action::TakePayment | Action::IssueReceipt => tr(
                lang,
                "客户验收之后才能收费和开收据",
                "payment and receipt come after the customer's acceptance",
            ),
            Action::VoidReceipt | Action::ReissueReceipt => tr(
                lang,
                "只能更正已开出的收据",
                "only an issued receipt can be corrected",
            ),
            Action::HandOver => tr(
                lang,
                "收费开据后才能交回",
                "signed orders and money are handed over after settlement",
            ),
            Action::DisputeCharge | Action::EnterChargeInstruction => tr(
                lang,
                "收费异议在出示报价后或收费时上报",
                "a charge is disputed when the quote is shown or when payment is asked",
            ),
            Action::RecordInvoice => tr(
                lang,
                "发票在客户验收之后、交回之前登记",
                "an invoice is recorded after acceptance, before the handover",
            ),
            Action::CorrectVehicle | Action::RecordPartsShort | Action::RecordDamage => tr(
                lang,
                "在现场、客户验收之前记录",
                "recorded on site, before the customer's acceptance",
            ),
            Action::RescheduleWithCustomer => tr(
                lang,
                "进门之前才能与客户改约",
                "a new time is agreed before entering",
            ),
            Action::RecordContact => tr(
                lang,
                "到达之前联系客户",
                "the customer is contacted before arriving",
            ),
            Action::FillWithheld => tr(
                lang,
                "查勘之后、交回之前补填",
                "filled in after the assessment, before the handover",
            ),
            Action::CheckIdentity | Action::DecideDeliveryItem => tr(
                lang,
                "在现场、客户验收之前核实身份和逐项验收",
                "identity and items are checked on site, before acceptance",
            ),
            Action::RecordComplaint => tr(
                lang,
                "投诉在现场与客户面对面时记录",
                "a complaint is recorded on site, with the customer",
            ),
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
