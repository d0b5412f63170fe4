//! Applying what HQ says to the local store: acknowledgements of pushed ops
//! and changes pulled from the feed.
//!
//! - The outbox is trimmed only for ops HQ settled (applied, duplicate or
//!   rejected); a rejected op becomes a row in `conflicts` in the same
//!   transaction, so it is never silently dropped.
//! - A pulled change never overwrites a job that still has unacknowledged ops:
//!   it waits in `deferred_changes` until HQ has seen them.
//! - The pull cursor is stored in the same transaction as the changes it covers.

use rusqlite::Transaction;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::store::{audit, conflicts, deferred, jobs, meta, outbox, Writer};
use crate::sync::protocol::{Change, ChangeKind, Outcome, PullResponse, PushResponse};
use crate::technician::Technician;
use crate::visit::{Actor, Event, Visit};

pub use crate::store::conflicts::Conflict;

/// What one acknowledgement did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ack {
    pub trimmed: usize,
    pub applied: usize,
    pub duplicates: usize,
    pub rejected: usize,
}

impl Technician {
    /// Records HQ's answer to a push: trims settled ops, turns rejections into conflicts.
    pub fn acknowledge(&self, resp: &PushResponse) -> Result<Ack> {
        let now = self.clock.now();
        let (ack, touched) = self.store.write(|tx| {
            let touched = outbox::jobs_settled_by(tx, resp.last_applied_seq)?;
            let mut ack = Ack::default();
            for r in &resp.results {
                if r.seq > resp.last_applied_seq {
                    continue;
                }
                match &r.outcome {
                    Outcome::Applied => ack.applied += 1,
                    Outcome::Duplicate => ack.duplicates += 1,
                    Outcome::OutOfOrder => {}
                    Outcome::Rejected { code, message } => {
                        if let Some((job_id, kind)) = outbox::find(tx, &r.op_id)? {
                            ack.rejected += 1;
                            conflicts::record(
                                tx,
                                &Conflict {
                                    job_id: job_id.clone(),
                                    op_id: r.op_id.clone(),
                                    seq: r.seq,
                                    kind: kind.clone(),
                                    code: code.as_str().to_string(),
                                    message: message.clone(),
                                    at: now.to_rfc3339(),
                                },
                            )?;
                            audit::append(
                                tx,
                                &audit::AuditEntry {
                                    at: now,
                                    actor: "hq:sync".into(),
                                    device_id: self.profile.device_id.clone(),
                                    job_id: Some(job_id),
                                    action: "op_rejected".into(),
                                    detail: format!("{kind}: {message}"),
                                },
                            )?;
                        }
                    }
                }
            }
            ack.trimmed = outbox::trim(tx, resp.last_applied_seq)?;
            self.apply_deferred(tx)?;
            Ok((ack, touched))
        })?;
        self.changed(touched);
        Ok(ack)
    }

    /// Applies a page of the change feed and stores the new cursor with it.
    pub fn apply_pulled(&self, page: &PullResponse) -> Result<usize> {
        let writer = self.batch_writer(Actor::Hq("sync".into()));
        let applied = self.store.write(|tx| {
            let mut applied = 0;
            for c in &page.changes {
                if outbox::has_pending(tx, &c.job_id)? {
                    deferred::put(tx, c.cursor, &c.job_id, &serde_json::to_string(c)?)?;
                } else {
                    self.apply_change(tx, c, &writer)?;
                    applied += 1;
                }
            }
            writer.finish(tx)?;
            meta::set(tx, meta::PULL_CURSOR, &page.next_cursor.to_string())?;
            Ok(applied)
        })?;
        self.changed(page.changes.iter().map(|c| c.job_id.as_str()));
        Ok(applied)
    }

    /// Deferred changes whose job has no pending op any more.
    fn apply_deferred(&self, tx: &Transaction) -> Result<()> {
        let writer = self.batch_writer(Actor::Hq("sync".into()));
        for (cursor, job_id, payload) in deferred::all(tx)? {
            if outbox::has_pending(tx, &job_id)? {
                continue;
            }
            let change: Change = serde_json::from_str(&payload)?;
            self.apply_change(tx, &change, &writer)?;
            deferred::remove(tx, cursor)?;
        }
        writer.finish(tx)
    }

    /// One HQ change as an event on the job. A change the local state cannot
    /// take (e.g. a cancel after the job was settled offline) becomes a conflict.
    fn apply_change(&self, tx: &Transaction, c: &Change, writer: &Writer) -> Result<()> {
        if let ChangeKind::Dispatched { order } = &c.change {
            if !jobs::exists(tx, &c.job_id)? {
                let (visit, event) = Visit::dispatched((**order).clone())?;
                writer.record(tx, &visit, &event)?;
                return Ok(());
            }
        }
        let mut visit = match jobs::load(tx, &c.job_id) {
            Ok(v) => v,
            Err(Error::UnknownJob { .. }) => return Ok(()), // a change for a job never dispatched here
            Err(e) => return Err(e),
        };
        let decided = match &c.change {
            ChangeKind::Dispatched { order } => Ok(Event::Dispatched {
                order: (**order).clone(),
            }),
            ChangeKind::Rescheduled {
                appointment_at,
                reason,
            } => visit.reschedule(*appointment_at, reason),
            ChangeKind::Cancelled { reason } => visit.cancel(reason),
            ChangeKind::Reassigned { .. } => {
                visit.cancel("reassigned to another technician / 已改派其他维修人员")
            }
        };
        match decided {
            Ok(event) => {
                visit.apply(&event, writer.now);
                writer.record(tx, &visit, &event)?;
            }
            Err(e) => {
                conflicts::record(
                    tx,
                    &Conflict {
                        job_id: c.job_id.clone(),
                        op_id: format!("change-{}", c.cursor),
                        seq: 0,
                        kind: change_kind(&c.change).to_string(),
                        code: "hq_change_refused".into(),
                        message: e.to_string(),
                        at: writer.now.to_rfc3339(),
                    },
                )?;
            }
        }
        Ok(())
    }

    /// Where the next pull starts.
    pub fn pull_cursor(&self) -> Result<i64> {
        self.store.read(|c| meta::get_i64(c, meta::PULL_CURSOR))
    }

    /// Conflicts on a job, oldest first.
    pub fn conflicts(&self, job_id: &str) -> Result<Vec<Conflict>> {
        self.store.read(|c| conflicts::of_job(c, job_id))
    }

    /// How many ops wait for HQ.
    pub fn outbox_len(&self) -> Result<i64> {
        self.store.read(outbox::len)
    }
}

fn change_kind(c: &ChangeKind) -> &'static str {
    match c {
        ChangeKind::Dispatched { .. } => "dispatched",
        ChangeKind::Rescheduled { .. } => "rescheduled",
        ChangeKind::Cancelled { .. } => "cancelled",
        ChangeKind::Reassigned { .. } => "reassigned",
    }
}
