//! `deferred_changes`: HQ changes waiting until HQ has seen the job's pending ops.
//!
//! The store keeps them as the JSON the sync layer gives it; it does not read them.

use rusqlite::{params, Connection};

use crate::error::Result;

pub fn put(conn: &Connection, cursor: i64, job_id: &str, payload: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO deferred_changes(cursor, job_id, payload) VALUES (?1, ?2, ?3)
         ON CONFLICT(cursor) DO NOTHING",
    )?
    .execute(params![cursor, job_id, payload])?;
    Ok(())
}

/// Every waiting change as (cursor, job id, payload), in feed order.
pub fn all(conn: &Connection) -> Result<Vec<(i64, String, String)>> {
    let mut stmt = conn
        .prepare_cached("SELECT cursor, job_id, payload FROM deferred_changes ORDER BY cursor")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub fn remove(conn: &Connection, cursor: i64) -> Result<()> {
    conn.prepare_cached("DELETE FROM deferred_changes WHERE cursor = ?1")?
        .execute([cursor])?;
    Ok(())
}
