//! Approvals a supervisor gives an offline technician by phone: off-schedule quote lines and disputed charges, each a code bound to order, line and amount.

/// What the rules of this module read and write inside one transaction;
/// each database implements it in its own SQL (`storage/sqlite/approvals.rs`,
/// `storage/postgres/approvals.rs`).
#[allow(async_fn_in_trait)] // crate-private: every caller names the concrete type.
pub(crate) trait ApprovalsRecords {}

/// This module's operations on HQ's database, each one transaction.
#[async_trait::async_trait]
pub trait ApprovalsStore {}

/// The `impl ApprovalsStore` each database module invokes with its own `rule!` in scope.
macro_rules! approvals_operations {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::centre::approvals::ApprovalsStore for $ty {}
    };
}
pub(crate) use approvals_operations;
