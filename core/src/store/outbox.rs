//! `outbox`: the ops HQ has not acknowledged, in this device's sequence order.

use rusqlite::{params, Connection, OptionalExtension};

use super::meta;
use crate::error::Result;
use crate::visit::Op;

/// Takes the next per-device sequence number (gap-free, in the op's transaction).
pub fn next_seq(conn: &Connection) -> Result<i64> {
    let seq = meta::get_i64(conn, meta::LAST_SEQ)? + 1;
    meta::set(conn, meta::LAST_SEQ, &seq.to_string())?;
    Ok(seq)
}

/// The last sequence number this device took.
pub fn last_seq(conn: &Connection) -> Result<i64> {
    meta::get_i64(conn, meta::LAST_SEQ)
}

pub fn enqueue(conn: &Connection, op: &Op) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO outbox(seq, op_id, device_id, job_id, kind, hlc, payload)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        op.seq,
        op.op_id,
        op.device_id,
        op.job_id,
        op.event.kind(),
        op.hlc,
        serde_json::to_string(op)?
    ])?;
    Ok(())
}

/// Ops not yet acknowledged by HQ, in sequence order.
pub fn pending(conn: &Connection, limit: usize) -> Result<Vec<Op>> {
    pending_after(conn, 0, limit)
}

/// Up to `limit` queued ops numbered after `after`, oldest first: the push
/// after one still on its way.
pub fn pending_after(conn: &Connection, after: i64, limit: usize) -> Result<Vec<Op>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt =
        conn.prepare_cached("SELECT payload FROM outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
    let rows = stmt.query_map([after, limit], |r| r.get::<_, String>(0))?;
    rows.map(|p| Ok(serde_json::from_str::<Op>(&p?)?)).collect()
}

/// The job and kind of a queued op.
pub fn find(conn: &Connection, op_id: &str) -> Result<Option<(String, String)>> {
    Ok(conn
        .prepare_cached("SELECT job_id, kind FROM outbox WHERE op_id = ?1")?
        .query_row([op_id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?)
}

/// Removes every op HQ settled (up to and including `last_applied_seq`).
pub fn trim(conn: &Connection, last_applied_seq: i64) -> Result<usize> {
    Ok(conn
        .prepare_cached("DELETE FROM outbox WHERE seq <= ?1")?
        .execute([last_applied_seq])?)
}

/// The jobs an acknowledgement up to `last_applied_seq` touches, read before
/// the outbox is trimmed: the jobs of the settled ops and of the deferred HQ
/// changes that may now apply.
pub fn jobs_settled_by(conn: &Connection, last_applied_seq: i64) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT job_id FROM outbox WHERE seq <= ?1 UNION SELECT job_id FROM deferred_changes",
    )?;
    let rows = stmt.query_map([last_applied_seq], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// The jobs with ops HQ has not acknowledged (one scan of the outbox, for a
/// page of pulled changes).
pub fn jobs_pending(conn: &Connection) -> Result<std::collections::HashSet<String>> {
    let mut stmt = conn.prepare_cached("SELECT DISTINCT job_id FROM outbox")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub fn has_pending(conn: &Connection, job_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM outbox WHERE job_id = ?1 LIMIT 1")?
        .query_row([job_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// How many ops wait. The outbox holds a gap-free run of sequence numbers
/// (appended in order, trimmed only from the front), so its length is read
/// from its two ends instead of counted row by row: the sync client asks
/// before every push, and a phone back from a week offline holds tens of
/// thousands of ops.
pub fn len(conn: &Connection) -> Result<i64> {
    len_after(conn, 0)
}

/// How many ops wait behind `seq` (read from the outbox's ends, as [`len`]).
pub fn len_after(conn: &Connection, seq: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(MAX(0, (SELECT MAX(seq) FROM outbox)
                                  - MAX((SELECT MIN(seq) FROM outbox) - 1, ?1)), 0)",
        )?
        .query_row([seq], |r| r.get(0))?)
}
