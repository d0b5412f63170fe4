//! The service centre's work (客服中心), which its people do in the console
//! ([`crate::console`]): a module per domain noun, each with its rules, the
//! records its rules read and write (`XRecords`, implemented per database in
//! `storage/sqlite/` and `storage/postgres/`) and its operations on HQ's
//! database (`XStore`, which [`crate::Storage`] includes). Rules live here
//! and in [`crate::rules`], never in a page.

pub mod access;
pub mod approvals;
pub mod audit;
pub mod complaints;
pub mod desk;
pub mod dossier;
pub mod fleet;
pub mod followups;
pub mod leaks;
pub mod people;
pub mod phone_data;
pub mod reconciliation;
pub mod reports;
pub mod retention;
