//! PostgreSQL's SQL for [`crate::centre::audit`].

use tokio_postgres::Row;

use super::PgRecords;
use crate::centre::audit::{AuditRecords, AuditRow};
use crate::error::Result;

fn audit_row(r: &Row) -> Result<AuditRow> {
    Ok(AuditRow {
        id: r.try_get(0)?,
        at: r.try_get(1)?,
        actor: r.try_get(2)?,
        action: r.try_get(3)?,
        job_id: r.try_get(4)?,
        detail: r.try_get(5)?,
    })
}

impl AuditRecords for PgRecords<'_> {
    async fn insert_audit(
        &mut self,
        at: &str,
        actor: &str,
        action: &str,
        job_id: Option<&str>,
        detail: &str,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO audit(at, actor, action, job_id, detail) VALUES ($1, $2, $3, $4, $5)",
            &[&at, &actor, &action, &job_id, &detail],
        )
        .await?;
        Ok(())
    }

    async fn audit_of_job(&mut self, job_id: &str) -> Result<Vec<AuditRow>> {
        self.all(
            "SELECT id, at, actor, action, job_id, detail FROM audit WHERE job_id = $1 ORDER BY id",
            &[&job_id],
        )
        .await?
        .iter()
        .map(audit_row)
        .collect()
    }

    async fn audit_recent(&mut self, actor: Option<&str>, limit: i64) -> Result<Vec<AuditRow>> {
        self.all(
            "SELECT id, at, actor, action, job_id, detail FROM audit
             WHERE $1::TEXT IS NULL OR actor = $1 ORDER BY id DESC LIMIT $2",
            &[&actor, &limit],
        )
        .await?
        .iter()
        .map(audit_row)
        .collect()
    }
}
