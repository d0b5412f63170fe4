//! Follow-up calls (回访记录表): the queue by the books' due times, each call recorded, closed or turned into a revisit order.
//!
//! The queue's rows are written where their cause happens, with their due
//! times: a rating below satisfied or declined at once and an uncertain fix
//! 3 hours later (the phone's acceptance, [`crate::rules`]), a handled
//! complaint 24 hours later (the complaints page, reason `complaint`); the
//! month's random sample is drawn by [`crate::rules::followups`]. This
//! module records each call (reached or not, satisfied or not, notes), closes
//! the follow-up or opens a revisit order linked to the original, and counts
//! the month's follow-up rate. A revisit is an ordinary order: when its
//! customer rates it, its own follow-up comes back into the queue.
//!
//! The books' windows, as the queue shows them:
//! 「對“服務質量評價”為“一般”或“不滿意”的客戶,要馬上進行回訪」 (property book);
//! 「对没有彻底修复把握的用户信息,维修工程师 3 小时后回访」 (appliance book);
//! 「每月對服務訂單抽取不少于30%進行回訪」 (property book).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use onsite_core::visit::{Status, Visit};
use serde::{Deserialize, Serialize};

use crate::centre::audit::{self, Actor};
use crate::error::{HqError, Result};
use crate::storage::records::Records;

/// The reason of the month's sample (drawn, not stored).
pub const MONTHLY_SAMPLE: &str = "monthly_sample";
/// Longest notes of a call.
pub const MAX_NOTES_CHARS: usize = 1000;
/// How long after the call a revisit is booked, unless the page says otherwise.
pub const REVISIT_AFTER: Duration = Duration::hours(24);

/// A follow-up waiting for its call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    pub job_id: String,
    pub reason: String,
    pub due_at: DateTime<Utc>,
    pub detail: Option<String>,
    /// Past its due time and still open.
    pub overdue: bool,
    /// Calls recorded so far (none reached a close).
    pub calls: usize,
    /// The order this one revisits, if it is a revisit.
    pub revisit_of: Option<String>,
}

/// How a call ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Stays in the queue (not reached, or to call again).
    CallAgain,
    /// The customer is satisfied: the follow-up is done.
    Close,
    /// Not satisfied: a revisit order, to `technician` (the original's if `None`).
    Revisit { technician: Option<String> },
}

/// A call as the person records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    pub reached: bool,
    /// Only when reached.
    pub satisfied: Option<bool>,
    pub notes: String,
    pub outcome: Outcome,
}

/// A month's follow-up rate: completed orders and those with a call recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    pub completed: usize,
    pub called: usize,
}

impl Rate {
    /// Percent, rounded down (0 when nothing was completed).
    pub fn percent(self) -> usize {
        (self.called * 100).checked_div(self.completed).unwrap_or(0)
    }
}

/// A call as stored.
pub(crate) struct CallRow {
    pub job_id: String,
    pub reason: String,
    pub at: String,
    pub actor: String,
    pub reached: bool,
    pub satisfied: Option<bool>,
    pub notes: String,
    /// `call_again`, `closed` or `revisit`.
    pub outcome: String,
    pub revisit_job_id: Option<String>,
}

/// What the rules of this module read and write inside one transaction;
/// each database implements it in its own SQL (`storage/sqlite/followups.rs`,
/// `storage/postgres/followups.rs`).
#[allow(async_fn_in_trait)] // crate-private: every caller names the concrete type.
pub(crate) trait FollowupsRecords {
    async fn insert_followup_call(&mut self, c: &CallRow) -> Result<()>;
    /// The (job, reason) pairs a call closed (`closed` or `revisit`), with the number of calls of each pair.
    async fn followup_call_counts(&mut self) -> Result<Vec<(String, String, i64, bool)>>;
    /// Orders with at least one call recorded.
    async fn called_jobs(&mut self) -> Result<Vec<String>>;
    async fn insert_revisit(&mut self, job_id: &str, original: &str, at: &str) -> Result<()>;
    /// Every (revisit, original) link.
    async fn revisits(&mut self) -> Result<Vec<(String, String)>>;
}

/// This module's operations on HQ's database, each one transaction.
#[async_trait::async_trait]
pub trait FollowupsStore {
    /// The open follow-ups, due first, with the sample of `month` (YYYY-MM).
    async fn followup_queue(&self, month: &str, now: DateTime<Utc>) -> Result<Vec<Due>>;
    /// Records a call (audited `followup.call`), closing the follow-up or
    /// opening a revisit (audited `followup.revisit`); returns the revisit's number.
    async fn record_followup_call(
        &self,
        by: &Actor,
        job_id: &str,
        reason: &str,
        call: Call,
        now: DateTime<Utc>,
    ) -> Result<Option<String>>;
    /// The month's follow-up rate (YYYY-MM).
    async fn followup_rate(&self, month: &str) -> Result<Rate>;
}

/// The `impl FollowupsStore` each database module invokes with its own `rule!` in scope.
macro_rules! followups_operations {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::centre::followups::FollowupsStore for $ty {
            async fn followup_queue(
                &self,
                month: &str,
                now: DateTime<Utc>,
            ) -> Result<Vec<$crate::centre::followups::Due>> {
                let month = month.to_owned();
                rule!(self, |r| $crate::centre::followups::queue(r, &month, now))
            }
            async fn record_followup_call(
                &self,
                by: &$crate::centre::audit::Actor,
                job_id: &str,
                reason: &str,
                call: $crate::centre::followups::Call,
                now: DateTime<Utc>,
            ) -> Result<Option<String>> {
                let (by, job_id, reason) = (by.clone(), job_id.to_owned(), reason.to_owned());
                rule!(self, |r| $crate::centre::followups::record_call(
                    r, &by, &job_id, &reason, &call, now
                ))
            }
            async fn followup_rate(&self, month: &str) -> Result<$crate::centre::followups::Rate> {
                let month = month.to_owned();
                rule!(self, |r| $crate::centre::followups::rate(r, &month))
            }
        }
    };
}
pub(crate) use followups_operations;

fn now_str(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A stored due time: RFC 3339, or a day (the monthly sample's `YYYY-MM-28`),
/// which is due at the end of that day in China.
pub fn due_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let china = chrono::FixedOffset::east_opt(8 * 3600)?;
    china
        .from_local_datetime(&day.and_time(NaiveTime::from_hms_opt(23, 59, 59)?))
        .single()
        .map(|t| t.with_timezone(&Utc))
}

fn month_ok(month: &str) -> Result<()> {
    NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map(drop)
        .map_err(|_| HqError::BadRequest("month must be YYYY-MM".into()))
}

pub(crate) async fn queue<R: Records>(
    r: &mut R,
    month: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Due>> {
    month_ok(month)?;
    let all = crate::rules::followups(r, Some(month)).await?;
    let mut calls: BTreeMap<(String, String), (usize, bool)> = BTreeMap::new();
    for (job, reason, n, closed) in r.followup_call_counts().await? {
        calls.insert((job, reason), (usize::try_from(n).unwrap_or(0), closed));
    }
    let revisits: BTreeMap<String, String> = r.revisits().await?.into_iter().collect();
    let mut out = Vec::new();
    for f in all {
        let (n, closed) = calls
            .get(&(f.job_id.clone(), f.reason.clone()))
            .copied()
            .unwrap_or((0, false));
        if closed {
            continue;
        }
        let due_at = due_time(&f.due_at)
            .ok_or_else(|| HqError::Internal(format!("stored due time {:?}", f.due_at)))?;
        out.push(Due {
            revisit_of: revisits.get(&f.job_id).cloned(),
            overdue: due_at < now,
            due_at,
            calls: n,
            job_id: f.job_id,
            reason: f.reason,
            detail: f.detail,
        });
    }
    // Due first; among the same due time, by order number.
    out.sort_by(|a, b| (a.due_at, &a.job_id, &a.reason).cmp(&(b.due_at, &b.job_id, &b.reason)));
    Ok(out)
}

async fn visit_of<R: Records>(r: &mut R, job_id: &str) -> Result<Visit> {
    let row = r
        .order(job_id)
        .await?
        .ok_or_else(|| HqError::NotFound(format!("order {job_id}")))?;
    Ok(serde_json::from_str(&row.visit)?)
}

/// The revisit's number: the first order's number with `-R1`, `-R2`... (a
/// revisit of a revisit counts on from the first order).
fn revisit_number(original: &str, links: &[(String, String)]) -> (String, String) {
    let root = links
        .iter()
        .find(|(j, _)| j == original)
        .map_or(original.to_string(), |(_, o)| o.clone());
    let n = links.iter().filter(|(_, o)| *o == root).count() + 1;
    (format!("{root}-R{n}"), root)
}

pub(crate) async fn record_call<R: Records>(
    r: &mut R,
    by: &Actor,
    job_id: &str,
    reason: &str,
    call: &Call,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    let notes = call.notes.trim();
    if notes.chars().count() > MAX_NOTES_CHARS {
        return Err(HqError::BadRequest("notes are too long".into()));
    }
    if call.reached != call.satisfied.is_some() {
        return Err(HqError::BadRequest(
            "satisfied is said only of a customer reached".into(),
        ));
    }
    match call.outcome {
        // 「用户不满意则跟踪服务直至用户满意为止」 (appliance book): only a satisfied customer closes it.
        Outcome::Close if call.satisfied != Some(true) => {
            return Err(HqError::BadRequest(
                "only a satisfied customer closes a follow-up".into(),
            ))
        }
        // 「若回访用户不满意,则重新上门服务直至用户满意为止」 (appliance book)
        Outcome::Revisit { .. } if call.satisfied == Some(true) => {
            return Err(HqError::BadRequest(
                "a satisfied customer needs no revisit".into(),
            ))
        }
        _ => {}
    }
    let visit = visit_of(r, job_id).await?;
    let month = (now + Duration::hours(8)).format("%Y-%m").to_string(); // China's month
    let open = queue_has(r, job_id, reason, &month).await?;
    if !open {
        return Err(HqError::NotFound(format!("follow-up {job_id} {reason}")));
    }
    let mut revisit = None;
    if let Outcome::Revisit { technician } = &call.outcome {
        let links = r.revisits().await?;
        let (number, root) = revisit_number(job_id, &links);
        let mut order = visit.order.clone();
        order.job_id = number.clone();
        if let Some(t) = technician
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            // A technician typed wrong is the person's mistake, not a missing record.
            if r.approval_key(t).await?.is_none() {
                return Err(HqError::BadRequest(format!("no technician {t}")));
            }
            order.technician_id = t.to_string();
        }
        order.reported_at = now;
        order.dispatched_at = now;
        order.appointment_at = now + REVISIT_AFTER;
        order.desired_completion_at = None;
        order.unpaid_balance_fen = 0;
        order.recorder = match by {
            Actor::Person(n) | Actor::Key(n) => n.clone(),
            Actor::Operator => "operator".into(),
        };
        crate::rules::create_order(r, order, now).await?;
        r.insert_revisit(&number, &root, &now_str(now)).await?;
        audit::record(
            r,
            by,
            "followup.revisit",
            Some(job_id),
            &format!("revisit {number}"),
            now,
        )
        .await?;
        revisit = Some(number);
    }
    let outcome = match call.outcome {
        Outcome::CallAgain => "call_again",
        Outcome::Close => "closed",
        Outcome::Revisit { .. } => "revisit",
    };
    r.insert_followup_call(&CallRow {
        job_id: job_id.to_string(),
        reason: reason.to_string(),
        at: now_str(now),
        actor: by.as_stored(),
        reached: call.reached,
        satisfied: call.satisfied,
        notes: notes.to_string(),
        outcome: outcome.into(),
        revisit_job_id: revisit.clone(),
    })
    .await?;
    let said = match call.satisfied {
        None => "not reached",
        Some(true) => "satisfied",
        Some(false) => "not satisfied",
    };
    audit::record(
        r,
        by,
        "followup.call",
        Some(job_id),
        &format!("{reason}: {said}, {outcome}"),
        now,
    )
    .await?;
    Ok(revisit)
}

/// Whether (job, reason) is an open follow-up: a stored one, or the job in
/// this month's sample.
async fn queue_has<R: Records>(r: &mut R, job_id: &str, reason: &str, month: &str) -> Result<bool> {
    let all = crate::rules::followups(r, Some(month)).await?;
    let listed = all.iter().any(|f| f.job_id == job_id && f.reason == reason);
    let closed = r
        .followup_call_counts()
        .await?
        .into_iter()
        .any(|(j, re, _, closed)| closed && j == job_id && re == reason);
    Ok(listed && !closed)
}

pub(crate) async fn rate<R: Records>(r: &mut R, month: &str) -> Result<Rate> {
    month_ok(month)?;
    let mut done = BTreeSet::new();
    // Completed as the monthly sample counts them: settled or handed over that month.
    for status in [Status::Settled, Status::HandedOver] {
        for o in r.orders(None, Some(status.as_str())).await? {
            if o.updated_at.starts_with(month) {
                done.insert(o.job_id);
            }
        }
    }
    let called: BTreeSet<String> = r.called_jobs().await?.into_iter().collect();
    Ok(Rate {
        completed: done.len(),
        called: done.intersection(&called).count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_day_is_due_at_its_end_in_china() {
        let t = due_time("2026-11-28").unwrap();
        assert_eq!(now_str(t), "2026-11-28T15:59:59.000Z");
        let exact = due_time("2026-11-28T01:02:03.000Z").unwrap();
        assert_eq!(now_str(exact), "2026-11-28T01:02:03.000Z");
        assert!(due_time("soon").is_none());
    }

    #[test]
    fn revisits_count_on_from_the_first_order() {
        let links = vec![("WO-1-R1".to_string(), "WO-1".to_string())];
        assert_eq!(revisit_number("WO-9", &links).0, "WO-9-R1");
        assert_eq!(revisit_number("WO-1", &links).0, "WO-1-R2");
        assert_eq!(revisit_number("WO-1-R1", &links).0, "WO-1-R2");
    }

    #[test]
    fn rate_is_a_whole_percent() {
        assert_eq!(
            Rate {
                completed: 3,
                called: 1
            }
            .percent(),
            33
        );
        assert_eq!(
            Rate {
                completed: 0,
                called: 0
            }
            .percent(),
            0
        );
    }
}
