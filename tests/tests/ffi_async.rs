//! The FFI's async exports, polled as Kotlin and Swift poll them: by an
//! executor that is not tokio (and, for contrast, from inside a tokio test).
//! Enrollment and sync reach a real HQ; the jobs observer hears the sync and
//! a local step; a throwing observer spoils nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::sync::{Arc, Mutex};

use chrono::Utc;
use onsite_core::sample;
use onsite_ffi::{
    enroll, HttpBackend, HttpError, HttpRequest, HttpResponse, JobStatus, JobsObserver,
    OnsiteError, SignedInTechnician, SyncObserver, SyncProgress,
};
use onsite_tests::harness::{Backend, Hq};
use onsite_tests::platform::Platform;

/// The shell's side of the FFI's HTTP backend, as Kotlin and Swift implement
/// it: here over the tests' platform-like client.
struct ShellHttp(Arc<Platform>);

impl HttpBackend for ShellHttp {
    fn send(&self, r: HttpRequest) -> Result<HttpResponse, HttpError> {
        use onsite_core::sync::HttpBackend as _;
        match self.0.send(r.into()) {
            Ok(answer) => Ok(answer.into()),
            Err(reason) => Err(HttpError::Transport { reason }),
        }
    }
}

fn http() -> Arc<dyn HttpBackend> {
    Arc::new(ShellHttp(Platform::new(true, false)))
}

/// A shell backend that throws something the binding did not declare.
struct Explodes;
impl HttpBackend for Explodes {
    fn send(&self, _: HttpRequest) -> Result<HttpResponse, HttpError> {
        panic!("the platform's HTTP stack blew up");
    }
}

/// No answer, ever: the technician is offline.
struct NoSignal;
impl HttpBackend for NoSignal {
    fn send(&self, _: HttpRequest) -> Result<HttpResponse, HttpError> {
        Err(HttpError::Transport {
            reason: "java.net.UnknownHostException: hq.example".into(),
        })
    }
}

#[test]
fn a_backend_without_signal_is_offline_and_one_that_panics_is_an_error_not_a_crash() {
    let offline = futures_executor::block_on(enroll(
        "http://hq.example".into(),
        "code".into(),
        "DEV-X".into(),
        Arc::new(NoSignal),
    ));
    match offline {
        Err(OnsiteError::Offline { msg, .. }) => assert!(!msg.is_empty()),
        other => panic!("expected offline, got {other:?}"),
    }
    let broken = futures_executor::block_on(enroll(
        "http://hq.example".into(),
        "code".into(),
        "DEV-X".into(),
        Arc::new(Explodes),
    ));
    assert!(
        matches!(broken, Err(OnsiteError::Internal { .. })),
        "{broken:?}"
    );
}

#[derive(Default)]
struct Seen {
    jobs: Mutex<Vec<Vec<String>>>,
    progress: Mutex<Vec<SyncProgress>>,
}

impl JobsObserver for Seen {
    fn jobs_changed(&self, job_ids: Vec<String>) {
        self.jobs.lock().unwrap().push(job_ids);
    }
}

impl SyncObserver for Seen {
    fn on_progress(&self, progress: SyncProgress) {
        self.progress.lock().unwrap().push(progress);
    }
}

struct Throws;
impl JobsObserver for Throws {
    fn jobs_changed(&self, _: Vec<String>) {
        panic!("an observer that throws");
    }
}

#[test]
fn async_exports_work_from_a_foreign_executor_and_observers_hear_changes() {
    let dir = tempfile::tempdir().unwrap();
    let hq = Hq::start(Backend::Sqlite(dir.path().join("hq.sqlite3")));
    let code = hq.technician("FFI1", "李师傅");
    hq.dispatch(&sample::leak_order(
        "FFI-1",
        "FFI1",
        Utc::now() + chrono::Duration::hours(1),
    ));

    let e = futures_executor::block_on(enroll(hq.url.clone(), code, "DEV-FFI1".into(), http()))
        .unwrap();
    assert_eq!(e.profile.technician_id, "FFI1");
    let store = dir.path().join("phone.sqlite3").display().to_string();
    let tech = SignedInTechnician::open(store, vec![7; 32], e.profile).unwrap();

    // Not connected yet: a typed error, no panic.
    assert!(matches!(
        futures_executor::block_on(tech.sync_now(None)),
        Err(OnsiteError::Offline { .. })
    ));
    tech.connect(hq.url.clone(), e.token, http()).unwrap();

    let seen = Arc::new(Seen::default());
    tech.subscribe_jobs(Arc::new(Throws));
    let id = tech.subscribe_jobs(seen.clone());
    let report = futures_executor::block_on(tech.sync_now(Some(seen.clone()))).unwrap();
    assert_eq!(report.changes_pulled, 1);
    assert_eq!(
        seen.jobs.lock().unwrap().concat(),
        vec!["FFI-1".to_string()]
    );
    assert!(matches!(
        seen.progress.lock().unwrap().last(),
        Some(SyncProgress::Idle)
    ));

    let accepted = tech.accept_job("FFI-1".into()).unwrap();
    assert_eq!(accepted.status, JobStatus::Accepted);
    assert_eq!(
        seen.jobs.lock().unwrap().len(),
        2,
        "the local step was heard"
    );

    tech.unsubscribe_jobs(id);
    let report = futures_executor::block_on(tech.sync_now(None)).unwrap();
    assert_eq!(report.ops_applied, 1);
    assert_eq!(
        seen.jobs.lock().unwrap().len(),
        2,
        "unsubscribed: nothing more"
    );
    hq.stop();
}

/// The same export awaited inside a caller's current-thread tokio runtime:
/// the work runs on the core's runtime, so nothing blocks or panics here.
#[tokio::test(flavor = "current_thread")]
async fn async_exports_work_inside_a_current_thread_tokio_runtime() {
    // The harness's HQ has a runtime of its own: start and stop it off this one.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hq.sqlite3");
    let (hq, code) = std::thread::scope(|s| {
        s.spawn(|| {
            let hq = Hq::start(Backend::Sqlite(db));
            let code = hq.technician("FFI2", "李师傅");
            (hq, code)
        })
        .join()
        .unwrap()
    });
    let e = enroll(hq.url.clone(), code, "DEV-FFI2".into(), http())
        .await
        .unwrap();
    assert_eq!(e.profile.device_id, "DEV-FFI2");
    let again = enroll(
        hq.url.clone(),
        "no-such-code".into(),
        "DEV-FFI2".into(),
        http(),
    )
    .await;
    assert!(matches!(again, Err(OnsiteError::Hq { .. })), "{again:?}");
    std::thread::scope(|s| s.spawn(move || hq.stop()).join().unwrap());
}
