//! PostgreSQL's SQL for [`crate::centre::reports`].

use super::PgRecords;
use crate::centre::reports::ReportsRecords;
use crate::error::Result;

impl ReportsRecords for PgRecords<'_> {
    async fn visits_received(&mut self, from: &str, to: &str) -> Result<Vec<String>> {
        self.all(
            "SELECT visit FROM orders WHERE created_at >= $1 AND created_at < $2
             ORDER BY created_at, job_id COLLATE \"C\"",
            &[&from, &to],
        )
        .await?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
    }

    async fn followups_of_received(
        &mut self,
        from: &str,
        to: &str,
    ) -> Result<Vec<(String, String)>> {
        self.all(
            "SELECT f.job_id, f.reason FROM followups f JOIN orders o ON o.job_id = f.job_id
             WHERE o.created_at >= $1 AND o.created_at < $2 ORDER BY f.job_id COLLATE \"C\", f.created_at",
            &[&from, &to],
        )
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
    }

    async fn complaint_kinds(&mut self, from: &str, to: &str) -> Result<Vec<String>> {
        self.all(
            "SELECT kind FROM complaints WHERE received_at >= $1 AND received_at < $2",
            &[&from, &to],
        )
        .await?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
    }
}
