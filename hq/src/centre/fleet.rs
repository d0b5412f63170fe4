//! Technicians and their devices as the console manages them: enrollment codes, revocation, last sync and pending ops.

/// What the rules of this module read and write inside one transaction;
/// each database implements it in its own SQL (`storage/sqlite/fleet.rs`,
/// `storage/postgres/fleet.rs`).
#[allow(async_fn_in_trait)] // crate-private: every caller names the concrete type.
pub(crate) trait FleetRecords {}

/// This module's operations on HQ's database, each one transaction.
#[async_trait::async_trait]
pub trait FleetStore {}

/// The `impl FleetStore` each database module invokes with its own `rule!` in scope.
macro_rules! fleet_operations {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::centre::fleet::FleetStore for $ty {}
    };
}
pub(crate) use fleet_operations;
