//! onsite-ffi: the uniffi facade over `onsite-core` for the Kotlin and Swift
//! shells. A thin adapter: records and enums converted one-to-one, one object
//! per signed-in technician, one error enum that keeps the core's kinds,
//! callbacks for sync progress and for job changes, async functions for
//! network I/O (run on the core's one tokio runtime) over the HTTP backend
//! the shell passes in (the platform's own stack). No domain
//! rule lives here; if a shell would need an `if` about the domain, it
//! belongs in core.

mod error;
mod http;
mod records;
mod technician;

pub use error::{MissingChecklistItem, OnsiteError};
pub use http::{HttpBackend, HttpError, HttpHeader, HttpRequest, HttpResponse};
pub use records::*;
pub use technician::{enroll, JobsObserver, SignedInTechnician, SyncObserver};

uniffi::setup_scaffolding!();
