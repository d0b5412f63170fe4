//! One tokio runtime (and, with reqwest, one HTTP client) for the whole process.
//!
//! A phone app talks to one HQ: a runtime and a connection pool per call (or
//! per [`SyncClient`](super::SyncClient)) only cost threads, TLS set-up and
//! sockets. Both are built lazily on first use and live until the process
//! exits, so a pooled connection never outlives the runtime that drives it.
//!
//! Three ways in, for three kinds of caller:
//! - [`spawn`]: async callers on any executor (Kotlin coroutines, Swift tasks,
//!   another tokio runtime). The work runs on this runtime; the caller awaits
//!   a `JoinHandle`, which needs no tokio context to be polled.
//! - [`spawn_blocking`]: the store is synchronous SQLite; async code hands it
//!   to the runtime's blocking pool instead of stalling a worker.
//! - [`block_on`]: synchronous callers (the CLI, tests, the bench). It never
//!   panics when called from inside a runtime, see its doc.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Handle, Runtime, RuntimeFlavor};

use crate::error::{Error, Result};

/// A panic caught on the runtime, with its payload, so that the caller can
/// resume it (core) or report it (the FFI turns it into an internal error).
pub type Panicked = Box<dyn std::any::Any + Send + 'static>;

/// Connection set-up is bounded here; the whole request is bounded per
/// [`SyncConfig::request_timeout_ms`](super::SyncConfig) on each request.
#[cfg(feature = "reqwest")]
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

static RUNTIME: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();
#[cfg(feature = "reqwest")]
static HTTP: OnceLock<std::result::Result<reqwest::Client, String>> = OnceLock::new();

/// The process-wide runtime: two workers for network I/O (a phone syncs with
/// one HQ), a bounded blocking pool for store work.
pub fn runtime() -> Result<&'static Runtime> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .max_blocking_threads(16)
                .thread_name("onsite-runtime")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Error::Offline {
            reason: format!("cannot start the sync runtime: {e}"),
        })
}

/// Makes ring the process's TLS crypto unless the program already chose one.
///
/// The core's reqwest is built without a crypto provider of its own (ring,
/// not aws-lc: a fraction of the size and no CMake in cross-builds): every
/// reqwest client in the product is built after this. A program that
/// installed its own provider keeps it (the call is then a no-op). The phone
/// library has no reqwest at all (see [`super::http`]).
#[cfg(feature = "reqwest")]
pub fn ensure_tls_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Err only when another thread installed one first: that one stands.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// The process-wide HTTP client (rustls, one connection pool). Cloning it is
/// cheap and shares the pool; timeouts and the token are set per request.
/// It decodes no bodies itself: the sync client asks for and decodes its
/// codings, whatever the transport (see [`super::encoding`]), so another
/// crate switching on reqwest's decoders changes nothing here.
#[cfg(feature = "reqwest")]
pub fn http() -> Result<reqwest::Client> {
    HTTP.get_or_init(|| {
        ensure_tls_provider();
        reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .no_gzip()
            .no_zstd()
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .cloned()
    .map_err(|e| Error::Offline {
        reason: format!("cannot build the HTTP client: {e}"),
    })
}

/// Runs `fut` on the shared runtime and awaits it from any executor. A panic
/// in `fut` comes back as `Err` instead of unwinding through the caller.
pub async fn spawn<F>(fut: F) -> Result<std::result::Result<F::Output, Panicked>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handle = runtime()?.spawn(fut);
    Ok(joined(handle.await))
}

/// Runs blocking `f` (store work) on the shared runtime's blocking pool and
/// awaits it from any executor; a panic comes back as `Err`.
pub async fn spawn_blocking<F, R>(f: F) -> Result<std::result::Result<R, Panicked>>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let handle = runtime()?.spawn_blocking(f);
    Ok(joined(handle.await))
}

fn joined<T>(
    r: std::result::Result<T, tokio::task::JoinError>,
) -> std::result::Result<T, Panicked> {
    r.map_err(|e| match e.try_into_panic() {
        Ok(payload) => payload,
        // Only a runtime shutting down cancels a task, and this one never does;
        // report it like a panic rather than invent a result.
        Err(e) => Box::new(format!("the task was cancelled: {e}")) as Panicked,
    })
}

/// Runs `fut` to completion on the shared runtime, blocking this thread.
///
/// `Runtime::block_on` panics inside another runtime, and the blocking API
/// is called from tests and tools that may be async themselves, so:
/// - outside any runtime (the CLI, plain threads, `spawn_blocking` threads):
///   runs `fut` here;
/// - on a multi-thread runtime: `block_in_place` hands this worker's other
///   tasks to another thread first, then runs `fut` here;
/// - on a current-thread runtime: blocking would stall the only thread that
///   drives that runtime (and anything on it, e.g. a test's HQ server), so it
///   returns [`Error::BlockingInRuntime`] telling the caller to await the async
///   API instead. A typed error, never a panic or a silent deadlock.
pub fn block_on<F: Future>(fut: F) -> Result<F::Output> {
    let rt = runtime()?;
    let flavor = match Handle::try_current() {
        Err(_) => return Ok(rt.block_on(fut)),
        Ok(h) => h.runtime_flavor(),
    };
    if flavor != RuntimeFlavor::MultiThread {
        return Err(not_here());
    }
    // `block_in_place` still panics before running anything in the few
    // contexts the flavor does not reveal (a `LocalSet`, a multi-thread
    // handle entered from a current-thread runtime): catch exactly that, and
    // let a panic of `fut` itself unwind as it would have.
    let started = std::cell::Cell::new(false);
    let mut fut = Some(fut);
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        tokio::task::block_in_place(|| {
            started.set(true);
            fut.take().map(|f| rt.block_on(f))
        })
    }));
    match run {
        Ok(Some(out)) => Ok(out),
        Ok(None) => Err(not_here()),
        Err(p) if started.get() => std::panic::resume_unwind(p),
        Err(_) => Err(not_here()),
    }
}

fn not_here() -> Error {
    Error::BlockingInRuntime
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn one_runtime_and_one_client_for_the_process() {
        let a = runtime().unwrap() as *const Runtime;
        let b = runtime().unwrap() as *const Runtime;
        assert_eq!(a, b);
        #[cfg(feature = "reqwest")]
        assert!(http().is_ok());
    }

    #[test]
    fn block_on_outside_a_runtime_runs_the_future() {
        assert_eq!(block_on(async { 7 }).unwrap(), 7);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn block_on_inside_a_multi_thread_runtime_works() {
        let out = block_on(async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            8
        });
        assert_eq!(out.unwrap(), 8);
    }

    #[tokio::test]
    async fn block_on_inside_a_current_thread_runtime_is_a_typed_error() {
        match block_on(async { 9 }) {
            Err(Error::BlockingInRuntime) => {}
            other => panic!("expected BlockingInRuntime, got {other:?}"),
        }
    }

    #[test]
    fn block_on_inside_a_local_set_is_a_typed_error() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        let r = local.block_on(&rt, async { block_on(async { 1 }) });
        assert!(matches!(r, Err(Error::BlockingInRuntime)));
    }

    #[test]
    fn block_on_from_a_spawn_blocking_thread_works() {
        let r = runtime()
            .unwrap()
            .block_on(async { tokio::task::spawn_blocking(|| block_on(async { 3 })).await })
            .unwrap();
        assert_eq!(r.unwrap(), 3);
    }

    #[test]
    fn spawned_work_is_awaitable_from_a_foreign_executor_and_panics_come_back() {
        let ok = futures_executor::block_on(spawn(async { 5 })).unwrap();
        assert_eq!(ok.unwrap(), 5);
        let blocking = futures_executor::block_on(spawn_blocking(|| 6)).unwrap();
        assert_eq!(blocking.unwrap(), 6);
        let panicked =
            futures_executor::block_on(spawn_blocking(|| -> u8 { panic!("boom") })).unwrap();
        let payload = panicked.unwrap_err();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    }
}
