//! PostgreSQL's SQL for [`crate::centre::followups`].

use super::PgRecords;
use crate::centre::followups::{CallRow, FollowupsRecords};
use crate::error::Result;

impl FollowupsRecords for PgRecords<'_> {
    async fn insert_followup_call(&mut self, c: &CallRow) -> Result<()> {
        self.exec(
            "INSERT INTO followup_calls(job_id, reason, at, actor, reached, satisfied, notes, outcome, revisit_job_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &c.job_id,
                &c.reason,
                &c.at,
                &c.actor,
                &c.reached,
                &c.satisfied,
                &c.notes,
                &c.outcome,
                &c.revisit_job_id,
            ],
        )
        .await?;
        Ok(())
    }

    async fn followup_call_counts(&mut self) -> Result<Vec<(String, String, i64, bool)>> {
        self.all(
            "SELECT job_id, reason, COUNT(*), BOOL_OR(outcome IN ('closed', 'revisit'))
             FROM followup_calls GROUP BY job_id, reason",
            &[],
        )
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
        .collect()
    }

    async fn called_jobs(&mut self) -> Result<Vec<String>> {
        self.all("SELECT DISTINCT job_id FROM followup_calls", &[])
            .await?
            .iter()
            .map(|r| Ok(r.try_get(0)?))
            .collect()
    }

    async fn insert_revisit(&mut self, job_id: &str, original: &str, at: &str) -> Result<()> {
        self.exec(
            "INSERT INTO revisits(job_id, original_job_id, created_at) VALUES ($1, $2, $3)",
            &[&job_id, &original, &at],
        )
        .await?;
        Ok(())
    }

    async fn revisits(&mut self) -> Result<Vec<(String, String)>> {
        self.all(
            "SELECT job_id, original_job_id FROM revisits ORDER BY job_id COLLATE \"C\"",
            &[],
        )
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
    }
}
