//! Onsite core: everything a field technician does on site, stored on the phone.
//!
//! The crate is organised by domain nouns (see `docs/ARCHITECTURE.md`):
//!
//! - the work order and the visit workflow: [`order`], [`visit`], [`checklist`],
//!   [`punctuality`], [`quote`], [`material`], [`payment`], [`receipt`];
//! - the crash-safe local [`store`] with its outbox, the [`sync`] protocol, and
//!   [`changes`], which tells the shells which jobs a write touched;
//! - the documents the customer keeps: [`signature`], [`documents`], [`photo`].
//!
//! [`Technician`] is the public object: one per signed-in technician, with a
//! method for each thing the technician does.

// SQLCipher, linked through rusqlite, calls the store's crypto provider by
// name (`onsite_sqlcipher_setup`): naming the crate here links it into every
// binary that links this one.
use onsite_store_crypto as _;

pub mod changes;
pub mod charge;
pub mod checklist;
pub mod clock;
pub mod documents;
pub mod error;
pub mod locale;
pub mod material;
pub mod money;
pub mod order;
pub mod payment;
pub mod photo;
pub mod privacy;
pub mod punctuality;
pub mod quote;
pub mod receipt;
/// Sample orders, profile and answers for the demo, tests and benchmarks;
/// not part of the production API (feature `sample`).
#[cfg(any(test, feature = "sample"))]
pub mod sample;
pub mod service_line;
pub mod signature;
pub mod store;
pub mod sync;
pub mod technician;
pub mod visit;

pub use error::{Error, Result};
pub use store::StoreKey;
pub use technician::{AcceptanceInput, JobSummary, Profile, SignInput, Technician};
