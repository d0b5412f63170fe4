//! The one error type Kotlin and Swift see: a rich error (as matrix-rust-sdk's
//! `ClientError`), one case per rule of the core, mapped from the core's
//! internal error at the boundary (as application-services' logins maps its
//! `Error` to `LoginsApiError`). No rule is decided here.
//!
//! Every case carries
//! - `code`: the core's stable snake_case code (`checklist_incomplete`,
//!   `illegal_transition`, ...), for an app to branch on and to log;
//! - `msg`: the sentence for the technician, in the language set with
//!   `set_language` (zh-CN until then). It is `msg`, not `message`, because
//!   Kotlin exceptions already have a `message` (uniffi fills it with every
//!   field, for logs);
//! - the rule's facts as typed fields: the job's status, the step refused,
//!   the unanswered checklist items with their titles, the amounts...
//!
//! `error_code()` and `error_message()` give the first two from any case
//! without a `when`/`switch`. Failures of the machine rather than of a rule
//! (storage, network) also carry `detail`: English, for logs and bug reports.

use onsite_core::locale::Lang;
use onsite_core::Error as Core;

use crate::records::{ChecklistPhase, JobStatus, PaymentMethod};

/// A required checklist item still unanswered, as the technician sees it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MissingChecklistItem {
    pub item_id: String,
    /// The item's title in the technician's language.
    pub title: String,
}

#[derive(Debug, Clone, thiserror::Error, uniffi::Error)]
pub enum OnsiteError {
    // --- input -----------------------------------------------------------------
    /// `field` and `problem` are codes (`material_description`, `length`...).
    #[error("{msg}")]
    InvalidInput {
        code: String,
        msg: String,
        field: String,
        problem: String,
    },
    #[error("{msg}")]
    UnknownJob {
        code: String,
        msg: String,
        job_id: String,
    },
    #[error("{msg}")]
    DuplicateJob {
        code: String,
        msg: String,
        job_id: String,
    },
    #[error("{msg}")]
    AssignedToAnother {
        code: String,
        msg: String,
        job_id: String,
        assigned_to: String,
    },
    #[error("{msg}")]
    StoreOfAnotherTechnician {
        code: String,
        msg: String,
        owner: String,
    },
    /// An amount outside 0..=max (`amount_out_of_range`), or a total beyond
    /// what the core computes (`total_overflow`, with `amount_fen` 0).
    #[error("{msg}")]
    AmountOutOfRange {
        code: String,
        msg: String,
        amount_fen: i64,
        max_fen: i64,
    },

    // --- the visit's steps -------------------------------------------------------
    /// A step refused by the procedure. `action` is the step's code
    /// (`depart`, `take_payment`..., the core's `visit::Action` codes), `rule` the
    /// rule's (`wrong_status`, `payment_before_receipt`...); `allowed` lists
    /// the statuses the transition table allows the step from.
    #[error("{msg}")]
    IllegalTransition {
        code: String,
        msg: String,
        action: String,
        status: JobStatus,
        rule: String,
        allowed: Vec<JobStatus>,
    },
    /// `reason` is HQ's, as the service centre wrote it.
    #[error("{msg}")]
    JobCancelled {
        code: String,
        msg: String,
        reason: String,
    },
    /// HQ's `decision` (`cancel`, `reschedule`) came after the job was settled.
    #[error("{msg}")]
    TooLateForHq {
        code: String,
        msg: String,
        decision: String,
        status: JobStatus,
    },
    #[error("{msg}")]
    VisitSealed { code: String, msg: String },

    // --- checklists --------------------------------------------------------------
    /// Required items of `phase` are unanswered, in checklist order.
    #[error("{msg}")]
    ChecklistIncomplete {
        code: String,
        msg: String,
        phase: ChecklistPhase,
        items: Vec<MissingChecklistItem>,
    },
    /// No such item (`unknown_checklist_item`), not shown for this job
    /// (`checklist_item_hidden`), or an answer on replaced parts that
    /// disagrees with the replacements recorded (`old_part_answer_mismatch`).
    #[error("{msg}")]
    ChecklistItemRule {
        code: String,
        msg: String,
        item_id: String,
    },
    /// `problem` is a code (`out_of_range`, `wrong_kind`...).
    #[error("{msg}")]
    InvalidAnswer {
        code: String,
        msg: String,
        item_id: String,
        item_title: String,
        problem: String,
    },
    /// A photo that is not stored on this device yet: add it first.
    #[error("{msg}")]
    PhotoNotStored {
        code: String,
        msg: String,
        sha256: String,
    },

    // --- quote -------------------------------------------------------------------
    #[error("{msg}")]
    UnknownScheduleCode {
        code: String,
        msg: String,
        schedule_code: String,
    },
    /// The quote cannot be shown (`empty_quote`).
    #[error("{msg}")]
    EmptyQuote { code: String, msg: String },
    /// A quote line and what is wrong with it: `off_schedule_needs_approval`,
    /// `approval_not_needed`, `invalid_approval_code`, `unknown_quote_line`.
    #[error("{msg}")]
    QuoteLineRule {
        code: String,
        msg: String,
        line_no: u32,
    },

    // --- materials and parts -----------------------------------------------------
    /// A material and the rule it meets: `inspection_required`,
    /// `concession_required`, `concession_not_needed`, `findings_required`,
    /// `material_in_use`, `unknown_material`, `duplicate_material`.
    /// `description` is empty when the refusal does not know it.
    #[error("{msg}")]
    MaterialRule {
        code: String,
        msg: String,
        material_id: String,
        description: String,
    },
    /// `missing` is the code of what the note lacks (`concession_defect`,
    /// `concession_consent`...).
    #[error("{msg}")]
    ConcessionIncomplete {
        code: String,
        msg: String,
        missing: String,
    },
    #[error("{msg}")]
    OldPartNotRecovered {
        code: String,
        msg: String,
        part_code: String,
    },

    // --- acceptance, payment, receipt ---------------------------------------------
    #[error("{msg}")]
    RefusalReasonRequired { code: String, msg: String },
    /// Wait and phone as the service line asks before leaving a note.
    /// A rule of the acceptance details: withheld fault cause, furniture
    /// identity and delivery list (`code` names which).
    #[error("{msg}")]
    AcceptanceRule { code: String, msg: String },
    /// Wait at least 2 minutes or phone the customer before leaving a note.
    #[error("{msg}")]
    MessageNoteTooEarly { code: String, msg: String },
    /// Less than due (`underpaid`), or not exactly the amount due by a method
    /// that gives no change (`not_exact_amount`, with its `method`).
    #[error("{msg}")]
    PaymentRule {
        code: String,
        msg: String,
        method: Option<PaymentMethod>,
        due_fen: i64,
        received_fen: i64,
    },
    #[error("{msg}")]
    ReceiptNumbersExhausted { code: String, msg: String },
    /// A rule of money on site beyond the quote: a disputed charge
    /// (`charge_dispute_open`, `charge_rules_not_explained`,
    /// `reduction_not_below_charge`, `no_open_charge_dispute`,
    /// `charge_already_disputed`, `nothing_to_dispute`, `invalid_charge_code`),
    /// cash not checked and counted (`cash_not_checked`), or an invoice's tax
    /// number (`invalid_tax_number`).
    #[error("{msg}")]
    MoneyRule { code: String, msg: String },
    /// A receipt and the rule it meets: `unknown_receipt`,
    /// `receipt_already_void`, `receipt_not_voided`, `receipt_number_used`,
    /// `receipt_not_standing`, `receipt_not_reissued`.
    #[error("{msg}")]
    ReceiptRule {
        code: String,
        msg: String,
        number: String,
    },

    // --- signature and photos ---------------------------------------------------
    /// Unusable strokes (`invalid_signature`), a signature over other
    /// content (`signature_not_bound`), or none (`not_signed`).
    #[error("{msg}")]
    Signature {
        code: String,
        msg: String,
        detail: String,
    },
    #[error("{msg}")]
    InvalidPhoto {
        code: String,
        msg: String,
        detail: String,
    },

    // --- sync ----------------------------------------------------------------
    /// HQ unreachable; everything stays queued on the device.
    #[error("{msg}")]
    Offline {
        code: String,
        msg: String,
        detail: String,
    },
    /// HQ answered with an error `status`.
    #[error("{msg}")]
    Hq {
        code: String,
        msg: String,
        status: u16,
        detail: String,
    },
    #[error("{msg}")]
    Cancelled { code: String, msg: String },
    /// HQ revoked this device with remote wipe (`wiped`): everything unsynced
    /// was handed in, then the store file was deleted. The shell deletes the
    /// store's key from the keystore/keychain and signs out; this
    /// `Technician` answers only this from now on.
    #[error("{msg}")]
    Wiped { code: String, msg: String },
    /// Arrival and appointment rules: a late arrival without its reason
    /// (`late_reason_required`), a new time without the customer's consent
    /// (`reschedule_consent_required`), a furniture contact not recorded
    /// (`contact_not_recorded`).
    #[error("{msg}")]
    ArrivalRule { code: String, msg: String },

    // --- the device ------------------------------------------------------------
    /// The store file is encrypted with another key than the one passed to
    /// `open` (`wrong_store_key`): nothing was opened, created or changed.
    #[error("{msg}")]
    WrongStoreKey { code: String, msg: String },
    /// The local store failed (`storage`, `store_lock_poisoned`), holds data
    /// it cannot read (`decode`, `corrupt`) or was written by a newer app
    /// (`schema_too_new`).
    #[error("{msg}")]
    Storage {
        code: String,
        msg: String,
        detail: String,
    },
    /// A bug in Onsite (`internal`: a caught panic), or a blocking call on a
    /// current-thread runtime (`blocking_in_runtime`); the app should report it.
    #[error("{msg}")]
    Internal {
        code: String,
        msg: String,
        detail: String,
    },
}

#[uniffi::export]
impl OnsiteError {
    /// The stable code of any case.
    pub fn error_code(&self) -> String {
        self.parts().0.to_string()
    }

    /// The sentence for the technician of any case.
    pub fn error_message(&self) -> String {
        self.parts().1.to_string()
    }
}

impl OnsiteError {
    fn parts(&self) -> (&str, &str) {
        use OnsiteError::*;
        match self {
            InvalidInput { code, msg, .. }
            | UnknownJob { code, msg, .. }
            | DuplicateJob { code, msg, .. }
            | AssignedToAnother { code, msg, .. }
            | StoreOfAnotherTechnician { code, msg, .. }
            | WrongStoreKey { code, msg }
            | AmountOutOfRange { code, msg, .. }
            | IllegalTransition { code, msg, .. }
            | JobCancelled { code, msg, .. }
            | TooLateForHq { code, msg, .. }
            | VisitSealed { code, msg }
            | ChecklistIncomplete { code, msg, .. }
            | ChecklistItemRule { code, msg, .. }
            | InvalidAnswer { code, msg, .. }
            | PhotoNotStored { code, msg, .. }
            | UnknownScheduleCode { code, msg, .. }
            | EmptyQuote { code, msg }
            | QuoteLineRule { code, msg, .. }
            | MaterialRule { code, msg, .. }
            | ConcessionIncomplete { code, msg, .. }
            | OldPartNotRecovered { code, msg, .. }
            | RefusalReasonRequired { code, msg }
            | AcceptanceRule { code, msg }
            | MessageNoteTooEarly { code, msg }
            | PaymentRule { code, msg, .. }
            | ReceiptNumbersExhausted { code, msg }
            | MoneyRule { code, msg }
            | ReceiptRule { code, msg, .. }
            | Signature { code, msg, .. }
            | InvalidPhoto { code, msg, .. }
            | Offline { code, msg, .. }
            | Hq { code, msg, .. }
            | Cancelled { code, msg }
            | Wiped { code, msg }
            | ArrivalRule { code, msg }
            | Storage { code, msg, .. }
            | Internal { code, msg, .. } => (code, msg),
        }
    }

    /// The core's error as the technician reads it in `lang`.
    pub fn from_core(e: Core, lang: Lang) -> Self {
        let code = e.code().to_string();
        let msg = e.message(lang);
        let detail = e.detail().unwrap_or_default();
        match e {
            Core::InvalidInput { field, problem } => OnsiteError::InvalidInput {
                code,
                msg,
                field: field.code().into(),
                problem: problem.code().into(),
            },
            Core::UnknownJob { job_id } => OnsiteError::UnknownJob { code, msg, job_id },
            Core::DuplicateJob { job_id } => OnsiteError::DuplicateJob { code, msg, job_id },
            Core::AssignedToAnother {
                job_id,
                assigned_to,
            } => OnsiteError::AssignedToAnother {
                code,
                msg,
                job_id,
                assigned_to,
            },
            Core::StoreOfAnotherTechnician { owner } => {
                OnsiteError::StoreOfAnotherTechnician { code, msg, owner }
            }
            Core::AmountOutOfRange {
                amount_fen,
                max_fen,
            } => OnsiteError::AmountOutOfRange {
                code,
                msg,
                amount_fen,
                max_fen,
            },
            Core::TotalOverflow => OnsiteError::AmountOutOfRange {
                code,
                msg,
                amount_fen: 0,
                max_fen: onsite_core::money::MAX_TOTAL_FEN,
            },
            Core::IllegalTransition {
                action,
                status,
                rule,
            } => OnsiteError::IllegalTransition {
                code,
                msg,
                action: action.as_str().into(),
                status: status.into(),
                allowed: action.allowed_from().iter().map(|s| (*s).into()).collect(),
                rule: rule.code().into(),
            },
            Core::JobCancelled { reason } => OnsiteError::JobCancelled { code, msg, reason },
            Core::TooLateForHq { decision, status } => OnsiteError::TooLateForHq {
                code,
                msg,
                decision: decision.code().into(),
                status: status.into(),
            },
            Core::VisitSealed => OnsiteError::VisitSealed { code, msg },
            Core::ChecklistIncomplete { phase, items } => OnsiteError::ChecklistIncomplete {
                code,
                msg,
                phase: phase.into(),
                items: items
                    .into_iter()
                    .map(|i| MissingChecklistItem {
                        title: i.label.get(lang).to_string(),
                        item_id: i.id,
                    })
                    .collect(),
            },
            Core::UnknownChecklistItem { item_id, .. }
            | Core::ChecklistItemHidden { item_id, .. } => {
                OnsiteError::ChecklistItemRule { code, msg, item_id }
            }
            Core::OldPartAnswerMismatch { item_id, .. } => {
                OnsiteError::ChecklistItemRule { code, msg, item_id }
            }
            Core::InvalidAnswer {
                item_id,
                label,
                problem,
            } => OnsiteError::InvalidAnswer {
                code,
                msg,
                item_id,
                item_title: label.get(lang).to_string(),
                problem: problem.code().into(),
            },
            Core::PhotoNotStored { sha256 } => OnsiteError::PhotoNotStored { code, msg, sha256 },
            Core::UnknownScheduleCode {
                code: schedule_code,
            } => OnsiteError::UnknownScheduleCode {
                code,
                msg,
                schedule_code,
            },
            Core::EmptyQuote => OnsiteError::EmptyQuote { code, msg },
            Core::OffScheduleNeedsApproval { line_no }
            | Core::ApprovalNotNeeded { line_no }
            | Core::InvalidApprovalCode { line_no }
            | Core::UnknownQuoteLine { line_no } => {
                OnsiteError::QuoteLineRule { code, msg, line_no }
            }
            Core::UnknownMaterial { material_id }
            | Core::DuplicateMaterial { material_id }
            | Core::FindingsRequired { material_id } => OnsiteError::MaterialRule {
                code,
                msg,
                material_id,
                description: String::new(),
            },
            Core::InspectionRequired {
                material_id,
                description,
            }
            | Core::ConcessionRequired {
                material_id,
                description,
            }
            | Core::ConcessionNotNeeded {
                material_id,
                description,
            }
            | Core::MaterialInUse {
                material_id,
                description,
            } => OnsiteError::MaterialRule {
                code,
                msg,
                material_id,
                description,
            },
            Core::ConcessionIncomplete { missing } => OnsiteError::ConcessionIncomplete {
                code,
                msg,
                missing: missing.code().into(),
            },
            Core::OldPartNotRecovered { part_code } => OnsiteError::OldPartNotRecovered {
                code,
                msg,
                part_code,
            },
            Core::RefusalReasonRequired => OnsiteError::RefusalReasonRequired { code, msg },
            Core::MessageNoteTooEarly { .. } => OnsiteError::MessageNoteTooEarly { code, msg },
            Core::LateReasonRequired { .. }
            | Core::RescheduleConsentRequired
            | Core::ContactNotRecorded { .. } => OnsiteError::ArrivalRule { code, msg },
            Core::Underpaid {
                due_fen,
                received_fen,
            } => OnsiteError::PaymentRule {
                code,
                msg,
                method: None,
                due_fen,
                received_fen,
            },
            Core::NotExactAmount {
                method,
                due_fen,
                received_fen,
            } => OnsiteError::PaymentRule {
                code,
                msg,
                method: Some(method.into()),
                due_fen,
                received_fen,
            },
            Core::ReceiptNumbersExhausted => OnsiteError::ReceiptNumbersExhausted { code, msg },
            Core::ChargeRulesNotExplained
            | Core::ReductionNotBelowCharge { .. }
            | Core::ChargeDisputeOpen
            | Core::NoOpenChargeDispute
            | Core::ChargeAlreadyDisputed
            | Core::NothingToDispute
            | Core::InvalidChargeCode
            | Core::CashNotChecked
            | Core::InvalidTaxNumber { .. } => OnsiteError::MoneyRule { code, msg },
            Core::UnknownReceipt { number }
            | Core::ReceiptAlreadyVoid { number }
            | Core::ReceiptNotVoided { number }
            | Core::ReceiptNumberUsed { number }
            | Core::ReceiptNotStanding { number }
            | Core::ReceiptNotReissued { number } => OnsiteError::ReceiptRule { code, msg, number },
            Core::Signature(_) | Core::SignatureNotBound | Core::NotSigned { .. } => {
                OnsiteError::Signature { code, msg, detail }
            }
            Core::Photo(_) => OnsiteError::InvalidPhoto { code, msg, detail },
            Core::Offline { .. } => OnsiteError::Offline { code, msg, detail },
            Core::Hq { status, .. } => OnsiteError::Hq {
                code,
                msg,
                status,
                detail,
            },
            Core::Cancelled => OnsiteError::Cancelled { code, msg },
            Core::Wiped => OnsiteError::Wiped { code, msg },
            Core::BlockingInRuntime => OnsiteError::Internal { code, msg, detail },
            Core::WrongStoreKey => OnsiteError::WrongStoreKey { code, msg },
            Core::Storage(_)
            | Core::StoreLockPoisoned
            | Core::Decode(_)
            | Core::Corrupt { .. }
            | Core::SchemaTooNew { .. } => OnsiteError::Storage { code, msg, detail },
            Core::NothingWithheld
            | Core::WithheldNotFilled
            | Core::IdentityNotChecked
            | Core::UnknownDeliveryItem { .. }
            | Core::DeliveryItemsUndecided { .. } => OnsiteError::AcceptanceRule { code, msg },
        }
    }

    /// A bug: a panic or a vanished worker. Told in `lang` like every error.
    fn internal(detail: String, lang: Lang) -> Self {
        OnsiteError::Internal {
            code: "internal".into(),
            msg: match lang {
                Lang::ZhCn => "应用内部出错,请重试;如果反复出现,请联系客服中心。".into(),
                Lang::En => "Something went wrong inside the app; try again, and contact the service centre if it keeps happening.".into(),
            },
            detail,
        }
    }
}

pub type Result<T> = std::result::Result<T, OnsiteError>;

/// Runs `f` at the boundary: a core error becomes the public one, told in
/// `lang`; a panic becomes [`OnsiteError::Internal`], so none crosses it.
pub fn guard<T>(lang: Lang, f: impl FnOnce() -> onsite_core::Result<T>) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r.map_err(|e| OnsiteError::from_core(e, lang)),
        Err(p) => Err(OnsiteError::internal(panic_text(p), lang)),
    }
}

/// Awaits `fut` (from any executor: Kotlin coroutines, Swift tasks) as
/// [`guard`] runs a synchronous call: its error told in `lang`, a panic while
/// polling it an [`OnsiteError::Internal`]. The core's async calls run their
/// work on the core's one runtime and resume a panic in the awaiting future;
/// this catches it.
pub async fn guard_async<T>(
    lang: Lang,
    fut: impl std::future::Future<Output = onsite_core::Result<T>>,
) -> Result<T> {
    use std::task::Poll;
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(|cx| {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(r)) => Poll::Ready(r.map_err(|e| OnsiteError::from_core(e, lang))),
            // A panicked future is never polled again: this is its result.
            Err(p) => Poll::Ready(Err(OnsiteError::internal(panic_text(p), lang))),
        }
    })
    .await
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(std::string::ToString::to_string)
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic in Onsite".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use onsite_core::checklist::{MissingItem, Phase};
    use onsite_core::locale::Text;
    use onsite_core::visit::Action;
    use onsite_core::visit::Status;

    #[test]
    fn a_panic_becomes_an_internal_error_with_its_message() {
        let r: Result<()> = guard(Lang::ZhCn, || panic!("index out of bounds"));
        match r {
            Err(OnsiteError::Internal { code, msg, detail }) => {
                assert_eq!(code, "internal");
                assert!(detail.contains("index out of bounds"));
                assert!(
                    !msg.contains("index"),
                    "the technician is not shown the panic"
                );
            }
            other => panic!("expected Internal, got {other:?}"),
        }
    }

    #[test]
    fn a_refusal_keeps_its_code_fields_and_the_technicians_language() {
        let incomplete = || {
            Err::<(), _>(Core::ChecklistIncomplete {
                phase: Phase::BeforeLeaving,
                items: vec![MissingItem {
                    id: "tools_ready".into(),
                    label: Text::new("工具齐全、完好", "Tools complete and in working order"),
                }],
            })
        };
        match guard(Lang::ZhCn, incomplete) {
            Err(e @ OnsiteError::ChecklistIncomplete { .. }) => {
                assert_eq!(e.error_code(), "checklist_incomplete");
                assert!(e.error_message().contains("工具齐全、完好"));
                let OnsiteError::ChecklistIncomplete { phase, items, .. } = e else {
                    unreachable!()
                };
                assert_eq!(phase, ChecklistPhase::BeforeLeaving);
                assert_eq!(
                    items,
                    vec![MissingChecklistItem {
                        item_id: "tools_ready".into(),
                        title: "工具齐全、完好".into()
                    }]
                );
            }
            other => panic!("{other:?}"),
        }
        match guard(Lang::En, incomplete) {
            Err(OnsiteError::ChecklistIncomplete { msg, items, .. }) => {
                assert!(msg.contains("Tools complete"), "{msg}");
                assert_eq!(items[0].title, "Tools complete and in working order");
            }
            other => panic!("{other:?}"),
        }
        let e = OnsiteError::from_core(
            Core::IllegalTransition {
                action: Action::Arrive,
                status: Status::Dispatched,
                rule: onsite_core::error::Rule::WrongStatus,
            },
            Lang::ZhCn,
        );
        assert!(matches!(
            &e,
            OnsiteError::IllegalTransition { action, status: JobStatus::Dispatched, rule, allowed, .. }
                if action == "arrive" && rule == "wrong_status" && allowed == &[JobStatus::EnRoute]
        ));
        assert_eq!(e.to_string(), e.error_message());
    }

    #[test]
    fn an_async_call_that_panics_is_an_error_not_an_abort() {
        let r: Result<u8> =
            futures_executor::block_on(guard_async(Lang::En, async { panic!("boom") }));
        assert!(matches!(r, Err(OnsiteError::Internal { detail, .. }) if detail == "boom"));
    }

    #[test]
    fn a_panic_on_the_core_runtime_is_an_internal_error_too() {
        let r: Result<u8> = futures_executor::block_on(guard_async(Lang::ZhCn, async {
            let joined =
                onsite_core::sync::runtime::spawn_blocking(|| -> u8 { panic!("on a pool thread") })
                    .await?;
            Ok(joined.unwrap_or_else(|p| std::panic::resume_unwind(p)))
        }));
        assert!(
            matches!(r, Err(OnsiteError::Internal { detail, .. }) if detail == "on a pool thread")
        );
    }

    #[test]
    fn an_async_core_error_is_told_in_the_technicians_language() {
        let r: Result<u8> = futures_executor::block_on(guard_async(Lang::En, async {
            Err(Core::Offline {
                reason: "connection refused".into(),
            })
        }));
        match r {
            Err(OnsiteError::Offline { code, msg, detail }) => {
                assert_eq!(code, "offline");
                assert!(msg.starts_with("HQ cannot be reached"), "{msg}");
                assert_eq!(detail, "connection refused");
            }
            other => panic!("{other:?}"),
        }
    }
}
