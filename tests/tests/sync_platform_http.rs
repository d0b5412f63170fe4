//! The phone library sends through the platform's HTTP stack (issue 16): the
//! shell hands the core an `HttpBackend` (Android's `HttpURLConnection`,
//! iOS's `URLSession`) and the core keeps every rule: headers, codings,
//! retries, resumable uploads. These stories run a phone over such a backend
//! against a real HQ on 127.0.0.1: one that sends chunk uploads as POST (as
//! `HttpURLConnection`, which has no PATCH, must), one that inflates
//! compressed answers itself and leaves the header (as `URLSession` does),
//! one that gets no answer at all (offline), then gets them again.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::{Duration, Utc};
use onsite_core::sample;
use onsite_core::sync::{runtime, SyncClient, SyncConfig, Transport};
use onsite_core::{Error, Profile, Technician};
use onsite_tests::harness::{Backend, Hq};
use onsite_tests::platform::Platform;
use onsite_tests::{drive_accepted_with_photo, on_both};

/// A technician enrolled through `backend`, with a store and a sync client
/// over it (small photo chunks, quick retries).
struct PlatformPhone {
    tech: Technician,
    client: SyncClient,
    token: String,
    _dir: tempfile::TempDir,
}

fn phone_over(hq: &Hq, backend: &Arc<Platform>, id: &str) -> PlatformPhone {
    let code = hq.technician(id, "李师傅");
    let transport = Transport::Platform(backend.clone());
    let device = format!("DEV-{id}");
    let e = runtime::block_on(SyncClient::enroll_over(
        transport.clone(),
        &hq.url,
        &code,
        &device,
    ))
    .unwrap()
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tech = Technician::open(
        dir.path().join("phone.sqlite3"),
        Profile {
            technician_id: e.technician_id,
            technician_name: e.technician_name,
            device_id: device,
            approval_key: e.approval_key,
        },
    )
    .unwrap();
    let mut config = SyncConfig::new(&hq.url, &e.token);
    config.base_backoff_ms = 10;
    config.max_backoff_ms = 40;
    config.max_attempts = 4;
    config.chunk_bytes = Some(16 * 1024);
    PlatformPhone {
        tech,
        client: SyncClient::over(transport, config),
        token: e.token,
        _dir: dir,
    }
}

fn a_visit_and_its_photos_go_over_the_platform_stack(b: Backend) {
    let hq = Hq::start(b);
    let backend = Platform::new(true, false);
    let PlatformPhone {
        tech,
        client,
        token,
        _dir,
    } = phone_over(&hq, &backend, "T-PL1");
    hq.dispatch(&sample::leak_order(
        "PL-1",
        "T-PL1",
        Utc::now() + Duration::hours(2),
    ));
    let pulled = client.sync_now(&tech, None).unwrap();
    assert_eq!(pulled.changes_pulled, 1, "{pulled:?}");
    tech.accept_job("PL-1").unwrap();
    let photo = drive_accepted_with_photo(&tech, "PL-1", 31).unwrap();

    let report = client.sync_now(&tech, None).unwrap();
    assert!(
        report.ops_pushed > 10 && report.ops_rejected == 0,
        "{report:?}"
    );
    assert!(
        report.blobs_uploaded >= 2,
        "the photo and its thumbnail: {report:?}"
    );
    assert_eq!(tech.outbox_len().unwrap(), 0);
    assert!(tech.pending_blobs().unwrap().is_empty());
    // HQ holds the visit and the photo byte for byte, sent in POSTed chunks.
    let visit = serde_json::to_value(hq.visit("PL-1")).unwrap();
    assert_eq!(visit["status"], "work_done", "{visit}");
    let mine = tech.blob(&photo).unwrap().unwrap().1;
    assert!(mine.len() > 3 * 16 * 1024);
    assert_eq!(hq.blob(&token, &photo), (200, mine));
    assert!(
        backend.sent("POST", "/v1/uploads/") > 3,
        "chunks as POST: {:?}",
        backend.sent.lock().unwrap()
    );
    assert_eq!(backend.sent("PATCH", "/"), 0);
    assert_eq!(
        backend.sent("PUT", "/v1/blobs/"),
        0,
        "no whole-photo fallback"
    );
    // The core asked for compressed answers and read them itself.
    assert!(backend.compressed.load(Ordering::SeqCst) > 0);
    hq.stop();
}
on_both!(a_visit_and_its_photos_go_over_the_platform_stack);

#[test]
fn answers_the_platform_inflated_itself_are_read_once() {
    let (_d, b) = onsite_tests::harness::sqlite_backend();
    let hq = Hq::start(b);
    let backend = Platform::new(false, true);
    let PlatformPhone {
        tech,
        client,
        token: _,
        _dir,
    } = phone_over(&hq, &backend, "T-PL2");
    for n in 0..30 {
        hq.dispatch(&sample::leak_order(
            &format!("PL2-{n}"),
            "T-PL2",
            Utc::now() + Duration::hours(2),
        ));
    }
    let report = client.sync_now(&tech, None).unwrap();
    assert_eq!(report.changes_pulled, 30, "{report:?}");
    assert_eq!(tech.jobs().unwrap().len(), 30);
    assert!(
        backend.compressed.load(Ordering::SeqCst) > 0,
        "HQ compressed the pull page, the platform inflated it"
    );
    hq.stop();
}

#[test]
fn no_answer_is_offline_and_loses_nothing_until_the_link_returns() {
    let (_d, b) = onsite_tests::harness::sqlite_backend();
    let hq = Hq::start(b);
    let backend = Platform::new(true, false);
    let PlatformPhone {
        tech,
        client,
        token: _,
        _dir,
    } = phone_over(&hq, &backend, "T-PL3");
    hq.dispatch(&sample::leak_order(
        "PL3-1",
        "T-PL3",
        Utc::now() + Duration::hours(2),
    ));
    client.sync_now(&tech, None).unwrap();
    tech.accept_job("PL3-1").unwrap();
    let photo = drive_accepted_with_photo(&tech, "PL3-1", 33).unwrap();
    let waiting = tech.outbox_len().unwrap();
    assert!(waiting > 10);

    backend.dead.store(true, Ordering::SeqCst);
    match client.sync_now(&tech, None) {
        Err(Error::Offline { reason }) => assert!(reason.contains("refused"), "{reason}"),
        other => panic!("expected offline, got {other:?}"),
    }
    assert_eq!(tech.outbox_len().unwrap(), waiting, "nothing dropped");
    assert!(tech.pending_blobs().unwrap().contains(&photo));

    backend.dead.store(false, Ordering::SeqCst);
    let report = client.sync_now(&tech, None).unwrap();
    assert_eq!(report.ops_pushed as i64, waiting, "{report:?}");
    assert_eq!(tech.outbox_len().unwrap(), 0);
    assert!(tech.pending_blobs().unwrap().is_empty());
    hq.stop();
}
