//! What an operator watches HQ through, checked as an operator meets it: the
//! `x-request-id` header, `/metrics` after real pushes and pulls, `/v1/ready`
//! against a database that stops answering, and a SIGTERM in the middle of a
//! push (HQ answers it, exits 0, and the phone's retry after a restart finds
//! every op applied once).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use chrono::Utc;
use onsite_core::sample;
use onsite_tests::harness::{
    admin_client, assert_in_step_with_hq, enrollment_code, free_port, hq_and_phone, ok, Backend,
    Hq, HqProcess, Phone, ADMIN,
};
use onsite_tests::on_both;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// GET `path` with optional bearer token and request id: status, the
/// `x-request-id` answered, and the body as text.
fn get(hq: &Hq, path: &str, token: Option<&str>, id: Option<&str>) -> (u16, String, String) {
    hq.rt.block_on(async {
        let mut req = reqwest::Client::new().get(format!("{}{path}", hq.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(id) = id {
            req = req.header("x-request-id", id);
        }
        let resp = req.send().await.expect("HQ answers");
        let status = resp.status().as_u16();
        let rid = resp
            .headers()
            .get("x-request-id")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (status, rid, resp.text().await.unwrap())
    })
}

/// The value of the sample line `series` (name with labels) in `text`.
fn sample_of(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn every_answer_carries_a_request_id_and_a_sane_one_is_kept() {
    let (_dir, b) = onsite_tests::harness::sqlite_backend();
    let hq = Hq::start(b);
    let (s, kept, _) = get(&hq, "/v1/health", None, Some("lb-7f3a.42_x"));
    assert_eq!(
        (s, kept.as_str()),
        (200, "lb-7f3a.42_x"),
        "the caller's id is kept"
    );
    let generated: Vec<String> = ["/v1/health", "/v1/orders/NOPE", "/no/such/route"]
        .iter()
        .map(|p| get(&hq, p, Some(ADMIN), None).1)
        .collect();
    for id in &generated {
        assert!(
            id.len() == 32 && id.bytes().all(|c| c.is_ascii_hexdigit()),
            "every answer, 404s too, gets a generated id: {generated:?}"
        );
    }
    assert!(
        generated[0] != generated[1],
        "ids are unique: {generated:?}"
    );
    for odd in ["has space", "x".repeat(65).as_str(), "a/b<script>"] {
        let (_, id, _) = get(&hq, "/v1/health", None, Some(odd));
        assert!(
            id.len() == 32 && id != odd,
            "an id that does not look like one ({odd:?}) is replaced, got {id:?}"
        );
    }
    hq.stop();
}

/// After a pull, a push and another pull, `/metrics` shows exactly them.
fn metrics_show_pushes_pulls_and_routes(b: Backend) {
    let db_url = b.url();
    let (hq, phone) = hq_and_phone(b, "T-MET");
    let job = "MET-1";
    hq.dispatch(&sample::leak_order(
        job,
        "T-MET",
        Utc::now() + chrono::Duration::hours(2),
    ));
    phone.sync();
    onsite_tests::drive_accepted_to_handover(&phone.tech, job).unwrap();
    let report = phone.sync();
    assert!(report.ops_applied > 10, "{report:?}");
    hq.order(job);
    hq.order(job);
    let due_before = |text: &str| sample_of(text, "onsite_hq_followups_due").unwrap();
    let before = due_before(&get(&hq, "/metrics", Some(ADMIN), None).2);
    // Two more follow-ups, one already due.
    for (reason, due) in [
        ("callback", "2020-01-01T00:00:00.000Z"),
        ("later", "2999-01-01T00:00:00.000Z"),
    ] {
        onsite_tests::peek::exec(
            &db_url,
            "INSERT INTO followups(job_id, reason, due_at, created_at) VALUES ($1, $2, $3, $4)",
            &[
                job.into(),
                reason.into(),
                due.into(),
                "2020-01-01T00:00:00.000Z".into(),
            ],
        );
    }

    assert_eq!(
        get(&hq, "/metrics", None, None).0,
        401,
        "no token, no metrics"
    );
    assert_eq!(
        get(&hq, "/metrics", Some(&phone.token), None).0,
        403,
        "a device may not read them"
    );
    let (s, _, text) = get(&hq, "/metrics", Some(ADMIN), None);
    assert_eq!(s, 200, "{text}");
    let value = |series: &str| {
        sample_of(&text, series).unwrap_or_else(|| panic!("no {series} in /metrics:\n{text}"))
    };
    assert_eq!(
        value("onsite_hq_ops_applied_total"),
        report.ops_applied as f64,
        "ops applied: what the phone was told"
    );
    let pulls =
        value(r#"onsite_hq_http_requests_total{method="GET",route="/v1/sync/pull",status="200"}"#);
    assert!(pulls >= 2.0, "two syncs, two pulls at least:\n{text}");
    assert_eq!(value("onsite_hq_pull_pages_served_total"), pulls);
    assert!(
        value(r#"onsite_hq_http_requests_total{method="POST",route="/v1/sync/push",status="200"}"#)
            >= 1.0
    );
    assert!(
        value(r#"onsite_hq_http_request_duration_seconds_count{route="/v1/sync/push"}"#) >= 1.0
    );
    assert_eq!(
        value(
            r#"onsite_hq_http_requests_total{method="GET",route="/v1/orders/{job_id}",status="200"}"#
        ),
        2.0,
        "requests are counted by route template"
    );
    assert!(
        !text.contains(job),
        "a raw path reached the labels:\n{text}"
    );
    assert_eq!(value("onsite_hq_devices_seen_last_hour"), 1.0);
    assert_eq!(
        value("onsite_hq_followups_due"),
        before + 1.0,
        "one more follow-up due"
    );
    hq.stop();
}
on_both!(metrics_show_pushes_pulls_and_routes);

/// `/v1/ready` asks the database; `/v1/health` does not. The database stops
/// answering (PostgreSQL: it refuses connections and drops the ones it had;
/// SQLite: another process holds the write lock, as a backup tool may):
/// ready turns 503 within its time limit, health stays 200; the database
/// comes back: ready turns 200.
fn ready_follows_the_database_and_health_does_not(b: Backend) {
    let hq = Hq::start(b.clone());
    assert_eq!(get(&hq, "/v1/ready", None, None).0, 200);
    let outage = Outage::start(&b);
    let started = Instant::now();
    let (s, _, body) = get(&hq, "/v1/ready", None, None);
    assert_eq!(s, 503, "ready while the database does not answer: {body}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "the readiness probe hung for {:?}",
        started.elapsed()
    );
    assert_eq!(
        get(&hq, "/v1/health", None, None).0,
        200,
        "the process is still up"
    );
    drop(outage);
    let back = Instant::now();
    while get(&hq, "/v1/ready", None, None).0 != 200 {
        assert!(
            back.elapsed() < Duration::from_secs(30),
            "never ready again"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    hq.stop();
}
on_both!(ready_follows_the_database_and_health_does_not);

/// The database out of HQ's reach until dropped.
enum Outage {
    Sqlite(rusqlite::Connection),
    Postgres(Box<onsite_tests::harness::onsite_hq_pg::Client>, String),
}

impl Outage {
    fn start(b: &Backend) -> Outage {
        match b {
            Backend::Sqlite(path) => {
                let c = rusqlite::Connection::open(path).unwrap();
                c.execute_batch("BEGIN IMMEDIATE").unwrap();
                Outage::Sqlite(c)
            }
            Backend::Postgres(url) => {
                let name = url.rsplit('/').next().unwrap().to_string();
                let base = std::env::var("ONSITE_TEST_PG_URL").unwrap();
                let mut admin = onsite_tests::harness::onsite_hq_pg::Client::connect(
                    &base,
                    onsite_tests::harness::onsite_hq_pg::NoTls,
                )
                .unwrap();
                admin
                    .batch_execute(&format!(
                        "ALTER DATABASE {name} ALLOW_CONNECTIONS false; \
                         SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
                    ))
                    .unwrap();
                Outage::Postgres(Box::new(admin), name)
            }
        }
    }
}

impl Drop for Outage {
    fn drop(&mut self) {
        match self {
            Outage::Sqlite(c) => {
                let _ = c.execute_batch("ROLLBACK");
            }
            Outage::Postgres(admin, name) => {
                let _ =
                    admin.batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"));
            }
        }
    }
}

/// A relay between the phone and HQ that, once armed, forwards the next
/// push's headers and half its body, reports it, and waits for `release`
/// before forwarding the rest: a push HQ has begun and not finished.
struct HeldPush {
    addr: SocketAddr,
    armed: Arc<AtomicBool>,
    held: mpsc::Receiver<()>,
    release: Arc<tokio::sync::Notify>,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn content_length(head: &[u8]) -> usize {
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    head.lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap())
}

impl HeldPush {
    fn start(rt: &tokio::runtime::Runtime, upstream: SocketAddr) -> HeldPush {
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let armed = Arc::new(AtomicBool::new(false));
        let release = Arc::new(tokio::sync::Notify::new());
        let (tx, held) = mpsc::channel();
        let (a, r) = (armed.clone(), release.clone());
        rt.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue; // HQ is down: the phone sees the connection close
                };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                tokio::spawn(async move { tokio::io::copy(&mut sr, &mut cw).await });
                let (a, r, tx) = (a.clone(), r.clone(), tx.clone());
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 1 << 16];
                    let mut acc: Vec<u8> = Vec::new();
                    loop {
                        let n = match cr.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        acc.extend_from_slice(&buf[..n]);
                        // Path then a space, or the query (`?omit_applied=true`).
                        let start = find(&acc, b"POST /v1/sync/push");
                        if let (Some(start), true) = (start, a.load(Ordering::SeqCst)) {
                            let Some(end) = find(&acc[start..], b"\r\n\r\n") else {
                                continue;
                            };
                            let body_at = start + end + 4;
                            let len = content_length(&acc[start..body_at]);
                            if acc.len() < body_at + len {
                                continue;
                            }
                            a.store(false, Ordering::SeqCst);
                            let cut = body_at + len / 2;
                            if sw.write_all(&acc[..cut]).await.is_err() {
                                break;
                            }
                            let _ = tx.send(());
                            r.notified().await;
                            let _ = sw.write_all(&acc[cut..]).await;
                        } else if sw.write_all(&acc).await.is_err() {
                            break;
                        }
                        acc.clear();
                    }
                });
            }
        });
        HeldPush {
            addr,
            armed,
            held,
            release,
        }
    }
}

fn sigterm(child: &std::process::Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -TERM failed");
}

/// SIGTERM while HQ is reading a push: HQ stops accepting connections,
/// applies and answers the push, and exits 0; restarted on the same
/// database, it finds the phone's retry in step, every op applied once.
fn sigterm_mid_push_loses_and_doubles_nothing(b: Backend) {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_hq_server"));
    let db_url = b.url();
    let port = free_port();
    let hq = HqProcess::spawn(bin, &db_url, port);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let relay = HeldPush::start(&rt, SocketAddr::from(([127, 0, 0, 1], port)));
    let api = admin_client(&hq.url);
    let code = enrollment_code(&rt, &api, "T-TERM", "李师傅");
    let phone = Phone::enroll_via(
        &hq.url,
        &format!("http://{}", relay.addr),
        &code,
        "DEV-TERM",
    );
    let job = "TERM-1";
    let order = sample::leak_order(job, "T-TERM", Utc::now() + chrono::Duration::hours(2));
    ok(&rt, api.create_order(&order));
    phone.sync();
    onsite_tests::drive_accepted_to_handover(&phone.tech, job).unwrap();
    let pending = phone.tech.outbox_len().unwrap();
    assert!(pending > 10, "a visit's worth of ops to push: {pending}");

    relay.armed.store(true, Ordering::SeqCst);
    let mut hq = hq;
    std::thread::scope(|s| {
        let syncing = s.spawn(|| phone.client.sync_now(&phone.tech, None));
        relay
            .held
            .recv_timeout(Duration::from_secs(30))
            .expect("the phone's push reached HQ");
        std::thread::sleep(Duration::from_millis(300)); // HQ is reading its body
        sigterm(&hq.child);
        std::thread::sleep(Duration::from_millis(500));
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "HQ still accepts connections after SIGTERM"
        );
        relay.release.notify_one();
        let started = Instant::now();
        let status = loop {
            if let Some(st) = hq.child.try_wait().unwrap() {
                break st;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "HQ did not exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "HQ's exit after SIGTERM: {status}");
        // The sync itself fails after the push (HQ is gone for the pull).
        let _ = syncing.join().unwrap();
    });
    assert_eq!(
        phone.tech.outbox_len().unwrap(),
        0,
        "HQ did not answer the push it had begun before SIGTERM ({pending} ops were in it)"
    );

    let hq = HqProcess::spawn(bin, &db_url, port);
    phone.sync();
    assert_in_step_with_hq(&db_url, &phone.tech, "DEV-TERM", &BTreeMap::new());
    hq.kill();
}
on_both!(sigterm_mid_push_loses_and_doubles_nothing);

/// A client that starts a request and never finishes its body cannot keep HQ
/// from stopping: the stop waits for it up to its drain limit, then gives up.
/// (The request carries a valid token: HQ answers a caller without one before
/// reading the body.)
#[test]
fn a_request_that_never_finishes_is_abandoned_at_the_drain_limit() {
    use std::io::Write;
    let (_dir, b) = onsite_tests::harness::sqlite_backend();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt
        .block_on(async {
            let store = onsite_hq::open(&b.url()).await?;
            onsite_hq::Server::start(store, ADMIN, "127.0.0.1:0".parse().unwrap()).await
        })
        .unwrap();
    let mut stuck = std::net::TcpStream::connect(server.addr).unwrap();
    stuck
        .write_all(
            format!(
                "POST /v1/orders HTTP/1.1\r\nHost: hq\r\nAuthorization: Bearer {ADMIN}\r\n\
                 Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"job_id\": "
            )
            .as_bytes(),
        )
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let drained = rt.block_on(async {
        tokio::time::timeout(
            Duration::from_secs(10),
            server.stop_within(Duration::from_secs(1)),
        )
        .await
    });
    assert_eq!(
        drained,
        Ok(false),
        "the stop must give up on the stuck request at its limit (Err: it waited past it)"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
