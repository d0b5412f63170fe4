//! The crash-safe local store: SQLite (SQLCipher, bundled), WAL, one file per
//! technician, encrypted at rest with the key the shell keeps ([`cipher`]).
//!
//! This folder is the only place on the phone that speaks SQL: one module per
//! table ([`jobs`], [`events`], [`outbox`], [`audit`], [`blobs`], [`conflicts`],
//! [`deferred`], [`receipts`], [`meta`]), the [`schema`] and its migrations.
//! The rest of the core decides (the visit rules) and hands the store what to
//! write; [`Store::write`] runs it in one immediate transaction.
//!
//! Every change is one transaction that appends the event, rewrites the job's
//! projection, appends the op to the outbox and writes the audit row
//! ([`events::Writer`]). SQLite's WAL with `synchronous=FULL` makes a committed
//! transaction durable: kill the process at any instant, reopen, and every
//! committed change is there and still queued for HQ, with no gap in the
//! outbox sequence.

pub mod audit;
pub mod blobs;
pub mod cipher;
pub mod conflicts;
pub mod deferred;
pub mod events;
pub mod jobs;
pub mod meta;
pub mod outbox;
pub mod purge;
pub mod receipts;
pub mod schema;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::error::{Error, Result};

pub use cipher::StoreKey;
pub use events::Writer;

/// Opens (creating if needed) a PLAIN store file and migrates it: for tests
/// and tools (benchmarks compare against it). A phone's store is encrypted:
/// [`open_encrypted`].
pub fn open(path: &Path) -> Result<Connection> {
    let mut conn = Connection::open(path)?;
    cipher::prove_key(&conn)?;
    configure(&conn)?;
    schema::migrate(&mut conn)?;
    Ok(conn)
}

/// Opens (creating if needed) the store file encrypted with `key`, and
/// migrates it. A plain store of an earlier version is encrypted first, in
/// place and crash-safe ([`cipher::encrypt_in_place`]); a store encrypted
/// with another key is [`Error::WrongStoreKey`], untouched.
pub fn open_encrypted(path: &Path, key: &StoreKey) -> Result<Connection> {
    match cipher::file_kind(path)? {
        cipher::FileKind::Plain => cipher::encrypt_in_place(path, key)?,
        // An unfinished copy is never the store: the store is the file at `path`.
        cipher::FileKind::New | cipher::FileKind::Other => cipher::remove_leftovers(path)?,
    }
    let mut conn = cipher::connect(path, key)?;
    configure(&conn)?;
    schema::migrate(&mut conn)?;
    Ok(conn)
}

/// Connection settings every store uses (benchmarks compare against the same).
pub fn configure(conn: &Connection) -> Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // The write path runs the same dozen statements for every change.
    conn.set_prepared_statement_cache_capacity(64);
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(())
}

/// One technician's store file: a connection behind a lock, read and written
/// through closures so that a transaction can never outlive its change.
pub struct Store {
    conn: Mutex<Connection>,
    /// Set once HQ's remote wipe deleted the file: every call answers [`Error::Wiped`].
    wiped: std::sync::atomic::AtomicBool,
}

impl Store {
    /// A plain store: tests and tools only (see [`open`]).
    pub fn open(path: &Path) -> Result<Store> {
        Ok(Store {
            conn: Mutex::new(open(path)?),
            wiped: Default::default(),
        })
    }

    /// The phone's store, encrypted with `key` (see [`open_encrypted`]).
    pub fn open_encrypted(path: &Path, key: &StoreKey) -> Result<Store> {
        Ok(Store {
            conn: Mutex::new(open_encrypted(path, key)?),
            wiped: Default::default(),
        })
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>> {
        let conn = self.conn.lock().map_err(|_| Error::StoreLockPoisoned)?;
        if self.wiped.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Error::Wiped);
        }
        Ok(conn)
    }

    /// HQ's remote wipe: closes the store and deletes its file with its
    /// write-ahead log and shared-memory index (photos and signatures are
    /// rows of it, so they go too). From then on every call answers
    /// [`Error::Wiped`]. The caller has made sure HQ holds everything first.
    pub fn wipe(&self) -> Result<()> {
        let mut conn = self.lock()?;
        let path = conn
            .path()
            .filter(|p| !p.is_empty())
            .map(std::path::PathBuf::from);
        let old = std::mem::replace(&mut *conn, Connection::open_in_memory()?);
        self.wiped.store(true, std::sync::atomic::Ordering::SeqCst);
        old.close().map_err(|(_, e)| Error::from(e))?;
        if let Some(path) = path {
            for suffix in ["", "-wal", "-shm", "-journal", ".encrypting"] {
                let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
                match std::fs::remove_file(&file) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(Error::Corrupt {
                            reason: format!("deleting the wiped store: {e}"),
                        })
                    }
                }
            }
        }
        Ok(())
    }

    /// Reads with the connection (no transaction of its own: each statement
    /// sees a consistent snapshot; writes go through [`Store::write`]).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        f(&*self.lock()?)
    }

    /// Runs `f` in one immediate transaction, committed only if `f` succeeds.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

pub(crate) fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::Corrupt {
            reason: format!("time {s:?}: {e}"),
        })
}

#[cfg(test)]
mod tests;
