//! A technician's day handed in and reconciled: receipts and money against what was handed in, confirmed by a manager.
//!
//! The figures are [`crate::rules::reconciliation`]'s; recording money handed
//! in is [`crate::rules::record_handover`]. This module adds what people do
//! with them: each handover audited, and a manager's sign-off of the day
//! (confirmed, or the difference recorded with a note), one per technician
//! and day, so days with activity and no sign-off stand out.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::centre::audit::{self, Actor};
use crate::error::{HqError, Result};
use crate::rules::{self, Reconciliation};
use crate::storage::records::Records;

/// The most a person may enter as handed in for one method and day
/// (¥1,000,000): more is a typing mistake, not a day's takings.
pub const MAX_HANDOVER_FEN: i64 = 100_000_000;
/// Days back the page lists for sign-off.
pub const RECENT_DAYS: i64 = 14;
/// Longest note on a difference.
pub const MAX_NOTE: usize = 1000;

/// A manager's sign-off of a technician's day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOff {
    /// `confirmed` or `difference`.
    pub outcome: String,
    /// Handed in minus net over all methods when signed.
    pub difference_fen: i64,
    pub note: String,
    /// User name of the manager.
    pub signed_by: String,
    pub signed_at: DateTime<Utc>,
}

/// What the manager decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The day balances: confirmed.
    Confirm,
    /// The day does not balance: the difference recorded, with why.
    Difference { note: String },
}

/// A technician's day on the page: the figures, the orders handed over, the sign-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Day {
    pub reconciliation: Reconciliation,
    /// Orders of the technician handed over that day (China time).
    pub orders_handed_over: Vec<String>,
    pub signoff: Option<SignOff>,
}

/// A day with activity (receipts, voids or handovers), signed or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveDay {
    pub technician_id: String,
    pub day: NaiveDate,
    pub signoff: Option<SignOff>,
}

/// A sign-off as stored.
pub(crate) struct SignOffRow {
    pub technician_id: String,
    pub day: String,
    pub outcome: String,
    pub difference_fen: i64,
    pub note: String,
    pub signed_by: String,
    pub signed_at: String,
}

/// What the rules of this module read and write inside one transaction;
/// each database implements it in its own SQL (`storage/sqlite/reconciliation.rs`,
/// `storage/postgres/reconciliation.rs`).
#[allow(async_fn_in_trait)] // crate-private: every caller names the concrete type.
pub(crate) trait ReconciliationRecords {
    /// Technicians by id: (id, name).
    async fn technician_names(&mut self) -> Result<Vec<(String, String)>>;
    /// False if the day was already signed.
    async fn insert_signoff(&mut self, s: &SignOffRow) -> Result<bool>;
    async fn signoffs_since(&mut self, day: &str) -> Result<Vec<SignOffRow>>;
    /// (technician, day) with receipts issued or voided, or money handed in, on or after `day`.
    async fn active_days_since(&mut self, day: &str) -> Result<Vec<(String, String)>>;
}

/// This module's operations on HQ's database, each one transaction.
#[async_trait::async_trait]
pub trait ReconciliationStore {
    /// Technicians by id: (id, name).
    async fn technician_names(&self) -> Result<Vec<(String, String)>>;
    /// Records money handed in (replacing the day's figure for the method), audited.
    async fn hand_in(
        &self,
        by: &Actor,
        technician_id: &str,
        day: NaiveDate,
        method: &str,
        amount_fen: i64,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// A technician's day with its sign-off.
    async fn handover_day(&self, technician_id: &str, day: NaiveDate) -> Result<Day>;
    /// A manager signs a technician's day.
    async fn sign_day(
        &self,
        by: &Actor,
        technician_id: &str,
        day: NaiveDate,
        decision: Decision,
        now: DateTime<Utc>,
    ) -> Result<SignOff>;
    /// Days with activity from `RECENT_DAYS` before `today` on, newest first.
    async fn active_days(&self, today: NaiveDate) -> Result<Vec<ActiveDay>>;
}

/// The `impl ReconciliationStore` each database module invokes with its own `rule!` in scope.
macro_rules! reconciliation_operations {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::centre::reconciliation::ReconciliationStore for $ty {
            async fn technician_names(&self) -> Result<Vec<(String, String)>> {
                rule!(self, |r| $crate::centre::reconciliation::technicians(r))
            }
            async fn hand_in(
                &self,
                by: &$crate::centre::audit::Actor,
                technician_id: &str,
                day: chrono::NaiveDate,
                method: &str,
                amount_fen: i64,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<()> {
                let (by, t, m) = (by.clone(), technician_id.to_owned(), method.to_owned());
                rule!(self, |r| $crate::centre::reconciliation::hand_in(
                    r, &by, &t, day, &m, amount_fen, now
                ))
            }
            async fn handover_day(
                &self,
                technician_id: &str,
                day: chrono::NaiveDate,
            ) -> Result<$crate::centre::reconciliation::Day> {
                let t = technician_id.to_owned();
                rule!(self, |r| $crate::centre::reconciliation::day(r, &t, day))
            }
            async fn sign_day(
                &self,
                by: &$crate::centre::audit::Actor,
                technician_id: &str,
                day: chrono::NaiveDate,
                decision: $crate::centre::reconciliation::Decision,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<$crate::centre::reconciliation::SignOff> {
                let (by, t) = (by.clone(), technician_id.to_owned());
                rule!(self, |r| $crate::centre::reconciliation::sign(
                    r, &by, &t, day, decision, now
                ))
            }
            async fn active_days(
                &self,
                today: chrono::NaiveDate,
            ) -> Result<Vec<$crate::centre::reconciliation::ActiveDay>> {
                rule!(self, |r| $crate::centre::reconciliation::active(r, today))
            }
        }
    };
}
pub(crate) use reconciliation_operations;

fn at_str(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) async fn technicians<R: Records>(r: &mut R) -> Result<Vec<(String, String)>> {
    r.technician_names().await
}

async fn known_technician<R: Records>(r: &mut R, technician_id: &str) -> Result<()> {
    if r.technician_names()
        .await?
        .iter()
        .any(|(id, _)| id == technician_id)
    {
        Ok(())
    } else {
        Err(HqError::NotFound(format!("technician {technician_id}")))
    }
}

pub(crate) async fn hand_in<R: Records>(
    r: &mut R,
    by: &Actor,
    technician_id: &str,
    day: NaiveDate,
    method: &str,
    amount_fen: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    if !(0..=MAX_HANDOVER_FEN).contains(&amount_fen) {
        return Err(HqError::BadRequest(
            "an amount handed in is from ¥0 to ¥1,000,000".into(),
        ));
    }
    rules::record_handover(r, technician_id, day, method, amount_fen, now).await?;
    audit::record(
        r,
        by,
        "handover.record",
        None,
        &format!("{technician_id} {day} {method} {amount_fen}"),
        now,
    )
    .await
}

fn signoff(s: SignOffRow) -> Result<SignOff> {
    Ok(SignOff {
        outcome: s.outcome,
        difference_fen: s.difference_fen,
        note: s.note,
        signed_by: match Actor::parse(&s.signed_by) {
            Some(Actor::Person(n) | Actor::Key(n)) => n,
            _ => s.signed_by,
        },
        signed_at: DateTime::parse_from_rfc3339(&s.signed_at)
            .map_err(|e| HqError::Internal(format!("stored sign-off time: {e}")))?
            .with_timezone(&Utc),
    })
}

async fn signoff_of<R: Records>(
    r: &mut R,
    technician_id: &str,
    day: NaiveDate,
) -> Result<Option<SignOff>> {
    let day_s = day.to_string();
    r.signoffs_since(&day_s)
        .await?
        .into_iter()
        .find(|s| s.technician_id == technician_id && s.day == day_s)
        .map(signoff)
        .transpose()
}

pub(crate) async fn day<R: Records>(r: &mut R, technician_id: &str, day: NaiveDate) -> Result<Day> {
    known_technician(r, technician_id).await?;
    let reconciliation = rules::reconciliation(r, technician_id, day).await?;
    let china = onsite_core::documents::china_time();
    let mut orders_handed_over = Vec::new();
    for o in r.orders(Some(technician_id), Some("handed_over")).await? {
        let on_day = DateTime::parse_from_rfc3339(&o.updated_at)
            .is_ok_and(|t| t.with_timezone(&china).date_naive() == day);
        if on_day {
            orders_handed_over.push(o.job_id);
        }
    }
    Ok(Day {
        reconciliation,
        orders_handed_over,
        signoff: signoff_of(r, technician_id, day).await?,
    })
}

fn already_signed(technician_id: &str, day: NaiveDate) -> HqError {
    HqError::Conflict(format!("{technician_id}'s {day} is already signed"))
}

pub(crate) async fn sign<R: Records>(
    r: &mut R,
    by: &Actor,
    technician_id: &str,
    day: NaiveDate,
    decision: Decision,
    now: DateTime<Utc>,
) -> Result<SignOff> {
    known_technician(r, technician_id).await?;
    if signoff_of(r, technician_id, day).await?.is_some() {
        return Err(already_signed(technician_id, day));
    }
    let rec = rules::reconciliation(r, technician_id, day).await?;
    let difference_fen = rec
        .lines
        .iter()
        .try_fold(0i64, |acc, l| acc.checked_add(l.difference_fen))
        .ok_or_else(|| HqError::AmountOverflow("the day's difference".into()))?;
    let (outcome, note, action) = match decision {
        Decision::Confirm if rec.balanced => ("confirmed", String::new(), "reconciliation.confirm"),
        Decision::Confirm => {
            return Err(HqError::BadRequest(
                "the day does not balance: record the difference with a note".into(),
            ))
        }
        Decision::Difference { note } => {
            let note = note.trim().to_string();
            if note.is_empty() || note.chars().count() > MAX_NOTE {
                return Err(HqError::BadRequest(
                    "a difference is recorded with a note of 1 to 1000 characters".into(),
                ));
            }
            ("difference", note, "reconciliation.difference")
        }
    };
    let row = SignOffRow {
        technician_id: technician_id.into(),
        day: day.to_string(),
        outcome: outcome.into(),
        difference_fen,
        note,
        signed_by: by.as_stored(),
        signed_at: at_str(now),
    };
    if !r.insert_signoff(&row).await? {
        return Err(already_signed(technician_id, day));
    }
    audit::record(
        r,
        by,
        action,
        None,
        &format!("{technician_id} {day} {difference_fen}"),
        now,
    )
    .await?;
    signoff(row)
}

pub(crate) async fn active<R: Records>(r: &mut R, today: NaiveDate) -> Result<Vec<ActiveDay>> {
    let since = (today - Duration::days(RECENT_DAYS - 1)).to_string();
    let mut signed = std::collections::HashMap::new();
    for s in r.signoffs_since(&since).await? {
        signed.insert((s.technician_id.clone(), s.day.clone()), s);
    }
    let mut out = Vec::new();
    for (technician_id, day) in r.active_days_since(&since).await? {
        let Ok(d) = NaiveDate::parse_from_str(&day, "%Y-%m-%d") else {
            continue;
        };
        let signoff = signed
            .remove(&(technician_id.clone(), day))
            .map(signoff)
            .transpose()?;
        out.push(ActiveDay {
            technician_id,
            day: d,
            signoff,
        });
    }
    out.sort_by(|a, b| {
        b.day
            .cmp(&a.day)
            .then(a.technician_id.cmp(&b.technician_id))
    });
    Ok(out)
}
