//! `audit`: who changed what and when, one row per recorded change.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// An audit trail row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub device_id: String,
    pub job_id: Option<String>,
    pub action: String,
    pub detail: String,
}

pub fn append(conn: &Connection, e: &AuditEntry) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit(at, actor, device_id, job_id, action, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        crate::clock::rfc3339(e.at),
        e.actor,
        e.device_id,
        e.job_id,
        e.action,
        e.detail
    ])?;
    Ok(())
}

/// A job's audit trail, oldest first.
pub fn trail(conn: &Connection, job_id: &str) -> Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, actor, device_id, job_id, action, detail FROM audit WHERE job_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([job_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (at, actor, device_id, job_id, action, detail) = row?;
        out.push(AuditEntry {
            at: super::parse_time(&at)?,
            actor,
            device_id,
            job_id,
            action,
            detail,
        });
    }
    Ok(out)
}
