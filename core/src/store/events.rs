//! `events`: the append-only visit facts, and the [`Writer`] that records one
//! change as event + projection + outbox op + audit row in one transaction.
//!
//! A job's first `dispatched` event refers to the job's order instead of
//! holding a copy of it ([`DISPATCHED_BY_REFERENCE`]): a pull of a thousand
//! new jobs writes each order once, in the job's projection, not twice. Until
//! the order changes that order is the one dispatched; an event that changes
//! it ([`Event::changes_order`]) first keeps the order as dispatched in
//! `dispatched_orders`, in the same transaction. [`of_job`] reads either.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::{audit, jobs, meta, outbox};
use crate::clock::Hlc;
use crate::error::{Error, Result};
use crate::order::WorkOrder;
use crate::visit::{Actor, Event, Op, Recorded, Visit};

/// The payload of a job's first `dispatched` event: its order is the job's
/// (see the module's documentation).
pub const DISPATCHED_BY_REFERENCE: &str = r#"{"type":"dispatched","order":"job"}"#;

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
        let load = || -> Result<Option<Hlc>> {
            meta::get(tx, meta::HLC)?
                .map(|s| Hlc::decode(&s))
                .transpose()
        };
        if let Some(cell) = &self.batch_hlc {
            let mut last = cell.borrow_mut();
            if last.is_none() {
                *last = load()?;
            }
            let hlc = Hlc::tick(last.as_ref(), self.now.timestamp_millis(), self.device_id);
            *last = Some(hlc.clone());
            return Ok(hlc);
        }
        let hlc = Hlc::tick(
            load()?.as_ref(),
            self.now.timestamp_millis(),
            self.device_id,
        );
        meta::set(tx, meta::HLC, &hlc.encode())?;
        Ok(hlc)
    }

    /// Persists a batch's last HLC stamp; call it before the batch's transaction commits.
    pub fn finish(&self, tx: &Transaction) -> Result<()> {
        if let Some(Some(hlc)) = self.batch_hlc.as_ref().map(|c| c.borrow().clone()) {
            meta::set(tx, meta::HLC, &hlc.encode())?;
        }
        Ok(())
    }

    /// Records one event for a job whose new state is `visit`: event row, job
    /// projection, outbox op (unless the event came from HQ) and audit row.
    pub fn record(&self, tx: &Transaction, visit: &Visit, event: &Event) -> Result<Recorded> {
        if event.changes_order() {
            // A dispatch event may refer to the order about to change: keep it
            // as dispatched (once: the first change is the one that matters).
            tx.prepare_cached(
                "INSERT OR IGNORE INTO dispatched_orders(job_id, order_json)
                 SELECT job_id, json_extract(visit, '$.order') FROM jobs WHERE job_id = ?1",
            )?
            .execute([visit.job_id()])?;
        }
        let (event_id, hlc) = self.write(tx, visit, Some(event))?;
        Ok(Recorded {
            event_id,
            job_id: visit.job_id().to_string(),
            actor: self.actor.clone(),
            at: self.now,
            hlc,
            event: event.clone(),
        })
    }

    /// Records the dispatch of a job the store does not have yet, `visit`
    /// as [`Visit::new_dispatched`] made it: its `dispatched` event refers to
    /// the order the projection holds instead of holding a second copy (and
    /// none is made for it).
    pub fn record_new_job(&self, tx: &Transaction, visit: &Visit) -> Result<()> {
        self.write(tx, visit, None).map(drop)
    }

    /// The rows of one change: `event`, or `None` for a new job's dispatch
    /// by reference. Returns the event's id and clock stamp.
    fn write(
        &self,
        tx: &Transaction,
        visit: &Visit,
        event: Option<&Event>,
    ) -> Result<(String, String)> {
        let hlc = self.stamp(tx)?.encode();
        // Time-ordered (v7): new ids land at the end of the unique indexes on the
        // phone and at HQ instead of on a random page of them.
        let event_id = uuid::Uuid::now_v7().to_string();
        let job_id = visit.job_id().to_string();
        let at = self.now;
        let actor = self.actor.to_string();

        jobs::save(tx, visit, &hlc)?;
        let (kind, payload) = match event {
            Some(e) => (e.kind(), serde_json::to_string(e)?),
            None => ("dispatched", DISPATCHED_BY_REFERENCE.to_string()),
        };
        tx.prepare_cached(
            "INSERT INTO events(event_id, job_id, kind, actor, at, hlc, payload)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            event_id,
            job_id,
            kind,
            actor,
            crate::clock::rfc3339(at),
            hlc,
            payload
        ])?;
        if let Some(event) = event.filter(|e| !e.from_hq()) {
            outbox::enqueue(
                tx,
                &Op {
                    op_id: event_id.clone(),
                    device_id: self.device_id.to_string(),
                    seq: outbox::next_seq(tx)?,
                    hlc: hlc.clone(),
                    job_id: job_id.clone(),
                    actor: self.actor.clone(),
                    at,
                    event: event.clone(),
                },
            )?;
        }
        audit::append(
            tx,
            &audit::AuditEntry {
                at,
                actor,
                device_id: self.device_id.to_string(),
                job_id: Some(job_id),
                action: kind.to_string(),
                detail: format!("status={}", visit.status),
            },
        )?;
        Ok((event_id, hlc))
    }
}

/// The events of a job in the order they were recorded.
pub fn of_job(conn: &Connection, job_id: &str) -> Result<Vec<Recorded>> {
    let mut stmt = conn.prepare_cached(
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
        let event = if payload == DISPATCHED_BY_REFERENCE {
            Event::Dispatched {
                order: dispatched_order(conn, &job_id)?,
            }
        } else {
            serde_json::from_str(&payload)?
        };
        out.push(Recorded {
            event_id,
            job_id,
            actor: parse_actor(&actor)?,
            at: super::parse_time(&at)?,
            hlc,
            event,
        });
    }
    Ok(out)
}

/// The order a job was first dispatched with: kept apart once it changed,
/// else the job's own.
fn dispatched_order(conn: &Connection, job_id: &str) -> Result<WorkOrder> {
    let kept: Option<String> = conn
        .prepare_cached("SELECT order_json FROM dispatched_orders WHERE job_id = ?1")?
        .query_row([job_id], |r| r.get(0))
        .optional()?;
    match kept {
        Some(json) => Ok(serde_json::from_str(&json)?),
        None => Ok(jobs::load(conn, job_id)?.order),
    }
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
