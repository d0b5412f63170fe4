//! The one error type callers of `onsite-core` see.
//!
//! Each variant names the *rule* of the visit procedure (DOMAIN.md) that was
//! broken, not the library that failed, so that a shell can show the technician
//! why an action was refused without re-implementing the rule. Storage and
//! decoding failures are folded into a few stable variants carrying a reason.

use crate::visit::{Action, Status};

/// Result alias used by every public function of the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum Error {
    // --- input that can never be valid -----------------------------------
    #[error("invalid {what}: {reason}")]
    InvalidInput { what: String, reason: String },
    #[error("unknown job {job_id}")]
    UnknownJob { job_id: String },
    #[error("job {job_id} already exists on this device")]
    DuplicateJob { job_id: String },
    #[error("amount {amount_fen} fen is out of range (0..={max_fen})")]
    AmountOutOfRange { amount_fen: i64, max_fen: i64 },
    #[error("money total overflows the allowed range")]
    TotalOverflow,

    // --- the visit state machine ------------------------------------------
    #[error("cannot {} while the job is {status}: {rule}", action.label(crate::locale::Lang::En).to_lowercase())]
    IllegalTransition {
        action: Action,
        status: Status,
        rule: String,
    },
    #[error("the job was cancelled by HQ: {reason}")]
    JobCancelled { reason: String },
    #[error("HQ can no longer {action} the job: it is already {status}")]
    TooLateForHq { action: String, status: Status },
    #[error("the customer's acceptance is signed; visit facts can no longer change (record a correction instead)")]
    VisitSealed,

    // --- checklists --------------------------------------------------------
    #[error("required {phase} checklist items are unanswered: {}", items.join(", "))]
    ChecklistIncomplete { phase: String, items: Vec<String> },
    #[error("no checklist item {item_id} in {template_id}")]
    UnknownChecklistItem {
        template_id: String,
        item_id: String,
    },
    #[error("checklist item {item_id} is not shown for this job (its condition is not met)")]
    ChecklistItemHidden { item_id: String },
    #[error("answer to {item_id} does not fit the item: {reason}")]
    InvalidAnswer { item_id: String, reason: String },

    // --- quote -------------------------------------------------------------
    #[error("no fee schedule entry {code}")]
    UnknownScheduleCode { code: String },
    #[error("quote line {line_no} is outside the fee schedule and needs a supervisor's approval code before the quote is shown")]
    OffScheduleNeedsApproval { line_no: u32 },
    #[error("the approval code for quote line {line_no} is not valid")]
    InvalidApprovalCode { line_no: u32 },
    #[error("no quote line {line_no}")]
    UnknownQuoteLine { line_no: u32 },
    #[error("the quote has no lines")]
    EmptyQuote,

    // --- materials and parts ----------------------------------------------
    #[error("no material {material_id} on this job")]
    UnknownMaterial { material_id: String },
    #[error("customer-supplied material {material_id} must be inspected before it is used")]
    InspectionRequired { material_id: String },
    #[error("material {material_id} failed inspection; it can only be used with a concession note the customer consented to")]
    ConcessionRequired { material_id: String },
    #[error("a concession note needs {missing}")]
    ConcessionIncomplete { missing: String },
    #[error("material {material_id} {reason}")]
    MaterialRule { material_id: String, reason: String },
    #[error("in warranty the old part {part_code} must be recovered and registered")]
    OldPartNotRecovered { part_code: String },

    // --- acceptance, payment, receipt -------------------------------------
    #[error("the customer's acceptance needs {missing}")]
    AcceptanceIncomplete { missing: String },
    #[error("payment of {received_fen} fen does not cover the {due_fen} fen due")]
    Underpaid { due_fen: i64, received_fen: i64 },
    #[error("{method} must be exactly the {due_fen} fen due (received {received_fen}); Onsite records no tips")]
    NotExactAmount {
        method: String,
        due_fen: i64,
        received_fen: i64,
    },
    #[error("no receipt number left: {reason}")]
    ReceiptNumbersExhausted { reason: String },
    #[error("receipt {number}: {reason}")]
    ReceiptRule { number: String, reason: String },

    // --- signature ---------------------------------------------------------
    #[error("signature: {reason}")]
    Signature { reason: String },

    // --- sync ----------------------------------------------------------------
    #[error("HQ is unreachable: {reason}")]
    Offline { reason: String },
    #[error("HQ refused the request ({status}): {message}")]
    Hq { status: u16, message: String },
    #[error("sync was cancelled")]
    Cancelled,

    // --- storage -----------------------------------------------------------
    #[error("the local store failed: {reason}")]
    Storage { reason: String },
    #[error("the local store holds data this version cannot read: {reason}")]
    Corrupt { reason: String },
    #[error("the store was written by a newer Onsite (schema {found}, this build knows {known})")]
    SchemaTooNew { found: i64, known: i64 },
}

impl Error {
    pub(crate) fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            what: what.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn illegal(action: Action, status: Status, rule: impl Into<String>) -> Self {
        Error::IllegalTransition {
            action,
            status,
            rule: rule.into(),
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Storage {
            reason: e.to_string(),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Corrupt {
            reason: e.to_string(),
        }
    }
}
