//! `jobs`: one row per job, the projection of its events.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{Error, Result};
use crate::visit::Visit;

pub fn load(conn: &Connection, job_id: &str) -> Result<Visit> {
    let json: Option<String> = conn
        .prepare_cached("SELECT visit FROM jobs WHERE job_id = ?1")?
        .query_row([job_id], |r| r.get(0))
        .optional()?;
    match json {
        Some(j) => Ok(serde_json::from_str(&j)?),
        None => Err(Error::UnknownJob {
            job_id: job_id.to_string(),
        }),
    }
}

pub fn exists(conn: &Connection, job_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM jobs WHERE job_id = ?1")?
        .query_row([job_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Which of `job_ids` the store has, in one statement (the ids go as one
/// JSON array, whatever their number).
pub fn existing<'a>(
    conn: &Connection,
    job_ids: impl Iterator<Item = &'a str>,
) -> Result<std::collections::HashSet<String>> {
    let ids = serde_json::to_string(&job_ids.collect::<Vec<_>>())?;
    let mut stmt = conn.prepare_cached(
        "SELECT job_id FROM jobs WHERE job_id IN (SELECT value FROM json_each(?1))",
    )?;
    let rows = stmt.query_map([ids], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Writes a job's projection: one upsert, in the transaction of the event that changed it.
pub fn save(conn: &Connection, visit: &Visit, hlc: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO jobs(job_id, status, appointment_at, visit, updated_hlc)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(job_id) DO UPDATE SET status = excluded.status,
             appointment_at = excluded.appointment_at, visit = excluded.visit,
             updated_hlc = excluded.updated_hlc",
    )?
    .execute(params![
        visit.job_id(),
        visit.status.as_str(),
        visit.order.appointment_at.to_rfc3339(),
        serde_json::to_string(visit)?,
        hlc
    ])?;
    Ok(())
}

/// Every job, by appointment.
pub fn all(conn: &Connection) -> Result<Vec<Visit>> {
    let mut stmt = conn.prepare_cached("SELECT visit FROM jobs ORDER BY appointment_at, job_id")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    decode(rows)
}

/// Jobs whose appointment is in `[start, end)`, by appointment.
pub fn between(conn: &Connection, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Vec<Visit>> {
    let mut stmt = conn.prepare_cached(
        "SELECT visit FROM jobs WHERE appointment_at >= ?1 AND appointment_at < ?2
         ORDER BY appointment_at, job_id",
    )?;
    let rows = stmt.query_map([start.to_rfc3339(), end.to_rfc3339()], |r| {
        r.get::<_, String>(0)
    })?;
    decode(rows)
}

fn decode(rows: impl Iterator<Item = rusqlite::Result<String>>) -> Result<Vec<Visit>> {
    rows.map(|row| Ok(serde_json::from_str::<Visit>(&row?)?))
        .collect()
}
