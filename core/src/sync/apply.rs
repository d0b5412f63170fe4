//! Applying what HQ says to the local store: acknowledgements of pushed ops
//! and changes pulled from the feed.
//!
//! - The outbox is trimmed only for ops HQ settled (applied, duplicate or
//!   rejected); a rejected op becomes a row in `conflicts` in the same
//!   transaction, so it is never silently dropped.
//! - A pulled change never overwrites a job that still has unacknowledged ops:
//!   it waits in `deferred_changes` until HQ has seen them.
//! - The pull cursor is stored in the same transaction as the changes it covers.

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::store::{self, load_visit, Writer};
use crate::sync::protocol::{Change, ChangeKind, Outcome, PullResponse, PushResponse};
use crate::technician::Technician;
use crate::visit::{Actor, Event, Visit};

/// An op HQ refused, shown on its job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub job_id: String,
    pub op_id: String,
    pub seq: i64,
    /// The kind of fact that was refused (e.g. `work_done`).
    pub kind: String,
    /// HQ's reason code (`job_cancelled`, `reassigned`, `rule_broken`, ...).
    pub code: String,
    pub message: String,
    pub at: String,
}

/// What one acknowledgement did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ack {
    pub trimmed: usize,
    pub applied: usize,
    pub duplicates: usize,
    pub rejected: usize,
}

fn has_pending_ops(conn: &Connection, job_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM outbox WHERE job_id = ?1 LIMIT 1")?
        .query_row([job_id], |_| Ok(()))
        .optional()?
        .is_some())
}

impl Technician {
    /// Records HQ's answer to a push: trims settled ops, turns rejections into conflicts.
    pub fn acknowledge(&self, resp: &PushResponse) -> Result<Ack> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut ack = Ack::default();
        let now = self.clock.now().to_rfc3339();
        for r in &resp.results {
            if r.seq > resp.last_applied_seq {
                continue;
            }
            match &r.outcome {
                Outcome::Applied => ack.applied += 1,
                Outcome::Duplicate => ack.duplicates += 1,
                Outcome::OutOfOrder => {}
                Outcome::Rejected { code, message } => {
                    let row: Option<(String, String)> = tx
                        .query_row(
                            "SELECT job_id, kind FROM outbox WHERE op_id = ?1",
                            [&r.op_id],
                            |row| Ok((row.get(0)?, row.get(1)?)),
                        )
                        .optional()?;
                    if let Some((job_id, kind)) = row {
                        ack.rejected += 1;
                        tx.execute(
                            "INSERT INTO conflicts(job_id, op_id, seq, kind, code, message, at)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(op_id) DO NOTHING",
                            params![job_id, r.op_id, r.seq, kind, code.as_str(), message, now],
                        )?;
                        tx.execute(
                            "INSERT INTO audit(at, actor, device_id, job_id, action, detail) VALUES (?1, 'hq:sync', ?2, ?3, 'op_rejected', ?4)",
                            params![now, self.profile.device_id, job_id, format!("{kind}: {message}")],
                        )?;
                    }
                }
            }
        }
        let touched = crate::changes::touched_by_ack(&tx, resp.last_applied_seq)?;
        ack.trimmed = tx.execute(
            "DELETE FROM outbox WHERE seq <= ?1",
            [resp.last_applied_seq],
        )?;
        self.apply_deferred(&tx)?;
        tx.commit()?;
        self.changed(conn, touched);
        Ok(ack)
    }

    /// Applies a page of the change feed and stores the new cursor with it.
    pub fn apply_pulled(&self, page: &PullResponse) -> Result<usize> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let writer = self.batch_writer(Actor::Hq("sync".into()));
        let mut applied = 0;
        for c in &page.changes {
            if has_pending_ops(&tx, &c.job_id)? {
                tx.execute(
                    "INSERT INTO deferred_changes(cursor, job_id, payload) VALUES (?1, ?2, ?3)
                     ON CONFLICT(cursor) DO NOTHING",
                    params![c.cursor, c.job_id, serde_json::to_string(c)?],
                )?;
            } else {
                self.apply_change(&tx, c, &writer)?;
                applied += 1;
            }
        }
        writer.finish(&tx)?;
        store::meta_set(&tx, "pull_cursor", &page.next_cursor.to_string())?;
        tx.commit()?;
        self.changed(conn, page.changes.iter().map(|c| c.job_id.as_str()));
        Ok(applied)
    }

    /// Deferred changes whose job has no pending op any more.
    fn apply_deferred(&self, tx: &Transaction) -> Result<()> {
        let rows: Vec<(i64, String, String)> = {
            let mut stmt =
                tx.prepare("SELECT cursor, job_id, payload FROM deferred_changes ORDER BY cursor")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<std::result::Result<_, _>>()?
        };
        let writer = self.batch_writer(Actor::Hq("sync".into()));
        for (cursor, job_id, payload) in rows {
            if has_pending_ops(tx, &job_id)? {
                continue;
            }
            let change: Change = serde_json::from_str(&payload)?;
            self.apply_change(tx, &change, &writer)?;
            tx.execute("DELETE FROM deferred_changes WHERE cursor = ?1", [cursor])?;
        }
        writer.finish(tx)
    }

    /// One HQ change as an event on the job. A change the local state cannot
    /// take (e.g. a cancel after the job was settled offline) becomes a conflict.
    fn apply_change(&self, tx: &Transaction, c: &Change, writer: &Writer) -> Result<()> {
        if let ChangeKind::Dispatched { order } = &c.change {
            if !store::job_exists(tx, &c.job_id)? {
                let (visit, event) = Visit::dispatched((**order).clone())?;
                writer.record(tx, &visit, &event, true)?;
                return Ok(());
            }
        }
        let mut visit = match load_visit(tx, &c.job_id) {
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
                writer.record(tx, &visit, &event, false)?;
            }
            Err(e) => {
                tx.execute(
                    "INSERT INTO conflicts(job_id, op_id, seq, kind, code, message, at)
                     VALUES (?1, ?2, 0, ?3, 'hq_change_refused', ?4, ?5) ON CONFLICT(op_id) DO NOTHING",
                    params![
                        c.job_id,
                        format!("change-{}", c.cursor),
                        change_kind(&c.change),
                        e.to_string(),
                        writer.now.to_rfc3339()
                    ],
                )?;
            }
        }
        Ok(())
    }

    /// Where the next pull starts.
    pub fn pull_cursor(&self) -> Result<i64> {
        Ok(store::meta_get(&*self.conn()?, "pull_cursor")?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0))
    }

    /// Conflicts on a job, oldest first.
    pub fn conflicts(&self, job_id: &str) -> Result<Vec<Conflict>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT job_id, op_id, seq, kind, code, message, at FROM conflicts WHERE job_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([job_id], |r| {
            Ok(Conflict {
                job_id: r.get(0)?,
                op_id: r.get(1)?,
                seq: r.get(2)?,
                kind: r.get(3)?,
                code: r.get(4)?,
                message: r.get(5)?,
                at: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Stores a blob (photo, signature image) content-addressed; returns its SHA-256.
    pub fn put_blob(&self, media_type: &str, bytes: &[u8], job_id: Option<&str>) -> Result<String> {
        let sha = crate::signature::record::content_hash(bytes);
        self.conn()?.execute(
            "INSERT INTO blobs(sha256, media_type, bytes, job_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(sha256) DO NOTHING",
            params![sha, media_type, bytes, job_id, self.clock.now().to_rfc3339()],
        )?;
        Ok(sha)
    }

    /// Processes a camera photo (upright, no location, bounded size) and stores
    /// it and its thumbnail content-addressed; answer a photo checklist item or
    /// an inspection with `full_sha256`.
    pub fn add_photo(
        &self,
        job_id: &str,
        bytes: &[u8],
        policy: &crate::photo::PhotoPolicy,
    ) -> Result<crate::photo::ProcessedPhoto> {
        crate::order::validate_id("job id", job_id)?;
        let p = crate::photo::process(bytes, policy)?;
        self.put_blob(p.media_type, &p.full, Some(job_id))?;
        self.put_blob(p.media_type, &p.thumb, Some(job_id))?;
        Ok(p)
    }

    /// A stored blob and its media type.
    pub fn blob(&self, sha256: &str) -> Result<Option<(String, Vec<u8>)>> {
        Ok(self
            .conn()?
            .query_row(
                "SELECT media_type, bytes FROM blobs WHERE sha256 = ?1",
                [sha256],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Blobs HQ has not confirmed yet.
    pub fn pending_blobs(&self) -> Result<Vec<String>> {
        let conn = self.conn()?;
        let mut stmt =
            conn.prepare("SELECT sha256 FROM blobs WHERE uploaded = 0 ORDER BY created_at")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    pub fn mark_blob_uploaded(&self, sha256: &str) -> Result<()> {
        self.conn()?
            .execute("UPDATE blobs SET uploaded = 1 WHERE sha256 = ?1", [sha256])?;
        Ok(())
    }

    /// How many ops wait for HQ.
    pub fn outbox_len(&self) -> Result<i64> {
        Ok(self
            .conn()?
            .query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))?)
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
