//! A real HQ on 127.0.0.1 and real devices (store files + sync clients) for
//! the sync stories. HQ runs in-process on its own runtime, or as a separate
//! process (`hq_server`) when a test must kill it.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::peek;
use chrono::NaiveDate;
use onsite_core::order::WorkOrder;
use onsite_core::sync::protocol::ErrorBody;
use onsite_core::sync::{SyncClient, SyncConfig, SyncReport};
use onsite_core::visit::Op;
use onsite_core::visit::Visit;
use onsite_core::{Profile, Technician};
use onsite_hq::api::{FollowQuery, NewEnrollment, NewTechnician, ReconQuery};
use onsite_hq::client::{Client, ClientError};
use onsite_hq::rules::{FollowUp, Reconciliation};
use serde_json::Value;

pub const ADMIN: &str = "admin-token-for-tests";

/// The database a test suite runs HQ on: SQLite by default, PostgreSQL when
/// `ONSITE_TEST_PG_URL` names a throw-away database (scripts/test.sh sets it).
#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Backend {
    pub fn url(&self) -> String {
        match self {
            Backend::Sqlite(p) => p.display().to_string(),
            Backend::Postgres(u) => u.clone(),
        }
    }
}

/// A fresh PostgreSQL database for one test, created in the cluster the test
/// script started. Panics with a clear message when there is none.
pub fn fresh_postgres(name: &str) -> Backend {
    let base = std::env::var("ONSITE_TEST_PG_URL").unwrap_or_else(|_| {
        panic!("ONSITE_TEST_PG_URL is not set: run `bash scripts/test.sh`, which starts PostgreSQL")
    });
    let db = format!("onsite_{}_{}", name, std::process::id());
    let mut admin = postgres_client(&base);
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))
        .expect("drop an old test database");
    admin
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .expect("create the test database");
    // Replace the database name at the end of the URL.
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let url = match base[scheme_end..].rfind('/') {
        Some(i) => format!("{}/{db}", &base[..scheme_end + i]),
        None => format!("{base}/{db}"),
    };
    Backend::Postgres(url)
}

fn postgres_client(url: &str) -> onsite_hq_pg::Client {
    onsite_hq_pg::Client::connect(url, onsite_hq_pg::NoTls).expect("connect to PostgreSQL")
}

/// Re-exported so tests need not depend on postgres directly.
pub mod onsite_hq_pg {
    pub use postgres::{Client, NoTls};
}

/// HQ serving on 127.0.0.1.
pub struct Hq {
    pub rt: tokio::runtime::Runtime,
    server: Option<onsite_hq::Server>,
    pub url: String,
    pub backend: Backend,
    /// HQ's typed client with the admin key: how tests dispatch and read,
    /// as the CLI does. Raw requests ([`Hq::call`]) are for what a typed
    /// client cannot send: malformed bodies, no or a device's token.
    pub api: Client,
}

impl Hq {
    pub fn start(backend: Backend) -> Hq {
        Self::start_on(backend, "127.0.0.1:0".parse().unwrap())
    }

    pub fn start_on(backend: Backend, addr: SocketAddr) -> Hq {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let server = rt
            .block_on(async {
                let store = onsite_hq::open(&backend.url()).await?;
                onsite_hq::Server::start(store, ADMIN, addr).await
            })
            .expect("start HQ");
        let url = server.url();
        let api = admin_client(&url);
        Hq {
            rt,
            server: Some(server),
            url,
            backend,
            api,
        }
    }

    /// Waits for a call of [`Hq::api`], panicking with HQ's error if it failed.
    pub fn ok<T>(&self, call: impl Future<Output = Result<T, ClientError>>) -> T {
        ok(&self.rt, call)
    }

    /// Waits for a call of [`Hq::api`] that may fail.
    pub fn answer<T>(
        &self,
        call: impl Future<Output = Result<T, ClientError>>,
    ) -> Result<T, ClientError> {
        self.rt.block_on(call)
    }

    /// A raw request, for what the typed client cannot send: a malformed
    /// body, no token, a device's token.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        call(&self.rt, &self.url, method, path, token, body)
    }

    /// HQ's status and error body for a call that must be refused; panics
    /// if it succeeded or failed without HQ's error body.
    pub fn refused<T: std::fmt::Debug>(
        &self,
        call: impl Future<Output = Result<T, ClientError>>,
    ) -> (u16, ErrorBody) {
        match self.rt.block_on(call) {
            Err(ClientError::Hq { status, body }) => (status, body),
            other => panic!("expected HQ's refusal with its error body, got {other:?}"),
        }
    }

    /// Creates a technician and returns a fresh enrollment code.
    pub fn technician(&self, id: &str, name: &str) -> String {
        enrollment_code(&self.rt, &self.api, id, name)
    }

    pub fn dispatch(&self, order: &WorkOrder) {
        self.ok(self.api.create_order(order));
    }

    /// HQ's view of an order.
    pub fn visit(&self, job: &str) -> Visit {
        self.ok(self.api.get_order(job))
    }

    /// `GET /v1/blobs/{sha}` with `token`: the status and the bytes served.
    pub fn blob(&self, token: &str, sha: &str) -> (u16, Vec<u8>) {
        self.rt.block_on(async {
            let resp = reqwest::Client::new()
                .get(format!("{}/v1/blobs/{sha}", self.url))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), resp.bytes().await.unwrap().to_vec())
        })
    }

    /// HQ's view of an order as JSON, for assertions on fields by path and
    /// comparisons with the phone's visit.
    pub fn order(&self, job: &str) -> Value {
        serde_json::to_value(self.visit(job)).unwrap()
    }

    /// The follow-up queue (without a month's sample).
    pub fn followups(&self) -> Vec<FollowUp> {
        self.ok(self.api.followups(&FollowQuery::default()))
    }

    /// A technician's day at HQ: receipts and money by method.
    pub fn reconciliation(&self, technician_id: &str, day: NaiveDate) -> Reconciliation {
        self.ok(self.api.reconciliation(&ReconQuery {
            technician_id: technician_id.into(),
            day,
        }))
    }

    pub fn stop(mut self) {
        if let Some(s) = self.server.take() {
            self.rt.block_on(s.stop());
        }
    }
}

/// HQ's typed client at `url` with the tests' admin key.
pub fn admin_client(url: &str) -> Client {
    Client::new(url, ADMIN).expect("HQ's address")
}

/// Waits on `rt` for a call of HQ's client, panicking with HQ's error if it
/// failed: for HQ processes, which come without a runtime of their own.
pub fn ok<T>(
    rt: &tokio::runtime::Runtime,
    call: impl Future<Output = Result<T, ClientError>>,
) -> T {
    rt.block_on(call)
        .unwrap_or_else(|e| panic!("HQ refused an admin call: {e}"))
}

/// Creates technician `id` (if new) through `api` and returns a fresh
/// enrollment code for their phone.
pub fn enrollment_code(rt: &tokio::runtime::Runtime, api: &Client, id: &str, name: &str) -> String {
    ok(
        rt,
        api.create_technician(&NewTechnician {
            technician_id: id.into(),
            name: name.into(),
        }),
    );
    ok(
        rt,
        api.create_enrollment(&NewEnrollment {
            technician_id: id.into(),
        }),
    )
    .code
}

/// A raw request to the HQ at `base`, for what the typed client cannot send.
pub fn call(
    rt: &tokio::runtime::Runtime,
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    rt.block_on(async {
        let client = reqwest::Client::new();
        let mut req = client.request(method.parse().unwrap(), format!("{base}{path}"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("HQ answers");
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.unwrap_or_default();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    })
}

/// A technician's phone: a store file and a sync client.
pub struct Phone {
    pub tech: Technician,
    pub client: SyncClient,
    pub token: String,
    pub dir: tempfile::TempDir,
}

impl Phone {
    /// Enrolls with `code` against `hq_url` and opens a store for the technician.
    pub fn enroll(hq_url: &str, code: &str, device_id: &str) -> Phone {
        Self::enroll_via(hq_url, hq_url, code, device_id)
    }

    /// Enrolls against `enroll_url` but syncs through `sync_url` (e.g. a faulty proxy).
    pub fn enroll_via(enroll_url: &str, sync_url: &str, code: &str, device_id: &str) -> Phone {
        let e = SyncClient::enroll_blocking(enroll_url, code, device_id).expect("enroll");
        let dir = tempfile::tempdir().unwrap();
        let tech = Technician::open(
            dir.path().join("phone.sqlite3"),
            Profile {
                technician_id: e.technician_id.clone(),
                technician_name: e.technician_name.clone(),
                device_id: device_id.to_string(),
                approval_key: e.approval_key.clone(),
            },
        )
        .unwrap();
        let mut config = SyncConfig::new(sync_url, &e.token);
        config.base_backoff_ms = 20;
        config.max_backoff_ms = 200;
        config.max_attempts = 12;
        config.request_timeout_ms = 3_000;
        Phone {
            tech,
            client: SyncClient::new(config).unwrap(),
            token: e.token,
            dir,
        }
    }

    pub fn sync(&self) -> SyncReport {
        self.client.sync_now(&self.tech, None).expect("sync")
    }
}

/// An HQ server in its own process, for tests that kill it with SIGKILL.
pub struct HqProcess {
    pub child: Child,
    pub url: String,
}

impl HqProcess {
    pub fn spawn(bin: &Path, db_url: &str, port: u16) -> HqProcess {
        Self::spawn_with(bin, db_url, port, &[], Stdio::inherit())
    }

    /// With environment variables (e.g. `ONSITE_HQ_LOG_FORMAT`, `RUST_LOG`)
    /// and standard error (HQ's log) sent to `stderr`.
    pub fn spawn_with(
        bin: &Path,
        db_url: &str,
        port: u16,
        env: &[(&str, &str)],
        stderr: Stdio,
    ) -> HqProcess {
        let child = Command::new(bin)
            .arg(db_url)
            .arg(format!("127.0.0.1:{port}"))
            .arg(ADMIN)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("spawn hq_server");
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "hq_server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        HqProcess { child, url }
    }

    pub fn kill(self) {
        drop(self);
    }
}

/// A test that fails while its HQ runs must not leave the server behind: it
/// would hold the test's stderr open, and `cargo test | tee` in the test
/// command would wait for it forever instead of reporting the failure.
impl Drop for HqProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn shared<T>(t: T) -> Arc<T> {
    Arc::new(t)
}

/// How HQ holds one device's ops: (rows, distinct sequence numbers, highest
/// sequence number). A sanity check only: the ops table's keys make the first
/// two equal whatever HQ does; [`assert_in_step_with_hq`] is the oracle.
pub fn ops_on_hq(db_url: &str, device: &str) -> (i64, i64, i64) {
    let r = &peek::query(
        db_url,
        "SELECT COUNT(*), COUNT(DISTINCT seq), COALESCE(MAX(seq), 0) FROM ops WHERE device_id = $1",
        &[device.into()],
    )[0];
    (r.int(0), r.int(1), r.int(2))
}

/// One op row as HQ stores it: the op, and HQ's verdict on it.
#[derive(Debug, Clone)]
pub struct HqOp {
    pub op: Op,
    /// `applied`, `rejected` (with `code`) or anything else HQ wrote.
    pub outcome: String,
    pub code: Option<String>,
}

/// Every op row HQ holds for `device`, in sequence order.
pub fn hq_ops(db_url: &str, device: &str) -> Vec<HqOp> {
    peek::query(
        db_url,
        "SELECT outcome, code, payload FROM ops WHERE device_id = $1 ORDER BY seq",
        &[device.into()],
    )
    .iter()
    .map(|r| HqOp {
        outcome: r.text(0),
        code: r.opt_text(1),
        op: serde_json::from_str(&r.text(2)).expect("an op HQ stored"),
    })
    .collect()
}

/// HQ's visits of the technician that `device` belongs to, by job id.
fn hq_visits(db_url: &str, device: &str) -> BTreeMap<String, Value> {
    peek::query(
        db_url,
        "SELECT o.job_id, o.visit FROM orders o JOIN devices d ON d.technician_id = o.technician_id
         WHERE d.device_id = $1",
        &[device.into()],
    )
    .iter()
    .map(|r| {
        let visit = serde_json::from_str(&r.text(1)).expect("a visit HQ stored");
        (r.text(0), visit)
    })
    .collect()
}

/// The oracle for "nothing lost, nothing applied twice", by op id, for one
/// phone whose sync has settled (nothing in the outbox):
///
/// - every change the phone committed (the device's own events in its store,
///   and every op id in `reported`, the phone's own record of what it
///   committed, `op id -> seq`) is applied at HQ exactly once, as an accepted
///   row with the phone's sequence number; HQ holds no other op of the device
///   and rejected none (so the phone has no conflict to explain);
/// - job by job, HQ's applied ops are the phone's events, same ids, same
///   order, same content; and HQ's visit equals the phone's, field by field;
/// - HQ holds no job of the technician that the phone lacks.
///
/// Panics naming the first difference.
pub fn assert_in_step_with_hq(
    db_url: &str,
    tech: &Technician,
    device: &str,
    reported: &BTreeMap<String, i64>,
) {
    assert_eq!(tech.outbox_len().unwrap(), 0, "{device}: outbox drained");
    let rows = hq_ops(db_url, device);
    // Rejected (or otherwise not applied) rows: none expected, none explained.
    let refused: Vec<_> = rows
        .iter()
        .filter(|r| r.outcome != "applied")
        .map(|r| {
            (
                r.op.seq,
                r.op.event.kind(),
                r.outcome.as_str(),
                r.code.as_deref(),
            )
        })
        .collect();
    assert!(refused.is_empty(), "{device}: HQ did not apply {refused:?}");
    let mut applied: BTreeMap<&str, Vec<&Op>> = BTreeMap::new();
    for r in &rows {
        applied.entry(r.op.op_id.as_str()).or_default().push(&r.op);
    }
    let twice: Vec<_> = applied.iter().filter(|(_, v)| v.len() > 1).collect();
    assert!(
        twice.is_empty(),
        "{device}: applied more than once: {twice:?}"
    );

    let mut hq_jobs = hq_visits(db_url, device);
    let mut committed: BTreeSet<String> = reported.keys().cloned().collect();
    for job in tech.jobs().unwrap() {
        let id = job.job_id;
        // A purged job kept its record, not its events: HQ must hold it, whole.
        if tech.is_purged(&id).unwrap() {
            assert!(
                hq_jobs.remove(&id).is_some(),
                "{device}: HQ has no job {id}"
            );
            continue;
        }
        let conflicts = tech.conflicts(&id).unwrap();
        assert!(
            conflicts.is_empty(),
            "{device}: {id}: conflicts {conflicts:?}"
        );
        let mine: Vec<_> = tech
            .events(&id)
            .unwrap()
            .into_iter()
            .filter(|e| !e.event.from_hq())
            .collect();
        let at_hq: Vec<&Op> = rows
            .iter()
            .filter(|r| r.op.job_id == id)
            .map(|r| &r.op)
            .collect();
        let ids = |v: Vec<&str>| v.join(" ");
        assert_eq!(
            ids(at_hq.iter().map(|o| o.op_id.as_str()).collect()),
            ids(mine.iter().map(|e| e.event_id.as_str()).collect()),
            "{device}: {id}: HQ's op ids (left) against the phone's events (right)"
        );
        for (op, e) in at_hq.iter().zip(&mine) {
            assert_eq!(
                (&op.event, op.at, &op.actor),
                (&e.event, e.at, &e.actor),
                "{device}: {id}: op {} differs at HQ (left) from the phone (right)",
                op.op_id
            );
        }
        committed.extend(mine.into_iter().map(|e| e.event_id));
        let phone_visit = serde_json::to_value(tech.job(&id).unwrap()).unwrap();
        let hq_visit = hq_jobs
            .remove(&id)
            .unwrap_or_else(|| panic!("{device}: HQ has no job {id}"));
        if phone_visit != hq_visit {
            // Name the fields that differ rather than print two whole visits.
            let field = |v: &Value, k: &str| v.get(k).cloned().unwrap_or(Value::Null);
            let keys: BTreeSet<&String> = phone_visit
                .as_object()
                .into_iter()
                .chain(hq_visit.as_object())
                .flat_map(|o| o.keys())
                .collect();
            let diff: Vec<String> = keys
                .into_iter()
                .filter(|k| field(&phone_visit, k) != field(&hq_visit, k))
                .map(|k| {
                    let (h, p) = (field(&hq_visit, k), field(&phone_visit, k));
                    format!("{k}: HQ {h} / phone {p}")
                })
                .collect();
            panic!("{device}: {id}: HQ's visit differs from the phone's: {diff:?}");
        }
    }
    assert!(
        hq_jobs.is_empty(),
        "{device}: HQ holds jobs the phone lacks: {:?}",
        hq_jobs.keys().collect::<Vec<_>>()
    );
    let at_hq: BTreeSet<String> = applied.keys().map(|&k| k.to_owned()).collect();
    let lost: Vec<_> = committed.difference(&at_hq).collect();
    let extra: Vec<_> = at_hq.difference(&committed).collect();
    assert!(
        lost.is_empty() && extra.is_empty(),
        "{device}: committed on the phone but not applied at HQ: {lost:?}; \
         applied at HQ but never committed on the phone: {extra:?}"
    );
    for (op_id, seq) in reported {
        let op = applied[op_id.as_str()][0];
        assert_eq!(
            op.seq, *seq,
            "{device}: op {op_id} came to HQ under another seq"
        );
    }
    // Sanity: the device numbered its ops 1..=last_seq without gaps.
    let last = tech.last_seq().unwrap();
    assert_eq!(ops_on_hq(db_url, device), (last, last, last), "{device}");
}

/// HQ on a SQLite file in a temporary directory, which the caller keeps alive.
pub fn sqlite_backend() -> (tempfile::TempDir, Backend) {
    let dir = tempfile::tempdir().unwrap();
    let b = Backend::Sqlite(dir.path().join("hq.sqlite3"));
    (dir, b)
}

/// An HQ on `b` and one phone enrolled for technician `tech` (device `DEV-<tech>`).
pub fn hq_and_phone(b: Backend, tech: &str) -> (Hq, Phone) {
    let hq = Hq::start(b);
    let code = hq.technician(tech, "李师傅");
    let phone = Phone::enroll(&hq.url, &code, &format!("DEV-{tech}"));
    (hq, phone)
}

/// Runs a story `fn name(b: Backend)` against HQ on SQLite and on PostgreSQL,
/// as two tests `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[test]
            fn sqlite() {
                let (_dir, b) = $crate::harness::sqlite_backend();
                super::$name(b);
            }
            #[test]
            fn postgres() {
                super::$name($crate::harness::fresh_postgres(stringify!($name)));
            }
        }
    };
}

/// HQ's storage opened directly, without a server, with the runtime its
/// connections live on: for tests of HQ's operations below HTTP.
pub struct Store {
    pub rt: tokio::runtime::Runtime,
    pub store: Arc<dyn onsite_hq::Storage>,
}

impl Store {
    /// Opens (and migrates) the database at `url`.
    pub fn open(url: &str) -> onsite_hq::Result<Store> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let store = rt.block_on(onsite_hq::open(url))?;
        Ok(Store { rt, store })
    }

    /// Runs one of HQ's operations to its end.
    pub fn run<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }
}
