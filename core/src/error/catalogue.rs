//! The vocabulary refusals are written in, beside the visit's own [`Action`]s
//! (the transition table, with their labels and rules): which rule of the
//! procedure stood in the way ([`Rule`]), which decision of HQ came too late
//! ([`HqDecision`]), which input was wrong ([`Field`]) and how ([`Problem`]),
//! each with a stable code and its name in zh-CN and en.
//!
//! Codes are stable API: apps branch on them and HQ logs them, so a code is
//! never renamed or reused; new ones may be added.

use crate::locale::{tr, Lang};
use crate::visit::Action;

/// A decision of HQ that came too late (the job is settled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HqDecision {
    Cancel,
    Reschedule,
}

impl HqDecision {
    /// Stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            HqDecision::Cancel => "cancel",
            HqDecision::Reschedule => "reschedule",
        }
    }

    /// As a verb phrase: "总部不能再{label}" / "HQ can no longer {label}".
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            HqDecision::Cancel => tr(lang, "取消此工单", "cancel the job"),
            HqDecision::Reschedule => tr(lang, "改约", "reschedule the job"),
        }
    }
}

/// The rule of the procedure that refused a step of the visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// The step is not allowed from the job's status by the transition table
    /// ([`Action::allowed_from`]); [`Action::rule`] says what must come first.
    WrongStatus,
    /// Payment is taken once; a correction is a void and a new receipt.
    PaymentAlreadyTaken,
    /// A receipt is issued for money taken.
    PaymentBeforeReceipt,
    /// A message note is printed for a job where nobody answered the door.
    MessageNoteNeedsNoAccess,
}

impl Rule {
    pub const ALL: [Rule; 4] = [
        Rule::WrongStatus,
        Rule::PaymentAlreadyTaken,
        Rule::PaymentBeforeReceipt,
        Rule::MessageNoteNeedsNoAccess,
    ];

    /// Stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Rule::WrongStatus => "wrong_status",
            Rule::PaymentAlreadyTaken => "payment_already_taken",
            Rule::PaymentBeforeReceipt => "payment_before_receipt",
            Rule::MessageNoteNeedsNoAccess => "message_note_needs_no_access",
        }
    }

    /// The rule as the technician reads it, for a refused `action`.
    pub fn text(self, action: Action, lang: Lang) -> &'static str {
        match self {
            Rule::WrongStatus => action.rule(lang),
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
            Rule::MessageNoteNeedsNoAccess => tr(
                lang,
                "留言条只在无人应门时留下",
                "a message note is left when nobody answers the door",
            ),
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
    RefusalReason,
    ApprovalCode,
    QuoteLine,
    QuoteTotals,
    Materials,
    MaterialDescription,
    MaterialQuantity,
    InspectionFindings,
    InspectionPhoto,
    InspectionPhotos,
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
    Payment,
    ReceiptNumber,
    VoidReason,
    Day,
    // sync messages
    PushBody,
    PullPage,
    UploadChunk,
    OpId,
    OpSeq,
    ClockStamp,
    ChecklistTemplate,
    ChecklistItem,
    Answer,
    DisputeWords,
    InvoiceTitle,
    InvoiceAddress,
    VehiclePlate,
    VehicleModel,
    DriverName,
    DriverPhone,
    OldPartRegistration,
    OldSim,
    NewSim,
    ReturnTag,
    DamageDescription,
    DamageAmount,
    PartsShortApprover,
    PartsShortWhat,
    // arrival and appointment (issue 10)
    LateReason,
    ConsentGivenBy,
    ContactNote,
    // acceptance details (issue 10)
    RatingDeclineReason,
    ItemNote,
    HouseholderName,
    IdLast4,
    ComplaintWords,
    WithheldFindings,
    WithheldSolution,
    DeliveryItem,
    // the phone's store (issue 14)
    StoreKey,
}

impl Field {
    pub const ALL: [Field; 87] = [
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
        Field::RefusalReason,
        Field::ApprovalCode,
        Field::QuoteLine,
        Field::QuoteTotals,
        Field::Materials,
        Field::MaterialDescription,
        Field::MaterialQuantity,
        Field::InspectionFindings,
        Field::InspectionPhoto,
        Field::InspectionPhotos,
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
        Field::Payment,
        Field::ReceiptNumber,
        Field::VoidReason,
        Field::Day,
        Field::PushBody,
        Field::PullPage,
        Field::UploadChunk,
        Field::OpId,
        Field::OpSeq,
        Field::ClockStamp,
        Field::ChecklistTemplate,
        Field::ChecklistItem,
        Field::Answer,
        Field::DisputeWords,
        Field::InvoiceTitle,
        Field::InvoiceAddress,
        Field::VehiclePlate,
        Field::VehicleModel,
        Field::DriverName,
        Field::DriverPhone,
        Field::OldPartRegistration,
        Field::OldSim,
        Field::NewSim,
        Field::ReturnTag,
        Field::DamageDescription,
        Field::DamageAmount,
        Field::PartsShortApprover,
        Field::PartsShortWhat,
        Field::LateReason,
        Field::ConsentGivenBy,
        Field::ContactNote,
        Field::RatingDeclineReason,
        Field::ItemNote,
        Field::HouseholderName,
        Field::IdLast4,
        Field::ComplaintWords,
        Field::WithheldFindings,
        Field::WithheldSolution,
        Field::DeliveryItem,
        Field::StoreKey,
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
            Field::RefusalReason => "refusal_reason",
            Field::ApprovalCode => "approval_code",
            Field::QuoteLine => "quote_line",
            Field::QuoteTotals => "quote_totals",
            Field::Materials => "materials",
            Field::MaterialDescription => "material_description",
            Field::MaterialQuantity => "material_quantity",
            Field::InspectionFindings => "inspection_findings",
            Field::InspectionPhoto => "inspection_photo",
            Field::InspectionPhotos => "inspection_photos",
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
            Field::Payment => "payment",
            Field::ReceiptNumber => "receipt_number",
            Field::VoidReason => "void_reason",
            Field::Day => "day",
            Field::PushBody => "push_body",
            Field::PullPage => "pull_page",
            Field::UploadChunk => "upload_chunk",
            Field::OpId => "op_id",
            Field::OpSeq => "op_seq",
            Field::ClockStamp => "clock_stamp",
            Field::ChecklistTemplate => "checklist_template",
            Field::ChecklistItem => "checklist_item",
            Field::Answer => "answer",
            Field::DisputeWords => "dispute_words",
            Field::InvoiceTitle => "invoice_title",
            Field::InvoiceAddress => "invoice_address",
            Field::VehiclePlate => "vehicle_plate",
            Field::VehicleModel => "vehicle_model",
            Field::DriverName => "driver_name",
            Field::DriverPhone => "driver_phone",
            Field::OldPartRegistration => "old_part_registration",
            Field::OldSim => "old_sim",
            Field::NewSim => "new_sim",
            Field::ReturnTag => "return_tag",
            Field::DamageDescription => "damage_description",
            Field::DamageAmount => "damage_amount",
            Field::PartsShortApprover => "parts_short_approver",
            Field::PartsShortWhat => "parts_short_what",
            Field::LateReason => "late_reason",
            Field::ConsentGivenBy => "consent_given_by",
            Field::ContactNote => "contact_note",
            Field::RatingDeclineReason => "rating_decline_reason",
            Field::ItemNote => "item_note",
            Field::HouseholderName => "householder_name",
            Field::IdLast4 => "id_last_four",
            Field::ComplaintWords => "complaint_words",
            Field::WithheldFindings => "withheld_findings",
            Field::WithheldSolution => "withheld_solution",
            Field::DeliveryItem => "delivery_item",
            Field::StoreKey => "store_key",
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
            Field::RefusalReason => tr(lang, "拒绝签字的原因", "refusal reason"),
            Field::ApprovalCode => tr(lang, "审批码", "approval code"),
            Field::QuoteLine => tr(lang, "报价项目", "quote line"),
            Field::QuoteTotals => tr(lang, "报价合计", "quote totals"),
            Field::Materials => tr(lang, "材料", "materials"),
            Field::MaterialDescription => tr(lang, "材料说明", "material description"),
            Field::MaterialQuantity => tr(lang, "材料数量", "material quantity"),
            Field::InspectionFindings => tr(lang, "检验结果说明", "inspection findings"),
            Field::InspectionPhoto => tr(lang, "检验照片", "inspection photo"),
            Field::InspectionPhotos => tr(lang, "检验照片", "inspection photos"),
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
            Field::Payment => tr(lang, "收款记录", "payment"),
            Field::ReceiptNumber => tr(lang, "收据号", "receipt number"),
            Field::VoidReason => tr(lang, "作废原因", "void reason"),
            Field::Day => tr(lang, "日期", "day"),
            Field::PushBody => tr(lang, "上传的数据", "push body"),
            Field::PullPage => tr(lang, "总部下发的数据", "pull page"),
            Field::UploadChunk => tr(lang, "照片上传分段", "photo upload chunk"),
            Field::OpId => tr(lang, "操作编号", "op id"),
            Field::OpSeq => tr(lang, "操作序号", "op sequence number"),
            Field::ClockStamp => tr(lang, "同步时间戳", "clock stamp"),
            Field::ChecklistTemplate => tr(lang, "检查表", "checklist template"),
            Field::ChecklistItem => tr(lang, "检查项", "checklist item"),
            Field::Answer => tr(lang, "回答", "answer"),
            Field::DisputeWords => tr(lang, "客户意见", "customer's words"),
            Field::InvoiceTitle => tr(lang, "发票抬头", "invoice title"),
            Field::InvoiceAddress => tr(lang, "发票邮寄地址", "invoice postal address"),
            Field::VehiclePlate => tr(lang, "车牌号", "plate number"),
            Field::VehicleModel => tr(lang, "车型", "vehicle model"),
            Field::DriverName => tr(lang, "司机姓名", "driver's name"),
            Field::DriverPhone => tr(lang, "司机电话", "driver's phone"),
            Field::OldPartRegistration => tr(lang, "旧件登记编号", "old part registration number"),
            Field::OldSim => tr(lang, "旧SIM卡号", "old SIM number"),
            Field::NewSim => tr(lang, "新SIM卡号", "new SIM number"),
            Field::ReturnTag => tr(
                lang,
                "返修标签(车牌号、故障现象)",
                "return tag (plate and fault)",
            ),
            Field::DamageDescription => tr(lang, "损坏情况", "what was damaged"),
            Field::DamageAmount => tr(lang, "赔偿金额", "compensation amount"),
            Field::PartsShortApprover => tr(lang, "口头批准人", "who approved orally"),
            Field::PartsShortWhat => tr(lang, "缺少的配件", "parts short"),
            Field::LateReason => tr(lang, "迟到原因", "reason for being late"),
            Field::ConsentGivenBy => tr(lang, "同意改约的人", "who agreed to the new time"),
            Field::ContactNote => tr(lang, "联系记录", "contact note"),
            Field::RatingDeclineReason => tr(lang, "客户不评价的原因", "reason for not rating"),
            Field::ItemNote => tr(lang, "货品验收说明", "item note"),
            Field::HouseholderName => tr(lang, "户主姓名", "householder name"),
            Field::IdLast4 => tr(lang, "身份证后四位", "last four of the ID card"),
            Field::ComplaintWords => tr(lang, "投诉内容", "complaint"),
            Field::WithheldFindings => tr(lang, "故障原因", "fault cause"),
            Field::WithheldSolution => tr(lang, "维修措施", "repair measures"),
            Field::DeliveryItem => tr(lang, "送货单货品", "delivery item"),
            Field::StoreKey => tr(lang, "本机数据密钥", "store key"),
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
    /// Does not add up with the rest of the record (a fact received from
    /// elsewhere); `detail` is for logs, in English.
    Inconsistent {
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
            Problem::Inconsistent { .. } => "inconsistent",
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
            (Problem::Inconsistent { .. }, Lang::ZhCn) => "与记录的其他内容不符".into(),
            (Problem::Inconsistent { .. }, Lang::En) => {
                "does not add up with the rest of the record".into()
            }
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
