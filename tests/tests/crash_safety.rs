//! Crash safety: a child process working visits is killed with SIGKILL at
//! seed-chosen moments (between its steps, and at the crash points inside a
//! sync with a real HQ: before a push, after HQ applied it, inside the
//! acknowledgement, inside a pulled page); on reopen every change it reported
//! as committed is in the state and in the outbox, the outbox holds exactly
//! the ops HQ has not acknowledged, and a resync converges with every op
//! applied once at HQ and every HQ change applied on the phone.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use onsite_core::sync::{SyncClient, SyncConfig};
use onsite_core::visit::{Op, Visit};
use onsite_core::{sample, Profile, Technician};
use onsite_hq::centre::dossier::photos_of;
use onsite_tests::harness::{sqlite_backend, Hq};

/// A small deterministic generator so a failing kill point can be replayed.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// SIGKILLs the worker, which must still be running: a worker that ended on
/// its own proves nothing about a kill.
fn kill_running(child: &mut std::process::Child, round: u32) {
    assert!(
        child.try_wait().unwrap().is_none(),
        "round {round}: the worker exited before it was killed"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

/// The run's seed: `ONSITE_CRASH_SEED` replays a failing run.
fn seed() -> u64 {
    let seed = std::env::var("ONSITE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x005e_ed0f_f1ce);
    println!("crash seed {seed} (set ONSITE_CRASH_SEED to replay)");
    seed
}

/// What a reopened store must hold whatever the kill interrupted: the
/// outbox is a gap-free run of sequence numbers up to the last one; every
/// job's state is exactly the fold of its events; every outbox op is one of
/// the technician's events, by id; the receipt chain is whole. Returns the
/// outbox and the ids of every fact the device recorded itself.
fn assert_store_consistent(tech: &Technician, round: u32) -> (Vec<Op>, BTreeSet<String>) {
    let last = tech.last_seq().unwrap();
    let ops = tech.pending_ops(usize::MAX >> 1).unwrap();
    let seqs: Vec<i64> = ops.iter().map(|o| o.seq).collect();
    let first = seqs.first().copied().unwrap_or(last + 1);
    assert_eq!(
        seqs,
        (first..=last).collect::<Vec<_>>(),
        "round {round}: the outbox is not the gap-free run of ops after the acknowledged ones"
    );
    let mut event_ids = BTreeSet::new();
    for job in tech.jobs().unwrap() {
        // A purged job keeps its record without its events (HQ has them).
        if tech.is_purged(&job.job_id).unwrap() {
            continue;
        }
        let events = tech.events(&job.job_id).unwrap();
        event_ids.extend(
            events
                .iter()
                .filter(|e| !e.event.from_hq())
                .map(|e| e.event_id.clone()),
        );
        assert_eq!(
            Visit::replay(&events).unwrap(),
            tech.job(&job.job_id).unwrap(),
            "round {round}: {} is not the fold of its events",
            job.job_id
        );
    }
    let op_ids: BTreeSet<String> = ops.iter().map(|o| o.op_id.clone()).collect();
    assert_eq!(op_ids.len(), ops.len(), "round {round}: an op id twice");
    assert!(
        op_ids.is_subset(&event_ids),
        "round {round}: outbox ops without their event: {:?}",
        op_ids.difference(&event_ids).collect::<Vec<_>>()
    );
    assert_eq!(
        tech.verify_receipt_chain().unwrap(),
        None,
        "round {round}: receipt chain broken"
    );
    (ops, event_ids)
}

#[test]
fn sigkill_at_random_moments_loses_no_committed_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tech.sqlite3");
    let mut seed = seed();
    let mut reported_max = 0i64;
    for round in 0..5u32 {
        // Each round kills after a different number of committed steps (30..330).
        let kill_after_lines = 30 + next(&mut seed) % 300;
        let mut child = Command::new(env!("CARGO_BIN_EXE_crash_worker"))
            .arg(&path)
            .arg((round * 1000).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let started = Instant::now();
        let mut seen = 0;
        while seen < kill_after_lines && started.elapsed() < Duration::from_secs(60) {
            match lines.next() {
                Some(Ok(l)) => {
                    reported_max = reported_max.max(l.trim().parse().unwrap());
                    seen += 1;
                }
                _ => break,
            }
        }
        // SIGKILL while the child is mid-way through further steps: it must
        // still be running, having reported the steps the kill point asked for
        // (a worker that ended on its own proves nothing about a kill).
        assert_eq!(
            seen, kill_after_lines,
            "round {round}: the worker stopped reporting before the kill point"
        );
        kill_running(&mut child, round);

        let tech = Technician::open(&path, sample::profile()).unwrap();
        let last = tech.last_seq().unwrap();
        assert!(
            last >= reported_max,
            "round {round}: the child reported seq {reported_max} committed, the store has {last}"
        );
        // Offline nothing is acknowledged: the outbox holds every fact, from seq 1.
        let (ops, event_ids) = assert_store_consistent(&tech, round);
        assert!(
            ops.first().is_none_or(|o| o.seq == 1),
            "round {round}: outbox trimmed offline"
        );
        let op_ids: BTreeSet<String> = ops.iter().map(|o| o.op_id.clone()).collect();
        assert_eq!(
            event_ids, op_ids,
            "round {round}: events and outbox disagree"
        );
    }
}

/// Ops per push in the worker's syncs (`crash_worker`'s `BATCH`).
const WORKER_BATCH: usize = 5;

/// The crash points of a sync (`onsite_core::sync::crash_point`), each with
/// how many passes a kill may wait for (the worker pushes 5 ops a batch, a
/// visit is about 20 ops and a photo a few 16 KiB chunks, and each sync
/// pulls one page).
const SYNC_POINTS: [(&str, u64); 5] = [
    // Before a push is sent: the batch is still the phone's alone (HQ's
    // answer to the batch before it is recorded while this one travels).
    ("push-sending", 8),
    // HQ applied the batch; the phone has not recorded the answer.
    ("push-answered", 8),
    // Inside the acknowledgement's transaction, after the trim, before the commit.
    ("ack-committing", 8),
    // Inside a pulled page's transaction, after its changes, before the commit.
    ("pull-applying", 3),
    // HQ took a photo's chunk; the phone has not recorded how far it got.
    ("chunk-answered", 6),
];

/// Whether HQ holds more of a photo than the phone recorded it sent: the
/// whole photo stored, or more bytes of its unfinished upload.
fn hq_is_ahead_on(hq: &Hq, photo: &onsite_core::store::blobs::PendingBlob) -> bool {
    let url = hq.backend.url();
    let sha: onsite_tests::peek::Val = photo.sha256.as_str().into();
    let stored = onsite_tests::peek::query(
        &url,
        "SELECT count(*) FROM blobs WHERE sha256 = $1",
        std::slice::from_ref(&sha),
    )[0]
    .int(0)
        > 0;
    let received = onsite_tests::peek::query(
        &url,
        "SELECT received FROM uploads WHERE sha256 = $1",
        &[sha],
    )
    .first()
    .map_or(0, |r| r.int(0));
    stored || received as u64 > photo.acked
}

/// The op ids HQ holds for `device`, each with its outcome.
fn ops_at_hq(hq: &Hq, device: &str) -> BTreeMap<String, String> {
    onsite_tests::peek::query(
        &hq.backend.url(),
        "SELECT op_id, outcome FROM ops WHERE device_id = $1",
        &[device.into()],
    )
    .iter()
    .map(|r| (r.text(0), r.text(1)))
    .collect()
}

/// A phone syncing with a real HQ is killed inside the sync, at a crash point
/// and pass the seed picks (every point in turn). On reopen nothing committed
/// is lost and the phone trimmed only ops HQ holds; a kill after HQ applied a
/// batch leaves that batch in the outbox (HQ answers it as duplicates on the
/// resync); a kill inside a pulled page leaves the page to be pulled again.
/// After the resync HQ holds every fact of the device exactly once, applied,
/// and every job HQ holds for the technician is the same on the phone.
#[test]
fn sigkill_inside_a_sync_loses_nothing_and_applies_nothing_twice() {
    let mut seed = seed();
    let (_hq_dir, backend) = sqlite_backend();
    let hq = Hq::start(backend);
    let code = hq.technician("T-CRASH", "李师傅");
    let device = "DEV-CRASH";
    let e = SyncClient::enroll_blocking(&hq.url, &code, device).unwrap();
    let profile = Profile {
        technician_id: e.technician_id.clone(),
        technician_name: "李师傅".into(),
        device_id: device.into(),
        approval_key: e.approval_key.clone(),
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tech.sqlite3");
    let mut reported_max = 0i64;
    for round in 0..10u32 {
        let (point, passes) = SYNC_POINTS[round as usize % SYNC_POINTS.len()];
        let pass = 1 + next(&mut seed) % passes;
        let mut child = Command::new(env!("CARGO_BIN_EXE_crash_worker"))
            .args(["sync", &path.display().to_string(), &hq.url, &e.token])
            .args([&e.technician_id, device, &e.approval_key])
            .arg(round.to_string())
            .env("ONSITE_CRASH_AT", format!("{point}:{pass}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let started = Instant::now();
        let stop = format!("crash-point {point} {pass}");
        let mut stopped = false;
        while !stopped && started.elapsed() < Duration::from_secs(180) {
            match lines.next() {
                Some(Ok(l)) if l == stop => stopped = true,
                Some(Ok(l)) => {
                    let seq = l.strip_prefix("seq ").expect("a seq line").parse().unwrap();
                    reported_max = reported_max.max(seq);
                }
                _ => break,
            }
        }
        assert!(
            stopped,
            "round {round}: the worker never reached {point} pass {pass}"
        );
        kill_running(&mut child, round);

        let tech = Technician::open(&path, profile.clone()).unwrap();
        let last = tech.last_seq().unwrap();
        assert!(
            last >= reported_max,
            "round {round}: the worker reported seq {reported_max} committed, the store has {last}"
        );
        let (ops, event_ids) = assert_store_consistent(&tech, round);
        let at_hq = ops_at_hq(&hq, device);
        let pending: BTreeSet<String> = ops.iter().map(|o| o.op_id.clone()).collect();
        let trimmed: Vec<&String> = event_ids.difference(&pending).collect();
        let lost: Vec<&&String> = trimmed
            .iter()
            .filter(|id| !at_hq.contains_key(**id))
            .collect();
        assert!(
            lost.is_empty(),
            "round {round} ({point} {pass}): the phone trimmed ops HQ never received: {lost:?}"
        );
        let unknown: Vec<&String> = at_hq.keys().filter(|id| !event_ids.contains(*id)).collect();
        assert!(
            unknown.is_empty(),
            "round {round}: HQ holds ops the phone never recorded: {unknown:?}"
        );
        let held_by_both = pending.iter().filter(|id| at_hq.contains_key(*id)).count();
        match point {
            "push-answered" | "ack-committing" => assert!(
                held_by_both > 0,
                "round {round} ({point} {pass}): HQ applied the batch, so the phone must still hold it unacknowledged"
            ),
            // The phone records HQ's answer to a push while the next one
            // travels: killed before that next one is sent, it may still
            // hold the batch before it, and never more than that batch.
            "push-sending" => assert!(
                held_by_both <= WORKER_BATCH,
                "round {round} ({point} {pass}): {held_by_both} ops HQ acknowledged are still in the outbox, more than the one batch whose answer was being recorded"
            ),
            _ => assert_eq!(
                held_by_both, 0,
                "round {round} ({point} {pass}): ops HQ acknowledged are still in the outbox"
            ),
        }
        if point == "chunk-answered" {
            let pending = tech.pending_uploads().unwrap();
            assert!(
                pending.iter().any(|p| hq_is_ahead_on(&hq, p)),
                "round {round}: killed after HQ took a chunk, yet HQ holds no more of any photo than the phone recorded: {pending:?}"
            );
        }
        let cursor = tech.pull_cursor().unwrap();

        let report = SyncClient::new(SyncConfig::new(&hq.url, &e.token))
            .unwrap()
            .sync_now(&tech, None)
            .unwrap();
        assert_eq!(
            tech.outbox_len().unwrap(),
            0,
            "round {round}: resync leaves ops"
        );
        assert_eq!(report.ops_rejected, 0, "round {round}: {report:?}");
        if held_by_both > 0 {
            assert!(
                report.ops_duplicate > 0,
                "round {round}: the batch HQ had applied must come back as duplicates: {report:?}"
            );
        }
        if point == "pull-applying" {
            assert!(
                report.changes_pulled > 0 && tech.pull_cursor().unwrap() > cursor,
                "round {round}: the page the kill interrupted must be pulled again: {report:?}"
            );
        }
        println!(
            "round {round}: killed at {point} pass {pass}: {} ops pending, {held_by_both} of them already at HQ; resync {report:?}",
            pending.len()
        );
        let at_hq = ops_at_hq(&hq, device);
        let applied: BTreeSet<String> = at_hq
            .iter()
            .filter(|(_, outcome)| *outcome == "applied")
            .map(|(id, _)| id.clone())
            .collect();
        assert_eq!(
            applied.len(),
            at_hq.len(),
            "round {round}: HQ refused ops: {at_hq:?}"
        );
        assert_eq!(
            applied,
            assert_store_consistent(&tech, round).1,
            "round {round}: HQ's applied ops are not the device's facts"
        );
        let orders = hq.ok(hq.api.list_orders(&onsite_hq::api::OrderFilter {
            technician_id: Some("T-CRASH".into()),
            status: None,
        }));
        assert!(!orders.is_empty());
        for o in &orders {
            let job = o.job_id.as_str();
            // A job whose customer data left the phone keeps only its record.
            if tech.is_purged(job).unwrap() {
                continue;
            }
            let mine = tech
                .job(job)
                .unwrap_or_else(|e| panic!("round {round}: {job} at HQ, not on the phone: {e}"));
            assert_eq!(
                serde_json::to_value(&mine).unwrap(),
                hq.order(job),
                "round {round}: {job} differs between the phone and HQ"
            );
            assert!(
                tech.conflicts(job).unwrap().is_empty(),
                "round {round}: {job}"
            );
            // Its photo is at HQ byte for byte, whatever chunk the kill cut.
            for sha in photos_of(&hq.visit(job)) {
                let (_, mine) = tech.blob(&sha).unwrap().unwrap();
                assert_eq!(
                    hq.blob(&e.token, &sha),
                    (200, mine),
                    "round {round}: {job}'s photo {sha} at HQ"
                );
            }
        }
        assert!(
            tech.pending_uploads().unwrap().is_empty(),
            "round {round}: photos left unsent"
        );
        assert!(
            onsite_tests::peek::query(&hq.backend.url(), "SELECT sha256 FROM uploads", &[])
                .is_empty(),
            "round {round}: an upload left unfinished at HQ"
        );
    }
    hq.stop();
}

/// SIGKILL cannot show what reaches the disk: a committed change survives a
/// power cut only with WAL and `synchronous=FULL`, on the phone's store and
/// on HQ's SQLite alike.
#[test]
fn stores_commit_to_disk_with_wal_and_full_sync() {
    let dir = tempfile::tempdir().unwrap();
    let conn = onsite_core::store::open(&dir.path().join("phone.sqlite3")).unwrap();
    let sync: i64 = conn
        .pragma_query_value(None, "synchronous", |r| r.get(0))
        .unwrap();
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!((sync, mode.as_str()), (2, "wal"), "phone: FULL (2) and WAL");

    let path = dir.path().join("hq.sqlite3").display().to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (sync, mode) = rt
        .block_on(async {
            let hq = onsite_hq::storage::sqlite::SqliteStorage::open(path).await?;
            hq.durability().await
        })
        .unwrap();
    assert_eq!((sync, mode.as_str()), (2, "wal"), "HQ: FULL (2) and WAL");
}
