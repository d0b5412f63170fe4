//! The daily repair summary (每日报修记录汇总表) and the monthly figures a manager reads.

/// What the rules of this module read and write inside one transaction;
/// each database implements it in its own SQL (`storage/sqlite/reports.rs`,
/// `storage/postgres/reports.rs`).
#[allow(async_fn_in_trait)] // crate-private: every caller names the concrete type.
pub(crate) trait ReportsRecords {}

/// This module's operations on HQ's database, each one transaction.
#[async_trait::async_trait]
pub trait ReportsStore {}

/// The `impl ReportsStore` each database module invokes with its own `rule!` in scope.
macro_rules! reports_operations {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::centre::reports::ReportsStore for $ty {}
    };
}
pub(crate) use reports_operations;
