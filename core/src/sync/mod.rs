//! Sync with HQ (specified in docs/SYNC.md): the protocol types shared with the
//! HQ server, the rules for applying HQ's answers locally, and the HTTP client.

pub mod apply;
pub mod client;
pub mod encoding;
pub mod http;
pub mod protocol;
pub mod runtime;
pub mod upload;

pub use apply::{Ack, Conflict};
pub use client::{CancelHandle, SyncClient, SyncConfig, SyncListener, SyncReport, SyncState};
pub use http::{HttpBackend, HttpHeader, HttpRequest, HttpResponse, Transport};
#[cfg(feature = "reqwest")]
pub use runtime::ensure_tls_provider;

/// A place inside a sync where the crash-safety test kills the process
/// (`tests/tests/crash_safety.rs`): between HQ's answer and the phone's
/// acknowledgement, or inside a transaction before its commit, where a
/// SIGKILL timed from outside would almost never land.
///
/// With `ONSITE_CRASH_AT=<point>:<n>` in the environment, the n-th pass of
/// `point` prints `crash-point <point> <n>` on stdout and waits for the kill.
/// Debug builds only: release builds compile it to nothing.
#[cfg(debug_assertions)]
pub fn crash_point(point: &str) {
    use std::io::Write;
    use std::sync::atomic::{AtomicU64, Ordering};
    static PASSES: AtomicU64 = AtomicU64::new(0);
    let Ok(at) = std::env::var("ONSITE_CRASH_AT") else {
        return;
    };
    let Some((name, n)) = at.split_once(':') else {
        return;
    };
    if name != point || n.parse() != Ok(PASSES.fetch_add(1, Ordering::SeqCst) + 1) {
        return;
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "crash-point {point} {n}");
    let _ = out.flush();
    drop(out);
    std::thread::sleep(std::time::Duration::from_secs(120));
}

/// Release builds: no crash points.
#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn crash_point(_point: &str) {}
