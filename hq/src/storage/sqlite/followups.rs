//! SQLite's SQL for [`crate::centre::followups`].

use rusqlite::params;

use super::SqliteRecords;
use crate::centre::followups::{CallRow, FollowupsRecords};
use crate::error::Result;

impl FollowupsRecords for SqliteRecords<'_> {
    async fn insert_followup_call(&mut self, c: &CallRow) -> Result<()> {
        self.exec(
            "INSERT INTO followup_calls(job_id, reason, at, actor, reached, satisfied, notes, outcome, revisit_job_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                c.job_id,
                c.reason,
                c.at,
                c.actor,
                i64::from(c.reached),
                c.satisfied.map(i64::from),
                c.notes,
                c.outcome,
                c.revisit_job_id
            ],
        )?;
        Ok(())
    }

    async fn followup_call_counts(&mut self) -> Result<Vec<(String, String, i64, bool)>> {
        let mut st = self.tx.prepare_cached(
            "SELECT job_id, reason, COUNT(*), MAX(CASE WHEN outcome IN ('closed', 'revisit') THEN 1 ELSE 0 END)
             FROM followup_calls GROUP BY job_id, reason",
        )?;
        let rows = st.query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)? != 0))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn called_jobs(&mut self) -> Result<Vec<String>> {
        let mut st = self
            .tx
            .prepare_cached("SELECT DISTINCT job_id FROM followup_calls")?;
        let rows = st.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn insert_revisit(&mut self, job_id: &str, original: &str, at: &str) -> Result<()> {
        self.exec(
            "INSERT INTO revisits(job_id, original_job_id, created_at) VALUES (?1, ?2, ?3)",
            params![job_id, original, at],
        )?;
        Ok(())
    }

    async fn revisits(&mut self) -> Result<Vec<(String, String)>> {
        let mut st = self
            .tx
            .prepare_cached("SELECT job_id, original_job_id FROM revisits ORDER BY job_id")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
