//! Complaints (顾客投诉记录) recorded at the service centre, their clocks by the books, each handling step, and the complainant's mark.
//!
//! A complaint taken at the service centre is kept in the same `complaints`
//! table as one a phone recorded on site (with the customer's phone digits),
//! so the mark that makes the customer's next order `complained_before`
//! ([`crate::rules::create_order`]) covers both; `complaint_handling` adds
//! what only the service centre knows (channel, owner, who recorded it) and
//! `complaint_steps` each handling step with who and when. Every clock runs
//! from when HQ received the complaint.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::centre::audit::{self, Actor};
use crate::error::{HqError, Result};
use crate::rules::{phone_digits, ComplaintRecord, FollowUp};
use crate::storage::records::{ComplaintRow, Records};

/// Longest customer name, phone and owner name accepted.
pub const MAX_NAME: usize = 100;
/// Longest text of the customer's words or a step's note.
pub const MAX_WORDS: usize = 2000;
/// How far back a complaint's receipt time may be entered (a call taken
/// earlier and written down now).
pub const MAX_BACKDATE_DAYS: i64 = 7;

/// Soft (about the service) or hard (about the product).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 「软性投诉是指顾客提出的除产品以外的投诉,例如对服务的不满」 (furniture book)
    Soft,
    /// 「硬性投诉是指顾客针对产品提出的投诉」 (furniture book)
    Hard,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Soft => "soft",
            Kind::Hard => "hard",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Soft, Kind::Hard]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
    /// The steps of its handling, in the order they are taken.
    pub fn steps(self) -> &'static [Step] {
        match self {
            Kind::Soft => &[
                Step::Responded,
                Step::Checked,
                Step::Handled,
                Step::CalledBack,
            ],
            Kind::Hard => &[
                Step::FirstResponse,
                Step::SecondResponse,
                Step::Handled,
                Step::CalledBack,
            ],
        }
    }
}

/// How the complaint reached the service centre.
pub const CHANNELS: &[&str] = &["phone", "visit", "letter", "other"];
/// The channel of a complaint a phone recorded on site.
pub const ON_SITE: &str = "on_site";

/// A handling step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Soft: the first reaction.
    Responded,
    /// Soft: the facts checked.
    Checked,
    /// Hard: the first response to all the customer asks.
    FirstResponse,
    /// Hard: the second response, with the date of the solution.
    SecondResponse,
    /// The complaint is dealt with.
    Handled,
    /// The customer called back after handling, their satisfaction noted.
    CalledBack,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::Responded,
        Step::Checked,
        Step::FirstResponse,
        Step::SecondResponse,
        Step::Handled,
        Step::CalledBack,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Responded => "responded",
            Step::Checked => "checked",
            Step::FirstResponse => "first_response",
            Step::SecondResponse => "second_response",
            Step::Handled => "handled",
            Step::CalledBack => "called_back",
        }
    }
    pub fn parse(s: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|k| k.as_str() == s)
    }
    /// How long after its start (receipt, or handling for the call-back) the step is due.
    pub fn limit(self) -> Option<Duration> {
        match self {
            // 「对任何软性投诉,应在15分钟之内做出反应,在30分钟之内予以核对」 (furniture book)
            Step::Responded => Some(Duration::minutes(15)),
            Step::Checked => Some(Duration::minutes(30)),
            // 「在接到顾客投诉的1小时内,需对顾客的所有要求做出及时反应,在3小时后,需向顾客作出第二反应,同时根据所得信息判断最后解决时间」 (furniture book)
            Step::FirstResponse => Some(Duration::hours(1)),
            Step::SecondResponse => Some(Duration::hours(3)),
            Step::Handled => None,
            // 「在投诉处理后24小时内再次与顾客取得联系,征询其满意程度,并填写“顾客投诉记录”」 (furniture book)
            Step::CalledBack => Some(Duration::hours(24)),
        }
    }
}

/// A complaint as a person records it at the service centre.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewComplaint {
    pub kind: Kind,
    /// One of [`CHANNELS`].
    pub channel: String,
    pub customer_name: String,
    pub customer_phone: String,
    /// The order it is about (must exist).
    pub job_id: Option<String>,
    /// The customer's words.
    pub words: String,
    /// The service centre's person who owns its handling (user name).
    pub owner: String,
    /// When the service centre received it (its clocks start here).
    pub received_at: DateTime<Utc>,
}

/// A step as a person records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStep {
    pub step: Step,
    /// The date given for the solution (the hard complaint's second response).
    pub solution_day: Option<NaiveDate>,
    /// The customer's satisfaction (the call-back).
    pub satisfied: Option<bool>,
    pub note: String,
}

/// A step taken, with who and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepTaken {
    pub step: Step,
    pub at: DateTime<Utc>,
    /// User name of who recorded it.
    pub by: String,
    pub solution_day: Option<NaiveDate>,
    pub satisfied: Option<bool>,
    pub note: String,
}

/// A complaint, recorded at the service centre or on site, with its steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complaint {
    /// Its id (`console-…` for one recorded here, the phone's op id otherwise).
    pub id: String,
    pub kind: Kind,
    /// One of [`CHANNELS`], or [`ON_SITE`].
    pub channel: String,
    pub customer_name: String,
    pub customer_phone: String,
    pub job_id: Option<String>,
    pub technician_id: Option<String>,
    pub words: String,
    pub owner: Option<String>,
    pub recorded_by: Option<String>,
    pub received_at: DateTime<Utc>,
    pub steps: Vec<StepTaken>,
}

/// One step's clock: when it is due, when it was taken, whether it is late.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    pub step: Step,
    /// None: no limit (handling), or not started (a call-back before handling).
    pub due: Option<DateTime<Utc>>,
    pub done: Option<DateTime<Utc>>,
    /// Taken after it was due, or not taken and due before `now`.
    pub breached: bool,
}

/// A clock of an open complaint that ran out: the board shows these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breach {
    pub complaint_id: String,
    pub job_id: Option<String>,
    pub kind: Kind,
    pub step: Step,
    pub due: DateTime<Utc>,
    pub done: Option<DateTime<Utc>>,
}

/// The clocks of a complaint received at `received_at` with these steps taken, at `now`.
pub fn clocks(
    kind: Kind,
    received_at: DateTime<Utc>,
    steps: &[StepTaken],
    now: DateTime<Utc>,
) -> Vec<Clock> {
    let taken = |s: Step| steps.iter().find(|t| t.step == s).map(|t| t.at);
    kind.steps()
        .iter()
        .map(|&step| {
            let start = match step {
                Step::CalledBack => taken(Step::Handled),
                _ => Some(received_at),
            };
            let due = start.zip(step.limit()).map(|(s, l)| s + l);
            let done = taken(step);
            let breached = match (due, done) {
                (Some(d), Some(t)) => t > d,
                (Some(d), None) => now > d,
                (None, _) => false,
            };
            Clock {
                step,
                due,
                done,
                breached,
            }
        })
        .collect()
}

impl Complaint {
    /// Not yet called back after handling.
    pub fn open(&self) -> bool {
        !self.steps.iter().any(|s| s.step == Step::CalledBack)
    }
    pub fn clocks(&self, now: DateTime<Utc>) -> Vec<Clock> {
        clocks(self.kind, self.received_at, &self.steps, now)
    }
    /// The step to take next, if any.
    pub fn next_step(&self) -> Option<Step> {
        self.kind
            .steps()
            .iter()
            .copied()
            .find(|s| !self.steps.iter().any(|t| t.step == *s))
    }
}

/// A stored complaint with what the service centre added.
pub(crate) struct ComplaintListRow {
    pub id: String,
    pub job_id: String,
    pub technician_id: String,
    pub kind: String,
    pub words: String,
    pub customer_name: String,
    pub customer_phone: String,
    pub received_at: String,
    pub channel: Option<String>,
    pub owner: Option<String>,
    pub recorded_by: Option<String>,
}

/// A stored step.
pub(crate) struct StepRow {
    pub complaint_id: String,
    pub step: String,
    pub at: String,
    pub by: String,
    pub solution_day: Option<String>,
    pub satisfied: Option<bool>,
    pub note: String,
}

/// What the rules of this module read and write inside one transaction;
/// each database implements it in its own SQL (`storage/sqlite/complaints.rs`,
/// `storage/postgres/complaints.rs`).
#[allow(async_fn_in_trait)] // crate-private: every caller names the concrete type.
pub(crate) trait ComplaintsRecords {
    async fn insert_complaint_handling(
        &mut self,
        id: &str,
        channel: &str,
        owner: &str,
        recorded_by: &str,
        at: &str,
    ) -> Result<()>;
    /// Every complaint, newest received first.
    async fn complaint_rows(&mut self) -> Result<Vec<ComplaintListRow>>;
    /// One complaint, locked (its steps are added one at a time).
    async fn complaint_for_update(&mut self, id: &str) -> Result<Option<ComplaintListRow>>;
    /// Steps of one complaint (or all), oldest first.
    async fn complaint_steps(&mut self, id: Option<&str>) -> Result<Vec<StepRow>>;
    async fn insert_complaint_step(&mut self, s: &StepRow) -> Result<()>;
}

/// This module's operations on HQ's database, each one transaction.
#[async_trait::async_trait]
pub trait ComplaintsStore {
    /// Records a complaint taken at the service centre; returns its id.
    async fn record_complaint(
        &self,
        by: &Actor,
        c: NewComplaint,
        now: DateTime<Utc>,
    ) -> Result<String>;
    /// Records the next handling step of a complaint.
    async fn record_complaint_step(
        &self,
        by: &Actor,
        id: &str,
        s: NewStep,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Every complaint (service centre's and on site), newest first.
    async fn complaint_book(&self) -> Result<Vec<Complaint>>;
    /// The clocks of open complaints that ran out, at `now`.
    async fn open_breaches(&self, now: DateTime<Utc>) -> Result<Vec<Breach>>;
}

/// The `impl ComplaintsStore` each database module invokes with its own `rule!` in scope.
macro_rules! complaints_operations {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::centre::complaints::ComplaintsStore for $ty {
            async fn record_complaint(
                &self,
                by: &$crate::centre::audit::Actor,
                c: $crate::centre::complaints::NewComplaint,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<String> {
                let by = by.clone();
                rule!(self, |r| $crate::centre::complaints::record(r, &by, c, now))
            }
            async fn record_complaint_step(
                &self,
                by: &$crate::centre::audit::Actor,
                id: &str,
                s: $crate::centre::complaints::NewStep,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<()> {
                let (by, id) = (by.clone(), id.to_owned());
                rule!(self, |r| $crate::centre::complaints::step(
                    r, &by, &id, s, now
                ))
            }
            async fn complaint_book(&self) -> Result<Vec<$crate::centre::complaints::Complaint>> {
                rule!(self, |r| $crate::centre::complaints::book(r))
            }
            async fn open_breaches(
                &self,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<Vec<$crate::centre::complaints::Breach>> {
                rule!(self, |r| $crate::centre::complaints::breaches(r, now))
            }
        }
    };
}
pub(crate) use complaints_operations;

fn at_str(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn parse_at(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| HqError::Internal(format!("stored complaint time: {e}")))
}

fn bad(s: &str) -> HqError {
    HqError::BadRequest(s.into())
}

/// A text a person typed: trimmed, not empty, not too long.
fn text(s: &str, max: usize, what: &str) -> Result<String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(bad(&format!("{what} is missing")));
    }
    if s.chars().count() > max {
        return Err(bad(&format!("{what} is longer than {max} characters")));
    }
    Ok(s.to_string())
}

/// Checks a complaint as a person entered it, before anything is written.
pub fn check(c: &NewComplaint, now: DateTime<Utc>) -> Result<()> {
    if !CHANNELS.contains(&c.channel.as_str()) {
        return Err(bad("unknown channel"));
    }
    text(&c.customer_name, MAX_NAME, "the customer's name")?;
    text(&c.customer_phone, MAX_NAME, "the customer's phone")?;
    if phone_digits(&c.customer_phone).len() < 5 {
        return Err(bad("the customer's phone needs at least 5 digits"));
    }
    text(&c.words, MAX_WORDS, "the customer's words")?;
    text(&c.owner, MAX_NAME, "the owner")?;
    if c.received_at > now + Duration::minutes(1) {
        return Err(bad("a complaint cannot be received in the future"));
    }
    if c.received_at < now - Duration::days(MAX_BACKDATE_DAYS) {
        return Err(bad("a complaint received more than 7 days ago"));
    }
    Ok(())
}

pub(crate) async fn record<R: Records>(
    r: &mut R,
    by: &Actor,
    c: NewComplaint,
    now: DateTime<Utc>,
) -> Result<String> {
    check(&c, now)?;
    let owner = r
        .person(c.owner.trim())
        .await?
        // The admin runs the system, not the day's complaints.
        .filter(|p| !p.disabled && p.role != crate::centre::people::Role::Admin.as_str())
        .ok_or_else(|| HqError::NotFound(format!("person {}", c.owner.trim())))?;
    let job_id = c.job_id.as_deref().map(str::trim).filter(|j| !j.is_empty());
    let technician_id = match job_id {
        Some(j) => {
            r.order(j)
                .await?
                .ok_or_else(|| HqError::NotFound(format!("order {j}")))?
                .technician_id
        }
        None => String::new(),
    };
    let id = format!("console-{}", uuid::Uuid::new_v4().simple());
    let phone = c.customer_phone.trim().to_string();
    // 「将此顾客做特别记录,以便此顾客在此进店时,提供针对性服务,避免再次投诉」 (furniture book):
    // the same table as on-site complaints, with the phone's digits, marks the next order.
    r.insert_complaint(&ComplaintRow {
        op_id: id.clone(),
        phone_digits: phone_digits(&phone),
        record: ComplaintRecord {
            job_id: job_id.unwrap_or_default().to_string(),
            technician_id,
            kind: c.kind.as_str().into(),
            words: c.words.trim().into(),
            customer_name: c.customer_name.trim().into(),
            customer_phone: phone,
            made_at: at_str(c.received_at),
            received_at: at_str(c.received_at),
        },
    })
    .await?;
    r.insert_complaint_handling(
        &id,
        &c.channel,
        &owner.username,
        &by.as_stored(),
        &at_str(now),
    )
    .await?;
    audit::record(
        r,
        by,
        "complaint.record",
        job_id,
        &format!("{} {} {}", short_id(&id), c.kind.as_str(), c.channel),
        now,
    )
    .await?;
    Ok(id)
}

/// How a complaint is named on a page and in the trail (its id is long).
pub fn short_id(id: &str) -> String {
    let tail = id.strip_prefix("console-").unwrap_or(id);
    tail.chars().take(8).collect()
}

pub(crate) async fn step<R: Records>(
    r: &mut R,
    by: &Actor,
    id: &str,
    s: NewStep,
    now: DateTime<Utc>,
) -> Result<()> {
    let note = s.note.trim();
    if note.chars().count() > MAX_WORDS {
        return Err(bad("the note is longer than 2000 characters"));
    }
    let row = r
        .complaint_for_update(id)
        .await?
        .ok_or_else(|| HqError::NotFound(format!("complaint {id}")))?;
    let complaint = complaint(row, Vec::new())?;
    let steps = r
        .complaint_steps(Some(id))
        .await?
        .into_iter()
        .map(step_taken)
        .collect::<Result<Vec<_>>>()?;
    let complaint = Complaint { steps, ..complaint };
    match complaint.next_step() {
        Some(next) if next == s.step => {}
        Some(_) => {
            return Err(HqError::Conflict(
                "that is not the complaint's next step".into(),
            ))
        }
        None => return Err(HqError::Conflict("the complaint is closed".into())),
    }
    let solution_day = match s.step {
        Step::SecondResponse => Some(
            s.solution_day
                .ok_or_else(|| bad("the second response gives a date for the solution"))?,
        ),
        _ => None,
    };
    let satisfied = match s.step {
        Step::CalledBack => Some(
            s.satisfied
                .ok_or_else(|| bad("the call-back records whether the customer is satisfied"))?,
        ),
        _ => None,
    };
    r.insert_complaint_step(&StepRow {
        complaint_id: id.into(),
        step: s.step.as_str().into(),
        at: at_str(now),
        by: by.as_stored(),
        solution_day: solution_day.map(|d| d.to_string()),
        satisfied,
        note: note.into(),
    })
    .await?;
    if s.step == Step::Handled {
        // 「在投诉处理后24小时内再次与顾客取得联系,征询其满意程度」 (furniture book):
        // the call-back joins the follow-up queue, due a day after handling.
        let f = FollowUp {
            job_id: complaint
                .job_id
                .clone()
                .unwrap_or_else(|| format!("complaint-{}", short_id(id))),
            reason: "complaint".into(),
            due_at: at_str(now + Duration::hours(24)),
            detail: Some(format!("complaint {}", short_id(id))),
        };
        r.insert_followup(&f, &at_str(now)).await?;
    }
    audit::record(
        r,
        by,
        "complaint.step",
        complaint.job_id.as_deref(),
        &format!("{} {}", short_id(id), s.step.as_str()),
        now,
    )
    .await
}

fn step_taken(s: StepRow) -> Result<StepTaken> {
    Ok(StepTaken {
        step: Step::parse(&s.step)
            .ok_or_else(|| HqError::Internal(format!("stored step {:?}", s.step)))?,
        at: parse_at(&s.at)?,
        by: Actor::parse(&s.by).map_or(s.by.clone(), |a| match a {
            Actor::Person(n) | Actor::Key(n) => n,
            Actor::Operator => "operator".into(),
        }),
        solution_day: s
            .solution_day
            .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
        satisfied: s.satisfied,
        note: s.note,
    })
}

fn complaint(row: ComplaintListRow, steps: Vec<StepTaken>) -> Result<Complaint> {
    let person = |s: Option<String>| {
        s.map(|s| match Actor::parse(&s) {
            Some(Actor::Person(n) | Actor::Key(n)) => n,
            _ => s,
        })
    };
    Ok(Complaint {
        kind: Kind::parse(&row.kind).unwrap_or(Kind::Soft),
        channel: row.channel.unwrap_or_else(|| ON_SITE.into()),
        customer_name: row.customer_name,
        customer_phone: row.customer_phone,
        job_id: Some(row.job_id).filter(|j| !j.is_empty()),
        technician_id: Some(row.technician_id).filter(|t| !t.is_empty()),
        words: row.words,
        owner: row.owner,
        recorded_by: person(row.recorded_by),
        received_at: parse_at(&row.received_at)?,
        id: row.id,
        steps,
    })
}

pub(crate) async fn book<R: Records>(r: &mut R) -> Result<Vec<Complaint>> {
    let mut steps: std::collections::HashMap<String, Vec<StepTaken>> = Default::default();
    for s in r.complaint_steps(None).await? {
        let id = s.complaint_id.clone();
        steps.entry(id).or_default().push(step_taken(s)?);
    }
    r.complaint_rows()
        .await?
        .into_iter()
        .map(|row| {
            let s = steps.remove(&row.id).unwrap_or_default();
            complaint(row, s)
        })
        .collect()
}

pub(crate) async fn breaches<R: Records>(r: &mut R, now: DateTime<Utc>) -> Result<Vec<Breach>> {
    let mut out = Vec::new();
    for c in book(r).await?.into_iter().filter(Complaint::open) {
        for k in c.clocks(now).into_iter().filter(|k| k.breached) {
            if let Some(due) = k.due {
                out.push(Breach {
                    complaint_id: c.id.clone(),
                    job_id: c.job_id.clone(),
                    kind: c.kind,
                    step: k.step,
                    due,
                    done: k.done,
                });
            }
        }
    }
    out.sort_by_key(|b| b.due);
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn taken(step: Step, at: &str) -> StepTaken {
        StepTaken {
            step,
            at: t(at),
            by: "wang".into(),
            solution_day: None,
            satisfied: None,
            note: String::new(),
        }
    }

    fn breached(c: &[Clock], s: Step) -> bool {
        c.iter().find(|k| k.step == s).unwrap().breached
    }

    const RECEIVED: &str = "2026-11-28T02:00:00Z";

    #[test]
    fn a_soft_complaint_is_answered_within_15_minutes_and_checked_within_30() {
        let r = t(RECEIVED);
        // Exactly at the limit is in time; a second past it is not.
        let c = clocks(Kind::Soft, r, &[], t("2026-11-28T02:15:00Z"));
        assert!(!breached(&c, Step::Responded));
        let c = clocks(Kind::Soft, r, &[], t("2026-11-28T02:15:01Z"));
        assert!(breached(&c, Step::Responded));
        assert!(!breached(&c, Step::Checked));
        let c = clocks(Kind::Soft, r, &[], t("2026-11-28T02:30:01Z"));
        assert!(breached(&c, Step::Checked));
        // Taken in time stays in time, whatever the clock says now.
        let steps = [taken(Step::Responded, "2026-11-28T02:14:59Z")];
        let c = clocks(Kind::Soft, r, &steps, t("2026-11-28T09:00:00Z"));
        assert!(!breached(&c, Step::Responded));
        // Taken late stays late.
        let steps = [taken(Step::Responded, "2026-11-28T02:16:00Z")];
        let c = clocks(Kind::Soft, r, &steps, t("2026-11-28T02:16:00Z"));
        assert!(breached(&c, Step::Responded));
    }

    #[test]
    fn a_hard_complaint_gets_a_first_response_in_1_hour_and_a_second_at_3() {
        let r = t(RECEIVED);
        let c = clocks(Kind::Hard, r, &[], t("2026-11-28T03:00:00Z"));
        assert!(!breached(&c, Step::FirstResponse));
        let c = clocks(Kind::Hard, r, &[], t("2026-11-28T03:00:01Z"));
        assert!(breached(&c, Step::FirstResponse));
        assert!(!breached(&c, Step::SecondResponse));
        let c = clocks(Kind::Hard, r, &[], t("2026-11-28T05:00:01Z"));
        assert!(breached(&c, Step::SecondResponse));
        assert!(!breached(&c, Step::Handled), "handling has no clock");
    }

    #[test]
    fn the_call_back_is_due_24_hours_after_handling() {
        let r = t(RECEIVED);
        let c = clocks(Kind::Soft, r, &[], t("2026-12-28T00:00:00Z"));
        let back = c.iter().find(|k| k.step == Step::CalledBack).unwrap();
        assert_eq!(back.due, None, "no call-back clock before handling");
        assert!(!back.breached);
        let steps = [taken(Step::Handled, "2026-11-28T04:00:00Z")];
        let c = clocks(Kind::Soft, r, &steps, t("2026-11-29T04:00:00Z"));
        assert!(!breached(&c, Step::CalledBack));
        let c = clocks(Kind::Soft, r, &steps, t("2026-11-29T04:00:01Z"));
        assert!(breached(&c, Step::CalledBack));
    }
}
