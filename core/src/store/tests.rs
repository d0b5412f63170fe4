//! The store's tables, each read back after it was written, on a real SQLite
//! file. The visit stories and the crash suite exercise the store as a whole;
//! these pin what each table function promises (ordering, once-only rows,
//! edges of ranges), so that a function that silently did nothing fails here.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rusqlite::Connection;

use super::*;
use crate::receipt::{EntryKind, NumberBlock, Receipt};
use crate::visit::{Actor, Event, Visit};

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 8, minute, 0).unwrap()
}

fn fresh() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store.sqlite3")).unwrap();
    (dir, store)
}

fn writer(now: DateTime<Utc>) -> Writer<'static> {
    Writer {
        device_id: "dev-1",
        actor: Actor::Technician("T1".into()),
        now,
        batch_hlc: None,
    }
}

fn dispatched(job: &str, appointment: DateTime<Utc>) -> Visit {
    Visit::dispatched(crate::sample::leak_order(job, "T1", appointment))
        .unwrap()
        .0
}

fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn opening_sets_durable_pragmas_and_the_current_schema() {
    let (_dir, store) = fresh();
    store
        .read(|c| {
            let sync: i64 = c.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
            let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
            let fk: i64 = c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
            assert_eq!((sync, mode.as_str(), fk), (2, "wal", 1));
            assert_eq!(schema::version(c)?, schema::VERSION);
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_failed_write_leaves_nothing_behind() {
    let (_dir, store) = fresh();
    let err = store.write(|tx| {
        meta::set(tx, meta::PULL_CURSOR, "7")?;
        Err::<(), _>(Error::ReceiptNumbersExhausted)
    });
    assert!(matches!(err, Err(Error::ReceiptNumbersExhausted)));
    assert_eq!(
        store.read(|c| meta::get(c, meta::PULL_CURSOR)).unwrap(),
        None
    );
    store
        .write(|tx| meta::set(tx, meta::PULL_CURSOR, "8"))
        .unwrap();
    assert_eq!(
        store.read(|c| meta::get_i64(c, meta::PULL_CURSOR)).unwrap(),
        8
    );
}

#[test]
fn meta_counters_start_at_zero_and_refuse_garbage() {
    let (_dir, store) = fresh();
    store
        .write(|tx| {
            assert_eq!(meta::get(tx, "nothing")?, None);
            assert_eq!(meta::get_i64(tx, "nothing")?, 0);
            meta::set(tx, "k", "41")?;
            meta::set(tx, "k", "42")?;
            assert_eq!(meta::get(tx, "k")?.as_deref(), Some("42"));
            assert_eq!(meta::get_i64(tx, "k")?, 42);
            meta::set(tx, "k", "-3")?;
            assert_eq!(meta::get_i64(tx, "k")?, -3);
            meta::set(tx, "k", "forty")?;
            assert!(matches!(meta::get_i64(tx, "k"), Err(Error::Corrupt { .. })));
            Ok(())
        })
        .unwrap();
}

#[test]
fn recording_writes_event_projection_outbox_and_audit_together() {
    let (_dir, store) = fresh();
    let visit = dispatched("J-1", at(30));
    let mut accepted = visit.clone();
    accepted.status = crate::visit::Status::Accepted;
    let (first, second) = store
        .write(|tx| {
            let w = writer(at(1));
            let a = w.record(
                tx,
                &visit,
                &Event::Dispatched {
                    order: visit.order.clone(),
                },
            )?;
            let b = w.record(tx, &accepted, &Event::JobAccepted)?;
            Ok((a, b))
        })
        .unwrap();
    store
        .read(|c| {
            // Events in order, with the actor and time they were recorded with.
            let events = events::of_job(c, "J-1")?;
            assert_eq!(events, vec![first.clone(), second.clone()]);
            assert_eq!(events[1].actor, Actor::Technician("T1".into()));
            assert_eq!(events[1].at, at(1));
            assert!(events[0].hlc < events[1].hlc, "stamps grow");
            assert!(events::of_job(c, "J-2")?.is_empty());
            // The projection is the latest state.
            assert_eq!(jobs::load(c, "J-1")?.status, crate::visit::Status::Accepted);
            assert!(jobs::exists(c, "J-1")?);
            assert!(!jobs::exists(c, "J-2")?);
            assert!(matches!(
                jobs::load(c, "J-2"),
                Err(Error::UnknownJob { .. })
            ));
            // Only the technician's fact is queued for HQ; HQ's own is not sent back.
            let ops = outbox::pending(c, 10)?;
            assert_eq!(ops.len(), 1);
            assert_eq!(ops[0].op_id, second.event_id);
            assert_eq!(ops[0].seq, 1);
            assert_eq!(ops[0].device_id, "dev-1");
            assert_eq!(outbox::last_seq(c)?, 1);
            assert_eq!(
                outbox::find(c, &second.event_id)?,
                Some(("J-1".to_string(), "job_accepted".to_string()))
            );
            assert_eq!(outbox::find(c, &first.event_id)?, None);
            // Every change, HQ's included, leaves an audit row.
            let trail = audit::trail(c, "J-1")?;
            assert_eq!(
                trail.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
                ["dispatched", "job_accepted"]
            );
            assert_eq!(trail[1].detail, "status=accepted");
            assert_eq!(trail[1].at, at(1));
            assert_eq!(trail[1].device_id, "dev-1");
            assert_eq!(trail[1].job_id.as_deref(), Some("J-1"));
            assert!(audit::trail(c, "J-2")?.is_empty());
            // The clock stamp is persisted for the next open.
            assert_eq!(meta::get(c, meta::HLC)?, Some(second.hlc.clone()));
            Ok(())
        })
        .unwrap();
}

/// A new job's dispatch event refers to the job's order instead of holding
/// a second copy; once the order changes (a new appointment) the order as
/// dispatched is kept apart, so the job's history still reads it.
#[test]
fn a_dispatch_refers_to_the_order_and_keeps_it_when_it_changes() {
    let (_dir, store) = fresh();
    let visit = dispatched("J-1", at(30));
    let dispatch = Event::Dispatched {
        order: visit.order.clone(),
    };
    let mut moved = visit.clone();
    let reschedule = Event::Rescheduled {
        appointment_at: at(45),
        reason: "客户改期".into(),
        consent: Some(crate::sample::reschedule_consent(at(5))),
    };
    moved.apply(&reschedule, at(5));
    let payload = |c: &Connection, kind: &str| -> String {
        c.query_row(
            "SELECT payload FROM events WHERE job_id = 'J-1' AND kind = ?1",
            [kind],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(Visit::new_dispatched(visit.order.clone()).unwrap(), visit);
    store
        .write(|tx| writer(at(1)).record_new_job(tx, &visit))
        .unwrap();
    let first = store
        .read(|c| {
            assert_eq!(payload(c, "dispatched"), events::DISPATCHED_BY_REFERENCE);
            assert_eq!(count(c, "dispatched_orders"), 0, "the order is the job's");
            let events = events::of_job(c, "J-1")?;
            assert_eq!(events.len(), 1);
            assert_eq!(
                (&events[0].event, &events[0].actor, events[0].at),
                (&dispatch, &Actor::Technician("T1".into()), at(1))
            );
            assert_eq!(count(c, "outbox"), 0, "HQ's dispatch is not sent back");
            Ok(events[0].clone())
        })
        .unwrap();
    let second = store
        .write(|tx| writer(at(5)).record(tx, &moved, &reschedule))
        .unwrap();
    store
        .read(|c| {
            assert_eq!(count(c, "dispatched_orders"), 1);
            assert_eq!(jobs::load(c, "J-1")?.order.appointment_at, at(45));
            // The history still shows the order as dispatched, then the move.
            assert_eq!(
                events::of_job(c, "J-1")?,
                vec![first.clone(), second.clone()]
            );
            Ok(())
        })
        .unwrap();
    // A second change of the order keeps the first copy.
    let mut again = moved.clone();
    let later = Event::Rescheduled {
        appointment_at: at(55),
        reason: "再次改期".into(),
        consent: Some(crate::sample::reschedule_consent(at(6))),
    };
    again.apply(&later, at(6));
    store
        .write(|tx| writer(at(6)).record(tx, &again, &later))
        .unwrap();
    store
        .read(|c| {
            assert_eq!(events::of_job(c, "J-1")?[0], first);
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_batch_persists_its_last_stamp_once_finished() {
    let (_dir, store) = fresh();
    let visit = dispatched("J-1", at(30));
    store
        .write(|tx| {
            let w = Writer {
                batch_hlc: Some(std::cell::RefCell::new(None)),
                ..writer(at(2))
            };
            let a = w.record(tx, &visit, &Event::JobAccepted)?;
            let b = w.record(tx, &visit, &Event::Departed)?;
            assert!(a.hlc < b.hlc);
            assert_eq!(meta::get(tx, meta::HLC)?, None, "not written per event");
            w.finish(tx)?;
            assert_eq!(meta::get(tx, meta::HLC)?, Some(b.hlc));
            Ok(())
        })
        .unwrap();
}

#[test]
fn sequence_numbers_are_gap_free_and_survive_the_trim() {
    let (_dir, store) = fresh();
    let visit = dispatched("J-1", at(30));
    let other = dispatched("J-2", at(40));
    store
        .write(|tx| {
            let w = writer(at(3));
            for _ in 0..3 {
                w.record(tx, &visit, &Event::JobAccepted)?;
            }
            w.record(tx, &other, &Event::JobAccepted)?;
            Ok(())
        })
        .unwrap();
    store
        .write(|tx| {
            let seqs: Vec<i64> = outbox::pending(tx, 100)?.iter().map(|o| o.seq).collect();
            assert_eq!(seqs, [1, 2, 3, 4]);
            assert_eq!(outbox::pending(tx, 2)?.len(), 2, "the limit holds");
            assert_eq!(outbox::len(tx)?, 4);
            assert!(outbox::has_pending(tx, "J-2")?);
            deferred::put(tx, 9, "J-9", "{}")?;
            let mut settled = outbox::jobs_settled_by(tx, 3)?;
            settled.sort();
            assert_eq!(
                settled,
                ["J-1", "J-9"],
                "settled ops' jobs and deferred ones"
            );
            assert_eq!(outbox::trim(tx, 3)?, 3);
            assert_eq!(outbox::len(tx)?, 1);
            assert!(!outbox::has_pending(tx, "J-1")?);
            assert!(outbox::has_pending(tx, "J-2")?);
            // The trim does not rewind the sequence.
            assert_eq!(outbox::last_seq(tx)?, 4);
            assert_eq!(outbox::next_seq(tx)?, 5);
            assert_eq!(outbox::next_seq(tx)?, 6);
            Ok(())
        })
        .unwrap();
}

#[test]
fn jobs_are_listed_by_appointment_within_a_half_open_range() {
    let (_dir, store) = fresh();
    store
        .write(|tx| {
            for (job, minute) in [("J-late", 50), ("J-early", 10), ("J-mid", 30)] {
                jobs::save(tx, &dispatched(job, at(minute)), "h")?;
            }
            Ok(())
        })
        .unwrap();
    let ids = |v: Vec<Visit>| v.iter().map(|v| v.job_id().to_string()).collect::<Vec<_>>();
    store
        .read(|c| {
            assert_eq!(ids(jobs::all(c)?), ["J-early", "J-mid", "J-late"]);
            assert_eq!(ids(jobs::between(c, at(10), at(50))?), ["J-early", "J-mid"]);
            assert_eq!(
                ids(jobs::between(c, at(11), at(50) + Duration::seconds(1))?),
                ["J-mid", "J-late"]
            );
            assert!(jobs::between(c, at(0), at(10))?.is_empty());
            Ok(())
        })
        .unwrap();
}

#[test]
fn blobs_are_stored_once_and_tracked_until_uploaded() {
    let (_dir, store) = fresh();
    store
        .write(|tx| {
            let a = blobs::put(tx, "image/jpeg", b"first", Some("J-1"), at(1))?;
            let b = blobs::put(tx, "image/png", b"second", None, at(2))?;
            assert_eq!(a, crate::signature::record::content_hash(b"first"));
            assert_eq!(
                blobs::put(tx, "image/jpeg", b"first", Some("J-1"), at(3))?,
                a
            );
            assert_eq!(count(tx, "blobs"), 2);
            assert_eq!(
                blobs::get(tx, &b)?,
                Some(("image/png".to_string(), b"second".to_vec()))
            );
            assert_eq!(blobs::get(tx, "00")?, None);
            assert!(blobs::exists(tx, &a)?);
            assert!(!blobs::exists(tx, "00")?);
            let names = |tx: &Connection| -> Result<Vec<String>> {
                Ok(blobs::pending(tx)?.into_iter().map(|p| p.sha256).collect())
            };
            // Smallest first: "first" is 5 bytes, "second" 6.
            assert_eq!(names(tx)?, [a.clone(), b.clone()]);
            let c = blobs::put(tx, "image/jpeg", b"3rd", Some("J-2"), at(4))?;
            assert_eq!(names(tx)?, [c.clone(), a.clone(), b.clone()]);
            assert_eq!(blobs::pending_count(tx)?, 3);
            // A resumed upload starts where HQ's last acknowledgement ended,
            // never past the blob's end.
            blobs::set_acked(tx, &b, 4)?;
            blobs::set_acked(tx, &c, 99)?;
            let pending = blobs::pending(tx)?;
            assert_eq!((pending[0].size, pending[0].acked), (3, 3));
            assert_eq!((pending[2].size, pending[2].acked), (6, 4));
            blobs::mark_uploaded(tx, &a)?;
            blobs::mark_uploaded(tx, &c)?;
            assert_eq!(names(tx)?, std::slice::from_ref(&b));
            assert!(blobs::is_pending(tx, &b)? && !blobs::is_pending(tx, &a)?);
            // HQ holds it: storing the same bytes again queues nothing.
            blobs::put(tx, "image/jpeg", b"first", Some("J-1"), at(5))?;
            assert_eq!(names(tx)?, [b]);
            Ok(())
        })
        .unwrap();
}

#[test]
fn conflicts_are_kept_once_per_op_in_order() {
    let (_dir, store) = fresh();
    let conflict = |op: &str, code: &str| conflicts::Conflict {
        job_id: "J-1".into(),
        op_id: op.into(),
        seq: 3,
        kind: "work_done".into(),
        code: code.into(),
        message: "cancelled at HQ".into(),
        at: at(4).to_rfc3339(),
    };
    store
        .write(|tx| {
            conflicts::record(tx, &conflict("op-1", "job_cancelled"))?;
            conflicts::record(tx, &conflict("op-1", "job_cancelled"))?;
            conflicts::record(tx, &conflict("op-2", "rule_broken"))?;
            Ok(())
        })
        .unwrap();
    let found = store.read(|c| conflicts::of_job(c, "J-1")).unwrap();
    assert_eq!(
        found,
        vec![
            conflict("op-1", "job_cancelled"),
            conflict("op-2", "rule_broken")
        ]
    );
    assert!(store
        .read(|c| conflicts::of_job(c, "J-2"))
        .unwrap()
        .is_empty());
}

#[test]
fn deferred_changes_wait_in_feed_order_until_removed() {
    let (_dir, store) = fresh();
    store
        .write(|tx| {
            deferred::put(tx, 12, "J-2", "{\"b\":1}")?;
            deferred::put(tx, 5, "J-1", "{\"a\":1}")?;
            deferred::put(tx, 5, "J-1", "{\"again\":1}")?;
            assert_eq!(
                deferred::all(tx)?,
                [
                    (5, "J-1".to_string(), "{\"a\":1}".to_string()),
                    (12, "J-2".to_string(), "{\"b\":1}".to_string())
                ]
            );
            deferred::remove(tx, 5)?;
            assert_eq!(deferred::all(tx)?.len(), 1);
            assert_eq!(deferred::all(tx)?[0].0, 12);
            Ok(())
        })
        .unwrap();
}

fn receipt(number: &str, kind: EntryKind) -> Receipt {
    Receipt {
        number: number.into(),
        kind,
        refers_to: None,
        job_id: "J-1".into(),
        issued_at: at(5),
        site: "Site".into(),
        location: "Room".into(),
        customer_name: "Customer".into(),
        technician_id: "T1".into(),
        technician_name: "Tech".into(),
        device_id: "dev-1".into(),
        lines: Vec::new(),
        totals: crate::quote::Totals::default(),
        charge_instruction: None,
        balance: None,
        payment: None,
        void_reason: None,
        prev_sha256: String::new(),
    }
}

#[test]
fn numbers_come_from_the_oldest_block_then_run_out() {
    let (_dir, store) = fresh();
    let block = |series: &str, first, last| NumberBlock {
        series: series.into(),
        first,
        last,
    };
    store
        .write(|tx| {
            assert_eq!(receipts::remaining(tx)?, 0);
            assert!(matches!(
                receipts::take_number(tx),
                Err(Error::ReceiptNumbersExhausted)
            ));
            receipts::grant_block(tx, &block("SH01", 1, 2), &at(1).to_rfc3339())?;
            receipts::grant_block(tx, &block("SH01", 10, 10), &at(2).to_rfc3339())?;
            assert!(matches!(
                receipts::grant_block(tx, &block("SH01", 2, 5), &at(3).to_rfc3339()),
                Err(Error::InvalidInput { .. })
            ));
            assert!(receipts::grant_block(tx, &block("SH01", 0, 5), &at(3).to_rfc3339()).is_err());
            assert_eq!(receipts::remaining(tx)?, 3);
            let taken: Vec<String> = (0..3)
                .map(|_| receipts::take_number(tx))
                .collect::<Result<_>>()?;
            assert_eq!(taken, ["SH01-00000001", "SH01-00000002", "SH01-00000010"]);
            assert_eq!(receipts::remaining(tx)?, 0);
            assert!(matches!(
                receipts::take_number(tx),
                Err(Error::ReceiptNumbersExhausted)
            ));
            // The emergency series counts on by itself.
            assert_eq!(
                receipts::take_emergency_number(tx, "dev-1")?,
                "EM-dev-1-00000001"
            );
            assert_eq!(
                receipts::take_emergency_number(tx, "dev-1")?,
                "EM-dev-1-00000002"
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_ledger_chains_voids_and_refuses_a_number_twice() {
    let (_dir, store) = fresh();
    store
        .write(|tx| {
            let mut first = receipt("SH01-00000001", EntryKind::Original);
            let sha1 = receipts::append(tx, &mut first)?;
            assert_eq!(first.prev_sha256, crate::receipt::GENESIS);
            assert_eq!(sha1, first.sha256()?);
            assert!(!receipts::is_voided(tx, "SH01-00000001")?);

            let mut void = receipt("SH01-00000001", EntryKind::Void);
            receipts::append(tx, &mut void)?;
            assert_eq!(void.prev_sha256, sha1, "chained to the entry before");
            assert!(receipts::is_voided(tx, "SH01-00000001")?);
            // The void keeps the number; find still gives the receipt itself.
            assert_eq!(receipts::find(tx, "SH01-00000001")?, Some(first.clone()));
            assert_eq!(receipts::find(tx, "SH01-00000099")?, None);

            let mut again = receipt("SH01-00000001", EntryKind::Original);
            assert!(matches!(
                receipts::append(tx, &mut again),
                Err(Error::ReceiptNumberUsed { .. })
            ));
            let mut void_again = receipt("SH01-00000001", EntryKind::Void);
            assert!(receipts::append(tx, &mut void_again).is_err());

            let ledger = receipts::ledger(tx)?;
            assert_eq!(ledger.len(), 2);
            assert_eq!(ledger[0].receipt, first);
            assert_eq!(ledger[1].receipt, void);
            assert!(ledger[0].position < ledger[1].position);
            assert_eq!(crate::receipt::verify_chain(&ledger)?, None);
            Ok(())
        })
        .unwrap();
}

#[test]
fn migrations_step_from_any_version_and_refuse_a_newer_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite3");
    let mut conn = Connection::open(&path).unwrap();
    let tables = |c: &Connection| -> Vec<String> {
        let mut s = c
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    };
    assert_eq!(schema::version(&conn).unwrap(), 0);
    schema::migrate_to(&mut conn, 2).unwrap();
    assert_eq!(schema::version(&conn).unwrap(), 2);
    assert!(tables(&conn).contains(&"receipts".to_string()));
    assert!(!tables(&conn).contains(&"blobs".to_string()));
    // Asking for an older version than the store has changes nothing.
    schema::migrate_to(&mut conn, 1).unwrap();
    assert_eq!(schema::version(&conn).unwrap(), 2);
    schema::migrate_to(&mut conn, 3).unwrap();
    assert!(tables(&conn).contains(&"blobs".to_string()));
    assert!(!tables(&conn).contains(&"conflicts".to_string()));
    schema::migrate(&mut conn).unwrap();
    assert_eq!(schema::version(&conn).unwrap(), schema::VERSION);
    assert!(tables(&conn).contains(&"deferred_changes".to_string()));
    // Migrating an up-to-date store again is a no-op.
    schema::migrate(&mut conn).unwrap();

    conn.pragma_update(None, "user_version", schema::VERSION + 1)
        .unwrap();
    assert!(matches!(
        schema::migrate(&mut conn),
        Err(Error::SchemaTooNew { found, known }) if found == schema::VERSION + 1 && known == schema::VERSION
    ));
    drop(conn);
    assert!(matches!(
        Store::open(&path),
        Err(Error::SchemaTooNew { .. })
    ));
}

/// A phone updated with photos still unsent: v6 queues exactly those for
/// upload (with their sizes, from the record header), and forgets the ones
/// HQ already had.
#[test]
fn photos_unsent_before_the_upgrade_are_queued_for_upload() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = Connection::open(dir.path().join("v5.sqlite3")).unwrap();
    schema::migrate_to(&mut conn, 5).unwrap();
    let add = |sha: &str, bytes: &[u8], uploaded: i64, at: &str| {
        conn.execute(
            "INSERT INTO blobs(sha256, media_type, bytes, job_id, created_at, uploaded) VALUES (?1, 'image/jpeg', ?2, 'J-1', ?3, ?4)",
            rusqlite::params![sha, bytes, at, uploaded],
        )
        .unwrap();
    };
    add("a", &[1; 5000], 0, "2026-11-28T01:00:00Z");
    add("b", &[2; 70], 1, "2026-11-28T02:00:00Z");
    add("c", &[3; 300], 0, "2026-11-28T03:00:00Z");
    schema::migrate(&mut conn).unwrap();
    let pending = blobs::pending(&conn).unwrap();
    let got: Vec<(&str, u64, u64)> = pending
        .iter()
        .map(|p| (p.sha256.as_str(), p.size, p.acked))
        .collect();
    assert_eq!(got, [("c", 300, 0), ("a", 5000, 0)]);
    // The bytes themselves are where they were.
    assert_eq!(blobs::get(&conn, "b").unwrap().unwrap().1, vec![2; 70]);
}

#[test]
fn stored_times_and_actors_that_do_not_parse_are_corruption() {
    assert_eq!(
        parse_time("2026-11-28T08:05:00+08:00").unwrap(),
        at(5) - Duration::hours(8)
    );
    assert!(matches!(
        parse_time("yesterday"),
        Err(Error::Corrupt { .. })
    ));
    let (_dir, store) = fresh();
    store
        .write(|tx| {
            jobs::save(tx, &dispatched("J-1", at(30)), "h")?;
            for (n, actor) in ["technician:T1", "hq:desk", "robot:x"].iter().enumerate() {
                tx.execute(
                    "INSERT INTO events(event_id, job_id, kind, actor, at, hlc, payload)
                     VALUES (?1, 'J-1', 'job_accepted', ?2, ?3, 'h', ?4)",
                    rusqlite::params![
                        format!("e{n}"),
                        actor,
                        at(1).to_rfc3339(),
                        serde_json::to_string(&Event::JobAccepted)?
                    ],
                )?;
            }
            Ok(())
        })
        .unwrap();
    // The first two rows read back; the third names an actor nobody writes.
    let err = store.read(|c| events::of_job(c, "J-1")).unwrap_err();
    assert!(
        matches!(err, Error::Corrupt { ref reason } if reason.contains("robot")),
        "{err:?}"
    );
}
