//! Crash safety: a child process working visits is killed with SIGKILL at a
//! random moment; on reopen every change it reported as committed is in the
//! state and in the outbox, and the outbox sequence has no gap.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use onsite_core::visit::Visit;
use onsite_core::{sample, Technician};

/// A small deterministic generator so a failing kill point can be replayed.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn sigkill_at_random_moments_loses_no_committed_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tech.sqlite3");
    let mut seed: u64 = std::env::var("ONSITE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x005e_ed0f_f1ce);
    println!("crash seed {seed} (set ONSITE_CRASH_SEED to replay)");
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
        assert!(
            child.try_wait().unwrap().is_none(),
            "round {round}: the worker exited before it was killed"
        );
        child.kill().unwrap();
        child.wait().unwrap();

        let tech = Technician::open(&path, sample::profile()).unwrap();
        let last = tech.last_seq().unwrap();
        assert!(
            last >= reported_max,
            "round {round}: the child reported seq {reported_max} committed, the store has {last}"
        );
        let ops = tech.pending_ops(usize::MAX >> 1).unwrap();
        let seqs: Vec<i64> = ops.iter().map(|o| o.seq).collect();
        assert_eq!(
            seqs,
            (1..=last).collect::<Vec<_>>(),
            "round {round}: outbox has gaps"
        );
        // Every job's state is exactly the fold of its events, and the
        // technician's events and the outbox's ops are the same set, by id.
        let mut event_ids = std::collections::BTreeSet::new();
        for job in tech.jobs().unwrap() {
            let events = tech.events(&job.job_id).unwrap();
            event_ids.extend(
                events
                    .iter()
                    .filter(|e| !e.event.from_hq())
                    .map(|e| e.event_id.clone()),
            );
            assert_eq!(
                Visit::replay(&events).unwrap(),
                tech.job(&job.job_id).unwrap()
            );
        }
        let op_ids: std::collections::BTreeSet<String> =
            ops.iter().map(|o| o.op_id.clone()).collect();
        assert_eq!(op_ids.len(), ops.len(), "round {round}: an op id twice");
        assert_eq!(
            event_ids, op_ids,
            "round {round}: events and outbox disagree"
        );
        // The receipt ledger's hash chain survives every kill.
        assert_eq!(
            tech.verify_receipt_chain().unwrap(),
            None,
            "round {round}: receipt chain broken"
        );
    }
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

    let hq = onsite_hq::open_db(&dir.path().join("hq.sqlite3").display().to_string()).unwrap();
    let (sync, mode) = onsite_hq::db::tx(&*hq, |t| {
        let s = t
            .query_one("PRAGMA synchronous", &[])?
            .map(|r| r.int(0))
            .transpose()?;
        let m = t
            .query_one("PRAGMA journal_mode", &[])?
            .map(|r| r.text(0))
            .transpose()?;
        Ok((s, m))
    })
    .unwrap();
    assert_eq!(
        (sync, mode.as_deref()),
        (Some(2), Some("wal")),
        "HQ: FULL (2) and WAL"
    );
}
