//! A technician's day handed in and reconciled: receipts and money against what was handed in, confirmed by a manager.

/// What the rules of this module read and write inside one transaction;
/// each database implements it in its own SQL (`storage/sqlite/reconciliation.rs`,
/// `storage/postgres/reconciliation.rs`).
#[allow(async_fn_in_trait)] // crate-private: every caller names the concrete type.
pub(crate) trait ReconciliationRecords {}

/// This module's operations on HQ's database, each one transaction.
#[async_trait::async_trait]
pub trait ReconciliationStore {}

/// The `impl ReconciliationStore` each database module invokes with its own `rule!` in scope.
macro_rules! reconciliation_operations {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::centre::reconciliation::ReconciliationStore for $ty {}
    };
}
pub(crate) use reconciliation_operations;
