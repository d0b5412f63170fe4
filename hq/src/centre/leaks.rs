//! Leak response (泄露处置): a manager records a suspected leak of customer
//! data — what happened, when it was noticed, which phones, people or
//! integration keys are suspected — and HQ, in the same transaction:
//!
//! - revokes every phone named WITH remote wipe
//!   ([`crate::centre::phone_data`]: it may still hand in what it holds
//!   unsent, then deletes its store) and revokes every integration key named;
//!   a person named is recorded (their account is the admin's to disable);
//! - keeps the record (who recorded it, when, the measures taken) and the
//!   audit line `leak.record`.
//!
//! The leak's page then lists, from the access log ([`crate::centre::access`]),
//! every customer whose data the suspects read in the chosen period: the
//! order, the customer's name, phone and place, when and how often each was
//! read and how — the list the Personal Information Protection Law's report
//! to the customers and the authority needs. Reading that list is itself a
//! look at those customers (logged, kind `leak`), and its CSV export carries
//! who exported it and when.

// 「企业工作人员发现客户信息已经泄露或者可能泄露时,应当立即采取补救措施,并及时报告客户信息主管及客户服务部经理。相关人员接到报告后,应立即处理。」 (GPS book)

use std::collections::HashSet;

use chrono::{DateTime, SecondsFormat, Utc};
use onsite_core::locale::Lang;
use serde::{Deserialize, Serialize};

use crate::centre::access::{self, Look, Origin, Reader, Sight};
use crate::centre::audit::{self, Actor};
use crate::error::{HqError, Result};
use crate::storage::records::Records;

/// Longest description of what happened.
pub const MAX_WHAT_CHARS: usize = 500;
/// Most suspects one record names.
pub const MAX_SUSPECTS: usize = 20;
/// Leaks the list page shows (newest first).
pub const LIST_ROWS: i64 = 200;

/// A suspected leak as the manager reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLeak {
    /// What happened (e.g. "phone lost on the metro", "customer list seen in a chat group").
    pub what: String,
    /// When it happened or was noticed.
    pub noticed_at: DateTime<Utc>,
    /// The period whose reads are listed, from ...
    pub from: DateTime<Utc>,
    /// ... to (inclusive).
    pub to: DateTime<Utc>,
    /// Phones (`Reader::Device`), people (`Reader::Person`), keys (`Reader::Key`).
    pub suspects: Vec<Reader>,
}

/// What HQ did about one suspect when the leak was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Measure {
    /// The phone was revoked with remote wipe.
    Wiped,
    /// The phone had already been ordered wiped.
    AlreadyWiped,
    /// The integration key was revoked.
    KeyRevoked,
    /// The key had already been revoked.
    KeyAlreadyRevoked,
    /// A person: recorded; disabling the account is the admin's.
    Recorded,
}

impl Measure {
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Wiped => "wiped",
            Measure::AlreadyWiped => "already_wiped",
            Measure::KeyRevoked => "key_revoked",
            Measure::KeyAlreadyRevoked => "key_already_revoked",
            Measure::Recorded => "recorded",
        }
    }

    pub fn parse(s: &str) -> Option<Measure> {
        [
            Measure::Wiped,
            Measure::AlreadyWiped,
            Measure::KeyRevoked,
            Measure::KeyAlreadyRevoked,
            Measure::Recorded,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            Measure::Wiped => ("已吊销并远程擦除", "revoked and wiped remotely"),
            Measure::AlreadyWiped => ("此前已下令擦除", "already ordered wiped"),
            Measure::KeyRevoked => ("密钥已吊销", "key revoked"),
            Measure::KeyAlreadyRevoked => ("密钥此前已吊销", "key already revoked"),
            Measure::Recorded => (
                "已记录(停用账号请联系系统管理员)",
                "recorded (the admin disables the account)",
            ),
        };
        match lang {
            Lang::ZhCn => zh,
            Lang::En => en,
        }
    }
}

/// A suspect and what was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspect {
    pub reader: Reader,
    pub measure: Measure,
}

/// A recorded leak.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leak {
    pub id: i64,
    pub what: String,
    pub noticed_at: DateTime<Utc>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub recorded_by: Actor,
    pub recorded_at: DateTime<Utc>,
    pub suspects: Vec<Suspect>,
}

/// A customer whose data the suspects read in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exposed {
    pub job_id: String,
    /// The customer as HQ holds them now (`None`: HQ holds no such order,
    /// e.g. a photo not yet named by any visit).
    pub customer_name: Option<String>,
    pub customer_phone: Option<String>,
    pub location: Option<String>,
    pub first_read: DateTime<Utc>,
    pub last_read: DateTime<Utc>,
    pub reads: i64,
    /// The kinds of read ([`Look::as_str`]).
    pub kinds: Vec<String>,
    /// Which suspects read it.
    pub readers: Vec<Reader>,
    /// Every read showed the customer's data masked.
    pub masked_only: bool,
}

/// The leak and the customers it may concern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeakReport {
    pub leak: Leak,
    pub exposed: Vec<Exposed>,
}

/// A leak as stored.
pub(crate) struct LeakRow {
    pub id: i64,
    pub what: String,
    pub noticed_at: String,
    pub period_from: String,
    pub period_to: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// One order's reads by the suspects in the period, as the database groups them.
pub(crate) struct ReadsRow {
    pub job_id: String,
    pub first_at: String,
    pub last_at: String,
    pub reads: i64,
    /// Comma-separated distinct kinds.
    pub kinds: String,
    /// Comma-separated distinct readers.
    pub readers: String,
    /// Every read was masked.
    pub masked_only: bool,
}

/// What the rules of this module read and write inside one transaction;
/// each database implements it in its own SQL (`storage/sqlite/leaks.rs`,
/// `storage/postgres/leaks.rs`).
#[allow(async_fn_in_trait)] // crate-private: every caller names the concrete type.
pub(crate) trait LeakRecords {
    /// Inserts a leak (its `id` is ignored) and returns its id.
    async fn insert_leak(&mut self, row: &LeakRow) -> Result<i64>;
    /// The `pos`-th suspect named (from 0).
    async fn insert_leak_suspect(
        &mut self,
        leak_id: i64,
        pos: i64,
        reader: &str,
        measure: &str,
    ) -> Result<()>;
    /// The newest `limit` leaks, newest first.
    async fn leak_rows(&mut self, limit: i64) -> Result<Vec<LeakRow>>;
    async fn leak_row(&mut self, id: i64) -> Result<Option<LeakRow>>;
    /// A leak's suspects (reader, measure) in the order named.
    async fn leak_suspects(&mut self, leak_id: i64) -> Result<Vec<(String, String)>>;
    /// The access log's reads by any of `readers` between `from` and `to`
    /// (inclusive, stored times), one row per order, first read first.
    async fn reads_by(&mut self, readers: &[String], from: &str, to: &str)
        -> Result<Vec<ReadsRow>>;
}

/// This module's operations on HQ's database, each one transaction.
#[async_trait::async_trait]
pub trait LeakStore {
    /// Records a suspected leak and takes its measures (wipes the phones,
    /// revokes the keys named), audited `leak.record`; returns its id.
    async fn record_leak(&self, by: &Actor, leak: NewLeak, now: DateTime<Utc>) -> Result<i64>;
    /// The recorded leaks, newest first (at most [`LIST_ROWS`]).
    async fn leaks(&self) -> Result<Vec<Leak>>;
    /// A leak and the customers whose data its suspects read in its period;
    /// the listing is logged as `reader`'s look at each of those orders.
    async fn leak_report(
        &self,
        reader: &Reader,
        origin: &Origin,
        look: Look,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<LeakReport>;
}

/// The `impl LeakStore` each database module invokes with its own `rule!` in scope.
macro_rules! leak_operations {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::centre::leaks::LeakStore for $ty {
            async fn record_leak(
                &self,
                by: &$crate::centre::audit::Actor,
                leak: $crate::centre::leaks::NewLeak,
                now: DateTime<Utc>,
            ) -> Result<i64> {
                let by = by.clone();
                rule!(self, |r| $crate::centre::leaks::record_leak(
                    r,
                    &by,
                    leak.clone(),
                    now
                ))
            }
            async fn leaks(&self) -> Result<Vec<$crate::centre::leaks::Leak>> {
                rule!(self, |r| $crate::centre::leaks::leaks(r))
            }
            async fn leak_report(
                &self,
                reader: &$crate::centre::access::Reader,
                origin: &$crate::centre::access::Origin,
                look: $crate::centre::access::Look,
                id: i64,
                now: DateTime<Utc>,
            ) -> Result<$crate::centre::leaks::LeakReport> {
                let (reader, origin) = (reader.clone(), origin.clone());
                rule!(self, |r| $crate::centre::leaks::leak_report(
                    r, &reader, &origin, look, id, now
                ))
            }
        }
    };
}
pub(crate) use leak_operations;

fn stamp(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    Ok(DateTime::parse_from_rfc3339(s)
        .map_err(|e| HqError::Internal(format!("stored leak time: {e}")))?
        .with_timezone(&Utc))
}

/// Checks a report before anything is done about it.
pub fn check(leak: &NewLeak) -> Result<()> {
    let n = leak.what.trim().chars().count();
    if n == 0 || n > MAX_WHAT_CHARS {
        return Err(HqError::BadRequest(format!(
            "describe what happened in 1 to {MAX_WHAT_CHARS} characters (请用 1 至 {MAX_WHAT_CHARS} 字说明发生了什么)"
        )));
    }
    if leak.from > leak.to {
        return Err(HqError::BadRequest(
            "the period ends before it starts (时间段的结束早于开始)".into(),
        ));
    }
    if leak.suspects.is_empty() || leak.suspects.len() > MAX_SUSPECTS {
        return Err(HqError::BadRequest(format!(
            "name 1 to {MAX_SUSPECTS} phones, people or keys (请指明 1 至 {MAX_SUSPECTS} 部手机、人员或密钥)"
        )));
    }
    if leak.suspects.contains(&Reader::Operator) {
        return Err(HqError::BadRequest(
            "HQ's command line cannot be a suspect (总部命令行不能作为嫌疑对象)".into(),
        ));
    }
    Ok(())
}

pub(crate) async fn record_leak<R: Records>(
    r: &mut R,
    by: &Actor,
    leak: NewLeak,
    now: DateTime<Utc>,
) -> Result<i64> {
    check(&leak)?;
    let mut seen = HashSet::new();
    let suspects: Vec<Reader> = leak
        .suspects
        .into_iter()
        .filter(|s| seen.insert(s.clone()))
        .collect();
    // Every suspect must exist before any measure is taken: a typo does not
    // wipe half of the phones named.
    let keys = crate::keys::list(r).await?;
    for s in &suspects {
        let known = match s {
            Reader::Device(id) => r.device_row(id).await?.is_some(),
            Reader::Person(name) => r.person(name).await?.is_some(),
            Reader::Key(name) => keys.iter().any(|k| &k.name == name),
            Reader::Operator => false,
        };
        if !known {
            return Err(HqError::NotFound(s.as_stored()));
        }
    }
    let id = r
        .insert_leak(&LeakRow {
            id: 0,
            what: leak.what.trim().to_string(),
            noticed_at: stamp(leak.noticed_at),
            period_from: stamp(leak.from),
            period_to: stamp(leak.to),
            recorded_by: by.as_stored(),
            recorded_at: stamp(now),
        })
        .await?;
    for (pos, s) in (0i64..).zip(&suspects) {
        let measure = match s {
            Reader::Device(device) => {
                if r.wipe_ordered(device).await? {
                    Measure::AlreadyWiped
                } else {
                    crate::centre::phone_data::wipe_device(r, by, device, now).await?;
                    Measure::Wiped
                }
            }
            Reader::Key(name) => {
                if keys
                    .iter()
                    .any(|k| &k.name == name && k.revoked_at.is_some())
                {
                    Measure::KeyAlreadyRevoked
                } else {
                    crate::centre::fleet::withdraw_key(r, by, name, now).await?;
                    Measure::KeyRevoked
                }
            }
            Reader::Person(_) | Reader::Operator => Measure::Recorded,
        };
        r.insert_leak_suspect(id, pos, &s.as_stored(), measure.as_str())
            .await?;
    }
    let names: Vec<String> = suspects.iter().map(Reader::as_stored).collect();
    // The trail names the suspects, never a customer.
    audit::record(
        r,
        by,
        "leak.record",
        None,
        &format!("#{id}: {}", names.join(", ")),
        now,
    )
    .await?;
    tracing::warn!(
        leak = id,
        suspects = suspects.len(),
        "suspected leak recorded"
    );
    Ok(id)
}

async fn leak_of<R: Records>(r: &mut R, row: LeakRow) -> Result<Leak> {
    let suspects = r
        .leak_suspects(row.id)
        .await?
        .into_iter()
        .map(|(reader, measure)| {
            Ok(Suspect {
                reader: Reader::parse(&reader)
                    .ok_or_else(|| HqError::Internal(format!("stored suspect {reader:?}")))?,
                measure: Measure::parse(&measure)
                    .ok_or_else(|| HqError::Internal(format!("stored measure {measure:?}")))?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Leak {
        id: row.id,
        what: row.what,
        noticed_at: parse_time(&row.noticed_at)?,
        from: parse_time(&row.period_from)?,
        to: parse_time(&row.period_to)?,
        recorded_by: Actor::parse(&row.recorded_by)
            .ok_or_else(|| HqError::Internal(format!("stored actor {:?}", row.recorded_by)))?,
        recorded_at: parse_time(&row.recorded_at)?,
        suspects,
    })
}

pub(crate) async fn leaks<R: Records>(r: &mut R) -> Result<Vec<Leak>> {
    let mut out = Vec::new();
    for row in r.leak_rows(LIST_ROWS).await? {
        out.push(leak_of(r, row).await?);
    }
    Ok(out)
}

pub(crate) async fn leak_report<R: Records>(
    r: &mut R,
    reader: &Reader,
    origin: &Origin,
    look: Look,
    id: i64,
    now: DateTime<Utc>,
) -> Result<LeakReport> {
    let Some(row) = r.leak_row(id).await? else {
        return Err(HqError::NotFound(format!("leak {id}")));
    };
    let leak = leak_of(r, row).await?;
    let readers: Vec<String> = leak.suspects.iter().map(|s| s.reader.as_stored()).collect();
    let rows = r
        .reads_by(&readers, &stamp(leak.from), &stamp(leak.to))
        .await?;
    let jobs: Vec<String> = rows
        .iter()
        .filter(|g| !g.job_id.starts_with("blob:"))
        .map(|g| g.job_id.clone())
        .collect();
    // Listing these customers is a look at each of them (a manager's: whole).
    access::looked(r, reader, origin, look, &jobs, Sight::Everything, now).await?;
    let mut exposed = Vec::with_capacity(rows.len());
    for g in rows {
        let visit = match g.job_id.starts_with("blob:") {
            true => None,
            false => match crate::rules::get_order(r, &g.job_id, None).await {
                Ok(v) => Some(v),
                Err(HqError::NotFound(_)) => None,
                Err(e) => return Err(e),
            },
        };
        let split = |s: &str| -> Vec<String> {
            let mut v: Vec<String> = s
                .split(',')
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect();
            v.sort();
            v.dedup();
            v
        };
        exposed.push(Exposed {
            customer_name: visit.as_ref().map(|v| v.order.customer.name.clone()),
            customer_phone: visit.as_ref().map(|v| v.order.customer.phone.clone()),
            location: visit.as_ref().map(|v| v.order.location.clone()),
            first_read: parse_time(&g.first_at)?,
            last_read: parse_time(&g.last_at)?,
            reads: g.reads,
            kinds: split(&g.kinds),
            readers: split(&g.readers)
                .iter()
                .filter_map(|s| Reader::parse(s))
                .collect(),
            masked_only: g.masked_only,
            job_id: g.job_id,
        });
    }
    Ok(LeakReport { leak, exposed })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn leak() -> NewLeak {
        let now = Utc::now();
        NewLeak {
            what: "手机丢失".into(),
            noticed_at: now,
            from: now - Duration::days(30),
            to: now,
            suspects: vec![Reader::Device("DEV-1".into())],
        }
    }

    #[test]
    fn a_report_needs_what_a_period_and_suspects() {
        assert!(check(&leak()).is_ok());
        let mut l = leak();
        l.what = "  ".into();
        assert!(check(&l).is_err());
        let mut l = leak();
        l.what = "x".repeat(MAX_WHAT_CHARS + 1);
        assert!(check(&l).is_err());
        let mut l = leak();
        std::mem::swap(&mut l.from, &mut l.to);
        assert!(check(&l).is_err());
        let mut l = leak();
        l.suspects.clear();
        assert!(check(&l).is_err());
        let mut l = leak();
        l.suspects = vec![Reader::Operator];
        assert!(check(&l).is_err());
    }

    #[test]
    fn measures_round_trip() {
        for m in [
            Measure::Wiped,
            Measure::AlreadyWiped,
            Measure::KeyRevoked,
            Measure::KeyAlreadyRevoked,
            Measure::Recorded,
        ] {
            assert_eq!(Measure::parse(m.as_str()), Some(m));
        }
    }
}
