//! `meta`: the store's key/value facts, each key named once here.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{Error, Result};

/// The technician this store file belongs to; another technician cannot open it.
pub const TECHNICIAN_ID: &str = "technician_id";
/// The device that writes this store (the `device_id` of every op).
pub const DEVICE_ID: &str = "device_id";
/// The last outbox sequence number taken. Kept here, not derived from the
/// outbox, because the outbox is trimmed when HQ acknowledges.
pub const LAST_SEQ: &str = "last_seq";
/// The last hybrid-logical-clock stamp, so stamps keep growing across restarts.
pub const HLC: &str = "hlc";
/// Where the next pull of HQ's change feed starts.
pub const PULL_CURSOR: &str = "pull_cursor";
/// The last number of the device's emergency receipt series.
pub const EMERGENCY_LAST: &str = "emergency_last";
/// Days a handed-over job's customer data is kept once HQ has all of it, as
/// HQ last said at a sync (absent: never said, the core's default applies).
pub const RETENTION_DAYS: &str = "retention_days";

pub fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub fn set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO meta(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

/// A counter kept in `meta` (0 when absent); a value that is not a number is corruption.
pub fn get_i64(conn: &Connection, key: &str) -> Result<i64> {
    get(conn, key)?
        .map(|s| s.parse::<i64>())
        .transpose()
        .map_err(|e| Error::Corrupt {
            reason: format!("meta {key}: {e}"),
        })
        .map(|v| v.unwrap_or(0))
}
