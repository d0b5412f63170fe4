//! SQLite's SQL for [`crate::centre::audit`].

use rusqlite::params;

use super::SqliteRecords;
use crate::centre::audit::{AuditRecords, AuditRow};
use crate::error::Result;

fn audit_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        id: r.get(0)?,
        at: r.get(1)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        job_id: r.get(4)?,
        detail: r.get(5)?,
    })
}

impl AuditRecords for SqliteRecords<'_> {
    async fn insert_audit(
        &mut self,
        at: &str,
        actor: &str,
        action: &str,
        job_id: Option<&str>,
        detail: &str,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO audit(at, actor, action, job_id, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![at, actor, action, job_id, detail],
        )?;
        Ok(())
    }

    async fn audit_of_job(&mut self, job_id: &str) -> Result<Vec<AuditRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT id, at, actor, action, job_id, detail FROM audit WHERE job_id = ?1 ORDER BY id",
        )?;
        let rows = st.query_map(params![job_id], audit_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn audit_recent(&mut self, actor: Option<&str>, limit: i64) -> Result<Vec<AuditRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT id, at, actor, action, job_id, detail FROM audit
             WHERE ?1 IS NULL OR actor = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = st.query_map(params![actor, limit], audit_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
