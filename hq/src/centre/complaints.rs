//! Complaints (顾客投诉记录) recorded at the service centre, their clocks by the books, each handling step, and the complainant's mark.

/// What the rules of this module read and write inside one transaction;
/// each database implements it in its own SQL (`storage/sqlite/complaints.rs`,
/// `storage/postgres/complaints.rs`).
#[allow(async_fn_in_trait)] // crate-private: every caller names the concrete type.
pub(crate) trait ComplaintsRecords {}

/// This module's operations on HQ's database, each one transaction.
#[async_trait::async_trait]
pub trait ComplaintsStore {}

/// The `impl ComplaintsStore` each database module invokes with its own `rule!` in scope.
macro_rules! complaints_operations {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::centre::complaints::ComplaintsStore for $ty {}
    };
}
pub(crate) use complaints_operations;
