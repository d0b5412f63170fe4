//! The vocabulary refusals are written in: what was attempted ([`Action`]),
//! which rule of the procedure stood in the way ([`Rule`]), which input was
//! wrong ([`Field`]) and how ([`Problem`]), each with a stable code and its
//! name in zh-CN and en.
//!
//! Codes are stable API: apps branch on them and HQ logs them, so a code is
//! never renamed or reused; new ones may be added.

use crate::locale::{tr, Lang};
use crate::visit::{Event, Status};

/// A step of the visit someone tried to take when a rule refused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    // HQ's decisions
    Dispatch,
    Cancel,
    Reschedule,
    // the technician's steps, in the order of DOMAIN.md
    AcceptJob,
    Depart,
    Arrive,
    RecordNoAccess,
    PrintMessageNote,
    AnswerChecklist,
    Assess,
    AddQuoteLine,
    RemoveQuoteLine,
    ApproveQuoteLine,
    PresentQuote,
    RecordConsent,
    RecordDecline,
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
}

impl Action {
    pub const ALL: [Action; 29] = [
        Action::Dispatch,
        Action::Cancel,
        Action::Reschedule,
        Action::AcceptJob,
        Action::Depart,
        Action::Arrive,
        Action::RecordNoAccess,
        Action::PrintMessageNote,
        Action::AnswerChecklist,
        Action::Assess,
        Action::AddQuoteLine,
        Action::RemoveQuoteLine,
        Action::ApproveQuoteLine,
        Action::PresentQuote,
        Action::RecordConsent,
        Action::RecordDecline,
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
    ];

    /// Stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Action::Dispatch => "dispatch",
            Action::Cancel => "cancel",
            Action::Reschedule => "reschedule",
            Action::AcceptJob => "accept_job",
            Action::Depart => "depart",
            Action::Arrive => "arrive",
            Action::RecordNoAccess => "record_no_access",
            Action::PrintMessageNote => "print_message_note",
            Action::AnswerChecklist => "answer_checklist",
            Action::Assess => "assess",
            Action::AddQuoteLine => "add_quote_line",
            Action::RemoveQuoteLine => "remove_quote_line",
            Action::ApproveQuoteLine => "approve_quote_line",
            Action::PresentQuote => "present_quote",
            Action::RecordConsent => "record_consent",
            Action::RecordDecline => "record_decline",
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
        }
    }

    /// The step as a verb phrase: "不能{label}" / "cannot {label}".
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Action::Dispatch => tr(lang, "派工", "dispatch the job"),
            Action::Cancel => tr(lang, "取消工单", "cancel the job"),
            Action::Reschedule => tr(lang, "改约", "reschedule the job"),
            Action::AcceptJob => tr(lang, "接单", "accept the job"),
            Action::Depart => tr(lang, "出发", "leave for the site"),
            Action::Arrive => tr(lang, "登记到达", "arrive"),
            Action::RecordNoAccess => tr(lang, "登记无人在家", "record no access"),
            Action::PrintMessageNote => tr(lang, "打印留言条", "print a message note"),
            Action::AnswerChecklist => tr(lang, "填写检查项", "answer a checklist item"),
            Action::Assess => tr(lang, "记录查勘结果", "record the assessment"),
            Action::AddQuoteLine => tr(lang, "添加报价项目", "add a quote line"),
            Action::RemoveQuoteLine => tr(lang, "删除报价项目", "remove a quote line"),
            Action::ApproveQuoteLine => tr(lang, "审批报价项目", "approve a quote line"),
            Action::PresentQuote => tr(lang, "出示报价", "show the quote"),
            Action::RecordConsent => tr(lang, "记录客户同意", "record the customer's consent"),
            Action::RecordDecline => tr(
                lang,
                "记录客户拒绝报价",
                "record that the customer declined",
            ),
            Action::AddMaterial => tr(lang, "登记材料", "add material"),
            Action::InspectMaterial => tr(lang, "检验材料", "inspect material"),
            Action::NoteConcession => tr(lang, "填写让步使用说明", "write a concession note"),
            Action::UseMaterial => tr(lang, "使用材料", "use material"),
            Action::ReplacePart => tr(lang, "更换配件", "replace a part"),
            Action::StartWork => tr(lang, "开始维修", "start work"),
            Action::FinishWork => tr(lang, "报完工", "report the work done"),
            Action::RecordAcceptance => {
                tr(lang, "记录客户验收", "record the customer's acceptance")
            }
            Action::TakePayment => tr(lang, "收费", "take payment"),
            Action::IssueReceipt => tr(lang, "开具收据", "issue a receipt"),
            Action::VoidReceipt => tr(lang, "作废收据", "void a receipt"),
            Action::ReissueReceipt => tr(lang, "重开收据", "reissue a receipt"),
            Action::HandOver => tr(lang, "交回工单和款项", "hand over"),
        }
    }

    /// What must come first: the rule an out-of-order step breaks.
    pub fn precondition(self, lang: Lang) -> &'static str {
        match self {
            Action::Dispatch | Action::Cancel | Action::Reschedule => tr(
                lang,
                "工单收费完成后,总部不能再更改",
                "HQ may change a job only until it is settled",
            ),
            Action::AcceptJob => tr(
                lang,
                "只有已派工的工单可以接单",
                "only a dispatched job can be accepted",
            ),
            Action::Depart => tr(lang, "请先接单,再出发", "accept the job before leaving"),
            Action::Arrive => tr(
                lang,
                "请先完成出发前检查并出发,再登记到达",
                "leave for the site (before-leaving checklist) before arriving",
            ),
            Action::RecordNoAccess => tr(
                lang,
                "无人在家须在门口、入户之前登记",
                "no access is recorded at the door, before entering",
            ),
            Action::PrintMessageNote => tr(
                lang,
                "留言条只在无人应门时留下",
                "a message note is left when nobody answers the door",
            ),
            Action::AnswerChecklist => tr(
                lang,
                "检查项只能在工单办理中填写",
                "checklist items are answered while the job is open",
            ),
            Action::Assess => tr(lang, "请先到达现场,再查勘", "arrive before assessing"),
            Action::AddQuoteLine => tr(
                lang,
                "报价在查勘之后、客户同意之前",
                "quote after the assessment, before the customer consents",
            ),
            Action::RemoveQuoteLine => tr(
                lang,
                "报价只能在客户同意之前修改",
                "the quote can change only before the customer consents",
            ),
            Action::ApproveQuoteLine => tr(
                lang,
                "审批须在出示报价之前",
                "approval comes before the quote is shown",
            ),
            Action::PresentQuote => tr(
                lang,
                "请先查勘故障,再报价",
                "assess the fault before quoting",
            ),
            Action::RecordConsent => tr(
                lang,
                "客户只能同意已出示的报价",
                "the customer consents to a quote that was shown",
            ),
            Action::RecordDecline => tr(
                lang,
                "客户只能拒绝已出示的报价",
                "the customer declines a quote that was shown",
            ),
            Action::AddMaterial => tr(
                lang,
                "材料在现场、客户验收之前登记",
                "materials are recorded on site, before acceptance",
            ),
            Action::InspectMaterial => tr(
                lang,
                "材料在现场、客户验收之前检验",
                "materials are inspected on site, before acceptance",
            ),
            Action::NoteConcession => tr(
                lang,
                "让步使用在现场、客户验收之前商定",
                "a concession is agreed on site, before acceptance",
            ),
            Action::UseMaterial => tr(
                lang,
                "客户同意报价后材料才能投入使用",
                "material goes into the work after the customer consents",
            ),
            Action::ReplacePart => tr(
                lang,
                "配件在维修过程中更换",
                "parts are replaced during the work",
            ),
            Action::StartWork => tr(
                lang,
                "客户同意报价后才能开始维修",
                "work starts only after the customer consents to the quote",
            ),
            Action::FinishWork => tr(lang, "请先开始维修", "start the work first"),
            Action::RecordAcceptance => tr(
                lang,
                "客户验收的是已完工的工作",
                "the customer accepts finished work",
            ),
            Action::TakePayment => tr(
                lang,
                "客户验收之后才能收费",
                "payment is taken after the customer's acceptance",
            ),
            Action::IssueReceipt => tr(
                lang,
                "客户验收之后才能开具收据",
                "a receipt is issued after the customer's acceptance",
            ),
            Action::VoidReceipt | Action::ReissueReceipt => tr(
                lang,
                "只能作废或重开本机开具的收据",
                "only receipts issued on this device can be voided or reissued",
            ),
            Action::HandOver => tr(
                lang,
                "收费完成后才能交回签字工单和款项",
                "signed orders and money are handed over after settlement",
            ),
        }
    }

    /// The step that records an event, for refusing facts HQ receives.
    pub fn recording(event: &Event) -> Action {
        match event {
            Event::Dispatched { .. } => Action::Dispatch,
            Event::Rescheduled { .. } => Action::Reschedule,
            Event::Cancelled { .. } => Action::Cancel,
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
            Event::CustomerConsented { .. } => Action::RecordConsent,
            Event::CustomerDeclined { .. } => Action::RecordDecline,
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
            Event::HandedOver => Action::HandOver,
        }
    }
}

/// The rule of the procedure that refused a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// The step is not allowed while the job is in its current status; the
    /// step's [`Action::precondition`] says what must come first.
    WrongStatus { allowed: Vec<Status> },
    /// A message note only after waiting at least 2 minutes or phoning (DOMAIN.md step 2).
    WaitBeforeMessageNote,
    /// Payment is taken once; a correction is a void and a new receipt.
    PaymentAlreadyTaken,
    /// A receipt is issued for money taken.
    PaymentBeforeReceipt,
}

impl Rule {
    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Rule::WrongStatus { .. } => "wrong_status",
            Rule::WaitBeforeMessageNote => "wait_before_message_note",
            Rule::PaymentAlreadyTaken => "payment_already_taken",
            Rule::PaymentBeforeReceipt => "payment_before_receipt",
        }
    }

    /// The rule as the technician reads it, for `action`.
    pub fn text(&self, action: Action, lang: Lang) -> &'static str {
        match self {
            Rule::WrongStatus { .. } => action.precondition(lang),
            Rule::WaitBeforeMessageNote => tr(
                lang,
                "留言前请至少等候2分钟,或先给客户打电话",
                "wait at least 2 minutes or phone the customer before leaving a message note",
            ),
            Rule::PaymentAlreadyTaken => tr(
                lang,
                "已经收过款;如需更正,请作废收据后重开",
                "payment was already taken; a correction is a voided receipt and a new one",
            ),
            Rule::PaymentBeforeReceipt => tr(
                lang,
                "请先收费,再开具收据",
                "take the payment before issuing the receipt",
            ),
        }
    }

    /// The statuses in which the step would have been allowed (empty unless
    /// the rule is [`Rule::WrongStatus`]).
    pub fn allowed(&self) -> &[Status] {
        match self {
            Rule::WrongStatus { allowed } => allowed,
            _ => &[],
        }
    }
}

/// An input the core checks: what the technician typed, what HQ sent, or
/// what a shell passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    // ids
    JobId,
    TechnicianId,
    DeviceId,
    MaterialId,
    ReceiptSeries,
    ReceiptBlock,
    // the work order
    Site,
    Location,
    Service,
    Fault,
    CustomerName,
    CustomerPhone,
    Recorder,
    // HQ's decisions
    CancellationReason,
    RescheduleReason,
    // the visit
    MessageNote,
    AssessmentFindings,
    Solution,
    InspectedPart,
    Assessment,
    Quote,
    Quantity,
    OffScheduleDescription,
    Supervisor,
    DeclineReason,
    Materials,
    MaterialDescription,
    MaterialQuantity,
    InspectionFindings,
    InspectionPhoto,
    ConcessionDefect,
    ConcessionExplanation,
    ConcessionCustomerName,
    ConcessionConsent,
    PartCode,
    NewSerial,
    Serial,
    WorkSummary,
    LabourMinutes,
    Comment,
    SignerName,
    PaymentReference,
    VoidReason,
    Day,
    // sync messages
    PushBody,
    PullPage,
    OpId,
    OpSeq,
    ClockStamp,
}

impl Field {
    pub const ALL: [Field; 49] = [
        Field::JobId,
        Field::TechnicianId,
        Field::DeviceId,
        Field::MaterialId,
        Field::ReceiptSeries,
        Field::ReceiptBlock,
        Field::Site,
        Field::Location,
        Field::Service,
        Field::Fault,
        Field::CustomerName,
        Field::CustomerPhone,
        Field::Recorder,
        Field::CancellationReason,
        Field::RescheduleReason,
        Field::MessageNote,
        Field::AssessmentFindings,
        Field::Solution,
        Field::InspectedPart,
        Field::Assessment,
        Field::Quote,
        Field::Quantity,
        Field::OffScheduleDescription,
        Field::Supervisor,
        Field::DeclineReason,
        Field::Materials,
        Field::MaterialDescription,
        Field::MaterialQuantity,
        Field::InspectionFindings,
        Field::InspectionPhoto,
        Field::ConcessionDefect,
        Field::ConcessionExplanation,
        Field::ConcessionCustomerName,
        Field::ConcessionConsent,
        Field::PartCode,
        Field::NewSerial,
        Field::Serial,
        Field::WorkSummary,
        Field::LabourMinutes,
        Field::Comment,
        Field::SignerName,
        Field::PaymentReference,
        Field::VoidReason,
        Field::Day,
        Field::PushBody,
        Field::PullPage,
        Field::OpId,
        Field::OpSeq,
        Field::ClockStamp,
    ];

    /// Stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Field::JobId => "job_id",
            Field::TechnicianId => "technician_id",
            Field::DeviceId => "device_id",
            Field::MaterialId => "material_id",
            Field::ReceiptSeries => "receipt_series",
            Field::ReceiptBlock => "receipt_block",
            Field::Site => "site",
            Field::Location => "location",
            Field::Service => "service",
            Field::Fault => "fault",
            Field::CustomerName => "customer_name",
            Field::CustomerPhone => "customer_phone",
            Field::Recorder => "recorder",
            Field::CancellationReason => "cancellation_reason",
            Field::RescheduleReason => "reschedule_reason",
            Field::MessageNote => "message_note",
            Field::AssessmentFindings => "assessment_findings",
            Field::Solution => "solution",
            Field::InspectedPart => "inspected_part",
            Field::Assessment => "assessment",
            Field::Quote => "quote",
            Field::Quantity => "quantity",
            Field::OffScheduleDescription => "off_schedule_description",
            Field::Supervisor => "supervisor",
            Field::DeclineReason => "decline_reason",
            Field::Materials => "materials",
            Field::MaterialDescription => "material_description",
            Field::MaterialQuantity => "material_quantity",
            Field::InspectionFindings => "inspection_findings",
            Field::InspectionPhoto => "inspection_photo",
            Field::ConcessionDefect => "concession_defect",
            Field::ConcessionExplanation => "concession_explanation",
            Field::ConcessionCustomerName => "concession_customer_name",
            Field::ConcessionConsent => "concession_consent",
            Field::PartCode => "part_code",
            Field::NewSerial => "new_serial",
            Field::Serial => "serial",
            Field::WorkSummary => "work_summary",
            Field::LabourMinutes => "labour_minutes",
            Field::Comment => "comment",
            Field::SignerName => "signer_name",
            Field::PaymentReference => "payment_reference",
            Field::VoidReason => "void_reason",
            Field::Day => "day",
            Field::PushBody => "push_body",
            Field::PullPage => "pull_page",
            Field::OpId => "op_id",
            Field::OpSeq => "op_seq",
            Field::ClockStamp => "clock_stamp",
        }
    }

    /// The field's name, lower case in en (it starts a sentence only after
    /// [`capitalised`]).
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Field::JobId => tr(lang, "工单号", "job number"),
            Field::TechnicianId => tr(lang, "技术员编号", "technician id"),
            Field::DeviceId => tr(lang, "设备编号", "device id"),
            Field::MaterialId => tr(lang, "材料编号", "material id"),
            Field::ReceiptSeries => tr(lang, "收据号段", "receipt series"),
            Field::ReceiptBlock => tr(lang, "收据号码段", "receipt number block"),
            Field::Site => tr(lang, "楼盘或场所", "site"),
            Field::Location => tr(lang, "房号或地点", "location"),
            Field::Service => tr(lang, "服务项目", "requested service"),
            Field::Fault => tr(lang, "故障描述", "fault description"),
            Field::CustomerName => tr(lang, "客户姓名", "customer name"),
            Field::CustomerPhone => tr(lang, "客户电话", "customer phone"),
            Field::Recorder => tr(lang, "记录人", "recorder"),
            Field::CancellationReason => tr(lang, "取消原因", "cancellation reason"),
            Field::RescheduleReason => tr(lang, "改约原因", "reschedule reason"),
            Field::MessageNote => tr(lang, "留言内容", "message note"),
            Field::AssessmentFindings => tr(lang, "查勘结果", "findings"),
            Field::Solution => tr(lang, "解决方案", "solution"),
            Field::InspectedPart => tr(lang, "查勘部位或修理项目", "inspected part or repair item"),
            Field::Assessment => tr(
                lang,
                "查勘部位和修理项目",
                "inspected parts and repair items",
            ),
            Field::Quote => tr(lang, "报价项目", "quote lines"),
            Field::Quantity => tr(lang, "数量", "quantity"),
            Field::OffScheduleDescription => tr(lang, "标准外项目说明", "off-schedule description"),
            Field::Supervisor => tr(lang, "主管姓名", "supervisor"),
            Field::DeclineReason => tr(lang, "拒绝原因", "reason"),
            Field::Materials => tr(lang, "材料", "materials"),
            Field::MaterialDescription => tr(lang, "材料说明", "material description"),
            Field::MaterialQuantity => tr(lang, "材料数量", "material quantity"),
            Field::InspectionFindings => tr(lang, "检验结果说明", "inspection findings"),
            Field::InspectionPhoto => tr(lang, "检验照片", "inspection photo"),
            Field::ConcessionDefect => {
                tr(lang, "材料存在的问题", "what is wrong with the material")
            }
            Field::ConcessionExplanation => tr(
                lang,
                "向客户解释的内容",
                "what was explained to the customer",
            ),
            Field::ConcessionCustomerName => tr(
                lang,
                "同意的客户姓名",
                "the name of the customer who consents",
            ),
            Field::ConcessionConsent => tr(lang, "客户的同意", "the customer's consent"),
            Field::PartCode => tr(lang, "配件编码", "part code"),
            Field::NewSerial => tr(lang, "新件序列号", "new serial number"),
            Field::Serial => tr(lang, "序列号", "serial number"),
            Field::WorkSummary => tr(lang, "完工说明", "work summary"),
            Field::LabourMinutes => tr(lang, "实做工时", "labour time"),
            Field::Comment => tr(lang, "客户意见", "comment"),
            Field::SignerName => tr(lang, "签字人姓名", "signer name"),
            Field::PaymentReference => tr(lang, "支付流水号", "payment reference"),
            Field::VoidReason => tr(lang, "作废原因", "void reason"),
            Field::Day => tr(lang, "日期", "day"),
            Field::PushBody => tr(lang, "上传的数据", "push body"),
            Field::PullPage => tr(lang, "总部下发的数据", "pull page"),
            Field::OpId => tr(lang, "操作编号", "op id"),
            Field::OpSeq => tr(lang, "操作序号", "op sequence number"),
            Field::ClockStamp => tr(lang, "同步时间戳", "clock stamp"),
        }
    }
}

/// The kinds of checklist answer, named for a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnswerKind {
    Check,
    YesNo,
    Number,
    Text,
    Choice,
    Photo,
}

impl AnswerKind {
    pub fn code(self) -> &'static str {
        match self {
            AnswerKind::Check => "check",
            AnswerKind::YesNo => "yes_no",
            AnswerKind::Number => "number",
            AnswerKind::Text => "text",
            AnswerKind::Choice => "choice",
            AnswerKind::Photo => "photo",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            AnswerKind::Check => tr(lang, "勾选", "a tick"),
            AnswerKind::YesNo => tr(lang, "是或否", "yes or no"),
            AnswerKind::Number => tr(lang, "数字", "a number"),
            AnswerKind::Text => tr(lang, "文字", "text"),
            AnswerKind::Choice => tr(lang, "选项", "a choice"),
            AnswerKind::Photo => tr(lang, "照片", "a photo"),
        }
    }
}

/// What is wrong with an input or a checklist answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    Empty,
    TooLong {
        max: usize,
    },
    /// Length in characters outside `min..=max`.
    Length {
        min: usize,
        max: usize,
    },
    /// An id with characters other than `A-Z a-z 0-9 - _ .`.
    IdCharacters,
    /// A number outside `min..=max` (a quantity, a measurement, minutes...).
    OutOfRange {
        min: f64,
        max: f64,
    },
    NotFinite,
    TooMany {
        max: usize,
    },
    /// Already on this job (a material id).
    AlreadyOnJob,
    NotAnOption,
    WrongKind {
        expected: AnswerKind,
    },
    /// Not the SHA-256 of a stored photo.
    NotPhotoHash,
    /// A block of receipt numbers overlapping one already held.
    Overlaps,
    /// A day that has no midnight in the technician's time zone.
    NotInTimeZone,
    /// Not in the expected format; `detail` is for logs, in English.
    Malformed {
        detail: String,
    },
}

impl Problem {
    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Empty => "empty",
            Problem::TooLong { .. } => "too_long",
            Problem::Length { .. } => "length",
            Problem::IdCharacters => "id_characters",
            Problem::OutOfRange { .. } => "out_of_range",
            Problem::NotFinite => "not_finite",
            Problem::TooMany { .. } => "too_many",
            Problem::AlreadyOnJob => "already_on_job",
            Problem::NotAnOption => "not_an_option",
            Problem::WrongKind { .. } => "wrong_kind",
            Problem::NotPhotoHash => "not_photo_hash",
            Problem::Overlaps => "overlaps",
            Problem::NotInTimeZone => "not_in_time_zone",
            Problem::Malformed { .. } => "malformed",
        }
    }

    /// The predicate, to follow the field's name ("…不能为空" / "… must not be empty").
    pub fn text(&self, lang: Lang) -> String {
        match (self, lang) {
            (Problem::Empty, Lang::ZhCn) => "不能为空".into(),
            (Problem::Empty, Lang::En) => "must not be empty".into(),
            (Problem::TooLong { max }, Lang::ZhCn) => format!("不能超过{max}个字"),
            (Problem::TooLong { max }, Lang::En) => {
                format!("must be at most {max} characters long")
            }
            (Problem::Length { min, max }, Lang::ZhCn) => format!("须为{min}到{max}个字"),
            (Problem::Length { min, max }, Lang::En) => {
                format!("must be {min} to {max} characters long")
            }
            (Problem::IdCharacters, Lang::ZhCn) => "只能由字母、数字和“-”“_”“.”组成".into(),
            (Problem::IdCharacters, Lang::En) => {
                "may only hold letters, digits, '-', '_' and '.'".into()
            }
            (Problem::OutOfRange { min, max }, Lang::ZhCn) => format!("须在{min}到{max}之间"),
            (Problem::OutOfRange { min, max }, Lang::En) => {
                format!("must be between {min} and {max}")
            }
            (Problem::NotFinite, Lang::ZhCn) => "不是有效的数字".into(),
            (Problem::NotFinite, Lang::En) => "is not a valid number".into(),
            (Problem::TooMany { max }, Lang::ZhCn) => format!("最多{max}项"),
            (Problem::TooMany { max }, Lang::En) => format!("may have at most {max} entries"),
            (Problem::AlreadyOnJob, Lang::ZhCn) => "已在此工单上".into(),
            (Problem::AlreadyOnJob, Lang::En) => "is already on this job".into(),
            (Problem::NotAnOption, Lang::ZhCn) => "不是可选的选项".into(),
            (Problem::NotAnOption, Lang::En) => "is not one of the options".into(),
            (Problem::WrongKind { expected }, Lang::ZhCn) => {
                format!("须为{}", expected.label(Lang::ZhCn))
            }
            (Problem::WrongKind { expected }, Lang::En) => {
                format!("must be {}", expected.label(Lang::En))
            }
            (Problem::NotPhotoHash, Lang::ZhCn) => "须为本机保存的照片".into(),
            (Problem::NotPhotoHash, Lang::En) => "must be a photo stored by Onsite".into(),
            (Problem::Overlaps, Lang::ZhCn) => "与已有的号码段重叠".into(),
            (Problem::Overlaps, Lang::En) => "overlaps a block already held".into(),
            (Problem::NotInTimeZone, Lang::ZhCn) => "在本地时区中不存在".into(),
            (Problem::NotInTimeZone, Lang::En) => "does not exist in the local time zone".into(),
            (Problem::Malformed { .. }, Lang::ZhCn) => "格式不正确".into(),
            (Problem::Malformed { .. }, Lang::En) => "is malformed".into(),
        }
    }
}

/// `s` with its first letter in upper case, to start an English sentence.
pub(crate) fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
