//! onsite-ffi: the uniffi facade over `onsite-core` for the Kotlin and Swift
//! shells. A thin adapter: records and enums converted one-to-one, one object
//! per signed-in technician, one error enum that keeps the core's kinds,
//! callbacks for sync progress and for job changes, async functions for
//! network I/O (run on the core's one tokio runtime). No domain
//! rule lives here; if a shell would need an `if` about the domain, it
//! belongs in core.

mod error;
mod records;
mod technician;

pub use error::OnsiteError;
pub use records::*;
pub use technician::{enroll, JobsObserver, SignedInTechnician, SyncObserver};

uniffi::setup_scaffolding!();
