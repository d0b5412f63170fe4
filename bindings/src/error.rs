//! The one error type Kotlin and Swift see: an exception/error per kind of
//! core error, each with the core's message. No rule is decided here.
//!
//! It is a *flat* error: the shells get the kind (the Kotlin exception class,
//! the Swift enum case) and the core's message as the exception's message.
//! The structured parts (which checklist items are missing, the job's status)
//! are on the records the app already reads (`Checklist::missing_required`,
//! `JobDetail::status`), so nothing is lost by not repeating them here.

use onsite_core::Error as Core;

#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
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

pub type Result<T> = std::result::Result<T, OnsiteError>;

/// Runs `f`, turning a panic into [`OnsiteError::Internal`] so none crosses the boundary.
pub fn guard<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|p| Err(internal(p)))
}

/// Awaits `fut` (from any executor: Kotlin coroutines, Swift tasks), turning
/// a panic while polling it into [`OnsiteError::Internal`], as [`guard`] does
/// for synchronous calls. The core's async calls run their work on the core's
/// one runtime and resume a panic in the awaiting future; this catches it.
pub async fn guard_async<T>(fut: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(|cx| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fut.as_mut().poll(cx)))
            // A panicked future is never polled again: this is its result.
            .unwrap_or_else(|p| std::task::Poll::Ready(Err(internal(p))))
    })
    .await
}

fn internal(p: Box<dyn std::any::Any + Send>) -> OnsiteError {
    OnsiteError::Internal {
        message: p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic in Onsite".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_internal_error_with_its_message() {
        let r: Result<()> = guard(|| panic!("index out of bounds"));
        match r {
            Err(OnsiteError::Internal { message }) => {
                assert!(message.contains("index out of bounds"))
            }
            other => panic!("expected Internal, got {other:?}"),
        }
    }

    #[test]
    fn core_kinds_keep_their_kind_and_message() {
        let e = OnsiteError::from(Core::JobCancelled {
            reason: "客户取消".into(),
        });
        assert!(
            matches!(&e, OnsiteError::JobCancelled { message } if message.contains("客户取消"))
        );
        let e = OnsiteError::from(Core::VisitSealed);
        assert!(matches!(e, OnsiteError::VisitSealed { .. }));
    }

    #[test]
    fn an_async_call_that_panics_is_an_error_not_an_abort() {
        let r: Result<u8> = futures_executor_lite(guard_async(async { panic!("boom") }));
        assert!(matches!(r, Err(OnsiteError::Internal { message }) if message == "boom"));
    }

    #[test]
    fn a_panic_on_the_core_runtime_is_an_internal_error_too() {
        let r: Result<u8> = futures_executor_lite(guard_async(async {
            let joined =
                onsite_core::sync::runtime::spawn_blocking(|| -> u8 { panic!("on a pool thread") })
                    .await?;
            Ok(joined.unwrap_or_else(|p| std::panic::resume_unwind(p)))
        }));
        assert!(
            matches!(r, Err(OnsiteError::Internal { message }) if message == "on a pool thread")
        );
    }

    /// Polls a future to completion on this thread (the bindings have no executor of their own).
    fn futures_executor_lite<F: std::future::Future>(f: F) -> F::Output {
        use std::task::{Context, Poll, Wake, Waker};
        struct Unpark(std::thread::Thread);
        impl Wake for Unpark {
            fn wake(self: std::sync::Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut f = std::pin::pin!(f);
        loop {
            match f.as_mut().poll(&mut cx) {
                Poll::Ready(v) => return v,
                Poll::Pending => std::thread::park(),
            }
        }
    }
}
