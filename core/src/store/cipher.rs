//! The store encrypted at rest (issue 14): SQLCipher, keyed with 256 random
//! bits the shell keeps in the platform's keystore.
//!
//! - [`StoreKey`] is the key: 32 raw bytes, never written, logged or shown by
//!   the core (its `Debug` is redacted, its memory zeroed when dropped).
//! - [`connect`] opens a connection and keys it (`PRAGMA key = "x'…'"`) as its
//!   very first statement, then proves the key with a read: a wrong key is
//!   [`Error::WrongStoreKey`], before anything is written, so a wrong key never
//!   creates a new empty store nor changes the file.
//! - [`encrypt_in_place`] turns a plain store of an earlier version into an
//!   encrypted one, crash-safe (see its documentation).
//!
//! 「其收发、传递和外出携带由指定人员负责,并采取必要的安全措施。」 (GPS book:
//! records carried out of the office are protected) is the rule: a phone
//! carries every customer's name, phone, address, signature and photos
//! (photos and signature images are rows of the same file, so they are
//! encrypted with it).
//!
//! Settings (docs/PRIVACY.md, "On the phone: encrypted at rest", says why):
//! SQLCipher 4's defaults — AES-256 in CBC mode with a random IV per page
//! write, HMAC-SHA512 of every page, 4096-byte pages — with a raw key, so no
//! key derivation runs; `cipher_memory_security` stays off (SQLCipher's
//! default).

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode};
use zeroize::Zeroizing;

use crate::error::{Error, Field, Problem, Result};
use crate::sync::crash_point;

/// The first 16 bytes of every plain SQLite file. An encrypted store starts
/// with its random salt instead (a 2^-128 chance of matching).
const PLAIN_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// The key of one technician's store: 256 random bits.
///
/// The shell creates it once (from the platform's secure random source),
/// keeps it in the platform's keystore and passes it to every open. The core
/// only hands it to SQLCipher.
#[derive(Clone)]
pub struct StoreKey(Zeroizing<[u8; StoreKey::LEN]>);

impl StoreKey {
    /// Bytes in a key (256 bits).
    pub const LEN: usize = 32;

    /// A key from the raw bytes the shell keeps: exactly [`StoreKey::LEN`].
    pub fn from_bytes(bytes: &[u8]) -> Result<StoreKey> {
        let mut key = Zeroizing::new([0u8; StoreKey::LEN]);
        if bytes.len() != StoreKey::LEN {
            return Err(Error::invalid(
                Field::StoreKey,
                Problem::Malformed {
                    detail: format!(
                        "a store key is {} bytes, this one is {}",
                        StoreKey::LEN,
                        bytes.len()
                    ),
                },
            ));
        }
        key.copy_from_slice(bytes);
        Ok(StoreKey(key))
    }

    /// A new key from the operating system's secure random source (the CLI
    /// and tests; a shell makes its own in the platform's keystore code).
    pub fn generate() -> Result<StoreKey> {
        let mut key = Zeroizing::new([0u8; StoreKey::LEN]);
        getrandom::fill(&mut key[..]).map_err(|e| Error::Corrupt {
            reason: format!("no secure random source for a store key: {e}"),
        })?;
        Ok(StoreKey(key))
    }

    /// The raw bytes, for the shell or tool that stores them.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0[..]
    }

    /// SQLCipher's raw-key form `x'<64 hex digits>'`, zeroed when dropped.
    fn sql_literal(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::with_capacity(3 + 2 * StoreKey::LEN));
        s.push_str("x'");
        for b in self.0.iter() {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        s.push('\'');
        s
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(<redacted>)")
    }
}

/// SQLite initialised, SQLCipher's part included, before the first keyed
/// connection of the process. SQLite marks itself initialised before it runs
/// SQLCipher's set-up, so a thread whose first open races another's could
/// key its connection while SQLCipher is still setting up, and `PRAGMA key`
/// would fail (seen when two stores were opened at once at start-up). The
/// first open here runs the whole set-up; any other waits for it.
fn sqlite_ready() {
    static READY: std::sync::Once = std::sync::Once::new();
    READY.call_once(|| {
        // An open of an in-memory database initialises SQLite in this
        // thread; its outcome is the next open's to report.
        let _ = Connection::open_in_memory();
    });
}

/// Opens `path` and keys the connection: `PRAGMA key` is its first
/// statement, then one read proves the key before anything is written.
pub fn connect(path: &Path, key: &StoreKey) -> Result<Connection> {
    sqlite_ready();
    let conn = Connection::open(path)?;
    let pragma = Zeroizing::new(format!("PRAGMA key = \"{}\";", &*key.sql_literal()));
    conn.execute_batch(&pragma)?;
    drop(pragma);
    prove_key(&conn)?;
    Ok(conn)
}

/// The first read of a keyed (or plain) connection: SQLite reports a file
/// it cannot decrypt as "file is not a database", which is a wrong key.
pub fn prove_key(conn: &Connection) -> Result<()> {
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(()),
        Err(e) if is_not_a_database(&e) => Err(Error::WrongStoreKey),
        Err(e) => Err(e.into()),
    }
}

fn is_not_a_database(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::NotADatabase)
}

/// What is at a store's path before it is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// No file, or an empty one: a new store.
    New,
    /// A plain SQLite file (a store of a version before encryption).
    Plain,
    /// Anything else: an encrypted store (or not a store at all).
    Other,
}

pub fn file_kind(path: &Path) -> Result<FileKind> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileKind::New),
        Err(e) => return Err(io("open the store", path, &e)),
    };
    let mut head = Vec::with_capacity(PLAIN_HEADER.len());
    (&mut file)
        .take(PLAIN_HEADER.len() as u64)
        .read_to_end(&mut head)
        .map_err(|e| io("read the store's header", path, &e))?;
    Ok(if head.is_empty() {
        FileKind::New
    } else if head == PLAIN_HEADER {
        FileKind::Plain
    } else {
        FileKind::Other
    })
}

/// The file the encrypted copy is written to during [`encrypt_in_place`].
pub fn encrypting_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".encrypting");
    PathBuf::from(p)
}

/// The copy and its SQLite side files (a rollback journal, or WAL files).
fn encrypting_files(path: &Path) -> Vec<PathBuf> {
    let copy = encrypting_path(path);
    let mut files = vec![copy.clone()];
    for suffix in ["-journal", "-wal", "-shm"] {
        let mut p = copy.as_os_str().to_owned();
        p.push(suffix);
        files.push(PathBuf::from(p));
    }
    files
}

/// Removes what an interrupted encryption left beside the store: never the
/// store itself, which is the one copy that counts.
pub fn remove_leftovers(path: &Path) -> Result<()> {
    for f in encrypting_files(path) {
        match fs::remove_file(&f) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io("remove an unfinished encrypted copy", &f, &e)),
        }
    }
    Ok(())
}

/// Encrypts the plain store at `path` with `key`, crash-safe.
///
/// The store file itself is the marker: while the file at `path` is plain
/// (its header is SQLite's), it is the store and holds every change, and
/// whatever `<path>.encrypting` holds is an unfinished copy that the next
/// open deletes before starting again. The one atomic step is the rename of
/// the finished, fsynced copy over `path`; from then the file at `path` is
/// encrypted, and the plain file is gone (the rename unlinked it). So a kill
/// at any instant leaves every change in exactly one store — the plain one
/// before the rename, the encrypted one after — and the next open with the
/// key finishes the work.
///
/// 1. The plain store leaves WAL mode (`journal_mode=DELETE`): SQLite folds
///    the WAL into the file and deletes it, so the file alone is the store
///    and no plain WAL is left beside the encrypted file.
/// 2. `sqlcipher_export` copies every table, index and row into the keyed
///    `<path>.encrypting`, with the schema version (`user_version`).
/// 3. The copy is fsynced, renamed over `path`, and the directory fsynced.
pub fn encrypt_in_place(path: &Path, key: &StoreKey) -> Result<()> {
    crash_point("store.encrypt.begin");
    remove_leftovers(path)?;
    let copy = encrypting_path(path);
    let copy_name = copy.to_str().ok_or_else(|| Error::Corrupt {
        reason: "the store's path is not UTF-8".into(),
    })?;
    {
        let plain = Connection::open(path)?;
        prove_key(&plain)?;
        plain.busy_timeout(std::time::Duration::from_secs(5))?;
        let mode: String = plain.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("delete") {
            return Err(Error::Corrupt {
                reason: format!("the plain store stayed in {mode} mode"),
            });
        }
        crash_point("store.encrypt.folded");
        let version: i64 = plain.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        plain.execute(
            "ATTACH DATABASE ?1 AS encrypted KEY ?2",
            rusqlite::params![copy_name, &*key.sql_literal()],
        )?;
        plain.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
        crash_point("store.encrypt.exported");
        plain.pragma_update(Some("encrypted"), "user_version", version)?;
        plain.execute_batch("DETACH DATABASE encrypted")?;
    }
    File::open(&copy)
        .and_then(|f| f.sync_all())
        .map_err(|e| io("sync the encrypted copy", &copy, &e))?;
    crash_point("store.encrypt.synced");
    fs::rename(&copy, path).map_err(|e| io("move the encrypted copy into place", path, &e))?;
    crash_point("store.encrypt.renamed");
    sync_dir(path)?;
    crash_point("store.encrypt.done");
    Ok(())
}

/// Makes a rename in the store's directory durable (POSIX: fsync the directory).
fn sync_dir(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io("sync the store's folder", dir, &e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn io(what: &str, path: &Path, e: &std::io::Error) -> Error {
    Error::Corrupt {
        reason: format!("could not {what} ({}): {e}", path.display()),
    }
}
