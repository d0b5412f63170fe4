//! The one error type callers of `onsite-core` see.
//!
//! Each variant names the *rule* of the visit procedure (DOMAIN.md) that was
//! broken, not the library that failed, so that a shell can show the technician
//! why an action was refused without re-implementing the rule. A refusal carries
//! its facts as typed fields (the job's status, the step, the unanswered items
//! with their titles...), never as an English sentence, so that it can be told
//! in the technician's language:
//!
//! - [`Error::code`] is a stable snake_case code per variant, for apps to
//!   branch on and for logs;
//! - [`Error::message`] is the sentence for the technician, in zh-CN or en,
//!   from the same wording as the rest of the core ([`catalogue`]);
//! - [`Error::detail`] is technical detail for logs (a SQLite or JSON error,
//!   a network failure), English and never shown as the message.
//!
//! Storage and decoding failures keep their source errors (`rusqlite`,
//! `serde_json`, the photo and signature decoders) behind `#[from]`, as
//! application-services' components do; the FFI maps this internal error to
//! its public one at the boundary. `Display` is the English message followed
//! by the detail, for logs and HQ's responses.

pub mod catalogue;
mod message;

pub use catalogue::{AnswerKind, Field, HqDecision, Problem, Rule};

use crate::checklist::{MissingItem, Phase};
use crate::locale::{Lang, Text};
use crate::payment::Method;
use crate::photo::PhotoError;
use crate::signature::SignatureError;
use crate::visit::{Action, Status};

/// Result alias used by every public function of the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    // --- input that can never be valid -----------------------------------
    InvalidInput {
        field: Field,
        problem: Problem,
    },
    UnknownJob {
        job_id: String,
    },
    DuplicateJob {
        job_id: String,
    },
    /// A work order assigned to another technician reached this device.
    AssignedToAnother {
        job_id: String,
        assigned_to: String,
    },
    /// The store file belongs to another technician (one file per technician).
    StoreOfAnotherTechnician {
        owner: String,
    },
    AmountOutOfRange {
        amount_fen: i64,
        max_fen: i64,
    },
    TotalOverflow,

    // --- the visit state machine ------------------------------------------
    IllegalTransition {
        action: Action,
        status: Status,
        rule: Rule,
    },
    /// `reason` is HQ's, as the service centre wrote it.
    JobCancelled {
        reason: String,
    },
    TooLateForHq {
        decision: HqDecision,
        status: Status,
    },
    VisitSealed,

    // --- checklists --------------------------------------------------------
    /// Required items of a phase are unanswered, in template order.
    ChecklistIncomplete {
        phase: Phase,
        items: Vec<MissingItem>,
    },
    UnknownChecklistItem {
        template_id: String,
        item_id: String,
    },
    ChecklistItemHidden {
        item_id: String,
        label: Text,
    },
    InvalidAnswer {
        item_id: String,
        label: Text,
        problem: Problem,
    },
    /// A photo referred to by its SHA-256 is not stored on this device.
    PhotoNotStored {
        sha256: String,
    },

    // --- quote -------------------------------------------------------------
    UnknownScheduleCode {
        code: String,
    },
    OffScheduleNeedsApproval {
        line_no: u32,
    },
    /// Only off-schedule lines are approved.
    ApprovalNotNeeded {
        line_no: u32,
    },
    InvalidApprovalCode {
        line_no: u32,
    },
    UnknownQuoteLine {
        line_no: u32,
    },
    EmptyQuote,

    // --- materials and parts ----------------------------------------------
    UnknownMaterial {
        material_id: String,
    },
    DuplicateMaterial {
        material_id: String,
    },
    InspectionRequired {
        material_id: String,
        description: String,
    },
    ConcessionRequired {
        material_id: String,
        description: String,
    },
    /// A concession note lacks one of the things DOMAIN.md step 5 requires.
    ConcessionIncomplete {
        missing: Field,
    },
    /// A concession is only for material that failed inspection.
    ConcessionNotNeeded {
        material_id: String,
        description: String,
    },
    /// A failed inspection must say what is wrong.
    FindingsRequired {
        material_id: String,
    },
    MaterialInUse {
        material_id: String,
        description: String,
    },
    OldPartNotRecovered {
        part_code: String,
    },
    /// The completion checklist's answer on replaced/recovered parts
    /// disagrees with the replacements recorded.
    OldPartAnswerMismatch {
        item_id: String,
        answered_yes: bool,
    },

    // --- acceptance, payment, receipt -------------------------------------
    /// A customer who refuses to sign is never forced, but the reason is recorded.
    RefusalReasonRequired,
    /// A message note is left only after the service line's minimum wait and
    /// calls (DOMAIN.md step 2; per line in `data/service_lines.json`).
    MessageNoteTooEarly {
        min_wait_minutes: u32,
        min_calls: u32,
    },
    Underpaid {
        due_fen: i64,
        received_fen: i64,
    },
    NotExactAmount {
        method: Method,
        due_fen: i64,
        received_fen: i64,
    },
    ReceiptNumbersExhausted,
    UnknownReceipt {
        number: String,
    },
    ReceiptAlreadyVoid {
        number: String,
    },
    ReceiptNotVoided {
        number: String,
    },
    /// Receipt numbers are never reused.
    ReceiptNumberUsed {
        number: String,
    },
    /// Only the job's standing receipt (the first, or the reissue) is voided.
    ReceiptNotStanding {
        number: String,
    },
    /// The handover needs a receipt that stands: a voided one is reissued first.
    ReceiptNotReissued {
        number: String,
    },

    // --- signature and photos ----------------------------------------------
    Signature(#[from] SignatureError),
    /// The signature was made over other content than the job's current one.
    SignatureNotBound,
    NotSigned {
        job_id: String,
    },
    Photo(#[from] PhotoError),

    // --- sync ----------------------------------------------------------------
    /// `reason` is the network error, for logs.
    Offline {
        reason: String,
    },
    /// `message` is HQ's, for logs.
    Hq {
        status: u16,
        message: String,
    },
    Cancelled,
    /// HQ revoked this device with remote wipe: everything it held unsent was
    /// handed in first, then its store file was deleted. The shell deletes its
    /// key and signs out; the `Technician` answers only this from now on.
    Wiped,
    /// A blocking call made on a current-thread async runtime, which it would
    /// stall: a shell or tool should await the async API instead.
    BlockingInRuntime,

    // --- storage -----------------------------------------------------------
    Storage(#[from] rusqlite::Error),
    StoreLockPoisoned,
    Decode(#[from] serde_json::Error),
    /// Stored data that breaks an invariant; `reason` is for logs.
    Corrupt {
        reason: String,
    },
    SchemaTooNew {
        found: i64,
        known: i64,
    },
    /// The store file is encrypted with another key than the one given (or
    /// is not a store at all): nothing was opened, created or changed.
    WrongStoreKey,

    // --- disputed charges, invoices, cash (issue 10) -------------------------
    /// 三包 and the warranty scope are explained before a dispute is escalated.
    ChargeRulesNotExplained,
    /// A reduction asked or instructed is not below (or above) the charge.
    ReductionNotBelowCharge {
        charge_fen: i64,
        to_fen: i64,
    },
    /// The job waits for the service centre's instruction on a disputed charge.
    ChargeDisputeOpen,
    /// An instruction needs a dispute that waits for one.
    NoOpenChargeDispute,
    /// The charge was already disputed on this job.
    ChargeAlreadyDisputed,
    /// Nothing is charged to the customer: nothing to dispute.
    NothingToDispute,
    /// The supervisor's code does not match the job, instruction and amount.
    InvalidChargeCode,
    /// Cash is checked for counterfeits and counted in front of the customer.
    CashNotChecked,
    /// Not an 18-character unified social credit code.
    InvalidTaxNumber {
        tax_number: String,
    },
    // --- arrival, appointment, contacts (issue 10) ------------------------
    /// A late arrival is recorded with the technician's reason; the visit goes on.
    LateReasonRequired {
        minutes_late: i64,
    },
    /// A new appointment needs the customer's consent: who, when, how.
    RescheduleConsentRequired,
    /// Furniture: the advance contact or the call before arriving is not recorded.
    ContactNotRecorded {
        kind: crate::visit::ContactKind,
    },
    // --- acceptance details (issue 10) -------------------------------------
    /// Filling in the fault cause later is for an assessment that withheld it.
    NothingWithheld,
    /// The handover needs the withheld fault cause and repair measures filled in.
    WithheldNotFilled,
    /// Furniture: the householder's identity is checked before unloading.
    IdentityNotChecked,
    /// No such line on the order's delivery list.
    UnknownDeliveryItem {
        item_no: u32,
    },
    /// Furniture: acceptance needs every delivery-list item accepted or rejected.
    DeliveryItemsUndecided {
        item_nos: Vec<u32>,
    },
}

impl Error {
    /// The variant's stable snake_case code.
    ///
    /// Codes are public API: apps branch on them and logs record them. A code
    /// is never renamed or given to another rule; new codes may be added.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidInput { .. } => "invalid_input",
            Error::UnknownJob { .. } => "unknown_job",
            Error::DuplicateJob { .. } => "duplicate_job",
            Error::AssignedToAnother { .. } => "assigned_to_another",
            Error::StoreOfAnotherTechnician { .. } => "store_of_another_technician",
            Error::AmountOutOfRange { .. } => "amount_out_of_range",
            Error::TotalOverflow => "total_overflow",
            Error::IllegalTransition { .. } => "illegal_transition",
            Error::JobCancelled { .. } => "job_cancelled",
            Error::TooLateForHq { .. } => "too_late_for_hq",
            Error::VisitSealed => "visit_sealed",
            Error::ChecklistIncomplete { .. } => "checklist_incomplete",
            Error::UnknownChecklistItem { .. } => "unknown_checklist_item",
            Error::ChecklistItemHidden { .. } => "checklist_item_hidden",
            Error::InvalidAnswer { .. } => "invalid_answer",
            Error::PhotoNotStored { .. } => "photo_not_stored",
            Error::UnknownScheduleCode { .. } => "unknown_schedule_code",
            Error::OffScheduleNeedsApproval { .. } => "off_schedule_needs_approval",
            Error::ApprovalNotNeeded { .. } => "approval_not_needed",
            Error::InvalidApprovalCode { .. } => "invalid_approval_code",
            Error::UnknownQuoteLine { .. } => "unknown_quote_line",
            Error::EmptyQuote => "empty_quote",
            Error::UnknownMaterial { .. } => "unknown_material",
            Error::DuplicateMaterial { .. } => "duplicate_material",
            Error::InspectionRequired { .. } => "inspection_required",
            Error::ConcessionRequired { .. } => "concession_required",
            Error::ConcessionIncomplete { .. } => "concession_incomplete",
            Error::ConcessionNotNeeded { .. } => "concession_not_needed",
            Error::FindingsRequired { .. } => "findings_required",
            Error::MaterialInUse { .. } => "material_in_use",
            Error::OldPartNotRecovered { .. } => "old_part_not_recovered",
            Error::OldPartAnswerMismatch { .. } => "old_part_answer_mismatch",
            Error::RefusalReasonRequired => "refusal_reason_required",
            Error::MessageNoteTooEarly { .. } => "message_note_too_early",
            Error::Underpaid { .. } => "underpaid",
            Error::NotExactAmount { .. } => "not_exact_amount",
            Error::ReceiptNumbersExhausted => "receipt_numbers_exhausted",
            Error::UnknownReceipt { .. } => "unknown_receipt",
            Error::ReceiptAlreadyVoid { .. } => "receipt_already_void",
            Error::ReceiptNotVoided { .. } => "receipt_not_voided",
            Error::ReceiptNumberUsed { .. } => "receipt_number_used",
            Error::ReceiptNotStanding { .. } => "receipt_not_standing",
            Error::ReceiptNotReissued { .. } => "receipt_not_reissued",
            Error::Signature(_) => "invalid_signature",
            Error::SignatureNotBound => "signature_not_bound",
            Error::NotSigned { .. } => "not_signed",
            Error::Photo(_) => "invalid_photo",
            Error::Offline { .. } => "offline",
            Error::Hq { .. } => "hq_refused",
            Error::Cancelled => "cancelled",
            Error::Wiped => "wiped",
            Error::BlockingInRuntime => "blocking_in_runtime",
            Error::Storage(_) => "storage",
            Error::StoreLockPoisoned => "store_lock_poisoned",
            Error::Decode(_) => "decode",
            Error::Corrupt { .. } => "corrupt",
            Error::SchemaTooNew { .. } => "schema_too_new",
            Error::WrongStoreKey => "wrong_store_key",
            Error::ChargeRulesNotExplained => "charge_rules_not_explained",
            Error::ReductionNotBelowCharge { .. } => "reduction_not_below_charge",
            Error::ChargeDisputeOpen => "charge_dispute_open",
            Error::NoOpenChargeDispute => "no_open_charge_dispute",
            Error::ChargeAlreadyDisputed => "charge_already_disputed",
            Error::NothingToDispute => "nothing_to_dispute",
            Error::InvalidChargeCode => "invalid_charge_code",
            Error::CashNotChecked => "cash_not_checked",
            Error::InvalidTaxNumber { .. } => "invalid_tax_number",
            Error::LateReasonRequired { .. } => "late_reason_required",
            Error::RescheduleConsentRequired => "reschedule_consent_required",
            Error::ContactNotRecorded { .. } => "contact_not_recorded",
            Error::NothingWithheld => "nothing_withheld",
            Error::WithheldNotFilled => "withheld_not_filled",
            Error::IdentityNotChecked => "identity_not_checked",
            Error::UnknownDeliveryItem { .. } => "unknown_delivery_item",
            Error::DeliveryItemsUndecided { .. } => "delivery_items_undecided",
        }
    }

    /// Technical detail for logs and bug reports (English, from a library or
    /// HQ), or `None` when the message says everything. Never shown to the
    /// technician as the message.
    pub fn detail(&self) -> Option<String> {
        match self {
            Error::InvalidInput {
                problem: Problem::Malformed { detail } | Problem::Inconsistent { detail },
                ..
            } => Some(detail.clone()),
            Error::Signature(e) => Some(e.to_string()),
            Error::Photo(e) => Some(e.to_string()),
            Error::Offline { reason } | Error::Corrupt { reason } => Some(reason.clone()),
            Error::Hq { message, .. } if !message.is_empty() => Some(message.clone()),
            Error::Storage(e) => Some(e.to_string()),
            Error::Decode(e) => Some(e.to_string()),
            _ => None,
        }
    }

    pub(crate) fn invalid(field: Field, problem: Problem) -> Self {
        Error::InvalidInput { field, problem }
    }

    /// A step refused by `rule` while the job is in `status`; [`Rule::WrongStatus`]
    /// when the transition table does not allow it from there.
    pub(crate) fn illegal(action: Action, status: Status, rule: Rule) -> Self {
        Error::IllegalTransition {
            action,
            status,
            rule,
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Lang::En))?;
        match self.detail() {
            Some(d) => write!(f, " ({d})"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist::{Answers, Category, Checklists};

    /// One of every variant, with data as a technician would see it (ids in
    /// upper case, text in the technician's words).
    fn samples() -> Vec<Error> {
        let label = Text::new("工具齐全、完好", "Tools complete and in working order");
        let rusqlite = rusqlite::Connection::open_in_memory()
            .and_then(|c| c.execute("NOT SQL", []))
            .expect_err("not SQL");
        let json = serde_json::from_str::<u32>("{").expect_err("not JSON");
        vec![
            Error::invalid(
                Field::MaterialDescription,
                Problem::Length { min: 1, max: 200 },
            ),
            Error::UnknownJob {
                job_id: "WO-0001".into(),
            },
            Error::DuplicateJob {
                job_id: "WO-0001".into(),
            },
            Error::AssignedToAnother {
                job_id: "WO-0001".into(),
                assigned_to: "T-0108".into(),
            },
            Error::StoreOfAnotherTechnician {
                owner: "T-0108".into(),
            },
            Error::AmountOutOfRange {
                amount_fen: -150,
                max_fen: crate::money::MAX_AMOUNT_FEN,
            },
            Error::TotalOverflow,
            Error::illegal(Action::Depart, Status::Dispatched, Rule::WrongStatus),
            Error::JobCancelled {
                reason: "业主已自行维修".into(),
            },
            Error::TooLateForHq {
                decision: HqDecision::Cancel,
                status: Status::Settled,
            },
            Error::VisitSealed,
            Error::ChecklistIncomplete {
                phase: Phase::BeforeLeaving,
                items: vec![MissingItem {
                    id: "TOOLS".into(),
                    label: label.clone(),
                }],
            },
            Error::UnknownChecklistItem {
                template_id: "T.1".into(),
                item_id: "X".into(),
            },
            Error::ChecklistItemHidden {
                item_id: "X".into(),
                label: label.clone(),
            },
            Error::InvalidAnswer {
                item_id: "X".into(),
                label,
                problem: Problem::OutOfRange { min: 0.0, max: 1.6 },
            },
            Error::PhotoNotStored {
                sha256: "AB".repeat(32),
            },
            Error::UnknownScheduleCode {
                code: "PR-99".into(),
            },
            Error::OffScheduleNeedsApproval { line_no: 2 },
            Error::ApprovalNotNeeded { line_no: 1 },
            Error::InvalidApprovalCode { line_no: 2 },
            Error::UnknownQuoteLine { line_no: 7 },
            Error::EmptyQuote,
            Error::UnknownMaterial {
                material_id: "M1".into(),
            },
            Error::DuplicateMaterial {
                material_id: "M1".into(),
            },
            Error::InspectionRequired {
                material_id: "M1".into(),
                description: "角阀".into(),
            },
            Error::ConcessionRequired {
                material_id: "M1".into(),
                description: "角阀".into(),
            },
            Error::ConcessionIncomplete {
                missing: Field::ConcessionConsent,
            },
            Error::ConcessionNotNeeded {
                material_id: "M1".into(),
                description: "角阀".into(),
            },
            Error::FindingsRequired {
                material_id: "M1".into(),
            },
            Error::MaterialInUse {
                material_id: "M1".into(),
                description: "角阀".into(),
            },
            Error::OldPartNotRecovered {
                part_code: "GPS-T1".into(),
            },
            Error::OldPartAnswerMismatch {
                item_id: "old_part_taken".into(),
                answered_yes: false,
            },
            Error::RefusalReasonRequired,
            Error::MessageNoteTooEarly {
                min_wait_minutes: 3,
                min_calls: 1,
            },
            Error::Underpaid {
                due_fen: 12_000,
                received_fen: 10_000,
            },
            Error::NotExactAmount {
                method: Method::WechatPay,
                due_fen: 12_000,
                received_fen: 12_500,
            },
            Error::ReceiptNumbersExhausted,
            Error::UnknownReceipt {
                number: "SH01-00000042".into(),
            },
            Error::ReceiptAlreadyVoid {
                number: "SH01-00000042".into(),
            },
            Error::ReceiptNotVoided {
                number: "SH01-00000042".into(),
            },
            Error::ReceiptNumberUsed {
                number: "SH01-00000042".into(),
            },
            Error::ReceiptNotStanding {
                number: "SH01-00000042".into(),
            },
            Error::ReceiptNotReissued {
                number: "SH01-00000042".into(),
            },
            Error::Signature(SignatureError::NoStrokes),
            Error::SignatureNotBound,
            Error::NotSigned {
                job_id: "WO-0001".into(),
            },
            Error::Photo(PhotoError::UnsupportedFormat),
            Error::Offline {
                reason: "error sending request: connection refused".into(),
            },
            Error::Hq {
                status: 409,
                message: "order WO-0001 is cancelled".into(),
            },
            Error::Cancelled,
            Error::Wiped,
            Error::BlockingInRuntime,
            Error::Storage(rusqlite),
            Error::StoreLockPoisoned,
            Error::Decode(json),
            Error::Corrupt {
                reason: "a job without events".into(),
            },
            Error::SchemaTooNew { found: 9, known: 4 },
            Error::WrongStoreKey,
            Error::ChargeRulesNotExplained,
            Error::ReductionNotBelowCharge {
                charge_fen: 12_000,
                to_fen: 15_000,
            },
            Error::ChargeDisputeOpen,
            Error::NoOpenChargeDispute,
            Error::ChargeAlreadyDisputed,
            Error::NothingToDispute,
            Error::InvalidChargeCode,
            Error::CashNotChecked,
            Error::InvalidTaxNumber {
                tax_number: "9135".into(),
            },
            Error::LateReasonRequired { minutes_late: 12 },
            Error::RescheduleConsentRequired,
            Error::ContactNotRecorded {
                kind: crate::visit::ContactKind::HourBeforeCall,
            },
            Error::NothingWithheld,
            Error::WithheldNotFilled,
            Error::IdentityNotChecked,
            Error::UnknownDeliveryItem { item_no: 4 },
            Error::DeliveryItemsUndecided {
                item_nos: vec![2, 3],
            },
        ]
    }

    /// Every variant, so that a new one is not forgotten here: add it to
    /// [`samples`] too and count it in `VARIANTS`.
    const VARIANTS: usize = 75;
    fn _every_variant_has_a_sample(e: &Error) {
        match e {
            Error::InvalidInput { .. }
            | Error::UnknownJob { .. }
            | Error::DuplicateJob { .. }
            | Error::AssignedToAnother { .. }
            | Error::StoreOfAnotherTechnician { .. }
            | Error::AmountOutOfRange { .. }
            | Error::TotalOverflow
            | Error::IllegalTransition { .. }
            | Error::JobCancelled { .. }
            | Error::TooLateForHq { .. }
            | Error::VisitSealed
            | Error::ChecklistIncomplete { .. }
            | Error::UnknownChecklistItem { .. }
            | Error::ChecklistItemHidden { .. }
            | Error::InvalidAnswer { .. }
            | Error::PhotoNotStored { .. }
            | Error::UnknownScheduleCode { .. }
            | Error::OffScheduleNeedsApproval { .. }
            | Error::ApprovalNotNeeded { .. }
            | Error::InvalidApprovalCode { .. }
            | Error::UnknownQuoteLine { .. }
            | Error::EmptyQuote
            | Error::UnknownMaterial { .. }
            | Error::DuplicateMaterial { .. }
            | Error::InspectionRequired { .. }
            | Error::ConcessionRequired { .. }
            | Error::ConcessionIncomplete { .. }
            | Error::ConcessionNotNeeded { .. }
            | Error::FindingsRequired { .. }
            | Error::MaterialInUse { .. }
            | Error::OldPartNotRecovered { .. }
            | Error::OldPartAnswerMismatch { .. }
            | Error::RefusalReasonRequired
            | Error::MessageNoteTooEarly { .. }
            | Error::Underpaid { .. }
            | Error::NotExactAmount { .. }
            | Error::ReceiptNumbersExhausted
            | Error::UnknownReceipt { .. }
            | Error::ReceiptAlreadyVoid { .. }
            | Error::ReceiptNotVoided { .. }
            | Error::ReceiptNumberUsed { .. }
            | Error::ReceiptNotStanding { .. }
            | Error::ReceiptNotReissued { .. }
            | Error::Signature(_)
            | Error::SignatureNotBound
            | Error::NotSigned { .. }
            | Error::Photo(_)
            | Error::Offline { .. }
            | Error::Hq { .. }
            | Error::Cancelled
            | Error::Wiped
            | Error::BlockingInRuntime
            | Error::Storage(_)
            | Error::StoreLockPoisoned
            | Error::Decode(_)
            | Error::Corrupt { .. }
            | Error::SchemaTooNew { .. }
            | Error::WrongStoreKey
            | Error::ChargeRulesNotExplained
            | Error::ReductionNotBelowCharge { .. }
            | Error::ChargeDisputeOpen
            | Error::NoOpenChargeDispute
            | Error::ChargeAlreadyDisputed
            | Error::NothingToDispute
            | Error::InvalidChargeCode
            | Error::CashNotChecked
            | Error::InvalidTaxNumber { .. }
            | Error::LateReasonRequired { .. }
            | Error::RescheduleConsentRequired
            | Error::ContactNotRecorded { .. }
            | Error::NothingWithheld
            | Error::WithheldNotFilled
            | Error::IdentityNotChecked
            | Error::UnknownDeliveryItem { .. }
            | Error::DeliveryItemsUndecided { .. } => {}
        }
    }

    /// An English word in a zh-CN sentence: two or more lower-case ASCII
    /// letters in a row (acronyms such as JPEG, ids such as WO-0001 and
    /// numbers are not sentences).
    fn english_word(s: &str) -> Option<String> {
        s.split(|c: char| !c.is_ascii_lowercase())
            .find(|w| w.len() >= 2)
            .map(str::to_string)
    }

    /// Chinese characters or full-width punctuation in an en sentence.
    fn cjk(s: &str) -> Option<char> {
        s.chars()
            .find(|c| matches!(*c as u32, 0x3000..=0x303F | 0x3400..=0x9FFF | 0xFF00..=0xFFEF))
    }

    fn assert_zh(s: &str, what: &str) {
        assert!(!s.trim().is_empty(), "{what}: empty zh-CN text");
        assert!(english_word(s).is_none(), "{what}: English in zh-CN: {s:?}");
        assert!(
            cjk(s).is_some(),
            "{what}: zh-CN text without Chinese: {s:?}"
        );
    }

    fn assert_en(s: &str, what: &str) {
        assert!(!s.trim().is_empty(), "{what}: empty en text");
        assert!(cjk(s).is_none(), "{what}: Chinese in en: {s:?}");
    }

    fn snake_case(code: &str) -> bool {
        !code.is_empty()
            && code
                .split('_')
                .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
    }

    #[test]
    fn every_variant_has_its_own_stable_code() {
        let samples = samples();
        let codes: std::collections::BTreeSet<&str> = samples.iter().map(Error::code).collect();
        assert_eq!(samples.len(), VARIANTS, "one sample per variant");
        assert_eq!(codes.len(), VARIANTS, "codes must be distinct: {codes:?}");
        for c in codes {
            assert!(snake_case(c), "{c} is not snake_case");
        }
    }

    /// Sample data holding Chinese (a description, HQ's reason) is what
    /// people typed, and may appear in an en sentence: those are checked
    /// with the Chinese removed.
    #[test]
    fn every_error_reads_in_chinese_without_english_and_in_english_without_chinese() {
        for e in samples() {
            let code = e.code();
            assert_zh(&e.message(Lang::ZhCn), code);
            let en = e
                .message(Lang::En)
                .replace("角阀", "")
                .replace("业主已自行维修", "");
            assert_en(&en, code);
            // Display is for logs: the English message and the technical detail.
            assert!(e.to_string().starts_with(&e.message(Lang::En)), "{code}");
        }
    }

    #[test]
    fn every_word_of_the_catalogue_exists_in_both_languages() {
        for a in Action::ALL {
            assert!(snake_case(a.as_str()));
            assert_zh(a.label(Lang::ZhCn), a.as_str());
            assert_en(a.label(Lang::En), a.as_str());
            for r in Rule::ALL {
                assert_zh(r.text(a, Lang::ZhCn), r.code());
                assert_en(r.text(a, Lang::En), r.code());
            }
        }
        for d in [HqDecision::Cancel, HqDecision::Reschedule] {
            assert!(snake_case(d.code()));
            assert_zh(d.label(Lang::ZhCn), d.code());
            assert_en(d.label(Lang::En), d.code());
        }
        let mut codes = std::collections::BTreeSet::new();
        for f in Field::ALL {
            assert!(codes.insert(f.code()), "duplicate field {}", f.code());
            assert!(snake_case(f.code()));
            assert_zh(f.label(Lang::ZhCn), f.code());
            assert_en(f.label(Lang::En), f.code());
        }
        for r in Rule::ALL {
            assert!(snake_case(r.code()));
        }
        for p in [
            Problem::Empty,
            Problem::TooLong { max: 64 },
            Problem::Length { min: 1, max: 64 },
            Problem::IdCharacters,
            Problem::OutOfRange { min: 1.0, max: 1e4 },
            Problem::NotFinite,
            Problem::TooMany { max: 200 },
            Problem::AlreadyOnJob,
            Problem::NotAnOption,
            Problem::WrongKind {
                expected: AnswerKind::YesNo,
            },
            Problem::NotPhotoHash,
            Problem::Overlaps,
            Problem::NotInTimeZone,
            Problem::Malformed {
                detail: "expected value at line 1".into(),
            },
            Problem::Inconsistent {
                detail: "line 2 charges more than its list price".into(),
            },
        ] {
            assert!(snake_case(p.code()));
            for f in [Field::JobId, Field::Fault] {
                let e = Error::invalid(f, p.clone());
                assert_zh(&e.message(Lang::ZhCn), p.code());
                assert_en(&e.message(Lang::En), p.code());
            }
        }
        for e in [
            SignatureError::NoStrokes,
            SignatureError::TooLittleInk {
                reason: "one dot".into(),
            },
            SignatureError::BadRenderSize {
                width: 0,
                height: 9,
            },
            SignatureError::Render("out of memory".into()),
            SignatureError::Malformed("truncated".into()),
        ]
        .map(Error::Signature)
        .into_iter()
        .chain(
            [
                PhotoError::Empty,
                PhotoError::TooLarge {
                    bytes: 50 << 20,
                    max: 40 << 20,
                },
                PhotoError::DimensionsTooLarge {
                    width: 90_000,
                    height: 90_000,
                },
                PhotoError::Corrupt("unexpected end of file".into()),
                PhotoError::Encode("no memory".into()),
            ]
            .map(Error::Photo),
        ) {
            assert_zh(&e.message(Lang::ZhCn), e.code());
            assert_en(&e.message(Lang::En), e.code());
        }
        for status in [401, 404, 503] {
            let e = Error::Hq {
                status,
                message: String::new(),
            };
            assert_zh(&e.message(Lang::ZhCn), "hq");
            assert_en(&e.message(Lang::En), "hq");
        }
    }

    /// The refusal a technician meets first: leaving with the before-leaving
    /// checklist unanswered names the items by their titles, not their ids.
    #[test]
    fn an_incomplete_checklist_names_its_items_by_their_titles() {
        let checklists = Checklists::shipped().unwrap();
        for category in Category::ALL {
            for phase in Phase::ALL {
                let t = checklists.template(category, phase).unwrap();
                let e = t.incomplete(&Answers::new()).expect("nothing answered");
                let Error::ChecklistIncomplete { phase: p, items } = &e else {
                    panic!("{e:?}");
                };
                assert_eq!(*p, phase);
                assert_eq!(
                    items.iter().map(|i| i.id.clone()).collect::<Vec<_>>(),
                    t.missing_required(&Answers::new())
                );
                let zh = e.message(Lang::ZhCn);
                let en = e.message(Lang::En);
                assert_zh(&zh, &t.id);
                assert_en(&en, &t.id);
                for i in items {
                    assert!(zh.contains(&i.label.zh), "{zh}");
                    assert!(en.contains(&i.label.en), "{en}");
                    assert!(!zh.contains(&i.id), "{} shown in {zh}", i.id);
                }
            }
        }
    }

    #[test]
    fn a_refused_step_says_what_comes_first_in_the_technicians_language() {
        let e = Error::illegal(Action::Depart, Status::Dispatched, Rule::WrongStatus);
        assert_eq!(
            e.message(Lang::ZhCn),
            "工单当前为「已派工」,不能「出发」:接单后才能出发。"
        );
        assert_eq!(
            e.message(Lang::En),
            "“Leave for the site” is not possible while the job is “Dispatched”: accept the job before leaving."
        );
    }

    #[test]
    fn storage_failures_keep_their_source_and_show_no_library_text() {
        use std::error::Error as _;
        let e = Error::from(
            rusqlite::Connection::open_in_memory()
                .and_then(|c| c.execute("NOT SQL", []))
                .unwrap_err(),
        );
        assert!(matches!(e, Error::Storage(_)));
        assert!(e.source().is_some(), "the rusqlite error is kept");
        let detail = e.detail().unwrap();
        assert!(e.to_string().contains(&detail), "logs get the detail");
        assert!(!e.message(Lang::ZhCn).contains(&detail));
        assert!(!e.message(Lang::En).contains(&detail));
        let e = Error::from(serde_json::from_str::<u32>("{").unwrap_err());
        assert!(matches!(e, Error::Decode(_)) && e.source().is_some());
    }
}
