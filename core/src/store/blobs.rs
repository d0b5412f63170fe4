//! `blobs`: photos and signature images, content-addressed by SHA-256, and
//! `blob_uploads`: which of them HQ does not hold yet and how far their
//! upload got.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Result;

/// A blob HQ does not hold yet, as the sync's upload needs it (its bytes are
/// read only when its turn comes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingBlob {
    pub sha256: String,
    /// Its length in bytes.
    pub size: u64,
    /// How many of its first bytes HQ has acknowledged (a resumed upload
    /// starts here).
    pub acked: u64,
}

/// Stores a blob once (the same bytes twice are one row) and queues it for
/// upload; returns its SHA-256.
pub fn put(
    conn: &Connection,
    media_type: &str,
    bytes: &[u8],
    job_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String> {
    let sha = crate::signature::record::content_hash(bytes);
    let at = now.to_rfc3339();
    let inserted = conn
        .prepare_cached(
            "INSERT INTO blobs(sha256, media_type, bytes, job_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(sha256) DO NOTHING",
        )?
        .execute(params![sha, media_type, bytes, job_id, at])?;
    if inserted > 0 {
        conn.prepare_cached(
            "INSERT INTO blob_uploads(sha256, job_id, size, created_at) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![sha, job_id, bytes.len() as i64, at])?;
    }
    Ok(sha)
}

/// A stored blob and its media type.
pub fn get(conn: &Connection, sha256: &str) -> Result<Option<(String, Vec<u8>)>> {
    Ok(conn
        .prepare_cached("SELECT media_type, bytes FROM blobs WHERE sha256 = ?1")?
        .query_row([sha256], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

pub fn exists(conn: &Connection, sha256: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM blobs WHERE sha256 = ?1")?
        .query_row([sha256], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Blobs HQ does not hold yet, smallest first (oldest first among equals):
/// on a slow link the small ones (thumbnails, signatures) reach the service
/// centre in seconds instead of queueing behind a large photo.
pub fn pending(conn: &Connection) -> Result<Vec<PendingBlob>> {
    let mut stmt = conn.prepare_cached(
        "SELECT sha256, size, acked FROM blob_uploads ORDER BY size, created_at, sha256",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(PendingBlob {
            sha256: r.get(0)?,
            size: r.get::<_, i64>(1)?.max(0) as u64,
            acked: r.get::<_, i64>(2)?.max(0) as u64,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// How many blobs HQ does not hold yet.
pub fn pending_count(conn: &Connection) -> Result<u64> {
    let n: i64 = conn
        .prepare_cached("SELECT count(*) FROM blob_uploads")?
        .query_row([], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

/// Whether HQ does not hold this blob yet.
pub fn is_pending(conn: &Connection, sha256: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM blob_uploads WHERE sha256 = ?1")?
        .query_row([sha256], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Records that HQ holds the first `acked` bytes (clamped to the blob's size;
/// a blob HQ already has is left alone).
pub fn set_acked(conn: &Connection, sha256: &str, acked: u64) -> Result<()> {
    conn.prepare_cached("UPDATE blob_uploads SET acked = min(?2, size) WHERE sha256 = ?1")?
        .execute(params![sha256, i64::try_from(acked).unwrap_or(i64::MAX)])?;
    Ok(())
}

/// HQ holds the whole blob: it leaves the upload queue (the bytes stay until
/// the job's customer data is purged).
pub fn mark_uploaded(conn: &Connection, sha256: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM blob_uploads WHERE sha256 = ?1")?
        .execute([sha256])?;
    Ok(())
}
