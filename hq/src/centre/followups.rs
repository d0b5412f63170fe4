//! Follow-up calls (回访记录表): the queue by the books' due times, each call recorded, closed or turned into a revisit order.

/// What the rules of this module read and write inside one transaction;
/// each database implements it in its own SQL (`storage/sqlite/followups.rs`,
/// `storage/postgres/followups.rs`).
#[allow(async_fn_in_trait)] // crate-private: every caller names the concrete type.
pub(crate) trait FollowupsRecords {}

/// This module's operations on HQ's database, each one transaction.
#[async_trait::async_trait]
pub trait FollowupsStore {}

/// The `impl FollowupsStore` each database module invokes with its own `rule!` in scope.
macro_rules! followups_operations {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::centre::followups::FollowupsStore for $ty {}
    };
}
pub(crate) use followups_operations;
