//! Retention at HQ (issue 14, item 9): a closed order's customer data is
//! kept a number of years (the company's setting, [`DEFAULT_YEARS`] unless
//! set), then anonymised by `onsite hq retention --apply`: the customer's
//! name, phone, place, the names they gave, their signature, comments and
//! invoice title in the order's visit and its list columns; the calls,
//! complaints and follow-up notes of the order; the op payloads HQ kept and
//! the change feed rows of the order; the photos only it names. What was
//! done, charged and when stays, so reports still add up. Each anonymised
//! order is audited (`order.anonymise`), all in one transaction. The same
//! run drops photos whose upload stopped half way and was not resumed for
//! [`IDLE_UPLOAD_DAYS`]: their chunks are customer data no order names.
//
// 「对保管期满,失去保存价值的客户资料要按规定销毁,不得当作废纸出售。」 (GPS book)

use chrono::{DateTime, Months, SecondsFormat, Utc};
use onsite_core::visit::Visit;
use serde::{Deserialize, Serialize};

use crate::centre::access;
use crate::centre::audit::{self, Actor};
use crate::error::{HqError, Result};
use crate::storage::records::Records;

/// Years a closed order keeps its customer data when the company set none.
pub const DEFAULT_YEARS: i64 = 3;
/// The longest setting taken.
pub const MAX_YEARS: i64 = 100;
/// Days an unfinished upload may wait for its next chunk before a run
/// drops it. A phone that still holds the photo is not harmed: HQ answers
/// its next chunk with where HQ's bytes end (nothing), and it sends the
/// photo again from its first byte.
pub const IDLE_UPLOAD_DAYS: i64 = 30;
/// The states in which an order is closed.
pub const CLOSED: [&str; 2] = ["handed_over", "cancelled"];

/// What a run found (and, applied, did).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionRun {
    pub years: i64,
    /// Orders closed before this time are due.
    pub cutoff: DateTime<Utc>,
    /// The orders due (anonymised, if applied), by number.
    pub orders: Vec<String>,
    /// Photos deleted (no other order names them).
    pub blobs_deleted: usize,
    /// Unfinished uploads idle for [`IDLE_UPLOAD_DAYS`] (dropped, if applied).
    pub idle_uploads: usize,
    pub applied: bool,
}

#[allow(async_fn_in_trait)] // crate-private: every caller names the concrete type.
pub(crate) trait RetentionRecords {
    async fn retention_years(&mut self) -> Result<Option<i64>>;
    async fn set_retention_years(&mut self, years: i64, by: &str, at: &str) -> Result<()>;
    /// Closed orders last changed before `cutoff` and not anonymised yet: (number, visit JSON).
    async fn closed_before(&mut self, cutoff: &str) -> Result<Vec<(String, String)>>;
    /// Writes the anonymised visit and blanks the order's personal data in
    /// every other table; marks it anonymised at `at`.
    async fn anonymise_order(&mut self, job_id: &str, visit: &str, at: &str) -> Result<()>;
    /// Deletes a stored blob; false if there was none.
    async fn delete_blob(&mut self, sha256: &str) -> Result<bool>;
    /// Unfinished uploads whose last chunk came before `before`.
    async fn idle_uploads(&mut self, before: &str) -> Result<usize>;
    /// Deletes those uploads with their chunks; how many there were.
    async fn drop_idle_uploads(&mut self, before: &str) -> Result<usize>;
}

/// Retention's operations on HQ's database, each one transaction.
#[async_trait::async_trait]
pub trait RetentionStore {
    /// The company's setting (or the default).
    async fn retention_years(&self) -> Result<i64>;
    /// Changes the setting; audited `retention.years`.
    async fn set_retention_years(&self, by: &Actor, years: i64, now: DateTime<Utc>) -> Result<()>;
    /// Finds the orders due at `now`, and anonymises them if `apply`.
    async fn retention(&self, by: &Actor, apply: bool, now: DateTime<Utc>) -> Result<RetentionRun>;
}

/// The `impl RetentionStore` each database module invokes with its own `rule!` in scope.
macro_rules! retention_operations {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::centre::retention::RetentionStore for $ty {
            async fn retention_years(&self) -> Result<i64> {
                rule!(self, |r| $crate::centre::retention::years(r))
            }
            async fn set_retention_years(
                &self,
                by: &$crate::centre::audit::Actor,
                years: i64,
                now: DateTime<Utc>,
            ) -> Result<()> {
                let by = by.clone();
                rule!(self, |r| $crate::centre::retention::set_years(
                    r, &by, years, now
                ))
            }
            async fn retention(
                &self,
                by: &$crate::centre::audit::Actor,
                apply: bool,
                now: DateTime<Utc>,
            ) -> Result<$crate::centre::retention::RetentionRun> {
                let by = by.clone();
                rule!(self, |r| $crate::centre::retention::run(r, &by, apply, now))
            }
        }
    };
}
pub(crate) use retention_operations;

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) async fn years<R: Records>(r: &mut R) -> Result<i64> {
    Ok(r.retention_years().await?.unwrap_or(DEFAULT_YEARS))
}

pub(crate) async fn set_years<R: Records>(
    r: &mut R,
    by: &Actor,
    years: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    if !(1..=MAX_YEARS).contains(&years) {
        return Err(HqError::BadRequest(format!(
            "retention is 1 to {MAX_YEARS} years"
        )));
    }
    r.set_retention_years(years, &by.as_stored(), &stamp(now))
        .await?;
    audit::record(r, by, "retention.years", None, &years.to_string(), now).await
}

/// The visit with its customer's personal data removed (not masked: gone).
pub fn anonymise(v: &mut Visit) {
    access::withhold_customer(v);
    let o = &mut v.order;
    o.customer.name = String::new();
    o.customer.phone = String::new();
    o.location = String::new();
    if let Some(c) = v.consent.as_mut() {
        c.customer_name = String::new();
    }
    for m in &mut v.materials {
        if let Some(c) = m.concession.as_mut() {
            c.customer_name = String::new();
        }
    }
    if let Some(a) = v.acceptance.as_mut() {
        if let onsite_core::visit::SignOff::Signed { signature } = &mut a.sign_off {
            signature.signer_name = String::new();
        }
    }
    if let Some(i) = v.invoice.as_mut() {
        i.title = String::new();
    }
    if let Some(n) = v.no_access.as_mut() {
        n.text = String::new();
    }
}

pub(crate) async fn run<R: Records>(
    r: &mut R,
    by: &Actor,
    apply: bool,
    now: DateTime<Utc>,
) -> Result<RetentionRun> {
    let years = years(r).await?;
    let months = u32::try_from(years.clamp(1, MAX_YEARS) * 12).unwrap_or(36);
    let cutoff = now
        .checked_sub_months(Months::new(months))
        .ok_or_else(|| HqError::Internal("retention cutoff out of range".into()))?;
    let due = r.closed_before(&stamp(cutoff)).await?;
    let idle_since = stamp(now - chrono::Duration::days(IDLE_UPLOAD_DAYS));
    let idle_uploads = if apply {
        r.drop_idle_uploads(&idle_since).await?
    } else {
        r.idle_uploads(&idle_since).await?
    };
    let mut out = RetentionRun {
        years,
        cutoff,
        orders: due.iter().map(|(j, _)| j.clone()).collect(),
        blobs_deleted: 0,
        idle_uploads,
        applied: apply,
    };
    if !apply {
        return Ok(out);
    }
    let anonymising: std::collections::HashSet<&str> =
        due.iter().map(|(j, _)| j.as_str()).collect();
    for (job_id, json) in &due {
        let mut v: Visit = serde_json::from_str(json)
            .map_err(|e| HqError::Internal(format!("stored visit: {e}")))?;
        let photos = crate::centre::dossier::photos_of(&v);
        anonymise(&mut v);
        r.anonymise_order(job_id, &serde_json::to_string(&v)?, &stamp(now))
            .await?;
        for sha in photos {
            // Kept while an order that is not being anonymised names it.
            let named = r.jobs_naming_blob(&sha, None).await?;
            if named.iter().all(|j| anonymising.contains(j.as_str())) && r.delete_blob(&sha).await?
            {
                out.blobs_deleted += 1;
            }
        }
        audit::record(
            r,
            by,
            "order.anonymise",
            Some(job_id),
            &format!("{years} years"),
            now,
        )
        .await?;
    }
    Ok(out)
}
