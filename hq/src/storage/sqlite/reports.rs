//! SQLite's SQL for [`crate::centre::reports`].

use rusqlite::params;

use super::SqliteRecords;
use crate::centre::reports::ReportsRecords;
use crate::error::Result;

impl ReportsRecords for SqliteRecords<'_> {
    async fn visits_received(&mut self, from: &str, to: &str) -> Result<Vec<String>> {
        let mut st = self.tx.prepare_cached(
            "SELECT visit FROM orders WHERE created_at >= ?1 AND created_at < ?2 ORDER BY created_at, job_id",
        )?;
        let rows = st.query_map(params![from, to], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn followups_of_received(
        &mut self,
        from: &str,
        to: &str,
    ) -> Result<Vec<(String, String)>> {
        let mut st = self.tx.prepare_cached(
            "SELECT f.job_id, f.reason FROM followups f JOIN orders o ON o.job_id = f.job_id
             WHERE o.created_at >= ?1 AND o.created_at < ?2 ORDER BY f.job_id, f.created_at",
        )?;
        let rows = st.query_map(params![from, to], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn complaint_kinds(&mut self, from: &str, to: &str) -> Result<Vec<String>> {
        let mut st = self.tx.prepare_cached(
            "SELECT kind FROM complaints WHERE received_at >= ?1 AND received_at < ?2",
        )?;
        let rows = st.query_map(params![from, to], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
