//! The sync client inside other people's runtimes: the blocking API never
//! panics there (it works on a multi-thread runtime and is a typed error on a
//! current-thread one), the async API works on both, and a sync tells the
//! jobs listeners what it changed. HQ runs on SQLite on its own runtime.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use onsite_core::changes::JobsListener;
use onsite_core::sample;
use onsite_core::sync::{SyncClient, SyncConfig, SyncListener, SyncState};
use onsite_core::{Error, Profile, Technician};
use onsite_tests::harness::{free_port, Backend, Hq};

/// Runs `f` on a plain thread: the harness's HQ owns a runtime of its own,
/// which may not be started, used or dropped from inside the test's runtime.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().expect("harness thread"))
}

struct Setup {
    hq: Hq,
    code: String,
    _dir: tempfile::TempDir,
}

impl Setup {
    /// HQ with technician `tech` and one job dispatched to them.
    fn new(tech: &str, job: &str) -> Setup {
        off_runtime(|| {
            let dir = tempfile::tempdir().unwrap();
            let hq = Hq::start(Backend::Sqlite(dir.path().join("hq.sqlite3")));
            let code = hq.technician(tech, "李师傅");
            hq.dispatch(&sample::leak_order(
                job,
                tech,
                Utc::now() + chrono::Duration::hours(1),
            ));
            Setup {
                hq,
                code,
                _dir: dir,
            }
        })
    }

    fn phone(&self, e: &onsite_core::sync::protocol::EnrollResponse) -> Technician {
        Technician::open(
            self._dir.path().join(format!("{}.sqlite3", e.device_id)),
            Profile {
                technician_id: e.technician_id.clone(),
                technician_name: e.technician_name.clone(),
                device_id: e.device_id.clone(),
                approval_key: e.approval_key.clone(),
            },
        )
        .unwrap()
    }

    fn stop(self) {
        off_runtime(move || self.hq.stop());
    }
}

#[derive(Default)]
struct Heard {
    jobs: Mutex<Vec<String>>,
    states: Mutex<Vec<SyncState>>,
}

impl JobsListener for Heard {
    fn jobs_changed(&self, job_ids: Vec<String>) {
        self.jobs.lock().unwrap().extend(job_ids);
    }
}

impl SyncListener for Heard {
    fn on_state(&self, state: SyncState) {
        self.states.lock().unwrap().push(state);
    }
}

#[tokio::test(flavor = "current_thread")]
async fn on_a_current_thread_runtime_blocking_calls_are_typed_errors_and_async_calls_work() {
    let s = Setup::new("RT1", "RT-1");
    let url = s.hq.url.clone();

    let refused = SyncClient::enroll_blocking(&url, &s.code, "DEV-RT1");
    assert!(
        matches!(refused, Err(Error::BlockingInRuntime)),
        "{refused:?}"
    );
    // The refusal spent nothing: the code is still good for the async call.
    let e = SyncClient::enroll(&url, &s.code, "DEV-RT1").await.unwrap();
    let tech = Arc::new(s.phone(&e));
    let client = SyncClient::new(SyncConfig::new(&url, &e.token)).unwrap();

    let refused = client.sync_now(&tech, None);
    assert!(
        matches!(refused, Err(Error::BlockingInRuntime)),
        "{refused:?}"
    );

    let heard = Arc::new(Heard::default());
    tech.add_jobs_listener(heard.clone());
    let report = client
        .sync(tech.clone(), Some(heard.clone() as Arc<dyn SyncListener>))
        .await
        .unwrap();
    assert_eq!(report.changes_pulled, 1);
    assert_eq!(tech.jobs().unwrap()[0].job_id, "RT-1");
    assert_eq!(*heard.jobs.lock().unwrap(), vec!["RT-1".to_string()]);
    assert_eq!(heard.states.lock().unwrap().last(), Some(&SyncState::Idle));

    // A local step, then its push: the listener hears both.
    tech.accept_job("RT-1").unwrap();
    let report = client.sync(tech.clone(), None).await.unwrap();
    assert!(report.ops_applied >= 1, "{report:?}");
    assert!(
        heard.jobs.lock().unwrap().len() >= 3,
        "accept + acknowledgement"
    );
    s.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_multi_thread_runtime_blocking_calls_work() {
    let s = Setup::new("RT2", "RT-2");
    let e = SyncClient::enroll_blocking(&s.hq.url, &s.code, "DEV-RT2").unwrap();
    let tech = s.phone(&e);
    let client = SyncClient::new(SyncConfig::new(&s.hq.url, &e.token)).unwrap();
    let report = client.sync_now(&tech, None).unwrap();
    assert_eq!(report.changes_pulled, 1);
    tech.accept_job("RT-2").unwrap();
    // And the async call beside it, on the same client.
    let tech = Arc::new(tech);
    let report = client.sync(tech.clone(), None).await.unwrap();
    assert_eq!(report.ops_pushed, 1);
    s.stop();
}

/// The async sync keeps the blocking one's backoff and cancel: offline, it
/// retries until cancelled, and the cancel is honoured within the sleep step.
#[tokio::test(flavor = "current_thread")]
async fn an_async_sync_is_cancelled_while_it_backs_off() {
    let dir = tempfile::tempdir().unwrap();
    let tech = Arc::new(Technician::open(dir.path().join("p.sqlite3"), sample::profile()).unwrap());
    let mut config = SyncConfig::new(format!("http://127.0.0.1:{}", free_port()), "token");
    config.max_attempts = 1_000;
    config.base_backoff_ms = 200;
    config.max_backoff_ms = 400;
    let client = SyncClient::new(config).unwrap();
    let cancel = client.cancel_handle();
    let heard = Arc::new(Heard::default());
    let started = Instant::now();
    let sync = client.sync(tech, Some(heard.clone() as Arc<dyn SyncListener>));
    let canceller = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        cancel.cancel();
    };
    let (result, ()) = tokio::join!(sync, canceller);
    assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let states = heard.states.lock().unwrap();
    assert!(
        states
            .iter()
            .any(|s| matches!(s, SyncState::Offline { .. })),
        "{states:?}"
    );
}

/// A caller that stops awaiting (a cancelled coroutine or task) stops the
/// sync too, instead of leaving it retrying on the runtime.
#[tokio::test(flavor = "current_thread")]
async fn dropping_an_async_sync_cancels_it() {
    let dir = tempfile::tempdir().unwrap();
    let tech = Arc::new(Technician::open(dir.path().join("p.sqlite3"), sample::profile()).unwrap());
    let mut config = SyncConfig::new(format!("http://127.0.0.1:{}", free_port()), "token");
    config.max_attempts = 1_000;
    config.base_backoff_ms = 200;
    config.max_backoff_ms = 400;
    let client = SyncClient::new(config).unwrap();
    let heard = Arc::new(Heard::default());
    let sync = client.sync(tech, Some(heard.clone() as Arc<dyn SyncListener>));
    assert!(tokio::time::timeout(Duration::from_millis(300), sync)
        .await
        .is_err());
    let deadline = Instant::now() + Duration::from_secs(5);
    let cancelled = SyncState::Error {
        message: Error::Cancelled.to_string(),
    };
    while heard.states.lock().unwrap().last() != Some(&cancelled) {
        assert!(Instant::now() < deadline, "the dropped sync kept running");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
