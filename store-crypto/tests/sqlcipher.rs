//! SQLCipher through rusqlite, with this crate as its provider: what the
//! phone's store does with it, end to end on a file.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

// The provider must be linked.
use onsite_store_crypto as _;
use rusqlite::Connection;

const KEY: &str = "x'2DD29CA851E7B56E4697B0E1F08507293D761A05CE4D1B628663F411A8086D99'";

fn open(path: &std::path::Path, key: &str) -> Connection {
    // SQLite marks itself initialised before SQLCipher's set-up has run: the
    // tests' first opens, in parallel, wait for one whole initialisation.
    static READY: std::sync::Once = std::sync::Once::new();
    READY.call_once(|| drop(Connection::open_in_memory().unwrap()));
    let c = Connection::open(path).unwrap();
    c.execute_batch(&format!("PRAGMA key = \"{key}\";"))
        .unwrap();
    c
}

#[test]
fn sqlcipher_uses_this_provider_and_round_trips_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite3");
    {
        let c = open(&path, KEY);
        let provider: String = c
            .query_row("PRAGMA cipher_provider", [], |r| r.get(0))
            .unwrap();
        assert_eq!(provider, "onsite-rustcrypto");
        c.execute_batch("CREATE TABLE t(name TEXT); INSERT INTO t VALUES ('王女士 13800138000');")
            .unwrap();
        // Enough rows for many pages, so more than the first page is ciphered.
        c.execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
             INSERT INTO t SELECT printf('row %d', i) FROM n;",
        )
        .unwrap();
    }
    let raw = std::fs::read(&path).unwrap();
    assert!(
        !raw.windows(11).any(|w| w == b"13800138000") && !raw.starts_with(b"SQLite format 3"),
        "the file is ciphertext"
    );
    let c = open(&path, KEY);
    let (first, count): (String, i64) = c
        .query_row(
            "SELECT min(rowid) || ':' || (SELECT name FROM t WHERE rowid = 1), count(*) FROM t",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((first.as_str(), count), ("1:王女士 13800138000", 2001));
    // Every page's HMAC checks out.
    let bad: Vec<String> = c
        .prepare("PRAGMA cipher_integrity_check")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(bad.is_empty(), "{bad:?}");
}

#[test]
fn a_wrong_key_reads_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite3");
    open(&path, KEY)
        .execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        .unwrap();
    let wrong = open(
        &path,
        "x'0000000000000000000000000000000000000000000000000000000000000000'",
    );
    let err = wrong
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap_err();
    assert!(err.to_string().contains("not a database"), "{err}");
}

#[test]
fn a_passphrase_key_goes_through_pbkdf2() {
    // A passphrase (not a raw key) makes SQLCipher derive the key with
    // PBKDF2-HMAC-SHA512 (256 000 iterations): the kdf path works too.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite3");
    open(&path, "correct horse")
        .execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (42);")
        .unwrap();
    let c = open(&path, "correct horse");
    let x: i64 = c.query_row("SELECT x FROM t", [], |r| r.get(0)).unwrap();
    assert_eq!(x, 42);
}
