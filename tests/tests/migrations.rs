//! The store migrates on open: from an empty file, and from every earlier
//! schema version, keeping what was there.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod common;

use common::{appointment, fixture};
use onsite_core::store::schema;
use onsite_core::visit::Status;
use onsite_core::{sample, Error, Technician};

/// Tables each version added, newest last (mirrors `schema::MIGRATIONS`).
const ADDED_IN: [&[&str]; 7] = [
    &["meta", "jobs", "events", "outbox", "audit"],
    &["receipt_blocks", "receipts"],
    &["blobs"],
    &["conflicts", "deferred_changes"],
    &["purged_jobs"],
    &["blob_uploads"],
    &["dispatched_orders"],
];

#[test]
fn an_empty_file_is_migrated_to_the_current_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.sqlite3");
    std::fs::write(&path, b"").unwrap();
    let tech = Technician::open(&path, sample::profile()).unwrap();
    drop(tech);
    let conn = rusqlite::Connection::open(&path).unwrap();
    assert_eq!(schema::version(&conn).unwrap(), schema::VERSION);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn every_earlier_version_migrates_and_keeps_its_jobs() {
    assert_eq!(ADDED_IN.len() as i64, schema::VERSION);
    for version in 1..schema::VERSION {
        let f = fixture();
        f.to_in_progress("OLD-1");
        let ops_before = f.tech.pending_ops(10_000).unwrap().len();
        let path = f.dir.path().join("tech.sqlite3");
        drop(f.tech);
        // Make the file look exactly as that version left it.
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            for tables in &ADDED_IN[version as usize..] {
                for t in *tables {
                    conn.execute_batch(&format!("DROP TABLE {t}")).unwrap();
                }
            }
            conn.pragma_update(None, "user_version", version).unwrap();
        }
        let tech = Technician::open_with_clock(&path, sample::profile(), f.clock.clone()).unwrap();
        let v = tech.job("OLD-1").unwrap();
        assert_eq!(v.status, Status::InProgress, "from v{version}");
        assert_eq!(tech.pending_ops(10_000).unwrap().len(), ops_before);
        // The migrated store works for everything the new version does.
        tech.grant_receipt_block(&onsite_core::receipt::NumberBlock {
            series: "MG".into(),
            first: 1,
            last: 10,
        })
        .unwrap();
        let g = common::Fixture {
            dir: f.dir,
            tech,
            clock: f.clock,
        };
        g.to_settled("NEW-1");
        let conn = rusqlite::Connection::open(&path).unwrap();
        assert_eq!(schema::version(&conn).unwrap(), schema::VERSION);
    }
    let _ = appointment();
}

#[test]
fn a_store_from_a_newer_build_is_refused_not_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.sqlite3");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", schema::VERSION + 1)
            .unwrap();
    }
    assert!(matches!(
        Technician::open(&path, sample::profile()),
        Err(Error::SchemaTooNew { .. })
    ));
}

#[test]
fn a_file_that_is_not_a_database_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.sqlite3");
    std::fs::write(&path, vec![0xAB; 8192]).unwrap();
    // To SQLCipher a file it cannot read is one encrypted with another key
    // (issue 14): the same typed error with a key or without, file untouched.
    assert!(matches!(
        Technician::open(&path, sample::profile()),
        Err(Error::WrongStoreKey)
    ));
    let key = onsite_core::StoreKey::from_bytes(&[1; 32]).unwrap();
    assert!(matches!(
        Technician::open_encrypted(&path, &key, sample::profile()),
        Err(Error::WrongStoreKey)
    ));
    assert_eq!(std::fs::read(&path).unwrap(), vec![0xAB; 8192]);
}
