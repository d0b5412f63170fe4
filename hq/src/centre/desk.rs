//! The front desk: calls and visits received (每日业户接待情况表), orders written from them, the unassigned queue, order search and the dispatch board.

/// What the rules of this module read and write inside one transaction;
/// each database implements it in its own SQL (`storage/sqlite/desk.rs`,
/// `storage/postgres/desk.rs`).
#[allow(async_fn_in_trait)] // crate-private: every caller names the concrete type.
pub(crate) trait DeskRecords {}

/// This module's operations on HQ's database, each one transaction.
#[async_trait::async_trait]
pub trait DeskStore {}

/// The `impl DeskStore` each database module invokes with its own `rule!` in scope.
macro_rules! desk_operations {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::centre::desk::DeskStore for $ty {}
    };
}
pub(crate) use desk_operations;
