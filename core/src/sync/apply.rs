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
use crate::locale::{tr, Lang};
use crate::store::{audit, conflicts, deferred, jobs, meta, outbox, Writer};
use crate::sync::protocol::{Change, ChangeKind, Outcome, PullResponse, PushResponse};
use crate::technician::Technician;
use crate::visit::{Action, Actor, Event, Visit};

pub use crate::store::conflicts::Conflict;

impl Conflict {
    /// What the technician reads about this conflict, in their language: the
    /// step HQ did not accept and why, from the codes. HQ's own `message` (in
    /// English, with ids) stays for logs and support; a Chinese technician
    /// never has to read it.
    pub fn describe(&self, lang: Lang) -> String {
        let step = Action::ALL
            .into_iter()
            .find(|a| a.event_kind() == self.kind)
            .map_or_else(
                || match self.kind.as_str() {
                    "dispatched" => tr(lang, "总部派工", "HQ's dispatch"),
                    "rescheduled" => tr(lang, "总部改约", "HQ's new appointment"),
                    "cancelled" => tr(lang, "总部取消", "HQ's cancellation"),
                    "reassigned" => tr(lang, "总部改派", "HQ's reassignment"),
                    "charge_instructed" => tr(lang, "服务中心批示", "The centre's instruction"),
                    _ => tr(lang, "这一步", "This step"),
                },
                |a| a.label(lang),
            );
        let why = match self.code.as_str() {
            "unknown_job" => tr(lang, "总部没有这张工单", "HQ has no such job"),
            "reassigned" => tr(
                lang,
                "工单已改派给其他维修人员",
                "the job was reassigned to another technician",
            ),
            "job_cancelled" => tr(lang, "工单已被总部取消", "HQ cancelled the job"),
            "rule_broken" => tr(
                lang,
                "与总部记录的工单进度不符",
                "it does not fit the job as HQ holds it",
            ),
            "duplicate_receipt_number" => {
                tr(lang, "收据号已被使用", "the receipt number is already used")
            }
            "unknown_receipt" => tr(
                lang,
                "总部没有这张收据",
                "HQ has no such receipt on this job",
            ),
            "receipt_already_void" => tr(lang, "收据已作废", "the receipt is already void"),
            "wrong_device" => tr(
                lang,
                "操作来自其他设备",
                "the change came from another device",
            ),
            "hq_change_refused" => tr(
                lang,
                "本机的工单进度已不允许这项变更",
                "the job has moved on on this phone; the change no longer applies",
            ),
            _ => tr(lang, "总部未接受", "HQ did not accept it"),
        };
        match lang {
            Lang::ZhCn => format!("{step}未被接受:{why}"),
            Lang::En => format!("{step} was not accepted: {why}"),
        }
    }
}

/// What one acknowledgement did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
            if resp.applied_omitted {
                // HQ listed only what it did not apply: the rest it trimmed was applied.
                ack.applied = ack.trimmed.saturating_sub(ack.duplicates + ack.rejected);
            }
            self.apply_deferred(tx)?;
            super::crash_point("ack-committing");
            Ok((ack, touched))
        })?;
        self.changed(touched);
        Ok(ack)
    }

    /// Applies a page of the change feed and stores the new cursor with it.
    ///
    /// What the page's changes need from the store is read once for the
    /// page, not once per change: the jobs with ops still unacknowledged (a
    /// scan of the outbox) and which of the page's jobs the store has.
    pub fn apply_pulled(&self, page: &PullResponse) -> Result<usize> {
        let writer = self.batch_writer(Actor::Hq("sync".into()));
        let applied = self.store.write(|tx| {
            // Applying HQ's changes queues no op: the set holds for the page.
            let pending = outbox::jobs_pending(tx)?;
            let mut known = jobs::existing(tx, page.changes.iter().map(|c| c.job_id.as_str()))?;
            let mut applied = 0;
            for c in &page.changes {
                if pending.contains(&c.job_id) {
                    deferred::put(tx, c.cursor, &c.job_id, &serde_json::to_string(c)?)?;
                } else {
                    let exists = known.contains(&c.job_id);
                    if self.apply_change(tx, c, &writer, exists)? && !exists {
                        known.insert(c.job_id.clone());
                    }
                    applied += 1;
                }
            }
            writer.finish(tx)?;
            meta::set(tx, meta::PULL_CURSOR, &page.next_cursor.to_string())?;
            // HQ's retention period for customer data on phones, when it says one.
            if let Some(days) = page.retention_days {
                if (1..=crate::privacy::MAX_RETENTION_DAYS).contains(&days) {
                    meta::set(tx, meta::RETENTION_DAYS, &days.to_string())?;
                }
            }
            super::crash_point("pull-applying");
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
            let exists = jobs::exists(tx, &change.job_id)?;
            self.apply_change(tx, &change, &writer, exists)?;
            deferred::remove(tx, cursor)?;
        }
        writer.finish(tx)
    }

    /// One HQ change as an event on the job (`exists`: the store has the
    /// job). A change the local state cannot take (e.g. a cancel after the
    /// job was settled offline) becomes a conflict. True if the store has the
    /// job afterwards.
    fn apply_change(
        &self,
        tx: &Transaction,
        c: &Change,
        writer: &Writer,
        exists: bool,
    ) -> Result<bool> {
        if let ChangeKind::Dispatched { order } = &c.change {
            if !exists {
                let visit = Visit::new_dispatched((**order).clone())?;
                writer.record_new_job(tx, &visit)?;
                return Ok(true);
            }
        }
        let mut visit = match jobs::load(tx, &c.job_id) {
            Ok(v) => v,
            Err(Error::UnknownJob { .. }) => return Ok(false), // a change for a job never dispatched here
            Err(e) => return Err(e),
        };
        let decided = match &c.change {
            ChangeKind::Dispatched { order } => Ok(Event::Dispatched {
                order: (**order).clone(),
            }),
            ChangeKind::Rescheduled {
                appointment_at,
                reason,
                consent,
            } => visit.hq_reschedule(*appointment_at, reason, consent.as_ref()),
            ChangeKind::Cancelled { reason } => visit.cancel(reason),
            ChangeKind::Reassigned { .. } => {
                visit.cancel("reassigned to another technician / 已改派其他维修人员")
            }
            ChangeKind::ChargeInstructed { instruction, by } => {
                visit.instruct_charge(*instruction, by)
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
        Ok(true)
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

    /// How many ops wait for HQ behind `seq`.
    pub fn outbox_len_after(&self, seq: i64) -> Result<i64> {
        self.store.read(|c| outbox::len_after(c, seq))
    }

    /// What a sync still has to send: the ops in the outbox and the photos
    /// HQ does not hold yet. The shells keep a sync scheduled while it is
    /// above zero: photos left behind by a cut link (their visit's ops
    /// already pushed) must still go without waiting for the next change.
    pub fn unsynced(&self) -> Result<u64> {
        self.store.read(|c| {
            let ops = u64::try_from(outbox::len(c)?).unwrap_or(0);
            Ok(ops + crate::store::blobs::pending_count(c)?)
        })
    }
}

fn change_kind(c: &ChangeKind) -> &'static str {
    match c {
        ChangeKind::Dispatched { .. } => "dispatched",
        ChangeKind::Rescheduled { .. } => "rescheduled",
        ChangeKind::Cancelled { .. } => "cancelled",
        ChangeKind::Reassigned { .. } => "reassigned",
        ChangeKind::ChargeInstructed { .. } => "charge_instructed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conflict_is_told_in_the_technicians_language_from_its_codes() {
        let c = Conflict {
            job_id: "J".into(),
            op_id: "o".into(),
            seq: 3,
            kind: "work_done".into(),
            code: "job_cancelled".into(),
            message: "job J was cancelled by HQ: customer moved".into(),
            at: String::new(),
        };
        let zh = c.describe(Lang::ZhCn);
        assert_eq!(zh, "完工未被接受:工单已被总部取消");
        assert!(!zh.chars().any(|ch| ch.is_ascii_alphabetic()), "{zh}");
        assert_eq!(
            c.describe(Lang::En),
            "Finish work was not accepted: HQ cancelled the job"
        );
        let hq_change = Conflict {
            kind: "cancelled".into(),
            code: "hq_change_refused".into(),
            ..c
        };
        assert!(hq_change.describe(Lang::ZhCn).starts_with("总部取消"));
        // Every event kind a device sends has a step label.
        for a in Action::ALL {
            let c = Conflict {
                kind: a.event_kind().into(),
                code: "rule_broken".into(),
                ..hq_change.clone()
            };
            assert!(c.describe(Lang::ZhCn).starts_with(a.label(Lang::ZhCn)));
        }
    }
}
