//! The audit trail: every action a person (or an integration key) takes at
//! HQ, with who, what and when, written in the same transaction as the
//! action itself (an action that happened is audited; one that rolled back
//! is not). Append-only: no path updates or deletes a row. The order page
//! shows an order's trail.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{HqError, Result};
use crate::storage::records::Records;

/// Who took an action.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Actor {
    /// A person signed in to the console, by user name.
    Person(String),
    /// An integration key, by name (`admin` is the bootstrap key).
    Key(String),
    /// HQ itself (a command run on its database, e.g. `onsite hq user add`).
    Operator,
}

impl Actor {
    /// As stored: `person:NAME`, `key:NAME`, `operator`.
    pub fn as_stored(&self) -> String {
        match self {
            Actor::Person(n) => format!("person:{n}"),
            Actor::Key(n) => format!("key:{n}"),
            Actor::Operator => "operator".into(),
        }
    }

    pub fn parse(s: &str) -> Option<Actor> {
        if s == "operator" {
            return Some(Actor::Operator);
        }
        if let Some(n) = s.strip_prefix("person:") {
            return Some(Actor::Person(n.into()));
        }
        s.strip_prefix("key:").map(|n| Actor::Key(n.into()))
    }
}

/// One line of the trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    /// What was done, a stable name such as `order.create` or `approval.line`.
    pub action: String,
    /// The order it concerns, if any.
    pub job_id: Option<String>,
    /// What the page shows beside the action (ids, amounts; never a password).
    pub detail: String,
}

/// A row as stored.
pub(crate) struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub job_id: Option<String>,
    pub detail: String,
}

#[allow(async_fn_in_trait)] // crate-private: every caller names the concrete type.
pub(crate) trait AuditRecords {
    async fn insert_audit(
        &mut self,
        at: &str,
        actor: &str,
        action: &str,
        job_id: Option<&str>,
        detail: &str,
    ) -> Result<()>;
    /// An order's trail, oldest first.
    async fn audit_of_job(&mut self, job_id: &str) -> Result<Vec<AuditRow>>;
    /// The newest `limit` entries, newest first (optionally one actor's).
    async fn audit_recent(&mut self, actor: Option<&str>, limit: i64) -> Result<Vec<AuditRow>>;
}

/// The trail's reads on HQ's database.
#[async_trait::async_trait]
pub trait AuditStore {
    /// An order's trail, oldest first.
    async fn audit_trail(&self, job_id: &str) -> Result<Vec<AuditEntry>>;
    /// The newest entries, newest first; `actor` narrows to one.
    async fn recent_audit(&self, actor: Option<Actor>, limit: usize) -> Result<Vec<AuditEntry>>;
}

/// The `impl AuditStore` each database module invokes with its own `rule!` in scope.
macro_rules! audit_operations {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::centre::audit::AuditStore for $ty {
            async fn audit_trail(
                &self,
                job_id: &str,
            ) -> Result<Vec<$crate::centre::audit::AuditEntry>> {
                let job_id = job_id.to_owned();
                rule!(self, |r| $crate::centre::audit::trail(r, &job_id))
            }
            async fn recent_audit(
                &self,
                actor: Option<$crate::centre::audit::Actor>,
                limit: usize,
            ) -> Result<Vec<$crate::centre::audit::AuditEntry>> {
                rule!(self, |r| $crate::centre::audit::recent(r, actor, limit))
            }
        }
    };
}
pub(crate) use audit_operations;

/// Appends one entry, inside the caller's transaction.
pub(crate) async fn record<R: Records>(
    r: &mut R,
    by: &Actor,
    action: &str,
    job_id: Option<&str>,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    r.insert_audit(
        &now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        &by.as_stored(),
        action,
        job_id,
        detail,
    )
    .await
}

fn entry(row: AuditRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: row.id,
        at: DateTime::parse_from_rfc3339(&row.at)
            .map_err(|e| HqError::Internal(format!("stored audit time: {e}")))?
            .with_timezone(&Utc),
        actor: Actor::parse(&row.actor)
            .ok_or_else(|| HqError::Internal(format!("stored actor {:?}", row.actor)))?,
        action: row.action,
        job_id: row.job_id,
        detail: row.detail,
    })
}

pub(crate) async fn trail<R: Records>(r: &mut R, job_id: &str) -> Result<Vec<AuditEntry>> {
    r.audit_of_job(job_id)
        .await?
        .into_iter()
        .map(entry)
        .collect()
}

pub(crate) async fn recent<R: Records>(
    r: &mut R,
    actor: Option<Actor>,
    limit: usize,
) -> Result<Vec<AuditEntry>> {
    let limit = i64::try_from(limit.clamp(1, 1000)).unwrap_or(1000);
    r.audit_recent(actor.map(|a| a.as_stored()).as_deref(), limit)
        .await?
        .into_iter()
        .map(entry)
        .collect()
}
