//! Resumable photo uploads (issue 15, item 3), over real HTTP on SQLite and
//! PostgreSQL: a phone pushes a visit's facts before its photos, so the
//! service centre sees the visit (and "photo uploading") while the photos are
//! still on their way; photos go smallest first, in chunks; a link that dies
//! in the middle of a photo costs only the chunk in flight: the next sync
//! starts where HQ's last acknowledgement ended and never sends an
//! acknowledged chunk again. HQ stores a photo only once every byte is in and
//! the whole hashes to its address: a half-uploaded photo is never served.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, Utc};
use onsite_core::sample;
use onsite_core::sync::{SyncClient, SyncConfig};
use onsite_core::Error;
use onsite_hq::centre::people::Role;
use onsite_tests::browser::onsite_bin;
use onsite_tests::console::{add_person, Browser};
use onsite_tests::harness::{Backend, Hq, Phone};
use onsite_tests::proxy::{Fate, Faults, Proxy, Served};
use onsite_tests::{drive_accepted_with_photo, on_both, peek};
use reqwest::StatusCode;
use serde_json::Value;

const CHUNK: u64 = 16 * 1024;

/// A sync client for the phone's token through `url`, with small fixed
/// chunks so that one photo takes several requests.
fn client_via(url: &str, token: &str) -> SyncClient {
    let mut config = SyncConfig::new(url, token);
    config.base_backoff_ms = 10;
    config.max_backoff_ms = 40;
    config.max_attempts = 4;
    config.request_timeout_ms = 3_000;
    config.chunk_bytes = Some(CHUNK);
    SyncClient::new(config).unwrap()
}

fn addr(url: &str) -> std::net::SocketAddr {
    url.trim_start_matches("http://").parse().unwrap()
}

/// HQ's answer to a raw request: status, `Upload-Offset`, JSON body.
struct Answer {
    status: u16,
    offset: Option<u64>,
    body: Value,
}

fn send(
    hq: &Hq,
    method: &str,
    path: &str,
    token: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> Answer {
    hq.rt.block_on(async {
        let mut req = reqwest::Client::new()
            .request(method.parse().unwrap(), format!("{}{path}", hq.url))
            .bearer_auth(token)
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let offset = resp
            .headers()
            .get("upload-offset")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let bytes = resp.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Answer {
            status,
            offset,
            body,
        }
    })
}

fn chunk(hq: &Hq, token: &str, sha: &str, whole: &[u8], start: usize, end: usize) -> Answer {
    send(
        hq,
        "PATCH",
        &format!("/v1/uploads/{sha}"),
        token,
        &[
            ("content-type", "image/jpeg".into()),
            ("upload-offset", start.to_string()),
            ("upload-length", whole.len().to_string()),
        ],
        whole[start..end].to_vec(),
    )
}

/// A phone enrolled with HQ, its job dispatched and synced, then worked to
/// the customer's acceptance offline with a distinct photo; returns the
/// photo's SHA-256.
fn phone_with_visit(hq: &Hq, job: &str, device: &str, seed: u64) -> (Phone, String) {
    let code = hq.technician("T-1", "李师傅");
    let phone = Phone::enroll(&hq.url, &code, device);
    hq.dispatch(&sample::leak_order(
        job,
        "T-1",
        Utc::now() + Duration::hours(2),
    ));
    phone.sync();
    phone.tech.accept_job(job).unwrap();
    let photo = drive_accepted_with_photo(&phone.tech, job, seed).unwrap();
    (phone, photo)
}

/// Syncs `phone` over a link that carries the first `chunks` chunks and
/// drops every one after: the sync ends `Offline`. Returns the link, to
/// read what it served.
fn sync_cut_after(hq: &Hq, phone: &Phone, chunks: u64) -> Proxy {
    let cut = Proxy::start(
        addr(&hq.url),
        Faults {
            drop_chunks_after: Some(chunks as usize),
            ..Faults::none()
        },
    );
    let err = client_via(&cut.url, &phone.token)
        .sync_now(&phone.tech, None)
        .unwrap_err();
    assert!(matches!(err, Error::Offline { .. }), "{err:?}");
    cut
}

/// Syncs `phone` over a link that carries everything; what it served.
fn sync_watched(hq: &Hq, phone: &Phone) -> Vec<Served> {
    let watch = Proxy::start(
        addr(&hq.url),
        Faults {
            drop_chunks_after: Some(usize::MAX),
            ..Faults::none()
        },
    );
    client_via(&watch.url, &phone.token)
        .sync_now(&phone.tech, None)
        .unwrap();
    watch.served()
}

/// Syncs `phone` over a link that carries everything; where each chunk of
/// `photo` it sent started.
fn sync_watching(hq: &Hq, phone: &Phone, photo: &str) -> Vec<u64> {
    sync_watched(hq, phone)
        .iter()
        .filter(|s| s.chunk_of() == Some(photo) && s.fate == Fate::Pass)
        .map(|s| s.upload_offset.unwrap())
        .collect()
}

/// Chunks of the uploads that go before `photo` (smaller ones: thumbnails).
fn chunks_before(phone: &Phone, photo: &str) -> u64 {
    phone
        .tech
        .pending_uploads()
        .unwrap()
        .iter()
        .filter(|p| p.sha256 != photo)
        .map(|p| p.size.div_ceil(CHUNK))
        .sum()
}

fn a_visit_reaches_hq_before_its_photos(b: Backend) {
    let hq = Hq::start(b);
    let (phone, photo) = phone_with_visit(&hq, "UP-1", "DEV-UP1", 1);
    let pending = phone.tech.pending_uploads().unwrap();
    assert!(
        pending.iter().any(|p| p.sha256 == photo) && pending.len() >= 2,
        "the photo and its thumbnail wait: {pending:?}"
    );
    // Smallest first: the thumbnail, then the photo.
    let sizes: Vec<u64> = pending.iter().map(|p| p.size).collect();
    assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");

    // A link that carries everything but photos.
    let proxy = Proxy::start(
        addr(&hq.url),
        Faults {
            drop_chunks_after: Some(0),
            ..Faults::none()
        },
    );
    let err = client_via(&proxy.url, &phone.token)
        .sync_now(&phone.tech, None)
        .unwrap_err();
    assert!(matches!(err, Error::Offline { .. }), "{err:?}");

    // The visit is at HQ: every op applied, the photo named.
    assert_eq!(phone.tech.outbox_len().unwrap(), 0, "ops went first");
    // Yet the work is not done: what keeps the shells' sync scheduled
    // counts the photos left behind.
    assert_eq!(
        phone.tech.unsynced().unwrap(),
        phone.tech.pending_uploads().unwrap().len() as u64
    );
    assert!(phone.tech.unsynced().unwrap() >= 2);
    let at_hq = serde_json::to_value(hq.visit("UP-1")).unwrap();
    assert_eq!(at_hq["status"], "work_done");
    assert_eq!(
        at_hq["answers"]["property_repair.completion"]["finished_photo"]["value"], photo,
        "{}",
        at_hq["answers"]["property_repair.completion"]
    );
    // The photo is not: HQ serves nothing for it, and the console says it
    // is on its way.
    assert_eq!(hq.blob(&phone.token, &photo).0, 404);
    assert!(phone.tech.pending_blobs().unwrap().contains(&photo));
    add_person(&hq, "wang", "王芳", Role::FrontDesk);
    let mut desk = Browser::signed_in(&hq, "wang");
    let page = desk.get("/orders/UP-1");
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("照片上传中"), "{}", page.body);
    assert!(!page.body.contains(&format!("/photos/{photo}")));

    // The link comes back: the photos follow, byte for byte.
    phone.sync();
    assert!(phone.tech.pending_blobs().unwrap().is_empty());
    assert_eq!(phone.tech.unsynced().unwrap(), 0);
    let (media, mine) = phone.tech.blob(&photo).unwrap().unwrap();
    assert_eq!(media, "image/jpeg");
    assert_eq!(hq.blob(&phone.token, &photo), (200, mine));
    let page = desk.get("/orders/UP-1");
    assert!(!page.body.contains("照片上传中"));
    assert!(page.body.contains(&format!("/orders/UP-1/photos/{photo}")));
    hq.stop();
}
on_both!(a_visit_reaches_hq_before_its_photos);

fn a_photo_cut_off_resumes_where_it_stopped(b: Backend) {
    let hq = Hq::start(b);
    let (phone, photo) = phone_with_visit(&hq, "UP-2", "DEV-UP2", 2);
    let size = phone.tech.blob(&photo).unwrap().unwrap().1.len() as u64;
    assert!(size > 4 * CHUNK, "a photo of several chunks: {size} B");
    // The link dies three chunks into the photo.
    let cut = sync_cut_after(&hq, &phone, chunks_before(&phone, &photo) + 3);
    let left = phone.tech.pending_uploads().unwrap();
    assert_eq!(left.len(), 1, "only the photo is unsent: {left:?}");
    assert_eq!(
        (left[0].sha256.as_str(), left[0].acked),
        (photo.as_str(), 3 * CHUNK),
        "the phone recorded what HQ acknowledged"
    );
    // HQ holds those bytes apart from its photos: nothing is served.
    let status = send(
        &hq,
        "GET",
        &format!("/v1/uploads/{photo}"),
        &phone.token,
        &[],
        vec![],
    );
    assert_eq!(status.status, 200);
    assert_eq!(
        (
            &status.body["offset"],
            &status.body["length"],
            &status.body["stored"]
        ),
        (
            &Value::from(3 * CHUNK),
            &Value::from(size),
            &Value::Bool(false)
        )
    );
    assert_eq!(hq.blob(&phone.token, &photo).0, 404);

    // The next sync starts at byte 3 x CHUNK and sends each chunk once.
    let sent = sync_watching(&hq, &phone, &photo);
    let expected: Vec<u64> = (3..size.div_ceil(CHUNK)).map(|i| i * CHUNK).collect();
    assert_eq!(
        sent, expected,
        "resumed at the acknowledged offset, no chunk twice"
    );
    // Across both syncs, no acknowledged chunk went twice.
    let mut all: Vec<u64> = cut
        .served()
        .iter()
        .filter(|s| s.chunk_of() == Some(photo.as_str()) && s.fate == Fate::Pass)
        .map(|s| s.upload_offset.unwrap())
        .chain(sent.iter().copied())
        .collect();
    let n = all.len();
    all.dedup();
    assert_eq!(all.len(), n);
    let mine = phone.tech.blob(&photo).unwrap().unwrap().1;
    assert_eq!(hq.blob(&phone.token, &photo), (200, mine));
    assert!(phone.tech.pending_uploads().unwrap().is_empty());
    hq.stop();
}
on_both!(a_photo_cut_off_resumes_where_it_stopped);

/// `onsite hq retention` on HQ's database, as an operator's cron runs it
/// while HQ serves; its output.
fn retention(b: &Backend, arg: &str) -> String {
    let out = std::process::Command::new(onsite_bin())
        .args(["hq", "retention", arg, "--db", &b.url()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A photo cut off half way and not resumed for a month (the phone lost,
/// wiped, or the photo's visit dropped): its chunks are customer data no
/// order names, and the retention run drops them. One still being resumed
/// is kept. A phone that does come back sends the photo again from its
/// first byte, and HQ stores it whole.
fn an_upload_left_half_way_for_a_month_is_dropped(b: Backend) {
    let hq = Hq::start(b);
    let (phone, photo) = phone_with_visit(&hq, "UP-9", "DEV-UP9", 9);
    sync_cut_after(&hq, &phone, chunks_before(&phone, &photo) + 2);
    let held = |table: &str| {
        peek::query(
            &hq.backend.url(),
            &format!("SELECT count(*) FROM {table} WHERE sha256 = '{photo}'"),
            &[],
        )[0]
        .int(0)
    };
    assert_eq!((held("uploads"), held("upload_chunks")), (1, 2));
    let run = |arg: &str, says: &str| {
        let out = retention(&hq.backend, arg);
        assert!(
            out.contains(&format!(
                "unfinished photo uploads idle for 30 days: {says}"
            )),
            "{out}"
        );
    };

    // Yesterday's upload stays.
    run("--apply", "0 dropped");
    assert_eq!((held("uploads"), held("upload_chunks")), (1, 2));

    // A month without its next chunk: listed, then dropped.
    let month_ago =
        (Utc::now() - Duration::days(31)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    peek::exec(
        &hq.backend.url(),
        "UPDATE uploads SET updated_at = $1",
        &[month_ago.as_str().into()],
    );
    run("--dry-run", "1 due");
    assert_eq!((held("uploads"), held("upload_chunks")), (1, 2));
    run("--apply", "1 dropped");
    assert_eq!((held("uploads"), held("upload_chunks")), (0, 0));

    // The phone comes back: HQ has none of the photo's bytes, so it goes
    // again from the first, and arrives whole.
    let offsets = sync_watching(&hq, &phone, &photo);
    assert!(offsets.contains(&0), "sent again from byte 0: {offsets:?}");
    let mine = phone.tech.blob(&photo).unwrap().unwrap().1;
    assert_eq!(hq.blob(&phone.token, &photo), (200, mine));
    assert!(phone.tech.pending_uploads().unwrap().is_empty());
    hq.stop();
}
on_both!(an_upload_left_half_way_for_a_month_is_dropped);

/// Several visits' photos over one link: thumbnails (small) all go before
/// any full photo, whatever order they were taken in.
fn photos_go_smallest_first(b: Backend) {
    let hq = Hq::start(b);
    let code = hq.technician("T-1", "李师傅");
    let phone = Phone::enroll(&hq.url, &code, "DEV-UP3");
    for n in 1..=3 {
        hq.dispatch(&sample::leak_order(
            &format!("UP-3{n}"),
            "T-1",
            Utc::now() + Duration::hours(n),
        ));
    }
    phone.sync();
    let mut sizes = BTreeMap::new();
    for n in 1..=3 {
        let job = format!("UP-3{n}");
        phone.tech.accept_job(&job).unwrap();
        drive_accepted_with_photo(&phone.tech, &job, 30 + n as u64).unwrap();
    }
    for p in phone.tech.pending_uploads().unwrap() {
        sizes.insert(p.sha256, p.size);
    }
    let served = sync_watched(&hq, &phone);
    let first_chunk = served.iter().position(|s| s.chunk_of().is_some()).unwrap();
    assert!(
        served[..first_chunk].iter().any(|s| s.push),
        "the pushes went before any photo"
    );
    let mut order: Vec<&str> = Vec::new();
    for s in &served {
        if let Some(sha) = s.chunk_of() {
            if order.last() != Some(&sha) {
                order.push(sha);
            }
        }
    }
    let by_size: Vec<u64> = order.iter().map(|s| sizes[*s]).collect();
    assert_eq!(
        order.iter().collect::<BTreeSet<_>>().len(),
        order.len(),
        "each photo once, whole, before the next"
    );
    assert!(by_size.windows(2).all(|w| w[0] <= w[1]), "{by_size:?}");
    assert_eq!(order.len(), sizes.len());
    hq.stop();
}
on_both!(photos_go_smallest_first);

fn hq_takes_chunks_only_where_its_bytes_end(b: Backend) {
    let hq = Hq::start(b);
    let code = hq.technician("T-1", "李师傅");
    let phone = Phone::enroll(&hq.url, &code, "DEV-UP4");
    let code2 = hq.technician("T-2", "王师傅");
    let other = Phone::enroll(&hq.url, &code2, "DEV-UP5");
    let whole: Vec<u8> = (0..300u32).map(|i| (i * 7 % 251) as u8).collect();
    let sha = onsite_core::signature::record::content_hash(&whole);
    let t = phone.token.as_str();

    let a = chunk(&hq, t, &sha, &whole, 0, 100);
    assert_eq!((a.status, a.offset), (200, Some(100)), "{}", a.body);
    assert_eq!(
        (&a.body["offset"], &a.body["stored"]),
        (&Value::from(100), &Value::Bool(false))
    );
    // A chunk past HQ's bytes: 409 with where to resume, nothing taken.
    let gap = chunk(&hq, t, &sha, &whole, 200, 300);
    assert_eq!((gap.status, gap.offset), (409, Some(100)), "{}", gap.body);
    assert_eq!(gap.body["error"], "conflict");
    // A resent chunk HQ holds: acknowledged again, not stored twice.
    let again = chunk(&hq, t, &sha, &whole, 0, 100);
    assert_eq!((again.status, again.offset), (200, Some(100)));
    // Overlapping: only the new part is taken.
    let overlap = chunk(&hq, t, &sha, &whole, 50, 150);
    assert_eq!((overlap.status, overlap.offset), (200, Some(150)));
    // Another technician's upload of the same bytes is their own.
    let theirs = send(
        &hq,
        "GET",
        &format!("/v1/uploads/{sha}"),
        &other.token,
        &[],
        vec![],
    );
    assert_eq!(
        (&theirs.body["offset"], &theirs.body["length"]),
        (&Value::from(0), &Value::from(0))
    );
    // Half uploaded: never served.
    assert_eq!(hq.blob(t, &sha).0, 404);
    let last = chunk(&hq, t, &sha, &whole, 150, 300);
    assert_eq!(
        (last.status, last.offset),
        (201, Some(300)),
        "{}",
        last.body
    );
    assert_eq!(last.body["stored"], true);
    assert_eq!(hq.blob(t, &sha), (200, whole.clone()));
    // Stored: a late chunk is told so.
    let late = chunk(&hq, t, &sha, &whole, 0, 100);
    assert_eq!(
        (late.status, &late.body["stored"]),
        (201, &Value::Bool(true))
    );

    // Bytes that do not hash to the address: nothing stored, start again.
    let mut forged = whole.clone();
    forged[0] ^= 0xff;
    let other_whole: Vec<u8> = whole.iter().map(|b| b.wrapping_add(1)).collect();
    let sha2 = onsite_core::signature::record::content_hash(&other_whole);
    assert_eq!(chunk(&hq, t, &sha2, &forged, 0, 200).status, 200);
    let bad = chunk(&hq, t, &sha2, &forged, 200, 300);
    assert_eq!(
        (bad.status, &bad.body["error"]),
        (422, &Value::from("blob_mismatch")),
        "{}",
        bad.body
    );
    assert!(bad.body["message"]
        .as_str()
        .unwrap()
        .contains("照片数据校验失败"));
    assert_eq!(hq.blob(t, &sha2).0, 404);
    let reset = send(&hq, "GET", &format!("/v1/uploads/{sha2}"), t, &[], vec![]);
    assert_eq!(reset.body["offset"], 0, "the chunks were dropped");

    // Malformed chunks: typed errors.
    let path = format!("/v1/uploads/{sha2}");
    let no_offset = send(
        &hq,
        "PATCH",
        &path,
        t,
        &[("upload-length", "300".into())],
        vec![1; 10],
    );
    assert_eq!(
        (no_offset.status, &no_offset.body["error"]),
        (400, &Value::from("bad_request"))
    );
    let past_end = send(
        &hq,
        "PATCH",
        &path,
        t,
        &[("upload-offset", "0".into()), ("upload-length", "5".into())],
        vec![1; 10],
    );
    assert_eq!(past_end.status, 400, "{}", past_end.body);
    let huge = send(
        &hq,
        "PATCH",
        &path,
        t,
        &[
            ("upload-offset", "0".into()),
            ("upload-length", "999999999".into()),
        ],
        vec![1; 10],
    );
    assert_eq!(huge.status, 400, "{}", huge.body);
    let too_big = send(
        &hq,
        "PATCH",
        &path,
        t,
        &[
            ("upload-offset", "0".into()),
            ("upload-length", "3000000".into()),
        ],
        vec![1; 2 * 1024 * 1024],
    );
    assert_eq!(
        (too_big.status, &too_big.body["error"]),
        (413, &Value::from("too_large"))
    );
    let upper = send(
        &hq,
        "PATCH",
        &format!("/v1/uploads/{}", sha2.to_uppercase()),
        t,
        &[
            ("upload-offset", "0".into()),
            ("upload-length", "10".into()),
        ],
        vec![1; 10],
    );
    assert_eq!(upper.status, 400);
    let anonymous = hq.call("GET", &path, None, None);
    assert_eq!(anonymous.0, 401);
    hq.stop();
}
on_both!(hq_takes_chunks_only_where_its_bytes_end);

/// A day's visits synced over a link that drops requests part-way and
/// disconnects every second and a half: syncs run again until nothing is
/// left, every op and photo arrives once and whole, and what was resent
/// stays a fraction of what had to be sent.
fn a_day_over_a_bad_link_loses_nothing(b: Backend) {
    use onsite_tests::link::{Link, Shape};
    let hq = Hq::start(b);
    let code = hq.technician("T-1", "李师傅");
    let phone = Phone::enroll(&hq.url, &code, "DEV-UP6");
    for n in 1..=2 {
        hq.dispatch(&sample::leak_order(
            &format!("UP-6{n}"),
            "T-1",
            Utc::now() + Duration::hours(n),
        ));
    }
    phone.sync();
    let mut photos = Vec::new();
    for n in 1..=2 {
        let job = format!("UP-6{n}");
        phone.tech.accept_job(&job).unwrap();
        photos.push(drive_accepted_with_photo(&phone.tech, &job, 60 + n as u64).unwrap());
    }
    let blob_bytes: u64 = phone
        .tech
        .pending_uploads()
        .unwrap()
        .iter()
        .map(|p| p.size)
        .sum();
    let push_bytes = serde_json::to_vec(&phone.tech.pending_ops(usize::MAX).unwrap())
        .unwrap()
        .len() as u64;
    let link = Link::start(
        addr(&hq.url),
        Shape {
            bytes_per_sec: 256 * 1024,
            round_trip: std::time::Duration::from_millis(30),
            drop: 0.15,
            disconnect_every: Some(std::time::Duration::from_millis(700)),
            outage: std::time::Duration::from_millis(100),
            seed: 6,
        },
    );
    let mut config = SyncConfig::new(&link.url, &phone.token);
    config.base_backoff_ms = 10;
    config.max_backoff_ms = 50;
    config.request_timeout_ms = 5_000;
    config.chunk_bytes = Some(CHUNK);
    let client = SyncClient::new(config).unwrap();
    let mut syncs = 0;
    while phone.tech.outbox_len().unwrap() > 0 || phone.tech.pending_blob_count().unwrap() > 0 {
        syncs += 1;
        assert!(syncs < 200, "not synced after {syncs} syncs");
        match client.sync_now(&phone.tech, None) {
            Ok(_) | Err(Error::Offline { .. }) => {}
            Err(e) => panic!("sync failed: {e:?}"),
        }
    }
    let crossed = link.crossed();
    assert!(
        crossed.dropped > 0 && crossed.cut > 0,
        "the link dropped and cut requests: {crossed:?}"
    );
    for (n, photo) in photos.iter().enumerate() {
        let job = format!("UP-6{}", n + 1);
        assert_eq!(
            serde_json::to_value(hq.visit(&job)).unwrap()["status"],
            "work_done"
        );
        let mine = phone.tech.blob(photo).unwrap().unwrap().1;
        assert_eq!(hq.blob(&phone.token, photo), (200, mine));
    }
    assert!(
        crossed.bytes_up < 2 * (blob_bytes + push_bytes),
        "sent {} B for {} B of photos and {} B of plain ops",
        crossed.bytes_up,
        blob_bytes,
        push_bytes
    );
    let unfinished =
        onsite_tests::peek::query(&hq.backend.url(), "SELECT COUNT(*) FROM uploads", &[]);
    assert_eq!(unfinished[0].int(0), 0);
    hq.stop();
}
on_both!(a_day_over_a_bad_link_loses_nothing);
