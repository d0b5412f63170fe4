//! `blobs`: photos and signature images, content-addressed by SHA-256.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Result;

/// Stores a blob once (the same bytes twice are one row); returns its SHA-256.
pub fn put(
    conn: &Connection,
    media_type: &str,
    bytes: &[u8],
    job_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String> {
    let sha = crate::signature::record::content_hash(bytes);
    conn.prepare_cached(
        "INSERT INTO blobs(sha256, media_type, bytes, job_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(sha256) DO NOTHING",
    )?
    .execute(params![sha, media_type, bytes, job_id, now.to_rfc3339()])?;
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

/// Blobs HQ has not confirmed yet, oldest first.
pub fn pending(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt =
        conn.prepare_cached("SELECT sha256 FROM blobs WHERE uploaded = 0 ORDER BY created_at")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub fn mark_uploaded(conn: &Connection, sha256: &str) -> Result<()> {
    conn.prepare_cached("UPDATE blobs SET uploaded = 1 WHERE sha256 = ?1")?
        .execute([sha256])?;
    Ok(())
}
