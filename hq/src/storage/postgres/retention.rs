//! PostgreSQL's SQL for [`crate::centre::retention`].

use super::PgRecords;
use crate::centre::retention::{RetentionRecords, CLOSED};
use crate::error::Result;

impl RetentionRecords for PgRecords<'_> {
    async fn retention_years(&mut self) -> Result<Option<i64>> {
        match self
            .one("SELECT years FROM retention_policy WHERE id = 1", &[])
            .await?
        {
            Some(r) => Ok(Some(r.try_get(0)?)),
            None => Ok(None),
        }
    }

    async fn set_retention_years(&mut self, years: i64, by: &str, at: &str) -> Result<()> {
        self.exec(
            "INSERT INTO retention_policy(id, years, set_by, set_at) VALUES (1, $1, $2, $3)
             ON CONFLICT(id) DO UPDATE SET years = excluded.years, set_by = excluded.set_by,
               set_at = excluded.set_at",
            &[&years, &by, &at],
        )
        .await?;
        Ok(())
    }

    async fn closed_before(&mut self, cutoff: &str) -> Result<Vec<(String, String)>> {
        self.all(
            "SELECT job_id, visit FROM orders WHERE status IN ($1, $2) AND updated_at < $3
             AND job_id NOT IN (SELECT job_id FROM anonymised_orders) ORDER BY job_id",
            &[&CLOSED[0], &CLOSED[1], &cutoff],
        )
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
    }

    async fn anonymise_order(&mut self, job_id: &str, visit: &str, at: &str) -> Result<()> {
        self.exec(
            "UPDATE orders SET visit = $2, customer_name = '', phone_digits = '', location = ''
             WHERE job_id = $1",
            &[&job_id, &visit],
        )
        .await?;
        self.exec(
            "UPDATE calls SET caller = '', phone = '', location = '', request = '' WHERE job_id = $1",
            &[&job_id],
        )
        .await?;
        self.exec(
            "UPDATE complaints SET customer_name = '', customer_phone = '', phone_digits = '',
               words = '' WHERE job_id = $1",
            &[&job_id],
        )
        .await?;
        self.exec(
            "UPDATE complaint_steps SET note = '' WHERE complaint_id IN
               (SELECT op_id FROM complaints WHERE job_id = $1)",
            &[&job_id],
        )
        .await?;
        self.exec(
            "UPDATE followup_calls SET notes = '' WHERE job_id = $1",
            &[&job_id],
        )
        .await?;
        self.exec(
            "UPDATE ops SET payload = '{}' WHERE job_id = $1",
            &[&job_id],
        )
        .await?;
        self.exec("DELETE FROM changes WHERE job_id = $1", &[&job_id])
            .await?;
        self.exec(
            "INSERT INTO anonymised_orders(job_id, at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&job_id, &at],
        )
        .await?;
        Ok(())
    }

    async fn delete_blob(&mut self, sha256: &str) -> Result<bool> {
        Ok(self
            .exec("DELETE FROM blobs WHERE sha256 = $1", &[&sha256])
            .await?
            > 0)
    }

    async fn idle_uploads(&mut self, before: &str) -> Result<usize> {
        let n: i64 = match self
            .one(
                "SELECT count(*) FROM uploads WHERE updated_at < $1",
                &[&before],
            )
            .await?
        {
            Some(r) => r.try_get(0)?,
            None => 0,
        };
        Ok(usize::try_from(n).unwrap_or(0))
    }

    async fn drop_idle_uploads(&mut self, before: &str) -> Result<usize> {
        self.exec(
            "DELETE FROM upload_chunks WHERE (owner, sha256) IN
                 (SELECT owner, sha256 FROM uploads WHERE updated_at < $1)",
            &[&before],
        )
        .await?;
        let n = self
            .exec("DELETE FROM uploads WHERE updated_at < $1", &[&before])
            .await?;
        Ok(usize::try_from(n).unwrap_or(0))
    }
}
