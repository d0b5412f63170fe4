//! The crash-safe local store: SQLite (bundled), WAL, one file per technician.
//!
//! Every change is one transaction that appends the event, rewrites the job's
//! projection, appends the op to the outbox and writes the audit row. SQLite's
//! WAL with `synchronous=FULL` makes a committed transaction durable: kill the
//! process at any instant, reopen, and every committed change is there and
//! still queued for HQ, with no gap in the outbox sequence.

pub mod receipts;
pub mod schema;

use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::clock::Hlc;
use crate::error::{Error, Result};
use crate::sync::protocol::Op;
use crate::visit::{Actor, Event, Recorded, Visit};

/// Opens (creating if needed) a store file and migrates it.
pub fn open(path: &Path) -> Result<Connection> {
    let mut conn = Connection::open(path)?;
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

pub fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO meta(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

pub fn load_visit(conn: &Connection, job_id: &str) -> Result<Visit> {
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

pub fn job_exists(conn: &Connection, job_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM jobs WHERE job_id = ?1")?
        .query_row([job_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Who is writing, and with which clock: the device side of every change.
pub struct Writer<'a> {
    pub device_id: &'a str,
    pub actor: Actor,
    pub now: DateTime<Utc>,
    /// Set for a batch (a page of HQ's changes in one transaction): the HLC is
    /// kept here and persisted once by [`Writer::finish`] instead of per event.
    pub batch_hlc: Option<std::cell::RefCell<Option<Hlc>>>,
}

impl Writer<'_> {
    /// Next HLC stamp for this device, persisted in the same transaction.
    fn stamp(&self, tx: &Transaction) -> Result<Hlc> {
        if let Some(cell) = &self.batch_hlc {
            let mut last = cell.borrow_mut();
            if last.is_none() {
                *last = meta_get(tx, "hlc")?.map(|s| Hlc::decode(&s)).transpose()?;
            }
            let hlc = Hlc::tick(last.as_ref(), self.now.timestamp_millis(), self.device_id);
            *last = Some(hlc.clone());
            return Ok(hlc);
        }
        let last = meta_get(tx, "hlc")?.map(|s| Hlc::decode(&s)).transpose()?;
        let hlc = Hlc::tick(last.as_ref(), self.now.timestamp_millis(), self.device_id);
        meta_set(tx, "hlc", &hlc.encode())?;
        Ok(hlc)
    }

    /// Persists a batch's last HLC stamp; call it before the batch's transaction commits.
    pub fn finish(&self, tx: &Transaction) -> Result<()> {
        if let Some(Some(hlc)) = self.batch_hlc.as_ref().map(|c| c.borrow().clone()) {
            meta_set(tx, "hlc", &hlc.encode())?;
        }
        Ok(())
    }

    /// Records one event for a job whose new state is `visit`: event row, job
    /// projection, outbox op (unless the event came from HQ) and audit row.
    pub fn record(
        &self,
        tx: &Transaction,
        visit: &Visit,
        event: &Event,
        new_job: bool,
    ) -> Result<Recorded> {
        let hlc = self.stamp(tx)?.encode();
        // Time-ordered (v7): new ids land at the end of the unique indexes on the
        // phone and at HQ instead of on a random page of them.
        let event_id = uuid::Uuid::now_v7().to_string();
        let job_id = visit.job_id().to_string();
        let at = self.now;
        let payload = serde_json::to_string(event)?;
        let visit_json = serde_json::to_string(visit)?;
        let actor = self.actor.to_string();

        if new_job {
            tx.prepare_cached(
                "INSERT INTO jobs(job_id, status, appointment_at, visit, updated_hlc)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                job_id,
                visit.status.as_str(),
                visit.order.appointment_at.to_rfc3339(),
                visit_json,
                hlc
            ])?;
        } else {
            tx.prepare_cached(
                "UPDATE jobs SET status = ?2, appointment_at = ?3, visit = ?4, updated_hlc = ?5
                 WHERE job_id = ?1",
            )?
            .execute(params![
                job_id,
                visit.status.as_str(),
                visit.order.appointment_at.to_rfc3339(),
                visit_json,
                hlc
            ])?;
        }
        tx.prepare_cached(
            "INSERT INTO events(event_id, job_id, kind, actor, at, hlc, payload)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            event_id,
            job_id,
            event.kind(),
            actor,
            at.to_rfc3339(),
            hlc,
            payload
        ])?;
        if !event.from_hq() {
            let seq = next_seq(tx)?;
            let op = Op {
                op_id: event_id.clone(),
                device_id: self.device_id.to_string(),
                seq,
                hlc: hlc.clone(),
                job_id: job_id.clone(),
                actor: self.actor.clone(),
                at,
                event: event.clone(),
            };
            tx.prepare_cached(
                "INSERT INTO outbox(seq, op_id, device_id, job_id, kind, hlc, payload)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                seq,
                event_id,
                self.device_id,
                job_id,
                event.kind(),
                hlc,
                serde_json::to_string(&op)?
            ])?;
        }
        tx.prepare_cached(
            "INSERT INTO audit(at, actor, device_id, job_id, action, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            at.to_rfc3339(),
            actor,
            self.device_id,
            job_id,
            event.kind(),
            format!("status={}", visit.status)
        ])?;
        Ok(Recorded {
            event_id,
            job_id,
            actor: self.actor.clone(),
            at,
            hlc,
            event: event.clone(),
        })
    }
}

/// Takes the next per-device sequence number. Kept in `meta`, not derived from
/// the outbox, because the outbox is trimmed when HQ acknowledges.
fn next_seq(tx: &Transaction) -> Result<i64> {
    let last: i64 = meta_get(tx, "last_seq")?
        .map(|s| s.parse::<i64>())
        .transpose()
        .map_err(|e| Error::Corrupt {
            reason: format!("last_seq: {e}"),
        })?
        .unwrap_or(0);
    let seq = last + 1;
    meta_set(tx, "last_seq", &seq.to_string())?;
    Ok(seq)
}

/// The events of a job in the order they were recorded.
pub fn events(conn: &Connection, job_id: &str) -> Result<Vec<Recorded>> {
    let mut stmt = conn.prepare(
        "SELECT event_id, job_id, actor, at, hlc, payload FROM events WHERE job_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([job_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (event_id, job_id, actor, at, hlc, payload) = row?;
        out.push(Recorded {
            event_id,
            job_id,
            actor: parse_actor(&actor)?,
            at: parse_time(&at)?,
            hlc,
            event: serde_json::from_str(&payload)?,
        });
    }
    Ok(out)
}

pub(crate) fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::Corrupt {
            reason: format!("time {s:?}: {e}"),
        })
}

fn parse_actor(s: &str) -> Result<Actor> {
    match s.split_once(':') {
        Some(("technician", id)) => Ok(Actor::Technician(id.to_string())),
        Some(("hq", id)) => Ok(Actor::Hq(id.to_string())),
        _ => Err(Error::Corrupt {
            reason: format!("actor {s:?}"),
        }),
    }
}

/// Ops not yet acknowledged by HQ, in sequence order.
pub fn pending_ops(conn: &Connection, limit: usize) -> Result<Vec<Op>> {
    let mut stmt = conn.prepare("SELECT payload FROM outbox ORDER BY seq LIMIT ?1")?;
    let rows = stmt.query_map([limit as i64], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for p in rows {
        out.push(serde_json::from_str(&p?)?);
    }
    Ok(out)
}
