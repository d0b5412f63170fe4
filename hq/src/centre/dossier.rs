//! An order's whole file, as the order page shows it: what the phone
//! recorded, its receipts and voids, follow-ups, complaints and photos.

/// What the rules of this module read and write inside one transaction;
/// each database implements it in its own SQL (`storage/sqlite/dossier.rs`,
/// `storage/postgres/dossier.rs`).
#[allow(async_fn_in_trait)] // crate-private: every caller names the concrete type.
pub(crate) trait DossierRecords {}

/// This module's operations on HQ's database, each one transaction.
#[async_trait::async_trait]
pub trait DossierStore {}

/// The `impl DossierStore` each database module invokes with its own `rule!` in scope.
macro_rules! dossier_operations {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::centre::dossier::DossierStore for $ty {}
    };
}
pub(crate) use dossier_operations;
