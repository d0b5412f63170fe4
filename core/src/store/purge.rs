//! `purged_jobs`: removing a job's customer personal data from the phone once
//! HQ holds all of it, and leaving no copy of it in the file's free pages.
//!
//! A purge, in one transaction: the job's projection keeps its non-personal
//! record (number, line, status, amounts, times) with every personal string
//! blanked ([`crate::privacy::redact`]); its events are deleted (HQ holds
//! them; the triggers allow it only for a job in `purged_jobs`); its receipts'
//! bodies lose the customer's name and room (number, amounts and the chained
//! hashes stay); its photos and signature images, its conflicts and any
//! deferred HQ change are deleted; and an audit row says so. Then
//! [`scrub_file`] rewrites the file so the deleted bytes are gone from it and
//! from its write-ahead log.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::audit;
use crate::error::{Error, Result};
use crate::visit::Visit;

/// Why a job's customer data left the phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Handed over, and the retention period since has passed.
    RetentionOver,
    /// HQ cancelled the job or gave it to another technician.
    LeftThisPhone,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::RetentionOver => "retention_over",
            Reason::LeftThisPhone => "left_this_phone",
        }
    }
}

/// Jobs that may be purged now: handed over at least `retention_days` ago,
/// or cancelled (by HQ, or reassigned away); in both cases only once HQ has
/// acknowledged every op of the job (none left in the outbox), holds every
/// photo of it (none waiting upload) and no HQ change waits for it.
pub fn due(
    conn: &Connection,
    now: DateTime<Utc>,
    retention_days: u32,
) -> Result<Vec<(String, Reason)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT j.job_id, j.status, json_extract(j.visit, '$.handed_over_at'), j.visit FROM jobs j
         WHERE j.status IN ('handed_over', 'cancelled')
           -- Not purged yet: a purged job has no events left (one HQ
           -- dispatches here again gets new ones, and is purged again in time).
           AND EXISTS (SELECT 1 FROM events e WHERE e.job_id = j.job_id)
           AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.job_id = j.job_id)
           AND NOT EXISTS (SELECT 1 FROM deferred_changes d WHERE d.job_id = j.job_id)
           AND NOT EXISTS (SELECT 1 FROM blob_uploads u WHERE u.job_id = j.job_id)
         ORDER BY j.job_id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let keep_for = chrono::Duration::days(i64::from(retention_days));
    let mut out = Vec::new();
    for row in rows {
        let (job_id, status, handed_over_at, visit) = row?;
        let reason = if status == "cancelled" {
            Reason::LeftThisPhone
        } else {
            match handed_over_at {
                Some(at) if super::parse_time(&at)? + keep_for <= now => Reason::RetentionOver,
                _ => continue,
            }
        };
        // A photo the job names but HQ has not confirmed yet holds the purge back.
        if unuploaded_referenced(conn, &visit)? {
            continue;
        }
        out.push((job_id, reason));
    }
    Ok(out)
}

/// The SHA-256 names of blobs a job's JSON refers to (photo answers, inspection photos).
fn referenced_blobs(json: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = json.as_bytes();
    let mut i = 0;
    while i + 66 <= bytes.len() {
        if bytes[i] == b'"'
            && bytes[i + 65] == b'"'
            && bytes[i + 1..i + 65]
                .iter()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
        {
            out.push(json[i + 1..i + 65].to_string());
            i += 66;
        } else {
            i += 1;
        }
    }
    out
}

fn unuploaded_referenced(conn: &Connection, visit: &str) -> Result<bool> {
    let mut stmt = conn.prepare_cached("SELECT 1 FROM blob_uploads WHERE sha256 = ?1")?;
    for sha in referenced_blobs(visit) {
        if stmt.query_row([&sha], |_| Ok(())).optional()?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether a job's customer data was purged from this phone.
pub fn is_purged(conn: &Connection, job_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM purged_jobs WHERE job_id = ?1")?
        .query_row([job_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Purges one job's customer personal data (see the module's note), audited
/// as `customer_data_purged` by `actor` on `device_id`.
pub fn purge(
    tx: &Transaction,
    job_id: &str,
    reason: Reason,
    actor: &str,
    device_id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let visit: String = tx
        .prepare_cached("SELECT visit FROM jobs WHERE job_id = ?1")?
        .query_row([job_id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::UnknownJob {
            job_id: job_id.to_string(),
        })?;
    tx.prepare_cached(
        "INSERT OR REPLACE INTO purged_jobs(job_id, purged_at, reason) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![job_id, now.to_rfc3339(), reason.as_str()])?;

    // The projection: personal strings blanked; it must still read as a job.
    let photos = referenced_blobs(&visit);
    let mut json: serde_json::Value = serde_json::from_str(&visit)?;
    crate::privacy::redact(&mut json);
    let redacted = serde_json::to_string(&json)?;
    serde_json::from_str::<Visit>(&redacted)?;
    tx.prepare_cached("UPDATE jobs SET visit = ?2 WHERE job_id = ?1")?
        .execute(params![job_id, redacted])?;

    tx.prepare_cached("DELETE FROM events WHERE job_id = ?1")?
        .execute([job_id])?;
    // The order as first dispatched, if the job's order changed since.
    tx.prepare_cached("DELETE FROM dispatched_orders WHERE job_id = ?1")?
        .execute([job_id])?;
    tx.prepare_cached("DELETE FROM conflicts WHERE job_id = ?1")?
        .execute([job_id])?;
    tx.prepare_cached("DELETE FROM deferred_changes WHERE job_id = ?1")?
        .execute([job_id])?;
    // A photo another job also names and HQ does not hold yet stays for
    // that job's upload (content-addressed: one row for both).
    tx.prepare_cached(
        "DELETE FROM blobs WHERE job_id = ?1 AND sha256 NOT IN (SELECT sha256 FROM blob_uploads)",
    )?
    .execute([job_id])?;
    let mut drop_blob = tx.prepare_cached(
        "DELETE FROM blobs WHERE sha256 = ?1 AND sha256 NOT IN (SELECT sha256 FROM blob_uploads)",
    )?;
    for sha in photos {
        drop_blob.execute([sha])?;
    }

    // Receipts: the body loses the customer's name and room; the row's
    // number, amounts and hashes stay, so the chain still links.
    let bodies: Vec<(i64, String)> = {
        let mut stmt =
            tx.prepare_cached("SELECT position, body FROM receipts WHERE job_id = ?1")?;
        let rows = stmt.query_map([job_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<std::result::Result<_, _>>()?
    };
    for (position, body) in bodies {
        let mut json: serde_json::Value = serde_json::from_str(&body)?;
        crate::privacy::redact(&mut json);
        tx.prepare_cached("UPDATE receipts SET body = ?2 WHERE position = ?1")?
            .execute(params![position, serde_json::to_string(&json)?])?;
    }

    audit::append(
        tx,
        &audit::AuditEntry {
            at: now,
            actor: actor.to_string(),
            device_id: device_id.to_string(),
            job_id: Some(job_id.to_string()),
            action: "customer_data_purged".into(),
            detail: reason.as_str().into(),
        },
    )
}

/// Rewrites the store file so that purged rows leave no bytes behind: the
/// write-ahead log is checkpointed, the file rebuilt (`VACUUM`, which leaves
/// no free pages) and the log checkpointed again and truncated to nothing.
/// Runs outside any transaction; on an encrypted store the same statements
/// rewrite the encrypted pages.
pub fn scrub_file(conn: &Connection) -> Result<()> {
    checkpoint(conn)?;
    conn.execute_batch("VACUUM")?;
    checkpoint(conn)
}

/// The store has one connection per file, so nothing holds the log open;
/// were it busy, the next purge's scrub would finish the job.
fn checkpoint(conn: &Connection) -> Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}
