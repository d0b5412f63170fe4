//! The one error type Kotlin and Swift see: an exception/error per kind of
//! core error, each with the core's message. No rule is decided here.

use onsite_core::Error as Core;

#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum OnsiteError {
    #[error("{message}")]
    InvalidInput { message: String },
    #[error("{message}")]
    UnknownJob { message: String },
    #[error("{message}")]
    DuplicateJob { message: String },
    #[error("{message}")]
    AmountOutOfRange { message: String },
    #[error("{message}")]
    IllegalTransition {
        message: String,
        status: String,
        rule: String,
    },
    #[error("{message}")]
    JobCancelled { message: String },
    #[error("{message}")]
    TooLateForHq { message: String },
    #[error("{message}")]
    VisitSealed { message: String },
    #[error("{message}")]
    ChecklistIncomplete {
        message: String,
        phase: String,
        items: Vec<String>,
    },
    #[error("{message}")]
    UnknownChecklistItem { message: String },
    #[error("{message}")]
    InvalidAnswer { message: String },
    #[error("{message}")]
    QuoteRule { message: String },
    #[error("{message}")]
    OffScheduleNeedsApproval { message: String },
    #[error("{message}")]
    InvalidApprovalCode { message: String },
    #[error("{message}")]
    InspectionRequired { message: String },
    #[error("{message}")]
    ConcessionRequired { message: String },
    #[error("{message}")]
    MaterialRule { message: String },
    #[error("{message}")]
    OldPartNotRecovered { message: String },
    #[error("{message}")]
    AcceptanceIncomplete { message: String },
    #[error("{message}")]
    PaymentRule { message: String },
    #[error("{message}")]
    ReceiptRule { message: String },
    #[error("{message}")]
    Signature { message: String },
    #[error("{message}")]
    Offline { message: String },
    #[error("{message}")]
    Hq { message: String, status: u16 },
    #[error("{message}")]
    Cancelled { message: String },
    #[error("{message}")]
    Storage { message: String },
    /// A bug in Onsite (a caught panic); the app should report it.
    #[error("{message}")]
    Internal { message: String },
}

impl From<Core> for OnsiteError {
    fn from(e: Core) -> Self {
        let message = e.to_string();
        match e {
            Core::InvalidInput { .. } => OnsiteError::InvalidInput { message },
            Core::UnknownJob { .. } => OnsiteError::UnknownJob { message },
            Core::DuplicateJob { .. } => OnsiteError::DuplicateJob { message },
            Core::AmountOutOfRange { .. } | Core::TotalOverflow => {
                OnsiteError::AmountOutOfRange { message }
            }
            Core::IllegalTransition { status, rule, .. } => OnsiteError::IllegalTransition {
                message,
                status: status.as_str().to_string(),
                rule,
            },
            Core::JobCancelled { .. } => OnsiteError::JobCancelled { message },
            Core::TooLateForHq { .. } => OnsiteError::TooLateForHq { message },
            Core::VisitSealed => OnsiteError::VisitSealed { message },
            Core::ChecklistIncomplete { phase, items } => OnsiteError::ChecklistIncomplete {
                message,
                phase,
                items,
            },
            Core::UnknownChecklistItem { .. } | Core::ChecklistItemHidden { .. } => {
                OnsiteError::UnknownChecklistItem { message }
            }
            Core::InvalidAnswer { .. } => OnsiteError::InvalidAnswer { message },
            Core::UnknownScheduleCode { .. } | Core::UnknownQuoteLine { .. } | Core::EmptyQuote => {
                OnsiteError::QuoteRule { message }
            }
            Core::OffScheduleNeedsApproval { .. } => {
                OnsiteError::OffScheduleNeedsApproval { message }
            }
            Core::InvalidApprovalCode { .. } => OnsiteError::InvalidApprovalCode { message },
            Core::InspectionRequired { .. } => OnsiteError::InspectionRequired { message },
            Core::ConcessionRequired { .. } => OnsiteError::ConcessionRequired { message },
            Core::UnknownMaterial { .. }
            | Core::ConcessionIncomplete { .. }
            | Core::MaterialRule { .. } => OnsiteError::MaterialRule { message },
            Core::OldPartNotRecovered { .. } => OnsiteError::OldPartNotRecovered { message },
            Core::AcceptanceIncomplete { .. } => OnsiteError::AcceptanceIncomplete { message },
            Core::Underpaid { .. } | Core::NotExactAmount { .. } => {
                OnsiteError::PaymentRule { message }
            }
            Core::ReceiptNumbersExhausted { .. } | Core::ReceiptRule { .. } => {
                OnsiteError::ReceiptRule { message }
            }
            Core::Signature { .. } => OnsiteError::Signature { message },
            Core::Offline { .. } => OnsiteError::Offline { message },
            Core::Hq { status, .. } => OnsiteError::Hq { message, status },
            Core::Cancelled => OnsiteError::Cancelled { message },
            Core::Storage { .. } | Core::Corrupt { .. } | Core::SchemaTooNew { .. } => {
                OnsiteError::Storage { message }
            }
        }
    }
}

impl From<onsite_core::signature::SignatureError> for OnsiteError {
    fn from(e: onsite_core::signature::SignatureError) -> Self {
        OnsiteError::from(Core::from(e))
    }
}

pub type Result<T> = std::result::Result<T, OnsiteError>;

/// Runs `f`, turning a panic into [`OnsiteError::Internal`] so none crosses the boundary.
pub fn guard<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => Err(OnsiteError::Internal {
            message: p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic in Onsite".into()),
        }),
    }
}

/// Runs blocking work on its own thread and awaits it from any executor
/// (Kotlin coroutines, Swift tasks): the store and the sync client block.
pub async fn off_thread<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let (tx, rx) = futures_channel::oneshot::channel();
    std::thread::Builder::new()
        .name("onsite-io".into())
        .spawn(move || {
            let _ = tx.send(guard(f));
        })
        .map_err(|e| OnsiteError::Internal {
            message: e.to_string(),
        })?;
    rx.await.unwrap_or_else(|_| {
        Err(OnsiteError::Internal {
            message: "the worker thread vanished".into(),
        })
    })
}
