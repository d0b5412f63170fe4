//! Child process for the crash-safety tests, killed with SIGKILL by its parent.
//!
//! `crash_worker STORE_PATH FIRST_JOB_NUMBER`: works visit after visit on a
//! store file and prints the last committed outbox sequence after every change.
//!
//! `crash_worker encrypt STORE_PATH KEY_BYTE`: opens a plain store with a key,
//! which encrypts it in place, and is killed during or after that.
//!
//! `crash_worker sync STORE_PATH HQ_URL TOKEN TECHNICIAN_ID DEVICE_ID APPROVAL_KEY ROUND`:
//! a phone enrolled at a real HQ. Each turn it plays the office on HQ (dispatches
//! the next job and a spare, cancels the previous spare), syncs (pushing the last
//! visit in small batches and its photo in small chunks, pulling the office's
//! changes) and works the new job offline, with a photo, printing `seq N`
//! after every visit. With `ONSITE_CRASH_AT=<point>:<n>`
//! the sync stops at the n-th pass of a crash point of the core
//! (`onsite_core::sync::crash_point`), prints `crash-point <point> <n>` and waits
//! for the kill.

// Test and benchmark support: a failed unwrap is a failed run, not a crash in the field.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use onsite_core::receipt::NumberBlock;
use onsite_core::sync::{SyncClient, SyncConfig};
use onsite_core::{sample, Profile, Technician};
use onsite_tests::harness::{call, ADMIN};
use std::io::Write;

/// Ops per push: several pushes (and so several acknowledgements) per sync.
const BATCH: usize = 5;
/// Bytes per photo chunk: a visit's photo (tens of KB) goes in several.
const CHUNK: u64 = 16 * 1024;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [path, first] => work_offline(path, first.parse().unwrap_or(0)),
        ["encrypt", path, key_byte] => encrypt(path, key_byte.parse().unwrap_or(0)),
        ["sync", path, url, token, tech, device, key, round] => work_synced(
            path,
            url,
            token,
            Profile {
                technician_id: (*tech).into(),
                technician_name: "李师傅".into(),
                device_id: (*device).into(),
                approval_key: (*key).into(),
            },
            round,
        ),
        _ => {
            eprintln!("usage: crash_worker STORE_PATH FIRST_JOB_NUMBER");
            eprintln!("       crash_worker sync STORE_PATH HQ_URL TOKEN TECHNICIAN_ID DEVICE_ID APPROVAL_KEY ROUND");
            eprintln!("       crash_worker encrypt STORE_PATH KEY_BYTE");
            std::process::exit(2);
        }
    }
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn open(path: &str, profile: Profile) -> Technician {
    Technician::open(path, profile).unwrap_or_else(|e| {
        eprintln!("open: {e}");
        std::process::exit(1);
    })
}

/// Opens a store with the key `[key_byte; 32]` (encrypting a plain store in
/// place), printing `start` before and `opened` after, then waits for the
/// kill with the store open. With `ONSITE_CRASH_AT=store.encrypt.<step>:1`
/// it stops at that step of the encryption instead.
fn encrypt(path: &str, key_byte: u8) {
    let key = onsite_core::StoreKey::from_bytes(&[key_byte; 32]).unwrap();
    say("start");
    let _tech = Technician::open_encrypted(path, &key, sample::profile()).unwrap_or_else(|e| {
        eprintln!("open: {e}");
        std::process::exit(1);
    });
    say("opened");
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

fn work_offline(path: &str, first: u32) {
    let tech = open(path, sample::profile());
    // Enough receipt numbers for any run; a block already held is fine.
    let _ = tech.grant_receipt_block(&NumberBlock {
        series: format!("CR{first}"),
        first: 1,
        last: 100_000,
    });
    for n in first.. {
        let job = format!("CRASH-{n}");
        let mut report = |seq: i64| say(&seq.to_string());
        if let Err(e) =
            onsite_tests::full_visit(&tech, &job, Utc::now() + Duration::minutes(2), &mut report)
        {
            eprintln!("{job}: {e}");
            std::process::exit(1);
        }
    }
}

fn work_synced(path: &str, url: &str, token: &str, profile: Profile, round: &str) {
    let tid = profile.technician_id.clone();
    let tech = open(path, profile);
    let mut config = SyncConfig::new(url, token);
    config.batch_size = BATCH;
    // Each visit's photo goes in several chunks: kills can land between them.
    config.chunk_bytes = Some(CHUNK);
    config.base_backoff_ms = 20;
    config.max_backoff_ms = 200;
    let client = SyncClient::new(config).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let office = |method: &str, path: &str, body: serde_json::Value| {
        let (status, v) = call(&rt, url, method, path, Some(ADMIN), Some(body));
        if status >= 300 {
            eprintln!("{method} {path}: {status} {v}");
            std::process::exit(1);
        }
    };
    for n in 0.. {
        let job = format!("S{round}-{n}");
        let spare = |n: u32| format!("S{round}-{n}-SPARE");
        let at = Utc::now() + Duration::minutes(2);
        for j in [job.clone(), spare(n)] {
            office(
                "POST",
                "/v1/orders",
                serde_json::to_value(sample::leak_order(&j, &tid, at)).unwrap(),
            );
        }
        if n > 0 {
            office(
                "POST",
                &format!("/v1/orders/{}/cancel", spare(n - 1)),
                serde_json::json!({"reason": "客户取消"}),
            );
        }
        if let Err(e) = client.sync_now(&tech, None) {
            eprintln!("sync before {job}: {e}");
            std::process::exit(1);
        }
        let seed = round.parse::<u64>().unwrap_or(0) * 1000 + u64::from(n);
        if let Err(e) = onsite_tests::drive_accepted_to_handover_with_photo(&tech, &job, seed) {
            eprintln!("{job}: {e}");
            std::process::exit(1);
        }
        say(&format!("seq {}", tech.last_seq().unwrap()));
    }
}
