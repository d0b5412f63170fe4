//! `conflicts`: what HQ refused (and HQ changes the device could not take), shown on the job.

use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// An op HQ refused, or an HQ change the local state could not take, shown on its job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conflict {
    pub job_id: String,
    pub op_id: String,
    pub seq: i64,
    /// The kind of fact that was refused (e.g. `work_done`).
    pub kind: String,
    /// HQ's reason code (`job_cancelled`, `reassigned`, `rule_broken`, ...).
    pub code: String,
    pub message: String,
    pub at: String,
}

/// Records a conflict once (a re-sent rejection of the same op is one row).
pub fn record(conn: &Connection, c: &Conflict) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO conflicts(job_id, op_id, seq, kind, code, message, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(op_id) DO NOTHING",
    )?
    .execute(params![
        c.job_id, c.op_id, c.seq, c.kind, c.code, c.message, c.at
    ])?;
    Ok(())
}

/// Conflicts on a job, oldest first.
pub fn of_job(conn: &Connection, job_id: &str) -> Result<Vec<Conflict>> {
    let mut stmt = conn.prepare_cached(
        "SELECT job_id, op_id, seq, kind, code, message, at FROM conflicts WHERE job_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([job_id], |r| {
        Ok(Conflict {
            job_id: r.get(0)?,
            op_id: r.get(1)?,
            seq: r.get(2)?,
            kind: r.get(3)?,
            code: r.get(4)?,
            message: r.get(5)?,
            at: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}
