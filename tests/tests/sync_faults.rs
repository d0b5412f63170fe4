//! HQ processes killed with SIGKILL mid-push, and two HQ processes sharing one
//! PostgreSQL database: nothing lost, nothing applied twice.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use onsite_core::sample;
use onsite_core::sync::{SyncClient, SyncConfig};
use onsite_core::visit::Status;
use onsite_hq::api::OrderFilter;
use onsite_tests::harness::{
    admin_client, assert_in_step_with_hq, enrollment_code, free_port, fresh_postgres, ok, Backend,
    HqProcess, Phone,
};

const HQ_BIN: &str = env!("CARGO_BIN_EXE_hq_server");

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Every op the phone committed is applied at HQ exactly once, by id, and
/// HQ's visits are the phone's.
fn applied_once(db_url: &str, phone: &Phone, device: &str) {
    assert_in_step_with_hq(db_url, &phone.tech, device, &BTreeMap::new());
}

fn work_jobs(phone: &Phone, prefix: &str, n: usize) {
    for i in 0..n {
        let job = format!("{prefix}-{i}");
        onsite_tests::drive_accepted_to_handover(&phone.tech, &job).unwrap();
    }
}

fn sigkill_mid_push(backend: Backend) {
    let rt = runtime();
    let port = free_port();
    let db_url = backend.url();
    let hq = HqProcess::spawn(std::path::Path::new(HQ_BIN), &db_url, port);
    let api = admin_client(&hq.url);
    let code = enrollment_code(&rt, &api, "T1", "李师傅");
    for i in 0..8 {
        ok(
            &rt,
            api.create_order(&sample::leak_order(&format!("K-{i}"), "T1", Utc::now())),
        );
    }
    let phone = Phone::enroll(&hq.url, &code, "DEV-K");
    phone.sync();
    work_jobs(&phone, "K", 8);
    let total = phone.tech.last_seq().unwrap();
    assert!(total > 150, "{total}");

    // Small batches, so the kill lands between and inside many pushes.
    let mut config = SyncConfig::new(&hq.url, &phone.token);
    config.batch_size = 5;
    config.max_attempts = 2;
    config.base_backoff_ms = 10;
    let client = std::sync::Arc::new(SyncClient::new(config).unwrap());
    let mut hq = Some(hq);
    for (round, delay_ms) in [15u64, 40, 90].into_iter().enumerate() {
        let before = phone.tech.outbox_len().unwrap();
        if before == 0 {
            break;
        }
        std::thread::scope(|s| {
            let c = client.clone();
            let t = &phone.tech;
            let h = s.spawn(move || c.sync_now(t, None));
            std::thread::sleep(Duration::from_millis(delay_ms));
            hq.take().unwrap().kill();
            let _ = h.join().unwrap();
        });
        println!(
            "round {round}: outbox {before} -> {}",
            phone.tech.outbox_len().unwrap()
        );
        hq = Some(HqProcess::spawn(
            std::path::Path::new(HQ_BIN),
            &db_url,
            port,
        ));
    }
    // After the last restart the phone converges.
    client
        .sync_now(&phone.tech, None)
        .expect("sync after restart");
    assert_eq!(phone.tech.outbox_len().unwrap(), 0);
    applied_once(&db_url, &phone, "DEV-K");
    // The restarted HQ, on the same port.
    let api = admin_client(&hq.as_ref().unwrap().url);
    for i in 0..8 {
        let v = ok(&rt, api.get_order(&format!("K-{i}")));
        assert_eq!(v.status, Status::HandedOver);
    }
    hq.unwrap().kill();
}

#[test]
fn hq_killed_mid_push_loses_and_duplicates_nothing_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    sigkill_mid_push(Backend::Sqlite(dir.path().join("hq.sqlite3")));
}

#[test]
fn hq_killed_mid_push_loses_and_duplicates_nothing_postgres() {
    sigkill_mid_push(fresh_postgres("sigkill"));
}

#[test]
fn two_hq_processes_on_one_postgres_apply_every_op_once() {
    let backend = fresh_postgres("two_hq");
    let db_url = backend.url();
    let rt = runtime();
    let hq1 = HqProcess::spawn(std::path::Path::new(HQ_BIN), &db_url, free_port());
    let hq2 = HqProcess::spawn(std::path::Path::new(HQ_BIN), &db_url, free_port());
    let urls = [hq1.url.clone(), hq2.url.clone()];
    let apis = [admin_client(&hq1.url), admin_client(&hq2.url)];
    let mut phones = Vec::new();
    for d in 0..3 {
        let tech = format!("T{d}");
        let via = &urls[d % 2];
        let code = enrollment_code(&rt, &apis[d % 2], &tech, "师傅");
        for i in 0..3 {
            // Dispatch through alternating HQ processes too.
            ok(
                &rt,
                apis[i % 2].create_order(&sample::leak_order(
                    &format!("{tech}-{i}"),
                    &tech,
                    Utc::now(),
                )),
            );
        }
        let phone = Phone::enroll(via, &code, &format!("DEV-{d}"));
        let other = SyncClient::new(SyncConfig::new(&urls[(d + 1) % 2], &phone.token)).unwrap();
        phones.push((tech, phone, other));
    }
    // Devices alternate between the two processes while they work, concurrently.
    std::thread::scope(|s| {
        for (tech, phone, other) in &phones {
            s.spawn(move || {
                phone.sync();
                for i in 0..3 {
                    let job = format!("{tech}-{i}");
                    assert!(
                        phone.tech.job(&job).is_ok(),
                        "{job} did not reach the phone"
                    );
                    onsite_tests::drive_accepted_to_handover(&phone.tech, &job).unwrap();
                    if i % 2 == 0 {
                        other.sync_now(&phone.tech, None).unwrap();
                    } else {
                        phone.sync();
                    }
                }
                other.sync_now(&phone.tech, None).unwrap();
            });
        }
    });
    for (d, (tech, phone, _)) in phones.iter().enumerate() {
        assert_eq!(phone.tech.outbox_len().unwrap(), 0);
        applied_once(&db_url, phone, &format!("DEV-{d}"));
        // Both processes serve the same consistent feed and state.
        for (api, url) in apis.iter().zip(&urls) {
            let board = ok(
                &rt,
                api.list_orders(&OrderFilter {
                    technician_id: Some(tech.clone()),
                    status: None,
                }),
            );
            let statuses: Vec<Status> = board.iter().map(|o| o.status).collect();
            assert_eq!(statuses, vec![Status::HandedOver; 3], "{url}");
        }
    }
    hq1.kill();
    hq2.kill();
}

/// Copies a SQLite database with its write-ahead log, as a backup of a
/// stopped HQ would (the log may still hold committed transactions).
fn copy_database(from: &std::path::Path, to: &std::path::Path) {
    std::fs::copy(from, to).unwrap();
    let side = |p: &std::path::Path, ext: &str| {
        let mut s = p.as_os_str().to_owned();
        s.push(ext);
        std::path::PathBuf::from(s)
    };
    for ext in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(side(to, ext));
    }
    if side(from, "-wal").exists() {
        std::fs::copy(side(from, "-wal"), side(to, "-wal")).unwrap();
    }
}

/// HQ restored from a backup older than the phone's last push: the ops the
/// phone pushed after the backup are gone from HQ and already trimmed from
/// the phone, so HQ finds a gap before the phone's next ops and applies none
/// of them. The phone keeps every unsent op (the push that stopped short is
/// recorded, the one built ahead of it dropped), the sync fails with HQ's
/// 409 naming both ends, and HQ holds no row of the batch.
#[test]
fn hq_restored_from_an_older_backup_applies_nothing_and_the_phone_keeps_its_ops() {
    use onsite_tests::harness::{hq_ops, Hq};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hq.sqlite3");
    let backup = dir.path().join("backup.sqlite3");
    let hq = Hq::start(Backend::Sqlite(db.clone()));
    let addr: std::net::SocketAddr = hq.url.trim_start_matches("http://").parse().unwrap();
    let code = hq.technician("T-R", "李师傅");
    for i in 0..3 {
        hq.dispatch(&sample::leak_order(&format!("R-{i}"), "T-R", Utc::now()));
    }
    let mut phone = Phone::enroll(&hq.url, &code, "DEV-R");
    // Small batches: the phone builds the next push while one travels.
    let mut config = SyncConfig::new(&hq.url, &phone.token);
    config.batch_size = 5;
    phone.client = SyncClient::new(config).unwrap();
    phone.sync();
    work_jobs(&phone, "R", 1);
    phone.sync();
    let backed_up = phone.tech.last_seq().unwrap();
    hq.stop();
    copy_database(&db, &backup);

    let hq = Hq::start_on(Backend::Sqlite(db.clone()), addr);
    onsite_tests::drive_accepted_to_handover(&phone.tech, "R-1").unwrap();
    phone.sync();
    assert_eq!(phone.tech.outbox_len().unwrap(), 0);
    hq.stop();
    copy_database(&backup, &db);

    let hq = Hq::start_on(Backend::Sqlite(db.clone()), addr);
    onsite_tests::drive_accepted_to_handover(&phone.tech, "R-2").unwrap();
    let held = phone.tech.pending_ops(usize::MAX).unwrap();
    assert!(held.len() > 10, "{} ops to send", held.len());
    let first = held[0].seq;
    assert!(first > backed_up + 1, "the ops of R-1 are gone from HQ");
    match phone.client.sync_now(&phone.tech, None) {
        Err(onsite_core::Error::Hq {
            status: 409,
            message,
        }) => assert!(
            message.contains(&format!("up to seq {backed_up}"))
                && message.contains(&format!("starts at {first}")),
            "{message}"
        ),
        other => panic!("expected HQ's 409, got {other:?}"),
    }
    assert_eq!(
        phone.tech.pending_ops(usize::MAX).unwrap(),
        held,
        "the phone keeps every unsent op"
    );
    let at_hq = hq_ops(&db.display().to_string(), "DEV-R");
    assert_eq!(
        at_hq.last().map(|o| o.op.seq),
        Some(backed_up),
        "HQ holds what the backup held and nothing of the refused batch"
    );
    hq.stop();
}
